//! Image commands: `pull`, `images`, `image history`, `image inspect`, `tag`, `rmi`.
//!
//! Sizes are Docker's: a layer's SIZE is the apparent size of its unpacked files (recorded by the
//! pull as the layer's `diff_size`), an image's SIZE is the sum over its layers.

use std::io::Write;
use std::sync::mpsc;
use std::time::Instant;

use layerlab_core::cli::args::{HistoryArgs, ImagesArgs, InspectArgs, RmiArgs};
use layerlab_core::cli::render::{self, HistoryOptions, HistoryRow, ImageRow, ImagesOptions, RmiLine};
use layerlab_core::digest::Digest;
use layerlab_core::reference::Reference;
use layerlab_core::store::StoreError as CoreStoreError;
use serde::{Deserialize, Serialize};

use super::{Engine, EngineError};
use crate::content_store::{ImageRecord, StoreError};
use crate::progress::{PullPrinter, Stream};
use crate::pull::{PullEvent, PullOptions, pull, remove_image};
use crate::registry::manifest::Platform;
use crate::registry::reference::ImageRef;
use crate::registry::{Client, ClientOptions};

/// Image configs are read into memory; anything larger is not a real config.
const MAX_CONFIG_BYTES: u64 = 32 << 20;

/// The parts of an image config (OCI or Docker) the engine uses. Written here rather than taken
/// from `oci-spec` because Docker's configs carry fields (`container_config`, `Healthcheck`,
/// `OnBuild`) and nulls that a strict schema refuses, and every field here must stay optional.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ImageConfig {
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub architecture: Option<String>,
    #[serde(default)]
    pub os: Option<String>,
    #[serde(default)]
    pub config: Option<ProcessConfig>,
    #[serde(default)]
    pub history: Option<Vec<HistoryEntry>>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub docker_version: Option<String>,
}

/// The `config` section: what a container runs by default.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessConfig {
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub env: Option<Vec<String>>,
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default)]
    pub cmd: Option<Vec<String>>,
    #[serde(default)]
    pub working_dir: Option<String>,
    #[serde(default)]
    pub labels: Option<std::collections::BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct HistoryEntry {
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub empty_layer: Option<bool>,
}

/// RFC 3339 to seconds since the epoch; 0 (which renders as blank, like Docker's zero time) when
/// absent or unreadable.
pub(crate) fn epoch(text: Option<&str>) -> i64 {
    text.and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map_or(0, |t| t.as_second())
}

/// An image found locally: its record, config and tags.
#[derive(Debug, Clone)]
pub struct LocalImage {
    pub record: ImageRecord,
    pub config: ImageConfig,
    /// Full store names (`localhost:5000/demo/app:1.0`).
    pub tags: Vec<String>,
}

/// `localhost:5000/demo/app:1.0` → (`localhost:5000/demo/app`, `1.0`), `docker.io/library/x:y` →
/// (`x`, `y`), as Docker lists them.
fn familiar_parts(store_name: &str) -> (Option<String>, Option<String>) {
    match Reference::parse(store_name) {
        Ok(r) => (
            Some(r.familiar_name()),
            r.tag().map(str::to_owned).or_else(|| Some("<none>".to_owned())),
        ),
        Err(_) => (Some(store_name.to_owned()), None),
    }
}

fn familiar(store_name: &str) -> String {
    match store_name.split_once('@') {
        Some((name, digest)) => match Reference::parse(name) {
            Ok(r) => format!("{}@{digest}", r.familiar_name()),
            Err(_) => store_name.to_owned(),
        },
        None => Reference::parse(store_name)
            .map(|r| r.familiar())
            .unwrap_or_else(|_| store_name.to_owned()),
    }
}

impl Engine {
    pub(crate) fn read_config(&self, record: &ImageRecord) -> Result<ImageConfig, EngineError> {
        let bytes = self.store.content.read_blob(&record.id, MAX_CONFIG_BYTES)?;
        serde_json::from_slice(&bytes).map_err(|source| EngineError::BadConfig {
            digest: record.id.to_string(),
            source,
        })
    }

    /// Finds an image by name (`demo/app:1.0`, `nginx`) or by ID (full, `sha256:`, or prefix).
    pub(crate) fn find_image(&self, name: &str) -> Result<Option<LocalImage>, EngineError> {
        let by_name = match ImageRef::parse(name) {
            Ok(r) => self.store.content.resolve(&r.store_name())?,
            Err(_) => None,
        };
        let id = match by_name {
            Some(id) => Some(id),
            None => self.store.content.find_image_id(name)?,
        };
        let Some(id) = id else { return Ok(None) };
        let Some(record) = self.store.content.image(&id)? else {
            return Ok(None);
        };
        let tags = self
            .store
            .content
            .images()?
            .into_iter()
            .find(|(i, _)| i.id == id)
            .map(|(_, t)| t)
            .unwrap_or_default();
        let config = self.read_config(&record)?;
        Ok(Some(LocalImage { record, config, tags }))
    }

    /// The image's SIZE: the sum of its layers' file sizes.
    pub(crate) fn image_size(&self, record: &ImageRecord) -> Result<u64, EngineError> {
        let mut total = 0u64;
        for chain in &record.layers {
            if let Some(l) = self.store.content.layer(chain)? {
                total = total.saturating_add(l.diff_size);
            }
        }
        Ok(total)
    }

    /// Pulls `name`, writing Docker's progress to `out` as the pull goes. `stream` says which of
    /// the process's streams `out` is: on a terminal the layer lines are redrawn live with their
    /// progress bars, otherwise each status change is one line. `final_line` adds the full
    /// reference `docker pull` ends with (`run` leaves it out).
    pub(crate) fn pull_image(
        &self,
        name: &str,
        platform: Option<&str>,
        quiet: bool,
        final_line: bool,
        stream: Stream,
        out: &mut dyn Write,
    ) -> Result<ImageRecord, EngineError> {
        let image = ImageRef::parse(name).map_err(|e| EngineError::Reference {
            text: name.to_owned(),
            reason: e.to_string(),
        })?;
        let client = Client::new(ClientOptions {
            insecure_registries: self.options().insecure_registries.clone(),
            ..ClientOptions::default()
        });
        let mut opts = PullOptions::default();
        if let Some(p) = platform {
            opts.platform = Platform::parse(p).map_err(crate::pull::PullError::from)?;
        }
        let mut printer = PullPrinter::new(if quiet { None } else { stream.terminal_width() });
        // The pull reports from its download threads, which cannot share `out`: it runs in a
        // thread of its own and sends its events here, where they are printed as they come.
        let (tx, rx) = mpsc::channel::<PullEvent>();
        let (client, pulled, opts) = (&client, &image, &opts);
        let result = std::thread::scope(|scope| {
            let puller = scope.spawn(move || {
                let on_event = move |event: PullEvent| {
                    // Cannot fail: the receiver below reads until the pull has ended.
                    let _ = tx.send(event);
                };
                pull(&self.store, client, pulled, opts, &on_event)
            });
            let mut printing = Ok(());
            for event in rx {
                if !quiet && printing.is_ok() {
                    printing = printer.print(&event, Instant::now(), out);
                }
            }
            puller.join().unwrap_or(Err(crate::pull::PullError::Worker))
        })?;
        if final_line || quiet {
            let _ = writeln!(out, "{}", image.store_name());
        }
        self.store
            .content
            .image(&result.image_id)?
            .ok_or(EngineError::NoSuchImage {
                name: name.to_owned(),
            })
    }

    pub(crate) fn cmd_pull(
        &self,
        name: &str,
        platform: Option<&str>,
        quiet: bool,
        out: &mut dyn Write,
    ) -> Result<i32, EngineError> {
        self.pull_image(name, platform, quiet, true, Stream::Stdout, out)?;
        Ok(0)
    }

    pub(crate) fn cmd_images(&self, args: &ImagesArgs, out: &mut dyn Write) -> Result<i32, EngineError> {
        let filter = match &args.repository {
            Some(r) => Some(Reference::parse(r).map_err(|e| EngineError::Reference {
                text: r.clone(),
                reason: e.to_string(),
            })?),
            None => None,
        };
        let mut rows = Vec::new();
        for (record, tags) in self.store.content.images()? {
            let config = self.read_config(&record)?;
            let created = epoch(config.created.as_deref());
            let size = self.image_size(&record)?;
            if tags.is_empty() {
                if filter.is_none() {
                    rows.push(ImageRow {
                        repository: None,
                        tag: None,
                        id: record.id,
                        created,
                        size,
                    });
                }
                continue;
            }
            for tag in tags {
                if let Some(f) = &filter {
                    let Ok(r) = Reference::parse(&tag) else { continue };
                    if r.familiar_name() != f.familiar_name() || (f.has_explicit_tag() && r.tag() != f.tag())
                    {
                        continue;
                    }
                }
                let (repository, tag) = familiar_parts(&tag);
                rows.push(ImageRow {
                    repository,
                    tag,
                    id: record.id,
                    created,
                    size,
                });
            }
        }
        // Docker lists the newest image first, then by name.
        rows.sort_by(|a, b| {
            b.created
                .cmp(&a.created)
                .then_with(|| a.repository.cmp(&b.repository))
                .then_with(|| a.tag.cmp(&b.tag))
        });
        let opts = ImagesOptions {
            quiet: args.quiet,
            no_trunc: args.no_trunc,
            format: args.format.clone(),
        };
        let text = render::images(&rows, &opts, super::now()).map_err(|e| EngineError::Render {
            reason: e.to_string(),
        })?;
        let _ = out.write_all(text.as_bytes());
        Ok(0)
    }

    fn require_image(&self, name: &str) -> Result<LocalImage, EngineError> {
        self.find_image(name)?.ok_or_else(|| EngineError::NoSuchImage {
            name: name.to_owned(),
        })
    }

    pub(crate) fn cmd_history(
        &self,
        name: &str,
        args: &HistoryArgs,
        out: &mut dyn Write,
    ) -> Result<i32, EngineError> {
        let image = self.require_image(name)?;
        let mut layer_sizes = Vec::new();
        for chain in &image.record.layers {
            layer_sizes.push(self.store.content.layer(chain)?.map_or(0, |l| l.diff_size));
        }
        let mut sizes = layer_sizes.into_iter();
        let mut rows: Vec<HistoryRow> = Vec::new();
        for entry in image.config.history.clone().unwrap_or_default() {
            let size = if entry.empty_layer.unwrap_or(false) {
                0
            } else {
                sizes.next().unwrap_or(0)
            };
            rows.push(HistoryRow {
                id: None,
                created: epoch(entry.created.as_deref()),
                created_by: entry.created_by.unwrap_or_default(),
                size,
                comment: entry.comment.unwrap_or_default(),
            });
        }
        rows.reverse();
        // Only the top row names an image: the layers below have no image of their own here.
        if let Some(top) = rows.first_mut() {
            top.id = Some(image.record.id);
        }
        let opts = HistoryOptions {
            human: args.human,
            quiet: args.quiet,
            no_trunc: args.no_trunc,
            format: args.format.clone(),
        };
        let text = render::history(&rows, &opts, super::now()).map_err(|e| EngineError::Render {
            reason: e.to_string(),
        })?;
        let _ = out.write_all(text.as_bytes());
        Ok(0)
    }

    pub(crate) fn cmd_inspect(&self, args: &InspectArgs, out: &mut dyn Write) -> Result<i32, EngineError> {
        if args.format.is_some() {
            return Err(EngineError::Unsupported {
                what: "inspect --format",
            });
        }
        let mut items = Vec::new();
        for name in &args.names {
            let image = self.require_image(name)?;
            items.push(self.inspect_image(&image)?);
        }
        let text = render::inspect_json(&items).map_err(|e| EngineError::Render {
            reason: e.to_string(),
        })?;
        let _ = out.write_all(text.as_bytes());
        Ok(0)
    }

    fn inspect_image(&self, image: &LocalImage) -> Result<ImageInspect, EngineError> {
        let size = self.image_size(&image.record)?;
        let mut diff_ids = Vec::new();
        for chain in &image.record.layers {
            if let Some(l) = self.store.content.layer(chain)? {
                diff_ids.push(l.diff_id.to_string());
            }
        }
        Ok(ImageInspect {
            id: image.record.id.to_string(),
            repo_tags: image.tags.iter().map(|t| familiar(t)).collect(),
            repo_digests: image.record.repo_digests.iter().map(|t| familiar(t)).collect(),
            parent: String::new(),
            comment: image.config.comment.clone().unwrap_or_default(),
            created: image.config.created.clone().unwrap_or_default(),
            docker_version: image.config.docker_version.clone().unwrap_or_default(),
            author: image.config.author.clone().unwrap_or_default(),
            config: image.config.config.clone(),
            architecture: image.config.architecture.clone().unwrap_or_default(),
            os: image.config.os.clone().unwrap_or_default(),
            size,
            virtual_size: size,
            graph_driver: GraphDriver { name: "overlay2" },
            root_fs: RootFs {
                kind: "layers",
                layers: diff_ids,
            },
        })
    }

    pub(crate) fn cmd_tag(&self, source: &str, target: &str) -> Result<i32, EngineError> {
        let image = self.require_image(source)?;
        let target_ref = ImageRef::parse(target).map_err(|e| EngineError::Reference {
            text: target.to_owned(),
            reason: e.to_string(),
        })?;
        self.store
            .content
            .tag(&image.record.id, &target_ref.store_name())?;
        Ok(0)
    }

    pub(crate) fn cmd_rmi(
        &self,
        args: &RmiArgs,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<i32, EngineError> {
        let mut code = 0;
        for name in &args.images {
            match remove_image(&self.store, name) {
                Ok(removal) => {
                    let mut lines: Vec<RmiLine> = removal
                        .untagged
                        .iter()
                        .map(|n| RmiLine::Untagged(familiar(n)))
                        .collect();
                    lines.extend(removal.deleted.iter().map(|d: &Digest| RmiLine::Deleted(*d)));
                    let _ = out.write_all(render::rmi(&lines).as_bytes());
                }
                Err(crate::pull::PullError::Store(StoreError::ImageNotFound { .. })) => {
                    let missing = EngineError::NoSuchImage {
                        name: daemon_image_name(name),
                    };
                    let _ = writeln!(err, "Error response from daemon: {missing}");
                    code = 1;
                }
                Err(crate::pull::PullError::Store(StoreError::ImageInUse { container, .. })) => {
                    let _ = writeln!(
                        err,
                        "Error response from daemon: {}",
                        self.in_use(name, &container)?
                    );
                    code = 1;
                }
                Err(e) => {
                    let _ = writeln!(err, "Error response from daemon: {e}");
                    code = 1;
                }
            }
        }
        Ok(code)
    }

    /// Docker's refusal to remove `name`, which container `container` uses: removing a
    /// reference would leave the image dangling, removing by ID would pull it from under the
    /// container. Core's store errors hold Docker's words.
    fn in_use(&self, name: &str, container: &str) -> Result<CoreStoreError, EngineError> {
        let image = self.require_image(name)?.record.id;
        let short = |id: &str| id.get(..12).unwrap_or(id).to_owned();
        let by_id = image.hex().starts_with(name) || image.to_string().starts_with(name);
        if !by_id {
            return Ok(CoreStoreError::ImageInUse {
                reference: name.to_owned(),
                container: short(container),
                image: image.short(),
            });
        }
        // Like the daemon, a running user is named before any stopped one.
        let users: Vec<_> = self
            .containers()?
            .into_iter()
            .filter(|c| c.record.image_id == image)
            .collect();
        Ok(match users.iter().find(|c| c.running_pid().is_some()) {
            Some(running) => CoreStoreError::UsedByRunningContainer {
                image: image.short(),
                container: short(&running.record.id),
            },
            None => CoreStoreError::UsedByStoppedContainer {
                image: image.short(),
                container: short(users.first().map_or(container, |c| c.record.id.as_str())),
            },
        })
    }
}

/// An image `rmi` did not find, named as Docker's daemon names it: a reference in its short form
/// with `:latest` added, 64 hex digits as the `sha256:` ID they are, anything else as typed.
fn daemon_image_name(text: &str) -> String {
    if text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return format!("sha256:{text}");
    }
    if text.starts_with("sha256:") {
        return text.to_owned();
    }
    Reference::parse(text).map_or_else(|_| text.to_owned(), |r| r.familiar())
}

/// `docker image inspect`'s fields, in Docker's order.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ImageInspect {
    id: String,
    repo_tags: Vec<String>,
    repo_digests: Vec<String>,
    parent: String,
    comment: String,
    created: String,
    docker_version: String,
    author: String,
    config: Option<ProcessConfig>,
    architecture: String,
    os: String,
    size: u64,
    virtual_size: u64,
    graph_driver: GraphDriver,
    #[serde(rename = "RootFS")]
    root_fs: RootFs,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct GraphDriver {
    name: &'static str,
}

#[derive(Debug, Serialize)]
struct RootFs {
    #[serde(rename = "Type")]
    kind: &'static str,
    #[serde(rename = "Layers")]
    layers: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_images_are_named_as_the_daemon_names_them() {
        assert_eq!(daemon_image_name("nosuch"), "nosuch:latest");
        assert_eq!(daemon_image_name("docker.io/library/nosuch:1"), "nosuch:1");
        assert_eq!(
            daemon_image_name("localhost:5000/demo/base:1.0"),
            "localhost:5000/demo/base:1.0"
        );
        assert_eq!(daemon_image_name("ca6a"), "ca6a:latest");
        let hex = "0".repeat(64);
        assert_eq!(daemon_image_name(&hex), format!("sha256:{hex}"));
        assert_eq!(
            daemon_image_name(&format!("sha256:{hex}")),
            format!("sha256:{hex}")
        );
    }
}
