/* The fuzz targets (tests/fuzz/) inside `make test`: every built-in seed loads; every
 * regression input under tests/fuzz/regress/TARGET/ (inputs that once crashed a reader
 * or were accepted as garbage) is refused or loads well formed; and a bounded,
 * deterministic mutation run per target (bit flips, interesting bytes, cut, repeated
 * and dropped spans, resealed checksums) ends in a clean outcome for every input. A
 * defect aborts inside the target (fuzz.h), failing this test; under `make test-asan`
 * the sanitizers catch memory errors on the same inputs. `make fuzz` runs the same
 * targets under libFuzzer for as long as asked. APG_FUZZ_MUTATIONS sets the mutations
 * per seed (default 250). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz/fuzz.h"
#include "rng.h"

struct seeds { unsigned char *data[32]; size_t n[32]; int count; };

static void keep(const char *name, const void *p, size_t n, void *ctx)
{
    (void)name;
    struct seeds *s = ctx;
    assert_true(s->count < 32);
    s->data[s->count] = malloc(n);
    assert_non_null(s->data[s->count]);
    memcpy(s->data[s->count], p, n);
    s->n[s->count++] = n;
}

static void seeds_free(struct seeds *s)
{
    for (int i = 0; i < s->count; i++) free(s->data[i]);
    s->count = 0;
}

static void test_seeds_load(void **state)
{
    (void)state;
    for (int t = 0; t < fuzz_target_count(); t++) {
        const struct fuzz_target *tg = fuzz_target_at(t);
        struct seeds s = { .count = 0 };
        tg->seeds(keep, &s);
        assert_true(s.count >= 2);
        for (int i = 0; i < s.count; i++) {
            int out = tg->one(s.data[i], s.n[i]);
            if (out != FUZZ_LOADED) print_message("%s seed %d refused\n", tg->name, i);
            assert_int_equal(out, FUZZ_LOADED);
        }
        seeds_free(&s);
    }
}

/* ---- mutations --------------------------------------------------------------------- */

static const unsigned char interesting[] = { 0, 0xff, '\n', '\r', ',', '\t', '|', ':', ';', '-', '9', '0',
                                             ' ', '"', '\'', 0x7f, 0x80, '{', '}', '[' };

/* One mutation of src (n bytes) into dst (capacity cap); returns the new length. Byte
 * 0 (the flags) is mutated too, rarely. */
static size_t mutate(struct rng *r, const unsigned char *src, size_t n, unsigned char *dst, size_t cap)
{
    size_t len = n < cap ? n : cap;
    memcpy(dst, src, len);
    int edits = 1 + (int)(rng_u64(r) % 4);
    for (int e = 0; e < edits && len > 1; e++) {
        size_t at = 1 + (size_t)(rng_u64(r) % (len - 1));
        switch (rng_u64(r) % 8) {
        case 0: dst[at] ^= (unsigned char)(1u << (rng_u64(r) % 8)); break;
        case 1: dst[at] = interesting[rng_u64(r) % sizeof interesting]; break;
        case 2: len = at; break;                                          /* cut */
        case 3: {                                                         /* drop a span */
            size_t k = 1 + (size_t)(rng_u64(r) % 16);
            if (at + k > len) k = len - at;
            memmove(dst + at, dst + at + k, len - at - k);
            len -= k;
            break;
        }
        case 4: {                                                         /* repeat a span */
            size_t k = 1 + (size_t)(rng_u64(r) % 32);
            if (at + k > len) k = len - at;
            if (len + k > cap) break;
            memmove(dst + at + k, dst + at, len - at);
            len += k;
            break;
        }
        case 5: {                                                         /* a long number */
            static const char *const nums[] = { "9223372036854775807", "-9223372036854775808", "1e308",
                                                "nan", "-1", "4294967296", "2147483648", "00000000000000000001" };
            const char *s = nums[rng_u64(r) % 8];
            size_t k = strlen(s);
            if (at + k <= len) memcpy(dst + at, s, k);
            break;
        }
        case 6: {                                                         /* 4 random bytes */
            for (int i = 0; i < 4 && at + (size_t)i < len; i++) dst[at + (size_t)i] = (unsigned char)rng_u64(r);
            break;
        }
        default: dst[0] ^= (unsigned char)(1u << (rng_u64(r) % 6)); break; /* flags */
        }
    }
    return len;
}

static void test_mutations(void **state)
{
    (void)state;
    const char *e = getenv("APG_FUZZ_MUTATIONS");
    int per_seed = e && atoi(e) > 0 ? atoi(e) : 250;
    for (int t = 0; t < fuzz_target_count(); t++) {
        const struct fuzz_target *tg = fuzz_target_at(t);
        struct seeds s = { .count = 0 };
        tg->seeds(keep, &s);
        struct rng r;
        rng_seed(&r, 1000 + (uint64_t)t);
        int counts[2] = { 0, 0 };
        fuzz_quiet(1);
        for (int i = 0; i < s.count; i++) {
            size_t cap = s.n[i] + 256;
            unsigned char *buf = malloc(cap);
            assert_non_null(buf);
            for (int m = 0; m < per_seed; m++) {
                size_t len = mutate(&r, s.data[i], s.n[i], buf, cap);
                int out = tg->one(buf, len);
                assert_true(out == FUZZ_LOADED || out == FUZZ_REFUSED);
                counts[out]++;
            }
            free(buf);
        }
        fuzz_quiet(0);
        printf("   %-10s %5d mutated inputs: %5d loaded well formed, %5d refused\n", tg->name,
               counts[0] + counts[1], counts[0], counts[1]);
        assert_true(counts[FUZZ_REFUSED] > 0);     /* the mutations do reach the checks */
        seeds_free(&s);
    }
}

/* ---- regression inputs ----------------------------------------------------------- */

static void test_regressions(void **state)
{
    (void)state;
    int total = 0;
    for (int t = 0; t < fuzz_target_count(); t++) {
        const struct fuzz_target *tg = fuzz_target_at(t);
        char dir[512];
        snprintf(dir, sizeof dir, "tests/fuzz/regress/%s", tg->name);
        DIR *d = opendir(dir);
        if (!d) continue;
        struct dirent *de;
        while ((de = readdir(d))) {
            if (de->d_name[0] == '.') continue;
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            FILE *f = fopen(path, "rb");
            assert_non_null(f);
            unsigned char *b = malloc(1 << 20);
            assert_non_null(b);
            size_t n = fread(b, 1, 1 << 20, f);
            fclose(f);
            int out = tg->one(b, n);
            assert_true(out == FUZZ_LOADED || out == FUZZ_REFUSED);
            free(b);
            total++;
        }
        closedir(d);
    }
    printf("   %d regression inputs replayed\n", total);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seeds_load),
        cmocka_unit_test(test_regressions),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
