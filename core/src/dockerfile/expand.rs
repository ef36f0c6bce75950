//! Variable substitution in Dockerfile words, as BuildKit's `shell/lex.go` does it.
//!
//! Written here rather than taken from a crate: shell-word crates implement POSIX shell quoting, but
//! Docker's rules differ (the escape character is configurable, `${VAR:+alt}` is the only kind of
//! nesting, unknown modifiers are errors with Docker's wording) and the learner sees those errors.

use std::collections::BTreeMap;

/// Why a word could not be expanded. The caller adds the line number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpandError {
    #[error("syntax error: missing '}}'")]
    MissingBrace,
    #[error("syntax error: bad substitution")]
    BadSubstitution,
    #[error("unsupported modifier ({modifier}) in substitution")]
    UnsupportedModifier { modifier: char },
    #[error("missing ':' in substitution")]
    MissingColon,
    #[error("unexpected end of statement while looking for matching {quote}")]
    Unterminated { quote: &'static str },
    #[error("{name}: {message}")]
    Required { name: String, message: String },
    /// Not a Docker message: Docker recurses without a limit, but here a stack overflow would kill
    /// the browser page, so nesting is bounded.
    #[error("substitution nested more than {limit} levels deep")]
    TooDeep { limit: usize },
}

const MAX_DEPTH: usize = 32;

/// Expands `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}`, `${VAR+alt}`,
/// `${VAR:?msg}` and `${VAR?msg}` in `word`, and removes quotes and escapes the way Docker does
/// for the instructions it substitutes in.
pub fn expand_word(word: &str, env: &BTreeMap<String, String>, escape: char) -> Result<String, ExpandError> {
    let chars: Vec<char> = word.chars().collect();
    let mut lexer = Lexer {
        chars: &chars,
        pos: 0,
        env,
        escape,
        depth: 0,
    };
    lexer.process_until(None)
}

struct Lexer<'a> {
    chars: &'a [char],
    pos: usize,
    env: &'a BTreeMap<String, String>,
    escape: char,
    depth: usize,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    /// Reads up to `stop` (consumed) or the end of the word when `stop` is `None`.
    fn process_until(&mut self, stop: Option<char>) -> Result<String, ExpandError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ExpandError::TooDeep { limit: MAX_DEPTH });
        }
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                if stop.is_some() {
                    return Err(ExpandError::Unterminated { quote: "}" });
                }
                break;
            };
            if Some(c) == stop {
                self.next();
                break;
            }
            match c {
                '\'' => out.push_str(&self.single_quoted()?),
                '"' => out.push_str(&self.double_quoted()?),
                '$' => out.push_str(&self.dollar()?),
                _ if c == self.escape => {
                    self.next();
                    // An escape at the very end of the word is dropped, as lex.go does.
                    if let Some(n) = self.next() {
                        out.push(n);
                    }
                }
                _ => {
                    self.next();
                    out.push(c);
                }
            }
        }
        self.depth -= 1;
        Ok(out)
    }

    fn single_quoted(&mut self) -> Result<String, ExpandError> {
        self.next();
        let mut out = String::new();
        loop {
            match self.next() {
                None => {
                    return Err(ExpandError::Unterminated {
                        quote: "single-quote",
                    });
                }
                Some('\'') => return Ok(out),
                Some(c) => out.push(c),
            }
        }
    }

    fn double_quoted(&mut self) -> Result<String, ExpandError> {
        self.next();
        let mut out = String::new();
        loop {
            match self.peek() {
                None => {
                    return Err(ExpandError::Unterminated {
                        quote: "double-quote",
                    });
                }
                Some('"') => {
                    self.next();
                    return Ok(out);
                }
                Some('$') => out.push_str(&self.dollar()?),
                Some(c) if c == self.escape => {
                    self.next();
                    match self.peek() {
                        // Only these can be escaped inside double quotes; other escapes stay as written.
                        Some(n) if n == '"' || n == '$' || n == self.escape => {
                            self.next();
                            out.push(n);
                        }
                        None => {}
                        Some(_) => out.push(c),
                    }
                }
                Some(c) => {
                    self.next();
                    out.push(c);
                }
            }
        }
    }

    fn name(&mut self) -> String {
        let mut name = String::new();
        if let Some(c) = self.peek() {
            if c.is_ascii_digit() {
                while let Some(d) = self.peek().filter(char::is_ascii_digit) {
                    self.next();
                    name.push(d);
                }
                return name;
            }
            if "@*#?-$!".contains(c) {
                self.next();
                name.push(c);
                return name;
            }
        }
        while let Some(c) = self.peek().filter(|c| c.is_alphanumeric() || *c == '_') {
            self.next();
            name.push(c);
        }
        name
    }

    fn lookup(&self, name: &str) -> Option<&str> {
        self.env.get(name).map(String::as_str)
    }

    fn dollar(&mut self) -> Result<String, ExpandError> {
        self.next();
        if self.peek() != Some('{') {
            let name = self.name();
            if name.is_empty() {
                return Ok("$".to_owned());
            }
            return Ok(self.lookup(&name).unwrap_or_default().to_owned());
        }
        self.next();
        match self.peek() {
            None => return Err(ExpandError::MissingBrace),
            Some('{' | '}' | ':') => return Err(ExpandError::BadSubstitution),
            Some(_) => {}
        }
        let name = self.name();
        let Some(c) = self.next() else {
            return Err(ExpandError::MissingBrace);
        };
        let value = self.lookup(&name).map(str::to_owned);
        match c {
            '}' => Ok(value.unwrap_or_default()),
            ':' => {
                let Some(modifier) = self.next() else {
                    return Err(ExpandError::MissingBrace);
                };
                let word = self.word_in_braces()?;
                let current = value.clone().unwrap_or_default();
                match modifier {
                    '+' => Ok(if current.is_empty() { String::new() } else { word }),
                    '-' => Ok(if current.is_empty() { word } else { current }),
                    '?' => match value {
                        None => Err(required(&name, &word, "is not allowed to be unset")),
                        Some(v) if v.is_empty() => Err(required(&name, &word, "is not allowed to be empty")),
                        Some(v) => Ok(v),
                    },
                    other => Err(ExpandError::UnsupportedModifier { modifier: other }),
                }
            }
            '+' => {
                let word = self.word_in_braces()?;
                Ok(if value.is_some() { word } else { String::new() })
            }
            '-' => {
                let word = self.word_in_braces()?;
                Ok(value.unwrap_or(word))
            }
            '?' => {
                let word = self.word_in_braces()?;
                value.ok_or_else(|| required(&name, &word, "is not allowed to be unset"))
            }
            _ => Err(ExpandError::MissingColon),
        }
    }

    fn word_in_braces(&mut self) -> Result<String, ExpandError> {
        match self.process_until(Some('}')) {
            Err(ExpandError::Unterminated { quote: "}" }) => Err(ExpandError::MissingBrace),
            other => other,
        }
    }
}

fn required(name: &str, word: &str, default: &str) -> ExpandError {
    let message = if word.is_empty() {
        default.to_owned()
    } else {
        word.to_owned()
    };
    ExpandError::Required {
        name: name.to_owned(),
        message,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn env() -> BTreeMap<String, String> {
        [("NAME", "nginx"), ("EMPTY", ""), ("V", "1.15.8")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    fn x(word: &str) -> Result<String, ExpandError> {
        expand_word(word, &env(), '\\')
    }

    #[test]
    fn plain_and_braced_variables() {
        assert_eq!(x("$NAME:${V}").as_deref(), Ok("nginx:1.15.8"));
        assert_eq!(x("$UNSET-x").as_deref(), Ok("-x"));
        assert_eq!(x("cost $").as_deref(), Ok("cost $"));
    }

    #[test]
    fn modifiers_follow_docker() {
        assert_eq!(x("${UNSET:-def}").as_deref(), Ok("def"));
        assert_eq!(x("${EMPTY:-def}").as_deref(), Ok("def"));
        assert_eq!(x("${EMPTY-def}").as_deref(), Ok(""));
        assert_eq!(x("${NAME:+alt}").as_deref(), Ok("alt"));
        assert_eq!(x("${EMPTY:+alt}").as_deref(), Ok(""));
        assert_eq!(x("${EMPTY+alt}").as_deref(), Ok("alt"));
        assert_eq!(x("${UNSET:-${NAME:-z}}").as_deref(), Ok("nginx"));
        assert_eq!(x("${0:+0}").as_deref(), Ok(""));
        assert_eq!(
            x("${UNSET:?must be set}"),
            Err(ExpandError::Required {
                name: "UNSET".into(),
                message: "must be set".into()
            })
        );
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(x("\"hello $NAME\"").as_deref(), Ok("hello nginx"));
        assert_eq!(x("'hello $NAME'").as_deref(), Ok("hello $NAME"));
        assert_eq!(x("hello\\ world\\$NAME").as_deref(), Ok("hello world$NAME"));
        assert_eq!(expand_word("a`$NAME", &env(), '`').as_deref(), Ok("a$NAME"));
    }

    proptest::proptest! {
        #[test]
        fn any_word_gives_a_value_or_an_error_that_says_what(
            word in "[a-zA-Z0-9${}:+?\\-'\"` ]{0,60}",
            escape in proptest::sample::select(vec!['\\', '`']),
        ) {
            if let Err(e) = expand_word(&word, &env(), escape) {
                proptest::prop_assert!(!e.to_string().is_empty());
            }
        }

        #[test]
        fn words_without_specials_are_unchanged(word in "[a-zA-Z0-9 ./:=_-]{0,60}") {
            proptest::prop_assert_eq!(expand_word(&word, &env(), '\\'), Ok(word.clone()));
        }
    }

    #[test]
    fn broken_substitutions_are_errors_with_docker_wording() {
        assert_eq!(x("${NAME").unwrap_err().to_string(), "syntax error: missing '}'");
        assert_eq!(
            x("${}").unwrap_err().to_string(),
            "syntax error: bad substitution"
        );
        assert_eq!(
            x("${NAME:%x}").unwrap_err().to_string(),
            "unsupported modifier (%) in substitution"
        );
        assert_eq!(
            x("'open").unwrap_err().to_string(),
            "unexpected end of statement while looking for matching single-quote"
        );
        assert_eq!(
            x(&"${A:-".repeat(100)),
            Err(ExpandError::TooDeep { limit: MAX_DEPTH })
        );
    }
}
