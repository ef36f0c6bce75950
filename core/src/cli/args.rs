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
//! container's command, whose own flags are left alone (`run ubuntu ls -l`). `--help` (and `-h`
//! where it names nothing else) works at every level, and `help [COMMAND...]` too.
//!
//! The commands and flags are a table in `grammar.rs`, read by the one tokenizer in `flags.rs`;
//! this module turns what was read into the typed [`Command`].

use super::flags::{Matched, match_words};
use super::grammar::{Body, Cmd, ROOT, Spec};
use super::help::help_text;

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
    /// pflag refuses `---x` and `--=x` before looking any flag up.
    #[error("bad flag syntax: {word}\nSee '{command} --help'.")]
    BadSyntax { command: String, word: String },
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunArgs {
    /// Run in the background and print the container ID
    pub detach: bool,
    /// Keep standard input open
    pub interactive: bool,
    /// Give the container a terminal
    pub tty: bool,
    /// Remove the container when it exits
    pub rm: bool,
    /// Name the container
    pub name: Option<String>,
    /// Set an environment variable (KEY=VALUE)
    pub env: Vec<String>,
    /// Working directory inside the container
    pub workdir: Option<String>,
    /// User (name or uid[:gid]) to run as
    pub user: Option<String>,
    /// Mount a volume or host path (SOURCE:TARGET[:ro])
    pub volumes: Vec<String>,
    /// Memory limit, e.g. 512m or 1g
    pub memory: Option<u64>,
    /// Most processes the container may run (-1: no limit)
    pub pids_limit: Option<i64>,
    /// Network to join (none, host, bridge)
    pub network: Option<String>,
    /// Platform of the image to use, e.g. linux/arm64
    pub platform: Option<String>,
    /// Logging driver option (KEY=VALUE), e.g. max-size=10m
    pub log_opt: Vec<String>,
    /// Replace the image's entrypoint
    pub entrypoint: Option<String>,
    /// Container host name
    pub hostname: Option<String>,
    pub image: String,
    pub command: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecArgs {
    /// Run in the background
    pub detach: bool,
    /// Keep standard input open
    pub interactive: bool,
    /// Give the process a terminal
    pub tty: bool,
    /// Set an environment variable (KEY=VALUE)
    pub env: Vec<String>,
    /// Working directory inside the container
    pub workdir: Option<String>,
    /// User (name or uid[:gid]) to run as
    pub user: Option<String>,
    pub container: String,
    pub command: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartArgs {
    /// Attach to the container's output
    pub attach: bool,
    /// Attach standard input
    pub interactive: bool,
    pub containers: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StopArgs {
    /// Seconds to wait before killing the container
    pub time: Option<i64>,
    pub containers: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RmArgs {
    /// Stop and remove a running container
    pub force: bool,
    /// Also remove the container's anonymous volumes
    pub volumes: bool,
    pub containers: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PsArgs {
    /// Show all containers, not only running ones
    pub all: bool,
    /// Show each container's size and virtual size
    pub size: bool,
    /// Print only container IDs
    pub quiet: bool,
    /// Do not cut IDs and commands short
    pub no_trunc: bool,
    /// Go template, e.g. 'table {{.ID}}\t{{.Names}}'
    pub format: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImagesArgs {
    /// Also show intermediate images
    pub all: bool,
    /// Print only image IDs
    pub quiet: bool,
    /// Print full image IDs
    pub no_trunc: bool,
    /// Go template, e.g. 'table {{.Repository}}\t{{.Size}}'
    pub format: Option<String>,
    /// Only images of this REPOSITORY[:TAG]
    pub repository: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RmiArgs {
    /// Remove even if the image is used by a stopped container or has several tags
    pub force: bool,
    pub images: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryArgs {
    /// Human-readable sizes and times (-H=false prints bytes and RFC 3339 times)
    pub human: bool,
    /// Do not cut the CREATED BY column short
    pub no_trunc: bool,
    /// Print only image IDs
    pub quiet: bool,
    /// Go template
    pub format: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InspectArgs {
    /// Go template, e.g. '{{.Config.Cmd}}'
    pub format: Option<String>,
    /// Include sizes (containers)
    pub size: bool,
    /// Only look at objects of this type (container, image, volume)
    pub kind: Option<String>,
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitArgs {
    /// Commit message
    pub message: Option<String>,
    /// Author
    pub author: Option<String>,
    /// Dockerfile instruction to apply to the new image, e.g. 'CMD ["sh"]'
    pub change: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildArgs {
    /// Name and optionally tag the image (name:tag)
    pub tag: Vec<String>,
    /// The Dockerfile to use (default: PATH/Dockerfile)
    pub file: Option<String>,
    /// Set a build-time ARG (KEY=VALUE)
    pub build_arg: Vec<String>,
    /// Do not reuse cached layers
    pub no_cache: bool,
    /// Print only the image ID
    pub quiet: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogsArgs {
    /// Keep following new output
    pub follow: bool,
    /// Show timestamps
    pub timestamps: bool,
    /// Lines from the end to show ("all" for every line)
    pub tail: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeLsArgs {
    /// Print only volume names
    pub quiet: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeRmArgs {
    /// Remove even if in use
    pub force: bool,
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SystemDfArgs {
    /// One section per images, containers, volumes and build cache
    pub verbose: bool,
    /// Go template
    pub format: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginArgs {
    /// User name
    pub username: Option<String>,
    /// Password (prefer --password-stdin)
    pub password: Option<String>,
    /// Read the password from standard input
    pub password_stdin: bool,
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneArgs {
    /// Remove all unused images, not only dangling ones
    pub all: bool,
    /// Do not ask for confirmation
    pub force: bool,
    /// Also remove volumes no container uses (system prune)
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

/// The commands a `docker` line can start with, in the table's order, each with the names of its
/// subcommands (none for a command that is not a group): what tab completion offers. Aliases
/// are left out, as Docker's own completion leaves them out.
pub fn command_names() -> Vec<(&'static str, Vec<&'static str>)> {
    let children = |spec: &'static Spec| match spec.body {
        Body::Group(children) => children,
        Body::Leaf { .. } => &[],
    };
    children(&ROOT)
        .iter()
        .map(|c| (c.name, children(c).iter().map(|s| s.name).collect()))
        .collect()
}

/// Whether the flag word `word` (`-e`, `--name`, `-de`) of `command` (`run`, `container run`)
/// leaves its value to the next word. `--name=web` and `-eA=1` carry theirs; an unknown
/// command or flag takes none.
pub fn takes_value(command: &str, word: &str) -> bool {
    let mut spec: &'static Spec = &ROOT;
    for name in command.split_whitespace() {
        match spec.child(name) {
            Some(child) => spec = child,
            None => return false,
        }
    }
    let valued = |f: &super::grammar::Flag| f.kind.value_name().is_some();
    if let Some(long) = word.strip_prefix("--") {
        return !long.contains('=') && spec.flags.iter().any(|f| f.long == long && valued(f));
    }
    let Some(letters) = word.strip_prefix('-') else {
        return false;
    };
    // In a group of letters, a flag that takes a value takes the rest of the word, if any.
    let mut chars = letters.chars();
    while let Some(letter) = chars.next() {
        if spec.flags.iter().any(|f| f.short == Some(letter) && valued(f)) {
            return chars.as_str().is_empty();
        }
    }
    false
}

/// Parses a whole command line; `args[0]` is `docker` or `layerlab`.
pub fn parse(args: &[String]) -> Result<Command, UsageError> {
    parse_invocation(args).map(|inv| inv.command)
}

/// Parses a whole command line with the layerlab global flags.
///
/// Walks the command table from the root: each level reads its own flags, and a group's first
/// operand names the command below it, which reads the rest of the line.
pub fn parse_invocation(args: &[String]) -> Result<Invocation, UsageError> {
    let (first, rest) = match args.split_first() {
        Some((first, rest)) => (first.rsplit('/').next().unwrap_or(first), rest),
        None => return Err(UsageError::NotDocker { first: None }),
    };
    if !matches!(first, "docker" | "layerlab") {
        return Err(UsageError::NotDocker {
            first: Some(first.to_string()),
        });
    }
    let root = match_words(&ROOT, "docker", rest)?;
    let global = GlobalOptions {
        engine: root.text("engine").as_deref().map(engine).transpose()?,
        state: root.text("state"),
        root: root.text("root"),
        explain: root.on("explain"),
    };
    let command = lower(root, "docker".to_string())?;
    Ok(Invocation { global, command })
}

fn engine(name: &str) -> Result<EngineKind, UsageError> {
    match name {
        "sim" => Ok(EngineKind::Sim),
        "native" => Ok(EngineKind::Native),
        _ => Err(UsageError::InvalidValue {
            command: "docker".to_string(),
            flag: "--engine".to_string(),
            value: name.to_string(),
            reason: "the engines are sim and native".to_string(),
        }),
    }
}

/// From the words matched at one level to a [`Command`]: help, a step down into a group, or
/// the command itself once its operands are counted.
fn lower(mut m: Matched, mut path: String) -> Result<Command, UsageError> {
    loop {
        let spec = m.spec;
        if m.help {
            return Ok(Command::Help {
                text: help_text(spec, &path),
            });
        }
        match spec.body {
            Body::Group(_) => {
                let Some((word, rest)) = m.operands.split_first() else {
                    return Ok(Command::Help {
                        text: help_text(spec, &path),
                    });
                };
                let Some(child) = spec.child(word) else {
                    let command = match path.strip_prefix("docker ") {
                        Some(group) => format!("{group} {word}"),
                        None => word.clone(),
                    };
                    return Err(UsageError::UnknownCommand { command });
                };
                path = format!("{path} {}", child.name);
                m = match_words(child, &path, rest)?;
            }
            Body::Leaf { cmd, operands, .. } => {
                arity(spec, &path, m.operands.len(), operands.min, operands.max)?;
                return command(cmd, m);
            }
        }
    }
}

/// Docker's operand checks (`cli.NoArgs`, `cli.ExactArgs`, `cli.RequiresMinArgs`, ...).
fn arity(spec: &Spec, path: &str, got: usize, min: usize, max: Option<usize>) -> Result<(), UsageError> {
    if got >= min && max.is_none_or(|m| got <= m) {
        return Ok(());
    }
    let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
    let what = match max {
        Some(0) => {
            return Err(UsageError::NoArguments {
                command: path.to_string(),
                usage: spec.usage,
                summary: spec.summary,
            });
        }
        Some(max) if max == min => format!("exactly {min} {}", plural(min)),
        Some(max) if min == 0 => format!("at most {max} {}", plural(max)),
        Some(max) => format!("at least {min} and at most {max} {}", plural(max)),
        None => format!("at least {min} {}", plural(min)),
    };
    Err(UsageError::Arguments {
        command: path.to_string(),
        what,
        usage: spec.usage,
        summary: spec.summary,
    })
}

/// The typed command for a table row whose operands have been counted, so the first `n` of
/// them are there.
fn command(cmd: Cmd, mut m: Matched) -> Result<Command, UsageError> {
    let ops = std::mem::take(&mut m.operands);
    let op = |i: usize| ops.get(i).cloned();
    let rest = |i: usize| ops.get(i..).unwrap_or_default().to_vec();
    Ok(match cmd {
        Cmd::Run | Cmd::Create => {
            let args = RunArgs {
                detach: m.on("detach"),
                interactive: m.on("interactive"),
                tty: m.on("tty"),
                rm: m.on("rm"),
                name: m.text("name"),
                env: m.list("env"),
                workdir: m.text("workdir"),
                user: m.text("user"),
                volumes: m.list("volume"),
                memory: m.bytes("memory"),
                pids_limit: m.int("pids-limit"),
                network: m.text("network"),
                platform: m.text("platform"),
                log_opt: m.list("log-opt"),
                entrypoint: m.text("entrypoint"),
                hostname: m.text("hostname"),
                image: op(0).unwrap_or_default(),
                command: rest(1),
            };
            if cmd == Cmd::Run {
                Command::Run(args)
            } else {
                Command::Create(args)
            }
        }
        Cmd::Exec => Command::Exec(ExecArgs {
            detach: m.on("detach"),
            interactive: m.on("interactive"),
            tty: m.on("tty"),
            env: m.list("env"),
            workdir: m.text("workdir"),
            user: m.text("user"),
            container: op(0).unwrap_or_default(),
            command: rest(1),
        }),
        Cmd::Start => Command::Start(StartArgs {
            attach: m.on("attach"),
            interactive: m.on("interactive"),
            containers: ops,
        }),
        Cmd::Stop => Command::Stop(StopArgs {
            time: m.int("time"),
            containers: ops,
        }),
        Cmd::Rm => Command::Rm(RmArgs {
            force: m.on("force"),
            volumes: m.on("volumes"),
            containers: ops,
        }),
        Cmd::Ps => Command::Ps(PsArgs {
            all: m.on("all"),
            size: m.on("size"),
            quiet: m.on("quiet"),
            no_trunc: m.on("no-trunc"),
            format: m.text("format"),
        }),
        Cmd::Images => Command::Images(ImagesArgs {
            all: m.on("all"),
            quiet: m.on("quiet"),
            no_trunc: m.on("no-trunc"),
            format: m.text("format"),
            repository: op(0),
        }),
        Cmd::Pull => Command::Pull {
            image: op(0).unwrap_or_default(),
            platform: m.text("platform"),
            quiet: m.on("quiet"),
        },
        Cmd::Push => Command::Push {
            image: op(0).unwrap_or_default(),
            quiet: m.on("quiet"),
        },
        Cmd::Load => Command::Load {
            input: m.text("input"),
        },
        Cmd::Rmi => Command::Rmi(RmiArgs {
            force: m.on("force"),
            images: ops,
        }),
        Cmd::Tag => Command::Tag {
            source: op(0).unwrap_or_default(),
            target: op(1).unwrap_or_default(),
        },
        Cmd::History => Command::History {
            image: op(0).unwrap_or_default(),
            args: HistoryArgs {
                human: m.on("human"),
                no_trunc: m.on("no-trunc"),
                quiet: m.on("quiet"),
                format: m.text("format"),
            },
        },
        Cmd::Inspect | Cmd::ImageInspect | Cmd::ContainerInspect => {
            let kind = match cmd {
                Cmd::ImageInspect => Some("image".to_string()),
                Cmd::ContainerInspect => Some("container".to_string()),
                _ => m.text("type"),
            };
            Command::Inspect(InspectArgs {
                format: m.text("format"),
                size: m.on("size"),
                kind,
                names: ops,
            })
        }
        Cmd::Diff => Command::Diff {
            container: op(0).unwrap_or_default(),
        },
        Cmd::Commit => Command::Commit {
            container: op(0).unwrap_or_default(),
            repository: op(1),
            args: CommitArgs {
                message: m.text("message"),
                author: m.text("author"),
                change: m.list("change"),
            },
        },
        Cmd::Build => Command::Build {
            context: op(0).unwrap_or_default(),
            args: BuildArgs {
                tag: m.list("tag"),
                file: m.text("file"),
                build_arg: m.list("build-arg"),
                no_cache: m.on("no-cache"),
                quiet: m.on("quiet"),
            },
        },
        Cmd::Logs => Command::Logs {
            container: op(0).unwrap_or_default(),
            args: LogsArgs {
                follow: m.on("follow"),
                timestamps: m.on("timestamps"),
                tail: m.text("tail"),
            },
        },
        Cmd::Login => Command::Login {
            server: op(0),
            args: LoginArgs {
                username: m.text("username"),
                password: m.text("password"),
                password_stdin: m.on("password-stdin"),
            },
        },
        Cmd::VolumeCreate => Command::VolumeCreate {
            name: op(0),
            driver: m.text("driver"),
        },
        Cmd::VolumeLs => Command::VolumeLs(VolumeLsArgs { quiet: m.on("quiet") }),
        Cmd::VolumeRm => Command::VolumeRm(VolumeRmArgs {
            force: m.on("force"),
            names: ops,
        }),
        Cmd::VolumeInspect => Command::VolumeInspect {
            format: m.text("format"),
            names: ops,
        },
        Cmd::SystemDf => Command::SystemDf(SystemDfArgs {
            verbose: m.on("verbose"),
            format: m.text("format"),
        }),
        Cmd::Prune(target) => Command::Prune {
            target,
            args: PruneArgs {
                all: m.on("all"),
                force: m.on("force"),
                volumes: m.on("volumes"),
            },
        },
        Cmd::Help => return help(&ops),
    })
}

/// `help`, `help ps`, `help image ls`: the help of the command the words name.
fn help(topic: &[String]) -> Result<Command, UsageError> {
    let mut spec = &ROOT;
    let mut path = "docker".to_string();
    for word in topic {
        spec = spec.child(word).ok_or_else(|| UsageError::UnknownCommand {
            command: topic.join(" "),
        })?;
        path = format!("{path} {}", spec.name);
    }
    Ok(Command::Help {
        text: help_text(spec, &path),
    })
}

#[cfg(test)]
mod tests;
