/* Significance tests printed beside a results table: mean / sample sd, Phi and the
 * Student t CDF (regularised incomplete beta by Lentz's continued fraction), the paired
 * t-test over seeds, and DeLong's test for two correlated AUCs on the same test rows
 * (fast O(n log n) midrank form of Sun & Xu 2014, plus the O(n_pos n_neg) definition). */
#ifndef APG_STATS_H
#define APG_STATS_H
#include <stdint.h>

/* Sample mean and sample standard deviation (n-1 denominator); sd = NAN when n < 2, mean NAN when n == 0.
 * Either output may be NULL. When every x[i] is equal: mean = x[0], sd = 0 exactly. */
void stats_mean_sd(const double *x, int n, double *mean, double *sd);

double stats_normal_cdf(double z);                /* Phi(z) = erfc(-z / sqrt 2) / 2 */
/* Student t CDF, df > 0 (real df): 1 - I_x(df/2, 1/2) / 2 for t > 0 (I_x / 2 for t < 0),
 * x = df / (df + t^2). Absolute error < 1e-11 (mpmath scan; relative < 1e-10 in the lower
 * tail up to df 1e6). df > 1e7 (inf included) uses the normal transformation
 * Phi(t (1 - 1/(4 df)) / sqrt(1 + t^2/(2 df))) (A&S 26.7.8). NAN for df <= 0 or NAN. */
double stats_t_cdf(double t, double df);

struct stats_ttest { int n; double mean_diff, sd_diff, t, df, p; };   /* p two-sided */
/* Paired t-test of a[i] - b[i], i < n: t = mean(d) / (sd(d) / sqrt n), df = n - 1,
 * p = 2 T_df(-|t|). 0, or -1 when n < 2 (r->p = NAN; so are mean_diff, sd_diff, t, df);
 * when every difference is equal (sd 0): t = +-inf and p = 0 if the mean difference is
 * nonzero, t = 0 and p = 1 if it is zero. */
int stats_paired_t(const double *a, const double *b, int n, struct stats_ttest *r);

struct stats_delong { int64_t n_pos, n_neg; double auc_a, auc_b, var_a, var_b, cov_ab, z, p; };  /* p two-sided, for H0: AUC_a == AUC_b */
/* DeLong's test for two correlated ROC AUCs on the same rows (DeLong, DeLong &
 * Clarke-Pearson 1988, Biometrics 44(3)) with the O(n log n) midrank algorithm of Sun &
 * Xu 2014 (IEEE SPL 21(11)). psi(X, Y) = 1, 1/2, 0 for X > Y, X == Y, X < Y; a label is
 * positive when > 0.5. Structural components V10(X_i) = mean_j psi(X_i, Y_j) over the
 * negatives, V01(Y_j) = mean_i psi(X_i, Y_j) over the positives;
 *   var(AUC) = s^2(V10) / n_pos + s^2(V01) / n_neg   (sample variances, n-1 denominators),
 *   cov_ab likewise from the sample covariances,
 *   z = (auc_a - auc_b) / sqrt(var_a + var_b - 2 cov_ab),   p = 2 Phi(-|z|)
 * (the denominator is evaluated as the same formula on the differences V_a - V_b, so it
 * is never negative from rounding).
 * Returns 0, or -1 when a class is missing or scratch (32 bytes a row) cannot be
 * allocated: then every double field is NAN (n_pos, n_neg still hold the counts).
 * When the variance of the difference is 0: z = 0 and p = 1 if the AUCs are equal, else
 * z = +-inf, p = 0. A class with a single row has no sample variance: returns 0 with the
 * AUCs set and var_a, var_b, cov_ab, z, p = NAN. Scores must not be NaN; -0 == +0.
 * Rows n < 2^31. Deterministic (sort with a full tie-break, exact integer rank sums). */
int stats_delong(const float *score_a, const float *score_b, const float *label, int64_t n,
                 struct stats_delong *r);
/* Same, the O(n_pos * n_neg) textbook definition (psi kernel, structural components),
 * for tests and tiny inputs. Returns bit-identical results to stats_delong. */
int stats_delong_naive(const float *score_a, const float *score_b, const float *label, int64_t n,
                       struct stats_delong *r);

#endif
