/* Figure machinery (results/plot.h): the figure list, cells of a figure's latest grid
 * summarised over seeds, labels for titles, the missing-run report, and one gnuplot
 * process per figure fed through a pipe. */
#include "plot.h"
#include "stats.h"
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

const struct plot_figure plot_figures[] = {
    { "fig7", "AUC against P, K and the generator's layers on Amazon", 1 },
    { "fig8", "APG's AUC and CTR gains per user-frequency group", 1 },
    { "fig9", "PCA of the generated S_i per item category (group-wise APG on Amazon)", 1 },
    { "fig10", "AUC against P and K on IAAC and MovieLens", 1 },
};
const int plot_n_figures = (int)(sizeof plot_figures / sizeof plot_figures[0]);

const struct plot_figure *plot_figure_find(const char *name)
{
    for (int i = 0; name && i < plot_n_figures; i++)
        if (strcmp(plot_figures[i].name, name) == 0) return &plot_figures[i];
    return NULL;
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->n;
        int w = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? room : 0, fmt, ap);
        va_end(ap);
        if (w < 0) {
            b->oom = 1;
            return;
        }
        if (b->s && (size_t)w < room) {
            b->n += (size_t)w;
            return;
        }
        size_t cap = b->cap ? 2 * b->cap : 4096;
        while (cap < b->n + (size_t)w + 1) cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

void sb_quoted(struct sbuf *b, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\') sb_printf(b, "\\%c", *s);
        else if ((unsigned char)*s >= 32) sb_printf(b, "%c", *s);
    }
}

static const char *gnuplot_bin(const struct plot_opts *o)
{
    if (o->gnuplot) return o->gnuplot;
    const char *e = getenv("APG_GNUPLOT");
    return e && e[0] ? e : "gnuplot";
}

/* A program name safe to put in a shell command line unquoted. */
static int safe_word(const char *s)
{
    if (!s || !s[0]) return 0;
    for (; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+", *s)) return 0;
    return 1;
}

int plot_check_gnuplot(const struct plot_opts *o, char *err, size_t errlen)
{
    const char *bin = gnuplot_bin(o);
    if (!safe_word(bin)) {
        snprintf(err, errlen, "gnuplot program '%s': not a plain path", bin);
        return -1;
    }
    char cmd[600], line[256];
    snprintf(cmd, sizeof cmd, "%s -e 'set terminal' 2>&1 </dev/null", bin);
    FILE *p = popen(cmd, "r");
    int png = 0, svg = 0;
    while (p && fgets(line, sizeof line, p)) {
        char term[64];
        if (sscanf(line, " %63s", term) == 1) {
            png |= strcmp(term, "pngcairo") == 0;
            svg |= strcmp(term, "svg") == 0;
        }
    }
    int st = p ? pclose(p) : -1;
    if (st != 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        snprintf(err, errlen, "gnuplot not found ('%s' does not run): install it with %s", bin, PLOT_INSTALL_HINT);
        return -1;
    }
    if (!png || !svg) {
        snprintf(err, errlen, "%s lacks the %s terminal: install gnuplot with cairo, %s", bin,
                 !png ? "pngcairo" : "svg", PLOT_INSTALL_HINT);
        return -1;
    }
    return 0;
}

int plot_mkdir_p(const char *path)
{
    char buf[512];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return -1;
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0777) && errno != EEXIST) return -1;
            *p = '/';
        }
    return mkdir(buf, 0777) && errno != EEXIST ? -1 : 0;
}

int plot_run_gnuplot(const struct plot_opts *o, const char *name, const struct sbuf *data, const struct sbuf *body,
                     int w, int h, char *err, size_t errlen)
{
    const char *dir = o->out_dir ? o->out_dir : "out/figures";
    if (data->oom || body->oom) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (strchr(dir, '\'') || strchr(dir, '\n') || plot_mkdir_p(dir)) {
        snprintf(err, errlen, "cannot use output folder '%s'%s%s", dir, errno ? ": " : "", errno ? strerror(errno) : "");
        return -1;
    }
    const char *bin = gnuplot_bin(o);
    if (!safe_word(bin)) {
        snprintf(err, errlen, "gnuplot program '%s': not a plain path", bin);
        return -1;
    }
    char cmd[600], png[600], svg[600];
    snprintf(cmd, sizeof cmd, "%s", bin);
    snprintf(png, sizeof png, "%s/%s.png", dir, name);
    snprintf(svg, sizeof svg, "%s/%s.svg", dir, name);
    remove(png);
    remove(svg);
    FILE *p = popen(cmd, "w");
    if (!p) {
        snprintf(err, errlen, "cannot start %s: install it with %s", bin, PLOT_INSTALL_HINT);
        return -1;
    }
    fprintf(p, "set encoding utf8\n");
    fwrite(data->s ? data->s : "", 1, data->n, p);
    fprintf(p, "set terminal pngcairo size %d,%d noenhanced font 'sans,10'\nset output '%s'\n", w, h, png);
    fwrite(body->s ? body->s : "", 1, body->n, p);
    fprintf(p, "\nset output\nset terminal svg size %d,%d noenhanced font 'sans,10' background rgb 'white'\n"
               "set output '%s'\n", w, h, svg);
    fwrite(body->s ? body->s : "", 1, body->n, p);
    fprintf(p, "\nset output\n");
    int st = pclose(p);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        snprintf(err, errlen, "%s failed on the script of %s (exit %d; its message is above)%s", bin, name,
                 st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1,
                 st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 127 ? ": install it with " PLOT_INSTALL_HINT : "");
        return -1;
    }
    struct stat s1, s2;
    if (stat(png, &s1) || stat(svg, &s2) || s1.st_size == 0 || s2.st_size == 0) {
        snprintf(err, errlen, "%s wrote no %s.png / %s.svg in %s", bin, name, name, dir);
        return -1;
    }
    fprintf(o->log ? o->log : stderr, "wrote %s and %s\n", png, svg);
    return 0;
}

/* One grid_runs row with its run. */
struct link {
    int cell, K, P, seed, status;
    double auc, val;
    char key[65], kind[24], dataset[48], error[160];
    long long rows;
};

/* The grid point of cell ci that table.c would print: the most done seeds, then the best
 * mean validation AUC (paper B.3). */
static void choose_point(const struct link *l, int n, int ci, int *K, int *P)
{
    int best_n = -1;
    double best_v = -1;
    *K = *P = -1;
    for (int i = 0; i < n; i++) {
        if (l[i].cell != ci) continue;
        int nd = 0;
        double sv = 0;
        for (int j = 0; j < n; j++)
            if (l[j].cell == ci && l[j].K == l[i].K && l[j].P == l[i].P && l[j].status == RUN_DONE) {
                nd++;
                sv += l[j].val;
            }
        double mv = nd ? sv / nd : -1;
        if (nd > best_n || (nd == best_n && mv > best_v)) {
            best_n = nd;
            best_v = mv;
            *K = l[i].K;
            *P = l[i].P;
        }
    }
}

struct plot_cell *plot_cells_load(struct store *st, const struct spec_table *spec, long long *grid_out,
                                  char *err, size_t errlen)
{
    struct plot_cell *pc = calloc((size_t)spec->n_cells, sizeof *pc);
    if (!pc) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (int i = 0; i < spec->n_cells; i++) {
        pc[i].c = &spec->cells[i];
        pc[i].mean = pc[i].sd = NAN;
    }
    long long grid = store_grid_latest(st, spec->name);
    *grid_out = grid;
    if (grid < 0) {
        snprintf(err, errlen, "%s: %s", st->path, sqlite3_errmsg(st->db));
        free(pc);
        return NULL;
    }
    if (grid == 0) return pc;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
            "SELECT g.row, g.col, g.seed, g.run_key, r.status, r.test_auc, r.data_kind, r.dataset, r.dataset_rows, "
            "r.error, g.K, g.P, r.val_auc FROM grid_runs g JOIN runs r ON r.key = g.run_key WHERE g.grid_id = ?1 "
            "ORDER BY g.seed", -1, &s, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", st->path, sqlite3_errmsg(st->db));
        free(pc);
        return NULL;
    }
    sqlite3_bind_int64(s, 1, grid);
    struct link *l = NULL;
    int n = 0, cap = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        const char *row = (const char *)sqlite3_column_text(s, 0), *col = (const char *)sqlite3_column_text(s, 1);
        const struct plot_cell *c = plot_cell_at(pc, spec->n_cells, row, col);
        if (!c) continue;                          /* a cell the spec no longer has */
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            struct link *nl = realloc(l, sizeof *l * (size_t)cap);
            if (!nl) break;
            l = nl;
        }
        struct link *k = &l[n++];
        memset(k, 0, sizeof *k);
        k->cell = (int)(c - pc);
        k->seed = sqlite3_column_int(s, 2);
        snprintf(k->key, sizeof k->key, "%s", (const char *)sqlite3_column_text(s, 3));
        k->status = run_status_parse((const char *)sqlite3_column_text(s, 4));
        if (k->status == RUN_DONE && sqlite3_column_type(s, 5) == SQLITE_NULL) k->status = RUN_FAILED;
        k->auc = 100.0 * sqlite3_column_double(s, 5);
        const unsigned char *t;
        if ((t = sqlite3_column_text(s, 6))) snprintf(k->kind, sizeof k->kind, "%s", (const char *)t);
        if ((t = sqlite3_column_text(s, 7))) snprintf(k->dataset, sizeof k->dataset, "%s", (const char *)t);
        k->rows = sqlite3_column_int64(s, 8);
        if ((t = sqlite3_column_text(s, 9))) snprintf(k->error, sizeof k->error, "%s", (const char *)t);
        k->K = sqlite3_column_int(s, 10);
        k->P = sqlite3_column_int(s, 11);
        k->val = sqlite3_column_double(s, 12);
    }
    sqlite3_finalize(s);
    for (int ci = 0; ci < spec->n_cells; ci++) {
        struct plot_cell *c = &pc[ci];
        int K, P;
        choose_point(l, n, ci, &K, &P);
        for (int i = 0; i < n; i++) {
            const struct link *k = &l[i];
            if (k->cell != ci) continue;
            c->n_linked++;
            if (k->status == RUN_FAILED && !c->n_failed++) snprintf(c->error, sizeof c->error, "%s", k->error);
            if (k->status == RUN_RUNNING) c->n_running++;
            if (k->status != RUN_DONE || k->K != K || k->P != P || c->n == PLOT_MAX_SEEDS) continue;
            c->seeds[c->n] = k->seed;
            memcpy(c->keys[c->n], k->key, 65);
            c->auc[c->n] = k->auc;
            snprintf(c->data_kind, sizeof c->data_kind, "%s", k->kind);
            snprintf(c->dataset, sizeof c->dataset, "%s", k->dataset);
            c->rows = k->rows;
            c->n++;
        }
        if (c->n) {
            stats_mean_sd(c->auc, c->n, &c->mean, &c->sd);
            if (c->n < 2) c->sd = NAN;
        }
    }
    free(l);
    return pc;
}

const struct plot_cell *plot_cell_at(const struct plot_cell *pc, int n, const char *row, const char *col)
{
    for (int i = 0; row && col && i < n; i++)
        if (strcmp(pc[i].c->row, row) == 0 && strcmp(pc[i].c->col, col) == 0) return &pc[i];
    return NULL;
}

void plot_data_label(char *out, size_t n, const struct plot_cell *pc, int n_cells, const char *col)
{
    const struct plot_cell *first = NULL;
    int mixed = 0;
    for (int i = 0; i < n_cells; i++) {
        if (!pc[i].n || (col && strcmp(pc[i].c->col, col))) continue;
        if (!first) first = &pc[i];
        else if (strcmp(first->dataset, pc[i].dataset) || first->rows != pc[i].rows) mixed = 1;
    }
    if (!first) {
        snprintf(out, n, "no runs");
        return;
    }
    const char *k = first->data_kind;
    if (strncmp(k, "synthetic", 9) == 0)
        snprintf(out, n, "SYNTHETIC stand-in %s, %lld rows%s", first->dataset, first->rows, mixed ? ", mixed sizes" : "");
    else if (strcmp(k, "real-substitute") == 0)
        snprintf(out, n, "real data %s (substitute), %lld rows%s", first->dataset, first->rows, mixed ? ", mixed" : "");
    else
        snprintf(out, n, "real data %s, %lld rows%s", first->dataset, first->rows, mixed ? ", mixed" : "");
}

void plot_seeds_label(char *out, size_t n, const struct plot_cell *pc, int n_cells, const char *col)
{
    int lo = 0, hi = 0;
    for (int i = 0; i < n_cells; i++) {
        if (!pc[i].n || (col && strcmp(pc[i].c->col, col))) continue;
        if (!lo || pc[i].n < lo) lo = pc[i].n;
        if (pc[i].n > hi) hi = pc[i].n;
    }
    if (!hi) snprintf(out, n, "no seeds");
    else if (lo == hi) snprintf(out, n, "%d seed%s per point%s", hi, hi == 1 ? "" : "s",
                                hi > 1 ? ", bars: sample std" : "");
    else snprintf(out, n, "%d-%d seeds per point, bars: sample std", lo, hi);
}

int plot_report_missing(FILE *log, const struct spec_table *spec, const struct plot_cell *pc, const char *db)
{
    int missing = 0, failed = 0;
    for (int i = 0; i < spec->n_cells; i++) {
        if (pc[i].n) continue;
        const char *why = pc[i].n_running ? "running" : pc[i].n_failed ? "failed" : pc[i].n_linked ? "scheduled" : "no run";
        fprintf(log, "%s: missing point (%s | %s): %s%s%s\n", spec->name, pc[i].c->row, pc[i].c->col, why,
                pc[i].error[0] ? ": " : "", pc[i].error);
        missing++;
        failed += pc[i].n_failed > 0;
    }
    if (missing > failed)
        fprintf(log, "%s: %d of %d points missing, not drawn: make them with `./apg reproduce %s --db %s` "
                     "(or `./apg plot %s --run-missing`)\n", spec->name, missing - failed, spec->n_cells, spec->name, db,
                spec->name);
    if (failed)
        fprintf(log, "%s: %d of %d points failed (errors above), not drawn: `./apg reproduce %s --db %s "
                     "--retry-failed` runs them again\n", spec->name, failed, spec->n_cells, spec->name, db);
    return missing;
}

int plot_figure_draw(struct store *st, const char *name, const struct plot_opts *o, char *err, size_t errlen)
{
    const struct plot_figure *f = plot_figure_find(name);
    if (!f) {
        snprintf(err, errlen, "unknown figure '%s' (valid: fig7, fig8, fig9, fig10, all)", name ? name : "");
        return -1;
    }
    if (!f->available) {
        snprintf(err, errlen, "%s is not available yet: %s", f->name, f->what);
        return -1;
    }
    const struct spec_table *spec = spec_find(name);
    if (!spec) {
        snprintf(err, errlen, "%s: no run spec", name);
        return -1;
    }
    if (strcmp(name, "fig8") == 0) return plot_fig_groups(st, spec, o, err, errlen);
    if (strcmp(name, "fig9") == 0) return plot_fig_pca(st, spec, o, err, errlen);
    return plot_fig_curves(st, spec, o, err, errlen);
}
