/* Sums a JSON array of integers: the input is the array (`[1, -2, 30]`,
 * whitespace allowed around every token), the return data is a JSON object
 * `{"count":3,"sum":29,"min":-2,"max":30}` with no spaces. An empty array
 * gives `{"count":0,"sum":0,"min":null,"max":null}`.
 *
 * Integers are decimal with an optional `-`, at most 18 digits each (so
 * none overflows a signed 64-bit sum of up to 1024 of them). Anything else
 * -- another JSON value, a fraction, an exponent, trailing bytes, more than
 * 1024 values or 8 KiB of input -- panics with "expected a JSON array of
 * integers". The facade's JSON convenience (`runtime::json`) serialises
 * the input and parses the output of this guest in its documentation. */
#include "abi.h"

typedef long long i64;

static u8 in[8192];
static char out[128];

static const char *BAD = "expected a JSON array of integers";

static u64 skip_space(u64 i, u64 n) {
    while (i < n && (in[i] == ' ' || in[i] == '\n' || in[i] == '\r' || in[i] == '\t')) i++;
    return i;
}

/* Writes v in decimal at out + at, returns the new end. */
static u64 put_int(u64 at, i64 v) {
    char digits[20];
    int k = 0;
    u64 u = v < 0 ? (u64)(-(v + 1)) + 1 : (u64)v;
    do {
        digits[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) out[at++] = '-';
    while (k) out[at++] = digits[--k];
    return at;
}

static u64 put_str(u64 at, const char *s) {
    while (*s) out[at++] = *s++;
    return at;
}

EXPORT(sum) void sum(void) {
    u64 n = read_input(in, sizeof in);
    u64 i = skip_space(0, n);
    if (i >= n || in[i] != '[') panic_str(BAD);
    i = skip_space(i + 1, n);
    i64 count = 0, total = 0, min = 0, max = 0;
    if (i < n && in[i] == ']') {
        i++;
    } else {
        for (;;) {
            int negative = 0;
            if (i < n && in[i] == '-') {
                negative = 1;
                i++;
            }
            int digits = 0;
            i64 v = 0;
            while (i < n && in[i] >= '0' && in[i] <= '9') {
                if (++digits > 18) panic_str(BAD);
                v = v * 10 + (in[i] - '0');
                i++;
            }
            if (digits == 0 || count == 1024) panic_str(BAD);
            if (negative) v = -v;
            if (count == 0 || v < min) min = v;
            if (count == 0 || v > max) max = v;
            total += v;
            count++;
            i = skip_space(i, n);
            if (i < n && in[i] == ',') {
                i = skip_space(i + 1, n);
                continue;
            }
            if (i < n && in[i] == ']') {
                i++;
                break;
            }
            panic_str(BAD);
        }
    }
    if (skip_space(i, n) != n) panic_str(BAD);
    u64 at = put_str(0, "{\"count\":");
    at = put_int(at, count);
    at = put_str(at, ",\"sum\":");
    at = put_int(at, total);
    at = put_str(at, ",\"min\":");
    at = count ? put_int(at, min) : put_str(at, "null");
    at = put_str(at, ",\"max\":");
    at = count ? put_int(at, max) : put_str(at, "null");
    at = put_str(at, "}");
    value_return(at, PTR(out));
}
