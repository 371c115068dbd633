/* SHA-256 hash chains: the data hashed N times, by the host function and
 * by a SHA-256 written in C (FIPS 180-4), so that the two can be compared.
 *
 * The input of every export is N (4 bytes, little-endian) then the data
 * (at most 60 000 bytes, else a panic "input too long"); N = 0 returns the
 * data itself. Each export returns the last value of the chain.
 *
 *   host_chain  h = sha256(h), N times, with the host function
 *   pure_chain  the same in guest code
 *   both_chain  both, panicking "mismatch" if they differ */
#include "abi.h"

#define CAP 60004

static u8 in[CAP];
static u8 h_host[CAP];
static u8 h_pure[CAP];

#include "sha256_block.h"

/* out = SHA-256(data[0..len]); out may alias data. */
static void sha256_pure(const u8 *data, u64 len, u8 out[32]) {
    u32 s[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    u64 i = 0;
    for (; i + 64 <= len; i += 64) compress(s, data + i);
    u8 block[128];
    u64 rest = len - i;
    for (u64 j = 0; j < rest; j++) block[j] = data[i + j];
    block[rest] = 0x80;
    u64 total = rest + 1 + 8 <= 64 ? 64 : 128;
    for (u64 j = rest + 1; j < total - 8; j++) block[j] = 0;
    u64 bits = len * 8;
    for (int j = 0; j < 8; j++) block[total - 1 - j] = (u8)(bits >> (8 * j));
    compress(s, block);
    if (total == 128) compress(s, block + 64);
    for (int j = 0; j < 8; j++) {
        out[4 * j] = (u8)(s[j] >> 24);
        out[4 * j + 1] = (u8)(s[j] >> 16);
        out[4 * j + 2] = (u8)(s[j] >> 8);
        out[4 * j + 3] = (u8)s[j];
    }
}

/* Reads N and copies the data into buf; returns the data length. */
static u64 start(u8 *buf, u32 *rounds) {
    u64 n = read_input(in, CAP);
    if (n < 4) panic_str("input too short");
    *rounds = (u32)in[0] | ((u32)in[1] << 8) | ((u32)in[2] << 16) | ((u32)in[3] << 24);
    for (u64 i = 4; i < n; i++) buf[i - 4] = in[i];
    return n - 4;
}

static u64 host_rounds(u8 *h, u64 len, u32 rounds) {
    for (u32 r = 0; r < rounds; r++) {
        sha256(len, PTR(h), 3);
        read_register(3, PTR(h));
        len = 32;
    }
    return len;
}

static u64 pure_rounds(u8 *h, u64 len, u32 rounds) {
    for (u32 r = 0; r < rounds; r++) {
        sha256_pure(h, len, h);
        len = 32;
    }
    return len;
}

EXPORT(host_chain) void host_chain(void) {
    u32 rounds;
    u64 len = start(h_host, &rounds);
    value_return(host_rounds(h_host, len, rounds), PTR(h_host));
}

EXPORT(pure_chain) void pure_chain(void) {
    u32 rounds;
    u64 len = start(h_pure, &rounds);
    value_return(pure_rounds(h_pure, len, rounds), PTR(h_pure));
}

EXPORT(both_chain) void both_chain(void) {
    u32 rounds;
    u64 len = start(h_host, &rounds);
    for (u64 i = 0; i < len; i++) h_pure[i] = h_host[i];
    u64 a = host_rounds(h_host, len, rounds);
    u64 b = pure_rounds(h_pure, len, rounds);
    if (a != b) panic_str("mismatch");
    for (u64 i = 0; i < a; i++)
        if (h_host[i] != h_pure[i]) panic_str("mismatch");
    value_return(a, PTR(h_host));
}
