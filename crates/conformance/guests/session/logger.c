/* The logger of the plugin session (calculator.json, faulty.json).
 *
 *   on_message: receives one message and logs "[sender] data" (the data
 *     must be UTF-8: else BadUtf8, and pump dead-letters the message);
 *     counts the lines in its storage (key "lines", decimal).
 *   lines: returns that count (decimal text, "0" before any). */
#include "session.h"

static long long stored_lines(void) {
    if (!storage_read(5, PTR("lines"), 2)) return 0;
    text t = {0};
    text_register(&t, 2);
    long long n = 0;
    for (u64 i = 0; i < t.len; i++) n = n * 10 + (t.bytes[i] - '0');
    return n;
}

EXPORT(on_message) void on_message(void) {
    if (!recv(0, 1)) return;
    text line = {0};
    text_str(&line, "[");
    text_register(&line, 0);
    text_str(&line, "] ");
    text_register(&line, 1);
    log_utf8(line.len, PTR(line.bytes));
    text count = {0};
    text_i64(&count, stored_lines() + 1);
    storage_write(5, PTR("lines"), count.len, PTR(count.bytes), 2);
}

EXPORT(lines) void lines(void) {
    text count = {0};
    text_i64(&count, stored_lines());
    value_return(count.len, PTR(count.bytes));
}
