//! Start latency of the native runtime, `run --rm IMAGE true` style, for `scripts/bench-run.sh`.
//!
//! `run_latency --once <container-dir> <overlay|vfs> <layer-dir>...` runs `/bin/true` once in a
//! fresh container made from the layer directories (top first) and removes the container
//! afterwards, as `run --rm` does; hyperfine times many such processes side by side with crun
//! and a bare `unshare ... chroot`. Without `--once` it says how to run the comparison.

use std::path::PathBuf;
use std::process::ExitCode;

use layerlab::runtime::{
    ContainerLayout, ContainerSpec, Limits, NetworkMode, ProcessSpec, RunOptions, StorageDriver, run,
};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((mode, rest)) = args.split_first() else {
        return usage();
    };
    if mode != "--once" {
        return usage();
    }
    let [dir, driver, layers @ ..] = rest else {
        return usage();
    };
    if layers.is_empty() {
        return usage();
    }
    let driver = match driver.parse::<StorageDriver>() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(125);
        }
    };
    // As the engine does, every container shares one init layer (beside the container's dir).
    let dir = PathBuf::from(dir);
    let shared_init = dir
        .parent()
        .map_or_else(|| PathBuf::from("init"), |p| p.join("init"));
    let layout = ContainerLayout::new(&dir).with_shared_init(shared_init);
    let spec = ContainerSpec {
        // Any 64-hex ID: every run uses a fresh directory, so they never collide.
        id: format!("{:0>64x}", std::process::id()),
        layout: layout.clone(),
        driver,
        image_layers: layers.iter().map(PathBuf::from).collect(),
        rootless: false,
        auto_remove: true,
        process: ProcessSpec {
            cmd: vec!["/bin/true".to_owned()],
            env: vec!["PATH=/bin".to_owned()],
            ..ProcessSpec::default()
        },
        network: NetworkMode::None,
        volumes: vec![],
        limits: Limits::default(),
        log_path: Some(layout.dir.join("json.log")),
    };
    let result = run(&spec, &RunOptions::default());
    // `--rm`: the container's directory goes, whatever happened.
    let _ = layout.remove();
    match result {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(125)),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(125))
        }
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: run_latency --once <container-dir> <overlay|vfs> <layer-dir>...\n\
         (scripts/bench-run.sh builds the layers and compares against crun and unshare)"
    );
    ExitCode::from(2)
}
