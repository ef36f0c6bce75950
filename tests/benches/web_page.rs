//! The browser lab's speed in headless Chromium, measured inside the page with `performance.now()`:
//! - the shipped size of the bundle (wasm + js, gzip at level 9), target under 400 KiB;
//! - first render: navigation start to the terminal's command input being in the page;
//! - a command to the updated pictures for an image of 10,000 files (`docker run -d` until the
//!   Layers panel draws the new container), target under 50 ms;
//! - opening a 100 MB `docker save` tarball through the page's file input, until it says loaded.
//!
//! Prints a table; a benchmark, not a test: nothing here fails on a slow figure. Run it with
//! scripts/bench-web.sh, which builds the release bundle first.

#[path = "../tests/it/web_e2e/page.rs"]
#[allow(dead_code)] // Screenshots are the end-to-end test's.
mod page;
#[path = "../tests/it/web_e2e/save.rs"]
#[allow(dead_code)] // The archive summary is for the end-to-end test to check against.
mod save;

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, Locator};
use serde_json::Value;

type R<T> = Result<T, String>;

const COMMAND_INPUT: &str = "input[aria-label=Command]";
const BUDGET_GZIP: u64 = 400 * 1024;
const COMMAND_TARGET_MS: f64 = 50.0;
/// Page loads and commands measured; the table shows the median.
const ROUNDS: usize = 7;

fn gzip_len(path: &Path) -> R<u64> {
    let bytes = std::fs::read(path).map_err(|e| format!("read {}: {e}", path.display()))?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&bytes).map_err(|e| format!("gzip: {e}"))?;
    let out = gz.finish().map_err(|e| format!("gzip: {e}"))?;
    Ok(out.len() as u64)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(f64::NAN)
}

async fn js(client: &Client, script: &str) -> R<Value> {
    client
        .execute(script, Vec::new())
        .await
        .map_err(|e| format!("script failed: {e}\n{script}"))
}

/// Polls `script` until it returns something other than null.
async fn poll(client: &Client, script: &str, what: &str, patience: Duration) -> R<Value> {
    let deadline = Instant::now() + patience;
    loop {
        let v = js(client, script).await?;
        if !v.is_null() {
            return Ok(v);
        }
        if Instant::now() > deadline {
            return Err(format!("{what}: nothing within {patience:?}"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs a Chrome DevTools command through chromedriver's `goog/cdp/execute` endpoint, which
/// fantoccini has no call for; a plain HTTP/1.1 POST is all it takes.
fn cdp(driver_port: u16, session: &str, cmd: &str, params: Value) -> R<()> {
    use std::io::{BufRead, Read};
    let body = serde_json::json!({ "cmd": cmd, "params": params }).to_string();
    let mut conn =
        std::net::TcpStream::connect(("127.0.0.1", driver_port)).map_err(|e| format!("chromedriver: {e}"))?;
    let request = format!(
        "POST /session/{session}/goog/cdp/execute HTTP/1.1\r\nHost: 127.0.0.1:{driver_port}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(request.as_bytes())
        .map_err(|e| format!("chromedriver: {e}"))?;
    // chromedriver keeps the connection open: read the head, then as many bytes as it announces.
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| format!("chromedriver: {e}"))?;
    let mut reader = std::io::BufReader::new(conn);
    let mut status = String::new();
    let mut length = 0usize;
    let mut line = String::new();
    reader
        .read_line(&mut status)
        .map_err(|e| format!("chromedriver: {e}"))?;
    loop {
        line.clear();
        reader
            .read_line(&mut line)
            .map_err(|e| format!("chromedriver: {e}"))?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length];
    reader
        .read_exact(&mut body)
        .map_err(|e| format!("chromedriver: {e}"))?;
    if status.starts_with("HTTP/1.1 200") {
        Ok(())
    } else {
        Err(format!(
            "{cmd} refused: {} {}",
            status.trim_end(),
            String::from_utf8_lossy(&body)
        ))
    }
}

/// Stamps, in every page the browser opens from now on, the moment the terminal's command input
/// appears: a MutationObserver installed before any of the page's own scripts run.
const STAMP_FIRST_RENDER: &str = "
    window.__firstRender = null;
    new MutationObserver((_, o) => {
      if (document.querySelector('input[aria-label=Command]')) {
        o.disconnect();
        window.__firstRender = performance.now();
      }
    }).observe(document, { subtree: true, childList: true });";

/// Navigation start to the command input, in ms (`performance.now()` counts from navigation
/// start), as stamped by [`STAMP_FIRST_RENDER`].
async fn first_render(client: &Client, url: &str) -> R<f64> {
    client.goto(url).await.map_err(|e| format!("open {url}: {e}"))?;
    let v = poll(
        client,
        "return window.__firstRender;",
        "the command input appearing",
        Duration::from_secs(60),
    )
    .await?;
    v.as_f64()
        .ok_or_else(|| format!("first render stamp is not a number: {v}"))
}

/// Opens `file` through the page's `#archive-input` and returns the ms from the input's change
/// event to the page saying it loaded the archive.
async fn open_archive(client: &Client, file: &Path, patience: Duration) -> R<f64> {
    js(
        client,
        "window.__open = { t0: null, result: null };
         const input = document.getElementById('archive-input');
         input.addEventListener('change', () => { window.__open.t0 = performance.now(); },
                                { capture: true, once: true });
         const check = (o) => {
           const s = document.querySelector('.archive-status');
           const state = s && s.dataset.state;
           if (window.__open.t0 !== null && (state === 'loaded' || state === 'failed')) {
             o.disconnect();
             window.__open.result = [state, performance.now() - window.__open.t0, s.textContent];
           }
         };
         new MutationObserver((_, o) => check(o))
           .observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });",
    )
    .await?;
    let input = client
        .find(Locator::Id("archive-input"))
        .await
        .map_err(|e| format!("no #archive-input: {e}"))?;
    input
        .send_keys(&file.display().to_string())
        .await
        .map_err(|e| format!("choose {}: {e}", file.display()))?;
    let v = poll(
        client,
        "return window.__open.result;",
        "opening the archive",
        patience,
    )
    .await?;
    let (state, ms, text): (String, f64, String) =
        serde_json::from_value(v).map_err(|e| format!("archive result: {e}"))?;
    if state != "loaded" {
        return Err(format!("the page could not open {}: {text}", file.display()));
    }
    Ok(ms)
}

/// Types `line` as the terminal receives it (input event, then Enter) and returns the ms from
/// Enter to the Layers panel drawing one more container, and to the next frame after that.
async fn command_to_pictures(client: &Client, line: &str) -> R<(f64, f64)> {
    let script = format!(
        "const line = {};
         window.__cmd = {{ t0: null, dom: null, frame: null }};
         const input = document.querySelector('{COMMAND_INPUT}');
         const count = () => document.querySelectorAll('figure.stack g.container').length;
         const before = count();
         const obs = new MutationObserver(() => {{
           if (window.__cmd.t0 !== null && window.__cmd.dom === null && count() > before) {{
             window.__cmd.dom = performance.now() - window.__cmd.t0;
             obs.disconnect();
             requestAnimationFrame(() => setTimeout(() => {{
               window.__cmd.frame = performance.now() - window.__cmd.t0; }}, 0));
           }}
         }});
         obs.observe(document.body, {{ subtree: true, childList: true }});
         const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
         set.call(input, line);
         input.dispatchEvent(new Event('input', {{ bubbles: true }}));
         window.__cmd.t0 = performance.now();
         input.dispatchEvent(new KeyboardEvent('keydown', {{ key: 'Enter', bubbles: true, cancelable: true }}));",
        Value::String(line.to_owned())
    );
    js(client, &script).await?;
    let v = poll(
        client,
        "return window.__cmd.frame === null ? null : [window.__cmd.dom, window.__cmd.frame];",
        &format!("`{line}` updating the pictures"),
        Duration::from_secs(30),
    )
    .await?;
    serde_json::from_value(v).map_err(|e| format!("command timing: {e}"))
}

fn write_archive(path: &Path, images: &[save::SavedImage]) -> R<u64> {
    let archive = save::docker_save(images)?;
    std::fs::write(path, &archive.bytes).map_err(|e| format!("write {}: {e}", path.display()))?;
    Ok(archive.bytes.len() as u64)
}

async fn bench(
    client: &Client,
    driver_port: u16,
    url: &str,
    scratch: &Path,
) -> R<Vec<(String, String, String)>> {
    let session = client
        .session_id()
        .await
        .map_err(|e| format!("session id: {e}"))?
        .ok_or("no WebDriver session")?;
    cdp(
        driver_port,
        &session,
        "Page.addScriptToEvaluateOnNewDocument",
        serde_json::json!({ "source": STAMP_FIRST_RENDER }),
    )?;
    let mut rows = Vec::new();
    let www = page::bundle_dir()?;
    let wasm = gzip_len(&www.join("pkg/layerlab_web_bg.wasm"))?;
    let glue = gzip_len(&www.join("pkg/layerlab_web.js"))?;
    rows.push((
        "bundle shipped (wasm + js, gzip -9)".to_owned(),
        format!("{} B ({wasm} + {glue})", wasm + glue),
        format!(
            "< {BUDGET_GZIP} B{}",
            if wasm + glue < BUDGET_GZIP {
                "  ok"
            } else {
                "  OVER"
            }
        ),
    ));

    let mut renders = Vec::new();
    for _ in 0..ROUNDS {
        renders.push(first_render(client, url).await?);
    }
    rows.push((
        "first render (navigation -> command input)".to_owned(),
        format!("{:.0} ms (median of {ROUNDS})", median(renders)),
        "-".to_owned(),
    ));

    // An image of 10,000 files on a small base, opened through the page like any saved image.
    let files = scratch.join("files-10k.tar");
    let size = write_archive(
        &files,
        &[save::SavedImage {
            tag: "bench/files:10k".to_owned(),
            layers: vec![
                ("ADD base /".to_owned(), save::files_layer("base", 100, 200)),
                (
                    "COPY app /srv/app".to_owned(),
                    save::files_layer("srv/app", 10_000, 100),
                ),
            ],
        }],
    )?;
    let open_10k = open_archive(client, &files, Duration::from_secs(120)).await?;
    let mut dom = Vec::new();
    let mut frame = Vec::new();
    for i in 0..ROUNDS {
        let (d, f) =
            command_to_pictures(client, &format!("docker run -d --name b{i} bench/files:10k")).await?;
        dom.push(d);
        frame.push(f);
    }
    let (d, f) = (median(dom), median(frame));
    rows.push((
        "command -> pictures, image of 10,000 files".to_owned(),
        format!("{d:.1} ms drawn, {f:.1} ms next frame (median of {ROUNDS})"),
        format!(
            "< {COMMAND_TARGET_MS} ms{}",
            if f < COMMAND_TARGET_MS { "  ok" } else { "  OVER" }
        ),
    ));
    rows.push((
        format!("open the 10,000-file tarball ({:.1} MB)", size as f64 / 1e6),
        format!("{open_10k:.0} ms"),
        "-".to_owned(),
    ));

    // 100 MB in four layers of 25 files of 1 MB: a fresh page, so nothing else is in memory.
    first_render(client, url).await?;
    let big = scratch.join("saved-100mb.tar");
    let layers = (0..4)
        .map(|i| {
            (
                format!("COPY part{i} /data/part{i}"),
                save::files_layer(&format!("data/part{i}"), 25, 1_000_000),
            )
        })
        .collect();
    let size = write_archive(
        &big,
        &[save::SavedImage {
            tag: "bench/big:100mb".to_owned(),
            layers,
        }],
    )?;
    let open_big = open_archive(client, &big, Duration::from_secs(300)).await?;
    rows.push((
        format!("open a docker save tarball of {:.1} MB", size as f64 / 1e6),
        format!("{open_big:.0} ms"),
        "-".to_owned(),
    ));
    Ok(rows)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if let Err(why) = run().await {
        eprintln!("web benchmark failed: {why}");
        std::process::exit(1);
    }
}

async fn run() -> R<()> {
    let www = page::bundle_dir()?;
    let server = page::StaticServer::start(www).map_err(|e| format!("static server: {e}"))?;
    let driver = page::ChromeDriver::start()?;
    let client = driver.session().await?;
    let scratch = std::env::temp_dir().join(format!("layerlab-bench-web-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| format!("create {}: {e}", scratch.display()))?;
    let result = async {
        client
            .update_timeouts(TimeoutConfiguration::new(
                Some(Duration::from_secs(120)),
                Some(Duration::from_secs(60)),
                None,
            ))
            .await
            .map_err(|e| format!("set timeouts: {e}"))?;
        bench(&client, driver.port, &server.url(), &scratch).await
    }
    .await;
    let _ = client.close().await;
    let _ = std::fs::remove_dir_all(&scratch);
    let rows = result?;
    let w0 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let w1 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    println!(
        "\nlayerlab browser lab, headless Chromium ({})",
        chromium_version()
    );
    println!("{:<w0$}  {:<w1$}  target", "figure", "measured");
    println!("{}", "-".repeat(w0 + w1 + 20));
    for (what, measured, target) in rows {
        println!("{what:<w0$}  {measured:<w1$}  {target}");
    }
    Ok(())
}

fn chromium_version() -> String {
    std::process::Command::new(std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".to_owned()))
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| "version unknown".to_owned())
}
