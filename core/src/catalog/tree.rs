//! Building a catalog layer's file tree: real paths, small text files with their bytes, big files
//! as synthetic content whose lengths add up to the real layer's size.

use std::collections::BTreeMap;

use crate::layer::{Changeset, Content, Entry};

/// A deterministic generator for file sizes and content seeds. The model has no randomness, so a
/// layer's tree is a pure function of its name; splitmix64 is enough for spreading sizes and is
/// smaller than any crate that would provide it.
#[derive(Debug, Clone)]
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(name: &str) -> Self {
        // FNV-1a of the name gives each layer its own stream.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in name.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Self(h)
    }

    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// A layer's tree under construction. Parent directories are added automatically, so every path
/// in the finished changeset has its directories before it.
#[derive(Debug)]
pub(super) struct Tree {
    entries: BTreeMap<String, Entry>,
    mtime: i64,
    rng: Rng,
    /// Big files whose lengths are scaled at the end so the layer reaches its real size.
    filler: Vec<(String, u64, u32)>,
}

impl Tree {
    pub(super) fn new(name: &str, mtime: i64) -> Self {
        Self {
            entries: BTreeMap::new(),
            mtime,
            rng: Rng::new(name),
            filler: Vec::new(),
        }
    }

    fn put(&mut self, entry: Entry) {
        let mut parent = entry.path.as_str();
        let mut parents = Vec::new();
        while let Some((p, _)) = parent.rsplit_once('/') {
            if self.entries.contains_key(p) {
                break;
            }
            parents.push(p.to_owned());
            parent = p;
        }
        for p in parents {
            let dir = Entry::dir(p.clone()).with_mtime(self.mtime);
            self.entries.insert(p, dir);
        }
        self.entries
            .insert(entry.path.clone(), entry.with_mtime(self.mtime));
    }

    pub(super) fn dir(&mut self, path: &str, mode: u32) {
        self.put(Entry::dir(path).with_mode(mode));
    }

    /// A small file whose bytes the learner can `cat`.
    pub(super) fn text(&mut self, path: &str, text: &str, mode: u32) {
        self.put(Entry::file(path, Content::Bytes(text.as_bytes().into())).with_mode(mode));
    }

    /// A file of a known length whose bytes nobody needs (a binary, a library).
    pub(super) fn blob(&mut self, path: &str, len: u64, mode: u32) {
        let seed = self.rng.next();
        self.put(Entry::file(path, Content::Synthetic { len, seed }).with_mode(mode));
    }

    /// A file whose length is set at the end, in proportion to `weight`, so the layer adds up.
    /// The weight is varied by up to half either way, from the path, so that sibling files do
    /// not all come out the same size.
    pub(super) fn filler(&mut self, path: &str, weight: u64, mode: u32) {
        let spread = Rng::new(path).next() % (weight.max(2));
        self.filler
            .push((path.to_owned(), (weight / 2 + spread).max(1), mode));
    }

    pub(super) fn symlink(&mut self, path: &str, target: &str) {
        self.put(Entry::symlink(path, target));
    }

    pub(super) fn hardlink(&mut self, path: &str, target: &str) {
        self.put(Entry::hardlink(path, target));
    }

    pub(super) fn owned(&mut self, path: &str, uid: u32, gid: u32) {
        if let Some(e) = self.entries.get_mut(path) {
            e.uid = uid;
            e.gid = gid;
        }
    }

    fn size(&self) -> u64 {
        self.entries.values().map(Entry::apparent_size).sum()
    }

    /// The changeset, with the filler files sized so the layer's apparent size is exactly `size`
    /// (or as close as the fixed files allow when they already exceed it).
    pub(super) fn finish(mut self, size: u64) -> Changeset {
        let remaining = size.saturating_sub(self.size());
        let fillers = std::mem::take(&mut self.filler);
        let total_weight: u64 = fillers.iter().map(|(_, w, _)| *w).sum();
        let mut given = 0u64;
        let count = fillers.len();
        for (i, (path, weight, mode)) in fillers.into_iter().enumerate() {
            let len = if i + 1 == count {
                remaining - given
            } else {
                // u128: remaining * weight overflows u64 for gigabyte layers with large weights.
                (u128::from(remaining) * u128::from(weight) / u128::from(total_weight.max(1))) as u64
            };
            given += len;
            self.blob(&path, len, mode);
        }
        Changeset::new(self.entries.into_values().collect())
    }
}

/// Seconds since the epoch for an RFC 3339 UTC time (`2019-01-22T19:30:32Z`); only the fixed
/// timestamps written in this catalog are parsed, so anything else gives 0.
pub(super) fn epoch(rfc3339: &str) -> i64 {
    let num = |range: std::ops::Range<usize>| {
        rfc3339
            .get(range)
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    let (hh, mm, ss) = (num(11..13), num(14..16), num(17..19));
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + hh * 3_600 + mm * 60 + ss
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn is_file(entry: &Entry) -> bool {
        matches!(entry.kind, crate::layer::EntryKind::File(_))
    }

    #[test]
    fn epoch_of_known_dates() {
        assert_eq!(epoch("1970-01-01T00:00:00Z"), 0);
        assert_eq!(epoch("2019-01-22T19:30:32Z"), 1_548_185_432);
    }

    #[test]
    fn filler_makes_the_layer_add_up_and_parents_come_first() {
        let mut t = Tree::new("test", 0);
        t.text("etc/hostname", "x\n", 0o644);
        t.symlink("bin", "usr/bin");
        t.filler("usr/bin/bash", 10, 0o755);
        t.filler("usr/lib/libc.so.6", 30, 0o755);
        let cs = t.finish(1_000_000);
        assert_eq!(cs.size(), 1_000_000);
        let paths: Vec<_> = cs.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "bin",
                "etc",
                "etc/hostname",
                "usr",
                "usr/bin",
                "usr/bin/bash",
                "usr/lib",
                "usr/lib/libc.so.6"
            ]
        );
        assert!(cs.iter().filter(|e| is_file(e)).all(|e| e.mtime == 0));
    }
}
