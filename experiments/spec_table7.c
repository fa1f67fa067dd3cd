/* Table 7: serving efficiency: inference ms per 1024-row batch of Base, APG (v6, timed on
 * its exported inference form, folded into v3) and APG w/o re-parameterisation (v1). */
#include "spec.h"
#include <stddef.h>

static const struct spec_cell cells[] = {
    { .row = "Base", .col = "RT(ms)", .data = SPEC_MOVIELENS, .args = "",
      .base_row = NULL, .grid = SPEC_GRID_NONE, .paper = P_LAT(15.4) },
    { .row = "APG", .col = "RT(ms)", .data = SPEC_MOVIELENS, .args = "--apg v6",
      .base_row = "Base", .grid = SPEC_GRID_KP, .paper = P_LAT(17.2) },
    { .row = "APG w/o RP", .col = "RT(ms)", .data = SPEC_MOVIELENS, .args = "--apg v1",
      .base_row = "Base", .grid = SPEC_GRID_NONE, .paper = P_LAT(58.6) },
};

const struct spec_table spec_table7 = {
    .name    = "table7",
    .title   = "Table 7: serving latency of Base, APG and APG w/o RP",
    .note    = "Paper RT is Taobao's online response time on Alibaba data (PVR not reproduced): "
               "only the ratios to Base compare. APG is timed on its exported (folded) form.",
    .metrics = SPEC_BIT(SPEC_LATENCY_MS),
    .ratios  = 1,
    SPEC_CELLS(cells),
};
