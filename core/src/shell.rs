//! The small POSIX-like shell that `run` and `exec` use in the simulator: enough of `sh` for the
//! lab's exercises (writing, appending, deleting, renaming files in a container) and nothing
//! that needs a real kernel.
//!
//! Public API:
//! - [`ShellFs`]: the file operations the shell needs, on absolute normalised paths (`/etc/motd`,
//!   `/` for the root), with [`Errno`] errors. The engine implements it over a container's layer;
//!   the shell never sees layers.
//! - [`parse`]`(&str) -> Result<Script, SyntaxError>`: words (quotes, backslashes, `$VAR`),
//!   redirections (`>`, `>>`, `2>`, `2>>`, `2>&1`) and lists (`&&`, `||`, `;`, newlines).
//! - [`run_script`]`(fs, env, script) -> Outcome` runs a script as `sh -c` would;
//!   [`run_argv`]`(fs, env, argv) -> Result<Outcome, ExecError>` runs a command without a shell
//!   (`docker exec demo ls -l`), and `sh -c '…'` / `/bin/sh -c '…'` go back to the script runner.
//! - [`ShellEnv`] (working directory, host name, variables, the time for `ls -l` and `touch`) and
//!   [`Outcome`] (stdout as [`Content`] chunks, so `cat big > copy` keeps a synthetic file's
//!   identity; stderr; exit code).
//!
//! Builtins: `echo`, `printf`, `cat`, `ls [-l] [-a]`, `rm [-r] [-f]`, `mkdir [-p]`, `touch`,
//! `chmod`, `chown`, `mv`, `cp [-r]`, `dd if=/dev/zero|/dev/urandom of=F bs=… count=…`, `true`,
//! `false`, `exit`, `sleep`, `hostname`, `pwd`, `cd`, `env`. Errors use dash's and GNU coreutils'
//! wording (`rm: cannot remove 'x': No such file or directory`, `sh: 1: foo: not found`, exit 127).
//! Pipes and background jobs are refused with a message rather than half-done.

use std::fmt;

use crate::decimal::Decimal;
use crate::layer::Content;

// ---------------------------------------------------------------- the file-system trait

/// What a file operation failed with, worded as `strerror` words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Errno {
    #[error("No such file or directory")]
    NoEntry,
    #[error("File exists")]
    Exists,
    #[error("Not a directory")]
    NotDir,
    #[error("Is a directory")]
    IsDir,
    #[error("Directory not empty")]
    NotEmpty,
    #[error("Permission denied")]
    Permission,
    #[error("Invalid cross-device link")]
    CrossDevice,
    #[error("Read-only file system")]
    ReadOnly,
    #[error("No space left on device")]
    NoSpace,
    #[error("Invalid argument")]
    Invalid,
}

/// What kind of thing a path is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    File,
    Dir,
    Symlink { target: String },
}

/// What `stat` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    pub kind: FileKind,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: i64,
    /// File length; the target's length for a symlink; 0 for a directory.
    pub len: u64,
}

/// The files a shell works on. Paths are absolute and normalised (`/`, `/etc/motd`). `stat` and
/// `list` do not follow a final symlink (like `lstat`), so walking a tree cannot loop; symlinks
/// earlier in a path are the implementer's to follow.
pub trait ShellFs {
    fn stat(&self, path: &str) -> Result<Stat, Errno>;
    /// A regular file's content.
    fn read(&self, path: &str) -> Result<Content, Errno>;
    /// Creates or truncates a regular file (the parent must exist).
    fn write(&mut self, path: &str, content: Content) -> Result<(), Errno>;
    /// Appends to a regular file, creating it if missing. Appending to an empty file should leave
    /// `content` as it is, so that `cat big > copy` keeps a generated file's identity.
    fn append(&mut self, path: &str, content: Content) -> Result<(), Errno>;
    /// Removes a file, symlink or empty directory.
    fn remove(&mut self, path: &str) -> Result<(), Errno>;
    fn mkdir(&mut self, path: &str, mode: u32) -> Result<(), Errno>;
    /// The names in a directory, sorted.
    fn list(&self, path: &str) -> Result<Vec<String>, Errno>;
    fn chmod(&mut self, path: &str, mode: u32) -> Result<(), Errno>;
    fn chown(&mut self, path: &str, uid: u32, gid: u32) -> Result<(), Errno>;
    /// `rename(2)`: overlayfs answers [`Errno::CrossDevice`] for a directory from a lower layer,
    /// and `mv` then copies and deletes, as GNU mv does.
    fn rename(&mut self, from: &str, to: &str) -> Result<(), Errno>;
    /// Sets a path's modification time (`touch` on an existing file).
    fn set_mtime(&mut self, path: &str, mtime: i64) -> Result<(), Errno>;

    /// Removes a whole tree. The default walks it; an engine may do it in one step.
    fn remove_tree(&mut self, path: &str) -> Result<(), Errno> {
        if self.stat(path)?.kind == FileKind::Dir {
            for name in self.list(path)? {
                self.remove_tree(&join(path, &name))?;
            }
        }
        self.remove(path)
    }
}

// ---------------------------------------------------------------- syntax

/// Why a script cannot be parsed, in dash's words. The exit code is 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyntaxError {
    #[error("sh: 1: Syntax error: Unterminated quoted string")]
    Unterminated,
    #[error("sh: 1: Syntax error: \"{token}\" unexpected")]
    Unexpected { token: String },
    #[error("sh: 1: Syntax error: end of file unexpected")]
    EndOfFile,
    #[error("sh: 1: {feature} are not supported in the lab's shell: use ';', '&&' or '||'")]
    Unsupported { feature: &'static str },
}

/// A piece of a word: literal text, or a variable to expand (`$HOME`, `${HOME}`, `$?`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WordPart {
    Literal(String),
    Var(String),
}

/// A word of a command line, after quote removal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Word(pub Vec<WordPart>);

/// Where a stream goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redirect {
    /// `>` / `>>` (fd 1) and `2>` / `2>>` (fd 2).
    ToFile { fd: u8, append: bool, target: Word },
    /// `2>&1`.
    StderrToStdout,
}

/// One command with its redirections.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Simple {
    pub words: Vec<Word>,
    pub redirects: Vec<Redirect>,
}

/// How a command joins the one before it in an and-or list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connector {
    And,
    Or,
}

/// `a && b || c`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AndOr {
    pub first: Simple,
    pub rest: Vec<(Connector, Simple)>,
}

/// A whole script: and-or lists run one after another.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Script(pub Vec<AndOr>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(Word),
    And,
    Or,
    Semi,
    Out { fd: u8, append: bool },
    ErrToOut,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Word(_) => f.write_str("word"),
            Token::And => f.write_str("&&"),
            Token::Or => f.write_str("||"),
            Token::Semi => f.write_str(";"),
            Token::Out { append: false, .. } => f.write_str(">"),
            Token::Out { append: true, .. } => f.write_str(">>"),
            Token::ErrToOut => f.write_str("2>&1"),
        }
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Reads `$NAME`, `${NAME}` or `$?` after a `$`; a lone `$` stays literal.
fn read_var(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<Option<String>, SyntaxError> {
    match chars.peek().copied() {
        Some('?') => {
            chars.next();
            Ok(Some("?".to_string()))
        }
        Some('{') => {
            chars.next();
            let mut name = String::new();
            loop {
                match chars.next() {
                    Some('}') => return Ok(Some(name)),
                    Some(c) => name.push(c),
                    None => return Err(SyntaxError::Unterminated),
                }
            }
        }
        Some(c) if is_name_char(c) && !c.is_ascii_digit() => {
            let mut name = String::new();
            while let Some(&c) = chars.peek() {
                if !is_name_char(c) {
                    break;
                }
                name.push(c);
                chars.next();
            }
            Ok(Some(name))
        }
        _ => Ok(None),
    }
}

fn tokenize(script: &str) -> Result<Vec<Token>, SyntaxError> {
    let mut tokens = Vec::new();
    let mut chars = script.chars().peekable();
    let mut parts: Vec<WordPart> = Vec::new();
    let mut literal = String::new();
    let mut in_word = false;

    fn flush_literal(literal: &mut String, parts: &mut Vec<WordPart>) {
        if !literal.is_empty() {
            parts.push(WordPart::Literal(std::mem::take(literal)));
        }
    }
    fn end_word(
        literal: &mut String,
        parts: &mut Vec<WordPart>,
        in_word: &mut bool,
        tokens: &mut Vec<Token>,
    ) {
        if *in_word {
            flush_literal(literal, parts);
            tokens.push(Token::Word(Word(std::mem::take(parts))));
            *in_word = false;
        }
    }

    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => literal.push(ch),
                        None => return Err(SyntaxError::Unterminated),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(n @ ('"' | '\\' | '$' | '`')) => literal.push(n),
                            Some('\n') => {}
                            Some(n) => {
                                literal.push('\\');
                                literal.push(n);
                            }
                            None => return Err(SyntaxError::Unterminated),
                        },
                        Some('$') => match read_var(&mut chars)? {
                            Some(name) => {
                                flush_literal(&mut literal, &mut parts);
                                parts.push(WordPart::Var(name));
                            }
                            None => literal.push('$'),
                        },
                        Some(ch) => literal.push(ch),
                        None => return Err(SyntaxError::Unterminated),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(n) => {
                    in_word = true;
                    literal.push(n);
                }
                None => {}
            },
            '$' => {
                in_word = true;
                match read_var(&mut chars)? {
                    Some(name) => {
                        flush_literal(&mut literal, &mut parts);
                        parts.push(WordPart::Var(name));
                    }
                    None => literal.push('$'),
                }
            }
            '#' if !in_word => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        tokens.push(Token::Semi);
                        break;
                    }
                }
            }
            ' ' | '\t' => end_word(&mut literal, &mut parts, &mut in_word, &mut tokens),
            '\n' | ';' => {
                end_word(&mut literal, &mut parts, &mut in_word, &mut tokens);
                tokens.push(Token::Semi);
            }
            '&' => {
                end_word(&mut literal, &mut parts, &mut in_word, &mut tokens);
                if chars.next_if_eq(&'&').is_some() {
                    tokens.push(Token::And);
                } else {
                    return Err(SyntaxError::Unsupported {
                        feature: "background jobs ('&')",
                    });
                }
            }
            '|' => {
                end_word(&mut literal, &mut parts, &mut in_word, &mut tokens);
                if chars.next_if_eq(&'|').is_some() {
                    tokens.push(Token::Or);
                } else {
                    return Err(SyntaxError::Unsupported {
                        feature: "pipes ('|')",
                    });
                }
            }
            '<' | '`' | '(' | ')' => {
                return Err(SyntaxError::Unsupported {
                    feature: match c {
                        '<' => "input redirections ('<')",
                        '`' => "command substitutions",
                        _ => "subshells",
                    },
                });
            }
            '>' => {
                // `2>` is a redirection of stderr only when the 2 stands alone.
                let fd = if in_word && parts.is_empty() && literal == "2" {
                    literal.clear();
                    in_word = false;
                    2
                } else {
                    end_word(&mut literal, &mut parts, &mut in_word, &mut tokens);
                    1
                };
                let append = chars.next_if_eq(&'>').is_some();
                if fd == 2 && !append && chars.next_if_eq(&'&').is_some() {
                    if chars.next_if_eq(&'1').is_some() {
                        tokens.push(Token::ErrToOut);
                        continue;
                    }
                    return Err(SyntaxError::Unsupported {
                        feature: "redirections other than 2>&1",
                    });
                }
                tokens.push(Token::Out { fd, append });
            }
            c => {
                in_word = true;
                literal.push(c);
            }
        }
    }
    end_word(&mut literal, &mut parts, &mut in_word, &mut tokens);
    Ok(tokens)
}

/// Parses a script.
pub fn parse(script: &str) -> Result<Script, SyntaxError> {
    let tokens = tokenize(script)?;
    let mut lists = Vec::new();
    let mut iter = tokens.into_iter().peekable();
    loop {
        while iter.next_if_eq(&Token::Semi).is_some() {}
        if iter.peek().is_none() {
            break;
        }
        let first = parse_simple(&mut iter)?;
        let mut rest = Vec::new();
        loop {
            let connector = match iter.peek() {
                Some(Token::And) => Connector::And,
                Some(Token::Or) => Connector::Or,
                _ => break,
            };
            iter.next();
            while iter.next_if_eq(&Token::Semi).is_some() {}
            if iter.peek().is_none() {
                return Err(SyntaxError::EndOfFile);
            }
            rest.push((connector, parse_simple(&mut iter)?));
        }
        lists.push(AndOr { first, rest });
        match iter.next() {
            None | Some(Token::Semi) => {}
            Some(other) => {
                return Err(SyntaxError::Unexpected {
                    token: other.to_string(),
                });
            }
        }
    }
    Ok(Script(lists))
}

fn parse_simple(iter: &mut std::iter::Peekable<std::vec::IntoIter<Token>>) -> Result<Simple, SyntaxError> {
    let mut simple = Simple::default();
    loop {
        match iter.peek() {
            Some(Token::Word(_)) => {
                if let Some(Token::Word(w)) = iter.next() {
                    simple.words.push(w);
                }
            }
            Some(Token::Out { fd, append }) => {
                let (fd, append) = (*fd, *append);
                iter.next();
                match iter.next() {
                    Some(Token::Word(target)) => {
                        simple.redirects.push(Redirect::ToFile { fd, append, target })
                    }
                    Some(other) => {
                        return Err(SyntaxError::Unexpected {
                            token: other.to_string(),
                        });
                    }
                    None => {
                        return Err(SyntaxError::Unexpected {
                            token: "newline".to_string(),
                        });
                    }
                }
            }
            Some(Token::ErrToOut) => {
                iter.next();
                simple.redirects.push(Redirect::StderrToStdout);
            }
            _ => break,
        }
    }
    if simple.words.is_empty() && simple.redirects.is_empty() {
        let token = iter
            .peek()
            .map_or_else(|| "end of file".to_string(), ToString::to_string);
        return Err(SyntaxError::Unexpected { token });
    }
    Ok(simple)
}

// ---------------------------------------------------------------- running

/// The process's surroundings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellEnv {
    /// Absolute working directory.
    pub cwd: String,
    pub hostname: String,
    /// Environment variables, in order.
    pub vars: Vec<(String, String)>,
    /// Seconds since the epoch: the time `touch` stamps and `ls -l` compares against.
    pub now: i64,
    /// The exit code of the last command (`$?`).
    pub last_status: i32,
}

impl ShellEnv {
    pub fn new(hostname: impl Into<String>, now: i64) -> Self {
        ShellEnv {
            cwd: "/".to_string(),
            hostname: hostname.into(),
            vars: vec![(
                "PATH".to_string(),
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string(),
            )],
            now,
            last_status: 0,
        }
    }

    fn var(&self, name: &str) -> String {
        match name {
            "?" => self.last_status.to_string(),
            "PWD" => self.cwd.clone(),
            "HOSTNAME" if !self.vars.iter().any(|(k, _)| k == "HOSTNAME") => self.hostname.clone(),
            _ => self
                .vars
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
        }
    }
}

/// What a command or script printed and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// What went to stdout, piece by piece: text, and whole files `cat` printed.
    pub stdout: Vec<Content>,
    pub stderr: String,
    pub exit_code: i32,
}

/// Terminal text for a file that has no real bytes to show.
const MAX_SHOWN: u64 = 64 * 1024;

impl Outcome {
    /// stdout as terminal text. Files of generated content are shown from their first bytes.
    pub fn stdout_text(&self) -> String {
        let mut out = String::new();
        for chunk in &self.stdout {
            let shown = chunk.len().min(MAX_SHOWN) as usize;
            out.push_str(&String::from_utf8_lossy(&chunk.read_range(0, shown)));
        }
        out
    }

    fn print(&mut self, text: impl Into<String>) {
        let text: String = text.into();
        if !text.is_empty() {
            self.stdout.push(Content::bytes(text.into_bytes()));
        }
    }

    fn eprint(&mut self, text: &str) {
        self.stderr.push_str(text);
    }
}

/// Why `run_argv` could not start a program.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    #[error("exec: \"{program}\": executable file not found in $PATH")]
    NotFound { program: String },
    #[error("no command given")]
    Empty,
}

/// How deep `sh -c "sh -c …"` may nest.
const MAX_DEPTH: usize = 16;

/// Runs a script as `sh -c SCRIPT` would.
pub fn run_script(fs: &mut dyn ShellFs, env: &mut ShellEnv, script: &str) -> Outcome {
    run_script_at(fs, env, script, 0)
}

fn run_script_at(fs: &mut dyn ShellFs, env: &mut ShellEnv, script: &str, depth: usize) -> Outcome {
    let mut out = Outcome::default();
    let parsed = match parse(script) {
        Ok(p) => p,
        Err(e) => {
            out.eprint(&format!("{e}\n"));
            out.exit_code = 2;
            return out;
        }
    };
    for list in &parsed.0 {
        let mut status = run_simple(fs, env, &list.first, &mut out, depth);
        for (connector, simple) in &list.rest {
            if let Flow::Exit(_) = status {
                break;
            }
            let code = status.code();
            let run = match connector {
                Connector::And => code == 0,
                Connector::Or => code != 0,
            };
            if run {
                status = run_simple(fs, env, simple, &mut out, depth);
            }
        }
        env.last_status = status.code();
        out.exit_code = status.code();
        if let Flow::Exit(_) = status {
            break;
        }
    }
    out
}

/// Runs a program without a shell (`docker exec demo ls -l`); `sh -c` starts the script runner.
pub fn run_argv(fs: &mut dyn ShellFs, env: &mut ShellEnv, argv: &[String]) -> Result<Outcome, ExecError> {
    let Some(program) = argv.first() else {
        return Err(ExecError::Empty);
    };
    let name = program.rsplit('/').next().unwrap_or(program);
    if !is_known(name) || !in_image(fs, env, program) {
        return Err(ExecError::NotFound {
            program: program.clone(),
        });
    }
    let mut out = Outcome::default();
    let flow = run_builtin(fs, env, argv, &mut out, 0);
    out.exit_code = flow.code();
    env.last_status = out.exit_code;
    Ok(out)
}

/// Whether the container's own files hold `program` (a path, or a name looked up in `$PATH`), as
/// the kernel needs to start it: knowing how to run `true` is no use in an image without one.
fn in_image(fs: &dyn ShellFs, env: &ShellEnv, program: &str) -> bool {
    if program.contains('/') {
        return fs.stat(&resolve(&env.cwd, program)).is_ok();
    }
    env.var("PATH")
        .split(':')
        .filter(|dir| dir.starts_with('/'))
        .any(|dir| fs.stat(&resolve(dir, program)).is_ok())
}

/// Whether a command ran on or asked the shell to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Status(i32),
    Exit(i32),
}

impl Flow {
    fn code(self) -> i32 {
        match self {
            Flow::Status(c) | Flow::Exit(c) => c,
        }
    }
}

fn expand(word: &Word, env: &ShellEnv) -> String {
    word.0
        .iter()
        .map(|part| match part {
            WordPart::Literal(s) => s.clone(),
            WordPart::Var(name) => env.var(name),
        })
        .collect()
}

/// Joins `name` under directory `dir` (both already normalised).
fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// An absolute, normalised path for `arg` relative to `cwd`.
fn resolve(cwd: &str, arg: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let base = if arg.starts_with('/') { "" } else { cwd };
    for part in base.split('/').chain(arg.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn run_simple(
    fs: &mut dyn ShellFs,
    env: &mut ShellEnv,
    simple: &Simple,
    out: &mut Outcome,
    depth: usize,
) -> Flow {
    let argv: Vec<String> = simple.words.iter().map(|w| expand(w, env)).collect();
    let mut stdout_to: Option<String> = None;
    let mut stderr_to: Option<String> = None;
    let mut stderr_to_stdout = false;
    for redirect in &simple.redirects {
        match redirect {
            Redirect::ToFile { fd, append, target } => {
                let path = resolve(&env.cwd, &expand(target, env));
                // The shell opens (and so creates or truncates) the file before the command runs, and
                // does not run it when that fails.
                if let Err(e) = open_for_output(fs, &path, *append) {
                    out.eprint(&format!(
                        "sh: 1: cannot create {}: {}\n",
                        expand(target, env),
                        dash_reason(e)
                    ));
                    return Flow::Status(2);
                }
                if *fd == 1 {
                    stdout_to = Some(path);
                } else {
                    stderr_to = Some(path);
                }
            }
            Redirect::StderrToStdout => stderr_to_stdout = true,
        }
    }

    // Collect the command's own output, then route it.
    let mut own = Outcome::default();
    let flow = if argv.is_empty() {
        Flow::Status(0)
    } else {
        let name = argv
            .first()
            .map(|p| p.rsplit('/').next().unwrap_or(p))
            .unwrap_or_default();
        if is_known(name) {
            run_builtin(fs, env, &argv, &mut own, depth)
        } else {
            own.eprint(&format!(
                "sh: 1: {}: not found\n",
                argv.first().map_or("", String::as_str)
            ));
            Flow::Status(127)
        }
    };

    let mut stdout_chunks = std::mem::take(&mut own.stdout);
    let mut stderr_text = std::mem::take(&mut own.stderr);
    if stderr_to_stdout && !stderr_text.is_empty() {
        stdout_chunks.push(Content::bytes(std::mem::take(&mut stderr_text).into_bytes()));
    }
    match stdout_to {
        Some(path) => {
            for chunk in stdout_chunks {
                if let Err(e) = fs.append(&path, chunk) {
                    out.eprint(&format!("sh: 1: cannot create {path}: {}\n", dash_reason(e)));
                }
            }
        }
        None => out.stdout.extend(stdout_chunks),
    }
    match stderr_to {
        Some(path) if !stderr_text.is_empty() => {
            if let Err(e) = fs.append(&path, Content::bytes(stderr_text.into_bytes())) {
                out.eprint(&format!("sh: 1: cannot create {path}: {}\n", dash_reason(e)));
            }
        }
        Some(_) => {}
        None => out.stderr.push_str(&stderr_text),
    }
    flow
}

fn open_for_output(fs: &mut dyn ShellFs, path: &str, append: bool) -> Result<(), Errno> {
    match fs.stat(path) {
        Ok(st) if st.kind == FileKind::Dir => Err(Errno::IsDir),
        Ok(_) if append => Ok(()),
        Ok(_) => fs.write(path, Content::bytes(Vec::new())),
        Err(Errno::NoEntry) => fs.write(path, Content::bytes(Vec::new())),
        Err(e) => Err(e),
    }
}

/// dash words a failed redirection's missing parent as "Directory nonexistent".
fn dash_reason(e: Errno) -> String {
    match e {
        Errno::NoEntry => "Directory nonexistent".to_string(),
        other => other.to_string(),
    }
}

const BUILTINS: [&str; 22] = [
    "echo", "printf", "cat", "ls", "rm", "mkdir", "touch", "chmod", "chown", "mv", "cp", "dd", "true",
    "false", "exit", "sleep", "hostname", "pwd", "cd", "env", "sh", "[",
];

fn is_known(name: &str) -> bool {
    BUILTINS.contains(&name) && name != "["
}

/// Splits `-rf`-style flags from operands (`--` ends flags).
fn split_flags(args: &[String]) -> (Vec<char>, Vec<String>) {
    let mut flags = Vec::new();
    let mut operands = Vec::new();
    let mut flags_done = false;
    for arg in args {
        if !flags_done && arg == "--" {
            flags_done = true;
        } else if !flags_done && arg.len() > 1 && arg.starts_with('-') {
            flags.extend(arg.chars().skip(1));
        } else {
            operands.push(arg.clone());
        }
    }
    (flags, operands)
}

fn run_builtin(
    fs: &mut dyn ShellFs,
    env: &mut ShellEnv,
    argv: &[String],
    out: &mut Outcome,
    depth: usize,
) -> Flow {
    let program = argv
        .first()
        .map(|p| p.rsplit('/').next().unwrap_or(p))
        .unwrap_or_default();
    let args = argv.get(1..).unwrap_or_default();
    let status = match program {
        "true" => 0,
        "false" => 1,
        "exit" => {
            let code = match args.first() {
                None => env.last_status,
                Some(a) => match a.parse::<i64>() {
                    Ok(n) => n.rem_euclid(256) as i32,
                    Err(_) => {
                        out.eprint(&format!("sh: 1: exit: Illegal number: {a}\n"));
                        2
                    }
                },
            };
            return Flow::Exit(code);
        }
        "sleep" => sleep(args, out),
        "hostname" => {
            out.print(format!("{}\n", env.hostname));
            0
        }
        "pwd" => {
            out.print(format!("{}\n", env.cwd));
            0
        }
        "env" => {
            let text: String = env.vars.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
            out.print(text);
            0
        }
        "cd" => cd(fs, env, args, out),
        "echo" => echo(args, out),
        "printf" => printf(args, out),
        "cat" => cat(fs, env, args, out),
        "ls" => ls(fs, env, args, out),
        "rm" => rm(fs, env, args, out),
        "mkdir" => mkdir(fs, env, args, out),
        "touch" => touch(fs, env, args, out),
        "chmod" => chmod(fs, env, args, out),
        "chown" => chown(fs, env, args, out),
        "mv" => mv(fs, env, args, out),
        "cp" => cp(fs, env, args, out),
        "dd" => dd(fs, env, args, out),
        "sh" => return sh(fs, env, args, out, depth),
        _ => {
            out.eprint(&format!("sh: 1: {program}: not found\n"));
            127
        }
    };
    Flow::Status(status)
}

fn sh(fs: &mut dyn ShellFs, env: &mut ShellEnv, args: &[String], out: &mut Outcome, depth: usize) -> Flow {
    match args.first().map(String::as_str) {
        Some("-c") => {
            let Some(script) = args.get(1) else {
                out.eprint("sh: 0: -c requires an argument\n");
                return Flow::Status(2);
            };
            if depth >= MAX_DEPTH {
                out.eprint("sh: 1: too many nested shells\n");
                return Flow::Status(2);
            }
            let mut child_env = env.clone();
            let inner = run_script_at(fs, &mut child_env, script, depth + 1);
            out.stdout.extend(inner.stdout);
            out.stderr.push_str(&inner.stderr);
            Flow::Status(inner.exit_code)
        }
        // A shell with no script and no terminal reads an empty stdin and ends.
        None => Flow::Status(0),
        Some(other) => {
            out.eprint(&format!("sh: 0: cannot open {other}: No such file\n"));
            Flow::Status(2)
        }
    }
}

fn sleep(args: &[String], out: &mut Outcome) -> i32 {
    if args.is_empty() {
        out.eprint("sleep: missing operand\nTry 'sleep --help' for more information.\n");
        return 1;
    }
    for a in args {
        let number = a.trim_end_matches(['s', 'm', 'h', 'd']);
        let endless = matches!(a.to_ascii_lowercase().as_str(), "inf" | "infinity");
        if !endless && Decimal::parse(number).is_none() {
            out.eprint(&format!(
                "sleep: invalid time interval '{a}'\nTry 'sleep --help' for more information.\n"
            ));
            return 1;
        }
    }
    // The simulator has no clock to wait on: the time passes at once.
    0
}

fn cd(fs: &mut dyn ShellFs, env: &mut ShellEnv, args: &[String], out: &mut Outcome) -> i32 {
    let target = args.first().cloned().unwrap_or_else(|| {
        let home = env.var("HOME");
        if home.is_empty() { "/".to_string() } else { home }
    });
    let path = resolve(&env.cwd, &target);
    match fs.stat(&path) {
        Ok(st) if st.kind == FileKind::Dir => {
            env.cwd = path;
            0
        }
        _ => {
            out.eprint(&format!("sh: 1: cd: can't cd to {target}\n"));
            2
        }
    }
}

fn echo(args: &[String], out: &mut Outcome) -> i32 {
    let (newline, words) = match args.first().map(String::as_str) {
        Some("-n") => (false, args.get(1..).unwrap_or_default()),
        _ => (true, args),
    };
    let mut text = words.join(" ");
    if newline {
        text.push('\n');
    }
    out.print(text);
    0
}

/// `printf`: `%s`, `%d`, `%%` and the common backslash escapes; the format is reused while
/// arguments remain, as POSIX says.
fn printf(args: &[String], out: &mut Outcome) -> i32 {
    let Some(format) = args.first() else {
        out.eprint("printf: usage: printf format [arg ...]\n");
        return 2;
    };
    let mut rest = args.get(1..).unwrap_or_default().iter();
    let mut text = String::new();
    let mut status = 0;
    loop {
        let mut consumed = false;
        let mut chars = format.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('n') => text.push('\n'),
                    Some('t') => text.push('\t'),
                    Some('\\') => text.push('\\'),
                    Some(o) => {
                        text.push('\\');
                        text.push(o);
                    }
                    None => text.push('\\'),
                },
                '%' => match chars.next() {
                    Some('%') => text.push('%'),
                    Some('s') => {
                        consumed = true;
                        text.push_str(rest.next().map_or("", String::as_str));
                    }
                    Some('d' | 'i') => {
                        consumed = true;
                        let arg = rest.next().map_or("0", String::as_str);
                        match arg.trim().parse::<i64>() {
                            Ok(n) => text.push_str(&n.to_string()),
                            Err(_) => {
                                out.eprint(&format!("sh: 1: printf: {arg}: expected numeric value\n"));
                                text.push('0');
                                status = 1;
                            }
                        }
                    }
                    Some(o) => {
                        text.push('%');
                        text.push(o);
                    }
                    None => text.push('%'),
                },
                c => text.push(c),
            }
        }
        if !consumed || rest.len() == 0 {
            break;
        }
    }
    out.print(text);
    status
}

fn cat(fs: &mut dyn ShellFs, env: &ShellEnv, args: &[String], out: &mut Outcome) -> i32 {
    let mut status = 0;
    for arg in args {
        let path = resolve(&env.cwd, arg);
        match fs.stat(&path).and_then(|st| {
            if st.kind == FileKind::Dir {
                Err(Errno::IsDir)
            } else {
                Ok(())
            }
        }) {
            Ok(()) => match fs.read(&path) {
                Ok(content) => out.stdout.push(content),
                Err(e) => {
                    out.eprint(&format!("cat: {arg}: {e}\n"));
                    status = 1;
                }
            },
            Err(e) => {
                out.eprint(&format!("cat: {arg}: {e}\n"));
                status = 1;
            }
        }
    }
    status
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `ls -l`'s time column: `Jan  1 12:00` for the last six months, `Jan  1  2024` before.
fn ls_time(mtime: i64, now: i64) -> String {
    let text = crate::cli::format::rfc3339(mtime);
    let year = text.get(0..4).unwrap_or("1970");
    let month = text.get(5..7).and_then(|m| m.parse::<usize>().ok()).unwrap_or(1);
    let day = text.get(8..10).and_then(|d| d.parse::<u32>().ok()).unwrap_or(1);
    let hm = text.get(11..16).unwrap_or("00:00");
    let name = MONTHS.get(month.saturating_sub(1)).copied().unwrap_or("Jan");
    let six_months = 15_778_476;
    if now.saturating_sub(mtime) > six_months || mtime > now {
        format!("{name} {day:>2}  {year}")
    } else {
        format!("{name} {day:>2} {hm}")
    }
}

fn mode_string(st: &Stat) -> String {
    let mut s = String::with_capacity(10);
    s.push(match st.kind {
        FileKind::Dir => 'd',
        FileKind::Symlink { .. } => 'l',
        FileKind::File => '-',
    });
    let m = st.mode;
    for (shift, special, special_char) in [(6, 0o4000, 's'), (3, 0o2000, 's'), (0, 0o1000, 't')] {
        let bits = (m >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        let x = bits & 1 != 0;
        s.push(match (m & special != 0, x) {
            (true, true) => special_char,
            (true, false) => special_char.to_ascii_uppercase(),
            (false, true) => 'x',
            (false, false) => '-',
        });
    }
    s
}

/// Names for uids and gids from the container's own `/etc/passwd` and `/etc/group`.
fn id_name(fs: &dyn ShellFs, file: &str, id: u32) -> String {
    let found = fs.read(file).ok().and_then(|content| {
        let text = String::from_utf8_lossy(&content.read_range(0, content.len().min(MAX_SHOWN) as usize))
            .into_owned();
        text.lines().find_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let number = fields.nth(1)?.parse::<u32>().ok()?;
            (number == id).then(|| name.to_string())
        })
    });
    found.unwrap_or_else(|| {
        if id == 0 {
            "root".to_string()
        } else {
            id.to_string()
        }
    })
}

fn id_number(fs: &dyn ShellFs, file: &str, name: &str) -> Option<u32> {
    if let Ok(n) = name.parse::<u32>() {
        return Some(n);
    }
    let content = fs.read(file).ok()?;
    let text =
        String::from_utf8_lossy(&content.read_range(0, content.len().min(MAX_SHOWN) as usize)).into_owned();
    let found = text.lines().find_map(|line| {
        let mut fields = line.split(':');
        (fields.next()? == name)
            .then(|| fields.nth(1)?.parse::<u32>().ok())
            .flatten()
    });
    found.or_else(|| (name == "root").then_some(0))
}

/// `ls`, one name per line as when stdout is not a terminal; `-l` in GNU's long format
/// (directories show 4096 bytes and two links, as on ext4).
fn ls(fs: &mut dyn ShellFs, env: &ShellEnv, args: &[String], out: &mut Outcome) -> i32 {
    let (flags, mut operands) = split_flags(args);
    let long = flags.contains(&'l');
    let all = flags.contains(&'a') || flags.contains(&'A');
    if operands.is_empty() {
        operands.push(".".to_string());
    }
    let mut status = 0;
    let many = operands.len() > 1;
    let mut first = true;
    for arg in &operands {
        let path = resolve(&env.cwd, arg);
        let st = match fs.stat(&path) {
            Ok(st) => st,
            Err(e) => {
                out.eprint(&format!("ls: cannot access '{arg}': {e}\n"));
                status = 2;
                continue;
            }
        };
        let entries: Vec<(String, String)> = if st.kind == FileKind::Dir {
            let names = fs.list(&path).unwrap_or_default();
            names
                .into_iter()
                .filter(|n| all || !n.starts_with('.'))
                .map(|n| (join(&path, &n), n))
                .collect()
        } else {
            vec![(path.clone(), arg.clone())]
        };
        let mut text = String::new();
        if many && st.kind == FileKind::Dir {
            if !first {
                text.push('\n');
            }
            text.push_str(&format!("{arg}:\n"));
        }
        first = false;
        if !long {
            for (_, name) in &entries {
                text.push_str(name);
                text.push('\n');
            }
            out.print(text);
            continue;
        }
        let rows: Vec<(Stat, String)> = entries
            .iter()
            .filter_map(|(p, n)| fs.stat(p).ok().map(|s| (s, n.clone())))
            .collect();
        let size_of = |s: &Stat| if s.kind == FileKind::Dir { 4096 } else { s.len };
        if st.kind == FileKind::Dir {
            let blocks: u64 = rows.iter().map(|(s, _)| size_of(s).div_ceil(4096) * 4).sum();
            text.push_str(&format!("total {blocks}\n"));
        }
        let owners: Vec<(String, String)> = rows
            .iter()
            .map(|(s, _)| {
                (
                    id_name(fs, "/etc/passwd", s.uid),
                    id_name(fs, "/etc/group", s.gid),
                )
            })
            .collect();
        let user_w = owners.iter().map(|(u, _)| u.len()).max().unwrap_or(0);
        let group_w = owners.iter().map(|(_, g)| g.len()).max().unwrap_or(0);
        let size_w = rows
            .iter()
            .map(|(s, _)| size_of(s).to_string().len())
            .max()
            .unwrap_or(0);
        for ((s, name), (user, group)) in rows.iter().zip(&owners) {
            let links = if s.kind == FileKind::Dir { 2 } else { 1 };
            let target = match &s.kind {
                FileKind::Symlink { target } => format!(" -> {target}"),
                _ => String::new(),
            };
            text.push_str(&format!(
                "{} {links} {user:<user_w$} {group:<group_w$} {:>size_w$} {} {name}{target}\n",
                mode_string(s),
                size_of(s),
                ls_time(s.mtime, env.now)
            ));
        }
        out.print(text);
    }
    status
}

fn rm(fs: &mut dyn ShellFs, env: &ShellEnv, args: &[String], out: &mut Outcome) -> i32 {
    let (flags, operands) = split_flags(args);
    let recursive = flags.iter().any(|f| matches!(f, 'r' | 'R'));
    let force = flags.contains(&'f');
    if operands.is_empty() && !force {
        out.eprint("rm: missing operand\nTry 'rm --help' for more information.\n");
        return 1;
    }
    let mut status = 0;
    for arg in &operands {
        let path = resolve(&env.cwd, arg);
        let result = match fs.stat(&path) {
            Err(Errno::NoEntry) if force => continue,
            Err(e) => Err(e),
            Ok(_) if path == "/" => {
                out.eprint("rm: it is dangerous to operate recursively on '/'\nrm: use --no-preserve-root to override this failsafe\n");
                status = 1;
                continue;
            }
            Ok(st) if st.kind == FileKind::Dir && !recursive => Err(Errno::IsDir),
            Ok(st) if st.kind == FileKind::Dir => fs.remove_tree(&path),
            Ok(_) => fs.remove(&path),
        };
        if let Err(e) = result {
            out.eprint(&format!("rm: cannot remove '{arg}': {e}\n"));
            status = 1;
        }
    }
    status
}

fn mkdir(fs: &mut dyn ShellFs, env: &ShellEnv, args: &[String], out: &mut Outcome) -> i32 {
    let (flags, operands) = split_flags(args);
    let parents = flags.contains(&'p');
    if operands.is_empty() {
        out.eprint("mkdir: missing operand\nTry 'mkdir --help' for more information.\n");
        return 1;
    }
    let mut status = 0;
    for arg in &operands {
        let path = resolve(&env.cwd, arg);
        let result = if parents {
            let mut at = String::new();
            let mut result = Ok(());
            for part in path.split('/').filter(|p| !p.is_empty()) {
                at = join(if at.is_empty() { "/" } else { &at }, part);
                match fs.stat(&at) {
                    Ok(st) if st.kind == FileKind::Dir => {}
                    Ok(_) => {
                        result = Err(Errno::Exists);
                        break;
                    }
                    Err(Errno::NoEntry) => {
                        if let Err(e) = fs.mkdir(&at, 0o755) {
                            result = Err(e);
                            break;
                        }
                    }
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
            }
            result
        } else {
            match fs.stat(&path) {
                Ok(_) => Err(Errno::Exists),
                Err(Errno::NoEntry) => fs.mkdir(&path, 0o755),
                Err(e) => Err(e),
            }
        };
        if let Err(e) = result {
            out.eprint(&format!("mkdir: cannot create directory '{arg}': {e}\n"));
            status = 1;
        }
    }
    status
}

fn touch(fs: &mut dyn ShellFs, env: &ShellEnv, args: &[String], out: &mut Outcome) -> i32 {
    let (_, operands) = split_flags(args);
    if operands.is_empty() {
        out.eprint("touch: missing file operand\nTry 'touch --help' for more information.\n");
        return 1;
    }
    let mut status = 0;
    for arg in &operands {
        let path = resolve(&env.cwd, arg);
        let result = match fs.stat(&path) {
            Ok(_) => fs.set_mtime(&path, env.now),
            Err(Errno::NoEntry) => fs.write(&path, Content::bytes(Vec::new())),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            out.eprint(&format!("touch: cannot touch '{arg}': {e}\n"));
            status = 1;
        }
    }
    status
}

/// A chmod mode: octal (`600`, `4755`) or symbolic (`u+x`, `go-w`, `a=r`, `+x`, comma lists).
fn apply_mode(spec: &str, current: u32) -> Option<u32> {
    if !spec.is_empty() && spec.chars().all(|c| c.is_digit(8)) {
        return u32::from_str_radix(spec, 8).ok().filter(|m| *m <= 0o7777);
    }
    let mut mode = current;
    for clause in spec.split(',') {
        let op_at = clause.find(['+', '-', '='])?;
        let (who, rest) = clause.split_at(op_at);
        let mut mask = 0;
        for w in who.chars() {
            mask |= match w {
                'u' => 0o4700,
                'g' => 0o2070,
                'o' => 0o1007,
                'a' => 0o7777,
                _ => return None,
            };
        }
        if who.is_empty() {
            mask = 0o7777;
        }
        let mut chars = rest.chars();
        let op = chars.next()?;
        let mut bits = 0;
        for p in chars {
            bits |= match p {
                'r' => 0o444,
                'w' => 0o222,
                'x' => 0o111,
                's' => 0o6000,
                't' => 0o1000,
                _ => return None,
            };
        }
        let bits = bits & mask;
        mode = match op {
            '+' => mode | bits,
            '-' => mode & !bits,
            _ => (mode & !(mask & 0o777)) | bits,
        };
    }
    Some(mode)
}

fn chmod(fs: &mut dyn ShellFs, env: &ShellEnv, args: &[String], out: &mut Outcome) -> i32 {
    let (Some(spec), Some(files)) = (args.first(), args.get(1..)) else {
        out.eprint("chmod: missing operand\nTry 'chmod --help' for more information.\n");
        return 1;
    };
    if files.is_empty() {
        out.eprint(&format!(
            "chmod: missing operand after '{spec}'\nTry 'chmod --help' for more information.\n"
        ));
        return 1;
    }
    let mut status = 0;
    for arg in files {
        let path = resolve(&env.cwd, arg);
        let st = match fs.stat(&path) {
            Ok(st) => st,
            Err(e) => {
                out.eprint(&format!("chmod: cannot access '{arg}': {e}\n"));
                status = 1;
                continue;
            }
        };
        let Some(mode) = apply_mode(spec, st.mode) else {
            out.eprint(&format!(
                "chmod: invalid mode: '{spec}'\nTry 'chmod --help' for more information.\n"
            ));
            return 1;
        };
        if let Err(e) = fs.chmod(&path, mode) {
            out.eprint(&format!("chmod: changing permissions of '{arg}': {e}\n"));
            status = 1;
        }
    }
    status
}

fn chown(fs: &mut dyn ShellFs, env: &ShellEnv, args: &[String], out: &mut Outcome) -> i32 {
    let (_, operands) = split_flags(args);
    let (Some(spec), Some(files)) = (operands.first(), operands.get(1..)) else {
        out.eprint("chown: missing operand\nTry 'chown --help' for more information.\n");
        return 1;
    };
    if files.is_empty() {
        out.eprint(&format!(
            "chown: missing operand after '{spec}'\nTry 'chown --help' for more information.\n"
        ));
        return 1;
    }
    let (user, group) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec.as_str(), None),
    };
    let Some(uid) = id_number(fs, "/etc/passwd", user) else {
        out.eprint(&format!("chown: invalid user: '{spec}'\n"));
        return 1;
    };
    let gid = match group {
        None | Some("") => None,
        Some(g) => match id_number(fs, "/etc/group", g) {
            Some(n) => Some(n),
            None => {
                out.eprint(&format!("chown: invalid group: '{spec}'\n"));
                return 1;
            }
        },
    };
    let mut status = 0;
    for arg in files {
        let path = resolve(&env.cwd, arg);
        let result = fs
            .stat(&path)
            .and_then(|st| fs.chown(&path, uid, gid.unwrap_or(st.gid)));
        if let Err(e) = result {
            let verb = if e == Errno::NoEntry {
                "cannot access"
            } else {
                "changing ownership of"
            };
            out.eprint(&format!("chown: {verb} '{arg}': {e}\n"));
            status = 1;
        }
    }
    status
}

/// Copies a file or, with `recursive`, a tree.
fn copy_tree(fs: &mut dyn ShellFs, from: &str, to: &str, recursive: bool) -> Result<(), Errno> {
    let st = fs.stat(from)?;
    match &st.kind {
        FileKind::Dir if !recursive => Err(Errno::IsDir),
        FileKind::Dir => {
            match fs.stat(to) {
                Ok(t) if t.kind == FileKind::Dir => {}
                Ok(_) => return Err(Errno::NotDir),
                Err(Errno::NoEntry) => fs.mkdir(to, st.mode)?,
                Err(e) => return Err(e),
            }
            for name in fs.list(from)? {
                copy_tree(fs, &join(from, &name), &join(to, &name), true)?;
            }
            Ok(())
        }
        FileKind::File | FileKind::Symlink { .. } => {
            let content = fs.read(from)?;
            fs.write(to, content)
        }
    }
}

fn is_dir(fs: &dyn ShellFs, path: &str) -> bool {
    fs.stat(path).is_ok_and(|st| st.kind == FileKind::Dir)
}

/// Whether `path` is `dir` or below it: copying or moving a directory there would never end.
fn is_inside(path: &str, dir: &str) -> bool {
    path == dir || dir == "/" || path.strip_prefix(dir).is_some_and(|rest| rest.starts_with('/'))
}

/// Where a copy or move lands: into `dest` when it is a directory.
fn destination(fs: &dyn ShellFs, source: &str, dest: &str) -> String {
    match fs.stat(dest) {
        Ok(st) if st.kind == FileKind::Dir => join(dest, base_name(source)),
        _ => dest.to_string(),
    }
}

fn mv(fs: &mut dyn ShellFs, env: &ShellEnv, args: &[String], out: &mut Outcome) -> i32 {
    let (_, operands) = split_flags(args);
    if operands.len() < 2 {
        out.eprint("mv: missing destination file operand\nTry 'mv --help' for more information.\n");
        return 1;
    }
    let (sources, dest) = operands.split_at(operands.len() - 1);
    let dest_path = resolve(&env.cwd, dest.first().map_or("", String::as_str));
    let mut status = 0;
    for arg in sources {
        let from = resolve(&env.cwd, arg);
        if let Err(e) = fs.stat(&from) {
            out.eprint(&format!("mv: cannot stat '{arg}': {e}\n"));
            status = 1;
            continue;
        }
        let to = destination(fs, &from, &dest_path);
        if is_dir(fs, &from) && is_inside(&to, &from) {
            out.eprint(&format!(
                "mv: cannot move '{arg}' to a subdirectory of itself, '{to}'\n"
            ));
            status = 1;
            continue;
        }
        let result = match fs.rename(&from, &to) {
            // What GNU mv does when rename(2) says EXDEV: copy, then delete the original.
            Err(Errno::CrossDevice) => copy_tree(fs, &from, &to, true).and_then(|()| fs.remove_tree(&from)),
            other => other,
        };
        if let Err(e) = result {
            out.eprint(&format!("mv: cannot move '{arg}' to '{}': {e}\n", to));
            status = 1;
        }
    }
    status
}

fn cp(fs: &mut dyn ShellFs, env: &ShellEnv, args: &[String], out: &mut Outcome) -> i32 {
    let (flags, operands) = split_flags(args);
    let recursive = flags.iter().any(|f| matches!(f, 'r' | 'R' | 'a'));
    if operands.len() < 2 {
        out.eprint("cp: missing destination file operand\nTry 'cp --help' for more information.\n");
        return 1;
    }
    let (sources, dest) = operands.split_at(operands.len() - 1);
    let dest_path = resolve(&env.cwd, dest.first().map_or("", String::as_str));
    let mut status = 0;
    for arg in sources {
        let from = resolve(&env.cwd, arg);
        match fs.stat(&from) {
            Err(e) => {
                out.eprint(&format!("cp: cannot stat '{arg}': {e}\n"));
                status = 1;
                continue;
            }
            Ok(st) if st.kind == FileKind::Dir && !recursive => {
                out.eprint(&format!("cp: -r not specified; omitting directory '{arg}'\n"));
                status = 1;
                continue;
            }
            Ok(_) => {}
        }
        let to = destination(fs, &from, &dest_path);
        if is_dir(fs, &from) && is_inside(&to, &from) {
            out.eprint(&format!(
                "cp: cannot copy a directory, '{arg}', into itself, '{to}'\n"
            ));
            status = 1;
            continue;
        }
        if let Err(e) = copy_tree(fs, &from, &to, recursive) {
            out.eprint(&format!("cp: cannot create regular file '{to}': {e}\n"));
            status = 1;
        }
    }
    status
}

/// A dd size: a number with an optional GNU suffix (`c`, `w`, `b`, `K`/`KiB`, `kB`, `M`/`MiB`,
/// `MB`, `G`/`GiB`, `GB`).
fn dd_size(text: &str) -> Option<u64> {
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let n: u64 = number.parse().ok()?;
    let multiplier: u64 = match suffix {
        "" | "c" => 1,
        "w" => 2,
        "b" => 512,
        "K" | "k" | "KiB" => 1 << 10,
        "kB" | "KB" => 1000,
        "M" | "MiB" => 1 << 20,
        "MB" => 1_000_000,
        "G" | "GiB" => 1 << 30,
        "GB" => 1_000_000_000,
        _ => return None,
    };
    n.checked_mul(multiplier)
}

/// GNU dd's `1.0 MB, 1.0 MiB` pair.
fn dd_human(bytes: u64) -> String {
    fn one(bytes: u64, base: f64, units: [&str; 4]) -> String {
        let mut value = bytes as f64;
        let mut unit = 0;
        while value >= base && unit < units.len() - 1 {
            value /= base;
            unit += 1;
        }
        let name = units.get(unit).copied().unwrap_or("");
        let decimals = if value < 10.0 { 1 } else { 0 };
        format!("{} {name}", crate::cli::format::fixed(value, decimals))
    }
    if bytes < 1000 {
        return String::new();
    }
    format!(
        " ({}, {})",
        one(bytes, 1000.0, ["B", "kB", "MB", "GB"]),
        one(bytes, 1024.0, ["B", "KiB", "MiB", "GiB"])
    )
}

/// A seed for a file of generated bytes, from where it is written and how long it is: the
/// simulator has no randomness, and two different `dd` runs should still differ.
fn seed_for(path: &str, len: u64) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in path.bytes().chain(len.to_le_bytes()) {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// `dd if=/dev/zero|/dev/urandom of=FILE bs=N count=N`. Prints the record counts and byte total
/// as GNU dd does, but not its timing line's speed, which the simulator has no way to know.
fn dd(fs: &mut dyn ShellFs, env: &ShellEnv, args: &[String], out: &mut Outcome) -> i32 {
    let mut input = None;
    let mut output = None;
    let mut block = 512u64;
    let mut count = None;
    for arg in args {
        let Some((key, value)) = arg.split_once('=') else {
            out.eprint(&format!(
                "dd: unrecognized operand '{arg}'\nTry 'dd --help' for more information.\n"
            ));
            return 1;
        };
        match key {
            "if" => input = Some(value.to_string()),
            "of" => output = Some(value.to_string()),
            "bs" => match dd_size(value) {
                Some(n) if n > 0 => block = n,
                _ => {
                    out.eprint(&format!("dd: invalid number: '{value}'\n"));
                    return 1;
                }
            },
            "count" => match dd_size(value) {
                Some(n) => count = Some(n),
                None => {
                    out.eprint(&format!("dd: invalid number: '{value}'\n"));
                    return 1;
                }
            },
            _ => {
                out.eprint(&format!(
                    "dd: unrecognized operand '{arg}'\nTry 'dd --help' for more information.\n"
                ));
                return 1;
            }
        }
    }
    let Some(count) = count else {
        out.eprint("dd: the lab's dd needs count=N (its inputs never end)\n");
        return 1;
    };
    let Some(len) = block.checked_mul(count) else {
        out.eprint("dd: invalid number: the total size is too large\n");
        return 1;
    };
    let Some(of) = output else {
        out.eprint("dd: the lab's dd needs of=FILE\n");
        return 1;
    };
    let path = resolve(&env.cwd, &of);
    let content = match input.as_deref() {
        Some("/dev/zero") => Content::Zeros { len },
        Some("/dev/urandom" | "/dev/random") => Content::Synthetic {
            len,
            seed: seed_for(&path, len),
        },
        Some(other) => {
            out.eprint(&format!(
                "dd: the lab's dd reads only /dev/zero and /dev/urandom, not '{other}'\n"
            ));
            return 1;
        }
        None => {
            out.eprint("dd: the lab's dd needs if=/dev/zero or if=/dev/urandom\n");
            return 1;
        }
    };
    if let Err(e) = fs.write(&path, content) {
        out.eprint(&format!("dd: failed to open '{of}': {e}\n"));
        return 1;
    }
    out.eprint(&format!(
        "{count}+0 records in\n{count}+0 records out\n{len} bytes{} copied\n",
        dd_human(len)
    ));
    0
}

#[cfg(test)]
mod tests;
