//! One method per ABI function. Each follows the order of `ABI.md`'s precise
//! rules: base gas; bounds of every memory argument; the limits the
//! argument lengths break; per-byte gas; then the work.

use host_abi::HostFunction;
use sha2::{Digest, Sha256};

use super::{Abort, HostState};
use crate::error::HostError;
use crate::gas::GasSchedule;
use crate::memory::{GuestMemory, checked_range};

type HostResult<T = ()> = Result<T, Abort>;

/// Reads `len` bytes at `ptr` after a bounds check. The caller has charged
/// for them.
fn read_bytes<M: GuestMemory + ?Sized>(memory: &M, ptr: u64, len: u64) -> HostResult<Vec<u8>> {
    checked_range(ptr, len, memory.size())?;
    let mut buf = vec![0u8; len as usize];
    memory.read(ptr, &mut buf)?;
    Ok(buf)
}

/// The bounds check of a memory argument, without reading it.
fn check_bounds<M: GuestMemory + ?Sized>(memory: &M, ptr: u64, len: u64) -> HostResult {
    checked_range(ptr, len, memory.size())?;
    Ok(())
}

fn utf8(bytes: Vec<u8>) -> HostResult<String> {
    String::from_utf8(bytes).map_err(|_| HostError::BadUtf8.into())
}

fn bool_result(b: bool) -> Option<u64> {
    Some(u64::from(b))
}

impl HostState {
    pub(super) fn dispatch<M: GuestMemory + ?Sized>(
        &mut self,
        function: HostFunction,
        a: &[u64],
        memory: &mut M,
    ) -> HostResult<Option<u64>> {
        self.gas.charge(self.schedule.host_base(function))?;
        match function {
            HostFunction::ReadRegister => self.read_register(memory, a[0], a[1]).map(|()| None),
            HostFunction::RegisterLen => Ok(Some(
                self.registers
                    .get(a[0])
                    .map_or(u64::MAX, |r| r.len() as u64),
            )),
            HostFunction::WriteRegister => {
                self.write_register(memory, a[0], a[1], a[2]).map(|()| None)
            }
            HostFunction::Input => self.input_to_register(a[0]).map(|()| None),
            HostFunction::ValueReturn => self.value_return(memory, a[0], a[1]).map(|()| None),
            HostFunction::PanicUtf8 => self.panic_utf8(memory, a[0], a[1]).map(|()| None),
            HostFunction::LogUtf8 => self.log_utf8(memory, a[0], a[1]).map(|()| None),
            HostFunction::EmitEvent => self
                .emit_event(memory, a[0], a[1], a[2], a[3])
                .map(|()| None),
            HostFunction::StorageWrite => self
                .storage_write(memory, a[0], a[1], a[2], a[3], a[4])
                .map(bool_result),
            HostFunction::StorageRead => {
                self.storage_read(memory, a[0], a[1], a[2]).map(bool_result)
            }
            HostFunction::StorageRemove => self
                .storage_remove(memory, a[0], a[1], a[2])
                .map(bool_result),
            HostFunction::StorageHasKey => {
                self.storage_has_key(memory, a[0], a[1]).map(bool_result)
            }
            HostFunction::Sha256 => self.sha256(memory, a[0], a[1], a[2]).map(|()| None),
            HostFunction::RandomBytes => self.random_bytes(memory, a[0], a[1]).map(|()| None),
            HostFunction::TimeNow => Ok(Some(self.timestamp_ns)),
            HostFunction::GasLeft => Ok(Some(self.gas.left())),
        }
    }

    /// Sets a register from host data, charging per byte copied. Used by
    /// `input`, `sha256` and the storage functions.
    fn set_register_from_host(&mut self, id: u64, data: Vec<u8>) -> HostResult {
        self.registers.check(id, data.len() as u64, &self.limits)?;
        self.gas
            .charge_per(data.len() as u64, self.schedule.register_byte)?;
        self.registers.set(id, data, &self.limits)?;
        Ok(())
    }

    /// The unset register is checked before the bounds, because the bounds
    /// need its length.
    fn read_register<M: GuestMemory + ?Sized>(
        &mut self,
        memory: &mut M,
        id: u64,
        ptr: u64,
    ) -> HostResult {
        let len = self
            .registers
            .get(id)
            .ok_or(HostError::InvalidRegisterId)?
            .len() as u64;
        check_bounds(memory, ptr, len)?;
        self.gas.charge_per(len, self.schedule.memory_write_byte)?;
        let data = self.registers.get(id).unwrap_or_default();
        memory.write(ptr, data)?;
        Ok(())
    }

    fn write_register<M: GuestMemory + ?Sized>(
        &mut self,
        memory: &mut M,
        id: u64,
        len: u64,
        ptr: u64,
    ) -> HostResult {
        check_bounds(memory, ptr, len)?;
        self.registers.check(id, len, &self.limits)?;
        self.gas.charge_per(len, self.schedule.memory_read_byte)?;
        let data = read_bytes(memory, ptr, len)?;
        self.registers.set(id, data, &self.limits)?;
        Ok(())
    }

    fn input_to_register(&mut self, id: u64) -> HostResult {
        self.set_register_from_host(id, self.input.clone())
    }

    fn value_return<M: GuestMemory + ?Sized>(
        &mut self,
        memory: &mut M,
        len: u64,
        ptr: u64,
    ) -> HostResult {
        check_bounds(memory, ptr, len)?;
        self.gas.charge_per(len, self.schedule.memory_read_byte)?;
        self.return_data = read_bytes(memory, ptr, len)?;
        Ok(())
    }

    /// The message is bounded only by the memory and the per-byte gas
    /// (`ABI.md` names no limit for it).
    fn panic_utf8<M: GuestMemory + ?Sized>(
        &mut self,
        memory: &mut M,
        len: u64,
        ptr: u64,
    ) -> HostResult {
        check_bounds(memory, ptr, len)?;
        self.gas.charge_per(len, self.schedule.memory_read_byte)?;
        let message = utf8(read_bytes(memory, ptr, len)?)?;
        Err(HostError::GuestPanic(message).into())
    }

    fn log_utf8<M: GuestMemory + ?Sized>(
        &mut self,
        memory: &mut M,
        len: u64,
        ptr: u64,
    ) -> HostResult {
        check_bounds(memory, ptr, len)?;
        self.check_log(len)?;
        self.gas.charge_per(
            len,
            GasSchedule::per_byte(&[self.schedule.memory_read_byte, self.schedule.log_byte]),
        )?;
        let line = utf8(read_bytes(memory, ptr, len)?)?;
        self.push_log(line)
    }

    fn emit_event<M: GuestMemory + ?Sized>(
        &mut self,
        memory: &mut M,
        kind_len: u64,
        kind_ptr: u64,
        data_len: u64,
        data_ptr: u64,
    ) -> HostResult {
        check_bounds(memory, kind_ptr, kind_len)?;
        check_bounds(memory, data_ptr, data_len)?;
        let len = kind_len.saturating_add(data_len);
        self.check_event(len)?;
        self.gas.charge_per(
            len,
            GasSchedule::per_byte(&[self.schedule.memory_read_byte, self.schedule.event_byte]),
        )?;
        let kind = utf8(read_bytes(memory, kind_ptr, kind_len)?)?;
        let data = read_bytes(memory, data_ptr, data_len)?;
        self.push_event(kind, data)
    }

    /// Bounds and length limit of a key argument, then its per-byte gas, and
    /// the key.
    fn key_argument<M: GuestMemory + ?Sized>(
        &mut self,
        memory: &M,
        key_len: u64,
        key_ptr: u64,
    ) -> HostResult<Vec<u8>> {
        check_bounds(memory, key_ptr, key_len)?;
        if key_len > self.limits.max_key_len {
            return Err(HostError::KeyLengthExceeded.into());
        }
        self.gas.charge_per(
            key_len,
            GasSchedule::per_byte(&[
                self.schedule.memory_read_byte,
                self.schedule.storage_key_byte,
            ]),
        )?;
        read_bytes(memory, key_ptr, key_len)
    }

    /// Puts an old value into a register and returns whether there was one;
    /// the register is untouched when there was none.
    fn old_value_to_register(
        &mut self,
        old: Option<Vec<u8>>,
        register_id: u64,
    ) -> HostResult<bool> {
        match old {
            Some(value) => {
                self.gas
                    .charge_per(value.len() as u64, self.schedule.storage_value_byte)?;
                self.set_register_from_host(register_id, value)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn storage_write<M: GuestMemory + ?Sized>(
        &mut self,
        memory: &mut M,
        key_len: u64,
        key_ptr: u64,
        value_len: u64,
        value_ptr: u64,
        register_id: u64,
    ) -> HostResult<bool> {
        check_bounds(memory, key_ptr, key_len)?;
        check_bounds(memory, value_ptr, value_len)?;
        if key_len > self.limits.max_key_len {
            return Err(HostError::KeyLengthExceeded.into());
        }
        if value_len > self.limits.max_value_len {
            return Err(HostError::ValueLengthExceeded.into());
        }
        self.count_storage_write(key_len, value_len)?;
        self.gas.charge_per(
            key_len,
            GasSchedule::per_byte(&[
                self.schedule.memory_read_byte,
                self.schedule.storage_key_byte,
            ]),
        )?;
        self.gas.charge_per(
            value_len,
            GasSchedule::per_byte(&[
                self.schedule.memory_read_byte,
                self.schedule.storage_value_byte,
            ]),
        )?;
        let key = read_bytes(memory, key_ptr, key_len)?;
        let value = read_bytes(memory, value_ptr, value_len)?;
        let old = self.overlay.set(&key, value)?;
        self.old_value_to_register(old, register_id)
    }

    fn storage_read<M: GuestMemory + ?Sized>(
        &mut self,
        memory: &mut M,
        key_len: u64,
        key_ptr: u64,
        register_id: u64,
    ) -> HostResult<bool> {
        let key = self.key_argument(memory, key_len, key_ptr)?;
        let value = self.overlay.get(&key)?;
        self.old_value_to_register(value, register_id)
    }

    fn storage_remove<M: GuestMemory + ?Sized>(
        &mut self,
        memory: &mut M,
        key_len: u64,
        key_ptr: u64,
        register_id: u64,
    ) -> HostResult<bool> {
        let key = self.key_argument(memory, key_len, key_ptr)?;
        let old = self.overlay.remove(&key)?;
        self.old_value_to_register(old, register_id)
    }

    fn storage_has_key<M: GuestMemory + ?Sized>(
        &mut self,
        memory: &mut M,
        key_len: u64,
        key_ptr: u64,
    ) -> HostResult<bool> {
        let key = self.key_argument(memory, key_len, key_ptr)?;
        Ok(self.overlay.get(&key)?.is_some())
    }

    fn sha256<M: GuestMemory + ?Sized>(
        &mut self,
        memory: &mut M,
        len: u64,
        ptr: u64,
        register_id: u64,
    ) -> HostResult {
        check_bounds(memory, ptr, len)?;
        self.registers.check(register_id, 32, &self.limits)?;
        self.gas.charge_per(
            len,
            GasSchedule::per_byte(&[self.schedule.memory_read_byte, self.schedule.sha256_byte]),
        )?;
        let data = read_bytes(memory, ptr, len)?;
        let digest = Sha256::digest(&data).to_vec();
        self.set_register_from_host(register_id, digest)
    }

    fn random_bytes<M: GuestMemory + ?Sized>(
        &mut self,
        memory: &mut M,
        len: u64,
        ptr: u64,
    ) -> HostResult {
        check_bounds(memory, ptr, len)?;
        self.gas.charge_per(
            len,
            GasSchedule::per_byte(&[self.schedule.memory_write_byte, self.schedule.random_byte]),
        )?;
        let mut buf = vec![0u8; len as usize];
        self.keystream.fill(&mut buf);
        memory.write(ptr, &buf)?;
        Ok(())
    }
}
