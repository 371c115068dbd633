//! Every bound the runtime enforces, in one place, in two parts: the limits
//! a module is prepared under ([`ModuleLimits`], fixed per
//! [`Runtime`](crate::Runtime) and part of the prepared module's cache key)
//! and the limits of one execution ([`ExecutionLimits`], given per call in
//! the [`ExecutionContext`](crate::ExecutionContext)).
//!
//! The split makes a static limit impossible to set where it would do
//! nothing: a module's code is instrumented and checked once, so its limits
//! cannot change per call.

use sha2::{Digest, Sha256};

/// Every bound, as `ABI.md` lists them: [`ModuleLimits`] and
/// [`ExecutionLimits`], each with documented defaults, and the
/// [`SessionLimits`] of a [`Session`](crate::Session).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Limits {
    /// The limits a module is prepared under.
    pub module: ModuleLimits,
    /// The limits of one execution.
    pub execution: ExecutionLimits,
    /// The limits of a session's message bus.
    pub session: SessionLimits,
}

/// The bounds of a [`Session`](crate::Session)'s message bus
/// (`docs/SESSIONS.md`). Deterministic: every backend fails the same
/// `send` with the same host error.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionLimits {
    /// Bytes of one message's data; a longer `send` fails with
    /// `MessageTooLarge`. Default: 64 KiB.
    pub max_message_len: u64,
    /// Messages one execution may send; the `send` past it fails with
    /// `TooManyMessages`. Default: 64.
    pub max_messages_per_execution: u64,
    /// Messages one mailbox may hold; a `send` to a full mailbox fails with
    /// `MailboxFull`. Default: 1 024.
    pub max_mailbox_len: u64,
    /// Steps one `pump` runs at most, whatever its `max_steps`. Default:
    /// 10 000.
    pub max_pump_steps: u64,
}

impl Default for SessionLimits {
    fn default() -> Self {
        Self {
            max_message_len: 64 << 10,
            max_messages_per_execution: 64,
            max_mailbox_len: 1024,
            max_pump_steps: 10_000,
        }
    }
}

impl SessionLimits {
    /// The limits encoded for comparison: written by destructuring without
    /// `..`, so a new field fails to compile until it is hashed here.
    pub fn fingerprint(&self) -> [u8; 32] {
        let Self {
            max_message_len,
            max_messages_per_execution,
            max_mailbox_len,
            max_pump_steps,
        } = self;
        let fields: [(&str, u64); 4] = [
            ("max_message_len", *max_message_len),
            ("max_messages_per_execution", *max_messages_per_execution),
            ("max_mailbox_len", *max_mailbox_len),
            ("max_pump_steps", *max_pump_steps),
        ];
        fingerprint(b"session-limits-v1", &fields)
    }
}

/// The static limits a module is prepared under: checked (or instrumented)
/// once by preparation, and part of the [`PreparedModule`](crate::PreparedModule)'s
/// cache key. A [`Runtime`](crate::Runtime) holds one set; every module it
/// prepares and runs was prepared under it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ModuleLimits {
    /// Maximum linear memory, in 64 KiB pages. A memory whose minimum is
    /// larger is rejected; its maximum is clamped to this, so `memory.grow`
    /// past it returns `-1`. Default: 1024 (64 MiB).
    pub max_memory_pages: u32,
    /// Deterministic stack-height limit, in the instrumentation's units: each
    /// active call costs one unit per parameter, local and slot of its
    /// highest operand stack, plus a frame overhead of 4. Default: 16 384;
    /// at most [`ModuleLimits::MAX_STACK_HEIGHT`] (larger values are
    /// clamped), which every backend's native stack is sized for.
    pub max_stack_height: u32,
    /// Bytes of the module binary. Default: 4 MiB.
    pub max_module_size: u64,
    /// Bytes of one function body. Default: 256 KiB.
    pub max_function_body_size: u64,
    /// Functions, imported ones included. Default: 10 000.
    pub max_functions: u32,
    /// Parameters of one function type. Default: 64.
    pub max_params: u32,
    /// Results of one function type. Default: 8.
    pub max_results: u32,
    /// Locals declared by one function (parameters are bounded by
    /// `max_params`). Default: 4 096.
    pub max_locals: u32,
    /// Globals. Default: 1 024.
    pub max_globals: u32,
    /// Function types. Default: 1 024.
    pub max_types: u32,
    /// Tables. Default: 1.
    pub max_tables: u32,
    /// Elements of a table's minimum (and clamped maximum). Default: 10 000;
    /// at most [`ModuleLimits::MAX_TABLE_SIZE`] (larger values are clamped).
    pub max_table_size: u32,
    /// Data segments. Default: 1 024.
    pub max_data_segments: u32,
    /// Element segments. Default: 1 024.
    pub max_element_segments: u32,
    /// Imports. Default: 128.
    pub max_imports: u32,
    /// Exports. Default: 1 024.
    pub max_exports: u32,
    /// Bytes of every function body together (ABI 1.1): bounds the
    /// compilation of a whole module, whose cost grows with its code much
    /// more than with its data. Default: 512 KiB.
    pub max_code_size: u64,
    /// Control-flow nesting depth of a function body: the most `block`,
    /// `loop` and `if` open at once (ABI 1.1). Default: 256.
    pub max_nesting_depth: u32,
    /// Basic blocks of one function body (ABI 1.1): one, plus one per
    /// control operator (`block`, `loop`, `if`, `else`, `end` but the
    /// body's last, `br`, `br_if`, `br_table`, `return`, `unreachable`) and
    /// per `call_indirect` (which every compiler splits into checks and
    /// branches). Default: 1 024.
    pub max_blocks_per_function: u32,
    /// Basic blocks of every function body together (ABI 1.1), counted as
    /// [`ModuleLimits::max_blocks_per_function`] counts them: bounds the
    /// compilation of a whole module. Default: 16 384.
    pub max_blocks_per_module: u64,
    /// Targets of one `br_table`, its default excluded (ABI 1.1). Default:
    /// 16 384; at most [`ModuleLimits::MAX_BR_TABLE_TARGETS`] (larger values
    /// are clamped), the most every engine accepts.
    pub max_br_table_targets: u32,
    /// Operand-stack height of one function body: the most values on its
    /// operand stack at any point (ABI 1.1). Default: 4 096. Whatever this
    /// says, a function whose frame (see
    /// [`ModuleLimits::max_stack_height`]) exceeds
    /// [`ModuleLimits::MAX_STACK_HEIGHT`] could never run and is rejected,
    /// naming `max_stack_height`.
    pub max_operand_stack: u32,
    /// Local variables carried around loops, summed over every `loop` of the
    /// module: for each loop, its function's parameters and locals, or the
    /// `local.get`, `local.set` and `local.tee` inside it if they are fewer
    /// (ABI 1.1). An optimising compiler gives every local read or written
    /// in a loop a value at the loop's header, and at every header around
    /// it, so this bounds that work. Default: 65 536.
    pub max_loop_locals: u64,
}

impl Default for ModuleLimits {
    fn default() -> Self {
        Self {
            max_memory_pages: 1024,
            max_stack_height: 16_384,
            max_module_size: 4 << 20,
            max_function_body_size: 256 << 10,
            max_functions: 10_000,
            max_params: 64,
            max_results: 8,
            max_locals: 4096,
            max_globals: 1024,
            max_types: 1024,
            max_tables: 1,
            max_table_size: 10_000,
            max_data_segments: 1024,
            max_element_segments: 1024,
            max_imports: 128,
            max_exports: 1024,
            max_code_size: 512 << 10,
            max_nesting_depth: 256,
            max_blocks_per_function: 1024,
            max_blocks_per_module: 16_384,
            max_br_table_targets: 16_384,
            max_operand_stack: 4096,
            max_loop_locals: 65_536,
        }
    }
}

impl ModuleLimits {
    /// The largest stack-height limit the backends' native stacks are sized
    /// for.
    pub const MAX_STACK_HEIGHT: u32 = 32_768;

    /// The most `br_table` targets every engine accepts (wasmi's
    /// WebAssembly parser refuses more than 131 072), and so the most
    /// [`ModuleLimits::max_br_table_targets`] can allow.
    pub const MAX_BR_TABLE_TARGETS: u32 = 131_072;

    /// The largest table every engine instantiates: wasmtime's instance
    /// pool reserves this many elements per table slot, and refuses a larger
    /// table at instantiation, so preparation refuses it for all engines.
    pub const MAX_TABLE_SIZE: u32 = 1 << 20;

    /// The limits encoded for a cache key: two `ModuleLimits` that prepare
    /// every module identically give the same bytes.
    ///
    /// Written by destructuring without `..`, so a new field fails to
    /// compile until it is hashed here.
    pub fn fingerprint(&self) -> [u8; 32] {
        let Self {
            max_memory_pages,
            max_stack_height,
            max_module_size,
            max_function_body_size,
            max_functions,
            max_params,
            max_results,
            max_locals,
            max_globals,
            max_types,
            max_tables,
            max_table_size,
            max_data_segments,
            max_element_segments,
            max_imports,
            max_exports,
            max_code_size,
            max_nesting_depth,
            max_blocks_per_function,
            max_blocks_per_module,
            max_br_table_targets,
            max_operand_stack,
            max_loop_locals,
        } = self;
        let fields: [(&str, u64); 23] = [
            ("max_memory_pages", u64::from(*max_memory_pages)),
            ("max_stack_height", u64::from(*max_stack_height)),
            ("max_module_size", *max_module_size),
            ("max_function_body_size", *max_function_body_size),
            ("max_functions", u64::from(*max_functions)),
            ("max_params", u64::from(*max_params)),
            ("max_results", u64::from(*max_results)),
            ("max_locals", u64::from(*max_locals)),
            ("max_globals", u64::from(*max_globals)),
            ("max_types", u64::from(*max_types)),
            ("max_tables", u64::from(*max_tables)),
            ("max_table_size", u64::from(*max_table_size)),
            ("max_data_segments", u64::from(*max_data_segments)),
            ("max_element_segments", u64::from(*max_element_segments)),
            ("max_imports", u64::from(*max_imports)),
            ("max_exports", u64::from(*max_exports)),
            ("max_code_size", *max_code_size),
            ("max_nesting_depth", u64::from(*max_nesting_depth)),
            (
                "max_blocks_per_function",
                u64::from(*max_blocks_per_function),
            ),
            ("max_blocks_per_module", *max_blocks_per_module),
            ("max_br_table_targets", u64::from(*max_br_table_targets)),
            ("max_operand_stack", u64::from(*max_operand_stack)),
            ("max_loop_locals", *max_loop_locals),
        ];
        fingerprint(b"module-limits-v1", &fields)
    }
}

/// The limits of one execution, checked while the guest runs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExecutionLimits {
    /// Gas available to one call. Default: 1 000 000 000 (with the default
    /// [`GasSchedule`](crate::GasSchedule), about a billion simple
    /// instructions). At most [`ExecutionLimits::MAX_GAS`]; larger values
    /// are clamped.
    pub gas: u64,
    /// Wall-clock time one execution may take: a non-deterministic safety
    /// net behind gas (which already bounds every execution). When it fires
    /// the outcome is `nondeterministic` (`Timeout`) and never enters a
    /// digest. `None`: no timeout. Default: 10 seconds.
    pub timeout: Option<std::time::Duration>,
    /// Number of registers that may be set at once. Default: 64.
    pub max_registers: u64,
    /// Bytes in one register. Default: 16 MiB.
    pub max_register_size: u64,
    /// Bytes in all registers together. Default: 64 MiB.
    pub max_registers_memory: u64,
    /// Bytes in a storage key. Default: 2 048.
    pub max_key_len: u64,
    /// Bytes in a storage value. Default: 4 MiB.
    pub max_value_len: u64,
    /// Bytes of the keys and values of every `storage_write` of one
    /// execution together (ABI 1.1); the write that would pass it fails with
    /// `StorageWriteLimitExceeded`. Default: 64 MiB.
    pub max_storage_write_bytes: u64,
    /// Number of log lines. Default: 100.
    pub max_logs: u64,
    /// Bytes of all log lines together. Default: 16 KiB.
    pub max_total_log_len: u64,
    /// Number of events. Default: 100.
    pub max_events: u64,
    /// Bytes of one event's kind and data together. Default: 16 KiB.
    pub max_event_len: u64,
}

impl Default for ExecutionLimits {
    fn default() -> Self {
        Self {
            gas: 1_000_000_000,
            timeout: Some(std::time::Duration::from_secs(10)),
            max_registers: 64,
            max_register_size: 16 << 20,
            max_registers_memory: 64 << 20,
            max_key_len: 2048,
            max_value_len: 4 << 20,
            max_storage_write_bytes: 64 << 20,
            max_logs: 100,
            max_total_log_len: 16 << 10,
            max_events: 100,
            max_event_len: 16 << 10,
        }
    }
}

impl ExecutionLimits {
    /// The largest gas limit (2^62 - 1): the instrumented counter is an
    /// `i64` whose negative range encodes exhaustion.
    pub const MAX_GAS: u64 = (1 << 62) - 1;

    /// The gas limit actually in force: [`ExecutionLimits::gas`] clamped to
    /// [`ExecutionLimits::MAX_GAS`].
    pub fn effective_gas(&self) -> u64 {
        self.gas.min(Self::MAX_GAS)
    }

    /// The limits encoded for comparison (tests, sessions): written by
    /// destructuring without `..`, so a new field fails to compile until it
    /// is hashed here.
    pub fn fingerprint(&self) -> [u8; 32] {
        let Self {
            gas,
            timeout,
            max_registers,
            max_register_size,
            max_registers_memory,
            max_key_len,
            max_value_len,
            max_storage_write_bytes,
            max_logs,
            max_total_log_len,
            max_events,
            max_event_len,
        } = self;
        let timeout_ns = timeout.map_or(u64::MAX, |t| {
            u64::try_from(t.as_nanos()).unwrap_or(u64::MAX - 1)
        });
        let fields: [(&str, u64); 12] = [
            ("gas", *gas),
            ("timeout_ns", timeout_ns),
            ("max_registers", *max_registers),
            ("max_register_size", *max_register_size),
            ("max_registers_memory", *max_registers_memory),
            ("max_key_len", *max_key_len),
            ("max_value_len", *max_value_len),
            ("max_storage_write_bytes", *max_storage_write_bytes),
            ("max_logs", *max_logs),
            ("max_total_log_len", *max_total_log_len),
            ("max_events", *max_events),
            ("max_event_len", *max_event_len),
        ];
        fingerprint(b"execution-limits-v1", &fields)
    }
}

/// SHA-256 over a domain tag and named `u64` fields (names included, so a
/// reordering changes the fingerprint).
pub(crate) fn fingerprint(domain: &[u8], fields: &[(&str, u64)]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(domain);
    for (name, value) in fields {
        h.update((name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        h.update(value.to_le_bytes());
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_fingerprint_follows_every_field() {
        let base = ModuleLimits::default();
        let changes: [fn(&mut ModuleLimits); 11] = [
            |l| l.max_code_size += 1,
            |l| l.max_memory_pages += 1,
            |l| l.max_stack_height += 1,
            |l| l.max_exports += 1,
            |l| l.max_function_body_size += 1,
            |l| l.max_nesting_depth += 1,
            |l| l.max_blocks_per_function += 1,
            |l| l.max_blocks_per_module += 1,
            |l| l.max_br_table_targets += 1,
            |l| l.max_operand_stack += 1,
            |l| l.max_loop_locals += 1,
        ];
        for change in changes {
            let mut other = base.clone();
            change(&mut other);
            assert_ne!(base.fingerprint(), other.fingerprint());
        }
        assert_eq!(base.fingerprint(), ModuleLimits::default().fingerprint());
    }

    #[test]
    fn session_fingerprint_follows_every_field() {
        let base = SessionLimits::default();
        let changes: [fn(&mut SessionLimits); 4] = [
            |l| l.max_message_len += 1,
            |l| l.max_messages_per_execution += 1,
            |l| l.max_mailbox_len += 1,
            |l| l.max_pump_steps += 1,
        ];
        for change in changes {
            let mut other = base.clone();
            change(&mut other);
            assert_ne!(base.fingerprint(), other.fingerprint());
        }
    }

    #[test]
    fn execution_fingerprint_follows_every_field() {
        let base = ExecutionLimits::default();
        let mut other = base.clone();
        other.timeout = None;
        assert_ne!(base.fingerprint(), other.fingerprint());
        let mut other = base.clone();
        other.max_storage_write_bytes -= 1;
        assert_ne!(base.fingerprint(), other.fingerprint());
        assert_eq!(
            ExecutionLimits {
                gas: u64::MAX,
                ..base.clone()
            }
            .effective_gas(),
            ExecutionLimits::MAX_GAS
        );
    }
}
