//! `ubuntu:15.04` (Vivid Vervet), the base image of the lesson's example Dockerfile, as Docker Hub
//! served it in early 2016: the cloud image root filesystem, two small tweak layers and `CMD`.

use super::debian::{self, Distro, Sources};
use super::{Row, RunConfig, Spec, layer};

const CREATED: &str = "2016-01-26T17:47:56.329213476Z";

pub(super) fn vivid() -> Spec {
    let rootfs = layer(
        "ubuntu:15.04 rootfs 20160126",
        CREATED,
        131_301_584,
        49_921_030,
        |t| {
            let d = Distro {
                merged_usr: false,
                libc: "libc-2.21.so",
                os_release: OS_RELEASE,
                version: "jessie/sid\n",
                passwd: PASSWD,
                group: debian::STRETCH_GROUP,
                sources: Sources::List(""),
                packages: PACKAGES,
                docker_tweaks: false,
            };
            debian::rootfs(t, &d);
            t.text("etc/lsb-release", LSB_RELEASE, 0o644);
            t.text("etc/apt/sources.list", &sources_list(false), 0o644);
            t.text("etc/issue", "Ubuntu 15.04 \\n \\l\n\n", 0o644);
            // The cloud image ships documentation and locales the later minimal images dropped.
            for pkg in PACKAGES {
                t.filler(&format!("usr/share/doc/{pkg}/changelog.Debian.gz"), 5, 0o644);
            }
            for lang in debian::LANGUAGES {
                for domain in [
                    "coreutils",
                    "dpkg",
                    "apt",
                    "util-linux",
                    "sed",
                    "grep",
                    "tar",
                    "bash",
                    "findutils",
                ] {
                    t.filler(
                        &format!("usr/share/locale/{lang}/LC_MESSAGES/{domain}.mo"),
                        9,
                        0o644,
                    );
                }
            }
            for unit in [
                "systemd-journald.service",
                "systemd-logind.service",
                "getty@.service",
                "ssh.service",
                "cron.service",
            ] {
                t.filler(&format!("lib/systemd/system/{unit}"), 1, 0o644);
            }
            t.blob("lib/systemd/systemd", 1_577_192, 0o755);
            t.blob("usr/bin/vim.tiny", 1_030_072, 0o755);
            t.blob("usr/lib/x86_64-linux-gnu/libpython3.4m.so.1.0", 3_954_240, 0o644);
            t.blob("usr/bin/python3.4", 3_986_496, 0o755);
            for m in PYTHON_STDLIB {
                t.filler(&format!("usr/lib/python3.4/{m}.py"), 40, 0o644);
                t.filler(
                    &format!("usr/lib/python3.4/__pycache__/{m}.cpython-34.pyc"),
                    30,
                    0o644,
                );
            }
            for m in [
                "Getopt/Long",
                "Text/Wrap",
                "File/Temp",
                "IO/Socket",
                "Storable",
                "Data/Dumper",
                "Encode",
                "Time/Local",
            ] {
                t.filler(&format!("usr/share/perl/5.20/{m}.pm"), 20, 0o644);
            }
            for f in [
                "syntax/sh.vim",
                "syntax/python.vim",
                "ftplugin/python.vim",
                "indent/python.vim",
                "colors/default.vim",
            ] {
                t.filler(&format!("usr/share/vim/vim74/{f}"), 5, 0o644);
            }
        },
    );

    // What the tweak RUN wrote: an apt/dpkg setup suited to containers (sizes add up to the
    // 701 bytes `docker history` showed; the dpkg diversion record takes the rest).
    let tweaks = layer(
        "ubuntu:15.04 docker tweaks 20160126",
        "2016-01-26T17:47:57.161427263Z",
        701,
        449,
        |t| {
            t.text("usr/sbin/policy-rc.d", "#!/bin/sh\nexit 101\n", 0o755);
            t.text("sbin/initctl", "#!/bin/sh\nexit 0\n", 0o755);
            t.text(
                "etc/dpkg/dpkg.cfg.d/docker-apt-speedup",
                "force-unsafe-io\n",
                0o644,
            );
            t.text("etc/apt/apt.conf.d/docker-clean", DOCKER_CLEAN, 0o644);
            t.text(
                "etc/apt/apt.conf.d/docker-no-languages",
                "Acquire::Languages \"none\";\n",
                0o644,
            );
            t.text(
                "etc/apt/apt.conf.d/docker-gzip-indexes",
                "Acquire::GzipIndexes \"true\"; Acquire::CompressionTypes::Order:: \"gz\";\n",
                0o644,
            );
            t.filler("var/lib/dpkg/diversions", 1, 0o644);
        },
    );

    let universe = layer(
        "ubuntu:15.04 enable universe 20160126",
        "2016-01-26T17:47:58.312548176Z",
        1_879,
        897,
        |t| {
            t.text("etc/apt/sources.list", &sources_list(true), 0o644);
        },
    );

    Spec {
        // Docker 1.9's classic builder wrote `#(nop) ` rows with one space and no trailing one.
        rows: vec![
            Row::layer(
                CREATED,
                "/bin/sh -c #(nop) ADD file:3f4708cf445dc1b537b8e9f46ec4d6eba0fbd0da3df15e3bd1c5ecc75d8f6f0a in /",
                rootfs,
            ),
            Row::layer("2016-01-26T17:47:57.161427263Z", TWEAKS_RUN, tweaks),
            Row::layer(
                "2016-01-26T17:47:58.312548176Z",
                "/bin/sh -c sed -i 's/^#\\s*\\(deb.*universe\\)$/\\1/g' /etc/apt/sources.list",
                universe,
            ),
            Row::empty(
                "2016-01-26T17:47:58.876215404Z",
                "/bin/sh -c #(nop) CMD [\"/bin/bash\"]",
            ),
        ],
        config: RunConfig {
            env: vec![debian::PATH_ENV],
            cmd: Some(vec!["/bin/bash"]),
            ..RunConfig::default()
        },
    }
}

/// The RUN that made the second layer (before `set -xe` was added to these Dockerfiles).
const TWEAKS_RUN: &str = "/bin/sh -c echo '#!/bin/sh' > /usr/sbin/policy-rc.d && echo 'exit 101' >> /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && dpkg-divert --local --rename --add /sbin/initctl && cp -a /usr/sbin/policy-rc.d /sbin/initctl && sed -i 's/^exit.*/exit 0/' /sbin/initctl && echo 'force-unsafe-io' > /etc/dpkg/dpkg.cfg.d/docker-apt-speedup && echo 'DPkg::Post-Invoke { \"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true\"; };' > /etc/apt/apt.conf.d/docker-clean && echo 'APT::Update::Post-Invoke { \"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true\"; };' >> /etc/apt/apt.conf.d/docker-clean && echo 'Dir::Cache::pkgcache \"\"; Dir::Cache::srcpkgcache \"\";' >> /etc/apt/apt.conf.d/docker-clean && echo 'Acquire::Languages \"none\";' > /etc/apt/apt.conf.d/docker-no-languages && echo 'Acquire::GzipIndexes \"true\"; Acquire::CompressionTypes::Order:: \"gz\";' > /etc/apt/apt.conf.d/docker-gzip-indexes";

const DOCKER_CLEAN: &str = "DPkg::Post-Invoke { \"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true\"; };\nAPT::Update::Post-Invoke { \"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true\"; };\nDir::Cache::pkgcache \"\"; Dir::Cache::srcpkgcache \"\";\n";

/// The cloud image's sources.list; the third layer uncomments the universe lines.
fn sources_list(universe: bool) -> String {
    let u = if universe { "" } else { "# " };
    format!(
        "# See http://help.ubuntu.com/community/UpgradeNotes for how to upgrade to\n\
         # newer versions of the distribution.\n\
         deb http://archive.ubuntu.com/ubuntu/ vivid main restricted\n\
         deb-src http://archive.ubuntu.com/ubuntu/ vivid main restricted\n\n\
         ## Major bug fix updates produced after the final release of the\n\
         ## distribution.\n\
         deb http://archive.ubuntu.com/ubuntu/ vivid-updates main restricted\n\
         deb-src http://archive.ubuntu.com/ubuntu/ vivid-updates main restricted\n\n\
         ## N.B. software from this repository is ENTIRELY UNSUPPORTED by the Ubuntu\n\
         ## team. Also, please note that software in universe WILL NOT receive any\n\
         ## review or updates from the Ubuntu security team.\n\
         {u}deb http://archive.ubuntu.com/ubuntu/ vivid universe\n\
         {u}deb-src http://archive.ubuntu.com/ubuntu/ vivid universe\n\
         {u}deb http://archive.ubuntu.com/ubuntu/ vivid-updates universe\n\
         {u}deb-src http://archive.ubuntu.com/ubuntu/ vivid-updates universe\n\n\
         ## N.B. software from this repository is ENTIRELY UNSUPPORTED by the Ubuntu\n\
         ## team, and may not be under a free licence. Please satisfy yourself as to\n\
         ## your rights to use the software. Also, please note that software in\n\
         ## multiverse WILL NOT receive any review or updates from the Ubuntu\n\
         ## security team.\n\
         # deb http://archive.ubuntu.com/ubuntu/ vivid multiverse\n\
         # deb-src http://archive.ubuntu.com/ubuntu/ vivid multiverse\n\
         # deb http://archive.ubuntu.com/ubuntu/ vivid-updates multiverse\n\
         # deb-src http://archive.ubuntu.com/ubuntu/ vivid-updates multiverse\n\n\
         ## Uncomment the following line to add software from Canonical's\n\
         ## 'partner' repository.\n\
         # deb http://archive.canonical.com/ubuntu vivid partner\n\n\
         deb http://archive.ubuntu.com/ubuntu/ vivid-security main restricted\n\
         deb-src http://archive.ubuntu.com/ubuntu/ vivid-security main restricted\n\
         {u}deb http://archive.ubuntu.com/ubuntu/ vivid-security universe\n\
         {u}deb-src http://archive.ubuntu.com/ubuntu/ vivid-security universe\n"
    )
}

const OS_RELEASE: &str = "NAME=\"Ubuntu\"\nVERSION=\"15.04 (Vivid Vervet)\"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME=\"Ubuntu 15.04\"\nVERSION_ID=\"15.04\"\nHOME_URL=\"http://www.ubuntu.com/\"\nSUPPORT_URL=\"http://help.ubuntu.com/\"\nBUG_REPORT_URL=\"http://bugs.launchpad.net/ubuntu/\"\n";

const LSB_RELEASE: &str = "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=15.04\nDISTRIB_CODENAME=vivid\nDISTRIB_DESCRIPTION=\"Ubuntu 15.04\"\n";

const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sys:x:3:3:sys:/dev:/usr/sbin/nologin
sync:x:4:65534:sync:/bin:/bin/sync
games:x:5:60:games:/usr/games:/usr/sbin/nologin
man:x:6:12:man:/var/cache/man:/usr/sbin/nologin
lp:x:7:7:lp:/var/spool/lpd:/usr/sbin/nologin
mail:x:8:8:mail:/var/mail:/usr/sbin/nologin
news:x:9:9:news:/var/spool/news:/usr/sbin/nologin
uucp:x:10:10:uucp:/var/spool/uucp:/usr/sbin/nologin
proxy:x:13:13:proxy:/bin:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
backup:x:34:34:backup:/var/backups:/usr/sbin/nologin
list:x:38:38:Mailing List Manager:/var/list:/usr/sbin/nologin
irc:x:39:39:ircd:/var/run/ircd:/usr/sbin/nologin
gnats:x:41:41:Gnats Bug-Reporting System (admin):/var/lib/gnats:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
systemd-timesync:x:100:103:systemd Time Synchronization,,,:/run/systemd:/bin/false
systemd-network:x:101:104:systemd Network Management,,,:/run/systemd/netif:/bin/false
systemd-resolve:x:102:105:systemd Resolver,,,:/run/systemd/resolve:/bin/false
systemd-bus-proxy:x:103:106:systemd Bus Proxy,,,:/run/systemd:/bin/false
syslog:x:104:109::/home/syslog:/bin/false
";

const PYTHON_STDLIB: &[&str] = &[
    "abc",
    "argparse",
    "ast",
    "base64",
    "bisect",
    "calendar",
    "codecs",
    "collections/__init__",
    "contextlib",
    "copy",
    "csv",
    "datetime",
    "decimal",
    "difflib",
    "enum",
    "functools",
    "glob",
    "gzip",
    "hashlib",
    "heapq",
    "inspect",
    "io",
    "json/__init__",
    "locale",
    "logging/__init__",
    "os",
    "pathlib",
    "pickle",
    "random",
    "re",
    "shutil",
    "socket",
    "ssl",
    "string",
    "subprocess",
    "tarfile",
    "tempfile",
    "textwrap",
    "threading",
    "typing",
    "urllib/parse",
    "urllib/request",
    "uuid",
    "zipfile",
];

const PACKAGES: &[&str] = &[
    "adduser",
    "apt",
    "apt-utils",
    "base-files",
    "base-passwd",
    "bash",
    "bsdutils",
    "busybox-initramfs",
    "bzip2",
    "coreutils",
    "cpio",
    "cron",
    "dash",
    "debconf",
    "debianutils",
    "diffutils",
    "dmsetup",
    "dpkg",
    "e2fslibs",
    "e2fsprogs",
    "file",
    "findutils",
    "gcc-5-base",
    "gnupg",
    "gpgv",
    "grep",
    "gzip",
    "hostname",
    "ifupdown",
    "init",
    "initramfs-tools",
    "iproute2",
    "iputils-ping",
    "isc-dhcp-client",
    "kmod",
    "less",
    "libc-bin",
    "libc6",
    "libgcrypt20",
    "libncursesw5",
    "libpam-modules",
    "libpam-systemd",
    "libselinux1",
    "libsystemd0",
    "libudev1",
    "locales",
    "login",
    "logrotate",
    "lsb-base",
    "lsb-release",
    "makedev",
    "mawk",
    "mount",
    "net-tools",
    "netbase",
    "ncurses-base",
    "ncurses-bin",
    "passwd",
    "perl-base",
    "procps",
    "python3",
    "python3-minimal",
    "readline-common",
    "rsyslog",
    "sed",
    "sensible-utils",
    "systemd",
    "systemd-sysv",
    "sysvinit-utils",
    "tar",
    "tzdata",
    "ubuntu-keyring",
    "ubuntu-minimal",
    "udev",
    "util-linux",
    "vim-common",
    "vim-tiny",
    "whiptail",
    "xz-utils",
    "zlib1g",
];
