/* AUC, logloss and gAUC. Scores are mapped to order-preserving uint32 keys and sorted
 * with a stable 3-pass (11-bit digit) LSD radix sort, so AUC over 1M rows costs a few
 * milliseconds and gives the same answer on every run. */
#include "arena.h"
#include "metrics.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define METRICS_RADIX_BITS 11
#define METRICS_RADIX (1u << METRICS_RADIX_BITS)

static void *metrics_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) apg_oom("metric scratch", n);
    return p;
}

/* IEEE float -> uint32 with the same order (-0 and +0 map to one key; NaNs sort
 * beyond +-inf by their sign bit). */
static uint32_t metrics_float_key(float x)
{
    if (x == 0.0f) x = 0.0f;
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

/* Stable sort of pairs (key[i], val[i]), i < n, by key. tk/tv: scratch of n each.
 * The result ends in key/val. Passes whose digit is the same for every key are skipped. */
static void metrics_radix_sort(uint32_t *key, uint32_t *val, uint32_t *tk, uint32_t *tv, size_t n)
{
    enum { PASSES = (32 + METRICS_RADIX_BITS - 1) / METRICS_RADIX_BITS };
    size_t *hist = calloc((size_t)PASSES * METRICS_RADIX, sizeof *hist);
    if (!hist) apg_oom("metric scratch", sizeof *hist * (size_t)PASSES * METRICS_RADIX);
    for (size_t i = 0; i < n; i++)
        for (int p = 0; p < PASSES; p++)
            hist[(size_t)p * METRICS_RADIX + ((key[i] >> (p * METRICS_RADIX_BITS)) & (METRICS_RADIX - 1))]++;
    uint32_t *sk = key, *sv = val, *dk = tk, *dv = tv;
    for (int p = 0; p < PASSES; p++) {
        size_t *h = hist + (size_t)p * METRICS_RADIX;
        int shift = p * METRICS_RADIX_BITS;
        if (n == 0 || h[(sk[0] >> shift) & (METRICS_RADIX - 1)] == n) continue;   /* one bucket */
        size_t sum = 0;
        for (uint32_t b = 0; b < METRICS_RADIX; b++) { size_t c = h[b]; h[b] = sum; sum += c; }
        for (size_t i = 0; i < n; i++) {
            size_t at = h[(sk[i] >> shift) & (METRICS_RADIX - 1)]++;
            dk[at] = sk[i];
            dv[at] = sv[i];
        }
        uint32_t *t = sk; sk = dk; dk = t;
        t = sv; sv = dv; dv = t;
    }
    if (sk != key) {
        memcpy(key, sk, n * sizeof *key);
        memcpy(val, sv, n * sizeof *val);
    }
    free(hist);
}

/* Mann-Whitney count over rows sorted by score key: for each run of equal keys,
 * pos_in_run * (neg_before + neg_in_run / 2). Returns the U statistic (in units of
 * pairs, halves exact in double) and the class counts. pos[i]: sorted row i is positive. */
static double metrics_u_sorted(const uint32_t *key, const uint8_t *pos, size_t n,
                               double *n_pos, double *n_neg)
{
    double u = 0.0, neg_before = 0.0, p_all = 0.0;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        double p = 0.0, q = 0.0;
        while (j < n && key[j] == key[i]) { if (pos[j]) p += 1.0; else q += 1.0; j++; }
        u += p * (neg_before + 0.5 * q);
        neg_before += q;
        p_all += p;
        i = j;
    }
    *n_pos = p_all;
    *n_neg = neg_before;
    return u;
}

double metrics_auc(const float *score, const float *label, int64_t n)
{
    if (n <= 0) return NAN;
    size_t m = (size_t)n;
    uint32_t *key = metrics_xmalloc(4 * m * sizeof *key);
    uint32_t *val = key + m, *tk = key + 2 * m, *tv = key + 3 * m;
    for (size_t i = 0; i < m; i++) {
        key[i] = metrics_float_key(score[i]);
        val[i] = label[i] > 0.5f;
    }
    metrics_radix_sort(key, val, tk, tv, m);
    uint8_t *pos = (uint8_t *)tk;            /* scratch is free again */
    for (size_t i = 0; i < m; i++) pos[i] = (uint8_t)val[i];
    double np, nn;
    double u = metrics_u_sorted(key, pos, m, &np, &nn);
    free(key);
    if (np == 0.0 || nn == 0.0) return NAN;
    return u / (np * nn);
}

double metrics_logloss(const float *p, const float *label, int64_t n)
{
    if (n <= 0) return NAN;
    const double lo = 1e-7, hi = 1.0 - 1e-7;
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double q = p[i];
        q = q < lo ? lo : q > hi ? hi : q;
        s -= label[i] > 0.5f ? log(q) : log(1.0 - q);
    }
    return s / (double)n;
}

/* Sorts rows by score, then (stably) by user, so each user's rows form one run
 * in score order; then one Mann-Whitney pass per run, the run of user 0 left out. */
double metrics_gauc(const float *score, const float *label, const int32_t *user, int64_t n,
                    int64_t *n_users_used)
{
    return metrics_gauc_cov(score, label, user, n, n_users_used, NULL);
}

double metrics_gauc_cov(const float *score, const float *label, const int32_t *user, int64_t n,
                        int64_t *n_users_used, int64_t *n_rows)
{
    if (n_users_used) *n_users_used = 0;
    if (n_rows) *n_rows = 0;
    if (n <= 0) return NAN;
    size_t m = (size_t)n;
    uint32_t *key = metrics_xmalloc(5 * m * sizeof *key);
    uint32_t *val = key + m, *tk = key + 2 * m, *tv = key + 3 * m, *skey = key + 4 * m;
    for (size_t i = 0; i < m; i++) { key[i] = metrics_float_key(score[i]); val[i] = (uint32_t)i; }
    metrics_radix_sort(key, val, tk, tv, m);
    for (size_t i = 0; i < m; i++) key[i] = (uint32_t)user[val[i]];
    metrics_radix_sort(key, val, tk, tv, m);
    uint8_t *pos = (uint8_t *)tk;
    for (size_t i = 0; i < m; i++) {
        skey[i] = metrics_float_key(score[val[i]]);
        pos[i] = label[val[i]] > 0.5f;
    }
    double wsum = 0.0, w = 0.0;
    int64_t used = 0;
    size_t i = 0;
    while (i < m) {
        size_t j = i;
        while (j < m && key[j] == key[i]) j++;
        double np, nn;
        double u = metrics_u_sorted(skey + i, pos + i, j - i, &np, &nn);
        if (key[i] != 0 && np > 0.0 && nn > 0.0) {     /* key 0: the OOV pseudo-user */
            wsum += (double)(j - i) * (u / (np * nn));
            w += (double)(j - i);
            used++;
        }
        i = j;
    }
    free(key);
    if (n_users_used) *n_users_used = used;
    if (n_rows) *n_rows = (int64_t)w;
    return used ? wsum / w : NAN;
}
