//! The `Session` API through the facade, on every engine compiled in (so
//! each engine feature alone runs it too): the contract of
//! `docs/SESSIONS.md` from an embedder's side, and equal session digests
//! on every engine.

#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly; it has no caller to return errors to"
)]

use std::sync::Arc;

use runtime::{
    BackendKind, ExecutionContext, HostError, InMemoryStorage, ModuleRegistry, RuntimeError,
    Session, SessionLimits, Status, Storage,
};

const SENDER: &str = r#"(module
    (import "session" "send" (func $send (param i64 i64 i64 i64)))
    (import "env" "storage_write" (func $write (param i64 i64 i64 i64 i64) (result i64)))
    (memory (export "memory") 1)
    (data (i32.const 0) "sinkhello")
    (func (export "go")
      (drop (call $write (i64.const 1) (i64.const 4) (i64.const 4) (i64.const 5) (i64.const 0)))
      (call $send (i64.const 4) (i64.const 0) (i64.const 5) (i64.const 4)))
    (func (export "go_and_trap")
      (call $send (i64.const 4) (i64.const 0) (i64.const 5) (i64.const 4))
      (unreachable)))"#;

const SINK: &str = r#"(module
    (import "session" "recv" (func $recv (param i64 i64) (result i64)))
    (import "session" "pending" (func $pending (result i64)))
    (import "env" "read_register" (func $read (param i64 i64)))
    (import "env" "register_len" (func $len (param i64) (result i64)))
    (import "env" "value_return" (func $ret (param i64 i64)))
    (memory (export "memory") 1)
    (func (export "on_message")
      (if (i32.wrap_i64 (call $recv (i64.const 0) (i64.const 1)))
        (then
          (call $read (i64.const 0) (i64.const 0))
          (call $read (i64.const 1) (call $len (i64.const 0)))
          (call $ret (i64.add (call $len (i64.const 0)) (call $len (i64.const 1))) (i64.const 0)))))
    (func (export "pending")
      (i64.store (i32.const 0) (call $pending))
      (call $ret (i64.const 8) (i64.const 0))))"#;

fn session(kind: BackendKind) -> Session {
    let runtime = kind.builder().unwrap().session().build().unwrap();
    let mut session = Session::new(runtime, Arc::new(InMemoryStorage::new())).unwrap();
    session
        .load("sender", &wat::parse_str(SENDER).unwrap())
        .unwrap();
    session
        .load("sink", &wat::parse_str(SINK).unwrap())
        .unwrap();
    session
}

#[test]
fn a_session_delivers_commits_and_digests_alike_on_every_engine() {
    let mut digests = Vec::new();
    for kind in BackendKind::compiled_in() {
        let mut s = session(kind);
        let cx = ExecutionContext::default();
        // A failing sender commits nothing.
        let failed = s.invoke("sender", "go_and_trap", &cx).unwrap();
        assert_eq!(failed.status(), Status::Trap);
        assert!(failed.messages.is_empty());
        assert_eq!(s.pending("sink"), Some(0));
        // An ok sender commits its write (unprefixed in the outcome,
        // prefixed in the store) and its message.
        let sent = s.invoke("sender", "go", &cx).unwrap();
        assert_eq!(sent.status(), Status::Ok);
        assert_eq!(sent.changes[0].key, b"h");
        assert_eq!(sent.messages[0].to, "sink");
        assert_eq!(sent.messages[0].data, b"hello");
        assert_eq!(
            s.storage().get(b"\x06senderh").unwrap(),
            Some(b"ello".to_vec())
        );
        assert_eq!(
            s.module_storage("sender").unwrap().get(b"h").unwrap(),
            Some(b"ello".to_vec())
        );
        assert_eq!(s.module_storage("sink").unwrap().get(b"h").unwrap(), None);
        let pending = s.invoke("sink", "pending", &cx).unwrap();
        assert_eq!(pending.return_data, 1u64.to_le_bytes());
        let steps = s.pump("on_message", 10).unwrap();
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].module, "sink");
        assert_eq!(steps[0].outcome.return_data, b"senderhello");
        assert!(steps[0].dead_letters.is_empty());
        assert_eq!(s.trace().len(), 4);
        digests.push(s.digest().unwrap());
    }
    assert!(digests.windows(2).all(|w| w[0] == w[1]), "{digests:?}");
}

#[test]
fn unload_drops_the_mailbox_and_keeps_the_storage() {
    let kind = BackendKind::compiled_in()[0];
    let mut s = session(kind);
    let cx = ExecutionContext::default();
    s.invoke("sender", "go", &cx).unwrap();
    let dropped = s.unload("sink").unwrap();
    assert_eq!(dropped.len(), 1);
    assert_eq!((dropped[0].seq, dropped[0].from.as_str()), (0, "sender"));
    let after = s.invoke("sender", "go", &cx).unwrap();
    assert_eq!(after.error, Some(HostError::UnknownModule.into()));
    s.unload("sender").unwrap();
    // The storage of an unloaded module stays; loading it again sees it.
    assert_eq!(
        s.module_storage("sender").unwrap().get(b"h").unwrap(),
        Some(b"ello".to_vec())
    );
    assert!(s.modules().next().is_none());
    assert!(matches!(s.unload("sender"), Err(RuntimeError::Registry(_))));
}

#[test]
fn misuse_is_a_typed_error() {
    let kind = BackendKind::compiled_in()[0];
    // A runtime without the session functions.
    let plain = kind.runtime().unwrap();
    assert!(matches!(
        Session::new(plain, Arc::new(InMemoryStorage::new())),
        Err(RuntimeError::InvalidConfig(_))
    ));
    let mut s = session(kind);
    let empty = wat::parse_str("(module)").unwrap();
    for name in ["", &"x".repeat(65), "sink"] {
        assert!(
            matches!(s.load(name, &empty), Err(RuntimeError::Registry(_))),
            "{name:?}"
        );
    }
    let rejected = s.load("bad", b"not wasm").unwrap_err();
    assert!(rejected.to_string().contains("rejected"), "{rejected}");
    assert!(matches!(
        s.invoke("nobody", "go", &ExecutionContext::default()),
        Err(RuntimeError::Registry(_))
    ));
    let with_data = ExecutionContext::default().with_data(Arc::new(1u8));
    assert!(matches!(
        s.invoke("sender", "go", &with_data),
        Err(RuntimeError::InvalidConfig(_))
    ));
    // Nothing of the refused calls entered the trace.
    assert!(s.trace().is_empty());
    // Declaring the session functions twice is a configuration error.
    let mut functions = runtime::HostFunctions::abi();
    functions
        .define("session", "send", runtime::FuncSig::default(), 0, |_, _| {
            Ok(vec![])
        })
        .unwrap();
    let twice = kind
        .builder()
        .unwrap()
        .host_functions(functions)
        .session()
        .build();
    assert!(matches!(twice, Err(RuntimeError::InvalidConfig(_))));
}

#[test]
fn modules_come_from_a_registry_of_the_same_runtime() {
    let kind = BackendKind::compiled_in()[0];
    let runtime = kind.builder().unwrap().session().build().unwrap();
    let registry = ModuleRegistry::new(runtime.clone());
    registry
        .load("sink", &wat::parse_str(SINK).unwrap())
        .unwrap();
    let mut s = Session::new(runtime, Arc::new(InMemoryStorage::new()))
        .unwrap()
        .with_limits(SessionLimits {
            max_pump_steps: 1,
            ..SessionLimits::default()
        });
    s.load_module("sink", registry.get("sink").unwrap())
        .unwrap();
    assert_eq!(s.modules().collect::<Vec<_>>(), ["sink"]);
    // A module of another runtime is refused.
    let other = kind.builder().unwrap().session().build().unwrap();
    let foreign = Arc::new(other.compile(other.prepare(&wat::parse_str(SINK).unwrap()).unwrap()));
    assert!(matches!(
        s.load_module("x", foreign),
        Err(RuntimeError::ModuleMismatch(_))
    ));
}
