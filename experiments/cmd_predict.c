/* apg predict MODEL: scores a dataset with a checkpoint (from train --save or export).
 * The data options default to the training run's (stored in the checkpoint), so with
 * no options it scores exactly the test rows that run reported on; options given here
 * override them. The dataset must have the model's fields and cardinalities. */
#include "checkpoint.h"
#include "commands.h"
#include "stale_tmp.h"
#include "metrics.h"
#include "progress.h"
#include "threads.h"
#include "train.h"
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct predict_cli {
    const char *part;      /* test | val | train | all */
    int batch, threads;    /* 0: the training run's */
    const char *out;
    int json;
};

#define O(f) offsetof(struct predict_cli, f)
static const struct opt predict_opts[] = {
    { "split", OPT_STR, O(part), "PART",
      "rows to score: test | val | train (the training run's split of the dataset) | all", 0, 0 },
    { "batch", OPT_INT, O(batch), "B", "rows per forward pass (0 = the training run's minibatch)", 0, 1 << 20 },
    { "threads", OPT_INT, O(threads), "T", "threads for BLIS and the op loops (0 = the training run's)", 0, 1024 },
    { "out", OPT_STR, O(out), "FILE", "write one line per scored row: row index, score, label (tab-separated)", 0, 0 },
    { "json", OPT_FLAG, O(json), NULL, "print one JSON object with the results as the last line", 0, 0 },
    { NULL, 0, 0, NULL, NULL, 0, 0 },
};
#undef O

/* data_opt_table without its --split (random | time): here --split picks the rows,
 * and the kind of split is the training run's. */
static struct opt *data_opts_for_predict(void)
{
    int n = 0;
    while (data_opt_table[n].name) n++;
    struct opt *t = calloc((size_t)n + 1, sizeof *t);
    if (!t) return NULL;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (strcmp(data_opt_table[i].name, "split") != 0) t[k++] = data_opt_table[i];
    return t;
}

static int write_scores(const char *path, const int32_t *rows, const float *scores, const float *labels,
                        int n, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "--out %s: cannot write", path);
        return -1;
    }
    for (int i = 0; i < n; i++) fprintf(f, "%d\t%.9g\t%g\n", rows[i], (double)scores[i], (double)labels[i]);
    if (fclose(f) != 0) {
        snprintf(err, errlen, "--out %s: write error", path);
        return -1;
    }
    return 0;
}

/* Scores the rows, prints the metrics; 0 or -1 with err. */
static int score(struct ckpt *ck, const char *path, const struct predict_cli *a, const struct dataset *d,
                 const int32_t *rows, int n, int same_test, char *err, size_t errlen)
{
    float *scores = malloc(sizeof *scores * (size_t)(n ? n : 1));
    float *labels = malloc(sizeof *labels * (size_t)(n ? n : 1));
    if (!scores || !labels) {
        free(scores); free(labels);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int batch = a->batch > 0 ? a->batch : ck->meta.batch > 0 ? ck->meta.batch : 1024;
    int threads = a->threads > 0 ? train_threads_cap(a->threads, "apg predict", "--threads")
                : ck->meta.threads > 0 ? train_threads_cap(ck->meta.threads, "apg predict", "the checkpoint's threads")
                : 1;
    apg_set_threads(threads);
    struct graph g;
    graph_init(&g, (size_t)64 << 20);
    double t0 = now_seconds();
    model_predict(&ck->model, &g, d, rows, n, batch, scores);
    double secs = now_seconds() - t0;
    graph_free(&g);
    for (int i = 0; i < n; i++)
        if (!isfinite(scores[i])) {        /* finite but huge parameters overflow the forward pass */
            snprintf(err, errlen, "%s: the model's score of row %d is not a number (its parameters overflow "
                     "the forward pass): nothing is reported", path, rows[i]);
            free(scores);
            free(labels);
            return -1;
        }
    for (int i = 0; i < n; i++) labels[i] = d->label[rows[i]];

    double auc = metrics_auc(scores, labels, n), logloss = metrics_logloss(scores, labels, n);
    double gauc = NAN, oracle = NAN;
    int64_t g_users = 0, g_rows = 0;
    const char *g_field = d->user_field >= 0 && !d->fields[d->user_field].multi ? d->fields[d->user_field].name : NULL;
    if (g_field) {
        int32_t *users = malloc(sizeof *users * (size_t)(n ? n : 1));
        if (users) {
            for (int i = 0; i < n; i++) users[i] = d->fields[d->user_field].ids[rows[i]];
            gauc = metrics_gauc_cov(scores, labels, users, n, &g_users, &g_rows);
            free(users);
        }
    }
    if (d->prob) {
        float *p = malloc(sizeof *p * (size_t)(n ? n : 1));
        if (p) {
            for (int i = 0; i < n; i++) p[i] = d->prob[rows[i]];
            oracle = metrics_auc(p, labels, n);
            free(p);
        }
    }
    double sps = secs > 0 ? (double)n / secs : 0;
    char gt[200];
    gauc_text(gt, sizeof gt, gauc, g_field, g_users, g_rows, n);
    printf("%s split: %d rows  auc %.5f  logloss %.5f  %s", a->part, n, auc, logloss, gt);
    if (!isnan(oracle)) printf("  (oracle auc %.5f)", oracle);
    printf("\ninference %.0f samples/s (batch %d, %d thread%s)\n", sps, batch, threads, threads == 1 ? "" : "s");
    if (same_test)
        printf("the training run reported test auc %.5f, logloss %.5f on these rows\n", ck->meta.test_auc,
               ck->meta.test_logloss);
    int rc = a->out ? write_scores(a->out, rows, scores, labels, n, err, errlen) : 0;
    if (rc == 0 && a->out) printf("wrote %d scores to %s\n", n, a->out);
    if (rc == 0 && a->json) {
        char key[48];
        printf("{");
        json_text(stdout, "model", path, ",");
        json_text(stdout, "dataset", d->name, ",");
        json_text(stdout, "backbone", ck->mo.backbone, ",");
        json_text(stdout, "apg", ck->mo.m.apg.variant, ",");
        json_text(stdout, "split", a->part, ",");
        printf("\"rows\":%d,", n);
        snprintf(key, sizeof key, "%s_auc", a->part);
        json_num(stdout, key, auc, 6, ",");
        snprintf(key, sizeof key, "%s_logloss", a->part);
        json_num(stdout, key, logloss, 6, ",");
        snprintf(key, sizeof key, "%s_gauc", a->part);
        gauc_json(stdout, key, gauc, g_field, g_users, g_rows, ",");
        json_num(stdout, "oracle_auc", oracle, 6, ",");
        printf("\"batch\":%d,\"threads\":%d,", batch, threads);
        json_num(stdout, "infer_samples_per_s", sps, 1, ",");
        printf("\"param_bytes\":%zu,\"synthetic_fallback\":%s}\n", params_bytes(&ck->model.ps),
               d->synthetic_fallback ? "true" : "false");
    }
    free(scores);
    free(labels);
    return rc;
}

int cmd_predict(int argc, char **argv)
{
    struct predict_cli a = { .part = "test" };
    struct opt *dtab = data_opts_for_predict();
    struct data_opts scratch;
    data_opts_default(&scratch);
    struct opt_group groups[] = {
        { "scoring", predict_opts, &a },
        { "data (default: the training run's, stored in MODEL)", dtab, &scratch },
    };
    const int n_groups = (int)(sizeof groups / sizeof groups[0]);
    char err[768];
    char *pos[1];
    int n_pos, help;
    if (!dtab) {
        fprintf(stderr, "apg predict: out of memory\n");
        return 1;
    }
    if (cli_parse(groups, n_groups, argc, argv, pos, 1, &n_pos, &help, err, sizeof err)) {
        fprintf(stderr, "apg predict: %s\n", err);
        free(dtab);
        return 2;
    }
    if (help) {
        printf("usage: apg predict MODEL [options]\n\n"
               "Scores a dataset with checkpoint MODEL (apg train --save, apg export) and prints AUC,\n"
               "logloss and gAUC. The data options default to those of the training run, so\n"
               "`apg predict MODEL` scores exactly the test rows that run reported on.\n");
        cli_help(stdout, groups, n_groups);
        free(dtab);
        return 0;
    }
    static const char *const parts[] = { "test", "val", "train", "all" };
    const char *part = a.part;
    int ip = 0;
    while (ip < 4 && strcmp(part, parts[ip]) != 0) ip++;
    if (n_pos != 1 || ip == 4) {
        if (n_pos != 1) fprintf(stderr, "apg predict: expected one MODEL (see --help)\n");
        else fprintf(stderr, "apg predict: --split: expected test, val, train or all, got '%s'\n", part);
        free(dtab);
        return 2;
    }
    const char *path = pos[0];

    struct ckpt ck;
    if (ckpt_load(&ck, path, err, sizeof err)) {
        fprintf(stderr, "apg predict: %s\n", err);
        ckpt_free(&ck);
        free(dtab);
        return 1;
    }
    /* The stored data options, then the command line's on top. */
    struct data_opts o = ck.data;
    groups[1].target = &o;
    int rc = 1;
    struct dataset d = { 0 };
    struct split s = { 0 };
    int32_t *all = NULL;
    char *now_text = NULL;
    if (cli_parse(groups, n_groups, argc, argv, pos, 1, &n_pos, &help, err, sizeof err)) {
        fprintf(stderr, "apg predict: %s\n", err);
        rc = 2;
        goto out;
    }
    const struct opt_group dg = { "data", data_opt_table, &o };
    now_text = cli_format(&dg, 1, err, sizeof err);
    if (!now_text) {
        fprintf(stderr, "apg predict: %s\n", err);
        goto out;
    }
    int same_data = strcmp(now_text, ck.meta.data_text) == 0;
    printf("%s: %s, APG %s, trained on %s (best epoch %d, test auc %.5f)\n", path, ck.mo.backbone,
           ck.mo.m.apg.variant, ck.meta.dataset, ck.meta.best_epoch, ck.meta.test_auc);
    stale_tmp_sweep_cache(o.cache_dir);   /* cache writes of runs killed meanwhile */
    if (dataset_load(&d, &o, err, sizeof err)) {
        fprintf(stderr, "apg predict: %s\n", err);
        rc = data_load_exit_code(err);
        goto out;
    }
    if (d.synthetic_fallback)
        printf("WARNING: real data missing, SYNTHETIC data stands in for %s\n", o.dataset);
    if (ckpt_apply_numeric(&ck.meta, &d, err, sizeof err) || ckpt_check_dataset(&ck.meta, &d, err, sizeof err)) {
        fprintf(stderr, "apg predict: %s: %s\n", path, err);
        rc = 2;
        goto out;
    }
    const int32_t *rows;
    int n, same_test = 0;
    if (ip == 3) {
        all = malloc(sizeof *all * (size_t)(d.n_rows ? d.n_rows : 1));
        if (!all) {
            fprintf(stderr, "apg predict: out of memory\n");
            goto out;
        }
        for (int i = 0; i < d.n_rows; i++) all[i] = i;
        rows = all;
        n = d.n_rows;
    } else {
        if (dataset_split(&s, &d, &o, err, sizeof err)) {
            fprintf(stderr, "apg predict: %s (score every row with --split all)\n", err);
            rc = 2;
            goto out;
        }
        rows = ip == 0 ? s.test : ip == 1 ? s.val : s.train;
        n = ip == 0 ? s.n_test : ip == 1 ? s.n_val : s.n_train;
        if (same_data && ip == 0 && ck.meta.n_test > 0) {
            if (s.n_test != ck.meta.n_test || ckpt_rows_hash(s.test, s.n_test) != ck.meta.test_hash) {
                fprintf(stderr, "apg predict: %s: the test split (%d rows) is not the training run's (%d rows) "
                        "although the data options are the same\n", path, s.n_test, ck.meta.n_test);
                goto out;
            }
            same_test = 1;
        }
    }
    printf("dataset %s: %d rows, scoring %s rows%s\n", d.name, d.n_rows, part,
           same_test ? " (the training run's test rows)" : same_data ? "" : " (data options differ from the training run's)");
    rc = score(&ck, path, &a, &d, rows, n, same_test, err, sizeof err) ? 1 : 0;
    if (rc) fprintf(stderr, "apg predict: %s\n", err);
out:
    free(now_text);
    free(all);
    split_free(&s);
    dataset_free(&d);
    ckpt_free(&ck);
    free(dtab);
    return rc;
}
