//! The images the simulator knows without a network.
//!
//! Public API: [`find`]`(repository, tag) -> Option<CatalogImage>` (repository as in `library/nginx`),
//! [`list`]`() -> Vec<(String, String)>`, and on [`CatalogImage`]: `config_bytes()`, `manifest_bytes()`,
//! `image_id()`, `manifest_digest()`, `size()`. Each layer is a [`CatalogLayer`]: a changeset plus its
//! declared diffID, compressed digest and compressed size.
//!
//! (Being written: the image families land next.)

use crate::digest::Digest;
use crate::layer::Changeset;
use crate::oci::ImageConfiguration;

/// One layer of a catalog image.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogLayer {
    pub changeset: Changeset,
    /// The digest of the uncompressed tar, as declared (see the module notes on why it is not hashed).
    pub diff_id: Digest,
    /// The digest of the compressed blob, as the manifest lists it.
    pub digest: Digest,
    pub compressed_size: u64,
}

/// An image the simulator can "pull" with no network.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogImage {
    /// `library/nginx`
    pub repository: String,
    pub tag: String,
    pub layers: Vec<CatalogLayer>,
    pub config: ImageConfiguration,
}

/// The image `repository:tag`, if the catalog has it.
pub fn find(_repository: &str, _tag: &str) -> Option<CatalogImage> {
    None
}

/// Every `(repository, tag)` the catalog knows.
pub fn list() -> Vec<(String, String)> {
    Vec::new()
}
