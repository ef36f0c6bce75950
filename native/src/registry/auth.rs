//! Registry authentication: `WWW-Authenticate` challenges, bearer token responses and the
//! credentials in `~/.docker/config.json`.
//!
//! Public API: [`Credentials`] ([`Credentials::from_docker_config`]), [`Challenge::parse`],
//! [`TokenResponse::parse`], [`may_send_credentials`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use serde::Deserialize;

/// Why credentials could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("reading {path}: {source}")]
    ConfigRead { path: PathBuf, source: std::io::Error },
    #[error("{path} is not valid JSON: {source}")]
    ConfigJson {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{path}: the auth entry for {registry} is not base64 of \"user:password\"")]
    BadAuthField { path: PathBuf, registry: String },
    #[error("the token server answered without a token (neither `token` nor `access_token`): {source}")]
    TokenJson { source: serde_json::Error },
}

/// A user name and password (or identity token as password).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// The `Authorization: Basic …` value.
    pub fn basic_header(&self) -> String {
        let raw = format!("{}:{}", self.username, self.password);
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
    }

    /// The Docker client's config file: `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`.
    pub fn docker_config_path() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
            return Some(PathBuf::from(dir).join("config.json"));
        }
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker/config.json"))
    }

    /// Credentials for `registry` (as written in a reference: `docker.io`, `localhost:5000`)
    /// from a Docker config file; `Ok(None)` when the file or the entry is missing.
    /// Credential helpers (`credsStore`) are not run.
    pub fn from_docker_config(path: &Path, registry: &str) -> Result<Option<Self>, AuthError> {
        #[derive(Deserialize)]
        struct Entry {
            #[serde(default)]
            auth: Option<String>,
        }
        #[derive(Deserialize)]
        struct Config {
            #[serde(default)]
            auths: BTreeMap<String, Entry>,
        }
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(AuthError::ConfigRead {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let config: Config = serde_json::from_slice(&bytes).map_err(|source| AuthError::ConfigJson {
            path: path.to_owned(),
            source,
        })?;
        let keys: Vec<String> = if registry == "docker.io" {
            vec![
                "https://index.docker.io/v1/".into(),
                "index.docker.io".into(),
                "docker.io".into(),
                "registry-1.docker.io".into(),
            ]
        } else {
            vec![
                registry.to_owned(),
                format!("https://{registry}"),
                format!("http://{registry}"),
                format!("https://{registry}/v1/"),
            ]
        };
        let Some(entry) = keys.iter().find_map(|k| config.auths.get(k)) else {
            return Ok(None);
        };
        let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) else {
            return Ok(None);
        };
        let bad = || AuthError::BadAuthField {
            path: path.to_owned(),
            registry: registry.to_owned(),
        };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|_| bad())?;
        let text = String::from_utf8(decoded).map_err(|_| bad())?;
        let (user, pass) = text.split_once(':').ok_or_else(bad)?;
        Ok(Some(Credentials {
            username: user.to_owned(),
            password: pass.to_owned(),
        }))
    }
}

/// A parsed `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

impl Challenge {
    /// Parses `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.
    pub fn parse(header: &str) -> Option<Self> {
        let header = header.trim();
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            return Some(Challenge::Basic);
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let params = parse_params(rest);
        let realm = params.get("realm")?.clone();
        Some(Challenge::Bearer {
            realm,
            service: params.get("service").cloned(),
            scope: params.get("scope").cloned(),
        })
    }
}

/// `key="value", key=value` pairs; commas inside quotes (scopes list actions) stay in the value.
fn parse_params(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ',')).collect();
        if key.is_empty() {
            break;
        }
        if chars.next() != Some('=') {
            continue;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            value.push(n);
                        }
                    }
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value = std::iter::from_fn(|| chars.next_if(|c| *c != ','))
                .collect::<String>()
                .trim()
                .to_owned();
        }
        out.insert(key.trim().to_ascii_lowercase(), value);
    }
    out
}

/// A token server's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenResponse {
    pub token: String,
    pub expires_in: Duration,
}

impl TokenResponse {
    /// Accepts `token` or `access_token` (some servers send only one); the lifetime defaults to
    /// 60 s, the spec's minimum, when `expires_in` is missing or too small.
    pub fn parse(bytes: &[u8]) -> Result<Self, AuthError> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default)]
            token: Option<String>,
            #[serde(default)]
            access_token: Option<String>,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let raw: Raw = serde_json::from_slice(bytes).map_err(|source| AuthError::TokenJson { source })?;
        let token = raw
            .token
            .filter(|t| !t.is_empty())
            .or(raw.access_token.filter(|t| !t.is_empty()));
        let Some(token) = token else {
            return Err(AuthError::TokenJson {
                source: serde::de::Error::missing_field("token"),
            });
        };
        let secs = raw.expires_in.filter(|s| *s >= 60).unwrap_or(60);
        Ok(Self {
            token,
            expires_in: Duration::from_secs(secs),
        })
    }
}

/// Whether registry credentials may go to `realm_host` when the registry is `registry_host`:
/// only to the registry itself or a host of the same domain (Docker Hub's `auth.docker.io` for
/// `registry-1.docker.io`), never to a third party a hostile registry names (CVE-2020-15157).
pub fn may_send_credentials(registry_host: &str, realm_host: &str) -> bool {
    fn domain(h: &str) -> String {
        let h = h
            .rsplit_once(':')
            .filter(|(_, p)| p.bytes().all(|c| c.is_ascii_digit()))
            .map(|(h, _)| h)
            .unwrap_or(h);
        let labels: Vec<&str> = h.split('.').collect();
        if labels.len() >= 2 && !h.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
            labels
                .get(labels.len() - 2..)
                .map(|l| l.join("."))
                .unwrap_or_default()
        } else {
            h.to_owned()
        }
    }
    registry_host.eq_ignore_ascii_case(realm_host)
        || domain(&registry_host.to_ascii_lowercase()) == domain(&realm_host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse() {
        let c = Challenge::parse(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull,push""#,
        );
        assert_eq!(
            c,
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/nginx:pull,push".into())
            })
        );
        assert_eq!(
            Challenge::parse(r#"Basic realm="basic-realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(Challenge::parse("Negotiate"), None);
    }

    #[test]
    fn token_fields_and_lifetime() {
        let t = TokenResponse::parse(br#"{"access_token":"abc"}"#).expect("token");
        assert_eq!((t.token.as_str(), t.expires_in.as_secs()), ("abc", 60));
        let t = TokenResponse::parse(br#"{"token":"x","access_token":"y","expires_in":300}"#).expect("token");
        assert_eq!((t.token.as_str(), t.expires_in.as_secs()), ("x", 300));
        assert!(TokenResponse::parse(br#"{"expires_in":300}"#).is_err());
    }

    #[test]
    fn credentials_stay_on_the_registry_domain() {
        assert!(may_send_credentials("registry-1.docker.io", "auth.docker.io"));
        assert!(may_send_credentials("127.0.0.1:5001", "127.0.0.1:5001"));
        assert!(!may_send_credentials("127.0.0.1:5001", "127.0.0.2:80"));
        assert!(!may_send_credentials("ghcr.io", "evil.example"));
    }

    #[test]
    fn docker_config_auth_field() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("config.json");
        let auth = base64::engine::general_purpose::STANDARD.encode("student:s3cret");
        std::fs::write(
            &path,
            format!(r#"{{"auths":{{"localhost:5001":{{"auth":"{auth}"}}}}}}"#),
        )
        .expect("write");
        let c = Credentials::from_docker_config(&path, "localhost:5001")
            .expect("read")
            .expect("found");
        assert_eq!((c.username.as_str(), c.password.as_str()), ("student", "s3cret"));
        assert_eq!(
            Credentials::from_docker_config(&path, "other:1").expect("read"),
            None
        );
        assert!(!format!("{c:?}").contains("s3cret"));
    }
}
