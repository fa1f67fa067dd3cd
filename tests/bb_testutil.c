#include "bb_testutil.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"
#include "dataset.h"
#include "train.h"

void bb_assert_learns(const char *backbone, const char *apg)
{
    struct data_opts o;
    struct dataset d;
    struct split s;
    char err[256];
    data_opts_default(&o);
    o.rows = 100000;
    assert_int_equal(dataset_load(&d, &o, err, sizeof err), 0);
    split_random(&s, &d, 0.8, 0.1, o.data_seed);
    struct train_cfg c;
    struct train_result r;
    train_cfg_default(&c);
    c.backbone = backbone;
    backbone_cfg_default(backbone_find(backbone), &c.model);
    c.model.apg.variant = apg;
    c.epochs = 1;
    c.threads = 2;
    int rc = train_run(&c, &d, &s, &r, err, sizeof err);
    if (rc) fprintf(stderr, "train: %s\n", err);
    assert_int_equal(rc, 0);
    printf("   %s apg %s: test auc %.5f (oracle %.5f), logloss %.5f, %.2f s/epoch\n", backbone, apg,
           r.test_auc, r.oracle_auc, r.test_logloss, r.sec_per_epoch);
    assert_true(r.test_auc > r.oracle_auc - 0.06);
    assert_true(r.test_auc <= r.oracle_auc + 0.01);
    split_free(&s);
    dataset_free(&d);
}

#define GC_H     1e-2
#define GC_RTOL  1e-2
#define GC_ATOL  1e-3
#define GC_CHECK 24      /* entries checked per parameter; larger ones are sampled */

void bb_set_opt(struct model_cfg *c, const char *backbone, const char *name, int v)
{
    for (const struct opt *o = backbone_find(backbone)->opts; o && o->name; o++)
        if (strcmp(o->name, name) == 0) {
            memcpy(c->bb_cfg + o->offset, &v, sizeof v);
            return;
        }
    fail_msg("no option %s", name);
}

void bb_tiny_cfg(struct model_cfg *c, const char *backbone, const char *apg)
{
    model_cfg_default(c);
    backbone_cfg_default(backbone_find(backbone), c);
    c->emb_dim = 4;
    c->n_hidden = 2;
    c->hidden[0] = 6;
    c->hidden[1] = 5;
    c->emb_init = 0.5f;
    c->apg.variant = apg;
    c->apg.condition = "self";
    c->apg.K = 2;
    c->apg.P = 3;
}

void bb_fx_init(struct bb_fx *x, const char *backbone, const struct model_cfg *cfg)
{
    static const int card[BB_T_F] = { 3, 4, 5 };
    static const int32_t ids[BB_T_F][BB_T_B] = { { 0, 1, 2, 1, 0 }, { 3, 0, 2, 1, 3 }, { 4, 2, 0, 3, 1 } };
    memset(x, 0, sizeof *x);
    dataset_init(&x->d, "tiny", BB_T_B, BB_T_F);
    for (int f = 0; f < BB_T_F; f++) {
        snprintf(x->d.fields[f].name, sizeof x->d.fields[f].name, "f%d", f);
        x->d.fields[f].card = card[f];
        x->d.fields[f].ids = malloc(sizeof ids[f]);
        memcpy(x->d.fields[f].ids, ids[f], sizeof ids[f]);
    }
    for (int i = 0; i < BB_T_B; i++) x->d.label[i] = (float)(i % 2);
    data_field_bases(&x->d, x->base);
    for (int i = 0; i < BB_T_B; i++) x->rows[i] = i;
    x->mem = malloc(batch_bytes(&x->d, x->rows, BB_T_B));
    batch_build(&x->b, &x->d, x->base, x->rows, BB_T_B, x->mem);
    rng_seed(&x->rng, 7);
    char err[256] = "";
    int rc = model_init(&x->m, backbone, cfg, &x->d, &x->rng, err, sizeof err);
    if (rc) fprintf(stderr, "model_init: %s\n", err);
    assert_int_equal(rc, 0);
    /* move zero-initialised values (biases, factors) off their special point */
    for (int i = 0; i < x->m.ps.n; i++) {
        struct tensor *p = x->m.ps.list[i];
        for (int j = 0; j < p->size; j++) p->data[j] += rng_uniform(&x->rng, -0.2f, 0.2f);
    }
}

void bb_fx_free(struct bb_fx *x)
{
    model_free(&x->m);
    dataset_free(&x->d);
    free(x->mem);
}

static double fx_loss(struct bb_fx *x, struct graph *g)
{
    graph_reset(g);
    g->record = 0;
    double l = t_bce(g, model_forward(&x->m, g, &x->b), x->b.label)->data[0];
    g->record = 1;
    return l;
}

static int gc_ok(double num, double an)
{
    return fabs(num - an) <= GC_ATOL + GC_RTOL * fmax(fabs(num), fabs(an));
}

void bb_assert_gradcheck(struct bb_fx *x, const char *label)
{
    struct graph g;
    graph_init(&g, 1 << 22);
    struct tensor *lg = model_forward(&x->m, &g, &x->b);
    assert_int_equal(lg->ndim, 2);
    assert_int_equal(lg->shape[0], BB_T_B);
    assert_int_equal(lg->shape[1], 1);
    struct tensor *loss = t_bce(&g, lg, x->b.label);
    params_zero_grad(&x->m.ps);
    graph_backward(&g, loss);
    float *an = malloc(sizeof(float) * x->m.ps.n_floats);
    memcpy(an, x->m.ps.grad, sizeof(float) * x->m.ps.n_floats);
    int bad = 0, checked = 0;
    for (int i = 0; i < x->m.ps.n; i++) {
        struct tensor *p = x->m.ps.list[i];
        int stride = p->size > GC_CHECK ? p->size / GC_CHECK : 1;
        for (int j = 0; j < p->size; j += stride) {
            double a = an[p->grad - x->m.ps.grad + j];
            float v = p->data[j], vp = v + (float)GC_H, vm = v - (float)GC_H;
            p->data[j] = vp;
            double fp = fx_loss(x, &g);
            p->data[j] = vm;
            double fm = fx_loss(x, &g);
            p->data[j] = v;
            double f0 = fx_loss(x, &g);
            int ok = gc_ok((fp - fm) / ((double)vp - vm), a)   /* a ReLU kink within +-h: */
                  || gc_ok((fp - f0) / ((double)vp - v), a) || gc_ok((f0 - fm) / ((double)v - vm), a);
            if (!ok && bad++ < 6)
                fprintf(stderr, "gradcheck %s: %s[%d]: analytic %.6g, numeric %.6g\n", label,
                        p->name, j, a, (fp - fm) / ((double)vp - vm));
            checked++;
        }
    }
    printf("   %s: %d parameters, %d entries checked, %d bad\n", label, x->m.ps.n, checked, bad);
    assert_int_equal(bad, 0);
    free(an);
    graph_free(&g);
}
