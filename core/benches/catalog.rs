//! Catalog generation and Dockerfile planning speed. The browser builds catalog images when a
//! scenario pulls them, so the whole catalog is held to 50 ms natively. Run with
//! `cargo bench -p layerlab-core --bench catalog`.
//!
//! A one-shot summary with that figure is printed first, then criterion's report.

use std::collections::BTreeSet;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use layerlab_core::catalog;
use layerlab_core::dockerfile::{self, BuildArgs};

/// One tag per distinct image: building every tag would build the same image several times.
fn distinct_images() -> Vec<(String, String)> {
    let mut seen = BTreeSet::new();
    catalog::list()
        .into_iter()
        .filter(|(r, t)| catalog::find(r, t).is_some_and(|img| seen.insert(img.image_id())))
        .collect()
}

const NGINX_DOCKERFILE: &str = "FROM debian:stretch-slim\nLABEL maintainer=\"NGINX Docker Maintainers <docker-maint@nginx.com>\"\nENV NGINX_VERSION 1.15.8-1~stretch\nENV NJS_VERSION   1.15.8.0.2.7-1~stretch\nRUN set -x \\\n\t&& apt-get update \\\n\t&& apt-get install --no-install-recommends --no-install-suggests -y gnupg1\nRUN ln -sf /dev/stdout /var/log/nginx/access.log \\\n\t&& ln -sf /dev/stderr /var/log/nginx/error.log\nEXPOSE 80\nSTOPSIGNAL SIGTERM\nCMD [\"nginx\", \"-g\", \"daemon off;\"]\n";

fn summary(images: &[(String, String)]) {
    let mut best = Duration::MAX;
    let mut entries = 0;
    for _ in 0..10 {
        let t = Instant::now();
        entries = 0;
        for (r, tag) in images {
            if let Some(img) = catalog::find(r, tag) {
                entries += img.layers.iter().map(|l| l.changeset.len()).sum::<usize>();
            }
        }
        best = best.min(t.elapsed());
    }
    println!(
        "catalog: {} distinct images, {entries} layer entries: built in {:.1} ms (best of 10; target 50 ms)",
        images.len(),
        best.as_secs_f64() * 1e3
    );

    let t = Instant::now();
    let rounds = 1_000;
    for _ in 0..rounds {
        let parsed = dockerfile::parse(black_box(NGINX_DOCKERFILE));
        if let Ok(d) = parsed {
            black_box(dockerfile::plan(&d, &BuildArgs::new()).ok());
        }
    }
    println!(
        "dockerfile: nginx 1.15.8 parsed and planned in {:.1} µs",
        t.elapsed().as_secs_f64() * 1e6 / rounds as f64
    );
}

fn bench(c: &mut Criterion) {
    let images = distinct_images();
    summary(&images);
    c.bench_function("catalog/all distinct images", |b| {
        b.iter(|| {
            for (r, t) in &images {
                black_box(catalog::find(r, t));
            }
        })
    });
    c.bench_function("catalog/nginx:1.15.8", |b| {
        b.iter(|| black_box(catalog::find("library/nginx", "1.15.8")))
    });
    c.bench_function("dockerfile/parse+plan nginx 1.15.8", |b| {
        b.iter(|| {
            dockerfile::parse(black_box(NGINX_DOCKERFILE))
                .ok()
                .map(|d| dockerfile::plan(&d, &BuildArgs::new()).ok())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
