//! Detached containers (`run -d`): a monitor process outlives the command that started the
//! container, keeps writing its log, and records how it ended, the way conmon or a containerd
//! shim does.
//!
//! Public API:
//! - [`start_detached`]`(&ContainerSpec) -> Result<Detached, RunError>`: returns once the
//!   container's command is running (or failed to start, with the same errors as `run`);
//!   [`start_detached_with`]`(&ContainerSpec, &RunOptions)` for `-i` and `-t` (`attach` is
//!   ignored: the monitor holds the container's stdin and terminal).
//! - [`Detached`]: the container's init pid and any limit warnings.
//! - [`ContainerState`]: `state.json` in the container's directory; [`ContainerState::load`],
//!   [`ContainerState::wait`] (poll until it has exited).
//!
//! The monitor is made with a double fork so that it is nobody's child in the caller (no zombie
//! to reap) and lives on when the caller exits.

use std::fs;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::fcntl::OFlag;
use nix::unistd::ForkResult;
use serde::{Deserialize, Serialize};

use super::process::{EXIT_RUNTIME, ExitCode};
use super::spawn::{ContainerSpec, RunError, RunOptions, start};

/// What a detached start gives back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detached {
    /// The container's init process as the host sees it.
    pub pid: i32,
    /// Limits that could not be applied, in Docker's words.
    pub warnings: Vec<String>,
}

/// The container's status as the monitor records it in `<container dir>/state.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerState {
    pub pid: i32,
    pub running: bool,
    pub exit_code: Option<ExitCode>,
    /// RFC 3339 times.
    pub started_at: String,
    pub finished_at: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("reading container state {path}: {source}", path = path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("container state {path} is not valid: {source}", path = path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("container did not exit within {seconds} s")]
    Timeout { seconds: u64 },
    /// The container's directory went while waiting: a `--rm` container is deleted when it exits,
    /// without its end being recorded first.
    #[error("container {path} was removed", path = path.display())]
    Removed { path: PathBuf },
}

fn state_path(dir: &Path) -> PathBuf {
    dir.join("state.json")
}

impl ContainerState {
    pub fn load(container_dir: &Path) -> Result<ContainerState, StateError> {
        let path = state_path(container_dir);
        let text = fs::read_to_string(&path).map_err(|source| StateError::Io {
            path: path.clone(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| StateError::Parse { path, source })
    }

    /// Poll the state file until the container has exited.
    pub fn wait(container_dir: &Path, timeout: Duration) -> Result<ContainerState, StateError> {
        let deadline = Instant::now() + timeout;
        loop {
            // The file is replaced by rename, so a read never sees half of it.
            match ContainerState::load(container_dir) {
                Ok(state) if !state.running => return Ok(state),
                Err(StateError::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::NotFound && !container_dir.exists() =>
                {
                    return Err(StateError::Removed {
                        path: container_dir.to_owned(),
                    });
                }
                _ => {}
            }
            if Instant::now() >= deadline {
                return Err(StateError::Timeout {
                    seconds: timeout.as_secs(),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn save(&self, container_dir: &Path) {
        let path = state_path(container_dir);
        let tmp = container_dir.join("state.json.tmp");
        if let Ok(text) = serde_json::to_vec(self)
            && fs::write(&tmp, text).is_ok()
        {
            let _ = fs::rename(&tmp, &path);
        }
    }
}

/// What the monitor reports to the caller once the container started or failed to.
#[derive(Debug, Serialize, Deserialize)]
enum Report {
    Started { pid: i32, warnings: Vec<String> },
    Failed { exit_code: ExitCode, message: String },
}

/// Start the container under a monitor process and return without waiting for it.
pub fn start_detached(spec: &ContainerSpec) -> Result<Detached, RunError> {
    start_detached_with(spec, &RunOptions::default())
}

/// [`start_detached`] with `-i` (stdin kept open) and `-t` (a terminal, whose output the monitor
/// logs).
pub fn start_detached_with(spec: &ContainerSpec, opts: &RunOptions) -> Result<Detached, RunError> {
    let opts = RunOptions {
        attach: false,
        ..*opts
    };
    let (report_r, report_w) =
        nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(|errno| RunError::Os { call: "pipe", errno })?;
    // SAFETY: the child either forks again and _exits, or (as the monitor) runs `monitor`, which
    // never returns; see spawn.rs on what a fork child may do.
    match unsafe { nix::unistd::fork() }.map_err(|errno| RunError::Os { call: "fork", errno })? {
        ForkResult::Child => {
            drop(report_r);
            // SAFETY: as above; this intermediate process is single-threaded.
            match unsafe { nix::unistd::fork() } {
                Ok(ForkResult::Child) => monitor(spec, &opts, report_w),
                // SAFETY: ends the intermediate without running the caller's destructors.
                _ => unsafe { libc::_exit(0) },
            }
        }
        ForkResult::Parent { child } => {
            drop(report_w);
            let _ = nix::sys::wait::waitpid(child, None);
            let mut bytes = Vec::new();
            let _ = fs::File::from(report_r).read_to_end(&mut bytes);
            match serde_json::from_slice::<Report>(&bytes) {
                Ok(Report::Started { pid, warnings }) => Ok(Detached { pid, warnings }),
                Ok(Report::Failed { exit_code, message }) => Err(RunError::Monitor { exit_code, message }),
                Err(_) => Err(RunError::LostChild),
            }
        }
    }
}

fn monitor(spec: &ContainerSpec, opts: &RunOptions, report: OwnedFd) -> ! {
    let _ = nix::unistd::setsid();
    // Let go of the caller's terminal and of every descriptor it had open (a `$(layerlab run -d)`
    // would otherwise wait for the container to end).
    if let Ok(null) = nix::fcntl::open("/dev/null", OFlag::O_RDWR, nix::sys::stat::Mode::empty()) {
        let _ = nix::unistd::dup2_stdin(&null);
        let _ = nix::unistd::dup2_stdout(&null);
        let _ = nix::unistd::dup2_stderr(&null);
    }
    let keep = report.as_raw_fd();
    for fd in 3..keep {
        let _ = nix::unistd::close(fd);
    }
    // SAFETY: closes only descriptors above the report pipe, none of which this process uses.
    unsafe {
        libc::close_range(keep.unsigned_abs() + 1, u32::MAX, 0);
    }
    let send = |r: &Report| {
        if let Ok(bytes) = serde_json::to_vec(r) {
            let _ = nix::unistd::write(&report, &bytes);
        }
    };
    let code = match start(spec, opts) {
        Ok(running) => {
            let state = ContainerState {
                pid: running.pid(),
                running: true,
                exit_code: None,
                started_at: jiff::Timestamp::now().to_string(),
                finished_at: None,
            };
            state.save(&spec.layout.dir);
            send(&Report::Started {
                pid: running.pid(),
                warnings: running.warnings().to_vec(),
            });
            drop(report);
            let code = running.wait().unwrap_or(EXIT_RUNTIME);
            ContainerState {
                running: false,
                exit_code: Some(code),
                finished_at: Some(jiff::Timestamp::now().to_string()),
                ..state
            }
            .save(&spec.layout.dir);
            0
        }
        Err(e) => {
            send(&Report::Failed {
                exit_code: e.exit_code(),
                message: e.to_string(),
            });
            1
        }
    };
    // SAFETY: ends the monitor without running the caller's destructors.
    unsafe { libc::_exit(code) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_wait_times_out_on_a_running_container() {
        let d = std::env::temp_dir().join(format!("layerlab-detach-{}", std::process::id()));
        fs::create_dir_all(&d).expect("test");
        let s = ContainerState {
            pid: 7,
            running: true,
            exit_code: None,
            started_at: "2026-11-27T18:00:00Z".into(),
            finished_at: None,
        };
        s.save(&d);
        assert_eq!(ContainerState::load(&d).expect("test"), s);
        assert!(matches!(
            ContainerState::wait(&d, Duration::from_millis(50)),
            Err(StateError::Timeout { .. })
        ));
        let _ = fs::remove_dir_all(&d);
    }
}
