//! Differential fuzzing: generated modules, prepared once, run on every
//! backend, outcomes compared. Two generators:
//!
//! * [`smith`]: wasm-smith modules in the allowed feature set, run raw
//!   (exports called with arguments); results, traps, exported globals (the
//!   gas counter among them) and memory bytes are compared;
//! * [`abi`]: guests making random sequences of host calls with random and
//!   bad pointers; outcome digests are compared;
//! * [`hostile`]: the hostile classes of issue 12 (compile bombs at the code
//!   limits, deep nesting, huge tables, long bodies, host-call loops) run
//!   through the ABI; outcome digests are compared and no outcome may be
//!   non-deterministic.
//! * [`session`]: sessions of two or three such guests that also call the
//!   session's `send`, `recv` and `pending`; session digests are compared.
//!
//! The same entry points serve `conformance fuzz`, the libFuzzer targets
//! under `fuzz/`, and the CI smoke test.

pub mod abi;
pub mod hostile;
pub mod session;
pub mod smith;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use runtime::{BackendKind, Runtime};

use crate::report;
use crate::runner::{Invocation, Runners};
use crate::session::SessionRunners;

/// Which generator a case used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generator {
    /// wasm-smith modules, run raw.
    Smith,
    /// ABI-calling guests, run through the ABI.
    Abi,
    /// Hostile guests ([`hostile`]), run through the ABI.
    Hostile,
    /// Sessions of generated guests, session digests compared.
    Session,
}

/// Backends that did not agree on one generated case.
#[derive(Clone, Debug)]
pub struct Divergence {
    /// The generator.
    pub generator: Generator,
    /// The module; for a session, the script (JSON).
    pub wasm: Vec<u8>,
    /// What differed, for people.
    pub detail: String,
    /// The other files of the reproducer: a session's modules, by the
    /// file names its script uses.
    pub files: Vec<(String, Vec<u8>)>,
}

impl Divergence {
    /// Writes the module (runnable with `conformance run`) and a text file
    /// with the details next to it, named after `name`.
    ///
    /// # Errors
    ///
    /// The I/O error.
    ///
    /// A session's reproducer is a folder `name` holding `script.json`
    /// (for `conformance session`), its modules and `detail.txt`; the path
    /// returned is the script's.
    pub fn write(&self, dir: &Path, name: &str) -> std::io::Result<PathBuf> {
        if self.generator == Generator::Session {
            let dir = dir.join(name);
            std::fs::create_dir_all(&dir)?;
            for (file, bytes) in &self.files {
                std::fs::write(dir.join(file), bytes)?;
            }
            std::fs::write(dir.join("detail.txt"), &self.detail)?;
            let script = dir.join("script.json");
            std::fs::write(&script, &self.wasm)?;
            return Ok(script);
        }
        std::fs::create_dir_all(dir)?;
        let wasm = dir.join(format!("{name}.wasm"));
        std::fs::write(&wasm, &self.wasm)?;
        std::fs::write(dir.join(format!("{name}.txt")), &self.detail)?;
        Ok(wasm)
    }
}

/// The runtimes and runners a campaign uses, built once.
pub struct Fuzzer {
    runtimes: Vec<Runtime>,
    kinds: Vec<BackendKind>,
    runners: Runners,
    sessions: SessionRunners,
}

impl std::fmt::Debug for Fuzzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fuzzer")
            .field("kinds", &self.kinds)
            .finish()
    }
}

impl Fuzzer {
    /// A fuzzer over `kinds` (at least two make sense).
    ///
    /// # Errors
    ///
    /// [`runtime::RuntimeError`] for a kind whose feature is off or whose
    /// engine cannot start.
    pub fn new(kinds: &[BackendKind]) -> Result<Self, runtime::RuntimeError> {
        Ok(Self {
            runtimes: kinds
                .iter()
                .map(|k| k.runtime())
                .collect::<Result<_, _>>()?,
            kinds: kinds.to_vec(),
            runners: Runners::new(kinds)?,
            sessions: SessionRunners::new(kinds)?,
        })
    }

    /// One wasm-smith case from `data`. `Ok(false)` when `data` made no
    /// module.
    ///
    /// # Errors
    ///
    /// The [`Divergence`], a host panic included.
    pub fn smith_case(&self, data: &[u8]) -> Result<bool, Divergence> {
        let Some(wasm) = smith::generate(data) else {
            return Ok(false);
        };
        let seed = data
            .iter()
            .fold(0u64, |h, b| h.rotate_left(5) ^ u64::from(*b));
        let runs = catch_unwind(AssertUnwindSafe(|| {
            smith::run_everywhere(&wasm, seed, &self.runtimes)
        }));
        let detail = match runs {
            Err(_) => Some("a backend panicked".to_owned()),
            Ok(runs) => runs
                .iter()
                .enumerate()
                .skip(1)
                .find(|(_, run)| **run != runs[0])
                .map(|(i, run)| {
                    format!(
                        "{} and {} differ\n{}: {:#?}\n{}: {:#?}",
                        self.kinds[0], self.kinds[i], self.kinds[0], runs[0], self.kinds[i], run
                    )
                }),
        };
        match detail {
            None => Ok(true),
            Some(detail) => Err(Divergence {
                generator: Generator::Smith,
                wasm,
                detail,
                files: Vec::new(),
            }),
        }
    }

    /// One ABI-calling case from `data`.
    ///
    /// # Errors
    ///
    /// The [`Divergence`], a host panic or an infrastructure error included.
    pub fn abi_case(&self, data: &[u8]) -> Result<(), Divergence> {
        let invocation = abi::invocation(&mut abi::Bytes::new(data));
        self.compare(Generator::Abi, invocation)
    }

    /// One hostile case from `data`; returns its class.
    ///
    /// # Errors
    ///
    /// The [`Divergence`]: digests that differ or any non-deterministic
    /// outcome (both count as "not agreeing"), a host panic or an
    /// infrastructure error.
    pub fn hostile_case(&self, data: &[u8]) -> Result<hostile::Class, Divergence> {
        let (class, invocation) = hostile::invocation(&mut abi::Bytes::new(data));
        self.compare(Generator::Hostile, invocation).map(|()| class)
    }

    /// Runs `invocation` on every backend and compares the digests.
    fn compare(&self, generator: Generator, invocation: Invocation) -> Result<(), Divergence> {
        let outcomes = catch_unwind(AssertUnwindSafe(|| self.runners.run(&invocation)));
        let detail = match outcomes {
            Err(_) => Some("a backend panicked".to_owned()),
            Ok(Err(e)) => Some(format!("infrastructure error: {e}")),
            Ok(Ok(outcomes)) if !report::agree(&outcomes) => Some(format!(
                "outcomes differ (input {}, seed {}, time {}, gas {}, pre-state {:?})\n{}",
                hex::encode(&invocation.context.input),
                hex::encode(invocation.context.seed),
                invocation.context.timestamp_ns,
                invocation.context.limits.gas,
                invocation.pre_state,
                report::run_json(&outcomes)
            )),
            Ok(Ok(_)) => None,
        };
        match detail {
            None => Ok(()),
            Some(detail) => Err(Divergence {
                generator,
                wasm: invocation.wasm,
                detail,
                files: Vec::new(),
            }),
        }
    }
}
