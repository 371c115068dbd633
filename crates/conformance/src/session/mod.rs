//! Sessions across backends: a [`Script`] runs as one
//! [`runtime::Session`] per selected backend, over its own copy of the
//! pre-state, and the session digests are compared (`conformance session`,
//! the corpus's session cases, the fuzzer's session cases).
//!
//! ```
//! use conformance::session::{Script, SessionRunners, agree};
//! use runtime::BackendKind;
//!
//! let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("guests/session");
//! let script = Script::from_file(&dir.join("pingpong.json")).unwrap();
//! let runners = SessionRunners::new(&BackendKind::compiled_in()).unwrap();
//! let runs = runners.run(&script, &[]).unwrap();
//! assert!(agree(&runs));
//! // ping counted to 5: five echoes by pong, five receipts by ping.
//! assert_eq!(runs[0].steps.len(), 1 + 10);
//! ```

pub mod cases;
pub mod expect;
pub mod report;
pub mod script;
pub mod suite;

use std::collections::BTreeMap;
use std::sync::Arc;

use runtime::{
    BackendKind, Envelope, InMemoryStorage, Module, PreparedModule, Runtime, RuntimeError, Session,
    Storage, TraceStep,
};

pub use script::{Script, ScriptError, ScriptModule, ScriptStep};

/// One backend's run of a script.
#[derive(Debug)]
pub struct SessionRun {
    /// The backend.
    pub backend: BackendKind,
    /// Every invocation, explicit or by `pump`, in order.
    pub steps: Vec<TraceStep>,
    /// The final mailboxes.
    pub mailboxes: BTreeMap<String, Vec<Envelope>>,
    /// The session digest (`None`: a step was non-deterministic, or the
    /// run stopped on an infrastructure error).
    pub digest: Option<[u8; 32]>,
    /// The whole storage afterwards (every namespace, prefixed keys).
    pub storage: Vec<(Vec<u8>, Vec<u8>)>,
    /// The infrastructure error that stopped the run, if one did.
    pub error: Option<String>,
}

impl SessionRun {
    /// Every dead letter, in order.
    pub fn dead_letters(&self) -> impl Iterator<Item = &Envelope> {
        self.steps.iter().flat_map(|s| &s.dead_letters)
    }

    /// The session digest as hex.
    pub fn digest_hex(&self) -> Option<String> {
        self.digest.map(hex::encode)
    }
}

/// The net changes that turn the store `pre` into `post` (both ordered
/// by key, as [`Storage::entries`] lists them), ordered by key: what an
/// agreed session commits to a persistent store (`--state`).
pub fn net_changes(
    pre: &[(Vec<u8>, Vec<u8>)],
    post: &[(Vec<u8>, Vec<u8>)],
) -> Vec<runtime::StorageChange> {
    let before: BTreeMap<&[u8], &[u8]> = pre
        .iter()
        .map(|(k, v)| (k.as_slice(), v.as_slice()))
        .collect();
    let after: BTreeMap<&[u8], &[u8]> = post
        .iter()
        .map(|(k, v)| (k.as_slice(), v.as_slice()))
        .collect();
    let keys: std::collections::BTreeSet<&[u8]> =
        before.keys().chain(after.keys()).copied().collect();
    keys.into_iter()
        .filter(|k| before.get(k) != after.get(k))
        .map(|k| runtime::StorageChange {
            key: k.to_vec(),
            value: after.get(k).map(|v| v.to_vec()),
        })
        .collect()
}

/// Commits an agreed session's final store `post` to `state`, which held
/// `pre` when the session started: the net changes, validated against
/// every key of `pre` and every changed key (so a concurrent writer is a
/// conflict, never a lost update).
///
/// # Errors
///
/// The store's [`runtime::CommitError`].
pub fn commit_final_state(
    state: &dyn Storage,
    pre: &[(Vec<u8>, Vec<u8>)],
    post: &[(Vec<u8>, Vec<u8>)],
) -> Result<(), runtime::CommitError> {
    let changes = net_changes(pre, post);
    let before: BTreeMap<&[u8], &[u8]> = pre
        .iter()
        .map(|(k, v)| (k.as_slice(), v.as_slice()))
        .collect();
    let mut reads = runtime::ReadSet::default();
    for (key, value) in pre {
        reads.record(key, Some(value));
    }
    for change in &changes {
        reads.record(&change.key, before.get(change.key.as_slice()).copied());
    }
    state.commit(&reads, &changes)
}

/// Whether every run finished and all session digests are equal. An
/// empty list agrees.
pub fn agree(runs: &[SessionRun]) -> bool {
    let mut digests = runs.iter().map(|r| r.digest);
    match digests.next() {
        None => true,
        Some(None) => false,
        Some(first) => digests.all(|d| d == first),
    }
}

/// A session-capable runtime per selected backend, built once.
pub struct SessionRunners {
    runtimes: Vec<(BackendKind, Runtime)>,
}

impl std::fmt::Debug for SessionRunners {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.runtimes.iter().map(|(k, _)| k))
            .finish()
    }
}

impl SessionRunners {
    /// Runtimes for `kinds` with the session's host functions and the
    /// default schedule and module limits.
    ///
    /// # Errors
    ///
    /// [`RuntimeError`] for a kind whose feature is off or whose engine
    /// cannot start.
    pub fn new(kinds: &[BackendKind]) -> Result<Self, RuntimeError> {
        let runtimes = kinds
            .iter()
            .map(|&k| Ok::<_, RuntimeError>((k, k.builder()?.session().build()?)))
            .collect::<Result<_, _>>()?;
        Ok(Self { runtimes })
    }

    /// The selected backends.
    pub fn kinds(&self) -> Vec<BackendKind> {
        self.runtimes.iter().map(|(k, _)| *k).collect()
    }

    /// Runs `script` on every backend, each over its own in-memory copy of
    /// `pre_state` (whole-store entries: prefixed keys). Every module is
    /// prepared once (all runtimes share one configuration) and compiled
    /// by each backend.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Registry`] with the rejection if preparation
    /// refuses a module of the script: the script cannot run anywhere.
    /// Infrastructure errors during a run are kept in its
    /// [`SessionRun::error`].
    pub fn run(
        &self,
        script: &Script,
        pre_state: &[(Vec<u8>, Vec<u8>)],
    ) -> Result<Vec<SessionRun>, RuntimeError> {
        let Some((_, first)) = self.runtimes.first() else {
            return Ok(Vec::new());
        };
        let loads = script
            .modules
            .iter()
            .chain(script.steps.iter().filter_map(|s| match s {
                ScriptStep::Load(m) => Some(m),
                _ => None,
            }));
        let mut prepared: BTreeMap<&[u8], PreparedModule> = BTreeMap::new();
        for m in loads {
            if !prepared.contains_key(m.wasm.as_slice()) {
                let p = first.prepare(&m.wasm).map_err(|r| {
                    RuntimeError::Registry(format!(
                        "module {:?} ({}) rejected: {r}",
                        m.name, m.guest
                    ))
                })?;
                prepared.insert(&m.wasm, p);
            }
        }
        Ok(self
            .runtimes
            .iter()
            .map(|(kind, runtime)| run_one(*kind, runtime, script, &prepared, pre_state))
            .collect())
    }
}

fn run_one(
    backend: BackendKind,
    runtime: &Runtime,
    script: &Script,
    prepared: &BTreeMap<&[u8], PreparedModule>,
    pre_state: &[(Vec<u8>, Vec<u8>)],
) -> SessionRun {
    let storage = Arc::new(InMemoryStorage::with_entries(pre_state.to_vec()));
    let mut run = SessionRun {
        backend,
        steps: Vec::new(),
        mailboxes: BTreeMap::new(),
        digest: None,
        storage: Vec::new(),
        error: None,
    };
    let mut session = match Session::new(runtime.clone(), storage.clone()) {
        Ok(session) => session.with_limits(script.limits.clone()),
        Err(e) => {
            run.error = Some(e.to_string());
            return run;
        }
    };
    // Compiled once per distinct module on this backend.
    let compiled: BTreeMap<&[u8], Arc<Module>> = prepared
        .iter()
        .map(|(wasm, p)| (*wasm, Arc::new(runtime.compile(p.clone()))))
        .collect();
    let load = |session: &mut Session, m: &ScriptModule| {
        let module = compiled.get(m.wasm.as_slice()).cloned().ok_or_else(|| {
            RuntimeError::Registry(format!("module {:?} was not prepared", m.name))
        })?;
        session.load_module(&m.name, module)
    };
    let result = (|| {
        for m in &script.modules {
            load(&mut session, m)?;
        }
        for step in &script.steps {
            match step {
                ScriptStep::Invoke {
                    module,
                    call,
                    args: None,
                    context,
                } => session.invoke(module, call, context).map(drop)?,
                ScriptStep::Invoke {
                    module,
                    call,
                    args: Some(args),
                    context,
                } => session
                    .invoke_typed(module, call, args, context)
                    .map(drop)?,
                ScriptStep::Pump {
                    handler,
                    max_steps,
                    context,
                } => session.pump_with(handler, *max_steps, context).map(drop)?,
                ScriptStep::Load(m) => load(&mut session, m)?,
                ScriptStep::Unload(name) => session.unload(name).map(drop)?,
            }
        }
        Ok::<_, RuntimeError>(())
    })();
    run.steps = session.take_trace();
    run.mailboxes = session.mailboxes();
    match result {
        Ok(()) => run.digest = session.digest(),
        Err(e) => run.error = Some(e.to_string()),
    }
    match storage.entries() {
        Ok(entries) => run.storage = entries,
        Err(e) => run.error = Some(e.to_string()),
    }
    run
}
