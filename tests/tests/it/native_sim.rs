//! The same scenario on `layerlab --engine native` and `layerlab --engine sim`, output compared.
//!
//! Both engines get the very same image: the native engine pulls the demo images from a loopback
//! registry (Debian's docker-registry), the simulator loads them from a `docker save` archive
//! written here from the same config bytes and the same layer tars, so image IDs, diffIDs and
//! chain IDs are identical. Then both run the same containers, change them the same way, and
//! print `images`, `history`, `ps -a -s`, `diff`, `system df [-v]`, `rm` and `rmi`.
//!
//! Normalised, because it must differ:
//! - getting the images (`pull` on one side, `load` on the other) is not compared;
//! - container IDs: random on the native engine, digests of the simulated clock in the simulator;
//!   each engine's own IDs are replaced by placeholders;
//! - the `CREATED`/`STATUS` cells of containers (wall clock against the simulated clock);
//! - the order of rows that Docker itself leaves unspecified (images created in the same second,
//!   `diff` lines, the images section of `system df -v`);
//! - `Untagged: <repo>@<digest>` lines of `rmi`: a pulled image has a repo digest and a loaded one
//!   has none, in Docker as here, so only the pulled side prints that line.
//!
//! Everything else must be the same bytes, stderr included: both are layerlab and both print
//! Docker's words. Differences found and not fixed yet are listed in [`KNOWN`] with what Docker
//! prints; they still fail the test. Needs root (namespaces and overlay mounts for the native containers); without
//! it the test says so on stderr and checks nothing.

use std::path::Path;
use std::process::{Command, Output};

use crate::native_cli::push_demo;
use crate::support::Registry;
use crate::support::fixture::Image;
use crate::support::output::{cells, clock_cell, rows_as_a_set, text};

/// A `docker save` archive (the layout before Docker 25: `manifest.json`, `<image id>.json`,
/// `<v1 id>/layer.tar`) holding `images` under their names, with each layer's tar exactly as
/// pushed uncompressed, so the simulator computes the same diffIDs as the pull.
fn docker_save(images: &[(&Image, &str)]) -> Vec<u8> {
    use layerlab_core::digest::Digest;
    let mut members: Vec<(String, Vec<u8>)> = Vec::new();
    let mut manifest = Vec::new();
    for (image, name) in images {
        let config_name = format!("{}.json", image.id().hex());
        let mut layer_paths = Vec::new();
        for (i, layer) in image.layers.iter().enumerate() {
            // Docker names the directory by a v1 ID, 64 hex digits of its own making; any
            // name of that shape that is unique in the archive will do.
            let v1 = Digest::of(format!("{}/{i}", image.id()).as_bytes());
            let path = format!("{}/layer.tar", v1.hex());
            members.push((path.clone(), layer.tar.clone()));
            layer_paths.push(path);
        }
        members.push((config_name.clone(), image.config.clone()));
        manifest.push(serde_json::json!({
            "Config": config_name, "RepoTags": [name], "Layers": layer_paths,
        }));
    }
    members.push((
        "manifest.json".to_owned(),
        serde_json::to_vec(&manifest).expect("manifest json"),
    ));
    let mut archive = tar::Builder::new(Vec::new());
    for (path, bytes) in &members {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(bytes.len() as u64);
        archive
            .append_data(&mut h, path, bytes.as_slice())
            .expect("archive member");
    }
    archive.into_inner().expect("archive")
}

/// Each engine's container IDs, full or short, become `<container N>` in creation order.
fn replace_ids(s: &str, ids: &[String]) -> String {
    let mut out = s.to_owned();
    for (n, id) in ids.iter().enumerate() {
        let label = format!("<container {n}>");
        out = out.replace(id.as_str(), &label);
        if let Some(short) = id.get(..12) {
            out = out.replace(short, &label);
        }
    }
    out
}

fn table(out: &str, ids: &[String]) -> String {
    let rows: Vec<Vec<String>> = replace_ids(out, ids)
        .lines()
        .map(|l| cells(l).iter().map(|c| clock_cell(c)).collect())
        .collect();
    format!("{rows:#?}")
}

/// `system df -v` lists images in the order of the daemon's image map: its images section is
/// compared as a set; every other line in place.
fn df_verbose(out: &str, ids: &[String]) -> String {
    let mut lines: Vec<String> = replace_ids(out, ids).lines().map(str::to_owned).collect();
    if let Some(header) = lines.iter().position(|l| l.starts_with("REPOSITORY")) {
        let start = header + 1;
        let len = lines
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(|l| !l.is_empty())
            .count();
        if let Some(section) = lines.get_mut(start..start + len) {
            section.sort();
        }
    }
    lines
        .iter()
        .map(|l| {
            format!(
                "{:?}\n",
                cells(l).iter().map(|c| clock_cell(c)).collect::<Vec<_>>()
            )
        })
        .collect()
}

/// Differences found and not yet fixed, by step, with what Docker 20.10.24 (Debian's docker.io,
/// runc 1.1.5) prints there. They are not exempted: a step listed here still fails the test, and
/// the note is printed beside it so the failure says which engine is wrong.
const KNOWN: &[(&str, &str)] = &[];

/// One engine: runs a docker command line and gives back its output.
type Engine<'a> = dyn Fn(&[&str]) -> Output + 'a;

/// The scenario, as (step, normalised exit code, stdout and stderr) for each step.
fn scenario(run: &Engine<'_>, app: &str, base: &str) -> Vec<(String, String)> {
    let mut steps = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    let mut step = |name: &str, args: &[&str], ids: &[String]| -> String {
        let out = run(args);
        let stdout = text(&out.stdout);
        let shown = match name {
            "images" => rows_as_a_set(&stdout),
            n if n.starts_with("ps") || n == "system df" => table(&stdout, ids),
            "system df -v" => df_verbose(&stdout, ids),
            n if n.starts_with("diff") => {
                let mut lines: Vec<&str> = stdout.lines().collect();
                lines.sort_unstable();
                lines.join("\n")
            }
            // Only a pulled image has a repo digest: see the module comment.
            n if n.starts_with("rmi") => stdout
                .lines()
                .filter(|l| !(l.starts_with("Untagged: ") && l.contains("@sha256:")))
                .map(|l| format!("{l}\n"))
                .collect(),
            // `run -d` prints the new container's full ID, each engine its own.
            n if n.starts_with("run ")
                && stdout.trim().len() == 64
                && stdout.trim().bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                "<new container ID>\n".to_owned()
            }
            _ => replace_ids(&stdout, ids),
        };
        steps.push((
            format!("{name}: docker {}", args.join(" ")),
            format!(
                "exit {:?}\nstdout:\n{shown}\nstderr:\n{}",
                out.status.code(),
                replace_ids(&text(&out.stderr), ids)
            ),
        ));
        stdout
    };
    step("images", &["images"], &ids);
    step("history", &["image", "history", app], &ids);
    step(
        "history -H=false",
        &[
            "history",
            "-H=false",
            "--no-trunc",
            "--format",
            "{{.ID}} {{.CreatedBy}} {{.Size}}",
            app,
        ],
        &ids,
    );
    step("history base", &["history", base], &ids);
    step(
        "image inspect",
        &[
            "image",
            "inspect",
            "--format",
            "{{.Id}} {{.Size}} {{.RootFS.Layers}} {{.Config.Cmd}}",
            app,
        ],
        &ids,
    );
    // Docker's names need two characters at least.
    step(
        "run with a one-letter name",
        &["run", "--rm", "--name", "w", app, "true"],
        &ids,
    );
    // A program the image does not have (the simulator's shell has `true` built in; the image
    // has no /bin/true).
    step("run a missing program", &["run", "--rm", app, "true"], &ids);
    step(
        "run a missing program by name",
        &["run", "--rm", app, "nosuch"],
        &ids,
    );
    step("run a missing path", &["run", "--rm", app, "/no/such"], &ids);
    let writer = step(
        "run writer",
        &[
            "run",
            "-d",
            "--name",
            "writer",
            "--network",
            "none",
            app,
            "sh",
            "-c",
            "echo hi > /new.txt; rm /etc/passwd; echo appended >> /etc/motd; mkdir -p /app/sub; echo deep > /app/sub/f; rm -r /etc/demo.d",
        ],
        &ids,
    );
    ids.push(writer.trim().to_owned());
    let idle = step(
        "run idle",
        &["run", "-d", "--name", "idle", base, "sh", "-c", "sleep 600"],
        &ids,
    );
    ids.push(idle.trim().to_owned());
    // A detached container's command may not have run yet on the native engine.
    wait_exited(run, "writer");
    step(
        "exec",
        &[
            "exec",
            "idle",
            "sh",
            "-c",
            "echo from exec > /tmp/exec.txt && cat /etc/motd",
        ],
        &ids,
    );
    step("exec a missing program", &["exec", "idle", "nosuch"], &ids);
    step("ps -a -s", &["ps", "-a", "-s"], &ids);
    step(
        "ps -a -s --format",
        &[
            "ps",
            "-a",
            "-s",
            "--format",
            "{{.Names}}\t{{.Image}}\t{{.Command}}\t{{.Size}}",
        ],
        &ids,
    );
    step("diff writer", &["diff", "writer"], &ids);
    step("diff idle", &["diff", "idle"], &ids);
    step("system df", &["system", "df"], &ids);
    step("system df -v", &["system", "df", "-v"], &ids);
    step("rm a running container", &["rm", "idle"], &ids);
    step("rmi an image in use", &["rmi", base], &ids);
    step("stop", &["stop", "-t", "1", "idle"], &ids);
    step("ps -a after stop", &["ps", "-a"], &ids);
    step("rm", &["rm", "writer", "idle"], &ids);
    step("ps -a after rm", &["ps", "-a"], &ids);
    step("rmi app", &["rmi", app], &ids);
    step("images after rmi", &["images"], &ids);
    step("system df after rmi", &["system", "df"], &ids);
    step("rmi base", &["rmi", base], &ids);
    step("rmi again", &["rmi", base], &ids);
    step("images at the end", &["images"], &ids);
    steps
}

/// Waits (up to 20 s) until `name` has exited. The simulator finishes a command before `run`
/// returns, so this returns at once there.
fn wait_exited(run: &Engine<'_>, name: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        let out = run(&["ps", "-a", "--format", "{{.Names}} {{.Status}}"]);
        if text(&out.stdout)
            .lines()
            .any(|l| l.starts_with(&format!("{name} Exited")))
        {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("container {name} did not exit within 20 s");
}

fn layerlab(engine: &[&str], args: &[&str]) -> Output {
    Command::new(crate::lesson::layerlab_binary())
        .args(engine)
        .args(args)
        .output()
        .expect("layerlab runs")
}

#[test]
fn native_engine_prints_what_the_simulator_prints() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!(
            "SKIPPED native_engine_prints_what_the_simulator_prints: the native engine needs root \
             for namespaces and overlay mounts; nothing was compared"
        );
        return;
    }
    let reg = Registry::start(None);
    let (app_image, base_image) = push_demo(&reg, false);
    let app = format!("{}/demo/app:1.0", reg.host);
    let base = format!("{}/demo/base:1.0", reg.host);

    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    let root_arg = root.to_string_lossy().into_owned();
    let native_engine = ["--engine", "native", "--root", root_arg.as_str()];
    let native = |args: &[&str]| layerlab(&native_engine, args);
    let state = dir.path().join("sim.json");
    let state_arg = state.to_string_lossy().into_owned();
    let sim_engine = ["--engine", "sim", "--state", state_arg.as_str()];
    let sim = |args: &[&str]| layerlab(&sim_engine, args);

    for image in [&app, &base] {
        let out = native(&["pull", "-q", image]);
        assert_eq!(out.status.code(), Some(0), "pull {image}: {}", text(&out.stderr));
    }
    // The simulated clock starts at a fixed instant; set to now, images say "2 years ago"
    // on both sides for the same reason.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let out = sim(&["lab", "clock", "set", &now.to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let archive = dir.path().join("demo.tar");
    std::fs::write(
        &archive,
        docker_save(&[(&app_image, app.as_str()), (&base_image, base.as_str())]),
    )
    .expect("write archive");
    let out = sim(&["load", "-i", &archive.to_string_lossy()]);
    assert_eq!(
        (out.status.code(), text(&out.stdout)),
        (Some(0), format!("Loaded image: {app}\nLoaded image: {base}\n")),
        "{}",
        text(&out.stderr)
    );

    let sim_steps = scenario(&sim, &app, &base);
    // Even when a step panics, no container is left running.
    struct Cleanup<'a>(&'a dyn Fn(&[&str]) -> Output);
    impl Drop for Cleanup<'_> {
        fn drop(&mut self) {
            let _ = (self.0)(&["rm", "-f", "writer", "idle"]);
        }
    }
    let cleanup = Cleanup(&native);
    let native_steps = scenario(&native, &app, &base);
    drop(cleanup);

    let mut mismatches = String::new();
    for ((step, want), (_, got)) in sim_steps.iter().zip(&native_steps) {
        if want != got {
            let known = KNOWN
                .iter()
                .find(|(name, _)| step.starts_with(&format!("{name}: ")))
                .map_or(String::new(), |(_, why)| format!("known: {why}\n"));
            mismatches.push_str(&format!("--- {step}\n{known}sim:\n{want}\nnative:\n{got}\n"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "the native engine differs from the simulator:\n{mismatches}"
    );
    assert!(
        !Path::new(&root)
            .join("containers")
            .read_dir()
            .is_ok_and(|mut d| d.next().is_some()),
        "rm left a container directory behind"
    );
}
