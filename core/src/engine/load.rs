//! `docker load`: images from an image archive (what `docker save` or `podman save` wrote), taken
//! into the store exactly as a pulled catalog image is: layers by chain ID, a layer that is on
//! disk already reused, the image ID the archive's config digest, its names from `RepoTags`.
//!
//! The archive arrives as bytes because core has no file system: the page hands over a dropped
//! file, the native terminal reads the file named by `-i`. Opening a large one takes a while, so
//! a load comes in two halves: opening and verifying ([`archive::open`], or
//! [`archive::open_paused`] for a page that must keep answering meanwhile), then the quick
//! [`Simulator::add_archive`] that changes the store.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::images::parse_rfc3339;
use super::{Event, Output, Simulator};
use crate::archive::{self, Archive, ArchiveError, Limits};
use crate::digest::Digest;
use crate::store::{ImageRecord, LayerRecord, StoreError};

/// Why a load changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Boxed: the archive's errors are large, and a `Result` carries its error inline.
    #[error(transparent)]
    Archive(Box<ArchiveError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One image a load put into the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadedImage {
    pub id: Digest,
    /// Familiar names (`demo/app:1.0`); empty for an image saved by ID.
    pub tags: Vec<String>,
    /// Names that pointed at another image before the load, with that image's ID: Docker says it
    /// renames the old one "to empty string".
    pub renamed: Vec<(String, Digest)>,
}

/// What a load did, for the renderer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadReport {
    pub images: Vec<LoadedImage>,
}

impl Simulator {
    /// Loads every image of an image archive. Either all of it is loaded or, on any error, the
    /// store and the events are left as they were.
    pub fn load(&mut self, bytes: &[u8]) -> Result<LoadReport, LoadError> {
        let archive =
            archive::open(bytes, &Limits::default()).map_err(|e| LoadError::Archive(Box::new(e)))?;
        self.add_archive(archive)
    }

    /// Puts the images of an archive opened beforehand into the store: the quick half of
    /// [`Self::load`], for a caller that opened it with [`archive::open_paused`] so as to keep
    /// answering meanwhile. All of it is added or, on an error, nothing.
    pub fn add_archive(&mut self, archive: Archive) -> Result<LoadReport, LoadError> {
        // The archive is verified as a whole before this point, so the store can only refuse an
        // image it was handed inconsistently; working on a copy still guarantees that a refusal
        // leaves nothing half loaded, which matters more than the cost of the copy.
        let mut store = self.store.clone();
        let mut events = Vec::new();
        let mut report = LoadReport { images: Vec::new() };
        for image in archive.images {
            let chain_ids = image.chain_ids();
            let mut parent = None;
            for (layer, chain_id) in image.layers.into_iter().zip(&chain_ids) {
                if store.has_layer(chain_id) {
                    let used_by = store
                        .users_of(chain_id)
                        .images
                        .iter()
                        .map(|i| store.tags_of(i).into_iter().next().unwrap_or_else(|| i.short()))
                        .collect();
                    events.push(Event::LayerAlreadyExists {
                        chain_id: *chain_id,
                        blob: layer.digest,
                        used_by,
                    });
                } else {
                    let size = layer.apparent_size();
                    store.add_layer(LayerRecord {
                        chain_id: *chain_id,
                        diff_id: layer.diff_id,
                        parent,
                        size,
                        // A loaded layer did not come from a registry, so it has no blob to
                        // name; Docker likewise keeps no distribution digest for it.
                        blob: None,
                        changeset: Arc::new(layer.changeset),
                    });
                    events.push(Event::LayerCreated {
                        chain_id: *chain_id,
                        diff_id: layer.diff_id,
                        size,
                    });
                }
                parent = Some(*chain_id);
            }
            let id = image.image_id;
            let created = image
                .config
                .created()
                .as_deref()
                .and_then(parse_rfc3339)
                .unwrap_or(0);
            if store.image(&id).is_none() {
                store.add_image(ImageRecord {
                    id,
                    config: image.config,
                    layers: chain_ids,
                    repo_digests: Vec::new(),
                    parent: None,
                    created,
                })?;
                let name = image.repo_tags.first().cloned().unwrap_or_else(|| id.short());
                events.push(Event::ImageCreated { image: id, name });
            }
            let mut renamed = Vec::new();
            for tag in &image.repo_tags {
                match store.tag(tag, id) {
                    Some(old) if old == id => {}
                    old => {
                        if let Some(old) = old {
                            renamed.push((tag.clone(), old));
                        }
                        events.push(Event::ImageTagged {
                            image: id,
                            name: tag.clone(),
                        });
                    }
                }
            }
            report.images.push(LoadedImage {
                id,
                tags: image.repo_tags,
                renamed,
            });
        }
        self.store = store;
        for event in events {
            self.emit(event);
        }
        Ok(report)
    }

    /// `docker load` of a dropped archive: what Docker prints (`Loaded image: demo/app:1.0` per
    /// name, `Loaded image ID: sha256:...` for an image without one) or why nothing was loaded.
    pub fn load_archive(&mut self, bytes: &[u8]) -> Output {
        self.load_opened(archive::open(bytes, &Limits::default()))
    }

    /// [`Self::load_archive`] of an archive opened beforehand, or of the reason it could not be.
    pub fn load_opened(&mut self, opened: Result<Archive, ArchiveError>) -> Output {
        self.events.clear();
        let loaded = opened
            .map_err(|e| LoadError::Archive(Box::new(e)))
            .and_then(|archive| self.add_archive(archive));
        let (stdout, stderr, exit_code) = match loaded {
            Ok(report) => (crate::cli::dispatch::load_text(&report), String::new(), 0),
            Err(e) => (String::new(), crate::cli::dispatch::load_error_text(&e), 1),
        };
        Output {
            stdout,
            stderr,
            exit_code,
            events: std::mem::take(&mut self.events),
            runs: Vec::new(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::cli::format::human_size;
    use crate::layer::tar as layer_tar;
    use crate::layer::{Changeset, Content, Entry};
    use proptest::prelude::*;
    use serde_json::json;
    use std::ops::ControlFlow;
    use std::task::{Context, Poll, Waker};

    /// One image of a `docker save` archive: its names and its layers, bottom first.
    struct Saved {
        tags: Vec<&'static str>,
        layers: Vec<Changeset>,
    }

    fn base() -> Changeset {
        Changeset::new(vec![
            Entry::dir("bin"),
            Entry::file("bin/sh", Content::bytes(b"#!shell".to_vec())).with_mode(0o755),
            Entry::file("bin/cat", Content::bytes(b"#!cat".to_vec())).with_mode(0o755),
            Entry::dir("etc"),
            Entry::file("etc/hostname", Content::bytes(b"lab\n".to_vec())),
        ])
    }

    fn app() -> Changeset {
        Changeset::new(vec![
            Entry::dir("etc"),
            Entry::whiteout("etc/hostname"),
            Entry::file("etc/motd", Content::bytes(b"welcome to the demo\n".to_vec())),
        ])
    }

    fn config(diff_ids: &[Digest]) -> Vec<u8> {
        let ids: Vec<String> = diff_ids.iter().map(Digest::to_string).collect();
        let history: Vec<_> = (0..diff_ids.len())
            .map(|i| json!({ "created": "2026-01-02T03:04:05Z", "created_by": format!("RUN step {i}") }))
            .collect();
        serde_json::to_vec(&json!({
            "architecture": "amd64",
            "os": "linux",
            "created": "2026-01-02T03:04:05Z",
            "config": { "Cmd": ["sh"] },
            "rootfs": { "type": "layers", "diff_ids": ids },
            "history": history,
        }))
        .unwrap()
    }

    /// Writes the legacy `docker save` layout (`manifest.json`, `<config digest>.json`,
    /// `<v1 id>/layer.tar`) the way the archive reader's own tests do, as a tar in memory.
    fn docker_save(images: &[Saved]) -> Vec<u8> {
        let mut b = ::tar::Builder::new(Vec::new());
        let mut add = |path: &str, bytes: &[u8]| {
            let mut h = ::tar::Header::new_gnu();
            h.set_mode(0o644);
            h.set_size(bytes.len() as u64);
            h.set_entry_type(::tar::EntryType::Regular);
            b.append_data(&mut h, path, bytes).unwrap();
        };
        let mut manifest = Vec::new();
        for (n, image) in images.iter().enumerate() {
            let tars: Vec<Vec<u8>> = image
                .layers
                .iter()
                .map(|cs| layer_tar::write(cs, Vec::new()).unwrap())
                .collect();
            let diff_ids: Vec<Digest> = tars.iter().map(|t| Digest::of(t)).collect();
            let mut paths = Vec::new();
            for (i, tar) in tars.iter().enumerate() {
                let path = format!("{}/layer.tar", Digest::of(format!("v1 {n} {i}").as_bytes()).hex());
                add(&path, tar);
                paths.push(path);
            }
            let config = config(&diff_ids);
            let config_name = format!("{}.json", Digest::of(&config).hex());
            add(&config_name, &config);
            manifest.push(json!({ "Config": config_name, "RepoTags": image.tags, "Layers": paths }));
        }
        add("manifest.json", &serde_json::to_vec(&manifest).unwrap());
        b.into_inner().unwrap()
    }

    fn demo() -> Vec<u8> {
        docker_save(&[Saved {
            tags: vec!["demo/app:1.0"],
            layers: vec![base(), app()],
        }])
    }

    fn ok(sim: &mut Simulator, line: &str) -> String {
        let out = sim.run_line(line);
        assert_eq!(out.exit_code, 0, "`{line}` failed: {}", out.stderr);
        out.stdout
    }

    #[test]
    fn a_saved_image_loads_lists_shows_its_history_and_runs() {
        let mut sim = Simulator::new();
        let out = sim.load_archive(&demo());
        assert_eq!(out.exit_code, 0, "{}", out.stderr);
        assert_eq!(out.stdout, "Loaded image: demo/app:1.0\n");
        assert_eq!(out.stderr, "");
        let made = out
            .events
            .iter()
            .filter(|e| matches!(e, Event::LayerCreated { .. }))
            .count();
        assert_eq!(made, 2, "{:?}", out.events);
        assert!(
            out.events
                .iter()
                .any(|e| matches!(e, Event::ImageTagged { name, .. } if name == "demo/app:1.0"))
        );

        let id = sim.resolve_image("demo/app:1.0").expect("tagged");
        let images = ok(
            &mut sim,
            "docker images --format '{{.Repository}} {{.Tag}} {{.ID}}'",
        );
        assert_eq!(images, format!("demo/app 1.0 {}\n", id.short()));

        // History rows, newest first, each sized as the layer's apparent size.
        let rows = sim.history(&id);
        let sizes: Vec<u64> = rows.iter().map(|r| r.size).collect();
        assert_eq!(sizes, vec![app().size(), base().size()]);
        assert!(sizes.iter().all(|s| *s > 0));
        let table = ok(&mut sim, "docker history demo/app:1.0");
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert!(
            lines[1].contains("RUN step 1") && lines[1].contains(&human_size(app().size())),
            "{table}"
        );
        assert!(
            lines[2].contains("RUN step 0") && lines[2].contains(&human_size(base().size())),
            "{table}"
        );

        // The container sees the top layer's file and not the one it whited out.
        assert_eq!(
            ok(&mut sim, "docker run --rm demo/app:1.0 cat /etc/motd"),
            "welcome to the demo\n"
        );
        let out = sim.run_line("docker run --rm demo/app:1.0 cat /etc/hostname");
        assert_ne!(out.exit_code, 0, "{}", out.stdout);
    }

    #[test]
    fn shared_layers_are_reused_and_an_untagged_image_loads_by_id() {
        let mut sim = Simulator::new();
        ok(&mut sim, "docker pull busybox");
        sim.load_archive(&demo());
        let layers_before = sim.store().layers().count();
        let archive = docker_save(&[Saved {
            tags: vec![],
            layers: vec![base()],
        }]);
        let out = sim.load_archive(&archive);
        assert_eq!(out.exit_code, 0, "{}", out.stderr);
        let id = sim
            .store()
            .images()
            .find(|i| i.layers.len() == 1 && sim.store().tags_of(&i.id).is_empty())
            .map(|i| i.id)
            .expect("the untagged image is in the store");
        assert_eq!(out.stdout, format!("Loaded image ID: {id}\n"));
        assert_eq!(
            sim.store().layers().count(),
            layers_before,
            "the base layer was reused"
        );
        assert!(out.events.iter().any(|e| matches!(
            e,
            Event::LayerAlreadyExists { used_by, .. } if used_by == &vec!["demo/app:1.0".to_string()]
        )));
        let images = ok(&mut sim, "docker images --format '{{.Repository}}:{{.Tag}}'");
        assert!(images.lines().any(|l| l == "<none>:<none>"), "{images}");
    }

    #[test]
    fn a_name_that_moves_to_a_loaded_image_says_so() {
        let mut sim = Simulator::new();
        sim.load_archive(&demo());
        let old = sim.resolve_image("demo/app:1.0").unwrap();
        let other = docker_save(&[Saved {
            tags: vec!["demo/app:1.0"],
            layers: vec![base()],
        }]);
        let out = sim.load_archive(&other);
        assert_eq!(
            out.stdout,
            format!(
                "The image demo/app:1.0 already exists, renaming the old one with ID {old} to empty string\nLoaded image: demo/app:1.0\n"
            )
        );
        assert_ne!(sim.resolve_image("demo/app:1.0"), Some(old));
        assert!(sim.store().image(&old).is_some(), "the old image stays, untagged");
    }

    #[test]
    fn a_corrupted_archive_changes_nothing_and_says_what_was_wrong() {
        let mut sim = Simulator::new();
        ok(&mut sim, "docker pull busybox");
        let before_images = ok(&mut sim, "docker images");
        let before = sim.store().clone();

        let mut bytes = demo();
        // Change one byte of the top layer's file content: the layer no longer hashes to the
        // config's diffID.
        let at = bytes
            .windows(7)
            .position(|w| w == b"welcome")
            .expect("the layer bytes are in the archive");
        bytes[at] = b'W';
        let out = sim.load_archive(&bytes);
        assert_eq!(out.exit_code, 1);
        assert_eq!(out.stdout, "");
        let err = archive::open(&bytes, &Limits::default()).unwrap_err();
        assert_eq!(out.stderr, format!("Error response from daemon: {err}\n"));
        assert!(out.stderr.contains("diffID"), "{}", out.stderr);
        assert!(out.events.is_empty());
        assert_eq!(sim.store(), &before);
        assert_eq!(ok(&mut sim, "docker images"), before_images);

        let whole = demo();
        let out = sim.load_archive(&whole[..whole.len() / 2]);
        assert_eq!(out.exit_code, 1);
        assert!(out.stderr.contains("truncated"), "{}", out.stderr);
        assert_eq!(sim.store(), &before);
    }

    /// Stops an open at its `0`-th pause, counting pauses in `1`.
    struct StopAt(usize, usize);

    impl archive::Pause for StopAt {
        fn pause(&mut self, _: archive::Progress) -> archive::PauseFuture<'_> {
            self.1 += 1;
            let flow = if self.1 == self.0 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            };
            Box::pin(std::future::ready(flow))
        }
    }

    /// Opens `bytes` with pauses; the test's pause never waits, so one poll finishes it.
    fn open_stopping_at(bytes: &[u8], stop: usize) -> (Result<Archive, ArchiveError>, usize) {
        let mut pause = StopAt(stop, 0);
        let opened = {
            let limits = Limits::default();
            let mut open = archive::open_paused(bytes, &limits, &mut pause);
            match open.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
                Poll::Ready(result) => result,
                Poll::Pending => panic!("an open whose pauses never wait finishes in one poll"),
            }
        };
        (opened, pause.1)
    }

    #[test]
    fn an_open_cancelled_at_any_pause_leaves_the_simulator_as_it_was() {
        let big = Changeset::new(vec![
            Entry::dir("data"),
            Entry::file("data/blob", Content::bytes(vec![7u8; 5 << 20])),
        ]);
        let bytes = docker_save(&[Saved {
            tags: vec!["big/app:1"],
            layers: vec![base(), big],
        }]);
        let (whole, pauses) = open_stopping_at(&bytes, 0);
        assert!(whole.is_ok());
        assert!(pauses >= 5, "{pauses} pauses");

        let mut sim = Simulator::new();
        sim.load_archive(&demo());
        let before = sim.store().clone();
        let before_images = ok(&mut sim, "docker images");
        for k in [1, pauses / 2, pauses] {
            let (opened, seen) = open_stopping_at(&bytes, k);
            assert_eq!(seen, k);
            let out = sim.load_opened(opened);
            assert_eq!(out.exit_code, 1);
            assert_eq!(
                out.stderr,
                "Error response from daemon: opening the archive was cancelled before it finished: nothing was loaded\n"
            );
            assert!(out.events.is_empty());
            assert_eq!(sim.store(), &before, "cancelled at pause {k}");
            assert_eq!(ok(&mut sim, "docker images"), before_images);
        }

        // Opened in full, the same archive loads as the one-go load does.
        let mut one_go = sim.clone();
        let want = one_go.load_archive(&bytes);
        let (opened, _) = open_stopping_at(&bytes, 0);
        let out = sim.load_opened(opened);
        assert_eq!(out.stdout, "Loaded image: big/app:1\n");
        assert_eq!((out.stdout, out.events), (want.stdout, want.events));
        assert_eq!(sim.store(), one_go.store());
    }

    #[test]
    fn the_load_command_takes_its_bytes_from_the_caller() {
        let mut sim = Simulator::new();
        let bytes = demo();
        for line in [
            "docker load -i demo.tar",
            "docker image load --input demo.tar",
            "docker load --input=demo.tar -q",
            "docker load",
        ] {
            let out = sim.run_line_with_input(line, Some(&bytes));
            assert_eq!(
                (out.exit_code, out.stdout.as_str()),
                (0, "Loaded image: demo/app:1.0\n"),
                "{line}: {}",
                out.stderr
            );
        }

        let out = sim.run_line("docker load -i demo.tar");
        assert_eq!(out.exit_code, 1);
        assert!(
            out.stderr.starts_with("Error: could not read demo.tar: "),
            "{}",
            out.stderr
        );
        let out = sim.run_line("docker load");
        assert_eq!(
            (out.exit_code, out.stderr.as_str()),
            (1, "requested load from stdin, but stdin is empty\n")
        );
        let out = sim.run_line("docker load demo.tar");
        assert_eq!(out.exit_code, 125);
        assert!(
            out.stderr.contains("\"docker load\" accepts no arguments."),
            "{}",
            out.stderr
        );
    }

    proptest! {
        #[test]
        fn any_bytes_load_or_leave_the_store_alone(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let mut sim = Simulator::new();
            let out = sim.load_archive(&bytes);
            prop_assert_eq!(out.exit_code, 1);
            prop_assert!(out.stderr.starts_with("Error response from daemon: "));
            prop_assert_eq!(sim.store(), &crate::store::Store::new());
        }
    }
}
