//! Realistic guests: a key-value store, a token ledger, SHA-256 chains, a
//! lottery, pure computation and a float statistic, some of them written in
//! C (`guests/c/`, built by its `build.sh`, the `.wasm` committed).
//!
//! Every expectation comes from `ABI.md` and the guest's documented
//! behaviour: hashes from the `sha2` crate, randomness from one `fill_bytes`
//! stream of `ChaCha20Rng::from_seed(seed)`, numbers from the same
//! computation in Rust. Gas is stated only where it is derived by hand; the
//! harness checks that all backends agree on it (and on every other field)
//! everywhere else.

use host_abi::HostFunction;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use runtime::GasSchedule;
use sha2::{Digest, Sha256};

use super::{Case, kv, le};
use crate::expect::Expect;

/// The realistic guests' cases.
pub(super) fn app_cases(s: &GasSchedule, base: &dyn Fn(HostFunction) -> u64) -> Vec<Case> {
    let mut cases = kv_cases();
    cases.extend(counter_cases(s, base));
    cases.extend(token_cases());
    cases.extend(sha_cases());
    cases.extend(compute_cases());
    cases.extend(lottery_cases(s, base));
    cases.extend(stats_cases());
    cases
}

/// The first `n` bytes of the keystream of `seed` (`ABI.md`: one
/// `fill_bytes` call of a fresh `ChaCha20Rng`).
fn keystream(seed: [u8; 32], n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    ChaCha20Rng::from_seed(seed).fill_bytes(&mut bytes);
    bytes
}

fn sha256(data: &[u8]) -> Vec<u8> {
    Sha256::digest(data).to_vec()
}

// ---------------------------------------------------------------------------
// Key-value store (guests/c/kv.c)

fn kv_key(op: u8, key: &[u8]) -> Vec<u8> {
    let len = u8::try_from(key.len()).unwrap_or(u8::MAX);
    [&[op, len][..], key].concat()
}

fn kv_set(key: &[u8], value: &[u8]) -> Vec<u8> {
    let len = u8::try_from(value.len()).unwrap_or(u8::MAX);
    [kv_key(b'S', key), vec![len], value.to_vec()].concat()
}

/// The result of S, G and R: 00, or 01, the length and the value.
fn found(value: &[u8]) -> Vec<u8> {
    let len = u8::try_from(value.len()).unwrap_or(u8::MAX);
    [&[1, len][..], value].concat()
}

fn kv_cases() -> Vec<Case> {
    let g = || guest!(c "kv");
    let set_event = |k: &[u8]| ("kv.set", k.to_vec());
    let remove_event = |k: &[u8]| ("kv.remove", k.to_vec());
    let long = [b'x'; 300];
    vec![
        Case::new(
            "kv.set_new",
            g(),
            "run",
            Expect::ok()
                .returns([0])
                .events([set_event(b"a")])
                .changes([kv(b"a", Some(b"1"))]),
        )
        .input(&kv_set(b"a", b"1")),
        Case::new(
            "kv.set_replaces",
            g(),
            "run",
            Expect::ok()
                .returns(found(b"old"))
                .events([set_event(b"a")])
                .changes([kv(b"a", Some(b"new"))]),
        )
        .input(&kv_set(b"a", b"new"))
        .state(&[(b"a", b"old"), (b"b", b"other")]),
        Case::new(
            "kv.get_existing",
            g(),
            "run",
            Expect::ok().returns(found(b"hello")),
        )
        .input(&kv_key(b'G', b"greeting"))
        .state(&[(b"greeting", b"hello")]),
        Case::new("kv.get_missing", g(), "run", Expect::ok().returns([0]))
            .input(&kv_key(b'G', b"nope"))
            .state(&[(b"greeting", b"hello")]),
        Case::new(
            "kv.remove_existing",
            g(),
            "run",
            Expect::ok()
                .returns(found(b"x"))
                .events([remove_event(b"a")])
                .changes([kv(b"a", None)]),
        )
        .input(&kv_key(b'R', b"a"))
        .state(&[(b"a", b"x"), (b"b", b"y")]),
        Case::new("kv.remove_missing", g(), "run", Expect::ok().returns([0]))
            .input(&kv_key(b'R', b"a")),
        Case::new("kv.has", g(), "run", Expect::ok().returns([1, 0]))
            .input(&[kv_key(b'H', b"a"), kv_key(b'H', b"b")].concat())
            .state(&[(b"a", b"")]),
        // set a, get a, set b, remove a, has a, has b: "a" is written and
        // removed again, so only "b" changes.
        Case::new(
            "kv.batch",
            g(),
            "run",
            Expect::ok()
                .returns([vec![0], found(b"1"), vec![0], found(b"1"), vec![0, 1]].concat())
                .events([set_event(b"a"), set_event(b"b"), remove_event(b"a")])
                .changes([kv(b"b", Some(b"2"))]),
        )
        .input(
            &[
                kv_set(b"a", b"1"),
                kv_key(b'G', b"a"),
                kv_set(b"b", b"2"),
                kv_key(b'R', b"a"),
                kv_key(b'H', b"a"),
                kv_key(b'H', b"b"),
            ]
            .concat(),
        ),
        // Changing a value and changing it back is no change.
        Case::new(
            "kv.batch_back_to_pre_state",
            g(),
            "run",
            Expect::ok()
                .returns([found(b"1"), found(b"2")].concat())
                .events([set_event(b"a"), set_event(b"a")]),
        )
        .input(&[kv_set(b"a", b"2"), kv_set(b"a", b"1")].concat())
        .state(&[(b"a", b"1")]),
        Case::new(
            "kv.empty_key_and_value",
            g(),
            "run",
            Expect::ok()
                .returns([0, 1, 1, 0])
                .events([set_event(b"")])
                .changes([kv(b"", Some(b""))]),
        )
        .input(&[kv_set(b"", b""), kv_key(b'H', b""), kv_key(b'G', b"")].concat()),
        // A valid set, then garbage: a panic, and the set is not committed.
        Case::new(
            "kv.unknown_opcode_panics",
            g(),
            "run",
            Expect::panic("unknown opcode"),
        )
        .input(&[kv_set(b"a", b"2"), b"X\x01a".to_vec()].concat())
        .state(&[(b"a", b"1")]),
        Case::new(
            "kv.truncated_command_panics",
            g(),
            "run",
            Expect::panic("truncated command"),
        )
        .input(&[kv_set(b"a", b"2"), b"S\x05ab".to_vec()].concat())
        .state(&[(b"a", b"1")]),
        Case::new(
            "kv.missing_value_panics",
            g(),
            "run",
            Expect::panic("truncated command"),
        )
        .input(b"S\x01a"),
        Case::new(
            "kv.empty_input_panics",
            g(),
            "run",
            Expect::panic("empty input"),
        ),
        Case::new(
            "kv.stored_value_too_long_panics",
            g(),
            "run",
            Expect::panic("value too long"),
        )
        .input(&[kv_set(b"b", b"1"), kv_key(b'G', b"a")].concat())
        .state(&[(b"a", &long)]),
        // A key over the key limit is the host's error, not the guest's.
        Case::new(
            "kv.key_over_limit",
            g(),
            "run",
            Expect::host_error("KeyLengthExceeded"),
        )
        .input(&[kv_set(b"a", b"2"), kv_set(b"abcde", b"1")].concat())
        .state(&[(b"a", b"1")])
        .limits(|l| l.execution.max_key_len = 4),
    ]
}

// ---------------------------------------------------------------------------
// Counter (guests/counter.wat): more cases.

fn counter_cases(s: &GasSchedule, base: &dyn Fn(HostFunction) -> u64) -> Vec<Case> {
    use HostFunction::*;
    let o = &s.operators;
    let g = || guest!("counter");
    // Blocks of "increment": the entry (4 constants, i64.eq, if: 6 simple;
    // 1 call); the then branch, taken when the key exists (2 simple, 1 call);
    // the rest (16 simple, 2 loads/stores, 3 calls). Host calls with an
    // 8-byte value under the 5-byte key "count": storage_read finds it,
    // read_register copies it, storage_write replaces it, emit_event of 13
    // bytes, value_return of 8.
    let key = 5;
    let increment_existing = (6 + 2 + 16) * o.simple
        + 2 * o.memory_access
        + 5 * o.call
        + base(StorageRead)
        + key * (s.memory_read_byte + s.storage_key_byte)
        + 8 * s.storage_value_byte
        + 8 * s.register_byte
        + base(ReadRegister)
        + 8 * s.memory_write_byte
        + base(StorageWrite)
        + key * (s.memory_read_byte + s.storage_key_byte)
        + 8 * (s.memory_read_byte + s.storage_value_byte)
        + 8 * s.storage_value_byte
        + 8 * s.register_byte
        + base(EmitEvent)
        + (key + 8) * (s.memory_read_byte + s.event_byte)
        + base(ValueReturn)
        + 8 * s.memory_read_byte;
    vec![
        // u64 arithmetic wraps.
        Case::new(
            "counter.wraps_at_u64_max",
            g(),
            "increment",
            Expect::ok()
                .returns(le(0))
                .events([("count", le(0))])
                .changes([kv(b"count", Some(&le(0)))])
                .gas(increment_existing),
        )
        .state(&[(b"count", &u64::MAX.to_le_bytes())]),
        // A 3-byte value is read into the low bytes of a zeroed u64.
        Case::new(
            "counter.short_stored_value",
            g(),
            "increment",
            Expect::ok()
                .returns(le(0x03_0202))
                .events([("count", le(0x03_0202))])
                .changes([kv(b"count", Some(&le(0x03_0202)))]),
        )
        .state(&[(b"count", &[1, 2, 3])]),
        Case::new(
            "counter.out_of_gas_commits_nothing",
            g(),
            "increment",
            Expect::trap("GasExhausted").gas(5_000),
        )
        .state(&[(b"count", &7u64.to_le_bytes())])
        .limits(|l| l.execution.gas = 5_000),
    ]
}

// ---------------------------------------------------------------------------
// Token ledger (guests/c/token.c)

fn balance_key(name: &[u8]) -> Vec<u8> {
    [b"balance/".as_slice(), name].concat()
}

fn transfer_input(from: &[u8], to: &[u8], amount: u64) -> Vec<u8> {
    let from_len = u8::try_from(from.len()).unwrap_or(u8::MAX);
    let to_len = u8::try_from(to.len()).unwrap_or(u8::MAX);
    [
        vec![from_len],
        from.to_vec(),
        vec![to_len],
        to.to_vec(),
        le(amount),
    ]
    .concat()
}

fn token_cases() -> Vec<Case> {
    let g = || guest!(c "token");
    let alice = balance_key(b"alice");
    let bob = balance_key(b"bob");
    let carol = balance_key(b"carol");
    let supply = b"supply".to_vec();
    let state = |entries: &[(&[u8], u64)]| -> Vec<(Vec<u8>, Vec<u8>)> {
        entries.iter().map(|(k, v)| (k.to_vec(), le(*v))).collect()
    };
    let with_state = |mut case: Case, entries: Vec<(Vec<u8>, Vec<u8>)>| {
        case.pre_state = entries;
        case
    };
    let transfer = |name: &str, input: &[u8], expect: Expect, pre: &[(&[u8], u64)]| {
        with_state(
            Case::new(name, g(), "transfer", expect).input(input),
            state(pre),
        )
    };
    let t = transfer_input(b"alice", b"bob", 30);
    let to_new = transfer_input(b"alice", b"carol", 100);
    let zero = transfer_input(b"alice", b"carol", 0);
    let own = transfer_input(b"alice", b"alice", 20);
    let long_name = transfer_input(&[b'a'; 33], b"bob", 1);
    vec![
        transfer(
            "token.transfer",
            &t,
            Expect::ok()
                .returns([le(70), le(35)].concat())
                .events([("transfer", t.clone())])
                .changes([(alice.clone(), Some(le(70))), (bob.clone(), Some(le(35)))]),
            &[(&alice, 100), (&bob, 5), (&carol, 1)],
        ),
        transfer(
            "token.transfer_whole_balance_to_new_account",
            &to_new,
            Expect::ok()
                .returns([le(0), le(100)].concat())
                .events([("transfer", to_new.clone())])
                .changes([(alice.clone(), Some(le(0))), (carol.clone(), Some(le(100)))]),
            &[(&alice, 100)],
        ),
        // Alice's balance is rewritten unchanged; Carol's is created as 0.
        transfer(
            "token.transfer_zero",
            &zero,
            Expect::ok()
                .returns([le(1), le(0)].concat())
                .events([("transfer", zero.clone())])
                .changes([(carol.clone(), Some(le(0)))]),
            &[(&alice, 1)],
        ),
        // From and to are the same account: no net change.
        transfer(
            "token.self_transfer",
            &own,
            Expect::ok()
                .returns([le(50), le(50)].concat())
                .events([("transfer", own.clone())]),
            &[(&alice, 50)],
        ),
        transfer(
            "token.transfer_insufficient_balance",
            &transfer_input(b"alice", b"bob", 11),
            Expect::panic("insufficient balance"),
            &[(&alice, 10), (&bob, 0)],
        ),
        transfer(
            "token.transfer_from_missing_account",
            &transfer_input(b"dave", b"bob", 1),
            Expect::panic("insufficient balance"),
            &[(&bob, 3)],
        ),
        // The debit is written before the credit overflows: the panic
        // discards it.
        transfer(
            "token.transfer_overflow",
            &transfer_input(b"alice", b"bob", 6),
            Expect::panic("balance overflow"),
            &[(&alice, 10), (&bob, u64::MAX - 5)],
        ),
        transfer(
            "token.transfer_malformed",
            &transfer_input(b"alice", b"bob", 6)[..10],
            Expect::panic("malformed transfer"),
            &[(&alice, 10)],
        ),
        transfer(
            "token.transfer_empty_input",
            b"",
            Expect::panic("malformed transfer"),
            &[],
        ),
        transfer(
            "token.transfer_empty_name",
            &transfer_input(b"", b"bob", 1),
            Expect::panic("bad account name"),
            &[(&bob, 3)],
        ),
        transfer(
            "token.transfer_name_too_long",
            &long_name,
            Expect::panic("bad account name"),
            &[(&bob, 3)],
        ),
        with_state(
            Case::new(
                "token.transfer_corrupt_balance",
                g(),
                "transfer",
                Expect::panic("corrupt balance"),
            )
            .input(&t),
            vec![(alice.clone(), vec![1, 2, 3])],
        ),
        // Two storage writes cost more than 10 000 gas: nothing is committed.
        transfer(
            "token.transfer_out_of_gas",
            &t,
            Expect::trap("GasExhausted").gas(10_000),
            &[(&alice, 100), (&bob, 5)],
        )
        .limits(|l| l.execution.gas = 10_000),
        with_state(
            Case::new(
                "token.balance_of",
                g(),
                "balance_of",
                Expect::ok().returns(le(123)),
            )
            .input(b"alice"),
            state(&[(&alice, 123), (&bob, 7)]),
        ),
        Case::new(
            "token.balance_of_missing",
            g(),
            "balance_of",
            Expect::ok().returns(le(0)),
        )
        .input(b"zed"),
        with_state(
            Case::new(
                "token.mint",
                g(),
                "mint",
                Expect::ok().logs(["minted"]).changes([
                    (alice.clone(), Some(le(150))),
                    (supply.clone(), Some(le(150))),
                ]),
            )
            .input(&[vec![5], b"alice".to_vec(), le(50)].concat()),
            state(&[(&alice, 100), (&supply, 100)]),
        ),
        with_state(
            Case::new(
                "token.mint_supply_overflow",
                g(),
                "mint",
                Expect::panic("balance overflow"),
            )
            .input(&[vec![3], b"bob".to_vec(), le(1)].concat()),
            state(&[(&supply, u64::MAX)]),
        ),
    ]
}

// ---------------------------------------------------------------------------
// SHA-256 chains (guests/c/sha.c)

fn chain(data: &[u8], rounds: u32) -> Vec<u8> {
    let mut h = data.to_vec();
    for _ in 0..rounds {
        h = sha256(&h);
    }
    h
}

fn chain_input(rounds: u32, data: &[u8]) -> Vec<u8> {
    [rounds.to_le_bytes().as_slice(), data].concat()
}

fn sha_cases() -> Vec<Case> {
    let g = || guest!(c "sha");
    let case = |name: &str, export: &'static str, rounds: u32, data: &[u8]| {
        Case::new(name, g(), export, Expect::ok().returns(chain(data, rounds)))
            .input(&chain_input(rounds, data))
    };
    // Lengths around the padding boundaries of a 64-byte block.
    let bytes = |n: usize| -> Vec<u8> { (0..n).map(|i| (i * 7 + 3) as u8).collect() };
    let big = bytes(60_000);
    vec![
        // FIPS 180-2, appendix B.1, by both implementations.
        Case::new(
            "sha.host_abc",
            g(),
            "host_chain",
            Expect::ok().returns(
                hex::decode("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
                    .unwrap_or_default(),
            ),
        )
        .input(&chain_input(1, b"abc")),
        Case::new(
            "sha.pure_abc",
            g(),
            "pure_chain",
            Expect::ok().returns(
                hex::decode("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
                    .unwrap_or_default(),
            ),
        )
        .input(&chain_input(1, b"abc")),
        case("sha.host_zero_rounds", "host_chain", 0, b"unchanged"),
        case("sha.host_chain_1000", "host_chain", 1000, b"seed"),
        case("sha.pure_chain_1000", "pure_chain", 1000, b"seed"),
        case("sha.both_chain_300", "both_chain", 300, b"both"),
        case("sha.pure_empty", "pure_chain", 1, b""),
        case("sha.pure_55_bytes", "pure_chain", 1, &bytes(55)),
        case("sha.pure_56_bytes", "pure_chain", 1, &bytes(56)),
        case("sha.pure_64_bytes", "pure_chain", 1, &bytes(64)),
        case("sha.pure_119_bytes", "pure_chain", 1, &bytes(119)),
        case("sha.host_60000_bytes", "host_chain", 2, &big),
        case("sha.pure_60000_bytes", "pure_chain", 2, &big),
        Case::new(
            "sha.input_too_short",
            g(),
            "both_chain",
            Expect::panic("input too short"),
        )
        .input(b"\x01\x00"),
        Case::new(
            "sha.input_too_long",
            g(),
            "host_chain",
            Expect::panic("input too long"),
        )
        .input(&chain_input(1, &bytes(60_001))),
        // A chain longer than the gas allows.
        Case::new(
            "sha.host_chain_out_of_gas",
            g(),
            "host_chain",
            Expect::trap("GasExhausted").gas(5_000_000),
        )
        .input(&chain_input(u32::MAX, b"x"))
        .limits(|l| l.execution.gas = 5_000_000),
        Case::new(
            "sha.pure_chain_out_of_gas",
            g(),
            "pure_chain",
            Expect::trap("GasExhausted").gas(5_000_000),
        )
        .input(&chain_input(u32::MAX, b"x"))
        .limits(|l| l.execution.gas = 5_000_000),
    ]
}

// ---------------------------------------------------------------------------
// Pure computation (guests/compute.wat)

fn count_primes(n: usize) -> u64 {
    let mut composite = vec![false; n + 1];
    let mut count = 0;
    for i in 2..=n {
        if !composite[i] {
            count += 1;
            let mut j = i * i;
            while j <= n {
                composite[j] = true;
                j += i;
            }
        }
    }
    count
}

fn fib(n: u32) -> u64 {
    let (mut a, mut b) = (0u64, 1u64);
    for _ in 0..n {
        (a, b) = (b, a.wrapping_add(b));
    }
    a
}

fn compute_cases() -> Vec<Case> {
    let g = || guest!("compute");
    let arg = |n: u32| n.to_le_bytes();
    vec![
        Case::new(
            "compute.count_primes_100",
            g(),
            "count_primes",
            Expect::ok().returns(le(count_primes(100))),
        )
        .input(&arg(100)),
        Case::new(
            "compute.count_primes_1000000",
            g(),
            "count_primes",
            Expect::ok().returns(le(count_primes(1_000_000))),
        )
        .input(&arg(1_000_000)),
        Case::new(
            "compute.count_primes_0",
            g(),
            "count_primes",
            Expect::ok().returns(le(0)),
        )
        .input(&arg(0)),
        Case::new(
            "compute.count_primes_too_large",
            g(),
            "count_primes",
            Expect::panic("n too large"),
        )
        .input(&arg(1_000_001)),
        Case::new(
            "compute.count_primes_bad_input",
            g(),
            "count_primes",
            Expect::panic("input must be 4 bytes"),
        )
        .input(b"\x10\x00"),
        Case::new(
            "compute.count_primes_out_of_gas",
            g(),
            "count_primes",
            Expect::trap("GasExhausted").gas(1_000_000),
        )
        .input(&arg(1_000_000))
        .limits(|l| l.execution.gas = 1_000_000),
        Case::new(
            "compute.fib_90",
            g(),
            "fib",
            Expect::ok().returns(le(fib(90))),
        )
        .input(&arg(90)),
        // Past F(93), u64 arithmetic wraps.
        Case::new(
            "compute.fib_100000_wraps",
            g(),
            "fib",
            Expect::ok().returns(le(fib(100_000))),
        )
        .input(&arg(100_000)),
        Case::new(
            "compute.fib_recursive_25",
            g(),
            "fib_recursive",
            Expect::ok().returns(le(fib(25))),
        )
        .input(&arg(25)),
        Case::new(
            "compute.fib_recursive_too_large",
            g(),
            "fib_recursive",
            Expect::panic("n too large"),
        )
        .input(&arg(31)),
    ]
}

// ---------------------------------------------------------------------------
// Lottery (guests/lottery.wat): random_bytes and time_now

fn lottery_cases(s: &GasSchedule, base: &dyn Fn(HostFunction) -> u64) -> Vec<Case> {
    use HostFunction::*;
    let o = &s.operators;
    let g = || guest!("lottery");
    let with = |mut case: Case, seed: [u8; 32], time: u64| {
        case.context.seed = seed;
        case.context.timestamp_ns = time;
        case
    };

    // draw: one block of 15 simple, 1 store, 5 calls; time_now; 16 random
    // bytes; storage_write of a 13-byte key and a 16-byte value (new);
    // emit_event of 4 + 24 bytes; value_return of 24.
    let draw_gas = 15 * o.simple
        + o.memory_access
        + 5 * o.call
        + base(TimeNow)
        + base(RandomBytes)
        + 16 * (s.memory_write_byte + s.random_byte)
        + base(StorageWrite)
        + 13 * (s.memory_read_byte + s.storage_key_byte)
        + 16 * (s.memory_read_byte + s.storage_value_byte)
        + base(EmitEvent)
        + 28 * (s.memory_read_byte + s.event_byte)
        + base(ValueReturn)
        + 24 * s.memory_read_byte;
    let draw = |name: &str, seed: [u8; 32], time: u64| {
        let bytes = keystream(seed, 16);
        let record = [le(time), bytes.clone()].concat();
        let key = [b"draw/".to_vec(), le(time)].concat();
        with(
            Case::new(
                name,
                g(),
                "draw",
                Expect::ok()
                    .returns(record.clone())
                    .events([("draw", record)])
                    .changes([(key, Some(bytes))])
                    .gas(draw_gas),
            ),
            seed,
            time,
        )
    };

    // Fisher-Yates over 0..52 with 4 bytes of the stream per step.
    let shuffled = |seed: [u8; 32]| {
        let stream = keystream(seed, 51 * 4);
        let mut deck: Vec<u8> = (0..52).collect();
        for (step, i) in (1..52usize).rev().enumerate() {
            let word = &stream[4 * step..4 * step + 4];
            let r = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
            let j = (r % (i as u32 + 1)) as usize;
            deck.swap(i, j);
        }
        deck
    };

    let seed_a = [42u8; 32];
    let seed_b: [u8; 32] = std::array::from_fn(|i| i as u8);
    vec![
        draw("lottery.draw", seed_a, 1_700_000_000_000_000_000),
        draw("lottery.draw_other_seed_and_time", seed_b, 5),
        with(
            Case::new(
                "lottery.shuffle",
                g(),
                "shuffle",
                Expect::ok().returns(shuffled(seed_a)),
            ),
            seed_a,
            0,
        ),
        with(
            Case::new(
                "lottery.shuffle_other_seed",
                g(),
                "shuffle",
                Expect::ok().returns(shuffled(seed_b)),
            ),
            seed_b,
            0,
        ),
        // 100 calls of 7 bytes: the first 700 bytes of the one stream.
        with(
            Case::new(
                "lottery.tickets_100",
                g(),
                "tickets",
                Expect::ok().returns(keystream(seed_b, 700)),
            )
            .input(&[100]),
            seed_b,
            0,
        ),
        Case::new("lottery.tickets_0", g(), "tickets", Expect::ok()).input(&[0]),
        Case::new(
            "lottery.tickets_bad_input",
            g(),
            "tickets",
            Expect::panic("input must be 1 byte"),
        )
        .input(&[1, 2]),
    ]
}

// ---------------------------------------------------------------------------
// Mean and variance of f64s (guests/c/stats.c)

fn f64s(xs: &[f64]) -> Vec<u8> {
    xs.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The guest's computation, in the same order (IEEE 754 makes it exact).
fn mean_variance(xs: &[f64]) -> Vec<u8> {
    let n = xs.len() as f64;
    let mut sum = 0.0;
    for x in xs {
        sum += x;
    }
    let mean = sum / n;
    let mut acc = 0.0;
    for x in xs {
        acc += (x - mean) * (x - mean);
    }
    f64s(&[mean, acc / n])
}

fn stats_cases() -> Vec<Case> {
    let g = || guest!(c "stats");
    // The canonical NaN, twice: mean and variance.
    let nan = [0x7ff8_0000_0000_0000u64.to_le_bytes(); 2].concat();
    let case = |name: &str, input: Vec<u8>, returns: Vec<u8>| {
        Case::new(name, g(), "mean_variance", Expect::ok().returns(returns)).input(&input)
    };
    let values: Vec<f64> = (0..1000).map(|i| f64::from(i) * 0.1 - 17.25).collect();
    let payload = f64::from_bits(0x7ff4_0000_0000_0abc);
    let negative_payload = f64::from_bits(0xfff8_0000_0001_2345);
    vec![
        case(
            "stats.four_values",
            f64s(&[1.0, 2.0, 3.0, 4.0]),
            mean_variance(&[1.0, 2.0, 3.0, 4.0]),
        ),
        case("stats.one_value", f64s(&[3.5]), f64s(&[3.5, 0.0])),
        case("stats.1000_values", f64s(&values), mean_variance(&values)),
        // 0 / 0: the canonical NaN.
        case("stats.empty_is_nan", Vec::new(), nan.clone()),
        // A signalling NaN with a payload in the input: arithmetic makes it
        // canonical, whatever the engine would have kept.
        case(
            "stats.nan_payload_input",
            f64s(&[1.0, payload, 2.0]),
            nan.clone(),
        ),
        case(
            "stats.negative_nan_input",
            f64s(&[negative_payload]),
            nan.clone(),
        ),
        // inf + -inf.
        case(
            "stats.infinities",
            f64s(&[f64::INFINITY, f64::NEG_INFINITY]),
            nan,
        ),
        // The sum overflows: mean and variance are infinite, not NaN.
        case(
            "stats.overflow_to_infinity",
            f64s(&[f64::MAX, f64::MAX]),
            f64s(&[f64::INFINITY, f64::INFINITY]),
        ),
        Case::new(
            "stats.bad_length",
            g(),
            "mean_variance",
            Expect::panic("not a list of f64"),
        )
        .input(&[0; 12]),
    ]
}
