//! The images the simulator knows without a network.
//!
//! Public API:
//! - [`find`]`(repository, tag) -> Option<CatalogImage>` (repository as in `library/nginx`);
//! - [`list`]`() -> Vec<(String, String)>`: every `(repository, tag)` known;
//! - [`CatalogImage`]: `repository`, `tag`, `layers`, `config` (oci-spec `ImageConfiguration`), and
//!   `config_bytes()`, `manifest_bytes()`, `image_id()`, `manifest_digest()`, `size()`,
//!   `diff_ids()`, `chain_ids()`;
//! - [`CatalogLayer`]: `changeset`, `diff_id`, `digest` (compressed), `compressed_size`, `size()`;
//! - [`try_find`] reports why an image could not be assembled ([`CatalogError`]).
//!
//! The images follow the real ones of their era: the same layer structure, the history rows
//! Docker wrote (`/bin/sh -c #(nop) ADD file:... in / ` for classic builds, `RUN ... # buildkit`
//! for BuildKit ones), their timestamps, their config, and layer sizes close to the real ones.
//! Base layers are shared where the real images share them: `nginx:1.15.8` sits on
//! `debian:stretch-slim`, `nginx:1.27` on `debian:bookworm-slim`, `python:3.13` on
//! `debian:bookworm` (through `buildpack-deps:bookworm`, also listed), so their base layers have
//! the same chain IDs. (`nginx:latest` and `python` share nothing: like the real ones, one starts
//! from the slim variant of bookworm and the other from the full one.)
//!
//! Identity: a layer's diffID and compressed digest are declared, derived with [`Digest::of`] from a
//! stable name (`debian:bookworm-slim rootfs`). Hashing the tar of a multi-megabyte synthetic layer
//! instead would take seconds in the browser at page load, and the layer's identity would then
//! change whenever the synthetic byte generator does. The config and the manifest, by contrast, are
//! real JSON documents, so the image ID and the manifest digest are computed from their bytes.

mod alpine;
mod busybox;
mod debian;
mod nginx;
mod python;
mod tree;
mod ubuntu;

use std::collections::HashMap;

use oci_spec::image::{
    Arch, ConfigBuilder, DescriptorBuilder, HistoryBuilder, ImageConfigurationBuilder, ImageManifestBuilder,
    Os, RootFsBuilder,
};

use crate::digest::Digest;
use crate::layer::Changeset;
use crate::oci::{DOCKER_CONFIG, DOCKER_LAYER_GZIP, DOCKER_MANIFEST_V2, ImageConfiguration, MediaType};

/// Why a catalog image could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("image {repository}:{tag} is not in the catalog: the simulator knows {known}")]
    NotFound {
        repository: String,
        tag: String,
        known: String,
    },
    #[error("catalog image {image}: could not build its {part}: {source}")]
    Spec {
        image: String,
        part: &'static str,
        source: oci_spec::OciSpecError,
    },
    #[error("catalog image {image}: could not encode its {part}: {source}")]
    Json {
        image: String,
        part: &'static str,
        source: serde_json::Error,
    },
}

/// One layer of a catalog image.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogLayer {
    pub changeset: Changeset,
    /// The digest of the uncompressed tar, as declared (see the module notes).
    pub diff_id: Digest,
    /// The digest of the compressed blob, as the manifest lists it.
    pub digest: Digest,
    pub compressed_size: u64,
}

impl CatalogLayer {
    /// The layer's size as `docker history` shows it.
    pub fn size(&self) -> u64 {
        self.changeset.size()
    }
}

/// An image the simulator can "pull" with no network.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogImage {
    /// `library/nginx`
    pub repository: String,
    pub tag: String,
    pub layers: Vec<CatalogLayer>,
    pub config: ImageConfiguration,
    config_bytes: Vec<u8>,
    manifest_bytes: Vec<u8>,
}

impl CatalogImage {
    /// The config JSON exactly as a registry would serve it.
    pub fn config_bytes(&self) -> &[u8] {
        &self.config_bytes
    }

    /// The Docker schema2 manifest JSON.
    pub fn manifest_bytes(&self) -> &[u8] {
        &self.manifest_bytes
    }

    /// The image ID: the digest of the config bytes.
    pub fn image_id(&self) -> Digest {
        Digest::of(&self.config_bytes)
    }

    /// What `docker pull` prints as `Digest: sha256:...`.
    pub fn manifest_digest(&self) -> Digest {
        Digest::of(&self.manifest_bytes)
    }

    /// The image's size as `docker image ls` shows it: the sum of its layers' sizes.
    pub fn size(&self) -> u64 {
        self.layers.iter().map(CatalogLayer::size).sum()
    }

    pub fn diff_ids(&self) -> Vec<Digest> {
        self.layers.iter().map(|l| l.diff_id).collect()
    }

    pub fn chain_ids(&self) -> Vec<Digest> {
        Digest::chain_ids(&self.diff_ids())
    }
}

/// The image `repository:tag` (`library/nginx`, `1.15.8`), if the catalog has it.
pub fn find(repository: &str, tag: &str) -> Option<CatalogImage> {
    try_find(repository, tag).ok()
}

/// Like [`find`], saying why when there is no image.
pub fn try_find(repository: &str, tag: &str) -> Result<CatalogImage, CatalogError> {
    let Some(entry) = IMAGES
        .iter()
        .find(|e| e.repository == repository && e.tags.contains(&tag))
    else {
        let known = list()
            .iter()
            .map(|(r, t)| format!("{}:{t}", r.trim_start_matches("library/")))
            .collect::<Vec<_>>();
        return Err(CatalogError::NotFound {
            repository: repository.to_owned(),
            tag: tag.to_owned(),
            known: known.join(", "),
        });
    };
    assemble(repository, tag, (entry.build)())
}

/// Every `(repository, tag)` the catalog knows, in a stable order.
pub fn list() -> Vec<(String, String)> {
    IMAGES
        .iter()
        .flat_map(|e| e.tags.iter().map(|t| (e.repository.to_owned(), (*t).to_owned())))
        .collect()
}

struct CatalogEntry {
    repository: &'static str,
    tags: &'static [&'static str],
    build: fn() -> Spec,
}

const IMAGES: &[CatalogEntry] = &[
    CatalogEntry {
        repository: "library/ubuntu",
        tags: &["15.04", "vivid"],
        build: ubuntu::vivid,
    },
    CatalogEntry {
        repository: "library/nginx",
        tags: &["1.15.8"],
        build: nginx::v1_15_8,
    },
    CatalogEntry {
        repository: "library/nginx",
        tags: &["latest", "1.27", "1.27.2", "mainline"],
        build: nginx::v1_27,
    },
    CatalogEntry {
        repository: "library/debian",
        tags: &["latest", "bookworm", "12"],
        build: debian::bookworm,
    },
    CatalogEntry {
        repository: "library/debian",
        tags: &["bookworm-slim", "12-slim"],
        build: debian::bookworm_slim,
    },
    CatalogEntry {
        repository: "library/debian",
        tags: &["stretch-slim", "9-slim"],
        build: debian::stretch_slim,
    },
    CatalogEntry {
        repository: "library/busybox",
        tags: &["latest", "1.37", "1.37.0"],
        build: busybox::latest,
    },
    CatalogEntry {
        repository: "library/alpine",
        tags: &["latest", "3", "3.20", "3.20.3"],
        build: alpine::latest,
    },
    CatalogEntry {
        repository: "library/buildpack-deps",
        tags: &["bookworm-curl"],
        build: python::buildpack_deps_curl,
    },
    CatalogEntry {
        repository: "library/buildpack-deps",
        tags: &["bookworm-scm"],
        build: python::buildpack_deps_scm,
    },
    CatalogEntry {
        repository: "library/buildpack-deps",
        tags: &["bookworm", "latest"],
        build: python::buildpack_deps,
    },
    CatalogEntry {
        repository: "library/python",
        tags: &["latest", "3", "3.13", "3.13.0", "3.13-bookworm"],
        build: python::v3_13,
    },
];

/// One row of an image's history, with its layer when it made one.
#[derive(Debug)]
struct Row {
    created: &'static str,
    created_by: String,
    comment: Option<&'static str>,
    layer: Option<Layer>,
}

impl Row {
    /// A row that made `layer`.
    fn layer(created: &'static str, created_by: impl Into<String>, layer: Layer) -> Self {
        Self {
            created,
            created_by: created_by.into(),
            comment: None,
            layer: Some(layer),
        }
    }

    /// An `empty_layer` row (CMD, ENV, LABEL, ...).
    fn empty(created: &'static str, created_by: impl Into<String>) -> Self {
        Self {
            created,
            created_by: created_by.into(),
            comment: None,
            layer: None,
        }
    }

    /// Marks a row BuildKit wrote.
    fn buildkit(mut self) -> Self {
        self.comment = Some("buildkit.dockerfile.v0");
        self
    }
}

/// A built layer: its tree and the names its identity is derived from.
#[derive(Debug)]
struct Layer {
    name: &'static str,
    compressed_size: u64,
    changeset: Changeset,
}

/// Builds a layer named `name` (its identity) created at `created`, whose files add up to `size`
/// bytes, compressed to `compressed_size` bytes in the registry.
fn layer(
    name: &'static str,
    created: &str,
    size: u64,
    compressed_size: u64,
    build: impl FnOnce(&mut tree::Tree),
) -> Layer {
    let mut t = tree::Tree::new(name, tree::epoch(created));
    build(&mut t);
    Layer {
        name,
        compressed_size,
        changeset: t.finish(size),
    }
}

/// The runtime part of an image config.
#[derive(Debug, Default)]
struct RunConfig {
    env: Vec<&'static str>,
    cmd: Option<Vec<&'static str>>,
    entrypoint: Option<Vec<&'static str>>,
    exposed_ports: Vec<&'static str>,
    working_dir: Option<&'static str>,
    stop_signal: Option<&'static str>,
    labels: Vec<(&'static str, &'static str)>,
}

/// What a family module describes: history rows (with layers) and the final config.
#[derive(Debug)]
struct Spec {
    rows: Vec<Row>,
    config: RunConfig,
}

fn assemble(repository: &str, tag: &str, spec: Spec) -> Result<CatalogImage, CatalogError> {
    let image = format!("{repository}:{tag}");
    let spec_err = |part: &'static str| {
        let image = image.clone();
        move |source| CatalogError::Spec { image, part, source }
    };
    let json_err = |part: &'static str| {
        let image = image.clone();
        move |source| CatalogError::Json { image, part, source }
    };

    let mut history = Vec::with_capacity(spec.rows.len());
    let mut layers = Vec::new();
    let mut created = "";
    for row in spec.rows {
        let mut h = HistoryBuilder::default()
            .created(row.created)
            .created_by(row.created_by);
        if let Some(c) = row.comment {
            h = h.comment(c);
        }
        match row.layer {
            Some(l) => layers.push(CatalogLayer {
                changeset: l.changeset,
                diff_id: Digest::of(
                    format!("layerlab catalog layer {}: uncompressed tar", l.name).as_bytes(),
                ),
                digest: Digest::of(format!("layerlab catalog layer {}: gzip blob", l.name).as_bytes()),
                compressed_size: l.compressed_size,
            }),
            None => h = h.empty_layer(true),
        }
        history.push(h.build().map_err(spec_err("history"))?);
        created = row.created;
    }

    let c = spec.config;
    let mut config = ConfigBuilder::default().env(c.env.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
    if let Some(cmd) = c.cmd {
        config = config.cmd(cmd.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
    }
    if let Some(ep) = c.entrypoint {
        config = config.entrypoint(ep.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
    }
    if !c.exposed_ports.is_empty() {
        config = config.exposed_ports(
            c.exposed_ports
                .iter()
                .map(|s| (*s).to_owned())
                .collect::<Vec<_>>(),
        );
    }
    if let Some(w) = c.working_dir {
        config = config.working_dir(w);
    }
    if let Some(s) = c.stop_signal {
        config = config.stop_signal(s);
    }
    if !c.labels.is_empty() {
        config = config.labels(
            c.labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<HashMap<_, _>>(),
        );
    }
    let rootfs = RootFsBuilder::default()
        .typ("layers")
        .diff_ids(layers.iter().map(|l| l.diff_id.to_string()).collect::<Vec<_>>())
        .build()
        .map_err(spec_err("rootfs"))?;
    let config = ImageConfigurationBuilder::default()
        .created(created)
        .architecture(Arch::Amd64)
        .os(Os::Linux)
        .config(config.build().map_err(spec_err("config"))?)
        .rootfs(rootfs)
        .history(history)
        .build()
        .map_err(spec_err("image config"))?;
    let config_bytes = canonical_json(&config).map_err(json_err("config"))?;

    let descriptor = |media_type: &str, size: u64, digest: &Digest| {
        let digest: oci_spec::image::Digest = digest.to_string().parse().map_err(spec_err("manifest"))?;
        DescriptorBuilder::default()
            .media_type(MediaType::Other(media_type.to_owned()))
            .size(size)
            .digest(digest)
            .build()
            .map_err(spec_err("manifest"))
    };
    let manifest = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::Other(DOCKER_MANIFEST_V2.to_owned()))
        .config(descriptor(
            DOCKER_CONFIG,
            config_bytes.len() as u64,
            &Digest::of(&config_bytes),
        )?)
        .layers(
            layers
                .iter()
                .map(|l| descriptor(DOCKER_LAYER_GZIP, l.compressed_size, &l.digest))
                .collect::<Result<Vec<_>, _>>()?,
        )
        .build()
        .map_err(spec_err("manifest"))?;
    let manifest_bytes = canonical_json(&manifest).map_err(json_err("manifest"))?;

    Ok(CatalogImage {
        repository: repository.to_owned(),
        tag: tag.to_owned(),
        layers,
        config,
        config_bytes,
        manifest_bytes,
    })
}

/// JSON with every object's keys sorted. oci-spec keeps labels, exposed ports and volumes in hash
/// maps, whose order changes from run to run; the image ID is a hash of these bytes, so they must
/// not. Sorting after the fact works whether or not serde_json preserves insertion order.
fn canonical_json(value: &impl serde::Serialize) -> Result<Vec<u8>, serde_json::Error> {
    fn sort(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(map) => {
                let mut pairs: Vec<_> = map.into_iter().collect();
                crate::sort::sort_by(&mut pairs, |a, b| a.0.cmp(&b.0));
                // `extend`, not `collect`: see crate::sort on BTree collects.
                let mut sorted = serde_json::Map::new();
                sorted.extend(pairs.into_iter().map(|(k, v)| (k, sort(v))));
                serde_json::Value::Object(sorted)
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.into_iter().map(sort).collect())
            }
            other => other,
        }
    }
    serde_json::to_vec(&sort(serde_json::to_value(value)?))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn image(repository: &str, tag: &str) -> CatalogImage {
        match try_find(repository, tag) {
            Ok(i) => i,
            Err(e) => panic!("{e}"),
        }
    }

    /// A layer a tar could hold: normalised, sorted, unique paths; every parent a directory of
    /// the same layer; hardlinks pointing at a regular file of the layer.
    fn check_layer_tree(image: &str, cs: &Changeset) {
        use crate::layer::EntryKind;
        let normalised = Changeset::try_new(cs.entries.clone());
        assert_eq!(
            normalised.as_ref().ok(),
            Some(cs),
            "{image}: paths are normalised"
        );
        let paths: Vec<&str> = cs.iter().map(|e| e.path.as_str()).collect();
        assert!(
            paths.windows(2).all(|w| w[0] < w[1]),
            "{image}: entries sorted and unique"
        );
        for e in cs {
            if let Some((parent, _)) = e.path.rsplit_once('/') {
                let kind = cs.get(parent).map(|p| &p.kind);
                assert_eq!(
                    kind,
                    Some(&EntryKind::Dir),
                    "{image}: parent of {} is a directory",
                    e.path
                );
            }
            if let EntryKind::Hardlink { target } = &e.kind {
                let kind = cs.get(target).map(|t| &t.kind);
                assert!(
                    matches!(kind, Some(EntryKind::File(_))),
                    "{image}: {} links to a file",
                    e.path
                );
            }
        }
    }

    fn within(actual: u64, expected: u64, percent: u64) -> bool {
        actual.abs_diff(expected) * 100 <= expected * percent
    }

    #[test]
    fn every_listed_image_builds_and_its_history_matches_its_layers() {
        let all = list();
        assert!(all.len() >= 15);
        for (repository, tag) in all {
            let img = image(&repository, &tag);
            let history = img.config.history().clone().unwrap_or_default();
            let non_empty = history.iter().filter(|h| h.empty_layer() != Some(true)).count();
            assert_eq!(non_empty, img.layers.len(), "{repository}:{tag}");
            assert_eq!(
                img.config.rootfs().diff_ids().len(),
                img.layers.len(),
                "{repository}:{tag}"
            );
            for l in &img.layers {
                check_layer_tree(&format!("{repository}:{tag}"), &l.changeset);
                // gzip takes typical layers to 30-55% of their size; tiny ones grow.
                if l.size() > 1_000_000 {
                    let percent = l.compressed_size * 100 / l.size();
                    assert!((30..=55).contains(&percent), "{repository}:{tag}: {percent}%");
                }
            }
            // The ID is computed from the config bytes, and those parse back to the same config.
            let parsed: ImageConfiguration = serde_json::from_slice(img.config_bytes()).unwrap();
            assert_eq!(parsed.rootfs(), img.config.rootfs());
            assert_eq!(img.image_id(), Digest::of(img.config_bytes()));
            let manifest: crate::oci::ImageManifest = serde_json::from_slice(img.manifest_bytes()).unwrap();
            assert_eq!(manifest.layers().len(), img.layers.len());
            assert_eq!(manifest.config().digest().to_string(), img.image_id().to_string());
        }
    }

    #[test]
    fn sizes_are_close_to_the_real_images() {
        let mb = 1_000_000;
        for (repository, tag, expected) in [
            ("library/nginx", "1.15.8", 109 * mb),
            ("library/ubuntu", "15.04", 131 * mb),
            ("library/alpine", "latest", 7_800_000),
            ("library/busybox", "latest", 4_300_000),
            ("library/python", "latest", 1_020 * mb),
            ("library/debian", "bookworm", 117 * mb),
            ("library/debian", "bookworm-slim", 74_800_000),
            ("library/debian", "stretch-slim", 55_300_000),
            ("library/nginx", "latest", 192 * mb),
        ] {
            let size = image(repository, tag).size();
            assert!(
                within(size, expected, 10),
                "{repository}:{tag} is {size} bytes, expected about {expected}"
            );
        }
        let nginx = image("library/nginx", "1.15.8");
        assert!(
            within(nginx.layers[0].size(), 55_300_000, 10),
            "stretch-slim base layer"
        );
    }

    #[test]
    fn images_share_base_layers_like_the_real_ones() {
        let chain = |r: &str, t: &str| image(r, t).chain_ids();
        let stretch = chain("library/debian", "stretch-slim");
        assert_eq!(chain("library/nginx", "1.15.8")[0], stretch[0]);
        let slim = chain("library/debian", "bookworm-slim");
        let nginx = chain("library/nginx", "latest");
        assert_eq!(nginx[0], slim[0]);
        assert_eq!(nginx, chain("library/nginx", "1.27"), "two tags of one image");
        let bookworm = chain("library/debian", "bookworm");
        let python = chain("library/python", "latest");
        assert_eq!(python[0], bookworm[0]);
        // python is built FROM buildpack-deps:bookworm, which is debian:bookworm plus three layers.
        assert_eq!(python[..4], chain("library/buildpack-deps", "bookworm")[..]);
        assert_eq!(python[..2], chain("library/buildpack-deps", "bookworm-curl")[..]);
        assert_ne!(bookworm[0], slim[0]);
        assert_eq!(
            image("library/debian", "latest").image_id(),
            image("library/debian", "bookworm").image_id()
        );
    }

    #[test]
    fn generation_is_deterministic() {
        for (repository, tag) in list() {
            let a = image(&repository, &tag);
            let b = image(&repository, &tag);
            assert_eq!(a, b);
            assert_eq!(a.config_bytes(), b.config_bytes());
        }
    }

    #[test]
    fn lesson_images_have_the_real_history_and_config() {
        let nginx = image("library/nginx", "1.15.8");
        let rows: Vec<String> = nginx
            .config
            .history()
            .clone()
            .unwrap_or_default()
            .iter()
            .filter_map(|h| h.created_by().clone())
            .collect();
        assert!(rows[0].starts_with("/bin/sh -c #(nop) ADD file:") && rows[0].ends_with(" in / "));
        assert_eq!(rows[1], "/bin/sh -c #(nop)  CMD [\"bash\"]");
        assert_eq!(rows[3], "/bin/sh -c #(nop)  ENV NGINX_VERSION=1.15.8-1~stretch");
        assert!(rows[5].starts_with("/bin/sh -c set -x \t&& apt-get update"));
        assert_eq!(rows[7], "/bin/sh -c #(nop)  EXPOSE 80");
        assert_eq!(rows[8], "/bin/sh -c #(nop)  STOPSIGNAL SIGTERM");
        assert_eq!(
            rows[9],
            "/bin/sh -c #(nop)  CMD [\"nginx\" \"-g\" \"daemon off;\"]"
        );
        let config = nginx.config.config().clone().unwrap();
        assert_eq!(config.cmd().clone().unwrap(), ["nginx", "-g", "daemon off;"]);
        assert_eq!(config.stop_signal().as_deref(), Some("SIGTERM"));
        assert_eq!(config.exposed_ports().clone().unwrap(), ["80/tcp"]);
        assert_eq!(nginx.layers.len(), 3);
        let top = &nginx.layers[2].changeset;
        assert_eq!(
            top.get("var/log/nginx/access.log").map(|e| &e.kind),
            Some(&crate::layer::EntryKind::Symlink {
                target: "/dev/stdout".into()
            })
        );
        assert_eq!(nginx.layers[2].size(), 22);

        let ubuntu = image("library/ubuntu", "15.04");
        let rows: Vec<String> = ubuntu
            .config
            .history()
            .clone()
            .unwrap_or_default()
            .iter()
            .filter_map(|h| h.created_by().clone())
            .collect();
        assert_eq!(rows.len(), 4);
        // The sizes `docker history ubuntu:15.04` showed: 131.3 MB, 701 B, 1.879 kB, 0 B.
        let sizes: Vec<u64> = ubuntu.layers.iter().map(CatalogLayer::size).collect();
        assert_eq!(sizes[1..], [701, 1_879]);
        assert!(within(sizes[0], 131_300_000, 1));
        assert!(
            rows[2]
                .starts_with("/bin/sh -c sed -i 's/^#\\s*\\(deb.*universe\\)$/\\1/g' /etc/apt/sources.list")
        );
        assert_eq!(rows[3], "/bin/sh -c #(nop) CMD [\"/bin/bash\"]");
        assert!(ubuntu.layers[0].changeset.get("bin/bash").is_some());
        assert!(ubuntu.layers[0].changeset.get("etc/passwd").is_some());
    }

    #[test]
    fn unknown_images_say_what_is_known() {
        let err = try_find("library/nginx", "0.1").unwrap_err().to_string();
        assert!(
            err.contains("nginx:1.15.8") && err.contains("ubuntu:15.04"),
            "{err}"
        );
        assert!(
            find("nginx", "1.15.8").is_none(),
            "repositories are given in full, as library/nginx"
        );
    }

    #[test]
    fn catalog_generation_time() {
        // A measurement printed with --nocapture, not a timing assertion. Each distinct image is
        // built once, as a page does at load; the count checks the trees are as full as intended.
        let start = std::time::Instant::now();
        let mut entries = 0;
        for e in IMAGES {
            let first_tag = e.tags.first().copied().unwrap_or("latest");
            let img = image(e.repository, first_tag);
            entries += img.layers.iter().map(|l| l.changeset.len()).sum::<usize>();
        }
        let elapsed = start.elapsed();
        println!(
            "catalog: {} images, {entries} entries, built in {elapsed:?}",
            IMAGES.len()
        );
        assert!(entries > 5_000, "only {entries} entries in the whole catalog");
    }
}
