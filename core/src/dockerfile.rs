//! Dockerfiles: the parser and the build plan.
//!
//! Public API:
//! - [`parse`]`(text: &str) -> Result<Dockerfile, DockerfileError>`: BuildKit's frontend rules
//!   (parser directives at the top, comments, continuations with the escape character, JSON and
//!   shell forms, case-insensitive instruction names). Variables are not substituted yet.
//! - [`plan`]`(&Dockerfile, &BuildArgs) -> Result<Vec<BuildStep>, DockerfileError>` and
//!   [`plan_with_base_env`]: one [`BuildStep`] per instruction, with ARG/ENV substituted where Docker
//!   substitutes, whether the step makes a layer ([`LayerEffect`]), and the history `created_by`
//!   text the classic builder writes ([`CreatedBy`]).
//! - [`unused_build_args`]`(&Dockerfile, &BuildArgs) -> Vec<String>`: what Docker's
//!   "build-args were not consumed" warning names.
//! - [`source_hash_multi`]: the `multi:<hex>` name the classic builder gives COPY/ADD of several sources.
//! - [`expand_word`]`(word, &env, escape) -> Result<String, ExpandError>`: Docker's substitution
//!   (`$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR:+alt}`, `${VAR:?msg}`, quotes and escapes).
//! - Not supported, with a clear error: heredocs (`RUN <<EOF`). Not modelled: the base image's
//!   ONBUILD triggers (the plan does not know the base config), BuildKit's automatic platform ARGs.
//! - Errors are [`DockerfileError`]; each carries the line it is about and reads like Docker's
//!   (`dockerfile parse error on line 3: unknown instruction: FORM`).
//!
//! Written here rather than taken from a crate: the Dockerfile crates for Rust do not follow
//! BuildKit's continuation and directive rules, do not give Docker's messages, and at least one of
//! them panics on malformed input (a panic kills the browser page).

mod expand;
mod parse;
mod plan;

use std::collections::BTreeMap;

pub use expand::{ExpandError, expand_word};
pub use parse::parse;
pub use plan::{plan, plan_with_base_env, source_hash_multi, unused_build_args};

/// Build arguments given on the command line (`--build-arg NAME=value`).
pub type BuildArgs = BTreeMap<String, String>;

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    /// The escape character: `\` unless a `# escape=` directive chose `` ` ``.
    pub escape: char,
    /// The `# syntax=` directive, if any (recorded; layerlab always uses its own frontend).
    pub syntax: Option<String>,
    /// The `# check=` directive, if any, trimmed.
    pub check: Option<String>,
    pub instructions: Vec<Instruction>,
    /// Things Docker warns about but accepts (empty continuation lines).
    pub warnings: Vec<Warning>,
}

/// One instruction, possibly spread over several physical lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// The first physical line (1-based).
    pub line: usize,
    /// The last physical line (1-based).
    pub end_line: usize,
    /// The logical line after continuations were joined, as the parser saw it.
    pub original: String,
    /// The instruction with its arguments as written: no variable is substituted yet.
    pub action: Action,
}

/// A warning Docker prints while still accepting the Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub line: usize,
    pub message: String,
}

/// Shell form (`RUN make /app`) or exec form (`RUN ["make", "/app"]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandLine {
    Shell(String),
    Exec(Vec<String>),
}

/// `HEALTHCHECK` settings, in Docker's config shape (durations in nanoseconds).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Healthcheck {
    /// `["NONE"]`, `["CMD", arg...]` or `["CMD-SHELL", command]`.
    pub test: Vec<String>,
    pub interval_ns: u64,
    pub timeout_ns: u64,
    pub start_period_ns: u64,
    pub retries: u32,
}

/// What an instruction does. In an [`Instruction`] the texts are as written; in a [`BuildStep`]
/// ARG and ENV values have been substituted where Docker substitutes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    From {
        image: String,
        /// `AS name`, lowercased as Docker does.
        name: Option<String>,
        platform: Option<String>,
        /// Set in a plan when `image` names an earlier stage.
        stage: Option<usize>,
    },
    Run {
        command: CommandLine,
        /// What executes: the shell plus the command for shell form, the argv for exec form.
        argv: Vec<String>,
        /// Build arguments visible to the command (`NAME=value`, sorted); empty before planning.
        build_args: Vec<String>,
    },
    Cmd {
        command: CommandLine,
        argv: Vec<String>,
    },
    Entrypoint {
        command: CommandLine,
        argv: Vec<String>,
    },
    Copy {
        srcs: Vec<String>,
        dest: String,
        chown: Option<String>,
        chmod: Option<String>,
        /// `--from`: a stage name or index, or an image reference.
        from: Option<String>,
        /// Set in a plan when `from` names an earlier stage.
        from_stage: Option<usize>,
        link: bool,
    },
    Add {
        srcs: Vec<String>,
        dest: String,
        chown: Option<String>,
        chmod: Option<String>,
        link: bool,
    },
    Env(Vec<(String, String)>),
    Label(Vec<(String, String)>),
    /// Ports as written (`80`, `443/tcp`, `8000-8002/udp`).
    Expose(Vec<String>),
    /// The path as written; absolute (joined with the previous WORKDIR) in a plan.
    Workdir(String),
    User(String),
    Volume(Vec<String>),
    /// `ARG NAME` or `ARG NAME=default`, possibly several on one line.
    Arg(Vec<(String, Option<String>)>),
    StopSignal(String),
    Shell(Vec<String>),
    Healthcheck(Healthcheck),
    Maintainer(String),
    /// The trigger instruction, as written after `ONBUILD`.
    OnBuild(String),
}

impl Action {
    /// The instruction keyword in upper case (`COPY`).
    pub fn keyword(&self) -> &'static str {
        match self {
            Action::From { .. } => "FROM",
            Action::Run { .. } => "RUN",
            Action::Cmd { .. } => "CMD",
            Action::Entrypoint { .. } => "ENTRYPOINT",
            Action::Copy { .. } => "COPY",
            Action::Add { .. } => "ADD",
            Action::Env(_) => "ENV",
            Action::Label(_) => "LABEL",
            Action::Expose(_) => "EXPOSE",
            Action::Workdir(_) => "WORKDIR",
            Action::User(_) => "USER",
            Action::Volume(_) => "VOLUME",
            Action::Arg(_) => "ARG",
            Action::StopSignal(_) => "STOPSIGNAL",
            Action::Shell(_) => "SHELL",
            Action::Healthcheck(_) => "HEALTHCHECK",
            Action::Maintainer(_) => "MAINTAINER",
            Action::OnBuild(_) => "ONBUILD",
        }
    }
}

/// What a step does to the image's layer stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerEffect {
    /// FROM: the stage starts from the base image's layers and history.
    BaseImage,
    /// RUN, COPY, ADD and (in the classic builder) WORKDIR run a container and commit its changes:
    /// a new layer, or an `empty_layer` history row when the step changed nothing (Docker marks a
    /// commit whose diff is the empty tar as an empty layer).
    Commit,
    /// Metadata only: an `empty_layer` history row.
    EmptyLayer,
    /// An ARG before the first FROM: it only feeds FROM lines and leaves no trace in any image.
    None,
}

impl LayerEffect {
    /// Whether the step normally adds a layer to `rootfs.diff_ids`.
    pub fn makes_layer(self) -> bool {
        self == LayerEffect::Commit
    }
}

/// The `created_by` text of a history row, as Docker's classic builder writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreatedBy {
    /// No row of its own (FROM: the base image's rows are inherited; an ARG before the first FROM).
    None,
    /// The complete text.
    Text(String),
    /// COPY and ADD name their sources by a content hash only the engine knows
    /// (`file:<hex>`, `dir:<hex>`, or [`source_hash_multi`] of several): the text is
    /// `before + hash + after`.
    WithSourceHash { before: String, after: String },
}

impl CreatedBy {
    /// The text with `source_hash` filled in where the row names its sources.
    pub fn render(&self, source_hash: &str) -> Option<String> {
        match self {
            CreatedBy::None => None,
            CreatedBy::Text(t) => Some(t.clone()),
            CreatedBy::WithSourceHash { before, after } => Some(format!("{before}{source_hash}{after}")),
        }
    }
}

/// One step of a build plan: plain data that the engine executes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildStep {
    /// The line of the instruction (1-based).
    pub line: usize,
    /// The build stage (0-based) this step belongs to.
    pub stage: usize,
    /// The instruction with variables substituted.
    pub action: Action,
    pub layer: LayerEffect,
    pub created_by: CreatedBy,
    /// The shell in force (`["/bin/sh", "-c"]` unless SHELL changed it).
    pub shell: Vec<String>,
}

/// Why a Dockerfile was refused. Every variant but [`DockerfileError::Empty`] names its line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DockerfileError {
    #[error("the Dockerfile cannot be empty: add a FROM instruction")]
    Empty,
    #[error("dockerfile parse error on line {line}: unknown instruction: {instruction}{}", did_you_mean(.suggestion))]
    UnknownInstruction {
        line: usize,
        instruction: String,
        suggestion: Option<&'static str>,
    },
    #[error("dockerfile parse error on line {line}: {instruction} requires at least one argument")]
    AtLeastOneArgument { line: usize, instruction: &'static str },
    #[error("dockerfile parse error on line {line}: {instruction} requires exactly one argument")]
    ExactlyOneArgument { line: usize, instruction: &'static str },
    #[error("dockerfile parse error on line {line}: {instruction} requires at least two arguments")]
    AtLeastTwoArguments { line: usize, instruction: &'static str },
    #[error(
        "dockerfile parse error on line {line}: {instruction} requires at least two arguments, but only one was provided. Destination could not be determined"
    )]
    NoDestination { line: usize, instruction: &'static str },
    #[error("dockerfile parse error on line {line}: FROM requires either one or three arguments")]
    FromArguments { line: usize },
    #[error(
        "dockerfile parse error on line {line}: invalid name for build stage: {name:?}, name can't start with a number or contain symbols"
    )]
    InvalidStageName { line: usize, name: String },
    #[error("dockerfile parse error on line {line}: {instruction} requires the arguments to be in JSON form")]
    NotJson { line: usize, instruction: &'static str },
    #[error(
        "dockerfile parse error on line {line}: when using JSON array syntax, arrays must be comprised of strings only"
    )]
    JsonNotStrings { line: usize },
    #[error("dockerfile parse error on line {line}: {instruction} must have two arguments")]
    MissingValue { line: usize, instruction: &'static str },
    #[error(
        "dockerfile parse error on line {line}: Syntax error - can't find = in {word:?}. Must be of the form: name=value"
    )]
    MissingEquals { line: usize, word: String },
    #[error("dockerfile parse error on line {line}: {instruction} names can not be blank")]
    BlankName { line: usize, instruction: &'static str },
    #[error("dockerfile parse error on line {line}: invalid escape token '{token}' does not match ` or \\")]
    InvalidEscapeToken { line: usize, token: String },
    #[error("dockerfile parse error on line {line}: only one {name} parser directive can be used")]
    DuplicateDirective { line: usize, name: String },
    #[error(
        "dockerfile parse error on line {line}: heredocs (<<{delimiter}) are not supported by layerlab yet: write the file with RUN printf or COPY it from the build context"
    )]
    Heredoc { line: usize, delimiter: String },
    #[error(
        "dockerfile parse error on line {line}: no build stage in current context: {instruction} must come after FROM"
    )]
    NoBuildStage { line: usize, instruction: &'static str },
    #[error("dockerfile parse error on line {line}: unknown flag: {flag}")]
    UnknownFlag { line: usize, flag: String },
    #[error("dockerfile parse error on line {line}: missing a value on flag: {flag}")]
    FlagNeedsValue { line: usize, flag: String },
    #[error("dockerfile parse error on line {line}: expecting boolean value for flag {flag}, not: {value}")]
    BadBoolFlag {
        line: usize,
        flag: String,
        value: String,
    },
    #[error("dockerfile parse error on line {line}: failed to process {word:?}: {source}")]
    Expand {
        line: usize,
        word: String,
        source: ExpandError,
    },
    #[error("dockerfile parse error on line {line}: base name ({written}) should not be blank")]
    BlankBaseName { line: usize, written: String },
    #[error("dockerfile parse error on line {line}: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")]
    OnBuildChain { line: usize },
    #[error("dockerfile parse error on line {line}: {instruction} isn't allowed as an ONBUILD trigger")]
    OnBuildTrigger { line: usize, instruction: &'static str },
    #[error("dockerfile parse error on line {line}: Unknown type {kind:?} in HEALTHCHECK (try CMD)")]
    HealthcheckType { line: usize, kind: String },
    #[error("dockerfile parse error on line {line}: Missing command after HEALTHCHECK CMD")]
    HealthcheckMissingCommand { line: usize },
    #[error("dockerfile parse error on line {line}: HEALTHCHECK NONE takes no arguments")]
    HealthcheckNoneArgs { line: usize },
    #[error(
        "dockerfile parse error on line {line}: invalid duration {value:?} for --{flag}: write it like 30s, 1m30s or 500ms"
    )]
    BadDuration {
        line: usize,
        flag: String,
        value: String,
    },
    #[error(
        "dockerfile parse error on line {line}: invalid value {value:?} for --retries: expected a whole number"
    )]
    BadRetries { line: usize, value: String },
    #[error("dockerfile parse error on line {line}: Invalid signal: {signal}")]
    BadSignal { line: usize, signal: String },
    #[error("dockerfile parse error on line {line}: invalid containerPort: {port}")]
    BadPort { line: usize, port: String },
    #[error("dockerfile parse error on line {line}: VOLUME specified can not be an empty string")]
    EmptyVolume { line: usize },
}

fn did_you_mean(suggestion: &Option<&'static str>) -> String {
    suggestion
        .map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default()
}

impl DockerfileError {
    /// The line (1-based) the error is about; `None` only for an empty Dockerfile.
    pub fn line(&self) -> Option<usize> {
        use DockerfileError::*;
        match self {
            Empty => None,
            UnknownInstruction { line, .. }
            | AtLeastOneArgument { line, .. }
            | ExactlyOneArgument { line, .. }
            | AtLeastTwoArguments { line, .. }
            | NoDestination { line, .. }
            | FromArguments { line }
            | InvalidStageName { line, .. }
            | NotJson { line, .. }
            | JsonNotStrings { line }
            | MissingValue { line, .. }
            | MissingEquals { line, .. }
            | BlankName { line, .. }
            | InvalidEscapeToken { line, .. }
            | DuplicateDirective { line, .. }
            | Heredoc { line, .. }
            | NoBuildStage { line, .. }
            | UnknownFlag { line, .. }
            | FlagNeedsValue { line, .. }
            | BadBoolFlag { line, .. }
            | Expand { line, .. }
            | BlankBaseName { line, .. }
            | OnBuildChain { line }
            | OnBuildTrigger { line, .. }
            | HealthcheckType { line, .. }
            | HealthcheckMissingCommand { line }
            | HealthcheckNoneArgs { line }
            | BadDuration { line, .. }
            | BadRetries { line, .. }
            | BadSignal { line, .. }
            | BadPort { line, .. }
            | EmptyVolume { line } => Some(*line),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Parsing then planning never panics: every input is a value or a line-numbered error.
    fn parse_and_plan(text: &str) {
        match parse(text) {
            Ok(d) => {
                if let Err(e) = plan(&d, &BuildArgs::new()) {
                    assert!(e.line().is_some(), "{e}");
                }
            }
            Err(e) => assert!(e.line().is_some() || e == DockerfileError::Empty, "{e}"),
        }
    }

    proptest! {
        #[test]
        fn any_string_gives_ok_or_err(text in any::<String>()) {
            parse_and_plan(&text);
        }

        #[test]
        fn dockerfile_shaped_strings_give_ok_or_err(
            lines in proptest::collection::vec(
                (
                    prop::sample::select(vec!["FROM", "from", "RUN", "COPY", "ADD", "ENV", "ARG", "LABEL", "EXPOSE", "WORKDIR",
                        "CMD", "ENTRYPOINT", "SHELL", "HEALTHCHECK", "ONBUILD", "STOPSIGNAL", "VOLUME", "USER", "#", "# escape=`", ""]),
                    "[a-z0-9 $:{}+?\\-`\"'=\\[\\],<#/.\t]{0,40}",
                ),
                0..12,
            )
        ) {
            let text: String = lines.iter().map(|(k, rest)| format!("{k} {rest}\n")).collect();
            parse_and_plan(&text);
        }
    }

    #[test]
    fn catalogue_case_42_inputs() {
        for text in [
            "FROM ${0:+0}",
            "FROM a\nCOPY \\",
            "#check= \nFROM a",
            "FROM a\nRUN echo \\ \n",
            "FROM a\nRUN <<'EOF'\nx\nEOF",
            "FROM a\nRUN <<-EOF\nx\nEOF",
            "FROM a\nCOPY \\",
        ] {
            parse_and_plan(text);
        }
    }
}
