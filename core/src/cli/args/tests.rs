use super::*;
use proptest::prelude::*;

fn argv(line: &str) -> Vec<String> {
    split_line(line).expect("test lines split")
}

fn ok(line: &str) -> Command {
    parse(&argv(line)).unwrap_or_else(|e| panic!("{line}: {e}"))
}

fn err(line: &str) -> String {
    match parse(&argv(line)) {
        Ok(c) => panic!("{line} parsed as {c:?}"),
        Err(e) => {
            assert_eq!(e.exit_code(), 125);
            e.to_string()
        }
    }
}

#[test]
fn lines_split_like_a_shell() {
    assert_eq!(
        split_line(r#"docker exec demo sh -c 'echo "hi there" > /x' "a b" c\ d"#).expect("valid"),
        [
            "docker",
            "exec",
            "demo",
            "sh",
            "-c",
            "echo \"hi there\" > /x",
            "a b",
            "c d"
        ]
    );
    assert!(split_line("docker run 'oops").is_err());
    assert!(split_line("docker run \"oops").is_err());
}

#[test]
fn run_stops_reading_flags_at_the_image() {
    let Command::Run(r) = ok(
        "docker run -d --name demo --network none -e A=1 -e B=2 -m 512m --pids-limit -1 \
                              localhost:5000/demo/app:1.0 ls -l --color",
    ) else {
        panic!("not run")
    };
    assert!(r.detach);
    assert_eq!(r.name.as_deref(), Some("demo"));
    assert_eq!(r.network.as_deref(), Some("none"));
    assert_eq!(r.env, ["A=1", "B=2"]);
    assert_eq!(r.memory, Some(512 * 1024 * 1024));
    assert_eq!(r.pids_limit, Some(-1));
    assert_eq!(r.image, "localhost:5000/demo/app:1.0");
    assert_eq!(r.command, ["ls", "-l", "--color"]);

    let Command::Run(r) = ok("layerlab run -it --rm ubuntu:15.04") else {
        panic!("not run")
    };
    assert!(r.interactive && r.tty && r.rm);
    assert!(r.command.is_empty());

    let Command::Create(c) = ok("docker create -h box -v data:/data -w /app -u 1000 busybox") else {
        panic!("not create")
    };
    assert_eq!(c.hostname.as_deref(), Some("box"));
    assert_eq!(c.volumes, ["data:/data"]);
    assert_eq!(c.workdir.as_deref(), Some("/app"));
    assert_eq!(c.user.as_deref(), Some("1000"));
}

#[test]
fn exec_takes_container_then_command() {
    let Command::Exec(e) = ok("docker exec -it -e X=1 demo sh -c 'dd if=/dev/zero of=/f bs=1M count=1'")
    else {
        panic!("not exec")
    };
    assert!(e.interactive && e.tty);
    assert_eq!(e.container, "demo");
    assert_eq!(e.command, ["sh", "-c", "dd if=/dev/zero of=/f bs=1M count=1"]);
    assert_eq!(
        err("docker exec demo"),
        "\"docker exec\" requires at least 2 arguments.\nSee 'docker exec --help'.\n\nUsage:  docker exec [OPTIONS] \
         CONTAINER COMMAND [ARG...]\n\nRun a command in a running container"
    );
}

#[test]
fn listing_flags() {
    assert_eq!(
        ok("docker ps -as --no-trunc --format 'table {{.ID}}'"),
        Command::Ps(PsArgs {
            all: true,
            size: true,
            quiet: false,
            no_trunc: true,
            format: Some("table {{.ID}}".into())
        })
    );
    assert_eq!(
        ok("docker ps --format={{.Names}}"),
        Command::Ps(PsArgs {
            format: Some("{{.Names}}".into()),
            ..Default::default()
        })
    );
    assert!(matches!(
        ok("docker image ls -q"),
        Command::Images(ImagesArgs { quiet: true, .. })
    ));
    assert!(matches!(
        ok("docker images nginx"),
        Command::Images(ImagesArgs {
            repository: Some(_),
            ..
        })
    ));
    assert!(matches!(
        ok("docker system df -v"),
        Command::SystemDf(SystemDfArgs { verbose: true, .. })
    ));
    assert!(matches!(
        ok("docker volume ls -q"),
        Command::VolumeLs(VolumeLsArgs { quiet: true })
    ));
}

#[test]
fn history_takes_go_bools() {
    let Command::History { image, args } = ok("docker history -H=false --no-trunc nginx:1.15.8") else {
        panic!("not history")
    };
    assert_eq!(image, "nginx:1.15.8");
    assert!(!args.human && args.no_trunc);
    let Command::History { args, .. } = ok("docker image history nginx") else {
        panic!("not history")
    };
    assert!(args.human);
    let Command::History { args, .. } = ok("docker history --human=0 -q nginx") else {
        panic!("not history")
    };
    assert!(!args.human && args.quiet);
    assert_eq!(
        err("docker history -H=maybe nginx"),
        "invalid argument \"maybe\" for \"-H, --human\" flag: strconv.ParseBool: parsing \"maybe\": invalid \
         syntax\nSee 'docker history --help'."
    );
}

#[test]
fn image_and_volume_groups() {
    assert_eq!(
        ok("docker pull nginx"),
        Command::Pull {
            image: "nginx".into(),
            platform: None,
            quiet: false
        }
    );
    assert_eq!(
        ok("docker image pull --platform linux/arm64 nginx"),
        Command::Pull {
            image: "nginx".into(),
            platform: Some("linux/arm64".into()),
            quiet: false
        }
    );
    assert_eq!(
        ok("docker image push localhost:5000/demo/app:1.0"),
        Command::Push {
            image: "localhost:5000/demo/app:1.0".into(),
            quiet: false
        }
    );
    assert_eq!(
        ok("docker tag nginx mine:1"),
        Command::Tag {
            source: "nginx".into(),
            target: "mine:1".into()
        }
    );
    assert!(matches!(
        ok("docker image rm -f nginx ubuntu"),
        Command::Rmi(RmiArgs { force: true, .. })
    ));
    let Command::Inspect(i) = ok("docker image inspect -f '{{.Id}}' nginx") else {
        panic!("not inspect")
    };
    assert_eq!(i.kind.as_deref(), Some("image"));
    assert_eq!(i.format.as_deref(), Some("{{.Id}}"));
    assert_eq!(
        ok("docker volume create data"),
        Command::VolumeCreate {
            name: Some("data".into()),
            driver: None
        }
    );
    assert_eq!(
        ok("docker volume create"),
        Command::VolumeCreate {
            name: None,
            driver: None
        }
    );
    assert!(matches!(ok("docker volume rm a b"), Command::VolumeRm(_)));
    assert!(matches!(
        ok("docker volume inspect a"),
        Command::VolumeInspect { .. }
    ));
    assert_eq!(
        ok("docker diff demo"),
        Command::Diff {
            container: "demo".into()
        }
    );
    assert!(matches!(
        ok("docker commit demo mine:2"),
        Command::Commit {
            repository: Some(_),
            ..
        }
    ));
    let Command::Build { context, args } =
        ok("docker build -t app:1 -t app:latest -f Dockerfile.dev --build-arg V=1 .")
    else {
        panic!("not build")
    };
    assert_eq!(context, ".");
    assert_eq!(args.tag, ["app:1", "app:latest"]);
    assert_eq!(args.build_arg, ["V=1"]);
    assert!(matches!(ok("docker logs -n 5 demo"), Command::Logs { .. }));
    assert!(matches!(
        ok("docker login -u me --password-stdin localhost:5000"),
        Command::Login { server: Some(_), .. }
    ));
    assert!(matches!(
        ok("docker rm -f demo"),
        Command::Rm(RmArgs { force: true, .. })
    ));
    assert!(matches!(ok("docker stop -t 0 demo"), Command::Stop(_)));
    assert!(matches!(ok("docker start -a demo"), Command::Start(_)));
}

#[test]
fn global_flags_come_first() {
    let inv =
        parse_invocation(&argv("layerlab --engine sim --state /tmp/s.json --explain ps -a")).expect("valid");
    assert_eq!(inv.global.engine, Some(EngineKind::Sim));
    assert_eq!(inv.global.state.as_deref(), Some("/tmp/s.json"));
    assert!(inv.global.explain);
    assert!(matches!(inv.command, Command::Ps(PsArgs { all: true, .. })));
}

#[test]
fn errors_read_like_docker() {
    assert_eq!(
        err("docker ps --foo"),
        "unknown flag: --foo\nSee 'docker ps --help'."
    );
    assert_eq!(
        err("docker ps -x"),
        "unknown shorthand flag: 'x' in -x\nSee 'docker ps --help'."
    );
    assert_eq!(
        err("docker foo"),
        "docker: 'foo' is not a docker command.\nSee 'docker --help'"
    );
    assert_eq!(
        err("docker image frob"),
        "docker: 'image frob' is not a docker command.\nSee 'docker --help'"
    );
    assert_eq!(
        err("docker run"),
        "\"docker run\" requires at least 1 argument.\nSee 'docker run --help'.\n\nUsage:  docker run [OPTIONS] IMAGE \
         [COMMAND] [ARG...]\n\nCreate and start a container from an image"
    );
    assert!(err("docker tag a").starts_with("\"docker tag\" requires exactly 2 arguments."));
    assert!(err("docker history").starts_with("\"docker history\" requires exactly 1 argument."));
    assert!(
        err("docker ps extra").starts_with("\"docker ps\" accepts no arguments.\nSee 'docker ps --help'.")
    );
    assert_eq!(
        err("docker run --name"),
        "flag needs an argument: --name\nSee 'docker run --help'."
    );
    assert_eq!(
        err("docker run -m 12x nginx"),
        "invalid argument \"12x\" for \"-m, --memory\" flag: invalid size: '12x'\nSee 'docker run --help'."
    );
    // pflag names the rest of the short group from the unknown letter on, as `docker ps -ax` does.
    assert_eq!(
        err("docker ps -ax"),
        "unknown shorthand flag: 'x' in -x\nSee 'docker ps --help'."
    );
    assert_eq!(
        err("docker ps -xa"),
        "unknown shorthand flag: 'x' in -xa\nSee 'docker ps --help'."
    );
    assert!(matches!(parse(&argv("ls -l")), Err(UsageError::NotDocker { .. })));
    assert!(matches!(parse(&[]), Err(UsageError::NotDocker { first: None })));
}

#[test]
fn help_is_not_an_error() {
    for line in [
        "docker --help",
        "docker",
        "docker help",
        "docker help ps",
        "docker ps --help",
        "docker run --help",
        "docker image",
        "docker volume --help",
    ] {
        match ok(line) {
            Command::Help { text } => assert!(text.contains("Usage"), "{line}: {text}"),
            other => panic!("{line}: {other:?}"),
        }
    }
}

proptest! {
    #[test]
    fn any_line_parses_or_errs(line in "\\PC{0,60}") {
        if let Ok(words) = split_line(&line) {
            let _ = parse(&words);
            let mut with_docker = vec!["docker".to_string()];
            with_docker.extend(words);
            let _ = parse(&with_docker);
        }
    }

    #[test]
    fn any_argv_parses_or_errs(words in proptest::collection::vec(
        prop_oneof![
            Just("run".to_string()), Just("ps".to_string()), Just("-a".to_string()), Just("--format".to_string()),
            Just("image".to_string()), Just("-H=false".to_string()), Just("--".to_string()), "\\PC{0,8}"
        ],
        0..8,
    )) {
        let mut argv = vec!["docker".to_string()];
        argv.extend(words);
        let _ = parse(&argv);
    }
}

#[test]
fn container_group_spells_the_same_commands() {
    let Command::Inspect(i) = ok("docker container inspect --size demo") else {
        panic!("not inspect")
    };
    assert_eq!(i.kind.as_deref(), Some("container"));
    assert!(i.size);
    assert!(matches!(
        ok("docker container ls -as"),
        Command::Ps(PsArgs {
            all: true,
            size: true,
            ..
        })
    ));
    assert!(matches!(ok("docker container ps"), Command::Ps(_)));
    assert_eq!(
        ok("docker container diff demo"),
        Command::Diff {
            container: "demo".into()
        }
    );
    assert!(matches!(
        ok("docker container run -d busybox sleep 9"),
        Command::Run(RunArgs { detach: true, .. })
    ));
    assert!(matches!(
        ok("docker container rm -f demo"),
        Command::Rm(RmArgs { force: true, .. })
    ));
    assert!(
        err("docker container exec demo")
            .starts_with("\"docker container exec\" requires at least 2 arguments.")
    );
    assert_eq!(
        err("docker container frob"),
        "docker: 'container frob' is not a docker command.\nSee 'docker --help'"
    );
    assert_eq!(
        err("docker container ls --bogus"),
        "unknown flag: --bogus\nSee 'docker container ls --help'."
    );
}

#[test]
fn prunes() {
    assert_eq!(
        ok("docker system prune -af --volumes"),
        Command::Prune {
            target: PruneTarget::System,
            args: PruneArgs {
                all: true,
                force: true,
                volumes: true
            }
        }
    );
    assert!(matches!(
        ok("docker container prune -f"),
        Command::Prune {
            target: PruneTarget::Containers,
            ..
        }
    ));
    assert!(matches!(
        ok("docker image prune -a"),
        Command::Prune {
            target: PruneTarget::Images,
            ..
        }
    ));
    assert!(matches!(
        ok("docker volume prune"),
        Command::Prune {
            target: PruneTarget::Volumes,
            ..
        }
    ));
}
