//! What runs in the container: the command line, environment, working directory and user, and
//! how its end is reported as an exit code.
//!
//! Public API:
//! - [`ProcessSpec`]: entrypoint, cmd, env, workdir, user spec.
//! - [`command_line`]`(entrypoint, cmd) -> Vec<String>`: Docker's combination rule.
//! - [`container_env`]`(hostname, image_and_user_env, home) -> Vec<String>`: Docker's order.
//! - [`lookup_command`]: find the program in the container's `PATH`; [`look_path`]: the same,
//!   and a name with a `/` checked first, as runc does.
//! - [`ExitCode`] and the constants [`EXIT_RUNTIME`] (125), [`EXIT_CANNOT_INVOKE`] (126),
//!   [`EXIT_NOT_FOUND`] (127); [`exit_code_from_status`] maps signals to 128+n.

use std::path::{Path, PathBuf};

use nix::errno::Errno;

/// The runtime (or the engine) failed before the command could start.
pub const EXIT_RUNTIME: i32 = 125;
/// The command exists but cannot be run (not executable, a directory, bad format).
pub const EXIT_CANNOT_INVOKE: i32 = 126;
/// The command does not exist.
pub const EXIT_NOT_FOUND: i32 = 127;

/// The `PATH` Docker gives a Linux container whose image sets none.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// An exit code as `docker run` / `docker wait` report it.
pub type ExitCode = i32;

/// The process to run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessSpec {
    /// The image's `Entrypoint`, or `--entrypoint` (which Docker lets replace it).
    pub entrypoint: Vec<String>,
    /// The image's `Cmd`, or the arguments after the image name.
    pub cmd: Vec<String>,
    /// The image's `Env` followed by `-e` values (later ones win).
    pub env: Vec<String>,
    /// Absolute, or empty for `/`.
    pub workdir: String,
    /// `-u`, or the image's `User`; empty means root.
    pub user: String,
}

/// Docker's rule: the entrypoint, then the cmd as its arguments; with no entrypoint the cmd is
/// the whole command line.
pub fn command_line(entrypoint: &[String], cmd: &[String]) -> Vec<String> {
    entrypoint.iter().chain(cmd).cloned().collect()
}

fn key(var: &str) -> &str {
    var.split_once('=').map_or(var, |(k, _)| k)
}

/// The environment the process starts with, in Docker's order: `PATH` (default), `HOSTNAME`,
/// then the image's and the user's variables replacing same-named ones or appended, and `HOME`
/// last if nobody set it (runc adds it from the passwd entry).
pub fn container_env(hostname: &str, env: &[String], home: &str) -> Vec<String> {
    let mut out = vec![format!("PATH={DEFAULT_PATH}"), format!("HOSTNAME={hostname}")];
    for var in env {
        let k = key(var);
        match out.iter_mut().find(|e| key(e) == k) {
            Some(slot) => slot.clone_from(var),
            None => out.push(var.clone()),
        }
    }
    if !out.iter().any(|e| key(e) == "HOME") {
        out.push(format!("HOME={home}"));
    }
    out
}

/// Why a command could not be started, in runc's words: `exec: "<name>": ...` where Go's
/// `exec.LookPath` refused the name, `exec <path>: ...` where `execve` failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ExecError {
    #[error("exec: {name:?}: executable file not found in $PATH")]
    NotInPath { name: String },
    /// A name with a `/` that cannot be stat'ed.
    #[error("exec: {name:?}: stat {name}: {}", go_errno(*errno))]
    Stat { name: String, errno: Errno },
    /// A name with a `/` that is a directory or has no execute bit.
    #[error("exec: {name:?}: permission denied")]
    NotExecutable { name: String },
    #[error("exec {path}: no such file or directory", path = path.display())]
    NoSuchFile { path: PathBuf },
    #[error("exec {path}: permission denied", path = path.display())]
    PermissionDenied { path: PathBuf },
    #[error("exec {path}: exec format error", path = path.display())]
    Format { path: PathBuf },
    #[error("exec {path}: {reason}", path = path.display())]
    Other { path: PathBuf, reason: String },
    #[error("no command specified")]
    NoCommand,
}

impl ExecError {
    /// Docker's exit code for this failure.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            ExecError::NotInPath { .. } | ExecError::NoSuchFile { .. } => EXIT_NOT_FOUND,
            ExecError::Stat {
                errno: Errno::ENOENT | Errno::ENOTDIR,
                ..
            } => EXIT_NOT_FOUND,
            ExecError::Stat {
                errno: Errno::EACCES, ..
            } => EXIT_CANNOT_INVOKE,
            ExecError::NotExecutable { .. }
            | ExecError::PermissionDenied { .. }
            | ExecError::Format { .. } => EXIT_CANNOT_INVOKE,
            ExecError::Stat { .. } | ExecError::Other { .. } | ExecError::NoCommand => EXIT_RUNTIME,
        }
    }

    /// Classify the errno of a failed `execve`.
    pub fn from_errno(path: &Path, errno: Errno) -> Self {
        let path = path.to_path_buf();
        match errno {
            Errno::ENOENT | Errno::ENOTDIR => ExecError::NoSuchFile { path },
            Errno::EACCES | Errno::EPERM | Errno::EISDIR => ExecError::PermissionDenied { path },
            Errno::ENOEXEC => ExecError::Format { path },
            e => ExecError::Other {
                path,
                reason: go_errno(e),
            },
        }
    }
}

/// An errno as Go's `syscall.Errno` prints it (runc is written in Go): the C library's text
/// with a lower-case first letter ("no such file or directory").
fn go_errno(errno: Errno) -> String {
    let text = errno.desc();
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |first| first.to_lowercase().chain(chars).collect())
}

/// Find `name` the way Go's `exec.LookPath` (and so runc) does: a name with a `/` is used as
/// is; otherwise the first `PATH` entry holding an executable regular file wins, and a name
/// found nowhere is "not found" even if a non-executable file of that name exists.
/// `is_executable` is injected so this is testable without a filesystem.
pub fn lookup_command(
    name: &str,
    env: &[String],
    is_executable: impl Fn(&Path) -> bool,
) -> Result<PathBuf, ExecError> {
    if name.is_empty() {
        return Err(ExecError::NoCommand);
    }
    if name.contains('/') {
        return Ok(PathBuf::from(name));
    }
    let path = env
        .iter()
        .rev()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or(DEFAULT_PATH);
    path.split(':')
        .map(|dir| if dir.is_empty() { "." } else { dir })
        .map(|dir| Path::new(dir).join(name))
        .find(|p| is_executable(p))
        .ok_or_else(|| ExecError::NotInPath {
            name: name.to_owned(),
        })
}

/// [`lookup_command`], with a name holding a `/` checked first the way Go's `exec.LookPath`
/// (and so runc) checks it, so that a missing or non-executable file is reported in runc's
/// words before any `execve`. `probe` stats a path: `Ok(true)` for something other than a
/// directory with an execute bit, `Ok(false)` for anything else that exists, the errno when the
/// stat fails.
pub fn look_path(
    name: &str,
    env: &[String],
    probe: impl Fn(&Path) -> Result<bool, Errno>,
) -> Result<PathBuf, ExecError> {
    if !name.contains('/') {
        return lookup_command(name, env, |p| probe(p).unwrap_or(false));
    }
    match probe(Path::new(name)) {
        Ok(true) => Ok(PathBuf::from(name)),
        Ok(false) => Err(ExecError::NotExecutable {
            name: name.to_owned(),
        }),
        Err(errno) => Err(ExecError::Stat {
            name: name.to_owned(),
            errno,
        }),
    }
}

/// A wait status as an exit code: the process's own code, or 128+n when signal n killed it.
pub fn exit_code_from_status(status: nix::sys::wait::WaitStatus) -> Option<ExitCode> {
    use nix::sys::wait::WaitStatus;
    match status {
        WaitStatus::Exited(_, code) => Some(code),
        WaitStatus::Signaled(_, sig, _) => Some(128 + sig as i32),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::signal::Signal;
    use nix::sys::wait::WaitStatus;
    use nix::unistd::Pid;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn entrypoint_and_cmd_combine_like_docker() {
        assert_eq!(command_line(&[], &v(&["sh"])), v(&["sh"]));
        assert_eq!(
            command_line(&v(&["/app/run.sh", "--x"]), &v(&["serve"])),
            v(&["/app/run.sh", "--x", "serve"])
        );
        assert!(command_line(&[], &[]).is_empty());
    }

    #[test]
    fn env_order_and_overrides() {
        let env = container_env(
            "abc123def456",
            &v(&["PATH=/bin", "A=1", "HOSTNAME=mine", "A=2"]),
            "/root",
        );
        assert_eq!(env, v(&["PATH=/bin", "HOSTNAME=mine", "A=2", "HOME=/root"]));
        let env = container_env("h", &v(&["HOME=/x"]), "/root");
        assert_eq!(
            env,
            v(&[&format!("PATH={DEFAULT_PATH}"), "HOSTNAME=h", "HOME=/x"])
        );
    }

    #[test]
    fn lookup_in_the_containers_path() {
        let exe = |p: &Path| p == Path::new("/bin/sh") || p == Path::new("/usr/bin/sh");
        let env = v(&["PATH=/usr/bin:/bin"]);
        assert_eq!(lookup_command("sh", &env, exe), Ok(PathBuf::from("/usr/bin/sh")));
        assert_eq!(
            lookup_command("nosuch", &env, exe),
            Err(ExecError::NotInPath {
                name: "nosuch".into()
            })
        );
        assert_eq!(lookup_command("./x", &env, exe), Ok(PathBuf::from("./x")));
        let err = lookup_command("nosuch", &env, exe).expect_err("must fail");
        assert_eq!(err.exit_code(), EXIT_NOT_FOUND);
        assert_eq!(
            err.to_string(),
            "exec: \"nosuch\": executable file not found in $PATH"
        );
    }

    #[test]
    fn a_name_with_a_slash_is_checked_as_runc_checks_it() {
        let probe = |p: &Path| match p.to_str() {
            Some("/bin/sh") => Ok(true),
            Some("/etc/passwd") => Ok(false),
            Some("/etc/passwd/x") => Err(Errno::ENOTDIR),
            _ => Err(Errno::ENOENT),
        };
        let env = v(&["PATH=/bin"]);
        assert_eq!(look_path("/bin/sh", &env, probe), Ok(PathBuf::from("/bin/sh")));
        let err = look_path("/no/such", &env, probe).expect_err("missing");
        assert_eq!(
            err.to_string(),
            "exec: \"/no/such\": stat /no/such: no such file or directory"
        );
        assert_eq!(err.exit_code(), EXIT_NOT_FOUND);
        let err = look_path("/etc/passwd", &env, probe).expect_err("not executable");
        assert_eq!(err.to_string(), "exec: \"/etc/passwd\": permission denied");
        assert_eq!(err.exit_code(), EXIT_CANNOT_INVOKE);
        let err = look_path("/etc/passwd/x", &env, probe).expect_err("not a directory");
        assert_eq!(
            err.to_string(),
            "exec: \"/etc/passwd/x\": stat /etc/passwd/x: not a directory"
        );
        assert_eq!(err.exit_code(), EXIT_NOT_FOUND);
        // Without a slash only PATH is searched, and a failed stat there means "not found".
        assert_eq!(look_path("sh", &env, probe), Ok(PathBuf::from("/bin/sh")));
        assert_eq!(
            look_path("passwd", &env, probe),
            Err(ExecError::NotInPath {
                name: "passwd".into()
            })
        );
        assert_eq!(look_path("", &env, probe), Err(ExecError::NoCommand));
    }

    #[test]
    fn exit_codes() {
        use nix::errno::Errno;
        let p = Path::new("/etc/passwd");
        assert_eq!(ExecError::from_errno(p, Errno::EACCES).exit_code(), 126);
        assert_eq!(ExecError::from_errno(p, Errno::ENOENT).exit_code(), 127);
        assert_eq!(ExecError::from_errno(p, Errno::ENOEXEC).exit_code(), 126);
        assert_eq!(ExecError::from_errno(p, Errno::E2BIG).exit_code(), 125);
        let pid = Pid::from_raw(1);
        assert_eq!(exit_code_from_status(WaitStatus::Exited(pid, 3)), Some(3));
        assert_eq!(
            exit_code_from_status(WaitStatus::Signaled(pid, Signal::SIGKILL, false)),
            Some(137)
        );
    }
}
