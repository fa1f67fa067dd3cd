/* The CTR formats users bring: criteo (Kaggle TSV without a header, CSV with one),
 * avazu (hour split into weekday and hour_of_day) and frappe (libFM), on the real
 * samples in ../shared/data (rows, positives and cardinalities counted here by a
 * separate reader) and on small files written here; their malformed-row errors
 * (file:line:field); --hash-buckets; the cache round trip; --user-field and the gAUC
 * reported without a user field (null / n/a, never 0) and with one (its coverage). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include "commands.h"
#include "ds_testutil.h"
#include "idmap.h"
#include "metrics.h"

/* ---- an independent reader: lines split at one delimiter, no quoting ------------- */

struct table {
    int    n_rows, n_cols;
    char **cell;          /* n_rows * n_cols, NUL-terminated */
};

/* Reads path (LF or CRLF), skipping `skip` leading lines; every line must have n_cols
 * cells. delim ' ' also drops empty cells (runs of spaces). */
static void table_read(struct table *t, const char *path, char delim, int skip, int n_cols)
{
    char *text = tu_read(path);
    t->n_rows = 0;
    t->n_cols = n_cols;
    size_t cap = 1024;
    t->cell = malloc(cap * sizeof *t->cell);
    int line = 0;
    for (char *p = text; *p;) {
        char *e = strchr(p, '\n');
        if (e) *e = '\0';
        size_t len = strlen(p);
        if (len && p[len - 1] == '\r') p[--len] = '\0';
        if (line++ >= skip && len) {
            if ((size_t)(t->n_rows + 1) * (size_t)n_cols > cap) {
                cap *= 2;
                t->cell = realloc(t->cell, cap * sizeof *t->cell);
            }
            int k = 0;
            for (char *q = p;;) {
                char *d = strchr(q, delim);
                if (d) *d = '\0';
                if (!(delim == ' ' && !*q)) {
                    assert_true(k < n_cols);
                    t->cell[(size_t)t->n_rows * (size_t)n_cols + (size_t)k++] = strdup(q);
                }
                if (!d) break;
                q = d + 1;
            }
            assert_int_equal(k, n_cols);
            t->n_rows++;
        }
        if (!e) break;
        p = e + 1;
    }
    free(text);
}

static void table_free(struct table *t)
{
    for (size_t i = 0; i < (size_t)t->n_rows * (size_t)t->n_cols; i++) free(t->cell[i]);
    free(t->cell);
}

static const char *cell(const struct table *t, int r, int c) { return t->cell[(size_t)r * (size_t)t->n_cols + (size_t)c]; }

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Distinct values of column c (the empty value counts as one). */
static int table_distinct(const struct table *t, int c)
{
    char **v = malloc((size_t)(t->n_rows ? t->n_rows : 1) * sizeof *v);
    for (int r = 0; r < t->n_rows; r++) v[r] = (char *)cell(t, r, c);
    qsort(v, (size_t)t->n_rows, sizeof *v, cmp_str);
    int n = 0;
    for (int r = 0; r < t->n_rows; r++) n += r == 0 || strcmp(v[r], v[r - 1]) != 0;
    free(v);
    return n;
}

/* Criteo's integer transform, written out again: floor(ln(x)^2) for x > 2. */
static void criteo_int_key(char *out, size_t n, const char *s)
{
    if (!*s) {
        snprintf(out, n, "missing");
        return;
    }
    long long x = atoll(s);
    if (x > 2) snprintf(out, n, "log %d", (int)floor(log((double)x) * log((double)x)));
    else snprintf(out, n, "raw %lld", x);
}

static void path_of(char *out, size_t n, const char *rel) { snprintf(out, n, "%s/%s", tu_shared(), rel); }

/* ---- criteo ---------------------------------------------------------------------- */

static void test_criteo_real_sample(void **state)
{
    (void)state;
    if (!tu_have_shared("criteo-kaggle-tiny/train.tiny.csv")) return;
    char path[1024];
    path_of(path, sizeof path, "criteo-kaggle-tiny/train.tiny.csv");
    struct table t;
    table_read(&t, path, ',', 1, 41);             /* Id, Label, I1..I13, C1..C26 */
    assert_int_equal(t.n_rows, 1999);
    int pos = 0;
    for (int r = 0; r < t.n_rows; r++) pos += strcmp(cell(&t, r, 1), "1") == 0;
    struct data_opts o;
    tu_opts(&o, "criteo", "/nonexistent", NULL);
    o.file = path;
    struct dataset d;
    tu_load(&d, &o);
    assert_int_equal(d.n_rows, 1999);
    assert_int_equal(d.n_fields, 39);
    assert_int_equal(d.user_field, -1);
    assert_null(d.time);
    int got = 0;
    for (int i = 0; i < d.n_rows; i++) got += d.label[i] > 0.5f;
    assert_int_equal(got, pos);
    assert_true(fabs((double)pos / 1999 - 0.209) < 0.001);   /* the README's 20.9% */
    for (int f = 0; f < 39; f++) {
        char name[16];
        snprintf(name, sizeof name, "%c%d", f < 13 ? 'I' : 'C', f < 13 ? f + 1 : f - 12);
        assert_string_equal(d.fields[f].name, name);
        int distinct;
        if (f >= 13) {
            distinct = table_distinct(&t, f + 2);
        } else {                                      /* distinct transformed values */
            struct table k = t;
            k.cell = malloc((size_t)t.n_rows * sizeof *k.cell);
            k.n_cols = 1;
            for (int r = 0; r < t.n_rows; r++) {
                char key[32];
                criteo_int_key(key, sizeof key, cell(&t, r, f + 2));
                k.cell[r] = strdup(key);
            }
            distinct = table_distinct(&k, 0);
            table_free(&k);
        }
        assert_int_equal(d.fields[f].card, distinct + 1);
        /* rows with the same raw category share an id, different ones do not */
        for (int r = 1; f >= 13 && r < 40; r++)
            assert_int_equal(d.fields[f].ids[r] == d.fields[f].ids[0],
                             strcmp(cell(&t, r, f + 2), cell(&t, 0, f + 2)) == 0);
    }
    dataset_free(&d);
    table_free(&t);
}

/* 40 tab-separated columns: label, I1..I13, C1..C26. */
static void criteo_line(char *out, size_t n, const char *label, const char *i1, const char *c1)
{
    int k = snprintf(out, n, "%s\t%s", label, i1);
    for (int f = 1; f < 13; f++) k += snprintf(out + k, n - (size_t)k, "\t%d", f);
    k += snprintf(out + k, n - (size_t)k, "\t%s", c1);
    for (int f = 1; f < 26; f++) k += snprintf(out + k, n - (size_t)k, "\t%08x", f);
    snprintf(out + k, n - (size_t)k, "\n");
}

static void test_criteo_tsv_transform_and_missing(void **state)
{
    (void)state;
    char dir[64], path[128], buf[8192] = "", line[1024];
    tu_tmpdir(dir, sizeof dir);
    /* I1: 3 and 4 share floor(ln^2) = 1, 1 stays 1 of its own, 100 -> 21, 2 and -1
     * raw, empty missing; C1: empty is missing, not dropped */
    const char *i1[] = { "3", "4", "1", "100", "2", "-1", "", "" };
    const char *c1[] = { "68fd1e64", "", "68fd1e64", "80e26c9b", "", "fb936136", "05db9164", "68fd1e64" };
    for (int r = 0; r < 8; r++) {
        criteo_line(line, sizeof line, r % 3 ? "0" : "1", i1[r], c1[r]);
        strcat(buf, line);
    }
    tu_write(dir, "day_0", buf, strlen(buf));
    tu_write(dir, "criteo/train.txt", buf, strlen(buf));     /* the default file */
    snprintf(path, sizeof path, "%s/day_0", dir);
    struct data_opts o;
    tu_opts(&o, "criteo", dir, NULL);
    o.file = path;
    struct dataset d, dflt;
    tu_load(&d, &o);
    o.file = NULL;
    tu_load(&dflt, &o);
    tu_same_dataset(&dflt, &d);
    dataset_free(&dflt);
    const int32_t *a = d.fields[0].ids, *c = d.fields[13].ids;
    assert_int_equal(a[0], a[1]);                 /* 3, 4 -> bucket 1 */
    assert_true(a[2] != a[0]);                    /* raw 1 is not bucket 1 */
    for (int r = 2; r < 6; r++)
        for (int q = r + 1; q < 7; q++) assert_true(a[r] != a[q]);
    assert_int_equal(a[6], a[7]);                 /* missing: one id, a real one */
    assert_true(a[6] > 0);
    assert_int_equal(d.fields[0].card, 1 + 6);
    assert_int_equal(c[1], c[4]);
    assert_true(c[1] > 0 && c[1] != c[0]);
    assert_int_equal(c[0], c[2]);
    assert_int_equal(d.fields[13].card, 1 + 5);
    assert_int_equal(d.fields[14].card, 2);       /* C2: one value */
    for (int r = 0; r < 8; r++) assert_int_equal(d.label[r] > 0.5f, r % 3 == 0);

    /* the same rows as a CSV with a header in another column order, CRLF */
    char csv[8192] = "C1,Label";
    for (int f = 1; f <= 13; f++) snprintf(csv + strlen(csv), 16, ",I%d", f);
    for (int f = 2; f <= 26; f++) snprintf(csv + strlen(csv), 16, ",c%d", f);
    strcat(csv, ",id\r\n");
    for (int r = 0; r < 8; r++) {
        snprintf(csv + strlen(csv), 64, "%s,%s,%s", c1[r], r % 3 ? "0" : "1", i1[r]);
        for (int f = 1; f < 13; f++) snprintf(csv + strlen(csv), 16, ",%d", f);
        for (int f = 1; f < 26; f++) snprintf(csv + strlen(csv), 16, ",%08x", f);
        snprintf(csv + strlen(csv), 16, ",%d\r\n", r);
    }
    tu_write(dir, "train.csv", csv, strlen(csv));
    snprintf(path, sizeof path, "%s/train.csv", dir);
    o.file = path;
    struct dataset e;
    tu_load(&e, &o);
    tu_same_dataset(&e, &d);                      /* the same ids, value for value */
    dataset_free(&e);
    dataset_free(&d);
    tu_rmrf(dir);
}

/* Writes text to DIR/bad and expects the load to fail with want in the error. */
static void load_fails_on(const char *dir, const char *spec, const char *text, const char *want)
{
    char path[128];
    tu_write(dir, "bad", text, strlen(text));
    snprintf(path, sizeof path, "%s/bad", dir);
    struct data_opts o;
    tu_opts(&o, spec, dir, NULL);
    o.file = path;
    tu_load_fails(&o, want);
}

static void test_criteo_hostile(void **state)
{
    (void)state;
    char dir[64], good[1024], text[4096], want[256];
    tu_tmpdir(dir, sizeof dir);
    criteo_line(good, sizeof good, "0", "5", "68fd1e64");
    /* a bad label on line 2 */
    criteo_line(text, sizeof text, "2", "5", "68fd1e64");
    memmove(text + strlen(good), text, strlen(text) + 1);
    memcpy(text, good, strlen(good));
    snprintf(want, sizeof want, "%s/bad:2: field Label: '2' is not 0 or 1", dir);
    load_fails_on(dir, "criteo", text, want);
    /* a truncated row: C26 missing */
    snprintf(text, sizeof text, "%s%.*s\n", good, (int)(strrchr(good, '\t') - good), good);
    snprintf(want, sizeof want, "%s/bad:2: field C26: the line has 39 fields, expected 40", dir);
    load_fails_on(dir, "criteo", text, want);
    /* 39 columns from the first line: no label (the Kaggle test set) */
    snprintf(text, sizeof text, "%s", strchr(good, '\t') + 1);
    load_fails_on(dir, "criteo", text, "no label column");
    /* an integer column holding text, a category that is not hex, an overflow */
    criteo_line(text, sizeof text, "1", "abc", "68fd1e64");
    snprintf(want, sizeof want, "%s/bad:1: field I1: 'abc' is not an integer", dir);
    load_fails_on(dir, "criteo", text, want);
    criteo_line(text, sizeof text, "1", "99999999999999999999", "68fd1e64");
    load_fails_on(dir, "criteo", text, "field I1: '99999999999999999999' is not an integer");
    criteo_line(text, sizeof text, "1", "5", "zz-top");
    snprintf(want, sizeof want, "%s/bad:1: field C1: 'zz-top' is not a hashed category", dir);
    load_fails_on(dir, "criteo", text, want);
    /* headers: a column missing, an unknown one, one twice */
    load_fails_on(dir, "criteo", "Label,I1\n0,1\n", "bad:1: field I2: missing from the header line");
    load_fails_on(dir, "criteo", "Id,Label,I1,extra\n", "bad:1: field extra: an unknown column");
    load_fails_on(dir, "criteo", "Id,Label,I1,I1\n", "bad:1: field I1: a second column");
    snprintf(text, sizeof text, "Id");
    for (int f = 1; f <= 13; f++) snprintf(text + strlen(text), 16, ",I%d", f);
    for (int f = 1; f <= 26; f++) snprintf(text + strlen(text), 16, ",C%d", f);
    load_fails_on(dir, "criteo", text, "field Label: missing from the header line (a file without labels");

    /* --skip-bad-rows counts the bad row and keeps the good ones */
    criteo_line(text, sizeof text, "x", "5", "68fd1e64");
    char all[3 * 4096];
    snprintf(all, sizeof all, "%s%s%s", good, text, good);
    tu_write(dir, "bad", all, strlen(all));
    struct data_opts o;
    tu_opts(&o, "criteo", dir, NULL);
    char path[128];
    snprintf(path, sizeof path, "%s/bad", dir);
    o.file = path;
    o.skip_bad_rows = 1;
    struct dataset d;
    tu_load(&d, &o);
    assert_int_equal(d.n_rows, 2);
    dataset_free(&d);
    /* a missing --file names what it looked for; no --file and no DIR/criteo/train.txt */
    o.file = "nope.tsv";
    tu_load_fails(&o, "criteo: --file nope.tsv not found");
    o.file = NULL;
    tu_load_fails(&o, "criteo: no --file given and train.txt not found (looked for");
    tu_rmrf(dir);
}

/* ---- avazu ----------------------------------------------------------------------- */

static void test_avazu_real_sample(void **state)
{
    (void)state;
    if (!tu_have_shared("avazu-sample/avazu_sample.txt")) return;
    char path[1024];
    path_of(path, sizeof path, "avazu-sample/avazu_sample.txt");
    struct table t;
    table_read(&t, path, ',', 1, 24);
    assert_int_equal(t.n_rows, 100);
    struct table hdr;                               /* the header line alone */
    table_read(&hdr, path, ',', 0, 24);
    int pos = 0;
    for (int r = 0; r < t.n_rows; r++) pos += strcmp(cell(&t, r, 1), "1") == 0;
    struct data_opts o;
    tu_opts(&o, "avazu", "/nonexistent", NULL);
    o.file = path;
    struct dataset d;
    tu_load(&d, &o);
    assert_int_equal(d.n_rows, 100);
    assert_int_equal(d.n_fields, 23);          /* 24 columns - id - click - hour + weekday + hour_of_day */
    int got = 0;
    for (int i = 0; i < d.n_rows; i++) got += d.label[i] > 0.5f;
    assert_int_equal(got, pos);
    assert_string_equal(d.fields[0].name, "weekday");
    assert_string_equal(d.fields[1].name, "hour_of_day");
    assert_int_equal(d.fields[0].card, 1 + table_distinct(&t, 2));   /* one hour in the sample */
    for (int f = 2; f < 23; f++) {
        assert_string_equal(d.fields[f].name, cell(&hdr, 0, f + 1));
        assert_int_equal(d.fields[f].card, 1 + table_distinct(&t, f + 1));
    }
    assert_non_null(d.time);
    assert_true(d.time[0] == 1413849600);      /* 14102100: 2014-10-21 00:00 UTC */
    assert_int_equal(d.user_field, -1);
    dataset_free(&d);
    table_free(&t);
    table_free(&hdr);
}

static void test_avazu_hour_split_and_hostile(void **state)
{
    (void)state;
    char dir[64], path[128], want[256];
    tu_tmpdir(dir, sizeof dir);
    /* three days, Tue 21, Wed 22, Thu 23 Oct 2014; headerless rows are the Kaggle columns */
    static const char text[] =
        "id,click,hour,site_id,C21\r\n"
        "1,0,14102100,a,1\r\n2,1,14102123,b,1\r\n3,0,14102205,a,2\r\n"
        "4,1,14102205,b,2\r\n5,0,14102310,a,\r\n6,1,14102311,c,\r\n";
    TU_WRITE(dir, "avazu/train", text);
    struct data_opts o;
    tu_opts(&o, "avazu", dir, NULL);
    struct dataset d;
    tu_load(&d, &o);
    assert_int_equal(d.n_rows, 6);
    assert_int_equal(d.n_fields, 4);
    const int32_t *wd = d.fields[0].ids, *hr = d.fields[1].ids;
    assert_int_equal(wd[0], wd[1]);
    assert_true(wd[2] != wd[0] && wd[4] != wd[2] && wd[4] != wd[0]);
    assert_int_equal(d.fields[0].card, 4);
    assert_int_equal(hr[2], hr[3]);
    assert_true(hr[0] != hr[1]);
    assert_int_equal(d.fields[1].card, 6);         /* 00 23 05 10 11 */
    assert_int_equal(d.fields[3].ids[4], d.fields[3].ids[5]);   /* empty C21: one value */
    assert_true(d.time[1] - d.time[0] == 23 * 3600);
    o.split = "time";
    struct split s;
    char err[512];
    assert_int_equal(dataset_split(&s, &d, &o, err, sizeof err), 0);
    assert_int_equal(s.n_test, 2);                 /* the last day */
    assert_int_equal(s.n_val, 2);
    assert_true(s.test[0] >= 4 && s.test[1] >= 4);
    split_free(&s);
    dataset_free(&d);

    const char *hdr = "id,click,hour,site_id\n";
    char bad[512];
    struct { const char *row, *field, *why; } cases[] = {
        { "1,0,14133100,a\n", "hour", "'14133100' is not a date and hour YYMMDDHH" },   /* month 13 */
        { "1,0,1410210,a\n", "hour", "'1410210' is not a date" },
        { "1,0,14022900,a\n", "hour", "'14022900' is not a date" },                   /* 2014 is no leap year */
        { "1,0,14102124,a\n", "hour", "'14102124' is not a date" },
        { "1,0,14x02100,a\n", "hour", "'14x02100' is not a date" },
        { "1,2,14102100,a\n", "click", "'2' is not 0 or 1" },
        { "1,,14102100,a\n", "click", "'' is not 0 or 1" },
        { "1,0,14102100\n", "site_id", "the line has 3 fields, the header 4" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(bad, sizeof bad, "%s1,0,16022900,a\n%s", hdr, cases[i].row);   /* 2016-02-29 is fine */
        snprintf(want, sizeof want, "%s/bad:3: field %s: %s", dir, cases[i].field, cases[i].why);
        load_fails_on(dir, "avazu", bad, want);
    }
    load_fails_on(dir, "avazu", "id,hour,C1\n1,14102100,5\n", "bad:1: field click: missing from the header line (a file without labels");
    load_fails_on(dir, "avazu", "id,click,C1\n1,0,5\n", "bad:1: field hour: missing from the header line");
    load_fails_on(dir, "avazu", "", "empty file");
    /* headerless: the 24 Kaggle columns */
    snprintf(bad, sizeof bad, "1000009418151094273,0,14102100,1005,0,1fbe01fe,f3845767,28905ebd,ecad2386,"
             "7801e8d9,07d7df22,a99f214a,ddd2926e,44956a24,1,2,15706,320,50,1722,0,35,-1,79\n");
    tu_write(dir, "bad", bad, strlen(bad));
    snprintf(path, sizeof path, "%s/bad", dir);
    o.file = path;
    o.split = "random";
    tu_load(&d, &o);
    assert_int_equal(d.n_rows, 1);
    assert_int_equal(d.n_fields, 23);
    dataset_free(&d);
    tu_rmrf(dir);
}

/* ---- frappe ---------------------------------------------------------------------- */

static void test_frappe_real_files(void **state)
{
    (void)state;
    static const char *const files[] = { "frappe/frappe.test.libfm", "frappe/frappe.validation.libfm" };
    static const int rows[] = { 28860, 57722 };
    static const char *const names[] = { "user", "item", "daytime", "weekday", "isweekend", "homework", "cost",
                                         "weather", "country", "city" };
    for (int k = 0; k < 2; k++) {
        if (!tu_have_shared(files[k])) return;
        char path[1024];
        path_of(path, sizeof path, files[k]);
        struct table t;
        table_read(&t, path, ' ', 0, 11);
        assert_int_equal(t.n_rows, rows[k]);
        int pos = 0, neg = 0;
        for (int r = 0; r < t.n_rows; r++) {
            pos += strcmp(cell(&t, r, 0), "1") == 0;
            neg += strcmp(cell(&t, r, 0), "-1") == 0;
        }
        assert_int_equal(pos + neg, t.n_rows);     /* the libFM labels are -1 and 1 */
        struct data_opts o;
        tu_opts(&o, "frappe", "/nonexistent", NULL);
        o.file = path;
        struct dataset d;
        tu_load(&d, &o);
        assert_int_equal(d.n_rows, rows[k]);
        assert_int_equal(d.n_fields, 10);
        int got = 0;
        for (int i = 0; i < d.n_rows; i++) got += d.label[i] > 0.5f;
        assert_int_equal(got, pos);
        assert_true(fabs((double)neg / pos - 2.0) < 0.05);   /* two sampled negatives per positive */
        for (int f = 0; f < 10; f++) {
            assert_string_equal(d.fields[f].name, names[f]);
            assert_int_equal(d.fields[f].card, 1 + table_distinct(&t, f + 1));
        }
        assert_int_equal(d.user_field, 0);
        assert_int_equal(d.item_field, 1);
        dataset_free(&d);
        table_free(&t);
    }
}

static void test_frappe_hostile(void **state)
{
    (void)state;
    char dir[64], want[256], text[512];
    tu_tmpdir(dir, sizeof dir);
    /* runs of spaces, a trailing space, +1 and 0 labels, CRLF, no final newline */
    TU_WRITE(dir, "frappe/frappe.train.libfm", "-1 4:1  9:1 \r\n+1 5:1 9:1\r\n0 4:1 10:1.0\r\n1 4:1 9:1");
    struct data_opts o;
    tu_opts(&o, "frappe", dir, NULL);
    struct dataset d;
    tu_load(&d, &o);
    assert_int_equal(d.n_rows, 4);
    assert_int_equal(d.n_fields, 2);
    assert_string_equal(d.fields[0].name, "f1");
    assert_int_equal(d.user_field, -1);
    const float want_label[] = { 0, 1, 0, 1 };
    for (int r = 0; r < 4; r++) assert_true(d.label[r] == want_label[r]);
    assert_int_equal(d.fields[0].ids[0], d.fields[0].ids[2]);
    assert_int_equal(d.fields[1].card, 3);
    dataset_free(&d);

    const char *good = "1 0:1 7:1\n";
    struct { const char *row, *field, *why; } cases[] = {
        { "2 0:1 7:1\n", "label", "'2' is not a label -1, 0 or 1" },
        { "yes 0:1 7:1\n", "label", "'yes' is not a label" },
        { "1 0:0 7:1\n", "f1", "'0:0' is not feat:1" },
        { "1 0:1 7:0.5\n", "f2", "'7:0.5' is not feat:1" },
        { "1 x:1 7:1\n", "f1", "'x:1' is not feat:1" },
        { "1 0 7:1\n", "f1", "'0' is not feat:1" },
        { "1 :1 7:1\n", "f1", "':1' is not feat:1" },
        { "1 99999999999:1 7:1\n", "f1", "'99999999999:1' is not feat:1" },
        { "1 0:1\n", "f2", "the line has 1 feat:value tokens, the first line 2" },
        { "1 0:1 7:1 8:1\n", "(extra)", "the line has 3 feat:value tokens" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(text, sizeof text, "%s%s", good, cases[i].row);
        snprintf(want, sizeof want, "%s/bad:2: field %s: %s", dir, cases[i].field, cases[i].why);
        load_fails_on(dir, "frappe", text, want);
    }
    load_fails_on(dir, "frappe", "1\n", "bad:1: field label: 0 feat:value tokens");
    load_fails_on(dir, "frappe", "\n\n", "empty file");
    tu_rmrf(dir);
}

/* ---- --hash-buckets, the cache ------------------------------------------------- */

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void test_hash_buckets(void **state)
{
    (void)state;
    char dir[64];
    tu_tmpdir(dir, sizeof dir);
    static const char *const v[] = { "a", "b", "c", "d", "e", "f", "g", "h", "", "a", "", "zz" };
    char text[1024] = "y,x,k\n";
    for (int r = 0; r < 12; r++) snprintf(text + strlen(text), 64, "%d,%s,%d\n", r % 2, v[r], r);
    tu_write(dir, "h.csv", text, strlen(text));
    char path[128];
    snprintf(path, sizeof path, "%s/h.csv", dir);
    struct data_opts o;
    tu_opts(&o, "csv", dir, NULL);
    o.file = path;
    o.label_col = "y";
    o.hash_buckets = "x=3";
    struct dataset d;
    tu_load(&d, &o);
    const int32_t *x = d.fields[0].ids;
    for (int r = 0; r < 12; r++)
        for (int q = 0; q < 12; q++) {
            int same = (!v[r][0] && !v[q][0]) ||
                       (v[r][0] && v[q][0] && fnv1a(v[r]) % 3 == fnv1a(v[q]) % 3);
            assert_int_equal(x[r] == x[q], same);
        }
    assert_true(d.fields[0].card <= 3 + 2);
    assert_int_equal(d.fields[1].card, 13);    /* k: not hashed, 12 values */
    dataset_free(&d);
    o.hash_buckets = "2,k=5";                  /* every field 2 buckets, k 5 */
    tu_load(&d, &o);
    assert_true(d.fields[0].card <= 2 + 2);
    assert_true(d.fields[1].card <= 5 + 1);    /* k has no empty value */
    dataset_free(&d);
    o.hash_buckets = "nosuch=4";
    tu_load_fails(&o, "csv: --hash-buckets: no field 'nosuch' (fields: x,k)");
    o.hash_buckets = "x=0";
    tu_load_fails(&o, "--hash-buckets: 'x=0': expected N or FIELD=N with N in 1..");
    o.hash_buckets = "x=4,x=5";
    tu_load_fails(&o, "--hash-buckets: field 'x' named twice");
    o.hash_buckets = "99999999999";
    tu_load_fails(&o, "--hash-buckets: '99999999999'");

    /* criteo: every field into 16 buckets, bounded whatever the raw cardinality */
    if (tu_have_shared("criteo-kaggle-tiny/train.tiny.csv")) {
        char cp[1024];
        path_of(cp, sizeof cp, "criteo-kaggle-tiny/train.tiny.csv");
        tu_opts(&o, "criteo", dir, NULL);
        o.file = cp;
        o.hash_buckets = "16";
        tu_load(&d, &o);
        for (int f = 0; f < d.n_fields; f++) assert_true(d.fields[f].card >= 2 && d.fields[f].card <= 18);
        assert_int_equal(d.n_rows, 1999);
        dataset_free(&d);
    }
    tu_rmrf(dir);
}

/* A cached load (built, then mapped) equals the direct parse; a --hash-buckets parse
 * has a cache of its own. */
static void cache_round_trip(const char *spec, const char *rel, const char *hash)
{
    if (!tu_have_shared(rel)) return;
    char dir[64], path[1024];
    tu_tmpdir(dir, sizeof dir);
    path_of(path, sizeof path, rel);
    struct data_opts o;
    tu_opts(&o, spec, dir, NULL);
    o.file = path;
    o.hash_buckets = hash;
    struct dataset fresh;
    tu_load(&fresh, &o);
    o.cache_dir = dir;
    o.no_cache = 0;
    tu_load_expect(&o, &fresh, dir, NULL);          /* builds and saves */
    struct dataset d;
    tu_load(&d, &o);
    tu_mapped(&d);                                  /* loaded from the cache */
    tu_same_dataset(&d, &fresh);
    dataset_free(&d);
    if (!hash) {                                    /* another --hash-buckets: not this cache */
        o.hash_buckets = "7";
        tu_load(&d, &o);
        assert_null(d.map);
        for (int f = 0; f < d.n_fields; f++) assert_true(d.fields[f].card <= 9);
        dataset_free(&d);
    }
    dataset_free(&fresh);
    tu_rmrf(dir);
}

static void test_cache_round_trip(void **state)
{
    (void)state;
    cache_round_trip("criteo", "criteo-kaggle-tiny/train.tiny.csv", NULL);
    cache_round_trip("criteo", "criteo-kaggle-tiny/train.tiny.csv", "C3=100,50");
    cache_round_trip("avazu", "avazu-sample/avazu_sample.txt", NULL);
    cache_round_trip("frappe", "frappe/frappe.test.libfm", NULL);
}

/* ---- gAUC: --user-field, absent without a user field --------------------------- */

static char cap_dir[64];

static int run_captured(int (*fn)(int, char **), char **argv, char **out)
{
    char path[128];
    snprintf(path, sizeof path, "%s/captured.txt", cap_dir);
    int argc = 0;
    while (argv[argc]) argc++;
    int so = tu_capture_begin(stdout, path);
    int se = dup(fileno(stderr));
    fflush(stderr);
    dup2(fileno(stdout), fileno(stderr));
    int rc = fn(argc, argv);
    fflush(stderr);
    dup2(se, fileno(stderr));
    close(se);
    tu_capture_end(stdout, so);
    *out = tu_read(path);
    return rc;
}

static void expect_out(int (*fn)(int, char **), char **argv, int rc, const char *const *want)
{
    char *out;
    int got = run_captured(fn, argv, &out);
    for (; *want; want++) {
        if (!strstr(out, *want)) print_message("output lacks '%s':\n%s\n", *want, out);
        assert_non_null(strstr(out, *want));
    }
    if (got != rc) print_message("rc %d, wanted %d:\n%s\n", got, rc, out);
    assert_int_equal(got, rc);
    free(out);
}

static void test_gauc_coverage_metric(void **state)
{
    (void)state;
    /* user 1: both labels, 3 rows, AUC 1; user 2: one class; user 0: OOV; user 3: AUC 0 */
    const float s[] = { 0.9f, 0.1f, 0.2f, 0.5f, 0.6f, 0.3f, 0.4f, 0.1f, 0.9f };
    const float y[] = { 1, 0, 0, 1, 1, 1, 0, 1, 0 };
    const int32_t u[] = { 1, 1, 1, 2, 2, 0, 0, 3, 3 };
    int64_t users, rows;
    double g = metrics_gauc_cov(s, y, u, 9, &users, &rows);
    assert_int_equal(users, 2);
    assert_int_equal(rows, 5);
    assert_true(fabs(g - 3.0 / 5.0) < 1e-12);
    const int32_t none[] = { 2, 2, 2, 2, 2, 2, 2, 2, 2 };
    const float y1[] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 };
    assert_true(isnan(metrics_gauc_cov(s, y1, none, 9, &users, &rows)));
    assert_int_equal(users, 0);
    assert_int_equal(rows, 0);
}

static void test_gauc_reported_honestly(void **state)
{
    (void)state;
    if (!tu_have_shared("criteo-kaggle-tiny/train.tiny.csv") || !tu_have_shared("frappe/frappe.test.libfm")) return;
    snprintf(cap_dir, sizeof cap_dir, "/tmp/apg-gauc-XXXXXX");
    assert_non_null(mkdtemp(cap_dir));
    char criteo[1024], frappe[1024];
    path_of(criteo, sizeof criteo, "criteo-kaggle-tiny/train.tiny.csv");
    path_of(frappe, sizeof frappe, "frappe/frappe.test.libfm");
    /* no user field: n/a and null, never 0 */
    char *a[] = { "--dataset", "criteo", "--file", criteo, "--no-cache", "--epochs", "1", "--threads", "1",
                  "--json", NULL };
    expect_out(cmd_train, a, 0, (const char *const[]){ "gauc n/a (no user field: name one with --user-field COL)",
               "\"test_gauc\":null,\"gauc_user_field\":null,\"gauc_users\":0,\"gauc_impressions\":0", NULL });
    /* a user field named: a number, with the users and rows it covers */
    char *b[] = { "--dataset", "criteo", "--file", criteo, "--no-cache", "--epochs", "1", "--threads", "1",
                  "--user-field", "C1", "--json", NULL };
    expect_out(cmd_train, b, 0, (const char *const[]){ "gauc 0.", "(user field C1: ", " users, ", " of 200 rows)",
               "\"gauc_user_field\":\"C1\",\"gauc_users\":", NULL });
    /* frappe has its user field; none turns it off */
    char *c[] = { "--dataset", "frappe", "--file", frappe, "--no-cache", "--epochs", "1", "--threads", "1",
                  "--json", NULL };
    expect_out(cmd_train, c, 0, (const char *const[]){ "(user field user: ", "\"gauc_user_field\":\"user\"", NULL });
    char *e[] = { "--dataset", "frappe", "--file", frappe, "--no-cache", "--epochs", "1", "--threads", "1",
                  "--user-field", "none", NULL };
    expect_out(cmd_train, e, 0, (const char *const[]){ "gauc n/a (no user field", NULL });
    /* option errors: exit 2 */
    char *f[] = { "--dataset", "criteo", "--file", criteo, "--no-cache", "--user-field", "nosuch", NULL };
    expect_out(cmd_train, f, 2, (const char *const[]){ "--user-field: no field 'nosuch' (fields: I1,I2,", NULL });
    char *g[] = { "--dataset", "ml100k", "--hash-buckets", "10", "--no-cache", NULL };
    expect_out(cmd_train, g, 2, (const char *const[]){
               "--hash-buckets is an option of --dataset iaac, csv, criteo, avazu, frappe, not of --dataset ml100k",
               NULL });
    char *h[] = { "--dataset", "criteo", "--file", criteo, "--no-cache", "--hash-buckets", "C99=3", NULL };
    expect_out(cmd_train, h, 2, (const char *const[]){ "criteo: --hash-buckets: no field 'C99'", NULL });
    /* a checkpoint keeps --hash-buckets and --user-field: predict sees the same rows */
    char ckpt[128], *out;
    snprintf(ckpt, sizeof ckpt, "%s/m.ckpt", cap_dir);
    char *tr[] = { "--dataset", "criteo", "--file", criteo, "--no-cache", "--threads", "1", "--hash-buckets",
                   "1000,C1=50", "--user-field", "C3", "--save", ckpt, "--json", NULL };
    assert_int_equal(run_captured(cmd_train, tr, &out), 0);
    const char *k = strstr(out, "\"test_auc\":"), *kg = strstr(out, "\"test_gauc\":");
    assert_non_null(k);
    assert_non_null(kg);
    double auc = atof(k + 11), gauc = atof(kg + 12);
    free(out);
    char *pr[] = { ckpt, "--json", NULL };
    assert_int_equal(run_captured(cmd_predict, pr, &out), 0);
    k = strstr(out, "\"test_auc\":");
    kg = strstr(out, "\"test_gauc\":");
    assert_non_null(k);
    assert_non_null(kg);
    assert_true(fabs(atof(k + 11) - auc) < 1e-6 && auc > 0.5);
    assert_true(fabs(atof(kg + 12) - gauc) < 1e-6);
    assert_non_null(strstr(out, "\"gauc_user_field\":\"C3\""));
    free(out);
    char *i[] = { "info", "--dataset", "avazu", "--file", criteo, "--no-cache", NULL };
    expect_out(cmd_data, i, 1, (const char *const[]){ "train.tiny.csv:1: field click: missing from the header", NULL });
    tu_rmrf(cap_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_criteo_real_sample),
        cmocka_unit_test(test_criteo_tsv_transform_and_missing),
        cmocka_unit_test(test_criteo_hostile),
        cmocka_unit_test(test_avazu_real_sample),
        cmocka_unit_test(test_avazu_hour_split_and_hostile),
        cmocka_unit_test(test_frappe_real_files),
        cmocka_unit_test(test_frappe_hostile),
        cmocka_unit_test(test_hash_buckets),
        cmocka_unit_test(test_cache_round_trip),
        cmocka_unit_test(test_gauc_coverage_metric),
        cmocka_unit_test(test_gauc_reported_honestly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
