//! The content store: blobs by digest in an OCI image layout, plus the records that say which
//! images exist, which tags point at them and which layers they are made of.
//!
//! Public API:
//! - [`ContentStore::open`]`(root)`: creates `<root>` (0700) with `content/` (an OCI image layout:
//!   `oci-layout`, `index.json`, `blobs/sha256/<hex>`), `ingest/` and `metadata/`.
//! - Blobs: [`ContentStore::ingest`] → [`Ingest::write`]… (or [`Ingest::chunk_buffer`] +
//!   [`Ingest::write_chunk`], handing each chunk to a [`Tap`] without a copy) → [`Ingest::commit`]
//!   (containerd's vocabulary); [`ContentStore::put_bytes`], [`ContentStore::blob_size`],
//!   [`ContentStore::open_blob`], [`ContentStore::read_blob`] (bounded), [`ContentStore::blob_path`].
//! - Records: [`ContentStore::put_layer`] / [`ContentStore::layer`] (by chain ID),
//!   [`ContentStore::put_image`] / [`ContentStore::image`] / [`ContentStore::images`],
//!   [`ContentStore::tag`] / [`ContentStore::resolve`], container references
//!   ([`ContentStore::add_container_ref`], [`ContentStore::remove_container_ref`]),
//!   [`ContentStore::layer_ref_counts`] and [`ContentStore::remove_image`] (`rmi`).
//!
//! Why ingest works this way: a blob is written to `ingest/<hex>` while it is hashed and counted,
//! and only a blob whose size and sha256 match the descriptor is fsynced and renamed into
//! `blobs/`. A pull killed half-way leaves at most a partial file in `ingest/`, never a wrong blob
//! under a trusted name; the next pull hashes those bytes again and asks the registry only for
//! the rest (see `Client::fetch_blob`). Bytes proven wrong (extra, wrong digest) are deleted. One flock per digest means a
//! second writer of the same blob waits and then finds it committed.
//!
//! Why reference counts are computed rather than stored: a counter written next to the records
//! can drift when a process dies between two writes. Counting references from the image records
//! and container references each time (there are few) is always right, and `rmi` frees exactly
//! the layers that nothing else names.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use layerlab_core::digest::{Digest, Hasher};
use rustix::fs::{FlockOperation, flock};
use serde::{Deserialize, Serialize};

/// The default data root when neither `--root` nor `LAYERLAB_ROOT` names one.
pub const DEFAULT_ROOT: &str = "/var/lib/layerlab";

/// Why a content store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error(
        "failed to fetch {digest}: short read: expected {expected} bytes but got {actual}; nothing was kept"
    )]
    ShortBlob {
        digest: Digest,
        expected: u64,
        actual: u64,
    },
    #[error(
        "failed to fetch {digest}: extra bytes in stream: the server sent more than the {expected} bytes the manifest declares; nothing was kept"
    )]
    ExtraBytes { digest: Digest, expected: u64 },
    #[error("failed to verify {expected}: the content's digest is {actual}; nothing was kept")]
    DigestMismatch { expected: Digest, actual: Digest },
    #[error("blob {digest} is not in the content store")]
    BlobNotFound { digest: Digest },
    #[error("blob {digest} is {size} bytes, more than the {limit} bytes allowed here")]
    TooLarge { digest: Digest, size: u64, limit: u64 },
    #[error("No such image: {name}")]
    ImageNotFound { name: String },
    #[error("record {path} is damaged: {source}")]
    BadRecord {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("invalid container id {id:?}: use letters, digits, '_', '.' and '-' only")]
    BadContainerId { id: String },
    #[error("conflict: unable to remove image {name} - container {container} is using it")]
    ImageInUse { name: String, container: String },
}

type Result<T> = std::result::Result<T, StoreError>;

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// One layer of one image, as the image's records name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerRecord {
    /// `sha256(parent chain ID + " " + diff ID)`: names the snapshot of this layer *on top of*
    /// everything below it, which is why the same diff at another position is not shared.
    pub chain_id: Digest,
    /// sha256 of the uncompressed tar.
    pub diff_id: Digest,
    pub parent: Option<Digest>,
    /// The compressed blob as the registry serves it.
    pub blob: Digest,
    pub blob_size: u64,
    pub media_type: String,
    /// Sum of the apparent sizes of the layer's files, as Docker counts a layer's SIZE.
    pub diff_size: u64,
}

/// An image: its manifest, its config and its layers, bottom first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRecord {
    /// The image ID: the config's digest, as Docker defines it.
    pub id: Digest,
    pub manifest: Digest,
    pub manifest_size: u64,
    pub manifest_media_type: String,
    pub layers: Vec<Digest>,
    /// `name@sha256:…` for every repository it was pulled from.
    pub repo_digests: Vec<String>,
}

/// What `rmi` did, in the order Docker prints it (`Untagged:` lines, then `Deleted:` lines).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removal {
    pub untagged: Vec<String>,
    /// The image ID, then every chain ID whose snapshot was freed, top layer first.
    pub deleted: Vec<Digest>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Tags {
    /// Full reference (`localhost:5000/demo/app:1.0`) → image ID.
    tags: BTreeMap<String, Digest>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ContainerRef {
    image: Digest,
}

/// A data root's content store. Cheap to clone; every method takes the locks it needs.
#[derive(Debug, Clone)]
pub struct ContentStore {
    root: PathBuf,
}

/// Creates `path` and its parents with mode 0700: image content may hold setuid binaries, and
/// host users must not be able to reach them (CVE-2021-41091).
pub(crate) fn make_private_dir(path: &Path) -> Result<()> {
    // Every command opens the store: a directory already private costs one stat, and no chmod
    // (which would dirty its inode, a journal write, on every command).
    if fs::metadata(path).is_ok_and(|m| m.is_dir() && m.permissions().mode() & 0o7777 == 0o700) {
        return Ok(());
    }
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(io_err("create directory", path))?;
    // `recursive` leaves an existing directory's mode alone; the root must be private anyway.
    fs::set_permissions(path, fs::Permissions::from_mode(0o700)).map_err(io_err("chmod", path))
}

/// Whether a write waits until its bytes are on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flush {
    Wait,
    /// For files that are rewritten whenever they are found empty (what a crash can leave).
    Skip,
}

/// Writes `bytes` to `path` atomically: a reader sees the old file or the new one, never half.
/// With [`Flush::Wait`], the new one is also what is there after a crash.
fn replace_file(path: &Path, bytes: &[u8], flush: Flush) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(io_err("create temp file in", dir))?;
    tmp.write_all(bytes).map_err(io_err("write", tmp.path()))?;
    if flush == Flush::Wait {
        tmp.as_file().sync_all().map_err(io_err("fsync", path))?;
    }
    tmp.persist(path).map_err(|e| StoreError::Io {
        action: "rename into",
        path: path.to_owned(),
        source: e.error,
    })?;
    match flush {
        Flush::Wait => sync_dir(dir),
        Flush::Skip => Ok(()),
    }
}

/// Whether `path` is a file with something in it.
fn has_content(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.len() > 0)
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("fsync", dir))
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|source| StoreError::BadRecord {
                path: path.to_owned(),
                source,
            }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::Io {
            action: "read",
            path: path.to_owned(),
            source: e,
        }),
    }
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    write_json_flushed(path, value, Flush::Wait)
}

fn write_json_flushed<T: Serialize>(path: &Path, value: &T, flush: Flush) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|source| StoreError::BadRecord {
        path: path.to_owned(),
        source,
    })?;
    replace_file(path, &bytes, flush)
}

/// An exclusive flock, released when dropped (closing the file releases it).
#[derive(Debug)]
pub(crate) struct LockGuard {
    _file: File,
}

pub(crate) fn lock_file(path: &Path) -> Result<LockGuard> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::CLOEXEC.bits() as i32)
        .open(path)
        .map_err(io_err("open lock", path))?;
    flock(&file, FlockOperation::LockExclusive).map_err(|e| StoreError::Io {
        action: "lock",
        path: path.to_owned(),
        source: e.into(),
    })?;
    Ok(LockGuard { _file: file })
}

impl ContentStore {
    /// Opens (creating if needed) the content store under the data root `root`.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let store = Self { root: root.into() };
        make_private_dir(&store.root)?;
        for dir in [
            store.blobs_dir(),
            store.ingest_dir(),
            store.meta_dir().join("images"),
            store.meta_dir().join("layers"),
            store.meta_dir().join("containers"),
        ] {
            make_private_dir(&dir)?;
        }
        // The layout marker and the index are derived (from nothing, and from the tags): when
        // missing, or found empty after a crash, they are written again here, without waiting for
        // the disk, so that a new data root costs no flushes before the command's real work.
        // Tagging still writes the index durably.
        let layout = store.root.join("content/oci-layout");
        if !has_content(&layout) {
            replace_file(&layout, br#"{"imageLayoutVersion":"1.0.0"}"#, Flush::Skip)?;
        }
        if !has_content(&store.root.join("content/index.json")) {
            store.write_oci_index(&store.read_tags()?, Flush::Skip)?;
        }
        Ok(store)
    }

    /// The data root this store lives in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn blobs_dir(&self) -> PathBuf {
        self.root.join("content/blobs/sha256")
    }
    fn ingest_dir(&self) -> PathBuf {
        self.root.join("ingest")
    }
    fn meta_dir(&self) -> PathBuf {
        self.root.join("metadata")
    }

    /// Where the blob `digest` lives (whether or not it is there). `Digest` only holds validated
    /// hex, so the path cannot leave `blobs/`.
    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.blobs_dir().join(digest.hex())
    }

    /// The size of a committed blob, or `None` when the store does not have it.
    pub fn blob_size(&self, digest: &Digest) -> Result<Option<u64>> {
        let path = self.blob_path(digest);
        match fs::metadata(&path) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::Io {
                action: "stat",
                path,
                source: e,
            }),
        }
    }

    /// Opens a committed blob for reading.
    pub fn open_blob(&self, digest: &Digest) -> Result<File> {
        let path = self.blob_path(digest);
        File::open(&path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => StoreError::BlobNotFound { digest: *digest },
            _ => StoreError::Io {
                action: "open",
                path,
                source: e,
            },
        })
    }

    /// Reads a whole committed blob, refusing blobs larger than `limit` (manifests and configs
    /// are read into memory; a huge one must not exhaust it).
    pub fn read_blob(&self, digest: &Digest, limit: u64) -> Result<Vec<u8>> {
        let file = self.open_blob(digest)?;
        let path = self.blob_path(digest);
        let size = file.metadata().map_err(io_err("stat", &path))?.len();
        if size > limit {
            return Err(StoreError::TooLarge {
                digest: *digest,
                size,
                limit,
            });
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        file.take(limit)
            .read_to_end(&mut bytes)
            .map_err(io_err("read", &path))?;
        Ok(bytes)
    }

    /// Starts writing the blob `digest` of `size` bytes. Returns `None` when the store already
    /// has it (possibly because another writer committed it while this one waited for the lock).
    pub fn ingest(&self, digest: &Digest, size: u64) -> Result<Option<Ingest>> {
        let lock = lock_file(&self.ingest_dir().join(format!("{}.lock", digest.hex())))?;
        if self.blob_size(digest)?.is_some() {
            return Ok(None);
        }
        let path = self.ingest_dir().join(digest.hex());
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .write(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags((rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::CLOEXEC).bits() as i32)
            .open(&path)
            .map_err(io_err("create", &path))?;
        // A partial file here is what an interrupted pull left. Its bytes were never trusted: they
        // are hashed again now, and the commit checks the whole blob as always.
        let mut hasher = Hasher::new();
        let mut written = 0u64;
        let existing = file.metadata().map_err(io_err("stat", &path))?.len();
        if existing > size {
            file.set_len(0).map_err(io_err("truncate", &path))?;
        } else if existing > 0 {
            written = io::copy(&mut (&mut file).take(size), &mut hasher).map_err(io_err("read", &path))?;
        }
        Ok(Some(Ingest {
            store: self.clone(),
            digest: *digest,
            size,
            file: Some(file),
            path,
            hasher,
            written,
            flushed: written,
            keep: true,
            tap: None,
            spare: Vec::new(),
            _lock: lock,
        }))
    }

    /// Stores `bytes` as the blob `digest` (already in memory: manifests, configs). Verifies them.
    pub fn put_bytes(&self, digest: &Digest, bytes: &[u8]) -> Result<()> {
        if let Some(mut ingest) = self.ingest(digest, bytes.len() as u64)? {
            ingest.write(bytes)?;
            ingest.commit()?;
        }
        Ok(())
    }

    // ----- records -----

    fn layer_path(&self, chain_id: &Digest) -> PathBuf {
        self.meta_dir()
            .join("layers")
            .join(format!("{}.json", chain_id.hex()))
    }
    fn image_path(&self, id: &Digest) -> PathBuf {
        self.meta_dir().join("images").join(format!("{}.json", id.hex()))
    }
    fn lock(&self) -> Result<LockGuard> {
        lock_file(&self.meta_dir().join("lock"))
    }

    /// Records a layer (after its snapshot is complete).
    pub fn put_layer(&self, layer: &LayerRecord) -> Result<()> {
        let _g = self.lock()?;
        write_json(&self.layer_path(&layer.chain_id), layer)
    }

    /// The record of the layer with this chain ID, if the store has it.
    pub fn layer(&self, chain_id: &Digest) -> Result<Option<LayerRecord>> {
        read_json(&self.layer_path(chain_id))
    }

    /// Records an image and points `tag` (a full reference such as `localhost:5000/demo/app:1.0`)
    /// at it. Returns the image ID the tag pointed at before, if any.
    pub fn put_image(&self, image: &ImageRecord, tag: Option<&str>) -> Result<Option<Digest>> {
        let _g = self.lock()?;
        let path = self.image_path(&image.id);
        let mut record = image.clone();
        if let Some(old) = read_json::<ImageRecord>(&path)? {
            for d in old.repo_digests {
                if !record.repo_digests.contains(&d) {
                    record.repo_digests.push(d);
                }
            }
        }
        write_json(&path, &record)?;
        match tag {
            Some(tag) => {
                let mut tags = self.read_tags()?;
                let before = tags.tags.insert(tag.to_owned(), image.id);
                self.write_tags(&tags)?;
                Ok(before)
            }
            None => Ok(None),
        }
    }

    /// The image record with this ID.
    pub fn image(&self, id: &Digest) -> Result<Option<ImageRecord>> {
        read_json(&self.image_path(id))
    }

    /// Every image, with the tags that point at it (sorted), in image ID order.
    pub fn images(&self) -> Result<Vec<(ImageRecord, Vec<String>)>> {
        let tags = self.read_tags()?;
        let dir = self.meta_dir().join("images");
        let mut out = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io_err("list", &dir))? {
            let entry = entry.map_err(io_err("list", &dir))?;
            let name = entry.file_name();
            let Some(hex) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
                continue;
            };
            let Ok(id) = format!("sha256:{hex}").parse::<Digest>() else {
                continue;
            };
            if let Some(image) = self.image(&id)? {
                let names = tags
                    .tags
                    .iter()
                    .filter(|(_, v)| **v == id)
                    .map(|(k, _)| k.clone())
                    .collect();
                out.push((image, names));
            }
        }
        Ok(out)
    }

    /// The image ID a tag points at.
    pub fn resolve(&self, tag: &str) -> Result<Option<Digest>> {
        Ok(self.read_tags()?.tags.get(tag).copied())
    }

    /// Points `tag` at the image `id`.
    pub fn tag(&self, id: &Digest, tag: &str) -> Result<()> {
        let _g = self.lock()?;
        if self.image(id)?.is_none() {
            return Err(StoreError::ImageNotFound { name: id.to_string() });
        }
        let mut tags = self.read_tags()?;
        tags.tags.insert(tag.to_owned(), *id);
        self.write_tags(&tags)
    }

    fn read_tags(&self) -> Result<Tags> {
        Ok(read_json(&self.meta_dir().join("tags.json"))?.unwrap_or_default())
    }

    fn write_tags(&self, tags: &Tags) -> Result<()> {
        write_json(&self.meta_dir().join("tags.json"), tags)?;
        self.write_oci_index(tags, Flush::Wait)
    }

    /// Keeps `content/index.json` a valid OCI image layout index of the tagged images, so that
    /// other tools (skopeo, umoci) can read the store.
    fn write_oci_index(&self, tags: &Tags, flush: Flush) -> Result<()> {
        let mut manifests = Vec::new();
        for (name, id) in &tags.tags {
            if let Some(image) = self.image(id)? {
                manifests.push(serde_json::json!({
                    "mediaType": image.manifest_media_type,
                    "digest": image.manifest,
                    "size": image.manifest_size,
                    "annotations": {
                        "io.containerd.image.name": name,
                        "org.opencontainers.image.ref.name": name.rsplit_once(':').map(|(_, t)| t).unwrap_or(name.as_str()),
                    }
                }));
            }
        }
        let index = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests});
        write_json_flushed(&self.root.join("content/index.json"), &index, flush)
    }

    fn container_path(&self, id: &str) -> Result<PathBuf> {
        if id.is_empty()
            || id.len() > 128
            || !id
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(&c))
            || id.starts_with('.')
        {
            return Err(StoreError::BadContainerId { id: id.to_owned() });
        }
        Ok(self.meta_dir().join("containers").join(format!("{id}.json")))
    }

    /// Records that container `container` uses image `image`: its layers stay until the
    /// reference is removed.
    pub fn add_container_ref(&self, container: &str, image: &Digest) -> Result<()> {
        let path = self.container_path(container)?;
        let _g = self.lock()?;
        write_json(&path, &ContainerRef { image: *image })
    }

    /// [`add_container_ref`](Self::add_container_ref) for a container that is deleted when it
    /// exits (`run --rm`): written atomically but not synced, since a crash leaves no container
    /// whose layers would need keeping (the engine deletes what such a container left behind
    /// before any `rmi`).
    pub fn add_ephemeral_container_ref(&self, container: &str, image: &Digest) -> Result<()> {
        let path = self.container_path(container)?;
        let bytes = serde_json::to_vec(&ContainerRef { image: *image }).map_err(|source| {
            StoreError::BadRecord {
                path: path.clone(),
                source,
            }
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let _g = self.lock()?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".tmp-")
            .tempfile_in(dir)
            .map_err(io_err("create temp file in", dir))?;
        tmp.write_all(&bytes).map_err(io_err("write", tmp.path()))?;
        tmp.persist(&path).map_err(|e| StoreError::Io {
            action: "rename into",
            path: path.clone(),
            source: e.error,
        })?;
        Ok(())
    }

    /// Forgets container `container`'s reference (no error if there was none).
    pub fn remove_container_ref(&self, container: &str) -> Result<()> {
        let path = self.container_path(container)?;
        let _g = self.lock()?;
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(StoreError::Io {
                action: "remove",
                path,
                source: e,
            }),
            _ => Ok(()),
        }
    }

    fn container_refs(&self) -> Result<Vec<(String, Digest)>> {
        let dir = self.meta_dir().join("containers");
        let mut out = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io_err("list", &dir))? {
            let entry = entry.map_err(io_err("list", &dir))?;
            let name = entry.file_name();
            let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
                continue;
            };
            if let Some(r) = read_json::<ContainerRef>(&entry.path())? {
                out.push((id.to_owned(), r.image));
            }
        }
        Ok(out)
    }

    /// How many images and containers use each layer, by chain ID.
    pub fn layer_ref_counts(&self) -> Result<BTreeMap<Digest, usize>> {
        let mut counts = BTreeMap::new();
        for (image, _) in self.images()? {
            for l in &image.layers {
                *counts.entry(*l).or_insert(0) += 1;
            }
        }
        for (_, image) in self.container_refs()? {
            if let Some(image) = self.image(&image)? {
                for l in &image.layers {
                    *counts.entry(*l).or_insert(0) += 1;
                }
            }
        }
        Ok(counts)
    }

    /// `rmi name`: untags `name`; when no tag is left (or `name` is an image ID), deletes the
    /// image and every layer that no other image or container uses. `free_snapshot` is called for
    /// each freed chain ID while the store is locked, so a concurrent pull cannot claim a layer
    /// whose snapshot is being removed.
    pub fn remove_image(
        &self,
        name: &str,
        mut free_snapshot: impl FnMut(&Digest) -> io::Result<()>,
    ) -> Result<Removal> {
        let _g = self.lock()?;
        let mut tags = self.read_tags()?;
        let mut removal = Removal::default();
        let (id, by_tag) = match tags.tags.get(name).copied() {
            Some(id) => {
                tags.tags.remove(name);
                removal.untagged.push(name.to_owned());
                (id, true)
            }
            None => (
                self.find_image_id(name)?
                    .ok_or_else(|| StoreError::ImageNotFound {
                        name: name.to_owned(),
                    })?,
                false,
            ),
        };
        // Removing one of several tags only untags; removing by ID removes the image.
        if by_tag && tags.tags.values().any(|v| *v == id) {
            self.write_tags(&tags)?;
            return Ok(removal);
        }
        if let Some((container, _)) = self.container_refs()?.into_iter().find(|(_, image)| *image == id) {
            return Err(StoreError::ImageInUse {
                name: name.to_owned(),
                container,
            });
        }
        // Tags naming an ID directly go too, as Docker's `rmi <id>` untags everything first.
        let extra: Vec<String> = tags
            .tags
            .iter()
            .filter(|(_, v)| **v == id)
            .map(|(k, _)| k.clone())
            .collect();
        for t in extra {
            tags.tags.remove(&t);
            removal.untagged.push(t);
        }
        let Some(image) = self.image(&id)? else {
            self.write_tags(&tags)?;
            return Err(StoreError::ImageNotFound {
                name: name.to_owned(),
            });
        };
        for d in &image.repo_digests {
            removal.untagged.push(d.clone());
        }
        let path = self.image_path(&id);
        fs::remove_file(&path).map_err(io_err("remove", &path))?;
        self.write_tags(&tags)?;
        removal.deleted.push(id);

        let counts = self.layer_ref_counts()?;
        let mut live_blobs = BTreeSet::new();
        for (other, _) in self.images()? {
            live_blobs.insert(other.id);
            live_blobs.insert(other.manifest);
            for l in &other.layers {
                if let Some(rec) = self.layer(l)? {
                    live_blobs.insert(rec.blob);
                }
            }
        }
        for chain in image.layers.iter().rev() {
            if counts.get(chain).copied().unwrap_or(0) > 0 {
                continue;
            }
            let record = self.layer(chain)?;
            free_snapshot(chain).map_err(|e| StoreError::Io {
                action: "remove snapshot",
                path: chain.hex().into(),
                source: e,
            })?;
            let lp = self.layer_path(chain);
            if let Err(e) = fs::remove_file(&lp) {
                if e.kind() != io::ErrorKind::NotFound {
                    return Err(StoreError::Io {
                        action: "remove",
                        path: lp,
                        source: e,
                    });
                }
            }
            if let Some(rec) = record {
                if !live_blobs.contains(&rec.blob) {
                    self.remove_blob(&rec.blob)?;
                }
            }
            removal.deleted.push(*chain);
        }
        for blob in [image.id, image.manifest] {
            if !live_blobs.contains(&blob) {
                self.remove_blob(&blob)?;
            }
        }
        Ok(removal)
    }

    /// Finds an image by full ID, `sha256:`-prefixed ID or unambiguous ID prefix (as `rmi` takes).
    pub fn find_image_id(&self, text: &str) -> Result<Option<Digest>> {
        let hex = text.strip_prefix("sha256:").unwrap_or(text);
        if hex.is_empty() || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let hex = hex.to_ascii_lowercase();
        let matches: Vec<Digest> = self
            .images()?
            .into_iter()
            .map(|(i, _)| i.id)
            .filter(|id| id.hex().starts_with(&hex))
            .collect();
        Ok(if matches.len() == 1 {
            matches.first().copied()
        } else {
            None
        })
    }

    fn remove_blob(&self, digest: &Digest) -> Result<()> {
        let path = self.blob_path(digest);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(StoreError::Io {
                action: "remove",
                path,
                source: e,
            }),
            _ => Ok(()),
        }
    }
}

/// How many bytes an ingest writes before it asks the kernel to start writing them to disk.
const WRITEBACK_STEP: u64 = 8 << 20;

/// Starts writing `len` bytes at `offset` to disk without waiting for them, so that the fsync in
/// [`Ingest::commit`] finds little left to do: the disk works while the download goes on, instead
/// of after it (a 40 MB layer's fsync took 120-240 ms here when all of it was left to the end).
/// Best effort: where the call is refused, the fsync still makes the blob durable.
fn start_writeback(file: &File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
        return;
    };
    // SAFETY: sync_file_range reads only its integer arguments; a bad descriptor or range is
    // reported through its return value, which is ignored as explained above.
    let _ = unsafe { libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE) };
}

/// Where an ingest also hands every accepted chunk, so a layer can be unpacked while it
/// downloads instead of being read back from disk afterwards. Chunks move by ownership, never by
/// copy, and the reader gives emptied buffers back through `spares` for the next chunks: copying
/// each chunk into a new allocation, and again into the unpacker's buffers, took about a fifth
/// of a pull's CPU time.
pub struct Tap {
    send: Box<dyn FnMut(Vec<u8>) + Send>,
    spares: mpsc::Receiver<Vec<u8>>,
}

impl Tap {
    pub fn new(send: impl FnMut(Vec<u8>) + Send + 'static, spares: mpsc::Receiver<Vec<u8>>) -> Self {
        Tap {
            send: Box::new(send),
            spares,
        }
    }
}

impl std::fmt::Debug for Tap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tap")
    }
}

/// A blob being written: bytes are hashed and counted as they arrive; nothing reaches `blobs/`
/// unless [`Ingest::commit`] verifies it. Dropping an uncommitted ingest deletes the partial file.
#[derive(Debug)]
pub struct Ingest {
    store: ContentStore,
    digest: Digest,
    size: u64,
    file: Option<File>,
    path: PathBuf,
    hasher: Hasher,
    written: u64,
    /// Bytes already handed to the disk's writeback (see [`start_writeback`]).
    flushed: u64,
    /// Whether a dropped, uncommitted ingest leaves its bytes for the next try to resume from.
    /// Bytes proven wrong (extra, or a wrong digest) are never kept.
    keep: bool,
    tap: Option<Tap>,
    /// The last chunk's buffer when there is no tap to take it, reused for the next chunk.
    spare: Vec<u8>,
    _lock: LockGuard,
}

impl Ingest {
    /// Hands every chunk written from now on to `tap` as well (after it is written and hashed).
    pub fn set_tap(&mut self, tap: Tap) {
        self.tap = Some(tap);
    }

    /// Stops handing chunks on, dropping the tap (and whatever it owns, such as a channel's
    /// sending end).
    pub fn clear_tap(&mut self) {
        self.tap = None;
    }

    /// Checks size and digest of everything written so far without committing, so that a layer
    /// unpacked from the tapped stream is accepted only once its blob is proven right.
    pub fn verify(&self) -> Result<()> {
        if self.written != self.size {
            return Err(StoreError::ShortBlob {
                digest: self.digest,
                expected: self.size,
                actual: self.written,
            });
        }
        let actual = self.hasher.clone().finish();
        if actual != self.digest {
            return Err(StoreError::DigestMismatch {
                expected: self.digest,
                actual,
            });
        }
        Ok(())
    }

    /// The digest this ingest must produce.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// Bytes accepted so far (including those resumed from an earlier, interrupted try).
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Drops the bytes written so far, for when the server will send the whole blob again.
    pub fn restart(&mut self) -> Result<()> {
        let Some(file) = self.file.as_mut() else {
            return Err(StoreError::Io {
                action: "truncate",
                path: self.path.clone(),
                source: io::ErrorKind::BrokenPipe.into(),
            });
        };
        file.set_len(0).map_err(io_err("truncate", &self.path))?;
        io::Seek::rewind(file).map_err(io_err("seek", &self.path))?;
        self.hasher = Hasher::new();
        self.written = 0;
        self.flushed = 0;
        Ok(())
    }

    /// A buffer of `len` bytes (of no particular content) to read the next chunk into: one the
    /// tap's reader gave back, or the last chunk's, so that a download allocates only a few.
    pub fn chunk_buffer(&mut self, len: usize) -> Vec<u8> {
        let reused = self.tap.as_ref().and_then(|t| t.spares.try_recv().ok());
        let mut buf = reused.unwrap_or_else(|| std::mem::take(&mut self.spare));
        // Only bytes past the buffer's old length are zeroed: a full-sized spare costs nothing.
        buf.resize(len, 0);
        buf
    }

    /// Appends `chunk` as [`Ingest::write`] does, then hands the buffer itself to the tap.
    pub fn write_chunk(&mut self, chunk: Vec<u8>) -> Result<()> {
        self.append(&chunk)?;
        match self.tap.as_mut() {
            Some(tap) => (tap.send)(chunk),
            None => self.spare = chunk,
        }
        Ok(())
    }

    /// Appends `bytes` (and hands a copy to the tap, if there is one). More bytes than the
    /// descriptor's size is an error at once, so an endless body cannot fill the disk.
    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.append(bytes)?;
        if let Some(tap) = self.tap.as_mut() {
            (tap.send)(bytes.to_vec());
        }
        Ok(())
    }

    /// Writes, hashes and counts `bytes`, refusing more than the descriptor's size.
    fn append(&mut self, bytes: &[u8]) -> Result<()> {
        let new_total = self.written.saturating_add(bytes.len() as u64);
        if new_total > self.size {
            self.keep = false;
            return Err(StoreError::ExtraBytes {
                digest: self.digest,
                expected: self.size,
            });
        }
        let Some(file) = self.file.as_mut() else {
            return Err(StoreError::Io {
                action: "write",
                path: self.path.clone(),
                source: io::ErrorKind::BrokenPipe.into(),
            });
        };
        file.write_all(bytes).map_err(io_err("write", &self.path))?;
        self.hasher.update(bytes);
        self.written = new_total;
        if self.written - self.flushed >= WRITEBACK_STEP {
            start_writeback(file, self.flushed, self.written - self.flushed);
            self.flushed = self.written;
        }
        Ok(())
    }

    /// Verifies size and digest, then makes the blob durable and visible under its digest.
    pub fn commit(mut self) -> Result<PathBuf> {
        if self.written != self.size {
            return Err(StoreError::ShortBlob {
                digest: self.digest,
                expected: self.size,
                actual: self.written,
            });
        }
        let actual = std::mem::take(&mut self.hasher).finish();
        if actual != self.digest {
            self.keep = false;
            return Err(StoreError::DigestMismatch {
                expected: self.digest,
                actual,
            });
        }
        let Some(file) = self.file.take() else {
            return Err(StoreError::Io {
                action: "commit",
                path: self.path.clone(),
                source: io::ErrorKind::BrokenPipe.into(),
            });
        };
        file.sync_all().map_err(io_err("fsync", &self.path))?;
        file.set_permissions(fs::Permissions::from_mode(0o444))
            .map_err(io_err("chmod", &self.path))?;
        drop(file);
        let target = self.store.blob_path(&self.digest);
        fs::rename(&self.path, &target).map_err(io_err("rename into", &target))?;
        sync_dir(&self.store.blobs_dir())?;
        Ok(target)
    }
}

impl Drop for Ingest {
    fn drop(&mut self) {
        if self.file.is_some() && !self.keep {
            // Best effort: a leftover partial is never trusted anyway.
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, ContentStore) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = ContentStore::open(dir.path().join("root")).expect("open");
        (dir, store)
    }

    #[test]
    fn verified_blob_is_committed_private_and_read_only() {
        let (_d, s) = store();
        let data = b"hello layer";
        let digest = Digest::of(data);
        let mut ing = s
            .ingest(&digest, data.len() as u64)
            .expect("ingest")
            .expect("new");
        ing.write(&data[..5]).expect("w");
        ing.write(&data[5..]).expect("w");
        let path = ing.commit().expect("commit");
        assert_eq!(fs::read(&path).expect("read"), data);
        assert_eq!(
            fs::metadata(&path).expect("stat").permissions().mode() & 0o777,
            0o444
        );
        assert_eq!(
            fs::metadata(s.root()).expect("stat").permissions().mode() & 0o777,
            0o700
        );
        assert!(
            s.ingest(&digest, data.len() as u64).expect("ingest").is_none(),
            "second ingest sees the blob"
        );
        assert_eq!(s.read_blob(&digest, 100).expect("read"), data);
        assert!(matches!(
            s.read_blob(&digest, 3),
            Err(StoreError::TooLarge { .. })
        ));
    }

    #[test]
    fn short_bytes_resume_and_extra_or_wrong_bytes_are_deleted() {
        let (_d, s) = store();
        let data = b"abcdef";
        let digest = Digest::of(data);
        let partials = |s: &ContentStore| {
            fs::read_dir(s.root().join("ingest"))
                .expect("ls")
                .filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| !e.file_name().to_string_lossy().ends_with(".lock"))
                })
                .count()
        };

        // A short body is an error, but its bytes are kept for the next try to resume from.
        let mut ing = s.ingest(&digest, 6).expect("i").expect("new");
        ing.write(b"abc").expect("w");
        assert!(matches!(
            ing.commit(),
            Err(StoreError::ShortBlob {
                expected: 6,
                actual: 3,
                ..
            })
        ));
        assert_eq!(s.blob_size(&digest).expect("stat"), None);
        let mut ing = s.ingest(&digest, 6).expect("i").expect("new");
        assert_eq!(ing.written(), 3, "resumed after re-hashing the partial bytes");
        ing.restart().expect("restart");
        assert_eq!(ing.written(), 0);
        ing.write(b"abc").expect("w");
        drop(ing);

        // Extra bytes and wrong bytes are deleted at once.
        let mut ing = s.ingest(&digest, 6).expect("i").expect("new");
        assert!(matches!(
            ing.write(b"defg"),
            Err(StoreError::ExtraBytes { expected: 6, .. })
        ));
        drop(ing);
        assert_eq!(partials(&s), 0);
        let mut ing = s.ingest(&digest, 6).expect("i").expect("new");
        assert_eq!(ing.written(), 0);
        ing.write(b"abcxyz").expect("w");
        assert!(matches!(ing.commit(), Err(StoreError::DigestMismatch { .. })));
        assert_eq!(partials(&s), 0);
        assert_eq!(s.blob_size(&digest).expect("stat"), None);

        // Resuming after an interruption still verifies the whole blob.
        let mut ing = s.ingest(&digest, 6).expect("i").expect("new");
        ing.write(b"abcd").expect("w");
        drop(ing);
        let mut ing = s.ingest(&digest, 6).expect("i").expect("new");
        ing.write(&data[4..]).expect("w");
        ing.commit().expect("commit");
        assert_eq!(s.read_blob(&digest, 6).expect("read"), data);
        assert_eq!(partials(&s), 0);
    }

    fn layer(s: &ContentStore, parent: Option<Digest>, content: &[u8]) -> Digest {
        let diff = Digest::of(content);
        let chain = Digest::chain(parent.as_ref(), &diff);
        s.put_bytes(&diff, content).expect("blob");
        s.put_layer(&LayerRecord {
            chain_id: chain,
            diff_id: diff,
            parent,
            blob: diff,
            blob_size: content.len() as u64,
            media_type: "application/vnd.oci.image.layer.v1.tar".into(),
            diff_size: 0,
        })
        .expect("layer");
        chain
    }

    fn image(s: &ContentStore, config: &[u8], layers: Vec<Digest>, tag: &str) -> Digest {
        let id = Digest::of(config);
        s.put_bytes(&id, config).expect("config");
        let manifest = format!("{{\"config\":\"{id}\"}}");
        let md = Digest::of(manifest.as_bytes());
        s.put_bytes(&md, manifest.as_bytes()).expect("manifest");
        s.put_image(
            &ImageRecord {
                id,
                manifest: md,
                manifest_size: manifest.len() as u64,
                manifest_media_type: "application/vnd.oci.image.manifest.v1+json".into(),
                layers,
                repo_digests: vec![],
            },
            Some(tag),
        )
        .expect("image");
        id
    }

    #[test]
    fn open_rewrites_layout_files_a_crash_left_empty() {
        let (_d, s) = store();
        let base = layer(&s, None, b"base");
        let id = image(&s, b"cfg", vec![base], "r/a:1");
        let layout = s.root().join("content/oci-layout");
        let index = s.root().join("content/index.json");
        let before = fs::read(&index).expect("index");
        // What a crash after an unsynced rename can leave: the names, without their bytes.
        fs::write(&layout, b"").expect("truncate");
        fs::write(&index, b"").expect("truncate");
        let s = ContentStore::open(s.root()).expect("reopen");
        assert_eq!(
            fs::read(&layout).expect("layout"),
            br#"{"imageLayoutVersion":"1.0.0"}"#
        );
        assert_eq!(fs::read(&index).expect("index"), before, "rebuilt from the tags");
        let manifest = s.image(&id).expect("image").expect("some").manifest;
        assert!(String::from_utf8_lossy(&before).contains(&manifest.to_string()));
    }

    #[test]
    fn chunks_reach_the_tap_without_a_copy_and_spare_buffers_are_reused() {
        let (_d, s) = store();
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let digest = Digest::of(&data);
        let mut ing = s
            .ingest(&digest, data.len() as u64)
            .expect("ingest")
            .expect("new");
        let (chunks, tapped) = mpsc::channel();
        let (spares, spares_rx) = mpsc::channel();
        ing.set_tap(Tap::new(
            move |chunk| {
                let _ = chunks.send(chunk);
            },
            spares_rx,
        ));
        let mut first = ing.chunk_buffer(4096);
        first.copy_from_slice(&data[..4096]);
        let at = first.as_ptr();
        ing.write_chunk(first).expect("write");
        let got = tapped.recv().expect("tapped");
        assert_eq!((got.as_ptr(), got.as_slice()), (at, &data[..4096]), "the same buffer");
        spares.send(got).expect("give back");
        let mut second = ing.chunk_buffer(4096);
        assert_eq!(second.as_ptr(), at, "the spare is reused");
        second.copy_from_slice(&data[4096..8192]);
        ing.write_chunk(second).expect("write");
        ing.write(&data[8192..]).expect("write");
        let rest: Vec<u8> = tapped.try_iter().flatten().collect();
        assert_eq!(rest, &data[4096..]);
        ing.clear_tap();
        let path = ing.commit().expect("commit");
        assert_eq!(fs::read(path).expect("read"), data);
    }

    #[test]
    fn rmi_frees_exactly_the_unshared_layers() {
        let (_d, s) = store();
        let base = layer(&s, None, b"base");
        let app = layer(&s, Some(base), b"app");
        let other = layer(&s, Some(base), b"other");
        let a = image(&s, b"cfg-a", vec![base, app], "r/a:1");
        let b = image(&s, b"cfg-b", vec![base, other], "r/b:1");
        s.tag(&a, "r/a:2").expect("tag");
        assert_eq!(s.layer_ref_counts().expect("counts").get(&base), Some(&2));

        let mut freed = Vec::new();
        let r = s
            .remove_image("r/a:1", |c| {
                freed.push(*c);
                Ok(())
            })
            .expect("rmi");
        assert_eq!(
            r,
            Removal {
                untagged: vec!["r/a:1".into()],
                deleted: vec![]
            },
            "another tag keeps the image"
        );

        s.add_container_ref("c1", &a).expect("ref");
        assert!(matches!(
            s.remove_image("r/a:2", |_| Ok(())),
            Err(StoreError::ImageInUse { .. })
        ));
        s.remove_container_ref("c1").expect("unref");

        let r = s
            .remove_image("r/a:2", |c| {
                freed.push(*c);
                Ok(())
            })
            .expect("rmi");
        assert_eq!(r.deleted, vec![a, app]);
        assert_eq!(freed, vec![app]);
        assert!(s.layer(&base).expect("l").is_some(), "base is still used by b");
        assert_eq!(s.blob_size(&Digest::of(b"app")).expect("s"), None);
        assert!(s.blob_size(&Digest::of(b"base")).expect("s").is_some());

        let r = s
            .remove_image(&b.hex()[..12], |c| {
                freed.push(*c);
                Ok(())
            })
            .expect("rmi by id");
        assert_eq!(r.deleted, vec![b, other, base]);
        assert!(s.images().expect("ls").is_empty());
        assert!(matches!(
            s.remove_image("r/b:1", |_| Ok(())),
            Err(StoreError::ImageNotFound { .. })
        ));
        assert!(matches!(
            s.add_container_ref("../x", &a),
            Err(StoreError::BadContainerId { .. })
        ));
    }
}
