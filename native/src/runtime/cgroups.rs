//! Resource limits (`--memory`, `--pids-limit`) through cgroups, best effort: where a controller
//! is not available the limit is dropped with Docker's warning rather than failing the run.
//!
//! Public API:
//! - [`Limits`]: what was asked for.
//! - [`Cgroups::setup`]`(id, &Limits) -> Cgroups`: makes the groups and writes the limits;
//!   [`Cgroups::warnings`], [`Cgroups::procs_files`] (what the container's first process joins),
//!   [`Cgroups::remove`].
//!
//! Both layouts are handled: cgroup v2 alone at `/sys/fs/cgroup`, and the hybrid layout where
//! the v1 `memory` and `pids` hierarchies sit under `/sys/fs/cgroup/<controller>` (this lab's
//! machines). A controller is used from whichever hierarchy has it.

use std::fs;
use std::path::{Path, PathBuf};

/// Requested limits; `None` means unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// Bytes (`--memory`).
    pub memory: Option<u64>,
    /// Processes (`--pids-limit`); 0 or negative means unlimited, as in Docker.
    pub pids: Option<i64>,
}

/// Docker's words when the kernel cannot apply a limit.
pub const NO_MEMORY_WARNING: &str = "Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.";
pub const NO_PIDS_WARNING: &str = "Your kernel does not support pids limit capabilities or the cgroup is not mounted. PIDs limit discarded.";

/// The groups made for one container.
#[derive(Debug, Default)]
pub struct Cgroups {
    dirs: Vec<PathBuf>,
    warnings: Vec<String>,
}

const ROOT: &str = "/sys/fs/cgroup";
const PARENT: &str = "layerlab";

/// The v2 hierarchy if it has `controller` available: the whole of `/sys/fs/cgroup` on a pure
/// v2 machine, `/sys/fs/cgroup/unified` on a hybrid one.
fn v2_root_with(controller: &str) -> Option<PathBuf> {
    [Path::new(ROOT), &Path::new(ROOT).join("unified")]
        .into_iter()
        .find(|root| {
            fs::read_to_string(root.join("cgroup.controllers"))
                .map(|c| c.split_whitespace().any(|x| x == controller))
                .unwrap_or(false)
        })
        .map(Path::to_path_buf)
}

impl Cgroups {
    /// Make a group per controller needed and write the limits. Anything that fails becomes a
    /// warning; the container runs without that limit.
    pub fn setup(id: &str, limits: &Limits) -> Cgroups {
        let mut cg = Cgroups::default();
        if let Some(bytes) = limits.memory {
            let ok = cg.try_limit(
                id,
                "memory",
                "memory.max",
                "memory.limit_in_bytes",
                &bytes.to_string(),
            );
            if !ok {
                cg.warnings.push(NO_MEMORY_WARNING.to_owned());
            }
        }
        if let Some(pids) = limits.pids.filter(|p| *p > 0) {
            let ok = cg.try_limit(id, "pids", "pids.max", "pids.max", &pids.to_string());
            if !ok {
                cg.warnings.push(NO_PIDS_WARNING.to_owned());
            }
        }
        cg
    }

    fn try_limit(&mut self, id: &str, controller: &str, v2_file: &str, v1_file: &str, value: &str) -> bool {
        let (dir, file) = if let Some(root) = v2_root_with(controller) {
            // v2 passes a controller down only where the parent enables it for its children.
            let parent = root.join(PARENT);
            if fs::create_dir_all(&parent).is_err() {
                return false;
            }
            let _ = fs::write(root.join("cgroup.subtree_control"), format!("+{controller}"));
            let _ = fs::write(parent.join("cgroup.subtree_control"), format!("+{controller}"));
            (parent.join(id), v2_file)
        } else {
            let v1 = Path::new(ROOT).join(controller);
            if !v1.join("cgroup.procs").exists() {
                return false;
            }
            (v1.join(PARENT).join(id), v1_file)
        };
        if fs::create_dir_all(&dir).is_err() {
            return false;
        }
        if !self.dirs.contains(&dir) {
            self.dirs.push(dir.clone());
        }
        fs::write(dir.join(file), value).is_ok()
    }

    /// Docker-worded warnings for limits that could not be applied.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The `cgroup.procs` files a process writes `0` into to join every group.
    pub fn procs_files(&self) -> Vec<PathBuf> {
        self.dirs.iter().map(|d| d.join("cgroup.procs")).collect()
    }

    /// Remove the groups once the container has exited. The kernel frees a group a moment after
    /// its last process is reaped, so a busy group is retried briefly.
    pub fn remove(&self) {
        for dir in &self.dirs {
            for _ in 0..50 {
                if fs::remove_dir(dir).is_ok() || !dir.exists() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_limits_means_no_groups_and_no_warnings() {
        let cg = Cgroups::setup("test-none", &Limits::default());
        assert!(cg.procs_files().is_empty());
        assert!(cg.warnings().is_empty());
        let cg = Cgroups::setup(
            "test-zero",
            &Limits {
                memory: None,
                pids: Some(0),
            },
        );
        assert!(cg.procs_files().is_empty());
    }
}
