//! Containers: create, start, stop, remove, exec, logs, diff and commit.

use serde::{Deserialize, Serialize};

use super::process::{self, Behaviour};
use super::rootfs::RootFs;
use super::{EngineError, Event, Simulator, names};
use crate::accounting::{self, JsonFileLog};
use crate::digest::Digest;
use crate::layer::Changeset;

/// Where a container is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ContainerState {
    Created,
    Running { started: i64 },
    Exited { code: i32, started: i64, finished: i64 },
}

impl ContainerState {
    pub fn is_running(&self) -> bool {
        matches!(self, ContainerState::Running { .. })
    }
}

/// A named volume mounted into a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    pub volume: String,
    /// Absolute path inside the container, without the leading `/`.
    pub target: String,
}

/// One line the container's process wrote, as the json-file driver keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub time: i64,
    pub stream: String,
    pub text: String,
}

/// A checkpoint (`docker checkpoint create`): its name and bytes on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub name: String,
    pub size: u64,
}

/// One container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerRecord {
    pub id: Digest,
    pub name: String,
    pub image: Digest,
    /// The image as the user named it (`ps` shows this).
    pub image_name: String,
    /// The program and its arguments (entrypoint and cmd combined).
    pub command: Vec<String>,
    pub created: i64,
    pub state: ContainerState,
    /// The writable layer.
    pub upper: Changeset,
    pub log: JsonFileLog,
    pub log_lines: Vec<LogLine>,
    pub mounts: Vec<Mount>,
    pub checkpoints: Vec<Checkpoint>,
    pub auto_remove: bool,
}

/// What `docker create`/`run` were asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateOptions {
    pub image: String,
    pub name: Option<String>,
    /// Overrides the image's CMD when not empty.
    pub command: Vec<String>,
    pub entrypoint: Option<String>,
    /// `-v NAME:/path` or `-v /path` (an anonymous volume).
    pub volumes: Vec<String>,
    /// `--log-opt key=value`.
    pub log_opts: Vec<String>,
    pub auto_remove: bool,
}

/// What a started process did before `run` returned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunOutcome {
    pub stdout: String,
    pub stderr: String,
    /// `None` while it keeps running.
    pub exit_code: Option<i32>,
}

impl Simulator {
    /// Finds a container by name, full ID or unique ID prefix.
    pub fn find_container(&self, text: &str) -> Result<usize, EngineError> {
        let text_name = text.strip_prefix('/').unwrap_or(text);
        if let Some(i) = self
            .containers
            .iter()
            .position(|c| c.name == text_name || c.id.hex() == text)
        {
            return Ok(i);
        }
        let matches: Vec<usize> = self
            .containers
            .iter()
            .enumerate()
            .filter(|(_, c)| !text.is_empty() && c.id.hex().starts_with(text))
            .map(|(i, _)| i)
            .collect();
        match matches.as_slice() {
            [one] => Ok(*one),
            _ => Err(EngineError::NoSuchContainer {
                name: text.to_string(),
            }),
        }
    }

    pub fn container(&self, text: &str) -> Option<&ContainerRecord> {
        self.find_container(text)
            .ok()
            .and_then(|i| self.containers.get(i))
    }

    /// `docker create`: a container with an empty writable layer on top of the image.
    pub fn create_container(&mut self, opts: &CreateOptions) -> Result<Digest, EngineError> {
        let image = self
            .resolve_image(&opts.image)
            .ok_or_else(|| EngineError::NoSuchImage {
                reference: opts.image.clone(),
            })?;
        if let Some(name) = &opts.name {
            if !names::valid(name) {
                return Err(EngineError::InvalidName { name: name.clone() });
            }
            let name = name.strip_prefix('/').unwrap_or(name);
            if let Some(other) = self.containers.iter().find(|c| c.name == name) {
                return Err(EngineError::NameInUse {
                    name: name.to_string(),
                    id: other.id.hex(),
                });
            }
        }
        let log = parse_log_opts(&opts.log_opts)?;
        let command = self.command_for(&image, opts)?;
        let id = self.fresh_id("container", opts.name.as_deref().unwrap_or(""));
        let name = match &opts.name {
            Some(n) => n.strip_prefix('/').unwrap_or(n).to_string(),
            None => names::generate(id.as_bytes(), |n| self.containers.iter().any(|c| c.name == n)),
        };
        let mut mounts = Vec::new();
        for spec in &opts.volumes {
            let (vol, target) = match spec.split_once(':') {
                Some((v, t)) => (Some(v), t),
                None => (None, spec.as_str()),
            };
            let target = target.split(':').next().unwrap_or(target);
            let Some(rel) = target.strip_prefix('/') else {
                return Err(EngineError::RelativeMountPath {
                    target: target.to_string(),
                });
            };
            let volume = self.create_volume(vol)?;
            mounts.push(Mount {
                volume,
                target: rel.trim_end_matches('/').to_string(),
            });
        }
        let image_name = opts.image.clone();
        self.store.register_container(&id.hex(), image);
        self.containers.push(ContainerRecord {
            id,
            name: name.clone(),
            image,
            image_name,
            command,
            created: self.now,
            state: ContainerState::Created,
            upper: Changeset::default(),
            log,
            log_lines: Vec::new(),
            mounts,
            checkpoints: Vec::new(),
            auto_remove: opts.auto_remove,
        });
        self.emit(Event::ContainerCreated { id, name, image });
        Ok(id)
    }

    /// Entrypoint and cmd combined as Docker combines them.
    fn command_for(&self, image: &Digest, opts: &CreateOptions) -> Result<Vec<String>, EngineError> {
        let config = self.store.image(image).and_then(|i| i.config.config().clone());
        let entrypoint: Vec<String> = match &opts.entrypoint {
            Some(e) if e.is_empty() => Vec::new(),
            Some(e) => vec![e.clone()],
            None => config
                .as_ref()
                .and_then(|c| c.entrypoint().clone())
                .unwrap_or_default(),
        };
        let cmd: Vec<String> = if opts.command.is_empty() {
            if opts.entrypoint.is_some() {
                Vec::new()
            } else {
                config.as_ref().and_then(|c| c.cmd().clone()).unwrap_or_default()
            }
        } else {
            opts.command.clone()
        };
        let all: Vec<String> = entrypoint.into_iter().chain(cmd).collect();
        if all.is_empty() {
            Err(EngineError::NoCommand)
        } else {
            Ok(all)
        }
    }

    /// `docker start`: runs the container's command. A command that keeps running (a server, a
    /// long sleep) leaves it Up; anything else runs to its end through the simulated shell and the
    /// container exits with its status. `attached` is `run` without `-d`: a server that would hold
    /// the terminal is stopped at once, as Ctrl-C would stop it.
    pub fn start_container(&mut self, idx: usize, attached: bool) -> Result<RunOutcome, EngineError> {
        let Some(c) = self.containers.get(idx) else {
            return Err(EngineError::NoSuchContainer {
                name: idx.to_string(),
            });
        };
        if c.state.is_running() {
            return Ok(RunOutcome::default());
        }
        let id = c.id;
        let command = c.command.clone();
        let outcome = match process::classify(&command) {
            Behaviour::Daemon { startup } => {
                self.set_running(idx);
                let result = if startup.is_empty() {
                    process::ProcessResult::default()
                } else {
                    self.run_in_container(idx, &startup).unwrap_or_default()
                };
                self.append_logs(idx, &result.stdout, &result.stderr);
                let exit_code = if attached {
                    self.emit(Event::ForegroundStopped { id });
                    self.finish(idx, 0);
                    Some(0)
                } else {
                    None
                };
                RunOutcome {
                    stdout: result.stdout,
                    stderr: result.stderr,
                    exit_code,
                }
            }
            Behaviour::Finite => {
                // A program the image lacks never starts: the container stays Created, unless
                // it was made with --rm, which Docker's daemon honours for a failed start too.
                let result = match self.run_in_container(idx, &command) {
                    Ok(result) => result,
                    Err(nf) => {
                        if self.containers.get(idx).is_some_and(|c| c.auto_remove) {
                            self.remove_at(idx);
                        }
                        return Err(EngineError::ExecutableNotFound { program: nf.program });
                    }
                };
                self.set_running(idx);
                self.append_logs(idx, &result.stdout, &result.stderr);
                self.finish(idx, result.exit_code);
                RunOutcome {
                    stdout: result.stdout,
                    stderr: result.stderr,
                    exit_code: Some(result.exit_code),
                }
            }
        };
        Ok(outcome)
    }

    fn set_running(&mut self, idx: usize) {
        let started = self.now;
        let Some(c) = self.containers.get_mut(idx) else {
            return;
        };
        c.state = ContainerState::Running { started };
        let id = c.id;
        self.emit(Event::ContainerStarted { id });
    }

    fn finish(&mut self, idx: usize, code: i32) {
        let now = self.now;
        let Some(c) = self.containers.get_mut(idx) else {
            return;
        };
        let started = match c.state {
            ContainerState::Running { started } => started,
            _ => now,
        };
        c.state = ContainerState::Exited {
            code,
            started,
            finished: now,
        };
        let (id, auto_remove) = (c.id, c.auto_remove);
        self.emit(Event::ContainerExited { id, code });
        if auto_remove {
            self.remove_at(idx);
        }
    }

    /// `docker stop`: a server exits 0 on SIGTERM; anything else running as PID 1 ignores it and
    /// is killed after the grace period (137).
    pub fn stop_container(&mut self, idx: usize) -> Result<(), EngineError> {
        let Some(c) = self.containers.get(idx) else {
            return Ok(());
        };
        if !c.state.is_running() {
            return Ok(());
        }
        let code = if process::handles_sigterm(&c.command) {
            0
        } else {
            137
        };
        self.finish(idx, code);
        Ok(())
    }

    /// `docker rm [-f]`.
    pub fn remove_container(&mut self, idx: usize, force: bool) -> Result<(), EngineError> {
        let Some(c) = self.containers.get(idx) else {
            return Ok(());
        };
        if c.state.is_running() && !force {
            return Err(EngineError::RemoveRunning { id: c.id.hex() });
        }
        self.remove_at(idx);
        Ok(())
    }

    fn remove_at(&mut self, idx: usize) {
        if idx >= self.containers.len() {
            return;
        }
        let c = self.containers.remove(idx);
        self.store.unregister_container(&c.id.hex());
        let freed = c.upper.size() + c.log.disk_bytes() + accounting::CONTAINER_CONFIG_BYTES;
        self.emit(Event::ContainerRemoved {
            id: c.id,
            name: c.name,
            freed,
        });
    }

    /// `docker exec`: runs a command in a running container through the simulated shell. Its
    /// output is returned, not logged (Docker logs only the main process).
    pub fn exec(&mut self, idx: usize, argv: &[String]) -> Result<process::ProcessResult, EngineError> {
        let Some(c) = self.containers.get(idx) else {
            return Err(EngineError::NoSuchContainer {
                name: idx.to_string(),
            });
        };
        if !c.state.is_running() {
            return Err(EngineError::NotRunning { id: c.id.hex() });
        }
        self.run_in_container(idx, argv)
            .map_err(|nf| EngineError::ExecutableNotFound { program: nf.program })
    }

    /// Runs `argv` against the container's files, keeping its writable layer and volumes.
    fn run_in_container(
        &mut self,
        idx: usize,
        argv: &[String],
    ) -> Result<process::ProcessResult, process::NotFound> {
        let Some(c) = self.containers.get(idx) else {
            return Ok(process::ProcessResult::default());
        };
        let mut env = self.shell_env(&c.image, &c.id.short());
        let layers: Vec<std::sync::Arc<Changeset>> = self
            .store
            .image_layers(&c.image)
            .iter()
            .map(|l| l.changeset.clone())
            .collect();
        let mut fs = RootFs::new(&c.name, layers, &c.upper, self.now);
        let mounts = c.mounts.clone();
        let mut volumes: Vec<(String, crate::engine::Volume)> = mounts
            .iter()
            .filter_map(|m| self.volumes.get(&m.volume).map(|v| (m.target.clone(), v.clone())))
            .collect();
        let result = process::run(&mut fs, &mut volumes, &mut env, argv);
        let (upper, events) = fs.finish();
        if let Some(c) = self.containers.get_mut(idx) {
            c.upper = upper;
        }
        for (_, v) in volumes {
            self.volumes.insert(v.name.clone(), v);
        }
        for e in events {
            self.emit(e);
        }
        result
    }

    /// The process's surroundings: the image's working directory and environment, and the short
    /// container ID as host name, as Docker sets them.
    pub(super) fn shell_env(&self, image: &Digest, hostname: &str) -> crate::shell::ShellEnv {
        let mut env = crate::shell::ShellEnv::new(hostname, self.now);
        let config = self.store.image(image).and_then(|i| i.config.config().clone());
        if let Some(c) = config {
            if let Some(dir) = c.working_dir().clone().filter(|d| d.starts_with('/')) {
                env.cwd = dir;
            }
            for var in c.env().clone().unwrap_or_default() {
                if let Some((k, v)) = var.split_once('=') {
                    env.vars.retain(|(name, _)| name != k);
                    env.vars.push((k.to_string(), v.to_string()));
                }
            }
        }
        env
    }

    fn append_logs(&mut self, idx: usize, stdout: &str, stderr: &str) {
        let now = self.now;
        let time = crate::cli::format::rfc3339(now);
        let Some(c) = self.containers.get_mut(idx) else {
            return;
        };
        let mut rotations = 0;
        for (stream, text) in [("stdout", stdout), ("stderr", stderr)] {
            for line in text.lines() {
                if c.log.append(JsonFileLog::entry_len(line, stream, &time)) {
                    rotations += 1;
                }
                c.log_lines.push(LogLine {
                    time: now,
                    stream: stream.into(),
                    text: line.into(),
                });
            }
        }
        // What was rotated away is gone from `docker logs` too: keep only lines still on disk.
        if c.log.max_size.is_some() {
            let mut keep = c.log.disk_bytes();
            let mut start = c.log_lines.len();
            while start > 0 {
                let Some(l) = c.log_lines.get(start - 1) else {
                    break;
                };
                let len = JsonFileLog::entry_len(&l.text, &l.stream, &crate::cli::format::rfc3339(l.time));
                if len > keep {
                    break;
                }
                keep -= len;
                start -= 1;
            }
            c.log_lines.drain(..start);
        }
        let id = c.id;
        if rotations > 0 {
            self.emit(Event::LogRotated { id, rotations });
        }
    }

    /// `docker diff`: what the container changed, by path.
    pub fn diff(&self, idx: usize) -> Vec<crate::container::Change> {
        let Some(c) = self.containers.get(idx) else {
            return Vec::new();
        };
        let layers = self
            .store
            .image_layers(&c.image)
            .iter()
            .map(|l| l.changeset.clone())
            .collect();
        RootFs::new(&c.name, layers, &c.upper, self.now).changes()
    }

    /// `docker checkpoint create`: a snapshot of the process's memory, kept beside the container.
    pub fn checkpoint(&mut self, idx: usize, name: &str) -> Result<u64, EngineError> {
        let Some(c) = self.containers.get_mut(idx) else {
            return Err(EngineError::NoSuchContainer {
                name: name.to_string(),
            });
        };
        if !c.state.is_running() {
            return Err(EngineError::NotRunning { id: c.id.hex() });
        }
        let size = accounting::checkpoint_size(process::resident_memory(&c.command));
        c.checkpoints.push(Checkpoint {
            name: name.to_string(),
            size,
        });
        Ok(size)
    }
}

fn parse_log_opts(opts: &[String]) -> Result<JsonFileLog, EngineError> {
    let mut max_size = None;
    let mut max_file = 1u32;
    for opt in opts {
        let (key, value) = opt.split_once('=').unwrap_or((opt.as_str(), ""));
        let bad = || EngineError::InvalidLogOpt {
            option: key.to_string(),
            value: value.to_string(),
        };
        match key {
            "max-size" => {
                max_size = Some(
                    accounting::parse_log_max_size(value)
                        .filter(|v| *v > 0)
                        .ok_or_else(bad)?,
                )
            }
            "max-file" => max_file = value.parse().ok().filter(|n| *n >= 1).ok_or_else(bad)?,
            "compress" | "labels" | "env" | "env-regex" | "tag" => {}
            _ => {
                return Err(EngineError::UnknownLogOpt {
                    option: key.to_string(),
                });
            }
        }
    }
    Ok(JsonFileLog::new(max_size, max_file))
}
