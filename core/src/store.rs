//! The image store: images by ID and by tag, and layers by chain ID.
//!
//! A layer is stored once per chain ID, whichever image brought it in: that is what makes two images
//! that start from the same base share disk, and why the same diff ID at another position in a
//! stack is a different layer (its chain ID differs). Who uses a layer is worked out from the images
//! and containers that are registered rather than kept as counters, so the counts can never drift
//! from the facts they summarise.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::layer::Changeset;
use crate::oci::ImageConfiguration;

/// Why the store refused an operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("No such image: {reference}")]
    NoSuchImage { reference: String },
    #[error(
        "conflict: unable to remove repository reference \"{reference}\" (must force) - container {container} is using its referenced image {image}"
    )]
    ImageInUse {
        reference: String,
        container: String,
        image: String,
    },
    #[error(
        "conflict: unable to delete {image} (must be forced) - image is referenced in multiple repositories"
    )]
    ReferencedInMultipleRepositories { image: String },
    #[error(
        "conflict: unable to delete {image} (must be forced) - image is being used by stopped container {container}"
    )]
    UsedByStoppedContainer { image: String, container: String },
    #[error(
        "conflict: unable to delete {image} (cannot be forced) - image is being used by running container {container}"
    )]
    UsedByRunningContainer { image: String, container: String },
    #[error("layer {chain_id} is not in the store")]
    MissingLayer { chain_id: Digest },
    #[error(
        "layer {chain_id} says its parent is {claimed:?} but the layer below it in the image is {actual:?}"
    )]
    ParentMismatch {
        chain_id: Digest,
        claimed: Option<Digest>,
        actual: Option<Digest>,
    },
}

/// A compressed layer blob as a registry serves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blob {
    pub digest: Digest,
    pub size: u64,
}

/// One layer on disk, keyed by its chain ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerRecord {
    pub chain_id: Digest,
    pub diff_id: Digest,
    /// The chain ID of the layer below, `None` for a base layer.
    pub parent: Option<Digest>,
    /// Docker's DiffSize: the apparent bytes of the unpacked layer (`Changeset::size`).
    pub size: u64,
    /// The blob it was pulled as; `None` for layers made here by `build` or `commit`.
    pub blob: Option<Blob>,
    /// Shared with every container view that stacks it, so a view costs no copy.
    pub changeset: Arc<Changeset>,
}

/// One image: a config and the stack of layers its `rootfs.diff_ids` name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageRecord {
    /// The digest of the config JSON.
    pub id: Digest,
    pub config: ImageConfiguration,
    /// Chain IDs, bottom layer first.
    pub layers: Vec<Digest>,
    /// `repository@sha256:...` of the manifest the image was pulled by.
    pub repo_digests: Vec<String>,
    /// The image this one was built or committed on top of, when that image is local: the classic
    /// builder's parent chain that lets `history` print IDs instead of `<missing>`.
    pub parent: Option<Digest>,
    /// Seconds since the epoch, from the config's `created`.
    pub created: i64,
}

/// Which images and containers hold a layer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerUsers {
    pub images: Vec<Digest>,
    pub containers: Vec<String>,
}

/// What removing one tag or image did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removal {
    /// `repository:tag` names that were dropped.
    pub untagged: Vec<String>,
    /// `repository@digest` names that were dropped with the image.
    pub untagged_digests: Vec<String>,
    /// The image, when nothing referred to it any more.
    pub deleted_image: Option<Digest>,
    /// Layers no remaining image uses, top of the stack first (the order Docker prints them).
    pub freed_layers: Vec<LayerRecord>,
}

/// Images, tags, layers and which containers hold which image.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Store {
    images: BTreeMap<Digest, ImageRecord>,
    /// `repository:tag` (familiar form, `nginx:latest`) to image ID.
    tags: BTreeMap<String, Digest>,
    layers: BTreeMap<Digest, LayerRecord>,
    /// Container ID (64 hex) to the image it was created from.
    containers: BTreeMap<String, Digest>,
}

impl Store {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn has_layer(&self, chain_id: &Digest) -> bool {
        self.layers.contains_key(chain_id)
    }

    pub fn layer(&self, chain_id: &Digest) -> Option<&LayerRecord> {
        self.layers.get(chain_id)
    }

    pub fn layers(&self) -> impl Iterator<Item = &LayerRecord> {
        self.layers.values()
    }

    /// Adds a layer unless one with that chain ID is there already; says whether it was new.
    pub fn add_layer(&mut self, layer: LayerRecord) -> bool {
        if self.layers.contains_key(&layer.chain_id) {
            return false;
        }
        self.layers.insert(layer.chain_id, layer);
        true
    }

    /// Adds or replaces an image. Every layer it names must be in the store already, each one's
    /// parent being the layer below it, so an image can never point at missing data.
    pub fn add_image(&mut self, image: ImageRecord) -> Result<(), StoreError> {
        let mut below: Option<Digest> = None;
        for chain_id in &image.layers {
            let layer = self
                .layers
                .get(chain_id)
                .ok_or(StoreError::MissingLayer { chain_id: *chain_id })?;
            if layer.parent != below {
                return Err(StoreError::ParentMismatch {
                    chain_id: *chain_id,
                    claimed: layer.parent,
                    actual: below,
                });
            }
            below = Some(*chain_id);
        }
        self.images.insert(image.id, image);
        Ok(())
    }

    pub fn image(&self, id: &Digest) -> Option<&ImageRecord> {
        self.images.get(id)
    }

    pub fn images(&self) -> impl Iterator<Item = &ImageRecord> {
        self.images.values()
    }

    /// The layers of an image, bottom first.
    pub fn image_layers(&self, id: &Digest) -> Vec<&LayerRecord> {
        self.images
            .get(id)
            .map(|img| img.layers.iter().filter_map(|c| self.layers.get(c)).collect())
            .unwrap_or_default()
    }

    /// Points `name` (`repository:tag`) at an image; returns the image it pointed at before.
    pub fn tag(&mut self, name: &str, id: Digest) -> Option<Digest> {
        self.tags.insert(name.to_owned(), id)
    }

    pub fn resolve_tag(&self, name: &str) -> Option<Digest> {
        self.tags.get(name).copied()
    }

    /// All `repository:tag` names, sorted.
    pub fn tags(&self) -> impl Iterator<Item = (&str, &Digest)> {
        self.tags.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The tags that point at an image, sorted.
    pub fn tags_of(&self, id: &Digest) -> Vec<String> {
        self.tags
            .iter()
            .filter(|(_, v)| *v == id)
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Finds an image by full or abbreviated ID (with or without `sha256:`), as Docker accepts them.
    pub fn find_by_id_prefix(&self, text: &str) -> Option<Digest> {
        let hex = text.strip_prefix("sha256:").unwrap_or(text);
        if hex.is_empty() || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let hex = hex.to_ascii_lowercase();
        let mut found = self.images.keys().filter(|d| d.hex().starts_with(&hex));
        let first = found.next()?;
        // An ambiguous prefix names nothing, as in Docker.
        if found.next().is_some() {
            None
        } else {
            Some(*first)
        }
    }

    pub fn register_container(&mut self, container_id: &str, image: Digest) {
        self.containers.insert(container_id.to_owned(), image);
    }

    pub fn unregister_container(&mut self, container_id: &str) {
        self.containers.remove(container_id);
    }

    /// Containers created from an image, sorted by ID.
    pub fn containers_of(&self, image: &Digest) -> Vec<String> {
        self.containers
            .iter()
            .filter(|(_, i)| *i == image)
            .map(|(c, _)| c.clone())
            .collect()
    }

    /// Which images have a layer in their stack and which containers sit on one of those images.
    pub fn users_of(&self, chain_id: &Digest) -> LayerUsers {
        let images: Vec<Digest> = self
            .images
            .values()
            .filter(|i| i.layers.contains(chain_id))
            .map(|i| i.id)
            .collect();
        // Owned digests: a set of references would be one more BTreeSet instance in the page's bundle.
        // `extend`, not `collect`: see crate::sort on BTree collects.
        let mut set = BTreeSet::<Digest>::new();
        set.extend(images.iter().copied());
        let containers = self
            .containers
            .iter()
            .filter(|(_, i)| set.contains(i))
            .map(|(c, _)| c.clone())
            .collect();
        LayerUsers { images, containers }
    }

    /// Removes one tag (`reference` is `repository:tag`), and the image with it when no other tag
    /// points at it. Refuses while a container uses the image and this is its last name, with
    /// Docker's message.
    pub fn remove_tag(&mut self, reference: &str) -> Result<Removal, StoreError> {
        let id = self
            .resolve_tag(reference)
            .ok_or_else(|| StoreError::NoSuchImage {
                reference: reference.to_owned(),
            })?;
        let other_tags = self
            .tags
            .iter()
            .filter(|(k, v)| **v == id && k.as_str() != reference)
            .count();
        if other_tags > 0 {
            self.tags.remove(reference);
            return Ok(Removal {
                untagged: vec![reference.to_owned()],
                ..Removal::default()
            });
        }
        if let Some(container) = self.containers_of(&id).first() {
            return Err(StoreError::ImageInUse {
                reference: reference.to_owned(),
                container: short_hex(container),
                image: id.short(),
            });
        }
        self.tags.remove(reference);
        let mut removal = self.delete_image(id);
        removal.untagged.insert(0, reference.to_owned());
        Ok(removal)
    }

    /// Removes an image named by ID: all its tags go with it. Docker refuses when the image has tags
    /// in more than one repository, or when a container uses it.
    pub fn remove_image_by_id(
        &mut self,
        id: Digest,
        is_running: &dyn Fn(&str) -> bool,
    ) -> Result<Removal, StoreError> {
        let tags = self.tags_of(&id);
        let mut repos = tags
            .iter()
            .map(|t| t.rsplit_once(':').map_or(t.as_str(), |(r, _)| r));
        let first = repos.next();
        if repos.any(|r| Some(r) != first) {
            return Err(StoreError::ReferencedInMultipleRepositories { image: id.short() });
        }
        let users = self.containers_of(&id);
        if let Some(container) = users.iter().find(|c| is_running(c)) {
            return Err(StoreError::UsedByRunningContainer {
                image: id.short(),
                container: short_hex(container),
            });
        }
        if let Some(container) = users.first() {
            return Err(StoreError::UsedByStoppedContainer {
                image: id.short(),
                container: short_hex(container),
            });
        }
        for t in &tags {
            self.tags.remove(t);
        }
        let mut removal = self.delete_image(id);
        removal.untagged.splice(0..0, tags);
        Ok(removal)
    }

    /// Drops the image record and every layer of it that no remaining image uses.
    fn delete_image(&mut self, id: Digest) -> Removal {
        let Some(image) = self.images.remove(&id) else {
            return Removal::default();
        };
        // `extend`, not `collect`: see crate::sort on BTree collects.
        let mut still_used = BTreeSet::<Digest>::new();
        still_used.extend(self.images.values().flat_map(|i| i.layers.iter().copied()));
        let mut freed = Vec::new();
        for chain_id in image.layers.iter().rev() {
            if !still_used.contains(chain_id) {
                if let Some(layer) = self.layers.remove(chain_id) {
                    freed.push(layer);
                }
            }
        }
        Removal {
            untagged: Vec::new(),
            untagged_digests: image.repo_digests.clone(),
            deleted_image: Some(id),
            freed_layers: freed,
        }
    }
}

fn short_hex(hex: &str) -> String {
    hex.get(..12).unwrap_or(hex).to_owned()
}
