//! What each command prints, from plain row data: the same bytes as Docker's CLI.
//!
//! Public API (all pure; `now` is seconds since the epoch, passed in because core has no clock):
//! - `ps`: [`ContainerRow`], [`ContainerStatus`], [`PsOptions`], [`ps`]`(&[ContainerRow], &PsOptions,
//!   now) -> Result<String, RenderError>`.
//! - `images`: [`ImageRow`], [`ImagesOptions`], [`images`]`(…) -> Result<String, RenderError>`.
//! - `history`: [`HistoryRow`], [`HistoryOptions`], [`history`]`(…) -> Result<String, RenderError>`.
//! - `system df`: [`DfSummary`], [`DfRow`], [`system_df`]`(&DfSummary) -> String`; `-v`:
//!   [`DfVerbose`], [`DfImageRow`], [`VolumeRow`], [`BuildCacheRow`], [`system_df_verbose`]`(&DfVerbose,
//!   now) -> String`.
//! - `diff`: [`DiffKind`], [`diff`]`(&[(DiffKind, String)]) -> String`.
//! - pull: [`PullStatus`], [`layer_line`] (and [`short_layer_line`]), [`progress_bar`], and one
//!   function per message line
//!   ([`unable_to_find_locally`], [`using_default_tag`], [`pulling_from`], [`pull_digest`],
//!   [`downloaded_newer`], [`up_to_date`], [`pulled_reference`]).
//! - prune: [`PruneReport`], [`prune`]`(&PruneReport) -> String`, and the confirmation text
//!   [`prune_warning`]`(PruneTarget, all, volumes) -> String`.
//! - `volume ls`: [`volume_ls`]; `rmi`: [`RmiLine`], [`rmi`]; `rm`: [`removed_names`];
//!   `inspect`: [`inspect_json`].
//!
//! Output ends with a newline whenever Docker's does. Docker's own layout code is the reference:
//! `cli/command/formatter/*.go` in docker/cli and `jsonmessage.go` in moby.

use serde::Serialize;

use super::args::PruneTarget;
use super::format::{ago, ellipsis, go_quote, go_time, human_duration, human_size, human_size_precision};
use super::format::{rfc3339, truncate_id};
use super::template::{TemplateError, go_json_escape, render_list};
use crate::digest::Digest;
use crate::reference::Reference;

/// Why a listing could not be printed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("failed to encode inspect output as JSON: {reason}")]
    Json { reason: String },
}

/// Docker hides `CREATED` for images built before this instant (2000-01-01T00:00:00Z): such
/// timestamps are placeholders from reproducible builds.
const CREATED_CUTOFF: i64 = 946_684_800;

/// The format string for "print the default table".
fn is_default(format: Option<&str>) -> bool {
    matches!(format.map(str::trim), None | Some("") | Some("table"))
}

// ---------------------------------------------------------------- ps

/// A container's state, from which `STATUS` is worded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ContainerStatus {
    Created,
    Running { started_at: i64 },
    Paused { started_at: i64 },
    Exited { code: i64, finished_at: i64 },
    Dead,
}

impl ContainerStatus {
    /// The `STATUS` column (moby's `State.String`): `Up 5 minutes`, `Exited (0) 2 minutes ago`.
    pub fn describe(&self, now: i64) -> String {
        match *self {
            ContainerStatus::Created => "Created".to_string(),
            ContainerStatus::Running { started_at } => {
                format!("Up {}", human_duration(now.saturating_sub(started_at)))
            }
            ContainerStatus::Paused { started_at } => {
                format!("Up {} (Paused)", human_duration(now.saturating_sub(started_at)))
            }
            ContainerStatus::Exited { code, finished_at } => {
                format!("Exited ({code}) {}", ago(now, finished_at))
            }
            ContainerStatus::Dead => "Dead".to_string(),
        }
    }

    /// The `STATE` field: `created`, `running`, `paused`, `exited`, `dead`.
    pub fn state(&self) -> &'static str {
        match self {
            ContainerStatus::Created => "created",
            ContainerStatus::Running { .. } => "running",
            ContainerStatus::Paused { .. } => "paused",
            ContainerStatus::Exited { .. } => "exited",
            ContainerStatus::Dead => "dead",
        }
    }
}

/// One container as `ps` and `system df -v` list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerRow {
    /// The full 64-hex container ID.
    pub id: String,
    /// What the user ran it from: `nginx:1.15.8`, or an image ID.
    pub image: String,
    /// Entrypoint and command joined with spaces: `nginx -g 'daemon off;'`.
    pub command: String,
    pub created: i64,
    pub status: ContainerStatus,
    /// Already formatted, as `0.0.0.0:8080->80/tcp`; empty when nothing is published.
    pub ports: String,
    /// Names without Docker's leading `/`.
    pub names: Vec<String>,
    /// Bytes in the writable layer (`SizeRw`), when sizes were computed.
    pub size_rw: Option<u64>,
    /// Image plus writable layer (`SizeRootFs`), when sizes were computed.
    pub size_root_fs: Option<u64>,
    /// Volumes mounted into the container (`system df -v`).
    pub local_volumes: u64,
}

/// `ps` flags that change the output (filtering `-a` is the engine's job).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PsOptions {
    pub size: bool,
    pub quiet: bool,
    pub no_trunc: bool,
    pub format: Option<String>,
}

const CONTAINER_CONTEXT: &str = "*formatter.ContainerContext";

const CONTAINER_FIELDS: &[(&str, &str)] = &[
    ("Command", "COMMAND"),
    ("CreatedAt", "CREATED AT"),
    ("ID", "CONTAINER ID"),
    ("Image", "IMAGE"),
    ("LocalVolumes", "LOCAL VOLUMES"),
    ("Names", "NAMES"),
    ("Ports", "PORTS"),
    ("RunningFor", "CREATED"),
    ("Size", "SIZE"),
    ("State", "STATE"),
    ("Status", "STATUS"),
];

fn container_size(row: &ContainerRow) -> String {
    let rw = human_size(row.size_rw.unwrap_or(0));
    match row.size_root_fs {
        Some(virt) if virt > 0 => format!("{rw} (virtual {})", human_size(virt)),
        _ => rw,
    }
}

fn container_field(row: &ContainerRow, name: &str, trunc: bool, now: i64) -> Option<String> {
    Some(match name {
        "ID" if trunc => truncate_id(&row.id),
        "ID" => row.id.clone(),
        "Image" if trunc && row.image.starts_with("sha256:") => truncate_id(&row.image),
        "Image" => row.image.clone(),
        "Command" if trunc => go_quote(&ellipsis(&row.command, 20)),
        "Command" => go_quote(&row.command),
        "CreatedAt" => go_time(row.created),
        "RunningFor" => ago(now, row.created),
        "Ports" => row.ports.clone(),
        "State" => row.status.state().to_string(),
        "Status" => row.status.describe(now),
        "Size" => container_size(row),
        "Names" => row.names.join(","),
        "LocalVolumes" => row.local_volumes.to_string(),
        _ => return None,
    })
}

/// `docker ps` (`-s`, `-q`, `--no-trunc`, `--format`).
pub fn ps(rows: &[ContainerRow], opts: &PsOptions, now: i64) -> Result<String, RenderError> {
    let format = if is_default(opts.format.as_deref()) {
        if opts.quiet {
            "{{.ID}}".to_string()
        } else if opts.size {
            "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}\\t{{.Names}}\\t{{.Size}}".to_string()
        } else {
            "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}\\t{{.Names}}".to_string()
        }
    } else {
        opts.format.clone().unwrap_or_default()
    };
    let trunc = !opts.no_trunc;
    Ok(render_list(
        &format,
        CONTAINER_CONTEXT,
        CONTAINER_FIELDS,
        rows,
        |r, f| container_field(r, f, trunc, now),
    )?)
}

// ---------------------------------------------------------------- images

/// One `REPOSITORY:TAG` of an image, as `images` lists it (an image with two tags is two rows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageRow {
    /// Familiar repository name (`nginx`, `localhost:5000/demo/app`); `None` prints `<none>`.
    pub repository: Option<String>,
    pub tag: Option<String>,
    /// The image ID, `sha256:<hex>`.
    pub id: Digest,
    pub created: i64,
    pub size: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImagesOptions {
    pub quiet: bool,
    pub no_trunc: bool,
    pub format: Option<String>,
}

const IMAGE_CONTEXT: &str = "*formatter.ImageContext";

const IMAGE_FIELDS: &[(&str, &str)] = &[
    ("CreatedAt", "CREATED AT"),
    ("CreatedSince", "CREATED"),
    ("Digest", "DIGEST"),
    ("ID", "IMAGE ID"),
    ("Repository", "REPOSITORY"),
    ("Size", "SIZE"),
    ("Tag", "TAG"),
];

fn none_if_missing(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "<none>".to_string())
}

fn image_field(row: &ImageRow, name: &str, trunc: bool, now: i64) -> Option<String> {
    Some(match name {
        "Repository" => none_if_missing(&row.repository),
        "Tag" => none_if_missing(&row.tag),
        "ID" if trunc => row.id.short(),
        "ID" => row.id.to_string(),
        "CreatedSince" => ago(now, row.created),
        "CreatedAt" => go_time(row.created),
        "Size" => human_size(row.size),
        "Digest" => "<none>".to_string(),
        _ => return None,
    })
}

/// `docker images` / `docker image ls`.
pub fn images(rows: &[ImageRow], opts: &ImagesOptions, now: i64) -> Result<String, RenderError> {
    let format = if is_default(opts.format.as_deref()) {
        if opts.quiet {
            "{{.ID}}".to_string()
        } else {
            "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}".to_string()
        }
    } else {
        opts.format.clone().unwrap_or_default()
    };
    let trunc = !opts.no_trunc;
    Ok(render_list(
        &format,
        IMAGE_CONTEXT,
        IMAGE_FIELDS,
        rows,
        |r, f| image_field(r, f, trunc, now),
    )?)
}

// ---------------------------------------------------------------- history

/// One `config.history` entry, newest first, as `history` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryRow {
    /// The image ID for the top row (and for parents that exist locally); `None` prints
    /// `<missing>`.
    pub id: Option<Digest>,
    pub created: i64,
    pub created_by: String,
    /// The layer's size; 0 for `empty_layer` entries.
    pub size: u64,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryOptions {
    /// `-H` / `--human` (default true): `false` prints RFC 3339 times and raw byte counts.
    pub human: bool,
    pub quiet: bool,
    pub no_trunc: bool,
    pub format: Option<String>,
}

impl Default for HistoryOptions {
    fn default() -> Self {
        Self {
            human: true,
            quiet: false,
            no_trunc: false,
            format: None,
        }
    }
}

const HISTORY_CONTEXT: &str = "*image.historyContext";

const HISTORY_FIELDS: &[(&str, &str)] = &[
    ("Comment", "COMMENT"),
    ("CreatedAt", "CREATED AT"),
    ("CreatedBy", "CREATED BY"),
    ("CreatedSince", "CREATED"),
    ("ID", "IMAGE"),
    ("Size", "SIZE"),
];

fn history_field(row: &HistoryRow, name: &str, opts: &HistoryOptions, now: i64) -> Option<String> {
    let trunc = !opts.no_trunc;
    let known_time = row.created > CREATED_CUTOFF;
    Some(match name {
        "ID" => match &row.id {
            None => "<missing>".to_string(),
            Some(id) if trunc => id.short(),
            Some(id) => id.to_string(),
        },
        "CreatedSince" | "CreatedAt" if !known_time => String::new(),
        "CreatedSince" if opts.human => ago(now, row.created),
        "CreatedSince" | "CreatedAt" => rfc3339(row.created),
        "CreatedBy" => {
            let text = row.created_by.replace('\t', " ");
            if trunc { ellipsis(&text, 45) } else { text }
        }
        "Size" if opts.human => human_size(row.size),
        "Size" => row.size.to_string(),
        "Comment" => row.comment.clone(),
        _ => return None,
    })
}

/// `docker history` / `docker image history`.
pub fn history(rows: &[HistoryRow], opts: &HistoryOptions, now: i64) -> Result<String, RenderError> {
    let format = if is_default(opts.format.as_deref()) {
        if opts.quiet {
            "{{.ID}}"
        } else if opts.human {
            "table {{.ID}}\\t{{.CreatedSince}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}"
        } else {
            "table {{.ID}}\\t{{.CreatedAt}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}"
        }
        .to_string()
    } else {
        opts.format.clone().unwrap_or_default()
    };
    Ok(render_list(
        &format,
        HISTORY_CONTEXT,
        HISTORY_FIELDS,
        rows,
        |r, f| history_field(r, f, opts, now),
    )?)
}

// ---------------------------------------------------------------- system df

/// One line of `docker system df`. `reclaimable` is computed by the accounting model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DfRow {
    pub total: u64,
    pub active: u64,
    pub size: u64,
    pub reclaimable: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DfSummary {
    pub images: DfRow,
    pub containers: DfRow,
    pub volumes: DfRow,
    pub build_cache: DfRow,
}

/// `X (NN%)` with the percentage rounded down, or `X` alone when there is nothing to take a
/// share of (Docker prints no percentage for a size of 0).
fn reclaimable(row: &DfRow) -> String {
    let amount = human_size_precision(row.reclaimable, 4);
    if row.size == 0 {
        return amount;
    }
    let percent = u128::from(row.reclaimable) * 100 / u128::from(row.size);
    format!("{amount} ({percent}%)")
}

/// `docker system df`.
pub fn system_df(summary: &DfSummary) -> String {
    let mut text = String::from("TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE\n");
    let lines = [
        ("Images", &summary.images, reclaimable(&summary.images)),
        (
            "Containers",
            &summary.containers,
            reclaimable(&summary.containers),
        ),
        ("Local Volumes", &summary.volumes, reclaimable(&summary.volumes)),
        // Docker never prints a percentage for the build cache.
        (
            "Build Cache",
            &summary.build_cache,
            human_size_precision(summary.build_cache.reclaimable, 4),
        ),
    ];
    for (kind, row, reclaim) in lines {
        text.push_str(&format!(
            "{kind}\t{}\t{}\t{}\t{reclaim}\n",
            row.total,
            row.active,
            human_size_precision(row.size, 4)
        ));
    }
    super::table::TabWriter::docker().format(&text)
}

/// One image in `system df -v`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DfImageRow {
    pub repository: Option<String>,
    pub tag: Option<String>,
    pub id: Digest,
    pub created: i64,
    pub size: u64,
    /// Bytes in layers that another image also uses; `None` prints `N/A`.
    pub shared_size: Option<u64>,
    pub containers: u64,
}

/// One volume in `system df -v` (and `volume ls`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VolumeRow {
    pub name: String,
    pub driver: String,
    /// Containers using it.
    pub links: u64,
    /// `None` prints `N/A`.
    pub size: Option<u64>,
}

/// One build cache record in `system df -v`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildCacheRow {
    pub id: String,
    pub cache_type: String,
    pub size: u64,
    pub created: i64,
    pub last_used: Option<i64>,
    pub usage_count: u64,
    pub shared: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DfVerbose {
    pub images: Vec<DfImageRow>,
    pub containers: Vec<ContainerRow>,
    pub volumes: Vec<VolumeRow>,
    pub build_cache: Vec<BuildCacheRow>,
    /// Total bytes of build cache (`Build cache usage: X`).
    pub build_cache_size: u64,
}

fn size_or_na(size: Option<u64>) -> String {
    size.map_or_else(|| "N/A".to_string(), |s| human_size_precision(s, 4))
}

/// `docker system df -v`: four sections, each its own table.
pub fn system_df_verbose(df: &DfVerbose, now: i64) -> String {
    let tw = super::table::TabWriter::docker();
    let mut out = String::from("Images space usage:\n\n");
    let mut text =
        String::from("REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\tSHARED SIZE\tUNIQUE SIZE\tCONTAINERS\n");
    for i in &df.images {
        let unique = i.shared_size.map(|shared| i.size.saturating_sub(shared));
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            none_if_missing(&i.repository),
            none_if_missing(&i.tag),
            i.id.short(),
            ago(now, i.created),
            human_size_precision(i.size, 4),
            size_or_na(i.shared_size),
            size_or_na(unique),
            i.containers
        ));
    }
    out.push_str(&tw.format(&text));

    out.push_str("\nContainers space usage:\n\n");
    let mut text =
        String::from("CONTAINER ID\tIMAGE\tCOMMAND\tLOCAL VOLUMES\tSIZE\tCREATED\tSTATUS\tNAMES\n");
    for c in &df.containers {
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            truncate_id(&c.id),
            if c.image.starts_with("sha256:") {
                truncate_id(&c.image)
            } else {
                c.image.clone()
            },
            go_quote(&ellipsis(&c.command, 20)),
            c.local_volumes,
            // The virtual size is left out here.
            human_size(c.size_rw.unwrap_or(0)),
            ago(now, c.created),
            c.status.describe(now),
            c.names.join(",")
        ));
    }
    out.push_str(&tw.format(&text));

    out.push_str("\nLocal Volumes space usage:\n\n");
    let mut text = String::from("VOLUME NAME\tLINKS\tSIZE\n");
    for v in &df.volumes {
        text.push_str(&format!("{}\t{}\t{}\n", v.name, v.links, size_or_na(v.size)));
    }
    out.push_str(&tw.format(&text));

    out.push_str(&format!(
        "\nBuild cache usage: {}\n\n",
        human_size_precision(df.build_cache_size, 4)
    ));
    let mut text = String::from("CACHE ID\tCACHE TYPE\tSIZE\tCREATED\tLAST USED\tUSAGE\tSHARED\n");
    for b in &df.build_cache {
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            truncate_id(&b.id),
            b.cache_type,
            human_size_precision(b.size, 4),
            ago(now, b.created),
            b.last_used.map(|t| ago(now, t)).unwrap_or_default(),
            b.usage_count,
            b.shared
        ));
    }
    out.push_str(&tw.format(&text));
    out
}

// ---------------------------------------------------------------- diff

/// A `docker diff` line's letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DiffKind {
    Added,
    Changed,
    Deleted,
}

impl DiffKind {
    pub fn letter(self) -> char {
        match self {
            DiffKind::Added => 'A',
            DiffKind::Changed => 'C',
            DiffKind::Deleted => 'D',
        }
    }
}

/// `docker diff`: one `X /path` line per change, in the order given. Paths may be root-relative
/// (as layers store them) or absolute.
pub fn diff(changes: &[(DiffKind, String)]) -> String {
    let mut out = String::new();
    for (kind, path) in changes {
        out.push(kind.letter());
        out.push(' ');
        if !path.starts_with('/') {
            out.push('/');
        }
        out.push_str(path);
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------- pull

/// A layer's state during a pull, in the order Docker reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PullStatus {
    PullingFsLayer,
    Waiting,
    Downloading { current: u64, total: u64 },
    VerifyingChecksum,
    DownloadComplete,
    Extracting { current: u64, total: u64 },
    PullComplete,
    AlreadyExists,
}

impl PullStatus {
    pub fn word(&self) -> &'static str {
        match self {
            PullStatus::PullingFsLayer => "Pulling fs layer",
            PullStatus::Waiting => "Waiting",
            PullStatus::Downloading { .. } => "Downloading",
            PullStatus::VerifyingChecksum => "Verifying Checksum",
            PullStatus::DownloadComplete => "Download complete",
            PullStatus::Extracting { .. } => "Extracting",
            PullStatus::PullComplete => "Pull complete",
            PullStatus::AlreadyExists => "Already exists",
        }
    }
}

/// Go's `time.Duration.String` for whole seconds (`0s`, `45s`, `2m0s`, `1h2m3s`).
fn go_duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s}s"),
        _ => format!("{h}h{m}m{s}s"),
    }
}

/// moby's `JSONProgress.String`: a 50-cell bar (only on terminals wider than 110 columns),
/// `current/total` at 4 significant digits, and the time left (wider than 50 columns).
pub fn progress_bar(current: u64, total: u64, eta_seconds: Option<u64>, terminal_width: u16) -> String {
    if current == 0 && total == 0 {
        return String::new();
    }
    if total == 0 {
        return format!("{:>8}", human_size_precision(current, 4));
    }
    let filled = ((current as f64 / total as f64 * 100.0) as u64 / 2).min(50) as usize;
    let mut out = String::new();
    if terminal_width > 110 {
        out.push('[');
        out.push_str(&"=".repeat(filled));
        out.push('>');
        out.push_str(&" ".repeat(50 - filled));
        out.push_str("] ");
    }
    let cur = human_size_precision(current, 4);
    if current > total {
        out.push_str(&format!("{cur:>8}"));
    } else {
        out.push_str(&format!("{cur:>8}/{}", human_size_precision(total, 4)));
    }
    if let Some(eta) = eta_seconds.filter(|_| current > 0 && filled < 50 && terminal_width > 50) {
        out.push(' ');
        out.push_str(&go_duration(eta));
    }
    out
}

/// One layer's line: `ceda9d2f4fd2: Pull complete`, or with a bar while bytes move. `id` is the
/// layer's compressed digest; the line shows its first 12 hex digits.
pub fn layer_line(id: &Digest, status: &PullStatus, eta_seconds: Option<u64>, terminal_width: u16) -> String {
    short_layer_line(&id.short(), status, eta_seconds, terminal_width)
}

/// [`layer_line`] for a layer known by its short ID (the first 12 hex digits of its compressed
/// digest), which is how a pull's progress reports name layers.
pub fn short_layer_line(
    short_id: &str,
    status: &PullStatus,
    eta_seconds: Option<u64>,
    terminal_width: u16,
) -> String {
    let progress = match *status {
        PullStatus::Downloading { current, total } | PullStatus::Extracting { current, total } => {
            progress_bar(current, total, eta_seconds, terminal_width)
        }
        _ => String::new(),
    };
    if progress.is_empty() {
        format!("{short_id}: {}", status.word())
    } else {
        format!("{short_id}: {} {progress}", status.word())
    }
}

/// `Unable to find image 'nginx:1.15.8' locally` (`run` and `create` print it on stderr).
pub fn unable_to_find_locally(reference: &Reference) -> String {
    format!("Unable to find image '{}' locally", reference.familiar())
}

/// `Using default tag: latest`, printed by `pull` when no tag was written.
pub fn using_default_tag() -> String {
    "Using default tag: latest".to_string()
}

/// `1.15.8: Pulling from library/nginx`.
pub fn pulling_from(reference: &Reference) -> String {
    let what = match (reference.tag(), reference.digest()) {
        (None, Some(d)) => d.to_string(),
        _ => reference.tag_or_latest().to_string(),
    };
    format!("{what}: Pulling from {}", reference.repository())
}

/// `Digest: sha256:…`, the manifest digest.
pub fn pull_digest(manifest: &Digest) -> String {
    format!("Digest: {manifest}")
}

/// `Status: Downloaded newer image for nginx:1.15.8`.
pub fn downloaded_newer(reference: &Reference) -> String {
    format!("Status: Downloaded newer image for {}", reference.familiar())
}

/// `Status: Image is up to date for nginx:1.15.8`.
pub fn up_to_date(reference: &Reference) -> String {
    format!("Status: Image is up to date for {}", reference.familiar())
}

/// The full reference `pull` (and not `run`) prints last: `docker.io/library/nginx:latest`.
pub fn pulled_reference(reference: &Reference) -> String {
    reference.to_string()
}

// ---------------------------------------------------------------- volumes, rmi, rm, inspect

/// `docker volume ls` (`-q` prints names only).
pub fn volume_ls(volumes: &[VolumeRow], quiet: bool) -> String {
    if quiet {
        return volumes.iter().map(|v| format!("{}\n", v.name)).collect();
    }
    let mut text = String::from("DRIVER\tVOLUME NAME\n");
    for v in volumes {
        text.push_str(&format!("{}\t{}\n", v.driver, v.name));
    }
    super::table::TabWriter::docker().format(&text)
}

/// What `rmi` reports for each name and image it removes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum RmiLine {
    /// A tag or digest reference was removed (`nginx:1.15.8`, `nginx@sha256:…`).
    Untagged(String),
    /// An image or layer record was deleted.
    Deleted(Digest),
}

/// `docker rmi`: `Untagged: …` and `Deleted: sha256:…` lines.
pub fn rmi(lines: &[RmiLine]) -> String {
    lines
        .iter()
        .map(|line| match line {
            RmiLine::Untagged(name) => format!("Untagged: {name}\n"),
            RmiLine::Deleted(digest) => format!("Deleted: {digest}\n"),
        })
        .collect()
}

/// What a `prune` removed, section by section, and the bytes it freed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PruneReport {
    /// Full IDs of removed containers.
    pub containers: Vec<String>,
    /// Names of removed volumes.
    pub volumes: Vec<String>,
    /// Untagged names and deleted image and layer IDs, in the order they went.
    pub images: Vec<RmiLine>,
    /// IDs of removed build cache records.
    pub build_cache: Vec<String>,
    pub reclaimed: u64,
}

/// `docker system prune -f` and the other prunes: one section per kind of object that lost
/// something (in the order `system prune` works), then the total at 4 significant digits.
/// Unlike `rmi`, prune writes `untagged:` and `deleted:` in lower case.
pub fn prune(report: &PruneReport) -> String {
    let mut out = String::new();
    let mut section = |title: &str, lines: Vec<String>| {
        if !lines.is_empty() {
            out.push_str(title);
            out.push('\n');
            for line in lines {
                out.push_str(&line);
                out.push('\n');
            }
            out.push('\n');
        }
    };
    section("Deleted Containers:", report.containers.clone());
    section("Deleted Volumes:", report.volumes.clone());
    section(
        "Deleted Images:",
        report
            .images
            .iter()
            .map(|line| match line {
                RmiLine::Untagged(name) => format!("untagged: {name}"),
                RmiLine::Deleted(digest) => format!("deleted: {digest}"),
            })
            .collect(),
    );
    section("Deleted build cache objects:", report.build_cache.clone());
    out.push_str(&format!(
        "Total reclaimed space: {}\n",
        human_size_precision(report.reclaimed, 4)
    ));
    out
}

/// The question a prune asks before it starts (Docker 20.10's wording), ending in the prompt.
pub fn prune_warning(target: PruneTarget, all: bool, volumes: bool) -> String {
    let body = match target {
        PruneTarget::Containers => "WARNING! This will remove all stopped containers.".to_string(),
        PruneTarget::Images if all => {
            "WARNING! This will remove all images without at least one container associated to them."
                .to_string()
        }
        PruneTarget::Images => "WARNING! This will remove all dangling images.".to_string(),
        PruneTarget::Volumes => {
            "WARNING! This will remove all local volumes not used by at least one container.".to_string()
        }
        PruneTarget::System => {
            let mut lines = vec![
                "WARNING! This will remove:",
                "  - all stopped containers",
                "  - all networks not used by at least one container",
            ];
            if volumes {
                lines.push("  - all volumes not used by at least one container");
            }
            if all {
                lines.push("  - all images without at least one container associated to them");
                lines.push("  - all build cache");
            } else {
                lines.push("  - all dangling images");
                lines.push("  - all dangling build cache");
            }
            format!("{}\n", lines.join("\n"))
        }
    };
    format!("{body}\nAre you sure you want to continue? [y/N] ")
}

/// `docker rm`, `stop`, `start`, `volume rm`: each name echoed as the user wrote it.
pub fn removed_names(names: &[String]) -> String {
    names.iter().map(|n| format!("{n}\n")).collect()
}

/// `docker inspect`: a JSON array indented by 4 spaces, with `<`, `>` and `&` escaped as Go's
/// encoder does (`\u0026\u0026` in a `Cmd` is what Docker shows).
pub fn inspect_json<T: Serialize>(items: &[T]) -> Result<String, RenderError> {
    if items.is_empty() {
        return Ok("[]\n".to_string());
    }
    let mut buf = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    items.serialize(&mut ser).map_err(|e| RenderError::Json {
        reason: e.to_string(),
    })?;
    let text = String::from_utf8(buf).map_err(|e| RenderError::Json {
        reason: e.to_string(),
    })?;
    // These characters can only occur inside JSON strings, so replacing them everywhere is safe.
    Ok(format!("{}\n", go_json_escape(&text)))
}

#[cfg(test)]
mod tests;
