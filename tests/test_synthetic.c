/* Synthetic generator: bit-identical by seed, oracle AUC and positive rate in range for
 * every preset, required fields and id ranges, power-law activity, row scaling, errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "dataset.h"
#include "metrics.h"
#include "synthetic.h"

static const char *const presets[] = { "ml1m", "amazon", "iaac" };
static const char *const category_name[] = { "genre", "category", "item_category" };

static int same_dataset(const struct dataset *a, const struct dataset *b)
{
    if (a->n_rows != b->n_rows || a->n_fields != b->n_fields) return 0;
    size_t n = (size_t)a->n_rows;
    for (int f = 0; f < a->n_fields; f++)
        if (a->fields[f].card != b->fields[f].card
            || memcmp(a->fields[f].ids, b->fields[f].ids, n * sizeof(int32_t)) != 0) return 0;
    return memcmp(a->label, b->label, n * sizeof(float)) == 0
        && memcmp(a->prob, b->prob, n * sizeof(float)) == 0
        && memcmp(a->time, b->time, n * sizeof(int64_t)) == 0;
}

static void test_deterministic_by_seed(void **state)
{
    (void)state;
    char err[256];
    for (int p = 0; p < 3; p++) {
        struct dataset a, b, c;
        assert_int_equal(synthetic_generate(&a, presets[p], 20000, 5, err, sizeof err), 0);
        assert_int_equal(synthetic_generate(&b, presets[p], 20000, 5, err, sizeof err), 0);
        assert_int_equal(synthetic_generate(&c, presets[p], 20000, 6, err, sizeof err), 0);
        assert_true(same_dataset(&a, &b));
        assert_false(same_dataset(&a, &c));
        assert_true(memcmp(a.prob, c.prob, 20000 * sizeof(float)) != 0);
        dataset_free(&a);
        dataset_free(&b);
        dataset_free(&c);
    }
}

/* Independent oracle AUC: Mann-Whitney with a counting pass over probabilities sorted
 * by qsort (ties averaged). */
static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static double oracle_auc_qsort(const struct dataset *d)
{
    int n = d->n_rows, np = 0;
    float *pos = malloc((size_t)n * sizeof *pos), *neg = malloc((size_t)n * sizeof *neg);
    for (int i = 0; i < n; i++) {
        if (d->label[i] > 0.5f) pos[np++] = d->prob[i];
        else neg[i - np] = d->prob[i];
    }
    int nn = n - np;
    qsort(pos, (size_t)np, sizeof *pos, cmp_float);
    qsort(neg, (size_t)nn, sizeof *neg, cmp_float);
    double u = 0.0;
    int lo = 0, hi = 0;                      /* negatives < pos[i], <= pos[i] */
    for (int i = 0; i < np; i++) {
        while (lo < nn && neg[lo] < pos[i]) lo++;
        if (hi < lo) hi = lo;
        while (hi < nn && neg[hi] <= pos[i]) hi++;
        u += lo + 0.5 * (hi - lo);
    }
    free(pos);
    free(neg);
    return u / ((double)np * nn);
}

static void test_presets_oracle_auc_and_fields(void **state)
{
    (void)state;
    char err[256];
    for (int p = 0; p < 3; p++) {
        struct dataset d;
        assert_int_equal(synthetic_generate(&d, presets[p], 100000, 1, err, sizeof err), 0);
        assert_int_equal(d.n_rows, 100000);
        assert_true(strncmp(d.name, "synthetic:", 10) == 0 && strcmp(d.name + 10, presets[p]) == 0);
        assert_int_equal(d.user_field, dataset_find_field(&d, "user_id"));
        assert_int_equal(d.item_field, dataset_find_field(&d, "item_id"));
        assert_int_equal(d.category_field, dataset_find_field(&d, category_name[p]));
        assert_true(d.user_field >= 0 && d.item_field >= 0 && d.category_field >= 0);
        assert_non_null(strstr(d.label_rule, "Bernoulli"));
        for (int f = 0; f < d.n_fields; f++) {
            const struct field *fl = &d.fields[f];
            assert_int_equal(fl->multi, 0);
            assert_true(fl->card >= 2);
            for (int i = 0; i < d.n_rows; i++) assert_true(fl->ids[i] >= 1 && fl->ids[i] < fl->card);
        }
        for (int i = 0; i < d.n_rows; i++) {
            assert_true(d.prob[i] > 0.0f && d.prob[i] < 1.0f);
            assert_true(d.label[i] == 0.0f || d.label[i] == 1.0f);
        }
        double auc = metrics_auc(d.prob, d.label, d.n_rows);
        assert_true(fabs(auc - oracle_auc_qsort(&d)) < 1e-9);
        assert_true(auc >= 0.75 && auc <= 0.85);
        double rate = dataset_pos_rate(&d);
        assert_true(rate >= 0.2 && rate <= 0.5);
        dataset_free(&d);
    }
}

static int cmp_int_desc(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x < y) - (x > y);
}

/* Share of rows held by the top 10% of the ids of field f that occur at all. */
static double top10_share(const struct dataset *d, int f)
{
    int card = d->fields[f].card, seen = 0;
    int *cnt = calloc((size_t)card, sizeof *cnt);
    for (int i = 0; i < d->n_rows; i++) cnt[d->fields[f].ids[i]]++;
    qsort(cnt, (size_t)card, sizeof *cnt, cmp_int_desc);
    while (seen < card && cnt[seen] > 0) seen++;
    long top = 0;
    for (int k = 0; k < seen / 10; k++) top += cnt[k];
    free(cnt);
    return (double)top / d->n_rows;
}

static void test_power_law_and_scaling(void **state)
{
    (void)state;
    char err[256];
    struct dataset d;
    /* ml1m at 100k rows: users and items scale by 0.1, keeping ~165 rows per user. */
    assert_int_equal(synthetic_generate(&d, "ml1m", 100000, 3, err, sizeof err), 0);
    int users = d.fields[d.user_field].card - 1;
    assert_true(users >= 590 && users <= 620);
    assert_true(d.fields[d.item_field].card - 1 >= 360 && d.fields[d.item_field].card - 1 <= 380);
    assert_int_equal(d.fields[dataset_find_field(&d, "genre")].card, 19);   /* not scaled */
    assert_true(top10_share(&d, d.user_field) > 0.3);      /* uniform would be 0.1 */
    assert_true(top10_share(&d, d.item_field) > 0.3);
    dataset_free(&d);
    /* iaac: ~2.4 rows per user, a long tail of one-row users, popular items. */
    assert_int_equal(synthetic_generate(&d, "iaac", 100000, 3, err, sizeof err), 0);
    double rpu = (double)d.n_rows / (d.fields[d.user_field].card - 1);
    assert_true(rpu > 2.0 && rpu < 3.0);
    assert_true(top10_share(&d, d.user_field) > 0.25);
    assert_true(top10_share(&d, d.item_field) > 0.25);
    dataset_free(&d);
    /* amazon: most users are seen once. */
    assert_int_equal(synthetic_generate(&d, "amazon", 100000, 3, err, sizeof err), 0);
    rpu = (double)d.n_rows / (d.fields[d.user_field].card - 1);
    assert_true(rpu > 1.0 && rpu < 1.3);
    dataset_free(&d);
    /* Tiny sizes still give valid data (floors on the id counts). */
    assert_int_equal(synthetic_generate(&d, "amazon", 10, 3, err, sizeof err), 0);
    assert_int_equal(d.n_rows, 10);
    assert_true(d.fields[d.user_field].card - 1 <= 10);
    dataset_free(&d);
}

static void test_errors_and_registry(void **state)
{
    (void)state;
    char err[256] = "";
    struct dataset d;
    assert_int_equal(synthetic_generate(&d, "netflix", 1000, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "netflix"));
    assert_non_null(strstr(err, "ml1m"));
    assert_non_null(strstr(err, "iaac"));
    assert_int_equal(synthetic_generate(&d, "ml1m", -5, 1, err, sizeof err), -1);

    struct data_opts o;
    data_opts_default(&o);
    o.dataset = "synthetic";
    o.like = "iaac";
    o.rows = 5000;
    o.data_seed = 9;
    assert_int_equal(dataset_load(&d, &o, err, sizeof err), 0);
    assert_string_equal(d.name, "synthetic:iaac");
    assert_int_equal(d.n_rows, 5000);
    assert_non_null(d.prob);
    dataset_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic_by_seed),
        cmocka_unit_test(test_presets_oracle_auc_and_fields),
        cmocka_unit_test(test_power_law_and_scaling),
        cmocka_unit_test(test_errors_and_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
