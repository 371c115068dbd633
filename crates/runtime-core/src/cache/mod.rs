//! The compiled-module cache: compiled modules kept in memory (bounded,
//! least recently used evicted) and, for engines that serialize their code
//! (wasmtime, wasmer), on disk, so that a hit skips compilation.
//!
//! # Keys
//!
//! A compiled module is found by its **artifact key**: the prepared module's
//! [`key`](crate::PreparedModule::key) (the original code's hash, module
//! limits, gas schedule, host functions, ABI version and
//! [`PREPARATION_VERSION`](crate::PREPARATION_VERSION)) with the backend's
//! name and [`Backend::engine_id`] (engine, crate version, configuration,
//! target). Two runtimes share an entry only if they would compile the very
//! same module identically.
//!
//! # Disk
//!
//! Artifacts live under `DIR/<backend>-v<format>-prep<version>-<engine
//! digest>/<module key>.module`, so an upgrade of the engine, its
//! configuration or the preparation looks in another directory and never
//! loads an old artifact. Writes go to a temporary file in the same
//! directory and are renamed into place, so processes sharing the
//! directory never see half a file. Each file carries a SHA-256 checksum
//! over the payload and the full key, verified **by the core** before the
//! backend's `unsafe` deserialization sees a byte; a backend can only be
//! handed a [`VerifiedArtifact`], which nothing outside this crate can
//! make. A truncated, corrupt, foreign (another module's) or stale
//! (another engine's) file is removed, logged at `warn` (target
//! `runtime::cache`) and the module compiled again: it is never loaded.
//!
//! The checksum protects against accidents (crashes, disk faults, copies),
//! not against an attacker who can write to the directory: such an attacker
//! can compute SHA-256 too. Keep the directory writable only by the
//! runtime's user, as for any directory of native code.
//!
//! Engines that keep no native code (wasmi, an interpreter) report
//! [`Backend::serializes`] `false`: the disk layer is a no-op for them and
//! only the memory layer serves.

mod artifact;
mod disk;
mod memory;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use artifact::ArtifactKey;
use disk::{DiskLayer, Lookup};
use memory::{Compiled, Found, MemoryLayer};

use crate::backend::Backend;
use crate::error::NonDeterministic;
use crate::host_functions::HostFunctions;
use crate::prepare::PreparedModule;
use crate::runtime::{COMPILE_STACK, Runtime, on_native_stack};

/// Bytes read from the cache directory whose checksum, module key and
/// engine key the core has verified: the payload is exactly what
/// [`EngineModule::serialize`](crate::backend::EngineModule::serialize)
/// gave for the same prepared module on a backend with the same name and
/// [`Backend::engine_id`]. Only the core makes one.
pub struct VerifiedArtifact {
    file: Vec<u8>,
    payload: Range<usize>,
    engine_id: String,
}

impl std::fmt::Debug for VerifiedArtifact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedArtifact")
            .field("payload_len", &self.payload.len())
            .field("engine_id", &self.engine_id)
            .finish()
    }
}

impl VerifiedArtifact {
    /// The backend's serialized module.
    pub fn payload(&self) -> &[u8] {
        &self.file[self.payload.clone()]
    }

    /// The engine id it was written under (equal to the id of the backend it
    /// is handed to).
    pub fn engine_id(&self) -> &str {
        &self.engine_id
    }

    /// The payload, if the artifact was written under `engine_id` (a
    /// backend's own id): the check a backend makes again before loading.
    ///
    /// # Errors
    ///
    /// An engine error naming both ids otherwise.
    pub fn payload_for(&self, engine_id: &str) -> Result<&[u8], NonDeterministic> {
        if self.engine_id != engine_id {
            return Err(NonDeterministic::EngineError(format!(
                "an artifact of engine {:?} handed to engine {engine_id:?}",
                self.engine_id
            )));
        }
        Ok(self.payload())
    }
}

/// The cache directory could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// The directory could not be created, or is not a directory.
    #[error("module cache directory {}: {source}", path.display())]
    Directory {
        /// The directory.
        path: PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
}

/// Counters of a [`ModuleCache`] since it was made, for metrics and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Modules found in memory (no compilation, no disk).
    pub memory_hits: u64,
    /// Modules loaded from a verified artifact on disk (no compilation).
    pub disk_hits: u64,
    /// Calls of [`Backend::compile`]: the misses.
    pub compilations: u64,
    /// Artifacts written to disk.
    pub stored: u64,
    /// Files discarded: truncated, corrupt, foreign, stale, or refused by
    /// the engine.
    pub discarded: u64,
    /// Modules evicted from memory to respect the bound.
    pub evictions: u64,
}

#[derive(Default)]
struct Counters {
    memory_hits: AtomicU64,
    disk_hits: AtomicU64,
    compilations: AtomicU64,
    stored: AtomicU64,
    discarded: AtomicU64,
    evictions: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

struct Inner {
    memory: MemoryLayer,
    disk: Option<DiskLayer>,
    counters: Counters,
}

/// A cache of compiled modules, shared by the runtimes it is given to
/// ([`RuntimeBuilder::cache`](crate::RuntimeBuilder::cache)). Cheap to clone
/// (clones share everything); safe to share across threads.
///
/// ```
/// use runtime_core::ModuleCache;
///
/// let dir = std::env::temp_dir().join(format!("module-cache-doc-{}", std::process::id()));
/// let cache = ModuleCache::with_directory(64, &dir).unwrap(); // the directory is created
/// assert_eq!(cache.max_modules(), 64);
/// assert_eq!(cache.directory(), Some(dir.as_path()));
/// assert_eq!(cache.stats().compilations, 0);
/// # std::fs::remove_dir_all(&dir).unwrap();
///
/// // With a runtime (any backend):
/// # fn demo(backend: Box<dyn runtime_core::backend::Backend>, cache: ModuleCache, wasm: &[u8]) {
/// let runtime = runtime_core::Runtime::builder(backend).cache(cache.clone()).build().unwrap();
/// let first = runtime.compile(runtime.prepare(wasm).unwrap()); // compiled, stored
/// let again = runtime.compile(runtime.prepare(wasm).unwrap()); // a memory hit
/// assert_eq!(cache.stats().memory_hits, 1);
/// # }
/// ```
#[derive(Clone)]
pub struct ModuleCache {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ModuleCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModuleCache")
            .field("max_modules", &self.max_modules())
            .field("directory", &self.directory())
            .field("stats", &self.stats())
            .finish()
    }
}

impl ModuleCache {
    /// A cache holding at most `max_modules` compiled modules in memory
    /// (0: none) and nothing on disk.
    pub fn in_memory(max_modules: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                memory: MemoryLayer::new(max_modules),
                disk: None,
                counters: Counters::default(),
            }),
        }
    }

    /// A cache holding at most `max_modules` compiled modules in memory
    /// (0: none), and the artifacts of engines that serialize their code in
    /// `directory`, created if missing.
    ///
    /// # Errors
    ///
    /// [`CacheError::Directory`] if the directory cannot be created or is
    /// not a directory.
    pub fn with_directory(
        max_modules: usize,
        directory: impl Into<PathBuf>,
    ) -> Result<Self, CacheError> {
        let path = directory.into();
        let disk = DiskLayer::open(path.clone())
            .map_err(|source| CacheError::Directory { path, source })?;
        Ok(Self {
            inner: Arc::new(Inner {
                memory: MemoryLayer::new(max_modules),
                disk: Some(disk),
                counters: Counters::default(),
            }),
        })
    }

    /// The bound on modules held in memory.
    pub fn max_modules(&self) -> usize {
        self.inner.memory.capacity()
    }

    /// The number of modules held in memory.
    pub fn len(&self) -> usize {
        self.inner.memory.len()
    }

    /// Whether no module is held in memory.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The artifact directory, if there is one.
    pub fn directory(&self) -> Option<&Path> {
        self.inner.disk.as_ref().map(DiskLayer::root)
    }

    /// The counters so far.
    pub fn stats(&self) -> CacheStats {
        let c = &self.inner.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        CacheStats {
            memory_hits: get(&c.memory_hits),
            disk_hits: get(&c.disk_hits),
            compilations: get(&c.compilations),
            stored: get(&c.stored),
            discarded: get(&c.discarded),
            evictions: get(&c.evictions),
        }
    }

    /// Whether the module `prepared` compiled by `runtime`'s backend is held
    /// in memory (without making it more recently used).
    pub fn holds(&self, runtime: &Runtime, prepared: &PreparedModule) -> bool {
        let key = key_for(runtime.backend.as_ref(), prepared);
        self.inner.memory.contains(&key.digest())
    }

    /// Where the artifact of `prepared` compiled by `runtime`'s backend is
    /// (or would be) stored; `None` without a directory, or when the backend
    /// keeps nothing on disk.
    pub fn artifact_path(&self, runtime: &Runtime, prepared: &PreparedModule) -> Option<PathBuf> {
        let disk = self.inner.disk.as_ref()?;
        let backend = runtime.backend.as_ref();
        backend
            .serializes()
            .then(|| disk.artifact_path(backend.name(), &key_for(backend, prepared)))
    }

    /// The compiled module of `prepared` on `backend`: from memory, else
    /// from a verified artifact on disk, else compiled (and stored in both).
    pub(crate) fn module(
        &self,
        backend: &dyn Backend,
        prepared: &PreparedModule,
        imports: &HostFunctions,
    ) -> Compiled {
        let engine_id = backend.engine_id();
        let key = ArtifactKey::new(backend.name(), &engine_id, prepared.key());
        let (compiled, found, evicted) = self.inner.memory.get_or_fill(key.digest(), || {
            on_native_stack(COMPILE_STACK, || {
                self.load_or_compile(backend, &engine_id, &key, prepared, imports)
            })
        });
        let counters = &self.inner.counters;
        counters
            .evictions
            .fetch_add(evicted as u64, Ordering::Relaxed);
        if found == Found::Hit {
            bump(&counters.memory_hits);
            tracing::debug!(target: "runtime::cache", backend = backend.name(), module = %hex::encode(&prepared.key()[..8]), "memory hit");
        }
        compiled
    }

    /// The disk layer, then the compiler.
    fn load_or_compile(
        &self,
        backend: &dyn Backend,
        engine_id: &str,
        key: &ArtifactKey,
        prepared: &PreparedModule,
        imports: &HostFunctions,
    ) -> Compiled {
        let counters = &self.inner.counters;
        let disk = self.inner.disk.as_ref().filter(|_| backend.serializes());
        let name = backend.name();
        if let Some(disk) = disk {
            let path = disk.artifact_path(name, key);
            match disk.lookup(&path, key) {
                Lookup::Missing => {}
                Lookup::Verified(file, payload) => {
                    let artifact = VerifiedArtifact {
                        file,
                        payload,
                        engine_id: engine_id.to_owned(),
                    };
                    match backend.deserialize(&artifact, prepared, imports) {
                        Ok(module) => {
                            bump(&counters.disk_hits);
                            tracing::debug!(target: "runtime::cache", backend = name, path = %path.display(), "disk hit");
                            return Ok(module);
                        }
                        Err(e) => {
                            disk::remove(&path);
                            bump(&counters.discarded);
                            tracing::warn!(target: "runtime::cache", backend = name, path = %path.display(), error = %e, "the engine refused a verified artifact; discarded, compiling again");
                        }
                    }
                }
                Lookup::Discarded(defect) => {
                    bump(&counters.discarded);
                    tracing::warn!(target: "runtime::cache", backend = name, path = %path.display(), %defect, "discarded a defective artifact, compiling again");
                }
                Lookup::Unreadable(e) => {
                    tracing::warn!(target: "runtime::cache", backend = name, path = %path.display(), error = %e, "cannot read an artifact, compiling");
                }
            }
        }
        bump(&counters.compilations);
        let module = backend.compile(prepared, imports)?;
        if let Some(disk) = disk {
            match module.serialize() {
                Ok(Some(payload)) => match disk.store(name, engine_id, key, &payload) {
                    Ok(path) => {
                        bump(&counters.stored);
                        tracing::debug!(target: "runtime::cache", backend = name, path = %path.display(), bytes = payload.len(), "artifact stored");
                    }
                    Err(e) => {
                        tracing::warn!(target: "runtime::cache", backend = name, error = %e, "cannot store an artifact");
                    }
                },
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(target: "runtime::cache", backend = name, error = %e, "the engine cannot serialize a module");
                }
            }
        }
        Ok(module)
    }
}

fn key_for(backend: &dyn Backend, prepared: &PreparedModule) -> ArtifactKey {
    ArtifactKey::new(backend.name(), &backend.engine_id(), prepared.key())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verified_artifact_is_given_only_to_its_own_engine() {
        let key = ArtifactKey::new("mock", "mock-1", [1; 32]);
        let file = artifact::encode(&key, b"code");
        let payload = artifact::verify(&file, &key).unwrap();
        let artifact = VerifiedArtifact {
            file,
            payload,
            engine_id: "mock-1".into(),
        };
        assert_eq!(artifact.payload_for("mock-1"), Ok(&b"code"[..]));
        let err = artifact.payload_for("mock-2").unwrap_err();
        assert!(err.to_string().contains("mock-2"), "{err}");
    }
}
