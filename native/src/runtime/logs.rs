//! Container output in Docker's `json-file` format: one JSON object per line,
//! `{"log":"hello\n","stream":"stdout","time":"2026-11-27T18:20:27.123456789Z"}`.
//!
//! Public API:
//! - [`JsonFileLog::create`]`(path) -> io::Result<JsonFileLog>`; [`JsonFileLog::write`]`(stream, bytes)`.
//! - [`LineSplitter`]: cuts a byte stream into Docker's log messages (at `\n`, or every 16 KiB).
//! - [`encode_entry`]`(line, stream, time) -> String`: one log line, byte-compatible with Docker.
//! - [`Stream`]: `Stdout` or `Stderr`.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::Mutex;

/// Which output a message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// Docker's log driver reads in 16 KiB pieces and emits a line without its `\n` when it is longer.
pub const MAX_MESSAGE: usize = 16 * 1024;

/// Cuts a stream into messages: each ends at `\n` (kept) or at [`MAX_MESSAGE`] bytes.
#[derive(Debug, Default)]
pub struct LineSplitter {
    pending: Vec<u8>,
}

impl LineSplitter {
    /// Feed bytes; returns the complete messages they finish.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for &b in bytes {
            self.pending.push(b);
            if b == b'\n' || self.pending.len() >= MAX_MESSAGE {
                out.push(std::mem::take(&mut self.pending));
            }
        }
        out
    }

    /// What is left when the stream ends (a last line without `\n`).
    pub fn finish(&mut self) -> Option<Vec<u8>> {
        (!self.pending.is_empty()).then(|| std::mem::take(&mut self.pending))
    }
}

/// Write `bytes` as a JSON string the way Go's encoder does for Docker's log: `<`, `>`, `&`,
/// U+2028 and U+2029 become `\u....`, invalid UTF-8 becomes U+FFFD. serde_json does not escape
/// those, so its output would differ from the files Docker writes.
fn push_go_json_string(out: &mut String, bytes: &[u8]) {
    out.push('"');
    for ch in String::from_utf8_lossy(bytes).chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", ch as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// One log line, with its trailing newline.
pub fn encode_entry(line: &[u8], stream: Stream, time: jiff::Timestamp) -> String {
    let mut out = String::with_capacity(line.len() + 64);
    out.push_str("{\"log\":");
    push_go_json_string(&mut out, line);
    out.push_str(",\"stream\":\"");
    out.push_str(stream.as_str());
    // jiff prints RFC 3339 in UTC with the fraction's trailing zeros cut, which is Go's RFC3339Nano.
    out.push_str(&format!("\",\"time\":\"{time}\"}}\n"));
    out
}

/// A `json-file` log shared by the stdout and stderr readers.
#[derive(Debug)]
pub struct JsonFileLog {
    file: Mutex<File>,
}

impl JsonFileLog {
    /// Open (append) the log file, making it readable only by its owner as Docker does.
    pub fn create(path: &Path) -> io::Result<Self> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o640)
            .open(path)?;
        Ok(Self {
            file: Mutex::new(file),
        })
    }

    /// Append one message, stamped now.
    pub fn write(&self, stream: Stream, line: &[u8]) -> io::Result<()> {
        let entry = encode_entry(line, stream, jiff::Timestamp::now());
        // A poisoned lock only means another reader panicked mid-write; the file is still usable.
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(entry.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lines_are_cut_at_newlines_and_the_rest_flushed_at_the_end() {
        let mut s = LineSplitter::default();
        assert_eq!(s.push(b"a\nb"), vec![b"a\n".to_vec()]);
        assert_eq!(s.push(b"c\n\n"), vec![b"bc\n".to_vec(), b"\n".to_vec()]);
        assert_eq!(s.push(b"tail"), Vec::<Vec<u8>>::new());
        assert_eq!(s.finish(), Some(b"tail".to_vec()));
        assert_eq!(s.finish(), None);
        let long = vec![b'x'; MAX_MESSAGE + 1];
        let out = s.push(&long);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].len(), MAX_MESSAGE);
    }

    #[test]
    fn entry_matches_dockers_bytes() {
        let t: jiff::Timestamp = "2026-11-27T18:20:27.1234Z".parse().expect("time");
        assert_eq!(
            encode_entry(b"<a & \"b\">\n", Stream::Stderr, t),
            "{\"log\":\"\\u003ca \\u0026 \\\"b\\\"\\u003e\\n\",\"stream\":\"stderr\",\"time\":\"2026-11-27T18:20:27.1234Z\"}\n"
        );
        let t: jiff::Timestamp = "2026-11-27T18:20:27Z".parse().expect("time");
        assert!(encode_entry(b"x", Stream::Stdout, t).ends_with("\"time\":\"2026-11-27T18:20:27Z\"}\n"));
    }

    proptest! {
        #[test]
        fn every_entry_is_json_holding_the_text(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let t = jiff::Timestamp::UNIX_EPOCH;
            let line = encode_entry(&bytes, Stream::Stdout, t);
            let v: serde_json::Value = serde_json::from_str(line.trim_end()).expect("json");
            let want = String::from_utf8_lossy(&bytes).into_owned();
            prop_assert_eq!(v["log"].as_str(), Some(want.as_str()));
            prop_assert_eq!(v["stream"].as_str(), Some("stdout"));
        }
    }
}
