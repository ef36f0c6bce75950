//! The native runtime against a real kernel: a busybox root filesystem made of two layer
//! directories, run in fresh namespaces, checked from inside and from the host.
//!
//! Needs root (namespaces, overlay, mknod); without it each test prints why and returns.

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use layerlab::runtime::cgroups::Limits;
use layerlab::runtime::changes::{changes, container_changes, container_size, upper_size};
use layerlab::runtime::detach::{ContainerState, start_detached};
use layerlab::runtime::process::ProcessSpec;
use layerlab::runtime::spawn::{ContainerSpec, RunError, RunOptions, run, start};
use layerlab::runtime::{BindMount, ContainerLayout, NetworkMode, StorageDriver};

const BIG_FILE_LEN: usize = 100_000;

fn is_root() -> bool {
    nix::unistd::Uid::effective().is_root()
}

macro_rules! require_root {
    () => {
        if !is_root() {
            eprintln!("skipped: needs root for namespaces, overlay mounts and device nodes");
            return;
        }
    };
}

fn busybox() -> PathBuf {
    for p in ["/bin/busybox", "/usr/bin/busybox"] {
        if Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    panic!("busybox not found: install busybox-static (apt-get install -y busybox-static)");
}

/// A scratch directory removed at the end of the test.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("layerlab-it-runtime-{name}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // A test that failed half way may leave a mount inside (its marker mount, say), which
        // would make the removal fail: detach every mount under the directory first, deepest
        // first.
        let prefix = self.0.to_string_lossy().into_owned();
        let mut points: Vec<String> = fs::read_to_string("/proc/self/mounts")
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split(' ').nth(1).map(str::to_owned))
            .filter(|p| p.starts_with(&prefix))
            .collect();
        points.sort_by_key(|p| std::cmp::Reverse(p.len()));
        for p in points {
            let _ = nix::mount::umount2(p.as_str(), nix::mount::MntFlags::MNT_DETACH);
        }
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Two layers, as a snapshotter would leave them: `base` has busybox and its applets, /etc, a
/// 100 kB data file and a file that is not executable; `top` replaces /etc/motd and adds a file
/// the tests delete.
fn make_layers(root: &Path) -> Vec<PathBuf> {
    let base = root.join("layers/base");
    let top = root.join("layers/top");
    for d in [
        "bin", "etc", "data", "tmp", "root", "home/app", "proc", "sys", "dev",
    ] {
        fs::create_dir_all(base.join(d)).expect("base dir");
    }
    fs::set_permissions(base.join("tmp"), fs::Permissions::from_mode(0o1777)).expect("tmp mode");
    fs::copy(busybox(), base.join("bin/busybox")).expect("copy busybox");
    let list = std::process::Command::new(busybox())
        .arg("--list")
        .output()
        .expect("busybox --list");
    for applet in String::from_utf8_lossy(&list.stdout).lines() {
        if applet != "busybox" && !applet.is_empty() {
            let _ = std::os::unix::fs::symlink("busybox", base.join("bin").join(applet));
        }
    }
    fs::write(
        base.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n",
    )
    .expect("passwd");
    fs::write(base.join("etc/group"), "root:x:0:\napp:x:1000:\nstaff:x:50:app\n").expect("group");
    fs::write(base.join("etc/motd"), "base motd\n").expect("motd");
    fs::write(base.join("data/big.bin"), vec![b'x'; BIG_FILE_LEN]).expect("big");
    fs::write(base.join("bin/notexec"), "#!/bin/sh\necho no\n").expect("notexec");
    fs::set_permissions(base.join("bin/notexec"), fs::Permissions::from_mode(0o644)).expect("chmod");

    fs::create_dir_all(top.join("etc")).expect("top etc");
    fs::write(top.join("etc/motd"), "top motd\n").expect("top motd");
    fs::write(top.join("etc/todelete"), "delete me\n").expect("todelete");
    vec![top, base]
}

struct Fixture {
    scratch: Scratch,
    layers: Vec<PathBuf>,
    id: String,
}

impl Fixture {
    fn new(name: &str) -> Self {
        let scratch = Scratch::new(name);
        let layers = make_layers(&scratch.0);
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let id = format!("{:08x}{:04x}{}", std::process::id(), n, "ab".repeat(26));
        Fixture { scratch, layers, id }
    }

    fn layout(&self) -> ContainerLayout {
        ContainerLayout::new(self.scratch.0.join("c"))
    }

    fn log_path(&self) -> PathBuf {
        self.scratch.0.join("c-json.log")
    }

    fn spec(&self, cmd: &[&str]) -> ContainerSpec {
        ContainerSpec {
            id: self.id.clone(),
            layout: self.layout(),
            driver: StorageDriver::Overlay,
            image_layers: self.layers.clone(),
            rootless: false,
            auto_remove: false,
            process: ProcessSpec {
                cmd: cmd.iter().map(|s| (*s).to_owned()).collect(),
                env: vec!["PATH=/bin".to_owned()],
                ..ProcessSpec::default()
            },
            network: NetworkMode::None,
            volumes: vec![],
            limits: Limits::default(),
            log_path: Some(self.log_path()),
        }
    }

    /// Run and return the exit code with what the container wrote to stdout and stderr, read
    /// back from its json-file log.
    fn run_spec(&self, spec: &ContainerSpec) -> (i32, String, String) {
        let _ = fs::remove_file(self.log_path());
        let code = run(spec, &RunOptions::default()).expect("container runs");
        let (mut out, mut err) = (String::new(), String::new());
        let log = fs::read_to_string(self.log_path()).unwrap_or_default();
        for line in log.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("log line is JSON");
            let text = v["log"].as_str().expect("log field");
            assert!(v["time"].as_str().is_some_and(|t| t.ends_with('Z')), "{line}");
            match v["stream"].as_str() {
                Some("stdout") => out.push_str(text),
                Some("stderr") => err.push_str(text),
                other => panic!("unknown stream {other:?}"),
            }
        }
        (code, out, err)
    }

    fn run(&self, cmd: &[&str]) -> (i32, String, String) {
        self.run_spec(&self.spec(cmd))
    }
}

#[test]
fn pid_one_is_the_command() {
    require_root!();
    let f = Fixture::new("pid1");
    let (code, out, err) = f.run(&["sh", "-c", "echo $$"]);
    assert_eq!((code, out.as_str()), (0, "1\n"), "stderr: {err}");
}

#[test]
fn hostname_is_the_short_container_id() {
    require_root!();
    let f = Fixture::new("hostname");
    let (code, out, _) = f.run(&["sh", "-c", "hostname; cat /etc/hostname; echo $HOSTNAME"]);
    let short = &f.id[..12];
    assert_eq!(code, 0);
    assert_eq!(out, format!("{short}\n{short}\n{short}\n"));
}

#[test]
fn host_processes_are_invisible() {
    require_root!();
    let f = Fixture::new("procs");
    // ls is pid 1 here, so the only process directory must be 1.
    let (code, out, _) = f.run(&["ls", "/proc"]);
    assert_eq!(code, 0);
    let pids: Vec<&str> = out
        .lines()
        .filter(|l| l.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    assert_eq!(pids, ["1"]);
}

#[test]
fn host_mounts_are_invisible() {
    require_root!();
    let f = Fixture::new("mounts");
    let marker = f.scratch.0.join("host-marker-mount");
    fs::create_dir_all(&marker).expect("marker dir");
    nix::mount::mount(
        Some("tmpfs"),
        &marker,
        Some("tmpfs"),
        nix::mount::MsFlags::empty(),
        Some("size=1m"),
    )
    .expect("marker mount");
    let result = f.run(&["cat", "/proc/mounts"]);
    let _ = nix::mount::umount2(&marker, nix::mount::MntFlags::MNT_DETACH);
    let (code, out, _) = result;
    assert_eq!(code, 0);
    assert!(!out.contains("host-marker-mount"), "{out}");
    // What is there is the container's own: the overlay root and the kernel filesystems.
    let targets: Vec<&str> = out.lines().filter_map(|l| l.split(' ').nth(1)).collect();
    assert_eq!(targets.first(), Some(&"/"), "{out}");
    for want in ["/proc", "/dev", "/dev/pts", "/dev/shm", "/sys", "/etc/hosts"] {
        assert!(targets.contains(&want), "{want} missing from {targets:?}");
    }
    assert!(
        targets
            .iter()
            .all(|t| !t.starts_with("/work") && !t.starts_with("/tmp/"))
    );
}

#[test]
fn only_stdio_descriptors_reach_the_container() {
    require_root!();
    let f = Fixture::new("fds");
    // A descriptor the host leaves inheritable must still not reach the container.
    let leak = fs::File::open("/etc/hostname").expect("open");
    nix::fcntl::fcntl(&leak, nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty()))
        .expect("clear cloexec");
    // pid 1 is the shell (the trailing `true` keeps it from exec-ing ls): its descriptors are
    // exactly stdin (/dev/null) and the stdout and stderr pipes. Then ls lists its own: the
    // same three plus 3, the directory it opened to read /proc/self/fd.
    let (code, out, err) = f.run(&["sh", "-c", "ls -l /proc/1/fd; ls /proc/self/fd; true"]);
    drop(leak);
    assert_eq!(code, 0, "{err}");
    let pid1: Vec<(&str, &str)> = out
        .lines()
        .filter_map(|l| l.split_once(" -> "))
        .filter_map(|(left, target)| Some((left.rsplit(' ').next()?, target)))
        .collect();
    assert_eq!(
        pid1.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        ["0", "1", "2"],
        "{out}"
    );
    assert_eq!(pid1[0].1, "/dev/null");
    assert!(
        pid1[1].1.starts_with("pipe:") && pid1[2].1.starts_with("pipe:"),
        "{out}"
    );
    let own: Vec<&str> = out.lines().filter(|l| !l.contains(' ')).collect();
    assert_eq!(own, ["0", "1", "2", "3"], "{out}");
}

#[test]
fn exit_codes_follow_docker() {
    require_root!();
    let f = Fixture::new("exit");
    assert_eq!(f.run(&["sh", "-c", "exit 3"]).0, 3);
    // pid 1 ignores signals it has no handler for from inside its namespace, so the kill comes
    // from the host, as `docker kill` does it.
    let running = start(&f.spec(&["sleep", "30"]), &RunOptions::default()).expect("start");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(running.pid()),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill");
    assert_eq!(running.wait().expect("wait"), 128 + 9);

    let err = run(&f.spec(&["nosuchcommand"]), &RunOptions::default()).expect_err("must fail");
    assert_eq!(err.exit_code(), 127);
    assert_eq!(
        err.to_string(),
        "failed to create shim task: OCI runtime create failed: runc create failed: unable to start \
         container process: exec: \"nosuchcommand\": executable file not found in $PATH: unknown"
    );
    let err = run(&f.spec(&["/bin/nosuch"]), &RunOptions::default()).expect_err("must fail");
    assert_eq!(err.exit_code(), 127);
    assert!(
        err.to_string()
            .ends_with("exec: \"/bin/nosuch\": stat /bin/nosuch: no such file or directory: unknown"),
        "{err}"
    );

    let err = run(&f.spec(&["/bin/notexec"]), &RunOptions::default()).expect_err("must fail");
    assert_eq!(err.exit_code(), 126, "{err}");
    assert!(
        err.to_string()
            .ends_with("exec: \"/bin/notexec\": permission denied: unknown"),
        "{err}"
    );
    // Found in PATH only as a non-executable file: Docker says "not found".
    let err = run(&f.spec(&["notexec"]), &RunOptions::default()).expect_err("must fail");
    assert_eq!(err.exit_code(), 127, "{err}");
}

#[test]
fn a_workdir_through_a_leaked_descriptor_is_refused() {
    require_root!();
    let f = Fixture::new("cwd");
    for fd in 3..8 {
        let mut spec = f.spec(&["pwd"]);
        spec.process.workdir = format!("/proc/self/fd/{fd}");
        match run(&spec, &RunOptions::default()) {
            Err(RunError::Start { exit_code, .. }) => assert_eq!(exit_code, 125),
            other => panic!("workdir /proc/self/fd/{fd} gave {other:?}"),
        }
    }
    // An ordinary missing workdir is made, as Docker does.
    let mut spec = f.spec(&["pwd"]);
    spec.process.workdir = "/srv/app".into();
    let (code, out, _) = f.run_spec(&spec);
    assert_eq!((code, out.as_str()), (0, "/srv/app\n"));
}

#[test]
fn users_come_from_the_images_passwd() {
    require_root!();
    let f = Fixture::new("user");
    let mut spec = f.spec(&["sh", "-c", "id; echo $HOME"]);
    spec.process.user = "app".into();
    let (code, out, _) = f.run_spec(&spec);
    assert_eq!(code, 0);
    // The kernel keeps supplementary groups sorted; 1000 is there as the primary group.
    assert_eq!(
        out,
        "uid=1000(app) gid=1000(app) groups=50(staff),1000(app)\n/home/app\n"
    );

    spec.process.user = "4242:50".into();
    let (_, out, _) = f.run_spec(&spec);
    assert_eq!(out, "uid=4242 gid=50(staff) groups=50(staff)\n/\n");

    spec.process.user = "nosuch".into();
    let err = run(&spec, &RunOptions::default()).expect_err("must fail");
    assert_eq!(err.exit_code(), 125);
    assert!(
        err.to_string()
            .contains("unable to find user nosuch: no matching entries in passwd file")
    );

    spec.process.user = "2147483648".into();
    assert!(run(&spec, &RunOptions::default()).is_err());
}

#[test]
fn environment_capabilities_and_loopback() {
    require_root!();
    let f = Fixture::new("env");
    let (code, out, _) = f.run(&["sh", "-c", "env | sort; grep -E '^Cap(Inh|Eff|Amb)' /proc/self/status; cat /sys/class/net/lo/flags; ls /sys/class/net"]);
    assert_eq!(code, 0);
    let short = &f.id[..12];
    for want in [
        "PATH=/bin".to_owned(),
        format!("HOSTNAME={short}"),
        "HOME=/root".to_owned(),
        "CapInh:\t0000000000000000".to_owned(),
        "CapEff:\t00000000a80425fb".to_owned(),
        "CapAmb:\t0000000000000000".to_owned(),
        // IFF_UP | IFF_LOOPBACK: lo is up, and it is the only interface.
        "0x9".to_owned(),
    ] {
        assert!(out.lines().any(|l| l == want), "{want:?} not in\n{out}");
    }
    assert_eq!(out.lines().last(), Some("lo"));
}

#[test]
fn output_is_logged_as_json_file_per_stream() {
    require_root!();
    let f = Fixture::new("logs");
    let (code, out, err) = f.run(&["sh", "-c", "echo one; echo two >&2; printf 'no newline'"]);
    assert_eq!(code, 0);
    assert_eq!(out, "one\nno newline");
    assert_eq!(err, "two\n");
    let log = fs::read_to_string(f.log_path()).expect("log");
    assert!(
        log.lines()
            .any(|l| l.starts_with("{\"log\":\"one\\n\",\"stream\":\"stdout\",\"time\":\"")),
        "{log}"
    );
}

#[test]
fn writes_copy_up_deletes_leave_whiteouts_and_sizes_add_up() {
    require_root!();
    let f = Fixture::new("upper");
    let script = "echo x >> /data/big.bin; rm /etc/todelete; echo hi > /new.txt; \
                  ln /new.txt /new2.txt; ln -s /data/big.bin /link; cat /etc/motd";
    let (code, out, err) = f.run(&["sh", "-c", script]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "top motd\n");
    let layout = f.layout();
    let upper = &layout.upper;

    // Copy-up: the whole file, plus the appended bytes, now lives in the upper dir.
    let big = fs::metadata(upper.join("data/big.bin")).expect("copied up");
    assert_eq!(big.len(), (BIG_FILE_LEN + 2) as u64);
    // The lower file is untouched.
    let lower_big = fs::metadata(f.layers[1].join("data/big.bin")).expect("lower");
    assert_eq!(lower_big.len(), BIG_FILE_LEN as u64);

    let wh = fs::symlink_metadata(upper.join("etc/todelete")).expect("whiteout");
    assert!(wh.file_type().is_char_device());
    assert_eq!(wh.rdev(), 0);

    // 100002 copied up + 3 for new.txt (its second name counts once) + 13 for the symlink
    // target "/data/big.bin"; directories and the whiteout count 0.
    assert_eq!(upper_size(upper).expect("size"), 100_002 + 3 + 13);

    let lowers = layout.overlay_lowers(&f.layers);
    let diff: Vec<String> = changes(upper, &lowers)
        .expect("diff")
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        diff,
        [
            "C /data",
            "C /data/big.bin",
            "C /etc",
            "D /etc/todelete",
            "A /link",
            "A /new.txt",
            "A /new2.txt",
        ]
    );
}

#[test]
fn vfs_driver_copies_the_layers() {
    require_root!();
    let f = Fixture::new("vfs");
    let script = "cat /etc/motd; ls /etc/todelete && rm /etc/todelete; \
                  echo x >> /data/big.bin; echo hi > /new.txt";
    let mut spec = f.spec(&["sh", "-c", script]);
    spec.driver = StorageDriver::Vfs;
    let (code, out, _) = f.run_spec(&spec);
    assert_eq!((code, out.as_str()), (0, "top motd\n/etc/todelete\n"));
    let layout = f.layout();
    let copy = &layout.vfs_root;
    assert!(!copy.join("etc/todelete").exists());
    assert_eq!(
        fs::read_to_string(copy.join("etc/motd")).expect("motd"),
        "top motd\n"
    );
    assert!(!layout.upper.exists(), "vfs must not make an overlay upper dir");
    // The same answers as overlay gives for the same changes, from the whole copy this time.
    let diff: Vec<String> = container_changes(&layout, StorageDriver::Vfs, &f.layers)
        .expect("diff")
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        diff,
        [
            "C /data",
            "C /data/big.bin",
            "C /etc",
            "D /etc/todelete",
            "A /new.txt"
        ]
    );
    let size = container_size(&layout, StorageDriver::Vfs, &f.layers).expect("size");
    assert_eq!(size, 100_002 + 3);
}

#[test]
fn volumes_are_bound_and_read_only_when_asked() {
    require_root!();
    let f = Fixture::new("volumes");
    let vol = f.scratch.0.join("vol");
    fs::create_dir_all(&vol).expect("vol");
    fs::write(vol.join("hello"), "from host\n").expect("w");
    let mut spec = f.spec(&[
        "sh",
        "-c",
        "cat /mnt/v/hello; touch /mnt/v/x 2>/dev/null && echo writable || echo read-only",
    ]);
    spec.volumes = vec![BindMount {
        source: vol.clone(),
        destination: "/mnt/v".into(),
        read_only: true,
    }];
    let (code, out, _) = f.run_spec(&spec);
    assert_eq!((code, out.as_str()), (0, "from host\nread-only\n"));
    assert!(!vol.join("x").exists());
}

#[test]
fn memory_limit_is_applied_or_reported() {
    require_root!();
    let f = Fixture::new("cgroup");
    let mut spec = f.spec(&["cat", "/proc/self/cgroup"]);
    spec.limits = Limits {
        memory: Some(64 << 20),
        pids: Some(64),
    };
    let running = start(&spec, &RunOptions::default()).expect("start");
    let warnings = running.warnings().to_vec();
    let code = running.wait().expect("wait");
    assert_eq!(code, 0);
    let out = fs::read_to_string(f.log_path()).expect("log");
    if warnings.is_empty() {
        assert!(out.contains(&format!("layerlab/{}", f.id)), "{out}");
    } else {
        eprintln!("limits not applied on this machine: {warnings:?}");
        assert!(
            warnings
                .iter()
                .all(|w| w.contains("Limitation discarded") || w.contains("limit discarded"))
        );
    }
}

#[test]
fn a_symlinked_proc_in_the_image_is_refused() {
    require_root!();
    let f = Fixture::new("symproc");
    fs::remove_dir(f.layers[0].parent().expect("layers").join("base/proc")).expect("rm proc");
    std::os::unix::fs::symlink("/", f.layers[1].join("proc")).expect("ln");
    let err = run(&f.spec(&["true"]), &RunOptions::default()).expect_err("must fail");
    assert_eq!(err.exit_code(), 125);
    assert!(
        err.to_string().contains("must be mounted on ordinary directory"),
        "{err}"
    );
}

#[test]
fn detached_containers_keep_logging_and_record_their_exit() {
    require_root!();
    let f = Fixture::new("detach");
    let spec = f.spec(&["sh", "-c", "echo started; exec sleep 30"]);
    let detached = start_detached(&spec).expect("detached start");
    let state = ContainerState::load(&f.layout().dir).expect("state");
    assert!(state.running);
    assert_eq!(state.pid, detached.pid);
    // The monitor keeps logging after start returned: wait for the line, then kill.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !fs::read_to_string(f.log_path())
        .unwrap_or_default()
        .contains("started")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no log line from the detached container"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(detached.pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill");
    let done = ContainerState::wait(&f.layout().dir, Duration::from_secs(10)).expect("exited");
    assert_eq!(done.exit_code, Some(137));
    let log = fs::read_to_string(f.log_path()).expect("log");
    assert!(
        log.starts_with("{\"log\":\"started\\n\",\"stream\":\"stdout\""),
        "{log}"
    );

    // A start failure reaches the caller, not only the monitor.
    let err = start_detached(&f.spec(&["nosuchcommand"])).expect_err("must fail");
    assert_eq!(err.exit_code(), 127);
}

/// Give a tree to `uid`, symlinks included.
fn chown_tree(root: &Path, uid: u32) {
    for entry in walk(root) {
        std::os::unix::fs::lchown(&entry, Some(uid), Some(uid)).expect("chown");
    }
}

fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = vec![root.to_path_buf()];
    let mut i = 0;
    while let Some(p) = out.get(i).cloned() {
        i += 1;
        if fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir()) {
            for e in fs::read_dir(&p).expect("read_dir") {
                out.push(e.expect("entry").path());
            }
        }
    }
    out
}

#[test]
fn rootless_runs_in_a_user_namespace_with_userxattr() {
    require_root!();
    const NOBODY: u32 = 65534;
    let f = Fixture::new("rootless");
    // Rootless snapshots belong to the user who runs them (as in rootless podman's storage).
    for layer in &f.layers {
        chown_tree(layer, NOBODY);
    }
    let layout = f.layout();
    fs::create_dir_all(&layout.dir).expect("container dir");
    std::os::unix::fs::lchown(&layout.dir, Some(NOBODY), Some(NOBODY)).expect("chown");
    let mut spec = f.spec(&[
        "sh",
        "-c",
        "id -u; cat /proc/self/uid_map; rm -r /etc/todelete /data; mkdir /data; echo new > /data/n; ls /data",
    ]);
    spec.rootless = true;
    spec.log_path = Some(layout.dir.join("json.log"));
    // Drop to nobody in a child process, so the test process keeps its own identity.
    // SAFETY: the child only switches ids, runs the container and _exits.
    let code = match unsafe { nix::unistd::fork() }.expect("fork") {
        nix::unistd::ForkResult::Child => {
            let nobody = nix::unistd::Gid::from_raw(NOBODY);
            let ok = nix::unistd::setgroups(&[])
                .and_then(|()| nix::unistd::setgid(nobody))
                .and_then(|()| nix::unistd::setuid(nix::unistd::Uid::from_raw(NOBODY)));
            let code = match (ok, run(&spec, &RunOptions::default())) {
                (Ok(()), Ok(code)) => code,
                (Ok(()), Err(e)) => {
                    let _ = fs::write(spec.layout.dir.join("error.txt"), e.to_string());
                    100 + e.exit_code() % 100
                }
                (Err(_), _) => 99,
            };
            // SAFETY: ends the child without running the test harness's destructors.
            unsafe { libc::_exit(code) }
        }
        nix::unistd::ForkResult::Parent { child } => match nix::sys::wait::waitpid(child, None) {
            Ok(nix::sys::wait::WaitStatus::Exited(_, c)) => c,
            other => panic!("child ended with {other:?}"),
        },
    };
    let log = fs::read_to_string(layout.dir.join("json.log")).unwrap_or_default();
    let error = fs::read_to_string(layout.dir.join("error.txt")).unwrap_or_default();
    assert_eq!(code, 0, "{error}{log}");
    let out: String = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["log"].as_str().map(str::to_owned))
        .collect();
    let words: Vec<&str> = out.split_whitespace().collect();
    // Root inside, nobody outside; the removed-and-remade /data is opaque in the upper dir.
    assert_eq!(words, ["0", "0", "65534", "1", "n"], "{out}");
    let upper_data = layout.upper.join("data");
    let mut buf = [0u8; 4];
    let opaque = rustix::fs::lgetxattr(&upper_data, "user.overlay.opaque", &mut buf);
    assert_eq!(opaque.ok().and_then(|n| buf.get(..n)), Some(&b"y"[..]));
    let diff: Vec<String> = changes(&layout.upper, &layout.overlay_lowers(&f.layers))
        .expect("diff")
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        diff,
        [
            "C /data",
            "D /data/big.bin",
            "A /data/n",
            "C /etc",
            "D /etc/todelete"
        ]
    );
    layout.remove().expect("rm");
    assert!(!layout.dir.exists());
}

#[test]
fn kernel_interfaces_are_masked_or_read_only() {
    require_root!();
    let f = Fixture::new("masked");
    // /proc/keys and /proc/timer_list exist on every kernel this runs on; kcore may not.
    let (code, out, err) = f.run(&[
        "sh",
        "-c",
        "cat /proc/keys /proc/timer_list | wc -c; ls /sys/firmware | wc -l; \
         (echo x > /proc/sys/kernel/domainname) 2>/dev/null && echo writable || echo read-only; \
         (echo x > /sys/kernel/uevent_helper) 2>/dev/null && echo writable || echo read-only",
    ]);
    assert_eq!(code, 0, "{err}");
    let words: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(words, ["0", "0", "read-only", "read-only"], "{out}");
}

#[test]
fn volume_destinations_through_symlinks_stay_inside_the_root() {
    require_root!();
    let f = Fixture::new("volsym");
    let host_file = f.scratch.0.join("host-file");
    fs::write(&host_file, "host data\n").expect("w");
    let outside = std::env::temp_dir().join(format!("layerlab-escape-{}", std::process::id()));
    let _ = fs::remove_dir_all(&outside);
    // An absolute link climbing out: resolved with the container's root as /, it is <root>/tmp.
    std::os::unix::fs::symlink("/../../../../../../tmp", f.layers[0].join("escape")).expect("link");
    let mut spec = f.spec(&["cat", "/tmp/f"]);
    spec.volumes = vec![BindMount {
        source: host_file.clone(),
        destination: "/escape/f".into(),
        read_only: true,
    }];
    let (code, out, err) = f.run_spec(&spec);
    assert_eq!((code, out.as_str()), (0, "host data\n"), "{err}");
    assert!(!std::env::temp_dir().join("f").exists());

    // A link to a directory that does not exist in the root is refused, and nothing is made
    // on the host where the link would point outside.
    let target = format!("/../../../../../..{}", outside.display());
    std::os::unix::fs::symlink(&target, f.layers[0].join("escape2")).expect("link");
    let mut spec = f.spec(&["true"]);
    spec.volumes = vec![BindMount {
        source: host_file,
        destination: "/escape2/f".into(),
        read_only: false,
    }];
    let err = run(&spec, &RunOptions::default()).expect_err("must fail");
    assert_eq!(err.exit_code(), 125);
    assert!(!outside.exists(), "{} was created on the host", outside.display());
}

#[test]
fn removed_containers_skip_syncing_their_writable_layer() {
    require_root!();
    let f = Fixture::new("autorm");
    let mut spec = f.spec(&["grep", "^overlay / ", "/proc/mounts"]);
    spec.auto_remove = true;
    let (code, out, _) = f.run_spec(&spec);
    assert_eq!(code, 0);
    // The kernel shows the option as fsync=volatile.
    assert!(out.contains("fsync=volatile"), "{out}");
    f.layout().remove().expect("rm");
    let (_, out, _) = f.run(&["grep", "^overlay / ", "/proc/mounts"]);
    assert!(!out.contains("fsync=volatile"), "{out}");
}

#[test]
fn an_attached_container_dies_with_its_caller() {
    require_root!();
    let f = Fixture::new("orphan");
    let spec = f.spec(&["sleep", "30"]);
    let (r, w) = nix::unistd::pipe().expect("pipe");
    // SAFETY: the child starts the container, reports its pid and _exits without waiting.
    let caller = match unsafe { nix::unistd::fork() }.expect("fork") {
        nix::unistd::ForkResult::Child => {
            let opts = RunOptions {
                attach: true,
                ..RunOptions::default()
            };
            let pid = start(&spec, &opts).map(|r| r.pid()).unwrap_or(0);
            let _ = nix::unistd::write(&w, &pid.to_ne_bytes());
            // SAFETY: ends the child without running the test harness's destructors.
            unsafe { libc::_exit(0) }
        }
        nix::unistd::ForkResult::Parent { child } => child,
    };
    drop(w);
    let mut buf = [0u8; 4];
    let n = nix::unistd::read(&r, &mut buf).expect("read");
    assert_eq!(n, 4);
    let _ = nix::sys::wait::waitpid(caller, None);
    let pid = nix::unistd::Pid::from_raw(i32::from_ne_bytes(buf));
    assert!(pid.as_raw() > 0, "the container did not start");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while nix::sys::signal::kill(pid, None).is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "container outlived its caller"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn host_network_shares_the_hosts_interfaces() {
    require_root!();
    let f = Fixture::new("hostnet");
    let mut spec = f.spec(&["ls", "/sys/class/net"]);
    spec.network = NetworkMode::Host;
    let (code, out, _) = f.run_spec(&spec);
    assert_eq!(code, 0);
    let mut host: Vec<String> = fs::read_dir("/sys/class/net")
        .expect("host interfaces")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    host.sort();
    let mut inside: Vec<String> = out.lines().map(str::to_owned).collect();
    inside.sort();
    assert_eq!(inside, host);
}

/// The block device the host's root file system lives on, as (major, minor); when `/` is not on
/// one (an overlay root), the first disk in /sys/block that is not a loop or RAM device.
fn host_root_disk() -> Option<(u64, u64)> {
    let dev = fs::metadata("/").ok()?.dev();
    let (major, minor) = (nix::sys::stat::major(dev), nix::sys::stat::minor(dev));
    if major != 0 {
        return Some((major, minor));
    }
    let mut disks: Vec<String> = fs::read_dir("/sys/block")
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !["loop", "ram", "zram"].iter().any(|p| n.starts_with(p)))
        .filter_map(|n| fs::read_to_string(format!("/sys/block/{n}/dev")).ok())
        .collect();
    disks.sort();
    let (a, b) = disks.first()?.trim().split_once(':')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// A block device that the host itself may open through a node made in `dir`: the root disk, or
/// where this host refuses even its root that (some sandboxes do), the first loop device. A node
/// nobody may open would prove nothing about the container.
fn host_openable_block_device(dir: &Path) -> (u64, u64) {
    let probe = dir.join("probe");
    for (major, minor) in host_root_disk().into_iter().chain([(7, 0)]) {
        let _ = fs::remove_file(&probe);
        let made = nix::sys::stat::mknod(
            &probe,
            nix::sys::stat::SFlag::S_IFBLK,
            nix::sys::stat::Mode::from_bits_truncate(0o600),
            nix::sys::stat::makedev(major, minor),
        );
        let opened = made.is_ok() && fs::File::open(&probe).is_ok();
        let _ = fs::remove_file(&probe);
        if opened {
            return (major, minor);
        }
    }
    panic!("the host may open neither its root disk nor /dev/loop0, so this test cannot show anything here");
}

#[test]
fn device_nodes_made_in_the_container_cannot_reach_host_devices() {
    require_root!();
    let f = Fixture::new("mknod");
    let (major, minor) = host_openable_block_device(&f.scratch.0);
    // A node an image layer brings along is no better than one made in the container.
    let shipped = f.layers[1].join("data/disk");
    nix::sys::stat::mknod(
        &shipped,
        nix::sys::stat::SFlag::S_IFBLK,
        nix::sys::stat::Mode::from_bits_truncate(0o600),
        nix::sys::stat::makedev(major, minor),
    )
    .expect("mknod in the layer");
    let vol = f.scratch.0.join("vol");
    fs::create_dir_all(&vol).expect("vol");
    // Each place the container can write: its rootfs, /dev, /tmp and a volume. mknod itself
    // succeeds, as in Docker (CAP_MKNOD is kept); opening the node must not.
    let script = format!(
        "for n in /disk /dev/disk /tmp/disk /mnt/v/disk; do \
           mknod $n b {major} {minor} && echo made $n; \
           dd if=$n of=/dev/null bs=512 count=1 2>/dev/null && echo READ $n || echo refused $n; \
         done; \
         dd if=/data/disk of=/dev/null bs=512 count=1 2>/dev/null && echo READ shipped || echo refused shipped; \
         mkfifo /tmp/fifo && [ -p /tmp/fifo ] && echo fifo; \
         echo gone > /dev/null && head -c 4 /dev/zero | wc -c && head -c 4 /dev/urandom | wc -c"
    );
    let mut spec = f.spec(&["sh", "-c", &script]);
    spec.volumes = vec![BindMount {
        source: vol.clone(),
        destination: "/mnt/v".into(),
        read_only: false,
    }];
    let (code, out, err) = f.run_spec(&spec);
    let mut want = String::new();
    for n in ["/disk", "/dev/disk", "/tmp/disk", "/mnt/v/disk"] {
        want.push_str(&format!("made {n}\nrefused {n}\n"));
    }
    want.push_str("refused shipped\nfifo\n4\n4\n");
    assert_eq!((code, out.as_str()), (0, want.as_str()), "{err}");
    // The volume's node is on the host's disk now; only the host may use it.
    assert!(fs::symlink_metadata(vol.join("disk")).is_ok_and(|m| m.file_type().is_block_device()));
}

/// The file holding `controller`'s limit for process `pid`, found through /proc/PID/cgroup: in
/// the controller's own v1 hierarchy when it has one, else in the v2 hierarchy.
fn limit_file(pid: i32, controller: &str, v1_file: &str, v2_file: &str) -> Option<PathBuf> {
    let groups = fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    let mut v2_path = None;
    for line in groups.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        let path = path.trim_start_matches('/');
        if controllers.split(',').any(|c| c == controller) {
            return Some(
                Path::new("/sys/fs/cgroup")
                    .join(controller)
                    .join(path)
                    .join(v1_file),
            );
        }
        if controllers.is_empty() {
            v2_path = Some(path.to_owned());
        }
    }
    let v2_root = ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]
        .into_iter()
        .find(|r| Path::new(r).join("cgroup.controllers").exists())?;
    Some(Path::new(v2_root).join(v2_path?).join(v2_file))
}

#[test]
fn memory_and_pids_limits_land_in_the_containers_cgroup_files() {
    require_root!();
    let f = Fixture::new("limits");
    let mut spec = f.spec(&["sleep", "30"]);
    spec.limits = Limits {
        memory: Some(64 << 20),
        pids: Some(20),
    };
    let running = start(&spec, &RunOptions::default()).expect("start");
    let warnings = running.warnings().to_vec();
    let pid = running.pid();
    let read = |controller, v1, v2| {
        let file = limit_file(pid, controller, v1, v2);
        let value = file.as_ref().and_then(|p| fs::read_to_string(p).ok());
        (file, value.map(|v| v.trim().to_owned()))
    };
    let memory = read("memory", "memory.limit_in_bytes", "memory.max");
    let pids = read("pids", "pids.max", "pids.max");
    let _ = running.signal(nix::sys::signal::Signal::SIGKILL);
    let _ = running.wait();
    for (controller, (file, value), want, warning) in [
        (
            "memory",
            memory,
            "67108864",
            layerlab::runtime::cgroups::NO_MEMORY_WARNING,
        ),
        ("pids", pids, "20", layerlab::runtime::cgroups::NO_PIDS_WARNING),
    ] {
        if warnings.iter().any(|w| w == warning) {
            eprintln!("NOT CHECKED: this machine has no usable {controller} controller: {warning}");
            continue;
        }
        assert_eq!(
            value.as_deref(),
            Some(want),
            "{controller} limit in {file:?} (warnings: {warnings:?})"
        );
    }
}
