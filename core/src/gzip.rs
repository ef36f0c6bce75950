//! Reading gzip (RFC 1952): layers and archives dropped into the page are gzip more often than
//! not.
//!
//! Inflating is miniz_oxide's (the deflate engine flate2 uses). Why not flate2's `GzDecoder`: its
//! CRC-32 comes from crc32fast, whose 16 KB lookup table is the largest piece of data the page
//! would ship, and it does not compress. Here the table is built when a reader starts. Like Go's
//! `gzip.Reader` (Docker's), a stream of several gzip members reads as their concatenation.

use std::io::{self, BufRead, Read};

use miniz_oxide::inflate::stream::{InflateState, inflate};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

/// The two bytes every gzip member starts with.
pub const MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Flags of the member header (RFC 1952 section 2.3.1).
const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;
const RESERVED: u8 = 0xe0;
/// The only compression method gzip defines: deflate.
const DEFLATE: u8 = 8;
/// A name or comment longer than this in a header is not a real file's: refuse it rather than
/// read without end.
const MAX_HEADER_STRING: u64 = 64 * 1024;

/// Decompresses a gzip stream read from `R`, checking each member's CRC-32 and length.
pub struct GzipReader<R> {
    inner: R,
    inflater: Box<InflateState>,
    crc: Crc32,
    /// Bytes of the current member so far, modulo 2^32 as the trailer stores them.
    length: u32,
    stage: Stage,
}

impl<R> std::fmt::Debug for GzipReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GzipReader")
            .field("stage", &self.stage)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Expecting a member header (the first one, or another after a trailer).
    Header {
        first: bool,
    },
    Body,
    Done,
}

fn invalid(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("gzip: {why}"))
}

impl<R: BufRead> GzipReader<R> {
    pub fn new(inner: R) -> Self {
        GzipReader {
            inner,
            inflater: InflateState::new_boxed(DataFormat::Raw),
            crc: Crc32::new(),
            length: 0,
            stage: Stage::Header { first: true },
        }
    }

    /// Reads one member header. `Ok(false)`: the stream ended cleanly before it.
    fn header(&mut self, first: bool) -> io::Result<bool> {
        if !first && self.inner.fill_buf()?.is_empty() {
            return Ok(false);
        }
        let mut fixed = [0u8; 10];
        self.inner
            .read_exact(&mut fixed)
            .map_err(|e| eof_as("the stream ends inside a header", e))?;
        let [id1, id2, method, flags, ..] = fixed;
        if [id1, id2] != MAGIC {
            return Err(invalid("invalid header"));
        }
        if method != DEFLATE {
            return Err(invalid("unknown compression method"));
        }
        if flags & RESERVED != 0 {
            return Err(invalid("reserved header flags are set"));
        }
        if flags & FEXTRA != 0 {
            let mut len = [0u8; 2];
            self.inner
                .read_exact(&mut len)
                .map_err(|e| eof_as("the stream ends inside a header", e))?;
            skip(&mut self.inner, u64::from(u16::from_le_bytes(len)))?;
        }
        for flag in [FNAME, FCOMMENT] {
            if flags & flag != 0 {
                let mut text = Vec::new();
                (&mut self.inner)
                    .take(MAX_HEADER_STRING)
                    .read_until(0, &mut text)?;
                if text.last() != Some(&0) {
                    return Err(invalid("a header name or comment has no end"));
                }
            }
        }
        if flags & FHCRC != 0 {
            skip(&mut self.inner, 2)?;
        }
        self.inflater = InflateState::new_boxed(DataFormat::Raw);
        self.crc = Crc32::new();
        self.length = 0;
        Ok(true)
    }

    /// Reads and checks the trailer of the member just inflated.
    fn trailer(&mut self) -> io::Result<()> {
        let mut t = [0u8; 8];
        self.inner
            .read_exact(&mut t)
            .map_err(|e| eof_as("the stream ends inside a trailer", e))?;
        let [c0, c1, c2, c3, l0, l1, l2, l3] = t;
        if u32::from_le_bytes([c0, c1, c2, c3]) != self.crc.value() {
            return Err(invalid("checksum error"));
        }
        if u32::from_le_bytes([l0, l1, l2, l3]) != self.length {
            return Err(invalid("length error"));
        }
        Ok(())
    }
}

fn eof_as(why: &str, e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        io::Error::new(io::ErrorKind::UnexpectedEof, format!("gzip: {why}"))
    } else {
        e
    }
}

fn skip(r: &mut impl BufRead, n: u64) -> io::Result<()> {
    let skipped = io::copy(&mut r.take(n), &mut io::sink())?;
    if skipped < n {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "gzip: the stream ends inside a header",
        ));
    }
    Ok(())
}

impl<R: BufRead> Read for GzipReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            match self.stage {
                Stage::Done => return Ok(0),
                Stage::Header { first } => {
                    self.stage = if self.header(first)? {
                        Stage::Body
                    } else {
                        Stage::Done
                    };
                }
                Stage::Body => {
                    let input = self.inner.fill_buf()?;
                    let at_end = input.is_empty();
                    let step = inflate(&mut self.inflater, input, out, MZFlush::None);
                    self.inner.consume(step.bytes_consumed);
                    let written = out.get(..step.bytes_written).unwrap_or_default();
                    self.crc.update(written);
                    // Wrapping on purpose: the trailer keeps the length modulo 2^32.
                    self.length = self.length.wrapping_add(step.bytes_written as u32);
                    match step.status {
                        Ok(MZStatus::StreamEnd) => {
                            self.trailer()?;
                            self.stage = Stage::Header { first: false };
                        }
                        // No progress at all: more input is needed and there is none, or the
                        // data is such that none would help. Either way, never spin.
                        Ok(_) | Err(MZError::Buf) if step.bytes_consumed == 0 && step.bytes_written == 0 => {
                            return Err(if at_end {
                                io::Error::new(
                                    io::ErrorKind::UnexpectedEof,
                                    "gzip: the stream ends before its data does",
                                )
                            } else {
                                invalid("the compressed data is corrupt")
                            });
                        }
                        Ok(_) | Err(MZError::Buf) => {}
                        Err(_) => return Err(invalid("the compressed data is corrupt")),
                    }
                    if step.bytes_written > 0 {
                        return Ok(step.bytes_written);
                    }
                }
            }
        }
    }
}

/// CRC-32 (IEEE, as gzip uses it), eight bytes at a time.
struct Crc32 {
    /// `table[k][b]`: the CRC of byte `b` followed by `k` zero bytes.
    table: Box<[[u32; 256]; 8]>,
    value: u32,
}

impl Crc32 {
    fn new() -> Self {
        let mut table = Box::new([[0u32; 256]; 8]);
        for b in 0..256u32 {
            let mut c = b;
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            table[0][b as usize] = c;
        }
        for b in 0..256 {
            for k in 1..8 {
                let prev = table[k - 1][b];
                table[k][b] = (prev >> 8) ^ table[0][(prev & 0xff) as usize];
            }
        }
        Crc32 { table, value: 0 }
    }

    fn update(&mut self, bytes: &[u8]) {
        let t = &*self.table;
        let mut c = !self.value;
        let mut chunks = bytes.chunks_exact(8);
        for w in &mut chunks {
            let Ok([b0, b1, b2, b3, b4, b5, b6, b7]) = <[u8; 8]>::try_from(w) else {
                continue; // never: the chunks are exactly eight bytes
            };
            let lo = c ^ u32::from_le_bytes([b0, b1, b2, b3]);
            c = t[7][(lo & 0xff) as usize]
                ^ t[6][((lo >> 8) & 0xff) as usize]
                ^ t[5][((lo >> 16) & 0xff) as usize]
                ^ t[4][(lo >> 24) as usize]
                ^ t[3][b4 as usize]
                ^ t[2][b5 as usize]
                ^ t[1][b6 as usize]
                ^ t[0][b7 as usize];
        }
        for &b in chunks.remainder() {
            c = t[0][((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
        }
        self.value = !c;
    }

    fn value(&self) -> u32 {
        self.value
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use proptest::prelude::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn gunzip(bytes: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        GzipReader::new(bytes).read_to_end(&mut out)?;
        Ok(out)
    }

    fn sample(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 % 251) as u8 ^ (i >> 9) as u8).collect()
    }

    #[test]
    fn crc_matches_the_standard_check_value() {
        let mut c = Crc32::new();
        c.update(b"123456789");
        assert_eq!(c.value(), 0xcbf4_3926);
        // Split across calls and across the eight-byte steps.
        let mut c = Crc32::new();
        c.update(b"1234");
        c.update(b"56789");
        assert_eq!(c.value(), 0xcbf4_3926);
    }

    #[test]
    fn reads_what_flate2_writes() {
        for n in [0, 1, 7, 8, 9, 4096, 300_000] {
            let data = sample(n);
            assert_eq!(gunzip(&gzip(&data)).unwrap(), data, "{n} bytes");
        }
    }

    #[test]
    fn reads_headers_with_every_optional_field() {
        let data = sample(5000);
        let mut e = flate2::GzBuilder::new()
            .extra(vec![1, 2, 3])
            .filename("layer.tar")
            .comment("made by a test")
            .write(Vec::new(), flate2::Compression::fast());
        e.write_all(&data).unwrap();
        let mut bytes = e.finish().unwrap();
        assert_eq!(gunzip(&bytes).unwrap(), data);
        // The same with a header CRC: flag it and insert two bytes after the comment's NUL.
        let comment_end = 10 + 2 + 3 + "layer.tar".len() + 1 + "made by a test".len() + 1;
        bytes[3] |= FHCRC;
        bytes.splice(comment_end..comment_end, [0xaa, 0xbb]);
        assert_eq!(gunzip(&bytes).unwrap(), data);
    }

    #[test]
    fn reads_several_members_as_one_stream_as_go_does() {
        let (a, b) = (sample(1000), b"second member".to_vec());
        let mut bytes = gzip(&a);
        bytes.extend(gzip(&b));
        let mut want = a;
        want.extend(b);
        assert_eq!(gunzip(&bytes).unwrap(), want);
    }

    #[test]
    fn refuses_corruption_with_a_reason() {
        let good = gzip(&sample(10_000));
        let why = |bytes: &[u8]| gunzip(bytes).unwrap_err().to_string();

        let mut bad_crc = good.clone();
        let n = bad_crc.len();
        bad_crc[n - 8] ^= 1;
        assert_eq!(why(&bad_crc), "gzip: checksum error");

        let mut bad_len = good.clone();
        bad_len[n - 1] ^= 1;
        assert_eq!(why(&bad_len), "gzip: length error");

        assert_eq!(
            why(&good[..good.len() / 2]),
            "gzip: the stream ends before its data does"
        );
        assert_eq!(why(&good[..n - 3]), "gzip: the stream ends inside a trailer");
        assert_eq!(why(&good[..5]), "gzip: the stream ends inside a header");

        let mut method = good.clone();
        method[2] = 7;
        assert_eq!(why(&method), "gzip: unknown compression method");

        let mut trailing = good.clone();
        trailing.extend(b"this is not gzip at all");
        assert_eq!(why(&trailing), "gzip: invalid header");

        let mut body = good.clone();
        for b in body.iter_mut().skip(20).take(40) {
            *b = 0xff;
        }
        assert!(why(&body).starts_with("gzip: "), "{}", why(&body));
    }

    #[test]
    fn an_endless_name_is_refused() {
        let mut bytes = vec![0x1f, 0x8b, 8, FNAME, 0, 0, 0, 0, 0, 255];
        bytes.extend(std::iter::repeat_n(b'a', 100_000));
        bytes.push(0);
        assert_eq!(
            gunzip(&bytes).unwrap_err().to_string(),
            "gzip: a header name or comment has no end"
        );
    }

    proptest! {
        #[test]
        fn round_trips_through_small_reads(data in proptest::collection::vec(any::<u8>(), 0..20_000), step in 1usize..5000) {
            let bytes = gzip(&data);
            let mut r = GzipReader::new(std::io::BufReader::with_capacity(step, &bytes[..]));
            let mut out = Vec::new();
            let mut buf = vec![0u8; step];
            loop {
                let n = r.read(&mut buf).unwrap();
                if n == 0 { break; }
                out.extend_from_slice(&buf[..n]);
            }
            prop_assert_eq!(out, data);
        }

        #[test]
        fn never_panics_on_any_bytes(mut bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            if bytes.len() > 2 { bytes[0] = 0x1f; bytes[1] = 0x8b; }
            let _ = gunzip(&bytes);
        }
    }
}
