//! `inspect`, `container inspect`, `image inspect`: Docker's JSON documents for the fields the
//! engine has, and `--format` over them.
//!
//! Containers are described here; image documents come from the image commands
//! (`Engine::cmd_inspect` in `images.rs`), which print them in Docker's field order: a command
//! naming only images is handed over whole, and a mixed one reads their JSON back.
//!
//! `--format` takes field paths (`{{.State.Status}}`, `{{.Config.Cmd}}`, `{{.}}`) and
//! `{{json .Path}}`, printed as Go's `text/template` prints those values. Core's template module
//! only knows flat fields (`{{.ID}}`) for list output, so the path walk is here.

use std::io::Write;

use layerlab_core::cli::args::InspectArgs;
use layerlab_core::cli::format::rfc3339;
use layerlab_core::cli::render;
use layerlab_core::cli::template::go_json_escape;
use serde::Serialize;
use serde_json::Value;

use super::containers::Container;
use super::volumes::MountKind;
use super::{Engine, EngineError};

/// Why a `--format` template cannot be used, in Go's words where Go has some.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("template parsing error: template: :1: unclosed action")]
    Unclosed,
    #[error("template parsing error: template: :1: function {name:?} not defined")]
    UnknownFunction { name: String },
    #[error("template parsing error: template: :1: unexpected {action:?} in command")]
    BadAction { action: String },
}

/// Go's zero time, which Docker shows for a time that never happened.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ContainerInspect {
    id: String,
    created: String,
    path: String,
    args: Vec<String>,
    state: StateDoc,
    image: String,
    resolv_conf_path: String,
    hostname_path: String,
    hosts_path: String,
    log_path: String,
    name: String,
    restart_count: u32,
    driver: &'static str,
    platform: &'static str,
    host_config: HostConfigDoc,
    graph_driver: GraphDriverDoc,
    #[serde(skip_serializing_if = "Option::is_none")]
    size_rw: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    size_root_fs: Option<u64>,
    mounts: Vec<MountDoc>,
    config: ConfigDoc,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct StateDoc {
    status: &'static str,
    running: bool,
    paused: bool,
    restarting: bool,
    #[serde(rename = "OOMKilled")]
    oom_killed: bool,
    dead: bool,
    pid: i32,
    exit_code: i32,
    error: String,
    started_at: String,
    finished_at: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct HostConfigDoc {
    binds: Option<Vec<String>>,
    network_mode: &'static str,
    auto_remove: bool,
    memory: u64,
    pids_limit: Option<i64>,
    log_config: LogConfigDoc,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct LogConfigDoc {
    #[serde(rename = "Type")]
    kind: &'static str,
    config: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct GraphDriverDoc {
    data: Option<GraphDataDoc>,
    name: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct GraphDataDoc {
    lower_dir: String,
    merged_dir: String,
    upper_dir: String,
    work_dir: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct MountDoc {
    #[serde(rename = "Type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    source: String,
    destination: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    driver: Option<&'static str>,
    mode: &'static str,
    #[serde(rename = "RW")]
    rw: bool,
    propagation: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ConfigDoc {
    hostname: String,
    domainname: String,
    user: String,
    attach_stdin: bool,
    attach_stdout: bool,
    attach_stderr: bool,
    tty: bool,
    open_stdin: bool,
    stdin_once: bool,
    env: Vec<String>,
    cmd: Option<Vec<String>>,
    image: String,
    volumes: Option<std::collections::BTreeMap<String, serde_json::Map<String, Value>>>,
    working_dir: String,
    entrypoint: Option<Vec<String>>,
    labels: std::collections::BTreeMap<String, String>,
}

fn none_if_empty(v: &[String]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.to_vec())
}

impl Engine {
    fn container_document(&self, c: &Container, sizes: bool) -> Result<ContainerInspect, EngineError> {
        let r = &c.record;
        let running = c.running_pid();
        let (status, exit_code, started, finished) = match &c.state {
            None => ("created", 0, ZERO_TIME.to_owned(), ZERO_TIME.to_owned()),
            Some(s) if running.is_some() => ("running", 0, s.started_at.clone(), ZERO_TIME.to_owned()),
            Some(s) => (
                "exited",
                s.exit_code.unwrap_or(255),
                s.started_at.clone(),
                s.finished_at.clone().unwrap_or_else(|| ZERO_TIME.to_owned()),
            ),
        };
        let (entrypoint, cmd) = r.entrypoint_and_cmd();
        let command: Vec<String> = entrypoint.iter().chain(&cmd).cloned().collect();
        let layout = c.layout();
        let graph_driver = if r.vfs {
            GraphDriverDoc {
                data: None,
                name: "vfs",
            }
        } else {
            let lowers = match self.store.content.image(&r.image_id)? {
                Some(image) => layout.overlay_lowers(&self.image_lowers(&image)),
                None => Vec::new(),
            };
            GraphDriverDoc {
                data: Some(GraphDataDoc {
                    lower_dir: lowers
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(":"),
                    merged_dir: layout.merged.display().to_string(),
                    upper_dir: layout.upper.display().to_string(),
                    work_dir: layout.work.display().to_string(),
                }),
                name: "overlay2",
            }
        };
        let (size_rw, size_root_fs) = if sizes {
            let (rw, root) = self.container_sizes(c)?;
            (Some(rw), Some(root))
        } else {
            (None, None)
        };
        let binds: Vec<String> = r
            .mounts
            .iter()
            .filter(|m| m.kind == MountKind::Bind)
            .map(|m| {
                let mut s = format!("{}:{}", m.source.display(), m.destination);
                if m.read_only {
                    s.push_str(":ro");
                }
                s
            })
            .collect();
        let mounts = r
            .mounts
            .iter()
            .map(|m| match m.kind {
                MountKind::Bind => MountDoc {
                    kind: "bind",
                    name: None,
                    source: m.source.display().to_string(),
                    destination: m.destination.clone(),
                    driver: None,
                    mode: if m.read_only { "ro" } else { "" },
                    rw: !m.read_only,
                    propagation: "rprivate",
                },
                MountKind::Volume => MountDoc {
                    kind: "volume",
                    name: m.name.clone(),
                    source: m.source.display().to_string(),
                    destination: m.destination.clone(),
                    driver: Some("local"),
                    mode: if m.read_only { "ro" } else { "z" },
                    rw: !m.read_only,
                    propagation: "",
                },
            })
            .collect();
        let mut volumes = std::collections::BTreeMap::new();
        for m in r
            .mounts
            .iter()
            .filter(|m| m.kind == MountKind::Volume && m.anonymous)
        {
            volumes.insert(m.destination.clone(), serde_json::Map::new());
        }
        Ok(ContainerInspect {
            id: r.id.clone(),
            created: rfc3339(r.created),
            path: command.first().cloned().unwrap_or_default(),
            args: command.get(1..).map(<[String]>::to_vec).unwrap_or_default(),
            state: StateDoc {
                status,
                running: running.is_some(),
                paused: false,
                restarting: false,
                oom_killed: false,
                dead: false,
                pid: running.unwrap_or(0),
                exit_code,
                error: String::new(),
                started_at: started,
                finished_at: finished,
            },
            image: r.image_id.to_string(),
            resolv_conf_path: layout.resolv_conf.display().to_string(),
            hostname_path: layout.hostname.display().to_string(),
            hosts_path: layout.hosts.display().to_string(),
            log_path: c.dir.join(format!("{}-json.log", r.id)).display().to_string(),
            name: format!("/{}", r.name),
            restart_count: 0,
            driver: if r.vfs { "vfs" } else { "overlay2" },
            platform: "linux",
            host_config: HostConfigDoc {
                binds: (!binds.is_empty()).then_some(binds),
                network_mode: if r.host_network { "host" } else { "none" },
                auto_remove: r.auto_remove,
                memory: r.memory.unwrap_or(0),
                pids_limit: r.pids_limit,
                log_config: LogConfigDoc {
                    kind: "json-file",
                    config: std::collections::BTreeMap::new(),
                },
            },
            graph_driver,
            size_rw,
            size_root_fs,
            mounts,
            config: ConfigDoc {
                hostname: r.id.get(..12).unwrap_or(&r.id).to_owned(),
                domainname: String::new(),
                user: r.user.clone(),
                attach_stdin: r.open_stdin && !r.detach,
                attach_stdout: !r.detach,
                attach_stderr: !r.detach,
                tty: r.tty,
                open_stdin: r.open_stdin,
                stdin_once: r.open_stdin && !r.detach,
                env: r.env.clone(),
                cmd: none_if_empty(&cmd),
                image: r.image_name.clone(),
                volumes: (!volumes.is_empty()).then_some(volumes),
                working_dir: r.workdir.clone(),
                entrypoint: none_if_empty(&entrypoint),
                labels: std::collections::BTreeMap::new(),
            },
        })
    }

    /// `inspect NAME...`: containers first, then images, as Docker looks names up (`--type`
    /// narrows it). Names not found are reported on stderr, and the exit status is 1.
    pub(crate) fn cmd_inspect_any(
        &self,
        args: &InspectArgs,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<i32, EngineError> {
        let kind = args.kind.as_deref();
        if let Some(k) = kind.filter(|k| !matches!(*k, "container" | "image" | "volume")) {
            let _ = writeln!(err, "\"{k}\" is not a valid value for --type");
            return Ok(1);
        }
        enum Found {
            Container(Box<Container>),
            Image(String),
            Volume(String),
        }
        let mut found = Vec::new();
        let mut code = 0;
        for name in &args.names {
            let container = match kind {
                None | Some("container") => self.find_container(name).ok(),
                _ => None,
            };
            if let Some(c) = container {
                found.push(Found::Container(Box::new(c)));
                continue;
            }
            if matches!(kind, None | Some("image")) && self.find_image(name)?.is_some() {
                found.push(Found::Image(name.clone()));
                continue;
            }
            if matches!(kind, None | Some("volume")) && self.volume(name)?.is_some() {
                found.push(Found::Volume(name.clone()));
                continue;
            }
            let what = match kind {
                Some("image") => "No such image",
                Some("container") => "No such container",
                Some("volume") => "No such volume",
                _ => "No such object",
            };
            let _ = writeln!(err, "Error: {what}: {name}");
            code = 1;
        }
        // Only images and no template: the image command prints them in Docker's field order.
        if args.format.is_none() && !found.is_empty() && found.iter().all(|f| matches!(f, Found::Image(_))) {
            let names = found
                .iter()
                .filter_map(|f| match f {
                    Found::Image(n) => Some(n.clone()),
                    _ => None,
                })
                .collect();
            let images = InspectArgs {
                names,
                format: None,
                ..args.clone()
            };
            self.cmd_inspect(&images, out)?;
            return Ok(code);
        }
        let mut docs: Vec<Value> = Vec::new();
        for f in found {
            match f {
                Found::Container(c) => docs.push(to_value(&self.container_document(&c, args.size)?)?),
                Found::Image(name) => {
                    let mut buf = Vec::new();
                    let one = InspectArgs {
                        names: vec![name],
                        format: None,
                        ..args.clone()
                    };
                    self.cmd_inspect(&one, &mut buf)?;
                    let items: Vec<Value> =
                        serde_json::from_slice(&buf).map_err(|e| EngineError::Render {
                            reason: e.to_string(),
                        })?;
                    docs.extend(items);
                }
                Found::Volume(name) => {
                    let mut buf = Vec::new();
                    self.cmd_volume_inspect(&[name], None, &mut buf, &mut std::io::sink())?;
                    let items: Vec<Value> =
                        serde_json::from_slice(&buf).map_err(|e| EngineError::Render {
                            reason: e.to_string(),
                        })?;
                    docs.extend(items);
                }
            }
        }
        print_documents(&docs, args.format.as_deref(), out)?;
        Ok(code)
    }
}

fn to_value<T: Serialize>(doc: &T) -> Result<Value, EngineError> {
    serde_json::to_value(doc).map_err(|e| EngineError::Render {
        reason: e.to_string(),
    })
}

/// Prints inspect documents: Docker's indented JSON array, or one line per document through
/// the `--format` template.
pub(crate) fn print_documents<T: Serialize>(
    items: &[T],
    format: Option<&str>,
    out: &mut dyn Write,
) -> Result<(), EngineError> {
    match format {
        None => {
            let text = render::inspect_json(items).map_err(|e| EngineError::Render {
                reason: e.to_string(),
            })?;
            let _ = out.write_all(text.as_bytes());
        }
        Some(template) => {
            let mut text = String::new();
            for item in items {
                text.push_str(&format_document(template, &to_value(item)?)?);
                text.push('\n');
            }
            let _ = out.write_all(text.as_bytes());
        }
    }
    Ok(())
}

/// Fills a `--format` template from one document.
pub fn format_document(template: &str, doc: &Value) -> Result<String, FormatError> {
    let template = template.replace("\\t", "\t").replace("\\n", "\n");
    let mut out = String::new();
    let mut rest = template.as_str();
    while let Some(open) = rest.find("{{") {
        out.push_str(rest.get(..open).unwrap_or_default());
        let after = rest.get(open + 2..).unwrap_or_default();
        let close = after.find("}}").ok_or(FormatError::Unclosed)?;
        let action = after
            .get(..close)
            .unwrap_or_default()
            .trim()
            .trim_start_matches('-')
            .trim_end_matches('-')
            .trim();
        let words: Vec<&str> = action.split_whitespace().collect();
        match words.as_slice() {
            [path] if path.starts_with('.') => out.push_str(&go_text(lookup(doc, path))),
            ["json", path] if path.starts_with('.') => {
                let v = lookup(doc, path).unwrap_or(&Value::Null);
                out.push_str(&go_json_escape(&v.to_string()));
            }
            [name, ..] if !name.starts_with('.') => {
                return Err(FormatError::UnknownFunction {
                    name: (*name).to_owned(),
                });
            }
            _ => {
                return Err(FormatError::BadAction {
                    action: action.to_owned(),
                });
            }
        }
        rest = after.get(close + 2..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(out)
}

/// `.State.Status` in the document; `.` is the document itself.
fn lookup<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .filter(|p| !p.is_empty())
        .try_fold(doc, |v, key| v.get(key))
}

/// A value as Go's `text/template` prints it: strings bare, lists `[a b]`, maps `map[k:v]`
/// (keys sorted), a missing field or null `<no value>`.
fn go_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "<no value>".to_owned(),
        Some(v) => go_value(v),
    }
}

fn go_value(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".to_owned(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => format!("[{}]", items.iter().map(go_value).collect::<Vec<_>>().join(" ")),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{k}:{}", map.get(k).map(go_value).unwrap_or_default()))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn paths_print_as_go_prints_them() {
        let doc = serde_json::json!({
            "State": {"Status": "exited", "ExitCode": 3, "Running": false},
            "Config": {"Cmd": ["sh", "-c", "a && b"], "Labels": {"b": "2", "a": "1"}, "Entrypoint": null},
            "Name": "/demo",
        });
        let f = |t: &str| format_document(t, &doc);
        assert_eq!(
            f("{{.State.Status}} {{.State.ExitCode}} {{ .State.Running }}"),
            Ok("exited 3 false".into())
        );
        assert_eq!(f("{{.Config.Cmd}}"), Ok("[sh -c a && b]".into()));
        assert_eq!(f("{{.Config.Labels}}"), Ok("map[a:1 b:2]".into()));
        assert_eq!(
            f("{{.Config.Entrypoint}}|{{.Nope}}"),
            Ok("<no value>|<no value>".into())
        );
        assert_eq!(
            f("{{json .Config.Cmd}}"),
            Ok("[\"sh\",\"-c\",\"a \\u0026\\u0026 b\"]".into())
        );
        assert_eq!(f("name={{.Name}}\\t!"), Ok("name=/demo\t!".into()));
        assert_eq!(f("{{.Name"), Err(FormatError::Unclosed));
        assert!(matches!(
            f("{{upper .Name}}"),
            Err(FormatError::UnknownFunction { .. })
        ));
        assert!(matches!(f("{{.A .B}}"), Err(FormatError::BadAction { .. })));
    }

    proptest! {
        #[test]
        fn any_template_renders_or_errs(template in "\\PC{0,60}") {
            let doc = serde_json::json!({"A": {"B": [1, "x", null]}});
            let _ = format_document(&template, &doc);
        }
    }
}
