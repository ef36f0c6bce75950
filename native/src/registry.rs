//! The registry client: Registry HTTP API v2 / OCI distribution, pull and push.
//!
//! Public API:
//! - [`Client::new`]`(`[`ClientOptions`]`)`; one client is shared by the concurrent downloads.
//! - Pull side: [`Client::resolve`]`(&ImageRef, &Platform) -> `[`Resolved`] (tag → manifest,
//!   through an index when there is one), [`Client::fetch_blob`] (streams into a content-store
//!   [`Ingest`], reporting progress), [`Client::fetch_blob_bytes`] (small verified blobs: configs).
//! - Push side: [`Client::blob_exists`], [`Client::mount_blob`] (cross-repository mount on the
//!   same registry), [`Client::push_blob`] (monolithic, or chunked above
//!   [`ClientOptions::chunk_size`]; [`Client::upload_blob`] skips the exists check),
//!   [`Client::push_manifest`].
//! - Login: [`Client::check_login`] (`GET /v2/` through basic or token auth, as `docker login`).
//! - Names: [`reference::ImageRef`]; documents: [`manifest`]; credentials: [`auth`]; pushing a
//!   stored image with Docker's statuses: [`push::push_image`].
//!
//! Why not the `oci-client` crate: it is async (tokio + reqwest) while the engine is a plain
//! threaded CLI, and the hardening this client must do lives below its API: a bounded manifest
//! read (4 MiB) parsed exactly once from the verified bytes, refusal of ambiguous documents,
//! `Accept-Encoding: identity`, bounded retries with backoff on 429/5xx honouring `Retry-After`
//! (a POST or PATCH of an upload only after a 429, which says it was not processed),
//! redirects followed by hand so `Authorization` never leaves the registry's host, credentials
//! never sent to a token realm on a foreign domain, and plain HTTP only for loopback and
//! registries named insecure. `ureq` (rustls, no OpenSSL) gives exactly one blocking request at a
//! time, which keeps all of that in this file.

pub mod auth;
pub mod manifest;
pub mod push;
pub mod reference;

use std::collections::HashMap;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use layerlab_core::digest::Digest;
use ureq::http;

use crate::content_store::{Ingest, StoreError};
use auth::{AuthError, Challenge, Credentials, TokenResponse, may_send_credentials};
use manifest::{Descriptor, Document, MANIFEST_ACCEPT, MAX_MANIFEST_BYTES, ManifestError, Platform};
use reference::ImageRef;

/// Bytes of a blob read before they are handed on as one chunk (written, hashed, unpacked).
const BLOB_CHUNK: usize = 256 * 1024;

/// Why a registry operation failed. Messages follow Docker's where Docker has one.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(
        "refusing plain HTTP to {host}: only loopback registries and registries named insecure may use it"
    )]
    InsecureRefused { host: String },
    #[error("{method} {url:?}: {source}")]
    Transport {
        method: String,
        url: String,
        source: Box<ureq::Error>,
    },
    #[error("manifest for {name} not found: manifest unknown: manifest unknown")]
    ManifestUnknown { name: String },
    #[error(
        "pull access denied for {name}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied"
    )]
    AccessDenied { name: String },
    #[error("unauthorized: authentication required for {host}{hint}")]
    Unauthorized { host: String, hint: &'static str },
    /// The token server refused the credentials; Docker names the registry request it was
    /// authenticating and quotes the token server's reason.
    #[error("Get {url:?}: unauthorized: {message}")]
    TokenRefused { url: String, message: String },
    /// A refusal in the registry's own words, as Docker prints a registry error code:
    /// `denied: …`, `unauthorized: authentication required`.
    #[error("{code}: {message}")]
    Refused { code: String, message: String },
    #[error("login attempt to {url} failed with status: {status}")]
    LoginFailed { url: String, status: String },
    #[error(
        "toomanyrequests: {url} kept answering 429 Too Many Requests; gave up after {tries} tries (rate limited, not corrupt): wait and try again"
    )]
    RateLimited { url: String, tries: u32 },
    #[error("{url} answered {status} {code}: {message}")]
    Status {
        url: String,
        status: u16,
        code: String,
        message: String,
    },
    #[error("too many redirects (or a redirect loop) starting at {url}")]
    TooManyRedirects { url: String },
    #[error("manifest for {name} is larger than {limit} bytes; refusing it")]
    ManifestTooLarge { name: String, limit: u64 },
    #[error("manifest verification failed for digest {expected}: the registry sent {actual}")]
    ManifestDigest { expected: Digest, actual: Digest },
    #[error("failed to fetch {digest}: the connection broke after {received} of {expected} bytes: {source}")]
    BlobRead {
        digest: Digest,
        received: u64,
        expected: u64,
        source: io::Error,
    },
    #[error("upload of {digest} failed: the registry gave no Location for the upload")]
    NoUploadLocation { digest: Digest },
    #[error("reading {digest} for upload: {source}")]
    UploadSource { digest: Digest, source: io::Error },
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, RegistryError>;

/// How the client behaves.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Registries (`host:port`) that may be reached over plain HTTP; loopback always may.
    pub insecure_registries: Vec<String>,
    /// Credentials to use for every registry; when `None`, the Docker config file is read.
    pub credentials: Option<Credentials>,
    /// The Docker config file to read credentials from (default `~/.docker/config.json`).
    pub docker_config: Option<PathBuf>,
    /// Retries after a 429, a 5xx or a broken connection (the first try is not counted).
    pub max_retries: u32,
    /// First backoff delay; it doubles each retry, with jitter, up to 8 s.
    pub retry_base: Duration,
    /// Blobs larger than this are uploaded in chunks of this size.
    pub chunk_size: u64,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            insecure_registries: Vec::new(),
            credentials: None,
            docker_config: Credentials::docker_config_path(),
            max_retries: 4,
            retry_base: Duration::from_millis(250),
            chunk_size: 8 << 20,
        }
    }
}

/// A manifest as fetched: its bytes (exactly those verified), digest and parsed document.
#[derive(Debug, Clone)]
pub struct FetchedManifest {
    pub bytes: Vec<u8>,
    pub digest: Digest,
    pub media_type: String,
    pub document: Document,
}

/// What a reference resolved to for one platform.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The digest the tag points at (an index's digest for a multi-platform image): Docker's
    /// `Digest:` line.
    pub digest: Digest,
    /// The image manifest for the platform.
    pub manifest: FetchedManifest,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
}

/// Whether [`Client::push_blob`] had anything to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    AlreadyExists,
    Uploaded,
}

enum Body<'a> {
    Empty,
    Bytes(&'a [u8]),
}

/// The registry a request goes to, with what is needed to authenticate there.
struct Target {
    scheme: &'static str,
    host: String,
    repository: String,
    name: String,
    credentials: Option<Credentials>,
}

/// A registry client. Safe to share between threads.
#[derive(Debug)]
pub struct Client {
    agent: ureq::Agent,
    opts: ClientOptions,
    /// Bearer tokens by (host, scope), with their expiry.
    tokens: Mutex<HashMap<(String, String), (String, Instant)>>,
    /// Hosts that asked for basic auth.
    basic_hosts: Mutex<Vec<String>>,
}

fn is_loopback(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host),
    };
    name == "localhost"
        || name == "::1"
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `scheme://host[:port]` → (scheme, host[:port]).
fn split_url(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    Some((scheme, host))
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The first `{"errors":[{"code","message"}]}` entry of an error body.
fn error_body(bytes: &[u8]) -> (String, String) {
    #[derive(serde::Deserialize)]
    struct E {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    #[derive(serde::Deserialize)]
    struct Errors {
        #[serde(default)]
        errors: Vec<E>,
    }
    match serde_json::from_slice::<Errors>(bytes)
        .ok()
        .and_then(|e| e.errors.into_iter().next())
    {
        Some(e) => (e.code, e.message),
        None => (
            String::new(),
            String::from_utf8_lossy(bytes.get(..bytes.len().min(200)).unwrap_or_default())
                .trim()
                .to_owned(),
        ),
    }
}

/// Why a token server refused, as Docker reads it: Docker Hub's `{"details": …}`, else a
/// registry-style error body, else the generic `authentication required`.
fn token_refusal(bytes: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Details {
        #[serde(default)]
        details: String,
    }
    if let Some(d) = serde_json::from_slice::<Details>(bytes)
        .ok()
        .filter(|d| !d.details.is_empty())
    {
        return d.details;
    }
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(v) if v.get("errors").is_some() => {
            let (_, message) = error_body(bytes);
            if message.is_empty() {
                "authentication required".to_owned()
            } else {
                message
            }
        }
        _ => "authentication required".to_owned(),
    }
}

fn header<'a>(resp: &'a http::Response<ureq::Body>, name: &str) -> Option<&'a str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

impl Client {
    /// A client with these options.
    pub fn new(opts: ClientOptions) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(120)))
            .user_agent(concat!("layerlab/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Self {
            agent,
            opts,
            tokens: Mutex::new(HashMap::new()),
            basic_hosts: Mutex::new(Vec::new()),
        }
    }

    fn scheme_for(&self, host: &str) -> &'static str {
        if is_loopback(host) || self.opts.insecure_registries.iter().any(|h| h == host) {
            "http"
        } else {
            "https"
        }
    }

    fn target(&self, image: &ImageRef) -> Result<Target> {
        let credentials = match (&self.opts.credentials, &self.opts.docker_config) {
            (Some(c), _) => Some(c.clone()),
            (None, Some(path)) => Credentials::from_docker_config(path, &image.registry)?,
            (None, None) => None,
        };
        let host = image.api_host().to_owned();
        Ok(Target {
            scheme: self.scheme_for(&host),
            host,
            repository: image.repository.clone(),
            name: image.full_repository(),
            credentials,
        })
    }

    fn url(&self, t: &Target, tail: &str) -> String {
        format!("{}://{}/v2/{}/{tail}", t.scheme, t.host, t.repository)
    }

    fn backoff(&self, attempt: u32, retry_after: Option<&str>) -> Duration {
        if let Some(secs) = retry_after.and_then(|v| v.trim().parse::<u64>().ok()) {
            return Duration::from_secs(secs.min(30));
        }
        let base = self
            .opts
            .retry_base
            .saturating_mul(1u32 << attempt.min(5))
            .min(Duration::from_secs(8));
        // Jitter so that three downloads rate-limited together do not retry together.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let jitter = base.mul_f64(f64::from(nanos % 1000) / 2000.0);
        base + jitter
    }

    fn auth_header(&self, t: &Target, scope: &str) -> Option<String> {
        let now = Instant::now();
        if let Ok(tokens) = self.tokens.lock() {
            if let Some((tok, until)) = tokens.get(&(t.host.clone(), scope.to_owned())) {
                if *until > now {
                    return Some(format!("Bearer {tok}"));
                }
            }
        }
        let basic = self
            .basic_hosts
            .lock()
            .map(|h| h.contains(&t.host))
            .unwrap_or(false);
        match (&t.credentials, basic) {
            (Some(c), true) => Some(c.basic_header()),
            _ => None,
        }
    }

    /// Answers a 401 challenge. Returns false when there is nothing more to try.
    ///
    /// `scope` may hold several scopes separated by spaces (a cross-repository mount needs pull
    /// on the source as well); each goes as its own `scope=` parameter, and an empty scope (a
    /// login's `GET /v2/`) sends none. `url` is the registry request being answered, which
    /// Docker names when the token server refuses.
    fn authenticate(&self, t: &Target, challenge: Option<&str>, scope: &str, url: &str) -> Result<bool> {
        match challenge.and_then(Challenge::parse) {
            Some(Challenge::Basic) => {
                if t.credentials.is_none() {
                    return Err(RegistryError::Unauthorized {
                        host: t.host.clone(),
                        hint: ": no basic auth credentials (add them to ~/.docker/config.json)",
                    });
                }
                let mut hosts = self.basic_hosts.lock().map_err(|_| RegistryError::Unauthorized {
                    host: t.host.clone(),
                    hint: "",
                })?;
                if hosts.contains(&t.host) {
                    return Ok(false);
                }
                hosts.push(t.host.clone());
                Ok(true)
            }
            Some(Challenge::Bearer { realm, service, .. }) => {
                let Some((realm_scheme, realm_host)) = split_url(&realm) else {
                    return Ok(false);
                };
                if realm_scheme != "https"
                    && !(realm_scheme == "http"
                        && (is_loopback(realm_host)
                            || self.opts.insecure_registries.iter().any(|h| h == realm_host)))
                {
                    return Err(RegistryError::InsecureRefused {
                        host: realm_host.to_owned(),
                    });
                }
                let request_url = url;
                let mut params: Vec<String> = scope
                    .split(' ')
                    .filter(|s| !s.is_empty())
                    .map(|s| format!("scope={}", percent_encode(s)))
                    .collect();
                if let Some(s) = service {
                    params.push(format!("service={}", percent_encode(&s)));
                }
                let url = if params.is_empty() {
                    realm.clone()
                } else {
                    format!(
                        "{realm}{}{}",
                        if realm.contains('?') { '&' } else { '?' },
                        params.join("&")
                    )
                };
                let mut req = http::Request::get(&url).header("Accept-Encoding", "identity");
                if let Some(c) = &t.credentials {
                    if may_send_credentials(&t.host, realm_host) {
                        req = req.header("Authorization", c.basic_header());
                    }
                }
                let req = req.body(()).map_err(|e| RegistryError::Transport {
                    method: "GET".into(),
                    url: url.clone(),
                    source: Box::new(ureq::Error::Http(e)),
                })?;
                let mut resp = self.agent.run(req).map_err(|e| RegistryError::Transport {
                    method: "GET".into(),
                    url: url.clone(),
                    source: Box::new(e),
                })?;
                let status = resp.status().as_u16();
                let bytes = resp
                    .body_mut()
                    .with_config()
                    .limit(1 << 20)
                    .read_to_vec()
                    .map_err(|e| RegistryError::Transport {
                        method: "GET".into(),
                        url: url.clone(),
                        source: Box::new(e),
                    })?;
                if status == 401 || status == 403 {
                    return Err(RegistryError::TokenRefused {
                        url: request_url.to_owned(),
                        message: token_refusal(&bytes),
                    });
                }
                if status != 200 {
                    let (code, message) = error_body(&bytes);
                    return Err(RegistryError::Status {
                        url,
                        status,
                        code,
                        message,
                    });
                }
                let token = TokenResponse::parse(&bytes)?;
                if let Ok(mut tokens) = self.tokens.lock() {
                    // Renew a little early so a token never expires mid-request.
                    let life = token
                        .expires_in
                        .saturating_sub(Duration::from_secs(5))
                        .max(Duration::from_secs(1));
                    tokens.insert(
                        (t.host.clone(), scope.to_owned()),
                        (token.token, Instant::now() + life),
                    );
                }
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// One request with authentication, redirects and bounded retries.
    fn execute(
        &self,
        t: &Target,
        scope: &str,
        method: &str,
        url: &str,
        headers: &[(&str, String)],
        body: Body<'_>,
    ) -> Result<http::Response<ureq::Body>> {
        let mut url = url.to_owned();
        let (mut redirects, mut attempt, mut authed) = (0u32, 0u32, false);
        loop {
            let Some((scheme, host)) = split_url(&url) else {
                return Err(RegistryError::TooManyRedirects { url });
            };
            if scheme == "http"
                && !(is_loopback(host) || self.opts.insecure_registries.iter().any(|h| h == host))
            {
                return Err(RegistryError::InsecureRefused {
                    host: host.to_owned(),
                });
            }
            let same_host = host == t.host;
            let mut req = http::Request::builder()
                .method(method)
                .uri(&url)
                .header("Accept-Encoding", "identity");
            for (k, v) in headers {
                req = req.header(*k, v.as_str());
            }
            // Credentials and tokens belong to the registry's host: a redirect to storage
            // elsewhere (S3, a CDN) gets none.
            let mut sent_token = false;
            if same_host {
                if let Some(a) = self.auth_header(t, scope) {
                    sent_token = a.starts_with("Bearer ");
                    req = req.header("Authorization", a);
                }
            }
            let transport = |e: ureq::Error| RegistryError::Transport {
                method: method.to_owned(),
                url: url.clone(),
                source: Box::new(e),
            };
            let sent = match body {
                Body::Empty => {
                    let req = if method == "PUT" || method == "POST" || method == "PATCH" {
                        req.header("Content-Length", "0")
                    } else {
                        req
                    };
                    req.body(())
                        .map_err(|e| transport(ureq::Error::Http(e)))
                        .and_then(|r| self.agent.run(r).map_err(transport))
                }
                Body::Bytes(b) => req
                    .body(b)
                    .map_err(|e| transport(ureq::Error::Http(e)))
                    .and_then(|r| self.agent.run(r).map_err(transport)),
            };
            // A request that changes state on the server is sent once unless the server says it
            // refused it (429): after a 5xx or a broken connection it may have taken effect, and
            // a PATCH sent twice would append its chunk twice to an upload (a POST would open a
            // second upload). Such a failure ends the push; `docker push` starts it afresh.
            let repeatable = !matches!(method, "POST" | "PATCH");
            let resp = match sent {
                Ok(r) => r,
                Err(e) if attempt < self.opts.max_retries && repeatable => {
                    let _ = e;
                    std::thread::sleep(self.backoff(attempt, None));
                    attempt += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let status = resp.status().as_u16();
            match status {
                401 if same_host && !authed => {
                    authed = true;
                    let challenge = header(&resp, "www-authenticate");
                    // The token sent is current and grants less than the request needs: the
                    // token server already said what this caller may do, asking again will
                    // not change it (an expired or revoked token, `invalid_token`, is renewed).
                    if sent_token && challenge.is_some_and(|c| c.contains("insufficient_scope")) {
                        return Ok(resp);
                    }
                    if self.authenticate(t, challenge, scope, &url)? {
                        continue;
                    }
                    return Ok(resp);
                }
                301 | 302 | 303 | 307 | 308 => {
                    redirects += 1;
                    let Some(location) = header(&resp, "location").map(str::to_owned) else {
                        return Ok(resp);
                    };
                    if redirects > 5 {
                        return Err(RegistryError::TooManyRedirects { url });
                    }
                    url = if location.contains("://") {
                        location
                    } else if location.starts_with('/') {
                        format!("{scheme}://{host}{location}")
                    } else {
                        return Err(RegistryError::TooManyRedirects { url });
                    };
                }
                429 | 500 | 502 | 503 | 504 if status == 429 || repeatable => {
                    if attempt >= self.opts.max_retries {
                        if status == 429 {
                            return Err(RegistryError::RateLimited {
                                url,
                                tries: attempt + 1,
                            });
                        }
                        return Ok(resp);
                    }
                    let wait = self.backoff(attempt, header(&resp, "retry-after"));
                    std::thread::sleep(wait);
                    attempt += 1;
                }
                _ => return Ok(resp),
            }
        }
    }

    fn fail(&self, t: &Target, url: &str, mut resp: http::Response<ureq::Body>, what: &str) -> RegistryError {
        let status = resp.status().as_u16();
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(64 * 1024)
            .read_to_vec()
            .unwrap_or_default();
        let (code, message) = error_body(&bytes);
        let pushing = matches!(what, "upload" | "blob upload" | "manifest upload" | "mount");
        match (status, code.as_str()) {
            // A push is refused in the registry's own words (`denied: …`, `unauthorized: …`):
            // "pull access denied" would name the wrong operation. So is a pull whose token
            // the registry would not take (expired, untrusted): Docker translates only
            // DENIED and NAME_UNKNOWN into "pull access denied".
            (401 | 403, _) if pushing => RegistryError::Refused {
                code: if code.is_empty() {
                    if status == 401 { "unauthorized" } else { "denied" }.to_owned()
                } else {
                    code.to_ascii_lowercase()
                },
                message: if message.is_empty() {
                    if status == 401 {
                        "authentication required"
                    } else {
                        "requested access to the resource is denied"
                    }
                    .to_owned()
                } else {
                    message
                },
            },
            (404, "MANIFEST_UNKNOWN") | (404, "") if what == "manifest" => {
                RegistryError::ManifestUnknown { name: t.name.clone() }
            }
            (401, "UNAUTHORIZED") if t.credentials.is_none() => RegistryError::Refused {
                code: "unauthorized".to_owned(),
                message: if message.is_empty() {
                    "authentication required".to_owned()
                } else {
                    message
                },
            },
            (404, "NAME_UNKNOWN") | (401, _) | (403, _) | (404, "UNAUTHORIZED") => {
                if t.credentials.is_none() || status == 404 {
                    RegistryError::AccessDenied { name: t.name.clone() }
                } else {
                    RegistryError::Unauthorized {
                        host: t.host.clone(),
                        hint: ": the registry refused the credentials",
                    }
                }
            }
            _ => RegistryError::Status {
                url: url.to_owned(),
                status,
                code,
                message,
            },
        }
    }

    /// Fetches the manifest `reference` (a tag or a digest) and verifies it.
    pub fn fetch_manifest(&self, image: &ImageRef, reference: &str) -> Result<FetchedManifest> {
        let t = self.target(image)?;
        self.fetch_manifest_at(&t, reference, &format!("repository:{}:pull", t.repository))
    }

    fn fetch_manifest_at(&self, t: &Target, reference: &str, scope: &str) -> Result<FetchedManifest> {
        let url = self.url(t, &format!("manifests/{reference}"));
        let mut resp = self.execute(
            t,
            scope,
            "GET",
            &url,
            &[("Accept", MANIFEST_ACCEPT.to_owned())],
            Body::Empty,
        )?;
        if resp.status().as_u16() != 200 {
            let name = format!("{}:{reference}", t.name);
            return Err(match self.fail(t, &url, resp, "manifest") {
                RegistryError::ManifestUnknown { .. } => RegistryError::ManifestUnknown { name },
                e => e,
            });
        }
        let too_large = || RegistryError::ManifestTooLarge {
            name: t.name.clone(),
            limit: MAX_MANIFEST_BYTES,
        };
        if header(&resp, "content-length")
            .and_then(|l| l.parse::<u64>().ok())
            .is_some_and(|l| l > MAX_MANIFEST_BYTES)
        {
            return Err(too_large());
        }
        let content_type = header(&resp, "content-type").map(str::to_owned);
        let header_digest = header(&resp, "docker-content-digest").and_then(|d| d.parse::<Digest>().ok());
        let bytes = match resp
            .body_mut()
            .with_config()
            .limit(MAX_MANIFEST_BYTES)
            .read_to_vec()
        {
            Ok(b) => b,
            Err(ureq::Error::BodyExceedsLimit(_)) => return Err(too_large()),
            Err(e) => {
                return Err(RegistryError::Transport {
                    method: "GET".into(),
                    url,
                    source: Box::new(e),
                });
            }
        };
        let actual = Digest::of(&bytes);
        // By digest: the bytes must hash to it. By tag: the registry's header, when sent, must agree.
        let expected = reference.parse::<Digest>().ok().or(header_digest);
        if let Some(expected) = expected.filter(|e| *e != actual) {
            return Err(RegistryError::ManifestDigest { expected, actual });
        }
        let document = Document::parse(
            &bytes,
            content_type.as_deref(),
            &format!("{}:{reference}", t.name),
        )?;
        let media_type = match &document {
            Document::Manifest(m) => m.media_type.clone(),
            Document::Index(i) => i.media_type.clone(),
        };
        Ok(FetchedManifest {
            bytes,
            digest: actual,
            media_type,
            document,
        })
    }

    /// Resolves `image` to the image manifest for `platform` (through an index if needed).
    pub fn resolve(&self, image: &ImageRef, platform: &Platform) -> Result<Resolved> {
        let t = self.target(image)?;
        let scope = format!("repository:{}:pull", t.repository);
        let top = self.fetch_manifest_at(&t, &image.reference(), &scope)?;
        let digest = top.digest;
        let manifest = match &top.document {
            Document::Manifest(_) => top,
            Document::Index(index) => {
                let entry = index.select(platform)?;
                let m = self.fetch_manifest_at(&t, &entry.digest.to_string(), &scope)?;
                if let Document::Index(_) = m.document {
                    return Err(ManifestError::Ambiguous {
                        name: t.name.clone(),
                        why: "an index entry for the platform is itself an index",
                    }
                    .into());
                }
                m
            }
        };
        let Document::Manifest(m) = &manifest.document else {
            return Err(ManifestError::Ambiguous {
                name: t.name.clone(),
                why: "not an image manifest",
            }
            .into());
        };
        let (config, layers) = (m.config.clone(), m.layers.clone());
        Ok(Resolved {
            digest,
            manifest,
            config,
            layers,
        })
    }

    fn blob_response(
        &self,
        t: &Target,
        digest: &Digest,
        headers: &[(&str, String)],
    ) -> Result<(String, http::Response<ureq::Body>)> {
        let url = self.url(t, &format!("blobs/{digest}"));
        let resp = self.execute(
            t,
            &format!("repository:{}:pull", t.repository),
            "GET",
            &url,
            headers,
            Body::Empty,
        )?;
        let status = resp.status().as_u16();
        if status != 200 && !(status == 206 && !headers.is_empty()) {
            return Err(self.fail(t, &url, resp, "blob"));
        }
        Ok((url, resp))
    }

    /// Streams the blob `desc` into `ingest`, calling `progress` with the bytes received so far.
    /// The caller commits the ingest, which checks size and digest.
    ///
    /// When the ingest already holds bytes from an interrupted try, only the rest is asked for
    /// (`Range: bytes=<n>-`). The answer is appended only if it is a 206 whose `Content-Range`
    /// starts exactly there; a 200 is the whole blob again, so the ingest starts over, since
    /// appending it would corrupt the blob.
    pub fn fetch_blob(
        &self,
        image: &ImageRef,
        desc: &Descriptor,
        ingest: &mut Ingest,
        progress: &mut dyn FnMut(u64),
    ) -> Result<()> {
        let t = self.target(image)?;
        let offset = ingest.written();
        let range = if offset > 0 && offset < desc.size {
            vec![("Range", format!("bytes={offset}-"))]
        } else {
            vec![]
        };
        let (_, resp) = self.blob_response(&t, &desc.digest, &range)?;
        if resp.status().as_u16() == 206 {
            let expected = format!("bytes {offset}-{}/", desc.size.saturating_sub(1));
            let content_range = header(&resp, "content-range").unwrap_or("");
            let total_ok = content_range
                .strip_prefix(&expected)
                .is_some_and(|total| total == "*" || total == desc.size.to_string());
            if !total_ok {
                ingest.restart()?;
                return Err(RegistryError::BlobRead {
                    digest: desc.digest,
                    received: 0,
                    expected: desc.size,
                    source: io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("resumed download answered with Content-Range {content_range:?}"),
                    ),
                });
            }
        } else if ingest.written() > 0 {
            ingest.restart()?;
        }
        let mut reader = resp.into_body().into_with_config().limit(u64::MAX).reader();
        let mut last_report = Instant::now();
        loop {
            // Whole chunks, each read straight into the buffer that the ingest then owns: one
            // write and one hand-over to a tap per chunk instead of one per socket read, and no
            // copy on the way to an unpacker (see `Ingest::write_chunk`).
            let mut chunk = ingest.chunk_buffer(BLOB_CHUNK);
            let mut filled = 0;
            let mut failed = None;
            let mut ended = false;
            while let Some(free) = chunk.get_mut(filled..).filter(|f| !f.is_empty()) {
                match reader.read(free) {
                    Ok(0) => {
                        ended = true;
                        break;
                    }
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            chunk.truncate(filled);
            // Bytes that arrived before a failure are kept: a retry resumes after them.
            if filled > 0 {
                ingest.write_chunk(chunk)?;
            }
            if let Some(source) = failed {
                return Err(RegistryError::BlobRead {
                    digest: desc.digest,
                    received: ingest.written(),
                    expected: desc.size,
                    source,
                });
            }
            if ended {
                break;
            }
            if last_report.elapsed() >= Duration::from_millis(100) {
                progress(ingest.written());
                last_report = Instant::now();
            }
        }
        progress(ingest.written());
        if ingest.written() < desc.size {
            return Err(RegistryError::BlobRead {
                digest: desc.digest,
                received: ingest.written(),
                expected: desc.size,
                source: io::ErrorKind::UnexpectedEof.into(),
            });
        }
        Ok(())
    }

    /// Fetches a small blob (a config) into memory, verified against `desc`.
    pub fn fetch_blob_bytes(&self, image: &ImageRef, desc: &Descriptor, limit: u64) -> Result<Vec<u8>> {
        let t = self.target(image)?;
        if desc.size > limit {
            return Err(StoreError::TooLarge {
                digest: desc.digest,
                size: desc.size,
                limit,
            }
            .into());
        }
        let (url, mut resp) = self.blob_response(&t, &desc.digest, &[])?;
        let bytes = match resp
            .body_mut()
            .with_config()
            .limit(desc.size.saturating_add(1))
            .read_to_vec()
        {
            Ok(b) => b,
            Err(ureq::Error::BodyExceedsLimit(_)) => {
                return Err(StoreError::ExtraBytes {
                    digest: desc.digest,
                    expected: desc.size,
                }
                .into());
            }
            Err(e) => {
                return Err(RegistryError::Transport {
                    method: "GET".into(),
                    url,
                    source: Box::new(e),
                });
            }
        };
        if (bytes.len() as u64) < desc.size {
            return Err(StoreError::ShortBlob {
                digest: desc.digest,
                expected: desc.size,
                actual: bytes.len() as u64,
            }
            .into());
        }
        if bytes.len() as u64 > desc.size {
            return Err(StoreError::ExtraBytes {
                digest: desc.digest,
                expected: desc.size,
            }
            .into());
        }
        let actual = Digest::of(&bytes);
        if actual != desc.digest {
            return Err(StoreError::DigestMismatch {
                expected: desc.digest,
                actual,
            }
            .into());
        }
        Ok(bytes)
    }

    /// Whether the registry already has blob `digest` in `image`'s repository.
    pub fn blob_exists(&self, image: &ImageRef, digest: &Digest) -> Result<bool> {
        let t = self.target(image)?;
        self.blob_exists_at(&t, digest)
    }

    fn push_scope(t: &Target) -> String {
        format!("repository:{}:pull,push", t.repository)
    }

    fn blob_exists_at(&self, t: &Target, digest: &Digest) -> Result<bool> {
        let url = self.url(t, &format!("blobs/{digest}"));
        let resp = self.execute(t, &Self::push_scope(t), "HEAD", &url, &[], Body::Empty)?;
        match resp.status().as_u16() {
            200 => Ok(true),
            404 => Ok(false),
            _ => Err(self.fail(t, &url, resp, "blob upload")),
        }
    }

    /// Asks the registry to link blob `digest` from repository `from` (on the same registry)
    /// into `image`'s repository without sending the bytes. True when it did (201); false when
    /// it would not (it then opens an ordinary upload instead, which is cancelled here so the
    /// caller can upload as usual) or when the caller may not read `from`.
    pub fn mount_blob(&self, image: &ImageRef, digest: &Digest, from: &str) -> Result<bool> {
        let t = self.target(image)?;
        // The registry checks pull access to the source repository too.
        let scope = format!("{} repository:{from}:pull", Self::push_scope(&t));
        let url = format!(
            "{}?mount={}&from={}",
            self.url(&t, "blobs/uploads/"),
            percent_encode(&digest.to_string()),
            percent_encode(from)
        );
        let resp = self.execute(&t, &scope, "POST", &url, &[], Body::Empty)?;
        match resp.status().as_u16() {
            201 => Ok(true),
            202 => {
                if let Ok(location) = self.location(&t, &resp, digest) {
                    // Best effort: an abandoned upload session is garbage-collected anyway.
                    let _ = self.execute(&t, &scope, "DELETE", &location, &[], Body::Empty);
                }
                Ok(false)
            }
            // No pull access to the source (the token server would not grant it): the blob
            // can still be uploaded, and an upload refused for lack of push says so itself.
            401 | 403 => Ok(false),
            _ => Err(self.fail(&t, &url, resp, "mount")),
        }
    }

    /// Checks credentials the way `docker login` does: `GET /v2/` on the registry of `on` (any
    /// name there), answering a basic or bearer challenge with the client's credentials.
    pub fn check_login(&self, on: &ImageRef) -> Result<()> {
        let t = self.target(on)?;
        let url = format!("{}://{}/v2/", t.scheme, t.host);
        let resp = self.execute(&t, "", "GET", &url, &[], Body::Empty)?;
        let status = resp.status();
        if status.as_u16() == 200 {
            return Ok(());
        }
        Err(RegistryError::LoginFailed {
            url,
            status: format!(
                "{} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            )
            .trim_end()
            .to_owned(),
        })
    }

    fn location(&self, t: &Target, resp: &http::Response<ureq::Body>, digest: &Digest) -> Result<String> {
        let loc = header(resp, "location").ok_or(RegistryError::NoUploadLocation { digest: *digest })?;
        Ok(if loc.contains("://") {
            loc.to_owned()
        } else {
            format!("{}://{}{}", t.scheme, t.host, loc)
        })
    }

    /// Uploads blob `digest` of `size` bytes read from `source` unless the registry has it:
    /// one PUT when it fits in [`ClientOptions::chunk_size`], else PATCH chunks and a closing PUT.
    pub fn push_blob(
        &self,
        image: &ImageRef,
        digest: &Digest,
        size: u64,
        source: &mut dyn Read,
    ) -> Result<PushOutcome> {
        let t = self.target(image)?;
        if self.blob_exists_at(&t, digest)? {
            return Ok(PushOutcome::AlreadyExists);
        }
        self.upload_at(&t, digest, size, source)?;
        Ok(PushOutcome::Uploaded)
    }

    /// Uploads blob `digest` without asking first whether the registry has it, for a caller
    /// that just asked ([`push::push_image`] checks, then tries mounts, then uploads).
    pub fn upload_blob(&self, image: &ImageRef, digest: &Digest, size: u64, source: &mut dyn Read) -> Result<()> {
        let t = self.target(image)?;
        self.upload_at(&t, digest, size, source)
    }

    fn upload_at(&self, t: &Target, digest: &Digest, size: u64, source: &mut dyn Read) -> Result<()> {
        let scope = Self::push_scope(t);
        let start = self.url(t, "blobs/uploads/");
        let resp = self.execute(t, &scope, "POST", &start, &[], Body::Empty)?;
        if resp.status().as_u16() != 202 {
            return Err(self.fail(t, &start, resp, "upload"));
        }
        let mut location = self.location(t, &resp, digest)?;
        let chunk = self.opts.chunk_size.max(1);
        let read_exact = |source: &mut dyn Read, n: u64| -> Result<Vec<u8>> {
            let mut buf = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
            source
                .take(n)
                .read_to_end(&mut buf)
                .map_err(|source| RegistryError::UploadSource {
                    digest: *digest,
                    source,
                })?;
            if buf.len() as u64 != n {
                return Err(RegistryError::UploadSource {
                    digest: *digest,
                    source: io::ErrorKind::UnexpectedEof.into(),
                });
            }
            Ok(buf)
        };
        let join = |loc: &str| {
            format!(
                "{loc}{}digest={}",
                if loc.contains('?') { '&' } else { '?' },
                percent_encode(&digest.to_string())
            )
        };
        if size <= chunk {
            let bytes = read_exact(source, size)?;
            let url = join(&location);
            let headers = [("Content-Type", "application/octet-stream".to_owned())];
            let resp = self.execute(t, &scope, "PUT", &url, &headers, Body::Bytes(&bytes))?;
            if resp.status().as_u16() != 201 {
                return Err(self.fail(t, &url, resp, "upload"));
            }
            return Ok(());
        }
        let mut offset = 0u64;
        while offset < size {
            let n = chunk.min(size - offset);
            let bytes = read_exact(source, n)?;
            let headers = [
                ("Content-Type", "application/octet-stream".to_owned()),
                ("Content-Range", format!("{offset}-{}", offset + n - 1)),
            ];
            let resp = self.execute(t, &scope, "PATCH", &location, &headers, Body::Bytes(&bytes))?;
            if resp.status().as_u16() != 202 {
                return Err(self.fail(t, &location, resp, "upload"));
            }
            location = self.location(t, &resp, digest)?;
            offset += n;
        }
        let url = join(&location);
        let resp = self.execute(t, &scope, "PUT", &url, &[], Body::Empty)?;
        if resp.status().as_u16() != 201 {
            return Err(self.fail(t, &url, resp, "upload"));
        }
        Ok(())
    }

    /// Uploads a manifest under `tag` (or its digest); returns the manifest's digest.
    pub fn push_manifest(
        &self,
        image: &ImageRef,
        tag: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<Digest> {
        let t = self.target(image)?;
        let digest = Digest::of(bytes);
        let url = self.url(&t, &format!("manifests/{tag}"));
        let resp = self.execute(
            &t,
            &Self::push_scope(&t),
            "PUT",
            &url,
            &[("Content-Type", media_type.to_owned())],
            Body::Bytes(bytes),
        )?;
        if resp.status().as_u16() != 201 {
            return Err(self.fail(&t, &url, resp, "manifest upload"));
        }
        if let Some(d) = header(&resp, "docker-content-digest").and_then(|d| d.parse::<Digest>().ok()) {
            if d != digest {
                return Err(RegistryError::ManifestDigest {
                    expected: digest,
                    actual: d,
                });
            }
        }
        Ok(digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_and_named_registries_get_plain_http() {
        let c = Client::new(ClientOptions {
            insecure_registries: vec!["reg.lan:5000".into()],
            docker_config: None,
            ..ClientOptions::default()
        });
        assert_eq!(c.scheme_for("localhost:5000"), "http");
        assert_eq!(c.scheme_for("127.0.0.1:5000"), "http");
        assert_eq!(c.scheme_for("[::1]:5000"), "http");
        assert_eq!(c.scheme_for("reg.lan:5000"), "http");
        assert_eq!(c.scheme_for("ghcr.io"), "https");
        assert_eq!(c.scheme_for("localhost.evil.example"), "https");
    }

    #[test]
    fn registry_error_bodies_are_read() {
        let (code, msg) = error_body(
            br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]}"#,
        );
        assert_eq!(
            (code.as_str(), msg.as_str()),
            ("MANIFEST_UNKNOWN", "manifest unknown")
        );
        assert_eq!(error_body(b"oops").1, "oops");
    }

    #[test]
    fn token_refusals_quote_the_token_server() {
        assert_eq!(
            token_refusal(br#"{"details":"incorrect username or password"}"#),
            "incorrect username or password"
        );
        assert_eq!(
            token_refusal(br#"{"errors":[{"code":"DENIED","message":"no such user"}]}"#),
            "no such user"
        );
        assert_eq!(token_refusal(b"<html>nope</html>"), "authentication required");
        assert_eq!(token_refusal(br#"{"details":""}"#), "authentication required");
        let e = RegistryError::TokenRefused {
            url: "http://127.0.0.1:5000/v2/".into(),
            message: "incorrect username or password".into(),
        };
        assert_eq!(
            e.to_string(),
            "Get \"http://127.0.0.1:5000/v2/\": unauthorized: incorrect username or password"
        );
    }
}
