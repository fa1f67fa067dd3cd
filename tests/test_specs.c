/* Run specs (experiments/spec*.c): the registry and spec_data_name; every table's cell
 * count, layout ((row, col) unique, base rows in the same column), grids, `apg train`
 * options (names, values checked against the backbone / form / condition registries,
 * placeholders {U} {I} {C} only); the paper numbers: which metrics each cell carries,
 * spot checks against the paper's tables, and agreement of identical runs across tables. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "spec.h"
#include "backbone.h"
#include "condition.h"
#include "reparam.h"

static const char *const names[] = { "table3", "table4", "table5", "table6",
                                     "table7", "table9", "table10", "table11",
                                     "fig7", "fig8", "fig9", "fig10", "fidelity", "ablation" };
static const int counts[] = { 42, 15, 18, 9, 3, 21, 12, 12, 26, 6, 2, 46, 42, 34 };
#define N_NAMES ((int)(sizeof names / sizeof names[0]))

/* Figure specs (spec_fig*.c): every cell fixes its own K, P and generator layers, and
 * the paper prints the figures as curves only (no numbers). */
static int is_fig(const struct spec_table *t) { return strncmp(t->name, "fig", 3) == 0; }
/* The fidelity study is no table of the paper; its positive-control cells (synthetic by
 * design) have no paper numbers, fix their own sizes and search no grid. */
static int is_study(const struct spec_table *t)
{
    return strcmp(t->name, "fidelity") == 0 || strcmp(t->name, "ablation") == 0;
}
static int is_control(const struct spec_cell *c) { return spec_data_control(c->data) != NULL; }
/* Cells that fix their own sizes, search no grid and carry no paper number. */
static int is_fixed(const struct spec_table *t, const struct spec_cell *c)
{
    return is_fig(t) || is_control(c) || strcmp(t->name, "ablation") == 0;
}
/* Options a study cell may set besides --backbone, --apg and --condition. */
static int study_option(const char *o)
{
    static const char *const ok[] = { "--hidden", "--K", "--gen-scale", "--chain-lr", "--gen-layers", "--emb-dim",
                                      "--gen-lr" };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(o, ok[i]) == 0) return 1;
    return 0;
}

#define MAX_TOK 16
/* Splits args on spaces into tok[] (pointers into buf); returns the count. */
static int tokens(const char *args, char *buf, size_t len, char **tok)
{
    assert_non_null(args);
    assert_true(strlen(args) < len);
    strcpy(buf, args);
    int n = 0;
    for (char *p = buf; *p;) {
        while (*p == ' ') *p++ = '\0';
        if (!*p) break;
        assert_true(n < MAX_TOK);
        tok[n++] = p;
        while (*p && *p != ' ') p++;
    }
    return n;
}

/* The value of option opt in args ("" when absent) into out. */
static const char *opt_value(const char *args, const char *opt, char *out, size_t len)
{
    char buf[256], *tok[MAX_TOK];
    int n = tokens(args, buf, sizeof buf, tok);
    out[0] = '\0';
    for (int i = 0; i + 1 < n; i += 2)
        if (strcmp(tok[i], opt) == 0) snprintf(out, len, "%s", tok[i + 1]);
    return out;
}

/* APG form number of a cell (0: none). */
static int apg_version(const struct spec_cell *c)
{
    char v[32];
    opt_value(c->args, "--apg", v, sizeof v);
    if (!v[0] || strcmp(v, "none") == 0) return 0;
    assert_true(v[0] == 'v' && v[1] >= '1' && v[1] <= '8' && v[2] == '\0');
    return v[1] - '0';
}

static const struct spec_cell *cell_at(const struct spec_table *t, const char *row, const char *col)
{
    for (int i = 0; i < t->n_cells; i++)
        if (strcmp(t->cells[i].row, row) == 0 && strcmp(t->cells[i].col, col) == 0)
            return &t->cells[i];
    return NULL;
}

static double paper(const char *table, const char *row, const char *col, enum spec_metric m)
{
    const struct spec_table *t = spec_find(table);
    assert_non_null(t);
    const struct spec_cell *c = cell_at(t, row, col);
    if (!c) fail_msg("%s: no cell (%s, %s)", table, row, col);
    return c->paper[m];
}

#define assert_paper(table, row, col, m, v) \
    assert_true(fabs(paper(table, row, col, m) - (v)) < 1e-9)

static void test_registry(void **state)
{
    (void)state;
    assert_int_equal(spec_count(), N_NAMES);
    for (int i = 0; i < N_NAMES; i++) {
        const struct spec_table *t = spec_find(names[i]);
        assert_non_null(t);
        assert_string_equal(t->name, names[i]);
        assert_ptr_equal(spec_at(i), t);              /* specs.def order */
    }
    assert_null(spec_find("table8"));                 /* dataset statistics: no runs */
    assert_null(spec_find("table"));
    assert_null(spec_find("Table3"));
    assert_null(spec_find(""));
    assert_null(spec_find(NULL));
    assert_null(spec_at(-1));
    assert_null(spec_at(spec_count()));
    assert_string_equal(spec_names(),
                        "table3, table4, table5, table6, table7, table9, table10, table11, fig7, fig8, fig9, fig10, "
                        "fidelity, ablation");
}

static void test_data_name(void **state)
{
    (void)state;
    assert_string_equal(spec_data_name(SPEC_MOVIELENS), "MovieLens");
    assert_string_equal(spec_data_name(SPEC_AMAZON), "Amazon");
    assert_string_equal(spec_data_name(SPEC_IAAC), "IAAC");
    assert_string_equal(spec_data_name(SPEC_CONTROL2), "Control S=2");
    assert_null(spec_data_control(SPEC_MOVIELENS));
    assert_null(spec_data_control(SPEC_IAAC));
    assert_string_equal(spec_data_control(SPEC_CONTROL0), "control:0");
    assert_string_equal(spec_data_control(SPEC_CONTROL3), "control:3");
    assert_null(spec_data_control(SPEC_N_DATA));
    assert_null(spec_data_name(SPEC_N_DATA));
    assert_null(spec_data_name((enum spec_data)-1));
}

static void test_counts(void **state)
{
    (void)state;
    for (int i = 0; i < N_NAMES; i++) {
        const struct spec_table *t = spec_find(names[i]);
        if (t->n_cells != counts[i]) fail_msg("%s: %d cells, want %d", names[i], t->n_cells, counts[i]);
        assert_non_null(t->cells);
        assert_true(t->title && strstr(t->title, is_fig(t) ? "Figure " : is_study(t) ? "Fidelity" : "Table ") == t->title);
        assert_true(t->note && t->note[0]);
        assert_true(t->metrics && !(t->metrics & ~(SPEC_BIT(SPEC_N_METRICS) - 1)));
    }
    assert_int_equal(spec_find("table5")->ratios, 1);
    assert_int_equal(spec_find("table3")->ratios, 0);
}

static void test_layout(void **state)
{
    (void)state;
    for (int s = 0; s < spec_count(); s++) {
        const struct spec_table *t = spec_at(s);
        for (int i = 0; i < t->n_cells; i++) {
            const struct spec_cell *c = &t->cells[i];
            assert_true(c->row && c->row[0] && c->col && c->col[0] && c->args);
            assert_true((int)c->data >= 0 && c->data < SPEC_N_DATA);
            for (int j = 0; j < i; j++)
                if (strcmp(c->row, t->cells[j].row) == 0 && strcmp(c->col, t->cells[j].col) == 0)
                    fail_msg("%s: cell (%s, %s) twice", t->name, c->row, c->col);
            /* The dataset is named by the column (tables 4-11) or the row (table 3). */
            const char *dn = spec_data_name(c->data);
            size_t l = strlen(dn);
            int named = strcmp(c->col, dn) == 0 || (strncmp(c->row, dn, l) == 0 && c->row[l] == ' ');
            if (strcmp(t->name, "table7") == 0) named = c->data == SPEC_MOVIELENS;
            if (!named) fail_msg("%s (%s, %s): dataset %s", t->name, c->row, c->col, dn);
        }
    }
}

static void test_base_rows(void **state)
{
    (void)state;
    for (int s = 0; s < spec_count(); s++) {
        const struct spec_table *t = spec_at(s);
        int n_base = 0;
        for (int i = 0; i < t->n_cells; i++) {
            const struct spec_cell *c = &t->cells[i];
            if (!c->base_row) {
                n_base++;
                if (apg_version(c)) fail_msg("%s (%s, %s): a base row with APG", t->name, c->row, c->col);
                continue;
            }
            const struct spec_cell *b = cell_at(t, c->base_row, c->col);
            if (!b) fail_msg("%s (%s, %s): base row '%s' not in the column", t->name, c->row, c->col, c->base_row);
            if (b->base_row) fail_msg("%s (%s, %s): base row '%s' is not a base", t->name, c->row, c->col, c->base_row);
            assert_int_equal(b->data, c->data);
            assert_ptr_not_equal(b, c);
        }
        assert_true(n_base > 0);
        assert_true(n_base < t->n_cells);
    }
}

static void test_grids(void **state)
{
    (void)state;
    int seen[9] = { 0 };
    for (int s = 0; s < spec_count(); s++) {
        const struct spec_table *t = spec_at(s);
        for (int i = 0; i < t->n_cells; i++) {
            const struct spec_cell *c = &t->cells[i];
            int v = apg_version(c);
            assert_true(!is_control(c) || is_study(t));
            enum spec_grid want = is_fixed(t, c) ? SPEC_GRID_NONE : v >= 6 ? SPEC_GRID_KP : v >= 2 ? SPEC_GRID_K : SPEC_GRID_NONE;
            seen[v]++;
            if (c->grid != want) fail_msg("%s (%s, %s): grid %d, want %d", t->name, c->row, c->col, c->grid, want);
        }
    }
    for (int v = 0; v <= 8; v++) assert_true(seen[v] > 0);   /* every form is used */
}

/* Every {..} of s is {U}, {I} or {C}; returns how many, *distinct the distinct ones. */
static int placeholders(const char *s, int *distinct)
{
    int n = 0, mask = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '}') fail_msg("stray '}' in '%s'", s);
        if (*p != '{') continue;
        const char *q = strchr("UIC", p[1]);
        if (!p[1] || !q || p[2] != '}') fail_msg("unknown placeholder in '%s'", s);
        mask |= 1 << (q - "UIC");
        n++;
        p += 2;
    }
    *distinct = (mask & 1) + (mask >> 1 & 1) + (mask >> 2 & 1);
    return n;
}

static void check_condition(const struct spec_table *t, const struct spec_cell *c, const char *cond)
{
    const char *spec = NULL;
    const struct condition_ops *ops = condition_find(cond, &spec);
    if (!ops) fail_msg("%s (%s, %s): unknown condition '%s'", t->name, c->row, c->col, cond);
    int distinct, n = placeholders(cond, &distinct);
    if (strcmp(ops->name, "self") == 0) {
        assert_null(spec);
    } else if (strcmp(ops->name, "group") == 0) {
        assert_non_null(spec);
        assert_int_equal(n, 1);
        assert_true(spec[0] == '{' && spec[3] == '\0');
    } else {                                           /* mix-in / mix-out: AGG:F1,F2,.. */
        assert_non_null(spec);
        const char *colon = strchr(spec, ':');
        assert_non_null(colon);
        size_t l = (size_t)(colon - spec);
        assert_true((l == 4 && strncmp(spec, "mean", 4) == 0) || (l == 6 && strncmp(spec, "concat", 6) == 0) ||
                    (l == 9 && strncmp(spec, "attention", 9) == 0));
        assert_int_equal(n, distinct);
        assert_true(distinct >= 2);
    }
}

static void test_args(void **state)
{
    (void)state;
    for (int s = 0; s < spec_count(); s++) {
        const struct spec_table *t = spec_at(s);
        for (int i = 0; i < t->n_cells; i++) {
            const struct spec_cell *c = &t->cells[i];
            char buf[256], *tok[MAX_TOK];
            int n = tokens(c->args, buf, sizeof buf, tok);
            if (n % 2) fail_msg("%s (%s, %s): '%s': an option without value", t->name, c->row, c->col, c->args);
            int has_apg = 0, has_cond = 0, star = 0;
            for (int k = 0; k < n; k += 2) {
                const char *o = tok[k], *v = tok[k + 1];
                if (strncmp(o, "--", 2) != 0 || v[0] == '-')
                    fail_msg("%s (%s, %s): '%s': '%s %s'", t->name, c->row, c->col, c->args, o, v);
                for (int j = 0; j < k; j += 2) assert_string_not_equal(tok[j], o);   /* once each */
                if (strcmp(o, "--backbone") == 0) {
                    if (!backbone_find(v)) fail_msg("%s (%s, %s): unknown backbone '%s'", t->name, c->row, c->col, v);
                    star = strcmp(v, "star") == 0;
                } else if (strcmp(o, "--apg") == 0) {
                    if (!reparam_find(v)) fail_msg("%s (%s, %s): unknown form '%s'", t->name, c->row, c->col, v);
                    has_apg = 1;
                } else if (strcmp(o, "--condition") == 0) {
                    check_condition(t, c, v);
                    has_cond = 1;
                } else if (is_fig(t) && (!strcmp(o, "--K") || !strcmp(o, "--P") || !strcmp(o, "--gen-layers"))) {
                    char *end;
                    long x = strtol(v, &end, 10);
                    if (*end || x < 1 || x > 512) fail_msg("%s (%s, %s): %s %s", t->name, c->row, c->col, o, v);
                } else if (is_study(t) && study_option(o)) {
                    char *end;
                    double x = strtod(v, &end);
                    if (*end || x <= 0 || x > 512) fail_msg("%s (%s, %s): %s %s", t->name, c->row, c->col, o, v);
                } else {
                    fail_msg("%s (%s, %s): unexpected option '%s'", t->name, c->row, c->col, o);
                }
                if (strcmp(o, "--condition") != 0) {
                    int d;
                    assert_int_equal(placeholders(v, &d), 0);
                }
            }
            assert_false(has_cond && !has_apg);
            assert_false(star && has_apg);             /* star refuses --apg */
        }
    }
}

/* paper[m] is a number exactly for the metrics the table shows. */
static void test_paper_metrics(void **state)
{
    (void)state;
    for (int s = 0; s < spec_count(); s++) {
        const struct spec_table *t = spec_at(s);
        for (int i = 0; i < t->n_cells; i++) {
            const struct spec_cell *c = &t->cells[i];
            if (is_fixed(t, c)) {                      /* curves only, or no paper: no numbers */
                for (int m = 0; m < SPEC_N_METRICS; m++) assert_true(isnan(c->paper[m]));
                continue;
            }
            for (int m = 0; m < SPEC_N_METRICS; m++) {
                int shown = (t->metrics & SPEC_BIT(m)) != 0;
                if (shown == !!isnan(c->paper[m]))
                    fail_msg("%s (%s, %s): metric %d %s", t->name, c->row, c->col, m,
                             shown ? "missing" : "not in the table");
                if (shown) assert_true(c->paper[m] > 0);
            }
            if (t->metrics & SPEC_BIT(SPEC_AUC))
                assert_true(c->paper[SPEC_AUC] > 60 && c->paper[SPEC_AUC] < 85);
        }
    }
}

/* Spot checks against the paper's tables. */
static void test_paper_values(void **state)
{
    (void)state;
    assert_paper("table3", "IAAC Base+APG", "DCN", SPEC_AUC, 66.39);
    assert_paper("table3", "IAAC Base", "DCN", SPEC_AUC, 64.78);
    assert_paper("table3", "MovieLens Base", "PNN", SPEC_AUC, 79.5);
    assert_paper("table3", "Amazon Base+APG", "DeepFM", SPEC_AUC, 69.43);
    assert_paper("table3", "MovieLens Base+APG", "AutoInt", SPEC_AUC, 79.64);
    assert_paper("table4", "Group-wise U", "IAAC", SPEC_AUC, 65.80);
    assert_paper("table4", "Mix-wise U,I,C", "Amazon", SPEC_AUC, 69.31);
    assert_paper("table5", "v2", "Amazon", SPEC_SEC_EPOCH, 983.68);
    assert_paper("table5", "v2", "Amazon", SPEC_MEM_MB, 149.6);
    assert_paper("table5", "v4", "MovieLens", SPEC_SEC_EPOCH, 39.2);
    assert_paper("table5", "v5", "IAAC", SPEC_AUC, 66.04);
    assert_paper("table5", "Base", "IAAC", SPEC_SEC_EPOCH, 5.05);
    assert_paper("table6", "v3", "IAAC", SPEC_AUC, 65.67);
    assert_paper("table7", "Base", "RT(ms)", SPEC_LATENCY_MS, 15.4);
    assert_paper("table7", "APG w/o RP", "RT(ms)", SPEC_LATENCY_MS, 58.6);
    assert_paper("table9", "Output Concat", "IAAC", SPEC_AUC, 65.48);
    assert_paper("table10", "Base+Star", "IAAC", SPEC_MEM_MB, 13815.2);
    assert_paper("table10", "Base+MMoE", "Amazon", SPEC_MEM_MB, 465.4);
    assert_paper("table10", "Base+APG", "Amazon", SPEC_MEM_MB, 149.5);
    assert_paper("table11", "v7", "IAAC", SPEC_AUC, 66.13);
    assert_paper("table11", "v8", "MovieLens", SPEC_AUC, 79.61);

    /* Table 5's printed ratios to Base follow from the transcribed costs. */
    static const struct { const char *row, *col; double time, mem; } ratio[] = {
        { "v1", "MovieLens", 22.22, 1.53 }, { "v1", "Amazon", 39.48, 1.25 }, { "v1", "IAAC", 9.55, 2.62 },
        { "v2", "Amazon", 45.29, 0.99 },    { "v3", "MovieLens", 0.84, 0.99 }, { "v3", "IAAC", 1.08, 1.00 },
        { "v4", "Amazon", 1.52, 1.00 },     { "v5", "IAAC", 12.75, 2.74 },   { "v5", "Amazon", 56.05, 1.26 },
    };
    for (size_t i = 0; i < sizeof ratio / sizeof ratio[0]; i++) {
        double bt = paper("table5", "Base", ratio[i].col, SPEC_SEC_EPOCH);
        double bm = paper("table5", "Base", ratio[i].col, SPEC_MEM_MB);
        double t = paper("table5", ratio[i].row, ratio[i].col, SPEC_SEC_EPOCH);
        double m = paper("table5", ratio[i].row, ratio[i].col, SPEC_MEM_MB);
        assert_true(fabs(t / bt - ratio[i].time) < 0.006);
        assert_true(fabs(m / bm - ratio[i].mem) < 0.006);
    }
}

/* args with the runner's defaults spelt out dropped: --backbone wdl, --condition self. */
static void canonical(const char *args, char *out, size_t len)
{
    char buf[256], *tok[MAX_TOK];
    int n = tokens(args, buf, sizeof buf, tok);
    out[0] = '\0';
    for (int k = 0; k + 1 < n; k += 2) {
        if ((strcmp(tok[k], "--backbone") == 0 && strcmp(tok[k + 1], "wdl") == 0) ||
            (strcmp(tok[k], "--condition") == 0 && strcmp(tok[k + 1], "self") == 0))
            continue;
        size_t l = strlen(out);
        snprintf(out + l, len - l, "%s%s %s", l ? " " : "", tok[k], tok[k + 1]);
    }
}

/* The paper reports one number per run: the same (dataset, options) in two tables (Base,
 * WDL+APG self-wise, v3, group-wise I, mix-in attention) carries the same AUC and memory. */
static void test_across_tables(void **state)
{
    (void)state;
    int shared = 0;
    for (int s = 0; s < spec_count(); s++)
        for (int i = 0; i < spec_at(s)->n_cells; i++) {
            const struct spec_cell *a = &spec_at(s)->cells[i];
            char ca[256], cb[256];
            canonical(a->args, ca, sizeof ca);
            for (int r = 0; r < s; r++)
                for (int j = 0; j < spec_at(r)->n_cells; j++) {
                    const struct spec_cell *b = &spec_at(r)->cells[j];
                    canonical(b->args, cb, sizeof cb);
                    if (a->data != b->data || strcmp(ca, cb) != 0) continue;
                    for (int m = 0; m < SPEC_N_METRICS; m++) {
                        if (m == SPEC_SEC_EPOCH || m == SPEC_LATENCY_MS) continue;   /* other setups */
                        if (isnan(a->paper[m]) || isnan(b->paper[m])) continue;
                        if (a->paper[m] != b->paper[m])
                            fail_msg("%s (%s, %s) %g != %s (%s, %s) %g", spec_at(s)->name, a->row, a->col,
                                     a->paper[m], spec_at(r)->name, b->row, b->col, b->paper[m]);
                        shared++;
                    }
                }
        }
    assert_true(shared >= 30);
}

/* The figure specs carry the paper's sweeps (4.5, Appendix D) with their reference rows. */
static void test_figure_sweeps(void **state)
{
    (void)state;
    static const int P[] = { 2, 4, 6, 8, 16, 32, 64, 128, 256, 512 }, K[] = { 2, 4, 6, 8, 16, 32, 64, 128, 256, 512 };
    const struct { const char *spec, *col; } cols[] = { { "fig7", "Amazon" }, { "fig10", "IAAC" }, { "fig10", "MovieLens" } };
    for (int c = 0; c < 3; c++) {
        const struct spec_table *t = spec_find(cols[c].spec);
        char row[16], want[64];
        for (int i = 0; i < 10; i++) {
            snprintf(row, sizeof row, "P %d", P[i]);
            snprintf(want, sizeof want, "--apg v6 --K 8 --P %d", P[i]);
            const struct spec_cell *x = cell_at(t, row, cols[c].col);
            if (!x || strcmp(x->args, want)) fail_msg("%s (%s, %s)", t->name, row, cols[c].col);
            snprintf(row, sizeof row, "K %d", K[i]);
            snprintf(want, sizeof want, "--apg v6 --K %d --P 32", K[i]);
            x = cell_at(t, row, cols[c].col);
            if (!x || strcmp(x->args, want)) fail_msg("%s (%s, %s)", t->name, row, cols[c].col);
        }
        assert_string_equal(cell_at(t, "Base", cols[c].col)->args, "");
        assert_string_equal(cell_at(t, "APG(USV)", cols[c].col)->args, "--apg v3 --K 8");
        assert_string_equal(cell_at(t, "APG(Wi)", cols[c].col)->args, "--apg v1");
    }
    const struct spec_table *f7 = spec_find("fig7");
    assert_string_equal(cell_at(f7, "L 3", "Amazon")->args, "--apg v6 --K 8 --P 32 --gen-layers 3");
    assert_null(cell_at(spec_find("fig10"), "L 1", "IAAC"));
    assert_string_equal(cell_at(spec_find("fig9"), "Group-wise C", "Amazon")->args, "--apg v6 --condition group:{C}");
    const struct spec_table *f8 = spec_find("fig8");
    for (int d = 0; d <= SPEC_IAAC; d++) {          /* the paper's three datasets */
        assert_string_equal(cell_at(f8, "APG", spec_data_name((enum spec_data)d))->args, "--apg v6");
        assert_non_null(cell_at(f8, "Base", spec_data_name((enum spec_data)d)));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_data_name),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_base_rows),
        cmocka_unit_test(test_grids),
        cmocka_unit_test(test_args),
        cmocka_unit_test(test_paper_metrics),
        cmocka_unit_test(test_paper_values),
        cmocka_unit_test(test_across_tables),
        cmocka_unit_test(test_figure_sweeps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
