//! Driving the lab page as a learner would: mount an App, type, press keys, click, and wait for
//! Yew, which renders asynchronously. Shared by every browser suite.

use std::time::Duration;

use wasm_bindgen::JsCast;
use web_sys::{
    Document, Element, Event, EventInit, EventTarget, HtmlElement, HtmlInputElement, KeyboardEvent,
    KeyboardEventInit,
};

pub fn document() -> Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("a browser document")
}

/// A new element at the end of the page's body, so tests do not see each other's pages.
pub fn new_root() -> Element {
    let doc = document();
    let root = doc.create_element("div").expect("a div");
    doc.body()
        .expect("a body")
        .append_child(&root)
        .expect("attach the root");
    root
}

/// Mounts a fresh App in its own element.
pub fn mount() -> Element {
    let root = new_root();
    yew::Renderer::<layerlab_web::App>::with_root(root.clone()).render();
    root
}

/// Waits until `cond` holds, for at most `secs` seconds. The panic shows the terminal, the open
/// panel and every live status message, which usually say why.
pub async fn wait_secs(root: &Element, secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..secs * 50 {
        if cond() {
            return;
        }
        yew::platform::time::sleep(Duration::from_millis(20)).await;
    }
    let live = root.query_selector_all("[aria-live]").expect("a selector");
    let statuses: Vec<String> = (0..live.length())
        .filter_map(|i| live.item(i)?.text_content())
        .filter(|t| !t.trim().is_empty())
        .collect();
    panic!(
        "timed out waiting for {what}; the terminal shows:\n{}\nthe panel shows:\n{}\nstatus messages: {statuses:?}",
        output(root),
        text(root, "[role=tabpanel]"),
    );
}

/// [`wait_secs`] for ten seconds: pulls of big images run slowly in a debug build.
pub async fn wait_for(root: &Element, what: &str, cond: impl FnMut() -> bool) {
    wait_secs(root, 10, what, cond).await;
}

pub fn find(root: &Element, selector: &str) -> Option<Element> {
    root.query_selector(selector).ok().flatten()
}

pub fn text(root: &Element, selector: &str) -> String {
    find(root, selector)
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

pub fn attr(root: &Element, selector: &str, name: &str) -> Option<String> {
    find(root, selector).and_then(|e| e.get_attribute(name))
}

pub fn count(root: &Element, selector: &str) -> u32 {
    root.query_selector_all(selector).map(|l| l.length()).unwrap_or(0)
}

/// Everything the terminal shows.
pub fn output(root: &Element) -> String {
    text(root, "pre[role=log]")
}

pub fn click(root: &Element, selector: &str) {
    let el: HtmlElement = find(root, selector)
        .unwrap_or_else(|| {
            panic!(
                "no {selector}; the panel shows:\n{}",
                text(root, "[role=tabpanel]")
            )
        })
        .unchecked_into();
    el.click();
}

/// Clicks `selector` once it is on the page.
pub async fn click_when_shown(root: &Element, selector: &str) {
    wait_for(root, selector, || find(root, selector).is_some()).await;
    click(root, selector);
}

/// Fires a bubbling event of this kind (`input`, `change`, ...) at `target`.
pub fn fire(target: &EventTarget, kind: &str) {
    let init = EventInit::new();
    init.set_bubbles(true);
    let event = Event::new_with_event_init_dict(kind, &init).expect("an event");
    target.dispatch_event(&event).expect("dispatch");
}

/// Puts a file into the file input at `selector` as a learner picking it would, and fires
/// `change`.
pub fn pick_file(root: &Element, selector: &str, name: &str, bytes: &[u8]) {
    let input: HtmlInputElement = find(root, selector)
        .unwrap_or_else(|| panic!("no {selector}"))
        .unchecked_into();
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let file = web_sys::File::new_with_u8_array_sequence(&parts, name).expect("a file");
    let transfer = web_sys::DataTransfer::new().expect("a data transfer");
    transfer.items().add_with_file(&file).expect("add the file");
    input.set_files(transfer.files().as_ref());
    fire(&input, "change");
}

/// Types `text` into an input as a learner would: set the value, then fire `input`.
pub fn type_text(input: &HtmlInputElement, text: &str) {
    input.set_value(text);
    fire(input, "input");
}

pub fn press(target: &EventTarget, key: &str) {
    let init = KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).expect("a key event");
    target.dispatch_event(&event).expect("dispatch keydown");
}

pub async fn command_input(root: &Element) -> HtmlInputElement {
    wait_for(root, "the command input", || {
        find(root, "input[aria-label=Command]").is_some()
    })
    .await;
    find(root, "input[aria-label=Command]")
        .expect("command input")
        .unchecked_into()
}

/// Types a line into the terminal, presses Enter and waits until it ran: the lab echoes the
/// line and prints its output in the same update.
pub async fn run(root: &Element, line: &str) {
    let input = command_input(root).await;
    let before = count(root, ".line.cmd");
    type_text(&input, line);
    press(&input, "Enter");
    wait_for(root, line, || count(root, ".line.cmd") > before).await;
}

/// Clicks the tab of a panel and waits until the panel is shown.
pub async fn open_tab(root: &Element, slug: &str) {
    click_when_shown(root, &format!("#tab-{slug}")).await;
    wait_for(root, "the panel", || {
        find(root, &format!("#panel-{slug}")).is_some()
    })
    .await;
}
