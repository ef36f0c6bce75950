//! File explorer speed: explaining a 10,000-file image (the lab's target is command to updated
//! picture in under 50 ms in the browser) and the union benchmark's 128-layer, 100,000-file stack;
//! then a page of tree rows sorted by size, a search of every layer and an image diff. Run with
//! `cargo bench -p layerlab-core --bench explorer`. The wasm figures come from the Files panel's
//! browser benchmark (`web/tests/browser_explorer.rs`).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use layerlab_core::explorer::{Explorer, Order, diff};
use layerlab_core::layer::{Changeset, Content, Entry};
use layerlab_core::union::MergedView;

// Shared with the union benchmark, which also uses its `paths`.
#[allow(dead_code)]
mod common;
use common::{FILES, LAYERS, stack_sized};

/// 10,000 files in three layers: 8,000 in 80 directories, then 2,000 more and 500 of the first
/// rewritten, then 500 deleted (the same image as the browser benchmark).
fn ten_thousand_files() -> Vec<Arc<Changeset>> {
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
    [base, more, gone]
        .into_iter()
        .map(|e| Arc::new(Changeset::new(e)))
        .collect()
}

fn best_of(n: usize, mut f: impl FnMut()) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..n {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed());
    }
    best
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn report(name: &str, layers: Vec<Arc<Changeset>>) {
    let entries: usize = layers.iter().map(|l| l.len()).sum();
    let build = best_of(5, || {
        black_box(Explorer::new(black_box(layers.clone())));
    });
    let x = Explorer::new(layers.clone());
    let rows = best_of(5, || {
        let mut shown = 0;
        let mut stack = x.sorted_children(None, Order::Size);
        while let Some(id) = stack.pop() {
            shown += 1;
            if shown >= 200 {
                break;
            }
            stack.extend(x.sorted_children(Some(id), Order::Size));
        }
        black_box(shown);
    });
    let mut hits = 0;
    let search = best_of(5, || hits = x.search(black_box("f42")).len());
    let view = MergedView::new(layers.clone());
    let mut changed = 0;
    let d = best_of(3, || changed = diff(&view, &MergedView::empty()).only_in_a.len());
    println!(
        "{name}: {entries} layer entries, {} nodes: explorer built in {:.1} ms; 200 rows by size {:.2} ms; \
         search ({hits} hits) {:.2} ms; diff against an empty image ({changed} paths) {:.1} ms; \
         efficiency {:.3}, wasted {} of {} bytes",
        x.len(),
        ms(build),
        ms(rows),
        ms(search),
        ms(d),
        x.efficiency(),
        x.wasted_bytes(),
        x.stored_bytes()
    );
}

fn main() {
    report("10,000 files in 3 layers", ten_thousand_files());
    report(
        &format!("{FILES} files in {LAYERS} layers"),
        stack_sized(LAYERS, FILES),
    );
}
