//! Tab completion of command names, the way a shell completes: one candidate is filled in, several
//! are filled in as far as they agree, and the rest is for the learner to pick from a list.

use crate::state::BUILTINS;

/// The commands the simulator's `docker` understands, with their subcommands for the groups.
/// Mirrors the grammar in `layerlab_core::cli::dispatch`; a node test runs every name through the
/// simulator so the two cannot drift apart unnoticed.
pub const DOCKER_COMMANDS: [(&str, &[&str]); 21] = [
    ("build", &[]),
    ("commit", &[]),
    (
        "container",
        &[
            "commit", "create", "diff", "exec", "inspect", "logs", "ls", "ps", "rm", "run", "start", "stop",
        ],
    ),
    ("create", &[]),
    ("diff", &[]),
    ("exec", &[]),
    ("history", &[]),
    (
        "image",
        &["build", "history", "inspect", "load", "ls", "pull", "rm", "tag"],
    ),
    ("images", &[]),
    ("inspect", &[]),
    ("load", &[]),
    ("logs", &[]),
    ("ps", &[]),
    ("pull", &[]),
    ("rm", &[]),
    ("rmi", &[]),
    ("run", &[]),
    ("start", &[]),
    ("stop", &[]),
    ("system", &["df"]),
    ("volume", &["create", "inspect", "ls", "rm"]),
];

/// The `layerlab` lab commands.
pub const LAB_COMMANDS: [&str; 3] = ["clock", "formula", "ledger"];

/// What pressing Tab does to a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completion {
    /// Nothing to complete here.
    None,
    /// The new line.
    Line(String),
    /// Several commands fit and the line cannot go further by itself: show them.
    Choices(Vec<&'static str>),
}

/// Completes the last word of `line` if it is in a command position.
pub fn complete(line: &str) -> Completion {
    let words: Vec<&str> = line.split_whitespace().collect();
    // After a space the learner is starting a new, empty word.
    let (done, partial) = if line.is_empty() || line.ends_with(char::is_whitespace) {
        (words.as_slice(), "")
    } else {
        match words.split_last() {
            Some((last, done)) => (done, *last),
            None => (words.as_slice(), ""),
        }
    };
    let candidates: Vec<&'static str> = match done {
        [] => ["docker", "layerlab"].into_iter().chain(BUILTINS).collect(),
        ["docker"] => DOCKER_COMMANDS.iter().map(|(name, _)| *name).collect(),
        ["docker", group] => DOCKER_COMMANDS
            .iter()
            .find(|(name, _)| name == group)
            .map(|(_, subs)| subs.to_vec())
            .unwrap_or_default(),
        ["layerlab"] => LAB_COMMANDS.to_vec(),
        _ => Vec::new(),
    };
    let fits: Vec<&'static str> = candidates
        .into_iter()
        .filter(|c| c.starts_with(partial))
        .collect();
    let head = line.strip_suffix(partial).unwrap_or(line);
    match fits.as_slice() {
        [] => Completion::None,
        [one] => Completion::Line(format!("{head}{one} ")),
        several => {
            let common = common_prefix(several);
            if common.len() > partial.len() {
                Completion::Line(format!("{head}{common}"))
            } else {
                Completion::Choices(fits)
            }
        }
    }
}

fn common_prefix<'a>(words: &[&'a str]) -> &'a str {
    let Some((first, rest)) = words.split_first() else {
        return "";
    };
    let mut len = first.len();
    for w in rest {
        len = first
            .bytes()
            .zip(w.bytes())
            .take(len)
            .take_while(|(a, b)| a == b)
            .count();
    }
    // Command names are ASCII, so any byte length is a character boundary; `get` keeps it safe
    // should that ever change.
    first.get(..len).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_candidate_is_filled_in_with_a_space() {
        assert_eq!(complete("doc"), Completion::Line("docker ".into()));
        assert_eq!(complete("docker ima"), Completion::Line("docker image".into()));
        assert_eq!(
            complete("docker system "),
            Completion::Line("docker system df ".into())
        );
    }

    #[test]
    fn several_candidates_are_listed() {
        assert_eq!(
            complete("docker s"),
            Completion::Choices(vec!["start", "stop", "system"])
        );
        assert_eq!(
            complete("docker image"),
            Completion::Choices(vec!["image", "images"])
        );
    }

    #[test]
    fn arguments_are_not_command_names() {
        assert_eq!(complete("docker run ng"), Completion::None);
        assert_eq!(complete("docker frob"), Completion::None);
    }
}
