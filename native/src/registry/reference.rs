//! Image references as the registry client needs them: `[host[:port]/]path[:tag][@digest]`,
//! normalised the way Docker does (`nginx` → `docker.io/library/nginx:latest`).
//!
//! Public API: [`ImageRef::parse`], fields `registry`, `repository`, `tag`, `digest`, and
//! [`ImageRef::api_host`], [`ImageRef::familiar_repository`], [`ImageRef::store_name`],
//! [`ImageRef::display`], [`ImageRef::reference`].
//!
//! This is a minimal parser local to the registry client, because `layerlab_core::reference` had
//! not landed when the client was written; it follows distribution/reference's grammar and is
//! meant to be replaced by core's type.

use layerlab_core::digest::Digest;

/// Why text is not an image reference (Docker's wording).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("invalid reference format: {text:?}")]
    Invalid { text: String },
    #[error("invalid reference format: repository name (library/{text}) must be lowercase")]
    Uppercase { text: String },
    #[error("invalid reference format: {text:?}: {source}")]
    BadDigest {
        text: String,
        source: layerlab_core::digest::DigestError,
    },
}

/// A parsed, normalised image reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    /// `docker.io`, `localhost:5000`, `ghcr.io`, …
    pub registry: String,
    /// `library/nginx`, `demo/app`.
    pub repository: String,
    /// The tag; `latest` when the text had neither a tag nor a digest.
    pub tag: Option<String>,
    pub digest: Option<Digest>,
    /// True when `latest` was filled in (Docker then prints `Using default tag: latest`).
    pub default_tag: bool,
}

fn valid_path_component(c: &str) -> bool {
    // [a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*
    let b = c.as_bytes();
    if b.is_empty()
        || !b
            .first()
            .is_some_and(|x| x.is_ascii_lowercase() || x.is_ascii_digit())
        || !b
            .last()
            .is_some_and(|x| x.is_ascii_lowercase() || x.is_ascii_digit())
    {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let x = b.get(i).copied().unwrap_or(0);
        if x.is_ascii_lowercase() || x.is_ascii_digit() {
            i += 1;
            continue;
        }
        // A separator run: ".", "_", "__" or any number of "-".
        let start = i;
        while b.get(i).is_some_and(|y| matches!(y, b'.' | b'_' | b'-')) {
            i += 1;
        }
        let sep = c.get(start..i).unwrap_or("");
        let ok =
            !sep.is_empty() && (sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|y| y == b'-'));
        if !ok {
            return false;
        }
    }
    true
}

fn valid_host(h: &str) -> bool {
    let (name, port) = match h.rsplit_once(':') {
        Some((n, p)) if !h.starts_with('[') => (n, Some(p)),
        _ => (h, None),
    };
    if let Some(p) = port {
        if p.is_empty() || p.len() > 5 || !p.bytes().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    !name.is_empty()
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

fn valid_tag(t: &str) -> bool {
    // [\w][\w.-]{0,127}
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && b.first().is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

impl ImageRef {
    /// Parses and normalises `text`.
    pub fn parse(text: &str) -> Result<Self, ReferenceError> {
        let invalid = || ReferenceError::Invalid {
            text: text.to_owned(),
        };
        if text.is_empty() || text.len() > 4096 {
            return Err(invalid());
        }
        let (rest, digest) = match text.split_once('@') {
            Some((r, d)) => (
                r,
                Some(d.parse::<Digest>().map_err(|source| ReferenceError::BadDigest {
                    text: text.to_owned(),
                    source,
                })?),
            ),
            None => (text, None),
        };
        // A tag is after the last ':' that comes after the last '/' (a ':' before it is a port).
        let last_slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
        let (name, tag) = match rest.get(last_slash..).and_then(|tail| tail.rfind(':')) {
            Some(i) => {
                let cut = last_slash + i;
                (
                    rest.get(..cut).unwrap_or(""),
                    Some(rest.get(cut + 1..).unwrap_or("").to_owned()),
                )
            }
            None => (rest, None),
        };
        if let Some(t) = &tag {
            if !valid_tag(t) {
                return Err(invalid());
            }
        }
        let (registry, path) = match name.split_once('/') {
            Some((first, more)) if first.contains('.') || first.contains(':') || first == "localhost" => {
                if !valid_host(first) {
                    return Err(invalid());
                }
                (first.to_owned(), more.to_owned())
            }
            _ => ("docker.io".to_owned(), name.to_owned()),
        };
        let registry = if registry == "index.docker.io" {
            "docker.io".to_owned()
        } else {
            registry
        };
        if path.bytes().any(|c| c.is_ascii_uppercase()) {
            return Err(ReferenceError::Uppercase { text: path });
        }
        if path.is_empty() || path.len() > 255 || !path.split('/').all(valid_path_component) {
            return Err(invalid());
        }
        let repository = if registry == "docker.io" && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        let default_tag = tag.is_none() && digest.is_none();
        let tag = if default_tag {
            Some("latest".to_owned())
        } else {
            tag
        };
        Ok(Self {
            registry,
            repository,
            tag,
            digest,
            default_tag,
        })
    }

    /// The host to talk to (`registry-1.docker.io` for Docker Hub).
    pub fn api_host(&self) -> &str {
        if self.registry == "docker.io" {
            "registry-1.docker.io"
        } else {
            &self.registry
        }
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
        let name = if self.registry == "docker.io" {
            self.repository
                .strip_prefix("library/")
                .unwrap_or(&self.repository)
                .to_owned()
        } else {
            self.full_repository()
        };
        match (&self.tag, &self.digest) {
            (_, Some(d)) => format!("{name}@{d}"),
            (Some(t), None) => format!("{name}:{t}"),
            (None, None) => name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_normalisation() {
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
        assert_eq!(r.display(), "nginx:latest");
        assert_eq!(r.api_host(), "registry-1.docker.io");
        let r = ImageRef::parse("localhost:5000/demo/app:1.0").expect("parse");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("localhost:5000", "demo/app", Some("1.0"))
        );
        assert_eq!(r.store_name(), "localhost:5000/demo/app:1.0");
        assert_eq!(r.display(), "localhost:5000/demo/app:1.0");
        let d = Digest::of(b"x");
        let r = ImageRef::parse(&format!("index.docker.io/user/img@{d}")).expect("parse");
        assert_eq!(
            (r.registry.as_str(), r.tag.as_deref(), r.digest),
            ("docker.io", None, Some(d))
        );
        assert_eq!(r.reference(), d.to_string());
    }

    #[test]
    fn bad_references_are_refused() {
        for bad in [
            "",
            "Nginx",
            "a//b",
            "a:",
            "host:99999999/x",
            "x@sha256:../../etc",
            "a/-b",
            "a..b",
            ":tag",
            "a:b:c",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(matches!(
            ImageRef::parse("Nginx"),
            Err(ReferenceError::Uppercase { .. })
        ));
    }
}
