//! Issue 9's table from one run: the metering kernels (`benches/metering.rs`:
//! prepared against uninstrumented, the hand-written and compiler-built
//! kernels and the corpus's C guests), then host calls and warm calls
//! against the bare engines (`benches/calls.rs`), each printing its summary.
//!
//! ```text
//! cargo bench -p conformance --bench performance
//! ```
//!
//! The two files also run alone (`--bench metering`, `--bench calls`).

#![allow(
    missing_docs,
    reason = "criterion's macros generate undocumented items"
)]

#[allow(dead_code, reason = "its own `main` is unused here")]
#[path = "metering.rs"]
mod metering;

#[allow(dead_code, reason = "its own `main` is unused here")]
#[path = "calls.rs"]
mod calls;

criterion::criterion_group!(benches, metering::metering, calls::calls);
criterion::criterion_main!(benches);
