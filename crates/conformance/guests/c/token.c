/* A token ledger: balances in storage under "balance/" + account name,
 * each a u64, 8 bytes little-endian (a missing key is a balance of 0).
 *
 * Export "transfer": the input is from_len (1 byte), from, to_len (1 byte),
 * to, amount (8 bytes, little-endian); names are 1 to 32 bytes. It moves
 * the amount, emits the event "transfer" whose data is the input, and
 * returns the balances of from and to after the transfer (8 + 8 bytes).
 * Errors are panics, so nothing is committed: "malformed transfer", "bad
 * account name", "insufficient balance", "balance overflow", "corrupt
 * balance" (a stored value that is not 8 bytes).
 *
 * Export "balance_of": the input is a name; returns its balance (8 bytes).
 *
 * Export "mint": the input is to_len, to, amount; adds the amount to the
 * balance of to and to "supply", logs "minted"; "balance overflow" if
 * either would overflow. */
#include "abi.h"

#define PREFIX "balance/"
#define PREFIX_LEN 8
#define MAX_NAME 32

static u8 in[256];
static u8 key[PREFIX_LEN + MAX_NAME];
static u8 value[8];
static u8 result[16];

/* The key of a name, in `key`; returns its length. */
static u64 balance_key(const u8 *name, u64 len) {
    if (len == 0 || len > MAX_NAME) panic_str("bad account name");
    for (u64 i = 0; i < PREFIX_LEN; i++) key[i] = PREFIX[i];
    for (u64 i = 0; i < len; i++) key[PREFIX_LEN + i] = name[i];
    return PREFIX_LEN + len;
}

static u64 load(const u8 *k, u64 klen) {
    if (!storage_read(klen, PTR(k), 2)) return 0;
    if (register_len(2) != 8) panic_str("corrupt balance");
    read_register(2, PTR(value));
    return load_u64(value);
}

static void store(const u8 *k, u64 klen, u64 v) {
    store_u64(value, v);
    storage_write(klen, PTR(k), 8, PTR(value), 2);
}

static u64 get_balance(const u8 *name, u64 len) {
    u64 klen = balance_key(name, len);
    return load(key, klen);
}

static void set_balance(const u8 *name, u64 len, u64 v) {
    u64 klen = balance_key(name, len);
    store(key, klen, v);
}

EXPORT(transfer) void transfer(void) {
    u64 n = read_input(in, sizeof in);
    if (n < 1) panic_str("malformed transfer");
    u64 from_len = in[0];
    if (n < 1 + from_len + 1) panic_str("malformed transfer");
    const u8 *from = in + 1;
    u64 to_len = in[1 + from_len];
    const u8 *to = in + 2 + from_len;
    if (n != 2 + from_len + to_len + 8) panic_str("malformed transfer");
    u64 amount = load_u64(to + to_len);

    u64 from_balance = get_balance(from, from_len);
    if (amount > from_balance) panic_str("insufficient balance");
    set_balance(from, from_len, from_balance - amount);
    u64 to_balance = get_balance(to, to_len);
    if (to_balance + amount < to_balance) panic_str("balance overflow");
    set_balance(to, to_len, to_balance + amount);

    event_str("transfer", in, n);
    store_u64(result, get_balance(from, from_len));
    store_u64(result + 8, get_balance(to, to_len));
    value_return(16, PTR(result));
}

EXPORT(balance_of) void balance_of(void) {
    u64 n = read_input(in, MAX_NAME);
    store_u64(result, get_balance(in, n));
    value_return(8, PTR(result));
}

EXPORT(mint) void mint(void) {
    u64 n = read_input(in, sizeof in);
    if (n < 1 || n != 1 + (u64)in[0] + 8) panic_str("malformed mint");
    u64 to_len = in[0];
    const u8 *to = in + 1;
    u64 amount = load_u64(to + to_len);
    static const u8 supply_key[] = "supply";
    u64 supply = load(supply_key, 6);
    if (supply + amount < supply) panic_str("balance overflow");
    u64 balance = get_balance(to, to_len);
    if (balance + amount < balance) panic_str("balance overflow");
    set_balance(to, to_len, balance + amount);
    store(supply_key, 6, supply + amount);
    static const char minted[] = "minted";
    log_utf8(6, PTR(minted));
}
