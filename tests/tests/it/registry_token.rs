//! Token auth for real: Debian's `docker-registry` configured with `auth: token`, and a token
//! server in the test that signs ES256 JWTs with a certificate from the registry's root bundle
//! (see `support/token.rs`). This is the flow Docker Hub uses, which these machines cannot
//! reach: a 401 challenge, a token for exactly the scopes needed, the token reused for every
//! request it covers. Also `layerlab login`/`logout` against it and against htpasswd, and
//! `layerlab push` with cross-repository mounts.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use layerlab::pull::{self, PullOptions, Store};
use layerlab::registry::auth::Credentials;
use layerlab::registry::reference::ImageRef;
use layerlab::registry::{Client, ClientOptions, RegistryError};

use crate::support::Registry;
use crate::support::fixture::{self, Image, OCI_MANIFEST};
use crate::support::token::{Mode, SERVICE, TokenRequest, TokenServer};

const USER: &str = "student";
const PASSWORD: &str = "s3cret";

fn client(credentials: Option<Credentials>) -> Client {
    Client::new(ClientOptions {
        docker_config: None,
        credentials,
        retry_base: std::time::Duration::from_millis(10),
        max_retries: 1,
        ..ClientOptions::default()
    })
}

fn student() -> Credentials {
    Credentials {
        username: USER.into(),
        password: PASSWORD.into(),
    }
}

fn r(text: &str) -> ImageRef {
    ImageRef::parse(text).expect("reference")
}

/// `layerlab --engine native --root <root> <args>` with its own Docker config directory and
/// `stdin` as standard input.
fn layerlab(root: &Path, docker_config: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(crate::lesson::layerlab_binary())
        .args(["--engine", "native", "--root"])
        .arg(root)
        .args(args)
        .env("DOCKER_CONFIG", docker_config)
        .env_remove("LAYERLAB_INSECURE_REGISTRIES")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("layerlab runs");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin).expect("write stdin");
    }
    child.wait_with_output().expect("layerlab finishes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Insists on exit 0 and returns stdout.
fn ok(root: &Path, docker_config: &Path, args: &[&str], stdin: &[u8]) -> String {
    let out = layerlab(root, docker_config, args, stdin);
    assert_eq!(
        out.status.code(),
        Some(0),
        "layerlab {args:?} failed:\nstdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Insists on exit 1 and returns stderr.
fn fails(root: &Path, docker_config: &Path, args: &[&str], stdin: &[u8]) -> String {
    let out = layerlab(root, docker_config, args, stdin);
    assert_eq!(
        out.status.code(),
        Some(1),
        "layerlab {args:?} should fail:\nstdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stderr)
}

fn demo_image() -> Image {
    Image::new(fixture::demo_layers(), "/app/app.sh", OCI_MANIFEST)
}

fn request(scopes: &[&str], user: Option<&str>, status: u16, granted: &[&str]) -> TokenRequest {
    TokenRequest {
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        service: Some(SERVICE.to_owned()),
        user: user.map(str::to_owned),
        status,
        granted: granted.iter().map(|s| (*s).to_owned()).collect(),
    }
}

#[test]
fn anonymous_pulls_and_credentialed_pushes_go_through_the_token_flow() {
    let tokens = TokenServer::start(USER, PASSWORD);
    let reg = tokens.registry();
    let image = demo_image();
    let name = format!("{}/demo/app:1.0", reg.host);

    // Anonymous callers are given pull only, so the registry refuses the push.
    let anonymous = client(None);
    let err = anonymous
        .push_blob(
            &r(&name),
            &image.id(),
            image.config.len() as u64,
            &mut image.config.as_slice(),
        )
        .expect_err("an anonymous push");
    assert!(
        matches!(&err, RegistryError::Refused { code, message }
            if code == "unauthorized" && message == "authentication required"),
        "{err}\n{}",
        reg.log()
    );
    assert_eq!(
        tokens.requests(),
        [request(
            &["repository:demo/app:pull,push"],
            None,
            200,
            &["repository:demo/app:pull"]
        )]
    );

    // With the user's password the token covers push, and one token serves the whole push.
    tokens.clear();
    image.push(&client(Some(student())), &r(&name), "1.0");
    assert_eq!(
        tokens.requests(),
        [request(
            &["repository:demo/app:pull,push"],
            Some(USER),
            200,
            &["repository:demo/app:pull,push"]
        )],
        "{}",
        reg.log()
    );

    // An anonymous pull: one token for `pull`, fetched after the first 401 and reused for the
    // manifest, the config and all four layers.
    tokens.clear();
    let root = tempfile::tempdir().expect("tmp");
    let config = tempfile::tempdir().expect("docker config");
    let out = ok(&root.path().join("root"), config.path(), &["pull", &name], b"");
    assert!(
        out.contains(&format!("Status: Downloaded newer image for {name}")),
        "{out}"
    );
    assert_eq!(
        tokens.requests(),
        [request(
            &["repository:demo/app:pull"],
            None,
            200,
            &["repository:demo/app:pull"]
        )]
    );
    let images = ok(&root.path().join("root"), config.path(), &["images", "-q"], b"");
    assert_eq!(images.trim(), &image.id().hex()[..12]);

    // The library's pull agrees, and verifies every blob.
    let store = Store::open(&root.path().join("lib")).expect("store");
    let res = pull::pull(&store, &anonymous, &r(&name), &PullOptions::default(), &|_| {}).expect("pull");
    assert_eq!((res.image_id, res.digest), (image.id(), image.manifest_digest()));
}

#[test]
fn expired_and_untrusted_tokens_are_refused_by_the_registry() {
    let tokens = TokenServer::start(USER, PASSWORD);
    let reg = tokens.registry();
    let image = Image::new(
        vec![fixture::Layer::gz(&[fixture::file("f", b"token test\n", 0o644)])],
        "/f",
        OCI_MANIFEST,
    );
    let name = format!("{}/demo/small:1", reg.host);
    image.push(&client(Some(student())), &r(&name), "1");
    let config = tempfile::tempdir().expect("docker config");

    for mode in [Mode::Expired, Mode::Untrusted] {
        tokens.set_mode(mode);
        tokens.clear();
        let root = tempfile::tempdir().expect("tmp");
        let err = fails(root.path(), config.path(), &["pull", &name], b"");
        assert_eq!(
            err, "Error response from daemon: unauthorized: authentication required\n",
            "{mode:?}"
        );
        // The token was fetched and sent once; the registry's second 401 is final.
        assert_eq!(
            tokens.requests(),
            [request(
                &["repository:demo/small:pull"],
                None,
                200,
                &["repository:demo/small:pull"]
            )],
            "{mode:?}"
        );
        assert!(
            ok(root.path(), config.path(), &["images", "-q"], b"")
                .trim()
                .is_empty(),
            "{mode:?}: nothing is kept"
        );

        // A push with good credentials but a bad token is refused in the registry's words.
        let err = client(Some(student()))
            .push_manifest(&r(&name), "again", OCI_MANIFEST, &image.manifest)
            .expect_err("bad token");
        assert!(
            matches!(&err, RegistryError::Refused { code, .. } if code == "unauthorized"),
            "{mode:?}: {err}"
        );
    }

    tokens.set_mode(Mode::Valid);
    let root = tempfile::tempdir().expect("tmp");
    ok(root.path(), config.path(), &["pull", &name], b"");
}

#[test]
fn login_checks_the_password_with_the_token_server_and_stores_it_as_docker_does() {
    let tokens = TokenServer::start(USER, PASSWORD);
    let reg = tokens.registry();
    let root = tempfile::tempdir().expect("tmp");
    let docker = tempfile::tempdir().expect("docker config");
    let config_file = docker.path().join("config.json");
    std::fs::write(
        &config_file,
        r#"{"auths":{"other.example:443":{"auth":"eDp5"}},"psFormat":"table {{.ID}}"}"#,
    )
    .expect("seed config");

    // A wrong password: the token server's reason, in Docker's wording; nothing stored.
    let err = fails(
        root.path(),
        docker.path(),
        &["login", "-u", USER, "--password-stdin", &reg.host],
        b"wrong\n",
    );
    assert_eq!(
        err,
        format!(
            "Error response from daemon: Get \"http://{}/v2/\": unauthorized: incorrect username or password\n",
            reg.host
        )
    );
    assert_eq!(
        tokens.requests(),
        [TokenRequest {
            scopes: vec![],
            service: Some(SERVICE.into()),
            user: Some(USER.into()),
            status: 401,
            granted: vec![],
        }]
    );
    let untouched: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&config_file).expect("read")).expect("json");
    assert!(untouched["auths"].get(&reg.host).is_none());

    tokens.clear();
    let out = layerlab(
        root.path(),
        docker.path(),
        &["login", "-u", USER, "--password-stdin", &reg.host],
        format!("{PASSWORD}\n").as_bytes(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Login Succeeded\n");
    assert!(
        text(&out.stderr).starts_with(&format!(
            "WARNING! Your password will be stored unencrypted in {}.",
            config_file.display()
        )),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(tokens.requests().len(), 1);
    assert_eq!(
        tokens.requests().first().map(|t| (t.user.clone(), t.status)),
        Some((Some(USER.to_owned()), 200))
    );
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&config_file).expect("read")).expect("json");
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    assert_eq!(stored["auths"][&reg.host]["auth"], auth.as_str());
    assert_eq!(stored["auths"]["other.example:443"]["auth"], "eDp5");
    assert_eq!(stored["psFormat"], "table {{.ID}}");
    let mode = std::fs::metadata(&config_file)
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);

    // -p works too, with Docker's warning; both at once is refused before any request.
    let out = layerlab(
        root.path(),
        docker.path(),
        &["login", "-u", USER, "-p", PASSWORD, &reg.host],
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr)
            .starts_with("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n")
    );
    tokens.clear();
    let err = fails(
        root.path(),
        docker.path(),
        &["login", "-u", USER, "-p", "x", "--password-stdin", &reg.host],
        b"x\n",
    );
    assert_eq!(err, "--password and --password-stdin are mutually exclusive\n");
    let err = fails(
        root.path(),
        docker.path(),
        &["login", "--password-stdin", &reg.host],
        b"x\n",
    );
    assert_eq!(err, "Must provide --username with --password-stdin\n");
    assert!(tokens.requests().is_empty());

    // No user and no password: the stored credentials are tried.
    let out = ok(root.path(), docker.path(), &["login", &reg.host], b"");
    assert_eq!(
        out,
        "Authenticating with existing credentials...\nLogin Succeeded\n"
    );

    assert_eq!(
        ok(root.path(), docker.path(), &["logout", &reg.host], b""),
        format!("Removing login credentials for {}\n", reg.host)
    );
    let after: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&config_file).expect("read")).expect("json");
    assert!(after["auths"].get(&reg.host).is_none());
    assert_eq!(after["auths"]["other.example:443"]["auth"], "eDp5");
    // As Docker (20.10 and 28) does, a second logout says the same and changes nothing.
    let before = std::fs::read(&config_file).expect("read");
    assert_eq!(
        ok(root.path(), docker.path(), &["logout", &reg.host], b""),
        format!("Removing login credentials for {}\n", reg.host)
    );
    assert_eq!(std::fs::read(&config_file).expect("read"), before);
    let err = fails(root.path(), docker.path(), &["login", &reg.host], b"");
    assert_eq!(
        err,
        "Error: Cannot perform an interactive login from a non TTY device\n"
    );
}

#[test]
fn login_against_htpasswd_reports_the_status_as_docker_does() {
    let reg = Registry::start(Some((USER, PASSWORD)));
    let root = tempfile::tempdir().expect("tmp");
    let docker = tempfile::tempdir().expect("docker config");
    let err = fails(
        root.path(),
        docker.path(),
        &["login", "-u", USER, "--password-stdin", &reg.host],
        b"nope",
    );
    assert_eq!(
        err,
        format!(
            "Error response from daemon: login attempt to http://{}/v2/ failed with status: 401 Unauthorized\n",
            reg.host
        )
    );
    assert!(!docker.path().join("config.json").exists());
    let out = ok(
        root.path(),
        docker.path(),
        &[
            "login",
            "--username",
            USER,
            "--password-stdin",
            &format!("http://{}/", reg.host),
        ],
        format!("{PASSWORD}\r\n").as_bytes(),
    );
    assert_eq!(out, "Login Succeeded\n");
    // The stored credentials are what a pull through basic auth then uses.
    let c = Credentials::from_docker_config(&docker.path().join("config.json"), &reg.host)
        .expect("read")
        .expect("stored");
    assert_eq!(c, student());
    let image = Image::new(
        vec![fixture::Layer::gz(&[fixture::file("f", b"basic\n", 0o644)])],
        "/f",
        OCI_MANIFEST,
    );
    let name = format!("{}/private/img:1", reg.host);
    image.push(&client(Some(student())), &r(&name), "1");
    ok(root.path(), docker.path(), &["pull", &name], b"");
}

#[test]
fn push_mounts_layers_from_the_repository_they_came_from_and_pulls_back() {
    let tokens = TokenServer::start(USER, PASSWORD);
    let reg = tokens.registry();
    let image = demo_image();
    let source = format!("{}/demo/app:1.0", reg.host);
    image.push(&client(Some(student())), &r(&source), "1.0");

    let root = tempfile::tempdir().expect("tmp");
    let docker = tempfile::tempdir().expect("docker config");
    ok(
        root.path(),
        docker.path(),
        &["login", "-u", USER, "--password-stdin", &reg.host],
        PASSWORD.as_bytes(),
    );
    ok(root.path(), docker.path(), &["pull", &source], b"");
    let copy = format!("{}/demo/copy:2.0", reg.host);
    ok(root.path(), docker.path(), &["tag", &source, &copy], b"");

    tokens.clear();
    let out = ok(root.path(), docker.path(), &["push", &copy], b"");
    let ids: Vec<String> = image.layers.iter().rev().map(|l| l.diff_id().short()).collect();
    let mut expected = vec![format!("The push refers to repository [{}/demo/copy]", reg.host)];
    expected.extend(ids.iter().map(|id| format!("{id}: Preparing")));
    expected.extend(ids.iter().map(|id| format!("{id}: Mounted from demo/app")));
    expected.push(format!(
        "2.0: digest: {} size: {}",
        image.manifest_digest(),
        image.manifest.len()
    ));
    assert_eq!(out.lines().collect::<Vec<_>>(), expected, "{}", reg.log());
    // The mount needed pull on the source as well as push on the target, in one token.
    assert!(
        tokens.requests().iter().any(|t| t.scopes
            == ["repository:demo/copy:pull,push", "repository:demo/app:pull"]
            && t.granted == ["repository:demo/copy:pull,push", "repository:demo/app:pull"]),
        "{:?}",
        tokens.requests()
    );

    // Pushing again finds every layer there.
    let out = ok(root.path(), docker.path(), &["image", "push", &copy], b"");
    let exists = out
        .lines()
        .filter(|l| l.ends_with(": Layer already exists"))
        .count();
    assert_eq!(exists, image.layers.len(), "{out}");

    // A fresh pull of the pushed name gives the same image.
    let fresh = tempfile::tempdir().expect("tmp");
    let out = ok(fresh.path(), docker.path(), &["pull", &copy], b"");
    assert!(
        out.contains(&format!("Digest: {}", image.manifest_digest())),
        "{out}"
    );
    let id = ok(fresh.path(), docker.path(), &["images", "-q"], b"");
    assert_eq!(id.trim(), &image.id().hex()[..12]);

    // When the source may no longer be read, its mount is refused and the next repository the
    // image is known in (the copy just pushed) serves instead.
    tokens.forbid("demo/app");
    let third = format!("{}/demo/third:1", reg.host);
    ok(root.path(), docker.path(), &["tag", &source, &third], b"");
    let out = ok(root.path(), docker.path(), &["push", &third], b"");
    let mounted: Vec<&str> = out.lines().filter(|l| l.contains(": Mounted from ")).collect();
    let expected: Vec<String> = ids
        .iter()
        .map(|id| format!("{id}: Mounted from demo/copy"))
        .collect();
    assert_eq!(mounted, expected, "{out}");

    // A name with no local image, and a push without credentials.
    let missing = format!("{}/demo/none", reg.host);
    let out = layerlab(root.path(), docker.path(), &["push", &missing], b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        format!(
            "Using default tag: latest\nThe push refers to repository [{}/demo/none]\n",
            reg.host
        )
    );
    assert_eq!(
        text(&out.stderr),
        format!("An image does not exist locally with the tag: {missing}\n")
    );
    // The repository has tags, but not this one: Docker's other wording.
    let nope = format!("{}/demo/copy:nope", reg.host);
    let out = layerlab(root.path(), docker.path(), &["push", &nope], b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), format!("tag does not exist: {nope}\n"));
    ok(root.path(), docker.path(), &["logout", &reg.host], b"");
    let other = format!("{}/demo/other:1", reg.host);
    ok(root.path(), docker.path(), &["tag", &source, &other], b"");
    let out = layerlab(root.path(), docker.path(), &["push", &other], b"");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert_eq!(text(&out.stderr), "unauthorized: authentication required\n");
}

#[test]
fn push_uploads_with_the_stored_login_and_one_token_serves_every_request() {
    // The image comes from another registry, so there is nothing to mount: every layer uploads.
    let plain = Registry::start(None);
    let image = demo_image();
    let origin = format!("{}/demo/app:1.0", plain.host);
    image.push(&client(None), &r(&origin), "1.0");
    let tokens = TokenServer::start(USER, PASSWORD);
    let reg = tokens.registry();

    let root = tempfile::tempdir().expect("tmp");
    let docker = tempfile::tempdir().expect("docker config");
    ok(root.path(), docker.path(), &["pull", &origin], b"");
    let target = format!("{}/team/app:3", reg.host);
    ok(root.path(), docker.path(), &["tag", &origin, &target], b"");
    ok(
        root.path(),
        docker.path(),
        &["login", "-u", USER, "--password-stdin", &reg.host],
        PASSWORD.as_bytes(),
    );

    tokens.clear();
    let out = ok(root.path(), docker.path(), &["push", &target], b"");
    let ids: Vec<String> = image.layers.iter().rev().map(|l| l.diff_id().short()).collect();
    let mut expected = vec![format!("The push refers to repository [{}/team/app]", reg.host)];
    expected.extend(ids.iter().map(|id| format!("{id}: Preparing")));
    // No `Pushing` lines: without a terminal Docker prints none.
    expected.extend(ids.iter().map(|id| format!("{id}: Pushed")));
    expected.push(format!(
        "3: digest: {} size: {}",
        image.manifest_digest(),
        image.manifest.len()
    ));
    assert_eq!(out.lines().collect::<Vec<_>>(), expected, "{}", reg.log());
    // Existence checks, upload sessions, chunks, the config and the manifest: one token.
    assert_eq!(
        tokens.requests(),
        [request(
            &["repository:team/app:pull,push"],
            Some(USER),
            200,
            &["repository:team/app:pull,push"]
        )]
    );

    // `push -q` prints only the name once the manifest is in.
    let quiet = ok(root.path(), docker.path(), &["push", "-q", &target], b"");
    assert_eq!(quiet, format!("{target}\n"));
    let fresh = tempfile::tempdir().expect("tmp");
    ok(fresh.path(), docker.path(), &["pull", &target], b"");
}

/// Runs `layerlab login <server>` on a terminal (through util-linux's `script`), answering each
/// prompt once it is shown; returns everything the terminal displayed and the exit status.
fn login_on_a_terminal(root: &Path, docker_config: &Path, server: &str, answers: &[(&str, &str)]) -> String {
    use std::io::Read;
    use std::sync::{Arc, Mutex};
    let command = format!(
        "{} --engine native --root {} login {server}; echo exit=$?",
        crate::lesson::layerlab_binary().display(),
        root.display()
    );
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("DOCKER_CONFIG", docker_config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("script (util-linux) runs");
    let screen = Arc::new(Mutex::new(String::new()));
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = {
        let screen = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 1024];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).into_owned();
                screen.lock().expect("lock").push_str(&text);
            }
        })
    };
    let mut stdin = child.stdin.take().expect("stdin");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    for (shown, typed) in answers {
        while !screen.lock().expect("lock").contains(shown) {
            assert!(
                std::time::Instant::now() < deadline,
                "no {shown:?} prompt: {:?}",
                screen.lock().expect("lock")
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        stdin.write_all(format!("{typed}\n").as_bytes()).expect("type");
    }
    while !screen.lock().expect("lock").contains("exit=") {
        assert!(
            std::time::Instant::now() < deadline,
            "login did not finish: {:?}",
            screen.lock().expect("lock")
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(stdin);
    let _ = child.wait();
    let _ = reader.join();
    screen.lock().expect("lock").replace('\r', "")
}

#[test]
fn login_on_a_terminal_prompts_and_does_not_echo_the_password() {
    let tokens = TokenServer::start(USER, PASSWORD);
    let reg = tokens.registry();
    let root = tempfile::tempdir().expect("tmp");
    let docker = tempfile::tempdir().expect("docker config");
    let shown = login_on_a_terminal(
        root.path(),
        docker.path(),
        &reg.host,
        &[("Username: ", USER), ("Password: ", PASSWORD)],
    );
    assert!(
        shown.starts_with(&format!("Username: {USER}\nPassword: \n")),
        "{shown}"
    );
    assert!(!shown.contains(PASSWORD), "the password was echoed: {shown}");
    assert!(shown.ends_with("Login Succeeded\nexit=0\n"), "{shown}");
    let c = Credentials::from_docker_config(&docker.path().join("config.json"), &reg.host)
        .expect("read")
        .expect("stored");
    assert_eq!(c, student());

    ok(root.path(), docker.path(), &["logout", &reg.host], b"");
    let shown = login_on_a_terminal(
        root.path(),
        docker.path(),
        &reg.host,
        &[("Username: ", USER), ("Password: ", "wrong")],
    );
    assert!(
        shown.ends_with(&format!(
            "Error response from daemon: Get \"http://{}/v2/\": unauthorized: incorrect username or password\nexit=1\n",
            reg.host
        )),
        "{shown}"
    );
}
