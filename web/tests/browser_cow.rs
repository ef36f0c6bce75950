//! The Copy-on-write and Drivers panels in headless Chromium: change a file in an nginx
//! container, step through the copy-up and the write forwards and back, trace a read, let
//! auto-play advance, and compare the four storage drivers on the same lab.

use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlInputElement, HtmlSelectElement};

mod common;

use common::page::{
    attr, click, find, fire, mount, open_tab, output, press, run, text, type_text, wait_for, wait_secs,
};

wasm_bindgen_test_configure!(run_in_browser);

/// Runs a command in the lab's terminal and waits until `done` shows in it.
async fn run_until(root: &Element, line: &str, done: &str) {
    run(root, line).await;
    wait_for(root, done, || output(root).contains(done)).await;
}

/// Runs nginx and appends to its configuration, which copies the file up.
async fn nginx_with_a_changed_file(root: &Element) {
    run_until(
        root,
        "docker run -d --name web nginx:1.15.8",
        "Status: Downloaded newer image",
    )
    .await;
    run_until(
        root,
        r#"docker exec web sh -c "echo hi >> /etc/nginx/nginx.conf""#,
        r#"$ docker exec web sh -c "echo hi >> /etc/nginx/nginx.conf""#,
    )
    .await;
}

fn current_layer(root: &Element) -> Option<String> {
    attr(root, ".cow-box.current", "data-layer")
}

#[wasm_bindgen_test]
async fn stepping_through_a_copy_up_forwards_and_back() {
    let root = mount();
    nginx_with_a_changed_file(&root).await;
    open_tab(&root, "cow").await;
    wait_for(&root, "the first step", || {
        text(&root, ".cow-count") == "Step 1 of 2"
    })
    .await;
    assert_eq!(
        attr(&root, ".cow-sentence", "aria-live").as_deref(),
        Some("polite"),
        "the sentence is announced"
    );
    let first = text(&root, ".cow-sentence");
    assert!(
        first.contains("/etc/nginx/nginx.conf") && first.contains("whole file"),
        "{first}"
    );
    let from = current_layer(&root).expect("a highlighted layer");
    assert!(
        from.starts_with("layer "),
        "the copy starts in an image layer, not {from}"
    );
    assert_eq!(
        attr(&root, ".cow-box.current", "data-role").as_deref(),
        Some("source")
    );
    assert_eq!(
        attr(&root, ".cow-box.writable", "data-role").as_deref(),
        Some("target")
    );
    assert!(
        find(&root, ".cow-arrow").is_some(),
        "the copy is drawn as an arrow"
    );
    assert!(text(&root, ".cow-box.current .cow-role").contains("copied up from here"));
    assert!(
        attr(&root, ".cow-prev", "aria-disabled").as_deref() == Some("true"),
        "no step before the first"
    );

    click(&root, ".cow-next");
    wait_for(&root, "the second step", || {
        text(&root, ".cow-count") == "Step 2 of 2"
    })
    .await;
    assert_eq!(current_layer(&root).as_deref(), Some("writable"));
    let second = text(&root, ".cow-sentence");
    assert_ne!(second, first);
    assert!(second.contains("copy in the writable layer"), "{second}");
    assert_eq!(
        attr(&root, &format!(".cow-box[data-layer=\"{from}\"]"), "data-role").as_deref(),
        Some("hidden"),
        "the original stays below, hidden"
    );
    assert!(find(&root, ".cow-arrow").is_none());
    assert!(
        attr(&root, ".cow-next", "aria-disabled").as_deref() == Some("true"),
        "no step after the last"
    );

    click(&root, ".cow-prev");
    wait_for(&root, "the first step again", || {
        text(&root, ".cow-count") == "Step 1 of 2"
    })
    .await;
    assert_eq!(current_layer(&root), Some(from));
    assert_eq!(text(&root, ".cow-sentence"), first);

    // The arrow keys step as the buttons do.
    let back = find(&root, ".cow-prev").expect("Back");
    press(&back, "ArrowRight");
    wait_for(&root, "the arrow key's step", || {
        text(&root, ".cow-count") == "Step 2 of 2"
    })
    .await;
    assert_eq!(text(&root, ".cow-sentence"), second);
}

#[wasm_bindgen_test]
async fn a_traced_read_looks_down_until_a_layer_has_the_file() {
    let root = mount();
    run_until(
        &root,
        "docker run -d --name web nginx:1.15.8",
        "Status: Downloaded newer image",
    )
    .await;
    open_tab(&root, "cow").await;
    wait_for(&root, "the read form", || {
        find(&root, "input[aria-label='Path to read']").is_some()
    })
    .await;
    let input: HtmlInputElement = find(&root, "input[aria-label='Path to read']")
        .expect("path input")
        .unchecked_into();
    type_text(&input, "/etc/nginx/mime.types");
    click(&root, ".cow-trace");
    wait_for(&root, "the read's first step", || {
        text(&root, ".cow-heading").contains("A read of /etc/nginx/mime.types")
    })
    .await;
    assert_eq!(current_layer(&root).as_deref(), Some("writable"));
    assert_eq!(
        attr(&root, ".cow-box.current", "data-role").as_deref(),
        Some("not-here")
    );
    assert!(text(&root, ".cow-sentence").contains("starts at the top"));
    // Forward until the last step: a layer of the image has the file.
    for _ in 0..10 {
        if attr(&root, ".cow-next", "aria-disabled").as_deref() == Some("true") {
            break;
        }
        let before = text(&root, ".cow-count");
        click(&root, ".cow-next");
        wait_for(&root, "the next step", || text(&root, ".cow-count") != before).await;
    }
    assert_eq!(
        attr(&root, ".cow-box.current", "data-role").as_deref(),
        Some("found")
    );
    assert!(current_layer(&root).is_some_and(|l| l.starts_with("layer ")));
    assert!(text(&root, ".cow-sentence").contains("copies nothing"));

    // A path that is not absolute is refused with what to do.
    type_text(&input, "etc/passwd");
    click(&root, ".cow-trace");
    wait_for(&root, "the error", || {
        text(&root, ".cow-error").contains("start it with /")
    })
    .await;
}

#[wasm_bindgen_test]
async fn play_advances_by_itself_and_pause_stops_it() {
    let root = mount();
    run_until(
        &root,
        "docker run -d --name web nginx:1.15.8",
        "Status: Downloaded newer image",
    )
    .await;
    run_until(
        &root,
        r#"docker exec web sh -c "rm -r /etc/nginx/conf.d && mkdir /etc/nginx/conf.d""#,
        "$ docker exec web sh -c",
    )
    .await;
    open_tab(&root, "cow").await;
    wait_for(&root, "the first step", || {
        text(&root, ".cow-count") == "Step 1 of 2"
    })
    .await;
    assert!(text(&root, ".cow-sentence").contains("whiteout"));
    click(&root, ".cow-play");
    wait_for(&root, "playing", || {
        attr(&root, ".cow-play", "data-playing").as_deref() == Some("true")
    })
    .await;
    wait_secs(&root, 8, "auto-play to reach step 2", || {
        text(&root, ".cow-count") == "Step 2 of 2"
    })
    .await;
    assert!(text(&root, ".cow-sentence").contains("opaque"));
    assert!(text(&root, ".cow-markers").contains("opaque directory: /etc/nginx/conf.d"));
    wait_secs(&root, 8, "play to stop at the end", || {
        attr(&root, ".cow-play", "data-playing").as_deref() == Some("false")
    })
    .await;
}

#[wasm_bindgen_test]
async fn with_nothing_changed_the_panel_offers_commands_that_work() {
    let root = mount();
    run_until(
        &root,
        "docker run -d --name web nginx:1.15.8",
        "Status: Downloaded newer image",
    )
    .await;
    run_until(&root, "docker ps", "CONTAINER ID").await;
    open_tab(&root, "cow").await;
    wait_for(&root, "the suggestions", || {
        find(&root, ".cow-tries .cow-run").is_some()
    })
    .await;
    let first = text(&root, ".cow-tries li code");
    assert!(first.starts_with("docker exec web "), "{first}");
    click(&root, ".cow-tries .cow-run");
    wait_for(&root, "the suggestion to run", || {
        text(&root, "pre[role=log]").contains(&format!("$ {first}"))
    })
    .await;
    wait_for(&root, "its steps", || {
        text(&root, ".cow-count").starts_with("Step 1 of")
    })
    .await;
}

#[wasm_bindgen_test]
async fn drivers_compare_four_rows_with_numbers() {
    let root = mount();
    nginx_with_a_changed_file(&root).await;
    open_tab(&root, "drivers").await;
    wait_for(&root, "the driver table", || {
        find(&root, ".drivers-table").is_some()
    })
    .await;
    let rows = root.query_selector_all(".drivers-table tbody tr").expect("rows");
    assert_eq!(rows.length(), 4);
    let mut names = Vec::new();
    for i in 0..rows.length() {
        let row: Element = rows.item(i).expect("a row").unchecked_into();
        names.push(row.get_attribute("data-driver").unwrap_or_default());
        let numbers = row.query_selector_all(".bar-num").expect("numbers");
        assert_eq!(numbers.length(), 3);
        for j in 0..numbers.length() {
            let n = numbers.item(j).and_then(|n| n.text_content()).unwrap_or_default();
            assert!(n.chars().any(|c| c.is_ascii_digit()) && n.ends_with('B'), "{n:?}");
        }
    }
    assert_eq!(names, ["overlay2", "vfs", "btrfs", "zfs"]);
    let copied = |d: &str| text(&root, &format!("tr[data-driver={d}] td.copied .bar-num"));
    assert_ne!(copied("overlay2"), "0B", "overlay2 copied nginx.conf up");
    assert_ne!(copied("btrfs"), "0B", "an append rewrites the file's last block");
    assert!(
        copied("vfs").ends_with("MB"),
        "vfs copied the image: {}",
        copied("vfs")
    );
    assert!(text(&root, ".drivers-workload").contains("web (nginx:1.15.8) changed 1 file"));
    assert!(text(&root, ".drivers-why").contains("128 KiB"));
}

#[wasm_bindgen_test]
async fn picking_another_container_shows_its_stack() {
    let root = mount();
    run_until(
        &root,
        "docker run -d --name other nginx:1.15.8",
        "Status: Downloaded newer image",
    )
    .await;
    nginx_with_a_changed_file(&root).await;
    open_tab(&root, "cow").await;
    wait_for(&root, "web's steps", || {
        text(&root, ".cow-heading") == "What the last command did to web"
    })
    .await;
    let select: HtmlSelectElement = find(&root, "select[aria-label=Container]")
        .expect("the container picker")
        .unchecked_into();
    assert_eq!(select.value(), "web");
    select.set_value("other");
    fire(&select, "change");
    wait_for(&root, "other's suggestions", || {
        text(&root, ".cow-tries").contains("docker exec other sh -c")
    })
    .await;
    assert!(find(&root, ".cow-heading").is_none());
    assert!(
        find(&root, ".cow-box.writable").is_some(),
        "other's stack is drawn"
    );
}
