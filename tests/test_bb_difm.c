/* DIFM backbone (backbones/difm.c): forward shapes and a central-difference
 * gradient check of the BCE loss w.r.t. every parameter on a tiny model, base and
 * + APG v6 (self-wise); learning on 100k synthetic rows (test AUC near the oracle);
 * the golden reference of tests/golden/difm.py. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dataset.h"
#include "bb_testutil.h"
#include "golden.h"
#include "model.h"
#include "ops.h"
#include "train.h"

#define BB       "difm"
#define T_B      5
#define T_F      3
#define GC_H     1e-2
#define GC_RTOL  1e-2
#define GC_ATOL  1e-3
#define GC_CHECK 24      /* entries checked per parameter; larger ones are sampled */

/* A tiny model on 3 fields (cards 3, 4, 5), emb 4, hidden 6,5, one batch of 5 rows. */
struct fx {
    struct dataset d;
    int64_t base[T_F];
    int32_t rows[T_B];
    void *mem;
    struct batch b;
    struct model m;
    struct rng rng;
};

/* Sets the backbone option NAME (an int) through its option table. */
static void set_opt(struct model_cfg *c, const char *name, int v)
{
    for (const struct opt *o = backbone_find(BB)->opts; o->name; o++)
        if (strcmp(o->name, name) == 0) {
            memcpy(c->bb_cfg + o->offset, &v, sizeof v);
            return;
        }
    fail_msg("no option %s", name);
}

static void fx_cfg(struct model_cfg *c, const char *apg)
{
    model_cfg_default(c);
    backbone_cfg_default(backbone_find(BB), c);
    c->emb_dim = 4;
    c->n_hidden = 2;
    c->hidden[0] = 6;
    c->hidden[1] = 5;
    c->emb_init = 0.5f;
    c->apg.variant = apg;
    c->apg.condition = "self";
    c->apg.K = 2;
    c->apg.P = 3;
    set_opt(c, "difm-heads", 2);
}

static void fx_init(struct fx *x, const struct model_cfg *cfg)
{
    static const int card[T_F] = { 3, 4, 5 };
    static const int32_t ids[T_F][T_B] = { { 0, 1, 2, 1, 0 }, { 3, 0, 2, 1, 3 }, { 4, 2, 0, 3, 1 } };
    memset(x, 0, sizeof *x);
    dataset_init(&x->d, "tiny", T_B, T_F);
    for (int f = 0; f < T_F; f++) {
        snprintf(x->d.fields[f].name, sizeof x->d.fields[f].name, "f%d", f);
        x->d.fields[f].card = card[f];
        x->d.fields[f].ids = malloc(sizeof ids[f]);
        memcpy(x->d.fields[f].ids, ids[f], sizeof ids[f]);
    }
    for (int i = 0; i < T_B; i++) x->d.label[i] = (float)(i % 2);
    data_field_bases(&x->d, x->base);
    for (int i = 0; i < T_B; i++) x->rows[i] = i;
    x->mem = malloc(batch_bytes(&x->d, x->rows, T_B));
    batch_build(&x->b, &x->d, x->base, x->rows, T_B, x->mem);
    rng_seed(&x->rng, 7);
    char err[256] = "";
    int rc = model_init(&x->m, BB, cfg, &x->d, &x->rng, err, sizeof err);
    if (rc) fprintf(stderr, "model_init: %s\n", err);
    assert_int_equal(rc, 0);
    /* move zero-initialised values (biases, factors) off their special point */
    for (int i = 0; i < x->m.ps.n; i++) {
        struct tensor *p = x->m.ps.list[i];
        for (int j = 0; j < p->size; j++) p->data[j] += rng_uniform(&x->rng, -0.2f, 0.2f);
    }
}

static void fx_free(struct fx *x)
{
    model_free(&x->m);
    dataset_free(&x->d);
    free(x->mem);
}

static double fx_loss(struct fx *x, struct graph *g)
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

static void check_shapes_and_grads(const char *apg)
{
    struct model_cfg cfg;
    struct fx x;
    fx_cfg(&cfg, apg);
    fx_init(&x, &cfg);
    /* 2 heads of size 4/2 = 2: W_Q (H*d, E) = (4, 4); P_vec (F, F*H*d), P_bit (F, h_L) */
    struct tensor *wq = params_find(&x.m.ps, "difm.att.wq");
    assert_non_null(wq);
    assert_int_equal(wq->shape[0], 4);
    assert_int_equal(wq->shape[1], 4);
    assert_non_null(params_find(&x.m.ps, "difm.att.wres"));
    struct tensor *pv = params_find(&x.m.ps, "difm.p_vec"), *pb = params_find(&x.m.ps, "difm.p_bit");
    assert_non_null(pv);
    assert_non_null(pb);
    assert_int_equal(pv->shape[0], T_F);
    assert_int_equal(pv->shape[1], T_F * 4);
    assert_int_equal(pb->shape[0], T_F);
    assert_int_equal(pb->shape[1], 5);
    if (strcmp(apg, "none") != 0) assert_null(params_find(&x.m.ps, "difm.deep.0.w"));

    struct graph g;
    graph_init(&g, 1 << 22);
    struct tensor *lg = model_forward(&x.m, &g, &x.b);
    assert_int_equal(lg->ndim, 2);
    assert_int_equal(lg->shape[0], T_B);
    assert_int_equal(lg->shape[1], 1);
    struct tensor *loss = t_bce(&g, lg, x.b.label);
    params_zero_grad(&x.m.ps);
    graph_backward(&g, loss);
    float *an = malloc(sizeof(float) * x.m.ps.n_floats);
    memcpy(an, x.m.ps.grad, sizeof(float) * x.m.ps.n_floats);
    int bad = 0, checked = 0;
    for (int i = 0; i < x.m.ps.n; i++) {
        struct tensor *p = x.m.ps.list[i];
        int stride = p->size > GC_CHECK ? p->size / GC_CHECK : 1;
        for (int j = 0; j < p->size; j += stride) {
            double a = an[p->grad - x.m.ps.grad + j];
            float v = p->data[j], vp = v + (float)GC_H, vm = v - (float)GC_H;
            p->data[j] = vp;
            double fp = fx_loss(&x, &g);
            p->data[j] = vm;
            double fm = fx_loss(&x, &g);
            p->data[j] = v;
            double f0 = fx_loss(&x, &g);
            int ok = gc_ok((fp - fm) / ((double)vp - vm), a)   /* a ReLU kink within +-h: */
                  || gc_ok((fp - f0) / ((double)vp - v), a) || gc_ok((f0 - fm) / ((double)v - vm), a);
            if (!ok && bad++ < 6)
                fprintf(stderr, "gradcheck %s apg %s: %s[%d]: analytic %.6g, numeric %.6g\n", BB, apg,
                        p->name, j, a, (fp - fm) / ((double)vp - vm));
            checked++;
        }
    }
    printf("   %s apg %s: %d parameters, %d entries checked, %d bad\n", BB, apg, x.m.ps.n, checked, bad);
    assert_int_equal(bad, 0);
    free(an);
    graph_free(&g);
    fx_free(&x);
}

static void test_gradcheck_base(void **state) { (void)state; check_shapes_and_grads("none"); }
static void test_gradcheck_apg_v6(void **state) { (void)state; check_shapes_and_grads("v6"); }

static void test_bad_config(void **state)
{
    (void)state;
    struct model_cfg cfg;
    struct fx x;
    fx_cfg(&cfg, "none");
    set_opt(&cfg, "difm-heads", 3);     /* 3 heads do not divide emb 4 */
    memset(&x, 0, sizeof x);
    dataset_init(&x.d, "tiny", 1, 1);
    x.d.fields[0].card = 2;
    x.d.fields[0].ids = calloc(1, sizeof(int32_t));
    char err[256] = "";
    assert_int_not_equal(model_init(&x.m, BB, &cfg, &x.d, &x.rng, err, sizeof err), 0);
    assert_non_null(strstr(err, "difm-heads"));
    model_free(&x.m);
    dataset_free(&x.d);
}

static void test_golden(void **state)
{
    (void)state;
    assert_int_equal(golden_check_file(BB, "tests/golden/" BB ".golden", 1e-4), 0);
}

/* 100k synthetic rows, one epoch, 2 threads: test AUC within 0.06 of the oracle. */
static void learn(const char *apg) { bb_assert_learns(BB, apg); }

static void test_learns_base(void **state) { (void)state; learn("none"); }
static void test_learns_apg_v6(void **state) { (void)state; learn("v6"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradcheck_base),
        cmocka_unit_test(test_gradcheck_apg_v6),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_learns_base),
        cmocka_unit_test(test_learns_apg_v6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
