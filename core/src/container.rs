//! A container's writable layer on top of its image's merged view, and the file operations a
//! process performs on it, each reporting what overlayfs did and what it cost.
//!
//! Public API:
//! - [`Container::new`]`(Arc<MergedView>)`, [`Container::with_upper`] (resume from a saved
//!   writable layer), [`Container::set_time`] (mtime given to new entries; core has no clock);
//! - reads: [`Container::stat`], [`Container::lstat`], [`Container::read_file`],
//!   [`Container::list_dir`], [`Container::exists`];
//! - writes, each `-> Result<Outcome, FsError>`: [`Container::write_file`] (create or truncate),
//!   [`Container::write_at`] / [`Container::append`] (modify in place: copy-up first),
//!   [`Container::chmod`], [`Container::chown`], [`Container::symlink`],
//!   [`Container::remove_file`], [`Container::remove_dir`], [`Container::remove_all`],
//!   [`Container::mkdir`], [`Container::mkdir_all`], [`Container::rename`];
//! - results: [`Container::size`] (Docker's SizeRw), [`Container::changes`] (`docker diff`),
//!   [`Container::to_changeset`] (for commit), [`Container::upper`];
//! - [`Event`], [`Outcome`], [`FsError`] (errno-like, with the path), [`Stat`], [`DirEntry`],
//!   [`Change`].
//!
//! The rules are overlayfs's (Docker's overlay2 driver): a lookup goes from the writable layer down
//! through the image's layers; the first write, chmod or chown of a lower file copies the whole file
//! up (an `O_TRUNC` open copies none of its data: fs/overlayfs/copy_up.c sets the size to 0 first);
//! deleting a lower entry leaves a whiteout; making a directory where a lower one was deleted makes
//! it opaque; renaming a directory that exists in a lower layer fails with EXDEV (overlayfs without
//! `redirect_dir`, Docker's default), while files are copied up and moved. Symlinks in the middle
//! of a path are followed inside the container's root, never out of it.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::layer::path::{self, PathError, subtree_bounds};
use crate::layer::{Changeset, Content, DIR_MODE, Entry, EntryKind, FILE_MODE};
use crate::union::{Found, MergedView};

/// Why an operation failed: the errno a Linux process would get, with the path it concerned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FsError {
    #[error("{path}: No such file or directory")]
    NotFound { path: String },
    #[error("{path}: File exists")]
    AlreadyExists { path: String },
    #[error("{path}: Not a directory")]
    NotADirectory { path: String },
    #[error("{path}: Is a directory")]
    IsADirectory { path: String },
    #[error("{path}: Directory not empty")]
    NotEmpty { path: String },
    #[error("{path}: Invalid cross-device link (overlayfs cannot rename a directory from a lower layer)")]
    CrossDevice { path: String },
    #[error("{path}: Too many levels of symbolic links")]
    Loop { path: String },
    #[error("{path}: Invalid argument (cannot move a directory into itself)")]
    InvalidArgument { path: String },
    #[error("{path}: {source}")]
    BadPath { path: String, source: PathError },
}

impl FsError {
    /// The errno's symbolic name (`ENOENT`, ...).
    pub fn errno_name(&self) -> &'static str {
        match self {
            FsError::NotFound { .. } => "ENOENT",
            FsError::AlreadyExists { .. } => "EEXIST",
            FsError::NotADirectory { .. } => "ENOTDIR",
            FsError::IsADirectory { .. } => "EISDIR",
            FsError::NotEmpty { .. } => "ENOTEMPTY",
            FsError::CrossDevice { .. } => "EXDEV",
            FsError::Loop { .. } => "ELOOP",
            FsError::InvalidArgument { .. } | FsError::BadPath { .. } => "EINVAL",
        }
    }

    /// The path the error is about, as the process named it (absolute).
    pub fn path(&self) -> &str {
        match self {
            FsError::NotFound { path }
            | FsError::AlreadyExists { path }
            | FsError::NotADirectory { path }
            | FsError::IsADirectory { path }
            | FsError::NotEmpty { path }
            | FsError::CrossDevice { path }
            | FsError::Loop { path }
            | FsError::InvalidArgument { path }
            | FsError::BadPath { path, .. } => path,
        }
    }
}

fn abs(p: &str) -> String {
    format!("/{p}")
}

/// One thing an operation did to the writable layer. Paths are absolute (`/etc/motd`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A file was created in the writable layer with `bytes` bytes.
    NewFile {
        path: String,
        bytes: u64,
    },
    /// `len` bytes were written at `offset` of a file already in the writable layer, which is now
    /// `file_len` bytes long.
    Write {
        path: String,
        offset: u64,
        len: u64,
        file_len: u64,
    },
    /// A lower file was copied into the writable layer (`bytes` of data copied; 0 when the open
    /// truncated it).
    CopyUp {
        path: String,
        from_layer: usize,
        bytes: u64,
    },
    /// A lower directory was made in the writable layer so something inside it could change
    /// (metadata only).
    CopyUpDir {
        path: String,
        from_layer: usize,
    },
    /// A new directory.
    MkDir {
        path: String,
    },
    /// A new symbolic link.
    Symlink {
        path: String,
        target: String,
    },
    /// A whiteout now hides the lower entry at `path`.
    Whiteout {
        path: String,
    },
    /// A directory was made where a lower one had been deleted: it is opaque, hiding the lower one.
    OpaqueDir {
        path: String,
    },
    /// Entries that existed only in the writable layer were deleted, freeing `bytes`.
    Removed {
        path: String,
        bytes: u64,
    },
    Chmod {
        path: String,
        mode: u32,
    },
    Chown {
        path: String,
        uid: u32,
        gid: u32,
    },
    Rename {
        from: String,
        to: String,
    },
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::NewFile { path, bytes } => write!(f, "new file {path} ({bytes} bytes)"),
            Event::Write {
                path,
                offset,
                len,
                file_len,
            } => {
                write!(
                    f,
                    "write {len} bytes at offset {offset} of {path} (now {file_len} bytes)"
                )
            }
            Event::CopyUp {
                path,
                from_layer,
                bytes,
            } => {
                write!(
                    f,
                    "copy-up {path} from layer {}: {bytes} bytes copied",
                    from_layer + 1
                )
            }
            Event::CopyUpDir { path, from_layer } => {
                write!(f, "copy-up directory {path} from layer {}", from_layer + 1)
            }
            Event::MkDir { path } => write!(f, "mkdir {path}"),
            Event::Symlink { path, target } => write!(f, "symlink {path} -> {target}"),
            Event::Whiteout { path } => write!(f, "whiteout {path}"),
            Event::OpaqueDir { path } => write!(f, "opaque directory {path}"),
            Event::Removed { path, bytes } => {
                write!(f, "removed {path} from the writable layer ({bytes} bytes freed)")
            }
            Event::Chmod { path, mode } => write!(f, "chmod {mode:o} {path}"),
            Event::Chown { path, uid, gid } => write!(f, "chown {uid}:{gid} {path}"),
            Event::Rename { from, to } => write!(f, "rename {from} -> {to}"),
        }
    }
}

/// What one operation did, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub events: Vec<Event>,
}

impl Outcome {
    /// Bytes copied up from lower layers (overlay2's copy-on-write cost).
    pub fn copied_up(&self) -> u64 {
        self.events
            .iter()
            .map(|e| {
                if let Event::CopyUp { bytes, .. } = e {
                    *bytes
                } else {
                    0
                }
            })
            .sum()
    }

    /// Bytes the process itself wrote.
    pub fn written(&self) -> u64 {
        self.events
            .iter()
            .map(|e| match e {
                Event::NewFile { bytes, .. } => *bytes,
                Event::Write { len, .. } => *len,
                _ => 0,
            })
            .sum()
    }
}

/// Where a visible entry lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The container's writable layer.
    Upper,
    /// An image layer (index in the stack, 0 = bottom).
    Layer(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Dir,
    File,
    Symlink,
}

/// What `stat` tells about an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    /// Absolute path after following symlinks (for `stat`) or as named (for `lstat`).
    pub path: String,
    pub file_type: FileType,
    /// A file's length, a symlink's target length, 0 for a directory.
    pub size: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: i64,
    pub source: Source,
    pub symlink_target: Option<String>,
}

/// One name in a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub file_type: FileType,
    pub size: u64,
    pub source: Source,
}

/// One line of `docker diff`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// Absolute path.
    pub path: String,
    pub kind: ChangeKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    Added,
    Changed,
    Deleted,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = match self.kind {
            ChangeKind::Added => 'A',
            ChangeKind::Changed => 'C',
            ChangeKind::Deleted => 'D',
        };
        write!(f, "{c} {}", self.path)
    }
}

/// Files up to this size keep their real bytes when modified, so `cat` shows what was written;
/// larger ones (the simulator's synthetic payloads) keep only their length and a derived seed.
pub const INLINE_LIMIT: u64 = 1 << 20;

/// Symlinks followed in one path resolution before ELOOP, as Linux's MAXSYMLINKS.
const MAX_SYMLINKS: usize = 40;

/// A visible entry: in the writable layer or in the image.
#[derive(Debug, Clone, Copy)]
enum Node<'a> {
    Upper(&'a Entry),
    Lower(Found<'a>),
}

impl<'a> Node<'a> {
    fn kind(&self) -> &'a EntryKind {
        match self {
            Node::Upper(Entry {
                kind: EntryKind::OpaqueDir,
                ..
            }) => &EntryKind::Dir,
            Node::Upper(e) => &e.kind,
            Node::Lower(f) => f.kind(),
        }
    }
    fn is_dir(&self) -> bool {
        matches!(self.kind(), EntryKind::Dir)
    }
    fn source(&self) -> Source {
        match self {
            Node::Upper(_) => Source::Upper,
            Node::Lower(f) => Source::Layer(f.layer),
        }
    }
    fn to_entry(self) -> Entry {
        match self {
            Node::Upper(e) => e.clone(),
            Node::Lower(f) => f.to_entry(),
        }
    }
}

fn file_type(kind: &EntryKind) -> FileType {
    match kind {
        EntryKind::Dir | EntryKind::OpaqueDir => FileType::Dir,
        EntryKind::Symlink { .. } => FileType::Symlink,
        _ => FileType::File,
    }
}

/// A container's writable layer over its image; see the module docs.
#[derive(Debug, Clone)]
pub struct Container {
    image: Arc<MergedView>,
    upper: BTreeMap<String, Entry>,
    now: i64,
}

impl Container {
    /// A fresh container: an empty writable layer over `image`.
    pub fn new(image: Arc<MergedView>) -> Self {
        Container {
            image,
            upper: BTreeMap::new(),
            now: 0,
        }
    }

    /// A container whose writable layer already holds `upper` (as [`Container::to_changeset`]
    /// returned it).
    pub fn with_upper(image: Arc<MergedView>, upper: &Changeset) -> Self {
        // `extend`, not `collect`: see crate::sort on BTree collects.
        let mut entries = BTreeMap::new();
        entries.extend(upper.entries.iter().map(|e| (e.path.clone(), e.clone())));
        Container {
            image,
            upper: entries,
            now: 0,
        }
    }

    /// Sets the modification time given to entries made from now on (seconds since the epoch).
    pub fn set_time(&mut self, now: i64) {
        self.now = now;
    }

    pub fn image(&self) -> &Arc<MergedView> {
        &self.image
    }

    /// The writable layer's entries, in path order.
    pub fn upper(&self) -> impl Iterator<Item = &Entry> {
        self.upper.values()
    }

    // ---- lookups -------------------------------------------------------------------------

    /// Whether an upper entry at an ancestor of `p` cuts `p` off from the image.
    fn lower_hidden(&self, p: &str) -> bool {
        path::ancestors(p).any(|a| match self.upper.get(a) {
            Some(e) => !matches!(e.kind, EntryKind::Dir),
            None => false,
        })
    }

    /// The image's entry at `p`, if the writable layer does not cut it off (whatever the
    /// writable layer has at `p` itself).
    fn lower(&self, p: &str) -> Option<Found<'_>> {
        if self.lower_hidden(p) {
            None
        } else {
            self.image.lookup(p)
        }
    }

    /// The entry visible at the normalised path `p`.
    fn node(&self, p: &str) -> Option<Node<'_>> {
        match self.upper.get(p) {
            Some(Entry {
                kind: EntryKind::Whiteout,
                ..
            }) => None,
            Some(e) => Some(Node::Upper(e)),
            None => self.lower(p).map(Node::Lower),
        }
    }

    /// Resolves `input` to a normalised path inside the root, following symlinks in every
    /// component but the last (and the last too when `follow_last`). `..` stops at the root.
    fn resolve(&self, input: &str, follow_last: bool) -> Result<String, FsError> {
        let bad = |source| FsError::BadPath {
            path: input.to_owned(),
            source,
        };
        if input.len() > path::MAX_PATH_LEN {
            return Err(bad(PathError::TooLong {
                path: input.to_owned(),
                len: input.len(),
                max: path::MAX_PATH_LEN,
            }));
        }
        if input.contains('\0') {
            return Err(bad(PathError::NulByte {
                path: input.to_owned(),
            }));
        }
        let mut todo: Vec<String> = input.split('/').rev().map(str::to_owned).collect();
        let mut cur = String::new();
        let mut hops = 0;
        while let Some(c) = todo.pop() {
            match c.as_str() {
                "" | "." => continue,
                ".." => {
                    cur = path::parent(&cur).unwrap_or("").to_owned();
                    continue;
                }
                _ => {}
            }
            let next = path::join(&cur, &c);
            let is_last = todo.iter().all(|t| t.is_empty() || t == ".");
            let link = if !is_last || follow_last {
                self.node(&next)
            } else {
                None
            };
            if let Some(EntryKind::Symlink { target }) = link.map(|n| n.kind()) {
                hops += 1;
                if hops > MAX_SYMLINKS {
                    return Err(FsError::Loop {
                        path: input.to_owned(),
                    });
                }
                if target.starts_with('/') {
                    cur.clear();
                }
                todo.extend(target.split('/').rev().map(str::to_owned));
                continue;
            }
            cur = next;
        }
        Ok(cur)
    }

    /// Resolves `input` for an operation that needs a name (not the root) in an existing
    /// directory: returns the path, checking that the parent exists and is a directory.
    fn resolve_in_dir(&self, input: &str, follow_last: bool) -> Result<String, FsError> {
        let p = self.resolve(input, follow_last)?;
        if p.is_empty() {
            return Err(FsError::BadPath {
                path: input.to_owned(),
                source: PathError::Empty {
                    path: input.to_owned(),
                },
            });
        }
        if let Some(parent) = path::parent(&p) {
            match self.node(parent) {
                None => return Err(FsError::NotFound { path: abs(&p) }),
                Some(n) if !n.is_dir() => return Err(FsError::NotADirectory { path: abs(parent) }),
                Some(_) => {}
            }
        }
        Ok(p)
    }

    /// The content of a file node (a hardlink reads its target's content).
    fn content_of(&self, node: &Node<'_>) -> Content {
        match node.kind() {
            EntryKind::File(c) => c.clone(),
            EntryKind::Hardlink { target } => match self.node(target).map(|n| n.kind()) {
                Some(EntryKind::File(c)) => c.clone(),
                _ => Content::Zeros { len: 0 },
            },
            _ => Content::Zeros { len: 0 },
        }
    }

    fn stat_node(&self, p: &str, node: Node<'_>) -> Stat {
        let kind = node.kind();
        let e = node.to_entry();
        let (size, target) = match kind {
            EntryKind::Symlink { target } => (target.len() as u64, Some(target.clone())),
            EntryKind::File(_) | EntryKind::Hardlink { .. } => (self.content_of(&node).len(), None),
            _ => (0, None),
        };
        Stat {
            path: abs(p),
            file_type: file_type(kind),
            size,
            mode: e.mode,
            uid: e.uid,
            gid: e.gid,
            mtime: e.mtime,
            source: node.source(),
            symlink_target: target,
        }
    }

    /// `stat(2)`: follows symlinks. The root is a directory owned by root.
    pub fn stat(&self, path: &str) -> Result<Stat, FsError> {
        let p = self.resolve(path, true)?;
        self.stat_resolved(path, &p)
    }

    /// `lstat(2)`: does not follow a symlink in the last component.
    pub fn lstat(&self, path: &str) -> Result<Stat, FsError> {
        let p = self.resolve(path, false)?;
        self.stat_resolved(path, &p)
    }

    fn stat_resolved(&self, input: &str, p: &str) -> Result<Stat, FsError> {
        if p.is_empty() {
            let e = Entry::dir("");
            return Ok(Stat {
                path: "/".into(),
                file_type: FileType::Dir,
                size: 0,
                mode: e.mode,
                uid: 0,
                gid: 0,
                mtime: 0,
                source: Source::Upper,
                symlink_target: None,
            });
        }
        let node = self.node(p).ok_or_else(|| FsError::NotFound {
            path: abs_input(input),
        })?;
        Ok(self.stat_node(p, node))
    }

    /// Whether something exists at `path` (following symlinks, like `test -e`).
    pub fn exists(&self, path: &str) -> bool {
        self.stat(path).is_ok()
    }

    /// A file's content (following symlinks).
    pub fn read_file(&self, path: &str) -> Result<Content, FsError> {
        let p = self.resolve(path, true)?;
        let node = self.node(&p).ok_or_else(|| FsError::NotFound {
            path: abs_input(path),
        })?;
        if node.is_dir() || p.is_empty() {
            return Err(FsError::IsADirectory {
                path: abs_input(path),
            });
        }
        Ok(self.content_of(&node))
    }

    /// The names in a directory (following symlinks), sorted by name, with where each comes from.
    pub fn list_dir(&self, path: &str) -> Result<Vec<DirEntry>, FsError> {
        let p = self.resolve(path, true)?;
        if !p.is_empty() {
            let node = self.node(&p).ok_or_else(|| FsError::NotFound {
                path: abs_input(path),
            })?;
            if !node.is_dir() {
                return Err(FsError::NotADirectory {
                    path: abs_input(path),
                });
            }
        }
        let mut out: BTreeMap<String, DirEntry> = BTreeMap::new();
        let upper_opaque =
            self.upper.get(&p).is_some_and(|e| e.kind == EntryKind::OpaqueDir) || self.lower_hidden(&p);
        if !upper_opaque {
            for f in self.image.children(&p) {
                let name = path::file_name(f.path).to_owned();
                let node = Node::Lower(f);
                let st = self.stat_node(f.path, node);
                out.insert(
                    name.clone(),
                    DirEntry {
                        name,
                        file_type: st.file_type,
                        size: st.size,
                        source: st.source,
                    },
                );
            }
        }
        for (k, e) in self.upper_children(&p) {
            let name = path::file_name(k).to_owned();
            if e.kind == EntryKind::Whiteout {
                out.remove(&name);
                continue;
            }
            let st = self.stat_node(k, Node::Upper(e));
            out.insert(
                name.clone(),
                DirEntry {
                    name,
                    file_type: st.file_type,
                    size: st.size,
                    source: Source::Upper,
                },
            );
        }
        Ok(out.into_values().collect())
    }

    fn upper_children<'a>(&'a self, dir: &str) -> impl Iterator<Item = (&'a String, &'a Entry)> + 'a {
        let skip = if dir.is_empty() { 0 } else { dir.len() + 1 };
        self.upper_below(dir)
            .filter(move |(k, _)| k.get(skip..).is_some_and(|r| !r.contains('/')))
    }

    fn upper_below<'a>(&'a self, dir: &str) -> Box<dyn Iterator<Item = (&'a String, &'a Entry)> + 'a> {
        if dir.is_empty() {
            Box::new(self.upper.iter())
        } else {
            let (lo, hi) = subtree_bounds(dir);
            Box::new(self.upper.range(lo..hi))
        }
    }

    /// Whether the merged directory `p` has any visible entry.
    fn dir_is_empty(&self, p: &str) -> bool {
        if self.upper_children(p).any(|(_, e)| e.kind != EntryKind::Whiteout) {
            return false;
        }
        let opaque =
            self.upper.get(p).is_some_and(|e| e.kind == EntryKind::OpaqueDir) || self.lower_hidden(p);
        opaque
            || self.image.children(p).all(|f| {
                self.upper
                    .get(f.path)
                    .is_some_and(|e| e.kind == EntryKind::Whiteout)
            })
    }

    // ---- writes --------------------------------------------------------------------------

    /// Makes every ancestor of `p` exist in the writable layer, copying lower directories up.
    fn copy_up_parents(&mut self, p: &str, out: &mut Outcome) {
        let mut missing: Vec<(String, Entry, usize)> = Vec::new();
        for a in path::ancestors(p) {
            if self.upper.contains_key(a) {
                break;
            }
            if let Some(f) = self.lower(a) {
                missing.push((a.to_owned(), f.to_entry(), f.layer));
            }
        }
        for (a, e, layer) in missing.into_iter().rev() {
            out.events.push(Event::CopyUpDir {
                path: abs(&a),
                from_layer: layer,
            });
            self.upper.insert(a, e);
        }
    }

    /// Copies the lower entry at `p` into the writable layer. `keep_data` is false for an open
    /// with `O_TRUNC`, which overlayfs copies up without its data.
    fn copy_up(&mut self, p: &str, keep_data: bool, out: &mut Outcome) {
        if self.upper.contains_key(p) {
            return;
        }
        let Some(f) = self.lower(p) else { return };
        let node = Node::Lower(f);
        let layer = f.layer;
        let mut e = f.to_entry();
        if matches!(e.kind, EntryKind::Hardlink { .. }) {
            // overlayfs copies up the one name that was opened: it becomes its own file.
            e.kind = EntryKind::File(self.content_of(&node));
        }
        self.copy_up_parents(p, out);
        if e.is_dir() {
            out.events.push(Event::CopyUpDir {
                path: abs(p),
                from_layer: layer,
            });
        } else {
            let mut bytes = e.apparent_size();
            if !keep_data {
                e.kind = EntryKind::File(Content::bytes(Vec::new()));
                bytes = 0;
            }
            out.events.push(Event::CopyUp {
                path: abs(p),
                from_layer: layer,
                bytes,
            });
        }
        self.upper.insert(p.to_owned(), e);
    }

    /// Puts a new entry at `p` (which has no visible entry now): over a whiteout a directory
    /// becomes opaque, as overlayfs marks a directory made over a whiteout.
    fn create(&mut self, p: &str, mut e: Entry, out: &mut Outcome) {
        self.copy_up_parents(p, out);
        let over_whiteout = self.upper.get(p).is_some_and(|x| x.kind == EntryKind::Whiteout);
        if e.kind == EntryKind::Dir && over_whiteout {
            e.kind = EntryKind::OpaqueDir;
            out.events.push(Event::OpaqueDir { path: abs(p) });
        } else {
            out.events.push(match &e.kind {
                EntryKind::Dir | EntryKind::OpaqueDir => Event::MkDir { path: abs(p) },
                EntryKind::Symlink { target } => Event::Symlink {
                    path: abs(p),
                    target: target.clone(),
                },
                _ => Event::NewFile {
                    path: abs(p),
                    bytes: e.apparent_size(),
                },
            });
        }
        self.upper.insert(p.to_owned(), e);
    }

    fn new_entry(&self, p: &str, kind: EntryKind, mode: u32) -> Entry {
        Entry {
            path: p.to_owned(),
            kind,
            mode,
            uid: 0,
            gid: 0,
            mtime: self.now,
        }
    }

    /// Creates `path` or truncates it and writes `content` (`echo hi > f`, `cp`, `dd` without
    /// `conv=notrunc`). A lower file is copied up without its data: the open truncates it.
    pub fn write_file(&mut self, path: &str, content: Content) -> Result<Outcome, FsError> {
        let p = self.resolve_in_dir(path, true)?;
        let mut out = Outcome::default();
        match self.node(&p) {
            Some(n) if n.is_dir() => return Err(FsError::IsADirectory { path: abs(&p) }),
            Some(n) => {
                if let Node::Lower(_) = n {
                    self.copy_up(&p, false, &mut out);
                }
                let len = content.len();
                if let Some(e) = self.upper.get_mut(&p) {
                    e.kind = EntryKind::File(content);
                    e.mtime = self.now;
                }
                out.events.push(Event::Write {
                    path: abs(&p),
                    offset: 0,
                    len,
                    file_len: len,
                });
            }
            None => {
                let e = self.new_entry(&p, EntryKind::File(content), FILE_MODE);
                self.create(&p, e, &mut out);
            }
        }
        Ok(out)
    }

    /// Writes `data` at `offset` without truncating (`dd conv=notrunc seek=`, an editor saving in
    /// place); past the end the file grows, with zeros in any gap. A lower file is copied up
    /// whole first. A missing file is created.
    pub fn write_at(&mut self, path: &str, offset: u64, data: &Content) -> Result<Outcome, FsError> {
        let p = self.resolve_in_dir(path, true)?;
        let mut out = Outcome::default();
        let old = match self.node(&p) {
            Some(n) if n.is_dir() => return Err(FsError::IsADirectory { path: abs(&p) }),
            Some(n) => {
                let old = self.content_of(&n);
                if let Node::Lower(_) = n {
                    self.copy_up(&p, true, &mut out);
                }
                Some(old)
            }
            None => None,
        };
        let base = old.clone().unwrap_or(Content::Zeros { len: 0 });
        let new = splice(&base, offset, data);
        let file_len = new.len();
        match old {
            Some(_) => {
                if let Some(e) = self.upper.get_mut(&p) {
                    e.kind = EntryKind::File(new);
                    e.mtime = self.now;
                }
                out.events.push(Event::Write {
                    path: abs(&p),
                    offset,
                    len: data.len(),
                    file_len,
                });
            }
            None => {
                let e = self.new_entry(&p, EntryKind::File(new), FILE_MODE);
                self.create(&p, e, &mut out);
            }
        }
        Ok(out)
    }

    /// Appends `data` (`echo hi >> f`): a lower file is copied up whole first.
    pub fn append(&mut self, path: &str, data: &[u8]) -> Result<Outcome, FsError> {
        let offset = match self.stat(path) {
            Ok(st) if st.file_type == FileType::Dir => return Err(FsError::IsADirectory { path: st.path }),
            Ok(st) => st.size,
            Err(FsError::NotFound { .. }) => 0,
            Err(e) => return Err(e),
        };
        self.write_at(path, offset, &Content::bytes(data.to_vec()))
    }

    /// Changes metadata of the entry at `path` (following symlinks), copying it up first.
    fn change_meta(
        &mut self,
        path: &str,
        f: impl FnOnce(&mut Entry),
        ev: impl FnOnce(String) -> Event,
    ) -> Result<Outcome, FsError> {
        let p = self.resolve(path, true)?;
        if p.is_empty() {
            return Err(FsError::InvalidArgument { path: "/".into() });
        }
        let mut out = Outcome::default();
        match self.node(&p) {
            None => {
                return Err(FsError::NotFound {
                    path: abs_input(path),
                });
            }
            Some(Node::Lower(_)) => self.copy_up(&p, true, &mut out),
            Some(Node::Upper(_)) => {}
        }
        if let Some(e) = self.upper.get_mut(&p) {
            f(e);
        }
        out.events.push(ev(abs(&p)));
        Ok(out)
    }

    /// `chmod`: a lower file is copied up whole, even though only its mode changes.
    pub fn chmod(&mut self, path: &str, mode: u32) -> Result<Outcome, FsError> {
        let mode = mode & 0o7777;
        self.change_meta(path, |e| e.mode = mode, |path| Event::Chmod { path, mode })
    }

    /// `chown`: a lower file is copied up whole, even though only its owner changes.
    pub fn chown(&mut self, path: &str, uid: u32, gid: u32) -> Result<Outcome, FsError> {
        self.change_meta(
            path,
            |e| {
                e.uid = uid;
                e.gid = gid;
            },
            |path| Event::Chown { path, uid, gid },
        )
    }

    /// `ln -s target path`.
    pub fn symlink(&mut self, target: &str, path: &str) -> Result<Outcome, FsError> {
        let p = self.resolve_in_dir(path, false)?;
        if self.node(&p).is_some() {
            return Err(FsError::AlreadyExists { path: abs(&p) });
        }
        let mut out = Outcome::default();
        let e = self.new_entry(
            &p,
            EntryKind::Symlink {
                target: target.to_owned(),
            },
            0o777,
        );
        self.create(&p, e, &mut out);
        Ok(out)
    }

    /// `mkdir path`.
    pub fn mkdir(&mut self, path: &str) -> Result<Outcome, FsError> {
        let p = self.resolve_in_dir(path, false)?;
        if self.node(&p).is_some() {
            return Err(FsError::AlreadyExists { path: abs(&p) });
        }
        let mut out = Outcome::default();
        let e = self.new_entry(&p, EntryKind::Dir, DIR_MODE);
        self.create(&p, e, &mut out);
        Ok(out)
    }

    /// `mkdir -p path`: makes every missing directory; an existing directory is fine.
    pub fn mkdir_all(&mut self, path: &str) -> Result<Outcome, FsError> {
        let p = self.resolve(path, true)?;
        let mut out = Outcome::default();
        let mut prefix = String::new();
        for part in p.split('/').filter(|s| !s.is_empty()) {
            prefix = path::join(&prefix, part);
            match self.node(&prefix) {
                Some(n) if n.is_dir() => {}
                Some(_) => return Err(FsError::NotADirectory { path: abs(&prefix) }),
                None => {
                    let e = self.new_entry(&prefix, EntryKind::Dir, DIR_MODE);
                    self.create(&prefix, e, &mut out);
                }
            }
        }
        Ok(out)
    }

    /// Deletes the entry at `p` and everything below it from the merged view: upper entries are
    /// dropped, and a whiteout hides what the image has there.
    fn delete(&mut self, p: &str, out: &mut Outcome) {
        let lower_exists = self.lower(p).is_some();
        let mut freed = 0;
        let mut had_upper = false;
        if let Some(e) = self.upper.remove(p) {
            had_upper = e.kind != EntryKind::Whiteout;
            freed += e.apparent_size();
        }
        let (lo, hi) = subtree_bounds(p);
        let below: Vec<String> = self.upper.range(lo..hi).map(|(k, _)| k.clone()).collect();
        for k in below {
            if let Some(e) = self.upper.remove(&k) {
                freed += e.apparent_size();
                had_upper = true;
            }
        }
        if had_upper {
            out.events.push(Event::Removed {
                path: abs(p),
                bytes: freed,
            });
        }
        if lower_exists {
            self.copy_up_parents(p, out);
            self.upper
                .insert(p.to_owned(), Entry::whiteout(p).with_mtime(self.now));
            out.events.push(Event::Whiteout { path: abs(p) });
        }
    }

    /// `rm path` (not a directory).
    pub fn remove_file(&mut self, path: &str) -> Result<Outcome, FsError> {
        let p = self.resolve_in_dir(path, false)?;
        match self.node(&p) {
            None => Err(FsError::NotFound { path: abs(&p) }),
            Some(n) if n.is_dir() => Err(FsError::IsADirectory { path: abs(&p) }),
            Some(_) => {
                let mut out = Outcome::default();
                self.delete(&p, &mut out);
                Ok(out)
            }
        }
    }

    /// `rmdir path`: the directory must be empty.
    pub fn remove_dir(&mut self, path: &str) -> Result<Outcome, FsError> {
        let p = self.resolve_in_dir(path, false)?;
        match self.node(&p) {
            None => Err(FsError::NotFound { path: abs(&p) }),
            Some(n) if !n.is_dir() => Err(FsError::NotADirectory { path: abs(&p) }),
            Some(_) if !self.dir_is_empty(&p) => Err(FsError::NotEmpty { path: abs(&p) }),
            Some(_) => {
                let mut out = Outcome::default();
                self.delete(&p, &mut out);
                Ok(out)
            }
        }
    }

    /// `rm -r path`: a file or a whole directory tree. One whiteout hides a lower tree.
    pub fn remove_all(&mut self, path: &str) -> Result<Outcome, FsError> {
        let p = self.resolve_in_dir(path, false)?;
        if self.node(&p).is_none() {
            return Err(FsError::NotFound { path: abs(&p) });
        }
        let mut out = Outcome::default();
        self.delete(&p, &mut out);
        Ok(out)
    }

    /// `mv from to` (`rename(2)`): files are copied up and moved; a directory that exists in an
    /// image layer cannot be renamed (EXDEV), one made in the container can.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<Outcome, FsError> {
        let src = self.resolve_in_dir(from, false)?;
        let dst = self.resolve_in_dir(to, false)?;
        let Some(node) = self.node(&src) else {
            return Err(FsError::NotFound { path: abs(&src) });
        };
        let src_is_dir = node.is_dir();
        if src == dst {
            return Ok(Outcome::default());
        }
        if src_is_dir && path::is_within(&dst, &src) {
            return Err(FsError::InvalidArgument { path: abs(&dst) });
        }
        match self.node(&dst) {
            Some(d) if d.is_dir() && !src_is_dir => return Err(FsError::IsADirectory { path: abs(&dst) }),
            Some(d) if !d.is_dir() && src_is_dir => return Err(FsError::NotADirectory { path: abs(&dst) }),
            Some(d) if d.is_dir() && !self.dir_is_empty(&dst) => {
                return Err(FsError::NotEmpty { path: abs(&dst) });
            }
            _ => {}
        }
        if src_is_dir && self.lower(&src).is_some() {
            return Err(FsError::CrossDevice { path: abs(&src) });
        }
        let mut out = Outcome::default();
        if !src_is_dir {
            self.copy_up(&src, true, &mut out);
        }
        // Take the source subtree out of the writable layer, then put it back under `dst`.
        let mut moved: Vec<(String, Entry)> = Vec::new();
        if let Some(e) = self.upper.remove(&src) {
            moved.push((String::new(), e));
        }
        let (lo, hi) = subtree_bounds(&src);
        let below: Vec<String> = self.upper.range(lo..hi).map(|(k, _)| k.clone()).collect();
        for k in below {
            if let Some(e) = self.upper.remove(&k) {
                let rel = k.get(src.len()..).unwrap_or("").to_owned();
                moved.push((rel, e));
            }
        }
        let lower_src = self.lower(&src).is_some();
        let dst_lower = self.lower(&dst).is_some();
        // Whatever the writable layer had at the destination is replaced.
        let mut replaced = Outcome::default();
        self.delete(&dst, &mut replaced);
        // The moved entry takes the place of the whiteout `delete` left for a lower destination.
        out.events.extend(
            replaced
                .events
                .into_iter()
                .filter(|e| !matches!(e, Event::Whiteout { .. })),
        );
        self.copy_up_parents(&dst, &mut out);
        for (rel, mut e) in moved {
            let new_path = format!("{dst}{rel}");
            e.path = new_path.clone();
            if rel.is_empty() && e.kind == EntryKind::Dir && dst_lower {
                // The destination hides a lower (empty) directory of the same name.
                e.kind = EntryKind::OpaqueDir;
            }
            self.upper.insert(new_path, e);
        }
        out.events.push(Event::Rename {
            from: abs(&src),
            to: abs(&dst),
        });
        if lower_src {
            self.copy_up_parents(&src, &mut out);
            self.upper
                .insert(src.clone(), Entry::whiteout(src.clone()).with_mtime(self.now));
            out.events.push(Event::Whiteout { path: abs(&src) });
        }
        Ok(out)
    }

    // ---- results -------------------------------------------------------------------------

    /// The container's size as `docker ps -s` shows it (the API's SizeRw): the apparent size of
    /// the writable layer's files; a copied-up file counts its whole length, whiteouts and
    /// directories count 0.
    pub fn size(&self) -> u64 {
        self.upper.values().map(Entry::apparent_size).sum()
    }

    /// `docker diff`: `A` for entries the image does not have, `C` for changed ones (including the
    /// directories copied up because something inside them changed), `D` for deletions; a
    /// directory removed and made again is `C` and each image entry it hides is `D`. Sorted by path.
    pub fn changes(&self) -> Vec<Change> {
        let mut out: Vec<Change> = Vec::new();
        for (p, e) in &self.upper {
            // Like moby's overlay diff, "changed" means the image has the path at all, even where
            // an opaque directory of the writable layer now hides it.
            let in_image = self.image.lookup(p).is_some();
            let kind = match e.kind {
                EntryKind::Whiteout => ChangeKind::Deleted,
                _ if in_image => ChangeKind::Changed,
                _ => ChangeKind::Added,
            };
            if e.kind == EntryKind::Whiteout && !in_image {
                continue;
            }
            out.push(Change { path: abs(p), kind });
            if e.kind == EntryKind::OpaqueDir {
                for f in self.image.descendants(p) {
                    if !self.upper.contains_key(f.path) {
                        out.push(Change {
                            path: abs(f.path),
                            kind: ChangeKind::Deleted,
                        });
                    }
                }
            }
        }
        crate::sort::sort(&mut out);
        out.dedup_by(|a, b| a.path == b.path);
        out
    }

    /// The writable layer as a changeset, ready to become an image layer (`docker commit`).
    pub fn to_changeset(&self) -> Changeset {
        Changeset {
            entries: self.upper.values().cloned().collect(),
        }
    }
}

fn abs_input(input: &str) -> String {
    if input.starts_with('/') {
        input.to_owned()
    } else {
        format!("/{input}")
    }
}

/// `base` with `data` written at `offset`.
fn splice(base: &Content, offset: u64, data: &Content) -> Content {
    let end = offset.saturating_add(data.len());
    let new_len = base.len().max(end);
    if let (Content::Zeros { .. }, Content::Zeros { .. }) = (base, data) {
        return Content::Zeros { len: new_len };
    }
    if new_len <= INLINE_LIMIT {
        let mut bytes = base.read_range(0, new_len as usize);
        bytes.resize(new_len as usize, 0);
        let (start, stop) = (offset as usize, end as usize);
        if let Some(dst) = bytes.get_mut(start..stop) {
            data.read_at(0, dst);
        }
        return Content::bytes(bytes);
    }
    // Too large to hold: keep the length and derive a new identity from the old one and the write.
    let mut h = crate::digest::Hasher::new();
    h.update(format!("{base:?}|{offset}|").as_bytes());
    h.update(&data.read_range(0, 4096));
    h.update(&data.len().to_le_bytes());
    let d = h.finish();
    let mut seed = [0u8; 8];
    seed.copy_from_slice(d.as_bytes().get(..8).unwrap_or(&[0; 8]));
    Content::Synthetic {
        len: new_len,
        seed: u64::from_le_bytes(seed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn file(p: &str, s: &str) -> Entry {
        Entry::file(p, Content::bytes(s.as_bytes().to_vec()))
    }

    /// The lesson's demo/app image, trimmed: a base with /etc and /var/cache, an app layer, a
    /// layer that edits /etc.
    fn demo() -> Container {
        let l1 = Changeset::new(vec![
            Entry::dir("etc"),
            file("etc/motd", "Welcome to the demo base image\n"),
            file("etc/os-release", "NAME=demo\n"),
            Entry::dir("etc/demo.d"),
            file("etc/demo.d/default.conf", "a"),
            file("etc/demo.d/old.conf", "b"),
            Entry::dir("bin"),
            Entry::file(
                "bin/busybox",
                Content::Synthetic {
                    len: 250_000,
                    seed: 1,
                },
            )
            .with_mode(0o755),
            Entry::symlink("bin/sh", "busybox"),
            Entry::dir("usr"),
            Entry::symlink("usr/bin", "/bin"),
        ]);
        let l2 = Changeset::new(vec![
            Entry::dir("app"),
            Entry::file(
                "app/data.bin",
                Content::Synthetic {
                    len: 5 << 20,
                    seed: 2,
                },
            ),
        ]);
        Container::new(Arc::new(MergedView::new(vec![Arc::new(l1), Arc::new(l2)])))
    }

    fn lines(c: &Container) -> Vec<String> {
        c.changes().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn the_lessons_scenario_gives_dockers_size_and_diff() {
        let mut c = demo();
        assert_eq!(c.size(), 0);
        let o = c
            .write_file(
                "/app/new-1M.bin",
                Content::Synthetic {
                    len: 1 << 20,
                    seed: 9,
                },
            )
            .unwrap_or_default();
        assert_eq!(
            o.events.first(),
            Some(&Event::CopyUpDir {
                path: "/app".into(),
                from_layer: 1
            })
        );
        let o = c
            .append("/etc/motd", b"edited in container\n")
            .unwrap_or_default();
        assert_eq!(o.copied_up(), 31);
        assert_eq!(c.read_file("/etc/motd").map(|x| x.len()), Ok(51));
        let o = c.remove_file("/etc/os-release").unwrap_or_default();
        assert_eq!(
            o.events,
            [Event::Whiteout {
                path: "/etc/os-release".into()
            }]
        );
        assert_eq!(c.size(), (1 << 20) + 51);
        assert_eq!(
            lines(&c),
            [
                "C /app",
                "A /app/new-1M.bin",
                "C /etc",
                "C /etc/motd",
                "D /etc/os-release"
            ]
        );
        assert!(c.read_file("/etc/os-release").is_err());
    }

    #[test]
    fn chmod_copies_the_whole_file_and_truncating_write_copies_nothing() {
        let mut c = demo();
        let o = c.chmod("/bin/busybox", 0o700).unwrap_or_default();
        assert_eq!(o.copied_up(), 250_000);
        assert_eq!(c.size(), 250_000);
        let o = c
            .write_file("/app/data.bin", Content::bytes(&b"x"[..]))
            .unwrap_or_default();
        assert_eq!(o.copied_up(), 0);
        assert!(matches!(
            o.events.iter().find(|e| matches!(e, Event::CopyUp { .. })),
            Some(Event::CopyUp { bytes: 0, .. })
        ));
        assert_eq!(c.size(), 250_001);
    }

    #[test]
    fn removing_and_recreating_a_directory_makes_it_opaque() {
        let mut c = demo();
        let o = c.remove_all("/etc/demo.d").unwrap_or_default();
        assert_eq!(
            o.events.last(),
            Some(&Event::Whiteout {
                path: "/etc/demo.d".into()
            })
        );
        let o = c.mkdir("/etc/demo.d").unwrap_or_default();
        assert_eq!(
            o.events,
            [Event::OpaqueDir {
                path: "/etc/demo.d".into()
            }]
        );
        c.write_file("/etc/demo.d/app.conf", Content::bytes(&b"new"[..]))
            .ok();
        assert_eq!(c.list_dir("/etc/demo.d").map(|v| v.len()), Ok(1));
        assert_eq!(
            lines(&c),
            [
                "C /etc",
                "C /etc/demo.d",
                "A /etc/demo.d/app.conf",
                "D /etc/demo.d/default.conf",
                "D /etc/demo.d/old.conf"
            ]
        );
        let cs = c.to_changeset();
        assert_eq!(cs.get("etc/demo.d").map(|e| &e.kind), Some(&EntryKind::OpaqueDir));
    }

    #[test]
    fn errors_are_errno_like() {
        let mut c = demo();
        let name = |r: Result<Outcome, FsError>| r.err().map(|e| e.errno_name());
        assert_eq!(name(c.remove_file("/nope")), Some("ENOENT"));
        assert_eq!(name(c.remove_file("/etc")), Some("EISDIR"));
        assert_eq!(name(c.mkdir("/etc")), Some("EEXIST"));
        assert_eq!(name(c.mkdir("/etc/motd/x")), Some("ENOTDIR"));
        assert_eq!(name(c.mkdir("/a/b")), Some("ENOENT"));
        assert_eq!(name(c.remove_dir("/etc")), Some("ENOTEMPTY"));
        assert_eq!(name(c.rename("/etc", "/etc2")), Some("EXDEV"));
        assert_eq!(
            name(c.write_file("/etc", Content::Zeros { len: 1 })),
            Some("EISDIR")
        );
        assert_eq!(name(c.symlink("loop", "/loop")), None);
        assert_eq!(c.read_file("/loop").err().map(|e| e.errno_name()), Some("ELOOP"));
        assert_eq!(
            c.remove_file("/nope").err().map(|e| e.to_string()),
            Some("/nope: No such file or directory".to_owned())
        );
    }

    #[test]
    fn rename_moves_files_and_container_made_dirs() {
        let mut c = demo();
        let o = c.rename("/etc/motd", "/etc/motd.old").unwrap_or_default();
        assert_eq!(o.copied_up(), 31);
        assert!(c.exists("/etc/motd.old") && !c.exists("/etc/motd"));
        c.mkdir_all("/srv/a/b").ok();
        c.write_file("/srv/a/b/f", Content::bytes(&b"1"[..])).ok();
        assert!(c.rename("/srv/a", "/srv/z").is_ok());
        assert_eq!(c.read_file("/srv/z/b/f").map(|x| x.len()), Ok(1));
        assert!(!c.exists("/srv/a"));
        assert_eq!(
            c.rename("/srv", "/srv/z/in").err().map(|e| e.errno_name()),
            Some("EINVAL")
        );
        // Over a lower file: the destination's directory is copied up and no whiteout is left there.
        let o = c.rename("/srv/z/b/f", "/etc/demo.d/old.conf").unwrap_or_default();
        assert!(o.events.contains(&Event::CopyUpDir {
            path: "/etc/demo.d".into(),
            from_layer: 0
        }));
        assert!(!o.events.iter().any(|e| matches!(e, Event::Whiteout { .. })));
        assert_eq!(c.read_file("/etc/demo.d/old.conf").map(|x| x.len()), Ok(1));
    }

    #[test]
    fn symlinks_are_followed_inside_the_root() {
        let mut c = demo();
        // /usr/bin -> /bin: writing through it lands in /bin.
        c.write_file("/usr/bin/tool", Content::bytes(&b"x"[..])).ok();
        assert_eq!(c.stat("/bin/tool").map(|s| s.source), Ok(Source::Upper));
        assert_eq!(c.stat("/bin/sh").map(|s| s.size), Ok(250_000));
        assert_eq!(c.lstat("/bin/sh").map(|s| s.file_type), Ok(FileType::Symlink));
        // `..` cannot climb out of the root.
        assert_eq!(c.stat("/../../etc/motd").map(|s| s.path), Ok("/etc/motd".into()));
        let names: Vec<String> = c
            .list_dir("/")
            .unwrap_or_default()
            .into_iter()
            .map(|d| d.name)
            .collect();
        assert_eq!(names, ["app", "bin", "etc", "usr"]);
    }

    #[test]
    fn deleting_a_container_file_frees_it_without_a_whiteout() {
        let mut c = demo();
        c.write_file("/tmpfile", Content::Zeros { len: 10 }).ok();
        let o = c.remove_file("/tmpfile").unwrap_or_default();
        assert_eq!(
            o.events,
            [Event::Removed {
                path: "/tmpfile".into(),
                bytes: 10
            }]
        );
        assert_eq!(c.size(), 0);
        assert!(c.changes().is_empty());
    }

    #[test]
    fn large_in_place_writes_keep_length_and_change_identity() {
        let mut c = demo();
        let before = c.read_file("/app/data.bin").unwrap_or(Content::Zeros { len: 0 });
        let o = c
            .write_at("/app/data.bin", 4096, &Content::bytes(&b"abc"[..]))
            .unwrap_or_default();
        assert_eq!(o.copied_up(), 5 << 20);
        let after = c.read_file("/app/data.bin").unwrap_or(Content::Zeros { len: 0 });
        assert_eq!(after.len(), 5 << 20);
        assert_ne!(after, before);
    }

    /// Every entry the container shows, depth first in path order, without following symlinks.
    fn walk(c: &Container) -> Vec<(String, FileType, u64)> {
        fn go(c: &Container, dir: &str, out: &mut Vec<(String, FileType, u64)>) {
            for d in c.list_dir(dir).unwrap_or_default() {
                let p = if dir == "/" {
                    format!("/{}", d.name)
                } else {
                    format!("{dir}/{}", d.name)
                };
                out.push((p.clone(), d.file_type, d.size));
                if d.file_type == FileType::Dir {
                    go(c, &p, out);
                }
            }
        }
        let mut out = Vec::new();
        go(c, "/", &mut out);
        crate::sort::sort_by(&mut out, |a, b| a.0.cmp(&b.0));
        out
    }

    proptest! {
        /// Under overlay2 the first modification of a lower file copies all of it, whatever the
        /// size of the write.
        #[test]
        fn copy_up_costs_the_whole_file(len in 0u64..10_000_000, off in 0u64..10_000_000, n in 1usize..64) {
            let base = Changeset::new(vec![Entry::file("f", Content::Synthetic { len, seed: 3 })]);
            let mut c = Container::new(Arc::new(MergedView::new(vec![Arc::new(base)])));
            let off = off.min(len);
            let o = c.write_at("/f", off, &Content::bytes(vec![1u8; n])).unwrap_or_default();
            prop_assert_eq!(o.copied_up(), len);
            prop_assert_eq!(c.size(), len.max(off + n as u64));
            // The second write copies nothing more.
            let o = c.write_at("/f", 0, &Content::bytes(vec![2u8; n])).unwrap_or_default();
            prop_assert_eq!(o.copied_up(), 0);
        }

        /// Committing the writable layer and applying it over the image gives what the container
        /// shows.
        #[test]
        fn commit_matches_the_merged_view(ops in prop::collection::vec((0u8..9, 0usize..8, 0usize..8), 0..16)) {
            let mut c = demo();
            let names = [
                "/etc/motd", "/etc/demo.d", "/app", "/bin/busybox", "/new", "/etc/demo.d/old.conf",
                "/srv/a/b", "/etc/demo.d/new.conf",
            ];
            for (op, i, j) in ops {
                let (p, q) = (names[i], names[j]);
                let _ = match op {
                    0 => c.write_file(p, Content::bytes(&b"w"[..])),
                    1 => c.append(p, b"a"),
                    2 => c.remove_all(p),
                    3 => c.mkdir(p),
                    4 => c.chmod(p, 0o600),
                    5 => c.rename(p, q),
                    6 => c.mkdir_all(p),
                    7 => c.symlink(q, p),
                    _ => c.write_at(p, 3, &Content::Zeros { len: 2 }),
                };
            }
            let mut layers: Vec<Changeset> = c.image().layers().iter().map(|l| (**l).clone()).collect();
            layers.push(c.to_changeset());
            let tree = crate::fs::Tree::from_layers(&layers);
            let want: Vec<(String, FileType, u64)> =
                tree.iter().map(|e| (abs(&e.path), file_type(&e.kind), e.apparent_size())).collect();
            prop_assert_eq!(walk(&c), want);
        }
    }
}
