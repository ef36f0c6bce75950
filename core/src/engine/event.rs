//! What happened underneath a command: the story the browser animates and `--explain` tells.

use serde::{Deserialize, Serialize};

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
}

impl Event {
    /// The event in plain words, one line.
    pub fn explain(&self) -> String {
        match self {
            Event::LayerPulled {
                chain_id,
                blob_size,
                size,
                ..
            } => format!(
                "downloaded layer {} ({blob_size} bytes compressed) and unpacked it: {size} bytes on disk, chain ID {}",
                short(chain_id),
                short(chain_id)
            ),
            Event::LayerAlreadyExists {
                chain_id, used_by, ..
            } => format!(
                "layer {} was already on disk (used by {}), so it was reused, not downloaded",
                short(chain_id),
                used_by.join(", ")
            ),
        }
    }
}

fn short(d: &Digest) -> String {
    d.short()
}
