//! A registry behind token auth, with the token server played by the test: the flow Docker
//! Hub uses (`401` with `WWW-Authenticate: Bearer realm=…,service=…,scope=…`, then
//! `GET <realm>?service=…&scope=…` for a signed JWT), exercised against Debian's real
//! `docker-registry`, which verifies every token.
//!
//! The registry (distribution 2.8) accepts a token whose header carries an `x5c` certificate
//! chain ending in its `rootcertbundle`; here the chain is one self-signed certificate, and
//! the bundle holds exactly that certificate. It then checks `iss` against `issuer`, `aud`
//! against `service`, `exp`/`nbf` with 60 s of leeway, the ES256 signature, and that the
//! `access` claim covers every action the request needs.
//!
//! The token server grants only what was asked and what the caller may have: anonymous callers
//! get `pull`, callers with a known user name and password get `pull` and `push`, a wrong
//! password gets Docker Hub's `401 {"details":"incorrect username or password"}`. It records
//! every request so that tests can count them, and can be switched to issue expired tokens or
//! tokens signed by a key the registry does not trust.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};

use super::{FakeServer, Registry, Reply, Request};

pub const SERVICE: &str = "layerlab-test-registry";
pub const ISSUER: &str = "layerlab-test-token-issuer";

/// What the token server hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Valid,
    /// `exp` an hour ago: beyond the registry's leeway.
    Expired,
    /// Signed by a freshly made key whose certificate is not in the root bundle.
    Untrusted,
}

/// One `GET /token` as the token server saw and answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// `scope` parameters, in order (`repository:demo/app:pull,push`).
    pub scopes: Vec<String>,
    pub service: Option<String>,
    /// The user name of the basic credentials sent, if any.
    pub user: Option<String>,
    /// HTTP status of the answer.
    pub status: u16,
    /// `repository:<name>:<actions>` as granted in the token's `access` claim.
    pub granted: Vec<String>,
}

/// A signing identity: key (PKCS#8 DER) and its self-signed certificate.
struct Signer {
    key_der: Vec<u8>,
    cert_der: Vec<u8>,
    cert_pem: String,
}

impl Signer {
    fn new(name: &str) -> Signer {
        let key = rcgen::KeyPair::generate().expect("generate a P-256 key");
        let mut params = rcgen::CertificateParams::new(vec![name.to_owned()]).expect("certificate params");
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        let cert = params.self_signed(&key).expect("self-sign");
        Signer {
            key_der: key.serialize_der(),
            cert_der: cert.der().to_vec(),
            cert_pem: cert.pem(),
        }
    }

    fn sign(&self, claims: &serde_json::Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.x5c = Some(vec![
            base64::engine::general_purpose::STANDARD.encode(&self.cert_der),
        ]);
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ec_der(&self.key_der))
            .expect("sign the token")
    }
}

/// The token server: a loopback HTTP server answering `GET /token`.
pub struct TokenServer {
    server: FakeServer,
    /// `http://127.0.0.1:<port>/token`
    pub realm: String,
    cert_pem: String,
    mode: Arc<Mutex<Mode>>,
    requests: Arc<Mutex<Vec<TokenRequest>>>,
    forbidden: Arc<Mutex<Vec<String>>>,
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// `repository:demo/app:pull,push` → (`repository`, `demo/app`, [`pull`, `push`]).
fn parse_scope(scope: &str) -> Option<(&str, &str, Vec<&str>)> {
    let (kind, rest) = scope.split_once(':')?;
    let (name, actions) = rest.rsplit_once(':')?;
    Some((kind, name, actions.split(',').filter(|a| !a.is_empty()).collect()))
}

impl TokenServer {
    /// Starts a token server that knows one user.
    pub fn start(user: &str, password: &str) -> TokenServer {
        let signer = Arc::new(Signer::new("layerlab test token issuer"));
        let mode = Arc::new(Mutex::new(Mode::Valid));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (user, password) = (user.to_owned(), password.to_owned());
        let (mode2, requests2, signer2) = (mode.clone(), requests.clone(), signer.clone());
        let forbidden = Arc::new(Mutex::new(Vec::<String>::new()));
        let forbidden2 = forbidden.clone();
        let serial = Arc::new(Mutex::new(0u64));
        let server = FakeServer::start_full(move |q: &Request| {
            let (path, query) = q.path.split_once('?').unwrap_or((q.path.as_str(), ""));
            if q.method != "GET" || path != "/token" {
                return Reply::status(404);
            }
            let mut scopes = Vec::new();
            let mut service = None;
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                match k {
                    "scope" => scopes.push(percent_decode(v)),
                    "service" => service = Some(percent_decode(v)),
                    _ => {}
                }
            }
            // Basic credentials, when sent, must be right: a wrong password is refused even
            // for a pull that anonymous callers could make.
            let sent = q
                .auth
                .as_deref()
                .and_then(|a| a.strip_prefix("Basic "))
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.split_once(':').map(|(u, p)| (u.to_owned(), p.to_owned())));
            let record = |status: u16, granted: Vec<String>| TokenRequest {
                scopes: scopes.clone(),
                service: service.clone(),
                user: sent.as_ref().map(|(u, _)| u.clone()),
                status,
                granted,
            };
            if q.auth.is_some() && sent.as_ref() != Some(&(user.clone(), password.clone())) {
                requests2.lock().expect("lock").push(record(401, vec![]));
                return Reply {
                    status: 401,
                    headers: vec![("Content-Type".into(), "application/json".into())],
                    body: br#"{"details":"incorrect username or password"}"#.to_vec(),
                    content_length: None,
                };
            }
            let allowed: &[&str] = if sent.is_some() {
                &["pull", "push"]
            } else {
                &["pull"]
            };
            let mut access = Vec::new();
            let mut granted = Vec::new();
            for scope in &scopes {
                let Some(("repository", name, actions)) = parse_scope(scope) else {
                    continue;
                };
                let closed = forbidden2.lock().expect("lock").iter().any(|f| f == name);
                let actions: Vec<&str> = actions
                    .into_iter()
                    .filter(|a| allowed.contains(a) && !closed)
                    .collect();
                granted.push(format!("repository:{name}:{}", actions.join(",")));
                access.push(serde_json::json!({"type": "repository", "name": name, "actions": actions}));
            }
            let mode = *mode2.lock().expect("lock");
            let t = now();
            let (exp, nbf) = match mode {
                Mode::Expired => (t - 3600, t - 7200),
                _ => (t + 300, t - 10),
            };
            let jti = {
                let mut n = serial.lock().expect("lock");
                *n += 1;
                *n
            };
            let claims = serde_json::json!({
                "iss": ISSUER,
                "sub": sent.as_ref().map(|(u, _)| u.as_str()).unwrap_or(""),
                "aud": service.clone().unwrap_or_default(),
                "exp": exp, "nbf": nbf, "iat": t,
                "jti": format!("token-{jti}"),
                "access": access,
            });
            let token = match mode {
                Mode::Untrusted => Signer::new("an issuer nobody trusts").sign(&claims),
                _ => signer2.sign(&claims),
            };
            requests2.lock().expect("lock").push(record(200, granted));
            Reply::ok(
                serde_json::to_vec(&serde_json::json!({
                    "token": token, "access_token": token, "expires_in": 300,
                    "issued_at": "2026-01-01T00:00:00Z",
                }))
                .expect("token json"),
                "application/json",
            )
        });
        TokenServer {
            realm: format!("http://{}/token", server.host),
            server,
            cert_pem: signer.cert_pem.clone(),
            mode,
            requests,
            forbidden,
        }
    }

    /// From now on, grant nothing at all on `repository`, to anyone.
    pub fn forbid(&self, repository: &str) {
        self.forbidden.lock().expect("lock").push(repository.to_owned());
    }

    /// From now on, hand out tokens of this kind.
    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().expect("lock") = mode;
    }

    /// Every token request so far.
    pub fn requests(&self) -> Vec<TokenRequest> {
        self.requests.lock().expect("lock").clone()
    }

    /// Forgets the requests seen so far.
    pub fn clear(&self) {
        self.requests.lock().expect("lock").clear();
        self.server.seen.lock().expect("lock").clear();
    }

    /// Starts a registry that trusts this token server.
    pub fn registry(&self) -> Registry {
        let dir = tempfile::tempdir().expect("tempdir");
        let bundle = dir.path().join("token-root.pem");
        std::fs::write(&bundle, &self.cert_pem).expect("write the root bundle");
        let auth = format!(
            "auth:\n  token:\n    realm: {}\n    service: {SERVICE}\n    issuer: {ISSUER}\n    rootcertbundle: {}\n",
            self.realm,
            bundle.display()
        );
        Registry::start_with(dir, &auth)
    }
}

#[test]
fn scopes_and_query_strings_are_read_as_the_registry_writes_them() {
    assert_eq!(
        parse_scope("repository:demo/app:pull,push"),
        Some(("repository", "demo/app", vec!["pull", "push"]))
    );
    assert_eq!(
        parse_scope("registry:catalog:*"),
        Some(("registry", "catalog", vec!["*"]))
    );
    assert_eq!(parse_scope("nonsense"), None);
    assert_eq!(
        percent_decode("repository%3Ademo%2Fapp%3Apull%2Cpush"),
        "repository:demo/app:pull,push"
    );
    assert_eq!(percent_decode("a+b%2"), "a b%2");
}
