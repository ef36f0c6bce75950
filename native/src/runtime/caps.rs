//! Capabilities: the container's root gets Docker's default set, not the caller's full set, and
//! nothing is left in the inheritable or ambient sets (CVE-2022-24769).
//!
//! Public API:
//! - [`DEFAULT_CAPS`]: Docker's default capability numbers.
//! - [`drop_to_default`]`() -> Result<(), Errno>`: bounding set, ambient set, then capset.

use nix::errno::Errno;

/// CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID, SETUID, SETPCAP, NET_BIND_SERVICE,
/// NET_RAW, SYS_CHROOT, MKNOD, AUDIT_WRITE, SETFCAP (moby's `caps.DefaultCapabilities`).
/// MKNOD stays, as in Docker, so `mknod` works in a container; what keeps a node from opening a
/// host device is `nodev` on every file system the container can write (see `mounts`).
pub const DEFAULT_CAPS: [u32; 14] = [0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31];

/// The kernel's capability set header and data (linux/capability.h, version 3). libc does not
/// define them because glibc has no capset wrapper.
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// Limit this process (before it execs the container's command) to Docker's default set.
pub fn drop_to_default() -> Result<(), Errno> {
    // The bounding set is what an exec'd root process gets; drop everything else from it.
    for cap in 0..64u32 {
        if DEFAULT_CAPS.contains(&cap) {
            continue;
        }
        // SAFETY: prctl with integer arguments only.
        let r = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, libc::c_ulong::from(cap), 0, 0, 0) };
        match Errno::result(r) {
            // Past the last capability this kernel knows.
            Err(Errno::EINVAL) => break,
            Err(e) => return Err(e),
            Ok(_) => {}
        }
    }
    // SAFETY: prctl with integer arguments only.
    let r = unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
            0,
            0,
            0,
        )
    };
    Errno::result(r)?;
    let mut data = [CapData::default(); 2];
    for cap in DEFAULT_CAPS {
        let (word, bit) = ((cap / 32) as usize, cap % 32);
        if let Some(d) = data.get_mut(word) {
            d.effective |= 1 << bit;
            d.permitted |= 1 << bit;
        }
    }
    let header = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    // SAFETY: capset reads one header and two data structs, laid out as the kernel defines
    // them (repr(C) above); both live for the whole call.
    let r = unsafe { libc::syscall(libc::SYS_capset, &header, data.as_ptr()) };
    Errno::result(r).map(drop)
}
