/* Evaluation metrics over a set of scored rows: exact AUC (ties get averaged ranks),
 * logloss and gAUC (per-user AUC weighted by impressions). A label counts as
 * positive when > 0.5. Deterministic: the sorts are stable LSD radix sorts. Row counts
 * must be < 2^32 (uint32 row indices); scratch is 16 (AUC) or 20 (gAUC) bytes a row. */
#ifndef APG_METRICS_H
#define APG_METRICS_H
#include <stdint.h>

/* Area under the ROC curve of score[0..n) against label[0..n): the Mann-Whitney U
 * statistic / (n_pos n_neg), a tied (positive, negative) pair counting 1/2.
 * Returns NAN when only one class (or no row) is present. O(n) memory, radix sort. */
double metrics_auc(const float *score, const float *label, int64_t n);

/* Mean binary cross-entropy -(y log p + (1-y) log(1-p)) with p clipped to
 * [1e-7, 1 - 1e-7]. Returns NAN for n == 0. */
double metrics_logloss(const float *p, const float *label, int64_t n);

/* Group AUC: sum_u n_u AUC_u / sum_u n_u over the users u (user[i], any int32 id
 * except 0) whose rows hold both classes; n_u = the user's rows (impressions). Rows of
 * user 0 are left out: id 0 is the OOV id that every rare (--min-count) or unseen user
 * shares, no one user, so grouping them would make one large pseudo-user. Returns NAN
 * when no user has both classes. If n_users_used is not NULL it receives that count. */
double metrics_gauc(const float *score, const float *label, const int32_t *user, int64_t n,
                    int64_t *n_users_used);
/* metrics_gauc, also giving what it covers: *n_users the users counted, *n_rows their
 * rows (the impressions of the weighted mean; rows of user 0 and of one-class users
 * are not among them). Either pointer may be NULL. */
double metrics_gauc_cov(const float *score, const float *label, const int32_t *user, int64_t n,
                        int64_t *n_users, int64_t *n_rows);

#endif
