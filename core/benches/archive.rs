//! Opening an image archive: the time from the bytes a learner drops on the page to verified
//! images, for a ~100 MB `docker save` (v25 layout) of incompressible content, plain and
//! gzip-compressed. Run with `cargo bench -p layerlab-core --bench archive`.
//!
//! A one-shot summary (best of 3, with throughput) is printed first, then criterion's report.

use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use layerlab_core::archive::{self, Limits};
use layerlab_core::digest::Digest;
use layerlab_core::layer::{Changeset, Content, Entry, tar as layer_tar};

const LAYERS: usize = 5;
const FILES_PER_LAYER: usize = 20;
const FILE_BYTES: u64 = 1 << 20;

/// Five layers of twenty 1 MiB files each, synthetic bytes that do not compress.
fn layers() -> Vec<Vec<u8>> {
    (0..LAYERS)
        .map(|l| {
            let mut entries = vec![Entry::dir(format!("data{l}"))];
            for f in 0..FILES_PER_LAYER {
                entries.push(Entry::file(
                    format!("data{l}/blob{f}"),
                    Content::Synthetic {
                        len: FILE_BYTES,
                        seed: (l * FILES_PER_LAYER + f) as u64,
                    },
                ));
            }
            layer_tar::write(&Changeset::new(entries), Vec::new()).unwrap_or_default()
        })
        .collect()
}

fn blob(digest: &Digest) -> String {
    format!("blobs/sha256/{}", digest.hex())
}

/// What `docker save` v25+ writes: blobs, index.json, oci-layout and the legacy manifest.json.
fn docker_save() -> Vec<u8> {
    let tars = layers();
    let diff_ids: Vec<Digest> = tars.iter().map(|t| Digest::of(t)).collect();
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "rootfs": { "type": "layers", "diff_ids": diff_ids.iter().map(Digest::to_string).collect::<Vec<_>>() },
    })
    .to_string()
    .into_bytes();
    let config_digest = Digest::of(&config);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest.to_string(), "size": config.len() },
        "layers": tars.iter().zip(&diff_ids).map(|(t, d)| serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d.to_string(), "size": t.len(),
        })).collect::<Vec<_>>(),
    })
    .to_string()
    .into_bytes();
    let manifest_digest = Digest::of(&manifest);
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest.to_string(),
            "size": manifest.len(),
            "annotations": { "io.containerd.image.name": "docker.io/demo/big:1.0" },
        }],
    })
    .to_string();
    let legacy = serde_json::json!([{
        "Config": blob(&config_digest),
        "RepoTags": ["demo/big:1.0"],
        "Layers": diff_ids.iter().map(blob).collect::<Vec<_>>(),
    }])
    .to_string();

    let mut members: Vec<(String, Vec<u8>)> = tars
        .into_iter()
        .zip(&diff_ids)
        .map(|(t, d)| (blob(d), t))
        .collect();
    members.push((blob(&config_digest), config));
    members.push((blob(&manifest_digest), manifest));
    members.push(("index.json".into(), index.into_bytes()));
    members.push(("manifest.json".into(), legacy.into_bytes()));
    members.push(("oci-layout".into(), br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec()));
    let mut b = tar::Builder::new(Vec::new());
    for (path, bytes) in &members {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(bytes.len() as u64);
        if b.append_data(&mut h, path, bytes.as_slice()).is_err() {
            return Vec::new();
        }
    }
    b.into_inner().unwrap_or_default()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    if gz.write_all(bytes).is_err() {
        return Vec::new();
    }
    gz.finish().unwrap_or_default()
}

fn summary(name: &str, bytes: &[u8]) {
    let mut best = Duration::MAX;
    let mut outcome = String::new();
    for _ in 0..3 {
        let t = Instant::now();
        let opened = archive::open(black_box(bytes), &Limits::default());
        best = best.min(t.elapsed());
        outcome = match opened {
            Ok(a) => format!(
                "{} image, {} layers, {} files",
                a.images.len(),
                a.images.iter().map(|i| i.layers.len()).sum::<usize>(),
                a.images
                    .iter()
                    .flat_map(|i| &i.layers)
                    .map(|l| l.changeset.len())
                    .sum::<usize>()
            ),
            Err(e) => format!("FAILED: {e}"),
        };
    }
    let mb = bytes.len() as f64 / 1e6;
    println!(
        "archive: {name}: {mb:.1} MB opened and verified in {:.0} ms ({:.0} MB/s, best of 3): {outcome}",
        best.as_secs_f64() * 1e3,
        mb / best.as_secs_f64()
    );
}

fn bench(c: &mut Criterion) {
    let plain = docker_save();
    let gz = gzip(&plain);
    summary("docker save", &plain);
    summary("docker save | gzip", &gz);
    let mut group = c.benchmark_group("archive");
    group.sample_size(10).measurement_time(Duration::from_secs(8));
    group.bench_function("open docker save 100 MB", |b| {
        b.iter(|| archive::open(black_box(&plain), &Limits::default()).is_ok())
    });
    group.bench_function("open docker save | gzip 100 MB", |b| {
        b.iter(|| archive::open(black_box(&gz), &Limits::default()).is_ok())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
