//! Opening a large image archive in headless Chromium: the page shows a progress bar while core
//! reads it, keeps answering (timers run, the terminal takes commands), and Cancel stops it with
//! nothing loaded.

use std::cell::Cell;
use std::rc::Rc;

use gloo_timers::callback::Interval;
use layerlab_core::layer::{Changeset, Content, Entry};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::Element;

mod common;

use common::docker_save;
use common::page::{
    attr, click, command_input, document, find, mount, output, pick_file, press, text, type_text, wait_secs,
};

wasm_bindgen_test_configure!(run_in_browser);

/// A `docker save` of one image whose top layer holds `mib` MiB of files: several seconds of
/// hashing and reading in a test build.
fn big_archive(tag: &str, mib: usize) -> Vec<u8> {
    let base = Changeset::new(vec![
        Entry::dir("etc"),
        Entry::file("etc/hostname", Content::bytes(b"big\n".to_vec())),
    ]);
    let mut entries = vec![Entry::dir("data")];
    for i in 0..mib {
        entries.push(Entry::file(
            format!("data/{i}"),
            Content::bytes(vec![i as u8; 1 << 20]),
        ));
    }
    docker_save(tag, &[base, Changeset::new(entries)])
}

fn state(root: &Element) -> String {
    attr(root, ".archive-status", "data-state").unwrap_or_default()
}

/// Waits until the progress bar shows how far the open of `name` got, and returns its value.
async fn progress_shown(root: &Element, name: &str) -> f64 {
    wait_secs(root, 60, "the progress bar", || {
        attr(root, "progress#archive-progress", "value").is_some()
    })
    .await;
    assert_eq!(state(root), "verifying");
    assert_eq!(
        attr(root, "progress#archive-progress", "aria-label").as_deref(),
        Some(format!("Opening {name}").as_str()),
        "the bar's accessible name"
    );
    let numbers = text(root, ".archive-numbers");
    assert!(numbers.contains(" of "), "bytes of bytes: {numbers}");
    attr(root, "progress#archive-progress", "value")
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1.0)
}

#[wasm_bindgen_test]
async fn a_large_archive_shows_progress_and_the_page_answers_while_it_opens() {
    let root = mount();
    command_input(&root).await;
    let ticks = Rc::new(Cell::new(0u32));
    let timer = {
        let ticks = ticks.clone();
        Interval::new(0, move || ticks.set(ticks.get() + 1))
    };
    pick_file(&root, "#archive-input", "big.tar", &big_archive("big/app:1", 16));
    let first = progress_shown(&root, "big.tar").await;
    let max: f64 = attr(&root, "progress#archive-progress", "max")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    assert!(first >= 0.0 && first < max, "{first} of {max}");
    assert!(find(&root, "#archive-cancel").is_some(), "a Cancel button");

    // While it opens, timers run and the terminal answers a command.
    let before = ticks.get();
    let input = command_input(&root).await;
    type_text(&input, "docker images");
    press(&input, "Enter");
    wait_secs(&root, 60, "the command's answer", || {
        output(&root).contains("$ docker images\nREPOSITORY")
    })
    .await;
    assert_eq!(state(&root), "verifying", "the command ran before the open ended");
    wait_secs(&root, 60, "timers to run", || {
        ticks.get() > before + 2 || state(&root) != "verifying"
    })
    .await;
    assert_eq!(state(&root), "verifying", "timers ran before the open ended");
    let last: f64 = attr(&root, "progress#archive-progress", "value")
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1.0);
    assert!(last > first, "the bar moved on: {first} -> {last}");

    wait_secs(&root, 120, "the load", || state(&root) == "loaded").await;
    drop(timer);
    assert!(
        text(&root, ".archive-status").contains("Loaded image: big/app:1"),
        "{}",
        text(&root, ".archive-status")
    );
    assert!(
        find(&root, "progress#archive-progress").is_none(),
        "the bar goes away"
    );
    assert!(output(&root).contains("$ docker load -i big.tar\nLoaded image: big/app:1\n"));
}

#[wasm_bindgen_test]
async fn cancel_stops_the_open_and_loads_nothing() {
    let root = mount();
    command_input(&root).await;
    pick_file(&root, "#archive-input", "big.tar", &big_archive("big/app:1", 16));
    progress_shown(&root, "big.tar").await;
    assert_eq!(
        attr(&root, "#archive-cancel", "aria-label").as_deref(),
        Some("Cancel opening big.tar")
    );
    click(&root, "#archive-cancel");
    wait_secs(&root, 30, "the cancel", || state(&root) == "cancelled").await;
    assert_eq!(
        text(&root, ".archive-status"),
        "■ Cancelled opening big.tar: nothing was loaded"
    );
    assert!(find(&root, "progress#archive-progress").is_none());
    assert_eq!(
        document().active_element().map(|e| e.id()).as_deref(),
        Some("archive-input"),
        "keyboard focus goes back to the open button"
    );
    assert!(!output(&root).contains("docker load"), "{}", output(&root));
    let input = command_input(&root).await;
    type_text(&input, "docker images");
    press(&input, "Enter");
    wait_secs(&root, 30, "docker images", || {
        output(&root).contains("$ docker images\n")
    })
    .await;
    assert!(!output(&root).contains("big/app"), "{}", output(&root));
}

#[wasm_bindgen_test]
async fn a_second_file_replaces_the_one_opening() {
    let root = mount();
    command_input(&root).await;
    pick_file(&root, "#archive-input", "big.tar", &big_archive("big/app:1", 16));
    progress_shown(&root, "big.tar").await;
    pick_file(
        &root,
        "#archive-input",
        "small.tar",
        &big_archive("small/app:1", 1),
    );
    wait_secs(&root, 60, "the second file", || state(&root) == "loaded").await;
    assert!(
        text(&root, ".archive-status").starts_with("✔ Opened small.tar: Loaded image: small/app:1"),
        "{}",
        text(&root, ".archive-status")
    );
    // The first open stopped at its next pause and says nothing more.
    yew::platform::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(state(&root), "loaded");
    assert!(
        !output(&root).contains("docker load -i big.tar"),
        "{}",
        output(&root)
    );
}
