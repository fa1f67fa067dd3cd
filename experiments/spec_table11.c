/* Table 11 (Appendix F): test AUC (%) of stacked over-parameterisation: v6 (J = 2),
 * v7 (J = 3) and v8 (J = 4) factors per side; WDL, self-wise. */
#include "spec.h"
#include <stddef.h>

static const struct spec_cell cells[] = {
    SPEC_BASE3,
    SPEC_ROW3("v6", "--apg v6", "Base", SPEC_GRID_KP, 79.60, 69.37, 65.86),
    SPEC_ROW3("v7", "--apg v7", "Base", SPEC_GRID_KP, 79.59, 69.39, 66.13),
    SPEC_ROW3("v8", "--apg v8", "Base", SPEC_GRID_KP, 79.61, 69.39, 65.96),
};

const struct spec_table spec_table11 = {
    .name    = "table11",
    .title   = "Table 11: AUC (%) of stacked over-parameterisation (v6, v7, v8)",
    .note    = "WDL, self-wise; every chain folds into one U and V for inference.",
    .metrics = SPEC_BIT(SPEC_AUC),
    .ratios  = 0,
    SPEC_CELLS(cells),
};
