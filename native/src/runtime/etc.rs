//! The three files a runtime writes for each container and bind-mounts over the image's:
//! `/etc/hostname`, `/etc/hosts` and `/etc/resolv.conf`.
//!
//! Public API:
//! - [`hosts_file`]`(network, host_hosts) -> String`, [`resolv_conf`]`(network, host_resolv) -> String`:
//!   the contents, as Docker makes them.
//! - [`write_etc_files`]`(&ContainerLayout, hostname, network) -> io::Result<EtcFiles>`.

use std::fs;
use std::io;

use super::mounts::{EtcFiles, NetworkMode};
use super::rootfs::ContainerLayout;

/// What Docker writes for a container with its own network namespace.
const DEFAULT_HOSTS: &str = "127.0.0.1\tlocalhost\n\
::1\tlocalhost ip6-localhost ip6-loopback\n\
fe00::0\tip6-localnet\n\
ff00::0\tip6-mcastprefix\n\
ff02::1\tip6-allnodes\n\
ff02::2\tip6-allrouters\n";

/// `/etc/hosts`: the host's own file with `--network host`, Docker's default otherwise.
pub fn hosts_file(network: NetworkMode, host_hosts: Option<&str>) -> String {
    match (network, host_hosts) {
        (NetworkMode::Host, Some(h)) => h.to_owned(),
        _ => DEFAULT_HOSTS.to_owned(),
    }
}

/// `/etc/resolv.conf`: the host's file; in a separate network namespace the loopback
/// nameservers are dropped (they would point at the container itself), and if none is left
/// Docker's public fallbacks are used.
pub fn resolv_conf(network: NetworkMode, host_resolv: Option<&str>) -> String {
    let host = host_resolv.unwrap_or("");
    if network == NetworkMode::Host {
        return host.to_owned();
    }
    let mut out = String::new();
    let mut servers = 0;
    for line in host.lines() {
        let mut words = line.split_whitespace();
        if words.next() == Some("nameserver") {
            let addr = words.next().unwrap_or("");
            if addr.starts_with("127.") || addr == "::1" {
                continue;
            }
            servers += 1;
        }
        out.push_str(line);
        out.push('\n');
    }
    if servers == 0 {
        out.push_str("nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
    }
    out
}

/// Write the three files into the container's directory and say where they are.
pub fn write_etc_files(
    layout: &ContainerLayout,
    hostname: &str,
    network: NetworkMode,
) -> io::Result<EtcFiles> {
    fs::write(&layout.hostname, format!("{hostname}\n"))?;
    // Only the host's network shares the host's names.
    let host_hosts = match network {
        NetworkMode::Host => fs::read_to_string("/etc/hosts").ok(),
        NetworkMode::None => None,
    };
    fs::write(&layout.hosts, hosts_file(network, host_hosts.as_deref()))?;
    let host_resolv = fs::read_to_string("/etc/resolv.conf").ok();
    fs::write(&layout.resolv_conf, resolv_conf(network, host_resolv.as_deref()))?;
    Ok(EtcFiles {
        hostname: layout.hostname.clone(),
        hosts: layout.hosts.clone(),
        resolv_conf: layout.resolv_conf.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_nameservers_are_dropped_in_a_private_namespace() {
        let host = "search lan\nnameserver 127.0.0.53\nnameserver 10.0.0.2\n";
        assert_eq!(
            resolv_conf(NetworkMode::None, Some(host)),
            "search lan\nnameserver 10.0.0.2\n"
        );
        assert_eq!(
            resolv_conf(NetworkMode::None, Some("nameserver 127.0.0.1\n")),
            "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"
        );
        assert_eq!(resolv_conf(NetworkMode::Host, Some(host)), host);
    }

    #[test]
    fn hosts_has_localhost() {
        assert!(hosts_file(NetworkMode::None, Some("1.2.3.4 x\n")).starts_with("127.0.0.1\tlocalhost\n"));
        assert_eq!(hosts_file(NetworkMode::Host, Some("1.2.3.4 x\n")), "1.2.3.4 x\n");
    }
}
