//! `pull`: resolve a reference, download the layers three at a time, verify and unpack them in
//! order, record the image, and report progress the way Docker does.
//!
//! Public API:
//! - [`pull`]`(&Store, &Client, &ImageRef, &PullOptions, &dyn Fn(PullEvent)) -> PullResult`
//! - [`Store`] ([`Store::open`]`(data_root)`: the content store and the snapshotter together),
//!   [`data_root`] (`--root`, then `LAYERLAB_ROOT`, then `/var/lib/layerlab`).
//! - [`PullEvent`], [`LayerStatus`], [`PullOutcome`]: plain data, reported while the pull runs
//!   (from its download threads too); [`crate::progress`] prints them as Docker does
//!   (`<12 hex>: Pull complete`, `Digest: …`, `Status: Downloaded newer image for …`).
//! - [`remove_image`]: `rmi`, freeing snapshots of layers nothing else uses.
//!
//! Order of work: the config names every layer's diff ID, so every snapshot's name (its chain ID)
//! is known before any layer arrives, and layers can be unpacked independently. Each download
//! worker therefore unpacks its layer while the bytes stream in (into `<chain>.partial`), and the
//! snapshot is renamed into place only after the blob's size and digest and the diff ID are all
//! verified: nothing unverified is ever used. If the connection breaks, the streamed unpack is
//! thrown away, the download resumes from the bytes stored (HTTP Range), and the layer is unpacked
//! from the stored blob instead. Once a streamed layer's blob is verified, the download slot
//! moves on to the next layer and the layer's finisher thread fsyncs the blob, completes the
//! snapshot and records the layer, so waits for the disk overlap other downloads; layers are
//! reported `Pull complete` bottom-up, as Docker prints them. Config and manifest are stored
//! while the layers download, and the image record is written last. A layer whose snapshot
//! already exists is `Already exists`; one whose blob is stored but not unpacked (a pull killed
//! during extraction) is only unpacked again.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use layerlab_core::digest::Digest;

use crate::content_store::{
    ContentStore, DEFAULT_ROOT, ImageRecord, Ingest, LayerRecord, Removal, StoreError, Tap,
};
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

    // The config names the diff IDs, and so the chain IDs: the snapshots' names. A fetched
    // config is verified in memory and stored while the layers download.
    let (config_bytes, config_stored) = if store.content.blob_size(&resolved.config.digest)?.is_some() {
        let bytes = store
            .content
            .read_blob(&resolved.config.digest, MAX_CONFIG_BYTES)?;
        (bytes, true)
    } else {
        let bytes = client.fetch_blob_bytes(image, &resolved.config, MAX_CONFIG_BYTES)?;
        (bytes, false)
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
    let ctx = Ctx {
        store,
        client,
        image,
        opts,
        on_event,
    };
    let ctx = &ctx;

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
                    let parent = i.checked_sub(1).and_then(|p| chain_ids_ref.get(p)).copied();
                    let target = Target {
                        index: i,
                        layer,
                        chain,
                        parent,
                        diff_id,
                    };
                    let outcome = match fetch(scope, ctx, target, &tx) {
                        Ok(Handoff::Finishing) => continue,
                        Ok(Handoff::Done(fetched)) => Ok(fetched),
                        Err(e) => Err(e),
                    };
                    if tx.send((i, outcome)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);

        // Config and manifest are stored while the layers download rather than before or after
        // them: their bytes are verified already, and the image exists only once its record is
        // written, last.
        let stored = if config_stored {
            Ok(())
        } else {
            store.content.put_bytes(&resolved.config.digest, &config_bytes)
        }
        .and_then(|()| {
            store
                .content
                .put_bytes(&resolved.manifest.digest, &resolved.manifest.bytes)
        });
        if let Err(e) = stored {
            abort.store(true, Ordering::Relaxed);
            return Err(e.into());
        }

        // Report bottom-up as the layers arrive.
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
                Some(Fetched::Unpacked) => {
                    on_event(PullEvent::Layer {
                        id: layer.digest.short(),
                        status: LayerStatus::Extracting {
                            current: layer.size,
                            total: layer.size,
                        },
                    });
                    on_event(PullEvent::Layer {
                        id: layer.digest.short(),
                        status: LayerStatus::PullComplete,
                    });
                    Ok(())
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

    // The image record last: an image is recorded only when everything it names is in place.
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
    /// Verified, unpacked while it streamed in (or found unpacked by another pull) and recorded.
    Unpacked,
    /// Only the blob is stored; it is unpacked from there.
    Stored,
}

/// Where download workers and finishers send each layer's outcome, with the layer's index.
type Outcomes = mpsc::Sender<(usize, Result<Fetched, PullError>)>;

/// What every download worker shares.
struct Ctx<'a> {
    store: &'a Store,
    client: &'a Client,
    image: &'a ImageRef,
    opts: &'a PullOptions,
    on_event: &'a (dyn Fn(PullEvent) + Sync),
}

/// One layer to download, and the snapshot it becomes.
#[derive(Clone, Copy)]
struct Target<'a> {
    index: usize,
    layer: &'a Descriptor,
    chain: &'a Digest,
    parent: Option<Digest>,
    diff_id: &'a Digest,
}

/// How a download ended for its worker.
enum Handoff {
    /// The outcome is known now.
    Done(Fetched),
    /// The blob is verified; the layer's finisher commits it and reports the outcome.
    Finishing,
}

/// One chunk of a layer on its way from the download to the unpacker.
enum Chunk {
    Data(Vec<u8>),
    /// The whole blob arrived and matches its descriptor.
    Verified,
}

/// Chunks of a layer in flight between download and unpacker: enough for the download to run
/// ahead of the unpacker without holding the whole layer in memory.
const CHUNKS_IN_FLIGHT: usize = 16;

/// The unpacker's end of the stream. It ends cleanly only after [`Chunk::Verified`]: a download
/// that stops early, or a blob with the wrong digest, ends it with an error, so the unpacker
/// throws its partial snapshot away instead of committing it. The decompressor reads the
/// download's own buffers in place ([`BufRead`]) and each one goes back to the download when
/// it is used up.
struct Streamed {
    rx: mpsc::Receiver<Chunk>,
    spares: mpsc::Sender<Vec<u8>>,
    chunk: Vec<u8>,
    at: usize,
    verified: bool,
}

impl BufRead for Streamed {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.at >= self.chunk.len() && !self.verified {
            match self.rx.recv() {
                Ok(Chunk::Data(bytes)) => {
                    let used = std::mem::replace(&mut self.chunk, bytes);
                    self.at = 0;
                    // The download may have finished already; then the buffer is simply freed.
                    let _ = self.spares.send(used);
                }
                Ok(Chunk::Verified) => self.verified = true,
                Err(_) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the layer download stopped before the blob was verified",
                    ));
                }
            }
        }
        Ok(self.chunk.get(self.at..).unwrap_or_default())
    }

    fn consume(&mut self, n: usize) {
        self.at = self.at.saturating_add(n).min(self.chunk.len());
    }
}

impl Read for Streamed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let rest = self.fill_buf()?;
        let n = rest.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(rest.get(..n).unwrap_or_default());
        self.consume(n);
        Ok(n)
    }
}

/// Downloads one layer and, when it starts from the first byte, unpacks it as it streams in.
///
/// The unpacking runs in a finisher thread of the pull's scope. Once the blob is verified, the
/// worker hands the ingest to that finisher and is free for the next download, while the
/// finisher makes the blob durable (fsync), completes the snapshot, records the layer and
/// reports it: a download slot never waits for the disk. zstd layers are unpacked from the
/// stored blob: the zstd decoder may stop at the end of its frame without reading the stream to
/// its end, and the stream's end is where the blob is verified.
fn fetch<'scope, 'env>(
    scope: &'scope std::thread::Scope<'scope, 'env>,
    ctx: &'env Ctx<'env>,
    target: Target<'env>,
    outcomes: &Outcomes,
) -> Result<Handoff, PullError> {
    let Ctx {
        store,
        client,
        image,
        opts,
        on_event,
    } = *ctx;
    let layer = target.layer;
    let compression = Compression::from_media_type(&layer.media_type);
    let Some(mut ingest) = store.content.ingest(&layer.digest, layer.size)? else {
        on_event(PullEvent::Layer {
            id: layer.digest.short(),
            status: LayerStatus::DownloadComplete,
        });
        return Ok(Handoff::Done(Fetched::Stored));
    };
    if ingest.written() > 0 || matches!(compression, Compression::Zstd) {
        drop(ingest);
        download(store, client, image, layer, on_event)?;
        return Ok(Handoff::Done(Fetched::Stored));
    }
    let unpack_opts = UnpackOptions {
        compression,
        whiteouts: WhiteoutMode::Overlay,
        max_bytes: opts.max_layer_bytes,
    };
    let (tx, rx) = mpsc::sync_channel::<Chunk>(CHUNKS_IN_FLIGHT);
    let (spares, spares_rx) = mpsc::channel::<Vec<u8>>();
    // The verified ingest, or nothing when the download failed (the worker reports that).
    let (handoff, verified_ingest) = mpsc::sync_channel::<Option<Ingest>>(1);
    let data_tx = tx.clone();
    ingest.set_tap(Tap::new(
        move |chunk| {
            // A closed channel means the unpacker already failed; its finisher reports why.
            let _ = data_tx.send(Chunk::Data(chunk));
        },
        spares_rx,
    ));
    let outcomes = outcomes.clone();
    scope.spawn(move || {
        let stream = Streamed {
            rx,
            spares,
            chunk: Vec::new(),
            at: 0,
            verified: false,
        };
        let unpacked = store
            .snapshots
            .unpack(target.chain, stream, &unpack_opts, target.diff_id);
        let Ok(Some(ingest)) = verified_ingest.recv() else {
            return;
        };
        let outcome = finish(store, target, ingest, unpacked.map_err(PullError::from), on_event);
        // A closed channel means the pull already stopped on another layer's error.
        let _ = outcomes.send((target.index, outcome));
    });

    let id = layer.digest.short();
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
        drop(tx);
        // The finisher waits for this message whatever became of its unpack.
        let _ = handoff.send(Some(ingest));
        return Ok(Handoff::Finishing);
    }
    // The unpacker sees its stream end unverified and throws its partial snapshot away.
    drop(tx);
    let _ = handoff.send(None);
    match fetched {
        // Complete but wrong bytes: the commit refuses them and forgets them.
        Ok(()) => {
            ingest.commit()?;
            Ok(Handoff::Done(Fetched::Stored))
        }
        // The connection broke: keep the bytes received, resume, and unpack from the blob.
        Err(RegistryError::BlobRead { .. } | RegistryError::Transport { .. }) => {
            drop(ingest);
            download(store, client, image, layer, on_event)?;
            Ok(Handoff::Done(Fetched::Stored))
        }
        Err(e) => Err(e.into()),
    }
}

/// A finisher's work once its layer's blob is verified and its unpack has ended: make the blob
/// durable and visible, then record the layer if its snapshot was made.
fn finish(
    store: &Store,
    target: Target<'_>,
    ingest: Ingest,
    unpacked: Result<Option<UnpackStats>, PullError>,
    on_event: &(dyn Fn(PullEvent) + Sync),
) -> Result<Fetched, PullError> {
    let id = target.layer.digest.short();
    on_event(PullEvent::Layer {
        id: id.clone(),
        status: LayerStatus::VerifyingChecksum,
    });
    ingest.commit()?;
    on_event(PullEvent::Layer {
        id,
        status: LayerStatus::DownloadComplete,
    });
    let stats = unpacked?;
    record_layer(
        store,
        target.layer,
        target.chain,
        target.parent,
        target.diff_id,
        stats,
    )?;
    Ok(Fetched::Unpacked)
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
    let reader = BufReader::with_capacity(256 * 1024, reader);
    let stats = store.snapshots.unpack(chain, reader, &unpack_opts, diff_id)?;
    record_layer(store, layer, chain, parent, diff_id, stats)?;
    on_event(PullEvent::Layer {
        id: layer.digest.short(),
        status: LayerStatus::PullComplete,
    });
    Ok(())
}

/// Records an unpacked layer.
fn record_layer(
    store: &Store,
    layer: &Descriptor,
    chain: &Digest,
    parent: Option<Digest>,
    diff_id: &Digest,
    stats: Option<UnpackStats>,
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
