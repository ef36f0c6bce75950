//! `pull`: resolve a reference, download the layers three at a time, verify and unpack them in
//! order, record the image, and report progress the way Docker does.
//!
//! Public API:
//! - [`pull`]`(&Store, &Client, &ImageRef, &PullOptions, &dyn Fn(PullEvent)) -> PullResult`
//! - [`Store`] ([`Store::open`]`(data_root)`: the content store and the snapshotter together),
//!   [`data_root`] (`--root`, then `LAYERLAB_ROOT`, then `/var/lib/layerlab`).
//! - [`PullEvent`], [`LayerStatus`], [`PullOutcome`]: plain data; the CLI renders them
//!   (`<12 hex>: Pull complete`, `Digest: …`, `Status: Downloaded newer image for …`).
//! - [`remove_image`]: `rmi`, freeing snapshots of layers nothing else uses.
//!
//! Order of work: the config names every layer's diff ID, so every snapshot's name (its chain ID)
//! is known before any layer arrives, and layers can be unpacked independently. Each download
//! worker therefore unpacks its layer while the bytes stream in (into `<chain>.partial`), and the
//! snapshot is renamed into place only after the blob's size and digest and the diff ID are all
//! verified: nothing unverified is ever used. If the connection breaks, the streamed unpack is
//! thrown away, the download resumes from the bytes stored (HTTP Range), and the layer is unpacked
//! from the stored blob instead. Layers are recorded and reported `Pull complete` bottom-up, as
//! Docker prints them. A layer whose snapshot already exists is `Already exists`; one whose blob
//! is stored but not unpacked (a pull killed during extraction) is only unpacked again.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use layerlab_core::digest::Digest;

use crate::content_store::{ContentStore, DEFAULT_ROOT, ImageRecord, LayerRecord, Removal, StoreError, Tap};
use crate::registry::manifest::{Descriptor, ImageConfigRootFs, ManifestError, Platform};
use crate::registry::reference::ImageRef;
use crate::registry::{Client, RegistryError};
use crate::snapshot::{Compression, SnapshotError, Snapshotter, UnpackOptions, UnpackStats, WhiteoutMode};

/// Image configs above this size are refused (they are read into memory).
const MAX_CONFIG_BYTES: u64 = 32 << 20;
/// Tries per layer download when the connection breaks mid-body.
const DOWNLOAD_TRIES: u32 = 3;

/// Why a pull failed.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("unsupported layer media type {media_type:?} for layer {digest}")]
    UnsupportedLayer { digest: Digest, media_type: String },
    #[error("a download worker stopped unexpectedly")]
    Worker,
}

/// The data root: `--root` if given, else `$LAYERLAB_ROOT`, else `/var/lib/layerlab`.
pub fn data_root(flag: Option<&Path>) -> PathBuf {
    match (flag, std::env::var_os("LAYERLAB_ROOT")) {
        (Some(p), _) => p.to_owned(),
        (None, Some(env)) if !env.is_empty() => PathBuf::from(env),
        _ => PathBuf::from(DEFAULT_ROOT),
    }
}

/// A data root's content store and snapshots.
#[derive(Debug, Clone)]
pub struct Store {
    pub content: ContentStore,
    pub snapshots: Snapshotter,
}

impl Store {
    /// Opens (creating if needed) the stores under `data_root`.
    pub fn open(data_root: &Path) -> Result<Self, PullError> {
        Ok(Self {
            content: ContentStore::open(data_root)?,
            snapshots: Snapshotter::open(data_root)?,
        })
    }
}

/// One layer's progress, in Docker's vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerStatus {
    PullingFsLayer,
    Waiting,
    Downloading {
        current: u64,
        total: u64,
    },
    /// The connection broke; the download goes on from the last byte received (HTTP Range).
    Retrying {
        attempt: u32,
    },
    VerifyingChecksum,
    DownloadComplete,
    Extracting {
        current: u64,
        total: u64,
    },
    PullComplete,
    AlreadyExists,
}

impl LayerStatus {
    /// The status word(s) Docker prints after `<id>: ` (without progress bars).
    pub fn label(&self) -> &'static str {
        match self {
            LayerStatus::PullingFsLayer => "Pulling fs layer",
            LayerStatus::Waiting => "Waiting",
            LayerStatus::Downloading { .. } => "Downloading",
            LayerStatus::Retrying { .. } => "Retrying",
            LayerStatus::VerifyingChecksum => "Verifying Checksum",
            LayerStatus::DownloadComplete => "Download complete",
            LayerStatus::Extracting { .. } => "Extracting",
            LayerStatus::PullComplete => "Pull complete",
            LayerStatus::AlreadyExists => "Already exists",
        }
    }
}

/// Whether anything new was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullOutcome {
    /// `Status: Downloaded newer image for <name>`
    Downloaded,
    /// `Status: Image is up to date for <name>`
    UpToDate,
}

/// What a pull reports, in the order Docker prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullEvent {
    /// `Using default tag: latest`
    UsingDefaultTag { tag: String },
    /// `<tag>: Pulling from <repository>`
    PullingFrom { reference: String, repository: String },
    /// `<12 hex>: <status>`; `id` is the layer's compressed digest, shortened.
    Layer { id: String, status: LayerStatus },
    /// `Digest: sha256:…`
    Digest { digest: Digest },
    /// `Status: …` for `name` (as Docker displays it).
    Status { outcome: PullOutcome, name: String },
}

/// Pull settings.
#[derive(Debug, Clone)]
pub struct PullOptions {
    pub platform: Platform,
    /// Docker's `--max-concurrent-downloads`, 3 by default.
    pub max_concurrent_downloads: usize,
    /// Decompressed-byte budget per layer.
    pub max_layer_bytes: u64,
}

impl Default for PullOptions {
    fn default() -> Self {
        Self {
            platform: Platform::host(),
            max_concurrent_downloads: 3,
            max_layer_bytes: 64 << 30,
        }
    }
}

/// What a pull produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullResult {
    /// The image ID (the config's digest).
    pub image_id: Digest,
    /// The digest the reference resolved to (the `Digest:` line).
    pub digest: Digest,
    /// Chain IDs, bottom layer first.
    pub layers: Vec<Digest>,
    pub outcome: PullOutcome,
}

fn supported_layer(media_type: &str) -> bool {
    matches!(
        media_type,
        "application/vnd.docker.image.rootfs.diff.tar.gzip"
            | "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
            | "application/vnd.oci.image.layer.v1.tar"
            | "application/vnd.oci.image.layer.v1.tar+gzip"
            | "application/vnd.oci.image.layer.v1.tar+zstd"
            | "application/vnd.oci.image.layer.nondistributable.v1.tar"
            | "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
            | "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
    )
}

/// Counts bytes read, for `Extracting` progress.
struct Counting<'a, R> {
    inner: R,
    read: u64,
    total: u64,
    last: Instant,
    report: &'a dyn Fn(u64, u64),
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.last.elapsed() >= Duration::from_millis(100) {
            (self.report)(self.read, self.total);
            self.last = Instant::now();
        }
        Ok(n)
    }
}

/// Pulls `image` into `store`, reporting progress through `on_event`.
pub fn pull(
    store: &Store,
    client: &Client,
    image: &ImageRef,
    opts: &PullOptions,
    on_event: &(dyn Fn(PullEvent) + Sync),
) -> Result<PullResult, PullError> {
    if image.default_tag {
        on_event(PullEvent::UsingDefaultTag { tag: "latest".into() });
    }
    let resolved = client.resolve(image, &opts.platform)?;
    let reference = match (&image.tag, &image.digest) {
        (_, Some(d)) => d.to_string(),
        (Some(t), None) => t.clone(),
        (None, None) => "latest".into(),
    };
    on_event(PullEvent::PullingFrom {
        reference,
        repository: image.familiar_repository().to_owned(),
    });

    for l in &resolved.layers {
        if !supported_layer(&l.media_type) {
            return Err(PullError::UnsupportedLayer {
                digest: l.digest,
                media_type: l.media_type.clone(),
            });
        }
    }

    // The config names the diff IDs, and so the chain IDs: the snapshots' names.
    let config_bytes = if store.content.blob_size(&resolved.config.digest)?.is_some() {
        store
            .content
            .read_blob(&resolved.config.digest, MAX_CONFIG_BYTES)?
    } else {
        let bytes = client.fetch_blob_bytes(image, &resolved.config, MAX_CONFIG_BYTES)?;
        store.content.put_bytes(&resolved.config.digest, &bytes)?;
        bytes
    };
    let rootfs = ImageConfigRootFs::parse(&config_bytes, &resolved.config.digest, resolved.layers.len())?;
    let chain_ids = Digest::chain_ids(&rootfs.diff_ids);

    // What each layer needs: nothing, only an unpack, or a download and an unpack.
    let mut need_unpack = Vec::new();
    let mut to_download = Vec::new();
    for (i, (layer, chain)) in resolved.layers.iter().zip(&chain_ids).enumerate() {
        let id = layer.digest.short();
        if store.snapshots.exists(chain) && store.content.layer(chain)?.is_some() {
            on_event(PullEvent::Layer {
                id,
                status: LayerStatus::AlreadyExists,
            });
            continue;
        }
        need_unpack.push(i);
        on_event(PullEvent::Layer {
            id,
            status: LayerStatus::PullingFsLayer,
        });
        if store.content.blob_size(&layer.digest)? != Some(layer.size) {
            to_download.push(i);
        }
    }
    let workers = opts.max_concurrent_downloads.max(1);
    for (pos, i) in to_download.iter().enumerate() {
        if pos >= workers {
            if let Some(l) = resolved.layers.get(*i) {
                on_event(PullEvent::Layer {
                    id: l.digest.short(),
                    status: LayerStatus::Waiting,
                });
            }
        }
    }

    let downloaded_any = !to_download.is_empty();
    let queue = Mutex::new(to_download.iter().copied().collect::<VecDeque<usize>>());
    let abort = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<(usize, Result<Fetched, PullError>)>();
    let layers = &resolved.layers;
    let (chain_ids_ref, diff_ids) = (&chain_ids, &rootfs.diff_ids);

    let result = std::thread::scope(|scope| -> Result<(), PullError> {
        for _ in 0..workers.min(to_download.len()) {
            let tx = tx.clone();
            let (queue, abort) = (&queue, &abort);
            scope.spawn(move || {
                loop {
                    if abort.load(Ordering::Relaxed) {
                        return;
                    }
                    let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                    let Some(i) = next else { return };
                    let (Some(layer), Some(chain), Some(diff_id)) =
                        (layers.get(i), chain_ids_ref.get(i), diff_ids.get(i))
                    else {
                        return;
                    };
                    let r = fetch(store, client, image, layer, chain, diff_id, opts, on_event);
                    if tx.send((i, r)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);

        // Record and report bottom-up as the layers arrive.
        let mut arrived: BTreeMap<usize, Fetched> = BTreeMap::new();
        let pending_downloads: BTreeSet<usize> = to_download.iter().copied().collect();
        for &i in &need_unpack {
            while pending_downloads.contains(&i) && !arrived.contains_key(&i) {
                match rx.recv() {
                    Ok((j, Ok(fetched))) => {
                        arrived.insert(j, fetched);
                    }
                    Ok((_, Err(e))) => {
                        abort.store(true, Ordering::Relaxed);
                        return Err(e);
                    }
                    Err(_) => return Err(PullError::Worker),
                }
            }
            let (Some(layer), Some(chain), Some(diff_id)) =
                (layers.get(i), chain_ids.get(i), rootfs.diff_ids.get(i))
            else {
                return Err(PullError::Worker);
            };
            let parent = i.checked_sub(1).and_then(|p| chain_ids.get(p)).copied();
            let done = match arrived.remove(&i) {
                Some(Fetched::Unpacked(stats)) => {
                    on_event(PullEvent::Layer {
                        id: layer.digest.short(),
                        status: LayerStatus::Extracting {
                            current: layer.size,
                            total: layer.size,
                        },
                    });
                    record_layer(store, layer, chain, parent, diff_id, stats, on_event)
                }
                Some(Fetched::Stored) | None => extract(store, layer, chain, parent, diff_id, opts, on_event),
            };
            if let Err(e) = done {
                abort.store(true, Ordering::Relaxed);
                return Err(e);
            }
        }
        Ok(())
    });
    result?;

    // Manifest(s) last: an image is recorded only when everything it names is in place.
    store
        .content
        .put_bytes(&resolved.manifest.digest, &resolved.manifest.bytes)?;
    let repo_digest = format!("{}@{}", image.full_repository(), resolved.digest);
    let record = ImageRecord {
        id: resolved.config.digest,
        manifest: resolved.manifest.digest,
        manifest_size: resolved.manifest.bytes.len() as u64,
        manifest_media_type: resolved.manifest.media_type.clone(),
        layers: chain_ids.clone(),
        repo_digests: vec![repo_digest],
    };
    let existed = store.content.image(&record.id)?.is_some();
    let tag = image.tag.as_ref().map(|_| image.store_name());
    let before = store.content.put_image(&record, tag.as_deref())?;
    let up_to_date =
        !downloaded_any && need_unpack.is_empty() && existed && (tag.is_none() || before == Some(record.id));
    let outcome = if up_to_date {
        PullOutcome::UpToDate
    } else {
        PullOutcome::Downloaded
    };
    on_event(PullEvent::Digest {
        digest: resolved.digest,
    });
    on_event(PullEvent::Status {
        outcome,
        name: image.display(),
    });
    Ok(PullResult {
        image_id: record.id,
        digest: resolved.digest,
        layers: chain_ids,
        outcome,
    })
}

/// What a download worker leaves for the layer.
enum Fetched {
    /// Verified and unpacked while it streamed in (`None`: another pull made the snapshot).
    Unpacked(Option<UnpackStats>),
    /// Only the blob is stored; it is unpacked from there.
    Stored,
}

/// One chunk of a layer on its way from the download to the unpacker.
enum Chunk {
    Data(Vec<u8>),
    /// The whole blob arrived and matches its descriptor.
    Verified,
}

/// The unpacker's end of the stream. It ends cleanly only after [`Chunk::Verified`]: a download
/// that stops early, or a blob with the wrong digest, ends it with an error, so the unpacker
/// throws its partial snapshot away instead of committing it.
struct Streamed {
    rx: mpsc::Receiver<Chunk>,
    chunk: Vec<u8>,
    at: usize,
}

impl Read for Streamed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.chunk.len() {
            match self.rx.recv() {
                Ok(Chunk::Data(bytes)) => {
                    self.chunk = bytes;
                    self.at = 0;
                }
                Ok(Chunk::Verified) => return Ok(0),
                Err(_) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the layer download stopped before the blob was verified",
                    ));
                }
            }
        }
        let rest = self.chunk.get(self.at..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(rest.get(..n).unwrap_or_default());
        self.at += n;
        Ok(n)
    }
}

/// Downloads one layer and, when it starts from the first byte, unpacks it as it streams in.
/// zstd layers are unpacked from the stored blob: the zstd decoder may stop at the end of its
/// frame without reading the stream to its end, and the stream's end is where the blob is verified.
#[allow(clippy::too_many_arguments)]
fn fetch(
    store: &Store,
    client: &Client,
    image: &ImageRef,
    layer: &Descriptor,
    chain: &Digest,
    diff_id: &Digest,
    opts: &PullOptions,
    on_event: &(dyn Fn(PullEvent) + Sync),
) -> Result<Fetched, PullError> {
    let compression = Compression::from_media_type(&layer.media_type);
    let Some(mut ingest) = store.content.ingest(&layer.digest, layer.size)? else {
        on_event(PullEvent::Layer {
            id: layer.digest.short(),
            status: LayerStatus::DownloadComplete,
        });
        return Ok(Fetched::Stored);
    };
    if ingest.written() > 0 || matches!(compression, Compression::Zstd) {
        drop(ingest);
        download(store, client, image, layer, on_event)?;
        return Ok(Fetched::Stored);
    }
    let unpack_opts = UnpackOptions {
        compression,
        whiteouts: WhiteoutMode::Overlay,
        max_bytes: opts.max_layer_bytes,
    };
    // A few chunks in flight let the download run ahead of the unpacker without holding the
    // whole layer in memory.
    let (tx, rx) = mpsc::sync_channel::<Chunk>(16);
    let data_tx = tx.clone();
    ingest.set_tap(Tap::new(move |bytes| {
        // A closed channel means the unpacker already failed; its error is reported below.
        let _ = data_tx.send(Chunk::Data(bytes.to_vec()));
    }));
    let id = layer.digest.short();
    let (fetched, unpacked) = std::thread::scope(|scope| {
        let unpacker = scope.spawn(|| {
            let stream = Streamed {
                rx,
                chunk: Vec::new(),
                at: 0,
            };
            store.snapshots.unpack(chain, stream, &unpack_opts, diff_id)
        });
        let mut progress = |current| {
            on_event(PullEvent::Layer {
                id: id.clone(),
                status: LayerStatus::Downloading {
                    current,
                    total: layer.size,
                },
            })
        };
        let fetched = client.fetch_blob(image, layer, &mut ingest, &mut progress);
        let verified = fetched.is_ok() && ingest.verify().is_ok();
        ingest.clear_tap();
        if verified {
            // Only a verified blob lets the unpacker finish and commit its snapshot.
            let _ = tx.send(Chunk::Verified);
        }
        drop(tx);
        let unpacked = match unpacker.join() {
            Ok(r) => r.map_err(PullError::from),
            Err(_) => Err(PullError::Worker),
        };
        (fetched, unpacked)
    });
    match fetched {
        // Complete but wrong bytes: the commit below refuses them and forgets them.
        Ok(()) => {}
        Err(RegistryError::BlobRead { .. } | RegistryError::Transport { .. }) => {
            // The connection broke: keep the bytes received, resume, and unpack from the blob.
            drop(ingest);
            download(store, client, image, layer, on_event)?;
            return Ok(Fetched::Stored);
        }
        Err(e) => return Err(e.into()),
    }
    on_event(PullEvent::Layer {
        id: id.clone(),
        status: LayerStatus::VerifyingChecksum,
    });
    ingest.commit()?;
    on_event(PullEvent::Layer {
        id,
        status: LayerStatus::DownloadComplete,
    });
    Ok(Fetched::Unpacked(unpacked?))
}

/// Downloads one layer blob into the content store; a broken connection is retried, resuming
/// from the bytes already received.
fn download(
    store: &Store,
    client: &Client,
    image: &ImageRef,
    layer: &Descriptor,
    on_event: &(dyn Fn(PullEvent) + Sync),
) -> Result<(), PullError> {
    let id = layer.digest.short();
    let mut attempt = 1;
    loop {
        let Some(mut ingest) = store.content.ingest(&layer.digest, layer.size)? else {
            // Another pull stored it while this one waited.
            on_event(PullEvent::Layer {
                id,
                status: LayerStatus::DownloadComplete,
            });
            return Ok(());
        };
        let total = layer.size;
        let mut progress = |current| {
            on_event(PullEvent::Layer {
                id: id.clone(),
                status: LayerStatus::Downloading { current, total },
            })
        };
        match client.fetch_blob(image, layer, &mut ingest, &mut progress) {
            Ok(()) => {}
            Err(RegistryError::BlobRead { .. } | RegistryError::Transport { .. })
                if attempt < DOWNLOAD_TRIES =>
            {
                attempt += 1;
                on_event(PullEvent::Layer {
                    id: id.clone(),
                    status: LayerStatus::Retrying { attempt },
                });
                continue;
            }
            Err(e) => return Err(e.into()),
        }
        on_event(PullEvent::Layer {
            id: id.clone(),
            status: LayerStatus::VerifyingChecksum,
        });
        ingest.commit()?;
        on_event(PullEvent::Layer {
            id,
            status: LayerStatus::DownloadComplete,
        });
        return Ok(());
    }
}

/// Unpacks one downloaded layer into its snapshot and records it.
fn extract(
    store: &Store,
    layer: &Descriptor,
    chain: &Digest,
    parent: Option<Digest>,
    diff_id: &Digest,
    opts: &PullOptions,
    on_event: &(dyn Fn(PullEvent) + Sync),
) -> Result<(), PullError> {
    let id = layer.digest.short();
    let total = layer.size;
    let report = |current, total| {
        on_event(PullEvent::Layer {
            id: id.clone(),
            status: LayerStatus::Extracting { current, total },
        })
    };
    let file: File = store.content.open_blob(&layer.digest)?;
    let reader = Counting {
        inner: file,
        read: 0,
        total,
        last: Instant::now(),
        report: &report,
    };
    let unpack_opts = UnpackOptions {
        compression: Compression::from_media_type(&layer.media_type),
        whiteouts: WhiteoutMode::Overlay,
        max_bytes: opts.max_layer_bytes,
    };
    report(0, total);
    let stats = store.snapshots.unpack(chain, reader, &unpack_opts, diff_id)?;
    record_layer(store, layer, chain, parent, diff_id, stats, on_event)
}

/// Records an unpacked layer and reports it `Pull complete`.
fn record_layer(
    store: &Store,
    layer: &Descriptor,
    chain: &Digest,
    parent: Option<Digest>,
    diff_id: &Digest,
    stats: Option<UnpackStats>,
    on_event: &(dyn Fn(PullEvent) + Sync),
) -> Result<(), PullError> {
    let diff_size = match stats {
        Some(s) => s.content_bytes,
        None => store.snapshots.content_bytes(chain)?,
    };
    store.content.put_layer(&LayerRecord {
        chain_id: *chain,
        diff_id: *diff_id,
        parent,
        blob: layer.digest,
        blob_size: layer.size,
        media_type: layer.media_type.clone(),
        diff_size,
    })?;
    on_event(PullEvent::Layer {
        id: layer.digest.short(),
        status: LayerStatus::PullComplete,
    });
    Ok(())
}

/// `rmi name`: untags, and when nothing else names the image, deletes it with every layer and
/// snapshot no other image or container uses.
pub fn remove_image(store: &Store, name: &str) -> Result<Removal, PullError> {
    let key = match ImageRef::parse(name) {
        Ok(r) if store.content.resolve(&r.store_name())?.is_some() => r.store_name(),
        _ => name.to_owned(),
    };
    Ok(store
        .content
        .remove_image(&key, |chain| store.snapshots.remove(chain))?)
}
