//! The layer unpacker: applies one layer blob (a tar, plain, gzip or zstd) to a directory, treating
//! every byte of it as hostile.
//!
//! Public API:
//! - [`unpack`]`(blob, root, &`[`UnpackOptions`]`) -> Result<`[`UnpackStats`]`, `[`UnpackError`]`>`
//! - [`Compression`] (`Plain`, `Gzip`, `Zstd`, `Detect`; [`Compression::from_media_type`]),
//!   [`WhiteoutMode`] (`Overlay` for per-layer snapshot directories, `Apply` for flattening
//!   layers onto one tree), [`Skipped`] / [`SkipReason`] (what was left out and why).
//!
//! How paths stay inside the root. Every operation is relative to a directory file descriptor.
//! A parent directory is reached from the root fd one component at a time with
//! `openat(O_NOFOLLOW | O_DIRECTORY)`; when a component is a symlink, its target is resolved by us
//! as if the root were `/` (absolute targets restart at the root, `..` stops at the root), exactly
//! what `openat2(RESOLVE_IN_ROOT)` does, and the walk restarts. The final component is always
//! created with `O_EXCL`/`O_NOFOLLOW` or an `*at` call that does not follow links. Nothing ever
//! resolves a path string against the host, so a symlink swapped in by a concurrent writer only
//! ever leads to another place inside the root. This walk was chosen over `openat2` itself because
//! it must also *create* missing parents at each step, which `openat2` cannot do, and one
//! mechanism for both is easier to trust than two.
//!
//! What happens to each kind of hostile entry (numbers are the security catalogue's cases):
//! - `..` that would climb above the root: an error naming the entry (1), unless the whole name
//!   collapses to the root itself, which is ignored, never replaced (8). A leading `/` is dropped (2).
//! - Symlinks are written as they are; writes through them resolve inside the root (3, 9, 11).
//! - An existing entry is unlinked (a directory removed recursively, without following links)
//!   before a non-directory of the same name is created (4).
//! - Hardlink targets resolve inside the root and are linked without following a final symlink;
//!   no metadata is applied through a hardlink (5, 6, 7). A later entry of the same name
//!   replaces a file instead of writing into it (image-spec, "Changeset over existing files"), so
//!   a hardlink made before keeps the old content, as Docker's unpack and GNU tar leave it and as
//!   a container sees it (24).
//! - `.wh.`, `.wh..`, `.wh...` are invalid whiteouts (10). Whiteouts and opaque markers hide
//!   what lower layers have, never this layer's own entries or the parents a tar reader makes for
//!   them, wherever they sit in the tar (12, image-spec "Whiteouts"). So a layer that whites out
//!   `d` and has a `d/` of its own, in either order, replaces the lower `d`: the new one is
//!   opaque (overlay mode) or holds only this layer's files (apply mode).
//! - Overlay mode: a whiteout becomes a 0/0 character device, an opaque directory gets
//!   `trusted.overlay.opaque=y` (13). Unprivileged, the kernel still allows 0/0 devices (Linux
//!   5.8 and later); `trusted.*` needs CAP_SYS_ADMIN, so the opaque mark is then
//!   `user.overlay.opaque=y`, which is what overlayfs reads when mounted with `userxattr`, as a
//!   rootless mount must be. If even the 0/0 device is refused, the whiteout is kept as an empty
//!   `.wh.<name>` file (the fuse-overlayfs form) and reported in [`UnpackStats::skipped`].
//! - Devices are created only when the kernel allows it, and skipped (reported) otherwise (14).
//! - setuid/setgid bits and `security.capability` are kept; the snapshot store is 0700 (15).
//!   Overlay's own xattrs (`trusted.overlay.*`, `user.overlay.*`) from the tar are dropped: only
//!   whiteout entries may decide what hides what.
//! - An xattr the filesystem refuses is skipped and reported, not fatal (16).
//! - A body shorter than its header says is an error (17); the caller removes the partial tree.
//! - Every header is read by the [`tar_guard`](super::tar_guard) before the tar crate sees it: a
//!   PAX or GNU long name/link header over [`MAX_SPECIAL_HEADER`] is refused before its body is
//!   read (18), and so is anything tar readers disagree on, such as a PAX path beside a different
//!   GNU long name (19). A PAX `size` overrides the ustar size of the next entry only, as in GNU
//!   tar. A name longer than the filesystem allows is [`UnpackError::NameTooLong`] (18).
//! - Decompressed bytes are counted against [`UnpackOptions::max_bytes`] (20); a zstd frame that
//!   asks for a window over [`MAX_ZSTD_WINDOW`] is refused before any of it is decoded.
//! - The sha256 of the uncompressed stream is the layer's diff ID, checked by the caller (21).
//! - Work is linear: each entry walks only its own path, and each directory is cleared of lower
//!   files at most once, however many markers name it or its parents (22).

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, BufRead, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::tar_guard::TarGuard;
pub use super::tar_guard::{MAX_SPECIAL_HEADER, SpecialHeader, TarHeaderError};
use layerlab_core::digest::{Digest, Hasher};
use rustix::fs::{AtFlags, FileType, Mode, OFlags, Timestamps, XattrFlags};
use rustix::io::Errno;

/// The most symlinks one path may pass through, as Linux's own limit.
const MAX_SYMLINK_HOPS: usize = 40;
/// The deepest path accepted. Real images stay far below it; it bounds the recursion of
/// directory removal and the work of resolving one name.
const MAX_DEPTH: usize = 1024;

/// How a layer blob is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Plain,
    Gzip,
    Zstd,
    /// Look at the first bytes (gzip and zstd have magic numbers; anything else is a plain tar).
    Detect,
}

impl Compression {
    /// The compression a layer media type names (`…tar+gzip`, `…tar.gzip`, `…tar+zstd`, `…tar`).
    /// Unknown types are detected from the bytes.
    pub fn from_media_type(media_type: &str) -> Self {
        if media_type.ends_with("gzip") {
            Compression::Gzip
        } else if media_type.ends_with("zstd") {
            Compression::Zstd
        } else if media_type.ends_with(".tar") || media_type.ends_with("tar.v1") {
            Compression::Plain
        } else {
            Compression::Detect
        }
    }
}

/// What a whiteout in the tar turns into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhiteoutMode {
    /// The tree is one layer's own directory, an overlayfs lower or upper dir: whiteouts become
    /// 0/0 devices and opaque xattrs, and hide only what is below.
    Overlay,
    /// The tree already holds the layers below: whiteouts delete, opaque markers empty the
    /// directory (except what this layer put there).
    Apply,
}

/// Limits and behaviour of one unpack.
#[derive(Debug, Clone)]
pub struct UnpackOptions {
    pub compression: Compression,
    pub whiteouts: WhiteoutMode,
    /// Decompressed bytes allowed for this layer, against gzip and zstd bombs.
    pub max_bytes: u64,
}

impl Default for UnpackOptions {
    fn default() -> Self {
        Self {
            compression: Compression::Detect,
            whiteouts: WhiteoutMode::Overlay,
            max_bytes: 64 << 30,
        }
    }
}

/// Why an entry (or part of one) was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// The name collapses to the root, which a layer may not replace.
    ResolvesToRoot,
    /// Creating a device node is not allowed here (e.g. inside a user namespace).
    DeviceNotPermitted,
    /// The filesystem refused an extended attribute.
    XattrRefused { name: String },
    /// A whiteout was stored as an empty `.wh.<name>` file because 0/0 devices are refused.
    WhiteoutAsFile,
    /// The opaque mark was stored as `user.overlay.opaque` (unprivileged overlay, `userxattr`).
    OpaqueAsUserXattr,
}

/// One thing left out, with the entry's name as the tar spells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: String,
    pub reason: SkipReason,
}

/// What an unpack did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpackStats {
    /// sha256 of the uncompressed tar: the layer's diff ID.
    pub diff_id: Digest,
    /// Length of the uncompressed tar.
    pub tar_bytes: u64,
    /// Docker's layer size: file lengths plus symlink target lengths, hardlinks once.
    pub content_bytes: u64,
    pub entries: u64,
    pub whiteouts: u64,
    /// False when file owners could not be set (not root, or ids not mapped).
    pub ownership_kept: bool,
    pub skipped: Vec<Skipped>,
}

/// Why a layer could not be unpacked. The partially written tree must be discarded.
#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    #[error("{action} {:?}: {source}", elide(.path))]
    Io {
        action: &'static str,
        path: String,
        source: io::Error,
    },
    #[error("reading the layer ({compression}) failed: {source}")]
    Stream {
        compression: &'static str,
        source: io::Error,
    },
    #[error("{:?} is outside of the layer root: refusing the layer", elide(.path))]
    Breakout { path: String },
    #[error(
        "invalid hardlink {:?} -> {:?}: the target is outside the layer root or missing",
        elide(.path),
        elide(.target)
    )]
    InvalidHardlink { path: String, target: String },
    #[error("invalid whiteout {:?}: it names no file in its directory", elide(.path))]
    InvalidWhiteout { path: String },
    #[error("{:?}: a parent is not a directory", elide(.path))]
    NotADirectory { path: String },
    #[error("{:?}: too many levels of symbolic links or directories", elide(.path))]
    TooDeep { path: String },
    #[error("file {} incomplete: expect {expected} bytes wrote {actual}", elide(.path))]
    Incomplete {
        path: String,
        expected: u64,
        actual: u64,
    },
    #[error("the layer expands to more than {limit} bytes; refusing it (decompression bomb?)")]
    TooLarge { limit: u64 },
    #[error("unsupported tar entry type {kind} for {:?}", elide(.path))]
    UnsupportedEntry { path: String, kind: u8 },
    #[error(
        "the layer's zstd frame asks for a {window}-byte window, more than the {limit} allowed; refusing it (a layer made with a smaller window, e.g. zstd --long=26 or less, is accepted)"
    )]
    ZstdWindow { window: u64, limit: u64 },
    #[error(
        "the {kind} at byte {offset} of the layer's tar declares {size} bytes, more than the {limit} allowed for one; refusing it"
    )]
    SpecialHeaderTooLarge {
        kind: SpecialHeader,
        size: u64,
        limit: u64,
        offset: u64,
    },
    #[error("the tar header at byte {offset} of the layer is refused: {reason}")]
    BadTarHeader { offset: u64, reason: TarHeaderError },
    #[error(
        "{action} {:?}: file name too long (a part of a name may have at most 255 bytes, a link target 4095; this name is {len} bytes)",
        elide(.path)
    )]
    NameTooLong {
        action: &'static str,
        path: String,
        len: usize,
    },
}

/// The largest window a zstd layer may ask for: the decoder keeps that much of the output in
/// memory, so a hostile frame could otherwise claim gigabytes (catalogue case 20).
pub const MAX_ZSTD_WINDOW: u64 = 64 << 20;

/// Reads the header of the zstd frame at the start of `blob` and returns its bytes and the window
/// it asks for (RFC 8878, 3.1.1.1): the decoder is then given the same bytes again. `None` for a
/// stream that does not start with a zstd frame, which the decoder refuses itself.
fn zstd_header(blob: &mut impl Read) -> io::Result<(Vec<u8>, Option<u64>)> {
    let mut head = vec![0u8; 5];
    blob.read_exact(&mut head)?;
    let (Some(magic), Some(&descriptor)) = (head.get(..4), head.get(4)) else {
        return Ok((head, None));
    };
    if magic != [0x28, 0xb5, 0x2f, 0xfd] {
        return Ok((head, None));
    }
    let single_segment = descriptor & 0x20 != 0;
    let dictionary_len = [0, 1, 2, 4][usize::from(descriptor & 0x03)];
    let content_len = match descriptor >> 6 {
        0 if single_segment => 1,
        0 => 0,
        1 => 2,
        2 => 4,
        _ => 8,
    };
    let window_len = usize::from(!single_segment);
    let mut rest = vec![0u8; window_len + dictionary_len + content_len];
    blob.read_exact(&mut rest)?;
    head.extend_from_slice(&rest);
    let window = if single_segment {
        // The window is the whole content, whose size follows the dictionary ID.
        let field = rest.get(dictionary_len..).unwrap_or_default();
        let size = field.iter().rev().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        if content_len == 2 { size + 256 } else { size }
    } else {
        let descriptor = rest.first().copied().unwrap_or_default();
        let log = 10 + u32::from(descriptor >> 3);
        let base = 1u64 << log;
        base + (base / 8) * u64::from(descriptor & 0x07)
    };
    Ok((head, Some(window)))
}

type Result<T> = std::result::Result<T, UnpackError>;

/// Marks the budget error inside the `io::Error` that tar and the decoders pass along.
#[derive(Debug)]
struct BudgetExceeded;
impl std::fmt::Display for BudgetExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("decompressed-byte budget exceeded")
    }
}
impl std::error::Error for BudgetExceeded {}

/// Hashes and counts the uncompressed stream, and stops it at the budget.
struct Measured<R> {
    inner: R,
    hasher: Hasher,
    count: u64,
    limit: u64,
}

impl<R: Read> Read for Measured<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count = self.count.saturating_add(n as u64);
        if self.count > self.limit {
            return Err(io::Error::other(BudgetExceeded));
        }
        self.hasher.update(buf.get(..n).unwrap_or_default());
        Ok(n)
    }
}

fn is_budget(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|i| i.is::<BudgetExceeded>())
}

/// Unpacks the layer `blob` into the existing directory `root`. The blob is read through its
/// own buffer (a `BufReader` over a file, or the chunks of a download) and decompressed straight
/// from there: another buffer in between would only copy every byte once more.
pub fn unpack(blob: impl BufRead, root: &Path, opts: &UnpackOptions) -> Result<UnpackStats> {
    unpack_counting(blob, root, opts).map(|(stats, _)| stats)
}

/// [`unpack`], also returning how much directory work it did.
fn unpack_counting(mut blob: impl BufRead, root: &Path, opts: &UnpackOptions) -> Result<(UnpackStats, Work)> {
    let compression = match opts.compression {
        Compression::Detect => {
            let head = blob.fill_buf().map_err(|source| UnpackError::Io {
                action: "read",
                path: "<layer>".into(),
                source,
            })?;
            if head.starts_with(&[0x1f, 0x8b]) {
                Compression::Gzip
            } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
                Compression::Zstd
            } else {
                Compression::Plain
            }
        }
        c => c,
    };
    let (name, decoder): (&'static str, Box<dyn Read + '_>) = match compression {
        Compression::Gzip => ("gzip", Box::new(flate2::bufread::MultiGzDecoder::new(blob))),
        Compression::Zstd => {
            let stream = |source| UnpackError::Stream {
                compression: "zstd",
                source,
            };
            let (head, window) = zstd_header(&mut blob).map_err(stream)?;
            if let Some(window) = window.filter(|w| *w > MAX_ZSTD_WINDOW) {
                return Err(UnpackError::ZstdWindow {
                    window,
                    limit: MAX_ZSTD_WINDOW,
                });
            }
            let d = ruzstd::decoding::StreamingDecoder::new(io::Cursor::new(head).chain(blob))
                .map_err(|e| stream(io::Error::other(e.to_string())))?;
            ("zstd", Box::new(d))
        }
        Compression::Plain | Compression::Detect => ("tar", Box::new(blob)),
    };
    let measured = Measured {
        inner: decoder,
        hasher: Hasher::new(),
        count: 0,
        limit: opts.max_bytes,
    };
    let root_fd = rustix::fs::open(
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| UnpackError::Io {
        action: "open",
        path: root.display().to_string(),
        source: e.into(),
    })?;

    let stream_err = |e: io::Error| -> UnpackError {
        // The tar guard's refusals pass through the tar crate inside an io::Error.
        let e = match e.downcast::<UnpackError>() {
            Ok(refused) => return refused,
            Err(e) => e,
        };
        if is_budget(&e) {
            UnpackError::TooLarge {
                limit: opts.max_bytes,
            }
        } else {
            UnpackError::Stream {
                compression: name,
                source: e,
            }
        }
    };

    let root_id = dir_id(&root_fd, &root.display().to_string())?;
    let mut applier = Applier {
        root: root_fd,
        root_id,
        mode: opts.whiteouts,
        privileged: rustix::process::geteuid().is_root(),
        created: HashSet::new(),
        whited: HashSet::new(),
        cleared: HashSet::new(),
        work: Work::default(),
        dir_times: Vec::new(),
        stats: UnpackStats {
            diff_id: Digest::of(b""),
            tar_bytes: 0,
            content_bytes: 0,
            entries: 0,
            whiteouts: 0,
            ownership_kept: true,
            skipped: Vec::new(),
        },
    };
    let mut archive = tar::Archive::new(TarGuard::new(measured));
    for entry in archive.entries().map_err(stream_err)? {
        let entry = entry.map_err(stream_err)?;
        applier.entry(entry, &stream_err)?;
    }
    // The diff ID covers the whole uncompressed stream, padding after the end marker included.
    let mut measured = archive.into_inner().into_inner();
    io::copy(&mut measured, &mut io::sink()).map_err(stream_err)?;
    applier.finish_dir_times()?;
    applier.stats.tar_bytes = measured.count;
    applier.stats.diff_id = measured.hasher.finish();
    Ok((applier.stats, applier.work))
}

/// A tar name split into its components inside the root.
enum Clean {
    /// Components from the root down (never empty).
    Path(Vec<OsString>),
    /// The name is the root itself (`.`, `/`, `..`, or `a/..`).
    Root,
}

/// Lexically cleans a tar name. `..` that climbs above the root is an error unless the whole name
/// ends at the root (catalogue cases 1 and 8).
fn clean(name: &[u8], display: &str) -> Result<Clean> {
    let mut out: Vec<OsString> = Vec::new();
    let mut escaped = false;
    for part in name.split(|b| *b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                if out.pop().is_none() {
                    escaped = true;
                }
            }
            p => out.push(OsStr::from_bytes(p).to_owned()),
        }
    }
    if out.is_empty() {
        return Ok(Clean::Root);
    }
    if escaped {
        return Err(UnpackError::Breakout {
            path: display.to_owned(),
        });
    }
    if out.len() > MAX_DEPTH {
        return Err(UnpackError::TooDeep {
            path: display.to_owned(),
        });
    }
    Ok(Clean::Path(out))
}

/// Identity of a name in a directory: (device, inode of the directory, name).
type Slot = (u64, u64, OsString);

/// The directory work of one unpack, counted so that tests can check it grows with the layer
/// and no faster (catalogue case 22) without timing anything.
#[derive(Debug, Default, Clone, Copy)]
struct Work {
    /// Path components opened to reach entries' parent directories.
    steps: u64,
    /// Directories listed, to hide lower layers' files or to remove a replaced directory.
    listings: u64,
}

/// The AUFS form of a whiteout, an empty `.wh.<name>` file (what fuse-overlayfs reads), used
/// where 0/0 devices are refused.
fn aufs_whiteout(name: &OsStr) -> Vec<u8> {
    [b".wh.", name.as_bytes()].concat()
}

struct Applier {
    root: OwnedFd,
    root_id: (u64, u64),
    mode: WhiteoutMode,
    privileged: bool,
    /// Names this layer created (with the directories on the way to them), so that its own
    /// whiteouts and opaque markers leave them alone.
    created: HashSet<Slot>,
    /// Overlay mode: names this layer whited out. An entry made there later in the layer
    /// replaces the lower one itself; a directory is then made opaque.
    whited: HashSet<Slot>,
    /// Apply mode: directories that hold only this layer's entries now (each is pruned once,
    /// catalogue case 22).
    cleared: HashSet<(u64, u64)>,
    work: Work,
    /// Directory mtimes are set last: creating entries inside a directory changes its mtime.
    dir_times: Vec<(Vec<OsString>, i64)>,
    stats: UnpackStats,
}

fn io_at<'a>(action: &'static str, path: &'a str) -> impl FnOnce(Errno) -> UnpackError + 'a {
    move |e| {
        if e == Errno::NAMETOOLONG {
            UnpackError::NameTooLong {
                action,
                path: path.to_owned(),
                len: path.len(),
            }
        } else {
            UnpackError::Io {
                action,
                path: path.to_owned(),
                source: e.into(),
            }
        }
    }
}

/// A name as error messages show it. Names from a tar may be a megabyte long (a PAX path), so a
/// long one shows only its first and last 60 characters, enough to recognise it. `{}` prints it
/// bare, `{:?}` quoted and escaped.
pub(crate) fn elide(name: &str) -> Elided<'_> {
    Elided(name)
}

/// See [`elide`].
pub(crate) struct Elided<'a>(&'a str);

impl Elided<'_> {
    const KEEP: usize = 60;

    /// The head and tail of the name, or `None` when it is short enough to show whole.
    fn parts(&self) -> Option<(&str, &str)> {
        let mut starts = self.0.char_indices().map(|(i, _)| i);
        let head_end = starts.nth(Self::KEEP)?;
        let chars = Self::KEEP + 1 + starts.count();
        // Eliding fewer than ten characters would save nothing.
        if chars <= 2 * Self::KEEP + 10 {
            return None;
        }
        let tail_start = self.0.char_indices().nth(chars - Self::KEEP).map(|(i, _)| i)?;
        Some((self.0.get(..head_end)?, self.0.get(tail_start..)?))
    }
}

impl std::fmt::Display for Elided<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.parts() {
            Some((head, tail)) => write!(f, "{head}…{tail}"),
            None => f.write_str(self.0),
        }
    }
}

impl std::fmt::Debug for Elided<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.parts() {
            Some((head, tail)) => write!(f, "{head:?}…{tail:?}"),
            None => write!(f, "{:?}", self.0),
        }
    }
}

fn dir_id(fd: impl AsFd, path: &str) -> Result<(u64, u64)> {
    let st = rustix::fs::fstat(fd).map_err(io_at("stat", path))?;
    Ok((st.st_dev, st.st_ino))
}

impl Applier {
    fn entry<R: Read>(
        &mut self,
        mut entry: tar::Entry<'_, R>,
        stream_err: &dyn Fn(io::Error) -> UnpackError,
    ) -> Result<()> {
        self.stats.entries += 1;
        let header = entry.header().clone();
        let mut kind = header.entry_type();
        // A global header's name is no file (libarchive names it `/tmp/GlobalHead.<pid>.<n>`):
        // walking it would create its parent directories in the layer. The tar guard has checked
        // that its records change nothing layerlab reads.
        if matches!(kind, tar::EntryType::XGlobalHeader) {
            return Ok(());
        }
        let raw_path = entry.path_bytes().into_owned();
        let display = String::from_utf8_lossy(&raw_path).into_owned();
        // Old tars wrote directories as files named with a trailing `/`, and GNU tar still reads
        // them so (the tar guard has made sure they carry no data).
        if (kind.is_file() || kind.is_contiguous()) && raw_path.ends_with(b"/") {
            kind = tar::EntryType::Directory;
        }
        let comps = match clean(&raw_path, &display)? {
            Clean::Root => {
                if !kind.is_dir() {
                    self.stats.skipped.push(Skipped {
                        path: display,
                        reason: SkipReason::ResolvesToRoot,
                    });
                }
                return Ok(());
            }
            Clean::Path(c) => c,
        };
        let Some((name, parents)) = comps.split_last() else {
            return Ok(());
        };
        let name = name.clone();
        let (parent, parent_id) = self.walk(parents, true, &display)?;

        // Whiteouts first: their names are instructions, not files.
        if let Some(hidden) = name.as_bytes().strip_prefix(b".wh.") {
            return self.whiteout(&parent, parent_id, hidden, &display);
        }

        let old = header.as_old();
        let mode = Mode::from_raw_mode(blank_is_zero(header.mode(), &old.mode).map_err(stream_err)? & 0o7777);
        let uid = blank_is_zero(header.uid(), &old.uid).map_err(stream_err)?;
        let gid = blank_is_zero(header.gid(), &old.gid).map_err(stream_err)?;
        let mtime = i64::try_from(header.mtime().unwrap_or(0)).unwrap_or(i64::MAX);
        let xattrs = pax_xattrs(&mut entry).map_err(stream_err)?;

        let slot: Slot = (parent_id.0, parent_id.1, name.clone());
        if kind.is_dir() {
            self.clear_slot(&parent, &name, true, &display)?;
            match rustix::fs::mkdirat(&parent, &name, Mode::from_raw_mode(0o700)) {
                Ok(()) | Err(Errno::EXIST) => {}
                Err(e) => return Err(io_at("mkdir", &display)(e)),
            }
            let fd = rustix::fs::openat(
                &parent,
                &name,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(io_at("open", &display))?;
            self.owner_mode_xattrs(&fd, uid, gid, mode, &xattrs, &display)?;
            self.reuse_whited(&parent, &slot, Some(&fd), &display)?;
            self.dir_times.push((comps.clone(), mtime));
        } else if kind.is_file() || kind.is_contiguous() || kind.is_gnu_sparse() {
            self.clear_slot(&parent, &name, false, &display)?;
            let fd = rustix::fs::openat(
                &parent,
                &name,
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o600),
            )
            .map_err(io_at("create", &display))?;
            let mut file = File::from(fd);
            let expected = entry.size();
            let actual = copy_body(&mut entry, &mut file).map_err(|e| match e {
                CopyError::Read(e) => stream_err(e),
                CopyError::Write(source) => UnpackError::Io {
                    action: "write",
                    path: display.clone(),
                    source,
                },
            })?;
            if actual != expected {
                return Err(UnpackError::Incomplete {
                    path: display,
                    expected,
                    actual,
                });
            }
            self.owner_mode_xattrs(file.as_fd(), uid, gid, mode, &xattrs, &display)?;
            rustix::fs::futimens(&file, &times(mtime)).map_err(io_at("set times on", &display))?;
            self.stats.content_bytes = self.stats.content_bytes.saturating_add(expected);
        } else if kind.is_symlink() {
            let target = entry
                .link_name_bytes()
                .map(|t| t.into_owned())
                .unwrap_or_default();
            self.clear_slot(&parent, &name, false, &display)?;
            rustix::fs::symlinkat(OsStr::from_bytes(&target), &parent, &name)
                .map_err(io_at("symlink", &display))?;
            if self.privileged {
                self.chown_at(&parent, &name, uid, gid, &display)?;
            }
            // Best effort: some filesystems keep no symlink times, and nothing reads them.
            let _ = rustix::fs::utimensat(&parent, &name, &times(mtime), AtFlags::SYMLINK_NOFOLLOW);
            self.stats.content_bytes = self.stats.content_bytes.saturating_add(target.len() as u64);
        } else if kind.is_hard_link() {
            let target = entry
                .link_name_bytes()
                .map(|t| t.into_owned())
                .unwrap_or_default();
            let target_display = String::from_utf8_lossy(&target).into_owned();
            let invalid = || UnpackError::InvalidHardlink {
                path: display.clone(),
                target: target_display.clone(),
            };
            let Clean::Path(tcomps) = clean(&target, &target_display).map_err(|_| invalid())? else {
                return Err(invalid());
            };
            let Some((tname, tparents)) = tcomps.split_last() else {
                return Err(invalid());
            };
            let (tparent, _) = self
                .walk(tparents, false, &target_display)
                .map_err(|_| invalid())?;
            self.clear_slot(&parent, &name, false, &display)?;
            // No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink, never what it points at.
            rustix::fs::linkat(&tparent, tname, &parent, &name, AtFlags::empty()).map_err(|_| invalid())?;
        } else if kind.is_character_special() || kind.is_block_special() || kind.is_fifo() {
            self.clear_slot(&parent, &name, false, &display)?;
            let ft = if kind.is_fifo() {
                FileType::Fifo
            } else if kind.is_character_special() {
                FileType::CharacterDevice
            } else {
                FileType::BlockDevice
            };
            let dev = rustix::fs::makedev(
                header.device_major().ok().flatten().unwrap_or(0),
                header.device_minor().ok().flatten().unwrap_or(0),
            );
            match rustix::fs::mknodat(&parent, &name, ft, Mode::from_raw_mode(0o600), dev) {
                Ok(()) => {
                    if self.privileged {
                        self.chown_at(&parent, &name, uid, gid, &display)?;
                    }
                    // chmodat follows a symlink at the name, but the node was made an instant
                    // ago in a tree only this unpack writes (the umask cut its mode bits).
                    rustix::fs::chmodat(&parent, &name, mode, AtFlags::empty())
                        .map_err(io_at("chmod", &display))?;
                }
                Err(Errno::PERM) | Err(Errno::ACCESS) if !kind.is_fifo() => {
                    self.stats.skipped.push(Skipped {
                        path: display,
                        reason: SkipReason::DeviceNotPermitted,
                    });
                    return Ok(());
                }
                Err(e) => return Err(io_at("mknod", &display)(e)),
            }
        } else {
            return Err(UnpackError::UnsupportedEntry {
                path: display,
                kind: kind.as_byte(),
            });
        }
        self.reuse_whited(&parent, &slot, None, &display)?;
        self.created.insert(slot);
        Ok(())
    }

    /// Opens the directory `comps` below the root, resolving symlinks inside the root, and
    /// returns it with its identity. When `create` (the parents of an entry), missing directories
    /// are made and every directory passed is recorded as this layer's: a tar reader makes an
    /// entry's parents, so they are as much part of the layer as the entry (an opaque marker or
    /// whiteout later in the layer must leave them).
    fn walk(&mut self, comps: &[OsString], create: bool, display: &str) -> Result<(OwnedFd, (u64, u64))> {
        let mut path: Vec<OsString> = comps.to_vec();
        let mut hops = 0;
        'restart: loop {
            let mut cur = rustix::fs::openat(
                &self.root,
                ".",
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(io_at("open", display))?;
            let mut cur_id = self.root_id;
            for i in 0..path.len() {
                let Some(c) = path.get(i).cloned() else { break };
                self.work.steps += 1;
                let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
                let next = match rustix::fs::openat(&cur, &c, flags, Mode::empty()) {
                    Ok(fd) => fd,
                    Err(Errno::NOENT) if create => {
                        match rustix::fs::mkdirat(&cur, &c, Mode::from_raw_mode(0o755)) {
                            Ok(()) | Err(Errno::EXIST) => {}
                            Err(e) => return Err(io_at("mkdir", display)(e)),
                        }
                        // Open it like any other: if a symlink appeared meanwhile it is resolved
                        // in-root on the next round.
                        match rustix::fs::openat(&cur, &c, flags, Mode::empty()) {
                            Ok(fd) => {
                                let slot = (cur_id.0, cur_id.1, c.clone());
                                self.reuse_whited(&cur, &slot, Some(&fd), display)?;
                                fd
                            }
                            Err(Errno::LOOP) | Err(Errno::NOTDIR) => {
                                hops += 1;
                                if hops > MAX_SYMLINK_HOPS {
                                    return Err(UnpackError::TooDeep {
                                        path: display.to_owned(),
                                    });
                                }
                                continue 'restart;
                            }
                            Err(e) => return Err(io_at("open", display)(e)),
                        }
                    }
                    Err(Errno::LOOP) | Err(Errno::NOTDIR) => {
                        let st = rustix::fs::statat(&cur, &c, AtFlags::SYMLINK_NOFOLLOW)
                            .map_err(io_at("stat", display))?;
                        let slot = (cur_id.0, cur_id.1, c.clone());
                        let kind = FileType::from_raw_mode(st.st_mode);
                        if create && kind == FileType::CharacterDevice && self.whited.contains(&slot) {
                            // This layer's own whiteout, and the layer now puts files below the
                            // name: a new directory replaces the lower one.
                            self.clear_slot(&cur, &c, false, display)?;
                            rustix::fs::mkdirat(&cur, &c, Mode::from_raw_mode(0o755))
                                .map_err(io_at("mkdir", display))?;
                            let fd = rustix::fs::openat(&cur, &c, flags, Mode::empty())
                                .map_err(io_at("open", display))?;
                            self.reuse_whited(&cur, &slot, Some(&fd), display)?;
                            fd
                        } else if kind != FileType::Symlink {
                            return Err(UnpackError::NotADirectory {
                                path: display.to_owned(),
                            });
                        } else {
                            hops += 1;
                            if hops > MAX_SYMLINK_HOPS {
                                return Err(UnpackError::TooDeep {
                                    path: display.to_owned(),
                                });
                            }
                            let target = rustix::fs::readlinkat(&cur, &c, Vec::new())
                                .map_err(io_at("readlink", display))?;
                            let target = target.as_bytes();
                            // Resolve the link as if the root were `/`: absolute targets start at
                            // the root and `..` never climbs above it (what RESOLVE_IN_ROOT does).
                            let mut next: Vec<OsString> = if target.starts_with(b"/") {
                                Vec::new()
                            } else {
                                path.get(..i).unwrap_or_default().to_vec()
                            };
                            for part in target.split(|b| *b == b'/') {
                                match part {
                                    b"" | b"." => {}
                                    b".." => {
                                        next.pop();
                                    }
                                    p => next.push(OsStr::from_bytes(p).to_owned()),
                                }
                            }
                            next.extend(path.get(i + 1..).unwrap_or_default().iter().cloned());
                            if next.len() > MAX_DEPTH {
                                return Err(UnpackError::TooDeep {
                                    path: display.to_owned(),
                                });
                            }
                            path = next;
                            continue 'restart;
                        }
                    }
                    Err(e) => return Err(io_at("open", display)(e)),
                };
                if create {
                    self.created.insert((cur_id.0, cur_id.1, c));
                }
                cur = next;
                if create || i + 1 == path.len() {
                    cur_id = dir_id(&cur, display)?;
                }
            }
            return Ok((cur, cur_id));
        }
    }

    /// Makes room for a new entry called `name`: an existing directory stays when a directory is
    /// coming; anything else there is removed without following links.
    fn clear_slot(&mut self, parent: &OwnedFd, name: &OsStr, keep_dir: bool, display: &str) -> Result<()> {
        match rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW) {
            Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(io_at("stat", display)(e)),
            Ok(st) => {
                if FileType::from_raw_mode(st.st_mode) == FileType::Directory {
                    if keep_dir {
                        return Ok(());
                    }
                    remove_all_at(parent, name, 0, &mut self.work.listings).map_err(io_at("remove", display))
                } else {
                    rustix::fs::unlinkat(parent, name, AtFlags::empty()).map_err(io_at("remove", display))
                }
            }
        }
    }

    fn whiteout(
        &mut self,
        parent: &OwnedFd,
        parent_id: (u64, u64),
        hidden: &[u8],
        display: &str,
    ) -> Result<()> {
        self.stats.whiteouts += 1;
        if hidden == b".wh..opq" {
            return self.hide_lower(parent, parent_id, display);
        }
        if hidden.starts_with(b".wh.") {
            // Other `.wh..wh.` names are AUFS bookkeeping (hardlink stores), not whiteouts.
            return Ok(());
        }
        if hidden.is_empty() || hidden == b"." || hidden == b".." {
            return Err(UnpackError::InvalidWhiteout {
                path: display.to_owned(),
            });
        }
        let hidden = OsStr::from_bytes(hidden);
        let slot: Slot = (parent_id.0, parent_id.1, hidden.to_owned());
        if self.created.contains(&slot) {
            // A whiteout hides lower layers only; this layer's own entry stays (image-spec
            // layer.md: "Files that are present in the same layer as a whiteout file can only be
            // hidden by whiteout files in subsequent layers"). A file already replaces the lower
            // entry; a directory would merge with the lower one, so it hides what that held.
            let dir = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            return match rustix::fs::openat(parent, hidden, dir, Mode::empty()) {
                Ok(fd) => {
                    let id = dir_id(&fd, display)?;
                    self.hide_lower(&fd, id, display)
                }
                Err(Errno::NOTDIR) | Err(Errno::LOOP) | Err(Errno::NOENT) => Ok(()),
                Err(e) => Err(io_at("open", display)(e)),
            };
        }
        match self.mode {
            WhiteoutMode::Apply => self.clear_slot(parent, hidden, false, display),
            WhiteoutMode::Overlay => {
                self.clear_slot(parent, hidden, false, display)?;
                self.whited.insert(slot);
                match rustix::fs::mknodat(
                    parent,
                    hidden,
                    FileType::CharacterDevice,
                    Mode::empty(),
                    rustix::fs::makedev(0, 0),
                ) {
                    Ok(()) => Ok(()),
                    Err(Errno::PERM) | Err(Errno::ACCESS) => {
                        rustix::fs::openat(
                            parent,
                            OsStr::from_bytes(&aufs_whiteout(hidden)),
                            OFlags::WRONLY
                                | OFlags::CREATE
                                | OFlags::EXCL
                                | OFlags::NOFOLLOW
                                | OFlags::CLOEXEC,
                            Mode::from_raw_mode(0o600),
                        )
                        .map_err(io_at("create whiteout", display))?;
                        self.stats.skipped.push(Skipped {
                            path: display.to_owned(),
                            reason: SkipReason::WhiteoutAsFile,
                        });
                        Ok(())
                    }
                    Err(e) => Err(io_at("mknod whiteout", display)(e)),
                }
            }
        }
    }

    /// Hides everything lower layers have in the directory `dir`, keeping what this layer put
    /// there: an opaque marker, or a whiteout of a directory this layer made.
    fn hide_lower(&mut self, dir: &OwnedFd, id: (u64, u64), display: &str) -> Result<()> {
        match self.mode {
            WhiteoutMode::Overlay => self.mark_opaque(dir, display),
            WhiteoutMode::Apply => self.prune(dir, id, 0, display),
        }
    }

    /// Apply mode: removes what is in `dir` and not this layer's, and does the same inside this
    /// layer's directories, which may have merged with lower ones: the image-spec's opaque
    /// marker hides "all descendants" of the lower directory. Each directory is listed once per
    /// layer, however many markers name it (catalogue case 22): once pruned it holds only this
    /// layer's entries, and every later one is this layer's too.
    fn prune(&mut self, dir: &OwnedFd, id: (u64, u64), depth: usize, display: &str) -> Result<()> {
        if !self.cleared.insert(id) {
            return Ok(());
        }
        if depth > MAX_DEPTH {
            return Err(UnpackError::TooDeep {
                path: display.to_owned(),
            });
        }
        self.work.listings += 1;
        let mut names = Vec::new();
        for e in rustix::fs::Dir::read_from(dir).map_err(io_at("list", display))? {
            let e = e.map_err(io_at("list", display))?;
            let n = OsStr::from_bytes(e.file_name().to_bytes()).to_owned();
            if n != "." && n != ".." {
                names.push(n);
            }
        }
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        for n in names {
            let slot = (id.0, id.1, n);
            if !self.created.contains(&slot) {
                self.clear_slot(dir, &slot.2, false, display)?;
                continue;
            }
            match rustix::fs::openat(dir, &slot.2, flags, Mode::empty()) {
                Ok(sub) => {
                    let sub_id = dir_id(&sub, display)?;
                    self.prune(&sub, sub_id, depth + 1, display)?;
                }
                Err(Errno::NOTDIR) | Err(Errno::LOOP) => {}
                Err(e) => return Err(io_at("open", display)(e)),
            }
        }
        Ok(())
    }

    /// Overlay mode: marks `dir` opaque, so overlayfs shows nothing of the lower layers in it.
    fn mark_opaque(&mut self, dir: &OwnedFd, display: &str) -> Result<()> {
        match rustix::fs::fsetxattr(dir, "trusted.overlay.opaque", b"y", XattrFlags::empty()) {
            Ok(()) => Ok(()),
            Err(Errno::PERM) | Err(Errno::NOTSUP) | Err(Errno::ACCESS) => {
                rustix::fs::fsetxattr(dir, "user.overlay.opaque", b"y", XattrFlags::empty())
                    .map_err(io_at("mark opaque", display))?;
                self.stats.skipped.push(Skipped {
                    path: display.to_owned(),
                    reason: SkipReason::OpaqueAsUserXattr,
                });
                Ok(())
            }
            Err(e) => Err(io_at("mark opaque", display)(e)),
        }
    }

    /// Overlay mode: this layer whited out `slot` and now makes an entry of that name. The entry
    /// replaces the lower one by itself, so the fallback `.wh.<name>` file goes; a directory
    /// (`dir`) is made opaque, or the lower directory's files would show through it.
    fn reuse_whited(
        &mut self,
        parent: &OwnedFd,
        slot: &Slot,
        dir: Option<&OwnedFd>,
        display: &str,
    ) -> Result<()> {
        if !self.whited.remove(slot) {
            return Ok(());
        }
        let aufs = aufs_whiteout(&slot.2);
        match rustix::fs::unlinkat(parent, OsStr::from_bytes(&aufs), AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => {}
            Err(e) => return Err(io_at("remove", display)(e)),
        }
        match dir {
            Some(dir) => self.mark_opaque(dir, display),
            None => Ok(()),
        }
    }

    fn chown_at(&mut self, parent: &OwnedFd, name: &OsStr, uid: u64, gid: u64, display: &str) -> Result<()> {
        let (Ok(u), Ok(g)) = (u32::try_from(uid), u32::try_from(gid)) else {
            self.stats.ownership_kept = false;
            return Ok(());
        };
        // -1 means "leave unchanged" to chown(2): an id of 2^32-1 cannot be set.
        if u == u32::MAX || g == u32::MAX {
            self.stats.ownership_kept = false;
            return Ok(());
        }
        let (uid, gid) = (rustix::fs::Uid::from_raw(u), rustix::fs::Gid::from_raw(g));
        match rustix::fs::chownat(parent, name, Some(uid), Some(gid), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(()) => Ok(()),
            Err(Errno::PERM) | Err(Errno::INVAL) => {
                self.stats.ownership_kept = false;
                Ok(())
            }
            Err(e) => Err(io_at("chown", display)(e)),
        }
    }

    fn owner_mode_xattrs(
        &mut self,
        fd: impl AsFd,
        uid: u64,
        gid: u64,
        mode: Mode,
        xattrs: &[(String, Vec<u8>)],
        display: &str,
    ) -> Result<()> {
        if self.privileged {
            match (u32::try_from(uid), u32::try_from(gid)) {
                (Ok(u), Ok(g)) if u != u32::MAX && g != u32::MAX => {
                    let (u, g) = (rustix::fs::Uid::from_raw(u), rustix::fs::Gid::from_raw(g));
                    match rustix::fs::fchown(&fd, Some(u), Some(g)) {
                        Ok(()) => {}
                        Err(Errno::PERM) | Err(Errno::INVAL) => self.stats.ownership_kept = false,
                        Err(e) => return Err(io_at("chown", display)(e)),
                    }
                }
                _ => self.stats.ownership_kept = false,
            }
        } else {
            self.stats.ownership_kept = false;
        }
        // After chown: chown clears setuid/setgid, and they must survive.
        rustix::fs::fchmod(&fd, mode).map_err(io_at("chmod", display))?;
        for (name, value) in xattrs {
            match rustix::fs::fsetxattr(&fd, name.as_str(), value, XattrFlags::empty()) {
                Ok(()) => {}
                Err(_) => self.stats.skipped.push(Skipped {
                    path: display.to_owned(),
                    reason: SkipReason::XattrRefused { name: name.clone() },
                }),
            }
        }
        Ok(())
    }

    fn finish_dir_times(&mut self) -> Result<()> {
        let dirs = std::mem::take(&mut self.dir_times);
        for (comps, mtime) in dirs.iter().rev() {
            let display = String::from_utf8_lossy(comps.join(OsStr::new("/")).as_bytes()).into_owned();
            // A later entry may have replaced the directory; then its time no longer matters.
            if let Ok((fd, _)) = self.walk(comps, false, &display) {
                let _ = rustix::fs::futimens(&fd, &times(*mtime));
            }
        }
        Ok(())
    }
}

/// An empty numeric field (all NULs or spaces) reads as 0, as Go's archive/tar and GNU tar read
/// it; some image builders leave owner fields empty. Anything else unparsable is an error.
fn blank_is_zero<T: Default>(parsed: io::Result<T>, raw: &[u8]) -> io::Result<T> {
    match parsed {
        Err(_) if raw.iter().all(|b| *b == 0 || *b == b' ') => Ok(T::default()),
        other => other,
    }
}

fn times(mtime: i64) -> Timestamps {
    let t = rustix::fs::Timespec {
        tv_sec: mtime,
        tv_nsec: 0,
    };
    Timestamps {
        last_access: t,
        last_modification: t,
    }
}

/// PAX `SCHILY.xattr.*` records, minus overlay's own attributes.
fn pax_xattrs<R: Read>(entry: &mut tar::Entry<'_, R>) -> io::Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    if let Some(exts) = entry.pax_extensions()? {
        for ext in exts {
            let ext = ext?;
            let Ok(key) = ext.key() else { continue };
            if let Some(name) = key.strip_prefix("SCHILY.xattr.") {
                if name.starts_with("trusted.overlay.") || name.starts_with("user.overlay.") {
                    continue;
                }
                out.push((name.to_owned(), ext.value_bytes().to_vec()));
            }
        }
    }
    Ok(out)
}

enum CopyError {
    Read(io::Error),
    Write(io::Error),
}

fn copy_body(from: &mut impl Read, to: &mut File) -> std::result::Result<u64, CopyError> {
    use std::io::Write;
    let mut buf = vec![0u8; 128 * 1024];
    let mut total = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        to.write_all(buf.get(..n).unwrap_or_default())
            .map_err(CopyError::Write)?;
        total += n as u64;
    }
}

/// Removes `name` in `parent` and everything below it, never following a symlink.
fn remove_all_at(
    parent: &OwnedFd,
    name: &OsStr,
    depth: usize,
    listings: &mut u64,
) -> std::result::Result<(), Errno> {
    if depth > MAX_DEPTH {
        return Err(Errno::LOOP);
    }
    match rustix::fs::unlinkat(parent, name, AtFlags::empty()) {
        Ok(()) => return Ok(()),
        Err(Errno::ISDIR) | Err(Errno::PERM) => {}
        Err(Errno::NOENT) => return Ok(()),
        Err(e) => return Err(e),
    }
    let dir = rustix::fs::openat(
        parent,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    *listings += 1;
    let mut names = Vec::new();
    for e in rustix::fs::Dir::read_from(&dir)? {
        let e = e?;
        let n = OsStr::from_bytes(e.file_name().to_bytes()).to_owned();
        if n != "." && n != ".." {
            names.push(n);
        }
    }
    for n in names {
        remove_all_at(&dir, &n, depth + 1, listings)?;
    }
    rustix::fs::unlinkat(parent, name, AtFlags::REMOVEDIR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_keeps_names_inside_the_root() {
        let p = |s: &str| match clean(s.as_bytes(), s) {
            Ok(Clean::Path(c)) => Some(
                c.iter()
                    .map(|c| c.to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/"),
            ),
            Ok(Clean::Root) => Some(String::new()),
            Err(_) => None,
        };
        assert_eq!(p("/etc/passwd").as_deref(), Some("etc/passwd"));
        assert_eq!(p("./a/b/../c/").as_deref(), Some("a/c"));
        assert_eq!(p("..").as_deref(), Some(""));
        assert_eq!(p("a/..").as_deref(), Some(""));
        assert_eq!(p("../../x"), None);
        assert_eq!(p("a/../../x"), None);
    }

    #[test]
    fn blank_owner_fields_read_as_root_and_sizes_count_like_docker() {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu(); // uid, gid and mtime fields left empty
        h.set_size(5);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "f", &b"hello"[..]).expect("append");
        let mut l = tar::Header::new_gnu();
        l.set_entry_type(tar::EntryType::Link);
        l.set_size(0);
        l.set_mode(0o644);
        l.set_link_name("f").expect("link name");
        l.set_cksum();
        b.append_data(&mut l, "g", &[][..]).expect("append");
        let mut s = tar::Header::new_gnu();
        s.set_entry_type(tar::EntryType::Symlink);
        s.set_size(0);
        s.set_mode(0o777);
        s.set_link_name("target").expect("link name");
        s.set_cksum();
        b.append_data(&mut s, "s", &[][..]).expect("append");
        let tar = b.into_inner().expect("tar");
        let dir = tempfile::tempdir().expect("tmp");
        let stats = unpack(tar.as_slice(), dir.path(), &UnpackOptions::default()).expect("unpack");
        assert_eq!(
            stats.content_bytes,
            5 + 6,
            "the hardlink counts once, the symlink its target"
        );
        assert_eq!(stats.diff_id, Digest::of(&tar));
        assert_eq!(stats.tar_bytes, tar.len() as u64);
        assert_eq!(std::fs::read(dir.path().join("g")).expect("g"), b"hello");
    }

    fn one_file_tar() -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(5);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "f", &b"hello"[..]).expect("append");
        b.into_inner().expect("tar")
    }

    #[test]
    fn a_zstd_layer_unpacks_through_the_window_check() {
        let tar = one_file_tar();
        let zst =
            ruzstd::encoding::compress_to_vec(tar.as_slice(), ruzstd::encoding::CompressionLevel::Fastest);
        let (head, window) = zstd_header(&mut zst.as_slice()).expect("a header");
        assert!(window.is_some_and(|w| w <= MAX_ZSTD_WINDOW), "{window:?}");
        assert!(zst.starts_with(&head));
        let dir = tempfile::tempdir().expect("tmp");
        let stats = unpack(zst.as_slice(), dir.path(), &UnpackOptions::default()).expect("unpack");
        assert_eq!(stats.diff_id, Digest::of(&tar));
        assert_eq!(std::fs::read(dir.path().join("f")).expect("f"), b"hello");
    }

    #[test]
    fn a_zstd_frame_asking_for_a_huge_window_is_refused_before_decoding() {
        let magic = [0x28, 0xb5, 0x2f, 0xfd];
        let refused = |frame: &[u8]| {
            let dir = tempfile::tempdir().expect("tmp");
            match unpack(frame, dir.path(), &UnpackOptions::default()) {
                Err(UnpackError::ZstdWindow { window, limit }) => {
                    assert_eq!(limit, MAX_ZSTD_WINDOW);
                    Some(window)
                }
                Err(_) => None,
                Ok(_) => panic!("a broken frame unpacked"),
            }
        };
        // Window descriptor: exponent 17, mantissa 0 -> 2^27 = 128 MiB.
        let big = [&magic[..], &[0x00, 17 << 3], &[0u8; 16]].concat();
        assert_eq!(refused(&big), Some(128 << 20));
        // Exponent 16, mantissa 4 -> 64 MiB + 32 MiB.
        let odd = [&magic[..], &[0x00, (16 << 3) | 4], &[0u8; 16]].concat();
        assert_eq!(refused(&odd), Some(96 << 20));
        // A single-segment frame's window is its content size: 8 bytes, little-endian, 2 GiB.
        let single = [&magic[..], &[0xe0], &(2u64 << 30).to_le_bytes(), &[0u8; 16]].concat();
        assert_eq!(refused(&single), Some(2 << 30));
        // Exactly 64 MiB passes the check (and fails later, as garbage).
        let edge = [&magic[..], &[0x00, 16 << 3], &[0u8; 16]].concat();
        assert_eq!(refused(&edge), None);
        // A stream cut inside its header is a read error, not a panic.
        assert_eq!(refused(&[&magic[..], &[0x00]].concat()), None);
    }

    // Catalogue cases 18 and 19: tars written byte by byte, because no tar writer makes these.

    fn raw_header(name: &[u8], type_flag: u8, size: u64) -> Vec<u8> {
        header_of(name, type_flag, size).as_bytes().to_vec()
    }

    fn header_of(name: &[u8], type_flag: u8, size: u64) -> tar::Header {
        let mut h = if matches!(type_flag, b'L' | b'K') {
            tar::Header::new_gnu()
        } else {
            tar::Header::new_ustar()
        };
        h.as_old_mut().name[..name.len()].copy_from_slice(name);
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        h.set_entry_type(tar::EntryType::new(type_flag));
        h.set_size(size);
        h.set_cksum();
        h
    }

    /// A header and its body, padded to whole blocks.
    fn member(name: &[u8], type_flag: u8, size: u64, body: &[u8]) -> Vec<u8> {
        let mut out = raw_header(name, type_flag, size);
        out.extend_from_slice(body);
        out.resize(out.len().next_multiple_of(512), 0);
        out
    }

    fn pax_record(key: &str, value: &[u8]) -> Vec<u8> {
        let rest = key.len() + value.len() + 3; // space, '=', newline
        let mut len = rest + 1;
        while len.to_string().len() + rest != len {
            len += 1;
        }
        let mut r = format!("{len} {key}=").into_bytes();
        r.extend_from_slice(value);
        r.push(b'\n');
        r
    }

    fn pax(type_flag: u8, records: &[(&str, &[u8])]) -> Vec<u8> {
        let body: Vec<u8> = records.iter().flat_map(|(k, v)| pax_record(k, v)).collect();
        member(b"PaxHeaders/x", type_flag, body.len() as u64, &body)
    }

    fn long_name(type_flag: u8, name: &[u8]) -> Vec<u8> {
        let mut body = name.to_vec();
        body.push(0);
        member(b"././@LongLink", type_flag, body.len() as u64, &body)
    }

    fn file(name: &str, body: &[u8]) -> Vec<u8> {
        member(name.as_bytes(), b'0', body.len() as u64, body)
    }

    fn end() -> Vec<u8> {
        vec![0; 1024]
    }

    #[derive(Debug, PartialEq, Eq)]
    enum Node {
        Dir,
        File(Vec<u8>),
        Symlink(std::path::PathBuf),
        Other,
    }

    /// Names, kinds and contents below `root`.
    fn tree_of(root: &Path) -> std::collections::BTreeMap<String, Node> {
        walkdir::WalkDir::new(root)
            .min_depth(1)
            .into_iter()
            .map(|e| {
                let e = e.expect("walk");
                let name = e.path().strip_prefix(root).expect("below").display().to_string();
                let t = e.file_type();
                let node = if t.is_dir() {
                    Node::Dir
                } else if t.is_file() {
                    Node::File(std::fs::read(e.path()).expect("read"))
                } else if t.is_symlink() {
                    Node::Symlink(std::fs::read_link(e.path()).expect("readlink"))
                } else {
                    Node::Other
                };
                (name, node)
            })
            .collect()
    }

    fn layerlab(tar: &[u8]) -> Result<std::collections::BTreeMap<String, Node>> {
        let dir = tempfile::tempdir().expect("tmp");
        unpack(tar, dir.path(), &UnpackOptions::default())?;
        Ok(tree_of(dir.path()))
    }

    const GNU_TAR: &str = "/usr/bin/tar";

    /// What GNU tar extracts from `tar` (`None`, with a message, when it is not installed).
    fn gnu_tar(tar: &[u8]) -> Option<std::collections::BTreeMap<String, Node>> {
        gnu_tar_result(tar).map(|r| r.unwrap_or_else(|stderr| panic!("GNU tar: {stderr}")))
    }

    /// GNU tar's tree, or what it said when it failed.
    fn gnu_tar_result(
        tar: &[u8],
    ) -> Option<std::result::Result<std::collections::BTreeMap<String, Node>, String>> {
        if !Path::new(GNU_TAR).exists() {
            eprintln!("skipping the GNU tar comparison: {GNU_TAR} is not installed");
            return None;
        }
        let dir = tempfile::tempdir().expect("tmp");
        let (file, out) = (dir.path().join("layer.tar"), dir.path().join("out"));
        std::fs::write(&file, tar).expect("write");
        std::fs::create_dir(&out).expect("mkdir");
        let run = std::process::Command::new(GNU_TAR)
            .arg("-xf")
            .arg(&file)
            .arg("-C")
            .arg(&out)
            .output()
            .expect("run GNU tar");
        if !run.status.success() {
            return Some(Err(String::from_utf8_lossy(&run.stderr).into_owned()));
        }
        Some(Ok(tree_of(&out)))
    }

    /// Serves `prefix`, then endless bytes, counting how many of those were read.
    struct Endless {
        prefix: io::Cursor<Vec<u8>>,
        tail_read: std::rc::Rc<std::cell::Cell<u64>>,
    }

    impl Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.prefix.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            buf.fill(b'a');
            self.tail_read.set(self.tail_read.get() + buf.len() as u64);
            Ok(buf.len())
        }
    }

    /// Unpacks `prefix` followed by an endless body; returns the error and the body bytes read.
    fn refused_early(prefix: Vec<u8>) -> (UnpackError, u64) {
        let tail_read = std::rc::Rc::new(std::cell::Cell::new(0));
        let blob = io::BufReader::new(Endless {
            prefix: io::Cursor::new(prefix),
            tail_read: tail_read.clone(),
        });
        let dir = tempfile::tempdir().expect("tmp");
        let opts = UnpackOptions {
            compression: Compression::Plain,
            ..UnpackOptions::default()
        };
        let err = unpack(blob, dir.path(), &opts).expect_err("an endless special header unpacked");
        (err, tail_read.get())
    }

    #[test]
    fn special_headers_over_the_cap_are_refused_before_their_body_is_read() {
        let cases = [
            (b'L', 2u64 << 20, SpecialHeader::GnuLongName),
            (b'L', 16 << 30, SpecialHeader::GnuLongName), // base-256 size field
            (b'K', MAX_SPECIAL_HEADER + 1, SpecialHeader::GnuLongLink),
            (b'x', MAX_SPECIAL_HEADER + 1, SpecialHeader::PaxExtended),
            (b'x', 4 << 30, SpecialHeader::PaxExtended),
            (b'g', 2 << 20, SpecialHeader::PaxGlobal),
        ];
        for (flag, size, kind) in cases {
            let mut prefix = file("before", b"1");
            let at = prefix.len() as u64;
            prefix.extend(raw_header(b"././@LongLink", flag, size));
            if size >= 8 << 30 {
                assert_eq!(prefix[at as usize + 124], 0x80, "the size is in base-256");
            }
            let (err, tail) = refused_early(prefix);
            match err {
                UnpackError::SpecialHeaderTooLarge {
                    kind: k,
                    size: s,
                    limit,
                    offset,
                } => assert_eq!((k, s, limit, offset), (kind, size, MAX_SPECIAL_HEADER, at)),
                e => panic!("{} of {size} bytes: {e}", kind),
            }
            // Only the reader's own buffer (8 KiB) may have been filled from the body.
            assert!(tail <= 8 << 10, "{tail} bytes of the body were read");
        }
    }

    #[test]
    fn a_special_header_bomb_leaves_no_snapshot() {
        let mut tar = file("a", b"first entry, written before the bomb");
        tar.extend(raw_header(b"././@LongLink", b'L', 16 << 30));
        tar.extend(vec![b'a'; 64 << 10]);
        let snaps_root = tempfile::tempdir().expect("tmp");
        let snaps = crate::snapshot::Snapshotter::open(snaps_root.path()).expect("snapshotter");
        let chain = Digest::of(b"bomb");
        let err = snaps
            .unpack(
                &chain,
                tar.as_slice(),
                &UnpackOptions::default(),
                &Digest::of(&tar),
            )
            .expect_err("bomb");
        assert!(
            matches!(
                &err,
                crate::snapshot::SnapshotError::Unpack {
                    source: UnpackError::SpecialHeaderTooLarge { size, .. },
                    ..
                } if *size == 16 << 30
            ),
            "{err}"
        );
        assert!(!snaps.exists(&chain));
        let left: Vec<_> = walkdir::WalkDir::new(snaps_root.path().join("snapshots"))
            .min_depth(1)
            .into_iter()
            .map(|e| e.expect("walk").path().to_owned())
            .filter(|p| p.extension().is_none_or(|e| e != "lock"))
            .collect();
        assert_eq!(left, Vec::<std::path::PathBuf>::new());
    }

    /// A PAX header of exactly `size` bytes naming a deep, long path.
    fn pax_header_of_size(size: usize, path: &[u8]) -> Vec<u8> {
        let path_record = pax_record("path", path);
        let comment_len = size - path_record.len();
        // A record's length counts its own digits: 7 for these.
        let value = vec![b'c'; comment_len - 7 - " comment=\n".len()];
        let comment = pax_record("comment", &value);
        assert_eq!(comment.len(), comment_len);
        let body = [path_record, comment].concat();
        assert_eq!(body.len(), size);
        member(b"PaxHeaders/x", b'x', size as u64, &body)
    }

    #[test]
    fn a_pax_header_at_or_just_under_the_cap_still_unpacks() {
        let component = "d".repeat(200);
        // 18 levels of 200 bytes: long, yet short enough for the test's own path-based walk.
        let mut path = vec![component.as_str(); 18].join("/");
        path.push_str("/file");
        for size in [MAX_SPECIAL_HEADER as usize - 100, MAX_SPECIAL_HEADER as usize] {
            let mut tar = pax_header_of_size(size, path.as_bytes());
            tar.extend(file("short-name", b"deep"));
            tar.extend(end());
            let tree = layerlab(&tar).expect("a PAX header within the cap");
            assert_eq!(tree.get(&path), Some(&Node::File(b"deep".to_vec())), "{size}");
        }
        let mut over = pax_header_of_size(MAX_SPECIAL_HEADER as usize + 1, path.as_bytes());
        over.extend(file("short-name", b"deep"));
        over.extend(end());
        assert!(matches!(
            layerlab(&over),
            Err(UnpackError::SpecialHeaderTooLarge { size, .. }) if size == MAX_SPECIAL_HEADER + 1
        ));
    }

    #[test]
    fn names_longer_than_the_filesystem_allows_are_a_clear_error() {
        let long = format!("dir/{}", "n".repeat(300));
        let mut tar = pax(b'x', &[("path", long.as_bytes())]);
        tar.extend(file("x", b"body"));
        tar.extend(end());
        match layerlab(&tar) {
            Err(e @ UnpackError::NameTooLong { len, .. }) => {
                assert_eq!(len, long.len());
                assert!(e.to_string().contains("file name too long"), "{e}");
                assert!(e.to_string().len() < 400, "the message elides the name: {e}");
            }
            other => panic!("{other:?}"),
        }
        let target = "t/".repeat(3000);
        let mut tar = pax(b'x', &[("linkpath", target.as_bytes())]);
        tar.extend(member(b"link", b'2', 0, b""));
        tar.extend(end());
        assert!(matches!(layerlab(&tar), Err(UnpackError::NameTooLong { .. })));
    }

    #[test]
    fn a_pax_size_overrides_the_ustar_size_as_in_gnu_tar() {
        let hidden = file("hidden", b"inside the body");
        // PAX larger than ustar: the entry's body swallows what looks like another header.
        let mut bigger = pax(b'x', &[("size", hidden.len().to_string().as_bytes())]);
        bigger.extend(raw_header(b"f", b'0', 3));
        bigger.extend(&hidden);
        bigger.extend(file("after", b"after"));
        bigger.extend(end());
        // PAX smaller than ustar: what the ustar size would have skipped is the next header.
        let mut smaller = pax(b'x', &[("size", b"3")]);
        smaller.extend(raw_header(b"f", b'0', 512 + hidden.len() as u64));
        smaller.extend(file("", b"abc").split_off(512));
        smaller.extend(&hidden);
        smaller.extend(end());
        // The PAX size applies to the next entry only.
        let mut once = pax(b'x', &[("size", b"2")]);
        once.extend(file("f", b"ab"));
        once.extend(file("g", b"longer than two"));
        once.extend(end());

        let ours = layerlab(&bigger).expect("bigger");
        assert_eq!(ours.get("f"), Some(&Node::File(hidden.clone())));
        assert!(!ours.contains_key("hidden"));
        let ours_smaller = layerlab(&smaller).expect("smaller");
        assert_eq!(ours_smaller.get("f"), Some(&Node::File(b"abc".to_vec())));
        assert_eq!(
            ours_smaller.get("hidden"),
            Some(&Node::File(b"inside the body".to_vec()))
        );
        let ours_once = layerlab(&once).expect("once");
        assert_eq!(ours_once.get("g"), Some(&Node::File(b"longer than two".to_vec())));
        for (tar, ours) in [(&bigger, ours), (&smaller, ours_smaller), (&once, ours_once)] {
            if let Some(theirs) = gnu_tar(tar) {
                assert_eq!(ours, theirs);
            }
        }
    }

    #[test]
    fn pax_then_gnu_long_name_reads_like_gnu_tar_or_is_refused() {
        let long = format!("{}/{}", "p".repeat(120), "name");
        let body = b"0123456789";
        // PAX size with a GNU long name, in both orders: every reader agrees.
        for pax_first in [true, false] {
            let (p, l) = (pax(b'x', &[("size", b"10")]), long_name(b'L', long.as_bytes()));
            let mut tar = if pax_first {
                [p, l].concat()
            } else {
                [l, p].concat()
            };
            tar.extend(raw_header(b"short", b'0', 0));
            tar.extend(member(b"", b'0', 0, body).split_off(512));
            tar.extend(file("after", b"z"));
            tar.extend(end());
            let ours = layerlab(&tar).expect("size and long name");
            assert_eq!(ours.get(&long), Some(&Node::File(body.to_vec())), "{pax_first}");
            assert_eq!(ours.get("after"), Some(&Node::File(b"z".to_vec())));
            if let Some(theirs) = gnu_tar(&tar) {
                assert_eq!(ours, theirs, "PAX first: {pax_first}");
            }
        }
        // A PAX path and a different GNU long name: GNU tar takes the PAX one, the tar crate
        // (and Go) the GNU one. Refused, in both orders.
        for pax_first in [true, false] {
            let (p, l) = (
                pax(b'x', &[("path", b"from-pax")]),
                long_name(b'L', long.as_bytes()),
            );
            let mut tar = if pax_first {
                [p, l].concat()
            } else {
                [l, p].concat()
            };
            tar.extend(file("short", b"x"));
            tar.extend(end());
            match layerlab(&tar) {
                Err(UnpackError::BadTarHeader {
                    reason: TarHeaderError::ConflictingNames { key, pax, gnu, .. },
                    ..
                }) => assert_eq!(
                    (key, pax.as_str(), gnu.as_str()),
                    ("path", "from-pax", long.as_str())
                ),
                other => panic!("{other:?}"),
            }
            if let Some(theirs) = gnu_tar(&tar) {
                assert!(
                    theirs.contains_key("from-pax"),
                    "GNU tar takes the PAX path: {theirs:?}"
                );
            }
        }
        // The same name both ways is no conflict; a link target likewise.
        let mut same = pax(b'x', &[("path", long.as_bytes()), ("linkpath", b"from-pax")]);
        same.extend(long_name(b'L', long.as_bytes()));
        same.extend(long_name(b'K', b"from-gnu"));
        same.extend(member(b"short", b'2', 0, b""));
        same.extend(end());
        assert!(matches!(
            layerlab(&same),
            Err(UnpackError::BadTarHeader {
                reason: TarHeaderError::ConflictingNames { key: "linkpath", .. },
                ..
            })
        ));
        let mut agreeing = pax(b'x', &[("path", long.as_bytes())]);
        agreeing.extend(long_name(b'L', long.as_bytes()));
        agreeing.extend(file("short", b"x"));
        agreeing.extend(end());
        assert_eq!(
            layerlab(&agreeing).expect("agreeing").get(&long),
            Some(&Node::File(b"x".to_vec()))
        );
    }

    #[test]
    fn global_headers_that_would_move_or_rename_entries_are_refused() {
        // A git-archive style global header (a comment) is fine, and GNU tar agrees.
        let mut comment = pax(b'g', &[("comment", b"0123abcd")]);
        comment.extend(file("f", b"data"));
        comment.extend(end());
        let ours = layerlab(&comment).expect("comment");
        assert_eq!(ours.get("f"), Some(&Node::File(b"data".to_vec())));
        if let Some(theirs) = gnu_tar(&comment) {
            assert_eq!(ours, theirs);
        }
        // GNU tar applies a global size to every later entry; the tar crate ignores it.
        let mut size = pax(b'g', &[("size", b"512")]);
        size.extend(file("f", b""));
        size.extend(end());
        assert!(matches!(
            layerlab(&size),
            Err(UnpackError::BadTarHeader {
                reason: TarHeaderError::UnsupportedPaxKey { .. },
                ..
            })
        ));
        // PAX records before a global header: GNU tar keeps them for the next entry, the tar
        // crate gives them to the global header.
        let mut pending = pax(b'x', &[("size", b"512")]);
        pending.extend(pax(b'g', &[("comment", b"c")]));
        pending.extend(file("f", b""));
        pending.extend(file("hidden", b"abc"));
        pending.extend(end());
        assert!(matches!(
            layerlab(&pending),
            Err(UnpackError::BadTarHeader {
                reason: TarHeaderError::PendingBeforeGlobal {
                    pending: SpecialHeader::PaxExtended
                },
                ..
            })
        ));
        let mut long_then_global = long_name(b'L', b"x");
        long_then_global.extend(pax(b'g', &[("comment", b"c")]));
        long_then_global.extend(file("f", b""));
        long_then_global.extend(end());
        assert!(matches!(
            layerlab(&long_then_global),
            Err(UnpackError::BadTarHeader {
                reason: TarHeaderError::PendingBeforeGlobal { .. },
                ..
            })
        ));
    }

    #[test]
    fn header_only_entries_with_data_are_refused() {
        // GNU tar reads no data for a hard link and takes `hidden` for an entry; the tar crate
        // would skip it as the link's data.
        let mut tar = file("target", b"t");
        let mut link = header_of(b"link", b'1', 1024);
        link.set_link_name("target").expect("target");
        link.set_cksum();
        tar.extend(link.as_bytes());
        tar.extend(file("hidden", b"abc"));
        tar.extend(vec![0; 1024 - 512 - 512]);
        tar.extend(file("after", b"z"));
        tar.extend(end());
        match layerlab(&tar) {
            Err(UnpackError::BadTarHeader {
                reason: TarHeaderError::DataOnHeaderOnlyEntry { kind, size },
                ..
            }) => assert_eq!((kind, size), ("hard link", 1024)),
            other => panic!("{other:?}"),
        }
        if let Some(theirs) = gnu_tar(&tar) {
            assert!(theirs.contains_key("hidden"), "{theirs:?}");
        }
        // A file named with a trailing slash is a directory to GNU tar, with no data.
        for flag in [0, b'0', b'7'] {
            let mut tar = member(b"d/", flag, 1024, b"");
            tar.truncate(512);
            tar.extend(file("hidden", b"abc"));
            tar.extend(end());
            assert!(
                matches!(
                    layerlab(&tar),
                    Err(UnpackError::BadTarHeader {
                        reason: TarHeaderError::DataOnHeaderOnlyEntry { size: 1024, .. },
                        ..
                    })
                ),
                "type {flag}"
            );
            if let Some(theirs) = gnu_tar(&tar) {
                assert_eq!(theirs.get("d"), Some(&Node::Dir));
                assert!(theirs.contains_key("hidden"), "{theirs:?}");
            }
            let mut empty = member(b"d/", flag, 0, b"");
            empty.extend(file("d/inner", b"i"));
            empty.extend(end());
            let ours = layerlab(&empty).expect("a directory written as a file");
            assert_eq!(ours.get("d"), Some(&Node::Dir));
            if let Some(theirs) = gnu_tar(&empty) {
                assert_eq!(ours, theirs);
            }
        }
        // A directory with a PAX size: the same.
        let mut dir = pax(b'x', &[("size", b"512")]);
        dir.extend(member(b"d/", b'5', 0, b""));
        dir.extend(end());
        assert!(matches!(
            layerlab(&dir),
            Err(UnpackError::BadTarHeader {
                reason: TarHeaderError::DataOnHeaderOnlyEntry {
                    kind: "directory",
                    ..
                },
                ..
            })
        ));
    }

    #[test]
    fn pax_records_readers_split_differently_are_refused() {
        let refused = |records: Vec<u8>| {
            let mut tar = member(b"PaxHeaders/x", b'x', records.len() as u64, &records);
            tar.extend(file("f", b"0123456789"));
            tar.extend(end());
            match layerlab(&tar) {
                Err(UnpackError::BadTarHeader { reason, .. }) => reason,
                other => panic!("{other:?}"),
            }
        };
        // A newline inside a value: GNU tar then reads `size`, the tar crate stops before it.
        let newline = [pax_record("comment", b"a\nb"), pax_record("size", b"3")].concat();
        assert!(matches!(
            refused(newline),
            TarHeaderError::PaxRecord { index: 1, .. }
        ));
        // Two sizes: the tar crate takes the first, GNU tar and Go the last.
        let twice = [pax_record("size", b"3"), pax_record("size", b"5")].concat();
        assert!(matches!(refused(twice), TarHeaderError::DuplicatePaxKey { .. }));
        assert!(matches!(
            refused(pax_record("size", b"+3")),
            TarHeaderError::PaxNumber { .. }
        ));
        assert!(matches!(
            refused(pax_record("GNU.sparse.name", b"elsewhere")),
            TarHeaderError::UnsupportedPaxKey { .. }
        ));
        // Extra spaces before the key (GNU tar skips them, the tar crate keeps them).
        assert!(matches!(
            refused(b"12  size=10\n".to_vec()),
            TarHeaderError::PaxRecord { .. }
        ));
    }

    #[test]
    fn base_256_sizes_read_the_same_as_gnu_tar_or_are_refused() {
        let mut field = [0u8; 12];
        field[0] = 0x80;
        field[11] = 5;
        let mut h = raw_header(b"f", b'0', 0);
        h[124..136].copy_from_slice(&field);
        let mut tar = tar::Header::from_byte_slice(&h).clone();
        tar.set_cksum();
        let mut good = tar.as_bytes().to_vec();
        good.extend(file("", b"hello").split_off(512));
        good.extend(end());
        let ours = layerlab(&good).expect("base-256 size");
        assert_eq!(ours.get("f"), Some(&Node::File(b"hello".to_vec())));
        if let Some(theirs) = gnu_tar(&good) {
            assert_eq!(ours, theirs);
        }
        // A high byte the tar crate would drop (it reads only the last 8).
        field[2] = 1;
        h[124..136].copy_from_slice(&field);
        let mut tar = tar::Header::from_byte_slice(&h).clone();
        tar.set_cksum();
        let mut bad = tar.as_bytes().to_vec();
        bad.extend(file("", b"hello").split_off(512));
        bad.extend(end());
        assert!(matches!(
            layerlab(&bad),
            Err(UnpackError::BadTarHeader {
                reason: TarHeaderError::SizeField { .. },
                ..
            })
        ));
    }

    #[test]
    fn gnu_sparse_files_with_extension_blocks_read_like_gnu_tar() {
        if !Path::new(GNU_TAR).exists() {
            eprintln!("skipping: {GNU_TAR} is not installed to write a sparse archive");
            return;
        }
        let dir = tempfile::tempdir().expect("tmp");
        let src = dir.path().join("src");
        std::fs::create_dir(&src).expect("mkdir");
        // Ten data runs: more than the four a GNU header holds, so extension blocks follow.
        let mut content = vec![0u8; 40 * 4096];
        for run in 0..10 {
            content[run * 4 * 4096..run * 4 * 4096 + 100].fill(b'a' + run as u8);
        }
        // Written with holes between the runs: GNU tar stores only files that have holes as sparse.
        let sparse = std::fs::File::create(src.join("sparse")).expect("create");
        sparse.set_len(content.len() as u64).expect("size");
        for run in 0..10 {
            let at = run * 4 * 4096;
            std::os::unix::fs::FileExt::write_all_at(&sparse, &content[at..at + 100], at as u64)
                .expect("write");
        }
        drop(sparse);
        std::fs::write(src.join("next"), b"after the sparse file").expect("write");
        let archive = dir.path().join("sparse.tar");
        let run = std::process::Command::new(GNU_TAR)
            .args(["--format=gnu", "--sparse", "--hole-detection=raw", "-cf"])
            .arg(&archive)
            .arg("-C")
            .arg(&src)
            .args(["sparse", "next"])
            .output()
            .expect("GNU tar");
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        let tar = std::fs::read(&archive).expect("read");
        assert_eq!(
            (tar[156], tar[482]),
            (b'S', 1),
            "a sparse header with extension blocks"
        );
        let ours = layerlab(&tar).expect("sparse");
        assert_eq!(ours.get("sparse"), Some(&Node::File(content)));
        assert_eq!(
            ours.get("next"),
            Some(&Node::File(b"after the sparse file".to_vec()))
        );
    }

    /// PAX and GNU headers, a sparse-looking and a plain entry: the bytes the proptest mutates.
    fn special_header_sample() -> Vec<u8> {
        let mut tar = pax(b'x', &[("size", b"7"), ("path", b"p/long")]);
        tar.extend(raw_header(b"f", b'0', 2));
        tar.extend(file("", b"seven b").split_off(512));
        tar.extend(long_name(b'L', b"q/long-name"));
        tar.extend(long_name(b'K', b"target"));
        tar.extend(member(b"l", b'2', 0, b""));
        tar.extend(pax(b'g', &[("comment", b"c")]));
        tar.extend(file("after", b"after"));
        tar.extend(end());
        tar
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// Bytes changed anywhere: never a panic, and whatever layerlab accepts, GNU tar reads
        /// as the same files.
        #[test]
        fn mutated_special_headers_never_panic(
            changes in proptest::collection::vec((0usize..1 << 20, proptest::num::u8::ANY), 1..8),
        ) {
            let mut tar = special_header_sample();
            for (at, byte) in changes {
                let len = tar.len();
                tar[at % len] = byte;
            }
            if let Ok(ours) = layerlab(&tar) {
                if let Some(theirs) = gnu_tar_result(&tar) {
                    proptest::prop_assert_eq!(Ok(ours), theirs);
                }
            }
        }

        /// Any special header size: refused by the cap exactly when it is over it, never a
        /// panic, and never more read than the cap allows.
        #[test]
        fn special_header_sizes_never_read_past_the_cap(
            flag in proptest::sample::select(vec![b'x', b'g', b'L', b'K']),
            size in proptest::prop_oneof![
                0u64..=MAX_SPECIAL_HEADER + 4096,
                MAX_SPECIAL_HEADER..u64::MAX,
            ],
        ) {
            let (err, tail) = refused_early(raw_header(b"././@LongLink", flag, size));
            let over = matches!(err, UnpackError::SpecialHeaderTooLarge { size: s, .. } if s == size);
            proptest::prop_assert_eq!(over, size > MAX_SPECIAL_HEADER, "{}", err);
            // The body, the next header block, and the reader's own 8 KiB buffer.
            let bound = size.min(MAX_SPECIAL_HEADER).next_multiple_of(512) + 512 + (8 << 10);
            proptest::prop_assert!(tail <= bound, "{} bytes read", tail);
        }
    }

    fn unpack_mode(tar: &[u8], root: &Path, mode: WhiteoutMode) -> Result<(UnpackStats, Work)> {
        let opts = UnpackOptions {
            compression: Compression::Plain,
            whiteouts: mode,
            ..UnpackOptions::default()
        };
        unpack_counting(tar, root, &opts)
    }

    fn dir(name: &str) -> Vec<u8> {
        member(name.as_bytes(), b'5', 0, b"")
    }

    /// The opaque mark overlayfs reads: `trusted.` as root, `user.` (mounted `userxattr`) otherwise.
    fn opaque_mark(path: &Path) -> Option<Vec<u8>> {
        let name = if rustix::process::geteuid().is_root() {
            "trusted.overlay.opaque"
        } else {
            "user.overlay.opaque"
        };
        let mut buf = [0u8; 8];
        let n = rustix::fs::lgetxattr(path, name, &mut buf).ok()?;
        buf.get(..n).map(<[u8]>::to_vec)
    }

    /// A lower layer's `d/` as apply mode finds it: files and a subdirectory of its own.
    fn lower_d(root: &Path) {
        std::fs::create_dir_all(root.join("d/sub")).expect("lower d");
        std::fs::write(root.join("d/old"), b"lower").expect("lower d/old");
        std::fs::write(root.join("d/sub/old"), b"lower").expect("lower d/sub/old");
    }

    // Catalogue case 12: a layer that whites out `d` and makes a new `d` replaces the lower one,
    // whichever comes first in the tar. The whiteout hides only lower layers (image-spec layer.md
    // "Whiteouts"), so the new `d` and what this layer put in it stay, and the lower `d`'s files
    // are hidden: opaque in a snapshot, removed when applied onto the lower tree.
    #[test]
    fn a_whiteout_and_a_directory_of_the_same_name_in_one_layer_replace_the_lower_directory() {
        let layers = [
            (
                "whiteout first",
                [file(".wh.d", b""), dir("d/"), file("d/new", b"n")].concat(),
            ),
            (
                "whiteout last",
                [dir("d/"), file("d/new", b"n"), file(".wh.d", b"")].concat(),
            ),
            // No entry for `d/` itself: the tar reader makes the parent of `d/new`.
            (
                "implicit parent, whiteout first",
                [file(".wh.d", b""), file("d/new", b"n")].concat(),
            ),
            (
                "implicit parent, whiteout last",
                [file("d/new", b"n"), file(".wh.d", b"")].concat(),
            ),
            (
                "sub entry",
                [
                    dir("d/"),
                    dir("d/sub/"),
                    file("d/sub/new", b"n"),
                    file(".wh.d", b""),
                ]
                .concat(),
            ),
        ];
        for (case, entries) in layers {
            let tar = [entries, end()].concat();
            let snapshot = tempfile::tempdir().expect("tmp");
            unpack_mode(&tar, snapshot.path(), WhiteoutMode::Overlay).expect(case);
            let d = snapshot.path().join("d");
            assert_eq!(
                opaque_mark(&d).as_deref(),
                Some(&b"y"[..]),
                "{case}: d is not opaque"
            );
            let new_names = tree_of(snapshot.path());
            assert_eq!(new_names.get("d"), Some(&Node::Dir), "{case}");
            assert!(
                !new_names.contains_key(".wh.d"),
                "{case}: a whiteout file is left"
            );
            let applied = tempfile::tempdir().expect("tmp");
            lower_d(applied.path());
            unpack_mode(&tar, applied.path(), WhiteoutMode::Apply).expect(case);
            assert_eq!(
                tree_of(applied.path()),
                new_names,
                "{case}: apply and overlay differ"
            );
            assert!(!new_names.contains_key("d/old"), "{case}");
            assert!(!new_names.contains_key("d/sub/old"), "{case}");
            let new = if case == "sub entry" { "d/sub/new" } else { "d/new" };
            assert_eq!(new_names.get(new), Some(&Node::File(b"n".to_vec())), "{case}");
        }
    }

    // The image-spec's own example (layer.md "Whiteouts"): the opaque marker after the new
    // `a/b/c/foo` still hides the lower `a/b/c/bar`, all descendants included.
    #[test]
    fn an_opaque_marker_after_its_siblings_hides_all_lower_descendants() {
        let entries = [
            dir("a/"),
            dir("a/b/"),
            dir("a/b/c/"),
            file("a/b/c/foo", b"foo"),
            file("a/.wh..wh..opq", b""),
            // Implicit parents count as this layer's too.
            file("x/y/f", b"f"),
            file("x/.wh..wh..opq", b""),
        ]
        .concat();
        let tar = [entries, end()].concat();
        let applied = tempfile::tempdir().expect("tmp");
        for lower in ["a/b/c/bar", "a/gone", "x/y/old", "x/gone"] {
            let path = applied.path().join(lower);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, b"lower").expect("lower");
        }
        unpack_mode(&tar, applied.path(), WhiteoutMode::Apply).expect("apply");
        let files: Vec<String> = tree_of(applied.path())
            .into_iter()
            .filter(|(_, n)| *n != Node::Dir)
            .map(|(p, _)| p)
            .collect();
        assert_eq!(files, ["a/b/c/foo", "x/y/f"]);

        let snapshot = tempfile::tempdir().expect("tmp");
        unpack_mode(&tar, snapshot.path(), WhiteoutMode::Overlay).expect("overlay");
        for opaque in ["a", "x"] {
            assert_eq!(
                opaque_mark(&snapshot.path().join(opaque)).as_deref(),
                Some(&b"y"[..])
            );
        }
        assert_eq!(
            tree_of(snapshot.path()).get("x/y/f"),
            Some(&Node::File(b"f".to_vec()))
        );
    }

    /// A layer of `dirs` directories, each with ten files and an opaque marker, in the order
    /// `marker_last` says.
    fn many_opaque_dirs(dirs: usize, marker_last: bool) -> Vec<u8> {
        let mut tar = Vec::new();
        for d in 0..dirs {
            tar.extend(dir(&format!("d{d}/")));
            if !marker_last {
                tar.extend(file(&format!("d{d}/.wh..wh..opq"), b""));
            }
            for f in 0..10 {
                tar.extend(file(&format!("d{d}/f{f}"), b"x"));
            }
            if marker_last {
                tar.extend(file(&format!("d{d}/.wh..wh..opq"), b""));
            }
        }
        tar.extend(end());
        tar
    }

    /// Lower directories `d0`.. for apply mode to hide: two files and a subdirectory each.
    fn lower_dirs(root: &Path, dirs: usize) {
        for d in 0..dirs {
            let sub = root.join(format!("d{d}/sub"));
            std::fs::create_dir_all(&sub).expect("mkdir");
            std::fs::write(root.join(format!("d{d}/f0")), b"lower").expect("lower");
            std::fs::write(sub.join("old"), b"lower").expect("lower");
        }
    }

    // Catalogue case 22: directory work grows with the layer, not faster. Counted, not timed.
    #[test]
    fn opaque_markers_in_many_directories_cost_work_linear_in_the_layer() {
        for (mode, marker_last) in [
            (WhiteoutMode::Apply, false),
            (WhiteoutMode::Apply, true),
            (WhiteoutMode::Overlay, true),
        ] {
            let work = |dirs: usize| {
                let root = tempfile::tempdir().expect("tmp");
                if mode == WhiteoutMode::Apply {
                    lower_dirs(root.path(), dirs);
                }
                let tar = many_opaque_dirs(dirs, marker_last);
                let (stats, work) = unpack_mode(&tar, root.path(), mode).expect("unpack");
                assert_eq!(stats.entries, dirs as u64 * 12);
                work
            };
            // Small enough to run in seconds: creating files is the slow part, and the counts
            // scale the same at any size.
            let (small, large) = (work(100), work(200));
            // Each entry walks one directory; each directory is listed at most twice (pruned
            // once, and its lower `sub` removed once).
            assert!(large.steps <= 200 * 12, "{mode:?} {large:?}");
            assert!(large.listings <= 2 * 200, "{mode:?} {large:?}");
            for (s, l) in [(small.steps, large.steps), (small.listings, large.listings)] {
                assert!(
                    l <= 2 * s + 2,
                    "{mode:?}: doubling the layer took {small:?} to {large:?}"
                );
            }
        }
    }

    // Catalogue case 22, deep: opaque markers at every level of one deep path, placed after all
    // the directories so that each would walk everything below it again without the dedup.
    #[test]
    fn opaque_markers_down_a_deep_path_list_each_directory_once() {
        for depth in [100, 200] {
            let mut tar = Vec::new();
            let path = |level: usize| vec!["d"; level].join("/");
            for level in 1..=depth {
                tar.extend(long_name(b'L', format!("{}/", path(level)).as_bytes()));
                tar.extend(dir("placeholder/"));
            }
            for level in (1..=depth).rev() {
                tar.extend(long_name(
                    b'L',
                    format!("{}/.wh..wh..opq", path(level)).as_bytes(),
                ));
                tar.extend(file("placeholder", b""));
            }
            tar.extend(end());
            let root = tempfile::tempdir().expect("tmp");
            let lower = root.path().join(path(depth));
            std::fs::create_dir_all(&lower).expect("lower");
            std::fs::write(lower.join("old"), b"lower").expect("lower");
            let (_, work) = unpack_mode(&tar, root.path(), WhiteoutMode::Apply).expect("unpack");
            assert_eq!(work.listings, depth as u64, "{work:?}");
            assert!(!lower.join("old").exists());
        }
    }

    #[test]
    fn long_names_in_messages_show_their_ends() {
        assert_eq!(format!("{:?}", elide("etc/passwd")), "\"etc/passwd\"");
        assert_eq!(elide("etc/passwd").to_string(), "etc/passwd");
        let long = format!("{}{}{}", "a".repeat(60), "é".repeat(1 << 20), "z".repeat(60));
        assert_eq!(
            format!("{:?}", elide(&long)),
            format!("{:?}…{:?}", "a".repeat(60), "z".repeat(60))
        );
        let err = UnpackError::InvalidHardlink {
            path: long.clone(),
            target: long.clone(),
        };
        assert!(err.to_string().len() < 400, "{err}");
        // Just over the limit a name is still shown whole: eliding would save nothing.
        let edge = "b".repeat(130);
        assert_eq!(elide(&edge).to_string(), edge);
    }

    // Catalogue case 16: xattrs from PAX records are set; one the filesystem refuses is reported
    // and the layer still unpacks; overlay's own are never taken from a tar.
    #[test]
    fn pax_xattrs_are_applied_and_refused_ones_are_reported() {
        let mut tar = pax(
            b'x',
            &[
                ("SCHILY.xattr.user.x", b"hello"),
                ("SCHILY.xattr.nonsense.y", b"refused"),
            ],
        );
        tar.extend(file("f", b"body"));
        tar.extend(pax(b'x', &[("SCHILY.xattr.trusted.overlay.opaque", b"y")]));
        tar.extend(dir("d/"));
        tar.extend(file("after", b"a"));
        tar.extend(end());
        let root = tempfile::tempdir().expect("tmp");
        let (stats, _) = unpack_mode(&tar, root.path(), WhiteoutMode::Overlay).expect("unpack");
        assert_eq!(std::fs::read(root.path().join("f")).expect("f"), b"body");
        assert_eq!(std::fs::read(root.path().join("after")).expect("after"), b"a");
        let mut buf = [0u8; 16];
        let n = rustix::fs::lgetxattr(root.path().join("f"), "user.x", &mut buf).expect("user.x");
        assert_eq!(&buf[..n], b"hello");
        assert_eq!(
            stats.skipped,
            [Skipped {
                path: "f".into(),
                reason: SkipReason::XattrRefused {
                    name: "nonsense.y".into()
                }
            }]
        );
        assert_eq!(opaque_mark(&root.path().join("d")), None);
    }

    // Catalogue case 14, privileged half (the unprivileged half runs in a user namespace in
    // tests/tests/it/unpack.rs).
    #[test]
    fn device_nodes_are_made_when_privileged() {
        if !rustix::process::geteuid().is_root() {
            eprintln!("skipped: making device nodes needs root");
            return;
        }
        let device = |name: &str, flag: u8, major: u32, minor: u32| {
            let mut h = header_of(name.as_bytes(), flag, 0);
            h.set_device_major(major).expect("major");
            h.set_device_minor(minor).expect("minor");
            h.set_mode(0o620);
            h.set_cksum();
            h.as_bytes().to_vec()
        };
        let tar = [
            device("null", b'3', 1, 3),
            device("loop9", b'4', 7, 9),
            device("fifo", b'6', 0, 0),
            end(),
        ]
        .concat();
        let root = tempfile::tempdir().expect("tmp");
        let (stats, _) = unpack_mode(&tar, root.path(), WhiteoutMode::Overlay).expect("unpack");
        assert_eq!(stats.skipped, []);
        use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
        for (name, rdev) in [
            ("null", rustix::fs::makedev(1, 3)),
            ("loop9", rustix::fs::makedev(7, 9)),
        ] {
            let m = std::fs::symlink_metadata(root.path().join(name)).expect(name);
            assert_eq!(m.rdev(), rdev, "{name}");
            assert_eq!(m.permissions().mode() & 0o7777, 0o620, "{name}");
        }
        let kind = |name: &str| {
            std::fs::symlink_metadata(root.path().join(name))
                .expect(name)
                .file_type()
        };
        assert!(kind("null").is_char_device());
        assert!(kind("loop9").is_block_device());
        assert!(kind("fifo").is_fifo());
    }

    // Catalogue case 24: a later entry of the same name replaces the file (image-spec
    // "Changeset over existing files": unlink, then recreate), so a hardlink made before keeps
    // the old content, as with Docker's unpack and GNU tar, and as the container then sees it.
    #[test]
    fn a_hardlink_keeps_the_content_a_later_entry_replaces() {
        let mut link = header_of(b"g", b'1', 0);
        link.set_link_name("f").expect("link");
        link.set_cksum();
        let mut later_link = header_of(b"h", b'1', 0);
        later_link.set_link_name("f").expect("link");
        later_link.set_cksum();
        let tar = [
            file("f", b"old"),
            link.as_bytes().to_vec(),
            file("f", b"new"),
            later_link.as_bytes().to_vec(),
            end(),
        ]
        .concat();
        let ours = layerlab(&tar).expect("unpack");
        assert_eq!(ours.get("f"), Some(&Node::File(b"new".to_vec())));
        assert_eq!(ours.get("g"), Some(&Node::File(b"old".to_vec())));
        assert_eq!(ours.get("h"), Some(&Node::File(b"new".to_vec())));
        if let Some(theirs) = gnu_tar(&tar) {
            assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn media_types_name_their_compression() {
        assert_eq!(
            Compression::from_media_type("application/vnd.oci.image.layer.v1.tar+gzip"),
            Compression::Gzip
        );
        assert_eq!(
            Compression::from_media_type("application/vnd.docker.image.rootfs.diff.tar.gzip"),
            Compression::Gzip
        );
        assert_eq!(
            Compression::from_media_type("application/vnd.oci.image.layer.v1.tar+zstd"),
            Compression::Zstd
        );
        assert_eq!(
            Compression::from_media_type("application/vnd.oci.image.layer.v1.tar"),
            Compression::Plain
        );
    }
}
