//! The merged view of an ordered stack of read-only layers: what a container's root filesystem
//! shows before it writes anything.
//!
//! Public API:
//! - [`MergedView::new`]`(Vec<Arc<Changeset>>)` (bottom layer first), [`MergedView::empty`];
//! - [`MergedView::lookup`]`(&str) -> Option<Found>`: the entry visible at a normalised path and
//!   the layer that supplies it, one hash probe, no allocation;
//! - [`MergedView::trace`]`(&str) -> Vec<TraceStep>`: the lookup's walk down the stack, for the
//!   UI ("layer 4: not here", "layer 3: a whiteout hides it");
//! - [`MergedView::iter`] (path order), [`MergedView::children`], [`MergedView::descendants`],
//!   [`MergedView::len`], [`MergedView::size`] (apparent size of everything visible),
//!   [`MergedView::layers`].
//!
//! The view is resolved once, from the top layer down, into a hash table from path to the entry
//! that wins. Going top-down means each entry is decided the first time its path is seen, and a
//! lower entry is skipped as soon as a nearer layer has a whiteout, a non-directory or an opaque
//! directory above it (each table slot remembers below which layer its subtree is cut off). The
//! result is the same as applying the layers in order ([`crate::fs::Tree::from_layers`]), which a
//! property test checks.

use std::fmt;
use std::hash::BuildHasher;
use std::sync::{Arc, OnceLock};

use foldhash::fast::FixedState;
use hashbrown::HashTable;

use crate::layer::path::{self, subtree_bounds};
use crate::layer::{Changeset, Entry, EntryKind};

/// An entry visible in the merged view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found<'a> {
    pub path: &'a str,
    /// Index in the stack (0 = bottom) of the layer that supplies the entry.
    pub layer: usize,
    /// The layer's entry, or `None` for a directory that no layer lists but that must exist
    /// because a layer has entries below it (made with mode 0755, owned by root).
    pub entry: Option<&'a Entry>,
}

static DIR: EntryKind = EntryKind::Dir;

impl<'a> Found<'a> {
    /// What the entry is in the merged view: an opaque directory is simply a directory here.
    pub fn kind(&self) -> &'a EntryKind {
        match self.entry {
            Some(Entry {
                kind: EntryKind::OpaqueDir,
                ..
            })
            | None => &DIR,
            Some(e) => &e.kind,
        }
    }
    pub fn is_dir(&self) -> bool {
        matches!(self.kind(), EntryKind::Dir)
    }
    /// The entry as a tree holds it (opaque directories shown as plain ones).
    pub fn to_entry(&self) -> Entry {
        match self.entry {
            Some(e) => Entry {
                kind: self.kind().clone(),
                ..e.clone()
            },
            None => Entry::dir(self.path),
        }
    }
    /// Bytes the entry counts for in a size (see [`Entry::apparent_size`]).
    pub fn apparent_size(&self) -> u64 {
        self.entry.map_or(0, Entry::apparent_size)
    }
}

/// One step of a lookup's walk down the stack; see [`MergedView::trace`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceStep {
    /// Index in the stack, 0 = bottom.
    pub layer: usize,
    pub outcome: TraceOutcome,
}

/// What one layer said about the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceOutcome {
    /// The layer has nothing at the path: look further down.
    NotHere,
    /// The layer has no entry for the directory but has entries inside it, so the directory
    /// exists from here up; the walk goes on to find who supplies its metadata.
    ParentOfEntries,
    /// The layer supplies the entry: the walk ends.
    Found { kind: EntryKind },
    /// The layer has a whiteout for the path: it is deleted, the walk ends.
    Whiteout,
    /// The layer has a whiteout for an ancestor directory.
    HiddenByWhiteout { ancestor: String },
    /// An ancestor is an opaque directory in this layer: nothing below it comes from lower layers.
    HiddenByOpaqueDir { ancestor: String },
    /// An ancestor is a file or symlink in this layer, so nothing can be below it.
    HiddenByNonDir { ancestor: String },
    /// The layer has a non-directory or a whiteout at the path, but a higher layer made a
    /// directory there (by having entries inside it), which replaces it.
    ReplacedByDir { by_layer: usize },
}

impl fmt::Display for TraceStep {
    /// Layers are numbered from 1 at the bottom, as `docker history` readers count them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "layer {}: ", self.layer + 1)?;
        match &self.outcome {
            TraceOutcome::NotHere => write!(f, "not here"),
            TraceOutcome::ParentOfEntries => write!(f, "no entry, but it has entries inside this directory"),
            TraceOutcome::Found { kind } => write!(f, "found ({})", kind_name(kind)),
            TraceOutcome::Whiteout => write!(f, "a whiteout hides it"),
            TraceOutcome::HiddenByWhiteout { ancestor } => write!(f, "a whiteout of /{ancestor} hides it"),
            TraceOutcome::HiddenByOpaqueDir { ancestor } => {
                write!(f, "/{ancestor} is opaque here: lower layers are not consulted")
            }
            TraceOutcome::HiddenByNonDir { ancestor } => write!(f, "/{ancestor} is not a directory here"),
            TraceOutcome::ReplacedByDir { by_layer } => {
                write!(f, "replaced by the directory of layer {}", by_layer + 1)
            }
        }
    }
}

/// A short human name for an entry kind.
pub fn kind_name(kind: &EntryKind) -> &'static str {
    match kind {
        EntryKind::Dir => "directory",
        EntryKind::File(_) => "file",
        EntryKind::Symlink { .. } => "symlink",
        EntryKind::Hardlink { .. } => "hardlink",
        EntryKind::Whiteout => "whiteout",
        EntryKind::OpaqueDir => "opaque directory",
    }
}

/// One resolved path of the table.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// Hash of the path, kept so probes and table growth rarely touch the path itself.
    hash: u64,
    /// Layer and entry whose path (cut to `path_len` bytes for an implied directory) is the key.
    layer: u32,
    entry: u32,
    path_len: u32,
    /// Entries strictly below this path from layers numbered below `cut` are hidden (0: none).
    cut: u32,
    state: SlotState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotState {
    /// Supplied by the entry `layer`/`entry`.
    Entry,
    /// A directory made because a layer has entries inside it; a lower layer's directory entry
    /// may still supply its metadata.
    ImpliedWeak,
    /// A directory made because a layer has entries inside it, over a lower non-directory: its
    /// metadata stays the default.
    ImpliedFinal,
    /// Deleted by a whiteout of layer `layer`.
    Whiteout,
}

/// The merged view of a layer stack; see the module docs.
#[derive(Debug, Clone)]
pub struct MergedView {
    layers: Vec<Arc<Changeset>>,
    slots: Vec<Slot>,
    table: HashTable<u32>,
    hasher: FixedState,
    /// Visible slots in path order, computed on first use.
    sorted: OnceLock<Vec<u32>>,
}

fn slot_path<'a>(layers: &'a [Arc<Changeset>], s: &Slot) -> &'a str {
    let full = layers
        .get(s.layer as usize)
        .and_then(|l| l.entries.get(s.entry as usize))
        .map_or("", |e| e.path.as_str());
    full.get(..s.path_len as usize).unwrap_or(full)
}

impl MergedView {
    /// A view with no layers (an image built `FROM scratch` before its first layer).
    pub fn empty() -> Self {
        Self::new(Vec::new())
    }

    /// Resolves the stack `layers`, bottom layer first.
    pub fn new(layers: Vec<Arc<Changeset>>) -> Self {
        let hasher = FixedState::default();
        let total: usize = layers.iter().map(|l| l.entries.len()).sum();
        let mut slots: Vec<Slot> = Vec::with_capacity(total);
        let mut table: HashTable<u32> = HashTable::with_capacity(total);
        let mut missing: Vec<(usize, &str)> = Vec::new();
        for (li, layer) in layers.iter().enumerate().rev() {
            let l = li as u32;
            // Entries are sorted, so siblings come in runs: when the previous entry's ancestors
            // were all present and none hid it, the next sibling's are too.
            let mut clear_parent: Option<&str> = None;
            for (ei, e) in layer.entries.iter().enumerate() {
                let p = e.path.as_str();
                let parent = path::parent(p);
                if parent.is_some() && parent == clear_parent {
                    Self::place(&mut slots, &mut table, &hasher, &layers, l, ei, e);
                    continue;
                }
                // Is the path hidden by a nearer layer's whiteout, non-directory or opaque dir?
                // Walk every ancestor: the farthest one that hides decides, and the missing
                // ancestors above it are still made (the entry's layer creates them as parents
                // before a nearer layer deletes what is below).
                missing.clear();
                let mut hidden_at: Option<usize> = None;
                for (i, a) in path::ancestors(p).enumerate() {
                    let h = hasher.hash_one(a);
                    match table.find(h, |&id| {
                        slots
                            .get(id as usize)
                            .is_some_and(|s| s.hash == h && slot_path(&layers, s) == a)
                    }) {
                        Some(&id) => {
                            let Some(s) = slots.get_mut(id as usize) else {
                                continue;
                            };
                            if s.cut > l {
                                hidden_at = Some(i);
                                continue;
                            }
                            // A non-directory or whiteout of this same layer with entries below it:
                            // the layer's own entries need it to be a directory.
                            let own_layer_blocker = s.layer == l
                                && (s.state == SlotState::Whiteout
                                    || (s.state == SlotState::Entry
                                        && layer.entries.get(s.entry as usize).is_some_and(|x| !x.is_dir())));
                            if own_layer_blocker {
                                s.state = SlotState::ImpliedFinal;
                                s.entry = ei as u32;
                                s.path_len = a.len() as u32;
                            }
                        }
                        None => missing.push((i, a)),
                    }
                }
                if e.kind != EntryKind::Whiteout {
                    for &(i, a) in &missing {
                        if hidden_at.is_some_and(|h| i < h) {
                            continue;
                        }
                        push_slot(
                            &mut slots,
                            &mut table,
                            Slot {
                                hash: hasher.hash_one(a),
                                layer: l,
                                entry: ei as u32,
                                path_len: a.len() as u32,
                                cut: 0,
                                state: SlotState::ImpliedWeak,
                            },
                        );
                    }
                }
                if hidden_at.is_some() {
                    clear_parent = None;
                    continue;
                }
                let all_present = missing.is_empty() || e.kind != EntryKind::Whiteout;
                clear_parent = if all_present { parent } else { None };
                Self::place(&mut slots, &mut table, &hasher, &layers, l, ei, e);
            }
        }
        MergedView {
            layers,
            slots,
            table,
            hasher,
            sorted: OnceLock::new(),
        }
    }

    /// Decides the entry `e` (index `ei` of layer `l`), whose ancestors are known to be present
    /// and not hiding it: a new slot, or an update of the slot a nearer layer made.
    fn place(
        slots: &mut Vec<Slot>,
        table: &mut HashTable<u32>,
        hasher: &FixedState,
        layers: &[Arc<Changeset>],
        l: u32,
        ei: usize,
        e: &Entry,
    ) {
        let p = e.path.as_str();
        let h = hasher.hash_one(p);
        let found = table.find(h, |&id| {
            slots
                .get(id as usize)
                .is_some_and(|s| s.hash == h && slot_path(layers, s) == p)
        });
        match found.and_then(|&id| slots.get_mut(id as usize)) {
            None => {
                let (state, cut) = match e.kind {
                    EntryKind::Dir => (SlotState::Entry, 0),
                    EntryKind::Whiteout => (SlotState::Whiteout, l),
                    _ => (SlotState::Entry, l),
                };
                push_slot(
                    slots,
                    table,
                    Slot {
                        hash: h,
                        layer: l,
                        entry: ei as u32,
                        path_len: p.len() as u32,
                        cut,
                        state,
                    },
                );
            }
            Some(s) => match s.state {
                SlotState::ImpliedWeak if e.is_dir() => {
                    *s = Slot {
                        hash: h,
                        layer: l,
                        entry: ei as u32,
                        path_len: p.len() as u32,
                        cut: if e.kind == EntryKind::OpaqueDir { l } else { 0 },
                        state: SlotState::Entry,
                    };
                }
                SlotState::ImpliedWeak => {
                    s.state = SlotState::ImpliedFinal;
                    s.cut = l;
                }
                // A nearer plain directory merges with this layer's entry: only what this
                // entry says about lower layers still matters.
                _ if s.cut == 0 && e.kind != EntryKind::Dir => s.cut = l,
                _ => {}
            },
        }
    }

    fn slot(&self, p: &str) -> Option<&Slot> {
        let h = self.hasher.hash_one(p);
        let id = self.table.find(h, |&id| {
            self.slots
                .get(id as usize)
                .is_some_and(|s| s.hash == h && slot_path(&self.layers, s) == p)
        })?;
        self.slots.get(*id as usize)
    }

    fn found(&self, s: &Slot) -> Option<Found<'_>> {
        let entry = match s.state {
            SlotState::Whiteout => return None,
            SlotState::Entry => self
                .layers
                .get(s.layer as usize)
                .and_then(|l| l.entries.get(s.entry as usize)),
            SlotState::ImpliedWeak | SlotState::ImpliedFinal => None,
        };
        Some(Found {
            path: slot_path(&self.layers, s),
            layer: s.layer as usize,
            entry,
        })
    }

    /// The entry visible at `path` (normalised: `etc/motd`, no leading `/`), if any.
    pub fn lookup(&self, path: &str) -> Option<Found<'_>> {
        self.found(self.slot(path)?)
    }

    /// The layers, bottom first.
    pub fn layers(&self) -> &[Arc<Changeset>] {
        &self.layers
    }

    fn sorted(&self) -> &[u32] {
        self.sorted.get_or_init(|| {
            let mut ids: Vec<u32> = (0..self.slots.len() as u32)
                .filter(|&i| {
                    self.slots
                        .get(i as usize)
                        .is_some_and(|s| s.state != SlotState::Whiteout)
                })
                .collect();
            ids.sort_unstable_by(|&a, &b| self.path_of(a).cmp(self.path_of(b)));
            ids
        })
    }

    fn path_of(&self, id: u32) -> &str {
        self.slots
            .get(id as usize)
            .map_or("", |s| slot_path(&self.layers, s))
    }

    /// Every visible entry, in path order.
    pub fn iter(&self) -> impl Iterator<Item = Found<'_>> {
        self.sorted()
            .iter()
            .filter_map(|&id| self.slots.get(id as usize).and_then(|s| self.found(s)))
    }

    /// Every visible entry strictly below `dir` (`""` for the root), in path order.
    pub fn descendants<'a>(&'a self, dir: &str) -> impl Iterator<Item = Found<'a>> + 'a {
        let sorted = self.sorted();
        let range = if dir.is_empty() {
            sorted
        } else {
            let (lo, hi) = subtree_bounds(dir);
            let start = sorted.partition_point(|&id| self.path_of(id) < lo.as_str());
            let end = sorted.partition_point(|&id| self.path_of(id) < hi.as_str());
            sorted.get(start..end).unwrap_or(&[])
        };
        range
            .iter()
            .filter_map(|&id| self.slots.get(id as usize).and_then(|s| self.found(s)))
    }

    /// The visible direct children of `dir` (`""` for the root), in name order.
    pub fn children<'a>(&'a self, dir: &str) -> impl Iterator<Item = Found<'a>> + 'a {
        let skip = if dir.is_empty() { 0 } else { dir.len() + 1 };
        self.descendants(dir)
            .filter(move |f| f.path.get(skip..).is_some_and(|rest| !rest.contains('/')))
    }

    /// How many entries are visible.
    pub fn len(&self) -> usize {
        self.sorted().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The apparent size of everything visible: what the container sees of the image.
    pub fn size(&self) -> u64 {
        self.slots
            .iter()
            .filter_map(|s| self.found(s))
            .map(|f| f.apparent_size())
            .sum()
    }

    /// The walk of a lookup of `path` down the stack, top layer first, ending at the layer that
    /// decides (or at the bottom when no layer has the path).
    pub fn trace(&self, path: &str) -> Vec<TraceStep> {
        let mut steps = Vec::new();
        let mut implied_at: Option<usize> = None;
        for (li, layer) in self.layers.iter().enumerate().rev() {
            let step = |outcome| TraceStep { layer: li, outcome };
            match layer.get(path) {
                Some(e) if e.kind == EntryKind::Whiteout || !e.is_dir() => {
                    if let Some(by_layer) = implied_at {
                        steps.push(step(TraceOutcome::ReplacedByDir { by_layer }));
                    } else if e.kind == EntryKind::Whiteout {
                        steps.push(step(TraceOutcome::Whiteout));
                    } else {
                        steps.push(step(TraceOutcome::Found { kind: e.kind.clone() }));
                    }
                    return steps;
                }
                Some(e) => {
                    let kind = if e.kind == EntryKind::OpaqueDir {
                        EntryKind::OpaqueDir
                    } else {
                        EntryKind::Dir
                    };
                    steps.push(step(TraceOutcome::Found { kind }));
                    return steps;
                }
                None => {}
            }
            for a in path::ancestors(path) {
                let outcome = match layer.get(a).map(|e| &e.kind) {
                    Some(EntryKind::Whiteout) => TraceOutcome::HiddenByWhiteout {
                        ancestor: a.to_owned(),
                    },
                    Some(EntryKind::OpaqueDir) => TraceOutcome::HiddenByOpaqueDir {
                        ancestor: a.to_owned(),
                    },
                    Some(EntryKind::Dir) | None => continue,
                    Some(_) => TraceOutcome::HiddenByNonDir {
                        ancestor: a.to_owned(),
                    },
                };
                steps.push(step(outcome));
                return steps;
            }
            let (lo, hi) = subtree_bounds(path);
            let start = layer.entries.partition_point(|e| e.path.as_str() < lo.as_str());
            let end = layer.entries.partition_point(|e| e.path.as_str() < hi.as_str());
            // A whiteout does not create its parent directories; anything else does.
            let has_inside = layer
                .entries
                .get(start..end)
                .is_some_and(|r| r.iter().any(|e| e.kind != EntryKind::Whiteout));
            if has_inside && !path.is_empty() {
                implied_at.get_or_insert(li);
                steps.push(step(TraceOutcome::ParentOfEntries));
            } else {
                steps.push(step(TraceOutcome::NotHere));
            }
        }
        steps
    }
}

fn push_slot(slots: &mut Vec<Slot>, table: &mut HashTable<u32>, s: Slot) {
    let id = slots.len() as u32;
    let h = s.hash;
    slots.push(s);
    table.insert_unique(h, id, |&other| slots.get(other as usize).map_or(0, |o| o.hash));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::Tree;
    use crate::fs::tests::layer_strategy;
    use crate::layer::Content;
    use proptest::prelude::*;

    fn file(p: &str, s: &str) -> Entry {
        Entry::file(p, Content::bytes(s.as_bytes().to_vec()))
    }

    fn demo() -> MergedView {
        let l1 = Changeset::new(vec![
            Entry::dir("etc"),
            file("etc/banner.txt", "banner"),
            file("etc/motd", "Welcome"),
            Entry::dir("etc/demo.d"),
            file("etc/demo.d/old.conf", "old"),
            Entry::dir("var"),
            Entry::dir("var/cache"),
            Entry::dir("var/cache/demo"),
            file("var/cache/demo/a.txt", "a"),
        ]);
        let l2 = Changeset::new(vec![Entry::dir("app"), file("app/app.sh", "#!/bin/sh")]);
        let l3 = Changeset::new(vec![
            Entry::dir("etc"),
            Entry::whiteout("etc/banner.txt"),
            file("etc/motd", "Welcome, modified"),
            Entry::whiteout("var/cache/demo"),
        ]);
        let l4 = Changeset::new(vec![
            Entry::dir("etc"),
            Entry::opaque("etc/demo.d"),
            file("etc/demo.d/app.conf", "x"),
        ]);
        MergedView::new(vec![Arc::new(l1), Arc::new(l2), Arc::new(l3), Arc::new(l4)])
    }

    #[test]
    fn lookup_reports_the_supplying_layer() {
        let v = demo();
        assert_eq!(v.lookup("etc/motd").map(|f| f.layer), Some(2));
        assert_eq!(v.lookup("app/app.sh").map(|f| f.layer), Some(1));
        assert!(v.lookup("etc/banner.txt").is_none());
        assert!(v.lookup("var/cache/demo/a.txt").is_none());
        assert!(v.lookup("etc/demo.d/old.conf").is_none());
        assert_eq!(
            v.lookup("etc/demo.d").map(|f| (f.layer, f.is_dir())),
            Some((3, true))
        );
        let paths: Vec<&str> = v.iter().map(|f| f.path).collect();
        assert_eq!(
            paths,
            [
                "app",
                "app/app.sh",
                "etc",
                "etc/demo.d",
                "etc/demo.d/app.conf",
                "etc/motd",
                "var",
                "var/cache"
            ]
        );
        assert_eq!(
            v.children("etc").map(|f| f.path).collect::<Vec<_>>(),
            ["etc/demo.d", "etc/motd"]
        );
        assert_eq!(v.size(), 9 + 1 + 17);
    }

    #[test]
    fn trace_explains_each_layer() {
        let v = demo();
        let lines: Vec<String> = v
            .trace("etc/banner.txt")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(lines, ["layer 4: not here", "layer 3: a whiteout hides it"]);
        let lines: Vec<String> = v
            .trace("etc/demo.d/old.conf")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            lines,
            ["layer 4: /etc/demo.d is opaque here: lower layers are not consulted"]
        );
        let lines: Vec<String> = v
            .trace("var/cache/demo/a.txt")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            lines,
            [
                "layer 4: not here",
                "layer 3: a whiteout of /var/cache/demo hides it"
            ]
        );
        let t = v.trace("app/app.sh");
        assert_eq!(t.last().map(|s| s.layer), Some(1));
        assert_eq!(v.trace("nope").len(), 4);
    }

    #[test]
    fn implied_directories_take_lower_metadata() {
        let lower = Changeset::new(vec![Entry::dir("a").with_mode(0o700)]);
        let upper = Changeset::new(vec![file("a/x", "1")]);
        let v = MergedView::new(vec![Arc::new(lower), Arc::new(upper)]);
        let a = v.lookup("a").map(|f| (f.layer, f.to_entry().mode));
        assert_eq!(a, Some((0, 0o700)));
    }

    proptest! {
        #[test]
        fn merged_view_equals_applying_in_order(stack in prop::collection::vec(layer_strategy(), 0..6)) {
            let tree = Tree::from_layers(&stack);
            let view = MergedView::new(stack.iter().cloned().map(Arc::new).collect());
            let merged: Vec<Entry> = view.iter().map(|f| f.to_entry()).collect();
            let applied: Vec<Entry> = tree.iter().cloned().collect();
            prop_assert_eq!(merged, applied);
            prop_assert_eq!(view.size(), tree.size());
            for e in tree.iter() {
                let f = view.lookup(&e.path);
                prop_assert!(f.is_some());
                if let Some(Found { entry: Some(_), layer, .. }) = f {
                    let steps = view.trace(&e.path);
                    prop_assert_eq!(steps.last().map(|s| s.layer), Some(layer));
                    let found_last = matches!(steps.last().map(|s| &s.outcome), Some(TraceOutcome::Found { .. }));
                    prop_assert!(found_last);
                }
            }
        }
    }
}
