/* Linear algebra ops: linear, matmul, bmm (GEMM through BLIS), rowmv (the per-row small
 * matrix-vector product of APG) and rowdot. Matrices are row-major; "op(A)" is A or A^T.
 * Backward ADDS into every source grad that is non-NULL. */
#include "ops.h"
#include "op.h"
#include "ops_check.h"
#include "threads.h"
#include <blis.h>
#include <string.h>

/* C (m,n) = alpha op(A) op(B) + beta C, op(A) (m,k), op(B) (k,n); lda/ldb/ldc are the
 * row strides of A, B, C as stored (A is (k,m) in memory when ta). beta 0 ignores C. */
static void linalg_sgemm(int ta, int tb, int m, int n, int k, float alpha,
                         const float *a, int lda, const float *b, int ldb,
                         float beta, float *c, int ldc)
{
    if (m == 0 || n == 0) return;
    if (k == 0) {
        if (beta == 0.0f)
            for (int i = 0; i < m; i++) memset(c + (size_t)i * ldc, 0, sizeof(float) * (size_t)n);
        return;
    }
    bli_sgemm(ta ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
              m, n, k, &alpha, (float *)a, lda, 1, (float *)b, ldb, 1, &beta, c, ldc, 1);
}

/* ---------------------------------------------------------------------------------
 * linear: y (R,N) = x (R,M) W^T + b.  W (N,M), b (N) or NULL (src[2]); x 2-D or 3-D
 * (R = all leading dims), y keeps x's leading dims.  Caches nothing.
 * backward: dx += dy W;  dW += dy^T x;  db += column sums of dy. */
struct tensor *t_linear(struct graph *g, struct tensor *x, struct tensor *w, struct tensor *b)
{
    ops_check_operand("linear", x);
    ops_check_operand("linear", w);
    OPS_CHECK_SHAPE(w->ndim == 2 && w->shape[1] == tensor_cols(x), "linear", x, w,
                    "W must be (N, cols(x))");
    if (b) OPS_CHECK_SHAPE(b->size == w->shape[0] && tensor_cols(b) == w->shape[0], "linear", w, b,
                           "b must be (N) for W (N,M)");
    int shape[TENSOR_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = w->shape[0];
    struct tensor *t = graph_node(g, OP_LINEAR, x->ndim, shape, 3,
                                  (struct tensor *[]){ x, w, b });
    return graph_run(g, t);
}

void op_linear_forward(struct tensor *out)
{
    const struct tensor *x = out->src[0], *w = out->src[1], *b = out->src[2];
    int R = tensor_rows(x), M = tensor_cols(x), N = w->shape[0];
    float *restrict y = out->data;
    float beta = 0.0f;
    if (b) {   /* y = b in every row, then y += x W^T */
        const float *restrict bd = b->data;
        #pragma omp parallel for schedule(static) if ((long)R * N >= APG_PAR_MIN)
        for (int r = 0; r < R; r++)
            memcpy(y + (size_t)r * N, bd, sizeof(float) * (size_t)N);
        beta = 1.0f;
    }
    linalg_sgemm(0, 1, R, N, M, 1.0f, x->data, M, w->data, M, beta, y, N);
}

void op_linear_backward(struct tensor *out)
{
    struct tensor *x = out->src[0], *w = out->src[1], *b = out->src[2];
    int R = tensor_rows(x), M = tensor_cols(x), N = w->shape[0];
    const float *dy = out->grad;
    if (x->grad) linalg_sgemm(0, 0, R, M, N, 1.0f, dy, N, w->data, M, 1.0f, x->grad, M);
    if (w->grad) linalg_sgemm(1, 0, N, M, R, 1.0f, dy, N, x->data, M, 1.0f, w->grad, M);
    if (b && b->grad) {
        /* Column blocks in parallel; each column summed over rows in order (deterministic
         * for any thread count). */
        enum { BLK = 64 };
        float *restrict db = b->grad;
        int nblk = (N + BLK - 1) / BLK;
        #pragma omp parallel for schedule(static) if ((long)R * N >= APG_PAR_MIN && nblk > 1)
        for (int blk = 0; blk < nblk; blk++) {
            int j0 = blk * BLK, j1 = j0 + BLK < N ? j0 + BLK : N;
            float acc[BLK] = { 0 };
            for (int r = 0; r < R; r++) {
                const float *restrict row = dy + (size_t)r * N + j0;
                #pragma omp simd
                for (int j = 0; j < j1 - j0; j++) acc[j] += row[j];
            }
            for (int j = j0; j < j1; j++) db[j] += acc[j - j0];
        }
    }
}

/* ---------------------------------------------------------------------------------
 * matmul: C (m,n) = op(A) op(B); A (m,k) or (k,m) when ta; B (k,n) or (n,k) when tb.
 * iarg[0] = ta, iarg[1] = tb.  Caches nothing.
 * backward: d op(A) = dC op(B)^T, d op(B) = op(A)^T dC, written back in A's and B's
 * stored layout (so dA = op(B) dC^T when ta, dB = dC^T op(A) when tb). */
struct tensor *t_matmul(struct graph *g, struct tensor *a, struct tensor *b, int ta, int tb)
{
    ops_check_operand("matmul", a);
    ops_check_operand("matmul", b);
    OPS_CHECK_SHAPE(a->ndim == 2 && b->ndim == 2, "matmul", a, b, "A and B must be 2-D");
    int m = ta ? a->shape[1] : a->shape[0], k = ta ? a->shape[0] : a->shape[1];
    int kb = tb ? b->shape[1] : b->shape[0], n = tb ? b->shape[0] : b->shape[1];
    OPS_CHECK_SHAPE(k == kb, "matmul", a, b, "inner dims of op(A) op(B) differ");
    struct tensor *t = graph_node(g, OP_MATMUL, 2, (int[]){ m, n }, 2, (struct tensor *[]){ a, b });
    t->iarg[0] = !!ta;
    t->iarg[1] = !!tb;
    return graph_run(g, t);
}

void op_matmul_forward(struct tensor *out)
{
    const struct tensor *a = out->src[0], *b = out->src[1];
    int ta = out->iarg[0], tb = out->iarg[1];
    int m = out->shape[0], n = out->shape[1], k = ta ? a->shape[0] : a->shape[1];
    linalg_sgemm(ta, tb, m, n, k, 1.0f, a->data, a->shape[1], b->data, b->shape[1],
                 0.0f, out->data, n);
}

void op_matmul_backward(struct tensor *out)
{
    struct tensor *a = out->src[0], *b = out->src[1];
    int ta = out->iarg[0], tb = out->iarg[1];
    int m = out->shape[0], n = out->shape[1], k = ta ? a->shape[0] : a->shape[1];
    int lda = a->shape[1], ldb = b->shape[1];
    const float *dc = out->grad;
    if (a->grad) {
        if (!ta) linalg_sgemm(0, !tb, m, k, n, 1.0f, dc, n, b->data, ldb, 1.0f, a->grad, lda);
        else     linalg_sgemm(tb, 1, k, m, n, 1.0f, b->data, ldb, dc, n, 1.0f, a->grad, lda);
    }
    if (b->grad) {
        if (!tb) linalg_sgemm(!ta, 0, k, n, m, 1.0f, a->data, lda, dc, n, 1.0f, b->grad, ldb);
        else     linalg_sgemm(1, ta, n, k, m, 1.0f, dc, n, a->data, lda, 1.0f, b->grad, ldb);
    }
}

/* ---------------------------------------------------------------------------------
 * bmm: C_i (m,n) = op(A_i) op(B_i) for i < B; A (B,m,k) or (B,k,m), B (B,k,n) or (B,n,k).
 * iarg[0] = ta, iarg[1] = tb.  Caches nothing.  Backward as matmul, per batch entry.
 * Large products call BLIS once per batch entry; small ones (attention maps of a few
 * dozen fields) run hand loops with the batch split over threads, one entry per thread
 * at a time, so results do not depend on the thread count. */
#define BMM_BLIS_MIN 32768   /* m*n*k from which one BLIS call beats the hand loops */

/* C (m,n) (+)= op(A) op(B) by hand; beta 0 or 1 as in linalg_sgemm. */
static void bmm_small(int ta, int tb, int m, int n, int k,
                      const float *restrict a, int lda, const float *restrict b, int ldb,
                      float beta, float *restrict c, int ldc)
{
    if (beta == 0.0f)
        for (int i = 0; i < m; i++) memset(c + (size_t)i * ldc, 0, sizeof(float) * (size_t)n);
    if (!tb) {   /* C_i. += sum_p op(A)_ip B_p. : contiguous rows of B and C */
        for (int i = 0; i < m; i++) {
            float *restrict ci = c + (size_t)i * ldc;
            for (int p = 0; p < k; p++) {
                float aip = ta ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
                const float *restrict bp = b + (size_t)p * ldb;
                #pragma omp simd
                for (int j = 0; j < n; j++) ci[j] += aip * bp[j];
            }
        }
    } else if (!ta) {   /* C_ij += <A_i., B_j.> : both rows contiguous */
        for (int i = 0; i < m; i++) {
            const float *restrict ai = a + (size_t)i * lda;
            for (int j = 0; j < n; j++) {
                const float *restrict bj = b + (size_t)j * ldb;
                float s = 0.0f;
                for (int p = 0; p < k; p++) s += ai[p] * bj[p];
                c[(size_t)i * ldc + j] += s;
            }
        }
    } else {   /* C_ij += sum_p A_pi B_jp */
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                const float *restrict bj = b + (size_t)j * ldb;
                float s = 0.0f;
                for (int p = 0; p < k; p++) s += a[(size_t)p * lda + i] * bj[p];
                c[(size_t)i * ldc + j] += s;
            }
    }
}

/* For every batch entry: C_i = alpha op(A_i) op(B_i) + beta C_i (alpha 1). Strides are
 * the per-entry sizes of A, B, C. */
static void bmm_batch(int nb, int ta, int tb, int m, int n, int k,
                      const float *a, int lda, long sa, const float *b, int ldb, long sb,
                      float beta, float *c, int ldc, long sc)
{
    if ((long)m * n * k >= BMM_BLIS_MIN) {
        for (int i = 0; i < nb; i++)
            linalg_sgemm(ta, tb, m, n, k, 1.0f, a + i * sa, lda, b + i * sb, ldb,
                         beta, c + i * sc, ldc);
        return;
    }
    #pragma omp parallel for schedule(static) if ((long)nb * m * n * k >= APG_PAR_MIN)
    for (int i = 0; i < nb; i++)
        bmm_small(ta, tb, m, n, k, a + i * sa, lda, b + i * sb, ldb, beta, c + i * sc, ldc);
}

struct tensor *t_bmm(struct graph *g, struct tensor *a, struct tensor *b, int ta, int tb)
{
    ops_check_operand("bmm", a);
    ops_check_operand("bmm", b);
    OPS_CHECK_SHAPE(a->ndim == 3 && b->ndim == 3 && a->shape[0] == b->shape[0], "bmm", a, b,
                    "A and B must be 3-D with the same batch size");
    int m = ta ? a->shape[2] : a->shape[1], k = ta ? a->shape[1] : a->shape[2];
    int kb = tb ? b->shape[2] : b->shape[1], n = tb ? b->shape[1] : b->shape[2];
    OPS_CHECK_SHAPE(k == kb, "bmm", a, b, "inner dims of op(A_i) op(B_i) differ");
    struct tensor *t = graph_node(g, OP_BMM, 3, (int[]){ a->shape[0], m, n }, 2,
                                  (struct tensor *[]){ a, b });
    t->iarg[0] = !!ta;
    t->iarg[1] = !!tb;
    return graph_run(g, t);
}

void op_bmm_forward(struct tensor *out)
{
    const struct tensor *a = out->src[0], *b = out->src[1];
    int ta = out->iarg[0], tb = out->iarg[1];
    int nb = out->shape[0], m = out->shape[1], n = out->shape[2];
    int k = ta ? a->shape[1] : a->shape[2], lda = a->shape[2], ldb = b->shape[2];
    bmm_batch(nb, ta, tb, m, n, k, a->data, lda, (long)a->shape[1] * lda,
              b->data, ldb, (long)b->shape[1] * ldb, 0.0f, out->data, n, (long)m * n);
}

void op_bmm_backward(struct tensor *out)
{
    struct tensor *a = out->src[0], *b = out->src[1];
    int ta = out->iarg[0], tb = out->iarg[1];
    int nb = out->shape[0], m = out->shape[1], n = out->shape[2];
    int k = ta ? a->shape[1] : a->shape[2], lda = a->shape[2], ldb = b->shape[2];
    long sa = (long)a->shape[1] * lda, sb = (long)b->shape[1] * ldb, sc = (long)m * n;
    const float *dc = out->grad;
    if (a->grad) {
        if (!ta) bmm_batch(nb, 0, !tb, m, k, n, dc, n, sc, b->data, ldb, sb, 1.0f, a->grad, lda, sa);
        else     bmm_batch(nb, tb, 1, k, m, n, b->data, ldb, sb, dc, n, sc, 1.0f, a->grad, lda, sa);
    }
    if (b->grad) {
        if (!tb) bmm_batch(nb, !ta, 0, k, n, m, a->data, lda, sa, dc, n, sc, 1.0f, b->grad, ldb, sb);
        else     bmm_batch(nb, 1, ta, n, k, m, dc, n, sc, a->data, lda, sa, 1.0f, b->grad, ldb, sb);
    }
}

/* ---------------------------------------------------------------------------------
 * rowmv: per row r, S_r = s[r] viewed as a row-major (N,M) matrix.
 *   trans 0: y_r (N) = S_r x_r,   x (R,M) -> y (R,N)
 *   trans 1: y_r (M) = S_r^T x_r, x (R,N) -> y (R,M)
 * iarg[0] = N, iarg[1] = M, iarg[2] = trans.  y keeps x's leading dims.  Caches nothing.
 * backward, trans 0: dS_r += dy_r x_r^T,  dx_r += S_r^T dy_r
 *           trans 1: dS_r += x_r dy_r^T,  dx_r += S_r dy_r
 * N, M are small (8x8, 64x8): per-row loops specialised on M, rows split over threads. */
struct tensor *t_rowmv(struct graph *g, struct tensor *s, struct tensor *x, int n, int m, int trans)
{
    ops_check_operand("rowmv", s);
    ops_check_operand("rowmv", x);
    if (n < 1 || m < 1) ops_die("rowmv", "bad matrix size %d x %d", n, m);
    OPS_CHECK_SHAPE(tensor_cols(s) == n * m && tensor_rows(s) == tensor_rows(x), "rowmv", s, x,
                    "S must be (rows(x), N*M)");
    OPS_CHECK_SHAPE(tensor_cols(x) == (trans ? n : m), "rowmv", s, x,
                    trans ? "x must have N cols (trans)" : "x must have M cols");
    int shape[TENSOR_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = trans ? m : n;
    struct tensor *t = graph_node(g, OP_ROWMV, x->ndim, shape, 2, (struct tensor *[]){ s, x });
    t->iarg[0] = n;
    t->iarg[1] = m;
    t->iarg[2] = !!trans;
    return graph_run(g, t);
}

/* The per-row kernels are inlined into the row loops with M as a compile-time constant
 * for the usual sizes (ROWMV_BY_M), so their inner loops unroll: 2-3x on 8x8. */
#if defined(__GNUC__)
#define ROWMV_KERNEL static inline __attribute__((always_inline))
#else
#define ROWMV_KERNEL static inline
#endif
#define ROWMV_BY_M(M, CALL)                                                             \
    switch (M) {                                                                        \
    case 4: CALL(4); break;                                                             \
    case 8: CALL(8); break;                                                             \
    case 16: CALL(16); break;                                                           \
    case 32: CALL(32); break;                                                           \
    default: CALL(M); break;                                                            \
    }

/* One row: y = S x (N) or S^T x (M), S (N,M). */
ROWMV_KERNEL void rowmv_row_forward(const float *restrict S, const float *restrict x,
                                    float *restrict y, int N, int M, int trans)
{
    if (!trans) {
        for (int i = 0; i < N; i++) {
            float acc = 0.0f;
            #pragma omp simd reduction(+:acc)
            for (int j = 0; j < M; j++) acc += S[i * M + j] * x[j];
            y[i] = acc;
        }
    } else {
        for (int j = 0; j < M; j++) y[j] = 0.0f;
        for (int i = 0; i < N; i++) {
            float xi = x[i];
            #pragma omp simd
            for (int j = 0; j < M; j++) y[j] += S[i * M + j] * xi;
        }
    }
}

/* One row of the backward; dS or dx may be NULL. */
ROWMV_KERNEL void rowmv_row_backward(float *restrict dS, float *restrict dx,
                                     const float *restrict S, const float *restrict x,
                                     const float *restrict dy, int N, int M, int trans)
{
    if (dS && !trans) {   /* dS_ij += dy_i x_j */
        for (int i = 0; i < N; i++) {
            float ui = dy[i];
            #pragma omp simd
            for (int j = 0; j < M; j++) dS[i * M + j] += ui * x[j];
        }
    } else if (dS) {      /* trans: dS_ij += x_i dy_j */
        for (int i = 0; i < N; i++) {
            float ui = x[i];
            #pragma omp simd
            for (int j = 0; j < M; j++) dS[i * M + j] += ui * dy[j];
        }
    }
    if (dx && !trans) {   /* dx_j += sum_i S_ij dy_i */
        for (int i = 0; i < N; i++) {
            float di = dy[i];
            #pragma omp simd
            for (int j = 0; j < M; j++) dx[j] += S[i * M + j] * di;
        }
    } else if (dx) {      /* dx_i += sum_j S_ij dy_j */
        for (int i = 0; i < N; i++) {
            float acc = 0.0f;
            #pragma omp simd reduction(+:acc)
            for (int j = 0; j < M; j++) acc += S[i * M + j] * dy[j];
            dx[i] += acc;
        }
    }
}

void op_rowmv_forward(struct tensor *out)
{
    const struct tensor *s = out->src[0], *x = out->src[1];
    int N = out->iarg[0], M = out->iarg[1], trans = out->iarg[2], R = tensor_rows(x);
    int nx = trans ? N : M, ny = trans ? M : N;
    const float *sd = s->data, *xd = x->data;
    float *y = out->data;
    #pragma omp parallel for schedule(static) if ((long)R * N * M >= APG_PAR_MIN)
    for (int r = 0; r < R; r++) {
        const float *S = sd + (size_t)r * N * M, *xr = xd + (size_t)r * nx;
        float *yr = y + (size_t)r * ny;
#define ROWMV_FWD(MM) rowmv_row_forward(S, xr, yr, N, MM, trans)
        ROWMV_BY_M(M, ROWMV_FWD)
#undef ROWMV_FWD
    }
}

/* ds and/or dx (either may be NULL) for every row; they must not alias. */
static void rowmv_grad(float *restrict ds, float *restrict dx, const float *restrict sd,
                       const float *restrict xd, const float *restrict dy,
                       int R, int N, int M, int trans)
{
    int nx = trans ? N : M, ny = trans ? M : N;
    #pragma omp parallel for schedule(static) if ((long)R * N * M >= APG_PAR_MIN)
    for (int r = 0; r < R; r++) {
        float *dSr = ds ? ds + (size_t)r * N * M : NULL, *dxr = dx ? dx + (size_t)r * nx : NULL;
        const float *S = sd + (size_t)r * N * M, *xr = xd + (size_t)r * nx, *dyr = dy + (size_t)r * ny;
#define ROWMV_BWD(MM) rowmv_row_backward(dSr, dxr, S, xr, dyr, N, MM, trans)
        ROWMV_BY_M(M, ROWMV_BWD)
#undef ROWMV_BWD
    }
}

void op_rowmv_backward(struct tensor *out)
{
    struct tensor *s = out->src[0], *x = out->src[1];
    int N = out->iarg[0], M = out->iarg[1], trans = out->iarg[2], R = tensor_rows(x);
    if (s->grad == x->grad && s->grad) {   /* rowmv(s, s) with N = 1: one pass each */
        rowmv_grad(s->grad, NULL, s->data, x->data, out->grad, R, N, M, trans);
        rowmv_grad(NULL, x->grad, s->data, x->data, out->grad, R, N, M, trans);
    } else {
        rowmv_grad(s->grad, x->grad, s->data, x->data, out->grad, R, N, M, trans);
    }
}

/* ---------------------------------------------------------------------------------
 * rowdot: y_r = <a_r, b_r> over the last axis; a, b same shape (.., C) -> (.., 1).
 * Caches nothing.  backward: da_r += dy_r b_r,  db_r += dy_r a_r. */
struct tensor *t_rowdot(struct graph *g, struct tensor *a, struct tensor *b)
{
    ops_check_operand("rowdot", a);
    ops_check_operand("rowdot", b);
    int same = a->ndim == b->ndim;
    for (int i = 0; same && i < a->ndim; i++) same = a->shape[i] == b->shape[i];
    OPS_CHECK_SHAPE(same, "rowdot", a, b, "a and b must have the same shape");
    int shape[TENSOR_MAX_DIMS];
    memcpy(shape, a->shape, sizeof shape);
    shape[a->ndim - 1] = 1;
    struct tensor *t = graph_node(g, OP_ROWDOT, a->ndim, shape, 2, (struct tensor *[]){ a, b });
    return graph_run(g, t);
}

void op_rowdot_forward(struct tensor *out)
{
    const struct tensor *a = out->src[0], *b = out->src[1];
    int R = tensor_rows(a), C = tensor_cols(a);
    const float *restrict ad = a->data, *restrict bd = b->data;
    float *restrict y = out->data;
    #pragma omp parallel for schedule(static) if ((long)R * C >= APG_PAR_MIN)
    for (int r = 0; r < R; r++) {
        const float *restrict ar = ad + (size_t)r * C, *restrict br = bd + (size_t)r * C;
        float acc = 0.0f;
        #pragma omp simd reduction(+:acc)
        for (int j = 0; j < C; j++) acc += ar[j] * br[j];
        y[r] = acc;
    }
}

/* da and db are updated in separate passes: rowdot(x, x) passes one tensor twice. */
static void rowdot_grad(float *restrict d, const float *restrict other,
                        const float *restrict dy, int R, int C)
{
    #pragma omp parallel for schedule(static) if ((long)R * C >= APG_PAR_MIN)
    for (int r = 0; r < R; r++) {
        float g = dy[r];
        float *restrict dr = d + (size_t)r * C;
        const float *restrict o = other + (size_t)r * C;
        #pragma omp simd
        for (int j = 0; j < C; j++) dr[j] += g * o[j];
    }
}

void op_rowdot_backward(struct tensor *out)
{
    struct tensor *a = out->src[0], *b = out->src[1];
    int R = tensor_rows(a), C = tensor_cols(a);
    if (a->grad) rowdot_grad(a->grad, b->data, out->grad, R, C);
    if (b->grad) rowdot_grad(b->grad, a->data, out->grad, R, C);
}
