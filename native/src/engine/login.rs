//! `login` and `logout`: check credentials against a registry the way `docker login` does, and
//! keep them where the Docker CLI keeps them, so that `docker` and `layerlab` share one login.
//!
//! On a terminal, a missing user name or password is asked for (the password without echo).
//!
//! Public API: [`run_login`]`(server, &LoginArgs, stdin, out, err) -> i32`,
//! [`run_logout`]`(args, out, err) -> i32`, [`config_key`], [`LoginError`].
//!
//! The file is `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`; an entry is
//! `auths.<server>.auth = base64(user:password)`. Everything else in the file (other
//! registries, `credsStore`, `proxies`, unknown keys) is kept as it was. The file is written to a
//! temporary file in the same directory with mode 0600, synced, then renamed over the old one,
//! so a crash never leaves half a file and the password is never readable by others, not even
//! for a moment. Credential helpers (`credsStore`) are not run: the password goes to the file,
//! with Docker's warning saying so.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use layerlab_core::cli::args::LoginArgs;

use crate::registry::auth::Credentials;
use crate::registry::reference::ImageRef;
use crate::registry::{Client, ClientOptions, RegistryError};

/// Docker Hub's key in `auths`, kept from the v1 index for compatibility by every Docker CLI.
pub const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// A password read from standard input longer than this is not a password.
const MAX_PASSWORD_BYTES: u64 = 64 * 1024;

/// Why `login` or `logout` failed. CLI-side messages are the Docker CLI's; registry refusals
/// are printed after `Error response from daemon: ` as Docker prints them.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("--password and --password-stdin are mutually exclusive")]
    PasswordTwice,
    #[error("Must provide --username with --password-stdin")]
    UsernameRequired,
    #[error("Error: Cannot perform an interactive login from a non TTY device")]
    NonTty,
    #[error("Error: Non-null Username Required")]
    NoUsername,
    #[error("Error: Password Required")]
    NoPassword,
    #[error("reading from the terminal: {source}")]
    Terminal { source: std::io::Error },
    #[error("reading the password from standard input: {source}")]
    Stdin { source: std::io::Error },
    #[error("the password on standard input is longer than {limit} bytes")]
    PasswordTooLong { limit: u64 },
    #[error("invalid registry address {server:?}: {reason}")]
    BadServer { server: String, reason: String },
    #[error("neither $DOCKER_CONFIG nor $HOME is set: there is nowhere to keep credentials")]
    NoConfigPath,
    #[error("{path} is not valid JSON: {source}")]
    ConfigJson {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{path}: expected a JSON object at the top and in \"auths\"")]
    ConfigShape { path: PathBuf },
    #[error("{action} {path}: {source}")]
    ConfigIo {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "\"docker logout\" requires at most 1 argument.\nSee 'docker logout --help'.\n\nUsage:  docker logout [SERVER]\n\nLog out from a registry"
    )]
    LogoutUsage,
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

impl LoginError {
    fn is_daemon_error(&self) -> bool {
        matches!(self, LoginError::Registry(_))
    }
}

/// Where a server's credentials are kept and how the registry is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// The key in `auths`: `localhost:5000`, or [`DOCKER_HUB_KEY`].
    pub key: String,
    /// Any name on that registry, for the client to find its host.
    pub probe: ImageRef,
}

/// The `auths` key and registry for what the user typed (`localhost:5000`,
/// `http://127.0.0.1:5000/`, `docker.io`, nothing for Docker Hub). The scheme and any path are
/// dropped, as Docker's `ConvertToHostname` does.
pub fn config_key(server: Option<&str>) -> Result<Server, LoginError> {
    let bad = |text: &str, reason: String| LoginError::BadServer {
        server: text.to_owned(),
        reason,
    };
    let typed = server.unwrap_or("").trim();
    let host = typed
        .strip_prefix("https://")
        .or_else(|| typed.strip_prefix("http://"))
        .unwrap_or(typed)
        .split('/')
        .next()
        .unwrap_or("");
    if host.is_empty() || matches!(host, "docker.io" | "index.docker.io" | "registry-1.docker.io") {
        let probe =
            ImageRef::parse("docker.io/library/login-probe").map_err(|e| bad(typed, e.to_string()))?;
        return Ok(Server {
            key: DOCKER_HUB_KEY.to_owned(),
            probe,
        });
    }
    let probe = ImageRef::parse(&format!("{host}/login-probe")).map_err(|e| bad(typed, e.to_string()))?;
    // A bare word would be read as a Docker Hub namespace; a registry needs a dot, a port or
    // the name localhost.
    if probe.registry != host {
        return Err(bad(
            typed,
            "not a registry host (use host:port, a name with a dot, or localhost)".to_owned(),
        ));
    }
    Ok(Server {
        key: host.to_owned(),
        probe,
    })
}

/// The client for checking a login: exactly these credentials, never the config file's.
fn login_client(credentials: Credentials, insecure_registries: &[String]) -> Client {
    Client::new(ClientOptions {
        insecure_registries: insecure_registries.to_vec(),
        credentials: Some(credentials),
        docker_config: None,
        ..ClientOptions::default()
    })
}

fn config_path() -> Result<PathBuf, LoginError> {
    Credentials::docker_config_path().ok_or(LoginError::NoConfigPath)
}

/// The config file as a JSON object (empty when there is no file yet).
fn read_config(path: &Path) -> Result<serde_json::Map<String, serde_json::Value>, LoginError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(serde_json::Map::new()),
        Err(source) => {
            return Err(LoginError::ConfigIo {
                action: "reading",
                path: path.to_owned(),
                source,
            });
        }
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_slice(&bytes) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(LoginError::ConfigShape {
            path: path.to_owned(),
        }),
        Err(source) => Err(LoginError::ConfigJson {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Writes `config` to `path` atomically with mode 0600, tab-indented as the Docker CLI writes it.
fn write_config(path: &Path, config: &serde_json::Map<String, serde_json::Value>) -> Result<(), LoginError> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let io = |action: &'static str, p: &Path| {
        let p = p.to_owned();
        move |source| LoginError::ConfigIo {
            action,
            path: p,
            source,
        }
    };
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io("creating", dir))?;
    let mut bytes = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut ser = serde_json::Serializer::with_formatter(&mut bytes, formatter);
    serde::Serialize::serialize(config, &mut ser).map_err(|source| LoginError::ConfigJson {
        path: path.to_owned(),
        source,
    })?;
    // tempfile creates the file with mode 0600 already; set it anyway so the rename never
    // publishes anything wider, whatever the umask.
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io("creating a temporary file in", dir))?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(io("setting the mode of", tmp.path()))?;
    tmp.write_all(&bytes).map_err(io("writing", tmp.path()))?;
    tmp.as_file().sync_all().map_err(io("syncing", tmp.path()))?;
    tmp.persist(path).map_err(|e| LoginError::ConfigIo {
        action: "replacing",
        path: path.to_owned(),
        source: e.error,
    })?;
    Ok(())
}

/// The `auths` object of `config`, created when missing.
fn auths_of<'a>(
    config: &'a mut serde_json::Map<String, serde_json::Value>,
    path: &Path,
) -> Result<&'a mut serde_json::Map<String, serde_json::Value>, LoginError> {
    match config
        .entry("auths")
        .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()))
    {
        serde_json::Value::Object(m) => Ok(m),
        _ => Err(LoginError::ConfigShape {
            path: path.to_owned(),
        }),
    }
}

/// Stores `credentials` for `key`, keeping everything else in the file.
fn store_credentials(path: &Path, key: &str, credentials: &Credentials) -> Result<(), LoginError> {
    let mut config = read_config(path)?;
    let auth = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", credentials.username, credentials.password));
    let auths = auths_of(&mut config, path)?;
    let mut entry = match auths.remove(key) {
        Some(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    // A stale identity token would be sent instead of the new password.
    entry.remove("identitytoken");
    entry.insert("auth".to_owned(), serde_json::Value::String(auth));
    auths.insert(key.to_owned(), serde_json::Value::Object(entry));
    write_config(path, &config)
}

/// Reads the password from `stdin` as `--password-stdin` does: everything, minus one trailing
/// newline (and a carriage return before it).
fn read_password(stdin: &mut dyn Read) -> Result<String, LoginError> {
    let mut bytes = Vec::new();
    stdin
        .take(MAX_PASSWORD_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| LoginError::Stdin { source })?;
    if bytes.len() as u64 > MAX_PASSWORD_BYTES {
        return Err(LoginError::PasswordTooLong {
            limit: MAX_PASSWORD_BYTES,
        });
    }
    let text = String::from_utf8(bytes).map_err(|e| LoginError::Stdin {
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })?;
    let text = text.strip_suffix('\n').unwrap_or(&text);
    Ok(text.strip_suffix('\r').unwrap_or(text).to_owned())
}

/// Turns the terminal's echo off until dropped, so a typed password is not shown.
struct NoEcho {
    saved: rustix::termios::Termios,
}

impl NoEcho {
    fn start() -> Result<NoEcho, LoginError> {
        use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
        let term = |e: rustix::io::Errno| LoginError::Terminal { source: e.into() };
        let saved = tcgetattr(std::io::stdin()).map_err(term)?;
        let mut quiet = saved.clone();
        quiet.local_modes.remove(LocalModes::ECHO);
        tcsetattr(std::io::stdin(), OptionalActions::Now, &quiet).map_err(term)?;
        Ok(NoEcho { saved })
    }
}

impl Drop for NoEcho {
    fn drop(&mut self) {
        let _ = rustix::termios::tcsetattr(
            std::io::stdin(),
            rustix::termios::OptionalActions::Now,
            &self.saved,
        );
    }
}

/// Asks for one line on the terminal, as the Docker CLI does when `-u` or the password is
/// missing; `echo: false` hides what is typed.
fn prompt(out: &mut dyn Write, stdin: &mut dyn Read, label: &str, echo: bool) -> Result<String, LoginError> {
    let _ = write!(out, "{label}");
    let _ = out.flush();
    let guard = if echo { None } else { Some(NoEcho::start()?) };
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while line.len() < 4096 {
        match stdin.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => {
                let [b] = byte;
                if b == b'\n' {
                    break;
                }
                line.push(b);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(source) => return Err(LoginError::Terminal { source }),
        }
    }
    drop(guard);
    if !echo {
        // The newline typed was not echoed.
        let _ = writeln!(out);
    }
    let text = String::from_utf8_lossy(&line);
    Ok(text.strip_suffix('\r').unwrap_or(&text).trim().to_owned())
}

fn login(
    server: Option<&str>,
    args: &LoginArgs,
    insecure_registries: &[String],
    stdin: &mut dyn Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), LoginError> {
    if args.password.is_some() && args.password_stdin {
        return Err(LoginError::PasswordTwice);
    }
    let target = config_key(server)?;
    let path = config_path()?;
    let password = if args.password_stdin {
        if args.username.as_deref().is_none_or(str::is_empty) {
            return Err(LoginError::UsernameRequired);
        }
        Some(read_password(stdin)?)
    } else {
        if args.password.is_some() {
            let _ = writeln!(
                err,
                "WARNING! Using --password via the CLI is insecure. Use --password-stdin."
            );
        }
        args.password.clone()
    };
    let stored = if args.username.is_none() && password.is_none() {
        Credentials::from_docker_config(&path, &target.probe.registry).map_err(RegistryError::from)?
    } else {
        None
    };
    let credentials = match stored {
        // Docker first tries what is already stored for the server.
        Some(stored) => {
            let _ = writeln!(out, "Authenticating with existing credentials...");
            stored
        }
        None => ask(args.username.clone(), password, stdin, out)?,
    };
    login_client(credentials.clone(), insecure_registries).check_login(&target.probe)?;
    let _ = writeln!(
        err,
        "WARNING! Your password will be stored unencrypted in {}.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/engine/reference/commandline/login/#credentials-store\n",
        path.display()
    );
    store_credentials(&path, &target.key, &credentials)?;
    let _ = writeln!(out, "Login Succeeded");
    Ok(())
}

/// The user name and password given, with whatever is missing asked for on a terminal.
fn ask(
    username: Option<String>,
    password: Option<String>,
    stdin: &mut dyn Read,
    out: &mut dyn Write,
) -> Result<Credentials, LoginError> {
    let interactive = std::io::stdin().is_terminal();
    let username = match username {
        Some(u) => u,
        None if interactive => prompt(out, stdin, "Username: ", true)?,
        None => return Err(LoginError::NonTty),
    };
    if username.is_empty() {
        return Err(LoginError::NoUsername);
    }
    let password = match password {
        Some(p) => p,
        None if interactive => prompt(out, stdin, "Password: ", false)?,
        None => return Err(LoginError::NonTty),
    };
    if password.is_empty() {
        return Err(LoginError::NoPassword);
    }
    Ok(Credentials { username, password })
}

/// `login [SERVER] [-u USER] [-p PASS | --password-stdin]`: Docker's exit code (0 or 1).
/// `insecure_registries` may be reached over plain HTTP.
pub fn run_login(
    server: Option<&str>,
    args: &LoginArgs,
    insecure_registries: &[String],
    stdin: &mut dyn Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    match login(server, args, insecure_registries, stdin, out, err) {
        Ok(()) => 0,
        Err(e) => {
            let prefix = if e.is_daemon_error() {
                "Error response from daemon: "
            } else {
                ""
            };
            let _ = writeln!(err, "{prefix}{e}");
            1
        }
    }
}

fn logout(args: &[String], out: &mut dyn Write) -> Result<(), LoginError> {
    if args.len() > 1 {
        return Err(LoginError::LogoutUsage);
    }
    let target = config_key(args.first().map(String::as_str))?;
    let path = config_path()?;
    let candidates: Vec<String> = if target.key == DOCKER_HUB_KEY {
        vec![DOCKER_HUB_KEY.to_owned()]
    } else {
        let h = &target.key;
        vec![
            h.clone(),
            format!("http://{h}"),
            format!("https://{h}"),
            format!("https://{h}/v1/"),
        ]
    };
    let mut config = read_config(&path)?;
    // Docker (20.10 and 28 alike) says this whether or not there was anything to remove.
    let _ = writeln!(out, "Removing login credentials for {}", target.key);
    let present = match config.get("auths") {
        Some(serde_json::Value::Object(auths)) => candidates.iter().any(|k| auths.contains_key(k)),
        _ => false,
    };
    if !present {
        return Ok(());
    }
    let auths = auths_of(&mut config, &path)?;
    for k in &candidates {
        auths.remove(k);
    }
    write_config(&path, &config)
}

/// `logout [SERVER]` (not in core's grammar, so it arrives as raw words): Docker's exit code.
pub fn run_logout(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match logout(args, out) {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(err, "{e}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_become_docker_config_keys() {
        let k = |s: Option<&str>| config_key(s).map(|t| t.key);
        assert_eq!(k(None).ok().as_deref(), Some(DOCKER_HUB_KEY));
        assert_eq!(k(Some("docker.io")).ok().as_deref(), Some(DOCKER_HUB_KEY));
        assert_eq!(
            k(Some("http://127.0.0.1:5000/")).ok().as_deref(),
            Some("127.0.0.1:5000")
        );
        assert_eq!(k(Some("localhost:5000")).ok().as_deref(), Some("localhost:5000"));
        assert_eq!(k(Some("ghcr.io")).ok().as_deref(), Some("ghcr.io"));
        assert!(matches!(k(Some("justaword")), Err(LoginError::BadServer { .. })));
        assert!(matches!(
            k(Some("bad host:5000")),
            Err(LoginError::BadServer { .. })
        ));
        let probe = config_key(Some("localhost:5000")).expect("key").probe;
        assert_eq!(probe.api_host(), "localhost:5000");
    }

    #[test]
    fn password_stdin_drops_one_trailing_newline() {
        let read = |b: &[u8]| read_password(&mut &b[..]).ok();
        assert_eq!(read(b"s3cret\n").as_deref(), Some("s3cret"));
        assert_eq!(read(b"s3cret\r\n").as_deref(), Some("s3cret"));
        assert_eq!(read(b"two\n\n").as_deref(), Some("two\n"));
        assert_eq!(read(b"").as_deref(), Some(""));
        assert!(read(&[0xff, 0xfe]).is_none());
        let long = vec![b'a'; 70_000];
        assert!(matches!(
            read_password(&mut &long[..]),
            Err(LoginError::PasswordTooLong { .. })
        ));
    }

    #[test]
    fn storing_keeps_other_keys_and_writes_0600_atomically() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("sub/config.json");
        std::fs::create_dir_all(dir.path().join("sub")).expect("mkdir");
        std::fs::write(
            &path,
            r#"{"auths":{"other:1":{"auth":"eDp5"},"localhost:5000":{"auth":"old","identitytoken":"t"}},"credsStore":"","proxies":{"default":{}}}"#,
        )
        .expect("seed");
        let c = Credentials {
            username: "student".into(),
            password: "s3:cret".into(),
        };
        store_credentials(&path, "localhost:5000", &c).expect("store");
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
        assert_eq!(v["auths"]["other:1"]["auth"], "eDp5");
        assert_eq!(v["proxies"], serde_json::json!({"default": {}}));
        assert_eq!(v["credsStore"], "");
        assert!(v["auths"]["localhost:5000"].get("identitytoken").is_none());
        let back = Credentials::from_docker_config(&path, "localhost:5000")
            .expect("read")
            .expect("entry");
        assert_eq!(back, c);
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .expect("list")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers, [std::ffi::OsString::from("config.json")]);

        std::fs::write(&path, "[1]").expect("array");
        assert!(matches!(
            store_credentials(&path, "x:1", &c),
            Err(LoginError::ConfigShape { .. })
        ));
        std::fs::write(&path, "{not json").expect("garbage");
        assert!(matches!(
            store_credentials(&path, "x:1", &c),
            Err(LoginError::ConfigJson { .. })
        ));
        let fresh = dir.path().join("new/dir/config.json");
        store_credentials(&fresh, "x:1", &c).expect("fresh");
        assert!(fresh.exists());
    }
}
