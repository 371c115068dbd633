//! What one execution is given by its embedder.

use std::any::Any;
use std::sync::Arc;

use crate::limits::ExecutionLimits;

/// The inputs of one execution besides the module, the export and the
/// storage.
#[derive(Clone, Default)]
pub struct ExecutionContext {
    /// The bytes the `input` host function returns.
    pub input: Vec<u8>,
    /// The seed of the ChaCha20 keystream behind `random_bytes`.
    pub seed: [u8; 32],
    /// The value of `time_now`, in nanoseconds. Given by the embedder, never
    /// the wall clock.
    pub timestamp_ns: u64,
    /// The limits of this execution: gas, timeout, registers, storage, logs
    /// and events. (The limits a module is prepared under belong to the
    /// [`Runtime`](crate::Runtime): see [`ModuleLimits`](crate::ModuleLimits).)
    pub limits: ExecutionLimits,
    /// The embedder's own data for this execution, handed to its host
    /// functions ([`HostContext::data`](crate::HostContext::data)). It never
    /// enters an outcome.
    pub data: Option<Arc<dyn Any + Send + Sync>>,
}

impl std::fmt::Debug for ExecutionContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecutionContext")
            .field("input_len", &self.input.len())
            .field("seed", &hex::encode(self.seed))
            .field("timestamp_ns", &self.timestamp_ns)
            .field("limits", &self.limits)
            .field("data", &self.data.is_some())
            .finish()
    }
}

impl ExecutionContext {
    /// A context with `input`, a zero seed and timestamp, and default limits.
    pub fn with_input(input: impl Into<Vec<u8>>) -> Self {
        Self {
            input: input.into(),
            ..Self::default()
        }
    }

    /// This context with a gas limit.
    #[must_use]
    pub fn gas(mut self, gas: u64) -> Self {
        self.limits.gas = gas;
        self
    }

    /// This context with the embedder's data for its host functions.
    #[must_use]
    pub fn with_data(mut self, data: Arc<dyn Any + Send + Sync>) -> Self {
        self.data = Some(data);
        self
    }
}
