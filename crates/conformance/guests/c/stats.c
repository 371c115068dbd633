/* Mean and variance of a list of f64 (the input, 8 bytes little-endian
 * each): returns mean then variance, 8 + 8 bytes little-endian.
 *
 * mean = (x0 + x1 + ... ) / n, summed in order; variance = the sum, in
 * order, of (x - mean) * (x - mean), divided by n. An empty list is 0 / 0:
 * both NaN, and the runtime makes every NaN from arithmetic the canonical
 * one. An input whose length is not a multiple of 8 panics "not a list of
 * f64"; more than 4096 values panics "input too long". */
#include "abi.h"

static double xs[4096];
static u8 result[16];

static u64 bits(double d) {
    union { double d; u64 u; } v;
    v.d = d;
    return v.u;
}

EXPORT(mean_variance) void mean_variance(void) {
    u64 n = read_input((u8 *)xs, sizeof xs);
    if (n % 8 != 0) panic_str("not a list of f64");
    n /= 8;
    double sum = 0.0;
    for (u64 i = 0; i < n; i++) sum += xs[i];
    double mean = sum / (double)n;
    double acc = 0.0;
    for (u64 i = 0; i < n; i++) acc += (xs[i] - mean) * (xs[i] - mean);
    double variance = acc / (double)n;
    store_u64(result, bits(mean));
    store_u64(result + 8, bits(variance));
    value_return(16, PTR(result));
}
