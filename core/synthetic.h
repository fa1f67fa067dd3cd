/* Synthetic CTR data with a known click probability per row: the default dataset,
 * so every target runs with no download, and the oracle AUC (AUC of the true p) is
 * the ceiling printed beside results. Presets shaped like ML-1M, Amazon and IAAC. */
#ifndef APG_SYNTHETIC_H
#define APG_SYNTHETIC_H
#include <stddef.h>
#include <stdint.h>
#include "data.h"
#include "dataset.h"

extern const struct dataset_spec dataset_spec_synthetic;

/* Fills d (dataset_init'ed here; free with dataset_free) with `rows` rows of preset
 * `like` ("ml1m", "amazon" or "iaac"; rows 0 = the preset's real size). Same
 * (like, rows, seed) = bit-identical arrays. 0, or -1 with a one-line reason in err
 * (d is then left empty). The model and the scaling rule are described in synthetic.c. */
int synthetic_generate(struct dataset *d, const char *like, int64_t rows, uint64_t seed,
                       char *err, size_t errlen);

/* The positive control, preset "control:S" (S in [0, 10], "control" = control:1): the
 * shared pattern of an ml1m-like preset (200 users, 300 items, 8 latent user groups,
 * 100000 rows at full size) plus S times a unit-variance term w_u . phi_i, where the
 * user's weights w_u = sqrt(1/2) w_g + sqrt(1/2) e_u on 16 item features phi_i are drawn
 * around its latent group g's weights w_g (see synthetic.c). The group is seen only
 * through the user id and noisy user attributes; phi_i through the item id and its
 * category. The same (rows, seed) give the same rows and ids at every S.
 *
 * Documented oracle AUC (AUC of the stored probabilities d->prob against the labels,
 * 100000 rows, data seed 1): S = 0, 1, 2, 3 -> synthetic_control_oracle(S); NAN for any
 * other S. */
double synthetic_control_oracle(int strength);

/* Comma-separated preset names (for help and error messages). */
const char *synthetic_preset_names(void);

#endif
