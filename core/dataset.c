/* Dataset registry (core/datasets.def) and the data options shared by every command. */
#include "dataset.h"
#include "registry.h"
#include "arena.h"
#include "numeric.h"
#include <stdlib.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const struct dataset_spec *const spec_table[] = {
#define X(name) &dataset_spec_##name,
#include "datasets.def"
#undef X
};
#define N_SPECS ((int)(sizeof spec_table / sizeof spec_table[0]))

_Static_assert(offsetof(struct dataset_spec, name) == 0, "registry entries start with their name");
#define ENTRIES ((const void *const *)spec_table)

const struct dataset_spec *dataset_spec_find(const char *name)
{
    int i = registry_index(ENTRIES, N_SPECS, name);
    return i < 0 ? NULL : spec_table[i];
}

int dataset_spec_count(void) { return N_SPECS; }
const struct dataset_spec *dataset_spec_at(int i) { return spec_table[i]; }

const char *dataset_spec_names(void)
{
    static char buf[256];
    return registry_names(ENTRIES, N_SPECS, buf, sizeof buf);
}

void data_opts_default(struct data_opts *o)
{
    memset(o, 0, sizeof *o);
    o->dataset = "synthetic";
    o->data_dir = "data";
    o->like = "ml1m";
    o->rows = 0;
    o->data_seed = 1;
    o->cache_dir = "out/cache";
    o->split = "random";
    o->val_frac = 0.1;
}

#define O(f) offsetof(struct data_opts, f)
const struct opt data_opt_table[] = {
    { "dataset", OPT_STR, O(dataset), "NAME", "dataset: synthetic, ml1m, ml100k, amazon, iaac, csv, criteo, avazu, frappe", 0, 0 },
    { "data", OPT_STR, O(data_dir), "DIR", "folder holding the real datasets (DIR/ml-1m, DIR/ml-100k, ...)", 0, 0 },
    { "like", OPT_STR, O(like), "PRESET", "synthetic: cardinalities shaped like ml1m | amazon | iaac, or control:S (the positive control of strength S, README Fidelity)", 0, 0 },
    { "rows", OPT_I64, O(rows), "N", "synthetic: rows to generate (0 = the preset's size)", 0, 2e9 },
    { "data-seed", OPT_U64, O(data_seed), "S", "seed of the synthetic generator and of the random train/val/test split", 0, 0 },
    { "min-count", OPT_INT, O(min_count), "N", "ids seen fewer than N times in the training rows of the split map to the OOV id 0, so do ids seen only outside them (0, 1: keep every id)", 0, 1e9 },
    { "skip-bad-rows", OPT_FLAG, O(skip_bad_rows), NULL, "skip (and count) malformed rows instead of failing", 0, 0 },
    { "drop-neutral", OPT_FLAG, O(drop_neutral), NULL, "MovieLens: drop rating-3 rows instead of labelling them 0", 0, 0 },
    { "min-item-count", OPT_INT, O(min_item_count), "N", "drop rows whose item has fewer than N rows in the whole dataset, before the split (the paper's Amazon thinning; 0 keeps all)", 0, 1e9 },
    { "label", OPT_STR, O(label_col), "COL", "csv: label column: COL (0/1), or COL>T / COL>=T", 0, 0 },
    { "fields", OPT_STR, O(fields), "A,B,..", "csv: categorical columns", 0, 0 },
    { "multi", OPT_STR, O(multi), "COL:SEP", "csv: multi-valued column and its list separator", 0, 0 },
    { "delim", OPT_STR, O(delim), "C", "csv: field delimiter (default ,)", 0, 0 },
    { "file", OPT_STR, O(file), "PATH", "csv, criteo, avazu, frappe: the file to read", 0, 0 },
    { "train-file", OPT_STR, O(train_file), "PATH", "csv: a given split's training rows (with --test-file; instead of --file; one id map over every file)", 0, 0 },
    { "val-file", OPT_STR, O(val_file), "PATH", "csv: the given validation rows (default: --val-frac of the training file, seeded by --data-seed; never the test file)", 0, 0 },
    { "test-file", OPT_STR, O(test_file), "PATH", "csv: the given test rows", 0, 0 },
    { "val-frac", OPT_DOUBLE, O(val_frac), "F", "given split without --val-file: this part of the training rows is validation", 0.001, 0.9 },
    { "time-col", OPT_STR, O(time_col), "COL", "csv: the column of row times (integers; every row must hold one), for --split time; none: no times. Unset: the first column named timestamp, time, ts, unix_time or context_timestamp, when every row holds an integer there", 0, 0 },
    { "hash-buckets", OPT_STR, O(hash_buckets), "N|F=N,..", "csv, iaac, criteo, avazu, frappe: hash every field's "
      "(or field F's) values into N buckets, FNV-1a 64 of the bytes mod N, the empty value a bucket of its own", 0, 0 },
    { "user-field", OPT_STR, O(user_field), "COL", "the user field gAUC groups by (and the user-frequency groups), "
      "overriding the dataset's; none: no user field (gAUC n/a)", 0, 0 },
    { "numeric", OPT_STR, O(numeric), "A,B,..", "csv, criteo, iaac: numeric columns, each a field whose embedding "
      "is scaled by its transformed value (README Numeric features); default: the dataset's own list (criteo "
      "I1..I13, iaac its level and score columns)", 0, 0 },
    { "numeric-transform", OPT_STR, O(numeric_transform), "KIND|F=KIND,..", "log (default), minmax, standard or "
      "bucket:N, fitted on the training rows only, for every numeric field or field F", 0, 0 },
    { "numeric-missing", OPT_STR, O(numeric_missing), "V", "a numeric cell holding V is missing like an empty one "
      "(iaac: -1; none: only empty cells)", 0, 0 },
    { "cache-dir", OPT_STR, O(cache_dir), "DIR", "binary cache folder for parsed datasets", 0, 0 },
    { "no-cache", OPT_FLAG, O(no_cache), NULL, "parse the source files, neither reading nor writing a cache", 0, 0 },
    { "split", OPT_STR, O(split), "KIND", "random (seeded 80/10/10; a given split with --train-file), given (the --train-file, --val-file, --test-file rows), position (the file's order: first 80% train, next 10% val, last 10% test) or time (iaac, avazu: last day = test, day before = val; else last 10%/10% by time)", 0, 0 },
    { NULL, 0, 0, NULL, NULL, 0, 0 },
};
#undef O

int dataset_spec_takes(const struct dataset_spec *s, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = s->options; p && *p;) {
        const char *e = strchr(p, ' ');
        size_t k = e ? (size_t)(e - p) : strlen(p);
        if (k == n && memcmp(p, name, n) == 0) return 1;
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

int dataset_find_file(char *out, size_t n, const struct data_opts *o, const char *spec, const char *sub,
                      const char *deflt, char *err, size_t errlen)
{
    struct stat st;
    if (!o->file || !*o->file) {
        const char *dir = o->data_dir && *o->data_dir ? o->data_dir : "data";
        snprintf(out, n, "%s/%s/%s", dir, sub, deflt);
        if (stat(out, &st) == 0) return 0;
        snprintf(out, n, "%s/%s", dir, deflt);
        if (stat(out, &st) == 0) return 0;
        snprintf(err, errlen, "%s: no --file given and %s not found (looked for %s/%s/%s and %s/%s): pass --file PATH",
                 spec, deflt, dir, sub, deflt, dir, deflt);
        return -1;
    }
    snprintf(out, n, "%s", o->file);
    if (stat(out, &st) == 0) return 0;
    if (o->file[0] != '/' && o->data_dir && *o->data_dir) {
        snprintf(out, n, "%s/%s", o->data_dir, o->file);
        if (stat(out, &st) == 0) return 0;
        snprintf(err, errlen, "%s: --file %s not found (looked for %s and %s)", spec, o->file, o->file, out);
    } else {
        snprintf(err, errlen, "%s: --file %s not found", spec, o->file);
    }
    return -1;
}

/* name as given, else DIR/name. */
static int find_given(char *out, size_t n, const char *name, const char *dir, const char *spec, const char *opt,
                      char *err, size_t errlen)
{
    struct stat st;
    snprintf(out, n, "%s", name);
    if (stat(out, &st) == 0) return 0;
    if (name[0] != '/' && dir && *dir) {
        snprintf(out, n, "%s/%s", dir, name);
        if (stat(out, &st) == 0) return 0;
        snprintf(err, errlen, "%s: --%s %s not found (looked for %s and %s)", spec, opt, name, name, out);
    } else {
        snprintf(err, errlen, "%s: --%s %s not found", spec, opt, name);
    }
    return -1;
}

int dataset_find_files(struct dataset_files *f, const struct data_opts *o, const char *spec, const char *sub,
                       const char *deflt, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    if (!o->train_file && !o->val_file && !o->test_file) {
        f->n = 1;
        f->name[0] = o->file ? o->file : deflt;
        return dataset_find_file(f->path[0], sizeof f->path[0], o, spec, sub, deflt, err, errlen);
    }
    if (!o->train_file || !o->test_file) {
        snprintf(err, errlen, "%s: a given split needs --train-file and --test-file (--val-file is optional)", spec);
        return -1;
    }
    if (o->file && *o->file) {
        snprintf(err, errlen, "%s: --file and a given split (--train-file, --val-file, --test-file): give one", spec);
        return -1;
    }
    if (o->min_item_count > 0) {
        snprintf(err, errlen, "%s: --min-item-count filters rows before a split is drawn: not with a given split "
                 "(--train-file)", spec);
        return -1;
    }
    const char *names[3] = { o->train_file, o->val_file, o->test_file };
    static const char *const opts[3] = { "train-file", "val-file", "test-file" };
    f->given = 1;
    for (int r = 0; r < 3; r++) {
        if (!names[r]) continue;
        if (find_given(f->path[f->n], sizeof f->path[f->n], names[r], o->data_dir, spec, opts[r], err, errlen))
            return -1;
        f->name[f->n] = names[r];
        f->role[f->n++] = r;
    }
    return 0;
}

int dataset_files_rows(const struct dataset_files *f, int i, size_t rows, int32_t given[3], const char *spec,
                       char *err, size_t errlen)
{
    static const char *const role[3] = { "training", "validation", "test" };
    if (rows > INT32_MAX - 1) {
        snprintf(err, errlen, "%s: %s: more than 2^31 rows", spec, f->path[i]);
        return -1;
    }
    if (f->given && rows == 0 && f->role[i] != 1) {
        snprintf(err, errlen, "%s: the given %s file %s has no rows", spec, role[f->role[i]], f->name[i]);
        return -1;
    }
    given[f->role[i]] = (int32_t)rows;
    return 0;
}

/* --user-field: COL names a single-valued field, none clears it. */
static int dataset_set_user(struct dataset *d, const char *col, char *err, size_t errlen)
{
    if (!col || !*col) return 0;
    if (strcmp(col, "none") == 0) {
        d->user_field = -1;
        return 0;
    }
    int f = dataset_find_field(d, col);
    if (f < 0) {
        char names[300] = "";
        for (int g = 0; g < d->n_fields && strlen(names) < sizeof names - 60; g++) {
            if (g) strcat(names, ",");
            strncat(names, d->fields[g].name, sizeof names - strlen(names) - 56);
        }
        snprintf(err, errlen, "dataset %s: --user-field: no field '%s' (fields: %s)", d->name, col, names);
        return -1;
    }
    if (d->fields[f].multi || d->fields[f].num) {
        snprintf(err, errlen, "dataset %s: --user-field: field '%s' is %s (a user is one id per row)", d->name, col,
                 d->fields[f].multi ? "multi-valued" : "numeric");
        return -1;
    }
    d->user_field = f;
    return 0;
}

int dataset_load(struct dataset *d, const struct data_opts *o, char *err, size_t errlen)
{
    const struct dataset_spec *s = dataset_spec_find(o->dataset);
    if (!s) {
        snprintf(err, errlen, "unknown dataset '%s' (valid: %s)", o->dataset, dataset_spec_names());
        return -1;
    }
    if (o->numeric && *o->numeric && !dataset_spec_takes(s, "numeric")) {
        snprintf(err, errlen, "--numeric: dataset %s has no numeric columns to read (csv, criteo, iaac have)",
                 o->dataset);
        return -1;
    }
    if (s->load(d, o, err, errlen)) {
        cli_one_line(err, errlen);
        return -1;
    }
    if (dataset_set_user(d, o->user_field, err, errlen)) {
        dataset_free(d);
        return -1;
    }
    int numeric = 0;
    for (int f = 0; f < d->n_fields; f++) numeric |= d->fields[f].num != NULL;
    if (!numeric && o->numeric_transform && *o->numeric_transform) {
        snprintf(err, errlen, "--numeric-transform has no effect without numeric fields (--numeric A,B): drop it");
        dataset_free(d);
        return -1;
    }
    if (o->min_count <= 1 && !numeric) return 0;
    /* --min-count and the numeric transforms count the training rows of the split the
     * caller will draw: the split depends only on n_rows, time and the options, which
     * neither changes. */
    struct split sp;
    char why[400];
    int rc = -1;
    if (dataset_split(&sp, d, o, why, sizeof why)) {
        snprintf(err, errlen, "%s the training rows of the split: %s", o->min_count > 1 ? "--min-count counts"
                 : "the numeric transforms are fitted on", why);
    } else {
        rc = dataset_apply_min_count(d, sp.train, sp.n_train, o->min_count, err, errlen);
        if (!rc && numeric) rc = dataset_fit_numeric(d, sp.train, sp.n_train, o->numeric_transform, err, errlen);
        split_free(&sp);
    }
    if (rc) {
        cli_one_line(err, errlen);
        dataset_free(d);
    }
    return rc;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static const char *base_name(const char *p)
{
    const char *b = p ? strrchr(p, '/') : NULL;
    return b ? b + 1 : p ? p : "?";
}

/* The given split: train, val and test rows as stored; without val rows, a seeded
 * val_frac of train (train keeps its file order, val sorted). */
static void split_given(struct split *s, const struct dataset *d, const struct data_opts *o)
{
    int n0 = d->given[0], n1 = d->given[1], n2 = d->given[2];
    int32_t *order = malloc(sizeof *order * (size_t)(d->n_rows ? d->n_rows : 1));
    if (!order) apg_oom("split", sizeof *order * (size_t)d->n_rows);
    for (int i = 0; i < d->n_rows; i++) order[i] = i;
    if (n1 == 0) {
        struct split c;
        struct dataset train = *d;             /* only n_rows is read */
        train.n_rows = n0;
        split_random(&c, &train, 1.0 - o->val_frac, o->val_frac, o->data_seed);
        qsort(c.train, (size_t)c.n_train, sizeof *c.train, cmp_i32);
        s->n_train = c.n_train;
        s->n_val = c.n_val + c.n_test;
        s->train = c.train;
        s->val = realloc(c.val, sizeof *s->val * (size_t)(s->n_val ? s->n_val : 1));
        if (!s->val) apg_oom("split", sizeof *s->val * (size_t)s->n_val);
        memcpy(s->val + c.n_val, c.test, sizeof *c.test * (size_t)c.n_test);
        qsort(s->val, (size_t)s->n_val, sizeof *s->val, cmp_i32);
        free(c.test);
    } else {
        s->n_train = n0;
        s->n_val = n1;
        s->train = malloc(sizeof *s->train * (size_t)(n0 ? n0 : 1));
        s->val = malloc(sizeof *s->val * (size_t)(n1 ? n1 : 1));
        if (!s->train || !s->val) apg_oom("split", sizeof *s->train * (size_t)(n0 + n1));
        memcpy(s->train, order, sizeof *order * (size_t)n0);
        memcpy(s->val, order + n0, sizeof *order * (size_t)n1);
    }
    s->n_test = n2;
    s->test = malloc(sizeof *s->test * (size_t)(n2 ? n2 : 1));
    if (!s->test) apg_oom("split", sizeof *s->test * (size_t)n2);
    memcpy(s->test, order + n0 + n1, sizeof *order * (size_t)n2);
    free(order);
}

int dataset_split(struct split *s, const struct dataset *d, const struct data_opts *o, char *err,
                  size_t errlen)
{
    return dataset_split_how(s, d, o, NULL, 0, err, errlen);
}

int dataset_split_how(struct split *s, const struct dataset *d, const struct data_opts *o, char *how,
                      size_t howlen, char *err, size_t errlen)
{
    char buf[400];
    if (!how) {
        how = buf;
        howlen = sizeof buf;
    }
    int given = d->given[0] > 0;
    if (given && (strcmp(o->split, "random") == 0 || strcmp(o->split, "given") == 0)) {
        split_given(s, d, o);
        if (d->given[1])
            snprintf(how, howlen, "given: train %s, validation %s, test %s", base_name(o->train_file),
                     base_name(o->val_file), base_name(o->test_file));
        else
            snprintf(how, howlen, "given: train %s, validation %g%% of the training file (seeded, --data-seed "
                     "%llu, --val-frac; never the test file), test %s", base_name(o->train_file), 100 * o->val_frac,
                     (unsigned long long)o->data_seed, base_name(o->test_file));
        return 0;
    }
    if (given) {
        snprintf(err, errlen, "--split %s: the split is given (--train-file, --test-file): drop --split", o->split);
        return -1;
    }
    if (strcmp(o->split, "given") == 0) {
        snprintf(err, errlen, "--split given: dataset %s has no given split (csv: --train-file and --test-file)",
                 d->name);
        return -1;
    }
    if (strcmp(o->split, "time") == 0) {
        char t[256];
        if (split_time(s, d, 0.1, 0.1, t, sizeof t)) {
            snprintf(err, errlen, "--split time: dataset %s: %s", d->name, t);
            return -1;
        }
        snprintf(how, howlen, "time (%s)", t);
        return 0;
    }
    if (strcmp(o->split, "position") == 0) {
        split_position(s, d, 0.8, 0.1);
        snprintf(how, howlen, "position: the file's first 80%% train, next 10%% validation, last 10%% test");
        return 0;
    }
    if (strcmp(o->split, "random") != 0) {
        snprintf(err, errlen, "--split: expected random, given, position or time, got '%s'", o->split);
        return -1;
    }
    split_random(s, d, 0.8, 0.1, o->data_seed);
    snprintf(how, howlen, "random 80/10/10, --data-seed %llu", (unsigned long long)o->data_seed);
    return 0;
}
