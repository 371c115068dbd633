//! wasmtime's pooling instance allocator, sized so that every module
//! preparation accepts fits a slot.

use std::sync::{Arc, Condvar, Mutex, PoisonError};

use runtime_core::ModuleLimits;
use wasmtime::{InstanceAllocationStrategy, PoolingAllocationConfig};

/// Instances (and so memories and tables) alive at once per backend. An
/// execution holds one slot while it runs.
pub(crate) const POOL_SLOTS: u32 = 1000;

/// Bytes of each slot's linear memory reset with `memset` instead of being
/// given back to the kernel: the pages a small guest touches (its data and
/// the top of a C stack) stay mapped between executions.
const KEEP_RESIDENT: usize = 128 << 10;

/// The pooling strategy.
pub(crate) fn strategy() -> InstanceAllocationStrategy {
    let mut pool = PoolingAllocationConfig::new();
    pool.total_core_instances(POOL_SLOTS)
        .total_memories(POOL_SLOTS)
        .total_tables(POOL_SLOTS)
        // Preparation allows one memory and (without reference types) one
        // table per module.
        .max_memories_per_module(1)
        .max_tables_per_module(1)
        // Every wasm32 memory (65 536 pages) fits its slot.
        .max_memory_size(1 << 32)
        .table_elements(ModuleLimits::MAX_TABLE_SIZE as usize)
        // Instance metadata grows with functions, globals and types; it is
        // only checked against this bound, not reserved, so no count a
        // module limit allows is refused.
        .max_core_instance_size(1 << 40)
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(KEEP_RESIDENT);
    InstanceAllocationStrategy::Pooling(pool)
}

/// Counts the pool's free slots: an instantiation waits for one instead of
/// failing with wasmtime's "maximum concurrent instance limit" error, which
/// would make an outcome depend on how many executions run at once.
pub(crate) struct SlotGate {
    free: Mutex<u32>,
    freed: Condvar,
}

/// One slot taken from a [`SlotGate`], given back on drop.
pub(crate) struct Slot(Arc<SlotGate>);

impl SlotGate {
    /// A gate with `slots` free slots.
    pub(crate) fn new(slots: u32) -> Self {
        Self {
            free: Mutex::new(slots),
            freed: Condvar::new(),
        }
    }

    /// Takes a slot, waiting while none is free.
    pub(crate) fn acquire(gate: &Arc<Self>) -> Slot {
        let mut free = gate.free.lock().unwrap_or_else(PoisonError::into_inner);
        while *free == 0 {
            free = gate
                .freed
                .wait(free)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *free -= 1;
        Slot(gate.clone())
    }

    /// Slots free now.
    #[cfg(test)]
    pub(crate) fn free(&self) -> u32 {
        *self.free.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_gate_waits_for_a_slot_to_be_given_back() {
        let gate = Arc::new(SlotGate::new(2));
        let a = SlotGate::acquire(&gate);
        let _b = SlotGate::acquire(&gate);
        assert_eq!(gate.free(), 0);
        let waiter = {
            let gate = gate.clone();
            std::thread::spawn(move || SlotGate::acquire(&gate))
        };
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(!waiter.is_finished(), "took a slot from a full gate");
        drop(a);
        let c = waiter.join().unwrap();
        assert_eq!(gate.free(), 0);
        drop(c);
        assert_eq!(gate.free(), 1);
    }
}
