//! Image manifests, indexes, configs and descriptors (Docker schema2 and OCI).
//!
//! These are `oci-spec`'s types: a well-kept crate that follows the spec and builds for wasm32.
//! Docker's schema2 media types are the same JSON shapes with other `mediaType` strings.

pub use oci_spec::image::{
    Config, Descriptor, History, ImageConfiguration, ImageIndex, ImageManifest, MediaType, Platform, RootFs,
};

/// Docker's schema2 manifest media type.
pub const DOCKER_MANIFEST_V2: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker's manifest list media type.
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker's image config media type.
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// Docker's gzip layer media type.
pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
