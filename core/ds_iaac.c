/* IJCAI-18 Alimama advertising algorithm competition (IAAC), round 1 training file.
 *
 * DIR/iaac/round1_ijcai_18_train_20180301.txt: space-separated, one header line
 * naming the 27 columns (instance_id item_id item_category_list item_property_list
 * item_brand_id item_city_id item_price_level item_sales_level item_collected_level
 * item_pv_level user_id user_gender_id user_age_level user_occupation_id
 * user_star_level context_id context_timestamp context_page_id
 * predict_category_property shop_id shop_review_num_level shop_review_positive_rate
 * shop_star_level shop_score_service shop_score_delivery shop_score_description
 * is_trade); columns are found by name, so their order does not matter.
 * item_category_list and item_property_list are ';'-lists (multi-valued fields; an
 * empty column is an empty list). -1 marks a missing value and is kept as a value of
 * its own. Fields: the columns below, plus context_hour (hour of context_timestamp in
 * Beijing time, UTC+8); instance_id, context_id (unique per row) and
 * predict_category_property are not used. Label is_trade (0/1); time =
 * context_timestamp, and the dataset asks for a day split: --split time holds out the
 * last calendar day in Beijing time as test and the day before as validation.
 * --numeric default (or a list of fields) makes the level and score columns numeric
 * fields (core/numeric.h), -1 missing (--numeric-missing). */
#include "cache.h"
#include "csvread.h"
#include "dataset.h"
#include "idmap.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IAAC_FILE "round1_ijcai_18_train_20180301.txt"
#define IAAC_HOUR (-2)   /* derived from context_timestamp */
#define IAAC_UTC_OFFSET (8 * 3600)   /* timestamps are Unix seconds; days and hours are Beijing's */
/* --numeric default: the ordinal level and score columns */
#define IAAC_NUMERIC "item_price_level,item_sales_level,item_collected_level,item_pv_level,user_age_level," \
                     "user_star_level,shop_review_num_level,shop_review_positive_rate,shop_star_level," \
                     "shop_score_service,shop_score_delivery,shop_score_description"

static const struct iaac_field { const char *name; int multi; } iaac_fields[] = {
    { "item_id", 0 },             { "item_category_list", 1 }, { "item_property_list", 1 },
    { "item_brand_id", 0 },       { "item_city_id", 0 },       { "item_price_level", 0 },
    { "item_sales_level", 0 },    { "item_collected_level", 0 }, { "item_pv_level", 0 },
    { "user_id", 0 },             { "user_gender_id", 0 },     { "user_age_level", 0 },
    { "user_occupation_id", 0 },  { "user_star_level", 0 },    { "context_page_id", 0 },
    { "context_hour", 0 },        { "shop_id", 0 },            { "shop_review_num_level", 0 },
    { "shop_review_positive_rate", 0 }, { "shop_star_level", 0 }, { "shop_score_service", 0 },
    { "shop_score_delivery", 0 }, { "shop_score_description", 0 },
};
#define IAAC_NF ((int)(sizeof iaac_fields / sizeof iaac_fields[0]))
enum { IAAC_ITEM = 0, IAAC_CATEGORY = 1, IAAC_USER = 9, IAAC_HOUR_FIELD = 15 };

struct iaac_ctx {
    struct tbuild      *t;
    struct csvread_bad *bad;
    int                 n_cols;          /* header width; 0 until the header is read */
    int                 col[IAAC_NF];    /* file column of each field (IAAC_HOUR: derived) */
    int                 col_ts, col_label;
    char              **hdr;             /* header names (copied) */
    int                 list_field;      /* the field being split (list callback) */
    int                 list_bad;
};

static int iaac_header(struct iaac_ctx *c, const struct csvread_row *r, char *err, size_t errlen)
{
    c->n_cols = r->n;
    c->hdr = calloc((size_t)r->n, sizeof *c->hdr);
    for (int i = 0; c->hdr && i < r->n; i++) c->hdr[i] = strdup(r->f[i]);
    c->col_ts = c->col_label = -1;
    for (int f = 0; f < IAAC_NF; f++) c->col[f] = f == IAAC_HOUR_FIELD ? IAAC_HOUR : -1;
    for (int i = 0; i < r->n; i++) {
        if (strcmp(r->f[i], "context_timestamp") == 0) c->col_ts = i;
        if (strcmp(r->f[i], "is_trade") == 0) c->col_label = i;
        for (int f = 0; f < IAAC_NF; f++)
            if (strcmp(r->f[i], iaac_fields[f].name) == 0) c->col[f] = i;
    }
    const char *missing = c->col_ts < 0 ? "context_timestamp" : c->col_label < 0 ? "is_trade" : NULL;
    for (int f = 0; f < IAAC_NF && !missing; f++)
        if (c->col[f] == -1) missing = iaac_fields[f].name;
    if (missing) {
        snprintf(err, errlen, "%s:%ld: field %s: missing from the header line (is this %s?)",
                 r->path, r->line, missing, IAAC_FILE);
        return -1;
    }
    return 0;
}

static int iaac_piece(void *ctx, const char *p, size_t n)
{
    struct iaac_ctx *c = ctx;
    if (n == 0) {
        c->list_bad = 1;
        return 1;
    }
    tbuild_add(c->t, c->list_field, p, n);
    return 0;
}

static int iaac_row(void *ctx, const struct csvread_row *r, char *err, size_t errlen)
{
    struct iaac_ctx *c = ctx;
    struct tbuild *t = c->t;
    if (!c->n_cols) {
        t->header_lines++;
        return iaac_header(c, r, err, errlen);
    }
    if (r->n != c->n_cols) {
        const char *name = r->n < c->n_cols ? (c->hdr && c->hdr[r->n] ? c->hdr[r->n] : "?") : "(extra)";
        return csvread_bad_row(c->bad, r, name, err, errlen, "the line has %d fields, the header %d",
                               r->n, c->n_cols);
    }
    long long ts, label;
    if (csvread_i64(r->f[c->col_label], &label) || (label != 0 && label != 1))
        return csvread_bad_row(c->bad, r, "is_trade", err, errlen, "'%s' is not 0 or 1", r->f[c->col_label]);
    if (csvread_time(r->f[c->col_ts], &ts))
        return csvread_bad_row(c->bad, r, "context_timestamp", err, errlen,
                               "'%s' is not a Unix time in seconds 0..%lld", r->f[c->col_ts], CSVREAD_TIME_MAX);
    for (int f = 0; f < IAAC_NF; f++) {
        int k = c->col[f];
        if (k == IAAC_HOUR) {
            char h[4];
            int n = snprintf(h, sizeof h, "%d", (int)(((ts + IAAC_UTC_OFFSET) % 86400) / 3600));
            if (tbuild_is_num(t, f)) tbuild_num(t, f, h, (size_t)n);
            else tbuild_add(t, f, h, (size_t)n);
        } else if (iaac_fields[f].multi) {
            c->list_field = f;
            c->list_bad = 0;
            csvread_split(r->f[k], r->len[k], ';', iaac_piece, c);
            if (c->list_bad) {
                tbuild_discard(t);
                return csvread_bad_row(c->bad, r, iaac_fields[f].name, err, errlen,
                                       "empty element in the ';'-list '%s'", r->f[k]);
            }
        } else {
            if (r->len[k] == 0) {
                tbuild_discard(t);
                return csvread_bad_row(c->bad, r, iaac_fields[f].name, err, errlen,
                                       "empty (a missing value is written -1)");
            }
            if (!tbuild_is_num(t, f)) {
                tbuild_add(t, f, r->f[k], r->len[k]);
            } else if (tbuild_num(t, f, r->f[k], r->len[k])) {
                tbuild_discard(t);
                return csvread_bad_row(c->bad, r, iaac_fields[f].name, err, errlen, "'%s' is not a number "
                                       "(--numeric)", r->f[k]);
            }
        }
    }
    tbuild_row(t, (float)label, ts);
    if (t->oom) {
        snprintf(err, errlen, "%s: out of memory", r->path);
        return -1;
    }
    return 0;
}

struct iaac_job {
    const struct data_opts *o;
    char path[4096];
};

static int iaac_build(struct dataset *d, void *ctx, int *n_skipped, char *err, size_t errlen)
{
    struct iaac_job *j = ctx;
    const char *names[IAAC_NF];
    int multi[IAAC_NF];
    for (int f = 0; f < IAAC_NF; f++) {
        names[f] = iaac_fields[f].name;
        multi[f] = iaac_fields[f].multi;
    }
    struct tbuild t;
    struct csvread_bad bad = { .skip = j->o->skip_bad_rows };
    if (tbuild_init(&t, IAAC_NF, names, multi, 1)) {
        snprintf(err, errlen, "iaac: out of memory");
        return -1;
    }
    if (tbuild_numeric(&t, j->o->numeric, IAAC_NUMERIC, j->o->numeric_missing, "-1", "iaac", err, errlen) ||
        tbuild_hash_buckets(&t, j->o->hash_buckets, "iaac", err, errlen)) {
        tbuild_free(&t);
        return -1;
    }
    struct iaac_ctx c = { .t = &t, .bad = &bad };
    struct csvread_opts ro = { ' ', 0, 0, 0 };
    int rc = csvread_file(j->path, &ro, iaac_row, &c, err, errlen);
    for (int i = 0; c.hdr && i < c.n_cols; i++) free(c.hdr[i]);
    free(c.hdr);
    if (!rc && !c.n_cols) {
        snprintf(err, errlen, "%s: empty file (expected a header line and rows)", j->path);
        rc = -1;
    }
    if (!rc) rc = tbuild_finish(&t, d, "iaac", IAAC_ITEM, j->o->min_item_count, err, errlen);
    tbuild_free(&t);
    if (rc) return -1;
    d->user_field = d->fields[IAAC_USER].num ? -1 : IAAC_USER;
    d->item_field = d->fields[IAAC_ITEM].num ? -1 : IAAC_ITEM;
    d->category_field = IAAC_CATEGORY;
    d->day_split = 1;
    d->day_offset_s = IAAC_UTC_OFFSET;
    snprintf(d->label_rule, sizeof d->label_rule, "is_trade (1: the click led to a purchase)");
    csvread_bad_report(&bad, "iaac");
    *n_skipped = (int)bad.count;
    return 0;
}

static int iaac_load(struct dataset *d, const struct data_opts *o, char *err, size_t errlen)
{
    struct iaac_job *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    j->o = o;
    int rc = csvread_locate(j->path, sizeof j->path, o->data_dir, "iaac", IAAC_FILE, "iaac", err, errlen);
    if (!rc) {
        struct cache_key k = { .spec = "iaac", .paths = { j->path }, .n_paths = 1 };
        k.opts_hash = cache_hash_common(CACHE_HASH_SEED, &k, o);
        rc = cache_load_or_build(d, o, &k, iaac_build, j, err, errlen);
    }
    free(j);
    return rc;
}

const struct dataset_spec dataset_spec_iaac = {
    .name = "iaac",
    .help = "IJCAI-18 (IAAC): DIR/iaac/" IAAC_FILE "; label is_trade; ';'-lists multi-valued, -1 = missing; "
            "--split time holds out the last day (Beijing time), the day before = validation; --numeric default: "
            "the level and score columns numeric",
    .options = "hash-buckets numeric numeric-missing",
    .load = iaac_load,
};
