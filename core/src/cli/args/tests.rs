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

#[test]
fn short_flags_group_and_take_values_attached_or_next() {
    let Command::Run(r) = ok("docker run -dit -m512m --name=web nginx") else {
        panic!("not run")
    };
    assert!(r.detach && r.interactive && r.tty);
    assert_eq!(r.memory, Some(512 * 1024 * 1024));
    assert_eq!(r.name.as_deref(), Some("web"));
    // A value flag at the end of a group takes the next word; `-x=value` drops the `=`.
    let Command::Run(r) = ok("docker run -dm 1g -w=/srv nginx") else {
        panic!("not run")
    };
    assert!(r.detach);
    assert_eq!(r.memory, Some(1 << 30));
    assert_eq!(r.workdir.as_deref(), Some("/srv"));
    // A value flag takes the next word even when it starts with a dash, as pflag does.
    let Command::Run(r) = ok("docker run --name -x -e -y nginx") else {
        panic!("not run")
    };
    assert_eq!(r.name.as_deref(), Some("-x"));
    assert_eq!(r.env, ["-y"]);
    let Command::Stop(s) = ok("docker stop -t -1 demo") else {
        panic!("not stop")
    };
    assert_eq!(s.time, Some(-1));
}

#[test]
fn bool_flags_take_go_bools_after_an_equals_sign() {
    assert_eq!(
        ok("docker ps --all=false -s=true"),
        Command::Ps(PsArgs {
            size: true,
            ..Default::default()
        })
    );
    assert_eq!(
        ok("docker ps -a --all=0"),
        Command::Ps(PsArgs::default()),
        "the last value given wins"
    );
    let Command::History { args, .. } = ok("docker history -qH=false nginx") else {
        panic!("not history")
    };
    assert!(args.quiet && !args.human);
    let Command::History { args, .. } = ok("docker history -H=false -H nginx") else {
        panic!("not history")
    };
    assert!(args.human);
    assert_eq!(
        err("docker ps --all=maybe"),
        "invalid argument \"maybe\" for \"-a, --all\" flag: strconv.ParseBool: parsing \"maybe\": invalid \
         syntax\nSee 'docker ps --help'."
    );
    // A bare `=` after a bool letter is read as the next letter, as `docker ps -a=` does.
    assert_eq!(
        err("docker ps -a="),
        "unknown shorthand flag: '=' in -=\nSee 'docker ps --help'."
    );
}

#[test]
fn repeated_flags_collect_and_single_ones_keep_the_last() {
    let Command::Run(r) = ok(
        "docker run -v a:/a --volume b:/b --log-opt max-size=1m --log-opt max-file=2 -e A=1 --env=B=2 \
         --name one --name two busybox",
    ) else {
        panic!("not run")
    };
    assert_eq!(r.volumes, ["a:/a", "b:/b"]);
    assert_eq!(r.log_opt, ["max-size=1m", "max-file=2"]);
    assert_eq!(r.env, ["A=1", "B=2"]);
    assert_eq!(r.name.as_deref(), Some("two"));
    let Command::Commit { args, .. } = ok("docker commit -c 'CMD [\"sh\"]' -c 'ENV A=1' demo") else {
        panic!("not commit")
    };
    assert_eq!(args.change, ["CMD [\"sh\"]", "ENV A=1"]);
}

#[test]
fn double_dash_ends_the_flags() {
    assert_eq!(
        ok("docker rm -f -- -odd --name"),
        Command::Rm(RmArgs {
            force: true,
            volumes: false,
            containers: vec!["-odd".into(), "--name".into()],
        })
    );
    let Command::Run(r) = ok("docker run -d -- busybox ls") else {
        panic!("not run")
    };
    assert_eq!(
        (r.image.as_str(), r.command.as_slice()),
        ("busybox", &["ls".to_string()][..])
    );
    // After the image, `--` belongs to the container's command.
    let Command::Run(r) = ok("docker run busybox -- ls") else {
        panic!("not run")
    };
    assert_eq!(r.command, ["--", "ls"]);
    assert!(err("docker ps -- -a").starts_with("\"docker ps\" accepts no arguments."));
}

#[test]
fn flags_may_follow_operands_except_for_run_create_and_exec() {
    assert!(matches!(
        ok("docker rm demo -f"),
        Command::Rm(RmArgs { force: true, .. })
    ));
    let Command::History { image, args } = ok("docker history nginx -H=false") else {
        panic!("not history")
    };
    assert_eq!(image, "nginx");
    assert!(!args.human);
    let Command::Run(r) = ok("docker run busybox --help -d") else {
        panic!("not run")
    };
    assert!(!r.detach);
    assert_eq!(r.command, ["--help", "-d"]);
    let Command::Create(c) = ok("docker create busybox -m 1g") else {
        panic!("not create")
    };
    assert_eq!((c.memory, c.command.len()), (None, 2));
    let Command::Exec(e) = ok("docker exec demo ls -la --help") else {
        panic!("not exec")
    };
    assert_eq!(e.command, ["ls", "-la", "--help"]);
}

#[test]
fn aliases_name_the_same_commands() {
    for (line, expected) in [
        ("docker image list", ok("docker images")),
        ("docker image ls", ok("docker images")),
        ("docker container list -a", ok("docker ps -a")),
        ("docker container ps -a", ok("docker ps -a")),
        ("docker image remove nginx", ok("docker rmi nginx")),
        ("docker image rmi nginx", ok("docker rmi nginx")),
        ("docker container remove demo", ok("docker rm demo")),
        ("docker volume list -q", ok("docker volume ls -q")),
        ("docker volume remove -f data", ok("docker volume rm -f data")),
        ("docker image load -i a.tar", ok("docker load --input a.tar")),
        ("docker image build -t x .", ok("docker build --tag x .")),
        ("docker container logs -n 3 demo", ok("docker logs --tail 3 demo")),
        ("docker container commit demo x", ok("docker commit demo x")),
    ] {
        assert_eq!(ok(line), expected, "{line}");
    }
    // Errors name the command by its own name, as Docker does, not by the alias typed.
    assert_eq!(
        err("docker image list --bogus"),
        "unknown flag: --bogus\nSee 'docker image ls --help'."
    );
    assert_eq!(
        err("docker container ps -z"),
        "unknown shorthand flag: 'z' in -z\nSee 'docker container ls --help'."
    );
}

#[test]
fn help_is_found_at_every_level() {
    let help = |line: &str| match ok(line) {
        Command::Help { text } => text,
        other => panic!("{line}: {other:?}"),
    };
    let root = help("docker --help");
    assert_eq!(root, help("docker"));
    assert_eq!(root, help("docker -h"));
    assert_eq!(root, help("layerlab --engine sim"));
    assert!(root.starts_with("Usage:  docker [OPTIONS] COMMAND\n"), "{root}");
    for part in [
        "\nCommon Commands:\n  run         Create and start a container from an image\n",
        "\nManagement Commands:\n  container   Manage containers\n  image       Manage images\n",
        "\nCommands:\n  commit      ",
        "\nGlobal Options:\n      --engine string   ",
        "\nRun 'docker COMMAND --help' for more information on a command.\n",
    ] {
        assert!(root.contains(part), "{part:?} missing from:\n{root}");
    }
    let image = help("docker image");
    assert_eq!(image, help("docker image --help"));
    assert_eq!(image, help("docker help image"));
    assert!(image.starts_with("Usage:  docker image COMMAND\n\nManage images\n\nCommands:\n"));
    assert!(image.contains("\n  ls          List images\n"), "{image}");

    let ls = help("docker image ls --help");
    assert_eq!(ls, help("docker image list -h"));
    assert_eq!(ls, help("docker help image ls"));
    assert!(
        ls.starts_with("Usage:  docker image ls [OPTIONS] [REPOSITORY[:TAG]]\n"),
        "{ls}"
    );
    assert!(
        ls.contains("Aliases:\n  docker image ls, docker image list, docker images\n"),
        "{ls}"
    );
    assert!(
        ls.contains("\n  -q, --quiet           Print only image IDs\n"),
        "{ls}"
    );

    let run = help("docker run --help");
    assert!(
        run.contains("\n  -m, --memory bytes        Memory limit"),
        "{run}"
    );
    assert!(run.contains("\n  -e, --env list            Set"), "{run}");
    assert!(run.contains("\n      --pids-limit int      Most"), "{run}");
    let history = help("docker history --help -q");
    assert!(history.contains("RFC 3339 times) (default true)\n"), "{history}");
    // `--help=false` is no request for help; `run -h` is the host name.
    assert!(matches!(ok("docker ps --help=false"), Command::Ps(_)));
    let Command::Run(r) = ok("docker run -h box busybox") else {
        panic!("not run")
    };
    assert_eq!(r.hostname.as_deref(), Some("box"));
    assert_eq!(
        err("docker run -h"),
        "flag needs an argument: 'h' in -h\nSee 'docker run --help'."
    );
    // A bad flag is reported even next to --help, as pflag reads all flags first.
    assert_eq!(
        err("docker ps --help --bogus"),
        "unknown flag: --bogus\nSee 'docker ps --help'."
    );
    assert_eq!(
        err("docker help frob"),
        "docker: 'frob' is not a docker command.\nSee 'docker --help'"
    );
    assert_eq!(
        err("docker help image frob"),
        "docker: 'image frob' is not a docker command.\nSee 'docker --help'"
    );
}

#[test]
fn flag_errors_use_pflag_wording() {
    assert_eq!(
        err("docker ps --foo=bar"),
        "unknown flag: --foo\nSee 'docker ps --help'."
    );
    assert_eq!(
        err("docker --bogus ps"),
        "unknown flag: --bogus\nSee 'docker --help'."
    );
    assert_eq!(
        err("docker image --bogus"),
        "unknown flag: --bogus\nSee 'docker image --help'."
    );
    assert_eq!(
        err("docker ps ---all"),
        "bad flag syntax: ---all\nSee 'docker ps --help'."
    );
    assert_eq!(
        err("docker ps --=x"),
        "bad flag syntax: --=x\nSee 'docker ps --help'."
    );
    assert_eq!(
        err("docker run -dm"),
        "flag needs an argument: 'm' in -m\nSee 'docker run --help'."
    );
    assert_eq!(
        err("docker ps --format"),
        "flag needs an argument: --format\nSee 'docker ps --help'."
    );
    assert_eq!(
        err("docker stop -t soon demo"),
        "invalid argument \"soon\" for \"-t, --time\" flag: strconv.ParseInt: parsing \"soon\": invalid \
         syntax\nSee 'docker stop --help'."
    );
    assert_eq!(
        err("docker run --pids-limit 99999999999999999999 busybox"),
        "invalid argument \"99999999999999999999\" for \"--pids-limit\" flag: strconv.ParseInt: parsing \
         \"99999999999999999999\": value out of range\nSee 'docker run --help'."
    );
    // The value is checked as it is read, before the missing image is noticed.
    assert!(err("docker run -m lots").starts_with("invalid argument \"lots\" for \"-m, --memory\" flag"));
    assert_eq!(
        err("docker ps -é"),
        "unknown shorthand flag: 'é' in -é\nSee 'docker ps --help'."
    );
    assert_eq!(
        err("layerlab --engine vm ps"),
        "invalid argument \"vm\" for \"--engine\" flag: the engines are sim and native\nSee 'docker --help'."
    );
}

#[test]
fn operand_counts_read_like_docker() {
    assert_eq!(
        err("docker ps extra"),
        "\"docker ps\" accepts no arguments.\nSee 'docker ps --help'.\n\nUsage:  docker ps [OPTIONS]\n\nList containers"
    );
    assert_eq!(
        err("docker images a b"),
        "\"docker images\" requires at most 1 argument.\nSee 'docker images --help'.\n\nUsage:  docker images \
         [OPTIONS] [REPOSITORY[:TAG]]\n\nList images"
    );
    assert!(
        err("docker commit a b c")
            .starts_with("\"docker commit\" requires at least 1 and at most 2 arguments.\n")
    );
    assert!(
        err("docker container ls x").starts_with(
            "\"docker container ls\" accepts no arguments.\nSee 'docker container ls --help'.\n\nUsage:  docker container ls [OPTIONS]"
        )
    );
    assert!(err("docker volume rm").starts_with("\"docker volume rm\" requires at least 1 argument.\n"));
    assert!(err("docker system df x").starts_with("\"docker system df\" accepts no arguments."));
}

#[test]
fn global_flags_take_both_spellings() {
    let inv = parse_invocation(&argv(
        "/usr/bin/layerlab --engine=native --root /srv/ll --explain=false rmi x",
    ))
    .expect("valid");
    assert_eq!(
        inv.global,
        GlobalOptions {
            engine: Some(EngineKind::Native),
            state: None,
            root: Some("/srv/ll".into()),
            explain: false,
        }
    );
    assert!(matches!(inv.command, Command::Rmi(_)));
    // Global flags belong before the command; after it they are the command's.
    assert_eq!(
        err("docker ps --explain"),
        "unknown flag: --explain\nSee 'docker ps --help'."
    );
}

proptest! {
    /// Whatever follows the image is the container's command, untouched.
    #[test]
    fn run_passes_its_command_through(words in proptest::collection::vec("\\PC{0,6}", 0..6)) {
        let mut argv = vec!["docker".to_string(), "run".to_string(), "-d".to_string(), "busybox".to_string()];
        argv.extend(words.iter().cloned());
        match parse(&argv) {
            Ok(Command::Run(r)) => {
                prop_assert_eq!(r.image, "busybox");
                prop_assert_eq!(r.command, words);
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }

    /// Any mix of real flags, commands and noise is a command, help or a usage error.
    #[test]
    fn flag_soup_never_panics(words in proptest::collection::vec(
        prop_oneof![
            Just("container".to_string()), Just("image".to_string()), Just("volume".to_string()),
            Just("system".to_string()), Just("help".to_string()), Just("ls".to_string()),
            Just("rm".to_string()), Just("history".to_string()), Just("exec".to_string()),
            Just("-h".to_string()), Just("--help".to_string()), Just("-m".to_string()),
            Just("-aqs".to_string()), Just("--pids-limit".to_string()), Just("-t".to_string()),
            Just("-é=".to_string()), Just("--format=".to_string()), Just("-=".to_string()),
            Just("---".to_string()), Just("--engine".to_string()), "-{1,2}\\PC{0,5}", "\\PC{0,6}"
        ],
        0..9,
    )) {
        let mut argv = vec!["docker".to_string()];
        argv.extend(words);
        match parse(&argv) {
            Ok(Command::Help { text }) => prop_assert!(text.starts_with("Usage:  docker"), "{}", text),
            Ok(_) => {}
            Err(e) => prop_assert_eq!(e.exit_code(), 125),
        }
    }
}

/// Every flag in the table reaches the typed command: setting it changes what is parsed. This
/// catches a conversion that reads a flag under the wrong name.
#[test]
fn every_flag_in_the_table_is_read() {
    use super::super::grammar::{Body, Kind, ROOT, Spec};
    // Accepted for Docker's sake but meaningless here: the simulator prints no load progress.
    let ignored = [("docker load", "quiet"), ("docker image load", "quiet")];
    let mut todo: Vec<(String, &'static Spec)> = vec![("docker".to_string(), &ROOT)];
    let mut checked = 0;
    while let Some((path, spec)) = todo.pop() {
        let (min, cmd) = match spec.body {
            Body::Group(children) => {
                todo.extend(children.iter().map(|c| (format!("{path} {}", c.name), c)));
                continue;
            }
            Body::Leaf { operands, cmd, .. } => (operands.min, cmd),
        };
        if cmd == super::super::grammar::Cmd::Help {
            continue;
        }
        let operands = vec!["x".to_string(); min];
        let line = |flags: &[String]| {
            let mut argv: Vec<String> = path.split(' ').map(str::to_string).collect();
            argv.extend(flags.iter().cloned());
            argv.extend(operands.iter().cloned());
            parse(&argv).unwrap_or_else(|e| panic!("{path} {flags:?}: {e}"))
        };
        let plain = line(&[]);
        for f in spec.flags {
            if ignored.contains(&(path.as_str(), f.long)) {
                continue;
            }
            let flags = match f.kind {
                Kind::Bool => vec![format!("--{}", f.long)],
                Kind::BoolOn => vec![format!("--{}=false", f.long)],
                Kind::Text | Kind::List => vec![format!("--{}", f.long), "v".to_string()],
                Kind::Int => vec![format!("--{}", f.long), "7".to_string()],
                Kind::Bytes => vec![format!("--{}", f.long), "1k".to_string()],
            };
            assert_ne!(line(&flags), plain, "{path} --{} changes nothing", f.long);
            checked += 1;
        }
    }
    assert!(checked > 80, "only {checked} flags checked");
}

#[test]
fn command_names_are_the_tables_and_each_parses() {
    let names = command_names();
    let (run, subs) = names.iter().find(|(n, _)| *n == "run").expect("run is a command");
    assert_eq!(*run, "run");
    assert!(subs.is_empty());
    let image = names.iter().find(|(n, _)| *n == "image").map(|(_, s)| s.clone());
    assert!(image.is_some_and(|s| s.contains(&"ls") && !s.contains(&"list")), "aliases are left out");
    for (name, subs) in &names {
        let lines: Vec<Vec<String>> = if subs.is_empty() {
            vec![vec!["docker".into(), (*name).into(), "--help".into()]]
        } else {
            subs.iter()
                .map(|s| vec!["docker".into(), (*name).into(), (*s).into(), "--help".into()])
                .collect()
        };
        for line in lines {
            assert!(matches!(parse(&line), Ok(Command::Help { .. })), "{line:?}");
        }
    }
}

#[test]
fn takes_value_follows_the_flag_table() {
    assert!(takes_value("run", "--name"));
    assert!(takes_value("run", "-e"));
    assert!(takes_value("container run", "-v"));
    assert!(!takes_value("run", "--name=web"));
    assert!(!takes_value("run", "-d"));
    assert!(!takes_value("run", "--rm"));
    assert!(takes_value("run", "-de"), "the last letter of a group takes the next word");
    assert!(!takes_value("run", "-eA=1"), "a letter in the middle takes the rest of the word");
    assert!(!takes_value("run", "-it"));
    assert!(takes_value("stop", "-t"));
    assert!(!takes_value("nosuch", "-e"));
    assert!(!takes_value("run", "web"));
}
