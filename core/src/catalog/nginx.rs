//! nginx: `1.15.8` (January 2019, classic builder, on `debian:stretch-slim`), the lesson's image,
//! and `1.27` = `latest` (October 2024, BuildKit, on `debian:bookworm-slim`).

use super::debian::{self, gshadow_of, shadow_of};
use super::tree::Tree;
use super::{Row, RunConfig, Spec, layer};

const MAINTAINER: &str = "NGINX Docker Maintainers <docker-maint@nginx.com>";

pub(super) fn v1_15_8() -> Spec {
    let install = layer(
        "nginx:1.15.8 install 20190122",
        "2019-01-22T23:27:29.406372466Z",
        53_737_066,
        22_229_795,
        |t| {
            let passwd = format!(
                "{}nginx:x:101:101:nginx user,,,:/nonexistent:/bin/false\n",
                debian::STRETCH_PASSWD
            );
            let group = format!("{}nginx:x:101:\n", debian::STRETCH_GROUP);
            accounts(t, &passwd, &group);
            nginx_files(t, NGINX_CONF_1_15, INDEX_HTML_1_15, "57.1");
            t.text("var/log/nginx/access.log", "", 0o640);
            t.text("var/log/nginx/error.log", "", 0o640);
        },
    );
    let logs = layer(
        "nginx:1.15.8 log links 20190122",
        "2019-01-22T23:27:31.143416212Z",
        22,
        203,
        |t| {
            t.symlink("var/log/nginx/access.log", "/dev/stdout");
            t.symlink("var/log/nginx/error.log", "/dev/stderr");
        },
    );

    let mut rows = debian::stretch_slim_rows();
    rows.extend([
        Row::empty("2019-01-22T23:27:00.102301262Z", format!("/bin/sh -c #(nop)  LABEL maintainer={MAINTAINER}")),
        Row::empty("2019-01-22T23:27:00.433813496Z", "/bin/sh -c #(nop)  ENV NGINX_VERSION=1.15.8-1~stretch"),
        Row::empty("2019-01-22T23:27:00.758207563Z", "/bin/sh -c #(nop)  ENV NJS_VERSION=1.15.8.0.2.7-1~stretch"),
        Row::layer("2019-01-22T23:27:29.406372466Z", RUN_1_15_8, install),
        Row::layer(
            "2019-01-22T23:27:31.143416212Z",
            "/bin/sh -c ln -sf /dev/stdout /var/log/nginx/access.log \t&& ln -sf /dev/stderr /var/log/nginx/error.log",
            logs,
        ),
        Row::empty("2019-01-22T23:27:31.478375411Z", "/bin/sh -c #(nop)  EXPOSE 80"),
        Row::empty("2019-01-22T23:27:31.807553155Z", "/bin/sh -c #(nop)  STOPSIGNAL SIGTERM"),
        Row::empty("2019-01-22T23:27:32.136718925Z", "/bin/sh -c #(nop)  CMD [\"nginx\" \"-g\" \"daemon off;\"]"),
    ]);
    Spec {
        rows,
        config: RunConfig {
            env: vec![
                debian::PATH_ENV,
                "NGINX_VERSION=1.15.8-1~stretch",
                "NJS_VERSION=1.15.8.0.2.7-1~stretch",
            ],
            cmd: Some(vec!["nginx", "-g", "daemon off;"]),
            exposed_ports: vec!["80/tcp"],
            stop_signal: Some("SIGTERM"),
            labels: vec![("maintainer", MAINTAINER)],
            ..RunConfig::default()
        },
    }
}

pub(super) fn v1_27() -> Spec {
    const RUN_AT: &str = "2024-10-17T01:11:21.517339541Z";
    let install = layer(
        "nginx:1.27.2 install 20241017",
        RUN_AT,
        117_134_592,
        44_707_228,
        |t| {
            let passwd = format!(
                "{}nginx:x:101:101:nginx user:/nonexistent:/bin/false\n",
                debian::BOOKWORM_PASSWD
            );
            let group = format!("{}nginx:x:101:\n", debian::BOOKWORM_GROUP);
            accounts(t, &passwd, &group);
            nginx_files(t, NGINX_CONF_1_27, INDEX_HTML_1_27, "72.1");
            // This RUN also makes the log links and the entrypoint directory in the same layer.
            t.symlink("var/log/nginx/access.log", "/dev/stdout");
            t.symlink("var/log/nginx/error.log", "/dev/stderr");
            t.dir("docker-entrypoint.d", 0o755);
            t.text("etc/apt/keyrings/nginx-archive-keyring.gpg", "", 0o644);
            t.blob("usr/bin/curl", 326_072, 0o755);
            t.filler("usr/lib/x86_64-linux-gnu/libcurl.so.4.8.0", 60, 0o644);
            t.filler("usr/lib/x86_64-linux-gnu/libssl.so.3", 60, 0o644);
            t.filler("usr/lib/x86_64-linux-gnu/libcrypto.so.3", 450, 0o644);
        },
    );
    // (layer name, path, created_by, content, compressed size)
    let scripts: [(&'static str, &str, &str, &str, u64); 5] = [
        (
            "nginx:1.27.2 copy docker-entrypoint.sh",
            "docker-entrypoint.sh",
            "COPY docker-entrypoint.sh / # buildkit",
            ENTRYPOINT_SH,
            913,
        ),
        (
            "nginx:1.27.2 copy 10-listen-on-ipv6-by-default.sh",
            "docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
            "COPY 10-listen-on-ipv6-by-default.sh /docker-entrypoint.d # buildkit",
            LISTEN_IPV6_SH,
            1_211,
        ),
        (
            "nginx:1.27.2 copy 15-local-resolvers.envsh",
            "docker-entrypoint.d/15-local-resolvers.envsh",
            "COPY 15-local-resolvers.envsh /docker-entrypoint.d # buildkit",
            LOCAL_RESOLVERS_SH,
            403,
        ),
        (
            "nginx:1.27.2 copy 20-envsubst-on-templates.sh",
            "docker-entrypoint.d/20-envsubst-on-templates.sh",
            "COPY 20-envsubst-on-templates.sh /docker-entrypoint.d # buildkit",
            ENVSUBST_SH,
            1_530,
        ),
        (
            "nginx:1.27.2 copy 30-tune-worker-processes.sh",
            "docker-entrypoint.d/30-tune-worker-processes.sh",
            "COPY 30-tune-worker-processes.sh /docker-entrypoint.d # buildkit",
            TUNE_WORKERS_SH,
            1_964,
        ),
    ];

    let mut rows = debian::bookworm_slim_rows();
    rows.extend([
        Row::empty(
            "2024-10-17T01:10:41.326120417Z",
            format!("LABEL maintainer={MAINTAINER}"),
        )
        .buildkit(),
        Row::empty("2024-10-17T01:10:41.326120417Z", "ENV NGINX_VERSION=1.27.2").buildkit(),
        Row::empty("2024-10-17T01:10:41.326120417Z", "ENV NJS_VERSION=0.8.6").buildkit(),
        Row::empty("2024-10-17T01:10:41.326120417Z", "ENV NJS_RELEASE=1~bookworm").buildkit(),
        Row::empty("2024-10-17T01:10:41.326120417Z", "ENV PKG_RELEASE=1~bookworm").buildkit(),
        Row::empty("2024-10-17T01:10:41.326120417Z", "ENV DYNPKG_RELEASE=1~bookworm").buildkit(),
        Row::layer(RUN_AT, RUN_1_27, install).buildkit(),
    ]);
    for (name, path, created_by, text, compressed) in scripts {
        let created = "2024-10-17T01:11:21.720893316Z";
        let l = layer(name, created, text.len() as u64, compressed, |t| {
            t.text(path, text, 0o775)
        });
        rows.push(Row::layer(created, created_by, l).buildkit());
    }
    rows.extend([
        Row::empty(
            "2024-10-17T01:11:21.720893316Z",
            "ENTRYPOINT [\"/docker-entrypoint.sh\"]",
        )
        .buildkit(),
        Row::empty("2024-10-17T01:11:21.720893316Z", "EXPOSE map[80/tcp:{}]").buildkit(),
        Row::empty("2024-10-17T01:11:21.720893316Z", "STOPSIGNAL SIGQUIT").buildkit(),
        Row::empty(
            "2024-10-17T01:11:21.720893316Z",
            "CMD [\"nginx\" \"-g\" \"daemon off;\"]",
        )
        .buildkit(),
    ]);
    Spec {
        rows,
        config: RunConfig {
            env: vec![
                debian::PATH_ENV,
                "NGINX_VERSION=1.27.2",
                "NJS_VERSION=0.8.6",
                "NJS_RELEASE=1~bookworm",
                "PKG_RELEASE=1~bookworm",
                "DYNPKG_RELEASE=1~bookworm",
            ],
            entrypoint: Some(vec!["/docker-entrypoint.sh"]),
            cmd: Some(vec!["nginx", "-g", "daemon off;"]),
            exposed_ports: vec!["80/tcp"],
            stop_signal: Some("SIGQUIT"),
            labels: vec![("maintainer", MAINTAINER)],
            ..RunConfig::default()
        },
    }
}

/// `useradd nginx` rewrites the account files, so the install layer holds whole new copies.
fn accounts(t: &mut Tree, passwd: &str, group: &str) {
    t.text("etc/passwd", passwd, 0o644);
    t.text("etc/group", group, 0o644);
    t.text("etc/shadow", &shadow_of(passwd), 0o640);
    t.owned("etc/shadow", 0, 42);
    t.text("etc/gshadow", &gshadow_of(group), 0o640);
    t.owned("etc/gshadow", 0, 42);
}

/// What the nginx.org packages install, and what apt leaves behind.
fn nginx_files(t: &mut Tree, conf: &str, index: &str, icu: &str) {
    t.text("etc/nginx/nginx.conf", conf, 0o644);
    t.text("etc/nginx/conf.d/default.conf", DEFAULT_CONF, 0o644);
    t.text("etc/nginx/fastcgi_params", FASTCGI_PARAMS, 0o644);
    t.text("etc/nginx/scgi_params", "scgi_param  REQUEST_METHOD     $request_method;\nscgi_param  REQUEST_URI        $request_uri;\nscgi_param  QUERY_STRING       $query_string;\nscgi_param  CONTENT_TYPE       $content_type;\n", 0o644);
    t.text("etc/nginx/uwsgi_params", "uwsgi_param  QUERY_STRING       $query_string;\nuwsgi_param  REQUEST_METHOD     $request_method;\nuwsgi_param  CONTENT_TYPE       $content_type;\nuwsgi_param  CONTENT_LENGTH     $content_length;\n", 0o644);
    t.text("etc/nginx/mime.types", MIME_TYPES, 0o644);
    for f in ["koi-utf", "koi-win", "win-utf"] {
        t.filler(&format!("etc/nginx/{f}"), 1, 0o644);
    }
    t.symlink("etc/nginx/modules", "/usr/lib/nginx/modules");
    t.text("usr/share/nginx/html/index.html", index, 0o644);
    t.text("usr/share/nginx/html/50x.html", HTML_50X, 0o644);
    t.blob("usr/sbin/nginx", 1_382_664, 0o755);
    t.blob("usr/sbin/nginx-debug", 1_442_760, 0o755);
    for m in [
        "ngx_http_geoip_module.so",
        "ngx_http_image_filter_module.so",
        "ngx_http_js_module.so",
        "ngx_http_xslt_filter_module.so",
        "ngx_stream_geoip_module.so",
        "ngx_stream_js_module.so",
    ] {
        t.filler(&format!("usr/lib/nginx/modules/{m}"), 30, 0o644);
        t.filler(
            &format!("usr/lib/nginx/modules/{}", m.replace(".so", "-debug.so")),
            30,
            0o644,
        );
    }
    t.dir("var/cache/nginx", 0o755);
    t.text("etc/logrotate.d/nginx", "/var/log/nginx/*.log {\n        daily\n        missingok\n        rotate 52\n        compress\n        delaycompress\n        notifempty\n        create 640 nginx adm\n        sharedscripts\n        postrotate\n                if [ -f /var/run/nginx.pid ]; then\n                        kill -USR1 `cat /var/run/nginx.pid`\n                fi\n        endscript\n}\n", 0o644);
    let lib = "usr/lib/x86_64-linux-gnu";
    for (name, weight) in [
        ("libxml2.so.2.9.14", 200),
        ("libxslt.so.1.1.35", 25),
        ("libexslt.so.0.8.20", 8),
        ("libgd.so.3.0.11", 45),
        ("libGeoIP.so.1.6.12", 14),
        ("libX11.so.6.4.0", 130),
        ("libxcb.so.1.1.0", 16),
        ("libfontconfig.so.1.12.0", 30),
        ("libfreetype.so.6.18.3", 80),
        ("libpng16.so.16.39.0", 21),
        ("libjpeg.so.62.3.0", 43),
        ("libtiff.so.6.0.0", 50),
        ("libwebp.so.7.1.5", 52),
        ("libgnutls.so.30.34.3", 200),
        ("libXpm.so.4.11.0", 12),
        ("libdeflate.so.0", 12),
        ("libjbig.so.0", 8),
        ("libLerc.so.4", 60),
        ("libxml2-utils-xmllint", 10),
        ("libquickjs-njs.so", 150),
        ("libpcre2-8.so.0.11.2", 60),
        ("libnghttp2.so.14.24.1", 20),
        ("librtmp.so.1", 12),
        ("libssh2.so.1.0.1", 28),
        ("libpsl.so.5.3.4", 8),
        ("libbrotlicommon.so.1.0.9", 14),
        ("libbrotlidec.so.1.0.9", 5),
        ("libldap-2.5.so.0.1.8", 36),
        ("libsasl2.so.2.0.25", 12),
        ("libkrb5.so.3.3", 85),
        ("libk5crypto.so.3.1", 20),
        ("libgssapi_krb5.so.2.2", 34),
    ] {
        t.filler(&format!("{lib}/{name}"), weight, 0o644);
    }
    // ICU's data library is the biggest file nginx's XSLT module pulls in.
    let icu_major = icu.split('.').next().unwrap_or(icu);
    t.blob(
        &format!("{lib}/libicudata.so.{icu}"),
        if icu_major == "57" { 25_673_648 } else { 30_841_928 },
        0o644,
    );
    t.filler(&format!("{lib}/libicuuc.so.{icu}"), 200, 0o644);
    t.filler(&format!("{lib}/libicui18n.so.{icu}"), 330, 0o644);
    for data in [
        "X11/locale/locale.alias",
        "X11/locale/compose.dir",
        "X11/XErrorDB",
        "fontconfig/conf.avail/10-hinting-slight.conf",
    ] {
        t.filler(&format!("usr/share/{data}"), 10, 0o644);
    }
    for font in [
        "DejaVuSans.ttf",
        "DejaVuSans-Bold.ttf",
        "DejaVuSansMono.ttf",
        "DejaVuSerif.ttf",
    ] {
        t.filler(&format!("usr/share/fonts/truetype/dejavu/{font}"), 70, 0o644);
    }
    t.filler("usr/share/GeoIP/GeoIP.dat", 60, 0o644);
    t.filler("usr/share/GeoIP/GeoIPv6.dat", 60, 0o644);
    t.blob("usr/bin/envsubst", 35_000, 0o755);
    t.filler("var/lib/dpkg/status", 30, 0o644);
    t.filler("var/log/dpkg.log", 5, 0o644);
    t.filler("var/log/apt/eipp.log.xz", 3, 0o644);
    for pkg in [
        "nginx",
        "nginx-module-geoip",
        "nginx-module-image-filter",
        "nginx-module-njs",
        "nginx-module-xslt",
        "gettext-base",
        "libgd3",
        "libgeoip1",
        "libxml2",
        "libxslt1.1",
        "libx11-6",
        "libfontconfig1",
        "libfreetype6",
        "libpng16-16",
        "libjpeg62-turbo",
        "libtiff6",
        "libwebp7",
        "fonts-dejavu-core",
        "fontconfig-config",
    ] {
        t.filler(&format!("usr/share/doc/{pkg}/copyright"), 1, 0o644);
        t.filler(&format!("var/lib/dpkg/info/{pkg}.list"), 1, 0o644);
        t.filler(&format!("var/lib/dpkg/info/{pkg}.md5sums"), 1, 0o644);
    }
}

const RUN_1_15_8: &str = "/bin/sh -c set -x \t&& apt-get update \t&& apt-get install --no-install-recommends --no-install-suggests -y gnupg1 apt-transport-https ca-certificates \t&& \tNGINX_GPGKEY=573BFD6B3D8FBC641079A6ABABF5BD827BD9BF62; \tfound=''; \tfor server in \t\tha.pool.sks-keyservers.net \t\thkp://keyserver.ubuntu.com:80 \t\thkp://p80.pool.sks-keyservers.net:80 \t\tpgp.mit.edu \t; do \t\techo \"Fetching GPG key $NGINX_GPGKEY from $server\"; \t\tapt-key adv --keyserver \"$server\" --keyserver-options timeout=10 --recv-keys \"$NGINX_GPGKEY\" && found=yes && break; \tdone; \ttest -z \"$found\" && echo >&2 \"error: failed to fetch GPG key $NGINX_GPGKEY\" && exit 1; \tapt-get remove --purge --auto-remove -y gnupg1 && rm -rf /var/lib/apt/lists/* \t&& dpkgArch=\"$(dpkg --print-architecture)\" \t&& nginxPackages=\" \t\tnginx=${NGINX_VERSION} \t\tnginx-module-xslt=${NGINX_VERSION} \t\tnginx-module-geoip=${NGINX_VERSION} \t\tnginx-module-image-filter=${NGINX_VERSION} \t\tnginx-module-njs=${NJS_VERSION} \t\" \t&& case \"$dpkgArch\" in \t\tamd64|i386) \t\t\techo \"deb https://nginx.org/packages/mainline/debian/ stretch nginx\" >> /etc/apt/sources.list.d/nginx.list \t\t\t&& apt-get update \t\t\t;; \t\t*) \t\t\techo \"deb-src https://nginx.org/packages/mainline/debian/ stretch nginx\" >> /etc/apt/sources.list.d/nginx.list \t\t\t\t\t\t&& tempDir=\"$(mktemp -d)\" \t\t\t&& chmod 777 \"$tempDir\" \t\t\t\t\t\t&& savedAptMark=\"$(apt-mark showmanual)\" \t\t\t\t\t\t&& apt-get update \t\t\t&& apt-get build-dep -y $nginxPackages \t\t\t&& ( \t\t\t\tcd \"$tempDir\" \t\t\t\t&& DEB_BUILD_OPTIONS=\"nocheck parallel=$(nproc)\" \t\t\t\t\tapt-get source --compile $nginxPackages \t\t\t) \t\t\t\t\t\t&& apt-mark showmanual | xargs apt-mark auto > /dev/null \t\t\t&& { [ -z \"$savedAptMark\" ] || apt-mark manual $savedAptMark; } \t\t\t\t\t\t&& ls -lAFh \"$tempDir\" \t\t\t&& ( cd \"$tempDir\" && dpkg-scanpackages . > Packages ) \t\t\t&& grep '^Package: ' \"$tempDir/Packages\" \t\t\t&& echo \"deb [ trusted=yes ] file://$tempDir ./\" > /etc/apt/sources.list.d/temp.list \t\t\t&& apt-get -o Acquire::GzipIndexes=false update \t\t\t;; \tesac \t\t&& apt-get install --no-install-recommends --no-install-suggests -y \t\t\t\t\t\t$nginxPackages \t\t\t\t\t\tgettext-base \t&& apt-get remove --purge --auto-remove -y apt-transport-https ca-certificates && rm -rf /var/lib/apt/lists/* /etc/apt/sources.list.d/nginx.list \t\t&& if [ -n \"$tempDir\" ]; then \t\tapt-get purge -y --auto-remove \t\t&& rm -rf \"$tempDir\" /etc/apt/sources.list.d/temp.list; \tfi";

const RUN_1_27: &str = "RUN /bin/sh -c set -x     && groupadd --system --gid 101 nginx     && useradd --system --gid nginx --no-create-home --home /nonexistent --comment \"nginx user\" --shell /bin/false --uid 101 nginx     && apt-get update     && apt-get install --no-install-recommends --no-install-suggests -y gnupg1 ca-certificates     &&     NGINX_GPGKEYS=\"573BFD6B3D8FBC641079A6ABABF5BD827BD9BF62 8540A6F18833A80E9C1653A42FD21310B49F6B46 9E9BE90EACBCDE69FE9B204CBCDCD8A38D88A2B3\";     NGINX_GPGKEY_PATH=/etc/apt/keyrings/nginx-archive-keyring.gpg;     export GNUPGHOME=\"$(mktemp -d)\";     found='';     for NGINX_GPGKEY in $NGINX_GPGKEYS; do     for server in         hkp://keyserver.ubuntu.com:80         pgp.mit.edu     ; do         echo \"Fetching GPG key $NGINX_GPGKEY from $server\";         gpg1 --keyserver \"$server\" --keyserver-options timeout=10 --recv-keys \"$NGINX_GPGKEY\" && found=yes && break;     done;     test -z \"$found\" && echo >&2 \"error: failed to fetch GPG key $NGINX_GPGKEY\" && exit 1;     done;     gpg1 --export \"$NGINX_GPGKEYS\" > \"$NGINX_GPGKEY_PATH\" ;     rm -rf \"$GNUPGHOME\";     apt-get remove --purge --auto-remove -y gnupg1 && rm -rf /var/lib/apt/lists/*     && dpkgArch=\"$(dpkg --print-architecture)\"     && nginxPackages=\"         nginx=${NGINX_VERSION}-${PKG_RELEASE}         nginx-module-xslt=${NGINX_VERSION}-${DYNPKG_RELEASE}         nginx-module-geoip=${NGINX_VERSION}-${DYNPKG_RELEASE}         nginx-module-image-filter=${NGINX_VERSION}-${DYNPKG_RELEASE}         nginx-module-njs=${NGINX_VERSION}+${NJS_VERSION}-${NJS_RELEASE}     \"     && case \"$dpkgArch\" in         amd64|arm64)             echo \"deb [signed-by=$NGINX_GPGKEY_PATH] https://nginx.org/packages/mainline/debian/ bookworm nginx\" >> /etc/apt/sources.list.d/nginx.list             && apt-get update             ;;         *)             echo \"deb-src [signed-by=$NGINX_GPGKEY_PATH] https://nginx.org/packages/mainline/debian/ bookworm nginx\" >> /etc/apt/sources.list.d/nginx.list             && tempDir=\"$(mktemp -d)\"             && chmod 777 \"$tempDir\"             && savedAptMark=\"$(apt-mark showmanual)\"             && apt-get update             && apt-get build-dep -y $nginxPackages             && (                 cd \"$tempDir\"                 && DEB_BUILD_OPTIONS=\"nocheck parallel=$(nproc)\"                     apt-get source --compile $nginxPackages             )             && apt-mark showmanual | xargs apt-mark auto > /dev/null             && { [ -z \"$savedAptMark\" ] || apt-mark manual $savedAptMark; }             && ls -lAFh \"$tempDir\"             && ( cd \"$tempDir\" && dpkg-scanpackages . > Packages )             && grep '^Package: ' \"$tempDir/Packages\"             && echo \"deb [ trusted=yes ] file://$tempDir ./\" > /etc/apt/sources.list.d/temp.list             && apt-get -o Acquire::GzipIndexes=false update             ;;     esac         && apt-get install --no-install-recommends --no-install-suggests -y                         $nginxPackages                         gettext-base                         curl     && apt-get remove --purge --auto-remove -y && rm -rf /var/lib/apt/lists/* /etc/apt/sources.list.d/nginx.list         && if [ -n \"$tempDir\" ]; then         apt-get purge -y --auto-remove         && rm -rf \"$tempDir\" /etc/apt/sources.list.d/temp.list;     fi     && ln -sf /dev/stdout /var/log/nginx/access.log     && ln -sf /dev/stderr /var/log/nginx/error.log     && mkdir /docker-entrypoint.d # buildkit";

const NGINX_CONF_1_15: &str = "
user  nginx;
worker_processes  1;

error_log  /var/log/nginx/error.log warn;
pid        /var/run/nginx.pid;


events {
    worker_connections  1024;
}


http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '$remote_addr - $remote_user [$time_local] \"$request\" '
                      '$status $body_bytes_sent \"$http_referer\" '
                      '\"$http_user_agent\" \"$http_x_forwarded_for\"';

    access_log  /var/log/nginx/access.log  main;

    sendfile        on;
    #tcp_nopush     on;

    keepalive_timeout  65;

    #gzip  on;

    include /etc/nginx/conf.d/*.conf;
}
";

const NGINX_CONF_1_27: &str = "
user  nginx;
worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /var/run/nginx.pid;


events {
    worker_connections  1024;
}


http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '$remote_addr - $remote_user [$time_local] \"$request\" '
                      '$status $body_bytes_sent \"$http_referer\" '
                      '\"$http_user_agent\" \"$http_x_forwarded_for\"';

    access_log  /var/log/nginx/access.log  main;

    sendfile        on;
    #tcp_nopush     on;

    keepalive_timeout  65;

    #gzip  on;

    include /etc/nginx/conf.d/*.conf;
}
";

const DEFAULT_CONF: &str = "server {
    listen       80;
    listen  [::]:80;
    server_name  localhost;

    #access_log  /var/log/nginx/host.access.log  main;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    #error_page  404              /404.html;

    # redirect server error pages to the static page /50x.html
    #
    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
";

const INDEX_HTML_1_15: &str = "<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
    body {
        width: 35em;
        margin: 0 auto;
        font-family: Tahoma, Verdana, Arial, sans-serif;
    }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href=\"http://nginx.org/\">nginx.org</a>.<br/>
Commercial support is available at
<a href=\"http://nginx.com/\">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
";

const INDEX_HTML_1_27: &str = "<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href=\"http://nginx.org/\">nginx.org</a>.<br/>
Commercial support is available at
<a href=\"http://nginx.com/\">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
";

const HTML_50X: &str = "<!DOCTYPE html>
<html>
<head>
<title>Error</title>
</head>
<body>
<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.<br/>
Please try again later.</p>
</body>
</html>
";

const FASTCGI_PARAMS: &str = "
fastcgi_param  QUERY_STRING       $query_string;
fastcgi_param  REQUEST_METHOD     $request_method;
fastcgi_param  CONTENT_TYPE       $content_type;
fastcgi_param  CONTENT_LENGTH     $content_length;

fastcgi_param  SCRIPT_NAME        $fastcgi_script_name;
fastcgi_param  REQUEST_URI        $request_uri;
fastcgi_param  DOCUMENT_URI       $document_uri;
fastcgi_param  DOCUMENT_ROOT      $document_root;
fastcgi_param  SERVER_PROTOCOL    $server_protocol;
fastcgi_param  REQUEST_SCHEME     $scheme;
fastcgi_param  HTTPS              $https if_not_empty;

fastcgi_param  GATEWAY_INTERFACE  CGI/1.1;
fastcgi_param  SERVER_SOFTWARE    nginx/$nginx_version;

fastcgi_param  REMOTE_ADDR        $remote_addr;
fastcgi_param  REMOTE_PORT        $remote_port;
fastcgi_param  SERVER_ADDR        $server_addr;
fastcgi_param  SERVER_PORT        $server_port;
fastcgi_param  SERVER_NAME        $server_name;
";

const MIME_TYPES: &str = "
types {
    text/html                                        html htm shtml;
    text/css                                         css;
    text/xml                                         xml;
    image/gif                                        gif;
    image/jpeg                                       jpeg jpg;
    application/javascript                           js;
    text/plain                                       txt;
    image/png                                        png;
    image/svg+xml                                    svg svgz;
    image/webp                                       webp;
    image/x-icon                                     ico;
    application/json                                 json;
    application/pdf                                  pdf;
    application/zip                                  zip;
    application/octet-stream                         bin exe dll;
    audio/mpeg                                       mp3;
    video/mp4                                        mp4;
}
";

/// The entrypoint and its helpers are small shell scripts; these are shortened to what they do.
const ENTRYPOINT_SH: &str = "#!/bin/sh
# vim:sw=4:ts=4:et

set -e

entrypoint_log() {
    if [ -z \"${NGINX_ENTRYPOINT_QUIET_LOGS:-}\" ]; then
        echo \"$@\"
    fi
}

if [ \"$1\" = \"nginx\" ] || [ \"$1\" = \"nginx-debug\" ]; then
    if /usr/bin/find \"/docker-entrypoint.d/\" -mindepth 1 -maxdepth 1 -type f -print -quit 2>/dev/null | read v; then
        entrypoint_log \"$0: /docker-entrypoint.d/ is not empty, will attempt to perform configuration\"

        entrypoint_log \"$0: Looking for shell scripts in /docker-entrypoint.d/\"
        find \"/docker-entrypoint.d/\" -follow -type f -print | sort -V | while read -r f; do
            case \"$f\" in
                *.envsh) . \"$f\" ;;
                *.sh) \"$f\" ;;
                *) entrypoint_log \"$0: Ignoring $f\";;
            esac
        done

        entrypoint_log \"$0: Configuration complete; ready for start up\"
    fi
fi

exec \"$@\"
";

const LISTEN_IPV6_SH: &str = "#!/bin/sh
# vim:sw=4:ts=4:et

set -e

ME=$(basename \"$0\")
DEFAULT_CONF_FILE=\"etc/nginx/conf.d/default.conf\"

# check if we have ipv6 available
if [ ! -f \"/proc/net/if_inet6\" ]; then
    echo >&3 \"$ME: info: ipv6 not available\"
    exit 0
fi

if [ ! -f \"/$DEFAULT_CONF_FILE\" ]; then
    echo >&3 \"$ME: info: /$DEFAULT_CONF_FILE is not a file or does not exist\"
    exit 0
fi

# enable ipv6 on default.conf listen sockets
sed -i -E 's,listen       80;,listen       80;\\n    listen  [::]:80;,' /$DEFAULT_CONF_FILE

echo >&3 \"$ME: info: Enabled listen on IPv6 in /$DEFAULT_CONF_FILE\"

exit 0
";

const LOCAL_RESOLVERS_SH: &str = "#!/bin/sh
# vim:sw=2:ts=2:sts=2:et

set -eu

LC_ALL=C
PATH=\"$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"

[ \"${NGINX_ENTRYPOINT_LOCAL_RESOLVERS:-}\" ] || return 0

NGINX_LOCAL_RESOLVERS=$(awk 'BEGIN{ORS=\" \"} $1==\"nameserver\" {print $2}' /etc/resolv.conf)
export NGINX_LOCAL_RESOLVERS
";

const ENVSUBST_SH: &str = "#!/bin/sh

set -e

ME=$(basename \"$0\")

auto_envsubst() {
  local template_dir=\"${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}\"
  local suffix=\"${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}\"
  local output_dir=\"${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}\"

  local template defined_envs relative_path output_path subdir
  defined_envs=$(printf '${%s} ' $(env | cut -d= -f1))
  [ -d \"$template_dir\" ] || return 0
  find \"$template_dir\" -follow -type f -name \"*$suffix\" -print | while read -r template; do
    relative_path=\"${template#\"$template_dir/\"}\"
    output_path=\"$output_dir/${relative_path%\"$suffix\"}\"
    subdir=$(dirname \"$relative_path\")
    mkdir -p \"$output_dir/$subdir\"
    echo >&3 \"$ME: Running envsubst on $template to $output_path\"
    envsubst \"$defined_envs\" < \"$template\" > \"$output_path\"
  done
}

auto_envsubst

exit 0
";

const TUNE_WORKERS_SH: &str = "#!/bin/sh
# vim:sw=2:ts=2:sts=2:et

set -eu

LC_ALL=C
ME=$(basename \"$0\")
PATH=\"$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"

[ \"${NGINX_ENTRYPOINT_WORKER_PROCESSES_AUTOTUNE:-}\" ] || exit 0

touch /etc/nginx/nginx.conf 2>/dev/null || { echo >&2 \"$ME: error: can not modify /etc/nginx/nginx.conf (read-only file system?)\"; exit 0; }

ceildiv() {
  num=$1
  div=$2
  echo $(( (num + div - 1) / div ))
}

# Count the CPUs this container may use, from the cgroup quota if there is one.
ncpu_online=$(getconf _NPROCESSORS_ONLN)
ncpu=$ncpu_online
if [ -r /sys/fs/cgroup/cpu.max ]; then
  read -r quota period < /sys/fs/cgroup/cpu.max
  if [ \"$quota\" != \"max\" ]; then
    ncpu=$(ceildiv \"$quota\" \"$period\")
  fi
fi

[ \"$ncpu\" -ge 1 ] || ncpu=1

sed -i.bak -r 's/^(worker_processes)(.*)$/# Commented out by '\"$ME\"' on '\"$(date)\"'\\n#\\1\\2\\n\\1 '\"$ncpu\"';/' /etc/nginx/nginx.conf
";
