//! From a command line to engine calls to printed output. Both terminals come through here, so
//! they print the same bytes for the same line.
//!
//! The line is split into words as a POSIX shell would (quotes, backslashes), then each docker
//! command takes its flags the way Docker's CLI (cobra and pflag) does: `-a -s` or `-as`,
//! `--format X` or `--format=X`, `-H=false`, and for `run`, `create` and `exec` flags stop at the
//! first word that is not one, since what follows belongs to the container's command.

use std::collections::BTreeMap;

use super::render::{
    self, ContainerRow, ContainerStatus, DfImageRow, DfVerbose, DiffKind, RmiLine, VolumeRow,
};
use crate::accounting;
use crate::container::ChangeKind;
use crate::digest::Digest;
use crate::engine::{
    ContainerRecord, ContainerState, CreateOptions, EngineError, Output, PullReport, PullStatus, Simulator,
};
use crate::reference::Reference;

/// Why a command line was refused before reaching the engine, in the CLI's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    #[error("unknown flag: {flag}\nSee 'docker {command} --help'.")]
    UnknownFlag { command: String, flag: String },
    #[error("unknown shorthand flag: '{letter}' in {word}\nSee 'docker {command} --help'.")]
    UnknownShorthand {
        command: String,
        letter: char,
        word: String,
    },
    #[error("flag needs an argument: {flag}\nSee 'docker {command} --help'.")]
    NeedsArgument { command: String, flag: String },
    #[error(
        "invalid argument {value:?} for {flag:?} flag: strconv.ParseBool: parsing {value:?}: invalid syntax\nSee 'docker {command} --help'."
    )]
    NotABool {
        command: String,
        flag: String,
        value: String,
    },
    #[error(
        "\"docker {command}\" requires {what}.\nSee 'docker {command} --help'.\n\nUsage:  docker {command} {usage}\n\n{summary}"
    )]
    Arguments {
        command: String,
        what: &'static str,
        usage: &'static str,
        summary: &'static str,
    },
    #[error("docker: '{command}' is not a docker command.\nSee 'docker --help'")]
    UnknownCommand { command: String },
    #[error("unterminated quote in the command line: close the {quote} quote")]
    Quote { quote: char },
    #[error("layerlab: lines start with `docker` or `layerlab`, e.g. `docker run nginx:1.15.8`")]
    NotDocker,
}

/// Splits a line into words: single quotes keep everything, double quotes allow `\"` and `\\`,
/// a backslash outside quotes escapes the next character.
pub fn split_words(line: &str) -> Result<Vec<String>, UsageError> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => word.push(ch),
                        None => return Err(UsageError::Quote { quote: '\'' }),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(n @ ('"' | '\\' | '$' | '`')) => word.push(n),
                            Some(n) => {
                                word.push('\\');
                                word.push(n);
                            }
                            None => return Err(UsageError::Quote { quote: '"' }),
                        },
                        Some(ch) => word.push(ch),
                        None => return Err(UsageError::Quote { quote: '"' }),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// One flag a command accepts.
struct Flag {
    long: &'static str,
    short: Option<char>,
    takes_value: bool,
}

const fn flag(long: &'static str, short: Option<char>, takes_value: bool) -> Flag {
    Flag {
        long,
        short,
        takes_value,
    }
}

/// Parsed flags: each long name with its values (a bool flag gets `"true"`, or what `=` gave).
#[derive(Debug, Default)]
struct Flags {
    values: BTreeMap<&'static str, Vec<String>>,
    positional: Vec<String>,
}

impl Flags {
    fn on(&self, name: &str) -> bool {
        self.values
            .get(name)
            .and_then(|v| v.last())
            .is_some_and(|v| v == "true" || v == "1")
    }
    fn bool_or(&self, name: &str, default: bool) -> bool {
        match self.values.get(name).and_then(|v| v.last()) {
            Some(v) => v == "true" || v == "1",
            None => default,
        }
    }
    fn value(&self, name: &str) -> Option<String> {
        self.values.get(name).and_then(|v| v.last()).cloned()
    }
    fn all(&self, name: &str) -> Vec<String> {
        self.values.get(name).cloned().unwrap_or_default()
    }
}

/// pflag's parsing: flags anywhere unless `stop_at_positional` (run, create, exec), `--` ends
/// flags, `-abc` is three bool flags (the last may take a value).
fn parse_flags(
    command: &str,
    specs: &[Flag],
    args: &[String],
    stop_at_positional: bool,
) -> Result<Flags, UsageError> {
    let mut out = Flags::default();
    let mut i = 0;
    let bool_value = |f: &Flag, v: &str| -> Result<String, UsageError> {
        match v {
            "true" | "1" | "t" | "T" | "TRUE" | "True" => Ok("true".into()),
            "false" | "0" | "f" | "F" | "FALSE" | "False" => Ok("false".into()),
            _ => Err(UsageError::NotABool {
                command: command.into(),
                flag: format!("--{}", f.long),
                value: v.into(),
            }),
        }
    };
    while let Some(arg) = args.get(i) {
        i += 1;
        if arg == "--" {
            out.positional.extend(args.iter().skip(i).cloned());
            break;
        }
        if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            let Some(f) = specs.iter().find(|f| f.long == name) else {
                return Err(UsageError::UnknownFlag {
                    command: command.into(),
                    flag: format!("--{name}"),
                });
            };
            let value = if f.takes_value {
                match inline {
                    Some(v) => v,
                    None => {
                        let v = args.get(i).cloned().ok_or_else(|| UsageError::NeedsArgument {
                            command: command.into(),
                            flag: format!("--{name}"),
                        })?;
                        i += 1;
                        v
                    }
                }
            } else {
                bool_value(f, inline.as_deref().unwrap_or("true"))?
            };
            out.values.entry(f.long).or_default().push(value);
            continue;
        }
        if arg.len() > 1 && arg.starts_with('-') {
            let letters: Vec<char> = arg.chars().skip(1).collect();
            let mut j = 0;
            while let Some(&c) = letters.get(j) {
                j += 1;
                let Some(f) = specs.iter().find(|f| f.short == Some(c)) else {
                    return Err(UsageError::UnknownShorthand {
                        command: command.into(),
                        letter: c,
                        word: arg.clone(),
                    });
                };
                let rest: String = letters.iter().skip(j).collect();
                if f.takes_value {
                    let value = if !rest.is_empty() {
                        rest.strip_prefix('=').unwrap_or(&rest).to_string()
                    } else {
                        let v = args.get(i).cloned().ok_or_else(|| UsageError::NeedsArgument {
                            command: command.into(),
                            flag: format!("-{c}"),
                        })?;
                        i += 1;
                        v
                    };
                    out.values.entry(f.long).or_default().push(value);
                    break;
                }
                if let Some(v) = rest.strip_prefix('=') {
                    out.values.entry(f.long).or_default().push(bool_value(f, v)?);
                    break;
                }
                out.values.entry(f.long).or_default().push("true".into());
            }
            continue;
        }
        out.positional.push(arg.clone());
        if stop_at_positional {
            out.positional.extend(args.iter().skip(i).cloned());
            break;
        }
    }
    Ok(out)
}

/// What one command prints, before events are attached.
#[derive(Debug, Default)]
struct Printed {
    stdout: String,
    stderr: String,
    code: i32,
}

impl Printed {
    fn ok(stdout: String) -> Self {
        Self {
            stdout,
            ..Self::default()
        }
    }
    fn err(stderr: String, code: i32) -> Self {
        Self {
            stderr,
            code,
            ..Self::default()
        }
    }
    /// A daemon error as the CLI prints it for most commands.
    fn daemon(e: &EngineError) -> Self {
        Self::err(format!("Error response from daemon: {e}\n"), 1)
    }
}

/// Parses and runs one line against the simulator.
pub fn run_line(sim: &mut Simulator, line: &str) -> Output {
    let printed = match split_words(line) {
        Err(e) => Printed::err(format!("{e}\n"), 1),
        Ok(words) => match words.split_first() {
            Some((head, rest)) if head == "docker" => docker(sim, rest),
            Some((head, rest)) if head == "layerlab" => lab(sim, rest),
            None => Printed::default(),
            Some(_) => Printed::err(format!("{}\n", UsageError::NotDocker), 127),
        },
    };
    Output {
        stdout: printed.stdout,
        stderr: printed.stderr,
        exit_code: printed.code,
        events: Vec::new(),
    }
}

fn usage(e: UsageError) -> Printed {
    let code = match e {
        UsageError::Arguments { .. } | UsageError::UnknownCommand { .. } => 1,
        _ => 125,
    };
    Printed::err(format!("{e}\n"), code)
}

fn docker(sim: &mut Simulator, args: &[String]) -> Printed {
    let Some((cmd, rest)) = args.split_first() else {
        return Printed::ok(HELP.to_string());
    };
    let sub = rest.first().map(String::as_str);
    let tail = rest.get(1..).unwrap_or_default();
    let result = match (cmd.as_str(), sub) {
        ("run", _) | ("container", Some("run")) => run(sim, if cmd == "run" { rest } else { tail }, true),
        ("create", _) | ("container", Some("create")) => {
            run(sim, if cmd == "create" { rest } else { tail }, false)
        }
        ("start", _) | ("container", Some("start")) => start(sim, if cmd == "start" { rest } else { tail }),
        ("stop", _) | ("container", Some("stop")) => stop(sim, if cmd == "stop" { rest } else { tail }),
        ("rm", _) | ("container", Some("rm")) => rm(sim, if cmd == "rm" { rest } else { tail }),
        ("exec", _) | ("container", Some("exec")) => exec(sim, if cmd == "exec" { rest } else { tail }),
        ("ps", _) => ps(sim, rest, "ps"),
        ("container", Some("ls" | "ps" | "list")) => ps(sim, tail, "container ls"),
        ("logs", _) | ("container", Some("logs")) => logs(sim, if cmd == "logs" { rest } else { tail }),
        ("diff", _) | ("container", Some("diff")) => diff(sim, if cmd == "diff" { rest } else { tail }),
        ("commit", _) | ("container", Some("commit")) => {
            commit(sim, if cmd == "commit" { rest } else { tail })
        }
        ("images", _) => images(sim, rest, "images"),
        ("image", Some("ls" | "list")) => images(sim, tail, "image ls"),
        ("pull", _) => pull(sim, rest, "pull"),
        ("image", Some("pull")) => pull(sim, tail, "image pull"),
        ("history", _) => history(sim, rest, "history"),
        ("image", Some("history")) => history(sim, tail, "image history"),
        ("rmi", _) => rmi(sim, rest, "rmi"),
        ("image", Some("rm" | "remove")) => rmi(sim, tail, "image rm"),
        ("tag", _) => tag(sim, rest, "tag"),
        ("image", Some("tag")) => tag(sim, tail, "image tag"),
        ("inspect", _) => inspect(sim, rest, "inspect", Kind::Any),
        ("image", Some("inspect")) => inspect(sim, tail, "image inspect", Kind::Image),
        ("container", Some("inspect")) => inspect(sim, tail, "container inspect", Kind::Container),
        ("build", _) => build(sim, rest, "build"),
        ("image", Some("build")) => build(sim, tail, "image build"),
        ("volume", Some("create")) => volume_create(sim, tail),
        ("volume", Some("ls" | "list")) => volume_ls(sim, tail),
        ("volume", Some("rm" | "remove")) => volume_rm(sim, tail),
        ("volume", Some("inspect")) => volume_inspect(sim, tail),
        ("system", Some("df")) => system_df(sim, tail),
        ("checkpoint", Some("create")) => checkpoint(sim, tail),
        ("container" | "image" | "volume" | "system" | "checkpoint", Some(other)) => {
            Err(UsageError::UnknownCommand {
                command: format!("{cmd} {other}"),
            })
        }
        ("container" | "image" | "volume" | "system" | "checkpoint", None) => Ok(Printed::ok(format!(
            "\nUsage:  docker {cmd} COMMAND\n\nRun 'docker {cmd} COMMAND --help' for more information on a command.\n"
        ))),
        ("--help" | "help", _) => Ok(Printed::ok(HELP.to_string())),
        _ => Err(UsageError::UnknownCommand { command: cmd.clone() }),
    };
    result.unwrap_or_else(usage)
}

const HELP: &str = "\nUsage:  docker [OPTIONS] COMMAND\n\nThe lab's docker understands: run, create, start, stop, rm, exec, ps, logs, diff, commit,\nimages, pull, history, rmi, tag, inspect, build, volume, system df, checkpoint create.\nLab commands: layerlab clock advance SECONDS, layerlab ledger, layerlab formula IMAGE.\n";

fn need(
    command: &str,
    ok: bool,
    what: &'static str,
    usage_text: &'static str,
    summary: &'static str,
) -> Result<(), UsageError> {
    if ok {
        Ok(())
    } else {
        Err(UsageError::Arguments {
            command: command.into(),
            what,
            usage: usage_text,
            summary,
        })
    }
}

// ------------------------------------------------------------------ pull

/// The lines `pull` (and `run`, for an image it lacks) prints after `Using default tag`.
pub fn pull_text(report: &PullReport, with_reference: bool) -> String {
    let mut out = format!("{}: Pulling from {}\n", report.tag, report.remote_name);
    for l in &report.layers {
        let word = match l.status {
            PullStatus::PullComplete => render::PullStatus::PullComplete.word(),
            PullStatus::AlreadyExists => render::PullStatus::AlreadyExists.word(),
        };
        out.push_str(&format!("{}: {word}\n", l.short));
    }
    out.push_str(&format!("Digest: {}\n", report.manifest_digest));
    if report.up_to_date {
        out.push_str(&format!("Status: Image is up to date for {}\n", report.familiar));
    } else {
        out.push_str(&format!(
            "Status: Downloaded newer image for {}\n",
            report.familiar
        ));
    }
    if with_reference {
        out.push_str(&format!("{}\n", report.full));
    }
    out
}

fn pull(sim: &mut Simulator, args: &[String], command: &str) -> Result<Printed, UsageError> {
    let specs = [
        flag("all-tags", Some('a'), false),
        flag("quiet", Some('q'), false),
        flag("platform", None, true),
    ];
    let f = parse_flags(command, &specs, args, false)?;
    need(
        command,
        f.positional.len() == 1,
        "exactly 1 argument",
        "[OPTIONS] NAME[:TAG|@DIGEST]",
        "Download an image from a registry",
    )?;
    let name = f.positional.first().cloned().unwrap_or_default();
    let mut out = String::new();
    match Reference::parse(&name) {
        Ok(r) if !r.has_explicit_tag() && r.digest().is_none() => out.push_str("Using default tag: latest\n"),
        Ok(_) => {}
        Err(e) => return Ok(Printed::err(format!("{e}\n"), 1)),
    }
    match sim.pull(&name) {
        Ok(report) => {
            if f.on("quiet") {
                Ok(Printed::ok(format!("{}\n", report.full)))
            } else {
                out.push_str(&pull_text(&report, true));
                Ok(Printed::ok(out))
            }
        }
        Err(e) => Ok(Printed {
            stdout: out,
            stderr: format!("Error response from daemon: {e}\n"),
            code: 1,
        }),
    }
}

// ------------------------------------------------------------------ run / create

fn run(sim: &mut Simulator, args: &[String], is_run: bool) -> Result<Printed, UsageError> {
    let command = if is_run { "run" } else { "create" };
    let specs = [
        flag("detach", Some('d'), false),
        flag("name", None, true),
        flag("rm", None, false),
        flag("interactive", Some('i'), false),
        flag("tty", Some('t'), false),
        flag("volume", Some('v'), true),
        flag("log-opt", None, true),
        flag("log-driver", None, true),
        flag("entrypoint", None, true),
        flag("env", Some('e'), true),
        flag("publish", Some('p'), true),
        flag("network", None, true),
        flag("workdir", Some('w'), true),
        flag("user", Some('u'), true),
        flag("hostname", Some('h'), true),
    ];
    let f = parse_flags(command, &specs, args, true)?;
    let summary = if is_run {
        "Run a command in a new container"
    } else {
        "Create a new container"
    };
    need(
        command,
        !f.positional.is_empty(),
        "at least 1 argument",
        "[OPTIONS] IMAGE [COMMAND] [ARG...]",
        summary,
    )?;
    let image = f.positional.first().cloned().unwrap_or_default();
    let see = format!("See 'docker {command} --help'.");
    let fail = |stdout: String, stderr: String, msg: String, code: i32| Printed {
        stdout,
        stderr: format!("{stderr}docker: {msg}.\n{see}\n"),
        code,
    };
    let reference = match Reference::parse(&image) {
        Ok(r) => r,
        Err(e) => return Ok(fail(String::new(), String::new(), e.to_string(), 125)),
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    if sim.resolve_image(&image).is_none() {
        stderr.push_str(&format!("{}\n", render::unable_to_find_locally(&reference)));
        match sim.pull(&image) {
            Ok(report) => stdout.push_str(&pull_text(&report, false)),
            Err(e) => {
                return Ok(fail(
                    stdout,
                    stderr,
                    format!("Error response from daemon: {e}"),
                    125,
                ));
            }
        }
    }
    if let Some(driver) = f.value("log-driver").filter(|d| d != "json-file") {
        return Ok(fail(
            stdout,
            stderr,
            format!(
                "Error response from daemon: the lab models the json-file log driver only, not {driver:?}"
            ),
            125,
        ));
    }
    let opts = CreateOptions {
        image: image.clone(),
        name: f.value("name"),
        command: f.positional.get(1..).unwrap_or_default().to_vec(),
        entrypoint: f.value("entrypoint"),
        volumes: f.all("volume"),
        log_opts: f.all("log-opt"),
        auto_remove: f.on("rm"),
    };
    let id = match sim.create_container(&opts) {
        Ok(id) => id,
        Err(e) => {
            return Ok(fail(
                stdout,
                stderr,
                format!("Error response from daemon: {e}"),
                125,
            ));
        }
    };
    if !is_run {
        stdout.push_str(&format!("{}\n", id.hex()));
        return Ok(Printed {
            stdout,
            stderr,
            code: 0,
        });
    }
    let detach = f.on("detach");
    let Ok(idx) = sim.find_container(&id.hex()) else {
        return Ok(Printed {
            stdout,
            stderr,
            code: 0,
        });
    };
    match sim.start_container(idx, !detach) {
        Ok(outcome) => {
            if detach {
                stdout.push_str(&format!("{}\n", id.hex()));
                Ok(Printed {
                    stdout,
                    stderr,
                    code: 0,
                })
            } else {
                stdout.push_str(&outcome.stdout);
                stderr.push_str(&outcome.stderr);
                Ok(Printed {
                    stdout,
                    stderr,
                    code: outcome.exit_code.unwrap_or(0),
                })
            }
        }
        Err(e) => {
            let code = if matches!(e, EngineError::ExecutableNotFound { .. }) {
                127
            } else {
                125
            };
            if detach {
                stdout.push_str(&format!("{}\n", id.hex()));
            }
            Ok(fail(
                stdout,
                stderr,
                format!("Error response from daemon: {e}"),
                code,
            ))
        }
    }
}

fn each_container(
    sim: &mut Simulator,
    names: &[String],
    missing_prefix: &str,
    mut act: impl FnMut(&mut Simulator, usize) -> Result<(), EngineError>,
) -> Printed {
    let mut out = Printed::default();
    for name in names {
        let result = sim.find_container(name).and_then(|idx| act(sim, idx));
        match result {
            Ok(()) => out.stdout.push_str(&format!("{name}\n")),
            Err(EngineError::NoSuchContainer { .. }) => {
                out.stderr
                    .push_str(&format!("{missing_prefix}No such container: {name}\n"));
                out.code = 1;
            }
            Err(e) => {
                out.stderr.push_str(&format!("Error response from daemon: {e}\n"));
                out.code = 1;
            }
        }
    }
    out
}

fn start(sim: &mut Simulator, args: &[String]) -> Result<Printed, UsageError> {
    let specs = [
        flag("attach", Some('a'), false),
        flag("interactive", Some('i'), false),
    ];
    let f = parse_flags("start", &specs, args, false)?;
    need(
        "start",
        !f.positional.is_empty(),
        "at least 1 argument",
        "[OPTIONS] CONTAINER [CONTAINER...]",
        "Start one or more stopped containers",
    )?;
    let attach = f.on("attach");
    let mut attached_output = Printed::default();
    let mut printed = each_container(sim, &f.positional, "Error response from daemon: ", |sim, idx| {
        let outcome = sim.start_container(idx, false)?;
        attached_output.stdout.push_str(&outcome.stdout);
        attached_output.stderr.push_str(&outcome.stderr);
        attached_output.code = outcome.exit_code.unwrap_or(0);
        Ok(())
    });
    if attach {
        printed.stdout = attached_output.stdout;
        printed.stderr.push_str(&attached_output.stderr);
        if printed.code == 0 {
            printed.code = attached_output.code;
        }
    }
    Ok(printed)
}

fn stop(sim: &mut Simulator, args: &[String]) -> Result<Printed, UsageError> {
    let specs = [flag("time", Some('t'), true)];
    let f = parse_flags("stop", &specs, args, false)?;
    need(
        "stop",
        !f.positional.is_empty(),
        "at least 1 argument",
        "[OPTIONS] CONTAINER [CONTAINER...]",
        "Stop one or more running containers",
    )?;
    Ok(each_container(
        sim,
        &f.positional,
        "Error response from daemon: ",
        |sim, idx| sim.stop_container(idx),
    ))
}

fn rm(sim: &mut Simulator, args: &[String]) -> Result<Printed, UsageError> {
    let specs = [flag("force", Some('f'), false), flag("volumes", Some('v'), false)];
    let f = parse_flags("rm", &specs, args, false)?;
    need(
        "rm",
        !f.positional.is_empty(),
        "at least 1 argument",
        "[OPTIONS] CONTAINER [CONTAINER...]",
        "Remove one or more containers",
    )?;
    let force = f.on("force");
    Ok(each_container(sim, &f.positional, "Error: ", |sim, idx| {
        sim.remove_container(idx, force)
    }))
}

fn exec(sim: &mut Simulator, args: &[String]) -> Result<Printed, UsageError> {
    let specs = [
        flag("detach", Some('d'), false),
        flag("interactive", Some('i'), false),
        flag("tty", Some('t'), false),
        flag("env", Some('e'), true),
        flag("user", Some('u'), true),
        flag("workdir", Some('w'), true),
    ];
    let f = parse_flags("exec", &specs, args, true)?;
    need(
        "exec",
        f.positional.len() >= 2,
        "at least 2 arguments",
        "[OPTIONS] CONTAINER COMMAND [ARG...]",
        "Run a command in a running container",
    )?;
    let name = f.positional.first().cloned().unwrap_or_default();
    let argv = f.positional.get(1..).unwrap_or_default().to_vec();
    let idx = match sim.find_container(&name) {
        Ok(i) => i,
        Err(_) => return Ok(Printed::err(format!("Error: No such container: {name}\n"), 1)),
    };
    match sim.exec(idx, &argv) {
        Ok(r) => Ok(Printed {
            stdout: r.stdout,
            stderr: r.stderr,
            code: r.exit_code,
        }),
        Err(e @ EngineError::ExecutableNotFound { .. }) => Ok(Printed::err(
            format!(
                "OCI runtime exec failed: exec failed: {}\n",
                e.to_string().trim_start_matches(
                    "failed to create shim task: OCI runtime create failed: runc create failed: "
                )
            ),
            126,
        )),
        Err(e) => Ok(Printed::daemon(&e)),
    }
}

// ------------------------------------------------------------------ ps

fn status_of(state: &ContainerState) -> ContainerStatus {
    match *state {
        ContainerState::Created => ContainerStatus::Created,
        ContainerState::Running { started } => ContainerStatus::Running { started_at: started },
        ContainerState::Exited { code, finished, .. } => ContainerStatus::Exited {
            code: i64::from(code),
            finished_at: finished,
        },
    }
}

/// The daemon's `Command` field: the program, then its arguments, each one that contains a space
/// wrapped in single quotes (moby `daemon/list.go`), so nginx shows as `nginx -g 'daemon off;'`.
fn command_text(argv: &[String]) -> String {
    argv.iter()
        .enumerate()
        .map(|(i, a)| {
            if i > 0 && a.contains(' ') {
                format!("'{a}'")
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn container_row(sim: &Simulator, c: &ContainerRecord, sizes: bool) -> ContainerRow {
    let size = sim.container_size(c);
    // ps shows the image as the user named it while that name still points at the image.
    let image = match sim.resolve_image(&c.image_name) {
        Some(id) if id == c.image => c.image_name.clone(),
        _ => c.image.to_string(),
    };
    ContainerRow {
        id: c.id.hex(),
        image,
        command: command_text(&c.command),
        created: c.created,
        status: status_of(&c.state),
        ports: String::new(),
        names: vec![c.name.clone()],
        size_rw: sizes.then_some(size.size_rw),
        size_root_fs: sizes.then_some(size.size_root_fs),
        local_volumes: c.mounts.len() as u64,
    }
}

fn ps(sim: &mut Simulator, args: &[String], command: &str) -> Result<Printed, UsageError> {
    let specs = [
        flag("all", Some('a'), false),
        flag("size", Some('s'), false),
        flag("quiet", Some('q'), false),
        flag("no-trunc", None, false),
        flag("format", None, true),
        flag("latest", Some('l'), false),
        flag("last", Some('n'), true),
    ];
    let f = parse_flags(command, &specs, args, false)?;
    if let Some(extra) = f.positional.first() {
        return Ok(Printed::err(
            format!(
                "\"docker {command}\" accepts no arguments.\nSee 'docker {command} --help'.\n\nUsage:  docker {command} [OPTIONS]\n\nList containers\n{}",
                if extra.is_empty() { "" } else { "" }
            ),
            1,
        ));
    }
    let all = f.on("all");
    let mut limit = f
        .value("last")
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n >= 0);
    if f.on("latest") {
        limit = Some(1);
    }
    // Docker's `--format` with `.Size` computes sizes too.
    let sizes = f.on("size") || f.value("format").is_some_and(|t| t.contains(".Size"));
    let mut rows: Vec<ContainerRow> = sim
        .containers()
        .iter()
        .rev()
        .filter(|c| all || limit.is_some() || c.state.is_running())
        .map(|c| container_row(sim, c, sizes))
        .collect();
    if let Some(n) = limit {
        rows.truncate(usize::try_from(n).unwrap_or(0));
    }
    let opts = render::PsOptions {
        size: f.on("size"),
        quiet: f.on("quiet"),
        no_trunc: f.on("no-trunc"),
        format: f.value("format"),
    };
    Ok(match render::ps(&rows, &opts, sim.now()) {
        Ok(text) => Printed::ok(text),
        Err(e) => Printed::err(format!("{e}\n"), 1),
    })
}

// ------------------------------------------------------------------ logs, diff, commit

fn logs(sim: &mut Simulator, args: &[String]) -> Result<Printed, UsageError> {
    let specs = [
        flag("follow", Some('f'), false),
        flag("timestamps", Some('t'), false),
        flag("tail", Some('n'), true),
    ];
    let f = parse_flags("logs", &specs, args, false)?;
    need(
        "logs",
        f.positional.len() == 1,
        "exactly 1 argument",
        "[OPTIONS] CONTAINER",
        "Fetch the logs of a container",
    )?;
    let name = f.positional.first().cloned().unwrap_or_default();
    let Some(c) = sim.container(&name) else {
        return Ok(Printed::err(format!("Error: No such container: {name}\n"), 1));
    };
    let tail = f.value("tail").and_then(|t| t.parse::<usize>().ok());
    let lines = &c.log_lines;
    let start = tail.map_or(0, |t| lines.len().saturating_sub(t));
    let mut out = Printed::default();
    for l in lines.iter().skip(start) {
        let text = if f.on("timestamps") {
            format!(
                "{} {}\n",
                crate::cli::format::rfc3339(l.time).replace('Z', ".000000000Z"),
                l.text
            )
        } else {
            format!("{}\n", l.text)
        };
        if l.stream == "stderr" {
            out.stderr.push_str(&text)
        } else {
            out.stdout.push_str(&text)
        }
    }
    Ok(out)
}

fn diff(sim: &mut Simulator, args: &[String]) -> Result<Printed, UsageError> {
    let f = parse_flags("diff", &[], args, false)?;
    need(
        "diff",
        f.positional.len() == 1,
        "exactly 1 argument",
        "CONTAINER",
        "Inspect changes to files or directories on a container's filesystem",
    )?;
    let name = f.positional.first().cloned().unwrap_or_default();
    let idx = match sim.find_container(&name) {
        Ok(i) => i,
        Err(e) => return Ok(Printed::daemon(&e)),
    };
    let changes: Vec<(DiffKind, String)> = sim
        .diff(idx)
        .into_iter()
        .map(|c| {
            let kind = match c.kind {
                ChangeKind::Added => DiffKind::Added,
                ChangeKind::Deleted => DiffKind::Deleted,
                ChangeKind::Changed => DiffKind::Changed,
            };
            (kind, c.path)
        })
        .collect();
    Ok(Printed::ok(render::diff(&changes)))
}

fn commit(sim: &mut Simulator, args: &[String]) -> Result<Printed, UsageError> {
    let specs = [
        flag("message", Some('m'), true),
        flag("author", Some('a'), true),
        flag("pause", Some('p'), false),
    ];
    let f = parse_flags("commit", &specs, args, false)?;
    need(
        "commit",
        (1..=2).contains(&f.positional.len()),
        "at least 1 and at most 2 arguments",
        "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
        "Create a new image from a container's changes",
    )?;
    let name = f.positional.first().cloned().unwrap_or_default();
    let idx = match sim.find_container(&name) {
        Ok(i) => i,
        Err(e) => return Ok(Printed::daemon(&e)),
    };
    match sim.commit_container(idx, f.positional.get(1).map(String::as_str)) {
        Ok(id) => Ok(Printed::ok(format!("{id}\n"))),
        Err(e) => Ok(Printed::daemon(&e)),
    }
}

// ------------------------------------------------------------------ images, history, rmi, tag

fn images(sim: &mut Simulator, args: &[String], command: &str) -> Result<Printed, UsageError> {
    let specs = [
        flag("all", Some('a'), false),
        flag("quiet", Some('q'), false),
        flag("no-trunc", None, false),
        flag("format", None, true),
        flag("digests", None, false),
    ];
    let f = parse_flags(command, &specs, args, false)?;
    let mut rows = sim.image_rows(f.on("all"));
    if let Some(repo) = f.positional.first() {
        let (name, tag) = match repo.rsplit_once(':') {
            Some((n, t)) if !t.contains('/') => (n.to_string(), Some(t.to_string())),
            _ => (repo.clone(), None),
        };
        rows.retain(|r| {
            r.repository.as_deref() == Some(name.as_str())
                && tag.as_ref().is_none_or(|t| r.tag.as_deref() == Some(t.as_str()))
        });
    }
    if f.on("quiet") {
        // `-q` lists each image once.
        let mut seen = std::collections::BTreeSet::new();
        rows.retain(|r| seen.insert(r.id));
    }
    let opts = render::ImagesOptions {
        quiet: f.on("quiet"),
        no_trunc: f.on("no-trunc"),
        format: f.value("format"),
    };
    Ok(match render::images(&rows, &opts, sim.now()) {
        Ok(t) => Printed::ok(t),
        Err(e) => Printed::err(format!("{e}\n"), 1),
    })
}

fn history(sim: &mut Simulator, args: &[String], command: &str) -> Result<Printed, UsageError> {
    let specs = [
        flag("human", Some('H'), false),
        flag("quiet", Some('q'), false),
        flag("no-trunc", None, false),
        flag("format", None, true),
    ];
    let f = parse_flags(command, &specs, args, false)?;
    need(
        command,
        f.positional.len() == 1,
        "exactly 1 argument",
        "[OPTIONS] IMAGE",
        "Show the history of an image",
    )?;
    let name = f.positional.first().cloned().unwrap_or_default();
    let Some(id) = sim.resolve_image(&name) else {
        return Ok(Printed::err(
            format!(
                "Error response from daemon: No such image: {}\n",
                familiar_or(&name)
            ),
            1,
        ));
    };
    let rows = sim.history(&id);
    let opts = render::HistoryOptions {
        human: f.bool_or("human", true),
        quiet: f.on("quiet"),
        no_trunc: f.on("no-trunc"),
        format: f.value("format"),
    };
    Ok(match render::history(&rows, &opts, sim.now()) {
        Ok(t) => Printed::ok(t),
        Err(e) => Printed::err(format!("{e}\n"), 1),
    })
}

/// `nginx` as Docker names it in "No such image" messages: with `:latest` added.
fn familiar_or(text: &str) -> String {
    match Reference::parse(text) {
        Ok(r) if !text.starts_with("sha256:") => r.familiar(),
        _ => text.to_string(),
    }
}

fn rmi(sim: &mut Simulator, args: &[String], command: &str) -> Result<Printed, UsageError> {
    let specs = [flag("force", Some('f'), false), flag("no-prune", None, false)];
    let f = parse_flags(command, &specs, args, false)?;
    need(
        command,
        !f.positional.is_empty(),
        "at least 1 argument",
        "[OPTIONS] IMAGE [IMAGE...]",
        "Remove one or more images",
    )?;
    let mut out = Printed::default();
    for name in &f.positional {
        match sim.remove_image(name) {
            Ok(removal) => {
                let mut lines: Vec<RmiLine> =
                    removal.untagged.iter().cloned().map(RmiLine::Untagged).collect();
                lines.extend(removal.untagged_digests.iter().cloned().map(RmiLine::Untagged));
                lines.extend(removal.deleted_image.map(RmiLine::Deleted));
                lines.extend(removal.freed_layers.iter().map(|l| RmiLine::Deleted(l.chain_id)));
                out.stdout.push_str(&render::rmi(&lines));
            }
            Err(EngineError::NoSuchImage { .. }) => {
                out.stderr.push_str(&format!(
                    "Error response from daemon: No such image: {}\n",
                    familiar_or(name)
                ));
                out.code = 1;
            }
            Err(e) => {
                out.stderr.push_str(&format!("Error response from daemon: {e}\n"));
                out.code = 1;
            }
        }
    }
    Ok(out)
}

fn tag(sim: &mut Simulator, args: &[String], command: &str) -> Result<Printed, UsageError> {
    let f = parse_flags(command, &[], args, false)?;
    need(
        command,
        f.positional.len() == 2,
        "exactly 2 arguments",
        "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
        "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
    )?;
    let (src, dst) = (
        f.positional.first().cloned().unwrap_or_default(),
        f.positional.get(1).cloned().unwrap_or_default(),
    );
    Ok(match sim.tag_image(&src, &dst) {
        Ok(()) => Printed::default(),
        Err(EngineError::NoSuchImage { .. }) => Printed::err(
            format!(
                "Error response from daemon: No such image: {}\n",
                familiar_or(&src)
            ),
            1,
        ),
        Err(EngineError::Reference(e)) => Printed::err(
            format!("Error parsing reference: {dst:?} is not a valid repository/tag: {e}\n"),
            1,
        ),
        Err(e) => Printed::daemon(&e),
    })
}

// ------------------------------------------------------------------ inspect

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Any,
    Image,
    Container,
}

fn image_json(sim: &Simulator, id: &Digest) -> serde_json::Value {
    let Some(img) = sim.store().image(id) else {
        return serde_json::Value::Null;
    };
    let size = accounting::image_size(sim.store(), id);
    let config = serde_json::to_value(&img.config).unwrap_or_default();
    serde_json::json!({
        "Id": id.to_string(),
        "RepoTags": sim.store().tags_of(id),
        "RepoDigests": img.repo_digests,
        "Parent": img.parent.map(|p| p.to_string()).unwrap_or_default(),
        "Comment": "",
        "Created": config.get("created").cloned().unwrap_or_default(),
        "Config": config.get("config").cloned().unwrap_or_default(),
        "Architecture": config.get("architecture").cloned().unwrap_or_default(),
        "Os": config.get("os").cloned().unwrap_or_default(),
        "Size": size,
        "VirtualSize": size,
        "GraphDriver": { "Name": "overlay2" },
        "RootFS": { "Type": "layers", "Layers": config.pointer("/rootfs/diff_ids").cloned().unwrap_or_default() },
        "Metadata": { "LastTagTime": "0001-01-01T00:00:00Z" },
    })
}

fn container_json(sim: &Simulator, c: &ContainerRecord, sizes: bool) -> serde_json::Value {
    let (status, running, code, started, finished) = match c.state {
        ContainerState::Created => ("created", false, 0, None, None),
        ContainerState::Running { started } => ("running", true, 0, Some(started), None),
        ContainerState::Exited {
            code,
            started,
            finished,
        } => ("exited", false, code, Some(started), Some(finished)),
    };
    let time = |t: Option<i64>| t.map_or("0001-01-01T00:00:00Z".to_string(), crate::cli::format::rfc3339);
    let mut v = serde_json::json!({
        "Id": c.id.hex(),
        "Created": crate::cli::format::rfc3339(c.created),
        "Path": c.command.first().cloned().unwrap_or_default(),
        "Args": c.command.get(1..).unwrap_or_default(),
        "State": {
            "Status": status, "Running": running, "Paused": false, "Restarting": false,
            "ExitCode": code, "StartedAt": time(started), "FinishedAt": time(finished),
        },
        "Image": c.image.to_string(),
        "LogPath": format!("/var/lib/docker/containers/{0}/{0}-json.log", c.id.hex()),
        "Name": format!("/{}", c.name),
        "Driver": "overlay2",
        "HostConfig": { "LogConfig": { "Type": "json-file", "Config": log_config(c) } },
        "Mounts": c.mounts.iter().map(|m| serde_json::json!({
            "Type": "volume", "Name": m.volume, "Source": format!("/var/lib/docker/volumes/{}/_data", m.volume),
            "Destination": format!("/{}", m.target), "Driver": "local", "Mode": "z", "RW": true, "Propagation": "",
        })).collect::<Vec<_>>(),
        "Config": { "Image": c.image_name, "Cmd": c.command },
    });
    if sizes {
        let s = sim.container_size(c);
        if let Some(obj) = v.as_object_mut() {
            obj.insert("SizeRw".into(), s.size_rw.into());
            obj.insert("SizeRootFs".into(), s.size_root_fs.into());
        }
    }
    v
}

fn log_config(c: &ContainerRecord) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    if let Some(s) = c.log.max_size {
        m.insert("max-size".into(), s.to_string().into());
        m.insert("max-file".into(), c.log.max_file.to_string().into());
    }
    serde_json::Value::Object(m)
}

fn inspect(sim: &mut Simulator, args: &[String], command: &str, kind: Kind) -> Result<Printed, UsageError> {
    let specs = [
        flag("format", Some('f'), true),
        flag("size", Some('s'), false),
        flag("type", None, true),
    ];
    let f = parse_flags(command, &specs, args, false)?;
    need(
        command,
        !f.positional.is_empty(),
        "at least 1 argument",
        "[OPTIONS] NAME|ID [NAME|ID...]",
        "Return low-level information on Docker objects",
    )?;
    let mut items = Vec::new();
    let mut out = Printed::default();
    for name in &f.positional {
        let container = (kind != Kind::Image).then(|| sim.container(name)).flatten();
        let value = match container {
            Some(c) => Some(container_json(sim, c, f.on("size"))),
            None if kind != Kind::Container => sim.resolve_image(name).map(|id| image_json(sim, &id)),
            None => None,
        };
        match value {
            Some(v) => items.push(v),
            None => {
                let what = match kind {
                    Kind::Image => "No such image",
                    Kind::Container => "No such container",
                    Kind::Any => "No such object",
                };
                out.stderr.push_str(&format!("Error: {what}: {name}\n"));
                out.code = 1;
            }
        }
    }
    if let Some(format) = f.value("format") {
        for item in &items {
            out.stdout.push_str(&format_value(&format, item));
            out.stdout.push('\n');
        }
        return Ok(out);
    }
    match render::inspect_json(&items) {
        Ok(t) => out.stdout.push_str(&t),
        Err(e) => {
            out.stderr.push_str(&format!("{e}\n"));
            out.code = 1;
        }
    }
    Ok(out)
}

/// `--format '{{.State.Status}} {{.Size}}'` over an inspect document: field paths only.
fn format_value(template: &str, value: &serde_json::Value) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(rest.get(..open).unwrap_or(""));
        let after = rest.get(open + 2..).unwrap_or("");
        let Some(close) = after.find("}}") else {
            out.push_str(rest.get(open..).unwrap_or(""));
            return out;
        };
        let action = after.get(..close).unwrap_or("").trim();
        let pointer: String = action
            .trim_start_matches('.')
            .split('.')
            .map(|p| format!("/{p}"))
            .collect();
        let v = if action == "." {
            Some(value)
        } else {
            value.pointer(&pointer)
        };
        match v {
            Some(serde_json::Value::String(s)) => out.push_str(s),
            Some(serde_json::Value::Null) | None => out.push_str("<no value>"),
            Some(serde_json::Value::Array(a)) => {
                let items: Vec<String> = a
                    .iter()
                    .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                    .collect();
                out.push_str(&format!("[{}]", items.join(" ")));
            }
            Some(other) => out.push_str(&other.to_string()),
        }
        rest = after.get(close + 2..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

// ------------------------------------------------------------------ build

fn build(sim: &mut Simulator, args: &[String], command: &str) -> Result<Printed, UsageError> {
    let specs = [
        flag("tag", Some('t'), true),
        flag("file", Some('f'), true),
        flag("build-arg", None, true),
        flag("no-cache", None, false),
        flag("quiet", Some('q'), false),
    ];
    let f = parse_flags(command, &specs, args, false)?;
    need(
        command,
        f.positional.len() == 1,
        "exactly 1 argument",
        "[OPTIONS] PATH | URL | -",
        "Build an image from a Dockerfile",
    )?;
    let dir = f.positional.first().cloned().unwrap_or_default();
    let mut build_args = crate::dockerfile::BuildArgs::new();
    for a in f.all("build-arg") {
        let (k, v) = a.split_once('=').unwrap_or((a.as_str(), ""));
        build_args.insert(k.to_string(), v.to_string());
    }
    let (report, result) = sim.build(&dir, f.value("file").as_deref(), &f.all("tag"), &build_args);
    Ok(match result {
        Ok(id) if f.on("quiet") => Printed::ok(format!("{id}\n")),
        Ok(_) => Printed::ok(report.stdout),
        Err(e) => Printed {
            stdout: report.stdout,
            stderr: format!("{e}\n"),
            code: e.exit_code(),
        },
    })
}

// ------------------------------------------------------------------ volumes

fn volume_create(sim: &mut Simulator, args: &[String]) -> Result<Printed, UsageError> {
    let specs = [
        flag("driver", Some('d'), true),
        flag("name", None, true),
        flag("label", None, true),
    ];
    let f = parse_flags("volume create", &specs, args, false)?;
    let name = f.value("name").or_else(|| f.positional.first().cloned());
    Ok(match sim.create_volume(name.as_deref()) {
        Ok(n) => Printed::ok(format!("{n}\n")),
        Err(e) => Printed::daemon(&e),
    })
}

fn volume_rows(sim: &Simulator) -> Vec<VolumeRow> {
    sim.volumes()
        .map(|v| VolumeRow {
            name: v.name.clone(),
            driver: "local".into(),
            links: sim.volume_links(&v.name) as u64,
            size: Some(v.size()),
        })
        .collect()
}

fn volume_ls(sim: &mut Simulator, args: &[String]) -> Result<Printed, UsageError> {
    let specs = [flag("quiet", Some('q'), false)];
    let f = parse_flags("volume ls", &specs, args, false)?;
    Ok(Printed::ok(render::volume_ls(&volume_rows(sim), f.on("quiet"))))
}

fn volume_rm(sim: &mut Simulator, args: &[String]) -> Result<Printed, UsageError> {
    let specs = [flag("force", Some('f'), false)];
    let f = parse_flags("volume rm", &specs, args, false)?;
    need(
        "volume rm",
        !f.positional.is_empty(),
        "at least 1 argument",
        "[OPTIONS] VOLUME [VOLUME...]",
        "Remove one or more volumes",
    )?;
    let mut out = Printed::default();
    for name in &f.positional {
        match sim.remove_volume(name) {
            Ok(()) => out.stdout.push_str(&format!("{name}\n")),
            Err(EngineError::NoSuchVolume { .. }) if f.on("force") => {}
            Err(e) => {
                out.stderr.push_str(&format!("Error response from daemon: {e}\n"));
                out.code = 1;
            }
        }
    }
    Ok(out)
}

fn volume_inspect(sim: &mut Simulator, args: &[String]) -> Result<Printed, UsageError> {
    let specs = [flag("format", Some('f'), true)];
    let f = parse_flags("volume inspect", &specs, args, false)?;
    need(
        "volume inspect",
        !f.positional.is_empty(),
        "at least 1 argument",
        "[OPTIONS] VOLUME [VOLUME...]",
        "Display detailed information on one or more volumes",
    )?;
    let mut items = Vec::new();
    let mut out = Printed::default();
    for name in &f.positional {
        match sim.volume(name) {
            Some(v) => items.push(serde_json::json!({
                "CreatedAt": crate::cli::format::rfc3339(v.created),
                "Driver": "local",
                "Labels": if v.anonymous { serde_json::json!({"com.docker.volume.anonymous": ""}) } else { serde_json::json!({}) },
                "Mountpoint": v.mountpoint(),
                "Name": v.name,
                "Options": {},
                "Scope": "local",
            })),
            None => {
                out.stderr.push_str(&format!("Error: No such volume: {name}\n"));
                out.code = 1;
            }
        }
    }
    if let Some(format) = f.value("format") {
        for item in &items {
            out.stdout.push_str(&format_value(&format, item));
            out.stdout.push('\n');
        }
    } else if let Ok(t) = render::inspect_json(&items) {
        out.stdout.push_str(&t);
    }
    Ok(out)
}

// ------------------------------------------------------------------ system df, checkpoints

fn df_row(r: &accounting::DfRow) -> render::DfRow {
    render::DfRow {
        total: r.total as u64,
        active: r.active as u64,
        size: r.size,
        reclaimable: r.reclaimable,
    }
}

fn system_df(sim: &mut Simulator, args: &[String]) -> Result<Printed, UsageError> {
    let specs = [flag("verbose", Some('v'), false), flag("format", None, true)];
    let f = parse_flags("system df", &specs, args, false)?;
    if !f.on("verbose") {
        let df = sim.system_df();
        let summary = render::DfSummary {
            images: df_row(&df.images),
            containers: df_row(&df.containers),
            volumes: df_row(&df.volumes),
            build_cache: df_row(&df.build_cache),
        };
        return Ok(Printed::ok(render::system_df(&summary)));
    }
    let usage = accounting::image_usage(sim.store());
    let mut images = Vec::new();
    for row in sim.image_rows(false) {
        let Some(u) = usage.iter().find(|u| u.id == row.id) else {
            continue;
        };
        images.push(DfImageRow {
            repository: row.repository.clone(),
            tag: row.tag.clone(),
            id: row.id,
            created: row.created,
            size: u.size,
            shared_size: Some(u.shared_size),
            containers: u.containers as u64,
        });
    }
    let containers: Vec<ContainerRow> = sim
        .containers()
        .iter()
        .rev()
        .map(|c| container_row(sim, c, true))
        .collect();
    let verbose = DfVerbose {
        images,
        containers,
        volumes: volume_rows(sim),
        build_cache: Vec::new(),
        build_cache_size: 0,
    };
    Ok(Printed::ok(render::system_df_verbose(&verbose, sim.now())))
}

fn checkpoint(sim: &mut Simulator, args: &[String]) -> Result<Printed, UsageError> {
    let specs = [flag("leave-running", None, false)];
    let f = parse_flags("checkpoint create", &specs, args, false)?;
    need(
        "checkpoint create",
        f.positional.len() == 2,
        "exactly 2 arguments",
        "[OPTIONS] CONTAINER CHECKPOINT",
        "Create a checkpoint from a running container",
    )?;
    let (name, cp) = (
        f.positional.first().cloned().unwrap_or_default(),
        f.positional.get(1).cloned().unwrap_or_default(),
    );
    let result = sim.find_container(&name).and_then(|idx| {
        let size = sim.checkpoint(idx, &cp)?;
        if !f.on("leave-running") {
            sim.stop_container(idx)?;
        }
        Ok(size)
    });
    Ok(match result {
        Ok(_) => Printed::ok(format!("{cp}\n")),
        Err(e) => Printed::daemon(&e),
    })
}

// ------------------------------------------------------------------ layerlab's own commands

fn lab(sim: &mut Simulator, args: &[String]) -> Printed {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["clock", "advance", secs] => match secs.parse::<i64>() {
            Ok(s) if s >= 0 => {
                sim.advance(s);
                Printed::ok(format!("{}\n", crate::cli::format::rfc3339(sim.now())))
            }
            _ => Printed::err(format!("layerlab: clock advance takes a whole number of seconds, not {secs:?}\n"), 2),
        },
        ["clock", "set", secs] => match secs.parse::<i64>() {
            Ok(s) => {
                sim.set_now(s);
                Printed::ok(format!("{}\n", crate::cli::format::rfc3339(sim.now())))
            }
            _ => Printed::err(format!("layerlab: clock set takes seconds since 1970, not {secs:?}\n"), 2),
        },
        ["clock"] => Printed::ok(format!("{}\n", crate::cli::format::rfc3339(sim.now()))),
        ["ledger"] => Printed::ok(ledger_text(sim)),
        ["formula", image] => formula_text(sim, image),
        _ => Printed::err(
            "layerlab: lab commands are `layerlab clock [advance SECONDS | set UNIX_SECONDS]`, `layerlab ledger` and `layerlab formula IMAGE`\n".into(),
            2,
        ),
    }
}

fn bytes(n: u64) -> String {
    format!("{} ({n} B)", crate::cli::format::human_size_precision(n, 4))
}

fn ledger_text(sim: &Simulator) -> String {
    let l = sim.ledger();
    let mut text = String::from("WHAT\tBYTES\n");
    text.push_str(&format!(
        "image layers (each chain ID once)\t{}\n",
        bytes(l.image_layers)
    ));
    text.push_str(&format!(
        "container writable layers\t{}\n",
        bytes(l.writable_layers())
    ));
    text.push_str(&format!(
        "= what ps -s and the formula count\t{}\n",
        bytes(l.formula_part())
    ));
    text.push_str(&format!("json-file logs\t{}\n", bytes(l.logs())));
    text.push_str(&format!(
        "container config dirs (9 x 4 KiB blocks each)\t{}\n",
        bytes(l.config())
    ));
    text.push_str(&format!("volumes\t{}\n", bytes(l.volumes)));
    text.push_str(&format!("checkpoints\t{}\n", bytes(l.checkpoints())));
    text.push_str(&format!("build cache\t{}\n", bytes(l.build_cache)));
    text.push_str(&format!("= total on the simulated disk\t{}\n", bytes(l.total())));
    super::table::TabWriter::docker().format(&text)
}

fn formula_text(sim: &Simulator, image: &str) -> Printed {
    let Some(id) = sim.resolve_image(image) else {
        return Printed::err(
            format!(
                "Error response from daemon: No such image: {}\n",
                familiar_or(image)
            ),
            1,
        );
    };
    let sizes: Vec<accounting::ContainerSize> = sim
        .containers()
        .iter()
        .filter(|c| c.image == id)
        .map(|c| sim.container_size(c))
        .collect();
    let Some(total) = accounting::formula(&sizes) else {
        return Printed::ok(format!(
            "no containers of {image}: the formula needs at least one\n"
        ));
    };
    let sum: u64 = sizes.iter().map(|s| s.size_rw).sum();
    let one = sizes.first().map_or(0, |s| s.size_root_fs - s.size_rw);
    Printed::ok(format!(
        "{} containers of {image}: SUM(size) {} + one (virtual - size) {} = {}\n",
        sizes.len(),
        bytes(sum),
        bytes(one),
        bytes(total)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn words_split_like_a_shell() {
        assert_eq!(
            split_words(r#"docker exec c sh -c 'echo hi > /f'"#).ok(),
            Some(words(&["docker", "exec", "c", "sh", "-c", "echo hi > /f"]))
        );
        assert_eq!(
            split_words(r#"a "b \"c\"" d\ e"#).ok(),
            Some(words(&["a", "b \"c\"", "d e"]))
        );
        assert_eq!(split_words("a 'b"), Err(UsageError::Quote { quote: '\'' }));
    }

    #[test]
    fn flags_parse_like_pflag() {
        let specs = [
            flag("all", Some('a'), false),
            flag("size", Some('s'), false),
            flag("format", None, true),
            flag("human", Some('H'), false),
        ];
        let f = parse_flags(
            "ps",
            &specs,
            &words(&["-as", "--format={{.ID}}", "-H=false", "x"]),
            false,
        )
        .expect("parses");
        assert!(f.on("all") && f.on("size"));
        assert_eq!(f.value("format").as_deref(), Some("{{.ID}}"));
        assert!(!f.bool_or("human", true));
        assert_eq!(f.positional, words(&["x"]));
        assert_eq!(
            parse_flags("ps", &specs, &words(&["--bogus"]), false)
                .err()
                .map(|e| e.to_string()),
            Some("unknown flag: --bogus\nSee 'docker ps --help'.".to_string())
        );
        let run = parse_flags(
            "run",
            &[flag("detach", Some('d'), false)],
            &words(&["-d", "img", "ls", "-l"]),
            true,
        )
        .expect("parses");
        assert_eq!(run.positional, words(&["img", "ls", "-l"]));
    }

    #[test]
    fn bad_commands_get_dockers_words_and_codes() {
        let mut sim = Simulator::new();
        let out = sim.run_line("docker frobnicate");
        assert_eq!(
            out.stderr,
            "docker: 'frobnicate' is not a docker command.\nSee 'docker --help'\n"
        );
        assert_eq!(out.exit_code, 1);
        let out = sim.run_line("docker ps --bogus");
        assert_eq!(out.exit_code, 125);
        let out = sim.run_line("docker run");
        assert_eq!(out.exit_code, 1);
        assert!(
            out.stderr
                .starts_with("\"docker run\" requires at least 1 argument.\nSee 'docker run --help'.\n")
        );
        let out = sim.run_line("docker run nosuchimage");
        assert_eq!(
            out.stderr,
            "Unable to find image 'nosuchimage:latest' locally\ndocker: Error response from daemon: pull access denied for nosuchimage, repository does not exist or may require 'docker login': denied: requested access to the resource is denied.\nSee 'docker run --help'.\n"
        );
        assert_eq!(out.exit_code, 125);
        let out = sim.run_line("docker images");
        assert_eq!(out.stdout, "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n");
    }
}
