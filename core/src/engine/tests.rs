//! Scenarios on the simulator: what each command leaves in the store, the containers and the
//! ledger, and that a scenario replays to the same bytes.

use proptest::prelude::*;

use super::{Event, Simulator};
use crate::accounting;

fn ok(sim: &mut Simulator, line: &str) -> String {
    let out = sim.run_line(line);
    assert_eq!(out.exit_code, 0, "`{line}` failed: {}", out.stderr);
    out.stdout
}

fn size_rw(sim: &Simulator, name: &str) -> u64 {
    sim.container(name).map_or(0, |c| sim.container_size(c).size_rw)
}

#[test]
fn writes_deletes_and_opaque_directories_are_events_and_cost_what_overlay_costs() {
    let mut sim = Simulator::new();
    ok(&mut sim, "docker run -d --name web nginx:1.15.8");
    let out = sim.run_line("docker exec web sh -c 'rm -r /etc/nginx/conf.d && mkdir /etc/nginx/conf.d && echo x >> /etc/nginx/mime.types'");
    assert_eq!(out.exit_code, 0, "{}", out.stderr);
    assert!(out.events.iter().any(|e| matches!(e, Event::Whiteout { path, .. } | Event::OpaqueDir { path, .. } if path == "/etc/nginx/conf.d")));
    // Appending to a lower file copies all of it up first.
    let copied = out.events.iter().find_map(|e| match e {
        Event::CopyUp { path, bytes, .. } if path == "/etc/nginx/mime.types" => Some(*bytes),
        _ => None,
    });
    let mime = copied.expect("mime.types was copied up");
    assert!(mime > 0);
    assert_eq!(
        size_rw(&sim, "web"),
        2 + mime + 2,
        "pid file + copied-up file + the appended \"x\\n\""
    );
    let diff = ok(&mut sim, "docker diff web");
    assert!(
        diff.contains("C /etc/nginx/conf.d\nD /etc/nginx/conf.d/default.conf\n"),
        "{diff}"
    );
}

#[test]
fn stop_rm_and_exit_codes_follow_docker() {
    let mut sim = Simulator::new();
    ok(&mut sim, "docker run -d --name sleeper busybox sleep 600");
    ok(&mut sim, "docker run -d --name web nginx:1.15.8");
    let out = sim.run_line("docker rm web");
    assert_eq!(out.exit_code, 1);
    assert!(
        out.stderr
            .starts_with("Error response from daemon: You cannot remove a running container ")
    );
    ok(&mut sim, "docker stop sleeper web");
    let ps = ok(&mut sim, "docker ps -a --format '{{.Names}} {{.Status}}'");
    // sleep ignores SIGTERM as PID 1 and is killed; nginx exits cleanly.
    assert_eq!(
        ps,
        "web Exited (0) Less than a second ago\nsleeper Exited (137) Less than a second ago\n"
    );
    assert_eq!(ok(&mut sim, "docker rm web sleeper"), "web\nsleeper\n");
    let out = sim.run_line("docker exec nope ls");
    assert_eq!(
        (out.stderr.as_str(), out.exit_code),
        ("Error: No such container: nope\n", 1)
    );
}

#[test]
fn json_file_logs_rotate_and_count_in_the_ledger_not_in_ps() {
    let mut sim = Simulator::new();
    let script = (0..40)
        .map(|i| format!("echo line-{i:03}-padding-padding-padding"))
        .collect::<Vec<_>>()
        .join("; ");
    ok(
        &mut sim,
        &format!(
            "docker run --name chatty --log-opt max-size=1k --log-opt max-file=2 busybox sh -c '{script}'"
        ),
    );
    let c = sim.container("chatty").expect("the container exists");
    assert!(c.log.rotations >= 1, "{:?}", c.log);
    // Two files of about 1 KiB each are kept, the rest was rotated away.
    assert!(c.log.disk_bytes() <= 2 * 1024 + 200, "{:?}", c.log);
    assert_eq!(
        sim.container_size(c).size_rw,
        0,
        "logs are not in the writable layer"
    );
    let logs = ok(&mut sim, "docker logs chatty");
    assert!(logs.ends_with("line-039-padding-padding-padding\n"));
    assert!(!logs.contains("line-000-"), "the oldest lines were rotated away");
    let ledger = sim.ledger();
    assert_eq!(
        ledger.logs(),
        sim.container("chatty").map_or(0, |c| c.log.disk_bytes())
    );
    assert_eq!(ledger.config(), accounting::CONTAINER_CONFIG_BYTES);
}

#[test]
fn volumes_hold_data_outside_the_writable_layer_and_outlive_the_container() {
    let mut sim = Simulator::new();
    ok(&mut sim, "docker volume create data");
    ok(
        &mut sim,
        "docker run --name writer -v data:/data busybox dd if=/dev/zero of=/data/blob bs=1M count=2",
    );
    assert_eq!(size_rw(&sim, "writer"), 0);
    let out = sim.run_line("docker volume rm data");
    assert_eq!(out.exit_code, 1, "a volume in use cannot be removed");
    ok(&mut sim, "docker rm writer");
    ok(
        &mut sim,
        "docker run --name reader -v data:/data busybox ls /data",
    );
    assert_eq!(sim.run_line("docker logs reader").stdout, "blob\n");
    let df = sim.system_df();
    assert_eq!(
        (df.volumes.total, df.volumes.active, df.volumes.size),
        (1, 1, 2 * 1024 * 1024)
    );
}

#[test]
fn commit_turns_the_writable_layer_into_a_layer_and_rmi_frees_only_unshared_layers() {
    let mut sim = Simulator::new();
    ok(
        &mut sim,
        "docker run --name writer busybox sh -c 'echo hi > /greeting'",
    );
    let id = ok(&mut sim, "docker commit writer greet:1");
    assert!(id.starts_with("sha256:"));
    let history = ok(&mut sim, "docker history -q greet:1");
    assert_eq!(history.lines().count(), 3);
    ok(&mut sim, "docker rm writer");
    let out = sim.run_line("docker rmi greet:1");
    // Only the committed layer goes: busybox still holds its own.
    let freed: Vec<&Event> = out
        .events
        .iter()
        .filter(|e| matches!(e, Event::LayerFreed { .. }))
        .collect();
    assert_eq!(freed.len(), 1, "{}", out.stdout);
    assert!(sim.resolve_image("busybox").is_some());
}

#[test]
fn the_same_lines_give_the_same_bytes() {
    let script = [
        "docker run -d --name app nginx:1.15.8",
        "docker run busybox echo hello",
        "docker exec app sh -c 'echo x > /x'",
        "layerlab clock advance 3600",
        "docker ps -a -s --no-trunc",
        "docker system df -v",
    ];
    let play = || {
        let mut sim = Simulator::new();
        let outs: Vec<super::Output> = script.iter().map(|l| sim.run_line(l)).collect();
        (outs, serde_json::to_string(&sim).unwrap_or_default())
    };
    assert_eq!(play(), play());
}

#[test]
fn state_survives_serialisation() {
    let mut sim = Simulator::new();
    ok(&mut sim, "docker run -d --name app nginx:1.15.8");
    let text = serde_json::to_string(&sim).expect("serialises");
    let mut back: Simulator = serde_json::from_str(&text).expect("deserialises");
    assert_eq!(ok(&mut back, "docker ps -q"), ok(&mut sim, "docker ps -q"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    /// N containers of one image, each writing some MiB: Σ size + one (virtual − size) is the
    /// image's layers once plus every writable layer, and that is what `system df` counts.
    #[test]
    fn the_lessons_formula_holds_on_the_engine(writes in proptest::collection::vec(0u64..4, 1..5)) {
        let mut sim = Simulator::new();
        for (i, mib) in writes.iter().enumerate() {
            let line = format!("docker run --name c{i} busybox dd if=/dev/zero of=/f bs=1M count={mib}");
            prop_assert_eq!(sim.run_line(&line).exit_code, 0);
        }
        let sizes: Vec<accounting::ContainerSize> = sim.containers().iter().map(|c| sim.container_size(c)).collect();
        let formula = accounting::formula(&sizes);
        let uppers: Vec<u64> = sizes.iter().map(|s| s.size_rw).collect();
        prop_assert_eq!(formula, Some(accounting::modelled_disk_use(sim.store(), &uppers)));
        let df = sim.system_df();
        prop_assert_eq!(formula, Some(df.images.size + df.containers.size));
        prop_assert_eq!(df.containers.size, writes.iter().sum::<u64>() * 1024 * 1024);
    }
}

#[test]
fn a_bad_build_tag_is_refused_before_anything_is_built() {
    let mut sim = Simulator::new();
    let images_before = sim.run_line("docker images -q").stdout;
    let out = sim.run_line("docker build -t 'Bad Name' .");
    assert_ne!(out.exit_code, 0);
    assert!(out.stderr.contains("invalid reference format"), "{}", out.stderr);
    assert!(!out.stdout.contains("Step 1/"), "nothing was built: {}", out.stdout);
    assert_eq!(sim.run_line("docker images -q").stdout, images_before, "no image was pulled or made");
}

#[test]
fn output_keeps_the_order_the_two_streams_were_printed_in() {
    use crate::engine::Stream;
    let mut sim = Simulator::new();
    // Docker says it has to pull (stderr) before it pulls (stdout).
    let out = sim.run_line("docker run --name one busybox true");
    let parts = out.interleaved();
    assert!(
        matches!(parts.first(), Some((Stream::Stderr, t)) if t.starts_with("Unable to find image 'busybox:latest' locally")),
        "{parts:?}"
    );
    assert!(matches!(parts.get(1), Some((Stream::Stdout, t)) if t.contains("Pulling from library/busybox")));
    // Errors and successes of a multi-name command come in the order of the names.
    ok(&mut sim, "docker create --name two busybox");
    let out = sim.run_line("docker rm one nothere two");
    let parts = out.interleaved();
    let streams: Vec<Stream> = parts.iter().map(|(s, _)| *s).collect();
    assert_eq!(streams, [Stream::Stdout, Stream::Stderr, Stream::Stdout], "{parts:?}");
    assert_eq!(parts.first().map(|p| p.1), Some("one\n"));
    assert_eq!(parts.last().map(|p| p.1), Some("two\n"));
    // Both streams are there whole, whatever the order.
    let joined: String = parts.iter().filter(|(s, _)| *s == Stream::Stderr).map(|(_, t)| *t).collect();
    assert_eq!(joined, out.stderr);
}

#[test]
fn a_failed_build_prints_its_steps_before_the_error() {
    use crate::engine::Stream;
    let mut sim = Simulator::new();
    let mut files = crate::engine::lesson_context();
    files.insert("Dockerfile".into(), b"FROM busybox\nRUN false\n".to_vec());
    sim.set_build_context("ctx", files);
    let out = sim.run_line("docker build -t broken ctx");
    assert_ne!(out.exit_code, 0);
    let parts = out.interleaved();
    assert!(matches!(parts.first(), Some((Stream::Stdout, t)) if t.starts_with("Sending build context")), "{parts:?}");
    assert!(matches!(parts.last(), Some((Stream::Stderr, t)) if t.contains("returned a non-zero code: 1")), "{parts:?}");
}

#[test]
fn interleaving_survives_runs_that_do_not_fit_their_streams() {
    use crate::engine::{Output, Stream};
    let out = Output {
        stdout: "ab".into(),
        stderr: "é".into(),
        runs: vec![(Stream::Stderr, 1), (Stream::Stdout, 5)],
        ..Output::default()
    };
    // A run that splits a character or overruns is taken whole; nothing is lost or repeated.
    assert_eq!(out.interleaved(), [(Stream::Stderr, "é"), (Stream::Stdout, "ab")]);
    let plain = Output {
        stdout: "o".into(),
        stderr: "e".into(),
        ..Output::default()
    };
    assert_eq!(plain.interleaved(), [(Stream::Stdout, "o"), (Stream::Stderr, "e")]);
}

#[test]
fn run_rm_of_a_program_the_image_lacks_leaves_no_container() {
    let mut sim = Simulator::new();
    ok(&mut sim, "docker pull -q busybox");
    let out = sim.run_line("docker run --rm busybox /no/such");
    assert_eq!(out.exit_code, 127, "{}", out.stderr);
    assert_eq!(ok(&mut sim, "docker ps -a -q"), "");
    // Without --rm the container stays, Created, as in Docker.
    let out = sim.run_line("docker run --name kept busybox /no/such");
    assert_eq!(out.exit_code, 127, "{}", out.stderr);
    assert!(ok(&mut sim, "docker ps -a --format '{{.Names}} {{.Status}}'").starts_with("kept Created"));
}

#[test]
fn a_missing_program_is_worded_as_runc_words_it() {
    let mut sim = Simulator::new();
    ok(&mut sim, "docker pull -q busybox");
    let out = sim.run_line("docker run --rm busybox /no/such");
    assert!(
        out.stderr.contains(
            "unable to start container process: exec: \"/no/such\": stat /no/such: no such file or directory: unknown"
        ),
        "{}",
        out.stderr
    );
    let out = sim.run_line("docker run --rm busybox nosuch");
    assert!(
        out.stderr.contains(
            "unable to start container process: exec: \"nosuch\": executable file not found in $PATH: unknown"
        ),
        "{}",
        out.stderr
    );
}
