/* The reproduction report (results/report.h). */
#include "report.h"
#include "env.h"
#include "plot.h"
#include "spec.h"
#include "stats.h"
#include "table.h"
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *report_verdict_name(enum report_verdict v)
{
    switch (v) {
    case VERDICT_MISSING: return "missing";
    case VERDICT_ONE_SEED: return "one seed: no spread to judge";
    case VERDICT_REPRODUCED: return "reproduced (within 2 std of the seeds)";
    case VERDICT_BETTER: return "better than the paper";
    case VERDICT_WORSE: return "worse than the paper";
    case VERDICT_SYNTHETIC: return "not comparable (synthetic stand-in)";
    default: return "-";
    }
}

enum report_verdict report_judge(double ours, double sd, int n, double paper)
{
    if (paper != paper) return VERDICT_NONE;
    if (n < 1 || ours != ours) return VERDICT_MISSING;
    if (n < 2 || sd != sd) return VERDICT_ONE_SEED;
    if (fabs(ours - paper) <= 2 * sd) return VERDICT_REPRODUCED;
    return ours > paper ? VERDICT_BETTER : VERDICT_WORSE;
}

/* Prints the rows of a GROUP BY query as a Markdown table with the given header. */
static void md_query(FILE *f, struct store *st, const char *header, const char *sql)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
        fprintf(f, "(query failed: %s)\n\n", sqlite3_errmsg(st->db));
        return;
    }
    int nc = sqlite3_column_count(s), rows = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (!rows++) {
            fprintf(f, "%s\n|", header);
            for (int c = 0; c < nc; c++) fprintf(f, "---|");
            fprintf(f, "\n");
        }
        fprintf(f, "|");
        for (int c = 0; c < nc; c++) {
            const unsigned char *t = sqlite3_column_text(s, c);
            fprintf(f, " %s |", t ? (const char *)t : "");
        }
        fprintf(f, "\n");
    }
    sqlite3_finalize(s);
    fprintf(f, rows ? "\n" : "(none)\n\n");
}

/* The verdict table of a paper table: AUC gains of APG rows over their base rows (paired
 * by seed) against the paper's gains; base rows' absolute AUC where the data is real. */
static void verdicts(FILE *f, const struct spec_table *spec, const struct plot_cell *pc)
{
    if (!(spec->metrics & SPEC_BIT(SPEC_AUC))) {
        fprintf(f, "Verdicts: this table reports no AUC (time and memory are compared as ratios above).\n\n");
        return;
    }
    int tally[VERDICT_SYNTHETIC + 1] = { 0 };
    fprintf(f, "| row | column | ours | paper | verdict |\n|---|---|---:|---:|---|\n");
    for (int i = 0; i < spec->n_cells; i++) {
        const struct plot_cell *c = &pc[i];
        const struct plot_cell *b = c->c->base_row ? plot_cell_at(pc, spec->n_cells, c->c->base_row, c->c->col) : NULL;
        char ours[64] = "missing", paper[32] = "-";
        enum report_verdict v;
        if (b) {
            double d[PLOT_MAX_SEEDS], m = NAN, sd = NAN;
            int n = 0;
            for (int x = 0; x < c->n; x++)
                for (int y = 0; y < b->n; y++)
                    if (c->seeds[x] == b->seeds[y]) d[n++] = c->auc[x] - b->auc[y];
            if (n) stats_mean_sd(d, n, &m, &sd);
            if (n == 1) sd = NAN;
            double pg = c->c->paper[SPEC_AUC] - b->c->paper[SPEC_AUC];
            if (n > 1) snprintf(ours, sizeof ours, "gain %+.2f +- %.2f (%d)", m, sd, n);
            else if (n) snprintf(ours, sizeof ours, "gain %+.2f (1)", m);
            if (pg == pg) snprintf(paper, sizeof paper, "gain %+.2f", pg);
            v = report_judge(m, sd, n, pg);
        } else {
            if (c->n > 1) snprintf(ours, sizeof ours, "%.2f +- %.2f (%d)", c->mean, c->sd, c->n);
            else if (c->n) snprintf(ours, sizeof ours, "%.2f (1)", c->mean);
            if (c->c->paper[SPEC_AUC] == c->c->paper[SPEC_AUC]) snprintf(paper, sizeof paper, "%.2f", c->c->paper[SPEC_AUC]);
            v = report_judge(c->mean, c->sd, c->n, c->c->paper[SPEC_AUC]);
            if (c->n && strncmp(c->data_kind, "synthetic", 9) == 0 && v != VERDICT_NONE) v = VERDICT_SYNTHETIC;
        }
        tally[v]++;
        fprintf(f, "| %s | %s | %s | %s | %s |\n", c->c->row, c->c->col, ours, paper,
                v == VERDICT_MISSING ? "**missing**" : report_verdict_name(v));
    }
    fprintf(f, "\nVerdicts: %d reproduced, %d better, %d worse, %d one seed, %d synthetic (absolute AUC), "
               "%d missing.\n\n", tally[VERDICT_REPRODUCED], tally[VERDICT_BETTER], tally[VERDICT_WORSE],
            tally[VERDICT_ONE_SEED], tally[VERDICT_SYNTHETIC], tally[VERDICT_MISSING]);
}

/* A figure: drawn beside the report, with the missing points it names. */
static void figure(FILE *f, struct store *st, const char *name, const struct report_opts *o, int have_gp,
                   const char *gp_err)
{
    const struct plot_figure *pf = plot_figure_find(name);
    if (!pf) return;
    if (!have_gp) {
        fprintf(f, "Figure not drawn: %s.\n\n", gp_err);
        return;
    }
    char *log = NULL, err[1024];
    size_t len = 0;
    FILE *lf = open_memstream(&log, &len);
    struct plot_opts po = { .out_dir = o->out_dir, .gnuplot = o->gnuplot, .db_path = o->db_path, .log = lf };
    int rc = plot_figure_draw(st, name, &po, err, sizeof err);
    fclose(lf);
    if (rc == 0) fprintf(f, "![%s](%s.png)\n\n[%s.svg](%s.svg)\n\n", name, name, name, name);
    else fprintf(f, "Figure not drawn: %s\n\n", err);
    /* the missing-point lines, as a list */
    for (char *line = log ? strtok(log, "\n") : NULL; line; line = strtok(NULL, "\n"))
        if (strncmp(line, "wrote ", 6) != 0) fprintf(f, "- %s\n", line);
    fprintf(f, "\n");
    free(log);
}

int report_write(struct store *st, const struct report_opts *o, char *err, size_t errlen)
{
    const char *dir = o->out_dir ? o->out_dir : "out/report";
    const char *db = o->db_path ? o->db_path : st->path;
    if (plot_mkdir_p(dir)) {
        snprintf(err, errlen, "cannot create %s", dir);
        return -1;
    }
    char path[600], tmp[610];
    snprintf(path, sizeof path, "%s/README.md", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "cannot write %s", tmp);
        return -1;
    }
    struct host_env he;
    host_env_read(&he);
    time_t now = time(NULL);
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    fprintf(f, "# APG-C reproduction report\n\nGenerated %s from `%s` by `apg report` (git %.12s%s, host %s). "
               "Every number below is read from the results DB; regenerate with `make report`.\n\n",
            when, db, he.git_rev, he.git_dirty == 1 ? " +uncommitted changes" : "", he.host);
    fprintf(f, "## Where the runs came from\n\n");
    md_query(f, st, "| host | git | uncommitted changes | CPU | compiler | runs done |",
             "SELECT host, substr(git_rev, 1, 12), git_dirty, cpu_model, compiler, COUNT(*) FROM runs "
             "WHERE status = 'done' GROUP BY 1, 2, 3, 4, 5 ORDER BY 6 DESC");
    md_query(f, st, "| status | runs |", "SELECT status, COUNT(*) FROM runs GROUP BY 1 ORDER BY 1");
    fprintf(f, "## Data behind the runs\n\n");
    md_query(f, st, "| dataset | kind | rows | runs done |",
             "SELECT dataset, data_kind, dataset_rows, COUNT(*) FROM runs WHERE status = 'done' GROUP BY 1, 2, 3 "
             "ORDER BY 1, 3");
    fprintf(f, "A *synthetic* dataset is a stand-in generated when the real files were absent: its absolute AUC is "
               "not the paper's and only the gains (APG over Base on the same rows) are compared.\n\n"
               "**Verdicts.** For an APG row: our AUC gain over its base row, paired by seed (mean +- sample std "
               "of the per-seed differences), against the paper's gain; for a base row on real data: our AUC against "
               "the paper's. *Reproduced*: within 2 sample std of the seeds; *better* / *worse*: outside it, above "
               "or below. One seed gives no spread and no verdict.\n\n");
    char gp_err[512];
    struct plot_opts probe = { .gnuplot = o->gnuplot };
    int have_gp = plot_check_gnuplot(&probe, gp_err, sizeof gp_err) == 0;
    int rc = 0;
    for (int i = 0; i < spec_count() && rc == 0; i++) {
        const struct spec_table *spec = spec_at(i);
        int is_fig = strncmp(spec->name, "fig", 3) == 0;
        fprintf(f, "## %s\n\n", spec->title);
        long long grid = store_grid_latest(st, spec->name);
        if (grid <= 0) {
            fprintf(f, "**Not in the DB**: `./apg reproduce %s --db %s` makes it", spec->name, db);
            if (is_fig) fprintf(f, " (or `./apg plot %s --run-missing --db %s`)", spec->name, db);
            fprintf(f, ".\n\n");
            continue;
        }
        if (table_print(f, st, spec, grid, TABLE_MD, err, errlen) < 0) {
            rc = -1;
            break;
        }
        fprintf(f, "\n");
        struct plot_cell *pc = plot_cells_load(st, spec, &grid, err, errlen);
        if (!pc) {
            rc = -1;
            break;
        }
        if (!is_fig) verdicts(f, spec, pc);
        free(pc);
        if (is_fig) figure(f, st, spec->name, o, have_gp, gp_err);
    }
    if (fclose(f) || rc) {
        remove(tmp);
        if (!rc) snprintf(err, errlen, "cannot write %s", tmp);
        return -1;
    }
    if (rename(tmp, path)) {
        snprintf(err, errlen, "cannot rename %s to %s", tmp, path);
        remove(tmp);
        return -1;
    }
    fprintf(o->log ? o->log : stderr, "wrote %s\n", path);
    return 0;
}
