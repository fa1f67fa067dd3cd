/* Table 9 (Appendix C): test AUC (%) of the mix-wise aggregations over the user, item and
 * context embeddings: input (mix-in) or output (mix-out) x mean / concat / attention. */
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
    /* Input Mean */
    { .row = "Input Mean", .col = "MovieLens", .data = SPEC_MOVIELENS, .args = "--apg v6 --condition mix-in:mean:{U},{I},{C}",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(79.33) },
    { .row = "Input Mean", .col = "Amazon", .data = SPEC_AMAZON, .args = "--apg v6 --condition mix-in:mean:{U},{I},{C}",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(69.28) },
    { .row = "Input Mean", .col = "IAAC", .data = SPEC_IAAC, .args = "--apg v6 --condition mix-in:mean:{U},{I},{C}",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(65.44) },
    /* Input Concat */
    { .row = "Input Concat", .col = "MovieLens", .data = SPEC_MOVIELENS, .args = "--apg v6 --condition mix-in:concat:{U},{I},{C}",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(79.38) },
    { .row = "Input Concat", .col = "Amazon", .data = SPEC_AMAZON, .args = "--apg v6 --condition mix-in:concat:{U},{I},{C}",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(69.36) },
    { .row = "Input Concat", .col = "IAAC", .data = SPEC_IAAC, .args = "--apg v6 --condition mix-in:concat:{U},{I},{C}",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(65.73) },
    /* Input Attention */
    { .row = "Input Attention", .col = "MovieLens", .data = SPEC_MOVIELENS, .args = "--apg v6 --condition mix-in:attention:{U},{I},{C}",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(79.45) },
    { .row = "Input Attention", .col = "Amazon", .data = SPEC_AMAZON, .args = "--apg v6 --condition mix-in:attention:{U},{I},{C}",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(69.31) },
    { .row = "Input Attention", .col = "IAAC", .data = SPEC_IAAC, .args = "--apg v6 --condition mix-in:attention:{U},{I},{C}",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(65.90) },
    /* Output Mean */
    { .row = "Output Mean", .col = "MovieLens", .data = SPEC_MOVIELENS, .args = "--apg v6 --condition mix-out:mean:{U},{I},{C}",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(79.25) },
    { .row = "Output Mean", .col = "Amazon", .data = SPEC_AMAZON, .args = "--apg v6 --condition mix-out:mean:{U},{I},{C}",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(69.34) },
    { .row = "Output Mean", .col = "IAAC", .data = SPEC_IAAC, .args = "--apg v6 --condition mix-out:mean:{U},{I},{C}",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(65.44) },
    /* Output Concat */
    { .row = "Output Concat", .col = "MovieLens", .data = SPEC_MOVIELENS, .args = "--apg v6 --condition mix-out:concat:{U},{I},{C}",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(79.25) },
    { .row = "Output Concat", .col = "Amazon", .data = SPEC_AMAZON, .args = "--apg v6 --condition mix-out:concat:{U},{I},{C}",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(69.36) },
    { .row = "Output Concat", .col = "IAAC", .data = SPEC_IAAC, .args = "--apg v6 --condition mix-out:concat:{U},{I},{C}",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(65.48) },
    /* Output Attention */
    { .row = "Output Attention", .col = "MovieLens", .data = SPEC_MOVIELENS, .args = "--apg v6 --condition mix-out:attention:{U},{I},{C}",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(79.33) },
    { .row = "Output Attention", .col = "Amazon", .data = SPEC_AMAZON, .args = "--apg v6 --condition mix-out:attention:{U},{I},{C}",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(69.26) },
    { .row = "Output Attention", .col = "IAAC", .data = SPEC_IAAC, .args = "--apg v6 --condition mix-out:attention:{U},{I},{C}",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_AUC(65.70) },
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
