//! Starting a container: fork, new namespaces, the mount plan, `pivot_root`, the user switch and
//! `execve`, with output captured into the json-file log.
//!
//! Public API:
//! - [`ContainerSpec`]: everything needed to run one container.
//! - [`RunOptions`]: attach (pass output through), interactive (pass stdin, or keep it open when
//!   detached), tty (a pseudo-terminal, see [`tty`](super::tty)).
//! - [`start`]`(&ContainerSpec, &RunOptions) -> Result<Running, RunError>`, then
//!   [`Running::pid`] (the container's init, as the host sees it), [`Running::signal`],
//!   [`Running::warnings`],
//!   [`Running::wait`]`() -> Result<ExitCode, RunError>`.
//! - [`run`]`(&ContainerSpec, &RunOptions) -> Result<ExitCode, RunError>`: start and wait.
//! - [`RunError`] and [`RunError::exit_code`] (125, 126 or 127, as Docker exits).
//!
//! The process tree is the one `unshare --fork` makes: the caller forks a helper that joins the
//! cgroups and unshares the namespaces; the helper forks the container's init, which is pid 1 of
//! the new pid namespace (a pid namespace only applies to children of the process that made it).
//! The helper waits and exits with init's code (128+n for a signal), so the caller's wait sees it.
//! Errors before `execve` travel back on a close-on-exec pipe: a clean EOF means exec succeeded.
//!
//! Between `fork` and `execve` only the forking thread exists in the child. glibc keeps malloc
//! usable there (its fork handlers reset the allocator's locks), so the child may allocate, but it
//! never touches the standard library's global locks (stdout, environment).

use std::ffi::CString;
use std::fs;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sched::CloneFlags;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Gid, Pid, Uid};

use super::cgroups::{Cgroups, Limits};
use super::etc::write_etc_files;
use super::logs::{JsonFileLog, LineSplitter, Stream};
use super::mounts::{BindMount, MountError, MountInputs, MountPlan, NetworkMode, plan_mounts};
use super::process::{
    EXIT_RUNTIME, ExecError, ExitCode, ProcessSpec, command_line, container_env, exit_code_from_status,
    look_path,
};
use super::rootfs::{ContainerLayout, RootfsError, StorageDriver};
use super::syscall::LinuxSyscall;
use super::user::{ExecUser, UserError, UserSpec, resolve};

/// One container to run.
#[derive(Debug, Clone)]
pub struct ContainerSpec {
    /// The container ID (64 hex digits in Docker); its first 12 characters are the hostname.
    pub id: String,
    /// The container's own directory (upper, work, merged, init, generated /etc files).
    pub layout: ContainerLayout,
    pub driver: StorageDriver,
    /// The image's layer snapshot directories, top layer first.
    pub image_layers: Vec<PathBuf>,
    /// Run in a user namespace mapping root to the caller (for callers without root).
    pub rootless: bool,
    /// `--rm`: the caller deletes the container when it exits, so its writable layer need not
    /// survive a crash and overlay is mounted `volatile` (see `RootfsMount::volatile`).
    pub auto_remove: bool,
    pub process: ProcessSpec,
    pub network: NetworkMode,
    pub volumes: Vec<BindMount>,
    pub limits: Limits,
    /// The json-file log; `None` keeps no log.
    pub log_path: Option<PathBuf>,
}

/// How the caller is connected to the container.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Pass the container's stdout and stderr through to ours (`docker run` without `-d`). An
    /// attached container is killed if the caller dies, and shares the caller's terminal
    /// signals (Ctrl-C); wait for it from the thread that started it, since the kernel ties
    /// that to the starting thread.
    pub attach: bool,
    /// `-i`: attached, the container reads our stdin; detached, its stdin stays open (a pipe, or
    /// its terminal, that nobody writes to) so a shell waits instead of ending at once. Without
    /// it the container reads `/dev/null` (or a terminal nobody types into).
    pub interactive: bool,
    /// `-t`: give the container a pseudo-terminal as stdin, stdout and stderr (see `tty`).
    pub tty: bool,
}

/// Where in the container's start a failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Namespaces,
    Mounts,
    Hostname,
    Network,
    User,
    Workdir,
    Descriptors,
    Credentials,
    Exec,
}

impl Stage {
    fn code(self) -> u8 {
        self as u8
    }
    fn from_code(c: u8) -> Stage {
        [
            Stage::Namespaces,
            Stage::Mounts,
            Stage::Hostname,
            Stage::Network,
            Stage::User,
            Stage::Workdir,
            Stage::Descriptors,
            Stage::Credentials,
            Stage::Exec,
        ]
        .into_iter()
        .find(|s| s.code() == c)
        .unwrap_or(Stage::Exec)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Rootfs(#[from] RootfsError),
    #[error(transparent)]
    Mount(#[from] MountError),
    #[error(transparent)]
    User(#[from] UserError),
    #[error("No command specified")]
    NoCommand,
    #[error("invalid container ID {id:?}: it must be at least 12 characters of [0-9a-f]")]
    BadId { id: String },
    #[error("{action} {path}: {source}", path = path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{call}: {errno}", errno = errno.desc())]
    Os { call: &'static str, errno: Errno },
    /// The container's process failed before it could run the command. Docker passes on runc's
    /// error with what containerd and the shim add around it.
    #[error(
        "failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: {message}: unknown"
    )]
    Start {
        stage: Stage,
        exit_code: ExitCode,
        message: String,
    },
    #[error("the container's setup process ended without starting the container")]
    LostChild,
    /// A detached container's monitor could not start it; the message is the monitor's error.
    #[error("{message}")]
    Monitor { exit_code: ExitCode, message: String },
}

impl RunError {
    /// What `docker run` exits with for this failure: 126 or 127 for a command that cannot be
    /// run or found, 125 for everything else.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            RunError::Start { exit_code, .. } | RunError::Monitor { exit_code, .. } => *exit_code,
            _ => EXIT_RUNTIME,
        }
    }
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> RunError {
    move |source| RunError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

fn os(call: &'static str) -> impl FnOnce(Errno) -> RunError {
    move |errno| RunError::Os { call, errno }
}

/// A started container.
#[derive(Debug)]
pub struct Running {
    /// The caller's child: the container's init, or (rootless) the helper that waits for it.
    child: Pid,
    init: Pid,
    /// The stdout and stderr pipes, copied while waiting (see [`Output`]).
    output: Option<Output>,
    /// The terminal relay of a `-t` container.
    readers: Vec<JoinHandle<()>>,
    cgroups: Cgroups,
    /// The writing end of a detached `-i` container's stdin, held open until it exits.
    stdin_keeper: Option<OwnedFd>,
}

impl Running {
    /// The container's init process as the host sees it (signal it to stop the container).
    pub fn pid(&self) -> i32 {
        self.init.as_raw()
    }

    /// Send a signal to the container's init (what `docker kill` and the attached CLI's signal
    /// proxy do). Init ignores signals it has no handler for, except SIGKILL and SIGSTOP.
    pub fn signal(&self, signal: nix::sys::signal::Signal) -> Result<(), RunError> {
        nix::sys::signal::kill(self.init, signal).map_err(os("kill"))
    }

    /// Limits that could not be applied, in Docker's words.
    pub fn warnings(&self) -> &[String] {
        self.cgroups.warnings()
    }

    /// Wait for the container to exit; its output has all reached the log when this returns.
    pub fn wait(self) -> Result<ExitCode, RunError> {
        if let Some(output) = self.output {
            output.copy_to_end();
        }
        let code = wait_exit(self.child)?;
        drop(self.stdin_keeper);
        for r in self.readers {
            // A reader that panicked lost some output; the exit code is still right.
            let _ = r.join();
        }
        self.cgroups.remove();
        Ok(code)
    }
}

fn wait_exit(pid: Pid) -> Result<ExitCode, RunError> {
    loop {
        match waitpid(pid, None) {
            Ok(status) => {
                if let Some(code) = exit_code_from_status(status) {
                    return Ok(code);
                }
            }
            Err(Errno::EINTR) => {}
            Err(e) => return Err(os("waitpid")(e)),
        }
    }
}

/// Start the container and wait for it to exit.
pub fn run(spec: &ContainerSpec, opts: &RunOptions) -> Result<ExitCode, RunError> {
    start(spec, opts)?.wait()
}

/// What the child needs, all computed before `fork` so the child does as little as possible.
struct ChildPlan {
    plan: MountPlan,
    hostname: String,
    network: NetworkMode,
    rootless: bool,
    host_ids: (Uid, Gid),
    user: UserSpec,
    argv: Vec<String>,
    env: Vec<String>,
    workdir: PathBuf,
    cgroup_procs: Vec<PathBuf>,
    attach: bool,
    caller: Pid,
    /// `-t`: the window size the terminal starts with (the caller's, when it has one).
    tty: Option<Option<super::tty::Winsize>>,
}

/// Start the container: returns once its command is running (or failed to start).
pub fn start(spec: &ContainerSpec, opts: &RunOptions) -> Result<Running, RunError> {
    // The ID names a cgroup directory too: nothing but hex may reach a path.
    let hostname = match spec.id.get(..12) {
        Some(h) if spec.id.bytes().all(|b| b.is_ascii_hexdigit()) => h.to_owned(),
        _ => return Err(RunError::BadId { id: spec.id.clone() }),
    };
    let argv = command_line(&spec.process.entrypoint, &spec.process.cmd);
    if argv.is_empty() {
        return Err(RunError::NoCommand);
    }
    let user = UserSpec::parse(&spec.process.user)?;
    let mut rootfs = spec
        .layout
        .prepare(spec.driver, &spec.image_layers, spec.rootless)?;
    if spec.auto_remove {
        rootfs = rootfs.volatile();
    }
    let etc =
        write_etc_files(&spec.layout, &hostname, spec.network).map_err(io_err("write", &spec.layout.dir))?;
    let plan = plan_mounts(&MountInputs {
        rootfs: &rootfs,
        root: &spec.layout.merged,
        network: spec.network,
        rootless: spec.rootless,
        etc: &etc,
        volumes: &spec.volumes,
    })?;
    let workdir = if spec.process.workdir.is_empty() {
        PathBuf::from("/")
    } else {
        PathBuf::from(&spec.process.workdir)
    };
    let mut child = ChildPlan {
        plan,
        hostname,
        network: spec.network,
        rootless: spec.rootless,
        host_ids: (Uid::current(), Gid::current()),
        user,
        argv,
        env: spec.process.env.clone(),
        workdir,
        cgroup_procs: Vec::new(),
        attach: opts.attach,
        caller: nix::unistd::getpid(),
        tty: opts.tty.then(super::tty::terminal_size),
    };

    let log = match &spec.log_path {
        Some(p) => Some(std::sync::Arc::new(
            JsonFileLog::create(p).map_err(io_err("open", p))?,
        )),
        None => None,
    };
    let devnull = || {
        nix::fcntl::open(
            "/dev/null",
            OFlag::O_RDWR | OFlag::O_CLOEXEC,
            nix::sys::stat::Mode::empty(),
        )
        .map_err(os("open /dev/null"))
    };
    // A detached `-i` container gets a pipe whose writing end we hold and never write to.
    let mut stdin_keeper = None;
    let stdin = if opts.tty {
        // Replaced by the terminal in the container.
        devnull()?
    } else if opts.interactive && opts.attach {
        nix::unistd::dup(std::io::stdin().as_fd()).map_err(os("dup"))?
    } else if opts.interactive {
        let (r, w) = nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(os("pipe"))?;
        stdin_keeper = Some(w);
        r
    } else {
        devnull()?
    };
    // The terminal's master comes back on this socket.
    let console = if opts.tty {
        Some(super::tty::console_socket().map_err(io_err("socketpair", Path::new("/")))?)
    } else {
        None
    };
    // Output goes through pipes when it is logged; otherwise straight to ours or to /dev/null.
    let (out_pipes, out_w, err_w) = if opts.tty {
        (None, devnull()?, devnull()?)
    } else if log.is_some() {
        let (or, ow) = nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(os("pipe"))?;
        let (er, ew) = nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(os("pipe"))?;
        (Some((or, er)), ow, ew)
    } else if opts.attach {
        (
            None,
            nix::unistd::dup(std::io::stdout().as_fd()).map_err(os("dup"))?,
            nix::unistd::dup(std::io::stderr().as_fd()).map_err(os("dup"))?,
        )
    } else {
        (None, devnull()?, devnull()?)
    };
    let (status_r, status_w) = nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(os("pipe"))?;

    let cgroups = Cgroups::setup(&spec.id, &spec.limits);
    child.cgroup_procs = cgroups.procs_files();
    // Rootless, the user namespace must own the pid namespace (or init could not mount /proc),
    // so a helper unshares both and forks init; with root, init is forked straight into its pid
    // namespace and makes the others itself.
    let forked = if spec.rootless {
        // SAFETY: the child only runs `helper`, which never returns (it ends in _exit) and keeps
        // to async-signal-safe calls plus allocation (see the module comment).
        unsafe { nix::unistd::fork() }.map_err(os("fork"))
    } else {
        fork_into_new_pid_namespace()
    };
    let forked = match forked {
        Ok(f) => f,
        Err(e) => {
            cgroups.remove();
            return Err(e);
        }
    };
    match forked {
        ForkResult::Child => {
            let stdio = Stdio {
                stdin,
                out: out_w,
                err: err_w,
                console: console.map(|(_, theirs)| theirs),
            };
            drop(status_r);
            if spec.rootless {
                helper(&child, stdio, status_w)
            } else {
                init(&child, stdio, status_w, Entered::No)
            }
        }
        ForkResult::Parent { child: child_pid } => {
            let console = console.map(|(ours, _)| ours);
            drop((stdin, out_w, err_w, status_w));
            // Forked straight into its namespace, init is our child; a helper says its pid.
            let known = (!spec.rootless).then_some(child_pid);
            let status = read_status(status_r, known);
            let init = match status {
                Status::Started(pid) => pid,
                Status::Failed {
                    stage,
                    exit_code,
                    message,
                } => {
                    let _ = wait_exit(child_pid);
                    cgroups.remove();
                    return Err(RunError::Start {
                        stage,
                        exit_code,
                        message,
                    });
                }
                Status::Lost => {
                    let _ = wait_exit(child_pid);
                    cgroups.remove();
                    return Err(RunError::LostChild);
                }
            };
            let mut readers = Vec::new();
            let mut output = None;
            if let Some(socket) = console {
                let Some(master) = super::tty::receive_master(&socket) else {
                    let _ = nix::sys::signal::kill(init, nix::sys::signal::Signal::SIGKILL);
                    let _ = wait_exit(child_pid);
                    cgroups.remove();
                    return Err(RunError::LostChild);
                };
                readers.push(super::tty::spawn_relay(
                    master,
                    log,
                    opts.attach,
                    opts.interactive,
                ));
            } else if let (Some((stdout, stderr)), Some(log)) = (out_pipes, log) {
                output = Some(Output {
                    stdout,
                    stderr,
                    log,
                    attach: opts.attach,
                });
            }
            Ok(Running {
                child: child_pid,
                init,
                output,
                readers,
                cgroups,
                stdin_keeper,
            })
        }
    }
}

/// The container's stdout and stderr pipes, copied into the log (and to our own output when
/// attached) by the thread that waits for the container, with `poll`, rather than by a thread per
/// stream: starting and joining two threads cost more than a short container's whole output.
/// Both pipes reach their end when the last process holding them exits, which in a pid namespace
/// is at the latest when init does.
#[derive(Debug)]
struct Output {
    stdout: OwnedFd,
    stderr: OwnedFd,
    log: std::sync::Arc<JsonFileLog>,
    attach: bool,
}

/// One stream being copied.
#[derive(Debug)]
struct Pipe {
    fd: OwnedFd,
    stream: Stream,
    split: LineSplitter,
}

impl Output {
    /// Copy until both streams end.
    fn copy_to_end(self) {
        use rustix::event::{PollFd, PollFlags, poll};
        let Output {
            stdout,
            stderr,
            log,
            attach,
        } = self;
        let mut open = vec![
            Pipe {
                fd: stdout,
                stream: Stream::Stdout,
                split: LineSplitter::default(),
            },
            Pipe {
                fd: stderr,
                stream: Stream::Stderr,
                split: LineSplitter::default(),
            },
        ];
        let mut buf = vec![0u8; 32 * 1024];
        while !open.is_empty() {
            let ready: Vec<bool> = {
                let mut fds: Vec<PollFd<'_>> =
                    open.iter().map(|p| PollFd::new(&p.fd, PollFlags::IN)).collect();
                match poll(&mut fds, None) {
                    Ok(_) => {}
                    Err(rustix::io::Errno::INTR) => continue,
                    // Nothing sensible is left to do with the output; the exit code is still right.
                    Err(_) => return,
                }
                fds.iter().map(|f| !f.revents().is_empty()).collect()
            };
            let mut i = 0;
            open.retain_mut(|pipe| {
                let was_ready = ready.get(i).copied().unwrap_or(false);
                i += 1;
                !was_ready || pipe.read_some(&mut buf, &log, attach)
            });
        }
    }
}

impl Pipe {
    /// Read what is there and pass it on; `false` once the stream has ended.
    fn read_some(&mut self, buf: &mut [u8], log: &JsonFileLog, attach: bool) -> bool {
        let n = loop {
            match rustix::io::read(&self.fd, &mut *buf) {
                Ok(n) => break n,
                Err(rustix::io::Errno::INTR) => {}
                Err(_) => break 0,
            }
        };
        let Some(chunk) = buf.get(..n).filter(|c| !c.is_empty()) else {
            if let Some(rest) = self.split.finish() {
                let _ = log.write(self.stream, &rest);
            }
            if attach && self.stream == Stream::Stdout {
                let _ = std::io::stdout().flush();
            }
            return false;
        };
        if attach {
            let _ = match self.stream {
                Stream::Stdout => std::io::stdout().write_all(chunk),
                Stream::Stderr => std::io::stderr().write_all(chunk),
            };
        }
        for line in self.split.push(chunk) {
            let _ = log.write(self.stream, &line);
        }
        true
    }
}

/// What came back on the status pipe.
enum Status {
    Started(Pid),
    Failed {
        stage: Stage,
        exit_code: ExitCode,
        message: String,
    },
    Lost,
}

// Messages on the status pipe, each well under PIPE_BUF so a write is atomic:
//   b'P' + pid (4 bytes, native endian)           the helper (rootless) forked init
//   b'E' + stage + exit code (1 byte) + message    init failed before exec
/// Reads the status pipe to its end (init's `execve` closes it). `known` is init's pid when the
/// caller forked init itself; otherwise the helper's `P` message gives it.
fn read_status(fd: OwnedFd, known: Option<Pid>) -> Status {
    let mut bytes = Vec::new();
    let _ = fs::File::from(fd).read_to_end(&mut bytes);
    let mut pid = known;
    let mut rest = bytes.as_slice();
    while let Some((&tag, tail)) = rest.split_first() {
        match tag {
            b'P' => {
                let Some((num, after)) = tail.split_first_chunk::<4>() else {
                    return Status::Lost;
                };
                pid = Some(Pid::from_raw(i32::from_ne_bytes(*num)));
                rest = after;
            }
            b'E' => {
                let Some(([stage, code], msg)) = tail.split_first_chunk::<2>() else {
                    return Status::Lost;
                };
                return Status::Failed {
                    stage: Stage::from_code(*stage),
                    exit_code: ExitCode::from(*code),
                    message: String::from_utf8_lossy(msg).into_owned(),
                };
            }
            _ => return Status::Lost,
        }
    }
    pid.map_or(Status::Lost, Status::Started)
}

fn report(status: &impl AsFd, stage: Stage, exit_code: ExitCode, message: &str) {
    let mut msg = vec![b'E', stage.code(), u8::try_from(exit_code).unwrap_or(125)];
    // Keep the whole message in one atomic pipe write.
    msg.extend(message.as_bytes().iter().take(3000));
    let _ = nix::unistd::write(status, &msg);
}

fn die(status: &impl AsFd, stage: Stage, exit_code: ExitCode, message: &str) -> ! {
    report(status, stage, exit_code, message);
    // SAFETY: _exit ends the process without running the parent's atexit handlers or
    // destructors, which belong to the parent's copy of the program.
    unsafe { libc::_exit(exit_code) }
}

/// The helper process: joins the cgroups, unshares, forks init and waits for it.
/// The descriptors the container starts with; `console` is the socket its terminal's master
/// goes back on (`-t`).
struct Stdio {
    stdin: OwnedFd,
    out: OwnedFd,
    err: OwnedFd,
    console: Option<OwnedFd>,
}

fn helper(child: &ChildPlan, stdio: Stdio, status: OwnedFd) -> ! {
    if child.attach {
        // Attached, the container lives and dies with the caller: there is no daemon to keep
        // reading its output. It stays in the caller's process group, so a Ctrl-C at the
        // terminal reaches it too, much as Docker's signal proxy forwards it.
        let _ = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL);
        if nix::unistd::getppid() != child.caller {
            // The caller was already gone before the line above took effect.
            // SAFETY: see `die`.
            unsafe { libc::_exit(EXIT_RUNTIME) }
        }
    } else {
        // Detached: out of the caller's session, so its terminal's signals are not the container's.
        let _ = nix::unistd::setsid();
    }
    join_cgroups(child);
    let flags = namespace_flags(child) | CloneFlags::CLONE_NEWPID | CloneFlags::CLONE_NEWUSER;
    if let Err(e) = nix::sched::unshare(flags) {
        die(
            &status,
            Stage::Namespaces,
            EXIT_RUNTIME,
            &format!("unshare: {}", e.desc()),
        );
    }
    if child.rootless
        && let Err(e) = map_ids(child.host_ids)
    {
        die(
            &status,
            Stage::Namespaces,
            EXIT_RUNTIME,
            &format!("writing id maps: {e}"),
        );
    }
    // SAFETY: the helper is single-threaded (it is a fork child), and the grandchild only runs
    // `init`, which never returns.
    match unsafe { nix::unistd::fork() } {
        Err(e) => die(
            &status,
            Stage::Namespaces,
            EXIT_RUNTIME,
            &format!("fork: {}", e.desc()),
        ),
        Ok(ForkResult::Child) => init(child, stdio, status, Entered::Yes),
        Ok(ForkResult::Parent { child: pid }) => {
            drop(stdio);
            let mut msg = vec![b'P'];
            msg.extend(pid.as_raw().to_ne_bytes());
            let _ = nix::unistd::write(&status, &msg);
            drop(status);
            // Whatever else the caller had open (a detach monitor's report pipe, say) must not
            // stay open for the container's lifetime just because this process waits.
            // SAFETY: closes only descriptors; nothing below uses any.
            unsafe {
                libc::close_range(3, u32::MAX, 0);
            }
            let code = loop {
                match waitpid(pid, None) {
                    Ok(WaitStatus::Exited(_, c)) => break c,
                    Ok(WaitStatus::Signaled(_, sig, _)) => break 128 + sig as i32,
                    Ok(_) | Err(Errno::EINTR) => {}
                    Err(_) => break EXIT_RUNTIME,
                }
            };
            // SAFETY: see `die`.
            unsafe { libc::_exit(code) }
        }
    }
}

/// The namespaces init gets besides its pid namespace (and, rootless, its user namespace).
fn namespace_flags(child: &ChildPlan) -> CloneFlags {
    let flags = CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_NEWUTS | CloneFlags::CLONE_NEWIPC;
    if child.network == NetworkMode::None {
        flags | CloneFlags::CLONE_NEWNET
    } else {
        flags
    }
}

fn join_cgroups(child: &ChildPlan) {
    for procs in &child.cgroup_procs {
        // "0" means the writing process; init's command (and whoever it starts) inherits them.
        let _ = fs::write(procs, b"0");
    }
}

/// Forks the container's init straight into a new pid namespace, where it is pid 1, without
/// the process between that `unshare --fork` needs: the calling thread points its children's pid
/// namespace at a new one, forks, and points it back. That setting belongs to the calling thread
/// alone, so other threads are untouched; while it is changed this thread starts no thread (the
/// kernel would refuse) and no other process.
fn fork_into_new_pid_namespace() -> Result<ForkResult, RunError> {
    let own = nix::fcntl::open(
        "/proc/self/ns/pid",
        OFlag::O_RDONLY | OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )
    .map_err(os("open /proc/self/ns/pid"))?;
    nix::sched::unshare(CloneFlags::CLONE_NEWPID).map_err(os("unshare"))?;
    // SAFETY: the child only runs `init`, which never returns (it ends in execve or _exit) and
    // keeps to async-signal-safe calls plus allocation (see the module comment).
    let forked = unsafe { nix::unistd::fork() };
    if let Ok(ForkResult::Child) = forked {
        return Ok(ForkResult::Child);
    }
    if let Err(errno) = nix::sched::setns(&own, CloneFlags::CLONE_NEWPID) {
        // Every later child of this thread would land in the container's pid namespace: refuse
        // to go on rather than leave it so.
        if let Ok(ForkResult::Parent { child }) = forked {
            let _ = nix::sys::signal::kill(child, nix::sys::signal::Signal::SIGKILL);
            let _ = wait_exit(child);
        }
        return Err(os("setns back to the caller's pid namespace")(errno));
    }
    forked.map_err(os("fork"))
}

/// What the rootless helper does before it forks init, done by init itself: leave the
/// caller's session when detached, join the cgroups, make the namespaces.
fn enter_namespaces(child: &ChildPlan, status: &OwnedFd) {
    if child.attach {
        // An attached caller that died before the death signal was armed would leave this
        // container running unwatched. Its end of the status pipe (init's own copy is closed
        // above) is open while it lives: a pipe without readers polls as an error.
        use rustix::event::{PollFd, PollFlags, Timespec, poll};
        let mut fds = [PollFd::new(status, PollFlags::OUT)];
        let now = Timespec::default();
        if poll(&mut fds, Some(&now)).is_ok() && fds.iter().any(|f| f.revents().contains(PollFlags::ERR)) {
            // SAFETY: see `die`.
            unsafe { libc::_exit(EXIT_RUNTIME) }
        }
    } else if child.tty.is_none() {
        // Detached: out of the caller's session, so its terminal's signals are not the
        // container's (with -t, the terminal set-up makes the session).
        let _ = nix::unistd::setsid();
    }
    join_cgroups(child);
    if let Err(e) = nix::sched::unshare(namespace_flags(child)) {
        die(
            status,
            Stage::Namespaces,
            EXIT_RUNTIME,
            &format!("unshare: {}", e.desc()),
        );
    }
}

/// Whether init's namespaces are made already (by the rootless helper) or init makes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entered {
    Yes,
    No,
}

/// Map root in the new user namespace to the caller: the one mapping an unprivileged process
/// may write for itself (setgroups must be denied first).
fn map_ids((uid, gid): (Uid, Gid)) -> std::io::Result<()> {
    // A process whose ids changed (a caller that dropped from root, say) is not dumpable, and
    // then its /proc/self files belong to root and these writes are refused.
    nix::sys::prctl::set_dumpable(true).map_err(std::io::Error::from)?;
    fs::write("/proc/self/setgroups", b"deny")?;
    fs::write("/proc/self/uid_map", format!("0 {uid} 1"))?;
    fs::write("/proc/self/gid_map", format!("0 {gid} 1"))
}

/// Read a small text file from the container's root; `None` if absent or not a regular file.
/// Non-blocking open so that a FIFO planted at /etc/passwd cannot hang the start.
fn read_container_file(path: &str) -> Option<String> {
    use std::os::unix::fs::OpenOptionsExt;
    let f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    if !f.metadata().ok()?.is_file() {
        return None;
    }
    let mut text = String::new();
    f.take(16 << 20).read_to_string(&mut text).ok()?;
    Some(text)
}

fn cstrings(items: &[String]) -> Result<Vec<CString>, String> {
    items
        .iter()
        .map(|s| CString::new(s.as_bytes()).map_err(|_| format!("{s:?} contains a NUL byte")))
        .collect()
}

/// The container's pid 1, from fork to execve.
fn init(child: &ChildPlan, stdio: Stdio, status: OwnedFd, entered: Entered) -> ! {
    let Stdio {
        stdin,
        out,
        err,
        console,
    } = stdio;
    // If the helper dies, so does the container (nobody would be left to reap or report it);
    // forked by the caller itself, init dies with an attached caller, as the helper did.
    if entered == Entered::Yes || child.attach {
        let _ = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL);
    }
    let stdio = nix::unistd::dup2_stdin(&stdin)
        .and_then(|()| nix::unistd::dup2_stdout(&out))
        .and_then(|()| nix::unistd::dup2_stderr(&err));
    if let Err(e) = stdio {
        die(
            &status,
            Stage::Descriptors,
            EXIT_RUNTIME,
            &format!("dup2: {}", e.desc()),
        );
    }
    drop((stdin, out, err));
    // The console socket is parked above 4 first, so that moving the status pipe to 3 cannot
    // close it, and goes to 4 after.
    let console = match console.map(|c| rustix::io::fcntl_dupfd_cloexec(&c, 5)) {
        None => None,
        Some(Ok(fd)) => Some(fd),
        Some(Err(e)) => die(
            &status,
            Stage::Descriptors,
            EXIT_RUNTIME,
            &format!("dup console socket: {e}"),
        ),
    };
    // Nothing of the host may reach the container through a descriptor (CVE-2024-21626): move
    // the status pipe to fd 3 and close every descriptor above it, before any path in the
    // container is resolved.
    // SAFETY: fd 3 is replaced atomically by dup3; whatever it was is closed by the kernel, and
    // no other owner of fd 3 runs in this single-threaded child.
    let status = if status.as_raw_fd() == 3 {
        status
    } else {
        match unsafe { nix::unistd::dup3_raw(&status, 3, OFlag::O_CLOEXEC) } {
            Ok(fd) => fd,
            Err(e) => die(
                &status,
                Stage::Descriptors,
                EXIT_RUNTIME,
                &format!("dup3: {}", e.desc()),
            ),
        }
    };
    let console = match console {
        None => None,
        // SAFETY: as for fd 3 above: fd 4 is replaced atomically and nothing else owns it.
        Some(c) => match unsafe { nix::unistd::dup3_raw(&c, 4, OFlag::O_CLOEXEC) } {
            Ok(fd) => Some(fd),
            Err(e) => die(
                &status,
                Stage::Descriptors,
                EXIT_RUNTIME,
                &format!("dup3: {}", e.desc()),
            ),
        },
    };
    let first_closed: u32 = if console.is_some() { 5 } else { 4 };
    // SAFETY: close_range only closes descriptors; none above 3 (4 with a console) is used again
    // by this process (the OwnedFds that named them were dropped above or are old numbers of
    // the status pipe and console socket, which are forgotten right after).
    if unsafe { libc::close_range(first_closed, u32::MAX, 0) } != 0 {
        die(&status, Stage::Descriptors, EXIT_RUNTIME, "close_range failed");
    }
    if entered == Entered::No {
        enter_namespaces(child, &status);
    }

    if let Err(e) = child.plan.apply(&LinuxSyscall) {
        die(&status, Stage::Mounts, EXIT_RUNTIME, &e.to_string());
    }
    if let Err(e) = nix::unistd::sethostname(&child.hostname) {
        die(
            &status,
            Stage::Hostname,
            EXIT_RUNTIME,
            &format!("sethostname: {}", e.desc()),
        );
    }
    if child.network == NetworkMode::None
        && let Err(e) = super::net::loopback_up()
    {
        die(
            &status,
            Stage::Network,
            EXIT_RUNTIME,
            &format!("bringing up lo: {}", e.desc()),
        );
    }

    let passwd = read_container_file("/etc/passwd");
    let group = read_container_file("/etc/group");
    let user: ExecUser = match resolve(&child.user, passwd.as_deref(), group.as_deref()) {
        Ok(u) => u,
        Err(e) => die(&status, Stage::User, EXIT_RUNTIME, &e.to_string()),
    };
    let env = container_env(&child.hostname, &child.env, &user.home);

    // Docker makes a missing working directory; after pivot_root every path is the container's.
    if let Err(e) = fs::create_dir_all(&child.workdir) {
        die(
            &status,
            Stage::Workdir,
            EXIT_RUNTIME,
            &format!("mkdir {}: {e}", child.workdir.display()),
        );
    }
    if let Err(e) = nix::unistd::chdir(&child.workdir) {
        die(
            &status,
            Stage::Workdir,
            EXIT_RUNTIME,
            &format!(
                "chdir to cwd ({:?}) set in config.json failed: {}",
                child.workdir,
                e.desc()
            ),
        );
    }
    // A cwd reached through a leaked descriptor lies outside the root, and getcwd then fails
    // or answers "(unreachable)/..." (the CVE-2024-21626 check runc and crun added).
    match nix::unistd::getcwd() {
        Ok(cwd) if cwd.is_absolute() => {}
        _ => die(
            &status,
            Stage::Workdir,
            EXIT_RUNTIME,
            &format!(
                "current working directory is outside of container mount namespace root -- possible container breakout detected ({})",
                child.workdir.display()
            ),
        ),
    }

    if let (Some(socket), Some(size)) = (&console, child.tty)
        && let Err(message) = super::tty::setup_in_container(socket.as_fd(), size, (user.uid, user.gid))
    {
        die(&status, Stage::Descriptors, EXIT_RUNTIME, &message);
    }
    drop(console);

    if let Err(e) = super::caps::drop_to_default() {
        die(
            &status,
            Stage::Credentials,
            EXIT_RUNTIME,
            &format!("capabilities: {}", e.desc()),
        );
    }
    let groups: Vec<Gid> = user.additional_gids.iter().map(|g| Gid::from_raw(*g)).collect();
    // In a user namespace with setgroups denied, the group list cannot change (and is empty).
    let creds = (if child.rootless {
        Ok(())
    } else {
        nix::unistd::setgroups(&groups)
    })
    .and_then(|()| nix::unistd::setgid(Gid::from_raw(user.gid)))
    .and_then(|()| nix::unistd::setuid(Uid::from_raw(user.uid)));
    if let Err(e) = creds {
        die(
            &status,
            Stage::Credentials,
            EXIT_RUNTIME,
            &format!("setting uid {} gid {}: {}", user.uid, user.gid, e.desc()),
        );
    }

    let Some(name) = child.argv.first() else {
        die(
            &status,
            Stage::Exec,
            EXIT_RUNTIME,
            &ExecError::NoCommand.to_string(),
        );
    };
    // Go's `findExecutable`: anything but a directory with an execute bit.
    let probe = |p: &Path| {
        fs::metadata(p)
            .map(|m| !m.is_dir() && m.permissions().mode() & 0o111 != 0)
            .map_err(|e| e.raw_os_error().map_or(Errno::UnknownErrno, Errno::from_raw))
    };
    let path = match look_path(name, &env, probe) {
        Ok(p) => p,
        Err(e) => die(&status, Stage::Exec, e.exit_code(), &e.to_string()),
    };
    let (argv, envp) = match (cstrings(&child.argv), cstrings(&env)) {
        (Ok(a), Ok(e)) => (a, e),
        (Err(m), _) | (_, Err(m)) => die(&status, Stage::Exec, EXIT_RUNTIME, &m),
    };
    let Ok(cpath) = CString::new(path.as_os_str().as_bytes()) else {
        die(
            &status,
            Stage::Exec,
            EXIT_RUNTIME,
            "command path contains a NUL byte",
        );
    };
    let errno = match nix::unistd::execve(&cpath, &argv, &envp) {
        Err(e) => e,
        Ok(never) => match never {},
    };
    let e = ExecError::from_errno(&path, errno);
    die(&status, Stage::Exec, e.exit_code(), &e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_messages_round_trip() {
        let (r, w) = nix::unistd::pipe2(OFlag::O_CLOEXEC).expect("pipe");
        let mut msg = vec![b'P'];
        msg.extend(42i32.to_ne_bytes());
        nix::unistd::write(&w, &msg).expect("w");
        report(
            &w,
            Stage::Exec,
            127,
            "exec: \"x\": executable file not found in $PATH",
        );
        drop(w);
        match read_status(r, None) {
            Status::Failed {
                stage,
                exit_code,
                message,
            } => {
                assert_eq!(stage, Stage::Exec);
                assert_eq!(exit_code, 127);
                assert_eq!(message, "exec: \"x\": executable file not found in $PATH");
            }
            _ => panic!("not a failure"),
        }
        let (r, w) = nix::unistd::pipe2(OFlag::O_CLOEXEC).expect("pipe");
        drop(w);
        assert!(matches!(read_status(r, None), Status::Lost));
        // Forked by the caller, init says nothing on success: its exec closes the pipe.
        let (r, w) = nix::unistd::pipe2(OFlag::O_CLOEXEC).expect("pipe");
        drop(w);
        assert!(matches!(read_status(r, Some(Pid::from_raw(7))), Status::Started(p) if p.as_raw() == 7));
    }

    #[test]
    fn bad_ids_are_refused_before_anything_happens() {
        let spec = ContainerSpec {
            id: "../../etc".into(),
            layout: ContainerLayout::new("/nonexistent/c"),
            driver: StorageDriver::Overlay,
            image_layers: vec![],
            rootless: false,
            auto_remove: false,
            process: ProcessSpec {
                cmd: vec!["true".into()],
                ..ProcessSpec::default()
            },
            network: NetworkMode::None,
            volumes: vec![],
            limits: Limits::default(),
            log_path: None,
        };
        for id in [
            "../../etc",
            "0123456789ab/../../x",
            "0123456789a",
            "0123456789abX",
        ] {
            let spec = ContainerSpec {
                id: id.into(),
                ..spec.clone()
            };
            let err = start(&spec, &RunOptions::default()).expect_err("must fail");
            assert!(matches!(err, RunError::BadId { .. }), "{id}: {err}");
            assert_eq!(err.exit_code(), 125);
        }
    }
}
