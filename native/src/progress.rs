//! A pull's progress on the screen, printed as the events happen and laid out as Docker's CLI
//! lays it out (moby's `pkg/jsonmessage`, `DisplayJSONMessagesStream`).
//!
//! Public API:
//! - [`PullPrinter::new`]`(terminal_width: Option<u16>)`: live view on a terminal of that width,
//!   plain lines with `None`; [`PullPrinter::print`]`(&mut self, &PullEvent, now: Instant, out)`.
//! - [`Stream`]: the process's stream the output goes to, with [`Stream::terminal_width`].
//! - [`REDRAW_EVERY`]: how often one layer's byte counters are redrawn at most.
//!
//! On a terminal each layer owns one line, opened when the layer is first reported and redrawn in
//! place: the cursor rests at the start of the line below the last layer line; to redraw layer
//! `i` of `n`, it moves up `n - i` lines, clears the line, prints, and moves back down, exactly
//! the escapes moby writes. `Downloading` and `Extracting` carry a `[====>   ]  1.2MB/3.4MB` bar.
//! A line without a layer (`Digest:`, `Status:`) is printed below and forgets the layer lines, so
//! nothing printed later moves the cursor back into them.
//!
//! Without a terminal, Docker's CLI prints every status whose progress text is empty and skips
//! those with byte counters: `Pulling fs layer`, `Waiting`, `Verifying Checksum`,
//! `Download complete`, `Pull complete`, `Already exists`, one line each, as they happen.

use std::collections::HashMap;
use std::io::{self, IsTerminal, Write};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use layerlab_core::cli::render::{self, PullStatus};

use crate::pull::{LayerStatus, PullEvent, PullOutcome};

/// One layer's byte counters are redrawn at most this often, as moby's progress reader sends
/// them; a layer's first counters, its last ones (`current == total`) and every status change
/// are drawn at once.
pub const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// The width moby assumes when a terminal's size cannot be read.
const UNKNOWN_WIDTH: u16 = 200;

/// moby's `aec.EraseLine(aec.EraseModes.All)`.
const CLEAR_LINE: &str = "\x1b[2K";

/// The process's stream a pull's output goes to: `pull` prints on stdout, `run` and `create` on
/// stderr, as Docker's CLI does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    /// The terminal's width in columns when the stream is a terminal, `None` when it is not.
    pub fn terminal_width(self) -> Option<u16> {
        fn width(stream: impl AsFd + IsTerminal) -> Option<u16> {
            if !stream.is_terminal() {
                return None;
            }
            Some(rustix::termios::tcgetwinsize(&stream).map_or(UNKNOWN_WIDTH, |w| w.ws_col))
        }
        match self {
            Stream::Stdout => width(io::stdout()),
            Stream::Stderr => width(io::stderr()),
        }
    }
}

/// Prints a pull's events as they arrive.
#[derive(Debug)]
pub struct PullPrinter {
    /// The terminal's width for the live view; `None` prints plain lines.
    width: Option<u16>,
    /// Layers with a line on the screen, top to bottom.
    lines: Vec<String>,
    /// When each layer's byte counters were last drawn, since its last status change.
    drawn: HashMap<String, Instant>,
}

impl PullPrinter {
    /// A printer for a terminal `terminal_width` columns wide, or for plain lines (`None`).
    pub fn new(terminal_width: Option<u16>) -> Self {
        Self {
            width: terminal_width,
            lines: Vec::new(),
            drawn: HashMap::new(),
        }
    }

    /// Prints `event`, which happened at `now`.
    pub fn print(&mut self, event: &PullEvent, now: Instant, out: &mut dyn Write) -> io::Result<()> {
        let line = match event {
            PullEvent::Layer { id, status } => return self.layer(id, status, now, out),
            PullEvent::UsingDefaultTag { .. } => render::using_default_tag(),
            // Written from what the pull resolved rather than with core's `pulling_from`, which
            // takes the reference as typed and names its tag when both a tag and a digest are
            // given; the pull fetches by the digest then, and Docker names the digest.
            PullEvent::PullingFrom {
                reference,
                repository,
            } => format!("{reference}: Pulling from {repository}"),
            PullEvent::Digest { digest } => render::pull_digest(digest),
            PullEvent::Status { outcome, name } => match outcome {
                PullOutcome::Downloaded => format!("Status: Downloaded newer image for {name}"),
                PullOutcome::UpToDate => format!("Status: Image is up to date for {name}"),
            },
        };
        self.lines.clear();
        self.drawn.clear();
        writeln!(out, "{line}")?;
        out.flush()
    }

    fn layer(&mut self, id: &str, status: &LayerStatus, now: Instant, out: &mut dyn Write) -> io::Result<()> {
        let Some(status) = pull_status(status) else {
            return Ok(());
        };
        let Some(width) = self.width else {
            // moby leaves out, without a terminal, every status that has progress text.
            if has_progress(&status) {
                return Ok(());
            }
            writeln!(out, "{}", render::short_layer_line(id, &status, None, 0))?;
            return out.flush();
        };
        match status {
            PullStatus::Downloading { current, total } | PullStatus::Extracting { current, total } => {
                let recent = self
                    .drawn
                    .get(id)
                    .is_some_and(|at| now.saturating_duration_since(*at) < REDRAW_EVERY);
                if recent && current < total {
                    return Ok(());
                }
                self.drawn.insert(id.to_owned(), now);
            }
            _ => {
                self.drawn.remove(id);
            }
        }
        let index = match self.lines.iter().position(|l| l == id) {
            Some(i) => i,
            None => {
                self.lines.push(id.to_owned());
                out.write_all(b"\n")?;
                self.lines.len() - 1
            }
        };
        let up = self.lines.len() - index;
        // Docker pulls send no start time, so its bars show no time left.
        let text = render::short_layer_line(id, &status, None, width);
        write!(out, "\x1b[{up}A{CLEAR_LINE}\r{text}\r\x1b[{up}B")?;
        out.flush()
    }
}

/// Whether Docker shows byte counters with `status`.
fn has_progress(status: &PullStatus) -> bool {
    match *status {
        PullStatus::Downloading { current, total } | PullStatus::Extracting { current, total } => {
            !render::progress_bar(current, total, None, 0).is_empty()
        }
        _ => false,
    }
}

/// The status as core's renderer knows it. A retry has no line: Docker prints `Retrying in N
/// seconds` for its own back-off, and the pull here resumes at once.
fn pull_status(status: &LayerStatus) -> Option<PullStatus> {
    Some(match *status {
        LayerStatus::PullingFsLayer => PullStatus::PullingFsLayer,
        LayerStatus::Waiting => PullStatus::Waiting,
        LayerStatus::Downloading { current, total } => PullStatus::Downloading { current, total },
        LayerStatus::Retrying { .. } => return None,
        LayerStatus::VerifyingChecksum => PullStatus::VerifyingChecksum,
        LayerStatus::DownloadComplete => PullStatus::DownloadComplete,
        LayerStatus::Extracting { current, total } => PullStatus::Extracting { current, total },
        LayerStatus::PullComplete => PullStatus::PullComplete,
        LayerStatus::AlreadyExists => PullStatus::AlreadyExists,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use layerlab_core::digest::Digest;

    const A: &str = "aaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbb";
    const C: &str = "cccccccccccc";

    fn layer(id: &str, status: LayerStatus) -> PullEvent {
        PullEvent::Layer {
            id: id.to_owned(),
            status,
        }
    }

    fn digest() -> Digest {
        Digest::of(b"manifest")
    }

    /// A three-layer pull as the pull reports it: one layer already here, two downloaded at
    /// once, progress interleaved, completions bottom-up; 20 ms between events.
    fn events() -> Vec<PullEvent> {
        use LayerStatus::*;
        vec![
            PullEvent::PullingFrom {
                reference: "1.0".into(),
                repository: "demo/app".into(),
            },
            layer(A, AlreadyExists),
            layer(B, PullingFsLayer),
            layer(C, PullingFsLayer),
            layer(
                B,
                Downloading {
                    current: 0,
                    total: 4_000_000,
                },
            ),
            layer(
                C,
                Downloading {
                    current: 500_000,
                    total: 1_000_000,
                },
            ),
            layer(
                B,
                Downloading {
                    current: 2_000_000,
                    total: 4_000_000,
                },
            ),
            layer(
                C,
                Downloading {
                    current: 1_000_000,
                    total: 1_000_000,
                },
            ),
            layer(C, VerifyingChecksum),
            layer(C, DownloadComplete),
            layer(
                B,
                Downloading {
                    current: 4_000_000,
                    total: 4_000_000,
                },
            ),
            layer(B, VerifyingChecksum),
            layer(B, DownloadComplete),
            layer(
                B,
                Extracting {
                    current: 4_000_000,
                    total: 4_000_000,
                },
            ),
            layer(B, PullComplete),
            layer(
                C,
                Extracting {
                    current: 1_000_000,
                    total: 1_000_000,
                },
            ),
            layer(C, PullComplete),
            PullEvent::Digest { digest: digest() },
            PullEvent::Status {
                outcome: PullOutcome::Downloaded,
                name: "localhost:5000/demo/app:1.0".into(),
            },
        ]
    }

    fn print_all(printer: &mut PullPrinter, events: &[(PullEvent, Duration)]) -> String {
        let start = Instant::now();
        let mut out = Vec::new();
        for (e, at) in events {
            printer.print(e, start + *at, &mut out).expect("write to a Vec");
        }
        String::from_utf8(out).expect("utf-8")
    }

    fn every_20ms(events: Vec<PullEvent>) -> Vec<(PullEvent, Duration)> {
        events
            .into_iter()
            .zip((0u64..).map(|i| Duration::from_millis(20 * i)))
            .collect()
    }

    /// What a terminal shows after `bytes`: applies newline, carriage return, cursor up/down
    /// (`ESC [ n A`, `ESC [ n B`), clear line (`ESC [ 2 K`) and printable characters to a grid.
    /// Any other escape fails the test, so the printer cannot rely on one this does not model.
    fn screen(bytes: &str) -> Vec<String> {
        let mut lines: Vec<Vec<char>> = vec![Vec::new()];
        let (mut row, mut col) = (0usize, 0usize);
        let mut chars = bytes.chars().peekable();
        while let Some(ch) = chars.next() {
            match ch {
                '\n' => {
                    row += 1;
                    col = 0;
                }
                '\r' => col = 0,
                '\x1b' => {
                    assert_eq!(chars.next(), Some('['), "escape in {bytes:?}");
                    let mut n = String::new();
                    while let Some(d) = chars.next_if(char::is_ascii_digit) {
                        n.push(d);
                    }
                    let n: usize = n.parse().expect("escape with a count");
                    match chars.next() {
                        Some('A') => row = row.saturating_sub(n),
                        Some('B') => row += n,
                        Some('K') if n == 2 => {
                            if let Some(l) = lines.get_mut(row) {
                                l.clear();
                            }
                        }
                        other => panic!("unexpected escape {n}{other:?} in {bytes:?}"),
                    }
                }
                c => {
                    while lines.len() <= row {
                        lines.push(Vec::new());
                    }
                    let line = &mut lines[row];
                    while line.len() < col {
                        line.push(' ');
                    }
                    match line.get_mut(col) {
                        Some(slot) => *slot = c,
                        None => line.push(c),
                    }
                    col += 1;
                }
            }
            while lines.len() <= row {
                lines.push(Vec::new());
            }
        }
        let mut out: Vec<String> = lines.into_iter().map(|l| l.into_iter().collect()).collect();
        while out.last().is_some_and(String::is_empty) {
            out.pop();
        }
        out
    }

    #[test]
    fn the_terminal_ends_showing_docker_s_lines() {
        let mut p = PullPrinter::new(Some(120));
        let out = print_all(&mut p, &every_20ms(events()));
        assert_eq!(
            screen(&out),
            vec![
                "1.0: Pulling from demo/app".to_owned(),
                format!("{A}: Already exists"),
                format!("{B}: Pull complete"),
                format!("{C}: Pull complete"),
                format!("Digest: {}", digest()),
                "Status: Downloaded newer image for localhost:5000/demo/app:1.0".to_owned(),
            ]
        );
    }

    #[test]
    fn each_layer_line_is_redrawn_in_place_with_moby_s_escapes() {
        let mut p = PullPrinter::new(Some(120));
        let mut out = Vec::new();
        let t = Instant::now();
        p.print(&layer(A, LayerStatus::PullingFsLayer), t, &mut out)
            .expect("write");
        p.print(&layer(B, LayerStatus::PullingFsLayer), t, &mut out)
            .expect("write");
        p.print(&layer(A, LayerStatus::Waiting), t, &mut out)
            .expect("write");
        let out = String::from_utf8(out).expect("utf-8");
        // A new layer opens a line, then is drawn one line up; A, two lines above the cursor
        // once B is there, is reached by moving up two and back down two.
        assert_eq!(
            out,
            format!(
                "\n\x1b[1A\x1b[2K\r{A}: Pulling fs layer\r\x1b[1B\
                 \n\x1b[1A\x1b[2K\r{B}: Pulling fs layer\r\x1b[1B\
                 \x1b[2A\x1b[2K\r{A}: Waiting\r\x1b[2B"
            )
        );
    }

    #[test]
    fn bars_are_drawn_on_wide_terminals_and_counts_only_on_narrow_ones() {
        let progress = [
            (layer(B, LayerStatus::PullingFsLayer), Duration::ZERO),
            (
                layer(
                    B,
                    LayerStatus::Downloading {
                        current: 2_000_000,
                        total: 4_000_000,
                    },
                ),
                Duration::from_millis(10),
            ),
        ];
        let wide = screen(&print_all(&mut PullPrinter::new(Some(120)), &progress));
        assert_eq!(
            wide,
            vec![format!(
                "{B}: Downloading [{}>{}]      2MB/4MB",
                "=".repeat(25),
                " ".repeat(25)
            )]
        );
        let narrow = screen(&print_all(&mut PullPrinter::new(Some(80)), &progress));
        assert_eq!(narrow, vec![format!("{B}: Downloading      2MB/4MB")]);
    }

    #[test]
    fn byte_counters_are_throttled_per_layer_but_the_last_and_status_changes_are_not() {
        let dl = |current| LayerStatus::Downloading { current, total: 1000 };
        let ms = Duration::from_millis;
        let events = [
            (layer(B, dl(100)), ms(0)),
            // Another layer's counters do not hold back B's, nor B's these.
            (layer(C, dl(100)), ms(10)),
            (layer(B, dl(200)), ms(50)),
            (layer(B, dl(300)), ms(99)),
            (layer(B, dl(400)), ms(100)),
            (layer(B, dl(500)), ms(150)),
            (layer(B, dl(1000)), ms(160)),
            (layer(B, LayerStatus::VerifyingChecksum), ms(170)),
            (
                layer(
                    B,
                    LayerStatus::Extracting {
                        current: 10,
                        total: 1000,
                    },
                ),
                ms(180),
            ),
            (
                layer(
                    B,
                    LayerStatus::Extracting {
                        current: 20,
                        total: 1000,
                    },
                ),
                ms(190),
            ),
        ];
        let out = print_all(&mut PullPrinter::new(Some(120)), &events);
        let drawn: Vec<&str> = out.split('\r').filter(|s| s.starts_with(B)).collect();
        let bar = |c: u64| {
            render::short_layer_line(
                B,
                &PullStatus::Downloading {
                    current: c,
                    total: 1000,
                },
                None,
                120,
            )
        };
        let extracting = render::short_layer_line(
            B,
            &PullStatus::Extracting {
                current: 10,
                total: 1000,
            },
            None,
            120,
        );
        assert_eq!(
            drawn,
            vec![
                bar(100).as_str(),
                bar(400).as_str(),
                bar(1000).as_str(),
                "bbbbbbbbbbbb: Verifying Checksum",
                extracting.as_str(),
            ]
        );
        assert_eq!(out.matches(&format!("{C}: Downloading")).count(), 1);
    }

    #[test]
    fn without_a_terminal_each_status_change_is_one_plain_line() {
        let out = print_all(&mut PullPrinter::new(None), &every_20ms(events()));
        let expected = [
            "1.0: Pulling from demo/app".to_owned(),
            format!("{A}: Already exists"),
            format!("{B}: Pulling fs layer"),
            format!("{C}: Pulling fs layer"),
            format!("{C}: Verifying Checksum"),
            format!("{C}: Download complete"),
            format!("{B}: Verifying Checksum"),
            format!("{B}: Download complete"),
            format!("{B}: Pull complete"),
            format!("{C}: Pull complete"),
            format!("Digest: {}", digest()),
            "Status: Downloaded newer image for localhost:5000/demo/app:1.0".to_owned(),
        ];
        assert_eq!(out, expected.map(|l| l + "\n").concat());
    }

    #[test]
    fn lines_without_a_layer_end_the_layer_block() {
        let mut p = PullPrinter::new(Some(120));
        let t = Instant::now();
        let mut out = Vec::new();
        for e in [
            layer(A, LayerStatus::PullComplete),
            PullEvent::UsingDefaultTag { tag: "latest".into() },
            layer(A, LayerStatus::AlreadyExists),
        ] {
            p.print(&e, t, &mut out).expect("write");
        }
        // A reported again after a plain line gets a new line rather than redrawing the old one,
        // which the plain line may have scrolled or overwritten.
        assert_eq!(
            screen(&String::from_utf8(out).expect("utf-8")),
            vec![
                format!("{A}: Pull complete"),
                "Using default tag: latest".to_owned(),
                format!("{A}: Already exists"),
            ]
        );
    }

    #[test]
    fn a_retry_prints_nothing() {
        for width in [None, Some(120)] {
            let out = print_all(
                &mut PullPrinter::new(width),
                &[(layer(B, LayerStatus::Retrying { attempt: 2 }), Duration::ZERO)],
            );
            assert_eq!(out, "");
        }
    }
}
