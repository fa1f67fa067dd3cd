/* The per-row products (rowmv both ways, rowmvp, lrmv) at every ISA level this CPU runs
 * (gemm_narrow_isa: 0 portable, 2 AVX2 + FMA, 3 AVX-512): each build's forward and
 * backward against the portable build's, on shapes that take the generic rows (any N, M),
 * the specialised widths and the 8 x 8 kernel, with every gradient an op forms (dS stored
 * as its first writer or added to, dx, dU, dV). The builds differ in the order of their
 * multiply-adds only: values agree to 1e-5 relative. A build that drops a block of rows,
 * a vector tail or an accumulation fails. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "gemm.h"
#include "graph.h"
#include "ops.h"
#include "params.h"
#include "rng.h"

enum { OPK_ROWMV, OPK_ROWMV_T, OPK_ROWMVP, OPK_LRMV };
#define MAX_OUT (1 << 19)

/* One op on params A (first operand, lrmv's S; fresh: through a scale, so that the op is
 * its grad's first writer and stores it), X (the vector side), U and V (lrmv), its output
 * dotted with fixed weights as the loss; out[] = [y | dA | dX | dU | dV]. Returns its length. */
static int run_op(int kind, int R, int N, int M, int K, int fresh, float *out)
{
    struct param_store ps;
    struct rng rng;
    rng_seed(&rng, 7);
    params_init(&ps);
    int na = kind == OPK_LRMV ? R * K * K : kind == OPK_ROWMVP ? R * (N * M + M) : R * N * M;
    int nx = kind == OPK_ROWMV_T ? R * N : R * M;
    struct tensor *a = param_new(&ps, "a", 2, (int[]){ R, na / R }, INIT_UNIFORM, 1.0f, 0);
    struct tensor *x = param_new(&ps, "x", 2, (int[]){ R, nx / R }, INIT_UNIFORM, 1.0f, 0);
    struct tensor *u = param_new(&ps, "u", 2, (int[]){ N, K > 0 ? K : 1 }, INIT_UNIFORM, 1.0f, 0);
    struct tensor *v = param_new(&ps, "v", 2, (int[]){ K > 0 ? K : 1, M }, INIT_UNIFORM, 1.0f, 0);
    params_alloc(&ps, &rng);
    params_zero_grad(&ps);
    struct graph g;
    graph_init(&g, (size_t)64 << 20);
    struct tensor *y, *av = fresh ? t_scale(&g, a, 1.5f) : a;
    switch (kind) {
    case OPK_ROWMV: y = t_rowmv(&g, av, x, N, M, 0); break;
    case OPK_ROWMV_T: y = t_rowmv(&g, av, x, N, M, 1); break;
    case OPK_ROWMVP: y = t_rowmvp(&g, av, N, M); break;
    default: y = t_lrmv(&g, u, av, v, x); break;
    }
    struct tensor *w = graph_input(&g, NULL, 2, (int[]){ 1, y->size });
    for (int i = 0; i < y->size; i++) w->data[i] = (float)((i * 7) % 5) - 2.0f;
    struct tensor *loss = t_sum(&g, t_mul(&g, t_reshape2(&g, y, 1, y->size), w), 1);
    graph_backward(&g, loss);
    int n = 0;
    memcpy(out + n, y->data, sizeof(float) * (size_t)y->size);
    n += y->size;
    memcpy(out + n, a->grad, sizeof(float) * (size_t)a->size);
    n += a->size;
    if (kind != OPK_ROWMVP) {
        memcpy(out + n, x->grad, sizeof(float) * (size_t)x->size);
        n += x->size;
    }
    if (kind == OPK_LRMV) {
        memcpy(out + n, u->grad, sizeof(float) * (size_t)u->size);
        n += u->size;
        memcpy(out + n, v->grad, sizeof(float) * (size_t)v->size);
        n += v->size;
    }
    graph_free(&g);
    params_free(&ps);
    return n;
}

static float ref[MAX_OUT], got[MAX_OUT];

static void test_isa_levels(void **state)
{
    (void)state;
    int top = gemm_narrow_isa(-1);
    if (top < 2) print_message("this CPU runs the portable build only: nothing to compare\n");
    /* kind, R, N, M, K: generic N, M (odd, past a vector), the specialised M, 8 x 8, a
     * v1-like large row, lrmv's ranks on and off its specialised ones, N off 4-row blocks */
    static const int cases[][5] = {
        { OPK_ROWMV, 37, 7, 5, 0 },   { OPK_ROWMV, 40, 8, 8, 0 },    { OPK_ROWMV, 9, 24, 37, 0 },
        { OPK_ROWMV, 20, 3, 16, 0 },  { OPK_ROWMV_T, 33, 6, 19, 0 }, { OPK_ROWMV_T, 12, 8, 8, 0 },
        { OPK_ROWMVP, 50, 8, 8, 0 },  { OPK_ROWMVP, 21, 5, 11, 0 },  { OPK_ROWMV, 5, 40, 112, 0 },
        { OPK_LRMV, 70, 9, 16, 8 },   { OPK_LRMV, 66, 40, 37, 8 },   { OPK_LRMV, 13, 5, 7, 3 },
        { OPK_LRMV, 9, 33, 112, 4 },
    };
    int nc = (int)(sizeof cases / sizeof cases[0]);
    for (int c = 0; c < 2 * nc; c++) {
        const int *k = cases[c / 2], fresh = c % 2;
        gemm_narrow_isa(0);
        int n = run_op(k[0], k[1], k[2], k[3], k[4], fresh, ref);
        assert_true(n <= MAX_OUT);
        for (int isa = 2; isa <= top; isa++) {
            gemm_narrow_isa(isa);
            assert_int_equal(run_op(k[0], k[1], k[2], k[3], k[4], fresh, got), n);
            for (int i = 0; i < n; i++)
                if (!(fabsf(got[i] - ref[i]) <= 1e-5f * (1.0f + fabsf(ref[i]))))
                    fail_msg("case %d (op %d, R %d N %d M %d K %d, fresh %d) ISA %d: value %d is %g, portable %g",
                             c / 2, k[0], k[1], k[2], k[3], k[4], fresh, isa, i, got[i], ref[i]);
        }
    }
    gemm_narrow_isa(3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_isa_levels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
