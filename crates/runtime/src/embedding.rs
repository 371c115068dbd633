//! Embedding the runtime, by example: each piece runs here on every engine
//! compiled in. (Documentation only; the items are the crate root's.)
//!
//! # Your own host functions
//!
//! [`HostFunctions::define`](crate::HostFunctions::define) declares a
//! function once, engine-neutral: an import module (any but `env`, the
//! guest ABI's), a name, a [`FuncSig`](crate::FuncSig) over `i32`, `i64`,
//! `f32` and `f64`, a base gas cost and a closure. The closure gets a
//! [`HostContext`](crate::HostContext): checked guest memory, gas,
//! registers, storage through the execution's overlay, logs, events and the
//! embedder's data. Every backend links the set the same way as the ABI's
//! own table; preparation rejects an unknown import (`UnknownImport`) or a
//! wrong signature (`MistypedImport`), and the set is part of the prepared
//! module's cache key.
//!
//! ```
//! use std::sync::Arc;
//! use runtime::{
//!     BackendKind, ExecutionContext, FuncSig, HostFnError, HostFunctions, InMemoryStorage,
//!     Status, ValType::I64, WasmValue, outcomes_agree,
//! };
//!
//! /// The node's shared state, handed to host functions per execution.
//! struct Node {
//!     greeting: String,
//! }
//!
//! let mut functions = HostFunctions::abi();
//! // `node::greet(ptr, len, register)`: reads a name from guest memory and
//! // puts "<greeting>, <name>" into a register; returns its length.
//! functions.define("node", "greet", FuncSig::new([I64, I64, I64], [I64]), 100, |cx, args| {
//!     let [ptr, len, register] = [0, 1, 2].map(|i| args[i].as_u64().unwrap_or_default());
//!     cx.check_memory(ptr, len)?; // bounds first,
//!     cx.charge_gas(len)?; //        then gas per byte, then the work
//!     let name = String::from_utf8(cx.read_memory(ptr, len)?)
//!         .map_err(|_| HostFnError::new("the name is not UTF-8"))?;
//!     let greeting = &cx.data::<Node>().ok_or_else(|| HostFnError::new("no node"))?.greeting;
//!     let text = format!("{greeting}, {name}");
//!     cx.log(format!("greeted {name}"))?;
//!     cx.set_register(register, text.clone().into_bytes())?;
//!     Ok(vec![WasmValue::I64(text.len() as i64)])
//! })?;
//! functions.define("node", "explode", FuncSig::default(), 0, |_, _| panic!("boom"))?;
//!
//! let wasm = wat::parse_str(r#"
//!   (module
//!     (import "node" "greet" (func $greet (param i64 i64 i64) (result i64)))
//!     (import "node" "explode" (func $explode))
//!     (import "env" "read_register" (func $read_register (param i64 i64)))
//!     (import "env" "value_return" (func $return (param i64 i64)))
//!     (memory (export "memory") 1)
//!     (data (i32.const 0) "Ada")
//!     (func (export "main") (local $len i64)
//!       (local.set $len (call $greet (i64.const 0) (i64.const 3) (i64.const 7)))
//!       (call $read_register (i64.const 7) (i64.const 64))
//!       (call $return (local.get $len) (i64.const 64)))
//!     (func (export "bad_pointer") (drop (call $greet (i64.const 65535) (i64.const 2) (i64.const 7))))
//!     (func (export "explode") (call $explode)))
//! "#)?;
//! let context = ExecutionContext::default()
//!     .with_data(Arc::new(Node { greeting: "Hello".into() }));
//! let mut outcomes = Vec::new();
//! for kind in BackendKind::compiled_in() {
//!     let runtime = kind.builder()?.host_functions(functions.clone()).build()?;
//!     let module = runtime.compile(runtime.prepare(&wasm)?);
//!     let storage = Arc::new(InMemoryStorage::new());
//!     let outcome = runtime.execute(&module, "main", &context, storage.clone())?;
//!     assert_eq!(outcome.return_data, b"Hello, Ada");
//!     assert_eq!(outcome.logs, ["greeted Ada"]);
//!
//!     // Out of bounds is the ABI's own error, on every engine.
//!     let bad = runtime.execute(&module, "bad_pointer", &context, storage.clone())?;
//!     assert_eq!(bad.error.unwrap().kind_name(), "MemoryAccessViolation");
//!     // A panic is caught: a non-deterministic outcome, never a crash.
//!     let panicked = runtime.execute(&module, "explode", &context, storage)?;
//!     assert_eq!(panicked.status(), Status::NonDeterministic);
//!     assert_eq!(panicked.error.unwrap().message(), "node::explode panicked: boom");
//!     outcomes.push(outcome);
//! }
//! assert!(outcomes_agree(&outcomes));
//!
//! // A runtime without `node::greet` rejects the guest before compiling it.
//! let plain = BackendKind::compiled_in()[0].runtime()?;
//! assert_eq!(plain.prepare(&wasm).unwrap_err().kind.name(), "UnknownImport");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! An embedder error ([`HostFnError::new`](crate::HostFnError::new)) ends
//! the execution with status `host_error`, kind `Embedder` and the message,
//! which enters the digest; like every error, it rolls storage back, drops
//! events and keeps logs.
//!
//! # Typed calls
//!
//! [`Runtime::call`](crate::Runtime::call) calls any export whose
//! parameters and results are numbers, through the same metered,
//! host-linked path as an ABI call; the results are in
//! [`Outcome::results`](crate::Outcome::results) and in the digest.
//!
//! ```
//! use std::sync::Arc;
//! use runtime::{BackendKind, ExecutionContext, InMemoryStorage, Status, WasmValue};
//!
//! let wasm = wat::parse_str(r#"
//!   (module
//!     (func (export "scale") (param f64 i32) (result f64)
//!       (f64.mul (local.get 0) (f64.convert_i32_s (local.get 1))))
//!     (func (export "div") (param i64 i64) (result i64) (i64.div_s (local.get 0) (local.get 1))))
//! "#)?;
//! for kind in BackendKind::compiled_in() {
//!     let runtime = kind.runtime()?;
//!     let module = runtime.compile(runtime.prepare(&wasm)?);
//!     let storage = Arc::new(InMemoryStorage::new());
//!     let ctx = ExecutionContext::default().gas(10_000);
//!
//!     let args = [WasmValue::F64(1.25f64.to_bits()), WasmValue::I32(4)];
//!     let outcome = runtime.call(&module, "scale", &args, &ctx, storage.clone())?;
//!     assert_eq!(outcome.results, [WasmValue::F64(5.0f64.to_bits())]);
//!
//!     // Wrong arity or types: a rejection naming the signature.
//!     let wrong = runtime.call(&module, "scale", &[WasmValue::I32(4)], &ctx, storage.clone())?;
//!     assert_eq!(wrong.status(), Status::Rejected);
//!     assert!(wrong.error.unwrap().message().contains("[f64, i32] -> [f64]"));
//!
//!     // A trap inside a typed call consumes all gas (ABI 1.1).
//!     let zero = [WasmValue::I64(1), WasmValue::I64(0)];
//!     let trapped = runtime.call(&module, "div", &zero, &ctx, storage)?;
//!     assert_eq!(trapped.error.unwrap().kind_name(), "IntegerDivisionByZero");
//!     assert_eq!(trapped.gas_used, 10_000);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The module registry
//!
//! A [`ModuleRegistry`](crate::ModuleRegistry) holds modules of one runtime
//! by name: loaded from bytes (prepared once, compiled once; the same bytes
//! under two names compile once), listed, replaced, unloaded, executed by
//! name, shared across threads. Unknown and duplicate names are
//! [`RuntimeError::Registry`](crate::RuntimeError::Registry) errors.
//!
//! ```
//! use std::sync::Arc;
//! use runtime::{BackendKind, ExecutionContext, InMemoryStorage, ModuleRegistry, WasmValue};
//!
//! let wasm = wat::parse_str(
//!     r#"(module (func (export "add") (param i64 i64) (result i64) (i64.add (local.get 0) (local.get 1))))"#,
//! )?;
//! for kind in BackendKind::compiled_in() {
//!     let registry = ModuleRegistry::new(kind.runtime()?);
//!     registry.load("adder", &wasm)?;
//!     registry.load("adder-too", &wasm)?; // the same compiled module
//!     assert!(Arc::ptr_eq(&registry.get("adder")?, &registry.get("adder-too")?));
//!     assert!(registry.load("adder", &wasm).is_err()); // taken: use `replace`
//!
//!     let listed = registry.list();
//!     assert_eq!(listed[0].name, "adder");
//!     assert_eq!(listed[0].exports["add"].to_string(), "[i64, i64] -> [i64]");
//!
//!     // Executions by name, from several threads.
//!     std::thread::scope(|scope| {
//!         for t in 0..4i64 {
//!             let registry = &registry;
//!             scope.spawn(move || {
//!                 let args = [WasmValue::I64(t), WasmValue::I64(100)];
//!                 let storage = Arc::new(InMemoryStorage::new());
//!                 let outcome = registry
//!                     .call("adder", "add", &args, &ExecutionContext::default(), storage)
//!                     .unwrap();
//!                 assert_eq!(outcome.results, [WasmValue::I64(100 + t)]);
//!             });
//!         }
//!     });
//!     registry.unload("adder")?;
//!     assert!(registry.get("adder").is_err()); // unloaded: a clear error
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # JSON in, JSON out
//!
//! See the `json` module (feature `json`, on by default): a serde value as
//! the call's input bytes, JSON return data parsed, shown with a C guest.
