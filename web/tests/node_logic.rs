//! The terminal's logic, run under node: no DOM, just the reducer over core's simulator.

use layerlab_web::state::{Action, Lab, LineKind, action_for_key};
use wasm_bindgen_test::wasm_bindgen_test;

fn run(lab: &mut Lab, line: &str) {
    lab.apply(Action::Edit(line.to_owned()));
    lab.apply(Action::Submit);
}

fn text_of(lab: &Lab, kind: LineKind) -> String {
    lab.transcript
        .iter()
        .filter(|l| l.kind == kind)
        .map(|l| l.text.as_str())
        .collect()
}

#[wasm_bindgen_test]
fn keys_map_to_terminal_actions() {
    assert_eq!(action_for_key("Enter", ""), Some(Action::Submit));
    assert_eq!(action_for_key("ArrowUp", ""), Some(Action::Older));
    assert_eq!(action_for_key("ArrowDown", ""), Some(Action::Newer));
    assert_eq!(action_for_key("Tab", "dock"), Some(Action::Complete));
    assert_eq!(
        action_for_key("Tab", " "),
        None,
        "Tab on an empty line moves focus on"
    );
    assert_eq!(action_for_key("a", ""), None);
}

#[wasm_bindgen_test]
fn a_command_is_echoed_then_answered_by_the_simulator() {
    let mut lab = Lab::new();
    run(&mut lab, "docker run nginx:1.15.8");
    assert!(lab.input.is_empty(), "Enter empties the prompt");
    assert!(text_of(&lab, LineKind::Command).contains("$ docker run nginx:1.15.8"));
    let stdout = text_of(&lab, LineKind::Stdout);
    assert!(
        stdout.contains("1.15.8: Pulling from library/nginx"),
        "stdout was:\n{stdout}"
    );
    assert!(stdout.contains("Pull complete"), "stdout was:\n{stdout}");
    assert_eq!(lab.revision, 1);
    let kinds: Vec<LineKind> = lab.transcript.iter().map(|l| l.kind).collect();
    let notice = kinds.iter().position(|k| *k == LineKind::Stderr);
    let pull = kinds.iter().position(|k| *k == LineKind::Stdout);
    assert!(
        notice < pull,
        "`Unable to find image` comes before the pull, as in Docker: {kinds:?}"
    );
}

#[wasm_bindgen_test]
fn errors_go_to_stderr() {
    let mut lab = Lab::new();
    run(&mut lab, "dokcer ps");
    let last = lab.transcript.last().map(|l| l.kind);
    assert_eq!(last, Some(LineKind::Stderr));
}

#[wasm_bindgen_test]
fn terminal_commands_do_not_reach_the_simulator() {
    let mut lab = Lab::new();
    run(&mut lab, "help");
    assert!(text_of(&lab, LineKind::Note).contains("docker ps -s"));
    run(&mut lab, "history");
    assert!(text_of(&lab, LineKind::Note).contains("    1  help\n"));
    assert_eq!(lab.revision, 0);
    run(&mut lab, "clear");
    assert!(lab.transcript.is_empty());
}

#[wasm_bindgen_test]
fn blank_and_repeated_lines_stay_out_of_the_history() {
    let mut lab = Lab::new();
    run(&mut lab, "   ");
    run(&mut lab, "help");
    run(&mut lab, "help");
    assert_eq!(lab.history.as_slice(), ["help".to_owned()]);
}

#[wasm_bindgen_test]
fn history_recall_gives_back_the_unfinished_line() {
    let mut lab = Lab::new();
    run(&mut lab, "docker images");
    run(&mut lab, "docker ps");
    lab.apply(Action::Edit("docker hi".into()));
    lab.apply(Action::Older);
    lab.apply(Action::Older);
    assert_eq!(lab.input, "docker images");
    lab.apply(Action::Newer);
    assert_eq!(lab.input, "docker ps");
    lab.apply(Action::Newer);
    assert_eq!(lab.input, "docker hi");
    lab.apply(Action::Newer);
    assert_eq!(lab.input, "docker hi", "Down past the draft changes nothing");
}

#[wasm_bindgen_test]
fn stacks_follow_the_simulator() {
    use layerlab_web::stacks::RowKind;
    let mut lab = Lab::new();
    assert!(lab.stacks.is_empty());
    run(&mut lab, "docker run nginx:1.15.8");
    let [stack] = lab.stacks.as_slice() else {
        panic!("expected one image, got {:?}", lab.stacks);
    };
    assert_eq!(stack.names, ["nginx:1.15.8".to_owned()]);
    assert_eq!(stack.containers.len(), 1);
    let layer_sizes: u64 = stack
        .rows
        .iter()
        .map(|r| match r.kind {
            RowKind::Layer { size, .. } => size,
            RowKind::Empty => 0,
        })
        .sum();
    assert_eq!(
        layer_sizes, stack.size,
        "the layer boxes add up to the image size"
    );
    assert!(
        stack.rows.iter().any(|r| r.kind == RowKind::Empty),
        "CMD and friends make no layer"
    );
    assert!(
        stack
            .rows
            .first()
            .is_some_and(|r| matches!(r.kind, RowKind::Layer { .. })),
        "a base layer at the bottom"
    );
}

#[wasm_bindgen_test]
fn the_formula_counts_the_image_once() {
    let mut lab = Lab::new();
    run(&mut lab, "docker run nginx:1.15.8");
    run(&mut lab, "docker run nginx:1.15.8");
    let disk = lab.disk.clone();
    assert_eq!(disk.containers.len(), 2);
    let [formula] = disk.formulas.as_slice() else {
        panic!("expected one image's formula, got {:?}", disk.formulas);
    };
    let image_size = lab.stacks.first().map(|s| s.size).unwrap_or_default();
    assert_eq!(formula.shared, image_size);
    assert_eq!(formula.total, formula.sizes.iter().sum::<u64>() + image_size);
    assert_eq!(
        disk.naive_total,
        disk.containers.iter().map(|c| c.virtual_size).sum::<u64>()
    );
    assert!(
        disk.naive_total > formula.total,
        "adding virtual sizes counts the image twice"
    );
}

#[wasm_bindgen_test]
fn tab_completes_and_lists_choices() {
    let mut lab = Lab::new();
    lab.apply(Action::Edit("dock".into()));
    lab.apply(Action::Complete);
    assert_eq!(lab.input, "docker ");
    lab.apply(Action::Edit("docker s".into()));
    lab.apply(Action::Complete);
    assert_eq!(lab.input, "docker s", "several fit: the line stays");
    let listing = lab.transcript.last().map(|l| l.text.clone()).unwrap_or_default();
    assert!(listing.contains("start  stop  system"), "listing was {listing:?}");
}

/// Every name Tab offers must be one the simulator knows, or completion would lead learners
/// into "is not a docker command".
#[wasm_bindgen_test]
fn every_completed_command_is_known_to_the_simulator() {
    use layerlab_core::engine::Simulator;
    use layerlab_core::cli::args::command_names;
    let mut sim = Simulator::new();
    for (name, subs) in command_names() {
        let lines: Vec<String> = if subs.is_empty() {
            vec![format!("docker {name}")]
        } else {
            subs.iter().map(|s| format!("docker {name} {s}")).collect()
        };
        for line in lines {
            let out = sim.run_line(&line);
            assert!(
                !out.stderr.contains("is not a docker command"),
                "{line}: {}",
                out.stderr
            );
        }
    }
}
