//! Layer snapshots: every layer unpacked once, into its own directory named by its chain ID, and
//! shared by every image and container whose stack contains it.
//!
//! Public API:
//! - [`Snapshotter::open`]`(data_root)`: `<root>/snapshots/` (0700).
//! - [`Snapshotter::unpack`]`(chain_id, blob, &UnpackOptions, expected_diff_id) -> UnpackStats`:
//!   unpacks into `<chain>.partial/`, checks the diff ID, then renames to `<chain>/`. A failed or
//!   killed unpack never leaves a directory under the committed name.
//! - [`Snapshotter::diff_dir`] (the overlayfs lower dir of a layer), [`Snapshotter::exists`],
//!   [`Snapshotter::remove`], [`Snapshotter::list`].
//! - The unpacker itself, [`unpack::unpack`], which treats every tar as hostile.
//!
//! Layout: `<root>/snapshots/<chain hex>/diff/` holds the layer's files, with whiteouts already in
//! overlayfs form, so a container's mount is `lowerdir=<top>/diff:…:<bottom>/diff` (containerd's
//! overlay snapshotter keeps the same shape: prepare, commit, view).

pub mod tar_guard;
pub mod unpack;

use std::fs;
use std::io::{self, BufRead};
use std::path::{Path, PathBuf};

use layerlab_core::digest::Digest;

use crate::content_store::{LockGuard, StoreError, lock_file, make_private_dir};
pub use unpack::{Compression, SkipReason, Skipped, UnpackError, UnpackOptions, UnpackStats, WhiteoutMode};

/// Why a snapshot operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("failed to register layer {chain_id}: {source}")]
    Unpack { chain_id: Digest, source: UnpackError },
    #[error("filesystem layer verification failed for digest {expected}: the uncompressed layer is {actual}")]
    DiffIdMismatch { expected: Digest, actual: Digest },
}

/// The snapshot directories of one data root.
#[derive(Debug, Clone)]
pub struct Snapshotter {
    dir: PathBuf,
}

impl Snapshotter {
    /// Opens (creating if needed) `<data_root>/snapshots`.
    pub fn open(data_root: &Path) -> Result<Self, SnapshotError> {
        let dir = data_root.join("snapshots");
        make_private_dir(&dir)?;
        Ok(Self { dir })
    }

    fn committed(&self, chain_id: &Digest) -> PathBuf {
        self.dir.join(chain_id.hex())
    }

    /// The directory holding the layer's files: what overlayfs takes as a lower dir.
    pub fn diff_dir(&self, chain_id: &Digest) -> PathBuf {
        self.committed(chain_id).join("diff")
    }

    /// Whether the layer with this chain ID is unpacked and verified.
    pub fn exists(&self, chain_id: &Digest) -> bool {
        self.diff_dir(chain_id).is_dir()
    }

    fn lock(&self, chain_id: &Digest) -> Result<LockGuard, SnapshotError> {
        Ok(lock_file(&self.dir.join(format!("{}.lock", chain_id.hex())))?)
    }

    /// Unpacks `blob` as the layer `chain_id`, checking that its uncompressed content is
    /// `expected_diff_id`. Returns `None` when the snapshot already exists (another pull made it).
    pub fn unpack(
        &self,
        chain_id: &Digest,
        blob: impl BufRead,
        opts: &UnpackOptions,
        expected_diff_id: &Digest,
    ) -> Result<Option<UnpackStats>, SnapshotError> {
        let _lock = self.lock(chain_id)?;
        if self.exists(chain_id) {
            return Ok(None);
        }
        let partial = self.dir.join(format!("{}.partial", chain_id.hex()));
        // Whatever is here was left by a killed unpack: it was never verified.
        remove_tree(&partial)?;
        make_private_dir(&partial)?;
        let diff = partial.join("diff");
        fs::create_dir(&diff).map_err(|source| SnapshotError::Io {
            action: "create",
            path: diff.clone(),
            source,
        })?;
        let result = unpack::unpack(blob, &diff, opts)
            .map_err(|source| SnapshotError::Unpack {
                chain_id: *chain_id,
                source,
            })
            .and_then(|stats| {
                if stats.diff_id == *expected_diff_id {
                    Ok(stats)
                } else {
                    Err(SnapshotError::DiffIdMismatch {
                        expected: *expected_diff_id,
                        actual: stats.diff_id,
                    })
                }
            });
        match result {
            Ok(stats) => {
                let target = self.committed(chain_id);
                fs::rename(&partial, &target).map_err(|source| SnapshotError::Io {
                    action: "rename into",
                    path: target,
                    source,
                })?;
                Ok(Some(stats))
            }
            Err(e) => {
                remove_tree(&partial)?;
                Err(e)
            }
        }
    }

    /// Removes a layer's snapshot (no error if it is not there).
    pub fn remove(&self, chain_id: &Digest) -> io::Result<()> {
        let target = self.committed(chain_id);
        // Rename first so that a half-removed tree never sits under a committed name.
        let doomed = self.dir.join(format!("{}.removing", chain_id.hex()));
        match fs::rename(&target, &doomed) {
            Ok(()) => fs::remove_dir_all(&doomed),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Docker's size of a layer, measured from its snapshot: file lengths (hardlinked files
    /// once) plus symlink target lengths; directories and whiteouts count nothing.
    pub fn content_bytes(&self, chain_id: &Digest) -> Result<u64, SnapshotError> {
        use std::os::unix::fs::MetadataExt;
        let mut seen = std::collections::HashSet::new();
        let mut total = 0u64;
        let mut stack = vec![self.diff_dir(chain_id)];
        while let Some(dir) = stack.pop() {
            let entries = fs::read_dir(&dir).map_err(|source| SnapshotError::Io {
                action: "list",
                path: dir.clone(),
                source,
            })?;
            for e in entries {
                let e = e.map_err(|source| SnapshotError::Io {
                    action: "list",
                    path: dir.clone(),
                    source,
                })?;
                let path = e.path();
                let m = fs::symlink_metadata(&path).map_err(|source| SnapshotError::Io {
                    action: "stat",
                    path: path.clone(),
                    source,
                })?;
                let ft = m.file_type();
                if ft.is_dir() {
                    stack.push(path);
                } else if ft.is_symlink() {
                    total += fs::read_link(&path)
                        .map(|t| t.as_os_str().len() as u64)
                        .unwrap_or(0);
                } else if ft.is_file() && seen.insert((m.dev(), m.ino())) {
                    total += m.len();
                }
            }
        }
        Ok(total)
    }

    /// The chain IDs of every committed snapshot.
    pub fn list(&self) -> Result<Vec<Digest>, SnapshotError> {
        let mut out = Vec::new();
        let entries = fs::read_dir(&self.dir).map_err(|source| SnapshotError::Io {
            action: "list",
            path: self.dir.clone(),
            source,
        })?;
        for e in entries.flatten() {
            if let Some(Ok(d)) = e
                .file_name()
                .to_str()
                .map(|n| format!("sha256:{n}").parse::<Digest>())
            {
                out.push(d);
            }
        }
        out.sort();
        Ok(out)
    }
}

/// Removes a tree if it exists. `std::fs::remove_dir_all` does not follow symlinks inside it.
fn remove_tree(path: &Path) -> Result<(), SnapshotError> {
    match fs::remove_dir_all(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(SnapshotError::Io {
            action: "remove",
            path: path.to_owned(),
            source: e,
        }),
        _ => Ok(()),
    }
}
