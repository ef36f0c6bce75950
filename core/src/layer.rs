//! A layer is a changeset: the ordered list of what it adds, changes and removes relative to the
//! layers below it. Everything else in layerlab (the merged view, the container layer, sizes,
//! the tar codec, the pictures in the browser) is built on these types.
//!
//! Paths are stored relative to the root, without a leading `/`, with no `.` or `..` components
//! and no trailing `/` (`etc/nginx/nginx.conf`). The root itself is never an entry.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Where a regular file's bytes come from.
///
/// The simulator's images hold hundreds of megabytes that nobody reads, so most files carry only a
/// length and a seed; small text files (configs, what a learner `echo`es) carry their bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Content {
    /// The file's actual bytes.
    Bytes(Arc<[u8]>),
    /// `len` bytes generated deterministically from `seed`: stands in for content we do not ship.
    Synthetic { len: u64, seed: u64 },
    /// `len` zero bytes (what `dd if=/dev/zero` writes).
    Zeros { len: u64 },
}

impl Content {
    /// The file's length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Content::Bytes(b) => b.len() as u64,
            Content::Synthetic { len, .. } | Content::Zeros { len } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What kind of thing an entry is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntryKind {
    Dir,
    File(Content),
    Symlink { target: String },
    /// Another name for the file at `target` (a root-relative path in the same stack).
    Hardlink { target: String },
    /// The path is deleted: it hides whatever lower layers have there (`.wh.<name>` in a tar).
    Whiteout,
    /// A directory that hides everything lower layers have beneath it (`.wh..wh..opq` in a tar).
    /// It is itself a directory: entries below it in the same layer are its new contents.
    OpaqueDir,
}

/// One path in a layer, with the metadata a tar header carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Entry {
    pub path: String,
    pub kind: EntryKind,
    /// Permission bits, including setuid, setgid and sticky (`0o755`, `0o1777`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Seconds since the Unix epoch.
    pub mtime: i64,
}

/// The ordered entries of one layer. Entries are kept sorted by path, which puts every directory
/// before its contents and makes the tar the codec writes deterministic.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changeset {
    pub entries: Vec<Entry>,
}
