//! The docker-style command grammar: from a typed line to a [`Command`] value, with Docker's error
//! wording and exit code.
//!
//! Public API:
//! - [`split_line`]`(&str) -> Result<Vec<String>, UsageError>`: POSIX word splitting (quotes,
//!   backslashes), via the `shlex` crate.
//! - [`parse`]`(&[String]) -> Result<Command, UsageError>`: `args[0]` is `docker` or `layerlab`.
//! - [`parse_invocation`]`(&[String]) -> Result<Invocation, UsageError>`: the same plus the
//!   layerlab-only global flags ([`GlobalOptions`]: `--engine sim|native`, `--state`, `--root`,
//!   `--explain`).
//! - [`Command`]: one variant per command, each holding a plain struct of its flags and operands
//!   (`RunArgs`, `PsArgs`, `HistoryArgs`, …). `image ls`, `image rm`, … map to the same variants
//!   as `images`, `rmi`, ….
//! - [`UsageError`]: Docker's messages (`unknown flag: --foo\nSee 'docker ps --help'.`); its
//!   [`UsageError::exit_code`] is 125, as Docker's.
//!
//! Flags follow Docker's CLI: `-as` groups, `--format X` or `--format=X`, bool flags take `=false`
//! (`-H=false`), and for `run`, `create` and `exec` the first word that is not a flag starts the
//! container's command, whose own flags are left alone (`run ubuntu ls -l`).

use clap::error::{ContextKind, ContextValue, ErrorKind};
use std::error::Error as _;

use clap::{ArgAction, Args, FromArgMatches, Parser, Subcommand, ValueEnum};

/// Docker's exit code for a command line it refuses.
pub const USAGE_EXIT_CODE: i32 = 125;

/// Why a command line was refused, in Docker's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    #[error("unknown flag: {flag}\nSee '{command} --help'.")]
    UnknownFlag { command: String, flag: String },
    #[error("unknown shorthand flag: '{letter}' in {word}\nSee '{command} --help'.")]
    UnknownShorthand {
        command: String,
        letter: char,
        word: String,
    },
    #[error("flag needs an argument: {flag}\nSee '{command} --help'.")]
    NeedsArgument { command: String, flag: String },
    #[error("invalid argument {value:?} for {flag:?} flag: {reason}\nSee '{command} --help'.")]
    InvalidValue {
        command: String,
        flag: String,
        value: String,
        reason: String,
    },
    #[error(
        "{command:?} requires {what}.\nSee '{command} --help'.\n\nUsage:  {command} {usage}\n\n{summary}"
    )]
    Arguments {
        command: String,
        what: String,
        usage: &'static str,
        summary: &'static str,
    },
    #[error(
        "{command:?} accepts no arguments.\nSee '{command} --help'.\n\nUsage:  {command} {usage}\n\n{summary}"
    )]
    NoArguments {
        command: String,
        usage: &'static str,
        summary: &'static str,
    },
    #[error("docker: '{command}' is not a docker command.\nSee 'docker --help'")]
    UnknownCommand { command: String },
    #[error(
        "the line has an unclosed quote or ends with a backslash: close the quote or remove the backslash"
    )]
    Quote { line: String },
    #[error("lines start with `docker` or `layerlab`, e.g. `docker run nginx:1.15.8`")]
    NotDocker { first: Option<String> },
    #[error("{command}: {message}\nSee '{command} --help'.")]
    Invalid { command: String, message: String },
}

impl UsageError {
    pub fn exit_code(&self) -> i32 {
        USAGE_EXIT_CODE
    }
}

/// Splits a typed line into words as a POSIX shell would.
pub fn split_line(line: &str) -> Result<Vec<String>, UsageError> {
    shlex::split(line).ok_or_else(|| UsageError::Quote {
        line: line.to_string(),
    })
}

/// Which engine the native terminal drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineKind {
    /// The simulator from this crate: no root, no network, any OS.
    Sim,
    /// The real engine (Linux).
    Native,
}

/// Flags before the command that only layerlab has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GlobalOptions {
    pub engine: Option<EngineKind>,
    /// Where the simulator keeps its state between runs of the native terminal.
    pub state: Option<String>,
    /// The native engine's data root.
    pub root: Option<String>,
    /// Print what happened underneath (layers, copy-ups, whiteouts) after each command.
    pub explain: bool,
}

/// A parsed line: the global flags and the command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub global: GlobalOptions,
    pub command: Command,
}

/// `run` and `create`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
#[command(disable_help_flag = true)]
pub struct RunArgs {
    /// Run in the background and print the container ID
    #[arg(short, long)]
    pub detach: bool,
    /// Keep standard input open
    #[arg(short, long)]
    pub interactive: bool,
    /// Give the container a terminal
    #[arg(short, long)]
    pub tty: bool,
    /// Remove the container when it exits
    #[arg(long)]
    pub rm: bool,
    /// Name the container
    #[arg(long)]
    pub name: Option<String>,
    /// Set an environment variable (KEY=VALUE)
    #[arg(short = 'e', long = "env", action = ArgAction::Append)]
    pub env: Vec<String>,
    /// Working directory inside the container
    #[arg(short, long)]
    pub workdir: Option<String>,
    /// User (name or uid[:gid]) to run as
    #[arg(short, long)]
    pub user: Option<String>,
    /// Mount a volume or host path (SOURCE:TARGET[:ro])
    #[arg(short = 'v', long = "volume", action = ArgAction::Append)]
    pub volumes: Vec<String>,
    /// Memory limit, e.g. 512m or 1g
    #[arg(short, long, value_parser = ram_in_bytes)]
    pub memory: Option<u64>,
    /// Most processes the container may run (-1: no limit)
    #[arg(long, allow_hyphen_values = true)]
    pub pids_limit: Option<i64>,
    /// Network to join (none, host, bridge)
    #[arg(long)]
    pub network: Option<String>,
    /// Platform of the image to use, e.g. linux/arm64
    #[arg(long)]
    pub platform: Option<String>,
    /// Logging driver option (KEY=VALUE), e.g. max-size=10m
    #[arg(long, action = ArgAction::Append)]
    pub log_opt: Vec<String>,
    /// Replace the image's entrypoint
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// Container host name
    #[arg(short = 'h', long)]
    pub hostname: Option<String>,
    #[arg(long, action = ArgAction::Help, hide = true)]
    help: Option<bool>,
    /// IMAGE [COMMAND] [ARG...]
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "IMAGE [COMMAND] [ARG...]"
    )]
    words: Vec<String>,
    #[arg(skip)]
    pub image: String,
    #[arg(skip)]
    pub command: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct ExecArgs {
    /// Run in the background
    #[arg(short, long)]
    pub detach: bool,
    /// Keep standard input open
    #[arg(short, long)]
    pub interactive: bool,
    /// Give the process a terminal
    #[arg(short, long)]
    pub tty: bool,
    /// Set an environment variable (KEY=VALUE)
    #[arg(short = 'e', long = "env", action = ArgAction::Append)]
    pub env: Vec<String>,
    /// Working directory inside the container
    #[arg(short, long)]
    pub workdir: Option<String>,
    /// User (name or uid[:gid]) to run as
    #[arg(short, long)]
    pub user: Option<String>,
    /// CONTAINER COMMAND [ARG...]
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CONTAINER COMMAND [ARG...]"
    )]
    words: Vec<String>,
    #[arg(skip)]
    pub container: String,
    #[arg(skip)]
    pub command: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct StartArgs {
    /// Attach to the container's output
    #[arg(short, long)]
    pub attach: bool,
    /// Attach standard input
    #[arg(short, long)]
    pub interactive: bool,
    pub containers: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct StopArgs {
    /// Seconds to wait before killing the container
    #[arg(short = 't', long = "time", allow_hyphen_values = true)]
    pub time: Option<i64>,
    pub containers: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct RmArgs {
    /// Stop and remove a running container
    #[arg(short, long)]
    pub force: bool,
    /// Also remove the container's anonymous volumes
    #[arg(short, long)]
    pub volumes: bool,
    pub containers: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct PsArgs {
    /// Show all containers, not only running ones
    #[arg(short, long)]
    pub all: bool,
    /// Show each container's size and virtual size
    #[arg(short, long)]
    pub size: bool,
    /// Print only container IDs
    #[arg(short, long)]
    pub quiet: bool,
    /// Do not cut IDs and commands short
    #[arg(long)]
    pub no_trunc: bool,
    /// Go template, e.g. 'table {{.ID}}\t{{.Names}}'
    #[arg(long)]
    pub format: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct ImagesArgs {
    /// Also show intermediate images
    #[arg(short, long)]
    pub all: bool,
    /// Print only image IDs
    #[arg(short, long)]
    pub quiet: bool,
    /// Print full image IDs
    #[arg(long)]
    pub no_trunc: bool,
    /// Go template, e.g. 'table {{.Repository}}\t{{.Size}}'
    #[arg(long)]
    pub format: Option<String>,
    /// Only images of this REPOSITORY[:TAG]
    pub repository: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct PullArgs {
    /// Platform to pick from a multi-platform image, e.g. linux/arm64
    #[arg(long)]
    pub platform: Option<String>,
    /// Print only the final reference
    #[arg(short, long)]
    pub quiet: bool,
    pub image: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct LoadArgs {
    /// Read from tar archive file, instead of STDIN
    #[arg(short, long)]
    pub input: Option<String>,
    /// Suppress the load output (only progress, which the simulator never prints)
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct PushArgs {
    /// Print only the final digest
    #[arg(short, long)]
    pub quiet: bool,
    pub image: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct RmiArgs {
    /// Remove even if the image is used by a stopped container or has several tags
    #[arg(short, long)]
    pub force: bool,
    pub images: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct TagArgs {
    pub names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct HistoryArgs {
    /// Human-readable sizes and times (-H=false prints bytes and RFC 3339 times)
    #[arg(
        short = 'H',
        long = "human",
        num_args = 0..=1,
        require_equals = true,
        default_value = "true",
        default_missing_value = "true",
        action = ArgAction::Set,
        value_parser = go_bool
    )]
    pub human: bool,
    /// Do not cut the CREATED BY column short
    #[arg(long)]
    pub no_trunc: bool,
    /// Print only image IDs
    #[arg(short, long)]
    pub quiet: bool,
    /// Go template
    #[arg(long)]
    pub format: Option<String>,
    pub image: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct InspectArgs {
    /// Go template, e.g. '{{.Config.Cmd}}'
    #[arg(short, long)]
    pub format: Option<String>,
    /// Include sizes (containers)
    #[arg(short, long)]
    pub size: bool,
    /// Only look at objects of this type (container, image, volume)
    #[arg(long = "type")]
    pub kind: Option<String>,
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct ContainerArg {
    pub container: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct CommitArgs {
    /// Commit message
    #[arg(short, long)]
    pub message: Option<String>,
    /// Author
    #[arg(short, long)]
    pub author: Option<String>,
    /// Dockerfile instruction to apply to the new image, e.g. 'CMD ["sh"]'
    #[arg(short, long, action = ArgAction::Append)]
    pub change: Vec<String>,
    /// CONTAINER [REPOSITORY[:TAG]]
    pub words: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct BuildArgs {
    /// Name and optionally tag the image (name:tag)
    #[arg(short, long, action = ArgAction::Append)]
    pub tag: Vec<String>,
    /// The Dockerfile to use (default: PATH/Dockerfile)
    #[arg(short, long)]
    pub file: Option<String>,
    /// Set a build-time ARG (KEY=VALUE)
    #[arg(long, action = ArgAction::Append)]
    pub build_arg: Vec<String>,
    /// Do not reuse cached layers
    #[arg(long)]
    pub no_cache: bool,
    /// Print only the image ID
    #[arg(short, long)]
    pub quiet: bool,
    pub context: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct LogsArgs {
    /// Keep following new output
    #[arg(short, long)]
    pub follow: bool,
    /// Show timestamps
    #[arg(short, long)]
    pub timestamps: bool,
    /// Lines from the end to show ("all" for every line)
    #[arg(short = 'n', long)]
    pub tail: Option<String>,
    pub container: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct VolumeCreateArgs {
    /// Volume driver
    #[arg(short, long)]
    pub driver: Option<String>,
    pub name: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct VolumeLsArgs {
    /// Print only volume names
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct VolumeRmArgs {
    /// Remove even if in use
    #[arg(short, long)]
    pub force: bool,
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct SystemDfArgs {
    /// One section per images, containers, volumes and build cache
    #[arg(short, long)]
    pub verbose: bool,
    /// Go template
    #[arg(long)]
    pub format: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct LoginArgs {
    /// User name
    #[arg(short, long)]
    pub username: Option<String>,
    /// Password (prefer --password-stdin)
    #[arg(short, long)]
    pub password: Option<String>,
    /// Read the password from standard input
    #[arg(long)]
    pub password_stdin: bool,
    pub server: Vec<String>,
}

/// What a `prune` removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PruneTarget {
    /// `system prune`: stopped containers, unused networks, dangling images and build cache, and
    /// with `--volumes` unused volumes.
    System,
    Containers,
    Images,
    Volumes,
}

/// `system prune`, `container prune`, `image prune`, `volume prune`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct PruneArgs {
    /// Remove all unused images, not only dangling ones
    #[arg(short, long)]
    pub all: bool,
    /// Do not ask for confirmation
    #[arg(short, long)]
    pub force: bool,
    /// Also remove volumes no container uses (system prune)
    #[arg(long)]
    pub volumes: bool,
}

/// A parsed docker command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Run(RunArgs),
    Create(RunArgs),
    Start(StartArgs),
    Stop(StopArgs),
    Rm(RmArgs),
    Exec(ExecArgs),
    Ps(PsArgs),
    Images(ImagesArgs),
    Pull {
        image: String,
        platform: Option<String>,
        quiet: bool,
    },
    Push {
        image: String,
        quiet: bool,
    },
    /// `load` / `image load`: `input` is the file named by `-i`/`--input`, `None` for stdin.
    Load {
        input: Option<String>,
    },
    Rmi(RmiArgs),
    Tag {
        source: String,
        target: String,
    },
    History {
        image: String,
        args: HistoryArgs,
    },
    /// `inspect` (any object) or `image inspect` (`kind` is then `image`).
    Inspect(InspectArgs),
    Diff {
        container: String,
    },
    Commit {
        container: String,
        repository: Option<String>,
        args: CommitArgs,
    },
    Build {
        context: String,
        args: BuildArgs,
    },
    Logs {
        container: String,
        args: LogsArgs,
    },
    VolumeCreate {
        name: Option<String>,
        driver: Option<String>,
    },
    VolumeLs(VolumeLsArgs),
    VolumeRm(VolumeRmArgs),
    VolumeInspect {
        names: Vec<String>,
        format: Option<String>,
    },
    SystemDf(SystemDfArgs),
    Prune {
        target: PruneTarget,
        args: PruneArgs,
    },
    Login {
        server: Option<String>,
        args: LoginArgs,
    },
    /// `--help`, `help`, or a group command without its subcommand: print `text`, exit 0.
    Help {
        text: String,
    },
}

/// The grammar as clap sees it. Positional operands are collected loosely and counted afterwards
/// so the arity errors can carry Docker's exact wording.
#[derive(Debug, Parser)]
#[command(
    name = "docker",
    about = "layerlab: a docker-style command line over a container engine you can see into",
    disable_help_subcommand = true,
    disable_version_flag = true,
    subcommand_required = false
)]
struct Cli {
    /// Engine to drive: sim (the simulator) or native (real containers, Linux)
    #[arg(long, value_enum)]
    engine: Option<EngineKind>,
    /// File where the simulator keeps its state between commands
    #[arg(long)]
    state: Option<String>,
    /// Data root of the native engine
    #[arg(long)]
    root: Option<String>,
    /// After each command, explain what happened to layers and files
    #[arg(long)]
    explain: bool,
    #[command(subcommand)]
    command: Option<Sub>,
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// Create and start a container from an image
    Run(RunArgs),
    /// Create a container without starting it
    Create(RunArgs),
    /// Start stopped containers
    Start(StartArgs),
    /// Stop running containers
    Stop(StopArgs),
    /// Remove containers
    Rm(RmArgs),
    /// Run a command in a running container
    Exec(ExecArgs),
    /// List containers
    Ps(PsArgs),
    /// List images
    Images(ImagesArgs),
    /// Download an image from a registry
    Pull(PullArgs),
    /// Upload an image to a registry
    Push(PushArgs),
    /// Load an image from a tar archive or STDIN
    Load(LoadArgs),
    /// Remove images
    Rmi(RmiArgs),
    /// Give an image another name
    Tag(TagArgs),
    /// Show the layers and history entries of an image
    History(HistoryArgs),
    /// Show low-level details of containers, images or volumes as JSON
    Inspect(InspectArgs),
    /// List the files a container added, changed or deleted
    Diff(ContainerArg),
    /// Make an image from a container's changes
    Commit(CommitArgs),
    /// Build an image from a Dockerfile
    Build(BuildArgs),
    /// Show a container's output
    Logs(LogsArgs),
    /// Log in to a registry
    Login(LoginArgs),
    /// Manage images
    Image {
        #[command(subcommand)]
        command: Option<ImageSub>,
    },
    /// Manage containers
    Container {
        #[command(subcommand)]
        command: Option<ContainerSub>,
    },
    /// Manage volumes
    Volume {
        #[command(subcommand)]
        command: Option<VolumeSub>,
    },
    /// Disk usage and other engine-wide views
    System {
        #[command(subcommand)]
        command: Option<SystemSub>,
    },
    /// Show help for a command
    Help { topic: Vec<String> },
}

#[derive(Debug, Subcommand)]
enum ImageSub {
    /// Download an image from a registry
    Pull(PullArgs),
    /// Upload an image to a registry
    Push(PushArgs),
    /// Load an image from a tar archive or STDIN
    Load(LoadArgs),
    /// List images
    #[command(alias = "list")]
    Ls(ImagesArgs),
    /// Remove images
    #[command(alias = "remove")]
    Rm(RmiArgs),
    /// Show the layers and history entries of an image
    History(HistoryArgs),
    /// Show an image's details as JSON
    Inspect(InspectArgs),
    /// Give an image another name
    Tag(TagArgs),
    /// Build an image from a Dockerfile
    Build(BuildArgs),
    /// Remove dangling images (with -a, every image no container uses)
    Prune(PruneArgs),
}

#[derive(Debug, Subcommand)]
enum VolumeSub {
    /// Create a volume
    Create(VolumeCreateArgs),
    /// List volumes
    #[command(alias = "list")]
    Ls(VolumeLsArgs),
    /// Remove volumes
    #[command(alias = "remove")]
    Rm(VolumeRmArgs),
    /// Show volumes' details as JSON
    Inspect(InspectArgs),
    /// Remove volumes no container uses
    Prune(PruneArgs),
}

#[derive(Debug, Subcommand)]
enum ContainerSub {
    /// Create and start a container from an image
    Run(RunArgs),
    /// Create a container without starting it
    Create(RunArgs),
    /// Start stopped containers
    Start(StartArgs),
    /// Stop running containers
    Stop(StopArgs),
    /// Remove containers
    #[command(alias = "remove")]
    Rm(RmArgs),
    /// Run a command in a running container
    Exec(ExecArgs),
    /// List containers
    #[command(aliases = ["ps", "list"])]
    Ls(PsArgs),
    /// Show containers' details as JSON
    Inspect(InspectArgs),
    /// List the files a container added, changed or deleted
    Diff(ContainerArg),
    /// Show a container's output
    Logs(LogsArgs),
    /// Make an image from a container's changes
    Commit(CommitArgs),
    /// Remove stopped containers
    Prune(PruneArgs),
}

#[derive(Debug, Subcommand)]
enum SystemSub {
    /// Show how much disk images, containers, volumes and build cache use
    Df(SystemDfArgs),
    /// Remove stopped containers, dangling images and unused build cache
    Prune(PruneArgs),
}

/// Usage line and one-line summary of each command, for arity errors (`Usage:  docker run …`).
fn usage_of(command: &str) -> (&'static str, &'static str) {
    match command.strip_prefix("container ").unwrap_or(command) {
        "run" => (
            "[OPTIONS] IMAGE [COMMAND] [ARG...]",
            "Create and start a container from an image",
        ),
        "create" => (
            "[OPTIONS] IMAGE [COMMAND] [ARG...]",
            "Create a container without starting it",
        ),
        "start" => ("[OPTIONS] CONTAINER [CONTAINER...]", "Start stopped containers"),
        "stop" => ("[OPTIONS] CONTAINER [CONTAINER...]", "Stop running containers"),
        "rm" => ("[OPTIONS] CONTAINER [CONTAINER...]", "Remove containers"),
        "exec" => (
            "[OPTIONS] CONTAINER COMMAND [ARG...]",
            "Run a command in a running container",
        ),
        "pull" | "image pull" => (
            "[OPTIONS] NAME[:TAG|@DIGEST]",
            "Download an image from a registry",
        ),
        "push" | "image push" => ("[OPTIONS] NAME[:TAG]", "Upload an image to a registry"),
        "load" | "image load" => ("[OPTIONS]", "Load an image from a tar archive or STDIN"),
        "rmi" | "image rm" => ("[OPTIONS] IMAGE [IMAGE...]", "Remove images"),
        "tag" | "image tag" => (
            "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
            "Give an image another name",
        ),
        "history" | "image history" => (
            "[OPTIONS] IMAGE",
            "Show the layers and history entries of an image",
        ),
        "inspect" | "image inspect" => ("[OPTIONS] NAME|ID [NAME|ID...]", "Show low-level details as JSON"),
        "diff" => (
            "CONTAINER",
            "List the files a container added, changed or deleted",
        ),
        "commit" => (
            "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
            "Make an image from a container's changes",
        ),
        "build" | "image build" => ("[OPTIONS] PATH", "Build an image from a Dockerfile"),
        "logs" => ("[OPTIONS] CONTAINER", "Show a container's output"),
        "images" | "image ls" => ("[OPTIONS] [REPOSITORY[:TAG]]", "List images"),
        "volume create" => ("[OPTIONS] [VOLUME]", "Create a volume"),
        "volume rm" => ("[OPTIONS] VOLUME [VOLUME...]", "Remove volumes"),
        "volume inspect" => ("[OPTIONS] VOLUME [VOLUME...]", "Show volumes' details as JSON"),
        "login" => ("[OPTIONS] [SERVER]", "Log in to a registry"),
        "ps" => ("[OPTIONS]", "List containers"),
        "volume ls" => ("[OPTIONS]", "List volumes"),
        "system df" => (
            "[OPTIONS]",
            "Show how much disk images, containers, volumes and build cache use",
        ),
        _ => ("[OPTIONS]", "See the command's help"),
    }
}

/// Docker's arity checks (`cli.RequiresMinArgs`, `cli.ExactArgs`, `cli.RequiresRangeArgs`, ...).
fn arity(command: &str, got: usize, min: usize, max: Option<usize>) -> Result<(), UsageError> {
    if got >= min && max.is_none_or(|m| got <= m) {
        return Ok(());
    }
    let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
    let what = match max {
        Some(max) if max == min => format!("exactly {min} {}", plural(min)),
        Some(max) if min == 0 => format!("at most {max} {}", plural(max)),
        Some(max) => format!("at least {min} and at most {max} {}", plural(max)),
        None => format!("at least {min} {}", plural(min)),
    };
    let (usage, summary) = usage_of(command);
    Err(UsageError::Arguments {
        command: format!("docker {command}"),
        what,
        usage,
        summary,
    })
}

/// go-units `RAMInBytes`: `512m`, `1g`, `1024` (binary units; `b`, `k`, `m`, `g`, `t`, `p`, with
/// an optional trailing `b`).
fn ram_in_bytes(text: &str) -> Result<u64, String> {
    let lower = text.trim().to_ascii_lowercase();
    let split = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(split);
    let value: f64 = number.parse().map_err(|_| format!("invalid size: '{text}'"))?;
    let multiplier: f64 = match unit.strip_suffix('b').unwrap_or(unit) {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        "t" => 1024f64.powi(4),
        "p" => 1024f64.powi(5),
        _ if unit == "b" => 1.0,
        _ => return Err(format!("invalid size: '{text}'")),
    };
    let bytes = value * multiplier;
    if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
        return Err(format!("invalid size: '{text}'"));
    }
    Ok(bytes as u64)
}

/// Go's `strconv.ParseBool`, which Docker's bool flags use for `--flag=value`.
fn go_bool(text: &str) -> Result<bool, String> {
    match text {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(format!("strconv.ParseBool: parsing {text:?}: invalid syntax")),
    }
}

/// Parses a whole command line; `args[0]` is `docker` or `layerlab`.
pub fn parse(args: &[String]) -> Result<Command, UsageError> {
    parse_invocation(args).map(|inv| inv.command)
}

/// The docker command named by the words after the program and its global flags (`ps`,
/// `image ls`), for error messages.
fn command_path(args: &[String]) -> String {
    let mut words = args.iter().skip(1).peekable();
    while let Some(w) = words.peek() {
        if !w.starts_with('-') {
            break;
        }
        let takes_value = matches!(w.as_str(), "--engine" | "--state" | "--root");
        words.next();
        if takes_value {
            words.next();
        }
    }
    let Some(first) = words.next() else {
        return "docker".to_string();
    };
    match first.as_str() {
        "image" | "volume" | "system" | "container" => match words.find(|w| !w.starts_with('-')) {
            Some(sub) => format!("docker {first} {sub}"),
            None => format!("docker {first}"),
        },
        _ => format!("docker {first}"),
    }
}

fn context_string(err: &clap::Error, kind: ContextKind) -> Option<String> {
    match err.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) => v.first().cloned(),
        _ => None,
    }
}

/// Turns clap's error into Docker's words.
fn from_clap(err: clap::Error, args: &[String]) -> Result<Command, UsageError> {
    let command = command_path(args);
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => Ok(Command::Help {
            text: err.render().to_string(),
        }),
        ErrorKind::InvalidSubcommand => {
            let word = context_string(&err, ContextKind::InvalidSubcommand).unwrap_or_default();
            let name = match command.strip_prefix("docker ") {
                Some(group @ ("image" | "volume" | "system" | "container")) => format!("{group} {word}"),
                Some(path) if path.contains(' ') => path.to_string(),
                _ => word,
            };
            Err(UsageError::UnknownCommand { command: name })
        }
        ErrorKind::UnknownArgument => {
            let arg = context_string(&err, ContextKind::InvalidArg).unwrap_or_default();
            if command == "docker" && !arg.starts_with('-') {
                return Err(UsageError::UnknownCommand { command: arg });
            }
            if !arg.starts_with('-') {
                let (usage, summary) = usage_of(command.strip_prefix("docker ").unwrap_or_default());
                return Err(UsageError::NoArguments {
                    command,
                    usage,
                    summary,
                });
            }
            let flag = arg.split('=').next().unwrap_or_default().to_string();
            match flag.strip_prefix('-') {
                Some(short) if !short.starts_with('-') => {
                    let letter = short.chars().next().unwrap_or('-');
                    // pflag names the whole word the letter was in (`-ax`), clap only the letter.
                    let word = args
                        .iter()
                        .skip(1)
                        .find(|w| w.starts_with('-') && !w.starts_with("--") && w.contains(letter))
                        .cloned()
                        .unwrap_or(arg);
                    Err(UsageError::UnknownShorthand {
                        command,
                        letter,
                        word,
                    })
                }
                _ => Err(UsageError::UnknownFlag { command, flag }),
            }
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let flag = context_string(&err, ContextKind::InvalidArg).unwrap_or_default();
            let value = context_string(&err, ContextKind::InvalidValue).unwrap_or_default();
            if value.is_empty() && err.kind() == ErrorKind::InvalidValue {
                let flag = flag.split(['[', ' ', '=']).next().unwrap_or_default().to_string();
                return Err(UsageError::NeedsArgument { command, flag });
            }
            let reason = err
                .source()
                .map(|s| s.to_string())
                .unwrap_or_else(|| "not a valid value".to_string());
            let flag = flag_name(&command, &flag);
            Err(UsageError::InvalidValue {
                command,
                flag,
                value,
                reason,
            })
        }
        ErrorKind::NoEquals => {
            let flag = context_string(&err, ContextKind::InvalidArg).unwrap_or_default();
            let flag = flag.split(['[', ' ', '=']).next().unwrap_or_default().to_string();
            Err(UsageError::NeedsArgument { command, flag })
        }
        _ => Err(UsageError::Invalid {
            command,
            message: err
                .kind()
                .as_str()
                .unwrap_or("the command line could not be read")
                .to_string(),
        }),
    }
}

/// pflag's name for a flag in messages: `-m, --memory`, or `--name` when it has no short form.
/// clap renders it as `--memory <MEMORY>` or `--human[=<HUMAN>]`, so look the flag up again.
fn flag_name(command: &str, rendered: &str) -> String {
    let long = rendered
        .trim_start_matches('-')
        .split(['[', ' ', '='])
        .next()
        .unwrap_or_default();
    let mut cmd = <Cli as clap::CommandFactory>::command();
    for word in command.split(' ').skip(1) {
        match cmd.find_subcommand(word) {
            Some(sub) => cmd = sub.clone(),
            None => break,
        }
    }
    let short = cmd
        .get_arguments()
        .find(|a| a.get_long() == Some(long))
        .and_then(|a| a.get_short());
    match short {
        Some(c) => format!("-{c}, --{long}"),
        None => format!("--{long}"),
    }
}

/// Parses a whole command line with the layerlab global flags.
pub fn parse_invocation(args: &[String]) -> Result<Invocation, UsageError> {
    let first = args
        .first()
        .map(|s| s.rsplit('/').next().unwrap_or(s).to_string());
    if !matches!(first.as_deref(), Some("docker" | "layerlab")) {
        return Err(UsageError::NotDocker { first });
    }
    let matches = match <Cli as clap::CommandFactory>::command().try_get_matches_from(args) {
        Ok(m) => m,
        Err(err) => {
            return from_clap(err, args).map(|command| Invocation {
                global: GlobalOptions::default(),
                command,
            });
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => {
            return from_clap(err, args).map(|command| Invocation {
                global: GlobalOptions::default(),
                command,
            });
        }
    };
    let global = GlobalOptions {
        engine: cli.engine,
        state: cli.state,
        root: cli.root,
        explain: cli.explain,
    };
    let command = match cli.command {
        None => help_for(&[]),
        Some(sub) => lower(sub)?,
    };
    Ok(Invocation { global, command })
}

/// The help text for `docker`, or for one command (`help ps`, `help image ls`).
fn help_for(topic: &[String]) -> Command {
    let mut argv = vec!["docker".to_string()];
    argv.extend(topic.iter().cloned());
    argv.push("--help".to_string());
    let text = match <Cli as clap::CommandFactory>::command().try_get_matches_from(&argv) {
        Err(err) if err.kind() == ErrorKind::DisplayHelp => err.render().to_string(),
        _ => <Cli as clap::CommandFactory>::command().render_help().to_string(),
    };
    Command::Help { text }
}

fn one(command: &str, mut words: Vec<String>) -> Result<String, UsageError> {
    arity(command, words.len(), 1, Some(1))?;
    Ok(words.pop().unwrap_or_default())
}

fn at_least_one(command: &str, words: &[String]) -> Result<(), UsageError> {
    arity(command, words.len(), 1, None)
}

fn run_args(command: &str, mut args: RunArgs) -> Result<RunArgs, UsageError> {
    at_least_one(command, &args.words)?;
    let mut words = std::mem::take(&mut args.words).into_iter();
    args.image = words.next().unwrap_or_default();
    args.command = words.collect();
    Ok(args)
}

fn pull(command: &str, args: PullArgs) -> Result<Command, UsageError> {
    let image = one(command, args.image)?;
    Ok(Command::Pull {
        image,
        platform: args.platform,
        quiet: args.quiet,
    })
}

fn push(command: &str, args: PushArgs) -> Result<Command, UsageError> {
    let image = one(command, args.image)?;
    Ok(Command::Push {
        image,
        quiet: args.quiet,
    })
}

fn rmi(command: &str, args: RmiArgs) -> Result<Command, UsageError> {
    at_least_one(command, &args.images)?;
    Ok(Command::Rmi(args))
}

fn tag(command: &str, args: TagArgs) -> Result<Command, UsageError> {
    arity(command, args.names.len(), 2, Some(2))?;
    let mut names = args.names.into_iter();
    let source = names.next().unwrap_or_default();
    let target = names.next().unwrap_or_default();
    Ok(Command::Tag { source, target })
}

fn history(command: &str, mut args: HistoryArgs) -> Result<Command, UsageError> {
    let image = one(command, std::mem::take(&mut args.image))?;
    Ok(Command::History { image, args })
}

fn inspect(command: &str, args: InspectArgs) -> Result<Command, UsageError> {
    at_least_one(command, &args.names)?;
    Ok(Command::Inspect(args))
}

fn build(command: &str, mut args: BuildArgs) -> Result<Command, UsageError> {
    let context = one(command, std::mem::take(&mut args.context))?;
    Ok(Command::Build { context, args })
}

fn start(command: &str, a: StartArgs) -> Result<Command, UsageError> {
    at_least_one(command, &a.containers)?;
    Ok(Command::Start(a))
}

fn stop(command: &str, a: StopArgs) -> Result<Command, UsageError> {
    at_least_one(command, &a.containers)?;
    Ok(Command::Stop(a))
}

fn rm(command: &str, a: RmArgs) -> Result<Command, UsageError> {
    at_least_one(command, &a.containers)?;
    Ok(Command::Rm(a))
}

fn exec(command: &str, mut a: ExecArgs) -> Result<Command, UsageError> {
    arity(command, a.words.len(), 2, None)?;
    let mut words = std::mem::take(&mut a.words).into_iter();
    a.container = words.next().unwrap_or_default();
    a.command = words.collect();
    Ok(Command::Exec(a))
}

fn commit(command: &str, mut a: CommitArgs) -> Result<Command, UsageError> {
    arity(command, a.words.len(), 1, Some(2))?;
    let mut words = std::mem::take(&mut a.words).into_iter();
    let container = words.next().unwrap_or_default();
    Ok(Command::Commit {
        container,
        repository: words.next(),
        args: a,
    })
}

fn logs(command: &str, mut a: LogsArgs) -> Result<Command, UsageError> {
    let container = one(command, std::mem::take(&mut a.container))?;
    Ok(Command::Logs { container, args: a })
}

/// From clap's view to the public [`Command`], checking operand counts on the way.
fn lower(sub: Sub) -> Result<Command, UsageError> {
    Ok(match sub {
        Sub::Run(a) => Command::Run(run_args("run", a)?),
        Sub::Create(a) => Command::Create(run_args("create", a)?),
        Sub::Start(a) => start("start", a)?,
        Sub::Stop(a) => stop("stop", a)?,
        Sub::Rm(a) => rm("rm", a)?,
        Sub::Exec(a) => exec("exec", a)?,
        Sub::Ps(a) => Command::Ps(a),
        Sub::Images(a) => Command::Images(a),
        Sub::Pull(a) => pull("pull", a)?,
        Sub::Push(a) => push("push", a)?,
        Sub::Load(a) => Command::Load { input: a.input },
        Sub::Rmi(a) => rmi("rmi", a)?,
        Sub::Tag(a) => tag("tag", a)?,
        Sub::History(a) => history("history", a)?,
        Sub::Inspect(a) => inspect("inspect", a)?,
        Sub::Diff(a) => Command::Diff {
            container: one("diff", a.container)?,
        },
        Sub::Commit(a) => commit("commit", a)?,
        Sub::Build(a) => build("build", a)?,
        Sub::Logs(a) => logs("logs", a)?,
        Sub::Login(mut a) => {
            arity("login", a.server.len(), 0, Some(1))?;
            let server = a.server.pop();
            Command::Login { server, args: a }
        }
        Sub::Image { command: None } => help_for(&["image".to_string()]),
        Sub::Image { command: Some(i) } => match i {
            ImageSub::Pull(a) => pull("image pull", a)?,
            ImageSub::Push(a) => push("image push", a)?,
            ImageSub::Load(a) => Command::Load { input: a.input },
            ImageSub::Ls(a) => Command::Images(a),
            ImageSub::Rm(a) => rmi("image rm", a)?,
            ImageSub::History(a) => history("image history", a)?,
            ImageSub::Inspect(mut a) => {
                a.kind = Some("image".to_string());
                inspect("image inspect", a)?
            }
            ImageSub::Tag(a) => tag("image tag", a)?,
            ImageSub::Build(a) => build("image build", a)?,
            ImageSub::Prune(a) => Command::Prune {
                target: PruneTarget::Images,
                args: a,
            },
        },
        Sub::Volume { command: None } => help_for(&["volume".to_string()]),
        Sub::Volume { command: Some(v) } => match v {
            VolumeSub::Create(mut a) => {
                arity("volume create", a.name.len(), 0, Some(1))?;
                Command::VolumeCreate {
                    name: a.name.pop(),
                    driver: a.driver,
                }
            }
            VolumeSub::Ls(a) => Command::VolumeLs(a),
            VolumeSub::Rm(a) => {
                at_least_one("volume rm", &a.names)?;
                Command::VolumeRm(a)
            }
            VolumeSub::Inspect(a) => {
                at_least_one("volume inspect", &a.names)?;
                Command::VolumeInspect {
                    names: a.names,
                    format: a.format,
                }
            }
            VolumeSub::Prune(a) => Command::Prune {
                target: PruneTarget::Volumes,
                args: a,
            },
        },
        Sub::Container { command: None } => help_for(&["container".to_string()]),
        Sub::Container { command: Some(c) } => match c {
            ContainerSub::Run(a) => Command::Run(run_args("container run", a)?),
            ContainerSub::Create(a) => Command::Create(run_args("container create", a)?),
            ContainerSub::Start(a) => start("container start", a)?,
            ContainerSub::Stop(a) => stop("container stop", a)?,
            ContainerSub::Rm(a) => rm("container rm", a)?,
            ContainerSub::Exec(a) => exec("container exec", a)?,
            ContainerSub::Ls(a) => Command::Ps(a),
            ContainerSub::Inspect(mut a) => {
                a.kind = Some("container".to_string());
                inspect("container inspect", a)?
            }
            ContainerSub::Diff(a) => Command::Diff {
                container: one("container diff", a.container)?,
            },
            ContainerSub::Logs(a) => logs("container logs", a)?,
            ContainerSub::Commit(a) => commit("container commit", a)?,
            ContainerSub::Prune(a) => Command::Prune {
                target: PruneTarget::Containers,
                args: a,
            },
        },
        Sub::System { command: None } => help_for(&["system".to_string()]),
        Sub::System {
            command: Some(SystemSub::Df(a)),
        } => Command::SystemDf(a),
        Sub::System {
            command: Some(SystemSub::Prune(a)),
        } => Command::Prune {
            target: PruneTarget::System,
            args: a,
        },
        Sub::Help { topic } => help_for(&topic),
    })
}

#[cfg(test)]
mod tests;
