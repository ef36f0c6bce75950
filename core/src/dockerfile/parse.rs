//! From text to instructions, following BuildKit's `frontend/dockerfile/parser`: directives are
//! read only at the very top; a line ending in the escape character (optionally followed by spaces
//! or tabs) continues on the next; comment lines and empty lines inside a continuation are skipped;
//! then each logical line is split into keyword, `--flags` and arguments.

use super::{Action, CommandLine, Dockerfile, DockerfileError, Healthcheck, Instruction, Warning};
use crate::decimal::Decimal;

const KEYWORDS: [&str; 18] = [
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// Parses a Dockerfile. Variables are substituted later, by [`super::plan`], because their values
/// depend on build arguments.
pub fn parse(text: &str) -> Result<Dockerfile, DockerfileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut directives = Directives::default();
    let mut instructions = Vec::new();
    let mut warnings = Vec::new();
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));

    while let Some((number, raw)) = lines.next() {
        directives.consider(raw, number)?;
        if is_comment(raw) {
            continue;
        }
        let first = raw.trim_start();
        let (mut logical, mut ended) = trim_continuation(first, directives.escape);
        if ended && logical.trim().is_empty() {
            continue;
        }
        let mut end_line = number;
        let mut empty_continuation = false;
        while !ended {
            let Some((n, raw)) = lines.next() else { break };
            directives.consider(raw, n)?;
            end_line = n;
            if is_comment(raw) {
                continue;
            }
            if raw.trim_start().is_empty() {
                empty_continuation = true;
                continue;
            }
            let (part, e) = trim_continuation(raw, directives.escape);
            logical.push_str(&part);
            ended = e;
        }
        if empty_continuation {
            warnings.push(Warning {
                line: number,
                message: format!("Empty continuation line found in: {}", logical.trim()),
            });
        }
        if logical.trim().is_empty() {
            continue;
        }
        let action = parse_instruction(&logical, number, directives.escape, true)?;
        instructions.push(Instruction {
            line: number,
            end_line,
            original: logical.trim().to_owned(),
            action,
        });
    }

    check_stage_order(&instructions)?;
    if instructions.is_empty() {
        return Err(DockerfileError::Empty);
    }
    Ok(Dockerfile {
        escape: directives.escape,
        syntax: directives.syntax,
        check: directives.check,
        instructions,
        warnings,
    })
}

/// Only ARG may come before the first FROM.
fn check_stage_order(instructions: &[Instruction]) -> Result<(), DockerfileError> {
    for i in instructions {
        match i.action {
            Action::From { .. } => return Ok(()),
            Action::Arg(_) => {}
            ref other => {
                return Err(DockerfileError::NoBuildStage {
                    line: i.line,
                    instruction: other.keyword(),
                });
            }
        }
    }
    Ok(())
}

#[derive(Debug)]
struct Directives {
    escape: char,
    syntax: Option<String>,
    check: Option<String>,
    seen: Vec<String>,
    done: bool,
}

impl Default for Directives {
    fn default() -> Self {
        Self {
            escape: '\\',
            syntax: None,
            check: None,
            seen: Vec::new(),
            done: false,
        }
    }
}

impl Directives {
    /// Looks at every physical line, as BuildKit does: directives count only until the first line
    /// that is not one (a blank line, another comment or an instruction ends them).
    fn consider(&mut self, raw: &str, line: usize) -> Result<(), DockerfileError> {
        if self.done {
            return Ok(());
        }
        let Some((name, value)) = directive(raw.trim_start()) else {
            self.done = true;
            return Ok(());
        };
        let name = name.to_ascii_lowercase();
        if !["escape", "syntax", "check"].contains(&name.as_str()) {
            self.done = true;
            return Ok(());
        }
        if self.seen.contains(&name) {
            return Err(DockerfileError::DuplicateDirective { line, name });
        }
        self.seen.push(name.clone());
        match name.as_str() {
            "escape" => {
                self.escape = match value {
                    "\\" => '\\',
                    "`" => '`',
                    _ => {
                        return Err(DockerfileError::InvalidEscapeToken {
                            line,
                            token: value.to_owned(),
                        });
                    }
                }
            }
            "syntax" => self.syntax = Some(value.to_owned()),
            // A whitespace-only value is what BuildKit's regexp captures for `#check= `; its lint
            // options parser trims it to an empty (default) configuration, and so do we.
            _ => self.check = Some(value.trim().to_owned()),
        }
        Ok(())
    }
}

/// Matches `^#[ \t]*([a-zA-Z][a-zA-Z0-9]*)[ \t]*=[ \t]*(.+?)[ \t]*$`.
fn directive(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('#')?.trim_start_matches([' ', '\t']);
    let name_len = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    let name = rest.get(..name_len)?;
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let after = rest
        .get(name_len..)?
        .trim_start_matches([' ', '\t'])
        .strip_prefix('=')?;
    let value = after.trim_matches([' ', '\t']);
    if !value.is_empty() {
        return Some((name, value));
    }
    // The lazy `(.+?)` still needs one character: a value of only blanks captures one blank.
    let blank_len = after.chars().next()?.len_utf8();
    Some((name, after.get(..blank_len)?))
}

fn is_comment(raw: &str) -> bool {
    raw.trim_start().starts_with('#')
}

/// Strips a trailing escape character (and any spaces or tabs after it, as BuildKit's
/// `\\[ \t]*$` does). Returns the text and whether the logical line ends here.
fn trim_continuation(line: &str, escape: char) -> (String, bool) {
    let trimmed = line.trim_end_matches([' ', '\t']);
    match trimmed.strip_suffix(escape) {
        Some(kept) => (kept.to_owned(), false),
        None => (line.to_owned(), true),
    }
}

/// Parses one logical line. `top_level` is false for an ONBUILD trigger.
pub(super) fn parse_instruction(
    line_text: &str,
    line: usize,
    escape: char,
    top_level: bool,
) -> Result<Action, DockerfileError> {
    let trimmed = line_text.trim();
    let (word, rest) = match trimmed.split_once(|c: char| c.is_whitespace()) {
        Some((w, r)) => (w, r),
        None => (trimmed, ""),
    };
    let upper = word.to_ascii_uppercase();
    let Some(keyword) = KEYWORDS.iter().find(|k| **k == upper).copied() else {
        return Err(DockerfileError::UnknownInstruction {
            line,
            instruction: word.to_owned(),
            suggestion: suggest(&upper),
        });
    };
    let (rest, flags) = extract_flags(rest);
    let rest = rest.trim();
    let mut flags = Flags::new(flags, line);

    if matches!(keyword, "RUN" | "COPY" | "ADD")
        && let Some(delimiter) = heredoc(rest)
    {
        return Err(DockerfileError::Heredoc { line, delimiter });
    }

    let action = match keyword {
        "FROM" => {
            let platform = flags.string("platform")?;
            let args = whitespace_words(rest);
            let (image, name) = match args.as_slice() {
                [image] => (image.clone(), None),
                [image, as_word, name] if as_word.eq_ignore_ascii_case("as") => {
                    let name = name.to_ascii_lowercase();
                    let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
                        && name
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
                    if !valid {
                        return Err(DockerfileError::InvalidStageName { line, name });
                    }
                    (image.clone(), Some(name))
                }
                _ => return Err(DockerfileError::FromArguments { line }),
            };
            Action::From {
                image,
                name,
                platform,
                stage: None,
            }
        }
        "RUN" => {
            for f in ["mount", "network", "security"] {
                flags.string(f)?;
            }
            Action::Run {
                command: command_line(rest, line, keyword)?,
                argv: Vec::new(),
                build_args: Vec::new(),
            }
        }
        "CMD" => Action::Cmd {
            command: command_line(rest, line, keyword)?,
            argv: Vec::new(),
        },
        "ENTRYPOINT" => Action::Entrypoint {
            command: command_line(rest, line, keyword)?,
            argv: Vec::new(),
        },
        "COPY" | "ADD" => {
            let chown = flags.string("chown")?;
            let chmod = flags.string("chmod")?;
            let link = flags.boolean("link")?;
            let from = if keyword == "COPY" {
                flags.string("from")?
            } else {
                None
            };
            if keyword == "ADD" {
                for f in ["checksum", "keep-git-dir", "unpack"] {
                    flags.string(f)?;
                }
            }
            for f in ["exclude", "parents"] {
                flags.string(f)?;
            }
            let mut list = string_list(rest, line)?;
            let dest = match list.len() {
                0 => {
                    return Err(DockerfileError::AtLeastTwoArguments {
                        line,
                        instruction: keyword,
                    });
                }
                1 => {
                    return Err(DockerfileError::NoDestination {
                        line,
                        instruction: keyword,
                    });
                }
                _ => list.pop().unwrap_or_default(),
            };
            if keyword == "COPY" {
                Action::Copy {
                    srcs: list,
                    dest,
                    chown,
                    chmod,
                    from,
                    from_stage: None,
                    link,
                }
            } else {
                Action::Add {
                    srcs: list,
                    dest,
                    chown,
                    chmod,
                    link,
                }
            }
        }
        "ENV" | "LABEL" => {
            let pairs = name_values(rest, line, keyword, escape)?;
            if keyword == "ENV" {
                Action::Env(pairs)
            } else {
                Action::Label(pairs)
            }
        }
        "ARG" => {
            let words = shell_words(rest, escape);
            if words.is_empty() {
                return Err(DockerfileError::AtLeastOneArgument {
                    line,
                    instruction: keyword,
                });
            }
            let mut args = Vec::new();
            for w in words {
                let (name, value) = match w.split_once('=') {
                    Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
                    None => (w, None),
                };
                if name.is_empty() {
                    return Err(DockerfileError::BlankName {
                        line,
                        instruction: keyword,
                    });
                }
                args.push((name, value));
            }
            Action::Arg(args)
        }
        "EXPOSE" => {
            let ports = whitespace_words(rest);
            if ports.is_empty() {
                return Err(DockerfileError::AtLeastOneArgument {
                    line,
                    instruction: keyword,
                });
            }
            Action::Expose(ports)
        }
        "VOLUME" => {
            let volumes = string_list(rest, line)?;
            if volumes.is_empty() {
                return Err(DockerfileError::AtLeastOneArgument {
                    line,
                    instruction: keyword,
                });
            }
            Action::Volume(volumes)
        }
        "WORKDIR" | "USER" | "STOPSIGNAL" | "MAINTAINER" => {
            if rest.is_empty() {
                return Err(DockerfileError::ExactlyOneArgument {
                    line,
                    instruction: keyword,
                });
            }
            let value = rest.to_owned();
            match keyword {
                "WORKDIR" => Action::Workdir(value),
                "USER" => Action::User(value),
                "STOPSIGNAL" => Action::StopSignal(value),
                _ => Action::Maintainer(value),
            }
        }
        "SHELL" => match command_line(rest, line, keyword)? {
            CommandLine::Exec(argv) if !argv.is_empty() => Action::Shell(argv),
            CommandLine::Exec(_) => {
                return Err(DockerfileError::AtLeastOneArgument {
                    line,
                    instruction: keyword,
                });
            }
            CommandLine::Shell(_) => {
                return Err(DockerfileError::NotJson {
                    line,
                    instruction: keyword,
                });
            }
        },
        "HEALTHCHECK" => Action::Healthcheck(healthcheck(rest, line, &mut flags)?),
        _ => {
            // ONBUILD: the trigger must itself be a valid instruction.
            if rest.is_empty() {
                return Err(DockerfileError::AtLeastOneArgument {
                    line,
                    instruction: keyword,
                });
            }
            if !top_level {
                return Err(DockerfileError::OnBuildChain { line });
            }
            match parse_instruction(rest, line, escape, false) {
                Ok(Action::From { .. }) => {
                    return Err(DockerfileError::OnBuildTrigger {
                        line,
                        instruction: "FROM",
                    });
                }
                Ok(Action::Maintainer(_)) => {
                    return Err(DockerfileError::OnBuildTrigger {
                        line,
                        instruction: "MAINTAINER",
                    });
                }
                Ok(_) => Action::OnBuild(rest.to_owned()),
                Err(e) => return Err(e),
            }
        }
    };
    flags.finish()?;
    Ok(action)
}

fn suggest(word: &str) -> Option<&'static str> {
    if word.len() < 3 {
        return None;
    }
    KEYWORDS
        .iter()
        .copied()
        .map(|k| (levenshtein(word, k), k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

/// A heredoc opener (`<<EOF`, `<<-EOF`, `<<'EOF'`, `2<<EOF`) among the shell words.
fn heredoc(rest: &str) -> Option<String> {
    if rest.starts_with('[') {
        return None;
    }
    rest.split_whitespace().find_map(|w| {
        let w = w.trim_start_matches(|c: char| c.is_ascii_digit());
        let name = w.strip_prefix("<<")?;
        let name = name.strip_prefix('-').unwrap_or(name);
        let name = name.trim_matches(['\'', '"']);
        (!name.is_empty() && !name.starts_with('<')).then(|| name.to_owned())
    })
}

/// BuildKit's `extractBuilderFlags`: leading `--name[=value]` words, quotes and backslashes honoured.
fn extract_flags(rest: &str) -> (&str, Vec<String>) {
    let mut words = Vec::new();
    let mut remaining = rest;
    loop {
        let trimmed = remaining.trim_start();
        if !trimmed.starts_with("--") {
            return (trimmed, words);
        }
        let mut word = String::new();
        let mut quote: Option<char> = None;
        let mut chars = trimmed.char_indices();
        let mut end = trimmed.len();
        while let Some((i, c)) = chars.next() {
            match quote {
                None if c.is_whitespace() => {
                    end = i;
                    break;
                }
                None if c == '\'' || c == '"' => quote = Some(c),
                Some(q) if c == q => quote = None,
                _ if c == '\\' => {
                    if let Some((_, n)) = chars.next() {
                        word.push(n);
                    }
                }
                _ => word.push(c),
            }
        }
        remaining = trimmed.get(end..).unwrap_or("");
        if word == "--" {
            return (remaining.trim_start(), words);
        }
        words.push(word);
    }
}

/// The flags of one instruction; each must be claimed by the instruction or it is an error.
struct Flags {
    given: Vec<(String, Option<String>)>,
    line: usize,
}

impl Flags {
    fn new(words: Vec<String>, line: usize) -> Self {
        let mut given = Vec::new();
        for w in words {
            let body = w.strip_prefix("--").unwrap_or(&w);
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
                None => (body.to_owned(), None),
            };
            given.push((name, value));
        }
        Self { given, line }
    }

    fn take(&mut self, name: &str) -> Option<Option<String>> {
        let pos = self.given.iter().position(|(n, _)| n == name)?;
        Some(self.given.remove(pos).1)
    }

    fn string(&mut self, name: &str) -> Result<Option<String>, DockerfileError> {
        match self.take(name) {
            None => Ok(None),
            Some(Some(v)) => Ok(Some(v)),
            Some(None) => Err(DockerfileError::FlagNeedsValue {
                line: self.line,
                flag: name.to_owned(),
            }),
        }
    }

    fn boolean(&mut self, name: &str) -> Result<bool, DockerfileError> {
        Ok(match self.take(name) {
            None => false,
            Some(None) => true,
            Some(Some(v)) if v.eq_ignore_ascii_case("true") => true,
            Some(Some(v)) if v.eq_ignore_ascii_case("false") => false,
            Some(Some(value)) => {
                return Err(DockerfileError::BadBoolFlag {
                    line: self.line,
                    flag: name.to_owned(),
                    value,
                });
            }
        })
    }

    fn finish(self) -> Result<(), DockerfileError> {
        match self.given.into_iter().next() {
            None => Ok(()),
            Some((flag, _)) => Err(DockerfileError::UnknownFlag {
                line: self.line,
                flag,
            }),
        }
    }
}

fn whitespace_words(rest: &str) -> Vec<String> {
    rest.split_whitespace().map(str::to_owned).collect()
}

/// JSON array of strings, if `rest` is one. `Err` when it is JSON but not all strings.
fn json_strings(rest: &str, line: usize) -> Result<Option<Vec<String>>, DockerfileError> {
    if !rest.starts_with('[') {
        return Ok(None);
    }
    // From bytes, as every other JSON the page reads: one reader type, one copy of the parser.
    let Ok(serde_json::Value::Array(items)) = serde_json::from_slice::<serde_json::Value>(rest.as_bytes()) else {
        return Ok(None);
    };
    items
        .into_iter()
        .map(|v| match v {
            serde_json::Value::String(s) => Ok(s),
            _ => Err(DockerfileError::JsonNotStrings { line }),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn command_line(rest: &str, line: usize, keyword: &'static str) -> Result<CommandLine, DockerfileError> {
    if let Some(argv) = json_strings(rest, line)? {
        return Ok(CommandLine::Exec(argv));
    }
    if rest.is_empty() {
        return Err(DockerfileError::AtLeastOneArgument {
            line,
            instruction: keyword,
        });
    }
    Ok(CommandLine::Shell(rest.to_owned()))
}

fn string_list(rest: &str, line: usize) -> Result<Vec<String>, DockerfileError> {
    Ok(json_strings(rest, line)?.unwrap_or_else(|| whitespace_words(rest)))
}

/// BuildKit's `parseWords`: splits on blanks outside quotes, keeping quotes and escapes in the
/// words (substitution removes them later).
pub(super) fn shell_words(rest: &str, escape: char) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut blank_ok = false;
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            } else if c == escape && q != '\'' {
                match chars.next() {
                    Some(n) => {
                        word.push(c);
                        word.push(n);
                        continue;
                    }
                    None => continue,
                }
            }
            word.push(c);
            continue;
        }
        if c.is_whitespace() {
            if in_word && (blank_ok || !word.is_empty()) {
                words.push(std::mem::take(&mut word));
            }
            in_word = false;
            blank_ok = false;
            continue;
        }
        in_word = true;
        if c == '\'' || c == '"' {
            quote = Some(c);
            blank_ok = true;
        } else if c == escape {
            // An escape at the very end is dropped, as BuildKit's parseWords does.
            if let Some(n) = chars.next() {
                word.push(c);
                word.push(n);
            }
            continue;
        }
        word.push(c);
    }
    if in_word && (blank_ok || !word.is_empty()) {
        words.push(word);
    }
    words
}

/// `ENV`/`LABEL`: `name=value ...`, or the legacy `name value with spaces`.
fn name_values(
    rest: &str,
    line: usize,
    keyword: &'static str,
    escape: char,
) -> Result<Vec<(String, String)>, DockerfileError> {
    let words = shell_words(rest, escape);
    let Some(first) = words.first() else {
        return Err(DockerfileError::AtLeastOneArgument {
            line,
            instruction: keyword,
        });
    };
    if !first.contains('=') {
        let Some((name, value)) = rest.split_once(|c: char| c.is_whitespace()) else {
            return Err(DockerfileError::MissingValue {
                line,
                instruction: keyword,
            });
        };
        return Ok(vec![(name.to_owned(), value.trim_start().to_owned())]);
    }
    let mut pairs = Vec::new();
    for w in words {
        let Some((name, value)) = w.split_once('=') else {
            return Err(DockerfileError::MissingEquals { line, word: w });
        };
        if name.is_empty() {
            return Err(DockerfileError::BlankName {
                line,
                instruction: keyword,
            });
        }
        pairs.push((name.to_owned(), value.to_owned()));
    }
    Ok(pairs)
}

fn healthcheck(rest: &str, line: usize, flags: &mut Flags) -> Result<Healthcheck, DockerfileError> {
    let (kind, args) = match rest.split_once(|c: char| c.is_whitespace()) {
        Some((k, a)) => (k, a.trim()),
        None => (rest, ""),
    };
    if kind.is_empty() {
        return Err(DockerfileError::AtLeastOneArgument {
            line,
            instruction: "HEALTHCHECK",
        });
    }
    let mut hc = Healthcheck::default();
    match kind.to_ascii_uppercase().as_str() {
        "NONE" => {
            if !args.is_empty() {
                return Err(DockerfileError::HealthcheckNoneArgs { line });
            }
            hc.test = vec!["NONE".to_owned()];
        }
        "CMD" => {
            hc.test = match command_line(args, line, "HEALTHCHECK") {
                Ok(CommandLine::Exec(argv)) if !argv.is_empty() => {
                    std::iter::once("CMD".to_owned()).chain(argv).collect()
                }
                Ok(CommandLine::Shell(cmd)) => vec!["CMD-SHELL".to_owned(), cmd],
                Ok(CommandLine::Exec(_)) | Err(DockerfileError::AtLeastOneArgument { .. }) => {
                    return Err(DockerfileError::HealthcheckMissingCommand { line });
                }
                Err(e) => return Err(e),
            };
        }
        _ => {
            return Err(DockerfileError::HealthcheckType {
                line,
                kind: kind.to_ascii_uppercase(),
            });
        }
    }
    let mut duration = |flag: &str| -> Result<u64, DockerfileError> {
        match flags.string(flag)? {
            None => Ok(0),
            Some(v) => go_duration(&v).ok_or(DockerfileError::BadDuration {
                line,
                flag: flag.to_owned(),
                value: v,
            }),
        }
    };
    hc.interval_ns = duration("interval")?;
    hc.timeout_ns = duration("timeout")?;
    hc.start_period_ns = duration("start-period")?;
    // Docker 25 added --start-interval; the 20.10 config this plan mirrors has no field for it.
    duration("start-interval")?;
    if let Some(r) = flags.string("retries")? {
        hc.retries = r
            .parse()
            .map_err(|_| DockerfileError::BadRetries { line, value: r })?;
    }
    Ok(hc)
}

/// Go's `time.ParseDuration` for non-negative values (`1m30s`, `500ms`, `1.5h`), in nanoseconds.
fn go_duration(text: &str) -> Option<u64> {
    if text == "0" {
        return Some(0);
    }
    let mut rest = text;
    let mut total: u64 = 0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = Decimal::parse(rest.get(..num_len)?)?;
        rest = rest.get(num_len..)?;
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale: u64 = match rest.get(..unit_len)? {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        rest = rest.get(unit_len..)?;
        total = total.checked_add(number.times(scale)?)?;
    }
    // Go's durations are an int64 of nanoseconds.
    (total <= i64::MAX as u64).then_some(total)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        match parse(text) {
            Ok(d) => panic!("expected an error for {text:?}, got {d:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn lesson_dockerfile_parses_into_four_instructions() {
        let d = parse("FROM ubuntu:15.04\nCOPY . /app\nRUN make /app\nCMD python /app/app.py\n").unwrap();
        let kinds: Vec<_> = d
            .instructions
            .iter()
            .map(|i| (i.line, i.action.keyword()))
            .collect();
        assert_eq!(kinds, [(1, "FROM"), (2, "COPY"), (3, "RUN"), (4, "CMD")]);
        assert_eq!(
            d.instructions[3].action,
            Action::Cmd {
                command: CommandLine::Shell("python /app/app.py".into()),
                argv: vec![]
            }
        );
    }

    #[test]
    fn instruction_names_are_case_insensitive_and_json_form_is_recognised() {
        let d =
            parse("from alpine\ncmd [\"nginx\", \"-g\", \"daemon off;\"]\nEntryPoint [not json\n").unwrap();
        assert_eq!(
            d.instructions[1].action,
            Action::Cmd {
                command: CommandLine::Exec(vec!["nginx".into(), "-g".into(), "daemon off;".into()]),
                argv: vec![]
            }
        );
        assert_eq!(
            d.instructions[2].action,
            Action::Entrypoint {
                command: CommandLine::Shell("[not json".into()),
                argv: vec![]
            }
        );
        assert_eq!(
            err("FROM a\nCMD [\"a\", 1]"),
            "dockerfile parse error on line 2: when using JSON array syntax, arrays must be comprised of strings only"
        );
    }

    #[test]
    fn continuations_comments_and_blank_lines() {
        let text = "FROM debian\nRUN apt-get update \\  \n# a comment inside\n\n    && apt-get install -y curl\nRUN echo done\n";
        let d = parse(text).unwrap();
        assert_eq!(d.instructions.len(), 3);
        let run = &d.instructions[1];
        assert_eq!((run.line, run.end_line), (2, 5));
        assert_eq!(
            run.action,
            Action::Run {
                command: CommandLine::Shell("apt-get update     && apt-get install -y curl".into()),
                argv: vec![],
                build_args: vec![]
            }
        );
        assert_eq!(d.instructions[2].line, 6);
        assert_eq!(d.warnings.len(), 1, "the empty continuation line is warned about");
    }

    #[test]
    fn escape_directive_changes_the_continuation_character() {
        let d = parse("# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir c:\\ `\n  && echo hi\n").unwrap();
        assert_eq!(d.escape, '`');
        assert_eq!(
            d.instructions[1].action,
            Action::Run {
                command: CommandLine::Shell("dir c:\\   && echo hi".into()),
                argv: vec![],
                build_args: vec![]
            }
        );
        // A directive after an instruction is only a comment.
        let d = parse("FROM a\n# escape=`\nRUN x \\\n y\n").unwrap();
        assert_eq!(d.escape, '\\');
        assert_eq!(d.instructions.len(), 2);
        assert_eq!(
            err("# escape=x\nFROM a"),
            "dockerfile parse error on line 1: invalid escape token 'x' does not match ` or \\"
        );
        assert_eq!(
            err("# escape=`\n# escape=\\\nFROM a"),
            "dockerfile parse error on line 2: only one escape parser directive can be used"
        );
        let d = parse("# syntax=docker/dockerfile:1\n#check= \nFROM a").unwrap();
        assert_eq!(
            (d.syntax.as_deref(), d.check.as_deref()),
            (Some("docker/dockerfile:1"), Some(""))
        );
    }

    #[test]
    fn docker_error_messages_with_line_numbers() {
        assert_eq!(
            err("FROM a\n\nFORM b"),
            "dockerfile parse error on line 3: unknown instruction: FORM (did you mean FROM?)"
        );
        assert_eq!(
            err("FROM"),
            "dockerfile parse error on line 1: FROM requires either one or three arguments"
        );
        assert_eq!(
            err("FROM a b"),
            "dockerfile parse error on line 1: FROM requires either one or three arguments"
        );
        assert_eq!(
            err("FROM a AS 1x"),
            "dockerfile parse error on line 1: invalid name for build stage: \"1x\", name can't start with a number or contain symbols"
        );
        assert_eq!(
            err("FROM a\nCOPY \\"),
            "dockerfile parse error on line 2: COPY requires at least two arguments"
        );
        assert_eq!(
            err("FROM a\nCOPY x"),
            "dockerfile parse error on line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined"
        );
        assert_eq!(
            err("FROM a\nENV ONLYNAME"),
            "dockerfile parse error on line 2: ENV must have two arguments"
        );
        assert_eq!(
            err("FROM a\nENV a=1 b"),
            "dockerfile parse error on line 2: Syntax error - can't find = in \"b\". Must be of the form: name=value"
        );
        assert_eq!(
            err("FROM a\nSHELL /bin/sh"),
            "dockerfile parse error on line 2: SHELL requires the arguments to be in JSON form"
        );
        assert_eq!(
            err("RUN x\nFROM a"),
            "dockerfile parse error on line 1: no build stage in current context: RUN must come after FROM"
        );
        assert_eq!(
            err("FROM a\nCOPY --chwon=1 a b"),
            "dockerfile parse error on line 2: unknown flag: chwon"
        );
        assert_eq!(
            err("FROM a\nONBUILD ONBUILD RUN x"),
            "dockerfile parse error on line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"
        );
        assert_eq!(
            err("FROM a\nONBUILD FROM b"),
            "dockerfile parse error on line 2: FROM isn't allowed as an ONBUILD trigger"
        );
        assert_eq!(
            err("# only a comment\n"),
            "the Dockerfile cannot be empty: add a FROM instruction"
        );
    }

    #[test]
    fn catalogue_case_42_hostile_inputs_give_errors_not_panics() {
        // Heredocs are refused with their line.
        assert!(
            err("FROM a\nRUN <<EOF\necho hi\nEOF")
                .starts_with("dockerfile parse error on line 2: heredocs (<<EOF)")
        );
        assert!(
            err("FROM a\nRUN cat <<'EOF' > /x")
                .starts_with("dockerfile parse error on line 2: heredocs (<<EOF)")
        );
        assert!(
            err("FROM a\nCOPY <<-EOF /x").starts_with("dockerfile parse error on line 2: heredocs (<<EOF)")
        );
        // A trailing COPY \ at EOF.
        assert!(err("FROM a\nCOPY \\").contains("line 2"));
        // Trailing space after the escape still continues the line, as in Docker.
        let d = parse("FROM a\nRUN echo a \\ \n  b").unwrap();
        assert_eq!(d.instructions.len(), 2);
        // `FROM ${0:+0}` parses; the plan reports the blank base name.
        assert!(parse("FROM ${0:+0}").is_ok());
    }

    #[test]
    fn flags_and_healthcheck() {
        let d = parse("FROM --platform=linux/amd64 a AS Build\nCOPY --from=build --chown=1:1 --link a b /c/\nHEALTHCHECK --interval=5m --timeout=3s CMD curl -f http://localhost/ || exit 1\n").unwrap();
        assert_eq!(
            d.instructions[0].action,
            Action::From {
                image: "a".into(),
                name: Some("build".into()),
                platform: Some("linux/amd64".into()),
                stage: None
            }
        );
        assert_eq!(
            d.instructions[1].action,
            Action::Copy {
                srcs: vec!["a".into(), "b".into()],
                dest: "/c/".into(),
                chown: Some("1:1".into()),
                chmod: None,
                from: Some("build".into()),
                from_stage: None,
                link: true
            }
        );
        let Action::Healthcheck(hc) = &d.instructions[2].action else {
            panic!("not a healthcheck")
        };
        assert_eq!(hc.test, ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]);
        assert_eq!((hc.interval_ns, hc.timeout_ns), (300_000_000_000, 3_000_000_000));
        assert_eq!(go_duration("1m30s"), Some(90_000_000_000));
        assert_eq!(
            err("FROM a\nHEALTHCHECK CMD"),
            "dockerfile parse error on line 2: Missing command after HEALTHCHECK CMD"
        );
        assert_eq!(
            err("FROM a\nHEALTHCHECK connect TCP 7000"),
            "dockerfile parse error on line 2: Unknown type \"CONNECT\" in HEALTHCHECK (try CMD)"
        );
        let d = parse("FROM a\nHEALTHCHECK --timeout=3s CMD [\"foo\"]\nHEALTHCHECK NONE").unwrap();
        let Action::Healthcheck(hc) = &d.instructions[1].action else {
            panic!("not a healthcheck")
        };
        assert_eq!(
            (hc.test.clone(), hc.timeout_ns),
            (vec!["CMD".to_owned(), "foo".to_owned()], 3_000_000_000)
        );
        assert_eq!(
            d.instructions[2].action,
            Action::Healthcheck(Healthcheck {
                test: vec!["NONE".into()],
                ..Healthcheck::default()
            })
        );
        assert_eq!(go_duration("soon"), None);
    }

    #[test]
    fn legacy_env_form_spans_continuation_lines_with_tabs() {
        let d = parse("FROM a\nENV\tPLATFORMS\t\\\n\tlinux/amd64 linux/arm64 \\\n\tdarwin/arm64\nLABEL\tmaintainer\tA Person <a@example.org>\n").unwrap();
        assert_eq!(
            d.instructions[1].action,
            Action::Env(vec![(
                "PLATFORMS".into(),
                "linux/amd64 linux/arm64 \tdarwin/arm64".into()
            )])
        );
        assert_eq!((d.instructions[1].line, d.instructions[1].end_line), (2, 4));
        assert_eq!(
            d.instructions[2].action,
            Action::Label(vec![("maintainer".into(), "A Person <a@example.org>".into())])
        );
    }

    #[test]
    fn words_keep_quotes_for_substitution() {
        assert_eq!(
            shell_words(r#"a="x y" b=c\ d 'e f'"#, '\\'),
            [r#"a="x y""#, r"b=c\ d", "'e f'"]
        );
        let d = parse("FROM a\nENV PATH /usr/local/bin:$PATH\nLABEL maintainer=\"NGINX Docker Maintainers <docker-maint@nginx.com>\"").unwrap();
        assert_eq!(
            d.instructions[1].action,
            Action::Env(vec![("PATH".into(), "/usr/local/bin:$PATH".into())])
        );
        assert_eq!(
            d.instructions[2].action,
            Action::Label(vec![(
                "maintainer".into(),
                "\"NGINX Docker Maintainers <docker-maint@nginx.com>\"".into()
            )])
        );
    }
}
