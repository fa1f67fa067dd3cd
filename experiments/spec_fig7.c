/* Figure 7: AUC of APG on Amazon against P (small {2..16}, large {32..512}, K 8),
 * against K (small {2..8}, large {16..512}, P 32) and against the generator's layers
 * {1, 2, 3}, with Base, APG(U S_i V) and APG(W_i) as reference lines (paper 4.5). */
#include "spec_fig.h"
#include <stddef.h>

static const struct spec_cell cells[] = {
    FIG_PK_CELLS("Amazon", SPEC_AMAZON),
    FIG_L("Amazon", SPEC_AMAZON, 1),
    FIG_L("Amazon", SPEC_AMAZON, 2),
    FIG_L("Amazon", SPEC_AMAZON, 3),
};

const struct spec_table spec_fig7 = {
    .name    = "fig7",
    .title   = "Figure 7: AUC (%) of APG against P, K and the generator's layers on Amazon",
    .note    = "WDL, APG v6 self-wise; P at K 8, K at P 32, layers at K 8, P 32. The paper gives these as "
               "curves only (no numbers); `apg plot fig7` draws them.",
    .metrics = SPEC_BIT(SPEC_AUC),
    .ratios  = 0,
    SPEC_CELLS(cells),
};
