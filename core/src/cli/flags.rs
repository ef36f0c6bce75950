//! Reading one command's words against its row of the table ([`super::grammar`]): flags, their
//! values, and the operands left over, following pflag (the flag library Docker's CLI uses).
//!
//! Written here rather than on a general parser (clap, lexopt) because Docker's rules are
//! pflag's, not getopt's: a bool flag takes `=false` even inside a short group (`-aH=false`), a
//! value flag takes the next word even when it starts with a dash (`--pids-limit -1`), `run`
//! stops reading flags at its first operand, and the errors name the rest of the short group
//! (`unknown shorthand flag: 'x' in -x`). Each of those needs a workaround on a general parser,
//! and the whole of pflag's tokenising is the one loop below.

use super::args::UsageError;
use super::grammar::{Flag, Kind, Spec};
use crate::decimal::Decimal;

/// A flag's value, checked against its [`Kind`] while reading, as pflag does (so `run -m 12x`
/// is refused for the size before the missing image is noticed).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Bool(bool),
    Text(String),
    Int(i64),
    Bytes(u64),
}

/// What one command's words came to.
#[derive(Debug)]
pub struct Matched {
    pub spec: &'static Spec,
    /// Flags in the order given, by long name.
    given: Vec<(&'static str, Value)>,
    pub operands: Vec<String>,
    /// `--help` or `-h` (where `-h` means nothing else) was given.
    pub help: bool,
}

impl Matched {
    fn last(&self, long: &str) -> Option<&Value> {
        self.given
            .iter()
            .rev()
            .find(|(name, _)| *name == long)
            .map(|(_, value)| value)
    }

    /// A bool flag: its last value, else its default.
    pub fn on(&self, long: &str) -> bool {
        match self.last(long) {
            Some(Value::Bool(on)) => *on,
            _ => self
                .spec
                .flags
                .iter()
                .any(|f| f.long == long && f.kind == Kind::BoolOn),
        }
    }

    pub fn text(&self, long: &str) -> Option<String> {
        match self.last(long) {
            Some(Value::Text(text)) => Some(text.clone()),
            _ => None,
        }
    }

    /// Every value of a repeatable flag, in the order given.
    pub fn list(&self, long: &str) -> Vec<String> {
        self.given
            .iter()
            .filter(|(name, _)| *name == long)
            .filter_map(|(_, value)| match value {
                Value::Text(text) => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn int(&self, long: &str) -> Option<i64> {
        match self.last(long) {
            Some(Value::Int(n)) => Some(*n),
            _ => None,
        }
    }

    pub fn bytes(&self, long: &str) -> Option<u64> {
        match self.last(long) {
            Some(Value::Bytes(n)) => Some(*n),
            _ => None,
        }
    }
}

/// Reads `words` (what follows the command's name) for the command `spec`; `path` is the
/// command as errors name it (`docker image ls`).
pub fn match_words(spec: &'static Spec, path: &str, words: &[String]) -> Result<Matched, UsageError> {
    let mut m = Matched {
        spec,
        given: Vec::new(),
        operands: Vec::new(),
        help: false,
    };
    let mut rest = words.iter();
    while let Some(word) = rest.next() {
        if word == "--" {
            m.operands.extend(rest.cloned());
            break;
        }
        if let Some(long) = word.strip_prefix("--") {
            let (name, attached) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (long, None),
            };
            if name.is_empty() || name.starts_with('-') {
                return Err(UsageError::BadSyntax {
                    command: path.to_string(),
                    word: word.clone(),
                });
            }
            let Some(flag) = spec.flags.iter().find(|f| f.long == name) else {
                if name == "help" {
                    m.help = is_on(value_of(&HELP, attached.unwrap_or("true"), path)?);
                    continue;
                }
                return Err(UsageError::UnknownFlag {
                    command: path.to_string(),
                    flag: format!("--{name}"),
                });
            };
            let text = match (flag.kind, attached) {
                (_, Some(text)) => text,
                (Kind::Bool | Kind::BoolOn, None) => "true",
                (_, None) => match rest.next() {
                    Some(next) => next.as_str(),
                    None => {
                        return Err(UsageError::NeedsArgument {
                            command: path.to_string(),
                            flag: format!("--{name}"),
                        });
                    }
                },
            };
            m.given.push((flag.long, value_of(flag, text, path)?));
            continue;
        }
        match word.strip_prefix('-') {
            Some(shorts) if !shorts.is_empty() => {
                let mut shorts = shorts;
                while let Some(letter) = shorts.chars().next() {
                    let after = shorts.get(letter.len_utf8()..).unwrap_or_default();
                    // pflag: `-m=512m` and `-H=false`, but a lone `=` after a bool is a letter.
                    let equals = after.strip_prefix('=').filter(|v| !v.is_empty());
                    let flag = spec.flags.iter().find(|f| f.short == Some(letter));
                    let kind = match flag {
                        Some(f) => f.kind,
                        None if letter == 'h' => Kind::Bool,
                        None => {
                            return Err(UsageError::UnknownShorthand {
                                command: path.to_string(),
                                letter,
                                word: format!("-{shorts}"),
                            });
                        }
                    };
                    let (text, next) = match (kind, equals) {
                        (_, Some(text)) => (text, ""),
                        (Kind::Bool | Kind::BoolOn, None) => ("true", after),
                        (_, None) if !after.is_empty() => (after, ""),
                        (_, None) => match rest.next() {
                            Some(next) => (next.as_str(), ""),
                            None => {
                                return Err(UsageError::NeedsArgument {
                                    command: path.to_string(),
                                    flag: format!("'{letter}' in -{shorts}"),
                                });
                            }
                        },
                    };
                    match flag {
                        Some(flag) => m.given.push((flag.long, value_of(flag, text, path)?)),
                        None => m.help = is_on(value_of(&HELP, text, path)?),
                    }
                    shorts = next;
                }
            }
            _ => {
                m.operands.push(word.clone());
                if spec.stops_at_operand() {
                    m.operands.extend(rest.cloned());
                    break;
                }
            }
        }
    }
    Ok(m)
}

/// The flag every command has but no table lists (cobra adds it to each command itself).
const HELP: Flag = Flag {
    short: None,
    long: "help",
    kind: Kind::Bool,
    help: "Print usage",
};

fn is_on(value: Value) -> bool {
    value == Value::Bool(true)
}

/// pflag's name for a flag in messages: `-m, --memory`, or `--name` when it has no short form.
pub fn label(flag: &Flag) -> String {
    match flag.short {
        Some(c) => format!("-{c}, --{}", flag.long),
        None => format!("--{}", flag.long),
    }
}

fn value_of(flag: &Flag, text: &str, path: &str) -> Result<Value, UsageError> {
    let value = match flag.kind {
        Kind::Bool | Kind::BoolOn => go_bool(text).map(Value::Bool),
        Kind::Text | Kind::List => Ok(Value::Text(text.to_string())),
        Kind::Int => go_int(text).map(Value::Int),
        Kind::Bytes => ram_in_bytes(text).map(Value::Bytes),
    };
    value.map_err(|reason| UsageError::InvalidValue {
        command: path.to_string(),
        flag: label(flag),
        value: text.to_string(),
        reason,
    })
}

/// Go's `strconv.ParseBool`, which Docker's bool flags use for `--flag=value`.
fn go_bool(text: &str) -> Result<bool, String> {
    match text {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(format!("strconv.ParseBool: parsing {text:?}: invalid syntax")),
    }
}

/// Go's `strconv.ParseInt` wording for Docker's int flags.
fn go_int(text: &str) -> Result<i64, String> {
    text.parse().map_err(|e: std::num::ParseIntError| {
        let why = match e.kind() {
            std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => "value out of range",
            _ => "invalid syntax",
        };
        format!("strconv.ParseInt: parsing {text:?}: {why}")
    })
}

/// go-units `RAMInBytes`: `512m`, `1g`, `1024` (binary units; `b`, `k`, `m`, `g`, `t`, `p`, with
/// an optional trailing `b`).
fn ram_in_bytes(text: &str) -> Result<u64, String> {
    let lower = text.trim().to_ascii_lowercase();
    let split = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(split);
    let invalid = || format!("invalid size: '{text}'");
    let multiplier: u64 = match unit.strip_suffix('b').unwrap_or(unit) {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        "p" => 1 << 50,
        _ => return Err(invalid()),
    };
    Decimal::parse(number)
        .ok_or_else(invalid)?
        .times(multiplier)
        .ok_or_else(invalid)
}

#[cfg(test)]
mod tests;
