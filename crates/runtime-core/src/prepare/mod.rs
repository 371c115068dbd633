//! Module preparation: everything done once per module, before any engine
//! sees it.
//!
//! [`prepare`] checks the static limits (the code limits of ABI 1.1
//! among them, in `code_limits`: what keeps every engine's compilation
//! fast and every engine able to run the module), validates against the
//! allowed feature set, checks the imports against ABI v1 and the memory
//! export, and rewrites the module: memory maximum clamped to the limit, the start
//! function turned into an export the runtime calls after instantiation, and
//! every function instrumented for gas, stack height and NaN determinism. Its output, a
//! [`PreparedModule`], is what every backend compiles, so every backend runs
//! the very same bytes.

mod charge_sites;
mod code_limits;
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
use crate::host_functions::HostFunctions;
use crate::limits::ModuleLimits;
use crate::value::{FuncSig, WasmValue};

/// The version of the preparation pipeline; part of the cache key. Bump it
/// whenever preparation produces other bytes for the same input.
///
/// 7: ABI 1.1 metering — the gas counter in a local checked at loop
/// headers, calls and returns, fewer charge sites, NaN canonicalisation only
/// where bits can be observed, `memory.grow` charged per page added.
///
/// 8: ABI 1.1 code limits (nesting, blocks, branch-table targets, operand
/// stack, frame, loop-carried locals, code size), checked before rewriting.
pub const PREPARATION_VERSION: u32 = 8;

/// A module ready for every backend: validated, limited and rewritten once.
#[derive(Clone, Debug)]
pub struct PreparedModule {
    code: Arc<[u8]>,
    key: [u8; 32],
    functions: BTreeMap<String, FuncSig>,
    config: [u8; 32],
    instrumented: bool,
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

    /// The cache key: SHA-256 over the original code's hash and the
    /// configuration ([`PreparedModule::config`]: module limits, gas
    /// schedule, host functions, ABI version and [`PREPARATION_VERSION`]).
    pub fn key(&self) -> [u8; 32] {
        self.key
    }

    /// The exported functions and their signatures.
    pub fn exported_functions(&self) -> &BTreeMap<String, FuncSig> {
        &self.functions
    }

    /// The fingerprint of what it was prepared under: the module limits,
    /// the gas schedule and the host functions ([`config_fingerprint`]). A
    /// runtime runs only modules prepared under its own configuration.
    pub fn config(&self) -> [u8; 32] {
        self.config
    }

    /// The export the start function was moved to, if the module has one.
    /// The runtime calls it right after instantiation (see the `rewrite`
    /// step of [`prepare`]).
    pub fn start_export(&self) -> Option<&str> {
        self.start_export.as_deref()
    }

    /// The exported `i64` global holding the instrumented gas counter
    /// ([`GasCounter`](crate::backend::GasCounter)); `None` when the module defines no
    /// function. Backends set it before the first call, hand it to
    /// [`HostState::call`](crate::backend::HostState::call) and give it back to
    /// [`HostState::end_guest`](crate::backend::HostState::end_guest).
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

    /// Whether it carries the gas, stack and NaN instrumentation (only the
    /// testing tier makes modules without it, and
    /// [`Runtime::execute`](crate::Runtime::execute) refuses those).
    pub fn is_instrumented(&self) -> bool {
        self.instrumented
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
        prepare_inner(
            wasm,
            limits,
            schedule,
            &HostFunctions::abi(),
            Metering::PerBlock,
        )
    }

    /// Checks that `export` is a function of type `[] -> []` (an ABI call).
    ///
    /// # Errors
    ///
    /// A `MissingExport` rejection otherwise.
    pub fn check_callable(&self, export: &str) -> Result<(), Rejection> {
        match self.functions.get(export) {
            Some(sig) if sig.params.is_empty() && sig.results.is_empty() => Ok(()),
            Some(sig) => Err(Rejection::new(
                RejectionKind::MissingExport,
                format!("export {export:?} has type {sig}; an ABI call takes [] -> []"),
            )),
            None => Err(Rejection::new(
                RejectionKind::MissingExport,
                format!("no exported function {export:?}"),
            )),
        }
    }

    /// Checks that `export` is a function taking exactly `args` (a typed
    /// call) and returns its signature.
    ///
    /// # Errors
    ///
    /// A `MissingExport` rejection if there is no such function, an
    /// `ArgumentMismatch` rejection naming the expected signature if the
    /// arguments' number or types differ.
    pub fn check_call(&self, export: &str, args: &[WasmValue]) -> Result<&FuncSig, Rejection> {
        let sig = self.functions.get(export).ok_or_else(|| {
            Rejection::new(
                RejectionKind::MissingExport,
                format!("no exported function {export:?}"),
            )
        })?;
        if !sig.accepts(args) {
            let given: Vec<&str> = args.iter().map(|a| a.ty().name()).collect();
            return Err(Rejection::new(
                RejectionKind::ArgumentMismatch,
                format!(
                    "export {export:?} has type {sig}; called with [{}]",
                    given.join(", ")
                ),
            ));
        }
        Ok(sig)
    }
}

/// The fingerprint of a preparation configuration: module limits, gas
/// schedule and host functions.
pub fn config_fingerprint(
    limits: &ModuleLimits,
    schedule: &GasSchedule,
    host_functions: &HostFunctions,
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"preparation-config");
    h.update(limits.fingerprint());
    h.update(schedule.fingerprint());
    h.update(host_functions.fingerprint());
    h.update(host_abi::ABI_VERSION.to_le_bytes());
    h.update(PREPARATION_VERSION.to_le_bytes());
    h.finalize().into()
}

/// The cache key of `wasm` prepared under a configuration
/// ([`config_fingerprint`]): SHA-256 over the code's hash and the
/// configuration.
pub fn cache_key(wasm: &[u8], config: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"prepared-module-key");
    h.update(Sha256::digest(wasm));
    h.update(config);
    h.finalize().into()
}

/// Prepares `wasm` (a binary module) for execution on any backend.
///
/// # Errors
///
/// A [`Rejection`]: `StaticLimitExceeded`, `MalformedModule`,
/// `DisallowedFeature`, `UnknownImport`, `MistypedImport` or
/// `MissingMemoryExport`. Static limits are checked first, before any
/// expensive work: the section headers and every body's operators in one
/// linear pass, then (with validation, which measures it) each function's
/// operand stack and frame. A `StaticLimitExceeded` message starts with the
/// name of the [`ModuleLimits`] field it exceeds.
pub fn prepare(
    wasm: &[u8],
    limits: &ModuleLimits,
    schedule: &GasSchedule,
) -> Result<PreparedModule, Rejection> {
    prepare_with(wasm, limits, schedule, &HostFunctions::abi())
}

/// [`prepare`] for a runtime with embedder host functions: imports are
/// checked against `host_functions`, whose fingerprint enters the cache key.
///
/// # Errors
///
/// As [`prepare`].
pub fn prepare_with(
    wasm: &[u8],
    limits: &ModuleLimits,
    schedule: &GasSchedule,
    host_functions: &HostFunctions,
) -> Result<PreparedModule, Rejection> {
    prepare_inner(wasm, limits, schedule, host_functions, Metering::Sites)
}

/// [`prepare`] without the instrumentation, for the testing tier only
/// (see `testing::prepare_uninstrumented`).
#[cfg_attr(not(feature = "testing"), allow(dead_code))]
pub(crate) fn prepare_uninstrumented(
    wasm: &[u8],
    limits: &ModuleLimits,
    schedule: &GasSchedule,
    host_functions: &HostFunctions,
) -> Result<PreparedModule, Rejection> {
    prepare_inner(wasm, limits, schedule, host_functions, Metering::None)
}

fn prepare_inner(
    wasm: &[u8],
    limits: &ModuleLimits,
    schedule: &GasSchedule,
    host_functions: &HostFunctions,
    metering: Metering,
) -> Result<PreparedModule, Rejection> {
    let _span = tracing::debug_span!(target: "runtime::prepare", "prepare", size = wasm.len(), metering = ?metering)
        .entered();
    static_limits::check_static_limits(wasm, limits)?;
    let validated = features::validate(wasm)?;
    let imported_functions = validated
        .types
        .as_ref()
        .function_count()
        .saturating_sub(validated.functions.len() as u32);
    code_limits::check_frames(&validated.functions, imported_functions, limits)?;
    let summary = imports::check_imports_and_exports(wasm, &validated.types, host_functions)?;
    let config = config_fingerprint(limits, schedule, host_functions);
    let rewritten = rewrite::rewrite(wasm, limits, schedule, &validated, metering)?;
    Ok(PreparedModule {
        code: rewritten.code.into(),
        start_export: rewritten.start_export,
        gas_export: rewritten.gas_export,
        stack_export: rewritten.stack_export,
        key: match metering {
            Metering::Sites => cache_key(wasm, &config),
            // Never equal to a prepared module's key.
            Metering::PerBlock => {
                Sha256::digest([&b"per-block-reference"[..], &cache_key(wasm, &config)].concat())
                    .into()
            }
            Metering::None => {
                Sha256::digest([&b"uninstrumented"[..], &cache_key(wasm, &config)].concat()).into()
            }
        },
        config,
        instrumented: metering != Metering::None,
        functions: summary.functions,
        exports_memory: summary.exports_memory,
    })
}
