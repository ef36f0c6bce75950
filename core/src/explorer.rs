//! The file explorer's model: an image's (or a container's) layer stack seen file by file. Which
//! layer added, changed or removed each path, how big everything is, what each layer stores that
//! nobody can see any more (wasted bytes), and how two images differ.
//!
//! Public API:
//! - [`Explorer::new`]`(Vec<Arc<Changeset>>)` (bottom layer first; a container's writable layer,
//!   when there is one, goes last);
//! - the merged tree, removed paths included: [`Explorer::roots`], [`Explorer::children`],
//!   [`Explorer::sorted_children`]`(parent, Order)`, [`Explorer::node`], [`Explorer::find`],
//!   [`Explorer::entry`], [`Explorer::len`]; each [`Node`] has its path, [`Kind`], own size, total
//!   size (a directory's includes everything below it) and [`Presence`] (visible, and from which
//!   layer with which [`Change`]; or removed, by which layer);
//! - per layer: [`Explorer::layer_entries`] (each entry with its [`Change`] and [`Fate`]),
//!   [`Explorer::layer_stats`] ([`LayerStats`]: counts, stored and wasted bytes);
//! - [`Explorer::search`]`(query)`: every layer entry whose path contains the query, hidden ones
//!   included; [`Explorer::copies_of`]`(path)`: a path's history through the stack;
//! - waste: [`Explorer::wasted`] (hidden copies, biggest first), [`Explorer::wasted_bytes`],
//!   [`Explorer::visible_bytes`], [`Explorer::stored_bytes`], [`Explorer::efficiency`];
//! - [`diff`]`(&MergedView, &MergedView) -> ImageDiff`: paths only in A, only in B, and changed.
//!
//! The merged view itself ([`MergedView`]) answers what is visible at the top of a stack, resolved
//! from the top down. The explorer also needs what each layer found below it (did it add the path
//! or change it?) and what became of each copy above it (who overwrote or removed it?). A merged
//! view answers that only if one is built per layer, which costs the stack's height times the
//! work; so the explorer replays the stack once from the bottom up, with the rules of
//! [`crate::fs::Tree::apply`], and records those answers as it goes. A property test checks that
//! the replay ends with exactly what [`MergedView`] and [`crate::fs::Tree`] show.
//!
//! Everything is computed once in [`Explorer::new`] (hash-map passes and one sort of the paths,
//! O(n log n) in the number of layer entries); listing children, sorting one directory and
//! searching only read that.

use std::sync::Arc;

use foldhash::fast::FixedState;

use crate::layer::path;
use crate::layer::{Changeset, Entry, EntryKind};
use crate::union::{Found, MergedView};

/// What a layer's entry did to the path, judged against the layers below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Change {
    /// Nothing was visible at the path below this layer.
    Added,
    /// Something was visible at the path below, and this layer replaced it (new content, new
    /// metadata, or a directory listed again because something inside it changed).
    Modified,
    /// A whiteout: the layer deletes the path.
    Removed,
}

impl Change {
    /// A one-character mark that reads without colour: `+`, `~`, `-`.
    pub fn symbol(self) -> char {
        match self {
            Change::Added => '+',
            Change::Modified => '~',
            Change::Removed => '-',
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Modified => "changed",
            Change::Removed => "removed",
        }
    }
}

/// What became of one layer entry higher up the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fate {
    /// It is what the merged view shows at its path.
    Visible,
    /// A higher layer `by` put something else at the same path.
    Overwritten { by: usize },
    /// A higher layer `by` deleted it: a whiteout of it or of a parent, an opaque parent, or a
    /// parent replaced by a non-directory.
    Removed { by: usize },
    /// The entry is itself a whiteout: it shows nothing.
    Whiteout,
}

impl Fate {
    /// Whether the entry's bytes are stored but cannot be seen.
    pub fn is_hidden(self) -> bool {
        matches!(self, Fate::Overwritten { .. } | Fate::Removed { .. })
    }
}

/// What a path is in the merged view (opaque directories are directories there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Dir,
    File,
    Symlink,
    Hardlink,
    /// Only layer entries are whiteouts; a tree node never is.
    Whiteout,
}

impl Kind {
    pub fn of(kind: &EntryKind) -> Kind {
        match kind {
            EntryKind::Dir | EntryKind::OpaqueDir => Kind::Dir,
            EntryKind::File(_) => Kind::File,
            EntryKind::Symlink { .. } => Kind::Symlink,
            EntryKind::Hardlink { .. } => Kind::Hardlink,
            EntryKind::Whiteout => Kind::Whiteout,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Kind::Dir => "directory",
            Kind::File => "file",
            Kind::Symlink => "symlink",
            Kind::Hardlink => "hardlink",
            Kind::Whiteout => "whiteout",
        }
    }
}

/// Where a tree node stands in the merged view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Presence {
    /// Visible; layer `layer` (0 = bottom) supplies it, and `change` says whether that layer added
    /// the path or changed what was below. A directory no layer lists (it exists because a layer
    /// has entries inside it) belongs to the layer that first needed it.
    Visible { layer: usize, change: Change },
    /// Not visible: layer `by` removed it; `from` is the layer whose copy was visible before.
    Removed { by: usize, from: usize },
}

impl Presence {
    pub fn is_visible(self) -> bool {
        matches!(self, Presence::Visible { .. })
    }

    /// The layer the mark names: the supplier of a visible node, the remover of a removed one.
    pub fn layer(self) -> usize {
        match self {
            Presence::Visible { layer, .. } => layer,
            Presence::Removed { by, .. } => by,
        }
    }

    pub fn change(self) -> Change {
        match self {
            Presence::Visible { change, .. } => change,
            Presence::Removed { .. } => Change::Removed,
        }
    }
}

/// Index of a node in its [`Explorer`]; valid only for the explorer that gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub usize);

/// One path of the merged tree: visible, or removed by a layer (its last copy is described).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Normalised path (`etc/nginx/nginx.conf`).
    pub path: Box<str>,
    pub kind: Kind,
    /// The entry's own apparent size (see [`Entry::apparent_size`]); 0 for a directory.
    pub size: u64,
    /// `size` plus, for a directory, the totals of its children: the visible ones for a visible
    /// directory, all of them for a removed one.
    pub total: u64,
    pub presence: Presence,
    pub parent: Option<NodeId>,
    /// 0 for a top-level name.
    pub depth: usize,
    /// The layer entry behind the node, `None` for a directory no layer lists.
    copy: Option<(usize, usize)>,
}

impl Node {
    /// The last component of the path.
    pub fn name(&self) -> &str {
        path::file_name(&self.path)
    }
}

/// How to order a directory's children.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Order {
    #[default]
    Name,
    /// Biggest total first, ties by name.
    Size,
}

/// One layer entry with what it did and what became of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerEntry<'a> {
    /// Index in the stack, 0 = bottom.
    pub layer: usize,
    pub entry: &'a Entry,
    pub change: Change,
    pub fate: Fate,
}

impl LayerEntry<'_> {
    pub fn size(&self) -> u64 {
        self.entry.apparent_size()
    }
}

/// Counts and bytes of one layer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LayerStats {
    pub added: usize,
    pub modified: usize,
    pub removed: usize,
    /// The layer's size as Docker counts it ([`Changeset::size`]).
    pub stored: u64,
    /// Bytes of this layer's entries that higher layers overwrote or removed.
    pub wasted: u64,
}

/// A layer stack explained file by file; see the module docs.
#[derive(Debug, Clone)]
pub struct Explorer {
    layers: Vec<Arc<Changeset>>,
    /// Per layer, parallel to its entries.
    changes: Vec<Vec<Change>>,
    fates: Vec<Vec<Fate>>,
    /// Sorted by path.
    nodes: Vec<Node>,
    roots: Vec<NodeId>,
    /// Children of node `i` are `child_ids[child_start[i]..child_start[i + 1]]`, in name order.
    child_start: Vec<usize>,
    child_ids: Vec<NodeId>,
    stats: Vec<LayerStats>,
    visible: u64,
    stored: u64,
}

/// The visible entry at a path during the replay.
#[derive(Debug, Clone, Copy)]
struct Cur {
    layer: usize,
    entry: Option<usize>,
    dir: bool,
    change: Change,
}

/// A path's last visible copy and the layer that removed it.
#[derive(Debug, Clone, Copy)]
struct Gone {
    cur: Cur,
    by: usize,
}

/// Hash maps keyed by path, with the fast fixed hasher the merged view uses: the replay does a few
/// lookups per layer entry, and the standard library's DoS-resistant hasher would double its time.
type Map<K, V> = hashbrown::HashMap<K, V, FixedState>;

/// The bottom-up replay; see the module docs for why it exists beside [`MergedView`].
struct Replay<'a> {
    cur: Map<&'a str, Cur>,
    gone: Map<&'a str, Gone>,
    /// Paths inserted under each directory, so a directory's subtree can be removed without a
    /// sorted map. Some may have been removed since: they are skipped when met.
    kids: Map<&'a str, Vec<&'a str>>,
    fates: Vec<Vec<Fate>>,
}

impl<'a> Replay<'a> {
    fn set_fate(&mut self, c: Cur, fate: Fate) {
        if let Some(slot) = c
            .entry
            .and_then(|e| self.fates.get_mut(c.layer).and_then(|f| f.get_mut(e)))
        {
            *slot = fate;
        }
    }

    fn remove(&mut self, p: &'a str, by: usize) {
        if let Some(c) = self.cur.remove(p) {
            self.set_fate(c, Fate::Removed { by });
            self.gone.insert(p, Gone { cur: c, by });
        }
    }

    /// Removes everything below `dir`. Every path in the replay has its ancestors in it (see
    /// `ensure_parents`), and taking the last component off a path below `dir` repeatedly reaches
    /// `dir`, so walking the recorded children finds exactly what a range of `dir/` keys would.
    fn remove_below(&mut self, dir: &str, by: usize) {
        let mut stack: Vec<&'a str> = self.kids.remove(dir).unwrap_or_default();
        while let Some(c) = stack.pop() {
            if self.cur.contains_key(c) {
                self.remove(c, by);
                if let Some(more) = self.kids.remove(c) {
                    stack.extend(more);
                }
            }
        }
    }

    fn insert(&mut self, p: &'a str, c: Cur) {
        match self.cur.insert(p, c) {
            Some(old) => self.set_fate(old, Fate::Overwritten { by: c.layer }),
            None => {
                if let Some(parent) = path::parent(p) {
                    self.kids.entry(parent).or_default().push(p);
                }
            }
        }
        self.gone.remove(p);
    }

    /// Makes the missing parents of `p` as directories of layer `l`, replacing non-directories in
    /// the way, as an unpacker's `mkdir -p` does.
    fn ensure_parents(&mut self, p: &'a str, l: usize) {
        let missing: Vec<&'a str> = path::ancestors(p)
            .take_while(|a| !self.cur.get(a).is_some_and(|c| c.dir))
            .collect();
        for a in missing.into_iter().rev() {
            let change = if self.cur.contains_key(a) {
                Change::Modified
            } else {
                Change::Added
            };
            let c = Cur {
                layer: l,
                entry: None,
                dir: true,
                change,
            };
            self.insert(a, c);
        }
    }

    fn run(layers: &'a [Arc<Changeset>]) -> (Self, Vec<Vec<Change>>) {
        let total: usize = layers.iter().map(|l| l.entries.len()).sum();
        let mut r = Replay {
            cur: Map::with_capacity_and_hasher(total, FixedState::default()),
            gone: Map::default(),
            kids: Map::with_capacity_and_hasher(total / 4, FixedState::default()),
            fates: layers
                .iter()
                .map(|l| {
                    l.entries
                        .iter()
                        .map(|e| {
                            if e.kind == EntryKind::Whiteout {
                                Fate::Whiteout
                            } else {
                                Fate::Visible
                            }
                        })
                        .collect()
                })
                .collect(),
        };
        let mut changes = Vec::with_capacity(layers.len());
        for (l, layer) in layers.iter().enumerate() {
            // Judged against what the layers below show, before this layer's own deletions run.
            let marks: Vec<Change> = layer
                .entries
                .iter()
                .map(|e| match e.kind {
                    EntryKind::Whiteout => Change::Removed,
                    _ if r.cur.contains_key(e.path.as_str()) => Change::Modified,
                    _ => Change::Added,
                })
                .collect();
            // Opaque directories and whiteouts act on what lower layers left, before any entry
            // of this layer is added (the order of `Tree::apply`).
            for e in &layer.entries {
                match e.kind {
                    EntryKind::OpaqueDir => r.remove_below(&e.path, l),
                    EntryKind::Whiteout => {
                        r.remove(&e.path, l);
                        r.remove_below(&e.path, l);
                    }
                    _ => {}
                }
            }
            for (i, e) in layer.entries.iter().enumerate() {
                if e.kind == EntryKind::Whiteout {
                    continue;
                }
                let p = e.path.as_str();
                r.ensure_parents(p, l);
                if !e.is_dir() {
                    r.remove_below(p, l);
                }
                let change = marks.get(i).copied().unwrap_or(Change::Added);
                r.insert(
                    p,
                    Cur {
                        layer: l,
                        entry: Some(i),
                        dir: e.is_dir(),
                        change,
                    },
                );
            }
            changes.push(marks);
        }
        (r, changes)
    }
}

/// What [`Explorer::new`] works out from the replay.
struct Parts {
    changes: Vec<Vec<Change>>,
    fates: Vec<Vec<Fate>>,
    nodes: Vec<Node>,
    roots: Vec<NodeId>,
    child_start: Vec<usize>,
    child_ids: Vec<NodeId>,
}

/// Replays the stack and lays the result out as a tree.
fn build(layers: &[Arc<Changeset>]) -> Parts {
    let (replay, changes) = Replay::run(layers);
    let entry_of = |c: &Cur| -> Option<&Entry> {
        c.entry
            .and_then(|e| layers.get(c.layer).and_then(|l| l.entries.get(e)))
    };
    let node_of = |p: &str, c: &Cur, presence: Presence| {
        let entry = entry_of(c);
        let kind = if c.dir {
            Kind::Dir
        } else {
            entry.map_or(Kind::File, |e| Kind::of(&e.kind))
        };
        let size = entry.map_or(0, Entry::apparent_size);
        Node {
            path: p.into(),
            kind,
            size,
            total: size,
            presence,
            parent: None,
            depth: 0,
            copy: c.entry.map(|e| (c.layer, e)),
        }
    };

    // Visible and removed paths are disjoint; merge them into one path-ordered list, keeping
    // a removed path only where it can hang in the tree (under a directory).
    let mut visible: Vec<(&str, &Cur)> = replay.cur.iter().map(|(p, c)| (*p, c)).collect();
    visible.sort_unstable_by_key(|(p, _)| *p);
    let mut gone: Vec<(&str, &Gone)> = replay.gone.iter().map(|(p, g)| (*p, g)).collect();
    gone.sort_unstable_by_key(|(p, _)| *p);
    let mut nodes: Vec<Node> = Vec::with_capacity(visible.len() + gone.len());
    let mut ids: Map<&str, usize> = Map::with_capacity_and_hasher(nodes.capacity(), FixedState::default());
    let mut vis = visible.iter().peekable();
    let mut removed = gone.iter().peekable();
    loop {
        let take_visible = match (vis.peek(), removed.peek()) {
            (Some((a, _)), Some((b, _))) => a < b,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let (p, mut node) = if take_visible {
            let Some((p, c)) = vis.next() else { break };
            let presence = Presence::Visible {
                layer: c.layer,
                change: c.change,
            };
            (*p, node_of(p, c, presence))
        } else {
            let Some((p, g)) = removed.next() else { break };
            let presence = Presence::Removed {
                by: g.by,
                from: g.cur.layer,
            };
            (*p, node_of(p, &g.cur, presence))
        };
        if let Some(parent) = path::parent(p) {
            let Some(&pid) = ids.get(parent) else { continue };
            let Some(pn) = nodes.get(pid) else { continue };
            if pn.kind != Kind::Dir {
                continue;
            }
            node.parent = Some(NodeId(pid));
            node.depth = pn.depth + 1;
        }
        ids.insert(p, nodes.len());
        nodes.push(node);
    }

    // Totals: a parent always sorts before its children, so walking backwards sums children
    // before their parent is read.
    for i in (0..nodes.len()).rev() {
        let Some(n) = nodes.get(i) else { continue };
        let (total, visible, parent) = (n.total, n.presence.is_visible(), n.parent);
        if let Some(p) = parent.and_then(|NodeId(p)| nodes.get_mut(p)) {
            // A visible directory counts what is visible inside it; a removed one what was.
            if visible || !p.presence.is_visible() {
                p.total = p.total.saturating_add(total);
            }
        }
    }

    let mut counts = vec![0usize; nodes.len() + 1];
    let mut roots = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        match n.parent {
            Some(NodeId(p)) => {
                if let Some(c) = counts.get_mut(p + 1) {
                    *c += 1;
                }
            }
            None => roots.push(NodeId(i)),
        }
    }
    for i in 1..counts.len() {
        let before = counts.get(i - 1).copied().unwrap_or(0);
        if let Some(c) = counts.get_mut(i) {
            *c += before;
        }
    }
    let child_start = counts;
    let mut fill = child_start.clone();
    let mut child_ids = vec![NodeId(0); nodes.len().saturating_sub(roots.len())];
    for (i, n) in nodes.iter().enumerate() {
        let Some(at) = n.parent.and_then(|NodeId(p)| fill.get_mut(p)) else {
            continue;
        };
        if let Some(slot) = child_ids.get_mut(*at) {
            *slot = NodeId(i);
        }
        *at += 1;
    }

    Parts {
        changes,
        fates: replay.fates,
        nodes,
        roots,
        child_start,
        child_ids,
    }
}

impl Explorer {
    /// Explains the stack `layers`, bottom layer first.
    pub fn new(layers: Vec<Arc<Changeset>>) -> Self {
        // The replay borrows the layers, which the explorer then keeps.
        let Parts {
            changes,
            fates,
            nodes,
            roots,
            child_start,
            child_ids,
        } = build(&layers);
        let stats: Vec<LayerStats> = layers
            .iter()
            .enumerate()
            .map(|(l, layer)| {
                let mut s = LayerStats::default();
                let marks = changes.get(l).map_or(&[][..], Vec::as_slice);
                let layer_fates = fates.get(l).map_or(&[][..], Vec::as_slice);
                for (i, e) in layer.entries.iter().enumerate() {
                    match marks.get(i) {
                        Some(Change::Added) => s.added += 1,
                        Some(Change::Modified) => s.modified += 1,
                        Some(Change::Removed) => s.removed += 1,
                        None => {}
                    }
                    let size = e.apparent_size();
                    s.stored = s.stored.saturating_add(size);
                    if layer_fates.get(i).is_some_and(|f| f.is_hidden()) {
                        s.wasted = s.wasted.saturating_add(size);
                    }
                }
                s
            })
            .collect();
        let stored = stats.iter().map(|s| s.stored).fold(0u64, u64::saturating_add);
        let visible = nodes
            .iter()
            .filter(|n| n.presence.is_visible())
            .map(|n| n.size)
            .fold(0u64, u64::saturating_add);

        Explorer {
            layers,
            changes,
            fates,
            nodes,
            roots,
            child_start,
            child_ids,
            stats,
            visible,
            stored,
        }
    }

    /// The stack, bottom first.
    pub fn layers(&self) -> &[Arc<Changeset>] {
        &self.layers
    }

    /// How many nodes the tree has (visible and removed).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id.0)
    }

    /// Every node, in path order.
    pub fn nodes(&self) -> impl Iterator<Item = (NodeId, &Node)> {
        self.nodes.iter().enumerate().map(|(i, n)| (NodeId(i), n))
    }

    /// The node at a normalised path, by binary search.
    pub fn find(&self, path: &str) -> Option<NodeId> {
        self.nodes
            .binary_search_by(|n| (*n.path).cmp(path))
            .ok()
            .map(NodeId)
    }

    /// The layer entry behind a node (`None` for a directory no layer lists).
    pub fn entry(&self, id: NodeId) -> Option<&Entry> {
        let (l, e) = self.node(id)?.copy?;
        self.layers.get(l)?.entries.get(e)
    }

    /// Top-level nodes, in name order.
    pub fn roots(&self) -> &[NodeId] {
        &self.roots
    }

    /// The children of a node (of the root for `None`), in name order.
    pub fn children(&self, parent: Option<NodeId>) -> &[NodeId] {
        let Some(NodeId(p)) = parent else {
            return &self.roots;
        };
        let end = p.checked_add(1).and_then(|q| self.child_start.get(q));
        match (self.child_start.get(p), end) {
            (Some(&a), Some(&b)) => self.child_ids.get(a..b).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// The children of a node in the given order: only that directory is sorted, so showing an
    /// expanded directory costs its own size, not the tree's.
    pub fn sorted_children(&self, parent: Option<NodeId>, order: Order) -> Vec<NodeId> {
        let mut ids = self.children(parent).to_vec();
        if order == Order::Size {
            // Stable: equal totals keep name order.
            crate::sort::sort_by_key(&mut ids, |id| {
                std::cmp::Reverse(self.node(*id).map_or(0, |n| n.total))
            });
        }
        ids
    }

    fn layer_entry(&self, layer: usize, i: usize) -> Option<LayerEntry<'_>> {
        Some(LayerEntry {
            layer,
            entry: self.layers.get(layer)?.entries.get(i)?,
            change: *self.changes.get(layer)?.get(i)?,
            fate: *self.fates.get(layer)?.get(i)?,
        })
    }

    /// The entries of one layer, in path order, with what each did and what became of it.
    pub fn layer_entries(&self, layer: usize) -> impl Iterator<Item = LayerEntry<'_>> {
        let n = self.layers.get(layer).map_or(0, |l| l.entries.len());
        (0..n).filter_map(move |i| self.layer_entry(layer, i))
    }

    fn all_entries(&self) -> impl Iterator<Item = LayerEntry<'_>> {
        (0..self.layers.len()).flat_map(move |l| self.layer_entries(l))
    }

    pub fn layer_stats(&self) -> &[LayerStats] {
        &self.stats
    }

    /// Every layer entry whose path contains `query`, ignoring ASCII case, in path order and then
    /// bottom layer first; hidden copies and whiteouts are found too. A query starting with `/`
    /// matches only at the start of a path component: `/etc` finds `etc/passwd` and
    /// `usr/etc/x` but not `usr/letc`. An empty query finds nothing.
    pub fn search(&self, query: &str) -> Vec<LayerEntry<'_>> {
        let (needle, anchored) = match query.strip_prefix('/') {
            Some(rest) => (rest.trim_end_matches('/'), true),
            None => (query, false),
        };
        if needle.is_empty() && !anchored {
            return Vec::new();
        }
        let mut out: Vec<LayerEntry<'_>> = self
            .all_entries()
            .filter(|le| contains_ignore_case(&le.entry.path, needle, anchored))
            .collect();
        crate::sort::sort_by(&mut out, |a, b| {
            a.entry.path.cmp(&b.entry.path).then(a.layer.cmp(&b.layer))
        });
        out
    }

    /// Every layer's entry at `path`, bottom first: the path's history through the stack.
    pub fn copies_of(&self, path: &str) -> Vec<LayerEntry<'_>> {
        (0..self.layers.len())
            .filter_map(|l| {
                let layer = self.layers.get(l)?;
                let i = layer
                    .entries
                    .binary_search_by(|e| e.path.as_str().cmp(path))
                    .ok()?;
                self.layer_entry(l, i)
            })
            .collect()
    }

    /// The copies stored in a layer that the merged view does not show, because a higher layer
    /// overwrote or removed them: biggest first, then by path. Directories are left out (they
    /// store no bytes); empty files stay, since they are still copies nobody sees.
    pub fn wasted(&self) -> Vec<LayerEntry<'_>> {
        let mut out: Vec<LayerEntry<'_>> = self
            .all_entries()
            .filter(|le| le.fate.is_hidden() && !le.entry.is_dir())
            .collect();
        crate::sort::sort_by(&mut out, |a, b| {
            b.size()
                .cmp(&a.size())
                .then(a.entry.path.cmp(&b.entry.path))
                .then(a.layer.cmp(&b.layer))
        });
        out
    }

    /// Bytes stored in the layers but not visible in the merged view: the sum over every layer
    /// entry that a higher layer overwrote or removed. Always `stored_bytes() - visible_bytes()`.
    pub fn wasted_bytes(&self) -> u64 {
        self.stats
            .iter()
            .map(|s| s.wasted)
            .fold(0u64, u64::saturating_add)
    }

    /// The apparent size of everything the merged view shows ([`MergedView::size`]).
    pub fn visible_bytes(&self) -> u64 {
        self.visible
    }

    /// The sum of the layers' sizes ([`Changeset::size`] of each layer).
    pub fn stored_bytes(&self) -> u64 {
        self.stored
    }

    /// How much of what the layers store can be seen:
    ///
    /// `efficiency = visible_bytes / stored_bytes`
    ///
    /// where `visible_bytes` is the apparent size of the merged view and `stored_bytes` is the sum
    /// of every layer's apparent size. 1.0 means no layer stores a byte that a higher layer hides;
    /// a stack that stores nothing counts as 1.0. (dive's score is similar in spirit but also
    /// charges for the visible copy of a file stored more than once.)
    pub fn efficiency(&self) -> f64 {
        if self.stored == 0 {
            1.0
        } else {
            self.visible as f64 / self.stored as f64
        }
    }

    /// The differences between this stack's merged view and another's.
    pub fn diff(&self, other: &Explorer) -> ImageDiff {
        diff(
            &MergedView::new(self.layers.clone()),
            &MergedView::new(other.layers.clone()),
        )
    }
}

/// Whether `hay` contains `needle` ignoring ASCII case; when `anchored`, only at the start of
/// `hay` or just after a `/`. Written out rather than lowercasing each path so a search of ten
/// thousand paths allocates nothing.
fn contains_ignore_case(hay: &str, needle: &str, anchored: bool) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let Some((&first, rest)) = n.split_first() else {
        return true;
    };
    let first = first.to_ascii_lowercase();
    let Some(last_start) = h.len().checked_sub(n.len()) else {
        return false;
    };
    (0..=last_start).any(|i| {
        h.get(i).is_some_and(|b| b.to_ascii_lowercase() == first)
            && (!anchored || i == 0 || h.get(i - 1) == Some(&b'/'))
            && h.get(i + 1..i + n.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(rest))
    })
}

/// One path present in only one of two images.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffEntry {
    pub path: String,
    pub kind: Kind,
    pub size: u64,
    /// The layer of its image that supplies it.
    pub layer: usize,
}

/// One side of a changed path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiffSide {
    pub kind: Kind,
    pub size: u64,
    pub mode: u32,
    pub layer: usize,
}

/// What differs at a path present in both images.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Differences {
    /// File, directory, symlink... differ.
    pub kind: bool,
    /// Same kind, different bytes (or link target).
    pub content: bool,
    /// Permission bits differ.
    pub mode: bool,
    /// Owner or group differ.
    pub owner: bool,
}

/// A path present in both images whose entry differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffChange {
    pub path: String,
    pub a: DiffSide,
    pub b: DiffSide,
    pub what: Differences,
}

/// The difference of two merged views, each list in path order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageDiff {
    pub only_in_a: Vec<DiffEntry>,
    pub only_in_b: Vec<DiffEntry>,
    pub changed: Vec<DiffChange>,
}

impl ImageDiff {
    pub fn is_empty(&self) -> bool {
        self.only_in_a.is_empty() && self.only_in_b.is_empty() && self.changed.is_empty()
    }

    pub fn bytes_only_in_a(&self) -> u64 {
        self.only_in_a
            .iter()
            .map(|e| e.size)
            .fold(0u64, u64::saturating_add)
    }

    pub fn bytes_only_in_b(&self) -> u64 {
        self.only_in_b
            .iter()
            .map(|e| e.size)
            .fold(0u64, u64::saturating_add)
    }

    /// The same diff seen from the other side.
    pub fn swapped(&self) -> ImageDiff {
        ImageDiff {
            only_in_a: self.only_in_b.clone(),
            only_in_b: self.only_in_a.clone(),
            changed: self
                .changed
                .iter()
                .map(|c| DiffChange {
                    path: c.path.clone(),
                    a: c.b,
                    b: c.a,
                    what: c.what,
                })
                .collect(),
        }
    }

    /// Orders every list by size, biggest first (the larger side for changed paths), ties by path.
    pub fn sort_by_size(&mut self) {
        let by_size = |x: &DiffEntry, y: &DiffEntry| y.size.cmp(&x.size).then(x.path.cmp(&y.path));
        crate::sort::sort_by(&mut self.only_in_a, by_size);
        crate::sort::sort_by(&mut self.only_in_b, by_size);
        crate::sort::sort_by(&mut self.changed, |x, y| {
            let big = |c: &DiffChange| c.a.size.max(c.b.size);
            big(y).cmp(&big(x)).then(x.path.cmp(&y.path))
        });
    }
}

fn side(f: &Found<'_>) -> DiffSide {
    let e = f.to_entry();
    DiffSide {
        kind: Kind::of(f.kind()),
        size: f.apparent_size(),
        mode: e.mode,
        layer: f.layer,
    }
}

fn differences(a: &Found<'_>, b: &Found<'_>) -> Differences {
    let (ea, eb) = (a.to_entry(), b.to_entry());
    let kind = Kind::of(&ea.kind) != Kind::of(&eb.kind);
    Differences {
        kind,
        content: !kind && ea.kind != eb.kind,
        mode: ea.mode != eb.mode,
        owner: (ea.uid, ea.gid) != (eb.uid, eb.gid),
    }
}

fn only(f: &Found<'_>) -> DiffEntry {
    DiffEntry {
        path: f.path.to_owned(),
        kind: Kind::of(f.kind()),
        size: f.apparent_size(),
        layer: f.layer,
    }
}

/// The differences between two merged views: paths only in `a`, only in `b`, and in both with a
/// different kind, content, mode or owner. Modification times are ignored: two builds of the same
/// file differ in nothing else, and the lesson is about what is stored. One merge walk over both
/// path-ordered views.
pub fn diff(a: &MergedView, b: &MergedView) -> ImageDiff {
    let mut out = ImageDiff::default();
    let mut ia = a.iter().peekable();
    let mut ib = b.iter().peekable();
    loop {
        let order = match (ia.peek(), ib.peek()) {
            (Some(x), Some(y)) => x.path.cmp(y.path),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => break,
        };
        match order {
            std::cmp::Ordering::Less => {
                if let Some(x) = ia.next() {
                    out.only_in_a.push(only(&x));
                }
            }
            std::cmp::Ordering::Greater => {
                if let Some(y) = ib.next() {
                    out.only_in_b.push(only(&y));
                }
            }
            std::cmp::Ordering::Equal => {
                if let (Some(x), Some(y)) = (ia.next(), ib.next()) {
                    let what = differences(&x, &y);
                    if what != Differences::default() {
                        out.changed.push(DiffChange {
                            path: x.path.to_owned(),
                            a: side(&x),
                            b: side(&y),
                            what,
                        });
                    }
                }
            }
        }
    }
    out
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

    fn stack(layers: Vec<Changeset>) -> Vec<Arc<Changeset>> {
        layers.into_iter().map(Arc::new).collect()
    }

    /// The union module's example stack, plus a layer that writes a big file and one that
    /// deletes it again: the classic wasted-space mistake.
    fn demo() -> Explorer {
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
        let l2 = Changeset::new(vec![
            Entry::dir("app"),
            file("app/app.sh", "#!/bin/sh"),
            Entry::file("tmp/big.tar", Content::Zeros { len: 1000 }),
        ]);
        let l3 = Changeset::new(vec![
            Entry::dir("etc"),
            Entry::whiteout("etc/banner.txt"),
            file("etc/motd", "Welcome, modified"),
            Entry::whiteout("var/cache/demo"),
            Entry::whiteout("tmp/big.tar"),
        ]);
        let l4 = Changeset::new(vec![
            Entry::dir("etc"),
            Entry::opaque("etc/demo.d"),
            file("etc/demo.d/app.conf", "x"),
        ]);
        Explorer::new(stack(vec![l1, l2, l3, l4]))
    }

    fn presence(x: &Explorer, p: &str) -> Option<Presence> {
        x.find(p).and_then(|id| x.node(id)).map(|n| n.presence)
    }

    #[test]
    fn each_path_knows_the_layer_that_added_changed_or_removed_it() {
        let x = demo();
        let visible = |layer, change| Some(Presence::Visible { layer, change });
        assert_eq!(presence(&x, "etc/motd"), visible(2, Change::Modified));
        assert_eq!(presence(&x, "app/app.sh"), visible(1, Change::Added));
        assert_eq!(presence(&x, "etc/demo.d"), visible(3, Change::Modified));
        assert_eq!(presence(&x, "etc/demo.d/app.conf"), visible(3, Change::Added));
        assert_eq!(
            presence(&x, "tmp"),
            visible(1, Change::Added),
            "an implied parent"
        );
        assert_eq!(
            presence(&x, "etc/banner.txt"),
            Some(Presence::Removed { by: 2, from: 0 })
        );
        assert_eq!(
            presence(&x, "var/cache/demo/a.txt"),
            Some(Presence::Removed { by: 2, from: 0 })
        );
        assert_eq!(
            presence(&x, "etc/demo.d/old.conf"),
            Some(Presence::Removed { by: 3, from: 0 })
        );
        assert_eq!(presence(&x, "nope"), None);
    }

    #[test]
    fn the_tree_nests_and_sorts_by_name_or_size() {
        let x = demo();
        let names = |ids: &[NodeId]| -> Vec<String> {
            ids.iter()
                .filter_map(|id| x.node(*id))
                .map(|n| n.name().to_owned())
                .collect()
        };
        assert_eq!(names(x.roots()), ["app", "etc", "tmp", "var"]);
        let etc = x.find("etc");
        assert_eq!(
            names(x.children(etc)),
            ["banner.txt", "demo.d", "motd"],
            "removed paths stay in the tree"
        );
        assert_eq!(
            names(&x.sorted_children(None, Order::Size)),
            ["etc", "app", "tmp", "var"]
        );
        let node = |p: &str| x.find(p).and_then(|id| x.node(id)).cloned();
        assert_eq!(
            node("etc").map(|n| n.total),
            Some(17 + 1),
            "visible children only"
        );
        assert_eq!(node("tmp").map(|n| (n.total, n.depth)), Some((0, 0)));
        assert_eq!(node("tmp/big.tar").map(|n| (n.total, n.depth)), Some((1000, 1)));
        assert_eq!(
            node("var/cache/demo").map(|n| n.total),
            Some(1),
            "a removed directory counts what it had"
        );
        assert_eq!(
            x.entry(x.find("etc/motd").unwrap_or(NodeId(usize::MAX)))
                .map(|e| e.mode),
            Some(0o644)
        );
    }

    #[test]
    fn wasted_bytes_are_the_hidden_copies() {
        let x = demo();
        let wasted: Vec<(usize, &str, u64, Fate)> = x
            .wasted()
            .iter()
            .map(|le| (le.layer, le.entry.path.as_str(), le.size(), le.fate))
            .collect();
        assert_eq!(
            wasted,
            [
                (1, "tmp/big.tar", 1000, Fate::Removed { by: 2 }),
                (0, "etc/motd", 7, Fate::Overwritten { by: 2 }),
                (0, "etc/banner.txt", 6, Fate::Removed { by: 2 }),
                (0, "etc/demo.d/old.conf", 3, Fate::Removed { by: 3 }),
                (0, "var/cache/demo/a.txt", 1, Fate::Removed { by: 2 }),
            ]
        );
        assert_eq!(x.wasted_bytes(), 1017);
        assert_eq!(x.stored_bytes(), 17 + 1009 + 17 + 1);
        assert_eq!(x.visible_bytes(), 17 + 9 + 1);
        let stats = x.layer_stats();
        assert_eq!(stats.first().map(|s| s.wasted), Some(17));
        assert_eq!(stats.get(1).map(|s| s.wasted), Some(1000));
        assert_eq!(
            stats.get(2).map(|s| (s.added, s.modified, s.removed)),
            Some((0, 2, 3))
        );
        let e = x.efficiency();
        assert!((e - 27.0 / 1044.0).abs() < 1e-12, "efficiency was {e}");
    }

    #[test]
    fn search_finds_copies_in_every_layer() {
        let x = demo();
        let hits: Vec<(usize, &str, Fate)> = x
            .search("MOTD")
            .iter()
            .map(|le| (le.layer, le.entry.path.as_str(), le.fate))
            .collect();
        assert_eq!(
            hits,
            [
                (0, "etc/motd", Fate::Overwritten { by: 2 }),
                (2, "etc/motd", Fate::Visible)
            ]
        );
        assert_eq!(
            x.search("/demo").len(),
            7,
            "etc/demo.d in two layers, old.conf, app.conf, var/cache/demo in two layers, a.txt"
        );
        assert_eq!(x.search("/emo").len(), 0, "anchored at a component");
        assert!(x.search("").is_empty());
        assert_eq!(
            x.search("big.tar").iter().map(|le| le.fate).collect::<Vec<_>>(),
            [Fate::Removed { by: 2 }, Fate::Whiteout]
        );
        assert_eq!(x.copies_of("etc").len(), 3);
    }

    #[test]
    fn diff_reports_each_side_and_changes() {
        let a = MergedView::new(stack(vec![Changeset::new(vec![
            file("same", "1"),
            file("gone", "22"),
            file("edited", "333"),
            file("mode", "4").with_mode(0o600),
            file("timed", "5").with_mtime(9),
        ])]));
        let b = MergedView::new(stack(vec![Changeset::new(vec![
            file("same", "1"),
            file("new", "7777777"),
            file("edited", "33"),
            file("mode", "4"),
            file("timed", "5"),
        ])]));
        let d = diff(&a, &b);
        let paths = |v: &[DiffEntry]| v.iter().map(|e| (e.path.clone(), e.size)).collect::<Vec<_>>();
        assert_eq!(paths(&d.only_in_a), [("gone".to_owned(), 2)]);
        assert_eq!(paths(&d.only_in_b), [("new".to_owned(), 7)]);
        let changed: Vec<(&str, u64, u64, Differences)> = d
            .changed
            .iter()
            .map(|c| (c.path.as_str(), c.a.size, c.b.size, c.what))
            .collect();
        assert_eq!(
            changed,
            [
                (
                    "edited",
                    3,
                    2,
                    Differences {
                        content: true,
                        ..Differences::default()
                    }
                ),
                (
                    "mode",
                    1,
                    1,
                    Differences {
                        mode: true,
                        ..Differences::default()
                    }
                ),
            ]
        );
        assert_eq!(diff(&b, &a), d.swapped());
        let mut by_size = d.clone();
        by_size.sort_by_size();
        let order: Vec<&str> = by_size.changed.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(order, ["edited", "mode"], "the larger side decides");
    }

    #[test]
    fn odd_stacks_do_not_panic() {
        // Unsorted entries, duplicates, a root entry, files under files: as a hostile tar could give.
        let odd = Changeset {
            entries: vec![
                file("a/b", "x"),
                file("a", "file"),
                Entry::dir(""),
                Entry::whiteout(""),
                Entry::opaque("a"),
                file("a/b", "again"),
            ],
        };
        let x = Explorer::new(stack(vec![odd.clone(), odd]));
        assert_eq!(x.wasted_bytes() + x.visible_bytes(), x.stored_bytes());
        let _ = x.search("/");
        let _ = x.sorted_children(Some(NodeId(usize::MAX)), Order::Size);
        assert!(x.node(NodeId(usize::MAX)).is_none());
        let empty = Explorer::new(Vec::new());
        assert!(empty.is_empty());
        assert_eq!(empty.efficiency(), 1.0);
    }

    proptest! {
        #[test]
        fn replay_agrees_with_the_merged_view(stack in prop::collection::vec(layer_strategy(), 0..6)) {
            let layers: Vec<Arc<Changeset>> = stack.iter().cloned().map(Arc::new).collect();
            let x = Explorer::new(layers.clone());
            let view = MergedView::new(layers);
            let tree = Tree::from_layers(&stack);
            let visible: Vec<(&str, Kind)> = x
                .nodes()
                .filter(|(_, n)| n.presence.is_visible())
                .map(|(_, n)| (&*n.path, n.kind))
                .collect();
            let merged: Vec<(&str, Kind)> = view.iter().map(|f| (f.path, Kind::of(f.kind()))).collect();
            prop_assert_eq!(&visible, &merged);
            // The layer of every listed entry agrees with the merged view's lookup.
            for (id, n) in x.nodes() {
                if let (Presence::Visible { layer, .. }, Some(_)) = (n.presence, x.entry(id)) {
                    let f = view.lookup(&n.path);
                    prop_assert_eq!(f.and_then(|f| f.entry.map(|_| f.layer)), Some(layer));
                }
            }
            prop_assert_eq!(x.visible_bytes(), view.size());
            prop_assert_eq!(x.visible_bytes(), tree.size());
            // Every stored byte is either visible or wasted.
            prop_assert_eq!(x.wasted_bytes() + x.visible_bytes(), x.stored_bytes());
            let listed: u64 = x.wasted().iter().map(|le| le.size()).sum();
            prop_assert_eq!(listed, x.wasted_bytes());
            let root_total: u64 = x
                .roots()
                .iter()
                .filter_map(|id| x.node(*id))
                .filter(|n| n.presence.is_visible())
                .map(|n| n.total)
                .sum();
            prop_assert_eq!(root_total, x.visible_bytes());
            prop_assert!((0.0..=1.0).contains(&x.efficiency()));
        }

        #[test]
        fn diff_is_empty_on_itself_and_symmetric(
            a in prop::collection::vec(layer_strategy(), 0..4),
            b in prop::collection::vec(layer_strategy(), 0..4),
        ) {
            let va = MergedView::new(a.into_iter().map(Arc::new).collect());
            let vb = MergedView::new(b.into_iter().map(Arc::new).collect());
            prop_assert!(diff(&va, &va).is_empty());
            let ab = diff(&va, &vb);
            prop_assert_eq!(diff(&vb, &va), ab.swapped());
            // Every path of A is either only in A or in both.
            let in_both = va.len() - ab.only_in_a.len();
            prop_assert_eq!(in_both, vb.len() - ab.only_in_b.len());
        }
    }
}
