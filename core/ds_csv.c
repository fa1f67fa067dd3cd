/* Generic delimited file with a header line (RFC 4180 quoting, spaces around unquoted
 * fields trimmed, CRLF or LF, a UTF-8 byte-order mark ignored).
 *
 *   --file PATH           the file (as given, else DIR/PATH)
 *   --label COL           label column holding 0/1;  --label 'COL>T' / 'COL>=T': 1 when
 *                         the number in COL is above (or at least) T, e.g. rating>3
 *   --fields A,B,C        categorical columns (default: every column but the label and
 *                         the time column; the label column itself is refused)
 *   --multi COL:SEP[,..]  multi-valued columns, SEP one character (genres:|); an empty
 *                         cell is an empty list, empty pieces are ignored
 *   --delim C             one character, or tab, space, :: (default ,)
 *   --numeric A,B         numeric columns (core/numeric.h): fields too (appended to
 *                         --fields when it lacks them); an empty cell, or one holding
 *                         --numeric-missing V, is missing; any other non-number is bad
 *   --time-col COL        the column of row times (integers; a row without one is bad),
 *                         none for no times; unset: the first column named below
 *                         (excluded from the default fields like the label)
 * The user, item and category fields are the first fields named user_id/userid/user/uid,
 * item_id/itemid/item/movie_id/movieid/iid/asin/product_id and
 * category/category_id/cate_id/categories/genres/genre (any case). A column named
 * timestamp/time/ts/unix_time/context_timestamp sets the row times when --time-col is
 * unset and every row holds an integer of magnitude under 2^62 there (otherwise the
 * dataset has no times, and --split time says so). */
#include "cache.h"
#include "csvread.h"
#include "dataset.h"
#include "idmap.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define CSV_MAX_FIELDS 256
#define CSV_TIME_ABS_MAX (INT64_C(1) << 62)   /* any unit up to ns since 1970; differences fit int64 */

struct csv_job {
    const struct data_opts *o;
    char path[4096];            /* the file being read */
    struct dataset_files f;     /* --file, or a given split's train, [val,] test */
    int delim;
    char label[DATA_NAME_LEN];
    int label_op;               /* 0: 0/1 column, 1: > T, 2: >= T */
    double label_t;
};

struct csv_ctx {
    struct csv_job     *j;
    struct tbuild       t;
    int                 built;          /* t initialised */
    struct csvread_bad *bad;
    int                 n_cols;         /* header width; 0 before the header */
    int                 header_done;    /* the current file's header line was read */
    char              **hdr;
    int                 n_fields;
    int                 col[CSV_MAX_FIELDS];
    char                sep[CSV_MAX_FIELDS];   /* list separator of a multi field, or 0 */
    int                 col_label, col_time, time_ok;
    int                 time_given;     /* --time-col COL: a row without an integer time is bad */
    int                 user_f, item_f, cat_f;
    int                 list_field;
};

static int csv_is_one_of(const char *s, const char *const *names)
{
    for (; *names; names++)
        if (strcasecmp(s, *names) == 0) return 1;
    return 0;
}

static const char *const csv_user_names[] = { "user_id", "userid", "user", "uid", NULL };
static const char *const csv_item_names[] = { "item_id", "itemid", "item", "movie_id", "movieid", "iid",
                                              "asin", "product_id", NULL };
static const char *const csv_cat_names[] = { "category", "category_id", "cate_id", "categories", "genres",
                                             "genre", NULL };
static const char *const csv_time_names[] = { "timestamp", "time", "ts", "unix_time", "context_timestamp", NULL };

static int csv_find_col(const struct csv_ctx *c, const char *name, size_t len)
{
    for (int i = 0; i < c->n_cols; i++)
        if (strlen(c->hdr[i]) == len && memcmp(c->hdr[i], name, len) == 0) return i;
    return -1;
}

static void csv_no_col(const struct csv_ctx *c, const char *opt, const char *name, size_t len,
                       char *err, size_t errlen)
{
    char cols[300] = "";
    for (int i = 0; i < c->n_cols && strlen(cols) < sizeof cols - 40; i++) {
        if (i) strcat(cols, ", ");
        strncat(cols, c->hdr[i], sizeof cols - strlen(cols) - 8);
    }
    snprintf(err, errlen, "csv: %s: no column '%.*s' in the header of %s (columns: %s)", opt, (int)len, name,
             c->j->path, cols);
}

/* Header line: columns, the fields, their separators, and the builder. */
static int csv_header(struct csv_ctx *c, const struct csvread_row *r, char *err, size_t errlen)
{
    const struct data_opts *o = c->j->o;
    c->n_cols = r->n;
    c->hdr = calloc((size_t)r->n, sizeof *c->hdr);
    if (!c->hdr) goto oom;
    for (int i = 0; i < r->n; i++) {
        const char *h = r->f[i];
        if (i == 0 && strncmp(h, "\xEF\xBB\xBF", 3) == 0) h += 3;       /* UTF-8 BOM */
        if (!(c->hdr[i] = strdup(h))) goto oom;
    }
    c->col_label = csv_find_col(c, c->j->label, strlen(c->j->label));
    if (c->col_label < 0) {
        csv_no_col(c, "--label", c->j->label, strlen(c->j->label), err, errlen);
        return -1;
    }
    c->col_time = -1;
    const char *tc = o->time_col;
    if (tc && *tc && strcmp(tc, "none") != 0) {
        c->col_time = csv_find_col(c, tc, strlen(tc));
        if (c->col_time < 0) {
            csv_no_col(c, "--time-col", tc, strlen(tc), err, errlen);
            return -1;
        }
        if (c->col_time == c->col_label) {
            snprintf(err, errlen, "csv: --time-col: column '%s' is the label column", tc);
            return -1;
        }
        c->time_given = 1;
    } else if (!tc) {
        for (int i = 0; i < r->n && c->col_time < 0; i++)
            if (i != c->col_label && csv_is_one_of(c->hdr[i], csv_time_names)) c->col_time = i;
    }
    c->time_ok = c->col_time >= 0;
    c->n_fields = 0;
    if (o->fields && *o->fields) {
        for (const char *p = o->fields;;) {
            const char *e = strchr(p, ',');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            int k = csv_find_col(c, p, n);
            if (k < 0) {
                csv_no_col(c, "--fields", p, n, err, errlen);
                return -1;
            }
            if (k == c->col_label) {               /* the model would read the answer */
                snprintf(err, errlen, "csv: --fields: column '%s' is the label column (--label '%s'); a label "
                         "used as a feature leaks the answer", c->hdr[k], o->label_col);
                return -1;
            }
            if (c->n_fields == CSV_MAX_FIELDS) {
                snprintf(err, errlen, "csv: --fields: more than %d fields", CSV_MAX_FIELDS);
                return -1;
            }
            c->col[c->n_fields++] = k;
            if (!e) break;
            p = e + 1;
        }
    } else {
        for (int i = 0; i < r->n && c->n_fields < CSV_MAX_FIELDS; i++)
            if (i != c->col_label && i != c->col_time) c->col[c->n_fields++] = i;
    }
    /* --numeric columns are fields too: those --fields left out are appended */
    for (const char *p = o->numeric; p && *p && strcmp(p, "default") != 0;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        int k = csv_find_col(c, p, n), have = 0;
        if (k < 0) {
            csv_no_col(c, "--numeric", p, n, err, errlen);
            return -1;
        }
        if (k == c->col_label) {
            snprintf(err, errlen, "csv: --numeric: column '%s' is the label column; a label used as a feature "
                     "leaks the answer", c->hdr[k]);
            return -1;
        }
        for (int i = 0; i < c->n_fields; i++) have |= c->col[i] == k;
        if (!have) {
            if (c->n_fields == CSV_MAX_FIELDS) {
                snprintf(err, errlen, "csv: --numeric: more than %d fields", CSV_MAX_FIELDS);
                return -1;
            }
            c->col[c->n_fields++] = k;
        }
        if (!e) break;
        p = e + 1;
    }
    memset(c->sep, 0, sizeof c->sep);
    for (const char *p = o->multi; p && *p;) {
        const char *colon = strchr(p, ':');
        if (!colon || !colon[1] || (colon[2] && colon[2] != ',')) {
            snprintf(err, errlen, "csv: --multi: expected COL:SEP[,COL:SEP...] with SEP one character, got '%s'",
                     o->multi);
            return -1;
        }
        int k = csv_find_col(c, p, (size_t)(colon - p)), f = -1;
        if (k < 0) {
            csv_no_col(c, "--multi", p, (size_t)(colon - p), err, errlen);
            return -1;
        }
        for (int i = 0; i < c->n_fields; i++)
            if (c->col[i] == k) f = i;
        if (f < 0) {
            snprintf(err, errlen, "csv: --multi: column '%s' is not one of the fields", c->hdr[k]);
            return -1;
        }
        c->sep[f] = colon[1];
        p = colon[2] ? colon + 3 : colon + 2;
    }
    const char *names[CSV_MAX_FIELDS];
    int multi[CSV_MAX_FIELDS];
    c->user_f = c->item_f = c->cat_f = -1;
    for (int f = 0; f < c->n_fields; f++) {
        names[f] = c->hdr[c->col[f]];
        multi[f] = c->sep[f] != 0;
        if (c->user_f < 0 && csv_is_one_of(names[f], csv_user_names)) c->user_f = f;
        if (c->item_f < 0 && csv_is_one_of(names[f], csv_item_names)) c->item_f = f;
        if (c->cat_f < 0 && csv_is_one_of(names[f], csv_cat_names)) c->cat_f = f;
    }
    if (c->n_fields == 0) {
        snprintf(err, errlen, "csv: %s: no categorical fields (name them with --fields)", c->j->path);
        return -1;
    }
    if (tbuild_init(&c->t, c->n_fields, names, multi, c->col_time >= 0)) goto oom;
    c->built = 1;
    if (tbuild_numeric(&c->t, o->numeric, NULL, o->numeric_missing, NULL, "csv", err, errlen) ||
        tbuild_hash_buckets(&c->t, o->hash_buckets, "csv", err, errlen))
        return -1;
    int *roles[3] = { &c->user_f, &c->item_f, &c->cat_f };   /* a number is no user, item or category */
    for (int i = 0; i < 3; i++)
        if (*roles[i] >= 0 && tbuild_is_num(&c->t, *roles[i])) *roles[i] = -1;
    return 0;
oom:
    snprintf(err, errlen, "csv: out of memory");
    return -1;
}

/* The header of a given split's second or third file: the first file's columns. */
static int csv_same_header(const struct csv_ctx *c, const struct csvread_row *r, char *err, size_t errlen)
{
    for (int i = 0; i < r->n || i < c->n_cols; i++) {
        const char *h = i < r->n ? r->f[i] : NULL;
        if (h && i == 0 && strncmp(h, "\xEF\xBB\xBF", 3) == 0) h += 3;
        if (i >= r->n || i >= c->n_cols || strcmp(h, c->hdr[i]) != 0) {
            snprintf(err, errlen, "csv: %s:1: the header differs from %s's at column %d ('%s', expected '%s')",
                     r->path, c->j->f.path[0], i + 1, h ? h : "(none)", i < c->n_cols ? c->hdr[i] : "(none)");
            return -1;
        }
    }
    return 0;
}

static int csv_piece(void *ctx, const char *p, size_t n)
{
    struct csv_ctx *c = ctx;
    if (n) tbuild_add(&c->t, c->list_field, p, n);
    return 0;
}

static int csv_row(void *ctx, const struct csvread_row *r, char *err, size_t errlen)
{
    struct csv_ctx *c = ctx;
    if (!c->header_done) {
        c->header_done = 1;
        int rc = c->n_cols ? csv_same_header(c, r, err, errlen) : csv_header(c, r, err, errlen);
        if (!rc) c->t.header_lines++;
        return rc;
    }
    if (r->n != c->n_cols)
        return csvread_bad_row(c->bad, r, r->n < c->n_cols ? c->hdr[r->n] : "(extra)", err, errlen,
                               "the line has %d fields, the header %d", r->n, c->n_cols);
    double v;
    const char *lv = r->f[c->col_label];
    if (csvread_f64(lv, &v) || (c->j->label_op == 0 && v != 0.0 && v != 1.0))
        return csvread_bad_row(c->bad, r, c->hdr[c->col_label], err, errlen,
                               c->j->label_op ? "'%s' is not a number" : "'%s' is not a 0/1 label", lv);
    float label = c->j->label_op == 0 ? (float)v : c->j->label_op == 1 ? v > c->j->label_t : v >= c->j->label_t;
    long long ts = 0;
    if (c->time_ok && (csvread_i64(r->f[c->col_time], &ts) || ts <= -CSV_TIME_ABS_MAX || ts >= CSV_TIME_ABS_MAX)) {
        if (c->time_given)
            return csvread_bad_row(c->bad, r, c->hdr[c->col_time], err, errlen,
                                   "'%s' is not an integer time of magnitude under 2^62 (--time-col)",
                                   r->f[c->col_time]);
        c->time_ok = 0;
    }
    for (int f = 0; f < c->n_fields; f++) {
        int k = c->col[f];
        if (c->sep[f]) {
            c->list_field = f;
            csvread_split(r->f[k], r->len[k], c->sep[f], csv_piece, c);
        } else if (tbuild_is_num(&c->t, f)) {
            if (tbuild_num(&c->t, f, r->f[k], r->len[k])) {
                tbuild_discard(&c->t);
                return csvread_bad_row(c->bad, r, c->hdr[k], err, errlen, "'%s' is not a number (--numeric; empty "
                                       "= missing)", r->f[k]);
            }
        } else {
            tbuild_add(&c->t, f, r->f[k], r->len[k]);
        }
    }
    tbuild_row(&c->t, label, ts);
    if (c->t.oom) {
        snprintf(err, errlen, "%s: out of memory", r->path);
        return -1;
    }
    return 0;
}

static int csv_build(struct dataset *d, void *ctx, int *n_skipped, char *err, size_t errlen)
{
    struct csv_job *j = ctx;
    struct csvread_bad bad = { .skip = j->o->skip_bad_rows };
    struct csv_ctx c = { .j = j, .bad = &bad };
    struct csvread_opts ro = { j->delim, 1, 1, 0 };
    int rc = 0;
    int32_t given[3] = { 0, 0, 0 };
    for (int fi = 0; fi < j->f.n && !rc; fi++) {          /* one id map over every file */
        snprintf(j->path, sizeof j->path, "%s", j->f.path[fi]);
        size_t before = c.built ? c.t.n_rows : 0;
        c.header_done = 0;
        rc = csvread_file(j->path, &ro, csv_row, &c, err, errlen);
        if (!rc && !c.header_done) {
            snprintf(err, errlen, "csv: %s: empty file (expected a header line)", j->path);
            rc = -1;
        }
        if (!rc) rc = dataset_files_rows(&j->f, fi, c.t.n_rows - before, given, "csv", err, errlen);
    }
    const char *base = strrchr(j->f.path[0], '/');
    char name[64];
    snprintf(name, sizeof name, "csv:%.59s", base ? base + 1 : j->f.path[0]);
    if (!rc) rc = tbuild_finish(&c.t, d, name, c.item_f, j->o->min_item_count, err, errlen);
    if (!rc && j->f.given) memcpy(d->given, given, sizeof d->given);
    if (c.built) tbuild_free(&c.t);
    for (int i = 0; c.hdr && i < c.n_cols; i++) free(c.hdr[i]);
    free(c.hdr);
    if (rc) return -1;
    if (!c.time_ok) {
        free(d->time);
        d->time = NULL;
    }
    d->user_field = c.user_f;
    d->item_field = c.item_f;
    d->category_field = c.cat_f;
    if (j->label_op == 0) snprintf(d->label_rule, sizeof d->label_rule, "%s (0/1 column)", j->label);
    else snprintf(d->label_rule, sizeof d->label_rule, "%s %s %g -> 1 else 0", j->label,
                  j->label_op == 1 ? ">" : ">=", j->label_t);
    csvread_bad_report(&bad, "csv");
    *n_skipped = (int)bad.count;
    return 0;
}

/* --delim: one character, or tab / space / ::. */
static int csv_parse_delim(const char *s)
{
    if (!s || !*s) return ',';
    if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0) return '\t';
    if (strcmp(s, "space") == 0) return ' ';
    if (strcmp(s, "::") == 0) return CSVREAD_DCOLON;
    if (strlen(s) == 1 && s[0] != '"' && s[0] != '\n' && s[0] != '\r') return (unsigned char)s[0];
    return -1;
}

/* --label COL, COL>T or COL>=T. */
static int csv_parse_label(struct csv_job *j, const char *s, char *err, size_t errlen)
{
    const char *gt = s ? strchr(s, '>') : NULL;
    size_t n = gt ? (size_t)(gt - s) : s ? strlen(s) : 0;
    if (n == 0 || n >= sizeof j->label) {
        snprintf(err, errlen, "csv: --label COL is required (COL holds 0/1, or COL>T / COL>=T thresholds a number)");
        return -1;
    }
    memcpy(j->label, s, n);
    j->label[n] = '\0';
    if (!gt) return 0;
    j->label_op = gt[1] == '=' ? 2 : 1;
    if (csvread_f64(gt + j->label_op, &j->label_t)) {
        snprintf(err, errlen, "csv: --label '%s': expected a number after '%s'", s, j->label_op == 2 ? ">=" : ">");
        return -1;
    }
    return 0;
}

static int csv_load(struct dataset *d, const struct data_opts *o, char *err, size_t errlen)
{
    struct csv_job *j = calloc(1, sizeof *j);
    int rc = -1;
    if (!j) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    j->o = o;
    if ((!o->file || !*o->file) && !o->train_file) {
        snprintf(err, errlen, "csv: --file PATH is required (a delimited file with a header line), or a given "
                 "split: --train-file, --test-file [--val-file]");
        goto out;
    }

    if (csv_parse_label(j, o->label_col, err, errlen)) goto out;
    if ((j->delim = csv_parse_delim(o->delim)) < 0) {
        snprintf(err, errlen, "csv: --delim: expected one character, tab, space or ::, got '%s'", o->delim);
        goto out;
    }
    if (dataset_find_files(&j->f, o, "csv", "", o->file ? o->file : "", err, errlen)) goto out;
    snprintf(j->path, sizeof j->path, "%s", j->f.path[0]);
    uint64_t h = cache_hash_str(CACHE_HASH_SEED, o->label_col);
    h = cache_hash_str(h, o->fields);
    h = cache_hash_str(h, o->multi);
    h = cache_hash_str(h, o->time_col);
    h = cache_hash_i64(h, j->delim);
    rc = cache_load_files(d, o, "csv", &j->f, h, csv_build, j, err, errlen);
out:
    free(j);
    return rc;
}

const struct dataset_spec dataset_spec_csv = {
    .name = "csv",
    .help = "any delimited file with a header: --file PATH (or --train-file A --test-file C [--val-file B]) "
            "--label COL|COL>T [--fields A,B] "
            "[--multi COL:SEP] [--delim C] [--time-col COL|none] [--numeric A,B]",
    .options = "label fields multi delim file train-file val-file test-file val-frac time-col hash-buckets "
               "numeric numeric-missing",
    .load = csv_load,
};
