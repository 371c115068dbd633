/* Guest ABI v1 (shared/ABI.md) for C guests built for wasm32.
 *
 * Every ABI parameter and result is an i64 (unsigned), so pointers are
 * widened with PTR(). Functions are imported from module "env" by their
 * exact ABI names; the linker exports the memory as "memory". */
#ifndef GUEST_ABI_H
#define GUEST_ABI_H

typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned char u8;

#define IMPORT(name) __attribute__((import_module("env"), import_name(#name)))
#define EXPORT(name) __attribute__((export_name(#name)))
#define PTR(p) ((u64)(unsigned long)(p))

IMPORT(read_register) void read_register(u64 register_id, u64 ptr);
IMPORT(register_len) u64 register_len(u64 register_id);
IMPORT(write_register) void write_register(u64 register_id, u64 len, u64 ptr);
IMPORT(input) void input(u64 register_id);
IMPORT(value_return) void value_return(u64 len, u64 ptr);
IMPORT(panic_utf8) void panic_utf8(u64 len, u64 ptr);
IMPORT(log_utf8) void log_utf8(u64 len, u64 ptr);
IMPORT(emit_event) void emit_event(u64 kind_len, u64 kind_ptr, u64 data_len, u64 data_ptr);
IMPORT(storage_write) u64 storage_write(u64 key_len, u64 key_ptr, u64 value_len, u64 value_ptr, u64 register_id);
IMPORT(storage_read) u64 storage_read(u64 key_len, u64 key_ptr, u64 register_id);
IMPORT(storage_remove) u64 storage_remove(u64 key_len, u64 key_ptr, u64 register_id);
IMPORT(storage_has_key) u64 storage_has_key(u64 key_len, u64 key_ptr);
IMPORT(sha256) void sha256(u64 len, u64 ptr, u64 register_id);
IMPORT(random_bytes) void random_bytes(u64 len, u64 ptr);
IMPORT(time_now) u64 time_now(void);
IMPORT(gas_left) u64 gas_left(void);

static inline u64 cstr_len(const char *s) {
    u64 n = 0;
    while (s[n]) n++;
    return n;
}

/* Ends the execution with GuestPanic(message). */
__attribute__((noreturn)) static inline void panic_str(const char *message) {
    panic_utf8(cstr_len(message), PTR(message));
    __builtin_unreachable();
}

static inline void event_str(const char *kind, const void *data, u64 data_len) {
    emit_event(cstr_len(kind), PTR(kind), data_len, PTR(data));
}

static inline u64 load_u64(const u8 *p) {
    u64 v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static inline void store_u64(u8 *p, u64 v) {
    for (int i = 0; i < 8; i++) p[i] = (u8)(v >> (8 * i));
}

/* Reads the call's input into buf (at most cap bytes, else a panic);
 * returns its length. */
static inline u64 read_input(u8 *buf, u64 cap) {
    input(0);
    u64 n = register_len(0);
    if (n > cap) panic_str("input too long");
    read_register(0, PTR(buf));
    return n;
}

#endif
