//! From a command line to engine calls to printed output. Both terminals come through here, so
//! they print the same bytes for the same line.

use crate::engine::{Output, Simulator};

/// Parses and runs one line against the simulator.
pub fn run_line(sim: &mut Simulator, line: &str) -> Output {
    let words: Vec<&str> = line.split_whitespace().collect();
    let args = match words.split_first() {
        Some((&"docker", rest)) | Some((&"layerlab", rest)) => rest,
        _ => {
            return Output {
                stderr: format!("layerlab: lines start with `docker` or `layerlab`, got {line:?}\n"),
                exit_code: 127,
                ..Output::default()
            };
        }
    };
    let _ = sim;
    match args {
        ["images"] | ["image", "ls"] => Output {
            stdout: "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n".into(),
            ..Output::default()
        },
        ["ps"] | ["ps", "-a"] => Output {
            stdout: "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n".into(),
            ..Output::default()
        },
        [cmd, ..] => Output {
            stderr: format!("docker: '{cmd}' is not a docker command.\nSee 'docker --help'\n"),
            exit_code: 1,
            ..Output::default()
        },
        [] => Output::default(),
    }
}
