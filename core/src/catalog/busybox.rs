//! `busybox:1.37` = `latest` (September 2024, the glibc variant): one binary, every applet a
//! hardlink to it, and just enough of glibc to run it.

use super::{Row, RunConfig, Spec, layer};

const CREATED: &str = "2024-09-26T21:31:42.392423718Z";

pub(super) fn latest() -> Spec {
    let rootfs = layer(
        "busybox:1.37.0-glibc rootfs",
        CREATED,
        4_269_856,
        2_153_528,
        |t| {
            for dir in [
                "dev",
                "home",
                "proc",
                "sys",
                "usr/sbin",
                "var/spool/mail",
                "var/www",
            ] {
                t.dir(dir, 0o755);
            }
            t.dir("root", 0o700);
            t.dir("tmp", 0o1777);
            t.blob("bin/busybox", 1_140_392, 0o755);
            // The image links every applet to the one binary: names cost nothing, as hardlinks count once.
            for (_, applet) in APPLETS {
                t.hardlink(&format!("bin/{applet}"), "bin/busybox");
            }
            t.blob("lib/x86_64-linux-gnu/libc.so.6", 1_922_136, 0o755);
            t.blob("lib/x86_64-linux-gnu/libm.so.6", 907_784, 0o644);
            t.blob("lib/x86_64-linux-gnu/libresolv.so.2", 68_552, 0o644);
            t.filler("lib/x86_64-linux-gnu/libnss_files.so.2", 1, 0o644);
            t.filler("lib/x86_64-linux-gnu/libnss_dns.so.2", 1, 0o644);
            t.blob("lib64/ld-linux-x86-64.so.2", 210_968, 0o755);
            t.text("etc/passwd", PASSWD, 0o644);
            t.text("etc/group", GROUP, 0o644);
            t.text("etc/shadow", "root:*:10933:0:99999:7:::\ndaemon:*:10933:0:99999:7:::\nbin:*:10933:0:99999:7:::\nsys:*:10933:0:99999:7:::\nsync:*:10933:0:99999:7:::\nmail:*:10933:0:99999:7:::\nwww-data:*:10933:0:99999:7:::\noperator:*:10933:0:99999:7:::\nnobody:*:10933:0:99999:7:::\n", 0o600);
            t.text(
                "etc/nsswitch.conf",
                "hosts:\t\tfiles dns\nnetworks:\tfiles\n",
                0o644,
            );
            t.text("etc/localtime", "TZif2\n", 0o644);
        },
    );
    Spec {
        rows: vec![
            Row::layer(CREATED, "ADD busybox.tar.xz / # buildkit", rootfs).buildkit(),
            Row::empty(CREATED, "CMD [\"sh\"]").buildkit(),
        ],
        config: RunConfig {
            env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            cmd: Some(vec!["sh"]),
            ..RunConfig::default()
        },
    }
}

const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
";

const GROUP: &str = "root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nogroup:x:65534:
";

/// Where Alpine puts each busybox applet (the busybox image puts them all in `/bin`).
pub(super) const APPLETS: &[(&str, &str)] = &[
    ("bin", "arch"),
    ("bin", "ash"),
    ("bin", "base64"),
    ("bin", "bbconfig"),
    ("bin", "cat"),
    ("bin", "chattr"),
    ("bin", "chgrp"),
    ("bin", "chmod"),
    ("bin", "chown"),
    ("bin", "cp"),
    ("bin", "date"),
    ("bin", "dd"),
    ("bin", "df"),
    ("bin", "dmesg"),
    ("bin", "dnsdomainname"),
    ("bin", "dumpkmap"),
    ("bin", "echo"),
    ("bin", "egrep"),
    ("bin", "false"),
    ("bin", "fatattr"),
    ("bin", "fdflush"),
    ("bin", "fgrep"),
    ("bin", "fsync"),
    ("bin", "getopt"),
    ("bin", "grep"),
    ("bin", "gunzip"),
    ("bin", "gzip"),
    ("bin", "hostname"),
    ("bin", "ionice"),
    ("bin", "iostat"),
    ("bin", "ipcalc"),
    ("bin", "kbd_mode"),
    ("bin", "kill"),
    ("bin", "link"),
    ("bin", "linux32"),
    ("bin", "linux64"),
    ("bin", "ln"),
    ("bin", "login"),
    ("bin", "ls"),
    ("bin", "lsattr"),
    ("bin", "lzop"),
    ("bin", "makemime"),
    ("bin", "mkdir"),
    ("bin", "mknod"),
    ("bin", "mktemp"),
    ("bin", "more"),
    ("bin", "mount"),
    ("bin", "mountpoint"),
    ("bin", "mpstat"),
    ("bin", "mv"),
    ("bin", "netstat"),
    ("bin", "nice"),
    ("bin", "pidof"),
    ("bin", "ping"),
    ("bin", "ping6"),
    ("bin", "pipe_progress"),
    ("bin", "printenv"),
    ("bin", "ps"),
    ("bin", "pwd"),
    ("bin", "reformime"),
    ("bin", "rev"),
    ("bin", "rm"),
    ("bin", "rmdir"),
    ("bin", "run-parts"),
    ("bin", "sed"),
    ("bin", "setpriv"),
    ("bin", "setserial"),
    ("bin", "sh"),
    ("bin", "sleep"),
    ("bin", "stat"),
    ("bin", "stty"),
    ("bin", "su"),
    ("bin", "sync"),
    ("bin", "tar"),
    ("bin", "touch"),
    ("bin", "true"),
    ("bin", "umount"),
    ("bin", "uname"),
    ("bin", "usleep"),
    ("bin", "watch"),
    ("bin", "zcat"),
    ("sbin", "acpid"),
    ("sbin", "adjtimex"),
    ("sbin", "arp"),
    ("sbin", "blkid"),
    ("sbin", "blockdev"),
    ("sbin", "depmod"),
    ("sbin", "fbsplash"),
    ("sbin", "fdisk"),
    ("sbin", "findfs"),
    ("sbin", "fsck"),
    ("sbin", "fstrim"),
    ("sbin", "getty"),
    ("sbin", "halt"),
    ("sbin", "hwclock"),
    ("sbin", "ifconfig"),
    ("sbin", "ifdown"),
    ("sbin", "ifup"),
    ("sbin", "init"),
    ("sbin", "insmod"),
    ("sbin", "ip"),
    ("sbin", "ipaddr"),
    ("sbin", "iplink"),
    ("sbin", "ipneigh"),
    ("sbin", "iproute"),
    ("sbin", "iprule"),
    ("sbin", "iptunnel"),
    ("sbin", "klogd"),
    ("sbin", "loadkmap"),
    ("sbin", "logread"),
    ("sbin", "losetup"),
    ("sbin", "lsmod"),
    ("sbin", "mdev"),
    ("sbin", "mkdosfs"),
    ("sbin", "mkfs.vfat"),
    ("sbin", "mkswap"),
    ("sbin", "modinfo"),
    ("sbin", "modprobe"),
    ("sbin", "nameif"),
    ("sbin", "nologin"),
    ("sbin", "pivot_root"),
    ("sbin", "poweroff"),
    ("sbin", "raidautorun"),
    ("sbin", "reboot"),
    ("sbin", "rmmod"),
    ("sbin", "route"),
    ("sbin", "setconsole"),
    ("sbin", "slattach"),
    ("sbin", "swapoff"),
    ("sbin", "swapon"),
    ("sbin", "switch_root"),
    ("sbin", "sysctl"),
    ("sbin", "syslogd"),
    ("sbin", "tunctl"),
    ("sbin", "udhcpc"),
    ("sbin", "vconfig"),
    ("sbin", "watchdog"),
    ("usr/bin", "["),
    ("usr/bin", "[["),
    ("usr/bin", "awk"),
    ("usr/bin", "basename"),
    ("usr/bin", "bc"),
    ("usr/bin", "beep"),
    ("usr/bin", "blkdiscard"),
    ("usr/bin", "bunzip2"),
    ("usr/bin", "bzcat"),
    ("usr/bin", "bzip2"),
    ("usr/bin", "cal"),
    ("usr/bin", "chvt"),
    ("usr/bin", "cksum"),
    ("usr/bin", "clear"),
    ("usr/bin", "cmp"),
    ("usr/bin", "comm"),
    ("usr/bin", "cpio"),
    ("usr/bin", "crontab"),
    ("usr/bin", "cryptpw"),
    ("usr/bin", "cut"),
    ("usr/bin", "dc"),
    ("usr/bin", "deallocvt"),
    ("usr/bin", "diff"),
    ("usr/bin", "dirname"),
    ("usr/bin", "dos2unix"),
    ("usr/bin", "du"),
    ("usr/bin", "eject"),
    ("usr/bin", "env"),
    ("usr/bin", "expand"),
    ("usr/bin", "expr"),
    ("usr/bin", "factor"),
    ("usr/bin", "fallocate"),
    ("usr/bin", "find"),
    ("usr/bin", "flock"),
    ("usr/bin", "fold"),
    ("usr/bin", "free"),
    ("usr/bin", "fuser"),
    ("usr/bin", "groups"),
    ("usr/bin", "hd"),
    ("usr/bin", "head"),
    ("usr/bin", "hexdump"),
    ("usr/bin", "hostid"),
    ("usr/bin", "id"),
    ("usr/bin", "install"),
    ("usr/bin", "ipcrm"),
    ("usr/bin", "ipcs"),
    ("usr/bin", "killall"),
    ("usr/bin", "last"),
    ("usr/bin", "less"),
    ("usr/bin", "logger"),
    ("usr/bin", "lsof"),
    ("usr/bin", "lsusb"),
    ("usr/bin", "lzcat"),
    ("usr/bin", "lzma"),
    ("usr/bin", "md5sum"),
    ("usr/bin", "mesg"),
    ("usr/bin", "microcom"),
    ("usr/bin", "mkfifo"),
    ("usr/bin", "mkpasswd"),
    ("usr/bin", "nc"),
    ("usr/bin", "nl"),
    ("usr/bin", "nmeter"),
    ("usr/bin", "nohup"),
    ("usr/bin", "nproc"),
    ("usr/bin", "nsenter"),
    ("usr/bin", "nslookup"),
    ("usr/bin", "od"),
    ("usr/bin", "openvt"),
    ("usr/bin", "passwd"),
    ("usr/bin", "paste"),
    ("usr/bin", "pgrep"),
    ("usr/bin", "pkill"),
    ("usr/bin", "pmap"),
    ("usr/bin", "printf"),
    ("usr/bin", "pscan"),
    ("usr/bin", "pstree"),
    ("usr/bin", "pwdx"),
    ("usr/bin", "readlink"),
    ("usr/bin", "realpath"),
    ("usr/bin", "renice"),
    ("usr/bin", "reset"),
    ("usr/bin", "resize"),
    ("usr/bin", "seq"),
    ("usr/bin", "setkeycodes"),
    ("usr/bin", "setsid"),
    ("usr/bin", "sha1sum"),
    ("usr/bin", "sha256sum"),
    ("usr/bin", "sha3sum"),
    ("usr/bin", "sha512sum"),
    ("usr/bin", "showkey"),
    ("usr/bin", "shred"),
    ("usr/bin", "shuf"),
    ("usr/bin", "sort"),
    ("usr/bin", "split"),
    ("usr/bin", "strings"),
    ("usr/bin", "sum"),
    ("usr/bin", "tac"),
    ("usr/bin", "tail"),
    ("usr/bin", "tee"),
    ("usr/bin", "test"),
    ("usr/bin", "time"),
    ("usr/bin", "timeout"),
    ("usr/bin", "top"),
    ("usr/bin", "tr"),
    ("usr/bin", "traceroute"),
    ("usr/bin", "traceroute6"),
    ("usr/bin", "tree"),
    ("usr/bin", "truncate"),
    ("usr/bin", "tty"),
    ("usr/bin", "ttysize"),
    ("usr/bin", "udhcpc6"),
    ("usr/bin", "unexpand"),
    ("usr/bin", "uniq"),
    ("usr/bin", "unix2dos"),
    ("usr/bin", "unlink"),
    ("usr/bin", "unlzma"),
    ("usr/bin", "unshare"),
    ("usr/bin", "unxz"),
    ("usr/bin", "unzip"),
    ("usr/bin", "uptime"),
    ("usr/bin", "uudecode"),
    ("usr/bin", "uuencode"),
    ("usr/bin", "vi"),
    ("usr/bin", "vlock"),
    ("usr/bin", "volname"),
    ("usr/bin", "wc"),
    ("usr/bin", "wget"),
    ("usr/bin", "which"),
    ("usr/bin", "who"),
    ("usr/bin", "whoami"),
    ("usr/bin", "whois"),
    ("usr/bin", "xargs"),
    ("usr/bin", "xxd"),
    ("usr/bin", "xzcat"),
    ("usr/bin", "yes"),
    ("usr/sbin", "addgroup"),
    ("usr/sbin", "adduser"),
    ("usr/sbin", "arping"),
    ("usr/sbin", "brctl"),
    ("usr/sbin", "chpasswd"),
    ("usr/sbin", "chroot"),
    ("usr/sbin", "crond"),
    ("usr/sbin", "delgroup"),
    ("usr/sbin", "deluser"),
    ("usr/sbin", "ether-wake"),
    ("usr/sbin", "fbset"),
    ("usr/sbin", "killall5"),
    ("usr/sbin", "loadfont"),
    ("usr/sbin", "nanddump"),
    ("usr/sbin", "nandwrite"),
    ("usr/sbin", "nbd-client"),
    ("usr/sbin", "ntpd"),
    ("usr/sbin", "partprobe"),
    ("usr/sbin", "rdate"),
    ("usr/sbin", "rdev"),
    ("usr/sbin", "readahead"),
    ("usr/sbin", "rfkill"),
    ("usr/sbin", "sendmail"),
    ("usr/sbin", "setfont"),
    ("usr/sbin", "setlogcons"),
];
