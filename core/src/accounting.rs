//! What things cost on disk, counted the way Docker's overlay2 engine counts them.
//!
//! - A layer's size (Docker's DiffSize) is the apparent size of the files in its unpacked diff,
//!   [`Changeset::size`](crate::layer::Changeset::size): a regular file counts its length, a
//!   symlink the length of its target, a hardlink nothing more, directories and whiteouts nothing.
//! - An image's size is the sum of its layers; a container's SIZE (`SizeRw`) is the same count
//!   over its writable layer, and its virtual size (`SizeRootFs`) is image size + SizeRw.
//! - `system df` counts every layer once however many images hold it, and splits each image's
//!   size into SHARED (layers whose chain ID another image also uses) and UNIQUE.
//! - The lesson's formula for N containers of one image, Σ size + one (virtual − size), counts
//!   the image once and every writable layer once. [`Ledger`] adds what the formula leaves out:
//!   json-file logs, volumes, the container's own config directory and checkpoints.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::decimal::Decimal;
use crate::digest::Digest;
use crate::store::Store;

/// An image's size: the sum of its layers' sizes. Zero for an unknown image.
pub fn image_size(store: &Store, image: &Digest) -> u64 {
    store.image_layers(image).iter().map(|l| l.size).sum()
}

/// Size and virtual size of one container, as `ps -s` shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerSize {
    /// Bytes in the writable layer (`SizeRw`).
    pub size_rw: u64,
    /// Image size + `size_rw` (`SizeRootFs`).
    pub size_root_fs: u64,
}

impl ContainerSize {
    pub fn new(image_size: u64, size_rw: u64) -> Self {
        Self {
            size_rw,
            size_root_fs: image_size.saturating_add(size_rw),
        }
    }
}

/// The lesson's formula for containers that all come from one image: Σ size + one (virtual − size).
/// `None` when there are no containers, since then there is no "one container" to take from.
pub fn formula(containers: &[ContainerSize]) -> Option<u64> {
    let first = containers.first()?;
    let sum: u64 = containers.iter().map(|c| c.size_rw).sum();
    Some(sum + first.size_root_fs.saturating_sub(first.size_rw))
}

/// Bytes the store actually holds for image layers (each chain ID once) plus the given writable
/// layers: the disk use the formula is meant to predict.
pub fn modelled_disk_use(store: &Store, container_layers: &[u64]) -> u64 {
    store.layers().map(|l| l.size).sum::<u64>() + container_layers.iter().sum::<u64>()
}

/// One image in `system df -v`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageUsage {
    pub id: Digest,
    pub size: u64,
    /// Bytes of layers whose chain ID at least one other image also uses.
    pub shared_size: u64,
    pub unique_size: u64,
    /// How many containers were created from this image.
    pub containers: usize,
}

/// Shared and unique size of every image, sorted by image ID. Containers do not make a layer
/// shared: only images do, as in Docker.
pub fn image_usage(store: &Store) -> Vec<ImageUsage> {
    let mut holders: BTreeMap<Digest, usize> = BTreeMap::new();
    for image in store.images() {
        // Owned digests: a set of references would be one more BTreeSet instance in the page's bundle.
        // `extend`, not `collect`: see crate::sort on BTree collects.
        let mut distinct = BTreeSet::<Digest>::new();
        distinct.extend(image.layers.iter().copied());
        for chain_id in distinct {
            *holders.entry(chain_id).or_default() += 1;
        }
    }
    store
        .images()
        .map(|image| {
            let layers = store.image_layers(&image.id);
            let size: u64 = layers.iter().map(|l| l.size).sum();
            let shared_size: u64 = layers
                .iter()
                .filter(|l| holders.get(&l.chain_id).copied().unwrap_or(0) > 1)
                .map(|l| l.size)
                .sum();
            ImageUsage {
                id: image.id,
                size,
                shared_size,
                unique_size: size.saturating_sub(shared_size),
                containers: store.containers_of(&image.id).len(),
            }
        })
        .collect()
}

/// One row of `docker system df`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DfRow {
    pub total: usize,
    pub active: usize,
    pub size: u64,
    pub reclaimable: u64,
    /// `reclaimable * 100 / size`, rounded down; `None` when size is 0 (Docker then prints no
    /// percentage), and always `None` for the build cache row.
    pub percent: Option<u64>,
}

impl DfRow {
    fn new(total: usize, active: usize, size: u64, reclaimable: u64) -> Self {
        let percent = (size > 0).then(|| reclaimable.saturating_mul(100) / size);
        Self {
            total,
            active,
            size,
            reclaimable,
            percent,
        }
    }
}

/// What `system df` needs to know about one container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerDf {
    pub size_rw: u64,
    /// Running, paused or restarting: Docker's "active".
    pub active: bool,
}

/// What `system df` needs to know about one volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeDf {
    pub size: u64,
    /// How many containers mount it.
    pub links: usize,
}

/// The four rows of `docker system df`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemDf {
    pub images: DfRow,
    pub containers: DfRow,
    pub volumes: DfRow,
    pub build_cache: DfRow,
}

/// Docker's `system df` arithmetic.
///
/// Images: SIZE is every layer once; RECLAIMABLE is SIZE minus the unique size of images that a
/// container uses. That is the docker CLI's formula, and it overstates what `image prune -a` would
/// free, because a shared layer of an image in use is counted as reclaimable; the lab shows the
/// same number Docker does and explains the gap in [`Ledger`].
pub fn system_df(
    store: &Store,
    containers: &[ContainerDf],
    volumes: &[VolumeDf],
    build_cache_size: u64,
) -> SystemDf {
    let usage = image_usage(store);
    let layers_size: u64 = store.layers().map(|l| l.size).sum();
    let in_use: Vec<&ImageUsage> = usage.iter().filter(|u| u.containers > 0).collect();
    let used: u64 = in_use.iter().map(|u| u.unique_size).sum();
    let images = DfRow::new(
        usage.len(),
        in_use.len(),
        layers_size,
        layers_size.saturating_sub(used),
    );

    let c_size: u64 = containers.iter().map(|c| c.size_rw).sum();
    let c_idle: u64 = containers.iter().filter(|c| !c.active).map(|c| c.size_rw).sum();
    let c_active = containers.iter().filter(|c| c.active).count();
    let containers = DfRow::new(containers.len(), c_active, c_size, c_idle);

    let v_size: u64 = volumes.iter().map(|v| v.size).sum();
    let v_idle: u64 = volumes.iter().filter(|v| v.links == 0).map(|v| v.size).sum();
    let v_active = volumes.iter().filter(|v| v.links > 0).count();
    let volumes = DfRow::new(volumes.len(), v_active, v_size, v_idle);

    let mut build_cache = DfRow::new(0, 0, build_cache_size, build_cache_size);
    build_cache.percent = None;
    SystemDf {
        images,
        containers,
        volumes,
        build_cache,
    }
}

/// Bytes one container's directory under `/var/lib/docker/containers/<id>/` takes besides its log.
///
/// Docker's documentation says "about 36K". That is what `du` reports for a fresh container
/// directory on ext4: du counts 4 KiB blocks, and the directory holds nine entries that each take one
/// block: the directory itself, `config.v2.json`, `hostconfig.json`, `hostname`, `hosts`,
/// `resolv.conf`, `resolv.conf.hash`, and the `mounts/` and `checkpoints/` directories.
pub const CONTAINER_CONFIG_BYTES: u64 = 9 * 4096;

/// Bytes a checkpoint takes: the CRIU image of the process's memory and state, modelled as the
/// container's resident memory plus one block per image file.
pub fn checkpoint_size(resident_memory: u64) -> u64 {
    resident_memory + 8 * 4096
}

/// The json-file log driver's files for one container, with `--log-opt max-size` / `max-file`
/// rotation modelled the way Docker's `loggerutils.LogFile` does it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonFileLog {
    /// `max-size` in bytes; `None` means the file grows for ever (Docker's default).
    pub max_size: Option<u64>,
    /// `max-file`: how many files, the live one included, are kept (Docker's default 1).
    pub max_file: u32,
    /// Bytes in the live file `<id>-json.log`.
    pub current: u64,
    /// Bytes in `<id>-json.log.1`, `.2`, ... (newest first).
    pub rotated: Vec<u64>,
    /// How many times the live file was rotated.
    pub rotations: u64,
}

impl JsonFileLog {
    pub fn new(max_size: Option<u64>, max_file: u32) -> Self {
        Self {
            max_size,
            max_file: max_file.max(1),
            ..Self::default()
        }
    }

    /// The bytes one log line takes in the file: Docker writes
    /// `{"log":"<line>\n","stream":"stdout","time":"<RFC 3339>"}` and a newline.
    pub fn entry_len(line: &str, stream: &str, time_rfc3339: &str) -> u64 {
        let record =
            serde_json::json!({ "log": format!("{line}\n"), "stream": stream, "time": time_rfc3339 });
        // serde_json escapes `<`, `>` and `&` as Go's encoder does not, but the difference only
        // matters for those characters; the length is what the ledger needs.
        serde_json::to_string(&record).map_or(0, |s| s.len() as u64 + 1)
    }

    /// Appends one entry of `len` bytes. As in Docker, the size check comes before the write: the
    /// live file is rotated once it has reached `max_size`, so a file can end up one entry over.
    /// Returns whether a rotation happened.
    pub fn append(&mut self, len: u64) -> bool {
        let mut rotated = false;
        if let Some(max) = self.max_size {
            if self.current >= max {
                rotated = true;
                self.rotations += 1;
                if self.max_file > 1 {
                    self.rotated.insert(0, self.current);
                    self.rotated.truncate(self.max_file as usize - 1);
                }
                self.current = 0;
            }
        }
        self.current += len;
        rotated
    }

    /// Bytes on disk in all of this container's log files.
    pub fn disk_bytes(&self) -> u64 {
        self.current + self.rotated.iter().sum::<u64>()
    }
}

/// Parses a `max-size` value as Docker does (go-units `RAMInBytes`: binary multiples, `10m` is
/// 10 MiB; `k`, `m`, `g` with an optional `b`/`ib`).
pub fn parse_log_max_size(text: &str) -> Option<u64> {
    let t = text.trim().to_ascii_lowercase();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let mult: u64 = match unit.trim() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return None,
    };
    Decimal::parse(num)?.times(mult)
}

/// One container's lines in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerLedger {
    pub id: String,
    pub name: String,
    pub image: Digest,
    pub size_rw: u64,
    pub logs: u64,
    pub config: u64,
    pub checkpoints: u64,
}

/// Everything on the simulated disk, and how much of it the lesson's formula sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    /// Image layers, each chain ID once.
    pub image_layers: u64,
    pub containers: Vec<ContainerLedger>,
    pub volumes: u64,
    pub build_cache: u64,
}

impl Ledger {
    pub fn writable_layers(&self) -> u64 {
        self.containers.iter().map(|c| c.size_rw).sum()
    }
    pub fn logs(&self) -> u64 {
        self.containers.iter().map(|c| c.logs).sum()
    }
    pub fn config(&self) -> u64 {
        self.containers.iter().map(|c| c.config).sum()
    }
    pub fn checkpoints(&self) -> u64 {
        self.containers.iter().map(|c| c.checkpoints).sum()
    }
    /// What the formula counts: image layers once and every writable layer.
    pub fn formula_part(&self) -> u64 {
        self.image_layers + self.writable_layers()
    }
    /// What it leaves out.
    pub fn left_out(&self) -> u64 {
        self.logs() + self.config() + self.checkpoints() + self.volumes + self.build_cache
    }
    pub fn total(&self) -> u64 {
        self.formula_part() + self.left_out()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::{Changeset, Content, Entry, EntryKind};
    use crate::store::{ImageRecord, LayerRecord};
    use proptest::prelude::*;

    fn file(path: &str, len: u64) -> Entry {
        Entry {
            path: path.into(),
            kind: EntryKind::File(Content::Zeros { len }),
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: 0,
        }
    }

    /// A store with images made of the given layer sizes; a layer is identified by its size and
    /// position, so equal prefixes share chain IDs.
    fn store_with(images: &[&[u64]]) -> (Store, Vec<Digest>) {
        let mut store = Store::new();
        let mut ids = Vec::new();
        for (n, sizes) in images.iter().enumerate() {
            let diff_ids: Vec<Digest> = sizes
                .iter()
                .map(|s| Digest::of(format!("layer {s}").as_bytes()))
                .collect();
            let chain = Digest::chain_ids(&diff_ids);
            for (i, (size, chain_id)) in sizes.iter().zip(&chain).enumerate() {
                store.add_layer(LayerRecord {
                    chain_id: *chain_id,
                    diff_id: diff_ids[i],
                    parent: if i == 0 { None } else { Some(chain[i - 1]) },
                    size: *size,
                    blob: None,
                    changeset: Changeset {
                        entries: vec![file("f", *size)],
                    }
                    .into(),
                });
            }
            let id = Digest::of(format!("image {n}").as_bytes());
            store
                .add_image(ImageRecord {
                    id,
                    config: Default::default(),
                    layers: chain,
                    repo_digests: vec![],
                    parent: None,
                    created: 0,
                })
                .expect("layers were added first");
            ids.push(id);
        }
        (store, ids)
    }

    #[test]
    fn worked_example_from_the_reference() {
        // demo/app:1.0 (7,227,443 B) and demo/base:1.0 (1,984,000 B) share the base layer.
        let base = 1_984_000;
        let (store, ids) = store_with(&[&[base, 5_243_361, 58, 24], &[base]]);
        let usage = image_usage(&store);
        let app = usage.iter().find(|u| u.id == ids[0]).expect("app is listed");
        assert_eq!(
            (app.size, app.shared_size, app.unique_size),
            (7_227_443, base, 5_243_443)
        );
        let b = usage.iter().find(|u| u.id == ids[1]).expect("base is listed");
        assert_eq!((b.size, b.shared_size, b.unique_size), (base, base, 0));
        assert_eq!(image_size(&store, &ids[0]), 7_227_443);
    }

    #[test]
    fn system_df_rounds_the_percentage_down_and_counts_layers_once() {
        let (mut store, ids) = store_with(&[&[600, 300], &[600]]);
        store.register_container("c1", ids[0]);
        let df = system_df(
            &store,
            &[
                ContainerDf {
                    size_rw: 2,
                    active: true,
                },
                ContainerDf {
                    size_rw: 1,
                    active: false,
                },
            ],
            &[VolumeDf { size: 10, links: 0 }],
            0,
        );
        // Layers once: 600 + 300. In use: image 0, whose unique part is 300, so 600 is reclaimable
        // even though the running container needs it: the overstatement Docker's CLI has.
        assert_eq!(
            df.images,
            DfRow {
                total: 2,
                active: 1,
                size: 900,
                reclaimable: 600,
                percent: Some(66)
            }
        );
        assert_eq!(
            df.containers,
            DfRow {
                total: 2,
                active: 1,
                size: 3,
                reclaimable: 1,
                percent: Some(33)
            }
        );
        assert_eq!(
            df.volumes,
            DfRow {
                total: 1,
                active: 0,
                size: 10,
                reclaimable: 10,
                percent: Some(100)
            }
        );
        assert_eq!(df.build_cache.percent, None);
    }

    #[test]
    fn json_file_rotation_checks_before_writing() {
        let mut log = JsonFileLog::new(Some(100), 3);
        for _ in 0..10 {
            log.append(40);
        }
        // 40, 80, 120 | rotate, 40, 80, 120 | rotate, 40, 80, 120 | rotate, 40
        assert_eq!(log.current, 40);
        assert_eq!(log.rotated, vec![120, 120]);
        assert_eq!(log.rotations, 3);
        assert_eq!(log.disk_bytes(), 280);
        let mut unbounded = JsonFileLog::new(None, 1);
        for _ in 0..10 {
            unbounded.append(40);
        }
        assert_eq!(unbounded.disk_bytes(), 400);
    }

    #[test]
    fn json_file_entry_length_matches_dockers_record() {
        // `{"log":"hi\n","stream":"stdout","time":"2026-01-05T09:00:00Z"}` is 62 bytes, plus the newline.
        assert_eq!(JsonFileLog::entry_len("hi", "stdout", "2026-01-05T09:00:00Z"), 63);
    }

    #[test]
    fn max_size_uses_binary_multiples() {
        assert_eq!(parse_log_max_size("10m"), Some(10 * 1024 * 1024));
        assert_eq!(parse_log_max_size("1k"), Some(1024));
        assert_eq!(parse_log_max_size("512"), Some(512));
        assert_eq!(parse_log_max_size("ten"), None);
        assert_eq!(parse_log_max_size("3q"), None);
    }

    proptest! {
        /// For N containers of one image, Σ size + one (virtual − size) is exactly the image's
        /// layers once plus every writable layer.
        #[test]
        fn formula_equals_modelled_disk_use(
            layers in proptest::collection::vec(0u64..50_000_000, 1..6),
            rw in proptest::collection::vec(0u64..10_000_000, 1..12),
        ) {
            let (store, ids) = store_with(&[&layers]);
            let img = image_size(&store, &ids[0]);
            let sizes: Vec<ContainerSize> = rw.iter().map(|r| ContainerSize::new(img, *r)).collect();
            prop_assert_eq!(formula(&sizes), Some(modelled_disk_use(&store, &rw)));
            // Adding the virtual sizes instead counts the image once per container.
            let naive: u64 = sizes.iter().map(|s| s.size_root_fs).sum();
            prop_assert_eq!(naive - modelled_disk_use(&store, &rw), img * (rw.len() as u64 - 1));
        }
    }
}
