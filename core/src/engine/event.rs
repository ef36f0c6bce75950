//! What happened underneath a command: the story the browser animates and `--explain` tells.

use serde::{Deserialize, Serialize};

use crate::cli::format::human_size;
use crate::digest::Digest;

/// One thing the engine did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Event {
    /// A layer blob was downloaded and unpacked.
    LayerPulled {
        chain_id: Digest,
        diff_id: Digest,
        blob: Digest,
        blob_size: u64,
        size: u64,
    },
    /// A layer with this chain ID was on disk already, so nothing was downloaded.
    LayerAlreadyExists {
        chain_id: Digest,
        blob: Digest,
        used_by: Vec<String>,
    },
    /// A layer no image uses any more was deleted.
    LayerFreed {
        chain_id: Digest,
        size: u64,
    },
    /// A layer was made here, by `build` or `commit`.
    LayerCreated {
        chain_id: Digest,
        diff_id: Digest,
        size: u64,
    },
    ImageCreated {
        image: Digest,
        name: String,
    },
    ImageTagged {
        image: Digest,
        name: String,
    },
    ImageUntagged {
        name: String,
    },
    ImageDeleted {
        image: Digest,
    },
    ContainerCreated {
        id: Digest,
        name: String,
        image: Digest,
    },
    ContainerStarted {
        id: Digest,
    },
    ContainerExited {
        id: Digest,
        code: i32,
    },
    /// `run` without `-d` of a server: stopped at once, as Ctrl-C would.
    ForegroundStopped {
        id: Digest,
    },
    ContainerRemoved {
        id: Digest,
        name: String,
        freed: u64,
    },
    /// A file from an image layer was copied whole into the writable layer before its first change.
    CopyUp {
        container: String,
        path: String,
        bytes: u64,
    },
    /// A file in the writable layer now has this many bytes.
    FileWritten {
        container: String,
        path: String,
        bytes: u64,
    },
    /// A whiteout now hides a path that an image layer has.
    Whiteout {
        container: String,
        path: String,
    },
    /// A directory was made again after being removed: it is opaque and hides what lies below it.
    OpaqueDir {
        container: String,
        path: String,
    },
    /// A lower directory was renamed: overlayfs refuses (EXDEV), so it was copied instead.
    RenameCopied {
        container: String,
        path: String,
    },
    VolumeCreated {
        name: String,
    },
    VolumeRemoved {
        name: String,
        freed: u64,
    },
    /// The json-file log reached `max-size` and was rotated.
    LogRotated {
        id: Digest,
        rotations: u32,
    },
    /// One Dockerfile instruction was run.
    BuildStep {
        step: usize,
        instruction: String,
        made_layer: bool,
    },
}

impl Event {
    /// The event in plain words, one line.
    pub fn explain(&self) -> String {
        match self {
            Event::LayerPulled {
                chain_id,
                blob,
                blob_size,
                size,
                ..
            } => format!(
                "downloaded blob {} ({} compressed) and unpacked it into layer {} ({} on disk)",
                blob.short(),
                human_size(*blob_size),
                chain_id.short(),
                human_size(*size)
            ),
            Event::LayerAlreadyExists {
                chain_id, used_by, ..
            } => format!(
                "layer {} was already on disk (chain ID matches a layer of {}): reused, nothing downloaded",
                chain_id.short(),
                if used_by.is_empty() {
                    "another image".to_string()
                } else {
                    used_by.join(", ")
                }
            ),
            Event::LayerFreed { chain_id, size } => format!(
                "layer {} was used by no other image, so it was deleted ({} freed)",
                chain_id.short(),
                human_size(*size)
            ),
            Event::LayerCreated { chain_id, size, .. } => {
                format!(
                    "made layer {} ({}) from the changes",
                    chain_id.short(),
                    human_size(*size)
                )
            }
            Event::ImageCreated { image, name } => format!("image {} ({name}) now exists", image.short()),
            Event::ImageTagged { image, name } => {
                format!("the name {name} now points at image {}", image.short())
            }
            Event::ImageUntagged { name } => format!("the name {name} was removed"),
            Event::ImageDeleted { image } => format!("image {} was deleted", image.short()),
            Event::ContainerCreated { id, name, image } => format!(
                "container {} ({name}) was created: an empty writable layer on top of image {}",
                id.short(),
                image.short()
            ),
            Event::ContainerStarted { id } => format!("container {} started", id.short()),
            Event::ContainerExited { id, code } => {
                format!("container {} exited with status {code}", id.short())
            }
            Event::ForegroundStopped { id } => format!(
                "container {} runs a server that would hold the terminal; the lab stopped it as Ctrl-C would (use -d to keep it up)",
                id.short()
            ),
            Event::ContainerRemoved { id, name, freed } => format!(
                "container {} ({name}) was removed with its writable layer, log and config ({} freed)",
                id.short(),
                human_size(*freed)
            ),
            Event::CopyUp {
                container,
                path,
                bytes: 0,
            } => format!(
                "{container}: {path} came from an image layer, so it was copied up into the writable layer first (it was opened for overwriting, so none of its old bytes had to be copied)"
            ),
            Event::CopyUp {
                container,
                path,
                bytes,
            } => format!(
                "{container}: {path} came from an image layer, so the whole file ({}) was copied up into the writable layer first",
                human_size(*bytes)
            ),
            Event::FileWritten {
                container,
                path,
                bytes,
            } => {
                format!(
                    "{container}: {path} written in the writable layer ({})",
                    human_size(*bytes)
                )
            }
            Event::Whiteout { container, path } => format!(
                "{container}: {path} is in an image layer, which cannot change: a whiteout in the writable layer now hides it"
            ),
            Event::OpaqueDir { container, path } => format!(
                "{container}: {path} was removed and made again: it is an opaque directory that hides the image's copy"
            ),
            Event::RenameCopied { container, path } => format!(
                "{container}: renaming {path}, a directory from an image layer, fails with EXDEV under overlay; it was copied instead"
            ),
            Event::VolumeCreated { name } => format!("volume {name} was created outside every layer"),
            Event::VolumeRemoved { name, freed } => {
                format!("volume {name} was removed ({} freed)", human_size(*freed))
            }
            Event::LogRotated { id, rotations } => format!(
                "the json-file log of {} reached max-size and was rotated {rotations} time(s)",
                id.short()
            ),
            Event::BuildStep {
                step,
                instruction,
                made_layer,
            } => format!(
                "step {step}: {instruction} {}",
                if *made_layer {
                    "made a layer"
                } else {
                    "changed only the config (no layer)"
                }
            ),
        }
    }
}
