//! Tab completion, the way a shell completes: one candidate is filled in, several are filled in as
//! far as they agree, and the rest is for the learner to pick from a list.
//!
//! Command names and which flags take a value come from core's command table. Arguments are completed as Docker's own shell
//! completion (`docker completion bash`) does: the image of `run`, `create` and `history` from the
//! local images' `repo:tag` names, containers by name for the commands that take one (running ones
//! for `exec` and `stop`, stopped ones for `start`), volumes by name. IDs are offered only when the
//! word typed so far looks like one (hex digits), which is what Docker calls "non-intrusive": the
//! list stays short and readable, and a learner who copied the start of an ID still gets the rest.

use layerlab_core::cli::args::command_names;
use layerlab_core::cli::dispatch::LAB_COMMANDS;
use layerlab_core::engine::Simulator;

use crate::state::BUILTINS;

/// What pressing Tab does to a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completion {
    /// Nothing to complete here.
    None,
    /// The new line.
    Line(String),
    /// Several candidates fit and the line cannot go further by itself: show them.
    Choices(Vec<String>),
}

/// One container as completion sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerName {
    pub name: String,
    /// The 12-digit ID `docker ps` shows.
    pub short_id: String,
    pub running: bool,
}

/// The names in the simulator that arguments can be completed from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    /// `repo:tag`, sorted.
    pub images: Vec<String>,
    /// The 12-digit image IDs.
    pub image_ids: Vec<String>,
    pub containers: Vec<ContainerName>,
    pub volumes: Vec<String>,
}

impl Names {
    /// Reads the names from the simulator's current state.
    pub fn of(sim: &Simulator) -> Names {
        let store = sim.store();
        let mut images: Vec<String> = store.tags().map(|(tag, _)| tag.to_owned()).collect();
        layerlab_core::sort::sort(&mut images);
        Names {
            images,
            image_ids: store.images().map(|i| i.id.short()).collect(),
            containers: sim
                .containers()
                .iter()
                .map(|c| ContainerName {
                    name: c.name.clone(),
                    short_id: c.id.short(),
                    running: c.state.is_running(),
                })
                .collect(),
            volumes: sim.volumes().map(|v| v.name.clone()).collect(),
        }
    }
}

/// What kind of argument a command takes at a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arg {
    Image,
    Container(Which),
    ImageOrContainer,
    Volume,
}

/// Which containers fit an argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    All,
    Running,
    Stopped,
}

/// The argument a command takes at positional index `index` (0 is the first after the command).
fn argument(command: &str, index: usize) -> Option<Arg> {
    let first = index == 0;
    match command {
        "run" | "create" | "history" | "tag" if first => Some(Arg::Image),
        "rmi" | "image rm" | "image inspect" => Some(Arg::Image),
        "image history" | "image tag" if first => Some(Arg::Image),
        "exec" | "container exec" if first => Some(Arg::Container(Which::Running)),
        "stop" | "container stop" => Some(Arg::Container(Which::Running)),
        "start" | "container start" => Some(Arg::Container(Which::Stopped)),
        "rm" | "container rm" | "container inspect" => Some(Arg::Container(Which::All)),
        "logs" | "diff" | "commit" | "container logs" | "container diff" | "container commit" if first => {
            Some(Arg::Container(Which::All))
        }
        "container run" | "container create" if first => Some(Arg::Image),
        "inspect" => Some(Arg::ImageOrContainer),
        "volume rm" | "volume inspect" => Some(Arg::Volume),
        _ => None,
    }
}

/// Completes the last word of `line`: a command name, or an image, container or volume name from
/// `names` where the command takes one.
pub fn complete(line: &str, names: &Names) -> Completion {
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
    let candidates: Vec<String> = match done {
        [] => ["docker", "layerlab"]
            .into_iter()
            .chain(BUILTINS)
            .map(str::to_owned)
            .collect(),
        ["docker"] => command_names()
            .into_iter()
            .map(|(name, _)| name.to_owned())
            .collect(),
        ["docker", group] if !partial.starts_with('-') => command_names()
            .into_iter()
            .find(|(name, _)| name == group)
            .filter(|(_, subs)| !subs.is_empty())
            .map(|(_, subs)| subs.into_iter().map(str::to_owned).collect())
            .unwrap_or_else(|| arguments(group, &[], partial, names)),
        ["docker", group, rest @ ..] => {
            let is_group = command_names()
                .iter()
                .any(|(name, subs)| name == group && !subs.is_empty());
            match rest.split_first() {
                Some((sub, args)) if is_group => arguments(&format!("{group} {sub}"), args, partial, names),
                _ => arguments(group, rest, partial, names),
            }
        }
        ["layerlab"] => LAB_COMMANDS.iter().map(|s| (*s).to_owned()).collect(),
        _ => Vec::new(),
    };
    let fits: Vec<String> = candidates
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

/// The candidates for the word after `args` of `command` (`run`, `image rm`, ...).
fn arguments(command: &str, args: &[&str], partial: &str, names: &Names) -> Vec<String> {
    if partial.starts_with('-') {
        return Vec::new();
    }
    let mut positional = 0;
    let mut takes_value = false;
    for word in args {
        if takes_value {
            takes_value = false;
        } else if word.starts_with('-') {
            // `--name=web` carries its value; `--name web` takes the next word.
            takes_value = layerlab_core::cli::args::takes_value(command, word);
        } else {
            positional += 1;
        }
    }
    if takes_value {
        return Vec::new();
    }
    let Some(arg) = argument(command, positional) else {
        return Vec::new();
    };
    // Docker's "non-intrusive" IDs: only when the word typed so far could start one.
    let ids = !partial.is_empty()
        && partial
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    let images = |out: &mut Vec<String>| {
        out.extend(names.images.iter().cloned());
        if ids {
            out.extend(names.image_ids.iter().cloned());
        }
    };
    let containers = |out: &mut Vec<String>, which: Which| {
        let fit = names.containers.iter().filter(|c| match which {
            Which::All => true,
            Which::Running => c.running,
            Which::Stopped => !c.running,
        });
        for c in fit {
            out.push(c.name.clone());
            if ids {
                out.push(c.short_id.clone());
            }
        }
    };
    let mut out = Vec::new();
    match arg {
        Arg::Image => images(&mut out),
        Arg::Container(which) => containers(&mut out, which),
        Arg::ImageOrContainer => {
            containers(&mut out, Which::All);
            images(&mut out);
        }
        Arg::Volume => out.extend(names.volumes.iter().cloned()),
    }
    layerlab_core::sort::sort(&mut out);
    out.dedup();
    out
}

fn common_prefix(words: &[String]) -> &str {
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
    // Names may one day hold non-ASCII text: walk back to a character boundary rather than cut one.
    while !first.is_char_boundary(len) {
        len -= 1;
    }
    first.get(..len).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> Names {
        Names::default()
    }

    fn choices(list: &[&str]) -> Completion {
        Completion::Choices(list.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn one_candidate_is_filled_in_with_a_space() {
        assert_eq!(complete("doc", &none()), Completion::Line("docker ".into()));
        assert_eq!(
            complete("docker ima", &none()),
            Completion::Line("docker image".into())
        );
        assert_eq!(
            complete("docker system d", &none()),
            Completion::Line("docker system df ".into())
        );
        assert_eq!(complete("docker system ", &none()), choices(&["df", "prune"]));
    }

    #[test]
    fn several_candidates_are_listed() {
        assert_eq!(
            complete("docker s", &none()),
            choices(&["start", "stop", "system"])
        );
        assert_eq!(complete("docker image", &none()), choices(&["image", "images"]));
    }

    #[test]
    fn unknown_commands_and_options_complete_nothing() {
        assert_eq!(complete("docker run ng", &none()), Completion::None);
        assert_eq!(complete("docker frob", &none()), Completion::None);
        assert_eq!(complete("docker frob x", &none()), Completion::None);
        assert_eq!(complete("docker run --rm", &none()), Completion::None);
    }

    /// A simulator with two images, a running and a stopped container and a volume.
    fn lab() -> (Simulator, Names) {
        let mut sim = Simulator::new();
        for line in [
            "docker pull busybox",
            "docker run -d --name web nginx:1.15.8",
            "docker run --name once busybox true",
            "docker volume create data",
        ] {
            let out = sim.run_line(line);
            assert_eq!(out.exit_code, 0, "{line}: {}", out.stderr);
        }
        let names = Names::of(&sim);
        (sim, names)
    }

    #[test]
    fn names_are_read_from_the_simulator() {
        let (sim, names) = lab();
        assert_eq!(names.images, vec!["busybox:latest", "nginx:1.15.8"]);
        assert_eq!(names.containers.len(), 2);
        let web = names.containers.iter().find(|c| c.name == "web");
        assert!(web.is_some_and(|c| c.running), "{:?}", names.containers);
        let once = names.containers.iter().find(|c| c.name == "once");
        assert!(once.is_some_and(|c| !c.running), "{:?}", names.containers);
        assert_eq!(names.volumes, vec!["data"]);
        let first = sim.containers().first().map(|c| c.id.short());
        assert_eq!(names.containers.first().map(|c| c.short_id.clone()), first);
    }

    #[test]
    fn image_arguments_complete_from_the_local_images() {
        let (_, names) = lab();
        assert_eq!(
            complete("docker run ng", &names),
            Completion::Line("docker run nginx:1.15.8 ".into())
        );
        assert_eq!(
            complete("docker history ", &names),
            choices(&["busybox:latest", "nginx:1.15.8"])
        );
        assert_eq!(
            complete("docker image history b", &names),
            Completion::Line("docker image history busybox:latest ".into())
        );
        // Options and their values are stepped over to find the image's position.
        assert_eq!(
            complete("docker run -d --name x -e A=1 --rm -it bu", &names),
            Completion::Line("docker run -d --name x -e A=1 --rm -it busybox:latest ".into())
        );
        assert_eq!(
            complete("docker run --name=x bu", &names),
            Completion::Line("docker run --name=x busybox:latest ".into())
        );
        // The container's name and its command are not images.
        assert_eq!(complete("docker run --name b", &names), Completion::None);
        assert_eq!(complete("docker run busybox:latest b", &names), Completion::None);
        // Every argument of rmi is an image.
        assert_eq!(
            complete("docker rmi busybox:latest n", &names),
            Completion::Line("docker rmi busybox:latest nginx:1.15.8 ".into())
        );
    }

    #[test]
    fn container_arguments_follow_the_containers_state() {
        let (_, names) = lab();
        assert_eq!(complete("docker rm ", &names), choices(&["once", "web"]));
        assert_eq!(
            complete("docker exec ", &names),
            Completion::Line("docker exec web ".into()),
            "only running containers can exec"
        );
        assert_eq!(
            complete("docker exec -it ", &names),
            Completion::Line("docker exec -it web ".into())
        );
        assert_eq!(
            complete("docker exec web ", &names),
            Completion::None,
            "the command"
        );
        assert_eq!(
            complete("docker start ", &names),
            Completion::Line("docker start once ".into())
        );
        assert_eq!(
            complete("docker stop -t 3 ", &names),
            Completion::Line("docker stop -t 3 web ".into())
        );
        assert_eq!(
            complete("docker container logs o", &names),
            Completion::Line("docker container logs once ".into())
        );
        assert_eq!(
            complete("docker volume rm ", &names),
            Completion::Line("docker volume rm data ".into())
        );
    }

    #[test]
    fn ids_are_offered_only_for_a_word_that_looks_like_one() {
        let (_, names) = lab();
        let web = names
            .containers
            .iter()
            .find(|c| c.name == "web")
            .map(|c| c.short_id.clone())
            .unwrap_or_default();
        let start = web.get(..3).unwrap_or_default();
        match complete(&format!("docker exec {start}"), &names) {
            Completion::Line(line) => assert_eq!(line, format!("docker exec {web} ")),
            Completion::Choices(list) => assert!(list.contains(&web), "{list:?}"),
            Completion::None => panic!("no completion for the ID prefix {start}"),
        }
        assert_eq!(
            complete("docker exec ", &names),
            Completion::Line("docker exec web ".into())
        );
    }

    #[test]
    fn inspect_offers_containers_and_images() {
        let (_, names) = lab();
        assert_eq!(
            complete("docker inspect ", &names),
            choices(&["busybox:latest", "nginx:1.15.8", "once", "web"])
        );
    }

    #[test]
    fn odd_text_never_panics() {
        let (_, names) = lab();
        for line in [
            "",
            " ",
            "docker  ",
            "docker run é",
            "\u{0}",
            "docker rm -",
            "docker image \t",
        ] {
            let _ = complete(line, &names);
        }
        assert_eq!(common_prefix(&["é1".to_owned(), "é2".to_owned()]), "é");
        assert_eq!(common_prefix(&["éa".to_owned(), "èa".to_owned()]), "");
    }
}
