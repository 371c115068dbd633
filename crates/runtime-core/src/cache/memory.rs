//! The memory layer: a bounded map from artifact keys to compiled modules,
//! evicting the least recently used, with one compilation per key at a time.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;

use crate::backend::EngineModule;
use crate::error::NonDeterministic;

/// What a slot ends up holding: the module, or why the engine failed.
pub(crate) type Compiled = Result<Arc<dyn EngineModule>, NonDeterministic>;

/// One key's module, filled once. Threads that find a slot being filled
/// wait for it instead of compiling the same module again.
#[derive(Default)]
pub(crate) struct Slot(OnceLock<Compiled>);

/// The least-recently-used map.
pub(crate) struct MemoryLayer {
    capacity: usize,
    inner: Mutex<Lru>,
}

#[derive(Default)]
struct Lru {
    /// Each key's slot and the tick of its last use.
    entries: HashMap<[u8; 32], (Arc<Slot>, u64)>,
    /// Keys by the tick of their last use: the first is the least recent.
    order: BTreeMap<u64, [u8; 32]>,
    tick: u64,
}

/// How [`MemoryLayer::get_or_fill`] found its module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// Another call filled the slot (or was filling it and this one waited).
    Hit,
    /// This call ran `fill`.
    Filled,
}

impl MemoryLayer {
    /// A layer keeping at most `capacity` modules (0: none; every call
    /// fills).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(Lru::default()),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// The number of modules held (or being filled).
    pub(crate) fn len(&self) -> usize {
        self.inner.lock().entries.len()
    }

    /// Whether `key` is held, without making it more recent.
    pub(crate) fn contains(&self, key: &[u8; 32]) -> bool {
        self.inner.lock().entries.contains_key(key)
    }

    /// The keys held, least recently used first.
    #[cfg(test)]
    pub(crate) fn keys_by_recency(&self) -> Vec<[u8; 32]> {
        self.inner.lock().order.values().copied().collect()
    }

    /// The module of `key`: held, or made by `fill` (once, however many
    /// threads ask at the same time). A failure is returned but not kept.
    /// Returns how many modules were evicted to make room.
    pub(crate) fn get_or_fill(
        &self,
        key: [u8; 32],
        fill: impl FnOnce() -> Compiled,
    ) -> (Compiled, Found, usize) {
        let (slot, evicted) = self.slot(key);
        let mut found = Found::Hit;
        let compiled = slot
            .0
            .get_or_init(|| {
                found = Found::Filled;
                fill()
            })
            .clone();
        if compiled.is_err() {
            let mut lru = self.inner.lock();
            if let Some((held, tick)) = lru.entries.get(&key)
                && Arc::ptr_eq(held, &slot)
            {
                let tick = *tick;
                lru.order.remove(&tick);
                lru.entries.remove(&key);
            }
        }
        (compiled, found, evicted)
    }

    /// The slot of `key`, made the most recent (inserted if missing, the
    /// least recent evicted past the capacity), and the number evicted.
    fn slot(&self, key: [u8; 32]) -> (Arc<Slot>, usize) {
        if self.capacity == 0 {
            return (Arc::new(Slot::default()), 0);
        }
        let mut lru = self.inner.lock();
        lru.tick += 1;
        let tick = lru.tick;
        let slot = match lru.entries.get_mut(&key) {
            Some((slot, last)) => {
                let (slot, previous) = (slot.clone(), *last);
                *last = tick;
                lru.order.remove(&previous);
                slot
            }
            None => {
                let slot = Arc::new(Slot::default());
                lru.entries.insert(key, (slot.clone(), tick));
                slot
            }
        };
        lru.order.insert(tick, key);
        let mut evicted = 0;
        while lru.entries.len() > self.capacity {
            let Some((_, oldest)) = lru.order.pop_first() else {
                break;
            };
            lru.entries.remove(&oldest);
            evicted += 1;
        }
        (slot, evicted)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::backend::{EngineFailure, EngineInstance};
    use crate::host::HostState;

    struct Dummy;
    impl EngineModule for Dummy {
        fn instantiate(
            &self,
            host: HostState,
        ) -> Result<Box<dyn EngineInstance>, Box<crate::backend::Failed>> {
            Err(Box::new((EngineFailure::engine("dummy"), host)))
        }
    }

    fn key(n: u8) -> [u8; 32] {
        [n; 32]
    }

    fn dummy() -> Compiled {
        Ok(Arc::new(Dummy))
    }

    #[test]
    fn evicts_the_least_recently_used() {
        let layer = MemoryLayer::new(2);
        assert_eq!(layer.get_or_fill(key(1), dummy).1, Found::Filled);
        assert_eq!(layer.get_or_fill(key(2), dummy).1, Found::Filled);
        // Using 1 makes 2 the least recent.
        assert_eq!(layer.get_or_fill(key(1), dummy).1, Found::Hit);
        assert_eq!(layer.keys_by_recency(), [key(2), key(1)]);
        let (_, found, evicted) = layer.get_or_fill(key(3), dummy);
        assert_eq!((found, evicted), (Found::Filled, 1));
        assert!(!layer.contains(&key(2)));
        assert_eq!(layer.keys_by_recency(), [key(1), key(3)]);
        // 2 comes back by filling again, and pushes out 1.
        assert_eq!(layer.get_or_fill(key(2), dummy).1, Found::Filled);
        assert_eq!(layer.keys_by_recency(), [key(3), key(2)]);
        assert_eq!(layer.len(), 2);
    }

    #[test]
    fn capacity_zero_keeps_nothing() {
        let layer = MemoryLayer::new(0);
        assert_eq!(layer.get_or_fill(key(1), dummy).1, Found::Filled);
        assert_eq!(layer.get_or_fill(key(1), dummy).1, Found::Filled);
        assert_eq!(layer.len(), 0);
    }

    #[test]
    fn a_failure_is_not_kept() {
        let layer = MemoryLayer::new(4);
        let (compiled, found, _) = layer.get_or_fill(key(1), || {
            Err(NonDeterministic::EngineError("out of luck".into()))
        });
        assert!(compiled.is_err());
        assert_eq!(found, Found::Filled);
        assert!(!layer.contains(&key(1)));
        assert!(layer.keys_by_recency().is_empty());
        assert_eq!(layer.get_or_fill(key(1), dummy).1, Found::Filled);
        assert!(layer.contains(&key(1)));
    }

    #[test]
    fn concurrent_callers_fill_once() {
        let layer = MemoryLayer::new(4);
        let fills = AtomicUsize::new(0);
        let barrier = std::sync::Barrier::new(8);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    barrier.wait();
                    let (compiled, _, _) = layer.get_or_fill(key(9), || {
                        fills.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        dummy()
                    });
                    assert!(compiled.is_ok());
                });
            }
        });
        assert_eq!(fills.load(Ordering::SeqCst), 1);
    }
}
