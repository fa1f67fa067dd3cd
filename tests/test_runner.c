/* The experiment runner: canonical configurations and run keys (stable, insensitive to
 * option order, sensitive to every value and to the dataset), a runner killed with
 * SIGKILL mid-grid and resumed (no run lost, none duplicated, done runs not redone), two
 * runner processes on one DB (every run trained exactly once), the table printer on a
 * fixture DB (exact text, missing cells, gain with both tests), and a tiny end-to-end
 * `apg reproduce` of two tables sharing runs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "commands.h"
#include "db_testutil.h"
#include "runner.h"
#include "table.h"

static char dir[64];
static struct run_data data;   /* a synthetic stand-in shared by the runner tests */

static int setup(void **state)
{
    (void)state;
    if (db_test_mkdir(dir, "apg_runner_")) return -1;
    static char cache[96];
    snprintf(cache, sizeof cache, "%s/cache", dir);
    run_data_resolve(&data, SPEC_MOVIELENS, "/nonexistent-apg-data", cache, 12000, 1);
    char err[512];
    if (run_data_load(&data, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    run_data_free(&data);
    db_test_rmdir(dir);
    return 0;
}

/* ---- configuration and keys --------------------------------------------------- */

static const struct spec_cell k_cells[] = {
    { .row = "a", .col = "c", .data = SPEC_MOVIELENS, .args = "--apg v6 --K 4 --condition group:{U}" },
    { .row = "b", .col = "c", .data = SPEC_MOVIELENS, .args = "--condition group:{U} --K 4 --apg v6" },
    { .row = "d", .col = "c", .data = SPEC_MOVIELENS, .args = "--condition group:{U} --K 2 --apg v6" },
    { .row = "e", .col = "c", .data = SPEC_MOVIELENS, .args = "--backbone wdl --apg none" },
    { .row = "f", .col = "c", .data = SPEC_MOVIELENS, .args = "" },
    { .row = "g", .col = "c", .data = SPEC_MOVIELENS, .args = "--backbone nosuch" },
    { .row = "h", .col = "c", .data = SPEC_MOVIELENS, .args = "--apg v1 --K 4" },
};
static const struct spec_table k_spec = { .name = "keys", .title = "keys", .metrics = SPEC_BIT(SPEC_AUC),
                                          SPEC_CELLS(k_cells) };

static void test_config_key(void **state)
{
    (void)state;
    struct run_defaults def = { 2, 1, 1024, 0.005f, 0 };
    struct run_cfg rc[6];
    char err[512];
    for (int i = 0; i < 5; i++) assert_int_equal(run_cfg_build(&rc[i], &k_spec, &k_cells[i], &data, &def, 1, 0, 0, err, sizeof err), 0);
    /* option order does not matter; defaults spelt out or not give the same run */
    assert_string_equal(rc[0].config_json, rc[1].config_json);
    assert_string_equal(rc[0].key, rc[1].key);
    assert_string_equal(rc[3].key, rc[4].key);
    /* any value changes it */
    assert_string_not_equal(rc[0].key, rc[2].key);
    assert_string_not_equal(rc[0].key, rc[3].key);
    /* placeholders resolved, every option present with its value, keys sorted */
    assert_non_null(strstr(rc[0].config_json, "\"condition\":\"group:user_id\""));
    assert_non_null(strstr(rc[0].config_json, "\"K\":4"));
    assert_non_null(strstr(rc[0].config_json, "\"lr\":0.00499999989"));
    assert_non_null(strstr(rc[0].config_json, "\"epochs\":2"));
    assert_null(strstr(rc[0].config_json, "threads"));
    assert_null(strstr(rc[0].config_json, "cache-dir"));
    /* options added after runs were stored enter the key only when set, so stored runs
     * keep their keys */
    static const char *const late[] = { "train-file", "val-file", "test-file", "val-frac", "time-col",
                                        "hash-buckets", "user-field", "gen-lr", "numeric", "micro-batches" };
    for (size_t i = 0; i < sizeof late / sizeof late[0]; i++) assert_null(strstr(rc[0].config_json, late[i]));
    assert_non_null(strstr(rc[0].config_json, "\"split\":\"random\""));
    struct model_opts mo;
    struct train_cfg tc;
    struct data_opts dop;
    model_opts_default(&mo);
    train_cfg_default(&tc);
    data_opts_default(&dop);
    char *j0 = run_config_json(&mo, &tc, &dop);
    dop.user_field = "user_id";
    dop.val_frac = 0.2;
    char *j1 = run_config_json(&mo, &tc, &dop);
    assert_null(strstr(j0, "user-field"));
    assert_non_null(strstr(j1, "\"user-field\":\"user_id\""));
    assert_non_null(strstr(j1, "\"val-frac\":0.2"));
    assert_null(strstr(j0, "micro-batches"));            /* a training option added late, too */
    tc.micro = 4;
    char *j2 = run_config_json(&mo, &tc, &dop);
    assert_non_null(strstr(j2, "\"micro-batches\":4"));
    free(j0);
    free(j1);
    free(j2);
    const char *prev = "";
    for (const char *p = strchr(rc[0].config_json, '"'); p; ) {
        const char *e = strchr(p + 1, '"');
        char k[64];
        snprintf(k, sizeof k, "%.*s", (int)(e - p - 1), p + 1);
        assert_true(strcmp(prev, k) < 0 || !prev[0]);
        static char keep[64];
        snprintf(keep, sizeof keep, "%s", k);
        prev = keep;
        /* next key: after the value's end */
        const char *comma = strstr(e, ",\"");
        p = comma ? comma + 1 : NULL;
    }
    /* the grid point overrides the cell, the seed is part of the run */
    struct run_cfg g, s2;
    assert_int_equal(run_cfg_build(&g, &k_spec, &k_cells[0], &data, &def, 1, 6, 64, err, sizeof err), 0);
    assert_int_equal(g.K, 6);
    assert_int_equal(g.P, 64);
    assert_int_equal(run_cfg_build(&s2, &k_spec, &k_cells[0], &data, &def, 2, 0, 0, err, sizeof err), 0);
    assert_string_not_equal(s2.key, rc[0].key);
    /* stable across processes: the key of a fixed input is a fixed SHA-256 */
    char key[65];
    run_key(key, "{\"a\":1}", "ds", 10, "abc");
    assert_string_equal(key, "ce7afe360d790216bcf1801823163839945d99f9d6a9dd77cd39b5eb6269beba");
    run_key(key, rc[0].config_json, data.d.name, data.d.n_rows, "another dataset");
    assert_string_not_equal(key, rc[0].key);
    /* a bad cell names itself */
    assert_int_equal(run_cfg_build(&rc[5], &k_spec, &k_cells[5], &data, &def, 1, 0, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "keys g / c"));
    assert_non_null(strstr(err, "nosuch"));
    /* an option that would do nothing is a defect of the cell, named as such */
    assert_int_equal(run_cfg_build(&rc[5], &k_spec, &k_cells[6], &data, &def, 1, 0, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "keys h / c"));
    assert_non_null(strstr(err, "no effect"));
    for (int i = 0; i < 5; i++) run_cfg_free(&rc[i]);
    run_cfg_free(&g);
    run_cfg_free(&s2);
}

/* ---- runner processes ---------------------------------------------------------- */

static const struct spec_cell r_cells[] = {
    { .row = "Base", .col = "M", .data = SPEC_MOVIELENS, .args = "" },
    { .row = "APG", .col = "M", .data = SPEC_MOVIELENS, .args = "--apg v3", .base_row = "Base" },
};
static const struct spec_table r_spec = { .name = "rtest", .title = "runner test", .metrics = SPEC_BIT(SPEC_AUC),
                                          SPEC_CELLS(r_cells) };
#define R_SEEDS 4
#define R_RUNS (2 * R_SEEDS)

static int64_t build_runs(struct store *st, struct run_cfg *runs, int epochs)
{
    struct run_defaults def = { epochs, 100, 1024, 0.005f, 0 };
    char err[512];
    int n = 0;
    for (int c = 0; c < 2; c++)
        for (int s = 1; s <= R_SEEDS; s++)
            assert_int_equal(run_cfg_build(&runs[n++], &r_spec, &r_cells[c], &data, &def, s, 0, 0, err, sizeof err), 0);
    struct run_env env = { .host = "h", .git_rev = "r" };
    int64_t grid = store_grid_begin(st, "rtest", "quick", "", "1..4", &env, err, sizeof err);
    assert_true(grid > 0);
    assert_int_equal(runner_schedule(st, grid, runs, n, err, sizeof err), 0);
    return grid;
}

static pid_t spawn_runner(const char *path, struct run_cfg *runs, int n)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout)) _exit(99);
        struct store st;
        char err[512];
        if (store_open(&st, path, 0, err, sizeof err)) _exit(98);
        struct runner_opts ro = { .jobs = 1, .threads = 1, .stale_s = 600 };
        struct runner_stats rs;
        int rc = runner_execute(&st, runs, n, &ro, &rs, err, sizeof err);
        store_close(&st);
        _exit(rc == 0 ? 0 : 97);
    }
    return pid;
}

static void test_kill9_resume(void **state)
{
    (void)state;
    char path[128], err[512];
    snprintf(path, sizeof path, "%s/kill.db", dir);
    struct store st;
    assert_int_equal(store_open(&st, path, 0, err, sizeof err), 0);
    struct run_cfg runs[R_RUNS];
    build_runs(&st, runs, 4);
    pid_t pid = spawn_runner(path, runs, R_RUNS);
    /* wait until two runs are done and a third is training, then kill the runner */
    int ok = 0;
    for (int i = 0; i < 6000 && !ok; i++) {
        ok = db_query_int(&st, "SELECT COUNT(*) FROM runs WHERE status = 'done'") >= 2 &&
             db_query_int(&st, "SELECT COUNT(*) FROM runs WHERE status = 'running'") == 1;
        if (!ok) nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
    }
    assert_true(ok);
    kill(pid, SIGKILL);
    int ws;
    waitpid(pid, &ws, 0);
    assert_true(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
    long long done_before = db_query_int(&st, "SELECT COUNT(*) FROM runs WHERE status = 'done'");
    assert_true(done_before >= 2 && done_before < R_RUNS);
    /* the run in training when the signal came (none if it hit between two runs) */
    long long held = db_query_int(&st, "SELECT COUNT(*) FROM runs WHERE status = 'running'");
    assert_true(held <= 1);
    double sum_finished;
    {
        sqlite3_stmt *s;
        assert_int_equal(sqlite3_prepare_v2(st.db, "SELECT SUM(finished_at) FROM runs WHERE status = 'done'", -1, &s,
                                            NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        sum_finished = sqlite3_column_double(s, 0);
        sqlite3_finalize(s);
    }
    /* resume in this process: the dead runner's run is reaped, killed and redone */
    struct runner_opts ro = { .jobs = 2, .threads = 1, .stale_s = 600, .quiet = 1 };
    struct runner_stats rs;
    assert_int_equal(runner_execute(&st, runs, R_RUNS, &ro, &rs, err, sizeof err), 0);
    assert_int_equal(rs.done_before, done_before);
    assert_int_equal(rs.ran_ok, R_RUNS - done_before);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM runs"), R_RUNS);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM runs WHERE status = 'done'"), R_RUNS);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM runs WHERE attempts = 2"), held);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM runs WHERE attempts > 2"), 0);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM predictions"), R_RUNS);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(DISTINCT run_key) FROM epochs"), R_RUNS);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM epochs WHERE epoch > 4"), 0);
    /* the runs done before the kill are untouched */
    {
        sqlite3_stmt *s;
        double sum_after = 0;
        assert_int_equal(sqlite3_prepare_v2(st.db, "SELECT SUM(finished_at) FROM (SELECT finished_at FROM runs "
                                            "WHERE status = 'done' ORDER BY finished_at LIMIT ?1)", -1, &s, NULL),
                         SQLITE_OK);
        sqlite3_bind_int64(s, 1, done_before);
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        sum_after = sqlite3_column_double(s, 0);
        sqlite3_finalize(s);
        assert_true(sum_after == sum_finished);   /* the same rows, never rewritten */
    }
    /* a third pass has nothing to do */
    assert_int_equal(runner_execute(&st, runs, R_RUNS, &ro, &rs, err, sizeof err), 0);
    assert_int_equal(rs.to_run, 0);
    assert_int_equal(rs.done_before, R_RUNS);
    store_close(&st);
    for (int i = 0; i < R_RUNS; i++) run_cfg_free(&runs[i]);
}

static void test_two_runners(void **state)
{
    (void)state;
    char path[128], err[512];
    snprintf(path, sizeof path, "%s/two.db", dir);
    struct store st;
    assert_int_equal(store_open(&st, path, 0, err, sizeof err), 0);
    struct run_cfg runs[R_RUNS];
    build_runs(&st, runs, 1);
    pid_t a = spawn_runner(path, runs, R_RUNS), b = spawn_runner(path, runs, R_RUNS);
    int wa, wb;
    waitpid(a, &wa, 0);
    waitpid(b, &wb, 0);
    assert_true(WIFEXITED(wa) && WEXITSTATUS(wa) == 0);
    assert_true(WIFEXITED(wb) && WEXITSTATUS(wb) == 0);
    /* every run done once: no row lost, none trained twice */
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM runs"), R_RUNS);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM runs WHERE status = 'done' AND attempts = 1"), R_RUNS);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM predictions"), R_RUNS);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM grid_runs"), R_RUNS);
    /* the APG cell learned (its runs are real trainings, not placeholders) */
    assert_true(db_query_int(&st, "SELECT MIN(test_auc) > 0.6 FROM runs") == 1);
    store_close(&st);
    for (int i = 0; i < R_RUNS; i++) run_cfg_free(&runs[i]);
}

static const struct spec_cell f_cells[] = {
    { .row = "Base", .col = "M", .data = SPEC_MOVIELENS, .args = "" },
    { .row = "Bad", .col = "M", .data = SPEC_MOVIELENS, .args = "--apg v3 --condition group:nosuch", .base_row = "Base" },
};
static const struct spec_table f_spec = { .name = "ftest", .title = "failing runs", .metrics = SPEC_BIT(SPEC_AUC),
                                          SPEC_CELLS(f_cells) };

/* A run the model cannot be built for fails with its reason, stays failed, and is
 * retried only on request; the table shows it as failed with the reason below. */
static void test_failed_run_kept(void **state)
{
    (void)state;
    char path[128], err[512];
    snprintf(path, sizeof path, "%s/fail.db", dir);
    struct store st;
    assert_int_equal(store_open(&st, path, 0, err, sizeof err), 0);
    struct run_defaults def = { 1, 1, 1024, 0.005f, 0 };
    struct run_cfg runs[2];
    for (int c = 0; c < 2; c++)
        assert_int_equal(run_cfg_build(&runs[c], &f_spec, &f_cells[c], &data, &def, 1, 0, 0, err, sizeof err), 0);
    struct run_env env = { .host = "h", .git_rev = "r" };
    int64_t grid = store_grid_begin(&st, "ftest", "quick", "", "1..1", &env, err, sizeof err);
    assert_int_equal(runner_schedule(&st, grid, runs, 2, err, sizeof err), 0);
    struct runner_opts ro = { .jobs = 1, .threads = 1, .stale_s = 600, .quiet = 1 };
    struct runner_stats rs;
    assert_int_equal(runner_execute(&st, runs, 2, &ro, &rs, err, sizeof err), 0);
    assert_int_equal(rs.ran_ok, 1);
    assert_int_equal(rs.ran_failed, 1);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM runs WHERE status = 'failed' AND error LIKE '%nosuch%'"), 1);
    assert_int_equal(runner_execute(&st, runs, 2, &ro, &rs, err, sizeof err), 0);
    assert_int_equal(rs.to_run, 0);
    assert_int_equal(rs.skipped_failed, 1);
    ro.retry_failed = 1;
    assert_int_equal(runner_execute(&st, runs, 2, &ro, &rs, err, sizeof err), 0);
    assert_int_equal(rs.to_run, 1);
    assert_int_equal(rs.ran_failed, 1);
    assert_int_equal(db_query_int(&st, "SELECT attempts FROM runs WHERE status = 'failed'"), 2);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(table_print(f, &st, &f_spec, grid, TABLE_TEXT, err, sizeof err), 0);
    fclose(f);
    assert_non_null(strstr(buf, "Bad   ours      failed\n"));
    assert_non_null(strstr(buf, "failed runs (apg reproduce ftest --retry-failed reruns them):"));
    assert_non_null(strstr(buf, "  Bad | M: "));
    free(buf);
    store_close(&st);
    for (int c = 0; c < 2; c++) run_cfg_free(&runs[c]);
}

/* ---- the table printer on a fixture DB ---------------------------------------- */

static const struct spec_cell t_cells[] = {
    { .row = "Base", .col = "A", .data = SPEC_MOVIELENS, .args = "", .paper = P_AUC(79.21) },
    { .row = "APG", .col = "A", .data = SPEC_MOVIELENS, .args = "--apg v6", .base_row = "Base", .paper = P_AUC(79.6) },
    { .row = "Base", .col = "B", .data = SPEC_AMAZON, .args = "", .paper = P_AUC(69.15) },
    { .row = "APG", .col = "B", .data = SPEC_AMAZON, .args = "--apg v6", .base_row = "Base", .paper = P_AUC(69.37) },
};
static const struct spec_table t_spec = { .name = "tfix", .title = "Fixture table", .note = "a note",
                                          .metrics = SPEC_BIT(SPEC_AUC), SPEC_CELLS(t_cells) };

/* One finished run of a fixture grid at grid point (K, P) with the given test and
 * validation AUC. */
static void fixture_run_at(struct store *st, int64_t grid, const char *row, const char *col, int seed, int K,
                           int P, double auc, double val, int good)
{
    char err[512];
    struct run_plan p = { .spec = "tfix", .config_json = "{}", .backbone = "wdl", .apg = "none", .condition = "self",
                          .hidden = "", .apg_init = "", .dataset = "d", .data_kind = "real", .data_note = "",
                          .dataset_checksum = "", .label_rule = "", .split = "random" };
    snprintf(p.key, sizeof p.key, "%s-%s-%d-%d-%d", row, col, seed, K, P);
    assert_int_equal(store_schedule(st, &p, err, sizeof err), 0);
    assert_int_equal(store_grid_link(st, grid, row, col, seed, K, P, p.key, err, sizeof err), 0);
    struct run_env env = { "h", "c", "cc", "", "", "r", 0, 1, (int)getpid(), NULL };
    assert_int_equal(store_claim(st, p.key, &env, 0, err, sizeof err), 1);
    /* 200 test rows: "good" scores separate the classes, the others are noise */
    float sc[200], lb[200];
    uint32_t x = 12345u + (uint32_t)seed;
    for (int i = 0; i < 200; i++) {
        x = x * 1664525u + 1013904223u;
        lb[i] = (float)(i % 2);
        sc[i] = (float)(x >> 8) / 16777216.0f + (good ? 0.8f * lb[i] : 0.0f);
    }
    struct run_result r = { .test_auc = auc, .val_auc = val, .n_test = 200, .scores = sc, .labels = lb,
                            .rows_hash = "same", .serving_form = "none" };
    assert_int_equal(store_finish(st, p.key, &r, err, sizeof err), 0);
}

static void fixture_run(struct store *st, int64_t grid, const char *row, const char *col, int seed, double auc,
                        int good)
{
    fixture_run_at(st, grid, row, col, seed, 8, 32, auc, auc, good);
}

static void test_table_fixture(void **state)
{
    (void)state;
    char path[128], err[512];
    snprintf(path, sizeof path, "%s/table.db", dir);
    struct store st;
    assert_int_equal(store_open(&st, path, 0, err, sizeof err), 0);
    struct run_env env = { .host = "fixturehost", .git_rev = "0123456789abcdef" };
    int64_t grid = store_grid_begin(&st, "tfix", "quick", "", "1..3", &env, err, sizeof err);
    const double base_a[3] = { 0.70, 0.71, 0.72 }, apg_a[3] = { 0.72, 0.735, 0.74 };
    for (int s = 0; s < 3; s++) {
        fixture_run(&st, grid, "Base", "A", s + 1, base_a[s], 0);
        fixture_run(&st, grid, "APG", "A", s + 1, apg_a[s], 1);
    }
    fixture_run(&st, grid, "Base", "B", 1, 0.60, 0);
    fixture_run(&st, grid, "Base", "B", 2, 0.62, 0);
    /* APG | B: no run at all -> missing */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(table_print(f, &st, &t_spec, 0, TABLE_TEXT, err, sizeof err), 0);
    fclose(f);
    const char *expect =
        "Fixture table\n"
        "                           A                B\n"
        "Base  ours   71.00+-1.00 (3)  61.00+-1.41 (2)\n"
        "      paper            79.21            69.15\n"
        "APG   ours   73.17+-1.04 (3)          missing\n"
        "      paper            79.60            69.37\n"
        "      gain          +2.17 *#                -\n";
    assert_memory_equal(buf, expect, strlen(expect));
    assert_non_null(strstr(buf, "note: a note\n"));
    assert_non_null(strstr(buf, "1 of 4 cells have no finished run yet: apg reproduce tfix runs them\n"));
    assert_non_null(strstr(buf, "host fixturehost, git 0123456789ab\n"));
    free(buf);
    /* csv: long form, the gain with both p-values */
    f = open_memstream(&buf, &len);
    assert_int_equal(table_print(f, &st, &t_spec, grid, TABLE_CSV, err, sizeof err), 0);
    fclose(f);
    assert_non_null(strstr(buf, "tfix,\"APG\",\"B\",AUC,,,0,69.37,,1.00318,,,,0,0,missing\n"));
    const char *apg = strstr(buf, "tfix,\"APG\",\"A\",AUC,73.1667,1.04083,3,79.6,");
    assert_non_null(apg);
    /* paired t on differences 2, 2.5, 2: t = 13, df 2 -> p = 0.00587 */
    assert_non_null(strstr(apg, ",2.16667,0.00586"));
    free(buf);
    /* a table with no grid says how to make one */
    struct spec_table other = t_spec;
    other.name = "nogrid";
    f = open_memstream(&buf, &len);
    assert_int_equal(table_print(f, &st, &other, 0, TABLE_TEXT, err, sizeof err), 1);
    fclose(f);
    assert_non_null(strstr(buf, "apg reproduce nogrid"));
    free(buf);
    store_close(&st);
}

/* Full mode: the grid point with the best mean validation AUC over the seeds is the
 * cell's, whatever its test AUC, and the footer names it. */
static void test_grid_choice(void **state)
{
    (void)state;
    char path[128], err[512];
    snprintf(path, sizeof path, "%s/gridchoice.db", dir);
    struct store st;
    assert_int_equal(store_open(&st, path, 0, err, sizeof err), 0);
    struct run_env env = { .host = "h", .git_rev = "r" };
    int64_t grid = store_grid_begin(&st, "tfix", "full", "", "1..2", &env, err, sizeof err);
    for (int s = 1; s <= 2; s++) {
        fixture_run_at(&st, grid, "Base", "A", s, 8, 32, 0.70, 0.70, 0);
        fixture_run_at(&st, grid, "APG", "A", s, 2, 32, 0.80, 0.70 + 0.01 * s, 1);   /* mean val 0.715 */
        fixture_run_at(&st, grid, "APG", "A", s, 4, 64, 0.60, 0.74, 1);              /* mean val 0.74 */
        fixture_run_at(&st, grid, "APG", "A", s, 8, 512, 0.90, 0.73, 1);             /* mean val 0.73 */
    }
    fixture_run_at(&st, grid, "APG", "A", 1, 6, 128, 0.99, 0.99, 1);                 /* one seed only */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(table_print(f, &st, &t_spec, grid, TABLE_TEXT, err, sizeof err), 0);
    fclose(f);
    assert_non_null(strstr(buf, "APG   ours   60.00+-0.00 (2)"));
    assert_non_null(strstr(buf, "chosen on validation AUC (K, P): APG|A K 4 P 64;"));
    free(buf);
    store_close(&st);
}

/* ---- end to end ------------------------------------------------------------------ */

static int reproduce(char **argv, int argc, const char *out)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(out, "w", stdout)) _exit(99);
        int rc = cmd_reproduce(argc, argv);
        fflush(stdout);
        _exit(rc);
    }
    int ws;
    waitpid(pid, &ws, 0);
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
}

static void test_e2e_two_specs(void **state)
{
    (void)state;
    char db[128], cache[128], out[128];
    snprintf(db, sizeof db, "%s/e2e.db", dir);
    snprintf(cache, sizeof cache, "%s/cache", dir);
    snprintf(out, sizeof out, "%s/e2e.out", dir);
    char *argv[] = { "table6", "table11", "--db", db, "--data", "/nonexistent-apg-data", "--cache-dir", cache,
                     "--rows", "4000", "--seeds", "1", "--max-epochs", "1", "--jobs", "2" };
    int argc = (int)(sizeof argv / sizeof argv[0]);
    assert_int_equal(reproduce(argv, argc, out), 0);
    static char text[1 << 16];
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    assert_non_null(strstr(text, "Table 6"));
    assert_non_null(strstr(text, "Table 11"));
    assert_non_null(strstr(text, "WARNING: MovieLens:"));
    assert_non_null(strstr(text, "SYNTHETIC"));
    assert_null(strstr(text, "missing"));
    /* 9 + 12 cells, base and v6 shared: 15 runs trained once */
    assert_non_null(strstr(text, "15 runs: 15 to train"));
    struct store st;
    char err[512];
    assert_int_equal(store_open(&st, db, 1, err, sizeof err), 0);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM runs WHERE status = 'done'"), 15);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM grid_runs"), 21);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM grids"), 2);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM runs WHERE data_kind = 'synthetic-fallback' AND "
                                    "data_note LIKE '%SYNTHETIC%'"), 15);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM runs WHERE test_auc > 0.55 AND latency_ms_1024 > 0"), 15);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM group_metrics WHERE grp = 9"), 15);
    store_close(&st);
    /* again: nothing to train, the same tables */
    assert_int_equal(reproduce(argv, argc, out), 0);
    f = fopen(out, "r");
    assert_non_null(f);
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    assert_non_null(strstr(text, "15 runs: 0 to train, 15 already stored"));
    /* usage errors */
    char *bad[] = { "table99", "--db", db };
    assert_int_equal(reproduce(bad, 3, out), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_key),
        cmocka_unit_test(test_kill9_resume),
        cmocka_unit_test(test_two_runners),
        cmocka_unit_test(test_failed_run_kept),
        cmocka_unit_test(test_table_fixture),
        cmocka_unit_test(test_grid_choice),
        cmocka_unit_test(test_e2e_two_specs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
