use std::collections::BTreeMap;

use crate::error::HostError;
use crate::limits::ExecutionLimits;

/// Host-side byte buffers named by a `u64` id, with their limits.
#[derive(Debug, Default)]
pub(crate) struct Registers {
    buffers: BTreeMap<u64, Vec<u8>>,
    /// Bytes in all buffers together.
    total: u64,
}

impl Registers {
    pub(crate) fn get(&self, id: u64) -> Option<&[u8]> {
        self.buffers.get(&id).map(Vec::as_slice)
    }

    /// Whether register `id` may be set to `len` bytes. Replacing a register
    /// releases its old size before the new one is counted.
    pub(crate) fn check(
        &self,
        id: u64,
        len: u64,
        limits: &ExecutionLimits,
    ) -> Result<(), HostError> {
        if len > limits.max_register_size {
            return Err(HostError::RegisterSizeExceeded);
        }
        let old = self.buffers.get(&id).map(|b| b.len() as u64);
        if old.is_none() && self.buffers.len() as u64 >= limits.max_registers {
            return Err(HostError::TooManyRegisters);
        }
        let total = self.total - old.unwrap_or(0) + len;
        if total > limits.max_registers_memory {
            return Err(HostError::RegistersMemoryExceeded);
        }
        Ok(())
    }

    /// Sets register `id` after [`Registers::check`].
    pub(crate) fn set(
        &mut self,
        id: u64,
        data: Vec<u8>,
        limits: &ExecutionLimits,
    ) -> Result<(), HostError> {
        self.check(id, data.len() as u64, limits)?;
        let new = data.len() as u64;
        if let Some(old) = self.buffers.insert(id, data) {
            self.total -= old.len() as u64;
        }
        self.total += new;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_size_and_total_with_replacement_released_first() {
        let limits = ExecutionLimits {
            max_registers: 2,
            max_register_size: 10,
            max_registers_memory: 15,
            ..ExecutionLimits::default()
        };
        let mut r = Registers::default();
        assert_eq!(
            r.set(1, vec![0; 11], &limits),
            Err(HostError::RegisterSizeExceeded)
        );
        assert_eq!(r.set(1, vec![0; 10], &limits), Ok(()));
        assert_eq!(
            r.set(2, vec![0; 6], &limits),
            Err(HostError::RegistersMemoryExceeded)
        );
        assert_eq!(r.set(2, vec![0; 5], &limits), Ok(()));
        assert_eq!(r.set(3, vec![], &limits), Err(HostError::TooManyRegisters));
        // Replacing 10 bytes by 10 bytes fits although 10 + 10 + 5 > 15.
        assert_eq!(r.set(1, vec![1; 10], &limits), Ok(()));
        assert_eq!(r.get(1), Some(&[1u8; 10][..]));
        assert_eq!(r.get(3), None);
    }
}
