//! `push`: upload a stored image (its layer blobs, config and manifest) to a registry, with
//! Docker's per-layer statuses.
//!
//! Public API: [`push_image`]`(&ContentStore, &Client, image_id, &ImageRef, &dyn Fn(PushEvent))
//! -> Digest`, [`PushEvent`], [`PushStatus`].
//!
//! Layers go one at a time, top first as Docker lists them; each is skipped when the registry
//! already has the blob (`Layer already exists`), else linked from another repository of the
//! same registry that the image was pulled from or pushed to (`Mounted from …`, no bytes
//! sent), else uploaded. The manifest goes last, so a tag never points at an image whose blobs
//! are missing. A successful push records `name@digest` in the image's repo digests, which
//! makes the pushed repository a mount source for the next push.

use layerlab_core::digest::Digest;

use super::reference::ImageRef;
use super::{Client, RegistryError};
use crate::content_store::{ContentStore, StoreError};

/// One layer's push progress, in Docker's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushStatus {
    Preparing,
    Pushing,
    Pushed,
    LayerAlreadyExists,
    /// Linked from this repository (path without the registry host, as Docker prints it).
    MountedFrom(String),
}

impl PushStatus {
    pub fn label(&self) -> String {
        match self {
            PushStatus::Preparing => "Preparing".to_owned(),
            PushStatus::Pushing => "Pushing".to_owned(),
            PushStatus::Pushed => "Pushed".to_owned(),
            PushStatus::LayerAlreadyExists => "Layer already exists".to_owned(),
            PushStatus::MountedFrom(repository) => format!("Mounted from {repository}"),
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
    for chain in image.layers.iter().rev() {
        let rec = store
            .layer(chain)?
            .ok_or(StoreError::BlobNotFound { digest: *chain })?;
        on_event(PushEvent::Layer {
            id: rec.diff_id.short(),
            status: PushStatus::Preparing,
        });
        layers.push(rec);
    }
    let sources = mount_sources(&image.repo_digests, target);
    for rec in &layers {
        let id = rec.diff_id.short();
        if client.blob_exists(target, &rec.blob)? {
            on_event(PushEvent::Layer {
                id,
                status: PushStatus::LayerAlreadyExists,
            });
            continue;
        }
        let mut mounted = None;
        for from in &sources {
            if client.mount_blob(target, &rec.blob, from)? {
                mounted = Some(from.clone());
                break;
            }
        }
        if let Some(from) = mounted {
            on_event(PushEvent::Layer {
                id,
                status: PushStatus::MountedFrom(from),
            });
            continue;
        }
        on_event(PushEvent::Layer {
            id: id.clone(),
            status: PushStatus::Pushing,
        });
        let mut blob = store.open_blob(&rec.blob)?;
        client.upload_blob(target, &rec.blob, rec.blob_size, &mut blob)?;
        on_event(PushEvent::Layer {
            id,
            status: PushStatus::Pushed,
        });
    }
    let config_size = store
        .blob_size(&image.id)?
        .ok_or(StoreError::BlobNotFound { digest: image.id })?;
    client.push_blob(target, &image.id, config_size, &mut store.open_blob(&image.id)?)?;
    let manifest = store.read_blob(&image.manifest, super::manifest::MAX_MANIFEST_BYTES)?;
    let tag = target.tag.clone().unwrap_or_else(|| "latest".to_owned());
    let digest = client.push_manifest(target, &tag, &image.manifest_media_type, &manifest)?;
    let mut record = image.clone();
    let repo_digest = format!("{}@{digest}", target.full_repository());
    if !record.repo_digests.contains(&repo_digest) {
        record.repo_digests.push(repo_digest);
        store.put_image(&record, None)?;
    }
    on_event(PushEvent::Digest {
        tag,
        digest,
        size: manifest.len() as u64,
    });
    Ok(digest)
}

/// Repositories on `target`'s registry, other than `target`'s own, that hold the image: its
/// blobs can be mounted from them. Docker keeps this per layer; per image is what the store
/// records, and a mount that the registry declines simply falls back to an upload.
fn mount_sources(repo_digests: &[String], target: &ImageRef) -> Vec<String> {
    let prefix = format!("{}/", target.registry);
    let mut out: Vec<String> = Vec::new();
    for entry in repo_digests {
        let name = entry.split_once('@').map_or(entry.as_str(), |(n, _)| n);
        if let Some(repository) = name.strip_prefix(&prefix) {
            if repository != target.repository && !out.iter().any(|r| r == repository) {
                out.push(repository.to_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_sources_are_other_repositories_of_the_same_registry() {
        let target = ImageRef::parse("127.0.0.1:5000/demo/copy:1").expect("reference");
        let d = Digest::of(b"m");
        let digests = vec![
            format!("127.0.0.1:5000/demo/app@{d}"),
            format!("127.0.0.1:5000/demo/app@{d}"),
            format!("127.0.0.1:5000/demo/copy@{d}"),
            format!("127.0.0.1:5001/demo/other@{d}"),
            format!("docker.io/library/busybox@{d}"),
            format!("127.0.0.1:5000/team/base@{d}"),
        ];
        assert_eq!(mount_sources(&digests, &target), ["demo/app", "team/base"]);
        assert!(mount_sources(&[], &target).is_empty());
    }

    #[test]
    fn statuses_read_as_docker_prints_them() {
        assert_eq!(
            PushStatus::MountedFrom("demo/app".into()).label(),
            "Mounted from demo/app"
        );
        assert_eq!(PushStatus::LayerAlreadyExists.label(), "Layer already exists");
    }
}
