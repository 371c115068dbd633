//! wasmer's memory view as the core's [`GuestMemory`].

use runtime_core::HostError;
use runtime_core::backend::GuestMemory;
use wasmer::MemoryView;

/// Checked access through a [`MemoryView`]: wasmer lends no safe `&mut [u8]`,
/// so the core reads and writes through the view's own checked copies.
pub(crate) struct ViewMemory<'a>(pub(crate) MemoryView<'a>);

impl GuestMemory for ViewMemory<'_> {
    fn size(&self) -> u64 {
        self.0.data_size()
    }

    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), HostError> {
        self.0
            .read(offset, buf)
            .map_err(|_| HostError::MemoryAccessViolation)
    }

    fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), HostError> {
        self.0
            .write(offset, data)
            .map_err(|_| HostError::MemoryAccessViolation)
    }
}
