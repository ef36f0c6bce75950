//! The lesson "Introduction to Docker images", replayed end to end on `layerlab --engine sim`.
//!
//! Each step goes through the same library call the `layerlab` binary makes
//! (`layerlab::sim::run`, with the state in a temporary file), and one test runs the real binary.
//! Outputs are compared whole. Where a line names a digest, the expected text takes it from the
//! catalog (the simulator's registry), so the test pins the wording and layout, not the catalog's
//! made-up hashes.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use layerlab_core::catalog;
use layerlab_core::digest::Digest;

/// A simulated Docker host whose state lives in a temporary file.
struct Lab {
    dir: PathBuf,
    state: PathBuf,
}

/// What one command printed.
#[derive(Debug, PartialEq, Eq)]
struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

impl Lab {
    fn new(name: &str) -> Self {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("layerlab-lesson-{}-{name}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let state = dir.join("sim.json");
        Lab { dir, state }
    }

    /// Runs `layerlab --engine sim --state STATE <line>` through the library.
    fn run(&self, line: &str) -> Run {
        self.run_with(line, false)
    }

    fn run_with(&self, line: &str, explain: bool) -> Run {
        let args = layerlab_core::cli::args::split_line(line).expect("test lines are well quoted");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code =
            layerlab::sim::run(&self.state, &args, explain, &mut out, &mut err).expect("state file works");
        Run {
            stdout: String::from_utf8(out).expect("utf-8"),
            stderr: String::from_utf8(err).expect("utf-8"),
            code,
        }
    }

    /// Runs and expects success with nothing on stderr.
    fn ok(&self, line: &str) -> String {
        let r = self.run(line);
        assert_eq!(
            (r.code, r.stderr.as_str()),
            (0, ""),
            "`{line}` failed:\n{}",
            r.stdout
        );
        r.stdout
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn nginx_1158() -> catalog::CatalogImage {
    catalog::find("library/nginx", "1.15.8").expect("the lesson's image is in the catalog")
}

/// `<12 hex>: <status>` for each layer of `image`, `Already exists` where `present` has its chain ID.
fn layer_lines(image: &catalog::CatalogImage, present: &[Digest]) -> String {
    image
        .layers
        .iter()
        .zip(image.chain_ids())
        .map(|(l, chain)| {
            let status = if present.contains(&chain) {
                "Already exists"
            } else {
                "Pull complete"
            };
            format!("{}: {status}\n", l.digest.short())
        })
        .collect()
}

#[test]
fn run_pulls_the_image_with_dockers_messages() {
    let lab = Lab::new("run");
    let image = nginx_1158();
    let r = lab.run("run nginx:1.15.8");
    assert_eq!(r.stderr, "Unable to find image 'nginx:1.15.8' locally\n");
    assert_eq!(
        r.stdout,
        format!(
            "1.15.8: Pulling from library/nginx\n{}Digest: {}\nStatus: Downloaded newer image for nginx:1.15.8\n",
            layer_lines(&image, &[]),
            image.manifest_digest()
        )
    );
    // nginx runs in the foreground until Ctrl-C; the lab stops it at once, and it exits 0.
    assert_eq!(r.code, 0);
    // The second run finds the image locally and prints nothing about pulling.
    assert_eq!(
        lab.run("run nginx:1.15.8"),
        Run {
            stdout: String::new(),
            stderr: String::new(),
            code: 0
        }
    );
    assert_eq!(
        lab.ok("images"),
        format!(
            "REPOSITORY   TAG       IMAGE ID       CREATED       SIZE\nnginx        1.15.8    {}   6 years ago   109MB\n",
            image.image_id().short()
        )
    );
}

#[test]
fn pull_without_a_tag_uses_latest_and_reuses_layers_only_where_chain_ids_match() {
    let lab = Lab::new("pull");
    let old = nginx_1158();
    lab.ok("image pull nginx:1.15.8");
    let latest = catalog::find("library/nginx", "latest").expect("nginx:latest is in the catalog");
    assert_eq!(
        lab.ok("image pull nginx"),
        format!(
            "Using default tag: latest\nlatest: Pulling from library/nginx\n{}Digest: {}\nStatus: Downloaded newer image for nginx:latest\ndocker.io/library/nginx:latest\n",
            layer_lines(&latest, &old.chain_ids()),
            latest.manifest_digest()
        )
    );
    // nginx:1.15.8 is built on debian:stretch-slim: that base layer has the same chain ID, so
    // pulling the base afterwards downloads nothing.
    let base =
        catalog::find("library/debian", "stretch-slim").expect("debian:stretch-slim is in the catalog");
    let out = lab.ok("pull debian:stretch-slim");
    assert_eq!(
        out,
        format!(
            "stretch-slim: Pulling from library/debian\n{}Digest: {}\nStatus: Downloaded newer image for debian:stretch-slim\ndocker.io/library/debian:stretch-slim\n",
            layer_lines(&base, &old.chain_ids()),
            base.manifest_digest()
        )
    );
    assert!(
        out.contains(": Already exists\n"),
        "the shared base layer is reused:\n{out}"
    );
    // Pulling again changes nothing.
    assert_eq!(
        lab.ok("pull nginx:1.15.8"),
        format!(
            "1.15.8: Pulling from library/nginx\n{}Digest: {}\nStatus: Image is up to date for nginx:1.15.8\ndocker.io/library/nginx:1.15.8\n",
            layer_lines(&old, &old.chain_ids()),
            old.manifest_digest()
        )
    );
}

#[test]
fn image_history_lists_the_layers_with_missing_rows() {
    let lab = Lab::new("history");
    lab.ok("image pull nginx:1.15.8");
    let image = nginx_1158();
    let id = image.image_id().short();
    // The bottom row names the base layer's tarball by a hash the catalog makes up.
    let base_row = image
        .config
        .history()
        .as_ref()
        .and_then(|h| h.first())
        .and_then(|h| h.created_by().clone())
        .map(|text| layerlab_core::cli::format::ellipsis(&text, 45))
        .expect("the base layer has a history row");
    assert!(base_row.starts_with("/bin/sh -c #(nop) ADD file:"), "{base_row}");
    assert_eq!(
        lab.ok("image history nginx:1.15.8"),
        format!(
            "IMAGE          CREATED       CREATED BY                                      SIZE      COMMENT
{id}   6 years ago   /bin/sh -c #(nop)  CMD [\"nginx\" \"-g\" \"daemon…   0B        
<missing>      6 years ago   /bin/sh -c #(nop)  STOPSIGNAL SIGTERM           0B        
<missing>      6 years ago   /bin/sh -c #(nop)  EXPOSE 80                    0B        
<missing>      6 years ago   /bin/sh -c ln -sf /dev/stdout /var/log/nginx…   22B       
<missing>      6 years ago   /bin/sh -c set -x  && apt-get update  && apt…   53.7MB    
<missing>      6 years ago   /bin/sh -c #(nop)  ENV NJS_VERSION=1.15.8.0.…   0B        
<missing>      6 years ago   /bin/sh -c #(nop)  ENV NGINX_VERSION=1.15.8-…   0B        
<missing>      6 years ago   /bin/sh -c #(nop)  LABEL maintainer=NGINX Do…   0B        
<missing>      6 years ago   /bin/sh -c #(nop)  CMD [\"bash\"]                 0B        
<missing>      6 years ago   {base_row:<45}   55.3MB    
"
        )
    );
    // -H=false prints raw byte counts and RFC 3339 times; -q only the IDs.
    let raw = lab.ok("history -H=false nginx:1.15.8");
    assert!(raw.starts_with("IMAGE          CREATED AT"), "{raw}");
    assert_eq!(
        lab.ok("history -q nginx:1.15.8")
            .lines()
            .filter(|l| *l == "<missing>")
            .count(),
        9
    );
}

#[test]
fn writes_in_two_containers_of_one_image_show_in_ps_s_and_the_formula_holds() {
    let lab = Lab::new("formula");
    lab.ok("pull nginx:1.15.8");
    let web1 = lab.ok("run -d --name web1 nginx:1.15.8");
    let web2 = lab.ok("run -d --name web2 nginx:1.15.8");
    let (id1, id2) = (web1.get(..12).unwrap_or(""), web2.get(..12).unwrap_or(""));
    lab.ok("layerlab clock advance 90");
    let dd = lab.run("exec web1 dd if=/dev/zero of=/data.bin bs=1M count=1");
    assert_eq!(dd.code, 0);
    assert_eq!(
        dd.stderr,
        "1+0 records in\n1+0 records out\n1048576 bytes (1.0 MB, 1.0 MiB) copied\n"
    );
    lab.ok("exec web2 sh -c 'echo hello > /hello.txt'");
    // web1 is 1 MiB bigger: its writable layer holds the new file; both hold nginx's 2-byte PID file.
    assert_eq!(
        lab.ok("ps -s"),
        format!(
            "CONTAINER ID   IMAGE          COMMAND                  CREATED              STATUS              PORTS     NAMES     SIZE
{id2}   nginx:1.15.8   \"nginx -g 'daemon of…\"   About a minute ago   Up About a minute             web2      8B (virtual 109MB)
{id1}   nginx:1.15.8   \"nginx -g 'daemon of…\"   About a minute ago   Up About a minute             web1      1.05MB (virtual 110MB)
"
        )
    );
    assert_eq!(lab.ok("diff web2"), expected_diff_web2());

    // Σ size + one (virtual − size), from what `inspect --size` reports...
    let sizes: Vec<(u64, u64)> = ["web1", "web2"]
        .iter()
        .map(|c| {
            let line = lab.ok(&format!(
                "inspect --size --format '{{{{.SizeRw}}}} {{{{.SizeRootFs}}}}' {c}"
            ));
            let mut nums = line
                .split_whitespace()
                .map(|n| n.parse::<u64>().expect("a byte count"));
            (nums.next().unwrap_or(0), nums.next().unwrap_or(0))
        })
        .collect();
    assert_eq!(sizes, vec![(1_048_578, 110_066_780), (8, 109_018_210)]);
    let formula: u64 = sizes.iter().map(|s| s.0).sum::<u64>() + (sizes[0].1 - sizes[0].0);
    // ...equals what the disk holds for layers and writable layers (`system df`: images + containers).
    assert_eq!(
        lab.ok("system df"),
        "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE
Images          1         1         109MB     0B (0%)
Containers      2         2         1.049MB   0B (0%)
Local Volumes   0         0         0B        0B
Build Cache     0         0         0B        0B
"
    );
    assert_eq!(
        lab.ok("layerlab formula nginx:1.15.8"),
        format!(
            "2 containers of nginx:1.15.8: SUM(size) 1.049MB (1048586 B) + one (virtual - size) 109MB (109018202 B) = 110.1MB ({formula} B)\n"
        )
    );
    assert_eq!(formula, 110_066_788);
    let ledger = lab.ok("layerlab ledger");
    let line = |label: &str| {
        ledger
            .lines()
            .find_map(|l| l.strip_prefix(label))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no {label:?} line in the ledger:\n{ledger}"))
            .to_string()
    };
    // The ledger's image layers plus writable layers is exactly the formula...
    assert_eq!(
        line("= what ps -s and the formula count"),
        format!("110.1MB ({formula} B)")
    );
    // ...and it lists what the formula leaves out: each container's config directory (9 blocks of
    // 4 KiB), and nothing yet for logs, volumes or checkpoints.
    assert_eq!(
        line("container config dirs (9 x 4 KiB blocks each)"),
        "73.73kB (73728 B)"
    );
    assert_eq!(line("json-file logs"), "0B (0 B)");
}

fn expected_diff_web2() -> String {
    "A /hello.txt\nC /run\nA /run/nginx.pid\nC /var\nC /var/cache\nC /var/cache/nginx\nA /var/cache/nginx/client_temp\nA /var/cache/nginx/fastcgi_temp\nA /var/cache/nginx/proxy_temp\nA /var/cache/nginx/scgi_temp\nA /var/cache/nginx/uwsgi_temp\n".to_string()
}

#[test]
fn removing_an_image_in_use_fails_with_dockers_conflict() {
    let lab = Lab::new("rmi");
    lab.ok("pull nginx:1.15.8");
    let id = lab
        .ok("run -d --name web nginx:1.15.8")
        .get(..12)
        .unwrap_or("")
        .to_string();
    let r = lab.run("rmi nginx:1.15.8");
    assert_eq!(
        r.stderr,
        format!(
            "Error response from daemon: conflict: unable to remove repository reference \"nginx:1.15.8\" (must force) - container {id} is using its referenced image {}\n",
            nginx_1158().image_id().short()
        )
    );
    assert_eq!(r.code, 1);
}

#[test]
fn unknown_images_get_dockers_pull_access_denied() {
    let lab = Lab::new("unknown");
    let r = lab.run("run nosuchimage");
    assert_eq!(
        r,
        Run {
            stdout: String::new(),
            stderr: "Unable to find image 'nosuchimage:latest' locally\ndocker: Error response from daemon: pull access denied for nosuchimage, repository does not exist or may require 'docker login': denied: requested access to the resource is denied\n\nRun 'docker run --help' for more information\n".into(),
            code: 125,
        }
    );
}

#[test]
fn the_lessons_dockerfile_builds() {
    let lab = Lab::new("build");
    // The lesson's directory: its Dockerfile, a Python app and the Makefile `RUN make` uses,
    // written to disk so the binary's reading of a real build context is exercised too.
    let context = lab.dir.join("app");
    for (name, bytes) in layerlab_core::engine::lesson_context() {
        let path = context.join(&name);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("context directory");
        std::fs::write(path, bytes).expect("context file");
    }
    let build = format!("build -t app {}", context.display());
    let out = lab.ok(&build);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.first(),
        Some(&"Sending build context to Docker daemon  4.096kB")
    );
    assert!(lines.contains(&"Step 1/4 : FROM ubuntu:15.04"));
    assert!(lines.contains(&"Step 2/4 : COPY . /app"));
    assert!(lines.contains(&"Step 3/4 : RUN make /app"));
    assert!(lines.contains(&"python3 -m py_compile /app/app.py"));
    assert!(lines.contains(&"Step 4/4 : CMD python /app/app.py"));
    assert_eq!(lines.last(), Some(&"Successfully tagged app:latest"));
    // Four instructions, two new layers (COPY, RUN) on top of ubuntu's, and the rows this build
    // made carry local IDs while the pulled base shows `<missing>` below the base image's own row.
    let history = lab.ok("history -q app");
    assert_eq!(history.lines().count(), 7);
    assert_eq!(history.lines().filter(|l| *l == "<missing>").count(), 3);
    // A rebuild is served from the cache.
    let again = lab.ok(&build);
    assert_eq!(again.matches(" ---> Using cache\n").count(), 3, "{again}");
}

/// The `layerlab` binary, fresh for the library this test was built against.
///
/// A test cannot ask cargo to build it in the same target directory: the running `cargo test`
/// holds that directory's lock. So the binary next to the test is used when it is newer than the
/// `layerlab` library the test links (as after `cargo build --workspace`), and otherwise it is
/// built once into a target directory of its own.
pub(crate) fn layerlab_binary() -> PathBuf {
    static BIN: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    let found = BIN.get_or_init(|| {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        // target/<profile>/deps/it-<hash>
        let deps = exe.parent().ok_or("no deps directory")?;
        let profile = deps.parent().ok_or("no profile directory")?;
        let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        let newest_lib = std::fs::read_dir(deps)
            .map_err(|e| e.to_string())?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                (name.starts_with("liblayerlab-") || name.starts_with("liblayerlab_core-"))
                    && name.ends_with(".rlib")
            })
            .filter_map(|p| modified(&p))
            .max();
        let beside = profile.join("layerlab");
        if let (Some(bin), Some(lib)) = (modified(&beside), newest_lib) {
            if bin >= lib {
                return Ok(beside);
            }
        }
        let own = profile
            .parent()
            .ok_or("no target directory")?
            .join("it-layerlab-bin");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "-p", "layerlab", "--target-dir"])
            .arg(&own)
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("cargo build -p layerlab failed: {status}"));
        }
        Ok(own.join("debug").join("layerlab"))
    });
    match found {
        Ok(p) => p.clone(),
        Err(e) => panic!("cannot get the layerlab binary: {e}"),
    }
}

#[test]
fn the_real_binary_replays_the_lesson_and_explains_it() {
    let lab = Lab::new("binary");
    let bin = layerlab_binary();
    let run = |args: &[&str]| {
        let out = Command::new(&bin)
            .args(["--engine", "sim", "--state"])
            .arg(&lab.state)
            .args(args)
            .output()
            .expect("layerlab runs");
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            out.status.code(),
        )
    };
    let image = nginx_1158();
    let (stdout, stderr, code) = run(&["--explain", "run", "nginx:1.15.8"]);
    assert_eq!(stderr, "Unable to find image 'nginx:1.15.8' locally\n");
    assert_eq!(code, Some(0));
    let pulled = format!(
        "1.15.8: Pulling from library/nginx\n{}Digest: {}\nStatus: Downloaded newer image for nginx:1.15.8\n",
        layer_lines(&image, &[]),
        image.manifest_digest()
    );
    let explanation = stdout
        .strip_prefix(&pulled)
        .expect("the pull messages come first");
    assert!(
        explanation.starts_with("Under the hood:\n  - downloaded blob "),
        "{explanation}"
    );
    assert!(
        explanation.contains("/run/nginx.pid written in the writable layer (2B)\n"),
        "{explanation}"
    );
    let (stdout, _, code) = run(&["image", "history", "nginx:1.15.8"]);
    assert_eq!(code, Some(0));
    assert_eq!(stdout.lines().filter(|l| l.starts_with("<missing>")).count(), 9);
    let (_, stderr, code) = run(&["run", "nosuchimage"]);
    assert_eq!(code, Some(125));
    assert!(stderr.starts_with("Unable to find image 'nosuchimage:latest' locally\n"));
}
