//! Crash safety: a child process commits numbered batches in a loop and is
//! killed with SIGKILL at random moments; after every kill the database must
//! open and hold exactly a prefix of the batches, each whole or absent, and
//! no batch the child saw committed durably may be missing.
//!
//! The child is this test binary, run again with `STORAGE_REDB_CRASH_CHILD`
//! set. Batch `n` writes, in one commit, `BATCH_KEYS` keys of its own
//! (`b/<n>/<i>` = n), overwrites `SHARED_KEYS` shared keys (`s/<i>` = n) and
//! sets `last` = n, with a read set on `last` (as an execution would have).
//! The child prints `<n> <durable>` after each commit returns (durable: the
//! commit was a durable one, or a `flush` after it returned).
//!
//! `CRASH_KILLS` (default 100) sets the kills per durability mode,
//! `CRASH_SEED` the random delays. A SIGKILL stops the process but not the
//! kernel: this proves atomicity and the durability of commits that
//! returned against process crashes, not against power loss.

// A test harness: the summary of each run goes to stderr.
#![allow(clippy::print_stderr)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};
use runtime_core::{ReadSet, Storage, StorageChange};
use storage_redb::{Durability, RedbOptions, RedbStorage};

const CHILD_ENV: &str = "STORAGE_REDB_CRASH_CHILD";
const EVERY_ENV: &str = "STORAGE_REDB_CRASH_EVERY";
const BATCH_KEYS: u64 = 4;
const SHARED_KEYS: u64 = 4;
/// In batched mode, the child calls `flush` after every batch numbered a
/// multiple of this.
const FLUSH_EVERY: u64 = 37;

fn batch_key(n: u64, i: u64) -> Vec<u8> {
    format!("b/{n:010}/{i}").into_bytes()
}

fn shared_key(i: u64) -> Vec<u8> {
    format!("s/{i}").into_bytes()
}

fn decode(value: &[u8]) -> Option<u64> {
    Some(u64::from_le_bytes(value.try_into().ok()?))
}

/// The value of `last`, 0 when absent.
fn last(storage: &RedbStorage) -> Result<u64, String> {
    match storage.get(b"last").map_err(|e| e.to_string())? {
        None => Ok(0),
        Some(v) => decode(&v).ok_or_else(|| format!("last = {} is not a u64", hex::encode(v))),
    }
}

/// The child: commit batches until killed.
fn child(path: &Path, every: u32) -> ! {
    let storage = RedbOptions::new()
        .durability(Durability::batched(every))
        .open(path)
        .expect("the child opens the database");
    let start = last(&storage).expect("last is readable") + 1;
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready {start}").expect("stdout");
    out.flush().expect("stdout");
    // Commits since the last durable one, as the storage counts them.
    let mut since = 0;
    for n in start.. {
        let value = n.to_le_bytes().to_vec();
        let mut changes: Vec<StorageChange> = (0..BATCH_KEYS)
            .map(|i| batch_key(n, i))
            .chain((0..SHARED_KEYS).map(shared_key))
            .chain([b"last".to_vec()])
            .map(|key| StorageChange {
                key,
                value: Some(value.clone()),
            })
            .collect();
        changes.sort();
        let mut reads = ReadSet::default();
        reads.record(
            b"last",
            (n > 1)
                .then(|| (n - 1).to_le_bytes())
                .as_ref()
                .map(|v| &v[..]),
        );
        storage.commit(&reads, &changes).expect("the child commits");
        since += 1;
        // Every `every`-th commit is durable; in batched mode an explicit
        // flush now and then makes the pending ones durable too.
        let mut durable = since == every;
        if !durable && every > 1 && n % FLUSH_EVERY == 0 {
            storage.flush().expect("the child flushes");
            durable = true;
        }
        if durable {
            since = 0;
        }
        writeln!(out, "{n} {}", u8::from(durable)).expect("stdout");
        out.flush().expect("stdout");
    }
    unreachable!("the loop never ends")
}

/// What the parent learned from the children's reports.
#[derive(Default)]
struct Acked {
    /// The last batch a child reported committed.
    committed: u64,
    /// The last batch a child reported committed durably.
    durable: u64,
    ready: bool,
}

/// Checks that the database holds exactly batches `1..=L` and returns `L`.
fn check_prefix(storage: &RedbStorage) -> Result<u64, String> {
    let l = last(storage)?;
    let entries = storage.entries().map_err(|e| e.to_string())?;
    let expected = if l == 0 {
        0
    } else {
        l * BATCH_KEYS + SHARED_KEYS + 1
    };
    if entries.len() as u64 != expected {
        return Err(format!(
            "last = {l}: {} entries, a prefix of {l} batches has {expected}",
            entries.len()
        ));
    }
    let value = |key: &[u8]| -> Result<u64, String> {
        let v = entries
            .binary_search_by(|(k, _)| k.as_slice().cmp(key))
            .map(|i| &entries[i].1)
            .map_err(|_| format!("last = {l}: key {} missing", String::from_utf8_lossy(key)))?;
        decode(v).ok_or_else(|| format!("bad value {}", hex::encode(v)))
    };
    if l > 0 {
        for i in 0..SHARED_KEYS {
            if value(&shared_key(i))? != l {
                return Err(format!(
                    "last = {l} but shared key {i} is from another batch"
                ));
            }
        }
    }
    for n in 1..=l {
        for i in 0..BATCH_KEYS {
            if value(&batch_key(n, i))? != n {
                return Err(format!("batch {n} key {i} has another batch's value"));
            }
        }
    }
    Ok(l)
}

/// Tiny deterministic PRNG (xorshift64*), for the kill delays.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Kills `kills` children, each after a random delay, checking the database
/// after each.
fn crash_loop(every: u32, kills: u64, seed: u64) -> Result<(), Failed> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("crash.redb");
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut rng = Rng(seed | 1);
    let (mut before_ready, mut batches) = (0u64, 0u64);
    let mut previous = 0u64;
    let start = Instant::now();
    for kill in 0..kills {
        let acked = Arc::new(Mutex::new(Acked::default()));
        let mut child = Command::new(&exe)
            .env(CHILD_ENV, &path)
            .env(EVERY_ENV, every.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("spawn the child: {e}"))?;
        let stdout = child.stdout.take().ok_or("no child stdout")?;
        let reader = {
            let acked = acked.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    let mut acked = acked.lock().expect("lock");
                    let mut words = line.split(' ');
                    match (words.next(), words.next()) {
                        (Some("ready"), _) => acked.ready = true,
                        (Some(n), Some(d)) => {
                            let n: u64 = n.parse().expect("a batch number");
                            acked.committed = n;
                            if d == "1" {
                                acked.durable = n;
                            }
                        }
                        _ => panic!("unexpected child line {line:?}"),
                    }
                }
            })
        };
        // Mostly mid-loop, sometimes during the open (and the repair of the
        // previous crash).
        std::thread::sleep(Duration::from_millis(5 + rng.below(120)));
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            let mut stderr = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
            }
            return Err(
                format!("kill {kill}: the child ended by itself ({status}): {stderr}").into(),
            );
        }
        child.kill().map_err(|e| format!("SIGKILL: {e}"))?;
        child.wait().map_err(|e| e.to_string())?;
        reader.join().map_err(|_| "the reader thread panicked")?;
        let acked = std::mem::take(&mut *acked.lock().map_err(|e| e.to_string())?);
        if !acked.ready {
            before_ready += 1;
        }

        let storage = RedbStorage::open(&path)
            .map_err(|e| format!("kill {kill}: the database does not open: {e}"))?;
        let l = check_prefix(&storage).map_err(|e| format!("kill {kill}: {e}"))?;
        // Never lose a durable commit, of this child or before it.
        let durable = acked.durable.max(previous);
        if l < durable {
            return Err(format!(
                "kill {kill}: batch {durable} was committed durably, the database ends at {l}"
            )
            .into());
        }
        // At most the batch in flight beyond what was reported.
        let committed = acked.committed.max(previous);
        if l > committed + 1 {
            return Err(format!(
                "kill {kill}: the database ends at {l}, the child reported {committed}"
            )
            .into());
        }
        if every == 1 && l < committed {
            return Err(format!(
                "kill {kill}: durable mode lost batches {}..={committed}",
                l + 1
            )
            .into());
        }
        batches += l - previous.min(l);
        previous = l;
    }
    eprintln!(
        "crash safety (Durability::batched({every})): {kills} SIGKILLs survived ({before_ready} before the child was ready), \
         {previous} batches in the database, {batches} net new, seed {seed}, {:.1}s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn main() {
    if let Some(path) = std::env::var_os(CHILD_ENV) {
        let every = env_u64(EVERY_ENV, 1).try_into().unwrap_or(1);
        child(Path::new(&path), every);
    }
    let args = Arguments::from_args();
    let kills = env_u64("CRASH_KILLS", 100);
    let seed = env_u64(
        "CRASH_SEED",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
    );
    let trials = vec![
        Trial::test("crash_safety_durable_commits", move || {
            crash_loop(1, kills, seed)
        }),
        Trial::test("crash_safety_batched_commits", move || {
            crash_loop(16, kills, seed ^ 0x9E37_79B9)
        }),
    ];
    libtest_mimic::run(&args, trials).exit();
}
