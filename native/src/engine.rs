//! The native engine behind `layerlab --engine native`: one function per docker command, over the
//! content store, the snapshots and the runtime, printing through core's renderers so that the
//! output is the same bytes the simulator and Docker print.
//!
//! Public API:
//! - [`run`]`(options: &Options, args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32`:
//!   parse `args` (the words after `layerlab`, e.g. `["pull", "nginx"]`) with core's grammar, run
//!   the command against the data root (`--root`, then `$LAYERLAB_ROOT`, then
//!   `/var/lib/layerlab`) and return Docker's exit code.
//! - [`Options`]: what the command line says besides the command (data root, insecure
//!   registries, storage driver).
//! - [`Engine`]: the data root opened ([`Engine::open`]), with [`Engine::execute`] for a parsed
//!   [`Command`].
//! - [`EngineError`]: why a command failed, in Docker's words where Docker has some.
//!
//! Layout under the data root: the content store (`content/`, `metadata/`, `ingest/`), the layer
//! snapshots (`snapshots/<chain id>/diff`), and one directory per container
//! (`containers/<id>/`: `config.json` written here, `state.json` written by the runtime's monitor
//! or by an attached run, `<id>-json.log`, and the runtime's upper/work directories), the init
//! layer they all share (`init/`; containers made before it was shared have their own), and
//! one per volume (`volumes/<name>/`: `_data` mounted into containers, `volume.json`).
//!
//! Submodules: [`images`] (pull, images, history, inspect, tag, rmi), [`containers`] (ps,
//! stop, rm, logs, diff, system df), [`create`], [`start`] (start and run), [`inspect`]
//! (containers and images, `--format`), [`volumes`] (`volume ...`, `-v`), [`exec`] (entering a
//! running container's namespaces), [`push`] (push, image push), [`login`] (login, logout: they
//! run before the data root is opened, since they only touch the Docker config file).

pub mod containers;
pub mod create;
pub mod exec;
pub mod images;
pub mod inspect;
pub mod login;
pub mod push;
pub mod start;
pub mod volumes;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use layerlab_core::cli::args::{self, Command, UsageError};

use crate::content_store::StoreError;
use crate::pull::{PullError, Store, data_root};
use crate::registry::RegistryError;
use crate::runtime::changes::ChangesError;
use crate::runtime::detach::StateError;
use crate::runtime::{RunError, StorageDriver, rootfs::RootfsError};

/// Why a command failed. The messages follow Docker's daemon errors where it has one.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Usage(#[from] UsageError),
    #[error(transparent)]
    Pull(#[from] PullError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Rootfs(#[from] RootfsError),
    #[error(transparent)]
    Changes(#[from] ChangesError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Volume(#[from] volumes::VolumeError),
    #[error(transparent)]
    Format(#[from] inspect::FormatError),
    #[error("invalid reference format: {text:?}: {reason}")]
    Reference { text: String, reason: String },
    #[error("No such image: {name}")]
    NoSuchImage { name: String },
    #[error("No such container: {name}")]
    NoSuchContainer { name: String },
    #[error(
        "Conflict. The container name \"/{name}\" is already in use by container \"{id}\". You have to remove (or rename) that container to be able to reuse that name."
    )]
    NameInUse { name: String, id: String },
    #[error("Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")]
    BadName { name: String },
    #[error("Container {id} is not running")]
    NotRunning { id: String },
    #[error(
        "You cannot remove a running container {id}. Stop the container before attempting removal or force remove"
    )]
    RemoveRunning { id: String },
    #[error("invalid volume specification: '{spec}': {reason}")]
    BadVolume { spec: String, reason: &'static str },
    #[error("network {name} not found: the native engine offers none and host")]
    NoNetwork { name: String },
    #[error("the container record {path} is not valid: {source}")]
    BadRecord {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("the image config {digest} is not valid: {source}")]
    BadConfig {
        digest: String,
        source: serde_json::Error,
    },
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("cannot print the output: {reason}")]
    Render { reason: String },
    #[error("{what} is not supported by the native engine yet; try --engine sim")]
    Unsupported { what: &'static str },
}

impl EngineError {
    /// Docker's exit code for this failure: 125 for the engine's own failures of `run`, 126/127
    /// for a command that could not be executed, 1 for daemon errors of other commands (`create`
    /// included: Docker 20.10 exits 1 there).
    fn exit_code(&self, command: &Command) -> i32 {
        match self {
            EngineError::Usage(e) => e.exit_code(),
            EngineError::Run(e) => e.exit_code(),
            _ if matches!(command, Command::Run(_)) => 125,
            _ => 1,
        }
    }

    /// Whether Docker words this as a daemon response.
    fn from_daemon(&self) -> bool {
        !matches!(self, EngineError::Usage(_))
    }
}

pub(crate) fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> EngineError {
    let path = path.to_owned();
    move |source| EngineError::Io { action, path, source }
}

/// What the command line says about how the engine works, besides the command itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// The data root (`--root`); `None`: `$LAYERLAB_ROOT`, else `/var/lib/layerlab`.
    pub root: Option<PathBuf>,
    /// Registries reached over plain HTTP besides loopback ones (`--insecure-registry`), as
    /// `host[:port]`.
    pub insecure_registries: Vec<String>,
    /// The storage driver for new containers (`--storage-driver`); `None`: overlay where the
    /// kernel mounts it over the data root, else vfs with a warning.
    pub storage_driver: Option<StorageDriver>,
}

/// One data root, opened.
#[derive(Debug, Clone)]
pub struct Engine {
    root: PathBuf,
    store: Store,
    options: Options,
}

impl Engine {
    /// Opens (creating if needed) the data root, with default options.
    pub fn open(root: &Path) -> Result<Self, EngineError> {
        Self::open_with(root, Options::default())
    }

    /// Opens (creating if needed) the data root; `options.root` is not read (`root` is it).
    pub fn open_with(root: &Path, options: Options) -> Result<Self, EngineError> {
        let store = Store::open(root)?;
        let engine = Engine {
            root: root.to_owned(),
            store,
            options,
        };
        crate::content_store::make_private_dir(&engine.containers_dir())?;
        Ok(engine)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    fn containers_dir(&self) -> PathBuf {
        self.root.join("containers")
    }

    /// Runs one parsed command, writing what Docker would print.
    pub fn execute(
        &self,
        command: &Command,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<i32, EngineError> {
        // Containers started with `--rm -d` are removed once their monitor recorded the exit;
        // the engine has no daemon, so the next command does the removal.
        self.reap_auto_remove();
        match command {
            Command::Pull {
                image,
                platform,
                quiet,
            } => self.cmd_pull(image, platform.as_deref(), *quiet, out),
            Command::Images(a) => self.cmd_images(a, out),
            Command::History { image, args } => self.cmd_history(image, args, out),
            Command::Inspect(a) => self.cmd_inspect_any(a, out, err),
            Command::Tag { source, target } => self.cmd_tag(source, target),
            Command::Rmi(a) => self.cmd_rmi(a, out, err),
            Command::Run(a) => self.cmd_run(a, out, err),
            Command::Exec(a) => self.cmd_exec(a, err),
            Command::Ps(a) => self.cmd_ps(a, out),
            Command::Diff { container } => self.cmd_diff(container, out),
            Command::Logs { container, args } => self.cmd_logs(container, args, out, err),
            Command::Stop(a) => self.cmd_stop(a, out, err),
            Command::Rm(a) => self.cmd_rm(a, out, err),
            Command::SystemDf(a) => self.cmd_system_df(a, out),
            Command::Help { text } => {
                let _ = out.write_all(text.as_bytes());
                Ok(0)
            }
            Command::Create(a) => self.cmd_create(a, out, err),
            Command::Start(a) => self.cmd_start(a, out, err),
            Command::Push { image, quiet } => self.cmd_push(image, *quiet, out, err),
            Command::Commit { .. } => Err(EngineError::Unsupported { what: "commit" }),
            Command::Build { .. } => Err(EngineError::Unsupported { what: "build" }),
            Command::VolumeCreate { name, driver } => {
                self.cmd_volume_create(name.as_deref(), driver.as_deref(), out)
            }
            Command::VolumeLs(a) => self.cmd_volume_ls(a, out),
            Command::VolumeRm(a) => self.cmd_volume_rm(a, out, err),
            Command::VolumeInspect { names, format } => {
                self.cmd_volume_inspect(names, format.as_deref(), out, err)
            }
            Command::Prune {
                target: args::PruneTarget::Volumes,
                args,
            } => self.cmd_volume_prune(args, out),
            Command::Login { server, args } => Ok(login::run_login(
                server.as_deref(),
                args,
                &self.options.insecure_registries,
                &mut io::stdin().lock(),
                out,
                err,
            )),
            // The grammar grows faster than the engine; anything newer is refused by name.
            #[allow(unreachable_patterns)]
            _ => Err(EngineError::Unsupported { what: "this command" }),
        }
    }
}

/// Seconds since the epoch, for `CREATED` and `STATUS` columns.
pub(crate) fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Runs `layerlab <args>` on the native engine. `args` are the words after the program name and
/// its own flags.
pub fn run(options: &Options, args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    // `logout` is not in core's grammar; like `login` it needs no data root.
    if let Some(("logout", rest)) = args.split_first().map(|(c, r)| (c.as_str(), r)) {
        return login::run_logout(rest, out, err);
    }
    let mut line = Vec::with_capacity(args.len() + 1);
    line.push("docker".to_owned());
    line.extend(args.iter().cloned());
    let command = match args::parse(&line) {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(err, "{e}");
            return e.exit_code();
        }
    };
    if let Command::Login { server, args } = &command {
        let insecure = &options.insecure_registries;
        return login::run_login(
            server.as_deref(),
            args,
            insecure,
            &mut io::stdin().lock(),
            out,
            err,
        );
    }
    let root = data_root(options.root.as_deref());
    let result =
        Engine::open_with(&root, options.clone()).and_then(|engine| engine.execute(&command, out, err));
    let _ = out.flush();
    match result {
        Ok(code) => code,
        Err(e) => {
            // Docker 20.10's `run` reports a daemon error as `docker: ...` with a pointer to its
            // help after a blank line; its `create` prints the daemon's words alone.
            match (&command, e.from_daemon()) {
                (Command::Run(_), true) => {
                    let _ = writeln!(
                        err,
                        "docker: Error response from daemon: {e}\n\n\
                         Run 'docker run --help' for more information"
                    );
                }
                (_, true) => {
                    let _ = writeln!(err, "Error response from daemon: {e}");
                }
                _ => {
                    let _ = writeln!(err, "{e}");
                }
            }
            e.exit_code(&command)
        }
    }
}
