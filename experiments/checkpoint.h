/* Model checkpoints (apg train --save, apg export, apg predict). A checkpoint holds the
 * options that rebuild the model, the identity of the dataset it was trained on (so a
 * scoring run can check it sees the same fields and the same split), the parameter
 * table and the parameter slab in one piece, and a checksum. Layout (little-endian):
 *
 *   "APGCKPT\0"  u32 version  u32 0  u64 file size
 *   str model options    ("--name=value" lines of model_opt_table + apg_opt_table)
 *   str data options     (lines of data_opt_table)
 *   str dataset name     i32 n_fields  { str name  i32 cardinality  i32 multi  i32 kind
 *                        [f64 a  f64 b  i32 n_fit  i32 n_bounds  f64 bounds[n_bounds]] } x n_fields
 *                        (kind: enum num_kind, the rest only for a numeric field; version 1
 *                        files have no kind: every field categorical)
 *   i32 user_field  i32 item_field  i32 category_field
 *   i32 n_train  i32 n_val  i32 n_test  u64 FNV-1a 64 of the test row indices
 *   u64 train seed  i32 batch  i32 threads  i32 best epoch  i32 epochs run
 *   f64 val auc  f64 test auc  f64 test logloss
 *   i32 n_params  { str name  i32 ndim  i32 shape[ndim]  u64 offset (floats) } x n_params
 *   u64 n_floats  f32 slab[n_floats]
 *   u64 FNV-1a 64 of every byte before it
 * where str = u32 length + bytes (no terminator). Adam moments are not stored: a
 * checkpoint is for scoring and export, not for resuming training. */
#ifndef APG_CHECKPOINT_H
#define APG_CHECKPOINT_H
#include <stdint.h>
#include <stdio.h>
#include "dataset.h"
#include "model.h"
#include "model_opts.h"

#define CKPT_VERSION 2          /* 2: numeric fields' transforms; version 1 files still load */
#define CKPT_VERSION_MIN 1

struct ckpt_field {
    char    name[DATA_NAME_LEN];
    int32_t card, multi;
    struct num_fit fit;           /* numeric field: its transform (bounds malloc'd); kind NUM_NONE else */
};

/* Everything a checkpoint stores besides the parameters. */
struct ckpt_meta {
    char   *model_text;           /* malloc'd option lines (cli_format) */
    char   *data_text;
    char    dataset[64];          /* struct dataset's name, e.g. "synthetic:ml1m" */
    int     n_fields;
    struct ckpt_field *fields;    /* malloc'd */
    int32_t user_field, item_field, category_field;
    int32_t n_train, n_val, n_test;   /* the training run's split (0 when none) */
    uint64_t test_hash;           /* ckpt_rows_hash of its test rows */
    /* the training run: seed, minibatch, threads, and what it reported */
    uint64_t seed;
    int32_t batch, threads, best_epoch, epochs_run;
    double  val_auc, test_auc, test_logloss;
};

/* A loaded checkpoint: its meta, the options parsed back, and the model rebuilt from
 * them with the stored parameters. */
struct ckpt {
    struct ckpt_meta  meta;
    struct model_opts mo;         /* strings point into mo_lines */
    struct data_opts  data;       /* strings point into data_lines */
    char  *mo_lines, *data_lines;
    struct dataset    shell;      /* the stored fields with no rows: what model_init needs */
    struct model      model;
};

/* FNV-1a 64 of rows[0..n) (as int32 little-endian bytes). */
uint64_t ckpt_rows_hash(const int32_t *rows, int n);

/* Fills cm from the options that built a model and the dataset + split it was trained
 * on (s may be NULL); the training-run fields (seed, batch, ...) are left 0 for the
 * caller. 0, or -1 with err. Free with ckpt_meta_free. */
int  ckpt_meta_init(struct ckpt_meta *cm, const struct model_opts *mo, const struct data_opts *o,
                    const struct dataset *d, const struct split *s, char *err, size_t errlen);
void ckpt_meta_free(struct ckpt_meta *cm);

/* Writes m with cm to path (through path.tmp.PID and a rename, so path is either the
 * old file or the complete new one). 0, or -1 with err naming the file. */
int  ckpt_save(const char *path, const struct ckpt_meta *cm, const struct model *m, char *err,
               size_t errlen);

/* Checks early (before a long training run) that path can be written: not empty, not
 * an option-looking name ("--json": a forgotten value), not a directory or other
 * non-regular file, and its folder writable (creates and removes its temporary file).
 * 0, or -1 with err naming the file. */
int  ckpt_check_writable(const char *path, char *err, size_t errlen);

/* Reads path, checks magic, version, size and checksum, rebuilds the model from the
 * stored options and checks that its parameter table is the stored one exactly, then
 * loads the parameters. 0, or -1 with a one-line err naming the file:
 *   "FILE: not an APG-C checkpoint"
 *   "FILE: checkpoint format version V, this build reads versions 1..2"
 *   "FILE: truncated (N of M bytes)"
 *   "FILE: corrupt (checksum)"            (and "corrupt (size)", "corrupt (layout)")
 *   "FILE: the model rebuilt from its options does not match the stored parameters: ..."
 *   "FILE: invalid contents (...)"         (ckpt_check_*: the checksum is right but a
 *                                           value is not, e.g. "threads 100000 outside
 *                                           0..1024", "parameter 'w' element 3 is NaN")
 * Free with ckpt_free (also after a failure). */
int  ckpt_load(struct ckpt *ck, const char *path, char *err, size_t errlen);
void ckpt_free(struct ckpt *ck);

/* checkpoint_check.c, called by ckpt_load; each 0, or -1 with "FILE: invalid contents
 * (WHAT)". Meta: batch 0..2^20, threads 0..1024 (0 = not recorded), best epoch
 * 0..epochs run <= 10000, split sizes >= 0, at least one field, cardinalities >= 1
 * summing under 2^31, multi 0/1, user/item/category field -1..n_fields-1, AUCs in
 * [0, 1] and logloss >= 0 (or NaN). Sizes: every id of every field fits an embedding
 * row (sum of cardinalities <= the parameter floats), before the model is built.
 * Finite: every parameter element finite and within +-CKPT_PARAM_MAX, naming the
 * parameter (no trained model comes near 1e6, and larger values make the products of
 * the forward pass overflow float; only a damaged or hand-made file holds them). */
#define CKPT_PARAM_MAX 1e6
int  ckpt_check_meta(const struct ckpt_meta *cm, const char *path, char *err, size_t errlen);
int  ckpt_check_sizes(const struct ckpt_meta *cm, uint64_t n_floats, const char *path, char *err,
                      size_t errlen);
int  ckpt_check_finite(const struct param_store *ps, const char *path, char *err, size_t errlen);

/* Checks that d has the fields (names, cardinalities, single/multi-valued, numeric or
 * not) the model was trained on. 0, or -1 with err naming the first difference. */
int  ckpt_check_dataset(const struct ckpt_meta *cm, const struct dataset *d, char *err, size_t errlen);
/* Applies the stored transform of each numeric field to the field of d with its name
 * (dataset_apply_numeric), so scoring sees the training run's transform whatever rows
 * dataset_load fitted on. Fields that differ are left for ckpt_check_dataset to name.
 * 0, or -1 with err. */
int  ckpt_apply_numeric(const struct ckpt_meta *cm, struct dataset *d, char *err, size_t errlen);

/* The inference form of a model (paper 3.2.4): when from's APG form collapses (v6 - v8
 * fold into v3), builds `to` with the same options but that form (to_mo: from_mo with
 * the variant replaced; its strings are from_mo's or static), copies every parameter of
 * the same name and folds each layer's factor chain with form->collapse. Otherwise to
 * is a plain copy. d: the dataset (or a ckpt shell) from was built on. log (may be NULL)
 * gets one line per collapsed layer. Returns the number of collapsed layers, or -1
 * with err (to is then freed). */
int  ckpt_collapse(struct model *to, struct model_opts *to_mo, const struct model *from,
                   const struct model_opts *from_mo, const struct dataset *d, FILE *log, char *err,
                   size_t errlen);

/* apg export: loads in_path, collapses it (ckpt_collapse) and saves out_path with the
 * same dataset identity and training-run facts, and options naming the collapsed form.
 * log (may be NULL) gets the collapsed layers. n_collapsed, bytes_in, bytes_out (any
 * may be NULL) receive the layer count and the parameter bytes before and after. 0, or
 * -1 with err. */
int  ckpt_export(const char *in_path, const char *out_path, FILE *log, int *n_collapsed, size_t *bytes_in,
                 size_t *bytes_out, char *err, size_t errlen);

#endif
