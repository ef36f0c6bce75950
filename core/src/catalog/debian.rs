//! Debian: `stretch-slim` (January 2019, the base of `nginx:1.15.8`), `bookworm-slim` and `bookworm`
//! (October 2024; the bases of `nginx:1.27` and, through buildpack-deps, `python:3.13`).
//!
//! Also the pieces every Debian-like root filesystem here is made of (Ubuntu's too): the standard
//! directories, the account files, package documentation and dpkg records, libraries and tools.

use super::tree::Tree;
use super::{Layer, Row, RunConfig, Spec, layer};

pub(super) const STRETCH_CREATED: &str = "2019-01-22T19:30:32.175419508Z";
pub(super) const BOOKWORM_CREATED: &str = "2024-10-17T00:20:31.614624432Z";
const BOOKWORM_CMD_CREATED: &str = "2024-10-17T00:20:32.010226285Z";
pub(super) const PATH_ENV: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

pub(super) fn stretch_slim() -> Spec {
    Spec {
        rows: stretch_slim_rows(),
        config: RunConfig {
            env: vec![PATH_ENV],
            cmd: Some(vec!["bash"]),
            ..RunConfig::default()
        },
    }
}

pub(super) fn bookworm_slim() -> Spec {
    Spec {
        rows: bookworm_slim_rows(),
        config: RunConfig {
            env: vec![PATH_ENV],
            cmd: Some(vec!["bash"]),
            ..RunConfig::default()
        },
    }
}

pub(super) fn bookworm() -> Spec {
    Spec {
        rows: bookworm_rows(),
        config: RunConfig {
            env: vec![PATH_ENV],
            cmd: Some(vec!["bash"]),
            ..RunConfig::default()
        },
    }
}

/// The two rows `debian:stretch-slim` had in January 2019.
pub(super) fn stretch_slim_rows() -> Vec<Row> {
    vec![
        Row::layer(
            STRETCH_CREATED,
            "/bin/sh -c #(nop) ADD file:a65337a57a064a79ad8a3f42e8282b3e01710cb4684ccd880463cc8d2e051fa5 in / ",
            stretch_slim_rootfs(),
        ),
        Row::empty(
            "2019-01-22T19:30:32.410393271Z",
            "/bin/sh -c #(nop)  CMD [\"bash\"]",
        ),
    ]
}

pub(super) fn bookworm_slim_rows() -> Vec<Row> {
    vec![
        Row::layer(
            BOOKWORM_CREATED,
            "/bin/sh -c #(nop) ADD file:90b9dd8f12120e8b2cd3ece45fcbe8af67e40565e2032a40f64bd921c43e2ce7 in / ",
            bookworm_slim_rootfs(),
        ),
        Row::empty(BOOKWORM_CMD_CREATED, "/bin/sh -c #(nop)  CMD [\"bash\"]"),
    ]
}

pub(super) fn bookworm_rows() -> Vec<Row> {
    vec![
        Row::layer(
            "2024-10-17T00:20:19.712549087Z",
            "/bin/sh -c #(nop) ADD file:3d9897cfe027ecc7296d3c2ba6f4a4b47c5fca41fd0fa6ce4a6e08f3fbac7b0d in / ",
            bookworm_rootfs(),
        ),
        Row::empty(
            "2024-10-17T00:20:20.101434862Z",
            "/bin/sh -c #(nop)  CMD [\"bash\"]",
        ),
    ]
}

fn stretch_slim_rootfs() -> Layer {
    layer(
        "debian:stretch-slim rootfs 20190122",
        STRETCH_CREATED,
        55_281_114,
        22_500_707,
        |t| {
            let d = Distro {
                merged_usr: false,
                libc: "libc-2.24.so",
                os_release: STRETCH_OS_RELEASE,
                version: "9.7\n",
                passwd: STRETCH_PASSWD,
                group: STRETCH_GROUP,
                sources: Sources::List(
                    "deb http://deb.debian.org/debian stretch main\ndeb http://security.debian.org/debian-security stretch/updates main\ndeb http://deb.debian.org/debian stretch-updates main\n",
                ),
                packages: STRETCH_PACKAGES,
                docker_tweaks: true,
            };
            rootfs(t, &d);
            slim_excludes(t);
        },
    )
}

fn bookworm_slim_rootfs() -> Layer {
    layer(
        "debian:bookworm-slim rootfs 20241016",
        BOOKWORM_CREATED,
        74_812_236,
        28_233_108,
        |t| {
            rootfs(t, &bookworm_distro());
            slim_excludes(t);
        },
    )
}

fn bookworm_rootfs() -> Layer {
    layer(
        "debian:bookworm rootfs 20241016",
        BOOKWORM_CREATED,
        116_541_722,
        48_494_272,
        |t| {
            let d = bookworm_distro();
            rootfs(t, &d);
            // The full image keeps what slim strips: manual pages, all of the documentation, locales.
            for pkg in d.packages {
                t.filler(&format!("usr/share/doc/{pkg}/changelog.Debian.gz"), 6, 0o644);
                t.filler(&format!("usr/share/man/man1/{pkg}.1.gz"), 3, 0o644);
            }
            for lang in LANGUAGES {
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
                    "diffutils",
                ] {
                    t.filler(
                        &format!("usr/share/locale/{lang}/LC_MESSAGES/{domain}.mo"),
                        9,
                        0o644,
                    );
                }
            }
        },
    )
}

fn bookworm_distro() -> Distro {
    Distro {
        merged_usr: true,
        libc: "libc.so.6",
        os_release: BOOKWORM_OS_RELEASE,
        version: "12.7\n",
        passwd: BOOKWORM_PASSWD,
        group: BOOKWORM_GROUP,
        sources: Sources::Deb822(BOOKWORM_SOURCES),
        packages: BOOKWORM_PACKAGES,
        docker_tweaks: true,
    }
}

/// What distinguishes one Debian-like root filesystem from another.
pub(super) struct Distro {
    /// Whether `/bin`, `/lib`, `/sbin` are symlinks into `/usr` (Debian 12 and later).
    pub merged_usr: bool,
    pub libc: &'static str,
    pub os_release: &'static str,
    pub version: &'static str,
    pub passwd: &'static str,
    pub group: &'static str,
    pub sources: Sources,
    pub packages: &'static [&'static str],
    /// Whether the rootfs already holds the apt/dpkg settings for containers (Debian's images are
    /// made with them; Ubuntu's added them in a RUN layer of their own).
    pub docker_tweaks: bool,
}

pub(super) enum Sources {
    List(&'static str),
    Deb822(&'static str),
}

/// The files a Debian-like base layer holds. Sizes of the well-known binaries are the real ones;
/// the rest are filler whose sizes the layer's total decides.
pub(super) fn rootfs(t: &mut Tree, d: &Distro) {
    for dir in [
        "boot",
        "dev",
        "home",
        "media",
        "mnt",
        "opt",
        "proc",
        "run",
        "srv",
        "sys",
        "usr/local/bin",
        "usr/local/sbin",
    ] {
        t.dir(dir, 0o755);
    }
    t.dir("root", 0o700);
    t.dir("tmp", 0o1777);
    t.dir("var/tmp", 0o1777);
    t.dir("var/log", 0o755);
    t.dir("var/cache/apt/archives/partial", 0o755);
    t.dir("var/lib/apt/lists/partial", 0o755);
    t.dir("var/mail", 0o2775);
    t.owned("var/mail", 0, 8);
    t.text("root/.bashrc", ROOT_BASHRC, 0o644);
    t.text("root/.profile", ROOT_PROFILE, 0o644);

    let (bin, sbin, lib) = if d.merged_usr {
        t.symlink("bin", "usr/bin");
        t.symlink("sbin", "usr/sbin");
        t.symlink("lib", "usr/lib");
        t.symlink("lib64", "usr/lib64");
        ("usr/bin", "usr/sbin", "usr/lib")
    } else {
        ("bin", "sbin", "lib")
    };

    t.text("etc/passwd", d.passwd, 0o644);
    t.text("etc/group", d.group, 0o644);
    t.text("etc/shadow", &shadow_of(d.passwd), 0o640);
    t.owned("etc/shadow", 0, 42);
    t.text("etc/gshadow", &gshadow_of(d.group), 0o640);
    t.owned("etc/gshadow", 0, 42);
    t.text("usr/lib/os-release", d.os_release, 0o644);
    t.symlink("etc/os-release", "../usr/lib/os-release");
    t.text("etc/debian_version", d.version, 0o644);
    t.text("etc/hostname", "", 0o644);
    t.text("etc/issue", "Debian GNU/Linux \\n \\l\n\n", 0o644);
    t.text("etc/shells", "# /etc/shells: valid login shells\n/bin/sh\n/bin/bash\n/usr/bin/bash\n/bin/rbash\n/usr/bin/rbash\n/usr/bin/sh\n/bin/dash\n/usr/bin/dash\n", 0o644);
    t.text("etc/profile", ETC_PROFILE, 0o644);
    t.text("etc/bash.bashrc", BASH_BASHRC, 0o644);
    t.text("etc/nsswitch.conf", NSSWITCH, 0o644);
    t.text("etc/host.conf", "multi on\n", 0o644);
    t.text("etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n\n", 0o644);
    t.text("etc/ld.so.conf.d/x86_64-linux-gnu.conf", "# Multiarch support\n/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n", 0o644);
    t.text("etc/environment", "", 0o644);
    t.text("etc/login.defs", LOGIN_DEFS, 0o644);
    t.text("etc/timezone", "Etc/UTC\n", 0o644);
    t.symlink("etc/localtime", "/usr/share/zoneinfo/Etc/UTC");
    t.symlink("etc/mtab", "../proc/self/mounts");
    if d.docker_tweaks {
        t.text("etc/apt/apt.conf.d/docker-clean", DOCKER_CLEAN, 0o644);
        t.text("etc/dpkg/dpkg.cfg.d/docker-apt-speedup", "# For most Docker users, package installs happen during \"docker build\", which\n# doesn't survive power loss and gets restarted clean afterwards anyhow, so\n# this minor tweak gives us a nice speedup (much nicer on spinning disks,\n# obviously).\n\nforce-unsafe-io\n", 0o644);
    }
    match d.sources {
        Sources::List(text) => t.text("etc/apt/sources.list", text, 0o644),
        Sources::Deb822(text) => t.text("etc/apt/sources.list.d/debian.sources", text, 0o644),
    }

    // The shell and the core tools, with their real sizes (Debian 12 amd64 builds).
    t.blob(&format!("{bin}/bash"), 1_265_648, 0o755);
    t.blob(&format!("{bin}/dash"), 125_640, 0o755);
    t.symlink(&format!("{bin}/sh"), "dash");
    t.symlink(&format!("{bin}/rbash"), "bash");
    for (name, size) in CORE_TOOLS {
        t.blob(&format!("{bin}/{name}"), *size, 0o755);
    }
    // Before the /usr merge only the tools needed to boot lived in /bin and /sbin.
    for name in BIN_TOOLS {
        let dir = if d.merged_usr || !SLASH_BIN.contains(name) {
            "usr/bin"
        } else {
            "bin"
        };
        t.filler(&format!("{dir}/{name}"), 40, 0o755);
    }
    for name in SBIN_TOOLS {
        let in_usr = ["user", "group", "chpasswd", "adduser", "deluser", "pam_"]
            .iter()
            .any(|p| name.starts_with(p));
        let dir = if d.merged_usr || in_usr { "usr/sbin" } else { sbin };
        t.filler(&format!("{dir}/{name}"), 30, 0o755);
    }
    t.blob("usr/bin/perl", 3_926_448, 0o755);
    for m in PERL_MODULES {
        t.filler(&format!("usr/lib/x86_64-linux-gnu/perl-base/{m}.pm"), 12, 0o644);
    }

    // The C library and the dynamic loader.
    let arch_lib = format!("{lib}/x86_64-linux-gnu");
    t.blob(&format!("{arch_lib}/{}", d.libc), 1_922_136, 0o755);
    if d.libc != "libc.so.6" {
        t.symlink(&format!("{arch_lib}/libc.so.6"), d.libc);
    }
    t.blob(&format!("{arch_lib}/ld-linux-x86-64.so.2"), 210_968, 0o755);
    if d.merged_usr {
        t.symlink(
            "usr/lib64/ld-linux-x86-64.so.2",
            "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        );
    } else {
        t.symlink(
            "lib64/ld-linux-x86-64.so.2",
            "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        );
    }
    for (name, version) in LIBRARIES {
        let file = format!("{name}.so.{version}");
        t.filler(&format!("{arch_lib}/{file}"), 80, 0o644);
        if let Some((major, _)) = version.split_once('.') {
            t.symlink(&format!("{arch_lib}/{name}.so.{major}"), &file);
        }
    }
    // apt and dpkg keep their state in /var/lib.
    t.filler("var/lib/dpkg/status", 120, 0o644);
    t.filler("var/lib/dpkg/status-old", 120, 0o644);
    t.filler("var/cache/debconf/templates.dat", 160, 0o644);
    t.filler("var/log/dpkg.log", 20, 0o644);
    t.filler("usr/share/common-licenses/GPL-3", 2, 0o644);
    for pkg in d.packages {
        t.filler(&format!("usr/share/doc/{pkg}/copyright"), 1, 0o644);
        t.filler(&format!("var/lib/dpkg/info/{pkg}.list"), 2, 0o644);
        t.filler(&format!("var/lib/dpkg/info/{pkg}.md5sums"), 2, 0o644);
    }
    for (region, cities) in ZONES {
        for city in *cities {
            t.filler(&format!("usr/share/zoneinfo/{region}/{city}"), 1, 0o644);
        }
    }
    t.filler("usr/share/zoneinfo/Etc/UTC", 1, 0o644);
    for enc in [
        "UTF-8",
        "ISO-8859-1",
        "KOI8-R",
        "CP1252",
        "GB18030",
        "EUC-JP",
        "BIG5",
        "SHIFT_JIS",
    ] {
        t.filler(&format!("usr/lib/x86_64-linux-gnu/gconv/{enc}.so"), 20, 0o644);
    }
    t.filler("usr/lib/locale/C.utf8/LC_CTYPE", 200, 0o644);
}

/// `debian:*-slim` drops documentation and manual pages through dpkg path excludes.
fn slim_excludes(t: &mut Tree) {
    t.text(
        "etc/dpkg/dpkg.cfg.d/docker",
        "# This is the \"slim\" variant of the Debian base image.\n# Many files which are normally unnecessary in containers are excluded,\n# and this configuration file keeps them that way.\n\npath-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\npath-exclude /usr/share/info/*\npath-exclude /usr/share/linda/*\npath-exclude /usr/share/lintian/overrides/*\npath-exclude /usr/share/locale/*\npath-exclude /usr/share/man/*\n",
        0o644,
    );
}

/// A shadow file with a locked password for every account in `passwd`.
pub(super) fn shadow_of(passwd: &str) -> String {
    passwd
        .lines()
        .filter_map(|l| l.split(':').next())
        .map(|user| format!("{user}:*:19646:0:99999:7:::\n"))
        .collect()
}

pub(super) fn gshadow_of(group: &str) -> String {
    group
        .lines()
        .filter_map(|l| l.split(':').next())
        .map(|g| format!("{g}:*::\n"))
        .collect()
}

const STRETCH_OS_RELEASE: &str = "PRETTY_NAME=\"Debian GNU/Linux 9 (stretch)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"9\"\nVERSION=\"9 (stretch)\"\nID=debian\nHOME_URL=\"https://www.debian.org/\"\nSUPPORT_URL=\"https://www.debian.org/support\"\nBUG_REPORT_URL=\"https://bugs.debian.org/\"\n";

const BOOKWORM_OS_RELEASE: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL=\"https://www.debian.org/\"\nSUPPORT_URL=\"https://www.debian.org/support\"\nBUG_REPORT_URL=\"https://bugs.debian.org/\"\n";

const BOOKWORM_SOURCES: &str = "Types: deb\n# http://snapshot.debian.org/archive/debian/20241016T000000Z\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\n# http://snapshot.debian.org/archive/debian-security/20241016T000000Z\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n";

pub(super) const BOOKWORM_PASSWD: &str = "root:x:0:0:root:/root:/bin/bash
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
irc:x:39:39:ircd:/run/ircd:/usr/sbin/nologin
_apt:x:42:65534::/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
";

pub(super) const BOOKWORM_GROUP: &str = "root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
news:x:9:
uucp:x:10:
man:x:12:
proxy:x:13:
kmem:x:15:
dialout:x:20:
fax:x:21:
voice:x:22:
cdrom:x:24:
floppy:x:25:
tape:x:26:
sudo:x:27:
audio:x:29:
dip:x:30:
www-data:x:33:
backup:x:34:
operator:x:37:
list:x:38:
irc:x:39:
src:x:40:
shadow:x:42:
utmp:x:43:
video:x:44:
sasl:x:45:
plugdev:x:46:
staff:x:50:
games:x:60:
users:x:100:
nogroup:x:65534:
";

pub(super) const STRETCH_PASSWD: &str = "root:x:0:0:root:/root:/bin/bash
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
_apt:x:100:65534::/nonexistent:/bin/false
";

pub(super) const STRETCH_GROUP: &str = "root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
news:x:9:
uucp:x:10:
man:x:12:
proxy:x:13:
kmem:x:15:
dialout:x:20:
fax:x:21:
voice:x:22:
cdrom:x:24:
floppy:x:25:
tape:x:26:
sudo:x:27:
audio:x:29:
dip:x:30:
www-data:x:33:
backup:x:34:
operator:x:37:
list:x:38:
irc:x:39:
src:x:40:
gnats:x:41:
shadow:x:42:
utmp:x:43:
video:x:44:
sasl:x:45:
plugdev:x:46:
staff:x:50:
games:x:60:
users:x:100:
nogroup:x:65534:
";

const ROOT_BASHRC: &str = "# ~/.bashrc: executed by bash(1) for non-login shells.\n\n# Note: PS1 and umask are already set in /etc/profile. You should not\n# need this unless you want different defaults for root.\n# PS1='${debian_chroot:+($debian_chroot)}\\h:\\w\\$ '\n# umask 022\n\n# You may uncomment the following lines if you want `ls' to be colorized:\n# export LS_OPTIONS='--color=auto'\n# eval \"$(dircolors)\"\n# alias ls='ls $LS_OPTIONS'\n# alias ll='ls $LS_OPTIONS -l'\n# alias l='ls $LS_OPTIONS -lA'\n";

const ROOT_PROFILE: &str = "# ~/.profile: executed by Bourne-compatible login shells.\n\nif [ \"$BASH\" ]; then\n  if [ -f ~/.bashrc ]; then\n    . ~/.bashrc\n  fi\nfi\n\nmesg n 2> /dev/null || true\n";

const ETC_PROFILE: &str = "# /etc/profile: system-wide .profile file for the Bourne shell (sh(1))\n# and Bourne compatible shells (bash(1), ksh(1), ash(1), ...).\n\nif [ \"$(id -u)\" -eq 0 ]; then\n  PATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\nelse\n  PATH=\"/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games\"\nfi\nexport PATH\n\nif [ -d /etc/profile.d ]; then\n  for i in /etc/profile.d/*.sh; do\n    if [ -r $i ]; then\n      . $i\n    fi\n  done\n  unset i\nfi\n";

const BASH_BASHRC: &str = "# System-wide .bashrc file for interactive bash(1) shells.\n\n# If not running interactively, don't do anything\n[ -z \"$PS1\" ] && return\n\n# check the window size after each command and, if necessary,\n# update the values of LINES and COLUMNS.\nshopt -s checkwinsize\n\n# set a fancy prompt (non-color, overwrite the one in /etc/profile)\nPS1='${debian_chroot:+($debian_chroot)}\\u@\\h:\\w\\$ '\n";

const NSSWITCH: &str = "# /etc/nsswitch.conf\n\npasswd:         files\ngroup:          files\nshadow:         files\ngshadow:        files\n\nhosts:          files dns\nnetworks:       files\n\nprotocols:      db files\nservices:       db files\nethers:         db files\nrpc:            db files\n\nnetgroup:       nis\n";

const LOGIN_DEFS: &str = "# /etc/login.defs - Configuration control definitions for the login package.\nMAIL_DIR        /var/mail\nFAILLOG_ENAB\t\tyes\nLOG_UNKFAIL_ENAB\tno\nLOG_OK_LOGINS\t\tno\nSYSLOG_SU_ENAB\t\tyes\nSYSLOG_SG_ENAB\t\tyes\nFTMP_FILE\t/var/log/btmp\nSU_NAME\t\tsu\nHUSHLOGIN_FILE\t.hushlogin\nENV_SUPATH\tPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nENV_PATH\tPATH=/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games\nTTYGROUP\ttty\nTTYPERM\t\t0600\nERASECHAR\t0177\nKILLCHAR\t025\nUMASK\t\t022\nPASS_MAX_DAYS\t99999\nPASS_MIN_DAYS\t0\nPASS_WARN_AGE\t7\nUID_MIN\t\t\t 1000\nUID_MAX\t\t\t60000\nGID_MIN\t\t\t 1000\nGID_MAX\t\t\t60000\nLOGIN_RETRIES\t\t5\nLOGIN_TIMEOUT\t\t60\nCHFN_RESTRICT\t\trwh\nDEFAULT_HOME\tyes\nUSERGROUPS_ENAB yes\nENCRYPT_METHOD SHA512\n";

pub(super) const DOCKER_CLEAN: &str = "DPkg::Post-Invoke { \"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true\"; };\nAPT::Update::Post-Invoke { \"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true\"; };\n\nDir::Cache::pkgcache \"\";\nDir::Cache::srcpkgcache \"\";\n";

/// coreutils and friends with their sizes in Debian 12 (amd64).
pub(super) const CORE_TOOLS: &[(&str, u64)] = &[
    ("cat", 44_016),
    ("chmod", 64_368),
    ("chown", 72_528),
    ("cp", 153_104),
    ("date", 109_616),
    ("dd", 76_464),
    ("df", 97_552),
    ("echo", 39_368),
    ("grep", 194_784),
    ("gzip", 98_136),
    ("hostname", 22_928),
    ("ln", 72_624),
    ("ls", 151_344),
    ("mkdir", 97_552),
    ("mv", 145_072),
    ("rm", 72_752),
    ("sed", 121_168),
    ("sleep", 39_368),
    ("tar", 531_984),
    ("touch", 97_552),
    ("uname", 39_296),
];

const BIN_TOOLS: &[&str] = &[
    "[",
    "apt",
    "apt-cache",
    "apt-config",
    "apt-get",
    "apt-mark",
    "arch",
    "awk",
    "b2sum",
    "base32",
    "base64",
    "basename",
    "chgrp",
    "chroot",
    "cksum",
    "clear",
    "cmp",
    "comm",
    "csplit",
    "cut",
    "diff",
    "diff3",
    "dir",
    "dircolors",
    "dirname",
    "dpkg",
    "dpkg-deb",
    "dpkg-divert",
    "dpkg-query",
    "dpkg-split",
    "dpkg-statoverride",
    "dpkg-trigger",
    "du",
    "env",
    "expand",
    "expr",
    "factor",
    "false",
    "find",
    "fmt",
    "fold",
    "getconf",
    "getent",
    "gpgv",
    "groups",
    "head",
    "id",
    "infocmp",
    "install",
    "join",
    "kill",
    "last",
    "link",
    "locale",
    "logger",
    "login",
    "logname",
    "lsblk",
    "mawk",
    "md5sum",
    "mkfifo",
    "mknod",
    "mktemp",
    "more",
    "mount",
    "nice",
    "nl",
    "nohup",
    "nproc",
    "numfmt",
    "od",
    "passwd",
    "paste",
    "pathchk",
    "pinky",
    "pr",
    "printenv",
    "printf",
    "ptx",
    "pwd",
    "readlink",
    "realpath",
    "rmdir",
    "runcon",
    "script",
    "seq",
    "sha1sum",
    "sha256sum",
    "sha512sum",
    "shred",
    "shuf",
    "sort",
    "split",
    "stat",
    "stdbuf",
    "stty",
    "su",
    "sum",
    "sync",
    "tabs",
    "tac",
    "tail",
    "tee",
    "test",
    "tic",
    "timeout",
    "tput",
    "tr",
    "true",
    "truncate",
    "tset",
    "tsort",
    "tty",
    "umount",
    "unexpand",
    "uniq",
    "unlink",
    "users",
    "vdir",
    "wc",
    "who",
    "whoami",
    "xargs",
    "yes",
    "zcat",
];

/// The tools of [`BIN_TOOLS`] that Debian kept in `/bin` before the /usr merge.
const SLASH_BIN: &[&str] = &[
    "chgrp", "dir", "false", "kill", "login", "lsblk", "mknod", "mktemp", "more", "mount", "pwd", "readlink",
    "rmdir", "stty", "su", "sync", "true", "umount", "vdir", "zcat",
];

const SBIN_TOOLS: &[&str] = &[
    "adduser",
    "agetty",
    "blkid",
    "chpasswd",
    "deluser",
    "e2fsck",
    "fdisk",
    "findfs",
    "fsck",
    "groupadd",
    "groupdel",
    "groupmod",
    "hwclock",
    "ldconfig",
    "losetup",
    "mke2fs",
    "mkswap",
    "pam_timestamp_check",
    "pivot_root",
    "runuser",
    "start-stop-daemon",
    "sulogin",
    "swapoff",
    "swapon",
    "switch_root",
    "tune2fs",
    "unix_chkpwd",
    "useradd",
    "userdel",
    "usermod",
    "wipefs",
    "zramctl",
];

const PERL_MODULES: &[&str] = &[
    "AutoLoader",
    "Carp",
    "Config",
    "Cwd",
    "Digest/MD5",
    "Digest/base",
    "Errno",
    "Exporter",
    "Fcntl",
    "File/Basename",
    "File/Path",
    "File/Spec",
    "File/Spec/Unix",
    "File/Temp",
    "FileHandle",
    "Getopt/Long",
    "Hash/Util",
    "IO",
    "IO/File",
    "IO/Handle",
    "IO/Select",
    "IO/Socket",
    "IPC/Open2",
    "IPC/Open3",
    "List/Util",
    "POSIX",
    "Scalar/Util",
    "SelectSaver",
    "Socket",
    "Symbol",
    "Text/ParseWords",
    "Text/Wrap",
    "Tie/Hash",
    "Time/Local",
    "XSLoader",
    "attributes",
    "base",
    "bytes",
    "constant",
    "feature",
    "integer",
    "lib",
    "locale",
    "overload",
    "parent",
    "re",
    "strict",
    "utf8",
    "vars",
    "warnings",
    "warnings/register",
];

const LIBRARIES: &[(&str, &str)] = &[
    ("libacl", "1.1.2301"),
    ("libapt-pkg", "6.0.0"),
    ("libattr", "1.1.2501"),
    ("libaudit", "1.0.0"),
    ("libblkid", "1.1.0"),
    ("libbz2", "1.0.4"),
    ("libcap-ng", "0.0.0"),
    ("libcap", "2.66"),
    ("libcom_err", "2.1"),
    ("libcrypt", "1.1.0"),
    ("libdb-5", "3.so"),
    ("libdebconfclient", "0.0.0"),
    ("libe2p", "2.3"),
    ("libext2fs", "2.4"),
    ("libffi", "8.1.2"),
    ("libgcc_s", "1.0"),
    ("libgcrypt", "20.4.1"),
    ("libgmp", "10.4.1"),
    ("libgnutls", "30.34.3"),
    ("libgpg-error", "0.33.1"),
    ("libhogweed", "6.6"),
    ("libidn2", "0.3.8"),
    ("liblz4", "1.9.4"),
    ("liblzma", "5.4.1"),
    ("libmd", "0.0.5"),
    ("libmount", "1.1.0"),
    ("libncursesw", "6.4"),
    ("libnettle", "8.6"),
    ("libp11-kit", "0.3.0"),
    ("libpam", "0.85.1"),
    ("libpcre2-8", "0.11.2"),
    ("libseccomp", "2.5.4"),
    ("libselinux", "1"),
    ("libsemanage", "2"),
    ("libsepol", "2"),
    ("libsmartcols", "1.1.0"),
    ("libss", "2.0"),
    ("libstdc++", "6.0.30"),
    ("libsystemd", "0.35.0"),
    ("libtasn1", "6.6.3"),
    ("libtinfo", "6.4"),
    ("libudev", "1.7.5"),
    ("libunistring", "2.2.0"),
    ("libuuid", "1.3.0"),
    ("libxxhash", "0.8.1"),
    ("libz", "1.2.13"),
    ("libzstd", "1.5.4"),
];

pub(super) const BOOKWORM_PACKAGES: &[&str] = &[
    "adduser",
    "apt",
    "base-files",
    "base-passwd",
    "bash",
    "bsdutils",
    "coreutils",
    "dash",
    "debconf",
    "debian-archive-keyring",
    "debianutils",
    "diffutils",
    "dpkg",
    "e2fsprogs",
    "findutils",
    "gcc-12-base",
    "gpgv",
    "grep",
    "gzip",
    "hostname",
    "init-system-helpers",
    "libacl1",
    "libapt-pkg6.0",
    "libattr1",
    "libaudit-common",
    "libaudit1",
    "libblkid1",
    "libbz2-1.0",
    "libc-bin",
    "libc6",
    "libcap-ng0",
    "libcap2",
    "libcom-err2",
    "libcrypt1",
    "libdb5.3",
    "libdebconfclient0",
    "libext2fs2",
    "libffi8",
    "libgcc-s1",
    "libgcrypt20",
    "libgmp10",
    "libgnutls30",
    "libgpg-error0",
    "libhogweed6",
    "libidn2-0",
    "liblz4-1",
    "liblzma5",
    "libmd0",
    "libmount1",
    "libnettle8",
    "libp11-kit0",
    "libpam-modules",
    "libpam-modules-bin",
    "libpam-runtime",
    "libpam0g",
    "libpcre2-8-0",
    "libseccomp2",
    "libselinux1",
    "libsemanage-common",
    "libsemanage2",
    "libsepol2",
    "libsmartcols1",
    "libss2",
    "libstdc++6",
    "libsystemd0",
    "libtasn1-6",
    "libtinfo6",
    "libudev1",
    "libunistring2",
    "libuuid1",
    "libxxhash0",
    "libzstd1",
    "login",
    "logsave",
    "mawk",
    "mount",
    "ncurses-base",
    "ncurses-bin",
    "passwd",
    "perl-base",
    "sed",
    "sysvinit-utils",
    "tar",
    "tzdata",
    "usr-is-merged",
    "util-linux",
    "util-linux-extra",
    "zlib1g",
];

const STRETCH_PACKAGES: &[&str] = &[
    "adduser",
    "apt",
    "base-files",
    "base-passwd",
    "bash",
    "bsdutils",
    "coreutils",
    "dash",
    "debconf",
    "debian-archive-keyring",
    "debianutils",
    "diffutils",
    "dpkg",
    "e2fslibs",
    "e2fsprogs",
    "findutils",
    "gcc-6-base",
    "gpgv",
    "grep",
    "gzip",
    "hostname",
    "init-system-helpers",
    "libacl1",
    "libapt-pkg5.0",
    "libattr1",
    "libaudit-common",
    "libaudit1",
    "libblkid1",
    "libbz2-1.0",
    "libc-bin",
    "libc6",
    "libcap-ng0",
    "libcomerr2",
    "libdb5.3",
    "libdebconfclient0",
    "libfdisk1",
    "libgcc1",
    "libgcrypt20",
    "libgpg-error0",
    "liblz4-1",
    "liblzma5",
    "libmount1",
    "libncursesw5",
    "libpam-modules",
    "libpam-modules-bin",
    "libpam-runtime",
    "libpam0g",
    "libpcre3",
    "libselinux1",
    "libsemanage-common",
    "libsemanage1",
    "libsepol1",
    "libsmartcols1",
    "libss2",
    "libstdc++6",
    "libsystemd0",
    "libtinfo5",
    "libudev1",
    "libustr-1.0-1",
    "libuuid1",
    "login",
    "lsb-base",
    "mawk",
    "mount",
    "multiarch-support",
    "ncurses-base",
    "ncurses-bin",
    "passwd",
    "perl-base",
    "sed",
    "sensible-utils",
    "sysvinit-utils",
    "tar",
    "tzdata",
    "util-linux",
    "zlib1g",
];

pub(super) const LANGUAGES: &[&str] = &[
    "ar", "bg", "ca", "cs", "da", "de", "el", "eo", "es", "et", "eu", "fi", "fr", "ga", "gl", "he", "hr",
    "hu", "id", "it", "ja", "ko", "lt", "nb", "nl", "pl", "pt", "pt_BR", "ro", "ru", "sk", "sl", "sr", "sv",
    "tr", "uk", "vi", "zh_CN", "zh_TW",
];

pub(super) const ZONES: &[(&str, &[&str])] = &[
    (
        "Africa",
        &[
            "Abidjan",
            "Accra",
            "Addis_Ababa",
            "Algiers",
            "Cairo",
            "Casablanca",
            "Dakar",
            "Johannesburg",
            "Kampala",
            "Lagos",
            "Nairobi",
            "Tunis",
            "Windhoek",
        ],
    ),
    (
        "America",
        &[
            "Anchorage",
            "Argentina/Buenos_Aires",
            "Bogota",
            "Caracas",
            "Chicago",
            "Denver",
            "Edmonton",
            "Halifax",
            "Havana",
            "Lima",
            "Los_Angeles",
            "Mexico_City",
            "Montevideo",
            "New_York",
            "Panama",
            "Phoenix",
            "Santiago",
            "Sao_Paulo",
            "St_Johns",
            "Toronto",
            "Vancouver",
            "Winnipeg",
        ],
    ),
    (
        "Asia",
        &[
            "Almaty",
            "Baghdad",
            "Bangkok",
            "Dhaka",
            "Dubai",
            "Ho_Chi_Minh",
            "Hong_Kong",
            "Jakarta",
            "Jerusalem",
            "Kabul",
            "Karachi",
            "Kathmandu",
            "Kolkata",
            "Manila",
            "Seoul",
            "Shanghai",
            "Singapore",
            "Taipei",
            "Tashkent",
            "Tehran",
            "Tokyo",
            "Yerevan",
        ],
    ),
    ("Atlantic", &["Azores", "Bermuda", "Canary", "Reykjavik"]),
    (
        "Australia",
        &[
            "Adelaide",
            "Brisbane",
            "Darwin",
            "Hobart",
            "Melbourne",
            "Perth",
            "Sydney",
        ],
    ),
    (
        "Europe",
        &[
            "Amsterdam",
            "Athens",
            "Belgrade",
            "Berlin",
            "Brussels",
            "Bucharest",
            "Budapest",
            "Copenhagen",
            "Dublin",
            "Helsinki",
            "Istanbul",
            "Kyiv",
            "Lisbon",
            "London",
            "Madrid",
            "Moscow",
            "Oslo",
            "Paris",
            "Prague",
            "Rome",
            "Sofia",
            "Stockholm",
            "Vienna",
            "Warsaw",
            "Zurich",
        ],
    ),
    ("Pacific", &["Auckland", "Fiji", "Guam", "Honolulu", "Tahiti"]),
];
