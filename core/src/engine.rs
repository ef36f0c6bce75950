//! The simulated engine: images, containers, volumes and logs held in memory, driven by
//! docker-style command lines.
//!
//! Everything that Docker takes from the outside world is injected here instead: the clock is a
//! number the caller sets or advances, and every ID is a digest of what made it (a counter, a name,
//! the clock), so a scenario replays to the same bytes every time, in the browser and in a terminal.
//!
//! The entry point is [`Simulator::run_line`]; it parses the line with `cli`, calls the typed
//! operations of this module and renders their results as Docker prints them. Each operation also
//! records [`Event`]s saying what happened underneath, for pictures and for `--explain`.

mod event;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::store::Store;

pub use event::Event;

/// The simulated clock starts here: 2026-01-05T09:00:00Z. Any fixed instant would do; this one
/// makes pulled images look a few years old, as they do on a real machine.
pub const START_TIME: i64 = 1_767_603_600;

/// What one command line printed and did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
    pub events: Vec<Event>,
}

/// The state of one simulated Docker host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Simulator {
    now: i64,
    /// Counts everything that needs a fresh ID, so that two containers made in the same second
    /// with the same name still get different IDs.
    seq: u64,
    store: Store,
    #[serde(skip)]
    events: Vec<Event>,
    containers: BTreeMap<String, ()>,
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
            events: Vec::new(),
            containers: BTreeMap::new(),
        }
    }

    /// Runs one `docker ...` or `layerlab ...` line.
    pub fn run_line(&mut self, line: &str) -> Output {
        self.events.clear();
        let mut out = crate::cli::dispatch::run_line(self, line);
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

    /// The image and layer store, read-only, for pictures of what is shared.
    pub fn store(&self) -> &Store {
        &self.store
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
