//! The lab page in headless Chromium: mount the App and use it as a learner would.

use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

mod common;

use common::page::{command_input, count, find, mount, open_tab, output, press, run, type_text, wait_for};

wasm_bindgen_test_configure!(run_in_browser);

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

#[wasm_bindgen_test]
async fn the_picture_stacks_layers_with_containers_on_top() {
    let root = mount();
    command_input(&root).await;
    assert!(find(&root, ".stacks .empty").is_some(), "no images at first");
    run(&root, "docker run nginx:1.15.8").await;
    run(&root, "docker run nginx:1.15.8").await;
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
    open_tab(&root, "disk").await;
    assert!(find(&root, ".disk .empty").is_some(), "no containers at first");
    run(&root, "docker run nginx:1.15.8").await;
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

#[wasm_bindgen_test]
async fn arrow_keys_move_between_panel_tabs() {
    let root = mount();
    command_input(&root).await;
    let first = find(&root, "[role=tab][aria-selected=true]").expect("a selected tab");
    press(&first, "ArrowRight");
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
