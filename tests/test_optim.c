/* Adam against hand-computed values, lazy row-sparse updates of embedding tables, and the
 * slices of dense tensors the threads update (no cache line shared between two). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "ops.h"
#include "optim.h"
#include "threads.h"
#include "rng.h"
#include "params.h"

/* Textbook Adam (Kingma & Ba, Algorithm 1) in double, independent of the folded form
 * used by adam_step. */
static double ref_adam(double p, const double *g, int steps, double lr)
{
    double m = 0, v = 0, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    for (int t = 1; t <= steps; t++) {
        m = b1 * m + (1 - b1) * g[t - 1];
        v = b2 * v + (1 - b2) * g[t - 1] * g[t - 1];
        double mh = m / (1 - pow(b1, t)), vh = v / (1 - pow(b2, t));
        p -= lr * mh / (sqrt(vh) + eps);
    }
    return p;
}

static void test_adam_matches_hand_computation(void **state)
{
    (void)state;
    struct param_store ps;
    struct rng rng;
    rng_seed(&rng, 1);
    params_init(&ps);
    struct tensor *w = param_new(&ps, "w", 1, (int[]){ 2 }, INIT_CONST, 0.0f, 0);
    params_alloc(&ps, &rng);
    w->data[0] = 1.0f;
    w->data[1] = -2.0f;
    struct adam opt;
    adam_init(&opt, 0.1f);
    const double g0[3] = { 0.5, 0.5, -0.3 }, g1[3] = { -0.1, 0.2, 0.05 };
    for (int t = 0; t < 3; t++) {
        w->grad[0] = (float)g0[t];
        w->grad[1] = (float)g1[t];
        adam_step(&opt, &ps);
        assert_true(w->grad[0] == 0.0f && w->grad[1] == 0.0f);   /* grads zeroed */
    }
    /* Step 1 by hand: m/(1-b1) = g, v/(1-b2) = g^2, so p moves by lr * sign(g). */
    assert_true(fabs(ref_adam(1.0, g0, 1, 0.1) - 0.9) < 1e-7);
    assert_true(fabs(w->data[0] - ref_adam(1.0, g0, 3, 0.1)) < 1e-5);
    assert_true(fabs(w->data[1] - ref_adam(-2.0, g1, 3, 0.1)) < 1e-5);
    params_free(&ps);
}

static void test_adam_l2(void **state)
{
    (void)state;
    struct param_store ps;
    struct rng rng;
    rng_seed(&rng, 1);
    params_init(&ps);
    struct tensor *w = param_new(&ps, "w", 1, (int[]){ 1 }, INIT_CONST, 2.0f, 0);
    params_alloc(&ps, &rng);
    struct adam opt;
    adam_init(&opt, 0.01f);
    opt.l2 = 0.5f;
    w->grad[0] = 0.25f;   /* effective gradient 0.25 + 0.5 * 2 = 1.25 */
    adam_step(&opt, &ps);
    double g = 1.25;
    assert_true(fabs(w->data[0] - ref_adam(2.0, &g, 1, 0.01)) < 1e-6);
    params_free(&ps);
}

/* A parameter's lr_scale multiplies its step: at step 1 Adam moves by lr * sign(g). */
static void test_adam_lr_scale(void **state)
{
    (void)state;
    struct param_store ps;
    struct rng rng;
    rng_seed(&rng, 1);
    params_init(&ps);
    struct tensor *a = param_new(&ps, "a", 1, (int[]){ 1 }, INIT_CONST, 1.0f, 0);
    struct tensor *b = param_new(&ps, "b", 1, (int[]){ 1 }, INIT_CONST, 1.0f, 0);
    params_alloc(&ps, &rng);
    assert_true(a->lr_scale == 1.0f);
    b->lr_scale = 0.25f;
    struct adam opt;
    adam_init(&opt, 0.1f);
    a->grad[0] = b->grad[0] = 0.3f;
    adam_step(&opt, &ps);
    assert_true(fabs(a->data[0] - 0.9) < 1e-6);
    assert_true(fabs(b->data[0] - 0.975) < 1e-6);
    params_free(&ps);
}

/* Only the rows a step gathered move; the others keep values and moments. */
static void test_lazy_embedding_update(void **state)
{
    (void)state;
    struct param_store ps;
    struct rng rng;
    rng_seed(&rng, 7);
    params_init(&ps);
    struct tensor *tab = param_new(&ps, "emb", 2, (int[]){ 6, 3 }, INIT_NORMAL, 0.1f, 1);
    params_alloc(&ps, &rng);
    float before[18];
    memcpy(before, tab->data, sizeof before);
    struct graph g;
    graph_init(&g, 1 << 16);
    struct adam opt;
    adam_init(&opt, 0.05f);

    int32_t ids1[4] = { 1, 3, 3, 1 };
    struct tensor *e = t_gather(&g, tab, ids1, 2, 2);
    struct tensor *loss = t_sum(&g, t_reshape2(&g, e, 1, 12), 1);
    graph_backward(&g, loss);
    assert_int_equal(tab->sparse->n, 2);
    adam_step(&opt, &ps);
    assert_int_equal(tab->sparse->n, 0);
    size_t off = (size_t)(tab->data - ps.data);
    for (int r = 0; r < 6; r++)
        for (int c = 0; c < 3; c++) {
            int i = r * 3 + c, touched = (r == 1 || r == 3);
            if (touched) {
                assert_true(tab->data[i] != before[i]);
                assert_true(ps.m[off + i] != 0.0f);
            } else {
                assert_true(tab->data[i] == before[i]);
                assert_true(ps.m[off + i] == 0.0f && ps.v[off + i] == 0.0f);
            }
        }
    /* Step 2 touches row 1 only: row 3 keeps its value and moments from step 1. */
    float row3[3], m3[3], v3[3];
    memcpy(row3, tab->data + 9, sizeof row3);
    memcpy(m3, ps.m + off + 9, sizeof m3);
    memcpy(v3, ps.v + off + 9, sizeof v3);
    graph_reset(&g);
    int32_t ids2[1] = { 1 };
    e = t_gather(&g, tab, ids2, 1, 1);
    graph_backward(&g, t_sum(&g, t_reshape2(&g, e, 1, 3), 1));
    adam_step(&opt, &ps);
    assert_memory_equal(row3, tab->data + 9, sizeof row3);
    assert_memory_equal(m3, ps.m + off + 9, sizeof m3);
    assert_memory_equal(v3, ps.v + off + 9, sizeof v3);
    graph_free(&g);
    params_free(&ps);
}

/* Textbook lazy Adam of one value with the L2 rule of core/optim.h: touched[t-1] says
 * whether the value's row appears at step t (gradient g[t-1]); at such a step the
 * gradient is g + l2 k p, k = steps since the row's previous update (k_mul = 0 replaces
 * k by 1: the frequency-weighted rule, for the test's own sensitivity check). */
static double ref_lazy_l2(double p, const double *g, const int *touched, int steps, double lr, double l2,
                          int k_mul)
{
    double m = 0, v = 0, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    int last = 0;
    for (int t = 1; t <= steps; t++) {
        if (!touched[t - 1]) continue;
        double gi = g[t - 1] + l2 * (k_mul ? t - last : 1) * p;
        last = t;
        m = b1 * m + (1 - b1) * gi;
        v = b2 * v + (1 - b2) * gi * gi;
        double mh = m / (1 - pow(b1, t)), vh = v / (1 - pow(b2, t));
        p -= lr * mh / (sqrt(vh) + eps);
    }
    return p;
}

/* L2 on embedding rows: a row unseen for 3 steps takes the penalty of the steps it
 * missed when it next appears (l2 k p, k = 4), a row seen every step l2 p each step, a
 * row first seen at step 3 the penalty of steps 1-3, a row never seen does not move. */
static void test_lazy_l2_catches_up(void **state)
{
    (void)state;
    struct param_store ps;
    struct rng rng;
    rng_seed(&rng, 1);
    params_init(&ps);
    struct tensor *tab = param_new(&ps, "emb", 2, (int[]){ 4, 2 }, INIT_CONST, 0.0f, 1);
    params_alloc(&ps, &rng);
    const float p0[4][2] = { { 0.5f, -0.25f }, { 1.0f, -2.0f }, { -1.5f, 0.75f }, { 2.0f, 1.0f } };
    memcpy(tab->data, p0, sizeof p0);
    enum { STEPS = 6 };
    /* rows 0 (never), 1 (steps 1, 5, 6), 2 (every step), 3 (from step 3 on) */
    static const int touched[4][STEPS] = {
        { 0, 0, 0, 0, 0, 0 }, { 1, 0, 0, 0, 1, 1 }, { 1, 1, 1, 1, 1, 1 }, { 0, 0, 1, 1, 0, 1 },
    };
    double g[4][2][STEPS];
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 2; c++)
            for (int t = 0; t < STEPS; t++) g[r][c][t] = 0.05 * (1 + r + c) * (t % 2 ? -1 : 1);
    struct adam opt;
    adam_init(&opt, 0.01f);
    opt.l2 = 0.2f;
    for (int t = 0; t < STEPS; t++) {
        for (int r = 0; r < 4; r++) {
            if (!touched[r][t]) continue;
            for (int c = 0; c < 2; c++) tab->grad[r * 2 + c] = (float)g[r][c][t];
            tab->sparse->rows[tab->sparse->n++] = r;
            tab->sparse->mark[r] = 1;
        }
        adam_step(&opt, &ps);
    }
    assert_memory_equal(tab->data, p0[0], sizeof p0[0]);          /* row 0 never seen */
    for (int r = 1; r < 4; r++)
        for (int c = 0; c < 2; c++) {
            double want = ref_lazy_l2(p0[r][c], g[r][c], touched[r], STEPS, 0.01, 0.2, 1);
            double freq = ref_lazy_l2(p0[r][c], g[r][c], touched[r], STEPS, 0.01, 0.2, 0);
            double got = tab->data[r * 2 + c];
            if (fabs(got - want) > 1e-6)
                fail_msg("row %d col %d: %.8f, the rule gives %.8f (frequency-weighted: %.8f)", r, c, got,
                         want, freq);
            if (r != 2) assert_true(fabs(want - freq) > 1e-4);       /* the rules differ here */
        }
    params_free(&ps);
}

/* The store of test_step_sum: two dense tensors (one at half the step) and two
 * embedding tables, one with fewer rows than adam_step_sum's row buckets. */
static void sum_store(struct param_store *ps)
{
    struct rng rng;
    rng_seed(&rng, 5);
    params_init(ps);
    param_new(ps, "w", 2, (int[]){ 37, 5 }, INIT_NORMAL, 0.3f, 0);
    struct tensor *b = param_new(ps, "b", 1, (int[]){ 3 }, INIT_NORMAL, 0.3f, 0);
    param_new(ps, "emb", 2, (int[]){ 50, 4 }, INIT_NORMAL, 0.3f, 1);
    param_new(ps, "tiny", 2, (int[]){ 3, 2 }, INIT_NORMAL, 0.3f, 1);
    b->lr_scale = 0.5f;
    params_alloc(ps, &rng);
}

/* A replica's gradient of one step into t (rows touched at random, overlapping between
 * replicas; first-touch order) */
static void sum_fill(struct tensor *t, struct rng *rng)
{
    if (!t->sparse) {
        for (int e = 0; e < t->size; e++) t->grad[e] = (float)rng_normal(rng);
        return;
    }
    int rows = tensor_rows(t), cols = tensor_cols(t);
    for (int q = 0; q < rows / 2 + 1; q++) {
        int row = (int)rng_uniform(rng, 0.0f, (float)rows);
        if (row >= rows) row = rows - 1;
        for (int c = 0; c < cols; c++) t->grad[row * cols + c] += (float)rng_normal(rng);
        if (!t->sparse->mark[row]) {
            t->sparse->mark[row] = 1;
            t->sparse->rows[t->sparse->n++] = row;
        }
    }
}

/* adam_step_sum against summing the replicas' gradients by hand, then adam_step: the
 * same bits of values and moments over several steps with L2 (every value's sum in
 * replica order), for 2 and 3 replicas at 1, 2 and 3 threads (2, 4 and 8 row buckets);
 * the replicas' gradients zeroed and their rows cleared. */
static void test_step_sum(void **state)
{
    (void)state;
    enum { RMAX = 3, STEPS = 4 };
    for (int run = 0; run < 6; run++) {
        int R = 2 + run / 3, threads = 1 + run % 3;   /* 2 replicas (one fused pass) and 3 */
        apg_set_threads(threads);
        struct param_store a, b, rep[RMAX];
        struct param_store *reps[RMAX];
        sum_store(&a);
        sum_store(&b);
        for (int r = 0; r < R; r++) {
            sum_store(&rep[r]);
            assert_int_equal(params_share(&rep[r], &b), 0);
            reps[r] = &rep[r];
        }
        struct adam oa, ob;
        adam_init(&oa, 0.01f);
        adam_init(&ob, 0.01f);
        oa.l2 = ob.l2 = 0.05f;
        struct rng rng;
        rng_seed(&rng, 11);
        for (int step = 0; step < STEPS; step++) {
            for (int r = 0; r < R; r++)
                for (int i = 0; i < a.n; i++) sum_fill(rep[r].list[i], &rng);
            for (int i = 0; i < a.n; i++) {          /* the sum by hand into a */
                struct tensor *t = a.list[i];
                for (int r = 0; r < R; r++) {
                    const struct tensor *u = rep[r].list[i];
                    if (!t->sparse) {
                        for (int e = 0; e < t->size; e++) t->grad[e] += u->grad[e];
                        continue;
                    }
                    int cols = tensor_cols(t);
                    for (int j = 0; j < u->sparse->n; j++) {
                        int row = u->sparse->rows[j];
                        for (int c = 0; c < cols; c++) t->grad[row * cols + c] += u->grad[row * cols + c];
                        if (!t->sparse->mark[row]) {
                            t->sparse->mark[row] = 1;
                            t->sparse->rows[t->sparse->n++] = row;
                        }
                    }
                }
            }
            adam_step(&oa, &a);
            adam_step_sum(&ob, &b, reps, R);
            assert_memory_equal(a.data, b.data, sizeof(float) * a.n_floats);
            assert_memory_equal(a.m, b.m, sizeof(float) * a.n_floats);
            assert_memory_equal(a.v, b.v, sizeof(float) * a.n_floats);
            for (int i = 0; i < a.n; i++) {
                if (b.list[i]->sparse) assert_int_equal(b.list[i]->sparse->n, 0);
                for (int e = 0; e < b.list[i]->size; e++) assert_true(b.list[i]->grad[e] == 0.0f);
                for (int r = 0; r < R; r++) {
                    const struct tensor *u = rep[r].list[i];
                    for (int e = 0; e < u->size; e++) assert_true(u->grad[e] == 0.0f);
                    if (u->sparse) {
                        assert_int_equal(u->sparse->n, 0);
                        for (int row = 0; row < tensor_rows(u); row++) assert_int_equal(u->sparse->mark[row], 0);
                        for (int row = 0; row < tensor_rows(u); row++) assert_int_equal(b.list[i]->sparse->mark[row], 0);
                    }
                }
            }
        }
        for (int r = 0; r < R; r++) params_free(&rep[r]);
        params_free(&a);
        params_free(&b);
    }
    apg_set_threads(1);
}

/* adam_dense_slice: for tensors of many sizes, the 16 slices partition each in order, and
 * a slice that ends inside a tensor ends on a 64-byte line of the slab (the next thread's
 * slice starts there), small ones (a 64-float bias: 4 floats a slice by plain division)
 * among them. */
static void test_dense_slices_share_no_line(void **state)
{
    (void)state;
    static const int sizes[] = { 1, 3, 15, 17, 64, 256, 896, 4095, 4096, 4097, 10000, 100003, 7 };
    enum { NS = (int)(sizeof sizes / sizeof sizes[0]) };
    struct param_store ps;
    struct rng rng;
    rng_seed(&rng, 3);
    params_init(&ps);
    for (int i = 0; i < NS; i++) {
        char nm[16];
        snprintf(nm, sizeof nm, "t%d", i);
        param_new(&ps, nm, 1, (int[]){ sizes[i] }, INIT_ZEROS, 0.0f, 0);
    }
    params_alloc(&ps, &rng);
    for (int i = 0; i < NS; i++) {
        long off = (long)(ps.list[i]->data - ps.data), at = 0;
        for (int k = 0; k < ADAM_TASKS; k++) {
            long k0, k1;
            adam_dense_slice(&ps, i, k, &k0, &k1);
            if (k1 <= k0) continue;
            assert_int_equal(k0, at);                        /* in order, no gap, no overlap */
            if (k1 < sizes[i]) assert_int_equal((off + k1) % 16, 0);
            at = k1;
        }
        assert_int_equal(at, sizes[i]);
    }
    params_free(&ps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adam_matches_hand_computation),
        cmocka_unit_test(test_adam_l2),
        cmocka_unit_test(test_adam_lr_scale),
        cmocka_unit_test(test_lazy_embedding_update),
        cmocka_unit_test(test_lazy_l2_catches_up),
        cmocka_unit_test(test_step_sum),
        cmocka_unit_test(test_dense_slices_share_no_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
