//! `push`: upload a stored image (its layer blobs, config and manifest) to a registry, with
//! Docker's per-layer statuses.
//!
//! Public API: [`push_image`]`(&ContentStore, &Client, image_id, &ImageRef, &dyn Fn(PushEvent))
//! -> Digest`, [`PushEvent`], [`PushStatus`].
//!
//! Layers go one at a time, top first as Docker lists them; each is skipped when the registry
//! already has the blob (`Layer already exists`). The manifest goes last, so a tag never points
//! at an image whose blobs are missing.

use layerlab_core::digest::Digest;

use super::reference::ImageRef;
use super::{Client, PushOutcome, RegistryError};
use crate::content_store::{ContentStore, StoreError};

/// One layer's push progress, in Docker's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushStatus {
    Preparing,
    Pushing,
    Pushed,
    LayerAlreadyExists,
}

impl PushStatus {
    pub fn label(&self) -> &'static str {
        match self {
            PushStatus::Preparing => "Preparing",
            PushStatus::Pushing => "Pushing",
            PushStatus::Pushed => "Pushed",
            PushStatus::LayerAlreadyExists => "Layer already exists",
        }
    }
}

/// What a push reports, in the order Docker prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushEvent {
    /// `The push refers to repository [<name>]`
    Repository { name: String },
    /// `<12 hex of the diff ID>: <status>`
    Layer { id: String, status: PushStatus },
    /// `<tag>: digest: sha256:… size: <bytes>`
    Digest { tag: String, digest: Digest, size: u64 },
}

/// Pushes the stored image `image_id` as `target` (its tag, or `latest`).
pub fn push_image(
    store: &ContentStore,
    client: &Client,
    image_id: &Digest,
    target: &ImageRef,
    on_event: &dyn Fn(PushEvent),
) -> Result<Digest, RegistryError> {
    let image = store.image(image_id)?.ok_or_else(|| StoreError::ImageNotFound {
        name: image_id.to_string(),
    })?;
    on_event(PushEvent::Repository {
        name: target.full_repository(),
    });
    let mut layers = Vec::new();
    for chain in &image.layers {
        let rec = store
            .layer(chain)?
            .ok_or(StoreError::BlobNotFound { digest: *chain })?;
        on_event(PushEvent::Layer {
            id: rec.diff_id.short(),
            status: PushStatus::Preparing,
        });
        layers.push(rec);
    }
    for rec in layers.iter().rev() {
        let id = rec.diff_id.short();
        on_event(PushEvent::Layer {
            id: id.clone(),
            status: PushStatus::Pushing,
        });
        let mut blob = store.open_blob(&rec.blob)?;
        let status = match client.push_blob(target, &rec.blob, rec.blob_size, &mut blob)? {
            PushOutcome::AlreadyExists => PushStatus::LayerAlreadyExists,
            PushOutcome::Uploaded => PushStatus::Pushed,
        };
        on_event(PushEvent::Layer { id, status });
    }
    let config_size = store
        .blob_size(&image.id)?
        .ok_or(StoreError::BlobNotFound { digest: image.id })?;
    client.push_blob(target, &image.id, config_size, &mut store.open_blob(&image.id)?)?;
    let manifest = store.read_blob(&image.manifest, super::manifest::MAX_MANIFEST_BYTES)?;
    let tag = target.tag.clone().unwrap_or_else(|| "latest".to_owned());
    let digest = client.push_manifest(target, &tag, &image.manifest_media_type, &manifest)?;
    on_event(PushEvent::Digest {
        tag,
        digest,
        size: manifest.len() as u64,
    });
    Ok(digest)
}
