//! `python:3.13` = `latest` (October 2024). Like the real image it is built FROM
//! `buildpack-deps:bookworm`, which is `debian:bookworm` plus three package layers (`-curl`,
//! `-scm`, then the compilers and headers), so it shares the `debian:bookworm` base layer. The
//! three `buildpack-deps` images are in the catalog too, built from the same layers.

use super::debian;
use super::tree::Tree;
use super::{Layer, Row, RunConfig, Spec, layer};

const CURL_AT: &str = "2024-10-17T01:33:22.271582417Z";
const SCM_AT: &str = "2024-10-17T01:34:02.871418745Z";
const DEPS_AT: &str = "2024-10-17T01:36:47.532419736Z";
const PY_AT: &str = "2024-10-17T03:09:52.093861428Z";

pub(super) fn v3_13() -> Spec {
    let tk = layer(
        "python:3.13 tk and bluetooth headers 20241017",
        "2024-10-17T03:02:41.208436318Z",
        18_174_562,
        6_158_843,
        |t| {
            packages(
                t,
                &[
                    "libbluetooth-dev",
                    "tk-dev",
                    "uuid-dev",
                    "tk8.6-dev",
                    "tcl8.6-dev",
                    "libx11-dev",
                ],
            );
            t.blob("usr/lib/x86_64-linux-gnu/libtk8.6.so", 1_527_112, 0o644);
            t.blob("usr/lib/x86_64-linux-gnu/libtcl8.6.so", 1_280_088, 0o644);
            for lib in [
                "libX11.a",
                "libxcb.a",
                "libXft.a",
                "libfontconfig.a",
                "libfreetype.a",
                "libbluetooth.a",
                "libuuid.a",
                "libtcl8.6.a",
                "libtk8.6.a",
            ] {
                t.filler(&format!("usr/lib/x86_64-linux-gnu/{lib}"), 40, 0o644);
            }
            for dir in ["X11", "tcl8.6", "bluetooth", "uuid", "freetype2"] {
                for h in ["api.h", "types.h", "defs.h"] {
                    t.filler(&format!("usr/include/{dir}/{h}"), 3, 0o644);
                }
            }
            t.filler("usr/include/tk.h", 10, 0o644);
        },
    );
    let python = layer(
        "python:3.13.0 build 20241017",
        PY_AT,
        70_570_829,
        25_623_718,
        |t| {
            t.blob("usr/local/bin/python3.13", 17_576, 0o755);
            t.symlink("usr/local/bin/python3", "python3.13");
            t.symlink("usr/local/bin/python3-config", "python3.13-config");
            t.text("usr/local/bin/python3.13-config", "#!/bin/sh\n# Print the compiler and linker flags of this Python build.\nexec /usr/local/bin/python3.13 -c 'import sysconfig; print(sysconfig.get_config_var(\"LIBS\"))'\n", 0o755);
            t.text("usr/local/bin/pip3", PIP_SCRIPT, 0o755);
            t.text("usr/local/bin/pip3.13", PIP_SCRIPT, 0o755);
            t.symlink("usr/local/bin/idle3", "idle3.13");
            t.symlink("usr/local/bin/pydoc3", "pydoc3.13");
            t.text(
                "usr/local/bin/pydoc3.13",
                "#!/usr/local/bin/python3.13\n\nimport pydoc\nif __name__ == '__main__':\n    pydoc.cli()\n",
                0o755,
            );
            t.text("usr/local/bin/idle3.13", "#!/usr/local/bin/python3.13\n\nfrom idlelib.pyshell import main\nif __name__ == '__main__':\n    main()\n", 0o755);
            t.blob("usr/local/lib/libpython3.13.so.1.0", 28_624_256, 0o755);
            t.blob(
                "usr/local/lib/python3.13/ensurepip/_bundled/pip-24.2-py3-none-any.whl",
                1_815_121,
                0o644,
            );
            t.symlink("usr/local/lib/libpython3.13.so", "libpython3.13.so.1.0");
            for m in STDLIB {
                t.filler(&format!("usr/local/lib/python3.13/{m}.py"), 30, 0o644);
            }
            for m in [
                "_ssl", "_hashlib", "_sqlite3", "_ctypes", "_decimal", "_json", "_socket", "array", "math",
                "select", "zlib",
            ] {
                t.filler(
                    &format!("usr/local/lib/python3.13/lib-dynload/{m}.cpython-313-x86_64-linux-gnu.so"),
                    60,
                    0o755,
                );
            }
            t.filler("usr/local/lib/python3.13/site-packages/pip/__init__.py", 1, 0o644);
            t.filler(
                "usr/local/lib/python3.13/site-packages/pip/_internal/cli/main.py",
                1,
                0o644,
            );
            t.filler(
                "usr/local/lib/python3.13/site-packages/pip/_vendor/rich/console.py",
                40,
                0o644,
            );
            t.blob(
                "usr/local/lib/python3.13/ensurepip/_bundled/pip-24.2-py3-none-any.whl",
                1_815_121,
                0o644,
            );
            for m in [
                "idlelib/pyshell",
                "idlelib/editor",
                "tkinter/__init__",
                "tkinter/ttk",
                "pydoc_data/topics",
                "encodings/cp1252",
                "encodings/utf_8",
                "email/_header_value_parser",
                "xml/etree/ElementTree",
            ] {
                t.filler(&format!("usr/local/lib/python3.13/{m}.py"), 40, 0o644);
            }
        },
    );
    let links = layer(
        "python:3.13.0 unversioned links 20241017",
        "2024-10-17T03:09:52.425103926Z",
        36,
        249,
        |t| {
            t.symlink("usr/local/bin/idle", "idle3");
            t.symlink("usr/local/bin/pip", "pip3");
            t.symlink("usr/local/bin/pydoc", "pydoc3");
            t.symlink("usr/local/bin/python", "python3");
            t.symlink("usr/local/bin/python-config", "python3-config");
        },
    );

    let mut rows = buildpack_rows(3);
    rows.extend([
        Row::empty(
            PY_AT,
            "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .buildkit(),
        Row::empty(PY_AT, "ENV LANG=C.UTF-8").buildkit(),
        Row::layer("2024-10-17T03:02:41.208436318Z", TK_RUN, tk).buildkit(),
        Row::empty(PY_AT, "ENV GPG_KEY=7169605F62C751356D054A26A821E680E5FA6305").buildkit(),
        Row::empty(PY_AT, "ENV PYTHON_VERSION=3.13.0").buildkit(),
        Row::layer(PY_AT, BUILD_RUN, python).buildkit(),
        Row::layer("2024-10-17T03:09:52.425103926Z", LINKS_RUN, links).buildkit(),
        Row::empty("2024-10-17T03:09:52.425103926Z", "CMD [\"python3\"]").buildkit(),
    ]);
    Spec {
        rows,
        config: RunConfig {
            env: vec![
                "PATH=/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "LANG=C.UTF-8",
                "GPG_KEY=7169605F62C751356D054A26A821E680E5FA6305",
                "PYTHON_VERSION=3.13.0",
            ],
            cmd: Some(vec!["python3"]),
            ..RunConfig::default()
        },
    }
}

/// What apt leaves for each installed package: its copyright and dpkg's records.
fn packages(t: &mut Tree, names: &[&str]) {
    t.filler("var/lib/dpkg/status", 40, 0o644);
    t.filler("var/log/apt/history.log", 2, 0o644);
    for pkg in names {
        t.filler(&format!("usr/share/doc/{pkg}/copyright"), 2, 0o644);
        t.filler(&format!("usr/share/doc/{pkg}/changelog.Debian.gz"), 4, 0o644);
        t.filler(&format!("var/lib/dpkg/info/{pkg}.list"), 2, 0o644);
        t.filler(&format!("var/lib/dpkg/info/{pkg}.md5sums"), 2, 0o644);
    }
}

const CURL_RUN: &str = "RUN /bin/sh -c set -eux; \tapt-get update; \tapt-get install -y --no-install-recommends \t\tca-certificates \t\tcurl \t\tgnupg \t\tnetbase \t\tsq \t\twget \t; \trm -rf /var/lib/apt/lists/* # buildkit";

const SCM_RUN: &str = "RUN /bin/sh -c set -eux; \tapt-get update; \tapt-get install -y --no-install-recommends \t\tgit \t\tmercurial \t\topenssh-client \t\tsubversion \t\t\t\tprocps \t; \trm -rf /var/lib/apt/lists/* # buildkit";

const DEPS_RUN: &str = "RUN /bin/sh -c set -ex; \tapt-get update; \tapt-get install -y --no-install-recommends \t\tautoconf \t\tautomake \t\tbzip2 \t\tdefault-libmysqlclient-dev \t\tdpkg-dev \t\tfile \t\tg++ \t\tgcc \t\timagemagick \t\tlibbz2-dev \t\tlibc6-dev \t\tlibcurl4-openssl-dev \t\tlibdb-dev \t\tlibevent-dev \t\tlibffi-dev \t\tlibgdbm-dev \t\tlibglib2.0-dev \t\tlibgmp-dev \t\tlibjpeg-dev \t\tlibkrb5-dev \t\tliblzma-dev \t\tlibmagickcore-dev \t\tlibmagickwand-dev \t\tlibmaxminddb-dev \t\tlibncurses5-dev \t\tlibncursesw5-dev \t\tlibpng-dev \t\tlibpq-dev \t\tlibreadline-dev \t\tlibsqlite3-dev \t\tlibssl-dev \t\tlibtool \t\tlibwebp-dev \t\tlibxml2-dev \t\tlibxslt-dev \t\tlibyaml-dev \t\tmake \t\tpatch \t\tunzip \t\txz-utils \t\tzlib1g-dev \t; \trm -rf /var/lib/apt/lists/* # buildkit";

const TK_RUN: &str = "RUN /bin/sh -c set -eux; \tapt-get update; \tapt-get install -y --no-install-recommends \t\tlibbluetooth-dev \t\ttk-dev \t\tuuid-dev \t; \trm -rf /var/lib/apt/lists/* # buildkit";

const BUILD_RUN: &str = "RUN /bin/sh -c set -eux; \t\twget -O python.tar.xz \"https://www.python.org/ftp/python/${PYTHON_VERSION%%[a-z]*}/Python-$PYTHON_VERSION.tar.xz\"; \twget -O python.tar.xz.asc \"https://www.python.org/ftp/python/${PYTHON_VERSION%%[a-z]*}/Python-$PYTHON_VERSION.tar.xz.asc\"; \tGNUPGHOME=\"$(mktemp -d)\"; export GNUPGHOME; \tgpg --batch --keyserver hkps://keys.openpgp.org --recv-keys \"$GPG_KEY\"; \tgpg --batch --verify python.tar.xz.asc python.tar.xz; \tgpgconf --kill all; \trm -rf \"$GNUPGHOME\" python.tar.xz.asc; \tmkdir -p /usr/src/python; \ttar --extract --directory /usr/src/python --strip-components=1 --file python.tar.xz; \trm python.tar.xz; \t\tcd /usr/src/python; \tgnuArch=\"$(dpkg-architecture --query DEB_BUILD_GNU_TYPE)\"; \t./configure \t\t--build=\"$gnuArch\" \t\t--enable-loadable-sqlite-extensions \t\t--enable-optimizations \t\t--enable-option-checking=fatal \t\t--enable-shared \t\t--with-lto \t\t--with-ensurepip \t; \tnproc=\"$(nproc)\"; \tEXTRA_CFLAGS=\"$(dpkg-buildflags --get CFLAGS)\"; \tLDFLAGS=\"$(dpkg-buildflags --get LDFLAGS)\"; \tmake -j \"$nproc\" \t\t\"EXTRA_CFLAGS=${EXTRA_CFLAGS:-}\" \t\t\"LDFLAGS=${LDFLAGS:-}\" \t; \trm python; \tmake -j \"$nproc\" \t\t\"EXTRA_CFLAGS=${EXTRA_CFLAGS:-}\" \t\t\"LDFLAGS=${LDFLAGS:--Wl},-rpath='\\$\\$ORIGIN/../lib'\" \t\tpython \t; \tmake install; \t\tbin=\"$(readlink -ve /usr/local/bin/python3)\"; \tdir=\"$(dirname \"$bin\")\"; \tmkdir -p \"/usr/share/gdb/auto-load/$dir\"; \tcp -vL Tools/gdb/libpython.py \"/usr/share/gdb/auto-load/$bin-gdb.py\"; \t\tcd /; \trm -rf /usr/src/python; \t\tfind /usr/local -depth \t\t\\( \t\t\t\\( -type d -a \\( -name test -o -name tests -o -name idle_test \\) \\) \t\t\t-o \\( -type f -a \\( -name '*.pyc' -o -name '*.pyo' -o -name 'libpython*.a' \\) \\) \t\t\\) -exec rm -rf '{}' + \t; \t\tldconfig; \t\texport PYTHONDONTWRITEBYTECODE=1; \tpython3 --version; \tpip3 --version # buildkit";

const LINKS_RUN: &str = "RUN /bin/sh -c set -eux; \tfor src in idle3 pip3 pydoc3 python3 python3-config; do \t\tdst=\"$(echo \"$src\" | tr -d 3)\"; \t\t[ -s \"/usr/local/bin/$src\" ]; \t\t[ ! -e \"/usr/local/bin/$dst\" ]; \t\tln -svT \"$src\" \"/usr/local/bin/$dst\"; \tdone # buildkit";

const PIP_SCRIPT: &str = "#!/usr/local/bin/python3.13\n# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom pip._internal.cli.main import main\nif __name__ == '__main__':\n    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n    sys.exit(main())\n";

const BUILD_DEPS: &[&str] = &[
    "autoconf",
    "automake",
    "bzip2",
    "default-libmysqlclient-dev",
    "dpkg-dev",
    "file",
    "g++",
    "gcc",
    "imagemagick",
    "libbz2-dev",
    "libc6-dev",
    "libcurl4-openssl-dev",
    "libdb-dev",
    "libevent-dev",
    "libffi-dev",
    "libgdbm-dev",
    "libglib2.0-dev",
    "libgmp-dev",
    "libjpeg-dev",
    "libkrb5-dev",
    "liblzma-dev",
    "libmagickcore-dev",
    "libmagickwand-dev",
    "libmaxminddb-dev",
    "libncurses5-dev",
    "libncursesw5-dev",
    "libpng-dev",
    "libpq-dev",
    "libreadline-dev",
    "libsqlite3-dev",
    "libssl-dev",
    "libtool",
    "libwebp-dev",
    "libxml2-dev",
    "libxslt-dev",
    "libyaml-dev",
    "make",
    "patch",
    "unzip",
    "xz-utils",
    "zlib1g-dev",
    "cpp-12",
    "gcc-12",
    "g++-12",
    "binutils",
    "libgcc-12-dev",
    "libstdc++-12-dev",
    "linux-libc-dev",
    "libllvm14",
    "libgtk-3-0",
    "libx11-dev",
];

const STDLIB: &[&str] = &[
    "abc",
    "argparse",
    "ast",
    "asyncio/base_events",
    "asyncio/events",
    "base64",
    "bisect",
    "calendar",
    "codecs",
    "collections/__init__",
    "contextlib",
    "copy",
    "csv",
    "dataclasses",
    "datetime",
    "decimal",
    "difflib",
    "email/message",
    "enum",
    "functools",
    "glob",
    "gzip",
    "hashlib",
    "heapq",
    "http/client",
    "http/server",
    "inspect",
    "io",
    "json/__init__",
    "json/decoder",
    "logging/__init__",
    "os",
    "pathlib/_local",
    "pickle",
    "pydoc",
    "random",
    "re/__init__",
    "shutil",
    "socket",
    "ssl",
    "statistics",
    "string",
    "subprocess",
    "tarfile",
    "tempfile",
    "textwrap",
    "threading",
    "typing",
    "unittest/case",
    "urllib/parse",
    "urllib/request",
    "uuid",
    "zipfile/__init__",
];

/// `buildpack-deps:bookworm-curl`, `-scm` and `bookworm`: the same image family python builds on.
pub(super) fn buildpack_deps_curl() -> Spec {
    buildpack_spec(1)
}

pub(super) fn buildpack_deps_scm() -> Spec {
    buildpack_spec(2)
}

pub(super) fn buildpack_deps() -> Spec {
    buildpack_spec(3)
}

fn buildpack_spec(depth: usize) -> Spec {
    Spec {
        rows: buildpack_rows(depth),
        config: RunConfig {
            env: vec![debian::PATH_ENV],
            cmd: Some(vec!["bash"]),
            ..RunConfig::default()
        },
    }
}

/// `debian:bookworm` plus the first `depth` buildpack-deps package layers; only those are built.
fn buildpack_rows(depth: usize) -> Vec<Row> {
    let mut rows = debian::bookworm_rows();
    if depth >= 1 {
        rows.push(Row::layer(CURL_AT, CURL_RUN, curl_layer()).buildkit());
    }
    if depth >= 2 {
        rows.push(Row::layer(SCM_AT, SCM_RUN, scm_layer()).buildkit());
    }
    if depth >= 3 {
        rows.push(Row::layer(DEPS_AT, DEPS_RUN, deps_layer()).buildkit());
    }
    rows
}

fn curl_layer() -> Layer {
    layer(
        "buildpack-deps:bookworm-curl 20241017",
        CURL_AT,
        49_585_313,
        24_058_261,
        |t| {
            packages(
                t,
                &[
                    "ca-certificates",
                    "curl",
                    "gnupg",
                    "netbase",
                    "sq",
                    "wget",
                    "libcurl4",
                    "libgnutls30",
                    "libssl3",
                ],
            );
            t.blob("usr/bin/curl", 326_072, 0o755);
            t.blob("usr/bin/wget", 543_920, 0o755);
            t.blob("usr/bin/gpg", 1_112_136, 0o755);
            t.blob("usr/bin/sq", 13_574_040, 0o755);
            t.blob("usr/lib/x86_64-linux-gnu/libcrypto.so.3", 4_709_528, 0o644);
            t.blob("usr/lib/x86_64-linux-gnu/libssl.so.3", 696_240, 0o644);
            for lib in [
                "libgcrypt.so.20.4.1",
                "libksba.so.8.14.3",
                "libassuan.so.0.8.5",
                "libnpth.so.0.1.2",
                "libsqlite3.so.0.8.6",
                "libldap-2.5.so.0.1.8",
                "libnghttp2.so.14.24.1",
                "libssh2.so.1.0.1",
                "librtmp.so.1",
                "libkrb5.so.3.3",
                "libunistring.so.2.2.0",
                "libp11-kit.so.0.3.0",
            ] {
                t.filler(&format!("usr/lib/x86_64-linux-gnu/{lib}"), 60, 0o644);
            }
            for tool in [
                "gpg-agent",
                "gpgsm",
                "dirmngr",
                "keyboxd",
                "gpgconf",
                "gpg-connect-agent",
            ] {
                t.filler(&format!("usr/bin/{tool}"), 90, 0o755);
            }
            t.filler("etc/ssl/certs/ca-certificates.crt", 20, 0o644);
            t.text("etc/protocols", "ip\t0\tIP\ntcp\t6\tTCP\nudp\t17\tUDP\n", 0o644);
            t.text(
                "etc/services",
                "ssh\t\t22/tcp\nhttp\t\t80/tcp\t\twww\nhttps\t\t443/tcp\n",
                0o644,
            );
        },
    )
}

fn scm_layer() -> Layer {
    layer(
        "buildpack-deps:bookworm-scm 20241017",
        SCM_AT,
        181_002_218,
        64_395_962,
        |t| {
            packages(
                t,
                &[
                    "git",
                    "mercurial",
                    "openssh-client",
                    "subversion",
                    "procps",
                    "perl",
                    "python3",
                    "libsvn1",
                ],
            );
            t.blob("usr/bin/git", 3_883_088, 0o755);
            t.blob("usr/bin/ssh", 1_200_176, 0o755);
            t.blob("usr/bin/svn", 330_112, 0o755);
            t.blob("usr/bin/ps", 137_376, 0o755);
            for tool in [
                "git-upload-pack",
                "git-receive-pack",
                "git-shell",
                "git-http-fetch",
                "git-remote-http",
                "git-daemon",
            ] {
                t.filler(&format!("usr/lib/git-core/{tool}"), 400, 0o755);
            }
            for m in [
                "hg",
                "mercurial/localrepo.py",
                "mercurial/revlog.py",
                "mercurial/commands.py",
            ] {
                t.filler(&format!("usr/lib/python3/dist-packages/{m}"), 200, 0o644);
            }
            t.blob("usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0", 7_445_944, 0o644);
            for m in [
                "argparse",
                "ast",
                "asyncio/base_events",
                "collections/__init__",
                "email/message",
                "enum",
                "http/client",
                "inspect",
                "json/decoder",
                "logging/__init",
                "os",
                "pathlib",
                "pydoc",
                "re/_parser",
                "shutil",
                "socket",
                "ssl",
                "subprocess",
                "tarfile",
                "typing",
                "unittest/case",
                "urllib/request",
                "zipfile",
            ] {
                t.filler(&format!("usr/lib/python3.11/{m}.py"), 80, 0o644);
                t.filler(
                    &format!("usr/lib/python3.11/__pycache__/{m}.cpython-311.pyc"),
                    90,
                    0o644,
                );
            }
            for m in [
                "Pod/Simple",
                "Module/CoreList",
                "Unicode/Collate",
                "Encode/JP",
                "ExtUtils/MakeMaker",
                "CPAN",
                "Pod/Perldoc",
                "TAP/Harness",
            ] {
                t.filler(&format!("usr/share/perl/5.36.0/{m}.pm"), 70, 0o644);
            }
            for lib in [
                "libsvn_subr-1.so.1.0.0",
                "libsvn_client-1.so.1.0.0",
                "libsvn_wc-1.so.1.0.0",
                "libapr-1.so.0.7.2",
                "libserf-1.so.1.3.0",
                "libperl.so.5.36.0",
            ] {
                t.filler(&format!("usr/lib/x86_64-linux-gnu/{lib}"), 120, 0o644);
            }
            t.filler(
                "usr/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so",
                50,
                0o644,
            );
            t.filler(
                "usr/lib/x86_64-linux-gnu/perl/5.36.0/auto/POSIX/POSIX.so",
                20,
                0o644,
            );
        },
    )
}

fn deps_layer() -> Layer {
    layer(
        "buildpack-deps:bookworm 20241017",
        DEPS_AT,
        588_107_463,
        211_276_935,
        |t| {
            packages(t, BUILD_DEPS);
            t.blob("usr/bin/x86_64-linux-gnu-gcc-12", 1_149_008, 0o755);
            t.symlink("usr/bin/gcc", "gcc-12");
            t.symlink("usr/bin/gcc-12", "x86_64-linux-gnu-gcc-12");
            t.blob("usr/bin/make", 272_480, 0o755);
            // The compilers proper and the biggest libraries, with their real sizes in Debian 12.
            t.blob("usr/libexec/gcc/x86_64-linux-gnu/12/cc1", 33_468_224, 0o755);
            t.blob("usr/libexec/gcc/x86_64-linux-gnu/12/cc1plus", 35_725_800, 0o755);
            t.blob("usr/libexec/gcc/x86_64-linux-gnu/12/lto1", 31_514_976, 0o755);
            t.blob("usr/lib/x86_64-linux-gnu/libicudata.so.72.1", 30_841_928, 0o644);
            t.blob("usr/lib/x86_64-linux-gnu/libLLVM-15.so.1", 117_024_104, 0o644);
            for header in [
                "stdio.h",
                "stdlib.h",
                "string.h",
                "unistd.h",
                "zlib.h",
                "sqlite3.h",
                "ffi.h",
                "bzlib.h",
                "lzma.h",
            ] {
                t.filler(&format!("usr/include/{header}"), 2, 0o644);
            }
            // Every -dev package brings headers, a static library and the shared one.
            for pkg in BUILD_DEPS {
                let stem = pkg.trim_end_matches("-dev");
                t.filler(&format!("usr/include/{stem}/{stem}.h"), 4, 0o644);
                t.filler(&format!("usr/include/{stem}/config.h"), 2, 0o644);
                t.filler(&format!("usr/lib/x86_64-linux-gnu/{stem}.a"), 60, 0o644);
                t.filler(&format!("usr/lib/x86_64-linux-gnu/{stem}.so.0"), 90, 0o644);
            }
            for lib in [
                "libMagickCore-6.Q16.so.6.0.0",
                "libMagickWand-6.Q16.so.6.0.0",
                "libgtk-3.so.0.2406.32",
                "libglib-2.0.so.0.7400.6",
                "libpq.so.5.15",
                "libmariadb.so.3",
                "libperl.so.5.36.0",
                "libgallium-22.3.6.so",
                "libz3.so.4",
            ] {
                t.filler(&format!("usr/lib/x86_64-linux-gnu/{lib}"), 400, 0o644);
            }
            t.filler("usr/lib/gcc/x86_64-linux-gnu/12/libstdc++.a", 300, 0o644);
            t.filler("usr/lib/x86_64-linux-gnu/libc.a", 300, 0o644);
        },
    )
}
