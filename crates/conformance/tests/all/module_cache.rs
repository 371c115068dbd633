//! The compiled-module cache (`runtime::ModuleCache`), on real engines.
//!
//! * Every defective artifact on disk — truncated, bytes flipped at several
//!   offsets, another module's, another engine version's, another engine's,
//!   empty — is discarded with a `warn`, never handed to the engine, and the
//!   module is compiled again with the same outcome as an uncached run (and
//!   as the spec of the guest says), on wasmtime and wasmer.
//! * A memory hit and a disk hit really skip compilation: a wrapper backend
//!   counts the calls of `compile` and `deserialize`.
//! * The memory layer evicts the least recently used module.
//! * Threads sharing one cache compile each module once; threads with their
//!   own caches on one directory (as processes would) never leave a file
//!   that does not verify.
//! * `conformance run --cache DIR` stores artifacts, then loads them.
//! * Engine ids name the engine crates' locked versions.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail loudly; they have no caller to return errors to"
)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use runtime::backend::{Backend, EngineModule, VerifiedArtifact};
use runtime::{
    BackendKind, ExecutionContext, HostFunctions, InMemoryStorage, ModuleCache, NonDeterministic,
    Outcome, PreparedModule, Runtime, Status,
};
use sha2::{Digest, Sha256};

/// A backend that counts what the cache asks of the engine, and can
/// pretend to be another engine version or refuse every artifact.
struct Counting {
    inner: Box<dyn Backend>,
    counts: Arc<Counts>,
    /// Replaces the version in the first word of the engine id
    /// (`wasmtime-48.0.0` becomes `wasmtime-<version>`).
    version: Option<&'static str>,
}

#[derive(Default)]
struct Counts {
    compiles: AtomicUsize,
    deserializes: AtomicUsize,
    refuse: AtomicBool,
}

impl Counts {
    fn take(&self) -> (usize, usize) {
        (
            self.compiles.swap(0, Ordering::SeqCst),
            self.deserializes.swap(0, Ordering::SeqCst),
        )
    }
}

impl Backend for Counting {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn engine_id(&self) -> String {
        let id = self.inner.engine_id();
        match (self.version, id.split_once(' ')) {
            (Some(version), Some((_, rest))) => format!("{}-{version} {rest}", self.name()),
            _ => id,
        }
    }
    fn compile(
        &self,
        module: &PreparedModule,
        imports: &HostFunctions,
    ) -> Result<Arc<dyn EngineModule>, NonDeterministic> {
        self.counts.compiles.fetch_add(1, Ordering::SeqCst);
        self.inner.compile(module, imports)
    }
    fn serializes(&self) -> bool {
        self.inner.serializes()
    }
    fn deserialize(
        &self,
        artifact: &VerifiedArtifact,
        module: &PreparedModule,
        imports: &HostFunctions,
    ) -> Result<Arc<dyn EngineModule>, NonDeterministic> {
        self.counts.deserializes.fetch_add(1, Ordering::SeqCst);
        if self.counts.refuse.load(Ordering::SeqCst) {
            return Err(NonDeterministic::EngineError("refused for the test".into()));
        }
        // The inner backend checks the engine id it was written under
        // against its own, so an overridden version goes through as the
        // inner id.
        if self.version.is_some() {
            return Err(NonDeterministic::EngineError(
                "a simulated version has no engine to load into".into(),
            ));
        }
        self.inner.deserialize(artifact, module, imports)
    }
    fn native_stack_required(&self) -> usize {
        self.inner.native_stack_required()
    }
}

/// A runtime over a counting `kind` backend with `cache`.
fn counting_runtime(
    kind: BackendKind,
    cache: &ModuleCache,
    version: Option<&'static str>,
) -> (Runtime, Arc<Counts>) {
    let counts = Arc::new(Counts::default());
    let backend = Counting {
        inner: kind.backend().unwrap(),
        counts: counts.clone(),
        version,
    };
    let runtime = Runtime::builder(Box::new(backend))
        .cache(cache.clone())
        .build()
        .unwrap();
    (runtime, counts)
}

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "module-cache-test-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A guest, a call, and what the guest's documentation says it does.
struct Workload {
    name: &'static str,
    wasm: Vec<u8>,
    export: &'static str,
    input: Vec<u8>,
    returns: Vec<u8>,
    changes: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

fn sha256(data: &[u8]) -> Vec<u8> {
    Sha256::digest(data).to_vec()
}

fn workloads() -> Vec<Workload> {
    let guests = Path::new(env!("CARGO_MANIFEST_DIR")).join("guests");
    let read = |p: &str| conformance::runner::load_guest(&guests.join(p), 64 << 20).unwrap();
    vec![
        // guests/c/sha.c: input N (u32 LE) then data; returns sha256^N(data).
        Workload {
            name: "sha",
            wasm: read("c/sha.wasm"),
            export: "pure_chain",
            input: [&3u32.to_le_bytes()[..], b"abc"].concat(),
            returns: sha256(&sha256(&sha256(b"abc"))),
            changes: Vec::new(),
        },
        // guests/c/kv.c: `S`, key length, key, value length, value sets the
        // key and returns 00 when it was absent.
        Workload {
            name: "kv",
            wasm: read("c/kv.wasm"),
            export: "run",
            input: vec![b'S', 1, b'a', 1, b'1'],
            returns: vec![0],
            changes: vec![(b"a".to_vec(), Some(b"1".to_vec()))],
        },
        // guests/counter.wat: the u64 under "count" plus one, returned LE.
        Workload {
            name: "counter",
            wasm: read("counter.wat"),
            export: "increment",
            input: Vec::new(),
            returns: 1u64.to_le_bytes().to_vec(),
            changes: vec![(b"count".to_vec(), Some(1u64.to_le_bytes().to_vec()))],
        },
    ]
}

fn execute(runtime: &Runtime, module: &runtime::Module, w: &Workload) -> Outcome {
    runtime
        .execute(
            module,
            w.export,
            &ExecutionContext::with_input(w.input.clone()),
            Arc::new(InMemoryStorage::new()),
        )
        .unwrap()
}

/// The digest of `w` compiled without a cache, checked against the spec.
fn uncached_digest(kind: BackendKind, w: &Workload) -> [u8; 32] {
    let runtime = kind.runtime().unwrap();
    let module = runtime.compile(runtime.prepare(&w.wasm).unwrap());
    let outcome = execute(&runtime, &module, w);
    check_spec(kind, w, &outcome);
    outcome.digest().unwrap()
}

fn check_spec(kind: BackendKind, w: &Workload, outcome: &Outcome) {
    assert_eq!(
        outcome.status(),
        Status::Ok,
        "{kind} {}: {outcome:?}",
        w.name
    );
    assert_eq!(outcome.return_data, w.returns, "{kind} {}", w.name);
    let changes: Vec<_> = outcome
        .changes
        .iter()
        .map(|c| (c.key.clone(), c.value.clone()))
        .collect();
    assert_eq!(changes, w.changes, "{kind} {}", w.name);
}

/// Captures the `runtime::cache` events of the calling thread.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `f` and returns its result with the `runtime::cache` warnings it
/// logged, one line each.
fn warnings<R>(f: impl FnOnce() -> R) -> (R, Vec<String>) {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("runtime::cache=warn"))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let result = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    (result, text.lines().map(str::to_owned).collect())
}

/// One way to spoil the artifact at `path`.
struct Defect {
    name: String,
    /// What the warning must say.
    says: &'static str,
    spoil: Box<dyn Fn(&Path)>,
}

fn flip(offset: Box<dyn Fn(usize) -> usize>, name: &str, says: &'static str) -> Defect {
    Defect {
        name: name.into(),
        says,
        spoil: Box::new(move |path| {
            let mut bytes = std::fs::read(path).unwrap();
            let at = offset(bytes.len());
            bytes[at] ^= 0xA5;
            std::fs::write(path, bytes).unwrap();
        }),
    }
}

fn truncate(keep: Box<dyn Fn(usize) -> usize>, name: &str) -> Defect {
    Defect {
        name: name.into(),
        says: "truncated",
        spoil: Box::new(move |path| {
            let bytes = std::fs::read(path).unwrap();
            std::fs::write(path, &bytes[..keep(bytes.len())]).unwrap();
        }),
    }
}

fn replace_with(file: Vec<u8>, name: &str, says: &'static str) -> Defect {
    Defect {
        name: name.into(),
        says,
        spoil: Box::new(move |path| std::fs::write(path, &file).unwrap()),
    }
}

/// The valid artifact of `w` for `kind` (pretending to be `version`), in a
/// directory of its own.
fn artifact_of(kind: BackendKind, w: &Workload, version: Option<&'static str>) -> Vec<u8> {
    let dir = TempDir::new("donor");
    let cache = ModuleCache::with_directory(0, &dir.0).unwrap();
    let (runtime, counts) = counting_runtime(kind, &cache, version);
    let prepared = runtime.prepare(&w.wasm).unwrap();
    assert!(runtime.compile(prepared.clone()).is_compiled());
    assert_eq!(counts.take(), (1, 0));
    std::fs::read(cache.artifact_path(&runtime, &prepared).unwrap()).unwrap()
}

pub(crate) fn every_defective_artifact_is_discarded_and_recompiled() {
    let workloads = workloads();
    for kind in [BackendKind::Wasmtime, BackendKind::Wasmer] {
        let other_kind = if kind == BackendKind::Wasmtime {
            BackendKind::Wasmer
        } else {
            BackendKind::Wasmtime
        };
        for (i, w) in workloads.iter().enumerate() {
            let expected = uncached_digest(kind, w);
            let dir = TempDir::new(w.name);
            // Memory bound 0: every compile goes to the disk layer.
            let cache = ModuleCache::with_directory(0, &dir.0).unwrap();
            let (runtime, counts) = counting_runtime(kind, &cache, None);
            let prepared = runtime.prepare(&w.wasm).unwrap();
            let path = cache.artifact_path(&runtime, &prepared).unwrap();

            // First compile: compiled and stored.
            let module = runtime.compile(prepared.clone());
            assert_eq!(counts.take(), (1, 0), "{kind} {}", w.name);
            assert!(path.is_file());
            assert_eq!(execute(&runtime, &module, w).digest(), Some(expected));
            // Then a disk hit: deserialized, not compiled, same outcome.
            let (module, warned) = warnings(|| runtime.compile(prepared.clone()));
            assert_eq!(counts.take(), (0, 1), "{kind} {}: not a disk hit", w.name);
            assert!(warned.is_empty(), "{warned:?}");
            assert_eq!(execute(&runtime, &module, w).digest(), Some(expected));
            let good = std::fs::read(&path).unwrap();

            let other_module = &workloads[(i + 1) % workloads.len()];
            let defects = vec![
                Defect {
                    name: "empty".into(),
                    says: "empty file",
                    spoil: Box::new(|path| std::fs::write(path, b"").unwrap()),
                },
                truncate(Box::new(|len| len / 2), "truncated to half"),
                truncate(Box::new(|len| len - 1), "one byte short"),
                truncate(Box::new(|_| 40), "header only"),
                flip(Box::new(|_| 0), "flipped magic", "format version"),
                flip(Box::new(|_| 20), "flipped module key", "another module"),
                flip(Box::new(|_| 50), "flipped engine key", "another engine"),
                flip(Box::new(|_| 75), "flipped length", "truncated"),
                flip(Box::new(|_| 80), "flipped first payload byte", "checksum"),
                flip(Box::new(|len| len / 2), "flipped middle", "checksum"),
                flip(
                    Box::new(|len| len - 33),
                    "flipped last payload byte",
                    "checksum",
                ),
                flip(Box::new(|len| len - 1), "flipped checksum", "checksum"),
                replace_with(
                    artifact_of(kind, other_module, None),
                    &format!("{}'s artifact", other_module.name),
                    "another module",
                ),
                replace_with(
                    artifact_of(kind, w, Some("0.0.1-older")),
                    "another engine version's artifact",
                    "another engine",
                ),
                replace_with(
                    artifact_of(other_kind, w, None),
                    &format!("{other_kind}'s artifact"),
                    "another engine",
                ),
                replace_with(
                    good.iter()
                        .map(|b| b.wrapping_mul(31).wrapping_add(7))
                        .collect(),
                    "garbage of the same length",
                    "format version",
                ),
            ];
            for defect in &defects {
                std::fs::write(&path, &good).unwrap();
                (defect.spoil)(&path);
                assert_ne!(std::fs::read(&path).unwrap(), good, "{}", defect.name);
                let (module, warned) = warnings(|| runtime.compile(prepared.clone()));
                let what = format!("{kind} {}: {}", w.name, defect.name);
                // Never handed to the engine; compiled again.
                assert_eq!(counts.take(), (1, 0), "{what}");
                assert!(module.is_compiled(), "{what}");
                assert_eq!(warned.len(), 1, "{what}: {warned:?}");
                assert!(
                    warned[0].contains("WARN") && warned[0].contains("discarded"),
                    "{what}: {warned:?}"
                );
                assert!(warned[0].contains(defect.says), "{what}: {warned:?}");
                assert_eq!(
                    execute(&runtime, &module, w).digest(),
                    Some(expected),
                    "{what}"
                );
                // The file was replaced by a good artifact: a disk hit again.
                let module = runtime.compile(prepared.clone());
                assert_eq!(counts.take(), (0, 1), "{what}: not restored");
                assert_eq!(
                    execute(&runtime, &module, w).digest(),
                    Some(expected),
                    "{what}"
                );
            }
            assert_eq!(cache.stats().discarded, defects.len() as u64);

            // A verified artifact that the engine refuses is discarded too.
            counts.refuse.store(true, Ordering::SeqCst);
            let (module, warned) = warnings(|| runtime.compile(prepared.clone()));
            counts.refuse.store(false, Ordering::SeqCst);
            assert_eq!(counts.take(), (1, 1), "{kind} {}", w.name);
            assert!(
                warned.len() == 1 && warned[0].contains("refused"),
                "{warned:?}"
            );
            assert_eq!(execute(&runtime, &module, w).digest(), Some(expected));
        }
    }
}

pub(crate) fn an_upgrade_never_loads_an_old_artifact() {
    let w = &workloads()[0];
    for kind in [BackendKind::Wasmtime, BackendKind::Wasmer] {
        let dir = TempDir::new("upgrade");
        let cache = ModuleCache::with_directory(0, &dir.0).unwrap();
        let (old, old_counts) = counting_runtime(kind, &cache, Some("0.0.1-older"));
        let (new, new_counts) = counting_runtime(kind, &cache, None);
        let prepared = new.prepare(&w.wasm).unwrap();
        assert!(old.compile(prepared.clone()).is_compiled());
        assert_eq!(old_counts.take(), (1, 0));
        // Another directory: the old artifact is not even looked at.
        let old_path = cache.artifact_path(&old, &prepared).unwrap();
        let new_path = cache.artifact_path(&new, &prepared).unwrap();
        assert_ne!(old_path.parent(), new_path.parent());
        assert!(old_path.is_file() && !new_path.exists());
        let (module, warned) = warnings(|| new.compile(prepared.clone()));
        assert_eq!(
            new_counts.take(),
            (1, 0),
            "{kind}: the old artifact was loaded"
        );
        assert!(warned.is_empty(), "{warned:?}");
        assert_eq!(
            execute(&new, &module, w).digest(),
            Some(uncached_digest(kind, w))
        );
        // The directory names the backend and the preparation version.
        let name = new_path
            .parent()
            .and_then(Path::file_name)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            name.starts_with(&format!("{kind}-v1-prep{}-", runtime::PREPARATION_VERSION)),
            "{name}"
        );
        let about = std::fs::read_to_string(new_path.parent().unwrap().join("engine.txt")).unwrap();
        assert!(about.contains(&new.engine_id()), "{about}");
    }
}

/// The version `Cargo.lock` pins for `package`.
fn locked_version(package: &str) -> String {
    let lock =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock")).unwrap();
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{package}\"") {
            let version = lines.next().unwrap_or_default();
            return version
                .trim_start_matches("version = \"")
                .trim_end_matches('"')
                .to_owned();
        }
    }
    panic!("{package} is not in Cargo.lock");
}

/// The engine id, which versions the cache directory, names the engine
/// crate's real version (an upgrade that forgets the backend's version
/// constant fails here) and the target.
pub(crate) fn engine_ids_name_the_locked_engine_versions() {
    // wasmer and wasmer-types are released together; the id uses the latter.
    assert_eq!(locked_version("wasmer"), locked_version("wasmer-types"));
    for (kind, package) in [
        (BackendKind::Wasmtime, "wasmtime"),
        (BackendKind::Wasmer, "wasmer"),
    ] {
        let id = kind.backend().unwrap().engine_id();
        let prefix = format!("{package}-{} ", locked_version(package));
        assert!(id.starts_with(&prefix), "{id} does not start with {prefix}");
        assert!(id.contains(std::env::consts::ARCH), "{id}");
        assert_eq!(id, kind.backend().unwrap().engine_id(), "{kind}: unstable");
    }
    // wasmer's id lists the CPU features its code may use.
    assert!(
        BackendKind::Wasmer
            .backend()
            .unwrap()
            .engine_id()
            .contains(" cpu=[")
    );
}

pub(crate) fn a_memory_hit_skips_compilation_on_every_backend() {
    let w = &workloads()[1];
    for kind in BackendKind::compiled_in() {
        let cache = ModuleCache::in_memory(4);
        let (runtime, counts) = counting_runtime(kind, &cache, None);
        let first = runtime.compile(runtime.prepare(&w.wasm).unwrap());
        let second = runtime.compile(runtime.prepare(&w.wasm).unwrap());
        assert_eq!(counts.take(), (1, 0), "{kind}");
        assert_eq!(cache.stats().memory_hits, 1);
        assert_eq!(cache.stats().compilations, 1);
        let outcome = execute(&runtime, &second, w);
        check_spec(kind, w, &outcome);
        assert_eq!(execute(&runtime, &first, w).digest(), outcome.digest());
        assert_eq!(outcome.digest(), Some(uncached_digest(kind, w)));
        // Another runtime over another backend of the same engine
        // configuration shares the entry, and runs it.
        let (twin, twin_counts) = counting_runtime(kind, &cache, None);
        let shared = twin.compile(twin.prepare(&w.wasm).unwrap());
        assert_eq!(twin_counts.take(), (0, 0), "{kind}");
        assert_eq!(execute(&twin, &shared, w).digest(), outcome.digest());
        // Other module limits prepare another module: not a hit.
        let mut limits = runtime.limits().clone();
        limits.max_memory_pages -= 1;
        let other = runtime.with_module_limits(limits);
        assert!(other.compile(other.prepare(&w.wasm).unwrap()).is_compiled());
        assert_eq!(counts.take(), (1, 0), "{kind}");
    }
}

pub(crate) fn wasmi_keeps_nothing_on_disk() {
    let w = &workloads()[0];
    let dir = TempDir::new("wasmi");
    let cache = ModuleCache::with_directory(4, &dir.0).unwrap();
    let (runtime, counts) = counting_runtime(BackendKind::Wasmi, &cache, None);
    let prepared = runtime.prepare(&w.wasm).unwrap();
    assert!(cache.artifact_path(&runtime, &prepared).is_none());
    assert!(runtime.compile(prepared.clone()).is_compiled());
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 0);
    // A fresh memory layer on the same directory compiles again.
    let fresh = ModuleCache::with_directory(4, &dir.0).unwrap();
    let again = Runtime::builder(BackendKind::Wasmi.backend().unwrap())
        .cache(fresh.clone())
        .build()
        .unwrap();
    assert!(again.compile(prepared).is_compiled());
    assert_eq!(fresh.stats().compilations, 1);
    assert_eq!(fresh.stats().disk_hits, 0);
    assert_eq!(counts.take(), (1, 0));
}

pub(crate) fn the_least_recently_used_module_is_evicted() {
    let ws = workloads();
    for kind in [BackendKind::Wasmi, BackendKind::Wasmtime] {
        let cache = ModuleCache::in_memory(2);
        let (runtime, counts) = counting_runtime(kind, &cache, None);
        let [a, b, c] = [0, 1, 2].map(|i| runtime.prepare(&ws[i].wasm).unwrap());
        let compile = |p: &PreparedModule| runtime.compile(p.clone());
        compile(&a);
        compile(&b);
        compile(&a); // a is now more recent than b
        assert_eq!(counts.take(), (2, 0));
        compile(&c); // evicts b
        assert_eq!(counts.take(), (1, 0));
        assert!(cache.holds(&runtime, &a) && cache.holds(&runtime, &c));
        assert!(!cache.holds(&runtime, &b));
        assert_eq!(cache.len(), 2);
        compile(&a); // a hit; c is now the least recent
        assert_eq!(counts.take(), (0, 0));
        compile(&b); // compiled again, evicts c
        assert_eq!(counts.take(), (1, 0));
        assert!(cache.holds(&runtime, &a) && cache.holds(&runtime, &b));
        assert!(!cache.holds(&runtime, &c));
        let stats = cache.stats();
        assert_eq!((stats.evictions, stats.memory_hits), (2, 2), "{kind}");
    }
}

/// Thread `t`'s share of a concurrency test: `rounds` compilations and
/// executions, cycling through the workloads from the `t`-th, each
/// checked against its `expected` digest.
fn thread_rounds(
    kind: BackendKind,
    runtime: &Runtime,
    ws: &[Workload],
    expected: &[[u8; 32]],
    t: usize,
    rounds: usize,
) {
    for round in 0..rounds {
        let i = (t + round) % ws.len();
        let module = runtime.compile(runtime.prepare(&ws[i].wasm).unwrap());
        let outcome = execute(runtime, &module, &ws[i]);
        assert_eq!(outcome.digest(), Some(expected[i]), "{kind} thread {t}");
    }
}

pub(crate) fn threads_sharing_one_cache_compile_each_module_once() {
    const THREADS: usize = 8;
    let ws = workloads();
    for kind in [BackendKind::Wasmtime, BackendKind::Wasmer] {
        let expected: Vec<_> = ws.iter().map(|w| uncached_digest(kind, w)).collect();
        let dir = TempDir::new("threads");
        let cache = ModuleCache::with_directory(16, &dir.0).unwrap();
        let (runtime, counts) = counting_runtime(kind, &cache, None);
        let barrier = std::sync::Barrier::new(THREADS);
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let (runtime, ws, expected, barrier) = (&runtime, &ws, &expected, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    thread_rounds(kind, runtime, ws, expected, t, 6);
                });
            }
        });
        assert_eq!(counts.take(), (ws.len(), 0), "{kind}");
        let stats = cache.stats();
        assert_eq!(stats.compilations, ws.len() as u64);
        assert_eq!(stats.memory_hits, (THREADS * 6 - ws.len()) as u64);
        assert_eq!(stats.stored, ws.len() as u64);
    }
}

pub(crate) fn caches_racing_on_one_directory_leave_only_valid_artifacts() {
    const THREADS: usize = 8;
    let ws = workloads();
    for kind in [BackendKind::Wasmtime, BackendKind::Wasmer] {
        let expected: Vec<_> = ws.iter().map(|w| uncached_digest(kind, w)).collect();
        let dir = TempDir::new("race");
        // Each thread is a process of its own: its own runtime and cache,
        // nothing in memory, the directory shared.
        let barrier = std::sync::Barrier::new(THREADS);
        let discarded: u64 = std::thread::scope(|s| {
            let handles: Vec<_> = (0..THREADS)
                .map(|t| {
                    let (ws, expected, barrier, dir) = (&ws, &expected, &barrier, &dir.0);
                    s.spawn(move || {
                        let cache = ModuleCache::with_directory(0, dir).unwrap();
                        let (runtime, _) = counting_runtime(kind, &cache, None);
                        barrier.wait();
                        thread_rounds(kind, &runtime, ws, expected, t, 4);
                        cache.stats().discarded
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        // No reader ever saw half a file.
        assert_eq!(discarded, 0, "{kind}");
        // Every artifact verifies and loads; no temporary file is left.
        let cache = ModuleCache::with_directory(0, &dir.0).unwrap();
        let (runtime, counts) = counting_runtime(kind, &cache, None);
        for w in &ws {
            assert!(
                runtime
                    .compile(runtime.prepare(&w.wasm).unwrap())
                    .is_compiled()
            );
        }
        assert_eq!(counts.take(), (0, ws.len()), "{kind}");
        let engine_dir = cache
            .artifact_path(&runtime, &runtime.prepare(&ws[0].wasm).unwrap())
            .unwrap()
            .parent()
            .unwrap()
            .to_owned();
        let mut names: Vec<String> = std::fs::read_dir(engine_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names.len(), ws.len() + 1, "{names:?}");
        assert!(
            names
                .iter()
                .all(|n| n.ends_with(".module") || n == "engine.txt")
        );
    }
}

pub(crate) fn the_cli_stores_then_loads_artifacts() {
    let dir = TempDir::new("cli");
    let guest = Path::new(env!("CARGO_MANIFEST_DIR")).join("guests/c/sha.wasm");
    let run = || {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_conformance"))
            .arg("run")
            .arg(&guest)
            .args(["--call", "pure_chain", "--input-hex", "03000000616263"])
            .arg("--cache")
            .arg(&dir.0)
            .arg("--json")
            .env("CONFORMANCE_LOG", "runtime::cache=debug")
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        (
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    let (first, log) = run();
    assert_eq!(log.matches("artifact stored").count(), 2, "{log}");
    assert_eq!(log.matches("disk hit").count(), 0, "{log}");
    let (second, log) = run();
    assert_eq!(log.matches("disk hit").count(), 2, "{log}");
    assert_eq!(log.matches("artifact stored").count(), 0, "{log}");
    assert_eq!(first, second);
    let expected = hex::encode(sha256(&sha256(&sha256(b"abc"))));
    assert_eq!(first.matches(&expected).count(), 3, "{first}");
    // One directory per engine that serializes; none for wasmi.
    let mut engines: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    engines.sort();
    assert_eq!(engines.len(), 2, "{engines:?}");
    assert!(engines[0].starts_with("wasmer-") && engines[1].starts_with("wasmtime-"));

    // A file in place of the directory is a usage error.
    let file = dir.0.join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_conformance"))
        .arg("run")
        .arg(&guest)
        .args(["--call", "pure_chain", "--cache"])
        .arg(&file)
        .output()
        .unwrap()
        .status;
    assert_eq!(status.code(), Some(2));
}

/// The tests of this file.
pub(crate) fn trials() -> Vec<libtest_mimic::Trial> {
    vec![
        crate::trial(
            "module_cache::every_defective_artifact_is_discarded_and_recompiled",
            every_defective_artifact_is_discarded_and_recompiled,
        ),
        crate::trial(
            "module_cache::an_upgrade_never_loads_an_old_artifact",
            an_upgrade_never_loads_an_old_artifact,
        ),
        crate::trial(
            "module_cache::engine_ids_name_the_locked_engine_versions",
            engine_ids_name_the_locked_engine_versions,
        ),
        crate::trial(
            "module_cache::a_memory_hit_skips_compilation_on_every_backend",
            a_memory_hit_skips_compilation_on_every_backend,
        ),
        crate::trial(
            "module_cache::wasmi_keeps_nothing_on_disk",
            wasmi_keeps_nothing_on_disk,
        ),
        crate::trial(
            "module_cache::the_least_recently_used_module_is_evicted",
            the_least_recently_used_module_is_evicted,
        ),
        crate::trial(
            "module_cache::threads_sharing_one_cache_compile_each_module_once",
            threads_sharing_one_cache_compile_each_module_once,
        ),
        crate::trial(
            "module_cache::caches_racing_on_one_directory_leave_only_valid_artifacts",
            caches_racing_on_one_directory_leave_only_valid_artifacts,
        ),
        crate::trial(
            "module_cache::the_cli_stores_then_loads_artifacts",
            the_cli_stores_then_loads_artifacts,
        ),
    ]
}
