//! The `vfs` storage driver: a container gets its own full copy of the image, made by applying the
//! layer directories one over the other. Slow and big (that is the lesson), but it works on any
//! filesystem and needs no overlay support.
//!
//! Public API:
//! - [`apply_layer_dir`]`(layer, dest) -> Result<(), RootfsError>`: copy one layer snapshot
//!   directory over `dest`, turning its whiteouts and opaque markers into deletions.

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use nix::sys::time::TimeSpec;
use walkdir::WalkDir;

use super::rootfs::{RootfsError, is_opaque, is_whiteout};

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> RootfsError {
    move |source| RootfsError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

fn walk_err(e: walkdir::Error) -> RootfsError {
    let path = e.path().map(Path::to_path_buf).unwrap_or_default();
    RootfsError::Io {
        action: "read",
        path,
        source: e.into(),
    }
}

/// Remove whatever is at `p` (file, symlink or whole tree); nothing there is fine.
fn remove_any(p: &Path) -> Result<(), RootfsError> {
    match fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(p).map_err(io_err("remove", p)),
        Ok(_) => fs::remove_file(p).map_err(io_err("remove", p)),
        Err(_) => Ok(()),
    }
}

/// Copy one layer directory over `dest`. Entries come parents first (walkdir's pre-order), so an
/// opaque directory is emptied before this layer's own contents for it are copied in.
pub fn apply_layer_dir(layer: &Path, dest: &Path) -> Result<(), RootfsError> {
    // Names of one file within this layer: copy it once, link the others to the copy.
    let mut copied: HashMap<u64, std::path::PathBuf> = HashMap::new();
    for entry in WalkDir::new(layer)
        .follow_links(false)
        .sort_by_file_name()
        .min_depth(1)
    {
        let entry = entry.map_err(walk_err)?;
        let Ok(rel) = entry.path().strip_prefix(layer) else {
            continue;
        };
        let src = entry.path();
        let dst = dest.join(rel);
        let meta = entry.metadata().map_err(walk_err)?;
        if is_whiteout(&meta) {
            remove_any(&dst)?;
            continue;
        }
        let ft = meta.file_type();
        if ft.is_dir() {
            match fs::symlink_metadata(&dst) {
                Ok(m) if m.is_dir() => {
                    if is_opaque(src) {
                        for child in fs::read_dir(&dst).map_err(io_err("read", &dst))? {
                            let child = child.map_err(io_err("read", &dst))?;
                            remove_any(&child.path())?;
                        }
                    }
                }
                Ok(_) => {
                    remove_any(&dst)?;
                    fs::create_dir(&dst).map_err(io_err("create", &dst))?;
                }
                Err(_) => fs::create_dir(&dst).map_err(io_err("create", &dst))?,
            }
        } else {
            remove_any(&dst)?;
            if ft.is_symlink() {
                let target = fs::read_link(src).map_err(io_err("readlink", src))?;
                std::os::unix::fs::symlink(&target, &dst).map_err(io_err("symlink", &dst))?;
            } else if ft.is_file() {
                if let Some(first) = copied.get(&meta.ino()) {
                    fs::hard_link(first, &dst).map_err(io_err("link", &dst))?;
                    continue;
                }
                fs::copy(src, &dst).map_err(io_err("copy", src))?;
                if meta.nlink() > 1 {
                    copied.insert(meta.ino(), dst.clone());
                }
            } else {
                // Devices, fifos and sockets in an image are rare; mknod needs the same rights
                // the layer's unpacker had, so copy the node as it is.
                let kind =
                    nix::sys::stat::SFlag::from_bits_truncate(meta.mode()) & nix::sys::stat::SFlag::S_IFMT;
                nix::sys::stat::mknod(
                    &dst,
                    kind,
                    nix::sys::stat::Mode::from_bits_truncate(meta.mode()),
                    meta.rdev(),
                )
                .map_err(|e| RootfsError::Io {
                    action: "mknod",
                    path: dst.clone(),
                    source: e.into(),
                })?;
            }
        }
        // Ownership first: chown clears setuid bits, the chmod after puts them back.
        let _ = std::os::unix::fs::lchown(&dst, Some(meta.uid()), Some(meta.gid()));
        if !ft.is_symlink() {
            fs::set_permissions(&dst, fs::Permissions::from_mode(meta.mode() & 0o7777))
                .map_err(io_err("chmod", &dst))?;
        }
        // Same mtime as the layer's file: `diff` and the vfs size compare it to find changes.
        let mtime = TimeSpec::new(meta.mtime(), meta.mtime_nsec());
        let atime = TimeSpec::new(meta.atime(), meta.atime_nsec());
        nix::sys::stat::utimensat(
            nix::fcntl::AT_FDCWD,
            &dst,
            &atime,
            &mtime,
            nix::sys::stat::UtimensatFlags::NoFollowSymlink,
        )
        .map_err(|e| RootfsError::Io {
            action: "set times of",
            path: dst.clone(),
            source: e.into(),
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_layers_replace_and_delete() {
        let d = std::env::temp_dir().join(format!("layerlab-vfs-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        let (base, top, out) = (d.join("base"), d.join("top"), d.join("out"));
        for p in [base.join("etc/conf.d"), top.join("etc"), out.clone()] {
            fs::create_dir_all(p).expect("mk");
        }
        fs::write(base.join("etc/motd"), "old").expect("w");
        fs::write(base.join("etc/conf.d/a"), "a").expect("w");
        fs::write(top.join("etc/motd"), "new").expect("w");
        std::os::unix::fs::symlink("motd", top.join("etc/motd.link")).expect("ln");
        let whiteout = nix::sys::stat::mknod(
            &top.join("etc/conf.d"),
            nix::sys::stat::SFlag::S_IFCHR,
            nix::sys::stat::Mode::empty(),
            0,
        )
        .is_ok();
        apply_layer_dir(&base, &out).expect("base");
        apply_layer_dir(&top, &out).expect("top");
        assert_eq!(fs::read_to_string(out.join("etc/motd")).expect("r"), "new");
        assert_eq!(
            fs::read_link(out.join("etc/motd.link")).expect("l"),
            Path::new("motd")
        );
        if whiteout {
            assert!(!out.join("etc/conf.d").exists());
        }
        let _ = fs::remove_dir_all(&d);
    }
}
