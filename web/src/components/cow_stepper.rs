//! Copy-on-write, step by step: one container's stack drawn as boxes (the writable layer on
//! top), and the steps of what the newest command did to it, or of a read the learner asks
//! for, played forwards and back. The steps come from [`crate::cow`]; this file only draws them.

use std::rc::Rc;

use gloo_timers::callback::Timeout;
use layerlab_core::cli::format::{ellipsis, human_size};
use layerlab_core::engine::Event as EngineEvent;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::cow::{self, CowError, CowStack, MarkerKind, Role, Step};
use crate::state::SimView;

/// How long auto-play shows each step: long enough to read its sentence aloud.
const STEP_MS: u32 = 3500;

// Geometry in SVG user units; the picture scales with its box.
// Narrow enough that the text is drawn near its CSS size in the pictures column of a 1024-pixel
// screen; wider screens scale it up, as far as the stylesheet's max-width allows.
const WIDTH: u32 = 340;
const ARROW_X: u32 = 12;
const BOX_X: u32 = 30;
const BOX_W: u32 = WIDTH - BOX_X - 3;
/// Three lines: name and size, the instruction, the role's words.
const BOX_H: u32 = 58;
const GAP: u32 = 8;
/// Room around the boxes for the thick outline of the box in focus.
const PAD: u32 = 4;
/// Characters of a layer's instruction that fit on its line.
const DETAIL_CHARS: usize = 36;

#[derive(Debug, Properties, PartialEq)]
pub struct CowStepperProps {
    pub sim: SimView,
    /// The newest command's events.
    pub events: Rc<Vec<EngineEvent>>,
    /// Runs a command line in the terminal, as if typed.
    pub run: Callback<String>,
}

/// What the panel shows for the chosen container.
#[derive(Debug)]
struct Walk {
    stack: Option<CowStack>,
    steps: Result<Vec<Step>, CowError>,
    suggestions: Vec<String>,
}

fn box_y(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX).saturating_mul(BOX_H + GAP)
}

/// The words beside a box: its role, with the bytes a copy or a write moved.
fn role_text(step: &Step, i: usize, role: Role) -> String {
    match role {
        Role::Source => match step.moved {
            Some(m) if m.from == i => format!("{}: {}", role.label(), human_size(m.bytes)),
            _ => role.label().to_owned(),
        },
        Role::Written => match step.written {
            Some(bytes) => format!("{}: now {}", role.label(), human_size(bytes)),
            None => role.label().to_owned(),
        },
        _ => role.label().to_owned(),
    }
}

fn picture(stack: &CowStack, step: Option<&Step>) -> Html {
    let height = box_y(stack.boxes.len()).saturating_sub(GAP).max(1);
    let boxes = stack.boxes.iter().enumerate().map(|(i, b)| {
        let role = step.and_then(|s| s.roles.get(i).copied()).unwrap_or(Role::Idle);
        let current = step.is_some_and(|s| s.current == Some(i));
        let label = step.map(|s| role_text(s, i, role)).unwrap_or_default();
        let markers = step.map_or(0, |s| s.markers.iter().filter(|m| m.layer == i).count());
        let y = box_y(i);
        let name = match (current, markers) {
            (true, 0) => format!("▶ {}", b.name),
            (false, 0) => b.name.clone(),
            (c, n) => format!(
                "{}{} · ⊘ {n} marker{}",
                if c { "▶ " } else { "" },
                b.name,
                if n == 1 { "" } else { "s" }
            ),
        };
        let layer = if b.writable { "writable".to_owned() } else { b.name.clone() };
        html! {
            <g class={classes!("cow-box", role.class(), b.writable.then_some("writable"), current.then_some("current"))}
               data-layer={layer} data-role={role.class()}>
                <title>{ format!("{}: {}\n{} bytes", b.name, b.detail, b.size) }</title>
                <rect x={BOX_X.to_string()} y={y.to_string()} width={BOX_W.to_string()}
                      height={BOX_H.to_string()} rx="4" />
                <text x={(BOX_X + 8).to_string()} y={(y + 18).to_string()} class="cow-name">{ name }</text>
                <text x={(BOX_X + BOX_W - 8).to_string()} y={(y + 18).to_string()} class="cow-size"
                      text-anchor="end">{ human_size(b.size) }</text>
                <text x={(BOX_X + 8).to_string()} y={(y + 34).to_string()} class="cow-detail">
                    { ellipsis(&b.detail, DETAIL_CHARS) }
                </text>
                <text x={(BOX_X + 8).to_string()} y={(y + 51).to_string()} class="cow-role">{ label }</text>
            </g>
        }
    });
    // The copy drawn as an arrow up the left margin, from the box it leaves to the box it lands in.
    let arrow = step.and_then(|s| s.moved).map(|m| {
        let from = box_y(m.from) + BOX_H / 2;
        let to = box_y(m.to) + BOX_H / 2;
        html! {
            <g class="cow-arrow" aria-hidden="true">
                <path d={format!("M {BOX_X} {from} H {ARROW_X} V {to} H {}", BOX_X - 4)} />
                <polygon points={format!("{},{} {},{} {},{}", BOX_X, to, BOX_X - 8, to - 5, BOX_X - 8, to + 5)} />
            </g>
        }
    });
    let label = format!(
        "The stack of container {}: its writable layer on top of {} image layers",
        stack.container,
        stack.boxes.len().saturating_sub(1)
    );
    html! {
        <svg class="cow-svg" viewBox={format!("0 -{PAD} {WIDTH} {}", height + 2 * PAD)} role="img" aria-label={label}
             preserveAspectRatio="xMidYMin meet">
            // Hidden layers are hatched, so they differ from the others without colour.
            <defs>
                <pattern id="cow-hatch" width="6" height="6" patternUnits="userSpaceOnUse"
                         patternTransform="rotate(45)">
                    <rect width="6" height="6" class="cow-hatch-bg" />
                    <line x1="0" y1="0" x2="0" y2="6" class="cow-hatch-line" />
                </pattern>
            </defs>
            { for boxes }
            { for arrow }
        </svg>
    }
}

fn marker_list(step: Option<&Step>) -> Html {
    let Some(step) = step.filter(|s| !s.markers.is_empty()) else {
        return html! {};
    };
    html! {
        <ul class="cow-markers" aria-label="Markers in the writable layer">
            { for step.markers.iter().map(|m| {
                let symbol = match m.kind { MarkerKind::Whiteout => "⊘", MarkerKind::Opaque => "◼" };
                html! { <li class={classes!("cow-marker", m.kind.label().replace(' ', "-"))}>
                    { format!("{symbol} {}: ", m.kind.label()) }<code>{ m.path.clone() }</code>
                </li> }
            }) }
        </ul>
    }
}

#[component]
pub fn CowStepper(props: &CowStepperProps) -> Html {
    let chosen = use_state_eq(|| None::<String>);
    let typed = use_state_eq(String::new);
    let read = use_state_eq(|| None::<String>);
    let step = use_state_eq(|| 0usize);
    let playing = use_state_eq(|| false);

    // A new command: show what it did, from its first step.
    {
        let (chosen, read, step, playing) = (chosen.clone(), read.clone(), step.clone(), playing.clone());
        use_effect_with(props.sim.revision(), move |_| {
            chosen.set(None);
            read.set(None);
            step.set(0);
            playing.set(false);
        });
    }

    let (names, name) = {
        let sim = props.sim.borrow();
        let names = cow::containers(&sim);
        let name = (*chosen)
            .clone()
            .filter(|n| names.contains(n))
            .or_else(|| cow::default_container(&sim, &props.events));
        (names, name)
    };

    // Rebuilding a container's merged view is the costly part: only when the lab, the container
    // or the read changes, not on every step.
    let walk = {
        let sim = props.sim.clone();
        let events = Rc::clone(&props.events);
        use_memo(
            (props.sim.revision(), name.clone(), (*read).clone()),
            move |(_, name, read)| {
                let sim = sim.borrow();
                match name {
                    None => Walk {
                        stack: None,
                        steps: Ok(Vec::new()),
                        suggestions: Vec::new(),
                    },
                    Some(n) => {
                        let steps = match read {
                            Some(p) => cow::read_steps(&sim, n, p),
                            None => cow::event_steps(&sim, n, &events),
                        };
                        let suggestions = match &steps {
                            Ok(s) if s.is_empty() => cow::suggestions(&sim, n),
                            _ => Vec::new(),
                        };
                        Walk {
                            stack: cow::stack(&sim, n).ok(),
                            steps,
                            suggestions,
                        }
                    }
                }
            },
        )
    };
    let steps: &[Step] = walk.steps.as_deref().unwrap_or(&[]);
    let len = steps.len();
    let at = (*step).min(len.saturating_sub(1));
    let current = steps.get(at);

    // Auto-play: one timer per shown step, dropped (and so cancelled) when the step changes.
    {
        let (step, playing) = (step.clone(), playing.clone());
        use_effect_with((*playing, at, len), move |&(on, at, len)| {
            let timer = on.then(|| {
                Timeout::new(STEP_MS, move || {
                    if at + 1 < len {
                        step.set(at + 1);
                    }
                    if at + 2 >= len {
                        playing.set(false);
                    }
                })
            });
            move || drop(timer)
        });
    }

    let back = {
        let (step, playing) = (step.clone(), playing.clone());
        Callback::from(move |_: MouseEvent| {
            playing.set(false);
            step.set(at.saturating_sub(1));
        })
    };
    let forward = {
        let (step, playing) = (step.clone(), playing.clone());
        Callback::from(move |_: MouseEvent| {
            playing.set(false);
            step.set((at + 1).min(len.saturating_sub(1)));
        })
    };
    let toggle = {
        let (step, playing) = (step.clone(), playing.clone());
        Callback::from(move |_: MouseEvent| {
            if *playing || len < 2 {
                playing.set(false);
            } else {
                // Playing from the last step starts again from the first.
                if at + 1 >= len {
                    step.set(0);
                }
                playing.set(true);
            }
        })
    };
    // Left and Right step too, wherever the focus is among the buttons.
    let onkey = {
        let (step, playing) = (step.clone(), playing.clone());
        Callback::from(move |e: KeyboardEvent| {
            let to = match e.key().as_str() {
                "ArrowLeft" => at.saturating_sub(1),
                "ArrowRight" => (at + 1).min(len.saturating_sub(1)),
                _ => return,
            };
            e.prevent_default();
            playing.set(false);
            step.set(to);
        })
    };
    let onpick = {
        let (chosen, read, step, playing) = (chosen.clone(), read.clone(), step.clone(), playing.clone());
        Callback::from(move |e: Event| {
            let value = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
                .map(|s| s.value());
            chosen.set(value);
            read.set(None);
            step.set(0);
            playing.set(false);
        })
    };
    let ontype = {
        let typed = typed.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            {
                typed.set(input.value());
            }
        })
    };
    let ontrace = {
        let (typed, read, step, playing) = (typed.clone(), read.clone(), step.clone(), playing.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            read.set(Some((*typed).clone()));
            step.set(0);
            playing.set(false);
        })
    };
    let show_changes = {
        let (read, step) = (read.clone(), step.clone());
        Callback::from(move |_: MouseEvent| {
            read.set(None);
            step.set(0);
        })
    };

    let picker = html! {
        <div class="cow-controls">
            <label class="cow-pick">{ "Container " }
                <select onchange={onpick} aria-label="Container">
                    { for names.iter().map(|n| html! {
                        <option value={n.clone()} selected={name.as_deref() == Some(n.as_str())}>{ n.clone() }</option>
                    }) }
                </select>
            </label>
            <form class="cow-read" onsubmit={ontrace}>
                <label>{ "Trace a read of " }
                    <input type="text" value={(*typed).clone()} oninput={ontype} aria-label="Path to read"
                           placeholder="/etc/nginx/nginx.conf" spellcheck="false" autocomplete="off" />
                </label>
                <button type="submit" class="cow-trace">{ "Trace read" }</button>
            </form>
            if read.is_some() {
                <button type="button" class="cow-back-to-changes" onclick={show_changes}>
                    { "Show the last command's changes" }
                </button>
            }
        </div>
    };

    let heading = match (&*read, name.as_deref()) {
        (Some(p), Some(n)) => format!("A read of {} in {n}", p.trim()),
        (None, Some(n)) => format!("What the last command did to {n}"),
        _ => String::new(),
    };

    let body = match (&walk.stack, &walk.steps) {
        (None, _) => html! {
            <p class="empty">
                { "No containers yet. Start one and change a file in it, for example: " }
                <code>{ "docker run -d --name web nginx:1.15.8" }</code>
            </p>
        },
        (Some(stack), Err(e)) => html! {
            <>
                <p class="cow-error" role="alert">{ e.to_string() }</p>
                { picture(stack, None) }
            </>
        },
        (Some(stack), Ok(_)) if len == 0 => {
            let tries = walk.suggestions.iter().map(|line| {
                let run = props.run.clone();
                let line = line.clone();
                let onclick = {
                    let line = line.clone();
                    Callback::from(move |_: MouseEvent| run.emit(line.clone()))
                };
                html! {
                    <li><code>{ line.clone() }</code>
                        <button type="button" class="cow-run" aria-label={format!("Run {line}")} {onclick}>{ "Run" }</button></li>
                }
            });
            html! {
                <>
                    <p class="empty">
                        { format!("The last command changed nothing in {}'s writable layer. Change a file and come back, or trace a read above. Try:", stack.container) }
                    </p>
                    <ul class="cow-tries">{ for tries }</ul>
                    { picture(stack, None) }
                </>
            }
        }
        (Some(stack), Ok(_)) => html! {
            <>
                <h3 class="cow-heading">{ heading }</h3>
                // aria-disabled rather than disabled: a disabled button would drop the keyboard
                // focus of whoever just stepped to the end.
                <div class="cow-stepper-controls" role="group" aria-label="Steps" onkeydown={onkey}>
                    <button type="button" class="cow-prev" aria-label="Previous step"
                            aria-disabled={(at == 0).to_string()} onclick={back}>{ "◀ Back" }</button>
                    <button type="button" class="cow-play" aria-label={if *playing { "Pause" } else { "Play" }}
                            data-playing={playing.to_string()} aria-disabled={(len < 2).to_string()}
                            onclick={toggle}>
                        { if *playing { "❚❚ Pause" } else { "▶ Play" } }
                    </button>
                    <button type="button" class="cow-next" aria-label="Next step"
                            aria-disabled={(at + 1 >= len).to_string()} onclick={forward}>{ "Forward ▶" }</button>
                    <span class="cow-count">{ format!("Step {} of {len}", at + 1) }</span>
                </div>
                <p class="cow-sentence" aria-live="polite" aria-atomic="true">
                    { current.map(|s| s.sentence.clone()).unwrap_or_default() }
                </p>
                { picture(stack, current) }
                { marker_list(current) }
            </>
        },
    };

    html! {
        <section class="panel cow" aria-labelledby="cow-title">
            <h2 id="cow-title">{ "Copy-on-write, step by step" }</h2>
            <p class="legend">
                { "A container sees its image's read-only layers through one thin writable layer on top. \
                   Reads look down the stack; changes only ever land in the writable layer." }
            </p>
            if !names.is_empty() { { picker } }
            { body }
        </section>
    }
}
