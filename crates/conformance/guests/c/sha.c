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

static const u32 K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static u32 rotr(u32 x, u32 n) { return (x >> n) | (x << (32 - n)); }

static void compress(u32 s[8], const u8 block[64]) {
    u32 w[64];
    for (int i = 0; i < 16; i++)
        w[i] = ((u32)block[4 * i] << 24) | ((u32)block[4 * i + 1] << 16) |
               ((u32)block[4 * i + 2] << 8) | (u32)block[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        u32 s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        u32 s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    u32 a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
    for (int i = 0; i < 64; i++) {
        u32 t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        u32 t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = d + t1;
        d = c; c = b; b = a; a = t1 + t2;
    }
    s[0] += a; s[1] += b; s[2] += c; s[3] += d;
    s[4] += e; s[5] += f; s[6] += g; s[7] += h;
}

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
