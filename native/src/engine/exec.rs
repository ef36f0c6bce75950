//! `exec`: run another process inside a running container, as `runc exec` does: join the
//! namespaces of the container's init (`/proc/<pid>/ns/*`), then fork once more so the new
//! process is inside the pid namespace too, switch user and directory, and exec.
//!
//! Joining the mount namespace last matters: `setns` into it resets our root and working directory
//! to the container's root (the container pivoted there), so every path after it is the
//! container's, while the other namespace files must be opened on the host before.

use std::ffi::CString;
use std::fs::File;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;

use layerlab_core::cli::args::ExecArgs;
use nix::sched::{CloneFlags, setns};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, Gid, Uid, fork};

use super::{Engine, EngineError, io_err};
use crate::runtime::process::{ExecError, container_env, exit_code_from_status, lookup_command};
use crate::runtime::user::{UserSpec, resolve};

/// Docker's exit code when the engine itself failed.
const EXIT_RUNTIME: i32 = 125;

impl Engine {
    pub(crate) fn cmd_exec(&self, args: &ExecArgs, err: &mut dyn Write) -> Result<i32, EngineError> {
        if args.detach || args.tty {
            return Err(EngineError::Unsupported {
                what: "exec -d or -t",
            });
        }
        let c = self.find_container(&args.container)?;
        let Some(pid) = c.running_pid() else {
            return Err(EngineError::NotRunning { id: c.record.id });
        };
        if !nix::unistd::geteuid().is_root() {
            return Err(EngineError::Unsupported {
                what: "exec without root",
            });
        }
        // Namespace files are opened on the host, before any of them is joined.
        let mut namespaces = Vec::new();
        for (name, flag) in [
            ("ipc", CloneFlags::CLONE_NEWIPC),
            ("uts", CloneFlags::CLONE_NEWUTS),
            ("net", CloneFlags::CLONE_NEWNET),
            ("pid", CloneFlags::CLONE_NEWPID),
            ("mnt", CloneFlags::CLONE_NEWNS),
        ] {
            let path = std::path::PathBuf::from(format!("/proc/{pid}/ns/{name}"));
            namespaces.push((File::open(&path).map_err(io_err("open", &path))?, flag));
        }
        let mut env = c.record.env.clone();
        env.extend(args.env.iter().cloned());
        let user = args.user.clone().unwrap_or_else(|| c.record.user.clone());
        let workdir = args.workdir.clone().unwrap_or_else(|| c.record.workdir.clone());
        let hostname = c.record.id.get(..12).unwrap_or(&c.record.id).to_owned();
        let _ = err.flush();

        // SAFETY: the engine is single-threaded here (no pull or other thread runs), so the
        // child may allocate; it never returns into the caller's code, it `_exit`s.
        match unsafe { fork() }.map_err(|e| io_err("fork", std::path::Path::new("/"))(e.into()))? {
            ForkResult::Child => {
                let code = enter(&namespaces, &args.command, &env, &user, &workdir, &hostname);
                // SAFETY: ends the child without running the parent's destructors.
                unsafe { libc::_exit(code) }
            }
            ForkResult::Parent { child } => {
                let status =
                    waitpid(child, None).map_err(|e| io_err("wait", std::path::Path::new("/"))(e.into()))?;
                Ok(exit_code_from_status(status).unwrap_or(EXIT_RUNTIME))
            }
        }
    }
}

/// Docker 20.10's `exec` reports a command it could not start on the exec's stdout and exits
/// 126 whatever the cause (not found included), unlike `run`'s 127; Docker is the reference.
const EXIT_EXEC_FAILED: i32 = 126;

fn exec_failed(message: &str) -> i32 {
    let text = format!(
        "OCI runtime exec failed: exec failed: unable to start container process: {message}: unknown\r\n"
    );
    let _ = nix::unistd::write(std::io::stdout(), text.as_bytes());
    EXIT_EXEC_FAILED
}

fn fail(message: &str, code: i32) -> i32 {
    // Straight to the descriptor: the caller's stderr handle may be locked in the parent.
    let text = format!(
        "OCI runtime exec failed: exec failed: unable to start container process: {message}: unknown\n"
    );
    let _ = nix::unistd::write(std::io::stderr(), text.as_bytes());
    code
}

/// In the forked child: join the namespaces, fork into the pid namespace, exec. Returns the exit
/// code to leave with.
fn enter(
    namespaces: &[(File, CloneFlags)],
    command: &[String],
    env: &[String],
    user: &str,
    workdir: &str,
    hostname: &str,
) -> i32 {
    for (file, flag) in namespaces {
        if let Err(e) = setns(file, *flag) {
            return fail(&format!("setns {flag:?}: {e}"), EXIT_RUNTIME);
        }
    }
    // The pid namespace applies to children only.
    // SAFETY: single-threaded child, as above.
    match unsafe { fork() } {
        Ok(ForkResult::Parent { child }) => match waitpid(child, None) {
            Ok(status) => exit_code_from_status(status).unwrap_or(EXIT_RUNTIME),
            Err(_) => EXIT_RUNTIME,
        },
        Ok(ForkResult::Child) => exec_inside(command, env, user, workdir, hostname),
        Err(e) => fail(&format!("fork: {e}"), EXIT_RUNTIME),
    }
}

fn exec_inside(command: &[String], env: &[String], user: &str, workdir: &str, hostname: &str) -> i32 {
    let passwd = std::fs::read_to_string("/etc/passwd").ok();
    let group = std::fs::read_to_string("/etc/group").ok();
    let exec_user = match UserSpec::parse(user).and_then(|s| resolve(&s, passwd.as_deref(), group.as_deref()))
    {
        Ok(u) => u,
        Err(e) => return fail(&e.to_string(), EXIT_RUNTIME),
    };
    let env = container_env(hostname, env, &exec_user.home);
    let dir = if workdir.is_empty() { "/" } else { workdir };
    if let Err(e) = std::env::set_current_dir(dir) {
        return fail(
            &format!("chdir to cwd (\"{dir}\") set in config.json failed: {e}"),
            EXIT_RUNTIME,
        );
    }
    let Some(name) = command.first() else {
        return fail(&ExecError::NoCommand.to_string(), EXIT_RUNTIME);
    };
    let path = match lookup_command(name, &env, |p| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }) {
        Ok(p) => p,
        Err(e) => return exec_failed(&e.to_string()),
    };
    if let Err(e) = crate::runtime::caps::drop_to_default() {
        return fail(&format!("dropping capabilities: {e}"), EXIT_RUNTIME);
    }
    let groups: Vec<Gid> = exec_user
        .additional_gids
        .iter()
        .map(|g| Gid::from_raw(*g))
        .collect();
    if let Err(e) = nix::unistd::setgroups(&groups)
        .and_then(|()| nix::unistd::setgid(Gid::from_raw(exec_user.gid)))
        .and_then(|()| nix::unistd::setuid(Uid::from_raw(exec_user.uid)))
    {
        return fail(&format!("setting the user: {e}"), EXIT_RUNTIME);
    }
    let to_c = |s: &[u8]| CString::new(s).ok();
    let (Some(cpath), Some(argv), Some(envp)) = (
        to_c(path.as_os_str().as_bytes()),
        command
            .iter()
            .map(|a| to_c(a.as_bytes()))
            .collect::<Option<Vec<_>>>(),
        env.iter().map(|a| to_c(a.as_bytes())).collect::<Option<Vec<_>>>(),
    ) else {
        return fail("an argument or variable holds a NUL byte", EXIT_RUNTIME);
    };
    let Err(errno) = nix::unistd::execve(&cpath, &argv, &envp);
    exec_failed(&ExecError::from_errno(&path, errno).to_string())
}
