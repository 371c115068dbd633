//! One `.wast` file's directives, run on one backend in one mode.
//!
//! Every module is encoded, prepared (instrumented or not, per [`Mode`]) and
//! compiled once, then instantiated with
//! [`RawModule::instantiate`](runtime::testing::RawModule::instantiate);
//! the instance lives for the rest of the file, as the script semantics
//! require (later directives act on the current or a named instance).

use std::collections::HashMap;

use runtime::testing::{EngineFailure, RawInstance, RawModule, prepare_uninstrumented, raw_module};
use runtime::{
    NonDeterministic, PreparedModule, Rejection, RejectionKind, Runtime, TrapKind, WasmValue,
};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::token::Id;
use wast::{QuoteWat, Wast, WastDirective, WastExecute, WastInvoke, Wat};

use super::skips::{self, Reason};
use super::values;
use super::{Mode, Tally};

/// The verdict on one directive.
pub(super) enum Verdict {
    Pass,
    Fail { expected: String, got: String },
    Skip(Reason),
}

fn fail(expected: impl Into<String>, got: impl Into<String>) -> Verdict {
    Verdict::Fail {
        expected: expected.into(),
        got: got.into(),
    }
}

/// What a module directive left behind, for the directives after it.
enum Slot {
    Live(Box<RawInstance>),
    /// Skipped by the table: directives on it are skipped too.
    Skipped(Reason),
    /// Failed (in scope): directives on it fail too.
    Broken {
        line: usize,
    },
    /// An unnamed instance a later module replaced: no directive can name
    /// it any more, so it was dropped.
    Dropped,
}

/// A `module definition`: compiled, not instantiated.
enum Definition {
    Compiled(Box<RawModule>),
    Skipped(Reason),
    Broken { line: usize },
}

/// The directive's keyword, for reports.
pub(super) fn directive_name(d: &WastDirective<'_>) -> &'static str {
    match d {
        WastDirective::Module(_) => "module",
        WastDirective::ModuleDefinition(_) => "module definition",
        WastDirective::ModuleInstance { .. } => "module instance",
        WastDirective::AssertMalformed { .. } => "assert_malformed",
        WastDirective::AssertInvalid { .. } => "assert_invalid",
        WastDirective::AssertInvalidCustom { .. } => "assert_invalid_custom",
        WastDirective::AssertMalformedCustom { .. } => "assert_malformed_custom",
        WastDirective::Register { .. } => "register",
        WastDirective::Invoke(_) => "invoke",
        WastDirective::AssertTrap { .. } => "assert_trap",
        WastDirective::AssertReturn { .. } => "assert_return",
        WastDirective::AssertExhaustion { .. } => "assert_exhaustion",
        WastDirective::AssertUnlinkable { .. } => "assert_unlinkable",
        WastDirective::AssertException { .. } => "assert_exception",
        WastDirective::AssertSuspension { .. } => "assert_suspension",
        WastDirective::Thread(_) => "thread",
        WastDirective::Wait { .. } => "wait",
    }
}

/// 1-based line numbers of byte offsets.
pub(super) struct Lines(Vec<usize>);

impl Lines {
    pub(super) fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines(starts)
    }

    pub(super) fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&start| start <= offset)
    }
}

/// Parses a file; the error names the line.
pub(super) fn parse<'a>(buf: &'a ParseBuffer<'a>) -> Result<Wast<'a>, wast::Error> {
    parser::parse::<Wast<'a>>(buf)
}

/// The parse buffer of a file. `names.wast` deliberately has bidirectional
/// and other confusable characters in names, which the lexer refuses by
/// default.
pub(super) fn buffer(text: &str) -> Result<ParseBuffer<'_>, wast::Error> {
    let mut lexer = Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    ParseBuffer::new_with_lexer(lexer)
}

/// How a raw call ended, as text.
fn show_failure(failure: &EngineFailure) -> String {
    match failure {
        EngineFailure::Trap(kind) => format!("trap {}", kind.name()),
        EngineFailure::HostAbort => "host abort".into(),
        EngineFailure::NonDeterministic(NonDeterministic::EngineError(message)) => {
            format!("nondeterministic EngineError: {message}")
        }
        EngineFailure::NonDeterministic(other) => format!("nondeterministic {}", other.name()),
        other => format!("{other:?}"),
    }
}

fn show_outcome(outcome: &Result<Vec<WasmValue>, EngineFailure>) -> String {
    match outcome {
        Ok(values) => format!("returned {}", values::show_all(values)),
        Err(failure) => show_failure(failure),
    }
}

fn encode_quote(module: &mut QuoteWat<'_>) -> Result<Vec<u8>, String> {
    module.encode().map_err(|e| e.message())
}

fn encode_wat(module: &mut Wat<'_>) -> Result<Vec<u8>, String> {
    module.encode().map_err(|e| e.message())
}

/// The state of one file's run.
pub(super) struct Script<'r> {
    runtime: &'r Runtime,
    mode: Mode,
    file: &'r str,
    slots: Vec<Slot>,
    current: Option<usize>,
    named: HashMap<String, usize>,
    definitions: Vec<Definition>,
    named_definitions: HashMap<String, usize>,
}

impl<'r> Script<'r> {
    pub(super) fn new(runtime: &'r Runtime, mode: Mode, file: &'r str) -> Self {
        Self {
            runtime,
            mode,
            file,
            slots: Vec::new(),
            current: None,
            named: HashMap::new(),
            definitions: Vec::new(),
            named_definitions: HashMap::new(),
        }
    }

    /// Runs one directive and records its verdict.
    pub(super) fn run(&mut self, directive: WastDirective<'_>, line: usize, tally: &mut Tally) {
        let kind = directive_name(&directive);
        let verdict = match skips::directive_skip(self.file, line) {
            Some((entry, skip)) => {
                tally.used_directive_skips.insert((entry, line));
                self.skip(directive, skip.reason, line)
            }
            None => self.directive(directive, line),
        };
        tally.record(self.file, line, kind, verdict);
    }

    fn prepare(&self, wasm: &[u8]) -> Result<PreparedModule, Rejection> {
        match self.mode {
            Mode::Prepared => self.runtime.prepare(wasm),
            Mode::Raw => prepare_uninstrumented(self.runtime, wasm).map(|m| m.into_prepared()),
        }
    }

    /// Prepares and compiles; the error says what went wrong.
    fn load(&self, wasm: &[u8]) -> Result<RawModule, String> {
        let prepared = self.prepare(wasm).map_err(|r| format!("rejected {r}"))?;
        raw_module(self.runtime, prepared).map_err(|e| format!("compilation failed: {e:?}"))
    }

    fn define(&mut self, name: Option<&str>, slot: Slot) {
        // An unnamed instance cannot be referred to once another module
        // follows: drop it, so a file's instances do not pile up (an engine
        // may pool a bounded number of live instances).
        if let Some(previous) = self.current
            && !self.named.values().any(|&i| i == previous)
        {
            self.slots[previous] = Slot::Dropped;
        }
        let index = self.slots.len();
        self.slots.push(slot);
        self.current = Some(index);
        if let Some(name) = name {
            self.named.insert(name.to_owned(), index);
        }
    }

    fn define_definition(&mut self, name: Option<&str>, definition: Definition) {
        let index = self.definitions.len();
        self.definitions.push(definition);
        if let Some(name) = name {
            self.named_definitions.insert(name.to_owned(), index);
        }
    }

    /// The instance a directive acts on, or the verdict when there is none
    /// to act on.
    fn instance(&mut self, id: Option<Id<'_>>) -> Result<&mut RawInstance, Verdict> {
        let index = match id {
            Some(id) => self.named.get(id.name()).copied(),
            None => self.current,
        };
        let Some(index) = index else {
            return Err(fail(
                "a module to act on",
                format!("no module {}", id.map_or("(current)", |id| id.name())),
            ));
        };
        match &mut self.slots[index] {
            Slot::Live(instance) => Ok(instance.as_mut()),
            Slot::Skipped(reason) => Err(Verdict::Skip(*reason)),
            Slot::Broken { line } => Err(fail(
                "a module to act on",
                format!("the module of line {line} failed"),
            )),
            // `current` moved on and names never point here.
            Slot::Dropped => Err(fail("a module to act on", "a dropped instance")),
        }
    }

    /// A skipped directive. Modules are still prepared, and must be rejected
    /// as the reason says (else the entry is stale: a failure).
    fn skip(&mut self, directive: WastDirective<'_>, reason: Reason, line: usize) -> Verdict {
        let (verdict, name, definition) = match directive {
            WastDirective::Module(mut module) => {
                let name = module.name().map(|id| id.name().to_owned());
                (
                    self.check_rejected(encode_quote(&mut module), reason),
                    name,
                    false,
                )
            }
            WastDirective::ModuleDefinition(mut module) => {
                let name = module.name().map(|id| id.name().to_owned());
                (
                    self.check_rejected(encode_quote(&mut module), reason),
                    name,
                    true,
                )
            }
            WastDirective::AssertTrap {
                exec: WastExecute::Wat(mut module),
                ..
            }
            | WastDirective::AssertReturn {
                exec: WastExecute::Wat(mut module),
                ..
            }
            | WastDirective::AssertUnlinkable { mut module, .. } => {
                return self.check_rejected(encode_wat(&mut module), reason);
            }
            WastDirective::ModuleInstance { instance, .. } => {
                let name = instance.map(|id| id.name().to_owned());
                self.define(name.as_deref(), Slot::Skipped(reason));
                return Verdict::Skip(reason);
            }
            _ => return Verdict::Skip(reason),
        };
        match (&verdict, definition) {
            (Verdict::Skip(_), false) => self.define(name.as_deref(), Slot::Skipped(reason)),
            (Verdict::Skip(_), true) => {
                self.define_definition(name.as_deref(), Definition::Skipped(reason));
            }
            (_, false) => self.define(name.as_deref(), Slot::Broken { line }),
            (_, true) => self.define_definition(name.as_deref(), Definition::Broken { line }),
        }
        verdict
    }

    /// A skip of a module is honest only if the runtime rejects it as the
    /// reason says.
    fn check_rejected(&self, wasm: Result<Vec<u8>, String>, reason: Reason) -> Verdict {
        let expected = || {
            format!(
                "skipped ({}): rejected as {} naming {:?}",
                reason.name(),
                reason.rejection().name(),
                reason.markers()
            )
        };
        let wasm = match wasm {
            Ok(wasm) => wasm,
            Err(e) => return fail(expected(), format!("stale skip: text does not encode: {e}")),
        };
        let markers = reason.markers();
        match self.prepare(&wasm) {
            Err(r)
                if r.kind == reason.rejection()
                    && (markers.is_empty() || markers.iter().any(|m| r.detail.contains(m))) =>
            {
                Verdict::Skip(reason)
            }
            Err(r) => fail(expected(), format!("stale skip: rejected {r}")),
            Ok(_) => fail(expected(), "stale skip: the module was accepted"),
        }
    }

    fn directive(&mut self, directive: WastDirective<'_>, line: usize) -> Verdict {
        match directive {
            WastDirective::Module(mut module) => {
                let name = module.name().map(|id| id.name().to_owned());
                let (verdict, slot) = match encode_quote(&mut module) {
                    Err(e) => (
                        fail("module instantiates", format!("text does not encode: {e}")),
                        Slot::Broken { line },
                    ),
                    Ok(wasm) => match self.load(&wasm) {
                        Err(got) => (fail("module instantiates", got), Slot::Broken { line }),
                        Ok(module) => match instantiate(&module) {
                            Ok(instance) => (Verdict::Pass, Slot::Live(instance)),
                            Err(f) => (
                                fail(
                                    "module instantiates",
                                    format!("instantiation: {}", show_failure(&f)),
                                ),
                                Slot::Broken { line },
                            ),
                        },
                    },
                };
                self.define(name.as_deref(), slot);
                verdict
            }
            WastDirective::ModuleDefinition(mut module) => {
                let name = module.name().map(|id| id.name().to_owned());
                let (verdict, definition) =
                    match encode_quote(&mut module).and_then(|wasm| self.load(&wasm)) {
                        Ok(module) => (Verdict::Pass, Definition::Compiled(Box::new(module))),
                        Err(got) => (fail("module compiles", got), Definition::Broken { line }),
                    };
                self.define_definition(name.as_deref(), definition);
                verdict
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => {
                let index = match module {
                    Some(id) => self.named_definitions.get(id.name()).copied(),
                    None => self.definitions.len().checked_sub(1),
                };
                let (verdict, slot) = match index.map(|i| &self.definitions[i]) {
                    None => (
                        fail("a module definition", "no such definition"),
                        Slot::Broken { line },
                    ),
                    Some(Definition::Skipped(reason)) => {
                        (Verdict::Skip(*reason), Slot::Skipped(*reason))
                    }
                    Some(Definition::Broken { line: at }) => (
                        fail(
                            "a module definition",
                            format!("the definition of line {at} failed"),
                        ),
                        Slot::Broken { line },
                    ),
                    Some(Definition::Compiled(module)) => match instantiate(module) {
                        Ok(instance) => (Verdict::Pass, Slot::Live(instance)),
                        Err(f) => (
                            fail(
                                "module instantiates",
                                format!("instantiation: {}", show_failure(&f)),
                            ),
                            Slot::Broken { line },
                        ),
                    },
                };
                let name = instance.map(|id| id.name().to_owned());
                self.define(name.as_deref(), slot);
                verdict
            }
            WastDirective::Register { module, .. } => match self.instance(module) {
                Ok(_) => Verdict::Pass,
                Err(verdict) => verdict,
            },
            WastDirective::Invoke(invoke) => match self.invoke(&invoke) {
                Err(verdict) => verdict,
                Ok(Ok(_)) => Verdict::Pass,
                Ok(Err(f)) => fail("the call returns", show_failure(&f)),
            },
            WastDirective::AssertReturn { exec, results, .. } => {
                if !results.iter().all(values::supported_expectation) {
                    if let Err(verdict) = self.target(&exec) {
                        return verdict;
                    }
                    return fail(
                        "number results",
                        "the expected results are not numbers (references or v128)",
                    );
                }
                let expected = || {
                    let items: Vec<String> = results.iter().map(values::show_expected).collect();
                    format!("return [{}]", items.join(", "))
                };
                match self.execute(exec) {
                    Err(verdict) => verdict,
                    Ok(Ok(actual))
                        if actual.len() == results.len()
                            && results
                                .iter()
                                .zip(&actual)
                                .all(|(e, a)| values::matches(e, a)) =>
                    {
                        Verdict::Pass
                    }
                    Ok(outcome) => fail(expected(), show_outcome(&outcome)),
                }
            }
            WastDirective::AssertTrap { exec, message, .. } => {
                if let Err(verdict) = self.target(&exec) {
                    return verdict;
                }
                let Some(kind) = values::trap_kind(message) else {
                    return fail(
                        format!("trap {message:?}"),
                        "the runtime has no trap kind for this message",
                    );
                };
                match self.execute(exec) {
                    Err(verdict) => verdict,
                    Ok(Err(EngineFailure::Trap(k))) if k == kind => Verdict::Pass,
                    Ok(outcome) => fail(
                        format!("trap {} ({message:?})", kind.name()),
                        show_outcome(&outcome),
                    ),
                }
            }
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(&call) {
                Err(verdict) => verdict,
                Ok(outcome) => {
                    // Prepared: the instrumented, deterministic limit. Raw:
                    // the engine's own stack limit, which the backends
                    // report as non-deterministic.
                    let exhausted = matches!(
                        (self.mode, &outcome),
                        (
                            Mode::Prepared,
                            Err(EngineFailure::Trap(TrapKind::StackOverflow))
                        ) | (
                            Mode::Raw,
                            Err(EngineFailure::NonDeterministic(
                                NonDeterministic::EngineError(_)
                            ))
                        )
                    );
                    if exhausted {
                        Verdict::Pass
                    } else {
                        let expected = match self.mode {
                            Mode::Prepared => "trap StackOverflow",
                            Mode::Raw => "nondeterministic EngineError (native stack)",
                        };
                        fail(format!("{expected} ({message:?})"), show_outcome(&outcome))
                    }
                }
            },
            WastDirective::AssertInvalid {
                mut module,
                message,
                ..
            }
            | WastDirective::AssertMalformed {
                mut module,
                message,
                ..
            } => {
                // A text the text parser already refuses is malformed (or,
                // for unresolved names, invalid) before any binary exists.
                // Otherwise the runtime must refuse the binary: a rejection
                // of *any* kind counts as a pass. The runtime gives no
                // finer answer than its rejection kinds, and a module the
                // spec calls invalid or malformed may also use a disallowed
                // feature (DisallowedFeature), exceed a static limit
                // (StaticLimitExceeded) or import outside the ABI
                // (UnknownImport) — each is a correct refusal.
                match encode_quote(&mut module) {
                    Err(_) => Verdict::Pass,
                    Ok(wasm) => match self.prepare(&wasm) {
                        Err(_) => Verdict::Pass,
                        Ok(_) => fail(format!("rejected ({message:?})"), "accepted"),
                    },
                }
            }
            WastDirective::AssertUnlinkable {
                mut module,
                message,
                ..
            } => {
                // The runtime links imports at preparation: an import outside
                // the ABI, or of the wrong type, is its link error.
                let expected = || format!("unlinkable ({message:?})");
                let wasm = match encode_wat(&mut module) {
                    Ok(wasm) => wasm,
                    Err(e) => return fail(expected(), format!("text does not encode: {e}")),
                };
                match self.prepare(&wasm) {
                    Err(r)
                        if matches!(
                            r.kind,
                            RejectionKind::UnknownImport | RejectionKind::MistypedImport
                        ) =>
                    {
                        Verdict::Pass
                    }
                    Err(r) => fail(expected(), format!("rejected {r}")),
                    Ok(_) => match self.load(&wasm) {
                        Err(got) => fail(expected(), got),
                        Ok(module) => match instantiate(&module) {
                            Err(_) => Verdict::Pass,
                            Ok(_) => fail(expected(), "instantiated"),
                        },
                    },
                }
            }
            other => fail(
                "a directive of the core spec",
                format!("{} is not supported by this runner", directive_name(&other)),
            ),
        }
    }

    /// Whether the instance an action acts on is there: acting on a
    /// skipped module is a skip (and on a failed one a failure), whatever
    /// the action's arguments and expectations.
    fn target(&mut self, exec: &WastExecute<'_>) -> Result<(), Verdict> {
        match exec {
            WastExecute::Invoke(WastInvoke { module, .. }) | WastExecute::Get { module, .. } => {
                self.instance(*module).map(|_| ())
            }
            WastExecute::Wat(_) => Ok(()),
        }
    }

    /// Calls an export; the outer error is the verdict when the call cannot
    /// be made (no module, unsupported arguments).
    fn invoke(
        &mut self,
        invoke: &WastInvoke<'_>,
    ) -> Result<Result<Vec<WasmValue>, EngineFailure>, Verdict> {
        self.instance(invoke.module)?;
        let args = invoke
            .args
            .iter()
            .map(values::argument)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| fail("number arguments", e))?;
        let instance = self.instance(invoke.module)?;
        Ok(instance.call(invoke.name, &args))
    }

    fn execute(
        &mut self,
        exec: WastExecute<'_>,
    ) -> Result<Result<Vec<WasmValue>, EngineFailure>, Verdict> {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(&invoke),
            WastExecute::Get { module, global, .. } => {
                let instance = self.instance(module)?;
                match instance.global(global) {
                    Some(value) => Ok(Ok(vec![value])),
                    None => Err(fail(
                        format!("a number global {global:?}"),
                        "no such exported global of a number type",
                    )),
                }
            }
            WastExecute::Wat(mut module) => {
                let wasm =
                    encode_wat(&mut module).map_err(|e| fail("a module", format!("text: {e}")))?;
                let module = self
                    .load(&wasm)
                    .map_err(|got| fail("module compiles", got))?;
                Ok(instantiate(&module).map(|_| Vec::new()))
            }
        }
    }
}

fn instantiate(module: &RawModule) -> Result<Box<RawInstance>, EngineFailure> {
    module.instantiate().map(Box::new)
}
