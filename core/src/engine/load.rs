//! `docker load`: images from an image archive (what `docker save` or `podman save` wrote), taken
//! into the store exactly as a pulled catalog image is: layers by chain ID, a layer that is on
//! disk already reused, the image ID the archive's config digest, its names from `RepoTags`.
//!
//! The archive arrives as bytes because core has no file system: the page hands over a dropped
//! file, the native terminal reads the file named by `-i`.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::images::parse_rfc3339;
use super::{Event, Output, Simulator};
use crate::archive::{self, ArchiveError, Limits};
use crate::digest::Digest;
use crate::store::{ImageRecord, LayerRecord, StoreError};

/// Why a load changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One image a load put into the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadedImage {
    pub id: Digest,
    /// Familiar names (`demo/app:1.0`); empty for an image saved by ID.
    pub tags: Vec<String>,
    /// Names that pointed at another image before the load, with that image's ID: Docker says it
    /// renames the old one "to empty string".
    pub renamed: Vec<(String, Digest)>,
}

/// What a load did, for the renderer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadReport {
    pub images: Vec<LoadedImage>,
}

impl Simulator {
    /// Loads every image of an image archive. Either all of it is loaded or, on any error, the
    /// store and the events are left as they were.
    pub fn load(&mut self, bytes: &[u8]) -> Result<LoadReport, LoadError> {
        let archive = archive::open(bytes, &Limits::default())?;
        // The archive is verified as a whole before this point, so the store can only refuse an
        // image it was handed inconsistently; working on a copy still guarantees that a refusal
        // leaves nothing half loaded, which matters more than the cost of the copy.
        let mut store = self.store.clone();
        let mut events = Vec::new();
        let mut report = LoadReport { images: Vec::new() };
        for image in archive.images {
            let chain_ids = image.chain_ids();
            let mut parent = None;
            for (layer, chain_id) in image.layers.into_iter().zip(&chain_ids) {
                if store.has_layer(chain_id) {
                    let used_by = store
                        .users_of(chain_id)
                        .images
                        .iter()
                        .map(|i| store.tags_of(i).into_iter().next().unwrap_or_else(|| i.short()))
                        .collect();
                    events.push(Event::LayerAlreadyExists {
                        chain_id: *chain_id,
                        blob: layer.digest,
                        used_by,
                    });
                } else {
                    let size = layer.apparent_size();
                    store.add_layer(LayerRecord {
                        chain_id: *chain_id,
                        diff_id: layer.diff_id,
                        parent,
                        size,
                        // A loaded layer did not come from a registry, so it has no blob to
                        // name; Docker likewise keeps no distribution digest for it.
                        blob: None,
                        changeset: Arc::new(layer.changeset),
                    });
                    events.push(Event::LayerCreated {
                        chain_id: *chain_id,
                        diff_id: layer.diff_id,
                        size,
                    });
                }
                parent = Some(*chain_id);
            }
            let id = image.image_id;
            let created = image
                .config
                .created()
                .as_deref()
                .and_then(parse_rfc3339)
                .unwrap_or(0);
            if store.image(&id).is_none() {
                store.add_image(ImageRecord {
                    id,
                    config: image.config,
                    layers: chain_ids,
                    repo_digests: Vec::new(),
                    parent: None,
                    created,
                })?;
                let name = image.repo_tags.first().cloned().unwrap_or_else(|| id.short());
                events.push(Event::ImageCreated { image: id, name });
            }
            let mut renamed = Vec::new();
            for tag in &image.repo_tags {
                match store.tag(tag, id) {
                    Some(old) if old == id => {}
                    old => {
                        if let Some(old) = old {
                            renamed.push((tag.clone(), old));
                        }
                        events.push(Event::ImageTagged {
                            image: id,
                            name: tag.clone(),
                        });
                    }
                }
            }
            report.images.push(LoadedImage {
                id,
                tags: image.repo_tags,
                renamed,
            });
        }
        self.store = store;
        for event in events {
            self.emit(event);
        }
        Ok(report)
    }

    /// `docker load` of a dropped archive: what Docker prints (`Loaded image: demo/app:1.0` per
    /// name, `Loaded image ID: sha256:...` for an image without one) or why nothing was loaded.
    pub fn load_archive(&mut self, bytes: &[u8]) -> Output {
        self.events.clear();
        let (stdout, stderr, exit_code) = match self.load(bytes) {
            Ok(report) => (crate::cli::dispatch::load_text(&report), String::new(), 0),
            Err(e) => (String::new(), crate::cli::dispatch::load_error_text(&e), 1),
        };
        Output {
            stdout,
            stderr,
            exit_code,
            events: std::mem::take(&mut self.events),
        }
    }
}
