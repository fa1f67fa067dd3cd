/* Table 9 (Appendix C): test AUC (%) of the mix-wise aggregations over the user, item and
 * context embeddings: input (mix-in) or output (mix-out) x mean / concat / attention. */
#include "spec.h"
#include <stddef.h>

static const struct spec_cell cells[] = {
    SPEC_BASE3,
    SPEC_ROW3("Input Mean", "--apg v6 --condition mix-in:mean:{U},{I},{C}", "Base", SPEC_GRID_KP, 79.33, 69.28, 65.44),
    SPEC_ROW3("Input Concat", "--apg v6 --condition mix-in:concat:{U},{I},{C}", "Base", SPEC_GRID_KP, 79.38, 69.36, 65.73),
    SPEC_ROW3("Input Attention", "--apg v6 --condition mix-in:attention:{U},{I},{C}", "Base", SPEC_GRID_KP, 79.45, 69.31, 65.90),
    SPEC_ROW3("Output Mean", "--apg v6 --condition mix-out:mean:{U},{I},{C}", "Base", SPEC_GRID_KP, 79.25, 69.34, 65.44),
    SPEC_ROW3("Output Concat", "--apg v6 --condition mix-out:concat:{U},{I},{C}", "Base", SPEC_GRID_KP, 79.25, 69.36, 65.48),
    SPEC_ROW3("Output Attention", "--apg v6 --condition mix-out:attention:{U},{I},{C}", "Base", SPEC_GRID_KP, 79.33, 69.26, 65.70),
};

const struct spec_table spec_table9 = {
    .name    = "table9",
    .title   = "Table 9: AUC (%) of mix-wise aggregation functions",
    .note    = "WDL + APG v6 conditioned on {U}, {I}, {C}; "
               "Input Attention is Table 4's Mix-wise row.",
    .metrics = SPEC_BIT(SPEC_AUC),
    .ratios  = 0,
    SPEC_CELLS(cells),
};
