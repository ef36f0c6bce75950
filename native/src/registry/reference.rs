//! What the registry client needs to know about an image name, taken from core's
//! [`layerlab_core::reference::Reference`] (which does the parsing and Docker's normalisation).
//!
//! Public API: [`ImageRef::parse`], `From<&Reference>`, fields `registry`, `repository`, `tag`,
//! `digest`, `default_tag`, and [`ImageRef::api_host`], [`ImageRef::familiar_repository`],
//! [`ImageRef::reference`], [`ImageRef::full_repository`], [`ImageRef::store_name`],
//! [`ImageRef::display`].

use layerlab_core::digest::Digest;
pub use layerlab_core::reference::{Reference, ReferenceError};

/// A parsed, normalised image reference, with the tag filled in (`latest`) when neither a tag
/// nor a digest was written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    /// `docker.io`, `localhost:5000`, `ghcr.io`, …
    pub registry: String,
    /// `library/nginx`, `demo/app`.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<Digest>,
    /// True when `latest` was filled in (Docker then prints `Using default tag: latest`).
    pub default_tag: bool,
    reference: Reference,
}

impl From<&Reference> for ImageRef {
    fn from(r: &Reference) -> Self {
        let default_tag = r.tag().is_none() && r.digest().is_none();
        let tag = match (r.tag(), r.digest()) {
            (Some(t), _) => Some(t.to_owned()),
            (None, None) => Some(r.tag_or_latest().to_owned()),
            (None, Some(_)) => None,
        };
        ImageRef {
            registry: r.registry().to_owned(),
            repository: r.repository().to_owned(),
            tag,
            digest: r.digest().copied(),
            default_tag,
            reference: r.clone(),
        }
    }
}

impl ImageRef {
    /// Parses and normalises `text` (Docker's rules and messages, from core).
    pub fn parse(text: &str) -> Result<Self, ReferenceError> {
        Ok(Self::from(&Reference::parse(text)?))
    }

    /// The host to talk to (`registry-1.docker.io` for Docker Hub).
    pub fn api_host(&self) -> &str {
        self.reference.api_host()
    }

    /// The repository as Docker prints it in `Pulling from …` (`library/nginx`, `demo/app`).
    pub fn familiar_repository(&self) -> &str {
        &self.repository
    }

    /// The tag or digest to fetch: the digest wins when both are given, as in Docker.
    pub fn reference(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".to_owned(),
        }
    }

    /// The name without tag or digest, fully qualified (`docker.io/library/nginx`).
    pub fn full_repository(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The key under which a tag is stored: `localhost:5000/demo/app:1.0`,
    /// `docker.io/library/nginx:latest`, or `…@sha256:…` for a digest-only pull.
    pub fn store_name(&self) -> String {
        match (&self.tag, &self.digest) {
            (Some(t), _) => format!("{}:{t}", self.full_repository()),
            (None, Some(d)) => format!("{}@{d}", self.full_repository()),
            (None, None) => format!("{}:latest", self.full_repository()),
        }
    }

    /// The name as Docker shows it (`nginx:latest`, `localhost:5000/demo/app:1.0`).
    pub fn display(&self) -> String {
        self.reference.familiar()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_for_the_wire_the_store_and_the_screen() {
        let r = ImageRef::parse("nginx").expect("parse");
        assert_eq!(
            (
                r.registry.as_str(),
                r.repository.as_str(),
                r.tag.as_deref(),
                r.default_tag
            ),
            ("docker.io", "library/nginx", Some("latest"), true)
        );
        assert_eq!(
            (r.display().as_str(), r.api_host(), r.store_name().as_str()),
            (
                "nginx:latest",
                "registry-1.docker.io",
                "docker.io/library/nginx:latest"
            )
        );
        let r = ImageRef::parse("localhost:5000/demo/app:1.0").expect("parse");
        assert_eq!(
            (
                r.registry.as_str(),
                r.repository.as_str(),
                r.tag.as_deref(),
                r.default_tag
            ),
            ("localhost:5000", "demo/app", Some("1.0"), false)
        );
        assert_eq!(
            (r.store_name(), r.display(), r.reference()),
            (
                "localhost:5000/demo/app:1.0".into(),
                "localhost:5000/demo/app:1.0".into(),
                "1.0".into()
            )
        );
        let d = Digest::of(b"x");
        let r = ImageRef::parse(&format!("user/img@{d}")).expect("parse");
        assert_eq!(
            (r.tag.as_deref(), r.digest, r.reference(), r.default_tag),
            (None, Some(d), d.to_string(), false)
        );
        assert_eq!(r.store_name(), format!("docker.io/user/img@{d}"));
        assert!(ImageRef::parse("Nginx").is_err());
        assert!(ImageRef::parse("x@sha256:../../etc").is_err());
    }
}
