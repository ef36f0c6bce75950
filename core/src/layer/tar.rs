//! The layer tar codec: a layer blob (tar, optionally gzip) to a [`Changeset`] and back.
//!
//! Public API:
//! - [`read`]`(bytes) -> Result<Changeset, TarError>` and [`read_with_limits`] (custom [`TarLimits`]);
//! - [`write`]`(&Changeset, impl Write) -> Result<W, TarError>`: a deterministic tar;
//! - [`write_gz`]: the same tar, gzip-compressed deterministically;
//! - [`diff_id`]`(&Changeset) -> Result<Digest, TarError>`: sha256 of the tar, streamed;
//! - [`digests`]`(&Changeset) -> Result<LayerDigests, TarError>`: diffID, compressed digest and
//!   both sizes in one pass.
//!
//! Whiteouts follow the OCI layer rules: `dir/.wh.name` deletes `dir/name` from the layers below;
//! `dir/.wh..wh..opq` makes `dir` opaque, and it is applied before its siblings whatever its
//! position in the tar; a whiteout never deletes an entry of its own layer. Every tar is treated
//! as hostile: names are normalised and `..` escapes refused, whiteouts that would name `.`/`..`
//! refused, and the bytes unpacked are capped by a budget so a gzip bomb fails instead of filling
//! memory (the page would die first in a browser).

use std::cell::Cell;
use std::collections::BTreeSet;
use std::io::{self, Read, Write};

use flate2::Compression;

use super::path::{self, PathError, normalize_path, normalize_path_or_root};
use super::{Changeset, Content, Entry, EntryKind};
use crate::digest::{Digest, Hasher};
use crate::gzip::GzipReader;

/// Name of the marker that makes its directory opaque.
pub const OPAQUE_MARKER: &str = ".wh..wh..opq";
/// Prefix of a whiteout file's name.
pub const WHITEOUT_PREFIX: &str = ".wh.";

/// Limits applied while reading a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TarLimits {
    /// Most bytes the tar stream may unpack to (after decompression), headers included.
    pub max_unpacked_bytes: u64,
    /// Most entries (tar members) a layer may have.
    pub max_entries: usize,
}

impl Default for TarLimits {
    /// 1 GiB and a million entries: far above the lab's images, well below what would exhaust a
    /// browser tab.
    fn default() -> Self {
        TarLimits {
            max_unpacked_bytes: 1 << 30,
            max_entries: 1_000_000,
        }
    }
}

/// Why a layer blob could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum TarError {
    #[error("unsupported layer compression {format}: only gzip and uncompressed tar can be read")]
    UnsupportedCompression { format: &'static str },
    #[error("layer unpacks to more than {limit} bytes: refused as too large (or a decompression bomb)")]
    TooLarge { limit: u64 },
    #[error("layer has more than {limit} entries: refused as too large")]
    TooManyEntries { limit: usize },
    #[error("invalid tar archive at entry {index}: {source}")]
    Malformed { index: usize, source: io::Error },
    #[error("tar entry {index} has a name that is not UTF-8")]
    NonUtf8Name { index: usize },
    #[error("invalid tar entry name {name:?}: {source}")]
    BadName { name: String, source: PathError },
    #[error("invalid whiteout {name:?}: {reason}")]
    InvalidWhiteout { name: String, reason: &'static str },
    #[error("file {path} incomplete: expected {expected} bytes, got {actual}")]
    Truncated {
        path: String,
        expected: u64,
        actual: u64,
    },
    #[error("invalid hardlink {path:?} -> {target:?}: {source}")]
    BadLinkTarget {
        path: String,
        target: String,
        source: PathError,
    },
    #[error("{path:?}: owner id {id} does not fit in 32 bits")]
    IdOutOfRange { path: String, id: u64 },
    #[error("{path:?} is not a directory but the layer has an opaque marker inside it")]
    NotADirectory { path: String },
    #[error("cannot write entry {path:?} to a tar: {source}")]
    Write { path: String, source: io::Error },
}

/// Reads a layer blob (gzip or plain tar, detected by its magic bytes) with default limits.
pub fn read(bytes: &[u8]) -> Result<Changeset, TarError> {
    read_with_limits(bytes, &TarLimits::default())
}

/// Reads a layer blob, failing with [`TarError::TooLarge`] or [`TarError::TooManyEntries`]
/// once `limits` are crossed.
pub fn read_with_limits(bytes: &[u8], limits: &TarLimits) -> Result<Changeset, TarError> {
    let exceeded = Cell::new(false);
    match compression_of(bytes)? {
        Compression_::Gzip => read_tar(
            BudgetReader::new(GzipReader::new(bytes), limits.max_unpacked_bytes, &exceeded),
            limits,
        ),
        Compression_::None => read_tar(
            BudgetReader::new(bytes, limits.max_unpacked_bytes, &exceeded),
            limits,
        ),
    }
}

enum Compression_ {
    None,
    Gzip,
}

fn compression_of(bytes: &[u8]) -> Result<Compression_, TarError> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(&crate::gzip::MAGIC) {
        Ok(Compression_::Gzip)
    } else if starts(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Err(TarError::UnsupportedCompression { format: "zstd" })
    } else if starts(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Err(TarError::UnsupportedCompression { format: "xz" })
    } else if starts(b"BZh") {
        Err(TarError::UnsupportedCompression { format: "bzip2" })
    } else {
        Ok(Compression_::None)
    }
}

/// Counts the bytes the tar parser pulls out of the (decompressed) stream and fails the read once
/// the budget is spent; `exceeded` tells the caller that the resulting I/O error means "too large".
struct BudgetReader<'a, R> {
    inner: R,
    remaining: u64,
    exceeded: &'a Cell<bool>,
}

impl<'a, R: Read> BudgetReader<'a, R> {
    fn new(inner: R, budget: u64, exceeded: &'a Cell<bool>) -> Self {
        BudgetReader {
            inner,
            remaining: budget,
            exceeded,
        }
    }
}

impl<R: Read> Read for BudgetReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            // Probe one byte: reaching the end exactly at the budget is fine.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => {
                    self.exceeded.set(true);
                    Err(io::Error::other("layer budget exceeded"))
                }
            };
        }
        let cap = usize::try_from(self.remaining)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(buf.get_mut(..cap).unwrap_or(&mut []))?;
        self.remaining -= n as u64;
        Ok(n)
    }
}

fn read_tar<R: Read>(reader: BudgetReader<'_, R>, limits: &TarLimits) -> Result<Changeset, TarError> {
    let exceeded = reader.exceeded;
    let malformed = |index: usize, source: io::Error| {
        if exceeded.get() {
            TarError::TooLarge {
                limit: limits.max_unpacked_bytes,
            }
        } else {
            TarError::Malformed { index, source }
        }
    };
    let mut archive = ::tar::Archive::new(reader);
    let mut entries: Vec<Entry> = Vec::new();
    let mut whiteouts: Vec<Entry> = Vec::new();
    let mut opaque: BTreeSet<String> = BTreeSet::new();
    let mut content_budget = limits.max_unpacked_bytes;

    let iter = archive.entries().map_err(|e| malformed(0, e))?;
    for (index, item) in iter.enumerate() {
        if index >= limits.max_entries {
            return Err(TarError::TooManyEntries {
                limit: limits.max_entries,
            });
        }
        let mut member = item.map_err(|e| malformed(index, e))?;
        let header = member.header();
        let etype = header.entry_type();
        let raw_name = member.path_bytes();
        let name = std::str::from_utf8(&raw_name)
            .map_err(|_| TarError::NonUtf8Name { index })?
            .to_owned();
        let path = normalize_path_or_root(&name).map_err(|source| TarError::BadName {
            name: name.clone(),
            source,
        })?;
        let mode = header.mode().map_err(|e| malformed(index, e))? & 0o7777;
        let uid = header.uid().map_err(|e| malformed(index, e))?;
        let gid = header.gid().map_err(|e| malformed(index, e))?;
        let mtime = header.mtime().map_err(|e| malformed(index, e))?;
        let id = |id: u64| {
            u32::try_from(id).map_err(|_| TarError::IdOutOfRange {
                path: path.clone(),
                id,
            })
        };
        let (uid, gid) = (id(uid)?, id(gid)?);
        let mtime = i64::try_from(mtime).unwrap_or(i64::MAX);

        // PAX global headers carry archive-wide defaults the model has no use for; device nodes
        // and FIFOs have no place in the model (containerd skips devices in user namespaces too).
        use ::tar::EntryType as T;
        let is_file = matches!(etype, T::Regular | T::Continuous | T::GNUSparse);
        if !(is_file || matches!(etype, T::Directory | T::Symlink | T::Link)) {
            continue;
        }
        if path.is_empty() {
            // `./` is the root directory itself, which many tars list first.
            if etype == T::Directory {
                continue;
            }
            return Err(TarError::BadName {
                source: PathError::Empty { path: name.clone() },
                name,
            });
        }

        // Only the last component may be a whiteout; `.wh.x/y` would be a file inside a deletion.
        if path::parent(&path).is_some_and(|parent| parent.split('/').any(|c| c.starts_with(WHITEOUT_PREFIX)))
        {
            return Err(TarError::InvalidWhiteout {
                name,
                reason: "a whiteout name is used as a directory",
            });
        }
        let file_name = path::file_name(&path);
        if let Some(rest) = file_name.strip_prefix(WHITEOUT_PREFIX) {
            let parent = path::parent(&path);
            if file_name == OPAQUE_MARKER {
                let Some(dir) = parent else {
                    return Err(TarError::InvalidWhiteout {
                        name,
                        reason: "an opaque marker at the root of the layer",
                    });
                };
                opaque.insert(dir.to_owned());
            } else if rest.starts_with(WHITEOUT_PREFIX) {
                // Other `.wh..wh.*` names are aufs bookkeeping (`.wh..wh.plnk`); Docker ignores them.
            } else if rest.is_empty() || rest == "." || rest == ".." {
                return Err(TarError::InvalidWhiteout {
                    name,
                    reason: "it names no file, or names `.` or `..`",
                });
            } else {
                let target = path::join(parent.unwrap_or(""), rest);
                whiteouts.push(Entry {
                    path: target,
                    kind: EntryKind::Whiteout,
                    mode,
                    uid,
                    gid,
                    mtime,
                });
            }
            continue;
        }

        let kind = match etype {
            T::Directory => EntryKind::Dir,
            T::Symlink => {
                let target = member.link_name_bytes().unwrap_or_default();
                let target = std::str::from_utf8(&target).map_err(|_| TarError::NonUtf8Name { index })?;
                EntryKind::Symlink {
                    target: target.to_owned(),
                }
            }
            T::Link => {
                let target = member.link_name_bytes().unwrap_or_default();
                let target = std::str::from_utf8(&target).map_err(|_| TarError::NonUtf8Name { index })?;
                let norm = normalize_path(target).map_err(|source| TarError::BadLinkTarget {
                    path: path.clone(),
                    target: target.to_owned(),
                    source,
                })?;
                EntryKind::Hardlink { target: norm }
            }
            _ => {
                let expected = member.size();
                if expected > content_budget {
                    return Err(TarError::TooLarge {
                        limit: limits.max_unpacked_bytes,
                    });
                }
                // Read at most the declared size plus one byte: a lying header cannot make us
                // buffer more than the budget allows.
                let mut data = Vec::with_capacity(usize::try_from(expected.min(1 << 20)).unwrap_or(0));
                (&mut member)
                    .take(expected.saturating_add(1))
                    .read_to_end(&mut data)
                    .map_err(|e| malformed(index, e))?;
                let actual = data.len() as u64;
                if actual != expected {
                    return Err(TarError::Truncated {
                        path,
                        expected,
                        actual,
                    });
                }
                content_budget -= actual;
                EntryKind::File(Content::bytes(data))
            }
        };
        entries.push(Entry {
            path,
            kind,
            mode,
            uid,
            gid,
            mtime,
        });
    }
    resolve_markers(Changeset::new(entries), whiteouts, opaque)
}

/// Folds the whiteouts and opaque markers of one layer into its entries, following the OCI rule
/// that they only act on lower layers: a directory that is whited out and also present in the same
/// layer was deleted and made again, which is an opaque directory.
fn resolve_markers(
    mut cs: Changeset,
    whiteouts: Vec<Entry>,
    opaque: BTreeSet<String>,
) -> Result<Changeset, TarError> {
    let mut extra: Vec<Entry> = Vec::new();
    let make_opaque = |cs: &mut Changeset, dir: &str, extra: &mut Vec<Entry>| -> Result<(), TarError> {
        match cs.entries.binary_search_by(|e| e.path.as_str().cmp(dir)) {
            Ok(i) => {
                if let Some(e) = cs.entries.get_mut(i) {
                    if !e.is_dir() {
                        return Err(TarError::NotADirectory { path: dir.to_owned() });
                    }
                    e.kind = EntryKind::OpaqueDir;
                }
            }
            Err(_) => extra.push(Entry::opaque(dir)),
        }
        Ok(())
    };
    for dir in &opaque {
        make_opaque(&mut cs, dir, &mut extra)?;
    }
    for w in whiteouts {
        if opaque.contains(&w.path) {
            continue;
        }
        match cs.get(&w.path) {
            Some(e) if e.is_dir() => make_opaque(&mut cs, &w.path, &mut extra)?,
            // A file of this layer replaces the lower one anyway; the whiteout adds nothing.
            Some(_) => {}
            None => {
                let (lo, hi) = path::subtree_bounds(&w.path);
                let has_children = cs.entries.iter().any(|e| e.path >= lo && e.path < hi);
                if has_children {
                    make_opaque(&mut cs, &w.path, &mut extra)?;
                } else {
                    extra.push(w);
                }
            }
        }
    }
    if extra.is_empty() {
        return Ok(cs);
    }
    let mut all = extra;
    all.append(&mut cs.entries);
    // Put the layer's own entries last so that they win over markers for the same path.
    Ok(Changeset::new(all))
}

/// Writes `cs` as a deterministic tar: entries in path order (parents before children), GNU
/// headers holding only mode, owner and mtime (no user names, no device numbers), opaque
/// directories as the directory followed by its `.wh..wh..opq` marker. Returns the writer.
pub fn write<W: Write>(cs: &Changeset, out: W) -> Result<W, TarError> {
    let mut builder = ::tar::Builder::new(out);
    let mut order: Vec<&Entry> = cs.entries.iter().collect();
    if !order.is_sorted_by(|a, b| a.path <= b.path) {
        crate::sort::sort_by(&mut order, |a, b| a.path.cmp(&b.path));
    }
    for e in order {
        append_entry(&mut builder, e).map_err(|source| TarError::Write {
            path: e.path.clone(),
            source,
        })?;
    }
    builder.into_inner().map_err(|source| TarError::Write {
        path: String::new(),
        source,
    })
}

fn header_for(e: &Entry, etype: ::tar::EntryType, size: u64) -> ::tar::Header {
    let mut h = ::tar::Header::new_gnu();
    h.set_entry_type(etype);
    h.set_mode(e.mode & 0o7777);
    h.set_uid(u64::from(e.uid));
    h.set_gid(u64::from(e.gid));
    h.set_mtime(u64::try_from(e.mtime).unwrap_or(0));
    h.set_size(size);
    h
}

fn append_entry<W: Write>(b: &mut ::tar::Builder<W>, e: &Entry) -> io::Result<()> {
    use ::tar::EntryType as T;
    match &e.kind {
        EntryKind::Dir => b.append_data(&mut header_for(e, T::Directory, 0), &e.path, io::empty()),
        EntryKind::OpaqueDir => {
            b.append_data(&mut header_for(e, T::Directory, 0), &e.path, io::empty())?;
            let marker = path::join(&e.path, OPAQUE_MARKER);
            b.append_data(&mut header_for(e, T::Regular, 0), marker, io::empty())
        }
        EntryKind::Whiteout => {
            let name = format!("{WHITEOUT_PREFIX}{}", path::file_name(&e.path));
            let marker = path::join(path::parent(&e.path).unwrap_or(""), &name);
            b.append_data(&mut header_for(e, T::Regular, 0), marker, io::empty())
        }
        EntryKind::File(c) => b.append_data(&mut header_for(e, T::Regular, c.len()), &e.path, c.reader()),
        EntryKind::Symlink { target } => b.append_link(&mut header_for(e, T::Symlink, 0), &e.path, target),
        EntryKind::Hardlink { target } => b.append_link(&mut header_for(e, T::Link, 0), &e.path, target),
    }
}

/// Writes `cs` as a gzip-compressed deterministic tar (level 6, no name, mtime 0, OS "unknown",
/// as Go's gzip writer that Docker uses leaves them).
pub fn write_gz<W: Write>(cs: &Changeset, out: W) -> Result<W, TarError> {
    let gz = flate2::GzBuilder::new()
        .operating_system(255)
        .write(out, Compression::default());
    let gz = write(cs, gz)?;
    gz.finish().map_err(|source| TarError::Write {
        path: String::new(),
        source,
    })
}

/// The layer's diffID: the sha256 of its uncompressed tar, hashed as it is written.
pub fn diff_id(cs: &Changeset) -> Result<Digest, TarError> {
    Ok(write(cs, Hasher::new())?.finish())
}

/// Identities and sizes of one layer's blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerDigests {
    /// sha256 of the uncompressed tar (what `rootfs.diff_ids` lists).
    pub diff_id: Digest,
    /// Bytes of the uncompressed tar (what Podman shows as a layer's size).
    pub tar_size: u64,
    /// sha256 of the gzip blob (what a manifest lists).
    pub compressed_digest: Digest,
    pub compressed_size: u64,
}

/// Hashes and counts what passes through it.
struct Counting {
    hasher: Hasher,
    bytes: u64,
}

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.hasher.update(buf);
        self.bytes += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Feeds the tar to a hasher and to the gzip encoder at once, so both digests need one pass.
struct Tee<W> {
    plain: Counting,
    gz: W,
}

impl<W: Write> Write for Tee<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.gz.write_all(buf)?;
        self.plain.write_all(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.gz.flush()
    }
}

/// diffID, compressed digest and both sizes of the layer, in one streaming pass.
pub fn digests(cs: &Changeset) -> Result<LayerDigests, TarError> {
    let gz = flate2::GzBuilder::new().operating_system(255).write(
        Counting {
            hasher: Hasher::new(),
            bytes: 0,
        },
        Compression::default(),
    );
    let tee = write(
        cs,
        Tee {
            plain: Counting {
                hasher: Hasher::new(),
                bytes: 0,
            },
            gz,
        },
    )?;
    let Tee { plain, gz } = tee;
    let compressed = gz.finish().map_err(|source| TarError::Write {
        path: String::new(),
        source,
    })?;
    Ok(LayerDigests {
        diff_id: plain.hasher.finish(),
        tar_size: plain.bytes,
        compressed_digest: compressed.hasher.finish(),
        compressed_size: compressed.bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::Tree;
    use proptest::prelude::*;

    /// A tar member with a raw name, written without the builder's path checks, as an attacker
    /// would write it.
    fn raw(name: &str, etype: ::tar::EntryType, data: &[u8], link: Option<&str>) -> Vec<u8> {
        let mut h = ::tar::Header::new_gnu();
        let field = &mut h.as_old_mut().name;
        let n = name.len().min(field.len());
        field[..n].copy_from_slice(&name.as_bytes()[..n]);
        if let Some(l) = link {
            let lf = &mut h.as_old_mut().linkname;
            lf[..l.len()].copy_from_slice(l.as_bytes());
        }
        h.set_entry_type(etype);
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        h.set_size(data.len() as u64);
        h.set_cksum();
        let mut out = h.as_bytes().to_vec();
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
        out
    }

    fn archive(members: &[Vec<u8>]) -> Vec<u8> {
        let mut out: Vec<u8> = members.concat();
        out.extend_from_slice(&[0u8; 1024]);
        out
    }

    use ::tar::EntryType as T;

    fn file(p: &str, s: &[u8]) -> Entry {
        Entry::file(p, Content::bytes(s.to_vec()))
    }

    #[test]
    fn whiteouts_and_opaque_markers_become_entries() {
        let tar = archive(&[
            raw("etc/", T::Directory, b"", None),
            raw("etc/.wh.banner.txt", T::Regular, b"", None),
            raw("etc/demo.d/app.conf", T::Regular, b"new", None),
            // After its sibling, as umoci may write it: still applies to lower layers only.
            raw("etc/demo.d/.wh..wh..opq", T::Regular, b"", None),
            raw("etc/demo.d/", T::Directory, b"", None),
            raw("var/cache/.wh.demo", T::Regular, b"", None),
            raw("./", T::Directory, b"", None),
            raw("x/.wh..wh.plnk", T::Regular, b"", None),
        ]);
        let cs = read(&tar).map_err(|e| e.to_string());
        let kinds: Vec<(String, EntryKind)> = cs
            .unwrap_or_default()
            .entries
            .into_iter()
            .map(|e| (e.path, e.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("etc".into(), EntryKind::Dir),
                ("etc/banner.txt".into(), EntryKind::Whiteout),
                ("etc/demo.d".into(), EntryKind::OpaqueDir),
                (
                    "etc/demo.d/app.conf".into(),
                    EntryKind::File(Content::bytes(&b"new"[..]))
                ),
                ("var/cache/demo".into(), EntryKind::Whiteout),
            ]
        );
    }

    #[test]
    fn a_whiteout_never_removes_its_own_layers_entries() {
        // Deleting and re-creating a directory in one layer: whiteout plus new contents.
        let tar = archive(&[
            raw("d/", T::Directory, b"", None),
            raw("d/new", T::Regular, b"1", None),
            raw(".wh.d", T::Regular, b"", None),
            raw("f", T::Regular, b"2", None),
            raw(".wh.f", T::Regular, b"", None),
        ]);
        let cs = read(&tar).unwrap_or_default();
        assert_eq!(cs.get("d").map(|e| &e.kind), Some(&EntryKind::OpaqueDir));
        assert_eq!(
            cs.get("f").map(|e| e.kind.clone()),
            Some(EntryKind::File(Content::bytes(&b"2"[..])))
        );
        let lower = Changeset::new(vec![Entry::dir("d"), file("d/old", b"x"), file("f", b"old")]);
        let t = Tree::from_layers([&lower, &cs]);
        let paths: Vec<&str> = t.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["d", "d/new", "f"]);
    }

    #[test]
    fn hostile_names_are_refused() {
        for name in ["../../x", "a/../../x", "/../etc/passwd"] {
            let r = read(&archive(&[raw(name, T::Regular, b"x", None)]));
            assert!(
                matches!(
                    r,
                    Err(TarError::BadName {
                        source: PathError::Escapes { .. },
                        ..
                    })
                ),
                "{name}: {r:?}"
            );
        }
        for name in [".wh..", ".wh...", "etc/.wh..", "etc/.wh."] {
            let r = read(&archive(&[raw(name, T::Regular, b"", None)]));
            assert!(
                matches!(r, Err(TarError::InvalidWhiteout { .. })),
                "{name}: {r:?}"
            );
        }
        let r = read(&archive(&[raw(".wh..wh..opq", T::Regular, b"", None)]));
        assert!(matches!(r, Err(TarError::InvalidWhiteout { .. })));
        let r = read(&archive(&[raw(
            "l",
            T::Link,
            b"",
            Some("../../../../etc/passwd"),
        )]));
        assert!(matches!(r, Err(TarError::BadLinkTarget { .. })), "{r:?}");
        let r = read(&archive(&[
            raw("f", T::Regular, b"", None),
            raw("f/.wh..wh..opq", T::Regular, b"", None),
        ]));
        assert!(matches!(r, Err(TarError::NotADirectory { .. })), "{r:?}");
        let r = read(&archive(&[
            raw("bin", T::Symlink, b"", Some("")),
            raw("", T::Regular, b"", None),
        ]));
        assert!(r.is_err());
    }

    #[test]
    fn absolute_names_are_root_relative_and_hardlinks_normalised() {
        let tar = archive(&[
            raw("/etc/passwd", T::Regular, b"root", None),
            raw("etc/passwd2", T::Link, b"", Some("/etc/passwd")),
            raw("localetc", T::Symlink, b"", Some("/etc")),
            raw("dev/null", T::Char, b"", None),
        ]);
        let cs = read(&tar).unwrap_or_default();
        assert_eq!(
            cs.get("etc/passwd2").map(|e| e.kind.clone()),
            Some(EntryKind::Hardlink {
                target: "etc/passwd".into()
            })
        );
        assert_eq!(
            cs.get("localetc").map(|e| e.kind.clone()),
            Some(EntryKind::Symlink {
                target: "/etc".into()
            })
        );
        assert!(cs.get("dev/null").is_none());
        assert!(cs.get("etc/passwd").is_some());
    }

    #[test]
    fn a_later_member_replaces_an_earlier_one_of_the_same_name() {
        // RUSTSEC-2018-0002: a symlink `moo -> /tmp/moo` then a file `moo` must give a file, not a
        // write through the link.
        let tar = archive(&[
            raw("moo", T::Symlink, b"", Some("/tmp/moo")),
            raw("moo", T::Regular, b"x", None),
        ]);
        let cs = read(&tar).unwrap_or_default();
        assert_eq!(cs.len(), 1);
        assert_eq!(
            cs.get("moo").map(|e| e.kind.clone()),
            Some(EntryKind::File(Content::bytes(&b"x"[..])))
        );
    }

    #[test]
    fn truncated_bodies_and_bombs_fail_cleanly() {
        let mut t = raw("big", T::Regular, &[7u8; 2000], None);
        t.truncate(512 + 700);
        assert!(
            matches!(
                read(&t),
                Err(TarError::Truncated { .. }) | Err(TarError::Malformed { .. })
            ),
            "{:?}",
            read(&t)
        );

        // 64 MiB of zeros compresses to ~64 KiB; a 1 MiB budget must stop it.
        let cs = Changeset::new(vec![Entry::file("zeros", Content::Zeros { len: 64 << 20 })]);
        let gz = write_gz(&cs, Vec::new()).unwrap_or_default();
        assert!(gz.len() < 1 << 20);
        let limits = TarLimits {
            max_unpacked_bytes: 1 << 20,
            max_entries: 10,
        };
        assert!(matches!(
            read_with_limits(&gz, &limits),
            Err(TarError::TooLarge { .. })
        ));
        let many = Changeset::new((0..20).map(|i| Entry::dir(format!("d{i}"))).collect());
        let tar = write(&many, Vec::new()).unwrap_or_default();
        assert!(matches!(
            read_with_limits(&tar, &limits),
            Err(TarError::TooManyEntries { .. })
        ));
        assert!(matches!(
            read(&[0x28, 0xb5, 0x2f, 0xfd, 0]),
            Err(TarError::UnsupportedCompression { format: "zstd" })
        ));
    }

    #[test]
    fn writing_is_deterministic_and_digests_agree() {
        let cs = Changeset::new(vec![
            Entry::dir("app"),
            Entry::file(
                "app/data.bin",
                Content::Synthetic {
                    len: 100_000,
                    seed: 5,
                },
            )
            .with_mtime(1_704_067_200),
            Entry::symlink("app/link", "data.bin"),
            Entry::whiteout("etc/banner.txt"),
            Entry::opaque("etc/demo.d"),
            Entry::file(format!("long/{}", "n".repeat(150)), Content::Zeros { len: 3 }),
        ]);
        let a = write(&cs, Vec::new()).unwrap_or_default();
        let b = write(&cs, Vec::new()).unwrap_or_default();
        assert_eq!(a, b);
        let d = digests(&cs).map_err(|e| e.to_string());
        let d = d.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.diff_id, Digest::of(&a));
        assert_eq!(diff_id(&cs).ok(), Some(d.diff_id));
        assert_eq!(d.tar_size, a.len() as u64);
        let gz = write_gz(&cs, Vec::new()).unwrap_or_default();
        assert_eq!(d.compressed_digest, Digest::of(&gz));
        assert_eq!(d.compressed_size, gz.len() as u64);
        // Reading back (plain or gzip) gives the same layer, with the synthetic bytes materialised.
        for blob in [&a, &gz] {
            let back = read(blob).unwrap_or_default();
            assert_eq!(back.len(), cs.len());
            assert_eq!(back.size(), cs.size());
            assert_eq!(diff_id(&back).ok(), Some(d.diff_id));
        }
    }

    /// Layers whose every entry survives a tar round trip unchanged (bytes content, valid modes).
    fn roundtrip_layer() -> impl Strategy<Value = Changeset> {
        crate::fs::tests::layer_strategy().prop_map(|cs| {
            Changeset::new(
                cs.entries
                    .into_iter()
                    .map(|e| e.with_owner(1000, 1000).with_mtime(1_700_000_000))
                    .collect(),
            )
        })
    }

    proptest! {
        #[test]
        fn write_then_read_round_trips(cs in roundtrip_layer()) {
            let tar = write(&cs, Vec::new());
            prop_assert!(tar.is_ok());
            let back = read(&tar.unwrap_or_default());
            prop_assert!(back.is_ok(), "{:?}", back);
            prop_assert_eq!(back.unwrap_or_default(), cs);
        }

        #[test]
        fn any_bytes_give_ok_or_err_never_a_panic(bytes in prop::collection::vec(any::<u8>(), 0..3000)) {
            let _ = read(&bytes);
        }

        /// Valid tars corrupted at random: headers, sizes and names go bad in every way.
        #[test]
        fn corrupted_tars_never_panic(cs in roundtrip_layer(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
            let mut tar = write(&cs, Vec::new()).unwrap_or_default();
            if !tar.is_empty() {
                for (i, b) in flips {
                    let i = i.index(tar.len());
                    tar[i] = b;
                }
            }
            let _ = read(&tar);
            let gz = write_gz(&cs, Vec::new()).unwrap_or_default();
            let mut gz2 = gz.clone();
            let n = gz2.len();
            gz2.truncate(n / 2);
            let _ = read(&gz2);
        }
    }
}
