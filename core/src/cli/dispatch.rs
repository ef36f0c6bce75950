//! From a command line to engine calls to printed output. Both terminals come through here, so
//! they print the same bytes for the same line.
//!
//! The line is split and parsed by [`super::args`] into a [`Command`]; each command is a short
//! function over the engine's typed operations, and what it prints comes from [`super::render`].
//! Lines starting with `layerlab` may also be the lab's own commands (the clock, the ledger, the
//! formula), which Docker does not have.

use super::args::{self, Command};
use super::format::command_text;
use super::render::{
    self, ContainerRow, ContainerStatus, DfImageRow, DfVerbose, DiffKind, RmiLine, VolumeRow,
};
use crate::accounting;
use crate::container::ChangeKind;
use crate::digest::Digest;
use crate::engine::{
    ContainerRecord, ContainerState, CreateOptions, EngineError, LoadError, LoadReport, Output, PullReport,
    PullStatus, Simulator, Stream,
};
use crate::reference::Reference;

/// What one command prints, before events are attached: both streams, and the order their parts
/// were printed in.
#[derive(Debug, Default)]
struct Printed {
    stdout: String,
    stderr: String,
    code: i32,
    runs: Vec<(Stream, usize)>,
}

impl Printed {
    fn ok(stdout: String) -> Self {
        let mut p = Self::default();
        p.print(&stdout);
        p
    }
    fn err(stderr: String, code: i32) -> Self {
        let mut p = Self::default();
        p.eprint(&stderr);
        p.code = code;
        p
    }
    /// `stdout`, then an error on stderr with `code`: a command that failed part way.
    fn failed(stdout: String, stderr: &str, code: i32) -> Self {
        let mut p = Self::ok(stdout);
        p.eprint(stderr);
        p.code = code;
        p
    }
    fn print(&mut self, text: &str) {
        self.stdout.push_str(text);
        self.note(Stream::Stdout, text.len());
    }
    fn eprint(&mut self, text: &str) {
        self.stderr.push_str(text);
        self.note(Stream::Stderr, text.len());
    }
    fn note(&mut self, stream: Stream, len: usize) {
        match self.runs.last_mut() {
            _ if len == 0 => {}
            Some((last, n)) if *last == stream => *n += len,
            _ => self.runs.push((stream, len)),
        }
    }
    /// A process's output (`run`, `exec`, `start -a`) after what was printed so far. The
    /// simulated processes keep their two streams apart, so their stdout comes first.
    fn process(&mut self, stdout: &str, stderr: &str) {
        self.print(stdout);
        self.eprint(stderr);
    }
    /// A daemon error as the CLI prints it for most commands.
    fn daemon(e: &EngineError) -> Self {
        Self::err(format!("Error response from daemon: {e}\n"), 1)
    }
}

/// Parses and runs one line against the simulator.
pub fn run_line(sim: &mut Simulator, line: &str) -> Output {
    run_line_with_input(sim, line, None)
}

/// [`run_line`] with the bytes of the line's input file (`docker load -i FILE`), read by the caller.
pub fn run_line_with_input(sim: &mut Simulator, line: &str, input: Option<&[u8]>) -> Output {
    let printed = match args::split_line(line) {
        Err(e) => Printed::err(format!("{e}\n"), e.exit_code()),
        Ok(words) => match words.split_first() {
            None => Printed::default(),
            Some((head, rest))
                if head == "layerlab" && rest.first().is_some_and(|w| LAB_COMMANDS.contains(&w.as_str())) =>
            {
                lab(sim, rest)
            }
            Some(_) => match args::parse(&words) {
                Ok(command) => docker(sim, command, input),
                Err(e) => Printed::err(format!("{e}\n"), e.exit_code()),
            },
        },
    };
    Output {
        stdout: printed.stdout,
        stderr: printed.stderr,
        exit_code: printed.code,
        events: Vec::new(),
        runs: printed.runs,
    }
}

/// The lab's own commands, after `layerlab`.
pub const LAB_COMMANDS: [&str; 4] = ["clock", "ledger", "formula", "checkpoint"];

fn docker(sim: &mut Simulator, command: Command, input: Option<&[u8]>) -> Printed {
    match command {
        Command::Run(a) => run(sim, &a, true),
        Command::Create(a) => run(sim, &a, false),
        Command::Start(a) => start(sim, &a),
        Command::Stop(a) => each_container(sim, &a.containers, "Error response from daemon: ", |sim, idx| {
            sim.stop_container(idx)
        }),
        Command::Rm(a) => each_container(sim, &a.containers, "Error: ", |sim, idx| sim.remove_container(idx, a.force)),
        Command::Exec(a) => exec(sim, &a.container, &a.command),
        Command::Ps(a) => ps(sim, &a),
        Command::Images(a) => images(sim, &a),
        Command::Pull { image, quiet, .. } => pull(sim, &image, quiet),
        Command::Push { image, .. } => Printed::err(
            format!("Error response from daemon: the simulator has no registry to push {image} to\n"),
            1,
        ),
        Command::Load { input: file } => load(sim, file.as_deref(), input),
        Command::Rmi(a) => rmi(sim, &a.images),
        Command::Tag { source, target } => tag(sim, &source, &target),
        Command::History { image, args } => history(sim, &image, &args),
        Command::Inspect(a) => inspect(sim, &a),
        Command::Diff { container } => diff(sim, &container),
        Command::Commit { container, repository, .. } => commit(sim, &container, repository.as_deref()),
        Command::Build { context, args } => build(sim, &context, &args),
        Command::Logs { container, args } => logs(sim, &container, &args),
        Command::VolumeCreate { name, .. } => match sim.create_volume(name.as_deref()) {
            Ok(n) => Printed::ok(format!("{n}\n")),
            Err(e) => Printed::daemon(&e),
        },
        Command::VolumeLs(a) => Printed::ok(render::volume_ls(&volume_rows(sim), a.quiet)),
        Command::VolumeRm(a) => volume_rm(sim, &a.names, a.force),
        Command::VolumeInspect { names, format } => volume_inspect(sim, &names, format.as_deref()),
        Command::SystemDf(a) => system_df(sim, a.verbose),
        Command::Login { .. } => Printed::err(
            "Error response from daemon: the simulator has no registry to log in to: every image comes from its catalog\n"
                .into(),
            1,
        ),
        Command::Help { text } => Printed::ok(text),
        // The grammar may know commands the simulator does not model yet: say so plainly.
        #[allow(unreachable_patterns)]
        other => Printed::err(format!("layerlab: the simulator does not model this command yet: {other:?}\n"), 1),
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

fn pull(sim: &mut Simulator, name: &str, quiet: bool) -> Printed {
    let mut out = String::new();
    match Reference::parse(name) {
        Ok(r) if !r.has_explicit_tag() && r.digest().is_none() && !quiet => {
            out.push_str(&format!("{}\n", render::using_default_tag()))
        }
        Ok(_) => {}
        Err(e) => return Printed::err(format!("{e}\n"), 1),
    }
    match sim.pull(name) {
        Ok(report) if quiet => Printed::ok(format!("{}\n", report.full)),
        Ok(report) => {
            out.push_str(&pull_text(&report, true));
            Printed::ok(out)
        }
        Err(e) => Printed::failed(out, &format!("Error response from daemon: {e}\n"), 1),
    }
}

// ------------------------------------------------------------------ load

/// What `docker load` prints once the archive is in: one line per name, or the ID of an image
/// saved without one; a name that moved away from another image says so first, as Docker does.
pub fn load_text(report: &LoadReport) -> String {
    let mut out = String::new();
    for image in &report.images {
        for (name, old) in &image.renamed {
            out.push_str(&format!(
                "The image {name} already exists, renaming the old one with ID {old} to empty string\n"
            ));
        }
        if image.tags.is_empty() {
            out.push_str(&format!("Loaded image ID: {}\n", image.id));
        }
        for name in &image.tags {
            out.push_str(&format!("Loaded image: {name}\n"));
        }
    }
    out
}

/// Why a load changed nothing, as the CLI prints a daemon's refusal.
pub fn load_error_text(e: &LoadError) -> String {
    format!("Error response from daemon: {e}\n")
}

fn load(sim: &mut Simulator, file: Option<&str>, input: Option<&[u8]>) -> Printed {
    match (input, file) {
        (Some(bytes), _) => match sim.load(bytes) {
            Ok(report) => Printed::ok(load_text(&report)),
            Err(e) => Printed::err(load_error_text(&e), 1),
        },
        (None, Some(file)) => Printed::err(
            format!(
                "Error: could not read {file}: the simulator has no file system of its own; drop the archive onto the page, or run `layerlab --engine sim load -i {file}` where the file is\n"
            ),
            1,
        ),
        // Docker's words when stdin is a terminal rather than a piped archive.
        (None, None) => Printed::err("requested load from stdin, but stdin is empty\n".to_string(), 1),
    }
}

// ------------------------------------------------------------------ run / create / start / exec

fn run(sim: &mut Simulator, a: &args::RunArgs, is_run: bool) -> Printed {
    let command = if is_run { "run" } else { "create" };
    // Docker's client words a failed run this way; a create that the daemon refuses prints the
    // daemon's error alone and exits 1, and only its own refusals get the pointer to the help.
    let fail = |mut p: Printed, msg: String, code: i32, from_daemon: bool| {
        let msg = if from_daemon {
            format!("Error response from daemon: {msg}")
        } else {
            msg
        };
        if !is_run && from_daemon {
            p.eprint(&format!("{msg}\n"));
            p.code = 1;
        } else {
            p.eprint(&format!(
                "docker: {msg}\n\nRun 'docker {command} --help' for more information\n"
            ));
            p.code = code;
        }
        p
    };
    let reference = match Reference::parse(&a.image) {
        Ok(r) => r,
        Err(e) => return fail(Printed::default(), e.to_string(), 125, false),
    };
    // Docker says it has to pull on stderr first, then pulls on stdout.
    let mut p = Printed::default();
    if sim.resolve_image(&a.image).is_none() {
        p.eprint(&format!("{}\n", render::unable_to_find_locally(&reference)));
        match sim.pull(&a.image) {
            Ok(report) => p.print(&pull_text(&report, false)),
            Err(e) => return fail(p, e.to_string(), 125, true),
        }
    }
    let opts = CreateOptions {
        image: a.image.clone(),
        name: a.name.clone(),
        command: a.command.clone(),
        entrypoint: a.entrypoint.clone(),
        volumes: a.volumes.clone(),
        log_opts: a.log_opt.clone(),
        auto_remove: a.rm,
    };
    let id = match sim.create_container(&opts) {
        Ok(id) => id,
        Err(e) => return fail(p, e.to_string(), 125, true),
    };
    if !is_run {
        p.print(&format!("{}\n", id.hex()));
        return p;
    }
    let Ok(idx) = sim.find_container(&id.hex()) else {
        return p;
    };
    match sim.start_container(idx, !a.detach) {
        Ok(outcome) => {
            if a.detach {
                p.print(&format!("{}\n", id.hex()));
            } else {
                p.process(&outcome.stdout, &outcome.stderr);
                p.code = outcome.exit_code.unwrap_or(0);
            }
            p
        }
        Err(e) => {
            let code = if matches!(e, EngineError::ExecutableNotFound { .. }) {
                127
            } else {
                125
            };
            if a.detach {
                p.print(&format!("{}\n", id.hex()));
            }
            fail(p, e.to_string(), code, true)
        }
    }
}

/// Runs `act` on each named container, echoing the name on success as Docker does.
fn each_container(
    sim: &mut Simulator,
    names: &[String],
    missing_prefix: &str,
    mut act: impl FnMut(&mut Simulator, usize) -> Result<(), EngineError>,
) -> Printed {
    let mut out = Printed::default();
    for name in names {
        match sim.find_container(name).and_then(|idx| act(sim, idx)) {
            Ok(()) => out.print(&format!("{name}\n")),
            Err(EngineError::NoSuchContainer { .. }) => {
                out.eprint(&format!("{missing_prefix}No such container: {name}\n"));
                out.code = 1;
            }
            Err(e) => {
                out.eprint(&format!("Error response from daemon: {e}\n"));
                out.code = 1;
            }
        }
    }
    out
}

fn start(sim: &mut Simulator, a: &args::StartArgs) -> Printed {
    let mut attached = Printed::default();
    let printed = each_container(sim, &a.containers, "Error response from daemon: ", |sim, idx| {
        let outcome = sim.start_container(idx, false)?;
        attached.stdout.push_str(&outcome.stdout);
        attached.stderr.push_str(&outcome.stderr);
        attached.code = outcome.exit_code.unwrap_or(0);
        Ok(())
    });
    // `start -a` prints the container's output instead of its name, and ends with its status.
    if a.attach {
        let mut shown = Printed::err(printed.stderr, printed.code);
        shown.process(&attached.stdout, &attached.stderr);
        if shown.code == 0 {
            shown.code = attached.code;
        }
        return shown;
    }
    printed
}

fn exec(sim: &mut Simulator, name: &str, argv: &[String]) -> Printed {
    let idx = match sim.find_container(name) {
        Ok(i) => i,
        Err(_) => return Printed::err(format!("Error: No such container: {name}\n"), 1),
    };
    match sim.exec(idx, argv) {
        Ok(r) => {
            let mut p = Printed::default();
            p.process(&r.stdout, &r.stderr);
            p.code = r.exit_code;
            p
        }
        // The daemon writes this into the exec's own output stream, so it reaches stdout, with
        // the carriage return of a stream that may be a terminal.
        Err(EngineError::ExecutableNotFound { program }) => Printed::failed(
            format!(
                "OCI runtime exec failed: exec failed: unable to start container process: exec: \"{program}\": executable file not found in $PATH: unknown\r\n"
            ),
            "",
            126,
        ),
        Err(e) => Printed::daemon(&e),
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

fn ps(sim: &mut Simulator, a: &args::PsArgs) -> Printed {
    // Docker computes sizes for `-s`, and for a `--format` that shows them.
    let sizes = a.size || a.format.as_deref().is_some_and(|t| t.contains(".Size"));
    let rows: Vec<ContainerRow> = sim
        .containers()
        .iter()
        .rev()
        .filter(|c| a.all || c.state.is_running())
        .map(|c| container_row(sim, c, sizes))
        .collect();
    let opts = render::PsOptions {
        size: a.size,
        quiet: a.quiet,
        no_trunc: a.no_trunc,
        format: a.format.clone(),
    };
    match render::ps(&rows, &opts, sim.now()) {
        Ok(text) => Printed::ok(text),
        Err(e) => Printed::err(format!("{e}\n"), 1),
    }
}

// ------------------------------------------------------------------ logs, diff, commit

fn logs(sim: &mut Simulator, name: &str, a: &args::LogsArgs) -> Printed {
    let Some(c) = sim.container(name) else {
        return Printed::err(format!("Error: No such container: {name}\n"), 1);
    };
    let lines = &c.log_lines;
    let tail = a
        .tail
        .as_deref()
        .filter(|t| *t != "all")
        .and_then(|t| t.parse::<usize>().ok());
    let start = tail.map_or(0, |t| lines.len().saturating_sub(t));
    let mut out = Printed::default();
    for l in lines.iter().skip(start) {
        let text = if a.timestamps {
            // Docker prints nanoseconds; the simulated clock has whole seconds.
            format!(
                "{} {}\n",
                crate::cli::format::rfc3339(l.time).replace('Z', ".000000000Z"),
                l.text
            )
        } else {
            format!("{}\n", l.text)
        };
        if l.stream == "stderr" {
            out.eprint(&text)
        } else {
            out.print(&text)
        }
    }
    out
}

fn diff(sim: &mut Simulator, name: &str) -> Printed {
    let idx = match sim.find_container(name) {
        Ok(i) => i,
        Err(e) => return Printed::daemon(&e),
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
    Printed::ok(render::diff(&changes))
}

fn commit(sim: &mut Simulator, name: &str, repository: Option<&str>) -> Printed {
    let idx = match sim.find_container(name) {
        Ok(i) => i,
        Err(e) => return Printed::daemon(&e),
    };
    match sim.commit_container(idx, repository) {
        Ok(id) => Printed::ok(format!("{id}\n")),
        Err(e) => Printed::daemon(&e),
    }
}

// ------------------------------------------------------------------ images, history, rmi, tag

fn images(sim: &mut Simulator, a: &args::ImagesArgs) -> Printed {
    let mut rows = sim.image_rows(a.all);
    if let Some(repo) = &a.repository {
        let (name, tag) = match repo.rsplit_once(':') {
            Some((n, t)) if !t.contains('/') => (n.to_string(), Some(t.to_string())),
            _ => (repo.clone(), None),
        };
        rows.retain(|r| {
            r.repository.as_deref() == Some(name.as_str())
                && tag.as_ref().is_none_or(|t| r.tag.as_deref() == Some(t.as_str()))
        });
    }
    if a.quiet {
        // `-q` lists each image once.
        let mut seen = std::collections::BTreeSet::new();
        rows.retain(|r| seen.insert(r.id));
    }
    let opts = render::ImagesOptions {
        quiet: a.quiet,
        no_trunc: a.no_trunc,
        format: a.format.clone(),
    };
    match render::images(&rows, &opts, sim.now()) {
        Ok(t) => Printed::ok(t),
        Err(e) => Printed::err(format!("{e}\n"), 1),
    }
}

fn history(sim: &mut Simulator, name: &str, a: &args::HistoryArgs) -> Printed {
    let Some(id) = sim.resolve_image(name) else {
        return Printed::err(
            format!(
                "Error response from daemon: No such image: {}\n",
                familiar_or(name)
            ),
            1,
        );
    };
    let rows = sim.history(&id);
    let opts = render::HistoryOptions {
        human: a.human,
        quiet: a.quiet,
        no_trunc: a.no_trunc,
        format: a.format.clone(),
    };
    match render::history(&rows, &opts, sim.now()) {
        Ok(t) => Printed::ok(t),
        Err(e) => Printed::err(format!("{e}\n"), 1),
    }
}

/// `nginx` as Docker names it in "No such image" messages: with `:latest` added.
fn familiar_or(text: &str) -> String {
    match Reference::parse(text) {
        Ok(r) if !text.starts_with("sha256:") => r.familiar(),
        _ => text.to_string(),
    }
}

fn rmi(sim: &mut Simulator, names: &[String]) -> Printed {
    let mut out = Printed::default();
    for name in names {
        match sim.remove_image(name) {
            Ok(removal) => {
                let mut lines: Vec<RmiLine> =
                    removal.untagged.iter().cloned().map(RmiLine::Untagged).collect();
                lines.extend(removal.untagged_digests.iter().cloned().map(RmiLine::Untagged));
                lines.extend(removal.deleted_image.map(RmiLine::Deleted));
                lines.extend(removal.freed_layers.iter().map(|l| RmiLine::Deleted(l.chain_id)));
                out.print(&render::rmi(&lines));
            }
            Err(EngineError::NoSuchImage { .. }) => {
                out.eprint(&format!(
                    "Error response from daemon: No such image: {}\n",
                    familiar_or(name)
                ));
                out.code = 1;
            }
            Err(e) => {
                out.eprint(&format!("Error response from daemon: {e}\n"));
                out.code = 1;
            }
        }
    }
    out
}

fn tag(sim: &mut Simulator, src: &str, dst: &str) -> Printed {
    match sim.tag_image(src, dst) {
        Ok(()) => Printed::default(),
        Err(EngineError::NoSuchImage { .. }) => Printed::err(
            format!(
                "Error response from daemon: No such image: {}\n",
                familiar_or(src)
            ),
            1,
        ),
        Err(EngineError::Reference(e)) => Printed::err(
            format!("Error parsing reference: {dst:?} is not a valid repository/tag: {e}\n"),
            1,
        ),
        Err(e) => Printed::daemon(&e),
    }
}

// ------------------------------------------------------------------ inspect

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

fn inspect(sim: &mut Simulator, a: &args::InspectArgs) -> Printed {
    let kind = a.kind.as_deref();
    let mut items = Vec::new();
    let mut out = Printed::default();
    for name in &a.names {
        let container = (kind != Some("image")).then(|| sim.container(name)).flatten();
        let value = match container {
            Some(c) => Some(container_json(sim, c, a.size)),
            None if kind != Some("container") => sim.resolve_image(name).map(|id| image_json(sim, &id)),
            None => None,
        };
        match value {
            Some(v) => items.push(v),
            None => {
                let what = match kind {
                    Some("image") => "No such image",
                    Some("container") => "No such container",
                    _ => "No such object",
                };
                out.eprint(&format!("Error: {what}: {name}\n"));
                out.code = 1;
            }
        }
    }
    if let Some(format) = &a.format {
        for item in &items {
            out.print(&format_value(format, item));
            out.print("\n");
        }
        return out;
    }
    match render::inspect_json(&items) {
        Ok(t) => out.print(&t),
        Err(e) => {
            out.eprint(&format!("{e}\n"));
            out.code = 1;
        }
    }
    out
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

fn build(sim: &mut Simulator, dir: &str, a: &args::BuildArgs) -> Printed {
    let mut build_args = crate::dockerfile::BuildArgs::new();
    for arg in &a.build_arg {
        let (k, v) = arg.split_once('=').unwrap_or((arg.as_str(), ""));
        build_args.insert(k.to_string(), v.to_string());
    }
    let (report, result) = sim.build(dir, a.file.as_deref(), &a.tag, &build_args);
    match result {
        Ok(id) if a.quiet => Printed::ok(format!("{id}\n")),
        Ok(_) => Printed::ok(report.stdout),
        Err(e) => Printed::failed(report.stdout, &format!("{e}\n"), e.exit_code()),
    }
}

// ------------------------------------------------------------------ volumes

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

fn volume_rm(sim: &mut Simulator, names: &[String], force: bool) -> Printed {
    let mut out = Printed::default();
    for name in names {
        match sim.remove_volume(name) {
            Ok(()) => out.print(&format!("{name}\n")),
            Err(EngineError::NoSuchVolume { .. }) if force => {}
            Err(e) => {
                out.eprint(&format!("Error response from daemon: {e}\n"));
                out.code = 1;
            }
        }
    }
    out
}

fn volume_inspect(sim: &mut Simulator, names: &[String], format: Option<&str>) -> Printed {
    let mut items = Vec::new();
    let mut out = Printed::default();
    for name in names {
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
                out.eprint(&format!("Error: No such volume: {name}\n"));
                out.code = 1;
            }
        }
    }
    if let Some(format) = format {
        for item in &items {
            out.print(&format_value(format, item));
            out.print("\n");
        }
    } else if let Ok(t) = render::inspect_json(&items) {
        out.print(&t);
    }
    out
}

// ------------------------------------------------------------------ system df

fn df_row(r: &accounting::DfRow) -> render::DfRow {
    render::DfRow {
        total: r.total as u64,
        active: r.active as u64,
        size: r.size,
        reclaimable: r.reclaimable,
    }
}

fn system_df(sim: &mut Simulator, verbose: bool) -> Printed {
    if !verbose {
        let df = sim.system_df();
        let summary = render::DfSummary {
            images: df_row(&df.images),
            containers: df_row(&df.containers),
            volumes: df_row(&df.volumes),
            build_cache: df_row(&df.build_cache),
        };
        return Printed::ok(render::system_df(&summary));
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
    Printed::ok(render::system_df_verbose(&verbose, sim.now()))
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
        ["checkpoint", container, name] => checkpoint(sim, container, name),
        _ => Printed::err(
            "layerlab: lab commands are `layerlab clock [advance SECONDS | set UNIX_SECONDS]`, `layerlab ledger`, `layerlab formula IMAGE` and `layerlab checkpoint CONTAINER NAME`\n".into(),
            2,
        ),
    }
}

/// `docker checkpoint create` (experimental in Docker, so a lab command here): the process's
/// memory is saved beside the container and the container stops.
fn checkpoint(sim: &mut Simulator, container: &str, name: &str) -> Printed {
    let result = sim.find_container(container).and_then(|idx| {
        let size = sim.checkpoint(idx, name)?;
        sim.stop_container(idx)?;
        Ok(size)
    });
    match result {
        Ok(size) => Printed::ok(format!("{name} ({})\n", bytes(size))),
        Err(e) => Printed::daemon(&e),
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
    let one = sizes
        .first()
        .map_or(0, |s| s.size_root_fs.saturating_sub(s.size_rw));
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

    #[test]
    fn bad_commands_get_dockers_words_and_codes() {
        let mut sim = Simulator::new();
        let out = sim.run_line("docker frobnicate");
        assert_eq!(
            out.stderr,
            "docker: 'frobnicate' is not a docker command.\nSee 'docker --help'\n"
        );
        let out = sim.run_line("docker ps --bogus");
        assert_eq!(
            (out.stderr.as_str(), out.exit_code),
            ("unknown flag: --bogus\nSee 'docker ps --help'.\n", 125)
        );
        let out = sim.run_line("docker run nosuchimage");
        assert_eq!(
            out.stderr,
            "Unable to find image 'nosuchimage:latest' locally\ndocker: Error response from daemon: pull access denied for nosuchimage, repository does not exist or may require 'docker login': denied: requested access to the resource is denied\n\nRun 'docker run --help' for more information\n"
        );
        assert_eq!(out.exit_code, 125);
        let out = sim.run_line("docker images");
        assert_eq!(out.stdout, "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n");
        // create: the daemon's refusal alone, exit 1; the client's own refusal with the pointer.
        sim.run_line("docker create --name web nginx:1.15.8");
        let out = sim.run_line("docker create --name web nginx:1.15.8");
        assert!(
            out.stderr
                .starts_with("Error response from daemon: Conflict. The container name \"/web\""),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains("--help"), "{}", out.stderr);
        assert_eq!(out.exit_code, 1);
        let out = sim.run_line("docker create Bad:Name");
        assert_eq!(
            (out.stderr.as_str(), out.exit_code),
            (
                "docker: invalid reference format: repository name must be lowercase\n\nRun 'docker create --help' for more information\n",
                125
            )
        );
        let out = sim.run_line("layerlab clock advance soon");
        assert_eq!(out.exit_code, 2);
    }

    #[test]
    fn ps_shows_the_command_as_the_daemon_quotes_it() {
        let argv: Vec<String> = ["nginx", "-g", "daemon off;"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(command_text(&argv), "nginx -g 'daemon off;'");
    }
}
