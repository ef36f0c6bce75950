//! The registry client and pull against a real registry (Debian's docker-registry), and against
//! a loopback server that misbehaves on purpose.

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::sync::Mutex;

use layerlab::pull::{self, PullEvent, PullOptions, PullOutcome, Store};
use layerlab::registry::auth::Credentials;
use layerlab::registry::manifest::Platform;
use layerlab::registry::push::{PushEvent, PushStatus, push_image};
use layerlab::registry::reference::ImageRef;
use layerlab::registry::{Client, ClientOptions, PushOutcome, RegistryError};
use layerlab_core::digest::Digest;

use crate::support::fixture::{self, E, Image, Layer, OCI_MANIFEST};
use crate::support::{FakeServer, Registry, Reply, tree};

fn client(chunk_size: u64, credentials: Option<Credentials>) -> Client {
    Client::new(ClientOptions {
        docker_config: None,
        credentials,
        chunk_size,
        retry_base: std::time::Duration::from_millis(10),
        max_retries: 2,
        ..ClientOptions::default()
    })
}

fn r(text: &str) -> ImageRef {
    ImageRef::parse(text).expect("reference")
}

/// Runs a pull and returns its events.
fn pull_events(
    store: &Store,
    client: &Client,
    name: &str,
) -> (Result<pull::PullResult, pull::PullError>, Vec<PullEvent>) {
    let events = Mutex::new(Vec::new());
    let on = |e: PullEvent| events.lock().expect("lock").push(e);
    let res = pull::pull(store, client, &r(name), &PullOptions::default(), &on);
    (res, events.into_inner().expect("events"))
}

fn final_statuses(events: &[PullEvent]) -> Vec<(String, String)> {
    let mut last: Vec<(String, String)> = Vec::new();
    for e in events {
        if let PullEvent::Layer { id, status } = e {
            match last.iter_mut().find(|(i, _)| i == id) {
                Some(slot) => slot.1 = status.label().to_owned(),
                None => last.push((id.clone(), status.label().to_owned())),
            }
        }
    }
    last
}

#[test]
fn push_then_pull_builds_verified_snapshots_and_repull_is_up_to_date() {
    let reg = Registry::start(None);
    let c = client(200_000, None);
    let image = Image::new(fixture::demo_layers(), "/app/app.sh", OCI_MANIFEST);
    let name = format!("{}/demo/app:1.0", reg.host);

    // Push: everything uploads once (the base layer in chunks), then everything already exists.
    let first = image.push(&c, &r(&name), "1.0");
    assert!(first.iter().all(|o| *o == PushOutcome::Uploaded), "{first:?}");
    assert!(
        image.layers.iter().any(|l| l.blob.len() > 200_000),
        "one layer must be large enough to be chunked"
    );
    let again = image.push(&c, &r(&name), "1.0");
    assert!(
        again.iter().all(|o| *o == PushOutcome::AlreadyExists),
        "{again:?}"
    );

    let root = tempfile::tempdir().expect("tmp");
    let store = Store::open(&root.path().join("root")).expect("store");
    let (res, events) = pull_events(&store, &c, &name);
    let res = res.expect("pull");
    assert_eq!(res.outcome, PullOutcome::Downloaded);
    assert_eq!(res.image_id, image.id());
    assert_eq!(res.digest, image.manifest_digest());
    assert_eq!(res.layers, image.chain_ids());
    assert_eq!(
        events.first(),
        Some(&PullEvent::PullingFrom {
            reference: "1.0".into(),
            repository: "demo/app".into()
        })
    );
    let expected: Vec<(String, String)> = image
        .layers
        .iter()
        .map(|l| (l.digest().short(), "Pull complete".to_owned()))
        .collect();
    assert_eq!(final_statuses(&events), expected);
    for l in &image.layers {
        let seq: Vec<&str> = events
            .iter()
            .filter_map(|e| match e {
                PullEvent::Layer { id, status } if *id == l.digest().short() => Some(status.label()),
                _ => None,
            })
            .collect();
        let pos = |s: &str| {
            seq.iter()
                .position(|x| *x == s)
                .unwrap_or_else(|| panic!("{s} missing in {seq:?}"))
        };
        assert!(pos("Pulling fs layer") < pos("Verifying Checksum"));
        assert!(pos("Verifying Checksum") < pos("Download complete"));
        assert!(pos("Download complete") < pos("Extracting"));
        assert!(pos("Extracting") < pos("Pull complete"));
    }
    assert!(events.contains(&PullEvent::Digest {
        digest: image.manifest_digest()
    }));
    assert_eq!(
        events.last(),
        Some(&PullEvent::Status {
            outcome: PullOutcome::Downloaded,
            name: name.clone()
        })
    );

    // The snapshots hold what the layers say, in overlayfs form.
    let chains = image.chain_ids();
    let dir = |i: usize| store.snapshots.diff_dir(&chains[i]);
    assert_eq!(
        std::fs::read(dir(0).join("bin/busybox")).expect("busybox"),
        std::fs::read("/bin/busybox").expect("host busybox")
    );
    assert_eq!(
        std::fs::read_link(dir(0).join("bin/sh")).expect("link").to_str(),
        Some("busybox")
    );
    let (bb, cat) = (
        std::fs::metadata(dir(0).join("bin/busybox")).expect("m"),
        std::fs::metadata(dir(0).join("bin/cat")).expect("m"),
    );
    assert_eq!(bb.ino(), cat.ino(), "hardlink shares the inode");
    assert_eq!(
        std::fs::metadata(dir(0).join("tmp"))
            .expect("tmp")
            .permissions()
            .mode()
            & 0o7777,
        0o1777
    );
    assert_eq!(
        std::fs::read(dir(1).join("app/app.sh")).expect("zstd layer"),
        b"#!/bin/sh\ncat /etc/motd\n"
    );
    let wh = std::fs::symlink_metadata(dir(2).join("etc/banner.txt")).expect("whiteout");
    assert!(
        wh.file_type().is_char_device() && wh.rdev() == 0,
        "whiteout is a 0/0 char device"
    );
    assert!(
        std::fs::symlink_metadata(dir(2).join("var/cache/demo"))
            .expect("dir whiteout")
            .file_type()
            .is_char_device()
    );
    assert!(
        !dir(2).join("etc/.wh.banner.txt").exists(),
        "no whiteout marker files remain"
    );
    let opaque = xattr(&dir(3).join("etc/demo.d"), "trusted.overlay.opaque");
    assert_eq!(
        opaque.as_deref(),
        Some(&b"y"[..]),
        "opaque dir is marked for overlayfs"
    );
    assert_eq!(
        std::fs::read(dir(3).join("etc/demo.d/app.conf")).expect("same-layer file survives opaque"),
        b"app\n"
    );
    let rec = store
        .content
        .layer(&chains[0])
        .expect("rec")
        .expect("layer record");
    assert_eq!(rec.diff_id, image.layers[0].diff_id());
    assert_eq!(
        rec.diff_size,
        std::fs::metadata("/bin/busybox").expect("m").len() + 7 + 12 + 31 + 30 + 7 + 8 + 4 + 2
    );
    // Nothing unverified or partial is left behind, and the data root is private.
    assert!(
        tree(&root.path().join("root/snapshots"))
            .iter()
            .all(|p| !p.contains(".partial"))
    );
    assert_eq!(
        std::fs::metadata(root.path().join("root"))
            .expect("root")
            .permissions()
            .mode()
            & 0o777,
        0o700
    );

    // Pulling again changes nothing.
    let (res, events) = pull_events(&store, &c, &name);
    assert_eq!(res.expect("repull").outcome, PullOutcome::UpToDate);
    assert!(
        final_statuses(&events).iter().all(|(_, s)| s == "Already exists"),
        "{events:?}"
    );
    assert_eq!(
        events.last(),
        Some(&PullEvent::Status {
            outcome: PullOutcome::UpToDate,
            name: name.clone()
        })
    );

    // The same image under another tag: no layer downloads, but the tag is new.
    image.push(&c, &r(&name), "latest");
    let latest = format!("{}/demo/app:latest", reg.host);
    let (res, events) = pull_events(&store, &c, &latest);
    assert_eq!(res.expect("pull latest").outcome, PullOutcome::Downloaded);
    assert!(final_statuses(&events).iter().all(|(_, s)| s == "Already exists"));
}

fn xattr(path: &std::path::Path, name: &str) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 64];
    let n = rustix::fs::lgetxattr(path, name, &mut buf).ok()?;
    buf.truncate(n);
    Some(buf)
}

#[test]
fn index_selects_the_host_platform_and_says_when_none_matches() {
    let reg = Registry::start(None);
    let c = client(8 << 20, None);
    let image = Image::new(
        vec![Layer::gz(&[fixture::file("hello", b"hi\n", 0o644)])],
        "/hello",
        OCI_MANIFEST,
    );
    let name = format!("{}/demo/multi", reg.host);
    image.push(&c, &r(&name), "single");
    let m = (image.manifest_digest(), image.manifest.len());
    let idx = fixture::index(&[
        (m.0, m.1, "unknown", "unknown"),
        (m.0, m.1, "linux", "s390x"),
        (m.0, m.1, "linux", fixture::host_arch()),
    ]);
    c.push_manifest(&r(&name), "1.0", fixture::OCI_INDEX, &idx)
        .expect("push index");

    let root = tempfile::tempdir().expect("tmp");
    let store = Store::open(root.path()).expect("store");
    let (res, _) = pull_events(&store, &c, &format!("{name}:1.0"));
    let res = res.expect("pull through index");
    assert_eq!(res.digest, Digest::of(&idx), "Digest: is the index's");
    assert_eq!(res.image_id, image.id());

    let opts = PullOptions {
        platform: Platform::parse("linux/arm64").expect("platform"),
        ..PullOptions::default()
    };
    let err = pull::pull(&store, &c, &r(&format!("{name}:1.0")), &opts, &|_| {}).expect_err("no arm64");
    assert_eq!(
        err.to_string(),
        "no matching manifest for linux/arm64/v8 in the manifest list entries"
    );

    let err = pull::pull(
        &store,
        &c,
        &r(&format!("{name}:nope")),
        &PullOptions::default(),
        &|_| {},
    )
    .expect_err("unknown tag");
    assert_eq!(
        err.to_string(),
        format!("manifest for {name}:nope not found: manifest unknown: manifest unknown")
    );
}

#[test]
fn basic_auth_registry_needs_the_credentials_from_docker_config() {
    let reg = Registry::start(Some(("student", "s3cret")));
    let good = Credentials {
        username: "student".into(),
        password: "s3cret".into(),
    };
    let image = Image::new(
        vec![Layer::gz(&[fixture::file("f", b"secret layer\n", 0o600)])],
        "/f",
        fixture::DOCKER_MANIFEST,
    );
    let name = format!("{}/private/img:1", reg.host);
    image.push(&client(8 << 20, Some(good)), &r(&name), "1");

    let root = tempfile::tempdir().expect("tmp");
    let store = Store::open(root.path()).expect("store");
    let err = pull::pull(
        &store,
        &client(8 << 20, None),
        &r(&name),
        &PullOptions::default(),
        &|_| {},
    )
    .expect_err("anonymous");
    assert!(err.to_string().contains("no basic auth credentials"), "{err}");
    let wrong = Credentials {
        username: "student".into(),
        password: "nope".into(),
    };
    let err = pull::pull(
        &store,
        &client(8 << 20, Some(wrong)),
        &r(&name),
        &PullOptions::default(),
        &|_| {},
    )
    .expect_err("wrong password");
    assert!(
        matches!(err, pull::PullError::Registry(RegistryError::Unauthorized { .. })),
        "{err}"
    );

    // Credentials come from a Docker config file's base64 `auth` field.
    use base64::Engine as _;
    let cfg = root.path().join("config.json");
    let auth = base64::engine::general_purpose::STANDARD.encode("student:s3cret");
    std::fs::write(
        &cfg,
        format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, reg.host),
    )
    .expect("config");
    let c = Client::new(ClientOptions {
        docker_config: Some(cfg),
        ..ClientOptions::default()
    });
    let res =
        pull::pull(&store, &c, &r(&name), &PullOptions::default(), &|_| {}).expect("pull with docker config");
    assert_eq!(res.image_id, image.id());
}

/// A registry whose layer blob is wrong in one way; everything else is served correctly.
fn hostile(image: &Image, bad: Reply) -> FakeServer {
    let manifest = image.manifest.clone();
    let config = image.config.clone();
    let (md, cd, ld) = (image.manifest_digest(), image.id(), image.layers[0].digest());
    FakeServer::start(move |_, path, _| {
        if path == "/v2/" {
            Reply::ok(b"{}".to_vec(), "application/json")
        } else if path.ends_with("/manifests/1") || path.ends_with(&format!("/manifests/{md}")) {
            let mut r = Reply::ok(manifest.clone(), OCI_MANIFEST);
            r.headers.push(("Docker-Content-Digest".into(), md.to_string()));
            r
        } else if path.ends_with(&format!("/blobs/{cd}")) {
            Reply::ok(config.clone(), "application/octet-stream")
        } else if path.ends_with(&format!("/blobs/{ld}")) {
            bad.clone()
        } else {
            Reply::status(404)
        }
    })
}

#[test]
fn wrong_short_or_long_blobs_are_refused_and_nothing_is_kept() {
    let image = Image::new(
        vec![Layer::gz(&[fixture::file("etc/x", &vec![7u8; 50_000], 0o644)])],
        "/x",
        OCI_MANIFEST,
    );
    let blob = image.layers[0].blob.clone();
    let mut wrong = blob.clone();
    if let Some(b) = wrong.last_mut() {
        *b ^= 0xff;
    }
    let mut long = blob.clone();
    long.extend_from_slice(b"trailing garbage");
    let mut short = Reply::ok(blob[..blob.len() / 2].to_vec(), "application/octet-stream");
    short.content_length = Some(blob.len());
    let cases: Vec<(&str, Reply, &str)> = vec![
        (
            "wrong digest",
            Reply::ok(wrong, "application/octet-stream"),
            "failed to verify",
        ),
        (
            "extra bytes",
            Reply::ok(long, "application/octet-stream"),
            "extra bytes in stream",
        ),
        ("short body", short, "failed to fetch"),
        (
            "gzip transfer encoding",
            {
                let mut r = Reply::ok(fixture::gzip(&blob), "application/octet-stream");
                r.headers.push(("Content-Encoding".into(), "gzip".into()));
                r
            },
            "failed to",
        ),
    ];
    for (what, reply, msg) in cases {
        let short = reply.body.len() < blob.len();
        let server = hostile(&image, reply);
        let root = tempfile::tempdir().expect("tmp");
        let store = Store::open(root.path()).expect("store");
        let name = format!("{}/evil/img:1", server.host);
        let err = pull::pull(
            &store,
            &client(8 << 20, None),
            &r(&name),
            &PullOptions::default(),
            &|_| {},
        )
        .expect_err(what);
        assert!(err.to_string().contains(msg), "{what}: {err}");
        assert_eq!(
            store.content.blob_size(&image.layers[0].digest()).expect("stat"),
            None,
            "{what}: blob kept"
        );
        assert!(
            store.snapshots.list().expect("list").is_empty(),
            "{what}: snapshot kept"
        );
        assert!(
            store.content.images().expect("images").is_empty(),
            "{what}: image recorded"
        );
        let leftovers: Vec<String> = tree(&root.path().join("ingest"))
            .into_iter()
            .filter(|p| !p.ends_with(".lock"))
            .collect();
        // Bytes proven wrong are deleted; a short body's bytes stay in ingest/ (never trusted)
        // so that the next try can resume.
        if !short {
            assert!(leftovers.is_empty(), "{what}: partial ingest left: {leftovers:?}");
        }
    }
}

#[test]
fn credentials_never_follow_a_redirect_to_another_host() {
    let image = Image::new(
        vec![Layer::gz(&[fixture::file("a", b"a\n", 0o644)])],
        "/a",
        OCI_MANIFEST,
    );
    let storage = {
        let blob = image.layers[0].blob.clone();
        FakeServer::start(move |_, _, _| Reply::ok(blob.clone(), "application/octet-stream"))
    };
    let storage_host = storage.host.replace("127.0.0.1", "localhost");
    let ld = image.layers[0].digest();
    let (manifest, config, md, cd) = (
        image.manifest.clone(),
        image.config.clone(),
        image.manifest_digest(),
        image.id(),
    );
    let registry = FakeServer::start(move |_, path, auth| {
        if auth.is_none() {
            let mut r = Reply::status(401);
            r.headers
                .push(("WWW-Authenticate".into(), r#"Basic realm="fake""#.into()));
            r
        } else if path.ends_with("/manifests/1") {
            let mut r = Reply::ok(manifest.clone(), OCI_MANIFEST);
            r.headers.push(("Docker-Content-Digest".into(), md.to_string()));
            r
        } else if path.ends_with(&format!("/blobs/{cd}")) {
            Reply::ok(config.clone(), "application/octet-stream")
        } else if path.ends_with(&format!("/blobs/{ld}")) {
            let mut r = Reply::status(307);
            r.headers
                .push(("Location".into(), format!("http://{storage_host}/s3/blob")));
            r
        } else {
            Reply::status(404)
        }
    });
    let root = tempfile::tempdir().expect("tmp");
    let store = Store::open(root.path()).expect("store");
    let creds = Credentials {
        username: "u".into(),
        password: "p".into(),
    };
    let c = client(8 << 20, Some(creds));
    pull::pull(
        &store,
        &c,
        &r(&format!("{}/r/img:1", registry.host)),
        &PullOptions::default(),
        &|_| {},
    )
    .expect("pull via redirect");
    let reg_seen = registry.seen.lock().expect("seen");
    assert!(
        reg_seen
            .iter()
            .any(|(_, p, auth)| p.contains("/blobs/") && auth.is_some()),
        "the registry got the credentials"
    );
    let seen = storage.seen.lock().expect("seen");
    assert!(!seen.is_empty(), "the blob came from the storage host");
    assert!(
        seen.iter().all(|(_, _, auth)| auth.is_none()),
        "Authorization leaked to the storage host: {seen:?}"
    );
}

#[test]
fn rate_limiting_is_retried_then_reported_as_such() {
    let server = FakeServer::start(|_, _, _| {
        let mut r = Reply::status(429);
        r.headers.push(("Retry-After".into(), "0".into()));
        r
    });
    let root = tempfile::tempdir().expect("tmp");
    let store = Store::open(root.path()).expect("store");
    let err = pull::pull(
        &store,
        &client(8 << 20, None),
        &r(&format!("{}/r/img:1", server.host)),
        &PullOptions::default(),
        &|_| {},
    )
    .expect_err("429 forever");
    assert!(
        matches!(
            err,
            pull::PullError::Registry(RegistryError::RateLimited { tries: 3, .. })
        ),
        "{err}"
    );
    assert_eq!(
        server.seen.lock().expect("seen").len(),
        3,
        "first try plus two retries"
    );
}

#[test]
fn rmi_frees_only_what_no_other_image_uses() {
    let reg = Registry::start(None);
    let c = client(8 << 20, None);
    let base = Layer::gz(&[
        E::Dir("etc/", 0o755),
        fixture::file("etc/os-release", b"ID=demo\n", 0o644),
    ]);
    let a = Image::new(
        vec![base.clone(), Layer::gz(&[fixture::file("a.txt", b"a\n", 0o644)])],
        "/a",
        OCI_MANIFEST,
    );
    let b = Image::new(
        vec![base, Layer::gz(&[fixture::file("b.txt", b"b\n", 0o644)])],
        "/b",
        OCI_MANIFEST,
    );
    a.push(&c, &r(&format!("{}/demo/a", reg.host)), "1");
    b.push(&c, &r(&format!("{}/demo/b", reg.host)), "1");
    let root = tempfile::tempdir().expect("tmp");
    let store = Store::open(root.path()).expect("store");
    let (ra, _) = pull_events(&store, &c, &format!("{}/demo/a:1", reg.host));
    ra.expect("pull a");
    let (rb, ev) = pull_events(&store, &c, &format!("{}/demo/b:1", reg.host));
    rb.expect("pull b");
    assert_eq!(
        final_statuses(&ev).first().map(|(_, s)| s.as_str()),
        Some("Already exists"),
        "shared base layer"
    );

    let removal = pull::remove_image(&store, &format!("{}/demo/a:1", reg.host)).expect("rmi a");
    let (ca, cb) = (a.chain_ids(), b.chain_ids());
    assert_eq!(removal.deleted, vec![a.id(), ca[1]]);
    assert!(!store.snapshots.exists(&ca[1]));
    assert!(store.snapshots.exists(&cb[0]) && store.snapshots.exists(&cb[1]));
    assert_eq!(store.content.blob_size(&a.layers[1].digest()).expect("s"), None);
    assert!(
        store
            .content
            .blob_size(&b.layers[0].digest())
            .expect("s")
            .is_some()
    );
}

/// Run only as a child of `killed_pulls_leave_nothing_unverified_and_the_next_pull_completes`.
#[test]
#[ignore = "a child process of the SIGKILL test; it needs LAYERLAB_TEST_ROOT and LAYERLAB_TEST_PULL"]
fn pull_in_child_process() {
    let root = std::env::var("LAYERLAB_TEST_ROOT").expect("LAYERLAB_TEST_ROOT is set by the parent test");
    let name = std::env::var("LAYERLAB_TEST_PULL").expect("LAYERLAB_TEST_PULL is set by the parent test");
    let store = Store::open(std::path::Path::new(&root)).expect("store");
    let opts = PullOptions {
        max_concurrent_downloads: 3,
        ..PullOptions::default()
    };
    pull::pull(&store, &client(8 << 20, None), &r(&name), &opts, &|_| {}).expect("pull in child");
}

#[test]
fn killed_pulls_leave_nothing_unverified_and_the_next_pull_completes() {
    let reg = Registry::start(None);
    let c = client(8 << 20, None);
    let mut layers = fixture::demo_layers();
    for n in 0..4u32 {
        // Incompressible-ish bytes, so downloads and extraction take a while.
        let mut x = 0x9e37_79b9_u32.wrapping_mul(n + 1);
        let data: Vec<u8> = (0..3_000_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        layers.push(Layer::gz(&[
            E::Dir("data/", 0o755),
            fixture::file(&format!("data/blob{n}.bin"), &data, 0o644),
        ]));
    }
    let image = Image::new(layers, "/app/app.sh", OCI_MANIFEST);
    let name = format!("{}/demo/big:1.0", reg.host);
    image.push(&c, &r(&name), "1.0");

    let root = tempfile::tempdir().expect("tmp");
    let exe = std::env::current_exe().expect("test binary");
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(1)
        | 1;
    let mut kills = Vec::new();
    for _ in 0..6 {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let after = std::time::Duration::from_millis(u64::from(seed % 3000));
        let mut child = std::process::Command::new(&exe)
            .args([
                "--ignored",
                "--exact",
                "registry::pull_in_child_process",
                "--test-threads=1",
            ])
            .env("LAYERLAB_TEST_ROOT", root.path())
            .env("LAYERLAB_TEST_PULL", &name)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn child pull");
        std::thread::sleep(after);
        let finished = child.try_wait().expect("try_wait").is_some();
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        kills.push((after.as_millis(), finished));
    }
    eprintln!("SIGKILL after (ms, already finished): {kills:?}");

    let store = Store::open(root.path()).expect("store");
    let before = (
        tree(&root.path().join("content/blobs/sha256")).len(),
        store.snapshots.list().expect("list").len(),
    );
    eprintln!(
        "left by the killed pulls: {} verified blobs, {} snapshots",
        before.0, before.1
    );
    let res = pull::pull(&store, &c, &r(&name), &PullOptions::default(), &|_| {}).expect("pull after kills");
    assert_eq!(res.image_id, image.id());
    for (chain, layer) in image.chain_ids().iter().zip(&image.layers) {
        assert!(store.snapshots.exists(chain));
        assert_eq!(
            store.content.layer(chain).expect("rec").map(|l| l.diff_id),
            Some(layer.diff_id())
        );
    }
    let last = store
        .snapshots
        .diff_dir(image.chain_ids().last().expect("layers"));
    assert_eq!(
        std::fs::metadata(last.join("data/blob3.bin"))
            .expect("last layer's file")
            .len(),
        3_000_000
    );
    // Every stored blob is exactly what its name says.
    let blobs = root.path().join("content/blobs/sha256");
    for entry in std::fs::read_dir(&blobs).expect("blobs") {
        let entry = entry.expect("entry");
        let bytes = std::fs::read(entry.path()).expect("blob");
        assert_eq!(
            Digest::of(&bytes).hex(),
            entry.file_name().to_string_lossy(),
            "unverified blob kept"
        );
    }
    let leftovers: Vec<String> = tree(root.path())
        .into_iter()
        .filter(|p| p.contains(".partial") || (p.starts_with("ingest/") && !p.ends_with(".lock")))
        .collect();
    assert!(
        leftovers.is_empty(),
        "partial state left after a complete pull: {leftovers:?}"
    );
}

#[test]
fn a_pulled_image_pushes_to_another_registry_and_pulls_back_the_same() {
    let (a, b) = (Registry::start(None), Registry::start(None));
    let c = client(100_000, None);
    let image = Image::new(fixture::demo_layers(), "/app/app.sh", fixture::DOCKER_MANIFEST);
    image.push(&c, &r(&format!("{}/demo/app", a.host)), "1.0");
    let root = tempfile::tempdir().expect("tmp");
    let store = Store::open(root.path()).expect("store");
    let pulled = pull::pull(
        &store,
        &c,
        &r(&format!("{}/demo/app:1.0", a.host)),
        &PullOptions::default(),
        &|_| {},
    )
    .expect("pull");

    let target = r(&format!("{}/copy/app:2.0", b.host));
    let push = |events: &Mutex<Vec<PushEvent>>| {
        push_image(&store.content, &c, &pulled.image_id, &target, &|e| {
            events.lock().expect("lock").push(e)
        })
        .expect("push")
    };
    let events = Mutex::new(Vec::new());
    let digest = push(&events);
    let events = events.into_inner().expect("events");
    assert_eq!(
        digest,
        image.manifest_digest(),
        "the stored manifest bytes are pushed unchanged"
    );
    assert_eq!(
        events.first(),
        Some(&PushEvent::Repository {
            name: format!("{}/copy/app", b.host)
        })
    );
    let pushed: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            PushEvent::Layer {
                id,
                status: PushStatus::Pushed,
            } => Some(id.clone()),
            _ => None,
        })
        .collect();
    let mut top_first: Vec<String> = image.layers.iter().map(|l| l.diff_id().short()).collect();
    top_first.reverse();
    assert_eq!(pushed, top_first);
    assert_eq!(
        events.last(),
        Some(&PushEvent::Digest {
            tag: "2.0".into(),
            digest,
            size: image.manifest.len() as u64
        })
    );

    let again = Mutex::new(Vec::new());
    push(&again);
    let again = again.into_inner().expect("events");
    let exists = again
        .iter()
        .filter(|e| {
            matches!(
                e,
                PushEvent::Layer {
                    status: PushStatus::LayerAlreadyExists,
                    ..
                }
            )
        })
        .count();
    assert_eq!(exists, image.layers.len());

    let root2 = tempfile::tempdir().expect("tmp");
    let store2 = Store::open(root2.path()).expect("store");
    let back = pull::pull(&store2, &c, &target, &PullOptions::default(), &|_| {}).expect("pull back");
    assert_eq!((back.image_id, back.layers), (pulled.image_id, pulled.layers));
}

#[test]
fn interrupted_downloads_resume_with_range_or_start_over() {
    let image = Image::new(
        vec![Layer::gz(&[fixture::file("big", &vec![3u8; 200_000], 0o644)])],
        "/big",
        OCI_MANIFEST,
    );
    let blob = image.layers[0].blob.clone();
    let half = blob.len() / 2;
    for honour_range in [true, false] {
        let (manifest, config, md, cd, ld) = (
            image.manifest.clone(),
            image.config.clone(),
            image.manifest_digest(),
            image.id(),
            image.layers[0].digest(),
        );
        let served = blob.clone();
        let ranges = std::sync::Arc::new(Mutex::new(Vec::new()));
        let ranges2 = ranges.clone();
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let server = FakeServer::start_full(move |q| {
            if q.path.ends_with("/manifests/1") {
                let mut r = Reply::ok(manifest.clone(), OCI_MANIFEST);
                r.headers.push(("Docker-Content-Digest".into(), md.to_string()));
                r
            } else if q.path.ends_with(&format!("/blobs/{cd}")) {
                Reply::ok(config.clone(), "application/octet-stream")
            } else if q.path.ends_with(&format!("/blobs/{ld}")) {
                ranges2.lock().expect("lock").push(q.range.clone());
                let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                match (&q.range, honour_range) {
                    // The first answer breaks off half-way.
                    _ if n == 0 => {
                        let mut r = Reply::ok(served[..half].to_vec(), "application/octet-stream");
                        r.content_length = Some(served.len());
                        r
                    }
                    (Some(range), true) => {
                        let from: usize = range
                            .trim_start_matches("bytes=")
                            .trim_end_matches('-')
                            .parse()
                            .unwrap_or(0);
                        let mut r = Reply::ok(served[from..].to_vec(), "application/octet-stream");
                        r.status = 206;
                        r.headers.push((
                            "Content-Range".into(),
                            format!("bytes {from}-{}/{}", served.len() - 1, served.len()),
                        ));
                        r
                    }
                    _ => Reply::ok(served.clone(), "application/octet-stream"),
                }
            } else {
                Reply::status(404)
            }
        });
        let root = tempfile::tempdir().expect("tmp");
        let store = Store::open(root.path()).expect("store");
        let res = pull::pull(
            &store,
            &client(8 << 20, None),
            &r(&format!("{}/r/img:1", server.host)),
            &PullOptions::default(),
            &|_| {},
        )
        .expect("pull completes after the interruption");
        assert_eq!(res.image_id, image.id());
        let stored = std::fs::read(store.content.blob_path(&image.layers[0].digest())).expect("blob");
        assert_eq!(
            stored, blob,
            "the stored blob is exactly the registry's (honour_range={honour_range})"
        );
        let ranges = ranges.lock().expect("ranges").clone();
        assert_eq!(ranges.first(), Some(&None));
        assert_eq!(
            ranges.get(1),
            Some(&Some(format!("bytes={half}-"))),
            "the retry asks only for the rest"
        );
    }
}

#[test]
fn a_5xx_is_retried_and_retry_after_is_honoured() {
    let image = Image::new(
        vec![Layer::gz(&[fixture::file("a.txt", b"a\n", 0o644)])],
        "/a",
        OCI_MANIFEST,
    );
    let manifest = image.manifest.clone();
    // When each manifest request came, and what it got: 503 with Retry-After: 1, 503 with none,
    // then the manifest.
    let times = std::sync::Arc::new(Mutex::new(Vec::new()));
    let seen_times = times.clone();
    let server = FakeServer::start(move |_, path, _| {
        if !path.ends_with("/manifests/1") {
            return Reply::status(404);
        }
        let mut times = seen_times.lock().expect("times");
        times.push(std::time::Instant::now());
        match times.len() {
            1 => {
                let mut r = Reply::status(503);
                r.headers.push(("Retry-After".into(), "1".into()));
                r
            }
            2 => Reply::status(503),
            _ => Reply::ok(manifest.clone(), OCI_MANIFEST),
        }
    });
    let fetched = client(8 << 20, None)
        .fetch_manifest(&r(&format!("{}/r/img:1", server.host)), "1")
        .expect("the third try gets the manifest");
    assert_eq!(fetched.digest, image.manifest_digest());
    let times = times.lock().expect("times");
    assert_eq!(times.len(), 3, "first try plus two retries");
    let waited = times[1] - times[0];
    assert!(
        waited >= std::time::Duration::from_millis(950),
        "Retry-After: 1 asks for a second; the retry came after {waited:?}"
    );
}

#[test]
fn a_chunk_upload_that_fails_with_a_5xx_is_not_sent_again() {
    let server = FakeServer::start(|method, path, _| match method {
        "POST" => {
            let mut r = Reply::status(202);
            r.headers
                .push(("Location".into(), "/v2/r/img/blobs/uploads/u1".into()));
            r
        }
        "PATCH" if path.starts_with("/v2/r/img/blobs/uploads/u1") => Reply::status(503),
        _ => Reply::status(404),
    });
    let data = b"0123456789".to_vec();
    let digest = Digest::of(&data);
    let err = client(4, None)
        .upload_blob(
            &r(&format!("{}/r/img:1", server.host)),
            &digest,
            data.len() as u64,
            &mut data.as_slice(),
        )
        .expect_err("the chunk failed");
    let seen = server.seen.lock().expect("seen");
    let patches = seen.iter().filter(|(m, _, _)| m == "PATCH").count();
    assert_eq!(
        patches, 1,
        "a PATCH may have appended its chunk before the 503; sending it again could append it twice: {seen:?} ({err})"
    );
}
