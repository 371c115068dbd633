//! A cooperative-network node that embeds the runtime the way a real node
//! would: its own host functions (module `coop`: a reputation lookup, job
//! submission with a byte payload answered through a register, anchoring a
//! receipt in storage), typed calls, the module registry, and the engine
//! chosen by a cargo feature alone:
//!
//! ```text
//! cargo run --release -p node-example                                   # wasmi (default)
//! cargo run --release -p node-example --no-default-features --features wasmtime
//! cargo run --release -p node-example --no-default-features --features wasmer
//! ```
//!
//! It checks every result against what the node's rules say it must be and
//! exits with status 1 at the first difference. With several engines
//! compiled in, it also checks that they agree on every digest.
//!
//! The pattern worth copying: host functions read the node's state (the
//! reputation table, handed to each execution as its embedder data) but
//! change nothing outside the execution. A submitted job is an *event* and
//! an anchor is a *storage write*, so a failed execution drops the job and
//! rolls the anchor back, and the node acts on jobs only from committed
//! outcomes.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;

use runtime::{
    BackendKind, ExecutionContext, FuncSig, HostContext, HostFnError, HostFunctions,
    InMemoryStorage, ModuleRegistry, Outcome, RuntimeError, Status, Storage, ValType::I64,
    WasmValue, outcomes_agree,
};
use sha2::{Digest, Sha256};

/// The node's view of the network, read by the host functions.
struct Network {
    reputation: HashMap<String, i64>,
}

/// `coop::*`'s gas: base costs, and per byte of guest memory read.
const REPUTATION_GAS: u64 = 200;
const SUBMIT_GAS: u64 = 1_000;
const ANCHOR_GAS: u64 = 500;
const BYTE_GAS: u64 = 3;

/// The receipt of a job: `job:<first 8 bytes of sha256(payload), hex>:<len>`.
fn receipt(payload: &[u8]) -> String {
    let id = Sha256::digest(payload);
    format!("job:{}:{}", hex::encode(&id[..8]), payload.len())
}

fn anchor_key(receipt: &[u8]) -> Vec<u8> {
    [&b"anchor/"[..], receipt].concat()
}

/// `ptr`/`len` arguments: checked, charged per byte, read.
fn read_arg(cx: &mut HostContext<'_>, args: &[WasmValue]) -> Result<Vec<u8>, HostFnError> {
    let ptr = args[0].as_u64().unwrap_or_default();
    let len = args[1].as_u64().unwrap_or_default();
    cx.check_memory(ptr, len)?;
    cx.charge_gas(len.saturating_mul(BYTE_GAS))?;
    cx.read_memory(ptr, len)
}

/// The node's host functions: the guest ABI's, then `coop`'s.
fn coop_functions() -> Result<HostFunctions, RuntimeError> {
    let mut functions = HostFunctions::abi();
    // reputation(name_ptr, name_len) -> score, or -1 for a stranger.
    functions.define(
        "coop",
        "reputation",
        FuncSig::new([I64, I64], [I64]),
        REPUTATION_GAS,
        |cx, args| {
            let name = read_arg(cx, args)?;
            let network = cx
                .data::<Network>()
                .ok_or_else(|| HostFnError::new("the node gave no network state"))?;
            let score = std::str::from_utf8(&name)
                .ok()
                .and_then(|name| network.reputation.get(name))
                .copied()
                .unwrap_or(-1);
            Ok(vec![WasmValue::I64(score)])
        },
    )?;
    // submit_job(payload_ptr, payload_len, register) -> receipt length: the
    // job goes out as an event (the mesh takes it from committed outcomes),
    // the receipt comes back in the register.
    functions.define(
        "coop",
        "submit_job",
        FuncSig::new([I64, I64, I64], [I64]),
        SUBMIT_GAS,
        |cx, args| {
            let payload = read_arg(cx, args)?;
            if payload.is_empty() {
                return Err(HostFnError::new("empty job payload"));
            }
            let receipt = receipt(&payload).into_bytes();
            cx.emit_event("job_submitted", payload)?;
            let len = receipt.len() as i64;
            cx.set_register(args[2].as_u64().unwrap_or_default(), receipt)?;
            Ok(vec![WasmValue::I64(len)])
        },
    )?;
    // anchor_receipt(ptr, len) -> 1 if newly anchored, 0 if it already was.
    functions.define(
        "coop",
        "anchor_receipt",
        FuncSig::new([I64, I64], [I64]),
        ANCHOR_GAS,
        |cx, args| {
            let key = anchor_key(&read_arg(cx, args)?);
            if cx.storage_get(&key)?.is_some() {
                return Ok(vec![WasmValue::I64(0)]);
            }
            cx.storage_set(&key, b"anchored".to_vec())?;
            Ok(vec![WasmValue::I64(1)])
        },
    )?;
    Ok(functions)
}

/// A check failed: what, and where.
struct Mismatch(String);

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<(), Mismatch> {
    if ok { Ok(()) } else { Err(Mismatch(what())) }
}

fn submission(member: &str, payload: &[u8]) -> Vec<u8> {
    let mut input = vec![member.len() as u8];
    input.extend_from_slice(member.as_bytes());
    input.extend_from_slice(payload);
    input
}

/// What one engine did, for the cross-engine comparison.
struct Run {
    engine: BackendKind,
    outcomes: Vec<Outcome>,
}

fn run_node(kind: BackendKind) -> Result<Run, Mismatch> {
    let infra = |e: RuntimeError| Mismatch(format!("{kind}: {e}"));
    let runtime = kind
        .builder()
        .and_then(|b| b.host_functions(coop_functions()?).build())
        .map_err(infra)?;
    let registry = ModuleRegistry::new(runtime);
    let guest = |text: &str| wat::parse_str(text).map_err(|e| Mismatch(e.to_string()));
    let scheduler = guest(include_str!("../guests/scheduler.wat"))?;
    let ledger = guest(include_str!("../guests/ledger.wat"))?;
    registry.load("scheduler", &scheduler).map_err(infra)?;
    registry.load("ledger", &ledger).map_err(infra)?;
    // A second name for the same bytes shares the compiled module.
    registry.load("scheduler-v1", &scheduler).map_err(infra)?;
    let same = match (registry.get("scheduler"), registry.get("scheduler-v1")) {
        (Ok(a), Ok(b)) => Arc::ptr_eq(&a, &b),
        _ => false,
    };
    check(same, || "the same bytes were compiled twice".into())?;
    for info in registry.list() {
        let exports: Vec<String> = info
            .exports
            .iter()
            .map(|(name, sig)| format!("{name} {sig}"))
            .collect();
        println!(
            "{kind}: loaded {:<13} {} bytes, key {}…, exports {}",
            info.name,
            info.size,
            &info.hash[..16],
            exports.join(", ")
        );
    }

    let network = Arc::new(Network {
        reputation: HashMap::from([("alice".to_owned(), 90), ("bob".to_owned(), 20)]),
    });
    let context = |input: Vec<u8>| {
        ExecutionContext::with_input(input)
            .gas(1_000_000)
            .with_data(network.clone())
    };
    let state = Arc::new(InMemoryStorage::new());
    let shared: Arc<dyn Storage> = state.clone();
    let mut mesh: Vec<Vec<u8>> = Vec::new();
    let mut outcomes = Vec::new();
    // A member submits a job: the scheduler's `submit`, committed if `ok`.
    let submit = |member: &str, payload: &[u8]| {
        registry
            .execute_and_commit(
                "scheduler",
                "submit",
                &context(submission(member, payload)),
                shared.clone(),
            )
            .map_err(infra)
    };
    // A typed call with an ample gas limit, or the one given.
    let call = |module: &str, export: &str, args: &[WasmValue], gas: u64| {
        registry
            .call(
                module,
                export,
                args,
                &context(Vec::new()).gas(gas),
                shared.clone(),
            )
            .map_err(infra)
    };

    // 1. alice submits a job: accepted, anchored, committed.
    let payload = b"render frame 42".to_vec();
    let expected_receipt = receipt(&payload);
    let first = submit("alice", &payload)?;
    check(first.status() == Status::Ok, || {
        format!("{kind}: alice's job: {:?}", first.error)
    })?;
    check(first.return_data == expected_receipt.as_bytes(), || {
        format!(
            "{kind}: receipt {:?}, expected {expected_receipt:?}",
            String::from_utf8_lossy(&first.return_data)
        )
    })?;
    check(
        state
            .snapshot()
            .get(&anchor_key(expected_receipt.as_bytes()))
            == Some(&b"anchored".to_vec()),
        || format!("{kind}: the receipt is not anchored"),
    )?;
    check(first.logs == ["job submitted"], || {
        format!("{kind}: logs {:?}", first.logs)
    })?;
    mesh.extend(
        first
            .events
            .iter()
            .filter(|e| e.kind == "job_submitted")
            .map(|e| e.data.clone()),
    );
    println!(
        "{kind}: alice's job accepted, receipt {expected_receipt}, gas {}",
        first.gas_used
    );
    outcomes.push(first);

    // 2. The same job again: the anchor exists, the guest refuses; nothing
    //    is committed and the job event is dropped.
    let before = state.snapshot();
    let again = submit("alice", &payload)?;
    check(
        again.error.as_ref().map(|e| e.message()) == Some("already anchored".into())
            && again.events.is_empty()
            && state.snapshot() == before,
        || format!("{kind}: a duplicate job: {again:?}"),
    )?;
    outcomes.push(again);

    // 3. bob's reputation is too low, a stranger has none.
    for member in ["bob", "carol"] {
        let refused = submit(member, b"mine a block")?;
        check(
            refused.error.as_ref().map(|e| e.message()) == Some("reputation too low".into()),
            || format!("{kind}: {member}'s job: {refused:?}"),
        )?;
        outcomes.push(refused);
    }

    // 4. An empty payload: the host function's own error (kind Embedder).
    let empty = submit("alice", b"")?;
    check(
        empty.error.as_ref().map(|e| (e.kind_name(), e.message()))
            == Some(("Embedder", "empty job payload".into())),
        || format!("{kind}: an empty job: {empty:?}"),
    )?;
    outcomes.push(empty);
    check(mesh == [payload.clone()], || {
        format!("{kind}: the mesh got {} jobs, expected 1", mesh.len())
    })?;

    // 5. Typed calls: the fee, then settling it on the ledger.
    let (len, rep) = (payload.len() as i64, 90);
    let fee_args = [WasmValue::I64(len), WasmValue::I64(rep)];
    let fee = call("scheduler", "fee", &fee_args, 1_000_000)?;
    let expected_fee = (100 + 2 * len - rep).max(1);
    check(fee.results == [WasmValue::I64(expected_fee)], || {
        format!("{kind}: fee {:?}, expected {expected_fee}", fee.results)
    })?;
    outcomes.push(fee);
    let settle = |balance: i64| {
        let args = [WasmValue::I64(balance), WasmValue::I64(expected_fee)];
        call("ledger", "settle", &args, 5_000)
    };
    let paid = settle(1_000)?;
    check(
        paid.results == [WasmValue::I64(1_000 - expected_fee)],
        || format!("{kind}: settle: {paid:?}"),
    )?;
    outcomes.push(paid);
    // Too poor: a trap, which consumes the call's whole gas (ABI 1.1).
    let broke = settle(5)?;
    check(
        broke.error.as_ref().map(|e| e.kind_name()) == Some("Unreachable")
            && broke.gas_used == 5_000,
        || format!("{kind}: settling without funds: {broke:?}"),
    )?;
    outcomes.push(broke);
    // A wrong call is a rejection naming the signature.
    let wrong = call("ledger", "settle", &[WasmValue::I32(1)], 1_000_000)?;
    check(
        wrong.status() == Status::Rejected
            && wrong
                .error
                .as_ref()
                .is_some_and(|e| e.message().contains("[i64, i64] -> [i64]")),
        || format!("{kind}: a wrong typed call: {wrong:?}"),
    )?;

    // 6. A guest asking for a host function the node does not have.
    let rogue = guest(r#"(module (import "coop" "mint" (func)) (func (export "main")))"#)?;
    let refused = registry.load("rogue", &rogue);
    check(
        matches!(&refused, Err(RuntimeError::Registry(m)) if m.contains("UnknownImport")),
        || format!("{kind}: a rogue guest: {refused:?}"),
    )?;
    registry.unload("scheduler-v1").map_err(infra)?;
    check(registry.list().len() == 2, || {
        format!("{kind}: {} modules after an unload", registry.list().len())
    })?;

    println!(
        "{kind}: {} outcomes as expected; digest of the first job {}",
        outcomes.len(),
        outcomes[0].digest_hex().unwrap_or_default()
    );
    Ok(Run {
        engine: kind,
        outcomes,
    })
}

fn main() -> ExitCode {
    let kinds = BackendKind::compiled_in();
    let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
    println!("engines compiled in: {}", names.join(", "));
    let mut runs = Vec::new();
    for kind in kinds {
        match run_node(kind) {
            Ok(run) => runs.push(run),
            Err(Mismatch(what)) => {
                eprintln!("FAILED: {what}");
                return ExitCode::FAILURE;
            }
        }
    }
    // Several engines: every outcome, digest for digest.
    if let Some((first, rest)) = runs.split_first() {
        for run in rest {
            for (a, b) in first.outcomes.iter().zip(&run.outcomes) {
                if !outcomes_agree([a, b]) {
                    eprintln!(
                        "FAILED: {} and {} diverge: {a:?} / {b:?}",
                        first.engine, run.engine
                    );
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    println!("ok");
    ExitCode::SUCCESS
}
