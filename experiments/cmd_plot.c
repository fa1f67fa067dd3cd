/* apg plot FIG.. | all : the paper's figures from the results DB, drawn by gnuplot into
 * PNG and SVG (results/plot.h); with --run-missing it first trains what the DB lacks
 * through `apg reproduce` (the same runner, the same run keys). */
#include "commands.h"
#include "cli.h"
#include "dist.h"
#include "plot.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct plot_cli {
    const char *db, *out, *gnuplot;
    int run_missing;
    /* runner options, handed to apg reproduce as given */
    const char *seeds, *rows, *max_epochs, *patience, *data, *jobs, *threads, *data_seed, *cache_dir;
    int quick, full, retry_failed;
};

#define O(f) offsetof(struct plot_cli, f)
static const struct opt plot_opts_table[] = {
    { "db", OPT_STR, O(db), "PATH", "results DB to read", 0, 0 },
    { "out", OPT_STR, O(out), "DIR", "folder of the PNG and SVG files", 0, 0 },
    { "gnuplot", OPT_STR, O(gnuplot), "PROG", "gnuplot program (default $APG_GNUPLOT, else gnuplot)", 0, 0 },
    { "run-missing", OPT_FLAG, O(run_missing), NULL, "first train the figure's runs the DB lacks (apg reproduce FIG)", 0, 0 },
    { "seeds", OPT_STR, O(seeds), "N", "with --run-missing: seeds 1..N per point", 0, 0 },
    { "rows", OPT_STR, O(rows), "N", "with --run-missing: rows of each synthetic stand-in", 0, 0 },
    { "max-epochs", OPT_STR, O(max_epochs), "E", "with --run-missing: epoch limit", 0, 0 },
    { "patience", OPT_STR, O(patience), "N", "with --run-missing: early-stopping patience", 0, 0 },
    { "data", OPT_STR, O(data), "DIR", "with --run-missing: folder of the real datasets", 0, 0 },
    { "jobs", OPT_STR, O(jobs), "J", "with --run-missing: runs trained at once", 0, 0 },
    { "threads", OPT_STR, O(threads), "T", "with --run-missing: threads of each run", 0, 0 },
    { "data-seed", OPT_STR, O(data_seed), "S", "with --run-missing: seed of the stand-ins and the split", 0, 0 },
    { "cache-dir", OPT_STR, O(cache_dir), "DIR", "with --run-missing: binary cache of parsed datasets", 0, 0 },
    { "quick", OPT_FLAG, O(quick), NULL, "with --run-missing: quick mode (the default)", 0, 0 },
    { "full", OPT_FLAG, O(full), NULL, "with --run-missing: full mode (full-size stand-ins, 10 epochs)", 0, 0 },
    { "retry-failed", OPT_FLAG, O(retry_failed), NULL, "with --run-missing: train failed runs again", 0, 0 },
    { NULL, 0, 0, NULL, NULL, 0, 0 },
};
#undef O

static int usage_error(const char *msg)
{
    fprintf(stderr, "apg plot: %s\n", msg);
    return 2;
}

/* apg reproduce FIG --db DB [the runner options given]. */
static int run_missing(const struct plot_cli *a, const char *fig)
{
    char *argv[40];
    int n = 0;
    argv[n++] = (char *)fig;
    argv[n++] = "--db";
    argv[n++] = (char *)a->db;
#define FWD(name, field) if (a->field) { argv[n++] = "--" name; argv[n++] = (char *)a->field; }
    FWD("seeds", seeds) FWD("rows", rows) FWD("max-epochs", max_epochs) FWD("patience", patience)
    FWD("data", data) FWD("jobs", jobs) FWD("threads", threads) FWD("data-seed", data_seed)
    FWD("cache-dir", cache_dir)
#undef FWD
    if (a->quick) argv[n++] = "--quick";
    if (a->full) argv[n++] = "--full";
    if (a->retry_failed) argv[n++] = "--retry-failed";
    argv[n] = NULL;
    if (dist_rank() == 0) {
        printf("apg plot: training what %s lacks for %s: apg reproduce", a->db, fig);
        for (int i = 0; i < n; i++) printf(" %s", argv[i]);
        printf("\n");
    }
    fflush(stdout);
    return cmd_reproduce(n, argv);
}

int cmd_plot(int argc, char **argv)
{
    struct plot_cli a = { .db = "out/results.db", .out = "out/figures" };
    const struct opt_group g = { "plot", plot_opts_table, &a };
    char *pos[16], err[1024];
    int n_pos, help;
    if (cli_parse(&g, 1, argc, argv, pos, 16, &n_pos, &help, err, sizeof err)) return usage_error(err);
    if (help) {
        printf("usage: apg plot fig7|fig8|fig9|fig10|all [options]\n\n"
               "Draws the paper's figures from the results DB with gnuplot: OUT/FIG.png (pngcairo) and\n"
               "OUT/FIG.svg. Points average the seeds of the figure's latest grid (error bars: sample\n"
               "std when there are 2 or more); points without a finished run are left out and named\n"
               "with the command that makes them. --run-missing trains them first (apg reproduce FIG).\n"
               "A named figure without any run is an error; `all` draws the figures the DB holds and names\n"
               "the others (an error only when it holds none).\n\n");
        for (int i = 0; i < plot_n_figures; i++)
            printf("  %-6s %s\n", plot_figures[i].name, plot_figures[i].what);
        printf("\n");
        cli_help(stdout, &g, 1);
        return 0;
    }
    if (!a.run_missing && (a.seeds || a.rows || a.max_epochs || a.patience || a.data || a.jobs || a.threads ||
                           a.data_seed || a.cache_dir || a.quick || a.full || a.retry_failed))
        return usage_error("the runner options (--seeds, --rows, ...) need --run-missing");
    if (n_pos == 0) return usage_error("name the figures: fig7, fig8, fig9, fig10 or all");
    const char *figs[16];
    int n_figs = 0, all = 0;
    for (int i = 0; i < n_pos; i++) {
        if (strcmp(pos[i], "all") == 0) {
            all = 1;
            for (int k = 0; k < plot_n_figures && n_figs < 16; k++)
                if (plot_figures[k].available) figs[n_figs++] = plot_figures[k].name;
            continue;
        }
        const struct plot_figure *f = plot_figure_find(pos[i]);
        if (!f) {
            snprintf(err, sizeof err, "unknown figure '%s' (valid: fig7, fig8, fig9, fig10, all)", pos[i]);
            return usage_error(err);
        }
        if (!f->available) {
            snprintf(err, sizeof err, "%s is not available yet: %s", f->name, f->what);
            return usage_error(err);
        }
        if (n_figs < 16) figs[n_figs++] = f->name;
    }
    if (dist_rank() > 0) {              /* an MPI job's other ranks: train, never open the DB */
        for (int i = 0; i < n_figs && a.run_missing; i++) {
            int r = run_missing(&a, figs[i]);
            if (r == 130) return r;
        }
        return 0;
    }
    struct plot_opts po = { .out_dir = a.out, .gnuplot = a.gnuplot, .db_path = a.db, .log = stderr };
    if (plot_check_gnuplot(&po, err, sizeof err)) {
        fprintf(stderr, "apg plot: %s\n", err);
        return 1;
    }
    int rc = 0, drawn = 0, errors = 0;
    for (int i = 0; i < n_figs; i++) {
        if (a.run_missing) {
            int r = run_missing(&a, figs[i]);
            if (r == 130) return r;
            if (r) fprintf(stderr, "apg plot: apg reproduce %s exited %d; drawing what the DB holds\n", figs[i], r);
        }
        struct store st;
        if (store_open(&st, a.db, 1, err, sizeof err)) {
            fprintf(stderr, "apg plot: %s\n", err);
            return 1;
        }
        int r = plot_figure_draw(&st, figs[i], &po, err, sizeof err);
        store_close(&st);
        if (r) fprintf(stderr, "apg plot: %s\n", err);
        drawn += r == 0;
        errors += r < 0;
        if (r) rc = 1;
    }
    /* all: the figures the DB holds; those it lacks are named above, not an error */
    if (all && rc && !errors && drawn) rc = 0;
    return rc;
}
