//! The same scenario on real Docker and on `layerlab --engine native`, output compared.
//!
//! Docker is Debian's docker.io daemon, started here on a private socket with its data root and
//! exec root in a temporary directory, no bridge, no iptables, the cgroupfs driver and overlay2
//! (the flags this kind of machine needs). Both engines pull the same fixture images from the same
//! loopback registry, run the same container, change it the same way through `exec`, and print
//! `ps -s`, `diff`, `history`, `images`, `system df [-v]`, `rm` and `rmi`.
//!
//! Normalised, because it must differ: container IDs (random), `CREATED`/`STATUS` cells of
//! containers (wall-clock), the transient per-layer pull statuses (their interleaving depends on
//! download timing; the final `Pull complete`/`Already exists` lines are compared), and the order
//! of `diff` lines (each engine walks directories in its own order). Everything else must be the
//! same bytes.
//!
//! Needs root, `/usr/sbin/dockerd`, `/usr/bin/docker` (package docker.io) and docker-registry. A
//! daemon that does not come up fails the test with its log; it is never skipped silently.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::native_cli::push_demo;
use crate::support::Registry;
use crate::support::output::{cells, clock_cell, rows_as_a_set, text};

const DOCKERD: &str = "/usr/sbin/dockerd";
const DOCKER: &str = "/usr/bin/docker";

/// A private dockerd, stopped (and its data root removed) on drop.
struct Dockerd {
    child: Child,
    dir: tempfile::TempDir,
    socket: String,
}

impl Dockerd {
    fn start() -> Dockerd {
        for bin in [DOCKERD, DOCKER] {
            assert!(
                Path::new(bin).exists(),
                "{bin} is missing: the fidelity suite needs Debian's docker.io (apt-get install docker.io)"
            );
        }
        let dir = tempfile::Builder::new()
            .prefix("llfid")
            .tempdir_in("/tmp")
            .expect("tempdir");
        let d = dir.path();
        let socket = format!("unix://{}", d.join("docker.sock").display());
        let config = serde_json::json!({
            "data-root": d.join("root"),
            "exec-root": d.join("exec"),
            "pidfile": d.join("dockerd.pid"),
            "hosts": [socket],
            "storage-driver": "overlay2",
            "iptables": false, "ip-forward": false, "ip-masq": false,
            "bridge": "none",
            "exec-opts": ["native.cgroupdriver=cgroupfs"],
            "log-level": "warn",
        });
        let config_path = d.join("daemon.json");
        std::fs::write(&config_path, config.to_string()).expect("daemon.json");
        let log = std::fs::File::create(d.join("dockerd.log")).expect("log");
        let child = Command::new(DOCKERD)
            .arg("--config-file")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start dockerd");
        let daemon = Dockerd { child, dir, socket };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let info = daemon.docker(&["info", "--format", "{{.Driver}}"]);
            if info.status.success() {
                assert_eq!(
                    text(&info.stdout).trim(),
                    "overlay2",
                    "dockerd picked another storage driver"
                );
                return daemon;
            }
            if Instant::now() > deadline {
                panic!("dockerd did not come up within 60 s; its log:\n{}", daemon.log());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dockerd.log")).unwrap_or_default()
    }

    fn docker(&self, args: &[&str]) -> Output {
        Command::new(DOCKER)
            .args(["-H", &self.socket])
            .args(args)
            .env("DOCKER_CONFIG", self.dir.path().join("client"))
            .output()
            .expect("docker runs")
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // dockerd unmounts its overlays on shutdown; anything left mounted is detached so the
        // temporary directory can go.
        let root: PathBuf = self.dir.path().join("root");
        if let Ok(mounts) = std::fs::read_to_string("/proc/self/mounts") {
            for line in mounts.lines() {
                if let Some(target) = line.split(' ').nth(1)
                    && Path::new(target).starts_with(&root)
                {
                    let _ = nix::mount::umount2(target, nix::mount::MntFlags::MNT_DETACH);
                }
            }
        }
    }
}

fn normalise_table(out: &str, ids: &[String]) -> Vec<Vec<String>> {
    out.lines()
        .map(|l| {
            cells(l)
                .iter()
                .map(|c| {
                    let c = clock_cell(c);
                    if ids.iter().any(|id| id.get(..12) == Some(c.as_str()) || *id == c) {
                        "<container id>".to_owned()
                    } else {
                        c
                    }
                })
                .collect()
        })
        .collect()
}

/// `system df -v` lists images in whatever order the daemon's image map yields them, which
/// changes from run to run, so the rows of its images section are compared as a set.
fn sort_df_image_rows(mut rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    let Some(header) = rows
        .iter()
        .position(|r| r.first().is_some_and(|c| c == "REPOSITORY"))
    else {
        return rows;
    };
    let start = header + 1;
    let len = rows
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take_while(|r| !r.is_empty())
        .count();
    if let Some(section) = rows.get_mut(start..start + len) {
        section.sort();
    }
    rows
}

/// Pull output without the timing-dependent transient statuses.
fn normalise_pull(out: &str) -> String {
    let transient = [
        ": Pulling fs layer",
        ": Waiting",
        ": Verifying Checksum",
        ": Download complete",
    ];
    out.lines()
        .filter(|l| !transient.iter().any(|t| l.ends_with(t)))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// One engine under test: runs a docker command line and gives back its output.
type Engine<'a> = dyn Fn(&[&str]) -> Output + 'a;

/// The scenario, returning (step, normalised output) for each step.
fn scenario(run: &Engine<'_>, app: &str, base: &str) -> Vec<(String, String)> {
    let mut steps = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    let step = |name: &str, args: &[&str], ids: &[String], steps: &mut Vec<(String, String)>| -> String {
        let out = run(args);
        let stdout = text(&out.stdout);
        let shown = match name {
            n if n.starts_with("pull") => normalise_pull(&stdout),
            "diff" => {
                let mut lines: Vec<&str> = stdout.lines().collect();
                lines.sort_unstable();
                lines.join("\n")
            }
            n if n.starts_with("system df") => {
                format!("{:?}", sort_df_image_rows(normalise_table(&stdout, ids)))
            }
            n if n.starts_with("ps") => {
                format!("{:?}", normalise_table(&stdout, ids))
            }
            "images" => rows_as_a_set(&stdout),
            _ => stdout.clone(),
        };
        steps.push((
            format!("{name}: docker {}", args.join(" ")),
            format!("exit {:?}\n{shown}", out.status.code()),
        ));
        if !out.status.success() {
            // Not compared (each engine words its errors), but shown when a step differs.
            eprintln!("{name}: stderr: {}", text(&out.stderr));
        }
        stdout
    };
    step("pull app", &["pull", app], &ids, &mut steps);
    step("pull base", &["pull", base], &ids, &mut steps);
    step("images", &["images"], &ids, &mut steps);
    step("history", &["image", "history", app], &ids, &mut steps);
    step(
        "history -H=false",
        &[
            "image",
            "history",
            "-H=false",
            "--format",
            "{{.CreatedBy}} {{.Size}}",
            app,
        ],
        &ids,
        &mut steps,
    );
    let id = run(&[
        "run",
        "-d",
        "--name",
        "demo",
        "--network",
        "none",
        app,
        "busybox",
        "sleep",
        "600",
    ]);
    let id = text(&id.stdout).trim().to_owned();
    steps.push((
        "run -d prints a 64-hex ID".to_owned(),
        format!("{}", id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())),
    ));
    ids.push(id);
    step(
        "exec",
        &[
            "exec",
            "demo",
            "sh",
            "-c",
            "busybox dd if=/dev/urandom of=/app/new-1M.bin bs=1024 count=1024 2>/dev/null && echo edited in container >> /etc/motd && rm /etc/passwd && echo ok",
        ],
        &ids,
        &mut steps,
    );
    step(
        "exec not found",
        &["exec", "demo", "nosuchcommand"],
        &ids,
        &mut steps,
    );
    step("ps -s", &["ps", "-a", "-s"], &ids, &mut steps);
    step("diff", &["diff", "demo"], &ids, &mut steps);
    step("system df", &["system", "df"], &ids, &mut steps);
    step("system df -v", &["system", "df", "-v"], &ids, &mut steps);
    step("stop", &["stop", "-t", "1", "demo"], &ids, &mut steps);
    step("ps -a after stop", &["ps", "-a"], &ids, &mut steps);
    step("rm", &["rm", "demo"], &ids, &mut steps);
    step("rmi app", &["rmi", app], &ids, &mut steps);
    step("images after rmi", &["images"], &ids, &mut steps);
    step("rmi base", &["rmi", base], &ids, &mut steps);
    steps
}

#[test]
fn native_engine_prints_what_docker_prints() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "the fidelity suite needs root: it starts dockerd and runs containers"
    );
    let reg = Registry::start(None);
    push_demo(&reg, true);
    let app = format!("{}/demo/app:1.0", reg.host);
    let base = format!("{}/demo/base:1.0", reg.host);

    let docker = Dockerd::start();
    let docker_steps = scenario(&|args| docker.docker(args), &app, &base);
    drop(docker);

    let root = tempfile::tempdir().expect("root");
    let native = |args: &[&str]| {
        Command::new(crate::lesson::layerlab_binary())
            .args(["--engine", "native", "--root"])
            .arg(root.path())
            .args(args)
            .output()
            .expect("layerlab runs")
    };
    let native_steps = scenario(&native, &app, &base);

    let mut mismatches = String::new();
    for ((step, want), (_, got)) in docker_steps.iter().zip(&native_steps) {
        if want != got {
            mismatches.push_str(&format!("--- {step}\ndocker:\n{want}\nlayerlab:\n{got}\n"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "layerlab differs from Docker:\n{mismatches}"
    );
}
