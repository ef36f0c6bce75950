//! `alpine:3.20` = `latest` (September 2024): musl, busybox and apk in one small layer.

use super::busybox::APPLETS;
use super::{Row, RunConfig, Spec, layer};

const CREATED: &str = "2024-09-06T22:20:07.972381771Z";

pub(super) fn latest() -> Spec {
    let rootfs = layer("alpine:3.20.3 minirootfs", CREATED, 7_797_760, 3_623_807, |t| {
        for dir in [
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
            "var/cache/apk",
            "var/log",
        ] {
            t.dir(dir, 0o755);
        }
        t.dir("root", 0o700);
        t.dir("tmp", 0o1777);
        t.blob("bin/busybox", 808_712, 0o755);
        // busybox's applets are symlinks to it on Alpine (hardlinks in the busybox image).
        for (dir, applet) in APPLETS {
            t.symlink(&format!("{dir}/{applet}"), "/bin/busybox");
        }
        t.blob("lib/ld-musl-x86_64.so.1", 650_208, 0o755);
        t.symlink("lib/libc.musl-x86_64.so.1", "ld-musl-x86_64.so.1");
        t.filler("lib/libz.so.1.3.1", 10, 0o755);
        t.symlink("lib/libz.so.1", "libz.so.1.3.1");
        t.filler("lib/libapk.so.2.14.0", 20, 0o755);
        t.filler("usr/lib/libcrypto.so.3", 450, 0o755);
        t.filler("usr/lib/libssl.so.3", 80, 0o755);
        t.blob("sbin/apk", 68_976, 0o755);
        t.filler("usr/bin/ssl_client", 1, 0o755);
        t.filler("usr/bin/scanelf", 7, 0o755);
        t.filler("usr/bin/getent", 5, 0o755);
        t.filler("usr/bin/iconv", 2, 0o755);
        t.filler("etc/ssl/certs/ca-certificates.crt", 20, 0o644);
        t.filler("etc/ssl/cert.pem", 20, 0o644);
        t.filler("lib/apk/db/installed", 3, 0o644);
        t.text("etc/alpine-release", "3.20.3\n", 0o644);
        t.text("etc/os-release", OS_RELEASE, 0o644);
        t.text("etc/hostname", "localhost\n", 0o644);
        t.text("etc/passwd", PASSWD, 0o644);
        t.text("etc/group", GROUP, 0o644);
        t.text("etc/shadow", &crate::catalog::debian::shadow_of(PASSWD), 0o640);
        t.owned("etc/shadow", 0, 42);
        t.text("etc/shells", "# valid login shells\n/bin/sh\n/bin/ash\n", 0o644);
        t.text("etc/profile", "export PATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\n\nexport PAGER=less\numask 022\n\nfor script in /etc/profile.d/*.sh ; do\n\tif [ -r \"$script\" ] ; then\n\t\t. \"$script\"\n\tfi\ndone\nunset script\n", 0o644);
        t.text("etc/apk/repositories", "https://dl-cdn.alpinelinux.org/alpine/v3.20/main\nhttps://dl-cdn.alpinelinux.org/alpine/v3.20/community\n", 0o644);
        t.text("etc/apk/world", "alpine-baselayout\nalpine-keys\napk-tools\nbusybox\nca-certificates-bundle\nlibc-utils\nlibcrypto3\nlibssl3\nmusl-utils\nscanelf\nssl_client\nzlib\n", 0o644);
        t.text("etc/apk/arch", "x86_64\n", 0o644);
        t.text("etc/motd", "Welcome to Alpine!\n\nThe Alpine Wiki contains a large amount of how-to guides and general\ninformation about administrating Alpine systems.\nSee <https://wiki.alpinelinux.org/>.\n\nYou can setup the system with the command: setup-alpine\n\nYou may change this message by editing /etc/motd.\n\n", 0o644);
        for key in [
            "alpine-devel@lists.alpinelinux.org-4a6a0840.rsa.pub",
            "alpine-devel@lists.alpinelinux.org-5261cecb.rsa.pub",
            "alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub",
        ] {
            t.filler(&format!("etc/apk/keys/{key}"), 1, 0o644);
        }
    });
    Spec {
        rows: vec![
            Row::layer(
                CREATED,
                "ADD alpine-minirootfs-3.20.3-x86_64.tar.gz / # buildkit",
                rootfs,
            )
            .buildkit(),
            Row::empty(CREATED, "CMD [\"/bin/sh\"]").buildkit(),
        ],
        config: RunConfig {
            env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            cmd: Some(vec!["/bin/sh"]),
            ..RunConfig::default()
        },
    }
}

const OS_RELEASE: &str = "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME=\"Alpine Linux v3.20\"\nHOME_URL=\"https://alpinelinux.org/\"\nBUG_REPORT_URL=\"https://gitlab.alpinelinux.org/alpine/aports/-/issues\"\n";

const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh
bin:x:1:1:bin:/bin:/sbin/nologin
daemon:x:2:2:daemon:/sbin:/sbin/nologin
lp:x:4:7:lp:/var/spool/lpd:/sbin/nologin
sync:x:5:0:sync:/sbin:/bin/sync
shutdown:x:6:0:shutdown:/sbin:/sbin/shutdown
halt:x:7:0:halt:/sbin:/sbin/halt
mail:x:8:12:mail:/var/mail:/sbin/nologin
news:x:9:13:news:/usr/lib/news:/sbin/nologin
uucp:x:10:14:uucp:/var/spool/uucppublic:/sbin/nologin
cron:x:16:16:cron:/var/spool/cron:/sbin/nologin
ftp:x:21:21::/var/lib/ftp:/sbin/nologin
sshd:x:22:22:sshd:/dev/null:/sbin/nologin
games:x:35:35:games:/usr/games:/sbin/nologin
ntp:x:123:123:NTP:/var/empty:/sbin/nologin
guest:x:405:100:guest:/dev/null:/sbin/nologin
nobody:x:65534:65534:nobody:/:/sbin/nologin
";

const GROUP: &str = "root:x:0:root
bin:x:1:root,bin,daemon
daemon:x:2:root,bin,daemon
sys:x:3:root,bin
adm:x:4:root,daemon
tty:x:5:
disk:x:6:root
lp:x:7:lp
kmem:x:9:
wheel:x:10:root
floppy:x:11:root
mail:x:12:mail
news:x:13:news
uucp:x:14:uucp
cron:x:16:cron
audio:x:18:
cdrom:x:19:
dialout:x:20:root
ftp:x:21:
sshd:x:22:
input:x:23:
tape:x:26:root
video:x:27:root
netdev:x:28:
kvm:x:34:kvm
games:x:35:
shadow:x:42:
www-data:x:82:
users:x:100:games
ntp:x:123:
abuild:x:300:
utmp:x:406:
ping:x:999:
nogroup:x:65533:
nobody:x:65534:
";
