//! A container's root filesystem as the engine edits it: the image's layers (read-only) under the
//! container's writable layer.
//!
//! Edits are made on the merged tree; the writable layer is then what turns the image's tree into
//! the merged one (`fs::Tree::diff`), so whiteouts and opaque directories come out exactly as
//! overlayfs would leave them. Each edit also says what it cost: a copy-up of a whole lower file
//! (on any write or chmod), a whiteout, an opaque directory, or a new file.

use crate::engine::Event;
use crate::fs::Tree;
use crate::layer::path;
use crate::layer::{Changeset, Content, Entry, EntryKind};

/// Why a file operation failed, in the words `sh` prints.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RootFsError {
    #[error("{path}: No such file or directory")]
    NotFound { path: String },
    #[error("{path}: Is a directory")]
    IsDirectory { path: String },
    #[error("{path}: Not a directory")]
    NotADirectory { path: String },
    #[error("{path}: File exists")]
    Exists { path: String },
}

/// The merged view of one container, being edited.
#[derive(Debug)]
pub struct RootFs {
    container: String,
    lower: Tree,
    merged: Tree,
    upper: Changeset,
    events: Vec<Event>,
    now: i64,
}

impl RootFs {
    /// `layers` bottom first; `upper` is the container's writable layer so far.
    pub fn new<'a>(
        container: &str,
        layers: impl IntoIterator<Item = &'a Changeset>,
        upper: &Changeset,
        now: i64,
    ) -> Self {
        let lower = Tree::from_layers(layers);
        let mut merged = lower.clone();
        merged.apply(upper);
        Self {
            container: container.to_string(),
            lower,
            merged,
            upper: upper.clone(),
            events: Vec::new(),
            now,
        }
    }

    /// The writable layer after the edits, and what each edit cost.
    pub fn finish(self) -> (Changeset, Vec<Event>) {
        (self.upper, self.events)
    }

    pub fn get(&self, p: &str) -> Option<&Entry> {
        self.merged.get(p)
    }

    pub fn children(&self, dir: &str) -> Vec<Entry> {
        self.merged.children(dir).cloned().collect()
    }

    /// Whether the upper layer already holds its own copy of `p`.
    fn in_upper(&self, p: &str) -> bool {
        self.upper
            .get(p)
            .is_some_and(|e| !matches!(e.kind, EntryKind::Whiteout))
    }

    fn commit(&mut self) {
        self.upper = Tree::diff(&self.lower, &self.merged);
    }

    fn check_parent(&self, p: &str) -> Result<(), RootFsError> {
        match path::parent(p) {
            None => Ok(()),
            Some(parent) => match self.merged.get(parent) {
                Some(e) if e.is_dir() => Ok(()),
                Some(_) => Err(RootFsError::NotADirectory {
                    path: format!("/{p}"),
                }),
                None => Err(RootFsError::NotFound {
                    path: format!("/{p}"),
                }),
            },
        }
    }

    /// Writes `content` to the file at `p`, replacing it or appending to it.
    pub fn write_file(&mut self, p: &str, content: Content, append: bool) -> Result<(), RootFsError> {
        self.check_parent(p)?;
        let old = self.merged.get(p).cloned();
        if old.as_ref().is_some_and(Entry::is_dir) {
            return Err(RootFsError::IsDirectory {
                path: format!("/{p}"),
            });
        }
        let new_content = match (&old, append) {
            (
                Some(Entry {
                    kind: EntryKind::File(c),
                    ..
                }),
                true,
            ) => concat(c, &content),
            _ => content,
        };
        let lower_copy = self.lower.contains(p) && !self.in_upper(p);
        let mut entry = Entry::file(p, new_content.clone()).with_mtime(self.now);
        if let Some(o) = &old {
            entry = entry.with_mode(o.mode).with_owner(o.uid, o.gid);
        }
        self.merged.apply(&Changeset::new(vec![entry]));
        self.commit();
        if lower_copy {
            let bytes = old.as_ref().map_or(0, Entry::apparent_size);
            self.events.push(Event::CopyUp {
                container: self.container.clone(),
                path: format!("/{p}"),
                bytes,
            });
        }
        self.events.push(Event::FileWritten {
            container: self.container.clone(),
            path: format!("/{p}"),
            bytes: new_content.len(),
        });
        Ok(())
    }

    /// `mkdir`, optionally with missing parents (`-p`, which also accepts an existing directory).
    pub fn mkdir(&mut self, p: &str, parents: bool) -> Result<(), RootFsError> {
        if let Some(e) = self.merged.get(p) {
            return if parents && e.is_dir() {
                Ok(())
            } else {
                Err(RootFsError::Exists {
                    path: format!("/{p}"),
                })
            };
        }
        if !parents {
            self.check_parent(p)?;
        } else if let Some(a) = path::ancestors(p).find(|a| self.merged.get(a).is_some_and(|e| !e.is_dir())) {
            return Err(RootFsError::NotADirectory {
                path: format!("/{a}"),
            });
        }
        let was_whited_out = self.lower.get(p).is_some_and(Entry::is_dir);
        self.merged
            .apply(&Changeset::new(vec![Entry::dir(p).with_mtime(self.now)]));
        self.commit();
        if was_whited_out {
            self.events.push(Event::OpaqueDir {
                container: self.container.clone(),
                path: format!("/{p}"),
            });
        }
        Ok(())
    }

    /// `rm` (`recursive` for directories); `force` ignores a missing path.
    pub fn remove(&mut self, p: &str, recursive: bool, force: bool) -> Result<(), RootFsError> {
        let Some(e) = self.merged.get(p) else {
            return if force {
                Ok(())
            } else {
                Err(RootFsError::NotFound {
                    path: format!("/{p}"),
                })
            };
        };
        if e.is_dir() && !recursive {
            return Err(RootFsError::IsDirectory {
                path: format!("/{p}"),
            });
        }
        self.merged.apply(&Changeset::new(vec![Entry::whiteout(p)]));
        self.commit();
        if self.lower.contains(p) {
            self.events.push(Event::Whiteout {
                container: self.container.clone(),
                path: format!("/{p}"),
            });
        }
        Ok(())
    }

    /// `chmod`: on a lower file this copies the whole file up, as overlayfs does.
    pub fn chmod(&mut self, p: &str, mode: u32) -> Result<(), RootFsError> {
        let Some(old) = self.merged.get(p).cloned() else {
            return Err(RootFsError::NotFound {
                path: format!("/{p}"),
            });
        };
        let lower_copy = self.lower.contains(p) && !self.in_upper(p);
        let entry = Entry { mode, ..old.clone() };
        self.merged.apply(&Changeset::new(vec![entry]));
        self.commit();
        if lower_copy && !old.is_dir() {
            self.events.push(Event::CopyUp {
                container: self.container.clone(),
                path: format!("/{p}"),
                bytes: old.apparent_size(),
            });
        }
        Ok(())
    }

    /// `mv`: renaming a directory that comes from a lower layer fails with EXDEV under overlay2
    /// (without redirect_dir), which `mv` then works around by copying; a file is copied up.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), RootFsError> {
        let Some(src) = self.merged.get(from).cloned() else {
            return Err(RootFsError::NotFound {
                path: format!("/{from}"),
            });
        };
        self.check_parent(to)?;
        let moved: Vec<Entry> = self
            .merged
            .iter()
            .filter(|e| e.path == from || path::is_within(&e.path, from))
            .map(|e| {
                let rest = e.path.get(from.len()..).unwrap_or("");
                Entry {
                    path: format!("{to}{rest}"),
                    ..e.clone()
                }
            })
            .collect();
        if src.is_dir() && self.lower.contains(from) {
            self.events.push(Event::RenameCopied {
                container: self.container.clone(),
                path: format!("/{from}"),
            });
        }
        let mut change = vec![Entry::whiteout(from)];
        change.extend(moved);
        self.merged.apply(&Changeset::new(vec![Entry::whiteout(from)]));
        self.merged
            .apply(&Changeset::new(change.into_iter().skip(1).collect()));
        self.commit();
        if self.lower.contains(from) {
            self.events.push(Event::Whiteout {
                container: self.container.clone(),
                path: format!("/{from}"),
            });
        }
        Ok(())
    }
}

/// The bytes of `a` followed by `b`. Synthetic content keeps its length only: nobody reads it.
fn concat(a: &Content, b: &Content) -> Content {
    match (a, b) {
        (Content::Bytes(x), Content::Bytes(y)) => {
            let mut v = x.to_vec();
            v.extend_from_slice(y);
            Content::Bytes(v.into())
        }
        (Content::Zeros { len: x }, Content::Zeros { len: y }) => Content::Zeros { len: x + y },
        _ => Content::Synthetic {
            len: a.len() + b.len(),
            seed: a.len() ^ b.len().rotate_left(17),
        },
    }
}

/// `docker diff`: `A`dded, `C`hanged and `D`eleted paths of a writable layer against the image
/// below it, with every parent of a changed path listed as `C`, in path order.
pub fn changes(lower: &Tree, upper: &Changeset) -> Vec<(char, String)> {
    let mut out: std::collections::BTreeMap<String, char> = std::collections::BTreeMap::new();
    for e in upper.iter() {
        for a in path::ancestors(&e.path) {
            out.entry(a.to_string()).or_insert('C');
        }
        match e.kind {
            EntryKind::Whiteout => {
                out.insert(e.path.clone(), 'D');
            }
            EntryKind::OpaqueDir => {
                out.insert(e.path.clone(), 'C');
                for gone in lower
                    .iter()
                    .filter(|l| path::is_within(&l.path, &e.path) && l.path != e.path)
                {
                    if upper.get(&gone.path).is_none() {
                        out.insert(gone.path.clone(), 'D');
                    }
                }
            }
            _ => {
                let kind = if lower.contains(&e.path) { 'C' } else { 'A' };
                out.insert(e.path.clone(), kind);
            }
        }
    }
    out.into_iter().map(|(p, k)| (k, format!("/{p}"))).collect()
}
