/* Ablation of what moves APG's gain over base (README "When APG helps here"): WDL + v6
 * group-wise on the user field, one setting changed per row, on the real MovieLens
 * column (the paper's tower 256,128,64) and on the positive control at strength 2
 * (--hidden 32). Rows that change the embedding size or the tower have a base row of
 * their own. Epochs: run the spec at two --max-epochs (the DB keys runs by them). */
#include "spec.h"
#include <stddef.h>

#define AB(ROW, ARGS, BASE) \
    SPEC_CELL(ROW, "MovieLens", SPEC_MOVIELENS, ARGS, BASE, SPEC_GRID_NONE, P_AUC(SPEC_NA)), \
    SPEC_CELL(ROW, "Control S=2", SPEC_CONTROL2, "--hidden 32 " ARGS, BASE, SPEC_GRID_NONE, P_AUC(SPEC_NA))
#define G_U "--apg v6 --condition group:{U}"

static const struct spec_cell cells[] = {
    AB("Base", "", NULL),
    AB("v6 group U", G_U, "Base"),
    AB("gen-scale 0.01", G_U " --gen-scale 0.01", "Base"),
    AB("gen-scale 1", G_U " --gen-scale 1", "Base"),
    AB("gen-scale 3", G_U " --gen-scale 3", "Base"),
    AB("chain-lr 1", G_U " --chain-lr 1", "Base"),
    AB("chain-lr 0.05", G_U " --chain-lr 0.05", "Base"),
    AB("K 2", G_U " --K 2", "Base"),
    AB("K 16", G_U " --K 16", "Base"),
    AB("K 32", G_U " --K 32", "Base"),
    AB("gen-layers 2", G_U " --gen-layers 2", "Base"),
    AB("gen-lr 0.1", G_U " --gen-lr 0.1", "Base"),
    AB("gen-lr 10", G_U " --gen-lr 10", "Base"),
    AB("Base emb 32", "--emb-dim 32", NULL),
    AB("v6 group U emb 32", G_U " --emb-dim 32", "Base emb 32"),
    AB("Base emb 8", "--emb-dim 8", NULL),
    AB("v6 group U emb 8", G_U " --emb-dim 8", "Base emb 8"),
};

const struct spec_table spec_ablation = {
    .name    = "ablation",
    .title   = "Fidelity ablation: what moves APG's gain (v6 group-wise U) over base",
    .note    = "One setting changed per row against the defaults (K 8, P 32, gen-scale 0.1, chain-lr "
               "1/sqrt(P), emb 16, G one linear map). MovieLens: WDL 256,128,64; Control S=2: --hidden 32.",
    .metrics = SPEC_BIT(SPEC_AUC),
    .ratios  = 0,
    SPEC_CELLS(cells),
};
