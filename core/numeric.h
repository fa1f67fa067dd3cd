/* Numeric features (--numeric, --numeric-transform): the transform of each numeric
 * field, fitted on the training rows of the split and applied to every row.
 *
 * A numeric field is a field whose embedding is scaled by its value, as DeepCTR and
 * FuxiCTR embed dense features: row value x gives e_1 * t(x), e_1 the field's one
 * learned vector and t the fitted transform; a missing value gives e_0 (id 0, scale
 * 1), a learned vector of its own. Every backbone sees numeric fields through the
 * shared lookup (embed_lookup), wide and first-order parts included. Transforms:
 *   log        t(x) = sign(x) ln(1 + |x|)                      (nothing to fit)
 *   minmax     t(x) = (x - min) / (max - min), clamped to [0, 1] (min, max of train)
 *   standard   t(x) = (x - mean) / std, clamped to [-10, 10]    (std 0 counts as 1)
 *   bucket:N   no scale: id 1 + #{cut points <= x}, the cut points the distinct
 *              j/N-quantiles (j = 1..N-1) of the training values (equal frequency)
 * The default is log. A fit is stored in checkpoints, so predict applies the
 * training run's transform whatever rows it scores. */
#ifndef APG_NUMERIC_H
#define APG_NUMERIC_H
#include <stddef.h>
#include "data.h"

#define NUM_MAX_BUCKETS 4096
#define NUM_Z_MAX 10.0

const char *num_kind_name(int kind);     /* "log", "minmax", "standard", "bucket" */
/* Fits every numeric field of d over rows train[0..n_train) by --numeric-transform
 * spec (KIND, or a comma list of KIND and FIELD=KIND items, KIND log | minmax |
 * standard | bucket:N with N in 2..NUM_MAX_BUCKETS; NULL or "": log) and applies it
 * (dataset_apply_numeric). 0, or -1 with err (a bad spec, a FIELD= naming no numeric
 * field, out of memory). */
int  dataset_fit_numeric(struct dataset *d, const int32_t *train, int n_train, const char *spec, char *err,
                         size_t errlen);
/* Applies fit to numeric field f of d: ids (a private copy when d is mapped), card
 * (2 for a scaling kind, n_bounds + 2 for bucket), scale, and a copy of fit in the
 * field. 0, or -1 with err (not a numeric field, a fit out of range, out of memory). */
int  dataset_apply_numeric(struct dataset *d, int f, const struct num_fit *fit, char *err, size_t errlen);
/* Checks a fit read from elsewhere (a checkpoint): kind known, a, b finite, bounds
 * finite and strictly increasing, n_bounds in 0..NUM_MAX_BUCKETS - 1. 0 or -1 + err. */
int  num_fit_check(const struct num_fit *fit, char *err, size_t errlen);
/* *to = *from with its own copy of the cut points. 0, or -1 (out of memory; to unset). */
int  num_fit_copy(struct num_fit *to, const struct num_fit *from);
/* One line describing fit, e.g. "minmax [0, 37] over 800 training values". */
void num_fit_describe(const struct num_fit *fit, char *out, size_t n);
/* t(x) of a scaling fit (x finite). */
float num_fit_scale(const struct num_fit *fit, float x);

#endif
