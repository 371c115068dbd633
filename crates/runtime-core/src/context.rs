//! What one execution is given by its embedder.

use crate::limits::Limits;

/// The inputs of one execution besides the module, the export and the
/// storage.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecutionContext {
    /// The bytes the `input` host function returns.
    pub input: Vec<u8>,
    /// The seed of the ChaCha20 keystream behind `random_bytes`.
    pub seed: [u8; 32],
    /// The value of `time_now`, in nanoseconds. Given by the embedder, never
    /// the wall clock.
    pub timestamp_ns: u64,
    /// The limits of this execution. The static fields (see [`Limits`]) take
    /// effect when a module is prepared; the others, `gas` among them, here.
    pub limits: Limits,
}

impl ExecutionContext {
    /// A context with `input`, a zero seed and timestamp, and default limits.
    pub fn with_input(input: impl Into<Vec<u8>>) -> Self {
        Self {
            input: input.into(),
            ..Self::default()
        }
    }
}
