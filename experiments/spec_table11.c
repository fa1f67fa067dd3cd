/* Table 11 (Appendix F): test AUC (%) of stacked over-parameterisation: v6 (J = 2),
 * v7 (J = 3) and v8 (J = 4) factors per side; WDL, self-wise. */
#include "spec.h"
#include <stddef.h>

static const struct spec_cell cells[] = {
    /* Base */
    { .row = "Base", .col = "MovieLens", .data = SPEC_MOVIELENS, .args = "",
      .base_row = NULL, .grid = SPEC_GRID_NONE, .paper = P_AUC(79.21) },
    { .row = "Base", .col = "Amazon", .data = SPEC_AMAZON, .args = "",
      .base_row = NULL, .grid = SPEC_GRID_NONE, .paper = P_AUC(69.15) },
    { .row = "Base", .col = "IAAC", .data = SPEC_IAAC, .args = "",
      .base_row = NULL, .grid = SPEC_GRID_NONE, .paper = P_AUC(65.17) },
    /* v6 */
    { .row = "v6", .col = "MovieLens", .data = SPEC_MOVIELENS, .args = "--apg v6",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(79.60) },
    { .row = "v6", .col = "Amazon", .data = SPEC_AMAZON, .args = "--apg v6",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(69.37) },
    { .row = "v6", .col = "IAAC", .data = SPEC_IAAC, .args = "--apg v6",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(65.86) },
    /* v7 */
    { .row = "v7", .col = "MovieLens", .data = SPEC_MOVIELENS, .args = "--apg v7",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(79.59) },
    { .row = "v7", .col = "Amazon", .data = SPEC_AMAZON, .args = "--apg v7",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(69.39) },
    { .row = "v7", .col = "IAAC", .data = SPEC_IAAC, .args = "--apg v7",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(66.13) },
    /* v8 */
    { .row = "v8", .col = "MovieLens", .data = SPEC_MOVIELENS, .args = "--apg v8",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(79.61) },
    { .row = "v8", .col = "Amazon", .data = SPEC_AMAZON, .args = "--apg v8",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(69.39) },
    { .row = "v8", .col = "IAAC", .data = SPEC_IAAC, .args = "--apg v8",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(65.96) },
};

const struct spec_table spec_table11 = {
    .name    = "table11",
    .title   = "Table 11: AUC (%) of stacked over-parameterisation (v6, v7, v8)",
    .note    = "WDL, self-wise; every chain folds into one U and V for inference.",
    .metrics = SPEC_BIT(SPEC_AUC),
    .ratios  = 0,
    SPEC_CELLS(cells),
};
