/* Frappe app-usage logs in libFM text form (Baltrunas et al. 2015, as released with
 * two sampled negatives per positive: frappe.train/validation/test.libfm).
 *
 * --file PATH, else DIR/frappe/frappe.train.libfm. Each line: a label, then one
 * "feat:value" token per field, separated by spaces (runs of spaces and a trailing
 * space are allowed); CRLF or LF. Label -1 (or 0) -> 0, 1 (or +1) -> 1. feat is the
 * libFM feature index (a decimal integer 0..2^31-1), value must be 1 (one-hot fields:
 * any other value would be lost). The k-th token is field k; every line has as many
 * tokens as the first. Ten tokens are Frappe's fields user, item, daytime, weekday,
 * isweekend, homework, cost, weather, country, city (user = the user field of gAUC,
 * item = the item field); another count names them f1..fN, without user or item. */
#include "cache.h"
#include "csvread.h"
#include "dataset.h"
#include "idmap.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAPPE_FILE "frappe.train.libfm"
#define FRAPPE_MAX_FIELDS 256

static const char *const frappe_names[10] = { "user", "item", "daytime", "weekday", "isweekend",
                                               "homework", "cost", "weather", "country", "city" };

struct frappe_ctx {
    const struct data_opts *o;
    struct tbuild       t;
    int                 built;
    struct csvread_bad *bad;
    int                 n_fields;          /* tokens after the label; 0 before the first line */
    char                names[FRAPPE_MAX_FIELDS][DATA_NAME_LEN];
};

static int frappe_init(struct frappe_ctx *c, int n, const struct csvread_row *r, char *err, size_t errlen)
{
    if (n < 1 || n > FRAPPE_MAX_FIELDS) {
        snprintf(err, errlen, "%s:%ld: field label: %d feat:value tokens after the label, expected 1..%d", r->path,
                 r->line, n, FRAPPE_MAX_FIELDS);
        return -1;
    }
    const char *names[FRAPPE_MAX_FIELDS];
    for (int f = 0; f < n; f++) {
        if (n == 10) snprintf(c->names[f], DATA_NAME_LEN, "%s", frappe_names[f]);
        else snprintf(c->names[f], DATA_NAME_LEN, "f%d", f + 1);
        names[f] = c->names[f];
    }
    if (tbuild_init(&c->t, n, names, NULL, 0)) {
        snprintf(err, errlen, "frappe: out of memory");
        return -1;
    }
    c->built = 1;
    c->n_fields = n;
    return tbuild_hash_buckets(&c->t, c->o->hash_buckets, "frappe", err, errlen);
}

/* "feat:value" with feat 0..2^31-1 and value 1: the length of feat, or 0. */
static size_t frappe_feat(const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    if (!colon || colon == s || colon - s > 10) return 0;
    long long v = 0;
    for (const char *p = s; p < colon; p++) {
        if (*p < '0' || *p > '9') return 0;
        v = v * 10 + (*p - '0');
    }
    if (v > 2147483647LL) return 0;
    double x;
    if (csvread_f64(colon + 1, &x) || x != 1.0) return 0;
    return (size_t)(colon - s);
}

static int frappe_row(void *ctx, const struct csvread_row *r, char *err, size_t errlen)
{
    struct frappe_ctx *c = ctx;
    int n = 0, first = -1;
    for (int i = 0; i < r->n; i++)          /* empty tokens: runs of spaces */
        if (r->len[i]) {
            if (first < 0) first = i;
            n++;
        }
    if (first < 0) return 0;                /* a line of spaces */
    if (!c->built && frappe_init(c, n - 1, r, err, errlen)) return -1;
    if (n - 1 != c->n_fields)
        return csvread_bad_row(c->bad, r, n - 1 < c->n_fields ? c->names[n - 1] : "(extra)", err, errlen,
                               "the line has %d feat:value tokens, the first line %d", n - 1, c->n_fields);
    const char *lv = r->f[first];
    float label;
    if (strcmp(lv, "1") == 0 || strcmp(lv, "+1") == 0) label = 1.0f;
    else if (strcmp(lv, "-1") == 0 || strcmp(lv, "0") == 0) label = 0.0f;
    else return csvread_bad_row(c->bad, r, "label", err, errlen, "'%s' is not a label -1, 0 or 1", lv);
    int f = 0;
    for (int i = first + 1; i < r->n; i++) {
        if (!r->len[i]) continue;
        if (!frappe_feat(r->f[i], r->len[i]))
            return csvread_bad_row(c->bad, r, c->names[f], err, errlen,
                                   "'%s' is not feat:1 (a feature index 0..2^31-1, value 1)", r->f[i]);
        f++;
    }
    f = 0;
    for (int i = first + 1; i < r->n; i++)
        if (r->len[i]) tbuild_add(&c->t, f++, r->f[i], frappe_feat(r->f[i], r->len[i]));
    tbuild_row(&c->t, label, 0);
    if (c->t.oom) {
        snprintf(err, errlen, "%s: out of memory", r->path);
        return -1;
    }
    return 0;
}

struct frappe_job {
    const struct data_opts *o;
    struct dataset_files files;     /* --file, or a given split's files */
};

static int frappe_build(struct dataset *d, void *ctx, int *n_skipped, char *err, size_t errlen)
{
    struct frappe_job *j = ctx;
    struct csvread_bad bad = { .skip = j->o->skip_bad_rows };
    struct frappe_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "frappe: out of memory");
        return -1;
    }
    c->o = j->o;
    c->bad = &bad;
    struct csvread_opts ro = { ' ', 0, 0, 0 };
    int rc = 0;
    int32_t given[3] = { 0, 0, 0 };
    for (int i = 0; i < j->files.n && !rc; i++) {       /* one id map over every file */
        const char *path = j->files.path[i];
        size_t before = c->built ? c->t.n_rows : 0;
        rc = csvread_file(path, &ro, frappe_row, c, err, errlen);
        size_t rows = c->built ? c->t.n_rows - before : 0;
        if (!rc && rows == 0 && !j->files.given) {
            snprintf(err, errlen, "frappe: %s: empty file (expected libFM lines: label feat:1 ...)", path);
            rc = -1;
        }
        if (!rc) rc = dataset_files_rows(&j->files, i, rows, given, "frappe", err, errlen);
    }
    if (!rc) rc = tbuild_finish(&c->t, d, "frappe", c->n_fields == 10 ? 1 : -1, j->o->min_item_count, err, errlen);
    int n_fields = c->n_fields;
    if (c->built) tbuild_free(&c->t);
    free(c);
    if (rc) return -1;
    if (j->files.given) memcpy(d->given, given, sizeof d->given);
    d->user_field = n_fields == 10 ? 0 : -1;
    d->item_field = n_fields == 10 ? 1 : -1;
    snprintf(d->label_rule, sizeof d->label_rule, "libFM label: 1 -> 1, -1 (or 0) -> 0");
    csvread_bad_report(&bad, "frappe");
    *n_skipped = (int)bad.count;
    return 0;
}

static int frappe_load(struct dataset *d, const struct data_opts *o, char *err, size_t errlen)
{
    struct frappe_job *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    j->o = o;
    int rc = dataset_find_files(&j->files, o, "frappe", "frappe", FRAPPE_FILE, err, errlen);
    if (!rc) rc = cache_load_files(d, o, "frappe", &j->files, 0, frappe_build, j, err, errlen);
    free(j);
    return rc;
}

const struct dataset_spec dataset_spec_frappe = {
    .name = "frappe",
    .help = "Frappe (libFM text): --file PATH (else DIR/frappe/" FRAPPE_FILE ") or a given split (--train-file, "
            "--val-file, --test-file), label -1/1 then one feat:1 per "
            "field; 10 fields user, item, daytime, ..., city (user = gAUC's user)",
    .options = "file train-file val-file test-file val-frac hash-buckets",
    .load = frappe_load,
};
