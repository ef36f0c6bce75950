//! The OS calls the runtime makes while it sets up a container's filesystem, behind one small
//! trait so that the mount plan can be checked without root.
//!
//! Public API:
//! - [`Syscall`]: mount, mkdir/mknod/symlink/create inside the root, pivot_root, sethostname.
//! - [`LinuxSyscall`]: the real thing (`nix`). Every path inside the container is resolved with
//!   `openat2(RESOLVE_IN_ROOT)` and acted on through the file descriptor, so a symlink planted in
//!   an image or in the container layer can never point a mount at the host.
//! - [`RecordingSyscall`] and [`Call`]: a double that records what would have been done.
//! - [`SyscallError`]: which call failed, on which path, with the OS error.
//!
//! The trait is the shape of youki's `Syscall`: the plan logic is tested against the recorder,
//! and the one implementation that touches the kernel stays short.

use std::cell::RefCell;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Component, Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{OFlag, OpenHow, ResolveFlag};
use nix::mount::MsFlags;
use nix::sys::stat::{Mode, SFlag};

/// A failed OS call: which one, on what, and why.
#[derive(Debug, thiserror::Error)]
pub enum SyscallError {
    #[error("{call} {path}: {errno}", path = path.display(), errno = errno.desc())]
    Os {
        call: &'static str,
        path: PathBuf,
        errno: Errno,
    },
    #[error("{path} is a symlink: refusing to {action} through it", path = path.display())]
    Symlink { path: PathBuf, action: &'static str },
    #[error("{path} is not a plain relative path inside the container", path = path.display())]
    NotInRoot { path: PathBuf },
}

impl SyscallError {
    /// The OS error behind this failure, if there was one.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            SyscallError::Os { errno, .. } => Some(*errno),
            _ => None,
        }
    }
}

/// What the runtime asks of the kernel while it builds a container's filesystem.
///
/// `root` is the directory that will become `/` (before `pivot_root`), or `/` itself (after).
/// Paths called `rel` are relative to it and are resolved as if `root` were `/`.
pub trait Syscall {
    /// `mount(2)` with both ends on the host side (the rootfs itself, propagation changes).
    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> Result<(), SyscallError>;
    /// `mount(2)` onto a path inside the root; refuses if the final component is a symlink.
    fn mount_in_root(
        &self,
        root: &Path,
        rel: &Path,
        source: Option<&Path>,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> Result<(), SyscallError>;
    /// `mkdir -p` inside the root; existing directories are fine.
    fn mkdir_in_root(&self, root: &Path, rel: &Path, mode: u32) -> Result<(), SyscallError>;
    /// Make an empty regular file (a bind-mount target) inside the root if none is there.
    fn create_file_in_root(&self, root: &Path, rel: &Path) -> Result<(), SyscallError>;
    /// `mknod(2)` of a character device inside the root.
    fn mknod_in_root(
        &self,
        root: &Path,
        rel: &Path,
        major: u64,
        minor: u64,
        mode: u32,
    ) -> Result<(), SyscallError>;
    /// `symlink(2)` inside the root: `rel` is the link, `target` its (unresolved) contents.
    fn symlink_in_root(&self, root: &Path, rel: &Path, target: &Path) -> Result<(), SyscallError>;
    /// Make `new_root` the process's `/` and detach the old root entirely.
    fn pivot_root(&self, new_root: &Path) -> Result<(), SyscallError>;
    fn sethostname(&self, name: &str) -> Result<(), SyscallError>;
}

/// The kernel, through `nix`.
#[derive(Debug, Default, Clone, Copy)]
pub struct LinuxSyscall;

fn os(call: &'static str, path: &Path) -> impl FnOnce(Errno) -> SyscallError {
    move |errno| SyscallError::Os {
        call,
        path: path.to_path_buf(),
        errno,
    }
}

/// Only `a/b/c` shapes are accepted: `..` and absolute paths are refused rather than cleaned,
/// because the plan builds these paths itself and anything else is a bug or an attack.
fn check_rel(rel: &Path) -> Result<(), SyscallError> {
    let plain = rel.components().all(|c| matches!(c, Component::Normal(_)));
    if plain && rel.components().next().is_some() {
        Ok(())
    } else {
        Err(SyscallError::NotInRoot {
            path: rel.to_path_buf(),
        })
    }
}

fn open_root(root: &Path) -> Result<OwnedFd, SyscallError> {
    nix::fcntl::open(
        root,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(os("open", root))
}

/// Resolve `rel` with the root as `/`: symlinks inside it are followed but cannot climb out, and
/// `/proc/self/fd` style magic links are refused.
fn open_in_root(root: &OwnedFd, rel: &Path, flags: OFlag) -> Result<OwnedFd, Errno> {
    let how = OpenHow::new()
        .flags(flags | OFlag::O_CLOEXEC)
        .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS);
    nix::fcntl::openat2(root, rel, how)
}

/// The parent directory of `rel` (resolved in-root) and the last component's name.
fn open_parent(root: &OwnedFd, rel: &Path) -> Result<(OwnedFd, PathBuf), SyscallError> {
    let name = rel
        .file_name()
        .map(PathBuf::from)
        .ok_or_else(|| SyscallError::NotInRoot {
            path: rel.to_path_buf(),
        })?;
    let parent = match rel.parent() {
        Some(p) if !p.as_os_str().is_empty() => {
            open_in_root(root, p, OFlag::O_PATH | OFlag::O_DIRECTORY).map_err(os("open", rel))?
        }
        _ => {
            open_in_root(root, Path::new("."), OFlag::O_PATH | OFlag::O_DIRECTORY).map_err(os("open", rel))?
        }
    };
    Ok((parent, name))
}

fn fd_path(fd: &OwnedFd) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()))
}

impl Syscall for LinuxSyscall {
    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> Result<(), SyscallError> {
        nix::mount::mount(source, target, fstype, flags, data).map_err(os("mount", target))
    }

    fn mount_in_root(
        &self,
        root: &Path,
        rel: &Path,
        source: Option<&Path>,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> Result<(), SyscallError> {
        check_rel(rel)?;
        let rootfd = open_root(root)?;
        // O_NOFOLLOW with O_PATH opens a final symlink itself instead of following it, so the
        // check below sees it (CVE-2021-30465: a destination swapped for a symlink).
        let fd = open_in_root(&rootfd, rel, OFlag::O_PATH | OFlag::O_NOFOLLOW).map_err(os("open", rel))?;
        let st = nix::sys::stat::fstat(&fd).map_err(os("stat", rel))?;
        if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFLNK {
            return Err(SyscallError::Symlink {
                path: rel.to_path_buf(),
                action: "mount",
            });
        }
        nix::mount::mount(source, &fd_path(&fd), fstype, flags, data).map_err(os("mount", rel))
    }

    fn mkdir_in_root(&self, root: &Path, rel: &Path, mode: u32) -> Result<(), SyscallError> {
        check_rel(rel)?;
        let rootfd = open_root(root)?;
        let mut done = PathBuf::new();
        for part in rel.components() {
            let parent = if done.as_os_str().is_empty() {
                open_in_root(&rootfd, Path::new("."), OFlag::O_PATH | OFlag::O_DIRECTORY)
            } else {
                open_in_root(&rootfd, &done, OFlag::O_PATH | OFlag::O_DIRECTORY)
            }
            .map_err(os("open", &done))?;
            done.push(part);
            match nix::sys::stat::mkdirat(&parent, part.as_os_str(), Mode::from_bits_truncate(mode)) {
                Ok(()) | Err(Errno::EEXIST) => {}
                Err(e) => return Err(os("mkdir", &done)(e)),
            }
        }
        // An existing non-directory (or a symlink to one) must not pass for the directory.
        open_in_root(&rootfd, rel, OFlag::O_PATH | OFlag::O_DIRECTORY)
            .map(drop)
            .map_err(os("mkdir", rel))
    }

    fn create_file_in_root(&self, root: &Path, rel: &Path) -> Result<(), SyscallError> {
        check_rel(rel)?;
        let rootfd = open_root(root)?;
        let (parent, name) = open_parent(&rootfd, rel)?;
        match nix::fcntl::openat(
            &parent,
            &name,
            OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_WRONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::from_bits_truncate(0o644),
        ) {
            Ok(_) | Err(Errno::EEXIST) => Ok(()),
            Err(e) => Err(os("create", rel)(e)),
        }
    }

    fn mknod_in_root(
        &self,
        root: &Path,
        rel: &Path,
        major: u64,
        minor: u64,
        mode: u32,
    ) -> Result<(), SyscallError> {
        check_rel(rel)?;
        let rootfd = open_root(root)?;
        let (parent, name) = open_parent(&rootfd, rel)?;
        let dev = nix::sys::stat::makedev(major, minor);
        nix::sys::stat::mknodat(
            &parent,
            &name,
            SFlag::S_IFCHR,
            Mode::from_bits_truncate(mode),
            dev,
        )
        .map_err(os("mknod", rel))?;
        // mknod is filtered by the umask; devices must carry exactly the mode asked for.
        nix::sys::stat::fchmodat(
            &parent,
            &name,
            Mode::from_bits_truncate(mode),
            nix::sys::stat::FchmodatFlags::FollowSymlink,
        )
        .map_err(os("chmod", rel))
    }

    fn symlink_in_root(&self, root: &Path, rel: &Path, target: &Path) -> Result<(), SyscallError> {
        check_rel(rel)?;
        let rootfd = open_root(root)?;
        let (parent, name) = open_parent(&rootfd, rel)?;
        match nix::unistd::symlinkat(target, parent.as_fd(), &name) {
            Ok(()) | Err(Errno::EEXIST) => Ok(()),
            Err(e) => Err(os("symlink", rel)(e)),
        }
    }

    fn pivot_root(&self, new_root: &Path) -> Result<(), SyscallError> {
        // pivot_root(".", ".") stacks the old root on top of the new one at "/"; unmounting "/"
        // with MNT_DETACH then drops the old root without needing a directory to park it in
        // (the approach runc and crun take).
        nix::unistd::chdir(new_root).map_err(os("chdir", new_root))?;
        nix::unistd::pivot_root(".", ".").map_err(os("pivot_root", new_root))?;
        // Keep the unmount of the old root from propagating anywhere.
        nix::mount::mount(
            None::<&str>,
            "/",
            None::<&str>,
            MsFlags::MS_SLAVE | MsFlags::MS_REC,
            None::<&str>,
        )
        .map_err(os("mount", Path::new("/")))?;
        nix::mount::umount2(".", nix::mount::MntFlags::MNT_DETACH).map_err(os("umount", Path::new("/")))?;
        nix::unistd::chdir("/").map_err(os("chdir", Path::new("/")))
    }

    fn sethostname(&self, name: &str) -> Result<(), SyscallError> {
        nix::unistd::sethostname(name).map_err(os("sethostname", Path::new(name)))
    }
}

/// One call the recorder saw, with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Mount {
        source: Option<PathBuf>,
        target: PathBuf,
        fstype: Option<String>,
        flags: MsFlags,
        data: Option<String>,
    },
    MountInRoot {
        root: PathBuf,
        rel: PathBuf,
        source: Option<PathBuf>,
        fstype: Option<String>,
        flags: MsFlags,
        data: Option<String>,
    },
    Mkdir {
        root: PathBuf,
        rel: PathBuf,
        mode: u32,
    },
    CreateFile {
        root: PathBuf,
        rel: PathBuf,
    },
    Mknod {
        root: PathBuf,
        rel: PathBuf,
        major: u64,
        minor: u64,
        mode: u32,
    },
    Symlink {
        root: PathBuf,
        rel: PathBuf,
        target: PathBuf,
    },
    PivotRoot {
        new_root: PathBuf,
    },
    SetHostname {
        name: String,
    },
}

/// Records every call instead of making it; optionally fails the n-th call (0-based) with an
/// errno, to test how failures surface.
#[derive(Debug, Default)]
pub struct RecordingSyscall {
    calls: RefCell<Vec<Call>>,
    fail_at: Option<(usize, Errno)>,
}

impl RecordingSyscall {
    pub fn new() -> Self {
        Self::default()
    }

    /// A recorder whose `index`-th call fails with `errno`.
    pub fn failing_at(index: usize, errno: Errno) -> Self {
        Self {
            calls: RefCell::default(),
            fail_at: Some((index, errno)),
        }
    }

    /// Everything recorded so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.borrow().clone()
    }

    fn record(&self, call: Call) -> Result<(), SyscallError> {
        let mut calls = self.calls.borrow_mut();
        let index = calls.len();
        calls.push(call);
        match self.fail_at {
            Some((at, errno)) if at == index => Err(SyscallError::Os {
                call: "recorded",
                path: PathBuf::from(format!("call #{index}")),
                errno,
            }),
            _ => Ok(()),
        }
    }
}

impl Syscall for RecordingSyscall {
    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> Result<(), SyscallError> {
        self.record(Call::Mount {
            source: source.map(Path::to_path_buf),
            target: target.to_path_buf(),
            fstype: fstype.map(str::to_owned),
            flags,
            data: data.map(str::to_owned),
        })
    }

    fn mount_in_root(
        &self,
        root: &Path,
        rel: &Path,
        source: Option<&Path>,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> Result<(), SyscallError> {
        check_rel(rel)?;
        self.record(Call::MountInRoot {
            root: root.to_path_buf(),
            rel: rel.to_path_buf(),
            source: source.map(Path::to_path_buf),
            fstype: fstype.map(str::to_owned),
            flags,
            data: data.map(str::to_owned),
        })
    }

    fn mkdir_in_root(&self, root: &Path, rel: &Path, mode: u32) -> Result<(), SyscallError> {
        check_rel(rel)?;
        self.record(Call::Mkdir {
            root: root.to_path_buf(),
            rel: rel.to_path_buf(),
            mode,
        })
    }

    fn create_file_in_root(&self, root: &Path, rel: &Path) -> Result<(), SyscallError> {
        check_rel(rel)?;
        self.record(Call::CreateFile {
            root: root.to_path_buf(),
            rel: rel.to_path_buf(),
        })
    }

    fn mknod_in_root(
        &self,
        root: &Path,
        rel: &Path,
        major: u64,
        minor: u64,
        mode: u32,
    ) -> Result<(), SyscallError> {
        check_rel(rel)?;
        self.record(Call::Mknod {
            root: root.to_path_buf(),
            rel: rel.to_path_buf(),
            major,
            minor,
            mode,
        })
    }

    fn symlink_in_root(&self, root: &Path, rel: &Path, target: &Path) -> Result<(), SyscallError> {
        check_rel(rel)?;
        self.record(Call::Symlink {
            root: root.to_path_buf(),
            rel: rel.to_path_buf(),
            target: target.to_path_buf(),
        })
    }

    fn pivot_root(&self, new_root: &Path) -> Result<(), SyscallError> {
        self.record(Call::PivotRoot {
            new_root: new_root.to_path_buf(),
        })
    }

    fn sethostname(&self, name: &str) -> Result<(), SyscallError> {
        self.record(Call::SetHostname {
            name: name.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_only() {
        assert!(check_rel(Path::new("dev/null")).is_ok());
        for bad in ["/dev/null", "../etc", "dev/../../x", "", "./dev"] {
            assert!(
                matches!(check_rel(Path::new(bad)), Err(SyscallError::NotInRoot { .. })),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn recorder_fails_the_chosen_call() {
        let sys = RecordingSyscall::failing_at(1, Errno::EPERM);
        assert!(sys.sethostname("a").is_ok());
        let err = sys.sethostname("b").expect_err("must fail");
        assert_eq!(err.errno(), Some(Errno::EPERM));
        assert_eq!(sys.calls().len(), 2);
    }
}
