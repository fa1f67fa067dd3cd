/* Table 7: serving efficiency: inference ms per 1024-row batch of Base, APG (v6, timed on
 * its exported inference form, folded into v3) and APG w/o re-parameterisation (v1). */
#include "spec.h"
#include <stddef.h>

static const struct spec_cell cells[] = {
    SPEC_CELL("Base", "RT(ms)", SPEC_MOVIELENS, "", NULL, SPEC_GRID_NONE, P_LAT(15.4)),
    SPEC_CELL("APG", "RT(ms)", SPEC_MOVIELENS, "--apg v6", "Base", SPEC_GRID_KP, P_LAT(17.2)),
    SPEC_CELL("APG w/o RP", "RT(ms)", SPEC_MOVIELENS, "--apg v1", "Base", SPEC_GRID_NONE, P_LAT(58.6)),
};

const struct spec_table spec_table7 = {
    .name    = "table7",
    .title   = "Table 7: serving latency of Base, APG and APG w/o RP",
    .note    = "Paper RT is Taobao's online response time on Alibaba data (PVR not reproduced): "
               "only the ratios to Base compare. APG is timed on its exported (folded) form. Quick mode: a 20,000-row stand-in (v1 costs ~50x base).",
    .metrics = SPEC_BIT(SPEC_LATENCY_MS),
    .ratios  = 1,
    .quick_rows = 20000,   /* v1, v2 and v5 cost 10-50x base (the paper: 9.55-56x) */
    SPEC_CELLS(cells),
};
