/* Cells of the hyper-parameter figures (Fig 7 on Amazon, Fig 10 on IAAC and MovieLens;
 * paper 4.5 and Appendix D): WDL, self-wise APG v6 swept over P at K 8 and over K at
 * P 32, with the Base, APG(U S_i V) (v3, no over-parameterisation) and APG(W_i) (v1, no
 * re-parameterisation) reference lines; Fig 7 adds the generator's layers. The paper
 * prints these as pictures only: no paper numbers (NAN). Every cell fixes its own K and
 * P (grid NONE), so quick and full mode run the same points. The row names are what
 * results/plot.c reads: "P n", "K n", "L n" and the reference rows below. */
#ifndef APG_SPEC_FIG_H
#define APG_SPEC_FIG_H
#include "spec.h"

#define FIG_ROW_BASE "Base"
#define FIG_ROW_USV  "APG(USV)"
#define FIG_ROW_WI   "APG(Wi)"

#define FIG_CELL(ROW, COL, DATA, ARGS, BASE) SPEC_CELL(ROW, COL, DATA, ARGS, BASE, SPEC_GRID_NONE, P_AUC(SPEC_NA))
#define FIG_P(COL, DATA, p) FIG_CELL("P " #p, COL, DATA, "--apg v6 --K 8 --P " #p, FIG_ROW_BASE)
#define FIG_K(COL, DATA, k) FIG_CELL("K " #k, COL, DATA, "--apg v6 --K " #k " --P 32", FIG_ROW_BASE)
#define FIG_L(COL, DATA, l) FIG_CELL("L " #l, COL, DATA, "--apg v6 --K 8 --P 32 --gen-layers " #l, FIG_ROW_BASE)

/* The P and K curves of one dataset column with their reference rows (22 cells). */
#define FIG_PK_CELLS(COL, DATA) \
    FIG_CELL(FIG_ROW_BASE, COL, DATA, "", NULL), \
    FIG_CELL(FIG_ROW_USV, COL, DATA, "--apg v3 --K 8", FIG_ROW_BASE), \
    FIG_CELL(FIG_ROW_WI, COL, DATA, "--apg v1", FIG_ROW_BASE), \
    FIG_P(COL, DATA, 2), FIG_P(COL, DATA, 4), FIG_P(COL, DATA, 6), FIG_P(COL, DATA, 8), FIG_P(COL, DATA, 16), \
    FIG_P(COL, DATA, 32), FIG_P(COL, DATA, 64), FIG_P(COL, DATA, 128), FIG_P(COL, DATA, 256), \
    FIG_P(COL, DATA, 512), \
    FIG_K(COL, DATA, 2), FIG_K(COL, DATA, 4), FIG_K(COL, DATA, 6), FIG_K(COL, DATA, 8), \
    FIG_K(COL, DATA, 16), FIG_K(COL, DATA, 32), FIG_K(COL, DATA, 64), FIG_K(COL, DATA, 128), \
    FIG_K(COL, DATA, 256), FIG_K(COL, DATA, 512)

#endif
