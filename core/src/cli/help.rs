//! `--help` output, rendered from the command table ([`super::grammar`]) in Docker's layout:
//! `Usage:` line, summary, aliases, then the commands of a group or the options of a command.

use std::fmt::Write as _;

use super::grammar::{Body, COMMON, Cmd, Kind, ROOT, Spec};

/// Help for `spec`, which the user reached as `path` (`docker`, `docker image`, `docker ps`).
pub fn help_text(spec: &'static Spec, path: &str) -> String {
    let mut out = format!("Usage:  {path} {}\n\n{}\n", spec.usage, spec.summary);
    match spec.body {
        Body::Leaf { cmd, .. } => {
            let aliases = spellings(cmd);
            if aliases.len() > 1 {
                let _ = write!(out, "\nAliases:\n  {}\n", aliases.join(", "));
            }
            options(&mut out, "Options:", spec);
        }
        Body::Group(children) if std::ptr::eq(spec, &ROOT) => {
            let common: Vec<&Spec> = COMMON
                .iter()
                .filter_map(|name| children.iter().find(|c| c.name == *name))
                .collect();
            let groups: Vec<&Spec> = children
                .iter()
                .filter(|c| matches!(c.body, Body::Group(_)))
                .collect();
            let rest: Vec<&Spec> = children
                .iter()
                .filter(|c| matches!(c.body, Body::Leaf { .. }) && !COMMON.contains(&c.name))
                .collect();
            commands(&mut out, "Common Commands:", &common);
            commands(&mut out, "Management Commands:", &groups);
            commands(&mut out, "Commands:", &rest);
            options(&mut out, "Global Options:", spec);
            let _ = write!(
                out,
                "\nRun '{path} COMMAND --help' for more information on a command.\n"
            );
        }
        Body::Group(children) => {
            let all: Vec<&Spec> = children.iter().collect();
            commands(&mut out, "Commands:", &all);
            let _ = write!(
                out,
                "\nRun '{path} COMMAND --help' for more information on a command.\n"
            );
        }
    }
    out
}

/// Every way to type the command `cmd`: `docker container ls, docker container list, ...,
/// docker ps`, group spellings first as Docker lists them.
fn spellings(cmd: Cmd) -> Vec<String> {
    let Body::Group(top) = ROOT.body else {
        return Vec::new();
    };
    let mut all = Vec::new();
    for group in top {
        if let Body::Group(children) = group.body {
            for child in children.iter().filter(|c| is(c, cmd)) {
                for name in std::iter::once(&child.name).chain(child.aliases) {
                    all.push(format!("docker {} {name}", group.name));
                }
            }
        }
    }
    for command in top.iter().filter(|c| is(c, cmd)) {
        all.push(format!("docker {}", command.name));
    }
    all
}

fn is(spec: &Spec, cmd: Cmd) -> bool {
    matches!(spec.body, Body::Leaf { cmd: c, .. } if c == cmd)
}

/// cobra's command list: names padded to the longest (at least 11), then the summary.
fn commands(out: &mut String, title: &str, list: &[&Spec]) {
    if list.is_empty() {
        return;
    }
    let width = list.iter().map(|c| c.name.len()).max().unwrap_or(0).max(11);
    let _ = write!(out, "\n{title}\n");
    for c in list {
        let _ = writeln!(out, "  {:<width$} {}", c.name, c.summary);
    }
}

/// pflag's option table: `  -a, --all` or `      --format string`, the help text three spaces
/// after the longest.
fn options(out: &mut String, title: &str, spec: &Spec) {
    if spec.flags.is_empty() {
        return;
    }
    let names: Vec<String> = spec
        .flags
        .iter()
        .map(|f| {
            let mut name = match f.short {
                Some(c) => format!("  -{c}, --{}", f.long),
                None => format!("      --{}", f.long),
            };
            if let Some(value) = f.kind.value_name() {
                name.push(' ');
                name.push_str(value);
            }
            name
        })
        .collect();
    let width = names.iter().map(String::len).max().unwrap_or(0);
    let _ = write!(out, "\n{title}\n");
    for (name, f) in names.iter().zip(spec.flags) {
        let default = if f.kind == Kind::BoolOn {
            " (default true)"
        } else {
            ""
        };
        let _ = writeln!(out, "{name:<width$}   {}{default}", f.help);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_specs() -> Vec<(String, &'static Spec)> {
        let mut all = vec![("docker".to_string(), &ROOT)];
        let mut i = 0;
        while let Some((path, spec)) = all.get(i).cloned() {
            if let Body::Group(children) = spec.body {
                for c in children {
                    all.push((format!("{path} {}", c.name), c));
                }
            }
            i += 1;
        }
        all
    }

    #[test]
    fn every_command_has_aligned_help() {
        let specs = all_specs();
        assert!(specs.len() > 40, "the walk reached {} commands", specs.len());
        for (path, spec) in specs {
            let text = help_text(spec, &path);
            assert!(
                text.starts_with(&format!("Usage:  {path} {}\n\n{}\n", spec.usage, spec.summary)),
                "{text}"
            );
            // Every option's help starts in the same column.
            let columns: Vec<usize> = text
                .lines()
                .filter(|l| l.starts_with("  -") || l.starts_with("      --"))
                .filter_map(|l| {
                    let name = l.len() - l.trim_start().len();
                    let gap = name + l[name..].find("   ")?;
                    Some(gap + l[gap..].len() - l[gap..].trim_start().len())
                })
                .collect();
            assert_eq!(columns.len(), spec.flags.len(), "{path}: {text}");
            assert!(columns.windows(2).all(|w| w[0] == w[1]), "{path}:\n{text}");
        }
    }

    #[test]
    fn command_help_reads_like_dockers() {
        let ps = ROOT.child("ps").expect("ps is a command");
        assert_eq!(
            help_text(ps, "docker ps"),
            "Usage:  docker ps [OPTIONS]\n\
             \n\
             List containers\n\
             \n\
             Aliases:\n  docker container ls, docker container list, docker container ps, docker ps\n\
             \n\
             Options:\n\
             \x20 -a, --all             Show all containers, not only running ones\n\
             \x20     --format string   Go template, e.g. 'table {{.ID}}\\t{{.Names}}'\n\
             \x20     --no-trunc        Do not cut IDs and commands short\n\
             \x20 -q, --quiet           Print only container IDs\n\
             \x20 -s, --size            Show each container's size and virtual size\n"
        );
    }
}
