//! Every way opening a database can fail is a `StorageError` that names the
//! path and says what is wrong, never a panic.

use std::path::{Path, PathBuf};

use runtime_core::{Storage, StorageChange, StorageError};
use storage_redb::{RedbOptions, RedbStorage};

fn set(key: &[u8], value: &[u8]) -> StorageChange {
    StorageChange {
        key: key.to_vec(),
        value: Some(value.to_vec()),
    }
}

/// The error of opening `path`, which must fail.
fn open_err(path: &Path) -> String {
    match RedbStorage::open(path) {
        Ok(storage) => panic!("{} opened: {storage:?}", path.display()),
        Err(StorageError(message)) => message,
    }
}

fn assert_names(message: &str, path: &Path, why: &str) {
    assert!(
        message.contains(&path.display().to_string()),
        "{message:?} does not name {}",
        path.display()
    );
    assert!(message.contains(why), "{message:?} does not say {why:?}");
}

/// A database with three entries, one a 300-byte run of 0xAB that is easy
/// to find in the file. Returns its path and its bytes.
fn database(dir: &Path) -> (PathBuf, Vec<u8>) {
    let path = dir.join("state.redb");
    let storage = RedbStorage::open(&path).expect("a new database");
    for change in [
        set(b"a", b"1"),
        set(b"marker", &[0xAB; 300]),
        set(b"z", b"2"),
    ] {
        storage.apply(&[change]).expect("a commit");
    }
    drop(storage);
    let bytes = std::fs::read(&path).expect("the file");
    (path, bytes)
}

#[test]
fn a_missing_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-dir").join("state.redb");
    let message = open_err(&path);
    assert_names(&message, &path, "does not exist");
    assert!(!path.parent().unwrap().exists(), "nothing was created");
}

#[test]
fn a_missing_file_is_created_by_open_but_not_by_open_existing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.redb");
    let message = RedbStorage::open_existing(&path).unwrap_err().0;
    assert_names(&message, &path, "does not exist");
    assert!(!path.exists());
    let storage = RedbStorage::open(&path).unwrap();
    assert_eq!(storage.entries().unwrap(), vec![]);
    drop(storage);
    RedbStorage::open_existing(&path).unwrap();
}

#[test]
fn a_directory_is_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    assert_names(&open_err(dir.path()), dir.path(), "directory");
}

#[test]
fn a_locked_file_is_an_error_until_it_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = database(dir.path());
    let first = RedbStorage::open(&path).unwrap();
    let message = open_err(&path);
    assert_names(&message, &path, "locked");
    // The failed open did not disturb the first handle.
    assert_eq!(first.get(b"a").unwrap(), Some(b"1".to_vec()));
    drop(first);
    let again = RedbStorage::open(&path).unwrap();
    assert_eq!(again.get(b"z").unwrap(), Some(b"2".to_vec()));
}

#[test]
fn a_truncated_file_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = database(dir.path());
    for len in [bytes.len() / 2, bytes.len() - 1, 100] {
        std::fs::write(&path, &bytes[..len]).unwrap();
        assert_names(&open_err(&path), &path, "corrupt");
    }
}

#[test]
fn flipped_bytes_in_data_or_header_are_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let (path, bytes) = database(dir.path());
    let marker = bytes
        .windows(300)
        .position(|w| w.iter().all(|&b| b == 0xAB))
        .expect("the marker value is in the file");
    // In the page holding a committed value, in the magic number, in the
    // primary commit slot's format version (offset 64 in redb 4's header).
    for offset in [marker, marker + 150, marker + 299, 0, 5, 64] {
        let mut damaged = bytes.clone();
        damaged[offset] ^= 0x5A;
        std::fs::write(&path, &damaged).unwrap();
        let message = open_err(&path);
        assert_names(&message, &path, "corrupt");
    }
}

#[test]
fn foreign_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("foreign");
    std::fs::write(&path, b"name,value\nnot,a database\n").unwrap();
    assert_names(&open_err(&path), &path, "not a redb database");
    let noise: Vec<u8> = (0u32..70_000)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, &noise).unwrap();
    assert_names(&open_err(&path), &path, "not a redb database");
    // The refused files were left as they were.
    assert_eq!(std::fs::read(&path).unwrap(), noise);
}

#[test]
fn another_applications_redb_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.redb");
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(redb::TableDefinition::<u64, u64>::new("accounts"))
            .unwrap()
            .insert(1, 2)
            .unwrap();
        txn.commit().unwrap();
    }
    assert_names(&open_err(&path), &path, "another application");

    // And one that claims to be ours, in a format this build does not read.
    let path = dir.path().join("future.redb");
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(redb::TableDefinition::<&str, u64>::new(
            "runtime_storage_meta",
        ))
        .unwrap()
        .insert("format", 2)
        .unwrap();
        txn.commit().unwrap();
    }
    assert_names(&open_err(&path), &path, "unsupported storage format");
}

#[test]
fn an_empty_file_becomes_an_empty_database() {
    // redb's reading: an empty file is a database not yet initialised.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.redb");
    std::fs::write(&path, b"").unwrap();
    let storage = RedbOptions::new().open(&path).unwrap();
    assert_eq!(storage.entries().unwrap(), vec![]);
}
