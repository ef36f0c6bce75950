//! The merged-view benchmark run as wasm under node, where the browser lab runs it. Run with
//! `cargo test -p layerlab-core --target wasm32-unknown-unknown --release --test wasm_bench -- --nocapture`.
//! It prints timings and asserts only what must hold whatever the speed (the view's contents).
#![cfg(target_arch = "wasm32")]

use std::hint::black_box;
use std::sync::Arc;

use layerlab_core::container::Container;
use layerlab_core::union::MergedView;
use wasm_bindgen_test::{console_log, wasm_bindgen_test};

#[path = "../benches/common/mod.rs"]
mod common;
use common::{FILES, LAYERS, paths, stack_sized};

fn now_ms() -> f64 {
    js_sys::Date::now()
}

#[wasm_bindgen_test]
fn merged_view_build_lookup_and_copy_up() {
    let layers = stack_sized(LAYERS, FILES);
    let entries: usize = layers.iter().map(|l| l.len()).sum();
    let mut best = f64::MAX;
    let mut view = MergedView::new(layers.clone());
    for _ in 0..5 {
        let t = now_ms();
        view = MergedView::new(layers.clone());
        best = best.min(now_ms() - t);
    }
    console_log!(
        "wasm merged view: {LAYERS} layers ({FILES} files, {entries} entries), {} visible: built in {best:.1} ms",
        view.len()
    );

    let ps = paths(&layers);
    let t = now_ms();
    let mut hits = 0usize;
    for _ in 0..10 {
        for p in &ps {
            hits += usize::from(view.lookup(black_box(p)).is_some());
        }
    }
    let ms = now_ms() - t;
    console_log!(
        "wasm lookups: {:.2} M/s ({} lookups)",
        (ps.len() * 10) as f64 / ms / 1e3,
        ps.len() * 10
    );

    let view = Arc::new(view);
    let files: Vec<String> = view
        .iter()
        .filter(|f| !f.is_dir())
        .map(|f| format!("/{}", f.path))
        .take(10_000)
        .collect();
    let t = now_ms();
    let mut c = Container::new(view.clone());
    let mut copied = 0;
    for f in &files {
        copied += c.chmod(f, 0o600).map(|o| o.copied_up()).unwrap_or(0);
    }
    let ms = now_ms() - t;
    console_log!(
        "wasm copy-ups: {:.0} /s ({} files)",
        files.len() as f64 / ms * 1e3,
        files.len()
    );

    assert_eq!(hits % 10, 0);
    assert!(view.len() > FILES / 2);
    assert_eq!(copied, c.size());
}
