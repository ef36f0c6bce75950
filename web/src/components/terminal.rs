//! The terminal: the transcript of what ran, and the prompt where the learner types the next
//! command.

use std::rc::Rc;

use web_sys::{Element, HtmlInputElement};
use yew::prelude::*;

use crate::state::{Action, Lab, Line, LineKind, PROMPT, action_for_key};

#[derive(Debug, Properties, PartialEq)]
pub struct TerminalProps {
    pub transcript: Rc<Vec<Line>>,
    pub input: AttrValue,
    pub dispatch: UseReducerDispatcher<Lab>,
}

fn line_class(kind: LineKind) -> &'static str {
    match kind {
        LineKind::Command => "line cmd",
        LineKind::Stdout => "line stdout",
        LineKind::Stderr => "line stderr",
        LineKind::Note => "line note",
    }
}

#[component]
pub fn Terminal(props: &TerminalProps) -> Html {
    let input_ref = use_node_ref();
    let screen_ref = use_node_ref();

    // Keep the newest output in view, as a terminal does.
    {
        let screen_ref = screen_ref.clone();
        use_effect_with(props.transcript.clone(), move |_| {
            if let Some(screen) = screen_ref.cast::<Element>() {
                screen.set_scroll_top(screen.scroll_height());
            }
        });
    }
    // The page is a terminal first: typing should work without clicking anywhere.
    {
        let input_ref = input_ref.clone();
        use_effect_with((), move |_| {
            if let Some(input) = input_ref.cast::<HtmlInputElement>() {
                let _ = input.focus();
            }
        });
    }

    let oninput = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            dispatch.dispatch(Action::Edit(input.value()));
        })
    };
    let onkeydown = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |e: KeyboardEvent| {
            // Keys that pick a character in an input method (Enter included) belong to it.
            if e.is_composing() {
                return;
            }
            // The element's own value: the props may not have caught up with the last keystroke.
            let typed = e.target_unchecked_into::<HtmlInputElement>().value();
            if let Some(action) = action_for_key(&e.key(), &typed) {
                e.prevent_default();
                dispatch.dispatch(action);
            }
        })
    };
    let onrun = {
        let dispatch = props.dispatch.clone();
        let input_ref = input_ref.clone();
        Callback::from(move |_: MouseEvent| {
            dispatch.dispatch(Action::Submit);
            if let Some(input) = input_ref.cast::<HtmlInputElement>() {
                let _ = input.focus();
            }
        })
    };
    // A click on the output puts the cursor back on the prompt, unless the learner is selecting
    // text to copy.
    let onscreenclick = {
        let input_ref = input_ref.clone();
        Callback::from(move |_: MouseEvent| {
            let selecting = web_sys::window()
                .and_then(|w| w.get_selection().ok().flatten())
                .is_some_and(|s| !s.is_collapsed());
            if !selecting && let Some(input) = input_ref.cast::<HtmlInputElement>() {
                let _ = input.focus();
            }
        })
    };

    html! {
        <section class="terminal" aria-label="Terminal">
            <pre class="screen" ref={screen_ref} role="log" aria-live="polite"
                 aria-label="Terminal output" onclick={onscreenclick}>
                { for props.transcript.iter().map(|line| html! {
                    <span class={line_class(line.kind)}>{ line.text.clone() }</span>
                }) }
            </pre>
            <div class="prompt">
                <label for="command" class="prompt-sign">{ PROMPT.trim_end() }</label>
                <input id="command" ref={input_ref} type="text" value={props.input.clone()}
                       aria-label="Command" autocomplete="off" autocapitalize="off"
                       spellcheck="false" {oninput} {onkeydown} />
                <button type="button" class="run" onclick={onrun}>{ "Run" }</button>
            </div>
        </section>
    }
}
