//! Every bound the runtime enforces, in one place.

/// Bounds on one execution and on the modules it accepts.
///
/// Every field has a documented default ([`Limits::default`]). The fields
/// marked *static* are checked by preparation and are part of the cache key
/// of a [`PreparedModule`](crate::PreparedModule); the others are checked
/// while the guest runs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Gas available to one call. Default: 1 000 000 000 (with the default
    /// [`GasSchedule`](crate::GasSchedule), about a billion simple
    /// instructions). At most [`Limits::MAX_GAS`]; larger values are
    /// clamped.
    pub gas: u64,
    /// Wall-clock time one execution may take: a non-deterministic safety
    /// net behind gas (which already bounds every execution). When it fires
    /// the outcome is `nondeterministic` (`Timeout`) and never enters a
    /// digest. `None`: no timeout. Default: 10 seconds.
    pub timeout: Option<std::time::Duration>,
    /// *Static.* Maximum linear memory, in 64 KiB pages. A memory whose
    /// minimum is larger is rejected; its maximum is clamped to this, so
    /// `memory.grow` past it returns `-1`. Default: 1024 (64 MiB).
    pub max_memory_pages: u32,
    /// *Static.* Deterministic stack-height limit, in the instrumentation's
    /// units: each active call costs one unit per parameter, local and slot
    /// of its highest operand stack, plus a frame overhead of 4. Default:
    /// 16 384; at most [`Limits::MAX_STACK_HEIGHT`] (larger values are
    /// clamped), which every backend's native stack is sized for.
    pub max_stack_height: u32,
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
    /// Number of log lines. Default: 100.
    pub max_logs: u64,
    /// Bytes of all log lines together. Default: 16 KiB.
    pub max_total_log_len: u64,
    /// Number of events. Default: 100.
    pub max_events: u64,
    /// Bytes of one event's kind and data together. Default: 16 KiB.
    pub max_event_len: u64,
    /// *Static.* Bytes of the module binary. Default: 4 MiB.
    pub max_module_size: u64,
    /// *Static.* Bytes of one function body. Default: 256 KiB.
    pub max_function_body_size: u64,
    /// *Static.* Functions, imported ones included. Default: 10 000.
    pub max_functions: u32,
    /// *Static.* Parameters of one function type. Default: 64.
    pub max_params: u32,
    /// *Static.* Results of one function type. Default: 8.
    pub max_results: u32,
    /// *Static.* Locals declared by one function (parameters are bounded by
    /// `max_params`). Default: 4 096.
    pub max_locals: u32,
    /// *Static.* Globals. Default: 1 024.
    pub max_globals: u32,
    /// *Static.* Function types. Default: 1 024.
    pub max_types: u32,
    /// *Static.* Tables. Default: 1.
    pub max_tables: u32,
    /// *Static.* Elements of a table's minimum (and clamped maximum).
    /// Default: 10 000.
    pub max_table_size: u32,
    /// *Static.* Data segments. Default: 1 024.
    pub max_data_segments: u32,
    /// *Static.* Element segments. Default: 1 024.
    pub max_element_segments: u32,
    /// *Static.* Imports. Default: 128.
    pub max_imports: u32,
    /// *Static.* Exports. Default: 1 024.
    pub max_exports: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            gas: 1_000_000_000,
            timeout: Some(std::time::Duration::from_secs(10)),
            max_memory_pages: 1024,
            max_stack_height: 16_384,
            max_registers: 64,
            max_register_size: 16 << 20,
            max_registers_memory: 64 << 20,
            max_key_len: 2048,
            max_value_len: 4 << 20,
            max_logs: 100,
            max_total_log_len: 16 << 10,
            max_events: 100,
            max_event_len: 16 << 10,
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
        }
    }
}

impl Limits {
    /// The largest stack-height limit the backends' native stacks are sized
    /// for.
    pub const MAX_STACK_HEIGHT: u32 = 32_768;

    /// The largest gas limit (2^62 - 1): the instrumented counter is an
    /// `i64` whose negative range encodes exhaustion.
    pub const MAX_GAS: u64 = (1 << 62) - 1;

    /// The static limits, encoded for a cache key: two `Limits` that prepare
    /// every module identically give the same bytes.
    pub fn static_fingerprint(&self) -> Vec<u8> {
        let fields: [u64; 16] = [
            u64::from(self.max_memory_pages),
            u64::from(self.max_stack_height),
            self.max_module_size,
            self.max_function_body_size,
            u64::from(self.max_functions),
            u64::from(self.max_params),
            u64::from(self.max_results),
            u64::from(self.max_locals),
            u64::from(self.max_globals),
            u64::from(self.max_types),
            u64::from(self.max_tables),
            u64::from(self.max_table_size),
            u64::from(self.max_data_segments),
            u64::from(self.max_element_segments),
            u64::from(self.max_imports),
            u64::from(self.max_exports),
        ];
        fields.iter().flat_map(|f| f.to_le_bytes()).collect()
    }
}
