//! Layer paths: root-relative, `/`-separated, no `.`/`..`, no leading or trailing `/`.
//!
//! Public API: [`normalize_path`], [`normalize_path_or_root`], [`parent`], [`file_name`],
//! [`ancestors`], [`is_within`], [`join`], [`PathError`].
//!
//! Every path that comes from outside (a tar header, a shell command, a hardlink target) goes
//! through [`normalize_path`] before it becomes a key anywhere in the model, so the rest of the
//! code can compare paths as plain strings.

/// Why a path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("empty path {path:?}: name a file or directory below the root")]
    Empty { path: String },
    #[error("path {path:?} is outside of the root: `..` climbs above it")]
    Escapes { path: String },
    #[error("path {path:?} contains a NUL byte")]
    NulByte { path: String },
    #[error("path {path:?} is {len} bytes long, more than the limit of {max}")]
    TooLong { path: String, len: usize, max: usize },
}

/// Longest path accepted, in bytes: Linux's PATH_MAX.
pub const MAX_PATH_LEN: usize = 4096;

/// Normalises `path` to the model's form: `"/etc/./nginx//conf/"` becomes `"etc/nginx/conf"`.
///
/// A leading `/` is dropped because layer paths are relative to the image root (a tar member
/// `/etc/passwd` means the image's `/etc/passwd`, never the host's). `..` is resolved
/// lexically; one that climbs above the root is an error, as in moby's "is outside of" check.
/// The root itself (`/`, `.`, `""`) is refused: it is never an entry of a layer.
pub fn normalize_path(path: &str) -> Result<String, PathError> {
    let out = normalize_path_or_root(path)?;
    if out.is_empty() {
        return Err(PathError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(out)
}

/// Like [`normalize_path`] but accepts the root, returned as `""`: for operations such as
/// listing `/` that may name it.
pub fn normalize_path_or_root(path: &str) -> Result<String, PathError> {
    if path.len() > MAX_PATH_LEN {
        return Err(PathError::TooLong {
            path: path.to_owned(),
            len: path.len(),
            max: MAX_PATH_LEN,
        });
    }
    if path.contains('\0') {
        return Err(PathError::NulByte {
            path: path.to_owned(),
        });
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(PathError::Escapes {
                        path: path.to_owned(),
                    });
                }
            }
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

/// The parent of a normalised path; `None` for a top-level name (its parent is the root).
pub fn parent(path: &str) -> Option<&str> {
    path.rfind('/').map(|i| &path[..i])
}

/// The last component of a normalised path.
pub fn file_name(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

/// The proper ancestors of a normalised path, nearest first (`a/b/c` gives `a/b`, `a`),
/// as slices of `path` so walking them allocates nothing.
pub fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    let mut end = path.len();
    std::iter::from_fn(move || {
        let i = path.get(..end)?.rfind('/')?;
        end = i;
        path.get(..i)
    })
}

/// Whether `path` is `dir` itself or lies below it. `dir == ""` (the root) contains everything.
pub fn is_within(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || (path.len() >= dir.len()
            && path.starts_with(dir)
            && (path.len() == dir.len() || path.as_bytes().get(dir.len()) == Some(&b'/')))
}

/// `dir/name`, or `name` when `dir` is the root.
pub fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// The half-open range of keys holding everything strictly below `dir` in byte order:
/// `dir/` up to `dir0` (`'0'` is the byte after `'/'`), so a subtree is one contiguous range of
/// a sorted map or slice.
pub(crate) fn subtree_bounds(dir: &str) -> (String, String) {
    (format!("{dir}/"), format!("{dir}0"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalises_the_usual_spellings() {
        for (input, want) in [
            ("/etc/passwd", "etc/passwd"),
            ("./etc/passwd", "etc/passwd"),
            ("etc//nginx/./conf/", "etc/nginx/conf"),
            ("a/b/../c", "a/c"),
            ("a/..//b", "b"),
        ] {
            assert_eq!(normalize_path(input).as_deref(), Ok(want), "{input:?}");
        }
    }

    #[test]
    fn refuses_escapes_empty_and_nul() {
        for bad in ["../../x", "a/../../x", "..", "/.."] {
            assert!(
                matches!(normalize_path(bad), Err(PathError::Escapes { .. })),
                "{bad:?}"
            );
        }
        for empty in ["", "/", ".", "./", "a/.."] {
            assert!(
                matches!(normalize_path(empty), Err(PathError::Empty { .. })),
                "{empty:?}"
            );
            assert_eq!(normalize_path_or_root(empty).as_deref(), Ok(""));
        }
        assert!(matches!(normalize_path("a\0b"), Err(PathError::NulByte { .. })));
        assert!(matches!(
            normalize_path(&"a/".repeat(3000)),
            Err(PathError::TooLong { .. })
        ));
    }

    #[test]
    fn parent_name_and_ancestors() {
        assert_eq!(parent("a/b/c"), Some("a/b"));
        assert_eq!(parent("a"), None);
        assert_eq!(file_name("a/b/c"), "c");
        assert_eq!(ancestors("a/b/c").collect::<Vec<_>>(), ["a/b", "a"]);
        assert_eq!(ancestors("a").count(), 0);
        assert!(is_within("a/b", "a") && is_within("a", "a") && is_within("x", ""));
        assert!(!is_within("ab", "a") && !is_within("a", "a/b"));
        assert_eq!(join("", "x"), "x");
        assert_eq!(join("a", "x"), "a/x");
    }

    proptest! {
        #[test]
        fn normalising_is_idempotent_and_never_panics(s in "[a./]{0,12}") {
            if let Ok(p) = normalize_path(&s) {
                prop_assert_eq!(normalize_path(&p), Ok(p.clone()));
                prop_assert!(!p.starts_with('/') && !p.ends_with('/') && !p.contains("//"));
                prop_assert!(p.split('/').all(|c| c != "." && c != ".."));
            }
        }

        #[test]
        fn subtree_bounds_select_exactly_the_descendants(dir in "[ab/]{1,5}", other in "[ab0/.-]{1,7}") {
            if let (Ok(dir), Ok(other)) = (normalize_path(&dir), normalize_path(&other)) {
                let (lo, hi) = subtree_bounds(&dir);
                let in_range = other.as_str() >= lo.as_str() && other.as_str() < hi.as_str();
                prop_assert_eq!(in_range, is_within(&other, &dir) && other != dir);
            }
        }
    }
}
