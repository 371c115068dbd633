//! The storage against a model map (as `runtime-core`'s overlay proptest),
//! through `StorageOverlay` and `Storage::commit`, including conflicts: an
//! execution A runs, another execution B may commit in between, then A
//! commits. A's commit must conflict exactly when B changed a key A read,
//! and then write nothing. Run on redb (both durability modes, reopened at
//! the end) and, as a reference, on `InMemoryStorage`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use proptest::prelude::*;
use runtime_core::backend::StorageOverlay;
use runtime_core::{CommitError, InMemoryStorage, Storage};
use storage_redb::{Durability, RedbOptions, RedbStorage};

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

#[derive(Clone, Debug)]
enum Op {
    Get(u8),
    /// Key, value byte, long (40 bytes: kept as a hash in the read set).
    Set(u8, u8, bool),
    Remove(u8),
}

#[derive(Clone, Debug)]
struct Step {
    a: Vec<Op>,
    /// An execution that commits between A's run and A's commit.
    between: Option<Vec<Op>>,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..6).prop_map(Op::Get),
        (0u8..6, 0u8..3, any::<bool>()).prop_map(|(k, v, l)| Op::Set(k, v, l)),
        (0u8..6).prop_map(Op::Remove),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    (
        proptest::collection::vec(op(), 0..8),
        proptest::option::of(proptest::collection::vec(op(), 1..6)),
    )
        .prop_map(|(a, between)| Step { a, between })
}

fn value(v: u8, long: bool) -> Vec<u8> {
    vec![v; if long { 40 } else { 1 }]
}

/// Runs `ops` on an overlay over `storage` and on `model`, checking every
/// result. Returns the overlay and the keys it touched (every touched key
/// is read from the base first).
fn execute(
    storage: &Arc<dyn Storage>,
    ops: &[Op],
    model: &mut Model,
) -> Result<(StorageOverlay, BTreeSet<Vec<u8>>), TestCaseError> {
    let mut overlay = StorageOverlay::new(storage.clone());
    let mut touched = BTreeSet::new();
    for op in ops {
        match *op {
            Op::Get(k) => {
                prop_assert_eq!(
                    overlay.get(&[k]).expect("a storage operation"),
                    model.get(&vec![k]).cloned()
                );
                touched.insert(vec![k]);
            }
            Op::Set(k, v, long) => {
                let old = overlay
                    .set(&[k], value(v, long))
                    .expect("a storage operation");
                prop_assert_eq!(old, model.insert(vec![k], value(v, long)));
                touched.insert(vec![k]);
            }
            Op::Remove(k) => {
                prop_assert_eq!(
                    overlay.remove(&[k]).expect("a storage operation"),
                    model.remove(&vec![k])
                );
                touched.insert(vec![k]);
            }
        }
    }
    Ok((overlay, touched))
}

fn entries(storage: &dyn Storage) -> Model {
    storage
        .entries()
        .expect("a storage operation")
        .into_iter()
        .collect()
}

/// Runs the steps on `storage`, which starts empty, and returns the model.
fn run_steps(storage: Arc<dyn Storage>, steps: &[Step]) -> Result<Model, TestCaseError> {
    let mut model = Model::new();
    for step in steps {
        let mut after_a = model.clone();
        let (a, read_by_a) = execute(&storage, &step.a, &mut after_a)?;
        let mut changed = BTreeSet::new();
        if let Some(ops) = &step.between {
            let mut after_b = model.clone();
            let (b, _) = execute(&storage, ops, &mut after_b)?;
            storage
                .commit(b.reads(), &b.net_changes())
                .expect("a storage operation");
            let keys: BTreeSet<&Vec<u8>> = model.keys().chain(after_b.keys()).collect();
            changed = keys
                .into_iter()
                .filter(|k| model.get(*k) != after_b.get(*k))
                .cloned()
                .collect();
            model = after_b;
            prop_assert_eq!(entries(&*storage), model.clone());
        }
        let conflict = read_by_a.intersection(&changed).next().cloned();
        let result = storage.commit(a.reads(), &a.net_changes());
        match conflict {
            // The first conflicting key in key order.
            Some(key) => prop_assert_eq!(result, Err(CommitError::Conflict { key })),
            None => {
                prop_assert_eq!(result, Ok(()));
                for key in &read_by_a {
                    match after_a.get(key) {
                        Some(v) => model.insert(key.clone(), v.clone()),
                        None => model.remove(key),
                    };
                }
            }
        }
        prop_assert_eq!(entries(&*storage), model.clone());
    }
    Ok(model)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn redb_matches_a_model_map(
        steps in proptest::collection::vec(step(), 0..10),
        batched in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.redb");
        let durability = if batched { Durability::batched(3) } else { Durability::Immediate };
        let storage = Arc::new(RedbOptions::new().durability(durability).open(&path).unwrap());
        let model = run_steps(storage.clone(), &steps)?;
        drop(storage);
        // Every commit is in the file (closing flushed the batched ones).
        let reopened = RedbStorage::open_existing(&path).unwrap();
        prop_assert_eq!(entries(&reopened), model);
    }

    #[test]
    fn in_memory_storage_matches_the_same_model(
        steps in proptest::collection::vec(step(), 0..10),
    ) {
        let storage = Arc::new(InMemoryStorage::new());
        let model = run_steps(storage.clone(), &steps)?;
        prop_assert_eq!(storage.snapshot(), model);
    }
}

#[test]
fn a_read_only_commit_with_a_stale_read_conflicts_and_a_fresh_one_passes() {
    // The read-only path (no changes) validates without a write transaction.
    let dir = tempfile::tempdir().unwrap();
    let storage: Arc<dyn Storage> = Arc::new(RedbStorage::open(dir.path().join("r.redb")).unwrap());
    let mut reader = StorageOverlay::new(storage.clone());
    assert_eq!(reader.get(b"k").unwrap(), None);
    storage.commit(reader.reads(), &[]).unwrap();
    storage
        .apply(&[runtime_core::StorageChange {
            key: b"k".to_vec(),
            value: Some(b"v".to_vec()),
        }])
        .unwrap();
    assert_eq!(
        storage.commit(reader.reads(), &[]),
        Err(CommitError::Conflict { key: b"k".to_vec() })
    );
}
