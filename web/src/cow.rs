//! Copy-on-write, step by step: what the copy-on-write panel shows, worked out from the
//! simulator. One container's stack is drawn as boxes, the writable layer on top and the image's
//! layers below it, nearest first; each step lights up the boxes it involves and says in one
//! sentence what happened.
//!
//! Two kinds of walk-through:
//! - [`event_steps`]: what the newest command did to a container (copy-ups, writes, whiteouts,
//!   opaque directories, copied renames), from the engine's events;
//! - [`read_steps`]: a read of one path, looking down the stack layer by layer until a layer
//!   answers. Reads change nothing and leave no event, so this one is worked out from the
//!   container's merged view ([`MergedView::trace`]).

use std::sync::Arc;

use layerlab_core::cli::format::human_size;
use layerlab_core::engine::{ContainerRecord, Event, Simulator};
use layerlab_core::layer::path::{self, PathError};
use layerlab_core::layer::{Changeset, EntryKind};
use layerlab_core::union::{MergedView, TraceOutcome, TraceStep, kind_name};

use crate::stacks::instruction;

/// More steps than this would be a slideshow nobody watches to the end (`mv` of a big
/// directory writes hundreds of files); the last step then says how many were left out.
pub const MAX_STEPS: usize = 40;

/// Why a walk-through could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CowError {
    /// Docker's wording for a container it does not know.
    #[error("Error: No such container: {name}")]
    NoSuchContainer { name: String },
    #[error("type the path of a file inside the container, for example /etc/nginx/nginx.conf")]
    EmptyPath,
    #[error("{path:?} is not an absolute path: start it with /, for example /etc/nginx/nginx.conf")]
    RelativePath { path: String },
    #[error("cannot read {path:?}: {reason}")]
    BadPath {
        path: String,
        #[source]
        reason: PathError,
    },
}

/// One box of the picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerBox {
    /// "writable layer" or "layer 3" (image layers count from 1 at the bottom, as the history
    /// reads them).
    pub name: String,
    /// The container's name for the writable layer, the instruction that made an image layer.
    pub detail: String,
    /// Bytes in the layer.
    pub size: u64,
    pub writable: bool,
}

/// A container's stack as the panel draws it: the writable layer first, then the image's
/// layers nearest first, so that box 0 is where every lookup starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CowStack {
    pub container: String,
    /// The image as the container was created from it.
    pub image: String,
    pub boxes: Vec<LayerBox>,
}

/// What a box is doing in a step. Every role has words ([`Role::label`]), so the picture never
/// speaks by colour alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Not involved.
    Idle,
    /// A lookup asked this layer and it had nothing at the path.
    NotHere,
    /// This layer answers the lookup.
    Found,
    /// A whiteout or an opaque directory here hides what lies below.
    Blocks,
    /// This layer still holds the entry, but a nearer layer hides it.
    Hidden,
    /// A copy-up reads the whole file from here.
    Source,
    /// A copy-up puts the file here.
    Target,
    /// The change itself lands here.
    Written,
}

impl Role {
    /// A few words for the box, with a symbol that also works in black and white.
    pub fn label(self) -> &'static str {
        match self {
            Role::Idle => "",
            Role::NotHere => "↓ not here",
            Role::Found => "✓ found here",
            Role::Blocks => "✗ hides what is below",
            Role::Hidden => "hidden, still on disk",
            Role::Source => "↑ copied up from here",
            Role::Target => "↑ copy lands here",
            Role::Written => "✎ changed here",
        }
    }

    /// The CSS class of the role.
    pub fn class(self) -> &'static str {
        match self {
            Role::Idle => "idle",
            Role::NotHere => "not-here",
            Role::Found => "found",
            Role::Blocks => "blocks",
            Role::Hidden => "hidden",
            Role::Source => "source",
            Role::Target => "target",
            Role::Written => "written",
        }
    }
}

/// What kind of thing a step shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    Read,
    CopyUp,
    Write,
    Whiteout,
    Opaque,
    RenameCopied,
    /// The last step of a long walk-through, counting what was left out.
    More,
}

/// A whole file (or directory tree) copied from one box to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    pub from: usize,
    pub to: usize,
    pub bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerKind {
    Whiteout,
    Opaque,
}

impl MarkerKind {
    pub fn label(self) -> &'static str {
        match self {
            MarkerKind::Whiteout => "whiteout",
            MarkerKind::Opaque => "opaque directory",
        }
    }
}

/// A whiteout or opaque marker that sits in a box after a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub layer: usize,
    pub kind: MarkerKind,
    /// Absolute, as the learner would type it.
    pub path: String,
}

/// One step of a walk-through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub kind: StepKind,
    /// Absolute path the step is about.
    pub path: String,
    /// One role per box of the [`CowStack`].
    pub roles: Vec<Role>,
    /// The box the step is about, drawn highlighted.
    pub current: Option<usize>,
    pub moved: Option<Moved>,
    /// The file's length in the writable layer after a write.
    pub written: Option<u64>,
    /// Whiteouts and opaque directories placed so far in this walk-through.
    pub markers: Vec<Marker>,
    /// The step in one plain sentence.
    pub sentence: String,
}

/// The names of the containers, oldest first, for the picker.
pub fn containers(sim: &Simulator) -> Vec<String> {
    sim.containers().iter().map(|c| c.name.clone()).collect()
}

/// Whether an event is one of the copy-on-write story's, and for which container.
pub fn cow_container(event: &Event) -> Option<&str> {
    match event {
        Event::CopyUp { container, .. }
        | Event::FileWritten { container, .. }
        | Event::Whiteout { container, .. }
        | Event::OpaqueDir { container, .. }
        | Event::RenameCopied { container, .. } => Some(container),
        _ => None,
    }
}

/// The container to show first: the one the newest command changed, else the newest one.
pub fn default_container(sim: &Simulator, events: &[Event]) -> Option<String> {
    events
        .iter()
        .filter_map(cow_container)
        .find(|name| find(sim, name).is_ok())
        .map(str::to_owned)
        .or_else(|| sim.containers().last().map(|c| c.name.clone()))
}

fn find<'a>(sim: &'a Simulator, name: &str) -> Result<&'a ContainerRecord, CowError> {
    sim.containers()
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| CowError::NoSuchContainer {
            name: name.to_owned(),
        })
}

/// The image layers of a container, bottom first.
fn image_layers(sim: &Simulator, c: &ContainerRecord) -> Vec<Arc<Changeset>> {
    sim.store()
        .image_layers(&c.image)
        .into_iter()
        .map(|l| Arc::clone(&l.changeset))
        .collect()
}

/// The stack of the container `name`, as the panel draws it.
pub fn stack(sim: &Simulator, name: &str) -> Result<CowStack, CowError> {
    let c = find(sim, name)?;
    let store = sim.store();
    let layers = store.image_layers(&c.image);
    // The history's rows that made a layer name the layers, in order (see `stacks`).
    let mut instructions: Vec<String> = store
        .image(&c.image)
        .and_then(|i| i.config.history().clone())
        .unwrap_or_default()
        .iter()
        .filter(|h| !h.empty_layer().unwrap_or(false))
        .map(|h| instruction(h.created_by().as_deref().unwrap_or_default()))
        .collect();
    instructions.resize(layers.len(), String::new());
    let mut boxes = vec![LayerBox {
        name: "writable layer".to_owned(),
        detail: format!("container {}", c.name),
        size: c.upper.size(),
        writable: true,
    }];
    for (i, (l, instr)) in layers.iter().zip(instructions).enumerate().rev() {
        boxes.push(LayerBox {
            name: format!("layer {}", i + 1),
            detail: instr,
            size: l.size,
            writable: false,
        });
    }
    Ok(CowStack {
        container: c.name.clone(),
        image: c.image_name.clone(),
        boxes,
    })
}

/// Box index of stack index `s` in a stack of `n` layers below the top one: the top of the
/// stack is box 0.
fn box_of(top: usize, s: usize) -> usize {
    top.saturating_sub(s)
}

/// "the writable layer" or "layer 3".
fn box_name(top: usize, b: usize) -> String {
    if b == 0 {
        "the writable layer".to_owned()
    } else {
        format!("layer {}", top - b.min(top) + 1)
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        // The sentences are our own ASCII ones; `char::to_uppercase` would ship Unicode's tables.
        Some(first) => std::iter::once(first.to_ascii_uppercase()).chain(chars).collect(),
        None => String::new(),
    }
}

/// The walk of a read of `path` (absolute, as typed) down the container's stack.
pub fn read_steps(sim: &Simulator, name: &str, typed: &str) -> Result<Vec<Step>, CowError> {
    let c = find(sim, name)?;
    let typed = typed.trim();
    if typed.is_empty() {
        return Err(CowError::EmptyPath);
    }
    if !typed.starts_with('/') {
        return Err(CowError::RelativePath {
            path: typed.to_owned(),
        });
    }
    let p = path::normalize_path(typed).map_err(|reason| CowError::BadPath {
        path: typed.to_owned(),
        reason,
    })?;
    let shown = format!("/{p}");
    let mut layers = image_layers(sim, c);
    layers.push(Arc::new(c.upper.clone()));
    let view = MergedView::new(layers);
    // The writable layer is the top of the stack: box 0; the image's top layer is box 1.
    let top = view.layers().len().saturating_sub(1);
    let trace = view.trace(&p);
    let mut roles = vec![Role::Idle; top + 1];
    let mut steps = Vec::with_capacity(trace.len() + 1);
    let size = view.lookup(&p).map_or(0, |f| f.apparent_size());
    for TraceStep { layer, outcome } in &trace {
        let b = box_of(top, *layer);
        let here = box_name(top, b);
        let (role, sentence) = match outcome {
            TraceOutcome::NotHere if b == 0 => (
                Role::NotHere,
                format!(
                    "A read of {shown} starts at the top: {here} has nothing there, so the lookup goes one layer down."
                ),
            ),
            TraceOutcome::NotHere => (
                Role::NotHere,
                format!(
                    "{} has nothing at {shown} either: the lookup goes on down.",
                    capitalised(&here)
                ),
            ),
            TraceOutcome::ParentOfEntries => (
                Role::NotHere,
                format!(
                    "{} holds files inside {shown} but no entry for the directory itself: the lookup goes on down.",
                    capitalised(&here)
                ),
            ),
            TraceOutcome::Found { kind } if b == 0 => (
                Role::Found,
                format!(
                    "Found in {here}: the container's own {}{} is read, and whatever the image has at {shown} is never looked at.",
                    kind_name(kind),
                    sized(kind, size)
                ),
            ),
            TraceOutcome::Found { kind } => (
                Role::Found,
                format!(
                    "Found in {here}: the {}{} is read straight from the image layer. A read copies nothing.",
                    kind_name(kind),
                    sized(kind, size)
                ),
            ),
            TraceOutcome::Whiteout => (
                Role::Blocks,
                format!(
                    "{} has a whiteout for {shown}: the lookup stops and the read fails with \"No such file or directory\", even if a lower layer still holds the bytes.",
                    capitalised(&here)
                ),
            ),
            TraceOutcome::HiddenByWhiteout { ancestor } => (
                Role::Blocks,
                format!(
                    "{} has a whiteout for /{ancestor}: everything inside it is gone from view, so the read of {shown} fails.",
                    capitalised(&here)
                ),
            ),
            TraceOutcome::HiddenByOpaqueDir { ancestor } => (
                Role::Blocks,
                format!(
                    "/{ancestor} is an opaque directory in {here} and has no {shown}: the lookup does not go below it, so the read fails even if a lower layer has the file."
                ),
            ),
            TraceOutcome::HiddenByNonDir { ancestor } => (
                Role::Blocks,
                format!(
                    "/{ancestor} is not a directory in {here}, so nothing can exist at {shown}: the read fails."
                ),
            ),
            TraceOutcome::ReplacedByDir { by_layer } => {
                let by = box_of(top, *by_layer);
                if let Some(r) = roles.get_mut(by) {
                    *r = Role::Found;
                }
                (
                    Role::Hidden,
                    format!(
                        "{} has something else at {shown}, but {} made a directory there, and the nearer layer wins: {shown} is a directory.",
                        capitalised(&here),
                        box_name(top, by)
                    ),
                )
            }
        };
        if let Some(r) = roles.get_mut(b) {
            *r = role;
        }
        steps.push(Step {
            kind: StepKind::Read,
            path: shown.clone(),
            roles: roles.clone(),
            current: Some(b),
            moved: None,
            written: None,
            markers: Vec::new(),
            sentence,
        });
    }
    let decided = trace
        .last()
        .is_some_and(|s| !matches!(s.outcome, TraceOutcome::NotHere | TraceOutcome::ParentOfEntries));
    if !decided {
        steps.push(Step {
            kind: StepKind::Read,
            path: shown.clone(),
            roles,
            current: None,
            moved: None,
            written: None,
            markers: Vec::new(),
            sentence: format!("No layer has {shown}: the read fails with \"No such file or directory\"."),
        });
    }
    Ok(steps)
}

fn sized(kind: &EntryKind, size: u64) -> String {
    match kind {
        EntryKind::File(_) => format!(" ({})", human_size(size)),
        _ => String::new(),
    }
}

/// The walk through what the newest command did to the container `name`, from `events` (the
/// command's events; other containers' and other kinds are skipped). Empty when the command
/// changed nothing in that container.
pub fn event_steps(sim: &Simulator, name: &str, events: &[Event]) -> Result<Vec<Step>, CowError> {
    let c = find(sim, name)?;
    let image = MergedView::new(image_layers(sim, c));
    let top = image.layers().len();
    // Where the image has a path: the box of the layer that supplies it.
    let source = |p: &str| -> Option<usize> {
        let p = path::normalize_path(p).ok()?;
        image.lookup(&p).map(|f| box_of(top, f.layer))
    };
    let mine: Vec<&Event> = events.iter().filter(|e| cow_container(e) == Some(name)).collect();
    let mut steps: Vec<Step> = Vec::new();
    let mut markers: Vec<Marker> = Vec::new();
    let mut copied_up: Vec<&str> = Vec::new();
    let mut left_out = 0usize;
    for (i, event) in mine.iter().enumerate() {
        // A shell redirection opens (0 bytes) then writes: one step for the file is enough.
        if let (Event::FileWritten { path, .. }, Some(Event::FileWritten { path: next, .. })) =
            (event, mine.get(i + 1))
            && path == next
        {
            continue;
        }
        if steps.len() + 1 >= MAX_STEPS {
            left_out += 1;
            continue;
        }
        let mut roles = vec![Role::Idle; top + 1];
        let mut set = |b: Option<usize>, role: Role| {
            if let Some(r) = b.and_then(|b| roles.get_mut(b)) {
                *r = role;
            }
        };
        let step = match event {
            Event::CopyUp { path, bytes, .. } => {
                copied_up.push(path);
                let from = source(path);
                set(from, Role::Source);
                set(Some(0), Role::Target);
                let here = from.map_or_else(|| "an image layer".to_owned(), |b| box_name(top, b));
                let sentence = if *bytes == 0 {
                    format!(
                        "{path} is in {here}, which is read-only. It was opened to be overwritten, so it is copied up empty: none of its old bytes are needed."
                    )
                } else {
                    format!(
                        "{path} is in {here}, which is read-only. Before its first change the whole file, {} ({bytes} bytes), is copied up into the writable layer, however small the change.",
                        human_size(*bytes)
                    )
                };
                (StepKind::CopyUp, path, from, Some(*bytes), None, sentence)
            }
            Event::FileWritten { path, bytes, .. } => {
                set(Some(0), Role::Written);
                let below = source(path);
                let sentence = match below {
                    Some(b) if copied_up.contains(&path.as_str()) => {
                        set(Some(b), Role::Hidden);
                        format!(
                            "The change is made to the copy in the writable layer, which now holds {}. The original stays in {}, hidden behind the copy.",
                            human_size(*bytes),
                            box_name(top, b)
                        )
                    }
                    Some(b) => {
                        set(Some(b), Role::Hidden);
                        format!(
                            "{path} was copied up by an earlier command, so this change goes straight to the writable layer's copy ({}): nothing is copied again.",
                            human_size(*bytes)
                        )
                    }
                    None => format!(
                        "{path} is new: it is written straight into the writable layer ({}). The image's layers are not involved.",
                        human_size(*bytes)
                    ),
                };
                (StepKind::Write, path, Some(0), None, Some(*bytes), sentence)
            }
            Event::Whiteout { path, .. } => {
                let from = source(path);
                set(from, Role::Hidden);
                set(Some(0), Role::Blocks);
                place(&mut markers, MarkerKind::Whiteout, path);
                let here = from.map_or_else(|| "an image layer".to_owned(), |b| box_name(top, b));
                let sentence = format!(
                    "{path} comes from {here}, which cannot change. Deleting it puts a whiteout in the writable layer, a marker that hides it from every lookup; the image keeps its bytes, so no disk space comes back."
                );
                (StepKind::Whiteout, path, Some(0), None, None, sentence)
            }
            Event::OpaqueDir { path, .. } => {
                if let Ok(p) = path::normalize_path(path) {
                    for (s, layer) in image.layers().iter().enumerate() {
                        if layer.entries.iter().any(|e| path::is_within(&e.path, &p)) {
                            set(Some(box_of(top, s)), Role::Hidden);
                        }
                    }
                }
                set(Some(0), Role::Blocks);
                place(&mut markers, MarkerKind::Opaque, path);
                let sentence = format!(
                    "{path} was removed and then made again. The new directory in the writable layer is opaque: lookups stop at it, so nothing the image had inside it shows through any more."
                );
                (StepKind::Opaque, path, Some(0), None, None, sentence)
            }
            Event::RenameCopied { path, .. } => {
                let from = source(path);
                set(from, Role::Source);
                set(Some(0), Role::Target);
                let bytes: u64 = path::normalize_path(path)
                    .map(|p| image.descendants(&p).map(|f| f.apparent_size()).sum())
                    .unwrap_or(0);
                let here = from.map_or_else(|| "an image layer".to_owned(), |b| box_name(top, b));
                let sentence = format!(
                    "Renaming {path}, a directory of {here}, fails under overlay (EXDEV: the layers are separate file systems), so mv copies everything in it, {}, into the writable layer under the new name and then deletes the old name.",
                    human_size(bytes)
                );
                (StepKind::RenameCopied, path, from, Some(bytes), None, sentence)
            }
            _ => continue,
        };
        let (kind, path, current, moved, written, sentence) = step;
        steps.push(Step {
            kind,
            path: path.clone(),
            roles,
            current,
            moved: moved.and_then(|bytes| {
                let from = current?;
                Some(Moved { from, to: 0, bytes })
            }),
            written,
            markers: markers.clone(),
            sentence,
        });
    }
    if left_out > 0 {
        steps.push(Step {
            kind: StepKind::More,
            path: String::new(),
            roles: vec![Role::Idle; top + 1],
            current: None,
            moved: None,
            written: None,
            markers,
            sentence: format!(
                "…and {left_out} more changes of the same kinds in the writable layer; `docker diff {name}` lists them all."
            ),
        });
    }
    Ok(steps)
}

/// Files the suggestions prefer to change, then to delete, and directories to remove and make
/// again: the lesson's nginx first, then files most base images have.
const FILES_TO_CHANGE: [&str; 3] = ["etc/nginx/nginx.conf", "etc/os-release", "etc/passwd"];
const FILES_TO_DELETE: [&str; 4] = ["etc/nginx/mime.types", "etc/shells", "etc/group", "etc/shadow"];
const DIRS_TO_REMAKE: [&str; 4] = ["etc/nginx/conf.d", "etc/apt", "etc/ssl", "etc/ld.so.conf.d"];

/// Commands to try on the container `name` that make each kind of step: a change that copies a
/// file up, a delete that leaves a whiteout, a directory removed and made again. Only paths the
/// container shows now are suggested. `exec` needs a running container: a stopped one is started
/// first, and one whose command ends at once (busybox's `sh`) is replaced by a fresh container of
/// the same image that sleeps.
pub fn suggestions(sim: &Simulator, name: &str) -> Vec<String> {
    let Ok(c) = find(sim, name) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut target = name.to_owned();
    let mut upper = c.upper.clone();
    if !c.state.is_running() {
        let start = format!("docker start {name}");
        // Trying it on a copy is the only way to know whether the command stays up.
        let mut probe = sim.clone();
        probe.run_line(&start);
        if probe
            .containers()
            .iter()
            .any(|x| x.name == name && x.state.is_running())
        {
            out.push(start);
        } else {
            target = (1..)
                .map(|i| {
                    if i == 1 {
                        "cow-demo".to_owned()
                    } else {
                        format!("cow-demo{i}")
                    }
                })
                .find(|n| find(sim, n).is_err())
                .unwrap_or_default();
            out.push(format!(
                "docker run -d --name {target} {} sleep 3600",
                c.image_name
            ));
            upper = Changeset::default();
        }
    }
    let mut layers = image_layers(sim, c);
    let image_top = layers.len();
    layers.push(Arc::new(upper));
    let view = MergedView::new(layers);
    // Only what still comes from the image shows a copy-up or a whiteout.
    let from_image = |p: &&str, dir: bool| {
        view.lookup(p).is_some_and(|f| {
            f.layer < image_top && f.is_dir() == dir && !matches!(f.kind(), EntryKind::Symlink { .. })
        })
    };
    let change = FILES_TO_CHANGE.iter().find(|p| from_image(p, false));
    if let Some(p) = change {
        out.push(format!("docker exec {target} sh -c \"echo hi >> /{p}\""));
    }
    if let Some(p) = FILES_TO_DELETE
        .iter()
        .find(|p| from_image(p, false) && Some(*p) != change)
    {
        out.push(format!("docker exec {target} rm /{p}"));
    }
    if let Some(p) = DIRS_TO_REMAKE.iter().find(|p| from_image(p, true)) {
        out.push(format!("docker exec {target} sh -c \"rm -r /{p} && mkdir /{p}\""));
    }
    out
}

/// Puts a marker in the writable layer: a directory made again turns its whiteout into an opaque
/// directory, as overlayfs does.
fn place(markers: &mut Vec<Marker>, kind: MarkerKind, path: &str) {
    markers.retain(|m| m.path != path);
    markers.push(Marker {
        layer: 0,
        kind,
        path: path.to_owned(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab(lines: &[&str]) -> (Simulator, Vec<Event>) {
        let mut sim = Simulator::new();
        let mut events = Vec::new();
        for line in lines {
            let out = sim.run_line(line);
            assert_eq!(out.exit_code, 0, "{line}: {}", out.stderr);
            events = out.events;
        }
        (sim, events)
    }

    #[test]
    fn an_append_copies_the_whole_file_up_then_writes_it() {
        let (sim, events) = lab(&[
            "docker run -d --name web nginx:1.15.8",
            "docker exec web sh -c \"echo hi >> /etc/nginx/nginx.conf\"",
        ]);
        assert_eq!(default_container(&sim, &events).as_deref(), Some("web"));
        let stack = stack(&sim, "web").unwrap_or_else(|e| panic!("{e}"));
        assert!(stack.boxes.first().is_some_and(|b| b.writable));
        assert_eq!(
            stack.boxes.len(),
            1 + sim.store().image_layers(&sim.containers()[0].image).len()
        );
        let steps = event_steps(&sim, "web", &events).unwrap_or_default();
        let kinds: Vec<StepKind> = steps.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, [StepKind::CopyUp, StepKind::Write]);
        let copy = &steps[0];
        let moved = copy.moved.expect("a copy-up moves the file");
        assert_eq!(moved.to, 0);
        assert!(moved.from >= 1, "it comes from an image layer");
        assert_eq!(copy.roles[moved.from], Role::Source);
        assert_eq!(copy.roles[0], Role::Target);
        // The whole original file moves, whatever the size of the change.
        let image = MergedView::new(image_layers(&sim, &sim.containers()[0]));
        let original = image.lookup("etc/nginx/nginx.conf").map(|f| f.apparent_size());
        assert_eq!(original, Some(moved.bytes));
        assert!(moved.bytes > 100);
        assert!(copy.sentence.contains("whole file"), "{}", copy.sentence);
        let write = &steps[1];
        assert_eq!(write.current, Some(0));
        assert_eq!(write.written, Some(moved.bytes + 3));
        assert_eq!(write.roles[moved.from], Role::Hidden);
        assert_ne!(copy.sentence, write.sentence);
    }

    #[test]
    fn rm_leaves_a_whiteout_and_a_remade_directory_is_opaque() {
        let (sim, events) = lab(&[
            "docker run -d --name web nginx:1.15.8",
            "docker exec web sh -c \"rm /etc/nginx/mime.types && rm -r /etc/nginx/conf.d && mkdir /etc/nginx/conf.d\"",
        ]);
        let steps = event_steps(&sim, "web", &events).unwrap_or_default();
        let kinds: Vec<StepKind> = steps.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, [StepKind::Whiteout, StepKind::Whiteout, StepKind::Opaque]);
        let last = steps.last().expect("steps");
        assert_eq!(
            last.markers,
            [
                Marker {
                    layer: 0,
                    kind: MarkerKind::Whiteout,
                    path: "/etc/nginx/mime.types".into()
                },
                Marker {
                    layer: 0,
                    kind: MarkerKind::Opaque,
                    path: "/etc/nginx/conf.d".into()
                },
            ],
            "the remade directory's whiteout became an opaque marker"
        );
        assert_eq!(last.roles[0], Role::Blocks);
        assert!(last.roles.iter().skip(1).any(|r| *r == Role::Hidden));
        // A read of the deleted file now stops at the writable layer's whiteout.
        let read = read_steps(&sim, "web", "/etc/nginx/mime.types").unwrap_or_default();
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].roles[0], Role::Blocks);
        assert!(read[0].sentence.contains("whiteout"));
        let read = read_steps(&sim, "web", "/etc/nginx/conf.d/default.conf").unwrap_or_default();
        assert!(
            read.last().is_some_and(|s| s.sentence.contains("opaque")),
            "{read:?}"
        );
    }

    #[test]
    fn a_read_looks_down_until_a_layer_has_the_file() {
        let (sim, _) = lab(&["docker run -d --name web nginx:1.15.8"]);
        let steps = read_steps(&sim, "web", "/etc/nginx/nginx.conf").unwrap_or_default();
        assert!(steps.len() >= 2, "{steps:?}");
        assert_eq!(steps[0].current, Some(0));
        assert_eq!(steps[0].roles[0], Role::NotHere);
        let last = steps.last().expect("steps");
        let at = last.current.expect("a box answers");
        assert!(at >= 1);
        assert_eq!(last.roles[at], Role::Found);
        // Every layer asked before the one that answers said "not here", in order from the top.
        for (i, s) in steps.iter().enumerate() {
            assert_eq!(s.current, Some(i));
            assert!(s.roles[..i].iter().all(|r| *r == Role::NotHere));
        }
        assert!(last.sentence.contains("copies nothing"));
        // A path no layer has walks the whole stack and says so.
        let missing = read_steps(&sim, "web", "/no/such/file").unwrap_or_default();
        assert_eq!(missing.len(), stack(&sim, "web").map_or(0, |s| s.boxes.len()) + 1);
        assert!(
            missing
                .last()
                .is_some_and(|s| s.current.is_none() && s.sentence.contains("No layer"))
        );
    }

    #[test]
    fn after_a_copy_up_the_read_stops_at_the_writable_layer() {
        let (sim, _) = lab(&[
            "docker run -d --name web nginx:1.15.8",
            "docker exec web sh -c \"echo hi >> /etc/nginx/nginx.conf\"",
        ]);
        let steps = read_steps(&sim, "web", "/etc/nginx//./nginx.conf").unwrap_or_default();
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].roles[0], Role::Found);
        assert!(steps[0].sentence.contains("container's own file"));
        // A second change copies nothing more.
        let (sim, events) = lab(&[
            "docker run -d --name web nginx:1.15.8",
            "docker exec web sh -c \"echo hi >> /etc/nginx/nginx.conf\"",
            "docker exec web sh -c \"echo again >> /etc/nginx/nginx.conf\"",
        ]);
        let steps = event_steps(&sim, "web", &events).unwrap_or_default();
        assert_eq!(steps.len(), 1);
        assert!(steps[0].sentence.contains("earlier command"));
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let (sim, events) = lab(&["docker run -d --name web nginx:1.15.8"]);
        assert_eq!(
            read_steps(&sim, "nope", "/etc"),
            Err(CowError::NoSuchContainer { name: "nope".into() })
        );
        assert_eq!(read_steps(&sim, "web", "  "), Err(CowError::EmptyPath));
        assert!(matches!(
            read_steps(&sim, "web", "etc/passwd"),
            Err(CowError::RelativePath { .. })
        ));
        assert!(matches!(
            read_steps(&sim, "web", "/.."),
            Err(CowError::BadPath { .. })
        ));
        assert!(matches!(
            read_steps(&sim, "web", "/"),
            Err(CowError::BadPath { .. })
        ));
        assert!(read_steps(&sim, "web", "/a\0b").is_err());
        assert_eq!(
            event_steps(&Simulator::new(), "web", &events).map(|s| s.len()),
            Err(CowError::NoSuchContainer { name: "web".into() })
        );
        assert_eq!(default_container(&Simulator::new(), &events), None);
    }

    #[test]
    fn a_long_story_is_cut_with_a_count() {
        let mut script = String::from("mkdir /t");
        for i in 0..60 {
            script.push_str(&format!(" && echo {i} > /t/f{i}"));
        }
        let (sim, events) = lab(&[
            "docker run -d --name box busybox sleep 1000",
            &format!("docker exec box sh -c \"{script}\""),
        ]);
        let steps = event_steps(&sim, "box", &events).unwrap_or_default();
        assert_eq!(steps.len(), MAX_STEPS);
        let last = steps.last().expect("steps");
        assert_eq!(last.kind, StepKind::More);
        assert!(last.sentence.contains("21 more"), "{}", last.sentence);
    }

    #[test]
    fn every_suggestion_runs_and_makes_a_step() {
        for image in ["nginx:1.15.8", "busybox", "ubuntu:15.04", "alpine"] {
            // Started in the foreground, as the greeting suggests: stopped at once.
            let (mut sim, _) = lab(&[&format!("docker run --name demo {image}")]);
            let lines = suggestions(&sim, "demo");
            assert!(lines.len() >= 3, "{image}: {lines:?}");
            for line in &lines {
                let out = sim.run_line(line);
                assert_eq!(out.exit_code, 0, "{image}: {line}: {}", out.stderr);
                if !line.starts_with("docker exec") {
                    continue;
                }
                let target = line.split(' ').nth(2).unwrap_or_default();
                let steps = event_steps(&sim, target, &out.events).unwrap_or_default();
                assert!(!steps.is_empty(), "{image}: {line} made no step");
            }
            // What was deleted or changed is not suggested again.
            let again = suggestions(&sim, "demo");
            assert!(again.iter().all(|l| !lines.contains(l)), "{image}: {again:?}");
        }
        assert!(suggestions(&Simulator::new(), "demo").is_empty());
    }

    #[test]
    fn renaming_an_image_directory_copies_it_and_whites_out_the_old_name() {
        let (sim, events) = lab(&[
            "docker run -d --name web nginx:1.15.8",
            "docker exec web mv /usr/share/nginx /usr/share/n2",
        ]);
        let steps = event_steps(&sim, "web", &events).unwrap_or_default();
        let kinds: Vec<StepKind> = steps.iter().map(|s| s.kind).collect();
        assert_eq!(kinds.first(), Some(&StepKind::RenameCopied), "{kinds:?}");
        assert_eq!(kinds.last(), Some(&StepKind::Whiteout), "{kinds:?}");
        assert!(kinds.iter().filter(|k| **k == StepKind::Write).count() >= 2);
        let copy = &steps[0];
        let moved = copy.moved.expect("the tree moves up");
        // The two html files of the image's /usr/share/nginx.
        let written: u64 = steps.iter().filter_map(|s| s.written).sum();
        assert_eq!(moved.bytes, written);
        assert!(copy.sentence.contains("EXDEV"));
    }
}
