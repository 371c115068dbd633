/* Metering benchmark kernel built by a C compiler: what real guests look
 * like (clang -O2 for wasm32, see build.sh), as opposed to the hand-written
 * WAT kernels next to this directory.
 *
 * `main` runs ROUNDS rounds of three classic kernels and returns a 32-byte
 * checksum with `value_return`:
 *
 *   sha      SHA-256 (FIPS 180-4) of a 4 KiB buffer; the digest is written
 *            over the start of the buffer for the next round;
 *   sort     shell sort (Ciura's gaps) of 2048 pseudo-random u32, refilled
 *            from a xorshift32 generator every round;
 *   matmul   32x32 i32 matrix product C = A * B, then A = C ^ B.
 *
 * The checksum is the SHA-256 state after the last round, with the sorted
 * array's first/middle/last elements and the product's trace folded in, so
 * every kernel's work is observable. No libc: -nostdlib, -mbulk-memory
 * (copies and fills become memory.copy / memory.fill). The SHA-256 block
 * function is the corpus's (guests/c/sha256_block.h). */

typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned char u8;

__attribute__((import_module("env"), import_name("value_return")))
void value_return(u64 len, u64 ptr);

#define ROUNDS 24
#define SHA_BYTES 4096
#define SORT_N 2048
#define DIM 32

#include "../../../guests/c/sha256_block.h"

static u8 buf[SHA_BYTES];
static u32 state[8];
static u32 keys[SORT_N];
static int A[DIM][DIM], B[DIM][DIM], C[DIM][DIM];
static u32 seed = 0x2545f491;
static u8 out[32];

static u32 xorshift(void) {
    u32 x = seed;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return seed = x;
}

/* SHA-256 of buf (a multiple of 64 bytes) into state, digest written back
 * over the first 32 bytes of buf. */
static void sha_round(void) {
    static const u32 iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                              0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    for (int i = 0; i < 8; i++) state[i] = iv[i];
    for (int i = 0; i < SHA_BYTES; i += 64) compress(state, buf + i);
    u8 pad[64] = {0x80};
    u64 bits = (u64)SHA_BYTES * 8;
    for (int j = 0; j < 8; j++) pad[63 - j] = (u8)(bits >> (8 * j));
    compress(state, pad);
    for (int j = 0; j < 8; j++) {
        buf[4 * j] = (u8)(state[j] >> 24);
        buf[4 * j + 1] = (u8)(state[j] >> 16);
        buf[4 * j + 2] = (u8)(state[j] >> 8);
        buf[4 * j + 3] = (u8)state[j];
    }
}

static void sort_round(void) {
    static const u32 gaps[8] = {701, 301, 132, 57, 23, 10, 4, 1};
    for (int i = 0; i < SORT_N; i++) keys[i] = xorshift();
    for (int g = 0; g < 8; g++) {
        u32 gap = gaps[g];
        for (u32 i = gap; i < SORT_N; i++) {
            u32 tmp = keys[i];
            u32 j = i;
            while (j >= gap && keys[j - gap] > tmp) {
                keys[j] = keys[j - gap];
                j -= gap;
            }
            keys[j] = tmp;
        }
    }
}

static int matmul_round(void) {
    for (int i = 0; i < DIM; i++)
        for (int j = 0; j < DIM; j++) {
            int sum = 0;
            for (int k = 0; k < DIM; k++) sum += A[i][k] * B[k][j];
            C[i][j] = sum;
        }
    int trace = 0;
    for (int i = 0; i < DIM; i++) {
        trace += C[i][i];
        for (int j = 0; j < DIM; j++) A[i][j] = C[i][j] ^ B[i][j];
    }
    return trace;
}

__attribute__((export_name("main"))) void main_export(void) {
    for (int i = 0; i < SHA_BYTES; i++) buf[i] = (u8)(i * 7 + 3);
    for (int i = 0; i < DIM; i++)
        for (int j = 0; j < DIM; j++) {
            A[i][j] = (int)(xorshift() & 0xff) - 128;
            B[i][j] = (int)(xorshift() & 0xff) - 128;
        }
    u32 fold = 0;
    for (int r = 0; r < ROUNDS; r++) {
        sha_round();
        sort_round();
        fold = rotr(fold, 5) ^ keys[0] ^ keys[SORT_N / 2] ^ keys[SORT_N - 1];
        fold += (u32)matmul_round();
        buf[32] ^= (u8)fold;
    }
    for (int j = 0; j < 8; j++) {
        u32 v = state[j] ^ (j == 0 ? fold : 0);
        out[4 * j] = (u8)v;
        out[4 * j + 1] = (u8)(v >> 8);
        out[4 * j + 2] = (u8)(v >> 16);
        out[4 * j + 3] = (u8)(v >> 24);
    }
    value_return(32, (u64)(unsigned long)out);
}
