//! The lab's state and the reducer over it: the simulator, the terminal transcript, the command
//! history and the line being typed. Components only render this state and dispatch [`Action`]s, so
//! everything a learner can do is testable here without a browser.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use yew::Reducible;

use layerlab_core::archive::{self, Archive, ArchiveError, Limits};
use layerlab_core::engine::{Event, Output, Simulator, Stream, lesson_context};

use crate::completion::{Completion, Names, complete};
use crate::disk::DiskView;
use crate::stacks::{ImageStack, stacks};

/// The lesson's Dockerfile: what the editor holds until the learner changes it.
pub const LESSON_DOCKERFILE: &str = "FROM ubuntu:15.04\nCOPY . /app\nRUN make /app\nCMD python /app/app.py\n";

/// What the prompt shows before the line being typed.
pub const PROMPT: &str = "$ ";

/// The built-in commands the terminal answers itself; everything else goes to the simulator.
pub const BUILTINS: [&str; 3] = ["clear", "help", "history"];

/// What a transcript line is, which decides how it is styled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// A command the learner ran, echoed after the prompt.
    Command,
    Stdout,
    Stderr,
    /// The terminal's own messages (`help`, `history`, the greeting).
    Note,
}

/// One block of text in the transcript. `text` ends with a newline, so blocks can be laid out one
/// after another inside a `<pre>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub kind: LineKind,
    pub text: String,
}

impl Line {
    fn new(kind: LineKind, text: &str) -> Self {
        let mut text = text.to_owned();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        Line { kind, text }
    }
}

/// Everything the learner can do in the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The input line changed to this text.
    Edit(String),
    /// Run the input line (Enter).
    Submit,
    /// Step back to an older command in the history (Up).
    Older,
    /// Step forward to a newer command, and past the newest back to what was being typed (Down).
    Newer,
    /// Complete the command name being typed (Tab).
    Complete,
    /// Run this line as if it had been typed and entered: lessons, scripted demos and shared
    /// scenarios drive the lab through it, so the transcript shows exactly what ran.
    Run(String),
    /// Load an image archive (`docker save`, `podman save` or an OCI layout tarball) that the
    /// learner opened in the page, under the file name it had: opened and added in one go.
    Load { name: String, bytes: Rc<Vec<u8>> },
    /// Add an archive the page opened beforehand, a pause at a time (or say why it could not be
    /// opened): the transcript shows the same `docker load -i NAME` and answer as [`Action::Load`],
    /// while the reducer only does the quick part.
    AddOpened { name: String, opened: OpenedArchive },
    /// Start over with a fresh lab, as a new page would: a scenario replays from there.
    Reset,
    /// Build this Dockerfile, with the lesson's other files as its context, and tag the result:
    /// the transcript shows the `docker build` line it stands for, exactly as if typed.
    Build { dockerfile: String, tag: String },
    /// The text in the Dockerfile editor changed to this.
    EditDockerfile(String),
}

/// What opening an archive gave: handed to the lab once, by [`Action::AddOpened`]. Shared rather
/// than cloned, since an archive holds every file of its layers; equal only to itself.
#[derive(Debug, Clone)]
pub struct OpenedArchive(Rc<RefCell<Option<Result<Archive, ArchiveError>>>>);

impl OpenedArchive {
    pub fn new(opened: Result<Archive, ArchiveError>) -> Self {
        OpenedArchive(Rc::new(RefCell::new(Some(opened))))
    }
}

impl PartialEq for OpenedArchive {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for OpenedArchive {}

/// Which action a key pressed in the command input stands for, given what is typed so far.
/// Tab on an empty line is left to the browser, so keyboard users can still leave the terminal.
pub fn action_for_key(key: &str, input: &str) -> Option<Action> {
    match key {
        "Enter" => Some(Action::Submit),
        "ArrowUp" => Some(Action::Older),
        "ArrowDown" => Some(Action::Newer),
        "Tab" if !input.trim().is_empty() => Some(Action::Complete),
        _ => None,
    }
}

const GREETING: &str = "Welcome to layerlab: a simulated Docker engine, running in your browser, \
with a few images built in.\nType `help` for ideas, or start with: docker run nginx:1.15.8";

const HELP: &str = "\
Try these docker commands (the simulator answers them the way Docker would):
  docker pull ubuntu:15.04          download an image, layer by layer
  docker run nginx:1.15.8           start a container (pulls the image first if needed)
  docker images                     the images you have and their sizes
  docker history nginx:1.15.8       the instructions that made each layer
  docker ps -s                      containers, with the size of their writable layer
  docker system df                  how much disk images and containers take
Terminal keys: Up and Down walk through earlier commands, Tab completes command, image and
container names, Enter runs the line.
Terminal commands: help (this text), history (commands run so far), clear (empty the screen).";

/// The reducer's state. Cheap to clone: the simulator and the transcript are shared, and only
/// copied when a command changes them.
#[derive(Clone)]
pub struct Lab {
    sim: Rc<RefCell<Simulator>>,
    pub transcript: Rc<Vec<Line>>,
    pub history: Rc<Vec<String>>,
    /// Every line run, in order, repeats included (the history drops them, as a shell does), and
    /// every archive opened as its `docker load -i NAME` line: what a scenario replays.
    pub record: Rc<Vec<String>>,
    /// The line being typed.
    pub input: String,
    /// Bumped after every command that reached the simulator.
    pub revision: u64,
    /// The pictures' view of the simulator, read again after every command that reached it.
    pub stacks: Rc<Vec<ImageStack>>,
    pub disk: Rc<DiskView>,
    /// What happened underneath the newest command that reached the simulator.
    pub events: Rc<Vec<Event>>,
    /// The text in the Dockerfile editor. The lab holds it, not the editor, so that a replayed
    /// scenario's Dockerfile shows there, and a fresh lab (Reset) keeps the learner's draft.
    pub editor: Rc<str>,
    /// While walking the history: the index of the command shown, and the line that was being
    /// typed before the walk started (given back when walking past the newest command).
    recall: Option<(usize, String)>,
}

impl fmt::Debug for Lab {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lab")
            .field("transcript", &self.transcript)
            .field("history", &self.history)
            .field("input", &self.input)
            .field("revision", &self.revision)
            .finish_non_exhaustive()
    }
}

impl Default for Lab {
    fn default() -> Self {
        Self::new()
    }
}

impl Lab {
    /// A fresh lab: an empty simulated engine and a greeting.
    pub fn new() -> Self {
        let sim = Simulator::new();
        Lab {
            stacks: Rc::new(stacks(&sim)),
            disk: Rc::new(DiskView::of(&sim)),
            events: Rc::new(Vec::new()),
            sim: Rc::new(RefCell::new(sim)),
            transcript: Rc::new(vec![Line::new(LineKind::Note, GREETING)]),
            history: Rc::new(Vec::new()),
            record: Rc::new(Vec::new()),
            input: String::new(),
            revision: 0,
            editor: Rc::from(LESSON_DOCKERFILE),
            recall: None,
        }
    }

    /// Applies one action in place.
    pub fn apply(&mut self, action: Action) {
        match action {
            Action::Edit(text) => {
                self.input = text;
                self.recall = None;
            }
            Action::Submit => self.submit(),
            Action::Run(line) => {
                self.input = line;
                self.submit();
            }
            Action::Load { name, bytes } => self.load(&name, archive::open(&bytes, &Limits::default())),
            Action::AddOpened { name, opened } => {
                // Taken, not cloned: only the first reduction of the action sees it.
                let opened = opened.0.borrow_mut().take();
                if let Some(opened) = opened {
                    self.load(&name, opened);
                }
            }
            Action::Reset => {
                // Revisions only grow, so nothing mistakes the fresh lab for one it has seen.
                let revision = self.revision + 1;
                let editor = Rc::clone(&self.editor);
                *self = Lab::new();
                self.revision = revision;
                self.editor = editor;
            }
            Action::EditDockerfile(text) => self.editor = Rc::from(text),
            Action::Build { dockerfile, tag } => self.build(dockerfile, &tag),
            Action::Older => self.older(),
            Action::Newer => self.newer(),
            Action::Complete => match complete(&self.input, &Names::of(&self.sim.borrow())) {
                Completion::None => {}
                Completion::Line(line) => {
                    self.input = line;
                    self.recall = None;
                }
                Completion::Choices(names) => {
                    let listing = format!("{PROMPT}{}\n{}", self.input, names.join("  "));
                    Rc::make_mut(&mut self.transcript).push(Line::new(LineKind::Note, &listing));
                }
            },
        }
    }

    fn submit(&mut self) {
        let line = std::mem::take(&mut self.input);
        self.recall = None;
        let command = line.trim();
        if let Some(dockerfile) = crate::scenario::dockerfile_of(command) {
            Rc::make_mut(&mut self.record).push(command.to_owned());
            self.set_dockerfile(dockerfile);
            return;
        }
        let transcript = Rc::make_mut(&mut self.transcript);
        transcript.push(Line::new(LineKind::Command, &format!("{PROMPT}{line}")));
        if command.is_empty() {
            return;
        }
        Rc::make_mut(&mut self.record).push(command.to_owned());
        if self.history.last().map(String::as_str) != Some(command) {
            Rc::make_mut(&mut self.history).push(command.to_owned());
        }
        match command {
            "clear" => transcript.clear(),
            "help" => transcript.push(Line::new(LineKind::Note, HELP)),
            "history" => {
                let listing: String = self
                    .history
                    .iter()
                    .enumerate()
                    .map(|(i, cmd)| format!("{:>5}  {cmd}\n", i + 1))
                    .collect();
                transcript.push(Line::new(LineKind::Note, &listing));
            }
            _ => {
                let output = self.sim.borrow_mut().run_line(command);
                self.show(output);
            }
        }
    }

    /// `docker load` of a file opened in the page: the transcript shows it as the command a
    /// learner would type for the same file.
    fn load(&mut self, name: &str, opened: Result<Archive, ArchiveError>) {
        self.recall = None;
        let command = format!("docker load -i {name}");
        Rc::make_mut(&mut self.record).push(command.clone());
        Rc::make_mut(&mut self.transcript).push(Line::new(LineKind::Command, &format!("{PROMPT}{command}")));
        let output = self.sim.borrow_mut().load_opened(opened);
        self.show(output);
    }

    /// The editor's build: its Dockerfile becomes the context of [`BUILD_DIR`] beside the lesson's
    /// app files, and the build runs as the typed line would, so the terminal shows it. Both go
    /// through the record as lines, so a scenario replays the build of this very Dockerfile.
    fn build(&mut self, dockerfile: String, tag: &str) {
        self.input = crate::scenario::dockerfile_line(&dockerfile);
        self.submit();
        self.input = format!("docker build -t {} {BUILD_DIR}", shell_word(tag));
        self.submit();
    }

    /// Makes `dockerfile` the one `docker build ... .` reads, and shows it in the terminal.
    fn set_dockerfile(&mut self, dockerfile: String) {
        let listing: String = dockerfile
            .lines()
            .enumerate()
            .map(|(i, l)| format!("{:>4}  {l}\n", i + 1))
            .collect();
        let note = format!("The editor's Dockerfile, now ./Dockerfile in the build context:\n{listing}");
        Rc::make_mut(&mut self.transcript).push(Line::new(LineKind::Note, &note));
        let mut files = lesson_context();
        files.insert("Dockerfile".to_owned(), dockerfile.clone().into_bytes());
        self.sim.borrow_mut().set_build_context(BUILD_DIR, files);
        self.editor = Rc::from(dockerfile);
    }

    /// Appends a command's output to the transcript and reads the pictures' views again.
    fn show(&mut self, output: Output) {
        let transcript = Rc::make_mut(&mut self.transcript);
        for (stream, text) in output.interleaved() {
            let kind = match stream {
                Stream::Stdout => LineKind::Stdout,
                Stream::Stderr => LineKind::Stderr,
            };
            transcript.push(Line::new(kind, text));
        }
        self.revision += 1;
        let sim = self.sim.borrow();
        self.stacks = Rc::new(stacks(&sim));
        self.disk = Rc::new(DiskView::of(&sim));
        self.events = Rc::new(output.events);
    }

    /// The simulator, for the pictures and the lessons to read. It changes only through
    /// [`Action`]s; [`SimView`] equality follows [`Lab::revision`].
    pub fn sim(&self) -> SimView {
        SimView {
            sim: Rc::clone(&self.sim),
            revision: self.revision,
        }
    }

    fn older(&mut self) {
        let index = match &self.recall {
            Some((0, _)) => return,
            Some((i, _)) => i - 1,
            None => match self.history.len().checked_sub(1) {
                Some(newest) => newest,
                None => return,
            },
        };
        let draft = match self.recall.take() {
            Some((_, draft)) => draft,
            None => std::mem::take(&mut self.input),
        };
        if let Some(cmd) = self.history.get(index) {
            self.input = cmd.clone();
        }
        self.recall = Some((index, draft));
    }

    fn newer(&mut self) {
        let Some((index, draft)) = self.recall.take() else {
            return;
        };
        match self.history.get(index + 1) {
            Some(cmd) => {
                self.input = cmd.clone();
                self.recall = Some((index + 1, draft));
            }
            None => self.input = draft,
        }
    }
}

/// The directory the editor's Dockerfile is built from: the current one, so that typing
/// `docker build -t NAME .` afterwards builds the edited Dockerfile too.
pub const BUILD_DIR: &str = ".";

/// `word` as one shell word: quoted when it holds anything a shell would split or interpret, so
/// an odd image name reaches `docker build -t` whole and Docker's own error can name it. A few
/// lines rather than a crate: only single quotes need care inside single quotes.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "._-:/@".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// A read-only handle on the lab's simulator, passed to components as a property. Two views are
/// equal when they show the same revision of the same simulator, so a component re-renders after
/// each command and not otherwise.
#[derive(Clone)]
pub struct SimView {
    sim: Rc<RefCell<Simulator>>,
    revision: u64,
}

impl SimView {
    /// Borrows the simulator to read it. Reducer actions are applied between renders, never
    /// during one, so this borrow cannot meet a writer.
    pub fn borrow(&self) -> std::cell::Ref<'_, Simulator> {
        self.sim.borrow()
    }

    pub fn revision(&self) -> u64 {
        self.revision
    }
}

impl PartialEq for SimView {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.sim, &other.sim) && self.revision == other.revision
    }
}

impl fmt::Debug for SimView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimView")
            .field("revision", &self.revision)
            .finish_non_exhaustive()
    }
}

impl Reducible for Lab {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        next.apply(action);
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(lab: &mut Lab, line: &str) {
        lab.apply(Action::Edit(line.to_owned()));
        lab.apply(Action::Submit);
    }

    #[test]
    fn history_walks_back_and_returns_the_draft() {
        let mut lab = Lab::new();
        typed(&mut lab, "help");
        typed(&mut lab, "history");
        lab.apply(Action::Edit("dock".into()));
        lab.apply(Action::Older);
        assert_eq!(lab.input, "history");
        lab.apply(Action::Older);
        assert_eq!(lab.input, "help");
        lab.apply(Action::Older);
        assert_eq!(lab.input, "help", "the oldest command stays put");
        lab.apply(Action::Newer);
        assert_eq!(lab.input, "history");
        lab.apply(Action::Newer);
        assert_eq!(lab.input, "dock", "walking past the newest gives the draft back");
    }

    #[test]
    fn run_action_runs_a_line_and_records_its_events() {
        let mut lab = Lab::new();
        lab.apply(Action::Run("docker pull busybox".into()));
        assert_eq!(
            lab.history.last().map(String::as_str),
            Some("docker pull busybox")
        );
        assert!(lab.events.iter().any(|e| matches!(e, Event::LayerPulled { .. })));
        assert_eq!(lab.sim().borrow().store().images().count(), 1);
        let before = lab.sim();
        lab.apply(Action::Run("docker images".into()));
        assert!(before != lab.sim(), "a command makes a new revision");
    }

    #[test]
    fn a_broken_archive_is_refused_in_the_transcript() {
        let mut lab = Lab::new();
        let bytes = Rc::new(b"not a tarball".to_vec());
        lab.apply(Action::Load {
            name: "broken.tar".into(),
            bytes,
        });
        let last = lab.transcript.last().map(|l| l.kind);
        assert_eq!(last, Some(LineKind::Stderr));
        assert_eq!(lab.sim().borrow().store().images().count(), 0);
    }

    #[test]
    fn an_archive_opened_beforehand_loads_once_as_a_load_in_one_go_would() {
        let archive = Rc::new(b"not a tarball".to_vec());
        let mut one_go = Lab::new();
        one_go.apply(Action::Load {
            name: "broken.tar".into(),
            bytes: archive.clone(),
        });
        let mut lab = Lab::new();
        let opened = OpenedArchive::new(archive::open(&archive, &Limits::default()));
        let action = Action::AddOpened {
            name: "broken.tar".into(),
            opened,
        };
        assert_eq!(action, action.clone(), "the same opened archive");
        assert_ne!(
            action,
            Action::AddOpened {
                name: "broken.tar".into(),
                opened: OpenedArchive::new(archive::open(&archive, &Limits::default())),
            },
            "another opening"
        );
        lab.apply(action.clone());
        assert_eq!(lab.transcript, one_go.transcript);
        assert_eq!(lab.record, one_go.record);
        let shown = lab.transcript.len();
        lab.apply(action);
        assert_eq!(lab.transcript.len(), shown, "an opened archive is added once");
    }

    #[test]
    fn build_runs_the_edited_dockerfile_as_a_typed_line() {
        let mut lab = Lab::new();
        lab.apply(Action::Build {
            dockerfile: "FROM ubuntu:15.04\nCOPY . /app\nENV MODE=lab\nRUN make /app\n".into(),
            tag: "edited".into(),
        });
        assert_eq!(
            lab.history.last().map(String::as_str),
            Some("docker build -t edited .")
        );
        let shown: String = lab.transcript.iter().map(|l| l.text.as_str()).collect();
        assert!(shown.contains("$ docker build -t edited .\n"), "{shown}");
        assert!(shown.contains("Step 3/4 : ENV MODE=lab\n"), "{shown}");
        assert!(shown.contains("Successfully tagged edited:latest\n"), "{shown}");
        let sim = lab.sim();
        let sim = sim.borrow();
        let id = sim.store().resolve_tag("edited:latest");
        let layers = id.map(|id| sim.store().image_layers(&id).len());
        let base = sim.store().resolve_tag("ubuntu:15.04");
        let base_layers = base.map(|id| sim.store().image_layers(&id).len());
        assert_eq!(
            layers,
            base_layers.map(|n| n + 2),
            "COPY and RUN make one layer each, ENV none"
        );
        assert!(lab.stacks.iter().any(|s| s.names.iter().any(|n| n == "edited:latest")));
    }

    #[test]
    fn the_editors_dockerfile_is_recorded_so_a_replay_builds_the_same_image() {
        let dockerfile = "FROM ubuntu:15.04\nCOPY . /app\nRUN mkdir -p /data \\\n\t&& echo hi > /data/x\nCMD [\"python\"]\n";
        let mut lab = Lab::new();
        lab.apply(Action::Build {
            dockerfile: dockerfile.into(),
            tag: "edited".into(),
        });
        assert_eq!(&*lab.editor, dockerfile);
        assert_eq!(lab.record.len(), 2, "{:?}", lab.record);
        assert_eq!(
            lab.history.last().map(String::as_str),
            Some("docker build -t edited ."),
            "the Dockerfile line is not a command to recall"
        );
        let shown: String = lab.transcript.iter().map(|l| l.text.as_str()).collect();
        assert!(shown.contains("   3  RUN mkdir -p /data \\\n"), "{shown}");
        let built = lab.sim().borrow().store().resolve_tag("edited:latest");
        assert!(built.is_some(), "{shown}");

        let scenario = crate::scenario::Scenario::new(&lab.record, crate::scenario::Settings::default());
        let scenario = scenario.expect("the record makes a scenario");
        for copy in [
            crate::scenario::Scenario::from_fragment(&scenario.to_fragment()).ok().flatten(),
            crate::scenario::Scenario::from_file(&scenario.to_file()).ok(),
        ] {
            let copy = copy.expect("the scenario reads back");
            let mut replayed = Lab::new();
            let (runs, rest) = copy.replay();
            assert!(rest.is_none());
            for run in runs {
                replayed.apply(run);
            }
            assert_eq!(replayed.transcript, lab.transcript);
            assert_eq!(&*replayed.editor, dockerfile);
            let again = replayed.sim().borrow().store().resolve_tag("edited:latest");
            assert_eq!(again, built, "the same image, not the lesson's default one");
        }
    }

    #[test]
    fn a_broken_dockerfile_fails_in_the_terminal_with_its_line() {
        let mut lab = Lab::new();
        lab.apply(Action::Build {
            dockerfile: "FROM ubuntu:15.04\nCOPPY . /app\n".into(),
            tag: "app".into(),
        });
        let last = lab.transcript.last();
        assert_eq!(last.map(|l| l.kind), Some(LineKind::Stderr));
        assert!(
            last.is_some_and(|l| l.text.contains("line 2: unknown instruction: COPPY")),
            "{last:?}"
        );
        assert_eq!(lab.sim().borrow().store().resolve_tag("app:latest"), None);
    }

    #[test]
    fn odd_image_names_reach_docker_as_one_word() {
        assert_eq!(shell_word("app:v1"), "app:v1");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("my app"), "'my app'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        let mut lab = Lab::new();
        lab.apply(Action::Build {
            dockerfile: "FROM busybox\n".into(),
            tag: "Bad Name".into(),
        });
        let shown: String = lab.transcript.iter().map(|l| l.text.as_str()).collect();
        assert!(shown.contains("$ docker build -t 'Bad Name' .\n"), "{shown}");
        assert!(lab.sim().borrow().store().resolve_tag("Bad Name").is_none());
    }

    #[test]
    fn clear_empties_the_transcript() {
        let mut lab = Lab::new();
        typed(&mut lab, "help");
        typed(&mut lab, "clear");
        assert!(lab.transcript.is_empty());
    }
}
