//! Fixture layers and images, built by the tests themselves: tars written entry by entry (names
//! are written raw, so hostile names survive), compressed with gzip or zstd, wrapped in a config
//! and a manifest, and pushed with layerlab's own registry client.

use layerlab::registry::reference::ImageRef;
use layerlab::registry::{Client, PushOutcome};
use layerlab_core::digest::Digest;
use std::io::Write;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
pub const LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
pub const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/// One tar entry, name and link target written as given.
#[derive(Clone, Debug)]
pub enum E {
    Dir(&'static str, u32),
    File(String, Vec<u8>, u32),
    Symlink(&'static str, &'static str),
    Hardlink(&'static str, &'static str),
}

pub fn file(name: &str, body: &[u8], mode: u32) -> E {
    E::File(name.to_owned(), body.to_vec(), mode)
}

/// A tar of `entries`, in order, with fixed owners and times (reproducible).
pub fn tar_of(entries: &[E]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_704_067_200);
        let (name, data): (&str, &[u8]) = match e {
            E::Dir(n, mode) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(*mode);
                (n, &[])
            }
            E::File(n, body, mode) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(*mode);
                (n.as_str(), body.as_slice())
            }
            E::Symlink(n, t) | E::Hardlink(n, t) => {
                h.set_entry_type(if matches!(e, E::Symlink(..)) {
                    tar::EntryType::Symlink
                } else {
                    tar::EntryType::Link
                });
                h.set_mode(0o777);
                let link = &mut h.as_old_mut().linkname;
                link.iter_mut().for_each(|b| *b = 0);
                link[..t.len()].copy_from_slice(t.as_bytes());
                (n, &[])
            }
        };
        h.set_size(data.len() as u64);
        let slot = &mut h.as_old_mut().name;
        slot.iter_mut().for_each(|b| *b = 0);
        slot[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        b.append(&h, data).expect("append");
    }
    b.into_inner().expect("finish tar")
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).expect("gzip");
    enc.finish().expect("gzip")
}

pub fn zstd(bytes: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(bytes, ruzstd::encoding::CompressionLevel::Fastest)
}

/// A layer: its uncompressed tar and the blob as pushed.
#[derive(Clone, Debug)]
pub struct Layer {
    pub tar: Vec<u8>,
    pub blob: Vec<u8>,
    pub media_type: &'static str,
}

impl Layer {
    pub fn gz(entries: &[E]) -> Layer {
        let tar = tar_of(entries);
        Layer {
            blob: gzip(&tar),
            tar,
            media_type: LAYER_GZIP,
        }
    }
    pub fn zst(entries: &[E]) -> Layer {
        let tar = tar_of(entries);
        Layer {
            blob: zstd(&tar),
            tar,
            media_type: LAYER_ZSTD,
        }
    }
    pub fn plain(entries: &[E]) -> Layer {
        let tar = tar_of(entries);
        Layer {
            blob: tar.clone(),
            tar,
            media_type: LAYER_TAR,
        }
    }
    pub fn diff_id(&self) -> Digest {
        Digest::of(&self.tar)
    }
    pub fn digest(&self) -> Digest {
        Digest::of(&self.blob)
    }
}

/// An image: layers, config and manifest bytes.
#[derive(Clone, Debug)]
pub struct Image {
    pub layers: Vec<Layer>,
    pub config: Vec<u8>,
    pub manifest: Vec<u8>,
    pub manifest_media_type: &'static str,
}

impl Image {
    pub fn new(layers: Vec<Layer>, cmd: &str, manifest_media_type: &'static str) -> Image {
        let diff_ids: Vec<String> = layers.iter().map(|l| l.diff_id().to_string()).collect();
        let history: Vec<serde_json::Value> = layers
            .iter()
            .enumerate()
            .map(|(i, _)| serde_json::json!({"created_by": format!("layer {i}")}))
            .collect();
        let config = serde_json::to_vec(&serde_json::json!({
            "architecture": host_arch(), "os": "linux",
            "config": {"Cmd": [cmd], "Env": ["PATH=/bin"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history,
        }))
        .expect("config json");
        let config_media = if manifest_media_type == DOCKER_MANIFEST {
            "application/vnd.docker.container.image.v1+json"
        } else {
            "application/vnd.oci.image.config.v1+json"
        };
        let layer_descs: Vec<serde_json::Value> = layers
            .iter()
            .map(|l| {
                let mt = if manifest_media_type == DOCKER_MANIFEST && l.media_type == LAYER_GZIP {
                    DOCKER_LAYER
                } else {
                    l.media_type
                };
                serde_json::json!({"mediaType": mt, "digest": l.digest().to_string(), "size": l.blob.len()})
            })
            .collect();
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": manifest_media_type,
            "config": {"mediaType": config_media, "digest": Digest::of(&config).to_string(), "size": config.len()},
            "layers": layer_descs,
        }))
        .expect("manifest json");
        Image {
            layers,
            config,
            manifest,
            manifest_media_type,
        }
    }

    pub fn id(&self) -> Digest {
        Digest::of(&self.config)
    }
    pub fn manifest_digest(&self) -> Digest {
        Digest::of(&self.manifest)
    }
    pub fn chain_ids(&self) -> Vec<Digest> {
        Digest::chain_ids(&self.layers.iter().map(Layer::diff_id).collect::<Vec<_>>())
    }

    /// Pushes blobs and the manifest under `tag` with layerlab's client.
    pub fn push(&self, client: &Client, repo: &ImageRef, tag: &str) -> Vec<PushOutcome> {
        let mut outcomes = Vec::new();
        for l in &self.layers {
            outcomes.push(
                client
                    .push_blob(repo, &l.digest(), l.blob.len() as u64, &mut l.blob.as_slice())
                    .expect("push layer"),
            );
        }
        outcomes.push(
            client
                .push_blob(
                    repo,
                    &self.id(),
                    self.config.len() as u64,
                    &mut self.config.as_slice(),
                )
                .expect("push config"),
        );
        let d = client
            .push_manifest(repo, tag, self.manifest_media_type, &self.manifest)
            .expect("push manifest");
        assert_eq!(d, self.manifest_digest());
        outcomes
    }
}

pub fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// An OCI index over `(manifest digest, size, os, arch)` entries.
pub fn index(entries: &[(Digest, usize, &str, &str)]) -> Vec<u8> {
    let manifests: Vec<serde_json::Value> = entries
        .iter()
        .map(|(d, size, os, arch)| {
            serde_json::json!({"mediaType": OCI_MANIFEST, "digest": d.to_string(), "size": size, "platform": {"os": os, "architecture": arch}})
        })
        .collect();
    serde_json::to_vec(
        &serde_json::json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}),
    )
    .expect("index json")
}

/// The lesson's demo image, built from `/bin/busybox`: a base layer (gzip), an app layer
/// (zstd), a layer that deletes a file and a directory (plain tar, whiteouts), and a layer that
/// recreates a directory (opaque).
pub fn demo_layers() -> Vec<Layer> {
    let busybox = std::fs::read("/bin/busybox").expect(
        "/bin/busybox is missing: these tests need Debian's busybox-static (apt-get install busybox-static)",
    );
    let base = Layer::gz(&[
        E::Dir("bin/", 0o755),
        file("bin/busybox", &busybox, 0o755),
        E::Symlink("bin/sh", "busybox"),
        E::Symlink("bin/ls", "/bin/busybox"),
        E::Hardlink("bin/cat", "bin/busybox"),
        E::Dir("etc/", 0o755),
        file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n", 0o644),
        file("etc/motd", b"Welcome to the demo base image\n", 0o644),
        file("etc/banner.txt", b"banner\n", 0o644),
        E::Dir("etc/demo.d/", 0o755),
        file("etc/demo.d/default.conf", b"default\n", 0o644),
        file("etc/demo.d/old.conf", b"old\n", 0o644),
        E::Dir("var/", 0o755),
        E::Dir("var/cache/", 0o755),
        E::Dir("var/cache/demo/", 0o755),
        file("var/cache/demo/a.txt", b"a\n", 0o644),
        E::Dir("tmp/", 0o1777),
    ]);
    let data: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let app = Layer::zst(&[
        E::Dir("app/", 0o755),
        file("app/app.sh", b"#!/bin/sh\ncat /etc/motd\n", 0o755),
        file("app/data.bin", &data, 0o644),
    ]);
    let edit = Layer::plain(&[
        E::Dir("etc/", 0o755),
        file("etc/.wh.banner.txt", b"", 0o644),
        file(
            "etc/motd",
            b"Welcome to the demo base image\nmodified by layer 3\n",
            0o644,
        ),
        E::Dir("var/cache/", 0o755),
        file("var/cache/.wh.demo", b"", 0o644),
    ]);
    let opaque = Layer::gz(&[
        E::Dir("etc/", 0o755),
        E::Dir("etc/demo.d/", 0o755),
        file("etc/demo.d/app.conf", b"app\n", 0o644),
        file("etc/demo.d/.wh..wh..opq", b"", 0o644),
    ]);
    vec![base, app, edit, opaque]
}
