//! Golden tests: the renderers against what Docker printed in `reference/docker-semantics.md`.
//!
//! The reference transcripts were saved with trailing spaces and blank lines removed. Docker's
//! tabwriter does pad an empty last-but-one cell (`history` rows without a comment) and `system df
//! -v` does print blank lines between sections, so those goldens are compared twice: exactly
//! against Docker's bytes as its source produces them, and, after the same clean-up, against the
//! transcript verbatim.

use super::*;

/// 2024-01-01T00:00:00Z, when the demo image's layers were made.
const BUILT: i64 = 1_704_067_200;
/// Late 2026: the demo image is "2 years ago".
const NOW: i64 = 1_795_000_000;

fn digest(prefix: &str) -> Digest {
    let hex = format!("{prefix}{}", "0".repeat(64 - prefix.len()));
    format!("sha256:{hex}").parse().expect("test digest")
}

fn app_id() -> Digest {
    "sha256:9bc4736f746650153528fe960013c1baa615a385e00473a91d7e256e3d88021f"
        .parse()
        .expect("id")
}

/// Drops trailing spaces and blank lines, as the reference transcripts were saved.
fn as_transcribed(text: &str) -> String {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect()
}

fn demo_container(now: i64) -> ContainerRow {
    ContainerRow {
        id: format!("f603622e49a1{}", "7".repeat(52)),
        image: "localhost:5000/demo/app:1.0".into(),
        command: "sleep 3600".into(),
        created: now,
        status: ContainerStatus::Running { started_at: now },
        ports: String::new(),
        names: vec!["demo".into()],
        size_rw: Some(1_048_654),
        size_root_fs: Some(8_276_097),
        local_volumes: 0,
    }
}

// Layer sizes of demo/app:1.0 (sum of file sizes): they add up to the image's 7,227,443 bytes.
const L1: u64 = 1_984_000;
const L2: u64 = 5_243_361;
const L3: u64 = 58;
const L4: u64 = 24;

fn demo_history() -> Vec<HistoryRow> {
    let row = |id: Option<Digest>, created_by: &str, size: u64| HistoryRow {
        id,
        created: BUILT,
        created_by: created_by.into(),
        size,
        comment: String::new(),
    };
    vec![
        row(Some(app_id()), "/bin/sh -c #(nop)  CMD [\"/app/app.sh\"]", 0),
        row(
            None,
            "/bin/sh -c rm -rf /etc/demo.d && mkdir /etc/demo.d && echo ... > /etc/demo.d/app.conf",
            L4,
        ),
        row(
            None,
            "/bin/sh -c echo \"modified by RUN in layer 3\" >> /etc/motd && rm /etc/banner.txt && rm -rf /var/cache/demo",
            L3,
        ),
        row(None, "COPY app/ /app/ # buildkit", L2),
        row(None, "/bin/sh -c #(nop)  CMD [\"sh\"]", 0),
        row(None, "ADD busybox-rootfs.tar / # busybox-static 1.35.0", L1),
    ]
}

#[test]
fn history_matches_docker() {
    let out = history(&demo_history(), &HistoryOptions::default(), NOW).expect("renders");
    let transcript = "\
IMAGE          CREATED       CREATED BY                                      SIZE      COMMENT
9bc4736f7466   2 years ago   /bin/sh -c #(nop)  CMD [\"/app/app.sh\"]          0B
<missing>      2 years ago   /bin/sh -c rm -rf /etc/demo.d && mkdir /etc/…   24B
<missing>      2 years ago   /bin/sh -c echo \"modified by RUN in layer 3\"…   58B
<missing>      2 years ago   COPY app/ /app/ # buildkit                      5.24MB
<missing>      2 years ago   /bin/sh -c #(nop)  CMD [\"sh\"]                   0B
<missing>      2 years ago   ADD busybox-rootfs.tar / # busybox-static 1.…   1.98MB
";
    assert_eq!(as_transcribed(&out), transcript);
    // The SIZE cell is tab-ended, so Docker pads it even with no comment after it.
    assert!(out.contains("[\"sh\"]                   0B        \n"), "{out}");
}

#[test]
fn buildkit_history_matches_docker() {
    let now = BUILT + 49 * 86_400 + 300;
    let rows = vec![
        HistoryRow {
            id: Some(digest("da3cf8df55ee")),
            created: now - 300,
            created_by: "RUN /bin/sh -c apk add --no-cache bash # buildkit".into(),
            size: 2_150_000,
            comment: "buildkit.dockerfile.v0".into(),
        },
        HistoryRow {
            id: None,
            created: BUILT,
            created_by: "/bin/sh -c #(nop)  CMD [\"/bin/sh\"]".into(),
            size: 0,
            comment: String::new(),
        },
        HistoryRow {
            id: None,
            created: BUILT,
            created_by: "/bin/sh -c #(nop) ADD file:f278386b0cef68136129f5f58c52445590a417b624d62bca158d4dc926c340df in / "
                .into(),
            size: 5_600_000,
            comment: String::new(),
        },
    ];
    let out = history(&rows, &HistoryOptions::default(), now).expect("renders");
    let transcript = "\
IMAGE          CREATED         CREATED BY                                      SIZE      COMMENT
da3cf8df55ee   5 minutes ago   RUN /bin/sh -c apk add --no-cache bash # bui…   2.15MB    buildkit.dockerfile.v0
<missing>      7 weeks ago     /bin/sh -c #(nop)  CMD [\"/bin/sh\"]              0B
<missing>      7 weeks ago     /bin/sh -c #(nop) ADD file:f278386b0cef68136…   5.6MB
";
    assert_eq!(as_transcribed(&out), transcript);
}

#[test]
fn history_variants() {
    let rows = demo_history();
    let raw = history(
        &rows,
        &HistoryOptions {
            human: false,
            ..Default::default()
        },
        NOW,
    )
    .expect("renders");
    let mut lines = raw.lines();
    assert_eq!(
        lines.next().map(str::trim_end),
        Some(
            "IMAGE          CREATED AT             CREATED BY                                      SIZE      COMMENT"
        )
    );
    assert_eq!(
        lines.nth(1).map(str::trim_end),
        Some("<missing>      2024-01-01T00:00:00Z   /bin/sh -c rm -rf /etc/demo.d && mkdir /etc/…   24")
    );
    assert!(raw.contains("5243361"), "{raw}");

    let quiet = history(
        &rows,
        &HistoryOptions {
            quiet: true,
            ..Default::default()
        },
        NOW,
    )
    .expect("renders");
    assert_eq!(
        quiet,
        "9bc4736f7466\n<missing>\n<missing>\n<missing>\n<missing>\n<missing>\n"
    );

    let full = history(
        &rows,
        &HistoryOptions {
            no_trunc: true,
            ..Default::default()
        },
        NOW,
    )
    .expect("renders");
    assert!(full.contains(&app_id().to_string()));
    assert!(full.contains("&& rm -rf /var/cache/demo "), "{full}");

    // Reproducible builds stamp 1970 or 2000: Docker leaves CREATED empty for those.
    let mut old = rows[..1].to_vec();
    old[0].created = 0;
    let out = history(&old, &HistoryOptions::default(), NOW).expect("renders");
    assert_eq!(
        as_transcribed(&out),
        "IMAGE          CREATED   CREATED BY                               SIZE      COMMENT\n\
         9bc4736f7466             /bin/sh -c #(nop)  CMD [\"/app/app.sh\"]   0B\n"
    );
}

#[test]
fn ps_all_size_matches_docker() {
    let opts = PsOptions {
        size: true,
        ..Default::default()
    };
    let out = ps(&[demo_container(NOW)], &opts, NOW).expect("renders");
    assert_eq!(
        out,
        "CONTAINER ID   IMAGE                         COMMAND        CREATED                  STATUS                  PORTS     NAMES     SIZE
f603622e49a1   localhost:5000/demo/app:1.0   \"sleep 3600\"   Less than a second ago   Up Less than a second             demo      1.05MB (virtual 8.28MB)
"
    );
}

#[test]
fn ps_custom_table_matches_docker_docs() {
    let row = ContainerRow {
        id: format!("3ed3c1a10430{}", "0".repeat(52)),
        image: "acme/my-final-image:1.0".into(),
        names: vec!["my_container_3".into()],
        size_rw: Some(5),
        size_root_fs: Some(7_750_000),
        ..demo_container(NOW)
    };
    let opts = PsOptions {
        size: true,
        format: Some("table {{.ID}}\\t{{.Image}}\\t{{.Names}}\\t{{.Size}}".into()),
        ..Default::default()
    };
    assert_eq!(
        ps(&[row], &opts, NOW).expect("renders"),
        "CONTAINER ID   IMAGE                     NAMES            SIZE
3ed3c1a10430   acme/my-final-image:1.0   my_container_3   5B (virtual 7.75MB)
"
    );
}

#[test]
fn ps_variants() {
    let mut nginx = demo_container(NOW);
    nginx.command = "nginx -g 'daemon off;'".into();
    nginx.status = ContainerStatus::Exited {
        code: 0,
        finished_at: NOW - 120,
    };
    nginx.created = NOW - 600;
    nginx.names = vec!["web".into()];
    let out = ps(&[nginx.clone()], &PsOptions::default(), NOW).expect("renders");
    assert_eq!(
        out,
        "CONTAINER ID   IMAGE                         COMMAND                  CREATED          STATUS                     PORTS     NAMES
f603622e49a1   localhost:5000/demo/app:1.0   \"nginx -g 'daemon of…\"   10 minutes ago   Exited (0) 2 minutes ago             web
"
    );
    let quiet = ps(
        &[nginx.clone()],
        &PsOptions {
            quiet: true,
            ..Default::default()
        },
        NOW,
    )
    .expect("renders");
    assert_eq!(quiet, "f603622e49a1\n");
    let full = ps(
        &[nginx.clone()],
        &PsOptions {
            no_trunc: true,
            quiet: true,
            ..Default::default()
        },
        NOW,
    )
    .expect("renders");
    assert_eq!(full, format!("{}\n", nginx.id));
    let custom = PsOptions {
        format: Some("{{.Names}} {{.Status}} {{.CreatedAt}}".into()),
        ..Default::default()
    };
    assert_eq!(
        ps(&[nginx.clone()], &custom, NOW).expect("renders"),
        "web Exited (0) 2 minutes ago 2026-11-18 10:56:40 +0000 UTC\n"
    );
    let bad = PsOptions {
        format: Some("{{.Nope}}".into()),
        ..Default::default()
    };
    assert!(ps(&[nginx], &bad, NOW).is_err());
    assert_eq!(ContainerStatus::Created.describe(NOW), "Created");
    assert_eq!(
        ContainerStatus::Paused {
            started_at: NOW - 3600
        }
        .describe(NOW),
        "Up About an hour (Paused)"
    );
}

#[test]
fn images_match_docker() {
    let rows = [ImageRow {
        repository: Some("localhost:5000/demo/app".into()),
        tag: Some("1.0".into()),
        id: app_id(),
        created: BUILT,
        size: L1 + L2 + L3 + L4,
    }];
    assert_eq!(L1 + L2 + L3 + L4, 7_227_443);
    let out = images(&rows, &ImagesOptions::default(), NOW).expect("renders");
    assert_eq!(
        out,
        "REPOSITORY                TAG       IMAGE ID       CREATED       SIZE
localhost:5000/demo/app   1.0       9bc4736f7466   2 years ago   7.23MB
"
    );
    let quiet = images(
        &rows,
        &ImagesOptions {
            quiet: true,
            ..Default::default()
        },
        NOW,
    )
    .expect("renders");
    assert_eq!(quiet, "9bc4736f7466\n");
    let dangling = ImageRow {
        repository: None,
        tag: None,
        ..rows[0].clone()
    };
    let out = images(&[dangling], &ImagesOptions::default(), NOW).expect("renders");
    assert!(out.contains("<none>       <none>    9bc4736f7466"), "{out}");
}

#[test]
fn system_df_matches_docker() {
    let summary = DfSummary {
        images: DfRow {
            total: 1,
            active: 1,
            size: 7_227_443,
            reclaimable: 0,
        },
        containers: DfRow {
            total: 1,
            active: 1,
            size: 1_048_654,
            reclaimable: 0,
        },
        volumes: DfRow::default(),
        build_cache: DfRow::default(),
    };
    assert_eq!(
        system_df(&summary),
        "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE
Images          1         1         7.227MB   0B (0%)
Containers      1         1         1.049MB   0B (0%)
Local Volumes   0         0         0B        0B
Build Cache     0         0         0B        0B
"
    );
    // Percentages are rounded down.
    let partly = DfSummary {
        images: DfRow {
            total: 3,
            active: 1,
            size: 3_000,
            reclaimable: 1_999,
        },
        ..summary
    };
    assert!(
        system_df(&partly).contains("1.999kB (66%)"),
        "{}",
        system_df(&partly)
    );
}

#[test]
fn system_df_verbose_matches_docker() {
    let base_id: Digest = format!("sha256:731091e65949{}", "1".repeat(52))
        .parse()
        .expect("digest");
    let df = DfVerbose {
        images: vec![
            DfImageRow {
                repository: Some("localhost:5000/demo/app".into()),
                tag: Some("1.0".into()),
                id: app_id(),
                created: BUILT,
                size: 7_227_443,
                shared_size: Some(L1),
                containers: 1,
            },
            DfImageRow {
                repository: Some("localhost:5000/demo/base".into()),
                tag: Some("1.0".into()),
                id: base_id,
                created: BUILT,
                size: L1,
                shared_size: Some(L1),
                containers: 0,
            },
        ],
        containers: vec![demo_container(NOW)],
        volumes: vec![],
        build_cache: vec![],
        build_cache_size: 0,
    };
    let out = system_df_verbose(&df, NOW);
    let transcript = "\
Images space usage:
REPOSITORY                 TAG       IMAGE ID       CREATED       SIZE      SHARED SIZE   UNIQUE SIZE   CONTAINERS
localhost:5000/demo/app    1.0       9bc4736f7466   2 years ago   7.227MB   1.984MB       5.243MB       1
localhost:5000/demo/base   1.0       731091e65949   2 years ago   1.984MB   1.984MB       0B            0
Containers space usage:
CONTAINER ID   IMAGE                         COMMAND        LOCAL VOLUMES   SIZE      CREATED                  STATUS                  NAMES
f603622e49a1   localhost:5000/demo/app:1.0   \"sleep 3600\"   0               1.05MB    Less than a second ago   Up Less than a second   demo
Local Volumes space usage:
VOLUME NAME   LINKS     SIZE
Build cache usage: 0B
CACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED
";
    assert_eq!(as_transcribed(&out), transcript);
    assert!(out.starts_with("Images space usage:\n\nREPOSITORY"), "{out}");
    assert!(
        out.contains("demo\n\nLocal Volumes space usage:\n\nVOLUME NAME"),
        "{out}"
    );
    assert!(out.ends_with("\nBuild cache usage: 0B\n\nCACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n"));
}

#[test]
fn diff_matches_docker() {
    let changes = [
        (DiffKind::Changed, "etc".to_string()),
        (DiffKind::Changed, "etc/motd".to_string()),
        (DiffKind::Deleted, "etc/os-release".to_string()),
        (DiffKind::Changed, "/app".to_string()),
        (DiffKind::Added, "/app/new-1M.bin".to_string()),
    ];
    assert_eq!(
        diff(&changes),
        "C /etc\nC /etc/motd\nD /etc/os-release\nC /app\nA /app/new-1M.bin\n"
    );
}

#[test]
fn pull_lines_match_docker() {
    let r = Reference::parse("localhost:5000/demo/app:1.0").expect("valid");
    let manifest: Digest = "sha256:3fdebaac8705cf36374fc49e31810fbb228ba76f67b875c1be4948d5eba06d66"
        .parse()
        .expect("digest");
    let mut out = vec![pulling_from(&r)];
    for prefix in ["ceda9d2f4fd2", "600a6c29e7c1", "593d95b4814a", "cad80d72d4bb"] {
        out.push(layer_line(&digest(prefix), &PullStatus::PullComplete, None, 80));
    }
    out.push(pull_digest(&manifest));
    out.push(downloaded_newer(&r));
    assert_eq!(
        out.join("\n"),
        "1.0: Pulling from demo/app
ceda9d2f4fd2: Pull complete
600a6c29e7c1: Pull complete
593d95b4814a: Pull complete
cad80d72d4bb: Pull complete
Digest: sha256:3fdebaac8705cf36374fc49e31810fbb228ba76f67b875c1be4948d5eba06d66
Status: Downloaded newer image for localhost:5000/demo/app:1.0"
    );

    let run = Reference::parse("nginx:1.15.8").expect("valid");
    assert_eq!(
        unable_to_find_locally(&run),
        "Unable to find image 'nginx:1.15.8' locally"
    );
    assert_eq!(pulling_from(&run), "1.15.8: Pulling from library/nginx");
    assert_eq!(
        downloaded_newer(&run),
        "Status: Downloaded newer image for nginx:1.15.8"
    );

    let latest = Reference::parse("nginx").expect("valid");
    assert!(!latest.has_explicit_tag());
    assert_eq!(using_default_tag(), "Using default tag: latest");
    assert_eq!(pulling_from(&latest), "latest: Pulling from library/nginx");
    assert_eq!(
        up_to_date(&latest),
        "Status: Image is up to date for nginx:latest"
    );
    assert_eq!(pulled_reference(&latest), "docker.io/library/nginx:latest");
    assert_eq!(
        layer_line(&digest("ceda9d2f4fd2"), &PullStatus::AlreadyExists, None, 80),
        "ceda9d2f4fd2: Already exists"
    );
}

#[test]
fn progress_bars_match_jsonmessage() {
    assert_eq!(progress_bar(0, 0, None, 120), "");
    assert_eq!(
        progress_bar(2_500_000, 5_000_000, Some(3), 120),
        format!("[{}>{}]    2.5MB/5MB 3s", "=".repeat(25), " ".repeat(25))
    );
    assert_eq!(
        progress_bar(2_500_000, 5_000_000, Some(75), 80),
        "   2.5MB/5MB 1m15s"
    );
    assert_eq!(
        progress_bar(5_000_000, 5_000_000, Some(0), 120),
        format!("[{}>] {:>8}/5MB", "=".repeat(50), "5MB")
    );
    assert_eq!(progress_bar(6, 5, None, 40), "      6B");
    assert_eq!(progress_bar(1_048_576, 0, None, 40), " 1.049MB");
    let line = layer_line(
        &digest("ceda9d2f4fd2"),
        &PullStatus::Downloading {
            current: 544_768,
            total: 1_088_453,
        },
        Some(1),
        120,
    );
    assert_eq!(
        line,
        format!(
            "ceda9d2f4fd2: Downloading [{}>{}]  544.8kB/1.088MB 1s",
            "=".repeat(25),
            " ".repeat(25)
        )
    );
}

#[test]
fn small_outputs() {
    let vols = [VolumeRow {
        name: "data".into(),
        driver: "local".into(),
        links: 1,
        size: Some(36),
    }];
    assert_eq!(volume_ls(&vols, false), "DRIVER    VOLUME NAME\nlocal     data\n");
    assert_eq!(volume_ls(&vols, true), "data\n");
    assert_eq!(
        rmi(&[
            RmiLine::Untagged("nginx:1.15.8".into()),
            RmiLine::Deleted(app_id())
        ]),
        format!("Untagged: nginx:1.15.8\nDeleted: {}\n", app_id())
    );
    assert_eq!(removed_names(&["demo".to_string()]), "demo\n");
}

#[test]
fn inspect_prints_go_style_json() {
    let value = serde_json::json!({"Id": "sha256:abc", "Config": {"Cmd": ["sh", "-c", "a && b > c"]}});
    let out = inspect_json(&[value]).expect("encodes");
    assert_eq!(
        out,
        "[
    {
        \"Config\": {
            \"Cmd\": [
                \"sh\",
                \"-c\",
                \"a \\u0026\\u0026 b \\u003e c\"
            ]
        },
        \"Id\": \"sha256:abc\"
    }
]
"
    );
    assert_eq!(inspect_json::<serde_json::Value>(&[]).expect("encodes"), "[]\n");
}

#[test]
fn json_format_prints_all_fields() {
    let opts = PsOptions {
        size: true,
        format: Some("json".into()),
        ..Default::default()
    };
    let out = ps(&[demo_container(NOW)], &opts, NOW).expect("renders");
    assert_eq!(
        out,
        "{\"Command\":\"\\\"sleep 3600\\\"\",\"CreatedAt\":\"2026-11-18 11:06:40 +0000 UTC\",\"ID\":\"f603622e49a1\",\
         \"Image\":\"localhost:5000/demo/app:1.0\",\"LocalVolumes\":\"0\",\"Names\":\"demo\",\"Ports\":\"\",\
         \"RunningFor\":\"Less than a second ago\",\"Size\":\"1.05MB (virtual 8.28MB)\",\"State\":\"running\",\
         \"Status\":\"Up Less than a second\"}\n"
    );
}

#[test]
fn prune_output_matches_docker() {
    assert_eq!(prune(&PruneReport::default()), "Total reclaimed space: 0B\n");
    let report = PruneReport {
        containers: vec![demo_container(NOW).id],
        images: vec![
            RmiLine::Untagged("localhost:5000/demo/app:1.0".into()),
            RmiLine::Deleted(app_id()),
        ],
        reclaimed: 1_048_654 + 5_243_443,
        ..Default::default()
    };
    assert_eq!(
        prune(&report),
        format!(
            "Deleted Containers:\n{}\n\nDeleted Images:\nuntagged: localhost:5000/demo/app:1.0\ndeleted: {}\n\n\
             Total reclaimed space: 6.292MB\n",
            demo_container(NOW).id,
            app_id()
        )
    );
    assert_eq!(
        prune_warning(PruneTarget::System, false, true),
        "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one \
         container\n  - all volumes not used by at least one container\n  - all dangling images\n  - all dangling \
         build cache\n\nAre you sure you want to continue? [y/N] "
    );
    assert_eq!(
        prune_warning(PruneTarget::Containers, false, false),
        "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] "
    );
}
