/* Figures (results/plot*.c, apg plot): on a fixture DB fig7, fig10 and fig8 write a PNG
 * (signature, IHDR size, every chunk's CRC, IEND) and an SVG that is well-formed XML with
 * an <svg> root; missing points are named with the command that makes them and never
 * drawn; an empty DB is refused naming `apg reproduce`; an absent gnuplot is refused
 * with the install command. Skipped (with a message) only when gnuplot is absent. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "commands.h"
#include "runcfg.h"
#include "db_testutil.h"
#include "plot.h"
#include "store.h"

static char dir[64];
static int have_gnuplot;

static int setup(void **state)
{
    (void)state;
    char err[512];
    struct plot_opts o = { 0 };
    have_gnuplot = plot_check_gnuplot(&o, err, sizeof err) == 0;
    if (!have_gnuplot) fprintf(stderr, "test_plot: SKIPPING the drawing tests: %s\n", err);
    return db_test_mkdir(dir, "apg_plot_");
}

static int teardown(void **state)
{
    (void)state;
    db_test_rmdir(dir);
    return 0;
}

/* ---- a minimal PNG reader and XML well-formedness check ---------------------------- */

static uint32_t crc32_png(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xffffffffu;
}

static uint32_t be32(const unsigned char *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long l = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)l + 1);
    if (b && fread(b, 1, (size_t)l, f) != (size_t)l) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) b[l] = 0;
    *n = (size_t)l;
    return b;
}

/* 0 when path is a PNG of width x height > 0 whose chunks all check out; w, h out. */
static int check_png(const char *path, uint32_t *w, uint32_t *h)
{
    size_t n;
    unsigned char *b = slurp(path, &n);
    static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    int rc = -1, idat = 0;
    if (!b || n < 8 + 25 + 12 || memcmp(b, sig, 8) || be32(b + 8) != 13 || memcmp(b + 12, "IHDR", 4)) goto out;
    *w = be32(b + 16);
    *h = be32(b + 20);
    if (!*w || !*h) goto out;
    for (size_t off = 8; off + 12 <= n;) {
        uint32_t len = be32(b + off);
        if (off + 12 + len > n) goto out;
        if (crc32_png(b + off + 4, 4 + (size_t)len) != be32(b + off + 8 + len)) goto out;
        idat += memcmp(b + off + 4, "IDAT", 4) == 0;
        if (memcmp(b + off + 4, "IEND", 4) == 0) {
            rc = idat ? 0 : -1;
            break;
        }
        off += 12 + len;
    }
out:
    free(b);
    return rc;
}

/* Well-formed XML (elements nest and match, attributes quoted, comments, PIs, CDATA and
 * a DOCTYPE allowed) with root element root; 0 or -1. */
static int check_xml(const char *s, const char *root)
{
    char stack[64][64];
    int depth = 0, roots = 0;
    const char *p = s;
    while (*p) {
        if (*p != '<') {
            if (depth == 0 && *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') return -1;
            p++;
            continue;
        }
        if (!strncmp(p, "<?", 2)) { p = strstr(p, "?>"); if (!p) return -1; p += 2; continue; }
        if (!strncmp(p, "<!--", 4)) { p = strstr(p + 4, "-->"); if (!p) return -1; p += 3; continue; }
        if (!strncmp(p, "<![CDATA[", 9)) { p = strstr(p, "]]>"); if (!p || !depth) return -1; p += 3; continue; }
        if (!strncmp(p, "<!DOCTYPE", 9)) {
            int br = 0;
            for (p += 9; *p && (br || *p != '>'); p++) br += (*p == '[') - (*p == ']');
            if (!*p) return -1;
            p++;
            continue;
        }
        int closing = p[1] == '/';
        p += 1 + closing;
        char name[64];
        int k = 0;
        while (*p && !strchr(" \t\r\n/>", *p) && k < 63) name[k++] = *p++;
        name[k] = 0;
        if (!k) return -1;
        if (closing) {
            while (*p == ' ' || *p == '\n') p++;
            if (*p != '>' || !depth || strcmp(stack[depth - 1], name)) return -1;
            depth--;
            p++;
            continue;
        }
        for (;;) {                                   /* attributes */
            while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
            if (*p == '>' || !strncmp(p, "/>", 2)) break;
            while (*p && !strchr("= \t\r\n/>", *p)) p++;
            while (*p == ' ') p++;
            if (*p++ != '=') return -1;
            while (*p == ' ') p++;
            char q = *p++;
            if (q != '"' && q != '\'') return -1;
            const char *e = strchr(p, q);
            if (!e || memchr(p, '<', (size_t)(e - p))) return -1;
            p = e + 1;
        }
        if (depth == 0 && (roots++ || strcmp(name, root))) return -1;
        if (*p == '/') { p += 2; continue; }
        if (depth == 64) return -1;
        snprintf(stack[depth++], 64, "%s", name);
        p++;
    }
    return depth == 0 && roots == 1 ? 0 : -1;
}

static void check_outputs(const char *out, const char *name)
{
    char png[160], svg[160];
    snprintf(png, sizeof png, "%s/%s.png", out, name);
    snprintf(svg, sizeof svg, "%s/%s.svg", out, name);
    uint32_t w = 0, h = 0;
    if (check_png(png, &w, &h)) fail_msg("%s: not a valid PNG", png);
    assert_true(w >= 300 && h >= 200);
    struct stat sp;
    assert_int_equal(stat(png, &sp), 0);
    assert_true(sp.st_size > 10000);                 /* drawn, not a blank page */
    size_t n;
    char *x = (char *)slurp(svg, &n);
    assert_non_null(x);
    assert_true(n > 10000);
    if (check_xml(x, "svg")) fail_msg("%s: not well-formed XML with an <svg> root", svg);
    free(x);
}

static void test_checkers(void **state)
{
    (void)state;
    assert_int_equal(check_xml("<?xml version='1.0'?>\n<!DOCTYPE svg [<!ENTITY a 'b'>]>\n<svg a=\"1\"><g><p/>"
                               "<!-- c --><t x='2'>hi &amp; <![CDATA[<x>]]></t></g></svg>\n", "svg"), 0);
    assert_int_equal(check_xml("<svg><g></svg>", "svg"), -1);        /* unclosed */
    assert_int_equal(check_xml("<svg></svg><svg></svg>", "svg"), -1);  /* two roots */
    assert_int_equal(check_xml("<svg a=1></svg>", "svg"), -1);       /* unquoted */
    assert_int_equal(check_xml("<html></html>", "svg"), -1);
    char path[128];
    snprintf(path, sizeof path, "%s/bad.png", dir);
    FILE *f = fopen(path, "wb");
    fputs("\x89PNG\r\n\x1a\n-not-a-png-really-not-at-all-no", f);
    fclose(f);
    uint32_t w, h;
    assert_int_equal(check_png(path, &w, &h), -1);
}

/* ---- the fixture DB ---------------------------------------------------------------- */

/* A done run of spec linked to (row, col, seed), test AUC auc, optional groups. */
static void fixture_run(struct store *st, int64_t grid, const char *spec, const char *row, const char *col, int seed,
                        double auc, const struct run_group *groups)
{
    char err[512];
    struct run_plan p = { .spec = spec, .config_json = "{}", .backbone = "wdl", .apg = "v6", .condition = "self",
                          .hidden = "", .apg_init = "", .dataset = "synthetic:amazon", .data_kind = "synthetic-fallback",
                          .data_note = "", .dataset_rows = 20000, .dataset_checksum = "", .label_rule = "",
                          .split = "random" };
    snprintf(p.key, sizeof p.key, "%s-%s-%s-%d", spec, row, col, seed);
    assert_int_equal(store_schedule(st, &p, err, sizeof err), 0);
    assert_int_equal(store_grid_link(st, grid, row, col, seed, 0, 0, p.key, err, sizeof err), 0);
    struct run_env env = { "h", "c", "cc", "", "", "r", 0, 1, (int)getpid(), NULL };
    assert_int_equal(store_claim(st, p.key, &env, 0, err, sizeof err), 1);
    struct run_result r = { .test_auc = auc, .val_auc = auc, .serving_form = "v3", .n_groups = groups ? 10 : 0,
                            .groups = groups };
    assert_int_equal(store_finish(st, p.key, &r, err, sizeof err), 0);
}

/* Every cell of spec with two seeds, except the rows in skip (";"-separated). */
static void fixture_spec(struct store *st, const struct spec_table *spec, const char *skip)
{
    char err[512];
    struct run_env env = { .host = "fixturehost", .git_rev = "0123456789abcdef" };
    int64_t grid = store_grid_begin(st, spec->name, "quick", "", "1..2", &env, err, sizeof err);
    assert_true(grid > 0);
    for (int i = 0; i < spec->n_cells; i++) {
        char probe[80];
        snprintf(probe, sizeof probe, ";%s;", spec->cells[i].row);
        if (skip && strstr(skip, probe)) continue;
        for (int s = 1; s <= 2; s++)
            fixture_run(st, grid, spec->name, spec->cells[i].row, spec->cells[i].col, s,
                        0.70 + 0.001 * (i % 7) + 0.002 * s, NULL);
    }
}

static void open_db(struct store *st, const char *name)
{
    char path[128], err[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    remove(path);
    assert_int_equal(store_open(st, path, 0, err, sizeof err), 0);
}

static char *draw(struct store *st, const char *fig, const char *out, int want_rc)
{
    char err[1024], *log = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&log, &len);
    struct plot_opts o = { .out_dir = out, .db_path = "fix.db", .log = f };
    int rc = plot_figure_draw(st, fig, &o, err, sizeof err);
    fclose(f);
    if (rc != want_rc) fail_msg("%s: rc %d, want %d (%s)", fig, rc, want_rc, rc ? err : "");
    return log;
}

static void test_fig7(void **state)
{
    (void)state;
    if (!have_gnuplot) skip();
    struct store st;
    open_db(&st, "fig7.db");
    fixture_spec(&st, spec_find("fig7"), ";P 2;K 512;K 16;K 32;K 64;K 128;K 256;");
    char out[128];
    snprintf(out, sizeof out, "%s/figs", dir);
    char *log = draw(&st, "fig7", out, 0);
    check_outputs(out, "fig7");
    /* the two missing points, each named, and the command that makes them */
    assert_non_null(strstr(log, "fig7: missing point (P 2 | Amazon): no run"));
    assert_non_null(strstr(log, "fig7: missing point (K 512 | Amazon): no run"));
    assert_non_null(strstr(log, "7 of 26 points missing, not drawn: make them with `./apg reproduce fig7 --db fix.db`"));
    free(log);
    store_close(&st);
}

static void test_fig10(void **state)
{
    (void)state;
    if (!have_gnuplot) skip();
    struct store st;
    open_db(&st, "fig10.db");
    fixture_spec(&st, spec_find("fig10"), NULL);
    char out[128];
    snprintf(out, sizeof out, "%s/figs10", dir);
    char *log = draw(&st, "fig10", out, 0);
    check_outputs(out, "fig10");
    assert_null(strstr(log, "missing"));
    free(log);
    store_close(&st);
}

static void test_fig8(void **state)
{
    (void)state;
    if (!have_gnuplot) skip();
    struct store st;
    open_db(&st, "fig8.db");
    char err[512];
    struct run_env env = { .host = "fixturehost", .git_rev = "0123456789abcdef" };
    int64_t grid = store_grid_begin(&st, "fig8", "quick", "", "1..2", &env, err, sizeof err);
    const char *cols[2] = { "MovieLens", "Amazon" };     /* IAAC: no runs */
    for (int c = 0; c < 2; c++)
        for (int s = 1; s <= 2; s++)
            for (int apg = 0; apg < 2; apg++) {
                struct run_group g[10];
                for (int k = 0; k < 10; k++)
                    g[k] = (struct run_group){ .group = k, .users = 10, .instances = 20 + 30 * k * k,
                                               .positives = 5 + k, .auc = 0.6 + 0.01 * k + (apg ? 0.02 - 0.002 * k : 0),
                                               .ctr = 0.2, .mean_pred = 0.2 + (apg ? 0.01 : 0.03) };
                fixture_run(&st, grid, "fig8", apg ? "APG" : "Base", cols[c], s, 0.7 + 0.01 * apg, g);
            }
    char out[128];
    snprintf(out, sizeof out, "%s/figs8", dir);
    char *log = draw(&st, "fig8", out, 0);
    check_outputs(out, "fig8");
    assert_non_null(strstr(log, "fig8: missing point (Base | IAAC): no run"));
    assert_non_null(strstr(log, "fig8 (IAAC): no Base/APG pair with group metrics"));
    free(log);
    store_close(&st);
}

static void test_missing_and_errors(void **state)
{
    (void)state;
    struct store st;
    open_db(&st, "empty.db");
    char err[1024], out[128];
    snprintf(out, sizeof out, "%s/none", dir);
    struct plot_opts o = { .out_dir = out, .db_path = "fix.db", .log = stderr };
    /* no run at all: refused, naming the command; nothing written */
    assert_int_equal(plot_figure_draw(&st, "fig7", &o, err, sizeof err), 1);
    assert_non_null(strstr(err, "holds no finished run of it: make them with `./apg reproduce fig7 --db fix.db`"));
    assert_int_equal(plot_figure_draw(&st, "fig8", &o, err, sizeof err), 1);
    assert_non_null(strstr(err, "`./apg reproduce fig8 --db fix.db`"));
    struct stat sb;
    assert_true(stat(out, &sb) != 0);
    assert_int_equal(plot_figure_draw(&st, "fig11", &o, err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown figure 'fig11'"));
    assert_int_equal(plot_figure_draw(&st, "fig9", &o, err, sizeof err), 1);
    assert_non_null(strstr(err, "no group-wise run with generated parameters"));
    assert_non_null(strstr(err, "`./apg reproduce fig9 --db fix.db`"));
    store_close(&st);
    /* gnuplot absent: the install command */
    o.gnuplot = "/nonexistent/bin/gnuplot";
    assert_int_equal(plot_check_gnuplot(&o, err, sizeof err), -1);
    assert_non_null(strstr(err, "gnuplot not found"));
    assert_non_null(strstr(err, "apt-get install gnuplot-nox"));
    o.gnuplot = "gnuplot; rm -rf /";
    assert_int_equal(plot_check_gnuplot(&o, err, sizeof err), -1);
}

static int run_cmd(char **argv, int argc, const char *errfile)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(errfile, "w", stderr) || !freopen("/dev/null", "w", stdout)) _exit(99);
        int rc = cmd_plot(argc, argv);
        fflush(NULL);
        _exit(rc);
    }
    int ws;
    waitpid(pid, &ws, 0);
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
}

static void test_command(void **state)
{
    (void)state;
    char db[128], out[128], ef[128];
    snprintf(db, sizeof db, "%s/cmd.db", dir);
    snprintf(out, sizeof out, "%s/cmdfigs", dir);
    snprintf(ef, sizeof ef, "%s/stderr.txt", dir);
    char *bad[] = { "fig7", "--seeds", "2" };
    assert_int_equal(run_cmd(bad, 3, ef), 2);                /* runner options need --run-missing */
    char *unknown[] = { "fig6" };
    assert_int_equal(run_cmd(unknown, 1, ef), 2);
    if (!have_gnuplot) skip();
    struct store st;
    char err[512];
    assert_int_equal(store_open(&st, db, 0, err, sizeof err), 0);
    fixture_spec(&st, spec_find("fig7"), NULL);
    store_close(&st);
    char *ok[] = { "fig7", "--db", db, "--out", out };
    assert_int_equal(run_cmd(ok, 5, ef), 0);
    check_outputs(out, "fig7");
    char *nogp[] = { "fig7", "--db", db, "--out", out, "--gnuplot", "/nonexistent/gnuplot" };
    assert_int_equal(run_cmd(nogp, 7, ef), 1);
    size_t n;
    char *msg = (char *)slurp(ef, &n);
    assert_non_null(msg && strstr(msg, "apt-get install gnuplot-nox"));
    free(msg);
    /* fig10 has no runs in this DB: the command fails naming it */
    char *f10[] = { "fig10", "--db", db, "--out", out };
    assert_int_equal(run_cmd(f10, 5, ef), 1);
    msg = (char *)slurp(ef, &n);
    assert_non_null(msg && strstr(msg, "./apg reproduce fig10 --db"));
    free(msg);
}

/* apg plot fig9 --run-missing: trains the group-wise runs, which record S_i of the 10
 * most frequent categories at every adaptive layer, then draws the PCA. */
static void test_fig9_run_missing(void **state)
{
    (void)state;
    if (!have_gnuplot) skip();
    char db[128], out[128], ef[128], cache[128];
    snprintf(db, sizeof db, "%s/f9.db", dir);
    snprintf(out, sizeof out, "%s/f9figs", dir);
    snprintf(ef, sizeof ef, "%s/f9.err", dir);
    snprintf(cache, sizeof cache, "%s/cache", dir);
    char *argv[] = { "fig9", "--db", db, "--out", out, "--run-missing", "--data", "/nonexistent-apg-data",
                     "--cache-dir", cache, "--rows", "4000", "--seeds", "2", "--max-epochs", "1" };
    assert_int_equal(run_cmd(argv, (int)(sizeof argv / sizeof argv[0]), ef), 0);
    check_outputs(out, "fig9");
    struct store st;
    char err[512];
    assert_int_equal(store_open(&st, db, 1, err, sizeof err), 0);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM runs WHERE status = 'done'"), 4);
    /* 2 group-wise runs x 10 categories x 3 layers of 8 x 8; nothing for Base */
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM specific_params"), 60);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM specific_params WHERE rows = 8 AND cols = 8 AND "
                                       "length(data) = 256 AND field = 'category'"), 60);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM specific_params p JOIN runs r ON r.key = p.run_key "
                                       "WHERE r.apg = 'none'"), 0);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(DISTINCT layer) FROM specific_params"), 3);
    /* the values are the 10 categories most frequent in the training rows */
    struct run_data rd;
    run_data_resolve(&rd, SPEC_AMAZON, "/nonexistent-apg-data", cache, 4000, 1);
    assert_int_equal(run_data_load(&rd, err, sizeof err), 0);
    int fi = rd.d.category_field;
    assert_true(fi >= 0);
    const struct field *fl = &rd.d.fields[fi];
    long long cnt[4096] = { 0 };
    assert_true(fl->card < 4096 && !fl->multi);
    for (int i = 0; i < rd.s.n_train; i++) cnt[fl->ids[rd.s.train[i]]]++;
    cnt[0] = 0;
    for (int k = 0; k < 10; k++) {
        int best = 1;
        for (int v = 1; v < fl->card; v++)
            if (cnt[v] > cnt[best]) best = v;
        char q[200];
        snprintf(q, sizeof q, "SELECT COUNT(*) FROM specific_params WHERE value = %d AND layer = 0", best);
        if (db_query_int(&st, q) != 2) fail_msg("category %d (rank %d, %lld rows) not recorded twice", best, k, cnt[best]);
        cnt[best] = -1;
    }
    /* S_i differ between categories, and are finite */
    struct run_specific *sp;
    char field[64], key[65];
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(st.db, "SELECT run_key FROM specific_params LIMIT 1", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    snprintf(key, sizeof key, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    int n = store_specific_params(&st, key, &sp, field, err, sizeof err);
    assert_int_equal(n, 30);
    assert_string_equal(field, "category");
    double diff = 0;
    for (int i = 0; i < n; i++)
        for (int e = 0; e < 64; e++) {
            assert_true(isfinite(sp[i].data[e]));
            if (i >= 3) diff += fabs(sp[i].data[e] - sp[i % 3].data[e]);
        }
    assert_true(diff > 1e-6);
    store_specific_free(sp, n);
    run_data_free(&rd);
    store_close(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkers),
        cmocka_unit_test(test_fig7),
        cmocka_unit_test(test_fig10),
        cmocka_unit_test(test_fig8),
        cmocka_unit_test(test_missing_and_errors),
        cmocka_unit_test(test_command),
        cmocka_unit_test(test_fig9_run_missing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
