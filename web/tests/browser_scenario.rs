//! Scenarios and image archives in headless Chromium: a link's fragment replays a lab, a script
//! steps one command at a time, and archives opened through the page's file input load or are
//! refused with a clear message.

use std::time::Duration;

use layerlab_core::layer::{Changeset, Content, Entry};
use layerlab_web::panel::Panel;
use layerlab_web::scenario::{Scenario, Settings, Start};
use layerlab_web::state::{Action, Lab};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlInputElement, KeyboardEvent, KeyboardEventInit};

mod common;

use common::docker_save;
use common::page::{
    click, command_input, document, find, mount, output, pick_file, press, text, type_text, wait_for,
};

wasm_bindgen_test_configure!(run_in_browser);

/// Sets the page's fragment, mounts an App that reads it, and clears it again once the App has
/// started, so later tests' Apps start empty.
async fn mount_with_fragment(fragment: &str) -> Element {
    let location = web_sys::window().expect("a window").location();
    location.set_hash(fragment).expect("set the fragment");
    let root = mount();
    command_input(&root).await;
    // The App reads the fragment in an effect after its first render.
    yew::platform::time::sleep(Duration::from_millis(50)).await;
    location.set_hash("").expect("clear the fragment");
    root
}

/// What the terminal shows after the lab ran these actions, computed without a page.
fn transcript_after(actions: Vec<Action>) -> String {
    let mut lab = Lab::new();
    for a in actions {
        lab.apply(a);
    }
    lab.transcript.iter().map(|l| l.text.as_str()).collect()
}

#[wasm_bindgen_test]
async fn a_scenario_link_replays_the_lab_with_its_settings() {
    let commands: Vec<String> = [
        "docker run -d --name web nginx:1.15.8",
        "docker run -d nginx:1.15.8",
        "docker ps -s",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let settings = Settings {
        classroom: false,
        panel: Panel::Disk,
        start: Start::Replay,
    };
    let scenario = Scenario::new(&commands, settings).expect("a scenario");
    let root = mount_with_fragment(&scenario.to_fragment()).await;
    wait_for(&root, "the replay", || output(&root).contains("$ docker ps -s")).await;
    wait_for(&root, "the disk panel", || find(&root, "#panel-disk").is_some()).await;
    wait_for(&root, "two containers in the ledger", || {
        root.query_selector_all(".disk table.sizes tbody tr")
            .map(|l| l.length())
            .unwrap_or(0)
            == 2
    })
    .await;
    let (runs, rest) = scenario.replay();
    assert!(rest.is_none());
    assert_eq!(
        output(&root),
        transcript_after(runs),
        "the page shows exactly what the lab would"
    );
    assert!(text(&root, "#scenario-message").contains("Replayed 3 commands"));

    // The page's own Copy link makes a link of the same lab.
    click(&root, "#scenario-copy");
    wait_for(&root, "the link", || find(&root, "#scenario-link").is_some()).await;
    let link: HtmlInputElement = find(&root, "#scenario-link").expect("the link").unchecked_into();
    let fragment = link
        .value()
        .split_once('#')
        .map(|(_, f)| f.to_owned())
        .unwrap_or_default();
    let copied = Scenario::from_fragment(&fragment)
        .expect("a valid link")
        .expect("a scenario");
    assert_eq!(copied.commands(), commands.as_slice());
    assert_eq!(copied.settings, settings);
}

#[wasm_bindgen_test]
async fn a_link_carries_the_editors_dockerfile_into_the_editor_and_the_build() {
    let dockerfile = "FROM busybox\nRUN mkdir /shared && echo hi > /shared/note\nCMD [\"sh\"]\n";
    let mut lab = Lab::new();
    lab.apply(Action::Build {
        dockerfile: dockerfile.to_owned(),
        tag: "shared".to_owned(),
    });
    let settings = Settings {
        classroom: false,
        panel: Panel::Lessons,
        start: Start::Replay,
    };
    let scenario = Scenario::new(&lab.record, settings).expect("a scenario");
    let root = mount_with_fragment(&scenario.to_fragment()).await;
    wait_for(&root, "the replayed build", || {
        output(&root).contains("Successfully tagged shared:latest")
    })
    .await;
    let shown: String = lab.transcript.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(output(&root), shown, "the page built what the shared lab built");
    wait_for(&root, "the lessons panel", || {
        find(&root, "#lesson-link-editor").is_some()
    })
    .await;
    click(&root, "#lesson-link-editor");
    wait_for(&root, "the editor", || find(&root, "#dockerfile-text").is_some()).await;
    let editor: web_sys::HtmlTextAreaElement = find(&root, "#dockerfile-text")
        .expect("the editor")
        .unchecked_into();
    assert_eq!(
        editor.value(),
        dockerfile,
        "the editor shows the shared Dockerfile"
    );
}

#[wasm_bindgen_test]
async fn a_broken_link_says_so() {
    let root = mount_with_fragment("s=1&c=docker%ZZps").await;
    wait_for(&root, "the error", || {
        find(&root, "#scenario-message[role=alert]").is_some()
    })
    .await;
    let message = text(&root, "#scenario-message");
    assert!(message.contains("not a valid %-escape"), "{message}");
}

fn press_alt_n() {
    let init = KeyboardEventInit::new();
    init.set_key("n");
    init.set_code("KeyN");
    init.set_alt_key(true);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).expect("a key event");
    document().dispatch_event(&event).expect("dispatch keydown");
}

#[wasm_bindgen_test]
async fn next_step_runs_the_next_command_of_a_script() {
    let commands: Vec<String> = ["docker pull busybox", "docker images"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let settings = Settings {
        start: Start::Step,
        ..Settings::default()
    };
    let scenario = Scenario::new(&commands, settings).expect("a scenario");
    let root = mount_with_fragment(&scenario.to_fragment()).await;
    wait_for(&root, "the first step", || {
        text(&root, "#scenario-step") == "step 1 of 2: docker pull busybox"
    })
    .await;
    assert!(
        !output(&root).contains("docker pull"),
        "nothing ran before Next step"
    );

    click(&root, "#scenario-next");
    wait_for(&root, "the pull", || output(&root).contains("Pull complete")).await;
    wait_for(&root, "the second step", || {
        text(&root, "#scenario-step") == "step 2 of 2: docker images"
    })
    .await;
    assert!(!output(&root).contains("$ docker images"));

    press_alt_n();
    wait_for(&root, "the listing", || output(&root).contains("$ docker images")).await;
    wait_for(&root, "the end", || {
        text(&root, "#scenario-step") == "all 2 steps ran"
    })
    .await;
    let next: web_sys::HtmlButtonElement = find(&root, "#scenario-next")
        .expect("the button")
        .unchecked_into();
    assert!(next.disabled(), "nothing left to run");
    click(&root, "#scenario-end");
    wait_for(&root, "the script to end", || {
        find(&root, "#scenario-step").is_none()
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_broken_archive_gets_a_clear_error() {
    let root = mount();
    command_input(&root).await;
    pick_file(
        &root,
        "#archive-input",
        "broken.tar",
        b"this is not a tarball at all",
    );
    wait_for(&root, "the refusal", || {
        find(&root, ".archive-status[data-state=failed]").is_some()
    })
    .await;
    let status = text(&root, ".archive-status");
    assert!(status.starts_with("✖ Could not open broken.tar: "), "{status}");
    assert!(
        status.len() > "✖ Could not open broken.tar: ".len() + 20,
        "a reason: {status}"
    );
    assert_eq!(
        find(&root, ".archive-status")
            .and_then(|s| s.get_attribute("role"))
            .as_deref(),
        Some("alert")
    );
    assert!(output(&root).contains("$ docker load -i broken.tar"));
    // The page still works.
    let input = command_input(&root).await;
    type_text(&input, "help");
    press(&input, "Enter");
    wait_for(&root, "help", || output(&root).contains("Terminal keys")).await;
}

fn demo_layers() -> Vec<Changeset> {
    vec![
        Changeset::new(vec![
            Entry::dir("bin"),
            Entry::file("bin/sh", Content::bytes(b"#!shell".to_vec())).with_mode(0o755),
            Entry::dir("etc"),
            Entry::file("etc/hostname", Content::bytes(b"lab\n".to_vec())),
        ]),
        Changeset::new(vec![
            Entry::dir("etc"),
            Entry::file("etc/motd", Content::bytes(b"welcome to the demo\n".to_vec())),
        ]),
    ]
}

#[wasm_bindgen_test]
async fn a_docker_save_archive_opens_and_shows_in_the_layers_picture() {
    let root = mount();
    command_input(&root).await;
    let archive = docker_save("demo/app:1.0", &demo_layers());
    pick_file(&root, "#archive-input", "demo.tar", &archive);
    wait_for(&root, "the load", || {
        find(&root, ".archive-status[data-state=loaded]").is_some()
    })
    .await;
    assert!(text(&root, ".archive-status").contains("Loaded image: demo/app:1.0"));
    click(&root, "#tab-layers");
    wait_for(&root, "the image's stack", || {
        text(&root, ".stacks figcaption").contains("demo/app:1.0")
    })
    .await;
    let layers = root
        .query_selector_all(".stacks g.layer")
        .map(|l| l.length())
        .unwrap_or(0);
    assert_eq!(layers, 2, "one box per layer");
    // A link cannot carry the archive, and the bar says so.
    wait_for(&root, "the archive note", || {
        find(&root, "#scenario-archives").is_some()
    })
    .await;
    assert!(text(&root, "#scenario-archives").contains("demo.tar"));
}

#[wasm_bindgen_test]
async fn a_tampered_layer_fails_verification() {
    let root = mount();
    command_input(&root).await;
    click(&root, "#tab-layers");
    let mut archive = docker_save("demo/app:1.0", &demo_layers());
    // Change one byte of the motd's content: the layer no longer hashes to its diff ID.
    let at = archive
        .windows(7)
        .position(|w| w == b"welcome")
        .expect("the motd in the archive");
    if let Some(b) = archive.get_mut(at) {
        *b = b'W';
    }
    pick_file(&root, "#archive-input", "tampered.tar", &archive);
    wait_for(&root, "the refusal", || {
        find(&root, ".archive-status[data-state=failed]").is_some()
    })
    .await;
    let status = text(&root, ".archive-status");
    assert!(status.contains("sha256:"), "names the digests: {status}");
    assert!(
        find(&root, ".stacks figure").is_none(),
        "nothing half loaded: {}",
        text(&root, ".stacks")
    );
}

#[wasm_bindgen_test]
async fn an_archive_dropped_on_the_workbench_opens() {
    let root = mount();
    command_input(&root).await;
    click(&root, "#tab-layers");
    let zone = find(&root, ".archive-drop").expect("a drop zone");
    let archive = docker_save("dropped/app:2.0", &demo_layers());
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(archive.as_slice()));
    let file = web_sys::File::new_with_u8_array_sequence(&parts, "dropped.tar").expect("a file");
    let transfer = web_sys::DataTransfer::new().expect("a data transfer");
    transfer.items().add_with_file(&file).expect("add the file");
    let drag = |kind: &str| {
        let init = web_sys::DragEventInit::new();
        init.set_bubbles(true);
        init.set_cancelable(true);
        init.set_data_transfer(Some(&transfer));
        web_sys::DragEvent::new_with_event_init_dict(kind, &init).expect("a drag event")
    };
    let over = drag("dragover");
    zone.dispatch_event(&over).expect("dispatch dragover");
    assert!(over.default_prevented(), "the zone accepts files");
    wait_for(&root, "the drop hint", || {
        find(&root, ".archive-drop.dragging .archive-overlay").is_some()
    })
    .await;
    let workbench = find(&root, ".workbench").expect("the workbench");
    workbench.dispatch_event(&drag("drop")).expect("dispatch drop");
    wait_for(&root, "the load", || {
        find(&root, ".archive-status[data-state=loaded]").is_some()
    })
    .await;
    assert!(find(&root, ".archive-overlay").is_none(), "the hint goes away");
    wait_for(&root, "the image's stack", || {
        text(&root, ".stacks figcaption").contains("dropped/app:2.0")
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_script_waits_for_its_archive_until_one_loads() {
    let commands: Vec<String> = ["docker pull busybox", "docker load -i demo.tar", "docker images"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let settings = Settings {
        start: Start::Step,
        ..Settings::default()
    };
    let scenario = Scenario::new(&commands, settings).expect("a scenario");
    let root = mount_with_fragment(&scenario.to_fragment()).await;
    wait_for(&root, "the first step", || {
        text(&root, "#scenario-step").starts_with("step 1 of 3")
    })
    .await;
    click(&root, "#scenario-next");
    wait_for(&root, "the archive step", || {
        text(&root, "#scenario-step").starts_with("step 2 of 3: open the archive demo.tar")
    })
    .await;
    let next: web_sys::HtmlButtonElement = find(&root, "#scenario-next")
        .expect("the button")
        .unchecked_into();
    assert!(next.disabled(), "Next step cannot pass an archive");

    pick_file(&root, "#archive-input", "wrong.tar", b"not an archive");
    wait_for(&root, "the refusal", || {
        find(&root, ".archive-status[data-state=failed]").is_some()
    })
    .await;
    assert!(
        text(&root, "#scenario-step").starts_with("step 2 of 3"),
        "a refused archive does not pass the step"
    );

    pick_file(
        &root,
        "#archive-input",
        "demo.tar",
        &docker_save("demo/app:1.0", &demo_layers()),
    );
    wait_for(&root, "the last step", || {
        text(&root, "#scenario-step") == "step 3 of 3: docker images"
    })
    .await;
    click(&root, "#scenario-next");
    wait_for(&root, "the listing", || output(&root).contains("demo/app")).await;
}
