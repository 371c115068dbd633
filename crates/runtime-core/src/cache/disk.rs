//! The disk layer: one directory per engine configuration, one verified
//! artifact file per module, written atomically.
//!
//! ```text
//! DIR/
//!   wasmtime-v1-prep6-<16 hex digits>/    one engine configuration
//!     engine.txt                          its engine id, for people
//!     <64 hex digits>.module              one prepared module's artifact
//! ```
//!
//! The directory name holds the backend, the artifact format version, the
//! [`PREPARATION_VERSION`] and a digest of the backend's name and
//! [`Backend::engine_id`](crate::backend::Backend::engine_id) (the engine's
//! crate version, configuration and target): after an upgrade of any of
//! them the runtime looks in another directory and never finds an old
//! artifact. Each file's header repeats the full key, and its checksum
//! covers it (see `artifact.rs`), so a file moved or copied into the wrong
//! place is discarded too.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::cache::artifact::{self, ArtifactKey, Defect};
use crate::prepare::PREPARATION_VERSION;

/// The largest file read as an artifact; anything longer is discarded
/// unread.
const MAX_ARTIFACT_LEN: u64 = 1 << 30;

/// What the disk holds for a key.
pub(crate) enum Lookup {
    /// No file.
    Missing,
    /// A verified file and its payload's range.
    Verified(Vec<u8>, std::ops::Range<usize>),
    /// A file that is not a valid artifact for the key (already removed).
    Discarded(Defect),
    /// A file that could not be read.
    Unreadable(io::Error),
}

/// The artifact directory of one cache.
#[derive(Debug)]
pub(crate) struct DiskLayer {
    root: PathBuf,
}

impl DiskLayer {
    /// The layer over `root`, created if missing.
    pub(crate) fn open(root: PathBuf) -> io::Result<Self> {
        fs::create_dir_all(&root)?;
        if !fs::metadata(&root)?.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                "not a directory",
            ));
        }
        Ok(Self { root })
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of one engine configuration.
    pub(crate) fn engine_dir(&self, backend: &str, key: &ArtifactKey) -> PathBuf {
        let name: String = backend
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        self.root.join(format!(
            "{name}-v{}-prep{PREPARATION_VERSION}-{}",
            artifact::MAGIC[7],
            hex::encode(&key.engine[..8])
        ))
    }

    /// The file of one module's artifact.
    pub(crate) fn artifact_path(&self, backend: &str, key: &ArtifactKey) -> PathBuf {
        self.engine_dir(backend, key)
            .join(format!("{}.module", hex::encode(key.module)))
    }

    /// Reads and verifies the artifact of `key`; a defective file is removed.
    pub(crate) fn lookup(&self, path: &Path, key: &ArtifactKey) -> Lookup {
        let bytes = match read_bounded(path) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                remove(path);
                return Lookup::Discarded(Defect::TooLarge {
                    limit: MAX_ARTIFACT_LEN,
                });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Lookup::Missing,
            Err(e) => return Lookup::Unreadable(e),
        };
        match artifact::verify(&bytes, key) {
            Ok(range) => Lookup::Verified(bytes, range),
            Err(defect) => {
                remove(path);
                Lookup::Discarded(defect)
            }
        }
    }

    /// Writes the artifact of `key` around `payload`, atomically: a
    /// temporary file in the same directory, flushed, then renamed over
    /// the artifact's name. A reader sees the old file or the new one,
    /// whole, never a part.
    pub(crate) fn store(
        &self,
        backend: &str,
        engine_id: &str,
        key: &ArtifactKey,
        payload: &[u8],
    ) -> io::Result<PathBuf> {
        let dir = self.engine_dir(backend, key);
        fs::create_dir_all(&dir)?;
        let about = dir.join("engine.txt");
        if !about.exists() {
            write_atomically(&dir, &about, format!("{backend}\n{engine_id}\n").as_bytes())?;
        }
        let path = self.artifact_path(backend, key);
        write_atomically(&dir, &path, &artifact::encode(key, payload))?;
        Ok(path)
    }
}

/// Removes a defective file; another process may have replaced or removed
/// it already, which is fine.
pub(crate) fn remove(path: &Path) {
    if let Err(e) = fs::remove_file(path)
        && e.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!(target: "runtime::cache", path = %path.display(), error = %e, "cannot remove a defective artifact");
    }
}

/// The file's bytes, or `None` if it is longer than [`MAX_ARTIFACT_LEN`].
fn read_bounded(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let file = File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_ARTIFACT_LEN + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= MAX_ARTIFACT_LEN).then_some(bytes))
}

/// Writes `bytes` to `path` through a uniquely named temporary file in
/// `dir` (the same file system, so the rename is atomic).
fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(
        ".{}.{}.{}.tmp",
        name.unwrap_or_default(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut file = File::options().write(true).create_new(true).open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_root(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "runtime-core-disk-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        ));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn store_then_lookup_then_discard() {
        let root = temp_root("roundtrip");
        let layer = DiskLayer::open(root.clone()).unwrap();
        let key = ArtifactKey::new("mock", "mock-1", [5; 32]);
        let path = layer.store("mock", "mock-1", &key, b"compiled").unwrap();
        assert_eq!(path, layer.artifact_path("mock", &key));
        match layer.lookup(&path, &key) {
            Lookup::Verified(bytes, range) => assert_eq!(&bytes[range], b"compiled"),
            _ => panic!("expected a verified artifact"),
        }
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(names.iter().all(|n| !n.ends_with(".tmp")));
        // Another engine id lives in another directory.
        let other = ArtifactKey::new("mock", "mock-2", [5; 32]);
        assert_ne!(
            layer.engine_dir("mock", &other),
            layer.engine_dir("mock", &key)
        );
        assert!(matches!(
            layer.lookup(&layer.artifact_path("mock", &other), &other),
            Lookup::Missing
        ));
        // A defective file is removed.
        fs::write(&path, b"junk").unwrap();
        assert!(matches!(
            layer.lookup(&path, &key),
            Lookup::Discarded(Defect::Truncated { .. })
        ));
        assert!(!path.exists());
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn a_file_in_place_of_the_root_is_an_error() {
        let root = temp_root("file");
        fs::write(&root, b"x").unwrap();
        assert!(DiskLayer::open(root.clone()).is_err());
        let _ = fs::remove_file(&root);
    }
}
