/* Figure 10 (Appendix D): the P and K curves of Figure 7 on IAAC and MovieLens. */
#include "spec_fig.h"
#include <stddef.h>

static const struct spec_cell cells[] = {
    FIG_PK_CELLS("IAAC", SPEC_IAAC),
    FIG_PK_CELLS("MovieLens", SPEC_MOVIELENS),
};

const struct spec_table spec_fig10 = {
    .name    = "fig10",
    .title   = "Figure 10: AUC (%) of APG against P and K on IAAC and MovieLens",
    .note    = "WDL, APG v6 self-wise; P at K 8, K at P 32. The paper gives these as curves only (no numbers); "
               "`apg plot fig10` draws them.",
    .metrics = SPEC_BIT(SPEC_AUC),
    .ratios  = 0,
    SPEC_CELLS(cells),
};
