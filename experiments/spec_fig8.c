/* Figure 8: APG's gains per user-frequency group (10 groups of equal user count, group 0
 * the rarest; paper 5): paired Base and APG (WDL, v6 self-wise, K 8, P 32) runs on each
 * dataset; the plot reads their group_metrics (test rows per group: AUC, CTR, share). */
#include "spec_fig.h"
#include <stddef.h>

static const struct spec_cell cells[] = {
    FIG_CELL(FIG_ROW_BASE, "MovieLens", SPEC_MOVIELENS, "", NULL),
    FIG_CELL("APG", "MovieLens", SPEC_MOVIELENS, "--apg v6", FIG_ROW_BASE),
    FIG_CELL(FIG_ROW_BASE, "Amazon", SPEC_AMAZON, "", NULL),
    FIG_CELL("APG", "Amazon", SPEC_AMAZON, "--apg v6", FIG_ROW_BASE),
    FIG_CELL(FIG_ROW_BASE, "IAAC", SPEC_IAAC, "", NULL),
    FIG_CELL("APG", "IAAC", SPEC_IAAC, "--apg v6", FIG_ROW_BASE),
};

const struct spec_table spec_fig8 = {
    .name    = "fig8",
    .title   = "Figure 8: APG's AUC and CTR gains over Base per user-frequency group",
    .note    = "WDL, APG v6 self-wise, K 8, P 32; users cut into 10 groups of equal count by their training "
               "rows. `apg plot fig8` draws the groups.",
    .metrics = SPEC_BIT(SPEC_AUC),
    .ratios  = 0,
    SPEC_CELLS(cells),
};
