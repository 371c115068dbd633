//! Cross-backend conformance: the guest corpus with expectations written
//! from `ABI.md`, the runner that executes a guest on every backend and
//! compares outcomes, sessions of several modules compared by session
//! digest ([`session`]), and the JSON and table reports of the
//! `conformance` CLI (`shared/CLI.md`).
//!
//! ```
//! use conformance::corpus::cases;
//! use conformance::runner::Runners;
//! use runtime::{BackendKind, GasSchedule};
//!
//! let runners = Runners::new(&BackendKind::compiled_in()).unwrap();
//! let case = cases(&GasSchedule::default()).into_iter().find(|c| c.name == "logs.hello").unwrap();
//! let outcomes = runners.run(&case.invocation()).unwrap();
//! assert!(conformance::report::agree(&outcomes));
//! for o in &outcomes {
//!     case.expect.check(&o.outcome).unwrap();
//! }
//! ```
//!
//! # Features
//!
//! None: all three engines are always built here.

pub mod bombs;
pub mod corpus;
pub mod embedder;
pub mod expect;
pub mod fuzz;
pub mod report;
pub mod runner;
pub mod session;
pub mod spec;
pub mod state;
pub mod suite;
pub mod typed_args;
