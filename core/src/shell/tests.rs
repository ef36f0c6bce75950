use std::collections::BTreeMap;

use super::*;

/// An in-memory file tree, enough to drive the shell in tests.
#[derive(Debug, Default)]
struct MemFs {
    nodes: BTreeMap<String, (Stat, Option<Content>)>,
    /// Directories that `rename` refuses with EXDEV, as overlayfs does for lower directories.
    lower_dirs: Vec<String>,
}

fn dir_stat() -> Stat {
    Stat {
        kind: FileKind::Dir,
        mode: 0o755,
        uid: 0,
        gid: 0,
        mtime: 0,
        len: 0,
    }
}

impl MemFs {
    fn new() -> Self {
        let mut fs = MemFs::default();
        fs.nodes.insert("/".into(), (dir_stat(), None));
        fs
    }

    fn with_file(mut self, path: &str, text: &str) -> Self {
        let parent = parent(path);
        let mut at = String::new();
        for part in parent.split('/').filter(|p| !p.is_empty()) {
            at = format!("{at}/{part}");
            self.nodes.entry(at.clone()).or_insert((dir_stat(), None));
        }
        let content = Content::bytes(text.as_bytes().to_vec());
        let stat = Stat {
            kind: FileKind::File,
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: 0,
            len: content.len(),
        };
        self.nodes.insert(path.into(), (stat, Some(content)));
        self
    }

    fn text(&self, path: &str) -> Option<String> {
        let content = self.nodes.get(path)?.1.as_ref()?;
        Some(String::from_utf8_lossy(&content.read_range(0, content.len() as usize)).into_owned())
    }

    fn parent_is_dir(&self, path: &str) -> Result<(), Errno> {
        match self.nodes.get(&parent(path)) {
            Some((st, _)) if st.kind == FileKind::Dir => Ok(()),
            Some(_) => Err(Errno::NotDir),
            None => Err(Errno::NoEntry),
        }
    }

    fn children(&self, path: &str) -> Vec<String> {
        let prefix = if path == "/" {
            "/".to_string()
        } else {
            format!("{path}/")
        };
        self.nodes
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter(|rest| !rest.is_empty() && !rest.contains('/'))
            .map(str::to_string)
            .collect()
    }
}

impl ShellFs for MemFs {
    fn stat(&self, path: &str) -> Result<Stat, Errno> {
        self.nodes.get(path).map(|(s, _)| s.clone()).ok_or(Errno::NoEntry)
    }
    fn read(&self, path: &str) -> Result<Content, Errno> {
        match self.nodes.get(path) {
            Some((_, Some(c))) => Ok(c.clone()),
            Some(_) => Err(Errno::IsDir),
            None => Err(Errno::NoEntry),
        }
    }
    fn write(&mut self, path: &str, content: Content) -> Result<(), Errno> {
        self.parent_is_dir(path)?;
        let stat = Stat {
            kind: FileKind::File,
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: 0,
            len: content.len(),
        };
        self.nodes.insert(path.into(), (stat, Some(content)));
        Ok(())
    }
    fn append(&mut self, path: &str, content: Content) -> Result<(), Errno> {
        let joined = match self.nodes.get(path) {
            Some((_, Some(old))) if old.is_empty() => content,
            Some((_, Some(Content::Bytes(a)))) => match &content {
                Content::Bytes(b) => Content::bytes([a.as_ref(), b.as_ref()].concat()),
                other => Content::Synthetic {
                    len: a.len() as u64 + other.len(),
                    seed: 7,
                },
            },
            Some((_, Some(old))) => Content::Synthetic {
                len: old.len() + content.len(),
                seed: 7,
            },
            Some(_) => return Err(Errno::IsDir),
            None => content,
        };
        self.write(path, joined)
    }
    fn remove(&mut self, path: &str) -> Result<(), Errno> {
        let st = self.stat(path)?;
        if st.kind == FileKind::Dir && !self.children(path).is_empty() {
            return Err(Errno::NotEmpty);
        }
        self.nodes.remove(path);
        Ok(())
    }
    fn mkdir(&mut self, path: &str, mode: u32) -> Result<(), Errno> {
        self.parent_is_dir(path)?;
        if self.nodes.contains_key(path) {
            return Err(Errno::Exists);
        }
        self.nodes
            .insert(path.into(), (Stat { mode, ..dir_stat() }, None));
        Ok(())
    }
    fn list(&self, path: &str) -> Result<Vec<String>, Errno> {
        match self.stat(path)?.kind {
            FileKind::Dir => Ok(self.children(path)),
            _ => Err(Errno::NotDir),
        }
    }
    fn chmod(&mut self, path: &str, mode: u32) -> Result<(), Errno> {
        self.nodes
            .get_mut(path)
            .map(|(s, _)| s.mode = mode)
            .ok_or(Errno::NoEntry)
    }
    fn chown(&mut self, path: &str, uid: u32, gid: u32) -> Result<(), Errno> {
        self.nodes
            .get_mut(path)
            .map(|(s, _)| (s.uid, s.gid) = (uid, gid))
            .ok_or(Errno::NoEntry)
    }
    fn rename(&mut self, from: &str, to: &str) -> Result<(), Errno> {
        if self.lower_dirs.iter().any(|d| d == from) {
            return Err(Errno::CrossDevice);
        }
        self.parent_is_dir(to)?;
        let moved: Vec<String> = self
            .nodes
            .keys()
            .filter(|k| *k == from || k.starts_with(&format!("{from}/")))
            .cloned()
            .collect();
        if moved.is_empty() {
            return Err(Errno::NoEntry);
        }
        for key in moved {
            if let Some(node) = self.nodes.remove(&key) {
                let new_key = format!("{to}{}", key.get(from.len()..).unwrap_or_default());
                self.nodes.insert(new_key, node);
            }
        }
        Ok(())
    }
    fn set_mtime(&mut self, path: &str, mtime: i64) -> Result<(), Errno> {
        self.nodes
            .get_mut(path)
            .map(|(s, _)| s.mtime = mtime)
            .ok_or(Errno::NoEntry)
    }
}

fn parent(path: &str) -> String {
    match path.rsplit_once('/') {
        Some(("", _)) | None => "/".to_string(),
        Some((p, _)) => p.to_string(),
    }
}

const NOW: i64 = 1_704_067_200 + 3600;

fn sh(fs: &mut MemFs, script: &str) -> (String, String, i32) {
    let mut env = ShellEnv::new("d6e9bc60c18d", NOW);
    let out = run_script(fs, &mut env, script);
    (out.stdout_text(), out.stderr.clone(), out.exit_code)
}

#[test]
fn parses_lists_and_redirections() {
    let script = parse("echo \"a b\" 'c' > /out.txt && cat /out.txt || echo no; rm x 2>&1").expect("parses");
    assert_eq!(script.0.len(), 2);
    let first = script.0.first().expect("one list");
    assert_eq!(first.first.words.len(), 3);
    assert!(matches!(
        first.first.redirects.first(),
        Some(Redirect::ToFile {
            fd: 1,
            append: false,
            ..
        })
    ));
    assert_eq!(
        first.rest.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        [Connector::And, Connector::Or]
    );
    assert_eq!(parse("echo 'oops"), Err(SyntaxError::Unterminated));
    assert_eq!(parse("echo a &&"), Err(SyntaxError::EndOfFile));
    assert_eq!(
        parse("&& echo"),
        Err(SyntaxError::Unexpected { token: "&&".into() })
    );
    assert!(matches!(
        parse("cat a | wc -l"),
        Err(SyntaxError::Unsupported { .. })
    ));
    assert_eq!(parse("# just a comment\n"), Ok(Script::default()));
}

#[test]
fn writes_appends_and_reads() {
    let mut fs = MemFs::new().with_file("/etc/motd", "Welcome\n");
    let (out, err, code) = sh(
        &mut fs,
        "printf hello > /out.txt; echo \"edited in container\" >> /etc/motd; cat /etc/motd /out.txt",
    );
    assert_eq!(
        (out.as_str(), err.as_str(), code),
        ("Welcome\nedited in container\nhello", "", 0)
    );
    assert_eq!(fs.text("/out.txt").as_deref(), Some("hello"));
}

#[test]
fn errors_use_coreutils_words() {
    let mut fs = MemFs::new().with_file("/etc/os-release", "x");
    assert_eq!(
        sh(&mut fs, "rm /nope"),
        (
            String::new(),
            "rm: cannot remove '/nope': No such file or directory\n".into(),
            1
        )
    );
    assert_eq!(sh(&mut fs, "rm -f /nope"), (String::new(), String::new(), 0));
    assert_eq!(
        sh(&mut fs, "rm /etc"),
        (
            String::new(),
            "rm: cannot remove '/etc': Is a directory\n".into(),
            1
        )
    );
    assert_eq!(
        sh(&mut fs, "frobnicate now"),
        (String::new(), "sh: 1: frobnicate: not found\n".into(), 127)
    );
    assert_eq!(
        sh(&mut fs, "cat /missing"),
        (
            String::new(),
            "cat: /missing: No such file or directory\n".into(),
            1
        )
    );
    assert_eq!(
        sh(&mut fs, "ls /missing"),
        (
            String::new(),
            "ls: cannot access '/missing': No such file or directory\n".into(),
            2
        )
    );
    assert_eq!(
        sh(&mut fs, "mkdir /etc"),
        (
            String::new(),
            "mkdir: cannot create directory '/etc': File exists\n".into(),
            1
        )
    );
    assert_eq!(
        sh(&mut fs, "mkdir /a/b"),
        (
            String::new(),
            "mkdir: cannot create directory '/a/b': No such file or directory\n".into(),
            1
        )
    );
    assert_eq!(
        sh(&mut fs, "echo hi > /no/such/file"),
        (
            String::new(),
            "sh: 1: cannot create /no/such/file: Directory nonexistent\n".into(),
            2
        )
    );
    assert_eq!(sh(&mut fs, "chmod zz /etc/os-release").2, 1);
    assert_eq!(
        sh(&mut fs, "'unterminated").1,
        "sh: 1: Syntax error: Unterminated quoted string\n"
    );
}

#[test]
fn lists_follow_exit_codes() {
    let mut fs = MemFs::new();
    assert_eq!(sh(&mut fs, "false && echo yes || echo no").0, "no\n");
    assert_eq!(sh(&mut fs, "true && echo yes || echo no").0, "yes\n");
    assert_eq!(sh(&mut fs, "false; echo $?").0, "1\n");
    assert_eq!(
        sh(&mut fs, "exit 3; echo unreachable"),
        (String::new(), String::new(), 3)
    );
    assert_eq!(sh(&mut fs, "sh -c 'exit 4'; echo $?").0, "4\n");
    assert_eq!(
        sh(&mut fs, "/bin/sh -c \"echo inner\" && hostname").0,
        "inner\nd6e9bc60c18d\n"
    );
}

#[test]
fn rm_recursive_mkdir_parents_and_ls() {
    let mut fs = MemFs::new()
        .with_file("/var/cache/demo/a.txt", "a")
        .with_file("/var/cache/demo/b.txt", "b");
    assert_eq!(sh(&mut fs, "ls /var/cache/demo").0, "a.txt\nb.txt\n");
    assert_eq!(
        sh(
            &mut fs,
            "rm -rf /var/cache/demo && mkdir -p /var/cache/demo/x/y && ls /var/cache/demo"
        )
        .0,
        "x\n"
    );
    assert!(fs.stat("/var/cache/demo/a.txt").is_err());
    assert_eq!(sh(&mut fs, "mkdir -p /var/cache/demo/x").2, 0);
}

#[test]
fn long_listing_reads_like_gnu_ls() {
    let mut fs = MemFs::new()
        .with_file(
            "/etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\nwww:x:33:33::/var/www:/bin/false\n",
        )
        .with_file("/etc/group", "root:x:0:\nwww:x:33:\n")
        .with_file("/app/app.sh", "#!/bin/sh\necho hi\n");
    assert_eq!(
        sh(&mut fs, "chmod 755 /app/app.sh && chown www:www /app/app.sh").2,
        0
    );
    let (out, _, code) = sh(&mut fs, "cd /app && ls -l");
    assert_eq!(code, 0);
    assert_eq!(out, "total 4\n-rwxr-xr-x 1 www www 18 Jan  1  1970 app.sh\n");
    assert_eq!(
        sh(&mut fs, "touch /app/app.sh; ls -l /app/app.sh").0,
        "-rwxr-xr-x 1 www www 18 Jan  1 01:00 /app/app.sh\n"
    );
    assert_eq!(
        sh(&mut fs, "chmod u-x,go= /app/app.sh && ls -l /app/app.sh")
            .0
            .get(..10),
        Some("-rw-------")
    );
    assert_eq!(
        sh(&mut fs, "chown nobody /app/app.sh").1,
        "chown: invalid user: 'nobody'\n"
    );
}

#[test]
fn dd_writes_generated_content() {
    let mut fs = MemFs::new().with_file("/app/app.sh", "x");
    let (_, err, code) = sh(&mut fs, "dd if=/dev/urandom of=/app/new-1M.bin bs=1M count=1");
    assert_eq!(code, 0);
    assert_eq!(
        err,
        "1+0 records in\n1+0 records out\n1048576 bytes (1.0 MB, 1.0 MiB) copied\n"
    );
    assert!(matches!(
        fs.read("/app/new-1M.bin"),
        Ok(Content::Synthetic { len: 1_048_576, .. })
    ));
    assert_eq!(sh(&mut fs, "dd if=/dev/zero of=/z bs=4K count=2").2, 0);
    assert_eq!(fs.read("/z"), Ok(Content::Zeros { len: 8192 }));
    // A copy through the shell keeps the generated file as it is.
    assert_eq!(sh(&mut fs, "cat /app/new-1M.bin > /copy").2, 0);
    assert_eq!(fs.read("/copy"), fs.read("/app/new-1M.bin"));
}

#[test]
fn mv_falls_back_to_copy_on_exdev() {
    let mut fs = MemFs::new()
        .with_file("/etc/demo.d/default.conf", "d")
        .with_file("/etc/demo.d/old.conf", "o");
    fs.lower_dirs.push("/etc/demo.d".into());
    assert_eq!(
        sh(&mut fs, "mv /etc/demo.d /etc/demo.bak"),
        (String::new(), String::new(), 0)
    );
    assert_eq!(fs.text("/etc/demo.bak/old.conf").as_deref(), Some("o"));
    assert!(fs.stat("/etc/demo.d").is_err());
    assert_eq!(
        sh(&mut fs, "cp /etc/demo.bak /tmpx").1,
        "cp: -r not specified; omitting directory '/etc/demo.bak'\n"
    );
    assert_eq!(
        sh(&mut fs, "mkdir /t && cp -r /etc/demo.bak /t && ls /t/demo.bak").0,
        "default.conf\nold.conf\n"
    );
}

#[test]
fn copies_and_moves_into_themselves_are_refused() {
    let mut fs = MemFs::new().with_file("/a/f", "x");
    assert_eq!(
        sh(&mut fs, "cp -r /a /a/b").1,
        "cp: cannot copy a directory, '/a', into itself, '/a/b'\n"
    );
    assert_eq!(
        sh(&mut fs, "mv /a /a").1,
        "mv: cannot move '/a' to a subdirectory of itself, '/a/a'\n"
    );
    assert_eq!(sh(&mut fs, "cp /a/f /a/g && cat /a/g").0, "x");
}

#[test]
fn variables_and_printf() {
    let mut fs = MemFs::new();
    let mut env = ShellEnv::new("box", NOW);
    env.vars.push(("NAME".into(), "lab".into()));
    let out = run_script(
        &mut fs,
        &mut env,
        "echo \"hi $NAME\" ${NAME}x '$NAME'; printf '%s=%d\\n' a 1 b 2",
    );
    assert_eq!(out.stdout_text(), "hi lab labx $NAME\na=1\nb=2\n");
}

#[test]
fn argv_runs_without_a_shell() {
    let mut fs = MemFs::new()
        .with_file("/etc/motd", "hello\n")
        .with_file("/bin/cat", "")
        .with_file("/usr/bin/echo", "")
        .with_file("/bin/sh", "");
    let mut env = ShellEnv::new("box", NOW);
    let argv = |s: &[&str]| s.iter().map(|w| w.to_string()).collect::<Vec<_>>();
    let out = run_argv(&mut fs, &mut env, &argv(&["cat", "/etc/motd"])).expect("runs");
    assert_eq!(out.stdout_text(), "hello\n");
    // Without a shell, `>` is just an argument.
    let out = run_argv(&mut fs, &mut env, &argv(&["echo", "a", ">", "/f"])).expect("runs");
    assert_eq!(out.stdout_text(), "a > /f\n");
    assert_eq!(
        run_argv(&mut fs, &mut env, &argv(&["nginx"])),
        Err(ExecError::NotFound {
            program: "nginx".into()
        })
    );
    let out = run_argv(&mut fs, &mut env, &argv(&["sh", "-c", "echo x > /f && cat /f"])).expect("runs");
    assert_eq!(out.stdout_text(), "x\n");
}

#[test]
fn argv_needs_the_program_in_the_image_even_when_the_shell_knows_it() {
    let mut fs = MemFs::new()
        .with_file("/bin/busybox", "")
        .with_file("/opt/tools/cat", "");
    let mut env = ShellEnv::new("box", NOW);
    let argv = |s: &[&str]| s.iter().map(|w| w.to_string()).collect::<Vec<_>>();
    for missing in ["true", "cat", "/bin/true", "./cat"] {
        assert_eq!(
            run_argv(&mut fs, &mut env, &argv(&[missing])),
            Err(ExecError::NotFound {
                program: missing.into()
            }),
            "{missing}"
        );
    }
    // Found by its path, relative to the working directory, or through $PATH.
    assert!(run_argv(&mut fs, &mut env, &argv(&["/opt/tools/cat", "/bin/busybox"])).is_ok());
    env.cwd = "/opt".into();
    assert!(run_argv(&mut fs, &mut env, &argv(&["tools/cat", "/bin/busybox"])).is_ok());
    env.vars = vec![("PATH".into(), "/opt/tools:/bin".into())];
    assert!(run_argv(&mut fs, &mut env, &argv(&["cat", "/bin/busybox"])).is_ok());
}

proptest::proptest! {
    #[test]
    fn any_script_runs_or_fails_cleanly(script in "[a-z /.>&|;'\"$-]{0,60}") {
        let mut fs = MemFs::new().with_file("/etc/motd", "m");
        let _ = sh(&mut fs, &script);
    }

    #[test]
    fn any_text_parses_or_errs(script in "\\PC{0,80}") {
        let _ = parse(&script);
    }
}
