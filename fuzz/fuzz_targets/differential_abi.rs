//! Guests making random sequences of host calls with random and bad
//! pointers, over random input, seed and storage; outcome digests must be
//! equal on every backend.
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
    if let Err(divergence) = fuzzer.abi_case(data) {
        panic!("backends diverge:\n{}", divergence.detail);
    }
});
