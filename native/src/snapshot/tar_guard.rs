//! The tar guard: a reader between the decompressor and `tar::Archive` that reads every header as
//! it passes and refuses the layer before the tar crate acts on a header that is too big or that
//! tar readers would disagree about (security catalogue cases 18 and 19).
//!
//! Why not an option of the tar crate: tar 0.4.46 has no limit for the special headers at all.
//! It reads a GNU long name (`L`), long link (`K`) or PAX (`x`) body whole into a `Vec`
//! (`EntryFields::read_all`, entry.rs:297, called from archive.rs:418, :429 and :440), so a layer
//! could make it allocate the gigabytes an octal size field can declare (or more, in base-256). And
//! where readers differ, the crate picks one side without saying so:
//! - A PAX `path` (or `linkpath`) next to a GNU `L` (or `K`): the crate takes the GNU name
//!   (entry.rs:308-344); GNU tar takes the PAX one, in either order.
//! - A PAX header followed by a global header (`g`): the crate hands the PAX records to the
//!   global header and reads the next file without them (archive.rs:433-449); GNU tar applies
//!   them to that file. A global `size` or `path` record moves or renames every later entry in
//!   GNU tar; the crate ignores global records.
//! - Hard links, symlinks, devices, directories and FIFOs that declare a size: the crate skips
//!   that many bytes as their data (archive.rs:349-381); GNU tar and Go read none and take the
//!   next block as a header. The same holds for a regular file whose name ends in `/`, which
//!   GNU tar reads as a directory (the unpacker then makes it one, as GNU tar does).
//! - A PAX record whose value holds a newline: the crate splits records at newlines (pax.rs:48-55),
//!   GNU tar by their length, so a `size` after it counts for one and not the other. The crate
//!   also takes the first of two equal keys (pax.rs:64, entry.rs:321), GNU tar and Go the last.
//! - `GNU.sparse.*` records (PAX sparse files): GNU tar renames the entry after
//!   `GNU.sparse.name` and reads a sparse map from its data; the crate knows none of it.
//! - A base-256 size field: the crate reads only its last 8 bytes (header.rs:1536), GNU tar
//!   all 11; an octal field may carry a sign the crate accepts and GNU tar refuses.
//!
//! What the crate gets right, and the guard mirrors: a PAX `size` record overrides the ustar
//! size field of the next entry that is not itself a special header, and only that entry
//! (archive.rs:327-355), as GNU tar does; a GNU sparse header's extension blocks come before its
//! data (archive.rs:524-537). The guard must find each header exactly where the crate will look
//! for it, so it follows the same rules; everything the readers disagree on is refused.

use std::collections::HashSet;
use std::fmt;
use std::io::{self, Read};

use super::UnpackError;
use super::unpack::elide;

/// The largest body a PAX (`x`, `g`) or GNU long name/link (`L`, `K`) header may declare:
/// Go's archive/tar (`maxSpecialFileSize`) and libarchive draw the line at 1 MiB.
pub const MAX_SPECIAL_HEADER: u64 = 1 << 20;

const BLOCK: usize = 512;

/// A header that describes the entry after it instead of being one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecialHeader {
    /// `x`: PAX records for the next entry.
    PaxExtended,
    /// `g`: PAX records for the rest of the archive.
    PaxGlobal,
    /// `L`: the next entry's name.
    GnuLongName,
    /// `K`: the next entry's link target.
    GnuLongLink,
}

impl SpecialHeader {
    fn of(type_flag: u8) -> Option<Self> {
        match type_flag {
            b'x' => Some(Self::PaxExtended),
            b'g' => Some(Self::PaxGlobal),
            b'L' => Some(Self::GnuLongName),
            b'K' => Some(Self::GnuLongLink),
            _ => None,
        }
    }
}

impl fmt::Display for SpecialHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::PaxExtended => "PAX extended header (type x)",
            Self::PaxGlobal => "PAX global header (type g)",
            Self::GnuLongName => "GNU long name header (type L)",
            Self::GnuLongLink => "GNU long link header (type K)",
        })
    }
}

/// What is wrong with a tar header that tar readers would read differently, or not at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TarHeaderError {
    #[error("its size field {field:?} is not a size every tar reader reads the same way")]
    SizeField { field: String },
    #[error(
        "PAX record {index} of the {header} is malformed (each must be \"<length> <key>=<value>\" and a newline, with no newline inside)"
    )]
    PaxRecord { header: SpecialHeader, index: usize },
    #[error("the {header} gives {:?} twice, and tar readers differ on which one counts", elide(.key))]
    DuplicatePaxKey { header: SpecialHeader, key: String },
    #[error(
        "the {header} gives an empty {}, which GNU tar reads as \"use the header's own\" and layerlab's reader as an empty name",
        elide(.key)
    )]
    EmptyPaxName { header: SpecialHeader, key: String },
    #[error("the {header} gives {}={:?}, which is not a decimal number", elide(.key), elide(.value))]
    PaxNumber {
        header: SpecialHeader,
        key: String,
        value: String,
    },
    #[error(
        "the {header} gives {:?}, which GNU tar applies and layerlab's reader does not (PAX sparse files and global names, sizes and owners are not supported)",
        elide(.key)
    )]
    UnsupportedPaxKey { header: SpecialHeader, key: String },
    #[error(
        "a {pending} is followed by a global header instead of the entry it describes; GNU tar applies it to the entry after the global header, other readers drop it"
    )]
    PendingBeforeGlobal { pending: SpecialHeader },
    #[error(
        "the PAX {key} {:?} and the {gnu_header} {:?} name the entry differently; GNU tar takes the PAX one, other readers the GNU one",
        elide(.pax),
        elide(.gnu)
    )]
    ConflictingNames {
        key: &'static str,
        pax: String,
        gnu_header: SpecialHeader,
        gnu: String,
    },
    #[error(
        "a {kind} entry declares {size} bytes of data; GNU tar and Go read no data for it, so they would take those bytes for further entries"
    )]
    DataOnHeaderOnlyEntry { kind: &'static str, size: u64 },
}

/// What the special headers seen since the last entry say about the next one.
#[derive(Debug, Default)]
struct Pending {
    pax: Option<Pax>,
    long_name: Option<Vec<u8>>,
    long_link: Option<Vec<u8>>,
}

impl Pending {
    fn first(&self) -> Option<SpecialHeader> {
        if self.pax.is_some() {
            Some(SpecialHeader::PaxExtended)
        } else if self.long_name.is_some() {
            Some(SpecialHeader::GnuLongName)
        } else if self.long_link.is_some() {
            Some(SpecialHeader::GnuLongLink)
        } else {
            None
        }
    }
}

/// The records of a PAX header that decide where entries start and what they are called.
#[derive(Debug, Default)]
struct Pax {
    size: Option<u64>,
    path: Option<Vec<u8>>,
    linkpath: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Copy)]
enum State {
    /// The next byte starts a header block.
    Header,
    /// GNU sparse extension blocks follow, then an entry body of this many bytes (padded).
    SparseExtensions(u64),
    /// This many bytes of an entry body (padding included) remain.
    Body(u64),
    /// The archive's end marker or a cut stream was seen: the tar crate stops reading here, and
    /// what follows is only hashed.
    End,
}

/// Checks the tar stream from `inner` header by header while handing it on unchanged.
#[derive(Debug)]
pub(super) struct TarGuard<R> {
    inner: R,
    /// Bytes taken from `inner` so far.
    offset: u64,
    /// Checked bytes not yet handed on (a header, with the body of a special header).
    held: Vec<u8>,
    held_pos: usize,
    state: State,
    pending: Pending,
}

impl<R: Read> TarGuard<R> {
    pub(super) fn new(inner: R) -> Self {
        Self {
            inner,
            offset: 0,
            held: Vec::new(),
            held_pos: 0,
            state: State::Header,
            pending: Pending::default(),
        }
    }

    pub(super) fn into_inner(self) -> R {
        self.inner
    }

    /// Reads up to `want` more bytes into `held`; fewer only at the end of the stream.
    fn fill(&mut self, want: usize) -> io::Result<()> {
        let start = self.held.len();
        self.held.resize(start + want, 0);
        let mut got = 0;
        while got < want {
            let Some(dst) = self.held.get_mut(start + got..) else {
                break;
            };
            match self.inner.read(dst) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.held.truncate(start + got);
                    self.offset += got as u64;
                    return Err(e);
                }
            }
        }
        self.held.truncate(start + got);
        self.offset += got as u64;
        Ok(())
    }

    /// Reads the header block at the current position and decides what follows it.
    /// A refusal comes back as an `io::Error` carrying the [`UnpackError`], so that it passes
    /// through the tar crate unchanged.
    fn next_header(&mut self) -> io::Result<()> {
        let at = self.offset;
        let bad = |reason| io::Error::other(UnpackError::BadTarHeader { offset: at, reason });
        self.held.clear();
        // Give back the megabyte a special header may have needed.
        self.held.shrink_to(BLOCK);
        self.held_pos = 0;
        self.fill(BLOCK)?;
        let Some(block) = self.held.get(..BLOCK) else {
            // A cut stream: the tar crate reports it.
            self.state = State::End;
            return Ok(());
        };
        if block.iter().all(|b| *b == 0) {
            self.state = State::End;
            return Ok(());
        }
        let type_flag = block.get(156).copied().unwrap_or_default();
        let size_field = block.get(124..136).unwrap_or_default();
        let extended = block.get(482) == Some(&1);
        let size = parse_size(size_field).ok_or_else(|| {
            bad(TarHeaderError::SizeField {
                field: String::from_utf8_lossy(size_field).into_owned(),
            })
        })?;

        if let Some(kind) = SpecialHeader::of(type_flag) {
            if size > MAX_SPECIAL_HEADER {
                return Err(io::Error::other(UnpackError::SpecialHeaderTooLarge {
                    kind,
                    size,
                    limit: MAX_SPECIAL_HEADER,
                    offset: at,
                }));
            }
            if kind == SpecialHeader::PaxGlobal {
                if let Some(pending) = self.pending.first() {
                    return Err(bad(TarHeaderError::PendingBeforeGlobal { pending }));
                }
            }
            // Below the cap, so neither the cast nor the padding can overflow.
            let body_len = size as usize;
            self.fill(padded(size) as usize)?;
            let Some(body) = self.held.get(BLOCK..BLOCK + body_len) else {
                self.state = State::End;
                return Ok(());
            };
            match kind {
                SpecialHeader::PaxExtended => {
                    self.pending.pax = Some(parse_pax(body, kind).map_err(bad)?);
                }
                SpecialHeader::PaxGlobal => {
                    parse_pax(body, kind).map_err(bad)?;
                }
                SpecialHeader::GnuLongName => self.pending.long_name = Some(body.to_vec()),
                SpecialHeader::GnuLongLink => self.pending.long_link = Some(body.to_vec()),
            }
            self.state = State::Header;
            return Ok(());
        }

        // An entry: the special headers before it are used up by it.
        let pending = std::mem::take(&mut self.pending);
        let pax = pending.pax.unwrap_or_default();
        let size = pax.size.unwrap_or(size);
        for (key, pax_name, gnu_header, gnu_name) in [
            ("path", &pax.path, SpecialHeader::GnuLongName, &pending.long_name),
            (
                "linkpath",
                &pax.linkpath,
                SpecialHeader::GnuLongLink,
                &pending.long_link,
            ),
        ] {
            if let (Some(p), Some(g)) = (pax_name, gnu_name) {
                // The tar crate drops one trailing NUL of a GNU name (entry.rs:311).
                let g = g.strip_suffix(&[0]).unwrap_or(g);
                if p.as_slice() != g {
                    return Err(bad(TarHeaderError::ConflictingNames {
                        key,
                        pax: String::from_utf8_lossy(p).into_owned(),
                        gnu_header,
                        gnu: String::from_utf8_lossy(g).into_owned(),
                    }));
                }
            }
        }
        // GNU tar (and Go, for type NUL) takes a regular file whose name ends in `/` for a
        // directory, as old tars wrote them, and reads no data for it.
        let regular = matches!(type_flag, 0 | b'0' | b'7');
        let name = match (&pending.long_name, &pax.path) {
            (Some(long), _) => long.strip_suffix(&[0]).unwrap_or(long),
            (None, Some(path)) => path.as_slice(),
            (None, None) => ustar_name(block),
        };
        let kind = match header_only(type_flag) {
            Some(kind) => Some(kind),
            None if regular && name.ends_with(b"/") => Some("directory (a file named with a trailing /)"),
            None => None,
        };
        if let Some(kind) = kind {
            if size != 0 {
                return Err(bad(TarHeaderError::DataOnHeaderOnlyEntry { kind, size }));
            }
        }
        let body = size
            .checked_add(BLOCK as u64 - 1)
            .map(|s| s & !(BLOCK as u64 - 1))
            .ok_or_else(|| {
                bad(TarHeaderError::SizeField {
                    field: size.to_string(),
                })
            })?;
        self.state = if type_flag == b'S' && extended {
            State::SparseExtensions(body)
        } else {
            State::Body(body)
        };
        Ok(())
    }

    /// Reads one GNU sparse extension block; its last flag says whether another follows.
    fn next_sparse_extension(&mut self, body: u64) -> io::Result<()> {
        self.held.clear();
        self.held_pos = 0;
        self.fill(BLOCK)?;
        self.state = match self.held.get(504) {
            None => State::End,
            Some(1) => State::SparseExtensions(body),
            Some(_) => State::Body(body),
        };
        Ok(())
    }
}

impl<R: Read> Read for TarGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if let Some(held) = self.held.get(self.held_pos..).filter(|h| !h.is_empty()) {
                let n = held.len().min(buf.len());
                if let (Some(dst), Some(src)) = (buf.get_mut(..n), held.get(..n)) {
                    dst.copy_from_slice(src);
                }
                self.held_pos += n;
                return Ok(n);
            }
            match self.state {
                State::End => return self.inner.read(buf),
                State::Body(0) => self.state = State::Header,
                State::Body(remaining) => {
                    let want = usize::try_from(remaining).unwrap_or(usize::MAX).min(buf.len());
                    let n = self.inner.read(buf.get_mut(..want).unwrap_or_default())?;
                    self.offset += n as u64;
                    self.state = State::Body(remaining - n as u64);
                    return Ok(n);
                }
                State::Header => self.next_header()?,
                State::SparseExtensions(body) => self.next_sparse_extension(body)?,
            }
        }
    }
}

/// Header size rounded up to whole blocks.
fn padded(size: u64) -> u64 {
    size.div_ceil(BLOCK as u64) * BLOCK as u64
}

/// Entry types that carry no data in GNU tar and Go (Go's `isHeaderOnlyType`).
fn header_only(type_flag: u8) -> Option<&'static str> {
    match type_flag {
        b'1' => Some("hard link"),
        b'2' => Some("symlink"),
        b'3' => Some("character device"),
        b'4' => Some("block device"),
        b'5' => Some("directory"),
        b'6' => Some("FIFO"),
        _ => None,
    }
}

/// The name a header gives itself, as the tar crate joins it (header.rs `path_bytes`): the
/// ustar prefix, a `/`, and the name field; only the end of it matters here.
fn ustar_name(block: &[u8]) -> &[u8] {
    let field = |range: std::ops::Range<usize>| {
        let f = block.get(range).unwrap_or_default();
        f.split(|b| *b == 0).next().unwrap_or_default()
    };
    let name = field(0..100);
    let ustar = block.get(257..265) == Some(b"ustar\x0000");
    if name.is_empty() && ustar && !field(345..500).is_empty() {
        return b"/";
    }
    name
}

/// The ustar size field, read only where every reader agrees: octal digits between spaces or
/// NULs (a `+` the tar crate would take is refused), or base-256 whose value fits the last 8
/// bytes (the only ones the tar crate reads).
fn parse_size(field: &[u8]) -> Option<u64> {
    let (&first, rest) = field.split_first()?;
    if first & 0x80 != 0 {
        let (high, low) = rest.split_at_checked(rest.len().checked_sub(8)?)?;
        if first != 0x80 || high.iter().any(|b| *b != 0) {
            return None;
        }
        return Some(low.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)));
    }
    let text = field.split(|b| *b == 0).next().unwrap_or_default();
    let digits = text.trim_ascii_start().trim_ascii_end();
    if digits.is_empty() || !digits.iter().all(|b| (b'0'..=b'7').contains(b)) {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, b| {
        acc.checked_mul(8)?.checked_add(u64::from(b - b'0'))
    })
}

/// Reads PAX records by their lengths, as GNU tar does, and refuses anything the tar crate's
/// newline split (pax.rs:48) or first-key-wins lookup would read another way.
fn parse_pax(body: &[u8], header: SpecialHeader) -> Result<Pax, TarHeaderError> {
    let mut pax = Pax::default();
    let mut seen = HashSet::new();
    let mut rest = body;
    let mut index = 0;
    while !rest.is_empty() {
        index += 1;
        let malformed = TarHeaderError::PaxRecord { header, index };
        let (key, value, after) = split_record(rest).ok_or(malformed)?;
        rest = after;
        let key_text = String::from_utf8_lossy(key).into_owned();
        if !seen.insert(key) {
            return Err(TarHeaderError::DuplicatePaxKey {
                header,
                key: key_text,
            });
        }
        let global = header == SpecialHeader::PaxGlobal;
        let unsupported = key.starts_with(b"GNU.sparse.")
            || (global && matches!(key, b"size" | b"path" | b"linkpath" | b"uid" | b"gid"));
        if unsupported {
            return Err(TarHeaderError::UnsupportedPaxKey {
                header,
                key: key_text,
            });
        }
        if matches!(key, b"size" | b"uid" | b"gid") {
            let number = decimal(value).ok_or_else(|| TarHeaderError::PaxNumber {
                header,
                key: key_text.clone(),
                value: String::from_utf8_lossy(value).into_owned(),
            })?;
            if key == b"size" {
                pax.size = Some(number);
            }
        }
        if matches!(key, b"path" | b"linkpath") && value.is_empty() {
            return Err(TarHeaderError::EmptyPaxName {
                header,
                key: key_text,
            });
        }
        match key {
            b"path" => pax.path = Some(value.to_vec()),
            b"linkpath" => pax.linkpath = Some(value.to_vec()),
            _ => {}
        }
    }
    Ok(pax)
}

/// One `"<length> <key>=<value>\n"` record: key, value and what follows it.
fn split_record(data: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let space = data.iter().position(|b| *b == b' ')?;
    let digits = data.get(..space)?;
    if digits.is_empty() || digits.len() > 7 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let len = std::str::from_utf8(digits).ok()?.parse::<usize>().ok()?;
    let (record, after) = data.split_at_checked(len)?;
    let (line, newline) = record.split_at_checked(len.checked_sub(1)?)?;
    if newline != b"\n" || line.contains(&b'\n') {
        return None;
    }
    let kv = line.get(space + 1..)?;
    let eq = kv.iter().position(|b| *b == b'=')?;
    let (key, value) = (kv.get(..eq)?, kv.get(eq + 1..)?);
    // GNU tar skips extra spaces before a key, the tar crate keeps them in it.
    if key.is_empty() || !key.iter().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    Some((key, value, after))
}

fn decimal(value: &[u8]) -> Option<u64> {
    if value.is_empty() || value.len() > 20 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(value).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(text: &[u8]) -> [u8; 12] {
        let mut f = [0u8; 12];
        f[..text.len()].copy_from_slice(text);
        f
    }

    #[test]
    fn size_fields_are_read_only_where_readers_agree() {
        assert_eq!(parse_size(&field(b"00000000012\0")), Some(10));
        assert_eq!(parse_size(&field(b"  12 ")), Some(10));
        assert_eq!(parse_size(&field(b"77777777777\0")), Some((8 << 30) - 1));
        for refused in [&b"+12"[..], b"", b"   ", b"12 3", b"9", b"-1", b"0x10"] {
            assert_eq!(parse_size(&field(refused)), None, "{refused:?}");
        }
        let mut b256 = [0u8; 12];
        b256[0] = 0x80;
        b256[4..].copy_from_slice(&(16u64 << 30).to_be_bytes());
        assert_eq!(parse_size(&b256), Some(16 << 30));
        b256[1] = 1; // a high byte the tar crate drops
        assert_eq!(parse_size(&b256), None);
        b256[1] = 0;
        b256[0] = 0xff; // negative in GNU tar
        assert_eq!(parse_size(&b256), None);
    }

    #[test]
    fn pax_records_are_split_by_length() {
        let body = b"13 size=1234\n16 path=a/b/c/d\n";
        let pax = parse_pax(body, SpecialHeader::PaxExtended).expect("records");
        assert_eq!(pax.size, Some(1234));
        assert_eq!(pax.path.as_deref(), Some(&b"a/b/c/d"[..]));
        for bad in [
            &b"14 size=1234\n"[..], // length one too long
            b"13 size=1234",        // no newline
            b"x size=1\n",
            b"7 =abc\n", // no key
            b"5 k=\n\n", // trailing garbage
        ] {
            assert!(
                matches!(
                    parse_pax(bad, SpecialHeader::PaxExtended),
                    Err(TarHeaderError::PaxRecord { .. })
                ),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        // An empty value is a record (POSIX: it cancels the key); values may hold '='.
        let pax = parse_pax(b"5 k=\n12 path=a=b\n", SpecialHeader::PaxExtended).expect("records");
        assert_eq!(pax.path.as_deref(), Some(&b"a=b"[..]));
        assert!(matches!(
            parse_pax(b"8 path=\n", SpecialHeader::PaxExtended),
            Err(TarHeaderError::EmptyPaxName { .. })
        ));
    }
}
