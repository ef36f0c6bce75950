//! Storage drivers side by side: what the lab's images and containers would cost under overlay2,
//! vfs, btrfs and zfs, in bytes copied and bytes on disk, from core's cost models
//! ([`layerlab_core::driver`]).
//!
//! The workload is what the lab holds now. The engine keeps each container's writable layer, not
//! the list of writes that made it, so each container's work is read back from that layer (see
//! [`Change`]), and [`Comparison::workload`] says so in the panel. The lab's shell can only append
//! to a file or rewrite it, which costs a block-level driver at most the file's last block, so
//! each driver's row also shows what one byte changed in the middle of each of those files would copy
//! ([`Driver::first_write_cost`]): the case where btrfs and zfs differ from overlay2.

use std::collections::HashMap;
use std::sync::Arc;

use layerlab_core::cli::format::human_size;
use layerlab_core::container::{Event as FsEvent, Outcome};
use layerlab_core::digest::Digest;
use layerlab_core::driver::{ContainerUsage, Driver, LayerUsage, Ledger};
use layerlab_core::engine::{ContainerRecord, Simulator};
use layerlab_core::layer::{Changeset, Content, EntryKind};
use layerlab_core::union::MergedView;

/// A file of the image that a container changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedFile {
    /// Absolute.
    pub path: String,
    /// Its length in the image.
    pub old_len: u64,
    /// Its length in the writable layer.
    pub new_len: u64,
    pub change: Change,
}

/// How a changed image file was changed, as far as its two versions tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// It still starts with the image's bytes: appended to (`>>`), or only its mode, owner or
    /// times changed.
    Appended,
    /// It was rewritten from the start (`>`, `cp`, `dd`): nothing of the old bytes was needed.
    /// Files too large to hold in memory cannot be compared and count as rewritten.
    Rewritten,
}

/// One container's part of the workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerWork {
    pub name: String,
    pub image: String,
    /// The apparent size of the image's merged tree: what vfs copies for the container.
    pub image_size: u64,
    pub changed: Vec<ChangedFile>,
    pub new_files: usize,
    pub new_bytes: u64,
    /// Whiteouts in the writable layer.
    pub deleted: usize,
    /// Bytes of the image that the container's changes replaced or deleted (whiteouts and opaque
    /// directories hide them): a driver that keeps a full copy of the image per container frees
    /// them in that copy.
    pub replaced: u64,
}

/// One driver's costs for the whole workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DriverRow {
    pub driver: Driver,
    /// Bytes copied because of copy-on-write, container creation included.
    pub copied: u64,
    /// The part of `copied` spent creating containers (vfs's full copies of their images).
    pub copied_at_create: u64,
    /// What one byte changed in the middle of each changed image file would copy instead.
    pub one_byte_edits: u64,
    /// Disk used by the image layers, each stored once.
    pub layers: u64,
    /// Disk used by the containers.
    pub containers: u64,
}

impl DriverRow {
    pub fn on_disk(&self) -> u64 {
        self.layers + self.containers
    }
}

/// The four drivers on the lab's current workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// Distinct image layers on disk.
    pub layers: usize,
    pub images: usize,
    pub containers: Vec<ContainerWork>,
    /// One per driver, in [`Driver::ALL`] order.
    pub rows: Vec<DriverRow>,
}

impl Comparison {
    /// The largest bytes-copied figure, which sets the scale of its bars.
    pub fn max_copied(&self) -> u64 {
        self.rows.iter().map(|r| r.copied).max().unwrap_or(0)
    }

    pub fn max_on_disk(&self) -> u64 {
        self.rows.iter().map(|r| r.on_disk()).max().unwrap_or(0)
    }

    fn row(&self, driver: Driver) -> Option<&DriverRow> {
        self.rows.iter().find(|r| r.driver == driver)
    }

    /// The main difference on this workload, in one sentence: how much more disk vfs needs than
    /// overlay2, and what overlay2's whole-file copies cost next to btrfs's blocks.
    pub fn headline(&self) -> Option<String> {
        let overlay = self.row(Driver::Overlay2)?;
        let vfs = self.row(Driver::Vfs)?;
        let btrfs = self.row(Driver::Btrfs)?;
        if overlay.on_disk() == 0 {
            return None;
        }
        let mut text = format!(
            "Here vfs needs {} the disk of overlay2 ({} against {}).",
            times(vfs.on_disk(), overlay.on_disk()),
            human_size(vfs.on_disk()),
            human_size(overlay.on_disk())
        );
        // Files smaller than a block cost the same everywhere: worth a sentence only when not.
        if overlay.one_byte_edits > btrfs.one_byte_edits {
            text.push_str(&format!(
                " Changing one byte in the middle of each changed file would copy {} under overlay2 but {} under btrfs.",
                human_size(overlay.one_byte_edits),
                human_size(btrfs.one_byte_edits)
            ));
        }
        Some(text)
    }

    /// The workload in words, with how it was read from the lab.
    pub fn workload(&self) -> String {
        let mut text = format!(
            "The workload is the lab as it is now: {} with {} on disk",
            plural(self.images, "image"),
            plural(self.layers, "distinct layer"),
        );
        if self.containers.is_empty() {
            text.push_str(", and no containers yet.");
            return text;
        }
        text.push_str(", and ");
        text.push_str(&plural(self.containers.len(), "container"));
        text.push_str(": ");
        let parts: Vec<String> = self
            .containers
            .iter()
            .map(|c| {
                let changed_bytes: u64 = c.changed.iter().map(|f| f.old_len).sum();
                format!(
                    "{} ({}) changed {} of the image ({} before the change), wrote {} ({}) and deleted {}",
                    c.name,
                    c.image,
                    plural(c.changed.len(), "file"),
                    human_size(changed_bytes),
                    plural(c.new_files, "new file"),
                    human_size(c.new_bytes),
                    plural(c.deleted, "entry"),
                )
            })
            .collect();
        text.push_str(&parts.join("; "));
        text.push_str(
            ". The lab keeps each container's writable layer, not every write that made it, so a \
             changed image file counts as appended to when it still starts with the image's \
             bytes, and as rewritten from the start otherwise.",
        );
        text
    }
}

/// `a / b` as "2.5 times", to one decimal, without floating point; "as much as" below 1.05.
fn times(a: u64, b: u64) -> String {
    let tenths = (u128::from(a) * 10 + u128::from(b) / 2)
        .checked_div(u128::from(b))
        .unwrap_or(0);
    if tenths <= 10 {
        "about as much as".to_owned()
    } else {
        format!("{}.{} times", tenths / 10, tenths % 10)
    }
}

fn plural(n: usize, word: &str) -> String {
    match (n, word) {
        (1, _) => format!("1 {word}"),
        (_, "entry") => format!("{n} entries"),
        _ => format!("{n} {word}s"),
    }
}

/// Why the driver's numbers come out as they do, in one sentence.
pub fn why(driver: Driver) -> String {
    match driver {
        Driver::Overlay2 => "overlay2 stores each layer once and gives a container an empty upper \
                             directory; the first change to an image file copies the whole file up, \
                             however small the change."
            .to_owned(),
        Driver::Vfs => "vfs has no copy-on-write: each layer is kept as a full copy of the tree up to \
                        it, and each container starts with a full copy of its image."
            .to_owned(),
        Driver::Btrfs | Driver::Zfs => {
            let block = driver.block_size().map_or_else(String::new, |b| {
                if b % 1024 == 0 {
                    format!("{} KiB", b / 1024)
                } else {
                    format!("{b} bytes")
                }
            });
            let how = if driver == Driver::Btrfs {
                "subvolume snapshots"
            } else {
                "clones of snapshots"
            };
            format!(
                "{} keeps layers and containers as {how} that share their data; a change copies \
                 only the {block} blocks it touches, not the whole file.",
                driver.name()
            )
        }
    }
}

/// The layers of `chain_id` and below, bottom first. A broken parent chain ends the walk
/// rather than looping: there are never more layers in a chain than in the store.
fn chain(sim: &Simulator, chain_id: &Digest) -> Vec<Arc<Changeset>> {
    let store = sim.store();
    let mut out = Vec::new();
    let mut next = store.layer(chain_id);
    let limit = store.layers().count();
    while let Some(l) = next {
        if out.len() >= limit {
            break;
        }
        out.push(Arc::clone(&l.changeset));
        next = l.parent.as_ref().and_then(|p| store.layer(p));
    }
    out.reverse();
    out
}

/// How `old` became `new`; see [`Change`].
fn change(old: &Content, new: &Content) -> Change {
    match (old, new) {
        _ if old == new => Change::Appended,
        (Content::Bytes(a), Content::Bytes(b)) if b.starts_with(a) => Change::Appended,
        _ => Change::Rewritten,
    }
}

/// The image's bytes at `path` and below it.
fn hidden_bytes(image: &MergedView, path: &str) -> u64 {
    let own = image.lookup(path).map_or(0, |f| f.apparent_size());
    own + image.descendants(path).map(|f| f.apparent_size()).sum::<u64>()
}

/// What a container did to its writable layer, as operations on its image, in path order.
fn work_of(sim: &Simulator, c: &ContainerRecord) -> (ContainerWork, Outcome) {
    let layers: Vec<Arc<Changeset>> = sim
        .store()
        .image_layers(&c.image)
        .into_iter()
        .map(|l| Arc::clone(&l.changeset))
        .collect();
    let image = MergedView::new(layers);
    let mut work = ContainerWork {
        name: c.name.clone(),
        image: c.image_name.clone(),
        image_size: image.size(),
        changed: Vec::new(),
        new_files: 0,
        new_bytes: 0,
        deleted: 0,
        replaced: 0,
    };
    let mut events = Vec::new();
    for e in c.upper.iter() {
        let path = format!("/{}", e.path);
        match &e.kind {
            EntryKind::File(new) => match image.lookup(&e.path) {
                Some(found) if matches!(found.kind(), EntryKind::File(_)) => {
                    let old = match found.kind() {
                        EntryKind::File(old) => old,
                        _ => continue,
                    };
                    let change = change(old, new);
                    // A rewrite opens the file truncated, so its copy-up carries no data.
                    let (copied, offset) = match change {
                        Change::Appended => (old.len(), old.len()),
                        Change::Rewritten => (0, 0),
                    };
                    events.push(FsEvent::CopyUp {
                        path: path.clone(),
                        from_layer: found.layer,
                        bytes: copied,
                    });
                    events.push(FsEvent::Write {
                        path: path.clone(),
                        offset,
                        len: new.len().saturating_sub(offset),
                        file_len: new.len(),
                    });
                    work.replaced += old.len();
                    work.changed.push(ChangedFile {
                        path,
                        old_len: old.len(),
                        new_len: new.len(),
                        change,
                    });
                }
                _ => {
                    events.push(FsEvent::NewFile {
                        path,
                        bytes: new.len(),
                    });
                    work.new_files += 1;
                    work.new_bytes += new.len();
                }
            },
            EntryKind::Whiteout => {
                work.deleted += 1;
                work.replaced += hidden_bytes(&image, &e.path);
            }
            EntryKind::OpaqueDir => {
                work.replaced += image.descendants(&e.path).map(|f| f.apparent_size()).sum::<u64>();
            }
            // Directories, links and opaque markers hold no file data in any of the models.
            _ => {}
        }
    }
    (work, Outcome { events })
}

/// The four drivers on the lab's images and containers.
pub fn compare(sim: &Simulator) -> Comparison {
    let store = sim.store();
    let mut merged: HashMap<Digest, u64> = HashMap::new();
    let layers: Vec<LayerUsage> = store
        .layers()
        .map(|l| {
            let merged_size = *merged
                .entry(l.chain_id)
                .or_insert_with(|| MergedView::new(chain(sim, &l.chain_id)).size());
            LayerUsage {
                diff_size: l.size,
                merged_size,
            }
        })
        .collect();
    let work: Vec<(ContainerWork, Outcome)> = sim.containers().iter().map(|c| work_of(sim, c)).collect();
    let rows = Driver::ALL
        .into_iter()
        .map(|driver| {
            let mut copied = 0;
            let mut copied_at_create = 0;
            let mut one_byte_edits = 0;
            let mut usage = Vec::with_capacity(work.len());
            for (w, outcome) in &work {
                let mut ledger = Ledger::new(driver);
                ledger.record(outcome);
                let create = driver.container_create_cost(w.image_size);
                copied_at_create += create;
                copied += create + ledger.copied();
                one_byte_edits += w
                    .changed
                    .iter()
                    .map(|f| driver.first_write_cost(f.old_len, f.old_len / 2, 1))
                    .sum::<u64>();
                usage.push(ContainerUsage {
                    image_size: w.image_size,
                    allocated: ledger.allocated(),
                    replaced: w.replaced,
                });
            }
            let disk = driver.disk_usage(&layers, &usage);
            DriverRow {
                driver,
                copied,
                copied_at_create,
                one_byte_edits,
                layers: disk.layers,
                containers: disk.containers,
            }
        })
        .collect();
    Comparison {
        layers: layers.len(),
        images: store.images().count(),
        containers: work.into_iter().map(|(w, _)| w).collect(),
        rows,
    }
}

/// `value` as a whole percentage of `max`, for a bar's length; 0 when `max` is 0.
pub fn percent(value: u64, max: u64) -> u32 {
    if max == 0 {
        return 0;
    }
    let p = (u128::from(value.min(max)) * 100).div_ceil(u128::from(max));
    u32::try_from(p).unwrap_or(100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use layerlab_core::driver::{BTRFS_BLOCK, ZFS_RECORD};

    fn lab(lines: &[&str]) -> Simulator {
        let mut sim = Simulator::new();
        for line in lines {
            let out = sim.run_line(line);
            assert_eq!(out.exit_code, 0, "{line}: {}", out.stderr);
        }
        sim
    }

    fn row(c: &Comparison, d: Driver) -> DriverRow {
        c.rows
            .iter()
            .copied()
            .find(|r| r.driver == d)
            .expect("a row per driver")
    }

    #[test]
    fn images_alone_cost_more_only_under_vfs() {
        let c = compare(&lab(&["docker pull nginx:1.15.8"]));
        assert_eq!(c.rows.len(), 4);
        assert!(c.containers.is_empty());
        let overlay = row(&c, Driver::Overlay2);
        let vfs = row(&c, Driver::Vfs);
        assert_eq!(overlay.copied, 0);
        assert_eq!(overlay.containers, 0);
        // Each vfs layer holds everything below it too.
        assert!(vfs.layers > overlay.layers);
        assert_eq!(row(&c, Driver::Btrfs).on_disk(), overlay.on_disk());
        assert_eq!(row(&c, Driver::Zfs).on_disk(), overlay.on_disk());
        assert!(c.workload().contains("no containers yet"));
        assert!(c.headline().is_some_and(|h| {
            h.starts_with("Here vfs needs ")
                && h.contains(" times the disk of overlay2")
                && !h.contains("one byte")
        }));
        assert!(
            c.workload()
                .starts_with("The workload is the lab as it is now: 1 image with 3 distinct layers on disk")
        );
    }

    #[test]
    fn an_append_copies_the_file_under_overlay2_and_its_last_block_under_block_drivers() {
        let sim = lab(&[
            "docker run -d --name web nginx:1.15.8",
            "docker exec web sh -c \"echo hi >> /etc/nginx/nginx.conf\"",
        ]);
        let c = compare(&sim);
        let web = c.containers.iter().find(|w| w.name == "web").expect("web");
        let conf = web
            .changed
            .iter()
            .find(|f| f.path == "/etc/nginx/nginx.conf")
            .expect("nginx.conf changed");
        assert_eq!(conf.new_len, conf.old_len + 3);
        assert_eq!(conf.change, Change::Appended);
        let overlay = row(&c, Driver::Overlay2);
        assert_eq!(overlay.copied, conf.old_len);
        // nginx.conf is smaller than a zfs record, so zfs rewrites all of it; btrfs only the
        // part of it in its last 4 KiB block.
        let tail = conf.old_len % BTRFS_BLOCK;
        assert!(conf.old_len < ZFS_RECORD && tail > 0, "{}", conf.old_len);
        assert_eq!(row(&c, Driver::Btrfs).copied, tail);
        assert_eq!(row(&c, Driver::Zfs).copied, conf.old_len);
        let vfs = row(&c, Driver::Vfs);
        assert_eq!(
            vfs.copied, web.image_size,
            "vfs copies the whole image for the container"
        );
        assert_eq!(vfs.copied_at_create, web.image_size);
        // overlay2 holds the whole copied file plus the container's new files; btrfs the rewritten
        // tail and the new bytes.
        assert_eq!(overlay.containers, conf.new_len + web.new_bytes);
        assert_eq!(row(&c, Driver::Btrfs).containers, tail + 3 + web.new_bytes);
        assert!(vfs.on_disk() > overlay.on_disk());
        // vfs's copy of the image holds the new nginx.conf instead of the old one.
        assert_eq!(
            vfs.containers,
            web.image_size - conf.old_len + conf.new_len + web.new_bytes
        );
        assert!(
            c.workload().contains("web (nginx:1.15.8) changed 1 file"),
            "{}",
            c.workload()
        );
    }

    #[test]
    fn a_chmod_of_a_large_file_and_one_byte_edits_show_the_block_sizes() {
        // 1 MiB in a layer made by a commit; a container of that image changes only its mode.
        let sim = lab(&[
            "docker run -d --name one busybox sleep 1000",
            "docker exec one dd if=/dev/zero of=/big bs=1024 count=1024",
            "docker commit one big:1",
            "docker run -d --name two big:1 sleep 1000",
            "docker exec two chmod 600 /big",
            "docker exec two sh -c \"echo new > /etc/group\"",
        ]);
        let c = compare(&sim);
        let two = c.containers.iter().find(|w| w.name == "two").expect("two");
        let big = two
            .changed
            .iter()
            .find(|f| f.path == "/big")
            .expect("/big changed");
        assert_eq!(
            (big.old_len, big.new_len, big.change),
            (1 << 20, 1 << 20, Change::Appended)
        );
        let group = two.changed.iter().find(|f| f.path == "/etc/group");
        let group_len = group.map_or(0, |f| f.old_len);
        assert!(group_len > 0, "busybox has an /etc/group");
        assert_eq!(group.map(|f| f.change), Some(Change::Rewritten));
        // overlay2 copies the whole file for a mode change; the rewritten one costs no copy.
        assert_eq!(row(&c, Driver::Overlay2).copied, 1 << 20);
        assert_eq!(row(&c, Driver::Btrfs).copied, 0);
        // One byte in the middle of each changed file: a whole file, a block, a record.
        let edits = |d| row(&c, d).one_byte_edits;
        assert_eq!(edits(Driver::Overlay2), (1 << 20) + group_len);
        assert_eq!(edits(Driver::Btrfs), BTRFS_BLOCK + group_len.min(BTRFS_BLOCK));
        assert_eq!(edits(Driver::Zfs), ZFS_RECORD + group_len.min(ZFS_RECORD));
        assert_eq!(edits(Driver::Vfs), 0);
        assert!(
            c.headline()
                .is_some_and(|h| h.contains("would copy 1.05MB under overlay2 but")),
            "{:?}",
            c.headline()
        );
    }

    #[test]
    fn deleting_frees_space_only_where_the_container_has_its_own_copy() {
        let before = compare(&lab(&["docker run -d --name web nginx:1.15.8"]));
        let after = compare(&lab(&[
            "docker run -d --name web nginx:1.15.8",
            "docker exec web rm -r /usr/share/nginx",
        ]));
        let web = after.containers.first().expect("web");
        assert_eq!(web.deleted, 1);
        assert!(web.replaced > 800, "the two html files: {}", web.replaced);
        let disk = |c: &Comparison, d| row(c, d).on_disk();
        assert_eq!(
            disk(&after, Driver::Vfs),
            disk(&before, Driver::Vfs) - web.replaced
        );
        for d in [Driver::Overlay2, Driver::Btrfs, Driver::Zfs] {
            assert_eq!(
                disk(&after, d),
                disk(&before, d),
                "{}: a whiteout frees nothing",
                d.name()
            );
        }
    }

    #[test]
    fn whys_name_the_block_sizes_and_bars_never_divide_by_zero() {
        assert!(why(Driver::Btrfs).contains("4 KiB"));
        assert!(why(Driver::Zfs).contains("128 KiB"));
        assert!(why(Driver::Overlay2).contains("whole file"));
        assert!(why(Driver::Vfs).contains("full copy"));
        assert_eq!(percent(5, 0), 0);
        assert_eq!(percent(0, 10), 0);
        assert_eq!(percent(1, 1000), 1, "a non-zero value shows at least a sliver");
        assert_eq!(percent(u64::MAX, u64::MAX), 100);
        assert_eq!(percent(20, 10), 100);
        assert_eq!(times(25, 10), "2.5 times");
        assert_eq!(times(10, 10), "about as much as");
        assert_eq!(times(1, 0), "about as much as");
        let empty = compare(&Simulator::new());
        assert_eq!(empty.headline(), None);
        assert_eq!(empty.max_copied(), 0);
        assert_eq!(empty.max_on_disk(), 0);
    }
}
