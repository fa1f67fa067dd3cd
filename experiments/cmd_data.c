/* apg data info: loads a dataset (through the cache) and prints its shape: rows,
 * positive rate, per-field cardinality, users, items, the split, and the
 * user-frequency deciles of the paper's Fig 8 (users sorted by their number of
 * training rows, cut into ten groups of equal user count, group 0 the rarest). */
#include "data_export.h"
#include "dataset.h"
#include "model_opts.h"
#include "numeric.h"
#include "stale_tmp.h"
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

struct data_cli {
    int groups;
    const char *out;
};

#define O(f) offsetof(struct data_cli, f)
static const struct opt data_info_opts[] = {
    { "groups", OPT_INT, O(groups), "G", "user-frequency groups (the paper's Fig 8 uses 10)", 1, 1000 },
    { NULL, 0, 0, NULL, NULL, 0, 0 },
};
static const struct opt data_export_opts[] = {
    { "out", OPT_STR, O(out), "DIR", "write DIR/train.csv, val.csv, test.csv (the split's rows, dense ids) and "
      "DIR/fields.json", 0, 0 },
    { NULL, 0, 0, NULL, NULL, 0, 0 },
};
#undef O

static double data_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void data_print_fields(const struct dataset *d)
{
    printf("fields    %d\n", d->n_fields);
    printf("  %-28s %-6s %10s %10s %12s\n", "name", "kind", "card", "values", "oov/len");
    for (int f = 0; f < d->n_fields; f++) {
        const struct field *fl = &d->fields[f];
        const char *role = f == d->user_field ? " (user)" : f == d->item_field ? " (item)" :
                           f == d->category_field ? " (category)" : "";
        char extra[32];
        if (fl->multi) {
            double len = d->n_rows ? (double)fl->offs[d->n_rows] / d->n_rows : 0.0;
            snprintf(extra, sizeof extra, "%.2f/row", len);
        } else {
            int64_t oov = 0;
            for (int i = 0; i < d->n_rows; i++) oov += fl->ids[i] == 0;
            snprintf(extra, sizeof extra, "%lld", (long long)oov);
        }
        char name[64];
        snprintf(name, sizeof name, "%s%s", fl->name, role);
        printf("  %-28s %-6s %10d %10d %12s\n", name, fl->multi ? "multi" : fl->num ? "number" : "single", fl->card,
               fl->card - 1, extra);
    }
    for (int f = 0; f < d->n_fields; f++) {       /* numeric fields: their values and fitted transform */
        const struct field *fl = &d->fields[f];
        if (!fl->num) continue;
        int64_t missing = 0;
        float lo = NAN, hi = NAN;
        for (int i = 0; i < d->n_rows; i++) {
            float x = fl->num[i];
            if (isnan(x)) {
                missing++;
            } else if (isnan(lo)) {
                lo = hi = x;
            } else {
                lo = x < lo ? x : lo;
                hi = x > hi ? x : hi;
            }
        }
        char fit[200];
        num_fit_describe(&fl->fit, fit, sizeof fit);
        printf("numeric   %s: values %.6g .. %.6g, %lld missing (id 0); %s\n", fl->name, (double)lo, (double)hi,
               (long long)missing, fit);
    }
}

/* Distinct ids > 0 of a single-valued field over all rows. */
static int64_t data_distinct(const struct dataset *d, int f)
{
    const struct field *fl = &d->fields[f];
    if (fl->multi) return fl->card - 1;
    unsigned char *seen = calloc((size_t)fl->card, 1);
    int64_t n = 0;
    if (!seen) return -1;
    for (int i = 0; i < d->n_rows; i++)
        if (fl->ids[i] > 0 && !seen[fl->ids[i]]) {
            seen[fl->ids[i]] = 1;
            n++;
        }
    free(seen);
    return n;
}

struct data_user { int64_t freq; int32_t id; };

static int data_cmp_user(const void *a, const void *b)
{
    const struct data_user *x = a, *y = b;
    if (x->freq != y->freq) return (x->freq > y->freq) - (x->freq < y->freq);
    return (x->id > y->id) - (x->id < y->id);
}

/* Fig 8 groups: users sorted by training frequency (ties by id), cut into n_groups
 * runs of equal user count; per group the users, their frequency range, and the
 * rows and positive rate in train and test. */
static int data_print_deciles(const struct dataset *d, const struct split *s, int n_groups)
{
    const struct field *uf = &d->fields[d->user_field];
    int32_t card = uf->card;
    int64_t *freq = calloc((size_t)card, sizeof *freq);
    unsigned char *present = calloc((size_t)card, 1);
    int32_t *group = malloc((size_t)card * sizeof *group);
    struct data_user *u = malloc((size_t)card * sizeof *u);
    int64_t *st = calloc((size_t)n_groups * 7, sizeof *st);
    if (!freq || !present || !group || !u || !st) {
        free(freq); free(present); free(group); free(u); free(st);
        fprintf(stderr, "apg data: out of memory\n");
        return -1;
    }
    for (int i = 0; i < d->n_rows; i++) present[uf->ids[i]] = 1;
    for (int i = 0; i < s->n_train; i++) freq[uf->ids[s->train[i]]]++;
    int32_t n_users = 0;
    for (int32_t id = 1; id < card; id++)
        if (present[id]) u[n_users++] = (struct data_user){ freq[id], id };
    qsort(u, (size_t)n_users, sizeof *u, data_cmp_user);
    for (int32_t id = 0; id < card; id++) group[id] = -1;
    /* st per group: users, min freq, max freq, train rows, train pos, test rows, test pos */
    for (int g = 0; g < n_groups; g++) st[g * 7 + 1] = INT64_MAX;
    for (int32_t k = 0; k < n_users; k++) {
        int g = (int)((int64_t)k * n_groups / (n_users ? n_users : 1));
        int64_t *q = st + g * 7;
        group[u[k].id] = g;
        q[0]++;
        if (u[k].freq < q[1]) q[1] = u[k].freq;
        if (u[k].freq > q[2]) q[2] = u[k].freq;
    }
    for (int i = 0; i < s->n_train; i++) {
        int g = group[uf->ids[s->train[i]]];
        if (g >= 0) { st[g * 7 + 3]++; st[g * 7 + 4] += d->label[s->train[i]] > 0.5f; }
    }
    for (int i = 0; i < s->n_test; i++) {
        int g = group[uf->ids[s->test[i]]];
        if (g >= 0) { st[g * 7 + 5]++; st[g * 7 + 6] += d->label[s->test[i]] > 0.5f; }
    }
    printf("user-frequency groups (users sorted by training rows, %d groups of equal user count, 0 = rarest):\n",
           n_groups);
    printf("  %5s %8s %15s %11s %9s %10s %9s\n", "group", "users", "train freq", "train rows", "train pos",
           "test rows", "test pos");
    for (int g = 0; g < n_groups; g++) {
        const int64_t *q = st + g * 7;
        char range[32];
        if (q[0]) snprintf(range, sizeof range, "%lld-%lld", (long long)q[1], (long long)q[2]);
        else snprintf(range, sizeof range, "-");
        printf("  %5d %8lld %15s %11lld %9.4f %10lld %9.4f\n", g, (long long)q[0], range, (long long)q[3],
               q[3] ? (double)q[4] / q[3] : 0.0, (long long)q[5], q[5] ? (double)q[6] / q[5] : 0.0);
    }
    if (present[0]) printf("  (rows whose user maps to the OOV id 0 are in no group)\n");
    free(freq); free(present); free(group); free(u); free(st);
    return 0;
}

/* apg data export: the split of d written under dir; frees d. */
static int data_export_cmd(struct dataset *d, const struct data_opts *o, const char *dir)
{
    struct split s = { 0 };
    char how[400], err[1024];
    int rc = dataset_split_how(&s, d, o, how, sizeof how, err, sizeof err) ? 2 : 0;
    if (!rc && data_export(d, &s, dir, err, sizeof err)) rc = 1;
    if (rc) {
        fprintf(stderr, "apg data export: %s\n", err);
    } else {
        if (d->synthetic_fallback) printf("WARNING: real data missing, SYNTHETIC data stands in for %s\n", o->dataset);
        printf("wrote %s/{train,val,test}.csv (%d, %d, %d rows; split %s) and %s/fields.json\n", dir, s.n_train,
               s.n_val, s.n_test, how, dir);
        char multi[512] = "", numeric[512] = "";
        for (int k = 0; k < d->n_fields; k++) {      /* the options that read the files back */
            char *out = d->fields[k].multi ? multi : d->fields[k].num ? numeric : NULL;
            if (out && strlen(out) + 60 < sizeof multi)
                snprintf(out + strlen(out), sizeof multi - strlen(out), "%s%s%s", *out ? "," : "", d->fields[k].name,
                         out == multi ? ":|" : "");
        }
        printf("train on it: apg train --dataset csv --train-file %s/train.csv --val-file %s/val.csv --test-file "
               "%s/test.csv --label label%s%s%s%s%s\n", dir, dir, dir, *multi ? " --multi '" : "", multi,
               *multi ? "'" : "", *numeric ? " --numeric " : "", numeric);
    }
    split_free(&s);
    dataset_free(d);
    return rc;
}

static void data_usage(FILE *f, const struct opt_group *groups, int n)
{
    fprintf(f, "usage: apg data info --dataset NAME [--data DIR] [options]\n"
               "       apg data export --out DIR --dataset NAME [options]\n\n"
               "info loads a dataset (parsing it, or from its cache) and prints rows, positive\n"
               "rate, per-field cardinality, users, items, the split and the user-frequency\n"
               "groups of the paper's Fig 8. export writes its train/validation/test split as\n"
               "CSV files of dense ids (and fields.json) that another implementation, or\n"
               "apg train --dataset csv, trains on: the same rows and ids for both.\n");
    cli_help(f, groups, n);
}

int cmd_data(int argc, char **argv)
{
    struct data_cli a = { .groups = 10 };
    struct data_opts o;
    data_opts_default(&o);
    int export = argc >= 1 && strcmp(argv[0], "export") == 0;
    const struct opt_group groups[] = {
        { export ? "data export" : "data info", export ? data_export_opts : data_info_opts, &a },
        { "data", data_opt_table, &o },
    };
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        data_usage(argc < 1 ? stderr : stdout, groups, 2);
        return argc < 1 ? 2 : 0;
    }
    if (strcmp(argv[0], "info") != 0 && !export) {
        fprintf(stderr, "apg data: unknown subcommand '%s' (valid: info, export)\n", argv[0]);
        return 2;
    }
    const char *who = export ? "apg data export" : "apg data info";
    char err[1024];
    char *pos[1];
    int n_pos, help;
    if (cli_parse(groups, 2, argc - 1, argv + 1, pos, 0, &n_pos, &help, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", who, err);
        return 2;
    }
    if (help) {
        data_usage(stdout, groups, 2);
        return 0;
    }
    if (data_opts_check_effect(&o, argc - 1, argv + 1, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", who, err);
        return 2;
    }
    if (export && (!a.out || !*a.out)) {
        fprintf(stderr, "apg data export: --out DIR is required\n");
        return 2;
    }
    struct dataset d;
    double t0 = data_now();
    stale_tmp_sweep_cache(o.cache_dir);   /* cache writes of runs killed meanwhile */
    if (dataset_load(&d, &o, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", who, err);
        return data_load_exit_code(err);
    }
    if (d.n_rows == 0) {
        fprintf(stderr, "%s: dataset %s is empty (no rows: an empty source file, or every row skipped)\n", who,
                d.name);
        dataset_free(&d);
        return 1;
    }
    if (export) return data_export_cmd(&d, &o, a.out);
    double t_load = data_now() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("dataset   %s%s\n", d.name, d.synthetic_fallback ? "  (SYNTHETIC stand-in: real data missing)" : "");
    printf("label     %s\n", d.label_rule);
    int64_t pos_rows = 0;
    for (int i = 0; i < d.n_rows; i++) pos_rows += d.label[i] > 0.5f;
    printf("rows      %d, positives %lld (%.4f)\n", d.n_rows, (long long)pos_rows,
           d.n_rows ? (double)pos_rows / d.n_rows : 0.0);
    if (d.time && d.n_rows) {
        int64_t lo = d.time[0], hi = d.time[0];
        for (int i = 1; i < d.n_rows; i++) {
            if (d.time[i] < lo) lo = d.time[i];
            if (d.time[i] > hi) hi = d.time[i];
        }
        printf("time      %lld .. %lld (%.1f days)\n", (long long)lo, (long long)hi, (double)(hi - lo) / 86400.0);
    } else {
        printf("time      none (no time split)\n");
    }
    printf("loaded    in %.3f s, peak RSS %.1f MB\n", t_load, (double)ru.ru_maxrss / 1024.0);
    if (d.header_lines)
        printf("headers   %d header line%s read as column names, not rows (the format's own, or detected in a "
               "headerless format and skipped)\n", d.header_lines, d.header_lines == 1 ? "" : "s");
    else
        printf("headers   none: every line of the source files is a row\n");
    data_print_fields(&d);
    if (d.user_field >= 0) printf("users     %lld (field %s)\n", (long long)data_distinct(&d, d.user_field),
                                  d.fields[d.user_field].name);
    else printf("users     no user field\n");
    if (d.item_field >= 0) printf("items     %lld (field %s)\n", (long long)data_distinct(&d, d.item_field),
                                  d.fields[d.item_field].name);
    else printf("items     no item field\n");
    printf("category  %s\n", d.category_field >= 0 ? d.fields[d.category_field].name : "none");

    struct split s;
    char how[400], err2[400];
    if (dataset_split_how(&s, &d, &o, how, sizeof how, err2, sizeof err2)) {
        fprintf(stderr, "apg data info: %s\n", err2);
        dataset_free(&d);
        return 2;
    }
    printf("split     %s", how);
    printf(": train %d, val %d, test %d\n", s.n_train, s.n_val, s.n_test);
    int rc = 0;
    if (d.user_field >= 0 && !d.fields[d.user_field].multi) rc = data_print_deciles(&d, &s, a.groups);
    split_free(&s);
    dataset_free(&d);
    return rc ? 1 : 0;
}
