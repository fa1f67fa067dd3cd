/* SHA-256 against the FIPS 180-4 / NIST example vectors ("", "abc", the 448- and
 * 896-bit messages, one million 'a'), padding-boundary lengths against digests from an
 * independent implementation (Python hashlib), and chunked updates against one call. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "sha256.h"
#include "rng.h"

static void hex_of(const uint8_t d[32], char out[65])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) { out[2 * i] = hex[d[i] >> 4]; out[2 * i + 1] = hex[d[i] & 15]; }
    out[64] = '\0';
}

static void test_nist_vectors(void **state)
{
    (void)state;
    static const struct { const char *msg, *hex; } v[] = {
        { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
        { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
        { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
        { "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
          "klmnopqrlmnopqrsmnopqrstnopqrstu",
          "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char h[65];
        sha256_hex(v[i].msg, strlen(v[i].msg), h);
        assert_string_equal(h, v[i].hex);
    }
}

static void test_million_a(void **state)
{
    (void)state;
    const size_t n = 1000000;
    char *a = malloc(n);
    assert_non_null(a);
    memset(a, 'a', n);
    char h[65];
    sha256_hex(a, n, h);
    assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    /* Same message streamed 1000 bytes at a time through one context. */
    struct sha256_ctx c;
    uint8_t d[32];
    sha256_init(&c);
    for (size_t i = 0; i < n; i += 1000) sha256_update(&c, a + i, 1000);
    sha256_final(&c, d);
    hex_of(d, h);
    assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

/* Message byte i = (7 i + 3) mod 256; digests from Python's hashlib. */
static void test_padding_boundaries(void **state)
{
    (void)state;
    static const struct { size_t n; const char *hex; } v[] = {
        { 55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b" },
        { 56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27" },
        { 57, "35df609437dcfea3279283ab79fd554e2bf78f8f7ae2de532d8ee300b09e8f73" },
        { 63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055" },
        { 64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241" },
        { 65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e" },
        { 119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e" },
        { 120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5" },
        { 127, "a8d23e75d936f303d248888d9b165ee543f4cbafcad3c9dd2a79bd84faa11d07" },
        { 128, "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6" },
        { 1000, "1e9bc38cbf860b9ec31918b065f9b52476c549a782e0e7990bed8ce3868d2371" },
    };
    uint8_t msg[1000];
    for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)(7 * i + 3);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char h[65];
        sha256_hex(msg, v[i].n, h);
        assert_string_equal(h, v[i].hex);
    }
}

/* Random-sized chunks (including empty ones) give the one-call digest, for lengths
 * around the 55/56 and 63/64/65 padding and block boundaries and beyond. */
static void test_chunked_equals_one_call(void **state)
{
    (void)state;
    static const size_t lens[] = { 0, 1, 54, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000 };
    uint8_t msg[1000];
    struct rng r;
    rng_seed(&r, 42);
    for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)rng_below(&r, 256);
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        uint8_t want[32];
        sha256(msg, lens[li], want);
        for (int trial = 0; trial < 50; trial++) {
            struct sha256_ctx c;
            uint8_t got[32];
            sha256_init(&c);
            size_t off = 0;
            while (off < lens[li]) {
                size_t k = rng_below(&r, 71);          /* 0..70 bytes */
                if (k > lens[li] - off) k = lens[li] - off;
                sha256_update(&c, msg + off, k);
                off += k;
            }
            sha256_final(&c, got);
            assert_memory_equal(got, want, 32);
            /* final re-initialises: the context hashes a new message correctly. */
            sha256_update(&c, "abc", 3);
            sha256_final(&c, got);
            char h[65];
            hex_of(got, h);
            assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nist_vectors),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_padding_boundaries),
        cmocka_unit_test(test_chunked_equals_one_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
