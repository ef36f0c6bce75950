//! Scenarios: the commands run in a lab, in order, with the settings it was shown with, so that
//! someone else can get the very same lab back. The simulator is deterministic (an injected clock,
//! IDs derived from content), so running the same lines on a fresh lab reproduces its images,
//! containers, sizes and every line of output.
//!
//! A scenario travels two ways, neither needing an account or a server:
//! - in a link, as the URL fragment `#s=1&classroom=on&panel=disk&c=docker+pull+busybox&c=...`
//!   (the fragment never leaves the browser, so not even the web server sees it);
//! - as a small text file a teacher can read and edit ([`Scenario::to_file`] shows the format).
//!
//! Every line run is kept, the terminal's own `help`, `history` and `clear` too: they change no
//! image, but they are part of what the class saw, and a replay then shows the same screen.
//! Archives opened in the page are the exception: their bytes cannot travel in a link, so a
//! scenario keeps only their `docker load -i NAME` line, and replaying stops there until whoever
//! replays it opens the same file ([`Step::Open`]).
//!
//! Decoding treats its input as hostile: a clear [`ScenarioError`] for anything wrong, caps on the
//! size of the text and on the number and length of commands, and never a panic.

use std::fmt;

use crate::panel::Panel;
use crate::state::Action;

/// Most commands one scenario may hold: a long lesson is a few dozen.
pub const MAX_COMMANDS: usize = 200;
/// Most bytes one command may have; a typed docker line is well under a hundred.
pub const MAX_COMMAND_BYTES: usize = 1000;
/// Most bytes of a scenario's text (file or fragment) read at all. Covers the largest valid
/// scenario even fully percent-encoded, and is checked before anything is parsed.
pub const MAX_TEXT_BYTES: usize = 3 * MAX_COMMANDS * MAX_COMMAND_BYTES + 4096;
/// The first line of a scenario file.
pub const FILE_HEADER: &str = "# layerlab scenario v1";
/// The name an exported scenario is saved under.
pub const FILE_NAME: &str = "layerlab-scenario.txt";
/// The prefix of the line that stands for an archive opened in the page (see `state.rs`).
const LOAD_PREFIX: &str = "docker load -i ";
/// The prefix of the line that stands for a Dockerfile written in the page's editor (see
/// `state.rs`): the editor's text follows on the same line, a line break written `\n` and a
/// backslash `\\`, so that a link or a file carries it and a replay builds what was built.
const DOCKERFILE_PREFIX: &str = "dockerfile:";

/// What opening a scenario does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Start {
    /// Run every command at once: the lab is the one that was shared.
    #[default]
    Replay,
    /// Hold the commands as a script to step through, one command per "Next step".
    Step,
}

impl Start {
    fn slug(self) -> &'static str {
        match self {
            Start::Replay => "replay",
            Start::Step => "step",
        }
    }
}

/// How the lab was shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub classroom: bool,
    pub panel: Panel,
    pub start: Start,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            classroom: false,
            panel: Panel::Layers,
            start: Start::Replay,
        }
    }
}

/// Where in its text a scenario went wrong: a file has lines, a link has commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Line(usize),
    Command(usize),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Line(n) => write!(f, "line {n}"),
            Place::Command(n) => write!(f, "command {n}"),
        }
    }
}

/// Why a scenario could not be read or made. Each message says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScenarioError {
    #[error("the scenario is {size} bytes, more than the {limit} a scenario may have: split it in two")]
    TooLarge { size: usize, limit: usize },
    #[error("not a layerlab scenario: its first line must be `{FILE_HEADER}`")]
    MissingHeader,
    #[error(
        "this scenario is in format version {version}, but this lab reads version 1: open it in a newer layerlab"
    )]
    UnsupportedVersion { version: String },
    #[error("the scenario has {count} commands, more than the {limit} a scenario may hold: split it in two")]
    TooManyCommands { count: usize, limit: usize },
    #[error("{place} is {length} bytes long, more than the {limit} a command may have: shorten it")]
    CommandTooLong {
        place: Place,
        length: usize,
        limit: usize,
    },
    #[error("{place} is empty: remove it or write the command")]
    EmptyCommand { place: Place },
    #[error("{place} holds a control character (a line break or tab): write each command on one line")]
    ControlCharacter { place: Place },
    #[error("unknown setting {key:?}: the settings are classroom, panel and start")]
    UnknownSetting { key: String },
    #[error("setting {key} cannot be {value:?}: use {expected}")]
    BadValue {
        key: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("setting {key} is given twice: keep one")]
    DuplicateSetting { key: &'static str },
    #[error("{place} is a setting after the commands: move the settings above the first command")]
    SettingAfterCommands { place: Place },
    #[error("the link is damaged: {text:?} is not a valid %-escape; copy the whole link again")]
    BadEscape { text: String },
    #[error("the link is damaged: its text is not UTF-8 after decoding; copy the whole link again")]
    NotUtf8,
}

/// The commands of a lab and the settings it was shown with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    commands: Vec<String>,
    pub settings: Settings,
}

impl Scenario {
    /// A scenario of these commands (a lab's [`crate::state::Lab::record`]), checked against the
    /// caps. Commands are trimmed, as the terminal trims what it runs.
    pub fn new(commands: &[String], settings: Settings) -> Result<Scenario, ScenarioError> {
        let commands = commands
            .iter()
            .enumerate()
            .map(|(i, c)| checked_command(c, Place::Command(i + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        count_ok(commands.len())?;
        Ok(Scenario { commands, settings })
    }

    pub fn commands(&self) -> &[String] {
        &self.commands
    }

    /// The archives the scenario opened in the page, which a link or file cannot carry.
    pub fn archives(&self) -> Vec<&str> {
        self.commands.iter().filter_map(|c| archive_of(c)).collect()
    }

    /// What a replay does: every command up to the first archive as an [`Action::Run`], and what
    /// is left, if anything, as a script that starts by asking for that archive.
    pub fn replay(&self) -> (Vec<Action>, Option<Script>) {
        let stop = self
            .commands
            .iter()
            .position(|c| archive_of(c).is_some())
            .unwrap_or(self.commands.len());
        let runs = self
            .commands
            .iter()
            .take(stop)
            .map(|c| Action::Run(c.clone()))
            .collect();
        let rest = (stop < self.commands.len()).then(|| Script {
            scenario: self.clone(),
            next: stop,
        });
        (runs, rest)
    }

    /// The URL fragment (without `#`) that carries this scenario. Settings at their defaults are
    /// left out, so a plain lab's link is short.
    pub fn to_fragment(&self) -> String {
        let mut out = String::from("s=1");
        let defaults = Settings::default();
        if self.settings.classroom != defaults.classroom {
            out.push_str("&classroom=on");
        }
        if self.settings.panel != defaults.panel {
            out.push_str("&panel=");
            out.push_str(&encode(self.settings.panel.slug()));
        }
        if self.settings.start != defaults.start {
            out.push_str("&start=");
            out.push_str(self.settings.start.slug());
        }
        for c in &self.commands {
            out.push_str("&c=");
            out.push_str(&encode(c));
        }
        out
    }

    /// Reads a URL fragment (with or without its `#`). A fragment that is not a scenario (it
    /// does not start with `s=`) is `Ok(None)`: links may carry other fragments.
    pub fn from_fragment(fragment: &str) -> Result<Option<Scenario>, ScenarioError> {
        let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
        if fragment.len() > MAX_TEXT_BYTES {
            return Err(ScenarioError::TooLarge {
                size: fragment.len(),
                limit: MAX_TEXT_BYTES,
            });
        }
        let mut pairs = fragment.split('&').map(|p| p.split_once('=').unwrap_or((p, "")));
        match pairs.next() {
            Some(("s", version)) => {
                let version = decode(version)?;
                if version != "1" {
                    return Err(ScenarioError::UnsupportedVersion { version });
                }
            }
            _ => return Ok(None),
        }
        let mut settings = SettingsReader::default();
        let mut commands = Vec::new();
        for (key, value) in pairs {
            let value = decode(value)?;
            if key == "c" {
                count_ok(commands.len() + 1)?;
                commands.push(checked_command(&value, Place::Command(commands.len() + 1))?);
            } else {
                settings.set(&decode(key)?, &value)?;
            }
        }
        Ok(Some(Scenario {
            commands,
            settings: settings.finish(),
        }))
    }

    /// The scenario as a text file: the header, the settings, then one command per line.
    pub fn to_file(&self) -> String {
        let s = self.settings;
        let mut out = format!(
            "{FILE_HEADER}\n\
             # Settings first (classroom: on or off; panel: {panels}; start: replay runs every\n\
             # command at once, step waits for Next step), then one command per line, run in order.\n\
             # A `dockerfile:` line is the editor's Dockerfile (\\n for a line break), which the\n\
             # builds after it read. Lines starting with # are comments; blank lines are skipped.\n\
             classroom: {}\npanel: {}\nstart: {}\n\n",
            if s.classroom { "on" } else { "off" },
            s.panel.slug(),
            s.start.slug(),
            panels = panel_slugs(),
        );
        for c in &self.commands {
            // A command that would read as a comment, a setting or an escape is escaped.
            if c.starts_with(['#', '\\']) || setting_line(c).is_some() {
                out.push('\\');
            }
            out.push_str(c);
            out.push('\n');
        }
        out
    }

    /// Reads a scenario file written by [`Scenario::to_file`] or by hand.
    pub fn from_file(text: &str) -> Result<Scenario, ScenarioError> {
        if text.len() > MAX_TEXT_BYTES {
            return Err(ScenarioError::TooLarge {
                size: text.len(),
                limit: MAX_TEXT_BYTES,
            });
        }
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim()));
        let header = lines.by_ref().find(|(_, l)| !l.is_empty()).map(|(_, l)| l);
        match header.and_then(|h| h.strip_prefix("# layerlab scenario v")) {
            Some("1") => {}
            Some(version) => {
                return Err(ScenarioError::UnsupportedVersion {
                    version: version.to_owned(),
                });
            }
            None => return Err(ScenarioError::MissingHeader),
        }
        let mut settings = SettingsReader::default();
        let mut commands = Vec::new();
        for (number, line) in lines {
            let place = Place::Line(number);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(escaped) = line.strip_prefix('\\') {
                count_ok(commands.len() + 1)?;
                commands.push(checked_command(escaped, place)?);
            } else if let Some((key, value)) = setting_line(line) {
                if !commands.is_empty() {
                    return Err(ScenarioError::SettingAfterCommands { place });
                }
                settings.set(key, value)?;
            } else {
                count_ok(commands.len() + 1)?;
                commands.push(checked_command(line, place)?);
            }
        }
        Ok(Scenario {
            commands,
            settings: settings.finish(),
        })
    }
}

/// The line a lab records for a Dockerfile written in the editor. Carriage returns go (a
/// Dockerfile reads the same without them); tabs are written `\t`.
pub fn dockerfile_line(text: &str) -> String {
    let mut line = format!("{DOCKERFILE_PREFIX} ");
    for c in text.chars() {
        match c {
            '\\' => line.push_str("\\\\"),
            '\n' => line.push_str("\\n"),
            '\t' => line.push_str("\\t"),
            '\r' => {}
            c => line.push(c),
        }
    }
    line
}

/// The Dockerfile a `dockerfile: ...` line stands for ([`dockerfile_line`] undone). An escape
/// it does not know keeps its backslash.
pub fn dockerfile_of(command: &str) -> Option<String> {
    let escaped = command.strip_prefix(DOCKERFILE_PREFIX)?;
    let escaped = escaped.strip_prefix(' ').unwrap_or(escaped);
    let mut text = String::with_capacity(escaped.len());
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            text.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => text.push('\n'),
            Some('t') => text.push('\t'),
            Some('\\') => text.push('\\'),
            Some(other) => {
                text.push('\\');
                text.push(other);
            }
            None => text.push('\\'),
        }
    }
    Some(text)
}

/// The archive a recorded `docker load -i NAME` line stands for.
pub fn archive_of(command: &str) -> Option<&str> {
    command
        .strip_prefix(LOAD_PREFIX)
        .map(str::trim)
        .filter(|n| !n.is_empty())
}

fn panel_slugs() -> String {
    Panel::ALL.iter().map(|p| p.slug()).collect::<Vec<_>>().join(", ")
}

fn count_ok(count: usize) -> Result<(), ScenarioError> {
    if count > MAX_COMMANDS {
        return Err(ScenarioError::TooManyCommands {
            count,
            limit: MAX_COMMANDS,
        });
    }
    Ok(())
}

fn checked_command(command: &str, place: Place) -> Result<String, ScenarioError> {
    let command = command.trim();
    if command.is_empty() {
        return Err(ScenarioError::EmptyCommand { place });
    }
    if command.len() > MAX_COMMAND_BYTES {
        return Err(ScenarioError::CommandTooLong {
            place,
            length: command.len(),
            limit: MAX_COMMAND_BYTES,
        });
    }
    if command.chars().any(char::is_control) {
        return Err(ScenarioError::ControlCharacter { place });
    }
    Ok(command.to_owned())
}

/// `key: value` where the key is one lowercase word: how a file writes a setting. No command
/// the lab runs looks like this, but for the editor's `dockerfile: ...` lines, which are steps
/// and may come anywhere.
fn setting_line(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.split_once(':')?;
    let word = !key.is_empty() && key != "dockerfile" && key.bytes().all(|b| b.is_ascii_lowercase());
    (word && value.starts_with(' ')).then(|| (key, value.trim()))
}

/// Settings as they are read, so that a repeated one is refused rather than silently replaced.
#[derive(Default)]
struct SettingsReader {
    classroom: Option<bool>,
    panel: Option<Panel>,
    start: Option<Start>,
}

impl SettingsReader {
    fn set(&mut self, key: &str, value: &str) -> Result<(), ScenarioError> {
        fn put<T>(slot: &mut Option<T>, key: &'static str, value: T) -> Result<(), ScenarioError> {
            if slot.is_some() {
                return Err(ScenarioError::DuplicateSetting { key });
            }
            *slot = Some(value);
            Ok(())
        }
        let bad = |key, expected| ScenarioError::BadValue {
            key,
            value: value.to_owned(),
            expected,
        };
        match key {
            "classroom" => {
                let on = match value {
                    "on" => true,
                    "off" => false,
                    _ => return Err(bad("classroom", "on or off")),
                };
                put(&mut self.classroom, "classroom", on)
            }
            "panel" => {
                let panel = Panel::from_slug(value).ok_or_else(|| ScenarioError::BadValue {
                    key: "panel",
                    value: value.to_owned(),
                    expected: "the name of a panel tab (layers, disk, ...)",
                })?;
                put(&mut self.panel, "panel", panel)
            }
            "start" => {
                let start = match value {
                    "replay" => Start::Replay,
                    "step" => Start::Step,
                    _ => return Err(bad("start", "replay or step")),
                };
                put(&mut self.start, "start", start)
            }
            _ => Err(ScenarioError::UnknownSetting { key: key.to_owned() }),
        }
    }

    fn finish(self) -> Settings {
        let d = Settings::default();
        Settings {
            classroom: self.classroom.unwrap_or(d.classroom),
            panel: self.panel.unwrap_or(d.panel),
            start: self.start.unwrap_or(d.start),
        }
    }
}

// The fragment codec is the form encoding (`+` for a space, `%XX` for other bytes) written out
// here rather than taken from a crate: it is twenty lines, and keeping `:`, `/` and `@` as they
// are makes links readable (`c=docker+run+nginx:1.15.8`), which the usual encoders do not.

/// Bytes that stand for themselves in a fragment value; everything else is escaped.
fn plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~:@/,!*()".contains(&b)
}

fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b' ' => out.push('+'),
            b if plain(b) => out.push(char::from(b)),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn decode(text: &str) -> Result<String, ScenarioError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3);
                let value = hex
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                let Some(value) = value else {
                    let end = (i + 3).min(bytes.len());
                    let shown = String::from_utf8_lossy(bytes.get(i..end).unwrap_or_default());
                    return Err(ScenarioError::BadEscape {
                        text: shown.into_owned(),
                    });
                };
                out.push(value);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| ScenarioError::NotUtf8)
}

/// A scenario being stepped through: which command runs next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    scenario: Scenario,
    next: usize,
}

/// What the next step of a script is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// Run this line.
    Run(&'a str),
    /// Open this archive in the page: its bytes were not in the scenario.
    Open { archive: &'a str },
}

impl Script {
    pub fn new(scenario: Scenario) -> Script {
        Script { scenario, next: 0 }
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// How many steps the script has.
    pub fn len(&self) -> usize {
        self.scenario.commands.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scenario.commands.is_empty()
    }

    /// The number (from 1) of the next step, or `None` when every step ran.
    pub fn position(&self) -> Option<usize> {
        (self.next < self.len()).then_some(self.next + 1)
    }

    /// The next step, or `None` when every step ran.
    pub fn current(&self) -> Option<Step<'_>> {
        let line = self.scenario.commands.get(self.next)?;
        Some(match archive_of(line) {
            Some(archive) => Step::Open { archive },
            None => Step::Run(line),
        })
    }

    /// What the script bar says: `step 3 of 9: docker ps -s`.
    pub fn label(&self) -> String {
        match (self.position(), self.current()) {
            (Some(n), Some(Step::Run(line))) => format!("step {n} of {}: {line}", self.len()),
            (Some(n), Some(Step::Open { archive })) => format!(
                "step {n} of {}: open the archive {archive} (a link cannot carry it)",
                self.len()
            ),
            _ => format!("all {} steps ran", self.len()),
        }
    }

    /// The action for a "Next step" press, and the script moved past it. An archive step has no
    /// action: it is passed by opening the archive ([`Script::opened`]).
    pub fn next_action(&mut self) -> Option<Action> {
        match self.current()? {
            Step::Run(line) => {
                let action = Action::Run(line.to_owned());
                self.next += 1;
                Some(action)
            }
            Step::Open { .. } => None,
        }
    }

    /// An archive was opened in the page: if the script was waiting for one, it moves on.
    pub fn opened(&mut self) {
        if matches!(self.current(), Some(Step::Open { .. })) {
            self.next += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Lab, LineKind};

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn demo() -> Scenario {
        let settings = Settings {
            classroom: true,
            panel: Panel::Disk,
            start: Start::Step,
        };
        Scenario::new(
            &strings(&[
                "docker pull busybox",
                "docker run --name web -e 'A=b c' nginx:1.15.8",
                "docker ps -s --format '{{.Names}} & {{.Size}} 100%'",
                "# not a comment",
                "panel: not a setting",
                "\\back",
                "docker run busybox echo héllo",
                "help",
            ]),
            settings,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn fragments_round_trip() {
        let s = demo();
        let fragment = s.to_fragment();
        assert!(fragment.starts_with("s=1&classroom=on&panel=disk&start=step&c=docker+pull+busybox"));
        assert!(fragment.contains("nginx:1.15.8"), "readable names: {fragment}");
        assert!(
            fragment.bytes().all(|b| plain(b) || b"+%&=".contains(&b)),
            "only URL-safe bytes: {fragment}"
        );
        assert_eq!(Scenario::from_fragment(&fragment), Ok(Some(s.clone())));
        assert_eq!(Scenario::from_fragment(&format!("#{fragment}")), Ok(Some(s)));
    }

    #[test]
    fn default_settings_stay_out_of_the_link() {
        let s = Scenario::new(&strings(&["docker images"]), Settings::default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.to_fragment(), "s=1&c=docker+images");
        let empty = Scenario::new(&[], Settings::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(Scenario::from_fragment(&empty.to_fragment()), Ok(Some(empty)));
    }

    #[test]
    fn files_round_trip_and_read_like_a_script() {
        let s = demo();
        let text = s.to_file();
        assert!(text.starts_with(FILE_HEADER));
        assert!(
            text.contains("\nclassroom: on\npanel: disk\nstart: step\n"),
            "{text}"
        );
        assert!(text.contains("\ndocker pull busybox\n"), "{text}");
        assert!(text.contains("\n\\# not a comment\n"), "{text}");
        assert_eq!(Scenario::from_file(&text), Ok(s));
    }

    #[test]
    fn a_hand_written_file_is_read() {
        let text = "\u{feff}\n# layerlab scenario v1\r\n# my lesson\r\npanel: disk\r\n\r\n  docker run nginx:1.15.8  \r\n\r\n# then\r\ndocker ps -s\r\n";
        let s = Scenario::from_file(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.commands(),
            strings(&["docker run nginx:1.15.8", "docker ps -s"])
        );
        assert_eq!(s.settings.panel, Panel::Disk);
        assert!(!s.settings.classroom);
        assert_eq!(s.settings.start, Start::Replay);
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let err = |t: &str| {
            Scenario::from_file(t)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(err("docker ps").contains("first line must be `# layerlab scenario v1`"));
        assert!(err("").contains("first line"));
        assert!(err("# layerlab scenario v2\n").contains("version 2"));
        assert!(
            err("# layerlab scenario v1\nclassroom: maybe\n")
                .contains("classroom cannot be \"maybe\": use on or off")
        );
        assert!(err("# layerlab scenario v1\npanel: kitchen\n").contains("panel cannot be \"kitchen\""));
        assert!(err("# layerlab scenario v1\ncolour: red\n").contains("unknown setting \"colour\""));
        assert!(err("# layerlab scenario v1\nstart: step\nstart: replay\n").contains("start is given twice"));
        assert!(
            err("# layerlab scenario v1\ndocker ps\npanel: disk\n")
                .contains("line 3 is a setting after the commands")
        );
        let long = format!(
            "# layerlab scenario v1\n\ndocker run {}\n",
            "x".repeat(MAX_COMMAND_BYTES)
        );
        assert!(
            err(&long).contains("line 3 is 1011 bytes long, more than the 1000"),
            "{}",
            err(&long)
        );
        let many = format!(
            "# layerlab scenario v1\n{}",
            "docker ps\n".repeat(MAX_COMMANDS + 1)
        );
        assert!(err(&many).contains("201 commands, more than the 200"));
        let huge = "#".repeat(MAX_TEXT_BYTES + 1);
        assert!(err(&huge).contains("more than the"));
        assert!(err("# layerlab scenario v1\ndocker\u{7}ps\n").contains("line 2 holds a control character"));
    }

    #[test]
    fn bad_links_say_what_is_wrong() {
        let err = |t: &str| {
            Scenario::from_fragment(t)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert_eq!(Scenario::from_fragment(""), Ok(None));
        assert_eq!(
            Scenario::from_fragment("#panel-disk"),
            Ok(None),
            "other fragments are not scenarios"
        );
        assert!(err("s=2&c=x").contains("version 2"));
        assert!(err("s=1&c=docker%ZZps").contains("\"%ZZ\" is not a valid %-escape"));
        assert!(err("s=1&c=docker%2").contains("\"%2\" is not a valid %-escape"));
        assert!(err("s=1&c=%").contains("not a valid %-escape"));
        assert!(err("s=1&c=%FF%FE").contains("not UTF-8"));
        assert!(err("s=1&c=").contains("command 1 is empty"));
        assert!(err("s=1&c=a%0Ab").contains("command 1 holds a control character"));
        assert!(err("s=1&zoom=2").contains("unknown setting \"zoom\""));
        assert!(err("s=1&panel=x").contains("panel cannot be \"x\""));
        let many = format!("s=1{}", "&c=docker+ps".repeat(MAX_COMMANDS + 1));
        assert!(err(&many).contains("201 commands"));
        assert!(err(&"s=1&c=".repeat(MAX_TEXT_BYTES)).contains("bytes, more than the"));
    }

    #[test]
    fn odd_bytes_never_panic() {
        for text in [
            "s=1&c=%é",
            "s=1&&&",
            "s=1&=&c",
            "s",
            "s=",
            "s=1&c=%%%",
            "s=1&c=é%C3%A9",
        ] {
            let _ = Scenario::from_fragment(text);
        }
        for text in [
            "# layerlab scenario v",
            "# layerlab scenario v1\n\\",
            "# layerlab scenario v1\n: x\n",
        ] {
            let _ = Scenario::from_file(text);
        }
        assert_eq!(decode("%C3%A9+é"), Ok("é é".to_owned()));
    }

    #[test]
    fn making_a_scenario_checks_the_caps() {
        let too_many = vec!["docker ps".to_owned(); MAX_COMMANDS + 1];
        assert_eq!(
            Scenario::new(&too_many, Settings::default()),
            Err(ScenarioError::TooManyCommands {
                count: MAX_COMMANDS + 1,
                limit: MAX_COMMANDS
            })
        );
    }

    fn typed(lab: &mut Lab, line: &str) {
        lab.apply(Action::Edit(line.to_owned()));
        lab.apply(Action::Submit);
    }

    /// The lab a learner made by typing, and the one a replay of its link makes, are the same:
    /// the same output, the same images, containers and sizes.
    #[test]
    fn a_replayed_link_reproduces_the_lab_exactly() {
        let mut learner = Lab::new();
        for line in [
            "docker run -d --name web nginx:1.15.8",
            "docker run -d nginx:1.15.8",
            "docker run -d nginx:1.15.8",
            "docker exec web touch /big",
            "help",
            "docker pull ubuntu:15.04",
            "docker rm -f web",
            "docker ps -s",
            "docker system df",
            "history",
        ] {
            typed(&mut learner, line);
        }
        assert_eq!(learner.history.len(), 9, "the history drops the repeated line");
        assert_eq!(learner.record.len(), 10, "the record keeps it");

        let shared = Scenario::new(&learner.record, Settings::default()).unwrap_or_else(|e| panic!("{e}"));
        let link = shared.to_fragment();
        let opened = Scenario::from_fragment(&link)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("a scenario link"));
        let (runs, rest) = opened.replay();
        assert!(rest.is_none());
        let mut replayed = Lab::new();
        for action in runs {
            replayed.apply(action);
        }
        assert_eq!(replayed.transcript, learner.transcript, "the same screen");
        assert!(
            *replayed.sim().borrow() == *learner.sim().borrow(),
            "the same simulator state"
        );
        assert_eq!(replayed.stacks, learner.stacks);
        assert_eq!(replayed.disk, learner.disk);
        let containers = |lab: &Lab| -> Vec<String> {
            lab.sim()
                .borrow()
                .containers()
                .iter()
                .map(|c| c.id.to_string())
                .collect()
        };
        assert_eq!(containers(&replayed).len(), 2);
        assert_eq!(containers(&replayed), containers(&learner));
        let stdout: String = learner
            .transcript
            .iter()
            .filter(|l| l.kind == LineKind::Stdout)
            .map(|l| l.text.as_str())
            .collect();
        assert!(stdout.contains("TYPE"), "system df ran: {stdout}");
    }

    #[test]
    fn an_opened_archive_stops_the_replay_and_waits_for_the_file() {
        let mut lab = Lab::new();
        typed(&mut lab, "docker pull busybox");
        lab.apply(Action::Load {
            name: "demo app.tar".into(),
            bytes: std::rc::Rc::new(b"not a tarball".to_vec()),
        });
        typed(&mut lab, "docker images");
        let s = Scenario::new(&lab.record, Settings::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.archives(), vec!["demo app.tar"]);
        let (runs, rest) = s.replay();
        assert_eq!(runs, vec![Action::Run("docker pull busybox".into())]);
        let mut script = rest.unwrap_or_else(|| panic!("the rest waits for the archive"));
        assert_eq!(
            script.current(),
            Some(Step::Open {
                archive: "demo app.tar"
            })
        );
        assert_eq!(
            script.label(),
            "step 2 of 3: open the archive demo app.tar (a link cannot carry it)"
        );
        assert_eq!(script.next_action(), None, "Next step cannot pass an archive");
        script.opened();
        assert_eq!(script.next_action(), Some(Action::Run("docker images".into())));
        assert_eq!(script.label(), "all 3 steps ran");
        assert_eq!(script.next_action(), None);
    }

    #[test]
    fn a_script_steps_one_command_at_a_time() {
        let s = Scenario::new(
            &strings(&["docker pull busybox", "docker ps -s"]),
            Settings::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut script = Script::new(s);
        assert_eq!(script.label(), "step 1 of 2: docker pull busybox");
        assert_eq!(script.position(), Some(1));
        script.opened();
        assert_eq!(
            script.position(),
            Some(1),
            "opening an archive passes only an archive step"
        );
        assert_eq!(
            script.next_action(),
            Some(Action::Run("docker pull busybox".into()))
        );
        assert_eq!(script.label(), "step 2 of 2: docker ps -s");
        assert_eq!(script.next_action(), Some(Action::Run("docker ps -s".into())));
        assert_eq!(script.position(), None);
        assert_eq!(script.next_action(), None);
    }

    #[test]
    fn reset_gives_a_fresh_lab_and_a_newer_revision() {
        let mut lab = Lab::new();
        typed(&mut lab, "docker pull busybox");
        let before = lab.revision;
        lab.apply(Action::Reset);
        assert!(lab.record.is_empty());
        assert_eq!(lab.sim().borrow().store().images().count(), 0);
        assert!(lab.revision > before);
    }

    #[test]
    fn a_dockerfile_travels_on_one_line_and_comes_back_the_same() {
        for text in [
            "FROM busybox\nRUN echo a \\\n\t&& echo b\n",
            "FROM busybox\nRUN printf 'x\\ny' > /f\n",
            "",
            "\\",
            "FROM busybox\r\nCMD [\"sh\"]\r\n",
        ] {
            let line = dockerfile_line(text);
            assert!(!line.contains('\n') && !line.contains('\t'), "{line:?}");
            assert_eq!(dockerfile_of(&line), Some(text.replace('\r', "")), "{line:?}");
        }
        assert_eq!(dockerfile_of("docker build ."), None);
    }

    #[test]
    fn a_file_may_hold_a_dockerfile_line_between_commands() {
        let text = format!(
            "{FILE_HEADER}\npanel: lessons\ndocker pull busybox\n{}\ndocker build -t app .\n",
            dockerfile_line("FROM busybox\nRUN touch /x\n")
        );
        let scenario = Scenario::from_file(&text).expect("a valid scenario");
        assert_eq!(scenario.commands().len(), 3);
        assert_eq!(
            scenario.commands().get(1).and_then(|c| dockerfile_of(c)).as_deref(),
            Some("FROM busybox\nRUN touch /x\n")
        );
        assert_eq!(Scenario::from_file(&scenario.to_file()), Ok(scenario));
    }
}
