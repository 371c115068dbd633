//! Every host function of the guest ABI, and the embedder path, with no
//! engine: a [`HostState`] over a plain `[u8]` memory, as the crate's
//! example drives it.
//!
//! The expectations come from `ABI.md` and the [`GasSchedule`]'s documented
//! costs, never from a run. "Precise rules": a call charges its base gas;
//! then checks the bounds of every memory argument (`ptr + len` with
//! overflow checks, at most the memory size, so a zero-length access at
//! `ptr > size` is out of bounds); then the limits the argument lengths
//! break; then charges the per-byte gas; then does the work. The first
//! failing check names the error, and a host error reports the gas charged
//! up to it.
//!
//! The schedule gives every cost a distinct value, so charging one cost for
//! another fails a test. Readings of the ABI that the tests pin down where
//! `ABI.md` is silent:
//!
//! * per-byte costs: bytes read from memory `memory_read_byte`, written to
//!   it `memory_write_byte`, host data copied into a register (input, the
//!   digest, a stored value) `register_byte`, plus the cost of what is done
//!   with them (`log_byte`, `event_byte`, `storage_key_byte`,
//!   `storage_value_byte`, `sha256_byte`, `random_byte`);
//! * a stored value put into a register (`storage_read`, `storage_remove`,
//!   the old value of `storage_write`) is part of the work: its length is
//!   not an argument, so its `storage_value_byte` charge, then the
//!   register's limits, then its `register_byte` charge come after the
//!   argument checks;
//! * `read_register` checks that the register is set before the bounds,
//!   because the bounds need its length;
//! * `sha256` checks the register limits for its 32-byte result before the
//!   per-byte gas (a limit its arguments break).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use host_abi::HostFunction::{self, *};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use super::{Abort, GasCounter, HostAbort, HostState};
use crate::context::ExecutionContext;
use crate::error::{
    CommitError, ExecError, HostError, NonDeterministic, RuntimeError, StorageError, TrapKind,
};
use crate::gas::GasSchedule;
use crate::host_functions::{HostFnError, HostFunctions};
use crate::limits::ExecutionLimits;
use crate::storage::{InMemoryStorage, ReadSet, Storage, StorageChange, ValueFingerprint};
use crate::value::{FuncSig, ValType, WasmValue};

/// A schedule in which every cost differs from every other.
fn schedule() -> GasSchedule {
    let mut s = GasSchedule::default();
    for (i, f) in (0u64..).zip(HostFunction::ALL) {
        s.set_host_base(*f, 1_000 + 100 * i);
    }
    s.memory_read_byte = 3;
    s.memory_write_byte = 5;
    s.register_byte = 7;
    s.sha256_byte = 11;
    s.storage_key_byte = 13;
    s.storage_value_byte = 17;
    s.log_byte = 19;
    s.event_byte = 23;
    s.random_byte = 29;
    s
}

/// Gas for calls whose budget does not matter.
const GAS: u64 = 10_000_000;

/// The memory's size; its contents are laid out below.
const MEMORY: u64 = 256;
/// `"hello"` (5 bytes).
const HELLO: u64 = 0;
/// `"abc"` (3 bytes).
const ABC: u64 = 8;
/// An overlong encoding of NUL, invalid UTF-8 (2 bytes).
const BAD_UTF8: u64 = 16;
/// Opaque bytes `00 ff 10`, invalid UTF-8 (3 bytes).
const DATA: u64 = 24;
/// `"k"` (1 byte), a key of the pre-state.
const KEY: u64 = 32;
/// `"absent"` (6 bytes), a key not in the pre-state.
const ABSENT: u64 = 40;
/// Zeroes to the end.
const SCRATCH: u64 = 64;

/// The storage every host starts from: `k` = `old`, `big` = 40 bytes.
fn pre_state() -> Arc<InMemoryStorage> {
    Arc::new(InMemoryStorage::with_entries([
        (b"k".to_vec(), b"old".to_vec()),
        (b"big".to_vec(), vec![0x42; 40]),
    ]))
}

/// A host state, the guest's memory and its gas counter.
struct Host {
    state: HostState,
    memory: Vec<u8>,
    /// The guest's instrumented gas counter, as a backend holds it.
    gas: i64,
    s: GasSchedule,
    storage: Arc<dyn Storage>,
}

impl Host {
    fn new(gas: u64) -> Self {
        Self::limited(gas, |_| {})
    }

    fn limited(gas: u64, change: impl FnOnce(&mut ExecutionLimits)) -> Self {
        let mut context = ExecutionContext::default().gas(gas);
        change(&mut context.limits);
        Self::with(context, pre_state(), HostFunctions::abi())
    }

    fn with(context: ExecutionContext, storage: Arc<dyn Storage>, imports: HostFunctions) -> Self {
        let s = schedule();
        let state = HostState::with_imports(
            &context,
            Arc::new(s.clone()),
            storage.clone(),
            Arc::new(imports),
        );
        let mut memory = vec![0u8; MEMORY as usize];
        for (at, bytes) in [
            (HELLO, &b"hello"[..]),
            (ABC, b"abc"),
            (BAD_UTF8, &[0xc0, 0x80]),
            (DATA, &[0x00, 0xff, 0x10]),
            (KEY, b"k"),
            (ABSENT, b"absent"),
        ] {
            memory[at as usize..at as usize + bytes.len()].copy_from_slice(bytes);
        }
        Self {
            gas: state.guest_gas(),
            state,
            memory,
            s,
            storage,
        }
    }

    fn call(&mut self, f: HostFunction, args: &[u64]) -> Result<Option<u64>, HostAbort> {
        self.state
            .call(f, args, &mut self.memory[..], &mut self.gas)
    }

    /// Calls `f`, which must succeed, and returns its result.
    #[track_caller]
    fn ok(&mut self, f: HostFunction, args: &[u64]) -> Option<u64> {
        match self.call(f, args) {
            Ok(result) => result,
            Err(HostAbort) => panic!("{f}{args:?} failed: {:?}", self.state.abort),
        }
    }

    /// Calls `f`, which must end the execution with `expected`.
    #[track_caller]
    fn fails(&mut self, f: HostFunction, args: &[u64], expected: impl Into<ExecError>) {
        assert_eq!(self.call(f, args), Err(HostAbort), "{f}{args:?} returned");
        assert_eq!(self.error(), Some(expected.into()), "{f}{args:?}");
    }

    /// Calls `f`, whose per-byte (or base) charge must run out: a trap that
    /// uses the whole limit.
    #[track_caller]
    fn runs_out(&mut self, f: HostFunction, args: &[u64]) {
        self.fails(f, args, TrapKind::GasExhausted);
        assert_eq!(self.used(), self.state.gas.limit(), "{f}: all gas is used");
    }

    /// The recorded deterministic error.
    fn error(&self) -> Option<ExecError> {
        match &self.state.abort {
            Some(Abort::Exec(e)) => Some(e.clone()),
            Some(Abort::Infra(e)) => panic!("unexpected infrastructure error: {e}"),
            None => None,
        }
    }

    fn used(&self) -> u64 {
        self.state.gas.used()
    }

    fn base(&self, f: HostFunction) -> u64 {
        self.s.host_base(f)
    }

    fn register(&self, id: u64) -> Option<&[u8]> {
        self.state.registers.get(id)
    }

    /// Sets a register directly, charging nothing.
    fn set_register(&mut self, id: u64, data: &[u8]) {
        self.state
            .registers
            .set(id, data.to_vec(), &self.state.limits)
            .unwrap();
    }

    fn bytes(&self, ptr: u64, len: u64) -> &[u8] {
        &self.memory[ptr as usize..(ptr + len) as usize]
    }
}

impl Host {
    /// A host with gas for `f`'s base cost alone, and the limits changed
    /// by `change`.
    fn for_base(f: HostFunction, change: impl FnOnce(&mut ExecutionLimits)) -> Self {
        Self::limited(schedule().host_base(f), change)
    }

    /// Calls `f`, which must fail with `expected` having charged its base
    /// alone: a check before any per-byte charge.
    #[track_caller]
    fn fails_at_base(&mut self, f: HostFunction, args: &[u64], expected: impl Into<ExecError>) {
        let before = self.used();
        self.fails(f, args, expected);
        assert_eq!(
            self.used() - before,
            self.base(f),
            "{f}{args:?}: the base alone"
        );
    }
}

/// A host with gas for `f`'s base cost and `per_byte` less one, in which
/// `f(args)` runs out; returned to check that nothing was done.
#[track_caller]
fn runs_out_per_byte(f: HostFunction, per_byte: u64, args: &[u64]) -> Host {
    let mut h = Host::new(schedule().host_base(f) + per_byte - 1);
    h.runs_out(f, args);
    h
}

// ---------------------------------------------------------------------------
// Every function: base gas, empty arguments, memory bounds

#[test]
fn every_function_charges_its_base_gas_before_any_check() {
    for &f in HostFunction::ALL {
        // One gas short of the base: even an unset register or a panic
        // comes second.
        let mut h = Host::new(schedule().host_base(f) - 1);
        h.runs_out(f, &vec![0; f.param_count()]);
        assert!(h.state.logs.is_empty() && h.state.events.is_empty(), "{f}");
        assert_eq!(h.register(0), None, "{f}");
    }
}

#[test]
fn calls_with_empty_arguments_cost_their_base_alone() {
    let s = schedule();
    for &f in HostFunction::ALL {
        // Every length 0 at pointer 0, register 0 unset, an empty input.
        let mut h = Host::new(GAS);
        let base = h.base(f);
        let (expected, extra): (Result<Option<u64>, ExecError>, u64) = match f {
            ReadRegister => (Err(HostError::InvalidRegisterId.into()), 0),
            RegisterLen => (Ok(Some(u64::MAX)), 0),
            WriteRegister | Input | ValueReturn | LogUtf8 | EmitEvent | RandomBytes => {
                (Ok(None), 0)
            }
            PanicUtf8 => (Err(HostError::GuestPanic(String::new()).into()), 0),
            // The empty key: valid, absent.
            StorageWrite | StorageRead | StorageRemove | StorageHasKey => (Ok(Some(0)), 0),
            // The 32-byte digest is host data copied into the register.
            Sha256 => (Ok(None), 32 * s.register_byte),
            TimeNow => (Ok(Some(0)), 0),
            GasLeft => (Ok(Some(GAS - base)), 0),
        };
        let got = h
            .call(f, &vec![0; f.param_count()])
            .map_err(|_| h.error().unwrap());
        assert_eq!(got, expected, "{f}");
        assert_eq!(h.used(), base + extra, "{f}");
    }
}

/// Every `(len, ptr)` argument pair of every function, from the ABI table's
/// parameter names (`len`/`ptr`, `kind_len`/`kind_ptr`, ...):
/// `(function, index of len, index of ptr)`. `read_register`'s length is
/// its register's, so it has no pair.
fn memory_arguments() -> Vec<(HostFunction, usize, usize)> {
    let mut pairs = Vec::new();
    for &f in HostFunction::ALL {
        let params = f.params();
        for (ptr, name) in params.iter().enumerate() {
            let Some(prefix) = name.strip_suffix("ptr") else {
                continue;
            };
            if let Some(len) = params.iter().position(|p| *p == format!("{prefix}len")) {
                pairs.push((f, len, ptr));
            }
        }
    }
    pairs
}

/// Arguments for `f` whose every memory argument is the empty range at the
/// end of the memory, and whose registers are 0.
fn args_at_end(f: HostFunction) -> Vec<u64> {
    let mut args = vec![0; f.param_count()];
    for (g, _, ptr) in memory_arguments() {
        if g == f {
            args[ptr] = MEMORY;
        }
    }
    args
}

#[test]
fn the_table_of_memory_arguments_covers_every_pointer() {
    let pairs = memory_arguments();
    // 11 functions besides read_register take ranges; emit_event and
    // storage_write two each.
    assert_eq!(pairs.len(), 13);
    for &f in HostFunction::ALL {
        let ptrs = f.params().iter().filter(|p| p.ends_with("ptr")).count();
        let covered = pairs.iter().filter(|(g, _, _)| *g == f).count();
        let expected = if f == ReadRegister { 0 } else { ptrs };
        assert_eq!(covered, expected, "{f}");
    }
}

#[test]
fn every_memory_argument_is_bounds_checked_before_limits_and_per_byte_gas() {
    // (len, ptr) pairs outside a memory of MEMORY bytes.
    let outside = [
        (2, u64::MAX),   // ptr + len overflows
        (u64::MAX, 1),   // so does len + ptr
        (u64::MAX, 0),   // far past the end
        (1, MEMORY),     // the first byte past the end
        (2, MEMORY - 1), // straddles the end
        (0, MEMORY + 1), // zero length past the end
        (0, u64::MAX),   // zero length far past the end
        (1, 1 << 32),    // a pointer with high bits set
        (MEMORY + 1, 0), // longer than the memory
    ];
    for (f, len_at, ptr_at) in memory_arguments() {
        for (len, ptr) in outside {
            // Gas for the base alone and limits of one byte: a per-byte
            // charge or a limit checked first would name another error.
            let mut h = Host::for_base(f, |l| {
                l.max_register_size = 1;
                l.max_key_len = 1;
                l.max_value_len = 1;
                l.max_storage_write_bytes = 1;
                l.max_event_len = 1;
                l.max_total_log_len = 1;
            });
            let mut args = args_at_end(f);
            args[len_at] = len;
            args[ptr_at] = ptr;
            h.fails(f, &args, HostError::MemoryAccessViolation);
            assert_eq!(h.used(), h.base(f), "{f}{args:?}");
            assert!(h.state.logs.is_empty() && h.state.events.is_empty());
            assert!(h.state.return_data.is_empty() && h.state.overlay.net_changes().is_empty());
            assert_eq!(h.register(0), None);
        }
    }
}

#[test]
fn ranges_that_end_at_the_memory_end_are_in_bounds() {
    for (f, len_at, ptr_at) in memory_arguments() {
        // The empty range at the end, and the last byte (a NUL: valid
        // UTF-8).
        for (len, ptr) in [(0, MEMORY), (1, MEMORY - 1)] {
            let mut h = Host::new(GAS);
            let mut args = args_at_end(f);
            args[len_at] = len;
            args[ptr_at] = ptr;
            let got = h.call(f, &args);
            if f == PanicUtf8 {
                let message = "\0".repeat(len as usize);
                assert_eq!(h.error(), Some(HostError::GuestPanic(message).into()));
            } else {
                assert!(got.is_ok(), "{f}{args:?}: {:?}", h.state.abort);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Registers

#[test]
fn read_register_checks_the_register_then_the_bounds_then_charges_per_byte() {
    let mut h = Host::new(GAS);
    // Unset: named before the (also bad) pointer.
    h.fails_at_base(ReadRegister, &[9, u64::MAX], HostError::InvalidRegisterId);

    let mut h = Host::new(GAS);
    h.set_register(1, b"xyz");
    for ptr in [MEMORY - 2, MEMORY, u64::MAX, u64::MAX - 1] {
        let mut h = Host::new(GAS);
        h.set_register(1, b"xyz");
        h.fails_at_base(ReadRegister, &[1, ptr], HostError::MemoryAccessViolation);
    }
    // At the very end of the memory.
    h.ok(ReadRegister, &[1, MEMORY - 3]);
    assert_eq!(h.bytes(MEMORY - 3, 3), b"xyz");
    assert_eq!(h.used(), h.base(ReadRegister) + 3 * h.s.memory_write_byte);
    // An empty register reads at the end, not past it.
    h.set_register(2, b"");
    h.ok(ReadRegister, &[2, MEMORY]);
    h.fails(
        ReadRegister,
        &[2, MEMORY + 1],
        HostError::MemoryAccessViolation,
    );

    // The per-byte charge runs out: memory is untouched.
    let s = schedule();
    let mut h = Host::new(schedule().host_base(ReadRegister) + 3 * s.memory_write_byte - 1);
    h.set_register(1, b"xyz");
    h.runs_out(ReadRegister, &[1, SCRATCH]);
    assert_eq!(h.bytes(SCRATCH, 3), [0, 0, 0]);
}

#[test]
fn register_len_is_the_length_or_u64_max() {
    let mut h = Host::new(GAS);
    assert_eq!(h.ok(RegisterLen, &[5]), Some(u64::MAX));
    h.set_register(5, b"four");
    assert_eq!(h.ok(RegisterLen, &[5]), Some(4));
    h.set_register(5, b"");
    assert_eq!(h.ok(RegisterLen, &[5]), Some(0));
    assert_eq!(h.used(), 3 * h.base(RegisterLen));
}

#[test]
fn write_register_copies_memory_and_charges_per_byte_read() {
    let mut h = Host::new(GAS);
    h.ok(WriteRegister, &[u64::MAX, 5, HELLO]);
    assert_eq!(h.register(u64::MAX), Some(&b"hello"[..]));
    assert_eq!(h.used(), h.base(WriteRegister) + 5 * h.s.memory_read_byte);
    // Register ids are any u64; reading it back costs per byte written.
    h.ok(ReadRegister, &[u64::MAX, SCRATCH]);
    assert_eq!(h.bytes(SCRATCH, 5), b"hello");

    let s = schedule();
    let h = runs_out_per_byte(WriteRegister, 5 * s.memory_read_byte, &[1, 5, HELLO]);
    assert_eq!(h.register(1), None);
}

/// A register limit, with gas for the base alone: the limit is named, not
/// the per-byte charge.
#[test]
fn register_limits_come_before_the_per_byte_gas() {
    // max_register_size 4: 5 bytes are too many, 4 fit.
    let mut h = Host::for_base(WriteRegister, |l| l.max_register_size = 4);
    h.fails_at_base(
        WriteRegister,
        &[1, 5, HELLO],
        HostError::RegisterSizeExceeded,
    );
    let mut h = Host::limited(GAS, |l| l.max_register_size = 4);
    h.ok(WriteRegister, &[1, 4, HELLO]);

    // max_registers 2: a third register is one too many, replacing one is
    // not.
    let mut h = Host::for_base(WriteRegister, |l| l.max_registers = 2);
    h.set_register(1, b"a");
    h.set_register(2, b"b");
    h.fails_at_base(WriteRegister, &[3, 0, HELLO], HostError::TooManyRegisters);
    let mut h = Host::limited(GAS, |l| l.max_registers = 2);
    h.set_register(1, b"a");
    h.set_register(2, b"b");
    h.ok(WriteRegister, &[2, 5, HELLO]);

    // max_registers_memory 8, 4 bytes held: 5 more are too many.
    let mut h = Host::for_base(WriteRegister, |l| l.max_registers_memory = 8);
    h.set_register(1, b"four");
    h.fails_at_base(
        WriteRegister,
        &[2, 5, HELLO],
        HostError::RegistersMemoryExceeded,
    );
}

#[test]
fn replacing_a_register_releases_its_old_size_first() {
    // 8 bytes in all: two registers of 4 fill it.
    let limits = |l: &mut ExecutionLimits| l.max_registers_memory = 8;
    let mut h = Host::limited(GAS, limits);
    h.ok(WriteRegister, &[1, 4, HELLO]);
    h.ok(WriteRegister, &[2, 4, HELLO]);
    // 4 + 4 + 4 > 8, but register 1's 4 bytes are released first.
    h.ok(WriteRegister, &[1, 4, ABC - 4]);
    // 3 + 5 = 8: shrinking one makes room in the other.
    h.ok(WriteRegister, &[1, 3, ABC]);
    h.ok(WriteRegister, &[2, 5, HELLO]);
    assert_eq!(h.register(1), Some(&b"abc"[..]));
    // The totals are kept right: one byte more does not fit.
    h.fails(
        WriteRegister,
        &[3, 1, HELLO],
        HostError::RegistersMemoryExceeded,
    );

    // The same through input, sha256 and storage_read, which replace a
    // register with host data.
    let mut context = ExecutionContext::with_input(b"12345678".to_vec());
    context.limits.max_registers_memory = 40;
    let mut h = Host::with(context, pre_state(), HostFunctions::abi());
    h.ok(Input, &[1]); // 8
    h.ok(Sha256, &[5, HELLO, 2]); // 8 + 32 = 40
    h.ok(Input, &[1]); // replaces 8 by 8
    h.ok(Sha256, &[3, ABC, 2]); // replaces 32 by 32
    assert_eq!(h.ok(StorageRead, &[1, KEY, 1]), Some(1)); // replaces 8 by 3
    h.fails(Sha256, &[3, ABC, 3], HostError::RegistersMemoryExceeded); // 35 + 32
}

#[test]
fn input_goes_into_a_register_at_its_per_byte_cost() {
    let mut h = Host::with(
        ExecutionContext::with_input(b"payload".to_vec()),
        pre_state(),
        HostFunctions::abi(),
    );
    h.ok(Input, &[3]);
    assert_eq!(h.register(3), Some(&b"payload"[..]));
    assert_eq!(h.used(), h.base(Input) + 7 * h.s.register_byte);

    // Its length is checked against the register limits before the
    // per-byte charge.
    let mut context =
        ExecutionContext::with_input(b"payload".to_vec()).gas(schedule().host_base(Input));
    context.limits.max_register_size = 6;
    let mut h = Host::with(context.clone(), pre_state(), HostFunctions::abi());
    h.fails_at_base(Input, &[3], HostError::RegisterSizeExceeded);
    context.limits.max_register_size = 7;
    context.limits.max_registers = 1;
    let mut h = Host::with(context.clone(), pre_state(), HostFunctions::abi());
    h.set_register(0, b"");
    h.fails(Input, &[3], HostError::TooManyRegisters);

    // With the limits met, the per-byte charge runs out.
    context.limits = ExecutionLimits::default();
    context.limits.gas = schedule().host_base(Input) + 7 * schedule().register_byte - 1;
    let mut h = Host::with(context, pre_state(), HostFunctions::abi());
    h.runs_out(Input, &[3]);
    assert_eq!(h.register(3), None);
}

// ---------------------------------------------------------------------------
// Return data, panics, logs, events

#[test]
fn value_return_sets_the_return_data_and_a_later_call_replaces_it() {
    let mut h = Host::new(GAS);
    h.ok(ValueReturn, &[5, HELLO]);
    assert_eq!(h.state.return_data, b"hello");
    h.ok(ValueReturn, &[3, DATA]);
    assert_eq!(h.state.return_data, [0x00, 0xff, 0x10]);
    assert_eq!(
        h.used(),
        2 * h.base(ValueReturn) + (5 + 3) * h.s.memory_read_byte
    );
    h.ok(ValueReturn, &[0, MEMORY]);
    assert_eq!(h.state.return_data, b"");

    let s = schedule();
    let h = runs_out_per_byte(ValueReturn, 5 * s.memory_read_byte, &[5, HELLO]);
    assert!(h.state.return_data.is_empty());
}

#[test]
fn panic_utf8_ends_the_execution_with_the_message() {
    let mut h = Host::new(GAS);
    h.fails(
        PanicUtf8,
        &[5, HELLO],
        HostError::GuestPanic("hello".into()),
    );
    assert_eq!(h.used(), h.base(PanicUtf8) + 5 * h.s.memory_read_byte);

    // UTF-8 is checked on the bytes read, after their charge.
    let mut h = Host::new(GAS);
    h.fails(PanicUtf8, &[2, BAD_UTF8], HostError::BadUtf8);
    assert_eq!(h.used(), h.base(PanicUtf8) + 2 * h.s.memory_read_byte);

    let s = schedule();
    runs_out_per_byte(PanicUtf8, 5 * s.memory_read_byte, &[5, HELLO]);
}

#[test]
fn log_utf8_appends_a_line_at_read_and_log_cost() {
    let mut h = Host::new(GAS);
    h.ok(LogUtf8, &[5, HELLO]);
    h.ok(LogUtf8, &[0, HELLO]);
    assert_eq!(h.state.logs, ["hello", ""]);
    assert_eq!(
        h.used(),
        2 * h.base(LogUtf8) + 5 * (h.s.memory_read_byte + h.s.log_byte)
    );

    // Not UTF-8: charged, not appended.
    let mut h = Host::new(GAS);
    h.fails(LogUtf8, &[2, BAD_UTF8], HostError::BadUtf8);
    assert_eq!(
        h.used(),
        h.base(LogUtf8) + 2 * (h.s.memory_read_byte + h.s.log_byte)
    );
    assert!(h.state.logs.is_empty());

    let s = schedule();
    let h = runs_out_per_byte(LogUtf8, 5 * (s.memory_read_byte + s.log_byte), &[5, HELLO]);
    assert!(h.state.logs.is_empty());
}

#[test]
fn log_limits_count_lines_and_bytes_before_the_per_byte_gas() {
    // Two lines, empty ones too; the third is one too many.
    let mut h = Host::limited(GAS, |l| l.max_logs = 2);
    h.ok(LogUtf8, &[0, HELLO]);
    h.ok(LogUtf8, &[5, HELLO]);
    h.fails_at_base(LogUtf8, &[0, HELLO], HostError::TooManyLogs);
    assert_eq!(h.state.logs, ["", "hello"]);

    // 8 bytes in all: 5 + 3 reach it, one more byte passes it.
    let mut h = Host::limited(GAS, |l| l.max_total_log_len = 8);
    h.ok(LogUtf8, &[5, HELLO]);
    h.ok(LogUtf8, &[3, ABC]);
    h.ok(LogUtf8, &[0, ABC]);
    h.fails_at_base(LogUtf8, &[1, ABC], HostError::TotalLogLengthExceeded);
    assert_eq!(h.state.logs, ["hello", "abc", ""]);

    // A line longer than the total, with gas for the base alone.
    let mut h = Host::for_base(LogUtf8, |l| l.max_total_log_len = 4);
    h.fails_at_base(LogUtf8, &[5, HELLO], HostError::TotalLogLengthExceeded);
}

#[test]
fn emit_event_appends_kind_and_data_at_read_and_event_cost() {
    let mut h = Host::new(GAS);
    h.ok(EmitEvent, &[5, HELLO, 3, DATA]);
    h.ok(EmitEvent, &[0, HELLO, 0, DATA]);
    assert_eq!(h.state.events.len(), 2);
    assert_eq!(h.state.events[0].kind, "hello");
    assert_eq!(h.state.events[0].data, [0x00, 0xff, 0x10]);
    assert_eq!(
        (h.state.events[1].kind.as_str(), &h.state.events[1].data[..]),
        ("", &[][..])
    );
    assert_eq!(
        h.used(),
        2 * h.base(EmitEvent) + (5 + 3) * (h.s.memory_read_byte + h.s.event_byte)
    );

    // The kind must be UTF-8 (the data need not be), checked after the
    // charge.
    let mut h = Host::new(GAS);
    h.fails(EmitEvent, &[3, DATA, 5, HELLO], HostError::BadUtf8);
    assert_eq!(
        h.used(),
        h.base(EmitEvent) + 8 * (h.s.memory_read_byte + h.s.event_byte)
    );
    assert!(h.state.events.is_empty());

    let s = schedule();
    let h = runs_out_per_byte(
        EmitEvent,
        8 * (s.memory_read_byte + s.event_byte),
        &[5, HELLO, 3, DATA],
    );
    assert!(h.state.events.is_empty());
}

#[test]
fn event_limits_count_events_and_kind_plus_data_before_the_per_byte_gas() {
    // Kind and data together: 5 + 3 = 8 fits in 8 ...
    let mut h = Host::limited(GAS, |l| l.max_event_len = 8);
    h.ok(EmitEvent, &[5, HELLO, 3, DATA]);
    // ... not in 7, although each alone would.
    let mut h = Host::for_base(EmitEvent, |l| l.max_event_len = 7);
    h.fails_at_base(
        EmitEvent,
        &[5, HELLO, 3, DATA],
        HostError::EventDataLengthExceeded,
    );

    let mut h = Host::limited(GAS, |l| l.max_events = 1);
    h.ok(EmitEvent, &[0, HELLO, 0, DATA]);
    h.fails_at_base(EmitEvent, &[0, HELLO, 0, DATA], HostError::TooManyEvents);
    assert_eq!(h.state.events.len(), 1);
}

// ---------------------------------------------------------------------------
// Storage

/// Key bytes: read from memory and stored.
fn key_cost(s: &GasSchedule, len: u64) -> u64 {
    len * (s.memory_read_byte + s.storage_key_byte)
}

/// A stored value put into a register: read from storage, copied.
fn value_out_cost(s: &GasSchedule, len: u64) -> u64 {
    len * (s.storage_value_byte + s.register_byte)
}

#[test]
fn storage_write_sets_the_key_in_the_overlay_only() {
    let s = schedule();
    let mut h = Host::new(GAS);
    h.set_register(4, b"keep");
    // A new key: 0, the register untouched.
    assert_eq!(h.ok(StorageWrite, &[6, ABSENT, 5, HELLO, 4]), Some(0));
    assert_eq!(h.register(4), Some(&b"keep"[..]));
    assert_eq!(
        h.used(),
        h.base(StorageWrite) + key_cost(&s, 6) + 5 * (s.memory_read_byte + s.storage_value_byte)
    );
    // A replaced key: 1 and its old value in the register, which costs
    // per byte of the value.
    let before = h.used();
    assert_eq!(h.ok(StorageWrite, &[1, KEY, 3, ABC, 4]), Some(1));
    assert_eq!(h.register(4), Some(&b"old"[..]));
    assert_eq!(
        h.used() - before,
        h.base(StorageWrite)
            + key_cost(&s, 1)
            + 3 * (s.memory_read_byte + s.storage_value_byte)
            + value_out_cost(&s, 3)
    );
    // The base storage is untouched; the overlay holds the net changes.
    assert_eq!(h.storage.get(b"k").unwrap(), Some(b"old".to_vec()));
    assert_eq!(
        h.state.overlay.net_changes(),
        [
            StorageChange {
                key: b"absent".to_vec(),
                value: Some(b"hello".to_vec())
            },
            StorageChange {
                key: b"k".to_vec(),
                value: Some(b"abc".to_vec())
            },
        ]
    );
    // What the writes read from the base is recorded for the commit.
    let reads = h.state.overlay.reads();
    assert_eq!(reads.seen(b"k"), Some(&Some(ValueFingerprint::of(b"old"))));
    assert_eq!(reads.seen(b"absent"), Some(&None));

    // The old value goes into the register within its limits.
    let mut h = Host::limited(GAS, |l| l.max_register_size = 2);
    h.fails(
        StorageWrite,
        &[1, KEY, 3, ABC, 4],
        HostError::RegisterSizeExceeded,
    );
    assert_eq!(
        h.used(),
        h.base(StorageWrite)
            + key_cost(&s, 1)
            + 3 * (s.memory_read_byte + s.storage_value_byte)
            + 3 * s.storage_value_byte
    );
}

#[test]
fn storage_write_checks_bounds_key_value_then_the_write_bound_then_gas() {
    let s = schedule();
    let tight = |l: &mut ExecutionLimits| {
        l.max_key_len = 4;
        l.max_value_len = 2;
        l.max_storage_write_bytes = 6;
    };
    // Each row breaks its check and every later one, with gas for the
    // base alone: the first check names the error.
    let rows: [(&[u64], HostError); 4] = [
        // A key too long and a value out of bounds.
        (&[5, HELLO, 1, MEMORY, 0], HostError::MemoryAccessViolation),
        // A key too long and a value too long.
        (&[5, HELLO, 3, DATA, 0], HostError::KeyLengthExceeded),
        // A value too long, and 4 + 3 past the write bound.
        (&[4, HELLO, 3, DATA, 0], HostError::ValueLengthExceeded),
        // 4 + 2 + ... : within each length, past the bound of 6 with the
        // earlier write below.
        (
            &[4, HELLO, 2, DATA, 0],
            HostError::StorageWriteLimitExceeded,
        ),
    ];
    for (args, error) in rows {
        // One byte written first (key "k", empty value, its old value into
        // register 0), then gas for the base alone.
        let first = s.host_base(StorageWrite) + key_cost(&s, 1) + value_out_cost(&s, 3);
        let mut h = Host::limited(first + s.host_base(StorageWrite), tight);
        h.ok(StorageWrite, &[1, KEY, 0, DATA, 0]);
        assert_eq!(h.used(), first);
        h.fails_at_base(StorageWrite, args, error);
    }

    // The bound counts keys and values of every write together: 6 bytes
    // reach it (an empty write adds nothing), one more passes it.
    let mut h = Host::limited(GAS, tight);
    h.ok(StorageWrite, &[1, KEY, 2, DATA, 0]);
    h.ok(StorageWrite, &[1, ABC, 2, HELLO, 0]);
    h.ok(StorageWrite, &[0, ABC, 0, HELLO, 0]);
    h.fails(
        StorageWrite,
        &[0, ABC, 1, HELLO, 0],
        HostError::StorageWriteLimitExceeded,
    );

    // Key bytes, then value bytes, each at read + storage cost.
    let key_and_value = key_cost(&s, 1) + 3 * (s.memory_read_byte + s.storage_value_byte);
    let h = runs_out_per_byte(StorageWrite, key_and_value, &[1, KEY, 3, ABC, 0]);
    assert!(h.state.overlay.net_changes().is_empty());
    assert!(h.state.overlay.reads().is_empty());
    // Then the old value's, read from storage.
    let h = runs_out_per_byte(
        StorageWrite,
        key_and_value + 3 * s.storage_value_byte,
        &[1, KEY, 3, ABC, 0],
    );
    assert_eq!(h.register(0), None);
}

#[test]
fn storage_read_reads_through_the_overlay_and_records_what_it_saw() {
    let s = schedule();
    let mut h = Host::new(GAS);
    assert_eq!(h.ok(StorageRead, &[1, KEY, 2]), Some(1));
    assert_eq!(h.register(2), Some(&b"old"[..]));
    assert_eq!(
        h.used(),
        h.base(StorageRead) + key_cost(&s, 1) + value_out_cost(&s, 3)
    );
    // An absent key: 0, the register untouched, the absence recorded.
    let before = h.used();
    assert_eq!(h.ok(StorageRead, &[6, ABSENT, 2]), Some(0));
    assert_eq!(h.register(2), Some(&b"old"[..]));
    assert_eq!(h.used() - before, h.base(StorageRead) + key_cost(&s, 6));
    // After a write, the overlay's value, and the first base read stays.
    h.ok(StorageWrite, &[1, KEY, 5, HELLO, 7]);
    assert_eq!(h.ok(StorageRead, &[1, KEY, 2]), Some(1));
    assert_eq!(h.register(2), Some(&b"hello"[..]));
    let reads = h.state.overlay.reads();
    assert_eq!(reads.len(), 2);
    assert_eq!(reads.seen(b"k"), Some(&Some(ValueFingerprint::of(b"old"))));
    assert_eq!(reads.seen(b"absent"), Some(&None));
    assert_eq!(h.state.overlay.net_changes().len(), 1);

    // The key limit before its gas (the bounds before both: see
    // every_memory_argument_is_bounds_checked_before_limits_and_per_byte_gas).
    let mut h = Host::for_base(StorageRead, |l| l.max_key_len = 5);
    h.fails_at_base(StorageRead, &[6, ABSENT, 0], HostError::KeyLengthExceeded);
    // The key's charge runs out: nothing was read.
    let h = runs_out_per_byte(StorageRead, key_cost(&s, 1), &[1, KEY, 0]);
    assert!(h.state.overlay.reads().is_empty());
    // The value goes into the register within its limits.
    let mut h = Host::limited(GAS, |l| l.max_register_size = 39);
    h.memory[SCRATCH as usize..SCRATCH as usize + 3].copy_from_slice(b"big");
    h.fails(
        StorageRead,
        &[3, SCRATCH, 0],
        HostError::RegisterSizeExceeded,
    );
    assert_eq!(
        h.used(),
        h.base(StorageRead) + key_cost(&s, 3) + 40 * s.storage_value_byte
    );
}

#[test]
fn storage_remove_removes_in_the_overlay_and_returns_the_old_value() {
    let s = schedule();
    let mut h = Host::new(GAS);
    h.set_register(3, b"keep");
    assert_eq!(h.ok(StorageRemove, &[6, ABSENT, 3]), Some(0));
    assert_eq!(h.register(3), Some(&b"keep"[..]));
    assert_eq!(h.used(), h.base(StorageRemove) + key_cost(&s, 6));
    let before = h.used();
    assert_eq!(h.ok(StorageRemove, &[1, KEY, 3]), Some(1));
    assert_eq!(h.register(3), Some(&b"old"[..]));
    assert_eq!(
        h.used() - before,
        h.base(StorageRemove) + key_cost(&s, 1) + value_out_cost(&s, 3)
    );
    // Gone in the overlay, not in the base.
    assert_eq!(h.ok(StorageHasKey, &[1, KEY]), Some(0));
    assert_eq!(h.storage.get(b"k").unwrap(), Some(b"old".to_vec()));
    assert_eq!(
        h.state.overlay.net_changes(),
        [StorageChange {
            key: b"k".to_vec(),
            value: None
        }]
    );

    let mut h = Host::for_base(StorageRemove, |l| l.max_key_len = 0);
    h.fails_at_base(StorageRemove, &[1, KEY, 3], HostError::KeyLengthExceeded);
    runs_out_per_byte(StorageRemove, key_cost(&s, 1), &[1, KEY, 3]);
}

#[test]
fn storage_has_key_charges_for_the_key_alone() {
    let s = schedule();
    let mut h = Host::new(GAS);
    assert_eq!(h.ok(StorageHasKey, &[1, KEY]), Some(1));
    assert_eq!(h.ok(StorageHasKey, &[6, ABSENT]), Some(0));
    assert_eq!(
        h.used(),
        2 * h.base(StorageHasKey) + key_cost(&s, 1) + key_cost(&s, 6)
    );
    assert_eq!(h.state.overlay.reads().len(), 2);
    assert_eq!(h.register(0), None);

    let mut h = Host::for_base(StorageHasKey, |l| l.max_key_len = 5);
    h.fails_at_base(StorageHasKey, &[6, ABSENT], HostError::KeyLengthExceeded);
    let h = runs_out_per_byte(StorageHasKey, key_cost(&s, 6), &[6, ABSENT]);
    assert!(h.state.overlay.reads().is_empty());
}

/// A storage whose reads fail.
struct BrokenStorage;

impl Storage for BrokenStorage {
    fn get(&self, _: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Err(StorageError::new("disk on fire"))
    }
    fn commit(&self, _: &ReadSet, _: &[StorageChange]) -> Result<(), CommitError> {
        Err(StorageError::new("disk on fire").into())
    }
    fn entries(&self) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        Err(StorageError::new("disk on fire"))
    }
}

#[test]
fn a_storage_failure_is_an_infrastructure_error_not_an_outcome() {
    for (f, args) in [
        (StorageRead, &[1, KEY, 0][..]),
        (StorageWrite, &[1, KEY, 1, ABC, 0]),
        (StorageRemove, &[1, KEY, 0]),
        (StorageHasKey, &[1, KEY]),
    ] {
        let mut h = Host::with(
            ExecutionContext::default(),
            Arc::new(BrokenStorage),
            HostFunctions::abi(),
        );
        assert_eq!(h.call(f, args), Err(HostAbort));
        assert!(
            matches!(&h.state.abort, Some(Abort::Infra(RuntimeError::Storage(e))) if e.0 == "disk on fire"),
            "{f}: {:?}",
            h.state.abort
        );
    }
}

// ---------------------------------------------------------------------------
// sha256, random_bytes, time_now, gas_left

#[test]
fn sha256_hashes_into_a_register() {
    let s = schedule();
    let mut h = Host::new(GAS);
    h.ok(Sha256, &[3, ABC, 1]);
    // FIPS 180-2, appendix B.1.
    assert_eq!(
        hex::encode(h.register(1).unwrap()),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        h.used(),
        h.base(Sha256) + 3 * (s.memory_read_byte + s.sha256_byte) + 32 * s.register_byte
    );
    h.ok(Sha256, &[0, MEMORY, 1]);
    assert_eq!(
        hex::encode(h.register(1).unwrap()),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );

    // The 32-byte result against the register limits, before the per-byte
    // gas.
    let mut h = Host::for_base(Sha256, |l| l.max_register_size = 31);
    h.fails_at_base(Sha256, &[3, ABC, 1], HostError::RegisterSizeExceeded);
    let mut h = Host::for_base(Sha256, |l| l.max_registers_memory = 40);
    h.set_register(2, &[0; 9]);
    h.fails_at_base(Sha256, &[3, ABC, 1], HostError::RegistersMemoryExceeded);
    // Replacing 9 bytes by 32 fits in 40.
    let mut h = Host::limited(GAS, |l| l.max_registers_memory = 40);
    h.set_register(2, &[0; 9]);
    h.ok(Sha256, &[3, ABC, 2]);

    runs_out_per_byte(
        Sha256,
        3 * (s.memory_read_byte + s.sha256_byte),
        &[3, ABC, 1],
    );
    // The digest's copy into the register runs out last.
    let h = runs_out_per_byte(
        Sha256,
        3 * (s.memory_read_byte + s.sha256_byte) + 32 * s.register_byte,
        &[3, ABC, 1],
    );
    assert_eq!(h.register(1), None);
}

/// The first `n` bytes of one `fill_bytes` of a fresh
/// `ChaCha20Rng::from_seed(seed)`: `ABI.md`'s definition.
fn keystream(seed: [u8; 32], n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    ChaCha20Rng::from_seed(seed).fill_bytes(&mut bytes);
    bytes
}

fn seeded(seed: [u8; 32]) -> Host {
    let context = ExecutionContext {
        seed,
        ..ExecutionContext::default()
    };
    Host::with(context, pre_state(), HostFunctions::abi())
}

#[test]
fn random_bytes_fills_memory_with_the_seeds_keystream() {
    let s = schedule();
    let seed = [9u8; 32];
    let mut h = seeded(seed);
    h.ok(RandomBytes, &[32, SCRATCH]);
    assert_eq!(h.bytes(SCRATCH, 32), keystream(seed, 32));
    assert_eq!(
        h.used(),
        h.base(RandomBytes) + 32 * (s.memory_write_byte + s.random_byte)
    );
    // Each execution starts at byte 0.
    let mut other = seeded(seed);
    other.ok(RandomBytes, &[32, SCRATCH]);
    assert_eq!(other.bytes(SCRATCH, 32), h.bytes(SCRATCH, 32));
    // Another seed, another stream.
    let mut other = seeded([10; 32]);
    other.ok(RandomBytes, &[32, SCRATCH]);
    assert_ne!(other.bytes(SCRATCH, 32), h.bytes(SCRATCH, 32));

    let h = runs_out_per_byte(
        RandomBytes,
        4 * (s.memory_write_byte + s.random_byte),
        &[4, SCRATCH],
    );
    assert_eq!(h.bytes(SCRATCH, 4), [0; 4]);
}

#[test]
fn random_bytes_calls_take_consecutive_bytes_of_one_stream() {
    let seed = *b"0123456789abcdef0123456789abcdef";
    // Splits inside and across ChaCha20's 64-byte blocks and 4-byte words:
    // 16 + 16 is 32, 3 + 5 + 1 do not skip the rest of a word.
    for split in [
        &[16, 16][..],
        &[3, 5, 1, 0, 7][..],
        &[1; 70][..],
        &[63, 1, 64, 65, 2][..],
        &[0, 130, 3][..],
        &[100, 100, 50][..],
    ] {
        let mut h = seeded(seed);
        let mut got = Vec::new();
        for &n in split {
            h.ok(RandomBytes, &[n, SCRATCH]);
            got.extend_from_slice(h.bytes(SCRATCH, n));
        }
        assert_eq!(
            got,
            keystream(seed, split.iter().sum::<u64>() as usize),
            "{split:?}"
        );
    }
}

#[test]
fn time_now_and_gas_left() {
    let context = ExecutionContext {
        timestamp_ns: 1_700_000_000_123_456_789,
        ..ExecutionContext::default().gas(GAS)
    };
    let mut h = Host::with(context, pre_state(), HostFunctions::abi());
    assert_eq!(h.ok(TimeNow, &[]), Some(1_700_000_000_123_456_789));
    // The gas left after gas_left's own charge.
    let expected = GAS - h.base(TimeNow) - h.base(GasLeft);
    assert_eq!(h.ok(GasLeft, &[]), Some(expected));
    assert_eq!(h.used(), GAS - expected);
}

// ---------------------------------------------------------------------------
// The gas counter, aborts, the backend contract

#[test]
fn the_guest_counter_is_taken_before_a_call_and_given_back_after_it() {
    let mut h = Host::new(GAS);
    // The guest spent 40 before the call.
    h.gas -= 40;
    h.ok(TimeNow, &[]);
    assert_eq!(h.used(), 40 + h.base(TimeNow));
    assert_eq!(h.gas, h.state.guest_gas());
    assert_eq!(GasCounter::decode(h.gas), GasCounter::Left(GAS - h.used()));

    // A counter that ran out in guest code: the call traps, all gas used.
    let mut h = Host::new(GAS);
    h.gas = -1;
    h.runs_out(TimeNow, &[]);
    // A counter recording a stack overflow: that trap.
    let mut h = Host::new(GAS);
    h.gas = i64::MIN + 500;
    h.fails(TimeNow, &[], TrapKind::StackOverflow);
    assert_eq!(h.state.gas.left(), 500);
}

#[test]
fn after_an_abort_every_call_aborts_and_the_first_error_stays() {
    let mut h = Host::new(GAS);
    h.fails(ReadRegister, &[1, 0], HostError::InvalidRegisterId);
    let used = h.used();
    for &f in HostFunction::ALL {
        assert_eq!(h.call(f, &vec![0; f.param_count()]), Err(HostAbort), "{f}");
    }
    assert_eq!(h.error(), Some(HostError::InvalidRegisterId.into()));
    assert_eq!(h.used(), used);
    assert!(h.state.logs.is_empty());
}

#[test]
fn a_wrong_argument_count_breaks_the_backend_contract() {
    let mut h = Host::new(GAS);
    assert_eq!(h.call(LogUtf8, &[5]), Err(HostAbort));
    assert!(matches!(
        &h.state.abort,
        Some(Abort::Infra(RuntimeError::BackendContract { .. }))
    ));
    assert_eq!(h.used(), 0);
}

// ---------------------------------------------------------------------------
// Embedder host functions: HostFunctions::define and call_import

/// An embedder's host function, as [`HostFunctions::define`] takes it.
trait EmbedderFn:
    Fn(
        &mut crate::host_functions::HostContext<'_>,
        &[WasmValue],
    ) -> Result<Vec<WasmValue>, HostFnError>
    + Send
    + Sync
    + 'static
{
}

impl<F> EmbedderFn for F where
    F: Fn(
            &mut crate::host_functions::HostContext<'_>,
            &[WasmValue],
        ) -> Result<Vec<WasmValue>, HostFnError>
        + Send
        + Sync
        + 'static
{
}

/// A host whose imports are the ABI's and `test::f`, defined by `define`
/// with `base_gas` 100; returns it and `test::f`'s import index.
fn embedder(context: ExecutionContext, sig: FuncSig, function: impl EmbedderFn) -> (Host, usize) {
    let mut functions = HostFunctions::abi();
    functions.define("test", "f", sig, 100, function).unwrap();
    let (index, _) = functions.find("test", "f").unwrap();
    (Host::with(context, pre_state(), functions), index)
}

/// [`embedder`] with the default context and plenty of gas.
fn embedded(sig: FuncSig, function: impl EmbedderFn) -> (Host, usize) {
    embedder(ExecutionContext::default().gas(GAS), sig, function)
}

impl Host {
    /// Calls import `index`, which must end the execution with `expected`.
    #[track_caller]
    fn import_fails(
        &mut self,
        index: usize,
        args: &[WasmValue],
        results: &mut [WasmValue],
        expected: impl Into<ExecError>,
    ) {
        assert_eq!(self.call_import(index, args, results), Err(HostAbort));
        assert_eq!(self.error(), Some(expected.into()), "import {index}");
    }

    fn call_import(
        &mut self,
        index: usize,
        args: &[WasmValue],
        results: &mut [WasmValue],
    ) -> Result<(), HostAbort> {
        self.state
            .call_import(index, args, results, &mut self.memory[..], &mut self.gas)
    }
}

fn i64_sig(params: usize, results: usize) -> FuncSig {
    FuncSig::new(vec![ValType::I64; params], vec![ValType::I64; results])
}

fn ptr_len(args: &[WasmValue]) -> (u64, u64) {
    (args[0].as_u64().unwrap(), args[1].as_u64().unwrap())
}

#[test]
fn an_embedder_function_reads_and_writes_memory_and_charges_its_gas() {
    // Reverses len bytes at ptr in place, at 7 gas per byte; returns len.
    let (mut h, f) = embedded(i64_sig(2, 1), |cx, args| {
        let (ptr, len) = ptr_len(args);
        let mut bytes = cx.read_memory(ptr, len)?;
        cx.charge_gas(7 * len)?;
        bytes.reverse();
        cx.write_memory(ptr, &bytes)?;
        Ok(vec![WasmValue::I64(len as i64)])
    });
    let mut results = [WasmValue::I64(0)];
    h.gas -= 10; // guest code before the call
    h.call_import(
        f,
        &[WasmValue::I64(HELLO as i64), WasmValue::I64(5)],
        &mut results,
    )
    .unwrap();
    assert_eq!(results, [WasmValue::I64(5)]);
    assert_eq!(h.bytes(HELLO, 5), b"olleh");
    assert_eq!(h.used(), 10 + 100 + 7 * 5);
    assert_eq!(h.gas, h.state.guest_gas());

    // Bad pointers: MemoryAccessViolation, after the base gas.
    for (ptr, len) in [
        (u64::MAX, 2),
        (MEMORY + 1, 0),
        (MEMORY - 1, 2),
        (1 << 32, 1),
    ] {
        let (mut h, f) = embedded(i64_sig(2, 1), |cx, args| {
            let (ptr, len) = ptr_len(args);
            cx.read_memory(ptr, len)?;
            Ok(vec![WasmValue::I64(0)])
        });
        let args = [WasmValue::I64(ptr as i64), WasmValue::I64(len as i64)];
        h.import_fails(
            f,
            &args,
            &mut [WasmValue::I64(0)],
            HostError::MemoryAccessViolation,
        );
        assert_eq!(h.used(), 100);
    }
    let (mut h, f) = embedded(i64_sig(2, 0), |cx, args| {
        let (ptr, len) = ptr_len(args);
        cx.write_memory(ptr, &vec![1; len as usize])?;
        Ok(vec![])
    });
    let args = [WasmValue::I64((MEMORY + 1) as i64), WasmValue::I64(0)];
    h.import_fails(f, &args, &mut [], HostError::MemoryAccessViolation);
}

#[test]
fn an_embedder_function_runs_out_of_gas_in_its_base_or_its_charge() {
    // With 1 000 gas, the base (100) is charged first and the function's
    // own charge of 901 runs out; with 99, the base runs out and the
    // function never runs.
    for (gas, runs) in [(1_000, 1), (99, 0)] {
        let ran = Arc::new(AtomicUsize::new(0));
        let counter = ran.clone();
        let (mut h, f) = embedder(
            ExecutionContext::default().gas(gas),
            i64_sig(0, 0),
            move |cx, _| {
                counter.fetch_add(1, Ordering::SeqCst);
                assert_eq!(cx.gas_left(), 900, "the base gas is charged first");
                cx.charge_gas(901)?;
                Ok(vec![])
            },
        );
        h.import_fails(f, &[], &mut [], TrapKind::GasExhausted);
        assert_eq!(h.used(), gas);
        assert_eq!(ran.load(Ordering::SeqCst), runs);
    }
}

#[test]
fn an_embedder_function_uses_storage_through_the_overlay() {
    let (mut h, f) = embedded(i64_sig(0, 1), |cx, _| {
        let old = cx.storage_get(b"k")?;
        assert_eq!(old.as_deref(), Some(&b"old"[..]));
        assert_eq!(cx.storage_set(b"k", b"new".to_vec())?, old);
        assert_eq!(cx.storage_get(b"k")?.as_deref(), Some(&b"new"[..]));
        assert_eq!(cx.storage_remove(b"big")?.map(|v| v.len()), Some(40));
        assert_eq!(cx.storage_remove(b"none")?, None);
        Ok(vec![WasmValue::I64(1)])
    });
    h.call_import(f, &[], &mut [WasmValue::I64(0)]).unwrap();
    // The storage operations charge nothing of their own.
    assert_eq!(h.used(), 100);
    assert_eq!(
        h.state.overlay.net_changes(),
        [
            StorageChange {
                key: b"big".to_vec(),
                value: None
            },
            StorageChange {
                key: b"k".to_vec(),
                value: Some(b"new".to_vec())
            },
        ]
    );
    assert_eq!(h.state.overlay.reads().len(), 3);
    assert_eq!(h.storage.get(b"k").unwrap(), Some(b"old".to_vec()));
    // The guest sees the embedder's write.
    assert_eq!(h.ok(StorageRead, &[1, KEY, 0]), Some(1));
    assert_eq!(h.register(0), Some(&b"new"[..]));
}

#[test]
fn an_embedder_function_is_held_to_the_storage_limits() {
    let limits = |l: &mut ExecutionLimits| {
        l.max_key_len = 3;
        l.max_value_len = 4;
        l.max_storage_write_bytes = 8;
    };
    type Op = fn(&mut crate::host_functions::HostContext<'_>) -> Result<(), HostFnError>;
    let rows: [(Op, HostError); 5] = [
        (
            |cx| cx.storage_get(b"long").map(drop),
            HostError::KeyLengthExceeded,
        ),
        (
            |cx| cx.storage_remove(b"long").map(drop),
            HostError::KeyLengthExceeded,
        ),
        (
            |cx| cx.storage_set(b"long", vec![]).map(drop),
            HostError::KeyLengthExceeded,
        ),
        (
            |cx| cx.storage_set(b"k", vec![0; 5]).map(drop),
            HostError::ValueLengthExceeded,
        ),
        // 3 + 4, then 1 + 0 reach 8; one more key byte passes it.
        (
            |cx| {
                cx.storage_set(b"abc", vec![0; 4])?;
                cx.storage_set(b"k", vec![])?;
                cx.storage_set(b"k", vec![]).map(drop)
            },
            HostError::StorageWriteLimitExceeded,
        ),
    ];
    for (op, error) in rows {
        let mut context = ExecutionContext::default().gas(GAS);
        limits(&mut context.limits);
        let (mut h, f) = embedder(context, i64_sig(0, 0), move |cx, _| {
            op(cx)?;
            Ok(vec![])
        });
        h.import_fails(f, &[], &mut [], error);
    }

    // The write bound is shared with the guest's storage_write.
    let mut context = ExecutionContext::default().gas(GAS);
    limits(&mut context.limits);
    let (mut h, f) = embedder(context, i64_sig(0, 0), |cx, _| {
        cx.storage_set(b"k", vec![0; 3])?;
        Ok(vec![])
    });
    h.ok(StorageWrite, &[3, ABC, 2, HELLO, 0]); // 5 of 8
    assert_eq!(h.call_import(f, &[], &mut []), Err(HostAbort)); // 5 + 4
    assert_eq!(h.error(), Some(HostError::StorageWriteLimitExceeded.into()));
}

#[test]
fn an_embedder_function_is_held_to_the_log_event_and_register_limits() {
    type Op = fn(&mut crate::host_functions::HostContext<'_>) -> Result<(), HostFnError>;
    let rows: [(Op, HostError, usize, usize); 5] = [
        (
            |cx| {
                cx.log("a")?;
                cx.log("b")?;
                cx.log("")
            },
            HostError::TooManyLogs,
            2,
            0,
        ),
        (
            |cx| {
                cx.log("abcd")?;
                cx.log("e")
            },
            HostError::TotalLogLengthExceeded,
            1,
            0,
        ),
        (
            |cx| {
                cx.emit_event("a", vec![])?;
                cx.emit_event("b", vec![])?;
                cx.emit_event("", vec![])
            },
            HostError::TooManyEvents,
            0,
            2,
        ),
        // Kind and data together: 2 + 2 fits, 2 + 3 does not.
        (
            |cx| {
                cx.emit_event("ab", vec![1, 2])?;
                cx.emit_event("ab", vec![1, 2, 3])
            },
            HostError::EventDataLengthExceeded,
            0,
            1,
        ),
        (
            |cx| cx.set_register(1, vec![0; 5]),
            HostError::RegisterSizeExceeded,
            0,
            0,
        ),
    ];
    for (op, error, logs, events) in rows {
        let mut context = ExecutionContext::default().gas(GAS);
        context.limits.max_logs = 2;
        context.limits.max_total_log_len = 4;
        context.limits.max_events = 2;
        context.limits.max_event_len = 4;
        context.limits.max_register_size = 4;
        let (mut h, f) = embedder(context, i64_sig(0, 0), move |cx, _| {
            op(cx)?;
            Ok(vec![])
        });
        h.import_fails(f, &[], &mut [], error.clone());
        assert_eq!(
            (h.state.logs.len(), h.state.events.len()),
            (logs, events),
            "{error}"
        );
    }

    // Within the limits: logged, emitted, and a register the guest reads.
    let (mut h, f) = embedder(
        ExecutionContext::with_input(b"in".to_vec()),
        i64_sig(0, 0),
        |cx, _| {
            assert_eq!(cx.input(), b"in");
            cx.log("from the host")?;
            cx.emit_event("kind", vec![1])?;
            cx.set_register(6, b"reg".to_vec())?;
            assert_eq!(cx.register(6), Some(&b"reg"[..]));
            Ok(vec![])
        },
    );
    h.call_import(f, &[], &mut []).unwrap();
    assert_eq!(h.state.logs, ["from the host"]);
    assert_eq!(h.state.events[0].kind, "kind");
    h.ok(ReadRegister, &[6, SCRATCH]);
    assert_eq!(h.bytes(SCRATCH, 3), b"reg");
}

#[test]
fn an_embedder_error_is_a_host_error_with_its_message() {
    let (mut h, f) = embedded(i64_sig(0, 1), |_, _| {
        Err(HostFnError::new("no such account"))
    });
    h.import_fails(
        f,
        &[],
        &mut [WasmValue::I64(0)],
        HostError::Embedder("no such account".into()),
    );
    assert_eq!(h.used(), 100);
}

#[test]
fn a_panicking_embedder_function_is_a_host_panic_and_the_process_lives() {
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = ran.clone();
    let (mut h, f) = embedded(i64_sig(0, 0), move |_, _| {
        counter.fetch_add(1, Ordering::SeqCst);
        panic!("kaboom {}", 42)
    });
    assert_eq!(h.call_import(f, &[], &mut []), Err(HostAbort));
    assert_eq!(
        h.error(),
        Some(ExecError::NonDeterministic(NonDeterministic::HostPanic(
            "test::f panicked: kaboom 42".into()
        )))
    );
    // Still here; a later call of anything aborts without running it.
    assert_eq!(h.call_import(f, &[], &mut []), Err(HostAbort));
    assert_eq!(h.call(TimeNow, &[]), Err(HostAbort));
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

#[test]
fn results_of_the_wrong_type_or_count_are_an_embedder_error() {
    let returns: [fn() -> Vec<WasmValue>; 3] = [
        || vec![WasmValue::I32(1)],
        || vec![],
        || vec![WasmValue::I64(1), WasmValue::I64(2)],
    ];
    for give in returns {
        let (mut h, f) = embedded(i64_sig(0, 1), move |_, _| Ok(give()));
        let mut results = [WasmValue::I64(7)];
        assert_eq!(h.call_import(f, &[], &mut results), Err(HostAbort));
        assert!(
            matches!(h.error(), Some(ExecError::Host(HostError::Embedder(m))) if m.contains("test::f")),
            "{:?}",
            h.state.abort
        );
        assert_eq!(results, [WasmValue::I64(7)], "no result is written");
    }
}

#[test]
fn arguments_of_the_wrong_type_or_an_unknown_index_break_the_backend_contract() {
    let (mut h, f) = embedded(i64_sig(1, 0), |_, _| Ok(vec![]));
    assert_eq!(
        h.call_import(f, &[WasmValue::F64(0)], &mut []),
        Err(HostAbort)
    );
    assert!(matches!(
        &h.state.abort,
        Some(Abort::Infra(RuntimeError::BackendContract { .. }))
    ));
    assert_eq!(h.used(), 0);

    let (mut h, f) = embedded(i64_sig(0, 0), |_, _| Ok(vec![]));
    assert_eq!(h.call_import(f + 1, &[], &mut []), Err(HostAbort));
    assert!(matches!(
        &h.state.abort,
        Some(Abort::Infra(RuntimeError::BackendContract { .. }))
    ));
}

#[test]
fn call_import_of_an_abi_index_is_the_abi_function() {
    let context = ExecutionContext {
        timestamp_ns: 77,
        ..ExecutionContext::default().gas(GAS)
    };
    let (mut h, _) = embedder(context, i64_sig(0, 0), |_, _| Ok(vec![]));
    let functions = h.state.imports().clone();
    let (time_now, _) = functions.find("env", "time_now").unwrap();
    let mut results = [WasmValue::I64(0)];
    h.call_import(time_now, &[], &mut results).unwrap();
    assert_eq!(results, [WasmValue::I64(77)]);
    let (value_return, _) = functions.find("env", "value_return").unwrap();
    h.call_import(
        value_return,
        &[WasmValue::I64(5), WasmValue::I64(HELLO as i64)],
        &mut [],
    )
    .unwrap();
    assert_eq!(h.state.return_data, b"hello");
    assert_eq!(
        h.used(),
        h.base(TimeNow) + h.base(ValueReturn) + 5 * h.s.memory_read_byte
    );
}

#[test]
fn an_embedder_function_sees_the_executions_data() {
    struct Accounts(u64);
    let context = ExecutionContext::default().with_data(Arc::new(Accounts(12)));
    let (mut h, f) = embedder(context, i64_sig(0, 1), |cx, _| {
        assert!(cx.data::<String>().is_none());
        let accounts = cx
            .data::<Accounts>()
            .ok_or_else(|| HostFnError::new("no data"))?;
        Ok(vec![WasmValue::I64(accounts.0 as i64)])
    });
    let mut results = [WasmValue::I64(0)];
    h.call_import(f, &[], &mut results).unwrap();
    assert_eq!(results, [WasmValue::I64(12)]);
}
