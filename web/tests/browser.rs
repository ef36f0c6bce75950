//! The lab page in headless Chromium: mount the App and use it as a learner would.

use std::time::Duration;

use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, Event, EventInit, HtmlInputElement, KeyboardEvent, KeyboardEventInit};

wasm_bindgen_test_configure!(run_in_browser);

/// Mounts a fresh App in its own element, so tests do not see each other's pages.
fn mount() -> Element {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .expect("a browser document");
    let root = doc.create_element("div").expect("a div");
    doc.body()
        .expect("a body")
        .append_child(&root)
        .expect("attach the root");
    yew::Renderer::<layerlab_web::App>::with_root(root.clone()).render();
    root
}

/// Yew renders asynchronously: wait until `cond` holds, for at most two seconds. The panic shows
/// what the terminal said, which is usually why.
async fn wait_for(root: &Element, what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..200 {
        if cond() {
            return;
        }
        yew::platform::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "timed out waiting for {what}; the terminal shows:\n{}",
        output(root)
    );
}

fn find(root: &Element, selector: &str) -> Option<Element> {
    root.query_selector(selector).ok().flatten()
}

fn output(root: &Element) -> String {
    find(root, "pre[role=log]")
        .and_then(|p| p.text_content())
        .unwrap_or_default()
}

async fn command_input(root: &Element) -> HtmlInputElement {
    wait_for(root, "the command input", || {
        find(root, "input[aria-label=Command]").is_some()
    })
    .await;
    find(root, "input[aria-label=Command]")
        .expect("command input")
        .unchecked_into()
}

/// Types `text` into the input as a learner would: set the value, then fire `input`.
fn type_text(input: &HtmlInputElement, text: &str) {
    input.set_value(text);
    let init = EventInit::new();
    init.set_bubbles(true);
    let event = Event::new_with_event_init_dict("input", &init).expect("an input event");
    input.dispatch_event(&event).expect("dispatch input");
}

fn press(input: &HtmlInputElement, key: &str) {
    let init = KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).expect("a key event");
    input.dispatch_event(&event).expect("dispatch keydown");
}

#[wasm_bindgen_test]
async fn running_nginx_shows_the_pull() {
    let root = mount();
    let input = command_input(&root).await;
    type_text(&input, "docker run nginx:1.15.8");
    press(&input, "Enter");
    wait_for(&root, "the pull output", || {
        output(&root).contains("Pull complete")
    })
    .await;
    let text = output(&root);
    assert!(text.contains("$ docker run nginx:1.15.8"), "output was:\n{text}");
    assert!(
        text.contains("1.15.8: Pulling from library/nginx"),
        "output was:\n{text}"
    );
    assert!(
        text.contains("Status: Downloaded newer image for nginx:1.15.8"),
        "output was:\n{text}"
    );
    assert_eq!(input.value(), "", "Enter empties the prompt");
}

#[wasm_bindgen_test]
async fn up_arrow_recalls_the_last_command() {
    let root = mount();
    let input = command_input(&root).await;
    type_text(&input, "help");
    press(&input, "Enter");
    wait_for(&root, "the help text", || output(&root).contains("Terminal keys")).await;
    press(&input, "ArrowUp");
    wait_for(&root, "the recalled command", || input.value() == "help").await;
}

#[wasm_bindgen_test]
async fn stderr_is_styled_apart_from_stdout() {
    let root = mount();
    let input = command_input(&root).await;
    type_text(&input, "dokcer ps");
    press(&input, "Enter");
    wait_for(&root, "an error line", || find(&root, ".line.stderr").is_some()).await;
}

#[wasm_bindgen_test]
async fn clear_empties_the_screen() {
    let root = mount();
    let input = command_input(&root).await;
    assert!(!output(&root).is_empty(), "the page greets the learner");
    type_text(&input, "clear");
    press(&input, "Enter");
    wait_for(&root, "an empty screen", || output(&root).is_empty()).await;
}

#[wasm_bindgen_test]
async fn the_command_input_has_focus_on_load() {
    let root = mount();
    let input = command_input(&root).await;
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .expect("a browser document");
    wait_for(&root, "focus on the prompt", || {
        doc.active_element()
            .is_some_and(|a| a.is_same_node(Some(input.as_ref())))
    })
    .await;
}

fn count(root: &Element, selector: &str) -> u32 {
    root.query_selector_all(selector).map(|l| l.length()).unwrap_or(0)
}

async fn run(root: &Element, input: &HtmlInputElement, line: &str) {
    let before = count(root, ".line.cmd");
    type_text(input, line);
    press(input, "Enter");
    wait_for(root, line, || count(root, ".line.cmd") > before).await;
}

#[wasm_bindgen_test]
async fn the_picture_stacks_layers_with_containers_on_top() {
    let root = mount();
    let input = command_input(&root).await;
    assert!(find(&root, ".stacks .empty").is_some(), "no images at first");
    run(&root, &input, "docker run nginx:1.15.8").await;
    run(&root, &input, "docker run nginx:1.15.8").await;
    wait_for(&root, "the nginx stack", || count(&root, ".stacks figure") == 1).await;
    let caption = find(&root, ".stacks figcaption")
        .and_then(|c| c.text_content())
        .unwrap_or_default();
    assert!(caption.contains("nginx:1.15.8"), "caption was {caption:?}");
    assert!(count(&root, ".stacks g.layer") >= 1, "layer boxes");
    assert!(
        count(&root, ".stacks g.empty-layer") >= 1,
        "history rows without a layer (CMD, ...)"
    );
    assert_eq!(
        count(&root, ".stacks g.container"),
        2,
        "one writable layer per container"
    );
    let svg = find(&root, ".stacks svg").expect("an svg per image");
    assert!(
        svg.get_attribute("aria-label")
            .is_some_and(|l| l.contains("2 containers"))
    );
}

#[wasm_bindgen_test]
async fn the_ledger_works_out_the_formula() {
    let root = mount();
    let input = command_input(&root).await;
    show_panel(&root, "disk").await;
    assert!(find(&root, ".disk .empty").is_some(), "no containers at first");
    run(&root, &input, "docker run nginx:1.15.8").await;
    wait_for(&root, "a size row", || {
        count(&root, ".disk table.sizes tbody tr") == 1
    })
    .await;
    let formula = find(&root, ".disk .formulas li")
        .and_then(|li| li.text_content())
        .unwrap_or_default();
    assert!(
        formula.contains("1 container of nginx:1.15.8"),
        "formula was {formula:?}"
    );
    assert!(formula.contains(" = "), "formula was {formula:?}");
    assert!(find(&root, ".disk table.ledger tr.total").is_some());
}

/// Clicks the tab of a panel and waits until the panel is shown.
async fn show_panel(root: &Element, slug: &str) {
    let tab: web_sys::HtmlElement = find(root, &format!("#tab-{slug}"))
        .unwrap_or_else(|| panic!("a tab for the {slug} panel"))
        .unchecked_into();
    tab.click();
    wait_for(root, "the panel", || {
        find(root, &format!("#panel-{slug}")).is_some()
    })
    .await;
}

#[wasm_bindgen_test]
async fn arrow_keys_move_between_panel_tabs() {
    let root = mount();
    command_input(&root).await;
    let first = find(&root, "[role=tab][aria-selected=true]").expect("a selected tab");
    let init = KeyboardEventInit::new();
    init.set_key("ArrowRight");
    init.set_bubbles(true);
    init.set_cancelable(true);
    let key = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).expect("a key event");
    first.dispatch_event(&key).expect("dispatch keydown");
    wait_for(&root, "the next tab to be selected", || {
        find(&root, "[role=tab][aria-selected=true]").is_some_and(|t| t.id() != first.id())
    })
    .await;
    let panel = find(&root, "[role=tabpanel]").expect("a tab panel");
    let selected = find(&root, "[role=tab][aria-selected=true]").expect("a selected tab");
    assert_eq!(
        panel.get_attribute("aria-labelledby"),
        Some(selected.id()),
        "the panel shown is the selected tab's"
    );
}

#[wasm_bindgen_test]
async fn tab_completes_a_command_name() {
    let root = mount();
    let input = command_input(&root).await;
    type_text(&input, "docker his");
    press(&input, "Tab");
    wait_for(&root, "the completed name", || input.value() == "docker history ").await;
}

#[wasm_bindgen_test]
async fn classroom_mode_switches_on_and_off() {
    let root = mount();
    command_input(&root).await;
    let toggle: web_sys::HtmlElement = find(&root, "button.classroom-toggle")
        .expect("a classroom toggle")
        .unchecked_into();
    let was_on = find(&root, "main.classroom").is_some();
    toggle.click();
    wait_for(&root, "the mode to change", || {
        find(&root, "main.classroom").is_some() != was_on
    })
    .await;
    assert_eq!(
        toggle.get_attribute("aria-pressed").as_deref(),
        Some(if was_on { "false" } else { "true" })
    );
    toggle.click();
    wait_for(&root, "the mode to change back", || {
        find(&root, "main.classroom").is_some() == was_on
    })
    .await;
}
