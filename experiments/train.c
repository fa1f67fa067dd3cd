#include "train.h"
#include "metrics.h"
#include "ops.h"
#include "optim.h"
#include "prof.h"
#include "progress.h"
#include "threads.h"
#include "dist.h"
#include "train_mb.h"
#include "train_dist.h"
#include "emb_shard.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

void train_cfg_default(struct train_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->backbone = "wdl";
    model_cfg_default(&c->model);
    c->epochs = 1;
    c->batch = 1024;
    c->lr = 0.005f;      /* the paper's Adam learning rate */
    c->l2 = 0.0f;
    c->patience = 2;
    c->seed = 1;
    c->shuffle = 1;
    c->threads = 1;
    c->micro = 1;
}

int train_micro_auto(int threads, int batch, int dist, size_t param_bytes)
{
    if (threads < 2 || (dist && dist_size() > 1)) return 1;
    long m = threads, by_rows = batch / 64, by_mem = param_bytes ? (2L << 30) / (long)param_bytes : m;
    if (m > MB_MAX) m = MB_MAX;
    if (m > by_rows) m = by_rows;
    if (m > by_mem) m = by_mem;
    return m < 2 ? 1 : (int)m;
}

/* Builds the batch of rows[0..n) inside the step arena. */
static void step_batch(struct graph *g, struct batch *b, const struct dataset *d,
                       const int64_t *base, const int32_t *rows, int n)
{
    void *mem = arena_alloc(&g->arena, batch_bytes(d, rows, n));
    batch_build(b, d, base, rows, n, mem);
}

void logits_to_scores(const float *logit, int n, float *scores)
{
    for (int j = 0; j < n; j++) {
        float z = logit[j];
        scores[j] = isfinite(z) ? 1.0f / (1.0f + expf(-z)) : NAN;
    }
}

void model_predict(struct model *m, struct graph *g, const struct dataset *d,
                   const int32_t *rows, int n, int batch, float *scores)
{
    int rec = g->record;
    g->record = 0;
    for (int i = 0; i < n; i += batch) {
        int bn = n - i < batch ? n - i : batch;
        struct batch b;
        graph_reset(g);
        step_batch(g, &b, d, m->base, rows + i, bn);
        logits_to_scores(model_forward(m, g, &b)->data, bn, scores + i);
    }
    graph_reset(g);
    g->record = rec;
}

static void gather_labels(const struct dataset *d, const int32_t *rows, int n, float *out)
{
    for (int i = 0; i < n; i++) out[i] = d->label[rows[i]];
}

static long peak_rss_bytes(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss * 1024L;
}

void json_num(FILE *f, const char *key, double v, int prec, const char *sep)
{
    if (isfinite(v)) fprintf(f, "\"%s\":%.*f%s", key, prec, v, sep);
    else fprintf(f, "\"%s\":null%s", key, sep);
}

int train_threads_cap(int n, const char *who, const char *what)
{
    int capped = apg_threads_cap(n);
    if (capped < n)
        fprintf(stderr, "%s: %s %d: capped at the %d core%s available\n", who, what, n, capped,
                capped == 1 ? "" : "s");
    return capped;
}

void gauc_text(char *buf, size_t n, double g, const char *user, int64_t users, int64_t rows, int64_t n_rows)
{
    if (!user) snprintf(buf, n, "gauc n/a (no user field: name one with --user-field COL)");
    else if (isnan(g)) snprintf(buf, n, "gauc n/a (user field %s: no user has both labels)", user);
    else snprintf(buf, n, "gauc %.5f (user field %s: %lld users, %lld of %lld rows)", g, user, (long long)users,
                  (long long)rows, (long long)n_rows);
}

void gauc_json(FILE *f, const char *key, double g, const char *user, int64_t users, int64_t rows, const char *sep)
{
    json_num(f, key, g, 6, ",");
    if (user) json_text(f, "gauc_user_field", user, ",");
    else fprintf(f, "\"gauc_user_field\":null,");
    fprintf(f, "\"gauc_users\":%lld,\"gauc_impressions\":%lld%s", (long long)users, (long long)rows, sep);
}

void json_text(FILE *f, const char *key, const char *v, const char *sep)
{
    fprintf(f, "\"%s\":\"", key);
    for (const unsigned char *p = (const unsigned char *)(v ? v : ""); *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fprintf(f, "\"%s", sep);
}

/* 0 when rows[0..n) hold both classes; else -1 with err naming the split. */
static int check_two_classes(const struct dataset *d, const int32_t *rows, int n, const char *what,
                             char *err, size_t errlen)
{
    int pos = 0;
    for (int i = 0; i < n; i++) pos += d->label[rows[i]] > 0.5f;
    if (pos > 0 && pos < n) return 0;
    snprintf(err, errlen, "the %s split has one class (all %d rows %s): AUC is undefined, so no epoch "
             "can be selected or result reported; use more rows (--rows) or a label with both classes",
             what, n, pos ? "positive" : "negative");
    return -1;
}

int train_run(const struct train_cfg *c, const struct dataset *d, const struct split *s,
              struct train_result *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->oracle_auc = NAN;
    r->test_gauc = NAN;
    if (s->n_train == 0 || s->n_val == 0 || s->n_test == 0) {
        snprintf(err, errlen, "empty split (train %d, val %d, test %d rows)", s->n_train, s->n_val, s->n_test);
        return -1;
    }
    if (check_two_classes(d, s->val, s->n_val, "validation", err, errlen) ||
        check_two_classes(d, s->test, s->n_test, "test", err, errlen))
        return -1;
    apg_set_threads(train_threads_cap(c->threads, "apg", "--threads"));
    struct rng root, init_rng, shuf_rng;
    rng_seed(&root, c->seed);
    rng_fork(&init_rng, &root, 1);
    rng_fork(&shuf_rng, &root, 2);

    struct model m;
    int shard = c->dist && c->shard_emb && dist_size() > 1;   /* embedding rows over the ranks */
    if (model_init_sharded(&m, c->backbone, &c->model, d, &init_rng, shard ? dist_rank() : 0, shard ? dist_size() : 1,
                           err, errlen)) {
        model_free(&m);
        return -2;   /* the configuration does not fit the dataset */
    }
    int adaptive = 0;
    for (int i = 0; i < m.n_dense; i++) adaptive += m.dense[i]->rl.form != NULL;
    if (apg_enabled(&c->model.apg) && adaptive == 0) {
        snprintf(err, errlen, "--apg %s has no effect: backbone %s with %d hidden layers (--hidden) has no "
                 "layer for APG to generate (the run would be the base model)", c->model.apg.variant,
                 c->backbone, c->model.n_hidden);
        model_free(&m);
        return -2;
    }
    r->param_bytes = params_bytes(&m.ps);
    int micro = c->micro ? c->micro : train_micro_auto(c->threads, c->batch, c->dist, r->param_bytes);
    r->micro = micro;
    if (c->verbose && micro > 1)
        printf("threads: %d, each minibatch in %d micro-batches%s\n", c->threads, micro,
               c->micro ? "" : " (--micro-batches auto; 1 to split each op over the threads instead)");

    struct graph g;
    graph_init(&g, (size_t)64 << 20);
    struct mb *mb = NULL;
    if (micro > 1) {
        mb = malloc(sizeof *mb);
        if (!mb || mb_init(mb, micro, c->backbone, &c->model, d, &m, err, errlen)) {
            if (!mb) snprintf(err, errlen, "out of memory");
            free(mb);
            graph_free(&g);
            model_free(&m);
            return -1;
        }
    }
    struct adam opt;
    adam_init(&opt, c->lr);
    opt.l2 = c->l2;
    struct dist_train dtv, *dt = NULL;        /* data-parallel: only with more than one rank */
    if (c->dist && dist_size() > 1) {
        if (mb) {
            snprintf(err, errlen, "--dist and --micro-batches exclude each other");
            mb_free(mb);
            free(mb);
            graph_free(&g);
            model_free(&m);
            return -1;
        }
        if (dtrain_init(&dtv, &m.ps, shard ? m.emb : NULL, err, errlen)) {
            graph_free(&g);
            model_free(&m);
            return -1;
        }
        dt = &dtv;
    }
    struct emb_shard esv, *es = NULL;
    if (shard) {
        if (es_init(&esv, &m, err, errlen)) {
            dtrain_free(dt);
            graph_free(&g);
            model_free(&m);
            return -1;
        }
        es = &esv;
    }
    int rank0 = !dt || dt->rank == 0;

    int n_eval = s->n_val > s->n_test ? s->n_val : s->n_test;
    int32_t *order = malloc(sizeof *order * (size_t)s->n_train);
    float *scores = malloc(sizeof *scores * (size_t)n_eval);
    float *labels = malloc(sizeof *labels * (size_t)n_eval);
    float *best = malloc(sizeof *best * m.ps.n_floats);
    if (!order || !scores || !labels || !best) {
        snprintf(err, errlen, "out of memory");
        free(order); free(scores); free(labels); free(best);
        if (dt) dtrain_free(dt);
        if (es) es_free(es);
        if (mb) mb_free(mb);
        free(mb);
        graph_free(&g);
        model_free(&m);
        return -1;
    }
    memcpy(order, s->train, sizeof *order * (size_t)s->n_train);
    memcpy(best, m.ps.data, sizeof *best * m.ps.n_floats);

    double best_val = -1, train_time = 0, infer_time = 0;
    long infer_rows = 0, steps = 0, prof_steps = 0;
    if (c->profile) prof_reset();
    int since_best = 0, rc_dist = 0;
    for (int ep = 1; ep <= c->epochs && rc_dist == 0; ep++) {
        if (c->shuffle) rng_shuffle_i32(&shuf_rng, order, s->n_train);
        struct progress pb;
        char label[32];
        snprintf(label, sizeof label, "epoch %d/%d", ep, c->epochs);
        progress_start(&pb, c->progress, label, s->n_train);
        prof_on = c->profile;
        double t0 = now_seconds(), loss_sum = 0;
        long loss_n = 0;
        for (int i = 0; i < s->n_train; i += c->batch) {
            int bn = s->n_train - i < c->batch ? s->n_train - i : c->batch;
            double step_loss;
            uint64_t ts = prof_on ? prof_now() : 0;
            if (mb) {
                step_loss = mb_step(mb, &m, d, order + i, bn);
                int p0 = bn / mb->n;                 /* part 0's rows */
                if (!r->train_macs_per_row && p0) r->train_macs_per_row = graph_macs(&mb->g[0], 1) / p0;
            } else {
                struct batch b;
                graph_reset(&g);
                int i0 = 0, i1 = bn;                 /* this rank's rows of the batch */
                if (dt) dtrain_part(dt, bn, &i0, &i1);
                step_loss = 0;
                struct tensor *table = m.emb;
                struct batch look;                   /* b with its ids renumbered into table */
                memset(&b, 0, sizeof b);
                if (i1 > i0) {
                    uint64_t tb = prof_on ? prof_now() : 0;
                    step_batch(&g, &b, d, m.base, order + i + i0, i1 - i0);
                    if (prof_on) prof_add(PROF_BATCH, 0, prof_now() - tb);
                }
                look = b;
                if (es) {                            /* the rows this part reads, from their ranks */
                    uint64_t tx = prof_on ? prof_now() : 0;
                    if (!(table = es_fetch(es, &b, &look, err, errlen))) {
                        rc_dist = -1;
                        break;
                    }
                    if (tx) prof_add(PROF_DIST, 0, prof_now() - tx);
                }
                if (i1 > i0) {
                    struct tensor *logit = model_forward_table(&m, &g, &b, &look, table);
                    struct tensor *loss = t_bce(&g, logit, b.label);
                    if (dt) loss = t_scale(&g, loss, (float)(i1 - i0) / (float)bn);
                    graph_backward(&g, loss);
                    step_loss = loss->data[0];
                    if (!r->train_macs_per_row) r->train_macs_per_row = graph_macs(&g, 1) / (i1 - i0);
                }
                if (es) {
                    uint64_t tx = prof_on ? prof_now() : 0;
                    if (es_push_grads(es, err, errlen)) {
                        rc_dist = -1;
                        break;
                    }
                    if (tx) prof_add(PROF_DIST, 0, prof_now() - tx);
                }
                uint64_t tx = prof_on && dt ? prof_now() : 0;
                if (dt && dtrain_reduce(dt, &m.ps, &step_loss, err, errlen)) {
                    rc_dist = -1;
                    break;
                }
                if (tx) prof_add(PROF_DIST, 0, prof_now() - tx);
            }
            uint64_t ta = prof_on ? prof_now() : 0;
            if (mb) adam_step_sum(&opt, &m.ps, mb->ps, mb->n);
            else adam_step(&opt, &m.ps);
            if (prof_on) {
                uint64_t te = prof_now();
                prof_add(PROF_ADAM, 0, te - ta);
                prof_add(PROF_STEP, 0, te - ts);
                prof_steps++;
            }
            loss_sum += step_loss * bn;
            loss_n += bn;
            progress_update(&pb, i + bn, loss_sum / (double)loss_n);
            if (c->on_step) c->on_step(c->on_step_ctx, ++steps);
        }
        prof_on = 0;
        if (dt && rc_dist == 0 && dtrain_check(dt, &m.ps, ep, err, errlen)) rc_dist = -1;
        if (rc_dist) break;
        double ep_time = now_seconds() - t0;
        progress_end(&pb);
        train_time += ep_time;
        r->last_train_loss = loss_sum / (double)loss_n;
        r->epochs_run = ep;

        double t1 = now_seconds(), val_auc = 0;
        if (es && es_predict(es, &g, d, s->val, s->n_val, c->batch, scores, err, errlen)) {
            rc_dist = -1;
            break;
        }
        if (rank0) {                          /* rank 0 evaluates; every rank stops alike */
            if (!es) model_predict(&m, &g, d, s->val, s->n_val, c->batch, scores);
            infer_time += now_seconds() - t1;
            infer_rows += s->n_val;
            gather_labels(d, s->val, s->n_val, labels);
            val_auc = metrics_auc(scores, labels, s->n_val);
        }
        if (dt) val_auc = dtrain_bcast(val_auc);
        if (c->on_epoch) c->on_epoch(c->on_epoch_ctx, ep, r->last_train_loss, val_auc, ep_time);
        if (c->verbose)
            printf("epoch %d: train loss %.5f  val auc %.5f  (%.2f s, %.0f samples/s)\n", ep,
                   r->last_train_loss, val_auc, ep_time, (double)s->n_train / ep_time);
        if (val_auc > best_val) {
            best_val = val_auc;
            r->best_epoch = ep;
            since_best = 0;
            if (ep < c->epochs) memcpy(best, m.ps.data, sizeof *best * m.ps.n_floats);
        } else if (++since_best >= c->patience) {
            if (c->verbose) printf("early stop: no val improvement for %d epochs\n", since_best);
            break;
        }
    }
    if (rc_dist) {
        free(order); free(scores); free(labels); free(best);
        if (es) es_free(es);
        dtrain_free(dt);
        graph_free(&g);
        model_free(&m);
        return -1;
    }
    if (r->best_epoch != r->epochs_run) memcpy(m.ps.data, best, sizeof *best * m.ps.n_floats);
    if (dt) {
        r->dist_ranks = dt->size;
        r->dist_bytes_per_step = dtrain_traffic(dt, &r->dist_dense_bytes, &r->dist_sparse_bytes);
        dtrain_free(dt);
    }
    r->val_auc = best_val;
    if (c->profile && rank0) prof_report(stderr, prof_steps);
    r->train_seconds = train_time;
    r->sec_per_epoch = train_time / r->epochs_run;
    r->train_samples_per_s = (double)s->n_train * r->epochs_run / train_time;
    r->test_auc = r->test_logloss = NAN;
    double t2 = now_seconds();
    int rc_es = es ? es_predict(es, &g, d, s->test, s->n_test, c->batch, scores, err, errlen) : 0;
    if (es) {
        r->dist_sparse_bytes = es->steps ? es->bytes / (double)es->steps : 0;
        r->dist_bytes_per_step += r->dist_sparse_bytes;
        r->emb_bytes_here = (double)m.emb->size * 4.0 * sizeof(float);
        es_free(es);
    }
    if (!rank0 || rc_es) {                    /* the other ranks of a data-parallel run */
        free(order); free(scores); free(labels); free(best);
        graph_free(&g);
        model_free(&m);
        return rc_es ? -1 : 0;
    }
    if (!es) model_predict(&m, &g, d, s->test, s->n_test, c->batch, scores);
    infer_time += now_seconds() - t2;
    infer_rows += s->n_test;
    gather_labels(d, s->test, s->n_test, labels);
    if (c->test_scores) memcpy(c->test_scores, scores, sizeof *scores * (size_t)s->n_test);
    r->test_auc = metrics_auc(scores, labels, s->n_test);
    r->test_logloss = metrics_logloss(scores, labels, s->n_test);
    if (d->user_field >= 0 && !d->fields[d->user_field].multi) {
        int32_t *users = malloc(sizeof *users * (size_t)s->n_test);
        if (users) {
            for (int i = 0; i < s->n_test; i++) users[i] = d->fields[d->user_field].ids[s->test[i]];
            r->test_gauc = metrics_gauc_cov(scores, labels, users, s->n_test, &r->gauc_users, &r->gauc_rows);
            free(users);
        }
    }
    if (d->prob) {
        for (int i = 0; i < s->n_test; i++) scores[i] = d->prob[s->test[i]];
        r->oracle_auc = metrics_auc(scores, labels, s->n_test);
    }
    r->infer_samples_per_s = infer_time > 0 ? (double)infer_rows / infer_time : 0;
    r->peak_rss_bytes = peak_rss_bytes();
    int rc = 0;
    if (c->on_trained && c->on_trained(c->on_trained_ctx, &m, r, err, errlen)) rc = -1;

    free(order); free(scores); free(labels); free(best);
    if (mb) mb_free(mb);
    free(mb);
    graph_free(&g);
    model_free(&m);
    return rc;
}
