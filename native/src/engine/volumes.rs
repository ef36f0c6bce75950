//! Named volumes: `volume create|ls|inspect|rm|prune`, and the `-v` specs of `run`/`create`.
//!
//! A volume is a directory `volumes/<name>/_data` under the data root (Docker's
//! `/var/lib/docker/volumes/<name>/_data`) with its metadata beside it in `volume.json`. It lives
//! outside every layer: what a container writes there is not in its SIZE and survives `rm`.
//! On its first mount an empty volume is filled with what the image has at the mount path, as
//! Docker does (unless the spec says `nocopy`). `-v /path` makes an anonymous volume (a 64-hex
//! name), removed with its container by `rm -v` and `run --rm`.

use std::fs;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use layerlab_core::cli::args::{PruneArgs, PruneTarget, VolumeLsArgs, VolumeRmArgs};
use layerlab_core::cli::render::{self, PruneReport, VolumeRow};
use serde::{Deserialize, Serialize};

use super::containers::random_hex;
use super::{Engine, EngineError, io_err};
use crate::runtime::BindMount;
use crate::runtime::changes::upper_size;
use crate::runtime::rootfs::{is_opaque, is_whiteout};

/// Why a volume command failed, in Docker's words.
#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    #[error("get {name}: no such volume")]
    NoSuchVolume { name: String },
    #[error("remove {name}: volume is in use - [{containers}]")]
    InUse { name: String, containers: String },
    #[error(
        "create {name}: \"{name}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path"
    )]
    InvalidName { name: String },
    #[error("invalid volume specification: '{spec}': {reason}")]
    BadSpec { spec: String, reason: &'static str },
    #[error(
        "error while creating volume driver: volume driver {driver:?} not found: only \"local\" is available"
    )]
    UnknownDriver { driver: String },
    #[error("the volume record {path} is not valid: {source}", path = path.display())]
    BadRecord {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// What the engine keeps about a volume, beside its data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VolumeRecord {
    /// RFC 3339.
    pub created_at: String,
    /// Made for a `-v /path` with no name; `rm -v` and `run --rm` remove it with its container.
    pub anonymous: bool,
}

/// Whether a mount is a volume or a host path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MountKind {
    Bind,
    Volume,
}

/// One `-v`, as the container record keeps it (and `inspect` shows it under `Mounts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountRecord {
    pub kind: MountKind,
    /// The volume's name (volumes only).
    #[serde(default)]
    pub name: Option<String>,
    /// The host path: a bind's source, or the volume's `_data` directory.
    pub source: PathBuf,
    /// Absolute, in the container.
    pub destination: String,
    pub read_only: bool,
    #[serde(default)]
    pub anonymous: bool,
    /// `nocopy`: leave an empty volume empty.
    #[serde(default)]
    pub no_copy: bool,
}

impl MountRecord {
    pub fn bind(&self) -> BindMount {
        BindMount {
            source: self.source.clone(),
            destination: PathBuf::from(&self.destination),
            read_only: self.read_only,
        }
    }
}

/// A `-v` spec, parsed but not yet resolved against the data root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VolumeSpec {
    Bind {
        source: PathBuf,
        destination: String,
        read_only: bool,
    },
    /// `name` is `None` for an anonymous volume.
    Volume {
        name: Option<String>,
        destination: String,
        read_only: bool,
        no_copy: bool,
    },
}

/// Docker's rule for local volume names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+` (so two characters at
/// least). It also keeps a name from ever being a path.
pub fn check_volume_name(name: &str) -> Result<(), VolumeError> {
    let mut bytes = name.bytes();
    let first_ok = matches!(bytes.next(), Some(c) if c.is_ascii_alphanumeric());
    if !first_ok || name.len() < 2 || !bytes.all(|c| c.is_ascii_alphanumeric() || b"_.-".contains(&c)) {
        return Err(VolumeError::InvalidName {
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// `-v SOURCE:TARGET[:OPTIONS]`, `-v NAME:TARGET[:OPTIONS]` or `-v TARGET` (anonymous), with
/// options `ro`, `rw`, `nocopy` (and SELinux's `z`/`Z`, accepted and ignored), comma-separated.
pub fn parse_volume(spec: &str) -> Result<VolumeSpec, VolumeError> {
    let bad = |reason| VolumeError::BadSpec {
        spec: spec.to_owned(),
        reason,
    };
    let is_mode = |m: &str| {
        !m.is_empty()
            && m.split(',')
                .all(|o| matches!(o, "ro" | "rw" | "nocopy" | "z" | "Z"))
    };
    let parts: Vec<&str> = spec.split(':').collect();
    let (source, destination, mode) = match parts.as_slice() {
        [d] => (None, *d, ""),
        [d, m] if d.starts_with('/') && is_mode(m) && !m.starts_with('/') => (None, *d, *m),
        [s, d] => (Some(*s), *d, ""),
        [s, d, m] => (Some(*s), *d, *m),
        _ => return Err(bad("too many colons")),
    };
    if !destination.starts_with('/') {
        return Err(bad("the target must be an absolute path"));
    }
    if destination.split('/').any(|c| c == "..") {
        return Err(bad("the target must not contain '..'"));
    }
    if !mode.is_empty() && !is_mode(mode) {
        return Err(bad("the options must be ro, rw or nocopy"));
    }
    let read_only = mode.split(',').any(|o| o == "ro");
    let no_copy = mode.split(',').any(|o| o == "nocopy");
    match source {
        Some("") => Err(bad("the source is empty")),
        Some(s) if s.starts_with('/') => Ok(VolumeSpec::Bind {
            source: PathBuf::from(s),
            destination: destination.to_owned(),
            read_only,
        }),
        Some(name) => {
            check_volume_name(name)?;
            Ok(VolumeSpec::Volume {
                name: Some(name.to_owned()),
                destination: destination.to_owned(),
                read_only,
                no_copy,
            })
        }
        None => Ok(VolumeSpec::Volume {
            name: None,
            destination: destination.to_owned(),
            read_only,
            no_copy,
        }),
    }
}

/// One volume found on disk.
#[derive(Debug, Clone)]
pub struct LocalVolume {
    pub name: String,
    pub record: VolumeRecord,
    pub data: PathBuf,
}

/// `docker volume inspect`'s document, in Docker's field order.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct VolumeInspect {
    created_at: String,
    driver: &'static str,
    labels: std::collections::BTreeMap<String, String>,
    mountpoint: String,
    name: String,
    options: std::collections::BTreeMap<String, String>,
    scope: &'static str,
}

impl Engine {
    fn volumes_dir(&self) -> PathBuf {
        self.root.join("volumes")
    }

    fn volume_dir(&self, name: &str) -> PathBuf {
        self.volumes_dir().join(name)
    }

    /// The volume named `name`, if it exists. Names are checked first, so none reaches a path
    /// outside `volumes/`.
    pub(crate) fn volume(&self, name: &str) -> Result<Option<LocalVolume>, EngineError> {
        if check_volume_name(name).is_err() {
            return Ok(None);
        }
        let dir = self.volume_dir(name);
        let path = dir.join("volume.json");
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err("read", &path)(e)),
        };
        let record =
            serde_json::from_slice(&bytes).map_err(|source| VolumeError::BadRecord { path, source })?;
        Ok(Some(LocalVolume {
            name: name.to_owned(),
            record,
            data: dir.join("_data"),
        }))
    }

    /// Every volume, by name.
    pub(crate) fn volumes(&self) -> Result<Vec<LocalVolume>, EngineError> {
        let dir = self.volumes_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err("list", &dir)(e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_err("list", &dir))?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if let Some(v) = self.volume(&name)? {
                out.push(v);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Makes the volume (an existing one is reused, as Docker does); `None` makes an anonymous
    /// one with a fresh name.
    pub(crate) fn create_volume(&self, name: Option<&str>) -> Result<LocalVolume, EngineError> {
        let (name, anonymous) = match name {
            Some(n) => {
                check_volume_name(n)?;
                (n.to_owned(), false)
            }
            None => (random_hex(32)?, true),
        };
        if let Some(v) = self.volume(&name)? {
            return Ok(v);
        }
        crate::content_store::make_private_dir(&self.volumes_dir())?;
        let dir = self.volume_dir(&name);
        let data = dir.join("_data");
        fs::create_dir_all(&data).map_err(io_err("create", &data))?;
        let record = VolumeRecord {
            // Docker shows a volume's creation to the second.
            created_at: layerlab_core::cli::format::rfc3339(super::now()),
            anonymous,
        };
        let path = dir.join("volume.json");
        let tmp = dir.join("volume.json.tmp");
        let bytes = serde_json::to_vec(&record).map_err(|source| VolumeError::BadRecord {
            path: path.clone(),
            source,
        })?;
        fs::write(&tmp, bytes).map_err(io_err("write", &tmp))?;
        fs::rename(&tmp, &path).map_err(io_err("rename", &tmp))?;
        Ok(LocalVolume { name, record, data })
    }

    /// IDs of the containers (running or not) that mount the volume.
    fn volume_users(&self, name: &str) -> Result<Vec<String>, EngineError> {
        Ok(self
            .containers()?
            .into_iter()
            .filter(|c| c.record.mounts.iter().any(|m| m.name.as_deref() == Some(name)))
            .map(|c| c.record.id)
            .collect())
    }

    fn delete_volume(&self, v: &LocalVolume) -> Result<u64, EngineError> {
        let size = upper_size(&v.data).unwrap_or(0);
        let dir = self.volume_dir(&v.name);
        fs::remove_dir_all(&dir).map_err(io_err("remove", &dir))?;
        Ok(size)
    }

    /// Removes a volume no container mounts.
    pub(crate) fn remove_volume(&self, name: &str) -> Result<u64, EngineError> {
        let Some(v) = self.volume(name)? else {
            return Err(VolumeError::NoSuchVolume {
                name: name.to_owned(),
            }
            .into());
        };
        let users = self.volume_users(name)?;
        if !users.is_empty() {
            return Err(VolumeError::InUse {
                name: name.to_owned(),
                containers: users.join(", "),
            }
            .into());
        }
        self.delete_volume(&v)
    }

    /// Turns the `-v` specs into mounts: volumes are made on first use and, when empty, filled
    /// with the image's content at the target. `image_layers` are the image's layer snapshot
    /// directories, top first.
    pub(crate) fn resolve_volumes(
        &self,
        specs: &[VolumeSpec],
        image_layers: &[PathBuf],
    ) -> Result<Vec<MountRecord>, EngineError> {
        let mut out = Vec::new();
        for spec in specs {
            match spec {
                VolumeSpec::Bind {
                    source,
                    destination,
                    read_only,
                } => out.push(MountRecord {
                    kind: MountKind::Bind,
                    name: None,
                    source: source.clone(),
                    destination: destination.clone(),
                    read_only: *read_only,
                    anonymous: false,
                    no_copy: false,
                }),
                VolumeSpec::Volume {
                    name,
                    destination,
                    read_only,
                    no_copy,
                } => {
                    let v = self.create_volume(name.as_deref())?;
                    if !no_copy {
                        seed_from_layers(&v.data, image_layers, destination)?;
                    }
                    out.push(MountRecord {
                        kind: MountKind::Volume,
                        name: Some(v.name.clone()),
                        source: v.data.clone(),
                        destination: destination.clone(),
                        read_only: *read_only,
                        anonymous: v.record.anonymous,
                        no_copy: *no_copy,
                    });
                }
            }
        }
        Ok(out)
    }

    /// The rows `volume ls` and `system df -v` print, sizes measured when asked.
    pub(crate) fn volume_rows(&self, sizes: bool) -> Result<Vec<VolumeRow>, EngineError> {
        let containers = self.containers()?;
        let mut rows = Vec::new();
        for v in self.volumes()? {
            let links = containers
                .iter()
                .filter(|c| {
                    c.record
                        .mounts
                        .iter()
                        .any(|m| m.name.as_deref() == Some(v.name.as_str()))
                })
                .count() as u64;
            rows.push(VolumeRow {
                name: v.name.clone(),
                driver: "local".to_owned(),
                links,
                size: if sizes { upper_size(&v.data).ok() } else { None },
            });
        }
        Ok(rows)
    }

    pub(crate) fn cmd_volume_create(
        &self,
        name: Option<&str>,
        driver: Option<&str>,
        out: &mut dyn Write,
    ) -> Result<i32, EngineError> {
        if let Some(d) = driver.filter(|d| *d != "local") {
            return Err(VolumeError::UnknownDriver { driver: d.to_owned() }.into());
        }
        let v = self.create_volume(name)?;
        let _ = writeln!(out, "{}", v.name);
        Ok(0)
    }

    pub(crate) fn cmd_volume_ls(&self, args: &VolumeLsArgs, out: &mut dyn Write) -> Result<i32, EngineError> {
        let rows = self.volume_rows(false)?;
        let _ = out.write_all(render::volume_ls(&rows, args.quiet).as_bytes());
        Ok(0)
    }

    pub(crate) fn cmd_volume_inspect(
        &self,
        names: &[String],
        format: Option<&str>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<i32, EngineError> {
        let mut items = Vec::new();
        let mut code = 0;
        for name in names {
            match self.volume(name)? {
                Some(v) => {
                    let mut labels = std::collections::BTreeMap::new();
                    if v.record.anonymous {
                        labels.insert("com.docker.volume.anonymous".to_owned(), String::new());
                    }
                    items.push(VolumeInspect {
                        created_at: v.record.created_at.clone(),
                        driver: "local",
                        labels,
                        mountpoint: v.data.display().to_string(),
                        name: v.name.clone(),
                        options: std::collections::BTreeMap::new(),
                        scope: "local",
                    });
                }
                None => {
                    let _ = writeln!(err, "Error: No such volume: {name}");
                    code = 1;
                }
            }
        }
        super::inspect::print_documents(&items, format, out)?;
        Ok(code)
    }

    pub(crate) fn cmd_volume_rm(
        &self,
        args: &VolumeRmArgs,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<i32, EngineError> {
        let mut code = 0;
        for name in &args.names {
            match self.remove_volume(name) {
                Ok(_) => {
                    let _ = writeln!(out, "{name}");
                }
                Err(EngineError::Volume(VolumeError::NoSuchVolume { .. })) if args.force => {}
                Err(e) => {
                    let _ = writeln!(err, "Error response from daemon: {e}");
                    code = 1;
                }
            }
        }
        Ok(code)
    }

    /// `volume prune`: every volume no container mounts (Docker 20.10 removes named ones too),
    /// after asking unless `-f`.
    pub(crate) fn cmd_volume_prune(&self, args: &PruneArgs, out: &mut dyn Write) -> Result<i32, EngineError> {
        if !args.force {
            let _ = out.write_all(render::prune_warning(PruneTarget::Volumes, args.all, false).as_bytes());
            let _ = out.flush();
            let mut answer = String::new();
            let _ = std::io::stdin().lock().read_line(&mut answer);
            if !matches!(answer.trim(), "y" | "Y") {
                return Ok(0);
            }
        }
        let containers = self.containers()?;
        let mut report = PruneReport::default();
        for v in self.volumes()? {
            let used = containers.iter().any(|c| {
                c.record
                    .mounts
                    .iter()
                    .any(|m| m.name.as_deref() == Some(v.name.as_str()))
            });
            if !used {
                report.reclaimed += self.delete_volume(&v)?;
                report.volumes.push(v.name);
            }
        }
        let _ = out.write_all(render::prune(&report).as_bytes());
        Ok(0)
    }
}

/// Fills an empty volume with what the image has at `destination`, as Docker does on a volume's
/// first mount: the merged view of the layers (whiteouts and opaque directories honoured), and
/// the directory's own owner and mode. A path that is no directory in the image (or crosses a
/// symlink, which is never followed) leaves the volume as it is.
fn seed_from_layers(data: &Path, layers: &[PathBuf], destination: &str) -> Result<(), EngineError> {
    let empty = fs::read_dir(data).map_err(io_err("list", data))?.next().is_none();
    if !empty {
        return Ok(());
    }
    let rel: PathBuf = destination
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    if rel.as_os_str().is_empty() {
        return Ok(());
    }
    // The layers that show something at `rel`, nearest first, up to the first one that hides
    // what is below (a whiteout, an opaque directory, or a non-directory on the way).
    let mut contributing: Vec<PathBuf> = Vec::new();
    'layers: for layer in layers {
        let mut prefix = layer.clone();
        let mut comps = rel.components().peekable();
        while let Some(c) = comps.next() {
            prefix.push(c);
            let Ok(meta) = fs::symlink_metadata(&prefix) else {
                continue 'layers;
            };
            if is_whiteout(&meta) || !meta.is_dir() {
                break 'layers;
            }
            if is_opaque(&prefix) {
                if comps.peek().is_none() {
                    contributing.push(prefix);
                }
                break 'layers;
            }
            if comps.peek().is_none() {
                contributing.push(prefix.clone());
            }
        }
    }
    let Some(top) = contributing.first() else {
        return Ok(());
    };
    for dir in contributing.iter().rev() {
        crate::runtime::vfs::apply_layer_dir(dir, data)?;
    }
    let meta = fs::symlink_metadata(top).map_err(io_err("stat", top))?;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let _ = std::os::unix::fs::chown(data, Some(meta.uid()), Some(meta.gid()));
    fs::set_permissions(data, fs::Permissions::from_mode(meta.mode() & 0o7777))
        .map_err(io_err("chmod", data))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_follow_dockers_forms() {
        assert_eq!(
            parse_volume("/src:/dst:ro").expect("bind"),
            VolumeSpec::Bind {
                source: "/src".into(),
                destination: "/dst".into(),
                read_only: true
            }
        );
        assert_eq!(
            parse_volume("data:/var/lib/data").expect("named"),
            VolumeSpec::Volume {
                name: Some("data".into()),
                destination: "/var/lib/data".into(),
                read_only: false,
                no_copy: false
            }
        );
        assert_eq!(
            parse_volume("/cache").expect("anonymous"),
            VolumeSpec::Volume {
                name: None,
                destination: "/cache".into(),
                read_only: false,
                no_copy: false
            }
        );
        assert!(matches!(
            parse_volume("data:/d:ro,nocopy"),
            Ok(VolumeSpec::Volume {
                read_only: true,
                no_copy: true,
                ..
            })
        ));
        assert!(matches!(
            parse_volume("/cache:ro"),
            Ok(VolumeSpec::Volume { read_only: true, .. })
        ));
        for bad in [
            "relative",
            "a:b",
            "/a:/b:xx",
            "/a:/b:ro:x",
            "../x:/d",
            "x:/a/../b",
            ":/d",
            "a/b:/d",
            "x:/d",
        ] {
            assert!(parse_volume(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn volume_names_cannot_be_paths() {
        for good in ["data", "a1", "my_vol.2-x"] {
            assert!(check_volume_name(good).is_ok(), "{good}");
        }
        for bad in ["", "x", ".", "..", "../etc", "a/b", "-a", "_a", "a b"] {
            assert!(check_volume_name(bad).is_err(), "{bad}");
        }
        assert_eq!(
            check_volume_name("a/b").map_err(|e| e.to_string()),
            Err("create a/b: \"a/b\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path".to_owned())
        );
    }

    #[test]
    fn seeding_copies_the_merged_view_once() {
        let t = tempfile::tempdir().expect("tmp");
        let (bottom, top, data) = (t.path().join("l1"), t.path().join("l2"), t.path().join("data"));
        for d in [bottom.join("srv/sub"), top.join("srv"), data.clone()] {
            fs::create_dir_all(&d).expect("mkdir");
        }
        fs::write(bottom.join("srv/old.txt"), "old").expect("w");
        fs::write(bottom.join("srv/sub/kept.txt"), "kept").expect("w");
        fs::write(top.join("srv/new.txt"), "new").expect("w");
        let layers = vec![top.clone(), bottom.clone()];
        seed_from_layers(&data, &layers, "/srv").expect("seed");
        assert_eq!(
            fs::read_to_string(data.join("old.txt")).ok().as_deref(),
            Some("old")
        );
        assert_eq!(
            fs::read_to_string(data.join("new.txt")).ok().as_deref(),
            Some("new")
        );
        assert_eq!(
            fs::read_to_string(data.join("sub/kept.txt")).ok().as_deref(),
            Some("kept")
        );
        // A volume with content is left alone.
        fs::remove_file(data.join("old.txt")).expect("rm");
        seed_from_layers(&data, &layers, "/srv").expect("seed");
        assert!(!data.join("old.txt").exists());
        // Nothing at the path: nothing copied, no error.
        let empty = t.path().join("empty");
        fs::create_dir_all(&empty).expect("mkdir");
        seed_from_layers(&empty, &layers, "/nowhere").expect("seed");
        assert_eq!(fs::read_dir(&empty).expect("ls").count(), 0);
    }
}
