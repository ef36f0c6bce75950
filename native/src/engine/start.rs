//! `start` and `run` (`create` then `start`): turn a container's record into the runtime's spec
//! and run it, attached (our stdout and stderr, `-i` our stdin, `-t` a terminal relayed to ours)
//! or detached under a monitor.

use std::io::Write;

use layerlab_core::cli::args::{RunArgs, StartArgs};
use nix::sys::signal::{SigHandler, Signal, signal};

use super::containers::{Container, write_state};
use super::create::Then;
use super::{Engine, EngineError};
use crate::runtime::detach::ContainerState;
use crate::runtime::tty::stdin_is_terminal;
use crate::runtime::{
    ContainerSpec, Limits, NetworkMode, ProcessSpec, RunOptions, StorageDriver, start_detached_with,
};

/// Docker's answer to `-it` when stdin is a pipe or a file.
const NOT_A_TTY: &str = "the input device is not a TTY";

impl Engine {
    fn spec_for(&self, c: &Container) -> Result<ContainerSpec, EngineError> {
        let r = &c.record;
        let Some(image) = self.store.content.image(&r.image_id)? else {
            return Err(EngineError::NoSuchImage {
                name: r.image_id.to_string(),
            });
        };
        let (entrypoint, cmd) = r.entrypoint_and_cmd();
        Ok(ContainerSpec {
            id: r.id.clone(),
            layout: c.layout(),
            driver: if r.vfs {
                StorageDriver::Vfs
            } else {
                StorageDriver::Overlay
            },
            image_layers: self.image_lowers(&image),
            rootless: !nix::unistd::geteuid().is_root(),
            auto_remove: r.auto_remove,
            process: ProcessSpec {
                entrypoint,
                cmd,
                env: r.env.clone(),
                workdir: r.workdir.clone(),
                user: r.user.clone(),
            },
            network: if r.host_network {
                NetworkMode::Host
            } else {
                NetworkMode::None
            },
            volumes: r.mounts.iter().map(|m| m.bind()).collect(),
            limits: Limits {
                memory: r.memory,
                pids: r.pids_limit,
            },
            log_path: Some(c.dir.join(format!("{}-json.log", r.id))),
        })
    }

    /// Runs the container. Detached, it returns once the command runs (0); attached, once it
    /// ends, with its exit code. A container already running is left alone.
    pub(crate) fn start_container(
        &self,
        c: &Container,
        attach: bool,
        interactive: bool,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<i32, EngineError> {
        if c.running_pid().is_some() {
            return Ok(0);
        }
        let spec = self.spec_for(c)?;
        let opts = RunOptions {
            attach,
            // Detached, a container made with -i keeps an open stdin whoever started it.
            interactive: c.record.open_stdin && (interactive || !attach),
            tty: c.record.tty,
        };
        if !attach {
            return match start_detached_with(&spec, &opts) {
                Ok(d) => {
                    for w in &d.warnings {
                        let _ = writeln!(err, "WARNING: {w}");
                    }
                    Ok(0)
                }
                Err(e) => {
                    self.record_exit(&c.dir, e.exit_code());
                    Err(e.into())
                }
            };
        }
        let _ = out.flush();
        let _ = err.flush();
        let started_at = jiff::Timestamp::now().to_string();
        let result = crate::runtime::start(&spec, &opts).and_then(|running| {
            for w in running.warnings() {
                let _ = writeln!(err, "WARNING: {w}");
            }
            write_state(
                &c.dir,
                &ContainerState {
                    pid: running.pid(),
                    running: true,
                    exit_code: None,
                    started_at: started_at.clone(),
                    finished_at: None,
                },
            );
            // Like Docker's signal proxy, the terminal's Ctrl-C and Ctrl-\ are for the container
            // (it shares our process group, or has its own terminal): we stay to record its end.
            // SAFETY: SIG_IGN installs no handler code; the container was forked before this.
            let saved =
                unsafe { [Signal::SIGINT, Signal::SIGQUIT].map(|s| (s, signal(s, SigHandler::SigIgn))) };
            let code = running.wait();
            for (s, old) in saved {
                if let Ok(old) = old {
                    // SAFETY: puts back the disposition that was there before.
                    let _ = unsafe { signal(s, old) };
                }
            }
            code
        });
        let code = match &result {
            Ok(c) => *c,
            Err(e) => e.exit_code(),
        };
        let exited = ContainerState {
            pid: 0,
            running: false,
            exit_code: Some(code),
            started_at,
            finished_at: Some(jiff::Timestamp::now().to_string()),
        };
        if c.record.auto_remove {
            // Its record is about to go: only a container that cannot be removed needs its end
            // written down, so that `ps -a` shows it exited.
            if let Err(e) = self.remove_container(c, true) {
                write_state(&c.dir, &exited);
                return Err(e);
            }
        } else {
            write_state(&c.dir, &exited);
        }
        result.map_err(EngineError::from)
    }

    pub(crate) fn cmd_run(
        &self,
        args: &RunArgs,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<i32, EngineError> {
        if args.tty && args.interactive && !args.detach && !stdin_is_terminal() {
            let _ = writeln!(err, "{NOT_A_TTY}");
            return Ok(1);
        }
        let c = self.create_container(args, Then::Start, err)?;
        if args.detach {
            self.start_container(&c, false, false, out, err)?;
            let _ = writeln!(out, "{}", c.record.id);
            Ok(0)
        } else {
            self.start_container(&c, true, args.interactive, out, err)
        }
    }

    /// `start [-a] [-i] CONTAINER...`: detached, each name is echoed once it runs; attached
    /// (one container only), the exit code is the container's.
    pub(crate) fn cmd_start(
        &self,
        args: &StartArgs,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<i32, EngineError> {
        let attach = args.attach || args.interactive;
        if attach && args.containers.len() > 1 {
            let _ = writeln!(err, "you cannot start and attach multiple containers at once");
            return Ok(1);
        }
        let mut failed = Vec::new();
        for name in &args.containers {
            let result = self.find_container(name).and_then(|c| {
                if attach && args.interactive && c.record.tty && c.record.open_stdin && !stdin_is_terminal() {
                    let _ = writeln!(err, "{NOT_A_TTY}");
                    return Ok(Some(1));
                }
                let code = self.start_container(&c, attach, args.interactive, out, err)?;
                Ok(attach.then_some(code))
            });
            match result {
                Ok(Some(code)) => return Ok(code),
                Ok(None) => {
                    let _ = writeln!(out, "{name}");
                }
                Err(e) => {
                    let _ = writeln!(err, "Error response from daemon: {e}");
                    failed.push(name.clone());
                }
            }
        }
        if failed.is_empty() {
            Ok(0)
        } else {
            let _ = writeln!(err, "Error: failed to start containers: {}", failed.join(", "));
            Ok(1)
        }
    }
}
