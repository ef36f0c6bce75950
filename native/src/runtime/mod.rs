//! The container runtime: runs a process in a prepared root filesystem, like runc or crun but
//! small.
//!
//! Public API (each module's own doc lists its items):
//! - [`rootfs`]: a container's directories, the init layer, overlay or vfs ([`ContainerLayout`],
//!   [`StorageDriver`], [`RootfsMount`]).
//! - [`mounts`]: the mount plan as data ([`plan_mounts`], [`MountPlan::apply`]).
//! - [`syscall`]: the OS calls behind a trait, with a recording double ([`Syscall`]).
//! - [`vfs`]: the copying storage driver.

pub mod caps;
pub mod cgroups;
pub mod changes;
pub mod etc;
pub mod logs;
pub mod mounts;
pub mod net;
pub mod process;
pub mod rootfs;
pub mod spawn;
pub mod syscall;
pub mod user;
pub mod vfs;

pub use mounts::{BindMount, EtcFiles, MountPlan, NetworkMode, plan_mounts};
pub use rootfs::{ContainerLayout, RootfsMount, StorageDriver};
pub use syscall::{LinuxSyscall, RecordingSyscall, Syscall};
