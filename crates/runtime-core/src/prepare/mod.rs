//! Module preparation: everything done once per module, before any engine
//! sees it.
//!
//! [`prepare`] checks the static limits, validates against the allowed
//! feature set, checks the imports against ABI v1 and the memory export, and
//! rewrites the module: memory maximum clamped to the limit, the start
//! function turned into an export the runtime calls after instantiation, and
//! every function instrumented for gas, stack height and NaN determinism. Its output, a
//! [`PreparedModule`], is what every backend compiles, so every backend runs
//! the very same bytes.

mod charge_sites;
mod features;
mod imports;
mod instrument;
mod nan_flow;
mod rewrite;
mod static_limits;

use std::collections::BTreeMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};

pub use features::allowed_features;
pub use instrument::{CANONICAL_NAN_F32, CANONICAL_NAN_F64, FRAME_OVERHEAD};

use self::rewrite::Metering;
use crate::error::{Rejection, RejectionKind};
use crate::gas::GasSchedule;
use crate::limits::ModuleLimits;

/// The version of the preparation pipeline; part of the cache key. Bump it
/// whenever preparation produces other bytes for the same input.
///
/// 7: ABI 1.1 metering — the gas counter in a local checked at loop
/// headers, calls and returns, fewer charge sites, NaN canonicalisation only
/// where bits can be observed, `memory.grow` charged per page added.
pub const PREPARATION_VERSION: u32 = 7;

/// The signature of an exported function, as counts of each value type are
/// not needed: the runtime only calls `[] -> []` exports.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExportedFunction {
    /// Number of parameters.
    pub params: usize,
    /// Number of results.
    pub results: usize,
}

/// A module ready for every backend: validated, limited and rewritten once.
#[derive(Clone, Debug)]
pub struct PreparedModule {
    code: Arc<[u8]>,
    key: [u8; 32],
    functions: BTreeMap<String, ExportedFunction>,
    exports_memory: bool,
    start_export: Option<String>,
    gas_export: Option<String>,
    stack_export: Option<String>,
}

impl PreparedModule {
    /// The prepared bytes every backend compiles.
    pub fn code(&self) -> &[u8] {
        &self.code
    }

    /// The cache key: SHA-256 over the original code's hash, the static
    /// limits, the gas schedule, the ABI version and [`PREPARATION_VERSION`].
    pub fn key(&self) -> [u8; 32] {
        self.key
    }

    /// The exported functions and their arity.
    pub fn exported_functions(&self) -> &BTreeMap<String, ExportedFunction> {
        &self.functions
    }

    /// The export the start function was moved to, if the module has one.
    /// The runtime calls it right after instantiation (see the `rewrite`
    /// step of [`prepare`]).
    pub fn start_export(&self) -> Option<&str> {
        self.start_export.as_deref()
    }

    /// The exported `i64` global holding the instrumented gas counter
    /// ([`GasCounter`](crate::GasCounter)); `None` when the module defines no
    /// function. Backends set it before the first call, hand it to
    /// [`HostState::call`](crate::HostState::call) and give it back to
    /// [`HostState::end_guest`](crate::HostState::end_guest).
    pub fn gas_export(&self) -> Option<&str> {
        self.gas_export.as_deref()
    }

    /// The exported `i32` global holding the instrumented stack height;
    /// `None` when the module defines no function. Only raw instances use
    /// it: a trap unwinds frames without popping their height, so a raw
    /// instance resets it (and the gas counter) before each call from
    /// outside. An ABI execution never reuses an instance.
    pub fn stack_export(&self) -> Option<&str> {
        self.stack_export.as_deref()
    }

    /// Whether the module exports its memory as `"memory"`.
    pub fn exports_memory(&self) -> bool {
        self.exports_memory
    }

    /// [`prepare`], with the reference gas placement: every basic block is
    /// charged at its own start, as ABI 1.0 metered, instead of at the
    /// fewer sites `prepare` uses (`docs/GAS_MODEL.md`). Everything else is
    /// the same, so at every call and return the counter, and the gas of
    /// every `ok` or `host_error` outcome, are those of `prepare`; only
    /// slower. It exists for tests that check that equality (its cache key
    /// never equals a prepared module's).
    ///
    /// # Errors
    ///
    /// As [`prepare`].
    pub fn per_block_reference(
        wasm: &[u8],
        limits: &ModuleLimits,
        schedule: &GasSchedule,
    ) -> Result<PreparedModule, Rejection> {
        prepare_inner(wasm, limits, schedule, Metering::PerBlock)
    }

    /// Checks that `export` is a function of type `[] -> []`.
    ///
    /// # Errors
    ///
    /// A `MissingExport` rejection otherwise.
    pub fn check_callable(&self, export: &str) -> Result<(), Rejection> {
        match self.functions.get(export) {
            Some(f) if f.params == 0 && f.results == 0 => Ok(()),
            Some(f) => Err(Rejection::new(
                RejectionKind::MissingExport,
                format!(
                    "export {export:?} has {} params and {} results; an ABI call takes [] -> []",
                    f.params, f.results
                ),
            )),
            None => Err(Rejection::new(
                RejectionKind::MissingExport,
                format!("no exported function {export:?}"),
            )),
        }
    }
}

/// The cache key of `wasm` prepared under `limits` and `schedule`.
pub fn cache_key(wasm: &[u8], limits: &ModuleLimits, schedule: &GasSchedule) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"prepared-module-key");
    h.update(Sha256::digest(wasm));
    h.update(limits.fingerprint());
    h.update(schedule.fingerprint());
    h.update(host_abi::ABI_VERSION.to_le_bytes());
    h.update(PREPARATION_VERSION.to_le_bytes());
    h.finalize().into()
}

/// Prepares `wasm` (a binary module) for execution on any backend.
///
/// # Errors
///
/// A [`Rejection`]: `StaticLimitExceeded`, `MalformedModule`,
/// `DisallowedFeature`, `UnknownImport`, `MistypedImport` or
/// `MissingMemoryExport`. Static limits are checked first, before any
/// expensive work.
pub fn prepare(
    wasm: &[u8],
    limits: &ModuleLimits,
    schedule: &GasSchedule,
) -> Result<PreparedModule, Rejection> {
    prepare_inner(wasm, limits, schedule, Metering::Sites)
}

/// [`prepare`] without the instrumentation: the same checks and the same
/// memory clamp and start export, but no gas metering, no stack-height limit
/// and no NaN canonicalisation. Outcomes of such modules are **not**
/// deterministic across engines; this exists to measure the
/// instrumentation's overhead and to test that it preserves semantics.
///
/// # Errors
///
/// As [`prepare`].
pub fn prepare_uninstrumented(
    wasm: &[u8],
    limits: &ModuleLimits,
    schedule: &GasSchedule,
) -> Result<PreparedModule, Rejection> {
    prepare_inner(wasm, limits, schedule, Metering::None)
}

fn prepare_inner(
    wasm: &[u8],
    limits: &ModuleLimits,
    schedule: &GasSchedule,
    metering: Metering,
) -> Result<PreparedModule, Rejection> {
    let _span = tracing::debug_span!(target: "runtime::prepare", "prepare", size = wasm.len(), metering = ?metering)
        .entered();
    static_limits::check_static_limits(wasm, limits)?;
    let validated = features::validate(wasm)?;
    let summary = imports::check_imports_and_exports(wasm, &validated.types)?;
    let rewritten = rewrite::rewrite(wasm, limits, schedule, &validated, metering)?;
    Ok(PreparedModule {
        code: rewritten.code.into(),
        start_export: rewritten.start_export,
        gas_export: rewritten.gas_export,
        stack_export: rewritten.stack_export,
        key: match metering {
            Metering::Sites => cache_key(wasm, limits, schedule),
            // Never equal to a prepared module's key.
            Metering::PerBlock => Sha256::digest(
                [
                    &b"per-block-reference"[..],
                    &cache_key(wasm, limits, schedule),
                ]
                .concat(),
            )
            .into(),
            Metering::None => Sha256::digest(
                [&b"uninstrumented"[..], &cache_key(wasm, limits, schedule)].concat(),
            )
            .into(),
        },
        functions: summary.functions,
        exports_memory: summary.exports_memory,
    })
}
