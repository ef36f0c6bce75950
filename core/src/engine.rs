//! The simulated engine: images, containers, volumes and logs held in memory, driven by
//! docker-style command lines.
//!
//! Everything that Docker takes from the outside world is injected here instead: the clock is a
//! number the caller sets or advances, and every ID is a digest of what made it (a counter, a name,
//! the clock), so a scenario replays to the same bytes every time, in the browser and in a terminal.
//!
//! The entry point is [`Simulator::run_line`]; it hands the line to `cli::dispatch`, which parses
//! it, calls the typed operations of this module and renders their results as Docker prints them.
//! Each operation also records [`Event`]s saying what happened underneath, for pictures and for
//! `--explain`.
//!
//! Submodules: `images` (pull, tag, remove, history), `load` (`docker load` of an image
//! archive), `containers` (create, start, stop, exec, logs, diff, commit), `volumes`, `names`
//! (Docker-style container names), `event`.

mod build;
mod containers;
mod event;
mod images;
mod load;
mod names;
mod process;
mod rootfs;
mod volumes;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::accounting::{self, ContainerDf, ContainerLedger, ContainerSize, Ledger, SystemDf, VolumeDf};
use crate::digest::Digest;
use crate::store::{Store, StoreError};

pub use build::{BuildContext, BuildError, BuildReport, lesson_context};
pub use containers::{ContainerRecord, ContainerState, CreateOptions, LogLine, Mount, RunOutcome};
pub use event::Event;
pub use images::{PullLayer, PullReport, PullStatus};
pub use load::{LoadError, LoadReport, LoadedImage};
pub use volumes::Volume;

/// The simulated clock starts here: 2026-01-05T09:00:00Z. Any fixed instant would do.
pub const START_TIME: i64 = 1_767_603_600;

/// What one command line printed and did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
    pub events: Vec<Event>,
    /// The order the two streams were printed in, as runs of bytes of one stream: a terminal
    /// that shows both on one screen replays them with [`Output::interleaved`]. Empty means
    /// stdout, then stderr.
    #[serde(default)]
    pub runs: Vec<(Stream, usize)>,
}

/// One of a command's two output streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Output {
    /// Both streams in the order they were printed: `Unable to find image ... locally` before
    /// the pull that follows it, a failed build's error after its steps. Text the runs do not
    /// cover (they never leave any) follows, stdout first.
    pub fn interleaved(&self) -> Vec<(Stream, &str)> {
        let mut parts = Vec::with_capacity(self.runs.len() + 2);
        let (mut out, mut err) = (self.stdout.as_str(), self.stderr.as_str());
        for &(stream, len) in &self.runs {
            let rest = match stream {
                Stream::Stdout => &mut out,
                Stream::Stderr => &mut err,
            };
            // A run that would split a character or overrun its stream is taken whole.
            let (part, tail) = match (rest.get(..len), rest.get(len..)) {
                (Some(part), Some(tail)) => (part, tail),
                _ => (*rest, ""),
            };
            if !part.is_empty() {
                parts.push((stream, part));
            }
            *rest = tail;
        }
        for (stream, rest) in [(Stream::Stdout, out), (Stream::Stderr, err)] {
            if !rest.is_empty() {
                parts.push((stream, rest));
            }
        }
        parts
    }
}

/// Why an engine operation failed. The messages are the daemon's (`Error response from daemon: `
/// is added by the renderer where Docker adds it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Reference(#[from] crate::reference::ReferenceError),
    #[error(
        "pull access denied for {name}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied"
    )]
    PullAccessDenied { name: String },
    #[error("manifest for {reference} not found: manifest unknown: manifest unknown")]
    ManifestUnknown { reference: String },
    #[error("No such image: {reference}")]
    NoSuchImage { reference: String },
    #[error("No such container: {name}")]
    NoSuchContainer { name: String },
    #[error(
        "Conflict. The container name \"/{name}\" is already in use by container \"{id}\". You have to remove (or rename) that container to be able to reuse that name."
    )]
    NameInUse { name: String, id: String },
    #[error("Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")]
    InvalidName { name: String },
    #[error("Container {id} is not running")]
    NotRunning { id: String },
    #[error(
        "You cannot remove a running container {id}. Stop the container before attempting removal or force remove"
    )]
    RemoveRunning { id: String },
    #[error(
        "failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: {}: unknown",
        lookup_failure(.program)
    )]
    ExecutableNotFound { program: String },
    #[error("No command specified")]
    NoCommand,
    #[error("get {name}: no such volume")]
    NoSuchVolume { name: String },
    #[error("remove {name}: volume is in use - [{containers}]")]
    VolumeInUse { name: String, containers: String },
    #[error(
        "create {name}: \"{name}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path"
    )]
    InvalidVolumeName { name: String },
    #[error(
        "invalid mount config for type \"volume\": invalid mount path: '{target}' mount path must be absolute"
    )]
    RelativeMountPath { target: String },
    #[error("invalid value {value:?} for log option {option}")]
    InvalidLogOpt { option: String, value: String },
    #[error("unknown log opt '{option}' for json-file log driver")]
    UnknownLogOpt { option: String },
    #[error("the layer codec failed: {reason}")]
    Codec { reason: String },
}

/// How runc words a program it cannot start: a name is looked up in `$PATH`, a path is only
/// stat'ed (Go's `exec.LookPath`).
fn lookup_failure(program: &str) -> String {
    if program.contains('/') {
        format!("exec: \"{program}\": stat {program}: no such file or directory")
    } else {
        format!("exec: \"{program}\": executable file not found in $PATH")
    }
}

/// The state of one simulated Docker host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Simulator {
    now: i64,
    /// Counts everything that needs a fresh ID, so that two containers made in the same second
    /// with the same name still get different IDs.
    seq: u64,
    store: Store,
    /// Containers in creation order (`ps` lists them newest first).
    containers: Vec<ContainerRecord>,
    volumes: BTreeMap<String, Volume>,
    /// Bytes the (simulated) builder keeps between builds.
    build_cache: u64,
    /// Build contexts by directory, for `docker build DIR`.
    contexts: BTreeMap<String, build::BuildContext>,
    #[serde(skip)]
    events: Vec<Event>,
}

impl Default for Simulator {
    fn default() -> Self {
        Self::new()
    }
}

impl Simulator {
    /// An empty host at [`START_TIME`].
    pub fn new() -> Self {
        Self {
            now: START_TIME,
            seq: 0,
            store: Store::new(),
            containers: Vec::new(),
            volumes: BTreeMap::new(),
            build_cache: 0,
            contexts: BTreeMap::new(),
            events: Vec::new(),
        }
    }

    /// Runs one `docker ...` or `layerlab ...` line: what it prints, its exit code, and what
    /// happened underneath.
    pub fn run_line(&mut self, line: &str) -> Output {
        self.run_line_with_input(line, None)
    }

    /// [`Simulator::run_line`] with the bytes of the file the line names as its input
    /// (`docker load -i FILE`): core has no file system, so the caller reads the file.
    pub fn run_line_with_input(&mut self, line: &str, input: Option<&[u8]>) -> Output {
        self.events.clear();
        let mut out = crate::cli::dispatch::run_line_with_input(self, line, input);
        out.events = std::mem::take(&mut self.events);
        out
    }

    /// Seconds since the Unix epoch on the simulated clock.
    pub fn now(&self) -> i64 {
        self.now
    }

    pub fn set_now(&mut self, unix_seconds: i64) {
        self.now = unix_seconds;
    }

    pub fn advance(&mut self, secs: i64) {
        self.now = self.now.saturating_add(secs);
    }

    /// The image and layer store, read-only: images with their layers, and which images and
    /// containers use each chain ID.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Containers in creation order.
    pub fn containers(&self) -> &[ContainerRecord] {
        &self.containers
    }

    pub fn volumes(&self) -> impl Iterator<Item = &Volume> {
        self.volumes.values()
    }

    /// SizeRw and SizeRootFs of a container.
    pub fn container_size(&self, c: &ContainerRecord) -> ContainerSize {
        ContainerSize::new(accounting::image_size(&self.store, &c.image), c.upper.size())
    }

    /// The numbers behind `docker system df`.
    pub fn system_df(&self) -> SystemDf {
        let containers: Vec<ContainerDf> = self
            .containers
            .iter()
            .map(|c| ContainerDf {
                size_rw: c.upper.size(),
                active: c.state.is_running(),
            })
            .collect();
        let volumes: Vec<VolumeDf> = self
            .volumes
            .values()
            .map(|v| VolumeDf {
                size: v.size(),
                links: self.volume_links(&v.name),
            })
            .collect();
        accounting::system_df(&self.store, &containers, &volumes, self.build_cache)
    }

    /// Everything on the simulated disk, including what `ps -s` and the lesson's formula leave out.
    pub fn ledger(&self) -> Ledger {
        Ledger {
            image_layers: self.store.layers().map(|l| l.size).sum(),
            containers: self
                .containers
                .iter()
                .map(|c| ContainerLedger {
                    id: c.id.hex(),
                    name: c.name.clone(),
                    image: c.image,
                    size_rw: c.upper.size(),
                    logs: c.log.disk_bytes(),
                    config: accounting::CONTAINER_CONFIG_BYTES,
                    checkpoints: c.checkpoints.iter().map(|k| k.size).sum(),
                })
                .collect(),
            volumes: self.volumes.values().map(Volume::size).sum(),
            build_cache: self.build_cache,
        }
    }

    /// A fresh content-derived ID: the digest of what kind of thing it is, a counter, a name and
    /// the clock. Never random, so replays agree.
    fn fresh_id(&mut self, kind: &str, name: &str) -> Digest {
        self.seq += 1;
        Digest::of(format!("layerlab {kind} {} {name} {}", self.seq, self.now).as_bytes())
    }

    fn emit(&mut self, event: Event) {
        self.events.push(event);
    }
}

#[cfg(test)]
mod tests;
