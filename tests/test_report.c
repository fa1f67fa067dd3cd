/* The reproduction report (results/report.c, apg report): the verdict rule; on a
 * fixture DB every paper table appears, a held table with its cells, gains and verdicts
 * and its missing cells marked, the others with the command that makes them; figures
 * are drawn beside README.md when gnuplot is there. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "db_testutil.h"
#include "plot.h"
#include "report.h"
#include "spec.h"
#include "store.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    return db_test_mkdir(dir, "apg_report_");
}

static int teardown(void **state)
{
    (void)state;
    db_test_rmdir(dir);
    return 0;
}

static void test_judge(void **state)
{
    (void)state;
    assert_int_equal(report_judge(0.40, 0.10, 3, 0.39), VERDICT_REPRODUCED);
    assert_int_equal(report_judge(0.60, 0.10, 3, 0.39), VERDICT_BETTER);    /* 0.21 > 2 x 0.10 */
    assert_int_equal(report_judge(0.18, 0.10, 3, 0.39), VERDICT_WORSE);
    assert_int_equal(report_judge(0.59, 0.10, 3, 0.39), VERDICT_REPRODUCED); /* on the edge */
    assert_int_equal(report_judge(0.40, NAN, 1, 0.39), VERDICT_ONE_SEED);
    assert_int_equal(report_judge(NAN, NAN, 0, 0.39), VERDICT_MISSING);
    assert_int_equal(report_judge(0.40, 0.1, 3, NAN), VERDICT_NONE);
    assert_non_null(strstr(report_verdict_name(VERDICT_REPRODUCED), "reproduced"));
}

static void fixture_run(struct store *st, int64_t grid, const char *spec, const char *row, const char *col, int seed,
                        double auc, const char *kind)
{
    char err[512];
    struct run_plan p = { .spec = spec, .config_json = "{}", .backbone = "wdl", .apg = "v3", .condition = "self",
                          .hidden = "", .apg_init = "", .dataset = "ds", .data_kind = kind, .data_note = "",
                          .dataset_rows = 1000, .dataset_checksum = "", .label_rule = "", .split = "random" };
    snprintf(p.key, sizeof p.key, "%s-%s-%s-%d", spec, row, col, seed);
    assert_int_equal(store_schedule(st, &p, err, sizeof err), 0);
    assert_int_equal(store_grid_link(st, grid, row, col, seed, 8, 32, p.key, err, sizeof err), 0);
    struct run_env env = { "fixhost", "cpu", "cc", "", "", "feedfacecafe", 0, 1, (int)getpid(), NULL };
    assert_int_equal(store_claim(st, p.key, &env, 0, err, sizeof err), 1);
    struct run_result r = { .test_auc = auc, .val_auc = auc, .serving_form = "v3" };
    assert_int_equal(store_finish(st, p.key, &r, err, sizeof err), 0);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long l = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)l + 1);
    if (b && fread(b, 1, (size_t)l, f) != (size_t)l) l = 0;
    fclose(f);
    if (b) b[l] = 0;
    return b;
}

static void test_report_fixture(void **state)
{
    (void)state;
    char path[128], out[128], err[1024];
    snprintf(path, sizeof path, "%s/rep.db", dir);
    snprintf(out, sizeof out, "%s/report", dir);
    struct store st;
    assert_int_equal(store_open(&st, path, 0, err, sizeof err), 0);
    struct run_env env = { .host = "fixhost", .git_rev = "feedfacecafe" };
    int64_t grid = store_grid_begin(&st, "table6", "quick", "", "1..3", &env, err, sizeof err);
    /* MovieLens real: Base 79.20 +- 0.10 (paper 79.21), v3 gain +0.35 +- 0.05 (paper +0.35),
     * v6 missing; Amazon synthetic: Base, v3 gain +1.5 (paper +0.19: better), v6 gain -0.5 (worse) */
    const double ml_base[3] = { 0.791, 0.792, 0.793 };
    for (int s = 0; s < 3; s++) {
        fixture_run(&st, grid, "table6", "Base", "MovieLens", s + 1, ml_base[s], "real");
        fixture_run(&st, grid, "table6", "v3", "MovieLens", s + 1, ml_base[s] + 0.0035 + 0.0005 * (s - 1), "real");
        fixture_run(&st, grid, "table6", "Base", "Amazon", s + 1, 0.70 + 0.001 * s, "synthetic-fallback");
        fixture_run(&st, grid, "table6", "v3", "Amazon", s + 1, 0.715 + 0.001 * s + 0.0001 * s * s, "synthetic-fallback");
        fixture_run(&st, grid, "table6", "v6", "Amazon", s + 1, 0.695 + 0.001 * s - 0.0001 * s * s, "synthetic-fallback");
    }
    /* Figure 7: two points of 26 */
    int64_t g7 = store_grid_begin(&st, "fig7", "quick", "", "1..2", &env, err, sizeof err);
    for (int s = 1; s <= 2; s++) {
        fixture_run(&st, g7, "fig7", "Base", "Amazon", s, 0.70 + 0.001 * s, "synthetic-fallback");
        fixture_run(&st, g7, "fig7", "P 32", "Amazon", s, 0.71 + 0.001 * s, "synthetic-fallback");
    }
    struct report_opts o = { .out_dir = out, .db_path = "rep.db", .log = stderr };
    assert_int_equal(report_write(&st, &o, err, sizeof err), 0);
    store_close(&st);
    char rp[160];
    snprintf(rp, sizeof rp, "%s/README.md", out);
    char *r = slurp(rp);
    assert_non_null(r);
    /* every paper table and figure has a section */
    for (int i = 0; i < spec_count(); i++) {
        char h[256];
        snprintf(h, sizeof h, "## %s\n", spec_at(i)->title);
        if (!strstr(r, h)) fail_msg("no section '%s'", spec_at(i)->title);
    }
    assert_non_null(strstr(r, "**Not in the DB**: `./apg reproduce table3 --db rep.db` makes it."));
    assert_non_null(strstr(r, "**Not in the DB**: `./apg reproduce fig10 --db rep.db` makes it (or `./apg plot fig10 --run-missing --db rep.db`)"));
    assert_null(strstr(r, "**Not in the DB**: `./apg reproduce table6"));
    /* table 6: the printed table, its missing cells marked, and the verdicts */
    const char *t6 = strstr(r, "## Table 6");
    if (getenv("REPORT_DUMP")) fputs(t6, stderr);
    assert_non_null(t6);
    assert_non_null(strstr(t6, "| Base | ours | 79.20+-0.10 (3) |"));
    assert_non_null(strstr(t6, "| v6 | MovieLens | missing | gain +0.39 | **missing** |"));
    assert_non_null(strstr(t6, "| v6 | IAAC | missing |"));
    assert_non_null(strstr(t6, "| Base | MovieLens | 79.20 +- 0.10 (3) | 79.21 | reproduced"));
    assert_non_null(strstr(t6, "| v3 | MovieLens | gain +0.35 +- 0.05 (3) | gain +0.35 | reproduced"));
    assert_non_null(strstr(t6, "| Base | Amazon | 70.10 +- 0.10 (3) | 69.15 | not comparable (synthetic stand-in) |"));
    assert_non_null(strstr(t6, "| v3 | Amazon | gain +1.52 +- 0.02 (3) |"));
    assert_non_null(strstr(t6, "| gain +0.19 | better than the paper |"));
    assert_non_null(strstr(t6, "| gain +0.22 | worse than the paper |"));
    assert_non_null(strstr(t6, "Verdicts: 2 reproduced, 1 better, 1 worse, 0 one seed, 1 synthetic (absolute AUC), "
                               "4 missing."));
    /* Figure 7 beside the report, with its missing points named */
    const char *f7 = strstr(r, "## Figure 7");
    assert_non_null(f7);
    assert_non_null(strstr(f7, "- fig7: missing point (P 2 | Amazon): no run"));
    char err2[512];
    struct plot_opts probe = { 0 };
    if (plot_check_gnuplot(&probe, err2, sizeof err2) == 0) {
        assert_non_null(strstr(f7, "![fig7](fig7.png)"));
        char png[160];
        snprintf(png, sizeof png, "%s/fig7.png", out);
        struct stat sb;
        assert_int_equal(stat(png, &sb), 0);
        assert_true(sb.st_size > 10000);
    } else {
        fprintf(stderr, "test_report: gnuplot absent (%s): only the report text is checked\n", err2);
        assert_non_null(strstr(f7, "Figure not drawn: gnuplot not found"));
    }
    /* where the runs came from */
    assert_non_null(strstr(r, "| fixhost | feedfacecafe | 0 |"));
    assert_non_null(strstr(r, "| ds | real | 1000 | 6 |"));
    assert_non_null(strstr(r, "| ds | synthetic-fallback | 1000 | 13 |"));
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_judge),
        cmocka_unit_test(test_report_fixture),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
