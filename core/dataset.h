/* Dataset registry: one static list (core/datasets.def) of named loaders, from the
 * synthetic generator to the real-data specs, all reached through dataset_load(). */
#ifndef APG_DATASET_H
#define APG_DATASET_H
#include <stdint.h>
#include "cli.h"
#include "data.h"

struct data_opts {
    const char *dataset;      /* --dataset NAME */
    const char *data_dir;     /* --data DIR: folder holding the dataset's folder/files */
    const char *like;         /* synthetic: ml1m | amazon | iaac */
    int64_t     rows;         /* synthetic: rows to generate (0 = preset default) */
    uint64_t    data_seed;    /* synthetic: generator seed */
    int         min_count;    /* ids seen fewer times in the training rows map to OOV (0) */
    int         skip_bad_rows;
    int         drop_neutral; /* MovieLens: drop rating 3 */
    int         min_item_count; /* dataset filter: drop rows of items with fewer rows */
    const char *label_col, *fields, *multi, *delim, *file;   /* csv spec */
    const char *time_col;     /* csv: column of row times; NULL = detect by name; "none" */
    const char *train_file, *val_file, *test_file;   /* csv: a given split (instead of file) */
    double      val_frac;     /* given split without val_file: this part of train is val */
    const char *cache_dir;    /* binary cache folder (default out/cache) */
    int         no_cache;
    const char *split;        /* random | given | position | time */
    const char *hash_buckets; /* --hash-buckets N | FIELD=N,.. (tbuild_hash_buckets) */
    const char *user_field;   /* --user-field COL: the user of gAUC (and of user conditions); "none" */
    const char *numeric;      /* --numeric A,B,.. | default: numeric fields (core/numeric.h) */
    const char *numeric_transform;  /* KIND | FIELD=KIND,.. (dataset_fit_numeric) */
    const char *numeric_missing;    /* a value that means missing, or none (loader default) */
};

struct dataset_spec {
    const char *name;
    const char *help;
    /* The spec-specific options (space-separated names, e.g. "file hash-buckets") this
     * loader reads; giving another one is an error (data_opts_check_effect). */
    const char *options;
    /* 0 on success; otherwise -1 with a one-line reason naming file/line/field in err. */
    int (*load)(struct dataset *d, const struct data_opts *o, char *err, size_t errlen);
};

#define X(name) extern const struct dataset_spec dataset_spec_##name;
#include "datasets.def"
#undef X

const struct dataset_spec *dataset_spec_find(const char *name);
int dataset_spec_count(void);
const struct dataset_spec *dataset_spec_at(int i);
/* Comma-separated list of the registered names (for error messages and help). */
const char *dataset_spec_names(void);
void data_opts_default(struct data_opts *o);
/* The option table for struct data_opts (shared by train, predict, data info). */
extern const struct opt data_opt_table[];
/* The train/validation/test split of d for options o (--split, --data-seed): seeded
 * random 80/10/10, or the time split (split_time). Every command that trains or scores
 * calls this, so `predict` sees the rows `train` reported on. 0, or -1 with err. */
int  dataset_split(struct split *s, const struct dataset *d, const struct data_opts *o, char *err,
                   size_t errlen);
/* dataset_split, and how (may be NULL) gets one line saying how the rows were cut, e.g.
 * "random 80/10/10, --data-seed 1", "given: train a.csv, validation 10% of the
 * training file (seeded, --data-seed 1, --val-frac), test c.csv". A dataset with a given
 * split (d->given) takes it (--split random, the default, or given); --split position
 * or time with one is an error, as is --split given without. */
int  dataset_split_how(struct split *s, const struct dataset *d, const struct data_opts *o, char *how,
                       size_t howlen, char *err, size_t errlen);
/* 1 when spec s reads the spec-specific option name (see dataset_spec.options). */
int  dataset_spec_takes(const struct dataset_spec *s, const char *name);
/* The source file of a single-file spec: --file PATH (as given, else DIR/PATH), else
 * DIR/SUB/DEFLT or DIR/DEFLT (DIR: --data). 0, or -1 with err. */
int  dataset_find_file(char *out, size_t n, const struct data_opts *o, const char *spec, const char *sub,
                       const char *deflt, char *err, size_t errlen);
/* The files of a one-file spec: --file (or DIR/SUB/DEFLT as dataset_find_file), or a
 * given split, --train-file, [--val-file,] --test-file (each as given, else DIR/PATH),
 * role 0 train, 1 val, 2 test. A given split needs train and test, excludes --file and
 * --min-item-count (a filter before a split is drawn). 0, or -1 with err. The loader
 * reads the files in order into one builder (one id map) and stores the row count of
 * each role in d->given. */
#define DATASET_MAX_FILES 3
struct dataset_files {
    char        path[DATASET_MAX_FILES][4096];
    const char *name[DATASET_MAX_FILES];          /* as the options gave it (for messages) */
    int         n, given, role[DATASET_MAX_FILES];
};
int  dataset_find_files(struct dataset_files *f, const struct data_opts *o, const char *spec, const char *sub,
                        const char *deflt, char *err, size_t errlen);
/* A loader read `rows` rows from file i of f: stores them under its role in given[3].
 * -1 with err ("SPEC: the given test file NAME has no rows", "SPEC: PATH: more than
 * 2^31 rows") when a given split's training or test file is empty or a file too long. */
int  dataset_files_rows(const struct dataset_files *f, int i, size_t rows, int32_t given[3], const char *spec,
                        char *err, size_t errlen);

/* Loads o->dataset; on error prints nothing, returns -1 with err set. o->min_count > 1
 * is applied over the training rows of dataset_split(d, o) (dataset_apply_min_count),
 * and the numeric fields' transforms are fitted over them (dataset_fit_numeric), so
 * train, predict and data info see one mapping for the same options. --user-field
 * COL then sets d->user_field (a single-valued categorical field; "none": no user
 * field). */
int  dataset_load(struct dataset *d, const struct data_opts *o, char *err, size_t errlen);

#endif
