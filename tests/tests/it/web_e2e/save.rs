//! `docker save` archives built by the tests: the layout Docker wrote before version 25
//! (`manifest.json`, `<config digest hex>.json`, `<id>/layer.tar`), each layer written by core's
//! deterministic tar writer and named by real sha256 digests, so the page checks them as it
//! would a saved image.

use layerlab_core::digest::Digest;
use layerlab_core::layer::{Changeset, Content, Entry};

/// One image in an archive.
#[derive(Debug)]
pub struct SavedImage {
    pub tag: String,
    /// Bottom layer first, each with the instruction its history row names.
    pub layers: Vec<(String, Changeset)>,
}

/// What the archive holds, for the test to check the page against.
#[derive(Debug)]
pub struct Archive {
    pub bytes: Vec<u8>,
    /// Per image: the config's digest (the image ID) and its layers' diff IDs.
    pub images: Vec<(Digest, Vec<Digest>)>,
}

fn member(out: &mut tar::Builder<Vec<u8>>, path: &str, bytes: &[u8]) -> Result<(), String> {
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o644);
    h.set_mtime(1_704_067_200);
    h.set_size(bytes.len() as u64);
    out.append_data(&mut h, path, bytes)
        .map_err(|e| format!("archive member {path}: {e}"))
}

/// Writes `images` as one `docker save` tarball; a layer two images share is stored once.
pub fn docker_save(images: &[SavedImage]) -> Result<Archive, String> {
    let mut out = tar::Builder::new(Vec::new());
    let mut manifest = Vec::new();
    let mut written = std::collections::BTreeSet::new();
    let mut summary = Vec::new();
    for image in images {
        let mut diff_ids = Vec::new();
        let mut paths = Vec::new();
        let mut history = Vec::new();
        for (instruction, layer) in &image.layers {
            let tar = layerlab_core::layer::tar::write(layer, Vec::new())
                .map_err(|e| format!("layer tar for {instruction}: {e}"))?;
            let diff_id = Digest::of(&tar);
            // Docker names the directory by a v1 ID; the diff ID's hex is as good a name.
            let path = format!("{}/layer.tar", diff_id.hex());
            if written.insert(diff_id) {
                member(&mut out, &path, &tar)?;
            }
            diff_ids.push(diff_id);
            paths.push(path);
            history.push(serde_json::json!({
                "created": "2024-01-01T00:00:00Z",
                "created_by": instruction,
            }));
        }
        let config = serde_json::to_vec(&serde_json::json!({
            "architecture": "amd64",
            "os": "linux",
            "created": "2024-01-01T00:00:00Z",
            "config": { "Cmd": ["sh"], "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"] },
            "rootfs": {
                "type": "layers",
                "diff_ids": diff_ids.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
            },
            "history": history,
        }))
        .map_err(|e| format!("config JSON: {e}"))?;
        let id = Digest::of(&config);
        member(&mut out, &format!("{}.json", id.hex()), &config)?;
        manifest.push(serde_json::json!({
            "Config": format!("{}.json", id.hex()),
            "RepoTags": [image.tag],
            "Layers": paths,
        }));
        summary.push((id, diff_ids));
    }
    let manifest = serde_json::to_vec(&manifest).map_err(|e| format!("manifest JSON: {e}"))?;
    member(&mut out, "manifest.json", &manifest)?;
    let bytes = out.into_inner().map_err(|e| format!("archive: {e}"))?;
    Ok(Archive {
        bytes,
        images: summary,
    })
}

/// A layer of `files` files under `dir`, `bytes_each` bytes apiece, each with its own content
/// (its index repeated), so no two layers and no two files are alike.
pub fn files_layer(dir: &str, files: usize, bytes_each: usize) -> Changeset {
    let mut entries = vec![Entry::dir(dir)];
    // A directory per thousand files, as real trees spread their files out.
    for group in 0..files.div_ceil(1000) {
        entries.push(Entry::dir(format!("{dir}/d{group:03}")));
    }
    for i in 0..files {
        let seed = format!("{dir}:{i};");
        let body: Vec<u8> = seed.bytes().cycle().take(bytes_each).collect();
        entries.push(Entry::file(
            format!("{dir}/d{:03}/f{i:05}.txt", i / 1000),
            Content::bytes(body),
        ));
    }
    Changeset::new(entries)
}
