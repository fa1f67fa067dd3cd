/* The paper's figures from the results DB, drawn by gnuplot: the runs of a figure's
 * spec (experiments/spec_fig*.c, the latest grid), summarised per point over seeds
 * (mean, sample std), written into a gnuplot script as inline data blocks
 * ($name << EOD) and piped to one gnuplot process, which writes a PNG (pngcairo) and an
 * SVG of the same plot. No data or script files are left behind. Only reads the DB. */
#ifndef APG_PLOT_H
#define APG_PLOT_H
#include <stddef.h>
#include <stdio.h>
#include "spec.h"
#include "store.h"

#define PLOT_INSTALL_HINT "sudo apt-get install gnuplot-nox (or: bash scripts/install-deps.sh)"

struct plot_opts {
    const char *out_dir;     /* where NAME.png and NAME.svg go (created); default out/figures */
    const char *gnuplot;     /* the program; NULL: $APG_GNUPLOT, else "gnuplot" */
    const char *db_path;     /* named in the commands that make missing runs */
    FILE       *log;         /* missing points, written files; NULL: stderr */
};

/* The figures `apg plot` knows, in order; available: 0 when it cannot be drawn yet. */
struct plot_figure { const char *name, *what; int available; };
extern const struct plot_figure plot_figures[];
extern const int plot_n_figures;
const struct plot_figure *plot_figure_find(const char *name);   /* NULL if unknown */

/* 0 when the gnuplot program runs and has the pngcairo and svg terminals; -1 with err
 * (naming the install command). */
int plot_check_gnuplot(const struct plot_opts *o, char *err, size_t errlen);

/* Draws figure name into o->out_dir/name.png and .svg. Points whose runs are missing,
 * running or failed are left out (never drawn as zeros) and named on o->log with the
 * command that makes them. 0: drawn; 1: the DB holds no run of the figure (err names
 * the command that makes them); -1: error (err). */
int plot_figure_draw(struct store *st, const char *name, const struct plot_opts *o, char *err, size_t errlen);

/* ---- shared by results/plot*.c and report.c ---- */

int  plot_mkdir_p(const char *path);   /* mkdir -p; 0 or -1 (errno) */

/* A growing text buffer (the gnuplot script). */
struct sbuf { char *s; size_t n, cap; int oom; };
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s as a gnuplot double-quoted string body (", \ escaped; control characters dropped). */
void sb_quoted(struct sbuf *b, const char *s);

/* One cell of a figure spec, summarised over the done seeds of its latest grid. */
#define PLOT_MAX_SEEDS 64
struct plot_cell {
    const struct spec_cell *c;
    int    n;                          /* done seeds */
    int    seeds[PLOT_MAX_SEEDS];
    char   keys[PLOT_MAX_SEEDS][65];
    double auc[PLOT_MAX_SEEDS];        /* test AUC in % */
    double mean, sd;                   /* NAN when n == 0; sd NAN when n < 2 */
    int    n_linked, n_failed, n_running;
    char   data_kind[24], dataset[48];
    char   error[160];                 /* the first failed run's error */
    long long rows;
};

/* A figure's cells (spec order) from the latest grid of spec; *grid_out its id (0: no
 * grid). malloc'd array of spec->n_cells, or NULL with err. */
struct plot_cell *plot_cells_load(struct store *st, const struct spec_table *spec, long long *grid_out,
                                  char *err, size_t errlen);
const struct plot_cell *plot_cell_at(const struct plot_cell *pc, int n, const char *row, const char *col);
/* "synthetic stand-in synthetic:amazon, 20000 rows" / "real data ml100k (substitute)" for
 * the column's done runs; "no runs" when none. */
void plot_data_label(char *out, size_t n, const struct plot_cell *pc, int n_cells, const char *col);
/* "2 seeds per point" / "1-3 seeds per point" over the column's (col NULL: all) cells. */
void plot_seeds_label(char *out, size_t n, const struct plot_cell *pc, int n_cells, const char *col);
/* Names every cell without a done run on log with the command making it; returns how many. */
int  plot_report_missing(FILE *log, const struct spec_table *spec, const struct plot_cell *pc, const char *db);

/* Pipes data (the data blocks) and body (the plot commands, drawn once per terminal)
 * to gnuplot, writing o->out_dir/name.png and .svg of w x h pixels. 0 or -1 with err. */
int  plot_run_gnuplot(const struct plot_opts *o, const char *name, const struct sbuf *data, const struct sbuf *body,
                      int w, int h, char *err, size_t errlen);

/* The figure drawers (results/plot_figs.c): 0, 1 (nothing to draw), -1. */
int plot_fig_curves(struct store *st, const struct spec_table *spec, const struct plot_opts *o, char *err,
                    size_t errlen);
int plot_fig_groups(struct store *st, const struct spec_table *spec, const struct plot_opts *o, char *err,
                    size_t errlen);
int plot_fig_pca(struct store *st, const struct spec_table *spec, const struct plot_opts *o, char *err,
                 size_t errlen);

#endif
