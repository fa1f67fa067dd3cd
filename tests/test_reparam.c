/* APG weight forms: v2 == v3 (same maths, different order), v1 and v5 from a self-wise
 * linear G in one op (forward_gen, t_genmv) == G's linear then the form, the over-parameterised
 * forms collapse exactly, parameter counts follow the paper's Tables 2 and 5, and the
 * scaled initialisation gives a layer the scale of a Glorot-initialised W. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ops.h"
#include "reparam.h"

enum { B = 5, N = 7, M = 6, K = 3, P = 4 };
static int fx_k = K, fx_p = P;   /* the rank and inner size build() uses */

struct fixture {
    struct param_store ps;
    struct reparam_layer l;
    struct tensor *x, *gen;
};

/* Declares form f's factors plus x (B,M) and gen (B, gen_size) as parameters (so they
 * get gradients), all random. */
static void build(struct fixture *fx, const char *form, uint64_t seed, int dims_n, int dims_m)
{
    memset(fx, 0, sizeof *fx);
    params_init(&fx->ps);
    fx->l.form = reparam_find(form);
    assert_non_null(fx->l.form);
    fx->l.dims = (struct reparam_dims){ .N = dims_n, .M = dims_m, .K = fx_k, .P = fx_p };
    fx->l.form->init(&fx->l, &fx->ps, "L", 0);
    fx->x = param_new(&fx->ps, "x", 2, (int[]){ B, dims_m }, INIT_UNIFORM, 1.0f, 0);
    fx->gen = param_new(&fx->ps, "gen", 2, (int[]){ B, fx->l.form->gen_size(&fx->l.dims) },
                        INIT_UNIFORM, 1.0f, 0);
    struct rng r;
    rng_seed(&r, seed);
    params_alloc(&fx->ps, &r);
}

/* y = form(x, gen); loss = sum(y * w) with fixed w; returns y (B,N) copied to out. */
static void run(struct fixture *fx, struct graph *g, float *out)
{
    graph_reset(g);
    params_zero_grad(&fx->ps);
    struct tensor *y = fx->l.form->forward(&fx->l, g, fx->x, fx->gen);
    assert_int_equal(y->shape[0], B);
    assert_int_equal(y->shape[1], fx->l.dims.N);
    struct tensor *w = graph_input(g, NULL, 2, y->shape);
    for (int i = 0; i < w->size; i++) w->data[i] = 0.1f * (float)((i * 7) % 11) - 0.5f;
    struct tensor *loss = t_sum(g, t_reshape2(g, t_mul(g, y, w), 1, y->size), 1);
    graph_backward(g, loss);
    memcpy(out, y->data, sizeof(float) * (size_t)y->size);
}

static void assert_close(const float *a, const float *b, int n, double tol)
{
    for (int i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]), s = fabs((double)a[i]) + fabs((double)b[i]) + 1e-3;
        if (d / s > tol) fail_msg("element %d: %.8g vs %.8g", i, a[i], b[i]);
    }
}

static void test_v2_equals_v3(void **state)
{
    (void)state;
    struct fixture a, b;
    build(&a, "v2", 11, N, M);
    build(&b, "v3", 11, N, M);   /* same layout (U, V, x, gen), same seed: same values */
    assert_memory_equal(a.ps.data, b.ps.data, sizeof(float) * a.ps.n_floats);
    struct graph g;
    graph_init(&g, 1 << 20);
    float ya[B * N], yb[B * N];
    run(&a, &g, ya);
    run(&b, &g, yb);
    assert_close(ya, yb, B * N, 1e-5);
    for (int i = 0; i < a.ps.n; i++)   /* dU, dV, dx, dS_i */
        assert_close(a.ps.list[i]->grad, b.ps.list[i]->grad, a.ps.list[i]->size, 1e-4);
    graph_free(&g);
    params_free(&a.ps);
    params_free(&b.ps);
}

/* forward_gen (v1, v5): W_i x from G (N*M, M) and b in one op (t_genmv) equals the form on
 * gen = x G^T + b as its own linear node: outputs and the gradients of x, G, b and the
 * factors, with rows past a block of the op's backward (256) and gen columns past one (512). */
static void test_forward_gen_equals_linear_then_form(void **state)
{
    (void)state;
    enum { RB = 300, NB = 12, MB = 50 };
    const char *forms[] = { "v1", "v5" };
    struct graph g;
    graph_init(&g, 1 << 24);
    for (int t = 0; t < 2; t++) {
        struct param_store ps[2];
        struct reparam_layer l[2];
        struct tensor *x[2], *gw[2], *gb[2];
        float *y[2];
        for (int v = 0; v < 2; v++) {
            memset(&l[v], 0, sizeof l[v]);
            params_init(&ps[v]);
            l[v].form = reparam_find(forms[t]);
            l[v].dims = (struct reparam_dims){ .N = NB, .M = MB, .K = K, .P = P };
            l[v].form->init(&l[v], &ps[v], "L", 0);
            x[v] = param_new(&ps[v], "x", 2, (int[]){ RB, MB }, INIT_UNIFORM, 1.0f, 0);
            gw[v] = param_new(&ps[v], "G", 2, (int[]){ NB * MB, MB }, INIT_UNIFORM, 0.2f, 0);
            gb[v] = param_new(&ps[v], "b", 1, (int[]){ NB * MB }, INIT_UNIFORM, 1.0f, 0);
            struct rng r;
            rng_seed(&r, 17);
            params_alloc(&ps[v], &r);
            params_zero_grad(&ps[v]);
            graph_reset(&g);
            assert_non_null(l[v].form->forward_gen);
            struct tensor *out = v ? l[v].form->forward_gen(&l[v], &g, x[v], gw[v], gb[v])
                                   : l[v].form->forward(&l[v], &g, x[v], t_linear(&g, x[v], gw[v], gb[v]));
            struct tensor *w = graph_input(&g, NULL, 2, out->shape);
            for (int i = 0; i < w->size; i++) w->data[i] = 0.1f * (float)((i * 7) % 11) - 0.5f;
            graph_backward(&g, t_sum(&g, t_reshape2(&g, t_mul(&g, out, w), 1, out->size), 1));
            y[v] = malloc(sizeof(float) * (size_t)out->size);
            memcpy(y[v], out->data, sizeof(float) * (size_t)out->size);
        }
        assert_close(y[0], y[1], RB * NB, 1e-4);
        assert_int_equal(ps[0].n, ps[1].n);
        for (int i = 0; i < ps[0].n; i++)   /* factors, dx, dG, db */
            assert_close(ps[0].list[i]->grad, ps[1].list[i]->grad, ps[0].list[i]->size, 1e-3);
        for (int v = 0; v < 2; v++) {
            free(y[v]);
            params_free(&ps[v]);
        }
    }
    graph_free(&g);
}

/* v6..v8 forward equals v3 with U, V = the collapsed chains. */
static void test_collapse_exact(void **state)
{
    (void)state;
    const char *forms[] = { "v6", "v7", "v8" };
    struct graph g;
    graph_init(&g, 1 << 20);
    for (int t = 0; t < 3; t++) {
        struct fixture a, b;
        build(&a, forms[t], 5 + t, N, M);
        assert_string_equal(a.l.form->collapse_to, "v3");
        build(&b, "v3", 99, N, M);
        a.l.form->collapse(&a.l, &b.l);
        memcpy(b.x->data, a.x->data, sizeof(float) * (size_t)a.x->size);
        memcpy(b.gen->data, a.gen->data, sizeof(float) * (size_t)a.gen->size);
        float ya[B * N], yb[B * N];
        run(&a, &g, ya);
        run(&b, &g, yb);
        assert_close(ya, yb, B * N, 1e-5);
        params_free(&a.ps);
        params_free(&b.ps);
    }
    graph_free(&g);
}

/* Generated floats per instance (|Theta_i|) and shared floats (|Theta|) of the paper's
 * Table 5 (Table 2 for the generation cost), written out independently of the forms. */
static void test_parameter_counts(void **state)
{
    (void)state;
    struct { const char *name; long gen, shared; } want[] = {
        { "v1", N * M, 0 },
        { "v2", K * K, (N + M) * K },
        { "v3", K * K, (N + M) * K },
        { "v4", (N + M + K) * K, 0 },
        { "v5", N * M, N * N + M * M },
        { "v6", K * K, N * P + P * K + K * P + P * M },
        { "v7", K * K, N * P + P * P + P * K + K * P + P * P + P * M },
        { "v8", K * K, N * P + 2 * P * P + P * K + K * P + 2 * P * P + P * M },
    };
    assert_int_equal(reparam_count(), (int)(sizeof want / sizeof want[0]));
    for (int i = 0; i < reparam_count(); i++) {
        struct fixture fx;
        build(&fx, want[i].name, 1, N, M);
        long declared = 0;
        for (int j = 0; j < fx.l.n_f; j++) declared += fx.l.f[j]->size;
        if (declared != want[i].shared || fx.l.form->shared_size(&fx.l.dims) != want[i].shared ||
            fx.l.form->gen_size(&fx.l.dims) != want[i].gen)
            fail_msg("%s: shared %ld (declared %ld), generated %d; paper: %ld, %ld", want[i].name,
                     fx.l.form->shared_size(&fx.l.dims), declared, fx.l.form->gen_size(&fx.l.dims),
                     want[i].shared, want[i].gen);
        params_free(&fx.ps);
    }
}

static void test_check_rejects_bad_sizes(void **state)
{
    (void)state;
    char err[200];
    struct reparam_dims d = { .N = 4, .M = 6, .K = 0, .P = 8 };
    assert_int_equal(reparam_check(reparam_find("v3"), &d, err, sizeof err), -1);
    assert_non_null(strstr(err, "K >= 1"));
    assert_int_equal(reparam_check(reparam_find("v1"), &d, err, sizeof err), 0);   /* no K */
    /* the paper's sweeps: K above min(N, M) (Fig 7 "large K"), P below K ("small P") */
    d.K = 5;
    assert_int_equal(reparam_check(reparam_find("v3"), &d, err, sizeof err), 0);
    d.P = 2;
    assert_int_equal(reparam_check(reparam_find("v6"), &d, err, sizeof err), 0);
    d.P = 0;
    assert_int_equal(reparam_check(reparam_find("v6"), &d, err, sizeof err), -1);
    assert_non_null(strstr(err, "P >= 1"));
    assert_int_equal(reparam_check(reparam_find("v3"), &d, err, sizeof err), 0);   /* no P */
}

/* K > min(N, M) and P < K (the paper's Fig 7 sweeps): v2 still equals v3 and the
 * chains still collapse exactly. */
static void test_wide_k_narrow_p(void **state)
{
    fx_k = 9;
    fx_p = 2;
    test_v2_equals_v3(state);
    test_collapse_exact(state);
    fx_k = K;
    fx_p = P;
}

/* Scaled init with S_i = I: the output variance of U S V x (and of the chains) matches
 * a Glorot layer's, 2M/(N+M) var(x), within sampling error. */
static void test_scaled_init_matches_glorot_scale(void **state)
{
    (void)state;
    const char *forms[] = { "v3", "v6", "v7", "v8" };
    enum { BB = 256, NN = 128, MM = 96, KK = 8, PP = 64 };
    for (int t = 0; t < 4; t++) {
        double var = 0;
        int n = 0;
        for (int rep = 0; rep < 4; rep++) {
            struct param_store ps;
            struct reparam_layer l = { .form = reparam_find(forms[t]),
                                       .dims = { .N = NN, .M = MM, .K = KK, .P = PP } };
            params_init(&ps);
            l.form->init(&l, &ps, "L", 1);
            struct tensor *x = param_new(&ps, "x", 2, (int[]){ BB, MM }, INIT_NORMAL, 1.0f, 0);
            struct tensor *s = param_new(&ps, "s", 2, (int[]){ BB, KK * KK }, INIT_IDENTITY, 1.0f, 0);
            struct rng r;
            rng_seed(&r, 100 + rep);
            params_alloc(&ps, &r);
            struct graph g;
            graph_init(&g, 1 << 22);
            g.record = 0;
            struct tensor *y = l.form->forward(&l, &g, x, s);
            for (int i = 0; i < y->size; i++) var += (double)y->data[i] * y->data[i];
            n += y->size;
            graph_free(&g);
            params_free(&ps);
        }
        var /= n;
        double want = 2.0 * MM / (NN + MM);
        if (var < 0.7 * want || var > 1.3 * want)
            fail_msg("%s: output variance %.3f, Glorot layer %.3f", forms[t], var, want);
    }
}

/* v6-v8's chains step at 1/sqrt(P) under the scaled init (or --chain-lr); every other
 * form, and the plain init, at 1. */
static void test_chain_step_multiplier(void **state)
{
    (void)state;
    struct apg_cfg a;
    apg_cfg_default(&a);
    struct reparam_dims d = { .N = 64, .M = 32, .K = 4, .P = 64 };
    for (int i = 0; i < reparam_count(); i++) {
        const struct reparam_form *f = reparam_at(i);
        float want = f->collapse_to ? 0.125f : 1.0f;
        assert_true(fabsf(reparam_factor_lr(f, &d, &a) - want) < 1e-7f);
    }
    a.chain_lr = 0.5f;
    assert_true(reparam_factor_lr(reparam_find("v7"), &d, &a) == 0.5f);
    assert_true(reparam_factor_lr(reparam_find("v3"), &d, &a) == 1.0f);
    a.chain_lr = 0.0f;
    a.init = "plain";
    assert_true(reparam_factor_lr(reparam_find("v6"), &d, &a) == 1.0f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v2_equals_v3),
        cmocka_unit_test(test_forward_gen_equals_linear_then_form),
        cmocka_unit_test(test_collapse_exact),
        cmocka_unit_test(test_parameter_counts),
        cmocka_unit_test(test_check_rejects_bad_sizes),
        cmocka_unit_test(test_wide_k_narrow_p),
        cmocka_unit_test(test_scaled_init_matches_glorot_scale),
        cmocka_unit_test(test_chain_step_multiplier),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
