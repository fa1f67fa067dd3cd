/* The results store: schema creation and upgrade from version 1, a run written and read
 * back equal (metrics, epochs, groups, test scores), the lifecycle rules (a done run is
 * never claimed again, a failed one only with retry, a dead runner's rows are reaped),
 * refusal of a corrupt, foreign or newer DB without touching it, and `apg results --sql`
 * refusing writes. */
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
#include <sys/wait.h>
#include <unistd.h>
#include "commands.h"
#include "db_testutil.h"
#include "store.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    return db_test_mkdir(dir, "apg_store_");
}

static int teardown(void **state)
{
    (void)state;
    db_test_rmdir(dir);
    return 0;
}

static void db_path(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", dir, name); }

static struct run_plan plan(const char *key_char)
{
    struct run_plan p = {
        .spec = "table3", .config_json = "{\"apg\":\"v6\"}", .backbone = "wdl", .apg = "v6", .condition = "self",
        .hidden = "256,128,64", .apg_init = "scaled", .K = 8, .P = 32, .gen_layers = 1, .gen_hidden = 64,
        .emb_dim = 16, .gen_scale = 0.1, .chain_lr = 0, .epochs_max = 3, .patience = 1, .batch = 1024, .lr = 0.005,
        .l2 = 0, .seed = 2, .dataset = "synthetic:ml1m", .data_kind = "synthetic-fallback", .data_note = "stand-in",
        .dataset_rows = 1000, .dataset_checksum = "abc", .label_rule = "rule", .split = "random",
        .n_train = 800, .n_val = 100, .n_test = 100,
    };
    memset(p.key, key_char[0], 64);
    p.key[64] = 0;
    return p;
}

static const struct run_env env = { "testhost", "cpu", "cc", "-O2", "skx", "deadbeef", 0, 1, 0 };

static void test_create_and_upgrade(void **state)
{
    (void)state;
    char path[128], err[512];
    db_path(path, sizeof path, "v1.db");
    /* a version-1 DB with one run in it */
    struct store st;
    memset(&st, 0, sizeof st);
    snprintf(st.path, sizeof st.path, "%s", path);
    assert_int_equal(sqlite3_open(path, &st.db), SQLITE_OK);
    assert_int_equal(store_create_version(&st, 1, err, sizeof err), 0);
    assert_int_equal(store_schema_version(&st), 1);
    assert_int_equal(sqlite3_exec(st.db, "INSERT INTO runs (key, status, config_json, test_auc) "
                                          "VALUES ('k1', 'done', '{}', 0.75)", NULL, NULL, NULL), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(st.db, "SELECT * FROM grids", NULL, NULL, NULL), SQLITE_OK);
    store_close(&st);
    /* read-only open of an old schema is refused, not upgraded */
    assert_int_equal(store_open(&st, path, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "older"));
    /* opened for writing: upgraded in place, the run kept */
    assert_int_equal(store_open(&st, path, 0, err, sizeof err), 0);
    assert_int_equal(store_schema_version(&st), STORE_SCHEMA_VERSION);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM runs WHERE key = 'k1' AND test_auc = 0.75"), 1);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM grids"), 0);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM predictions"), 0);
    store_close(&st);
    /* a fresh DB is created at the current version, its folder too */
    db_path(path, sizeof path, "sub/dir/new.db");
    assert_int_equal(store_open(&st, path, 0, err, sizeof err), 0);
    assert_int_equal(store_schema_version(&st), STORE_SCHEMA_VERSION);
    store_close(&st);
}

static void test_round_trip(void **state)
{
    (void)state;
    char path[128], err[512];
    db_path(path, sizeof path, "rt.db");
    struct store st;
    assert_int_equal(store_open(&st, path, 0, err, sizeof err), 0);
    struct run_plan p = plan("a");
    assert_int_equal(store_schedule(&st, &p, err, sizeof err), 0);
    assert_int_equal(store_schedule(&st, &p, err, sizeof err), 0);   /* idempotent */
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM runs"), 1);
    assert_int_equal(store_run_status(&st, p.key), RUN_SCHEDULED);
    struct run_env e = env;
    e.pid = (int)getpid();
    assert_int_equal(store_claim(&st, p.key, &e, 0, err, sizeof err), 1);
    assert_int_equal(store_claim(&st, p.key, &e, 0, err, sizeof err), 0);   /* running: not claimable */
    struct run_epoch ep[2] = { { 1, 0.5, 0.7, 1.5 }, { 2, 0.45, 0.71, 1.25 } };
    struct run_group gr[2] = { { 0, 10, 40, 12, 0.61, 0.3, 0.31 }, { 1, 10, 60, 30, NAN, 0.5, 0.49 } };
    float scores[5] = { 0.1f, 0.9f, 0.4f, 0.35f, 0.8f }, labels[5] = { 0, 1, 0, 1, 1 };
    struct run_result r = {
        .test_auc = 0.8125, .val_auc = 0.75, .test_logloss = 0.5, .test_gauc = 0.7, .oracle_auc = NAN,
        .gauc_users = 3, .gauc_impressions = 41,
        .best_epoch = 2, .epochs_run = 2, .train_seconds = 2.75, .sec_per_epoch = 1.375, .train_samples_per_s = 1000,
        .infer_us_per_sample = 3.5, .latency_ms_1024 = 2.25, .serving_form = "v3", .param_bytes = 123456,
        .serving_param_bytes = 100000, .peak_rss_bytes = 1 << 20, .n_epochs = 2, .epochs = ep, .n_groups = 2,
        .groups = gr, .n_test = 5, .scores = scores, .labels = labels, .rows_hash = "hash",
    };
    assert_int_equal(store_finish(&st, p.key, &r, err, sizeof err), 0);
    assert_int_equal(store_run_status(&st, p.key), RUN_DONE);
    /* every value back as written */
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(st.db,
        "SELECT test_auc, val_auc, test_logloss, test_gauc, oracle_auc, best_epoch, epochs_run, train_seconds, "
        "sec_per_epoch, infer_us_per_sample, latency_ms_1024, serving_form, param_bytes, serving_param_bytes, "
        "K, P, seed, backbone, data_kind, host, git_rev, attempts, config_json FROM runs", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_true(sqlite3_column_double(s, 0) == 0.8125);
    assert_true(sqlite3_column_double(s, 1) == 0.75);
    assert_true(sqlite3_column_double(s, 2) == 0.5);
    assert_true(sqlite3_column_double(s, 3) == 0.7);
    assert_int_equal(sqlite3_column_type(s, 4), SQLITE_NULL);   /* NAN is stored as NULL */
    assert_int_equal(sqlite3_column_int(s, 5), 2);
    assert_int_equal(sqlite3_column_int(s, 6), 2);
    assert_true(sqlite3_column_double(s, 7) == 2.75);
    assert_true(sqlite3_column_double(s, 8) == 1.375);
    assert_true(sqlite3_column_double(s, 9) == 3.5);
    assert_true(sqlite3_column_double(s, 10) == 2.25);
    assert_string_equal((const char *)sqlite3_column_text(s, 11), "v3");
    assert_int_equal(sqlite3_column_int64(s, 12), 123456);
    assert_int_equal(sqlite3_column_int64(s, 13), 100000);
    assert_int_equal(sqlite3_column_int(s, 14), 8);
    assert_int_equal(sqlite3_column_int(s, 15), 32);
    assert_int_equal(sqlite3_column_int(s, 16), 2);
    assert_string_equal((const char *)sqlite3_column_text(s, 17), "wdl");
    assert_string_equal((const char *)sqlite3_column_text(s, 18), "synthetic-fallback");
    assert_string_equal((const char *)sqlite3_column_text(s, 19), "testhost");
    assert_string_equal((const char *)sqlite3_column_text(s, 20), "deadbeef");
    assert_int_equal(sqlite3_column_int(s, 21), 1);
    assert_string_equal((const char *)sqlite3_column_text(s, 22), "{\"apg\":\"v6\"}");
    sqlite3_finalize(s);
    assert_int_equal(db_query_int(&st, "SELECT gauc_users * 1000 + gauc_impressions FROM runs"), 3041);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM epochs WHERE epoch = 2 AND train_loss = 0.45 AND "
                                    "val_auc = 0.71 AND seconds = 1.25"), 1);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM group_metrics WHERE grp = 1 AND instances = 60 AND "
                                    "positives = 30 AND auc IS NULL"), 1);
    float *sc, *lb;
    int64_t n;
    char h[65];
    assert_int_equal(store_predictions(&st, p.key, &sc, &lb, &n, h, err, sizeof err), 0);
    assert_int_equal(n, 5);
    assert_string_equal(h, "hash");
    assert_memory_equal(sc, scores, sizeof scores);
    assert_memory_equal(lb, labels, sizeof labels);
    free(sc);
    free(lb);
    /* a done run is never claimed again, even with retry */
    assert_int_equal(store_claim(&st, p.key, &e, 1, err, sizeof err), 0);
    store_close(&st);
}

static void test_lifecycle(void **state)
{
    (void)state;
    char path[128], err[512];
    db_path(path, sizeof path, "life.db");
    struct store st;
    assert_int_equal(store_open(&st, path, 0, err, sizeof err), 0);
    struct run_plan a = plan("b"), b = plan("c");
    assert_int_equal(store_schedule(&st, &a, err, sizeof err), 0);
    assert_int_equal(store_schedule(&st, &b, err, sizeof err), 0);
    /* a: claimed by a process that has exited -> reaped as killed, then claimable */
    pid_t dead = fork();
    if (dead == 0) _exit(0);
    waitpid(dead, NULL, 0);
    struct run_env e = env;
    e.pid = (int)dead;
    assert_int_equal(store_claim(&st, a.key, &e, 0, err, sizeof err), 1);
    /* b: claimed by this live process -> kept */
    e.pid = (int)getpid();
    assert_int_equal(store_claim(&st, b.key, &e, 0, err, sizeof err), 1);
    assert_int_equal(store_reap(&st, "testhost", 600, err, sizeof err), 1);
    assert_int_equal(store_run_status(&st, a.key), RUN_KILLED);
    assert_int_equal(store_run_status(&st, b.key), RUN_RUNNING);
    /* a stale heartbeat from another host is reaped too */
    assert_int_equal(sqlite3_exec(st.db, "UPDATE runs SET host = 'elsewhere', heartbeat = heartbeat - 1000 "
                                         "WHERE status = 'running'", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(store_reap(&st, "testhost", 600, err, sizeof err), 1);
    assert_int_equal(store_run_status(&st, b.key), RUN_KILLED);
    /* failed keeps its error and is retried only on request */
    assert_int_equal(store_claim(&st, a.key, &e, 0, err, sizeof err), 1);
    assert_int_equal(store_fail(&st, a.key, RUN_FAILED, "K 9 exceeds min(N, M)", err, sizeof err), 0);
    assert_int_equal(store_claim(&st, a.key, &e, 0, err, sizeof err), 0);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM runs WHERE error = 'K 9 exceeds min(N, M)'"), 1);
    assert_int_equal(store_claim(&st, a.key, &e, 1, err, sizeof err), 1);
    assert_int_equal(db_query_int(&st, "SELECT attempts FROM runs WHERE status = 'running'"), 3);
    store_close(&st);
}

/* Reads a whole file (up to 64 KiB) into buf; returns its length. */
static size_t slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void assert_refused_unchanged(const char *path, const char *why)
{
    static char before[65536], after[65536];
    size_t nb = slurp(path, before, sizeof before);
    char err[512];
    struct store st;
    assert_int_equal(store_open(&st, path, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, why));
    assert_non_null(strstr(err, path));
    size_t na = slurp(path, after, sizeof after);
    assert_int_equal(na, nb);
    assert_memory_equal(before, after, nb);
}

static void test_bad_db_refused_unchanged(void **state)
{
    (void)state;
    char path[128], err[512];
    /* not a DB */
    db_path(path, sizeof path, "garbage.db");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (int i = 0; i < 8192; i++) fputc((i * 7919) & 0xff, f);
    fclose(f);
    assert_refused_unchanged(path, "not a readable SQLite results DB");
    /* a damaged DB: a valid one with its first page overwritten */
    db_path(path, sizeof path, "damaged.db");
    struct store st;
    assert_int_equal(store_open(&st, path, 0, err, sizeof err), 0);
    store_close(&st);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_exec(db, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
    sqlite3_close(db);
    f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 100, SEEK_SET);
    for (int i = 0; i < 400; i++) fputc(0xA5, f);
    fclose(f);
    assert_refused_unchanged(path, "DB");
    /* a foreign DB: SQLite, but not ours */
    db_path(path, sizeof path, "foreign.db");
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode=DELETE; CREATE TABLE photos (id INTEGER, path TEXT); "
                                      "INSERT INTO photos VALUES (1, 'a.jpg')", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_refused_unchanged(path, "foreign");
    /* a newer schema */
    db_path(path, sizeof path, "newer.db");
    assert_int_equal(store_open(&st, path, 0, err, sizeof err), 0);
    assert_int_equal(sqlite3_exec(st.db, "UPDATE schema_version SET version = 99; PRAGMA journal_mode=DELETE",
                                  NULL, NULL, NULL), SQLITE_OK);
    store_close(&st);
    assert_refused_unchanged(path, "newer");
}

static int run_results(char **argv, int argc)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout)) _exit(99);
        _exit(cmd_results(argc, argv));
    }
    int ws;
    waitpid(pid, &ws, 0);
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
}

static void test_sql_refuses_writes(void **state)
{
    (void)state;
    char path[128], err[512];
    db_path(path, sizeof path, "ro.db");
    struct store st;
    assert_int_equal(store_open(&st, path, 0, err, sizeof err), 0);
    struct run_plan p = plan("d");
    assert_int_equal(store_schedule(&st, &p, err, sizeof err), 0);
    store_close(&st);
    const char *writes[] = { "DELETE FROM runs", "UPDATE runs SET status = 'done'", "DROP TABLE runs",
                             "INSERT INTO grids (spec, mode) VALUES ('x', 'y')", "SELECT 1; DELETE FROM runs" };
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
        char *argv[] = { "--db", path, "--sql", (char *)writes[i] };
        assert_int_not_equal(run_results(argv, 4), 0);
    }
    char *ok[] = { "--db", path, "--sql", "SELECT COUNT(*) FROM runs" };
    assert_int_equal(run_results(ok, 4), 0);
    char *bad[] = { "--db", path, "--sql", "SELEKT nothing" };
    assert_int_equal(run_results(bad, 4), 1);
    assert_int_equal(store_open(&st, path, 1, err, sizeof err), 0);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM runs WHERE status = 'scheduled'"), 1);
    assert_int_equal(db_query_int(&st, "SELECT COUNT(*) FROM grids"), 0);
    store_close(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_and_upgrade),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_lifecycle),
        cmocka_unit_test(test_bad_db_refused_unchanged),
        cmocka_unit_test(test_sql_refuses_writes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
