//! The Lessons panel in headless Chromium: follow a step with its own buttons until the lab ticks
//! the task off, break the Dockerfile and see the line blamed, build and see the new image.

use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlElement, HtmlInputElement, HtmlTextAreaElement};

mod common;

use common::page::{self, click_when_shown, find, fire, output, text, wait_for};

wasm_bindgen_test_configure!(run_in_browser);

/// Mounts a fresh App, with no lesson progress or draft left from another test (they share the
/// page's local storage).
fn mount() -> Element {
    if let Ok(Some(storage)) = web_sys::window().expect("a browser window").local_storage() {
        let _ = storage.remove_item("layerlab.lesson");
        let _ = storage.remove_item("layerlab.dockerfile");
    }
    page::mount()
}

async fn open_lessons(root: &Element) {
    click_when_shown(root, "#tab-lessons").await;
    wait_for(root, "the first step", || {
        find(root, "#lesson-step-pull").is_some()
    })
    .await;
}

async fn type_dockerfile(root: &Element, dockerfile: &str) {
    wait_for(root, "the editor", || find(root, "#dockerfile-text").is_some()).await;
    let area: HtmlTextAreaElement = find(root, "#dockerfile-text")
        .expect("the Dockerfile textarea")
        .unchecked_into();
    area.set_value(dockerfile);
    fire(&area, "input");
}

#[wasm_bindgen_test]
async fn lessons_is_the_first_tab_but_the_page_opens_on_layers() {
    let root = mount();
    wait_for(&root, "the tabs", || find(&root, "[role=tab]").is_some()).await;
    let first = find(&root, "[role=tab]").expect("a tab");
    assert_eq!(first.id(), "tab-lessons");
    assert_eq!(
        find(&root, "[role=tab][aria-selected=true]").map(|t| t.id()),
        Some("tab-layers".to_owned())
    );
}

#[wasm_bindgen_test]
async fn running_a_steps_commands_with_its_buttons_ticks_the_task_off() {
    let root = mount();
    open_lessons(&root).await;
    let task = "#lesson-step-pull #lesson-task";
    assert_eq!(
        find(&root, task).and_then(|t| t.get_attribute("data-done")),
        Some("false".to_owned())
    );
    let buttons = root
        .query_selector_all("#lesson-step-pull .lesson-run")
        .expect("run buttons");
    assert_eq!(buttons.length(), 3);
    for i in 0..buttons.length() {
        let button: HtmlElement = buttons.item(i).expect("a run button").unchecked_into();
        let line = button.get_attribute("data-command").unwrap_or_default();
        assert_eq!(
            button.get_attribute("aria-label"),
            Some(format!("Run {line}")),
            "each button names its command"
        );
        button.click();
        wait_for(&root, &line, || output(&root).contains(&format!("$ {line}"))).await;
        if i + 1 < buttons.length() {
            assert_eq!(
                find(&root, task).and_then(|t| t.get_attribute("data-done")),
                Some("false".to_owned()),
                "not done before the last command ran"
            );
        }
    }
    wait_for(&root, "the task to be done", || {
        find(&root, task).and_then(|t| t.get_attribute("data-done")) == Some("true".to_owned())
    })
    .await;
    assert!(
        text(&root, task).contains("Done"),
        "said in words, not colour alone"
    );
    wait_for(&root, "the announcement", || {
        text(&root, "#lesson-announce").starts_with("Task done")
    })
    .await;
    assert_eq!(
        find(&root, "#lesson-announce").and_then(|a| a.get_attribute("aria-live")),
        Some("polite".to_owned())
    );
    assert!(
        find(&root, "#lesson-link-pull.done").is_some(),
        "the step list marks it done"
    );
    assert!(output(&root).contains("IMAGE          CREATED"), "history ran");
}

#[wasm_bindgen_test]
async fn next_back_and_the_hint_work_and_the_place_survives_a_tab_change() {
    let root = mount();
    open_lessons(&root).await;
    let back = find(&root, "#lesson-back").expect("a back button");
    assert!(back.has_attribute("disabled"), "nothing before the first step");
    click_when_shown(&root, "#lesson-next").await;
    wait_for(&root, "the Dockerfile step", || {
        find(&root, "#lesson-step-dockerfile").is_some()
    })
    .await;
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .expect("a browser document");
    wait_for(&root, "focus on the new step's title", || {
        doc.active_element()
            .is_some_and(|a| a.id() == "lesson-step-title" && root.contains(Some(&a)))
    })
    .await;
    let hint = "#lesson-hint";
    assert!(find(&root, hint).is_some_and(|h| h.has_attribute("hidden")));
    click_when_shown(&root, "#lesson-hint-toggle").await;
    wait_for(&root, "the hint", || {
        find(&root, hint).is_some_and(|h| !h.has_attribute("hidden"))
    })
    .await;
    assert_eq!(
        find(&root, "#lesson-hint-toggle").and_then(|b| b.get_attribute("aria-expanded")),
        Some("true".to_owned())
    );
    click_when_shown(&root, "#tab-layers").await;
    wait_for(&root, "the layers panel", || {
        find(&root, "#panel-layers").is_some()
    })
    .await;
    click_when_shown(&root, "#tab-lessons").await;
    wait_for(&root, "the same step again", || {
        find(&root, "#lesson-step-dockerfile").is_some()
    })
    .await;
    click_when_shown(&root, "#lesson-back").await;
    wait_for(&root, "the first step again", || {
        find(&root, "#lesson-step-pull").is_some()
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_broken_dockerfile_is_blamed_on_its_line_next_to_the_editor_and_in_the_terminal() {
    let root = mount();
    open_lessons(&root).await;
    click_when_shown(&root, "#lesson-link-dockerfile").await;
    type_dockerfile(&root, "FROM ubuntu:15.04\nCOPPY . /app\nRUN make /app\n").await;
    wait_for(&root, "the problem on line 2", || {
        find(&root, "#dockerfile-problem").and_then(|p| p.get_attribute("data-line")) == Some("2".to_owned())
    })
    .await;
    let problem = text(&root, "#dockerfile-problem");
    assert!(problem.contains("Line 2"), "{problem}");
    assert!(problem.contains("unknown instruction: COPPY"), "{problem}");
    assert_eq!(text(&root, ".df-gutter li.bad"), "▶ 2");
    assert_eq!(
        find(&root, "#dockerfile-text").and_then(|t| t.get_attribute("aria-invalid")),
        Some("true".to_owned())
    );
    click_when_shown(&root, "#dockerfile-build").await;
    wait_for(&root, "the failed build", || {
        find(&root, ".df-outcome[data-outcome=failed]").is_some()
    })
    .await;
    let shown = output(&root);
    assert!(shown.contains("$ docker build -t app ."), "{shown}");
    assert!(
        shown.contains("dockerfile parse error on line 2: unknown instruction: COPPY"),
        "{shown}"
    );
}

#[wasm_bindgen_test]
async fn building_from_the_editor_adds_an_image_to_the_layers_panel() {
    let root = mount();
    open_lessons(&root).await;
    click_when_shown(&root, "#lesson-link-editor").await;
    type_dockerfile(
        &root,
        "FROM ubuntu:15.04\nCOPY . /app\nRUN make /app\nCMD python /app/app.py\n",
    )
    .await;
    let name: HtmlInputElement = find(&root, "#dockerfile-tag")
        .expect("the image name field")
        .unchecked_into();
    name.set_value("Not Valid");
    fire(&name, "input");
    wait_for(&root, "the name refused", || {
        find(&root, "#dockerfile-build").is_some_and(|b| b.has_attribute("disabled"))
    })
    .await;
    assert!(text(&root, "#dockerfile-tag-problem").contains("invalid argument"));
    name.set_value("myapp");
    fire(&name, "input");
    wait_for(&root, "the name accepted", || {
        find(&root, "#dockerfile-build").is_some_and(|b| !b.has_attribute("disabled"))
    })
    .await;
    click_when_shown(&root, "#dockerfile-build").await;
    wait_for(&root, "the build", || {
        find(&root, ".df-outcome[data-outcome=built]").is_some()
    })
    .await;
    assert!(text(&root, ".df-outcome").contains("Successfully tagged myapp:latest"));
    assert!(output(&root).contains("Step 4/4 : CMD python /app/app.py"));
    click_when_shown(&root, "#tab-layers").await;
    wait_for(&root, "the new image's stack", || {
        root.query_selector_all(".stacks figcaption .image-name")
            .ok()
            .is_some_and(|list| {
                (0..list.length()).any(|i| {
                    list.item(i)
                        .and_then(|n| n.text_content())
                        .is_some_and(|t| t == "myapp:latest")
                })
            })
    })
    .await;
}

#[wasm_bindgen_test]
async fn the_whole_lesson_can_be_completed_with_its_own_buttons() {
    let root = mount();
    open_lessons(&root).await;
    for slug in [
        "pull",
        "dockerfile",
        "container-layer",
        "copy-on-write",
        "sharing",
        "disk",
    ] {
        let step = format!("#lesson-step-{slug}");
        wait_for(&root, &step, || find(&root, &step).is_some()).await;
        let task = format!("{step} #lesson-task");
        assert_eq!(
            find(&root, &task).and_then(|t| t.get_attribute("data-done")),
            Some("false".to_owned()),
            "{slug} is not done on arrival"
        );
        let buttons = root
            .query_selector_all(&format!("{step} .lesson-run"))
            .expect("run buttons");
        for i in 0..buttons.length() {
            let button: HtmlElement = buttons.item(i).expect("a run button").unchecked_into();
            let line = button.get_attribute("data-command").unwrap_or_default();
            button.click();
            wait_for(&root, &line, || output(&root).contains(&format!("$ {line}"))).await;
        }
        wait_for(&root, &format!("{slug} to be done"), || {
            find(&root, &task).and_then(|t| t.get_attribute("data-done")) == Some("true".to_owned())
        })
        .await;
        assert!(find(&root, &format!("#lesson-link-{slug}.done")).is_some());
        if slug != "disk" {
            click_when_shown(&root, "#lesson-next").await;
        }
    }
    assert!(
        find(&root, "#lesson-next").is_some_and(|b| b.has_attribute("disabled")),
        "nothing after the last step"
    );
}
