//! Image archives: the tarballs `docker save`, `podman save` and `skopeo copy ... oci-archive:`
//! write, read from bytes (as a learner drops one onto the page) into images the simulated engine
//! can load exactly like catalog images. Reading only: layerlab never writes these archives.
//!
//! Public API:
//! - [`open`]`(bytes, &Limits) -> Result<Archive, ArchiveError>`;
//! - [`Limits`] (`Default`: 1 GiB archive, 2 GiB decompressed, 4 MiB per JSON file, 100,000
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
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Cursor, Read};

use flate2::read::GzDecoder;
use serde::Deserialize;

use crate::digest::{Digest, DigestError};
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
            max_unpacked_bytes: 2 << 30,
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

/// Opens an image archive held in memory and verifies every image in it.
pub fn open(bytes: &[u8], limits: &Limits) -> Result<Archive, ArchiveError> {
    let size = bytes.len() as u64;
    if size > limits.max_archive_bytes {
        return Err(ArchiveError::TooLarge {
            size,
            limit: limits.max_archive_bytes,
        });
    }
    let mut unpacked_spent = 0;
    let tar: Cow<'_, [u8]> = match compression_of(bytes) {
        Compression::Gzip => {
            let plain = gunzip(bytes, limits.max_unpacked_bytes).map_err(|e| match e {
                GunzipError::Exceeded => ArchiveError::UnpackedTooLarge {
                    limit: limits.max_unpacked_bytes,
                },
                GunzipError::Io(source) => ArchiveError::Gzip { source },
            })?;
            unpacked_spent = plain.len() as u64;
            Cow::Owned(plain)
        }
        Compression::None => Cow::Borrowed(bytes),
        Compression::Unsupported(format) => return Err(ArchiveError::UnsupportedCompression { format }),
    };
    let members = Members::scan(&tar, limits)?;
    let mut loader = Loader {
        members,
        limits,
        unpacked_spent,
        layer_entries_spent: 0,
        layers: HashMap::new(),
    };
    let images = if loader.members.contains(MANIFEST_JSON) {
        loader.docker()?
    } else if loader.members.contains(INDEX_JSON) {
        loader.oci()?
    } else {
        return Err(ArchiveError::NotAnImageArchive);
    };
    if images.is_empty() {
        return Err(ArchiveError::NoImages);
    }
    Ok(Archive { images })
}

const MANIFEST_JSON: &str = "manifest.json";
const INDEX_JSON: &str = "index.json";
const OCI_LAYOUT: &str = "oci-layout";
/// A layer saved twice is one symlink away from its first copy; eight hops is plenty for any tool.
const MAX_LINK_HOPS: usize = 8;
/// Docker's multi-platform saves nest one index inside `index.json`; deeper is not written by any tool.
const MAX_INDEX_DEPTH: usize = 4;
const TAR_BLOCK: u64 = 512;

enum Compression {
    None,
    Gzip,
    Unsupported(&'static str),
}

/// Sniffs the magic bytes. The layer codec has the same check privately; the archive needs it
/// before reading a layer, to hash the decompressed bytes and to name the format in its own error.
fn compression_of(bytes: &[u8]) -> Compression {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(&[0x1f, 0x8b]) {
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
}

/// Decompresses at most `budget` bytes; one byte more means the budget is exceeded.
fn gunzip(bytes: &[u8], budget: u64) -> Result<Vec<u8>, GunzipError> {
    let mut out = Vec::new();
    GzDecoder::new(bytes)
        .take(budget.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(GunzipError::Io)?;
    if out.len() as u64 > budget {
        return Err(GunzipError::Exceeded);
    }
    Ok(out)
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
    fn scan(data: &'a [u8], limits: &Limits) -> Result<Self, ArchiveError> {
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

struct Loader<'a> {
    members: Members<'a>,
    limits: &'a Limits,
    unpacked_spent: u64,
    layer_entries_spent: usize,
    /// Layers already read, by member path: images in one archive often share their base layers.
    layers: HashMap<String, ArchiveLayer>,
}

impl<'a> Loader<'a> {
    fn docker(&mut self) -> Result<Vec<ArchiveImage>, ArchiveError> {
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
            images.push(self.image(MANIFEST_JSON, tags, &config, &layers)?);
        }
        Ok(images)
    }

    fn oci(&mut self) -> Result<Vec<ArchiveImage>, ArchiveError> {
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
            self.oci_descriptor(INDEX_JSON, desc, &tags, 0, &mut images)?;
        }
        Ok(images)
    }

    /// Loads the image (or, for a nested index, the images) a descriptor points at.
    fn oci_descriptor(
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
                let manifest: ImageManifest = self.verified_json(file, &blob)?;
                let config = descriptor_blob(&blob.path, manifest.config())?;
                let layers = manifest
                    .layers()
                    .iter()
                    .map(|l| descriptor_blob(&blob.path, l))
                    .collect::<Result<Vec<_>, _>>()?;
                images.push(self.image(&blob.path, tags.to_vec(), &config, &layers)?);
            }
            "application/vnd.oci.image.index.v1+json" | crate::oci::DOCKER_MANIFEST_LIST => {
                if depth >= MAX_INDEX_DEPTH {
                    return Err(ArchiveError::NestingTooDeep {
                        file: file.to_owned(),
                        limit: MAX_INDEX_DEPTH,
                    });
                }
                let index: ImageIndex = self.verified_json(file, &blob)?;
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
                    self.oci_descriptor(&blob.path, child, tags, depth + 1, images)?;
                }
            }
            // Artifacts and other content that is not an image.
            _ => {}
        }
        Ok(())
    }

    fn image(
        &mut self,
        file: &str,
        repo_tags: Vec<String>,
        config: &BlobRef,
        layers: &[BlobRef],
    ) -> Result<ArchiveImage, ArchiveError> {
        let config_bytes = self.verified_bytes(file, config, true)?.to_vec();
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
            out.push(self.layer(file, &name, index, blob, *diff_id)?);
        }
        Ok(ArchiveImage {
            repo_tags,
            config_bytes,
            config: parsed,
            image_id,
            layers: out,
        })
    }

    fn layer(
        &mut self,
        file: &str,
        image: &str,
        index: usize,
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
        if let Some(done) = self.layers.get(&blob.path) {
            if done.diff_id != expected_diff_id {
                return Err(mismatch(done.diff_id));
            }
            if blob.digest.is_some_and(|d| d != done.digest) || blob.size.is_some_and(|s| s != done.size) {
                // Same member, other promises: let the full check name what differs.
                self.verified_bytes(file, blob, false)?;
            }
            return Ok(done.clone());
        }
        let bytes = self.verified_bytes(file, blob, false)?;
        let digest = Digest::of(bytes);
        let tar: Cow<'_, [u8]> = match compression_of(bytes) {
            Compression::None => Cow::Borrowed(bytes),
            Compression::Gzip => {
                let budget = self.limits.max_unpacked_bytes.saturating_sub(self.unpacked_spent);
                let plain = gunzip(bytes, budget).map_err(|e| match e {
                    GunzipError::Exceeded => ArchiveError::UnpackedTooLarge {
                        limit: self.limits.max_unpacked_bytes,
                    },
                    GunzipError::Io(source) => ArchiveError::Layer {
                        path: blob.path.clone(),
                        source: TarError::Malformed { index: 0, source },
                    },
                })?;
                self.unpacked_spent += plain.len() as u64;
                Cow::Owned(plain)
            }
            Compression::Unsupported(format) => {
                return Err(ArchiveError::UnsupportedLayerCompression {
                    path: blob.path.clone(),
                    format,
                });
            }
        };
        let diff_id = match &tar {
            Cow::Borrowed(_) => digest,
            Cow::Owned(plain) => Digest::of(plain),
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
        let layer = ArchiveLayer {
            changeset,
            diff_id,
            digest,
            size: bytes.len() as u64,
        };
        self.layers.insert(blob.path.clone(), layer.clone());
        Ok(layer)
    }

    /// The bytes of a blob, checked against its promised size and digest; `json` caps the size
    /// before anything is hashed or parsed.
    fn verified_bytes(&self, file: &str, blob: &BlobRef, json: bool) -> Result<&'a [u8], ArchiveError> {
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
        if let Some(expected) = blob.digest {
            let actual = Digest::of(bytes);
            if actual != expected {
                return Err(ArchiveError::BlobDigestMismatch {
                    path: blob.path.clone(),
                    expected,
                    actual,
                });
            }
        }
        Ok(bytes)
    }

    fn verified_json<T: serde::de::DeserializeOwned>(
        &self,
        file: &str,
        blob: &BlobRef,
    ) -> Result<T, ArchiveError> {
        parse_json(&blob.path, self.verified_bytes(file, blob, true)?)
    }

    /// A top-level JSON file (`manifest.json`, `index.json`, `oci-layout`): no digest to check.
    fn json<T: serde::de::DeserializeOwned>(&self, path: &str, file: &str) -> Result<T, ArchiveError> {
        let blob = BlobRef {
            path: path.to_owned(),
            digest: None,
            size: None,
        };
        self.verified_json(file, &blob)
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
