//! The gas schedule and the per-call gas meter.

use host_abi::HostFunction;
use sha2::{Digest, Sha256};

/// What everything costs. Data, identical on every backend, and part of the
/// cache key of prepared modules ([`GasSchedule::fingerprint`]).
///
/// A host call charges, in this order: its base cost
/// ([`GasSchedule::host_base`]), then after its bounds and limit checks the
/// per-byte costs of the bytes it reads, writes, hashes, stores or logs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GasSchedule {
    /// Base cost of each host function, indexed by [`HostFunction::index`].
    host_base: Vec<u64>,
    /// Per byte read from guest memory. Default: 3.
    pub memory_read_byte: u64,
    /// Per byte written to guest memory. Default: 3.
    pub memory_write_byte: u64,
    /// Per byte copied into a register from host data (`input`, storage
    /// values). Default: 1.
    pub register_byte: u64,
    /// Per byte hashed by `sha256`. Default: 8.
    pub sha256_byte: u64,
    /// Per byte of a storage key. Default: 10.
    pub storage_key_byte: u64,
    /// Per byte of a storage value written or read. Default: 5.
    pub storage_value_byte: u64,
    /// Per byte logged. Default: 4.
    pub log_byte: u64,
    /// Per byte of an event's kind and data. Default: 4.
    pub event_byte: u64,
    /// Per byte of randomness produced. Default: 4.
    pub random_byte: u64,
    /// Base cost of the session function `send` (`docs/SESSIONS.md`).
    /// Default: 2 000.
    pub send_base: u64,
    /// Base cost of the session function `recv`. Default: 1 000.
    pub recv_base: u64,
    /// Base cost of the session function `pending`. Default: 50.
    pub pending_base: u64,
    /// Per byte of a sent message (the receiver's name and the data), on
    /// top of [`GasSchedule::memory_read_byte`]: the message is kept in a
    /// mailbox until it is delivered. Default: 5.
    pub message_byte: u64,
    /// Per-operator costs of guest code, charged per basic block.
    pub operators: OperatorCosts,
}

/// The cost of each class of guest operator, and of the work of bulk
/// operators per unit. Guest code is charged once per basic block run (the
/// sum of its operators) and, for the operators whose work depends on an
/// operand, once more, linearly in that operand: before the work for the
/// bulk operators, after it for `memory.grow` (the pages it added). Where
/// and when the instrumentation counts is `docs/GAS_MODEL.md`.
///
/// Each cost must be at most [`OperatorCosts::MAX_COST`], so that no charge
/// can overflow the instrumented 64-bit counter.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OperatorCosts {
    /// Block structure (`block`, `loop`, `else`, `end`, `nop`). Default: 0.
    pub structure: u64,
    /// Any other operator not named below (constants, locals, globals,
    /// integer arithmetic, comparisons, branches, `select`, `drop`).
    /// Default: 1.
    pub simple: u64,
    /// Loads and stores. Default: 2.
    pub memory_access: u64,
    /// Integer division and remainder. Default: 4.
    pub division: u64,
    /// Float arithmetic and conversions. Default: 2.
    pub float: u64,
    /// `call`. Default: 10.
    pub call: u64,
    /// `call_indirect`. Default: 15.
    pub call_indirect: u64,
    /// `memory.grow`, `memory.size`, the bulk memory and table operators:
    /// their fixed part. Default: 10.
    pub bulk_base: u64,
    /// `memory.grow`, per page it added (ABI 1.1: a grow that fails costs
    /// its base only). Default: 4 096.
    pub memory_grow_page: u64,
    /// `memory.fill`, `memory.copy`, `memory.init`, per byte. Default: 1.
    pub bulk_memory_byte: u64,
    /// `table.copy`, `table.init`, per element. Default: 4.
    pub table_element: u64,
}

impl OperatorCosts {
    /// The largest allowed cost of one operator or unit (2^30).
    pub const MAX_COST: u64 = 1 << 30;

    /// Every field, in a fixed order.
    fn fields(&self) -> [u64; 11] {
        [
            self.structure,
            self.simple,
            self.memory_access,
            self.division,
            self.float,
            self.call,
            self.call_indirect,
            self.bulk_base,
            self.memory_grow_page,
            self.bulk_memory_byte,
            self.table_element,
        ]
    }

    /// Whether every cost is at most [`OperatorCosts::MAX_COST`].
    pub fn is_bounded(&self) -> bool {
        self.fields().iter().all(|c| *c <= Self::MAX_COST)
    }
}

impl Default for OperatorCosts {
    fn default() -> Self {
        Self {
            structure: 0,
            simple: 1,
            memory_access: 2,
            division: 4,
            float: 2,
            call: 10,
            call_indirect: 15,
            bulk_base: 10,
            memory_grow_page: 4096,
            bulk_memory_byte: 1,
            table_element: 4,
        }
    }
}

impl Default for GasSchedule {
    fn default() -> Self {
        let host_base = HostFunction::ALL
            .iter()
            .map(|f| match f {
                HostFunction::ReadRegister | HostFunction::RegisterLen => 100,
                HostFunction::WriteRegister => 200,
                HostFunction::Input => 200,
                HostFunction::ValueReturn => 200,
                HostFunction::PanicUtf8 => 200,
                HostFunction::LogUtf8 => 500,
                HostFunction::EmitEvent => 1_000,
                HostFunction::StorageWrite => 5_000,
                HostFunction::StorageRead => 2_000,
                HostFunction::StorageRemove => 5_000,
                HostFunction::StorageHasKey => 1_000,
                HostFunction::Sha256 => 1_000,
                HostFunction::RandomBytes => 500,
                HostFunction::TimeNow | HostFunction::GasLeft => 50,
            })
            .collect();
        Self {
            host_base,
            memory_read_byte: 3,
            memory_write_byte: 3,
            register_byte: 1,
            sha256_byte: 8,
            storage_key_byte: 10,
            storage_value_byte: 5,
            log_byte: 4,
            event_byte: 4,
            random_byte: 4,
            send_base: 2_000,
            recv_base: 1_000,
            pending_base: 50,
            message_byte: 5,
            operators: OperatorCosts::default(),
        }
    }
}

impl GasSchedule {
    /// The base cost of a host function.
    pub fn host_base(&self, function: HostFunction) -> u64 {
        self.host_base[function.index()]
    }

    /// Sets the base cost of a host function.
    pub fn set_host_base(&mut self, function: HostFunction, cost: u64) {
        self.host_base[function.index()] = cost;
    }

    /// A SHA-256 over every field, for cache keys. Written by destructuring
    /// without `..`, so a new field fails to compile until it is hashed.
    pub fn fingerprint(&self) -> [u8; 32] {
        let Self {
            host_base,
            memory_read_byte,
            memory_write_byte,
            register_byte,
            sha256_byte,
            storage_key_byte,
            storage_value_byte,
            log_byte,
            event_byte,
            random_byte,
            send_base,
            recv_base,
            pending_base,
            message_byte,
            operators,
        } = self;
        let mut h = Sha256::new();
        h.update(b"gas-schedule-v3");
        for cost in host_base {
            h.update(cost.to_le_bytes());
        }
        for cost in [
            *memory_read_byte,
            *memory_write_byte,
            *register_byte,
            *sha256_byte,
            *storage_key_byte,
            *storage_value_byte,
            *log_byte,
            *event_byte,
            *random_byte,
            *send_base,
            *recv_base,
            *pending_base,
            *message_byte,
        ]
        .into_iter()
        .chain(operators.fields())
        {
            h.update(cost.to_le_bytes());
        }
        h.finalize().into()
    }

    /// Every host cost (base and per byte), for bounds checks.
    fn host_costs(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        HostFunction::ALL
            .iter()
            .map(|f| (f.name(), self.host_base(*f)))
            .chain([
                ("memory_read_byte", self.memory_read_byte),
                ("memory_write_byte", self.memory_write_byte),
                ("register_byte", self.register_byte),
                ("sha256_byte", self.sha256_byte),
                ("storage_key_byte", self.storage_key_byte),
                ("storage_value_byte", self.storage_value_byte),
                ("log_byte", self.log_byte),
                ("event_byte", self.event_byte),
                ("random_byte", self.random_byte),
                ("send_base", self.send_base),
                ("recv_base", self.recv_base),
                ("pending_base", self.pending_base),
                ("message_byte", self.message_byte),
            ])
    }

    /// Checks that every cost is at most [`OperatorCosts::MAX_COST`], so no
    /// charge of the instrumentation can overflow its counter and every sum
    /// of costs stays far from `u64::MAX`. A [`Runtime`](crate::Runtime) is
    /// only built over a valid schedule.
    ///
    /// It also checks that every loop iteration and every call costs gas
    /// (the gas model's promise, `docs/GAS_MODEL.md`): an iteration always
    /// takes a branch back, which is a `simple` operator, so `simple`,
    /// `call` and `call_indirect` must be more than zero. Otherwise a loop or
    /// a recursion would run uncharged until the wall-clock timeout.
    ///
    /// # Errors
    ///
    /// The name of the first cost out of range.
    pub fn validate(&self) -> Result<(), String> {
        let ops = &self.operators;
        if let Some((name, _)) = [
            ("simple", ops.simple),
            ("call", ops.call),
            ("call_indirect", ops.call_indirect),
        ]
        .into_iter()
        .find(|(_, cost)| *cost == 0)
        {
            return Err(format!(
                "gas schedule: {name} costs 0; loop iterations and calls must cost gas"
            ));
        }
        if let Some((name, cost)) = self
            .host_costs()
            .find(|(_, c)| *c > OperatorCosts::MAX_COST)
        {
            return Err(format!(
                "gas schedule: {name} costs {cost}, more than the maximum {}",
                OperatorCosts::MAX_COST
            ));
        }
        if !self.operators.is_bounded() {
            return Err(format!(
                "gas schedule: an operator cost is more than the maximum {}",
                OperatorCosts::MAX_COST
            ));
        }
        Ok(())
    }

    /// The sum of per-byte costs, saturating (a valid schedule never comes
    /// near the bound).
    pub fn per_byte(costs: &[u64]) -> u64 {
        costs.iter().fold(0u64, |sum, c| sum.saturating_add(*c))
    }
}

/// Gas ran out: the call ends with [`TrapKind::GasExhausted`](crate::TrapKind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfGas;

/// Counts the gas of one call against its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GasMeter {
    limit: u64,
    used: u64,
}

impl GasMeter {
    /// A meter with `limit` gas and nothing used.
    pub fn new(limit: u64) -> Self {
        Self { limit, used: 0 }
    }

    /// Charges `amount`.
    ///
    /// # Errors
    ///
    /// `OutOfGas` if the limit would be passed; `used` is then the limit,
    /// as `ABI.md` requires.
    pub fn charge(&mut self, amount: u64) -> Result<(), OutOfGas> {
        match self.used.checked_add(amount) {
            Some(used) if used <= self.limit => {
                self.used = used;
                Ok(())
            }
            _ => {
                self.used = self.limit;
                Err(OutOfGas)
            }
        }
    }

    /// Charges `count * per_unit`, saturating: a product that overflows is
    /// more than any limit.
    ///
    /// # Errors
    ///
    /// `OutOfGas` as [`GasMeter::charge`].
    pub fn charge_per(&mut self, count: u64, per_unit: u64) -> Result<(), OutOfGas> {
        self.charge(count.saturating_mul(per_unit))
    }

    /// Gas used so far.
    pub fn used(&self) -> u64 {
        self.used
    }

    /// Gas left.
    pub fn left(&self) -> u64 {
        self.limit - self.used
    }

    /// The limit.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Marks the whole limit as used (gas ran out in guest code).
    pub fn exhaust(&mut self) {
        self.used = self.limit;
    }

    /// Sets the gas left, as counted by instrumented guest code.
    pub fn set_left(&mut self, left: u64) {
        self.used = self.limit - left.min(self.limit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meter_charges_up_to_the_limit_and_saturates() {
        let mut m = GasMeter::new(10);
        assert_eq!(m.charge(4), Ok(()));
        assert_eq!(m.charge(6), Ok(()));
        assert_eq!(m.left(), 0);
        assert_eq!(m.charge(1), Err(OutOfGas));
        assert_eq!(m.used(), 10);
        let mut m = GasMeter::new(u64::MAX - 1);
        assert_eq!(m.charge_per(u64::MAX, 2), Err(OutOfGas));
        assert_eq!(m.used(), u64::MAX - 1);
    }

    #[test]
    fn a_schedule_with_free_loops_or_calls_is_invalid() {
        assert_eq!(GasSchedule::default().validate(), Ok(()));
        for (name, set) in [
            (
                "simple",
                (|o: &mut OperatorCosts| o.simple = 0) as fn(&mut OperatorCosts),
            ),
            ("call", |o| o.call = 0),
            ("call_indirect", |o| o.call_indirect = 0),
        ] {
            let mut schedule = GasSchedule::default();
            set(&mut schedule.operators);
            let error = schedule.validate().unwrap_err();
            assert!(error.contains(&format!("{name} costs 0")), "{error}");
        }
        // Free block structure is fine: a loop still pays for its branch.
        let mut schedule = GasSchedule::default();
        schedule.operators.structure = 0;
        assert_eq!(schedule.validate(), Ok(()));
    }

    #[test]
    fn schedule_fingerprint_follows_every_field() {
        let a = GasSchedule::default();
        let mut b = a.clone();
        b.set_host_base(HostFunction::GasLeft, 51);
        assert_ne!(a.fingerprint(), b.fingerprint());
        let mut c = a.clone();
        c.random_byte += 1;
        assert_ne!(a.fingerprint(), c.fingerprint());
        let mut d = a.clone();
        d.operators.table_element += 1;
        assert_ne!(a.fingerprint(), d.fingerprint());
        let mut e = a.clone();
        e.message_byte += 1;
        assert_ne!(a.fingerprint(), e.fingerprint());
        let mut f = a.clone();
        f.send_base += 1;
        assert_ne!(a.fingerprint(), f.fingerprint());
        assert_eq!(a.fingerprint(), GasSchedule::default().fingerprint());
    }
}
