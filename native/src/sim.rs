//! `layerlab --engine sim ...`: core's simulated engine in a terminal.
//!
//! Each invocation loads the simulator from a JSON state file, runs one command line, saves the
//! state back and reports the output, so a sequence of shell commands behaves like a session
//! against one Docker host. The state file is replaced atomically (a temporary file in the same
//! directory, flushed, then renamed over the old one), so an interrupted command never leaves a
//! half-written state behind.
//!
//! The simulated clock does not follow the wall clock: it moves only when a scenario says so
//! (`layerlab --engine sim lab clock advance 60`), which is what lets a scenario replay to the same
//! bytes.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use layerlab_core::cli::args::{self, Command};
use layerlab_core::engine::{Output, Simulator, Stream};

/// Why the simulator could not run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot read the simulator state {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error(
        "the simulator state {path} is not valid ({source}); move it away or pass another --state file to start afresh"
    )]
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("cannot write the simulator state {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    #[error("cannot encode the simulator state: {source}")]
    Encode { source: serde_json::Error },
    #[error("no state file given and neither XDG_STATE_HOME nor HOME is set; pass --state PATH")]
    NoDefaultState,
    #[error("cannot read the build context {path}: {source}")]
    Context { path: PathBuf, source: io::Error },
    #[error("the build context {path} holds more than {limit} bytes; the simulator keeps contexts in memory")]
    ContextTooLarge { path: PathBuf, limit: u64 },
    #[error("open {path}: {source}: check the file name given to -i")]
    Input { path: PathBuf, source: io::Error },
    #[error(
        "the image archive {path} is larger than {limit} bytes, the most the simulator loads (it keeps every loaded file in its state file); save a smaller image"
    )]
    InputTooLarge { path: PathBuf, limit: u64 },
}

/// The most a build context may hold: the simulator keeps it in its state file.
const CONTEXT_LIMIT: u64 = 16 * 1024 * 1024;

/// The regular files under `dir`, by path relative to it. Symlinks and special files are left
/// out, as `docker build` leaves out what it cannot send.
fn read_context(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, SimError> {
    let err = |source| SimError::Context {
        path: dir.into(),
        source,
    };
    let mut files = BTreeMap::new();
    let mut total = 0u64;
    let mut pending = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, rel)) = pending.pop() {
        for entry in fs::read_dir(&path).map_err(err)? {
            let entry = entry.map_err(err)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let kind = entry.file_type().map_err(err)?;
            if kind.is_dir() {
                pending.push((entry.path(), child));
            } else if kind.is_file() {
                let bytes = fs::read(entry.path()).map_err(err)?;
                total += bytes.len() as u64;
                if total > CONTEXT_LIMIT {
                    return Err(SimError::ContextTooLarge {
                        path: dir.into(),
                        limit: CONTEXT_LIMIT,
                    });
                }
                files.insert(child, bytes);
            }
        }
    }
    Ok(files)
}

/// For `build DIR` with a real directory, hands its files to the simulator as the build context.
/// Without one the simulator builds the lesson's own context.
fn attach_build_context(sim: &mut Simulator, line: &str) -> Result<(), SimError> {
    let Ok(words) = args::split_line(line) else {
        return Ok(());
    };
    let Ok(Command::Build { context, .. }) = args::parse(&words) else {
        return Ok(());
    };
    let dir = Path::new(&context);
    if dir.is_dir() {
        sim.set_build_context(&context, read_context(dir)?);
    }
    Ok(())
}

/// The most `load -i FILE` reads: every file of a loaded image ends up in the state file, which
/// is read and written whole on each command.
const INPUT_LIMIT: u64 = 256 * 1024 * 1024;

/// For `load -i FILE`, the bytes of FILE, which the simulator cannot read itself. `None` for any
/// other line, and for `load` without `-i` (the simulator then says stdin is empty).
fn read_input(line: &str) -> Result<Option<Vec<u8>>, SimError> {
    let Ok(words) = args::split_line(line) else {
        return Ok(None);
    };
    let Ok(Command::Load { input: Some(file) }) = args::parse(&words) else {
        return Ok(None);
    };
    let path = PathBuf::from(file);
    let err = |source| SimError::Input {
        path: path.clone(),
        source,
    };
    let mut bytes = Vec::new();
    // `take` caps the read even when the file grows or is not a regular file (a pipe).
    fs::File::open(&path)
        .map_err(err)?
        .take(INPUT_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(err)?;
    if bytes.len() as u64 > INPUT_LIMIT {
        return Err(SimError::InputTooLarge {
            path,
            limit: INPUT_LIMIT,
        });
    }
    Ok(Some(bytes))
}

/// The per-user default: `$XDG_STATE_HOME/layerlab/sim.json`, else `~/.local/state/layerlab/sim.json`
/// (the XDG base directory rule for state that should survive restarts but is not config).
pub fn default_state_path() -> Result<PathBuf, SimError> {
    let from = |var: &str| std::env::var_os(var).filter(|v| !v.is_empty()).map(PathBuf::from);
    // The XDG spec says a relative XDG_STATE_HOME is invalid and must be ignored.
    if let Some(dir) = from("XDG_STATE_HOME").filter(|p| p.is_absolute()) {
        return Ok(dir.join("layerlab").join("sim.json"));
    }
    let home = from("HOME").ok_or(SimError::NoDefaultState)?;
    Ok(home
        .join(".local")
        .join("state")
        .join("layerlab")
        .join("sim.json"))
}

/// Loads the simulator from `path`; a missing file is a fresh host.
pub fn load(path: &Path) -> Result<Simulator, SimError> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| SimError::Corrupt {
            path: path.into(),
            source,
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Simulator::new()),
        Err(source) => Err(SimError::Read {
            path: path.into(),
            source,
        }),
    }
}

/// Writes the simulator to `path` atomically, creating the directory if needed.
pub fn save(path: &Path, sim: &Simulator) -> Result<(), SimError> {
    let bytes = serde_json::to_vec(sim).map_err(|source| SimError::Encode { source })?;
    let write_err = |source| SimError::Write {
        path: path.into(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(write_err)?;
    // The process ID makes the name unique among concurrent invocations; `create_new` refuses
    // to follow a link or reuse a file someone else left there.
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut f = fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written.map_err(write_err)
}

/// The command line the simulator reads for these arguments: `docker <args>`, or `layerlab <rest>`
/// when the first argument is `lab` or `layerlab` (the lab's own commands, such as the clock).
pub fn command_line(args: &[String]) -> String {
    let (head, rest) = match args.split_first() {
        Some((first, rest)) if first == "lab" || first == "layerlab" => ("layerlab", rest),
        _ => ("docker", args),
    };
    let mut line = head.to_string();
    for arg in rest {
        line.push(' ');
        line.push_str(&quote(arg));
    }
    line
}

/// POSIX shell quoting, so the simulator splits the line back into exactly these arguments.
fn quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-_./:=@%+,^".contains(&c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r#"'\''"#))
    }
}

/// The events of one command in plain words, one per line, for `--explain`.
pub fn explain(output: &Output) -> String {
    if output.events.is_empty() {
        return "Under the hood: nothing changed on the simulated disk.\n".to_string();
    }
    let mut text = String::from("Under the hood:\n");
    for event in &output.events {
        text.push_str("  - ");
        text.push_str(&event.explain());
        text.push('\n');
    }
    text
}

/// Runs one command against the state in `state`, writing what it prints to `stdout` and `stderr`.
/// Returns the command's exit code. The state is saved even when the command failed, since a
/// failed `run` can still have pulled an image or created a container, as in Docker.
pub fn run(
    state: &Path,
    args: &[String],
    explain_events: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<i32, SimError> {
    let line = command_line(args);
    let input = match read_input(&line) {
        Ok(input) => input,
        // Docker's CLI fails here, before the daemon sees anything, with exit status 1.
        Err(e) => {
            let _ = writeln!(stderr, "{e}");
            return Ok(1);
        }
    };
    let mut sim = load(state)?;
    attach_build_context(&mut sim, &line)?;
    let output = sim.run_line_with_input(&line, input.as_deref());
    save(state, &sim)?;
    // A closed pipe (`| head`) is not the simulator's failure: the state is saved already. Each
    // part is flushed before the other stream's next one, so a terminal shows them in order.
    for (stream, text) in output.interleaved() {
        let to: &mut dyn Write = match stream {
            Stream::Stdout => &mut *stdout,
            Stream::Stderr => &mut *stderr,
        };
        let _ = to.write_all(text.as_bytes());
        let _ = to.flush();
    }
    if explain_events {
        let _ = stdout.write_all(explain(&output).as_bytes());
    }
    let _ = stdout.flush();
    Ok(output.exit_code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn arguments_are_quoted_for_the_simulator() {
        assert_eq!(
            command_line(&strings(&["run", "nginx:1.15.8"])),
            "docker run nginx:1.15.8"
        );
        assert_eq!(
            command_line(&strings(&["exec", "c", "sh", "-c", "echo it's > /f"])),
            r#"docker exec c sh -c 'echo it'\''s > /f'"#
        );
        assert_eq!(
            command_line(&strings(&["lab", "clock", "advance", "60"])),
            "layerlab clock advance 60"
        );
        assert_eq!(command_line(&strings(&["ps", ""])), "docker ps ''");
    }

    #[test]
    fn state_survives_a_round_trip_and_a_missing_file_is_a_fresh_host() {
        let dir = std::env::temp_dir().join(format!("layerlab-sim-test-{}", std::process::id()));
        let path = dir.join("nested").join("sim.json");
        let mut sim = load(&path).expect("missing file loads as new");
        sim.advance(90);
        save(&path, &sim).expect("saved");
        assert_eq!(load(&path).expect("loads back"), sim);
        fs::write(&path, b"{not json").expect("write");
        assert!(matches!(load(&path), Err(SimError::Corrupt { .. })));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn load_reads_the_file_named_by_dash_i_and_a_missing_one_is_a_clear_error() {
        let dir = std::env::temp_dir().join(format!("layerlab-sim-load-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("mkdir");
        let file = dir.join("not-an-archive.tar");
        fs::write(&file, b"hello").expect("write");
        let file_arg = file.to_string_lossy().into_owned();
        let line = command_line(&strings(&["load", "-i", &file_arg]));
        assert_eq!(read_input(&line).expect("read"), Some(b"hello".to_vec()));
        assert_eq!(read_input("docker load").expect("no -i"), None);
        assert_eq!(read_input("docker images").expect("not load"), None);

        let state = dir.join("sim.json");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(
            &state,
            &strings(&["load", "-i", &file_arg]),
            false,
            &mut out,
            &mut err,
        )
        .expect("runs");
        assert_eq!(code, 1);
        assert!(
            String::from_utf8_lossy(&err).starts_with("Error response from daemon: not a valid tar archive"),
            "{}",
            String::from_utf8_lossy(&err)
        );

        let missing = dir.join("missing.tar").to_string_lossy().into_owned();
        let e = read_input(&command_line(&strings(&["load", "-i", &missing])))
            .expect_err("a missing file is refused");
        assert!(matches!(e, SimError::Input { .. }), "{e}");
        assert!(e.to_string().starts_with(&format!("open {missing}: ")), "{e}");
        let mut err = Vec::new();
        let code = run(
            &state,
            &strings(&["load", "-i", &missing]),
            false,
            &mut out,
            &mut err,
        )
        .expect("runs");
        assert_eq!(
            (code, String::from_utf8_lossy(&err).into_owned()),
            (1, format!("{e}\n"))
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_real_directory_becomes_the_build_context() {
        let dir = std::env::temp_dir().join(format!("layerlab-sim-context-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("ctx").join("sub")).expect("mkdir");
        fs::write(
            dir.join("ctx").join("Dockerfile"),
            "FROM busybox\nCOPY sub/hello.txt /hello.txt\n",
        )
        .expect("write");
        fs::write(
            dir.join("ctx").join("sub").join("hello.txt"),
            "hi from the context\n",
        )
        .expect("write");
        let state = dir.join("sim.json");
        let context = dir.join("ctx").to_string_lossy().into_owned();
        let go = |words: &[&str]| {
            let (mut out, mut err) = (Vec::new(), Vec::new());
            let code = run(&state, &strings(words), false, &mut out, &mut err).expect("runs");
            (
                code,
                String::from_utf8_lossy(&out).into_owned(),
                String::from_utf8_lossy(&err).into_owned(),
            )
        };
        let (code, out, err) = go(&["build", "-q", "-t", "mine", &context]);
        assert_eq!(code, 0, "{out}{err}");
        assert_eq!(
            go(&["run", "--rm", "mine", "cat", "/hello.txt"]),
            (0, "hi from the context\n".to_string(), String::new())
        );
        let _ = fs::remove_dir_all(&dir);
    }
}
