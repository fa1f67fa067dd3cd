/* Helpers for the tests of the per-domain baselines (MMoE, Star): a tiny dataset, a
 * central-difference gradient check of a whole model, the rows a domain table row
 * reaches, and a one-epoch training run. Include after <cmocka.h>. */
#ifndef APG_BB_DOMAIN_TESTUTIL_H
#define APG_BB_DOMAIN_TESTUTIL_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dataset.h"
#include "model.h"
#include "ops.h"
#include "rng.h"
#include "train.h"

#define DTU_B 10
#define DTU_F 3
static const char *const dtu_names[DTU_F] = { "user_id", "item_id", "genre" };
static const int32_t dtu_card[DTU_F] = { 6, 5, 4 };
/* rows x fields, local ids; item_id (the domain) takes values 1..4 */
static const int32_t dtu_ids[DTU_B][DTU_F] = {
    { 1, 1, 2 }, { 2, 2, 1 }, { 3, 1, 3 }, { 4, 3, 1 }, { 5, 2, 2 },
    { 1, 4, 3 }, { 2, 1, 1 }, { 3, 3, 2 }, { 4, 4, 3 }, { 5, 2, 1 },
};
static const int32_t dtu_rows[DTU_B] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };

static inline void dtu_data(struct dataset *d)
{
    dataset_init(d, "tiny", DTU_B, DTU_F);
    for (int f = 0; f < DTU_F; f++) {
        snprintf(d->fields[f].name, sizeof d->fields[f].name, "%s", dtu_names[f]);
        d->fields[f].card = dtu_card[f];
        d->fields[f].ids = malloc(sizeof(int32_t) * DTU_B);
        for (int i = 0; i < DTU_B; i++) d->fields[f].ids[i] = dtu_ids[i][f];
    }
    for (int i = 0; i < DTU_B; i++) d->label[i] = (float)(i % 3 == 0);
    d->user_field = 0;
    d->item_field = 1;
}

/* Tiny configuration: E = 3, hidden 5-4. */
static inline void dtu_cfg(struct model_cfg *c, const char *backbone, const char *apg)
{
    model_cfg_default(c);
    backbone_cfg_default(backbone_find(backbone), c);
    c->emb_dim = 3;
    c->n_hidden = 2;
    c->hidden[0] = 5;
    c->hidden[1] = 4;
    c->apg.variant = apg;
    c->apg.K = 2;
    c->apg.P = 3;
}

/* Every parameter += U(-0.4, 0.4), so embeddings and per-domain rows are not tiny/equal. */
static inline void dtu_perturb(struct model *m, uint64_t seed)
{
    struct rng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < m->ps.n_floats; i++) m->ps.data[i] += rng_uniform(&r, -0.4f, 0.4f);
}

struct dtu_batch { struct batch b; void *mem; };
static inline void dtu_batch(struct dtu_batch *tb, const struct model *m, const struct dataset *d)
{
    tb->mem = malloc(batch_bytes(d, dtu_rows, DTU_B));
    batch_build(&tb->b, d, m->base, dtu_rows, DTU_B, tb->mem);
}

/* Logits (B) into out; record = 0. */
static inline void dtu_logits(struct model *m, struct graph *g, const struct batch *b, float *out)
{
    graph_reset(g);
    g->record = 0;
    struct tensor *y = model_forward(m, g, b);
    assert_int_equal(y->ndim, 2);
    assert_int_equal(y->shape[0], DTU_B);
    assert_int_equal(y->shape[1], 1);
    memcpy(out, y->data, sizeof(float) * DTU_B);
    g->record = 1;
}

static inline double dtu_loss(struct model *m, struct graph *g, const struct batch *b)
{
    graph_reset(g);
    g->record = 0;
    double l = t_bce(g, model_forward(m, g, b), b->label)->data[0];
    g->record = 1;
    return l;
}

/* Central differences (h = 1e-3) on up to 40 elements of every parameter vs the
 * analytic gradient of the batch BCE. Returns the number of mismatches. */
static inline int dtu_gradcheck(struct model *m, const struct dataset *d)
{
    struct dtu_batch tb;
    struct graph g;
    dtu_batch(&tb, m, d);
    graph_init(&g, 1 << 16);
    params_zero_grad(&m->ps);
    graph_reset(&g);
    g.record = 1;
    struct tensor *loss = t_bce(&g, model_forward(m, &g, &tb.b), tb.b.label);
    graph_backward(&g, loss);
    int bad = 0, checked = 0;
    for (int i = 0; i < m->ps.n; i++) {
        struct tensor *p = m->ps.list[i];
        int stride = p->size > 40 ? p->size / 40 : 1;
        for (int j = 0; j < p->size; j += stride) {
            float v = p->data[j];
            const float h = 1e-3f;
            p->data[j] = v + h;
            double fp = dtu_loss(m, &g, &tb.b);
            p->data[j] = v - h;
            double fm = dtu_loss(m, &g, &tb.b);
            p->data[j] = v;
            double num = (fp - fm) / (2.0 * h), an = p->grad[j];
            checked++;
            if (fabs(num - an) > 2e-4 + 2e-2 * fmax(fabs(num), fabs(an))) {
                if (bad < 6) fprintf(stderr, "gradcheck %s[%d]: analytic %.6g numeric %.6g\n", p->name, j, an, num);
                bad++;
            }
        }
    }
    print_message("   gradcheck: %d elements of %d parameters, %d mismatches\n", checked, m->ps.n, bad);
    graph_free(&g);
    free(tb.mem);
    return bad;
}

/* Changes row dom of the per-domain table `name` (by 0.1 (1 + c mod 7) in column c: not
 * a constant, which a softmax would cancel) and returns the bit mask of the batch rows
 * whose logit changed; the row is then restored. */
static inline unsigned dtu_reach(struct model *m, const struct dataset *d, const char *name, int dom)
{
    struct tensor *t = params_find(&m->ps, name);
    assert_non_null(t);
    assert_int_equal(t->shape[0], dtu_card[1]);
    struct dtu_batch tb;
    struct graph g;
    float y0[DTU_B], y1[DTU_B];
    dtu_batch(&tb, m, d);
    graph_init(&g, 1 << 16);
    dtu_logits(m, &g, &tb.b, y0);
    int C = t->shape[1];
    float *row = t->data + (size_t)dom * C, *keep = malloc(sizeof(float) * (size_t)C);
    memcpy(keep, row, sizeof(float) * (size_t)C);
    for (int c = 0; c < C; c++) row[c] += 0.1f * (float)(1 + c % 7);
    dtu_logits(m, &g, &tb.b, y1);
    memcpy(row, keep, sizeof(float) * (size_t)C);
    free(keep);
    unsigned mask = 0;
    for (int i = 0; i < DTU_B; i++) if (y0[i] != y1[i]) mask |= 1u << i;
    graph_free(&g);
    free(tb.mem);
    return mask;
}

/* The rows of domain dom (item_id = dom) as a bit mask. */
static inline unsigned dtu_domain_mask(int dom)
{
    unsigned mask = 0;
    for (int i = 0; i < DTU_B; i++) if (dtu_ids[i][1] == dom) mask |= 1u << i;
    return mask;
}

/* Sum of the cardinalities: the rows of the shared embedding table. */
static inline size_t dtu_ids_total(void)
{
    size_t v = 0;
    for (int f = 0; f < DTU_F; f++) v += (size_t)dtu_card[f];
    return v;
}

/* 100,000 synthetic ml1m-like rows, split 0.8/0.1/0.1. */
static inline int dtu_synthetic(struct dataset *d, struct split *s)
{
    struct data_opts o;
    char err[256];
    data_opts_default(&o);
    o.rows = 100000;
    if (dataset_load(d, &o, err, sizeof err)) {
        fprintf(stderr, "dataset: %s\n", err);
        return -1;
    }
    split_random(s, d, 0.8, 0.1, o.data_seed);
    return 0;
}

/* One epoch, 2 threads, seed 1; asserts test AUC within 0.06 of the oracle. */
static inline struct train_result dtu_learn(const struct dataset *d, const struct split *s,
                                            const char *backbone, const char *apg)
{
    struct train_cfg c;
    struct train_result r;
    char err[256];
    train_cfg_default(&c);
    c.backbone = backbone;
    backbone_cfg_default(backbone_find(backbone), &c.model);
    c.model.apg.variant = apg;
    c.epochs = 1;
    c.threads = 2;
    int rc = train_run(&c, d, s, &r, err, sizeof err);
    if (rc) fprintf(stderr, "train: %s\n", err);
    assert_int_equal(rc, 0);
    print_message("   %s apg %s: test auc %.5f (oracle %.5f), logloss %.5f, %.2f s/epoch, %zu param bytes\n",
                  backbone, apg, r.test_auc, r.oracle_auc, r.test_logloss, r.sec_per_epoch, r.param_bytes);
    assert_true(r.test_auc > r.oracle_auc - 0.06);
    assert_true(r.test_auc <= r.oracle_auc + 0.01);
    return r;
}

#endif
