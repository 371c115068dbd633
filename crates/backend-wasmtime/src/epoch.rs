//! The epoch ticker behind wasmtime's wall-clock timeout.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use runtime_core::RuntimeError;
use wasmtime::Engine;

/// How often the epoch advances: the timeout's resolution.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(5);

/// A thread that increments the engine's epoch every [`EPOCH_TICK`] until
/// dropped; each store traps once its deadline (in ticks) has passed.
pub(crate) struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EpochTicker {
    /// Starts the ticker.
    ///
    /// # Errors
    ///
    /// [`RuntimeError::Resources`] if the thread cannot start: without it the
    /// timeout would silently never fire.
    pub(crate) fn start(engine: &Engine) -> Result<Self, RuntimeError> {
        let stop = Arc::new(AtomicBool::new(false));
        let (engine, flag) = (engine.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("wasmtime-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .map_err(|e| RuntimeError::Resources(format!("wasmtime epoch ticker: {e}")))?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
