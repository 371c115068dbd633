//! A bounded differential-fuzzing run for CI: the same generators as
//! `conformance fuzz` and the libFuzzer targets, from a fixed seed.
//! `FUZZ_SMOKE_CASES=N` changes the number of cases (default 600).

use conformance::fuzz::Fuzzer;
use conformance::fuzz::abi::{Bytes, invocation};
use conformance::runner::Runners;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use runtime::{BackendKind, Status};

fn cases() -> u64 {
    std::env::var("FUZZ_SMOKE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(600)
}

pub(crate) fn no_divergence_on_generated_modules() {
    let fuzzer = Fuzzer::new(&BackendKind::compiled_in()).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let mut data = vec![0u8; 4096];
    let (mut smith, mut divergences) = (0u64, Vec::new());
    for _ in 0..cases() {
        rng.fill_bytes(&mut data);
        match fuzzer.smith_case(&data) {
            Ok(true) => smith += 1,
            Ok(false) => {}
            Err(d) => divergences.push(d.detail),
        }
        if let Err(d) = fuzzer.abi_case(&data) {
            divergences.push(d.detail);
        }
    }
    assert!(divergences.is_empty(), "{}", divergences.join("\n\n"));
    assert!(
        smith > cases() / 2,
        "only {smith} wasm-smith modules generated"
    );
}

/// The ABI generator reaches more than the first bad pointer: its guests end
/// in every status class a guest can reach through the ABI.
pub(crate) fn abi_generator_reaches_every_status() {
    let runners = Runners::new(&[BackendKind::Wasmi]).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let mut data = vec![0u8; 4096];
    let mut seen = Vec::new();
    for _ in 0..300 {
        rng.fill_bytes(&mut data);
        let outcomes = runners.run(&invocation(&mut Bytes::new(&data))).unwrap();
        let status = outcomes[0].outcome.status();
        if !seen.contains(&status) {
            seen.push(status);
        }
    }
    for status in [Status::Ok, Status::Trap, Status::HostError] {
        assert!(seen.contains(&status), "{status:?} never reached: {seen:?}");
    }
}

/// The hostile generator (issue 12): bombs at the code limits, deep nests,
/// huge tables, long bodies and host-call loops agree on every backend, and
/// no outcome is non-deterministic. `HOSTILE_SMOKE_CASES=N` changes the
/// number of cases (default 60; they are slow: compilation at the limits).
pub(crate) fn no_divergence_on_hostile_guests() {
    let cases: u64 = std::env::var("HOSTILE_SMOKE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let fuzzer = Fuzzer::new(&BackendKind::compiled_in()).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    let mut data = vec![0u8; 4096];
    let (mut classes, mut divergences) = (Vec::new(), Vec::new());
    for _ in 0..cases {
        rng.fill_bytes(&mut data);
        match fuzzer.hostile_case(&data) {
            Ok(class) if !classes.contains(&class) => classes.push(class),
            Ok(_) => {}
            Err(d) => divergences.push(d.detail.chars().take(2000).collect::<String>()),
        }
    }
    assert!(divergences.is_empty(), "{}", divergences.join("\n\n"));
    assert_eq!(classes.len(), 4, "classes reached: {classes:?}");
}

/// The tests of this file.
pub(crate) fn trials() -> Vec<libtest_mimic::Trial> {
    vec![
        crate::trial(
            "fuzz_smoke::no_divergence_on_generated_modules",
            no_divergence_on_generated_modules,
        ),
        crate::trial(
            "fuzz_smoke::abi_generator_reaches_every_status",
            abi_generator_reaches_every_status,
        ),
        crate::trial(
            "fuzz_smoke::no_divergence_on_hostile_guests",
            no_divergence_on_hostile_guests,
        ),
    ]
}
