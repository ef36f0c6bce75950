//! Test harness for the image side: a real registry (Debian's `docker-registry`) on a free
//! loopback port, optionally behind htpasswd basic auth, killed when dropped; fixture images
//! built here from `/bin/busybox`; a tiny misbehaving HTTP server for fault injection.

pub mod fixture;
pub mod output;
pub mod token;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A running `docker-registry serve`, stopped on drop.
pub struct Registry {
    child: Child,
    /// `127.0.0.1:<port>`
    pub host: String,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local addr").port()
}

impl Registry {
    /// Starts a registry with temporary storage; with `auth`, htpasswd basic auth for that user.
    pub fn start(auth: Option<(&str, &str)>) -> Registry {
        let bin = "/usr/bin/docker-registry";
        assert!(
            Path::new(bin).exists(),
            "{bin} is missing: these tests need Debian's registry (apt-get install docker-registry apache2-utils busybox-static)"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let mut auth_yaml = String::new();
        if let Some((user, pass)) = auth {
            let out = Command::new("htpasswd")
                .args(["-Bbn", user, pass])
                .output()
                .expect("htpasswd (apache2-utils) runs");
            assert!(
                out.status.success(),
                "htpasswd failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let file = dir.path().join("htpasswd");
            std::fs::write(&file, &out.stdout).expect("write htpasswd");
            auth_yaml = format!(
                "auth:\n  htpasswd:\n    realm: basic-realm\n    path: {}\n",
                file.display()
            );
        }
        Registry::start_with(dir, &auth_yaml)
    }

    /// Starts a registry whose config ends with `auth_yaml` (an `auth:` section or nothing),
    /// keeping its files in `dir`.
    pub fn start_with(dir: tempfile::TempDir, auth_yaml: &str) -> Registry {
        let bin = "/usr/bin/docker-registry";
        let host = format!("127.0.0.1:{}", free_port());
        let config = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {host}\n{auth_yaml}",
            dir.path().join("data").display()
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).expect("write config");
        let log = std::fs::File::create(dir.path().join("registry.log")).expect("log file");
        let child = Command::new(bin)
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start docker-registry");
        let mut reg = Registry {
            child,
            host,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = reg.child.try_wait() {
                panic!("docker-registry exited ({status}):\n{}", reg.log());
            }
            if let Ok(mut s) = TcpStream::connect(&reg.host) {
                let _ = write!(s, "GET /v2/ HTTP/1.0\r\nHost: {}\r\n\r\n", reg.host);
                let mut line = String::new();
                if BufReader::new(s).read_line(&mut line).is_ok() && line.starts_with("HTTP/1.") {
                    return reg;
                }
            }
            assert!(
                Instant::now() < deadline,
                "docker-registry did not come up on {}",
                reg.host
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Registry {
    /// What the registry logged (errors only, unless the config asks for more).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("registry.log")).unwrap_or_default()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One canned HTTP response.
#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Announce this Content-Length instead of the body's real length (for short bodies).
    pub content_length: Option<usize>,
}

impl Reply {
    pub fn ok(body: Vec<u8>, content_type: &str) -> Reply {
        Reply {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body,
            content_length: None,
        }
    }
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: vec![],
            body: vec![],
            content_length: None,
        }
    }
}

/// A request as the fake server saw it: method, path and Authorization header.
pub type Seen = (String, String, Option<String>);

/// A one-thread HTTP/1.1 server on 127.0.0.1 that answers with `route(method, path,
/// authorization)` and records every request it saw.
pub struct FakeServer {
    pub host: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    pub seen: Arc<std::sync::Mutex<Vec<Seen>>>,
}

/// What the fake server passes to a full route.
pub struct Request {
    pub method: String,
    pub path: String,
    pub auth: Option<String>,
    pub range: Option<String>,
}

impl FakeServer {
    pub fn start(route: impl Fn(&str, &str, Option<&str>) -> Reply + Send + 'static) -> FakeServer {
        Self::start_full(move |q: &Request| route(&q.method, &q.path, q.auth.as_deref()))
    }

    pub fn start_full(route: impl Fn(&Request) -> Reply + Send + 'static) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let host = listener.local_addr().expect("addr").to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (stop2, seen2) = (stop.clone(), seen.clone());
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                let Ok((stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                let _ = stream.set_nonblocking(false);
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let mut parts = line.split_whitespace();
                let (method, path) = (
                    parts.next().unwrap_or("").to_owned(),
                    parts.next().unwrap_or("").to_owned(),
                );
                let mut auth = None;
                let mut range = None;
                let mut len = 0usize;
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':') {
                        if k.eq_ignore_ascii_case("authorization") {
                            auth = Some(v.trim().to_owned());
                        }
                        if k.eq_ignore_ascii_case("range") {
                            range = Some(v.trim().to_owned());
                        }
                        if k.eq_ignore_ascii_case("content-length") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                    }
                }
                let mut body = vec![0u8; len];
                let _ = reader.read_exact(&mut body);
                let request = Request {
                    method,
                    path,
                    auth,
                    range,
                };
                let reply = route(&request);
                let Request {
                    method, path, auth, ..
                } = request;
                seen2.lock().expect("lock").push((method.clone(), path, auth));
                let mut stream = reader.into_inner();
                let mut head = format!("HTTP/1.1 {} X\r\nConnection: close\r\n", reply.status);
                for (k, v) in &reply.headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str(&format!(
                    "Content-Length: {}\r\n\r\n",
                    reply.content_length.unwrap_or(reply.body.len())
                ));
                let _ = stream.write_all(head.as_bytes());
                if method != "HEAD" {
                    let _ = stream.write_all(&reply.body);
                }
                let _ = stream.flush();
            }
        });
        FakeServer {
            host,
            stop,
            thread: Some(thread),
            seen,
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Every path under `dir` (relative), for "nothing else changed" checks.
pub fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            out.push(
                p.strip_prefix(dir)
                    .map(|r| r.display().to_string())
                    .unwrap_or_default(),
            );
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}
