/* Dataset helpers, seeded random and time splits, and minibatch assembly (global ids
 * for single-valued fields, bags with offsets when a multi-valued field is present). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "data.h"

/* n rows, fields a (card 5), b (card 3), c (card 7): ids (i, i % 3, (2i) % 7) mod card;
 * label = i % 4 == 0; time = n - i (reverse row order). */
static void make_single(struct dataset *d, int n)
{
    static const char *names[3] = { "a", "b", "c" };
    static const int32_t cards[3] = { 5, 3, 7 };
    dataset_init(d, "toy", n, 3);
    for (int f = 0; f < 3; f++) {
        strcpy(d->fields[f].name, names[f]);
        d->fields[f].card = cards[f];
        d->fields[f].ids = malloc((size_t)n * sizeof(int32_t));
    }
    d->time = malloc((size_t)n * sizeof *d->time);
    for (int i = 0; i < n; i++) {
        d->fields[0].ids[i] = i % 5;
        d->fields[1].ids[i] = i % 3;
        d->fields[2].ids[i] = (2 * i) % 7;
        d->label[i] = i % 4 == 0 ? 1.0f : 0.0f;
        d->time[i] = n - i;
    }
}

static void test_dataset_helpers(void **state)
{
    (void)state;
    struct dataset d;
    make_single(&d, 100);
    assert_int_equal(d.user_field, -1);
    assert_int_equal(dataset_find_field(&d, "b"), 1);
    assert_int_equal(dataset_find_field(&d, "zz"), -1);
    assert_int_equal(dataset_has_multi(&d), 0);
    assert_true(dataset_pos_rate(&d) == 0.25);
    int64_t base[3];
    assert_int_equal(data_field_bases(&d, base), 15);
    assert_int_equal(base[0], 0);
    assert_int_equal(base[1], 5);
    assert_int_equal(base[2], 8);
    dataset_free(&d);
    dataset_free(&d);                            /* a freed dataset frees again safely */
}

/* Every row in exactly one part. */
static void check_partition(const struct split *s, int n)
{
    char *seen = calloc((size_t)n, 1);
    const int32_t *parts[3] = { s->train, s->val, s->test };
    const int sizes[3] = { s->n_train, s->n_val, s->n_test };
    assert_int_equal(sizes[0] + sizes[1] + sizes[2], n);
    for (int p = 0; p < 3; p++)
        for (int i = 0; i < sizes[p]; i++) {
            assert_true(parts[p][i] >= 0 && parts[p][i] < n);
            assert_int_equal(seen[parts[p][i]], 0);
            seen[parts[p][i]] = 1;
        }
    free(seen);
}

static void test_split_random(void **state)
{
    (void)state;
    struct dataset d;
    make_single(&d, 1000);
    struct split a, b, c;
    split_random(&a, &d, 0.8, 0.1, 42);
    split_random(&b, &d, 0.8, 0.1, 42);
    split_random(&c, &d, 0.8, 0.1, 43);
    assert_int_equal(a.n_train, 800);
    assert_int_equal(a.n_val, 100);
    assert_int_equal(a.n_test, 100);
    check_partition(&a, 1000);
    check_partition(&c, 1000);
    assert_memory_equal(a.train, b.train, 800 * sizeof(int32_t));
    assert_memory_equal(a.val, b.val, 100 * sizeof(int32_t));
    assert_memory_equal(a.test, b.test, 100 * sizeof(int32_t));
    assert_true(memcmp(a.test, c.test, 100 * sizeof(int32_t)) != 0);
    for (int i = 1; i < a.n_test; i++) assert_true(a.test[i - 1] < a.test[i]);   /* sorted */
    split_free(&a);
    split_free(&b);
    split_free(&c);

    struct split e;                                   /* rounding and odd sizes */
    dataset_free(&d);
    make_single(&d, 7);
    split_random(&e, &d, 0.8, 0.1, 1);
    assert_int_equal(e.n_train, 6);
    assert_int_equal(e.n_val, 1);
    assert_int_equal(e.n_test, 0);
    check_partition(&e, 7);
    split_free(&e);
    split_random(&e, &d, 1.0, 0.5, 1);
    assert_int_equal(e.n_train, 7);
    assert_int_equal(e.n_val + e.n_test, 0);
    split_free(&e);
    dataset_free(&d);
}

static void test_split_time(void **state)
{
    (void)state;
    struct dataset d;
    make_single(&d, 200);                        /* time = 200 - row: late rows are early */
    struct split s;
    assert_int_equal(split_time(&s, &d, 0.1, 0.2, NULL, 0), 0);
    assert_int_equal(s.n_train, 140);
    assert_int_equal(s.n_val, 20);
    assert_int_equal(s.n_test, 40);
    check_partition(&s, 200);
    for (int i = 0; i < s.n_train; i++) assert_true(s.train[i] >= 60);   /* earliest times */
    for (int i = 0; i < s.n_val; i++) assert_true(s.val[i] >= 40 && s.val[i] < 60);
    for (int i = 0; i < s.n_test; i++) assert_true(s.test[i] < 40);
    for (int i = 1; i < s.n_test; i++) assert_true(d.time[s.test[i - 1]] <= d.time[s.test[i]]);
    split_free(&s);
    free(d.time);
    d.time = NULL;
    assert_int_equal(split_time(&s, &d, 0.1, 0.1, NULL, 0), -1);
    dataset_free(&d);
}

static void test_batch_single_valued(void **state)
{
    (void)state;
    struct dataset d;
    make_single(&d, 50);
    int64_t base[3];
    data_field_bases(&d, base);
    const int32_t rows[4] = { 7, 0, 49, 13 };
    size_t bytes = batch_bytes(&d, rows, 4);
    void *mem = malloc(bytes);                  /* exact size: ASan catches overruns */
    struct batch b;
    batch_build(&b, &d, base, rows, 4, mem);
    assert_int_equal(b.n, 4);
    assert_int_equal(b.n_fields, 3);
    assert_null(b.offs);
    assert_null(b.bag_ids);
    assert_true(b.rows == rows);
    assert_int_equal((uintptr_t)b.ids % 64, 0);
    assert_int_equal((uintptr_t)b.label % 64, 0);
    for (int i = 0; i < 4; i++) {
        int r = rows[i];
        assert_int_equal(b.ids[i * 3 + 0], 0 + r % 5);
        assert_int_equal(b.ids[i * 3 + 1], 5 + r % 3);
        assert_int_equal(b.ids[i * 3 + 2], 8 + (2 * r) % 7);
        assert_true(b.label[i] == d.label[r]);
    }
    free(mem);
    dataset_free(&d);
}

static void test_batch_multi_valued(void **state)
{
    (void)state;
    /* fields: user (single, card 4), genres (multi, card 6), city (single, card 3).
     * genres lists: row0 {1,2}, row1 {} (empty), row2 {5}, row3 {3,4,1}. */
    struct dataset d;
    dataset_init(&d, "multi", 4, 3);
    strcpy(d.fields[0].name, "user");
    strcpy(d.fields[1].name, "genres");
    strcpy(d.fields[2].name, "city");
    d.fields[0].card = 4;
    d.fields[1].card = 6;
    d.fields[2].card = 3;
    d.fields[1].multi = 1;
    d.fields[0].ids = malloc(4 * sizeof(int32_t));
    d.fields[2].ids = malloc(4 * sizeof(int32_t));
    d.fields[1].offs = malloc(5 * sizeof(int64_t));
    d.fields[1].mids = malloc(6 * sizeof(int32_t));
    const int32_t user[4] = { 1, 2, 3, 0 }, city[4] = { 2, 1, 0, 2 };
    const int64_t offs[5] = { 0, 2, 2, 3, 6 };
    const int32_t mids[6] = { 1, 2, 5, 3, 4, 1 };
    memcpy(d.fields[0].ids, user, sizeof user);
    memcpy(d.fields[2].ids, city, sizeof city);
    memcpy(d.fields[1].offs, offs, sizeof offs);
    memcpy(d.fields[1].mids, mids, sizeof mids);
    for (int i = 0; i < 4; i++) d.label[i] = (float)(i & 1);
    assert_int_equal(dataset_has_multi(&d), 1);
    int64_t base[3];
    assert_int_equal(data_field_bases(&d, base), 13);    /* bases 0, 4, 10 */

    const int32_t rows[3] = { 3, 1, 0 };
    void *mem = malloc(batch_bytes(&d, rows, 3));
    struct batch b;
    batch_build(&b, &d, base, rows, 3, mem);
    assert_null(b.ids);
    assert_int_equal((uintptr_t)b.offs % 64, 0);
    assert_int_equal((uintptr_t)b.bag_ids % 64, 0);
    assert_int_equal((uintptr_t)b.label % 64, 0);
    /* row 3: {0} {4+3,4+4,4+1} {10+2}; row 1: {2} {} {11}; row 0: {1} {5,6} {12} */
    const int32_t want_offs[10] = { 0, 1, 4, 5, 6, 6, 7, 8, 10, 11 };
    const int32_t want_ids[11] = { 0, 7, 8, 5, 12, 2, 11, 1, 5, 6, 12 };
    assert_memory_equal(b.offs, want_offs, sizeof want_offs);
    assert_memory_equal(b.bag_ids, want_ids, sizeof want_ids);
    assert_true(b.label[0] == 1.0f && b.label[1] == 1.0f && b.label[2] == 0.0f);
    free(mem);

    const int32_t empty_row[1] = { 1 };                  /* a batch of one row, one empty bag */
    mem = malloc(batch_bytes(&d, empty_row, 1));
    batch_build(&b, &d, base, empty_row, 1, mem);
    const int32_t want1_offs[4] = { 0, 1, 1, 2 };
    const int32_t want1_ids[2] = { 2, 11 };
    assert_memory_equal(b.offs, want1_offs, sizeof want1_offs);
    assert_memory_equal(b.bag_ids, want1_ids, sizeof want1_ids);
    free(mem);
    dataset_free(&d);
}

/* A day split of times near INT64_MAX (a csv column or a cache may hold any int64):
 * the Beijing offset must not overflow, and the two rows of the last day stay together
 * (t + 8 h would wrap for one of them). */
static void test_split_time_extreme(void **state)
{
    (void)state;
    struct dataset d;
    make_single(&d, 4);
    const int64_t a = INT64_MAX - 28800 - 5, b = INT64_MAX - 28800 + 5;
    int64_t t[4] = { a - 2 * 86400, a - 86400, a, b };
    memcpy(d.time, t, sizeof t);
    d.day_split = 1;
    d.day_offset_s = 8 * 3600;
    struct split s;
    char how[256];
    assert_int_equal(split_time(&s, &d, 0.1, 0.1, how, sizeof how), 0);
    assert_int_equal(s.n_test, 2);
    assert_int_equal(s.n_val, 1);
    assert_int_equal(s.n_train, 1);
    assert_null(strstr(how, "day -"));
    split_free(&s);
    dataset_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dataset_helpers),
        cmocka_unit_test(test_split_random),
        cmocka_unit_test(test_split_time),
        cmocka_unit_test(test_split_time_extreme),
        cmocka_unit_test(test_batch_single_valued),
        cmocka_unit_test(test_batch_multi_valued),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
