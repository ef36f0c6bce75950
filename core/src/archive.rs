//! Image archives: the tarballs `docker save`, `podman save` and `skopeo copy ... oci-archive:`
//! write, read from bytes (as a learner drops one onto the page) into images the simulated engine
//! can load exactly like catalog images. Reading only: layerlab never writes these archives.
//!
//! Public API:
//! - [`open`]`(bytes, &Limits) -> Result<Archive, ArchiveError>`, and [`open_paused`], the same
//!   open with pause points: every [`PAUSE_EVERY`] bytes of work it reports its [`Progress`] to the
//!   caller's [`Pause`] and awaits what that returns, so a page can give the browser a turn, show
//!   how far it got, or stop it ([`ArchiveError::Cancelled`]);
//! - [`Limits`] (`Default`: 1 GiB archive, 2 GiB decompressed (768 MiB on 32-bit targets such as
//!   the page's wasm32), 4 MiB per JSON file, 100,000
//!   archive members, a million layer entries);
//! - [`Archive`] `{ images }`, [`ArchiveImage`] `{ repo_tags, config_bytes, config, image_id,
//!   layers }` with `size()`, `diff_ids()`, `chain_ids()`, and [`ArchiveLayer`] `{ changeset,
//!   diff_id, digest, size }` with `apparent_size()`: the same shape as
//!   [`crate::catalog::CatalogImage`] and [`crate::catalog::CatalogLayer`];
//! - [`ArchiveError`].
//!
//! Layouts understood (the whole archive may also be gzip-compressed):
//! - `docker save` before v25: `manifest.json` (`Config`, `RepoTags`, `Layers`), `<image id>.json`,
//!   `<v1 id>/layer.tar` (a layer saved twice is a symlink to the first copy);
//! - `docker save` v25+: an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/*`) that
//!   also keeps `manifest.json` pointing at the blobs;
//! - `podman save` (docker-archive): `manifest.json`, `<config digest>.json`, `<diffID>.tar`;
//! - an OCI image layout tarball (`podman save --format oci-archive`, skopeo): `index.json` only.
//!
//! When `manifest.json` is present it is used, since only it carries Docker's `RepoTags`;
//! otherwise tags come from the `index.json` annotations `io.containerd.image.name`, or
//! `org.opencontainers.image.ref.name` when that holds a full reference rather than a bare tag.
//!
//! Every archive is treated as hostile (security catalogue cases 40 and 41): references in
//! `manifest.json` and `index.json` must have one of the shapes the tools write (`blobs/sha256/<hex>`,
//! `<hex>.json`, `<hex>.tar`, `<hex>/layer.tar`), never `..` or an absolute path, and are resolved
//! only among the archive's own members (symlinks included); every blob whose name or descriptor
//! carries a digest is hashed and compared; every layer's uncompressed sha256 must equal the
//! config's `rootfs.diff_ids`; and sizes are capped before anything is allocated or parsed.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::io::{self, BufRead, Cursor, Read};
use std::ops::ControlFlow;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use serde::Deserialize;

use crate::digest::{Digest, DigestError, Hasher};
use crate::gzip::GzipReader;
use crate::layer::path::{self, PathError, normalize_path, normalize_path_or_root};
use crate::layer::tar::{TarError, TarLimits};
use crate::layer::{Changeset, tar as layer_tar};
use crate::oci::{ImageConfiguration, ImageIndex, ImageManifest};
use crate::reference::{Reference, ReferenceError};

/// How large an archive may be, so that a hostile or mistaken file fails fast instead of
/// exhausting the page's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes the archive itself may have (compressed, as dropped).
    pub max_archive_bytes: u64,
    /// Most bytes decompression may produce in total: the gunzipped archive plus every gunzipped
    /// layer. This is what stops a gzip bomb.
    pub max_unpacked_bytes: u64,
    /// Most bytes of one JSON document (`manifest.json`, `index.json`, a manifest, a config).
    pub max_json_bytes: u64,
    /// Most members the archive's tar may have.
    pub max_entries: usize,
    /// Most entries all layers together may have.
    pub max_layer_entries: usize,
}

impl Default for Limits {
    /// Larger than any image a learner would drop into a lesson, small enough for a browser tab.
    fn default() -> Self {
        Limits {
            max_archive_bytes: 1 << 30,
            // A 32-bit target (the page's wasm32) cannot reach 2 GiB: one buffer is capped at
            // `isize::MAX` and grows by doubling, so a bomb ran out of memory first and was reported
            // as broken gzip. 768 MiB still grows into one 1 GiB buffer, well inside the tab.
            max_unpacked_bytes: if cfg!(target_pointer_width = "32") {
                768 << 20
            } else {
                2 << 30
            },
            max_json_bytes: 4 << 20,
            max_entries: 100_000,
            max_layer_entries: 1_000_000,
        }
    }
}

/// Why an archive could not be opened. Each message says what was wrong and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("the archive is {size} bytes, more than the limit of {limit}: save fewer images into it")]
    TooLarge { size: u64, limit: u64 },
    #[error(
        "the archive unpacks to more than {limit} bytes: refused as too large (or a decompression bomb); save fewer images into it"
    )]
    UnpackedTooLarge { limit: u64 },
    #[error("the archive has more than {limit} members: refused as too large")]
    TooManyEntries { limit: usize },
    #[error("the archive's layers have more than {limit} entries together: refused as too large")]
    TooManyLayerEntries { limit: usize },
    #[error("unsupported archive compression {format}: give the tar itself or a gzip-compressed tar")]
    UnsupportedCompression { format: &'static str },
    #[error("the gzip compression of the archive is broken: {source}; download or save the file again")]
    Gzip { source: io::Error },
    #[error(
        "not a valid tar archive (broken at member {index}: {source}): give the file `docker save` or `podman save` wrote"
    )]
    Malformed { index: usize, source: io::Error },
    #[error(
        "the archive is truncated: {what} ends at byte {needed} but the archive has {actual}; save or copy it again"
    )]
    Truncated { what: String, needed: u64, actual: u64 },
    #[error("archive member {index} has a name that is not UTF-8")]
    NonUtf8Name { index: usize },
    #[error("archive member {name:?} has an invalid name: {source}")]
    BadMemberName { name: String, source: PathError },
    #[error("the archive holds {path} twice, so it is ambiguous which one counts: save it again")]
    DuplicateMember { path: String },
    #[error(
        "not an image archive: it has neither manifest.json nor index.json; give the file `docker save`, `podman save` or an OCI layout export wrote"
    )]
    NotAnImageArchive,
    #[error("the archive lists no images: save at least one image into it")]
    NoImages,
    #[error("unsupported OCI layout version {version:?} in oci-layout: only 1.x is understood")]
    UnsupportedLayoutVersion { version: String },
    #[error("{file} refers to {reference:?}, an absolute path: references must stay inside the archive")]
    AbsoluteReference { file: String, reference: String },
    #[error(
        "{file} refers to {reference:?}, which climbs out with `..`: references must stay inside the archive"
    )]
    EscapingReference { file: String, reference: String },
    #[error(
        "{file} refers to {reference:?}, which is not how image tools name a blob (blobs/sha256/<64 hex digits>, <64 hex digits>.json, <64 hex digits>.tar or <64 hex digits>/layer.tar): the archive is corrupt or crafted"
    )]
    BadReference { file: String, reference: String },
    #[error("{file} refers to {path}, which the archive does not contain: save the image again")]
    Missing { file: String, path: String },
    #[error("{path} is a link that leads outside the archive ({target:?}): refused")]
    LinkEscapes { path: String, target: String },
    #[error("{path} is a link that does not lead to a file within {hops} hops: refused")]
    LinkLoop { path: String, hops: usize },
    #[error("{path} is {size} bytes, more than the {limit}-byte limit for a JSON document: refused")]
    JsonTooLarge { path: String, size: u64, limit: u64 },
    #[error("{path} is not valid JSON of the expected shape: {source}")]
    Json { path: String, source: serde_json::Error },
    #[error("{file} holds an invalid digest: {source}")]
    BadDigest { file: String, source: DigestError },
    #[error("{file} holds an invalid image name {tag:?}: {source}")]
    BadTag {
        file: String,
        tag: String,
        source: ReferenceError,
    },
    #[error("{file} nests indexes more than {limit} deep: refused")]
    NestingTooDeep { file: String, limit: usize },
    #[error(
        "{path} has the wrong content: its digest is {actual}, but {expected} was expected; the archive is corrupt or was tampered with, save it again"
    )]
    BlobDigestMismatch {
        path: String,
        expected: Digest,
        actual: Digest,
    },
    #[error(
        "{path} is {actual} bytes, but its descriptor says {expected}: the archive is corrupt, save it again"
    )]
    BlobSizeMismatch {
        path: String,
        expected: u64,
        actual: u64,
    },
    #[error("image {image}: its manifest lists {layers} layers but its config lists {diff_ids} diffIDs")]
    LayerCountMismatch {
        image: String,
        layers: usize,
        diff_ids: usize,
    },
    #[error(
        "image {image}, layer {index} ({path}): the uncompressed layer has digest {actual}, but the config's diffID is {expected}; the archive is corrupt or was tampered with"
    )]
    DiffIdMismatch {
        image: String,
        index: usize,
        path: String,
        expected: Digest,
        actual: Digest,
    },
    #[error(
        "layer {path} uses {format} compression, which the lab cannot read: save the image with gzip or uncompressed layers"
    )]
    UnsupportedLayerCompression { path: String, format: &'static str },
    #[error("layer {path} is broken: {source}")]
    Layer { path: String, source: TarError },
    #[error("opening the archive was cancelled before it finished: nothing was loaded")]
    Cancelled,
}

/// The images an archive holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Archive {
    pub images: Vec<ArchiveImage>,
}

/// One image read from an archive, verified.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveImage {
    /// Familiar names (`nginx:1.15.8`); empty for an image saved by ID.
    pub repo_tags: Vec<String>,
    /// The config JSON exactly as stored: its digest is the image ID.
    pub config_bytes: Vec<u8>,
    pub config: ImageConfiguration,
    pub image_id: Digest,
    /// Bottom layer first.
    pub layers: Vec<ArchiveLayer>,
}

impl ArchiveImage {
    /// The image's size as `docker image ls` shows it: the sum of its layers' sizes.
    pub fn size(&self) -> u64 {
        self.layers.iter().map(ArchiveLayer::apparent_size).sum()
    }

    pub fn diff_ids(&self) -> Vec<Digest> {
        self.layers.iter().map(|l| l.diff_id).collect()
    }

    pub fn chain_ids(&self) -> Vec<Digest> {
        Digest::chain_ids(&self.diff_ids())
    }
}

/// One layer of an archive image.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveLayer {
    pub changeset: Changeset,
    /// sha256 of the uncompressed tar, checked against the config's `rootfs.diff_ids`.
    pub diff_id: Digest,
    /// sha256 of the blob as stored in the archive (equal to `diff_id` for an uncompressed one).
    pub digest: Digest,
    /// Bytes of the blob as stored.
    pub size: u64,
}

impl ArchiveLayer {
    /// The layer's size as `docker history` shows it (Docker's apparent size, not tar bytes).
    pub fn apparent_size(&self) -> u64 {
        self.changeset.size()
    }
}

/// How much work an open does between two pauses: a few milliseconds of hashing or inflating in
/// a page, so a caller that yields every ~16 ms can keep the page answering.
pub const PAUSE_EVERY: usize = 1 << 20;

/// What an open is doing at a pause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Decompressing the gzip-compressed archive; `done` and `total` count its compressed bytes.
    Inflating,
    /// Listing the members of the archive's tar.
    Reading,
    /// Hashing a blob to compare with the digest it is named by.
    Verifying { digest: Digest },
    /// Hashing, decompressing and reading layer `layer` (from 0) of an image with `layers` layers.
    Unpacking { layer: usize, layers: usize },
}

/// How far an open got. From [`Stage::Reading`] on, `done` and `total` count bytes of the
/// archive's (decompressed) tar, each blob weighed once by its stored size, so `done` only grows
/// and stays at or below `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub stage: Stage,
    pub done: u64,
    pub total: u64,
}

/// What the caller of [`open_paused`] does at each pause.
pub trait Pause {
    /// Called about every [`PAUSE_EVERY`] bytes of work; the open goes on once the returned
    /// future is ready, and stops with [`ArchiveError::Cancelled`] if it says `Break`.
    fn pause(&mut self, progress: Progress) -> PauseFuture<'_>;
}

/// What [`Pause::pause`] returns. Boxed so that the open is compiled once for every caller
/// rather than once per caller type: the page's bundle carries one copy of it.
pub type PauseFuture<'a> = Pin<Box<dyn Future<Output = ControlFlow<()>> + 'a>>;

/// The pause of the synchronous [`open`]: never waits, never stops. Its future is a zero-sized
/// `Ready`, so boxing it does not allocate.
struct NoPause;

impl Pause for NoPause {
    fn pause(&mut self, _: Progress) -> PauseFuture<'_> {
        Box::pin(std::future::ready(ControlFlow::Continue(())))
    }
}

/// What [`open_paused`] returns.
pub type OpenFuture<'a> = Pin<Box<dyn Future<Output = Result<Archive, ArchiveError>> + 'a>>;

/// Opens an image archive held in memory and verifies every image in it, in one go.
pub fn open(bytes: &[u8], limits: &Limits) -> Result<Archive, ArchiveError> {
    let mut no_pause = NoPause;
    let mut open = open_paused(bytes, limits, &mut no_pause);
    // A plain poll loop rather than an executor crate: every future the open awaits is NoPause's
    // ready one, so the first poll finishes it, and nothing needs waking. The loop only keeps
    // that true should some future ever answer Pending and wake itself.
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(result) = open.as_mut().poll(&mut cx) {
            return result;
        }
    }
}

/// [`open`] with pause points: every [`PAUSE_EVERY`] bytes of inflating, hashing or listing
/// members it awaits `pause`, which may stop it. Stopped or failed, it returns an error and
/// nothing else; the caller's state is untouched until it takes the [`Archive`].
///
/// Boxed: a future's body is compiled in every crate that polls it by its own type, so the page
/// would carry a second copy of the whole open beside the one [`open`] uses.
pub fn open_paused<'a>(bytes: &'a [u8], limits: &'a Limits, pause: &'a mut dyn Pause) -> OpenFuture<'a> {
    Box::pin(open_with(bytes, limits, pause))
}

async fn open_with(bytes: &[u8], limits: &Limits, pause: &mut dyn Pause) -> Result<Archive, ArchiveError> {
    let size = bytes.len() as u64;
    if size > limits.max_archive_bytes {
        return Err(ArchiveError::TooLarge {
            size,
            limit: limits.max_archive_bytes,
        });
    }
    let mut meter = Meter { pause, work: 0 };
    let mut unpacked_spent = 0;
    let tar: Cow<'_, [u8]> = match compression_of(bytes) {
        Compression::Gzip => {
            let progress = |consumed| Progress {
                stage: Stage::Inflating,
                done: consumed,
                total: size,
            };
            let plain = gunzip(bytes, limits.max_unpacked_bytes, None, &mut meter, &progress)
                .await
                .map_err(|e| match e {
                    GunzipError::Exceeded => ArchiveError::UnpackedTooLarge {
                        limit: limits.max_unpacked_bytes,
                    },
                    GunzipError::Io(source) => ArchiveError::Gzip { source },
                    GunzipError::Cancelled => ArchiveError::Cancelled,
                })?;
            unpacked_spent = plain.len() as u64;
            Cow::Owned(plain)
        }
        Compression::None => Cow::Borrowed(bytes),
        Compression::Unsupported(format) => return Err(ArchiveError::UnsupportedCompression { format }),
    };
    let members = Members::scan(&tar, limits, &mut meter).await?;
    let mut loader = Loader {
        members,
        limits,
        unpacked_spent,
        layer_entries_spent: 0,
        layers: HashMap::new(),
        meter,
        done: 0,
    };
    let images = if loader.members.contains(MANIFEST_JSON) {
        loader.docker().await?
    } else if loader.members.contains(INDEX_JSON) {
        loader.oci().await?
    } else {
        return Err(ArchiveError::NotAnImageArchive);
    };
    if images.is_empty() {
        return Err(ArchiveError::NoImages);
    }
    Ok(Archive { images })
}

/// Counts work between pauses and pauses once a [`PAUSE_EVERY`]'s worth is done.
struct Meter<'p> {
    pause: &'p mut dyn Pause,
    work: usize,
}

impl Meter<'_> {
    /// `bytes` more were worked on; `progress` says where that leaves the open.
    async fn worked(&mut self, bytes: usize, progress: Progress) -> Result<(), ArchiveError> {
        self.work = self.work.saturating_add(bytes);
        if self.work < PAUSE_EVERY {
            return Ok(());
        }
        self.work = 0;
        match self.pause.pause(progress).await {
            ControlFlow::Continue(()) => Ok(()),
            ControlFlow::Break(()) => Err(ArchiveError::Cancelled),
        }
    }

    /// The sha256 of `bytes`, pausing along the way; `at` turns the bytes hashed so far into
    /// progress.
    async fn hash(&mut self, bytes: &[u8], at: &dyn Fn(u64) -> Progress) -> Result<Digest, ArchiveError> {
        let mut hasher = Hasher::new();
        let mut hashed = 0u64;
        for chunk in bytes.chunks(PAUSE_EVERY) {
            hasher.update(chunk);
            hashed += chunk.len() as u64;
            self.worked(chunk.len(), at(hashed)).await?;
        }
        Ok(hasher.finish())
    }
}

const MANIFEST_JSON: &str = "manifest.json";
const INDEX_JSON: &str = "index.json";
const OCI_LAYOUT: &str = "oci-layout";
/// A layer saved twice is one symlink away from its first copy; eight hops is plenty for any tool.
const MAX_LINK_HOPS: usize = 8;
/// Docker's multi-platform saves nest one index inside `index.json`; deeper is not written by any tool.
const MAX_INDEX_DEPTH: usize = 4;
const TAR_BLOCK: u64 = 512;
/// Listing a member reads its header and skips its data: counted as this many bytes of work, so
/// an archive of many small members pauses every 256 of them.
const MEMBER_WORK: usize = PAUSE_EVERY / 256;

enum Compression {
    None,
    Gzip,
    Unsupported(&'static str),
}

/// Sniffs the magic bytes. The layer codec has the same check privately; the archive needs it
/// before reading a layer, to hash the decompressed bytes and to name the format in its own error.
fn compression_of(bytes: &[u8]) -> Compression {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(&crate::gzip::MAGIC) {
        Compression::Gzip
    } else if starts(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Unsupported("zstd")
    } else if starts(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Compression::Unsupported("xz")
    } else if starts(b"BZh") {
        Compression::Unsupported("bzip2")
    } else {
        Compression::None
    }
}

enum GunzipError {
    Exceeded,
    Io(io::Error),
    Cancelled,
}

/// Decompresses at most `budget` bytes (one byte more means the budget is exceeded), a
/// [`PAUSE_EVERY`] of output at a time so that a bomb is paused on too, feeding what comes out to
/// `hasher` if given one; `at` turns the compressed bytes read so far into progress.
async fn gunzip(
    bytes: &[u8],
    budget: u64,
    mut hasher: Option<&mut Hasher>,
    meter: &mut Meter<'_>,
    at: &dyn Fn(u64) -> Progress,
) -> Result<Vec<u8>, GunzipError> {
    let mut out = Vec::new();
    let consumed = Cell::new(0usize);
    let mut decoder = GzipReader::new(Counted {
        rest: bytes,
        taken: &consumed,
    });
    let limit = budget.saturating_add(1);
    loop {
        let start = out.len();
        let room = limit.saturating_sub(start as u64).min(PAUSE_EVERY as u64);
        let n = (&mut decoder)
            .take(room)
            .read_to_end(&mut out)
            .map_err(GunzipError::Io)?;
        if out.len() as u64 > budget {
            return Err(GunzipError::Exceeded);
        }
        if n == 0 {
            return Ok(out);
        }
        if let Some(h) = hasher.as_deref_mut() {
            h.update(out.get(start..).unwrap_or_default());
        }
        meter
            .worked(n, at(consumed.get() as u64))
            .await
            .map_err(|_| GunzipError::Cancelled)?;
    }
}

/// The compressed bytes [`gunzip`] reads, counting how many the reader took, for its progress.
struct Counted<'a> {
    rest: &'a [u8],
    taken: &'a Cell<usize>,
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.rest.read(buf)?;
        self.taken.set(self.taken.get() + n);
        Ok(n)
    }
}

impl BufRead for Counted<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        Ok(self.rest)
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.rest.len());
        self.rest.consume(n);
        self.taken.set(self.taken.get() + n);
    }
}

/// A member of the archive's tar, by where its bytes are rather than a copy of them.
#[derive(Debug)]
enum Member {
    File { start: usize, len: usize },
    Symlink { target: String },
    Hardlink { target: String },
}

/// The archive's members by normalised name, over the (decompressed) tar bytes.
struct Members<'a> {
    data: &'a [u8],
    map: BTreeMap<String, Member>,
}

impl<'a> Members<'a> {
    async fn scan(data: &'a [u8], limits: &Limits, meter: &mut Meter<'_>) -> Result<Self, ArchiveError> {
        let actual = data.len() as u64;
        let mut archive = ::tar::Archive::new(Cursor::new(data));
        // Seeking over member data instead of reading it: a 100 MB archive is indexed, not copied.
        let entries = archive
            .entries_with_seek()
            .map_err(|source| ArchiveError::Malformed { index: 0, source })?;
        let mut map = BTreeMap::new();
        let mut end = 0u64;
        for (index, item) in entries.enumerate() {
            if index >= limits.max_entries {
                return Err(ArchiveError::TooManyEntries {
                    limit: limits.max_entries,
                });
            }
            let entry = item.map_err(|source| ArchiveError::Malformed { index, source })?;
            let raw = entry.path_bytes();
            let name = std::str::from_utf8(&raw).map_err(|_| ArchiveError::NonUtf8Name { index })?;
            let name = normalize_path_or_root(name).map_err(|source| ArchiveError::BadMemberName {
                name: name.to_owned(),
                source,
            })?;
            let start = entry.raw_file_position();
            let size = entry.size();
            let data_end = start.saturating_add(size);
            if data_end > actual {
                return Err(ArchiveError::Truncated {
                    what: if name.is_empty() {
                        "the root member".to_owned()
                    } else {
                        name
                    },
                    needed: data_end,
                    actual,
                });
            }
            end = data_end.div_ceil(TAR_BLOCK).saturating_mul(TAR_BLOCK);
            let progress = Progress {
                stage: Stage::Reading,
                done: end.min(actual),
                total: actual,
            };
            meter.worked(MEMBER_WORK, progress).await?;
            use ::tar::EntryType as T;
            let member = match entry.header().entry_type() {
                T::Regular | T::Continuous => Member::File {
                    // Both fit: they were checked against the length of a slice above.
                    start: usize::try_from(start).unwrap_or(usize::MAX),
                    len: usize::try_from(size).unwrap_or(usize::MAX),
                },
                T::Symlink | T::Link => {
                    let target = entry.link_name_bytes().unwrap_or_default();
                    let target = std::str::from_utf8(&target)
                        .map_err(|_| ArchiveError::NonUtf8Name { index })?
                        .to_owned();
                    if entry.header().entry_type() == T::Symlink {
                        Member::Symlink { target }
                    } else {
                        Member::Hardlink { target }
                    }
                }
                // Directories, PAX global headers and device nodes name nothing a manifest can use.
                _ => continue,
            };
            if name.is_empty() {
                return Err(ArchiveError::BadMemberName {
                    source: PathError::Empty { path: name.clone() },
                    name,
                });
            }
            if map.contains_key(&name) {
                return Err(ArchiveError::DuplicateMember { path: name });
            }
            map.insert(name, member);
        }
        // Every tar writer ends with two zero blocks; without them the file was cut short, and a
        // member missing later would otherwise be reported as "not an image archive".
        let marker_end = end.saturating_add(2 * TAR_BLOCK);
        let marker = usize::try_from(end)
            .ok()
            .zip(usize::try_from(marker_end).ok())
            .and_then(|(s, e)| data.get(s..e));
        if !marker.is_some_and(|m| m.iter().all(|&b| b == 0)) {
            return Err(ArchiveError::Truncated {
                what: "the end-of-archive marker".to_owned(),
                needed: marker_end,
                actual,
            });
        }
        Ok(Members { data, map })
    }

    fn contains(&self, path: &str) -> bool {
        self.map.contains_key(path)
    }

    /// The bytes of the file at `path`, following links inside the archive only.
    fn file(&self, path: &str, file: &str) -> Result<&'a [u8], ArchiveError> {
        let mut current = path.to_owned();
        for _ in 0..MAX_LINK_HOPS {
            let next = match self.map.get(&current) {
                None => {
                    return Err(ArchiveError::Missing {
                        file: file.to_owned(),
                        path: current,
                    });
                }
                Some(Member::File { start, len }) => {
                    return start
                        .checked_add(*len)
                        .and_then(|end| self.data.get(*start..end))
                        .ok_or_else(|| ArchiveError::Truncated {
                            what: current.clone(),
                            needed: (*start as u64).saturating_add(*len as u64),
                            actual: self.data.len() as u64,
                        });
                }
                // A symlink is relative to its own directory; a hardlink names a member.
                Some(Member::Symlink { target }) => {
                    (target, path::join(path::parent(&current).unwrap_or(""), target))
                }
                Some(Member::Hardlink { target }) => (target, target.clone()),
            };
            let (target, joined) = next;
            if target.starts_with('/') {
                return Err(ArchiveError::LinkEscapes {
                    path: current,
                    target: target.clone(),
                });
            }
            current = normalize_path(&joined).map_err(|_| ArchiveError::LinkEscapes {
                path: current.clone(),
                target: target.clone(),
            })?;
        }
        Err(ArchiveError::LinkLoop {
            path: path.to_owned(),
            hops: MAX_LINK_HOPS,
        })
    }
}

/// A reference from `manifest.json` checked for shape: the member path, and the digest its name
/// promises (none for a legacy `<v1 id>/layer.tar`, whose directory is not a content digest).
fn reference(file: &str, raw: &str) -> Result<(String, Option<Digest>), ArchiveError> {
    let bad = || ArchiveError::BadReference {
        file: file.to_owned(),
        reference: raw.to_owned(),
    };
    if raw.starts_with('/') {
        return Err(ArchiveError::AbsoluteReference {
            file: file.to_owned(),
            reference: raw.to_owned(),
        });
    }
    if raw.split('/').any(|c| c == "..") {
        return Err(ArchiveError::EscapingReference {
            file: file.to_owned(),
            reference: raw.to_owned(),
        });
    }
    let path = normalize_path(raw).map_err(|_| bad())?;
    let parts: Vec<&str> = path.split('/').collect();
    let digest = match parts.as_slice() {
        ["blobs", "sha256", hex] => Some(hex_digest(hex).ok_or_else(bad)?),
        [hex, "layer.tar"] => {
            hex_digest(hex).ok_or_else(bad)?;
            None
        }
        // `<hex>.json` and `<hex>.tar` (Docker, Podman); `<hex>.tar.gz` and `sha256:<hex>` (go-containerregistry).
        [name] => {
            let hex = [".tar.gz", ".json", ".tar"]
                .iter()
                .find_map(|ext| name.strip_suffix(ext))
                .or_else(|| name.strip_prefix("sha256:"))
                .unwrap_or(name);
            Some(hex_digest(hex).ok_or_else(bad)?)
        }
        _ => return Err(bad()),
    };
    Ok((path, digest))
}

fn hex_digest(hex: &str) -> Option<Digest> {
    format!("sha256:{hex}").parse().ok()
}

/// The member path of a blob in an OCI layout.
fn blob_path(digest: &Digest) -> String {
    format!("blobs/sha256/{}", digest.hex())
}

/// One entry of Docker's `manifest.json`.
#[derive(Deserialize)]
struct DockerManifestItem {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
}

#[derive(Deserialize)]
struct OciLayout {
    #[serde(rename = "imageLayoutVersion")]
    version: String,
}

/// Where a blob is and what it must be.
struct BlobRef {
    path: String,
    digest: Option<Digest>,
    size: Option<u64>,
}

struct Loader<'a, 'p> {
    members: Members<'a>,
    limits: &'a Limits,
    unpacked_spent: u64,
    layer_entries_spent: usize,
    /// Layers already read, by member path: images in one archive often share their base layers.
    layers: HashMap<String, ArchiveLayer>,
    meter: Meter<'p>,
    /// Stored bytes of the blobs read so far, for [`Progress::done`].
    done: u64,
}

/// Where the blob being read sits in the progress of the whole open.
#[derive(Clone, Copy)]
struct Span {
    start: u64,
    total: u64,
}

impl Span {
    fn at(self, stage: Stage, into: u64) -> Progress {
        Progress {
            stage,
            done: self.start.saturating_add(into).min(self.total),
            total: self.total,
        }
    }
}

impl<'a> Loader<'a, '_> {
    fn span(&self) -> Span {
        Span {
            start: self.done,
            total: self.members.data.len() as u64,
        }
    }

    async fn docker(&mut self) -> Result<Vec<ArchiveImage>, ArchiveError> {
        let items: Vec<DockerManifestItem> = self.json(MANIFEST_JSON, MANIFEST_JSON)?;
        let mut images = Vec::with_capacity(items.len());
        for item in items {
            let tags = item
                .repo_tags
                .unwrap_or_default()
                .iter()
                .map(|t| familiar(MANIFEST_JSON, t))
                .collect::<Result<Vec<_>, _>>()?;
            let (path, digest) = reference(MANIFEST_JSON, &item.config)?;
            let config = BlobRef {
                path,
                digest,
                size: None,
            };
            let layers = item
                .layers
                .iter()
                .map(|l| {
                    reference(MANIFEST_JSON, l).map(|(path, digest)| BlobRef {
                        path,
                        digest,
                        size: None,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            images.push(self.image(MANIFEST_JSON, tags, &config, &layers).await?);
        }
        Ok(images)
    }

    async fn oci(&mut self) -> Result<Vec<ArchiveImage>, ArchiveError> {
        if self.members.contains(OCI_LAYOUT) {
            let layout: OciLayout = self.json(OCI_LAYOUT, OCI_LAYOUT)?;
            if !layout.version.starts_with("1.") {
                return Err(ArchiveError::UnsupportedLayoutVersion {
                    version: layout.version,
                });
            }
        }
        let index: ImageIndex = self.json(INDEX_JSON, INDEX_JSON)?;
        let mut images = Vec::new();
        for desc in index.manifests() {
            let tags = annotated_tags(INDEX_JSON, desc)?;
            self.oci_descriptor(INDEX_JSON, desc, &tags, 0, &mut images)
                .await?;
        }
        Ok(images)
    }

    /// Loads the image (or, for a nested index, the images) a descriptor points at.
    async fn oci_descriptor(
        &mut self,
        file: &str,
        desc: &crate::oci::Descriptor,
        tags: &[String],
        depth: usize,
        images: &mut Vec<ArchiveImage>,
    ) -> Result<(), ArchiveError> {
        let blob = descriptor_blob(file, desc)?;
        match desc.media_type().to_string().as_str() {
            "application/vnd.oci.image.manifest.v1+json" | crate::oci::DOCKER_MANIFEST_V2 => {
                let manifest: ImageManifest =
                    parse_json(&blob.path, self.verified_bytes(file, &blob, true).await?)?;
                let config = descriptor_blob(&blob.path, manifest.config())?;
                let layers = manifest
                    .layers()
                    .iter()
                    .map(|l| descriptor_blob(&blob.path, l))
                    .collect::<Result<Vec<_>, _>>()?;
                images.push(self.image(&blob.path, tags.to_vec(), &config, &layers).await?);
            }
            "application/vnd.oci.image.index.v1+json" | crate::oci::DOCKER_MANIFEST_LIST => {
                if depth >= MAX_INDEX_DEPTH {
                    return Err(ArchiveError::NestingTooDeep {
                        file: file.to_owned(),
                        limit: MAX_INDEX_DEPTH,
                    });
                }
                let index: ImageIndex =
                    parse_json(&blob.path, self.verified_bytes(file, &blob, true).await?)?;
                for child in index.manifests() {
                    // A save of one platform keeps the index but not the other platforms' blobs,
                    // and attestations are not images; both are left out as `docker load` does.
                    let attestation = child
                        .annotations()
                        .as_ref()
                        .is_some_and(|a| a.contains_key("vnd.docker.reference.type"));
                    let child_path = descriptor_blob(&blob.path, child)?.path;
                    if attestation || !self.members.contains(&child_path) {
                        continue;
                    }
                    // Boxed: an async fn that calls itself needs its future behind a pointer.
                    Box::pin(self.oci_descriptor(&blob.path, child, tags, depth + 1, images)).await?;
                }
            }
            // Artifacts and other content that is not an image.
            _ => {}
        }
        Ok(())
    }

    async fn image(
        &mut self,
        file: &str,
        repo_tags: Vec<String>,
        config: &BlobRef,
        layers: &[BlobRef],
    ) -> Result<ArchiveImage, ArchiveError> {
        let config_bytes = self.verified_bytes(file, config, true).await?.to_vec();
        let parsed: ImageConfiguration = parse_json(&config.path, &config_bytes)?;
        let image_id = Digest::of(&config_bytes);
        let diff_ids = parsed
            .rootfs()
            .diff_ids()
            .iter()
            .map(|d| {
                d.parse::<Digest>().map_err(|source| ArchiveError::BadDigest {
                    file: config.path.clone(),
                    source,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let name = repo_tags.first().cloned().unwrap_or_else(|| image_id.short());
        if diff_ids.len() != layers.len() {
            return Err(ArchiveError::LayerCountMismatch {
                image: name,
                layers: layers.len(),
                diff_ids: diff_ids.len(),
            });
        }
        let mut out = Vec::with_capacity(layers.len());
        for (index, (blob, diff_id)) in layers.iter().zip(&diff_ids).enumerate() {
            out.push(
                self.layer(file, &name, (index, layers.len()), blob, *diff_id)
                    .await?,
            );
        }
        Ok(ArchiveImage {
            repo_tags,
            config_bytes,
            config: parsed,
            image_id,
            layers: out,
        })
    }

    /// Layer `index.0` of the `index.1` layers of `image`.
    async fn layer(
        &mut self,
        file: &str,
        image: &str,
        (index, count): (usize, usize),
        blob: &BlobRef,
        expected_diff_id: Digest,
    ) -> Result<ArchiveLayer, ArchiveError> {
        let mismatch = |actual: Digest| ArchiveError::DiffIdMismatch {
            image: image.to_owned(),
            index,
            path: blob.path.clone(),
            expected: expected_diff_id,
            actual,
        };
        if let Some(done) = self.layers.get(&blob.path).cloned() {
            if done.diff_id != expected_diff_id {
                return Err(mismatch(done.diff_id));
            }
            if blob.digest.is_some_and(|d| d != done.digest) || blob.size.is_some_and(|s| s != done.size) {
                // Same member, other promises: let the full check name what differs.
                self.verified_bytes(file, blob, false).await?;
            }
            return Ok(done);
        }
        let bytes = self.sized_bytes(file, blob, false)?;
        let size = bytes.len() as u64;
        let span = self.span();
        let unpacking = Stage::Unpacking {
            layer: index,
            layers: count,
        };
        // The stored bytes are hashed once, for the digest the blob is named by (if any), for
        // the layer's digest and, when it is not compressed, for its diffID. That pass is the
        // first half of the layer's progress; decompressing it (if need be) the second.
        let hashing = blob
            .digest
            .map_or(unpacking, |digest| Stage::Verifying { digest });
        let digest = self.meter.hash(bytes, &|h| span.at(hashing, h / 2)).await?;
        check_digest(blob, digest)?;
        let (tar, diff_id): (Cow<'_, [u8]>, Digest) = match compression_of(bytes) {
            Compression::None => (Cow::Borrowed(bytes), digest),
            Compression::Gzip => {
                let budget = self.limits.max_unpacked_bytes.saturating_sub(self.unpacked_spent);
                let mut hasher = Hasher::new();
                let at = |consumed: u64| span.at(unpacking, size / 2 + consumed / 2);
                let plain = gunzip(bytes, budget, Some(&mut hasher), &mut self.meter, &at)
                    .await
                    .map_err(|e| match e {
                        GunzipError::Exceeded => ArchiveError::UnpackedTooLarge {
                            limit: self.limits.max_unpacked_bytes,
                        },
                        GunzipError::Io(source) => ArchiveError::Layer {
                            path: blob.path.clone(),
                            source: TarError::Malformed { index: 0, source },
                        },
                        GunzipError::Cancelled => ArchiveError::Cancelled,
                    })?;
                self.unpacked_spent += plain.len() as u64;
                (Cow::Owned(plain), hasher.finish())
            }
            Compression::Unsupported(format) => {
                return Err(ArchiveError::UnsupportedLayerCompression {
                    path: blob.path.clone(),
                    format,
                });
            }
        };
        // Verified before parsing: a layer the config does not vouch for is never read.
        if diff_id != expected_diff_id {
            return Err(mismatch(diff_id));
        }
        let entry_budget = self
            .limits
            .max_layer_entries
            .saturating_sub(self.layer_entries_spent);
        let tar_limits = TarLimits {
            // The tar is already in memory: reading it cannot allocate more than it holds.
            max_unpacked_bytes: tar.len() as u64,
            max_entries: entry_budget,
        };
        let changeset = layer_tar::read_with_limits(&tar, &tar_limits).map_err(|source| match source {
            TarError::TooManyEntries { .. } => ArchiveError::TooManyLayerEntries {
                limit: self.limits.max_layer_entries,
            },
            source => ArchiveError::Layer {
                path: blob.path.clone(),
                source,
            },
        })?;
        self.layer_entries_spent += changeset.len();
        self.done = self.done.saturating_add(size);
        // Reading the tar copies every file in it: count that as work too.
        self.meter.worked(tar.len(), self.span().at(unpacking, 0)).await?;
        let layer = ArchiveLayer {
            changeset,
            diff_id,
            digest,
            size,
        };
        self.layers.insert(blob.path.clone(), layer.clone());
        Ok(layer)
    }

    /// The bytes of a blob, checked against its promised size; `json` caps the size before
    /// anything is hashed or parsed.
    fn sized_bytes(&self, file: &str, blob: &BlobRef, json: bool) -> Result<&'a [u8], ArchiveError> {
        let bytes = self.members.file(&blob.path, file)?;
        let size = bytes.len() as u64;
        if json && size > self.limits.max_json_bytes {
            return Err(ArchiveError::JsonTooLarge {
                path: blob.path.clone(),
                size,
                limit: self.limits.max_json_bytes,
            });
        }
        if let Some(expected) = blob.size.filter(|&e| e != size) {
            return Err(ArchiveError::BlobSizeMismatch {
                path: blob.path.clone(),
                expected,
                actual: size,
            });
        }
        Ok(bytes)
    }

    /// [`Self::sized_bytes`], then checked against the digest the blob is named by.
    async fn verified_bytes(
        &mut self,
        file: &str,
        blob: &BlobRef,
        json: bool,
    ) -> Result<&'a [u8], ArchiveError> {
        let bytes = self.sized_bytes(file, blob, json)?;
        if let Some(digest) = blob.digest {
            let span = self.span();
            let stage = Stage::Verifying { digest };
            let actual = self.meter.hash(bytes, &|h| span.at(stage, h)).await?;
            check_digest(blob, actual)?;
        }
        self.done = self.done.saturating_add(bytes.len() as u64);
        Ok(bytes)
    }

    /// A top-level JSON file (`manifest.json`, `index.json`, `oci-layout`): no digest to check, so
    /// nothing to hash and no pause.
    fn json<T: serde::de::DeserializeOwned>(&mut self, path: &str, file: &str) -> Result<T, ArchiveError> {
        let blob = BlobRef {
            path: path.to_owned(),
            digest: None,
            size: None,
        };
        let bytes = self.sized_bytes(file, &blob, true)?;
        self.done = self.done.saturating_add(bytes.len() as u64);
        parse_json(path, bytes)
    }
}

/// Fails unless `actual` is the digest the blob is named by, if it is named by one.
fn check_digest(blob: &BlobRef, actual: Digest) -> Result<(), ArchiveError> {
    match blob.digest {
        Some(expected) if expected != actual => Err(ArchiveError::BlobDigestMismatch {
            path: blob.path.clone(),
            expected,
            actual,
        }),
        _ => Ok(()),
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(path: &str, bytes: &[u8]) -> Result<T, ArchiveError> {
    serde_json::from_slice(bytes).map_err(|source| ArchiveError::Json {
        path: path.to_owned(),
        source,
    })
}

/// Where an OCI descriptor's blob is, and what it must hash to and weigh.
fn descriptor_blob(file: &str, desc: &crate::oci::Descriptor) -> Result<BlobRef, ArchiveError> {
    let digest: Digest = desc
        .digest()
        .to_string()
        .parse()
        .map_err(|source| ArchiveError::BadDigest {
            file: file.to_owned(),
            source,
        })?;
    Ok(BlobRef {
        path: blob_path(&digest),
        digest: Some(digest),
        size: Some(desc.size()),
    })
}

/// A `RepoTags` entry in Docker's familiar form, refused as `docker load` refuses a bad one.
fn familiar(file: &str, tag: &str) -> Result<String, ArchiveError> {
    Reference::parse(tag)
        .map(|r| r.familiar())
        .map_err(|source| ArchiveError::BadTag {
            file: file.to_owned(),
            tag: tag.to_owned(),
            source,
        })
}

/// The names an `index.json` entry gives its image. containerd's annotation is always a full
/// name; the OCI one may be a bare tag (`latest`) that names no repository, which loads untagged.
fn annotated_tags(file: &str, desc: &crate::oci::Descriptor) -> Result<Vec<String>, ArchiveError> {
    let Some(annotations) = desc.annotations() else {
        return Ok(Vec::new());
    };
    if let Some(name) = annotations.get("io.containerd.image.name") {
        return Ok(vec![familiar(file, name)?]);
    }
    match annotations.get("org.opencontainers.image.ref.name") {
        Some(name) if name.contains([':', '/']) => Ok(vec![familiar(file, name)?]),
        _ => Ok(Vec::new()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::layer::{Content, Entry, EntryKind};
    use proptest::prelude::*;
    use serde_json::json;

    /// The members of an archive, in order, before they are packed into a tar.
    #[derive(Clone)]
    enum M {
        File(String, Vec<u8>),
        Symlink(String, String),
    }

    fn file(path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> M {
        M::File(path.into(), bytes.into())
    }

    fn pack(members: &[M]) -> Vec<u8> {
        let mut b = ::tar::Builder::new(Vec::new());
        for m in members {
            let mut h = ::tar::Header::new_gnu();
            h.set_mode(0o644);
            match m {
                M::File(path, bytes) => {
                    h.set_entry_type(::tar::EntryType::Regular);
                    h.set_size(bytes.len() as u64);
                    b.append_data(&mut h, path, bytes.as_slice()).unwrap();
                }
                M::Symlink(path, target) => {
                    h.set_entry_type(::tar::EntryType::Symlink);
                    h.set_size(0);
                    b.append_link(&mut h, path, target).unwrap();
                }
            }
        }
        b.into_inner().unwrap()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
    }

    /// A two-layer image: a base with a few files, then a layer that deletes one and adds another.
    struct Fixture {
        changesets: Vec<Changeset>,
        /// Uncompressed layer tars.
        tars: Vec<Vec<u8>>,
        diff_ids: Vec<Digest>,
    }

    fn fixture() -> Fixture {
        let base = Changeset::new(vec![
            Entry::dir("bin"),
            Entry::file("bin/sh", Content::bytes(b"#!shell".to_vec())).with_mode(0o755),
            Entry::dir("etc"),
            Entry::file("etc/hostname", Content::bytes(b"lab\n".to_vec())),
            Entry::symlink("bin/ash", "sh"),
        ]);
        let top = Changeset::new(vec![
            Entry::dir("etc"),
            Entry::whiteout("etc/hostname"),
            Entry::file("etc/motd", Content::bytes(b"welcome\n".to_vec())),
        ]);
        let changesets = vec![base, top];
        let tars: Vec<Vec<u8>> = changesets
            .iter()
            .map(|cs| layer_tar::write(cs, Vec::new()).unwrap())
            .collect();
        let diff_ids = tars.iter().map(|t| Digest::of(t)).collect();
        Fixture {
            changesets,
            tars,
            diff_ids,
        }
    }

    fn config_json(diff_ids: &[Digest]) -> Vec<u8> {
        let ids: Vec<String> = diff_ids.iter().map(Digest::to_string).collect();
        serde_json::to_vec(&json!({
            "architecture": "amd64",
            "os": "linux",
            "config": { "Cmd": ["sh"] },
            "rootfs": { "type": "layers", "diff_ids": ids },
            "history": [{ "created_by": "ADD base" }, { "created_by": "RUN edit" }],
        }))
        .unwrap()
    }

    fn v1_id(i: usize) -> String {
        Digest::of(format!("v1 layer {i}").as_bytes()).hex()
    }

    /// `docker save` before v25, with a second image whose base layer is a symlink to the first's.
    fn docker_legacy(fx: &Fixture) -> Vec<M> {
        let config = config_json(&fx.diff_ids);
        let config_name = format!("{}.json", Digest::of(&config).hex());
        let base_only = config_json(&fx.diff_ids[..1]);
        let base_name = format!("{}.json", Digest::of(&base_only).hex());
        let mut members = Vec::new();
        for (i, tar) in fx.tars.iter().enumerate() {
            members.push(file(format!("{}/VERSION", v1_id(i)), "1.0"));
            members.push(file(format!("{}/json", v1_id(i)), "{}"));
            members.push(file(format!("{}/layer.tar", v1_id(i)), tar.clone()));
        }
        members.push(file(format!("{}/VERSION", v1_id(9)), "1.0"));
        members.push(M::Symlink(
            format!("{}/layer.tar", v1_id(9)),
            format!("../{}/layer.tar", v1_id(0)),
        ));
        members.push(file(config_name.clone(), config));
        members.push(file(base_name.clone(), base_only));
        let manifest = json!([
            {
                "Config": config_name,
                "RepoTags": ["demo/app:1.0", "docker.io/demo/app:latest"],
                "Layers": [format!("{}/layer.tar", v1_id(0)), format!("{}/layer.tar", v1_id(1))],
            },
            {
                "Config": base_name,
                "RepoTags": null,
                "Layers": [format!("{}/layer.tar", v1_id(9))],
            },
        ]);
        members.push(file("manifest.json", serde_json::to_vec(&manifest).unwrap()));
        members.push(file("repositories", r#"{"demo/app":{"1.0":"x"}}"#));
        members
    }

    /// `docker save` v25+: an OCI layout plus the legacy manifest.json pointing at its blobs.
    fn docker_v25(fx: &Fixture) -> Vec<M> {
        let config = config_json(&fx.diff_ids);
        let config_digest = Digest::of(&config);
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest.to_string(),
                "size": config.len(),
            },
            "layers": fx.tars.iter().map(|t| json!({
                "mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": Digest::of(t).to_string(),
                "size": t.len(),
            })).collect::<Vec<_>>(),
        }))
        .unwrap();
        let manifest_digest = Digest::of(&manifest);
        let index = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest_digest.to_string(),
                "size": manifest.len(),
                "annotations": {
                    "io.containerd.image.name": "docker.io/library/nginx:1.27",
                    "org.opencontainers.image.ref.name": "1.27",
                },
            }],
        });
        let legacy = json!([{
            "Config": blob_path(&config_digest),
            "RepoTags": ["nginx:1.27"],
            "Layers": fx.diff_ids.iter().map(blob_path).collect::<Vec<_>>(),
        }]);
        let mut members = vec![
            file("blobs/sha256/".to_owned() + &config_digest.hex(), config),
            file(blob_path(&manifest_digest), manifest),
        ];
        for t in &fx.tars {
            members.push(file(blob_path(&Digest::of(t)), t.clone()));
        }
        members.push(file("index.json", serde_json::to_vec(&index).unwrap()));
        members.push(file("manifest.json", serde_json::to_vec(&legacy).unwrap()));
        members.push(file("oci-layout", r#"{"imageLayoutVersion":"1.0.0"}"#));
        members
    }

    /// `podman save` (docker-archive): `<diffID>.tar`, `<config digest>.json`, legacy symlinks.
    fn podman(fx: &Fixture) -> Vec<M> {
        let config = config_json(&fx.diff_ids);
        let config_name = format!("{}.json", Digest::of(&config).hex());
        let mut members = Vec::new();
        for (i, (tar, id)) in fx.tars.iter().zip(&fx.diff_ids).enumerate() {
            members.push(file(format!("{}.tar", id.hex()), tar.clone()));
            members.push(M::Symlink(
                format!("{}/layer.tar", v1_id(i)),
                format!("../{}.tar", id.hex()),
            ));
        }
        members.push(file(config_name.clone(), config));
        let manifest = json!([{
            "Config": config_name,
            "RepoTags": ["localhost/demo:latest"],
            "Layers": fx.diff_ids.iter().map(|d| format!("{}.tar", d.hex())).collect::<Vec<_>>(),
        }]);
        members.push(file("manifest.json", serde_json::to_vec(&manifest).unwrap()));
        members
    }

    /// An OCI layout with gzip layers behind a multi-platform index: the arm64 manifest's blob is
    /// not saved, and an attestation sits beside the image.
    fn oci_layout(fx: &Fixture) -> (Vec<M>, Vec<Vec<u8>>) {
        let gz: Vec<Vec<u8>> = fx
            .changesets
            .iter()
            .map(|cs| layer_tar::write_gz(cs, Vec::new()).unwrap())
            .collect();
        let config = config_json(&fx.diff_ids);
        let config_digest = Digest::of(&config);
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest.to_string(),
                "size": config.len(),
            },
            "layers": gz.iter().map(|t| json!({
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": Digest::of(t).to_string(),
                "size": t.len(),
            })).collect::<Vec<_>>(),
        }))
        .unwrap();
        let manifest_digest = Digest::of(&manifest);
        let attestation = br#"{"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":1},"layers":[]}"#.to_vec();
        let attestation_digest = Digest::of(&attestation);
        let nested = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": manifest_digest.to_string(),
                    "size": manifest.len(),
                    "platform": { "architecture": "amd64", "os": "linux" },
                },
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": Digest::of(b"arm64 manifest, not saved").to_string(),
                    "size": 10,
                    "platform": { "architecture": "arm64", "os": "linux" },
                },
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": attestation_digest.to_string(),
                    "size": attestation.len(),
                    "annotations": { "vnd.docker.reference.type": "attestation-manifest" },
                    "platform": { "architecture": "unknown", "os": "unknown" },
                },
            ],
        }))
        .unwrap();
        let nested_digest = Digest::of(&nested);
        let index = json!({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "digest": nested_digest.to_string(),
                "size": nested.len(),
                "annotations": { "org.opencontainers.image.ref.name": "quay.io/demo/tool:2" },
            }],
        });
        let mut members = vec![
            file("./oci-layout", r#"{"imageLayoutVersion":"1.0.0"}"#),
            file("./index.json", serde_json::to_vec(&index).unwrap()),
            file(format!("./{}", blob_path(&config_digest)), config),
            file(blob_path(&manifest_digest), manifest),
            file(blob_path(&nested_digest), nested),
            file(blob_path(&attestation_digest), attestation),
        ];
        for t in &gz {
            members.push(file(blob_path(&Digest::of(t)), t.clone()));
        }
        (members, gz)
    }

    /// An OCI layout with one untagged image: index.json, its manifest, config and layer blobs.
    fn oci_single(config: &[u8], layers: &[Vec<u8>]) -> Vec<M> {
        let config_digest = Digest::of(config);
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest.to_string(),
                "size": config.len(),
            },
            "layers": layers.iter().map(|t| json!({
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": Digest::of(t).to_string(),
                "size": t.len(),
            })).collect::<Vec<_>>(),
        }))
        .unwrap();
        let index = json!({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": Digest::of(&manifest).to_string(),
                "size": manifest.len(),
            }],
        });
        let mut members = vec![
            file("index.json", serde_json::to_vec(&index).unwrap()),
            file(blob_path(&Digest::of(&manifest)), manifest),
            file(blob_path(&config_digest), config.to_vec()),
        ];
        members.extend(layers.iter().map(|l| file(blob_path(&Digest::of(l)), l.clone())));
        members
    }

    fn open_default(members: &[M]) -> Result<Archive, ArchiveError> {
        open(&pack(members), &Limits::default())
    }

    /// The image holds the fixture's layers, byte for byte as the codec reads them.
    fn assert_layers(img: &ArchiveImage, fx: &Fixture) {
        assert_eq!(img.diff_ids(), fx.diff_ids);
        assert_eq!(img.chain_ids(), Digest::chain_ids(&fx.diff_ids));
        assert_eq!(img.image_id, Digest::of(&img.config_bytes));
        for (layer, tar) in img.layers.iter().zip(&fx.tars) {
            assert_eq!(layer.changeset, layer_tar::read(tar).unwrap());
        }
        let top = &img.layers[1].changeset;
        assert_eq!(
            top.get("etc/hostname").map(|e| &e.kind),
            Some(&EntryKind::Whiteout)
        );
        assert_eq!(
            top.get("etc/motd").map(|e| &e.kind),
            Some(&EntryKind::File(Content::bytes(b"welcome\n".to_vec())))
        );
        assert_eq!(img.layers[0].changeset.get("bin/sh").map(|e| e.mode), Some(0o755));
        assert_eq!(img.size(), 7 + 4 + 2 + 8);
    }

    #[test]
    fn opens_legacy_docker_save_with_a_shared_layer_symlink() {
        let fx = fixture();
        let archive = open_default(&docker_legacy(&fx)).unwrap();
        assert_eq!(archive.images.len(), 2);
        let app = &archive.images[0];
        assert_eq!(app.repo_tags, ["demo/app:1.0", "demo/app:latest"]);
        assert_layers(app, &fx);
        for (layer, tar) in app.layers.iter().zip(&fx.tars) {
            assert_eq!(layer.digest, Digest::of(tar));
            assert_eq!(layer.size, tar.len() as u64);
        }
        let base = &archive.images[1];
        assert!(base.repo_tags.is_empty());
        assert_eq!(base.layers, app.layers[..1]);
        assert_eq!(base.config.rootfs().diff_ids().len(), 1);
    }

    #[test]
    fn opens_docker_v25_save_through_manifest_json() {
        let fx = fixture();
        let archive = open_default(&docker_v25(&fx)).unwrap();
        assert_eq!(archive.images.len(), 1);
        assert_eq!(archive.images[0].repo_tags, ["nginx:1.27"]);
        assert_layers(&archive.images[0], &fx);
    }

    #[test]
    fn opens_docker_v25_save_through_index_json_alone() {
        let fx = fixture();
        let members: Vec<M> = docker_v25(&fx)
            .into_iter()
            .filter(|m| !matches!(m, M::File(p, _) if p == "manifest.json"))
            .collect();
        let archive = open_default(&members).unwrap();
        // The containerd name wins over the bare OCI tag.
        assert_eq!(archive.images[0].repo_tags, ["nginx:1.27"]);
        assert_layers(&archive.images[0], &fx);
    }

    #[test]
    fn opens_podman_save() {
        let fx = fixture();
        let archive = open_default(&podman(&fx)).unwrap();
        assert_eq!(archive.images[0].repo_tags, ["localhost/demo:latest"]);
        assert_layers(&archive.images[0], &fx);
    }

    #[test]
    fn opens_gzipped_oci_layout_with_gzip_layers_and_a_platform_index() {
        let fx = fixture();
        let (members, gz) = oci_layout(&fx);
        let archive = open(&gzip(&pack(&members)), &Limits::default()).unwrap();
        assert_eq!(
            archive.images.len(),
            1,
            "arm64 is not saved and the attestation is no image"
        );
        let img = &archive.images[0];
        assert_eq!(img.repo_tags, ["quay.io/demo/tool:2"]);
        assert_layers(img, &fx);
        for (layer, blob) in img.layers.iter().zip(&gz) {
            assert_eq!(layer.digest, Digest::of(blob));
            assert_eq!(layer.size, blob.len() as u64);
            assert_ne!(layer.digest, layer.diff_id);
        }
    }

    fn replace(members: &mut [M], path: &str, bytes: Vec<u8>) {
        for m in members.iter_mut() {
            if let M::File(p, b) = m
                && p == path
            {
                *b = bytes.clone();
            }
        }
    }

    fn set_manifest(members: &mut [M], manifest: serde_json::Value) {
        replace(members, "manifest.json", serde_json::to_vec(&manifest).unwrap());
    }

    #[test]
    fn refuses_a_blob_that_does_not_match_its_digest() {
        let fx = fixture();
        let mut members = docker_v25(&fx);
        let path = blob_path(&fx.diff_ids[1]);
        replace(&mut members, &path, fx.tars[0].clone());
        let err = open_default(&members).unwrap_err();
        assert!(
            matches!(&err, ArchiveError::BlobDigestMismatch { path: p, expected, actual }
                if *p == path && *expected == fx.diff_ids[1] && *actual == fx.diff_ids[0]),
            "{err}"
        );

        let mut members = podman(&fx);
        let path = format!("{}.tar", fx.diff_ids[0].hex());
        replace(&mut members, &path, fx.tars[1].clone());
        let err = open_default(&members).unwrap_err();
        assert!(matches!(err, ArchiveError::BlobDigestMismatch { .. }), "{err}");
        assert!(err.to_string().contains("tampered"), "{err}");
    }

    #[test]
    fn refuses_a_layer_whose_diff_id_is_not_the_configs() {
        let fx = fixture();
        let mut members = docker_legacy(&fx);
        // A consistent config (its name is its digest) that vouches for other layers.
        let config = config_json(&[fx.diff_ids[0], fx.diff_ids[0]]);
        let config_name = format!("{}.json", Digest::of(&config).hex());
        members.push(file(config_name.clone(), config));
        set_manifest(
            &mut members,
            json!([{
                "Config": config_name,
                "RepoTags": ["demo/app:1.0"],
                "Layers": [format!("{}/layer.tar", v1_id(0)), format!("{}/layer.tar", v1_id(1))],
            }]),
        );
        let err = open_default(&members).unwrap_err();
        assert!(
            matches!(&err, ArchiveError::DiffIdMismatch { image, index: 1, expected, actual, .. }
                if image == "demo/app:1.0" && *expected == fx.diff_ids[0] && *actual == fx.diff_ids[1]),
            "{err}"
        );
    }

    #[test]
    fn refuses_references_that_leave_the_archive_or_are_not_hex() {
        let fx = fixture();
        let config = format!("{}.json", Digest::of(&config_json(&fx.diff_ids)).hex());
        let layer = format!("{}/layer.tar", v1_id(0));
        type Check = fn(&ArchiveError) -> bool;
        let cases: Vec<(serde_json::Value, Check)> = vec![
            (
                json!([{ "Config": config, "Layers": ["../../etc/passwd"] }]),
                |e| matches!(e, ArchiveError::EscapingReference { reference, .. } if reference == "../../etc/passwd"),
            ),
            (
                json!([{ "Config": config, "Layers": [format!("{}/../../../etc/passwd", v1_id(0))] }]),
                |e| matches!(e, ArchiveError::EscapingReference { .. }),
            ),
            (
                json!([{ "Config": "/etc/passwd", "Layers": [layer] }]),
                |e| matches!(e, ArchiveError::AbsoluteReference { reference, .. } if reference == "/etc/passwd"),
            ),
            (
                json!([{ "Config": "not-a-digest.json", "Layers": [layer] }]),
                |e| matches!(e, ArchiveError::BadReference { .. }),
            ),
            (json!([{ "Config": config, "Layers": ["XYZ/layer.tar"] }]), |e| {
                matches!(e, ArchiveError::BadReference { .. })
            }),
            (json!([{ "Config": config, "Layers": ["etc/passwd"] }]), |e| {
                matches!(e, ArchiveError::BadReference { .. })
            }),
            (
                json!([{ "Config": config, "Layers": [format!("blobs/sha256/{}", "A".repeat(64))] }]),
                |e| matches!(e, ArchiveError::BadReference { .. }),
            ),
            (
                json!([{ "Config": config, "Layers": [layer, format!("{}/layer.tar", v1_id(7))] }]),
                |e| matches!(e, ArchiveError::Missing { .. }),
            ),
            (
                json!([{ "Config": config, "RepoTags": ["Bad:Tag"], "Layers": [layer] }]),
                |e| matches!(e, ArchiveError::BadTag { .. }),
            ),
            (json!([{ "Config": config, "Layers": [layer] }]), |e| {
                matches!(
                    e,
                    ArchiveError::LayerCountMismatch {
                        layers: 1,
                        diff_ids: 2,
                        ..
                    }
                )
            }),
        ];
        for (manifest, expected) in cases {
            let mut members = docker_legacy(&fx);
            set_manifest(&mut members, manifest.clone());
            let err = open_default(&members).unwrap_err();
            assert!(expected(&err), "{manifest}: {err}");
        }
    }

    #[test]
    fn refuses_non_hex_digests_in_index_json() {
        let fx = fixture();
        let mut members: Vec<M> = docker_v25(&fx)
            .into_iter()
            .filter(|m| !matches!(m, M::File(p, _) if p == "manifest.json"))
            .collect();
        let index = json!({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": "sha256:../../../../etc/passwd",
                "size": 10,
            }],
        });
        replace(&mut members, "index.json", serde_json::to_vec(&index).unwrap());
        let err = open_default(&members).unwrap_err();
        assert!(
            matches!(err, ArchiveError::Json { ref path, .. } | ArchiveError::BadDigest { file: ref path, .. } if path == "index.json"),
            "{err}"
        );
    }

    #[test]
    fn follows_links_only_inside_the_archive() {
        let fx = fixture();
        for (target, escape) in [
            ("../../../etc/passwd", true),
            ("/etc/passwd", true),
            ("layer.tar", false),
        ] {
            let mut members = docker_legacy(&fx);
            members.retain(|m| !matches!(m, M::Symlink(..)));
            members.push(M::Symlink(format!("{}/layer.tar", v1_id(9)), target.to_owned()));
            let err = open_default(&members).unwrap_err();
            if escape {
                assert!(matches!(err, ArchiveError::LinkEscapes { .. }), "{target}: {err}");
            } else {
                assert!(matches!(err, ArchiveError::LinkLoop { .. }), "{target}: {err}");
            }
        }
    }

    #[test]
    fn refuses_a_manifest_json_beyond_the_cap() {
        let fx = fixture();
        let mut members = docker_legacy(&fx);
        let mut huge = b"[".to_vec();
        huge.resize(5 << 20, b' ');
        huge.push(b']');
        replace(&mut members, "manifest.json", huge);
        let err = open_default(&members).unwrap_err();
        assert!(
            matches!(err, ArchiveError::JsonTooLarge { ref path, limit, .. } if path == "manifest.json" && limit == 4 << 20),
            "{err}"
        );
    }

    #[test]
    fn stops_a_gzip_bomb_at_the_decompression_budget() {
        let limits = Limits {
            max_unpacked_bytes: 8 << 20,
            ..Limits::default()
        };
        let bomb = gzip(&vec![0u8; 32 << 20]);
        assert!(bomb.len() < 1 << 20, "a bomb: small archive, large content");
        let err = open(&bomb, &limits).unwrap_err();
        assert!(
            matches!(err, ArchiveError::UnpackedTooLarge { limit } if limit == 8 << 20),
            "{err}"
        );

        // The same bomb as a layer of an OCI layout: the archive is small, the layer is not.
        let fx = fixture();
        let real = layer_tar::write_gz(&fx.changesets[0], Vec::new()).unwrap();
        let fine = oci_single(&config_json(&fx.diff_ids[..1]), &[real]);
        assert_eq!(
            open(&pack(&fine), &limits).unwrap().images[0].diff_ids(),
            fx.diff_ids[..1]
        );
        let members = oci_single(&config_json(&fx.diff_ids[..1]), &[gzip(&vec![0u8; 32 << 20])]);
        let err = open(&pack(&members), &limits).unwrap_err();
        assert!(matches!(err, ArchiveError::UnpackedTooLarge { .. }), "{err}");
    }

    #[test]
    fn reports_a_truncated_archive() {
        let fx = fixture();
        let whole = pack(&docker_legacy(&fx));
        assert!(open(&whole, &Limits::default()).is_ok());
        for cut in (512..whole.len()).step_by(512) {
            let err = open(&whole[..cut], &Limits::default()).unwrap_err();
            assert!(
                matches!(err, ArchiveError::Truncated { .. }),
                "cut at {cut}: {err}"
            );
        }
        for cut in [1, 100, 700, whole.len() / 2 + 3, whole.len() - 1] {
            let err = open(&whole[..cut], &Limits::default()).unwrap_err();
            assert!(
                matches!(
                    err,
                    ArchiveError::Truncated { .. } | ArchiveError::Malformed { .. }
                ),
                "cut at {cut}: {err}"
            );
        }
        let gz = gzip(&whole);
        let err = open(&gz[..gz.len() / 2], &Limits::default()).unwrap_err();
        assert!(matches!(err, ArchiveError::Gzip { .. }), "{err}");
    }

    #[test]
    fn refuses_what_is_not_an_image_archive() {
        let err = open_default(&[file("hello.txt", "hi")]).unwrap_err();
        assert!(matches!(err, ArchiveError::NotAnImageArchive), "{err}");
        let err = open_default(&[file("manifest.json", "[]")]).unwrap_err();
        assert!(matches!(err, ArchiveError::NoImages), "{err}");
        let err = open_default(&[file("manifest.json", "{}")]).unwrap_err();
        assert!(matches!(err, ArchiveError::Json { .. }), "{err}");
        let err = open_default(&[file("a", "1"), file("./a", "2")]).unwrap_err();
        assert!(
            matches!(err, ArchiveError::DuplicateMember { ref path } if path == "a"),
            "{err}"
        );
        let err = open(&[0x28, 0xb5, 0x2f, 0xfd, 0], &Limits::default()).unwrap_err();
        assert!(
            matches!(err, ArchiveError::UnsupportedCompression { format: "zstd" }),
            "{err}"
        );
        let err = open(b"", &Limits::default()).unwrap_err();
        assert!(matches!(err, ArchiveError::Truncated { .. }), "{err}");
    }

    #[test]
    fn enforces_size_and_count_limits() {
        let fx = fixture();
        let bytes = pack(&docker_legacy(&fx));
        let tight = |f: fn(&mut Limits)| {
            let mut l = Limits::default();
            f(&mut l);
            open(&bytes, &l).unwrap_err()
        };
        assert!(matches!(
            tight(|l| l.max_archive_bytes = 1000),
            ArchiveError::TooLarge { limit: 1000, .. }
        ));
        assert!(matches!(
            tight(|l| l.max_entries = 3),
            ArchiveError::TooManyEntries { limit: 3 }
        ));
        assert!(matches!(
            tight(|l| l.max_layer_entries = 4),
            ArchiveError::TooManyLayerEntries { limit: 4 }
        ));
        assert!(matches!(
            tight(|l| l.max_json_bytes = 100),
            ArchiveError::JsonTooLarge { .. }
        ));
    }

    /// A pause that records every progress it is shown, answers Pending once each time (as a
    /// page yielding to the browser would) and stops the open at its `stop_at`-th call.
    #[derive(Default)]
    struct Recorder {
        seen: Vec<Progress>,
        stop_at: Option<usize>,
    }

    /// Pending on its first poll, after waking its task; then what it holds.
    struct YieldOnce(Option<ControlFlow<()>>, bool);

    impl Future for YieldOnce {
        type Output = ControlFlow<()>;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ControlFlow<()>> {
            if !self.1 {
                self.1 = true;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            Poll::Ready(self.0.take().unwrap_or(ControlFlow::Continue(())))
        }
    }

    impl Pause for Recorder {
        fn pause(&mut self, progress: Progress) -> PauseFuture<'_> {
            self.seen.push(progress);
            let flow = if self.stop_at == Some(self.seen.len()) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            };
            Box::pin(YieldOnce(Some(flow), false))
        }
    }

    /// Runs [`open_paused`] to the end with `pause`, and counts how often it was left pending.
    fn open_recorded(
        bytes: &[u8],
        limits: &Limits,
        pause: &mut Recorder,
    ) -> (Result<Archive, ArchiveError>, usize) {
        let mut open = open_paused(bytes, limits, pause);
        let mut cx = Context::from_waker(Waker::noop());
        let mut pending = 0;
        loop {
            match open.as_mut().poll(&mut cx) {
                Poll::Ready(result) => return (result, pending),
                Poll::Pending => pending += 1,
            }
        }
    }

    /// An OCI layout of one image whose single layer holds `mib` files of 1 MiB each.
    fn big_archive(mib: usize, gzip_layer: bool) -> Vec<u8> {
        let mut entries = vec![Entry::dir("data")];
        for i in 0..mib {
            let bytes: Vec<u8> = (0..1 << 20)
                .map(|b: u32| (b.wrapping_mul(31) ^ i as u32) as u8)
                .collect();
            entries.push(Entry::file(format!("data/{i}"), Content::bytes(bytes)));
        }
        let tar = layer_tar::write(&Changeset::new(entries), Vec::new()).unwrap();
        let config = config_json(&[Digest::of(&tar)]);
        let blob = if gzip_layer { gzip(&tar) } else { tar };
        pack(&oci_single(&config, &[blob]))
    }

    #[test]
    fn a_large_archive_pauses_often_with_growing_progress_and_opens_as_in_one_go() {
        let bytes = big_archive(20, false);
        let mut pause = Recorder::default();
        let (paused, pending) = open_recorded(&bytes, &Limits::default(), &mut pause);
        let whole = open(&bytes, &Limits::default()).unwrap();
        assert_eq!(paused.unwrap(), whole, "the same archive as the one-go open");
        // A pause for every MiB of the 20 MiB layer hashed, then one after reading its tar.
        assert!(pause.seen.len() >= 20, "{} pauses", pause.seen.len());
        assert_eq!(pending, pause.seen.len(), "the open waited at every pause");
        let total = pause.seen[0].total;
        assert_eq!(total, bytes.len() as u64);
        assert!(pause.seen.iter().all(|p| p.total == total && p.done <= total));
        assert!(
            pause.seen.windows(2).all(|w| w[0].done <= w[1].done),
            "progress only grows"
        );
        let layer = whole.images[0].layers[0].digest;
        let verifying = pause
            .seen
            .iter()
            .filter(|p| p.stage == Stage::Verifying { digest: layer })
            .count();
        assert!(verifying >= 19, "{verifying} pauses while hashing the layer");
        assert!(pause.seen.last().unwrap().done > total * 9 / 10);
        assert!(matches!(
            pause.seen.last().unwrap().stage,
            Stage::Unpacking { layer: 0, layers: 1 }
        ));

        // A gzip layer is inflated in steps as well, after its digest is checked.
        let gz = big_archive(12, true);
        let mut pause = Recorder::default();
        let (paused, _) = open_recorded(&gz, &Limits::default(), &mut pause);
        assert_eq!(paused.unwrap(), open(&gz, &Limits::default()).unwrap());
        let inflating = pause
            .seen
            .iter()
            .filter(|p| p.stage == Stage::Unpacking { layer: 0, layers: 1 })
            .count();
        assert!(inflating >= 12, "{inflating} pauses while inflating 12 MiB");
    }

    #[test]
    fn the_opens_of_every_layout_match_with_and_without_pauses() {
        let fx = fixture();
        let (oci, _) = oci_layout(&fx);
        for members in [docker_legacy(&fx), docker_v25(&fx), podman(&fx), oci] {
            let bytes = pack(&members);
            let limits = Limits::default();
            let (paused, _) = open_recorded(&bytes, &limits, &mut Recorder::default());
            assert_eq!(paused.unwrap(), open(&bytes, &limits).unwrap());
        }
    }

    #[test]
    fn cancelling_at_any_pause_ends_the_open_with_the_cancel_error() {
        let bytes = big_archive(6, true);
        let mut all = Recorder::default();
        assert!(open_recorded(&bytes, &Limits::default(), &mut all).0.is_ok());
        assert!(all.seen.len() >= 6);
        for k in [1, all.seen.len() / 2, all.seen.len()] {
            let mut pause = Recorder {
                stop_at: Some(k),
                ..Recorder::default()
            };
            let err = open_recorded(&bytes, &Limits::default(), &mut pause)
                .0
                .unwrap_err();
            assert!(matches!(err, ArchiveError::Cancelled), "stopped at {k}: {err}");
            assert_eq!(pause.seen.len(), k, "no pause after the cancel");
            assert_eq!(
                err.to_string(),
                "opening the archive was cancelled before it finished: nothing was loaded"
            );
        }
        // A gzip-compressed archive is cancelled while it is being inflated.
        let mut pause = Recorder {
            stop_at: Some(2),
            ..Recorder::default()
        };
        let plain_layer = big_archive(6, false);
        let err = open_recorded(&gzip(&plain_layer), &Limits::default(), &mut pause)
            .0
            .unwrap_err();
        assert!(matches!(err, ArchiveError::Cancelled), "{err}");
        assert_eq!(pause.seen[1].stage, Stage::Inflating);
    }

    #[test]
    fn listing_many_small_members_pauses_too() {
        let members: Vec<M> = (0..1000).map(|i| file(format!("f{i}"), "x")).collect();
        let bytes = pack(&members);
        let mut pause = Recorder::default();
        let err = open_recorded(&bytes, &Limits::default(), &mut pause)
            .0
            .unwrap_err();
        assert!(matches!(err, ArchiveError::NotAnImageArchive), "{err}");
        assert_eq!(pause.seen.len(), 1000 / 256, "a pause every 256 members");
        assert!(pause.seen.iter().all(|p| p.stage == Stage::Reading));
        assert!(pause.seen.windows(2).all(|w| w[0].done < w[1].done));
    }

    #[test]
    fn a_gzip_bomb_is_paused_on_and_still_refused() {
        let limits = Limits {
            max_unpacked_bytes: 8 << 20,
            ..Limits::default()
        };
        let bomb = gzip(&vec![0u8; 32 << 20]);
        let mut pause = Recorder::default();
        let err = open_recorded(&bomb, &limits, &mut pause).0.unwrap_err();
        assert_eq!(
            err.to_string(),
            "the archive unpacks to more than 8388608 bytes: refused as too large (or a decompression bomb); save fewer images into it"
        );
        assert_eq!(pause.seen.len(), 8, "a pause per MiB inflated, up to the budget");
        assert!(
            pause
                .seen
                .iter()
                .all(|p| p.stage == Stage::Inflating && p.total == bomb.len() as u64)
        );

        let fx = fixture();
        let members = oci_single(&config_json(&fx.diff_ids[..1]), &[gzip(&vec![0u8; 32 << 20])]);
        let mut pause = Recorder::default();
        let err = open_recorded(&pack(&members), &limits, &mut pause).0.unwrap_err();
        assert!(
            matches!(err, ArchiveError::UnpackedTooLarge { limit } if limit == 8 << 20),
            "{err}"
        );
        let unpacking = pause
            .seen
            .iter()
            .filter(|p| matches!(p.stage, Stage::Unpacking { .. }))
            .count();
        assert!(unpacking >= 7, "{unpacking} pauses inside the layer's bomb");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_bytes_open_or_fail_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let _ = open(&bytes, &Limits::default());
            let _ = open(&gzip(&bytes), &Limits::default());
        }

        #[test]
        fn damaged_archives_open_or_fail_without_panicking(
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let fx = fixture();
            let mut bytes = pack(&podman(&fx));
            for (at, value) in flips {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            let _ = open(&bytes, &Limits::default());
            let end = cut.index(bytes.len());
            let _ = open(&bytes[..end], &Limits::default());
        }
    }
}
