//! The Dockerfile editor: the lesson's four-line Dockerfile to change and build, with the
//! lesson's app files as the build context. A mistake is pointed at by its line number while
//! typing, and the build itself runs through the terminal, so its output is where any other
//! command's would be.

use std::rc::Rc;

use layerlab_core::dockerfile::{self, BuildArgs};
use layerlab_core::reference::Reference;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::lessons::APP_TAG;
use crate::state::{Action, Lab, Line, LineKind};

/// The Dockerfile the lesson walks through, as the editor starts.
pub use crate::state::LESSON_DOCKERFILE;

const DRAFT_KEY: &str = "layerlab.dockerfile";

/// What is wrong with a Dockerfile before it is built: the parser's and the planner's complaint,
/// with the line it is about (none only for an empty file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: Option<usize>,
    pub message: String,
}

/// The first thing `docker build` would refuse in `text`, if anything.
pub fn problem(text: &str) -> Option<Problem> {
    let error = match dockerfile::parse(text) {
        Ok(parsed) => dockerfile::plan(&parsed, &BuildArgs::new()).err()?,
        Err(e) => e,
    };
    Some(Problem {
        line: error.line(),
        message: error.to_string(),
    })
}

/// Why an image name cannot be given to `docker build -t`, in Docker's words.
pub fn name_problem(name: &str) -> Option<String> {
    Reference::parse(name)
        .err()
        .map(|e| format!("invalid argument \"{name}\" for \"-t, --tag\" flag: {e}"))
}

/// How a build the editor started ended, read from the transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Its last line of output (`Successfully tagged app:latest`).
    Built(String),
    /// What it printed on stderr.
    Failed(String),
}

/// The outcome of the command echoed at `echo_at` in the transcript: the output blocks after
/// it, up to the next command. `None` while there is none (or the screen was cleared since).
pub fn outcome(transcript: &[Line], echo_at: usize) -> Option<Outcome> {
    // The build's echo follows the note that shows the Dockerfile.
    let notes = transcript
        .get(echo_at..)?
        .iter()
        .take_while(|l| l.kind == LineKind::Note)
        .count();
    let echo_at = echo_at.checked_add(notes)?;
    let echoed = transcript.get(echo_at)?;
    // After a `clear` the index may point at some later command: only a build is ours.
    if echoed.kind != LineKind::Command || !echoed.text.contains("docker build ") {
        return None;
    }
    let output: Vec<&Line> = transcript
        .get(echo_at.checked_add(1)?..)?
        .iter()
        .take_while(|l| l.kind != LineKind::Command)
        .collect();
    let stderr: String = output
        .iter()
        .filter(|l| l.kind == LineKind::Stderr)
        .map(|l| l.text.as_str())
        .collect();
    if !stderr.trim().is_empty() {
        return Some(Outcome::Failed(stderr.trim_end().to_owned()));
    }
    let last = output
        .iter()
        .rev()
        .find_map(|l| l.text.lines().rev().find(|t| !t.trim().is_empty()))?;
    Some(Outcome::Built(last.to_owned()))
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The draft kept from last time, so that a reload does not lose edits.
pub fn remembered_draft() -> String {
    storage()
        .and_then(|s| s.get_item(DRAFT_KEY).ok().flatten())
        .unwrap_or_else(|| LESSON_DOCKERFILE.to_owned())
}

fn remember_draft(text: &str) {
    if let Some(s) = storage() {
        // Best effort: a refused write only means the draft is not kept.
        let _ = s.set_item(DRAFT_KEY, text);
    }
}

#[derive(Debug, Properties, PartialEq)]
pub struct DockerfileEditorProps {
    /// The editor's text ([`Lab::editor`]).
    pub text: Rc<str>,
    pub transcript: Rc<Vec<Line>>,
    pub dispatch: UseReducerDispatcher<Lab>,
}

#[component]
pub fn DockerfileEditor(props: &DockerfileEditorProps) -> Html {
    let text = Rc::clone(&props.text);
    let name = use_state(|| APP_TAG.to_owned());
    // Kept whatever changed it: typing, or a replayed scenario's Dockerfile.
    use_effect_with(Rc::clone(&text), |text| remember_draft(text));
    // Where this editor's newest build was echoed in the transcript.
    let echo_at = use_state(|| None::<usize>);

    let oninput = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |e: InputEvent| {
            let area: HtmlTextAreaElement = e.target_unchecked_into();
            dispatch.dispatch(Action::EditDockerfile(area.value()));
        })
    };
    let onname = {
        let name = name.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            name.set(input.value());
        })
    };
    let bad_name = name_problem(name.trim());
    let onbuild = {
        let (text, name, echo_at) = (text.clone(), name.clone(), echo_at.clone());
        let dispatch = props.dispatch.clone();
        let next_echo = props.transcript.len();
        let refused = bad_name.is_some();
        Callback::from(move |_: MouseEvent| {
            if refused {
                return;
            }
            echo_at.set(Some(next_echo));
            dispatch.dispatch(Action::Build {
                dockerfile: text.to_string(),
                tag: name.trim().to_owned(),
            });
        })
    };
    let onreset = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::EditDockerfile(LESSON_DOCKERFILE.to_owned())))
    };

    let trouble = problem(&text);
    let bad_line = trouble.as_ref().and_then(|p| p.line);
    let line_count = text.split('\n').count().max(1);
    let gutter = (1..=line_count).map(|n| {
        let bad = bad_line == Some(n);
        html! {
            <li class={classes!(bad.then_some("bad"))}>
                { if bad { format!("▶ {n}") } else { n.to_string() } }
            </li>
        }
    });
    let finished = echo_at.and_then(|at| outcome(&props.transcript, at));

    html! {
        <section class="dockerfile-editor" aria-labelledby="dockerfile-title">
            <h3 id="dockerfile-title">{ "Dockerfile editor" }</h3>
            <p class="df-context">
                { "Built with the lesson's app.py and Makefile beside it, as if they sat in the current directory." }
            </p>
            <div class={classes!("df-code", trouble.is_some().then_some("invalid"))}>
                <ol class="df-gutter" aria-hidden="true">{ for gutter }</ol>
                <textarea id="dockerfile-text" aria-label="Dockerfile" spellcheck="false"
                          autocapitalize="off" autocomplete="off" wrap="off"
                          rows={(line_count + 1).to_string()} value={text.to_string()}
                          aria-invalid={trouble.is_some().to_string()}
                          aria-describedby="dockerfile-problem" {oninput} />
            </div>
            <p id="dockerfile-problem" class="df-problem"
               data-line={bad_line.map(|n| n.to_string())}>
                { match &trouble {
                    // The terminal shows Docker's whole sentence; here the line is said once.
                    Some(Problem { line: Some(n), message }) => {
                        let prefix = format!("dockerfile parse error on line {n}: ");
                        format!("⚠ Line {n}: {}", message.strip_prefix(&prefix).unwrap_or(message))
                    }
                    Some(Problem { line: None, message }) => format!("⚠ {message}"),
                    None => "✓ Docker can read this Dockerfile.".to_owned(),
                } }
            </p>
            <div class="df-build">
                <label for="dockerfile-tag">{ "Image name" }</label>
                <input id="dockerfile-tag" type="text" value={(*name).clone()} autocomplete="off"
                       autocapitalize="off" spellcheck="false"
                       aria-invalid={bad_name.is_some().to_string()}
                       aria-describedby="dockerfile-tag-problem" oninput={onname} />
                <button id="dockerfile-build" type="button" class="df-build-button"
                        disabled={bad_name.is_some()} onclick={onbuild}>{ "Build" }</button>
                <button type="button" class="df-reset" onclick={onreset}>
                    { "Back to the lesson's Dockerfile" }
                </button>
            </div>
            <p id="dockerfile-tag-problem" class="df-tag-problem">
                { bad_name.map(|m| format!("⚠ {m}")).unwrap_or_default() }
            </p>
            <p class="df-outcome" role="status" aria-live="polite"
               data-outcome={finished.as_ref().map(|o| match o {
                   Outcome::Built(_) => "built",
                   Outcome::Failed(_) => "failed",
               })}>
                { match &finished {
                    Some(Outcome::Built(last)) => format!("✓ {last}. Its layers are in the Layers panel."),
                    Some(Outcome::Failed(error)) => format!("✗ The build failed: {error}"),
                    None => String::new(),
                } }
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Action;

    #[test]
    fn the_lessons_dockerfile_has_no_problem() {
        assert_eq!(problem(LESSON_DOCKERFILE), None);
    }

    #[test]
    fn a_misspelt_instruction_is_pointed_at_by_its_line() {
        let p = problem("FROM ubuntu:15.04\nCOPY . /app\nRUNN make /app\n");
        assert_eq!(p.as_ref().and_then(|p| p.line), Some(3));
        assert!(
            p.is_some_and(|p| p.message.contains("unknown instruction: RUNN")),
            "the parser's own words"
        );
    }

    #[test]
    fn planning_problems_count_too() {
        let p = problem("COPY . /app\n");
        assert_eq!(p.and_then(|p| p.line), Some(1), "COPY before FROM");
        assert_eq!(
            problem("").map(|p| p.line),
            Some(None),
            "an empty file has no line"
        );
    }

    #[test]
    fn image_names_are_checked_as_docker_checks_them() {
        assert_eq!(name_problem("app"), None);
        assert_eq!(name_problem("registry.local:5000/team/app:v2"), None);
        for bad in ["", "App", "my app", "app:", ":v1"] {
            let message = name_problem(bad);
            assert!(
                message
                    .as_deref()
                    .is_some_and(|m| m.starts_with("invalid argument")),
                "{bad:?} gave {message:?}"
            );
        }
    }

    fn built(dockerfile: &str) -> (Lab, usize) {
        let mut lab = Lab::new();
        let echo_at = lab.transcript.len();
        lab.apply(Action::Build {
            dockerfile: dockerfile.into(),
            tag: "app".into(),
        });
        (lab, echo_at)
    }

    #[test]
    fn a_build_reads_as_built_or_failed_from_the_transcript() {
        let (lab, at) = built(LESSON_DOCKERFILE);
        assert_eq!(
            outcome(&lab.transcript, at),
            Some(Outcome::Built("Successfully tagged app:latest".into()))
        );
        let (lab, at) = built("FROM ubuntu:15.04\nCOPPY . /app\n");
        match outcome(&lab.transcript, at) {
            Some(Outcome::Failed(e)) => assert!(e.contains("on line 2"), "{e}"),
            other => panic!("expected a failure, got {other:?}"),
        }
        let (lab, at) = built("FROM ubuntu:15.04\nRUN false\n");
        assert!(matches!(outcome(&lab.transcript, at), Some(Outcome::Failed(_))));
    }

    #[test]
    fn no_outcome_before_the_build_or_after_clear() {
        let (mut lab, at) = built(LESSON_DOCKERFILE);
        assert_eq!(outcome(&lab.transcript, at + 2), None, "build output, not a command line");
        assert_eq!(outcome(&lab.transcript, usize::MAX), None);
        lab.apply(Action::Run("clear".into()));
        assert_eq!(outcome(&lab.transcript, at), None);
    }
}
