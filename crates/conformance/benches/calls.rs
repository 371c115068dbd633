//! What a call costs beyond the bare engine, in one run, on every engine:
//!
//! * **host calls**: a guest calling `gas_left` 10 000 times, through the
//!   runtime (prepared, metered, the core's host logic) against the same
//!   loop uninstrumented on the bare engine with a trivial typed host
//!   function (`func_wrap` / `Function::new_typed` / `Func::wrap`);
//! * **warm calls**: the corpus's C `kv` guest serving one set and one get
//!   (7 host calls) with its module compiled once and a fresh instance per
//!   call, through the runtime against the bare engine's floor
//!   (`InstancePre`-style instantiation with trivial host functions, which
//!   return 0: the guest then finds no input and stops early, so the floor
//!   is an upper bound of the bare engine's speed);
//! * **scaling**: warm calls on 2 threads against 1.
//!
//! `cargo bench -p conformance --bench calls` prints the criterion
//! figures, then a summary with the ratios (BENCHMARKS.md records one run).

#![allow(
    missing_docs,
    unreachable_pub,
    clippy::print_stdout,
    clippy::unwrap_used,
    reason = "a bench reports its summary on stdout and fails loudly"
)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use runtime::{BackendKind, ExecutionContext, InMemoryStorage, Module, Runtime, Status};

/// Host calls per execution of the host-call guest.
const HOST_CALLS: u64 = 10_000;

const HOST_CALL_LOOP: &str = r#"
(module
  (import "env" "gas_left" (func $gas_left (result i64)))
  (func (export "main") (local $i i32)
    (loop $l
      (drop (call $gas_left))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 10000))))))
"#;

const KV: &[u8] = include_bytes!("../guests/c/kv.wasm");

/// One set and one get: `S 1 "k" 1 "v"`, `G 1 "k"`.
const KV_INPUT: &[u8] = b"S\x01k\x01vG\x01k";

/// Nanoseconds per unit of work, by (engine, measure).
type Summary = Mutex<BTreeMap<(String, &'static str), f64>>;

fn record(summary: &Summary, engine: &str, measure: &'static str, ns: f64) {
    if let Ok(mut s) = summary.lock() {
        // The last (longest) criterion batch wins.
        s.insert((engine.to_owned(), measure), ns);
    }
}

/// Times `iterations` runs of `f`, records ns per `unit` of work.
fn timed(
    summary: &Summary,
    engine: &str,
    measure: &'static str,
    units: u64,
    iterations: u64,
    mut f: impl FnMut(),
) -> Duration {
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    let elapsed = start.elapsed();
    record(
        summary,
        engine,
        measure,
        elapsed.as_nanos() as f64 / (iterations * units) as f64,
    );
    elapsed
}

fn execute(runtime: &Runtime, module: &Module, export: &str, input: &[u8]) {
    let outcome = runtime
        .execute(
            module,
            export,
            &ExecutionContext::with_input(input.to_vec()),
            Arc::new(InMemoryStorage::new()),
        )
        .unwrap();
    assert_eq!(outcome.status(), Status::Ok, "{:?}", outcome.error);
    black_box(outcome);
}

/// The bare engines: the same guests, uninstrumented, with trivial host
/// functions that let the kv guest do its work ([`bare::trivial`]): the
/// input is copied in, a stored value is always found and is `v`, writes
/// and returns are dropped. Each engine's fastest per-call setup: a
/// pre-linked module, pooled instances on wasmtime.
mod bare {
    use super::{KV_INPUT, black_box};
    use host_abi::HostFunction;

    /// A compiled bare module that can be instantiated and called.
    pub trait Bare: Send + Sync {
        fn call(&self, export: &str);
    }

    pub fn new(engine: &str, wasm: &[u8]) -> Box<dyn Bare> {
        match engine {
            "wasmtime" => Box::new(wasmtime_bare::Module::new(wasm)),
            "wasmer" => Box::new(wasmer_bare::Module::new(wasm)),
            _ => Box::new(wasmi_bare::Module::new(wasm)),
        }
    }

    /// What host function `f` returns for `args`; `write(ptr, bytes)`
    /// writes guest memory.
    pub fn trivial(f: HostFunction, args: &[i64], write: &mut dyn FnMut(u64, &[u8])) -> i64 {
        match (f.name(), args) {
            ("register_len", [register]) => match register {
                0 => KV_INPUT.len() as i64,
                _ => 1,
            },
            ("read_register", [register, ptr]) => {
                write(*ptr as u64, if *register == 0 { KV_INPUT } else { b"v" });
                0
            }
            ("storage_read", _) => 1,
            _ => 0,
        }
    }

    mod wasmtime_bare {
        use super::*;
        use wasmtime::{Caller, Engine, InstancePre, Linker, Store, Val};

        pub struct Module(InstancePre<()>);

        impl Module {
            pub fn new(wasm: &[u8]) -> Self {
                // Pooled as in the backend, with the same resident memory.
                let mut pool = wasmtime::PoolingAllocationConfig::new();
                pool.linear_memory_keep_resident(128 << 10)
                    .table_keep_resident(128 << 10);
                let mut config = wasmtime::Config::new();
                config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
                let engine = Engine::new(&config).unwrap();
                let module = wasmtime::Module::new(&engine, wasm).unwrap();
                let mut linker = Linker::new(&engine);
                linker.func_wrap("env", "gas_left", || 0i64).unwrap();
                for f in HostFunction::ALL.iter().filter(|f| f.name() != "gas_left") {
                    let f = *f;
                    let ty = wasmtime::FuncType::new(
                        &engine,
                        vec![wasmtime::ValType::I64; f.param_count()],
                        vec![wasmtime::ValType::I64; f.result_count()],
                    );
                    linker
                        .func_new(
                            "env",
                            f.name(),
                            ty,
                            move |mut caller: Caller<'_, ()>, params, results| {
                                let args: Vec<i64> =
                                    params.iter().map(|v| v.unwrap_i64()).collect();
                                let memory =
                                    caller.get_export("memory").and_then(|e| e.into_memory());
                                let value = trivial(f, &args, &mut |ptr, bytes| {
                                    if let Some(memory) = memory {
                                        let _ = memory.write(&mut caller, ptr as usize, bytes);
                                    }
                                });
                                results.iter_mut().for_each(|r| *r = Val::I64(value));
                                Ok(())
                            },
                        )
                        .unwrap();
                }
                Self(linker.instantiate_pre(&module).unwrap())
            }
        }

        impl Bare for Module {
            fn call(&self, export: &str) {
                let mut store = Store::new(self.0.module().engine(), ());
                let instance = self.0.instantiate(&mut store).unwrap();
                let f = instance
                    .get_typed_func::<(), ()>(&mut store, export)
                    .unwrap();
                black_box(f.call(&mut store, ())).unwrap();
            }
        }
    }

    mod wasmer_bare {
        use super::*;
        use wasmer::{
            Function, FunctionEnv, FunctionEnvMut, FunctionType, Imports, Instance, Memory, Store,
            Type, Value,
        };

        pub struct Module(wasmer::Engine, wasmer::Module);

        impl Module {
            pub fn new(wasm: &[u8]) -> Self {
                let engine: wasmer::Engine = wasmer::sys::Cranelift::new().into();
                let module = wasmer::Module::new(&engine, wasm).unwrap();
                Self(engine, module)
            }
        }

        impl Bare for Module {
            fn call(&self, export: &str) {
                let mut store = Store::new(self.0.clone());
                let env = FunctionEnv::new(&mut store, None::<Memory>);
                let mut imports = Imports::new();
                for import in self.1.imports() {
                    let f = HostFunction::from_name(import.name()).unwrap();
                    let func = if f.name() == "gas_left" {
                        Function::new_typed(&mut store, || 0i64)
                    } else {
                        let ty = FunctionType::new(
                            vec![Type::I64; f.param_count()],
                            vec![Type::I64; f.result_count()],
                        );
                        let results = f.result_count();
                        Function::new_with_env(
                            &mut store,
                            &env,
                            ty,
                            move |mut env: FunctionEnvMut<'_, Option<Memory>>, params: &[Value]| {
                                let args: Vec<i64> =
                                    params.iter().map(|v| v.unwrap_i64()).collect();
                                let (memory, store) = env.data_and_store_mut();
                                let value = trivial(f, &args, &mut |ptr, bytes| {
                                    if let Some(memory) = memory {
                                        let _ = memory.view(&store).write(ptr, bytes);
                                    }
                                });
                                Ok(vec![Value::I64(value); results])
                            },
                        )
                    };
                    imports.define("env", f.name(), func);
                }
                let instance = Instance::new(&mut store, &self.1, &imports).unwrap();
                *env.as_mut(&mut store) = instance.exports.get_memory("memory").ok().cloned();
                let f = instance
                    .exports
                    .get_typed_function::<(), ()>(&store, export)
                    .unwrap();
                black_box(f.call(&mut store)).unwrap();
            }
        }
    }

    mod wasmi_bare {
        use super::*;
        use wasmi::{Caller, Engine, Linker, Store, Val};

        pub struct Module(Engine, Linker<()>, wasmi::Module);

        impl Module {
            pub fn new(wasm: &[u8]) -> Self {
                let engine = Engine::default();
                let module = wasmi::Module::new(&engine, wasm).unwrap();
                let mut linker = Linker::new(&engine);
                linker.func_wrap("env", "gas_left", || 0i64).unwrap();
                for f in HostFunction::ALL.iter().filter(|f| f.name() != "gas_left") {
                    let f = *f;
                    let ty = wasmi::FuncType::new(
                        vec![wasmi::ValType::I64; f.param_count()],
                        vec![wasmi::ValType::I64; f.result_count()],
                    );
                    linker
                        .func_new(
                            "env",
                            f.name(),
                            ty,
                            move |mut caller: Caller<'_, ()>, params, results| {
                                let args: Vec<i64> =
                                    params.iter().map(|v| v.i64().unwrap_or_default()).collect();
                                let memory =
                                    caller.get_export("memory").and_then(|e| e.into_memory());
                                let value = trivial(f, &args, &mut |ptr, bytes| {
                                    if let Some(memory) = memory {
                                        let _ = memory.write(&mut caller, ptr as usize, bytes);
                                    }
                                });
                                results.iter_mut().for_each(|r| *r = Val::I64(value));
                                Ok(())
                            },
                        )
                        .unwrap();
                }
                Self(engine, linker, module)
            }
        }

        impl Bare for Module {
            fn call(&self, export: &str) {
                let mut store = Store::new(&self.0, ());
                let instance = self.1.instantiate_and_start(&mut store, &self.2).unwrap();
                let f = instance.get_typed_func::<(), ()>(&store, export).unwrap();
                black_box(f.call(&mut store, ())).unwrap();
            }
        }
    }
}

pub fn calls(c: &mut Criterion) {
    let summary: Summary = Mutex::new(BTreeMap::new());
    let host_loop = wat::parse_str(HOST_CALL_LOOP).unwrap();
    for kind in BackendKind::compiled_in() {
        let engine = kind.name();
        let runtime = kind.runtime().unwrap();
        let looped = runtime.compile(runtime.prepare(&host_loop).unwrap());
        let kv = runtime.compile(runtime.prepare(KV).unwrap());
        // The runtime's uninstrumented-free preparation clamps memory and
        // moves start functions; the bare engines get the original bytes.
        let bare_loop = bare::new(engine, &host_loop);
        let bare_kv = bare::new(engine, KV);

        let mut group = c.benchmark_group(format!("calls/{engine}"));
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
        group.bench_function("host_call/runtime", |b| {
            b.iter_custom(|n| {
                timed(
                    &summary,
                    engine,
                    "host call, runtime",
                    HOST_CALLS,
                    n,
                    || {
                        execute(&runtime, &looped, "main", &[]);
                    },
                )
            });
        });
        group.bench_function("host_call/bare", |b| {
            b.iter_custom(|n| {
                timed(&summary, engine, "host call, bare", HOST_CALLS, n, || {
                    bare_loop.call("main");
                })
            });
        });
        group.bench_function("warm_kv/runtime", |b| {
            b.iter_custom(|n| {
                timed(&summary, engine, "warm kv call, runtime", 1, n, || {
                    execute(&runtime, &kv, "run", KV_INPUT);
                })
            });
        });
        group.bench_function("warm_kv/bare", |b| {
            b.iter_custom(|n| {
                timed(&summary, engine, "warm kv call, bare", 1, n, || {
                    bare_kv.call("run");
                })
            });
        });
        group.bench_function("warm_kv/runtime_2_threads", |b| {
            b.iter_custom(|n| {
                let start = Instant::now();
                std::thread::scope(|scope| {
                    for _ in 0..2 {
                        scope.spawn(|| {
                            for _ in 0..n.div_ceil(2) {
                                execute(&runtime, &kv, "run", KV_INPUT);
                            }
                        });
                    }
                });
                let elapsed = start.elapsed();
                let calls = 2 * n.div_ceil(2);
                record(
                    &summary,
                    engine,
                    "warm kv call, runtime, 2 threads",
                    elapsed.as_nanos() as f64 / calls as f64,
                );
                elapsed
            });
        });
        group.finish();
    }
    print_summary(&summary);
}

fn print_summary(summary: &Summary) {
    let Ok(s) = summary.lock() else { return };
    println!("\nsummary (one run; ns per host call or per warm call)");
    println!(
        "{:<9} {:>12} {:>12} {:>7} {:>14} {:>14} {:>7} {:>14} {:>9}",
        "engine",
        "host call",
        "bare",
        "ratio",
        "kv calls/s",
        "bare calls/s",
        "of bare",
        "2 threads/s",
        "2t/1t"
    );
    for kind in BackendKind::compiled_in() {
        let e = kind.name().to_owned();
        let get = |m: &'static str| s.get(&(e.clone(), m)).copied().unwrap_or(f64::NAN);
        let (host, bare_host) = (get("host call, runtime"), get("host call, bare"));
        let (kv, bare_kv, kv2) = (
            get("warm kv call, runtime"),
            get("warm kv call, bare"),
            get("warm kv call, runtime, 2 threads"),
        );
        println!(
            "{:<9} {:>12.1} {:>12.1} {:>6.1}x {:>14.0} {:>14.0} {:>6.2}x {:>14.0} {:>8.2}x",
            e,
            host,
            bare_host,
            host / bare_host,
            1e9 / kv,
            1e9 / bare_kv,
            bare_kv / kv,
            1e9 / kv2,
            kv / kv2
        );
    }
}

criterion_group!(benches, calls);
criterion_main!(benches);
