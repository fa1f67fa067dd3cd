/* Arena, RNG and option parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "arena.h"
#include "cli.h"
#include "rng.h"

static void test_arena_stops_growing_after_first_step(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 4096);
    for (int step = 0; step < 4; step++) {
        size_t grow_before = a.n_grow;
        for (int i = 0; i < 100; i++) {
            unsigned char *p = arena_alloc(&a, 1000 + (size_t)i);
            assert_true(((uintptr_t)p & 63) == 0);
            memset(p, i, 1000);
        }
        if (step > 0) assert_int_equal(a.n_grow, grow_before);   /* one block suffices */
        arena_reset(&a);
    }
    assert_true(a.high_water >= 100 * 1000);
    arena_free(&a);
}

static void test_rng_deterministic_and_uniform(void **state)
{
    (void)state;
    struct rng a, b, c;
    rng_seed(&a, 42);
    rng_seed(&b, 42);
    rng_seed(&c, 43);
    int same_c = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = rng_u64(&a);
        assert_true(x == rng_u64(&b));
        same_c += x == rng_u64(&c);
    }
    assert_int_equal(same_c, 0);
    long counts[10] = { 0 };
    for (int i = 0; i < 100000; i++) counts[rng_below(&a, 10)]++;
    for (int i = 0; i < 10; i++) assert_true(counts[i] > 9500 && counts[i] < 10500);
    double s = 0, s2 = 0;
    for (int i = 0; i < 100000; i++) {
        double z = rng_normal(&a);
        s += z;
        s2 += z * z;
    }
    assert_true(s / 1e5 > -0.02 && s / 1e5 < 0.02);
    assert_true(s2 / 1e5 > 0.97 && s2 / 1e5 < 1.03);
    int32_t p[50];
    for (int i = 0; i < 50; i++) p[i] = i;
    rng_shuffle_i32(&a, p, 50);
    long sum = 0;
    for (int i = 0; i < 50; i++) sum += p[i];
    assert_int_equal(sum, 49 * 50 / 2);
}

struct opts { int n; float f; const char *s; int flag; };
static const struct opt table[] = {
    { "n", OPT_INT, offsetof(struct opts, n), "N", "an int", 1, 100 },
    { "f", OPT_FLOAT, offsetof(struct opts, f), "X", "a float", 0, 0 },
    { "s", OPT_STR, offsetof(struct opts, s), "S", "a string", 0, 0 },
    { "flag", OPT_FLAG, offsetof(struct opts, flag), NULL, "a flag", 0, 0 },
    { NULL, 0, 0, NULL, NULL, 0, 0 },
};

static int parse(struct opts *o, int argc, char **argv, char *err)
{
    struct opt_group g = { "t", table, o };
    char *pos[2];
    int n_pos, help;
    memset(o, 0, sizeof *o);
    return cli_parse(&g, 1, argc, argv, pos, 0, &n_pos, &help, err, 256);
}

static void test_cli_parses_and_rejects(void **state)
{
    (void)state;
    struct opts o;
    char err[256];
    char *ok[] = { "--n", "5", "--f=0.25", "--s", "x", "--flag" };
    assert_int_equal(parse(&o, 6, ok, err), 0);
    assert_int_equal(o.n, 5);
    assert_true(o.f == 0.25f);
    assert_string_equal(o.s, "x");
    assert_int_equal(o.flag, 1);
    char *unknown[] = { "--nope", "1" };
    assert_int_equal(parse(&o, 2, unknown, err), -1);
    assert_non_null(strstr(err, "--nope"));
    char *bad[] = { "--n", "5x" };
    assert_int_equal(parse(&o, 2, bad, err), -1);
    assert_non_null(strstr(err, "integer"));
    char *range[] = { "--n", "500" };
    assert_int_equal(parse(&o, 2, range, err), -1);
    assert_non_null(strstr(err, "range"));
    char *missing[] = { "--s" };
    assert_int_equal(parse(&o, 1, missing, err), -1);
    int l[8];
    assert_int_equal(cli_int_list("256,128,64", l, 8), 3);
    assert_int_equal(l[2], 64);
    assert_int_equal(cli_int_list("256,,64", l, 8), -1);
    assert_int_equal(cli_int_list("256,", l, 8), -1);
    assert_int_equal(cli_int_list("-3", l, 8), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_stops_growing_after_first_step),
        cmocka_unit_test(test_rng_deterministic_and_uniform),
        cmocka_unit_test(test_cli_parses_and_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
