//! Fixtures shared by the browser test suites (each suite is its own test binary and declares
//! `mod common;`).

// Each suite uses some of these helpers, never all: what one suite leaves unused is not dead.
#![allow(dead_code)]

pub mod page;

use layerlab_core::digest::Digest;
use layerlab_core::layer::{Changeset, tar as layer_tar};

/// A `docker save` archive in the layout Docker wrote before v25: `manifest.json`, the config
/// named by its digest, one `<id>/layer.tar` per layer.
pub fn docker_save(tag: &str, layers: &[Changeset]) -> Vec<u8> {
    let tars: Vec<Vec<u8>> = layers
        .iter()
        .map(|cs| layer_tar::write(cs, Vec::new()).expect("a layer tar"))
        .collect();
    let diff_ids: Vec<String> = tars.iter().map(|t| format!("\"{}\"", Digest::of(t))).collect();
    let history: Vec<String> = (0..tars.len())
        .map(|i| format!(r#"{{"created":"2026-01-02T03:04:05Z","created_by":"RUN step {i}"}}"#))
        .collect();
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","created":"2026-01-02T03:04:05Z","config":{{"Cmd":["sh"]}},"rootfs":{{"type":"layers","diff_ids":[{}]}},"history":[{}]}}"#,
        diff_ids.join(","),
        history.join(",")
    );
    let config_name = format!("{}.json", Digest::of(config.as_bytes()).hex());
    let mut builder = tar::Builder::new(Vec::new());
    let mut add = |path: &str, bytes: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(bytes.len() as u64);
        h.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut h, path, bytes).expect("append");
    };
    let mut paths = Vec::new();
    for (i, t) in tars.iter().enumerate() {
        let path = format!("{}/layer.tar", Digest::of(format!("layer {i}").as_bytes()).hex());
        add(&path, t);
        paths.push(format!("\"{path}\""));
    }
    add(&config_name, config.as_bytes());
    let manifest = format!(
        r#"[{{"Config":"{config_name}","RepoTags":["{tag}"],"Layers":[{}]}}]"#,
        paths.join(",")
    );
    add("manifest.json", manifest.as_bytes());
    builder.into_inner().expect("the archive")
}
