//! `docker build` (the classic builder) and `docker commit`: new layers made from what a
//! container changed.
//!
//! Each Dockerfile step runs the way the classic builder runs it: FROM takes the base image's
//! layers, COPY adds the context's files as one layer, RUN executes in a temporary container and
//! commits its writable layer, and the other instructions only change the config (an
//! `empty_layer` history row). Every step leaves an intermediate image whose parent is the step
//! before, which is what lets `history` show IDs for local steps and lets a rebuild say
//! `Using cache`.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::process;
use super::rootfs::RootFs;
use super::{EngineError, Event, Simulator};
use crate::digest::Digest;
use crate::dockerfile::{self, Action, BuildArgs, LayerEffect};
use crate::layer::{Changeset, Content, Entry};
use crate::oci::{History, ImageConfiguration};
use crate::store::{ImageRecord, LayerRecord};

/// Files of a build context: path relative to the context root, and bytes.
pub type BuildContext = BTreeMap<String, Vec<u8>>;

/// Why a build failed, with the classic builder's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Dockerfile(#[from] dockerfile::DockerfileError),
    #[error(
        "unable to prepare context: unable to evaluate symlinks in context path: lstat {path}: no such file or directory"
    )]
    NoContext { path: String },
    #[error("Cannot locate specified Dockerfile: {name}")]
    NoDockerfile { name: String },
    #[error(
        "COPY failed: file not found in build context or excluded by .dockerignore: stat {source_path}: file does not exist"
    )]
    CopySourceMissing { source_path: String },
    #[error("The command '{command}' returned a non-zero code: {code}")]
    RunFailed { command: String, code: i32 },
    #[error("{0}")]
    Engine(#[from] EngineError),
    #[error("multi-stage builds are not simulated yet: use a single FROM")]
    MultiStage,
}

impl BuildError {
    /// The exit status `docker build` ends with.
    pub fn exit_code(&self) -> i32 {
        match self {
            BuildError::RunFailed { code, .. } => *code,
            _ => 1,
        }
    }
}

/// What a build printed (the classic builder's progress) and made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildReport {
    pub stdout: String,
    pub image: Option<Digest>,
}

/// The lesson's build context: its Dockerfile, a small Python app and the Makefile that
/// `RUN make /app` runs.
pub fn lesson_context() -> BuildContext {
    let mut ctx = BuildContext::new();
    ctx.insert(
        "Dockerfile".into(),
        b"FROM ubuntu:15.04\nCOPY . /app\nRUN make /app\nCMD python /app/app.py\n".to_vec(),
    );
    ctx.insert(
        "app.py".into(),
        b"from http.server import BaseHTTPRequestHandler, HTTPServer\n\n\nclass Hello(BaseHTTPRequestHandler):\n    def do_GET(self):\n        self.send_response(200)\n        self.end_headers()\n        self.wfile.write(b\"hello from a layered image\\n\")\n\n\nHTTPServer((\"\", 8000), Hello).serve_forever()\n".to_vec(),
    );
    ctx.insert(
        "Makefile".into(),
        b"all:\n\tpython3 -m py_compile app.py\n\ttouch build/app.stamp\n".to_vec(),
    );
    ctx
}

/// The image ID of a config: the digest of its JSON. The JSON goes through `serde_json::Value`
/// first, whose maps are sorted, so labels (a `HashMap` in oci-spec) cannot reorder it.
pub(crate) fn config_id(config: &ImageConfiguration) -> Digest {
    let bytes = serde_json::to_value(config)
        .and_then(|v| serde_json::to_vec(&v))
        .unwrap_or_default();
    Digest::of(&bytes)
}

impl Simulator {
    /// Makes the files of `dir` the build context `docker build dir` uses. Without one, a build
    /// uses the lesson's context.
    pub fn set_build_context(&mut self, dir: &str, files: BuildContext) {
        self.contexts.insert(dir.to_string(), files);
    }

    fn context_for(&self, dir: &str) -> BuildContext {
        self.contexts.get(dir).cloned().unwrap_or_else(lesson_context)
    }

    /// `docker build [-t NAME] [-f FILE] DIR` with the classic builder.
    pub fn build(
        &mut self,
        dir: &str,
        dockerfile_name: Option<&str>,
        tags: &[String],
        build_args: &BuildArgs,
    ) -> (BuildReport, Result<Digest, BuildError>) {
        let mut report = BuildReport::default();
        let result = self.build_inner(dir, dockerfile_name, tags, build_args, &mut report.stdout);
        report.image = result.as_ref().ok().copied();
        (report, result)
    }

    fn build_inner(
        &mut self,
        dir: &str,
        dockerfile_name: Option<&str>,
        tags: &[String],
        build_args: &BuildArgs,
        out: &mut String,
    ) -> Result<Digest, BuildError> {
        // A bad tag is refused before anything is built, as Docker's CLI does.
        let tags = tags
            .iter()
            .map(|t| crate::reference::Reference::parse(t).map(|r| r.familiar()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(EngineError::from)?;
        let context = self.context_for(dir);
        let name = dockerfile_name.unwrap_or("Dockerfile");
        let text = context.get(name).ok_or_else(|| BuildError::NoDockerfile {
            name: name.to_string(),
        })?;
        let parsed = dockerfile::parse(&String::from_utf8_lossy(text))?;
        let steps = dockerfile::plan(&parsed, build_args)?;
        if steps.iter().any(|s| s.stage > 0) {
            return Err(BuildError::MultiStage);
        }
        let context_tar = context_changeset(&context, "");
        let tar_len = crate::layer::tar::write(&context_tar, Vec::new())
            .map(|v| v.len() as u64)
            .unwrap_or(0);
        out.push_str(&format!(
            "Sending build context to Docker daemon  {}\n",
            crate::cli::format::human_size_precision(tar_len, 4)
        ));
        let total = steps.len();
        let mut current: Option<Digest> = None;
        for (n, step) in steps.iter().enumerate() {
            let original = parsed
                .instructions
                .iter()
                .find(|i| i.line == step.line)
                .map(|i| i.original.clone());
            out.push_str(&format!(
                "Step {}/{total} : {}\n",
                n + 1,
                original.unwrap_or_default()
            ));
            if let Action::From { image, .. } = &step.action {
                let id = match self.resolve_image(image) {
                    Some(id) => id,
                    None => {
                        let report = self.pull(image)?;
                        out.push_str(&crate::cli::dispatch::pull_text(&report, false));
                        report.image
                    }
                };
                out.push_str(&format!(" ---> {}\n", id.short()));
                self.emit(Event::BuildStep {
                    step: n + 1,
                    instruction: step.action.keyword().into(),
                    made_layer: false,
                });
                current = Some(id);
                continue;
            }
            let Some(parent) = current else { continue };
            let (change, source_hash) = match &step.action {
                Action::Copy { srcs, dest, .. } | Action::Add { srcs, dest, .. } => {
                    let cs = copy_changeset(&context, srcs, dest, self.now)?;
                    let hash = source_hash(&cs);
                    (Some(cs), hash)
                }
                _ => (None, String::new()),
            };
            let created_by = step.created_by.render(&source_hash).unwrap_or_default();
            if let Some(cached) = self.cached_child(&parent, &created_by) {
                out.push_str(&format!(" ---> Using cache\n ---> {}\n", cached.short()));
                current = Some(cached);
                continue;
            }
            let layer = match (&step.action, step.layer) {
                (Action::Run { argv, .. }, _) => {
                    let box_id = self.fresh_id("build-container", &created_by);
                    out.push_str(&format!(" ---> Running in {}\n", box_id.short()));
                    let (upper, result) = self.run_build_command(&parent, &box_id.short(), argv);
                    out.push_str(&result.stdout);
                    out.push_str(&result.stderr);
                    if result.exit_code != 0 {
                        return Err(BuildError::RunFailed {
                            command: argv.join(" "),
                            code: result.exit_code,
                        });
                    }
                    out.push_str(&format!("Removing intermediate container {}\n", box_id.short()));
                    Some(upper)
                }
                (_, LayerEffect::Commit) => change,
                _ => {
                    let box_id = self.fresh_id("build-container", &created_by);
                    out.push_str(&format!(
                        " ---> Running in {}\nRemoving intermediate container {}\n",
                        box_id.short(),
                        box_id.short()
                    ));
                    None
                }
            };
            let layer = layer.filter(|cs| !cs.is_empty());
            let id = self.commit_image(&parent, layer, &created_by, &step.action, "")?;
            self.emit(Event::BuildStep {
                step: n + 1,
                instruction: step.action.keyword().into(),
                made_layer: step.layer.makes_layer(),
            });
            out.push_str(&format!(" ---> {}\n", id.short()));
            current = Some(id);
        }
        let Some(id) = current else {
            return Err(BuildError::Dockerfile(dockerfile::DockerfileError::Empty));
        };
        out.push_str(&format!("Successfully built {}\n", id.short()));
        for name in tags {
            self.store.tag(&name, id);
            out.push_str(&format!("Successfully tagged {name}\n"));
            self.emit(Event::ImageTagged { image: id, name });
        }
        self.build_cache = 0;
        Ok(id)
    }

    /// An image made earlier from `parent` by the same instruction: the classic builder's cache.
    fn cached_child(&self, parent: &Digest, created_by: &str) -> Option<Digest> {
        self.store
            .images()
            .filter(|i| i.parent.as_ref() == Some(parent))
            .find(|i| {
                i.config
                    .history()
                    .as_ref()
                    .and_then(|h| h.last())
                    .is_some_and(|h| h.created_by().as_deref() == Some(created_by))
            })
            .map(|i| i.id)
    }

    /// Runs a RUN step's command in a throwaway container on `image`: its writable layer.
    fn run_build_command(
        &mut self,
        image: &Digest,
        name: &str,
        argv: &[String],
    ) -> (Changeset, process::ProcessResult) {
        let layers: Vec<Arc<Changeset>> = self
            .store
            .image_layers(image)
            .iter()
            .map(|l| l.changeset.clone())
            .collect();
        let mut fs = RootFs::new(name, layers, &Changeset::default(), self.now);
        let mut env = self.shell_env(image, name);
        let result =
            process::run(&mut fs, &mut [], &mut env, argv).unwrap_or_else(|nf| process::ProcessResult {
                stderr: format!("/bin/sh: 1: {}: not found\n", nf.program),
                exit_code: 127,
                ..Default::default()
            });
        let (upper, events) = fs.finish();
        for e in events {
            self.emit(e);
        }
        (upper, result)
    }

    /// A new image on top of `parent`: its layers plus `layer` (if any), its config changed by
    /// `action`, and one more history row.
    pub(crate) fn commit_image(
        &mut self,
        parent: &Digest,
        layer: Option<Changeset>,
        created_by: &str,
        action: &Action,
        comment: &str,
    ) -> Result<Digest, EngineError> {
        let base = self
            .store
            .image(parent)
            .cloned()
            .ok_or_else(|| EngineError::NoSuchImage {
                reference: parent.short(),
            })?;
        let mut config = base.config.clone();
        let mut layers = base.layers.clone();
        if let Some(cs) = layer.as_ref() {
            let diff_id = crate::layer::tar::diff_id(cs).map_err(|e| EngineError::Codec {
                reason: e.to_string(),
            })?;
            let chain_id = Digest::chain(layers.last(), &diff_id);
            let size = cs.size();
            self.store.add_layer(LayerRecord {
                chain_id,
                diff_id,
                parent: layers.last().copied(),
                size,
                blob: None,
                changeset: Arc::new(cs.clone()),
            });
            self.emit(Event::LayerCreated {
                chain_id,
                diff_id,
                size,
            });
            config.rootfs_mut().diff_ids_mut().push(diff_id.to_string());
            layers.push(chain_id);
        }
        apply_to_config(&mut config, action);
        let created = crate::cli::format::rfc3339(self.now);
        config.set_created(Some(created.clone()));
        let mut row = History::default();
        row.set_created(Some(created));
        row.set_created_by(Some(created_by.to_string()));
        if !comment.is_empty() {
            row.set_comment(Some(comment.to_string()));
        }
        if layer.is_none() {
            row.set_empty_layer(Some(true));
        }
        config.history_mut().get_or_insert_with(Vec::new).push(row);
        let id = config_id(&config);
        if self.store.image(&id).is_none() {
            self.store.add_image(ImageRecord {
                id,
                config,
                layers,
                repo_digests: Vec::new(),
                parent: Some(*parent),
                created: self.now,
            })?;
            self.emit(Event::ImageCreated {
                image: id,
                name: id.short(),
            });
        }
        Ok(id)
    }

    /// `docker commit CONTAINER [REPOSITORY[:TAG]]`: the container's writable layer becomes a
    /// new layer of a new image.
    pub fn commit_container(&mut self, idx: usize, name: Option<&str>) -> Result<Digest, EngineError> {
        let Some(c) = self.containers.get(idx) else {
            return Err(EngineError::NoSuchContainer {
                name: idx.to_string(),
            });
        };
        let (image, upper, command) = (c.image, c.upper.clone(), c.command.join(" "));
        let layer = (!upper.is_empty()).then_some(upper);
        let created_by = command;
        let id = self.commit_image(&image, layer, &created_by, &Action::Label(Vec::new()), "")?;
        // A committed image is not a build step: it has no local parent chain in `history`.
        if let Some(name) = name {
            let r = crate::reference::Reference::parse(name)?;
            self.store.tag(&r.familiar(), id);
            self.emit(Event::ImageTagged {
                image: id,
                name: r.familiar(),
            });
        }
        Ok(id)
    }
}

/// The context's files as a layer rooted at `dest` (root-relative, may be empty).
fn context_changeset(ctx: &BuildContext, dest: &str) -> Changeset {
    let join = |p: &str| {
        if dest.is_empty() {
            p.to_string()
        } else {
            format!("{dest}/{p}")
        }
    };
    let mut entries = Vec::new();
    if !dest.is_empty() {
        entries.push(Entry::dir(dest));
    }
    for (p, bytes) in ctx {
        entries.push(Entry::file(join(p), Content::Bytes(bytes.clone().into())).with_mode(0o644));
    }
    Changeset::new(entries)
}

/// The layer a COPY or ADD makes: `.` copies the whole context, a name one file or directory.
fn copy_changeset(
    ctx: &BuildContext,
    srcs: &[String],
    dest: &str,
    now: i64,
) -> Result<Changeset, BuildError> {
    // `..` cannot climb out of the image's root: a destination is normalised like any path in a
    // layer, and one that names the root itself copies into the root.
    let normalized = crate::layer::normalize_path(dest.trim_start_matches('/')).unwrap_or_default();
    // Docker's rule: one file copied to a destination without a trailing `/` takes that name;
    // otherwise the destination is a directory that receives the sources.
    let single_file = srcs.len() == 1
        && !dest.ends_with('/')
        && !normalized.is_empty()
        && srcs
            .first()
            .is_some_and(|s| ctx.contains_key(s.trim_start_matches("./").trim_matches('/')));
    let dir = if single_file {
        normalized
            .rsplit_once('/')
            .map_or(String::new(), |(d, _)| d.to_string())
    } else {
        normalized.clone()
    };
    let mut entries = Vec::new();
    let mut acc = String::new();
    for part in dir.split('/').filter(|p| !p.is_empty()) {
        if !acc.is_empty() {
            acc.push('/');
        }
        acc.push_str(part);
        entries.push(Entry::dir(acc.clone()).with_mtime(now));
    }
    let file = |path: String, bytes: &Vec<u8>| {
        Entry::file(path, Content::Bytes(bytes.clone().into()))
            .with_mode(0o644)
            .with_mtime(now)
    };
    for src in srcs {
        let src = src.trim_start_matches("./").trim_matches('/');
        if single_file {
            if let Some(bytes) = ctx.get(src) {
                entries.push(file(normalized.clone(), bytes));
            }
            continue;
        }
        let mut found = false;
        for (p, bytes) in ctx {
            let rel = if src.is_empty() || src == "." {
                Some(p.as_str())
            } else if p == src {
                Some(p.rsplit('/').next().unwrap_or(p))
            } else {
                p.strip_prefix(src).and_then(|r| r.strip_prefix('/'))
            };
            if let Some(rel) = rel {
                found = true;
                let path = if dir.is_empty() {
                    rel.to_string()
                } else {
                    format!("{dir}/{rel}")
                };
                entries.push(file(path, bytes));
            }
        }
        if !found {
            return Err(BuildError::CopySourceMissing {
                source_path: src.to_string(),
            });
        }
    }
    Ok(Changeset::new(entries))
}

/// The classic builder names COPY sources by a digest of their content (`dir:<hex>`).
fn source_hash(cs: &Changeset) -> String {
    let mut h = crate::digest::Hasher::new();
    for e in cs.iter() {
        h.update(e.path.as_bytes());
        if let crate::layer::EntryKind::File(c) = &e.kind {
            h.update(&c.read_range(0, usize::try_from(c.len()).unwrap_or(0)));
        }
    }
    format!("dir:{}", h.finish().hex())
}

/// What a metadata instruction changes in the config.
fn apply_to_config(config: &mut ImageConfiguration, action: &Action) {
    let mut c = config.config().clone().unwrap_or_default();
    match action {
        Action::Cmd { argv, .. } => {
            c.set_cmd(Some(argv.clone()));
        }
        Action::Entrypoint { argv, .. } => {
            c.set_entrypoint(Some(argv.clone()));
            // Docker resets CMD when ENTRYPOINT changes.
            c.set_cmd(None);
        }
        Action::Env(pairs) => {
            let mut env = c.env().clone().unwrap_or_default();
            for (k, v) in pairs {
                env.retain(|e| e.split_once('=').map(|(ek, _)| ek) != Some(k.as_str()));
                env.push(format!("{k}={v}"));
            }
            c.set_env(Some(env));
        }
        Action::Workdir(dir) => {
            c.set_working_dir(Some(dir.clone()));
        }
        Action::User(u) => {
            c.set_user(Some(u.clone()));
        }
        Action::Label(pairs) if !pairs.is_empty() => {
            let labels = c.labels_mut().get_or_insert_with(Default::default);
            for (k, v) in pairs {
                labels.insert(k.clone(), v.clone());
            }
        }
        Action::Expose(ports) => {
            let mut exposed = c.exposed_ports().clone().unwrap_or_default();
            for p in ports {
                let p = if p.contains('/') {
                    p.clone()
                } else {
                    format!("{p}/tcp")
                };
                if !exposed.contains(&p) {
                    exposed.push(p);
                }
            }
            c.set_exposed_ports(Some(exposed));
        }
        Action::Volume(vols) => {
            let mut v = c.volumes().clone().unwrap_or_default();
            v.extend(vols.iter().cloned());
            c.set_volumes(Some(v));
        }
        Action::StopSignal(s) => {
            c.set_stop_signal(Some(s.clone()));
        }
        _ => {}
    }
    config.set_config(Some(c));
}
