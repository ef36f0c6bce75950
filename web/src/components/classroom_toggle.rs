//! The switch for classroom mode: large type and high contrast for a projector. The choice is
//! remembered in the browser's local storage, so a teacher sets it once per machine.

use yew::prelude::*;

const STORAGE_KEY: &str = "layerlab.classroom";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Whether classroom mode was left on last time. Storage can be missing or refused (private
/// windows, file:// pages); then the page simply starts in the normal mode.
pub fn remembered() -> bool {
    storage()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .as_deref()
        == Some("on")
}

fn remember(on: bool) {
    if let Some(s) = storage() {
        // Best effort: a refused write only means the choice is not kept.
        let _ = s.set_item(STORAGE_KEY, if on { "on" } else { "off" });
    }
}

#[derive(Debug, Properties, PartialEq)]
pub struct ClassroomToggleProps {
    pub on: bool,
    pub onchange: Callback<bool>,
}

#[component]
pub fn ClassroomToggle(props: &ClassroomToggleProps) -> Html {
    let onclick = {
        let (on, onchange) = (props.on, props.onchange.clone());
        Callback::from(move |_: MouseEvent| {
            remember(!on);
            onchange.emit(!on);
        })
    };
    html! {
        <button type="button" class="classroom-toggle" aria-pressed={props.on.to_string()} {onclick}
                title="Large type and high contrast, for a projector">
            { "Classroom mode" }
        </button>
    }
}
