//! Generated sessions: two or three generated session guests
//! ([`abi::generate_session`]) named `m0`, `m1`, `m2`, invoked in a random
//! order with random inputs and gas, sometimes unloaded and loaded again,
//! with pumps in between and at the end, sometimes under small limits;
//! the backends' session digests are compared.

use std::panic::{AssertUnwindSafe, catch_unwind};

use runtime::{ExecutionContext, SessionLimits};
use serde_json::{Value, json};

use super::abi::{self, Bytes};
use super::{Divergence, Fuzzer, Generator};
use crate::session::{Script, ScriptModule, ScriptStep, agree, report};

/// A generated session from `b`.
pub fn script(b: &mut Bytes<'_>) -> Script {
    let count = 2 + usize::from(b.byte() % 2);
    let modules: Vec<ScriptModule> = (0..count)
        .map(|i| ScriptModule {
            name: format!("m{i}"),
            guest: format!("m{i}.wasm"),
            wasm: abi::generate_session(b, count),
        })
        .collect();
    let limits = if b.byte().is_multiple_of(4) {
        SessionLimits {
            max_message_len: 16,
            max_messages_per_execution: 2,
            max_mailbox_len: 1,
            max_pump_steps: 8,
        }
    } else {
        SessionLimits {
            max_pump_steps: 32,
            ..SessionLimits::default()
        }
    };
    let context = |b: &mut Bytes<'_>| {
        let mut context =
            ExecutionContext::with_input((0..b.byte() % 16).map(|_| b.byte()).collect::<Vec<_>>());
        context.seed = std::array::from_fn(|_| b.byte());
        context.timestamp_ns = b.u64() % 1_000_000;
        // Mostly enough gas; one in four runs out somewhere in the middle.
        context.limits.gas = if b.byte().is_multiple_of(4) {
            b.u64() % 20_000
        } else {
            200_000 + b.u64() % 2_000_000
        };
        context
    };
    let mut loaded: Vec<bool> = vec![true; count];
    let mut steps = Vec::new();
    for _ in 0..1 + b.byte() % 6 {
        let i = usize::from(b.byte()) % count;
        let name = format!("m{i}");
        match b.byte() % 10 {
            0 if loaded[i] => {
                loaded[i] = false;
                steps.push(ScriptStep::Unload(name));
            }
            0 => {
                loaded[i] = true;
                steps.push(ScriptStep::Load(modules[i].clone()));
            }
            1..=2 => steps.push(ScriptStep::Pump {
                handler: "on_message".into(),
                max_steps: 1 + u64::from(b.byte() % 8),
                context: context(b),
            }),
            _ if loaded[i] => steps.push(ScriptStep::Invoke {
                module: name,
                call: if b.byte().is_multiple_of(4) {
                    "on_message"
                } else {
                    "main"
                }
                .into(),
                args: None,
                context: context(b),
            }),
            _ => {}
        }
    }
    steps.push(ScriptStep::Pump {
        handler: "on_message".into(),
        max_steps: 16,
        context: context(b),
    });
    Script {
        modules,
        steps,
        limits,
    }
}

/// The script as `conformance session` reads it, guests named as in
/// [`ScriptModule::guest`] (`m0.wasm`, ...) in the script's folder, with
/// the extension keys `limits` and `load`; and the module files.
pub fn reproducer(script: &Script) -> (Value, Vec<(String, Vec<u8>)>) {
    let file = |m: &ScriptModule| m.guest.clone();
    let context_json = |c: &ExecutionContext, mut step: serde_json::Map<String, Value>| {
        step.insert("seed".into(), json!(hex::encode(c.seed)));
        step.insert("time_ns".into(), json!(c.timestamp_ns));
        step.insert("gas".into(), json!(c.limits.gas));
        Value::Object(step)
    };
    let steps: Vec<Value> = script
        .steps
        .iter()
        .map(|s| match s {
            ScriptStep::Invoke {
                module,
                call,
                context,
                ..
            } => context_json(
                context,
                json!({"invoke": module, "call": call, "input_hex": hex::encode(&context.input)})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            ),
            ScriptStep::Pump {
                handler,
                max_steps,
                context,
            } => context_json(
                context,
                json!({"pump": handler, "max_steps": max_steps})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            ),
            ScriptStep::Load(m) => json!({"load": m.name, "guest": file(m)}),
            ScriptStep::Unload(name) => json!({"unload": name}),
        })
        .collect();
    let limits = &script.limits;
    let value = json!({
        "modules": script.modules.iter().map(|m| json!({"name": m.name, "guest": file(m)})).collect::<Vec<_>>(),
        "limits": {
            "max_message_len": limits.max_message_len,
            "max_messages_per_execution": limits.max_messages_per_execution,
            "max_mailbox_len": limits.max_mailbox_len,
            "max_pump_steps": limits.max_pump_steps,
        },
        "steps": steps,
    });
    let files = script
        .modules
        .iter()
        .map(|m| (file(m), m.wasm.clone()))
        .collect();
    (value, files)
}

impl Fuzzer {
    /// One generated session from `data`, on every backend, session
    /// digests compared.
    ///
    /// # Errors
    ///
    /// The [`Divergence`] (a host panic or an infrastructure error
    /// included); its reproducer is a script for `conformance session`.
    pub fn session_case(&self, data: &[u8]) -> Result<(), Divergence> {
        let script = script(&mut Bytes::new(data));
        let runs = catch_unwind(AssertUnwindSafe(|| self.sessions.run(&script, &[])));
        let detail = match runs {
            Err(_) => Some("a backend panicked".to_owned()),
            Ok(Err(e)) => Some(format!("cannot run: {e}")),
            Ok(Ok(runs)) if !agree(&runs) => {
                Some(format!("session digests differ\n{}", report::json(&runs)))
            }
            Ok(Ok(_)) => None,
        };
        match detail {
            None => Ok(()),
            Some(detail) => {
                let (value, files) = reproducer(&script);
                Err(Divergence {
                    generator: Generator::Session,
                    wasm: value.to_string().into_bytes(),
                    detail,
                    files,
                })
            }
        }
    }
}
