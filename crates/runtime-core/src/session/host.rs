//! The session's host functions (`session::send`, `recv`, `pending`),
//! declared through [`HostFunctions::define`] like any embedder's: no
//! backend knows them. They reach the session through the execution's
//! data ([`HostContext::data`]), a [`SessionCall`].

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::RwLock;

use super::mailbox::Bus;
use super::namespace::MAX_NAME_LEN;
use crate::error::{HostError, RuntimeError};
use crate::gas::GasSchedule;
use crate::host_functions::{HostContext, HostFnError, HostFunctions};
use crate::limits::SessionLimits;
use crate::value::{FuncSig, ValType, WasmValue};

/// The import module of the session's host functions.
pub const SESSION_IMPORT_MODULE: &str = "session";

/// What one execution in a session knows of it: the running module, the
/// committed mailboxes (read-only while it runs), the limits, and how many
/// messages it has popped from its own mailbox so far (applied only if it
/// ends `ok`).
pub(crate) struct SessionCall {
    pub(crate) module: String,
    pub(crate) bus: Arc<RwLock<Bus>>,
    pub(crate) limits: SessionLimits,
    pub(crate) popped: AtomicUsize,
}

impl SessionCall {
    /// Messages waiting for the running module: its mailbox less what this
    /// execution has popped.
    fn pending(&self) -> usize {
        let len = self.bus.read().len(&self.module).unwrap_or(0);
        len.saturating_sub(self.popped.load(Ordering::Relaxed))
    }
}

fn call<'a>(cx: &'a HostContext<'_>, function: &str) -> Result<&'a SessionCall, HostFnError> {
    cx.data::<SessionCall>().ok_or_else(|| {
        HostFnError::new(format!(
            "session::{function} was called outside a session (run the module with Session::invoke)"
        ))
    })
}

fn u64_args<const N: usize>(args: &[WasmValue]) -> [u64; N] {
    // The signature (all i64) was checked before the call.
    std::array::from_fn(|i| args.get(i).and_then(|v| v.as_u64()).unwrap_or_default())
}

fn sig(params: usize, results: usize) -> FuncSig {
    FuncSig::new(vec![ValType::I64; params], vec![ValType::I64; results])
}

/// The three functions: name, signature, base gas.
fn declarations(schedule: &GasSchedule) -> [(&'static str, FuncSig, u64); 3] {
    [
        ("send", sig(4, 0), schedule.send_base),
        ("recv", sig(2, 1), schedule.recv_base),
        ("pending", sig(0, 1), schedule.pending_base),
    ]
}

/// Declares `session::send`, `recv` and `pending` in `functions`, priced
/// by `schedule` (`docs/SESSIONS.md` has the contract).
///
/// # Errors
///
/// [`RuntimeError::InvalidConfig`] if a `session` function is already
/// declared, or a base cost is out of range.
pub(crate) fn define_host_functions(
    functions: &mut HostFunctions,
    schedule: &GasSchedule,
) -> Result<(), RuntimeError> {
    let [send, recv, pending] = declarations(schedule);
    let send_byte = GasSchedule::per_byte(&[schedule.memory_read_byte, schedule.message_byte]);
    let register_byte = schedule.register_byte;
    functions.define(
        SESSION_IMPORT_MODULE,
        send.0,
        send.1,
        send.2,
        move |cx, args| {
            let [to_len, to_ptr, data_len, data_ptr] = u64_args(args);
            self::send(cx, send_byte, to_len, to_ptr, data_len, data_ptr)?;
            Ok(vec![])
        },
    )?;
    functions.define(
        SESSION_IMPORT_MODULE,
        recv.0,
        recv.1,
        recv.2,
        move |cx, args| {
            let [sender_register, data_register] = u64_args(args);
            let got = self::recv(cx, register_byte, sender_register, data_register)?;
            Ok(vec![WasmValue::I64(i64::from(got))])
        },
    )?;
    functions.define(
        SESSION_IMPORT_MODULE,
        pending.0,
        pending.1,
        pending.2,
        |cx, _| {
            let waiting = call(cx, "pending")?.pending();
            Ok(vec![WasmValue::I64(waiting as i64)])
        },
    )?;
    Ok(())
}

/// Whether `functions` holds the session's functions as
/// [`define_host_functions`] declares them under `schedule` (names,
/// signatures and base gas).
pub(crate) fn has_host_functions(functions: &HostFunctions, schedule: &GasSchedule) -> bool {
    declarations(schedule).iter().all(|(name, sig, base)| {
        functions
            .find(SESSION_IMPORT_MODULE, name)
            .is_some_and(|(_, e)| e.sig() == sig && e.base_gas() == *base)
    })
}

/// `send(to_len, to_ptr, data_len, data_ptr)`, in `ABI.md`'s order: base
/// gas (charged before this runs); bounds of `to`, then of `data`; the
/// limits the lengths break (`MessageTooLarge`, a name length outside
/// 1..=64 is `UnknownModule`, `TooManyMessages`); the per-byte gas; then
/// the work: the name must be UTF-8 and loaded (`UnknownModule`), the
/// receiver's mailbox must have room (`MailboxFull`).
fn send(
    cx: &mut HostContext<'_>,
    per_byte: u64,
    to_len: u64,
    to_ptr: u64,
    data_len: u64,
    data_ptr: u64,
) -> Result<(), HostFnError> {
    cx.check_memory(to_ptr, to_len)?;
    cx.check_memory(data_ptr, data_len)?;
    let limits = call(cx, "send")?.limits.clone();
    if data_len > limits.max_message_len {
        return Err(HostError::MessageTooLarge.into());
    }
    if to_len == 0 || to_len > MAX_NAME_LEN as u64 {
        return Err(HostError::UnknownModule.into());
    }
    if cx.messages().len() as u64 >= limits.max_messages_per_execution {
        return Err(HostError::TooManyMessages.into());
    }
    cx.charge_gas(to_len.saturating_add(data_len).saturating_mul(per_byte))?;
    let to = String::from_utf8(cx.read_memory(to_ptr, to_len)?)
        .map_err(|_| HostFnError::from(HostError::UnknownModule))?;
    let data = cx.read_memory(data_ptr, data_len)?;
    // The receiver's mailbox as it would be if this execution ended now:
    // committed messages, less this execution's own pops if it sends to
    // itself, plus what it already sent there.
    let queued_here = cx.messages().iter().filter(|m| m.to == to).count();
    {
        let session = call(cx, "send")?;
        let bus = session.bus.read();
        let Some(len) = bus.len(&to) else {
            return Err(HostError::UnknownModule.into());
        };
        let popped = if to == session.module {
            session.popped.load(Ordering::Relaxed)
        } else {
            0
        };
        let would_hold = len.saturating_sub(popped) + queued_here;
        if would_hold as u64 >= limits.max_mailbox_len {
            return Err(HostError::MailboxFull.into());
        }
    }
    cx.send_message(to, data);
    Ok(())
}

/// `recv(sender_register, data_register) -> u64`: `0` if the running
/// module's mailbox is empty; else the oldest message's sender name into
/// `sender_register`, then its data into `data_register` (each: the
/// register limits, the per-byte gas, the write; the same register twice
/// ends up holding the data), and `1`. The pop stands only if the execution
/// ends `ok`.
fn recv(
    cx: &mut HostContext<'_>,
    per_byte: u64,
    sender_register: u64,
    data_register: u64,
) -> Result<bool, HostFnError> {
    let next = {
        let session = call(cx, "recv")?;
        let popped = session.popped.load(Ordering::Relaxed);
        session
            .bus
            .read()
            .get(&session.module, popped)
            .map(|e| (e.from.clone().into_bytes(), e.data.clone()))
    };
    let Some((from, data)) = next else {
        return Ok(false);
    };
    for (register, bytes) in [(sender_register, from), (data_register, data)] {
        cx.check_register(register, bytes.len() as u64)?;
        cx.charge_gas((bytes.len() as u64).saturating_mul(per_byte))?;
        cx.set_register(register, bytes)?;
    }
    call(cx, "recv")?.popped.fetch_add(1, Ordering::Relaxed);
    Ok(true)
}
