//! The guided lesson: what images, layers and containers are, taught one step at a time.
//!
//! Each [`Step`] explains one idea, offers commands to run, and sets a task. Whether the task is
//! done is never taken on trust: [`Step::is_done`] reads the simulator (and, where the task is
//! to look at something, the commands run so far), so the lab can tick it off by itself and the
//! learner can reach it by any route, not only by pressing the suggested buttons.

use layerlab_core::digest::Digest;
use layerlab_core::engine::{ContainerRecord, Simulator};
use layerlab_core::layer::EntryKind;
use layerlab_core::reference::Reference;
use layerlab_core::store::ImageRecord;

/// One lesson: a titled sequence of steps.
#[derive(Debug)]
pub struct Lesson {
    /// Short name for element ids and saved progress.
    pub slug: &'static str,
    pub title: &'static str,
    pub steps: &'static [Step],
}

/// A task check: the lab as it is now, and every command the learner ran, oldest first.
pub type Check = fn(&Simulator, &[String]) -> bool;

/// One step of a lesson.
#[derive(Debug)]
pub struct Step {
    /// Short name, unique within the lesson, for element ids and tests.
    pub slug: &'static str,
    pub title: &'static str,
    /// A few sentences on the idea this step is about.
    pub explanation: &'static str,
    /// Lines to run, in order; each gets its own button.
    pub commands: &'static [&'static str],
    /// What the learner should make happen; [`Step::is_done`] checks it.
    pub task: &'static str,
    /// Shown only when asked for.
    pub hint: &'static str,
    /// Whether the Dockerfile editor belongs in this step.
    pub editor: bool,
    check: Check,
}

impl Step {
    /// Whether the task holds in this lab, given the commands run so far.
    pub fn is_done(&self, sim: &Simulator, history: &[String]) -> bool {
        (self.check)(sim, history)
    }
}

/// The image tag the Dockerfile step asks for, and the editor's default name.
pub const APP_TAG: &str = "app";

/// Every lesson, in the order they are offered.
pub static LESSONS: &[Lesson] = &[Lesson {
    slug: "images",
    title: "Images, layers and containers",
    steps: &[
        Step {
            slug: "pull",
            title: "Run an image, pull another, read its history",
            explanation: "An image is what a container starts from. If the engine does not have the \
                image yet, `docker run` fetches it from a registry first, one layer at a time, and \
                only then starts the container. `docker pull` fetches without starting anything. \
                `docker history` lists the instructions that made an image, newest at the top, \
                with the bytes each one added.",
            commands: &[
                "docker run nginx:1.15.8",
                "docker image pull nginx",
                "docker image history nginx",
            ],
            task: "Get both nginx:1.15.8 and nginx:latest onto the lab's disk, then read the \
                history of one of them.",
            hint: "`docker image pull nginx` names no tag, so Docker takes `latest`. Rows marked \
                <missing> were built on another machine: only the top one is an image you have \
                locally.",
            editor: false,
            check: pulled_two_nginx_and_read_history,
        },
        Step {
            slug: "dockerfile",
            title: "Layers from a Dockerfile",
            explanation: "A Dockerfile is a recipe, read top to bottom. FROM picks the image to \
                start on and brings its layers along. COPY and RUN change files, so each of them \
                leaves one new read-only layer holding only what it changed. CMD changes nothing \
                on disk: it only sets what a container runs, so it shows up in the history with \
                0B and adds no layer.",
            commands: &["docker build -t app .", "docker history app", "docker images"],
            task: "Build an image from a Dockerfile and give it a name. Its stack must have \
                layers of its own on top of the base image's.",
            hint: "Press Build in the editor, or run `docker build -t app .`. In `docker history \
                app` the COPY and RUN rows have a size, while CMD shows 0B: two new layers for \
                four instructions.",
            editor: true,
            check: built_an_image_with_own_layers,
        },
        Step {
            slug: "container-layer",
            title: "The container layer",
            explanation: "A container is its image's read-only layers plus one thin writable layer \
                of its own on top. Everything the container writes lands in that top layer, and \
                it is thrown away when the container is removed. `docker ps -s` shows both \
                figures: SIZE is the writable layer alone; the \"virtual\" figure adds the image \
                underneath.",
            commands: &[
                "docker run -d --name web1 nginx:1.15.8",
                "docker run -d --name web2 nginx:1.15.8",
                "docker exec web1 dd if=/dev/zero of=/data.bin bs=1M count=1",
                "docker ps -s",
            ],
            task: "Start two containers from the same image and make one of them at least 1 MB \
                bigger than the other.",
            hint: "Write a file of one megabyte in one container only, with `dd`. Then compare \
                their SIZE in `docker ps -s`: the virtual sizes differ by the same amount, because \
                the image below is the same.",
            editor: false,
            check: two_containers_one_bigger_by_a_megabyte,
        },
        Step {
            slug: "copy-on-write",
            title: "Copy-on-write",
            explanation: "Image layers are never changed. When a container first modifies a file \
                that came from the image, overlay2 (Docker's usual storage driver) copies the \
                whole file up into the writable layer and changes the copy, even to add one \
                byte. Deleting a file from \
                the image cannot remove it from its layer either: the container layer records a \
                whiteout, a marker that hides the file from then on.",
            commands: &[
                "docker run -d --name cow nginx:1.15.8",
                "docker exec cow sh -c 'echo \"# edited\" >> /etc/nginx/nginx.conf'",
                "docker exec cow rm /usr/share/nginx/html/index.html",
                "docker diff cow",
                "docker ps -s",
            ],
            task: "In one container, change a file that came from the image, and delete another \
                file that came from the image.",
            hint: "`docker diff` marks the changed file C and the deleted one D. The container's \
                SIZE grew by the whole file that was copied up, not just by the line you added.",
            editor: false,
            check: copied_up_and_whited_out,
        },
        Step {
            slug: "sharing",
            title: "Sharing layers",
            explanation: "Because containers never write to image layers, any number of them can \
                stand on the same image and the image is stored once. Images share too: a layer \
                is known by its chain ID, computed from its own content and every layer below \
                it, so two images built on the same base hold the very same bottom layers, and \
                pulling the second one reports them as already there.",
            commands: &[
                "docker pull nginx:1.15.8",
                "docker pull debian:stretch-slim",
                "docker run -d --name one nginx:1.15.8",
                "docker run -d --name two nginx:1.15.8",
                "docker images",
                "docker system df",
            ],
            task: "Have two pulled images from different repositories share a layer, and have two \
                containers standing on one image.",
            hint: "nginx:1.15.8 is built on debian:stretch-slim. Pull one after the other and \
                watch for \"Already exists\". `docker system df -v` has a SHARED SIZE column for the \
                bytes an image has in common with others.",
            editor: false,
            check: images_share_a_layer_and_containers_share_an_image,
        },
        Step {
            slug: "disk",
            title: "Sizes on disk and what the formula leaves out",
            explanation: "Adding up the virtual sizes of containers counts each shared image many \
                times over. For containers of one image, the disk holds the sum of their SIZEs \
                plus the image once: Σ size + (virtual − size) of one of them. Even that is not \
                everything: json-file logs, volumes and bind mounts, each container's small \
                config files, swapped-out memory and checkpoints all take space the formula \
                never sees. `docker system df -v` lists some of them.",
            commands: &[
                "docker volume create data",
                "docker run --name filler -v data:/data busybox dd if=/dev/zero of=/data/blob bs=1M count=5",
                "docker run --name talker busybox echo hello from the logs",
                "docker ps -a -s",
                "docker system df -v",
            ],
            task: "Put data on the disk that the formula does not count (a volume holding data, \
                or a container's logs), then look at `docker system df -v`.",
            hint: "The volume's 5 MB shows under Local Volumes, yet `docker ps -a -s` shows the \
                filler container at 0B: the data never touched its writable layer. The Disk \
                panel beside the terminal lays out the whole ledger.",
            editor: false,
            check: left_out_data_and_read_system_df,
        },
    ],
}];

/// The words of a command line after an optional leading `docker`: `docker image pull x` gives
/// `["image", "pull", "x"]`.
fn docker_words(line: &str) -> Vec<&str> {
    let mut words: Vec<&str> = line.split_whitespace().collect();
    if words.first() == Some(&"docker") {
        words.remove(0);
    }
    words
}

/// Whether some command the learner ran is `docker <prefix>...`, in any of the spellings given.
fn ran(history: &[String], spellings: &[&[&str]]) -> bool {
    history.iter().any(|line| {
        let words = docker_words(line);
        spellings.iter().any(|s| words.starts_with(s))
    })
}

fn tagged(sim: &Simulator, name: &str) -> bool {
    sim.store().resolve_tag(name).is_some()
}

/// Whether `word` names an image in the lab now, by name (`nginx` meaning `nginx:latest`) or by
/// an ID prefix, as `docker history` would resolve it.
fn names_an_image(sim: &Simulator, word: &str) -> bool {
    let by_name = Reference::parse(word).is_ok_and(|r| tagged(sim, &r.familiar()));
    by_name || sim.store().find_by_id_prefix(word).is_some()
}

/// The image a chain of parents starts from: a pulled or loaded image has no parent, a built or
/// committed one points at the image it was made on. Bounded by the number of images, so a
/// malformed chain cannot loop.
fn base_of<'a>(sim: &'a Simulator, image: &'a ImageRecord) -> &'a ImageRecord {
    let store = sim.store();
    let mut at = image;
    for _ in 0..store.images().count() {
        match at.parent.as_ref().and_then(|p| store.image(p)) {
            Some(parent) => at = parent,
            None => break,
        }
    }
    at
}

fn pulled_two_nginx_and_read_history(sim: &Simulator, history: &[String]) -> bool {
    // The image a history command named must be there: `docker history nosuch` reads nothing.
    let read_history = history.iter().any(|line| {
        let words = docker_words(line);
        let asked = words.starts_with(&["history"]) || words.starts_with(&["image", "history"]);
        asked && words.last().is_some_and(|w| names_an_image(sim, w))
    });
    tagged(sim, "nginx:1.15.8") && tagged(sim, "nginx:latest") && read_history
}

fn built_an_image_with_own_layers(sim: &Simulator, history: &[String]) -> bool {
    let store = sim.store();
    let built = store.images().any(|image| {
        let base = base_of(sim, image);
        !store.tags_of(&image.id).is_empty() && base.id != image.id && image.layers.len() > base.layers.len()
    });
    built && ran(history, &[&["build"], &["image", "build"], &["buildx", "build"]])
}

/// Containers grouped by the image they stand on.
fn by_image(sim: &Simulator) -> Vec<(Digest, Vec<&ContainerRecord>)> {
    let mut groups: Vec<(Digest, Vec<&ContainerRecord>)> = Vec::new();
    for c in sim.containers() {
        match groups.iter_mut().find(|(image, _)| *image == c.image) {
            Some((_, list)) => list.push(c),
            None => groups.push((c.image, vec![c])),
        }
    }
    groups
}

/// One megabyte as `dd bs=1M count=1` writes it would also do, but the task says "1 MB" and
/// Docker's sizes are decimal, so a decimal megabyte is enough.
const MEGABYTE: u64 = 1_000_000;

fn two_containers_one_bigger_by_a_megabyte(sim: &Simulator, _history: &[String]) -> bool {
    by_image(sim).iter().any(|(_, containers)| {
        let sizes = containers.iter().map(|c| c.upper.size());
        match (sizes.clone().min(), sizes.max()) {
            (Some(small), Some(big)) => containers.len() >= 2 && big - small >= MEGABYTE,
            _ => false,
        }
    })
}

/// A container holds a copied-up file (a file in its writable layer that one of its image's
/// layers has as a file too) and a whiteout.
fn copied_up_and_whited_out(sim: &Simulator, _history: &[String]) -> bool {
    let store = sim.store();
    sim.containers().iter().any(|c| {
        let layers = store.image_layers(&c.image);
        let in_image = |path: &str| {
            layers.iter().any(|l| {
                l.changeset
                    .get(path)
                    .is_some_and(|e| matches!(e.kind, EntryKind::File(_)))
            })
        };
        let copied_up = c
            .upper
            .iter()
            .any(|e| matches!(e.kind, EntryKind::File(_)) && in_image(&e.path));
        let whiteout = c
            .upper
            .iter()
            .any(|e| matches!(e.kind, EntryKind::Whiteout) && in_image(&e.path));
        copied_up && whiteout
    })
}

/// The repository part of a `repository:tag` name.
fn repository(name: &str) -> &str {
    // The tag follows the last colon, unless that colon belongs to a registry host's port.
    match name.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => repo,
        _ => name,
    }
}

fn images_share_a_layer_and_containers_share_an_image(sim: &Simulator, _history: &[String]) -> bool {
    let store = sim.store();
    // Pulled images only: a built image trivially shares its base's layers.
    let pulled: Vec<(&ImageRecord, Vec<String>)> = store
        .images()
        .filter(|i| i.parent.is_none())
        .map(|i| (i, store.tags_of(&i.id)))
        .collect();
    let images_share = pulled.iter().enumerate().any(|(n, (a, a_tags))| {
        pulled.iter().skip(n + 1).any(|(b, b_tags)| {
            let other_repo = a_tags
                .iter()
                .any(|x| b_tags.iter().any(|y| repository(x) != repository(y)));
            other_repo && a.layers.iter().any(|l| b.layers.contains(l))
        })
    });
    let containers_share = by_image(sim).iter().any(|(_, list)| list.len() >= 2);
    images_share && containers_share
}

fn left_out_data_and_read_system_df(sim: &Simulator, history: &[String]) -> bool {
    let ledger = sim.ledger();
    let beyond_formula = ledger.logs() + ledger.volumes + ledger.checkpoints() > 0;
    beyond_formula
        && ran(
            history,
            &[&["system", "df", "-v"], &["system", "df", "--verbose"]],
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lab and the commands it ran, as the page keeps them.
    #[derive(Default)]
    struct Run {
        sim: Simulator,
        history: Vec<String>,
    }

    impl Run {
        fn line(&mut self, line: &str) -> &mut Self {
            let out = self.sim.run_line(line);
            assert_eq!(out.exit_code, 0, "`{line}` failed: {}{}", out.stdout, out.stderr);
            self.history.push(line.to_owned());
            self
        }

        fn done(&self, step: &Step) -> bool {
            step.is_done(&self.sim, &self.history)
        }
    }

    fn step(slug: &str) -> &'static Step {
        LESSONS
            .iter()
            .flat_map(|l| l.steps.iter())
            .find(|s| s.slug == slug)
            .unwrap_or_else(|| panic!("no step {slug}"))
    }

    /// Runs every step's suggested commands in order and checks each task flips from not done to
    /// done exactly when its own commands have run.
    #[test]
    fn each_task_is_done_after_its_commands_and_not_before() {
        let mut run = Run::default();
        for lesson in LESSONS {
            for s in lesson.steps {
                assert!(!run.done(s), "{} is done before its commands ran", s.slug);
                for line in s.commands {
                    run.line(line);
                }
                assert!(run.done(s), "{} is not done after its commands ran", s.slug);
            }
        }
    }

    #[test]
    fn every_check_fails_on_an_empty_lab() {
        let run = Run::default();
        for s in LESSONS.iter().flat_map(|l| l.steps.iter()) {
            assert!(!run.done(s), "{} is done in an empty lab", s.slug);
        }
    }

    #[test]
    fn pulling_without_reading_history_is_not_enough() {
        let mut run = Run::default();
        run.line("docker pull nginx:1.15.8").line("docker pull nginx");
        assert!(!run.done(step("pull")));
        let _ = run.sim.run_line("docker history nosuch");
        run.history.push("docker history nosuch".into());
        assert!(
            !run.done(step("pull")),
            "the history of an image that is not there"
        );
        let id = run.sim.store().resolve_tag("nginx:1.15.8").map(|d| d.short());
        run.line(&format!("docker image history {}", id.unwrap_or_default()));
        assert!(run.done(step("pull")), "an image named by its ID");
    }

    #[test]
    fn a_pulled_image_with_a_new_tag_is_not_a_build() {
        let mut run = Run::default();
        run.line("docker pull ubuntu:15.04")
            .line("docker tag ubuntu:15.04 app");
        let s = step("dockerfile");
        assert!(!run.done(s), "a new name for a pulled image is not a build");
        // A Dockerfile with only FROM builds nothing new: `docker build` ran, yet the tagged image
        // has no layers of its own.
        let from_only = [("Dockerfile".to_owned(), b"FROM ubuntu:15.04\n".to_vec())];
        run.sim.set_build_context("/from-only", from_only.into());
        run.line("docker build -t base-only /from-only");
        assert!(
            !run.done(s),
            "an image with only its base's layers counts as built"
        );
        run.line("docker build -t app2 .");
        assert!(run.done(s));
    }

    #[test]
    fn two_containers_of_different_images_do_not_count() {
        let mut run = Run::default();
        run.line("docker run -d --name big nginx:1.15.8")
            .line("docker run -d --name other busybox sleep 1000")
            .line("docker exec big dd if=/dev/zero of=/big bs=1M count=2");
        assert!(!run.done(step("container-layer")));
        run.line("docker run -d --name twin nginx:1.15.8");
        assert!(run.done(step("container-layer")));
    }

    #[test]
    fn a_small_difference_is_not_a_megabyte() {
        let mut run = Run::default();
        run.line("docker run -d --name big nginx:1.15.8")
            .line("docker run -d --name small nginx:1.15.8")
            .line("docker exec big dd if=/dev/zero of=/small bs=1k count=900");
        assert!(!run.done(step("container-layer")));
    }

    #[test]
    fn new_files_and_deletions_of_new_files_are_not_copy_on_write() {
        let mut run = Run::default();
        run.line("docker run -d --name cow nginx:1.15.8")
            .line("docker exec cow sh -c 'echo new > /new.txt'")
            .line("docker exec cow rm /usr/share/nginx/html/index.html");
        let s = step("copy-on-write");
        assert!(!run.done(s), "a new file is not a copy-up");
        run.line("docker exec cow sh -c 'echo more >> /etc/nginx/mime.types'");
        assert!(run.done(s));
    }

    #[test]
    fn a_change_without_a_delete_is_half_the_task() {
        let mut run = Run::default();
        run.line("docker run -d --name cow nginx:1.15.8")
            .line("docker exec cow sh -c 'echo x >> /etc/nginx/nginx.conf'");
        assert!(!run.done(step("copy-on-write")));
    }

    #[test]
    fn a_built_image_sharing_its_base_is_not_the_sharing_task() {
        let mut run = Run::default();
        run.line("docker build -t app .")
            .line("docker run -d --name one app")
            .line("docker run -d --name two app");
        assert!(
            !run.done(step("sharing")),
            "app shares ubuntu's layers only by being built on it"
        );
        run.line("docker pull nginx:1.15.8")
            .line("docker pull nginx:latest");
        assert!(
            !run.done(step("sharing")),
            "two tags of one repository do not count"
        );
        run.line("docker pull debian:stretch-slim");
        assert!(run.done(step("sharing")));
    }

    #[test]
    fn sharing_images_without_two_containers_is_not_enough() {
        let mut run = Run::default();
        run.line("docker pull nginx:1.15.8")
            .line("docker pull debian:stretch-slim")
            .line("docker run -d --name one nginx:1.15.8");
        assert!(!run.done(step("sharing")));
        run.line("docker run -d --name two nginx:1.15.8");
        assert!(run.done(step("sharing")));
    }

    #[test]
    fn config_files_alone_do_not_finish_the_disk_task() {
        let mut run = Run::default();
        run.line("docker run -d --name web nginx:1.15.8")
            .line("docker system df -v");
        assert!(!run.done(step("disk")), "config files are always there");
        run.line("docker run --name talker busybox echo hi");
        assert!(run.done(step("disk")));
    }

    #[test]
    fn logs_without_looking_at_system_df_are_not_enough() {
        let mut run = Run::default();
        run.line("docker run --name talker busybox echo hi")
            .line("docker system df");
        assert!(!run.done(step("disk")));
        run.line("docker system df --verbose");
        assert!(run.done(step("disk")));
    }

    #[test]
    fn only_the_dockerfile_step_holds_the_editor_and_slugs_are_unique() {
        let steps: Vec<&Step> = LESSONS.iter().flat_map(|l| l.steps.iter()).collect();
        let editors: Vec<&str> = steps.iter().filter(|s| s.editor).map(|s| s.slug).collect();
        assert_eq!(editors, vec!["dockerfile"]);
        for (n, s) in steps.iter().enumerate() {
            assert!(steps.iter().skip(n + 1).all(|t| t.slug != s.slug), "{}", s.slug);
            assert!(!s.commands.is_empty(), "{} offers commands", s.slug);
        }
    }

    #[test]
    fn repository_drops_the_tag_but_not_a_port() {
        assert_eq!(repository("nginx:1.15.8"), "nginx");
        assert_eq!(repository("localhost:5000/app"), "localhost:5000/app");
        assert_eq!(repository("localhost:5000/app:v1"), "localhost:5000/app");
        assert_eq!(repository(""), "");
    }

    #[test]
    fn docker_words_skip_the_program_name() {
        assert_eq!(docker_words("docker  image pull x"), vec!["image", "pull", "x"]);
        assert_eq!(docker_words("history x"), vec!["history", "x"]);
        assert!(docker_words("   ").is_empty());
    }
}
