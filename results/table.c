/* Paper tables from the results DB (results/table.h): load a grid's runs per cell,
 * choose the grid point on validation, summarise over seeds, test the gains, and lay
 * the cells out as text, Markdown, LaTeX or long-form CSV. */
#include "table.h"
#include "stats.h"
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEEDS 64

int table_format_parse(const char *s)
{
    static const char *const names[] = { "text", "md", "csv", "latex" };
    for (int i = 0; s && i < 4; i++)
        if (strcmp(s, names[i]) == 0) return i;
    return -1;
}

struct link {          /* one grid_runs row joined with its run */
    char row[96], col[64], key[65], error[160];
    int  seed, K, P, status;
    double v[SPEC_N_METRICS], val_auc;
};

struct cell_res {
    const struct spec_cell *c;
    int K, P, n_points;                    /* chosen grid point, points tried */
    int n, seeds[MAX_SEEDS];               /* done seeds at the chosen point */
    char keys[MAX_SEEDS][65];
    double v[SPEC_N_METRICS][MAX_SEEDS], mean[SPEC_N_METRICS], sd[SPEC_N_METRICS];
    int n_linked, n_running, n_failed, n_waiting;
    char error[160];
    int has_gain, n_pairs;
    double gain, p_t, p_delong;
    double ratio[SPEC_N_METRICS];          /* ours / base row's */
};

static int load_links(struct store *st, int64_t grid, struct link **out, int *n_out, char *err, size_t errlen)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
            "SELECT g.row, g.col, g.seed, g.K, g.P, g.run_key, r.status, r.test_auc, r.sec_per_epoch, "
            "r.param_bytes, r.latency_ms_1024, r.val_auc, r.error FROM grid_runs g JOIN runs r ON r.key = g.run_key "
            "WHERE g.grid_id = ?1 ORDER BY g.row, g.col, g.K, g.P, g.seed", -1, &s, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", st->path, sqlite3_errmsg(st->db));
        return -1;
    }
    sqlite3_bind_int64(s, 1, grid);
    int n = 0, cap = 0;
    struct link *l = NULL;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            struct link *nl = realloc(l, sizeof *l * (size_t)cap);
            if (!nl) {
                free(l);
                sqlite3_finalize(s);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            l = nl;
        }
        struct link *k = &l[n++];
        memset(k, 0, sizeof *k);
        snprintf(k->row, sizeof k->row, "%s", (const char *)sqlite3_column_text(s, 0));
        snprintf(k->col, sizeof k->col, "%s", (const char *)sqlite3_column_text(s, 1));
        k->seed = sqlite3_column_int(s, 2);
        k->K = sqlite3_column_int(s, 3);
        k->P = sqlite3_column_int(s, 4);
        snprintf(k->key, sizeof k->key, "%s", (const char *)sqlite3_column_text(s, 5));
        k->status = run_status_parse((const char *)sqlite3_column_text(s, 6));
        for (int m = 0; m < SPEC_N_METRICS; m++) k->v[m] = NAN;
        if (sqlite3_column_type(s, 7) != SQLITE_NULL) k->v[SPEC_AUC] = 100.0 * sqlite3_column_double(s, 7);
        if (sqlite3_column_type(s, 8) != SQLITE_NULL) k->v[SPEC_SEC_EPOCH] = sqlite3_column_double(s, 8);
        if (sqlite3_column_type(s, 9) != SQLITE_NULL) k->v[SPEC_MEM_MB] = sqlite3_column_double(s, 9) / 1048576.0;
        if (sqlite3_column_type(s, 10) != SQLITE_NULL) k->v[SPEC_LATENCY_MS] = sqlite3_column_double(s, 10);
        k->val_auc = sqlite3_column_type(s, 11) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 11);
        const unsigned char *e = sqlite3_column_text(s, 12);
        snprintf(k->error, sizeof k->error, "%s", e ? (const char *)e : "");
    }
    sqlite3_finalize(s);
    *out = l;
    *n_out = n;
    return 0;
}

/* Picks the grid point with the most done seeds, then the best mean validation AUC
 * (paper B.3: K and P chosen on validation), and summarises the cell there. */
static void summarise(struct cell_res *cr, const struct link *l, int n)
{
    int bestK = 0, bestP = 0, best_n = -1;
    double best_val = -1;
    cr->n_points = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(l[i].row, cr->c->row) || strcmp(l[i].col, cr->c->col)) continue;
        cr->n_linked++;
        if (l[i].status == RUN_RUNNING) cr->n_running++;
        else if (l[i].status == RUN_FAILED) {
            cr->n_failed++;
            if (!cr->error[0]) snprintf(cr->error, sizeof cr->error, "%s", l[i].error);
        } else if (l[i].status != RUN_DONE) cr->n_waiting++;
        int first = 1;
        for (int j = 0; j < i; j++)
            if (!strcmp(l[j].row, l[i].row) && !strcmp(l[j].col, l[i].col) && l[j].K == l[i].K && l[j].P == l[i].P)
                first = 0;
        if (!first) continue;
        cr->n_points++;
        int nd = 0;
        double sv = 0;
        for (int j = i; j < n; j++)
            if (!strcmp(l[j].row, l[i].row) && !strcmp(l[j].col, l[i].col) && l[j].K == l[i].K &&
                l[j].P == l[i].P && l[j].status == RUN_DONE) {
                nd++;
                sv += l[j].val_auc;
            }
        double mv = nd ? sv / nd : -1;
        if (nd > best_n || (nd == best_n && mv > best_val)) {
            best_n = nd;
            best_val = mv;
            bestK = l[i].K;
            bestP = l[i].P;
        }
    }
    cr->K = bestK;
    cr->P = bestP;
    for (int i = 0; i < n && cr->n < MAX_SEEDS; i++) {
        const struct link *k = &l[i];
        if (strcmp(k->row, cr->c->row) || strcmp(k->col, cr->c->col) || k->K != bestK || k->P != bestP ||
            k->status != RUN_DONE)
            continue;
        cr->seeds[cr->n] = k->seed;
        memcpy(cr->keys[cr->n], k->key, 65);
        for (int m = 0; m < SPEC_N_METRICS; m++) cr->v[m][cr->n] = k->v[m];
        cr->n++;
    }
    for (int m = 0; m < SPEC_N_METRICS; m++) stats_mean_sd(cr->v[m], cr->n, &cr->mean[m], &cr->sd[m]);
}

static struct cell_res *find_cell(struct cell_res *cr, int n, const char *row, const char *col)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(cr[i].c->row, row) && !strcmp(cr[i].c->col, col)) return &cr[i];
    return NULL;
}

/* Gain over the base row: AUC points, paired t over common seeds, DeLong per seed
 * (largest p kept: significant only if every seed's test set says so). */
static void test_gain(struct store *st, struct cell_res *a, const struct cell_res *b)
{
    a->has_gain = 1;
    a->gain = a->mean[SPEC_AUC] - b->mean[SPEC_AUC];
    for (int m = 0; m < SPEC_N_METRICS; m++) a->ratio[m] = a->mean[m] / b->mean[m];
    double x[MAX_SEEDS], y[MAX_SEEDS];
    const char *ka[MAX_SEEDS], *kb[MAX_SEEDS];
    int np = 0;
    for (int i = 0; i < a->n; i++)
        for (int j = 0; j < b->n; j++)
            if (a->seeds[i] == b->seeds[j]) {
                x[np] = a->v[SPEC_AUC][i];
                y[np] = b->v[SPEC_AUC][j];
                ka[np] = a->keys[i];
                kb[np] = b->keys[j];
                np++;
            }
    a->n_pairs = np;
    struct stats_ttest t;
    a->p_t = np >= 2 && stats_paired_t(x, y, np, &t) == 0 ? t.p : NAN;
    a->p_delong = np ? -1 : NAN;
    for (int i = 0; i < np; i++) {
        float *sa, *la, *sb, *lb;
        int64_t na, nb;
        char ha[65], hb[65], e[256];
        int ra = store_predictions(st, ka[i], &sa, &la, &na, ha, e, sizeof e);
        int rb = store_predictions(st, kb[i], &sb, &lb, &nb, hb, e, sizeof e);
        struct stats_delong d;
        if (ra == 0 && rb == 0 && na == nb && strcmp(ha, hb) == 0 && stats_delong(sa, sb, la, na, &d) == 0 &&
            d.p == d.p) {
            if (d.p > a->p_delong) a->p_delong = d.p;
        } else {
            a->p_delong = NAN;   /* not the same test rows, or scores missing */
        }
        if (ra == 0) { free(sa); free(la); }
        if (rb == 0) { free(sb); free(lb); }
        if (a->p_delong != a->p_delong) break;
    }
}

static const char *const metric_names[SPEC_N_METRICS] = { "AUC", "s/epoch", "MB", "ms/1024" };
static const char *const metric_fmt[SPEC_N_METRICS] = { "%.2f", "%.2f", "%.1f", "%.3f" };

/* The matrix of strings the text, Markdown and LaTeX layouts print. */
struct grid_text {
    int n_rows, n_cols;
    char (*cell)[64];       /* n_rows x (2 + n_cols) */
};
#define GT(g, r, c) ((g)->cell[(size_t)(r) * (size_t)((g)->n_cols + 2) + (size_t)(c)])

static void fmt_ours(char *o, size_t n, const struct cell_res *cr, int m)
{
    if (cr->n == 0) {
        if (cr->n_running) snprintf(o, n, "running");
        else if (cr->n_failed) snprintf(o, n, "failed");
        else snprintf(o, n, "missing");
        return;
    }
    char a[24], b[24];
    snprintf(a, sizeof a, metric_fmt[m], cr->mean[m]);
    if (cr->n > 1) {
        snprintf(b, sizeof b, metric_fmt[m], cr->sd[m]);
        snprintf(o, n, "%s+-%s (%d)", a, b, cr->n);
    } else {
        snprintf(o, n, "%s (1)", a);
    }
}

static void fmt_num(char *o, size_t n, const char *fmt, double v)
{
    if (v != v) snprintf(o, n, "-");
    else snprintf(o, n, fmt, v);
}

static void fmt_gain(char *o, size_t n, const struct cell_res *cr)
{
    if (!cr->has_gain || cr->n == 0 || cr->gain != cr->gain) {
        snprintf(o, n, "-");
        return;
    }
    snprintf(o, n, "%+.2f%s%s", cr->gain, cr->p_t < TABLE_ALPHA ? " *" : "",
             cr->p_delong < TABLE_ALPHA ? (cr->p_t < TABLE_ALPHA ? "#" : " #") : "");
}

static int distinct(const char **list, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(list[i], s)) return i;
    return -1;
}

static void print_footer(FILE *f, struct store *st, const struct spec_table *spec, int64_t grid,
                         const struct cell_res *cr, int nc, const char *pre)
{
    fprintf(f, "%sours: mean+-sample std (n seeds) of the test metric; paper: the paper's number.\n", pre);
    fprintf(f, "%sgain: AUC points over the base row; * paired t-test over the shared seeds, # DeLong test on "
               "every seed's shared test rows (largest p), both two-sided, H0 no difference, p < %.2f.\n",
            pre, TABLE_ALPHA);
    if (spec->note && spec->note[0]) fprintf(f, "%snote: %s\n", pre, spec->note);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
            "SELECT DISTINCT r.dataset, r.data_kind, r.data_note FROM grid_runs g JOIN runs r ON r.key = g.run_key "
            "WHERE g.grid_id = ?1 ORDER BY r.dataset", -1, &s, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(s, 1, grid);
        while (sqlite3_step(s) == SQLITE_ROW) {
            const char *ds = (const char *)sqlite3_column_text(s, 0), *kind = (const char *)sqlite3_column_text(s, 1),
                       *note = (const char *)sqlite3_column_text(s, 2);
            int fallback = kind && strcmp(kind, "real") != 0;
            fprintf(f, "%sdata: %s (%s)%s%s\n", pre, ds ? ds : "?", kind ? kind : "?",
                    note && note[0] ? (fallback ? " WARNING: " : ": ") : "", note ? note : "");
        }
        sqlite3_finalize(s);
    }
    if (sqlite3_prepare_v2(st->db, "SELECT mode, seeds, host, git_rev, started_at FROM grids WHERE id = ?1", -1, &s,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_int64(s, 1, grid);
        if (sqlite3_step(s) == SQLITE_ROW)
            fprintf(f, "%sgrid %lld: %s mode, seeds %s, host %s, git %.12s\n", pre, (long long)grid,
                    (const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
                    (const char *)sqlite3_column_text(s, 2), (const char *)sqlite3_column_text(s, 3));
        sqlite3_finalize(s);
    }
    int chosen = 0, missing = 0, failed = 0;
    for (int i = 0; i < nc; i++) {
        if (cr[i].n_points > 1) {
            if (!chosen++) fprintf(f, "%schosen on validation AUC (K, P):", pre);
            fprintf(f, " %s|%s K %d P %d;", cr[i].c->row, cr[i].c->col, cr[i].K, cr[i].P);
        }
    }
    if (chosen) fprintf(f, "\n");
    for (int i = 0; i < nc; i++) {
        if (cr[i].n == 0) missing++;
        if (cr[i].n_failed && cr[i].error[0]) {
            if (!failed++) fprintf(f, "%sfailed runs (apg reproduce %s --retry-failed reruns them):\n", pre, spec->name);
            if (failed <= 5) fprintf(f, "%s  %s | %s: %s\n", pre, cr[i].c->row, cr[i].c->col, cr[i].error);
        }
    }
    if (missing)
        fprintf(f, "%s%d of %d cells have no finished run yet: apg reproduce %s runs them\n", pre, missing, nc,
                spec->name);
}

static void print_csv(FILE *f, const struct spec_table *spec, const struct cell_res *cr, int nc)
{
    fprintf(f, "spec,row,col,metric,ours_mean,ours_sd,n,paper,ratio,paper_ratio,gain,p_paired_t,p_delong,K,P,status\n");
    for (int i = 0; i < nc; i++) {
        const struct cell_res *c = &cr[i];
        for (int m = 0; m < SPEC_N_METRICS; m++) {
            if (!(spec->metrics & SPEC_BIT(m))) continue;
            const struct cell_res *base = NULL;
            for (int j = 0; c->c->base_row && j < nc; j++)
                if (!strcmp(cr[j].c->row, c->c->base_row) && !strcmp(cr[j].c->col, c->c->col)) base = &cr[j];
            double pr = base ? c->c->paper[m] / base->c->paper[m] : NAN;
            fprintf(f, "%s,\"%s\",\"%s\",%s,", spec->name, c->c->row, c->c->col, metric_names[m]);
            fprintf(f, c->n ? "%.6g," : ",", c->mean[m]);
            fprintf(f, c->n > 1 ? "%.6g," : ",", c->sd[m]);
            fprintf(f, "%d,", c->n);
            fprintf(f, c->c->paper[m] == c->c->paper[m] ? "%.6g," : ",", c->c->paper[m]);
            fprintf(f, c->has_gain && c->n ? "%.6g," : ",", c->ratio[m]);
            fprintf(f, pr == pr ? "%.6g," : ",", pr);
            int g = m == SPEC_AUC && c->has_gain && c->n;
            fprintf(f, g ? "%.6g," : ",", c->gain);
            fprintf(f, g && c->p_t == c->p_t ? "%.6g," : ",", c->p_t);
            fprintf(f, g && c->p_delong == c->p_delong ? "%.6g," : ",", c->p_delong);
            fprintf(f, "%d,%d,%s\n", c->K, c->P,
                    c->n ? "done" : c->n_running ? "running" : c->n_failed ? "failed" : "missing");
        }
    }
}

static void latex_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (strchr("%&_#$", *s)) fputc('\\', f);
        if (s[0] == '+' && s[1] == '-') {
            fputs("$\\pm$", f);
            s++;
        } else {
            fputc(*s, f);
        }
    }
}

static void print_grid(FILE *f, const struct grid_text *g, const char **cols, enum table_format fmt)
{
    int w[64] = { 0 }, nc = g->n_cols + 2;
    for (int c = 0; c < nc && c < 64; c++) {
        w[c] = c >= 2 ? (int)strlen(cols[c - 2]) : 0;
        for (int r = 0; r < g->n_rows; r++)
            if ((int)strlen(GT(g, r, c)) > w[c]) w[c] = (int)strlen(GT(g, r, c));
    }
    if (fmt == TABLE_TEXT) {
        fprintf(f, "%-*s  %-*s", w[0], "", w[1], "");
        for (int c = 2; c < nc; c++) fprintf(f, "  %*s", w[c], cols[c - 2]);
        fprintf(f, "\n");
        for (int r = 0; r < g->n_rows; r++) {
            fprintf(f, "%-*s  %-*s", w[0], GT(g, r, 0), w[1], GT(g, r, 1));
            for (int c = 2; c < nc; c++) fprintf(f, "  %*s", w[c], GT(g, r, c));
            fprintf(f, "\n");
        }
    } else if (fmt == TABLE_MD) {
        fprintf(f, "| | |");
        for (int c = 2; c < nc; c++) fprintf(f, " %s |", cols[c - 2]);
        fprintf(f, "\n|---|---|");
        for (int c = 2; c < nc; c++) fprintf(f, "---:|");
        fprintf(f, "\n");
        for (int r = 0; r < g->n_rows; r++) {
            fprintf(f, "| %s | %s |", GT(g, r, 0), GT(g, r, 1));
            for (int c = 2; c < nc; c++) fprintf(f, " %s |", GT(g, r, c));
            fprintf(f, "\n");
        }
    } else {
        fprintf(f, "\\begin{tabular}{ll");
        for (int c = 2; c < nc; c++) fprintf(f, "r");
        fprintf(f, "}\n\\hline\n &");
        for (int c = 2; c < nc; c++) {
            fprintf(f, " & ");
            latex_escape(f, cols[c - 2]);
        }
        fprintf(f, " \\\\\n\\hline\n");
        for (int r = 0; r < g->n_rows; r++) {
            for (int c = 0; c < nc; c++) {
                if (c) fprintf(f, " & ");
                latex_escape(f, GT(g, r, c));
            }
            fprintf(f, " \\\\\n");
        }
        fprintf(f, "\\hline\n\\end{tabular}\n");
    }
}

static int build_text(struct grid_text *g, const struct spec_table *spec, struct cell_res *cr, int nc,
                      const char **rows, int n_rows, const char **cols, int n_cols)
{
    int per = 0, gain_rows = 0;
    for (int m = 0; m < SPEC_N_METRICS; m++)
        if (spec->metrics & SPEC_BIT(m)) per += 2 + (spec->ratios && m != SPEC_AUC ? 2 : 0);
    for (int i = 0; i < nc; i++) gain_rows |= cr[i].c->base_row != NULL && (spec->metrics & SPEC_BIT(SPEC_AUC));
    g->n_cols = n_cols;
    g->n_rows = 0;
    g->cell = calloc((size_t)n_rows * (size_t)(per + 1) * (size_t)(n_cols + 2), sizeof *g->cell);
    if (!g->cell) return -1;
    int one_metric = per == 2;
    for (int r = 0; r < n_rows; r++) {
        int has_gain = 0;
        for (int i = 0; i < nc; i++)
            if (!strcmp(cr[i].c->row, rows[r]) && cr[i].c->base_row) has_gain = 1;
        int first = g->n_rows;
        for (int m = 0; m < SPEC_N_METRICS; m++) {
            if (!(spec->metrics & SPEC_BIT(m))) continue;
            int with_ratio = spec->ratios && m != SPEC_AUC;
            for (int k = 0; k < 2 + 2 * with_ratio; k++) {
                int gr = g->n_rows++;
                static const char *const sub[4] = { "ours", "paper", "ratio ours", "ratio paper" };
                snprintf(GT(g, gr, 1), 64, "%s%s%s", one_metric ? "" : metric_names[m], one_metric ? "" : " ", sub[k]);
                for (int c = 0; c < n_cols; c++) {
                    struct cell_res *x = find_cell(cr, nc, rows[r], cols[c]);
                    char *o = GT(g, gr, c + 2);
                    if (!x) { snprintf(o, 64, " "); continue; }
                    struct cell_res *b = x->c->base_row ? find_cell(cr, nc, x->c->base_row, cols[c]) : NULL;
                    if (k == 0) fmt_ours(o, 64, x, m);
                    else if (k == 1) fmt_num(o, 64, metric_fmt[m], x->c->paper[m]);
                    else if (k == 2) fmt_num(o, 64, "%.2fx", !b ? (x->n ? 1.0 : NAN) : x->n && b->n ? x->ratio[m] : NAN);
                    else fmt_num(o, 64, "%.2fx", b ? x->c->paper[m] / b->c->paper[m] : 1.0);
                }
            }
        }
        if (has_gain && (spec->metrics & SPEC_BIT(SPEC_AUC))) {
            int gr = g->n_rows++;
            snprintf(GT(g, gr, 1), 64, "%s", one_metric ? "gain" : "AUC gain");
            for (int c = 0; c < n_cols; c++) {
                struct cell_res *x = find_cell(cr, nc, rows[r], cols[c]);
                if (x) fmt_gain(GT(g, gr, c + 2), 64, x);
            }
        }
        snprintf(GT(g, first, 0), 64, "%s", rows[r]);
    }
    (void)gain_rows;
    return 0;
}

int table_print(FILE *f, struct store *st, const struct spec_table *spec, int64_t grid, enum table_format fmt,
                char *err, size_t errlen)
{
    if (grid == 0) grid = store_grid_latest(st, spec->name);
    if (grid < 0) {
        snprintf(err, errlen, "%s: cannot read the grids", st->path);
        return -1;
    }
    if (grid == 0) {
        fprintf(f, "%s: no runs in %s yet: apg reproduce %s makes them\n", spec->name, st->path, spec->name);
        return 1;
    }
    struct link *l;
    int nl;
    if (load_links(st, grid, &l, &nl, err, errlen)) return -1;
    int nc = spec->n_cells;
    struct cell_res *cr = calloc((size_t)nc, sizeof *cr);
    const char **rows = malloc(sizeof *rows * (size_t)nc), **cols = malloc(sizeof *cols * (size_t)nc);
    if (!cr || !rows || !cols) {
        free(l); free(cr); free(rows); free(cols);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int n_rows = 0, n_cols = 0;
    for (int i = 0; i < nc; i++) {
        cr[i].c = &spec->cells[i];
        summarise(&cr[i], l, nl);
        if (distinct(rows, n_rows, spec->cells[i].row) < 0) rows[n_rows++] = spec->cells[i].row;
        if (distinct(cols, n_cols, spec->cells[i].col) < 0) cols[n_cols++] = spec->cells[i].col;
    }
    for (int i = 0; i < nc; i++) {
        if (!cr[i].c->base_row) continue;
        struct cell_res *b = find_cell(cr, nc, cr[i].c->base_row, cr[i].c->col);
        if (b) test_gain(st, &cr[i], b);
    }
    int rc = 0;
    if (fmt == TABLE_CSV) {
        print_csv(f, spec, cr, nc);
    } else {
        struct grid_text g;
        if (build_text(&g, spec, cr, nc, rows, n_rows, cols, n_cols)) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        } else {
            const char *pre = fmt == TABLE_LATEX ? "% " : fmt == TABLE_MD ? "" : "";
            if (fmt == TABLE_MD) fprintf(f, "**%s**\n\n", spec->title);
            else fprintf(f, "%s%s\n", pre, spec->title);
            print_grid(f, &g, cols, fmt);
            if (fmt == TABLE_MD) fprintf(f, "\n");
            print_footer(f, st, spec, grid, cr, nc, fmt == TABLE_MD ? "- " : pre);
            free(g.cell);
        }
    }
    free(l); free(cr); free(rows); free(cols);
    return rc;
}
