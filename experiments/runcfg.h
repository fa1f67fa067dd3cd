/* A run of the experiment runner, resolved: a spec cell's options applied over the
 * runner's defaults for one dataset column, one seed and one grid point, its canonical
 * configuration (JSON, sorted keys, every option with its default filled in) and its
 * key, SHA-256 of that configuration plus the dataset identity. */
#ifndef APG_RUNCFG_H
#define APG_RUNCFG_H
#include <stdint.h>
#include "dataset.h"
#include "model_opts.h"
#include "spec.h"
#include "train.h"

/* A dataset column resolved to what stands behind it (real files or a stand-in). */
struct run_data {
    enum spec_data which;
    struct data_opts o;
    char   kind[24];            /* "real" | "real-substitute" | "synthetic-fallback" */
    char   note[320];           /* the fallback announcement; "" for the real set */
    char   rows_buf[32];
    struct dataset d;
    struct split s;
    char   checksum[65];        /* SHA-256 of the loaded columns and the split */
    char   test_hash[65];       /* SHA-256 of the test row indices */
    int    loaded;
    char   fields[3][DATA_NAME_LEN];   /* {U}, {I}, {C} */
};

struct run_cfg {
    const struct spec_table *spec;
    const struct spec_cell  *cell;
    struct run_data         *data;
    int    seed, K, P;          /* K, P: the grid point (the cell's own values in quick mode) */
    struct model_opts mo;
    struct train_cfg  t;
    char  *argbuf;              /* owns the strings mo points into */
    char  *config_json;         /* malloc'd */
    char   key[65];
};

/* The runner's defaults a cell's options apply over. */
struct run_defaults {
    int    max_epochs, patience, batch;
    float  lr, l2;
};

/* Decides what stands behind column which under data_dir: real files when present
 * (MovieLens: ml-1m ratings.dat, else the real ml-100k), else the synthetic stand-in
 * (rows from stand_in_rows). Fills rd->o, kind and note; loads nothing. */
void run_data_resolve(struct run_data *rd, enum spec_data which, const char *data_dir, const char *cache_dir,
                      int64_t stand_in_rows, uint64_t data_seed);
/* Loads and splits rd, computes its checksum and placeholder fields. 0, or -1 with err. */
int  run_data_load(struct run_data *rd, char *err, size_t errlen);
/* SHA-256 hex of a loaded dataset (name, rows, every field's ids, the labels) and its
 * split: the identity runs and ranks compare. */
void data_checksum(char out[65], const struct dataset *d, const struct split *s);
void run_data_free(struct run_data *rd);

/* Builds rc for cell x seed x (K, P) (K = P = 0: the cell's own). 0, or -1 with err
 * (an invalid option in the cell: a defect of the spec, or a field the dataset lacks). */
int  run_cfg_build(struct run_cfg *rc, const struct spec_table *spec, const struct spec_cell *cell,
                   struct run_data *rd, const struct run_defaults *def, int seed, int K, int P,
                   char *err, size_t errlen);
void run_cfg_free(struct run_cfg *rc);

/* The canonical configuration of a model + training + data option set: a JSON object
 * with every option's resolved value under its option name, keys sorted, numbers as
 * numbers. Execution-only options (threads, data/cache folders, output) are left out.
 * malloc'd, or NULL. */
char *run_config_json(struct model_opts *mo, const struct train_cfg *t, const struct data_opts *o);
/* SHA-256 hex of config_json "\n" dataset name "\n" rows "\n" checksum. */
void run_key(char out[65], const char *config_json, const char *dataset, int64_t rows, const char *checksum);

#endif
