//! `layerlab --engine sim` as a terminal program: the state file, its default place, exit codes,
//! streams and bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn layerlab() -> PathBuf {
    crate::lesson::layerlab_binary()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("layerlab-sim-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

fn sim(state: &Path, args: &[&str]) -> Output {
    Command::new(layerlab())
        .args(["--engine", "sim", "--state"])
        .arg(state)
        .args(args)
        .output()
        .expect("layerlab runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn state_persists_between_invocations_and_is_replaced_atomically() {
    let dir = scratch("persist");
    let state = dir.join("sim.json");
    assert_eq!(sim(&state, &["pull", "-q", "busybox"]).status.code(), Some(0));
    let out = sim(&state, &["run", "-d", "--name", "box", "busybox", "sleep", "600"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let id = text(&out.stdout);
    assert_eq!(id.trim().len(), 64, "run -d prints the full container ID: {id:?}");
    let ps = sim(&state, &["ps", "-q"]);
    assert_eq!(text(&ps.stdout), format!("{}\n", id.get(..12).unwrap_or("")));
    // Only the state file is left in its directory: no temporary file survives a save.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .expect("list")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert_eq!(names, vec!["sim.json".to_string()]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_same_scenario_replays_to_the_same_bytes() {
    let dir = scratch("replay");
    let scenario: [&[&str]; 4] = [
        &["run", "-d", "--name", "web", "nginx:1.15.8"],
        &[
            "exec",
            "web",
            "sh",
            "-c",
            "echo hi > /hi.txt && rm /etc/nginx/conf.d/default.conf",
        ],
        &["ps", "-a", "-s", "--no-trunc"],
        &["system", "df", "-v"],
    ];
    let play = |state: &Path| -> Vec<String> {
        scenario
            .iter()
            .map(|args| {
                let o = sim(state, args);
                format!("{}{}{:?}", text(&o.stdout), text(&o.stderr), o.status.code())
            })
            .collect()
    };
    let first = play(&dir.join("a.json"));
    let second = play(&dir.join("b.json"));
    assert_eq!(first, second);
    assert_eq!(
        std::fs::read(dir.join("a.json")).ok(),
        std::fs::read(dir.join("b.json")).ok()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_default_state_lives_under_xdg_state_home() {
    let dir = scratch("xdg");
    let out = Command::new(layerlab())
        .env("XDG_STATE_HOME", &dir)
        .args(["--engine", "sim", "volume", "create", "data"])
        .output()
        .expect("layerlab runs");
    assert_eq!(text(&out.stdout), "data\n");
    assert!(dir.join("layerlab").join("sim.json").is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn exit_codes_and_streams_follow_docker() {
    let dir = scratch("codes");
    let state = dir.join("sim.json");
    assert_eq!(
        text(&sim(&state, &["pull", "-q", "busybox"]).stdout),
        "docker.io/library/busybox:latest\n"
    );
    // The container's own status becomes the command's.
    let out = sim(&state, &["run", "busybox", "sh", "-c", "echo out; cat /nope"]);
    assert_eq!(text(&out.stdout), "out\n");
    assert_eq!(text(&out.stderr), "cat: /nope: No such file or directory\n");
    assert_eq!(out.status.code(), Some(1));
    // A program the image does not have: Docker's 127.
    let out = sim(&state, &["run", "busybox", "frobnicate"]);
    assert_eq!(out.status.code(), Some(127));
    assert!(text(&out.stderr).contains("exec: \"frobnicate\": executable file not found in $PATH"));
    // Bad flags: 125, with Docker's words.
    let out = sim(&state, &["ps", "--bogus"]);
    assert_eq!(out.status.code(), Some(125));
    assert_eq!(
        text(&out.stderr),
        "unknown flag: --bogus\nSee 'docker ps --help'.\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_corrupt_state_file_is_reported_not_overwritten() {
    let dir = scratch("corrupt");
    let state = dir.join("sim.json");
    std::fs::write(&state, b"{ not json").expect("write");
    let out = sim(&state, &["ps"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(text(&out.stderr).starts_with(&format!(
        "layerlab: the simulator state {} is not valid",
        state.display()
    )));
    assert_eq!(std::fs::read(&state).ok(), Some(b"{ not json".to_vec()));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A one-layer `docker save` archive (the layout before Docker 25) tagged `demo/hello:1`.
fn saved_archive() -> Vec<u8> {
    use layerlab_core::digest::Digest;
    use layerlab_core::layer::{Changeset, Content, Entry};
    // `cat` must be in the image for the container to run it, as in Docker.
    let layer = Changeset::new(vec![
        Entry::dir("bin"),
        Entry::file("bin/cat", Content::bytes(b"#!cat".to_vec())).with_mode(0o755),
        Entry::dir("etc"),
        Entry::file(
            "etc/greeting",
            Content::bytes(b"hello from a saved image\n".to_vec()),
        ),
    ]);
    let layer_tar = layerlab_core::layer::tar::write(&layer, Vec::new()).expect("layer tar");
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": { "Cmd": ["sh"] },
        "rootfs": { "type": "layers", "diff_ids": [Digest::of(&layer_tar).to_string()] },
        "history": [{ "created_by": "COPY greeting /etc/" }],
    }))
    .expect("config");
    let config_name = format!("{}.json", Digest::of(&config).hex());
    // Docker names a layer directory by its v1 ID, 64 hex digits; any such name will do.
    let layer_path = format!("{}/layer.tar", Digest::of(b"v1 id").hex());
    let manifest = serde_json::to_vec(&serde_json::json!([
        { "Config": config_name, "RepoTags": ["demo/hello:1"], "Layers": [layer_path] }
    ]))
    .expect("manifest");
    let mut archive = tar::Builder::new(Vec::new());
    for (path, bytes) in [
        (layer_path.as_str(), &layer_tar),
        (config_name.as_str(), &config),
        ("manifest.json", &manifest),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(bytes.len() as u64);
        archive
            .append_data(&mut h, path, bytes.as_slice())
            .expect("member");
    }
    archive.into_inner().expect("archive")
}

#[test]
fn load_reads_the_archive_named_by_dash_i() {
    let dir = scratch("load");
    let state = dir.join("sim.json");
    let file = dir.join("hello.tar");
    std::fs::write(&file, saved_archive()).expect("write archive");
    let file_arg = file.to_string_lossy().into_owned();

    let out = sim(&state, &["load", "-i", &file_arg]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Loaded image: demo/hello:1\n");
    let out = sim(&state, &["run", "--rm", "demo/hello:1", "cat", "/etc/greeting"]);
    assert_eq!(
        text(&out.stdout),
        "hello from a saved image\n",
        "{}",
        text(&out.stderr)
    );

    let missing = dir.join("missing.tar").to_string_lossy().into_owned();
    let out = sim(&state, &["image", "load", "--input", &missing]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains(&format!("open {missing}: ")),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
