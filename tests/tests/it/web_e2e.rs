//! The browser lab end to end: the built bundle served from `www/`, driven through WebDriver in
//! Debian's headless Chromium. Each test types commands into the page's terminal and runs the same
//! lines on core's simulator beside it, then checks that the page shows what core says: the
//! terminal's output word for word, one layer box per layer of every image, the layers two images
//! share marked shared, and the disk ledger's byte counts. Screenshots go to
//! `target/e2e-screenshots/` for CI to keep.
//!
//! Needs the bundle (`scripts/lab.sh --build-only`; scripts/test.sh builds it before the host
//! tests) and chromium + chromium-driver; without them the tests fail and say so.

mod page;
mod save;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use layerlab_core::cli::format::human_size;
use layerlab_core::engine::{Simulator, Stream};
use serde_json::Value;

use page::{ChromeDriver, StaticServer};

type R<T> = Result<T, String>;

/// How long the page may take to show what a command did (the first load compiles the wasm).
const PATIENCE: Duration = Duration::from_secs(30);
const COMMAND_INPUT: &str = "input[aria-label=Command]";

/// One line of the terminal as the page shows it: its class (`line cmd`, `line stdout`, ...) and
/// its text.
type ScreenLine = (String, String);

/// One image's figure in the Layers panel, counted from the DOM.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Figure {
    layers: u64,
    shared: u64,
    empty: u64,
    containers: u64,
}

/// A page in Chromium beside a simulator fed the same lines.
struct Lab {
    client: Client,
    sim: Simulator,
    test: &'static str,
    shots: Vec<PathBuf>,
    // Dropped after the client: the browser, then the page's server.
    _driver: ChromeDriver,
    _server: StaticServer,
}

impl Lab {
    async fn open(test: &'static str) -> R<Lab> {
        let www = page::bundle_dir()?;
        let server = StaticServer::start(www).map_err(|e| format!("static server: {e}"))?;
        let driver = ChromeDriver::start()?;
        let client = driver.session().await?;
        let lab = Lab {
            client,
            sim: Simulator::new(),
            test,
            shots: Vec::new(),
            _driver: driver,
            _server: server,
        };
        lab.client
            .goto(&lab._server.url())
            .await
            .map_err(|e| format!("open {}: {e}", lab._server.url()))?;
        lab.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(COMMAND_INPUT))
            .await
            .map_err(|e| format!("the lab did not show its command input within {PATIENCE:?}: {e}"))?;
        Ok(lab)
    }

    async fn js(&self, script: &str) -> R<Value> {
        self.client
            .execute(script, Vec::new())
            .await
            .map_err(|e| format!("script failed: {e}\n{script}"))
    }

    async fn screen(&self) -> R<Vec<ScreenLine>> {
        let v = self
            .js(
                "return Array.from(document.querySelectorAll('pre.screen span.line'))\
                 .map(s => [s.className, s.textContent]);",
            )
            .await?;
        serde_json::from_value(v).map_err(|e| format!("terminal lines: {e}"))
    }

    async fn find(&self, css: &str) -> R<Element> {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .map_err(|e| format!("no element {css} within {PATIENCE:?}: {e}"))
    }

    async fn click(&self, css: &str) -> R<()> {
        self.find(css)
            .await?
            .click()
            .await
            .map_err(|e| format!("click {css}: {e}"))
    }

    /// Types `line` into the terminal and presses Enter, runs it on the simulator too, and waits
    /// until the terminal shows the command and exactly what the simulator printed for it.
    async fn run(&mut self, line: &str) -> R<()> {
        let before = self.screen().await?.len();
        let input = self.find(COMMAND_INPUT).await?;
        input
            .send_keys(line)
            .await
            .map_err(|e| format!("type {line:?}: {e}"))?;
        input
            .send_keys(&Key::Enter.to_string())
            .await
            .map_err(|e| format!("press Enter after {line:?}: {e}"))?;
        let out = self.sim.run_line(line);
        let mut want = vec![("line cmd".to_owned(), format!("$ {line}\n"))];
        // The page shows both streams in the order core printed them.
        for (stream, text) in out.interleaved() {
            let class = match stream {
                Stream::Stdout => "line stdout",
                Stream::Stderr => "line stderr",
            };
            let text = if text.ends_with('\n') {
                text.to_owned()
            } else {
                format!("{text}\n")
            };
            want.push((class.to_owned(), text));
        }
        let deadline = Instant::now() + PATIENCE;
        loop {
            let lines = self.screen().await?;
            let shown = lines.get(before..).unwrap_or_default();
            if shown.len() >= want.len() {
                if shown == want.as_slice() {
                    return Ok(());
                }
                return Err(format!(
                    "after `{line}` the terminal shows\n{shown:#?}\nbut the simulator printed\n{want:#?}"
                ));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "after `{line}` the terminal showed only\n{shown:#?}\nwithin {PATIENCE:?}; expected\n{want:#?}"
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The Layers panel's figures by image name.
    async fn figures(&self) -> R<BTreeMap<String, Figure>> {
        let v = self
            .js(
                "return Array.from(document.querySelectorAll('figure.stack')).map(f => [\
                   f.querySelector('.image-name').textContent,\
                   f.querySelectorAll('g.layer').length,\
                   f.querySelectorAll('g.layer.shared').length,\
                   f.querySelectorAll('g.empty-layer').length,\
                   f.querySelectorAll('g.container').length]);",
            )
            .await?;
        let rows: Vec<(String, u64, u64, u64, u64)> =
            serde_json::from_value(v).map_err(|e| format!("figures: {e}"))?;
        Ok(rows
            .into_iter()
            .map(|(name, layers, shared, empty, containers)| {
                (
                    name,
                    Figure {
                        layers,
                        shared,
                        empty,
                        containers,
                    },
                )
            })
            .collect())
    }

    /// What the Layers panel should show, from the simulator's store: per image, its layers, how
    /// many of them another image also has, its history rows without a layer, and its containers.
    fn expected_figures(&self) -> BTreeMap<String, Figure> {
        let store = self.sim.store();
        store
            .images()
            .map(|image| {
                let name = store
                    .tags_of(&image.id)
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| format!("<none> ({})", image.id.short()));
                let shared = image
                    .layers
                    .iter()
                    .filter(|chain| store.users_of(chain).images.len() > 1)
                    .count();
                let empty = image
                    .config
                    .history()
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .filter(|h| h.empty_layer().unwrap_or(false))
                    .count();
                let containers = self
                    .sim
                    .containers()
                    .iter()
                    .filter(|c| c.image == image.id)
                    .count();
                let figure = Figure {
                    layers: image.layers.len() as u64,
                    shared: shared as u64,
                    empty: empty as u64,
                    containers: containers as u64,
                };
                (name, figure)
            })
            .collect()
    }

    /// Waits until the Layers panel matches the simulator.
    async fn check_figures(&self, after: &str) -> R<BTreeMap<String, Figure>> {
        let want = self.expected_figures();
        let deadline = Instant::now() + PATIENCE;
        loop {
            let got = self.figures().await?;
            if got == want {
                return Ok(got);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "after `{after}` the Layers panel shows\n{got:#?}\nbut the simulator has\n{want:#?}"
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Saves a PNG of the page as `<test>-<name>.png` under target/e2e-screenshots/.
    async fn screenshot(&mut self, name: &str) -> R<()> {
        let png = self
            .client
            .screenshot()
            .await
            .map_err(|e| format!("screenshot {name}: {e}"))?;
        if !png.starts_with(b"\x89PNG") {
            return Err(format!("screenshot {name} is not a PNG"));
        }
        let dir = page::screenshot_dir();
        std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
        let path = dir.join(format!("{}-{name}.png", self.test));
        std::fs::write(&path, &png).map_err(|e| format!("write {}: {e}", path.display()))?;
        self.shots.push(path);
        Ok(())
    }

    /// Ends the browser session, then reports how the test went.
    async fn finish(self, result: R<()>) {
        let Lab { client, shots, .. } = self;
        let closed = client.close().await;
        for shot in &shots {
            eprintln!("screenshot: {}", shot.display());
        }
        if let Err(why) = result {
            panic!("{why}");
        }
        if let Err(e) = closed {
            panic!("closing the browser session failed: {e}");
        }
    }
}

/// Opens the lab for `test`, or fails the test with what is missing.
async fn open(test: &'static str) -> Lab {
    match Lab::open(test).await {
        Ok(lab) => lab,
        Err(why) => panic!("{why}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminal_and_pictures_follow_the_lessons_commands() {
    let mut lab = open("pictures").await;
    let result = pictures_scenario(&mut lab).await;
    lab.finish(result).await;
}

async fn pictures_scenario(lab: &mut Lab) -> R<()> {
    lab.screenshot("01-start").await?;
    if !lab.figures().await?.is_empty() {
        return Err("a fresh lab draws images before any command ran".to_owned());
    }

    // The lesson's first command: pull and run nginx:1.15.8.
    lab.run("docker run nginx:1.15.8").await?;
    let figures = lab.check_figures("docker run nginx:1.15.8").await?;
    let nginx = figures
        .get("nginx:1.15.8")
        .ok_or_else(|| format!("no figure named nginx:1.15.8 in {figures:#?}"))?;
    if nginx.layers < 2 || nginx.shared != 0 {
        return Err(format!(
            "nginx:1.15.8 alone should have several unshared layers: {nginx:?}"
        ));
    }

    // debian:stretch-slim is nginx:1.15.8's base: its layer is now drawn shared in both.
    lab.run("docker pull debian:stretch-slim").await?;
    let figures = lab.check_figures("docker pull debian:stretch-slim").await?;
    let shared: u64 = figures.values().map(|f| f.shared).sum();
    if figures.len() != 2 || shared < 2 {
        return Err(format!(
            "two images sharing a base should both mark it shared: {figures:#?}"
        ));
    }
    lab.run("docker history nginx:1.15.8").await?;
    lab.run("docker images").await?;

    // A second container that writes a file: a writable layer with bytes in it.
    lab.run("docker run -d --name web nginx:1.15.8").await?;
    lab.run("docker exec web sh -c 'echo hello > /usr/share/nginx/html/hello.html'")
        .await?;
    lab.run("docker ps -a -s").await?;
    lab.run("docker system df").await?;
    lab.check_figures("docker exec web ...").await?;
    lab.screenshot("02-layers").await?;

    lab.click("#tab-disk").await?;
    check_disk(lab).await?;
    lab.screenshot("03-disk").await?;
    Ok(())
}

/// The Disk panel: each container's SIZE and virtual size, and every row of the ledger, in bytes
/// (each figure's exact count is in its title), against the simulator's.
async fn check_disk(lab: &Lab) -> R<()> {
    let mut want_rows = Vec::new();
    for c in lab.sim.containers() {
        let size = lab.sim.container_size(c);
        want_rows.push(vec![
            c.name.clone(),
            c.image_name.clone(),
            format!(
                "{} bytes in the writable layer; {} bytes with the image",
                size.size_rw, size.size_root_fs
            ),
            format!(
                "{} (virtual {})",
                human_size(size.size_rw),
                human_size(size.size_root_fs)
            ),
        ]);
    }
    if !want_rows.iter().any(|r| !r[2].starts_with("0 bytes")) {
        return Err("the scenario should leave a container with bytes in its writable layer".to_owned());
    }
    let ledger = lab.sim.ledger();
    let want_ledger: Vec<(String, u64)> = [
        ("image layers, each stored once", ledger.image_layers),
        ("writable container layers", ledger.writable_layers()),
        ("counted by the formula", ledger.formula_part()),
        ("json-file logs", ledger.logs()),
        ("volumes", ledger.volumes),
        ("container config files", ledger.config()),
        ("checkpoints", ledger.checkpoints()),
        ("build cache", ledger.build_cache),
        ("left out by the formula", ledger.left_out()),
        ("total", ledger.total()),
    ]
    .into_iter()
    .map(|(label, bytes)| (label.to_owned(), bytes))
    .collect();

    let deadline = Instant::now() + PATIENCE;
    loop {
        let v = lab
            .js("const t = document.querySelector('table.sizes');\
                 const l = document.querySelector('table.ledger');\
                 if (!l) return null;\
                 return [t ? Array.from(t.querySelectorAll('tbody tr')).map(tr => [\
                           tr.cells[0].textContent, tr.cells[1].textContent,\
                           tr.cells[2].title, tr.cells[2].textContent.trim()]) : [],\
                         Array.from(l.querySelectorAll('tr')).map(tr => [\
                           tr.cells[0].textContent, tr.cells[1].title, tr.cells[1].textContent])];")
            .await?;
        if !v.is_null() {
            let (rows, ledger_rows): (Vec<Vec<String>>, Vec<(String, String, String)>) =
                serde_json::from_value(v).map_err(|e| format!("disk panel: {e}"))?;
            let got_ledger: Vec<(String, u64)> = ledger_rows
                .iter()
                .map(|(label, title, _)| {
                    let bytes = title
                        .strip_suffix(" bytes")
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(u64::MAX);
                    (label.clone(), bytes)
                })
                .collect();
            let shown_ok = ledger_rows
                .iter()
                .zip(&want_ledger)
                .all(|((_, _, text), (_, bytes))| *text == human_size(*bytes));
            if rows == want_rows && got_ledger == want_ledger && shown_ok {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the Disk panel shows containers\n{rows:#?}\nand ledger\n{ledger_rows:#?}\n\
                     but the simulator has\n{want_rows:#?}\n{want_ledger:#?}"
                ));
            }
        } else if Instant::now() > deadline {
            return Err("the Disk tab shows no ledger table".to_owned());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_docker_save_tarball_opens_into_the_pictures() {
    let mut lab = open("archive").await;
    let result = archive_scenario(&mut lab).await;
    lab.finish(result).await;
}

/// Two images saved into one tarball, the second built on the first's base layer.
fn two_images_sharing_a_base() -> R<save::Archive> {
    let base = save::files_layer("base", 40, 300);
    save::docker_save(&[
        save::SavedImage {
            tag: "demo/base:1".to_owned(),
            layers: vec![("ADD rootfs.tar /".to_owned(), base.clone())],
        },
        save::SavedImage {
            tag: "demo/app:1".to_owned(),
            layers: vec![
                ("ADD rootfs.tar /".to_owned(), base),
                (
                    "COPY app /srv/app".to_owned(),
                    save::files_layer("srv/app", 12, 2000),
                ),
                (
                    "RUN make /srv/app".to_owned(),
                    save::files_layer("srv/build", 3, 500),
                ),
            ],
        },
    ])
}

async fn archive_scenario(lab: &mut Lab) -> R<()> {
    let archive = two_images_sharing_a_base()?;
    let dir = page::screenshot_dir();
    std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let name = format!("e2e-saved-{}.tar", std::process::id());
    let file = std::env::temp_dir().join(&name);
    std::fs::write(&file, &archive.bytes).map_err(|e| format!("write {}: {e}", file.display()))?;
    let opened = open_archive(lab, &file, &name, &archive).await;
    let _ = std::fs::remove_file(&file);
    opened?;

    // The images run like pulled ones.
    lab.run("docker images").await?;
    lab.run("docker history demo/app:1").await?;
    lab.run("docker run -d --name saved demo/app:1").await?;
    lab.check_figures("docker run -d --name saved demo/app:1").await?;
    lab.screenshot("02-run").await?;
    Ok(())
}

/// Picks `file` in the page's `#archive-input`, waits for the page to say it loaded, and checks
/// the terminal and the pictures against core loading the same bytes.
async fn open_archive(lab: &mut Lab, file: &std::path::Path, name: &str, archive: &save::Archive) -> R<()> {
    let before = lab.screen().await?.len();
    let input = lab.find("#archive-input").await?;
    input
        .send_keys(&file.display().to_string())
        .await
        .map_err(|e| format!("choose {} in #archive-input: {e}", file.display()))?;
    let out = lab.sim.load_archive(&archive.bytes);
    if out.exit_code != 0 {
        return Err(format!("core refuses the test's own archive: {}", out.stderr));
    }
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        let v = lab
            .js("const s = document.querySelector('.archive-status');\
                 return s ? [s.dataset.state, s.textContent] : null;")
            .await?;
        if let Ok((state, text)) = serde_json::from_value::<(String, String)>(v) {
            if state == "loaded" {
                break text;
            }
            if state == "failed" {
                return Err(format!("the page could not open the archive: {text}"));
            }
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the page did not say it opened {name} within {PATIENCE:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let said = out.stdout.trim_end();
    if !status.contains(name) || !status.contains(said) {
        return Err(format!(
            "the archive status says {status:?}, expected {name} and {said:?}"
        ));
    }
    let lines = lab.screen().await?;
    let want = vec![
        ("line cmd".to_owned(), format!("$ docker load -i {name}\n")),
        ("line stdout".to_owned(), format!("{said}\n")),
    ];
    if lines.get(before..) != Some(want.as_slice()) {
        return Err(format!(
            "after opening {name} the terminal shows\n{:#?}\nexpected\n{want:#?}",
            lines.get(before..)
        ));
    }
    // Every image of the archive, by the config digest the test wrote, is in the store.
    for (id, diff_ids) in &archive.images {
        let image = lab
            .sim
            .store()
            .image(id)
            .ok_or_else(|| format!("core did not load image {id}"))?;
        if image.layers.len() != diff_ids.len() {
            return Err(format!(
                "image {id} has {} layers, the archive {}",
                image.layers.len(),
                diff_ids.len()
            ));
        }
    }
    let figures = lab.check_figures(&format!("docker load -i {name}")).await?;
    let app = figures
        .get("demo/app:1")
        .ok_or_else(|| format!("no figure for demo/app:1 in {figures:#?}"))?;
    if app.layers != 3 || app.shared != 1 {
        return Err(format!(
            "demo/app:1 should show 3 layers, 1 shared with demo/base:1: {app:?}"
        ));
    }
    lab.screenshot("01-opened").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guided_lesson_is_completed_from_the_terminal() {
    let mut lab = open("lesson").await;
    let result = lesson_scenario(&mut lab).await;
    lab.finish(result).await;
}

/// The Lessons tab's current step: its slug, the commands it offers, whether its task is done,
/// and whether Next is enabled.
async fn lesson_step(lab: &Lab) -> R<(String, Vec<String>, bool, bool)> {
    let v = lab
        .js("const a = document.querySelector('article.lesson-step');\
             const t = document.getElementById('lesson-task');\
             const n = document.getElementById('lesson-next');\
             if (!a || !t || !n) return null;\
             return [a.dataset.step,\
                     Array.from(a.querySelectorAll('button.lesson-run')).map(b => b.dataset.command),\
                     t.dataset.done === 'true', !n.disabled];")
        .await?;
    if v.is_null() {
        return Err("the Lessons tab shows no lesson step".to_owned());
    }
    serde_json::from_value(v).map_err(|e| format!("lesson step: {e}"))
}

/// Takes every step of the lesson the Lessons tab opens on by typing the commands the step
/// offers into the terminal (each output checked against core), waits for the page to tick the
/// task off, and moves on with Next; at the end every step of the lesson is marked done.
async fn lesson_scenario(lab: &mut Lab) -> R<()> {
    lab.click("#tab-lessons").await?;
    let mut taken = Vec::new();
    loop {
        let (slug, commands, done, _) = lesson_step(lab).await?;
        if taken.contains(&slug) {
            return Err(format!("Next came back to step {slug} after {taken:?}"));
        }
        if commands.is_empty() {
            return Err(format!("step {slug} offers no commands"));
        }
        if done {
            return Err(format!("step {slug} is ticked off before its commands ran"));
        }
        for line in &commands {
            lab.run(line).await?;
        }
        let deadline = Instant::now() + PATIENCE;
        let next = loop {
            let (now, _, done, next) = lesson_step(lab).await?;
            if now != slug {
                return Err(format!("the lesson left step {slug} for {now} by itself"));
            }
            if done {
                break next;
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "step {slug}'s task is not ticked off after its commands {commands:?}"
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        lab.screenshot(&format!("{:02}-{slug}", taken.len() + 1)).await?;
        taken.push(slug);
        if !next {
            break;
        }
        lab.click("#lesson-next").await?;
        let deadline = Instant::now() + PATIENCE;
        while lesson_step(lab).await?.0 == *taken.last().map(String::as_str).unwrap_or_default() {
            if Instant::now() > deadline {
                return Err("Next did not move to another step".to_owned());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let marks = lab
        .js(
            "return Array.from(document.querySelectorAll('.lesson-steps button.lesson-link'))\
             .filter(b => b.id !== 'lesson-link-editor')\
             .map(b => [b.id, b.classList.contains('done')]);",
        )
        .await?;
    let marks: Vec<(String, bool)> = serde_json::from_value(marks).map_err(|e| format!("step links: {e}"))?;
    let want: Vec<(String, bool)> = taken.iter().map(|s| (format!("lesson-link-{s}"), true)).collect();
    if marks != want {
        return Err(format!(
            "after the lesson the step links are {marks:?}, expected all done: {want:?}"
        ));
    }
    if taken.len() < 2 {
        return Err(format!("a guided lesson has several steps, this one {taken:?}"));
    }
    Ok(())
}
