//! The browser lab served and driven for real: the built bundle under `www/` on a small static
//! server, Debian's chromedriver on a free port, and headless Chromium through WebDriver.
//! Shared by the end-to-end test (tests/it/web_e2e.rs) and the page benchmark
//! (benches/web_page.rs).
//!
//! The server is a few dozen lines of std rather than a crate: it serves a handful of files to one
//! local browser, and the page needs nothing but GET and the right Content-Type (`.wasm` must be
//! `application/wasm` for streaming compilation).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;

/// The files the page needs from `www/`; missing ones mean the bundle was not built.
const BUNDLE_FILES: [&str; 3] = ["index.html", "pkg/layerlab_web.js", "pkg/layerlab_web_bg.wasm"];

/// The repository's `www/`, or `LAYERLAB_WWW` if set.
pub fn www_dir() -> PathBuf {
    match std::env::var_os("LAYERLAB_WWW") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../www"),
    }
}

/// `www/` when the built bundle is in it; otherwise a message saying how to build it.
pub fn bundle_dir() -> Result<PathBuf, String> {
    let www = www_dir();
    let missing: Vec<String> = BUNDLE_FILES
        .iter()
        .map(|f| www.join(f))
        .filter(|p| !p.is_file())
        .map(|p| p.display().to_string())
        .collect();
    if missing.is_empty() {
        Ok(www)
    } else {
        Err(format!(
            "the browser lab's bundle is not built (missing {}): run `scripts/lab.sh --build-only` \
             first (scripts/test.sh does it before the host tests)",
            missing.join(", ")
        ))
    }
}

/// Where screenshots and other browser artifacts go: `target/e2e-screenshots/` (the shared target
/// dir when `CARGO_TARGET_DIR` is set), kept by CI as artifacts.
pub fn screenshot_dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
    };
    target.join("e2e-screenshots")
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        Some("woff2") => "font/woff2",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// A static file server for one directory on 127.0.0.1, stopped when dropped.
#[derive(Debug)]
pub struct StaticServer {
    pub port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl StaticServer {
    pub fn start(root: PathBuf) -> std::io::Result<StaticServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    let root = root.clone();
                    std::thread::spawn(move || serve(conn, &root));
                }
            }
        });
        Ok(StaticServer {
            port,
            stop,
            thread: Some(thread),
        })
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The file a request path names below `root`, refusing anything that climbs out of it.
fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or_default();
    let mut out = root.to_path_buf();
    for c in Path::new(path.trim_start_matches('/')).components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if out.is_dir() {
        out.push("index.html");
    }
    out.is_file().then_some(out)
}

fn serve(conn: TcpStream, root: &Path) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(read_half) = conn.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    // Headers are read and ignored: every answer is the whole file.
    let mut header = String::new();
    while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
        header.clear();
    }
    let mut words = request.split_whitespace();
    let (method, target) = (words.next().unwrap_or_default(), words.next().unwrap_or("/"));
    let mut conn = conn;
    let reply = match (method, resolve(root, target)) {
        ("GET" | "HEAD", Some(file)) => match std::fs::read(&file) {
            Ok(body) => Some((200, "OK", content_type(&file), body)),
            Err(_) => None,
        },
        ("GET" | "HEAD", None) => None,
        _ => Some((405, "Method Not Allowed", "text/plain", b"GET only\n".to_vec())),
    };
    let (status, reason, ctype, body) =
        reply.unwrap_or((404, "Not Found", "text/plain", b"not found\n".to_vec()));
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = conn.write_all(head.as_bytes());
    if method != "HEAD" {
        let _ = conn.write_all(&body);
    }
    let _ = conn.flush();
    let _ = conn.shutdown(Shutdown::Write);
    // Drain what the browser may still send so the close is not a reset.
    let _ = reader.read(&mut [0u8; 512]);
}

/// A free TCP port on 127.0.0.1 (free when asked; chromedriver binds it right after).
fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Debian's chromedriver on a free port, killed when dropped.
#[derive(Debug)]
pub struct ChromeDriver {
    pub port: u16,
    child: Child,
}

impl ChromeDriver {
    /// Starts `$CHROMEDRIVER` (default `/usr/bin/chromedriver`) and waits until it listens.
    pub fn start() -> Result<ChromeDriver, String> {
        let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned());
        if !Path::new(&bin).is_file() {
            return Err(format!(
                "chromedriver not found at {bin}: install Debian's chromium and chromium-driver \
                 (scripts/test.sh does), or set CHROMEDRIVER"
            ));
        }
        let port = free_port().map_err(|e| format!("no free port for chromedriver: {e}"))?;
        let child = Command::new(&bin)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not start {bin}: {e}"))?;
        let driver = ChromeDriver { port, child };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err(format!("{bin} did not listen on port {port} within 20 s"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(driver)
    }

    /// A headless Chromium session. As root Chromium needs `--no-sandbox`; the other flags keep
    /// it from reaching out to the network or being throttled while headless.
    pub async fn session(&self) -> Result<Client, String> {
        let mut caps = serde_json::Map::new();
        let mut options = serde_json::json!({
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-background-timer-throttling",
                "--disable-renderer-backgrounding",
                "--disable-extensions",
                "--disable-sync",
                "--no-first-run",
                "--no-default-browser-check",
                "--window-size=1400,1000",
            ]
        });
        if let Ok(binary) = std::env::var("CHROMIUM") {
            options["binary"] = serde_json::Value::String(binary);
        }
        caps.insert("goog:chromeOptions".to_owned(), options);
        ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .map_err(|e| format!("could not open a Chromium session through chromedriver: {e}"))
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
