/* Run specs: every table of the paper as a static list of cells (experiments/specs.def
 * lists the tables; one spec_<name>.c file each). A cell is one (row, column) of the
 * paper's layout: the dataset column it trains on, the `apg train` options that make
 * it (on top of the runner's defaults), the row it is compared with, and the numbers
 * the paper reports for it. The runner expands each cell into one run per seed (and,
 * in full mode, per grid point); the printers walk the same list. */
#ifndef APG_SPEC_H
#define APG_SPEC_H
#include <math.h>

/* The paper's dataset columns; the runner resolves each to real files or a stand-in. */
enum spec_data {
    SPEC_MOVIELENS,   /* ml-1m ratings.dat, else ml-100k (real), else synthetic ml1m-like */
    SPEC_AMAZON,      /* amazon/ratings_Electronics.csv, else synthetic amazon-like */
    SPEC_IAAC,        /* iaac/round1_ijcai_18_train_20180301.txt, else synthetic iaac-like */
    SPEC_CONTROL0,    /* always synthetic: the positive control --like control:S, S = 0 .. 3 */
    SPEC_CONTROL1,    /*   (core/synthetic.c; no real set stands behind it, nothing falls back) */
    SPEC_CONTROL2,
    SPEC_CONTROL3,
    SPEC_N_DATA
};

/* What a table reports per cell; paper[] holds the paper's value of each (NAN: none). */
enum spec_metric {
    SPEC_AUC,          /* test AUC, in % as the paper prints it */
    SPEC_SEC_EPOCH,    /* training seconds per epoch */
    SPEC_MEM_MB,       /* parameter memory in MB (2^20 bytes) */
    SPEC_LATENCY_MS,   /* inference ms per 1024-row batch (Table 7: the serving model) */
    SPEC_N_METRICS
};
#define SPEC_BIT(m) (1u << (m))

/* Hyper-parameter search of a cell in full mode (paper Appendix B.3, chosen on the mean
 * validation AUC over seeds). Quick mode runs the cell's own options only. */
enum spec_grid {
    SPEC_GRID_NONE,    /* no search (base models, baselines) */
    SPEC_GRID_K,       /* K in {2, 4, 6, 8} (forms without P: v2 - v5) */
    SPEC_GRID_KP,      /* K in {2, 4, 6, 8} x P in {32, 64, 128, 256, 512} (v6 - v8) */
};

struct spec_cell {
    const char    *row;       /* row label in the paper's layout, unique within its column */
    const char    *col;       /* column label */
    enum spec_data data;
    const char    *args;      /* apg train options, e.g. "--backbone pnn --apg v6" ("" = defaults) */
    const char    *base_row;  /* row of the same column this cell's gain is measured against; NULL: none */
    enum spec_grid grid;
    double         paper[SPEC_N_METRICS];   /* AUC in %, NAN where the paper has no number */
};

struct spec_table {
    const char *name;          /* "table3" */
    const char *title;         /* one line: what the paper's table shows */
    const char *note;          /* printed under the table: how our runs differ from the paper's */
    unsigned    metrics;       /* SPEC_BIT()s of the metrics the table shows */
    int         ratios;        /* 1: time and memory also as ratios to base_row (Table 5) */
    long        quick_rows;    /* quick mode's stand-in rows for this table (0: the runner's default) */
    const struct spec_cell *cells;
    int         n_cells;
};

/* Declared by specs.def: const struct spec_table spec_<name>. */
#define X(name) extern const struct spec_table spec_##name;
#include "specs.def"
#undef X

const struct spec_table *spec_find(const char *name);   /* NULL if unknown */
int  spec_count(void);
const struct spec_table *spec_at(int i);
const char *spec_names(void);                            /* "table3, table4, ..." */
const char *spec_data_name(enum spec_data d);            /* "MovieLens", "Amazon", "IAAC", "Control S=0" .. */
/* The synthetic preset of a positive-control column ("control:2"); NULL for the others. */
const char *spec_data_control(enum spec_data d);

/* Shorthands for the cell tables: P_AUC(79.21) etc. */
#define SPEC_NA NAN
#define P_AUC(a)            { [SPEC_AUC] = (a), [SPEC_SEC_EPOCH] = NAN, [SPEC_MEM_MB] = NAN, [SPEC_LATENCY_MS] = NAN }
#define P_AUC_T_M(a, t, m)  { [SPEC_AUC] = (a), [SPEC_SEC_EPOCH] = (t), [SPEC_MEM_MB] = (m), [SPEC_LATENCY_MS] = NAN }
#define P_AUC_M(a, m)       { [SPEC_AUC] = (a), [SPEC_SEC_EPOCH] = NAN, [SPEC_MEM_MB] = (m), [SPEC_LATENCY_MS] = NAN }
#define P_LAT(l)            { [SPEC_AUC] = NAN, [SPEC_SEC_EPOCH] = NAN, [SPEC_MEM_MB] = NAN, [SPEC_LATENCY_MS] = (l) }
/* One cell; a row of the three dataset columns with the same options (paper values per
 * column); Base, the WDL base row of most tables. */
#define SPEC_CELL(ROW, COL, DATA, ARGS, BASE, GRID, ...) \
    { .row = (ROW), .col = (COL), .data = (DATA), .args = (ARGS), .base_row = (BASE), .grid = (GRID), \
      .paper = __VA_ARGS__ }
#define SPEC_ROW3P(ROW, ARGS, BASE, GRID, PML, PAM, PIA) \
    SPEC_CELL(ROW, "MovieLens", SPEC_MOVIELENS, ARGS, BASE, GRID, PML), \
    SPEC_CELL(ROW, "Amazon", SPEC_AMAZON, ARGS, BASE, GRID, PAM), \
    SPEC_CELL(ROW, "IAAC", SPEC_IAAC, ARGS, BASE, GRID, PIA)
#define SPEC_ROW3(ROW, ARGS, BASE, GRID, ML, AM, IA) \
    SPEC_ROW3P(ROW, ARGS, BASE, GRID, P_AUC(ML), P_AUC(AM), P_AUC(IA))
#define SPEC_BASE3 SPEC_ROW3("Base", "", NULL, SPEC_GRID_NONE, 79.21, 69.15, 65.17)
#define SPEC_CELLS(a) .cells = (a), .n_cells = (int)(sizeof(a) / sizeof((a)[0]))

#endif
