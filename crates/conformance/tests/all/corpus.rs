//! The corpus, one test per case and backend, plus one agreement test per
//! case: the same case list drives every backend (as rustls-test does per
//! provider). The runtimes are built once.

use std::sync::{Arc, OnceLock};

use conformance::corpus::{self, Case};
use conformance::runner::Runners;
use conformance::{report, suite};
use libtest_mimic::{Failed, Trial};
use runtime::{BackendKind, GasSchedule, InMemoryStorage};

/// One `Runners` per backend alone, and one over all of them, built once.
fn runners(kind: Option<BackendKind>) -> Result<&'static Runners, Failed> {
    static ALL: OnceLock<Result<Runners, String>> = OnceLock::new();
    static EACH: OnceLock<Vec<(BackendKind, Result<Runners, String>)>> = OnceLock::new();
    let runners = match kind {
        None => {
            ALL.get_or_init(|| Runners::new(&BackendKind::compiled_in()).map_err(|e| e.to_string()))
        }
        Some(kind) => EACH
            .get_or_init(|| {
                BackendKind::compiled_in()
                    .into_iter()
                    .map(|k| (k, Runners::new(&[k]).map_err(|e| e.to_string())))
                    .collect()
            })
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, r)| r)
            .ok_or_else(|| format!("{kind} is not compiled in"))?,
    };
    runners.as_ref().map_err(|e| Failed::from(e.clone()))
}

fn on_backend(case: &Case, kind: BackendKind) -> Result<(), Failed> {
    let runners = runners(Some(kind))?;
    let runs = runners
        .run_with_storage(&case.invocation(), |_| {
            Arc::new(InMemoryStorage::with_entries(case.pre_state.clone()))
        })
        .map_err(|e| e.to_string())?;
    let (outcome, storage) = &runs[0];
    suite::check_backend(case, &outcome.outcome, storage).map_err(Failed::from)
}

fn all_agree(case: &Case) -> Result<(), Failed> {
    let runners = runners(None)?;
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

/// One test per case and backend, and one agreement test per case.
pub(crate) fn trials() -> Vec<Trial> {
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
            trials.push(Trial::test(
                format!("corpus::{}::{}", case.name, kind),
                move || on_backend(&case, kind),
            ));
        }
        trials.push(Trial::test(
            format!("corpus::{}::all_backends_agree", case.name),
            move || all_agree(&case),
        ));
    }
    trials
}
