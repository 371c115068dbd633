//! wasm-smith modules in the allowed feature set, prepared once, run raw on
//! every backend; any difference in results, traps, globals (gas included)
//! or memory is a crash.
#![no_main]

use std::sync::OnceLock;

use conformance::fuzz::Fuzzer;
use libfuzzer_sys::fuzz_target;
use runtime::BackendKind;

static FUZZER: OnceLock<Fuzzer> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let fuzzer = FUZZER.get_or_init(|| {
        Fuzzer::new(&BackendKind::compiled_in()).expect("every backend is compiled in")
    });
    if let Err(divergence) = fuzzer.smith_case(data) {
        panic!("backends diverge:\n{}", divergence.detail);
    }
});
