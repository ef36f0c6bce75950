//! Container names in Docker's `adjective_surname` style, picked from the container ID so that
//! a replay gives the same names.
//!
//! Docker draws from a list of adjectives and of scientists and hackers at random; the lists here
//! are shorter and our own, which is enough for a lab where a handful of containers exist at once.

const ADJECTIVES: [&str; 32] = [
    "agile", "bold", "brave", "bright", "calm", "clever", "cool", "crisp", "eager", "fair", "gentle",
    "happy", "jolly", "keen", "kind", "lucid", "merry", "modest", "nimble", "patient", "proud", "quiet",
    "quick", "serene", "sharp", "steady", "sunny", "swift", "tender", "upbeat", "vivid", "witty",
];

const SURNAMES: [&str; 32] = [
    "babbage", "bartik", "borg", "cerf", "curie", "dijkstra", "easley", "euler", "fermat", "franklin",
    "gauss", "goldberg", "hamilton", "hopper", "johnson", "kare", "knuth", "lamarr", "lovelace", "mayer",
    "meitner", "noether", "pascal", "ritchie", "sammet", "shannon", "thompson", "torvalds", "turing",
    "wilson", "wing", "wozniak",
];

/// A name for the container with this ID, avoiding those `taken` says are in use.
pub(super) fn generate(id: &[u8; 32], taken: impl Fn(&str) -> bool) -> String {
    let pick = |i: usize| id.get(i).copied().unwrap_or(0) as usize;
    let base = format!(
        "{}_{}",
        ADJECTIVES[pick(0) % ADJECTIVES.len()],
        SURNAMES[pick(1) % SURNAMES.len()]
    );
    if !taken(&base) {
        return base;
    }
    // Docker appends a digit on a clash; counting up keeps this deterministic and always ends.
    (1..)
        .map(|n| format!("{base}{n}"))
        .find(|n| !taken(n))
        .unwrap_or(base)
}

/// Docker's rule for names a user gives: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`, an optional leading `/`.
pub(super) fn valid(name: &str) -> bool {
    let name = name.strip_prefix('/').unwrap_or(name);
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && name.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_deterministic_and_avoid_clashes() {
        let id = [7u8; 32];
        let first = generate(&id, |_| false);
        assert_eq!(first, generate(&id, |_| false));
        let second = generate(&id, |n| n == first);
        assert_eq!(second, format!("{first}1"));
    }

    #[test]
    fn user_names_follow_dockers_pattern() {
        assert!(valid("web"));
        assert!(valid("/web-1.a_b"));
        assert!(!valid("w"));
        assert!(!valid("-web"));
        assert!(!valid("we b"));
        assert!(!valid(""));
    }
}
