//! The Files panel in headless Chromium: the merged tree of nginx:1.15.8 with each path marked by
//! its layer, keyboard use, search across layers, the wasted-space list with its efficiency score,
//! a container's writable layer, and the diff of two images. One test is a benchmark: it loads an
//! image of 10,000 files and prints how long a command takes to reach the panel (it asserts only
//! what the panel shows, never a time).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use layerlab_core::digest::Digest;
use layerlab_core::explorer::{Explorer, Order};
use layerlab_core::layer::{Changeset, Content, Entry};
use layerlab_web::components::file_explorer::FileExplorer;
use layerlab_web::explorer_view::{self, PAGE, Subject};
use layerlab_web::state::{Action, Lab};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::{Element, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

mod common;

use common::docker_save;
use common::page::{click, count, document, find, fire, mount, new_root, press, run, text, wait_for};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`: milliseconds, finer than `Date.now()`.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Picks the option whose text is `label` in the select inside the label `field`.
fn choose(root: &Element, field: &str, label: &str) {
    let labels = root.query_selector_all(".files label.fx-field").expect("labels");
    for i in 0..labels.length() {
        let Some(l) = labels.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else {
            continue;
        };
        if !text(&l, ".fx-label").starts_with(field) {
            continue;
        }
        let select: HtmlSelectElement = find(&l, "select").expect("a select").unchecked_into();
        let options = select.query_selector_all("option").expect("options");
        for j in 0..options.length() {
            let Some(option) = options.item(j).and_then(|n| n.dyn_into::<Element>().ok()) else {
                continue;
            };
            if option.text_content().as_deref() == Some(label) {
                select.set_value(&option.get_attribute("value").unwrap_or_default());
                fire(&select, "change");
                return;
            }
        }
        panic!("no option {label:?} in {field}");
    }
    panic!("no field {field}");
}

fn row(path: &str) -> String {
    format!(".files li[role=treeitem][data-path=\"{path}\"]")
}

async fn open_files(root: &Element) {
    click(root, "#tab-files");
    wait_for(root, "the Files panel", || {
        find(root, "#panel-files .files").is_some()
    })
    .await;
}

#[wasm_bindgen_test]
async fn nginx_files_are_marked_searched_wasted_and_compared() {
    let root = mount();
    run(&root, "docker pull nginx:1.15.8").await;
    open_files(&root).await;
    wait_for(&root, "the tree", || find(&root, ".files [role=tree]").is_some()).await;
    let select = find(&root, ".files select").expect("a subject select");
    assert!(
        select.closest("label").ok().flatten().is_some(),
        "the select has a label"
    );

    // Expand /etc and /etc/nginx: nginx.conf carries the mark of the layer that installed nginx.
    click(&root, &row("etc"));
    wait_for(&root, "/etc open", || find(&root, &row("etc/nginx")).is_some()).await;
    assert_eq!(
        find(&root, &row("etc"))
            .and_then(|r| r.get_attribute("aria-expanded"))
            .as_deref(),
        Some("true")
    );
    click(&root, &row("etc/nginx"));
    wait_for(&root, "/etc/nginx open", || {
        find(&root, &row("etc/nginx/nginx.conf")).is_some()
    })
    .await;
    let conf = row("etc/nginx/nginx.conf");
    let badge = text(&root, &format!("{conf} .fx-badge"));
    assert!(badge.starts_with("+ L"), "badge was {badge:?}");
    let instruction = text(&root, &format!("{conf} .fx-instr"));
    assert!(instruction.contains("RUN"), "instruction was {instruction:?}");
    assert_eq!(
        find(&root, &conf)
            .and_then(|r| r.get_attribute("aria-level"))
            .as_deref(),
        Some("3")
    );

    // Keyboard: Left on the focused /etc/nginx row closes it, Right opens it again.
    let nginx_row = find(&root, &row("etc/nginx")).expect("the /etc/nginx row");
    press(&nginx_row, "ArrowLeft");
    wait_for(&root, "/etc/nginx closed", || find(&root, &conf).is_none()).await;
    let nginx_row = find(&root, &row("etc/nginx")).expect("the /etc/nginx row");
    press(&nginx_row, "ArrowRight");
    wait_for(&root, "/etc/nginx open again", || find(&root, &conf).is_some()).await;
    press(&nginx_row, "ArrowLeft");
    wait_for(&root, "/etc/nginx closed again", || find(&root, &conf).is_none()).await;
    press(&nginx_row, "ArrowLeft");
    wait_for(&root, "focus moved to /etc", || {
        find(&root, &row("etc"))
            .and_then(|r| r.get_attribute("tabindex"))
            .as_deref()
            == Some("0")
    })
    .await;
    let etc_row = find(&root, &row("etc")).expect("the /etc row");
    press(&etc_row, "ArrowLeft");
    wait_for(&root, "/etc closed", || find(&root, &row("etc/nginx")).is_none()).await;

    // Sort by size puts the biggest top-level directory first.
    choose(&root, "Sort by", "size, biggest first");
    wait_for(&root, "size order", || {
        find(&root, ".files li[role=treeitem]")
            .and_then(|r| r.get_attribute("data-path"))
            .as_deref()
            == Some("usr")
    })
    .await;
    // The first row says it is the first of the top-level names, as a flat tree must.
    let first = find(&root, ".files li[role=treeitem]").expect("a row");
    assert_eq!(first.get_attribute("aria-posinset").as_deref(), Some("1"));
    let top_level = count(&root, ".files li[role=treeitem][aria-level='1']");
    assert_eq!(first.get_attribute("aria-setsize"), Some(top_level.to_string()));

    // Search finds the access log in both layers that have it: the empty file of the install
    // layer, hidden, and the symlink that replaced it.
    let search: HtmlInputElement = find(&root, ".files input[type=search]")
        .expect("a search box")
        .unchecked_into();
    search.set_value("access.log");
    fire(&search, "input");
    wait_for(&root, "search results", || {
        count(&root, ".fx-search-results tbody tr") == 2
    })
    .await;
    let results = text(&root, ".fx-search-results");
    assert!(results.contains("/var/log/nginx/access.log"), "{results}");
    assert!(results.contains("overwritten by layer"), "{results}");
    // Picking a result shows it in the tree, its folders opened and the row focused.
    click(&root, ".fx-search-results .fx-reveal");
    wait_for(&root, "the access log in the tree", || {
        find(&root, &row("var/log/nginx/access.log")).is_some()
    })
    .await;
    assert_eq!(search.value(), "", "the search is cleared");
    wait_for(&root, "the revealed row focused", || {
        let active = document().active_element();
        active.and_then(|a| a.get_attribute("data-path")).as_deref() == Some("var/log/nginx/access.log")
    })
    .await;

    // Wasted space: the overwritten log files, and an efficiency as a percentage.
    click(&root, ".fx-modes button:nth-child(2)");
    wait_for(&root, "the wasted list", || find(&root, ".fx-wasted").is_some()).await;
    let wasted = text(&root, ".fx-wasted table.fx-entries");
    assert!(wasted.contains("/var/log/nginx/access.log"), "{wasted}");
    let score = text(&root, ".fx-wasted .fx-efficiency");
    let number: f64 = score
        .trim_end_matches('%')
        .parse()
        .unwrap_or_else(|_| panic!("efficiency was {score:?}"));
    assert!((0.0..=100.0).contains(&number), "efficiency was {score:?}");
    assert_eq!(count(&root, ".fx-layers tbody tr"), 3, "one row per layer");

    // Compare with ubuntu:15.04.
    run(&root, "docker pull ubuntu:15.04").await;
    click(&root, ".fx-modes button:nth-child(3)");
    wait_for(&root, "the image pickers", || {
        text(&root, ".files").contains("Image B")
    })
    .await;
    choose(&root, "Image A", "nginx:1.15.8");
    choose(&root, "Image B", "ubuntu:15.04");
    wait_for(&root, "the diff", || count(&root, ".fx-diff tbody tr") > 0).await;
    let summary = text(&root, ".fx-diff-summary");
    assert!(
        summary.contains("only in A") && summary.contains("changed"),
        "{summary}"
    );
    let table = text(&root, ".fx-diff tbody");
    assert!(
        table.contains("only in A") && table.contains("only in B"),
        "{table}"
    );
    // The same image on both sides shows no difference.
    choose(&root, "Image B", "nginx:1.15.8");
    wait_for(&root, "an empty diff", || {
        text(&root, ".files").contains("exactly the same files")
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_container_shows_its_writable_layer_marks() {
    let root = mount();
    run(&root, "docker run -d --name web nginx:1.15.8").await;
    run(&root, "docker exec web rm /etc/nginx/nginx.conf").await;
    open_files(&root).await;
    wait_for(&root, "the tree", || find(&root, ".files [role=tree]").is_some()).await;
    choose(&root, "Image or container", "container web (nginx:1.15.8)");
    wait_for(&root, "the container's tree", || {
        find(&root, ".files [role=tree]")
            .and_then(|t| t.get_attribute("aria-label"))
            .is_some_and(|l| l.contains("container web"))
    })
    .await;
    click(&root, &row("etc"));
    wait_for(&root, "/etc open", || find(&root, &row("etc/nginx")).is_some()).await;
    click(&root, &row("etc/nginx"));
    let conf = row("etc/nginx/nginx.conf");
    wait_for(&root, "the removed nginx.conf", || find(&root, &conf).is_some()).await;
    assert_eq!(text(&root, &format!("{conf} .fx-badge")), "- RW");
    assert!(
        find(&root, &conf).is_some_and(|r| r
            .get_attribute("class")
            .is_some_and(|c| c.split(' ').any(|c| c == "fx-removed"))),
        "a removed row is styled apart as well as labelled"
    );
    // Hiding removed files takes it away.
    let hide: HtmlInputElement = find(&root, ".files .fx-check input")
        .expect("the show-removed box")
        .unchecked_into();
    hide.set_checked(false);
    fire(&hide, "change");
    wait_for(&root, "removed files hidden", || find(&root, &conf).is_none()).await;
}

/// 10,000 files in three layers: 8,000 in 80 directories, then 2,000 more and 500 of the first
/// rewritten, then 500 deleted.
fn ten_thousand_files() -> Vec<Changeset> {
    let file =
        |d: usize, f: usize, len: u64| Entry::file(format!("usr/lib/d{d}/f{f}.so"), Content::Zeros { len });
    let mut base = vec![Entry::dir("usr"), Entry::dir("usr/lib")];
    for d in 0..80 {
        base.push(Entry::dir(format!("usr/lib/d{d}")));
        base.extend((0..100).map(|f| file(d, f, 16 + (d * 100 + f) as u64 % 200)));
    }
    let mut more: Vec<Entry> = (0..2_000).map(|i| file(80 + i / 100, i % 100, 64)).collect();
    more.extend((0..500).map(|i| file(i / 100, i % 100, 300)));
    let gone: Vec<Entry> = (0..500)
        .map(|i| Entry::whiteout(format!("usr/lib/d{}/f{}.so", 10 + i / 100, i % 100)))
        .collect();
    vec![Changeset::new(base), Changeset::new(more), Changeset::new(gone)]
}

thread_local! {
    static DISPATCH: RefCell<Option<UseReducerDispatcher<Lab>>> = const { RefCell::new(None) };
}

#[derive(Properties)]
struct HarnessProps {
    start: Rc<RefCell<Option<Lab>>>,
}

impl PartialEq for HarnessProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.start, &other.start)
    }
}

/// The Files panel alone over a lab the test prepared, with the lab's dispatcher handed out so
/// the test can run commands.
#[component]
fn Harness(props: &HarnessProps) -> Html {
    let start = props.start.clone();
    let lab = use_reducer(move || start.borrow_mut().take().unwrap_or_default());
    DISPATCH.with(|d| *d.borrow_mut() = Some(lab.dispatcher()));
    html! { <FileExplorer sim={lab.sim()} /> }
}

#[wasm_bindgen_test]
async fn benchmark_ten_thousand_files() {
    let layers = ten_thousand_files();
    let files: usize = layers.iter().map(|l| l.len()).sum();

    // The model alone.
    let stack: Vec<Arc<Changeset>> = layers.iter().cloned().map(Arc::new).collect();
    let mut best = f64::MAX;
    let mut x = Explorer::new(stack.clone());
    for _ in 0..5 {
        let t = performance_now();
        x = Explorer::new(stack.clone());
        best = best.min(performance_now() - t);
    }
    let t = performance_now();
    let open = ["usr".to_owned(), "usr/lib".to_owned(), "usr/lib/d0".to_owned()].into();
    let rows = explorer_view::tree_rows(&x, &open, Order::Size, true, PAGE);
    let rows_ms = performance_now() - t;
    let t = performance_now();
    let hits = x.search("f42").len();
    let search_ms = performance_now() - t;
    console_log!(
        "wasm explorer: {files} layer entries, {} tree nodes: built in {best:.1} ms; 200 rows sorted by size in {rows_ms:.2} ms; search of all layers ({hits} hits) in {search_ms:.2} ms",
        x.len()
    );
    assert_eq!(x.wasted_bytes() + x.visible_bytes(), x.stored_bytes());
    assert_eq!(rows.rows.len(), PAGE);

    // Command to updated panel: a lab holding the image, the panel showing it, then a command.
    let mut lab = Lab::new();
    lab.apply(Action::Load {
        name: "big.tar".into(),
        bytes: Rc::new(docker_save("big:1", &layers)),
    });
    let loaded = lab.sim().borrow().store().images().next().map(|i| i.id);
    assert!(
        loaded.is_some(),
        "the archive loaded: {:?}",
        lab.transcript.last()
    );
    // The same command on a lab with no panel: what the simulator and the lab's own views cost.
    let mut bare = Lab::new();
    bare.apply(Action::Load {
        name: "big.tar".into(),
        bytes: Rc::new(docker_save("big:1", &layers)),
    });
    let t = performance_now();
    for i in 0..5 {
        bare.apply(Action::Run(format!("docker create --name c{i} big:1")));
    }
    let bare_ms = (performance_now() - t) / 5.0;
    let root = new_root();
    let props = HarnessProps {
        start: Rc::new(RefCell::new(Some(lab))),
    };
    yew::Renderer::<Harness>::with_root_and_props(root.clone(), props).render();
    wait_for(&root, "the big tree", || find(&root, &row("usr")).is_some()).await;
    click(&root, &row("usr"));
    wait_for(&root, "/usr open", || find(&root, &row("usr/lib")).is_some()).await;
    click(&root, &row("usr/lib"));
    wait_for(&root, "/usr/lib open", || {
        find(&root, &row("usr/lib/d0")).is_some()
    })
    .await;
    click(&root, &row("usr/lib/d0"));
    wait_for(&root, "/usr/lib/d0 open", || find(&root, ".fx-more").is_some()).await;
    let mut times = Vec::new();
    for i in 0..5 {
        let before = count(&root, ".files option");
        let t = performance_now();
        DISPATCH.with(|d| {
            if let Some(d) = d.borrow().as_ref() {
                d.dispatch(Action::Run(format!("docker create --name c{i} big:1")));
            }
        });
        for _ in 0..2000 {
            if count(&root, ".files option") > before {
                break;
            }
            yew::platform::time::sleep(Duration::from_millis(1)).await;
        }
        times.push(performance_now() - t);
        assert_eq!(
            count(&root, ".files option"),
            before + 1,
            "the new container is offered"
        );
    }
    assert_eq!(
        count(&root, ".files li[role=treeitem]") as usize,
        PAGE,
        "a page of rows, the rest behind Show more"
    );
    assert!(find(&root, ".fx-more").is_some());
    let subject = Subject::Image(loaded.unwrap_or_else(|| Digest::of(b"")));
    assert!(find(&root, &format!("option[value=\"{}\"]", subject.key())).is_some());
    console_log!(
        "wasm command to updated Files panel (10,000 files, {} rows shown): {} ms; the command alone, without the panel: {bare_ms:.1} ms",
        PAGE,
        times
            .iter()
            .map(|t| format!("{t:.1}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
}
