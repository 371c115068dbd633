//! The corpus's session cases: scripts over the session guest
//! (`guests/session/actor.wat`) and small inline modules, each with the
//! trace, mailboxes and storage `docs/SESSIONS.md` implies, written from
//! the contract (gas from the [`GasSchedule`]), never copied from a run.
//!
//! They run in `conformance suite` ([`super::suite`]) and in
//! `tests/sessions.rs` (one test per case and backend, plus an agreement
//! test per case).

use runtime::{Envelope, ExecutionContext, GasSchedule, SessionLimits};

use super::expect::letter;
pub use super::expect::{SessionCase, StepExpect};
use super::{Script, ScriptModule, ScriptStep};
use crate::expect::Expect;
use crate::runner::guest_bytes;

/// The corpus's session guest.
pub fn actor() -> Vec<u8> {
    wasm(include_str!("../../guests/session/actor.wat"))
}

fn wasm(text: &str) -> Vec<u8> {
    guest_bytes(text.as_bytes()).unwrap_or_else(|e| panic!("session guest does not parse: {e}"))
}

fn module(name: &str, wasm: Vec<u8>) -> ScriptModule {
    ScriptModule {
        name: name.to_owned(),
        guest: "(inline)".into(),
        wasm,
    }
}

fn actors(names: &[&str]) -> Vec<ScriptModule> {
    names.iter().map(|n| module(n, actor())).collect()
}

/// `send_input` records: `[to_len][to][data_len][data]` each.
fn records(messages: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut input = Vec::new();
    for (to, data) in messages {
        input.push(u8::try_from(to.len()).unwrap_or(u8::MAX));
        input.extend_from_slice(to);
        input.push(u8::try_from(data.len()).unwrap_or(u8::MAX));
        input.extend_from_slice(data);
    }
    input
}

fn invoke(module: &str, call: &str, input: &[u8]) -> ScriptStep {
    ScriptStep::Invoke {
        module: module.to_owned(),
        call: call.to_owned(),
        args: None,
        context: ExecutionContext::with_input(input.to_vec()),
    }
}

fn invoke_gas(module: &str, call: &str, gas: u64) -> ScriptStep {
    ScriptStep::Invoke {
        module: module.to_owned(),
        call: call.to_owned(),
        args: None,
        context: ExecutionContext::default().gas(gas),
    }
}

fn send(module: &str, messages: &[(&[u8], &[u8])]) -> ScriptStep {
    invoke(module, "send_input", &records(messages))
}

fn pump(handler: &str, max_steps: u64) -> ScriptStep {
    ScriptStep::Pump {
        handler: handler.to_owned(),
        max_steps,
        context: ExecutionContext::default(),
    }
}

fn script(modules: Vec<ScriptModule>, steps: Vec<ScriptStep>) -> Script {
    Script {
        modules,
        steps,
        limits: SessionLimits::default(),
    }
}

fn count(n: u64) -> Vec<u8> {
    n.to_le_bytes().to_vec()
}

fn empty(names: &[&'static str]) -> Vec<(&'static str, Vec<Envelope>)> {
    names.iter().map(|n| (*n, Vec::new())).collect()
}

/// Every session case, with expectations under `schedule` (the default one
/// in the CLI and tests).
pub fn session_cases(schedule: &GasSchedule) -> Vec<SessionCase> {
    use StepExpect as S;
    let mut cases = vec![
        // Delivery follows the global send order across mailboxes, whoever
        // sent and in whatever order the mailboxes were filled.
        SessionCase {
            name: "session.ordering_interleaved",
            script: script(
                actors(&["a", "b", "c", "d"]),
                vec![
                    send("a", &[(b"c", b"a1"), (b"d", b"a2")]),
                    send("b", &[(b"c", b"b1")]),
                    send("a", &[(b"d", b"a3"), (b"c", b"a4")]),
                    pump("on_message", 10),
                ],
            ),
            pre_state: Vec::new(),
            steps: vec![
                S::invoke("a", "send_input").sends(&[("c", b"a1"), ("d", b"a2")]),
                S::invoke("b", "send_input").sends(&[("c", b"b1")]),
                S::invoke("a", "send_input").sends(&[("d", b"a3"), ("c", b"a4")]),
                S::pump("c", "on_message").returns(*b"a1"),
                S::pump("d", "on_message").returns(*b"a2"),
                S::pump("c", "on_message").returns(*b"b1"),
                S::pump("d", "on_message").returns(*b"a3"),
                S::pump("c", "on_message").returns(*b"a4"),
            ],
            mailboxes: empty(&["a", "b", "c", "d"]),
            storage: Vec::new(),
        },
        // A handler that returns without consuming, traps, or is missing:
        // each time the message is dead-lettered; the next is delivered.
        SessionCase {
            name: "session.dead_letters",
            script: script(
                actors(&["a", "c"]),
                vec![
                    send(
                        "a",
                        &[(b"c", b"x"), (b"c", b"y"), (b"c", b"z"), (b"c", b"w")],
                    ),
                    pump("ignore", 1),
                    pump("recv_trap", 1),
                    pump("missing", 1),
                    pump("on_message", 5),
                ],
            ),
            pre_state: Vec::new(),
            steps: vec![
                S::invoke("a", "send_input").sends(&[
                    ("c", b"x"),
                    ("c", b"y"),
                    ("c", b"z"),
                    ("c", b"w"),
                ]),
                S::pump("c", "ignore").dead(0, "a", "c", b"x"),
                S::pump("c", "recv_trap")
                    .traps("Unreachable")
                    .dead(1, "a", "c", b"y"),
                S::pump("c", "missing")
                    .fails(Expect::rejected("MissingExport").gas(0))
                    .dead(2, "a", "c", b"z"),
                S::pump("c", "on_message").returns(*b"w"),
            ],
            mailboxes: empty(&["a", "c"]),
            storage: Vec::new(),
        },
        // A mailbox of 2: the third message is MailboxFull for the sender,
        // counting what is queued and what the execution already sent.
        SessionCase {
            name: "session.mailbox_full",
            script: Script {
                limits: SessionLimits {
                    max_mailbox_len: 2,
                    ..SessionLimits::default()
                },
                ..script(
                    actors(&["a", "c"]),
                    vec![
                        send("a", &[(b"c", b"1"), (b"c", b"2"), (b"c", b"3")]),
                        send("a", &[(b"c", b"1"), (b"c", b"2")]),
                        send("a", &[(b"c", b"3")]),
                        invoke("c", "on_message", b""),
                        send("a", &[(b"c", b"3")]),
                        send("c", &[(b"c", b"4")]),
                    ],
                )
            },
            pre_state: Vec::new(),
            steps: vec![
                S::invoke("a", "send_input").host_error("MailboxFull"),
                S::invoke("a", "send_input").sends(&[("c", b"1"), ("c", b"2")]),
                S::invoke("a", "send_input").host_error("MailboxFull"),
                S::invoke("c", "on_message").returns(*b"1"),
                S::invoke("a", "send_input").sends(&[("c", b"3")]),
                S::invoke("c", "send_input").host_error("MailboxFull"),
            ],
            mailboxes: vec![
                ("a", vec![]),
                (
                    "c",
                    vec![letter(1, "a", "c", b"2"), letter(2, "a", "c", b"3")],
                ),
            ],
            storage: Vec::new(),
        },
        // UnknownModule: no such module, an empty name, a name of 65
        // bytes, a name that is not UTF-8, a module unloaded. The messages
        // sent before the failing send are dropped with it.
        SessionCase {
            name: "session.unknown_receiver",
            script: script(
                actors(&["a", "c"]),
                vec![
                    send("a", &[(b"nobody", b"x")]),
                    send("a", &[(b"c", b"ok"), (b"", b"x")]),
                    send("a", &[(&[b'c'; 65], b"x")]),
                    send("a", &[(b"\xff", b"x")]),
                    ScriptStep::Unload("c".into()),
                    send("a", &[(b"c", b"x")]),
                ],
            ),
            pre_state: Vec::new(),
            steps: vec![
                S::invoke("a", "send_input").host_error("UnknownModule"),
                S::invoke("a", "send_input").host_error("UnknownModule"),
                S::invoke("a", "send_input").host_error("UnknownModule"),
                S::invoke("a", "send_input").host_error("UnknownModule"),
                S::invoke("a", "send_input").host_error("UnknownModule"),
            ],
            mailboxes: empty(&["a"]),
            storage: Vec::new(),
        },
        // A sender that traps: its message and its storage write are
        // dropped, and the message takes no sequence number.
        SessionCase {
            name: "session.failing_sender_dropped",
            script: script(
                actors(&["a", "c"]),
                vec![
                    invoke("a", "send_then_trap", &records(&[(b"c", b"lost")])),
                    invoke("c", "pending", b""),
                    send("a", &[(b"c", b"kept")]),
                ],
            ),
            pre_state: Vec::new(),
            steps: vec![
                S::invoke("a", "send_then_trap").traps("Unreachable"),
                S::invoke("c", "pending").returns(count(0)),
                S::invoke("a", "send_input").sends(&[("c", b"kept")]),
            ],
            mailboxes: vec![("a", vec![]), ("c", vec![letter(0, "a", "c", b"kept")])],
            storage: Vec::new(),
        },
        // A receiver that pops and traps: the pop is undone (the message
        // stays at the head); pump then dead-letters it, and the next one
        // is delivered.
        SessionCase {
            name: "session.failing_receiver_pop_undone",
            script: script(
                actors(&["a", "c"]),
                vec![
                    send("a", &[(b"c", b"m1"), (b"c", b"m2")]),
                    invoke("c", "recv_trap", b""),
                    invoke("c", "pending", b""),
                    pump("recv_trap", 1),
                    invoke("c", "pending", b""),
                    pump("on_message", 10),
                ],
            ),
            pre_state: Vec::new(),
            steps: vec![
                S::invoke("a", "send_input").sends(&[("c", b"m1"), ("c", b"m2")]),
                S::invoke("c", "recv_trap").traps("Unreachable"),
                S::invoke("c", "pending").returns(count(2)),
                S::pump("c", "recv_trap")
                    .traps("Unreachable")
                    .dead(0, "a", "c", b"m1"),
                S::invoke("c", "pending").returns(count(1)),
                S::pump("c", "on_message").returns(*b"m2"),
            ],
            mailboxes: empty(&["a", "c"]),
            storage: Vec::new(),
        },
        // The same key in two modules: each sees its own, its changes are
        // unprefixed, the store holds both under their prefixes, and a key
        // outside every namespace is visible to none.
        SessionCase {
            name: "session.storage_isolation",
            script: script(
                actors(&["a", "b"]),
                vec![
                    invoke("a", "read", b""),
                    invoke("b", "read", b""),
                    invoke("a", "write", b"v-a"),
                    invoke("b", "write", b"v-b"),
                    invoke("a", "read", b""),
                    invoke("b", "read", b""),
                ],
            ),
            pre_state: vec![
                (b"k".to_vec(), b"outside".to_vec()),
                (b"\x01ak".to_vec(), b"old-a".to_vec()),
            ],
            steps: vec![
                S::invoke("a", "read").returns(*b"old-a"),
                S::invoke("b", "read"),
                S::invoke("a", "write").changes(&[(b"k", b"v-a")]),
                S::invoke("b", "write").changes(&[(b"k", b"v-b")]),
                S::invoke("a", "read").returns(*b"v-a"),
                S::invoke("b", "read").returns(*b"v-b"),
            ],
            mailboxes: empty(&["a", "b"]),
            storage: vec![
                (b"\x01ak".to_vec(), b"v-a".to_vec()),
                (b"\x01bk".to_vec(), b"v-b".to_vec()),
                (b"k".to_vec(), b"outside".to_vec()),
            ],
        },
        // Message size and count limits.
        SessionCase {
            name: "session.message_limits",
            script: Script {
                limits: SessionLimits {
                    max_message_len: 4,
                    max_messages_per_execution: 2,
                    ..SessionLimits::default()
                },
                ..script(
                    actors(&["a", "c"]),
                    vec![
                        send("a", &[(b"c", b"12345")]),
                        send("a", &[(b"c", b"1234"), (b"c", b""), (b"c", b"x")]),
                        send("a", &[(b"c", b"1234"), (b"c", b"")]),
                    ],
                )
            },
            pre_state: Vec::new(),
            steps: vec![
                S::invoke("a", "send_input").host_error("MessageTooLarge"),
                S::invoke("a", "send_input").host_error("TooManyMessages"),
                S::invoke("a", "send_input").sends(&[("c", b"1234"), ("c", b"")]),
            ],
            mailboxes: vec![
                ("a", vec![]),
                (
                    "c",
                    vec![letter(0, "a", "c", b"1234"), letter(1, "a", "c", b"")],
                ),
            ],
            storage: Vec::new(),
        },
        // recv puts the sender's name in the first register; pump runs at
        // most max_pump_steps steps whatever it is asked.
        SessionCase {
            name: "session.sender_and_pump_bound",
            script: Script {
                limits: SessionLimits {
                    max_pump_steps: 2,
                    ..SessionLimits::default()
                },
                ..script(
                    actors(&["a", "b", "c"]),
                    vec![
                        send(
                            "b",
                            &[(b"c", b"hi"), (b"c", b"x"), (b"c", b"y"), (b"c", b"z")],
                        ),
                        invoke("c", "sender", b""),
                        pump("on_message", 100),
                        invoke("c", "pending", b""),
                        pump("on_message", 0),
                    ],
                )
            },
            pre_state: Vec::new(),
            steps: vec![
                S::invoke("b", "send_input").sends(&[
                    ("c", b"hi"),
                    ("c", b"x"),
                    ("c", b"y"),
                    ("c", b"z"),
                ]),
                S::invoke("c", "sender").returns(*b"b"),
                S::pump("c", "on_message").returns(*b"x"),
                S::pump("c", "on_message").returns(*b"y"),
                S::invoke("c", "pending").returns(count(1)),
            ],
            mailboxes: vec![
                ("a", vec![]),
                ("b", vec![]),
                ("c", vec![letter(3, "b", "c", b"z")]),
            ],
            storage: Vec::new(),
        },
        // A handler that sends (to itself) without consuming: each step
        // dead-letters the delivered message, and the message it sent is
        // numbered after everything queued before and delivered next.
        SessionCase {
            name: "session.handler_sends_during_pump",
            script: script(
                actors(&["a", "b"]),
                vec![
                    send("b", &[(b"a", b"0"), (b"b", b"1")]),
                    ScriptStep::Pump {
                        handler: "send_input".into(),
                        max_steps: 3,
                        context: ExecutionContext::with_input(records(&[(b"a", b"r")])),
                    },
                ],
            ),
            pre_state: Vec::new(),
            steps: vec![
                S::invoke("b", "send_input").sends(&[("a", b"0"), ("b", b"1")]),
                S::pump("a", "send_input")
                    .sends(&[("a", b"r")])
                    .dead(0, "b", "a", b"0"),
                S::pump("b", "send_input")
                    .sends(&[("a", b"r")])
                    .dead(1, "b", "b", b"1"),
                S::pump("a", "send_input")
                    .sends(&[("a", b"r")])
                    .dead(2, "a", "a", b"r"),
            ],
            mailboxes: vec![
                (
                    "a",
                    vec![letter(3, "b", "a", b"r"), letter(4, "a", "a", b"r")],
                ),
                ("b", vec![]),
            ],
            storage: Vec::new(),
        },
    ];
    cases.push(gas_case(schedule));
    cases
}

/// Gas: `send` charges its base, then per byte of the receiver's name and
/// the data; running out inside it is `GasExhausted` with the message
/// dropped. `recv` and `pending` charge their base, `recv` per byte put in
/// the registers.
fn gas_case(s: &GasSchedule) -> SessionCase {
    use StepExpect as S;
    let o = &s.operators;
    let sender = wasm(
        r#"(module
            (import "session" "send" (func $send (param i64 i64 i64 i64)))
            (memory (export "memory") 1)
            (data (i32.const 0) "sink")
            (func (export "go") (call $send (i64.const 4) (i64.const 0) (i64.const 100) (i64.const 0))))"#,
    );
    let sink = wasm(
        r#"(module
            (import "session" "recv" (func $recv (param i64 i64) (result i64)))
            (import "session" "pending" (func $pending (result i64)))
            (func (export "take") (drop (call $recv (i64.const 0) (i64.const 1))))
            (func (export "count") (drop (call $pending))))"#,
    );
    // go: four constants and a call, one basic block; then the send.
    let go =
        4 * o.simple + o.call + s.send_base + (4 + 100) * (s.memory_read_byte + s.message_byte);
    let take = 3 * o.simple + o.call + s.recv_base;
    let count = o.simple + o.call + s.pending_base;
    let mut data = b"sink".to_vec();
    data.resize(100, 0);
    SessionCase {
        name: "session.gas",
        script: script(
            vec![module("s", sender), module("sink", sink)],
            vec![
                invoke_gas("s", "go", go - 1),
                invoke_gas("s", "go", go),
                invoke("sink", "count", b""),
                invoke("sink", "take", b""),
                invoke("sink", "take", b""),
            ],
        ),
        pre_state: Vec::new(),
        steps: vec![
            S::invoke("s", "go").fails(Expect::trap("GasExhausted").gas(go - 1)),
            S::invoke("s", "go").sends(&[("sink", &data)]).gas(go),
            S::invoke("sink", "count").gas(count),
            // The sender's name "s" and the 100 bytes into the registers.
            S::invoke("sink", "take").gas(take + (1 + 100) * s.register_byte),
            // The mailbox is empty: the base alone.
            S::invoke("sink", "take").gas(take),
        ],
        mailboxes: empty(&["s", "sink"]),
        storage: Vec::new(),
    }
}

/// Checks that every case name is unique and starts with `session.`.
///
/// # Errors
///
/// The first offending name.
pub fn check_names(cases: &[SessionCase]) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for case in cases {
        if !case.name.starts_with("session.") || !seen.insert(case.name) {
            return Err(format!("bad or duplicate session case name {}", case.name));
        }
    }
    Ok(())
}
