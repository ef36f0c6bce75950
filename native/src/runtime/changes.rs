//! What a container changed, read from its overlay upper directory: the size `docker ps -s`
//! shows and the list `docker diff` prints.
//!
//! Public API:
//! - [`upper_size`]`(upper) -> Result<u64, ChangesError>`: Docker's `SizeRw`.
//! - [`changes`]`(upper, lowers) -> Result<Vec<Change>, ChangesError>`: `docker diff`'s lines;
//!   `lowers` are the overlay's lower directories, nearest first (the init layer included).
//! - [`changes_full`]`(root, lowers)` and [`changes_size`]`(root, &changes)`: the same for a vfs
//!   container's whole tree (Docker's naive diff and `ChangesSize`).
//! - [`container_size`] and [`container_changes`]`(&ContainerLayout, driver, image_layers)`: pick
//!   the right one for the driver.
//! - [`Change`] (`Display`: `C /etc`), [`ChangeKind`].
//!
//! The size is Docker's `directory.Size`: every non-directory with a non-zero size counts its
//! `st_size` once per inode (so hardlinks count once, a symlink counts its target's length, and
//! whiteouts, being 0/0 devices, count nothing).
//!
//! The change list reproduces what Docker prints for overlay2 on kernels with `redirect_dir`
//! (which is where it uses its "naive" diff: the merged view against the image's view). The
//! upper directory alone tells what is new or gone; the lower directories answer whether a path
//! existed before (A or C), whether its metadata differs, and what an opaque directory hid (D).

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::rootfs::{ContainerLayout, StorageDriver, is_opaque, is_whiteout, lookup_lower};

#[derive(Debug, thiserror::Error)]
pub enum ChangesError {
    #[error("reading {path}: {source}", path = path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ChangesError {
    move |source| ChangesError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Docker's `SizeRw` of a container: the bytes in its upper directory.
pub fn upper_size(upper: &Path) -> Result<u64, ChangesError> {
    let mut seen = HashSet::new();
    let mut total = 0u64;
    for entry in WalkDir::new(upper).follow_links(false) {
        let entry = entry.map_err(|e| ChangesError::Io {
            path: e
                .path()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| upper.to_path_buf()),
            source: e.into(),
        })?;
        let meta = entry.metadata().map_err(|e| ChangesError::Io {
            path: entry.path().to_path_buf(),
            source: e.into(),
        })?;
        // Docker keys on the inode number alone; one upper directory is one filesystem.
        if meta.is_dir() || meta.size() == 0 || !seen.insert(meta.ino()) {
            continue;
        }
        total += meta.size();
    }
    Ok(total)
}

/// The letter `docker diff` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    Changed,
    Added,
    Deleted,
}

/// One line of `docker diff`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// Absolute path inside the container.
    pub path: String,
    pub kind: ChangeKind,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let letter = match self.kind {
            ChangeKind::Added => 'A',
            ChangeKind::Changed => 'C',
            ChangeKind::Deleted => 'D',
        };
        write!(f, "{letter} {}", self.path)
    }
}

/// Docker's `statDifferent`: type and permissions, owner, device number; for non-directories
/// also size and modification time (a directory's size and mtime change with any entry).
fn stat_different(old: &fs::Metadata, new: &fs::Metadata) -> bool {
    old.mode() != new.mode()
        || old.uid() != new.uid()
        || old.gid() != new.gid()
        || old.rdev() != new.rdev()
        || (!old.is_dir()
            && (old.mtime() != new.mtime()
                || old.mtime_nsec() != new.mtime_nsec()
                || old.size() != new.size()))
}

fn container_path(rel: &Path) -> String {
    format!("/{}", rel.display())
}

/// The names the image's view has directly under `rel`.
fn lower_children(lowers: &[PathBuf], rel: &Path) -> Result<BTreeSet<std::ffi::OsString>, ChangesError> {
    let mut names = BTreeSet::new();
    for layer in lowers {
        let dir = layer.join(rel);
        // Only a real directory of this layer: never a listing reached through a layer's symlink.
        match lookup_lower(std::slice::from_ref(layer), rel) {
            Some((_, m)) if m.is_dir() => {}
            _ if rel.as_os_str().is_empty() => {}
            _ => continue,
        }
        let Ok(read) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in read {
            let entry = entry.map_err(io_err(&dir))?;
            names.insert(entry.file_name());
        }
    }
    // A name is really there only if the stack's lookup, whiteouts and opaque dirs applied, finds it.
    names.retain(|n| lookup_lower(lowers, &rel.join(n)).is_some());
    Ok(names)
}

struct Differ<'a> {
    upper: &'a Path,
    lowers: &'a [PathBuf],
    /// `upper` is a whole tree (vfs), not an overlay upper dir: whatever it lacks is deleted,
    /// and a 0/0 device in it is a device.
    full: bool,
    out: Vec<Change>,
}

impl Differ<'_> {
    fn push(&mut self, rel: &Path, kind: ChangeKind) {
        self.out.push(Change {
            path: container_path(rel),
            kind,
        });
    }

    /// Compare the upper directory `rel` with the image's view of it. `recorded` says whether
    /// `rel` itself was already listed; if not and anything below changed, it is listed as `C`.
    fn dir(&mut self, rel: &Path, recorded: bool, hides_lower: bool) -> Result<(), ChangesError> {
        let at_entry = self.out.len();
        let abs = self.upper.join(rel);
        let mut names: Vec<_> = fs::read_dir(&abs)
            .map_err(io_err(&abs))?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<Result<_, _>>()
            .map_err(io_err(&abs))?;
        names.sort();
        for name in &names {
            let child = rel.join(name);
            let child_abs = self.upper.join(&child);
            let meta = fs::symlink_metadata(&child_abs).map_err(io_err(&child_abs))?;
            let old = lookup_lower(self.lowers, &child);
            if !self.full && is_whiteout(&meta) {
                if old.is_some() {
                    self.push(&child, ChangeKind::Deleted);
                }
                continue;
            }
            let mut child_recorded = true;
            match &old {
                None => self.push(&child, ChangeKind::Added),
                Some((_, old_meta)) if stat_different(old_meta, &meta) => {
                    self.push(&child, ChangeKind::Changed)
                }
                Some(_) => child_recorded = false,
            }
            let old_is_dir = old.as_ref().is_some_and(|(_, m)| m.is_dir());
            if meta.is_dir() {
                // A directory that is new, replaced a non-directory, or is opaque shows nothing of
                // the image beneath it.
                let hides = old_is_dir && (self.full || is_opaque(&child_abs));
                self.dir(&child, child_recorded, hides)?;
            } else if old_is_dir {
                for gone in lower_children(self.lowers, &child)? {
                    self.push(&child.join(gone), ChangeKind::Deleted);
                }
            }
        }
        if hides_lower {
            let present: BTreeSet<_> = names.into_iter().collect();
            for gone in lower_children(self.lowers, rel)? {
                if !present.contains(&gone) {
                    self.push(&rel.join(gone), ChangeKind::Deleted);
                }
            }
        }
        if !recorded && self.out.len() > at_entry {
            self.out.insert(
                at_entry,
                Change {
                    path: container_path(rel),
                    kind: ChangeKind::Changed,
                },
            );
        }
        Ok(())
    }
}

/// `docker diff` for an overlay container, in path order.
pub fn changes(upper: &Path, lowers: &[PathBuf]) -> Result<Vec<Change>, ChangesError> {
    diff(upper, lowers, false)
}

/// `docker diff` for a vfs container: its whole tree against the image's layers (the naive
/// diff Docker runs for drivers without an upper dir).
pub fn changes_full(root: &Path, lowers: &[PathBuf]) -> Result<Vec<Change>, ChangesError> {
    diff(root, lowers, true)
}

fn diff(upper: &Path, lowers: &[PathBuf], full: bool) -> Result<Vec<Change>, ChangesError> {
    let mut d = Differ {
        upper,
        lowers,
        full,
        out: Vec::new(),
    };
    // The root itself is never listed.
    d.dir(Path::new(""), true, full)?;
    let mut out = d.out;
    out.sort();
    Ok(out)
}

/// Docker's `ChangesSize`, the `SizeRw` of a driver without an upper dir: the sizes of the
/// added and changed non-directories of `root`, a hardlinked file once.
pub fn changes_size(root: &Path, changes: &[Change]) -> Result<u64, ChangesError> {
    let mut seen = HashSet::new();
    let mut total = 0;
    for c in changes {
        if c.kind == ChangeKind::Deleted {
            continue;
        }
        let path = root.join(c.path.trim_start_matches('/'));
        let meta = fs::symlink_metadata(&path).map_err(io_err(&path))?;
        if meta.is_dir() || (meta.nlink() > 1 && !seen.insert(meta.ino())) {
            continue;
        }
        total += meta.size();
    }
    Ok(total)
}

/// The container's `SizeRw` whatever its storage driver.
pub fn container_size(
    layout: &ContainerLayout,
    driver: StorageDriver,
    image_layers: &[PathBuf],
) -> Result<u64, ChangesError> {
    match driver {
        StorageDriver::Overlay => upper_size(&layout.upper),
        StorageDriver::Vfs => {
            let changes = changes_full(&layout.vfs_root, &layout.overlay_lowers(image_layers))?;
            changes_size(&layout.vfs_root, &changes)
        }
    }
}

/// The container's `docker diff` whatever its storage driver.
pub fn container_changes(
    layout: &ContainerLayout,
    driver: StorageDriver,
    image_layers: &[PathBuf],
) -> Result<Vec<Change>, ChangesError> {
    let lowers = layout.overlay_lowers(image_layers);
    match driver {
        StorageDriver::Overlay => changes(&layout.upper, &lowers),
        StorageDriver::Vfs => changes_full(&layout.vfs_root, &lowers),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("layerlab-changes-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).expect("tmp");
        d
    }

    fn whiteout(p: &Path) -> bool {
        nix::sys::stat::mknod(
            p,
            nix::sys::stat::SFlag::S_IFCHR,
            nix::sys::stat::Mode::empty(),
            0,
        )
        .is_ok()
    }

    fn lines(v: &[Change]) -> Vec<String> {
        v.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn size_counts_files_once_symlinks_by_target_and_nothing_else() {
        let d = tmp("size");
        fs::create_dir_all(d.join("a/b")).expect("mk");
        fs::write(d.join("a/file"), vec![7u8; 1000]).expect("w");
        fs::hard_link(d.join("a/file"), d.join("a/b/link")).expect("ln");
        std::os::unix::fs::symlink("a/file", d.join("sym")).expect("sym");
        fs::write(d.join("empty"), b"").expect("w");
        let wh = whiteout(&d.join("gone"));
        assert_eq!(upper_size(&d).expect("size"), 1000 + 6);
        if wh {
            assert_eq!(upper_size(&d).expect("size"), 1006);
        }
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn added_changed_deleted_and_parents() {
        let d = tmp("diff");
        let (lower, upper) = (d.join("lower"), d.join("upper"));
        fs::create_dir_all(lower.join("etc")).expect("mk");
        fs::create_dir_all(lower.join("app")).expect("mk");
        fs::write(lower.join("etc/motd"), "hello\n").expect("w");
        fs::write(lower.join("etc/os-release"), "x\n").expect("w");
        fs::write(lower.join("app/keep"), "k\n").expect("w");
        // The upper dir as overlay leaves it: copied-up parents with the lower's metadata.
        for dir in ["etc", "app"] {
            fs::create_dir_all(upper.join(dir)).expect("mk");
            let m = fs::metadata(lower.join(dir)).expect("m");
            fs::set_permissions(upper.join(dir), m.permissions()).expect("chmod");
        }
        fs::write(upper.join("etc/motd"), "hello\nedited\n").expect("w");
        fs::write(upper.join("app/new.bin"), vec![0u8; 10]).expect("w");
        let wh = whiteout(&upper.join("etc/os-release"));
        let got = lines(&changes(&upper, &[lower]).expect("diff"));
        let mut want = vec!["C /app", "A /app/new.bin", "C /etc", "C /etc/motd"];
        if wh {
            want.push("D /etc/os-release");
        }
        assert_eq!(got, want);
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn symlinks_in_the_layers_are_never_followed_to_the_host() {
        let d = tmp("symlinks");
        let (lower, upper) = (d.join("lower"), d.join("upper"));
        fs::create_dir_all(&lower).expect("mk");
        std::os::unix::fs::symlink("/etc", lower.join("d")).expect("ln");
        fs::create_dir_all(upper.join("d")).expect("mk");
        fs::write(upper.join("d/passwd"), "x").expect("w");
        let got = lines(&changes(&upper, std::slice::from_ref(&lower)).expect("diff"));
        // The host's /etc/passwd exists, but through the layer's link it is not "there before".
        assert_eq!(got, ["C /d", "A /d/passwd"]);
        assert!(lookup_lower(&[lower], Path::new("d/passwd")).is_none());
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn an_opaque_directory_lists_what_it_hid() {
        let d = tmp("opaque");
        let (lower, upper) = (d.join("lower"), d.join("upper"));
        fs::create_dir_all(lower.join("etc/demo.d")).expect("mk");
        fs::write(lower.join("etc/demo.d/default.conf"), "a").expect("w");
        fs::write(lower.join("etc/demo.d/old.conf"), "b").expect("w");
        fs::create_dir_all(upper.join("etc/demo.d")).expect("mk");
        fs::write(upper.join("etc/demo.d/app.conf"), "c").expect("w");
        // Only root can set trusted.*; a user namespace mount uses user.*, which works here too.
        let marked = rustix::fs::setxattr(
            upper.join("etc/demo.d"),
            "user.overlay.opaque",
            b"y",
            rustix::fs::XattrFlags::empty(),
        )
        .is_ok();
        let got = lines(&changes(&upper, &[lower]).expect("diff"));
        if marked {
            assert!(got.contains(&"D /etc/demo.d/default.conf".to_owned()), "{got:?}");
            assert!(got.contains(&"D /etc/demo.d/old.conf".to_owned()), "{got:?}");
        }
        assert!(got.contains(&"A /etc/demo.d/app.conf".to_owned()), "{got:?}");
        assert!(got.contains(&"C /etc".to_owned()), "{got:?}");
        let _ = fs::remove_dir_all(&d);
    }
}
