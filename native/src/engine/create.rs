//! `create` (and the first half of `run`): make a container from an image and the command
//! line's flags: its record (`config.json`), its writable layer and init layer, and the volumes
//! it mounts. Nothing runs yet; `ps -a` shows it `Created`.

use std::fs;
use std::io::Write;

use layerlab_core::cli::args::RunArgs;
use layerlab_core::cli::render;
use layerlab_core::reference::Reference;

use super::containers::{Container, ContainerRecord, generated_name, key, random_hex, valid_name};
use super::images::ImageConfig;
use super::volumes::{MountKind, parse_volume};
use super::{Engine, EngineError, io_err, now};
use crate::content_store::ImageRecord;
use crate::progress::Stream;
use crate::registry::reference::ImageRef;
use crate::runtime::rootfs::{OverlayTry, try_overlay};
use crate::runtime::{NetworkMode, StorageDriver};

/// Made in the data root once overlay was mounted over it: later containers skip the try, which
/// makes and removes a handful of directories and costs more than the rest of a `create` on a
/// busy disk.
const OVERLAY_WORKS: &str = "overlay-works";

/// Whether a start follows the create at once (`run`) or not (`create`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Then {
    /// `create`: the writable layer and init layer are made now, so that `ps -s`, `diff` and
    /// `inspect` see a Created container as Docker shows one.
    Wait,
    /// `run`: the start that follows makes them; doing it here too would only repeat the work.
    Start,
}

/// Whether Docker takes `name` (without its optional leading '/') as a container name: its
/// pattern is `[a-zA-Z0-9][a-zA-Z0-9_.-]+`, so a name has two characters at least, which
/// `valid_name` alone does not ask.
fn docker_name(name: &str) -> bool {
    name.len() >= 2 && valid_name(name)
}

impl Engine {
    /// The image `name` names (a tag, or an image ID or its prefix) and its config. `run` needs
    /// no more than this: one tag lookup, the image record and the config, without the listing
    /// of every image that `find_image` does for the tags it returns.
    fn image_to_run(&self, name: &str) -> Result<Option<(ImageRecord, ImageConfig)>, EngineError> {
        let by_name = match ImageRef::parse(name) {
            Ok(r) => self.store.content.resolve(&r.store_name())?,
            Err(_) => None,
        };
        let id = match by_name {
            Some(id) => id,
            None => match self.store.content.find_image_id(name)? {
                Some(id) => id,
                None => return Ok(None),
            },
        };
        let Some(record) = self.store.content.image(&id)? else {
            return Ok(None);
        };
        let config = self.read_config(&record)?;
        Ok(Some((record, config)))
    }

    /// Makes the container `args` describe, pulling its image first if it is not here (the
    /// progress goes to `err`, as Docker's does for `run` and `create`).
    pub(crate) fn create_container(
        &self,
        args: &RunArgs,
        then: Then,
        err: &mut dyn Write,
    ) -> Result<Container, EngineError> {
        // Flags are checked before anything is pulled, as Docker's client checks them.
        let network = match args.network.as_deref() {
            // Docker's default is its bridge network; layerlab has none, so a container without
            // the flag gets a loopback interface only (the README says so).
            None | Some("none") => NetworkMode::None,
            Some(asked @ ("bridge" | "default")) => {
                let _ = writeln!(
                    err,
                    "WARNING: layerlab has no {asked} network: the container gets only a loopback interface, as with --network none"
                );
                NetworkMode::None
            }
            Some("host") => NetworkMode::Host,
            Some(other) => {
                return Err(EngineError::NoNetwork {
                    name: other.to_owned(),
                });
            }
        };
        let specs = args
            .volumes
            .iter()
            .map(|v| parse_volume(v))
            .collect::<Result<Vec<_>, _>>()?;
        let (image, config) = match self.image_to_run(&args.image)? {
            Some(found) => found,
            None => {
                // A name that does not parse is refused by the pull below, without this line,
                // as Docker's client refuses it before looking for the image.
                if let Ok(r) = Reference::parse(&args.image) {
                    let _ = writeln!(err, "{}", render::unable_to_find_locally(&r));
                }
                let image = self.pull_image(
                    &args.image,
                    args.platform.as_deref(),
                    false,
                    false,
                    Stream::Stderr,
                    err,
                )?;
                let config = self.read_config(&image)?;
                (image, config)
            }
        };
        let config = config.config.unwrap_or_default();

        let id = random_hex(32)?;
        let name = match &args.name {
            Some(given) => {
                let n = given.strip_prefix('/').unwrap_or(given);
                if !docker_name(n) {
                    // Docker shows the name as given, a leading '/' included.
                    return Err(EngineError::BadName { name: given.clone() });
                }
                if let Some(other) = self.containers()?.into_iter().find(|c| c.record.name == n) {
                    return Err(EngineError::NameInUse {
                        name: n.to_owned(),
                        id: other.record.id,
                    });
                }
                n.to_owned()
            }
            None => generated_name(&id),
        };
        let entrypoint = match &args.entrypoint {
            Some(e) if e.is_empty() => Vec::new(),
            Some(e) => vec![e.clone()],
            None => config.entrypoint.clone().unwrap_or_default(),
        };
        let cmd = if args.command.is_empty() {
            // Docker drops the image's Cmd when --entrypoint replaces the entrypoint.
            if args.entrypoint.is_some() {
                Vec::new()
            } else {
                config.cmd.clone().unwrap_or_default()
            }
        } else {
            args.command.clone()
        };
        let mut env = config.env.clone().unwrap_or_default();
        for var in &args.env {
            // `-e NAME` passes the variable through from the caller, as Docker does.
            let var = if var.contains('=') {
                var.clone()
            } else {
                match std::env::var(var) {
                    Ok(v) => format!("{var}={v}"),
                    Err(_) => continue,
                }
            };
            match env.iter_mut().find(|e| key(e) == key(&var)) {
                Some(slot) => *slot = var,
                None => env.push(var),
            }
        }
        let workdir = args
            .workdir
            .clone()
            .or(config.working_dir.clone())
            .unwrap_or_default();
        let user = args.user.clone().or(config.user.clone()).unwrap_or_default();
        let driver = self.storage_driver(err)?;
        let vfs = driver == StorageDriver::Vfs;
        let image_layers = self.image_lowers(&image);

        let dir = self.container_dir(&id);
        crate::content_store::make_private_dir(&dir)?;
        if args.rm {
            // A `--rm` container is deleted when it exits, and one a crash left behind is deleted
            // by the next command (`reap_auto_remove`, which runs before any `rmi`): its reference
            // never has to outlive a crash, so it is not synced to disk (two fsyncs, the largest
            // cost of a start on a busy disk).
            self.store.content.add_ephemeral_container_ref(&id, &image.id)?;
        } else {
            self.store.content.add_container_ref(&id, &image.id)?;
        }
        let mut record = ContainerRecord {
            id: id.clone(),
            name,
            image_name: args.image.clone(),
            image_id: image.id,
            command: entrypoint.iter().chain(&cmd).cloned().collect(),
            env,
            workdir,
            user,
            created: now(),
            auto_remove: args.rm,
            host_network: network == NetworkMode::Host,
            volumes: 0,
            vfs,
            entrypoint: Some(entrypoint),
            cmd: Some(cmd),
            tty: args.tty,
            open_stdin: args.interactive,
            detach: args.detach,
            mounts: Vec::new(),
            memory: args.memory,
            pids_limit: args.pids_limit,
            shared_init: true,
        };
        // The record goes to disk before the volumes are made, so that a failure below leaves a
        // container `rm` can clean up rather than a directory nobody knows.
        self.write_record(&record)?;
        if !specs.is_empty() {
            let mounts = self.resolve_volumes(&specs, &image_layers)?;
            record.volumes = mounts.iter().filter(|m| m.kind == MountKind::Volume).count();
            record.mounts = mounts;
            self.write_record(&record)?;
        }
        let c = Container {
            record,
            dir,
            state: None,
        };
        if then == Then::Wait {
            c.layout()
                .prepare(driver, &image_layers, !nix::unistd::geteuid().is_root())?;
        }
        Ok(c)
    }

    /// The storage driver for a new container: the one asked for (`--storage-driver`), else
    /// overlay where the kernel mounts it
    /// over the data root, else vfs with a warning, as Docker's daemon falls back to the next
    /// driver it can use when overlay2 is not supported.
    fn storage_driver(&self, err: &mut dyn Write) -> Result<StorageDriver, EngineError> {
        if let Some(driver) = self.options().storage_driver {
            return Ok(driver);
        }
        // Without root, overlay is mounted inside the container's user namespace, which a try
        // from here cannot reproduce; the container's own mount reports any refusal.
        if !nix::unistd::geteuid().is_root() {
            return Ok(StorageDriver::Overlay);
        }
        let works = self.root.join(OVERLAY_WORKS);
        if works.exists() {
            return Ok(StorageDriver::Overlay);
        }
        // Where the containers' writable layers go.
        let dir = self.containers_dir();
        match try_overlay(&dir) {
            OverlayTry::Works => {
                // Only a shortcut: without it the next container tries again.
                let _ = fs::write(&works, b"");
                Ok(StorageDriver::Overlay)
            }
            OverlayTry::Unknown => Ok(StorageDriver::Overlay),
            OverlayTry::Refused(errno) => {
                let _ = writeln!(
                    err,
                    "WARNING: overlay cannot be mounted over {} ({errno}): using the vfs storage driver, which copies the whole image for each container; pass --storage-driver vfs to choose it",
                    dir.display()
                );
                Ok(StorageDriver::Vfs)
            }
        }
    }

    pub(crate) fn write_record(&self, record: &ContainerRecord) -> Result<(), EngineError> {
        let dir = self.container_dir(&record.id);
        let path = dir.join("config.json");
        let tmp = dir.join("config.json.tmp");
        let bytes = serde_json::to_vec_pretty(record).map_err(|source| EngineError::BadRecord {
            path: path.clone(),
            source,
        })?;
        fs::write(&tmp, bytes).map_err(io_err("write", &tmp))?;
        fs::rename(&tmp, &path).map_err(io_err("rename", &tmp))?;
        Ok(())
    }

    /// `create`: prints the new container's full ID.
    pub(crate) fn cmd_create(
        &self,
        args: &RunArgs,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<i32, EngineError> {
        let c = self.create_container(args, Then::Wait, err)?;
        let _ = writeln!(out, "{}", c.record.id);
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_names_follow_dockers_pattern() {
        assert!(docker_name("ab"));
        assert!(docker_name("a.b-c_d"));
        assert!(!docker_name("w"));
        assert!(!docker_name(""));
        assert!(!docker_name("-x"));
        assert!(!docker_name("a/b"));
    }
}
