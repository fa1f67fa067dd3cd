/* --min-count over the training rows (core/dataset.c, dataset_apply_min_count): on a
 * small CSV (skewed user / item ids, a multi-valued tag list) an id keeps its embedding
 * iff it occurs >= N times in the training rows of the split, whatever its count in the
 * validation and test rows, and the loaded split is the one counted. The file is built
 * so that all-rows counting keeps ids that train-only counting sends to OOV (checked),
 * so the test tells the two apart. Cached (memory-mapped) and parsed loads agree, for
 * the random and the time split; N <= 1 keeps every id. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include "ds_testutil.h"
#include "rng.h"

#define MC_ROWS 3000

/* user_id, item_id, tags (multi, '|'), clicked, ts: ids drawn as floor(card u^p) so
 * a few are frequent and many occur once or twice. */
static void mc_write(const char *dir, char *path, size_t n)
{
    size_t cap = (size_t)MC_ROWS * 64 + 64, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    struct rng r;
    rng_seed(&r, 42);
    len += (size_t)snprintf(buf + len, cap - len, "user_id,item_id,tags,clicked,ts\n");
    for (int i = 0; i < MC_ROWS; i++) {
        double u = rng_uniform(&r, 0.0f, 1.0f), v = rng_uniform(&r, 0.0f, 1.0f);
        int user = (int)(900 * u * u), item = (int)(1500 * v * v * v);
        int t1 = (int)rng_below(&r, 20), t2 = (int)(400 * pow(rng_uniform(&r, 0.0f, 1.0f), 2.0));
        len += (size_t)snprintf(buf + len, cap - len, "u%d,i%d,t%d|x%d,%d,%d\n", user, item, t1, t2,
                                (int)rng_below(&r, 2), 1000 + i);
    }
    tu_write(dir, "mc.csv", buf, len);
    free(buf);
    snprintf(path, n, "%s/mc.csv", dir);
}

static void mc_opts(struct data_opts *o, const char *dir, const char *file, const char *cache, int min_count)
{
    tu_opts(o, "csv", dir, cache);
    o->file = file;
    o->label_col = "clicked";
    o->multi = "tags:|";
    o->min_count = min_count;
}

/* The ids of row r of field f: one, or its list. */
static int mc_row_ids(const struct field *fl, int r, const int32_t **ids)
{
    if (!fl->multi) {
        *ids = fl->ids + r;
        return 1;
    }
    *ids = fl->mids + fl->offs[r];
    return (int)(fl->offs[r + 1] - fl->offs[r]);
}

/* d (min_count N) against raw (every id kept) and the training rows of the split s:
 * for every value, kept iff its training count is >= N, one new id per kept value, and
 * card = kept + 1. Returns how many values all-rows counting would have kept wrongly. */
static int mc_check(const struct dataset *raw, const struct dataset *d, const struct split *s, int N)
{
    int leaks = 0;
    assert_int_equal(d->n_rows, raw->n_rows);
    for (int f = 0; f < raw->n_fields; f++) {
        const struct field *a = &raw->fields[f], *b = &d->fields[f];
        int64_t *train = calloc((size_t)a->card, sizeof *train), *all = calloc((size_t)a->card, sizeof *all);
        int32_t *to = malloc(sizeof *to * (size_t)a->card);
        unsigned char *used = calloc((size_t)b->card + 1, 1);
        assert_true(train && all && to && used);
        const int32_t *ids, *jds;
        for (int j = 0; j < s->n_train; j++) {
            int n = mc_row_ids(a, s->train[j], &ids);
            for (int e = 0; e < n; e++) train[ids[e]]++;
        }
        for (int r = 0; r < raw->n_rows; r++) {
            int n = mc_row_ids(a, r, &ids);
            for (int e = 0; e < n; e++) all[ids[e]]++;
        }
        int kept = 0;
        for (int32_t v = 1; v < a->card; v++) {
            kept += train[v] >= N;
            leaks += all[v] >= N && train[v] < N;
            to[v] = -1;
        }
        to[0] = 0;
        assert_int_equal(b->card, kept + 1);
        for (int r = 0; r < raw->n_rows; r++) {
            int n = mc_row_ids(a, r, &ids);
            assert_int_equal(mc_row_ids(b, r, &jds), n);
            for (int e = 0; e < n; e++) {
                int32_t v = ids[e], w = jds[e];
                if (v == 0 || train[v] < N) {
                    if (w != 0)
                        fail_msg("field %s row %d: id seen %lld times in training (%lld in all) kept as %d",
                                 a->name, r, (long long)train[v], (long long)all[v], w);
                    continue;
                }
                assert_true(w >= 1 && w < b->card);
                if (to[v] < 0) {                 /* one new id per kept value */
                    assert_false(used[w]);
                    used[w] = 1;
                    to[v] = w;
                }
                assert_int_equal(to[v], w);
            }
        }
        free(train);
        free(all);
        free(to);
        free(used);
    }
    return leaks;
}

static void mc_load_split(struct dataset *d, struct split *s, const struct data_opts *o)
{
    char err[512];
    tu_load(d, o);
    assert_int_equal(dataset_split(s, d, o, err, sizeof err), 0);
}

static void mc_case(const char *split)
{
    char dir[64], cache[96], file[128];
    tu_tmpdir(dir, sizeof dir);
    snprintf(cache, sizeof cache, "%s/cache", dir);
    mc_write(dir, file, sizeof file);
    struct data_opts o0, o2, oc;
    mc_opts(&o0, dir, file, NULL, 0);
    mc_opts(&o2, dir, file, NULL, 2);
    mc_opts(&oc, dir, file, cache, 2);
    o0.split = o2.split = oc.split = split;
    struct dataset raw, d, c1, c2;
    struct split s0, s2, sc;
    mc_load_split(&raw, &s0, &o0);
    mc_load_split(&d, &s2, &o2);
    /* the split counted is the split the caller draws (same rows as without min-count) */
    assert_int_equal(s2.n_train, s0.n_train);
    assert_memory_equal(s2.train, s0.train, sizeof *s0.train * (size_t)s0.n_train);
    assert_memory_equal(s2.test, s0.test, sizeof *s0.test * (size_t)s0.n_test);
    int leaks = mc_check(&raw, &d, &s0, 2);
    print_message("   --split %s: %d ids occur twice or more in all rows but not in the training rows\n",
                  split, leaks);
    assert_true(leaks >= 10);
    /* cached: the first load parses and writes, the second maps the file */
    tu_load(&c1, &oc);
    tu_load(&c2, &oc);
    assert_null(c1.map);
    assert_non_null(c2.map);
    assert_int_equal(c2.fields[0].own, 1);
    tu_same_dataset(&c1, &d);
    tu_same_dataset(&c2, &d);
    char err[256];
    assert_int_equal(dataset_split(&sc, &c2, &oc, err, sizeof err), 0);
    assert_memory_equal(sc.train, s0.train, sizeof *s0.train * (size_t)s0.n_train);
    /* one cache file serves every --min-count: loading without it maps the same file raw */
    struct dataset c0;
    oc.min_count = 1;
    tu_load(&c0, &oc);
    assert_non_null(c0.map);
    tu_same_dataset(&c0, &raw);
    split_free(&s0);
    split_free(&s2);
    split_free(&sc);
    dataset_free(&c0);
    dataset_free(&c1);
    dataset_free(&c2);
    dataset_free(&d);
    dataset_free(&raw);
    tu_rmrf(dir);
}

static void test_min_count_random_split(void **state) { (void)state; mc_case("random"); }
static void test_min_count_time_split(void **state) { (void)state; mc_case("time"); }

/* min_count 0 and 1 keep every id (and ids of validation/test rows only). */
static void test_min_count_off(void **state)
{
    (void)state;
    char dir[64], file[128];
    tu_tmpdir(dir, sizeof dir);
    mc_write(dir, file, sizeof file);
    struct data_opts o0, o1;
    mc_opts(&o0, dir, file, NULL, 0);
    mc_opts(&o1, dir, file, NULL, 1);
    struct dataset a, b;
    tu_load(&a, &o0);
    tu_load(&b, &o1);
    tu_same_dataset(&a, &b);
    for (int r = 0; r < a.n_rows; r++) assert_true(a.fields[0].ids[r] > 0);
    dataset_free(&a);
    dataset_free(&b);
    tu_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_min_count_random_split),
        cmocka_unit_test(test_min_count_time_split),
        cmocka_unit_test(test_min_count_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
