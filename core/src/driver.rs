//! Storage-driver cost models: what the same container operations cost on disk under overlay2,
//! vfs, btrfs and zfs, so the lab can compare them side by side on one workload.
//!
//! Public API:
//! - [`Driver`] (`Overlay2`, `Vfs`, `Btrfs`, `Zfs`): [`Driver::ALL`], [`Driver::name`],
//!   [`Driver::parse`], [`Driver::block_size`], [`Driver::first_write_cost`] (bytes copied by the
//!   first write to an image file), [`Driver::container_create_cost`], [`Driver::layer_on_disk`];
//! - [`Ledger`]: follows one container's [`Outcome`]s under one driver: [`Ledger::record`] returns
//!   the [`Cost`] of each operation; [`Ledger::copied`], [`Ledger::written`],
//!   [`Ledger::allocated`] (the container's own bytes on disk);
//! - [`Driver::disk_usage`]`(&[LayerUsage], &[ContainerUsage]) -> DiskUsage`.
//!
//! The container layer itself ([`crate::container`]) follows overlayfs: its events say which files
//! were copied up and which byte ranges were written. The models read those events:
//! - overlay2 copies a whole file up on its first change (a 1-byte append to a 100 MB file copies
//!   100 MB); layers are stored once each;
//! - vfs has no copy-on-write: every layer directory is a full copy of the tree up to it, and a
//!   container starts with a full copy of its image; writes then go straight to that copy;
//! - btrfs and zfs share data between a layer, its children and containers through snapshots and
//!   clones; a write to a shared file copies only the blocks it touches.

use std::collections::{BTreeSet, HashMap};

use crate::container::{Event, Outcome};
use crate::layer::path;

/// Btrfs copies on write at its sector size, which is the page size: 4 KiB on x86-64 and on most
/// arm64 kernels, and the default `mkfs.btrfs` picks. Unchanged parts of a file stay shared
/// extents of the snapshot.
pub const BTRFS_BLOCK: u64 = 4096;

/// ZFS copies on write a whole record: the dataset's `recordsize`, 128 KiB by default (files
/// smaller than that are one record of their own size). Docker's zfs driver leaves recordsize at
/// its default, so a 1-byte change in a large file rewrites 128 KiB.
pub const ZFS_RECORD: u64 = 128 * 1024;

/// A storage driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Driver {
    Overlay2,
    Vfs,
    Btrfs,
    Zfs,
}

/// Why a driver name was not recognised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown storage driver {name:?}: expected overlay2, vfs, btrfs or zfs")]
pub struct UnknownDriver {
    pub name: String,
}

impl Driver {
    pub const ALL: [Driver; 4] = [Driver::Overlay2, Driver::Vfs, Driver::Btrfs, Driver::Zfs];

    /// The name `docker info` shows.
    pub fn name(self) -> &'static str {
        match self {
            Driver::Overlay2 => "overlay2",
            Driver::Vfs => "vfs",
            Driver::Btrfs => "btrfs",
            Driver::Zfs => "zfs",
        }
    }

    pub fn parse(name: &str) -> Result<Driver, UnknownDriver> {
        Driver::ALL
            .into_iter()
            .find(|d| d.name() == name)
            .ok_or_else(|| UnknownDriver {
                name: name.to_owned(),
            })
    }

    /// The copy-on-write unit of a block-level driver; `None` for file-level or no copy-on-write.
    pub fn block_size(self) -> Option<u64> {
        match self {
            Driver::Btrfs => Some(BTRFS_BLOCK),
            Driver::Zfs => Some(ZFS_RECORD),
            Driver::Overlay2 | Driver::Vfs => None,
        }
    }

    /// Bytes copied by the first write of `len` bytes at `offset` to a file of `file_len` bytes
    /// that the container shares with its image.
    pub fn first_write_cost(self, file_len: u64, offset: u64, len: u64) -> u64 {
        match self {
            Driver::Overlay2 => file_len,
            Driver::Vfs => 0,
            Driver::Btrfs | Driver::Zfs => {
                let mut touched = BTreeSet::new();
                shared_blocks_cost(
                    self.block_size().unwrap_or(1),
                    file_len,
                    offset,
                    len,
                    &mut touched,
                )
            }
        }
    }

    /// Bytes copied when a container is created from an image whose files add up to
    /// `image_size`: a full copy for vfs, nothing for the others (a new empty upper directory, a
    /// snapshot or a clone).
    pub fn container_create_cost(self, image_size: u64) -> u64 {
        match self {
            Driver::Vfs => image_size,
            Driver::Overlay2 | Driver::Btrfs | Driver::Zfs => 0,
        }
    }

    /// Bytes one image layer takes on disk: its own files, except under vfs, where each layer
    /// directory holds the whole tree up to and including it.
    pub fn layer_on_disk(self, layer: &LayerUsage) -> u64 {
        match self {
            Driver::Vfs => layer.merged_size,
            Driver::Overlay2 | Driver::Btrfs | Driver::Zfs => layer.diff_size,
        }
    }

    /// Disk used by a set of distinct image layers (each listed once, however many images share
    /// it) and containers.
    pub fn disk_usage(self, layers: &[LayerUsage], containers: &[ContainerUsage]) -> DiskUsage {
        let layers_bytes = layers.iter().map(|l| self.layer_on_disk(l)).sum();
        let containers_bytes = containers
            .iter()
            .map(|c| match self {
                // The container's copy of the image holds its changed files in place of the old
                // ones, and its deletions are gone from it: those image bytes are not kept twice.
                Driver::Vfs => self.container_create_cost(c.image_size).saturating_sub(c.replaced) + c.allocated,
                Driver::Overlay2 | Driver::Btrfs | Driver::Zfs => c.allocated,
            })
            .sum();
        DiskUsage {
            layers: layers_bytes,
            containers: containers_bytes,
        }
    }
}

/// Sizes of one image layer, for [`Driver::disk_usage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerUsage {
    /// The apparent size of the layer's own files ([`crate::layer::Changeset::size`]).
    pub diff_size: u64,
    /// The apparent size of the whole tree with this layer on top
    /// ([`crate::union::MergedView::size`] of the stack up to it).
    pub merged_size: u64,
}

/// Sizes of one container, for [`Driver::disk_usage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContainerUsage {
    /// The apparent size of the image's merged tree.
    pub image_size: u64,
    /// The container's own bytes under the driver ([`Ledger::allocated`]).
    pub allocated: u64,
    /// Bytes of image files the container changed or deleted (overwritten, or hidden by a
    /// whiteout or an opaque directory): a driver that gives the container a full copy of the
    /// image changes them in that copy instead of keeping them twice.
    pub replaced: u64,
}

/// Disk used, split between image layers and containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DiskUsage {
    pub layers: u64,
    pub containers: u64,
}

impl DiskUsage {
    pub fn total(&self) -> u64 {
        self.layers + self.containers
    }
}

/// What one operation cost under a driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cost {
    /// Bytes copied from the image because of copy-on-write (not asked for by the process).
    pub copied: u64,
    /// Bytes the process wrote.
    pub written: u64,
}

/// A file of the container's writable layer, as a block-level driver sees it.
#[derive(Debug, Clone, Default)]
struct FileState {
    len: u64,
    /// Length of the prefix still shared with the image (0 for a file made in the container).
    shared_len: u64,
    /// Blocks of the shared prefix already copied.
    touched: BTreeSet<u64>,
}

/// One container's costs under one driver, built from its operations' outcomes in order.
#[derive(Debug, Clone)]
pub struct Ledger {
    driver: Driver,
    files: HashMap<String, FileState>,
    copied: u64,
    written: u64,
}

impl Ledger {
    pub fn new(driver: Driver) -> Self {
        Ledger {
            driver,
            files: HashMap::new(),
            copied: 0,
            written: 0,
        }
    }

    pub fn driver(&self) -> Driver {
        self.driver
    }

    /// Accounts for one operation and returns what it cost.
    pub fn record(&mut self, outcome: &Outcome) -> Cost {
        let mut cost = Cost::default();
        for e in &outcome.events {
            match e {
                Event::CopyUp { path, bytes, .. } => {
                    if self.driver == Driver::Overlay2 {
                        cost.copied += bytes;
                    }
                    self.files.insert(
                        path.clone(),
                        FileState {
                            len: *bytes,
                            shared_len: *bytes,
                            touched: BTreeSet::new(),
                        },
                    );
                }
                Event::NewFile { path, bytes } => {
                    cost.written += bytes;
                    self.files.insert(
                        path.clone(),
                        FileState {
                            len: *bytes,
                            ..FileState::default()
                        },
                    );
                }
                Event::Write {
                    path,
                    offset,
                    len,
                    file_len,
                } => {
                    cost.written += len;
                    let f = self.files.entry(path.clone()).or_default();
                    if let Some(block) = self.driver.block_size() {
                        cost.copied += shared_blocks_cost(block, f.shared_len, *offset, *len, &mut f.touched);
                    }
                    // A truncating write ends the sharing: nothing of the old file is left.
                    if *offset == 0 && *file_len == *len {
                        f.shared_len = 0;
                        f.touched.clear();
                    }
                    f.len = *file_len;
                }
                Event::Removed { path, .. } | Event::Whiteout { path } => {
                    let p = path.trim_start_matches('/');
                    self.files
                        .retain(|k, _| !path::is_within(k.trim_start_matches('/'), p));
                }
                Event::Rename { from, to } => {
                    let moved: Vec<(String, FileState)> = self
                        .files
                        .iter()
                        .filter(|(k, _)| path::is_within(k, from))
                        .map(|(k, v)| (format!("{to}{}", k.get(from.len()..).unwrap_or("")), v.clone()))
                        .collect();
                    self.files.retain(|k, _| !path::is_within(k, from));
                    self.files.extend(moved);
                }
                Event::CopyUpDir { .. }
                | Event::MkDir { .. }
                | Event::Symlink { .. }
                | Event::OpaqueDir { .. }
                | Event::Chmod { .. }
                | Event::Chown { .. } => {}
            }
        }
        self.copied += cost.copied;
        self.written += cost.written;
        cost
    }

    /// Bytes copied because of copy-on-write so far.
    pub fn copied(&self) -> u64 {
        self.copied
    }

    /// Bytes the container's processes wrote so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Bytes of file data the container holds on its own now. overlay2 and vfs: the full length
    /// of every file in the writable layer (vfs also holds its copy of the image, see
    /// [`Driver::container_create_cost`]); btrfs and zfs: the blocks copied from shared files plus
    /// whatever lies past the shared part.
    pub fn allocated(&self) -> u64 {
        self.files
            .values()
            .map(|f| match self.driver.block_size() {
                None => f.len,
                Some(block) => {
                    let copied: u64 = f
                        .touched
                        .iter()
                        .map(|b| block.min(f.shared_len.saturating_sub(b * block)))
                        .sum();
                    copied + f.len.saturating_sub(f.shared_len)
                }
            })
            .sum()
    }
}

/// Copies the blocks that `[offset, offset+len)` touches and that hold shared data, and were not
/// copied before; returns the shared bytes they held. A write that only lands in the unused end
/// of the last shared block still rewrites that block, with its old data: an append to a file
/// whose length is not a whole number of blocks copies the file's tail.
fn shared_blocks_cost(
    block: u64,
    shared_len: u64,
    offset: u64,
    len: u64,
    touched: &mut BTreeSet<u64>,
) -> u64 {
    let shared_end = shared_len.div_ceil(block).saturating_mul(block);
    let end = offset.saturating_add(len).min(shared_end);
    if len == 0 || offset >= end {
        return 0;
    }
    let (first, last) = (offset / block, (end - 1) / block);
    let mut bytes = 0;
    for b in first..=last {
        if touched.insert(b) {
            bytes += block.min(shared_len - b * block);
        }
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::Container;
    use crate::layer::{Changeset, Content, Entry};
    use crate::union::MergedView;
    use proptest::prelude::*;
    use std::sync::Arc;

    fn container_with(len: u64) -> Container {
        let base = Changeset::new(vec![Entry::file("data", Content::Synthetic { len, seed: 1 })]);
        Container::new(Arc::new(MergedView::new(vec![Arc::new(base)])))
    }

    #[test]
    fn appending_one_byte_to_100_mb() {
        let mut c = container_with(100_000_000);
        let o = c.append("/data", b"x").unwrap_or_default();
        let costs: Vec<(&str, u64)> = Driver::ALL
            .iter()
            .map(|&d| {
                let mut l = Ledger::new(d);
                (d.name(), l.record(&o).copied)
            })
            .collect();
        // The appended byte lands in the file's last block, which is rewritten with the 100,000,000
        // mod 4096 = 256 bytes it held (mod 131,072 = 123,136 for a zfs record).
        assert_eq!(
            costs,
            [("overlay2", 100_000_000), ("vfs", 0), ("btrfs", 256), ("zfs", 123_136)]
        );
        // So does a write over the last shared byte.
        let mut c = container_with(100_000_000);
        let o = c
            .write_at("/data", 99_999_999, &Content::bytes(&b"xy"[..]))
            .unwrap_or_default();
        let mut btrfs = Ledger::new(Driver::Btrfs);
        assert_eq!(btrfs.record(&o).copied, 256);
        let mut zfs = Ledger::new(Driver::Zfs);
        assert_eq!(zfs.record(&o).copied, 123_136);
        assert_eq!(btrfs.allocated(), 256 + 1);
        // A file of whole blocks has no tail to rewrite: an append copies nothing.
        let mut c = container_with(8 * BTRFS_BLOCK);
        let o = c.append("/data", b"x").unwrap_or_default();
        assert_eq!(Ledger::new(Driver::Btrfs).record(&o).copied, 0);
    }

    #[test]
    fn chmod_copies_data_only_under_overlay2() {
        let mut c = container_with(250_000);
        let o = c.chmod("/data", 0o600).unwrap_or_default();
        for d in Driver::ALL {
            let mut l = Ledger::new(d);
            let want = if d == Driver::Overlay2 { 250_000 } else { 0 };
            assert_eq!(l.record(&o).copied, want, "{}", d.name());
        }
    }

    #[test]
    fn blocks_are_copied_once_and_deletion_frees_them() {
        let mut c = container_with(1 << 20);
        let mut l = Ledger::new(Driver::Btrfs);
        let o = c
            .write_at("/data", 10, &Content::bytes(vec![1; 5000]))
            .unwrap_or_default();
        assert_eq!(l.record(&o).copied, 2 * BTRFS_BLOCK);
        let o = c
            .write_at("/data", 100, &Content::bytes(vec![1; 10]))
            .unwrap_or_default();
        assert_eq!(l.record(&o).copied, 0);
        assert_eq!(l.allocated(), 2 * BTRFS_BLOCK);
        let o = c.remove_file("/data").unwrap_or_default();
        l.record(&o);
        assert_eq!(l.allocated(), 0);
    }

    #[test]
    fn disk_usage_matches_the_lessons_vfs_numbers_in_shape() {
        // Two layers of 2 MB and 5 MB: vfs keeps 2 + 7 MB for the layers and 7 MB more per container.
        let layers = [
            LayerUsage {
                diff_size: 2_000_000,
                merged_size: 2_000_000,
            },
            LayerUsage {
                diff_size: 5_000_000,
                merged_size: 7_000_000,
            },
        ];
        let containers = [ContainerUsage {
            image_size: 7_000_000,
            allocated: 1_000,
            replaced: 0,
        }];
        assert_eq!(
            Driver::Vfs.disk_usage(&layers, &containers).total(),
            9_000_000 + 7_001_000
        );
        assert_eq!(
            Driver::Overlay2.disk_usage(&layers, &containers).total(),
            7_001_000
        );
        // A container that rewrote 400 bytes of a 1,000-byte image file holds them once in its copy.
        let changed = [ContainerUsage {
            image_size: 7_000_000,
            allocated: 1_000,
            replaced: 1_000,
        }];
        assert_eq!(Driver::Vfs.disk_usage(&layers, &changed).containers, 7_000_000);
        assert_eq!(Driver::Overlay2.disk_usage(&layers, &changed).containers, 1_000);
        assert_eq!(Driver::parse("zfs"), Ok(Driver::Zfs));
        assert!(Driver::parse("aufs").is_err());
    }

    proptest! {
        /// A small in-place write to an image file costs the whole file under overlay2 and one
        /// block (or record) under btrfs and zfs.
        #[test]
        fn small_write_costs(blocks in 2u64..2000, at in any::<prop::sample::Index>(), within in 0u64..4096, n in 1u64..64) {
            for d in [Driver::Overlay2, Driver::Btrfs, Driver::Zfs] {
                let block = d.block_size().unwrap_or(BTRFS_BLOCK);
                let len = blocks * block;
                let b = at.index(blocks as usize) as u64;
                let offset = b * block + within.min(block - n);
                let mut c = container_with(len);
                let o = c.write_at("/data", offset, &Content::bytes(vec![7; n as usize])).unwrap_or_default();
                let cost = Ledger::new(d).record(&o);
                let want = if d == Driver::Overlay2 { len } else { block };
                prop_assert_eq!(cost.copied, want, "{}", d.name());
                prop_assert_eq!(d.first_write_cost(len, offset, n), want);
                prop_assert_eq!(cost.written, n);
            }
        }
    }
}
