/* SHA-256 (FIPS 180-4, section 6.2), written from the standard: a streaming context
 * (init / update / final) plus one-shot helpers returning raw bytes or lowercase hex.
 * Used for content checksums; no external library. */
#ifndef APG_SHA256_H
#define APG_SHA256_H
#include <stddef.h>
#include <stdint.h>

struct sha256_ctx {
    uint32_t h[8];        /* H_0..H_7, the intermediate hash value */
    uint64_t n_bytes;     /* message length so far, in bytes */
    uint8_t  buf[64];     /* pending partial block */
    size_t   n_buf;       /* bytes in buf, < 64 */
};

void sha256_init(struct sha256_ctx *c);
void sha256_update(struct sha256_ctx *c, const void *p, size_t n);
/* Pads, writes the 32-byte digest (big-endian words) and leaves c re-initialised. */
void sha256_final(struct sha256_ctx *c, uint8_t out[32]);
void sha256(const void *p, size_t n, uint8_t out[32]);
void sha256_hex(const void *p, size_t n, char out[65]);   /* lowercase hex, NUL-terminated */

#endif
