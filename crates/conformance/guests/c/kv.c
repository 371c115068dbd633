/* A key-value store driven by a batch of commands in the input.
 *
 * Export "run". The input is a sequence of commands, each an opcode byte,
 * a key length byte and the key:
 *
 *   'S' klen key vlen value   set key = value
 *   'G' klen key              get key
 *   'R' klen key              remove key
 *   'H' klen key              has key
 *
 * The return data is the concatenation of one result per command: for S, G
 * and R, 00 if there was no (old) value, else 01, its length byte and the
 * value; for H, 00 or 01. A set emits the event "kv.set" with the key, a
 * remove of an existing key the event "kv.remove" with the key.
 *
 * Errors are panics (so nothing is committed): "empty input", "unknown
 * opcode", "truncated command", "value too long" (a stored value over 255
 * bytes), "output too long", "input too long". */
#include "abi.h"

#define CAP 16384

static u8 in[CAP];
static u8 out[CAP];
static u64 out_len;

/* Appends 00, or 01, the length and the value of register 1. */
static void put_value(u64 found) {
    if (out_len + 257 > CAP) panic_str("output too long");
    if (!found) {
        out[out_len++] = 0;
        return;
    }
    u64 len = register_len(1);
    if (len > 255) panic_str("value too long");
    out[out_len++] = 1;
    out[out_len++] = (u8)len;
    read_register(1, PTR(out + out_len));
    out_len += len;
}

EXPORT(run) void run(void) {
    u64 n = read_input(in, CAP);
    if (n == 0) panic_str("empty input");
    out_len = 0;
    u64 i = 0;
    while (i < n) {
        u8 op = in[i++];
        if (op != 'S' && op != 'G' && op != 'R' && op != 'H') panic_str("unknown opcode");
        if (i >= n) panic_str("truncated command");
        u64 klen = in[i++];
        if (klen > n - i) panic_str("truncated command");
        const u8 *key = in + i;
        i += klen;
        if (op == 'S') {
            if (i >= n) panic_str("truncated command");
            u64 vlen = in[i++];
            if (vlen > n - i) panic_str("truncated command");
            const u8 *value = in + i;
            i += vlen;
            u64 had = storage_write(klen, PTR(key), vlen, PTR(value), 1);
            event_str("kv.set", key, klen);
            put_value(had);
        } else if (op == 'G') {
            put_value(storage_read(klen, PTR(key), 1));
        } else if (op == 'R') {
            u64 had = storage_remove(klen, PTR(key), 1);
            if (had) event_str("kv.remove", key, klen);
            put_value(had);
        } else {
            if (out_len + 1 > CAP) panic_str("output too long");
            out[out_len++] = (u8)storage_has_key(klen, PTR(key));
        }
    }
    value_return(out_len, PTR(out));
}
