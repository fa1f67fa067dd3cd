/* results/stats: Phi and the t CDF against mpmath values, closed forms (df = 1 Cauchy,
 * df = 2) and the normal limit; mean / sd and the paired t-test on hand-computed
 * examples; DeLong fast (Sun & Xu midranks) against the naive double loop on tied and
 * unbalanced random data, AUCs against a Mann-Whitney count, two worked examples whose
 * variances are derived by hand below, and the error / degenerate cases. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "stats.h"
#include "metrics.h"
#include "rng.h"

/* |got - want| <= abs_tol + rel_tol |want|, with a readable failure line. */
static void check_close(double got, double want, double abs_tol, double rel_tol, const char *what)
{
    double err = fabs(got - want);
    if (!(err <= abs_tol + rel_tol * fabs(want))) {
        print_error("%s: got %.17g want %.17g (err %.3g)\n", what, got, want, err);
        fail();
    }
}

/* ---- distributions ------------------------------------------------------------- */

static void test_normal_cdf(void **state)
{
    (void)state;
    /* Values from mpmath (erfc at 40 digits). */
    check_close(stats_normal_cdf(0.0), 0.5, 1e-16, 0, "Phi(0)");
    check_close(stats_normal_cdf(1.0), 0.84134474606854294859, 1e-15, 0, "Phi(1)");
    check_close(stats_normal_cdf(-1.96), 0.024997895148220436213, 0, 1e-13, "Phi(-1.96)");
    check_close(stats_normal_cdf(3.0), 0.99865010196836990547, 1e-15, 0, "Phi(3)");
    check_close(stats_normal_cdf(-8.0), 6.2209605742717841235e-16, 0, 1e-12, "Phi(-8)");
    check_close(stats_normal_cdf(-20.0), 2.7536241186062336951e-89, 0, 1e-12, "Phi(-20)");
}

static void test_t_cdf_known_values(void **state)
{
    (void)state;
    /* F_df(t) = 1 - I_x(df/2, 1/2)/2 (t > 0), x = df/(df+t^2), by mpmath.betainc at 40
     * digits. Lower tails are checked relatively. */
    static const struct { double t, df, want; } v[] = {
        { 2.0, 5, 0.94903026058507082188 },
        { -1.5, 10, 0.082253663222720090425 },
        { 0.5, 2.5, 0.67115104006514265533 },
        { 1e-3, 3, 0.500367552515269531 },
        { 3.0, 0.5, 0.8163459220070282759 },
        { -4.0, 30, 0.00019092281804187842162 },
        { 10.0, 7, 0.99998930289855461359 },
        { -25.0, 4, 7.5987628816578692088e-6 },
        { 2.5, 1000, 0.9937107160994546016 },
        { 1.96, 1e6, 0.97500196620736510466 },
        { -1.7, 1e6, 0.044565618245174384516 },     /* x near 1: needs log1p(-y) */
        { 1.0, 1e6, 0.84134462508321093536 },
        { -1.2, 1e5, 0.11507109165980595273 },
        { 0.3, 1e7, 0.61791141907110728345 },
        { -6.0, 50, 1.0944697425399963577e-7 },
        { 1.0, 0.1, 0.58367175750472135876 },
        { -2.0, 20, 0.029632767723285236485 },      /* around the Stirling switch (a = 15) */
        { -2.9, 29.5, 0.0034909625194902719262 },
        { 1.3, 31, 0.89840781843170612555 },
        { -3.3, 3e7, 0.00048342470562095286402 },   /* df > 1e7: A&S 26.7.8 branch */
        { 2.2, 1e9, 0.98609655237255700334 },
        { -1.0, 5e8, 0.15865525417342777581 },
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "t_cdf(%g, %g)", v[i].t, v[i].df);
        check_close(stats_t_cdf(v[i].t, v[i].df), v[i].want, 1e-13, 1e-10, what);
    }
    check_close(stats_t_cdf(40.0, 200), 1.0, 1e-15, 0, "t_cdf(40, 200)");
}

static void test_t_cdf_closed_forms(void **state)
{
    (void)state;
    for (double t = -30.0; t <= 30.0; t += 0.37) {
        char what[64];
        /* df = 1: Cauchy, 1/2 + atan(t)/pi. */
        snprintf(what, sizeof what, "cauchy t=%g", t);
        check_close(stats_t_cdf(t, 1.0), 0.5 + atan(t) / 3.14159265358979323846, 1e-14, 1e-11, what);
        /* df = 2: 1/2 + t / (2 sqrt(2 + t^2)). */
        snprintf(what, sizeof what, "df2 t=%g", t);
        check_close(stats_t_cdf(t, 2.0), 0.5 + t / (2.0 * sqrt(2.0 + t * t)), 1e-14, 1e-11, what);
        /* symmetry F(t) + F(-t) = 1 at a non-integer df */
        snprintf(what, sizeof what, "symmetry t=%g", t);
        check_close(stats_t_cdf(t, 7.3) + stats_t_cdf(-t, 7.3), 1.0, 1e-14, 0, what);
    }
    assert_true(stats_t_cdf(0.0, 3.0) == 0.5);
    assert_true(stats_t_cdf(INFINITY, 3.0) == 1.0);
    assert_true(stats_t_cdf(-INFINITY, 3.0) == 0.0);
    assert_true(isnan(stats_t_cdf(1.0, 0.0)));
    assert_true(isnan(stats_t_cdf(1.0, -2.0)));
    assert_true(isnan(stats_t_cdf(NAN, 3.0)));
}

/* F_df -> Phi as df grows, |F_df - Phi| ~ phi(t)(t^3 + t)/(4 df), and is monotone. */
static void test_t_cdf_large_df(void **state)
{
    (void)state;
    const double ts[] = { -3.0, -1.0, 0.5, 1.96, 2.5 };
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        double phi = stats_normal_cdf(ts[i]), prev = INFINITY;
        for (double df = 10; df <= 1e8; df *= 10) {
            double err = fabs(stats_t_cdf(ts[i], df) - phi);
            assert_true(err < prev);
            assert_true(err < 0.2 / df);
            prev = err;
        }
        /* first-order expansion F = Phi - phi(t)(t^3 + t)/(4 df) + O(df^-2) */
        double t = ts[i], dens = exp(-0.5 * t * t) / sqrt(2.0 * 3.14159265358979323846);
        check_close(stats_t_cdf(t, 1e12), phi - dens * (t * t * t + t) / 4e12, 1e-15, 0, "df = 1e12");
        check_close(stats_t_cdf(ts[i], INFINITY), phi, 1e-15, 0, "df = inf");
    }
}

/* ---- mean / sd, paired t ------------------------------------------------------- */

static void test_mean_sd(void **state)
{
    (void)state;
    /* {2,4,4,4,5,5,7,9}: mean 5, sum of squared deviations 32, sd = sqrt(32/7). */
    const double x[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
    double m, s;
    stats_mean_sd(x, 8, &m, &s);
    check_close(m, 5.0, 1e-15, 0, "mean");
    check_close(s, sqrt(32.0 / 7.0), 1e-15, 0, "sd");
    stats_mean_sd(x, 1, &m, &s);
    assert_true(m == 2.0 && isnan(s));
    stats_mean_sd(x, 0, &m, &s);
    assert_true(isnan(m) && isnan(s));
    const double c[] = { 0.1, 0.1, 0.1 };       /* 0.3/3 != 0.1 in double; sd must be 0 */
    stats_mean_sd(c, 3, &m, &s);
    assert_true(m == 0.1 && s == 0.0);
    stats_mean_sd(x, 8, NULL, &s);               /* NULL outputs allowed */
    stats_mean_sd(x, 8, &m, NULL);
    assert_true(m == 5.0);
}

static void test_paired_t_hand_example(void **state)
{
    (void)state;
    /* d = a - b = {0.3, 0.5, -0.1, 0.8, 0.4}: mean 1.9/5 = 0.38, deviations
     * {-0.08, 0.12, -0.48, 0.42, 0.02}, squares sum 0.428, var 0.107, sd 0.32710854467592252,
     * t = 0.38 sqrt(5) / sd = 2.5976265226937203, df 4, p = 2 F_4(-t) = 0.060198338312495731
     * (p by mpmath). */
    const double a[] = { 10.2, 11.5, 9.8, 12.0, 10.9 }, b[] = { 9.9, 11.0, 9.9, 11.2, 10.5 };
    struct stats_ttest r;
    assert_int_equal(stats_paired_t(a, b, 5, &r), 0);
    assert_int_equal(r.n, 5);
    check_close(r.mean_diff, 0.38, 1e-12, 0, "mean_diff");
    check_close(r.sd_diff, 0.32710854467592252, 1e-12, 0, "sd_diff");
    check_close(r.t, 2.5976265226937203, 1e-10, 0, "t");
    assert_true(r.df == 4.0);
    check_close(r.p, 0.060198338312495731, 1e-10, 0, "p");
    /* Swapping a and b flips t, keeps p. */
    struct stats_ttest s;
    assert_int_equal(stats_paired_t(b, a, 5, &s), 0);
    check_close(s.t, -r.t, 1e-15, 0, "-t");
    check_close(s.p, r.p, 1e-15, 0, "p swapped");
}

static void test_paired_t_degenerate(void **state)
{
    (void)state;
    const double a[] = { 1.0, 2.0, 3.0 }, b[] = { 0.5, 1.5, 2.5 };
    struct stats_ttest r;
    assert_int_equal(stats_paired_t(a, b, 1, &r), -1);
    assert_true(isnan(r.p));
    assert_int_equal(stats_paired_t(a, b, 0, &r), -1);
    assert_true(isnan(r.p));
    assert_int_equal(stats_paired_t(a, b, 3, &r), 0);  /* every difference 0.5 */
    assert_true(r.sd_diff == 0.0 && r.t == INFINITY && r.p == 0.0);
    assert_int_equal(stats_paired_t(b, a, 3, &r), 0);
    assert_true(r.t == -INFINITY && r.p == 0.0);
    assert_int_equal(stats_paired_t(a, a, 3, &r), 0);  /* every difference 0 */
    assert_true(r.sd_diff == 0.0 && r.t == 0.0 && r.p == 1.0);
}

/* ---- DeLong -------------------------------------------------------------------- */

/* Mann-Whitney: 2 * #{(pos, neg): s_pos > s_neg} + #{ties}, over 2 n_pos n_neg. */
static double mann_whitney_auc(const float *s, const float *y, int n)
{
    int64_t c = 0, np = 0, nn = 0;
    for (int i = 0; i < n; i++) { np += y[i] > 0.5f; nn += !(y[i] > 0.5f); }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (y[i] > 0.5f && !(y[j] > 0.5f)) c += s[i] > s[j] ? 2 : s[i] == s[j] ? 1 : 0;
    return (double)c / (2.0 * (double)np * (double)nn);
}

/* Equal, or both NAN, or within tol relative (abs floor 1e-15). */
static void check_field(double got, double want, double tol, const char *what)
{
    if (got == want || (isnan(got) && isnan(want))) return;
    check_close(got, want, 1e-15, tol, what);
}

static void check_delong_equal(const struct stats_delong *f, const struct stats_delong *s, double tol)
{
    assert_true(f->n_pos == s->n_pos && f->n_neg == s->n_neg);
    check_field(f->auc_a, s->auc_a, tol, "auc_a");
    check_field(f->auc_b, s->auc_b, tol, "auc_b");
    check_field(f->var_a, s->var_a, tol, "var_a");
    check_field(f->var_b, s->var_b, tol, "var_b");
    check_field(f->cov_ab, s->cov_ab, tol, "cov_ab");
    check_field(f->z, s->z, tol, "z");
    check_field(f->p, s->p, tol, "p");
}

/* Scores quantised to `levels` values (many ties when small); b = a + noise, quantised
 * the same way (correlated models); labels positive with probability rising in a, the
 * scaled by pos_rate (unbalanced classes). */
static void fill_delong(struct rng *r, float *a, float *b, float *y, int n, int levels, double pos_rate)
{
    for (int i = 0; i < n; i++) {
        int k = (int)rng_below(r, (uint32_t)levels);
        int kb = k + (int)rng_below(r, 3) - 1;
        if (kb < 0) kb = 0;
        if (kb >= levels) kb = levels - 1;
        a[i] = (float)k / (float)levels - 0.5f;
        b[i] = (float)kb / (float)levels - 0.5f;
        double p = pos_rate * (0.5 + (double)k / levels);
        y[i] = rng_double(r) < p ? 1.0f : 0.0f;
    }
}

static void test_delong_fast_equals_naive(void **state)
{
    (void)state;
    struct rng r;
    rng_seed(&r, 11);
    const int sizes[] = { 2, 3, 4, 7, 20, 101, 600, 2500 };
    const int levels[] = { 1, 2, 3, 5, 12, 1000000 };
    const double rates[] = { 0.03, 0.5, 0.98 };
    int compared = 0, degenerate = 0;
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
        for (size_t li = 0; li < sizeof levels / sizeof levels[0]; li++)
            for (size_t ri = 0; ri < sizeof rates / sizeof rates[0]; ri++) {
                int n = sizes[si];
                float *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b);
                float *y = malloc((size_t)n * sizeof *y);
                assert_true(a && b && y);
                fill_delong(&r, a, b, y, n, levels[li], rates[ri]);
                struct stats_delong f, s;
                int rf = stats_delong(a, b, y, n, &f), rs = stats_delong_naive(a, b, y, n, &s);
                assert_int_equal(rf, rs);
                if (rf == 0) {
                    check_delong_equal(&f, &s, 1e-9);
                    assert_memory_equal(&f, &s, sizeof f);   /* in fact bit-identical */
                    /* AUCs are Mann-Whitney counts, and match core/metrics. */
                    check_close(f.auc_a, mann_whitney_auc(a, y, n), 1e-15, 0, "MW a");
                    check_close(f.auc_b, mann_whitney_auc(b, y, n), 1e-15, 0, "MW b");
                    check_close(f.auc_a, metrics_auc(a, y, n), 1e-12, 0, "metrics_auc");
                    if (f.n_pos >= 2 && f.n_neg >= 2) {
                        assert_true(f.var_a >= 0 && f.var_b >= 0 && f.p >= 0 && f.p <= 1);
                        assert_true(f.cov_ab * f.cov_ab <= f.var_a * f.var_b * (1 + 1e-12));
                        compared++;
                    } else {
                        degenerate++;
                    }
                } else {
                    assert_true(isnan(f.auc_a) && isnan(s.auc_a));
                }
                free(a); free(b); free(y);
            }
    assert_true(compared > 80);                  /* the grid really exercised the variance */
    assert_true(degenerate > 0);
}

/* Five rows, derived by hand (psi = 1, 1/2, 0):
 *   positives X_a = {0.9, 0.6, 0.4}, X_b = {0.8, 0.3, 0.7}; negatives Y_a = {0.5, 0.4}, Y_b = {0.6, 0.2}.
 *   V10_a = {1, 1, 1/4} (0.4 vs 0.5 -> 0, vs 0.4 -> 1/2), V01_a = {2/3, 5/6}: AUC_a = 3/4.
 *   V10_b = {1, 1/2, 1},  V01_b = {2/3, 1}: AUC_b = 5/6.
 *   S10: var_a = (1/16 + 1/16 + 1/4)/2 = 3/16, var_b = (1/36 + 1/9 + 1/36)/2 = 1/12,
 *        cov = (1/24 - 1/12 - 1/12)/2 = -1/16.
 *   S01: var_a = 2 (1/12)^2 / 1 = 1/72, var_b = 2 (1/6)^2 = 1/18, cov = 2 (1/12)(1/6) = 1/36.
 *   var_a = (3/16)/3 + (1/72)/2 = 5/72, var_b = (1/12)/3 + (1/18)/2 = 1/18,
 *   cov_ab = (-1/16)/3 + (1/36)/2 = -1/144, var_diff = 5/72 + 1/18 + 2/144 = 5/36,
 *   z = (3/4 - 5/6) / sqrt(5/36) = -1/(2 sqrt 5), p = erfc(|z|/sqrt 2) = 0.82306327375812148. */
static void test_delong_hand_example(void **state)
{
    (void)state;
    /* rows interleaved: pos, neg, pos, neg, pos */
    const float a[] = { 0.9f, 0.5f, 0.6f, 0.4f, 0.4f };
    const float b[] = { 0.8f, 0.6f, 0.3f, 0.2f, 0.7f };
    const float y[] = { 1, 0, 1, 0, 1 };
    struct stats_delong want = { 3, 2, 3.0 / 4, 5.0 / 6, 5.0 / 72, 1.0 / 18, -1.0 / 144,
                                 -1.0 / (2.0 * sqrt(5.0)), 0.82306327375812148 };
    struct stats_delong f, s;
    assert_int_equal(stats_delong(a, b, y, 5, &f), 0);
    assert_int_equal(stats_delong_naive(a, b, y, 5, &s), 0);
    check_delong_equal(&f, &want, 1e-12);
    check_delong_equal(&s, &want, 1e-12);
    /* Swapping the models flips z, keeps p. */
    assert_int_equal(stats_delong(b, a, y, 5, &f), 0);
    check_close(f.z, -want.z, 1e-12, 0, "swapped z");
    check_close(f.p, want.p, 1e-12, 0, "swapped p");
}

/* Hanley & McNeil 1982 (Radiology 143:29), Table 1: 109 CT images rated 1..5 by a
 * radiologist; normal (negative) counts 33, 6, 6, 11, 2, abnormal (positive) 3, 2, 2, 11,
 * 33. Published AUC 0.893. By hand (exact fractions): V10 per abnormal rating =
 * {33/2, 36, 42, 101/2, 57}/58, V01 per normal rating = {99/2, 47, 45, 77/2, 33/2}/51,
 * AUC = 2642/2958 = 1321/1479 = 0.89317; s^2(V10) = 108947/3431280, s^2(V01) = 8437/452574,
 * DeLong var = s^2(V10)/51 + s^2(V01)/58 = 17089/18102960 (SE 0.030724; H&M's own
 * exponential approximation gives 0.032). With b = a: cov = var, z = 0, p = 1. */
static void test_delong_hanley_mcneil(void **state)
{
    (void)state;
    static const int neg[5] = { 33, 6, 6, 11, 2 }, pos[5] = { 3, 2, 2, 11, 33 };
    float s[109], y[109];
    int n = 0;
    for (int k = 0; k < 5; k++) {                /* interleave the classes */
        for (int i = 0; i < neg[k]; i++) { s[n] = (float)(k + 1); y[n++] = 0.0f; }
        for (int i = 0; i < pos[k]; i++) { s[n] = (float)(k + 1); y[n++] = 1.0f; }
    }
    assert_int_equal(n, 109);
    struct stats_delong f, g;
    assert_int_equal(stats_delong(s, s, y, n, &f), 0);
    assert_int_equal(stats_delong_naive(s, s, y, n, &g), 0);
    check_delong_equal(&f, &g, 1e-12);
    assert_true(f.n_pos == 51 && f.n_neg == 58);
    check_close(f.auc_a, 1321.0 / 1479.0, 1e-15, 0, "H&M auc");
    check_close(f.var_a, 17089.0 / 18102960.0, 0, 1e-12, "H&M var");
    check_close(sqrt(f.var_a), 0.030724408379381, 1e-12, 0, "H&M se");
    assert_true(f.var_b == f.var_a && f.cov_ab == f.var_a);
    assert_true(f.z == 0.0 && f.p == 1.0);
}

static void test_delong_degenerate(void **state)
{
    (void)state;
    struct stats_delong r;
    /* One class only -> -1, every double field NAN, both versions. */
    const float s[] = { 0.1f, 0.5f, 0.9f, 0.3f }, ones[] = { 1, 1, 1, 1 }, zeros[] = { 0, 0, 0, 0 };
    assert_int_equal(stats_delong(s, s, ones, 4, &r), -1);
    assert_true(isnan(r.auc_a) && isnan(r.auc_b) && isnan(r.var_a) && isnan(r.var_b) &&
                isnan(r.cov_ab) && isnan(r.z) && isnan(r.p));
    assert_true(r.n_pos == 4 && r.n_neg == 0);
    assert_int_equal(stats_delong_naive(s, s, zeros, 4, &r), -1);
    assert_true(isnan(r.auc_a) && isnan(r.p));
    assert_int_equal(stats_delong(s, s, zeros, 0, &r), -1);
    /* A single positive: AUCs defined, variances not. */
    const float y1[] = { 0, 1, 0, 0 };
    assert_int_equal(stats_delong(s, s, y1, 4, &r), 0);
    check_close(r.auc_a, 2.0 / 3.0, 1e-15, 0, "single-positive auc");
    assert_true(isnan(r.var_a) && isnan(r.z) && isnan(r.p));
    /* Zero variance of the difference: a separates perfectly (V = 1 everywhere), b ties
     * everything (V = 1/2 everywhere): z = +inf, p = 0; and the reverse; and a vs a. */
    const float pa[] = { 1, 0, 1, 0 }, pb[] = { 0.5f, 0.5f, 0.5f, 0.5f }, y2[] = { 1, 0, 1, 0 };
    struct stats_delong q;
    assert_int_equal(stats_delong(pa, pb, y2, 4, &r), 0);
    assert_int_equal(stats_delong_naive(pa, pb, y2, 4, &q), 0);
    assert_true(r.auc_a == 1.0 && r.auc_b == 0.5 && r.z == INFINITY && r.p == 0.0);
    check_delong_equal(&r, &q, 0);
    assert_int_equal(stats_delong(pb, pa, y2, 4, &r), 0);
    assert_true(r.z == -INFINITY && r.p == 0.0);
    assert_int_equal(stats_delong(pa, pa, y2, 4, &r), 0);
    assert_true(r.var_a == 0.0 && r.z == 0.0 && r.p == 1.0);
    /* -0 and +0 tie (they compare equal), in both versions. */
    const float za[] = { -0.0f, 0.0f, 1.0f, -1.0f }, y3[] = { 1, 0, 1, 0 };
    assert_int_equal(stats_delong(za, za, y3, 4, &r), 0);
    assert_int_equal(stats_delong_naive(za, za, y3, 4, &q), 0);
    check_delong_equal(&r, &q, 0);
    check_close(r.auc_a, 0.75 + 0.125, 1e-15, 0, "signed zero");
}

/* Same result on a second call (bitwise) and, up to summation order, after permuting
 * the rows; a large run agrees with core/metrics' AUC. */
static void test_delong_deterministic_large(void **state)
{
    (void)state;
    const int n = 200000;
    float *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b);
    float *y = malloc((size_t)n * sizeof *y);
    float *pa = malloc((size_t)n * sizeof *pa), *pb = malloc((size_t)n * sizeof *pb);
    float *py = malloc((size_t)n * sizeof *py);
    int32_t *perm = malloc((size_t)n * sizeof *perm);
    assert_true(a && b && y && pa && pb && py && perm);
    struct rng r;
    rng_seed(&r, 5);
    fill_delong(&r, a, b, y, n, 200, 0.1);
    for (int i = 0; i < n; i++) perm[i] = i;
    rng_shuffle_i32(&r, perm, n);
    for (int i = 0; i < n; i++) { pa[i] = a[perm[i]]; pb[i] = b[perm[i]]; py[i] = y[perm[i]]; }
    struct stats_delong r1, r2, r3;
    assert_int_equal(stats_delong(a, b, y, n, &r1), 0);
    assert_int_equal(stats_delong(a, b, y, n, &r2), 0);
    assert_memory_equal(&r1, &r2, sizeof r1);
    assert_int_equal(stats_delong(pa, pb, py, n, &r3), 0);
    check_delong_equal(&r1, &r3, 1e-10);
    check_close(r1.auc_a, metrics_auc(a, y, n), 1e-12, 0, "metrics_auc a");
    check_close(r1.auc_b, metrics_auc(b, y, n), 1e-12, 0, "metrics_auc b");
    assert_true(r1.var_a > 0 && r1.p >= 0 && r1.p <= 1);
    free(a); free(b); free(y); free(pa); free(pb); free(py); free(perm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normal_cdf),
        cmocka_unit_test(test_t_cdf_known_values),
        cmocka_unit_test(test_t_cdf_closed_forms),
        cmocka_unit_test(test_t_cdf_large_df),
        cmocka_unit_test(test_mean_sd),
        cmocka_unit_test(test_paired_t_hand_example),
        cmocka_unit_test(test_paired_t_degenerate),
        cmocka_unit_test(test_delong_fast_equals_naive),
        cmocka_unit_test(test_delong_hand_example),
        cmocka_unit_test(test_delong_hanley_mcneil),
        cmocka_unit_test(test_delong_degenerate),
        cmocka_unit_test(test_delong_deterministic_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
