/* The session bus (docs/SESSIONS.md) for C guests built for wasm32, on top
 * of the guest ABI of ../c/abi.h. Imported from module "session"; every
 * parameter and result is an i64, pointers widened with PTR(). */
#ifndef GUEST_SESSION_H
#define GUEST_SESSION_H

#include "abi.h"

#define SESSION(name) __attribute__((import_module("session"), import_name(#name)))

/* Queues a message to module `to` (UnknownModule, MessageTooLarge,
 * TooManyMessages, MailboxFull are host errors that end the execution). */
SESSION(send) void send(u64 to_len, u64 to_ptr, u64 data_len, u64 data_ptr);
/* Pops the oldest message: 1 with the sender's name and the data in the
 * two registers, or 0 if the mailbox is empty. */
SESSION(recv) u64 recv(u64 sender_register, u64 data_register);
/* The number of messages waiting. */
SESSION(pending) u64 pending(void);

static inline void send_str(const char *to, const void *data, u64 data_len) {
    send(cstr_len(to), PTR(to), data_len, PTR(data));
}

/* A small text buffer, for building log lines and messages. */
typedef struct {
    u8 bytes[512];
    u64 len;
} text;

static inline void text_bytes(text *t, const void *data, u64 len) {
    if (len > sizeof t->bytes - t->len) panic_str("text too long");
    __builtin_memcpy(t->bytes + t->len, data, len);
    t->len += len;
}

static inline void text_str(text *t, const char *s) { text_bytes(t, s, cstr_len(s)); }

/* Appends a signed decimal number. */
static inline void text_i64(text *t, long long v) {
    u8 digits[20];
    int n = 0;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        digits[n++] = (u8)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) text_str(t, "-");
    while (n) text_bytes(t, &digits[--n], 1);
}

/* Reads a register into a text (at most its capacity, else a panic). */
static inline void text_register(text *t, u64 register_id) {
    u64 len = register_len(register_id);
    if (len > sizeof t->bytes - t->len) panic_str("register too long");
    read_register(register_id, PTR(t->bytes + t->len));
    t->len += len;
}

#endif
