//! Opening a real image archive in the page: drop a `docker save`, `podman save` or OCI layout
//! tarball anywhere on the workbench, or pick one with the "Open an image archive…" button. The
//! bytes never leave the browser: core reads them (tar, gzip, the sha256 of every blob against its
//! digest) as `docker load` would, and the pictures show the images like any pulled one.
//!
//! Opening a large archive takes seconds, so it runs a slice at a time: core pauses every MiB of
//! work, and every [`SLICE_MS`] the page gives the browser a turn, shows how far it got in a
//! progress bar and lets the learner cancel. Only adding the opened images to the lab is done in
//! one go, and that is quick.
//!
//! Files over [`MAX_ARCHIVE_BYTES`] are refused from their size alone, before a byte is read.

use std::cell::{Cell, RefCell};
use std::ops::ControlFlow;
use std::rc::Rc;
use std::time::Duration;

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DragEvent, File, HtmlInputElement};
use yew::prelude::*;

use layerlab_core::archive::{self, Limits, Pause, PauseFuture, Progress, Stage};
use layerlab_core::cli::format::{fixed, human_size};

use crate::state::{Action, Lab, Line, LineKind, OpenedArchive, PROMPT};

/// The largest file the page opens: 256 MiB, the native terminal's cap as well. The page holds the
/// file's bytes, the layers read from them and, for a compressed archive, the decompressed tar, all
/// inside a wasm32 address space of at most 4 GiB; larger lesson images are better loaded with
/// `layerlab --engine sim load -i` in a terminal.
pub const MAX_ARCHIVE_BYTES: u64 = 256 << 20;

/// How long the open works before the browser gets a turn: one frame at 60 Hz. A turn costs a
/// few milliseconds (browsers hold back chained timers), so it is not taken at every pause.
pub const SLICE_MS: f64 = 16.0;

/// Where opening an archive is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opening {
    Idle,
    /// Copying the file's bytes into the page.
    Reading {
        name: String,
    },
    /// Core is unpacking the archive and checking every digest: `progress` says how far it got,
    /// once it has paused at all. `from` is the transcript's length when the opened archive was
    /// handed to the lab (`None` until then): its answer comes after it.
    Verifying {
        name: String,
        progress: Option<Progress>,
        from: Option<usize>,
    },
    /// Loaded: what `docker load` printed.
    Loaded {
        name: String,
        message: String,
    },
    /// Refused: why, and what to do.
    Failed {
        name: String,
        message: String,
    },
    /// The learner stopped it; nothing was loaded.
    Cancelled {
        name: String,
    },
}

impl Opening {
    fn state(&self) -> &'static str {
        match self {
            Opening::Idle => "idle",
            Opening::Reading { .. } => "reading",
            Opening::Verifying { .. } => "verifying",
            Opening::Loaded { .. } => "loaded",
            Opening::Failed { .. } => "failed",
            Opening::Cancelled { .. } => "cancelled",
        }
    }
}

/// Why a file is refused before it is read, or `None` if it may be read.
pub fn refusal(name: &str, size: u64) -> Option<String> {
    (size > MAX_ARCHIVE_BYTES).then(|| {
        format!(
            "{name} is {}, more than the {} the page can open: save fewer images into it \
             (docker save IMAGE -o FILE), or load it with `layerlab --engine sim load -i FILE` in a terminal",
            mib(size),
            mib(MAX_ARCHIVE_BYTES)
        )
    })
}

fn mib(bytes: u64) -> String {
    if bytes % (1 << 20) == 0 {
        return format!("{} MiB", bytes >> 20);
    }
    // Display only: the precision lost in the conversion is far below the one decimal shown.
    format!("{} MiB", fixed(bytes as f64 / f64::from(1u32 << 20), 1))
}

/// What the progress bar says beside it: the stage, then how many bytes of how many.
pub fn progress_text(p: &Progress) -> String {
    let stage = match p.stage {
        Stage::Inflating => "inflating the archive".to_owned(),
        Stage::Reading => "listing the archive's members".to_owned(),
        Stage::Verifying { digest } => format!("verifying sha256:{}…", digest.short()),
        Stage::Unpacking { layer, layers } => format!("unpacking layer {} of {layers}", layer + 1),
    };
    format!("{stage} {} of {}", human_size(p.done), human_size(p.total))
}

/// What the lab answered to the load of `name` at or after line `from` of the transcript, once it
/// has: `Ok` with `docker load`'s output, `Err` with its error. Read from the transcript, where
/// the terminal shows it too.
pub fn outcome(transcript: &[Line], name: &str, from: usize) -> Option<Result<String, String>> {
    let echo = format!("{PROMPT}docker load -i {name}\n");
    let recent = transcript.get(from..)?;
    let at = recent
        .iter()
        .rposition(|l| l.kind == LineKind::Command && l.text == echo)?;
    let answer = recent.get(at + 1..)?;
    let text = |kind| {
        answer
            .iter()
            .filter(|l| l.kind == kind)
            .map(|l| l.text.trim_end())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (stderr, stdout) = (text(LineKind::Stderr), text(LineKind::Stdout));
    if !stderr.is_empty() {
        Some(Err(stderr))
    } else if !stdout.is_empty() {
        Some(Ok(stdout))
    } else {
        None
    }
}

#[derive(Debug, Properties, PartialEq)]
pub struct ArchiveDropProps {
    pub dispatch: UseReducerDispatcher<Lab>,
    /// The lab's transcript, where the outcome of a load shows.
    pub transcript: Rc<Vec<Line>>,
    /// The workbench the drop zone covers.
    pub children: Html,
}

/// The page's side of core's pauses: every [`SLICE_MS`] of work, show the progress and give the
/// browser a turn (to paint, and to run the learner's input, Cancel included).
struct PagePause {
    name: String,
    set: Callback<Opening>,
    cancelled: Rc<Cell<bool>>,
    /// When the browser last had a turn, in milliseconds.
    since: f64,
}

impl Pause for PagePause {
    fn pause(&mut self, progress: Progress) -> PauseFuture<'_> {
        if self.cancelled.get() {
            return Box::pin(std::future::ready(ControlFlow::Break(())));
        }
        if js_sys::Date::now() - self.since < SLICE_MS {
            return Box::pin(std::future::ready(ControlFlow::Continue(())));
        }
        self.set.emit(Opening::Verifying {
            name: self.name.clone(),
            progress: Some(progress),
            from: None,
        });
        Box::pin(async move {
            // A timer, not a resolved promise: promise callbacks run before the browser paints or
            // handles input, so only a timer gives it a turn.
            yew::platform::time::sleep(Duration::ZERO).await;
            self.since = js_sys::Date::now();
            if self.cancelled.get() {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
    }
}

/// Reads `file`, opens it a slice at a time and hands it to the lab, reporting each stage
/// through `set`; `cancelled` stops it at its next pause. `shown` is the transcript's length as
/// last rendered.
fn open(
    file: File,
    dispatch: UseReducerDispatcher<Lab>,
    set: Callback<Opening>,
    cancelled: Rc<Cell<bool>>,
    shown: Rc<RefCell<usize>>,
) {
    let name = file.name();
    // `File::size` is a double in the DOM; any real file size is exact in it.
    let size = file.size().max(0.0) as u64;
    if let Some(message) = refusal(&name, size) {
        set.emit(Opening::Failed { name, message });
        return;
    }
    set.emit(Opening::Reading { name: name.clone() });
    wasm_bindgen_futures::spawn_local(async move {
        let buffer = JsFuture::from(file.array_buffer()).await;
        if cancelled.get() {
            set.emit(Opening::Cancelled { name });
            return;
        }
        let Ok(buffer) = buffer else {
            let message = format!("{name} could not be read: the browser refused the file; pick it again");
            set.emit(Opening::Failed { name, message });
            return;
        };
        let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
        drop(buffer);
        set.emit(Opening::Verifying {
            name: name.clone(),
            progress: None,
            from: None,
        });
        let mut pause = PagePause {
            name: name.clone(),
            set: set.clone(),
            cancelled,
            // Zero: the first pause shows the progress at once.
            since: 0.0,
        };
        let opened = archive::open_paused(&bytes, &Limits::default(), &mut pause).await;
        drop(bytes);
        if matches!(opened, Err(archive::ArchiveError::Cancelled)) {
            set.emit(Opening::Cancelled { name });
            return;
        }
        let from = *shown.borrow();
        dispatch.dispatch(Action::AddOpened {
            name: name.clone(),
            opened: OpenedArchive::new(opened),
        });
        set.emit(Opening::Verifying {
            name,
            progress: None,
            from: Some(from),
        });
    });
}

#[component]
pub fn ArchiveDrop(props: &ArchiveDropProps) -> Html {
    let opening = use_state(|| Opening::Idle);
    let dragging = use_state(|| false);
    // The stop flag of the open under way; each open gets its own, so a stop cannot reach the next.
    let cancel = use_mut_ref(|| Rc::new(Cell::new(false)));
    let input = use_node_ref();
    let set = {
        let opening = opening.clone();
        Callback::from(move |o| opening.set(o))
    };
    let shown = use_mut_ref(|| 0usize);
    *shown.borrow_mut() = props.transcript.len();

    // The load's answer arrives in the transcript: turn it into the status shown here.
    {
        let opening = opening.clone();
        use_effect_with(
            (props.transcript.clone(), (*opening).clone()),
            move |(transcript, now)| {
                if let Opening::Verifying {
                    name,
                    from: Some(from),
                    ..
                } = now
                {
                    match outcome(transcript, name, *from) {
                        Some(Ok(message)) => opening.set(Opening::Loaded {
                            name: name.clone(),
                            message,
                        }),
                        Some(Err(message)) => opening.set(Opening::Failed {
                            name: name.clone(),
                            message,
                        }),
                        None => {}
                    }
                }
            },
        );
    }

    // A second file while one opens replaces it: the learner picked again, most likely because
    // the first was the wrong file, and waiting for it to finish (or refusing the new one) would
    // only make them do it twice.
    let start = {
        let (dispatch, set, shown, cancel) =
            (props.dispatch.clone(), set.clone(), shown.clone(), cancel.clone());
        Callback::from(move |file: File| {
            let flag = Rc::new(Cell::new(false));
            let previous = std::mem::replace(&mut *cancel.borrow_mut(), flag.clone());
            previous.set(true);
            // A replaced open says nothing more: the status is the new one's.
            let set = {
                let (set, cancel, flag) = (set.clone(), cancel.clone(), flag.clone());
                Callback::from(move |o| {
                    if Rc::ptr_eq(&cancel.borrow(), &flag) {
                        set.emit(o);
                    }
                })
            };
            open(file, dispatch.clone(), set, flag, shown.clone());
        })
    };
    let onchange = {
        let start = start.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                start.emit(file);
            }
            // The same file picked again should open again.
            input.set_value("");
        })
    };
    let oncancel = {
        let (cancel, input) = (cancel.clone(), input.clone());
        Callback::from(move |_: MouseEvent| {
            cancel.borrow().set(true);
            // The button goes away with the open: keep keyboard users where they can open another.
            if let Some(input) = input.cast::<HtmlInputElement>() {
                let _ = input.focus();
            }
        })
    };
    let ondragover = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            // Only files are taken: dragged text stays the browser's business.
            let files = e.data_transfer().is_some_and(|d| {
                d.types()
                    .iter()
                    .any(|t| t.as_string().as_deref() == Some("Files"))
            });
            if files {
                e.prevent_default();
                dragging.set(true);
            }
        })
    };
    let ondragleave = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            // Leaving for a child element is not leaving the zone.
            let inside = e
                .related_target()
                .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
                .zip(
                    e.current_target()
                        .and_then(|t| t.dyn_into::<web_sys::Node>().ok()),
                )
                .is_some_and(|(to, zone)| zone.contains(Some(&to)));
            if !inside {
                dragging.set(false);
            }
        })
    };
    let ondrop = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            dragging.set(false);
            let file = e.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0));
            if let Some(file) = file {
                e.prevent_default();
                start.emit(file);
            }
        })
    };

    let status = match &*opening {
        Opening::Idle => html! {},
        Opening::Reading { name } => html! { <>{ "⏳ Reading " }<b>{ name.clone() }</b>{ "…" }</> },
        Opening::Verifying { name, .. } => html! {
            <>{ "⏳ Verifying " }<b>{ name.clone() }</b>{ ": unpacking and checking the sha256 of every blob…" }</>
        },
        Opening::Loaded { name, message } => html! {
            <>{ "✔ Opened " }<b>{ name.clone() }</b>{ ": " }{ message.clone() }</>
        },
        Opening::Failed { name, message } => html! {
            <>{ "✖ Could not open " }<b>{ name.clone() }</b>{ ": " }{ message.clone() }</>
        },
        Opening::Cancelled { name } => html! {
            <>{ "■ Cancelled opening " }<b>{ name.clone() }</b>{ ": nothing was loaded" }</>
        },
    };
    // Outside the live status, so that screen readers are not read every number; the bar itself
    // answers when asked.
    let progress = match &*opening {
        Opening::Reading { name } | Opening::Verifying { name, from: None, .. } => {
            let shown = match &*opening {
                Opening::Verifying {
                    progress: Some(p), ..
                } => Some(*p),
                _ => None,
            };
            html! {
                <div class="archive-progress">
                    <progress id="archive-progress" aria-label={format!("Opening {name}")}
                              max={shown.map(|p| p.total.max(1).to_string())}
                              value={shown.map(|p| p.done.to_string())} />
                    <span class="archive-numbers">
                        { shown.map(|p| progress_text(&p)).unwrap_or_else(|| "starting…".to_owned()) }
                    </span>
                    <button id="archive-cancel" type="button" onclick={oncancel}
                            aria-label={format!("Cancel opening {name}")}>{ "Cancel" }</button>
                </div>
            }
        }
        _ => html! {},
    };
    let failed = matches!(*opening, Opening::Failed { .. });
    html! {
        <div class={classes!("archive-drop", dragging.then_some("dragging"))}
             {ondragover} {ondragleave} {ondrop}>
            <div class="archive-bar">
                <span class="archive-open">
                    <input id="archive-input" type="file" ref={input}
                           accept=".tar,.tar.gz,.tgz,.oci,application/x-tar,application/gzip"
                           {onchange} />
                    <label for="archive-input">{ "Open an image archive…" }</label>
                </span>
                <span class="archive-hint">
                    { "or drop a docker save, podman save or OCI layout tarball here (up to " }
                    { mib(MAX_ARCHIVE_BYTES) }{ "); it stays in your browser" }
                </span>
                <p class="archive-status" data-state={opening.state()}
                   role={if failed { "alert" } else { "status" }} aria-live="polite">
                    { status }
                </p>
                { progress }
            </div>
            { props.children.clone() }
            if *dragging {
                <div class="archive-overlay" aria-hidden="true">
                    <p>{ "⤓ Drop the image archive to open it" }</p>
                </div>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_over_the_cap_are_refused_by_size() {
        assert_eq!(refusal("small.tar", MAX_ARCHIVE_BYTES), None);
        let why = refusal("big.tar", MAX_ARCHIVE_BYTES + 1).unwrap_or_default();
        assert!(
            why.starts_with("big.tar is 256.0 MiB, more than the 256 MiB"),
            "{why}"
        );
        assert!(why.contains("load -i"), "says what to do: {why}");
    }

    #[test]
    fn progress_reads_as_the_stage_then_bytes_of_bytes() {
        let digest = layerlab_core::digest::Digest::of(b"a blob");
        let p = Progress {
            stage: Stage::Verifying { digest },
            done: 34_000_000,
            total: 100_000_000,
        };
        assert_eq!(
            progress_text(&p),
            format!("verifying sha256:{}… 34MB of 100MB", &digest.hex()[..12])
        );
        let p = Progress {
            stage: Stage::Unpacking { layer: 1, layers: 5 },
            done: 1_500_000,
            total: 2_000_000,
        };
        assert_eq!(progress_text(&p), "unpacking layer 2 of 5 1.5MB of 2MB");
    }

    #[test]
    fn the_outcome_is_read_from_the_newest_load() {
        let mut lab = Lab::new();
        assert_eq!(outcome(&lab.transcript, "x.tar", 0), None);
        let from = lab.transcript.len();
        lab.apply(Action::Load {
            name: "x.tar".into(),
            bytes: Rc::new(b"not a tarball".to_vec()),
        });
        let failed = outcome(&lab.transcript, "x.tar", from);
        assert!(matches!(&failed, Some(Err(m)) if m.contains("tar")), "{failed:?}");
        assert_eq!(
            outcome(&lab.transcript, "y.tar", from),
            None,
            "another file's load"
        );
        let later = lab.transcript.len();
        assert_eq!(
            outcome(&lab.transcript, "x.tar", later),
            None,
            "an older load is not the answer"
        );
    }
}
