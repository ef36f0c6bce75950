//! The command table: every command, group and flag the docker-style terminals understand, as
//! plain data. One tokenizer ([`super::flags`]) reads a line against it, one renderer
//! ([`super::help`]) prints its help, and [`super::args`] turns a match into a typed command.
//!
//! The table is static data rather than code per command so that the browser bundle carries one
//! small parser instead of a generated one per command; adding a flag is adding one row.

use super::args::PruneTarget;

/// What a flag takes, and how its value is checked (as pflag's typed flags, whose type name is
/// also what Docker's help prints after the flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Off unless named; `--flag=false` and `-f=false` are accepted (Go's `strconv.ParseBool`).
    Bool,
    /// On unless turned off with `=false` (`history -H=false`).
    BoolOn,
    /// One text value; the last one given wins.
    Text,
    /// A text value that may be given again and again (`-e A=1 -e B=2`).
    List,
    /// A whole number, possibly negative (`--pids-limit -1`).
    Int,
    /// A memory size with binary units (`512m`, `1g`).
    Bytes,
}

impl Kind {
    /// Docker's help names a flag's value by its type: `--name string`, `-e, --env list`.
    pub fn value_name(self) -> Option<&'static str> {
        match self {
            Kind::Bool | Kind::BoolOn => None,
            Kind::Text => Some("string"),
            Kind::List => Some("list"),
            Kind::Int => Some("int"),
            Kind::Bytes => Some("bytes"),
        }
    }
}

#[derive(Debug)]
pub struct Flag {
    pub short: Option<char>,
    pub long: &'static str,
    pub kind: Kind,
    pub help: &'static str,
}

/// How many operands a command takes (Docker's `cli.ExactArgs`, `cli.RequiresMinArgs`, ...).
#[derive(Debug, Clone, Copy)]
pub struct Arity {
    pub min: usize,
    pub max: Option<usize>,
}

/// Which typed command a table row becomes; several rows may name the same one (`ps` and
/// `container ls`), which is also how help finds a command's aliases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    Run,
    Create,
    Start,
    Stop,
    Rm,
    Exec,
    Ps,
    Images,
    Pull,
    Push,
    Load,
    Rmi,
    Tag,
    History,
    Inspect,
    ImageInspect,
    ContainerInspect,
    Diff,
    Commit,
    Build,
    Logs,
    Login,
    VolumeCreate,
    VolumeLs,
    VolumeRm,
    VolumeInspect,
    SystemDf,
    Prune(PruneTarget),
    Help,
}

#[derive(Debug)]
pub enum Body {
    /// A group (`image`, `volume`, or the root `docker` itself): its first operand names the
    /// command that reads the rest of the line.
    Group(&'static [Spec]),
    Leaf {
        cmd: Cmd,
        operands: Arity,
        /// False for `run`, `create` and `exec`: the first operand starts the container's command
        /// and every word after it is left alone (Docker's `SetInterspersed(false)`).
        interspersed: bool,
    },
}

/// One command or group: its name, what its help says, and the flags it accepts.
#[derive(Debug)]
pub struct Spec {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    /// What follows the command path in `Usage:`, e.g. `[OPTIONS] IMAGE [COMMAND] [ARG...]`.
    pub usage: &'static str,
    pub summary: &'static str,
    pub flags: &'static [Flag],
    pub body: Body,
}

impl Spec {
    /// Whether flag parsing stops at the first operand: groups hand the rest to their command,
    /// `run`-like commands to the container.
    pub fn stops_at_operand(&self) -> bool {
        !matches!(
            self.body,
            Body::Leaf {
                interspersed: true,
                ..
            }
        )
    }

    pub fn child(&self, word: &str) -> Option<&'static Spec> {
        match self.body {
            Body::Group(children) => children
                .iter()
                .find(|c| c.name == word || c.aliases.contains(&word)),
            Body::Leaf { .. } => None,
        }
    }
}

const fn flag(short: char, long: &'static str, kind: Kind, help: &'static str) -> Flag {
    Flag {
        short: Some(short),
        long,
        kind,
        help,
    }
}

const fn long(long: &'static str, kind: Kind, help: &'static str) -> Flag {
    Flag {
        short: None,
        long,
        kind,
        help,
    }
}

const fn leaf(
    name: &'static str,
    usage: &'static str,
    summary: &'static str,
    flags: &'static [Flag],
    cmd: Cmd,
    min: usize,
    max: Option<usize>,
) -> Spec {
    Spec {
        name,
        aliases: &[],
        usage,
        summary,
        flags,
        body: Body::Leaf {
            cmd,
            operands: Arity { min, max },
            interspersed: true,
        },
    }
}

const fn group(name: &'static str, summary: &'static str, commands: &'static [Spec]) -> Spec {
    Spec {
        name,
        aliases: &[],
        usage: "COMMAND",
        summary,
        flags: &[],
        body: Body::Group(commands),
    }
}

impl Spec {
    const fn aka(self, aliases: &'static [&'static str]) -> Spec {
        Spec { aliases, ..self }
    }

    /// Marks a command whose flags end at its first operand (`run IMAGE ls -l`).
    const fn raw(self) -> Spec {
        match self.body {
            Body::Leaf { cmd, operands, .. } => Spec {
                body: Body::Leaf {
                    cmd,
                    operands,
                    interspersed: false,
                },
                ..self
            },
            Body::Group(_) => self,
        }
    }
}

use Kind::{Bool, BoolOn, Bytes, Int, List, Text};

// Flags are listed by long name, the order Docker's help prints them in.

const GLOBAL: &[Flag] = &[
    long(
        "engine",
        Text,
        "Engine to drive: sim (the simulator) or native (real containers, Linux)",
    ),
    long(
        "explain",
        Bool,
        "After each command, explain what happened to layers and files",
    ),
    long("root", Text, "Data root of the native engine"),
    long(
        "state",
        Text,
        "File where the simulator keeps its state between commands",
    ),
];

const RUN: &[Flag] = &[
    flag(
        'd',
        "detach",
        Bool,
        "Run in the background and print the container ID",
    ),
    long("entrypoint", Text, "Replace the image's entrypoint"),
    flag('e', "env", List, "Set an environment variable (KEY=VALUE)"),
    flag('h', "hostname", Text, "Container host name"),
    flag('i', "interactive", Bool, "Keep standard input open"),
    long(
        "log-opt",
        List,
        "Logging driver option (KEY=VALUE), e.g. max-size=10m",
    ),
    flag('m', "memory", Bytes, "Memory limit, e.g. 512m or 1g"),
    long("name", Text, "Name the container"),
    long("network", Text, "Network to join (none, host, bridge)"),
    long(
        "pids-limit",
        Int,
        "Most processes the container may run (-1: no limit)",
    ),
    long("platform", Text, "Platform of the image to use, e.g. linux/arm64"),
    long("rm", Bool, "Remove the container when it exits"),
    flag('t', "tty", Bool, "Give the container a terminal"),
    flag('u', "user", Text, "User (name or uid[:gid]) to run as"),
    flag(
        'v',
        "volume",
        List,
        "Mount a volume or host path (SOURCE:TARGET[:ro])",
    ),
    flag('w', "workdir", Text, "Working directory inside the container"),
];

const EXEC: &[Flag] = &[
    flag('d', "detach", Bool, "Run in the background"),
    flag('e', "env", List, "Set an environment variable (KEY=VALUE)"),
    flag('i', "interactive", Bool, "Keep standard input open"),
    flag('t', "tty", Bool, "Give the process a terminal"),
    flag('u', "user", Text, "User (name or uid[:gid]) to run as"),
    flag('w', "workdir", Text, "Working directory inside the container"),
];

const START: &[Flag] = &[
    flag('a', "attach", Bool, "Attach to the container's output"),
    flag('i', "interactive", Bool, "Attach standard input"),
];

const STOP: &[Flag] = &[flag(
    't',
    "time",
    Int,
    "Seconds to wait before killing the container",
)];

const RM: &[Flag] = &[
    flag('f', "force", Bool, "Stop and remove a running container"),
    flag(
        'v',
        "volumes",
        Bool,
        "Also remove the container's anonymous volumes",
    ),
];

const PS: &[Flag] = &[
    flag('a', "all", Bool, "Show all containers, not only running ones"),
    long("format", Text, "Go template, e.g. 'table {{.ID}}\\t{{.Names}}'"),
    long("no-trunc", Bool, "Do not cut IDs and commands short"),
    flag('q', "quiet", Bool, "Print only container IDs"),
    flag('s', "size", Bool, "Show each container's size and virtual size"),
];

const IMAGES: &[Flag] = &[
    flag('a', "all", Bool, "Also show intermediate images"),
    long(
        "format",
        Text,
        "Go template, e.g. 'table {{.Repository}}\\t{{.Size}}'",
    ),
    long("no-trunc", Bool, "Print full image IDs"),
    flag('q', "quiet", Bool, "Print only image IDs"),
];

const PULL: &[Flag] = &[
    long(
        "platform",
        Text,
        "Platform to pick from a multi-platform image, e.g. linux/arm64",
    ),
    flag('q', "quiet", Bool, "Print only the final reference"),
];

const PUSH: &[Flag] = &[flag('q', "quiet", Bool, "Print only the final digest")];

const LOAD: &[Flag] = &[
    flag('i', "input", Text, "Read from tar archive file, instead of STDIN"),
    flag(
        'q',
        "quiet",
        Bool,
        "Suppress the load output (only progress, which the simulator never prints)",
    ),
];

const RMI: &[Flag] = &[flag(
    'f',
    "force",
    Bool,
    "Remove even if the image is used by a stopped container or has several tags",
)];

const HISTORY: &[Flag] = &[
    long("format", Text, "Go template"),
    flag(
        'H',
        "human",
        BoolOn,
        "Human-readable sizes and times (-H=false prints bytes and RFC 3339 times)",
    ),
    long("no-trunc", Bool, "Do not cut the CREATED BY column short"),
    flag('q', "quiet", Bool, "Print only image IDs"),
];

const INSPECT: &[Flag] = &[
    flag('f', "format", Text, "Go template, e.g. '{{.Config.Cmd}}'"),
    flag('s', "size", Bool, "Include sizes (containers)"),
    long(
        "type",
        Text,
        "Only look at objects of this type (container, image, volume)",
    ),
];

// The group spellings take only the flags that mean something for their one kind of object.
const IMAGE_INSPECT: &[Flag] = &[flag('f', "format", Text, "Go template, e.g. '{{.Id}}'")];
const CONTAINER_INSPECT: &[Flag] = &[
    flag('f', "format", Text, "Go template, e.g. '{{.State.Status}}'"),
    flag('s', "size", Bool, "Include the container's sizes"),
];
const VOLUME_INSPECT: &[Flag] = &[flag('f', "format", Text, "Go template, e.g. '{{.Mountpoint}}'")];

const COMMIT: &[Flag] = &[
    flag('a', "author", Text, "Author"),
    flag(
        'c',
        "change",
        List,
        "Dockerfile instruction to apply to the new image, e.g. 'CMD [\"sh\"]'",
    ),
    flag('m', "message", Text, "Commit message"),
];

const BUILD: &[Flag] = &[
    long("build-arg", List, "Set a build-time ARG (KEY=VALUE)"),
    flag(
        'f',
        "file",
        Text,
        "The Dockerfile to use (default: PATH/Dockerfile)",
    ),
    long("no-cache", Bool, "Do not reuse cached layers"),
    flag('q', "quiet", Bool, "Print only the image ID"),
    flag('t', "tag", List, "Name and optionally tag the image (name:tag)"),
];

const LOGS: &[Flag] = &[
    flag('f', "follow", Bool, "Keep following new output"),
    flag(
        'n',
        "tail",
        Text,
        "Lines from the end to show (\"all\" for every line)",
    ),
    flag('t', "timestamps", Bool, "Show timestamps"),
];

const LOGIN: &[Flag] = &[
    flag('p', "password", Text, "Password (prefer --password-stdin)"),
    long("password-stdin", Bool, "Read the password from standard input"),
    flag('u', "username", Text, "User name"),
];

const VOLUME_CREATE: &[Flag] = &[flag('d', "driver", Text, "Volume driver")];
const VOLUME_LS: &[Flag] = &[flag('q', "quiet", Bool, "Print only volume names")];
const VOLUME_RM: &[Flag] = &[flag('f', "force", Bool, "Remove even if in use")];

const SYSTEM_DF: &[Flag] = &[
    long("format", Text, "Go template"),
    flag(
        'v',
        "verbose",
        Bool,
        "One section per images, containers, volumes and build cache",
    ),
];

const PRUNE: &[Flag] = &[
    flag(
        'a',
        "all",
        Bool,
        "Remove all unused images, not only dangling ones",
    ),
    flag('f', "force", Bool, "Do not ask for confirmation"),
    long(
        "volumes",
        Bool,
        "Also remove volumes no container uses (system prune)",
    ),
];

// Commands that stand both at the top and inside their group (`docker run` and
// `docker container run`): one row each, used in both places.
const BUILD_CMD: Spec = leaf(
    "build",
    "[OPTIONS] PATH",
    "Build an image from a Dockerfile",
    BUILD,
    Cmd::Build,
    1,
    Some(1),
);
const HISTORY_CMD: Spec = leaf(
    "history",
    "[OPTIONS] IMAGE",
    "Show the layers and history entries of an image",
    HISTORY,
    Cmd::History,
    1,
    Some(1),
);
const LOAD_CMD: Spec = leaf(
    "load",
    OPTIONS,
    "Load an image from a tar archive or STDIN",
    LOAD,
    Cmd::Load,
    0,
    Some(0),
);
const PULL_CMD: Spec = leaf(
    "pull",
    "[OPTIONS] NAME[:TAG|@DIGEST]",
    "Download an image from a registry",
    PULL,
    Cmd::Pull,
    1,
    Some(1),
);
const PUSH_CMD: Spec = leaf(
    "push",
    "[OPTIONS] NAME[:TAG]",
    "Upload an image to a registry",
    PUSH,
    Cmd::Push,
    1,
    Some(1),
);
const TAG_CMD: Spec = leaf(
    "tag",
    "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
    "Give an image another name",
    &[],
    Cmd::Tag,
    2,
    Some(2),
);
const COMMIT_CMD: Spec = leaf(
    "commit",
    "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
    "Make an image from a container's changes",
    COMMIT,
    Cmd::Commit,
    1,
    Some(2),
);
const CREATE_CMD: Spec = leaf(
    "create",
    RUN_USAGE,
    "Create a container without starting it",
    RUN,
    Cmd::Create,
    1,
    None,
)
.raw();
const DIFF_CMD: Spec = leaf(
    "diff",
    "CONTAINER",
    "List the files a container added, changed or deleted",
    &[],
    Cmd::Diff,
    1,
    Some(1),
);
const EXEC_CMD: Spec = leaf(
    "exec",
    "[OPTIONS] CONTAINER COMMAND [ARG...]",
    "Run a command in a running container",
    EXEC,
    Cmd::Exec,
    2,
    None,
)
.raw();
const LOGS_CMD: Spec = leaf(
    "logs",
    "[OPTIONS] CONTAINER",
    "Show a container's output",
    LOGS,
    Cmd::Logs,
    1,
    Some(1),
);
const RUN_CMD: Spec = leaf(
    "run",
    RUN_USAGE,
    "Create and start a container from an image",
    RUN,
    Cmd::Run,
    1,
    None,
)
.raw();
const START_CMD: Spec = leaf(
    "start",
    CONTAINERS,
    "Start stopped containers",
    START,
    Cmd::Start,
    1,
    None,
);
const STOP_CMD: Spec = leaf(
    "stop",
    CONTAINERS,
    "Stop running containers",
    STOP,
    Cmd::Stop,
    1,
    None,
);
const RUN_USAGE: &str = "[OPTIONS] IMAGE [COMMAND] [ARG...]";
const CONTAINERS: &str = "[OPTIONS] CONTAINER [CONTAINER...]";
const IMAGES_USAGE: &str = "[OPTIONS] [REPOSITORY[:TAG]]";
const RMI_USAGE: &str = "[OPTIONS] IMAGE [IMAGE...]";
const OPTIONS: &str = "[OPTIONS]";

const IMAGE: &[Spec] = &[
    BUILD_CMD,
    HISTORY_CMD,
    leaf(
        "inspect",
        "[OPTIONS] IMAGE [IMAGE...]",
        "Show images' details as JSON",
        IMAGE_INSPECT,
        Cmd::ImageInspect,
        1,
        None,
    ),
    LOAD_CMD,
    leaf("ls", IMAGES_USAGE, "List images", IMAGES, Cmd::Images, 0, Some(1)).aka(&["list"]),
    leaf(
        "prune",
        OPTIONS,
        "Remove dangling images (with -a, every image no container uses)",
        PRUNE,
        Cmd::Prune(PruneTarget::Images),
        0,
        Some(0),
    ),
    PULL_CMD,
    PUSH_CMD,
    leaf("rm", RMI_USAGE, "Remove images", RMI, Cmd::Rmi, 1, None).aka(&["rmi", "remove"]),
    TAG_CMD,
];

const CONTAINER: &[Spec] = &[
    COMMIT_CMD,
    CREATE_CMD,
    DIFF_CMD,
    EXEC_CMD,
    leaf(
        "inspect",
        CONTAINERS,
        "Show containers' details as JSON",
        CONTAINER_INSPECT,
        Cmd::ContainerInspect,
        1,
        None,
    ),
    LOGS_CMD,
    leaf("ls", OPTIONS, "List containers", PS, Cmd::Ps, 0, Some(0)).aka(&["list", "ps"]),
    leaf(
        "prune",
        OPTIONS,
        "Remove stopped containers",
        PRUNE,
        Cmd::Prune(PruneTarget::Containers),
        0,
        Some(0),
    ),
    leaf("rm", CONTAINERS, "Remove containers", RM, Cmd::Rm, 1, None).aka(&["remove"]),
    RUN_CMD,
    START_CMD,
    STOP_CMD,
];

const VOLUME: &[Spec] = &[
    leaf(
        "create",
        "[OPTIONS] [VOLUME]",
        "Create a volume",
        VOLUME_CREATE,
        Cmd::VolumeCreate,
        0,
        Some(1),
    ),
    leaf(
        "inspect",
        "[OPTIONS] VOLUME [VOLUME...]",
        "Show volumes' details as JSON",
        VOLUME_INSPECT,
        Cmd::VolumeInspect,
        1,
        None,
    ),
    leaf(
        "ls",
        OPTIONS,
        "List volumes",
        VOLUME_LS,
        Cmd::VolumeLs,
        0,
        Some(0),
    )
    .aka(&["list"]),
    leaf(
        "prune",
        OPTIONS,
        "Remove volumes no container uses",
        PRUNE,
        Cmd::Prune(PruneTarget::Volumes),
        0,
        Some(0),
    ),
    leaf(
        "rm",
        "[OPTIONS] VOLUME [VOLUME...]",
        "Remove volumes",
        VOLUME_RM,
        Cmd::VolumeRm,
        1,
        None,
    )
    .aka(&["remove"]),
];

const SYSTEM: &[Spec] = &[
    leaf(
        "df",
        OPTIONS,
        "Show how much disk images, containers, volumes and build cache use",
        SYSTEM_DF,
        Cmd::SystemDf,
        0,
        Some(0),
    ),
    leaf(
        "prune",
        OPTIONS,
        "Remove stopped containers, dangling images and unused build cache",
        PRUNE,
        Cmd::Prune(PruneTarget::System),
        0,
        Some(0),
    ),
];

const COMMANDS: &[Spec] = &[
    BUILD_CMD,
    COMMIT_CMD,
    group("container", "Manage containers", CONTAINER),
    CREATE_CMD,
    DIFF_CMD,
    EXEC_CMD,
    leaf(
        "help",
        "[COMMAND]",
        "Show help for a command",
        &[],
        Cmd::Help,
        0,
        None,
    ),
    HISTORY_CMD,
    group("image", "Manage images", IMAGE),
    leaf(
        "images",
        IMAGES_USAGE,
        "List images",
        IMAGES,
        Cmd::Images,
        0,
        Some(1),
    ),
    leaf(
        "inspect",
        "[OPTIONS] NAME|ID [NAME|ID...]",
        "Show low-level details of containers, images or volumes as JSON",
        INSPECT,
        Cmd::Inspect,
        1,
        None,
    ),
    LOAD_CMD,
    leaf(
        "login",
        "[OPTIONS] [SERVER]",
        "Log in to a registry",
        LOGIN,
        Cmd::Login,
        0,
        Some(1),
    ),
    LOGS_CMD,
    leaf("ps", OPTIONS, "List containers", PS, Cmd::Ps, 0, Some(0)),
    PULL_CMD,
    PUSH_CMD,
    leaf("rm", CONTAINERS, "Remove containers", RM, Cmd::Rm, 1, None),
    leaf("rmi", RMI_USAGE, "Remove images", RMI, Cmd::Rmi, 1, None),
    RUN_CMD,
    START_CMD,
    STOP_CMD,
    group("system", "Disk usage and other engine-wide views", SYSTEM),
    TAG_CMD,
    group("volume", "Manage volumes", VOLUME),
];

/// The whole grammar: `docker` (or `layerlab`) with the layerlab-only global flags. Its flags,
/// like a group's, end at the first operand, which names the command.
pub static ROOT: Spec = Spec {
    name: "docker",
    aliases: &[],
    usage: "[OPTIONS] COMMAND",
    summary: "layerlab: a docker-style command line over a container engine you can see into",
    flags: GLOBAL,
    body: Body::Group(COMMANDS),
};

/// The commands `docker --help` lists first, in this order, as Docker does.
pub const COMMON: &[&str] = &["run", "exec", "ps", "build", "pull", "push", "images", "login"];
