/* SHA-256 per FIPS 180-4: 64-byte blocks, message schedule W_t (6.2.2 step 1), 64 rounds
 * of T1 = h + S1(e) + Ch(e,f,g) + K_t + W_t, T2 = S0(a) + Maj(a,b,c), and padding
 * 1 bit, zeros, 64-bit big-endian bit length (5.1.1). */
#include "sha256.h"
#include <string.h>

/* K_t (4.2.2): first 32 bits of the fractional parts of the cube roots of the first
 * 64 primes. */
static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t sha256_rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32u - n)); }

/* One 64-byte block into c->h (6.2.2 steps 1-4). */
static void sha256_block(struct sha256_ctx *c, const uint8_t *p)
{
    uint32_t w[64];
    for (int t = 0; t < 16; t++)
        w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 |
               (uint32_t)p[4 * t + 2] << 8 | (uint32_t)p[4 * t + 3];
    for (int t = 16; t < 64; t++) {
        /* sigma0(x) = ROTR7 ^ ROTR18 ^ SHR3, sigma1(x) = ROTR17 ^ ROTR19 ^ SHR10 */
        uint32_t s0 = sha256_rotr(w[t - 15], 7) ^ sha256_rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = sha256_rotr(w[t - 2], 17) ^ sha256_rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = s1 + w[t - 7] + s0 + w[t - 16];
    }
    uint32_t a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3];
    uint32_t e = c->h[4], f = c->h[5], g = c->h[6], h = c->h[7];
    for (int t = 0; t < 64; t++) {
        /* Sigma1(e) = ROTR6 ^ ROTR11 ^ ROTR25, Ch = (e & f) ^ (~e & g);
         * Sigma0(a) = ROTR2 ^ ROTR13 ^ ROTR22, Maj = (a & b) ^ (a & c) ^ (b & c) */
        uint32_t t1 = h + (sha256_rotr(e, 6) ^ sha256_rotr(e, 11) ^ sha256_rotr(e, 25)) +
                      ((e & f) ^ (~e & g)) + sha256_k[t] + w[t];
        uint32_t t2 = (sha256_rotr(a, 2) ^ sha256_rotr(a, 13) ^ sha256_rotr(a, 22)) +
                      ((a & b) ^ (a & cc) ^ (b & cc));
        h = g; g = f; f = e; e = d + t1;
        d = cc; cc = b; b = a; a = t1 + t2;
    }
    c->h[0] += a; c->h[1] += b; c->h[2] += cc; c->h[3] += d;
    c->h[4] += e; c->h[5] += f; c->h[6] += g; c->h[7] += h;
}

void sha256_init(struct sha256_ctx *c)
{
    /* H^(0) (5.3.3): fractional parts of the square roots of the first 8 primes. */
    static const uint32_t h0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    memcpy(c->h, h0, sizeof h0);
    c->n_bytes = 0;
    c->n_buf = 0;
}

void sha256_update(struct sha256_ctx *c, const void *p, size_t n)
{
    const uint8_t *s = p;
    c->n_bytes += n;
    if (c->n_buf > 0) {                           /* top up the pending block first */
        size_t k = 64 - c->n_buf < n ? 64 - c->n_buf : n;
        memcpy(c->buf + c->n_buf, s, k);
        c->n_buf += k; s += k; n -= k;
        if (c->n_buf < 64) return;
        sha256_block(c, c->buf);
        c->n_buf = 0;
    }
    for (; n >= 64; s += 64, n -= 64) sha256_block(c, s);
    if (n > 0) memcpy(c->buf, s, n);
    c->n_buf = n;
}

void sha256_final(struct sha256_ctx *c, uint8_t out[32])
{
    uint64_t bits = c->n_bytes * 8u;
    uint8_t pad[72] = { 0x80 };
    /* 0x80, then zeros to 56 mod 64, then the 8-byte length: 1 + k + 8 = 9..72 bytes. */
    size_t n_pad = (c->n_buf < 56 ? 56 - c->n_buf : 120 - c->n_buf);
    for (int i = 0; i < 8; i++) pad[n_pad + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
    sha256_update(c, pad, n_pad + 8);
    for (int i = 0; i < 8; i++) {
        out[4 * i]     = (uint8_t)(c->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)c->h[i];
    }
    sha256_init(c);
}

void sha256(const void *p, size_t n, uint8_t out[32])
{
    struct sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, p, n);
    sha256_final(&c, out);
}

void sha256_hex(const void *p, size_t n, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t d[32];
    sha256(p, n, d);
    for (int i = 0; i < 32; i++) {
        out[2 * i]     = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[64] = '\0';
}
