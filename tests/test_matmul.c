/* The BLIS-backed ops (matmul, linear, bmm) against naive triple loops in double: the
 * forward for every transpose combination and odd shapes, and the backward (which calls
 * BLIS with other transposes and beta = 1) on the same shapes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include "gemm.h"
#include "graph.h"
#include "ops.h"
#include "params.h"
#include "rng.h"
#include "threads.h"

#define MM_RTOL 1e-4

/* m, k, n of op(A) (m,k) op(B) (k,n); the last ones take the BLIS path of bmm too; m <= 2
 * takes the small-m path of apg_gemm, n = 8 or a depth of 16 or less the narrow kernels
 * (core/gemm_narrow.c), n = 32 j + 8 (72, 40) packed or BLIS for n - 8 columns and n8 for 8, n = 1
 * the dot-product rows, n = 16 past a depth of 16 the n16 kernel. */
static const int mm_shapes[][3] = {
    { 1, 1, 1 }, { 3, 5, 7 }, { 1, 64, 1 }, { 17, 33, 9 }, { 2, 1, 3 },
    { 64, 127, 31 }, { 40, 41, 39 }, { 129, 65, 257 }, { 1, 112, 256 }, { 2, 37, 40 },
    { 300, 112, 8 }, { 200, 8, 112 }, { 8, 300, 112 }, { 256, 1024, 8 }, { 70, 16, 16 }, { 6, 17, 3 },
    { 100, 50, 72 }, { 70, 9, 45 }, { 33, 12, 40 }, { 50, 30, 1 }, { 300, 64, 1 },
    { 100, 40, 16 }, { 37, 300, 16 },
};
#define N_SHAPES ((int)(sizeof mm_shapes / sizeof mm_shapes[0]))

/* x == ref within MM_RTOL of the absolute-value sum that produced ref. */
static int close_to(double x, double ref, double abs_sum)
{
    return fabs(x - ref) <= MM_RTOL * abs_sum + 1e-6;
}

/* Element (i,j) of op(M) for M stored row-major with ld columns. */
static double at(const float *m, int ld, int t, int i, int j)
{
    return t ? m[(size_t)j * ld + i] : m[(size_t)i * ld + j];
}

/* (op(A) op(B))_ij over depth k in double, and the sum of its terms' magnitudes. */
static double naive_ij(const float *a, int lda, int ta, const float *b, int ldb, int tb, int i, int j, int k,
                       double *abs_sum)
{
    double s = 0, s_abs = 0;
    for (int p = 0; p < k; p++) {
        double v = at(a, lda, ta, i, p) * at(b, ldb, tb, p, j);
        s += v;
        s_abs += fabs(v);
    }
    *abs_sum = s_abs;
    return s;
}

struct mm_case {
    struct param_store ps;
    struct graph g;
    struct tensor *a, *b, *out;
    float *w;                 /* d loss / d out */
};

/* params a, b with the given shapes, U(-1,1); out = build(a, b); loss = <out, w>. */
static void mm_setup(struct mm_case *c, uint64_t seed, int nd, const int *sa, const int *sb)
{
    struct rng rng;
    rng_seed(&rng, seed);
    params_init(&c->ps);
    c->a = param_new(&c->ps, "a", nd, sa, INIT_UNIFORM, 1.0f, 0);
    c->b = param_new(&c->ps, "b", nd, sb, INIT_UNIFORM, 1.0f, 0);
    params_alloc(&c->ps, &rng);
    graph_init(&c->g, 1 << 20);
}

static void mm_backward(struct mm_case *c, uint64_t seed)
{
    struct rng rng;
    rng_seed(&rng, seed ^ 0x5eed);
    int n = c->out->size;
    c->w = malloc(sizeof(float) * (size_t)n);
    for (int i = 0; i < n; i++) c->w[i] = rng_uniform(&rng, -1.0f, 1.0f);
    struct tensor *wt = graph_input(&c->g, c->w, 2, (int[]){ 1, n });
    params_zero_grad(&c->ps);
    graph_backward(&c->g, t_rowdot(&c->g, t_reshape2(&c->g, c->out, 1, n), wt));
}

static void mm_free(struct mm_case *c)
{
    free(c->w);
    graph_free(&c->g);
    params_free(&c->ps);
}

/* Checks C = op(A) op(B), dA, dB for one batch entry (strides in floats). */
static int mm_check(const float *A, const float *B, const float *C, const float *W,
                    const float *dA, const float *dB, int ta, int tb, int m, int k, int n)
{
    int lda = ta ? m : k, ldb = tb ? k : n, bad = 0;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s_abs, s = naive_ij(A, lda, ta, B, ldb, tb, i, j, k, &s_abs);
            bad += !close_to(C[(size_t)i * n + j], s, s_abs);
        }
    for (int i = 0; i < m; i++)   /* d op(A)_ip = sum_j W_ij op(B)_pj */
        for (int p = 0; p < k; p++) {
            double s = 0, s_abs = 0;
            for (int j = 0; j < n; j++) {
                double v = W[(size_t)i * n + j] * at(B, ldb, tb, p, j);
                s += v;
                s_abs += fabs(v);
            }
            bad += !close_to(ta ? dA[(size_t)p * m + i] : dA[(size_t)i * k + p], s, s_abs);
        }
    for (int p = 0; p < k; p++)   /* d op(B)_pj = sum_i op(A)_ip W_ij */
        for (int j = 0; j < n; j++) {
            double s = 0, s_abs = 0;
            for (int i = 0; i < m; i++) {
                double v = at(A, lda, ta, i, p) * W[(size_t)i * n + j];
                s += v;
                s_abs += fabs(v);
            }
            bad += !close_to(tb ? dB[(size_t)j * k + p] : dB[(size_t)p * n + j], s, s_abs);
        }
    return bad;
}

static void test_matmul_vs_naive(void **state)
{
    (void)state;
    for (int s = 0; s < N_SHAPES; s++)
        for (int t = 0; t < 4; t++) {
            int m = mm_shapes[s][0], k = mm_shapes[s][1], n = mm_shapes[s][2];
            int ta = t >> 1, tb = t & 1;
            struct mm_case c;
            mm_setup(&c, (uint64_t)(s * 4 + t + 1), 2, ta ? (int[]){ k, m } : (int[]){ m, k },
                     tb ? (int[]){ n, k } : (int[]){ k, n });
            c.out = t_matmul(&c.g, c.a, c.b, ta, tb);
            assert_int_equal(c.out->shape[0], m);
            assert_int_equal(c.out->shape[1], n);
            mm_backward(&c, (uint64_t)s);
            int bad = mm_check(c.a->data, c.b->data, c.out->data, c.w, c.a->grad, c.b->grad,
                               ta, tb, m, k, n);
            if (bad) fail_msg("matmul ta=%d tb=%d %dx%dx%d: %d wrong values", ta, tb, m, k, n, bad);
            mm_free(&c);
        }
}

static void test_bmm_vs_naive(void **state)
{
    (void)state;
    for (int s = 0; s < N_SHAPES; s++)
        for (int t = 0; t < 4; t++) {
            int m = mm_shapes[s][0], k = mm_shapes[s][1], n = mm_shapes[s][2], nb = 3;
            int ta = t >> 1, tb = t & 1;
            struct mm_case c;
            mm_setup(&c, (uint64_t)(100 + s * 4 + t), 3,
                     ta ? (int[]){ nb, k, m } : (int[]){ nb, m, k },
                     tb ? (int[]){ nb, n, k } : (int[]){ nb, k, n });
            c.out = t_bmm(&c.g, c.a, c.b, ta, tb);
            assert_int_equal(c.out->shape[0], nb);
            assert_int_equal(c.out->shape[1], m);
            assert_int_equal(c.out->shape[2], n);
            mm_backward(&c, (uint64_t)s);
            int bad = 0;
            for (int i = 0; i < nb; i++) {
                size_t sa = (size_t)m * k, sb = (size_t)k * n, sc = (size_t)m * n;
                bad += mm_check(c.a->data + i * sa, c.b->data + i * sb, c.out->data + i * sc,
                                c.w + i * sc, c.a->grad + i * sa, c.b->grad + i * sb, ta, tb, m, k, n);
            }
            if (bad) fail_msg("bmm ta=%d tb=%d %dx%dx%d: %d wrong values", ta, tb, m, k, n, bad);
            mm_free(&c);
        }
}

/* linear = matmul(x, W, 0, 1) + b: x 2-D and 3-D, with and without bias. */
static void test_linear_vs_naive(void **state)
{
    (void)state;
    for (int s = 0; s < N_SHAPES; s++)
        for (int v = 0; v < 3; v++) {
            int R = mm_shapes[s][0], M = mm_shapes[s][1], N = mm_shapes[s][2];
            int has_b = v != 1, three_d = v == 2;
            struct mm_case c;
            mm_setup(&c, (uint64_t)(200 + s * 3 + v), 2, (int[]){ R, M }, (int[]){ N, M });
            struct tensor *b = NULL;
            float *bias = NULL;
            if (has_b) {   /* the bias is an input here: grads of x and W are checked */
                bias = malloc(sizeof(float) * (size_t)N);
                for (int j = 0; j < N; j++) bias[j] = 0.25f * (float)(j % 7) - 0.5f;
                b = graph_input(&c.g, bias, 1, (int[]){ N });
            }
            struct tensor *x = three_d ? t_reshape3(&c.g, c.a, 1, R, M) : c.a;
            c.out = t_linear(&c.g, x, c.b, b);
            assert_int_equal(c.out->ndim, three_d ? 3 : 2);
            assert_int_equal(c.out->shape[c.out->ndim - 1], N);
            mm_backward(&c, (uint64_t)s);
            /* y - b = x W^T: compare as matmul(x, W, 0, 1) */
            float *y = malloc(sizeof(float) * (size_t)R * N);
            for (int i = 0; i < R * N; i++) y[i] = c.out->data[i] - (b ? bias[i % N] : 0.0f);
            int bad = mm_check(c.a->data, c.b->data, y, c.w, c.a->grad, c.b->grad, 0, 1, R, M, N);
            if (bad) fail_msg("linear %s%s %dx%dx%d: %d wrong values", has_b ? "bias" : "no bias",
                              three_d ? " 3-D" : "", R, M, N, bad);
            free(y);
            free(bias);
            mm_free(&c);
        }
}

/* The same step twice with the same thread count: bit-identical outputs and grads. */
static void test_linear_deterministic(void **state)
{
    (void)state;
    float *first[3] = { NULL, NULL, NULL };
    int threads = apg_threads();
    apg_set_threads(2);
    for (int run = 0; run < 2; run++) {
        struct rng rng;
        rng_seed(&rng, 9);
        struct param_store ps;
        params_init(&ps);
        struct tensor *w = param_new(&ps, "w", 2, (int[]){ 256, 300 }, INIT_UNIFORM, 1.0f, 0);
        struct tensor *b = param_new(&ps, "b", 1, (int[]){ 256 }, INIT_UNIFORM, 1.0f, 0);
        struct tensor *x = param_new(&ps, "x", 2, (int[]){ 515, 300 }, INIT_UNIFORM, 1.0f, 0);
        params_alloc(&ps, &rng);
        struct graph g;
        graph_init(&g, 1 << 20);
        struct tensor *y = t_relu(&g, t_linear(&g, x, w, b));
        struct tensor *l = t_sum(&g, t_sum(&g, t_mul(&g, y, y), 1), 0);
        graph_backward(&g, l);
        const float *got[3] = { y->data, w->grad, b->grad };
        size_t n[3] = { (size_t)y->size, (size_t)w->size, (size_t)b->size };
        for (int i = 0; i < 3; i++) {
            if (run == 0) {
                first[i] = malloc(sizeof(float) * n[i]);
                memcpy(first[i], got[i], sizeof(float) * n[i]);
            } else {
                assert_memory_equal(first[i], got[i], sizeof(float) * n[i]);
                free(first[i]);
            }
        }
        graph_free(&g);
        params_free(&ps);
    }
    apg_set_threads(threads);
}

/* apg_parallel: over many jobs in a row (the pattern of a step), every task of every
 * job runs exactly once, with 2 and 3 threads (workers may wake late or sleep). */
struct pool_job { _Atomic int *count; int n; };
static void pool_task(void *ctx, int i)
{
    struct pool_job *j = ctx;
    assert_true(i >= 0 && i < j->n);
    atomic_fetch_add(&j->count[i], 1);
}

static void test_pool_runs_each_task_once(void **state)
{
    (void)state;
    int threads = apg_threads();
    static _Atomic int count[64];
    for (int nt = 2; nt <= 3; nt++) {
        apg_set_threads(nt);
        for (int job = 0; job < 3000; job++) {
            struct pool_job j = { count, 1 + job % 64 };
            for (int i = 0; i < j.n; i++) atomic_store(&count[i], 0);
            apg_parallel(j.n, pool_task, &j);
            for (int i = 0; i < j.n; i++) assert_int_equal(atomic_load(&count[i]), 1);
            if (job % 1000 == 999)   /* workers go to sleep, then wake */
                nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
        }
    }
    apg_set_threads(threads);
}

/* 1 where the narrow kernels run AVX-512, else a skip message and 0. */
static int narrow_avx512(void)
{
    int isa = gemm_narrow_isa(-1);
    if (isa < 3) print_message("skipped: this CPU has no AVX-512 (narrow kernels at level %d)\n", isa);
    return isa >= 3;
}

/* The AVX-512 and AVX2 kshort kernels (a depth of 16 or less: h U^T; any depth for a
 * tiny product: v6's factor chains) give the same bits, and both the double triple
 * loop's values: row counts with and without a remainder of 4, widths of whole
 * 64-column panels, 16-column panels and a masked tail, A or B transposed (B copied
 * first), alpha and beta, bias and ReLU. Skipped where the CPU has no AVX-512. */
static void test_kshort_isa_bits(void **state)
{
    (void)state;
    if (!narrow_avx512()) return;
    /* m, n, k, ta, tb */
    static const int sh[][5] = { { 3, 8, 8, 0, 0 },    { 7, 13, 5, 0, 0 },   { 130, 64, 8, 0, 0 },
                                 { 1024, 72, 8, 0, 0 }, { 9, 130, 16, 0, 0 }, { 6, 256, 1, 0, 0 },
                                 { 8, 112, 32, 0, 0 },  { 8, 32, 256, 0, 1 }, { 32, 112, 8, 1, 0 },
                                 { 256, 32, 8, 0, 1 },  { 5, 40, 100, 1, 0 } };
    int nsh = (int)(sizeof sh / sizeof sh[0]);
    struct rng rng;
    rng_seed(&rng, 17);
    for (int s = 0; s < nsh; s++)
        for (int v = 0; v < 4; v++) {
            int m = sh[s][0], n = sh[s][1], k = sh[s][2], ta = sh[s][3], tb = sh[s][4];
            assert_true(k <= 16 || gemm_tiny(m, n, k));          /* the shapes are the kernel's */
            float alpha = v & 1 ? 0.5f : 1.0f, beta = v & 2 ? 0.75f : 0.0f;
            float *a = malloc(sizeof(float) * (size_t)m * k), *b = malloc(sizeof(float) * (size_t)k * n);
            float *bias = malloc(sizeof(float) * (size_t)n), *c[2];
            for (int i = 0; i < m * k; i++) a[i] = rng_uniform(&rng, -0.5f, 0.5f);
            for (int i = 0; i < k * n; i++) b[i] = rng_uniform(&rng, -0.5f, 0.5f);
            for (int i = 0; i < n; i++) bias[i] = rng_uniform(&rng, -0.5f, 0.5f);
            struct gemm_epilogue ep = { .bias = v == 1 ? NULL : bias, .relu = v >= 2 };
            for (int w = 0; w < 2; w++) {
                c[w] = malloc(sizeof(float) * (size_t)m * n);
                for (int i = 0; i < m * n; i++) c[w][i] = 0.01f * (float)(i % 97);
                gemm_narrow_isa(w ? 3 : 2);
                apg_gemm(ta, tb, m, n, k, alpha, a, ta ? m : k, b, tb ? k : n, beta, c[w], n, &ep);
            }
            gemm_narrow_isa(3);
            assert_memory_equal(c[0], c[1], sizeof(float) * (size_t)m * n);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double acc = 0;
                    for (int p = 0; p < k; p++)
                        acc += (double)(ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                    double want = alpha * acc + beta * 0.01 * (double)((i * n + j) % 97) + (ep.bias ? bias[j] : 0);
                    if (ep.relu && want < 0) want = 0;
                    assert_true(fabs(c[1][i * n + j] - want) < 1e-5 * (1 + fabs(want)));
                }
            free(a); free(b); free(bias); free(c[0]); free(c[1]);
        }
}

/* The AVX-512 and AVX2 one-pass rank-8 ReLU backward (gemm_n8_relu_backward) give the
 * same bits in every output (dz over dy, db, dh with beta_h 0 and 1, dU): row counts
 * with and without a remainder of 16, widths below 16, with a remainder of 16 and past
 * one 128-column chunk, outputs left out (NULL). Skipped where the CPU has no AVX-512. */
static void test_n8_relu_isa_bits(void **state)
{
    (void)state;
    if (!narrow_avx512()) return;
    static const int sh[][2] = { { 16, 16 }, { 17, 3 }, { 40, 37 }, { 1000, 256 }, { 33, 300 }, { 5, 1024 } };
    struct rng rng;
    rng_seed(&rng, 23);
    for (int s = 0; s < 6; s++)
        for (int v = 0; v < 3; v++) {
            int R = sh[s][0], N = sh[s][1];
            size_t rn = (size_t)R * N, out = rn + (size_t)N + 8 * (size_t)R + 8 * (size_t)N;
            float *y = malloc(sizeof(float) * rn), *h = malloc(sizeof(float) * (size_t)R * 8);
            float *u = malloc(sizeof(float) * (size_t)N * 8), *got[2];
            for (size_t i = 0; i < rn; i++) y[i] = rng_uniform(&rng, -1.0f, 1.0f);
            for (int i = 0; i < R * 8; i++) h[i] = rng_uniform(&rng, -1.0f, 1.0f);
            for (int i = 0; i < N * 8; i++) u[i] = rng_uniform(&rng, -1.0f, 1.0f);
            for (int w = 0; w < 2; w++) {
                float *o = got[w] = malloc(sizeof(float) * out);
                for (size_t i = 0; i < out; i++) o[i] = 0.001f * (float)(i % 89) - 0.04f;
                float *dy = o, *db = o + rn, *dh = db + N, *du = dh + 8 * (size_t)R;
                gemm_narrow_isa(w ? 3 : 2);
                assert_true(gemm_n8_relu_fits(R, N));
                gemm_n8_relu_backward(R, N, y, dy, h, u, v == 2 ? NULL : db, v == 1 ? NULL : dh, v ? 0.0f : 1.0f,
                                      v == 2 ? NULL : du);
            }
            gemm_narrow_isa(3);
            assert_memory_equal(got[0], got[1], sizeof(float) * out);
            free(y); free(h); free(u); free(got[0]); free(got[1]);
        }
}

/* linear_relu's one-pass ReLU mask and bias sum (colsum) at every ISA level this CPU
 * runs: the same bits of dx, dW and db (each lane sums one column over the rows in
 * order), widths below, at and past one 64-column block and past the 1024-wide blocks. */
static void test_linear_relu_colsum_isa_bits(void **state)
{
    (void)state;
    int top = gemm_narrow_isa(-1);
    static const int rnm[][3] = { { 300, 37, 50 }, { 130, 64, 20 }, { 70, 1100, 24 } };
    for (int s = 0; s < 3; s++) {
        int R = rnm[s][0], N = rnm[s][1], M = rnm[s][2];
        float *ref = NULL;
        size_t nf = 0;
        for (int isa = 0; isa <= top; isa++) {
            if (isa == 1) continue;
            gemm_narrow_isa(isa);
            struct param_store ps;
            struct rng rng;
            rng_seed(&rng, 41);
            params_init(&ps);
            struct tensor *x = param_new(&ps, "x", 2, (int[]){ R, M }, INIT_UNIFORM, 1.0f, 0);
            struct tensor *w = param_new(&ps, "w", 2, (int[]){ N, M }, INIT_UNIFORM, 1.0f, 0);
            struct tensor *b = param_new(&ps, "b", 1, (int[]){ N }, INIT_UNIFORM, 1.0f, 0);
            params_alloc(&ps, &rng);
            params_zero_grad(&ps);
            struct graph g;
            graph_init(&g, 1 << 22);
            struct tensor *y = t_linear_relu(&g, x, w, b);
            struct tensor *wt = graph_input(&g, NULL, 2, (int[]){ 1, y->size });
            for (int i = 0; i < y->size; i++) wt->data[i] = (float)((i * 7) % 5) - 2.0f;
            graph_backward(&g, t_rowdot(&g, t_reshape2(&g, y, 1, y->size), wt));
            if (!ref) {
                nf = ps.n_floats;
                ref = malloc(sizeof(float) * nf);
                memcpy(ref, ps.grad, sizeof(float) * nf);
            } else {
                assert_memory_equal(ref, ps.grad, sizeof(float) * nf);
            }
            graph_free(&g);
            params_free(&ps);
        }
        free(ref);
    }
    gemm_narrow_isa(3);
}

/* y = relu(x W^T + b) at x (1024, K), W (N, K) on nt threads; a malloc'd copy. */
static float *linear_relu_on(int nt, int N, int K)
{
    apg_set_threads(nt);
    struct rng rng;
    rng_seed(&rng, 5);
    struct param_store ps;
    params_init(&ps);
    struct tensor *w = param_new(&ps, "w", 2, (int[]){ N, K }, INIT_UNIFORM, 1.0f, 0);
    struct tensor *b = param_new(&ps, "b", 1, (int[]){ N }, INIT_UNIFORM, 1.0f, 0);
    struct tensor *x = param_new(&ps, "x", 2, (int[]){ 1024, K }, INIT_UNIFORM, 1.0f, 0);
    params_alloc(&ps, &rng);
    struct graph g;
    graph_init(&g, 1 << 22);
    struct tensor *y = t_linear_relu(&g, x, w, b);
    float *out = malloc(sizeof(float) * (size_t)y->size);
    memcpy(out, y->data, sizeof(float) * (size_t)y->size);
    graph_free(&g);
    params_free(&ps);
    return out;
}

/* A GEMM split over threads gives the single-threaded result bit for bit (the blocks
 * depend on the shape only): a plain width, one cut into BLIS + n8 columns (72), a
 * depth of 8 (the kshort kernel), a width of 16 (n16); the epilogue's bias and ReLU
 * included. */
static void test_linear_threads_bit_identical(void **state)
{
    (void)state;
    static const int nk[4][2] = { { 256, 112 }, { 72, 112 }, { 256, 8 }, { 16, 112 } };
    int threads = apg_threads();
    for (int s = 0; s < 4; s++) {
        float *one = linear_relu_on(1, nk[s][0], nk[s][1]), *two = linear_relu_on(2, nk[s][0], nk[s][1]);
        assert_memory_equal(one, two, sizeof(float) * 1024 * (size_t)nk[s][0]);
        free(one);
        free(two);
    }
    apg_set_threads(threads);
}

/* The gradients of loss = sum(c * relu(x W^T + b)) through rank 8 (x (R, 8), W (N, 8):
 * APG's U product) on nt threads: one thread runs the one-pass kernel
 * (gemm_n8_relu_backward), two the mask pass and the two n = 8 products split over the
 * threads. x a parameter (its gradient added to) or the output of an op (stored into an
 * unzeroed buffer: T_GRAD_FRESH). dx, dW, db concatenated, malloc'd. */
static float *n8_relu_grads(int nt, int R, int N, int x_param, int bias)
{
    apg_set_threads(nt);
    struct rng rng;
    rng_seed(&rng, 9);
    struct param_store ps;
    params_init(&ps);
    struct tensor *w = param_new(&ps, "w", 2, (int[]){ N, 8 }, INIT_UNIFORM, 1.0f, 0);
    struct tensor *b = bias ? param_new(&ps, "b", 1, (int[]){ N }, INIT_UNIFORM, 0.5f, 0) : NULL;
    struct tensor *x0 = param_new(&ps, "x", 2, (int[]){ R, 8 }, INIT_UNIFORM, 1.0f, 0);
    struct tensor *c = param_new(&ps, "c", 2, (int[]){ R, N }, INIT_UNIFORM, 1.0f, 0);
    params_alloc(&ps, &rng);
    for (int i = 0; i < x0->size; i++) x0->grad[i] = 0.25f;   /* a parameter's gradient is added to */
    struct graph g;
    graph_init(&g, 1 << 24);
    struct tensor *x = x_param ? x0 : t_scale(&g, x0, 1.5f);
    struct tensor *y = t_linear_relu(&g, x, w, b);
    graph_backward(&g, t_sum(&g, t_reshape2(&g, t_mul(&g, y, c), 1, R * N), 1));
    size_t nx = (size_t)x0->size, nw = (size_t)w->size, nb = b ? (size_t)b->size : 0;
    float *out = malloc(sizeof(float) * (nx + nw + nb));
    memcpy(out, x0->grad, sizeof(float) * nx);
    memcpy(out + nx, w->grad, sizeof(float) * nw);
    if (b) memcpy(out + nx + nw, b->grad, sizeof(float) * nb);
    /* against double sums over the same values */
    for (int j = 0; j < N; j++) {
        double db = 0, dw[8] = { 0 };
        for (int r = 0; r < R; r++) {
            double z = y->data[(size_t)r * N + j] > 0.0f ? c->data[(size_t)r * N + j] : 0.0;
            db += z;
            for (int q = 0; q < 8; q++) dw[q] += z * x->data[r * 8 + q];
        }
        for (int q = 0; q < 8; q++) assert_true(fabs(w->grad[j * 8 + q] - dw[q]) < 1e-3 * (1 + fabs(dw[q])));
        if (b) assert_true(fabs(b->grad[j] - db) < 1e-3 * (1 + fabs(db)));
    }
    for (int r = 0; r < R; r += 7) {
        for (int q = 0; q < 8; q++) {
            double dx = 0;
            for (int j = 0; j < N; j++)
                if (y->data[(size_t)r * N + j] > 0.0f) dx += (double)c->data[(size_t)r * N + j] * w->data[j * 8 + q];
            dx = 0.25 + (x_param ? dx : 1.5 * dx);
            assert_true(fabs(x0->grad[r * 8 + q] - dx) < 1e-3 * (1 + fabs(dx)));
        }
    }
    graph_free(&g);
    params_free(&ps);
    return out;
}

static void test_n8_relu_backward_bits(void **state)
{
    (void)state;
    static const int sh[][2] = { { 1000, 67 }, { 1024, 256 }, { 3, 1024 }, { 13, 3 }, { 64, 8 } };
    int threads = apg_threads();
    for (int s = 0; s < 5; s++)
        for (int v = 0; v < 4; v++) {
            int R = sh[s][0], N = sh[s][1], x_param = v & 1, bias = v >> 1;
            size_t n = (size_t)R * 8 + (size_t)N * 8 + (bias ? (size_t)N : 0);
            float *one = n8_relu_grads(1, R, N, x_param, bias), *two = n8_relu_grads(2, R, N, x_param, bias);
            assert_memory_equal(one, two, sizeof(float) * n);
            free(one);
            free(two);
        }
    apg_set_threads(threads);
}

/* gemm_packed (core/gemm_pack.c) called directly: every transpose pair, operands and C
 * with padded row strides, alpha != 1, beta 0 over a NaN-filled C (C must not be read)
 * and beta != 0, no epilogue, a bias, a bias and ReLU; shapes with edge panels on both
 * sides, either side longer (either operand shared) and depths past one k block (384
 * on SKX). Against a double triple loop; C's padding untouched; 2 threads equal to 1
 * bit for bit. */
static const int pk_shapes[][3] = {   /* m, n, k */
    { 37, 45, 41 }, { 130, 50, 400 }, { 20, 300, 33 }, { 301, 33, 20 }, { 64, 129, 800 }, { 5, 1000, 30 },
};

static float *pk_run(int nt, int ta, int tb, int m, int n, int k, const float *a, int lda, const float *b, int ldb,
                     float beta, const float *c0, int ldc, const struct gemm_epilogue *ep)
{
    apg_set_threads(nt);
    float *c = malloc(sizeof(float) * (size_t)m * ldc);
    memcpy(c, c0, sizeof(float) * (size_t)m * ldc);
    assert_int_equal(gemm_packed(ta, tb, m, n, k, 0.75f, a, lda, b, ldb, beta, c, ldc, ep), 1);
    return c;
}

static void test_gemm_packed_vs_naive(void **state)
{
    (void)state;
    int threads = apg_threads();
    struct rng rng;
    rng_seed(&rng, 21);
    for (int s = 0; s < (int)(sizeof pk_shapes / sizeof pk_shapes[0]); s++)
        for (int v = 0; v < 12; v++) {
            int m = pk_shapes[s][0], n = pk_shapes[s][1], k = pk_shapes[s][2];
            int ta = v & 1, tb = (v >> 1) & 1, mode = v >> 2;      /* mode: 0 none, 1 bias, 2 bias + relu */
            int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 5;
            float beta = s % 2 ? 1.5f : 0.0f;
            float *a = malloc(sizeof(float) * (size_t)(ta ? k : m) * lda);
            float *b = malloc(sizeof(float) * (size_t)(tb ? n : k) * ldb);
            float *c0 = malloc(sizeof(float) * (size_t)m * ldc), *bias = malloc(sizeof(float) * (size_t)n);
            for (int i = 0; i < (ta ? k : m) * lda; i++) a[i] = rng_uniform(&rng, -1.0f, 1.0f);
            for (int i = 0; i < (tb ? n : k) * ldb; i++) b[i] = rng_uniform(&rng, -1.0f, 1.0f);
            for (int i = 0; i < m * ldc; i++) c0[i] = beta != 0.0f ? rng_uniform(&rng, -1.0f, 1.0f) : NAN;
            for (int j = 0; j < n; j++) bias[j] = rng_uniform(&rng, -1.0f, 1.0f);
            struct gemm_epilogue ep = { .bias = bias, .relu = mode == 2 };
            const struct gemm_epilogue *epp = mode ? &ep : NULL;
            float *one = pk_run(1, ta, tb, m, n, k, a, lda, b, ldb, beta, c0, ldc, epp);
            float *two = pk_run(2, ta, tb, m, n, k, a, lda, b, ldb, beta, c0, ldc, epp);
            assert_memory_equal(one, two, sizeof(float) * (size_t)m * ldc);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double abs_sum, ref = 0.75 * naive_ij(a, lda, ta, b, ldb, tb, i, j, k, &abs_sum);
                    if (beta != 0.0f) ref += beta * (double)c0[(size_t)i * ldc + j];
                    if (mode) ref += bias[j];
                    if (mode == 2 && ref < 0) ref = 0;
                    double got = one[(size_t)i * ldc + j];
                    if (!close_to(got, ref, abs_sum + 2.0)) {
                        fprintf(stderr, "m %d n %d k %d ta %d tb %d mode %d: C[%d][%d] = %g, expected %g\n", m, n, k,
                                ta, tb, mode, i, j, got, ref);
                        fail();
                    }
                }
                for (int j = n; j < ldc; j++)     /* the padding is not written */
                    assert_memory_equal(&one[(size_t)i * ldc + j], &c0[(size_t)i * ldc + j], sizeof(float));
            }
            free(one);
            free(two);
            free(a);
            free(b);
            free(c0);
            free(bias);
        }
    assert_int_equal(gemm_packed(0, 0, 4, 4, 4, 1.0f, NULL, 4, NULL, 4, 0.0f, NULL, 4, NULL), 0);   /* too small */
    apg_set_threads(threads);
}

/* The epilogue's a_rowsum (a linear layer's db from its dW product): the row sums of
 * op(A) added into it, on the packed path (read from the packed panels) and on the
 * others (n = 8: a hand kernel; m = 2: the small-m path), for both transposes of A. */
static void test_gemm_a_rowsum(void **state)
{
    (void)state;
    static const int sh[][3] = { { 72, 112, 1024 }, { 200, 8, 300 }, { 2, 40, 50 } };
    struct rng rng;
    rng_seed(&rng, 23);
    for (int s = 0; s < 3; s++)
        for (int ta = 0; ta < 2; ta++) {
            int m = sh[s][0], n = sh[s][1], k = sh[s][2], lda = ta ? m : k;
            float *a = malloc(sizeof(float) * (size_t)m * k), *b = malloc(sizeof(float) * (size_t)k * n);
            float *c = malloc(sizeof(float) * (size_t)m * n), *sum = malloc(sizeof(float) * (size_t)m);
            for (int i = 0; i < m * k; i++) a[i] = rng_uniform(&rng, -1.0f, 1.0f);
            for (int i = 0; i < k * n; i++) b[i] = rng_uniform(&rng, -1.0f, 1.0f);
            for (int i = 0; i < m; i++) sum[i] = 0.5f;
            struct gemm_epilogue ep = { .a_rowsum = sum };
            apg_gemm(ta, 0, m, n, k, 1.0f, a, lda, b, n, 0.0f, c, n, &ep);
            for (int i = 0; i < m; i++) {
                double ref = 0.5, abs_sum = 0.5;
                for (int l = 0; l < k; l++) {
                    ref += at(a, lda, ta, i, l);
                    abs_sum += fabs(at(a, lda, ta, i, l));
                }
                assert_true(close_to(sum[i], ref, abs_sum));
                double c0 = 0;                       /* C is still the product */
                for (int l = 0; l < k; l++) c0 += at(a, lda, ta, i, l) * b[(size_t)l * n];
                assert_true(close_to(c[(size_t)i * n], c0, (double)k));
            }
            free(a);
            free(b);
            free(c);
            free(sum);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matmul_vs_naive),
        cmocka_unit_test(test_bmm_vs_naive),
        cmocka_unit_test(test_linear_vs_naive),
        cmocka_unit_test(test_linear_deterministic),
        cmocka_unit_test(test_pool_runs_each_task_once),
        cmocka_unit_test(test_linear_threads_bit_identical),
        cmocka_unit_test(test_kshort_isa_bits),
        cmocka_unit_test(test_n8_relu_isa_bits),
        cmocka_unit_test(test_linear_relu_colsum_isa_bits),
        cmocka_unit_test(test_n8_relu_backward_bits),
        cmocka_unit_test(test_gemm_packed_vs_naive),
        cmocka_unit_test(test_gemm_a_rowsum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
