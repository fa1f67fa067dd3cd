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

/* Comma-separated preset names (for help and error messages). */
const char *synthetic_preset_names(void);

#endif
