/* Fidelity: does APG beat the base model where the paper says it does, and where it
 * must by construction? Two kinds of column:
 *   MovieLens     the real data (ml-1m when present, else the real ml-100k): base, v3,
 *                 v6 and the condition strategies of Table 4 under the paper's protocol
 *                 (K x P grid on validation in full mode), WDL with the paper's tower.
 *   Control S=k   the positive control (synthetic --like control:S, core/synthetic.c):
 *                 p = sigmoid(shared(x) + S w_u . phi_i) with w_u drawn around the user's
 *                 latent group, a pattern that instance-specific weights express directly.
 *                 WDL with a 32-wide tower (--hidden 32); the same rows at every S, the
 *                 paper's default sizes (K 8) and the sizes where APG has room (K 32).
 * Every APG row's gain is measured against Base of its own column. */
#include "spec.h"
#include <stddef.h>

#define CTL_COLS(ROW, ARGS, BASE) \
    SPEC_CELL(ROW, "Control S=0", SPEC_CONTROL0, "--hidden 32" ARGS, BASE, SPEC_GRID_NONE, P_AUC(SPEC_NA)), \
    SPEC_CELL(ROW, "Control S=1", SPEC_CONTROL1, "--hidden 32" ARGS, BASE, SPEC_GRID_NONE, P_AUC(SPEC_NA)), \
    SPEC_CELL(ROW, "Control S=2", SPEC_CONTROL2, "--hidden 32" ARGS, BASE, SPEC_GRID_NONE, P_AUC(SPEC_NA)), \
    SPEC_CELL(ROW, "Control S=3", SPEC_CONTROL3, "--hidden 32" ARGS, BASE, SPEC_GRID_NONE, P_AUC(SPEC_NA))
#define ML(ROW, ARGS, BASE, GRID, PAPER) \
    SPEC_CELL(ROW, "MovieLens", SPEC_MOVIELENS, ARGS, BASE, GRID, P_AUC(PAPER))

static const struct spec_cell cells[] = {
    /* MovieLens: Table 4 (v6 under four conditions) and Table 6 (v3 self-wise) */
    ML("Base", "", NULL, SPEC_GRID_NONE, 79.21),
    ML("v3 self", "--apg v3 --condition self", "Base", SPEC_GRID_K, 79.56),
    ML("v6 self", "--apg v6 --condition self", "Base", SPEC_GRID_KP, 79.60),
    ML("v6 group U", "--apg v6 --condition group:{U}", "Base", SPEC_GRID_KP, 79.58),
    ML("v6 group I", "--apg v6 --condition group:{I}", "Base", SPEC_GRID_KP, 79.58),
    ML("v6 mix U,I,C", "--apg v6 --condition mix-in:attention:{U},{I},{C}", "Base", SPEC_GRID_KP, 79.45),
    /* The positive control at four strengths */
    CTL_COLS("Base", "", NULL),
    CTL_COLS("v3 self", " --apg v3 --condition self", "Base"),
    CTL_COLS("v6 self", " --apg v6 --condition self", "Base"),
    CTL_COLS("v6 group U", " --apg v6 --condition group:{U}", "Base"),
    CTL_COLS("v6 group I", " --apg v6 --condition group:{I}", "Base"),
    CTL_COLS("v6 mix U,I,C", " --apg v6 --condition mix-in:attention:{U},{I},{C}", "Base"),
    CTL_COLS("v3 group U K32", " --apg v3 --condition group:{U} --K 32 --gen-scale 1", "Base"),
    CTL_COLS("v6 group U K32", " --apg v6 --condition group:{U} --K 32 --gen-scale 1", "Base"),
    CTL_COLS("v1 group U", " --apg v1 --condition group:{U}", "Base"),
};

const struct spec_table spec_fidelity = {
    .name    = "fidelity",
    .title   = "Fidelity: APG vs base on MovieLens (paper protocol) and on the positive control",
    .note    = "MovieLens: WDL 256,128,64, the paper's grid in full mode (quick: K 8, P 32). Control S=k: "
               "synthetic control:k (oracle AUC printed per run), WDL --hidden 32; rows K32 generate a "
               "32 x 32 S_i per instance, v1 the whole W_i. Use --max-epochs 15 --patience 2: the control "
               "needs more than the quick default of 3 epochs.",
    .metrics = SPEC_BIT(SPEC_AUC),
    .ratios  = 0,
    SPEC_CELLS(cells),
};
