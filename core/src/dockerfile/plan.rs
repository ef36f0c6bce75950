//! From instructions to build steps: ARG and ENV substitution with Docker's scoping rules, and the
//! history text Docker's classic builder (the one behind `/bin/sh -c #(nop) ...` rows) writes.

use std::collections::BTreeMap;

use sha2::{Digest as _, Sha256};

use super::expand::expand_word;
use super::{
    Action, BuildArgs, BuildStep, CommandLine, CreatedBy, Dockerfile, DockerfileError, Healthcheck,
    LayerEffect,
};

/// Proxy variables Docker lets a build use without an ARG line (and keeps out of history).
const BUILTIN_ARGS: [&str; 10] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// Plans a build with no knowledge of the base images' environment: `$PATH` in an ENV line
/// expands to the empty string unless the Dockerfile set it. Use [`plan_with_base_env`] when the
/// base images are known.
pub fn plan(dockerfile: &Dockerfile, build_args: &BuildArgs) -> Result<Vec<BuildStep>, DockerfileError> {
    plan_with_base_env(dockerfile, build_args, |_| Vec::new())
}

/// Plans a build; `base_env(image)` gives the `Env` (`NAME=value` lines) of a base image's config,
/// which ENV, WORKDIR and the other substituting instructions can refer to.
pub fn plan_with_base_env(
    dockerfile: &Dockerfile,
    build_args: &BuildArgs,
    base_env: impl Fn(&str) -> Vec<String>,
) -> Result<Vec<BuildStep>, DockerfileError> {
    let escape = dockerfile.escape;
    let mut stages = Stages::default();
    let mut steps = Vec::new();

    for instruction in &dockerfile.instructions {
        let line = instruction.line;
        let x = |word: &str, env: &BTreeMap<String, String>| {
            expand_word(word, env, escape).map_err(|source| DockerfileError::Expand {
                line,
                word: word.to_owned(),
                source,
            })
        };

        if let Action::From { .. } = &instruction.action {
            if let Some(done) = stages.current.take() {
                stages.finished.push(done);
            }
            steps.push(from_step(
                line,
                &instruction.action,
                &mut stages,
                build_args,
                &base_env,
                escape,
            )?);
            continue;
        }
        let Stages {
            meta_args,
            finished,
            current: stage,
        } = &mut stages;

        // Before the first FROM only ARG may appear (the parser checked); such ARGs feed FROM lines.
        let Some((_, current)) = stage.as_mut() else {
            let Action::Arg(args) = &instruction.action else {
                return Err(DockerfileError::NoBuildStage {
                    line,
                    instruction: instruction.action.keyword(),
                });
            };
            let env = meta_env(meta_args, build_args);
            let mut expanded = Vec::new();
            for (name, default) in args {
                let default = default.as_deref().map(|d| x(d, &env)).transpose()?;
                let value = build_args.get(name).cloned().or_else(|| default.clone());
                meta_args.insert(name.clone(), value);
                expanded.push((name.clone(), default));
            }
            steps.push(BuildStep {
                line,
                stage: 0,
                action: Action::Arg(expanded),
                layer: LayerEffect::None,
                created_by: CreatedBy::None,
                shell: default_shell(),
            });
            continue;
        };

        let env = current.expansion_env(build_args);
        let shell = current.shell.clone();
        let (action, layer, created_by) = match &instruction.action {
            Action::Run { command, .. } => {
                let argv = argv_of(command, &shell);
                let build_args_env = current.visible_args();
                let mut row: Vec<String> = Vec::new();
                if !build_args_env.is_empty() {
                    row.push(format!("|{}", build_args_env.len()));
                    row.extend(build_args_env.iter().cloned());
                }
                row.extend(argv.iter().cloned());
                let action = Action::Run {
                    command: command.clone(),
                    argv,
                    build_args: build_args_env,
                };
                (action, LayerEffect::Commit, CreatedBy::Text(row.join(" ")))
            }
            Action::Cmd { command, .. } => {
                let argv = argv_of(command, &shell);
                let text = nop(&shell, &format!("CMD {}", go_quote_list(&argv)));
                (
                    Action::Cmd {
                        command: command.clone(),
                        argv,
                    },
                    LayerEffect::EmptyLayer,
                    CreatedBy::Text(text),
                )
            }
            Action::Entrypoint { command, .. } => {
                let argv = argv_of(command, &shell);
                let text = nop(&shell, &format!("ENTRYPOINT {}", go_quote_list(&argv)));
                (
                    Action::Entrypoint {
                        command: command.clone(),
                        argv,
                    },
                    LayerEffect::EmptyLayer,
                    CreatedBy::Text(text),
                )
            }
            Action::Copy {
                srcs,
                dest,
                chown,
                chmod,
                from,
                link,
                ..
            } => {
                let srcs = srcs.iter().map(|s| x(s, &env)).collect::<Result<Vec<_>, _>>()?;
                let dest = x(dest, &env)?;
                let chown = chown.as_deref().map(|c| x(c, &env)).transpose()?;
                let chmod = chmod.as_deref().map(|c| x(c, &env)).transpose()?;
                let from = from.as_deref().map(|f| x(f, &env)).transpose()?;
                let from_stage = from.as_deref().and_then(|f| stage_index(f, finished));
                let created_by = copy_row(&shell, "COPY", &dest);
                let action = Action::Copy {
                    srcs,
                    dest,
                    chown,
                    chmod,
                    from,
                    from_stage,
                    link: *link,
                };
                (action, LayerEffect::Commit, created_by)
            }
            Action::Add {
                srcs,
                dest,
                chown,
                chmod,
                link,
            } => {
                let srcs = srcs.iter().map(|s| x(s, &env)).collect::<Result<Vec<_>, _>>()?;
                let dest = x(dest, &env)?;
                let chown = chown.as_deref().map(|c| x(c, &env)).transpose()?;
                let chmod = chmod.as_deref().map(|c| x(c, &env)).transpose()?;
                let created_by = copy_row(&shell, "ADD", &dest);
                (
                    Action::Add {
                        srcs,
                        dest,
                        chown,
                        chmod,
                        link: *link,
                    },
                    LayerEffect::Commit,
                    created_by,
                )
            }
            Action::Env(pairs) => {
                // Every pair is substituted with the environment from before this line, as Docker does.
                let pairs = expand_pairs(pairs, &env, &x)?;
                for (k, v) in &pairs {
                    current.set_env(k, v);
                }
                let text = nop(&shell, &format!("ENV {}", join_pairs(&pairs)));
                (Action::Env(pairs), LayerEffect::EmptyLayer, CreatedBy::Text(text))
            }
            Action::Label(pairs) => {
                let pairs = expand_pairs(pairs, &env, &x)?;
                let text = nop(&shell, &format!("LABEL {}", join_pairs(&pairs)));
                (
                    Action::Label(pairs),
                    LayerEffect::EmptyLayer,
                    CreatedBy::Text(text),
                )
            }
            Action::Expose(ports) => {
                // EXPOSE is the one instruction where one word may expand to several (`EXPOSE $PORTS`).
                let mut expanded = Vec::new();
                for p in ports {
                    expanded.extend(x(p, &env)?.split_whitespace().map(str::to_owned));
                }
                for p in &expanded {
                    check_port(p, line)?;
                }
                let text = nop(&shell, &format!("EXPOSE {}", expanded.join(" ")));
                (
                    Action::Expose(expanded),
                    LayerEffect::EmptyLayer,
                    CreatedBy::Text(text),
                )
            }
            Action::Workdir(path) => {
                let path = join_workdir(&current.workdir, &x(path, &env)?);
                current.workdir = path.clone();
                // The classic builder creates the directory in a container and commits it, with the
                // single-space `#(nop) ` form it also uses for COPY.
                let text = format!("{} #(nop) WORKDIR {path}", shell.join(" "));
                (Action::Workdir(path), LayerEffect::Commit, CreatedBy::Text(text))
            }
            Action::User(user) => {
                let user = x(user, &env)?;
                let text = nop(&shell, &format!("USER {user}"));
                (Action::User(user), LayerEffect::EmptyLayer, CreatedBy::Text(text))
            }
            Action::Volume(volumes) => {
                let volumes = volumes
                    .iter()
                    .map(|v| x(v, &env))
                    .collect::<Result<Vec<_>, _>>()?;
                if volumes.iter().any(|v| v.trim().is_empty()) {
                    return Err(DockerfileError::EmptyVolume { line });
                }
                let text = nop(&shell, &format!("VOLUME [{}]", volumes.join(" ")));
                (
                    Action::Volume(volumes),
                    LayerEffect::EmptyLayer,
                    CreatedBy::Text(text),
                )
            }
            Action::Arg(args) => {
                let mut expanded = Vec::new();
                let mut parts = Vec::new();
                for (name, default) in args {
                    let default = default.as_deref().map(|d| x(d, &env)).transpose()?;
                    let value = build_args
                        .get(name)
                        .cloned()
                        .or_else(|| default.clone())
                        .or_else(|| meta_args.get(name).cloned().flatten());
                    current.args.insert(name.clone(), value);
                    parts.push(match &default {
                        Some(d) => format!("{name}={d}"),
                        None => name.clone(),
                    });
                    expanded.push((name.clone(), default));
                }
                let text = nop(&shell, &format!("ARG {}", parts.join(" ")));
                (
                    Action::Arg(expanded),
                    LayerEffect::EmptyLayer,
                    CreatedBy::Text(text),
                )
            }
            Action::StopSignal(signal) => {
                let signal = x(signal, &env)?;
                check_signal(&signal, line)?;
                let text = nop(&shell, &format!("STOPSIGNAL {signal}"));
                (
                    Action::StopSignal(signal),
                    LayerEffect::EmptyLayer,
                    CreatedBy::Text(text),
                )
            }
            Action::Shell(new_shell) => {
                current.shell = new_shell.clone();
                let text = nop(new_shell, &format!("SHELL [{}]", new_shell.join(" ")));
                (
                    Action::Shell(new_shell.clone()),
                    LayerEffect::EmptyLayer,
                    CreatedBy::Text(text),
                )
            }
            Action::Healthcheck(hc) => {
                let text = nop(&shell, &format!("HEALTHCHECK {}", go_healthcheck(hc)));
                (
                    Action::Healthcheck(hc.clone()),
                    LayerEffect::EmptyLayer,
                    CreatedBy::Text(text),
                )
            }
            Action::Maintainer(m) => {
                let text = nop(&shell, &format!("MAINTAINER {m}"));
                (
                    Action::Maintainer(m.clone()),
                    LayerEffect::EmptyLayer,
                    CreatedBy::Text(text),
                )
            }
            Action::OnBuild(trigger) => {
                let text = nop(&shell, &format!("ONBUILD {trigger}"));
                (
                    Action::OnBuild(trigger.clone()),
                    LayerEffect::EmptyLayer,
                    CreatedBy::Text(text),
                )
            }
            Action::From { .. } => continue,
        };
        let stage_index = finished.len();
        steps.push(BuildStep {
            line,
            stage: stage_index,
            action,
            layer,
            created_by,
            shell,
        });
    }
    Ok(steps)
}

/// The state of the stage being planned.
#[derive(Debug, Clone)]
struct Stage {
    /// The config's `Env`, in order (ENV replaces a name in place, as Docker does).
    env: Vec<(String, String)>,
    /// ARGs declared in this stage, with their values (`None`: declared without any value).
    args: BTreeMap<String, Option<String>>,
    shell: Vec<String>,
    workdir: String,
}

impl Stage {
    fn new(env: Vec<(String, String)>) -> Self {
        Self {
            env,
            args: BTreeMap::new(),
            shell: default_shell(),
            workdir: String::new(),
        }
    }

    fn set_env(&mut self, key: &str, value: &str) {
        match self.env.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value.to_owned(),
            None => self.env.push((key.to_owned(), value.to_owned())),
        }
    }

    /// ENV wins over ARG of the same name; proxy variables need no ARG line.
    fn expansion_env(&self, build_args: &BuildArgs) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        for name in BUILTIN_ARGS {
            if let Some(v) = build_args.get(name) {
                env.insert(name.to_owned(), v.clone());
            }
        }
        for (k, v) in &self.args {
            if let Some(v) = v {
                env.insert(k.clone(), v.clone());
            }
        }
        for (k, v) in &self.env {
            env.insert(k.clone(), v.clone());
        }
        env
    }

    /// `NAME=value` of the declared ARGs that have a value and are not shadowed by ENV, sorted:
    /// what a RUN sees and what the classic builder writes in front of its history row.
    fn visible_args(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .args
            .iter()
            .filter(|(k, _)| !self.env.iter().any(|(e, _)| e == *k))
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
            .collect();
        crate::sort::sort(&mut out);
        out
    }
}

fn default_shell() -> Vec<String> {
    vec!["/bin/sh".to_owned(), "-c".to_owned()]
}

fn meta_env(
    meta_args: &BTreeMap<String, Option<String>>,
    build_args: &BuildArgs,
) -> BTreeMap<String, String> {
    // `extend`, not `collect`: see crate::sort on BTree collects.
    let mut env = BTreeMap::<String, String>::new();
    env.extend(
        BUILTIN_ARGS
            .iter()
            .filter_map(|n| build_args.get(*n).map(|v| ((*n).to_owned(), v.clone()))),
    );
    env.extend(
        meta_args
            .iter()
            .filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v))),
    );
    env
}

/// The build arguments that no ARG line declares, sorted: Docker builds anyway and warns
/// `[Warning] One or more build-args [NAME] were not consumed`. Proxy variables never warn.
pub fn unused_build_args(dockerfile: &Dockerfile, build_args: &BuildArgs) -> Vec<String> {
    build_args
        .keys()
        .filter(|name| !BUILTIN_ARGS.contains(&name.as_str()))
        .filter(|name| {
            !dockerfile.instructions.iter().any(|i| match &i.action {
                Action::Arg(args) => args.iter().any(|(n, _)| n == *name),
                _ => false,
            })
        })
        .cloned()
        .collect()
}

/// Where the planner is: global ARGs, the stages done (by name) and the one being planned.
#[derive(Debug, Default)]
struct Stages {
    meta_args: BTreeMap<String, Option<String>>,
    finished: Vec<(Option<String>, Stage)>,
    current: Option<(Option<String>, Stage)>,
}

/// Starts a stage: FROM is substituted with the global ARGs only, and may name an earlier stage.
fn from_step(
    line: usize,
    action: &Action,
    stages: &mut Stages,
    build_args: &BuildArgs,
    base_env: &impl Fn(&str) -> Vec<String>,
    escape: char,
) -> Result<BuildStep, DockerfileError> {
    let Stages {
        meta_args,
        finished,
        current: stage,
    } = stages;
    let Action::From {
        image,
        name,
        platform,
        ..
    } = action
    else {
        return Err(DockerfileError::FromArguments { line });
    };
    let env = meta_env(meta_args, build_args);
    let x = |word: &str| {
        expand_word(word, &env, escape).map_err(|source| DockerfileError::Expand {
            line,
            word: word.to_owned(),
            source,
        })
    };
    let expanded = x(image)?;
    if expanded.trim().is_empty() {
        return Err(DockerfileError::BlankBaseName {
            line,
            written: image.clone(),
        });
    }
    let platform = platform.as_deref().map(x).transpose()?;
    let base_stage =
        stage_index(&expanded, finished).filter(|_| !expanded.chars().all(|c| c.is_ascii_digit()));
    let new_stage = match base_stage.and_then(|i| finished.get(i)) {
        Some((_, s)) => Stage {
            args: BTreeMap::new(),
            ..s.clone()
        },
        None => Stage::new(base_env(&expanded).iter().map(|kv| split_env(kv)).collect()),
    };
    *stage = Some((name.clone(), new_stage));
    Ok(BuildStep {
        line,
        stage: finished.len(),
        action: Action::From {
            image: expanded,
            name: name.clone(),
            platform,
            stage: base_stage,
        },
        layer: LayerEffect::BaseImage,
        created_by: CreatedBy::None,
        shell: default_shell(),
    })
}

fn split_env(kv: &str) -> (String, String) {
    match kv.split_once('=') {
        Some((k, v)) => (k.to_owned(), v.to_owned()),
        None => (kv.to_owned(), String::new()),
    }
}

/// An earlier stage named `name` (case-insensitively), or numbered `name`.
fn stage_index(name: &str, finished: &[(Option<String>, Stage)]) -> Option<usize> {
    let lower = name.to_ascii_lowercase();
    if let Some(i) = finished
        .iter()
        .position(|(n, _)| n.as_deref() == Some(lower.as_str()))
    {
        return Some(i);
    }
    name.parse::<usize>().ok().filter(|i| *i < finished.len())
}

fn expand_pairs(
    pairs: &[(String, String)],
    env: &BTreeMap<String, String>,
    x: &impl Fn(&str, &BTreeMap<String, String>) -> Result<String, DockerfileError>,
) -> Result<Vec<(String, String)>, DockerfileError> {
    pairs.iter().map(|(k, v)| Ok((x(k, env)?, x(v, env)?))).collect()
}

fn join_pairs(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn argv_of(command: &CommandLine, shell: &[String]) -> Vec<String> {
    match command {
        CommandLine::Exec(argv) => argv.clone(),
        CommandLine::Shell(cmd) => shell
            .iter()
            .cloned()
            .chain(std::iter::once(cmd.clone()))
            .collect(),
    }
}

/// A metadata row: Docker appends `"#(nop) "` and the comment as two argv words, so the joined text
/// has two spaces after `#(nop)`.
fn nop(shell: &[String], comment: &str) -> String {
    format!("{} #(nop)  {comment}", shell.join(" "))
}

/// COPY/ADD rows are one word, `"#(nop) COPY <hash> in <dest> "`, trailing space included.
fn copy_row(shell: &[String], keyword: &str, dest: &str) -> CreatedBy {
    CreatedBy::WithSourceHash {
        before: format!("{} #(nop) {keyword} ", shell.join(" ")),
        after: format!(" in {dest} "),
    }
}

/// The classic builder's name for several COPY/ADD sources: `multi:` + sha256 of their
/// `file:`/`dir:` names joined with commas.
pub fn source_hash_multi(hashes: &[String]) -> String {
    format!(
        "multi:{}",
        hex::encode(Sha256::digest(hashes.join(",").as_bytes()))
    )
}

/// `path.Join(current, new)` for a relative WORKDIR, then cleaned.
fn join_workdir(current: &str, new: &str) -> String {
    let joined = if new.starts_with('/') {
        new.to_owned()
    } else {
        format!("{}/{new}", if current.is_empty() { "/" } else { current })
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

fn check_port(spec: &str, line: usize) -> Result<(), DockerfileError> {
    let bad = || DockerfileError::BadPort {
        line,
        port: spec.to_owned(),
    };
    let (ports, proto) = spec.split_once('/').unwrap_or((spec, "tcp"));
    if !["tcp", "udp", "sctp"].contains(&proto.to_ascii_lowercase().as_str()) {
        return Err(bad());
    }
    let port = |p: &str| p.parse::<u16>().ok().filter(|n| *n > 0);
    let ok = match ports.split_once('-') {
        Some((a, b)) => matches!((port(a), port(b)), (Some(a), Some(b)) if a <= b),
        None => port(ports).is_some(),
    };
    if ok { Ok(()) } else { Err(bad()) }
}

fn check_signal(signal: &str, line: usize) -> Result<(), DockerfileError> {
    const NAMES: [&str; 36] = [
        "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL",
        "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP",
        "TTIN", "TTOU", "UNUSED", "URG", "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ", "RTMIN",
    ];
    let ok = match signal.parse::<u32>() {
        Ok(n) => (1..=64).contains(&n),
        Err(_) => {
            let upper = signal.to_ascii_uppercase();
            let name = upper.strip_prefix("SIG").unwrap_or(&upper);
            let realtime = |prefix: &str| {
                name.strip_prefix(prefix)
                    .is_some_and(|n| n.parse::<u32>().is_ok_and(|k| (1..=15).contains(&k)))
            };
            NAMES.contains(&name) || name == "RTMAX" || realtime("RTMIN+") || realtime("RTMAX-")
        }
    };
    if ok {
        Ok(())
    } else {
        Err(DockerfileError::BadSignal {
            line,
            signal: signal.to_owned(),
        })
    }
}

/// Go's `%q` of a `[]string`: `["nginx" "-g" "daemon off;"]`.
fn go_quote_list(items: &[String]) -> String {
    format!(
        "[{}]",
        items.iter().map(|s| go_quote(s)).collect::<Vec<_>>().join(" ")
    )
}

/// Go's `strconv.Quote`.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `%q` of a small integer: a quoted rune (`'\x00'`, `'\x03'`).
fn go_quote_rune(n: u32) -> String {
    match char::from_u32(n) {
        Some(c) if (0x20..0x7f).contains(&n) && c != '\'' && c != '\\' => format!("'{c}'"),
        Some('\'') => "'\\''".to_owned(),
        Some('\\') => "'\\\\'".to_owned(),
        _ if n < 0x80 => format!("'\\x{n:02x}'"),
        _ => format!("'\\u{n:04x}'"),
    }
}

/// Go's `time.Duration.String()`.
fn go_duration_string(ns: u64) -> String {
    fn frac(value: u64, unit: u64) -> String {
        let whole = value / unit;
        let rest = value % unit;
        if rest == 0 {
            return whole.to_string();
        }
        let width = unit.to_string().len() - 1;
        let digits = format!("{rest:0width$}");
        format!("{whole}.{}", digits.trim_end_matches('0'))
    }
    match ns {
        0 => "0s".to_owned(),
        n if n < 1_000 => format!("{n}ns"),
        n if n < 1_000_000 => format!("{}µs", frac(n, 1_000)),
        n if n < 1_000_000_000 => format!("{}ms", frac(n, 1_000_000)),
        n => {
            let minutes = n / 60_000_000_000;
            let seconds = frac(n % 60_000_000_000, 1_000_000_000);
            match (minutes / 60, minutes % 60) {
                (0, 0) => format!("{seconds}s"),
                (0, m) => format!("{m}m{seconds}s"),
                (h, m) => format!("{h}h{m}m{seconds}s"),
            }
        }
    }
}

/// `%q` of Docker 20.10's `*container.HealthConfig`, which is what lands in the history row.
fn go_healthcheck(hc: &Healthcheck) -> String {
    format!(
        "&{{{} {} {} {} {}}}",
        go_quote_list(&hc.test),
        go_quote(&go_duration_string(hc.interval_ns)),
        go_quote(&go_duration_string(hc.timeout_ns)),
        go_quote(&go_duration_string(hc.start_period_ns)),
        go_quote_rune(hc.retries)
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::dockerfile::parse;

    fn rows(text: &str, args: &[(&str, &str)]) -> Vec<(LayerEffect, Option<String>)> {
        let args: BuildArgs = args
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let steps = plan(&parse(text).unwrap(), &args).unwrap();
        steps
            .iter()
            .map(|s| (s.layer, s.created_by.render("file:abc")))
            .collect()
    }

    #[test]
    fn lesson_dockerfile_golden_history() {
        let got = rows(
            "FROM ubuntu:15.04\nCOPY . /app\nRUN make /app\nCMD python /app/app.py\n",
            &[],
        );
        assert_eq!(
            got,
            [
                (LayerEffect::BaseImage, None),
                (
                    LayerEffect::Commit,
                    Some("/bin/sh -c #(nop) COPY file:abc in /app ".to_owned())
                ),
                (LayerEffect::Commit, Some("/bin/sh -c make /app".to_owned())),
                (
                    LayerEffect::EmptyLayer,
                    Some("/bin/sh -c #(nop)  CMD [\"/bin/sh\" \"-c\" \"python /app/app.py\"]".to_owned())
                ),
            ]
        );
    }

    #[test]
    fn nginx_1_15_8_dockerfile_golden_history() {
        let text = r#"FROM debian:stretch-slim

LABEL maintainer="NGINX Docker Maintainers <docker-maint@nginx.com>"

ENV NGINX_VERSION 1.15.8-1~stretch
ENV NJS_VERSION   1.15.8.0.2.7-1~stretch

RUN set -x \
	&& apt-get update \
	&& apt-get install --no-install-recommends --no-install-suggests -y gnupg1 apt-transport-https ca-certificates

# forward request and error logs to docker log collector
RUN ln -sf /dev/stdout /var/log/nginx/access.log \
	&& ln -sf /dev/stderr /var/log/nginx/error.log

EXPOSE 80

STOPSIGNAL SIGTERM

CMD ["nginx", "-g", "daemon off;"]
"#;
        let got: Vec<_> = rows(text, &[]).into_iter().filter_map(|(_, t)| t).collect();
        assert_eq!(
            got,
            [
                "/bin/sh -c #(nop)  LABEL maintainer=NGINX Docker Maintainers <docker-maint@nginx.com>",
                "/bin/sh -c #(nop)  ENV NGINX_VERSION=1.15.8-1~stretch",
                "/bin/sh -c #(nop)  ENV NJS_VERSION=1.15.8.0.2.7-1~stretch",
                "/bin/sh -c set -x \t&& apt-get update \t&& apt-get install --no-install-recommends --no-install-suggests -y gnupg1 apt-transport-https ca-certificates",
                "/bin/sh -c ln -sf /dev/stdout /var/log/nginx/access.log \t&& ln -sf /dev/stderr /var/log/nginx/error.log",
                "/bin/sh -c #(nop)  EXPOSE 80",
                "/bin/sh -c #(nop)  STOPSIGNAL SIGTERM",
                "/bin/sh -c #(nop)  CMD [\"nginx\" \"-g\" \"daemon off;\"]",
            ]
        );
    }

    #[test]
    fn build_args_prefix_run_rows_and_substitute() {
        let text = "ARG BASE=alpine\nFROM $BASE:3.19\nARG VERSION=1\nARG UNSET\nENV APP=/srv/app-${VERSION}\nWORKDIR $APP\nRUN make\nRUN [\"make\", \"install\"]\n";
        let args: BuildArgs = [("VERSION".to_owned(), "2".to_owned())].into();
        let steps = plan(&parse(text).unwrap(), &args).unwrap();
        assert_eq!(
            steps[1].action,
            Action::From {
                image: "alpine:3.19".into(),
                name: None,
                platform: None,
                stage: None
            }
        );
        assert_eq!(
            steps[2].created_by.render(""),
            Some("/bin/sh -c #(nop)  ARG VERSION=1".into())
        );
        assert_eq!(
            steps[4].created_by.render(""),
            Some("/bin/sh -c #(nop)  ENV APP=/srv/app-2".into())
        );
        assert_eq!(steps[5].action, Action::Workdir("/srv/app-2".into()));
        assert_eq!(
            steps[5].created_by.render(""),
            Some("/bin/sh -c #(nop) WORKDIR /srv/app-2".into())
        );
        assert_eq!(
            steps[6].created_by.render(""),
            Some("|1 VERSION=2 /bin/sh -c make".into())
        );
        assert_eq!(
            steps[7].created_by.render(""),
            Some("|1 VERSION=2 make install".into())
        );
    }

    #[test]
    fn env_overrides_arg_and_multi_stage_copy_resolves_the_stage() {
        let text = "FROM golang AS build\nARG X=arg\nENV X=env\nRUN echo $X\nFROM alpine\nCOPY --from=build /go/bin/app /app\nCOPY --from=nginx:1.15.8 /etc/nginx /etc/nginx\n";
        let steps = plan(&parse(text).unwrap(), &BuildArgs::new()).unwrap();
        assert_eq!(
            steps[3].created_by.render(""),
            Some("/bin/sh -c echo $X".into()),
            "ENV shadows the ARG, so no |1 prefix"
        );
        let Action::Copy { from_stage, .. } = &steps[5].action else {
            panic!("not a copy")
        };
        assert_eq!(*from_stage, Some(0));
        let Action::Copy { from_stage, from, .. } = &steps[6].action else {
            panic!("not a copy")
        };
        assert_eq!((*from_stage, from.as_deref()), (None, Some("nginx:1.15.8")));
        assert_eq!(steps[4].stage, 1);
    }

    #[test]
    fn metadata_rows_match_docker() {
        let text = "FROM a\nSHELL [\"/bin/bash\", \"-c\"]\nVOLUME /data /logs\nUSER nginx\nHEALTHCHECK --interval=5m --timeout=3s CMD curl -f http://localhost/ || exit 1\nENTRYPOINT [\"/docker-entrypoint.sh\"]\nONBUILD COPY . /src\nEXPOSE 80/udp 443\n";
        let got: Vec<_> = rows(text, &[]).into_iter().filter_map(|(_, t)| t).collect();
        assert_eq!(
            got,
            [
                "/bin/bash -c #(nop)  SHELL [/bin/bash -c]",
                "/bin/bash -c #(nop)  VOLUME [/data /logs]",
                "/bin/bash -c #(nop)  USER nginx",
                "/bin/bash -c #(nop)  HEALTHCHECK &{[\"CMD-SHELL\" \"curl -f http://localhost/ || exit 1\"] \"5m0s\" \"3s\" \"0s\" '\\x00'}",
                "/bin/bash -c #(nop)  ENTRYPOINT [\"/docker-entrypoint.sh\"]",
                "/bin/bash -c #(nop)  ONBUILD COPY . /src",
                "/bin/bash -c #(nop)  EXPOSE 80/udp 443",
            ]
        );
    }

    #[test]
    fn plan_errors_carry_the_line() {
        let err = |text: &str| {
            plan(&parse(text).unwrap(), &BuildArgs::new())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err("FROM ${0:+0}"),
            "dockerfile parse error on line 1: base name (${0:+0}) should not be blank"
        );
        assert_eq!(
            err("FROM a\nENV A=${B"),
            "dockerfile parse error on line 2: failed to process \"${B\": syntax error: missing '}'"
        );
        assert_eq!(
            err("FROM a\nEXPOSE http"),
            "dockerfile parse error on line 2: invalid containerPort: http"
        );
        assert_eq!(
            err("FROM a\nSTOPSIGNAL SIGNOPE"),
            "dockerfile parse error on line 2: Invalid signal: SIGNOPE"
        );
    }

    #[test]
    fn undeclared_build_args_are_reported() {
        let d = parse("ARG BASE=alpine\nFROM $BASE\nARG VERSION\nRUN make").unwrap();
        let args: BuildArgs = [
            ("VERSION", "2"),
            ("BASE", "debian"),
            ("TYPO", "x"),
            ("http_proxy", "http://p:3128"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(unused_build_args(&d, &args), ["TYPO"]);
    }

    #[test]
    fn go_formatting_helpers() {
        assert_eq!(go_duration_string(90_000_000_000), "1m30s");
        assert_eq!(go_duration_string(3_600_000_000_000), "1h0m0s");
        assert_eq!(go_duration_string(1_500_000_000), "1.5s");
        assert_eq!(go_duration_string(500_000_000), "500ms");
        assert_eq!(go_quote("a\"b\\c\td"), "\"a\\\"b\\\\c\\td\"");
        assert_eq!(go_quote_rune(3), "'\\x03'");
        assert_eq!(join_workdir("/usr", "src/../app"), "/usr/app");
        assert_eq!(
            source_hash_multi(&["file:a".into(), "dir:b".into()]).len(),
            "multi:".len() + 64
        );
    }
}
