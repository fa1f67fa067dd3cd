/* Forward values of the non-GEMM ops on small hand-computed examples (the gradient check
 * only proves that backward matches forward; this pins down what forward computes):
 * broadcast modes, reductions per axis, softmax, bce, shape ops, embeddings, rowmv, lrmv. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "graph.h"
#include "ops.h"

static struct tensor *in(struct graph *g, int ndim, const int *shape, const float *vals)
{
    struct tensor *t = graph_input(g, NULL, ndim, shape);
    memcpy(t->data, vals, sizeof(float) * (size_t)t->size);
    return t;
}
#define IN2(g, d0, d1, ...) in(g, 2, (int[]){ d0, d1 }, (const float[]){ __VA_ARGS__ })
#define IN3(g, d0, d1, d2, ...) in(g, 3, (int[]){ d0, d1, d2 }, (const float[]){ __VA_ARGS__ })

/* t has the given shape and values (to 1e-6 relative). */
static void expect(const struct tensor *t, int ndim, const int *shape, const float *want)
{
    assert_int_equal(t->ndim, ndim);
    for (int i = 0; i < ndim; i++) assert_int_equal(t->shape[i], shape[i]);
    for (int i = 0; i < t->size; i++)
        if (!(fabsf(t->data[i] - want[i]) <= 1e-6f * (1.0f + fabsf(want[i]))))
            fail_msg("element %d: got %.9g, want %.9g", i, t->data[i], want[i]);
}
#define EXPECT(t, ndim, shape, ...) expect(t, ndim, (int[])shape, (const float[]){ __VA_ARGS__ })
#define S2(a, b) { a, b }
#define S3(a, b, c) { a, b, c }

static void test_broadcast_modes(void **state)
{
    (void)state;
    struct graph g;
    graph_init(&g, 1 << 16);
    struct tensor *a = IN2(&g, 2, 2, 1, 2, 3, 4);
    EXPECT(t_add(&g, a, IN2(&g, 2, 2, 10, 20, 30, 40)), 2, S2(2, 2), 11, 22, 33, 44);
    EXPECT(t_add(&g, a, in(&g, 1, (int[]){ 2 }, (const float[]){ 10, 20 })), 2, S2(2, 2), 11, 22, 13, 24);
    EXPECT(t_add(&g, a, IN2(&g, 1, 2, 10, 20)), 2, S2(2, 2), 11, 22, 13, 24);      /* row (1,C) */
    EXPECT(t_add(&g, a, IN2(&g, 2, 1, 10, 20)), 2, S2(2, 2), 11, 12, 23, 24);      /* column */
    EXPECT(t_sub(&g, a, IN2(&g, 2, 1, 10, 20)), 2, S2(2, 2), -9, -8, -17, -16);
    EXPECT(t_mul(&g, a, in(&g, 1, (int[]){ 2 }, (const float[]){ 10, 20 })), 2, S2(2, 2), 10, 40, 30, 80);
    EXPECT(t_mul(&g, a, IN2(&g, 2, 1, 10, 20)), 2, S2(2, 2), 10, 20, 60, 80);
    /* 3-D: rows are (B,F) flattened */
    struct tensor *x = IN3(&g, 2, 1, 3, 1, 2, 3, 4, 5, 6);
    EXPECT(t_add(&g, x, IN3(&g, 2, 1, 1, 100, 200)), 3, S3(2, 1, 3), 101, 102, 103, 204, 205, 206);
    EXPECT(t_sub(&g, x, in(&g, 1, (int[]){ 3 }, (const float[]){ 1, 2, 3 })), 3, S3(2, 1, 3), 0, 0, 0, 3, 3, 3);
    /* (B,1) + (1): the WDL bias */
    EXPECT(t_add(&g, IN2(&g, 3, 1, 1, 2, 3), in(&g, 1, (int[]){ 1 }, (const float[]){ 0.5f })), 2,
           S2(3, 1), 1.5f, 2.5f, 3.5f);
    graph_free(&g);
}

static void test_unary(void **state)
{
    (void)state;
    struct graph g;
    graph_init(&g, 1 << 16);
    struct tensor *a = IN2(&g, 1, 4, -2, -0.5f, 0, 3);
    EXPECT(t_scale(&g, a, -2), 2, S2(1, 4), 4, 1, 0, -6);
    EXPECT(t_relu(&g, a), 2, S2(1, 4), 0, 0, 0, 3);
    EXPECT(t_sigmoid(&g, a), 2, S2(1, 4), 0.119202922f, 0.377540669f, 0.5f, 0.952574127f);
    EXPECT(t_tanh(&g, a), 2, S2(1, 4), -0.964027580f, -0.462117157f, 0, 0.995054754f);
    EXPECT(t_sigmoid(&g, IN2(&g, 1, 2, -200, 200)), 2, S2(1, 2), 0, 1);   /* no NaN */
    graph_free(&g);
}

static void test_reductions(void **state)
{
    (void)state;
    struct graph g;
    graph_init(&g, 1 << 16);
    /* (2,2,3): [[1 2 3][4 5 6]], [[7 8 9][10 11 12]] */
    struct tensor *x = IN3(&g, 2, 2, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
    EXPECT(t_sum(&g, x, 0), 3, S3(1, 2, 3), 8, 10, 12, 14, 16, 18);
    EXPECT(t_sum(&g, x, 1), 3, S3(2, 1, 3), 5, 7, 9, 17, 19, 21);
    EXPECT(t_sum(&g, x, 2), 3, S3(2, 2, 1), 6, 15, 24, 33);
    EXPECT(t_sum(&g, x, -1), 3, S3(2, 2, 1), 6, 15, 24, 33);
    EXPECT(t_mean(&g, x, 0), 3, S3(1, 2, 3), 4, 5, 6, 7, 8, 9);
    EXPECT(t_mean(&g, x, 1), 3, S3(2, 1, 3), 2.5f, 3.5f, 4.5f, 8.5f, 9.5f, 10.5f);
    EXPECT(t_mean(&g, x, 2), 3, S3(2, 2, 1), 2, 5, 8, 11);
    struct tensor *m = IN2(&g, 2, 3, 1, 2, 3, 4, 5, 6);
    EXPECT(t_sum(&g, m, 0), 2, S2(1, 3), 5, 7, 9);
    EXPECT(t_mean(&g, m, 1), 2, S2(2, 1), 2, 5);
    /* softmax: rows [0, ln 3] -> [1/4, 3/4]; a huge row stays finite */
    EXPECT(t_softmax(&g, IN2(&g, 2, 2, 0, logf(3), 1000, 1000)), 2, S2(2, 2), 0.25f, 0.75f, 0.5f, 0.5f);
    /* bce: logit 0 -> ln 2 whatever the label; logit 3, label 1 -> log1p(e^-3);
     * logit -100, label 1 -> 100 (stable form) */
    static const float lab[4] = { 1, 0, 1, 1 };
    struct tensor *l = t_bce(&g, IN2(&g, 4, 1, 0, 0, 3, -100), lab);
    EXPECT(l, 1, { 1 }, (float)((2 * log(2.0) + log1p(exp(-3.0)) + 100.0) / 4));
    graph_free(&g);
}

static void test_shape_ops(void **state)
{
    (void)state;
    struct graph g;
    graph_init(&g, 1 << 16);
    struct tensor *a = IN2(&g, 2, 2, 1, 2, 3, 4), *b = IN2(&g, 2, 1, 5, 6);
    EXPECT(t_concat(&g, 3, (struct tensor *[]){ b, a, b }), 2, S2(2, 4), 5, 1, 2, 5, 6, 3, 4, 6);
    struct tensor *x = IN2(&g, 2, 4, 0, 1, 2, 3, 4, 5, 6, 7);
    EXPECT(t_slice(&g, x, 1, 2), 2, S2(2, 2), 1, 2, 5, 6);
    struct tensor *piece[3];
    t_split(&g, x, 3, (int[]){ 1, 2, 1 }, piece);
    EXPECT(piece[0], 2, S2(2, 1), 0, 4);
    EXPECT(piece[1], 2, S2(2, 2), 1, 2, 5, 6);
    EXPECT(piece[2], 2, S2(2, 1), 3, 7);
    EXPECT(t_reshape3(&g, x, 2, 2, 2), 3, S3(2, 2, 2), 0, 1, 2, 3, 4, 5, 6, 7);
    EXPECT(t_transpose(&g, x), 2, S2(4, 2), 0, 4, 1, 5, 2, 6, 3, 7);
    EXPECT(t_transpose(&g, IN3(&g, 2, 2, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)), 3, S3(2, 3, 2),
           1, 4, 2, 5, 3, 6, 7, 10, 8, 11, 9, 12);
    /* a transpose larger than one 32x32 tile */
    struct tensor *big = graph_input(&g, NULL, 2, (int[]){ 37, 70 });
    for (int i = 0; i < big->size; i++) big->data[i] = (float)i;
    struct tensor *bt = t_transpose(&g, big);
    for (int r = 0; r < 37; r++)
        for (int c = 0; c < 70; c++) assert_true(bt->data[c * 37 + r] == (float)(r * 70 + c));
    graph_free(&g);
}

static void test_embeddings(void **state)
{
    (void)state;
    struct graph g;
    graph_init(&g, 1 << 16);
    struct tensor *tab = IN2(&g, 4, 2, 0, 1, 10, 11, 20, 21, 30, 31);
    static const int32_t ids[4] = { 3, 0, 3, 2 };
    EXPECT(t_gather(&g, tab, ids, 2, 2), 3, S3(2, 2, 2), 30, 31, 0, 1, 30, 31, 20, 21);
    /* bags {1,3} {} {2} {0,0,2} */
    static const int32_t bids[6] = { 1, 3, 2, 0, 0, 2 }, offs[5] = { 0, 2, 2, 3, 6 };
    EXPECT(t_bag(&g, tab, offs, bids, 2, 2), 3, S3(2, 2, 2), 20, 21, 0, 0, 20, 21,
           20.0f / 3, 23.0f / 3);
    graph_free(&g);
}

static void test_rowmv_rowdot(void **state)
{
    (void)state;
    struct graph g;
    graph_init(&g, 1 << 20);
    /* row 0: S = [[1 2 3][4 5 6]] (N=2, M=3); row 1: S = I-ish */
    struct tensor *s = IN2(&g, 2, 6, 1, 2, 3, 4, 5, 6, 1, 0, 0, 0, 0, 2);
    EXPECT(t_rowmv(&g, s, IN2(&g, 2, 3, 1, 1, 1, 1, 2, 3), 2, 3, 0), 2, S2(2, 2), 6, 15, 1, 6);
    EXPECT(t_rowmv(&g, s, IN2(&g, 2, 2, 1, 1, 5, 7), 2, 3, 1), 2, S2(2, 3), 5, 7, 9, 5, 0, 14);
    EXPECT(t_rowdot(&g, IN2(&g, 2, 3, 1, 2, 3, 4, 5, 6), IN2(&g, 2, 3, 1, 1, 1, 0, 1, 2)), 2,
           S2(2, 1), 6, 17);
    /* the specialised sizes (M = 4, 8, 16, 32) and a generic one against a plain loop,
     * both ways, with rows enough for the threaded path */
    static const int nm[6][2] = { { 64, 8 }, { 8, 8 }, { 3, 4 }, { 5, 16 }, { 2, 32 }, { 7, 5 } };
    for (int c = 0; c < 6; c++)
        for (int trans = 0; trans < 2; trans++) {
            int N = nm[c][0], M = nm[c][1], R = 40000 / (N * M) + 3, nx = trans ? N : M, ny = trans ? M : N;
            struct tensor *S = graph_input(&g, NULL, 2, (int[]){ R, N * M });
            struct tensor *x = graph_input(&g, NULL, 2, (int[]){ R, nx });
            for (int i = 0; i < S->size; i++) S->data[i] = (float)((i * 7) % 11) - 5;
            for (int i = 0; i < x->size; i++) x->data[i] = (float)((i * 3) % 5) - 2;
            struct tensor *y = t_rowmv(&g, S, x, N, M, trans);
            for (int r = 0; r < R; r++)
                for (int o = 0; o < ny; o++) {
                    double want = 0;
                    for (int k = 0; k < nx; k++)
                        want += (double)S->data[(size_t)r * N * M + (trans ? k * M + o : o * M + k)] *
                                x->data[(size_t)r * nx + k];
                    if (y->data[(size_t)r * ny + o] != (float)want)   /* small integers: exact */
                        fail_msg("rowmv %dx%d trans %d row %d: %g vs %g", N, M, trans, r,
                                 y->data[(size_t)r * ny + o], want);
                }
        }
    graph_free(&g);
}

/* lrmv: y_r = (U S_r V) x_r against a plain loop, for the specialised ranks and a generic
 * one, N off the 4-row blocks, rows enough for the threaded path; small integers: exact. */
static void test_lrmv(void **state)
{
    (void)state;
    struct graph g;
    graph_init(&g, 1 << 20);
    static const int nkm[5][3] = { { 256, 8, 12 }, { 5, 2, 7 }, { 9, 4, 16 }, { 3, 6, 5 }, { 7, 3, 9 } };
    for (int c = 0; c < 5; c++) {
        int N = nkm[c][0], K = nkm[c][1], M = nkm[c][2], R = 40000 / (N * M) + 3;
        struct tensor *U = graph_input(&g, NULL, 2, (int[]){ N, K });
        struct tensor *S = graph_input(&g, NULL, 2, (int[]){ R, K * K });
        struct tensor *V = graph_input(&g, NULL, 2, (int[]){ K, M });
        struct tensor *x = graph_input(&g, NULL, 2, (int[]){ R, M });
        for (int i = 0; i < U->size; i++) U->data[i] = (float)((i * 5) % 7) - 3;
        for (int i = 0; i < S->size; i++) S->data[i] = (float)((i * 7) % 11) - 5;
        for (int i = 0; i < V->size; i++) V->data[i] = (float)((i * 2) % 7) - 3;
        for (int i = 0; i < x->size; i++) x->data[i] = (float)((i * 3) % 5) - 2;
        struct tensor *y = t_lrmv(&g, U, S, V, x);
        assert_int_equal(y->shape[0], R);
        assert_int_equal(y->shape[1], N);
        for (int r = 0; r < R; r++)
            for (int n = 0; n < N; n++) {
                double want = 0;
                for (int m = 0; m < M; m++) {
                    double w = 0;
                    for (int k = 0; k < K; k++) {
                        double t = 0;
                        for (int j = 0; j < K; j++)
                            t += (double)S->data[((size_t)r * K + k) * K + j] * V->data[(size_t)j * M + m];
                        w += (double)U->data[n * K + k] * t;
                    }
                    want += w * x->data[(size_t)r * M + m];
                }
                if (y->data[(size_t)r * N + n] != (float)want)
                    fail_msg("lrmv N %d K %d M %d row %d: %g vs %g", N, K, M, r,
                             y->data[(size_t)r * N + n], want);
            }
    }
    graph_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_broadcast_modes),
        cmocka_unit_test(test_unary),
        cmocka_unit_test(test_reductions),
        cmocka_unit_test(test_shape_ops),
        cmocka_unit_test(test_embeddings),
        cmocka_unit_test(test_rowmv_rowdot),
        cmocka_unit_test(test_lrmv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
