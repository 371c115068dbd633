/* The calculator of the plugin session (calculator.json): typed exports
 * that compute, keep their last result in their own storage (key "last")
 * and send it to the logger and the database.
 *
 *   add(i64, i64) -> i64, mul(i64, i64) -> i64
 *
 * Each sends "a op b = r" to "logger" and "result=r" to "database". */
#include "session.h"

static long long report(const char *op, long long a, long long b, long long r) {
    text line = {0};
    text_i64(&line, a);
    text_str(&line, " ");
    text_str(&line, op);
    text_str(&line, " ");
    text_i64(&line, b);
    text_str(&line, " = ");
    text_i64(&line, r);
    send_str("logger", line.bytes, line.len);

    text value = {0};
    text_i64(&value, r);
    storage_write(4, PTR("last"), value.len, PTR(value.bytes), 0);

    text record = {0};
    text_str(&record, "result=");
    text_bytes(&record, value.bytes, value.len);
    send_str("database", record.bytes, record.len);
    return r;
}

EXPORT(add) long long add(long long a, long long b) {
    return report("+", a, b, (long long)((unsigned long long)a + (unsigned long long)b));
}

EXPORT(mul) long long mul(long long a, long long b) {
    return report("*", a, b, (long long)((unsigned long long)a * (unsigned long long)b));
}
