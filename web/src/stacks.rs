//! What the layer picture shows, read from the simulator: each image as its stack of layers,
//! bottom first, with the rows of its history that made no layer kept in place, and each
//! container as a thin writable layer on top of the image it was created from.

use layerlab_core::digest::Digest;
use layerlab_core::engine::{ContainerState, Simulator};
use layerlab_core::store::LayerRecord;

/// One image's stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageStack {
    pub id: Digest,
    /// `repository:tag` names; empty for an untagged image.
    pub names: Vec<String>,
    /// Bottom first, as the layers are applied.
    pub rows: Vec<StackRow>,
    pub containers: Vec<ContainerLayer>,
    /// The image's size: the sum of its layers.
    pub size: u64,
}

impl ImageStack {
    /// How Docker would name the image in `docker images`: its first tag, or `<none>`.
    pub fn label(&self) -> String {
        self.names
            .first()
            .cloned()
            .unwrap_or_else(|| format!("<none> ({})", self.id.short()))
    }
}

/// One row of an image's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackRow {
    /// The Dockerfile instruction, as readable as the history lets us make it.
    pub instruction: String,
    pub kind: RowKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowKind {
    /// A layer on disk.
    Layer {
        chain_id: Digest,
        size: u64,
        /// How many other images have this very layer (same chain ID) in their stack.
        shared_with: usize,
    },
    /// An instruction that only changed the config (`CMD`, `ENV`, `EXPOSE`, ...): a history row
    /// with no layer behind it.
    Empty,
}

/// A container's writable layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerLayer {
    pub name: String,
    pub short_id: String,
    /// Bytes in the writable layer: `docker ps -s`'s SIZE.
    pub size_rw: u64,
    pub running: bool,
}

/// Every image in the simulator, sorted by name (untagged ones last), each with its containers.
pub fn stacks(sim: &Simulator) -> Vec<ImageStack> {
    let store = sim.store();
    let mut out: Vec<ImageStack> = store
        .images()
        .map(|image| {
            let layers = store.image_layers(&image.id);
            let shared_with = |l: &LayerRecord| store.users_of(&l.chain_id).images.len().saturating_sub(1);
            let layer_row = |l: &LayerRecord, instruction: String| StackRow {
                instruction,
                kind: RowKind::Layer {
                    chain_id: l.chain_id,
                    size: l.size,
                    shared_with: shared_with(l),
                },
            };
            let mut rows = Vec::new();
            let mut next_layer = layers.iter();
            for h in image.config.history().as_deref().unwrap_or_default() {
                let instruction = instruction(h.created_by().as_deref().unwrap_or_default());
                if h.empty_layer().unwrap_or(false) {
                    rows.push(StackRow {
                        instruction,
                        kind: RowKind::Empty,
                    });
                } else if let Some(l) = next_layer.next() {
                    rows.push(layer_row(l, instruction));
                }
            }
            // A config may carry fewer history entries than layers; the layers still exist.
            rows.extend(next_layer.map(|l| layer_row(l, "(no history for this layer)".to_owned())));
            let containers = sim
                .containers()
                .iter()
                .filter(|c| c.image == image.id)
                .map(|c| ContainerLayer {
                    name: c.name.clone(),
                    short_id: c.id.short(),
                    size_rw: sim.container_size(c).size_rw,
                    running: matches!(c.state, ContainerState::Running { .. }),
                })
                .collect();
            ImageStack {
                id: image.id,
                names: store.tags_of(&image.id),
                rows,
                containers,
                size: layers.iter().map(|l| l.size).sum(),
            }
        })
        .collect();
    layerlab_core::sort::sort_by(&mut out, |a, b| {
        (a.names.is_empty(), &a.names, a.id).cmp(&(b.names.is_empty(), &b.names, b.id))
    });
    out
}

/// The instruction behind a history row's `created_by`, in Dockerfile words: the classic builder
/// records `RUN` as `/bin/sh -c <cmd>` and metadata instructions as `/bin/sh -c #(nop) <INSTR>`;
/// BuildKit appends ` # buildkit`.
pub fn instruction(created_by: &str) -> String {
    let text = created_by.trim();
    let text = text.strip_suffix("# buildkit").unwrap_or(text).trim_end();
    if let Some(rest) = text.strip_prefix("/bin/sh -c #(nop)") {
        return rest.trim().to_owned();
    }
    if let Some(rest) = text.strip_prefix("/bin/sh -c ") {
        return format!("RUN {}", rest.trim());
    }
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_text_reads_as_dockerfile_instructions() {
        assert_eq!(
            instruction("/bin/sh -c #(nop)  CMD [\"nginx\"]"),
            "CMD [\"nginx\"]"
        );
        assert_eq!(instruction("/bin/sh -c apt-get update"), "RUN apt-get update");
        assert_eq!(instruction("COPY app/ /app/ # buildkit"), "COPY app/ /app/");
        assert_eq!(instruction(""), "");
    }
}
