//! Image references (`nginx`, `nginx:1.15.8`, `localhost:5000/demo/app:1.0`, `name@sha256:…`) with
//! Docker's normalisation.
//!
//! Public API:
//! - [`Reference::parse`]`(&str) -> Result<Reference, ReferenceError>` (also `FromStr`).
//! - Accessors: `registry()` (`docker.io`, `localhost:5000`), `repository()` (`library/nginx`),
//!   `tag() -> Option<&str>` (the tag as written), `tag_or_latest() -> &str`, `has_explicit_tag()`,
//!   `digest() -> Option<&Digest>`, `api_host()` (`registry-1.docker.io` for Docker Hub).
//! - Names: `familiar()` (`nginx:1.15.8`, `localhost:5000/demo/app:1.0`), `familiar_name()`
//!   (`nginx`), and `Display`, the full form (`docker.io/library/nginx:latest`).
//! - [`ReferenceError`]: Docker's wording (`invalid reference format`, `invalid reference format:
//!   repository name must be lowercase`).
//!
//! The grammar and the domain split are oci-spec's `distribution::Reference`, a port of
//! `distribution/reference`. This type adds what Docker's CLI needs on top: whether the tag was
//! written (so `pull nginx` can say `Using default tag: latest`), the lowercase error, the refusal of
//! bare 64-hex names, typed digests, and the familiar (short) form.

use std::fmt;
use std::str::FromStr;

use oci_spec::distribution::{ParseError, Reference as OciReference};

use crate::digest::{Digest, DigestError};

const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_API: &str = "registry-1.docker.io";
const OFFICIAL_PREFIX: &str = "library/";
const DEFAULT_TAG: &str = "latest";

/// Why a string is not an image reference. The messages are Docker's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("invalid reference format")]
    InvalidFormat { text: String },
    #[error("invalid reference format: repository name must be lowercase")]
    Uppercase { text: String },
    #[error("repository name must have at least one component")]
    Empty,
    #[error("repository name must not be more than 255 characters")]
    NameTooLong { text: String },
    #[error("invalid repository name ({text}), cannot specify 64-byte hexadecimal strings")]
    HexName { text: String },
    #[error("invalid reference format: {source}")]
    Digest {
        text: String,
        #[source]
        source: DigestError,
    },
}

/// A parsed, normalised image reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl Reference {
    /// Parses `text` the way `docker pull` and `docker run` do.
    pub fn parse(text: &str) -> Result<Reference, ReferenceError> {
        if text.is_empty() {
            return Err(ReferenceError::Empty);
        }
        if text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(ReferenceError::HexName {
                text: text.to_string(),
            });
        }
        let parsed = OciReference::try_from(text).map_err(|err| match err {
            ParseError::NameEmpty => ReferenceError::Empty,
            ParseError::NameTooLong => ReferenceError::NameTooLong {
                text: text.to_string(),
            },
            // Docker tells "lowercase" apart by trying again with the text lowercased.
            _ if OciReference::try_from(text.to_lowercase().as_str()).is_ok() => ReferenceError::Uppercase {
                text: text.to_string(),
            },
            _ => ReferenceError::InvalidFormat {
                text: text.to_string(),
            },
        })?;
        // The grammar lets an upper-case first component through as a registry host; when it
        // turns out not to be one, it is part of the repository, which must be lowercase.
        if parsed.repository().bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(ReferenceError::Uppercase {
                text: text.to_string(),
            });
        }
        let digest = parsed
            .digest()
            .map(|d| {
                d.parse::<Digest>().map_err(|source| ReferenceError::Digest {
                    text: text.to_string(),
                    source,
                })
            })
            .transpose()?;
        // oci-spec fills in `latest` itself; keep only a tag the user wrote.
        let tag = parsed.tag().filter(|_| tag_written(text)).map(str::to_string);
        Ok(Reference {
            registry: parsed.registry().to_string(),
            repository: parsed.repository().to_string(),
            tag,
            digest,
        })
    }

    /// The registry host, with its port if any: `docker.io`, `localhost:5000`.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository path inside the registry: `library/nginx`, `demo/app`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag as written, if one was.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The tag as written, or `latest`.
    pub fn tag_or_latest(&self) -> &str {
        self.tag.as_deref().unwrap_or(DEFAULT_TAG)
    }

    /// Whether the text named a tag (`nginx:1.15.8`) rather than leaving it to default.
    pub fn has_explicit_tag(&self) -> bool {
        self.tag.is_some()
    }

    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The host to talk the registry API to: Docker Hub's API lives on `registry-1.docker.io`.
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.registry
        }
    }

    /// The name as Docker shows it, without `docker.io/` and `library/`: `nginx`, `bitnami/redis`,
    /// `localhost:5000/demo/app`.
    pub fn familiar_name(&self) -> String {
        if self.registry != DOCKER_HUB {
            return format!("{}/{}", self.registry, self.repository);
        }
        match self.repository.strip_prefix(OFFICIAL_PREFIX) {
            Some(rest) if !rest.contains('/') => rest.to_string(),
            _ => self.repository.clone(),
        }
    }

    /// The familiar name with its tag (defaulting to `latest` unless a digest pins it) and digest:
    /// `nginx:1.15.8`, `nginx:latest`, `nginx@sha256:…`.
    pub fn familiar(&self) -> String {
        format!("{}{}", self.familiar_name(), self.suffix())
    }

    /// `:tag`, `@digest` or both, as Docker's `TagNameOnly` normalisation leaves them.
    fn suffix(&self) -> String {
        let mut out = String::new();
        match (&self.tag, &self.digest) {
            (Some(tag), _) => {
                out.push(':');
                out.push_str(tag);
            }
            (None, None) => {
                out.push(':');
                out.push_str(DEFAULT_TAG);
            }
            (None, Some(_)) => {}
        }
        if let Some(digest) = &self.digest {
            out.push('@');
            out.push_str(&digest.to_string());
        }
        out
    }
}

/// Whether the text has a `:tag` after its last `/` (a `:` before it is a registry port), before
/// any `@digest`.
fn tag_written(text: &str) -> bool {
    let name = text.split_once('@').map_or(text, |(name, _)| name);
    let last_component = name.rsplit_once('/').map_or(name, |(_, last)| last);
    last_component.contains(':')
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}{}", self.registry, self.repository, self.suffix())
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reference::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HEX: &str = "3fdebaac8705cf36374fc49e31810fbb228ba76f67b875c1be4948d5eba06d66";

    /// text, registry, repository, tag as written, familiar, full
    type Case = (
        &'static str,
        &'static str,
        &'static str,
        Option<&'static str>,
        &'static str,
        &'static str,
    );

    #[test]
    fn normalises_like_docker() {
        let cases: &[Case] = &[
            (
                "nginx",
                "docker.io",
                "library/nginx",
                None,
                "nginx:latest",
                "docker.io/library/nginx:latest",
            ),
            (
                "nginx:1.15.8",
                "docker.io",
                "library/nginx",
                Some("1.15.8"),
                "nginx:1.15.8",
                "docker.io/library/nginx:1.15.8",
            ),
            (
                "bitnami/redis:7",
                "docker.io",
                "bitnami/redis",
                Some("7"),
                "bitnami/redis:7",
                "docker.io/bitnami/redis:7",
            ),
            (
                "docker.io/library/ubuntu:15.04",
                "docker.io",
                "library/ubuntu",
                Some("15.04"),
                "ubuntu:15.04",
                "docker.io/library/ubuntu:15.04",
            ),
            (
                "index.docker.io/library/busybox",
                "docker.io",
                "library/busybox",
                None,
                "busybox:latest",
                "docker.io/library/busybox:latest",
            ),
            (
                "localhost:5000/demo/app:1.0",
                "localhost:5000",
                "demo/app",
                Some("1.0"),
                "localhost:5000/demo/app:1.0",
                "localhost:5000/demo/app:1.0",
            ),
            (
                "localhost/app",
                "localhost",
                "app",
                None,
                "localhost/app:latest",
                "localhost/app:latest",
            ),
            (
                "ghcr.io/org/tool",
                "ghcr.io",
                "org/tool",
                None,
                "ghcr.io/org/tool:latest",
                "ghcr.io/org/tool:latest",
            ),
            (
                "test.com:5000",
                "docker.io",
                "library/test.com",
                Some("5000"),
                "test.com:5000",
                "docker.io/library/test.com:5000",
            ),
            (
                "docker.io/library/a/b:1",
                "docker.io",
                "library/a/b",
                Some("1"),
                "library/a/b:1",
                "docker.io/library/a/b:1",
            ),
        ];
        for &(text, registry, repository, tag, familiar, full) in cases {
            let r = Reference::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(r.registry(), registry, "{text}");
            assert_eq!(r.repository(), repository, "{text}");
            assert_eq!(r.tag(), tag, "{text}");
            assert_eq!(r.has_explicit_tag(), tag.is_some(), "{text}");
            assert_eq!(r.familiar(), familiar, "{text}");
            assert_eq!(r.to_string(), full, "{text}");
        }
    }

    #[test]
    fn digests_pin_without_a_default_tag() {
        let r = Reference::parse(&format!("nginx@sha256:{HEX}")).expect("valid");
        assert_eq!(r.tag(), None);
        assert_eq!(r.digest().map(|d| d.hex()), Some(HEX.to_string()));
        assert_eq!(r.familiar(), format!("nginx@sha256:{HEX}"));
        assert_eq!(r.to_string(), format!("docker.io/library/nginx@sha256:{HEX}"));

        let both = Reference::parse(&format!("localhost:5000/demo/app:1.0@sha256:{HEX}")).expect("valid");
        assert_eq!(both.tag(), Some("1.0"));
        assert_eq!(
            both.familiar(),
            format!("localhost:5000/demo/app:1.0@sha256:{HEX}")
        );
    }

    #[test]
    fn names_and_hosts() {
        let hub = Reference::parse("nginx:1.15.8").expect("valid");
        assert_eq!(hub.familiar_name(), "nginx");
        assert_eq!(hub.api_host(), "registry-1.docker.io");
        assert_eq!(hub.tag_or_latest(), "1.15.8");
        let local = Reference::parse("localhost:5000/demo/app").expect("valid");
        assert_eq!(local.familiar_name(), "localhost:5000/demo/app");
        assert_eq!(local.api_host(), "localhost:5000");
        assert_eq!(local.tag_or_latest(), "latest");
    }

    #[test]
    fn errors_use_dockers_words() {
        let cases: &[(&str, &str)] = &[
            (
                "NGINX",
                "invalid reference format: repository name must be lowercase",
            ),
            (
                "library/Nginx:1",
                "invalid reference format: repository name must be lowercase",
            ),
            ("nginx:", "invalid reference format"),
            ("nginx:bad tag", "invalid reference format"),
            ("-nginx", "invalid reference format"),
            ("a//b", "invalid reference format"),
            ("nginx@sha256:abc", "invalid reference format"),
            ("", "repository name must have at least one component"),
            (
                HEX,
                "invalid repository name (3fdebaac8705cf36374fc49e31810fbb228ba76f67b875c1be4948d5eba06d66), cannot specify 64-byte hexadecimal strings",
            ),
        ];
        for &(text, want) in cases {
            match Reference::parse(text) {
                Ok(r) => panic!("{text:?} parsed as {r}"),
                Err(e) => assert_eq!(e.to_string(), want, "{text:?}"),
            }
        }
        let long = format!("a/{}", "b".repeat(260));
        assert!(matches!(
            Reference::parse(&long),
            Err(ReferenceError::NameTooLong { .. })
        ));
    }

    proptest! {
        #[test]
        fn any_text_parses_or_errs(text in "\\PC{0,80}") {
            let _ = Reference::parse(&text);
        }

        #[test]
        fn referencey_text_parses_or_errs(text in "[a-zA-Z0-9:/@._-]{0,40}") {
            if let Ok(r) = Reference::parse(&text) {
                // A parsed reference's full form names the same image.
                let again = Reference::parse(&r.to_string());
                prop_assert!(again.is_ok());
                if let Ok(again) = again {
                    prop_assert_eq!(again.registry(), r.registry());
                    prop_assert_eq!(again.repository(), r.repository());
                    prop_assert_eq!(again.tag_or_latest(), r.tag_or_latest());
                    prop_assert_eq!(again.digest(), r.digest());
                }
            }
        }
    }
}
