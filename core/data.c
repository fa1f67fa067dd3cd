/* Columnar dataset lifetime, field lookup, random and time splits, and minibatch
 * assembly (dataset rows -> global ids / bags of ids + labels in one memory block). */
#include "arena.h"
#include "data.h"
#include "threads.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static void *data_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) apg_oom("data column", n);
    return p;
}

static void *data_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) apg_oom("data column", n * size);
    return p;
}

void dataset_init(struct dataset *d, const char *name, int n_rows, int n_fields)
{
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s", name ? name : "");
    d->n_rows = n_rows;
    d->n_fields = n_fields;
    d->fields = data_xcalloc((size_t)n_fields, sizeof *d->fields);
    d->label = data_xcalloc((size_t)n_rows, sizeof *d->label);
    d->user_field = d->item_field = d->category_field = -1;
}

void dataset_free(struct dataset *d)
{
    for (int f = 0; d->fields && f < d->n_fields; f++) {
        free(d->fields[f].scale);
        free(d->fields[f].fit.bounds);
    }
    if (d->map) {                         /* the columns live in the cache file mapping */
        for (int f = 0; d->fields && f < d->n_fields; f++)
            if (d->fields[f].own) free(d->fields[f].multi ? (void *)d->fields[f].mids : (void *)d->fields[f].ids);
        munmap(d->map, d->map_len);
    } else {
        for (int f = 0; d->fields && f < d->n_fields; f++) {
            free(d->fields[f].ids);
            free(d->fields[f].offs);
            free(d->fields[f].mids);
            free(d->fields[f].num);
        }
        free(d->label);
        free(d->prob);
        free(d->time);
    }
    free(d->fields);
    memset(d, 0, sizeof *d);
    d->user_field = d->item_field = d->category_field = -1;
}

int dataset_find_field(const struct dataset *d, const char *name)
{
    for (int f = 0; f < d->n_fields; f++)
        if (strcmp(d->fields[f].name, name) == 0) return f;
    return -1;
}

int dataset_has_scale(const struct dataset *d)
{
    for (int f = 0; f < d->n_fields; f++)
        if (d->fields[f].scale) return 1;
    return 0;
}

int dataset_has_multi(const struct dataset *d)
{
    for (int f = 0; f < d->n_fields; f++)
        if (d->fields[f].multi) return 1;
    return 0;
}

int dataset_apply_min_count(struct dataset *d, const int32_t *train, int n_train, int64_t min_count,
                            char *err, size_t errlen)
{
    if (min_count <= 1) return 0;
    for (int f = 0; f < d->n_fields; f++) {
        struct field *fl = &d->fields[f];
        if (fl->num) continue;            /* numeric: ids are missing / present or buckets */
        int32_t card = fl->card, *col = fl->multi ? fl->mids : fl->ids;
        size_t len = fl->multi ? (size_t)fl->offs[d->n_rows] : (size_t)d->n_rows;
        int64_t *count = calloc((size_t)card, sizeof *count);
        int32_t *remap = malloc((size_t)card * sizeof *remap);
        int32_t *out = d->map && !fl->own ? malloc(len ? len * sizeof *out : 1) : col;
        int bad = !count || !remap || !out;
        if (bad) snprintf(err, errlen, "--min-count: out of memory");
        for (size_t i = 0; !bad && i < len; i++)
            if (col[i] < 0 || col[i] >= card) {
                snprintf(err, errlen, "--min-count: field %s holds id %d outside [0, %d)", fl->name,
                         (int)col[i], (int)card);
                bad = 1;
            }
        for (int j = 0; !bad && j < n_train; j++) {        /* counts over the training rows */
            int32_t r = train[j];
            if (!fl->multi) count[col[r]]++;
            else for (int64_t e = fl->offs[r]; e < fl->offs[r + 1]; e++) count[col[e]]++;
        }
        int32_t next = 1;
        if (!bad) {
            for (int32_t v = 0; v < card; v++) remap[v] = -1;
            remap[0] = 0;
            for (size_t i = 0; i < len; i++) {
                int32_t v = col[i];
                if (remap[v] < 0) remap[v] = count[v] >= min_count ? next++ : 0;
                out[i] = remap[v];
            }
        }
        free(count);
        free(remap);
        if (bad) {
            if (out != col) free(out);
            return -1;
        }
        if (out != col) {
            if (fl->multi) fl->mids = out;
            else fl->ids = out;
            fl->own = 1;
        }
        fl->card = next;
    }
    return 0;
}

double dataset_pos_rate(const struct dataset *d)
{
    if (d->n_rows <= 0) return 0.0;
    double s = 0.0;
    for (int i = 0; i < d->n_rows; i++) s += d->label[i] > 0.5f;
    return s / d->n_rows;
}

int64_t data_field_bases(const struct dataset *d, int64_t *base)
{
    int64_t total = 0;
    for (int f = 0; f < d->n_fields; f++) {
        base[f] = total;
        total += d->fields[f].card;
    }
    return total;
}

/* ---- splits ------------------------------------------------------------------- */

static int data_cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Rounds f * n to a count in [0, n]. */
static int data_frac_count(double f, int n)
{
    if (!(f > 0.0)) return 0;
    double c = f * n + 0.5;
    return c >= n ? n : (int)c;
}

/* Allocates s->train/val/test and copies the three consecutive runs of order[]. */
static void data_split_take(struct split *s, const int32_t *order, int n, int n_train, int n_val)
{
    s->n_train = n_train;
    s->n_val = n_val;
    s->n_test = n - n_train - n_val;
    s->train = data_xmalloc((size_t)s->n_train * sizeof(int32_t));
    s->val = data_xmalloc((size_t)s->n_val * sizeof(int32_t));
    s->test = data_xmalloc((size_t)s->n_test * sizeof(int32_t));
    memcpy(s->train, order, (size_t)s->n_train * sizeof(int32_t));
    memcpy(s->val, order + n_train, (size_t)s->n_val * sizeof(int32_t));
    memcpy(s->test, order + n_train + n_val, (size_t)s->n_test * sizeof(int32_t));
}

/* A seeded permutation of the rows cut into train | val | test with
 * n_train = round(f_train n), n_val = round(f_val n) (clipped to what is left),
 * test = the rest. Train keeps the permuted order; val and test are sorted by row
 * (their order never matters, and sorted rows read the columns sequentially). */
void split_random(struct split *s, const struct dataset *d, double f_train, double f_val, uint64_t seed)
{
    int n = d->n_rows;
    int32_t *order = data_xmalloc((size_t)n * sizeof(int32_t));
    for (int i = 0; i < n; i++) order[i] = i;
    struct rng root, r;
    rng_seed(&root, seed);
    rng_fork(&r, &root, 0x73706c6974ULL);   /* "split" */
    rng_shuffle_i32(&r, order, n);
    int n_train = data_frac_count(f_train, n);
    int n_val = data_frac_count(f_val, n);
    if (n_val > n - n_train) n_val = n - n_train;
    data_split_take(s, order, n, n_train, n_val);
    qsort(s->val, (size_t)s->n_val, sizeof(int32_t), data_cmp_i32);
    qsort(s->test, (size_t)s->n_test, sizeof(int32_t), data_cmp_i32);
    free(order);
}

void split_position(struct split *s, const struct dataset *d, double f_train, double f_val)
{
    int n = d->n_rows;
    int32_t *order = data_xmalloc((size_t)(n ? n : 1) * sizeof(int32_t));
    for (int i = 0; i < n; i++) order[i] = i;
    int n_train = data_frac_count(f_train, n);
    int n_val = data_frac_count(f_val, n);
    if (n_val > n - n_train) n_val = n - n_train;
    data_split_take(s, order, n, n_train, n_val);
    free(order);
}

struct data_time_row { int64_t t; int32_t row; };

static int data_cmp_time(const void *a, const void *b)
{
    const struct data_time_row *x = a, *y = b;
    if (x->t != y->t) return (x->t > y->t) - (x->t < y->t);
    return (x->row > y->row) - (x->row < y->row);
}

#define DATA_DAY 86400

/* Calendar day of t shifted by off seconds (floor division: days before 1970 too).
 * t + off is never formed, so any int64 time (a cache or a csv column) is safe. */
static int64_t data_day(int64_t t, int32_t off)
{
    int64_t q = t / DATA_DAY, r = t % DATA_DAY + off;     /* |r| < 86400 + 2^31 */
    return q + r / DATA_DAY - (r % DATA_DAY < 0);
}

/* "2018-09-24" for a day number ("day N" past what time_t / gmtime can show). */
static void data_fmt_day(char *out, size_t n, int64_t day)
{
    struct tm tm;
    time_t t = (time_t)((day > -(INT64_C(1) << 40) && day < (INT64_C(1) << 40) ? day : 0) * DATA_DAY);
    if (day > -(INT64_C(1) << 40) && day < (INT64_C(1) << 40) && gmtime_r(&t, &tm))
        strftime(out, n, "%Y-%m-%d", &tm);
    else snprintf(out, n, "day %lld", (long long)day);
}

/* "UTC", "UTC+8", "UTC-3:30". */
static void data_fmt_offset(char *out, size_t n, int32_t off)
{
    int32_t a = off < 0 ? -off : off;
    if (off == 0) snprintf(out, n, "UTC");
    else if (a % 3600 == 0) snprintf(out, n, "UTC%c%d", off < 0 ? '-' : '+', a / 3600);
    else snprintf(out, n, "UTC%c%d:%02d", off < 0 ? '-' : '+', a / 3600, a % 3600 / 60);
}

/* Rows sorted by (time, row); a day split cuts that order at day boundaries, a
 * fractional one at round(f n) rows from the end. Each part stays in time order. */
int split_time(struct split *s, const struct dataset *d, double f_val, double f_test,
               char *how, size_t howlen)
{
    char buf[256];
    int rc = -1;
    memset(s, 0, sizeof *s);
    if (!d->time) {
        snprintf(buf, sizeof buf, "dataset %s has no timestamps", d->name);
        goto out;
    }
    int n = d->n_rows;
    struct data_time_row *tr = data_xmalloc((size_t)n * sizeof *tr);
    for (int i = 0; i < n; i++) { tr[i].t = d->time[i]; tr[i].row = i; }
    qsort(tr, (size_t)n, sizeof *tr, data_cmp_time);
    int n_test, n_val;
    if (d->day_split) {
        /* days ascend along the sorted order: test and validation are its last two runs */
        int64_t days = 0, prev = 0;
        for (int i = 0; i < n; i++) {
            int64_t day = data_day(tr[i].t, d->day_offset_s);
            days += i == 0 || day != prev;
            prev = day;
        }
        if (days < 3) {
            char tz[32];
            data_fmt_offset(tz, sizeof tz, d->day_offset_s);
            snprintf(buf, sizeof buf, "dataset %s spans %lld day%s (%s); a day split needs 3 "
                     "(train, validation, test)", d->name, (long long)days, days == 1 ? "" : "s", tz);
            free(tr);
            goto out;
        }
        int64_t last = data_day(tr[n - 1].t, d->day_offset_s);
        int i = n;
        while (i > 0 && data_day(tr[i - 1].t, d->day_offset_s) == last) i--;
        n_test = n - i;
        int64_t before = data_day(tr[i - 1].t, d->day_offset_s);
        while (i > 0 && data_day(tr[i - 1].t, d->day_offset_s) == before) i--;
        n_val = n - n_test - i;
        char dl[32], db[32], tz[32];
        data_fmt_day(dl, sizeof dl, last);
        data_fmt_day(db, sizeof db, before);
        data_fmt_offset(tz, sizeof tz, d->day_offset_s);
        snprintf(buf, sizeof buf, "last day %s (%s) = test, %s = validation, %lld earlier day%s = train",
                 dl, tz, db, (long long)days - 2, days == 3 ? "" : "s");
    } else {
        n_test = data_frac_count(f_test, n);
        n_val = data_frac_count(f_val, n);
        if (n_val > n - n_test) n_val = n - n_test;
        snprintf(buf, sizeof buf, "last %g%% of rows by time = test, the %g%% before = validation",
                 100.0 * f_test, 100.0 * f_val);
    }
    int32_t *order = data_xmalloc((size_t)n * sizeof(int32_t));
    for (int i = 0; i < n; i++) order[i] = tr[i].row;
    free(tr);
    data_split_take(s, order, n, n - n_test - n_val, n_val);
    free(order);
    rc = 0;
out:
    if (how && howlen) snprintf(how, howlen, "%s", buf);
    return rc;
}

void split_free(struct split *s)
{
    free(s->train);
    free(s->val);
    free(s->test);
    memset(s, 0, sizeof *s);
}

/* ---- minibatches -------------------------------------------------------------- */

#define DATA_ALIGN 64
static size_t data_align_up(size_t x) { return (x + DATA_ALIGN - 1) & ~(size_t)(DATA_ALIGN - 1); }

/* Number of ids in the bags of rows[0..n): one per single-valued field, the list
 * length for a multi-valued one. */
static int64_t data_bag_total(const struct dataset *d, const int32_t *rows, int n)
{
    int64_t total = 0;
    for (int f = 0; f < d->n_fields; f++) {
        const struct field *fl = &d->fields[f];
        if (!fl->multi) { total += n; continue; }
        for (int i = 0; i < n; i++) total += fl->offs[rows[i] + 1] - fl->offs[rows[i]];
    }
    return total;
}

/* Block layout, each part starting on a 64-byte boundary (the block itself is aligned
 * up inside mem, hence the extra 64 bytes):
 *   no multi-valued field:  ids (n*F int32) | [scale (n*F float)] | label (n float)
 *   otherwise:              offs (n*F+1 int32) | bag_ids (total int32) | [scale] | label
 * scale only when a field carries embedding scales (dataset_has_scale). */
size_t batch_bytes(const struct dataset *d, const int32_t *rows, int n)
{
    size_t nf = (size_t)n * (size_t)d->n_fields;
    size_t bytes = DATA_ALIGN;
    if (!dataset_has_multi(d)) {
        bytes += data_align_up(nf * sizeof(int32_t));
    } else {
        bytes += data_align_up((nf + 1) * sizeof(int32_t));
        bytes += data_align_up((size_t)data_bag_total(d, rows, n) * sizeof(int32_t));
    }
    if (dataset_has_scale(d)) bytes += data_align_up(nf * sizeof(float));
    bytes += data_align_up((size_t)n * sizeof(float));
    return bytes;
}

#define BATCH_PREFETCH 16   /* rows ahead whose ids batch_field prefetches */

/* Column f of a batch of single-valued fields: ids[i*F + f] = base[f] + id. */
struct batch_job { struct batch *b; const struct dataset *d; const int64_t *base; const int32_t *rows; int n; };

static void batch_field(void *ctx, int f)
{
    const struct batch_job *job = ctx;
    const int32_t *col = job->d->fields[f].ids, *rows = job->rows;
    int32_t bf = (int32_t)job->base[f], nfld = job->d->n_fields;
    int32_t *out = job->b->ids;
    /* the rows are shuffled: each read is a cache miss, fetched BATCH_PREFETCH ahead */
    for (int i = 0; i < job->n; i++) {
        if (i + BATCH_PREFETCH < job->n) __builtin_prefetch(col + rows[i + BATCH_PREFETCH]);
        out[(size_t)i * nfld + f] = bf + col[rows[i]];
    }
}

/* Fills b from rows[0..n) of d (mem: batch_bytes(d, rows, n) bytes).
 * ids[i*F + f] = base[f] + fields[f].ids[rows[i]]   (row-major (row, field)), or
 * bag (i, f) = bag_ids[offs[i*F+f] .. offs[i*F+f+1]) holding base[f] + each id of
 * the row's list (a single-valued field gives a bag of one; an empty list an empty bag). */
void batch_build(struct batch *b, const struct dataset *d, const int64_t *base,
                 const int32_t *rows, int n, void *mem)
{
    int nfld = d->n_fields;
    size_t nf = (size_t)n * (size_t)nfld;
    char *p = (char *)(((uintptr_t)mem + DATA_ALIGN - 1) & ~(uintptr_t)(DATA_ALIGN - 1));
    memset(b, 0, sizeof *b);
    b->n = n;
    b->n_fields = nfld;
    b->rows = rows;
    if (!dataset_has_multi(d)) {
        b->ids = (int32_t *)p;
        p += data_align_up(nf * sizeof(int32_t));
        struct batch_job job = { b, d, base, rows, n };
        if (nf >= 4096) apg_parallel(nfld, batch_field, &job);   /* a field a task */
        else for (int f = 0; f < nfld; f++) batch_field(&job, f);
    } else {
        b->offs = (int32_t *)p;
        p += data_align_up((nf + 1) * sizeof(int32_t));
        b->bag_ids = (int32_t *)p;
        p += data_align_up((size_t)data_bag_total(d, rows, n) * sizeof(int32_t));
        int32_t k = 0;
        for (int i = 0; i < n; i++) {
            int32_t r = rows[i];
            for (int f = 0; f < nfld; f++) {
                const struct field *fl = &d->fields[f];
                int32_t bf = (int32_t)base[f];
                b->offs[(size_t)i * nfld + f] = k;
                if (!fl->multi) {
                    b->bag_ids[k++] = bf + fl->ids[r];
                } else {
                    for (int64_t j = fl->offs[r]; j < fl->offs[r + 1]; j++)
                        b->bag_ids[k++] = bf + fl->mids[j];
                }
            }
        }
        b->offs[nf] = k;
    }
    if (dataset_has_scale(d)) {           /* scale[i*F + f] = fields[f].scale[rows[i]], or 1 */
        b->scale = (float *)p;
        p += data_align_up(nf * sizeof(float));
        for (int f = 0; f < nfld; f++) {
            const float *sc = d->fields[f].scale;
            for (int i = 0; i < n; i++) b->scale[(size_t)i * nfld + f] = sc ? sc[rows[i]] : 1.0f;
        }
    }
    b->label = (float *)p;
    for (int i = 0; i < n; i++) b->label[i] = d->label[rows[i]];
}
