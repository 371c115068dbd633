//! Checked access to a guest's linear memory.

use crate::error::HostError;

/// A guest's linear memory, as a backend exposes it to the host logic.
///
/// The host logic checks every `ptr`/`len` against [`GuestMemory::size`]
/// before it reads or writes; implementations check again and never panic.
/// `[u8]` implements it, so a backend that can lend the memory as a slice
/// (wasmtime, wasmi) needs no code of its own.
pub trait GuestMemory {
    /// The memory's current size in bytes.
    fn size(&self) -> u64;

    /// Copies `buf.len()` bytes at `offset` into `buf`.
    ///
    /// # Errors
    ///
    /// [`HostError::MemoryAccessViolation`] if any byte is out of bounds.
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), HostError>;

    /// Writes `data` at `offset`.
    ///
    /// # Errors
    ///
    /// [`HostError::MemoryAccessViolation`] if any byte is out of bounds.
    fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), HostError>;
}

/// The byte range `ptr..ptr + len` if it lies within a memory of `size`
/// bytes. `ptr + len` is computed with overflow checks, and a zero-length
/// access at `ptr > size` is out of bounds, as `ABI.md` requires.
///
/// # Errors
///
/// [`HostError::MemoryAccessViolation`] otherwise.
pub fn checked_range(ptr: u64, len: u64, size: u64) -> Result<std::ops::Range<usize>, HostError> {
    let end = ptr
        .checked_add(len)
        .ok_or(HostError::MemoryAccessViolation)?;
    if end > size {
        return Err(HostError::MemoryAccessViolation);
    }
    let start = usize::try_from(ptr).map_err(|_| HostError::MemoryAccessViolation)?;
    let end = usize::try_from(end).map_err(|_| HostError::MemoryAccessViolation)?;
    Ok(start..end)
}

impl GuestMemory for [u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), HostError> {
        let range = checked_range(offset, buf.len() as u64, self.size())?;
        buf.copy_from_slice(&self[range]);
        Ok(())
    }

    fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), HostError> {
        let range = checked_range(offset, data.len() as u64, self.size())?;
        self[range].copy_from_slice(data);
        Ok(())
    }
}

/// A mutable borrow of a memory is a memory, so a `&mut [u8]` can be handed
/// on as a `&mut dyn GuestMemory`.
impl<T: GuestMemory + ?Sized> GuestMemory for &mut T {
    fn size(&self) -> u64 {
        (**self).size()
    }

    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), HostError> {
        (**self).read(offset, buf)
    }

    fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), HostError> {
        (**self).write(offset, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_checked_for_overflow_and_bounds() {
        assert_eq!(checked_range(0, 10, 10), Ok(0..10));
        assert_eq!(checked_range(10, 0, 10), Ok(10..10));
        assert_eq!(
            checked_range(11, 0, 10),
            Err(HostError::MemoryAccessViolation)
        );
        assert_eq!(
            checked_range(5, 6, 10),
            Err(HostError::MemoryAccessViolation)
        );
        assert_eq!(
            checked_range(u64::MAX, 2, u64::MAX),
            Err(HostError::MemoryAccessViolation)
        );
        let mut mem = [0u8; 4];
        assert_eq!(mem.write(2, &[1, 2]), Ok(()));
        assert_eq!(mem.write(3, &[1, 2]), Err(HostError::MemoryAccessViolation));
        let mut buf = [0u8; 2];
        assert_eq!(mem.read(2, &mut buf), Ok(()));
        assert_eq!(buf, [1, 2]);
    }
}
