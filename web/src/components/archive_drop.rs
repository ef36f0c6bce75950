//! Opening a real image archive in the page: drop a `docker save`, `podman save` or OCI layout
//! tarball anywhere on the workbench, or pick one with the "Open an image archive…" button. The
//! bytes never leave the browser: core reads them (tar, gzip, the sha256 of every blob against its
//! digest) as `docker load` would, and the pictures show the images like any pulled one.
//!
//! Files over [`MAX_ARCHIVE_BYTES`] are refused from their size alone, before a byte is read.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DragEvent, File, HtmlInputElement};
use yew::prelude::*;

use layerlab_core::cli::format::fixed;

use crate::state::{Action, Lab, Line, LineKind, PROMPT};

/// The largest file the page opens: 256 MiB, the native terminal's cap as well. The page holds the
/// file's bytes, the layers read from them and, for a compressed archive, the decompressed tar, all
/// inside a wasm32 address space of at most 4 GiB; larger lesson images are better loaded with
/// `layerlab --engine sim load -i` in a terminal.
pub const MAX_ARCHIVE_BYTES: u64 = 256 << 20;

/// Where opening an archive is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opening {
    Idle,
    /// Copying the file's bytes into the page.
    Reading {
        name: String,
    },
    /// Core is unpacking the archive and checking every digest. `from` is the transcript's length
    /// when the load was handed to the lab (`None` until then): its answer comes after it.
    Verifying {
        name: String,
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
}

impl Opening {
    fn state(&self) -> &'static str {
        match self {
            Opening::Idle => "idle",
            Opening::Reading { .. } => "reading",
            Opening::Verifying { .. } => "verifying",
            Opening::Loaded { .. } => "loaded",
            Opening::Failed { .. } => "failed",
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

/// Reads `file` and hands it to the lab, reporting each stage through `set`. `shown` is the
/// transcript's length as last rendered.
fn open(file: File, dispatch: UseReducerDispatcher<Lab>, set: Callback<Opening>, shown: Rc<RefCell<usize>>) {
    let name = file.name();
    // `File::size` is a double in the DOM; any real file size is exact in it.
    let size = file.size().max(0.0) as u64;
    if let Some(message) = refusal(&name, size) {
        set.emit(Opening::Failed { name, message });
        return;
    }
    set.emit(Opening::Reading { name: name.clone() });
    wasm_bindgen_futures::spawn_local(async move {
        let buffer = match JsFuture::from(file.array_buffer()).await {
            Ok(buffer) => buffer,
            Err(_) => {
                let message =
                    format!("{name} could not be read: the browser refused the file; pick it again");
                set.emit(Opening::Failed { name, message });
                return;
            }
        };
        let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
        set.emit(Opening::Verifying {
            name: name.clone(),
            from: None,
        });
        // Checking the digests takes a moment on a large archive and holds the page while it
        // runs: give the browser one turn to show "verifying…" first.
        yew::platform::time::sleep(std::time::Duration::ZERO).await;
        let from = *shown.borrow();
        dispatch.dispatch(Action::Load {
            name: name.clone(),
            bytes: Rc::new(bytes),
        });
        set.emit(Opening::Verifying {
            name,
            from: Some(from),
        });
    });
}

#[component]
pub fn ArchiveDrop(props: &ArchiveDropProps) -> Html {
    let opening = use_state(|| Opening::Idle);
    let dragging = use_state(|| false);
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

    let busy = matches!(*opening, Opening::Reading { .. } | Opening::Verifying { .. });
    let onchange = {
        let (dispatch, set, shown) = (props.dispatch.clone(), set.clone(), shown.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                open(file, dispatch.clone(), set.clone(), shown.clone());
            }
            // The same file picked again should open again.
            input.set_value("");
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
        let (dispatch, set, dragging) = (props.dispatch.clone(), set.clone(), dragging.clone());
        let shown = shown.clone();
        Callback::from(move |e: DragEvent| {
            dragging.set(false);
            let file = e.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0));
            if let Some(file) = file {
                e.prevent_default();
                if !busy {
                    open(file, dispatch.clone(), set.clone(), shown.clone());
                }
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
    };
    let failed = matches!(*opening, Opening::Failed { .. });
    html! {
        <div class={classes!("archive-drop", dragging.then_some("dragging"))}
             {ondragover} {ondragleave} {ondrop}>
            <div class="archive-bar">
                <span class="archive-open">
                    <input id="archive-input" type="file" disabled={busy}
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
