//! Merged-view and copy-up speed: builds the view of 128 layers holding 100,000 files between
//! them, then measures lookups and copy-ups. Run with `cargo bench -p layerlab-core --bench union`.
//!
//! Besides criterion's report, a one-shot summary with the figures the lab is held to (build under
//! 100 ms, more than 1,000,000 lookups/s) is printed first.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use layerlab_core::container::Container;
use layerlab_core::union::MergedView;

mod common;
use common::{FILES, LAYERS, paths, stack_sized};

fn summary() {
    let layers = stack_sized(LAYERS, FILES);
    let entries: usize = layers.iter().map(|l| l.len()).sum();
    let mut best = Duration::MAX;
    let mut view = MergedView::new(layers.clone());
    for _ in 0..5 {
        let t = Instant::now();
        view = MergedView::new(layers.clone());
        best = best.min(t.elapsed());
    }
    println!(
        "merged view: {LAYERS} layers, {entries} layer entries, {} visible: built in {:.1} ms",
        view.len(),
        best.as_secs_f64() * 1e3
    );

    // How it scales: 100,000 files in every one of the 128 layers would be 12.8 million entries;
    // a tenth of that shows the trend without needing gigabytes for the layers themselves.
    let big = stack_sized(LAYERS, LAYERS * 10_000);
    let big_entries: usize = big.iter().map(|l| l.len()).sum();
    let t = Instant::now();
    let big_view = MergedView::new(big);
    println!(
        "scaling: {LAYERS} layers x 10,000 files ({big_entries} entries, {} visible): built in {:.0} ms",
        big_view.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    drop(big_view);

    let ps = paths(&layers);
    let t = Instant::now();
    let mut hits = 0usize;
    for _ in 0..10 {
        for p in &ps {
            hits += usize::from(view.lookup(black_box(p)).is_some());
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "lookups: {:.2} M/s ({} lookups, {hits} hits)",
        (ps.len() * 10) as f64 / secs / 1e6,
        ps.len() * 10
    );

    let view = Arc::new(view);
    let files: Vec<String> = view
        .iter()
        .filter(|f| !f.is_dir())
        .map(|f| format!("/{}", f.path))
        .take(10_000)
        .collect();
    let t = Instant::now();
    let mut c = Container::new(view.clone());
    let mut copied = 0;
    for f in &files {
        copied += c.chmod(f, 0o600).map(|o| o.copied_up()).unwrap_or(0);
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "copy-ups (chmod of a lower file): {:.0} /s ({} files, {copied} bytes copied)",
        files.len() as f64 / secs,
        files.len()
    );
}

fn bench(c: &mut Criterion) {
    summary();
    let layers = stack_sized(LAYERS, FILES);
    let mut g = c.benchmark_group("merged_view");
    g.sample_size(10);
    g.bench_function(BenchmarkId::new("build", format!("{LAYERS}x{FILES}")), |b| {
        b.iter(|| MergedView::new(black_box(layers.clone())))
    });
    let view = Arc::new(MergedView::new(layers.clone()));
    let ps = paths(&layers);
    g.throughput(Throughput::Elements(ps.len() as u64));
    g.bench_function("lookup_all", |b| {
        b.iter(|| ps.iter().filter(|p| view.lookup(black_box(p)).is_some()).count())
    });
    let files: Vec<String> = view
        .iter()
        .filter(|f| !f.is_dir())
        .map(|f| format!("/{}", f.path))
        .take(1000)
        .collect();
    g.throughput(Throughput::Elements(files.len() as u64));
    g.bench_function("copy_up_1000", |b| {
        b.iter(|| {
            let mut c = Container::new(view.clone());
            for f in &files {
                let _ = black_box(c.chmod(f, 0o600));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
