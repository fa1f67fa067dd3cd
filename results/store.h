/* The SQLite results store: one DB file (default out/results.db) holding every run of
 * every grid, its per-epoch curve, user-group metrics and test-set scores. The schema
 * and its upgrade steps live in results/schema.c (documented in README); this header is
 * the only way the rest of the program reads or writes the DB. WAL journal, a busy
 * timeout, one transaction per finished run, every statement prepared with bound
 * parameters. */
#ifndef APG_STORE_H
#define APG_STORE_H
#include <stddef.h>
#include <stdint.h>

struct sqlite3;

#define STORE_SCHEMA_VERSION 4

struct store {
    struct sqlite3 *db;
    char path[512];
    int  readonly;
};

/* Opens (creating when absent and !readonly) the DB at path. A file that is not a
 * SQLite DB, a DB without our schema_version table (a foreign DB) or one whose schema
 * is newer than STORE_SCHEMA_VERSION is refused with err and left untouched; an older
 * schema is upgraded step by step in one transaction. readonly opens with
 * SQLITE_OPEN_READONLY (writes fail). 0, or -1 with err. */
int  store_open(struct store *st, const char *path, int readonly, char *err, size_t errlen);
void store_close(struct store *st);
/* Creates the schema of an older version (1 .. STORE_SCHEMA_VERSION) in an empty DB:
 * for upgrade tests. 0 or -1. */
int  store_create_version(struct store *st, int version, char *err, size_t errlen);
int  store_schema_version(struct store *st);    /* -1 on error */

/* Run status, as stored in runs.status. */
enum run_status { RUN_SCHEDULED, RUN_RUNNING, RUN_DONE, RUN_FAILED, RUN_KILLED, RUN_N_STATUS };
const char *run_status_name(enum run_status s);
int  run_status_parse(const char *s);             /* -1 if unknown */

/* What identifies a run and everything known before it trains. Strings are borrowed. */
struct run_plan {
    char        key[65];           /* SHA-256 hex of config_json + dataset identity */
    const char *spec;              /* table that first scheduled it ("" for none) */
    const char *config_json;       /* canonical resolved configuration, sorted keys */
    const char *backbone, *apg, *condition, *hidden, *apg_init;
    int         K, P, gen_layers, gen_hidden, emb_dim;
    double      gen_scale, chain_lr;
    int         epochs_max, patience, batch;
    double      lr, l2;
    uint64_t    seed;
    const char *dataset;           /* struct dataset name, e.g. "ml100k", "synthetic:ml1m" */
    const char *data_kind;         /* "real" | "synthetic" | "synthetic-fallback" */
    const char *data_note;         /* fallback announcement, "" when none */
    int64_t     dataset_rows;
    const char *dataset_checksum;  /* hex */
    const char *label_rule, *split;
    int         n_train, n_val, n_test;
};

/* Inserts the run as scheduled unless its key is already stored. 0, or -1 with err. */
int  store_schedule(struct store *st, const struct run_plan *p, char *err, size_t errlen);

/* The host facts a running row carries: host and pid of the runner that claims it (its
 * heartbeat keeps the claim alive); the others, of the machine that trains it. worker:
 * NULL, or the MPI rank that trains it ("rank 1 of 4 on node7"). */
struct run_env {
    const char *host, *cpu_model, *compiler, *cflags, *blis_arch, *git_rev;
    int git_dirty, threads, pid;
    const char *worker;
};
/* Atomically moves the run to running for this process when it is scheduled or killed
 * (or failed, with retry_failed). 1 claimed, 0 not claimable (done, running elsewhere,
 * failed), -1 with err. */
int  store_claim(struct store *st, const char *key, const struct run_env *e, int retry_failed,
                 char *err, size_t errlen);
/* Refreshes the heartbeat of every run this pid holds on this host. */
int  store_heartbeat(struct store *st, const char *host, int pid);
/* Marks running rows killed whose process is gone (same host, pid not alive) or whose
 * heartbeat is older than stale_s seconds. Returns how many, or -1 with err. */
int  store_reap(struct store *st, const char *host, double stale_s, char *err, size_t errlen);

struct run_epoch { int epoch; double train_loss, val_auc, seconds; };
struct run_group { int group; int64_t users, instances, positives; double auc, ctr, mean_pred; };
/* The generated parameters (S_i, rows x cols floats) of a group-wise run for one value of
 * its condition field at one adaptive layer (Fig 9); table specific_params. */
struct run_specific { const char *field; int value, layer, rows, cols; const float *data; };

/* What a finished run reports. */
struct run_result {
    double test_auc, val_auc, test_logloss, test_gauc, oracle_auc;
    int64_t gauc_users, gauc_impressions;   /* what test_gauc covers (0, 0 when it is NULL) */
    int    best_epoch, epochs_run;
    double train_seconds, sec_per_epoch, train_samples_per_s;
    double infer_us_per_sample, latency_ms_1024;
    const char *serving_form;      /* the form latency was measured on ("v3" for a collapsed v6) */
    int64_t param_bytes, serving_param_bytes, peak_rss_bytes;
    int n_epochs;  const struct run_epoch *epochs;
    int n_groups;  const struct run_group *groups;
    int64_t n_test; const float *scores; const float *labels; const char *rows_hash;
    int n_specific; const struct run_specific *specific;
};
/* One transaction: the run becomes done with its metrics, epochs, groups and test scores. */
int  store_finish(struct store *st, const char *key, const struct run_result *r, char *err, size_t errlen);
/* The run becomes failed (or killed) with the error text. */
int  store_fail(struct store *st, const char *key, enum run_status s, const char *error, char *err,
                size_t errlen);

/* A grid: one `apg reproduce` invocation of a spec; its cells link to runs. */
int64_t store_grid_begin(struct store *st, const char *spec, const char *mode, const char *args,
                         const char *seeds, const struct run_env *e, char *err, size_t errlen);
int  store_grid_link(struct store *st, int64_t grid, const char *row, const char *col, int seed,
                     int K, int P, const char *key, char *err, size_t errlen);
/* The latest grid of spec (largest id), 0 when none, -1 on error. */
int64_t store_grid_latest(struct store *st, const char *spec);

/* Mean wall seconds (started -> finished) of the done runs with this backbone, form and
 * dataset (name and rows); 0 when there are none. For the runner's time estimate. */
double store_mean_duration(struct store *st, const char *backbone, const char *apg, const char *dataset,
                           int64_t rows);

/* Statuses of a run key: the enum value, or -1 when absent. */
int  store_run_status(struct store *st, const char *key);

/* The specific_params rows of a run, ordered by value then layer: malloc'd array (each
 * data malloc'd, field into the shared field buffer of 64 bytes); store_specific_free.
 * Returns how many, or -1 with err. */
int  store_specific_params(struct store *st, const char *key, struct run_specific **out, char field[64],
                           char *err, size_t errlen);
void store_specific_free(struct run_specific *sp, int n);

/* Test scores of a done run: malloc'd scores and labels of n rows, rows_hash copied. 0,
 * 1 when none stored, -1 with err. */
int  store_predictions(struct store *st, const char *key, float **scores, float **labels, int64_t *n,
                       char rows_hash[65], char *err, size_t errlen);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK (for batching schedule + link). */
int  store_begin(struct store *st);
int  store_commit(struct store *st);
void store_rollback(struct store *st);

#endif
