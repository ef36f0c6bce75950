//! Container commands: `run`, `ps`, `stop`, `rm`, `logs`, `diff`, `system df`.
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

use layerlab_core::cli::args::{LogsArgs, PsArgs, RmArgs, RunArgs, StopArgs, SystemDfArgs};
use layerlab_core::cli::render::{
    self, ContainerRow, ContainerStatus, DfImageRow, DfRow, DfSummary, DfVerbose, DiffKind, PsOptions,
};
use layerlab_core::digest::Digest;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

use super::images::epoch;
use super::{Engine, EngineError, io_err, now};
use crate::content_store::ImageRecord;
use crate::runtime::changes::{ChangeKind, container_changes, container_size};
use crate::runtime::detach::{ContainerState, start_detached};
use crate::runtime::{
    BindMount, ContainerLayout, ContainerSpec, Limits, NetworkMode, ProcessSpec, RunOptions, StorageDriver,
};

/// What `run` was asked for, kept for `ps`, `exec`, `diff` and `rm`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContainerRecord {
    pub id: String,
    pub name: String,
    /// The image as the user named it (`ps` shows this).
    pub image_name: String,
    pub image_id: Digest,
    /// Entrypoint then cmd.
    pub command: Vec<String>,
    pub env: Vec<String>,
    pub workdir: String,
    pub user: String,
    pub created: i64,
    pub auto_remove: bool,
    pub host_network: bool,
    pub volumes: usize,
    pub vfs: bool,
}

/// A container as found on disk.
#[derive(Debug, Clone)]
pub struct Container {
    pub record: ContainerRecord,
    pub dir: PathBuf,
    pub state: Option<ContainerState>,
}

impl Container {
    pub fn layout(&self) -> ContainerLayout {
        ContainerLayout::new(&self.dir)
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
        (state.running && kill(Pid::from_raw(state.pid), None).is_ok()).then_some(state.pid)
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

fn random_hex(bytes: usize) -> Result<String, EngineError> {
    let mut buf = vec![0u8; bytes];
    let path = Path::new("/dev/urandom");
    let mut f = fs::File::open(path).map_err(io_err("open", path))?;
    std::io::Read::read_exact(&mut f, &mut buf).map_err(io_err("read", path))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// Docker's generated names are `adjective_surname`; a short list keeps the flavour.
fn generated_name(hex: &str) -> String {
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

fn valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(c) if c.is_ascii_alphanumeric())
        && bytes.all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(&c))
}

fn key(var: &str) -> &str {
    var.split_once('=').map_or(var, |(k, _)| k)
}

/// `-v SRC:DST[:ro|rw]` for host paths; named volumes are not offered by this engine.
fn parse_volume(spec: &str) -> Result<BindMount, EngineError> {
    let bad = |reason| EngineError::BadVolume {
        spec: spec.to_owned(),
        reason,
    };
    let parts: Vec<&str> = spec.split(':').collect();
    let (src, dst, mode) = match parts.as_slice() {
        [s, d] => (*s, *d, ""),
        [s, d, m] => (*s, *d, *m),
        _ => return Err(bad("expected SOURCE:TARGET[:ro]")),
    };
    if !src.starts_with('/') {
        return Err(bad(
            "only absolute host paths can be mounted (named volumes are not supported)",
        ));
    }
    if !dst.starts_with('/') {
        return Err(bad("the target must be an absolute path"));
    }
    let read_only = match mode {
        "" | "rw" => false,
        "ro" => true,
        _ => return Err(bad("the mode must be ro or rw")),
    };
    Ok(BindMount {
        source: PathBuf::from(src),
        destination: PathBuf::from(dst),
        read_only,
    })
}

impl Engine {
    fn container_dir(&self, id: &str) -> PathBuf {
        self.containers_dir().join(id)
    }

    fn load_container(&self, dir: &Path) -> Result<Option<Container>, EngineError> {
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
            && kill(Pid::from_raw(s.pid), None).is_err()
        {
            state = ContainerState::wait(dir, Duration::from_secs(5)).ok().or(state);
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
                out.push(c);
            }
        }
        out.sort_by(|a, b| b.record.created.cmp(&a.record.created));
        Ok(out)
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
    fn image_lowers(&self, image: &ImageRecord) -> Vec<PathBuf> {
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
                    let _ = self.remove_container(&c);
                }
            }
        }
    }

    fn remove_container(&self, c: &Container) -> Result<(), EngineError> {
        c.layout().remove()?;
        if c.dir.exists() {
            fs::remove_dir_all(&c.dir).map_err(io_err("remove", &c.dir))?;
        }
        self.store.content.remove_container_ref(&c.record.id)?;
        Ok(())
    }

    pub(crate) fn cmd_run(
        &self,
        args: &RunArgs,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<i32, EngineError> {
        if args.tty || args.interactive && args.detach {
            return Err(EngineError::Unsupported {
                what: "a terminal (-t) or -i with -d",
            });
        }
        let image = match self.find_image(&args.image)? {
            Some(i) => i.record,
            None => {
                let shown = layerlab_core::reference::Reference::parse(&args.image)
                    .map(|r| r.familiar())
                    .unwrap_or_else(|_| args.image.clone());
                let _ = writeln!(err, "Unable to find image '{shown}' locally");
                self.pull_image(&args.image, args.platform.as_deref(), false, false, err)?
            }
        };
        let config = self.read_config(&image)?.config.unwrap_or_default();
        let network = match args.network.as_deref() {
            None | Some("none") | Some("default") | Some("bridge") => NetworkMode::None,
            Some("host") => NetworkMode::Host,
            Some(other) => {
                return Err(EngineError::NoNetwork {
                    name: other.to_owned(),
                });
            }
        };
        let volumes = args
            .volumes
            .iter()
            .map(|v| parse_volume(v))
            .collect::<Result<Vec<_>, _>>()?;

        let id = random_hex(32)?;
        let name = match &args.name {
            Some(n) => {
                let n = n.strip_prefix('/').unwrap_or(n);
                if !valid_name(n) {
                    return Err(EngineError::BadName { name: n.to_owned() });
                }
                if let Some(other) = self.containers()?.into_iter().find(|c| c.record.name == n) {
                    return Err(EngineError::NameInUse {
                        name: n.to_owned(),
                        id: other.record.id,
                    });
                }
                n.to_owned()
            }
            None => generated_name(&id),
        };
        let entrypoint = match &args.entrypoint {
            Some(e) if e.is_empty() => Vec::new(),
            Some(e) => vec![e.clone()],
            None => config.entrypoint.clone().unwrap_or_default(),
        };
        let cmd = if args.command.is_empty() {
            // Docker drops the image's Cmd when --entrypoint replaces the entrypoint.
            if args.entrypoint.is_some() {
                Vec::new()
            } else {
                config.cmd.clone().unwrap_or_default()
            }
        } else {
            args.command.clone()
        };
        let mut env = config.env.clone().unwrap_or_default();
        for var in &args.env {
            // `-e NAME` passes the variable through from the caller, as Docker does.
            let var = if var.contains('=') {
                var.clone()
            } else {
                match std::env::var(var) {
                    Ok(v) => format!("{var}={v}"),
                    Err(_) => continue,
                }
            };
            match env.iter_mut().find(|e| key(e) == key(&var)) {
                Some(slot) => *slot = var,
                None => env.push(var),
            }
        }
        let workdir = args
            .workdir
            .clone()
            .or(config.working_dir.clone())
            .unwrap_or_default();
        let user = args.user.clone().or(config.user.clone()).unwrap_or_default();
        let vfs = std::env::var("LAYERLAB_STORAGE_DRIVER").is_ok_and(|d| d == "vfs");
        let record = ContainerRecord {
            id: id.clone(),
            name,
            image_name: args.image.clone(),
            image_id: image.id,
            command: entrypoint.iter().chain(&cmd).cloned().collect(),
            env: env.clone(),
            workdir: workdir.clone(),
            user: user.clone(),
            created: now(),
            auto_remove: args.rm,
            host_network: network == NetworkMode::Host,
            volumes: volumes.len(),
            vfs,
        };
        let dir = self.container_dir(&id);
        crate::content_store::make_private_dir(&dir)?;
        self.store.content.add_container_ref(&id, &image.id)?;
        let record_path = dir.join("config.json");
        let bytes = serde_json::to_vec_pretty(&record).map_err(|source| EngineError::BadRecord {
            path: record_path.clone(),
            source,
        })?;
        fs::write(&record_path, bytes).map_err(io_err("write", &record_path))?;

        let spec = ContainerSpec {
            id: id.clone(),
            layout: ContainerLayout::new(&dir),
            driver: if vfs {
                StorageDriver::Vfs
            } else {
                StorageDriver::Overlay
            },
            image_layers: self.image_lowers(&image),
            rootless: !nix::unistd::geteuid().is_root(),
            auto_remove: args.rm,
            process: ProcessSpec {
                entrypoint,
                cmd,
                env,
                workdir,
                user,
            },
            network,
            volumes,
            limits: Limits {
                memory: args.memory,
                pids: args.pids_limit,
            },
            log_path: Some(dir.join(format!("{id}-json.log"))),
        };
        if args.detach {
            let started = start_detached(&spec);
            match started {
                Ok(d) => {
                    for w in &d.warnings {
                        let _ = writeln!(err, "WARNING: {w}");
                    }
                    let _ = writeln!(out, "{id}");
                    Ok(0)
                }
                Err(e) => {
                    self.record_exit(&dir, e.exit_code());
                    Err(e.into())
                }
            }
        } else {
            let _ = out.flush();
            let started_at = jiff::Timestamp::now().to_string();
            let result = crate::runtime::run(
                &spec,
                &RunOptions {
                    attach: true,
                    interactive: args.interactive,
                },
            );
            let code = match &result {
                Ok(c) => *c,
                Err(e) => e.exit_code(),
            };
            let state = ContainerState {
                pid: 0,
                running: false,
                exit_code: Some(code),
                started_at,
                finished_at: Some(jiff::Timestamp::now().to_string()),
            };
            write_state(&dir, &state);
            if args.rm {
                if let Some(c) = self.load_container(&dir)? {
                    self.remove_container(&c)?;
                }
            }
            result.map_err(EngineError::from)
        }
    }

    /// Records a container that never started, so `ps -a` shows it exited as Docker does.
    fn record_exit(&self, dir: &Path, code: i32) {
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

    fn container_sizes(&self, c: &Container) -> Result<(u64, u64), EngineError> {
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
            command: c.record.command.join(" "),
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
        if args.follow {
            return Err(EngineError::Unsupported { what: "logs -f" });
        }
        let c = self.find_container(name)?;
        let path = c.dir.join(format!("{}-json.log", c.record.id));
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(io_err("read", &path)(e)),
        };
        let entries: Vec<LogEntry> = text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let skip = match args.tail.as_deref() {
            None | Some("all") => 0,
            Some(n) => entries
                .len()
                .saturating_sub(n.parse::<usize>().unwrap_or(entries.len())),
        };
        for e in entries.iter().skip(skip) {
            let sink: &mut dyn Write = if e.stream == "stderr" {
                &mut *err
            } else {
                &mut *out
            };
            if args.timestamps {
                let _ = write!(sink, "{} ", e.time);
            }
            let _ = sink.write_all(e.log.as_bytes());
        }
        Ok(0)
    }

    /// Signals the container and waits for the monitor to record its exit.
    fn stop_container(&self, c: &Container, timeout: Duration) -> Result<(), EngineError> {
        let Some(pid) = c.running_pid() else {
            return Ok(());
        };
        let pid = Pid::from_raw(pid);
        let _ = kill(pid, Signal::SIGTERM);
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline && kill(pid, None).is_ok() {
            std::thread::sleep(Duration::from_millis(20));
        }
        // The container's init ignores signals it has no handler for, as any pid 1 does.
        let _ = kill(pid, Signal::SIGKILL);
        if c.state.is_some() {
            if let Err(e) = ContainerState::wait(&c.dir, Duration::from_secs(10)) {
                return Err(e.into());
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
                self.remove_container(&c)
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
        let now = now();
        let text = if args.verbose {
            render::system_df_verbose(
                &DfVerbose {
                    images: image_rows,
                    containers: container_rows,
                    volumes: Vec::new(),
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
                volumes: DfRow::default(),
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

/// Writes `state.json` the way the runtime's monitor does (a rename, so readers never see half).
fn write_state(dir: &Path, state: &ContainerState) {
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
    fn volume_specs_are_checked() {
        let v = parse_volume("/src:/dst:ro").expect("valid");
        assert_eq!(
            (v.source, v.destination, v.read_only),
            (PathBuf::from("/src"), PathBuf::from("/dst"), true)
        );
        assert!(parse_volume("name:/dst").is_err());
        assert!(parse_volume("/src:dst").is_err());
        assert!(parse_volume("/src:/dst:xx").is_err());
        assert!(parse_volume("/a").is_err());
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
