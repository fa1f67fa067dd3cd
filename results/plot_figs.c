/* The figure drawers (results/plot.h): the hyper-parameter curves of Figures 7 and 10
 * and the user-group gains of Figure 8, each as one gnuplot multiplot. */
#include "pca.h"
#include "plot.h"
#include "stats.h"
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLS 4

/* The distinct columns of a spec, in cell order. */
static int spec_cols(const struct spec_table *spec, const char *cols[MAX_COLS])
{
    int n = 0;
    for (int i = 0; i < spec->n_cells; i++) {
        int seen = 0;
        for (int j = 0; j < n; j++) seen |= strcmp(cols[j], spec->cells[i].col) == 0;
        if (!seen && n < MAX_COLS) cols[n++] = spec->cells[i].col;
    }
    return n;
}

/* A panel of a curve figure: the cells whose row is "<var> v" with lo <= v <= hi. */
struct panel { const char *title, *xlabel; char var; int lo, hi; const char *ref; };
static const struct panel panels[] = {
    { "Small P (K 8)", "P", 'P', 1, 31, "APG(USV)" },
    { "Large P (K 8)", "P", 'P', 32, 1 << 20, "APG(USV)" },
    { "Small K (P 32)", "K", 'K', 1, 8, "APG(Wi)" },
    { "Large K (P 32)", "K", 'K', 9, 1 << 20, "APG(Wi)" },
    { "Generator layers (K 8, P 32)", "layers of G", 'L', 1, 1 << 20, NULL },
};
#define N_PANELS ((int)(sizeof panels / sizeof panels[0]))

static int row_value(const char *row, char var)
{
    if (row[0] != var || row[1] != ' ') return 0;
    return atoi(row + 2);
}

/* A reference line: a constant with its key title, or nothing when it has no runs. */
static void ref_line(struct sbuf *b, const struct plot_cell *r, const char *label, const char *style, int *first)
{
    if (!r || !r->n) return;
    sb_printf(b, "%s%.6f with lines %s title \"%s %.2f", *first ? "plot " : ", ", r->mean, style, label, r->mean);
    if (r->n > 1) sb_printf(b, " +- %.2f", r->sd);
    sb_printf(b, "\"");
    *first = 0;
}

int plot_fig_curves(struct store *st, const struct spec_table *spec, const struct plot_opts *o, char *err,
                    size_t errlen)
{
    long long grid;
    struct plot_cell *pc = plot_cells_load(st, spec, &grid, err, errlen);
    if (!pc) return -1;
    FILE *log = o->log ? o->log : stderr;
    const char *db = o->db_path ? o->db_path : st->path;
    int total = 0;
    for (int i = 0; i < spec->n_cells; i++) total += pc[i].n;
    if (!total) {
        snprintf(err, errlen, "%s: the DB %s holds no finished run of it: make them with `./apg reproduce %s --db %s` "
                 "(or `./apg plot %s --run-missing`)", spec->name, db, spec->name, db, spec->name);
        free(pc);
        return 1;
    }
    plot_report_missing(log, spec, pc, db);
    const char *cols[MAX_COLS];
    int n_cols = spec_cols(spec, cols), n_panels = 0, bars = 0;
    for (int i = 0; i < spec->n_cells; i++) bars |= pc[i].n > 1;
    /* which panels the spec has (the same for every column) */
    int has[N_PANELS] = { 0 };
    for (int p = 0; p < N_PANELS; p++) {
        for (int i = 0; i < spec->n_cells; i++) {
            int v = row_value(spec->cells[i].row, panels[p].var);
            if (v >= panels[p].lo && v <= panels[p].hi) has[p] = 1;
        }
        n_panels += has[p];
    }
    struct sbuf data = { 0 }, body = { 0 };
    char seeds[96];
    plot_seeds_label(seeds, sizeof seeds, pc, spec->n_cells, NULL);
    sb_printf(&body, "set multiplot layout %d,%d title \"", n_cols, n_panels);
    sb_quoted(&body, spec->title);
    sb_printf(&body, " -- ours: WDL, %s\" font ',12'\n", seeds);
    sb_printf(&body, "set grid ytics\nset key below font ',8'\nset offsets 0, 0, graph 0.08, graph 0.08\n"
                     "set ylabel 'test AUC (%%)'\n"
                     "set style line 1 lc rgb '#1f77b4' lw 2 pt 7 ps 0.8\n");
    for (int c = 0; c < n_cols; c++) {
        char dl[160];
        plot_data_label(dl, sizeof dl, pc, spec->n_cells, cols[c]);
        const struct plot_cell *base = plot_cell_at(pc, spec->n_cells, "Base", cols[c]);
        for (int p = 0; p < N_PANELS; p++) {
            if (!has[p]) continue;
            /* the points, in spec order */
            int np = 0, nd = 0;
            char xt[1024] = "";
            size_t xl = 0;
            sb_printf(&data, "$c%dp%d << EOD\n", c, p);
            for (int i = 0; i < spec->n_cells; i++) {
                const struct plot_cell *x = &pc[i];
                int v = row_value(x->c->row, panels[p].var);
                if (strcmp(x->c->col, cols[c]) || v < panels[p].lo || v > panels[p].hi) continue;
                np++;
                if (xl + 32 < sizeof xt) xl += (size_t)snprintf(xt + xl, sizeof xt - xl, "%s\"%d\" %d", np > 1 ? ", " : "", v, np);
                if (!x->n) continue;
                sb_printf(&data, "%d %.6f %.6f\n", np, x->mean, x->n > 1 ? x->sd : 0.0);
                nd++;
            }
            sb_printf(&data, "EOD\n");
            sb_printf(&body, "\nunset label\nset autoscale y\nset xrange [0.5:%d.5]\nset xtics (%s)\n", np, xt);
            sb_printf(&body, "set xlabel '%s'\nset title \"", panels[p].xlabel);
            sb_quoted(&body, cols[c]);
            sb_printf(&body, ": %s\\n", panels[p].title);
            sb_quoted(&body, dl);
            sb_printf(&body, "\" font ',9'\n");
            const struct plot_cell *ref = panels[p].ref ? plot_cell_at(pc, spec->n_cells, panels[p].ref, cols[c]) : NULL;
            if (nd < np)
                sb_printf(&body, "set label '%d of %d points missing (not drawn)' at graph 0.03,0.93 front tc rgb 'red'\n",
                          np - nd, np);
            if (!nd) {                                 /* reference lines only: a range around them */
                double lo = INFINITY, hi = -INFINITY;
                const struct plot_cell *r2[2] = { base, ref };
                for (int k = 0; k < 2; k++)
                    if (r2[k] && r2[k]->n) {
                        lo = fmin(lo, r2[k]->mean);
                        hi = fmax(hi, r2[k]->mean);
                    }
                if (lo <= hi) sb_printf(&body, "set yrange [%.6f:%.6f]\n", lo - 0.5, hi + 0.5);
            }
            int first = 1;
            if (nd) {
                sb_printf(&body, "plot $c%dp%d using 1:2%s with %s ls 1 title 'APG v6'", c, p, bars ? ":3" : "",
                          bars ? "yerrorlines" : "linespoints");
                first = 0;
            }
            ref_line(&body, base, "Base", "dt 2 lw 2 lc rgb 'gray30'", &first);
            ref_line(&body, ref, ref ? ref->c->row : "", "dt 4 lw 2 lc rgb '#d62728'", &first);
            if (first) sb_printf(&body, "set yrange [0:1]\nplot 1/0 notitle");
            sb_printf(&body, "\n");
        }
    }
    sb_printf(&body, "unset multiplot\n");
    int rc = plot_run_gnuplot(o, spec->name, &data, &body, 330 * n_panels, 60 + 380 * n_cols, err, errlen);
    free(data.s);
    free(body.s);
    free(pc);
    return rc;
}

/* ---- Figure 8: gains per user group ---- */

#define N_GROUPS 10

struct group_row { int ok; double auc, ctr, mean_pred; long long instances; };

/* The group metrics of one run; 0 rows read -> -1. */
static int load_groups(struct store *st, const char *key, struct group_row g[N_GROUPS])
{
    sqlite3_stmt *s;
    memset(g, 0, sizeof *g * N_GROUPS);
    if (sqlite3_prepare_v2(st->db, "SELECT grp, instances, auc, ctr, mean_pred FROM group_metrics WHERE run_key = ?1",
                           -1, &s, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    int n = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        int k = sqlite3_column_int(s, 0);
        if (k < 0 || k >= N_GROUPS) continue;
        g[k].instances = sqlite3_column_int64(s, 1);
        g[k].ok = sqlite3_column_type(s, 2) != SQLITE_NULL && sqlite3_column_type(s, 4) != SQLITE_NULL;
        g[k].auc = sqlite3_column_double(s, 2);
        g[k].ctr = sqlite3_column_double(s, 3);
        g[k].mean_pred = sqlite3_column_double(s, 4);
        n++;
    }
    sqlite3_finalize(s);
    return n ? 0 : -1;
}

int plot_fig_groups(struct store *st, const struct spec_table *spec, const struct plot_opts *o, char *err,
                    size_t errlen)
{
    long long grid;
    struct plot_cell *pc = plot_cells_load(st, spec, &grid, err, errlen);
    if (!pc) return -1;
    FILE *log = o->log ? o->log : stderr;
    const char *db = o->db_path ? o->db_path : st->path;
    const char *cols[MAX_COLS];
    int n_cols = spec_cols(spec, cols), drawn = 0;
    if (grid > 0) plot_report_missing(log, spec, pc, db);
    struct sbuf data = { 0 }, body = { 0 };
    sb_printf(&body, "set multiplot layout 1,%d title \"", n_cols);
    sb_quoted(&body, spec->title);
    sb_printf(&body, " -- ours: WDL, APG v6 vs Base, paired by seed\" font ',12'\n"
                     "set style fill solid 0.8 border -1\nset boxwidth 0.36 absolute\nset grid ytics\n"
                     "set key below font ',8'\nset xrange [-0.6:9.6]\nset xtics 1\nset xlabel 'user group "
                     "(0: rarest users)'\nset ylabel 'gain (points)'\nset y2label 'instances (%%)'\n"
                     "set y2tics\nset ytics nomirror\nset y2range [0:*]\n");
    for (int c = 0; c < n_cols; c++) {
        const struct plot_cell *b = plot_cell_at(pc, spec->n_cells, "Base", cols[c]);
        const struct plot_cell *a = plot_cell_at(pc, spec->n_cells, "APG", cols[c]);
        double dauc[N_GROUPS][PLOT_MAX_SEEDS], dctr[N_GROUPS][PLOT_MAX_SEEDS], share[N_GROUPS][PLOT_MAX_SEEDS];
        int nk[N_GROUPS] = { 0 }, pairs = 0;
        for (int i = 0; a && b && i < a->n; i++)
            for (int j = 0; j < b->n; j++) {
                struct group_row ga[N_GROUPS], gb[N_GROUPS];
                if (a->seeds[i] != b->seeds[j] || load_groups(st, a->keys[i], ga) || load_groups(st, b->keys[j], gb))
                    continue;
                pairs++;
                long long tot = 0;
                for (int g = 0; g < N_GROUPS; g++) tot += gb[g].instances;
                for (int g = 0; g < N_GROUPS; g++) {
                    if (!ga[g].ok || !gb[g].ok || ga[g].auc != ga[g].auc || gb[g].auc != gb[g].auc) continue;
                    int k = nk[g]++;
                    dauc[g][k] = 100 * (ga[g].auc - gb[g].auc);
                    /* CTR gain: how much closer APG's mean predicted CTR is to the group's
                     * observed CTR than Base's, in CTR points */
                    dctr[g][k] = 100 * (fabs(gb[g].mean_pred - gb[g].ctr) - fabs(ga[g].mean_pred - ga[g].ctr));
                    share[g][k] = tot ? 100.0 * (double)gb[g].instances / (double)tot : 0;
                }
            }
        char dl[160];
        plot_data_label(dl, sizeof dl, pc, spec->n_cells, cols[c]);
        sb_printf(&body, "\nunset label\nset autoscale y\nset title \"");
        sb_quoted(&body, cols[c]);
        sb_printf(&body, ": %d seed pair%s%s\\n", pairs, pairs == 1 ? "" : "s", pairs > 1 ? ", bars: sample std" : "");
        sb_quoted(&body, dl);
        sb_printf(&body, "\" font ',9'\n");
        if (!pairs) {
            if (grid > 0) fprintf(log, "%s (%s): no Base/APG pair with group metrics\n", spec->name, cols[c]);
            sb_printf(&body, "set label 'no paired runs' at graph 0.5,0.5 center tc rgb 'red'\nset yrange [0:1]\n"
                             "plot 1/0 notitle\n");
            continue;
        }
        drawn++;
        sb_printf(&data, "$g%d << EOD\n", c);
        for (int g = 0; g < N_GROUPS; g++) {
            if (!nk[g]) continue;
            double ma, sa, mc, sc, ms, ss;
            stats_mean_sd(dauc[g], nk[g], &ma, &sa);
            stats_mean_sd(dctr[g], nk[g], &mc, &sc);
            stats_mean_sd(share[g], nk[g], &ms, &ss);
            sb_printf(&data, "%d %.6f %.6f %.6f %.6f %.6f\n", g, ma, nk[g] > 1 ? sa : 0.0, mc, nk[g] > 1 ? sc : 0.0, ms);
        }
        sb_printf(&data, "EOD\n");
        const char *w = pairs > 1 ? "boxerrorbars" : "boxes";
        sb_printf(&body, "plot $g%d using ($1-0.19):2%s with %s lc rgb '#1f77b4' title 'AUC gain', "
                         "$g%d using ($1+0.19):4%s with %s lc rgb '#2ca02c' title 'CTR gain (calibration)', "
                         "$g%d using 1:6 axes x1y2 with linespoints lw 2 pt 7 lc rgb '#d62728' title 'instances (%%)', "
                         "0 with lines lc rgb 'black' notitle\n",
                  c, pairs > 1 ? ":3" : "", w, c, pairs > 1 ? ":5" : "", w, c);
    }
    sb_printf(&body, "unset multiplot\n");
    int rc;
    if (!drawn) {
        snprintf(err, errlen, "%s: the DB %s holds no paired Base/APG runs with group metrics: make them with "
                 "`./apg reproduce %s --db %s` (or `./apg plot %s --run-missing`)", spec->name, db, spec->name, db,
                 spec->name);
        rc = 1;
    } else {
        rc = plot_run_gnuplot(o, spec->name, &data, &body, 440 * n_cols, 470, err, errlen);
    }
    free(data.s);
    free(body.s);
    free(pc);
    return rc;
}

/* ---- Figure 9: PCA of the generated S_i per category ---- */

#define PCA_PANELS 3

int plot_fig_pca(struct store *st, const struct spec_table *spec, const struct plot_opts *o, char *err, size_t errlen)
{
    long long grid;
    struct plot_cell *pc = plot_cells_load(st, spec, &grid, err, errlen);
    if (!pc) return -1;
    FILE *log = o->log ? o->log : stderr;
    const char *db = o->db_path ? o->db_path : st->path;
    if (grid > 0) plot_report_missing(log, spec, pc, db);
    const struct plot_cell *g = NULL;
    for (int i = 0; i < spec->n_cells; i++)
        if (spec->cells[i].base_row && pc[i].n) g = &pc[i];
    struct sbuf data = { 0 }, body = { 0 };
    int n_pan = 0, rc = 0;
    char dl[160], field[64] = "";
    if (g) plot_data_label(dl, sizeof dl, pc, spec->n_cells, g->c->col);
    for (int k = 0; g && k < g->n && n_pan < PCA_PANELS && rc == 0; k++) {
        struct run_specific *sp;
        int n = store_specific_params(st, g->keys[k], &sp, field, err, errlen);
        if (n < 0) {
            rc = -1;
            break;
        }
        /* one point per value: its layers' S_i concatenated (the layers in order) */
        int vals[64], nv = 0, d = 0;
        for (int i = 0; i < n; i++) {
            int seen = 0;
            for (int j = 0; j < nv; j++) seen |= vals[j] == sp[i].value;
            if (!seen && nv < 64) vals[nv++] = sp[i].value;
            if (sp[i].value == sp[0].value) d += sp[i].rows * sp[i].cols;
        }
        double *x = nv >= 3 && d > 0 ? calloc((size_t)nv * (size_t)d, sizeof *x) : NULL;
        int ok = x != NULL;
        for (int v = 0; ok && v < nv; v++) {
            int off = 0;
            for (int i = 0; i < n; i++) {
                if (sp[i].value != vals[v]) continue;
                int sz = sp[i].rows * sp[i].cols;
                if (off + sz > d) { ok = 0; break; }
                for (int e = 0; e < sz; e++) x[(size_t)v * d + off + e] = sp[i].data[e];
                off += sz;
            }
            ok = ok && off == d;
        }
        struct pca p;
        if (ok && pca_fit(&p, x, nv, d, 2) == 0) {
            sb_printf(&data, "$s%d << EOD\n", n_pan);
            for (int v = 0; v < nv; v++) sb_printf(&data, "%.6g %.6g \"%d\"\n", p.proj[2 * v], p.proj[2 * v + 1], vals[v]);
            sb_printf(&data, "EOD\n");
            double tv = p.total_var > 0 ? p.total_var : 1;
            sb_printf(&body, "\nset title \"seed %d: %d values of ", g->seeds[k], nv);
            sb_quoted(&body, field);
            sb_printf(&body, ", S_i of every layer (%d floats)\\n", d);
            sb_quoted(&body, dl);
            sb_printf(&body, "\" font ',9'\nset xlabel 'PC 1 (%.0f%% of the variance)'\nset ylabel 'PC 2 (%.0f%%)'\n"
                             "plot $s%d using 1:2 with points pt 7 ps 1.5 lc rgb '#1f77b4' notitle, "
                             "$s%d using 1:2:3 with labels offset char 1,1 font ',9' notitle\n",
                      100 * p.var[0] / tv, 100 * p.var[1] / tv, n_pan, n_pan);
            pca_free(&p);
            n_pan++;
        } else {
            fprintf(log, "%s: run %.12s (seed %d): %d generated-parameter records, too few values for a PCA\n",
                    spec->name, g->keys[k], g->seeds[k], n);
        }
        free(x);
        store_specific_free(sp, n);
    }
    if (rc == 0 && !n_pan) {
        snprintf(err, errlen, "%s: the DB %s holds no group-wise run with generated parameters (specific_params): "
                 "make them with `./apg reproduce %s --db %s` (or `./apg plot %s --run-missing`)", spec->name, db,
                 spec->name, db, spec->name);
        rc = 1;
    }
    if (rc == 0) {
        struct sbuf head = { 0 };
        sb_printf(&head, "set multiplot layout 1,%d title \"", n_pan);
        sb_printf(&head, "Figure 9: generated S_i per category, PCA to 2-D -- ours: WDL + APG v6 group-wise, "
                         "a panel per seed\" font ',12'\n"
                         "set grid\nset offsets graph 0.1, graph 0.1, graph 0.1, graph 0.1\n");
        sb_printf(&head, "%s", body.s ? body.s : "");
        sb_printf(&head, "unset multiplot\n");
        rc = plot_run_gnuplot(o, spec->name, &data, &head, n_pan > 1 ? 480 * n_pan : 800, 500, err, errlen);
        free(head.s);
    }
    free(data.s);
    free(body.s);
    free(pc);
    return rc;
}
