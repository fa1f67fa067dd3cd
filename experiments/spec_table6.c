/* Table 6: test AUC (%) without (v3, U S_i V) and with (v6, U^l U^r S_i V^l V^r)
 * over-parameterisation; WDL, self-wise. */
#include "spec.h"
#include <stddef.h>

static const struct spec_cell cells[] = {
    SPEC_BASE3,
    SPEC_ROW3("v3", "--apg v3", "Base", SPEC_GRID_K, 79.56, 69.34, 65.67),
    SPEC_ROW3("v6", "--apg v6", "Base", SPEC_GRID_KP, 79.60, 69.37, 65.86),
};

const struct spec_table spec_table6 = {
    .name    = "table6",
    .title   = "Table 6: AUC (%) of over-parameterisation (v3 vs v6)",
    .note    = "WDL, self-wise; v6 folds into v3's form for inference, so only training differs.",
    .metrics = SPEC_BIT(SPEC_AUC),
    .ratios  = 0,
    SPEC_CELLS(cells),
};
