/* Significance tests for results tables: mean / sd, Phi, the Student t CDF through the
 * regularised incomplete beta function (continued fraction, modified Lentz), the paired
 * t-test, and DeLong's AUC comparison (Sun & Xu 2014 midranks, and the naive double loop
 * for reference). Formulas are in stats.h and beside each step. */
#include "stats.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Mean and sample sd of x[i] - y[i] (y NULL: of x[i]); see stats_mean_sd. */
static void stats_moments(const double *x, const double *y, int n, double *mean, double *sd)
{
    double m = NAN, s = NAN;
    if (n > 0) {
        double x0 = y ? x[0] - y[0] : x[0], sum = 0.0;
        int all_equal = 1;
        for (int i = 0; i < n; i++) {
            double v = y ? x[i] - y[i] : x[i];
            sum += v;
            all_equal &= v == x0;
        }
        if (all_equal) {
            m = x0;
            if (n >= 2) s = 0.0;
        } else {
            /* Corrected two-pass: ss = sum (v - m)^2 - (sum (v - m))^2 / n. */
            m = sum / n;
            double ss = 0.0, c = 0.0;
            for (int i = 0; i < n; i++) {
                double d = (y ? x[i] - y[i] : x[i]) - m;
                ss += d * d;
                c += d;
            }
            ss -= c * c / n;
            if (n >= 2) s = sqrt(ss > 0.0 ? ss / (n - 1) : 0.0);
        }
    }
    if (mean) *mean = m;
    if (sd) *sd = s;
}

void stats_mean_sd(const double *x, int n, double *mean, double *sd)
{
    stats_moments(x, NULL, n, mean, sd);
}

double stats_normal_cdf(double z) { return 0.5 * erfc(-z / sqrt(2.0)); }

/* lgamma(x) - [(x - 1/2) ln x - x + ln(2 pi) / 2] for x >= 15, the Stirling series
 * 1/(12x) - 1/(360x^3) + 1/(1260x^5) - 1/(1680x^7) + 1/(1188x^9) (next term, 691/(360360
 * x^11), is < 3e-16 at x = 15). */
static double stats_lgamma_corr(double x)
{
    double r = 1.0 / x, r2 = r * r;
    return r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 / 1188))));
}

/* ln B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b) without the cancellation of large
 * lgamma values when one argument is small and the other large (the t CDF at large df:
 * a = df/2, b = 1/2): with p <= q, p < 15 <= q, Stirling for the two large terms gives
 *   lgamma(q) - lgamma(p+q) = -(q - 1/2) log1p(p/q) - p ln(p+q) + p + corr(q) - corr(p+q). */
static double stats_lbeta(double a, double b)
{
    double p = a < b ? a : b, q = a < b ? b : a;
    if (q < 15.0 || p >= 15.0) return lgamma(p) + lgamma(q) - lgamma(p + q);
    return lgamma(p) + stats_lgamma_corr(q) - stats_lgamma_corr(p + q) + p -
           (q - 0.5) * log1p(p / q) - p * log(p + q);
}

/* 1 + d1/(1 + d2/(1 + ...)) for I_x(a, b) = x^a (1-x)^b / (a B(a,b)) / that, with
 *   d_{2m+1} = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1)),  d_{2m} = m(b-m) x / ((a+2m-1)(a+2m)),
 * evaluated forward by the modified Lentz method (C_j = b_j + a_j / C_{j-1},
 * D_j = 1 / (b_j + a_j D_{j-1}), f_j = f_{j-1} C_j D_j; b_j = 1, a_j = d_j). Converges
 * fast for x < (a+1)/(a+b+2); about sqrt(max(a, b)) terms in the worst case. */
static double stats_beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300, eps = 2.5e-16;   /* |delta - 1| within one ulp */
    double f = 1.0, c = 1.0, d = 0.0;
    for (int j = 1; j <= 2000000; j++) {
        int m = j / 2;
        double dj = (j & 1) ? -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
                            : m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
        d = 1.0 + dj * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1.0 + dj / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        double delta = c * d;
        f *= delta;
        if (fabs(delta - 1.0) < eps) break;
    }
    return f;
}

/* Regularised incomplete beta I_x(a, b), given x and y = 1 - x each computed
 * accurately by the caller; I_x(a,b) = 1 - I_y(b,a) is used when x >= (a+1)/(a+b+2). */
static double stats_ibeta(double a, double b, double x, double y)
{
    if (x <= 0.0) return 0.0;
    if (y <= 0.0) return 1.0;
    double ln_x = x > 0.5 ? log1p(-y) : log(x), ln_y = y > 0.5 ? log1p(-x) : log(y);
    double front = exp(a * ln_x + b * ln_y - stats_lbeta(a, b));   /* x^a y^b / B(a,b) */
    if (x < (a + 1.0) / (a + b + 2.0)) return front / (a * stats_beta_cf(a, b, x));
    return 1.0 - front / (b * stats_beta_cf(b, a, y));
}

/* Above this df the continued fraction loses ~df * 1e-17 to cancellation (its odd
 * terms d_{2m+1} -> -1 when x -> 1), so the t CDF switches to the A&S 26.7.8 normal
 * transformation, whose error is O(df^-2): < 1e-15 absolute there. */
#define STATS_T_CF_MAX_DF 1e7

double stats_t_cdf(double t, double df)
{
    if (isnan(t) || isnan(df) || df <= 0.0) return NAN;
    if (isinf(t)) return t > 0 ? 1.0 : 0.0;
    if (df > STATS_T_CF_MAX_DF) {
        /* Phi(t (1 - 1/(4 df)) / sqrt(1 + t^2 / (2 df))) */
        double v = 0.25 / df;
        return stats_normal_cdf(t * (1.0 - v) / sqrt(1.0 + t * t * 2.0 * v));
    }
    /* P(|T| > |t|) = I_x(df/2, 1/2), x = df/(df+t^2), 1 - x = t^2/(df+t^2). */
    double t2 = t * t;
    double tail = 0.5 * stats_ibeta(0.5 * df, 0.5, df / (df + t2), t2 / (df + t2));
    return t > 0 ? 1.0 - tail : tail;
}

int stats_paired_t(const double *a, const double *b, int n, struct stats_ttest *r)
{
    r->n = n;
    r->mean_diff = r->sd_diff = r->t = r->df = r->p = NAN;
    if (n < 2) return -1;
    stats_moments(a, b, n, &r->mean_diff, &r->sd_diff);
    r->df = n - 1;
    if (r->sd_diff == 0.0) {                      /* every difference equal */
        r->t = r->mean_diff == 0.0 ? 0.0 : copysign(INFINITY, r->mean_diff);
        r->p = r->mean_diff == 0.0 ? 1.0 : 0.0;
        return 0;
    }
    r->t = r->mean_diff / (r->sd_diff / sqrt((double)n));
    r->p = 2.0 * stats_t_cdf(-fabs(r->t), r->df);
    if (r->p > 1.0) r->p = 1.0;
    return 0;
}

/* ---- DeLong ---------------------------------------------------------------------- */

static int stats_is_pos(float y) { return y > 0.5f; }

static void stats_delong_nan(struct stats_delong *r)
{
    r->auc_a = r->auc_b = r->var_a = r->var_b = r->cov_ab = r->z = r->p = NAN;
}

/* Shared tail of both DeLong versions. va[i], vb[i]: the structural component of row i
 * for score a, b (V10 for a positive row, V01 for a negative one). With Sv the sample
 * (co)variance over the class's rows (n-1 denominator):
 *   var_a = S10(a,a)/n_pos + S01(a,a)/n_neg, var_b likewise, cov_ab = S10(a,b)/n_pos + S01(a,b)/n_neg,
 *   var_diff = S10(a-b,a-b)/n_pos + S01(a-b,a-b)/n_neg  (= var_a + var_b - 2 cov_ab). */
static void stats_delong_finish(const double *va, const double *vb, const float *label,
                                int64_t n, struct stats_delong *r)
{
    int64_t m = r->n_pos, k = r->n_neg;
    if (m < 2 || k < 2) { r->var_a = r->var_b = r->cov_ab = r->z = r->p = NAN; return; }
    double sa[2] = { 0 }, sb[2] = { 0 };          /* [class]: 0 negative, 1 positive */
    for (int64_t i = 0; i < n; i++) {
        int c = stats_is_pos(label[i]);
        sa[c] += va[i]; sb[c] += vb[i];
    }
    double cnt[2] = { (double)k, (double)m };
    double ma[2] = { sa[0] / cnt[0], sa[1] / cnt[1] }, mb[2] = { sb[0] / cnt[0], sb[1] / cnt[1] };
    double saa[2] = { 0 }, sbb[2] = { 0 }, sab[2] = { 0 }, sdd[2] = { 0 };
    for (int64_t i = 0; i < n; i++) {
        int c = stats_is_pos(label[i]);
        double da = va[i] - ma[c], db = vb[i] - mb[c];
        double dd = (va[i] - vb[i]) - (ma[c] - mb[c]);
        saa[c] += da * da; sbb[c] += db * db; sab[c] += da * db; sdd[c] += dd * dd;
    }
    /* S / (count - 1) / count, summed over the two classes. */
    double w[2] = { 1.0 / ((cnt[0] - 1.0) * cnt[0]), 1.0 / ((cnt[1] - 1.0) * cnt[1]) };
    r->var_a = saa[1] * w[1] + saa[0] * w[0];
    r->var_b = sbb[1] * w[1] + sbb[0] * w[0];
    r->cov_ab = sab[1] * w[1] + sab[0] * w[0];
    double var_diff = sdd[1] * w[1] + sdd[0] * w[0];
    double diff = r->auc_a - r->auc_b;
    if (var_diff == 0.0) {
        r->z = diff == 0.0 ? 0.0 : copysign(INFINITY, diff);
        r->p = diff == 0.0 ? 1.0 : 0.0;
        return;
    }
    r->z = diff / sqrt(var_diff);
    r->p = erfc(fabs(r->z) / sqrt(2.0));           /* 2 Phi(-|z|) */
}

/* Counts the classes; -1 (every double field NAN) when one is missing. */
static int stats_delong_start(const float *label, int64_t n, struct stats_delong *r)
{
    r->n_pos = 0;
    for (int64_t i = 0; i < n; i++) r->n_pos += stats_is_pos(label[i]);
    r->n_neg = (n > 0 ? n : 0) - r->n_pos;
    stats_delong_nan(r);
    return r->n_pos > 0 && r->n_neg > 0 ? 0 : -1;
}

/* Sort record: an order-preserving unsigned image of the score, then the row. */
struct stats_key { uint32_t key; int64_t row; };

/* Float -> uint32 with a < b iff key(a) < key(b) (flip all bits of negatives, the sign
 * bit of positives); -0 maps like +0 so the two tie, as they compare equal. */
static uint32_t stats_float_key(float f)
{
    if (f == 0.0f) f = 0.0f;
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (u & 0x80000000u) ? ~u : u | 0x80000000u;
}

static int stats_key_cmp(const void *pa, const void *pb)
{
    const struct stats_key *a = pa, *b = pb;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return (a->row > b->row) - (a->row < b->row);
}

/* Sun & Xu 2014 for one score: with T_z, T_x, T_y the midranks of a row among all rows,
 * among the positives and among the negatives (ascending, ties averaged),
 *   V10(X_i) = (T_z(X_i) - T_x(X_i)) / n_neg,   V01(Y_j) = 1 - (T_z(Y_j) - T_y(Y_j)) / n_pos,
 *   AUC = (sum_i T_z(X_i) - n_pos (n_pos + 1) / 2) / (n_pos n_neg).
 * T_z - T_x counts the negatives below X_i plus half those tied with it. One sort of all
 * rows gives all three midranks: in a tie group [i, j) holding p positives and q
 * negatives, with P, Q the positives and negatives before it, 2T_z = 2i + (j - i) + 1,
 * 2T_x = 2P + p + 1, 2T_y = 2Q + q + 1. Doubled ranks are integers: exact sums. */
static double stats_delong_fast_one(const float *score, const float *label, int64_t n,
                                    int64_t n_pos, int64_t n_neg, struct stats_key *s, double *v)
{
    for (int64_t i = 0; i < n; i++) { s[i].key = stats_float_key(score[i]); s[i].row = i; }
    qsort(s, (size_t)n, sizeof *s, stats_key_cmp);
    int64_t pos_before = 0, neg_before = 0, sum2_tz = 0;   /* sum over positives of 2 T_z */
    for (int64_t i = 0, j; i < n; i = j) {
        int64_t p = 0;
        for (j = i; j < n && s[j].key == s[i].key; j++) p += stats_is_pos(label[s[j].row]);
        int64_t q = (j - i) - p;
        int64_t tz2 = 2 * i + (j - i) + 1, tx2 = 2 * pos_before + p + 1, ty2 = 2 * neg_before + q + 1;
        double v10 = (double)(tz2 - tx2) / (2.0 * (double)n_neg);
        double v01 = (double)(2 * n_pos - (tz2 - ty2)) / (2.0 * (double)n_pos);
        for (int64_t t = i; t < j; t++) v[s[t].row] = stats_is_pos(label[s[t].row]) ? v10 : v01;
        sum2_tz += p * tz2;
        pos_before += p;
        neg_before += q;
    }
    return (double)(sum2_tz - n_pos * (n_pos + 1)) / (2.0 * (double)n_pos * (double)n_neg);
}

int stats_delong(const float *score_a, const float *score_b, const float *label, int64_t n,
                 struct stats_delong *r)
{
    if (stats_delong_start(label, n, r) != 0) return -1;
    struct stats_key *s = malloc((size_t)n * sizeof *s);
    double *va = malloc((size_t)n * sizeof *va), *vb = malloc((size_t)n * sizeof *vb);
    if (!s || !va || !vb) { free(s); free(va); free(vb); return -1; }
    r->auc_a = stats_delong_fast_one(score_a, label, n, r->n_pos, r->n_neg, s, va);
    r->auc_b = stats_delong_fast_one(score_b, label, n, r->n_pos, r->n_neg, s, vb);
    stats_delong_finish(va, vb, label, n, r);
    free(s); free(va); free(vb);
    return 0;
}

/* 2 psi(x, y): 2, 1, 0 for x > y, x == y, x < y. */
static int64_t stats_psi2(float x, float y) { return x > y ? 2 : x == y ? 1 : 0; }

/* DeLong et al. 1988 directly: V10(X_i) = (1/n_neg) sum_j psi(X_i, Y_j),
 * V01(Y_j) = (1/n_pos) sum_i psi(X_i, Y_j), AUC = (1/(n_pos n_neg)) sum_i sum_j psi. */
int stats_delong_naive(const float *score_a, const float *score_b, const float *label, int64_t n,
                       struct stats_delong *r)
{
    if (stats_delong_start(label, n, r) != 0) return -1;
    int64_t *ca = calloc((size_t)n, sizeof *ca), *cb = calloc((size_t)n, sizeof *cb);
    double *va = malloc((size_t)n * sizeof *va), *vb = malloc((size_t)n * sizeof *vb);
    if (!ca || !cb || !va || !vb) { free(ca); free(cb); free(va); free(vb); return -1; }
    int64_t tot_a = 0, tot_b = 0;                 /* 2 sum psi */
    for (int64_t i = 0; i < n; i++) {
        if (!stats_is_pos(label[i])) continue;
        for (int64_t j = 0; j < n; j++) {
            if (stats_is_pos(label[j])) continue;
            int64_t pa = stats_psi2(score_a[i], score_a[j]), pb = stats_psi2(score_b[i], score_b[j]);
            ca[i] += pa; ca[j] += pa; tot_a += pa;
            cb[i] += pb; cb[j] += pb; tot_b += pb;
        }
    }
    for (int64_t i = 0; i < n; i++) {
        double den = 2.0 * (double)(stats_is_pos(label[i]) ? r->n_neg : r->n_pos);
        va[i] = (double)ca[i] / den;
        vb[i] = (double)cb[i] / den;
    }
    double pairs2 = 2.0 * (double)r->n_pos * (double)r->n_neg;
    r->auc_a = (double)tot_a / pairs2;
    r->auc_b = (double)tot_b / pairs2;
    stats_delong_finish(va, vb, label, n, r);
    free(ca); free(cb); free(va); free(vb);
    return 0;
}
