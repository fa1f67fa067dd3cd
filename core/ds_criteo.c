/* Criteo display-advertising click logs (the Kaggle 2014 challenge, the Criteo 1TB logs).
 *
 * --file PATH, else DIR/criteo/train.txt. Two layouts, told apart by the first line:
 *   - tab-separated without a header (the Kaggle train.txt, the 1TB day_N files):
 *     label, I1..I13, C1..C26 in this order (40 columns);
 *   - comma-separated (RFC 4180 quoting) with a header line (Kaggle's train.csv, e.g.
 *     "Id,Label,I1,..,I13,C1,..,C26"): the columns Label, I1..I13, C1..C26 are found by
 *     name (any case, any order), a column Id is ignored, any other column is an error.
 * A first line whose first field is not an integer is a header; without one a
 * comma-separated file also holds the 40 columns in the order above. CRLF or LF.
 * Label: 0 or 1. C1..C26: hashed categories, hex digits (1..16); I1..I13: integers of
 * magnitude up to 2^53. An empty cell is a missing value and gets an id of its own in
 * its field (never dropped, never merged with a value). The integer columns are
 * categorical fields through the transform of the Kaggle winners: x > 2 becomes the
 * bucket floor(ln(x)^2), every x <= 2 (0, 1, 2 and the negatives) keeps an id of its own;
 * --numeric I1,.. (or default: all 13) makes them numeric fields instead (core/numeric.h;
 * empty = missing).
 * No user, item or time: gAUC needs --user-field, and --split time is refused. */
#include "cache.h"
#include "csvread.h"
#include "dataset.h"
#include "idmap.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CRITEO_FILE "train.txt"
#define CRITEO_NI 13
#define CRITEO_NC 26
#define CRITEO_NF (CRITEO_NI + CRITEO_NC)
#define CRITEO_INT_MAX (1LL << 53)
#define CRITEO_FIRST_LINE 65536
#define CRITEO_NUMERIC "I1,I2,I3,I4,I5,I6,I7,I8,I9,I10,I11,I12,I13"   /* --numeric default */

struct criteo_ctx {
    struct tbuild      *t;
    struct csvread_bad *bad;
    int                 header;         /* 1: the first line is a header (still to be read) */
    int                 n_cols;         /* columns per line */
    int                 col_label;
    int                 col[CRITEO_NF]; /* file column of I1..I13, C1..C26 */
};

static const char *criteo_name(int f)
{
    static char names[CRITEO_NF][16];
    if (!names[f][0]) snprintf(names[f], sizeof names[f], "%c%d", f < CRITEO_NI ? 'I' : 'C',
                               f < CRITEO_NI ? f + 1 : f - CRITEO_NI + 1);
    return names[f];
}

static int criteo_header(struct criteo_ctx *c, const struct csvread_row *r, char *err, size_t errlen)
{
    c->header = 0;
    c->n_cols = r->n;
    c->col_label = -1;
    for (int f = 0; f < CRITEO_NF; f++) c->col[f] = -1;
    for (int i = 0; i < r->n; i++) {
        const char *h = r->f[i];
        if (i == 0 && strncmp(h, "\xEF\xBB\xBF", 3) == 0) h += 3;       /* UTF-8 BOM */
        int f = 0;
        while (f < CRITEO_NF && strcasecmp(h, criteo_name(f)) != 0) f++;
        int *slot = f < CRITEO_NF ? &c->col[f] : strcasecmp(h, "label") == 0 ? &c->col_label : NULL;
        if (!slot && strcasecmp(h, "id") == 0) continue;
        if (!slot || *slot >= 0) {
            snprintf(err, errlen, "%s:%ld: field %s: %s column in the header (expected Label, I1..I13, C1..C26 "
                     "and an optional Id)", r->path, r->line, *h ? h : "(empty)", slot ? "a second" : "an unknown");
            return -1;
        }
        *slot = i;
    }
    const char *missing = c->col_label < 0 ? "Label" : NULL;
    for (int f = 0; f < CRITEO_NF && !missing; f++)
        if (c->col[f] < 0) missing = criteo_name(f);
    if (missing) {
        snprintf(err, errlen, "%s:%ld: field %s: missing from the header line%s", r->path, r->line, missing,
                 c->col_label < 0 ? " (a file without labels, such as the Kaggle test set, cannot be trained on)"
                                  : "");
        return -1;
    }
    return 0;
}

/* 1 when s is 1..16 hex digits. */
static int criteo_hex(const char *s, size_t n)
{
    if (n < 1 || n > 16) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F'))) return 0;
    return 1;
}

static int criteo_row(void *ctx, const struct csvread_row *r, char *err, size_t errlen)
{
    struct criteo_ctx *c = ctx;
    if (c->header) {
        c->t->header_lines++;
        return criteo_header(c, r, err, errlen);
    }
    if (!c->n_cols) {                       /* no header: label, I1..I13, C1..C26 */
        c->n_cols = 1 + CRITEO_NF;
        c->col_label = 0;
        for (int f = 0; f < CRITEO_NF; f++) c->col[f] = f + 1;
    }
    if (r->n != c->n_cols) {
        const char *name = "(extra)";
        for (int f = 0; f < CRITEO_NF && r->n < c->n_cols; f++)
            if (c->col[f] == r->n) name = criteo_name(f);
        if (r->n < c->n_cols && c->col_label == r->n) name = "Label";
        return csvread_bad_row(c->bad, r, name, err, errlen, "the line has %d fields, expected %d%s", r->n,
                               c->n_cols, r->n == c->n_cols - 1 && c->col_label == 0
                               ? " (no label column: the Kaggle test set has none)" : "");
    }
    long long label;
    const char *lv = r->f[c->col_label];
    if (csvread_i64(lv, &label) || (label != 0 && label != 1))
        return csvread_bad_row(c->bad, r, "Label", err, errlen, "'%s' is not 0 or 1", lv);
    char val[CRITEO_NI][24];
    for (int f = 0; f < CRITEO_NF; f++) {
        int k = c->col[f];
        if (r->len[k] == 0) continue;       /* missing: its own id (the empty value) */
        if (f >= CRITEO_NI) {
            if (!criteo_hex(r->f[k], r->len[k]))
                return csvread_bad_row(c->bad, r, criteo_name(f), err, errlen,
                                       "'%s' is not a hashed category (1..16 hex digits, or empty)", r->f[k]);
            continue;
        }
        long long x;
        if (csvread_i64(r->f[k], &x) || x > CRITEO_INT_MAX || x < -CRITEO_INT_MAX)
            return csvread_bad_row(c->bad, r, criteo_name(f), err, errlen,
                                   "'%s' is not an integer of magnitude up to 2^53 (or empty)", r->f[k]);
        if (x > 2) {
            double l = log((double)x);
            snprintf(val[f], sizeof val[f], "b%d", (int)floor(l * l));
        } else {
            snprintf(val[f], sizeof val[f], "v%lld", x);
        }
    }
    for (int f = 0; f < CRITEO_NF; f++) {
        int k = c->col[f];
        if (tbuild_is_num(c->t, f)) tbuild_num(c->t, f, r->f[k], r->len[k]);   /* checked above */
        else if (r->len[k] == 0) tbuild_add(c->t, f, "", 0);
        else if (f < CRITEO_NI) tbuild_add(c->t, f, val[f], strlen(val[f]));
        else tbuild_add(c->t, f, r->f[k], r->len[k]);
    }
    tbuild_row(c->t, (float)label, 0);
    if (c->t->oom) {
        snprintf(err, errlen, "%s: out of memory", r->path);
        return -1;
    }
    return 0;
}

struct criteo_job {
    const struct data_opts *o;
    char path[4096];                /* the file being read */
    int  delim, header;             /* its layout (criteo_sniff) */
    struct dataset_files files;     /* --file, or a given split's files */
};

static int criteo_sniff(struct criteo_job *j, char *err, size_t errlen);

static int criteo_build(struct dataset *d, void *ctx, int *n_skipped, char *err, size_t errlen)
{
    struct criteo_job *j = ctx;
    const char *names[CRITEO_NF];
    for (int f = 0; f < CRITEO_NF; f++) names[f] = criteo_name(f);
    struct tbuild t;
    struct csvread_bad bad = { .skip = j->o->skip_bad_rows };
    if (tbuild_init(&t, CRITEO_NF, names, NULL, 0)) {
        snprintf(err, errlen, "criteo: out of memory");
        return -1;
    }
    if (tbuild_numeric(&t, j->o->numeric, CRITEO_NUMERIC, j->o->numeric_missing, NULL, "criteo", err, errlen) ||
        tbuild_hash_buckets(&t, j->o->hash_buckets, "criteo", err, errlen)) {
        tbuild_free(&t);
        return -1;
    }
    int rc = 0;
    int32_t given[3] = { 0, 0, 0 };
    for (int i = 0; i < j->files.n && !rc; i++) {       /* one id map over every file, each its own layout */
        snprintf(j->path, sizeof j->path, "%s", j->files.path[i]);
        rc = criteo_sniff(j, err, errlen);
        struct criteo_ctx c = { .t = &t, .bad = &bad, .header = j->header };
        struct csvread_opts ro = { j->delim, j->delim == ',', j->delim == ',', 0 };
        size_t before = t.n_rows;
        if (!rc) rc = csvread_file(j->path, &ro, criteo_row, &c, err, errlen);
        size_t rows = t.n_rows - before;
        if (!rc) rc = dataset_files_rows(&j->files, i, rows, given, "criteo", err, errlen);
    }
    if (!rc) rc = tbuild_finish(&t, d, "criteo", -1, j->o->min_item_count, err, errlen);
    if (!rc && j->files.given) memcpy(d->given, given, sizeof d->given);
    tbuild_free(&t);
    if (rc) return -1;
    snprintf(d->label_rule, sizeof d->label_rule, "Label (1: the ad was clicked)");
    csvread_bad_report(&bad, "criteo");
    *n_skipped = (int)bad.count;
    return 0;
}

/* The layout from the first line: a tab means the headerless TSV; a first field that
 * is not an integer means a header. */
static int criteo_sniff(struct criteo_job *j, char *err, size_t errlen)
{
    char oerr[4200];
    FILE *fp = csvread_open(j->path, oerr, sizeof oerr);
    if (!fp) {
        snprintf(err, errlen, "criteo: %s", oerr);
        return -1;
    }
    char *line = malloc(CRITEO_FIRST_LINE);
    if (!line) {
        fclose(fp);
        snprintf(err, errlen, "criteo: out of memory");
        return -1;
    }
    size_t n = fread(line, 1, CRITEO_FIRST_LINE - 1, fp);
    fclose(fp);
    line[n] = '\0';
    size_t eol = strcspn(line, "\r\n");
    line[eol] = '\0';
    j->delim = strchr(line, '\t') ? '\t' : ',';
    char *p = line;
    if (strncmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
    p[strcspn(p, j->delim == '\t' ? "\t" : ",")] = '\0';
    if (*p == '"') p++;
    if (*p && p[strlen(p) - 1] == '"') p[strlen(p) - 1] = '\0';
    long long v;
    j->header = n > 0 && csvread_i64(p, &v) != 0;
    free(line);
    return 0;
}

static int criteo_load(struct dataset *d, const struct data_opts *o, char *err, size_t errlen)
{
    struct criteo_job *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    j->o = o;
    int rc = dataset_find_files(&j->files, o, "criteo", "criteo", CRITEO_FILE, err, errlen);
    if (!rc) rc = cache_load_files(d, o, "criteo", &j->files, 0, criteo_build, j, err, errlen);
    free(j);
    return rc;
}

const struct dataset_spec dataset_spec_criteo = {
    .name = "criteo",
    .help = "Criteo CTR logs: --file PATH (else DIR/criteo/" CRITEO_FILE ") or a given split (--train-file, "
            "--val-file, --test-file), TSV label,I1..I13,C1..C26 without a "
            "header or CSV with one (Id,Label,I1..,C1..); empty = missing (an id of its own); I1..I13 categorical "
            "via floor(ln(x)^2) for x > 2, or numeric (--numeric default | I1,..); no user field",
    .options = "file train-file val-file test-file val-frac hash-buckets numeric numeric-missing",
    .load = criteo_load,
};
