//! Manifests as they come off the wire: one parse of exactly the verified bytes into a
//! [`Document`] (an image manifest or an index), with ambiguous and deprecated documents refused,
//! and platform selection in indexes.
//!
//! Public API: [`Document::parse`], [`Manifest`], [`Index`], [`Descriptor`], [`Platform`]
//! ([`Platform::host`], [`Platform::parse`], `Display` as `linux/arm64/v8`), [`Index::select`],
//! [`ImageConfigRootFs::parse`], media type constants, [`MANIFEST_ACCEPT`], [`MAX_MANIFEST_BYTES`].
//!
//! These are small serde structs rather than `oci-spec`'s types on purpose: serde's derive refuses
//! duplicate keys (CVE-2014-8179 injected a second value for a key that another parser read), the
//! same structs read Docker schema2 and OCI media types, and fields that decide what a document is
//! (`manifests` versus `config`/`layers`) are all visible at once to reject ambiguous documents
//! (CVE-2021-41190).

use std::fmt;

use layerlab_core::digest::Digest;
use serde::Deserialize;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
pub const DOCKER_SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// The Accept header for manifest requests. Schema 1 is listed so that a registry holding only a
/// schema 1 image says so, and the user gets the upgrade message instead of "not found".
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json;q=0.9, application/vnd.docker.distribution.manifest.v1+prettyjws;q=0.1, application/vnd.docker.distribution.manifest.v1+json;q=0.1";

/// Manifests and indexes above this size are refused; the distribution spec asks registries to
/// accept at least 4 MiB, so that is what a client must read.
pub const MAX_MANIFEST_BYTES: u64 = 4 << 20;

/// Why a manifest document was refused.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("invalid manifest for {name}: {source}")]
    Json { name: String, source: serde_json::Error },
    #[error(
        "[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. Suggest the author of {name} to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2."
    )]
    Schema1 { name: String },
    #[error("refusing ambiguous manifest for {name}: {why}")]
    Ambiguous { name: String, why: &'static str },
    #[error("unsupported manifest media type {media_type:?} for {name}")]
    UnsupportedMediaType { name: String, media_type: String },
    #[error("invalid manifest for {name}: schemaVersion {version}, expected 2")]
    SchemaVersion { name: String, version: u64 },
    #[error("no matching manifest for {platform} in the manifest list entries")]
    NoMatchingPlatform { platform: Platform },
    #[error("invalid platform {text:?}: expected os/arch[/variant]")]
    BadPlatform { text: String },
    #[error("image config {digest}: {source}")]
    Config {
        digest: Digest,
        source: serde_json::Error,
    },
    #[error("image config {digest} lists {diff_ids} diff IDs but the manifest has {layers} layers")]
    LayerCount {
        digest: Digest,
        diff_ids: usize,
        layers: usize,
    },
}

/// A content descriptor (the digest is validated while parsing).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default)]
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    #[serde(default)]
    pub platform: Option<Platform>,
    /// Foreign-layer URLs are read but never fetched: only the registry is asked for blobs, so
    /// credentials never go anywhere else (CVE-2020-15157).
    #[serde(default)]
    pub urls: Option<Vec<String>>,
}

/// An OS/architecture/variant triple.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
}

impl Platform {
    /// The machine this process runs on, in Go's naming (`amd64`, `arm64/v8`).
    pub fn host() -> Self {
        let (architecture, variant) = match std::env::consts::ARCH {
            "x86_64" => ("amd64", None),
            "aarch64" => ("arm64", Some("v8")),
            "x86" => ("386", None),
            "arm" => ("arm", Some("v7")),
            "powerpc64" => ("ppc64le", None),
            "s390x" => ("s390x", None),
            "riscv64" => ("riscv64", None),
            other => (other, None),
        };
        Platform {
            os: "linux".into(),
            architecture: architecture.into(),
            variant: variant.map(Into::into),
        }
    }

    /// Parses `--platform` text: `linux/arm64`, `linux/arm64/v8`, `linux/arm/v7`.
    pub fn parse(text: &str) -> Result<Self, ManifestError> {
        let parts: Vec<&str> = text.split('/').collect();
        let bad = || ManifestError::BadPlatform {
            text: text.to_owned(),
        };
        let ok = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        };
        match parts.as_slice() {
            [os, arch] if ok(os) && ok(arch) => Ok(Self::normalised(os, arch, None)),
            [os, arch, v] if ok(os) && ok(arch) && ok(v) => Ok(Self::normalised(os, arch, Some(v))),
            _ => Err(bad()),
        }
    }

    fn normalised(os: &str, arch: &str, variant: Option<&str>) -> Self {
        let (arch, variant) = match (arch, variant) {
            ("aarch64", v) | ("arm64", v) => ("arm64", Some(v.unwrap_or("v8"))),
            ("x86_64", v) => ("amd64", v),
            (a, v) => (a, v),
        };
        Platform {
            os: os.to_ascii_lowercase(),
            architecture: arch.to_owned(),
            variant: variant.map(str::to_owned),
        }
    }

    fn matches(&self, entry: &Platform) -> bool {
        if self.os != entry.os || self.architecture != entry.architecture {
            return false;
        }
        // arm64 entries often carry no variant: it means v8.
        let entry_variant = match (&entry.variant, entry.architecture.as_str()) {
            (None, "arm64") => Some("v8"),
            (v, _) => v.as_deref(),
        };
        match (&self.variant, entry_variant) {
            (None, _) => true,
            (Some(w), Some(e)) => w == e,
            (Some(_), None) => false,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// Every field that decides what a document is, so none can be missed.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    #[serde(default)]
    schema_version: Option<u64>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    /// Schema 1 fields: present only to recognise (and refuse) the format.
    #[serde(default)]
    fs_layers: Option<serde_json::Value>,
    #[serde(default)]
    signatures: Option<serde_json::Value>,
}

/// An image manifest (Docker schema2 or OCI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub media_type: String,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
}

/// A manifest list or OCI index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub media_type: String,
    pub manifests: Vec<Descriptor>,
}

/// A parsed manifest document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Document {
    Manifest(Manifest),
    Index(Index),
}

impl Document {
    /// Parses the verified bytes of a manifest document. `content_type` is the response's
    /// Content-Type (or `None`); `name` is used in messages.
    pub fn parse(bytes: &[u8], content_type: Option<&str>, name: &str) -> Result<Self, ManifestError> {
        let ct = content_type
            .map(|c| c.split(';').next().unwrap_or("").trim().to_owned())
            .filter(|c| !c.is_empty());
        if matches!(ct.as_deref(), Some(DOCKER_SCHEMA1) | Some(DOCKER_SCHEMA1_SIGNED)) {
            return Err(ManifestError::Schema1 {
                name: name.to_owned(),
            });
        }
        let raw: Raw = serde_json::from_slice(bytes).map_err(|source| ManifestError::Json {
            name: name.to_owned(),
            source,
        })?;
        let amb = |why| ManifestError::Ambiguous {
            name: name.to_owned(),
            why,
        };
        if raw.schema_version == Some(1)
            || raw.fs_layers.is_some()
            || raw.signatures.is_some()
            || matches!(
                raw.media_type.as_deref(),
                Some(DOCKER_SCHEMA1) | Some(DOCKER_SCHEMA1_SIGNED)
            )
        {
            return Err(ManifestError::Schema1 {
                name: name.to_owned(),
            });
        }
        if let Some(v) = raw.schema_version.filter(|v| *v != 2) {
            return Err(ManifestError::SchemaVersion {
                name: name.to_owned(),
                version: v,
            });
        }
        let is_index = raw.manifests.is_some();
        let is_manifest = raw.config.is_some() || raw.layers.is_some();
        if is_index && is_manifest {
            return Err(amb("it has both `manifests` and `config`/`layers`"));
        }
        // The body's mediaType, when present, must agree with the Content-Type the registry sent.
        let generic =
            |c: &str| c == "application/json" || c == "application/octet-stream" || c == "text/plain";
        if let (Some(body), Some(header)) = (raw.media_type.as_deref(), ct.as_deref()) {
            if body != header && !generic(header) {
                return Err(amb("its mediaType disagrees with the Content-Type"));
            }
        }
        let media_type = raw
            .media_type
            .clone()
            .or_else(|| ct.clone().filter(|c| !generic(c)));
        if is_index {
            let mt = media_type.unwrap_or_else(|| OCI_INDEX.to_owned());
            if mt != OCI_INDEX && mt != DOCKER_LIST {
                return Err(amb("it has `manifests` but is not an index media type"));
            }
            return Ok(Document::Index(Index {
                media_type: mt,
                manifests: raw.manifests.unwrap_or_default(),
            }));
        }
        let mt = media_type.unwrap_or_else(|| OCI_MANIFEST.to_owned());
        if mt == OCI_INDEX || mt == DOCKER_LIST {
            return Err(amb("it has an index media type but no `manifests`"));
        }
        if mt != OCI_MANIFEST && mt != DOCKER_MANIFEST {
            return Err(ManifestError::UnsupportedMediaType {
                name: name.to_owned(),
                media_type: mt,
            });
        }
        let Some(config) = raw.config else {
            return Err(amb("it is an image manifest without `config`"));
        };
        Ok(Document::Manifest(Manifest {
            media_type: mt,
            config,
            layers: raw.layers.unwrap_or_default(),
        }))
    }
}

impl Index {
    /// The entry for `platform`; attestation entries (`unknown/unknown`) are never chosen.
    pub fn select(&self, platform: &Platform) -> Result<&Descriptor, ManifestError> {
        self.manifests
            .iter()
            .filter(|d| d.media_type != OCI_INDEX && d.media_type != DOCKER_LIST)
            .find(|d| {
                d.platform
                    .as_ref()
                    .is_some_and(|p| p.os != "unknown" && platform.matches(p))
            })
            .ok_or_else(|| ManifestError::NoMatchingPlatform {
                platform: platform.clone(),
            })
    }
}

/// The part of an image config the pull needs: the diff IDs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageConfigRootFs {
    pub diff_ids: Vec<Digest>,
}

impl ImageConfigRootFs {
    /// Reads `rootfs.diff_ids` from a verified config blob and checks it matches the layers.
    pub fn parse(bytes: &[u8], digest: &Digest, layers: usize) -> Result<Self, ManifestError> {
        #[derive(Deserialize)]
        struct RootFs {
            diff_ids: Vec<Digest>,
        }
        #[derive(Deserialize)]
        struct Config {
            rootfs: RootFs,
        }
        let c: Config = serde_json::from_slice(bytes).map_err(|source| ManifestError::Config {
            digest: *digest,
            source,
        })?;
        if c.rootfs.diff_ids.len() != layers {
            return Err(ManifestError::LayerCount {
                digest: *digest,
                diff_ids: c.rootfs.diff_ids.len(),
                layers,
            });
        }
        Ok(Self {
            diff_ids: c.rootfs.diff_ids,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desc(extra: &str) -> String {
        format!(
            r#"{{"mediaType":"x","digest":"{}","size":3{extra}}}"#,
            Digest::of(b"abc")
        )
    }

    #[test]
    fn manifest_and_index_parse() {
        let m = format!(
            r#"{{"schemaVersion":2,"mediaType":"{DOCKER_MANIFEST}","config":{},"layers":[{}]}}"#,
            desc(""),
            desc("")
        );
        let Ok(Document::Manifest(m)) = Document::parse(m.as_bytes(), Some(DOCKER_MANIFEST), "x") else {
            panic!("manifest")
        };
        assert_eq!(m.layers.len(), 1);
        let i = format!(
            r#"{{"schemaVersion":2,"manifests":[{},{}]}}"#,
            desc(r#","platform":{"os":"unknown","architecture":"unknown"}"#),
            desc(r#","platform":{"os":"linux","architecture":"arm64"}"#)
        );
        let Ok(Document::Index(i)) = Document::parse(i.as_bytes(), Some(OCI_INDEX), "x") else {
            panic!("index")
        };
        assert!(i.select(&Platform::parse("linux/arm64/v8").expect("p")).is_ok());
        let err = i
            .select(&Platform::parse("linux/amd64").expect("p"))
            .expect_err("no amd64");
        assert_eq!(
            err.to_string(),
            "no matching manifest for linux/amd64 in the manifest list entries"
        );
        let attestation = Platform {
            os: "unknown".into(),
            architecture: "unknown".into(),
            variant: None,
        };
        assert!(
            i.select(&attestation).is_err(),
            "attestation entries are never chosen"
        );
    }

    #[test]
    fn dangerous_documents_are_refused() {
        let both = format!(r#"{{"schemaVersion":2,"config":{},"manifests":[]}}"#, desc(""));
        assert!(matches!(
            Document::parse(both.as_bytes(), None, "x"),
            Err(ManifestError::Ambiguous { .. })
        ));
        let disagree = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{}}}"#,
            desc("")
        );
        assert!(matches!(
            Document::parse(disagree.as_bytes(), Some(OCI_INDEX), "x"),
            Err(ManifestError::Ambiguous { .. })
        ));
        let dup = format!(
            r#"{{"schemaVersion":2,"config":{},"config":{}}}"#,
            desc(""),
            desc("")
        );
        assert!(matches!(
            Document::parse(dup.as_bytes(), None, "x"),
            Err(ManifestError::Json { .. })
        ));
        let v1 = r#"{"schemaVersion":1,"name":"x","fsLayers":[]}"#;
        assert!(matches!(
            Document::parse(v1.as_bytes(), None, "x"),
            Err(ManifestError::Schema1 { .. })
        ));
        let bad_digest = r#"{"schemaVersion":2,"config":{"digest":"sha256:../../x","size":1}}"#;
        assert!(matches!(
            Document::parse(bad_digest.as_bytes(), None, "x"),
            Err(ManifestError::Json { .. })
        ));
    }
}
