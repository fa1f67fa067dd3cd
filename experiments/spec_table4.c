/* Table 4: test AUC (%) of APG (WDL, v6) under the condition strategies: group-wise on
 * the user or item embedding, mix-wise (input aggregation, attention) on user, item and
 * context, self-wise on the layer input. */
#include "spec.h"
#include <stddef.h>

static const struct spec_cell cells[] = {
    SPEC_BASE3,
    SPEC_ROW3("Group-wise U", "--apg v6 --condition group:{U}", "Base", SPEC_GRID_KP, 79.58, 69.28, 65.80),
    SPEC_ROW3("Group-wise I", "--apg v6 --condition group:{I}", "Base", SPEC_GRID_KP, 79.58, 69.35, 65.76),
    SPEC_ROW3("Mix-wise U,I,C", "--apg v6 --condition mix-in:attention:{U},{I},{C}", "Base", SPEC_GRID_KP, 79.45, 69.31, 65.90),
    SPEC_ROW3("Self-wise x_i", "--apg v6 --condition self", "Base", SPEC_GRID_KP, 79.60, 69.37, 65.86),
};

const struct spec_table spec_table4 = {
    .name    = "table4",
    .title   = "Table 4: AUC (%) of APG under different condition strategies",
    .note    = "WDL + APG v6; mix-wise is input aggregation with attention (Appendix C). "
               "{U}, {I}, {C}: the dataset's user, item and context fields.",
    .metrics = SPEC_BIT(SPEC_AUC),
    .ratios  = 0,
    SPEC_CELLS(cells),
};
