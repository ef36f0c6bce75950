//! The scenario bar: share the lab as a link, save it as a file, open a saved one, and step through
//! a scenario as a classroom script (see [`crate::scenario`] for what a scenario holds).
//!
//! A link opened in a new page replays at once, so the page shows the lab that was shared; a file
//! exported here says `start: step`, so importing it gives the teacher a script to present one
//! command at a time. Next step is a button, and also Alt+N anywhere (it types nothing in the
//! terminal) or PageDown outside text fields, which is what presentation clickers send.

use std::rc::Rc;

use gloo_events::EventListener;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlElement, HtmlInputElement, KeyboardEvent};
use yew::prelude::*;

use crate::panel::Panel;
use crate::scenario::{FILE_NAME, MAX_TEXT_BYTES, Scenario, Script, Settings, Start, Step};
use crate::state::{Action, Lab, Line, LineKind};

#[derive(Debug, Properties, PartialEq)]
pub struct ScenarioBarProps {
    /// Every line the lab ran ([`Lab::record`]).
    pub record: Rc<Vec<String>>,
    /// The terminal's transcript: whether an archive the script waits for loaded.
    pub transcript: Rc<Vec<Line>>,
    pub classroom: bool,
    pub panel: Panel,
    pub dispatch: UseReducerDispatcher<Lab>,
    /// Shows the lab as a scenario asks: classroom mode on or off, and which panel.
    pub onsettings: Callback<(bool, Panel)>,
}

/// A line for the learner: what happened, or what went wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Message {
    text: String,
    error: bool,
}

impl Message {
    fn info(text: impl Into<String>) -> Option<Message> {
        Some(Message {
            text: text.into(),
            error: false,
        })
    }

    fn error(text: impl Into<String>) -> Option<Message> {
        Some(Message {
            text: text.into(),
            error: true,
        })
    }
}

/// Whether a key press is the "Next step" shortcut. PageDown counts only outside text fields,
/// where it would otherwise move a cursor or scroll what is being read.
pub fn is_next_step_key(key: &str, code: &str, alt: bool, ctrl_or_meta: bool, in_text_field: bool) -> bool {
    if ctrl_or_meta {
        return false;
    }
    // `code`, not `key`: Option+N on a Mac keyboard gives a dead key, not "n".
    (alt && code == "KeyN") || (!alt && key == "PageDown" && !in_text_field)
}

fn in_text_field() -> bool {
    let Some(active) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element())
    else {
        return false;
    };
    let editable = active
        .dyn_ref::<HtmlElement>()
        .is_some_and(HtmlElement::is_content_editable);
    match active.tag_name().as_str() {
        "TEXTAREA" | "SELECT" => true,
        "INPUT" => {
            let kind = active
                .get_attribute("type")
                .unwrap_or_default()
                .to_ascii_lowercase();
            !matches!(
                kind.as_str(),
                "button" | "checkbox" | "file" | "radio" | "reset" | "submit" | "image" | "range" | "color"
            )
        }
        _ => editable,
    }
}

/// Opens a scenario on a fresh lab: replayed at once, or held as a script, as it asks.
fn begin(
    scenario: Scenario,
    dispatch: &UseReducerDispatcher<Lab>,
    onsettings: &Callback<(bool, Panel)>,
    script: &UseStateHandle<Option<Script>>,
    message: &UseStateHandle<Option<Message>>,
    from: &str,
) {
    dispatch.dispatch(Action::Reset);
    let settings = scenario.settings;
    onsettings.emit((settings.classroom, settings.panel));
    match settings.start {
        Start::Replay => {
            let (runs, rest) = scenario.replay();
            let ran = runs.len();
            for action in runs {
                dispatch.dispatch(action);
            }
            message.set(match rest.as_ref().and_then(|s| s.current()) {
                Some(Step::Open { archive }) => Message::info(format!(
                    "Replayed {ran} commands from {from}. It went on after opening the archive {archive}, \
                     which a {from} cannot carry: open that file to continue."
                )),
                _ => Message::info(format!("Replayed {ran} commands from {from}.")),
            });
            script.set(rest);
        }
        Start::Step => {
            let steps = scenario.commands().len();
            message.set(Message::info(format!(
                "Script of {steps} steps loaded from {from}: press Next step (or Alt+N) to run each one."
            )));
            script.set(Some(Script::new(scenario)));
        }
    }
}

/// The page's address with `fragment` in place of its own.
fn link_with(fragment: &str) -> Option<String> {
    let href = web_sys::window()?.location().href().ok()?;
    let base = href.split('#').next().unwrap_or(&href);
    Some(format!("{base}#{fragment}"))
}

/// Offers `text` as a file download: a Blob, an object URL and a click on a temporary link.
fn download(text: &str, name: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/plain;charset=utf-8");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let a: web_sys::HtmlAnchorElement = document.create_element("a")?.unchecked_into();
    a.set_href(&url);
    a.set_download(name);
    a.click();
    // Revoked a little later: some browsers start the download only after the click returns.
    wasm_bindgen_futures::spawn_local(async move {
        yew::platform::time::sleep(std::time::Duration::from_secs(10)).await;
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    Ok(())
}

#[component]
pub fn ScenarioBar(props: &ScenarioBarProps) -> Html {
    let script = use_state(|| None::<Script>);
    let message = use_state(|| None::<Message>);
    let link = use_state(|| None::<String>);
    let next_ref = use_node_ref();

    // A link with a scenario in its fragment opens it once, when the page starts.
    {
        let (dispatch, onsettings) = (props.dispatch.clone(), props.onsettings.clone());
        let (script, message) = (script.clone(), message.clone());
        use_effect_with((), move |_| {
            let hash = web_sys::window()
                .and_then(|w| w.location().hash().ok())
                .unwrap_or_default();
            match Scenario::from_fragment(&hash) {
                Ok(Some(scenario)) => begin(scenario, &dispatch, &onsettings, &script, &message, "the link"),
                Ok(None) => {}
                Err(e) => message.set(Message::error(format!(
                    "The scenario in this link could not be opened: {e}"
                ))),
            }
        });
    }

    // A script waiting for an archive moves on once one loads in the page. A refused one (the
    // load's answer, right after its line, is an error) leaves it waiting for the right file.
    {
        let (script, record) = (script.clone(), props.record.clone());
        let transcript = props.transcript.clone();
        use_effect_with(props.record.len(), move |_| {
            let waiting = matches!(script.as_ref().and_then(Script::current), Some(Step::Open { .. }));
            let opened = record
                .last()
                .and_then(|l| crate::scenario::archive_of(l))
                .is_some();
            let refused = transcript.last().is_some_and(|l| l.kind == LineKind::Stderr);
            if waiting && opened && !refused {
                let mut next = (*script).clone();
                if let Some(s) = next.as_mut() {
                    s.opened();
                }
                script.set(next);
            }
        });
    }

    // Alt+N anywhere, PageDown outside text fields: a click on Next step.
    {
        let next_ref = next_ref.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().and_then(|w| w.document()).map(|document| {
                EventListener::new(&document, "keydown", move |event| {
                    let Some(e) = event.dyn_ref::<KeyboardEvent>() else {
                        return;
                    };
                    let next = is_next_step_key(
                        &e.key(),
                        &e.code(),
                        e.alt_key(),
                        e.ctrl_key() || e.meta_key(),
                        in_text_field(),
                    );
                    if let Some(button) = next_ref.cast::<HtmlElement>().filter(|_| next) {
                        e.prevent_default();
                        button.click();
                    }
                })
            });
            move || drop(listener)
        });
    }

    let settings = |start| Settings {
        classroom: props.classroom,
        panel: props.panel,
        start,
    };
    let archives: Vec<String> = props
        .record
        .iter()
        .filter_map(|c| crate::scenario::archive_of(c))
        .map(str::to_owned)
        .collect();

    let oncopy = {
        let (record, settings) = (props.record.clone(), settings(Start::Replay));
        let (message, link) = (message.clone(), link.clone());
        Callback::from(move |_: MouseEvent| {
            let scenario = match Scenario::new(&record, settings) {
                Ok(s) => s,
                Err(e) => return message.set(Message::error(format!("No link made: {e}"))),
            };
            let Some(url) = link_with(&scenario.to_fragment()) else {
                return message.set(Message::error(
                    "No link made: the page's address is not readable here.",
                ));
            };
            link.set(Some(url.clone()));
            let message = message.clone();
            let clipboard = web_sys::window().map(|w| w.navigator().clipboard());
            wasm_bindgen_futures::spawn_local(async move {
                let copied = match clipboard {
                    Some(c) => JsFuture::from(c.write_text(&url)).await.is_ok(),
                    None => false,
                };
                message.set(if copied {
                    Message::info("Link copied: whoever opens it gets this lab, replayed.")
                } else {
                    Message::info("The browser did not allow copying: select the link below and copy it.")
                });
            });
        })
    };
    let onexport = {
        let (record, settings) = (props.record.clone(), settings(Start::Step));
        let message = message.clone();
        Callback::from(move |_: MouseEvent| match Scenario::new(&record, settings) {
            Ok(s) => match download(&s.to_file(), FILE_NAME) {
                Ok(()) => message.set(Message::info(format!(
                    "Saved as {FILE_NAME}: edit it in any text editor, open it again with Import."
                ))),
                Err(_) => message.set(Message::error("The browser refused the download.")),
            },
            Err(e) => message.set(Message::error(format!("Nothing saved: {e}"))),
        })
    };
    let onimport = {
        let (dispatch, onsettings) = (props.dispatch.clone(), props.onsettings.clone());
        let (script, message) = (script.clone(), message.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let file = input.files().and_then(|f| f.get(0));
            input.set_value("");
            let Some(file) = file else { return };
            let name = file.name();
            if file.size() > MAX_TEXT_BYTES as f64 {
                return message.set(Message::error(format!(
                    "{name} is too large for a scenario (more than {MAX_TEXT_BYTES} bytes): is it the right file?"
                )));
            }
            let (dispatch, onsettings) = (dispatch.clone(), onsettings.clone());
            let (script, message) = (script.clone(), message.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let text = JsFuture::from(file.text()).await.ok().and_then(|t| t.as_string());
                let Some(text) = text else {
                    return message.set(Message::error(format!(
                        "{name} could not be read: pick it again."
                    )));
                };
                match Scenario::from_file(&text) {
                    Ok(s) => begin(s, &dispatch, &onsettings, &script, &message, &name),
                    Err(e) => message.set(Message::error(format!("{name} could not be opened: {e}"))),
                }
            });
        })
    };
    let onplay = {
        let (record, settings) = (props.record.clone(), settings(Start::Step));
        let (dispatch, onsettings) = (props.dispatch.clone(), props.onsettings.clone());
        let (script, message) = (script.clone(), message.clone());
        Callback::from(move |_: MouseEvent| match Scenario::new(&record, settings) {
            Ok(s) => begin(s, &dispatch, &onsettings, &script, &message, "this lab"),
            Err(e) => message.set(Message::error(format!("No script made: {e}"))),
        })
    };
    let onnext = {
        let (dispatch, script) = (props.dispatch.clone(), script.clone());
        Callback::from(move |_: MouseEvent| {
            let mut next = (*script).clone();
            if let Some(action) = next.as_mut().and_then(Script::next_action) {
                dispatch.dispatch(action);
                script.set(next);
            }
        })
    };
    let onend = {
        let (script, message) = (script.clone(), message.clone());
        Callback::from(move |_: MouseEvent| {
            script.set(None);
            message.set(None);
        })
    };

    let empty = props.record.is_empty();
    let script_row = script.as_ref().map(|s| {
        let runnable = matches!(s.current(), Some(Step::Run(_)));
        html! {
            <div class="scenario-script" role="group" aria-label="Script">
                <button type="button" id="scenario-next" ref={next_ref.clone()} class="scenario-next"
                        disabled={!runnable} aria-keyshortcuts="Alt+N PageDown" onclick={onnext}
                        title="Run the next command (Alt+N, or PageDown outside text fields)">
                    { "Next step ▶" }
                </button>
                <span id="scenario-step" class="scenario-step" aria-live="polite">{ s.label() }</span>
                <button type="button" id="scenario-end" onclick={onend}>{ "End script" }</button>
            </div>
        }
    });
    let note = (!archives.is_empty()).then(|| {
        html! {
            <p class="scenario-note" id="scenario-archives">
                { "ⓘ This lab opened " }{ archives.join(", ") }
                { " in the page. A link or file cannot carry an archive: it keeps the docker load line, \
                   and whoever replays it is asked to open the same file." }
            </p>
        }
    });
    let message_row = message.as_ref().map(|m| {
        html! {
            <p class={classes!("scenario-message", m.error.then_some("error"))} id="scenario-message"
               role={if m.error { "alert" } else { "status" }}>
                { if m.error { "✖ " } else { "" } }{ m.text.clone() }
            </p>
        }
    });
    html! {
        <div class="scenario-bar">
            <div class="scenario-actions" role="group" aria-label="Scenario">
                <button type="button" id="scenario-copy" disabled={empty} onclick={oncopy}
                        title="A link that replays every command of this lab">{ "Copy link" }</button>
                <button type="button" id="scenario-export" disabled={empty} onclick={onexport}
                        title="Save the commands as a text file, to edit or to present step by step">
                    { "Export" }
                </button>
                <span class="scenario-import">
                    <input id="scenario-input" type="file" accept=".txt,text/plain" onchange={onimport} />
                    <label for="scenario-input">{ "Import…" }</label>
                </span>
                if script.is_none() {
                    <button type="button" id="scenario-play" disabled={empty} onclick={onplay}
                            title="Start over and step through this lab's commands one at a time">
                        { "Play as script" }
                    </button>
                }
            </div>
            { for script_row }
            if let Some(url) = &*link {
                <input class="scenario-link" id="scenario-link" type="text" readonly=true
                       aria-label="Link to this lab" value={url.clone()} />
            }
            { for note }
            { for message_row }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_step_keys_leave_typing_alone() {
        assert!(
            is_next_step_key("n", "KeyN", true, false, true),
            "Alt+N works in the terminal too"
        );
        assert!(
            is_next_step_key("Dead", "KeyN", true, false, false),
            "Option+N on a Mac"
        );
        assert!(is_next_step_key("PageDown", "PageDown", false, false, false));
        assert!(
            !is_next_step_key("PageDown", "PageDown", false, false, true),
            "PageDown in a text field"
        );
        assert!(
            !is_next_step_key("n", "KeyN", false, false, false),
            "a plain n is typing"
        );
        assert!(
            !is_next_step_key("n", "KeyN", true, true, false),
            "Ctrl+Alt+N belongs to the system"
        );
    }
}
