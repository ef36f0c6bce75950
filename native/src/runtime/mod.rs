//! The container runtime: runs a process in a prepared root filesystem, like runc or crun but
//! small.
//!
//! Public API (each module's doc lists its items in full):
//! - [`spawn`]: [`run`]`(&ContainerSpec, &RunOptions) -> Result<ExitCode, RunError>`,
//!   [`start`] then [`Running::wait`]; [`RunError::exit_code`] gives Docker's 125/126/127.
//! - [`detach`]: [`start_detached`]`(&ContainerSpec) -> Result<Detached, RunError>` and the
//!   monitor's [`ContainerState`] (`state.json`).
//! - [`rootfs`]: a container's directories and init layer, overlay or vfs ([`ContainerLayout`],
//!   [`StorageDriver`], [`RootfsMount`]); [`vfs`]: the copying driver.
//! - [`changes`]: [`container_size`] (`ps -s`) and [`container_changes`] (`diff`) for either
//!   driver; underneath, [`upper_size`] and [`changes()`](changes::changes) for overlay.
//! - [`mounts`]: the mount plan as data ([`plan_mounts`], [`MountPlan::apply`]).
//! - [`syscall`]: the OS calls behind a trait, with a recording double ([`Syscall`]).
//! - [`process`]: command line, environment, PATH lookup, exit codes; [`user`]: `-u` against the
//!   image's `/etc/passwd` and `/etc/group`.
//! - [`tty`]: the pseudo-terminal of `run -t` and the caller's raw mode.
//! - [`logs`]: json-file logs; [`cgroups`]: `--memory`, `--pids-limit`; [`etc`]: hostname, hosts,
//!   resolv.conf; [`caps`]: Docker's default capabilities; [`net`]: loopback.
//!
//! A container's lifetime, for the engine: make a [`ContainerSpec`] (the container ID, a
//! [`ContainerLayout`] under the engine's container directory, the image's layer snapshot
//! directories top first, the process from the image config and the command line), then call
//! [`run`] (attached) or [`start_detached`] (`-d`); set `auto_remove` for `--rm` and delete it
//! afterwards with [`ContainerLayout::remove`]. Stop a container by signalling its pid
//! ([`Running::pid`], [`Detached::pid`], [`ContainerState::pid`]).

pub mod caps;
pub mod cgroups;
pub mod changes;
pub mod detach;
pub mod etc;
pub mod logs;
pub mod mounts;
pub mod net;
pub mod process;
pub mod rootfs;
pub mod spawn;
pub mod syscall;
pub mod tty;
pub mod user;
pub mod vfs;

pub use cgroups::Limits;
pub use changes::{Change, ChangeKind, container_changes, container_size, upper_size};
pub use detach::{ContainerState, Detached, start_detached, start_detached_with};
pub use mounts::{BindMount, EtcFiles, MountPlan, NetworkMode, plan_mounts};
pub use process::{ExitCode, ProcessSpec};
pub use rootfs::{ContainerLayout, RootfsMount, StorageDriver};
pub use spawn::{ContainerSpec, RunError, RunOptions, Running, run, start};
pub use syscall::{LinuxSyscall, RecordingSyscall, Syscall};
