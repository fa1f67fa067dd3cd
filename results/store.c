/* The results store: opening (validate, then upgrade), the run lifecycle
 * (schedule -> claim -> heartbeat -> finish | fail, and reaping of dead runners) and the
 * grid links. Every statement is prepared with bound parameters. */
#include "store.h"
#include "schema.h"
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char *const status_names[RUN_N_STATUS] = { "scheduled", "running", "done", "failed", "killed" };

const char *run_status_name(enum run_status s) { return s < RUN_N_STATUS ? status_names[s] : "?"; }

int run_status_parse(const char *s)
{
    for (int i = 0; s && i < RUN_N_STATUS; i++)
        if (strcmp(s, status_names[i]) == 0) return i;
    return -1;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int fail_db(struct store *st, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
    return -1;
}

static sqlite3_stmt *prep(struct store *st, const char *sql)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) return NULL;
    return s;
}

/* Runs a statement with no result rows; 0 or -1. */
static int exec_done(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

int store_schema_version(struct store *st)
{
    sqlite3_stmt *s = prep(st, "SELECT version FROM schema_version");
    if (!s) return -1;
    int v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
    sqlite3_finalize(s);
    return v;
}

/* Applies steps [from, to) in one transaction. */
static int upgrade(struct store *st, int from, int to, char *err, size_t errlen)
{
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return fail_db(st, "cannot start the schema transaction", err, errlen);
    for (int v = from; v < to; v++) {
        char *msg = NULL;
        if (sqlite3_exec(st->db, schema_step(v), NULL, NULL, &msg) != SQLITE_OK) {
            snprintf(err, errlen, "%s: schema step %d -> %d failed: %s", st->path, v, v + 1, msg ? msg : "?");
            sqlite3_free(msg);
            sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    }
    sqlite3_stmt *s = prep(st, "UPDATE schema_version SET version = ?");
    if (!s) {
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        return fail_db(st, "schema_version", err, errlen);
    }
    sqlite3_bind_int(s, 1, to);
    if (exec_done(s) || sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        return fail_db(st, "cannot write the schema", err, errlen);
    }
    return 0;
}

/* Counts the tables of the DB; -1 when it cannot be read (not a DB, corrupt). */
static int count_tables(struct store *st, int *has_version)
{
    sqlite3_stmt *s = prep(st, "SELECT name FROM sqlite_master WHERE type = 'table'");
    if (!s) return -1;
    int n = 0, rc;
    *has_version = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        n++;
        if (strcmp((const char *)sqlite3_column_text(s, 0), "schema_version") == 0) *has_version = 1;
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? n : -1;
}

/* Creates the folders above path (mkdir -p of its dirname). */
static void make_parents(const char *path)
{
    char d[512];
    snprintf(d, sizeof d, "%s", path);
    for (char *p = d + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        mkdir(d, 0777);
        *p = '/';
    }
}

static int open_raw(struct store *st, const char *path, int readonly, char *err, size_t errlen)
{
    memset(st, 0, sizeof *st);
    snprintf(st->path, sizeof st->path, "%s", path);
    st->readonly = readonly;
    struct stat sb;
    int exists = stat(path, &sb) == 0;
    if (readonly && !exists) {
        snprintf(err, errlen, "%s: no results DB here (apg reproduce creates it)", path);
        return -1;
    }
    if (exists && !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        return -1;
    }
    if (!exists && !readonly) make_parents(path);
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | (exists ? 0 : SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot open: %s", path, st->db ? sqlite3_errmsg(st->db) : "out of memory");
        sqlite3_close(st->db);
        st->db = NULL;
        return -1;
    }
    sqlite3_busy_timeout(st->db, 30000);
    return 0;
}

int store_open(struct store *st, const char *path, int readonly, char *err, size_t errlen)
{
    if (open_raw(st, path, readonly, err, errlen)) return -1;
    int has_version, n = count_tables(st, &has_version);
    if (n < 0) {
        snprintf(err, errlen, "%s: not a readable SQLite results DB (%s); it is left unchanged",
                 path, sqlite3_errmsg(st->db));
        goto fail;
    }
    if (n > 0 && !has_version) {
        snprintf(err, errlen, "%s: a SQLite DB without APG-C's schema_version table (a foreign DB?); "
                 "it is left unchanged: pass another --db", path);
        goto fail;
    }
    int v = n == 0 ? 0 : store_schema_version(st);
    if (v < 0) {
        snprintf(err, errlen, "%s: unreadable schema_version (%s); the DB is left unchanged", path,
                 sqlite3_errmsg(st->db));
        goto fail;
    }
    if (v > STORE_SCHEMA_VERSION) {
        snprintf(err, errlen, "%s: schema version %d is newer than this apg's %d: use a newer apg; "
                 "the DB is left unchanged", path, v, STORE_SCHEMA_VERSION);
        goto fail;
    }
    if (v < STORE_SCHEMA_VERSION) {
        if (readonly) {
            snprintf(err, errlen, "%s: schema version %d is older than %d: run apg reproduce (or apg results "
                     "without --sql) once to upgrade it", path, v, STORE_SCHEMA_VERSION);
            goto fail;
        }
        if (v > 0 && sqlite3_exec(st->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK) {
            fail_db(st, "journal mode", err, errlen);
            goto fail;
        }
        if (upgrade(st, v, STORE_SCHEMA_VERSION, err, errlen)) goto fail;
    }
    if (!readonly) {
        sqlite3_exec(st->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
        sqlite3_exec(st->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    }
    sqlite3_exec(st->db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
    return 0;
fail:
    sqlite3_close(st->db);
    st->db = NULL;
    return -1;
}

int store_create_version(struct store *st, int version, char *err, size_t errlen)
{
    if (version < 1 || version > STORE_SCHEMA_VERSION) {
        snprintf(err, errlen, "no schema version %d", version);
        return -1;
    }
    return upgrade(st, 0, version, err, errlen);
}

void store_close(struct store *st)
{
    if (st->db) sqlite3_close(st->db);
    st->db = NULL;
}

int store_begin(struct store *st) { return sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1; }
int store_commit(struct store *st) { return sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1; }
void store_rollback(struct store *st) { sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL); }

int store_schedule(struct store *st, const struct run_plan *p, char *err, size_t errlen)
{
    sqlite3_stmt *s = prep(st,
        "INSERT OR IGNORE INTO runs (key, spec, status, backbone, apg, condition, K, P, gen_layers, "
        "gen_hidden, apg_init, gen_scale, chain_lr, emb_dim, hidden, epochs_max, patience, batch, lr, l2, "
        "seed, config_json, dataset, data_kind, data_note, dataset_rows, dataset_checksum, label_rule, "
        "split, n_train, n_val, n_test, scheduled_at) VALUES (?1, ?2, 'scheduled', ?3, ?4, ?5, ?6, ?7, ?8, "
        "?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, "
        "?28, ?29, ?30, ?31, ?32)");
    if (!s) return fail_db(st, "schedule", err, errlen);
    int i = 1;
    sqlite3_bind_text(s, i++, p->key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, i++, p->spec ? p->spec : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, i++, p->backbone, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, i++, p->apg, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, i++, p->condition, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, i++, p->K);
    sqlite3_bind_int(s, i++, p->P);
    sqlite3_bind_int(s, i++, p->gen_layers);
    sqlite3_bind_int(s, i++, p->gen_hidden);
    sqlite3_bind_text(s, i++, p->apg_init, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, i++, p->gen_scale);
    sqlite3_bind_double(s, i++, p->chain_lr);
    sqlite3_bind_int(s, i++, p->emb_dim);
    sqlite3_bind_text(s, i++, p->hidden, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, i++, p->epochs_max);
    sqlite3_bind_int(s, i++, p->patience);
    sqlite3_bind_int(s, i++, p->batch);
    sqlite3_bind_double(s, i++, p->lr);
    sqlite3_bind_double(s, i++, p->l2);
    sqlite3_bind_int64(s, i++, (sqlite3_int64)p->seed);
    sqlite3_bind_text(s, i++, p->config_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, i++, p->dataset, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, i++, p->data_kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, i++, p->data_note, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, i++, p->dataset_rows);
    sqlite3_bind_text(s, i++, p->dataset_checksum, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, i++, p->label_rule, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, i++, p->split, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, i++, p->n_train);
    sqlite3_bind_int(s, i++, p->n_val);
    sqlite3_bind_int(s, i++, p->n_test);
    sqlite3_bind_double(s, i++, wall_now());
    return exec_done(s) ? fail_db(st, "schedule", err, errlen) : 0;
}

int store_claim(struct store *st, const char *key, const struct run_env *e, int retry_failed,
                char *err, size_t errlen)
{
    sqlite3_stmt *s = prep(st,
        "UPDATE runs SET status = 'running', host = ?2, pid = ?3, cpu_model = ?4, compiler = ?5, "
        "cflags = ?6, blis_arch = ?7, git_rev = ?8, git_dirty = ?9, threads = ?10, started_at = ?11, "
        "heartbeat = ?11, attempts = attempts + 1, error = NULL, worker = ?13 "
        "WHERE key = ?1 AND (status IN ('scheduled', 'killed') OR (?12 AND status = 'failed'))");
    if (!s) return fail_db(st, "claim", err, errlen);
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, e->host, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, e->pid);
    sqlite3_bind_text(s, 4, e->cpu_model, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, e->compiler, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, e->cflags, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, e->blis_arch, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, e->git_rev, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 9, e->git_dirty);
    sqlite3_bind_int(s, 10, e->threads);
    sqlite3_bind_double(s, 11, wall_now());
    sqlite3_bind_int(s, 12, retry_failed);
    if (e->worker) sqlite3_bind_text(s, 13, e->worker, -1, SQLITE_STATIC);
    else sqlite3_bind_null(s, 13);
    if (exec_done(s)) return fail_db(st, "claim", err, errlen);
    return sqlite3_changes(st->db) == 1;
}

int store_heartbeat(struct store *st, const char *host, int pid)
{
    sqlite3_stmt *s = prep(st, "UPDATE runs SET heartbeat = ?3 WHERE status = 'running' AND host = ?1 AND pid = ?2");
    if (!s) return -1;
    sqlite3_bind_text(s, 1, host, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, pid);
    sqlite3_bind_double(s, 3, wall_now());
    return exec_done(s);
}

static int pid_alive(int pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); }

int store_reap(struct store *st, const char *host, double stale_s, char *err, size_t errlen)
{
    sqlite3_stmt *q = prep(st, "SELECT key, host, pid, heartbeat FROM runs WHERE status = 'running'");
    if (!q) return fail_db(st, "reap", err, errlen);
    double now = wall_now();
    int n = 0;
    char (*keys)[65] = NULL;
    char (*why)[160] = NULL;
    int cap = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(q, 0);
        const char *h = (const char *)sqlite3_column_text(q, 1);
        int pid = sqlite3_column_int(q, 2);
        double hb = sqlite3_column_double(q, 3);
        char reason[160] = "";
        if (h && strcmp(h, host) == 0 && !pid_alive(pid))
            snprintf(reason, sizeof reason, "killed: its runner (pid %d on %s) is gone", pid, h);
        else if (now - hb > stale_s)
            snprintf(reason, sizeof reason, "killed: no heartbeat for %.0f s (runner pid %d on %s)", now - hb,
                     pid, h ? h : "?");
        if (!reason[0] || !k) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            void *nk = realloc(keys, sizeof *keys * (size_t)cap), *nw = NULL;
            if (nk) keys = nk;
            if (nk) nw = realloc(why, sizeof *why * (size_t)cap);
            if (!nk || !nw) {
                sqlite3_finalize(q);
                free(keys);
                free(why);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            why = nw;
        }
        snprintf(keys[n], sizeof keys[n], "%s", k);
        snprintf(why[n], sizeof why[n], "%s", reason);
        n++;
    }
    sqlite3_finalize(q);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) rc = store_fail(st, keys[i], RUN_KILLED, why[i], err, errlen);
    free(keys);
    free(why);
    return rc ? -1 : n;
}

static void bind_nan_double(sqlite3_stmt *s, int i, double v)
{
    if (v != v) sqlite3_bind_null(s, i);
    else sqlite3_bind_double(s, i, v);
}

static int finish_tx(struct store *st, const char *key, const struct run_result *r, char *err, size_t errlen)
{
    sqlite3_stmt *s = prep(st,
        "UPDATE runs SET status = 'done', finished_at = ?2, heartbeat = ?2, error = NULL, test_auc = ?3, "
        "val_auc = ?4, test_logloss = ?5, test_gauc = ?6, oracle_auc = ?7, best_epoch = ?8, epochs_run = ?9, "
        "train_seconds = ?10, sec_per_epoch = ?11, train_samples_per_s = ?12, infer_us_per_sample = ?13, "
        "latency_ms_1024 = ?14, serving_form = ?15, param_bytes = ?16, serving_param_bytes = ?17, "
        "peak_rss_bytes = ?18, gauc_users = ?19, gauc_impressions = ?20 WHERE key = ?1 AND status = 'running'");
    if (!s) return fail_db(st, "finish", err, errlen);
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 2, wall_now());
    bind_nan_double(s, 3, r->test_auc);
    bind_nan_double(s, 4, r->val_auc);
    bind_nan_double(s, 5, r->test_logloss);
    bind_nan_double(s, 6, r->test_gauc);
    bind_nan_double(s, 7, r->oracle_auc);
    sqlite3_bind_int(s, 8, r->best_epoch);
    sqlite3_bind_int(s, 9, r->epochs_run);
    bind_nan_double(s, 10, r->train_seconds);
    bind_nan_double(s, 11, r->sec_per_epoch);
    bind_nan_double(s, 12, r->train_samples_per_s);
    bind_nan_double(s, 13, r->infer_us_per_sample);
    bind_nan_double(s, 14, r->latency_ms_1024);
    sqlite3_bind_text(s, 15, r->serving_form, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 16, r->param_bytes);
    sqlite3_bind_int64(s, 17, r->serving_param_bytes);
    sqlite3_bind_int64(s, 18, r->peak_rss_bytes);
    sqlite3_bind_int64(s, 19, r->gauc_users);
    sqlite3_bind_int64(s, 20, r->gauc_impressions);
    if (exec_done(s)) return fail_db(st, "finish", err, errlen);
    if (sqlite3_changes(st->db) != 1) {
        snprintf(err, errlen, "run %.12s is no longer running (marked killed by another runner?)", key);
        return -1;
    }
    static const char *const clear[] = { "DELETE FROM epochs WHERE run_key = ?1",
                                         "DELETE FROM group_metrics WHERE run_key = ?1",
                                         "DELETE FROM predictions WHERE run_key = ?1",
                                         "DELETE FROM specific_params WHERE run_key = ?1" };
    for (int i = 0; i < 4; i++) {
        s = prep(st, clear[i]);
        if (!s) return fail_db(st, "finish", err, errlen);
        sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
        if (exec_done(s)) return fail_db(st, "finish", err, errlen);
    }
    s = prep(st, "INSERT INTO epochs (run_key, epoch, train_loss, val_auc, seconds) VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!s) return fail_db(st, "epochs", err, errlen);
    for (int i = 0; i < r->n_epochs; i++) {
        sqlite3_reset(s);
        sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 2, r->epochs[i].epoch);
        bind_nan_double(s, 3, r->epochs[i].train_loss);
        bind_nan_double(s, 4, r->epochs[i].val_auc);
        bind_nan_double(s, 5, r->epochs[i].seconds);
        if (sqlite3_step(s) != SQLITE_DONE) {
            sqlite3_finalize(s);
            return fail_db(st, "epochs", err, errlen);
        }
    }
    sqlite3_finalize(s);
    s = prep(st, "INSERT INTO group_metrics (run_key, grp, users, instances, positives, auc, ctr, mean_pred) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!s) return fail_db(st, "group_metrics", err, errlen);
    for (int i = 0; i < r->n_groups; i++) {
        const struct run_group *g = &r->groups[i];
        sqlite3_reset(s);
        sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 2, g->group);
        sqlite3_bind_int64(s, 3, g->users);
        sqlite3_bind_int64(s, 4, g->instances);
        sqlite3_bind_int64(s, 5, g->positives);
        bind_nan_double(s, 6, g->auc);
        bind_nan_double(s, 7, g->ctr);
        bind_nan_double(s, 8, g->mean_pred);
        if (sqlite3_step(s) != SQLITE_DONE) {
            sqlite3_finalize(s);
            return fail_db(st, "group_metrics", err, errlen);
        }
    }
    sqlite3_finalize(s);
    s = prep(st, "INSERT INTO specific_params (run_key, field, value, layer, rows, cols, data) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!s) return fail_db(st, "specific_params", err, errlen);
    for (int i = 0; i < r->n_specific; i++) {
        const struct run_specific *p = &r->specific[i];
        sqlite3_reset(s);
        sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, p->field, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 3, p->value);
        sqlite3_bind_int(s, 4, p->layer);
        sqlite3_bind_int(s, 5, p->rows);
        sqlite3_bind_int(s, 6, p->cols);
        sqlite3_bind_blob64(s, 7, p->data, sizeof(float) * (sqlite3_uint64)p->rows * (sqlite3_uint64)p->cols,
                            SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_DONE) {
            sqlite3_finalize(s);
            return fail_db(st, "specific_params", err, errlen);
        }
    }
    sqlite3_finalize(s);
    if (r->n_test > 0 && r->scores && r->labels) {
        /* scores: float32 in host order (little-endian on every supported target);
         * labels: one byte per row, 1 = positive. */
        uint8_t *lab = malloc((size_t)r->n_test);
        if (!lab) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        for (int64_t i = 0; i < r->n_test; i++) lab[i] = r->labels[i] > 0.5f;
        s = prep(st, "INSERT INTO predictions (run_key, n, rows_hash, scores, labels) VALUES (?1, ?2, ?3, ?4, ?5)");
        if (!s) {
            free(lab);
            return fail_db(st, "predictions", err, errlen);
        }
        sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, r->n_test);
        sqlite3_bind_text(s, 3, r->rows_hash ? r->rows_hash : "", -1, SQLITE_STATIC);
        sqlite3_bind_blob64(s, 4, r->scores, sizeof(float) * (sqlite3_uint64)r->n_test, SQLITE_STATIC);
        sqlite3_bind_blob64(s, 5, lab, (sqlite3_uint64)r->n_test, SQLITE_STATIC);
        int rc = exec_done(s);
        free(lab);
        if (rc) return fail_db(st, "predictions", err, errlen);
    }
    return 0;
}

int store_finish(struct store *st, const char *key, const struct run_result *r, char *err, size_t errlen)
{
    if (store_begin(st)) return fail_db(st, "begin", err, errlen);
    if (finish_tx(st, key, r, err, errlen)) {
        store_rollback(st);
        return -1;
    }
    if (store_commit(st)) {
        fail_db(st, "commit", err, errlen);
        store_rollback(st);
        return -1;
    }
    return 0;
}

int store_fail(struct store *st, const char *key, enum run_status status, const char *error, char *err,
               size_t errlen)
{
    sqlite3_stmt *s = prep(st, "UPDATE runs SET status = ?2, error = ?3, finished_at = ?4 "
                               "WHERE key = ?1 AND status = 'running'");
    if (!s) return fail_db(st, "fail", err, errlen);
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, run_status_name(status), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, error, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 4, wall_now());
    return exec_done(s) ? fail_db(st, "fail", err, errlen) : 0;
}

int64_t store_grid_begin(struct store *st, const char *spec, const char *mode, const char *args,
                         const char *seeds, const struct run_env *e, char *err, size_t errlen)
{
    sqlite3_stmt *s = prep(st, "INSERT INTO grids (spec, mode, args, seeds, host, git_rev, started_at) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!s) return fail_db(st, "grid", err, errlen);
    sqlite3_bind_text(s, 1, spec, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, mode, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, args, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, seeds, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, e->host, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, e->git_rev, -1, SQLITE_STATIC);
    sqlite3_bind_double(s, 7, wall_now());
    if (exec_done(s)) return fail_db(st, "grid", err, errlen);
    return (int64_t)sqlite3_last_insert_rowid(st->db);
}

int store_grid_link(struct store *st, int64_t grid, const char *row, const char *col, int seed, int K, int P,
                    const char *key, char *err, size_t errlen)
{
    sqlite3_stmt *s = prep(st, "INSERT OR REPLACE INTO grid_runs (grid_id, row, col, seed, K, P, run_key) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!s) return fail_db(st, "grid link", err, errlen);
    sqlite3_bind_int64(s, 1, grid);
    sqlite3_bind_text(s, 2, row, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, col, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 4, seed);
    sqlite3_bind_int(s, 5, K);
    sqlite3_bind_int(s, 6, P);
    sqlite3_bind_text(s, 7, key, -1, SQLITE_STATIC);
    return exec_done(s) ? fail_db(st, "grid link", err, errlen) : 0;
}

int64_t store_grid_latest(struct store *st, const char *spec)
{
    sqlite3_stmt *s = prep(st, "SELECT COALESCE(MAX(id), 0) FROM grids WHERE spec = ?1");
    if (!s) return -1;
    sqlite3_bind_text(s, 1, spec, -1, SQLITE_STATIC);
    int64_t id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    return id;
}

int store_run_status(struct store *st, const char *key)
{
    sqlite3_stmt *s = prep(st, "SELECT status FROM runs WHERE key = ?1");
    if (!s) return -1;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    int v = sqlite3_step(s) == SQLITE_ROW ? run_status_parse((const char *)sqlite3_column_text(s, 0)) : -1;
    sqlite3_finalize(s);
    return v;
}

int store_predictions(struct store *st, const char *key, float **scores, float **labels, int64_t *n,
                      char rows_hash[65], char *err, size_t errlen)
{
    *scores = *labels = NULL;
    *n = 0;
    sqlite3_stmt *s = prep(st, "SELECT n, rows_hash, scores, labels FROM predictions WHERE run_key = ?1");
    if (!s) return fail_db(st, "predictions", err, errlen);
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_finalize(s);
        return 1;
    }
    int64_t m = sqlite3_column_int64(s, 0);
    const char *h = (const char *)sqlite3_column_text(s, 1);
    snprintf(rows_hash, 65, "%s", h ? h : "");
    const void *sb = sqlite3_column_blob(s, 2);
    int64_t sbytes = sqlite3_column_bytes(s, 2);
    const uint8_t *lb = sqlite3_column_blob(s, 3);
    int64_t lbytes = sqlite3_column_bytes(s, 3);
    if (m <= 0 || sbytes != m * (int64_t)sizeof(float) || lbytes != m) {
        sqlite3_finalize(s);
        snprintf(err, errlen, "%s: predictions of run %.12s are damaged (n %lld, %lld score bytes, %lld label bytes)",
                 st->path, key, (long long)m, (long long)sbytes, (long long)lbytes);
        return -1;
    }
    *scores = malloc(sizeof(float) * (size_t)m);
    *labels = malloc(sizeof(float) * (size_t)m);
    if (!*scores || !*labels) {
        free(*scores);
        free(*labels);
        *scores = *labels = NULL;
        sqlite3_finalize(s);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(*scores, sb, sizeof(float) * (size_t)m);
    for (int64_t i = 0; i < m; i++) (*labels)[i] = lb[i] ? 1.0f : 0.0f;
    *n = m;
    sqlite3_finalize(s);
    return 0;
}

double store_mean_duration(struct store *st, const char *backbone, const char *apg, const char *dataset,
                           int64_t rows)
{
    sqlite3_stmt *s = prep(st, "SELECT AVG(finished_at - started_at) FROM runs WHERE status = 'done' AND "
                               "backbone = ?1 AND apg = ?2 AND dataset = ?3 AND dataset_rows = ?4");
    if (!s) return 0;
    sqlite3_bind_text(s, 1, backbone, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, apg, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, dataset, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, rows);
    double v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_double(s, 0) : 0;
    sqlite3_finalize(s);
    return v;
}

int store_specific_params(struct store *st, const char *key, struct run_specific **out, char field[64], char *err,
                          size_t errlen)
{
    *out = NULL;
    field[0] = 0;
    sqlite3_stmt *s = prep(st, "SELECT field, value, layer, rows, cols, data FROM specific_params WHERE run_key = ?1 "
                               "ORDER BY value, layer");
    if (!s) return fail_db(st, "specific_params", err, errlen);
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    int n = 0, cap = 0;
    struct run_specific *sp = NULL;
    while (sqlite3_step(s) == SQLITE_ROW) {
        int rows = sqlite3_column_int(s, 3), cols = sqlite3_column_int(s, 4);
        size_t bytes = sizeof(float) * (size_t)(rows > 0 ? rows : 0) * (size_t)(cols > 0 ? cols : 0);
        if (!bytes || (size_t)sqlite3_column_bytes(s, 5) != bytes) continue;   /* malformed row */
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            struct run_specific *nsp = realloc(sp, sizeof *sp * (size_t)cap);
            if (!nsp) break;
            sp = nsp;
        }
        float *d = malloc(bytes);
        if (!d) break;
        memcpy(d, sqlite3_column_blob(s, 5), bytes);
        snprintf(field, 64, "%s", (const char *)sqlite3_column_text(s, 0));
        sp[n++] = (struct run_specific){ field, sqlite3_column_int(s, 1), sqlite3_column_int(s, 2), rows, cols, d };
    }
    sqlite3_finalize(s);
    *out = sp;
    return n;
}

void store_specific_free(struct run_specific *sp, int n)
{
    for (int i = 0; sp && i < n; i++) free((void *)sp[i].data);
    free(sp);
}
