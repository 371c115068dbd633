//! Each engine's native stack is sized so that the deterministic,
//! instrumented stack limit always trips first, even at the largest allowed
//! limit, and whatever thread the embedder calls from: the runtime moves an
//! execution to a stack of its own when the caller's has too little room.
//! Deep recursion of small frames, of frames with hundreds of locals, of
//! frames with deep operand stacks and of frames with many parameters all
//! end in `StackOverflow` with agreeing digests, from threads of 64 KiB,
//! 256 KiB and 2 MiB.

use conformance::report;
use conformance::runner::{Invocation, Runners};
use runtime::{BackendKind, ExecutionContext, ModuleLimits, Status};

fn recursion(locals: usize, params: usize, operand_depth: usize) -> String {
    let params_decl = " i64".repeat(params);
    let locals_decl = if locals == 0 {
        String::new()
    } else {
        format!("(local{})", " i64".repeat(locals))
    };
    let args = "(local.get 0)".repeat(params);
    // An expression `depth` values deep: (i64.add x (i64.add x ... (call))).
    let mut expr = format!("(call $f{args})");
    for _ in 0..operand_depth {
        expr = format!("(i64.add (local.get 0) {expr})");
    }
    format!(
        r#"(module
             (func $f (param{params_decl}) (result i64) {locals_decl} {expr})
             (func (export "main") (drop (call $f{consts}))))"#,
        consts = " (i64.const 1)".repeat(params),
    )
}

/// Small frames that also hold every scratch local the instrumentation adds
/// (gas, stack height, `memory.grow`'s size and result, canonicalised f32
/// and f64): the stack cost does not count them.
fn recursion_with_scratch_locals() -> String {
    r#"(module
         (memory 1)
         (global $g (mut f64) (f64.const 0))
         (global $h (mut f32) (f32.const 0))
         (func $f (param i64) (result i64)
           (drop (memory.grow (i32.const 0)))
           (global.set $g (f64.add (global.get $g) (f64.const 1)))
           (global.set $h (f32.add (global.get $h) (f32.const 1)))
           (i64.add (local.get 0) (call $f (local.get 0))))
         (func (export "main") (drop (call $f (i64.const 1)))))"#
        .to_owned()
}

pub(crate) fn instrumented_limit_trips_before_native_stacks() {
    for stack in [64 << 10, 256 << 10, 2 << 20] {
        std::thread::Builder::new()
            .name(format!("stack-{stack}"))
            .stack_size(stack)
            .spawn(deep_recursions)
            .unwrap()
            .join()
            .unwrap_or_else(|_| panic!("a thread with a {stack}-byte stack failed"));
    }
}

/// The deepest recursion the limits allow, every shape, every backend.
fn deep_recursions() {
    let runners = Runners::new(&BackendKind::compiled_in()).unwrap();
    for (name, wat) in [
        ("small frames", recursion(0, 1, 0)),
        ("400 locals", recursion(400, 1, 0)),
        ("deep operand stack", recursion(0, 1, 200)),
        ("60 params", recursion(0, 60, 0)),
        ("locals and operands", recursion(100, 8, 50)),
        ("scratch locals", recursion_with_scratch_locals()),
    ] {
        for limit in [
            ModuleLimits::default().max_stack_height,
            ModuleLimits::MAX_STACK_HEIGHT,
        ] {
            let invocation = Invocation {
                wasm: wat::parse_str(&wat).unwrap(),
                call: "main".into(),
                args: None,
                context: ExecutionContext::default(),
                module_limits: ModuleLimits {
                    max_stack_height: limit,
                    ..ModuleLimits::default()
                },
                pre_state: Vec::new(),
            };
            let outcomes = runners.run(&invocation).unwrap();
            for o in &outcomes {
                assert_eq!(
                    (
                        o.outcome.status(),
                        o.outcome.error.as_ref().map(|e| e.kind_name())
                    ),
                    (Status::Trap, Some("StackOverflow")),
                    "{name}, limit {limit}, {}",
                    o.backend
                );
            }
            assert!(report::agree(&outcomes), "{name}, limit {limit}");
        }
    }
}

/// The tests of this file.
pub(crate) fn trials() -> Vec<libtest_mimic::Trial> {
    vec![crate::trial(
        "native_stack::instrumented_limit_trips_before_native_stacks",
        instrumented_limit_trips_before_native_stacks,
    )]
}
