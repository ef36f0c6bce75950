//! What a container's process does in the simulator.
//!
//! Servers and long sleeps are recognised by name and only leave the traces the real programs
//! leave on disk (nginx writes its PID file and makes its cache directories). Everything else runs
//! through a small POSIX-like shell over the container's files: enough for the lab's exercises
//! (`echo > f`, `>>`, `cat`, `ls`, `rm -rf`, `mkdir -p`, `touch`, `chmod`, `mv`, `cp`, `dd`,
//! `make`, `&&`, `||`, `;`).
//!
//! The shared `shell` module of this crate was not available when the engine was written; this
//! interpreter is kept deliberately small so that swapping it for that module later only touches
//! this file.

use serde::{Deserialize, Serialize};

use super::rootfs::RootFs;
use super::volumes::Volume;
use crate::container::FsError;
use crate::layer::path::normalize_path;
use crate::layer::{Content, Entry, EntryKind};

/// What a command does when a container starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behaviour {
    /// Keeps running; `startup` is what it does on disk as it starts.
    Daemon { startup: Vec<String> },
    /// Runs to its end.
    Finite { script: Vec<String> },
    /// Not a program the image has.
    NotFound { program: String },
}

/// What a process printed and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessResult {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
}

const BUILTINS: [&str; 24] = [
    "echo", "cat", "ls", "rm", "mkdir", "touch", "chmod", "mv", "cp", "dd", "make", "sleep", "true", "false",
    "pwd", "sh", "bash", "hostname", "printf", "rmdir", "du", "wc", "date", "env",
];

fn program(argv0: &str) -> &str {
    argv0.rsplit('/').next().unwrap_or(argv0)
}

/// Decides how `argv` behaves as a container's main process.
pub fn classify(argv: &[String]) -> Behaviour {
    let Some(first) = argv.first() else {
        return Behaviour::NotFound {
            program: String::new(),
        };
    };
    let name = program(first);
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
        "python" | "python3" | "node" if argv.len() > 1 && arg(1).is_some_and(|a| !a.starts_with('-')) => {
            Behaviour::Daemon { startup: Vec::new() }
        }
        _ if BUILTINS.contains(&name) => Behaviour::Finite {
            script: argv.to_vec(),
        },
        _ => Behaviour::NotFound {
            program: first.clone(),
        },
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
    volumes: &'a mut [(String, Volume)],
}

enum Place {
    Root(String),
    Volume(usize, String),
}

impl Files<'_> {
    fn place(&self, p: &str) -> Place {
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

    fn get(&self, p: &str) -> Option<Entry> {
        match self.place(p) {
            Place::Root(p) => self.root.get(&p),
            Place::Volume(_, r) if r.is_empty() => Some(Entry::dir(p)),
            Place::Volume(i, r) => self.volumes.get(i).and_then(|(_, v)| v.files.get(&r).cloned()),
        }
    }

    fn write(&mut self, p: &str, content: Content, append: bool) -> Result<(), FsError> {
        match self.place(p) {
            Place::Root(p) => self.root.write_file(&p, content, append),
            Place::Volume(i, r) => {
                let Some((_, v)) = self.volumes.get_mut(i) else {
                    return Ok(());
                };
                let content = match (v.files.get(&r), append) {
                    (
                        Some(Entry {
                            kind: EntryKind::File(Content::Bytes(old)),
                            ..
                        }),
                        true,
                    ) => {
                        let mut b = old.to_vec();
                        b.extend_from_slice(&content_bytes(&content));
                        Content::Bytes(b.into())
                    }
                    _ => content,
                };
                v.files.insert(r.clone(), Entry::file(r, content));
                Ok(())
            }
        }
    }

    fn mkdir(&mut self, p: &str, parents: bool) -> Result<(), FsError> {
        match self.place(p) {
            Place::Root(p) => self.root.mkdir(&p, parents),
            Place::Volume(i, r) if !r.is_empty() => {
                if let Some((_, v)) = self.volumes.get_mut(i) {
                    v.files.insert(r.clone(), Entry::dir(r));
                }
                Ok(())
            }
            Place::Volume(..) => Ok(()),
        }
    }

    fn remove(&mut self, p: &str, recursive: bool, force: bool) -> Result<(), FsError> {
        match self.place(p) {
            Place::Root(p) => self.root.remove(&p, recursive, force),
            Place::Volume(i, r) => {
                if let Some((_, v)) = self.volumes.get_mut(i) {
                    let prefix = format!("{r}/");
                    v.files
                        .retain(|k, _| !(k == &r || (recursive && (r.is_empty() || k.starts_with(&prefix)))));
                }
                Ok(())
            }
        }
    }

    fn children(&self, p: &str) -> Vec<String> {
        match self.place(p) {
            Place::Root(p) => self.root.children(&p),
            Place::Volume(i, r) => self
                .volumes
                .get(i)
                .map(|(_, v)| {
                    v.files
                        .keys()
                        .filter(|k| match r.as_str() {
                            "" => !k.contains('/'),
                            dir => k
                                .strip_prefix(dir)
                                .and_then(|s| s.strip_prefix('/'))
                                .is_some_and(|s| !s.contains('/')),
                        })
                        .map(|k| name_of(k).to_string())
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

fn name_of(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

fn content_bytes(c: &Content) -> Vec<u8> {
    match c {
        Content::Bytes(b) => b.to_vec(),
        other => other.read_range(0, other.len().min(1 << 20) as usize),
    }
}

/// Runs `argv` (a program and its arguments) against the container's files.
pub fn run(root: &mut RootFs, volumes: &mut [(String, Volume)], argv: &[String]) -> ProcessResult {
    let mut files = Files { root, volumes };
    let mut out = ProcessResult::default();
    let code = match argv.first().map(|p| program(p)) {
        Some("sh" | "bash") if argv.get(1).map(String::as_str) == Some("-c") => {
            let script = argv.get(2).cloned().unwrap_or_default();
            run_script(&mut files, &script, &mut out)
        }
        // A shell with no script and no terminal reads an empty stdin and exits at once.
        Some("sh" | "bash") => 0,
        Some(_) => run_simple(&mut files, argv, None, &mut out),
        None => 0,
    };
    out.exit_code = code;
    out
}

/// One parsed word list, split into `&&`, `||` and `;` lists.
fn run_script(files: &mut Files<'_>, script: &str, out: &mut ProcessResult) -> i32 {
    let tokens = match tokenize(script) {
        Ok(t) => t,
        Err(msg) => {
            out.stderr.push_str(&format!("sh: {msg}\n"));
            return 2;
        }
    };
    let mut status = 0;
    let mut skip = false;
    let mut cmd: Vec<String> = Vec::new();
    let mut redirect: Option<(String, bool)> = None;
    let mut iter = tokens.into_iter().peekable();
    loop {
        let tok = iter.next();
        let op = match &tok {
            None => Some(";"),
            Some(Token::Op(o)) if o == "&&" || o == "||" || o == ";" => Some(o.as_str()),
            _ => None,
        };
        if let Some(op) = op {
            if !cmd.is_empty() && !skip {
                status = run_simple(files, &cmd, redirect.take(), out);
            }
            cmd.clear();
            redirect = None;
            skip = match op {
                "&&" => status != 0,
                "||" => status == 0,
                _ => false,
            };
            if tok.is_none() {
                break;
            }
            continue;
        }
        match tok {
            Some(Token::Op(o)) if o == ">" || o == ">>" => match iter.next() {
                Some(Token::Word(w)) => redirect = Some((w, o == ">>")),
                _ => {
                    out.stderr.push_str("sh: syntax error: unexpected end of file\n");
                    return 2;
                }
            },
            Some(Token::Op(o)) if o == "2>" => {
                iter.next();
            }
            Some(Token::Word(w)) => cmd.push(w),
            _ => {}
        }
    }
    status
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Op(String),
}

fn tokenize(s: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => word.push(ch),
                        None => return Err("unterminated quoted string".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => {
                            if let Some(n) = chars.next() {
                                word.push(n);
                            }
                        }
                        Some(ch) => word.push(ch),
                        None => return Err("unterminated quoted string".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            }
            ' ' | '\t' | '\n' | ';' | '&' | '|' | '>' => {
                let redirect_fd = c == '>' && word == "2" && in_word;
                if in_word && !redirect_fd {
                    out.push(Token::Word(std::mem::take(&mut word)));
                }
                in_word = false;
                word.clear();
                match c {
                    ';' | '\n' => out.push(Token::Op(";".into())),
                    '&' if chars.peek() == Some(&'&') => {
                        chars.next();
                        out.push(Token::Op("&&".into()));
                    }
                    '|' if chars.peek() == Some(&'|') => {
                        chars.next();
                        out.push(Token::Op("||".into()));
                    }
                    '&' | '|' => return Err(format!("'{c}' is not supported by the lab's shell")),
                    '>' if redirect_fd => out.push(Token::Op("2>".into())),
                    '>' if chars.peek() == Some(&'>') => {
                        chars.next();
                        out.push(Token::Op(">>".into()));
                    }
                    '>' => out.push(Token::Op(">".into())),
                    _ => {}
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        out.push(Token::Word(word));
    }
    Ok(out)
}

fn abs(p: &str) -> Option<String> {
    let p = p.strip_prefix('/').unwrap_or(p);
    if p.is_empty() || p == "." {
        return Some(String::new());
    }
    normalize_path(p).ok()
}

/// Runs one simple command, its stdout going to `redirect` when given.
fn run_simple(
    files: &mut Files<'_>,
    argv: &[String],
    redirect: Option<(String, bool)>,
    out: &mut ProcessResult,
) -> i32 {
    let mut stdout = String::new();
    let mut stderr = String::new();
    let name = argv.first().map(|p| program(p).to_string()).unwrap_or_default();
    let args: Vec<&str> = argv.iter().skip(1).map(String::as_str).collect();
    let (flags, operands): (Vec<&str>, Vec<&str>) =
        args.iter().partition(|a| a.starts_with('-') && a.len() > 1);
    let has = |f: char| flags.iter().any(|x| !x.starts_with("--") && x.contains(f));
    let mut fail = |msg: String, code: i32| {
        stderr.push_str(&format!("{name}: {msg}\n"));
        code
    };
    let mut status = 0;
    match name.as_str() {
        "true" | "sleep" => {}
        "false" => status = 1,
        "pwd" => stdout.push_str("/\n"),
        "hostname" => stdout.push_str("localhost\n"),
        "echo" => {
            let (newline, words) = match args.first() {
                Some(&"-n") => (false, &args[1..]),
                _ => (true, &args[..]),
            };
            stdout.push_str(&words.join(" "));
            if newline {
                stdout.push('\n');
            }
        }
        "printf" => stdout.push_str(&args.first().unwrap_or(&"").replace("\\n", "\n")),
        "cat" => {
            for p in &operands {
                match abs(p).and_then(|a| files.get(&a)) {
                    Some(Entry {
                        kind: EntryKind::File(c),
                        ..
                    }) => stdout.push_str(&String::from_utf8_lossy(&content_bytes(&c))),
                    Some(_) => status = fail(format!("{p}: Is a directory"), 1),
                    None => status = fail(format!("{p}: No such file or directory"), 1),
                }
            }
        }
        "ls" => {
            let targets = if operands.is_empty() {
                vec!["/"]
            } else {
                operands.clone()
            };
            for (i, p) in targets.iter().enumerate() {
                match abs(p).and_then(|a| files.get(&a).map(|e| (a, e))) {
                    Some((a, e)) if e.is_dir() || a.is_empty() => {
                        if targets.len() > 1 {
                            stdout.push_str(&format!("{}{p}:\n", if i > 0 { "\n" } else { "" }));
                        }
                        for n in files.children(&a) {
                            if has('a') || !n.starts_with('.') {
                                stdout.push_str(&n);
                                stdout.push('\n');
                            }
                        }
                    }
                    Some(_) => stdout.push_str(&format!("{p}\n")),
                    None => status = fail(format!("cannot access '{p}': No such file or directory"), 2),
                }
            }
        }
        "rm" | "rmdir" => {
            for p in &operands {
                let Some(a) = abs(p).filter(|a| !a.is_empty()) else {
                    status = fail("refusing to remove '/'".into(), 1);
                    continue;
                };
                let recursive = name == "rmdir" || has('r') || has('R');
                if let Err(e) = files.remove(&a, recursive, has('f')) {
                    status = fail(format!("cannot remove '{p}': {}", reason(&e)), 1);
                }
            }
        }
        "mkdir" => {
            for p in &operands {
                match abs(p) {
                    Some(a) if !a.is_empty() => {
                        if let Err(e) = files.mkdir(&a, has('p')) {
                            status = fail(format!("cannot create directory '{p}': {}", reason(&e)), 1);
                        }
                    }
                    _ => {}
                }
            }
        }
        "touch" => {
            for p in &operands {
                let Some(a) = abs(p) else { continue };
                let existing = files.get(&a);
                let content = match existing {
                    Some(Entry {
                        kind: EntryKind::File(c),
                        ..
                    }) => c,
                    Some(_) => continue,
                    None => Content::Bytes(Vec::new().into()),
                };
                if let Err(e) = files.write(&a, content, false) {
                    status = fail(format!("cannot touch '{p}': {}", reason(&e)), 1);
                }
            }
        }
        "chmod" => {
            let mode = operands.first().and_then(|m| u32::from_str_radix(m, 8).ok());
            let Some(mode) = mode else {
                return finish(
                    out,
                    stdout,
                    fail("only octal modes are supported in the lab".into(), 1),
                    None,
                    files,
                );
            };
            for p in operands.iter().skip(1) {
                let result = match abs(p) {
                    Some(a) => match files.place(&a) {
                        Place::Root(r) => files.root.chmod(&r, mode),
                        Place::Volume(..) => Ok(()),
                    },
                    None => Ok(()),
                };
                if let Err(e) = result {
                    status = fail(format!("cannot access '{p}': {}", reason(&e)), 1);
                }
            }
        }
        "mv" | "cp" => {
            let (Some(src), Some(dst)) = (operands.first(), operands.get(1)) else {
                return finish(out, stdout, fail("missing file operand".into(), 1), None, files);
            };
            let (Some(s), Some(mut d)) = (abs(src), abs(dst)) else {
                return finish(out, stdout, fail("bad path".into(), 1), None, files);
            };
            if files.get(&d).is_some_and(|e| e.is_dir()) {
                d = if d.is_empty() {
                    name_of(&s).to_string()
                } else {
                    format!("{d}/{}", name_of(&s))
                };
            }
            match files.get(&s) {
                None => status = fail(format!("cannot stat '{src}': No such file or directory"), 1),
                Some(Entry {
                    kind: EntryKind::File(c),
                    ..
                }) => {
                    let result = files.write(&d, c, false);
                    if let Err(e) = result {
                        status = fail(format!("cannot create '{dst}': {}", reason(&e)), 1);
                    } else if name == "mv" {
                        let _ = files.remove(&s, false, true);
                    }
                }
                Some(_) if name == "mv" => {
                    if let (Place::Root(a), Place::Root(b)) = (files.place(&s), files.place(&d)) {
                        if let Err(e) = files.root.rename(&a, &b) {
                            status = fail(format!("cannot move '{src}': {}", reason(&e)), 1);
                        }
                    }
                }
                Some(_) => status = fail(format!("-r not specified; omitting directory '{src}'"), 1),
            }
        }
        "dd" => {
            let opt = |k: &str| {
                args.iter()
                    .find_map(|a| a.strip_prefix(&format!("{k}=")).map(str::to_string))
            };
            let bs = opt("bs").and_then(|b| parse_dd_size(&b)).unwrap_or(512);
            let count = opt("count").and_then(|c| c.parse::<u64>().ok()).unwrap_or(0);
            let input = opt("if").unwrap_or_default();
            let Some(of) = opt("of").and_then(|o| abs(&o)) else {
                return finish(
                    out,
                    stdout,
                    fail("the lab's dd needs of=FILE".into(), 1),
                    None,
                    files,
                );
            };
            let len = bs.saturating_mul(count);
            let content = if input == "/dev/zero" {
                Content::Zeros { len }
            } else {
                Content::Synthetic {
                    len,
                    seed: len ^ 0x5eed,
                }
            };
            if let Err(e) = files.write(&of, content, false) {
                status = fail(format!("failed to open '{}': {}", of, reason(&e)), 1);
            } else {
                stderr.push_str(&format!(
                    "{count}+0 records in\n{count}+0 records out\n{len} bytes ({}, {}) copied, 0.00125 s, {}/s\n",
                    gnu_size(len, 1000, ["kB", "MB", "GB", "TB"]),
                    gnu_size(len, 1024, ["KiB", "MiB", "GiB", "TiB"]),
                    gnu_size(len * 800, 1000, ["kB", "MB", "GB", "TB"]),
                ));
            }
        }
        "make" => status = make(files, &operands, &mut stdout, &mut stderr),
        "du" | "wc" | "date" | "env" => {
            return finish(
                out,
                stdout,
                fail("not available in the lab's shell".into(), 127),
                None,
                files,
            );
        }
        _ => {
            stderr.push_str(&format!("sh: 1: {name}: not found\n"));
            status = 127;
        }
    }
    out.stderr.push_str(&stderr);
    finish(out, stdout, status, redirect, files)
}

fn finish(
    out: &mut ProcessResult,
    stdout: String,
    status: i32,
    redirect: Option<(String, bool)>,
    files: &mut Files<'_>,
) -> i32 {
    match redirect {
        None => {
            out.stdout.push_str(&stdout);
            status
        }
        Some((target, append)) => {
            let Some(p) = abs(&target).filter(|p| !p.is_empty()) else {
                out.stderr
                    .push_str(&format!("sh: cannot create {target}: Is a directory\n"));
                return 2;
            };
            match files.write(&p, Content::Bytes(stdout.into_bytes().into()), append) {
                Ok(()) => status,
                Err(e) => {
                    out.stderr
                        .push_str(&format!("sh: 1: cannot create {target}: {}\n", reason(&e)));
                    2
                }
            }
        }
    }
}

fn reason(e: &FsError) -> String {
    let text = e.to_string();
    text.split_once(": ").map_or(text.clone(), |(_, r)| r.to_string())
}

/// How GNU dd prints a byte count: two significant figures and a unit (`1.0 MB`, `1.0 MiB`).
/// The elapsed time the lab prints is fixed, since the simulator has no clock to measure with.
fn gnu_size(n: u64, base: u64, units: [&str; 4]) -> String {
    let mut value = n as f64;
    let mut unit = None;
    for u in units {
        if value < base as f64 {
            break;
        }
        value /= base as f64;
        unit = Some(u);
    }
    match unit {
        None => format!("{n} B"),
        Some(u) if value < 10.0 => format!("{value:.1} {u}"),
        Some(u) => format!("{value:.0} {u}"),
    }
}

fn parse_dd_size(s: &str) -> Option<u64> {
    let (num, mult) = match s.chars().last()? {
        'K' | 'k' => (&s[..s.len() - 1], 1024),
        'M' => (&s[..s.len() - 1], 1024 * 1024),
        'G' => (&s[..s.len() - 1], 1024 * 1024 * 1024),
        _ => (s, 1),
    };
    num.parse::<u64>().ok().map(|n| n * mult)
}

/// The lab's `make DIR`: builds the lesson's app. With a `Makefile` in DIR it byte-compiles each
/// `.py` file into `__pycache__` and writes a `build/` stamp, as the lesson's Makefile does.
fn make(files: &mut Files<'_>, operands: &[&str], stdout: &mut String, stderr: &mut String) -> i32 {
    let dir = operands.first().and_then(|d| abs(d)).unwrap_or_default();
    let makefile = if dir.is_empty() {
        "Makefile".to_string()
    } else {
        format!("{dir}/Makefile")
    };
    if files.get(&makefile).is_none() {
        let target = operands.first().copied().unwrap_or("all");
        if files.get(&dir).is_some() && !dir.is_empty() {
            stdout.push_str(&format!("make: Nothing to be done for '{target}'.\n"));
            return 0;
        }
        stderr.push_str("make: *** No targets specified and no makefile found.  Stop.\n");
        return 2;
    }
    let sources: Vec<String> = files
        .children(&dir)
        .into_iter()
        .filter(|n| n.ends_with(".py"))
        .collect();
    let join = |n: &str| {
        if dir.is_empty() {
            n.to_string()
        } else {
            format!("{dir}/{n}")
        }
    };
    let _ = files.mkdir(&join("__pycache__"), true);
    for s in &sources {
        let len = files.get(&join(s)).map_or(0, |e| e.apparent_size());
        let stem = s.trim_end_matches(".py");
        stdout.push_str(&format!("python3 -m py_compile /{}\n", join(s)));
        let pyc = join(&format!("__pycache__/{stem}.cpython-34.pyc"));
        let _ = files.write(
            &pyc,
            Content::Synthetic {
                len: len + len / 2 + 128,
                seed: len,
            },
            false,
        );
    }
    let _ = files.mkdir(&join("build"), true);
    let _ = files.write(
        &join("build/app.stamp"),
        Content::Bytes(b"built\n".to_vec().into()),
        false,
    );
    stdout.push_str(&format!("touch /{}\n", join("build/app.stamp")));
    0
}
