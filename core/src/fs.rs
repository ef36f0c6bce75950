//! An in-memory file tree: what a stack of layers adds up to once applied in order.
//!
//! Public API:
//! - [`Tree::new`], [`Tree::from_layers`]`(iter of &Changeset)`;
//! - [`Tree::apply`]`(&mut self, &Changeset)`: applies one layer (opaque directories first, then
//!   whiteouts, then the layer's own entries, which a whiteout of the same layer never removes);
//! - [`Tree::diff`]`(lower, upper) -> Changeset`: the layer that turns `lower` into `upper`;
//! - lookups: [`Tree::get`], [`Tree::contains`], [`Tree::children`], [`Tree::iter`] (path order),
//!   [`Tree::len`], [`Tree::size`] (apparent size as Docker counts it), [`Tree::to_changeset`].
//!
//! A tree never holds whiteouts or opaque markers: those only exist in layers. Its entries are
//! [`Entry`] values of kind `Dir`, `File`, `Symlink` or `Hardlink`.
//!
//! Applying is defined for any changeset, including odd ones: a parent directory that a layer does
//! not list is created (mode 0755, root-owned), replacing a non-directory in the way, the way an
//! unpacker's `mkdir -p` would; an entry replacing a directory with a non-directory removes the
//! directory's contents.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::layer::path::{self, subtree_bounds};
use crate::layer::{Changeset, Entry, EntryKind};

/// A file tree keyed by normalised path; see the module docs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    nodes: BTreeMap<String, Entry>,
}

impl Tree {
    pub fn new() -> Self {
        Self::default()
    }

    /// The tree a stack of layers (bottom first) adds up to.
    pub fn from_layers<'a>(layers: impl IntoIterator<Item = &'a Changeset>) -> Self {
        let mut t = Tree::new();
        for l in layers {
            t.apply(l);
        }
        t
    }

    /// Applies one layer on top of this tree.
    pub fn apply(&mut self, layer: &Changeset) {
        // Opaque directories and whiteouts act on what lower layers left, so they run before any
        // entry of this layer is added: that is how an own-layer entry survives a whiteout or an
        // opaque marker listed after it in the tar (OCI image-spec, "Whiteouts").
        for e in &layer.entries {
            match e.kind {
                EntryKind::OpaqueDir => self.remove_below(&e.path),
                EntryKind::Whiteout => self.remove_subtree(&e.path),
                _ => {}
            }
        }
        for e in &layer.entries {
            let kind = match &e.kind {
                EntryKind::Whiteout => continue,
                EntryKind::OpaqueDir => EntryKind::Dir,
                k => k.clone(),
            };
            self.ensure_parents(&e.path);
            let node = Entry {
                path: e.path.clone(),
                kind,
                mode: e.mode,
                uid: e.uid,
                gid: e.gid,
                mtime: e.mtime,
            };
            if !node.is_dir() {
                self.remove_below(&e.path);
            }
            self.nodes.insert(e.path.clone(), node);
        }
    }

    fn ensure_parents(&mut self, p: &str) {
        let missing: Vec<&str> = path::ancestors(p)
            .take_while(|a| !self.nodes.get(*a).is_some_and(Entry::is_dir))
            .collect();
        for a in missing.into_iter().rev() {
            self.nodes.insert(a.to_owned(), Entry::dir(a));
        }
    }

    fn remove_below(&mut self, dir: &str) {
        let (lo, hi) = subtree_bounds(dir);
        let doomed: Vec<String> = self.nodes.range(lo..hi).map(|(k, _)| k.clone()).collect();
        for k in doomed {
            self.nodes.remove(&k);
        }
    }

    fn remove_subtree(&mut self, p: &str) {
        self.nodes.remove(p);
        self.remove_below(p);
    }

    /// The changeset that turns `lower` into `upper`: new and changed entries, a whiteout for each
    /// topmost removed path, and an opaque directory where a directory's contents were replaced
    /// wholesale (listing it and everything now under it) rather than one whiteout per child.
    pub fn diff(lower: &Tree, upper: &Tree) -> Changeset {
        let mut out: Vec<Entry> = Vec::new();
        // Directories turned opaque, in order; everything under them is listed in full.
        let mut opaque_dirs: Vec<&str> = Vec::new();
        let under_opaque = |opaque_dirs: &[&str], p: &str| {
            opaque_dirs.iter().rev().any(|d| path::is_within(p, d) && p != *d)
        };
        for (p, e) in &upper.nodes {
            if under_opaque(&opaque_dirs, p) {
                out.push(e.clone());
                continue;
            }
            match lower.nodes.get(p) {
                Some(old) if old.is_dir() && e.is_dir() && lower.dir_contents_replaced(upper, p) => {
                    opaque_dirs.push(p);
                    out.push(Entry {
                        kind: EntryKind::OpaqueDir,
                        ..e.clone()
                    });
                }
                Some(old) if old == e => {}
                _ => out.push(e.clone()),
            }
        }
        for p in lower.nodes.keys() {
            if upper.nodes.contains_key(p) || under_opaque(&opaque_dirs, p) {
                continue;
            }
            // Only the topmost removed path needs a whiteout, which covers its subtree; a path whose
            // parent became a non-directory is covered by that entry.
            let parent_still_dir =
                path::parent(p).is_none_or(|parent| upper.nodes.get(parent).is_some_and(Entry::is_dir));
            if parent_still_dir {
                out.push(Entry::whiteout(p.clone()));
            }
        }
        Changeset::new(out)
    }

    /// Whether the directory `dir`, present in both trees, had its contents replaced: it had
    /// children in `self` (the lower tree), none of them remains in `upper`, and `upper` has new
    /// ones. That is the trace `rm -rf dir && mkdir dir && ...` leaves, which overlayfs records as
    /// an opaque directory; a directory merely emptied gets one whiteout per child, as `rm` leaves.
    fn dir_contents_replaced(&self, upper: &Tree, dir: &str) -> bool {
        let mut any = false;
        for (p, _) in self.children_entries(dir) {
            any = true;
            if upper.nodes.contains_key(p) {
                return false;
            }
        }
        any && upper.children_entries(dir).next().is_some()
    }

    fn children_entries<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = (&'a String, &'a Entry)> + 'a {
        let bounds = if dir.is_empty() {
            (Bound::Unbounded, Bound::Unbounded)
        } else {
            let (lo, hi) = subtree_bounds(dir);
            (Bound::Included(lo), Bound::Excluded(hi))
        };
        let depth_start = if dir.is_empty() { 0 } else { dir.len() + 1 };
        self.nodes.range::<String, _>(bounds).filter(move |(k, _)| {
            k.get(depth_start..)
                .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
        })
    }

    /// The entry at `path` (normalised; the root is not an entry).
    pub fn get(&self, path: &str) -> Option<&Entry> {
        self.nodes.get(path)
    }

    pub fn contains(&self, path: &str) -> bool {
        self.nodes.contains_key(path)
    }

    /// The direct children of `dir` (`""` for the root), in name order.
    pub fn children<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = &'a Entry> + 'a {
        self.children_entries(dir).map(|(_, e)| e)
    }

    /// Every entry, in path order.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.nodes.values()
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The apparent size of everything in the tree, as Docker counts a directory tree.
    pub fn size(&self) -> u64 {
        self.nodes.values().map(Entry::apparent_size).sum()
    }

    /// The whole tree as one layer (a squashed image).
    pub fn to_changeset(&self) -> Changeset {
        Changeset {
            entries: self.nodes.values().cloned().collect(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::layer::Content;
    use proptest::prelude::*;

    fn file(p: &str, s: &str) -> Entry {
        Entry::file(p, Content::bytes(s.as_bytes().to_vec()))
    }

    fn paths(t: &Tree) -> Vec<&str> {
        t.iter().map(|e| e.path.as_str()).collect()
    }

    #[test]
    fn whiteouts_and_opaque_dirs_hide_lower_content_only() {
        let base = Changeset::new(vec![
            Entry::dir("etc"),
            file("etc/banner.txt", "hi"),
            file("etc/motd", "welcome"),
            Entry::dir("etc/demo.d"),
            file("etc/demo.d/old.conf", "x"),
        ]);
        let top = Changeset::new(vec![
            Entry::whiteout("etc/banner.txt"),
            file("etc/demo.d/app.conf", "y"),
            Entry::opaque("etc/demo.d"),
        ]);
        let t = Tree::from_layers([&base, &top]);
        assert_eq!(
            paths(&t),
            ["etc", "etc/demo.d", "etc/demo.d/app.conf", "etc/motd"]
        );
        assert_eq!(
            t.children("etc").map(|e| e.path.as_str()).collect::<Vec<_>>(),
            ["etc/demo.d", "etc/motd"]
        );
        assert_eq!(t.children("").count(), 1);
        assert_eq!(t.size(), 8);
    }

    #[test]
    fn implied_parents_are_created_and_files_replace_dirs() {
        let mut t = Tree::new();
        t.apply(&Changeset::new(vec![
            file("a/b/c", "1"),
            Entry::dir("d"),
            file("d/x", "2"),
        ]));
        assert_eq!(paths(&t), ["a", "a/b", "a/b/c", "d", "d/x"]);
        t.apply(&Changeset::new(vec![file("d", "now a file")]));
        assert_eq!(paths(&t), ["a", "a/b", "a/b/c", "d"]);
    }

    #[test]
    fn diff_of_a_recreated_directory_is_opaque() {
        let lower = Tree::from_layers([&Changeset::new(vec![Entry::dir("d"), file("d/old", "1")])]);
        let upper = Tree::from_layers([&Changeset::new(vec![Entry::dir("d"), file("d/new", "2")])]);
        let d = Tree::diff(&lower, &upper);
        assert_eq!(d, Changeset::new(vec![Entry::opaque("d"), file("d/new", "2")]));
        let removed = Tree::from_layers([&Changeset::new(vec![Entry::dir("d")])]);
        assert_eq!(
            Tree::diff(&lower, &removed),
            Changeset::new(vec![Entry::whiteout("d/old")])
        );
    }

    /// A well-formed layer over a small path universe: no entries below a non-directory of the
    /// same layer (a tar cannot put a file inside a file either).
    pub(crate) fn layer_strategy() -> impl Strategy<Value = Changeset> {
        let names = prop::sample::select(vec!["a", "b", "c"]);
        let path = prop::collection::vec(names, 1..4).prop_map(|v| v.join("/"));
        let kind = prop_oneof![
            3 => Just(EntryKind::Dir),
            4 => (0u64..4, any::<u8>()).prop_map(|(len, b)| EntryKind::File(Content::bytes(vec![b; len as usize]))),
            1 => prop::sample::select(vec!["a", "/b"]).prop_map(|t| EntryKind::Symlink { target: t.to_owned() }),
            2 => Just(EntryKind::Whiteout),
            1 => Just(EntryKind::OpaqueDir),
        ];
        let entry = (path, kind, prop::sample::select(vec![0o755u32, 0o644, 0o600])).prop_map(
            |(path, kind, mode)| Entry {
                path,
                kind,
                mode,
                uid: 0,
                gid: 0,
                mtime: 0,
            },
        );
        prop::collection::vec(entry, 0..8).prop_map(|v| {
            let cs = Changeset::new(v);
            let blockers: Vec<String> = cs
                .iter()
                .filter(|e| !e.is_dir())
                .map(|e| e.path.clone())
                .collect();
            Changeset::new(
                cs.entries
                    .into_iter()
                    .filter(|e| {
                        !blockers
                            .iter()
                            .any(|b| path::is_within(&e.path, b) && &e.path != b)
                    })
                    .collect(),
            )
        })
    }

    proptest! {
        /// diff is exact: applying it to the lower tree gives the upper tree, and diffing again
        /// gives the same changeset back (it is the normal form of what the layer did).
        #[test]
        fn apply_then_diff_round_trips(stack in prop::collection::vec(layer_strategy(), 1..5)) {
            let mut lower = Tree::new();
            for cs in &stack {
                let mut upper = lower.clone();
                upper.apply(cs);
                let normal = Tree::diff(&lower, &upper);
                let mut again = lower.clone();
                again.apply(&normal);
                prop_assert_eq!(&again, &upper);
                prop_assert_eq!(Tree::diff(&lower, &again), normal);
                lower = upper;
            }
        }

        /// A stack of normal-form changesets is recovered exactly by diffing consecutive trees.
        #[test]
        fn stack_of_normal_changesets_is_recovered(stack in prop::collection::vec(layer_strategy(), 1..5)) {
            let mut trees = vec![Tree::new()];
            let mut normals = Vec::new();
            for cs in &stack {
                let lower = trees.last().cloned().unwrap_or_default();
                let mut upper = lower.clone();
                upper.apply(cs);
                normals.push(Tree::diff(&lower, &upper));
                trees.push(upper);
            }
            let rebuilt = Tree::from_layers(&normals);
            prop_assert_eq!(trees.last(), Some(&rebuilt));
            for (i, n) in normals.iter().enumerate() {
                prop_assert_eq!(&Tree::diff(&trees[i], &trees[i + 1]), n);
            }
        }
    }
}
