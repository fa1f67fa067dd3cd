/* The results DB schema, the one place it is written down (README "Results database"
 * documents it). Each step takes a DB from version i to i + 1; a new column or table is
 * a new step appended here and STORE_SCHEMA_VERSION bumped, never an edit of an old
 * step, so every older DB upgrades by replaying the steps it lacks. */
#include "schema.h"
#include "store.h"

static const char *const steps[STORE_SCHEMA_VERSION] = {
    /* 0 -> 1: runs and their per-epoch curves. */
    "CREATE TABLE schema_version (version INTEGER NOT NULL);\n"
    "INSERT INTO schema_version VALUES (0);\n"
    "CREATE TABLE runs (\n"
    "  key TEXT PRIMARY KEY,            -- SHA-256 of config_json + dataset identity\n"
    "  spec TEXT NOT NULL DEFAULT '',   -- table that first scheduled it\n"
    "  status TEXT NOT NULL CHECK (status IN ('scheduled','running','done','failed','killed')),\n"
    "  backbone TEXT, apg TEXT, condition TEXT, K INTEGER, P INTEGER, gen_layers INTEGER,\n"
    "  gen_hidden INTEGER, apg_init TEXT, gen_scale REAL, chain_lr REAL, emb_dim INTEGER,\n"
    "  hidden TEXT, epochs_max INTEGER, patience INTEGER, batch INTEGER, lr REAL, l2 REAL,\n"
    "  seed INTEGER, config_json TEXT NOT NULL,\n"
    "  dataset TEXT, data_kind TEXT, data_note TEXT, dataset_rows INTEGER, dataset_checksum TEXT,\n"
    "  label_rule TEXT, split TEXT, n_train INTEGER, n_val INTEGER, n_test INTEGER,\n"
    "  git_rev TEXT, git_dirty INTEGER, host TEXT, pid INTEGER, cpu_model TEXT, compiler TEXT,\n"
    "  cflags TEXT, blis_arch TEXT, threads INTEGER,\n"
    "  scheduled_at REAL, started_at REAL, finished_at REAL, heartbeat REAL,\n"
    "  attempts INTEGER NOT NULL DEFAULT 0, error TEXT,\n"
    "  test_auc REAL, val_auc REAL, test_logloss REAL, test_gauc REAL, oracle_auc REAL,\n"
    "  best_epoch INTEGER, epochs_run INTEGER, train_seconds REAL, sec_per_epoch REAL,\n"
    "  train_samples_per_s REAL, infer_us_per_sample REAL, param_bytes INTEGER,\n"
    "  peak_rss_bytes INTEGER\n"
    ");\n"
    "CREATE INDEX runs_status ON runs(status);\n"
    "CREATE TABLE epochs (\n"
    "  run_key TEXT NOT NULL REFERENCES runs(key), epoch INTEGER NOT NULL,\n"
    "  train_loss REAL, val_auc REAL, seconds REAL, PRIMARY KEY (run_key, epoch)\n"
    ");\n",

    /* 1 -> 2: serving latency, grids (reproduce invocations) and their cells, user
     * groups (Fig 8), generated parameters (Fig 9), test-set scores (DeLong). */
    "ALTER TABLE runs ADD COLUMN latency_ms_1024 REAL;\n"
    "ALTER TABLE runs ADD COLUMN serving_form TEXT;\n"
    "ALTER TABLE runs ADD COLUMN serving_param_bytes INTEGER;\n"
    "CREATE TABLE grids (\n"
    "  id INTEGER PRIMARY KEY, spec TEXT NOT NULL, mode TEXT NOT NULL, args TEXT, seeds TEXT,\n"
    "  host TEXT, git_rev TEXT, started_at REAL\n"
    ");\n"
    "CREATE TABLE grid_runs (\n"
    "  grid_id INTEGER NOT NULL REFERENCES grids(id), row TEXT NOT NULL, col TEXT NOT NULL,\n"
    "  seed INTEGER NOT NULL, K INTEGER NOT NULL, P INTEGER NOT NULL,\n"
    "  run_key TEXT NOT NULL REFERENCES runs(key),\n"
    "  PRIMARY KEY (grid_id, row, col, seed, K, P)\n"
    ");\n"
    "CREATE TABLE group_metrics (\n"
    "  run_key TEXT NOT NULL REFERENCES runs(key), grp INTEGER NOT NULL, users INTEGER,\n"
    "  instances INTEGER, positives INTEGER, auc REAL, ctr REAL, mean_pred REAL,\n"
    "  PRIMARY KEY (run_key, grp)\n"
    ");\n"
    "CREATE TABLE specific_params (\n"
    "  run_key TEXT NOT NULL REFERENCES runs(key), field TEXT NOT NULL, value INTEGER NOT NULL,\n"
    "  layer INTEGER NOT NULL, rows INTEGER, cols INTEGER, data BLOB,\n"
    "  PRIMARY KEY (run_key, field, value, layer)\n"
    ");\n"
    "CREATE TABLE predictions (\n"
    "  run_key TEXT PRIMARY KEY REFERENCES runs(key), n INTEGER NOT NULL, rows_hash TEXT,\n"
    "  scores BLOB NOT NULL, labels BLOB NOT NULL\n"
    ");\n",

    /* 2 -> 3: what test_gauc covers (its users and their test rows); test_gauc is NULL
     * without a user field. */
    "ALTER TABLE runs ADD COLUMN gauc_users INTEGER;\n"
    "ALTER TABLE runs ADD COLUMN gauc_impressions INTEGER;\n",

    /* 3 -> 4: where an MPI grid trained a run ("rank R of N on HOST"; NULL: a child of
     * the runner itself). host and pid stay the runner's, which holds the claim. */
    "ALTER TABLE runs ADD COLUMN worker TEXT;\n",
};

const char *schema_step(int i)
{
    return i >= 0 && i < STORE_SCHEMA_VERSION ? steps[i] : 0;
}
