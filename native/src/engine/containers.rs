//! Container commands: `ps`, `stop`, `rm`, `logs`, `diff`, `system df` (`create` is in
//! `create.rs`, `start` and `run` in `start.rs`, `inspect` in `inspect.rs`).
//!
//! A container is a directory `containers/<id>/` holding its [`ContainerRecord`] (`config.json`,
//! what was asked for), the runtime's `state.json` (pid, running, exit code, times) and its
//! json-file log. Its size is measured from its upper directory as Docker's overlay2 does
//! (`runtime::changes`), and printed by core's renderers.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use layerlab_core::cli::args::{LogsArgs, PsArgs, RmArgs, StopArgs, SystemDfArgs};
use layerlab_core::cli::render::{
    self, ContainerRow, ContainerStatus, DfImageRow, DfRow, DfSummary, DfVerbose, DiffKind, PsOptions,
};
use layerlab_core::digest::Digest;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

use super::images::epoch;
use super::volumes::{MountKind, MountRecord};
use super::{Engine, EngineError, io_err, now};
use crate::content_store::ImageRecord;
use crate::runtime::changes::{ChangeKind, container_changes, container_size};
use crate::runtime::detach::{ContainerState, StateError};
use crate::runtime::{ContainerLayout, StorageDriver};

/// What `run` or `create` was asked for, kept for `start`, `ps`, `exec`, `diff`, `inspect` and
/// `rm`. Fields added after the first release default, so older records still load.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContainerRecord {
    pub id: String,
    pub name: String,
    /// The image as the user named it (`ps` shows this).
    pub image_name: String,
    pub image_id: Digest,
    /// Entrypoint then cmd, as `ps` shows it.
    pub command: Vec<String>,
    pub env: Vec<String>,
    pub workdir: String,
    pub user: String,
    pub created: i64,
    pub auto_remove: bool,
    pub host_network: bool,
    /// How many volumes (not bind mounts) it mounts: `system df -v`'s LOCAL VOLUMES.
    pub volumes: usize,
    pub vfs: bool,
    /// The entrypoint and cmd apart (`inspect` shows both); `None` in records older than them.
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default)]
    pub cmd: Option<Vec<String>>,
    /// `-t`.
    #[serde(default)]
    pub tty: bool,
    /// `-i`.
    #[serde(default)]
    pub open_stdin: bool,
    /// `-d` (made to run in the background).
    #[serde(default)]
    pub detach: bool,
    /// `-v`, resolved: bind mounts and volumes.
    #[serde(default)]
    pub mounts: Vec<MountRecord>,
    #[serde(default)]
    pub memory: Option<u64>,
    #[serde(default)]
    pub pids_limit: Option<i64>,
    /// Its init layer is the one all containers share (`<root>/init`), not its own `init/`.
    #[serde(default)]
    pub shared_init: bool,
}

impl ContainerRecord {
    /// The entrypoint and cmd; a record that kept only the joined command runs it as the cmd.
    pub fn entrypoint_and_cmd(&self) -> (Vec<String>, Vec<String>) {
        match (&self.entrypoint, &self.cmd) {
            (Some(e), Some(c)) => (e.clone(), c.clone()),
            _ => (Vec::new(), self.command.clone()),
        }
    }
}

/// The init layer every container made since it exists shares, under the data root.
pub(crate) const SHARED_INIT: &str = "init";

/// A container as found on disk.
#[derive(Debug, Clone)]
pub struct Container {
    pub record: ContainerRecord,
    pub dir: PathBuf,
    pub state: Option<ContainerState>,
}

impl Container {
    pub fn layout(&self) -> ContainerLayout {
        let layout = ContainerLayout::new(&self.dir);
        // `<root>/containers/<id>` → `<root>/init`.
        match self.dir.parent().and_then(Path::parent) {
            Some(root) if self.record.shared_init => layout.with_shared_init(root.join(SHARED_INIT)),
            _ => layout,
        }
    }

    fn driver(&self) -> StorageDriver {
        if self.record.vfs {
            StorageDriver::Vfs
        } else {
            StorageDriver::Overlay
        }
    }

    /// Running, judged by the state file and by the process still being there (a monitor killed
    /// with the machine cannot record the exit).
    pub fn running_pid(&self) -> Option<i32> {
        let state = self.state.as_ref()?;
        (state.running && alive(state.pid)).then_some(state.pid)
    }

    fn status(&self) -> ContainerStatus {
        match &self.state {
            None => ContainerStatus::Created,
            Some(s) if self.running_pid().is_some() => ContainerStatus::Running {
                started_at: epoch(Some(&s.started_at)),
            },
            Some(s) => ContainerStatus::Exited {
                code: i64::from(s.exit_code.unwrap_or(255)),
                finished_at: epoch(s.finished_at.as_deref()),
            },
        }
    }
}

/// Whether `pid` is a process that has not begun to exit. A container's init is the child of
/// whoever waits for it (the attached `run`, or the monitor), and signals still reach it while it
/// exits (the last process of a mount namespace unmounts it first, which can take a while on a
/// busy disk) and while it is a zombie, until that wait. Both count as ended here, so that
/// readers wait for the exit to be recorded instead of reporting a container still up.
pub(crate) fn alive(pid: i32) -> bool {
    /// `PF_EXITING` in `/proc/<pid>/stat`'s flags: set as the process starts to exit.
    const EXITING: u64 = 0x4;
    if kill(Pid::from_raw(pid), None).is_err() {
        return false;
    }
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // `pid (comm) state ppid pgrp session tty_nr tpgid flags ...`: the fields after the last
        // ')' (comm may hold anything).
        Ok(stat) => {
            let mut fields = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace());
            let state = fields.as_mut().and_then(|f| f.next());
            let flags = fields
                .as_mut()
                .and_then(|f| f.nth(5))
                .and_then(|f| f.parse::<u64>().ok());
            !matches!(state, Some("Z" | "X")) && flags.is_none_or(|f| f & EXITING == 0)
        }
        Err(e) => e.kind() != std::io::ErrorKind::NotFound,
    }
}

pub(crate) fn random_hex(bytes: usize) -> Result<String, EngineError> {
    let mut buf = vec![0u8; bytes];
    let path = Path::new("/dev/urandom");
    let mut f = fs::File::open(path).map_err(io_err("open", path))?;
    std::io::Read::read_exact(&mut f, &mut buf).map_err(io_err("read", path))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// Docker's generated names are `adjective_surname`; a short list keeps the flavour.
pub(crate) fn generated_name(hex: &str) -> String {
    const LEFT: [&str; 8] = [
        "admiring", "brave", "clever", "eager", "focused", "gifted", "nifty", "quirky",
    ];
    const RIGHT: [&str; 8] = [
        "hopper", "lovelace", "turing", "curie", "noether", "ritchie", "torvalds", "wozniak",
    ];
    let n = usize::from_str_radix(hex.get(..4).unwrap_or("0"), 16).unwrap_or(0);
    format!(
        "{}_{}",
        LEFT.get(n % 8).unwrap_or(&"eager"),
        RIGHT.get(n / 8 % 8).unwrap_or(&"turing")
    )
}

pub(crate) fn valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(c) if c.is_ascii_alphanumeric())
        && bytes.all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(&c))
}

pub(crate) fn key(var: &str) -> &str {
    var.split_once('=').map_or(var, |(k, _)| k)
}

impl Engine {
    pub(crate) fn container_dir(&self, id: &str) -> PathBuf {
        self.containers_dir().join(id)
    }

    pub(crate) fn load_container(&self, dir: &Path) -> Result<Option<Container>, EngineError> {
        let path = dir.join("config.json");
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err("read", &path)(e)),
        };
        let record: ContainerRecord =
            serde_json::from_slice(&bytes).map_err(|source| EngineError::BadRecord { path, source })?;
        let mut state = ContainerState::load(dir).ok();
        // The monitor reaps the process first and records the exit just after: a reader that
        // falls between the two waits for the record rather than report an exit it cannot know.
        if let Some(s) = &state
            && s.running
            && !alive(s.pid)
        {
            state = match ContainerState::wait(dir, Duration::from_secs(5)) {
                Ok(recorded) => Some(recorded),
                // It was `--rm` and is gone now.
                Err(StateError::Removed { .. }) => return Ok(None),
                // Whoever watched it is gone too (an attached run whose terminal was closed, a
                // monitor killed): record the end once, with the 255 Docker gives an exit it did
                // not see, so the next reader does not wait again.
                Err(_) => {
                    let lost = ContainerState {
                        running: false,
                        exit_code: Some(255),
                        finished_at: Some(jiff::Timestamp::now().to_string()),
                        ..s.clone()
                    };
                    write_state(dir, &lost);
                    Some(lost)
                }
            };
        }
        Ok(Some(Container {
            record,
            dir: dir.to_owned(),
            state,
        }))
    }

    /// Every container, newest first (as `ps` lists them).
    pub(crate) fn containers(&self) -> Result<Vec<Container>, EngineError> {
        let dir = self.containers_dir();
        let mut out = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io_err("list", &dir))? {
            let entry = entry.map_err(io_err("list", &dir))?;
            if let Some(c) = self.load_container(&entry.path())? {
                // The record keeps whole seconds, and Docker orders by its nanosecond Created:
                // the directory's birth time orders containers made within one second (a file
                // system without birth times leaves them in directory order).
                let born = entry.metadata().and_then(|m| m.created()).ok();
                out.push((c, born));
            }
        }
        out.sort_by(|(a, a_born), (b, b_born)| (b.record.created, b_born).cmp(&(a.record.created, a_born)));
        Ok(out.into_iter().map(|(c, _)| c).collect())
    }

    /// By full ID, unique ID prefix, or name, as Docker looks containers up.
    pub(crate) fn find_container(&self, name: &str) -> Result<Container, EngineError> {
        let all = self.containers()?;
        let name = name.strip_prefix('/').unwrap_or(name);
        if let Some(c) = all.iter().find(|c| c.record.id == name || c.record.name == name) {
            return Ok(c.clone());
        }
        let mut prefixed = all
            .iter()
            .filter(|c| !name.is_empty() && c.record.id.starts_with(name));
        match (prefixed.next(), prefixed.next()) {
            (Some(c), None) => Ok(c.clone()),
            _ => Err(EngineError::NoSuchContainer {
                name: name.to_owned(),
            }),
        }
    }

    /// The image's layer snapshot directories, top layer first (overlay's lowerdir order).
    pub(crate) fn image_lowers(&self, image: &ImageRecord) -> Vec<PathBuf> {
        image
            .layers
            .iter()
            .rev()
            .map(|chain| self.store.snapshots.diff_dir(chain))
            .collect()
    }

    pub(crate) fn reap_auto_remove(&self) {
        if let Ok(all) = self.containers() {
            for c in all {
                if c.record.auto_remove && c.state.is_some() && c.running_pid().is_none() {
                    let _ = self.remove_container(&c, true);
                }
            }
        }
    }

    /// Deletes the container; with `anonymous_volumes` (`rm -v`, `--rm`) its anonymous volumes
    /// go too. Named volumes always stay.
    pub(crate) fn remove_container(&self, c: &Container, anonymous_volumes: bool) -> Result<(), EngineError> {
        c.layout().remove()?;
        if c.dir.exists() {
            fs::remove_dir_all(&c.dir).map_err(io_err("remove", &c.dir))?;
        }
        self.store.content.remove_container_ref(&c.record.id)?;
        if anonymous_volumes {
            for m in c
                .record
                .mounts
                .iter()
                .filter(|m| m.kind == MountKind::Volume && m.anonymous)
            {
                if let Some(name) = &m.name {
                    // Another container may mount it too (`-v NAME` of an anonymous one): then it stays.
                    match self.remove_volume(name) {
                        Ok(_) | Err(EngineError::Volume(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(())
    }

    /// Records a container that never started, so `ps -a` shows it exited as Docker does.
    pub(crate) fn record_exit(&self, dir: &Path, code: i32) {
        let now = jiff::Timestamp::now().to_string();
        write_state(
            dir,
            &ContainerState {
                pid: 0,
                running: false,
                exit_code: Some(code),
                started_at: now.clone(),
                finished_at: Some(now),
            },
        );
    }

    pub(crate) fn container_sizes(&self, c: &Container) -> Result<(u64, u64), EngineError> {
        let Some(image) = self.store.content.image(&c.record.image_id)? else {
            return Ok((0, 0));
        };
        let rw = container_size(&c.layout(), c.driver(), &self.image_lowers(&image))?;
        let image_size = self.image_size(&image)?;
        Ok((rw, image_size.saturating_add(rw)))
    }

    fn container_row(&self, c: &Container, sizes: bool) -> Result<ContainerRow, EngineError> {
        let (size_rw, size_root_fs) = if sizes {
            let (rw, root) = self.container_sizes(c)?;
            (Some(rw), Some(root))
        } else {
            (None, None)
        };
        Ok(ContainerRow {
            id: c.record.id.clone(),
            image: c.record.image_name.clone(),
            command: layerlab_core::cli::format::command_text(&c.record.command),
            created: c.record.created,
            status: c.status(),
            ports: String::new(),
            names: vec![c.record.name.clone()],
            size_rw,
            size_root_fs,
            local_volumes: c.record.volumes as u64,
        })
    }

    pub(crate) fn cmd_ps(&self, args: &PsArgs, out: &mut dyn Write) -> Result<i32, EngineError> {
        let mut rows = Vec::new();
        for c in self.containers()? {
            if !args.all && c.running_pid().is_none() {
                continue;
            }
            rows.push(self.container_row(&c, args.size)?);
        }
        let opts = PsOptions {
            size: args.size,
            quiet: args.quiet,
            no_trunc: args.no_trunc,
            format: args.format.clone(),
        };
        let text = render::ps(&rows, &opts, now()).map_err(|e| EngineError::Render {
            reason: e.to_string(),
        })?;
        let _ = out.write_all(text.as_bytes());
        Ok(0)
    }

    pub(crate) fn cmd_diff(&self, name: &str, out: &mut dyn Write) -> Result<i32, EngineError> {
        let c = self.find_container(name)?;
        let Some(image) = self.store.content.image(&c.record.image_id)? else {
            return Err(EngineError::NoSuchImage {
                name: c.record.image_id.to_string(),
            });
        };
        let changes = container_changes(&c.layout(), c.driver(), &self.image_lowers(&image))?;
        let lines: Vec<(DiffKind, String)> = changes
            .into_iter()
            .map(|ch| {
                let kind = match ch.kind {
                    ChangeKind::Added => DiffKind::Added,
                    ChangeKind::Changed => DiffKind::Changed,
                    ChangeKind::Deleted => DiffKind::Deleted,
                };
                (kind, ch.path)
            })
            .collect();
        let _ = out.write_all(render::diff(&lines).as_bytes());
        Ok(0)
    }

    pub(crate) fn cmd_logs(
        &self,
        name: &str,
        args: &LogsArgs,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<i32, EngineError> {
        let c = self.find_container(name)?;
        let path = c.dir.join(format!("{}-json.log", c.record.id));
        // Docker's daemon shows everything for a tail it cannot read as a number.
        let tail = args.tail.as_deref().and_then(|n| n.parse::<usize>().ok());
        let mut log = LogReader::default();
        let entries = log.read_new(&path)?;
        let skip = tail.map_or(0, |n| entries.len().saturating_sub(n));
        for e in entries.iter().skip(skip) {
            e.print(args.timestamps, out, err);
        }
        if !args.follow {
            return Ok(0);
        }
        // `-f`: new lines as they come, until the container has exited and its last lines are in.
        loop {
            let running = self
                .load_container(&c.dir)?
                .is_some_and(|c| c.running_pid().is_some());
            for e in log.read_new(&path)? {
                e.print(args.timestamps, out, err);
            }
            let _ = out.flush();
            if !running {
                return Ok(0);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Signals the container and waits for the monitor to record its exit.
    fn stop_container(&self, c: &Container, timeout: Duration) -> Result<(), EngineError> {
        let Some(pid) = c.running_pid() else {
            return Ok(());
        };
        let pid = Pid::from_raw(pid);
        let _ = kill(pid, Signal::SIGTERM);
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline && alive(pid.as_raw()) {
            std::thread::sleep(Duration::from_millis(20));
        }
        // The container's init ignores signals it has no handler for, as any pid 1 does.
        let _ = kill(pid, Signal::SIGKILL);
        if c.state.is_some() {
            match ContainerState::wait(&c.dir, Duration::from_secs(10)) {
                Ok(_) | Err(StateError::Removed { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    pub(crate) fn cmd_stop(
        &self,
        args: &StopArgs,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<i32, EngineError> {
        let timeout = Duration::from_secs(u64::try_from(args.time.unwrap_or(10)).unwrap_or(0));
        let mut code = 0;
        for name in &args.containers {
            match self
                .find_container(name)
                .and_then(|c| self.stop_container(&c, timeout))
            {
                Ok(()) => {
                    let _ = writeln!(out, "{name}");
                }
                Err(e) => {
                    let _ = writeln!(err, "Error response from daemon: {e}");
                    code = 1;
                }
            }
        }
        self.reap_auto_remove();
        Ok(code)
    }

    pub(crate) fn cmd_rm(
        &self,
        args: &RmArgs,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<i32, EngineError> {
        let mut code = 0;
        for name in &args.containers {
            let result = self.find_container(name).and_then(|c| {
                if c.running_pid().is_some() {
                    if !args.force {
                        return Err(EngineError::RemoveRunning { id: c.record.id });
                    }
                    self.stop_container(&c, Duration::ZERO)?;
                }
                self.remove_container(&c, args.volumes)
            });
            match result {
                Ok(()) => {
                    let _ = writeln!(out, "{name}");
                }
                Err(e) => {
                    let _ = writeln!(err, "Error response from daemon: {e}");
                    code = 1;
                }
            }
        }
        Ok(code)
    }

    pub(crate) fn cmd_system_df(&self, args: &SystemDfArgs, out: &mut dyn Write) -> Result<i32, EngineError> {
        if args.format.is_some() {
            return Err(EngineError::Unsupported {
                what: "system df --format",
            });
        }
        let images = self.store.content.images()?;
        let containers = self.containers()?;
        let mut layer_size: BTreeMap<Digest, u64> = BTreeMap::new();
        let mut images_per_layer: BTreeMap<Digest, usize> = BTreeMap::new();
        for (image, _) in &images {
            for chain in &image.layers {
                let size = self.store.content.layer(chain)?.map_or(0, |l| l.diff_size);
                layer_size.insert(*chain, size);
                *images_per_layer.entry(*chain).or_insert(0) += 1;
            }
        }
        // Docker counts every layer once however many images hold it; SHARED is what another
        // image also holds (containers do not make a layer shared).
        let layers_total: u64 = layer_size.values().sum();
        let mut image_rows = Vec::new();
        let mut in_use_unique = 0u64;
        let mut active_images = 0u64;
        for (image, tags) in &images {
            let size = self.image_size(image)?;
            let shared: u64 = image
                .layers
                .iter()
                .filter(|l| images_per_layer.get(*l).copied().unwrap_or(0) > 1)
                .map(|l| layer_size.get(l).copied().unwrap_or(0))
                .sum();
            let users = containers
                .iter()
                .filter(|c| c.record.image_id == image.id)
                .count() as u64;
            if users > 0 {
                active_images += 1;
                in_use_unique += size.saturating_sub(shared);
            }
            let created = epoch(self.read_config(image)?.created.as_deref());
            let names: Vec<Option<String>> = if tags.is_empty() {
                vec![None]
            } else {
                tags.iter().map(|t| Some(t.clone())).collect()
            };
            for t in names {
                let (repository, tag) = match t.as_deref().map(layerlab_core::reference::Reference::parse) {
                    Some(Ok(r)) => (Some(r.familiar_name()), r.tag().map(str::to_owned)),
                    _ => (None, None),
                };
                image_rows.push(DfImageRow {
                    repository,
                    tag,
                    id: image.id,
                    created,
                    size,
                    shared_size: Some(shared),
                    containers: users,
                });
            }
        }
        image_rows.sort_by(|a, b| {
            b.created
                .cmp(&a.created)
                .then_with(|| a.repository.cmp(&b.repository))
        });
        let mut container_rows = Vec::new();
        let (mut containers_size, mut reclaimable_containers, mut running) = (0u64, 0u64, 0u64);
        for c in &containers {
            let row = self.container_row(c, true)?;
            let rw = row.size_rw.unwrap_or(0);
            containers_size += rw;
            if c.running_pid().is_some() {
                running += 1;
            } else {
                reclaimable_containers += rw;
            }
            container_rows.push(row);
        }
        let volume_rows = self.volume_rows(true)?;
        let now = now();
        let text = if args.verbose {
            render::system_df_verbose(
                &DfVerbose {
                    images: image_rows,
                    containers: container_rows,
                    volumes: volume_rows,
                    build_cache: Vec::new(),
                    build_cache_size: 0,
                },
                now,
            )
        } else {
            let distinct: BTreeSet<Digest> = images.iter().map(|(i, _)| i.id).collect();
            render::system_df(&DfSummary {
                images: DfRow {
                    total: distinct.len() as u64,
                    active: active_images,
                    size: layers_total,
                    reclaimable: layers_total.saturating_sub(in_use_unique),
                },
                containers: DfRow {
                    total: containers.len() as u64,
                    active: running,
                    size: containers_size,
                    reclaimable: reclaimable_containers,
                },
                volumes: DfRow {
                    total: volume_rows.len() as u64,
                    active: volume_rows.iter().filter(|v| v.links > 0).count() as u64,
                    size: volume_rows.iter().map(|v| v.size.unwrap_or(0)).sum(),
                    reclaimable: volume_rows
                        .iter()
                        .filter(|v| v.links == 0)
                        .map(|v| v.size.unwrap_or(0))
                        .sum(),
                },
                build_cache: DfRow::default(),
            })
        };
        let _ = out.write_all(text.as_bytes());
        Ok(0)
    }
}

#[derive(Debug, Deserialize)]
struct LogEntry {
    log: String,
    stream: String,
    time: String,
}

impl LogEntry {
    fn print(&self, timestamps: bool, out: &mut dyn Write, err: &mut dyn Write) {
        let sink: &mut dyn Write = if self.stream == "stderr" { err } else { out };
        if timestamps {
            let _ = write!(sink, "{} ", fixed_nanos(&self.time));
        }
        let _ = sink.write_all(self.log.as_bytes());
    }
}

/// Docker's `logs -t` time: RFC 3339 with all nine fraction digits (`RFC3339NanoFixed`), where
/// the log file keeps Go's shortest form.
fn fixed_nanos(time: &str) -> String {
    match time.parse::<jiff::Timestamp>() {
        Ok(t) => format!(
            "{}.{:09}Z",
            t.strftime("%Y-%m-%dT%H:%M:%S"),
            t.subsec_nanosecond()
        ),
        Err(_) => time.to_owned(),
    }
}

/// Reads a json-file log incrementally: each call returns the complete lines written since the
/// last (a line still being written waits for the next call).
#[derive(Debug, Default)]
struct LogReader {
    offset: u64,
}

impl LogReader {
    fn read_new(&mut self, path: &Path) -> Result<Vec<LogEntry>, EngineError> {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = match fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err("read", path)(e)),
        };
        f.seek(SeekFrom::Start(self.offset))
            .map_err(io_err("read", path))?;
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).map_err(io_err("read", path))?;
        let complete = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        self.offset += complete as u64;
        Ok(bytes
            .get(..complete)
            .unwrap_or_default()
            .split(|b| *b == b'\n')
            .filter_map(|l| serde_json::from_slice(l).ok())
            .collect())
    }
}

/// Writes `state.json` the way the runtime's monitor does (a rename, so readers never see half).
pub(crate) fn write_state(dir: &Path, state: &ContainerState) {
    let tmp = dir.join("state.json.tmp");
    if let Ok(text) = serde_json::to_vec(state)
        && fs::write(&tmp, text).is_ok()
    {
        let _ = fs::rename(&tmp, dir.join("state.json"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_times_get_nine_fraction_digits() {
        assert_eq!(
            fixed_nanos("2026-11-27T18:20:27.1234Z"),
            "2026-11-27T18:20:27.123400000Z"
        );
        assert_eq!(
            fixed_nanos("2026-11-27T18:20:27Z"),
            "2026-11-27T18:20:27.000000000Z"
        );
        assert_eq!(fixed_nanos("not a time"), "not a time");
    }

    #[test]
    fn the_log_reader_returns_whole_lines_once() {
        let t = tempfile::tempdir().expect("tmp");
        let path = t.path().join("c-json.log");
        let line = |text: &str| {
            format!("{{\"log\":\"{text}\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-27T18:20:27Z\"}}\n")
        };
        let second = line("b");
        let (head, rest) = second.split_at(10);
        fs::write(&path, format!("{}{head}", line("a"))).expect("write");
        let mut reader = LogReader::default();
        let logs = |entries: Vec<LogEntry>| entries.into_iter().map(|e| e.log).collect::<Vec<_>>();
        assert_eq!(logs(reader.read_new(&path).expect("read")), ["a\n"]);
        let mut f = fs::OpenOptions::new().append(true).open(&path).expect("open");
        f.write_all(rest.as_bytes()).expect("append");
        assert_eq!(logs(reader.read_new(&path).expect("read")), ["b\n"]);
        assert!(reader.read_new(&path).expect("read").is_empty());
        assert!(
            LogReader::default()
                .read_new(&t.path().join("none"))
                .expect("read")
                .is_empty()
        );
    }

    #[test]
    fn a_zombie_is_not_alive() {
        assert!(alive(std::process::id() as i32));
        // SAFETY: the child only calls _exit.
        match unsafe { nix::unistd::fork() }.expect("fork") {
            nix::unistd::ForkResult::Child => unsafe { libc::_exit(0) },
            nix::unistd::ForkResult::Parent { child } => {
                // Not reaped yet: a zombie once it has exited.
                let deadline = Instant::now() + Duration::from_secs(10);
                while alive(child.as_raw()) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(5));
                }
                assert!(!alive(child.as_raw()));
                assert!(kill(child, None).is_ok(), "a zombie still takes signals");
                let _ = nix::sys::wait::waitpid(child, None);
                assert!(!alive(child.as_raw()));
            }
        }
    }

    #[test]
    fn names_follow_dockers_rule() {
        assert!(valid_name("demo"));
        assert!(valid_name("a.b-c_d"));
        assert!(!valid_name("-x"));
        assert!(!valid_name(""));
        assert!(!valid_name("a/b"));
        assert!(valid_name(&generated_name("ffff")));
    }
}
