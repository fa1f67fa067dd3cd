/* Avazu mobile-ad click logs (the Kaggle 2014 challenge).
 *
 * --file PATH, else DIR/avazu/train. Comma-separated with a header line
 * "id,click,hour,C1,banner_pos,site_id,...,C21" (columns found by name, any order);
 * a file whose first field is not "id" is read as headerless with the Kaggle
 * training columns in their order (24). CRLF or LF. Label: click, 0 or 1. id is not
 * used. hour is YYMMDDHH (UTC, 20YY) and becomes two fields in its place: weekday (0 =
 * Monday .. 6) and hour_of_day (00..23); the row time is that hour in Unix seconds, and
 * the dataset asks for a day split (--split time: the last day is test, the day before
 * validation). Every other column is a categorical field of its raw value (an empty
 * cell is a value of its own). No user field: gAUC needs --user-field (device_id and
 * device_ip are the usual stand-ins). */
#include "cache.h"
#include "csvread.h"
#include "dataset.h"
#include "idmap.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AVAZU_FILE "train"
#define AVAZU_MAX_COLS 256

static const char *const avazu_kaggle_cols[] = {
    "id", "click", "hour", "C1", "banner_pos", "site_id", "site_domain", "site_category", "app_id", "app_domain",
    "app_category", "device_id", "device_ip", "device_model", "device_type", "device_conn_type", "C14", "C15",
    "C16", "C17", "C18", "C19", "C20", "C21",
};
#define AVAZU_KAGGLE_NCOLS ((int)(sizeof avazu_kaggle_cols / sizeof avazu_kaggle_cols[0]))

struct avazu_ctx {
    const struct data_opts *o;
    struct tbuild       t;
    int                 built;
    struct csvread_bad *bad;
    int                 n_cols;                 /* 0 until the first line is read */
    char              **hdr;
    int                 col_id, col_click, col_hour;
    int                 n_fields;
    int                 col[AVAZU_MAX_COLS];    /* file column of each field; -1 weekday, -2 hour_of_day */
    int                 later_file;             /* a given split's 2nd/3rd file, its first line unread */
};

/* The column names (the header line, or the Kaggle columns) and the builder. */
static int avazu_columns(struct avazu_ctx *c, const struct csvread_row *r, int header, char *err, size_t errlen)
{
    c->n_cols = header ? r->n : AVAZU_KAGGLE_NCOLS;
    if (c->n_cols > AVAZU_MAX_COLS - 1) {
        snprintf(err, errlen, "%s:%ld: %d columns, at most %d", r->path, r->line, c->n_cols, AVAZU_MAX_COLS - 1);
        return -1;
    }
    c->hdr = calloc((size_t)c->n_cols, sizeof *c->hdr);
    for (int i = 0; c->hdr && i < c->n_cols; i++) {
        const char *h = header ? r->f[i] : avazu_kaggle_cols[i];
        if (i == 0 && strncmp(h, "\xEF\xBB\xBF", 3) == 0) h += 3;      /* UTF-8 BOM */
        if (!(c->hdr[i] = strdup(h))) {
            snprintf(err, errlen, "avazu: out of memory");
            return -1;
        }
    }
    if (!c->hdr) {
        snprintf(err, errlen, "avazu: out of memory");
        return -1;
    }
    c->col_id = c->col_click = c->col_hour = -1;
    const char *names[AVAZU_MAX_COLS];
    c->n_fields = 0;
    for (int i = 0; i < c->n_cols; i++) {
        int *role = strcasecmp(c->hdr[i], "id") == 0 ? &c->col_id : strcasecmp(c->hdr[i], "click") == 0
                    ? &c->col_click : strcasecmp(c->hdr[i], "hour") == 0 ? &c->col_hour : NULL;
        if (role && *role >= 0) {
            snprintf(err, errlen, "%s:%ld: field %s: a second column of that name in the header", r->path, r->line,
                     c->hdr[i]);
            return -1;
        }
        if (role) *role = i;
        if (role == &c->col_hour) {
            c->col[c->n_fields] = -1;
            names[c->n_fields++] = "weekday";
            c->col[c->n_fields] = -2;
            names[c->n_fields++] = "hour_of_day";
        } else if (!role) {
            if (strlen(c->hdr[i]) >= DATA_NAME_LEN) {
                snprintf(err, errlen, "%s:%ld: field %.40s...: a column name over %d bytes", r->path, r->line,
                         c->hdr[i], DATA_NAME_LEN - 1);
                return -1;
            }
            c->col[c->n_fields] = i;
            names[c->n_fields++] = c->hdr[i];
        }
    }
    const char *missing = c->col_click < 0 ? "click" : c->col_hour < 0 ? "hour" : NULL;
    if (missing) {
        snprintf(err, errlen, "%s:%ld: field %s: missing from the header line%s", r->path, r->line, missing,
                 c->col_click < 0 ? " (a file without labels, such as the Kaggle test set, cannot be trained on)" : "");
        return -1;
    }
    if (tbuild_init(&c->t, c->n_fields, names, NULL, 1)) {
        snprintf(err, errlen, "avazu: out of memory");
        return -1;
    }
    c->built = 1;
    return tbuild_hash_buckets(&c->t, c->o->hash_buckets, "avazu", err, errlen);
}

/* YYMMDDHH -> Unix seconds (20YY, UTC) and the weekday (0 = Monday). 0, or -1. */
static int avazu_hour(const char *s, size_t n, long long *t, int *weekday)
{
    if (n != 8) return -1;
    int v[4];
    for (int k = 0; k < 4; k++) {
        if (s[2 * k] < '0' || s[2 * k] > '9' || s[2 * k + 1] < '0' || s[2 * k + 1] > '9') return -1;
        v[k] = (s[2 * k] - '0') * 10 + (s[2 * k + 1] - '0');
    }
    int y = 2000 + v[0], m = v[1], day = v[2], h = v[3];
    static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m < 1 || m > 12 || day < 1 || day > mdays[m - 1] + (m == 2 && leap) || h > 23) return -1;
    /* days since 1970-01-01 (Howard Hinnant's days_from_civil) */
    int yy = m <= 2 ? y - 1 : y;
    int era = yy / 400, yoe = yy - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long long days = (long long)era * 146097 + doe - 719468;
    *t = days * 86400 + h * 3600;
    *weekday = (int)((days + 3) % 7);        /* 1970-01-01 was a Thursday */
    return 0;
}

static int avazu_row(void *ctx, const struct csvread_row *r, char *err, size_t errlen)
{
    struct avazu_ctx *c = ctx;
    const char *f0 = r->f[0];
    if (strncmp(f0, "\xEF\xBB\xBF", 3) == 0) f0 += 3;
    int header = (!c->n_cols || c->later_file) && strcasecmp(f0, "id") == 0;
    if (!c->n_cols) {
        if (avazu_columns(c, r, header, err, errlen)) return -1;
        if (header) { c->t.header_lines++; return 0; }
    } else if (c->later_file) {            /* its header, if any, must be the first file's */
        c->later_file = 0;
        if (header) {
            c->t.header_lines++;
            for (int i = 0; i < r->n || i < c->n_cols; i++) {
                const char *h = i == 0 ? f0 : i < r->n ? r->f[i] : "(none)";
                if (i >= r->n || i >= c->n_cols || strcmp(h, c->hdr[i]) != 0) {
                    snprintf(err, errlen, "avazu: %s:1: the header differs from the first file's at column %d "
                             "('%s', expected '%s')", r->path, i + 1, h, i < c->n_cols ? c->hdr[i] : "(none)");
                    return -1;
                }
            }
            return 0;
        }
    }
    if (r->n != c->n_cols)
        return csvread_bad_row(c->bad, r, r->n < c->n_cols ? c->hdr[r->n] : "(extra)", err, errlen,
                               "the line has %d fields, the header %d", r->n, c->n_cols);
    long long click, t;
    int wd;
    const char *cv = r->f[c->col_click], *hv = r->f[c->col_hour];
    if (csvread_i64(cv, &click) || (click != 0 && click != 1))
        return csvread_bad_row(c->bad, r, "click", err, errlen, "'%s' is not 0 or 1", cv);
    if (avazu_hour(hv, r->len[c->col_hour], &t, &wd))
        return csvread_bad_row(c->bad, r, "hour", err, errlen, "'%s' is not a date and hour YYMMDDHH", hv);
    for (int f = 0; f < c->n_fields; f++) {
        int k = c->col[f];
        if (k == -1) {
            char w[2] = { (char)('0' + wd), 0 };
            tbuild_add(&c->t, f, w, 1);
        } else if (k == -2) {
            tbuild_add(&c->t, f, hv + 6, 2);
        } else {
            tbuild_add(&c->t, f, r->f[k], r->len[k]);
        }
    }
    tbuild_row(&c->t, (float)click, t);
    if (c->t.oom) {
        snprintf(err, errlen, "%s: out of memory", r->path);
        return -1;
    }
    return 0;
}

struct avazu_job {
    const struct data_opts *o;
    struct dataset_files files;     /* --file, or a given split's files */
};

static int avazu_build(struct dataset *d, void *ctx, int *n_skipped, char *err, size_t errlen)
{
    struct avazu_job *j = ctx;
    struct csvread_bad bad = { .skip = j->o->skip_bad_rows };
    struct avazu_ctx c = { .o = j->o, .bad = &bad };
    struct csvread_opts ro = { ',', 1, 1, 0 };
    int rc = 0;
    int32_t given[3] = { 0, 0, 0 };
    for (int i = 0; i < j->files.n && !rc; i++) {       /* one id map over every file */
        const char *path = j->files.path[i];
        size_t before = c.built ? c.t.n_rows : 0;
        c.later_file = i > 0;
        rc = csvread_file(path, &ro, avazu_row, &c, err, errlen);
        size_t rows = c.built ? c.t.n_rows - before : 0;
        if (!rc && !c.built) {
            snprintf(err, errlen, "avazu: %s: empty file (expected a header line and rows)", path);
            rc = -1;
        }
        if (!rc) rc = dataset_files_rows(&j->files, i, rows, given, "avazu", err, errlen);
    }
    if (!rc) rc = tbuild_finish(&c.t, d, "avazu", -1, j->o->min_item_count, err, errlen);
    if (!rc && j->files.given) memcpy(d->given, given, sizeof d->given);
    if (c.built) tbuild_free(&c.t);
    for (int i = 0; c.hdr && i < c.n_cols; i++) free(c.hdr[i]);
    free(c.hdr);
    if (rc) return -1;
    d->day_split = 1;
    d->day_offset_s = 0;
    snprintf(d->label_rule, sizeof d->label_rule, "click (1: the ad was clicked)");
    csvread_bad_report(&bad, "avazu");
    *n_skipped = (int)bad.count;
    return 0;
}

static int avazu_load(struct dataset *d, const struct data_opts *o, char *err, size_t errlen)
{
    struct avazu_job *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    j->o = o;
    int rc = dataset_find_files(&j->files, o, "avazu", "avazu", AVAZU_FILE, err, errlen);
    if (!rc) rc = cache_load_files(d, o, "avazu", &j->files, 0, avazu_build, j, err, errlen);
    free(j);
    return rc;
}

const struct dataset_spec dataset_spec_avazu = {
    .name = "avazu",
    .help = "Avazu CTR logs: --file PATH (else DIR/avazu/" AVAZU_FILE ") or a given split (--train-file, "
            "--val-file, --test-file), CSV id,click,hour,...; hour YYMMDDHH "
            "becomes weekday + hour_of_day fields and the row time (--split time: last day = test); no user field",
    .options = "file train-file val-file test-file val-frac hash-buckets",
    .load = avazu_load,
};
