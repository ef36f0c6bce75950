//! `layerlab --engine native` as a terminal program, against a real registry (Debian's
//! docker-registry on a loopback port) with a temporary `--root`: the exact lines Docker prints
//! for pull, images, history, rmi, and for containers (run, exec, ps -s, diff, logs, stop, rm,
//! system df) when running as root.
//!
//! Expected tables are written as rows of cells and laid out with core's tab writer (the layout
//! itself is tested in core); the cells are worked out here from the fixture's own bytes.

use std::path::Path;
use std::process::{Command, Output};

use layerlab::registry::reference::ImageRef;
use layerlab::registry::{Client, ClientOptions};
use layerlab_core::cli::format::{ago, human_size};
use layerlab_core::cli::table::table;
use layerlab_core::digest::Digest;

use crate::support::Registry;
use crate::support::fixture::{Image, LAYER_GZIP, Layer, OCI_MANIFEST, demo_layers, gzip, host_arch};

/// 2024-01-01T00:00:00Z, the fixture images' creation time.
const CREATED: i64 = 1_704_067_200;

fn native(root: &Path, args: &[&str]) -> Output {
    Command::new(crate::lesson::layerlab_binary())
        .args(["--engine", "native", "--root"])
        .arg(root)
        .args(args)
        .output()
        .expect("layerlab runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs and insists on exit 0, returning stdout.
fn ok(root: &Path, args: &[&str]) -> String {
    let out = native(root, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "layerlab {args:?} failed:\nstdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

/// An image over `layers` with Docker-like history: one row per layer, plus an empty `CMD` row,
/// all created at [`CREATED`].
pub(crate) fn image_with_history(layers: Vec<Layer>, cmd: &[&str], created_by: &[&str]) -> Image {
    let diff_ids: Vec<String> = layers.iter().map(|l| l.diff_id().to_string()).collect();
    let mut history: Vec<serde_json::Value> = created_by
        .iter()
        .map(|c| serde_json::json!({"created": "2024-01-01T00:00:00Z", "created_by": c}))
        .collect();
    history.push(serde_json::json!({
        "created": "2024-01-01T00:00:00Z",
        "created_by": format!("/bin/sh -c #(nop)  CMD {}", serde_json::to_string(cmd).unwrap_or_default()),
        "empty_layer": true,
    }));
    let config = serde_json::to_vec(&serde_json::json!({
        "created": "2024-01-01T00:00:00Z",
        "architecture": host_arch(), "os": "linux",
        "config": {"Cmd": cmd, "Env": ["PATH=/bin"], "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }))
    .expect("config json");
    let layer_descs: Vec<serde_json::Value> = layers
        .iter()
        .map(|l| serde_json::json!({"mediaType": l.media_type, "digest": l.digest().to_string(), "size": l.blob.len()}))
        .collect();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": Digest::of(&config).to_string(), "size": config.len()},
        "layers": layer_descs,
    }))
    .expect("manifest json");
    Image {
        layers,
        config,
        manifest,
        manifest_media_type: OCI_MANIFEST,
    }
}

/// `demo/app:1.0` (the four demo layers) and `demo/base:1.0` (its first layer alone). With
/// `gzip_only` every layer is gzip, as Docker 20.10 needs (it refuses zstd layers).
pub(crate) fn push_demo(reg: &Registry, gzip_only: bool) -> (Image, Image) {
    let client = Client::new(ClientOptions::default());
    let mut layers = demo_layers();
    if gzip_only {
        for l in &mut layers {
            l.blob = gzip(&l.tar);
            l.media_type = LAYER_GZIP;
        }
    }
    let app = image_with_history(
        layers.clone(),
        &["/app/app.sh"],
        &[
            "ADD busybox-rootfs.tar / # busybox-static",
            "COPY app/ /app/ # buildkit",
            "/bin/sh -c echo \"modified by layer 3\" >> /etc/motd && rm /etc/banner.txt && rm -rf /var/cache/demo",
            "/bin/sh -c rm -rf /etc/demo.d && mkdir /etc/demo.d && echo app > /etc/demo.d/app.conf",
        ],
    );
    let base = image_with_history(
        layers.into_iter().take(1).collect(),
        &["sh"],
        &["ADD busybox-rootfs.tar / # busybox-static"],
    );
    for (image, repo) in [(&app, "demo/app"), (&base, "demo/base")] {
        let r = ImageRef::parse(&format!("{}/{repo}:1.0", reg.host)).expect("reference");
        image.push(&client, &r, "1.0");
    }
    (app, base)
}

/// The apparent sizes Docker gives the demo layers: file lengths, symlink target lengths, a
/// hardlink once, whiteouts and directories nothing.
pub(crate) fn demo_layer_sizes() -> [u64; 4] {
    let busybox = std::fs::metadata("/bin/busybox").map_or(0, |m| m.len());
    let base = busybox
        + "busybox".len() as u64
        + "/bin/busybox".len() as u64
        + [
            "root:x:0:0:root:/root:/bin/sh\n",
            "Welcome to the demo base image\n",
            "banner\n",
            "default\n",
            "old\n",
            "a\n",
        ]
        .iter()
        .map(|s| s.len() as u64)
        .sum::<u64>();
    let app = "#!/bin/sh\ncat /etc/motd\n".len() as u64 + 300_000;
    let edit = "Welcome to the demo base image\nmodified by layer 3\n".len() as u64;
    let opaque = "app\n".len() as u64;
    [base, app, edit, opaque]
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

#[test]
fn pull_images_history_tag_and_rmi_print_what_docker_prints() {
    let reg = Registry::start(None);
    let (app, base) = push_demo(&reg, false);
    let root = tempfile::tempdir().expect("root");
    let root = root.path();
    let app_ref = format!("{}/demo/app:1.0", reg.host);
    let base_ref = format!("{}/demo/base:1.0", reg.host);
    let short = |d: &Digest| d.hex().get(..12).unwrap_or_default().to_owned();

    // pull: the first line, each layer's final line in order, then digest, status, reference.
    let out = ok(root, &["pull", &app_ref]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some("1.0: Pulling from demo/app"),
        "{out}"
    );
    let complete: Vec<String> = lines
        .iter()
        .filter(|l| l.ends_with(": Pull complete"))
        .map(|l| (*l).to_owned())
        .collect();
    let expected: Vec<String> = app
        .layers
        .iter()
        .map(|l| format!("{}: Pull complete", short(&l.digest())))
        .collect();
    assert_eq!(complete, expected, "{out}");
    let allowed = [
        "Pulling fs layer",
        "Waiting",
        "Verifying Checksum",
        "Download complete",
        "Pull complete",
    ];
    for l in lines.iter().skip(1).take(lines.len().saturating_sub(4)) {
        assert!(
            allowed.iter().any(|a| l.ends_with(&format!(": {a}"))),
            "unexpected pull line {l:?} in\n{out}"
        );
    }
    let tail: Vec<&str> = lines.iter().rev().take(3).rev().copied().collect();
    assert_eq!(
        tail,
        vec![
            format!("Digest: {}", app.manifest_digest()).as_str(),
            format!("Status: Downloaded newer image for {app_ref}").as_str(),
            app_ref.as_str(),
        ]
    );

    // The base image shares the bottom layer: it is not downloaded again.
    let out = ok(root, &["pull", &base_ref]);
    assert_eq!(
        out,
        format!(
            "1.0: Pulling from demo/base\n{}: Already exists\nDigest: {}\nStatus: Downloaded newer image for {base_ref}\n{base_ref}\n",
            short(&base.layers[0].digest()),
            base.manifest_digest()
        )
    );
    let out = ok(root, &["pull", &base_ref]);
    assert!(
        out.ends_with(&format!(
            "Status: Image is up to date for {base_ref}\n{base_ref}\n"
        )),
        "{out}"
    );

    let sizes = demo_layer_sizes();
    let app_size: u64 = sizes.iter().sum();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let created = ago(now, CREATED);
    let app_repo = format!("{}/demo/app", reg.host);
    let base_repo = format!("{}/demo/base", reg.host);
    assert_eq!(
        ok(root, &["images"]),
        table(&[
            row(&["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]),
            row(&[
                &app_repo,
                "1.0",
                &short(&app.id()),
                &created,
                &human_size(app_size)
            ]),
            row(&[
                &base_repo,
                "1.0",
                &short(&base.id()),
                &created,
                &human_size(sizes[0])
            ]),
        ])
    );

    assert_eq!(
        ok(root, &["image", "history", &app_ref]),
        table(&[
            row(&["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"]),
            row(&[
                &short(&app.id()),
                &created,
                "/bin/sh -c #(nop)  CMD [\"/app/app.sh\"]",
                "0B",
                ""
            ]),
            row(&[
                "<missing>",
                &created,
                "/bin/sh -c rm -rf /etc/demo.d && mkdir /etc/…",
                "4B",
                ""
            ]),
            row(&[
                "<missing>",
                &created,
                "/bin/sh -c echo \"modified by layer 3\" >> /et…",
                "51B",
                ""
            ]),
            row(&["<missing>", &created, "COPY app/ /app/ # buildkit", "300kB", ""]),
            row(&[
                "<missing>",
                &created,
                "ADD busybox-rootfs.tar / # busybox-static",
                &human_size(sizes[0]),
                ""
            ]),
        ])
    );

    let inspect: serde_json::Value =
        serde_json::from_str(&ok(root, &["image", "inspect", &app_ref])).expect("inspect is JSON");
    assert_eq!(inspect[0]["Id"], app.id().to_string());
    assert_eq!(inspect[0]["Size"], app_size);
    assert_eq!(inspect[0]["RootFS"]["Layers"].as_array().map(Vec::len), Some(4));
    assert_eq!(inspect[0]["RepoTags"][0], app_ref.as_str());

    // tag, then rmi of one of two names only untags.
    let extra = format!("{}/demo/copy:2", reg.host);
    assert_eq!(ok(root, &["tag", &app_ref, &extra]), "");
    assert_eq!(ok(root, &["rmi", &extra]), format!("Untagged: {extra}\n"));

    // rmi of the last name deletes the image and the three layers only it uses, top first; the
    // shared bottom layer stays for demo/base.
    let chains = app.chain_ids();
    let mut expected = format!(
        "Untagged: {app_ref}\nUntagged: {}/demo/app@{}\nDeleted: {}\n",
        reg.host,
        app.manifest_digest(),
        app.id()
    );
    for c in chains.iter().skip(1).rev() {
        expected.push_str(&format!("Deleted: {c}\n"));
    }
    assert_eq!(ok(root, &["rmi", &app_ref]), expected);
    assert!(root.join("snapshots").join(chains[0].hex()).join("diff").is_dir());
    for c in chains.iter().skip(1) {
        assert!(
            !root.join("snapshots").join(c.hex()).exists(),
            "{c} was not freed"
        );
    }

    let missing = native(root, &["rmi", &app_ref]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(
        text(&missing.stderr),
        format!("Error response from daemon: No such image: {app_ref}\n")
    );
}

#[test]
fn containers_run_exec_ps_diff_logs_stop_rm_and_system_df() {
    if !is_root() {
        eprintln!("skipped: needs root for namespaces and overlay mounts");
        return;
    }
    let reg = Registry::start(None);
    let (app, base) = push_demo(&reg, false);
    let root = tempfile::tempdir().expect("root");
    let root = root.path();
    let app_ref = format!("{}/demo/app:1.0", reg.host);
    let base_ref = format!("{}/demo/base:1.0", reg.host);
    ok(root, &["pull", "-q", &base_ref]);

    // run without a local image pulls it first, the progress on stderr; the container's output
    // is ours.
    let out = native(root, &["run", "--rm", "--network", "none", &app_ref]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "Welcome to the demo base image\nmodified by layer 3\n"
    );
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!(
            "Unable to find image '{app_ref}' locally\n1.0: Pulling from demo/app\n"
        )),
        "{err}"
    );
    assert_eq!(ok(root, &["ps", "-a", "-q"]), "", "--rm removed the container");

    // -e, -w, -u reach the process.
    let out = ok(
        root,
        &[
            "run",
            "--rm",
            "-e",
            "GREETING=hi",
            "-w",
            "/etc",
            "-u",
            "1000:1000",
            &app_ref,
            "sh",
            "-c",
            "echo $GREETING $(pwd) $(busybox id -u):$(busybox id -g)",
        ],
    );
    assert_eq!(out, "hi /etc 1000:1000\n");

    // Exit codes: the command's own, 127 not found, 126 not executable, 125 bad engine input.
    assert_eq!(
        native(root, &["run", "--rm", &app_ref, "sh", "-c", "exit 3"])
            .status
            .code(),
        Some(3)
    );
    assert_eq!(
        native(root, &["run", "--rm", &app_ref, "nosuch"]).status.code(),
        Some(127)
    );
    assert_eq!(
        native(root, &["run", "--rm", &app_ref, "/etc/motd"])
            .status
            .code(),
        Some(126)
    );
    assert_eq!(
        native(root, &["run", "--rm", "--network", "bogus", &app_ref])
            .status
            .code(),
        Some(125)
    );

    // A detached container changed by exec: 1 MiB added, a base file appended to, one deleted.
    let id = ok(
        root,
        &["run", "-d", "--name", "demo", &app_ref, "busybox", "sleep", "600"],
    );
    let id = id.trim().to_owned();
    assert_eq!(id.len(), 64, "{id}");
    let dup = native(
        root,
        &["run", "-d", "--name", "demo", &app_ref, "busybox", "sleep", "1"],
    );
    assert_eq!(dup.status.code(), Some(125));
    assert!(
        text(&dup.stderr).contains("The container name \"/demo\" is already in use"),
        "{}",
        text(&dup.stderr)
    );
    let out = native(
        root,
        &[
            "exec",
            "demo",
            "sh",
            "-c",
            "busybox dd if=/dev/zero of=/app/new-1M.bin bs=1024 count=1024 2>/dev/null; echo edited >> /etc/motd; rm /etc/passwd; echo done",
        ],
    );
    assert_eq!(
        (out.status.code(), text(&out.stdout)),
        (Some(0), "done\n".to_owned()),
        "{}",
        text(&out.stderr)
    );
    // Docker 20.10's exec exits 126 even for a missing command (run exits 127).
    assert_eq!(native(root, &["exec", "demo", "nosuch"]).status.code(), Some(126));
    assert_eq!(
        ok(root, &["exec", "demo", "busybox", "hostname"]),
        format!("{}\n", &id[..12])
    );

    let mut diff: Vec<String> = ok(root, &["diff", "demo"]).lines().map(str::to_owned).collect();
    diff.sort();
    assert_eq!(
        diff,
        [
            "A /app/new-1M.bin",
            "C /app",
            "C /etc",
            "C /etc/motd",
            "D /etc/passwd"
        ]
    );

    let sizes = demo_layer_sizes();
    let image_size: u64 = sizes.iter().sum();
    let motd = "Welcome to the demo base image\nmodified by layer 3\nedited\n".len() as u64;
    let rw = 1_048_576 + motd;
    let ps = ok(
        root,
        &["ps", "-s", "--format", "{{.Names}}\t{{.Size}}\t{{.Command}}"],
    );
    assert_eq!(
        ps,
        format!(
            "demo\t{} (virtual {})\t\"busybox sleep 600\"\n",
            human_size(rw),
            human_size(image_size + rw)
        )
    );

    // system df: two images sharing the base layer, one container using app.
    let df = ok(root, &["system", "df"]);
    let all_layers = image_size;
    let unique_in_use = image_size - sizes[0];
    let lines: Vec<&str> = df.lines().collect();
    let four = |n: u64| layerlab_core::cli::format::human_size_precision(n, 4);
    let reclaim = all_layers - unique_in_use;
    assert_eq!(
        df,
        table(&[
            row(&["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]),
            row(&[
                "Images",
                "2",
                "1",
                &four(all_layers),
                &format!("{} ({}%)", four(reclaim), reclaim * 100 / all_layers)
            ]),
            row(&["Containers", "1", "1", &four(rw), "0B (0%)"]),
            row(&["Local Volumes", "0", "0", "0B", "0B"]),
            row(&["Build Cache", "0", "0", "0B", "0B"]),
        ]),
        "{lines:?}"
    );
    let dfv = ok(root, &["system", "df", "-v"]);
    assert!(
        dfv.contains(&format!("{}   ", four(sizes[0])))
            && dfv.contains("Containers space usage:")
            && dfv.contains(&format!("{}", &id[..12])),
        "{dfv}"
    );

    // logs, stop (sleep as pid 1 ignores TERM: killed after the timeout), rm.
    let echo = ok(
        root,
        &[
            "run",
            "-d",
            "--name",
            "talker",
            &app_ref,
            "sh",
            "-c",
            "echo out; echo err >&2",
        ],
    );
    let echo = echo.trim();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let logs = native(root, &["logs", "talker"]);
    assert_eq!(
        (text(&logs.stdout), text(&logs.stderr)),
        ("out\n".to_owned(), "err\n".to_owned())
    );
    let ps_a = ok(root, &["ps", "-a", "--format", "{{.Names}} {{.Status}}"]);
    assert!(ps_a.contains("talker Exited (0) "), "{ps_a}");
    assert_eq!(ok(root, &["rm", echo]), format!("{echo}\n"));

    let busy = native(root, &["rm", "demo"]);
    assert_eq!(busy.status.code(), Some(1));
    assert!(
        text(&busy.stderr).contains("You cannot remove a running container"),
        "{}",
        text(&busy.stderr)
    );
    assert_eq!(ok(root, &["stop", "-t", "1", "demo"]), "demo\n");
    let ps_a = ok(root, &["ps", "-a", "--format", "{{.Names}} {{.Status}}"]);
    assert!(ps_a.starts_with("demo Exited (137) "), "{ps_a}");
    // An image in use by a container cannot be removed.
    let in_use = native(root, &["rmi", &app_ref]);
    assert_eq!(
        (in_use.status.code(), text(&in_use.stderr)),
        (
            Some(1),
            format!(
                "Error response from daemon: conflict: unable to remove repository reference \"{app_ref}\" \
                 (must force) - container {} is using its referenced image {}\n",
                &id[..12],
                app.id().short()
            )
        )
    );
    // Removed by ID, Docker names the container's state instead.
    let by_id = native(root, &["rmi", &app.id().short()]);
    assert_eq!(
        (by_id.status.code(), text(&by_id.stderr)),
        (
            Some(1),
            format!(
                "Error response from daemon: conflict: unable to delete {} (must be forced) - image \
                 is being used by stopped container {}\n",
                app.id().short(),
                &id[..12]
            )
        )
    );
    assert_eq!(ok(root, &["rm", "demo"]), "demo\n");
    assert!(!root.join("containers").join(&id).exists());
    assert!(ok(root, &["rmi", &app_ref]).contains(&format!("Deleted: {}\n", app.id())));
    let _ = base;
}

/// What a terminal shows after `bytes`: newline, carriage return, cursor up and down
/// (`ESC [ n A`, `ESC [ n B`), clear line (`ESC [ 2 K`) and printable characters applied to a
/// grid of lines. Any other escape fails the test.
fn terminal_screen(bytes: &str) -> Vec<String> {
    let mut lines: Vec<Vec<char>> = vec![Vec::new()];
    let (mut row, mut col) = (0usize, 0usize);
    let mut chars = bytes.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\n' => {
                row += 1;
                col = 0;
            }
            '\r' => col = 0,
            '\x1b' => {
                assert_eq!(chars.next(), Some('['), "escape in {bytes:?}");
                let mut n = String::new();
                while let Some(d) = chars.next_if(char::is_ascii_digit) {
                    n.push(d);
                }
                let n: usize = n.parse().expect("escape with a count");
                match chars.next() {
                    Some('A') => row = row.saturating_sub(n),
                    Some('B') => row += n,
                    Some('K') if n == 2 => {
                        if let Some(l) = lines.get_mut(row) {
                            l.clear();
                        }
                    }
                    other => panic!("unexpected escape {n}{other:?} in {bytes:?}"),
                }
            }
            c => {
                while lines.len() <= row {
                    lines.push(Vec::new());
                }
                let line = &mut lines[row];
                while line.len() < col {
                    line.push(' ');
                }
                match line.get_mut(col) {
                    Some(slot) => *slot = c,
                    None => line.push(c),
                }
                col += 1;
            }
        }
    }
    let mut out: Vec<String> = lines.into_iter().map(|l| l.into_iter().collect()).collect();
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out
}

#[test]
fn pull_draws_live_progress_on_a_terminal_and_plain_lines_otherwise() {
    assert!(
        Path::new("/usr/bin/script").exists(),
        "this test needs script(1) from util-linux for a terminal"
    );
    let reg = Registry::start(None);
    let (app, _base) = push_demo(&reg, false);
    let app_ref = format!("{}/demo/app:1.0", reg.host);
    let short = |d: &Digest| d.hex().get(..12).unwrap_or_default().to_owned();
    let ids: Vec<String> = app.layers.iter().map(|l| short(&l.digest())).collect();

    // On a terminal 160 columns wide (moby draws bars only on terminals wider than 110).
    let root = tempfile::tempdir().expect("root");
    let shell = format!(
        "stty cols 160 rows 50 && exec '{}' --engine native --root '{}' pull '{app_ref}'",
        crate::lesson::layerlab_binary().display(),
        root.path().display()
    );
    let out = Command::new("script")
        .args(["-qfec", &shell, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script runs");
    let raw = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{raw}\n{}", text(&out.stderr));
    // Every layer's line is redrawn in place, and byte counters come with a bar.
    assert!(raw.contains("\x1b[2K"), "no line was redrawn:\n{raw:?}");
    let full_bar = format!("[{}>] ", "=".repeat(50));
    for id in &ids {
        assert!(
            raw.contains(&format!("{id}: Downloading {full_bar}"))
                || raw.contains(&format!("{id}: Extracting {full_bar}")),
            "no progress bar for {id}:\n{raw:?}"
        );
    }
    let mut expected = vec!["1.0: Pulling from demo/app".to_owned()];
    expected.extend(ids.iter().map(|id| format!("{id}: Pull complete")));
    expected.extend([
        format!("Digest: {}", app.manifest_digest()),
        format!("Status: Downloaded newer image for {app_ref}"),
        app_ref.clone(),
    ]);
    assert_eq!(terminal_screen(&raw), expected, "{raw:?}");

    // Piped: Docker's plain lines, each layer's status changes in order, no escapes or bars.
    let root = tempfile::tempdir().expect("root");
    let plain = ok(root.path(), &["pull", &app_ref]);
    assert!(!plain.contains('\x1b') && !plain.contains('['), "{plain}");
    let lines: Vec<&str> = plain.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some("1.0: Pulling from demo/app"),
        "{plain}"
    );
    assert_eq!(
        lines.iter().rev().take(3).rev().copied().collect::<Vec<_>>(),
        expected
            .iter()
            .rev()
            .take(3)
            .rev()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        "{plain}"
    );
    for (i, id) in ids.iter().enumerate() {
        let statuses: Vec<&str> = lines
            .iter()
            .filter_map(|l| l.strip_prefix(&format!("{id}: ")))
            .collect();
        // Three layers download at once; the fourth waits for a free slot.
        let mut want = vec!["Pulling fs layer"];
        if i >= 3 {
            want.push("Waiting");
        }
        want.extend(["Verifying Checksum", "Download complete", "Pull complete"]);
        assert_eq!(statuses, want, "layer {id} in\n{plain}");
    }
    assert_eq!(lines.len(), 1 + ids.len() * 4 + 1 + 3, "{plain}");
}

/// An overlay mount made by a test, detached again when dropped.
struct OverlayMount(std::path::PathBuf);

impl Drop for OverlayMount {
    fn drop(&mut self) {
        let _ = nix::mount::umount2(&self.0, nix::mount::MntFlags::MNT_DETACH);
    }
}

#[test]
fn run_falls_back_to_vfs_when_the_data_root_cannot_hold_overlay() {
    if !is_root() {
        eprintln!("skipped: needs root for mounts and containers");
        return;
    }
    let reg = Registry::start(None);
    push_demo(&reg, false);
    let app_ref = format!("{}/demo/app:1.0", reg.host);
    // A data root on overlayfs, which the kernel refuses as an upper layer, as inside many
    // containers.
    let dir = tempfile::tempdir().expect("dir");
    let [lower, upper, work, merged] = ["lower", "upper", "work", "merged"].map(|n| dir.path().join(n));
    for p in [&lower, &upper, &work, &merged] {
        std::fs::create_dir(p).expect("mkdir");
    }
    let data = format!(
        "lowerdir={},upperdir={},workdir={}",
        lower.display(),
        upper.display(),
        work.display()
    );
    nix::mount::mount(
        Some("overlay"),
        &merged,
        Some("overlay"),
        nix::mount::MsFlags::empty(),
        Some(data.as_str()),
    )
    .expect("overlay mount");
    let _mounted = OverlayMount(merged.clone());
    let root = merged.join("root");
    ok(&root, &["pull", "-q", &app_ref]);
    let expected = "Welcome to the demo base image\nmodified by layer 3\n";
    let warning = "WARNING: overlay cannot be mounted over";

    // No driver asked for: one warning, and the container runs on vfs.
    let out = native(&root, &["run", "--rm", &app_ref]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(text(&out.stdout), expected);
    assert_eq!(err.lines().filter(|l| l.starts_with(warning)).count(), 1, "{err}");
    assert!(err.contains("using the vfs storage driver"), "{err}");
    let out = native(&root, &["create", &app_ref]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let id = text(&out.stdout).trim().to_owned();
    assert_eq!(
        ok(&root, &["inspect", "--format", "{{.GraphDriver.Name}}", &id]),
        "vfs\n"
    );

    // A driver asked for is used as asked, without the warning: vfs works, overlay fails.
    let out = native(&root, &["--storage-driver", "vfs", "run", "--rm", &app_ref]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains(warning), "{}", text(&out.stderr));
    let out = native(&root, &["--storage-driver", "overlay2", "run", "--rm", &app_ref]);
    assert_ne!(out.status.code(), Some(0), "overlay over overlayfs cannot work");
    assert!(!text(&out.stderr).contains(warning), "{}", text(&out.stderr));

    // `--network bridge` says what the container gets instead; no flag says nothing.
    let out = native(&root, &["run", "--rm", "--network", "bridge", &app_ref]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(
            "WARNING: layerlab has no bridge network: the container gets only a loopback interface, as with --network none\n"
        ),
        "{}",
        text(&out.stderr)
    );
    let out = native(&root, &["--storage-driver", "vfs", "run", "--rm", &app_ref]);
    assert_eq!(text(&out.stderr), "");
    ok(&root, &["rm", &id]);
    assert!(
        !root.join("overlay-works").exists(),
        "a refusal is not remembered as success"
    );

    // Where overlay works, the try passes silently and is made once per data root.
    let plain = tempfile::tempdir().expect("root");
    ok(plain.path(), &["pull", "-q", &app_ref]);
    let out = native(plain.path(), &["run", "--rm", &app_ref]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), expected);
    assert_eq!(text(&out.stderr), "");
    assert!(plain.path().join("overlay-works").exists());
}
