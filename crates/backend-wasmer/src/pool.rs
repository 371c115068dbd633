//! Linear memories from a pool of reserved address ranges.
//!
//! wasmer has no pooling allocator: each instance maps its memory's 8 GiB
//! reservation (4 GiB addressable, then the static guard) and unmaps it
//! when the store ends, and the unmap flushes the TLB of every core that
//! ran the process (inter-processor interrupts). That was most of a warm
//! call on wasmer, and made calls on two threads slower than on one.
//!
//! [`PooledTunables`] hands out memories whose reservation comes from a
//! pool and goes back to it, zeroed, when the memory is dropped: the first
//! [`KEEP_RESIDENT`] bytes are cleared with `memset` and stay mapped, the
//! rest is given back to the kernel (`MADV_DONTNEED`: zero pages on the
//! next touch). The compiled code is unchanged (the same static memory
//! style, so the same bounds-check-free code and guard), and so are the
//! outcomes: a pooled memory starts zeroed with its data segments written
//! by wasmer, and pages past its size are inaccessible, as on wasmer's own
//! memories.

use std::ptr::NonNull;
use std::sync::{Arc, Mutex, PoisonError};

use wasmer::sys::vm::{
    LinearMemory, MemoryError, MemoryStyle, VMMemory, VMMemoryDefinition, VMTable,
    VMTableDefinition,
};
use wasmer::sys::{BaseTunables, Tunables};
use wasmer_types::{MemoryType, Pages, TableStyle, TableType};

/// Bytes of a returned memory cleared with `memset` and kept mapped: the
/// pages a small guest touches (its data, the top of a C stack).
const KEEP_RESIDENT: usize = 128 << 10;

/// Free reservations kept for reuse; more are unmapped.
const MAX_FREE: usize = 64;

/// Bytes of one reservation: the largest wasm32 memory, then wasmer's
/// static guard.
fn reservation_len() -> usize {
    // 4 GiB + (4 GiB + 64 KiB): fits usize on the 64-bit hosts wasmer's
    // static memories need.
    MemoryStyle::static_bound().bytes().0
        + usize::try_from(MemoryStyle::static_offset_guard_size()).unwrap_or(usize::MAX / 2)
}

/// One reservation: inaccessible but for its first `accessible` bytes.
#[derive(Debug)]
struct Region {
    base: NonNull<u8>,
    len: usize,
    accessible: usize,
}

// SAFETY: a `Region` is an address range owned by one memory (or the free
// list) at a time; nothing in it is tied to a thread.
unsafe impl Send for Region {}
// SAFETY: `Region` has no interior mutability; shared references only
// read its fields.
unsafe impl Sync for Region {}

fn os_error(what: &str) -> MemoryError {
    MemoryError::Region(format!("{what}: {}", std::io::Error::last_os_error()))
}

impl Region {
    /// Reserves a new range, all of it inaccessible.
    fn reserve() -> Result<Self, MemoryError> {
        let len = reservation_len();
        // SAFETY: an anonymous private mapping at an address the kernel
        // chooses: it aliases no Rust object. `MAP_NORESERVE`: nothing is
        // committed until pages are made accessible and touched.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(os_error("mmap"));
        }
        let base = NonNull::new(ptr.cast::<u8>()).ok_or_else(|| os_error("mmap"))?;
        Ok(Self {
            base,
            len,
            accessible: 0,
        })
    }

    /// Makes exactly the first `bytes` (a multiple of the wasm page size,
    /// at most 4 GiB) readable and writable, and the rest inaccessible.
    fn set_accessible(&mut self, bytes: usize) -> Result<(), MemoryError> {
        let (start, len, prot) = match bytes.cmp(&self.accessible) {
            std::cmp::Ordering::Equal => return Ok(()),
            std::cmp::Ordering::Greater => (
                self.accessible,
                bytes - self.accessible,
                libc::PROT_READ | libc::PROT_WRITE,
            ),
            std::cmp::Ordering::Less => (bytes, self.accessible - bytes, libc::PROT_NONE),
        };
        // SAFETY: `start + len <= 4 GiB < self.len`: the range lies inside
        // this reservation, which only this region's memory uses. Making
        // pages inaccessible happens only while no instance uses the
        // region (on reuse, before wasmer sees the memory).
        let rc = unsafe { libc::mprotect(self.base.as_ptr().add(start).cast(), len, prot) };
        if rc != 0 {
            return Err(os_error("mprotect"));
        }
        self.accessible = bytes;
        Ok(())
    }

    /// Sets every accessible byte to zero.
    fn zero(&mut self) -> Result<(), MemoryError> {
        let keep = self.accessible.min(KEEP_RESIDENT);
        // SAFETY: the first `accessible` bytes are mapped read-write and no
        // instance uses the region any more (its memory was dropped).
        unsafe { std::ptr::write_bytes(self.base.as_ptr(), 0, keep) };
        if self.accessible > keep {
            // SAFETY: as above; `MADV_DONTNEED` on a private anonymous
            // mapping drops the pages, which read as zero afterwards.
            let rc = unsafe {
                libc::madvise(
                    self.base.as_ptr().add(keep).cast(),
                    self.accessible - keep,
                    libc::MADV_DONTNEED,
                )
            };
            if rc != 0 {
                return Err(os_error("madvise"));
            }
        }
        Ok(())
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: the whole reservation made by `reserve`, no longer used
        // by any memory.
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.len) };
    }
}

/// The free reservations.
#[derive(Debug, Default)]
struct RegionPool {
    free: Mutex<Vec<Region>>,
}

impl RegionPool {
    fn take(&self) -> Result<Region, MemoryError> {
        let reused = self
            .free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        match reused {
            Some(region) => Ok(region),
            None => Region::reserve(),
        }
    }

    /// Takes `region` back, zeroed; unmaps it when zeroing fails or the
    /// pool is full.
    fn give_back(&self, mut region: Region) {
        if region.zero().is_err() {
            return;
        }
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        if free.len() < MAX_FREE {
            free.push(region);
        }
    }
}

/// A wasm memory in a pooled reservation.
#[derive(Debug)]
struct PooledMemory {
    /// `None` only while being dropped.
    region: Option<Region>,
    pool: Arc<RegionPool>,
    /// The instance's definition of this memory (in its `VMContext`),
    /// which compiled code reads the base and length from.
    definition: NonNull<VMMemoryDefinition>,
    maximum: Option<Pages>,
    size: Pages,
}

// SAFETY: the region is owned (see `Region`); `definition` points into the
// owning instance's `VMContext`, which wasmer moves between threads with
// the store, as it does for its own memories.
unsafe impl Send for PooledMemory {}
// SAFETY: shared references only read; growing needs `&mut self`.
unsafe impl Sync for PooledMemory {}

impl PooledMemory {
    /// # Safety
    ///
    /// `definition` must point to the memory's definition in the instance's
    /// `VMContext`, valid for writes while the memory lives (wasmer's
    /// contract for `Tunables::create_vm_memory`).
    unsafe fn new(
        pool: Arc<RegionPool>,
        ty: &MemoryType,
        definition: NonNull<VMMemoryDefinition>,
    ) -> Result<Self, MemoryError> {
        if ty.minimum > Pages::max_value() {
            return Err(MemoryError::MinimumMemoryTooLarge {
                min_requested: ty.minimum,
                max_allowed: Pages::max_value(),
            });
        }
        if let Some(max) = ty.maximum {
            if max > Pages::max_value() {
                return Err(MemoryError::MaximumMemoryTooLarge {
                    max_requested: max,
                    max_allowed: Pages::max_value(),
                });
            }
            if max < ty.minimum {
                return Err(MemoryError::InvalidMemory {
                    reason: format!(
                        "the maximum ({} pages) is less than the minimum ({} pages)",
                        max.0, ty.minimum.0
                    ),
                });
            }
        }
        let mut region = pool.take()?;
        if let Err(e) = region.set_accessible(ty.minimum.bytes().0) {
            pool.give_back(region);
            return Err(e);
        }
        let memory = Self {
            definition,
            maximum: ty.maximum,
            size: ty.minimum,
            pool,
            region: Some(region),
        };
        memory.publish();
        Ok(memory)
    }

    /// Writes the base and length where compiled code reads them.
    fn publish(&self) {
        if let Some(region) = &self.region {
            // SAFETY: `definition` is valid for writes while the memory
            // lives (`new`'s contract); compiled code reads it only while
            // the instance runs on this thread, not during this write.
            unsafe {
                let definition = &mut *self.definition.as_ptr();
                definition.base = region.base.as_ptr();
                definition.current_length = region.accessible;
            }
        }
    }
}

impl LinearMemory for PooledMemory {
    fn ty(&self) -> MemoryType {
        MemoryType {
            minimum: self.size,
            maximum: self.maximum,
            shared: false,
        }
    }

    fn size(&self) -> Pages {
        self.size
    }

    fn style(&self) -> MemoryStyle {
        MemoryStyle::Static
    }

    fn grow(&mut self, delta: Pages) -> Result<Pages, MemoryError> {
        let previous = self.size;
        if delta.0 == 0 {
            return Ok(previous);
        }
        let could_not_grow = MemoryError::CouldNotGrow {
            current: previous,
            attempted_delta: delta,
        };
        let Some(new) = previous.checked_add(delta) else {
            return Err(could_not_grow);
        };
        if new > Pages::max_value() || self.maximum.is_some_and(|max| new > max) {
            return Err(could_not_grow);
        }
        let Some(region) = self.region.as_mut() else {
            return Err(could_not_grow);
        };
        region.set_accessible(new.bytes().0)?;
        self.size = new;
        self.publish();
        Ok(previous)
    }

    fn grow_at_least(&mut self, min_size: u64) -> Result<(), MemoryError> {
        let current = self.size.bytes().0 as u64;
        if min_size <= current {
            return Ok(());
        }
        let page = wasmer_types::WASM_PAGE_SIZE as u64;
        let delta = u32::try_from((min_size - current).div_ceil(page)).map_err(|_| {
            MemoryError::CouldNotGrow {
                current: self.size,
                attempted_delta: Pages::max_value(),
            }
        })?;
        self.grow(Pages(delta)).map(|_| ())
    }

    fn vmmemory(&self) -> NonNull<VMMemoryDefinition> {
        self.definition
    }

    fn try_clone(&self) -> Result<Box<dyn LinearMemory + Send + Sync + 'static>, MemoryError> {
        Err(MemoryError::MemoryNotShared)
    }

    fn copy(&self) -> Result<Box<dyn LinearMemory + Send + Sync + 'static>, MemoryError> {
        Err(MemoryError::Generic(
            "a pooled memory is not copied (the runtime never copies memories)".into(),
        ))
    }
}

impl Drop for PooledMemory {
    fn drop(&mut self) {
        if let Some(region) = self.region.take() {
            self.pool.give_back(region);
        }
    }
}

/// wasmer's own tunables, but instances' memories come from a pool.
pub(crate) struct PooledTunables {
    base: BaseTunables,
    pool: Arc<RegionPool>,
}

impl PooledTunables {
    pub(crate) fn new() -> Self {
        Self {
            base: BaseTunables::new(),
            pool: Arc::default(),
        }
    }
}

impl Tunables for PooledTunables {
    fn memory_style(&self, memory: &MemoryType) -> MemoryStyle {
        self.base.memory_style(memory)
    }

    fn table_style(&self, table: &TableType) -> TableStyle {
        self.base.table_style(table)
    }

    fn create_host_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
    ) -> Result<VMMemory, MemoryError> {
        self.base.create_host_memory(ty, style)
    }

    unsafe fn create_vm_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
        vm_definition_location: NonNull<VMMemoryDefinition>,
    ) -> Result<VMMemory, MemoryError> {
        if *style != MemoryStyle::Static || ty.shared {
            // SAFETY: forwarded with the caller's guarantee.
            return unsafe {
                self.base
                    .create_vm_memory(ty, style, vm_definition_location)
            };
        }
        // SAFETY: wasmer guarantees `vm_definition_location` points to the
        // memory's definition in the new instance's `VMContext`.
        let memory = unsafe { PooledMemory::new(self.pool.clone(), ty, vm_definition_location)? };
        Ok(VMMemory(Box::new(memory)))
    }

    fn create_host_table(&self, ty: &TableType, style: &TableStyle) -> Result<VMTable, String> {
        self.base.create_host_table(ty, style)
    }

    unsafe fn create_vm_table(
        &self,
        ty: &TableType,
        style: &TableStyle,
        vm_definition_location: NonNull<VMTableDefinition>,
    ) -> Result<VMTable, String> {
        // SAFETY: forwarded with the caller's guarantee.
        unsafe { self.base.create_vm_table(ty, style, vm_definition_location) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A memory of `min` pages (at most 64) whose definition is `definition`
    /// (boxed, so it outlives the memory in each test).
    fn pooled(
        pool: &Arc<RegionPool>,
        min: u32,
        definition: &mut VMMemoryDefinition,
    ) -> PooledMemory {
        let ty = MemoryType::new(min, Some(64), false);
        // SAFETY: `definition` is a live, exclusively borrowed definition;
        // each test drops the memory before the definition.
        unsafe { PooledMemory::new(pool.clone(), &ty, NonNull::from(definition)) }.unwrap()
    }

    fn definition() -> Box<VMMemoryDefinition> {
        Box::new(VMMemoryDefinition {
            base: std::ptr::null_mut(),
            current_length: 0,
        })
    }

    /// A reused reservation reads as zero and is inaccessible past its new
    /// size, whatever the memory before it wrote and grew to.
    #[test]
    fn a_reused_region_is_zeroed_and_resized() {
        let pool = Arc::new(RegionPool::default());
        let mut first = definition();
        let mut memory = pooled(&pool, 1, &mut first);
        assert_eq!(first.current_length, 65_536);
        assert_eq!(memory.grow(Pages(3)).unwrap(), Pages(1));
        assert_eq!(first.current_length, 4 * 65_536);
        let base = first.base;
        // SAFETY: the first 4 pages are accessible (grown above).
        unsafe {
            base.write(0xAB);
            base.add(KEEP_RESIDENT - 1).write(0xCD);
            base.add(4 * 65_536 - 1).write(0xEF);
        }
        assert!(memory.grow(Pages(61)).is_err(), "past the maximum");
        drop(memory);
        assert_eq!(pool.free.lock().unwrap().len(), 1);

        let mut second = definition();
        let memory = pooled(&pool, 4, &mut second);
        assert_eq!(second.base, base, "the same reservation");
        assert_eq!(second.current_length, 4 * 65_536);
        // SAFETY: the memory's `current_length` bytes are accessible.
        let bytes = unsafe { std::slice::from_raw_parts(second.base, second.current_length) };
        assert!(
            bytes.iter().all(|b| *b == 0),
            "stale bytes in a reused memory"
        );
        drop(memory);

        let mut third = definition();
        let memory = pooled(&pool, 1, &mut third);
        assert_eq!(third.current_length, 65_536);
        assert_eq!(pool.free.lock().unwrap().len(), 0);
        assert_eq!(
            memory.region.as_ref().map(|r| r.accessible),
            Some(65_536),
            "pages past the size are made inaccessible again"
        );
    }
}
