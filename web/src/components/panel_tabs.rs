//! The tab bar that picks which panel is shown beside the terminal. It follows the WAI-ARIA tabs
//! pattern: one tab stop, Left and Right (and Home and End) move between tabs, so the panels are
//! reachable from the keyboard alone.

use yew::prelude::*;

use crate::panel::Panel;

#[derive(Debug, Properties, PartialEq)]
pub struct PanelTabsProps {
    pub current: Panel,
    pub onselect: Callback<Panel>,
}

/// The panel a key moves to from `current`, if the key moves at all.
pub fn panel_for_key(key: &str, current: Panel) -> Option<Panel> {
    let all = Panel::ALL;
    let at = all.iter().position(|p| *p == current)?;
    let last = all.len().checked_sub(1)?;
    let to = match key {
        "ArrowRight" => (at + 1) % all.len(),
        "ArrowLeft" => at.checked_sub(1).unwrap_or(last),
        "Home" => 0,
        "End" => last,
        _ => return None,
    };
    all.get(to).copied()
}

#[component]
pub fn PanelTabs(props: &PanelTabsProps) -> Html {
    let tabs = Panel::ALL.into_iter().map(|panel| {
        let selected = panel == props.current;
        let onclick = {
            let onselect = props.onselect.clone();
            Callback::from(move |_: MouseEvent| onselect.emit(panel))
        };
        let onkeydown = {
            let onselect = props.onselect.clone();
            Callback::from(move |e: KeyboardEvent| {
                if let Some(next) = panel_for_key(&e.key(), panel) {
                    e.prevent_default();
                    onselect.emit(next);
                    focus_tab(next);
                }
            })
        };
        html! {
            <button type="button" role="tab" id={format!("tab-{}", panel.slug())}
                    aria-selected={selected.to_string()}
                    aria-controls={format!("panel-{}", panel.slug())}
                    tabindex={if selected { "0" } else { "-1" }}
                    class={classes!("tab", selected.then_some("selected"))}
                    {onclick} {onkeydown}>
                { panel.label() }
            </button>
        }
    });
    html! {
        <div class="tabs" role="tablist" aria-label="Pictures of the lab">{ for tabs }</div>
    }
}

/// Moves keyboard focus to a tab after the arrow keys selected it, as the tabs pattern asks.
fn focus_tab(panel: Panel) {
    let tab = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(&format!("tab-{}", panel.slug())));
    if let Some(tab) = tab.and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(t).ok()) {
        let _ = tab.focus();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrows_wrap_around_and_home_end_jump() {
        let first = Panel::ALL[0];
        let last = Panel::ALL[Panel::ALL.len() - 1];
        assert_eq!(panel_for_key("ArrowLeft", first), Some(last));
        assert_eq!(panel_for_key("ArrowRight", last), Some(first));
        assert_eq!(panel_for_key("End", first), Some(last));
        assert_eq!(panel_for_key("Home", last), Some(first));
        assert_eq!(panel_for_key("a", first), None);
    }
}
