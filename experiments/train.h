/* One training run: seeded init, minibatch Adam over the training split, validation
 * AUC each epoch with early stopping (the best epoch's parameters are restored), then
 * a single pass over the test split. Used by `apg train` and the experiment runner. */
#ifndef APG_TRAIN_H
#define APG_TRAIN_H
#include <stdint.h>
#include <stdio.h>
#include "model.h"

struct train_result;

struct train_cfg {
    const char *backbone;
    struct model_cfg model;
    int      epochs;
    int      batch;
    float    lr;
    float    l2;
    int      patience;     /* stop after this many epochs without a better val AUC */
    uint64_t seed;         /* init + shuffling */
    int      shuffle;      /* 1: training rows reshuffled every epoch; 0: every epoch in
                              the split's order (the file's order for position, time and
                              given splits; a random split's seeded permutation) */
    int      threads;
    int      micro;        /* --micro-batches M: 1, or each minibatch cut into M parts
                              trained in parallel (experiments/train_mb.h); 0: auto
                              (train_micro_auto) */
    int      shard_emb;    /* --shard-embeddings (with dist): the embedding rows split over
                              the ranks (experiments/emb_shard.h) */
    int      dist;         /* --dist: data-parallel over the MPI job's ranks
                              (experiments/train_dist.h); only rank 0 evaluates the test
                              split and calls on_trained */
    int      progress;     /* draw a progress bar on stderr */
    int      verbose;      /* per-epoch lines on stdout */
    int      profile;      /* time each part of the training steps (core/prof.h) and
                              print the table on stderr at the end */
    /* Called once at the end of a successful run with the trained model (the best
     * epoch's parameters, those the test metrics come from) and the filled result,
     * e.g. to save a checkpoint; NULL = none. A nonzero return fails the run with err. */
    int    (*on_trained)(void *ctx, struct model *m, const struct train_result *r,
                         char *err, size_t errlen);
    void    *on_trained_ctx;
    /* Called after every epoch's validation pass (NULL = none). */
    /* Optional: called after every training step (step = 1, 2, ... within the run). */
    void   (*on_step)(void *ctx, long step);
    void    *on_step_ctx;
    void   (*on_epoch)(void *ctx, int epoch, double train_loss, double val_auc, double seconds);
    void    *on_epoch_ctx;
    /* When not NULL: receives the n_test test scores (sigmoid) of the reported model. */
    float   *test_scores;
};

struct train_result {
    double test_auc, val_auc, test_logloss, test_gauc, oracle_auc;
    /* gAUC's coverage: the test users it averages over and their rows (impressions);
     * test_gauc is NaN (absent, never 0) without a user field (d->user_field < 0) or
     * when no test user has both labels. */
    int64_t gauc_users, gauc_rows;
    int    epochs_run, best_epoch;
    double train_seconds, sec_per_epoch;
    double train_samples_per_s, infer_samples_per_s;
    double last_train_loss;
    size_t param_bytes;
    double train_macs_per_row;     /* the first step's product multiply-adds per row (graph_macs) */
    int    micro;          /* the micro-batches M trained with (auto resolved) */
    long   peak_rss_bytes;
    int    dist_ranks;             /* --dist: the ranks (0: not data-parallel) */
    double dist_bytes_per_step;    /* --dist: bytes each rank sent per step (train_dist.h) */
    double dist_dense_bytes, dist_sparse_bytes;   /* its allreduce buffer, its embedding rows */
    double emb_bytes_here;         /* --shard-embeddings: this rank's table with its gradient and moments */
};

/* --micro-batches auto: 1 at one thread and under --dist (more than one rank), else
 * one part per thread (the threads take them as they come free), at most MB_MAX, at least 64
 * rows a part, and at most 2 GiB of replica gradients (param_bytes each); fewer than 2
 * parts: 1 (the per-op split). */
int train_micro_auto(int threads, int batch, int dist, size_t param_bytes);
void train_cfg_default(struct train_cfg *c);
/* Trains on s->train, selects on s->val, reports on s->test. 0; -2 with err when the
 * model cannot be built from the configuration for this dataset (K too large for a
 * layer, an unknown field, ...); -1 with err on any other failure, among them a
 * validation or test split of one class (AUC undefined: no epoch could be selected and
 * no result reported), refused before training:
 *   "the validation split has one class (all 1 rows negative): AUC is undefined; ..." */
int train_run(const struct train_cfg *c, const struct dataset *d, const struct split *s,
              struct train_result *r, char *err, size_t errlen);

/* sigmoid(logit[i]) into scores[i], i < n; a logit that is not finite gives NaN. */
void logits_to_scores(const float *logit, int n, float *scores);
/* Scores rows[0..n) with a trained model: sigmoid(logit) into scores[n]; a logit that
 * is not finite (parameters whose products overflow) gives NaN, never a clean 0 or 1. */
void model_predict(struct model *m, struct graph *g, const struct dataset *d,
                   const int32_t *rows, int n, int batch, float *scores);

/* n capped at the cores available (apg_threads_cap); when capping, says so on stderr:
 * "WHO: --threads N: capped at the C cores available" (who e.g. "apg train"; what the
 * option, e.g. "--threads" or "the checkpoint's threads"). */
int train_threads_cap(int n, const char *who, const char *what);

/* Prints "KEY":V with %.*f (prec), or "KEY":null when v is NaN or infinite (JSON
 * has no token for them), followed by sep (e.g. "," or ""). */
void json_num(FILE *f, const char *key, double v, int prec, const char *sep);
/* gAUC for people: "gauc 0.71234 (user field U: 120 users, 2300 of 2886 rows)", or
 * "gauc n/a (...why...)" when g is NaN. user: the user field's name, NULL for none. */
void gauc_text(char *buf, size_t n, double g, const char *user, int64_t users, int64_t rows, int64_t n_rows);
/* The gAUC JSON members "KEY":x|null,"gauc_user_field":"U"|null,"gauc_users":N,
 * "gauc_impressions":M, then sep. */
void gauc_json(FILE *f, const char *key, double g, const char *user, int64_t users, int64_t rows, const char *sep);
/* Prints "KEY":"V" with V escaped for JSON (quote, backslash, control bytes), then sep. */
void json_text(FILE *f, const char *key, const char *v, const char *sep);

#endif
