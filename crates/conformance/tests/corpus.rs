//! The corpus, one test per case and backend, plus one agreement test per
//! case: the same case list drives every backend (as rustls-test does per
//! provider).

use std::sync::Arc;

use conformance::corpus::{self, Case};
use conformance::runner::Runners;
use conformance::{report, suite};
use libtest_mimic::{Arguments, Failed, Trial};
use runtime::{BackendKind, GasSchedule, InMemoryStorage};

fn on_backend(case: &Case, kind: BackendKind) -> Result<(), Failed> {
    let runners = Runners::new(&[kind]).map_err(|e| e.to_string())?;
    let runs = runners
        .run_with_storage(&case.invocation(), |_| {
            Arc::new(InMemoryStorage::with_entries(case.pre_state.clone()))
        })
        .map_err(|e| e.to_string())?;
    let (outcome, storage) = &runs[0];
    suite::check_backend(case, &outcome.outcome, storage).map_err(Failed::from)
}

fn all_agree(case: &Case) -> Result<(), Failed> {
    let runners = Runners::new(&BackendKind::compiled_in()).map_err(|e| e.to_string())?;
    let outcomes = runners.run(&case.invocation()).map_err(|e| e.to_string())?;
    if outcomes.len() < 2 {
        return Err("fewer than two backends compiled in".into());
    }
    if suite::case_agrees(case, &outcomes) {
        Ok(())
    } else {
        Err(format!("backends diverge:\n{}", report::run_table(&outcomes)).into())
    }
}

fn main() {
    let args = Arguments::from_args();
    let cases = corpus::cases(&GasSchedule::default());
    let mut trials = vec![{
        let cases = cases.clone();
        Trial::test("corpus::names_are_unique", move || {
            corpus::check_unique_names(&cases).map_err(Failed::from)
        })
    }];
    for case in cases {
        for kind in BackendKind::compiled_in() {
            let case = case.clone();
            trials.push(Trial::test(format!("{}::{}", case.name, kind), move || {
                on_backend(&case, kind)
            }));
        }
        trials.push(Trial::test(
            format!("{}::all_backends_agree", case.name),
            move || all_agree(&case),
        ));
    }
    libtest_mimic::run(&args, trials).exit();
}
