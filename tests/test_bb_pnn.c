/* PNN (backbones/pnn.c): parameter shapes and logits against a naive loop reference
 * of IPNN (z, <e_i,e_j>, MLP), a central-difference check of the loss gradient w.r.t.
 * every parameter on a tiny model with APG off and on (v6, K 2, P 3, self), and
 * learning: base and + APG v6 reach the oracle AUC within 0.06 on 100k synthetic rows. */
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
#include "ops.h"
#include "train.h"

#define T_B 4      /* rows */
#define T_F 3      /* fields */
#define T_E 4      /* embedding width */
#define GC_H     1e-2
#define GC_RTOL  2e-2
#define GC_ATOL  1e-4
#define GC_CHECK 40     /* elements checked per parameter; larger ones are sampled */

/* A tiny model (hidden 6,5) on a tiny dataset, one batch of all T_B rows. */
struct fx {
    struct dataset d;
    int32_t rows[T_B];
    void *mem;
    struct batch b;
    struct model m;
    struct graph g;
};

static void fx_dataset(struct dataset *d)
{
    static const char *const names[T_F] = { "user_id", "item_id", "category" };
    static const int32_t card[T_F] = { 5, 6, 4 };
    static const int32_t ids[T_F][T_B] = { { 1, 2, 1, 4 }, { 3, 1, 5, 2 }, { 2, 3, 2, 1 } };
    dataset_init(d, "tiny", T_B, T_F);
    for (int f = 0; f < T_F; f++) {
        snprintf(d->fields[f].name, sizeof d->fields[f].name, "%s", names[f]);
        d->fields[f].card = card[f];
        d->fields[f].ids = malloc(sizeof ids[f]);
        memcpy(d->fields[f].ids, ids[f], sizeof ids[f]);
    }
    for (int i = 0; i < T_B; i++) d->label[i] = (float)(i & 1);
}

static void fx_init(struct fx *x, const char *apg, uint64_t seed)
{
    memset(x, 0, sizeof *x);
    fx_dataset(&x->d);
    struct model_cfg cfg;
    model_cfg_default(&cfg);
    backbone_cfg_default(backbone_find("pnn"), &cfg);
    cfg.emb_dim = T_E;
    cfg.n_hidden = 2;
    cfg.hidden[0] = 6;
    cfg.hidden[1] = 5;
    cfg.emb_init = 0.5f;
    cfg.apg.variant = apg;
    cfg.apg.K = 2;
    cfg.apg.P = 3;
    cfg.apg.condition = "self";
    struct rng rng;
    rng_seed(&rng, seed);
    char err[256] = "";
    int rc = model_init(&x->m, "pnn", &cfg, &x->d, &rng, err, sizeof err);
    if (rc) print_error("model_init: %s\n", err);
    assert_int_equal(rc, 0);
    /* Move zero-initialised values (biases) off their special point. */
    for (int i = 0; i < x->m.ps.n; i++) {
        struct tensor *p = x->m.ps.list[i];
        for (int j = 0; j < p->size; j++) p->data[j] += rng_uniform(&rng, -0.2f, 0.2f);
    }
    for (int i = 0; i < T_B; i++) x->rows[i] = i;
    x->mem = malloc(batch_bytes(&x->d, x->rows, T_B));
    batch_build(&x->b, &x->d, x->m.base, x->rows, T_B, x->mem);
    graph_init(&x->g, 1 << 20);
}

static void fx_free(struct fx *x)
{
    graph_free(&x->g);
    model_free(&x->m);
    dataset_free(&x->d);
    free(x->mem);
}

/* Mean BCE of one unrecorded forward pass. */
static double fx_loss(struct fx *x)
{
    graph_reset(&x->g);
    x->g.record = 0;
    struct tensor *l = t_bce(&x->g, model_forward(&x->m, &x->g, &x->b), x->b.label);
    x->g.record = 1;
    return l->data[0];
}

static int gc_ok(double num, double an)
{
    return fabs(num - an) <= GC_ATOL + GC_RTOL * fmax(fabs(num), fabs(an));
}

/* d loss / d every parameter (sampled) against central differences, or a one-sided
 * difference where a ReLU kink lies within +-h. Returns the mismatches. */
static int gradcheck(const char *apg)
{
    struct fx x;
    fx_init(&x, apg, 7);
    graph_reset(&x.g);
    struct tensor *logits = model_forward(&x.m, &x.g, &x.b);
    assert_int_equal(logits->ndim, 2);
    assert_int_equal(logits->shape[0], T_B);
    assert_int_equal(logits->shape[1], 1);
    memset(x.m.ps.grad, 0, sizeof(float) * x.m.ps.n_floats);
    graph_backward(&x.g, t_bce(&x.g, logits, x.b.label));
    int bad = 0, checked = 0;
    for (int i = 0; i < x.m.ps.n; i++) {
        struct tensor *p = x.m.ps.list[i];
        int stride = p->size > GC_CHECK ? p->size / GC_CHECK : 1;
        for (int j = 0; j < p->size; j += stride) {
            double an = p->grad[j];
            float v = p->data[j], vp = v + (float)GC_H, vm = v - (float)GC_H;
            p->data[j] = vp;
            double fp = fx_loss(&x);
            p->data[j] = vm;
            double fm = fx_loss(&x);
            p->data[j] = v;
            double f0 = fx_loss(&x);
            double num = (fp - fm) / ((double)vp - vm);
            int ok = gc_ok(num, an) || gc_ok((fp - f0) / ((double)vp - v), an) ||
                     gc_ok((f0 - fm) / ((double)v - vm), an);
            if (!ok) {
                if (bad < 6)
                    fprintf(stderr, "gradcheck pnn apg %s: %s[%d]: analytic %.6g, numeric %.6g\n",
                            apg, p->name, j, an, num);
                bad++;
            }
            checked++;
        }
    }
    printf("   pnn apg %s: %d parameters, %d entries checked, %d mismatches\n", apg, x.m.ps.n, checked, bad);
    fx_free(&x);
    return bad;
}

static void assert_shape2(const struct model *m, const char *name, int d0, int d1)
{
    struct tensor *t = params_find(&m->ps, name);
    if (!t) fail_msg("parameter %s missing", name);
    assert_int_equal(t->ndim, 2);
    assert_int_equal(t->shape[0], d0);
    assert_int_equal(t->shape[1], d1);
}

/* The tower's input is [z (F*E), p (F(F-1)/2)]: 12 + 3 = 15. */
static void test_pnn_shapes(void **state)
{
    (void)state;
    struct fx x;
    fx_init(&x, "none", 1);
    assert_shape2(&x.m, "pnn.deep.0.w", 6, T_F * T_E + T_F * (T_F - 1) / 2);
    assert_shape2(&x.m, "pnn.deep.1.w", 5, 6);
    assert_shape2(&x.m, "pnn.out.w", 1, 5);
    assert_null(params_find(&x.m.ps, "pnn.wide"));
    fx_free(&x);
    fx_init(&x, "v6", 1);   /* the tower is generated, the output layer stays static */
    assert_null(params_find(&x.m.ps, "pnn.deep.0.w"));
    assert_non_null(params_find(&x.m.ps, "pnn.deep.0.b"));
    assert_shape2(&x.m, "pnn.out.w", 1, 5);
    fx_free(&x);
}

/* h (n_out) = act(W (n_out, n_in) x + b). */
static void ref_dense(const struct model *m, const char *name, const double *in, int n_in,
                      double *out, int n_out, int relu)
{
    char nm[64];
    snprintf(nm, sizeof nm, "%s.w", name);
    const struct tensor *w = params_find(&m->ps, nm);
    snprintf(nm, sizeof nm, "%s.b", name);
    const struct tensor *b = params_find(&m->ps, nm);
    assert_non_null(w);
    assert_non_null(b);
    assert_int_equal(w->shape[1], n_in);
    for (int o = 0; o < n_out; o++) {
        double acc = b->data[o];
        for (int k = 0; k < n_in; k++) acc += (double)w->data[o * n_in + k] * in[k];
        out[o] = relu && acc < 0 ? 0 : acc;
    }
}

/* The logits against loops over the equations of the header (base model). */
static void test_pnn_matches_reference(void **state)
{
    (void)state;
    struct fx x;
    fx_init(&x, "none", 3);
    graph_reset(&x.g);
    struct tensor *logits = model_forward(&x.m, &x.g, &x.b);
    const int n_in = T_F * T_E + T_F * (T_F - 1) / 2;
    for (int r = 0; r < T_B; r++) {
        double e[T_F][T_E], in[T_F * T_E + T_F * (T_F - 1) / 2], h1[6], h2[5], y;
        for (int f = 0; f < T_F; f++)
            for (int k = 0; k < T_E; k++)
                e[f][k] = x.m.emb->data[(x.m.base[f] + x.d.fields[f].ids[r]) * T_E + k];
        int n = 0;
        for (int f = 0; f < T_F; f++)
            for (int k = 0; k < T_E; k++) in[n++] = e[f][k];
        for (int i = 0; i < T_F; i++)
            for (int j = i + 1; j < T_F; j++) {
                double dot = 0;
                for (int k = 0; k < T_E; k++) dot += e[i][k] * e[j][k];
                in[n++] = dot;
            }
        assert_int_equal(n, n_in);
        ref_dense(&x.m, "pnn.deep.0", in, n_in, h1, 6, 1);
        ref_dense(&x.m, "pnn.deep.1", h1, 6, h2, 5, 1);
        ref_dense(&x.m, "pnn.out", h2, 5, &y, 1, 0);
        if (fabs(y - logits->data[r]) > 1e-5 * fmax(1.0, fabs(y)))
            fail_msg("row %d: logit %.7g, reference %.7g", r, (double)logits->data[r], y);
    }
    fx_free(&x);
}

static void test_pnn_gradcheck(void **state)
{
    (void)state;
    assert_int_equal(gradcheck("none"), 0);
}

static void test_pnn_apg_gradcheck(void **state)
{
    (void)state;
    assert_int_equal(gradcheck("v6"), 0);
}

/* ---- learning on synthetic data ---- */
static struct dataset data;
static struct split split;

static int learn_setup(void **state)
{
    (void)state;
    struct data_opts o;
    char err[256];
    data_opts_default(&o);
    o.rows = 100000;
    if (dataset_load(&data, &o, err, sizeof err)) {
        fprintf(stderr, "dataset: %s\n", err);
        return -1;
    }
    split_random(&split, &data, 0.8, 0.1, o.data_seed);
    return 0;
}

static int learn_teardown(void **state)
{
    (void)state;
    split_free(&split);
    dataset_free(&data);
    return 0;
}

static void learn(const char *apg)
{
    struct train_cfg c;
    struct train_result r;
    char err[256];
    train_cfg_default(&c);
    c.backbone = "pnn";
    backbone_cfg_default(backbone_find(c.backbone), &c.model);
    c.model.apg.variant = apg;
    c.epochs = 1;
    c.seed = 1;
    c.threads = 2;
    int rc = train_run(&c, &data, &split, &r, err, sizeof err);
    if (rc) fprintf(stderr, "train: %s\n", err);
    assert_int_equal(rc, 0);
    printf("   pnn apg %s: test auc %.5f (oracle %.5f), logloss %.5f, %.2f s/epoch\n", apg,
           r.test_auc, r.oracle_auc, r.test_logloss, r.sec_per_epoch);
    assert_false(isnan(r.oracle_auc));
    assert_true(r.test_auc > r.oracle_auc - 0.06);
    assert_true(r.test_auc <= r.oracle_auc + 0.01);
}

static void test_pnn_learns_synthetic(void **state)
{
    (void)state;
    learn("none");
}

static void test_pnn_apg_v6_learns_synthetic(void **state)
{
    (void)state;
    learn("v6");
}

int main(void)
{
    const struct CMUnitTest unit[] = {
        cmocka_unit_test(test_pnn_shapes),
        cmocka_unit_test(test_pnn_matches_reference),
        cmocka_unit_test(test_pnn_gradcheck),
        cmocka_unit_test(test_pnn_apg_gradcheck),
    };
    const struct CMUnitTest learning[] = {
        cmocka_unit_test(test_pnn_learns_synthetic),
        cmocka_unit_test(test_pnn_apg_v6_learns_synthetic),
    };
    int rc = cmocka_run_group_tests_name("pnn", unit, NULL, NULL);
    return rc | cmocka_run_group_tests_name("pnn learning", learning, learn_setup, learn_teardown);
}
