//! The native engine's container lifecycle and volume commands as a terminal program, as root,
//! against the loopback registry: `create`, `start [-a]`, `inspect` (containers, images,
//! `--format`), named and anonymous volumes (`volume create|ls|inspect|rm|prune`, `-v`,
//! `rm -v`, `system df -v`), `-i`, `-t` and `logs -f`/`-t`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use layerlab_core::cli::format::human_size_precision;
use layerlab_core::cli::table::table;

use crate::native_cli::push_demo;
use crate::support::Registry;

fn native(root: &Path, args: &[&str]) -> Output {
    Command::new(crate::lesson::layerlab_binary())
        .args(["--engine", "native", "--root"])
        .arg(root)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("layerlab runs")
}

/// Runs with `input` on stdin (a pipe).
fn native_with_input(root: &Path, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(crate::lesson::layerlab_binary())
        .args(["--engine", "native", "--root"])
        .arg(root)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("layerlab runs");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input).expect("write stdin");
    }
    child.wait_with_output().expect("layerlab ends")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

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

fn json(root: &Path, args: &[&str]) -> serde_json::Value {
    let out = ok(root, args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}):\n{out}"))
}

/// Polls `ps -a` until the container's status starts with `prefix`.
fn wait_status(root: &Path, name: &str, prefix: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        last = ok(root, &["ps", "-a", "--format", "{{.Names}} {{.Status}}"]);
        if last.lines().any(|l| l.starts_with(&format!("{name} {prefix}"))) {
            return last;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{name} never reached {prefix:?}:\n{last}");
}

macro_rules! require_root {
    () => {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("skipped: needs root for namespaces and overlay mounts");
            return;
        }
    };
}

struct Setup {
    _reg: Registry,
    dir: tempfile::TempDir,
    app_ref: String,
    app_id: String,
}

impl Setup {
    fn new() -> Setup {
        let reg = Registry::start(None);
        let (app, _base) = push_demo(&reg, false);
        let dir = tempfile::tempdir().expect("root");
        let app_ref = format!("{}/demo/app:1.0", reg.host);
        ok(dir.path(), &["pull", "-q", &app_ref]);
        Setup {
            _reg: reg,
            dir,
            app_ref,
            app_id: app.id().to_string(),
        }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Setup {
    /// A failed test must not leave its containers running after its data root is gone.
    fn drop(&mut self) {
        let ids = native(self.root(), &["ps", "-a", "-q", "--no-trunc"]);
        let ids = text(&ids.stdout);
        let mut args = vec!["rm", "-f"];
        args.extend(ids.lines());
        if args.len() > 2 {
            let _ = native(self.root(), &args);
        }
    }
}

#[test]
fn create_then_start_and_inspect_like_docker() {
    require_root!();
    let s = Setup::new();
    let root = s.root();
    let app = s.app_ref.as_str();

    let id = ok(
        root,
        &[
            "create",
            "--name",
            "c1",
            "-e",
            "A=1",
            app,
            "sh",
            "-c",
            "echo hi; exit 3",
        ],
    );
    let id = id.trim().to_owned();
    assert!(
        id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
    assert!(wait_status(root, "c1", "Created").contains("c1 Created"));
    // The writable layer exists before anything ran.
    let doc = json(root, &["inspect", "c1"]);
    let c = &doc[0];
    assert_eq!(c["Id"], id.as_str());
    assert_eq!(c["Name"], "/c1");
    assert_eq!(c["Path"], "sh");
    assert_eq!(c["Args"], serde_json::json!(["-c", "echo hi; exit 3"]));
    assert_eq!(c["Image"], s.app_id.as_str());
    assert_eq!(c["State"]["Status"], "created");
    assert_eq!(c["State"]["Running"], false);
    assert_eq!(c["State"]["StartedAt"], "0001-01-01T00:00:00Z");
    assert_eq!(c["GraphDriver"]["Name"], "overlay2");
    let upper = c["GraphDriver"]["Data"]["UpperDir"].as_str().expect("UpperDir");
    assert!(Path::new(upper).is_dir(), "{upper}");
    let lowers = c["GraphDriver"]["Data"]["LowerDir"].as_str().expect("LowerDir");
    assert_eq!(
        lowers.split(':').count(),
        5,
        "init layer over four image layers: {lowers}"
    );
    assert_eq!(
        c["Config"]["Cmd"],
        serde_json::json!(["sh", "-c", "echo hi; exit 3"])
    );
    assert_eq!(c["Config"]["Entrypoint"], serde_json::Value::Null);
    assert_eq!(c["Config"]["WorkingDir"], "/");
    assert_eq!(c["Config"]["Image"], app);
    assert!(
        c["Config"]["Env"]
            .as_array()
            .is_some_and(|e| e.iter().any(|v| v == "A=1")),
        "{c}"
    );
    assert!(c.get("SizeRw").is_none(), "sizes only with -s");

    // start -a: attached, the container's output and exit code are ours.
    let out = native(root, &["start", "-a", "c1"]);
    assert_eq!(
        (out.status.code(), text(&out.stdout)),
        (Some(3), "hi\n".to_owned())
    );
    assert_eq!(
        ok(
            root,
            &[
                "inspect",
                "--format",
                "{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}",
                "c1"
            ]
        ),
        "exited 3 false\n"
    );
    // start without -a echoes the name and runs it again in the same writable layer.
    assert_eq!(ok(root, &["start", "c1"]), "c1\n");
    wait_status(root, "c1", "Exited (3)");
    assert_eq!(ok(root, &["logs", "c1"]), "hi\nhi\n");

    let sized = json(root, &["container", "inspect", "-s", "c1"]);
    assert_eq!(sized[0]["SizeRw"], 0, "{}", sized[0]);
    assert!(sized[0]["SizeRootFs"].as_u64().is_some_and(|n| n > 300_000));

    // Images: Docker's document, alone or beside a container, and through a template.
    let image = json(root, &["inspect", app]);
    assert_eq!(image[0]["Id"], s.app_id.as_str());
    assert_eq!(image[0]["RootFS"]["Type"], "layers");
    assert_eq!(image[0]["RootFS"]["Layers"].as_array().map(Vec::len), Some(4));
    let both = ok(root, &["inspect", "--format", "{{.Id}}", "c1", app]);
    assert_eq!(both, format!("{id}\n{}\n", s.app_id));
    assert_eq!(
        ok(root, &["inspect", "--format", "{{json .Config.Cmd}}", "c1"]),
        "[\"sh\",\"-c\",\"echo hi; exit 3\"]\n"
    );

    let missing = native(root, &["inspect", "nosuch"]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(text(&missing.stderr), "Error: No such object: nosuch\n");
    let missing = native(root, &["start", "nosuch"]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(
        text(&missing.stderr),
        "Error response from daemon: No such container: nosuch\nError: failed to start containers: nosuch\n"
    );
    // A created container whose command does not exist fails at start, as Docker's does.
    ok(root, &["create", "--name", "bad", app, "nosuchcommand"]);
    let bad = native(root, &["start", "bad"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).contains("executable file not found"),
        "{}",
        text(&bad.stderr)
    );
    assert!(
        text(&bad.stderr).ends_with("Error: failed to start containers: bad\n"),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn named_and_anonymous_volumes() {
    require_root!();
    let s = Setup::new();
    let root = s.root();
    let app = s.app_ref.as_str();

    assert_eq!(ok(root, &["volume", "create", "data"]), "data\n");
    assert_eq!(
        ok(root, &["volume", "create", "data"]),
        "data\n",
        "an existing name is reused"
    );
    assert_eq!(
        ok(root, &["volume", "ls"]),
        table(&[row(&["DRIVER", "VOLUME NAME"]), row(&["local", "data"])])
    );
    let bad = native(root, &["volume", "create", "../x"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("includes invalid characters for a local volume name"));
    let doc = json(root, &["volume", "inspect", "data"]);
    let mountpoint = root.join("volumes/data/_data");
    assert_eq!(doc[0]["Mountpoint"], mountpoint.display().to_string().as_str());
    assert_eq!(
        (doc[0]["Driver"].as_str(), doc[0]["Scope"].as_str()),
        (Some("local"), Some("local"))
    );

    // First mount of an empty volume: the image's /app is copied in; writes land in the volume,
    // not in the container's layer, and outlive the container.
    let out = ok(
        root,
        &[
            "run",
            "--rm",
            "-v",
            "data:/app",
            app,
            "sh",
            "-c",
            "ls /app; echo kept > /app/new.txt",
        ],
    );
    assert_eq!(out, "app.sh\ndata.bin\n");
    assert_eq!(
        std::fs::read_to_string(mountpoint.join("new.txt"))
            .ok()
            .as_deref(),
        Some("kept\n")
    );
    assert_eq!(
        ok(root, &["volume", "ls", "-q"]),
        "data\n",
        "--rm keeps named volumes"
    );
    // Not empty any more: nothing is copied over what is there.
    std::fs::remove_file(mountpoint.join("app.sh")).expect("rm");
    let out = ok(
        root,
        &[
            "run",
            "--rm",
            "-v",
            "data:/app:ro",
            app,
            "sh",
            "-c",
            "ls /app; touch /app/x 2>/dev/null || echo read-only",
        ],
    );
    assert_eq!(out, "data.bin\nnew.txt\nread-only\n");

    // In use by a container (even stopped), a volume cannot be removed.
    let id = ok(
        root,
        &[
            "run",
            "-d",
            "--name",
            "user",
            "-v",
            "data:/data",
            app,
            "busybox",
            "sleep",
            "600",
        ],
    );
    let id = id.trim();
    let busy = native(root, &["volume", "rm", "data"]);
    assert_eq!(busy.status.code(), Some(1));
    assert_eq!(
        text(&busy.stderr),
        format!("Error response from daemon: remove data: volume is in use - [{id}]\n")
    );
    let doc = json(root, &["inspect", "user"]);
    let mounts = &doc[0]["Mounts"];
    assert_eq!(mounts[0]["Type"], "volume");
    assert_eq!(mounts[0]["Name"], "data");
    assert_eq!(mounts[0]["Destination"], "/data");
    assert_eq!(mounts[0]["Source"], mountpoint.display().to_string().as_str());

    // system df counts the volume's bytes, outside every container's SIZE.
    let size = 300_000 + "kept\n".len() as u64;
    let dfv = ok(root, &["system", "df", "-v"]);
    let volumes_section = dfv
        .split("Local Volumes space usage:\n\n")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .unwrap_or_default();
    assert_eq!(
        format!("{volumes_section}\n"),
        table(&[
            row(&["VOLUME NAME", "LINKS", "SIZE"]),
            row(&["data", "1", &human_size_precision(size, 4)])
        ]),
        "{dfv}"
    );
    assert!(
        dfv.contains(&format!("{}   {app}", &id[..12])) && dfv.contains("   1               0B   "),
        "LOCAL VOLUMES 1 and SIZE 0B for the container:\n{dfv}"
    );

    // An anonymous volume goes with `rm -v`; a named one stays.
    ok(
        root,
        &[
            "create",
            "--name",
            "anon",
            "-v",
            "/cache",
            "-v",
            "data:/data",
            app,
            "true",
        ],
    );
    let doc = json(root, &["inspect", "anon"]);
    let anon = doc[0]["Mounts"][0]["Name"]
        .as_str()
        .expect("anonymous volume name")
        .to_owned();
    assert_eq!(anon.len(), 64, "{anon}");
    assert_eq!(doc[0]["Config"]["Volumes"]["/cache"], serde_json::json!({}));
    assert!(ok(root, &["volume", "ls", "-q"]).contains(&anon));
    assert_eq!(ok(root, &["rm", "-v", "anon"]), "anon\n");
    assert!(!ok(root, &["volume", "ls", "-q"]).contains(&anon));
    assert!(root.join("volumes/data").is_dir());

    // prune removes what no container mounts.
    ok(root, &["volume", "create", "spare"]);
    let prune = ok(root, &["volume", "prune", "-f"]);
    assert_eq!(prune, "Deleted Volumes:\nspare\n\nTotal reclaimed space: 0B\n");
    ok(root, &["rm", "-f", "user"]);
    let prune = ok(root, &["volume", "prune", "-f"]);
    assert_eq!(
        prune,
        format!(
            "Deleted Volumes:\ndata\n\nTotal reclaimed space: {}\n",
            human_size_precision(size, 4)
        )
    );
    assert_eq!(ok(root, &["volume", "ls", "-q"]), "");
    // Without -f, prune asks; anything but y keeps everything.
    ok(root, &["volume", "create", "kept"]);
    let asked = native_with_input(root, &["volume", "prune"], b"n\n");
    assert_eq!(asked.status.code(), Some(0));
    assert!(text(&asked.stdout).starts_with("WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] "));
    assert_eq!(ok(root, &["volume", "ls", "-q"]), "kept\n");
    let gone = native(root, &["volume", "rm", "kept", "nosuch"]);
    assert_eq!(gone.status.code(), Some(1));
    assert_eq!(text(&gone.stdout), "kept\n");
    assert_eq!(
        text(&gone.stderr),
        "Error response from daemon: get nosuch: no such volume\n"
    );
}

#[test]
fn terminals_and_stdin() {
    require_root!();
    let s = Setup::new();
    let root = s.root();
    let app = s.app_ref.as_str();
    let probe = "tty; test -t 0 && echo yes";

    // -t: the container's own terminal, in its own devpts; output comes through it (CRLF).
    let out = ok(root, &["run", "--rm", "-t", app, "sh", "-c", probe]);
    assert_eq!(out, "/dev/pts/0\r\nyes\r\n");
    let out = native(root, &["run", "--rm", app, "sh", "-c", probe]);
    assert_eq!(text(&out.stdout), "not a tty\n");

    // A terminal container's output is logged as stdout.
    ok(
        root,
        &["run", "--name", "tty", "-t", app, "sh", "-c", "echo to-the-log"],
    );
    assert_eq!(ok(root, &["logs", "tty"]), "to-the-log\r\n");
    assert_eq!(json(root, &["inspect", "tty"])[0]["Config"]["Tty"], true);

    // -i passes stdin through; without -i the container reads nothing.
    let out = native_with_input(root, &["run", "--rm", "-i", app, "cat"], b"hello\n");
    assert_eq!(
        (out.status.code(), text(&out.stdout)),
        (Some(0), "hello\n".to_owned())
    );
    let out = native_with_input(root, &["run", "--rm", app, "cat"], b"hello\n");
    assert_eq!(text(&out.stdout), "");

    // -it needs a terminal on our side, as Docker says.
    let out = native_with_input(root, &["run", "--rm", "-it", app, "sh"], b"exit\n");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "the input device is not a TTY\n");

    // Detached, -i and -t keep a shell waiting for input instead of ending at once.
    ok(root, &["run", "-dit", "--name", "shell", app, "sh"]);
    ok(root, &["run", "-di", "--name", "reader", app, "cat"]);
    ok(root, &["run", "-d", "--name", "quick", app, "cat"]);
    wait_status(root, "quick", "Exited (0)");
    std::thread::sleep(Duration::from_millis(300));
    let ps = ok(root, &["ps", "--format", "{{.Names}}"]);
    assert!(
        ps.contains("shell") && ps.contains("reader"),
        "{ps}\n{}\n{}{}",
        ok(root, &["ps", "-a"]),
        ok(root, &["logs", "shell"]),
        ok(root, &["inspect", "--format", "{{json .State}}", "shell"])
    );
    assert_eq!(
        ok(
            root,
            &[
                "exec",
                "shell",
                "sh",
                "-c",
                "ls -l /proc/1/fd/0 | busybox sed 's/.*-> //'"
            ]
        ),
        "/dev/pts/0\n"
    );
    ok(root, &["rm", "-f", "shell", "reader"]);
}

/// Runs with a terminal (a pty made here, 33x101) as stdin, stdout and stderr, typing `input`:
/// returns the exit code, what the terminal showed, and whether the terminal was back in its
/// line mode (canonical, echoing) afterwards.
fn native_in_terminal(root: &Path, args: &[&str], input: &[u8]) -> (Option<i32>, String, bool) {
    use rustix::fs::{Mode, OFlags};
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    use rustix::termios::{LocalModes, Winsize, tcgetattr, tcsetwinsize};
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC).expect("ptmx");
    grantpt(&master).expect("grantpt");
    unlockpt(&master).expect("unlockpt");
    let name = ptsname(&master, Vec::new()).expect("ptsname");
    let slave = rustix::fs::open(
        name.as_c_str(),
        OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .expect("open the terminal");
    let size = Winsize {
        ws_row: 33,
        ws_col: 101,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    tcsetwinsize(&slave, size).expect("window size");
    let fd = |f: &std::os::fd::OwnedFd| Stdio::from(f.try_clone().expect("dup"));
    let mut child = Command::new(crate::lesson::layerlab_binary())
        .args(["--engine", "native", "--root"])
        .arg(root)
        .args(args)
        .stdin(fd(&slave))
        .stdout(fd(&slave))
        .stderr(fd(&slave))
        .spawn()
        .expect("layerlab runs");
    let mut reader = std::fs::File::from(master.try_clone().expect("dup"));
    let shown = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        // EIO once every holder of the terminal's other side has closed it.
        while let Ok(n) = std::io::Read::read(&mut reader, &mut buf) {
            match buf.get(..n) {
                Some(chunk) if n > 0 => all.extend_from_slice(chunk),
                _ => break,
            }
        }
        all
    });
    std::fs::File::from(master).write_all(input).expect("type");
    let status = child.wait().expect("layerlab ends");
    let restored =
        tcgetattr(&slave).is_ok_and(|t| t.local_modes.contains(LocalModes::ICANON | LocalModes::ECHO));
    drop(slave);
    let shown = shown.join().expect("reader");
    (status.code(), text(&shown), restored)
}

#[test]
fn an_interactive_terminal_relays_keys_size_and_exit_code() {
    require_root!();
    let s = Setup::new();
    let root = s.root();
    let (code, shown, restored) = native_in_terminal(
        root,
        &[
            "run",
            "--rm",
            "-it",
            &s.app_ref,
            "sh",
            "-c",
            "busybox stty size; read line; echo got-$line; exit 4",
        ],
        b"abc\n",
    );
    assert_eq!(code, Some(4), "{shown:?}");
    assert!(
        shown.contains("33 101\r\n"),
        "the window size is the caller's: {shown:?}"
    );
    assert!(shown.contains("got-abc\r\n"), "{shown:?}");
    assert!(restored, "the caller's terminal is back in line mode");
}

#[test]
fn logs_follow_and_timestamps() {
    require_root!();
    let s = Setup::new();
    let root = s.root();
    let app = s.app_ref.as_str();
    ok(
        root,
        &[
            "run",
            "-d",
            "--name",
            "follow",
            app,
            "sh",
            "-c",
            "echo a; sleep 1; echo b >&2; echo c",
        ],
    );
    let start = std::time::Instant::now();
    let out = native(root, &["logs", "-f", "follow"]);
    assert!(
        start.elapsed() >= Duration::from_millis(500),
        "-f waited for the container"
    );
    assert_eq!(
        (text(&out.stdout), text(&out.stderr)),
        ("a\nc\n".to_owned(), "b\n".to_owned())
    );

    // Every line gets Docker's RFC3339NanoFixed time (2026-11-27T21:00:00.123456789Z) first.
    let stamped = ok(root, &["logs", "-t", "follow"]);
    let mut lines = Vec::new();
    for l in stamped.lines() {
        let (time, line) = l.split_once(' ').expect("a timestamp, then the line");
        assert_eq!(time.len(), 30, "{time}");
        assert!(
            time.ends_with('Z') && time.parse::<jiff_free_check::Rfc3339>().is_ok(),
            "{time}"
        );
        lines.push(line);
    }
    assert_eq!(lines, ["a", "c"]);
    let last = native(root, &["logs", "--tail", "1", "follow"]);
    let both = format!("{}{}", text(&last.stdout), text(&last.stderr));
    assert!(
        both == "c\n" || both == "b\n",
        "one line, the last logged: {both:?}"
    );
}

/// A tiny RFC 3339 shape check, so this test needs no date crate.
mod jiff_free_check {
    pub struct Rfc3339;
    impl std::str::FromStr for Rfc3339 {
        type Err = ();
        fn from_str(s: &str) -> Result<Self, ()> {
            let b = s.as_bytes();
            let digits =
                |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
            let ok = digits(0..4)
                && b.get(4) == Some(&b'-')
                && digits(5..7)
                && b.get(7) == Some(&b'-')
                && digits(8..10)
                && b.get(10) == Some(&b'T')
                && digits(11..13)
                && digits(14..16)
                && digits(17..19)
                && digits(20..29);
            if ok { Ok(Rfc3339) } else { Err(()) }
        }
    }
}
