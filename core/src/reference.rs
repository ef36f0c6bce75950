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
//! The grammar and the domain split are those of `distribution/reference` (its `regexp.go` and
//! `normalize.go`). The parser is written by hand rather than taken from oci-spec's
//! `distribution::Reference`: that one is built on the `regex` crate, whose engine and Unicode
//! tables would triple the browser bundle for a grammar this small. On top of the grammar this type
//! adds what Docker's CLI needs: whether the tag was written (so `pull nginx` can say `Using default
//! tag: latest`), the lowercase error, the refusal of bare 64-hex names, typed digests, and the
//! familiar (short) form.

use std::fmt;
use std::str::FromStr;

use crate::digest::{Digest, DigestError};

const DOCKER_HUB: &str = "docker.io";
const DOCKER_HUB_LEGACY: &str = "index.docker.io";
const DOCKER_HUB_API: &str = "registry-1.docker.io";
const OFFICIAL_PREFIX: &str = "library/";
const DEFAULT_TAG: &str = "latest";
const NAME_TOTAL_LENGTH_MAX: usize = 255;
const TAG_LENGTH_MAX: usize = 128;
/// The shortest digest hex the grammar accepts before the per-algorithm length check.
const DIGEST_HEX_MIN: usize = 32;

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
        let parsed = parse_grammar(text).map_err(|err| match err {
            GrammarError::NameTooLong => ReferenceError::NameTooLong {
                text: text.to_string(),
            },
            // Docker tells "lowercase" apart by trying again with the text lowercased. ASCII is
            // enough: the grammar accepts nothing else (and Unicode case tables would cost the
            // page 9 KB).
            GrammarError::Invalid if parse_grammar(&text.to_ascii_lowercase()).is_ok() => {
                ReferenceError::Uppercase {
                    text: text.to_string(),
                }
            }
            GrammarError::Invalid => ReferenceError::InvalidFormat {
                text: text.to_string(),
            },
        })?;
        // The grammar lets an upper-case first component through as a registry host; when it
        // turns out not to be one, it is part of the repository, which must be lowercase.
        if parsed.repository.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(ReferenceError::Uppercase {
                text: text.to_string(),
            });
        }
        let digest = parsed
            .digest
            .map(|d| {
                d.parse::<Digest>().map_err(|source| ReferenceError::Digest {
                    text: text.to_string(),
                    source,
                })
            })
            .transpose()?;
        Ok(Reference {
            registry: parsed.registry.to_string(),
            repository: parsed.repository,
            tag: parsed.tag.map(str::to_string),
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

/// Why the text does not match the reference grammar; `Reference::parse` turns these into
/// [`ReferenceError`]s once it knows whether lowercasing would have helped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GrammarError {
    Invalid,
    NameTooLong,
}

/// The pieces of a reference that matched the grammar, with the domain split and Docker Hub's
/// defaults applied but nothing else checked.
#[derive(Debug)]
struct Parts<'a> {
    registry: &'a str,
    repository: String,
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

/// `name (':' tag)? ('@' digest)?`, then the domain split of `normalize.go`.
fn parse_grammar(text: &str) -> Result<Parts<'_>, GrammarError> {
    // No part of the grammar may contain '@', so the first one starts the digest.
    let (rest, digest) = match text.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (text, None),
    };
    // Only the domain's port may hold a ':' before the last '/', and the last component can never
    // be the domain, so a ':' after the last '/' starts the tag.
    let last_slash = rest.rfind('/').map_or(0, |at| at + 1);
    let last_component = rest.get(last_slash..).unwrap_or_default();
    let (name, tag) = match last_component.find(':') {
        Some(colon) => {
            let at = last_slash + colon;
            (rest.get(..at).unwrap_or_default(), rest.get(at + 1..))
        }
        None => (rest, None),
    };
    if !is_name(name) || !tag.is_none_or(is_tag) || !digest.is_none_or(is_digest_syntax) {
        return Err(GrammarError::Invalid);
    }
    let (registry, repository) = split_domain(name);
    if repository.len() > NAME_TOTAL_LENGTH_MAX {
        return Err(GrammarError::NameTooLong);
    }
    if let Some(digest) = digest {
        check_digest_length(digest)?;
    }
    Ok(Parts {
        registry,
        repository,
        tag,
        digest,
    })
}

/// `name = (domain '/')? path-component ('/' path-component)*`. The first component may match
/// either way; which it is gets decided later by [`split_domain`], as in Docker.
fn is_name(name: &str) -> bool {
    let mut components = name.split('/');
    let first = components.next().unwrap_or_default();
    let rest: Vec<&str> = components.collect();
    let rest_ok = rest.iter().all(|c| is_path_component(c));
    if is_path_component(first) && rest_ok {
        return true;
    }
    !rest.is_empty() && rest_ok && is_domain(first)
}

/// `path-component = [a-z0-9]+ (separator [a-z0-9]+)*`, `separator = [_.] | '__' | [-]+`.
fn is_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let mut i = 0;
    loop {
        let start = i;
        while bytes.get(i).copied().is_some_and(alnum) {
            i += 1;
        }
        if i == start {
            return false;
        }
        match bytes.get(i) {
            None => return true,
            Some(b'.') => i += 1,
            Some(b'_') => {
                i += 1;
                if bytes.get(i) == Some(&b'_') {
                    i += 1;
                }
            }
            Some(b'-') => {
                while bytes.get(i) == Some(&b'-') {
                    i += 1;
                }
            }
            Some(_) => return false,
        }
        // A separator must be followed by more alphanumerics: the next turn refuses an empty run.
    }
}

/// `domain = host (':' port)?` where host is dot-separated domain components or a bracketed IPv6
/// address.
fn is_domain(domain: &str) -> bool {
    let (host, port) = match domain.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((address, port))
                if !address.is_empty() && address.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') =>
            {
                (None, port)
            }
            _ => return false,
        },
        None => match domain.find(':') {
            Some(at) => (domain.get(..at), domain.get(at..).unwrap_or_default()),
            None => (Some(domain), ""),
        },
    };
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
    port_ok && host.is_none_or(|host| host.split('.').all(is_domain_component))
}

/// `domain-component = [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`.
fn is_domain_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && bytes.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        }
        _ => false,
    }
}

/// `tag = [\w][\w.-]{0,127}`, with `\w` the ASCII word characters as in Go's regexp.
fn is_tag(tag: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = tag.as_bytes();
    bytes.len() <= TAG_LENGTH_MAX
        && bytes.first().copied().is_some_and(word)
        && bytes.iter().all(|&b| word(b) || b == b'.' || b == b'-')
}

/// `digest = algorithm ':' hex`, `algorithm = component ([+._-] component)*`,
/// `component = [A-Za-z][A-Za-z0-9]*`, `hex = [0-9a-fA-F]{32,}`.
fn is_digest_syntax(digest: &str) -> bool {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return false;
    };
    let algorithm_ok = algorithm.split(['+', '.', '_', '-']).all(|component| {
        let bytes = component.as_bytes();
        bytes.first().is_some_and(u8::is_ascii_alphabetic) && bytes.iter().all(u8::is_ascii_alphanumeric)
    });
    algorithm_ok && hex.len() >= DIGEST_HEX_MIN && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The hex of a known algorithm must be exactly as long as its hash; other algorithms are refused.
fn check_digest_length(digest: &str) -> Result<(), GrammarError> {
    let (algorithm, hex) = digest.split_once(':').ok_or(GrammarError::Invalid)?;
    let want = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return Err(GrammarError::Invalid),
    };
    if hex.len() == want {
        Ok(())
    } else {
        Err(GrammarError::Invalid)
    }
}

/// Docker's `splitDockerDomain`: the first component is a registry only if it looks like a host
/// (has a '.' or ':', or is `localhost`); otherwise the image is on Docker Hub, where one-component
/// names are official images under `library/`.
fn split_domain(name: &str) -> (&str, String) {
    let (mut domain, remainder) = match name.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => (first, rest),
        _ => (DOCKER_HUB, name),
    };
    if domain == DOCKER_HUB_LEGACY {
        domain = DOCKER_HUB;
    }
    let repository = if domain == DOCKER_HUB && !remainder.contains('/') {
        format!("{OFFICIAL_PREFIX}{remainder}")
    } else {
        remainder.to_string()
    };
    (domain, repository)
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

    #[test]
    fn grammar_edge_cases() {
        let tag_128 = format!("v{}", "1".repeat(127));
        let tag_129 = format!("v{}", "1".repeat(128));
        let ok_128 = format!("nginx:{tag_128}");
        let bad_129 = format!("nginx:{tag_129}");
        let name_255 = format!("a/{}", "b".repeat(253));
        let name_256 = format!("a/{}", "b".repeat(254));
        let local_digest = format!("localhost:5000/app@sha256:{HEX}");
        let sha512_short = format!("nginx@sha512:{HEX}");
        let md5 = format!("nginx@md5:{}", &HEX[..32]);
        let short_hex = format!("nginx@sha256:{}", &HEX[..31]);
        // text, Some((registry, repository, tag)) when valid, None when `invalid reference format`
        let cases: &[(&str, Option<(&str, &str, Option<&str>)>)] = &[
            ("localhost:5000/app", Some(("localhost:5000", "app", None))),
            (
                "example.com:443/a/b:c",
                Some(("example.com:443", "a/b", Some("c"))),
            ),
            ("[::1]:5000/app:1", Some(("[::1]:5000", "app", Some("1")))),
            ("[2001:db8::1]/app", Some(("[2001:db8::1]", "app", None))),
            ("192.168.1.2:5000/app", Some(("192.168.1.2:5000", "app", None))),
            ("Example.COM/app", Some(("Example.COM", "app", None))),
            ("a__b", Some(("docker.io", "library/a__b", None))),
            ("a---b", Some(("docker.io", "library/a---b", None))),
            ("a_b", Some(("docker.io", "library/a_b", None))),
            ("a.b-c_d/e", Some(("a.b-c_d", "e", None))),
            ("a/b.c", Some(("docker.io", "a/b.c", None))),
            (
                ok_128.as_str(),
                Some(("docker.io", "library/nginx", Some(tag_128.as_str()))),
            ),
            (name_255.as_str(), Some(("docker.io", name_255.as_str(), None))),
            (local_digest.as_str(), Some(("localhost:5000", "app", None))),
            (
                "nginx:_x.Y-1",
                Some(("docker.io", "library/nginx", Some("_x.Y-1"))),
            ),
            (bad_129.as_str(), None),
            (".a", None),
            ("a.", None),
            ("a-", None),
            ("a___b", None),
            ("a_.b", None),
            ("a/-b", None),
            ("a/b/", None),
            ("/a", None),
            ("nginx:.1", None),
            ("nginx:-1", None),
            ("nginx:1:2", None),
            ("nginx:tag/x", None),
            ("nginx@", None),
            ("nginx:1@", None),
            ("[::1]/", None),
            ("[::1]", None),
            ("[]/app", None),
            ("[::1/app", None),
            ("[::g]/app", None),
            ("[::1]:/app", None),
            ("[::1]x/app", None),
            ("localhost:/app", None),
            ("localhost:50a/app", None),
            ("-a.com/app", None),
            ("a-.com/app", None),
            ("a..com/app", None),
            ("nginx@@sha256:abc", None),
            ("nginx\u{e9}", None),
            ("nginx:t\u{e9}g", None),
            (sha512_short.as_str(), None),
            (md5.as_str(), None),
            (short_hex.as_str(), None),
        ];
        for (text, want) in cases {
            match (Reference::parse(text), want) {
                (Ok(r), Some((registry, repository, tag))) => {
                    assert_eq!(r.registry(), *registry, "{text}");
                    assert_eq!(r.repository(), *repository, "{text}");
                    assert_eq!(r.tag(), *tag, "{text}");
                }
                (Err(e), None) => assert_eq!(e.to_string(), "invalid reference format", "{text}"),
                (got, want) => panic!("{text:?}: got {got:?}, want {want:?}"),
            }
        }
        assert!(matches!(
            Reference::parse(&name_256),
            Err(ReferenceError::NameTooLong { .. })
        ));
        let digest_only = Reference::parse(&local_digest).expect("valid");
        assert_eq!(digest_only.digest().map(|d| d.hex()), Some(HEX.to_string()));
        assert_eq!(digest_only.to_string(), local_digest);
    }

    #[test]
    fn uppercase_in_the_repository_is_refused() {
        for text in ["example.com/App", "Foo/bar", "library/Nginx", "NGINX:1"] {
            let got = Reference::parse(text);
            assert!(
                matches!(got, Err(ReferenceError::Uppercase { .. })),
                "{text:?}: {got:?}"
            );
        }
        // A digest's algorithm in capitals would be valid lowercased, so Docker calls it a case error.
        let upper_algorithm = format!("nginx@SHA256:{HEX}");
        assert!(matches!(
            Reference::parse(&upper_algorithm),
            Err(ReferenceError::Uppercase { .. })
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
