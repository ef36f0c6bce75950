//! A layer is a changeset: the ordered list of what it adds, changes and removes relative to the
//! layers below it. Everything else in layerlab (the merged view, the container layer, sizes,
//! the tar codec, the pictures in the browser) is built on these types.
//!
//! Paths are stored relative to the root, without a leading `/`, with no `.` or `..` components
//! and no trailing `/` (`etc/nginx/nginx.conf`). The root itself is never an entry.
//!
//! Public API:
//! - [`Content`] (`Bytes`, `Synthetic`, `Zeros`): `len`, `bytes(..)`, `read_at(offset, buf)`,
//!   `reader()` (streams the bytes, synthetic ones generated on the fly);
//! - [`EntryKind`], [`Entry`] with constructors `Entry::dir/file/symlink/hardlink/whiteout/opaque`
//!   and builders `with_mode/with_owner/with_mtime`;
//! - [`Changeset`]: `new(entries)` (sorts by path, the last entry for a path wins),
//!   `try_new` (normalises paths first, refusing bad ones), `get(path)`, `size()` (Docker's apparent
//!   size), `len`, `iter`;
//! - [`path`]: `normalize_path(&str) -> Result<String, PathError>` and path helpers;
//! - [`tar`]: `read(bytes) -> Result<Changeset, TarError>`, `write(&Changeset, impl Write)`,
//!   `write_gz`, `diff_id`, `digests` (diffID, compressed digest and both sizes in one pass).

pub mod path;
pub mod tar;

pub use path::{PathError, normalize_path};

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
    Symlink {
        target: String,
    },
    /// Another name for the file at `target` (a root-relative path in the same stack).
    Hardlink {
        target: String,
    },
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

impl Content {
    /// A file holding exactly `bytes`.
    pub fn bytes(bytes: impl Into<Arc<[u8]>>) -> Self {
        Content::Bytes(bytes.into())
    }

    /// Copies the bytes at `offset..offset + buf.len()` into `buf` and returns how many were
    /// copied (fewer at the end of the file, 0 past it).
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize {
        let len = self.len();
        if offset >= len {
            return 0;
        }
        let n = usize::try_from((len - offset).min(buf.len() as u64)).unwrap_or(buf.len());
        let Some(out) = buf.get_mut(..n) else { return 0 };
        match self {
            Content::Bytes(b) => {
                let start = usize::try_from(offset).unwrap_or(usize::MAX);
                if let Some(src) = b.get(start..start.saturating_add(n)) {
                    out.copy_from_slice(src);
                }
            }
            Content::Zeros { .. } => out.fill(0),
            Content::Synthetic { seed, .. } => synthetic_fill(*seed, offset, out),
        }
        n
    }

    /// The bytes at `offset..offset + len`, clipped to the file: for showing a file's head.
    pub fn read_range(&self, offset: u64, len: usize) -> Vec<u8> {
        let avail = self.len().saturating_sub(offset).min(len as u64);
        let mut buf = vec![0; usize::try_from(avail).unwrap_or(0)];
        let n = self.read_at(offset, &mut buf);
        buf.truncate(n);
        buf
    }

    /// A reader over the whole content; synthetic bytes are generated as they are read, so a
    /// 1 GB file can be streamed into a tar or a hash without being held in memory.
    pub fn reader(&self) -> ContentReader<'_> {
        ContentReader {
            content: self,
            pos: 0,
        }
    }
}

/// Streams a [`Content`]; see [`Content::reader`].
#[derive(Debug)]
pub struct ContentReader<'a> {
    content: &'a Content,
    pos: u64,
}

impl std::io::Read for ContentReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.content.read_at(self.pos, buf);
        self.pos += n as u64;
        Ok(n)
    }
}

/// Fills `out` with the synthetic bytes of `seed` starting at byte `offset`.
///
/// A counter-based generator (each 8-byte word is SplitMix64's output function applied to
/// `seed + index * gamma`) is used rather than a crate's RNG because it gives random access: the
/// block at any offset of a multi-gigabyte file is produced without generating what precedes it,
/// which the tar writer, the block-level drivers and partial reads all rely on. The bytes only need
/// to be deterministic and incompressible-looking, not cryptographically random.
fn synthetic_fill(seed: u64, offset: u64, out: &mut [u8]) {
    fn word(seed: u64, index: u64) -> [u8; 8] {
        let mut z = seed.wrapping_add(index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)).to_le_bytes()
    }
    let mut pos = offset;
    let mut rest = out;
    while !rest.is_empty() {
        let w = word(seed, pos / 8);
        let skip = (pos % 8) as usize;
        let avail = w.get(skip..).unwrap_or(&[]);
        let n = avail.len().min(rest.len());
        let (head, tail) = rest.split_at_mut(n);
        head.copy_from_slice(avail.get(..n).unwrap_or(&[]));
        rest = tail;
        pos += n as u64;
    }
}

/// Default permission bits of a new directory and a new file (umask 022).
pub const DIR_MODE: u32 = 0o755;
pub const FILE_MODE: u32 = 0o644;

impl Entry {
    fn new(path: impl Into<String>, kind: EntryKind, mode: u32) -> Self {
        Entry {
            path: path.into(),
            kind,
            mode,
            uid: 0,
            gid: 0,
            mtime: 0,
        }
    }
    /// A directory, mode 0755, owned by root.
    pub fn dir(path: impl Into<String>) -> Self {
        Self::new(path, EntryKind::Dir, DIR_MODE)
    }
    /// A regular file, mode 0644, owned by root.
    pub fn file(path: impl Into<String>, content: Content) -> Self {
        Self::new(path, EntryKind::File(content), FILE_MODE)
    }
    /// A symbolic link, mode 0777 as Linux shows them.
    pub fn symlink(path: impl Into<String>, target: impl Into<String>) -> Self {
        Self::new(
            path,
            EntryKind::Symlink {
                target: target.into(),
            },
            0o777,
        )
    }
    /// Another name for the file at `target`.
    pub fn hardlink(path: impl Into<String>, target: impl Into<String>) -> Self {
        Self::new(
            path,
            EntryKind::Hardlink {
                target: target.into(),
            },
            FILE_MODE,
        )
    }
    /// A deletion of `path` and everything below it in lower layers.
    pub fn whiteout(path: impl Into<String>) -> Self {
        Self::new(path, EntryKind::Whiteout, 0)
    }
    /// A directory that hides everything lower layers have beneath it.
    pub fn opaque(path: impl Into<String>) -> Self {
        Self::new(path, EntryKind::OpaqueDir, DIR_MODE)
    }
    pub fn with_mode(mut self, mode: u32) -> Self {
        self.mode = mode;
        self
    }
    pub fn with_owner(mut self, uid: u32, gid: u32) -> Self {
        self.uid = uid;
        self.gid = gid;
        self
    }
    pub fn with_mtime(mut self, mtime: i64) -> Self {
        self.mtime = mtime;
        self
    }

    /// Whether the entry is a directory in the merged view (a plain or an opaque directory).
    pub fn is_dir(&self) -> bool {
        matches!(self.kind, EntryKind::Dir | EntryKind::OpaqueDir)
    }

    /// The bytes this entry adds to a layer's size as Docker counts it: a file's length, a
    /// symlink's target length, nothing for directories, whiteouts and hardlinks (a hardlinked
    /// file counts once, under the name that holds the content).
    pub fn apparent_size(&self) -> u64 {
        match &self.kind {
            EntryKind::File(c) => c.len(),
            EntryKind::Symlink { target } => target.len() as u64,
            EntryKind::Dir | EntryKind::OpaqueDir | EntryKind::Whiteout | EntryKind::Hardlink { .. } => 0,
        }
    }
}

impl Changeset {
    /// A changeset of `entries`, sorted by path (byte order, which puts every directory before
    /// its contents and keeps each subtree contiguous). When a path occurs more than once the
    /// last occurrence wins, as when a tar is extracted. Paths are expected to be normalised
    /// already; use [`Changeset::try_new`] for paths from outside.
    pub fn new(mut entries: Vec<Entry>) -> Self {
        // A stable sort keeps the input order among equal paths, so "last wins" is well defined.
        crate::sort::sort_by(&mut entries, |a, b| a.path.cmp(&b.path));
        let mut out: Vec<Entry> = Vec::with_capacity(entries.len());
        for e in entries {
            match out.last_mut() {
                Some(last) if last.path == e.path => *last = e,
                _ => out.push(e),
            }
        }
        Changeset { entries: out }
    }

    /// Like [`Changeset::new`], normalising every path first and refusing any that is empty or
    /// escapes the root.
    pub fn try_new(entries: Vec<Entry>) -> Result<Self, PathError> {
        let entries = entries
            .into_iter()
            .map(|mut e| {
                e.path = normalize_path(&e.path)?;
                Ok(e)
            })
            .collect::<Result<Vec<_>, PathError>>()?;
        Ok(Self::new(entries))
    }

    /// The entry at `path` (normalised), found by binary search.
    pub fn get(&self, path: &str) -> Option<&Entry> {
        let i = self
            .entries
            .binary_search_by(|e| e.path.as_str().cmp(path))
            .ok()?;
        self.entries.get(i)
    }

    /// The layer's size as Docker shows it in `docker history` and `docker image ls`: the
    /// apparent size of its files (see [`Entry::apparent_size`]), not its tar bytes.
    pub fn size(&self) -> u64 {
        self.entries.iter().map(Entry::apparent_size).sum()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Entry> {
        self.entries.iter()
    }
}

impl<'a> IntoIterator for &'a Changeset {
    type Item = &'a Entry;
    type IntoIter = std::slice::Iter<'a, Entry>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn changeset_sorts_and_keeps_the_last_entry_for_a_path() {
        let cs = Changeset::new(vec![
            Entry::file("etc/motd", Content::bytes(&b"one"[..])),
            Entry::dir("etc"),
            Entry::file("etc/motd", Content::bytes(&b"three"[..])),
            Entry::file("etc-old", Content::Zeros { len: 1 }),
        ]);
        let paths: Vec<_> = cs.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["etc", "etc-old", "etc/motd"]);
        assert_eq!(
            cs.get("etc/motd").map(|e| &e.kind),
            Some(&EntryKind::File(Content::bytes(&b"three"[..])))
        );
        assert!(cs.get("nope").is_none());
    }

    #[test]
    fn try_new_normalises_and_refuses_escapes() {
        let cs = Changeset::try_new(vec![Entry::dir("/etc/"), Entry::dir("./etc")]);
        assert_eq!(cs.map(|c| c.len()), Ok(1));
        assert!(Changeset::try_new(vec![Entry::dir("../x")]).is_err());
    }

    #[test]
    fn size_counts_like_docker() {
        let cs = Changeset::new(vec![
            Entry::dir("opt"),
            Entry::file("opt/tool", Content::Synthetic { len: 1000, seed: 1 }),
            Entry::symlink("opt/current", "tool"),
            Entry::hardlink("opt/tool2", "opt/tool"),
            Entry::whiteout("opt/old"),
            Entry::opaque("var"),
        ]);
        assert_eq!(cs.size(), 1000 + 4);
    }

    #[test]
    fn synthetic_content_is_deterministic_and_random_access() {
        let c = Content::Synthetic { len: 100, seed: 7 };
        let mut all = Vec::new();
        c.reader().read_to_end(&mut all).ok();
        assert_eq!(all.len(), 100);
        assert_eq!(c.read_range(13, 20), all[13..33].to_vec());
        assert_eq!(c.read_range(95, 20), all[95..].to_vec());
        assert!(c.read_range(100, 5).is_empty());
        assert_ne!(Content::Synthetic { len: 100, seed: 8 }.read_range(0, 100), all);
        assert_eq!(Content::Zeros { len: 3 }.read_range(0, 10), [0, 0, 0]);
        assert_eq!(Content::bytes(&b"hello"[..]).read_range(1, 3), b"ell");
    }
}
