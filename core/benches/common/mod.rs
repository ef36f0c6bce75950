//! The workload shared by the native benchmark (`benches/union.rs`) and its wasm twin
//! (`tests/wasm_bench.rs`): 128 layers holding 100,000 files between them.

use std::sync::Arc;

use layerlab_core::layer::{Changeset, Content, Entry};

pub const LAYERS: usize = 128;
pub const FILES: usize = 100_000;

/// A stack of `n_layers` layers holding `n_files` files between them, shaped like a real image
/// history: each layer adds its share of new files under a few directories; every fourth layer
/// also rewrites some lower files and deletes others.
pub fn stack_sized(n_layers: usize, n_files: usize) -> Vec<Arc<Changeset>> {
    let per_layer = n_files / n_layers;
    let mut layers = Vec::with_capacity(n_layers);
    for l in 0..n_layers {
        let mut entries = Vec::with_capacity(per_layer + 64);
        entries.push(Entry::dir(format!("d{}", l % 16)));
        for s in 0..8 {
            entries.push(Entry::dir(format!("d{}/s{s}", l % 16)));
        }
        let extra = if l < n_files % n_layers { 1 } else { 0 };
        for i in 0..per_layer + extra {
            let len = 100 + ((l * 7919 + i * 104_729) % 20_000) as u64;
            entries.push(Entry::file(
                format!("d{}/s{}/f{l}_{i}", l % 16, i % 8),
                Content::Synthetic {
                    len,
                    seed: (l * n_files + i) as u64,
                },
            ));
        }
        if l % 4 == 3 && l >= 16 {
            let lower = l - 16;
            for i in 0..20 {
                entries.push(Entry::file(
                    format!("d{}/s{}/f{lower}_{i}", lower % 16, i % 8),
                    Content::Zeros { len: 10 },
                ));
            }
            for i in 20..30 {
                entries.push(Entry::whiteout(format!(
                    "d{}/s{}/f{lower}_{i}",
                    lower % 16,
                    i % 8
                )));
            }
        }
        layers.push(Arc::new(Changeset::new(entries)));
    }
    layers
}

pub fn paths(layers: &[Arc<Changeset>]) -> Vec<String> {
    let mut out: Vec<String> = layers
        .iter()
        .flat_map(|l| l.iter().map(|e| e.path.clone()))
        .collect();
    // Misses too: names no layer has.
    out.extend((0..out.len() / 10).map(|i| format!("d{}/s0/missing{i}", i % 16)));
    out
}
