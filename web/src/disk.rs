//! What the disk ledger panel shows: each container's SIZE and virtual size as `docker ps -s`
//! reports them, the lesson's formula worked out with the current numbers, and everything else
//! on the disk that the formula does not count.

use layerlab_core::accounting::{self, ContainerSize, Ledger};
use layerlab_core::cli::format::human_size;
use layerlab_core::engine::Simulator;

/// One container's sizes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerRow {
    pub name: String,
    /// The image as the container was created from it (`docker ps`'s IMAGE column).
    pub image: String,
    /// The writable layer (SIZE).
    pub size: u64,
    /// Image plus writable layer (the "virtual" figure in brackets).
    pub virtual_size: u64,
}

/// The lesson's formula for the containers of one image: Σ size + one container's
/// (virtual − size).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formula {
    pub image: String,
    /// Each container's SIZE.
    pub sizes: Vec<u64>,
    /// virtual − size, which is the same for every container of the image: the image itself.
    pub shared: u64,
    pub total: u64,
}

impl Formula {
    /// `2B + 0B + 109MB = 109MB`: the sum written out with today's numbers.
    pub fn worked(&self) -> String {
        let mut terms: Vec<String> = self.sizes.iter().map(|s| human_size(*s)).collect();
        terms.push(human_size(self.shared));
        format!("{} = {}", terms.join(" + "), human_size(self.total))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskView {
    pub containers: Vec<ContainerRow>,
    /// One per image that has containers, in the order of their first container.
    pub formulas: Vec<Formula>,
    /// What adding up the virtual sizes would claim: the mistake the lesson warns about.
    pub naive_total: u64,
    pub ledger: Ledger,
}

impl DiskView {
    pub fn of(sim: &Simulator) -> Self {
        let mut containers = Vec::new();
        let mut groups: Vec<(String, Vec<ContainerSize>)> = Vec::new();
        for c in sim.containers() {
            let size = sim.container_size(c);
            containers.push(ContainerRow {
                name: c.name.clone(),
                image: c.image_name.clone(),
                size: size.size_rw,
                virtual_size: size.size_root_fs,
            });
            let image = sim
                .store()
                .tags_of(&c.image)
                .into_iter()
                .next()
                .unwrap_or_else(|| c.image.short());
            match groups.iter_mut().find(|(name, _)| *name == image) {
                Some((_, sizes)) => sizes.push(size),
                None => groups.push((image, vec![size])),
            }
        }
        let formulas = groups
            .into_iter()
            .filter_map(|(image, sizes)| {
                let total = accounting::formula(&sizes)?;
                let first = sizes.first()?;
                Some(Formula {
                    image,
                    shared: first.size_root_fs.saturating_sub(first.size_rw),
                    sizes: sizes.iter().map(|s| s.size_rw).collect(),
                    total,
                })
            })
            .collect();
        let naive_total = containers.iter().map(|c| c.virtual_size).sum();
        DiskView {
            containers,
            formulas,
            naive_total,
            ledger: sim.ledger(),
        }
    }
}
