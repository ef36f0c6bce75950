//! Content digests: `sha256:<64 lowercase hex>`.
//!
//! A [`Digest`] can only be made from valid text or from bytes, so a path or URL built from one
//! can never contain `..`, `/` or anything else an attacker put in a manifest.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

/// Why a string is not a digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    #[error("invalid digest {text:?}: expected sha256:<64 hex digits>")]
    Malformed { text: String },
    #[error("unsupported digest algorithm {algorithm:?} in {text:?}: only sha256 is supported")]
    UnsupportedAlgorithm { text: String, algorithm: String },
}

/// A sha256 content digest.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest([u8; 32]);

impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// Wraps a finished sha256 hash.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The 64 hex digits, without `sha256:`.
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The first 12 hex digits, as Docker shows image IDs and layer lines.
    pub fn short(&self) -> String {
        let mut h = self.hex();
        h.truncate(12);
        h
    }

    /// The chain ID of a layer whose parent chain is `parent` and whose diff ID is `diff_id`:
    /// `sha256(parent + " " + diff_id)`, as the OCI image spec defines it.
    pub fn chain(parent: Option<&Digest>, diff_id: &Digest) -> Digest {
        match parent {
            None => *diff_id,
            Some(p) => Digest::of(format!("{p} {diff_id}").as_bytes()),
        }
    }

    /// Chain IDs for a whole stack of diff IDs, bottom layer first.
    pub fn chain_ids(diff_ids: &[Digest]) -> Vec<Digest> {
        let mut out: Vec<Digest> = Vec::with_capacity(diff_ids.len());
        for d in diff_ids {
            let next = Digest::chain(out.last(), d);
            out.push(next);
        }
        out
    }
}

/// Streaming sha256, for content too large to hold at once.
#[derive(Debug, Clone, Default)]
pub struct Hasher(Sha256);

impl Hasher {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    pub fn finish(self) -> Digest {
        Digest(self.0.finalize().into())
    }
}

impl std::io::Write for Hasher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let malformed = || DigestError::Malformed { text: text.to_owned() };
        let (algorithm, encoded) = text.split_once(':').ok_or_else(malformed)?;
        // algorithm-component ::= [a-z0-9]+ (image-spec descriptor.md); anything else is not a digest at all.
        if algorithm.is_empty() || !algorithm.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"+._-".contains(&c)) {
            return Err(malformed());
        }
        if algorithm != "sha256" {
            return Err(DigestError::UnsupportedAlgorithm { text: text.to_owned(), algorithm: algorithm.to_owned() });
        }
        // Uppercase hex is refused: the spec's sha256 encoding is lowercase, and two spellings of one digest
        // would give two paths in a content store.
        if encoded.len() != 64 || !encoded.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)) {
            return Err(malformed());
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(encoded, &mut bytes).map_err(|_| malformed())?;
        Ok(Self(bytes))
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_of_empty_input_is_the_well_known_one() {
        assert_eq!(
            Digest::of(b"").to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn parse_round_trips_and_rejects_bad_text() {
        let d = Digest::of(b"layer");
        assert_eq!(d.to_string().parse::<Digest>(), Ok(d));
        for bad in ["", "sha256:", "sha256:../../x", "sha256:ABC", &format!("sha256:{}", "A".repeat(64)), "e3b0c442"] {
            assert!(bad.parse::<Digest>().is_err(), "{bad:?} should be refused");
        }
        assert!(matches!(
            format!("sha512:{}", "a".repeat(128)).parse::<Digest>(),
            Err(DigestError::UnsupportedAlgorithm { .. })
        ));
    }

    #[test]
    fn chain_id_matches_the_spec_formula() {
        let a = Digest::of(b"a");
        let b = Digest::of(b"b");
        let ids = Digest::chain_ids(&[a, b]);
        assert_eq!(ids[0], a);
        assert_eq!(ids[1], Digest::of(format!("{a} {b}").as_bytes()));
        // The same diff ID at another position gives another chain ID: that is why it is not shared.
        assert_ne!(Digest::chain_ids(&[b, a])[1], ids[1]);
    }

    #[test]
    fn streaming_hash_equals_one_shot() {
        let mut h = Hasher::new();
        h.update(b"hello ");
        h.update(b"world");
        assert_eq!(h.finish(), Digest::of(b"hello world"));
    }
}
