/* AUC against a brute-force pairwise count (ties 1/2) and a qsort rank-sum reference,
 * logloss against hand-computed values, gAUC on a hand-made example and against a
 * per-user brute force. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include "metrics.h"
#include "rng.h"

/* O(n^2): P(score_pos > score_neg) + 1/2 P(equal) over all (pos, neg) pairs. */
static double brute_auc(const float *s, const float *y, int n)
{
    double num = 0.0, pairs = 0.0;
    for (int i = 0; i < n; i++) {
        if (!(y[i] > 0.5f)) continue;
        for (int j = 0; j < n; j++) {
            if (y[j] > 0.5f) continue;
            pairs += 1.0;
            num += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
        }
    }
    return pairs > 0.0 ? num / pairs : NAN;
}

/* Random scores drawn from `levels` distinct values (many ties when small), labels
 * positive with probability rising in the score. */
static void fill_random(struct rng *r, float *s, float *y, int n, int levels)
{
    for (int i = 0; i < n; i++) {
        int k = (int)rng_below(r, (uint32_t)levels);
        s[i] = (float)k / (float)levels - 0.3f;
        y[i] = rng_double(r) < 0.3 + 0.4 * k / levels ? 1.0f : 0.0f;
    }
}

static void test_auc_matches_brute_force(void **state)
{
    (void)state;
    struct rng r;
    rng_seed(&r, 7);
    const int sizes[] = { 2, 3, 10, 57, 300, 1000, 2500 };
    const int levels[] = { 1, 2, 5, 50, 100000 };
    for (size_t a = 0; a < sizeof sizes / sizeof sizes[0]; a++)
        for (size_t b = 0; b < sizeof levels / sizeof levels[0]; b++) {
            int n = sizes[a];
            float *s = malloc((size_t)n * sizeof *s), *y = malloc((size_t)n * sizeof *y);
            fill_random(&r, s, y, n, levels[b]);
            y[0] = 1.0f;
            y[n - 1] = 0.0f;                           /* both classes present */
            double want = brute_auc(s, y, n), got = metrics_auc(s, y, n);
            assert_true(fabs(want - got) < 1e-12);
            if (levels[b] == 1) assert_true(fabs(got - 0.5) < 1e-12);   /* all equal */
            free(s);
            free(y);
        }
}

static void test_auc_edge_cases(void **state)
{
    (void)state;
    float s[4] = { 0.1f, 0.4f, 0.35f, 0.8f };
    float one_class[4] = { 1, 1, 1, 1 }, y[4] = { 0, 0, 1, 1 };
    assert_true(isnan(metrics_auc(s, one_class, 4)));
    assert_true(isnan(metrics_auc(s, y, 0)));
    assert_true(fabs(metrics_auc(s, y, 4) - 0.75) < 1e-12);   /* the classic example */
    float z[2] = { -0.0f, 0.0f }, zy[2] = { 1, 0 };
    assert_true(fabs(metrics_auc(z, zy, 2) - 0.5) < 1e-12);    /* -0 ties +0 */
    float neg[3] = { -5.0f, -1e-30f, 3e30f }, ny[3] = { 0, 1, 1 };
    assert_true(fabs(metrics_auc(neg, ny, 3) - 1.0) < 1e-12);  /* sign handling */
}

struct pair { float s; float y; };
static int cmp_pair(const void *a, const void *b)
{
    float x = ((const struct pair *)a)->s, z = ((const struct pair *)b)->s;
    return (x > z) - (x < z);
}

/* Rank-sum AUC with averaged ranks after a qsort: an independent O(n log n) reference. */
static double ranksum_auc(const float *s, const float *y, int n)
{
    struct pair *p = malloc((size_t)n * sizeof *p);
    for (int i = 0; i < n; i++) { p[i].s = s[i]; p[i].y = y[i]; }
    qsort(p, (size_t)n, sizeof *p, cmp_pair);
    double rank_pos = 0.0, np = 0.0;
    for (int i = 0; i < n;) {
        int j = i;
        while (j < n && p[j].s == p[i].s) j++;
        double avg = (i + 1 + j) / 2.0;                  /* ranks i+1 .. j */
        for (int k = i; k < j; k++) if (p[k].y > 0.5f) { rank_pos += avg; np += 1.0; }
        i = j;
    }
    free(p);
    double nn = n - np;
    return (rank_pos - np * (np + 1) / 2) / (np * nn);
}

static void test_auc_large_matches_ranksum(void **state)
{
    (void)state;
    int n = 1000000;
    float *s = malloc((size_t)n * sizeof *s), *y = malloc((size_t)n * sizeof *y);
    struct rng r;
    rng_seed(&r, 3);
    for (int i = 0; i < n; i++) {
        double z = rng_normal(&r);
        y[i] = rng_double(&r) < 1.0 / (1.0 + exp(-z)) ? 1.0f : 0.0f;
        s[i] = (i % 3 == 0) ? (float)(floor(z * 8) / 8) : (float)(z * 1e3);   /* ties + spread */
    }
    double got = metrics_auc(s, y, n), want = ranksum_auc(s, y, n);
    assert_true(fabs(got - want) < 1e-9);
    assert_true(got > 0.6 && got < 0.8);
    free(s);
    free(y);
}

static void test_logloss_hand_values(void **state)
{
    (void)state;
    float p[3] = { 0.9f, 0.2f, 0.5f }, y[3] = { 1, 0, 1 };
    double want = -(log((double)0.9f) + log(1.0 - (double)0.2f) + log(0.5)) / 3.0;
    assert_true(fabs(metrics_logloss(p, y, 3) - want) < 1e-12);
    float pc[2] = { 0.0f, 1.0f }, yc[2] = { 1, 0 };           /* clipped to 1e-7 */
    assert_true(fabs(metrics_logloss(pc, yc, 2) + log(1e-7)) < 1e-6);
    float pd[2] = { 1.0f, 0.0f }, yd[2] = { 1, 0 };
    assert_true(fabs(metrics_logloss(pd, yd, 2) + log(1.0 - 1e-7)) < 1e-9);
    assert_true(isnan(metrics_logloss(p, y, 0)));
}

static void test_gauc_hand_example(void **state)
{
    (void)state;
    /* user 1: AUC 1 over 3 rows; user 2: AUC 0 over 2 rows; user 3: positives only
     * (left out); user 4: a tie, AUC 1/2 over 2 rows. gAUC = (3 + 0 + 1) / 7. */
    const int32_t user[11] = { 1, 2, 3, 1, 4, 3, 2, 1, 3, 4, 3 };
    const float s[11] = { 0.9f, 0.2f, 0.1f, 0.1f, 0.5f, 0.2f, 0.8f, 0.5f, 0.3f, 0.5f, 0.4f };
    const float y[11] = { 1, 1, 1, 0, 1, 1, 0, 0, 1, 0, 1 };
    int64_t used = -1;
    double g = metrics_gauc(s, y, user, 11, &used);
    assert_int_equal(used, 3);
    assert_true(fabs(g - 4.0 / 7.0) < 1e-12);
    const int32_t single[2] = { 5, 6 };
    assert_true(isnan(metrics_gauc(s, y, single, 2, NULL)));  /* no user has both classes */
}

static void test_gauc_matches_per_user_brute_force(void **state)
{
    (void)state;
    int n = 3000, n_users = 40;
    float *s = malloc((size_t)n * sizeof *s), *y = malloc((size_t)n * sizeof *y);
    int32_t *u = malloc((size_t)n * sizeof *u);
    float *us = malloc((size_t)n * sizeof *us), *uy = malloc((size_t)n * sizeof *uy);
    struct rng r;
    rng_seed(&r, 11);
    fill_random(&r, s, y, n, 20);
    for (int i = 0; i < n; i++) u[i] = (int32_t)rng_below(&r, (uint32_t)n_users) * 1000 - 7000;
    double wsum = 0.0, w = 0.0;
    int64_t want_used = 0, used;
    for (int k = 0; k < n_users; k++) {
        int m = 0;
        for (int i = 0; i < n; i++)
            if (u[i] == k * 1000 - 7000) { us[m] = s[i]; uy[m] = y[i]; m++; }
        double a = brute_auc(us, uy, m);
        if (k * 1000 - 7000 != 0 && m > 0 && !isnan(a)) {      /* user 0 (k = 7): OOV, left out */ wsum += m * a; w += m; want_used++; }
    }
    double got = metrics_gauc(s, y, u, n, &used);
    assert_int_equal(used, want_used);
    assert_true(fabs(got - wsum / w) < 1e-12);
    free(s); free(y); free(u); free(us); free(uy);
}

/* Rows of user 0 (the OOV id every rare or unseen user shares) are no one user's:
 * gAUC leaves them out, whatever their scores. Users 1 and 2 hold 2 + 4 rows,
 * AUC 1 and 3/4; user 0 holds 6 rows scored against their labels (AUC 0), which as
 * one pseudo-user would pull gAUC from (2 + 3) / 6 down to (2 + 3 + 0) / 12. */
static void test_gauc_skips_oov_user(void **state)
{
    (void)state;
    const int32_t user[12] = { 1, 0, 2, 0, 1, 2, 0, 2, 0, 2, 0, 0 };
    const float s[12] = { 0.9f, 0.9f, 0.8f, 0.1f, 0.2f, 0.65f, 0.8f, 0.6f, 0.2f, 0.7f, 0.7f, 0.3f };
    const float y[12] = { 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 1 };
    int64_t used = -1;
    double g = metrics_gauc(s, y, user, 12, &used);
    assert_int_equal(used, 2);
    assert_true(fabs(g - 5.0 / 6.0) < 1e-12);
    /* the same as scoring the rows of users 1 and 2 alone */
    const int32_t u12[6] = { 1, 2, 1, 2, 2, 2 };
    const float s12[6] = { 0.9f, 0.8f, 0.2f, 0.65f, 0.6f, 0.7f }, y12[6] = { 1, 1, 0, 1, 0, 0 };
    assert_true(fabs(metrics_gauc(s12, y12, u12, 6, NULL) - g) < 1e-12);
    /* only OOV rows: no user */
    const int32_t zero[4] = { 0, 0, 0, 0 };
    assert_true(isnan(metrics_gauc(s, y, zero, 4, &used)));
    assert_int_equal(used, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auc_matches_brute_force),
        cmocka_unit_test(test_auc_edge_cases),
        cmocka_unit_test(test_auc_large_matches_ranksum),
        cmocka_unit_test(test_logloss_hand_values),
        cmocka_unit_test(test_gauc_hand_example),
        cmocka_unit_test(test_gauc_matches_per_user_brute_force),
        cmocka_unit_test(test_gauc_skips_oov_user),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
