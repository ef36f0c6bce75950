//! Named volumes: directories outside every layer, so what a container writes there is not in its
//! SIZE, survives `docker rm`, and is shared by every container that mounts it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{EngineError, Event, Simulator};
use crate::layer::Entry;

/// One named volume and the files in it (paths relative to the volume's root).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Volume {
    pub name: String,
    pub created: i64,
    pub files: BTreeMap<String, Entry>,
    /// Made by `run -v` for an unnamed mount (a 64-hex name, as Docker makes).
    pub anonymous: bool,
}

impl Volume {
    /// Bytes of its files, counted as layers are.
    pub fn size(&self) -> u64 {
        self.files.values().map(Entry::apparent_size).sum()
    }

    /// Where Docker keeps it on the host.
    pub fn mountpoint(&self) -> String {
        format!("/var/lib/docker/volumes/{}/_data", self.name)
    }
}

impl Simulator {
    /// How many containers mount the volume.
    pub fn volume_links(&self, name: &str) -> usize {
        self.containers
            .iter()
            .filter(|c| c.mounts.iter().any(|m| m.volume == name))
            .count()
    }

    /// `docker volume create [NAME]`; an existing name is reused, as Docker does.
    pub fn create_volume(&mut self, name: Option<&str>) -> Result<String, EngineError> {
        let (name, anonymous) = match name {
            Some(n) => {
                let ok = n.len() >= 2
                    && n.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
                    && n.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
                if !ok {
                    return Err(EngineError::InvalidVolumeName { name: n.to_string() });
                }
                (n.to_string(), false)
            }
            None => (self.fresh_id("volume", "").hex(), true),
        };
        if !self.volumes.contains_key(&name) {
            self.volumes.insert(
                name.clone(),
                Volume {
                    name: name.clone(),
                    created: self.now,
                    files: BTreeMap::new(),
                    anonymous,
                },
            );
            self.emit(Event::VolumeCreated { name: name.clone() });
        }
        Ok(name)
    }

    /// `docker volume rm NAME`: refused while a container (running or not) mounts it.
    pub fn remove_volume(&mut self, name: &str) -> Result<(), EngineError> {
        let Some(volume) = self.volumes.get(name) else {
            return Err(EngineError::NoSuchVolume {
                name: name.to_string(),
            });
        };
        let users: Vec<String> = self
            .containers
            .iter()
            .filter(|c| c.mounts.iter().any(|m| m.volume == name))
            .map(|c| c.id.hex())
            .collect();
        if !users.is_empty() {
            return Err(EngineError::VolumeInUse {
                name: name.to_string(),
                containers: users.join(", "),
            });
        }
        let freed = volume.size();
        self.volumes.remove(name);
        self.emit(Event::VolumeRemoved {
            name: name.to_string(),
            freed,
        });
        Ok(())
    }

    pub fn volume(&self, name: &str) -> Option<&Volume> {
        self.volumes.get(name)
    }
}
