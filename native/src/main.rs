//! The `layerlab` command: parses the global options and hands the rest to the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use layerlab::engine::Options;
use layerlab::runtime::StorageDriver;

/// The variables that stand in for `--insecure-registry` (comma-separated) and `--storage-driver`.
const INSECURE_REGISTRIES_ENV: &str = "LAYERLAB_INSECURE_REGISTRIES";
const STORAGE_DRIVER_ENV: &str = "LAYERLAB_STORAGE_DRIVER";

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
    /// A registry to reach over plain HTTP instead of HTTPS, as HOST[:PORT] the way image names
    /// write it; repeatable. Adds to $LAYERLAB_INSECURE_REGISTRIES (comma-separated). Loopback
    /// registries need none.
    #[arg(long = "insecure-registry", value_name = "HOST[:PORT]", value_parser = registry_host)]
    insecure_registries: Vec<String>,
    /// How containers' filesystems are made: overlay2, or vfs (a full copy of the image per
    /// container). Default: $LAYERLAB_STORAGE_DRIVER, else overlay2 where the kernel can mount
    /// it over the data root, else vfs with a warning.
    #[arg(long, value_name = "overlay2|vfs", value_parser = storage_driver)]
    storage_driver: Option<StorageDriver>,
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
            let options = match engine_options(
                cli.root,
                &cli.insecure_registries,
                cli.storage_driver,
                std::env::var(INSECURE_REGISTRIES_ENV).ok().as_deref(),
                std::env::var(STORAGE_DRIVER_ENV).ok().as_deref(),
            ) {
                Ok(o) => o,
                Err(e) => return fail(&e),
            };
            // Not locked: an attached container's output is copied to stdout by another thread.
            let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
            let code = layerlab::engine::run(&options, &cli.command, &mut out, &mut err);
            ExitCode::from(u8::try_from(code).unwrap_or(1))
        }
    }
}

/// The engine's options from the global flags and the variables that stand in for them: a flag
/// adds to (insecure registries) or overrides (storage driver) its variable.
fn engine_options(
    root: Option<PathBuf>,
    insecure: &[String],
    driver: Option<StorageDriver>,
    insecure_env: Option<&str>,
    driver_env: Option<&str>,
) -> Result<Options, String> {
    let insecure_registries = insecure_env
        .into_iter()
        .flat_map(|v| v.split(','))
        .filter(|h| !h.is_empty())
        .map(str::to_owned)
        .chain(insecure.iter().cloned())
        .collect();
    let storage_driver = match (driver, driver_env.filter(|v| !v.is_empty())) {
        (Some(d), _) => Some(d),
        (None, Some(name)) => Some(storage_driver(name).map_err(|e| format!("{STORAGE_DRIVER_ENV}: {e}"))?),
        (None, None) => None,
    };
    Ok(Options {
        root,
        insecure_registries,
        storage_driver,
    })
}

/// `--insecure-registry`: a registry host with its port if any, the way registries are named in
/// image references.
fn registry_host(text: &str) -> Result<String, String> {
    if text.contains("://") {
        // Docker's wording.
        return Err(format!("insecure registry {text} should not contain '://'"));
    }
    // Commas separate hosts in the variable; a path or credentials have no place in a host.
    let plain = !text.is_empty() && !text.contains([',', '/', '@']) && !text.contains(char::is_whitespace);
    // `[::1]` is an IPv6 address without a port, `[::1]:5000` one with.
    let port_ok = text.ends_with(']')
        || text
            .rsplit_once(':')
            .is_none_or(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
    let valid = plain && port_ok;
    if valid {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{text:?} is not a registry host: give HOST or HOST:PORT, e.g. registry.lan:5000"
        ))
    }
}

/// `--storage-driver`: Docker's names, `overlay2` and `vfs`.
fn storage_driver(text: &str) -> Result<StorageDriver, String> {
    text.parse::<StorageDriver>().map_err(|e| e.to_string())
}

fn fail(error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("layerlab: {error}");
    ExitCode::from(125)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("layerlab").chain(args.iter().copied()))
    }

    #[test]
    fn insecure_registries_repeat_and_leave_the_command_alone() {
        let cli = parse(&[
            "--insecure-registry",
            "registry.lan:5000",
            "--insecure-registry=10.0.0.7",
            "--insecure-registry",
            "[fd00::1]:5000",
            "pull",
            "registry.lan:5000/demo/app:1.0",
        ])
        .expect("parses");
        assert_eq!(
            cli.insecure_registries,
            ["registry.lan:5000", "10.0.0.7", "[fd00::1]:5000"]
        );
        assert_eq!(cli.command, ["pull", "registry.lan:5000/demo/app:1.0"]);
        assert_eq!(cli.storage_driver, None);
    }

    #[test]
    fn an_insecure_registry_must_be_a_host_and_port() {
        let err =
            parse(&["--insecure-registry", "http://registry.lan:5000", "ps"]).expect_err("a URL is refused");
        assert!(
            err.to_string()
                .contains("insecure registry http://registry.lan:5000 should not contain '://'"),
            "{err}"
        );
        for bad in [
            "registry.lan:port",
            "a,b",
            "registry.lan/path",
            "",
            "reg:99999",
            ":5000",
        ] {
            let err = parse(&["--insecure-registry", bad, "ps"]).expect_err(bad);
            assert!(err.to_string().contains("give HOST or HOST:PORT"), "{bad}: {err}");
        }
    }

    #[test]
    fn storage_driver_takes_docker_s_names() {
        for (name, driver) in [
            ("overlay2", StorageDriver::Overlay),
            ("overlay", StorageDriver::Overlay),
            ("vfs", StorageDriver::Vfs),
        ] {
            let cli = parse(&["--storage-driver", name, "run", "x"]).expect(name);
            assert_eq!(cli.storage_driver, Some(driver), "{name}");
        }
        let err = parse(&["--storage-driver", "zfs", "ps"]).expect_err("zfs is refused");
        assert!(
            err.to_string().contains("unknown storage driver \"zfs\""),
            "{err}"
        );
    }

    #[test]
    fn flags_add_to_or_override_the_environment() {
        let o = engine_options(None, &[], None, Some("a:1"), Some("")).expect("valid");
        assert_eq!(
            (o.insecure_registries, o.storage_driver),
            (vec!["a:1".to_owned()], None)
        );
        let o = engine_options(
            None,
            &["c:3".into()],
            Some(StorageDriver::Vfs),
            Some("a:1,,b"),
            Some("overlay2"),
        )
        .expect("valid");
        assert_eq!(o.insecure_registries, ["a:1", "b", "c:3"]);
        assert_eq!(o.storage_driver, Some(StorageDriver::Vfs));
        let o = engine_options(None, &[], None, None, Some("vfs")).expect("valid");
        assert_eq!(o.storage_driver, Some(StorageDriver::Vfs));
        let e = engine_options(None, &[], None, None, Some("zfs")).expect_err("zfs is refused");
        assert!(
            e.starts_with("LAYERLAB_STORAGE_DRIVER: unknown storage driver"),
            "{e}"
        );
        // A bad variable does not matter when the flag decides.
        assert!(engine_options(None, &[], Some(StorageDriver::Overlay), None, Some("zfs")).is_ok());
    }
}
