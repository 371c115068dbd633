/* The database of the plugin session (calculator.json): a key-value store
 * in its own storage namespace.
 *
 *   put: input "key=value", stores it.
 *   get: input "key", returns the value (empty if absent).
 *   on_message: receives "key=value" and stores it, then tells the logger
 *     "stored key". A message without '=' is a panic (so pump
 *     dead-letters it).
 * Every store also sets the key "last" to the key stored. */
#include "session.h"

static u8 buf[4096];

static void put_record(const u8 *record, u64 len, int notify) {
    u64 eq = 0;
    while (eq < len && record[eq] != '=') eq++;
    if (eq == len) panic_str("expected key=value");
    storage_write(eq, PTR(record), len - eq - 1, PTR(record + eq + 1), 2);
    storage_write(4, PTR("last"), eq, PTR(record), 2);
    if (notify) {
        text note = {0};
        text_str(&note, "stored ");
        text_bytes(&note, record, eq);
        send_str("logger", note.bytes, note.len);
    }
}

EXPORT(put) void put(void) {
    u64 n = read_input(buf, sizeof buf);
    put_record(buf, n, 0);
}

EXPORT(get) void get(void) {
    u64 n = read_input(buf, sizeof buf);
    if (storage_read(n, PTR(buf), 1)) {
        u64 len = register_len(1);
        if (len > sizeof buf) panic_str("value too long");
        read_register(1, PTR(buf));
        value_return(len, PTR(buf));
    }
}

EXPORT(on_message) void on_message(void) {
    if (!recv(0, 1)) return;
    u64 n = register_len(1);
    if (n > sizeof buf) panic_str("message too long");
    read_register(1, PTR(buf));
    put_record(buf, n, 1);
}
