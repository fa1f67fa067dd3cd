/* Columnar CTR dataset, splits and minibatches.
 *
 * Every categorical field holds dense int32 ids in [0, card): id 0 is padding / OOV,
 * so real values start at 1. A multi-valued field (genres, category lists) stores a
 * list per row: offs[row] .. offs[row+1] index into mids[]. The model sees one global
 * id space: global id = field_base[f] + local id (see data_field_bases). */
#ifndef APG_DATA_H
#define APG_DATA_H
#include <stddef.h>
#include <stdint.h>
#include "rng.h"

#define DATA_NAME_LEN 48

/* The transform of a numeric field (--numeric, --numeric-transform; core/numeric.c),
 * fitted on the training rows. A numeric field keeps its raw values (field.num, NaN =
 * missing). Scaling kinds (log, minmax, standard): id 1 for a present value, whose
 * embedding is scaled by the transformed value (field.scale), id 0 for a missing one
 * (its own learned embedding, scale 1). bucket: ids 1..n_bounds+1 by the cut points
 * (equal-frequency over the training rows), 0 = missing, no scale. */
enum num_kind { NUM_NONE, NUM_LOG, NUM_MINMAX, NUM_STANDARD, NUM_BUCKET };
struct num_fit {
    int32_t kind;         /* enum num_kind; NUM_NONE: not fitted */
    int32_t n_bounds;     /* bucket: cut points */
    double  a, b;         /* minmax: train min, max; standard: train mean, std */
    double *bounds;       /* bucket: n_bounds ascending cut points (malloc'ed) */
    int32_t n_fit;        /* training rows with a value that the fit saw */
};

struct field {
    char     name[DATA_NAME_LEN];
    int32_t  card;        /* ids in [0, card); 0 = padding/OOV */
    int      multi;       /* 1: multi-valued (offs/mids), 0: one id per row (ids) */
    int32_t *ids;         /* single-valued: n_rows ids */
    int64_t *offs;        /* multi-valued: n_rows + 1 offsets into mids */
    int32_t *mids;        /* multi-valued: offs[n_rows] ids */
    int      own;         /* ids (or mids) is a malloc'ed copy even when the dataset's
                             other columns live in d->map (dataset_apply_min_count) */
    float   *num;         /* numeric field: n_rows raw values, NaN = missing (lives in
                             d->map when the dataset does); NULL: categorical */
    float   *scale;       /* numeric field with a scaling fit: n_rows embedding scales
                             (malloc'ed even for a mapped dataset), else NULL */
    struct num_fit fit;   /* numeric field: its transform (bounds malloc'ed) */
};

struct dataset {
    char    name[64];          /* e.g. "synthetic:ml1m", "ml100k" */
    int     n_rows, n_fields;
    struct field *fields;
    float  *label;             /* 0/1 */
    float  *prob;              /* true click probability (synthetic only) or NULL */
    int64_t *time;             /* per-row timestamp or NULL (for time splits) */
    int     user_field, item_field, category_field;   /* field indices, -1 if absent */
    char    label_rule[96];    /* human-readable label definition, stored with every run */
    int     synthetic_fallback;/* 1 when synthetic data stands in for a missing real set */
    int     day_split;         /* 1: split_time holds out calendar days (time in seconds) */
    int32_t day_offset_s;      /* added to time before it is cut into days (iaac: 8 h, UTC+8) */
    int32_t header_lines;      /* header lines the source files began with (a format's own,
                                  or one detected in a headerless format and skipped) */
    int32_t given[3];          /* rows of the given train / val / test files, stored in that
                                  order (all 0: one file, the split is drawn; val 0: carved
                                  from train) */
    void   *map;               /* non-NULL: the columns live in this read-only mapping of a */
    size_t  map_len;           /* cache file (never write into them); dataset_free unmaps it */
};

/* dataset_init zeroes d, copies name, callocs fields[n_fields] and label[n_rows], sets
 * user/item/category_field to -1. Loaders malloc each field's ids (or offs + mids) and
 * optional prob/time; dataset_free frees all of it (free(NULL) is fine), or, when map
 * is set, frees fields[] and unmaps the columns. */
void dataset_init(struct dataset *d, const char *name, int n_rows, int n_fields);
void dataset_free(struct dataset *d);
int  dataset_find_field(const struct dataset *d, const char *name);   /* index or -1 */
/* --min-count over the training rows (paper: ids of too few training instances share
 * the OOV embedding): in every field, the ids that occur fewer than min_count times in
 * the rows train[0..n_train) (a multi-valued field: in their lists) become 0, the
 * others are renumbered 1.. in order of first appearance over all rows, and card =
 * kept + 1. Validation and test rows are remapped the same way but never counted, so
 * an id seen only outside training is OOV. min_count <= 1: nothing changes. Columns in
 * a cache mapping are replaced by private copies (field.own). 0, or -1 with err (out
 * of memory, an id outside [0, card); d is then partly remapped: free it). */
int  dataset_apply_min_count(struct dataset *d, const int32_t *train, int n_train, int64_t min_count,
                             char *err, size_t errlen);
int  dataset_has_multi(const struct dataset *d);
/* 1 when some field carries embedding scales (field.scale). */
int  dataset_has_scale(const struct dataset *d);
/* Positive rate of the label. */
double dataset_pos_rate(const struct dataset *d);
/* Global id bases: base[f] = sum of card of fields before f; returns the total. */
int64_t data_field_bases(const struct dataset *d, int64_t *base);

/* Row index lists of a seeded random split (fractions of train/val; test = rest). */
struct split {
    int32_t *train, *val, *test;
    int n_train, n_val, n_test;
};
void split_random(struct split *s, const struct dataset *d, double f_train, double f_val, uint64_t seed);
/* Split in file order: the first round(f_train n) rows train, the next round(f_val n)
 * validation, the rest test, each part in row order (no shuffle). */
void split_position(struct split *s, const struct dataset *d, double f_train, double f_val);
/* Time split, each part in time order. With d->day_split: test = the rows of the last
 * calendar day (day = floor((time + day_offset_s) / 86400)), validation = the rows of
 * the latest day before it, train = every earlier row (f_val, f_test unused).
 * Otherwise rows sorted by time: the last round(f_test n) are test, the round(f_val n)
 * before them validation. how (may be NULL) gets a one-line description of the cut, or
 * why there is none: then -1 and s empty (no timestamps, or a day split over fewer
 * than 3 days). */
int  split_time(struct split *s, const struct dataset *d, double f_val, double f_test,
                char *how, size_t howlen);
void split_free(struct split *s);

/* A minibatch in model-ready form (step-arena or caller memory):
 * ids  (n * n_fields) global ids when the dataset has no multi-valued field;
 * offs (n * n_fields + 1) + bag_ids otherwise (single-valued fields become bags of 1). */
struct batch {
    int      n, n_fields;
    int32_t *ids;
    int32_t *offs, *bag_ids;
    float   *scale;            /* (n * n_fields) embedding scales, when a field has them
                                  (a numeric field's transformed values; 1 elsewhere), or NULL */
    float   *label;
    const int32_t *rows;       /* dataset rows of this batch */
};

/* Builds batch rows[0..n) into caller buffers sized by batch_bytes(). */
size_t batch_bytes(const struct dataset *d, const int32_t *rows, int n);
void   batch_build(struct batch *b, const struct dataset *d, const int64_t *base,
                   const int32_t *rows, int n, void *mem);

#endif
