//! A pseudo-terminal for the container (`run -t`), made the way runc makes its console: the
//! container's init opens `/dev/ptmx` in the container's own `devpts` (so `tty` inside says
//! `/dev/pts/0`), makes the slave its controlling terminal and its 0/1/2, and hands the master
//! back to the caller over a unix socket (`SCM_RIGHTS`). The caller then relays between the
//! master and its own terminal, and logs what the container printed.
//!
//! Public API:
//! - [`terminal_size`]`() -> Option<Winsize>`: the caller's window size, if it has a terminal.
//! - [`stdin_is_terminal`]`() -> bool`.
//! - [`RawMode`]: puts the caller's terminal in raw mode while alive (only when stdin is one).
//!
//! Crate-internal: [`console_socket`] (the pair the master travels on), [`setup_in_container`]
//! (in init, after `pivot_root`), [`receive_master`] (the caller's side) and [`spawn_relay`].

use std::io::{IoSlice, IoSliceMut, Read, Write};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;
use std::thread::JoinHandle;

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::net::{
    AddressFamily, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags, SocketFlags, SocketType, recvmsg, sendmsg, socketpair,
};
use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{OptionalActions, Termios, isatty, tcgetattr, tcgetwinsize, tcsetattr, tcsetwinsize};

pub use rustix::termios::Winsize;

use super::logs::{JsonFileLog, LineSplitter, Stream};

/// The caller's window size, taken from its stdout or stdin when either is a terminal.
pub fn terminal_size() -> Option<Winsize> {
    let out = std::io::stdout();
    let input = std::io::stdin();
    [out.as_fd(), input.as_fd()]
        .into_iter()
        .find(|fd| isatty(fd))
        .and_then(|fd| tcgetwinsize(fd).ok())
}

/// Whether the caller's stdin is a terminal (`-it` needs one, as Docker insists).
pub fn stdin_is_terminal() -> bool {
    isatty(std::io::stdin())
}

/// The caller's terminal in raw mode: keys reach the container as typed (Ctrl-C included, which
/// the container's line discipline turns into its own SIGINT). The old mode comes back on drop.
#[derive(Debug)]
pub struct RawMode {
    saved: Termios,
}

impl RawMode {
    /// `None` when stdin is not a terminal or refuses the change: nothing to restore then.
    pub fn enable() -> Option<RawMode> {
        let stdin = std::io::stdin();
        if !isatty(&stdin) {
            return None;
        }
        let saved = tcgetattr(&stdin).ok()?;
        let mut raw = saved.clone();
        raw.make_raw();
        tcsetattr(&stdin, OptionalActions::Now, &raw).ok()?;
        Some(RawMode { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = tcsetattr(std::io::stdin(), OptionalActions::Now, &self.saved);
    }
}

/// The socket pair the master travels on: the first end stays with the caller, the second goes
/// to the container's init.
pub(crate) fn console_socket() -> std::io::Result<(OwnedFd, OwnedFd)> {
    Ok(socketpair(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )?)
}

/// In the container's init, after `pivot_root`: open a terminal pair in the container's devpts,
/// send the master to the caller, make the slave the controlling terminal and stdin, stdout and
/// stderr. `owner` gets the slave, so a container running as another user can still use it.
/// Returns a message for the caller on failure.
pub(crate) fn setup_in_container(
    socket: BorrowedFd<'_>,
    size: Option<Winsize>,
    owner: (u32, u32),
) -> Result<(), String> {
    let fail = |what: &str, e: rustix::io::Errno| format!("console: {what}: {}", std::io::Error::from(e));
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
        .map_err(|e| fail("open /dev/ptmx", e))?;
    grantpt(&master).map_err(|e| fail("grantpt", e))?;
    unlockpt(&master).map_err(|e| fail("unlockpt", e))?;
    let name = ptsname(&master, Vec::new()).map_err(|e| fail("ptsname", e))?;
    let slave = rustix::fs::open(
        name.as_c_str(),
        rustix::fs::OFlags::RDWR | rustix::fs::OFlags::NOCTTY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(|e| fail("open the terminal", e))?;
    if let Some(size) = size {
        tcsetwinsize(&slave, size).map_err(|e| fail("set the window size", e))?;
    }
    rustix::fs::fchown(
        &slave,
        Some(rustix::fs::Uid::from_raw(owner.0)),
        Some(rustix::fs::Gid::from_raw(owner.1)),
    )
    .map_err(|e| fail("chown the terminal", e))?;

    let fds = [master.as_fd()];
    let mut space = [MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !control.push(SendAncillaryMessage::ScmRights(&fds)) {
        return Err("console: the control buffer is too small".to_owned());
    }
    sendmsg(socket, &[IoSlice::new(b"m")], &mut control, SendFlags::empty())
        .map_err(|e| fail("send the terminal", e))?;
    drop(master);

    // A new session without a terminal, then this one as its controlling terminal: job control
    // and Ctrl-C inside the container work on it, not on the caller's terminal.
    rustix::process::setsid().map_err(|e| fail("setsid", e))?;
    rustix::process::ioctl_tiocsctty(&slave).map_err(|e| fail("TIOCSCTTY", e))?;
    nix::unistd::dup2_stdin(&slave)
        .and_then(|()| nix::unistd::dup2_stdout(&slave))
        .and_then(|()| nix::unistd::dup2_stderr(&slave))
        .map_err(|e| format!("console: dup2: {}", e.desc()))?;
    Ok(())
}

/// The caller's side: wait for the master from the container's init. `None` if init ended
/// without sending one (it failed, and says why on the status pipe).
pub(crate) fn receive_master(socket: &OwnedFd) -> Option<OwnedFd> {
    let mut space = [MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let mut byte = [0u8; 1];
    loop {
        match recvmsg(
            socket,
            &mut [IoSliceMut::new(&mut byte)],
            &mut control,
            RecvFlags::CMSG_CLOEXEC,
        ) {
            Ok(_) => break,
            Err(rustix::io::Errno::INTR) => continue,
            Err(_) => return None,
        }
    }
    control.drain().find_map(|msg| match msg {
        RecvAncillaryMessage::ScmRights(mut fds) => fds.next(),
        _ => None,
    })
}

/// Copy the container's terminal output to the log (as `stdout`, where Docker logs a terminal's
/// output) and, when attached, to our stdout; with `input`, copy our stdin to the terminal too.
/// Ends when the container's side of the terminal is closed (every process in it has exited).
/// Attached to a terminal, it also passes on window size changes (checked twice a second,
/// which spares a SIGWINCH handler in a library).
pub(crate) fn spawn_relay(
    master: OwnedFd,
    log: Option<Arc<JsonFileLog>>,
    attach: bool,
    input: bool,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let _raw = if attach && input { RawMode::enable() } else { None };
        let mut master = std::fs::File::from(master);
        let stdin = std::io::stdin();
        let mut reading_stdin = attach && input;
        let mut split = LineSplitter::default();
        let mut buf = vec![0u8; 32 * 1024];
        let mut size = if attach { terminal_size() } else { None };
        let tick = Timespec {
            tv_sec: 0,
            tv_nsec: 500_000_000,
        };
        loop {
            if let Some(old) = size
                && let Some(new) = terminal_size()
                && (new.ws_row, new.ws_col) != (old.ws_row, old.ws_col)
            {
                let _ = tcsetwinsize(&master, new);
                size = Some(new);
            }
            let (master_ready, stdin_ready) = {
                let mut fds = vec![PollFd::new(&master, PollFlags::IN)];
                if reading_stdin {
                    fds.push(PollFd::new(&stdin, PollFlags::IN));
                }
                match poll(&mut fds, size.is_some().then_some(&tick)) {
                    Ok(_) => {}
                    Err(rustix::io::Errno::INTR) => continue,
                    Err(_) => break,
                }
                let ready = |fd: Option<&PollFd<'_>>| fd.is_some_and(|f| !f.revents().is_empty());
                (ready(fds.first()), ready(fds.get(1)))
            };
            if stdin_ready {
                match stdin.lock().read(&mut buf) {
                    // End of our input: stop sending; the container keeps its terminal.
                    Ok(0) | Err(_) => reading_stdin = false,
                    Ok(n) => {
                        if let Some(chunk) = buf.get(..n) {
                            let _ = master.write_all(chunk);
                        }
                    }
                }
            }
            if master_ready {
                let n = match master.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    // EIO: the last holder of the container's side closed it.
                    Err(_) => break,
                };
                let Some(chunk) = buf.get(..n) else { break };
                if attach {
                    let mut out = std::io::stdout();
                    let _ = out.write_all(chunk);
                    let _ = out.flush();
                }
                if let Some(log) = &log {
                    for line in split.push(chunk) {
                        let _ = log.write(Stream::Stdout, &line);
                    }
                }
            }
        }
        if let (Some(log), Some(rest)) = (&log, split.finish()) {
            let _ = log.write(Stream::Stdout, &rest);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_master_travels_over_the_console_socket() {
        let (ours, theirs) = console_socket().expect("socketpair");
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC).expect("ptmx");
        let fds = [master.as_fd()];
        let mut space = [MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = SendAncillaryBuffer::new(&mut space);
        assert!(control.push(SendAncillaryMessage::ScmRights(&fds)));
        sendmsg(&theirs, &[IoSlice::new(b"m")], &mut control, SendFlags::empty()).expect("send");
        let got = receive_master(&ours).expect("a descriptor arrives");
        // The received descriptor is the same terminal master: ptsname works on it.
        assert_eq!(
            ptsname(&got, Vec::new()).expect("ptsname"),
            ptsname(&master, Vec::new()).expect("ptsname")
        );
        drop(theirs);
        assert!(receive_master(&ours).is_none(), "a closed socket gives none");
    }
}
