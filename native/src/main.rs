//! The `layerlab` command: parses the global options and hands the rest to the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Engine {
    /// core's simulated engine, with its state in a file: no root, any OS.
    Sim,
    /// The real engine on this Linux host.
    Native,
}

/// layerlab: a lab for how container images work.
#[derive(Debug, Parser)]
#[command(name = "layerlab", version)]
struct Cli {
    /// Which engine runs the command (native on Linux, sim elsewhere).
    #[arg(long, value_enum, default_value = if cfg!(target_os = "linux") { "native" } else { "sim" })]
    engine: Engine,
    /// The native engine's data root (default: $LAYERLAB_ROOT, else /var/lib/layerlab).
    #[arg(long, value_name = "PATH")]
    root: Option<PathBuf>,
    /// The simulator's state file (default: $XDG_STATE_HOME/layerlab/sim.json or
    /// ~/.local/state/layerlab/sim.json).
    #[arg(long, value_name = "PATH")]
    state: Option<PathBuf>,
    /// After the output, say in plain words what happened underneath.
    #[arg(long)]
    explain: bool,
    /// A docker command and its arguments, e.g. `run nginx:1.15.8` or `system df -v`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true, num_args = 1..)]
    command: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.engine {
        Engine::Sim => {
            let state = match cli.state.map_or_else(layerlab::sim::default_state_path, Ok) {
                Ok(p) => p,
                Err(e) => return fail(&e),
            };
            let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
            match layerlab::sim::run(&state, &cli.command, cli.explain, &mut out, &mut err) {
                Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
                Err(e) => fail(&e),
            }
        }
        Engine::Native => {
            // Not locked: an attached container's output is copied to stdout by another thread.
            let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
            let code = layerlab::engine::run(cli.root.as_deref(), &cli.command, &mut out, &mut err);
            ExitCode::from(u8::try_from(code).unwrap_or(1))
        }
    }
}

fn fail(error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("layerlab: {error}");
    ExitCode::from(125)
}
