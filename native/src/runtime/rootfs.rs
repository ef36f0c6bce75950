//! A container's root filesystem on disk: its directories, the init layer, and how it is mounted
//! (overlayfs over the image's layer snapshots, or a `vfs` copy where overlay cannot be used).
//!
//! Public API:
//! - [`StorageDriver`]: `Overlay` or `Vfs` (`--storage-driver`), `FromStr`/`Display`.
//! - [`ContainerLayout::new`]`(dir)`: the paths under one container's directory
//!   (`upper/`, `work/`, `merged/`, `init/`, `rootfs/`, `hostname`, `hosts`, `resolv.conf`);
//!   [`ContainerLayout::with_shared_init`]`(init)` puts the init layer in a directory that many
//!   containers share.
//! - [`ContainerLayout::prepare`]`(&self, driver, lowers, rootless) -> Result<RootfsMount, RootfsError>`:
//!   makes the directories and the init layer, checks the image, returns the mount to make;
//!   [`ContainerLayout::remove`] deletes it all again.
//! - [`RootfsMount`]: the rootfs mount as data; [`RootfsMount::step`] turns it into a plan step,
//!   [`RootfsMount::volatile`] marks it for a `--rm` container.
//! - [`lookup_lower`]: find a path in a stack of layer directories, honouring whiteouts.
//! - [`try_overlay`]`(dir) -> OverlayTry`: whether the kernel mounts overlay over `dir`'s
//!   filesystem ([`OverlayTry`]), so that a container can be given vfs where it cannot.
//!
//! Layer directories use overlayfs's own on-disk format: a deletion is a 0/0 character device,
//! an opaque directory carries `trusted.overlay.opaque=y` (or `user.overlay.opaque=y` when the
//! snapshots were made without root).

use std::fs;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags};

use super::mounts::{MountError, MountStep, Place};

/// How a container's writable layer is put over the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StorageDriver {
    /// overlayfs: the image layers are shared, only changed files are copied up.
    #[default]
    Overlay,
    /// A full copy of the image per container, for filesystems where overlay does not work.
    Vfs,
}

#[derive(Debug, thiserror::Error)]
pub enum RootfsError {
    #[error("unknown storage driver {name:?}: use overlay or vfs")]
    UnknownDriver { name: String },
    #[error("filesystem \"{fs}\" must be mounted on ordinary directory: /{fs} is a symlink in the image")]
    SpecialIsSymlink { fs: &'static str },
    #[error("layer directory {path} does not exist", path = path.display())]
    MissingLayer { path: PathBuf },
    #[error("{action} {path}: {source}", path = path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl FromStr for StorageDriver {
    type Err = RootfsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "overlay" | "overlay2" => Ok(StorageDriver::Overlay),
            "vfs" => Ok(StorageDriver::Vfs),
            other => Err(RootfsError::UnknownDriver {
                name: other.to_owned(),
            }),
        }
    }
}

impl std::fmt::Display for StorageDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StorageDriver::Overlay => "overlay",
            StorageDriver::Vfs => "vfs",
        })
    }
}

/// The rootfs mount, as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootfsMount {
    Overlay {
        /// Nearest layer first: the init layer, then the image's top layer, down to its base.
        lowers: Vec<PathBuf>,
        upper: PathBuf,
        work: PathBuf,
        /// Keep overlay's own xattrs in the `user.` namespace (needed in a user namespace).
        userxattr: bool,
        /// Never sync the writable layer (overlay's `volatile`): for containers deleted when they
        /// exit. Without it the unmount at exit syncs the whole host filesystem, which on a busy
        /// disk costs more than everything else a start does.
        volatile: bool,
    },
    /// A plain directory bound onto itself, so that `pivot_root` has a mount point.
    Bind { dir: PathBuf },
}

/// What a try of overlay over a directory's filesystem showed ([`try_overlay`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverlayTry {
    /// It mounted.
    Works,
    /// The kernel or the filesystem cannot do it: `ENODEV` (no overlayfs in the kernel),
    /// `EINVAL` or `EOPNOTSUPP` (a filesystem that cannot hold an upper layer, such as overlayfs
    /// itself).
    Refused(Errno),
    /// The try could not be made or failed otherwise (no right to mount, a path overlay cannot
    /// take): a container's own mount will say what is wrong.
    Unknown,
}

/// Tries overlay with its directories under `dir`, as Docker's overlay2 driver does before using
/// it: a small overlay with two lower layers is mounted there and unmounted at once, and the
/// directories are removed again. Needs the right to mount (root).
pub fn try_overlay(dir: &Path) -> OverlayTry {
    let Ok(probe) = tempfile::Builder::new().prefix(".overlay-probe-").tempdir_in(dir) else {
        return OverlayTry::Unknown;
    };
    let [lower, lower2, upper, work, merged] =
        ["lower", "lower2", "upper", "work", "merged"].map(|d| probe.path().join(d));
    let paths = [&lower, &lower2, &upper, &work, &merged];
    if paths.iter().any(|d| fs::create_dir(d).is_err()) {
        return OverlayTry::Unknown;
    }
    let options = (|| -> Result<String, MountError> {
        Ok(format!(
            "lowerdir={}:{},upperdir={},workdir={}",
            overlay_path("lowerdir", &lower)?,
            overlay_path("lowerdir", &lower2)?,
            overlay_path("upperdir", &upper)?,
            overlay_path("workdir", &work)?,
        ))
    })();
    let Ok(options) = options else {
        return OverlayTry::Unknown;
    };
    match nix::mount::mount(
        Some("overlay"),
        &merged,
        Some("overlay"),
        MsFlags::empty(),
        Some(options.as_str()),
    ) {
        Ok(()) => {
            // Detached: nothing has the mount open, and the directory goes with the probe.
            let _ = nix::mount::umount2(&merged, MntFlags::MNT_DETACH);
            OverlayTry::Works
        }
        Err(e @ (Errno::ENODEV | Errno::EINVAL | Errno::EOPNOTSUPP)) => OverlayTry::Refused(e),
        Err(_) => OverlayTry::Unknown,
    }
}

/// The kernel copies mount options into one page.
const MAX_OVERLAY_OPTIONS: usize = 4095;

fn overlay_path(what: &'static str, p: &Path) -> Result<String, MountError> {
    let s = p.to_string_lossy();
    // overlayfs splits its options on ',' and lowerdir on ':'; '\' escapes. A path with any of
    // them cannot be passed safely through this interface.
    if let Some(ch) = s.chars().find(|c| matches!(c, ',' | ':' | '\\')) {
        return Err(MountError::OverlayPath {
            what,
            ch,
            path: p.to_path_buf(),
        });
    }
    Ok(s.into_owned())
}

impl RootfsMount {
    /// The same mount for a container that is deleted when it exits (`--rm`): overlay skips
    /// syncing its writable layer. The layer is unusable after a host crash, which does not
    /// matter for a layer about to be deleted.
    pub fn volatile(self) -> Self {
        match self {
            RootfsMount::Overlay {
                lowers,
                upper,
                work,
                userxattr,
                ..
            } => RootfsMount::Overlay {
                lowers,
                upper,
                work,
                userxattr,
                volatile: true,
            },
            bind => bind,
        }
    }

    /// The plan step that mounts this rootfs at `target`.
    pub fn step(&self, target: &Path) -> Result<MountStep, MountError> {
        match self {
            RootfsMount::Overlay {
                lowers,
                upper,
                work,
                userxattr,
                volatile,
            } => {
                if lowers.is_empty() {
                    return Err(MountError::NoLayers);
                }
                let lowers = lowers
                    .iter()
                    .map(|l| overlay_path("lowerdir", l))
                    .collect::<Result<Vec<_>, _>>()?;
                let mut data = format!(
                    "lowerdir={},upperdir={},workdir={}",
                    lowers.join(":"),
                    overlay_path("upperdir", upper)?,
                    overlay_path("workdir", work)?
                );
                if *userxattr {
                    data.push_str(",userxattr");
                }
                if *volatile {
                    data.push_str(",volatile");
                }
                if data.len() > MAX_OVERLAY_OPTIONS {
                    return Err(MountError::OverlayTooLong {
                        len: data.len(),
                        max: MAX_OVERLAY_OPTIONS,
                    });
                }
                Ok(MountStep::Mount {
                    source: Some("overlay".into()),
                    target: Place::Host(target.to_path_buf()),
                    fstype: Some("overlay".into()),
                    flags: MsFlags::empty(),
                    data: Some(data),
                })
            }
            RootfsMount::Bind { dir } => Ok(MountStep::Mount {
                source: Some(dir.clone()),
                target: Place::Host(target.to_path_buf()),
                fstype: None,
                flags: MsFlags::MS_BIND | MsFlags::MS_REC,
                data: None,
            }),
        }
    }
}

/// The paths of one container's directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerLayout {
    pub dir: PathBuf,
    /// overlay: the container's writable layer.
    pub upper: PathBuf,
    /// overlay: its scratch directory (same filesystem as `upper`).
    pub work: PathBuf,
    /// Where the rootfs is mounted inside the container's mount namespace.
    pub merged: PathBuf,
    /// Docker's "-init" layer: empty mount points (`/proc`, `/dev`, `/etc/hosts`, ...) kept below
    /// the writable layer so that they never show up in `diff` or in the container's size.
    pub init: PathBuf,
    /// vfs: the container's full copy of the image.
    pub vfs_root: PathBuf,
    pub hostname: PathBuf,
    pub hosts: PathBuf,
    pub resolv_conf: PathBuf,
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> RootfsError {
    move |source| RootfsError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Is this a whiteout as overlayfs stores it (a 0/0 character device)?
pub fn is_whiteout(meta: &fs::Metadata) -> bool {
    meta.file_type().is_char_device() && meta.rdev() == 0
}

/// Is this directory marked opaque (it hides everything below it)?
pub fn is_opaque(dir: &Path) -> bool {
    ["trusted.overlay.opaque", "user.overlay.opaque"]
        .iter()
        .any(|name| {
            let mut buf = [0u8; 4];
            matches!(rustix::fs::lgetxattr(dir, *name, &mut buf), Ok(1) if buf[0] == b'y')
        })
}

/// Find `rel` in a stack of layer directories (nearest first) as the merged view would show it:
/// `None` if no layer has it, a whiteout hides it, or an opaque directory above cuts it off.
pub fn lookup_lower(lowers: &[PathBuf], rel: &Path) -> Option<(PathBuf, fs::Metadata)> {
    for layer in lowers {
        // Component by component with lstat: a symlink on the way is an end, never followed,
        // so a layer's link cannot make this look at the host's files.
        let mut prefix = layer.clone();
        let mut comps = rel.components().peekable();
        let mut opaque_above = false;
        while let Some(c) = comps.next() {
            prefix.push(c);
            let Ok(meta) = fs::symlink_metadata(&prefix) else {
                break;
            };
            if is_whiteout(&meta) {
                return None;
            }
            if comps.peek().is_none() {
                return Some((prefix, meta));
            }
            if !meta.is_dir() {
                // A file or symlink where a directory should be: nothing beneath it here or below.
                return None;
            }
            // An opaque directory hides the layers below; this layer's own contents still count.
            opaque_above |= is_opaque(&prefix);
        }
        if opaque_above {
            return None;
        }
    }
    None
}

impl ContainerLayout {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        Self {
            upper: dir.join("upper"),
            work: dir.join("work"),
            merged: dir.join("merged"),
            init: dir.join("init"),
            vfs_root: dir.join("rootfs"),
            hostname: dir.join("hostname"),
            hosts: dir.join("hosts"),
            resolv_conf: dir.join("resolv.conf"),
            dir,
        }
    }

    /// The same layout with its init layer at `init`, a directory any number of containers
    /// share: the init layer holds the same empty mount points for every container and is never
    /// written to (it is a lower layer), so it is made once, not created and deleted again with
    /// each container (eleven files and directories, most of a start's filesystem work).
    pub fn with_shared_init(mut self, init: impl Into<PathBuf>) -> Self {
        self.init = init.into();
        self
    }

    /// Delete the container's directory (`docker rm`). Its mounts lived in its own mount
    /// namespace and went with it; overlay leaves `work/work` without permissions, which only
    /// root could remove as it is, so it is opened up first.
    pub fn remove(&self) -> Result<(), RootfsError> {
        let inner = self.work.join("work");
        if inner.is_dir() {
            let _ = fs::set_permissions(&inner, fs::Permissions::from_mode(0o700));
        }
        match fs::remove_dir_all(&self.dir) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io_err("remove", &self.dir)(e)),
            _ => Ok(()),
        }
    }

    /// The lower directories of the overlay mount, nearest first: the init layer over the image.
    pub fn overlay_lowers(&self, image_lowers: &[PathBuf]) -> Vec<PathBuf> {
        std::iter::once(self.init.clone())
            .chain(image_lowers.iter().cloned())
            .collect()
    }

    /// Make the container's directories and init layer, check the image, and say how to mount it.
    /// `image_lowers` are the image's layer snapshot directories, top layer first.
    pub fn prepare(
        &self,
        driver: StorageDriver,
        image_lowers: &[PathBuf],
        rootless: bool,
    ) -> Result<RootfsMount, RootfsError> {
        for layer in image_lowers {
            if !layer.is_dir() {
                return Err(RootfsError::MissingLayer { path: layer.clone() });
            }
        }
        for fs_name in ["proc", "sys", "dev"] {
            if let Some((_, meta)) = lookup_lower(image_lowers, Path::new(fs_name))
                && meta.file_type().is_symlink()
            {
                return Err(RootfsError::SpecialIsSymlink { fs: fs_name });
            }
        }
        for d in [&self.dir, &self.merged] {
            fs::create_dir_all(d).map_err(io_err("create", d))?;
        }
        // State under the container dir holds what the container writes: keep other host users out.
        fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700))
            .map_err(io_err("chmod", &self.dir))?;
        match driver {
            StorageDriver::Overlay => {
                for d in [&self.upper, &self.work] {
                    fs::create_dir_all(d).map_err(io_err("create", d))?;
                }
                ensure_init_layer(&self.init)?;
                Ok(RootfsMount::Overlay {
                    lowers: self.overlay_lowers(image_lowers),
                    upper: self.upper.clone(),
                    work: self.work.clone(),
                    userxattr: rootless,
                    volatile: false,
                })
            }
            StorageDriver::Vfs => {
                if !self.vfs_root.exists() {
                    let tmp = self.dir.join("rootfs.partial");
                    if tmp.exists() {
                        fs::remove_dir_all(&tmp).map_err(io_err("remove", &tmp))?;
                    }
                    fs::create_dir_all(&tmp).map_err(io_err("create", &tmp))?;
                    // The init layer is kept apart as for overlay, so that `diff` can tell the
                    // runtime's mount points from what the container changed.
                    ensure_init_layer(&self.init)?;
                    // Bottom layer first, so each layer lands over the ones it changes.
                    for layer in self.overlay_lowers(image_lowers).iter().rev() {
                        super::vfs::apply_layer_dir(layer, &tmp)?;
                    }
                    fs::rename(&tmp, &self.vfs_root).map_err(io_err("rename", &tmp))?;
                }
                Ok(RootfsMount::Bind {
                    dir: self.vfs_root.clone(),
                })
            }
        }
    }
}

/// Makes the init layer at `path` unless it is there. It is built beside and renamed into place,
/// so a directory at `path` is always complete, and containers sharing it can prepare at once:
/// the first rename wins, the others find it there and drop their copy.
fn ensure_init_layer(path: &Path) -> Result<(), RootfsError> {
    if path.is_dir() {
        return Ok(());
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = path.with_file_name(format!(".{name}.{}-{nanos}", std::process::id()));
    let made = make_init_layer(&tmp).and_then(|()| fs::rename(&tmp, path).map_err(io_err("rename", &tmp)));
    match made {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            if path.is_dir() { Ok(()) } else { Err(e) }
        }
    }
}

/// The mount points the runtime needs, made in `into`, a directory that does not exist yet.
fn make_init_layer(into: &Path) -> Result<(), RootfsError> {
    fs::create_dir_all(into).map_err(io_err("create", into))?;
    for d in ["proc", "sys", "dev", "dev/pts", "dev/shm", "etc"] {
        let p = into.join(d);
        fs::create_dir(&p).map_err(io_err("create", &p))?;
        // Whatever the umask left, these are the image's usual modes.
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).map_err(io_err("chmod", &p))?;
    }
    // Empty files that the runtime mounts its own over.
    for f in ["etc/hostname", "etc/hosts", "etc/resolv.conf"] {
        let p = into.join(f);
        fs::write(&p, b"").map_err(io_err("create", &p))?;
    }
    // Docker's init layer makes /etc/mtab the kernel's list of mounts.
    let mtab = into.join("etc/mtab");
    std::os::unix::fs::symlink("/proc/mounts", &mtab).map_err(io_err("symlink", &mtab))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("layerlab-rootfs-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).expect("tmp");
        d
    }

    #[test]
    fn driver_names() {
        assert_eq!(
            "overlay2".parse::<StorageDriver>().ok(),
            Some(StorageDriver::Overlay)
        );
        assert_eq!("vfs".parse::<StorageDriver>().ok(), Some(StorageDriver::Vfs));
        let err = "zfs".parse::<StorageDriver>().expect_err("must fail");
        assert_eq!(
            err.to_string(),
            "unknown storage driver \"zfs\": use overlay or vfs"
        );
    }

    #[test]
    fn overlay_options_refuse_separator_characters_and_overlong_stacks() {
        let m = RootfsMount::Overlay {
            lowers: vec!["/a:b".into()],
            upper: "/u".into(),
            work: "/w".into(),
            userxattr: false,
            volatile: false,
        };
        assert!(matches!(
            m.step(Path::new("/m")),
            Err(MountError::OverlayPath { ch: ':', .. })
        ));
        let m = RootfsMount::Overlay {
            lowers: (0..200)
                .map(|i| PathBuf::from(format!("/var/lib/layerlab/snapshots/{i:040}")))
                .collect(),
            upper: "/u".into(),
            work: "/w".into(),
            userxattr: true,
            volatile: false,
        };
        assert!(matches!(
            m.step(Path::new("/m")),
            Err(MountError::OverlayTooLong { .. })
        ));
        let m = RootfsMount::Overlay {
            lowers: vec!["/l".into()],
            upper: "/u".into(),
            work: "/w".into(),
            userxattr: true,
            volatile: false,
        };
        let MountStep::Mount { data: Some(d), .. } = m.step(Path::new("/m")).expect("step") else {
            panic!("not a mount");
        };
        assert_eq!(d, "lowerdir=/l,upperdir=/u,workdir=/w,userxattr");
        let MountStep::Mount { data: Some(d), .. } = m.volatile().step(Path::new("/m")).expect("step") else {
            panic!("not a mount");
        };
        assert_eq!(d, "lowerdir=/l,upperdir=/u,workdir=/w,userxattr,volatile");
    }

    #[test]
    fn symlinked_proc_in_the_image_is_refused() {
        let d = tmp("symproc");
        let layer = d.join("l1");
        fs::create_dir_all(&layer).expect("mk");
        std::os::unix::fs::symlink("/etc", layer.join("proc")).expect("ln");
        let layout = ContainerLayout::new(d.join("c"));
        let err = layout
            .prepare(StorageDriver::Overlay, &[layer], false)
            .expect_err("must fail");
        assert_eq!(
            err.to_string(),
            "filesystem \"proc\" must be mounted on ordinary directory: /proc is a symlink in the image"
        );
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn a_symlinked_etc_cannot_lead_the_init_files_out_of_a_vfs_copy() {
        let d = tmp("vfsetc");
        let layer = d.join("l1");
        let outside = d.join("outside");
        fs::create_dir_all(&layer).expect("mk");
        fs::create_dir_all(&outside).expect("mk");
        std::os::unix::fs::symlink(&outside, layer.join("etc")).expect("ln");
        let layout = ContainerLayout::new(d.join("c"));
        layout
            .prepare(StorageDriver::Vfs, &[layer], false)
            .expect("prepare");
        assert!(
            fs::read_dir(&outside).expect("read").next().is_none(),
            "wrote outside"
        );
        assert!(layout.vfs_root.join("etc/hosts").is_file());
        assert_eq!(
            fs::read_link(layout.vfs_root.join("etc/mtab")).expect("mtab"),
            Path::new("/proc/mounts")
        );
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn lookup_walks_down_the_stack_and_stops_at_whiteouts() {
        let d = tmp("lookup");
        let (top, base) = (d.join("top"), d.join("base"));
        fs::create_dir_all(base.join("etc")).expect("mk");
        fs::create_dir_all(top.join("etc")).expect("mk");
        fs::write(base.join("etc/passwd"), "root:x:0:0::/root:/bin/sh\n").expect("w");
        fs::write(base.join("etc/motd"), "hi").expect("w");
        let lowers = vec![top.clone(), base.clone()];
        let (found, _) = lookup_lower(&lowers, Path::new("etc/passwd")).expect("found");
        assert_eq!(found, base.join("etc/passwd"));
        assert!(lookup_lower(&lowers, Path::new("etc/none")).is_none());
        // A whiteout needs mknod, which needs root: check it only when we have it.
        if nix::sys::stat::mknod(
            &top.join("etc/motd"),
            nix::sys::stat::SFlag::S_IFCHR,
            nix::sys::stat::Mode::empty(),
            0,
        )
        .is_ok()
        {
            assert!(lookup_lower(&lowers, Path::new("etc/motd")).is_none());
        }
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn overlay_is_refused_over_overlay_and_mounts_over_a_plain_directory() {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("skipped: mounting needs root");
            return;
        }
        let d = tempfile::tempdir().expect("tmp");
        assert_eq!(
            try_overlay(d.path()),
            OverlayTry::Works,
            "overlay over {}",
            d.path().display()
        );
        let probes = || {
            fs::read_dir(d.path())
                .map(|entries| entries.count())
                .unwrap_or(usize::MAX)
        };
        assert_eq!(probes(), 0, "the probe cleans up after itself");

        // overlayfs cannot hold an upper layer: the kernel answers EINVAL.
        let [lower, upper, work, merged] = ["lower", "upper", "work", "merged"].map(|n| d.path().join(n));
        for p in [&lower, &upper, &work, &merged] {
            fs::create_dir(p).expect("mkdir");
        }
        let data = format!(
            "lowerdir={},upperdir={},workdir={}",
            lower.display(),
            upper.display(),
            work.display()
        );
        nix::mount::mount(
            Some("overlay"),
            &merged,
            Some("overlay"),
            MsFlags::empty(),
            Some(data.as_str()),
        )
        .expect("outer overlay mounts");
        let refused = try_overlay(&merged);
        let _ = nix::mount::umount2(&merged, MntFlags::MNT_DETACH);
        assert_eq!(refused, OverlayTry::Refused(Errno::EINVAL));
    }
}
