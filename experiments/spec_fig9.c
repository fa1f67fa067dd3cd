/* Figure 9 (paper 4.6): group-wise APG conditioned on the item category on Amazon; the
 * runner records the generated S_i of each adaptive layer for the 10 categories most
 * frequent in training (specific_params), and `apg plot fig9` projects them to 2-D by
 * PCA (results/pca.c). Base is the reference of the printed table. */
#include "spec_fig.h"
#include <stddef.h>

static const struct spec_cell cells[] = {
    FIG_CELL(FIG_ROW_BASE, "Amazon", SPEC_AMAZON, "", NULL),
    FIG_CELL("Group-wise C", "Amazon", SPEC_AMAZON, "--apg v6 --condition group:{C}", FIG_ROW_BASE),
};

const struct spec_table spec_fig9 = {
    .name    = "fig9",
    .title   = "Figure 9: the generated S_i per item category, projected to 2-D by PCA",
    .note    = "WDL + APG v6, group-wise on {C} (the category field), K 8, P 32; S_i = G(e_c) of every adaptive "
               "layer for the 10 most frequent categories. `apg plot fig9` draws them.",
    .metrics = SPEC_BIT(SPEC_AUC),
    .ratios  = 0,
    SPEC_CELLS(cells),
};
