//! The on-disk artifact format: a header naming the module and the engine,
//! the backend's payload, and a SHA-256 checksum over all of it.
//!
//! ```text
//! offset  size  field
//!      0     8  magic and format version: b"RTMODC\0\x01"
//!      8    32  the prepared module's key (PreparedModule::key)
//!     40    32  the engine digest: SHA-256 over the backend's name and engine id
//!     72     8  payload length n, u64 little-endian
//!     80     n  payload: the backend's serialized module
//!   80+n    32  checksum: SHA-256 over every byte before it
//! ```
//!
//! The checksum covers the payload and the full key (module key and engine
//! digest), so a file that is truncated, extended, corrupted anywhere, or
//! written for another module or another engine never verifies.

use std::fmt;
use std::ops::Range;

use sha2::{Digest, Sha256};

/// The magic bytes; the last one is the format version.
pub(crate) const MAGIC: [u8; 8] = *b"RTMODC\0\x01";
const HEADER_LEN: usize = 8 + 32 + 32 + 8;
const CHECKSUM_LEN: usize = 32;

/// What an artifact is for: one prepared module on one engine configuration.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ArtifactKey {
    /// [`PreparedModule::key`](crate::PreparedModule::key): the original
    /// code, module limits, gas schedule, host functions, ABI and
    /// preparation version.
    pub(crate) module: [u8; 32],
    /// SHA-256 over the backend's name and [`Backend::engine_id`](crate::backend::Backend::engine_id).
    pub(crate) engine: [u8; 32],
}

impl ArtifactKey {
    pub(crate) fn new(backend: &str, engine_id: &str, module: [u8; 32]) -> Self {
        Self {
            module,
            engine: engine_digest(backend, engine_id),
        }
    }

    /// The memory layer's key: both halves in one digest.
    pub(crate) fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"runtime-module-cache-key");
        h.update(self.module);
        h.update(self.engine);
        h.finalize().into()
    }
}

/// SHA-256 over the backend's name and engine id, each length-prefixed.
pub(crate) fn engine_digest(backend: &str, engine_id: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"runtime-module-cache-engine");
    for s in [backend, engine_id] {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    }
    h.finalize().into()
}

/// Why a file is not a usable artifact for the key asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Defect {
    /// Zero bytes.
    Empty,
    /// Shorter than a header and a checksum, or than its declared payload.
    Truncated {
        /// The file's length.
        len: usize,
        /// The length its header promises (or the least possible).
        expected: usize,
    },
    /// Longer than its declared payload.
    TrailingBytes {
        /// The file's length.
        len: usize,
        /// The length its header promises.
        expected: usize,
    },
    /// Longer than any artifact the cache reads.
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// Not this format (or another version of it).
    BadMagic,
    /// Written for another module.
    ForeignModule,
    /// Written by another engine, engine version or configuration.
    StaleEngine,
    /// The checksum does not match the contents.
    ChecksumMismatch,
}

impl fmt::Display for Defect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Defect::Empty => f.write_str("empty file"),
            Defect::Truncated { len, expected } => {
                write!(f, "truncated: {len} bytes, expected {expected}")
            }
            Defect::TrailingBytes { len, expected } => {
                write!(f, "trailing bytes: {len} bytes, expected {expected}")
            }
            Defect::TooLarge { limit } => write!(f, "longer than {limit} bytes"),
            Defect::BadMagic => f.write_str("not a module-cache artifact of this format version"),
            Defect::ForeignModule => f.write_str("the artifact of another module"),
            Defect::StaleEngine => {
                f.write_str("the artifact of another engine, engine version or configuration")
            }
            Defect::ChecksumMismatch => f.write_str("checksum mismatch (corrupt)"),
        }
    }
}

/// The whole file for `key` around `payload`.
pub(crate) fn encode(key: &ArtifactKey, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len() + CHECKSUM_LEN);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&key.module);
    out.extend_from_slice(&key.engine);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(payload);
    let checksum: [u8; 32] = Sha256::digest(&out).into();
    out.extend_from_slice(&checksum);
    out
}

/// Checks `file` against `key`; the payload's range within it.
///
/// # Errors
///
/// The first [`Defect`] found.
pub(crate) fn verify(file: &[u8], key: &ArtifactKey) -> Result<Range<usize>, Defect> {
    if file.is_empty() {
        return Err(Defect::Empty);
    }
    let least = HEADER_LEN + CHECKSUM_LEN;
    if file.len() < least {
        return Err(Defect::Truncated {
            len: file.len(),
            expected: least,
        });
    }
    if file[..8] != MAGIC {
        return Err(Defect::BadMagic);
    }
    if file[8..40] != key.module {
        return Err(Defect::ForeignModule);
    }
    if file[40..72] != key.engine {
        return Err(Defect::StaleEngine);
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(&file[72..80]);
    let payload_len = u64::from_le_bytes(len);
    let expected = usize::try_from(payload_len)
        .ok()
        .and_then(|n| n.checked_add(least))
        .unwrap_or(usize::MAX);
    if file.len() < expected {
        return Err(Defect::Truncated {
            len: file.len(),
            expected,
        });
    }
    if file.len() > expected {
        return Err(Defect::TrailingBytes {
            len: file.len(),
            expected,
        });
    }
    let body = expected - CHECKSUM_LEN;
    let checksum: [u8; 32] = Sha256::digest(&file[..body]).into();
    if file[body..] != checksum {
        return Err(Defect::ChecksumMismatch);
    }
    Ok(HEADER_LEN..body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(module: u8, engine: &str) -> ArtifactKey {
        ArtifactKey::new("mock", engine, [module; 32])
    }

    #[test]
    fn round_trip() {
        let k = key(1, "e1");
        let file = encode(&k, b"payload");
        let range = verify(&file, &k).unwrap();
        assert_eq!(&file[range], b"payload");
        let empty = encode(&k, b"");
        assert_eq!(verify(&empty, &k), Ok(HEADER_LEN..HEADER_LEN));
    }

    #[test]
    fn every_defect_is_named() {
        let k = key(1, "e1");
        let file = encode(&k, &[7u8; 100]);
        assert_eq!(verify(&[], &k), Err(Defect::Empty));
        assert!(matches!(
            verify(&file[..10], &k),
            Err(Defect::Truncated { len: 10, .. })
        ));
        assert!(matches!(
            verify(&file[..file.len() - 1], &k),
            Err(Defect::Truncated { .. })
        ));
        let mut longer = file.clone();
        longer.push(0);
        assert!(matches!(
            verify(&longer, &k),
            Err(Defect::TrailingBytes { .. })
        ));
        assert_eq!(verify(&file, &key(2, "e1")), Err(Defect::ForeignModule));
        assert_eq!(verify(&file, &key(1, "e2")), Err(Defect::StaleEngine));
        let mut magic = file.clone();
        magic[7] = 2;
        assert_eq!(verify(&magic, &k), Err(Defect::BadMagic));
    }

    #[test]
    fn any_flipped_byte_fails() {
        let k = key(3, "e");
        let file = encode(&k, &(0..=255).collect::<Vec<u8>>());
        for offset in 0..file.len() {
            let mut bad = file.clone();
            bad[offset] ^= 0x40;
            assert!(verify(&bad, &k).is_err(), "offset {offset} went unnoticed");
        }
    }

    #[test]
    fn a_huge_declared_length_is_truncation() {
        let k = key(4, "e");
        let mut file = encode(&k, b"abc");
        file[72..80].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(
            verify(&file, &k),
            Err(Defect::Truncated {
                expected: usize::MAX,
                ..
            })
        ));
    }

    #[test]
    fn the_engine_digest_separates_name_from_id() {
        assert_ne!(engine_digest("ab", "c"), engine_digest("a", "bc"));
    }
}
