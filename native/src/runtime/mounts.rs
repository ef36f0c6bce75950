//! The mount plan: everything a container's filesystem needs, as data first, then executed.
//!
//! Public API:
//! - [`plan_mounts`]`(&MountInputs) -> Result<MountPlan, MountError>`: a pure function.
//! - [`MountPlan::apply`]`(&self, &dyn Syscall) -> Result<(), MountError>`: runs it in order.
//! - [`MountStep`], [`BindMount`], [`EtcFiles`], [`NetworkMode`], [`DEVICES`].
//!
//! The order is the one runc uses: rootfs, `/proc`, a fresh `/dev`, `/sys`, the generated `/etc`
//! files, the user's volumes, `pivot_root`, then the paths masked from the container.
//!
//! Device nodes: the container's root keeps CAP_MKNOD, as in Docker, so `mknod` and `mkfifo` work.
//! Docker stops such a node from reaching a host device with its devices cgroup, which layerlab
//! does not have; instead every file system the container can write to is `nodev` (the rootfs,
//! `/dev`, volumes), so a node made there (`mknod /x b 8 0`), or shipped in an image layer, cannot
//! be opened. The six nodes of the minimal `/dev` are each bind-mounted over themselves without
//! `nodev`, so `/dev/null` and friends keep working. Dropping CAP_MKNOD instead would have failed
//! `mknod` itself where Docker lets it succeed, and would not have covered nodes from a layer.

use std::path::{Component, Path, PathBuf};

use nix::mount::MsFlags;

use super::rootfs::RootfsMount;
use super::syscall::{Syscall, SyscallError};

/// How the container sees the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NetworkMode {
    /// A new network namespace with only the loopback interface (`--network none`).
    #[default]
    None,
    /// The host's network namespace (`--network host`).
    Host,
}

/// A host path mounted into the container (`-v /src:/dst[:ro]`, `--mount type=bind`, or a named
/// volume's directory, which the engine resolves to a host path first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindMount {
    pub source: PathBuf,
    /// Absolute path inside the container.
    pub destination: PathBuf,
    pub read_only: bool,
}

/// The host files bind-mounted over `/etc/hostname`, `/etc/hosts` and `/etc/resolv.conf`, the way
/// Docker keeps them in the container's own directory rather than in its writable layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcFiles {
    pub hostname: PathBuf,
    pub hosts: PathBuf,
    pub resolv_conf: PathBuf,
}

/// Everything the plan depends on.
#[derive(Debug, Clone)]
pub struct MountInputs<'a> {
    pub rootfs: &'a RootfsMount,
    /// Where the rootfs is mounted and what becomes `/`.
    pub root: &'a Path,
    pub network: NetworkMode,
    /// In a user namespace the kernel refuses mknod and a fresh sysfs without a new network
    /// namespace, so devices are bind-mounted from the host and `/sys` is a read-only bind.
    pub rootless: bool,
    pub etc: &'a EtcFiles,
    pub volumes: &'a [BindMount],
}

/// Where a step acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A host path: only the rootfs mount itself uses this.
    Host(PathBuf),
    /// A path relative to the container's root (before or after `pivot_root`).
    InRoot(PathBuf),
}

/// One action of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountStep {
    /// Make every mount private so nothing done in the container reaches the host, and the
    /// host's later mounts do not appear in the container.
    PrivatePropagation,
    Mount {
        source: Option<PathBuf>,
        target: Place,
        fstype: Option<String>,
        flags: MsFlags,
        data: Option<String>,
    },
    Mkdir {
        path: PathBuf,
        mode: u32,
    },
    CreateFile {
        path: PathBuf,
    },
    /// A character device, made with mknod (root) or bind-mounted from the host (rootless).
    Device {
        path: PathBuf,
        major: u64,
        minor: u64,
        mode: u32,
        bind_from_host: bool,
    },
    Symlink {
        path: PathBuf,
        target: PathBuf,
    },
    PivotRoot,
    /// Hide a kernel interface: `/dev/null` over a file, an empty read-only tmpfs over a
    /// directory. A path the kernel does not have is skipped.
    Mask {
        path: PathBuf,
    },
    /// Bind a path over itself read-only (`/proc/sys` and friends).
    ReadOnly {
        path: PathBuf,
    },
    /// Remount a mount `nodev`, keeping its other flags: device nodes on it cannot be opened.
    NoDevices {
        target: Place,
    },
}

/// A container's filesystem setup, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountPlan {
    /// The directory that becomes `/`.
    pub root: PathBuf,
    pub steps: Vec<MountStep>,
}

#[derive(Debug, thiserror::Error)]
pub enum MountError {
    #[error("invalid mount config for type \"bind\": invalid mount path: '{path}' mount path must be absolute", path = path.display())]
    NotAbsolute { path: PathBuf },
    #[error("invalid mount config for type \"bind\": invalid mount path: '{path}' must not contain '..'", path = path.display())]
    DotDot { path: PathBuf },
    #[error("invalid specification: destination can't be '/'")]
    DestinationIsRoot,
    #[error("invalid mount config for type \"bind\": bind source path does not exist: {path}", path = path.display())]
    SourceMissing { path: PathBuf },
    #[error("overlay option {what} contains '{ch}', which overlayfs cannot take in a path: {path}", path = path.display())]
    OverlayPath {
        what: &'static str,
        ch: char,
        path: PathBuf,
    },
    #[error(
        "overlay mount options are {len} bytes, more than the kernel's {max}: the image has too many layers for one overlay mount"
    )]
    OverlayTooLong { len: usize, max: usize },
    #[error("overlay needs at least one lower layer")]
    NoLayers,
    #[error("setting up mount {step}: {source}")]
    Step {
        step: String,
        #[source]
        source: SyscallError,
    },
}

/// A device node of the minimal `/dev`: (name, major, minor). Mode 0666, like Docker's.
pub const DEVICES: [(&str, u64, u64); 6] = [
    ("null", 1, 3),
    ("zero", 1, 5),
    ("full", 1, 7),
    ("random", 1, 8),
    ("urandom", 1, 9),
    ("tty", 5, 0),
];

/// Docker's masked paths: kernel interfaces a container must not read.
const MASKED: [&str; 9] = [
    "proc/asound",
    "proc/acpi",
    "proc/kcore",
    "proc/keys",
    "proc/latency_stats",
    "proc/timer_list",
    "proc/timer_stats",
    "proc/sched_debug",
    "sys/firmware",
];

/// Docker's read-only paths: kernel knobs a container may read but not turn.
const READ_ONLY: [&str; 5] = [
    "proc/bus",
    "proc/fs",
    "proc/irq",
    "proc/sys",
    "proc/sysrq-trigger",
];

fn rel(p: &str) -> PathBuf {
    PathBuf::from(p)
}

fn mount(source: &str, target: &str, fstype: &str, flags: MsFlags, data: Option<&str>) -> MountStep {
    MountStep::Mount {
        source: Some(PathBuf::from(source)),
        target: Place::InRoot(rel(target)),
        fstype: Some(fstype.to_owned()),
        flags,
        data: data.map(str::to_owned),
    }
}

fn bind(source: &Path, target: PathBuf, flags: MsFlags) -> MountStep {
    MountStep::Mount {
        source: Some(source.to_path_buf()),
        target: Place::InRoot(target),
        fstype: None,
        flags: MsFlags::MS_BIND | flags,
        data: None,
    }
}

fn remount_ro(target: PathBuf, rec: bool) -> MountStep {
    let rec = if rec { MsFlags::MS_REC } else { MsFlags::empty() };
    MountStep::Mount {
        source: None,
        target: Place::InRoot(target),
        fstype: None,
        flags: MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | rec,
        data: None,
    }
}

/// `/a/b` -> `a/b`, refusing relative paths and `..` (Docker refuses them too).
fn container_rel(dest: &Path) -> Result<PathBuf, MountError> {
    if !dest.is_absolute() {
        return Err(MountError::NotAbsolute {
            path: dest.to_path_buf(),
        });
    }
    let mut out = PathBuf::new();
    for c in dest.components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir | Component::Prefix(_) => {
                return Err(MountError::DotDot {
                    path: dest.to_path_buf(),
                });
            }
        }
    }
    if out.as_os_str().is_empty() {
        return Err(MountError::DestinationIsRoot);
    }
    Ok(out)
}

/// Build the plan. Checks what can be checked on data (paths, overlay options, volume sources);
/// the kernel checks the rest when the plan runs.
pub fn plan_mounts(input: &MountInputs<'_>) -> Result<MountPlan, MountError> {
    let nosuid_nodev_noexec = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    let mut steps = vec![MountStep::PrivatePropagation];
    steps.push(input.rootfs.step(input.root)?);
    steps.push(MountStep::NoDevices {
        target: Place::Host(input.root.to_path_buf()),
    });

    steps.push(mount("proc", "proc", "proc", nosuid_nodev_noexec, None));

    steps.push(mount(
        "tmpfs",
        "dev",
        "tmpfs",
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_STRICTATIME,
        Some("mode=755,size=65536k"),
    ));
    for (name, major, minor) in DEVICES {
        steps.push(MountStep::Device {
            path: rel(&format!("dev/{name}")),
            major,
            minor,
            mode: 0o666,
            bind_from_host: input.rootless,
        });
    }
    steps.push(MountStep::Mkdir {
        path: rel("dev/pts"),
        mode: 0o755,
    });
    // gid=5 is the tty group; in a user namespace it is not mapped and the kernel refuses it.
    let pts_opts = if input.rootless {
        "newinstance,ptmxmode=0666,mode=0620"
    } else {
        "newinstance,ptmxmode=0666,mode=0620,gid=5"
    };
    steps.push(mount(
        "devpts",
        "dev/pts",
        "devpts",
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some(pts_opts),
    ));
    steps.push(MountStep::Symlink {
        path: rel("dev/ptmx"),
        target: rel("pts/ptmx"),
    });
    steps.push(MountStep::Mkdir {
        path: rel("dev/shm"),
        mode: 0o1777,
    });
    steps.push(mount(
        "shm",
        "dev/shm",
        "tmpfs",
        nosuid_nodev_noexec,
        Some("mode=1777,size=65536k"),
    ));
    steps.push(MountStep::Mkdir {
        path: rel("dev/mqueue"),
        mode: 0o755,
    });
    steps.push(mount("mqueue", "dev/mqueue", "mqueue", nosuid_nodev_noexec, None));
    for (link, target) in [
        ("dev/fd", "/proc/self/fd"),
        ("dev/stdin", "/proc/self/fd/0"),
        ("dev/stdout", "/proc/self/fd/1"),
        ("dev/stderr", "/proc/self/fd/2"),
        ("dev/core", "/proc/kcore"),
    ] {
        steps.push(MountStep::Symlink {
            path: rel(link),
            target: rel(target),
        });
    }

    // sysfs shows the network devices of the namespace that mounts it, and in a user namespace
    // the kernel only allows it for a network namespace that namespace owns.
    if input.rootless && input.network == NetworkMode::Host {
        steps.push(bind(Path::new("/sys"), rel("sys"), MsFlags::MS_REC));
        steps.push(remount_ro(rel("sys"), true));
    } else {
        steps.push(mount(
            "sysfs",
            "sys",
            "sysfs",
            nosuid_nodev_noexec | MsFlags::MS_RDONLY,
            None,
        ));
    }

    for (host, target) in [
        (&input.etc.hostname, "etc/hostname"),
        (&input.etc.hosts, "etc/hosts"),
        (&input.etc.resolv_conf, "etc/resolv.conf"),
    ] {
        steps.push(bind(host, rel(target), MsFlags::empty()));
    }

    for volume in input.volumes {
        let target = container_rel(&volume.destination)?;
        let meta = std::fs::metadata(&volume.source).map_err(|_| MountError::SourceMissing {
            path: volume.source.clone(),
        })?;
        if meta.is_dir() {
            steps.push(MountStep::Mkdir {
                path: target.clone(),
                mode: 0o755,
            });
        } else {
            if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
                steps.push(MountStep::Mkdir {
                    path: parent.to_path_buf(),
                    mode: 0o755,
                });
            }
            steps.push(MountStep::CreateFile { path: target.clone() });
        }
        steps.push(bind(&volume.source, target.clone(), MsFlags::MS_REC));
        if volume.read_only {
            steps.push(remount_ro(target.clone(), true));
        }
        steps.push(MountStep::NoDevices {
            target: Place::InRoot(target),
        });
    }

    steps.push(MountStep::PivotRoot);
    for path in MASKED {
        steps.push(MountStep::Mask { path: rel(path) });
    }
    for path in READ_ONLY {
        steps.push(MountStep::ReadOnly { path: rel(path) });
    }
    Ok(MountPlan {
        root: input.root.to_path_buf(),
        steps,
    })
}

fn describe(step: &MountStep) -> String {
    match step {
        MountStep::PrivatePropagation => "/ (private)".to_owned(),
        MountStep::Mount { target, .. } | MountStep::NoDevices { target } => match target {
            Place::Host(p) => p.display().to_string(),
            Place::InRoot(p) => format!("/{}", p.display()),
        },
        MountStep::Mkdir { path, .. }
        | MountStep::CreateFile { path }
        | MountStep::Device { path, .. }
        | MountStep::Symlink { path, .. }
        | MountStep::Mask { path }
        | MountStep::ReadOnly { path } => format!("/{}", path.display()),
        MountStep::PivotRoot => "pivot_root".to_owned(),
    }
}

/// The per-mount flags of the mount at `path`, for a bind remount to repeat: such a remount sets
/// all of them at once, and in a user namespace the kernel refuses one that would clear a flag it
/// locked (read-only, nosuid, noexec, the atime flags). A path that cannot be read gives none.
fn mount_flags(path: &Path) -> MsFlags {
    use nix::sys::statvfs::FsFlags;
    let Ok(st) = nix::sys::statvfs::statvfs(path) else {
        return MsFlags::empty();
    };
    let have = st.flags();
    let mut flags = MsFlags::empty();
    for (fs, ms) in [
        (FsFlags::ST_RDONLY, MsFlags::MS_RDONLY),
        (FsFlags::ST_NOSUID, MsFlags::MS_NOSUID),
        (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
        (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
        (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME),
        (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
        (FsFlags::ST_RELATIME, MsFlags::MS_RELATIME),
    ] {
        if have.contains(fs) {
            flags |= ms;
        }
    }
    // Without an atime flag a remount would default to relatime, changing a strictatime mount.
    if !flags.intersects(MsFlags::MS_NOATIME | MsFlags::MS_RELATIME) {
        flags |= MsFlags::MS_STRICTATIME;
    }
    flags
}

impl MountPlan {
    /// Run every step in order, stopping at the first failure.
    pub fn apply(&self, sys: &dyn Syscall) -> Result<(), MountError> {
        let mut root = self.root.clone();
        for step in &self.steps {
            apply_step(sys, &root, step).map_err(|source| MountError::Step {
                step: describe(step),
                source,
            })?;
            if *step == MountStep::PivotRoot {
                root = PathBuf::from("/");
            }
        }
        Ok(())
    }
}

fn apply_step(sys: &dyn Syscall, root: &Path, step: &MountStep) -> Result<(), SyscallError> {
    match step {
        MountStep::PrivatePropagation => sys.mount(
            None,
            Path::new("/"),
            None,
            MsFlags::MS_REC | MsFlags::MS_PRIVATE,
            None,
        ),
        MountStep::Mount {
            source,
            target,
            fstype,
            flags,
            data,
        } => match target {
            Place::Host(t) => sys.mount(source.as_deref(), t, fstype.as_deref(), *flags, data.as_deref()),
            Place::InRoot(t) => sys.mount_in_root(
                root,
                t,
                source.as_deref(),
                fstype.as_deref(),
                *flags,
                data.as_deref(),
            ),
        },
        MountStep::Mkdir { path, mode } => sys.mkdir_in_root(root, path, *mode),
        MountStep::CreateFile { path } => sys.create_file_in_root(root, path),
        MountStep::Device {
            path,
            major,
            minor,
            mode,
            bind_from_host,
        } => {
            if *bind_from_host {
                sys.create_file_in_root(root, path)?;
                let host = Path::new("/").join(path);
                sys.mount_in_root(root, path, Some(&host), None, MsFlags::MS_BIND, None)
            } else {
                sys.mknod_in_root(root, path, *major, *minor, *mode)?;
                // /dev is nodev: the node works only through a mount of its own without it.
                let full = root.join(path);
                sys.mount_in_root(root, path, Some(&full), None, MsFlags::MS_BIND, None)?;
                let flags = mount_flags(&full) - MsFlags::MS_NODEV;
                sys.mount_in_root(
                    root,
                    path,
                    None,
                    None,
                    MsFlags::MS_BIND | MsFlags::MS_REMOUNT | flags,
                    None,
                )
            }
        }
        MountStep::NoDevices { target } => {
            let full = match target {
                Place::Host(p) => p.clone(),
                Place::InRoot(p) => root.join(p),
            };
            let flags = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_NODEV | mount_flags(&full);
            match target {
                Place::Host(p) => sys.mount(None, p, None, flags, None),
                Place::InRoot(p) => sys.mount_in_root(root, p, None, None, flags, None),
            }
        }
        MountStep::Symlink { path, target } => sys.symlink_in_root(root, path, target),
        MountStep::PivotRoot => sys.pivot_root(root),
        MountStep::Mask { path } => {
            // What is there decides how it is hidden; what is missing needs no hiding.
            let full = root.join(path);
            match std::fs::symlink_metadata(&full) {
                Ok(m) if m.is_dir() => sys.mount_in_root(
                    root,
                    path,
                    Some(Path::new("tmpfs")),
                    Some("tmpfs"),
                    MsFlags::MS_RDONLY,
                    None,
                ),
                Ok(_) => sys.mount_in_root(
                    root,
                    path,
                    Some(Path::new("/dev/null")),
                    None,
                    MsFlags::MS_BIND,
                    None,
                ),
                Err(_) => Ok(()),
            }
        }
        MountStep::ReadOnly { path } => {
            if std::fs::symlink_metadata(root.join(path)).is_err() {
                return Ok(());
            }
            sys.mount_in_root(
                root,
                path,
                Some(&root.join(path)),
                None,
                MsFlags::MS_BIND | MsFlags::MS_REC,
                None,
            )?;
            sys.mount_in_root(
                root,
                path,
                None,
                None,
                MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | MsFlags::MS_REC,
                None,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::syscall::{Call, RecordingSyscall};
    use nix::errno::Errno;

    fn etc() -> EtcFiles {
        EtcFiles {
            hostname: "/state/hostname".into(),
            hosts: "/state/hosts".into(),
            resolv_conf: "/state/resolv.conf".into(),
        }
    }

    fn overlay() -> RootfsMount {
        RootfsMount::Overlay {
            lowers: vec!["/snap/top".into(), "/snap/base".into()],
            upper: "/c/upper".into(),
            work: "/c/work".into(),
            userxattr: false,
            volatile: false,
        }
    }

    fn plan_with(rootless: bool, network: NetworkMode, volumes: &[BindMount]) -> MountPlan {
        let rootfs = overlay();
        let etc = etc();
        plan_mounts(&MountInputs {
            rootfs: &rootfs,
            root: Path::new("/c/merged"),
            network,
            rootless,
            etc: &etc,
            volumes,
        })
        .expect("plan")
    }

    fn position(plan: &MountPlan, pred: impl Fn(&MountStep) -> bool) -> usize {
        plan.steps.iter().position(pred).expect("step present")
    }

    fn mounts_at(plan: &MountPlan, path: &str) -> bool {
        plan.steps
            .iter()
            .any(|s| matches!(s, MountStep::Mount { target: Place::InRoot(p), .. } if p == Path::new(path)))
    }

    #[test]
    fn overlay_rootfs_comes_first_with_lowers_nearest_first() {
        let plan = plan_with(false, NetworkMode::None, &[]);
        assert_eq!(plan.steps[0], MountStep::PrivatePropagation);
        assert_eq!(
            plan.steps[1],
            MountStep::Mount {
                source: Some("overlay".into()),
                target: Place::Host("/c/merged".into()),
                fstype: Some("overlay".into()),
                flags: MsFlags::empty(),
                data: Some("lowerdir=/snap/top:/snap/base,upperdir=/c/upper,workdir=/c/work".into()),
            }
        );
    }

    #[test]
    fn kernel_filesystems_are_mounted_before_pivot_and_masks_after() {
        let plan = plan_with(false, NetworkMode::None, &[]);
        let pivot = position(&plan, |s| *s == MountStep::PivotRoot);
        for path in ["proc", "dev", "dev/pts", "dev/shm", "sys", "etc/hosts"] {
            let at = position(
                &plan,
                |s| matches!(s, MountStep::Mount { target: Place::InRoot(p), .. } if p == Path::new(path)),
            );
            assert!(at < pivot, "{path} mounted after pivot_root");
        }
        let mask = position(&plan, |s| matches!(s, MountStep::Mask { .. }));
        assert!(mask > pivot);
        // /dev is a fresh tmpfs with real device nodes when we are root.
        let devices: Vec<_> = plan
            .steps
            .iter()
            .filter_map(|s| match s {
                MountStep::Device {
                    path,
                    bind_from_host: false,
                    mode: 0o666,
                    ..
                } => Some(path.display().to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(
            devices,
            [
                "dev/null",
                "dev/zero",
                "dev/full",
                "dev/random",
                "dev/urandom",
                "dev/tty"
            ]
        );
        let sys_ro = plan.steps.iter().any(|s| {
            matches!(s, MountStep::Mount { fstype: Some(t), flags, .. }
                if t == "sysfs" && flags.contains(MsFlags::MS_RDONLY))
        });
        assert!(sys_ro, "sysfs must be read-only");
    }

    #[test]
    fn rootless_binds_devices_and_drops_the_tty_gid() {
        let plan = plan_with(true, NetworkMode::Host, &[]);
        assert!(plan.steps.iter().all(|s| !matches!(
            s,
            MountStep::Device {
                bind_from_host: false,
                ..
            }
        )));
        let pts = plan.steps.iter().find_map(|s| match s {
            MountStep::Mount {
                fstype: Some(t),
                data,
                ..
            } if t == "devpts" => data.clone(),
            _ => None,
        });
        assert_eq!(pts.as_deref(), Some("newinstance,ptmxmode=0666,mode=0620"));
        // Host network in a user namespace: /sys is the host's, bound read-only.
        assert!(
            !plan
                .steps
                .iter()
                .any(|s| matches!(s, MountStep::Mount { fstype: Some(t), .. } if t == "sysfs"))
        );
        assert!(mounts_at(&plan, "sys"));
    }

    #[test]
    fn volumes_get_a_target_and_read_only_remount() {
        let dir = std::env::temp_dir();
        let vols = [BindMount {
            source: dir.clone(),
            destination: "/data/in".into(),
            read_only: true,
        }];
        let plan = plan_with(false, NetworkMode::None, &vols);
        let mk = position(
            &plan,
            |s| matches!(s, MountStep::Mkdir { path, .. } if path == Path::new("data/in")),
        );
        let b = position(&plan, |s| {
            matches!(s, MountStep::Mount { source: Some(src), flags, .. }
                if *src == dir && flags.contains(MsFlags::MS_BIND))
        });
        let ro = position(&plan, |s| {
            matches!(s, MountStep::Mount { flags, target: Place::InRoot(p), .. }
                if p == Path::new("data/in") && flags.contains(MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY))
        });
        assert!(mk < b && b < ro);
    }

    #[test]
    fn bad_volume_destinations_are_refused_with_dockers_words() {
        let rootfs = overlay();
        let etc = etc();
        for (dest, want) in [
            ("relative", "mount path must be absolute"),
            ("/a/../../etc", "must not contain '..'"),
            ("/", "destination can't be '/'"),
        ] {
            let vols = [BindMount {
                source: std::env::temp_dir(),
                destination: dest.into(),
                read_only: false,
            }];
            let err = plan_mounts(&MountInputs {
                rootfs: &rootfs,
                root: Path::new("/m"),
                network: NetworkMode::None,
                rootless: false,
                etc: &etc,
                volumes: &vols,
            })
            .expect_err("must fail");
            assert!(err.to_string().contains(want), "{dest}: {err}");
        }
        let vols = [BindMount {
            source: "/no/such/dir/anywhere".into(),
            destination: "/x".into(),
            read_only: false,
        }];
        let err = plan_mounts(&MountInputs {
            rootfs: &rootfs,
            root: Path::new("/m"),
            network: NetworkMode::None,
            rootless: false,
            etc: &etc,
            volumes: &vols,
        })
        .expect_err("must fail");
        assert_eq!(
            err.to_string(),
            "invalid mount config for type \"bind\": bind source path does not exist: /no/such/dir/anywhere"
        );
    }

    #[test]
    fn apply_switches_root_after_pivot_and_stops_at_the_first_failure() {
        let plan = plan_with(false, NetworkMode::None, &[]);
        let sys = RecordingSyscall::new();
        plan.apply(&sys).expect("recorded");
        let calls = sys.calls();
        let pivot = calls
            .iter()
            .position(|c| matches!(c, Call::PivotRoot { .. }))
            .expect("pivot");
        assert!(calls[..pivot].iter().all(|c| match c {
            Call::MountInRoot { root, .. } | Call::Mknod { root, .. } => root == Path::new("/c/merged"),
            _ => true,
        }));
        assert!(matches!(&calls[3], Call::MountInRoot { rel, fstype: Some(t), .. }
            if rel == Path::new("proc") && t == "proc"));

        let failing = RecordingSyscall::failing_at(3, Errno::EPERM);
        let err = plan.apply(&failing).expect_err("must fail");
        assert_eq!(failing.calls().len(), 4);
        assert!(err.to_string().starts_with("setting up mount /proc:"), "{err}");
    }

    #[test]
    fn writable_mounts_are_nodev_and_only_the_dev_nodes_themselves_are_not() {
        let vols = [BindMount {
            source: std::env::temp_dir(),
            destination: "/data".into(),
            read_only: false,
        }];
        let plan = plan_with(false, NetworkMode::None, &vols);
        assert_eq!(
            plan.steps[2],
            MountStep::NoDevices {
                target: Place::Host("/c/merged".into())
            },
            "the rootfs is nodev right after it is mounted"
        );
        assert!(plan.steps.contains(&MountStep::NoDevices {
            target: Place::InRoot("data".into())
        }));
        let dev_flags = plan.steps.iter().find_map(|s| match s {
            MountStep::Mount {
                target: Place::InRoot(p),
                flags,
                ..
            } if p == Path::new("dev") => Some(*flags),
            _ => None,
        });
        assert!(dev_flags.is_some_and(|f| f.contains(MsFlags::MS_NODEV)));

        // Each device node: made, bound over itself, remounted without nodev.
        let sys = RecordingSyscall::new();
        plan.apply(&sys).expect("recorded");
        let calls = sys.calls();
        let null = calls
            .iter()
            .position(|c| matches!(c, Call::Mknod { rel, .. } if rel == Path::new("dev/null")))
            .expect("mknod /dev/null");
        let (bind, remount) = (&calls[null + 1], &calls[null + 2]);
        assert!(
            matches!(bind, Call::MountInRoot { rel, source: Some(src), flags, .. }
                if rel == Path::new("dev/null") && src == Path::new("/c/merged/dev/null")
                    && *flags == MsFlags::MS_BIND),
            "{bind:?}"
        );
        assert!(
            matches!(remount, Call::MountInRoot { rel, flags, .. }
                if rel == Path::new("dev/null")
                    && flags.contains(MsFlags::MS_BIND | MsFlags::MS_REMOUNT)
                    && !flags.contains(MsFlags::MS_NODEV)),
            "{remount:?}"
        );
    }
}
