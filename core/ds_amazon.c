/* Amazon Electronics (McAuley et al., SNAP/UCSD "ratings only" file).
 *
 * DIR/amazon/ratings_Electronics.csv   user,item,rating,timestamp   (no header in the
 *        SNAP original; a header line, as in the copy with "UserId,ItemId,rating,timestamp",
 *        is detected and skipped: csvread_header_line;
 *        e.g. "AKM1MP6P0OYPR,0132793040,5.0,1365811200"; rating 1.0..5.0)
 * optional DIR/amazon/meta_Electronics.json, one product per line, either the 2014
 *        Python-literal form {'asin': 'X', 'categories': [['Electronics', ..., 'Leaf']], ...}
 *        or the 2018 JSON form {"asin": "X", "category": ["Electronics", ..., "Leaf"], ...}.
 *        An item's category is the last string of its category lists (DIN's choice);
 *        items without one share the category "" (its own id).
 * Fields: user_id, item_id [, category]; label rating > 3; time = timestamp.
 * --min-item-count N keeps only the items with at least N ratings (default 0: all
 * 7,824,482 ratings; the paper's 1,292,954 rows / 9,560 items are such a thinning). */
#include "cache.h"
#include "csvread.h"
#include "dataset.h"
#include "idmap.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { AZ_USER, AZ_ITEM, AZ_CAT, AZ_N_FIELDS };
static const char *const az_names[AZ_N_FIELDS] = { "user_id", "item_id", "category" };

struct az_ctx {
    struct tbuild      *t;
    struct csvread_bad *bad;
    int32_t            *cat;        /* category id per item id interned from the meta file */
    int32_t             n_meta, cap_meta;
    int32_t             no_cat;     /* id of "" in the category map */
    int                 has_meta;
};

/* ---- meta file: a tiny scanner for one string-valued key and one list-valued key -- */

/* Pointer just after `'key':` or `"key":` in line, or NULL. */
static const char *az_key(const char *line, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = line; (p = strstr(p, key)); p += kl) {
        if (p == line || (p[-1] != '\'' && p[-1] != '"') || p[kl] != p[-1]) continue;
        const char *s = p + kl + 1;
        while (*s == ' ') s++;
        if (*s == ':') return s + 1;
    }
    return NULL;
}

/* The string literal at s ('...' or "...", backslash escapes of quotes and
 * backslashes undone) into out[0..cap); returns the byte after it or NULL. */
static const char *az_string(const char *s, char *out, size_t cap, size_t *len)
{
    while (*s == ' ') s++;
    char q = *s;
    if (q != '\'' && q != '"') return NULL;
    size_t k = 0;
    for (s++; *s && *s != q; s++) {
        if (*s == '\\' && s[1]) {             /* \' \" \\ lose the backslash, others keep it */
            if (s[1] != '\'' && s[1] != '"' && s[1] != '\\' && k + 1 < cap) out[k++] = '\\';
            s++;
        }
        if (k + 1 < cap) out[k++] = *s;
    }
    if (*s != q) return NULL;
    out[k] = '\0';
    *len = k;
    return s + 1;
}

/* At s, a (nested) list of string literals: copies the last string into out.
 * Returns 1 found, 0 empty list, -1 malformed. */
static int az_last_string(const char *s, char *out, size_t cap, size_t *len)
{
    while (*s == ' ') s++;
    if (*s != '[') return -1;
    int depth = 0, found = 0;
    char tmp[512];
    size_t tl;
    for (; *s; s++) {
        if (*s == '[') depth++;
        else if (*s == ']' && --depth == 0) return found;
        else if (*s == '\'' || *s == '"') {
            const char *e = az_string(s, tmp, sizeof tmp, &tl);
            if (!e) return -1;
            memcpy(out, tmp, tl + 1 < cap ? tl + 1 : cap);
            out[cap - 1] = '\0';
            *len = tl < cap ? tl : cap - 1;
            found = 1;
            s = e - 1;
        }
    }
    return -1;
}

/* One line of fp (its '\n' kept) into *line, at most max bytes: the length, -1 at the
 * end of the file, -2 out of memory, -3 a line over max bytes. */
static long az_getline(FILE *fp, char **line, size_t *cap, size_t max)
{
    size_t n = 0;
    int ch;
    while ((ch = getc_unlocked(fp)) != EOF) {
        if (n >= max) return -3;
        if (n + 2 > *cap) {
            size_t nc = *cap ? 2 * *cap : 4096;
            char *p = realloc(*line, nc);
            if (!p) return -2;
            *line = p;
            *cap = nc;
        }
        (*line)[n++] = (char)ch;
        if (ch == '\n') break;
    }
    if (n == 0 && ch == EOF) return -1;
    (*line)[n] = '\0';
    return (long)n;
}

static int az_read_meta(struct az_ctx *c, const char *path, char *err, size_t errlen)
{
    FILE *fp = csvread_open(path, err, errlen);
    if (!fp) return -1;
    char *line = NULL, asin[256], cat[256];
    size_t cap = 0, al = 0, cl = 0;
    long lineno = 0, n;
    int rc = 0;
    c->no_cat = tbuild_intern(c->t, AZ_CAT, "", 0);
    while (!rc && (n = az_getline(fp, &line, &cap, CSVREAD_MAX_RECORD)) != -1) {
        lineno++;
        if (n < 0) {
            if (n == -2) snprintf(err, errlen, "%s: out of memory", path);
            else snprintf(err, errlen, "%s:%ld: the line is longer than %zu bytes (not a text data file?)", path,
                          lineno, CSVREAD_MAX_RECORD);
            rc = -1;
            break;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        if (n == 0) continue;
        struct csvread_row r = { 0, NULL, NULL, lineno, path };
        if (memchr(line, '\0', (size_t)n)) {
            rc = csvread_bad_row(c->bad, &r, "asin", err, errlen, "NUL byte inside the line (a binary or damaged file?)");
            continue;
        }
        const char *v = az_key(line, "asin");
        if (!v || !az_string(v, asin, sizeof asin, &al) || al == 0) {
            rc = csvread_bad_row(c->bad, &r, "asin", err, errlen, "missing or not a string");
            continue;
        }
        int32_t cid = c->no_cat;
        const char *lv = az_key(line, "categories");
        if (!lv) lv = az_key(line, "category");
        if (lv) {
            int k = az_last_string(lv, cat, sizeof cat, &cl);
            if (k < 0) {
                rc = csvread_bad_row(c->bad, &r, "categories", err, errlen, "not a list of strings");
                continue;
            }
            if (k > 0) cid = tbuild_intern(c->t, AZ_CAT, cat, cl);
        }
        int32_t id = tbuild_intern(c->t, AZ_ITEM, asin, al);
        if (id > c->cap_meta) {
            int32_t nc = c->cap_meta ? 2 * c->cap_meta : 4096;
            while (nc < id + 1) nc *= 2;
            int32_t *p = realloc(c->cat, (size_t)(nc + 1) * sizeof *p);
            if (!p) {
                snprintf(err, errlen, "%s: out of memory", path);
                rc = -1;
                break;
            }
            c->cat = p;
            c->cap_meta = nc;
        }
        if (id > c->n_meta) {                   /* a repeated asin keeps its first category */
            for (int32_t i = c->n_meta + 1; i < id; i++) c->cat[i] = c->no_cat;
            c->cat[id] = cid;
            c->n_meta = id;
        }
    }
    free(line);
    fclose(fp);
    return rc;
}

/* ---- ratings ------------------------------------------------------------------- */

static int az_row(void *ctx, const struct csvread_row *r, char *err, size_t errlen)
{
    static const char *const names[4] = { "user", "item", "rating", "timestamp" };
    struct az_ctx *c = ctx;
    struct tbuild *t = c->t;
    static const int numeric[2] = { 2, 3 };
    if (csvread_header_line(r, numeric, 2, "amazon")) { t->header_lines++; return 0; }   /* "UserId,ItemId,rating,timestamp" */
    if (r->n != 4)
        return csvread_bad_row(c->bad, r, names[r->n < 4 ? r->n : 3], err, errlen,
                               r->n < 4 ? "missing (the line has %d fields, expected 4)"
                                        : "followed by extra fields (the line has %d, expected 4)", r->n);
    double rating;
    long long ts;
    if (r->len[0] == 0) return csvread_bad_row(c->bad, r, "user", err, errlen, "empty");
    if (r->len[1] == 0) return csvread_bad_row(c->bad, r, "item", err, errlen, "empty");
    if (csvread_f64(r->f[2], &rating) || rating < 1.0 || rating > 5.0)
        return csvread_bad_row(c->bad, r, "rating", err, errlen, "'%s' is not a rating 1..5", r->f[2]);
    if (csvread_time(r->f[3], &ts))
        return csvread_bad_row(c->bad, r, "timestamp", err, errlen, "'%s' is not a Unix time in seconds 0..%lld",
                               r->f[3], CSVREAD_TIME_MAX);
    tbuild_add(t, AZ_USER, r->f[0], r->len[0]);
    int32_t item = tbuild_intern(t, AZ_ITEM, r->f[1], r->len[1]);
    tbuild_push(t, AZ_ITEM, item);
    if (c->has_meta) tbuild_push(t, AZ_CAT, item <= c->n_meta ? c->cat[item] : c->no_cat);
    tbuild_row(t, rating > 3.0 ? 1.0f : 0.0f, ts);
    if (t->oom) {
        snprintf(err, errlen, "%s: out of memory", r->path);
        return -1;
    }
    return 0;
}

struct az_job {
    const struct data_opts *o;
    char ratings[4096], meta[4096];
    int has_meta;
};

static int az_build(struct dataset *d, void *ctx, int *n_skipped, char *err, size_t errlen)
{
    struct az_job *j = ctx;
    struct tbuild t;
    struct csvread_bad bad = { .skip = j->o->skip_bad_rows };
    int nf = j->has_meta ? AZ_N_FIELDS : AZ_N_FIELDS - 1;
    if (tbuild_init(&t, nf, az_names, NULL, 1)) {
        snprintf(err, errlen, "amazon: out of memory");
        return -1;
    }
    struct az_ctx c = { .t = &t, .bad = &bad, .has_meta = j->has_meta };
    struct csvread_opts ro = { ',', 1, 0, 0 };
    int rc = j->has_meta ? az_read_meta(&c, j->meta, err, errlen) : 0;
    if (!rc) rc = csvread_file(j->ratings, &ro, az_row, &c, err, errlen);
    free(c.cat);
    if (!rc) rc = tbuild_finish(&t, d, "amazon", AZ_ITEM, j->o->min_item_count, err, errlen);
    tbuild_free(&t);
    if (rc) return -1;
    d->user_field = AZ_USER;
    d->item_field = AZ_ITEM;
    d->category_field = j->has_meta ? AZ_CAT : -1;
    snprintf(d->label_rule, sizeof d->label_rule, "rating > 3 -> 1 else 0 (Amazon 1-5 stars)%s",
             j->o->min_item_count > 1 ? "; items with few ratings dropped" : "");
    csvread_bad_report(&bad, "amazon");
    *n_skipped = (int)bad.count;
    return 0;
}

static int az_load(struct dataset *d, const struct data_opts *o, char *err, size_t errlen)
{
    struct az_job *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    j->o = o;
    int rc = -1;
    char merr[4200] = "";
    if (csvread_locate(j->ratings, sizeof j->ratings, o->data_dir, "amazon", "ratings_Electronics.csv",
                       "amazon", err, errlen))
        goto out;
    j->has_meta = csvread_locate(j->meta, sizeof j->meta, o->data_dir, "amazon", "meta_Electronics.json",
                                 "amazon", merr, sizeof merr) == 0;
    if (strstr(merr, ": not a regular file")) {           /* there, but a FIFO or a device */
        snprintf(err, errlen, "%s", merr);
        goto out;
    }
    struct cache_key k = { .spec = "amazon", .paths = { j->ratings, j->meta }, .n_paths = 1 + j->has_meta };
    k.opts_hash = cache_hash_common(CACHE_HASH_SEED, &k, o);
    rc = cache_load_or_build(d, o, &k, az_build, j, err, errlen);
out:
    free(j);
    return rc;
}

const struct dataset_spec dataset_spec_amazon = {
    .name = "amazon",
    .help = "Amazon Electronics: DIR/amazon/ratings_Electronics.csv (+ optional meta_Electronics.json "
            "categories); label rating > 3; --min-item-count N thins the long tail (default 0: keep all)",
    .load = az_load,
};
