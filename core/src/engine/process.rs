//! What a container's process does in the simulator.
//!
//! Servers and long sleeps are recognised by name and only leave the traces the real programs
//! leave on disk (nginx writes its PID file and makes its cache directories). Everything else runs
//! through [`crate::shell`] over the container's files: the root filesystem (the writable layer
//! over the image) with named volumes mounted on top. `make`, which the lesson's Dockerfile runs,
//! is the engine's own (see [`make`]).

use serde::{Deserialize, Serialize};

use super::rootfs::RootFs;
use super::volumes::Volume;
use crate::container::FsError;
use crate::layer::{Content, Entry, EntryKind};
use crate::shell::{self, Errno, FileKind, ShellEnv, ShellFs, Stat};

/// What a command does when a container starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behaviour {
    /// Keeps running; `startup` is what it does on disk as it starts.
    Daemon { startup: Vec<String> },
    /// Runs to its end.
    Finite,
}

/// What a process printed and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessResult {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
}

/// The program the image does not have, when a container's command cannot start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotFound {
    pub program: String,
}

fn program(argv0: &str) -> &str {
    argv0.rsplit('/').next().unwrap_or(argv0)
}

/// The one command of `sh -c SCRIPT` when the script is a single command of literal words and
/// no redirections (an `exec` before it changes nothing): the shell only waits for (dash and
/// busybox even exec) that command, so the container behaves as the command does
/// (`sh -c 'sleep 600'` keeps running, as in Docker).
fn only_command(argv: &[String]) -> Option<Vec<String>> {
    let [shell_path, flag, script] = argv else {
        return None;
    };
    if !matches!(program(shell_path), "sh" | "bash" | "ash" | "dash") || flag != "-c" {
        return None;
    }
    let parsed = shell::parse(script).ok()?;
    let [list] = parsed.0.as_slice() else {
        return None;
    };
    if !list.rest.is_empty() || !list.first.redirects.is_empty() {
        return None;
    }
    let words = match list.first.words.split_first() {
        Some((first, rest)) if first.0 == [shell::WordPart::Literal("exec".to_owned())] => rest,
        _ => list.first.words.as_slice(),
    };
    words
        .iter()
        .map(|w| {
            w.0.iter()
                .map(|part| match part {
                    shell::WordPart::Literal(s) => Some(s.as_str()),
                    shell::WordPart::Var(_) => None,
                })
                .collect::<Option<String>>()
        })
        .collect()
}

/// Decides how `argv` behaves as a container's main process.
pub fn classify(argv: &[String]) -> Behaviour {
    if let Some(inner) = only_command(argv).filter(|words| !words.is_empty()) {
        return classify(&inner);
    }
    let name = argv.first().map_or("", |p| program(p));
    let arg = |i: usize| argv.get(i).map(String::as_str);
    match name {
        "nginx" => Behaviour::Daemon {
            startup: vec![
                "sh".into(),
                "-c".into(),
                "echo 1 > /run/nginx.pid; mkdir -p /var/cache/nginx/client_temp /var/cache/nginx/proxy_temp \
                 /var/cache/nginx/fastcgi_temp /var/cache/nginx/uwsgi_temp /var/cache/nginx/scgi_temp"
                    .into(),
            ],
        },
        "sleep" if arg(1).is_some_and(|s| s != "0") => Behaviour::Daemon { startup: Vec::new() },
        "tail" if argv.iter().any(|a| a == "-f") => Behaviour::Daemon { startup: Vec::new() },
        "top" | "httpd" | "httpd-foreground" | "redis-server" | "postgres" => {
            Behaviour::Daemon { startup: Vec::new() }
        }
        "python" | "python3" | "node" if arg(1).is_some_and(|a| !a.starts_with('-')) => {
            Behaviour::Daemon { startup: Vec::new() }
        }
        _ => Behaviour::Finite,
    }
}

/// Whether the program exits on SIGTERM as PID 1 (servers install a handler; a plain `sleep`
/// does not, so the kernel ignores the signal and Docker kills it after the grace period).
pub fn handles_sigterm(argv: &[String]) -> bool {
    argv.first().is_some_and(|p| {
        matches!(
            program(p),
            "nginx" | "httpd" | "redis-server" | "postgres" | "node"
        )
    })
}

/// A rough resident size for a checkpoint of this program.
pub fn resident_memory(argv: &[String]) -> u64 {
    match argv.first().map(|p| program(p)) {
        Some("nginx") => 3_200_000,
        Some("python" | "python3" | "node") => 24_000_000,
        _ => 600_000,
    }
}

/// The container's files as the shell sees them: the root filesystem, with volumes mounted over it.
struct Files<'a> {
    root: &'a mut RootFs,
    /// Mount target (root-relative) and the volume mounted there.
    volumes: &'a mut [(String, Volume)],
}

enum Place {
    Root(String),
    Volume(usize, String),
}

fn errno(e: &FsError) -> Errno {
    match e {
        FsError::NotFound { .. } => Errno::NoEntry,
        FsError::AlreadyExists { .. } => Errno::Exists,
        FsError::NotADirectory { .. } => Errno::NotDir,
        FsError::IsADirectory { .. } => Errno::IsDir,
        FsError::NotEmpty { .. } => Errno::NotEmpty,
        FsError::CrossDevice { .. } => Errno::CrossDevice,
        FsError::Loop { .. } | FsError::InvalidArgument { .. } | FsError::BadPath { .. } => Errno::Invalid,
    }
}

fn stat_of(e: &Entry) -> Stat {
    let (kind, len) = match &e.kind {
        EntryKind::Dir | EntryKind::OpaqueDir => (FileKind::Dir, 0),
        EntryKind::Symlink { target } => (
            FileKind::Symlink {
                target: target.clone(),
            },
            target.len() as u64,
        ),
        EntryKind::File(c) => (FileKind::File, c.len()),
        EntryKind::Hardlink { .. } | EntryKind::Whiteout => (FileKind::File, 0),
    };
    Stat {
        kind,
        mode: e.mode,
        uid: e.uid,
        gid: e.gid,
        mtime: e.mtime,
        len,
    }
}

impl Files<'_> {
    /// Where an absolute path lives: in a mounted volume, or in the root filesystem.
    fn place(&self, abs: &str) -> Place {
        let p = abs.trim_start_matches('/');
        for (i, (target, _)) in self.volumes.iter().enumerate() {
            if p == target {
                return Place::Volume(i, String::new());
            }
            if let Some(rest) = p.strip_prefix(target.as_str()).and_then(|r| r.strip_prefix('/')) {
                return Place::Volume(i, rest.to_string());
            }
        }
        Place::Root(p.to_string())
    }

    fn volume(&mut self, i: usize) -> Option<&mut Volume> {
        self.volumes.get_mut(i).map(|(_, v)| v)
    }

    fn entry(&self, abs: &str) -> Option<Entry> {
        match self.place(abs) {
            Place::Root(p) if p.is_empty() => Some(Entry::dir("")),
            Place::Root(p) => self.root.get(&p),
            Place::Volume(_, r) if r.is_empty() => Some(Entry::dir("")),
            Place::Volume(i, r) => self.volumes.get(i).and_then(|(_, v)| v.files.get(&r).cloned()),
        }
    }
}

impl ShellFs for Files<'_> {
    fn stat(&self, path: &str) -> Result<Stat, Errno> {
        self.entry(path).map(|e| stat_of(&e)).ok_or(Errno::NoEntry)
    }

    fn read(&self, path: &str) -> Result<Content, Errno> {
        match self.entry(path).map(|e| e.kind) {
            Some(EntryKind::File(c)) => Ok(c),
            Some(_) => Err(Errno::IsDir),
            None => Err(Errno::NoEntry),
        }
    }

    fn write(&mut self, path: &str, content: Content) -> Result<(), Errno> {
        match self.place(path) {
            Place::Root(p) => self.root.write_file(&p, content, false).map_err(|e| errno(&e)),
            Place::Volume(_, r) if r.is_empty() => Err(Errno::IsDir),
            Place::Volume(i, r) => {
                if let Some(v) = self.volume(i) {
                    v.files.insert(r.clone(), Entry::file(r, content));
                }
                Ok(())
            }
        }
    }

    fn append(&mut self, path: &str, content: Content) -> Result<(), Errno> {
        let existing = self.entry(path);
        match existing.as_ref().map(|e| &e.kind) {
            // Appending to nothing is writing: a generated file keeps its identity.
            None => return self.write(path, content),
            Some(EntryKind::File(c)) if c.is_empty() => return self.write(path, content),
            Some(EntryKind::File(_)) => {}
            Some(_) => return Err(Errno::IsDir),
        }
        match self.place(path) {
            Place::Root(p) => self.root.write_file(&p, content, true).map_err(|e| errno(&e)),
            Place::Volume(i, r) => {
                let old = match existing.map(|e| e.kind) {
                    Some(EntryKind::File(c)) => c,
                    _ => Content::Bytes(Vec::new().into()),
                };
                let mut bytes = old.read_range(0, usize::try_from(old.len()).unwrap_or(0));
                bytes.extend(content.read_range(0, usize::try_from(content.len()).unwrap_or(0)));
                if let Some(v) = self.volume(i) {
                    v.files
                        .insert(r.clone(), Entry::file(r, Content::Bytes(bytes.into())));
                }
                Ok(())
            }
        }
    }

    fn remove(&mut self, path: &str) -> Result<(), Errno> {
        match self.place(path) {
            Place::Root(p) => self.root.remove_one(&p).map_err(|e| errno(&e)),
            Place::Volume(_, r) if r.is_empty() => Err(Errno::Permission),
            Place::Volume(i, r) => {
                let prefix = format!("{r}/");
                let Some(v) = self.volume(i) else {
                    return Err(Errno::NoEntry);
                };
                if v.files.keys().any(|k| k.starts_with(&prefix)) {
                    return Err(Errno::NotEmpty);
                }
                v.files.remove(&r).map(|_| ()).ok_or(Errno::NoEntry)
            }
        }
    }

    fn remove_tree(&mut self, path: &str) -> Result<(), Errno> {
        match self.place(path) {
            // One whiteout for the whole tree, as overlayfs leaves it.
            Place::Root(p) => self.root.remove(&p, true, false).map_err(|e| errno(&e)),
            Place::Volume(i, r) => {
                let prefix = format!("{r}/");
                if let Some(v) = self.volume(i) {
                    v.files
                        .retain(|k, _| !(r.is_empty() || *k == r || k.starts_with(&prefix)));
                }
                Ok(())
            }
        }
    }

    fn mkdir(&mut self, path: &str, mode: u32) -> Result<(), Errno> {
        match self.place(path) {
            Place::Root(p) => {
                self.root.mkdir(&p, false).map_err(|e| errno(&e))?;
                if mode != crate::layer::DIR_MODE {
                    self.root.chmod(&p, mode).map_err(|e| errno(&e))?;
                }
                Ok(())
            }
            Place::Volume(_, r) if r.is_empty() => Err(Errno::Exists),
            Place::Volume(i, r) => {
                if let Some(v) = self.volume(i) {
                    if v.files.contains_key(&r) {
                        return Err(Errno::Exists);
                    }
                    v.files.insert(r.clone(), Entry::dir(r).with_mode(mode));
                }
                Ok(())
            }
        }
    }

    fn list(&self, path: &str) -> Result<Vec<String>, Errno> {
        match self.place(path) {
            Place::Root(p) => {
                let mut names = self.root.list(&p).map_err(|e| errno(&e))?;
                // A volume mounted on a path that the image lacks still shows in its parent.
                for (target, _) in self.volumes.iter() {
                    let parent = target.rsplit_once('/').map_or("", |(d, _)| d);
                    let name = target.rsplit('/').next().unwrap_or(target);
                    if parent == p && !names.iter().any(|n| n == name) {
                        names.push(name.to_string());
                    }
                }
                crate::sort::sort(&mut names);
                Ok(names)
            }
            Place::Volume(i, r) => {
                let v = self.volumes.get(i).map(|(_, v)| v).ok_or(Errno::NoEntry)?;
                Ok(v.files
                    .keys()
                    .filter_map(|k| {
                        let rest = if r.is_empty() {
                            Some(k.as_str())
                        } else {
                            k.strip_prefix(&format!("{r}/"))
                        };
                        rest.filter(|s| !s.is_empty() && !s.contains('/'))
                            .map(str::to_string)
                    })
                    .collect())
            }
        }
    }

    fn chmod(&mut self, path: &str, mode: u32) -> Result<(), Errno> {
        match self.place(path) {
            Place::Root(p) => self.root.chmod(&p, mode).map_err(|e| errno(&e)),
            Place::Volume(i, r) => {
                if let Some(e) = self.volume(i).and_then(|v| v.files.get_mut(&r)) {
                    e.mode = mode;
                }
                Ok(())
            }
        }
    }

    fn chown(&mut self, path: &str, uid: u32, gid: u32) -> Result<(), Errno> {
        match self.place(path) {
            Place::Root(p) => self.root.chown(&p, uid, gid).map_err(|e| errno(&e)),
            Place::Volume(i, r) => {
                if let Some(e) = self.volume(i).and_then(|v| v.files.get_mut(&r)) {
                    e.uid = uid;
                    e.gid = gid;
                }
                Ok(())
            }
        }
    }

    fn rename(&mut self, from: &str, to: &str) -> Result<(), Errno> {
        match (self.place(from), self.place(to)) {
            (Place::Root(a), Place::Root(b)) => self.root.rename(&a, &b).map_err(|e| errno(&e)),
            // Across a mount point rename(2) fails with EXDEV and mv copies instead.
            _ => Err(Errno::CrossDevice),
        }
    }

    fn set_mtime(&mut self, path: &str, mtime: i64) -> Result<(), Errno> {
        match self.place(path) {
            Place::Root(p) => self.root.touch(&p, mtime).map_err(|e| errno(&e)),
            Place::Volume(i, r) => {
                if let Some(e) = self.volume(i).and_then(|v| v.files.get_mut(&r)) {
                    e.mtime = mtime;
                }
                Ok(())
            }
        }
    }
}

/// Runs `argv` (a program and its arguments) against the container's files.
pub fn run(
    root: &mut RootFs,
    volumes: &mut [(String, Volume)],
    env: &mut ShellEnv,
    argv: &[String],
) -> Result<ProcessResult, NotFound> {
    let mut files = Files { root, volumes };
    let outcome = match argv {
        [sh, flag, script, ..] if matches!(program(sh), "sh" | "bash") && flag == "-c" => {
            match make_invocation(script) {
                Some(args) => make(&mut files, &args),
                None => shell::run_script(&mut files, env, script),
            }
        }
        // A shell with no script and no terminal reads an empty stdin and exits at once.
        [sh] if matches!(program(sh), "sh" | "bash") => shell::Outcome::default(),
        [first, rest @ ..] if program(first) == "make" => make(&mut files, rest),
        _ => shell::run_argv(&mut files, env, argv).map_err(|e| match e {
            shell::ExecError::NotFound { program } => NotFound { program },
            shell::ExecError::Empty => NotFound {
                program: String::new(),
            },
        })?,
    };
    Ok(ProcessResult {
        stdout: outcome.stdout_text(),
        stderr: outcome.stderr,
        exit_code: outcome.exit_code,
    })
}

/// The arguments of a script that is one plain `make ...` command (the lesson's `RUN make /app`).
/// The shared shell has no `make`; scripts that combine it with other commands are not simulated.
fn make_invocation(script: &str) -> Option<Vec<String>> {
    let words: Vec<&str> = script.split_whitespace().collect();
    let plain = script
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " /._-=".contains(c));
    match words.split_first() {
        Some((&"make", rest)) if plain => Some(rest.iter().map(|w| w.to_string()).collect()),
        _ => None,
    }
}

/// The lab's `make [DIR]`: builds the lesson's app. With a `Makefile` in DIR it byte-compiles each
/// `.py` file into `__pycache__` (as `python3 -m py_compile` would) and writes a `build/` stamp,
/// which is what the lesson's Makefile does; without one it says what GNU make says.
fn make(files: &mut Files<'_>, args: &[String]) -> shell::Outcome {
    let mut out = shell::Outcome::default();
    let dir = args
        .iter()
        .find(|a| !a.starts_with('-'))
        .map_or("/".to_string(), |d| {
            if d.starts_with('/') {
                d.trim_end_matches('/').to_string()
            } else {
                format!("/{d}")
            }
        });
    let join = |n: &str| {
        if dir == "/" {
            format!("/{n}")
        } else {
            format!("{dir}/{n}")
        }
    };
    if files.stat(&join("Makefile")).is_err() {
        if files.stat(&dir).is_ok() && dir != "/" {
            out.stdout.push(Content::bytes(
                format!("make: Nothing to be done for '{}'.\n", args.join(" ")).into_bytes(),
            ));
        } else {
            out.stderr
                .push_str("make: *** No targets specified and no makefile found.  Stop.\n");
            out.exit_code = 2;
        }
        return out;
    }
    let sources: Vec<String> = files
        .list(&dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|n| n.ends_with(".py"))
        .collect();
    let _ = files.mkdir(&join("__pycache__"), crate::layer::DIR_MODE);
    let mut log = String::new();
    for s in &sources {
        let len = files.stat(&join(s)).map_or(0, |st| st.len);
        let stem = s.trim_end_matches(".py");
        log.push_str(&format!("python3 -m py_compile {}\n", join(s)));
        // Byte code is about as long as its source plus a header; its bytes are never read.
        let pyc = Content::Synthetic {
            len: len + len / 2 + 128,
            seed: len,
        };
        let _ = files.write(&join(&format!("__pycache__/{stem}.cpython-34.pyc")), pyc);
    }
    let _ = files.mkdir(&join("build"), crate::layer::DIR_MODE);
    let _ = files.write(&join("build/app.stamp"), Content::bytes(b"built\n".to_vec()));
    log.push_str(&format!("touch {}\n", join("build/app.stamp")));
    out.stdout.push(Content::bytes(log.into_bytes()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn a_shell_running_one_long_command_keeps_running() {
        let daemon = Behaviour::Daemon { startup: Vec::new() };
        assert_eq!(classify(&argv(&["sh", "-c", "sleep 600"])), daemon);
        assert_eq!(classify(&argv(&["/bin/sh", "-c", "exec sleep 600"])), daemon);
        assert_eq!(classify(&argv(&["sh", "-c", "'sleep' \"600\""])), daemon);
        // Anything more than the one command runs through the shell to its end.
        for script in [
            "sleep 600; echo done",
            "sleep 600 > /log",
            "sleep $T",
            "echo hi",
            "",
        ] {
            assert_eq!(
                classify(&argv(&["sh", "-c", script])),
                Behaviour::Finite,
                "{script}"
            );
        }
    }
}
