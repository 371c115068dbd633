//! A shared timer thread for the wall-clock timeout, the non-deterministic
//! safety net behind gas metering.
//!
//! Backends whose engine is interrupted from another thread (wasmer's
//! interrupter) arm a callback here for each execution; the guard disarms it
//! when the execution ends. One thread serves every execution of the
//! process, started on first use.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

/// Runs when due; returns when to run again (`None`: done).
type Callback = Box<dyn FnMut() -> Option<Instant> + Send>;

#[derive(Default)]
struct Timers {
    /// (deadline, id) -> callback, earliest first.
    pending: BTreeMap<(Instant, u64), Callback>,
    /// id -> its current deadline, for every armed timer (also while its
    /// callback runs).
    armed: HashMap<u64, Instant>,
    next_id: u64,
    /// What the worker thread is doing, so that arming a timer wakes it
    /// only when it would otherwise sleep past the new deadline (a wake-up
    /// per execution cost more than the execution on small guests).
    worker: Worker,
}

/// The watchdog thread's state, as seen under the lock.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
enum Worker {
    /// Not waiting: it looks at `pending` before it waits again.
    #[default]
    Busy,
    /// Waiting until this time.
    SleepsUntil(Instant),
    /// Waiting for a timer to be armed.
    Idle,
}

struct Shared {
    timers: Mutex<Timers>,
    wake: Condvar,
}

/// The process-wide watchdog.
pub struct Watchdog {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Watchdog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watchdog").finish_non_exhaustive()
    }
}

/// Disarms its timer when dropped.
#[derive(Debug)]
#[must_use = "dropping the guard disarms the timer"]
pub struct WatchdogGuard {
    id: u64,
}

impl Drop for WatchdogGuard {
    fn drop(&mut self) {
        let mut timers = Watchdog::global().shared.timers.lock();
        if let Some(deadline) = timers.armed.remove(&self.id) {
            timers.pending.remove(&(deadline, self.id));
        }
    }
}

impl Watchdog {
    /// The process-wide watchdog, its thread started on first use.
    pub fn global() -> &'static Watchdog {
        static WATCHDOG: OnceLock<Watchdog> = OnceLock::new();
        WATCHDOG.get_or_init(|| {
            let shared = Arc::new(Shared {
                timers: Mutex::new(Timers::default()),
                wake: Condvar::new(),
            });
            let worker = shared.clone();
            // If the thread cannot start, timeouts never fire; gas still
            // bounds every execution.
            let _ = std::thread::Builder::new()
                .name("runtime-watchdog".into())
                .spawn(move || run(&worker));
            Watchdog { shared }
        })
    }

    /// Calls `callback` on the watchdog thread at `deadline`, and again at
    /// each time it returns, until it returns `None` or the guard is
    /// dropped (so an interrupt that may be missed is retried).
    pub fn arm(
        &self,
        deadline: Instant,
        callback: impl FnMut() -> Option<Instant> + Send + 'static,
    ) -> WatchdogGuard {
        let mut timers = self.shared.timers.lock();
        let id = timers.next_id;
        timers.next_id += 1;
        timers.pending.insert((deadline, id), Box::new(callback));
        timers.armed.insert(id, deadline);
        let wake = match timers.worker {
            Worker::Busy => false,
            Worker::SleepsUntil(until) => deadline < until,
            Worker::Idle => true,
        };
        drop(timers);
        if wake {
            self.shared.wake.notify_one();
        }
        WatchdogGuard { id }
    }
}

fn run(shared: &Shared) {
    let mut timers = shared.timers.lock();
    loop {
        let due = timers.pending.first_key_value().map(|(k, _)| *k);
        match due {
            Some(key) if key.0 <= Instant::now() => {
                let Some(mut callback) = timers.pending.remove(&key) else {
                    continue;
                };
                drop(timers);
                let again = callback();
                timers = shared.timers.lock();
                let id = key.1;
                match again {
                    Some(next) if timers.armed.contains_key(&id) => {
                        timers.armed.insert(id, next);
                        timers.pending.insert((next, id), callback);
                    }
                    _ => {
                        timers.armed.remove(&id);
                    }
                }
            }
            Some(key) => {
                timers.worker = Worker::SleepsUntil(key.0);
                shared.wake.wait_until(&mut timers, key.0);
                timers.worker = Worker::Busy;
            }
            None => {
                timers.worker = Worker::Idle;
                shared.wake.wait(&mut timers);
                timers.worker = Worker::Busy;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    #[test]
    fn fires_when_due_and_not_when_disarmed() {
        let fired = Arc::new(AtomicU32::new(0));
        let f = fired.clone();
        let _armed =
            Watchdog::global().arm(Instant::now() + Duration::from_millis(10), move || {
                f.fetch_add(1, Ordering::SeqCst);
                None
            });
        let g = fired.clone();
        let disarmed =
            Watchdog::global().arm(Instant::now() + Duration::from_millis(20), move || {
                g.fetch_add(10, Ordering::SeqCst);
                None
            });
        drop(disarmed);
        let start = Instant::now();
        while fired.load(Ordering::SeqCst) == 0 && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(fired.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn an_earlier_timer_wakes_a_worker_sleeping_until_a_later_one() {
        let _later = Watchdog::global().arm(Instant::now() + Duration::from_secs(30), || None);
        // Let the worker go to sleep until the later deadline.
        std::thread::sleep(Duration::from_millis(20));
        let fired = Arc::new(AtomicU32::new(0));
        let f = fired.clone();
        let _earlier =
            Watchdog::global().arm(Instant::now() + Duration::from_millis(10), move || {
                f.fetch_add(1, Ordering::SeqCst);
                None
            });
        let start = Instant::now();
        while fired.load(Ordering::SeqCst) == 0 && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            fired.load(Ordering::SeqCst),
            1,
            "slept past an earlier deadline"
        );
    }

    #[test]
    fn repeats_until_the_guard_is_dropped() {
        let fired = Arc::new(AtomicU32::new(0));
        let f = fired.clone();
        let guard = Watchdog::global().arm(Instant::now(), move || {
            f.fetch_add(1, Ordering::SeqCst);
            Some(Instant::now() + Duration::from_millis(2))
        });
        let start = Instant::now();
        while fired.load(Ordering::SeqCst) < 3 && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(2));
        }
        drop(guard);
        let after = fired.load(Ordering::SeqCst);
        assert!(after >= 3);
        std::thread::sleep(Duration::from_millis(30));
        assert!(fired.load(Ordering::SeqCst) <= after + 1);
    }
}
