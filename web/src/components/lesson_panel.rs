//! The Lessons panel: the guided lesson one step at a time, with buttons that run each step's
//! commands in the terminal, the step's task ticked off as soon as the lab shows it done, a hint
//! on request, and the Dockerfile editor.
//!
//! Where the learner is in the lesson is kept in the browser's local storage rather than only in
//! the component: the panel is unmounted whenever another tab is chosen, and coming back to the
//! Layers panel to look at a build must not send the learner back to the first step.

use std::rc::Rc;

use yew::prelude::*;

use crate::components::dockerfile_editor::DockerfileEditor;
use crate::lessons::{LESSONS, Lesson, Step};
use crate::state::{Action, Lab, Line, SimView};

const PLACE_KEY: &str = "layerlab.lesson";

/// What the panel shows: a step of a lesson, or the editor on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Step { lesson: usize, step: usize },
    Editor,
}

impl Place {
    const FIRST: Place = Place::Step { lesson: 0, step: 0 };

    /// `images/pull` or `editor`: what is saved in storage.
    pub fn key(self) -> String {
        match self {
            Place::Editor => "editor".to_owned(),
            Place::Step { lesson, step } => {
                match LESSONS.get(lesson).and_then(|l| Some((l, l.steps.get(step)?))) {
                    Some((l, s)) => format!("{}/{}", l.slug, s.slug),
                    None => String::new(),
                }
            }
        }
    }

    /// The place a saved key names; anything unknown (an older lesson, a hand-edited value)
    /// starts at the beginning.
    pub fn from_key(key: &str) -> Place {
        if key == "editor" {
            return Place::Editor;
        }
        let found = key.split_once('/').and_then(|(l, s)| {
            let lesson = LESSONS.iter().position(|x| x.slug == l)?;
            let step = LESSONS.get(lesson)?.steps.iter().position(|x| x.slug == s)?;
            Some(Place::Step { lesson, step })
        });
        found.unwrap_or(Place::FIRST)
    }

    fn get(self) -> Option<(&'static Lesson, &'static Step)> {
        match self {
            Place::Step { lesson, step } => {
                let l = LESSONS.get(lesson)?;
                Some((l, l.steps.get(step)?))
            }
            Place::Editor => None,
        }
    }

    /// The step before, if there is one in this lesson.
    pub fn back(self) -> Option<Place> {
        match self {
            Place::Step { lesson, step } => step.checked_sub(1).map(|step| Place::Step { lesson, step }),
            Place::Editor => None,
        }
    }

    /// The step after, if there is one in this lesson.
    pub fn next(self) -> Option<Place> {
        match self {
            Place::Step { lesson, step } => {
                let next = Place::Step {
                    lesson,
                    step: step + 1,
                };
                next.get().map(|_| next)
            }
            Place::Editor => None,
        }
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn remembered_place() -> Place {
    storage()
        .and_then(|s| s.get_item(PLACE_KEY).ok().flatten())
        .map_or(Place::FIRST, |k| Place::from_key(&k))
}

fn remember_place(place: Place) {
    if let Some(s) = storage() {
        // Best effort: a refused write only means the place is not kept.
        let _ = s.set_item(PLACE_KEY, &place.key());
    }
}

/// Splits text at backticks: odd pieces are code. An unmatched backtick is kept as text.
pub fn code_spans(text: &str) -> Vec<(bool, &str)> {
    let pieces: Vec<&str> = text.split('`').collect();
    let balanced = pieces.len() % 2 == 1;
    if !balanced {
        return vec![(false, text)];
    }
    pieces
        .into_iter()
        .enumerate()
        .filter(|(_, p)| !p.is_empty())
        .map(|(i, p)| (i % 2 == 1, p))
        .collect()
}

fn prose(text: &str) -> Html {
    html! {
        { for code_spans(text).into_iter().map(|(code, piece)| if code {
            html! { <code>{ piece }</code> }
        } else {
            html! { { piece } }
        }) }
    }
}

#[derive(Debug, Properties, PartialEq)]
pub struct LessonPanelProps {
    pub sim: SimView,
    pub history: Rc<Vec<String>>,
    pub transcript: Rc<Vec<Line>>,
    /// The Dockerfile editor's text ([`Lab::editor`]).
    pub editor: Rc<str>,
    pub dispatch: UseReducerDispatcher<Lab>,
}

#[component]
pub fn LessonPanel(props: &LessonPanelProps) -> Html {
    let place = use_state(remembered_place);
    let hint_open = use_state(|| false);
    // The task state last rendered, so that the change to done is announced once, and never
    // merely because the panel was opened on a step that was done already.
    let last_seen = use_mut_ref(|| None::<(Place, bool)>);
    let announcement = use_mut_ref(String::new);
    // After Next, Back or a step link, focus goes to the new step's title, so a screen reader
    // reads where the learner now is and a disabled Next does not drop focus to the page. Not
    // on the first render: opening the tab leaves focus on the tab.
    let heading = use_node_ref();
    let moved = use_mut_ref(|| false);
    {
        let (heading, moved) = (heading.clone(), moved.clone());
        use_effect_with(*place, move |_| {
            if std::mem::take(&mut *moved.borrow_mut())
                && let Some(h) = heading.cast::<web_sys::HtmlElement>()
            {
                let _ = h.focus();
            }
        });
    }

    let go = {
        let (place, hint_open, moved) = (place.clone(), hint_open.clone(), moved.clone());
        Callback::from(move |to: Place| {
            remember_place(to);
            hint_open.set(false);
            *moved.borrow_mut() = true;
            place.set(to);
        })
    };

    let sim = props.sim.borrow();
    let done_of = |s: &Step| s.is_done(&sim, &props.history);

    let open_editor = {
        let go = go.clone();
        Callback::from(move |_: MouseEvent| go.emit(Place::Editor))
    };
    let editor_link = html! {
        <button type="button" id="lesson-link-editor"
                class={classes!("lesson-link", "editor-link")}
                aria-current={(*place == Place::Editor).then_some("page")} onclick={open_editor}>
            <span class="lesson-mark" aria-hidden="true">{ "✎" }</span>
            { "Dockerfile editor" }
        </button>
    };
    let mut list = Vec::new();
    for (li, lesson) in LESSONS.iter().enumerate() {
        let items = lesson.steps.iter().enumerate().map(|(si, s)| {
            let here = Place::Step { lesson: li, step: si };
            let done = done_of(s);
            let onclick = {
                let go = go.clone();
                Callback::from(move |_: MouseEvent| go.emit(here))
            };
            // A compact row of numbered steps keeps the current step above the fold on a
            // 1024x768 screen; the full title is the button's name and its tooltip.
            let name = format!(
                "Step {}: {}, {}",
                si + 1,
                s.title,
                if done { "done" } else { "not done yet" }
            );
            html! {
                <li>
                    <button type="button" id={format!("lesson-link-{}", s.slug)}
                            class={classes!("lesson-link", done.then_some("done"))}
                            aria-label={name.clone()} title={name}
                            aria-current={(*place == here).then_some("step")} {onclick}>
                        <span class="lesson-mark" aria-hidden="true">{ if done { "✓" } else { "○" } }</span>
                        <span aria-hidden="true">{ si + 1 }</span>
                    </button>
                </li>
            }
        });
        list.push(html! {
            <li class="lesson-entry">
                <span class="lesson-name">{ lesson.title }</span>
                <ol class="lesson-steps">
                    { for items }
                    if li + 1 == LESSONS.len() { <li>{ editor_link.clone() }</li> }
                </ol>
            </li>
        });
    }
    let nav = html! {
        <nav class="lesson-list" aria-label="Lessons and their steps">
            <ol class="lessons-index">{ for list }</ol>
        </nav>
    };

    let editor = html! {
        <DockerfileEditor text={props.editor.clone()} transcript={props.transcript.clone()}
                          dispatch={props.dispatch.clone()} />
    };

    let body = match place.get() {
        None => {
            *last_seen.borrow_mut() = None;
            announcement.borrow_mut().clear();
            html! { <div class="lesson-step lesson-editor-only">{ editor }</div> }
        }
        Some((lesson, step)) => {
            let done = done_of(step);
            let previous = last_seen.borrow_mut().replace((*place, done));
            match previous {
                Some((p, false)) if p == *place && done => {
                    *announcement.borrow_mut() = format!("Task done: {}", step.title);
                }
                Some((p, _)) if p == *place => {}
                _ => announcement.borrow_mut().clear(),
            }
            let commands = step.commands.iter().map(|line| {
                let onclick = {
                    let dispatch = props.dispatch.clone();
                    let line = (*line).to_owned();
                    Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::Run(line.clone())))
                };
                html! {
                    <li>
                        <code>{ *line }</code>
                        <button type="button" class="lesson-run" data-command={*line}
                                aria-label={format!("Run {line}")} {onclick}>{ "Run" }</button>
                    </li>
                }
            });
            let toggle_hint = {
                let hint_open = hint_open.clone();
                Callback::from(move |_: MouseEvent| hint_open.set(!*hint_open))
            };
            let back = place.back();
            let next = place.next();
            let onback = {
                let go = go.clone();
                Callback::from(move |_: MouseEvent| {
                    if let Some(to) = back {
                        go.emit(to);
                    }
                })
            };
            let onnext = {
                let go = go.clone();
                Callback::from(move |_: MouseEvent| {
                    if let Some(to) = next {
                        go.emit(to);
                    }
                })
            };
            let (number, total) = match *place {
                Place::Step { step, .. } => (step + 1, lesson.steps.len()),
                Place::Editor => (0, 0),
            };
            html! {
                <article class="lesson-step" id={format!("lesson-step-{}", step.slug)}
                         data-step={step.slug} aria-labelledby="lesson-step-title">
                    <p class="lesson-progress">{ format!("Step {number} of {total}") }</p>
                    <h3 id="lesson-step-title" tabindex="-1" ref={heading.clone()}>{ step.title }</h3>
                    <p class="lesson-explanation">{ prose(step.explanation) }</p>
                    <h4>{ "Try these" }</h4>
                    <ul class="lesson-commands">{ for commands }</ul>
                    if step.editor { { editor } }
                    <div id="lesson-task" class={classes!("lesson-task", done.then_some("done"))}
                         data-done={done.to_string()}>
                        <h4>{ "Your task" }</h4>
                        <p>{ prose(step.task) }</p>
                        <p class="lesson-task-state">
                            if done {
                                <span aria-hidden="true">{ "✓ " }</span>{ "Done: the lab sees it." }
                            } else {
                                <span aria-hidden="true">{ "○ " }</span>{ "Not done yet. The lab checks after every command." }
                            }
                        </p>
                    </div>
                    <div class="lesson-hint-box">
                        <button type="button" id="lesson-hint-toggle" class="lesson-hint-toggle"
                                aria-expanded={hint_open.to_string()} aria-controls="lesson-hint"
                                onclick={toggle_hint}>
                            { if *hint_open { "Hide the hint" } else { "Show a hint" } }
                        </button>
                        <p id="lesson-hint" class="lesson-hint" hidden={!*hint_open}>{ prose(step.hint) }</p>
                    </div>
                    <div class="lesson-nav">
                        <button type="button" id="lesson-back" disabled={back.is_none()} onclick={onback}>
                            { "← Back" }
                        </button>
                        <button type="button" id="lesson-next" disabled={next.is_none()} onclick={onnext}>
                            { "Next →" }
                        </button>
                    </div>
                </article>
            }
        }
    };

    html! {
        <section class="panel lessons" aria-labelledby="lessons-title">
            <h2 id="lessons-title">{ "Lessons" }</h2>
            { nav }
            { body }
            <p id="lesson-announce" class="visually-hidden" role="status" aria-live="polite">
                { announcement.borrow().clone() }
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_round_trip_through_their_keys() {
        let mut place = Place::FIRST;
        loop {
            assert_eq!(Place::from_key(&place.key()), place);
            match place.next() {
                Some(next) => place = next,
                None => break,
            }
        }
        assert_eq!(Place::from_key("editor"), Place::Editor);
        assert_eq!(Place::from_key("nope/nothing"), Place::FIRST);
        assert_eq!(Place::from_key(""), Place::FIRST);
    }

    #[test]
    fn back_and_next_stop_at_the_ends() {
        assert_eq!(Place::FIRST.back(), None);
        let steps = LESSONS.first().map_or(0, |l| l.steps.len());
        let last = Place::Step {
            lesson: 0,
            step: steps - 1,
        };
        assert_eq!(last.next(), None);
        assert!(last.back().is_some());
        assert_eq!(Place::Editor.next(), None);
        assert_eq!(Place::Step { lesson: 9, step: 0 }.next(), None);
    }

    #[test]
    fn backticks_mark_code() {
        assert_eq!(
            code_spans("run `docker ps -s` now"),
            vec![(false, "run "), (true, "docker ps -s"), (false, " now")]
        );
        assert_eq!(code_spans("odd ` tick"), vec![(false, "odd ` tick")]);
        assert_eq!(code_spans(""), Vec::<(bool, &str)>::new());
    }
}
