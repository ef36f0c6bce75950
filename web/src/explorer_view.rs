//! What the Files panel shows, worked out without a browser: which images and containers can be
//! explored, each layer's name, the rows of the expandable tree (only what is expanded, capped),
//! what the keys do in the tree, and the words for each mark. The file-by-file facts come from
//! [`layerlab_core::explorer`]; this module only arranges them for the page.

use std::collections::BTreeSet;

use layerlab_core::cli::format::{ellipsis, fixed};
use layerlab_core::digest::Digest;
use layerlab_core::engine::Simulator;
use layerlab_core::explorer::{Change, DiffChange, Explorer, Fate, ImageDiff, Kind, NodeId, Order, Presence};
use layerlab_core::sort;
use layerlab_core::union::MergedView;

use crate::stacks::instruction;

/// Rows shown at first, and added by each "show more".
pub const PAGE: usize = 200;

/// Characters of an instruction shown beside a row or in the layer key.
const BRIEF_CHARS: usize = 60;

/// What the panel explores: an image, or a container (its image plus its writable layer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    Image(Digest),
    Container(Digest),
}

impl Subject {
    /// The value of the subject's `<option>`.
    pub fn key(&self) -> String {
        match self {
            Subject::Image(id) => format!("image:{id}"),
            Subject::Container(id) => format!("container:{id}"),
        }
    }

    /// The subject an option value names; `None` for anything else.
    pub fn from_key(key: &str) -> Option<Subject> {
        if let Some(id) = key.strip_prefix("image:") {
            return id.parse().ok().map(Subject::Image);
        }
        key.strip_prefix("container:")
            .and_then(|id| id.parse().ok())
            .map(Subject::Container)
    }
}

/// One entry of the subject menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub subject: Subject,
    pub label: String,
}

/// How an image is named in menus: its first tag, or `<none>` and its short ID.
fn image_label(sim: &Simulator, id: &Digest) -> String {
    sim.store()
        .tags_of(id)
        .into_iter()
        .next()
        .unwrap_or_else(|| format!("<none> ({})", id.short()))
}

/// Every image (by name, untagged ones last), then every container (in creation order).
pub fn choices(sim: &Simulator) -> Vec<Choice> {
    let mut images: Vec<Choice> = sim
        .store()
        .images()
        .map(|i| Choice {
            subject: Subject::Image(i.id),
            label: image_label(sim, &i.id),
        })
        .collect();
    sort::sort_by(&mut images, |a, b| {
        (a.label.starts_with('<'), &a.label).cmp(&(b.label.starts_with('<'), &b.label))
    });
    let containers = sim.containers().iter().map(|c| Choice {
        subject: Subject::Container(c.id),
        label: format!("container {} ({})", c.name, image_label(sim, &c.image)),
    });
    images.extend(containers);
    images
}

/// The names of a stack's layers: the instruction that made each one, and whether the top one is
/// a container's writable layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerNames {
    instructions: Vec<String>,
    writable_top: bool,
}

impl LayerNames {
    pub fn new(instructions: Vec<String>, writable_top: bool) -> Self {
        LayerNames {
            instructions,
            writable_top,
        }
    }

    pub fn len(&self) -> usize {
        self.instructions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.instructions.is_empty()
    }

    fn is_writable(&self, layer: usize) -> bool {
        self.writable_top && layer.checked_add(1) == Some(self.instructions.len())
    }

    /// `L3` (layers counted from 1 at the bottom, as `docker history` readers count them), or
    /// `RW` for a container's writable layer.
    pub fn short(&self, layer: usize) -> String {
        if self.is_writable(layer) {
            "RW".to_owned()
        } else {
            format!("L{}", layer.saturating_add(1))
        }
    }

    /// What made the layer: its instruction, or "writable layer of the container".
    pub fn instruction(&self, layer: usize) -> &str {
        if self.is_writable(layer) {
            return "the container's writable layer";
        }
        self.instructions
            .get(layer)
            .map_or("(unknown layer)", String::as_str)
    }

    /// The instruction cut to fit beside a row (`RUN set -x && apt-get update && ...`); the
    /// whole of it is in [`LayerNames::long`], which the page puts in tooltips.
    pub fn brief(&self, layer: usize) -> String {
        ellipsis(self.instruction(layer), BRIEF_CHARS)
    }

    /// `layer 3 (RUN apt-get ...)`.
    pub fn long(&self, layer: usize) -> String {
        if self.is_writable(layer) {
            "the container's writable layer".to_owned()
        } else {
            format!("layer {} ({})", layer.saturating_add(1), self.instruction(layer))
        }
    }
}

/// The instructions of an image's layers, bottom first: the history rows that made a layer, in
/// order, as `docker history` lists them from the bottom.
fn image_layer_names(sim: &Simulator, id: &Digest, layers: usize) -> Vec<String> {
    let mut names: Vec<String> = sim
        .store()
        .image(id)
        .and_then(|i| i.config.history().clone())
        .unwrap_or_default()
        .iter()
        .filter(|h| !h.empty_layer().unwrap_or(false))
        .map(|h| instruction(h.created_by().as_deref().unwrap_or_default()))
        .take(layers)
        .collect();
    // A config may carry fewer history rows than layers; the layers still exist.
    names.resize(layers, "(no history for this layer)".to_owned());
    names
}

/// A subject worked out file by file.
#[derive(Debug, Clone)]
pub struct Explored {
    pub subject: Subject,
    pub explorer: Explorer,
    pub names: LayerNames,
}

/// The explorer of a subject, or `None` when it no longer exists.
pub fn explore(sim: &Simulator, subject: &Subject) -> Option<Explored> {
    let store = sim.store();
    let (image, upper) = match subject {
        Subject::Image(id) => (*id, None),
        Subject::Container(id) => {
            let c = sim.containers().iter().find(|c| c.id == *id)?;
            (c.image, Some(&c.upper))
        }
    };
    store.image(&image)?;
    let mut layers: Vec<_> = store
        .image_layers(&image)
        .into_iter()
        .map(|l| l.changeset.clone())
        .collect();
    let mut names = image_layer_names(sim, &image, layers.len());
    if let Some(upper) = upper {
        // The writable layer is small next to the image; copying it once per command is cheap.
        layers.push(std::sync::Arc::new(upper.clone()));
        names.push(String::new());
    }
    Some(Explored {
        subject: *subject,
        explorer: Explorer::new(layers),
        names: LayerNames::new(names, upper.is_some()),
    })
}

/// The merged view of an image, for comparing two.
pub fn image_view(sim: &Simulator, id: &Digest) -> Option<MergedView> {
    let store = sim.store();
    store.image(id)?;
    Some(MergedView::new(
        store
            .image_layers(id)
            .into_iter()
            .map(|l| l.changeset.clone())
            .collect(),
    ))
}

/// The difference between two images, `a` on the left.
pub fn image_diff(sim: &Simulator, a: &Digest, b: &Digest) -> Option<ImageDiff> {
    Some(layerlab_core::explorer::diff(
        &image_view(sim, a)?,
        &image_view(sim, b)?,
    ))
}

/// One row of the image diff table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffRow<'a> {
    /// `-` only in A, `+` only in B, `~` changed: a mark that reads without colour.
    pub mark: char,
    pub path: &'a str,
    pub kind: Kind,
    /// Sizes on each side; `None` where the path is absent.
    pub a: Option<u64>,
    pub b: Option<u64>,
    pub note: String,
}

/// What changed at a path, in words (`changed: content, mode 644 to 600`).
pub fn change_note(c: &DiffChange) -> String {
    let mut parts = Vec::new();
    if c.what.kind {
        parts.push(format!("{} became {}", c.a.kind.word(), c.b.kind.word()));
    }
    if c.what.content {
        parts.push("content".to_owned());
    }
    if c.what.mode {
        parts.push(format!("mode {:o} to {:o}", c.a.mode, c.b.mode));
    }
    if c.what.owner {
        parts.push("owner".to_owned());
    }
    format!("changed: {}", parts.join(", "))
}

/// The three lists of a diff as one table, in path order or biggest first.
pub fn diff_rows(d: &ImageDiff, order: Order) -> Vec<DiffRow<'_>> {
    let mut rows: Vec<DiffRow<'_>> = d
        .only_in_a
        .iter()
        .map(|e| DiffRow {
            mark: '-',
            path: &e.path,
            kind: e.kind,
            a: Some(e.size),
            b: None,
            note: "only in A".to_owned(),
        })
        .chain(d.only_in_b.iter().map(|e| DiffRow {
            mark: '+',
            path: &e.path,
            kind: e.kind,
            a: None,
            b: Some(e.size),
            note: "only in B".to_owned(),
        }))
        .chain(d.changed.iter().map(|c| DiffRow {
            mark: '~',
            path: &c.path,
            kind: c.b.kind,
            a: Some(c.a.size),
            b: Some(c.b.size),
            note: change_note(c),
        }))
        .collect();
    match order {
        Order::Name => sort::sort_by(&mut rows, |x, y| x.path.cmp(y.path)),
        Order::Size => sort::sort_by(&mut rows, |x, y| {
            let big = |r: &DiffRow<'_>| r.a.unwrap_or(0).max(r.b.unwrap_or(0));
            big(y).cmp(&big(x)).then(x.path.cmp(y.path))
        }),
    }
    rows
}

/// One row of the tree as shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    pub id: NodeId,
    /// 0 for a top-level name.
    pub depth: usize,
    /// A directory with something to show inside.
    pub expandable: bool,
    pub expanded: bool,
    /// Its place among the siblings shown (from 1), and how many they are: the tree is drawn
    /// as a flat list, so assistive technology learns them from `aria-posinset` and
    /// `aria-setsize` rather than from nesting.
    pub position: usize,
    pub siblings: usize,
}

/// The rows of the tree: only the children of expanded directories, at most `limit` rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreeRows {
    pub rows: Vec<Row>,
    /// Rows were left out at the limit.
    pub more: bool,
}

fn shown(x: &Explorer, id: NodeId, show_removed: bool) -> bool {
    x.node(id)
        .is_some_and(|n| show_removed || n.presence.is_visible())
}

/// The tree's rows, depth first, each directory's children in `order`. The work is the rows
/// shown plus the children of the directories that are expanded, whatever the image's size.
pub fn tree_rows(
    x: &Explorer,
    expanded: &BTreeSet<String>,
    order: Order,
    show_removed: bool,
    limit: usize,
) -> TreeRows {
    // Each directory's shown children, last first, with their place among them.
    let shown_children = |parent: Option<NodeId>| {
        let kids: Vec<NodeId> = x
            .sorted_children(parent, order)
            .into_iter()
            .filter(|id| shown(x, *id, show_removed))
            .collect();
        let siblings = kids.len();
        kids.into_iter()
            .enumerate()
            .rev()
            .map(move |(i, id)| (id, i + 1, siblings))
    };
    let mut out = TreeRows::default();
    let mut stack: Vec<(NodeId, usize, usize)> = shown_children(None).collect();
    while let Some((id, position, siblings)) = stack.pop() {
        let Some(node) = x.node(id) else { continue };
        if out.rows.len() >= limit {
            out.more = true;
            break;
        }
        let is_open = node.kind == Kind::Dir && expanded.contains(&*node.path);
        let expandable =
            node.kind == Kind::Dir && x.children(Some(id)).iter().any(|c| shown(x, *c, show_removed));
        out.rows.push(Row {
            id,
            depth: node.depth,
            expandable,
            expanded: is_open && expandable,
            position,
            siblings,
        });
        if is_open && expandable {
            stack.extend(shown_children(Some(id)));
        }
    }
    out
}

/// What a key pressed on the focused tree row does (the WAI-ARIA tree view keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeMove {
    /// Move focus to the row at this index.
    Focus(usize),
    Expand(NodeId),
    Collapse(NodeId),
}

/// The move for `key` with the row at `focus` focused; `None` for keys the tree leaves alone.
pub fn tree_key(key: &str, rows: &[Row], focus: usize) -> Option<TreeMove> {
    let last = rows.len().checked_sub(1)?;
    let focus = focus.min(last);
    let row = rows.get(focus)?;
    match key {
        "ArrowDown" => Some(TreeMove::Focus((focus + 1).min(last))),
        "ArrowUp" => Some(TreeMove::Focus(focus.saturating_sub(1))),
        "Home" => Some(TreeMove::Focus(0)),
        "End" => Some(TreeMove::Focus(last)),
        "ArrowRight" if row.expandable && !row.expanded => Some(TreeMove::Expand(row.id)),
        "ArrowRight" if row.expanded => Some(TreeMove::Focus((focus + 1).min(last))),
        "ArrowLeft" if row.expanded => Some(TreeMove::Collapse(row.id)),
        "ArrowLeft" => {
            let parent = rows
                .get(..focus)?
                .iter()
                .rposition(|r| r.depth + 1 == row.depth)?;
            Some(TreeMove::Focus(parent))
        }
        "Enter" | " " if row.expandable && row.expanded => Some(TreeMove::Collapse(row.id)),
        "Enter" | " " if row.expandable => Some(TreeMove::Expand(row.id)),
        _ => None,
    }
}

/// The mark a tree row carries: a symbol and a short layer name that read without colour, and the
/// sentence a screen reader or a tooltip gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub change: Change,
    /// `+ L3`, `~ RW`, `- L5`.
    pub short: String,
    /// The instruction of the layer named.
    pub instruction: String,
    /// `added by layer 3 (RUN ...)`.
    pub sentence: String,
}

/// The mark of a tree node.
pub fn mark(presence: Presence, names: &LayerNames) -> Mark {
    let layer = presence.layer();
    let change = presence.change();
    let verb = match change {
        Change::Added => "added by",
        Change::Modified => "changed by",
        Change::Removed => "removed by",
    };
    let mut sentence = format!("{verb} {}", names.long(layer));
    if let Presence::Removed { from, .. } = presence {
        sentence.push_str(&format!("; last stored in {}", names.long(from)));
    }
    Mark {
        change,
        short: format!("{} {}", change.symbol(), names.short(layer)),
        instruction: names.instruction(layer).to_owned(),
        sentence,
    }
}

/// What became of a layer entry, in words.
pub fn fate_text(fate: Fate, names: &LayerNames) -> String {
    match fate {
        Fate::Visible => "visible".to_owned(),
        Fate::Overwritten { by } => format!("overwritten by {}", names.long(by)),
        Fate::Removed { by } => format!("removed by {}", names.long(by)),
        Fate::Whiteout => "a whiteout: deletes the path".to_owned(),
    }
}

/// A tree row's indent, 1.2em a level, written in tenths so no float is printed.
pub fn indent(depth: usize) -> String {
    let tenths = depth.saturating_mul(12);
    format!("padding-left: {}.{}em", tenths / 10, tenths % 10)
}

/// The efficiency as a percentage with one decimal (`97.3%`); 100% exactly only when nothing is
/// wasted, so a tiny waste never reads as none.
pub fn percent(x: &Explorer) -> String {
    let p = x.efficiency() * 100.0;
    if x.wasted_bytes() > 0 && p > 99.95 {
        return "99.9%".to_owned();
    }
    format!("{}%", fixed(p, 1))
}

/// How many files (non-directories) and directories the merged view shows.
pub fn counts(x: &Explorer) -> (usize, usize) {
    let mut files = 0;
    let mut dirs = 0;
    for (_, n) in x.nodes() {
        if n.presence.is_visible() {
            if n.kind == Kind::Dir {
                dirs += 1;
            } else {
                files += 1;
            }
        }
    }
    (files, dirs)
}

/// The paths to expand so that `path` is shown: each of its ancestors.
pub fn ancestors_of(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut end = path.len();
    while let Some(i) = path.get(..end).and_then(|p| p.rfind('/')) {
        out.push(path.get(..i).unwrap_or_default().to_owned());
        end = i;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_indent_by_a_fixed_step() {
        assert_eq!(indent(0), "padding-left: 0.0em");
        assert_eq!(indent(3), "padding-left: 3.6em");
    }

    fn nginx_lab() -> Simulator {
        let mut sim = Simulator::new();
        let out = sim.run_line("docker run -d --name web nginx:1.15.8");
        assert_eq!(out.exit_code, 0, "{}", out.stderr);
        sim
    }

    fn explored(sim: &Simulator, label: &str) -> Explored {
        let subject = choices(sim)
            .into_iter()
            .find(|c| c.label == label)
            .map(|c| c.subject);
        match subject.and_then(|s| explore(sim, &s)) {
            Some(e) => e,
            None => panic!("no subject {label:?} in {:?}", choices(sim)),
        }
    }

    #[test]
    fn images_and_containers_are_offered_and_keys_round_trip() {
        let sim = nginx_lab();
        let labels: Vec<String> = choices(&sim).into_iter().map(|c| c.label).collect();
        assert_eq!(labels, ["nginx:1.15.8", "container web (nginx:1.15.8)"]);
        for c in choices(&sim) {
            assert_eq!(Subject::from_key(&c.subject.key()), Some(c.subject));
        }
        assert_eq!(Subject::from_key("image:nonsense"), None);
        assert_eq!(Subject::from_key(""), None);
    }

    #[test]
    fn nginx_conf_is_marked_with_the_install_layer() {
        let sim = nginx_lab();
        let e = explored(&sim, "nginx:1.15.8");
        let x = &e.explorer;
        let id = x.find("etc/nginx/nginx.conf");
        let node = id.and_then(|id| x.node(id)).cloned();
        let Some(node) = node else { panic!("no nginx.conf") };
        let m = mark(node.presence, &e.names);
        assert_eq!(m.change, Change::Added);
        assert!(m.short.starts_with("+ L"), "{m:?}");
        assert!(m.instruction.starts_with("RUN "), "{m:?}");
        // The log files the second RUN turned into symlinks are hidden copies.
        let wasted: Vec<&str> = x.wasted().iter().map(|le| le.entry.path.as_str()).collect();
        assert!(wasted.contains(&"var/log/nginx/access.log"), "{wasted:?}");
        assert_eq!(x.wasted_bytes() + x.visible_bytes(), x.stored_bytes());
        assert!(percent(x).ends_with('%'));
    }

    #[test]
    fn a_container_adds_its_writable_layer_on_top() {
        let mut sim = nginx_lab();
        let out = sim.run_line("docker exec web rm /etc/nginx/nginx.conf");
        assert_eq!(out.exit_code, 0, "{}", out.stderr);
        let e = explored(&sim, "container web (nginx:1.15.8)");
        let x = &e.explorer;
        let p = x
            .find("etc/nginx/nginx.conf")
            .and_then(|id| x.node(id))
            .map(|n| n.presence);
        let top = e.names.len() - 1;
        assert!(
            matches!(p, Some(Presence::Removed { by, .. }) if by == top),
            "{p:?}"
        );
        assert_eq!(e.names.short(top), "RW");
        assert!(
            e.names.brief(1).chars().count() <= BRIEF_CHARS,
            "{}",
            e.names.brief(1)
        );
        let m = p.map(|p| mark(p, &e.names));
        assert!(m.is_some_and(|m| m.short == "- RW" && m.sentence.contains("writable layer")));
    }

    #[test]
    fn rows_follow_expansion_order_and_limit() {
        let sim = nginx_lab();
        let e = explored(&sim, "nginx:1.15.8");
        let x = &e.explorer;
        let closed = tree_rows(x, &BTreeSet::new(), Order::Name, true, PAGE);
        assert_eq!(closed.rows.len(), x.roots().len());
        assert!(closed.rows.iter().all(|r| r.depth == 0));
        let open: BTreeSet<String> = ["etc".to_owned(), "etc/nginx".to_owned()].into();
        let rows = tree_rows(x, &open, Order::Name, true, PAGE);
        let paths: Vec<&str> = rows
            .rows
            .iter()
            .filter_map(|r| x.node(r.id))
            .map(|n| &*n.path)
            .collect();
        let conf = paths.iter().position(|p| *p == "etc/nginx/nginx.conf");
        let etc = paths.iter().position(|p| *p == "etc");
        assert!(etc < conf && conf.is_some(), "{paths:?}");
        let few = tree_rows(x, &open, Order::Name, true, 3);
        assert_eq!(few.rows.len(), 3);
        assert!(few.more);
        let by_size = tree_rows(x, &BTreeSet::new(), Order::Size, true, PAGE);
        let totals: Vec<u64> = by_size
            .rows
            .iter()
            .filter_map(|r| x.node(r.id))
            .map(|n| n.total)
            .collect();
        assert!(totals.windows(2).all(|w| w[0] >= w[1]), "{totals:?}");
    }

    #[test]
    fn each_row_knows_its_place_among_the_siblings_shown() {
        let sim = nginx_lab();
        let e = explored(&sim, "nginx:1.15.8");
        let x = &e.explorer;
        let open: BTreeSet<String> = ["etc".to_owned()].into();
        for show_removed in [true, false] {
            let rows = tree_rows(x, &open, Order::Name, show_removed, PAGE).rows;
            let top: Vec<&Row> = rows.iter().filter(|r| r.depth == 0).collect();
            let in_etc: Vec<&Row> = rows.iter().filter(|r| r.depth == 1).collect();
            assert!(!in_etc.is_empty());
            for group in [top, in_etc] {
                let places: Vec<(usize, usize)> = group.iter().map(|r| (r.position, r.siblings)).collect();
                let want: Vec<(usize, usize)> = (1..=group.len()).map(|i| (i, group.len())).collect();
                assert_eq!(places, want, "show_removed {show_removed}");
            }
        }
    }

    #[test]
    fn tree_keys_move_expand_and_collapse() {
        let row = |id, depth, expandable, expanded| Row {
            id: NodeId(id),
            depth,
            expandable,
            expanded,
            position: 1,
            siblings: 1,
        };
        let rows = [
            row(0, 0, true, true),
            row(1, 1, false, false),
            row(2, 1, true, false),
            row(3, 0, false, false),
        ];
        assert_eq!(tree_key("ArrowDown", &rows, 0), Some(TreeMove::Focus(1)));
        assert_eq!(tree_key("ArrowDown", &rows, 3), Some(TreeMove::Focus(3)));
        assert_eq!(tree_key("ArrowUp", &rows, 0), Some(TreeMove::Focus(0)));
        assert_eq!(tree_key("End", &rows, 0), Some(TreeMove::Focus(3)));
        assert_eq!(
            tree_key("ArrowRight", &rows, 2),
            Some(TreeMove::Expand(NodeId(2)))
        );
        assert_eq!(tree_key("ArrowRight", &rows, 0), Some(TreeMove::Focus(1)));
        assert_eq!(
            tree_key("ArrowLeft", &rows, 0),
            Some(TreeMove::Collapse(NodeId(0)))
        );
        assert_eq!(tree_key("ArrowLeft", &rows, 2), Some(TreeMove::Focus(0)));
        assert_eq!(tree_key("Enter", &rows, 2), Some(TreeMove::Expand(NodeId(2))));
        assert_eq!(tree_key(" ", &rows, 0), Some(TreeMove::Collapse(NodeId(0))));
        assert_eq!(tree_key("Enter", &rows, 1), None);
        assert_eq!(tree_key("ArrowDown", &[], 0), None);
        assert_eq!(tree_key("ArrowDown", &rows, 99), Some(TreeMove::Focus(3)));
    }

    #[test]
    fn two_images_differ_by_their_own_layers() {
        let mut sim = nginx_lab();
        let out = sim.run_line("docker pull nginx:1.27");
        assert_eq!(out.exit_code, 0, "{}", out.stderr);
        let ids: Vec<Digest> = choices(&sim)
            .iter()
            .filter_map(|c| match c.subject {
                Subject::Image(id) => Some(id),
                Subject::Container(_) => None,
            })
            .collect();
        let (Some(a), Some(b)) = (ids.first(), ids.get(1)) else {
            panic!("two images expected")
        };
        let d = image_diff(&sim, a, b);
        assert!(d.as_ref().is_some_and(|d| !d.is_empty()));
        let rows = d.as_ref().map(|d| diff_rows(d, Order::Name)).unwrap_or_default();
        assert!(rows.windows(2).all(|w| w[0].path <= w[1].path));
        assert!(rows.iter().any(|r| r.mark == '-' && r.b.is_none()));
        assert!(rows.iter().any(|r| r.mark == '+' && r.a.is_none()));
        let same = image_diff(&sim, a, a);
        assert!(same.is_some_and(|d| d.is_empty()));
    }

    #[test]
    fn ancestors_are_listed_for_expanding() {
        assert_eq!(ancestors_of("etc/nginx/nginx.conf"), ["etc/nginx", "etc"]);
        assert!(ancestors_of("etc").is_empty());
    }
}
