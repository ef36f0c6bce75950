//! Images: pulling from the built-in catalog, tags, listing, history and removal.

use serde::{Deserialize, Serialize};

use super::{EngineError, Event, Simulator};
use crate::catalog;
use crate::cli::render::{HistoryRow, ImageRow};
use crate::digest::Digest;
use crate::reference::Reference;
use crate::store::{Blob, ImageRecord, LayerRecord, Removal};

/// How one layer line of a pull ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PullStatus {
    PullComplete,
    AlreadyExists,
}

/// One layer line of `docker pull`: the first 12 hex digits of the blob digest and its status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullLayer {
    pub short: String,
    pub status: PullStatus,
}

/// What a pull did, for the renderer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullReport {
    /// `1.15.8`
    pub tag: String,
    /// `library/nginx`: the repository path as the registry knows it.
    pub remote_name: String,
    pub layers: Vec<PullLayer>,
    pub manifest_digest: Digest,
    /// `nginx:1.15.8`
    pub familiar: String,
    /// `docker.io/library/nginx:1.15.8`
    pub full: String,
    /// The tag pointed at this image already: "Image is up to date".
    pub up_to_date: bool,
    pub image: Digest,
}

/// Seconds since the epoch of an RFC 3339 timestamp as image configs carry them
/// (`2019-02-06T06:35:22.541235346Z`); `None` when it is not one.
pub(crate) fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> { text.get(r)?.parse().ok() };
    if b.len() < 20 || b.get(4) != Some(&b'-') || b.get(10) != Some(&b'T') {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    // Days from civil (Howard Hinnant): exact for the proleptic Gregorian calendar.
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let mut secs = days * 86_400 + h * 3600 + mi * 60 + s;
    // An offset such as +01:00 after the seconds (and any fraction).
    let rest = text
        .get(19..)?
        .trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    if let Some(off) = rest.strip_prefix('+').or_else(|| rest.strip_prefix('-')) {
        let sign = if rest.starts_with('-') { -1 } else { 1 };
        let oh: i64 = off.get(0..2)?.parse().ok()?;
        let om: i64 = off.get(3..5)?.parse().ok()?;
        secs -= sign * (oh * 3600 + om * 60);
    }
    Some(secs)
}

impl Simulator {
    /// Finds a local image by reference (`nginx`, `nginx:1.15.8`) or by (abbreviated) ID.
    pub fn resolve_image(&self, text: &str) -> Option<Digest> {
        if let Ok(r) = Reference::parse(text) {
            if let Some(id) = self.store.resolve_tag(&r.familiar()) {
                return Some(id);
            }
        }
        // Docker accepts an ID prefix of any length but never a name it could be mistaken for;
        // it requires at least one character, we ask for the 12 it prints or a full `sha256:`.
        self.store.find_by_id_prefix(text)
    }

    /// Pulls `text` from the catalog: every layer whose chain ID is on disk already is reused.
    pub fn pull(&mut self, text: &str) -> Result<PullReport, EngineError> {
        let reference = Reference::parse(text)?;
        let tag = reference.tag_or_latest().to_string();
        let familiar_name = reference.familiar_name();
        let found = (reference.registry() == "docker.io")
            .then(|| catalog::find(reference.repository(), &tag))
            .flatten();
        let Some(image) = found else {
            let known_repo = catalog::list()
                .iter()
                .any(|(repo, _)| repo == reference.repository());
            return Err(if known_repo {
                EngineError::ManifestUnknown {
                    reference: format!("{familiar_name}:{tag}"),
                }
            } else {
                EngineError::PullAccessDenied { name: familiar_name }
            });
        };
        let familiar = format!("{familiar_name}:{tag}");
        let image_id = image.image_id();
        let manifest_digest = image.manifest_digest();

        let diff_ids: Vec<Digest> = image.layers.iter().map(|l| l.diff_id).collect();
        let chain_ids = Digest::chain_ids(&diff_ids);
        let mut lines = Vec::new();
        let mut parent = None;
        for (layer, chain_id) in image.layers.iter().zip(&chain_ids) {
            let status = if self.store.has_layer(chain_id) {
                let used_by = self
                    .store
                    .users_of(chain_id)
                    .images
                    .iter()
                    .map(|i| self.image_display_name(i))
                    .collect();
                self.emit(Event::LayerAlreadyExists {
                    chain_id: *chain_id,
                    blob: layer.digest,
                    used_by,
                });
                PullStatus::AlreadyExists
            } else {
                let size = layer.changeset.size();
                self.store.add_layer(LayerRecord {
                    chain_id: *chain_id,
                    diff_id: layer.diff_id,
                    parent,
                    size,
                    blob: Some(Blob {
                        digest: layer.digest,
                        size: layer.compressed_size,
                    }),
                    changeset: layer.changeset.clone().into(),
                });
                self.emit(Event::LayerPulled {
                    chain_id: *chain_id,
                    diff_id: layer.diff_id,
                    blob: layer.digest,
                    blob_size: layer.compressed_size,
                    size,
                });
                PullStatus::PullComplete
            };
            lines.push(PullLayer {
                short: layer.digest.short(),
                status,
            });
            parent = Some(*chain_id);
        }
        let previous = self.store.resolve_tag(&familiar);
        let up_to_date = previous == Some(image_id);
        if self.store.image(&image_id).is_none() {
            let created = image
                .config
                .created()
                .as_deref()
                .and_then(parse_rfc3339)
                .unwrap_or(0);
            self.store.add_image(ImageRecord {
                id: image_id,
                config: image.config.clone(),
                layers: chain_ids,
                repo_digests: vec![format!("{familiar_name}@{manifest_digest}")],
                parent: None,
                created,
            })?;
            self.emit(Event::ImageCreated {
                image: image_id,
                name: familiar.clone(),
            });
        }
        if !up_to_date {
            self.store.tag(&familiar, image_id);
            self.emit(Event::ImageTagged {
                image: image_id,
                name: familiar.clone(),
            });
        }
        Ok(PullReport {
            tag,
            remote_name: reference.repository().to_string(),
            layers: lines,
            manifest_digest,
            familiar,
            full: format!(
                "{}/{}:{}",
                reference.registry(),
                reference.repository(),
                reference.tag_or_latest()
            ),
            up_to_date,
            image: image_id,
        })
    }

    /// A name for an image in messages: its first tag, else its short ID.
    pub fn image_display_name(&self, id: &Digest) -> String {
        self.store
            .tags_of(id)
            .into_iter()
            .next()
            .unwrap_or_else(|| id.short())
    }

    /// `docker images`: one row per tag, plus `<none>` rows for untagged images, newest first.
    /// Untagged images that are the parent of another (the classic builder's intermediate
    /// images) are listed only with `all`, as `docker images -a` does.
    pub fn image_rows(&self, all: bool) -> Vec<ImageRow> {
        let mut rows = Vec::new();
        // `extend`, not `collect`: see crate::sort on BTree collects.
        let mut parents = std::collections::BTreeSet::<Digest>::new();
        parents.extend(self.store.images().filter_map(|i| i.parent));
        for image in self.store.images() {
            let size = crate::accounting::image_size(&self.store, &image.id);
            let tags = self.store.tags_of(&image.id);
            if tags.is_empty() && (all || !parents.contains(&image.id)) {
                rows.push(ImageRow {
                    repository: None,
                    tag: None,
                    id: image.id,
                    created: image.created,
                    size,
                });
            }
            for t in tags {
                let (repository, tag) = t.rsplit_once(':').unwrap_or((t.as_str(), ""));
                rows.push(ImageRow {
                    repository: Some(repository.to_string()),
                    tag: Some(tag.to_string()),
                    id: image.id,
                    created: image.created,
                    size,
                });
            }
        }
        // Docker sorts by creation time, newest first; ties by name keep the order stable.
        crate::sort::sort_by(&mut rows, |a, b| {
            b.created
                .cmp(&a.created)
                .then(a.repository.cmp(&b.repository))
                .then(a.tag.cmp(&b.tag))
        });
        rows
    }

    /// `docker history`: one row per config history entry, newest first.
    pub fn history(&self, id: &Digest) -> Vec<HistoryRow> {
        let Some(image) = self.store.image(id) else {
            return Vec::new();
        };
        let layers = self.store.image_layers(id);
        let history = image.config.history().clone().unwrap_or_default();
        // Images built here on a local parent show that parent's ID on the rows it made (the
        // classic builder's behaviour); pulled images have no local parents.
        let mut owners: Vec<Option<Digest>> = vec![None; history.len()];
        let mut cursor = Some(image.id);
        let mut end = history.len();
        while let Some(cid) = cursor {
            let Some(img) = self.store.image(&cid) else { break };
            let n = img.config.history().as_ref().map_or(0, Vec::len).min(end);
            if n == 0 {
                break;
            }
            if let Some(slot) = owners.get_mut(n - 1) {
                *slot = Some(cid);
            }
            end = n - 1;
            cursor = img.parent;
        }
        let mut rows = Vec::with_capacity(history.len());
        let mut layer_iter = layers.iter();
        for (h, owner) in history.iter().zip(owners) {
            let size = if h.empty_layer().unwrap_or(false) {
                0
            } else {
                layer_iter.next().map_or(0, |l| l.size)
            };
            rows.push(HistoryRow {
                id: owner,
                created: h.created().as_deref().and_then(parse_rfc3339).unwrap_or(0),
                created_by: h.created_by().clone().unwrap_or_default(),
                size,
                comment: h.comment().clone().unwrap_or_default(),
            });
        }
        rows.reverse();
        if let Some(top) = rows.first_mut() {
            top.id = Some(image.id);
        }
        rows
    }

    /// `docker tag SOURCE TARGET`.
    pub fn tag_image(&mut self, source: &str, target: &str) -> Result<(), EngineError> {
        let id = self
            .resolve_image(source)
            .ok_or_else(|| EngineError::NoSuchImage {
                reference: source.into(),
            })?;
        let target = Reference::parse(target)?;
        let name = target.familiar();
        self.store.tag(&name, id);
        self.emit(Event::ImageTagged { image: id, name });
        Ok(())
    }

    /// `docker rmi NAME`: untags, and deletes the image and the layers no other image uses once
    /// nothing refers to it.
    pub fn remove_image(&mut self, text: &str) -> Result<Removal, EngineError> {
        let by_tag = Reference::parse(text)
            .ok()
            .map(|r| r.familiar())
            .filter(|n| self.store.resolve_tag(n).is_some());
        let removal = match by_tag {
            Some(name) => self.store.remove_tag(&name)?,
            None => {
                let id = self
                    .store
                    .find_by_id_prefix(text)
                    .ok_or_else(|| EngineError::NoSuchImage {
                        reference: text.to_string(),
                    })?;
                let running: Vec<String> = self
                    .containers
                    .iter()
                    .filter(|c| c.state.is_running())
                    .map(|c| c.id.hex())
                    .collect();
                self.store
                    .remove_image_by_id(id, &|c: &str| running.iter().any(|r| r == c))?
            }
        };
        for name in &removal.untagged {
            self.emit(Event::ImageUntagged { name: name.clone() });
        }
        if let Some(id) = removal.deleted_image {
            self.emit(Event::ImageDeleted { image: id });
        }
        for layer in &removal.freed_layers {
            self.emit(Event::LayerFreed {
                chain_id: layer.chain_id,
                size: layer.size,
            });
        }
        Ok(removal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_timestamps_parse_to_epoch_seconds() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2019-02-06T06:35:22.541235346Z"),
            Some(1_549_434_922)
        );
        assert_eq!(
            parse_rfc3339("2026-01-05T10:00:00+01:00"),
            Some(super::super::START_TIME)
        );
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(parse_rfc3339(""), None);
    }
}
