/* Linear algebra ops: linear, matmul, bmm (GEMM through BLIS), rowmv (the per-row small
 * matrix-vector product of APG) and rowdot. Matrices are row-major; "op(A)" is A or A^T.
 * Backward ADDS into every source grad that is non-NULL. */
#include "ops.h"
#include "op.h"
#include "ops_check.h"
#include "threads.h"
#include "arena.h"
#include "gemm.h"
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------
 * linear: y (R,N) = x (R,M) W^T + b.  W (N,M), b (N) or NULL (src[2]); x 2-D or 3-D
 * (R = all leading dims), y keeps x's leading dims.  Caches nothing.
 * backward: dx += dy W;  dW += dy^T x;  db += column sums of dy. */
static struct tensor *linear_node(struct graph *g, int op, const char *name, struct tensor *x,
                                  struct tensor *w, struct tensor *b)
{
    ops_check_operand(name, x);
    ops_check_operand(name, w);
    OPS_CHECK_SHAPE(w->ndim == 2 && w->shape[1] == tensor_cols(x), name, x, w,
                    "W must be (N, cols(x))");
    if (b) OPS_CHECK_SHAPE(b->size == w->shape[0] && tensor_cols(b) == w->shape[0], name, w, b,
                           "b must be (N) for W (N,M)");
    int shape[TENSOR_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = w->shape[0];
    struct tensor *t = graph_node(g, op, x->ndim, shape, 3, (struct tensor *[]){ x, w, b });
    return graph_run(g, t);
}

struct tensor *t_linear(struct graph *g, struct tensor *x, struct tensor *w, struct tensor *b)
{
    return linear_node(g, OP_LINEAR, "linear", x, w, b);
}

/* y = x W^T (beta 0: BLIS only writes C), the bias and, when relu, the clamp at 0
 * applied to each block of y as it is computed (gemm_epilogue). */
static void linear_forward(struct tensor *out, int relu)
{
    const struct tensor *x = out->src[0], *w = out->src[1], *b = out->src[2];
    int R = tensor_rows(x), M = tensor_cols(x), N = w->shape[0];
    struct gemm_epilogue ep = { b ? b->data : NULL, relu };
    apg_gemm(0, 1, R, N, M, 1.0f, x->data, M, w->data, M, 0.0f, out->data, N, b || relu ? &ep : NULL);
}

void op_linear_forward(struct tensor *out) { linear_forward(out, 0); }

/* Elementwise passes of linear from this many elements go to the task pool. */
#define LINEAR_EW_SPLIT (1L << 16)
#define LINEAR_EW_CHUNK (1L << 14)
#define COLSUM_WIDE 1024

/* db[j0..j1) += column sums of dy over its R rows, block blk of width bw. */
struct colsum_job { const float *dy; float *db; int R, N, bw; };
static void colsum_block(void *ctx, int blk)
{
    const struct colsum_job *job = ctx;
    int j0 = blk * job->bw, j1 = j0 + job->bw < job->N ? j0 + job->bw : job->N;
    float acc[COLSUM_WIDE];
    for (int j = 0; j < j1 - j0; j++) acc[j] = 0.0f;
    for (int r = 0; r < job->R; r++) {
        const float *restrict row = job->dy + (size_t)r * job->N + j0;
        #pragma omp simd
        for (int j = 0; j < j1 - j0; j++) acc[j] += row[j];
    }
    for (int j = j0; j < j1; j++) job->db[j] += acc[j - j0];
}

void op_linear_backward(struct tensor *out)
{
    struct tensor *x = out->src[0], *w = out->src[1], *b = out->src[2];
    int R = tensor_rows(x), M = tensor_cols(x), N = w->shape[0];
    const float *dy = out->grad;
    if (x->grad) apg_gemm(0, 0, R, M, N, 1.0f, dy, N, w->data, M, 1.0f, x->grad, M, NULL);
    if (w->grad) apg_gemm(1, 0, N, M, R, 1.0f, dy, N, x->data, M, 1.0f, w->grad, M, NULL);
    if (b && b->grad) {
        /* Column blocks, each column summed over rows in order (deterministic), the
         * blocks tasks of the pool. Wide blocks: a generator's output (N = 32768) is
         * read as long contiguous row pieces, not 256-byte strips one row apart. */
        struct colsum_job job = { dy, b->grad, R, N, N > 16 * 64 ? COLSUM_WIDE : 64 };
        int nblk = (N + job.bw - 1) / job.bw;
        if ((long)R * N >= LINEAR_EW_SPLIT) apg_parallel(nblk, colsum_block, &job);
        else for (int blk = 0; blk < nblk; blk++) colsum_block(&job, blk);
    }
}

/* ---------------------------------------------------------------------------------
 * linear_relu: y (R,N) = max(x (R,M) W^T + b, 0), W (N,M), b (N) or NULL: a ReLU layer
 * as one node, so no separate activation buffer and gradient is written and read.
 * Caches nothing: the pre-activation is positive exactly where y > 0.
 * backward: dz = dy * [y > 0] written over out->grad (its only reader is this backward,
 * and nothing reads it after), then linear's backward with dz. */
struct tensor *t_linear_relu(struct graph *g, struct tensor *x, struct tensor *w, struct tensor *b)
{
    return linear_node(g, OP_LINEAR_RELU, "linear_relu", x, w, b);
}

void op_linear_relu_forward(struct tensor *out) { linear_forward(out, 1); }

/* dy = dy * [y > 0] on chunk i of LINEAR_EW_CHUNK elements. */
struct relu_job { const float *y; float *dy; long n; };
static void relu_mask_chunk(void *ctx, int i)
{
    const struct relu_job *job = ctx;
    long i0 = (long)i * LINEAR_EW_CHUNK, i1 = i0 + LINEAR_EW_CHUNK < job->n ? i0 + LINEAR_EW_CHUNK : job->n;
    const float *restrict y = job->y;
    float *restrict dy = job->dy;
    #pragma omp simd
    for (long k = i0; k < i1; k++) dy[k] = y[k] > 0.0f ? dy[k] : 0.0f;
}

void op_linear_relu_backward(struct tensor *out)
{
    struct relu_job job = { out->data, out->grad, out->size };
    int chunks = (int)((job.n + LINEAR_EW_CHUNK - 1) / LINEAR_EW_CHUNK);
    if (job.n >= LINEAR_EW_SPLIT) apg_parallel(chunks, relu_mask_chunk, &job);
    else for (int i = 0; i < chunks; i++) relu_mask_chunk(&job, i);
    op_linear_backward(out);
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
    apg_gemm(ta, tb, m, n, k, 1.0f, a->data, a->shape[1], b->data, b->shape[1],
                 0.0f, out->data, n, NULL);
}

void op_matmul_backward(struct tensor *out)
{
    struct tensor *a = out->src[0], *b = out->src[1];
    int ta = out->iarg[0], tb = out->iarg[1];
    int m = out->shape[0], n = out->shape[1], k = ta ? a->shape[0] : a->shape[1];
    int lda = a->shape[1], ldb = b->shape[1];
    const float *dc = out->grad;
    if (a->grad) {
        if (!ta) apg_gemm(0, !tb, m, k, n, 1.0f, dc, n, b->data, ldb, 1.0f, a->grad, lda, NULL);
        else     apg_gemm(tb, 1, k, m, n, 1.0f, b->data, ldb, dc, n, 1.0f, a->grad, lda, NULL);
    }
    if (b->grad) {
        if (!tb) apg_gemm(!ta, 0, k, n, m, 1.0f, a->data, lda, dc, n, 1.0f, b->grad, ldb, NULL);
        else     apg_gemm(1, ta, n, k, m, 1.0f, dc, n, a->data, lda, 1.0f, b->grad, ldb, NULL);
    }
}

/* ---------------------------------------------------------------------------------
 * bmm: C_i (m,n) = op(A_i) op(B_i) for i < B; A (B,m,k) or (B,k,m), B (B,k,n) or (B,n,k).
 * iarg[0] = ta, iarg[1] = tb.  Caches nothing.  Backward as matmul, per batch entry.
 * Large products call BLIS once per batch entry; small ones (attention maps of a few
 * dozen fields) run hand loops, one batch entry at a time. */
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
                #pragma omp simd reduction(+ : s)
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
struct bmm_job {
    int nb, ta, tb, m, n, k;
    const float *a; int lda; long sa;
    const float *b; int ldb; long sb;
    float beta; float *c; int ldc; long sc;
};
#define BMM_CHUNK 32   /* batch entries a task: each entry writes its own C_i alone */

static void bmm_chunk(void *ctx, int t)
{
    const struct bmm_job *j = ctx;
    int i1 = (t + 1) * BMM_CHUNK < j->nb ? (t + 1) * BMM_CHUNK : j->nb;
    for (int i = t * BMM_CHUNK; i < i1; i++) {
        if ((long)j->m * j->n * j->k >= BMM_BLIS_MIN)
            apg_gemm(j->ta, j->tb, j->m, j->n, j->k, 1.0f, j->a + i * j->sa, j->lda, j->b + i * j->sb, j->ldb, j->beta,
                     j->c + i * j->sc, j->ldc, NULL);
        else
            bmm_small(j->ta, j->tb, j->m, j->n, j->k, j->a + i * j->sa, j->lda, j->b + i * j->sb, j->ldb, j->beta,
                      j->c + i * j->sc, j->ldc);
    }
}

static void bmm_batch(int nb, int ta, int tb, int m, int n, int k,
                      const float *a, int lda, long sa, const float *b, int ldb, long sb,
                      float beta, float *c, int ldc, long sc)
{
    struct bmm_job j = { nb, ta, tb, m, n, k, a, lda, sa, b, ldb, sb, beta, c, ldc, sc };
    int chunks = (nb + BMM_CHUNK - 1) / BMM_CHUNK;
    if ((long)nb * m * n * k >= LINEAR_EW_SPLIT) apg_parallel(chunks, bmm_chunk, &j);
    else for (int t = 0; t < chunks; t++) bmm_chunk(&j, t);
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
 * N, M are small (8x8, 64x8): per-row loops specialised on M. */
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

/* ---------------------------------------------------------------------------------
 * lrmv: y_r = W_r x_r with W_r = U T_r materialised row by row (APG v2: T_r = S_r V).
 *   U (N,K), T (R, K*M) one row-major (K,M) matrix per row (any shape of that size, e.g.
 *   (R*K, M) straight from S V), x (R,M) -> y (R,N).
 * Each W_r is built one row W_r[n,:] = U[n,:] T_r at a time in an M-float scratch (L1),
 * so the R*N*M floats of all W_r never go through memory; the cost stays the form's
 * O(NMK) per instance. Caches: cache = per-chunk partials of dU (backward).
 * backward (the materialised graph's: dW_r = dy_r x_r^T, recomputing W_r):
 *   dx_r += W_r^T dy_r,  dT_r += U^T dW_r,  dU += sum_r dW_r T_r^T.
 * dU sums fixed chunks of LRMV_CHUNK rows, then the chunks in order: the result does not
 * depend on the thread count. */
#define LRMV_CHUNK 64

struct tensor *t_lrmv(struct graph *g, struct tensor *u, struct tensor *t, struct tensor *x)
{
    ops_check_operand("lrmv", u);
    ops_check_operand("lrmv", t);
    ops_check_operand("lrmv", x);
    OPS_CHECK_SHAPE(u->ndim == 2, "lrmv", u, t, "U must be (N,K)");
    int N = u->shape[0], K = u->shape[1], M = tensor_cols(x), R = tensor_rows(x);
    OPS_CHECK_SHAPE(t->size == R * K * M, "lrmv", t, x,
                    "T must hold rows(x) K x cols(x) matrices for U (N,K)");
    int shape[TENSOR_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = N;
    struct tensor *y = graph_node(g, OP_LRMV, x->ndim, shape, 3, (struct tensor *[]){ u, t, x });
    if ((y->flags & T_NEEDS_GRAD) && u->grad) {
        int nch = (R + LRMV_CHUNK - 1) / LRMV_CHUNK;
        y->cache = arena_alloc(&g->arena, sizeof(float) * (size_t)nch * N * K);
    }
    return graph_run(g, y);
}

/* Row kernels, NB = 4 rows n of W_r at a time (each T_r element loaded once per 4 rows);
 * K is a compile-time constant for the usual ranks (LRMV_BY_K). */
#define LRMV_BY_K(K, CALL)                                                              \
    switch (K) {                                                                        \
    case 2: CALL(2); break;                                                             \
    case 4: CALL(4); break;                                                             \
    case 6: CALL(6); break;                                                             \
    case 8: CALL(8); break;                                                             \
    case 16: CALL(16); break;                                                           \
    default: CALL(K); break;                                                            \
    }

/* The k loops inside the m loops unroll completely for the constant K, so the m loop
 * (contiguous) is the one that vectorises. */
#if defined(__GNUC__) && !defined(__clang__)
#define LRMV_UNROLL _Pragma("GCC unroll 16")
#else
#define LRMV_UNROLL
#endif

/* y (N) = W x with W = U T, T (K,M) */
ROWMV_KERNEL void lrmv_row_forward(const float *restrict U, const float *restrict T,
                                   const float *restrict x, float *restrict y, int N, int K, int M)
{
    int n = 0;
    for (; n + 4 <= N; n += 4) {
        const float *restrict u0 = U + (size_t)n * K, *restrict u1 = u0 + K;
        const float *restrict u2 = u1 + K, *restrict u3 = u2 + K;
        float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
        #pragma omp simd reduction(+:a0,a1,a2,a3)
        for (int m = 0; m < M; m++) {
            float w0 = 0.0f, w1 = 0.0f, w2 = 0.0f, w3 = 0.0f;
            LRMV_UNROLL
            for (int k = 0; k < K; k++) {
                float t = T[(size_t)k * M + m];
                w0 += u0[k] * t; w1 += u1[k] * t; w2 += u2[k] * t; w3 += u3[k] * t;
            }
            a0 += w0 * x[m]; a1 += w1 * x[m]; a2 += w2 * x[m]; a3 += w3 * x[m];
        }
        y[n] = a0; y[n + 1] = a1; y[n + 2] = a2; y[n + 3] = a3;
    }
    for (; n < N; n++) {
        const float *restrict u0 = U + (size_t)n * K;
        float a0 = 0.0f;
        #pragma omp simd reduction(+:a0)
        for (int m = 0; m < M; m++) {
            float w0 = 0.0f;
            LRMV_UNROLL
            for (int k = 0; k < K; k++) w0 += u0[k] * T[(size_t)k * M + m];
            a0 += w0 * x[m];
        }
        y[n] = a0;
    }
}

/* One row r of the backward, 4 rows n of W_r / dW_r at a time:
 *   dx (M) += W^T dy (W recomputed),  dT (K,M) += U^T dW,  dU (N,K) += dW T^T,
 * dW[n,:] = dy_n x held in dw (4 x M scratch). dx, dT, dU may be NULL. */
ROWMV_KERNEL void lrmv_row_backward(const float *restrict U, const float *restrict T,
                                    const float *restrict x, const float *restrict dy,
                                    float *restrict dx, float *restrict dT, float *restrict dU,
                                    float *restrict dw, int N, int K, int M)
{
    for (int n = 0; n < N; n += 4) {
        int nb = N - n < 4 ? N - n : 4;
        float u[4][K > 0 ? K : 1], g[4];
        for (int j = 0; j < 4; j++) {
            g[j] = j < nb ? dy[n + j] : 0.0f;
            for (int k = 0; k < K; k++) u[j][k] = j < nb ? U[(size_t)(n + j) * K + k] : 0.0f;
        }
        if (dx) {
            #pragma omp simd
            for (int m = 0; m < M; m++) {
                float w0 = 0.0f, w1 = 0.0f, w2 = 0.0f, w3 = 0.0f;
                LRMV_UNROLL
                for (int k = 0; k < K; k++) {
                    float t = T[(size_t)k * M + m];
                    w0 += u[0][k] * t; w1 += u[1][k] * t; w2 += u[2][k] * t; w3 += u[3][k] * t;
                }
                dx[m] += g[0] * w0 + g[1] * w1 + g[2] * w2 + g[3] * w3;
            }
        }
        if (!dT && !dU) continue;
        float *restrict d0 = dw, *restrict d1 = dw + M, *restrict d2 = dw + 2 * M, *restrict d3 = dw + 3 * M;
        #pragma omp simd
        for (int m = 0; m < M; m++) {
            d0[m] = g[0] * x[m]; d1[m] = g[1] * x[m]; d2[m] = g[2] * x[m]; d3[m] = g[3] * x[m];
        }
        for (int k = 0; k < K; k++) {
            const float *restrict tk = T + (size_t)k * M;
            if (dT) {
                float *restrict dtk = dT + (size_t)k * M;
                float c0 = u[0][k], c1 = u[1][k], c2 = u[2][k], c3 = u[3][k];
                #pragma omp simd
                for (int m = 0; m < M; m++)
                    dtk[m] += c0 * d0[m] + c1 * d1[m] + c2 * d2[m] + c3 * d3[m];
            }
            if (dU) {
                float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
                #pragma omp simd reduction(+:a0,a1,a2,a3)
                for (int m = 0; m < M; m++) {
                    a0 += d0[m] * tk[m]; a1 += d1[m] * tk[m]; a2 += d2[m] * tk[m]; a3 += d3[m] * tk[m];
                }
                float a[4] = { a0, a1, a2, a3 };
                for (int j = 0; j < nb; j++) dU[(size_t)(n + j) * K + k] += a[j];
            }
        }
    }
}

/* The row loops, compiled twice: for the build's baseline ISA and, on x86-64 GCC, for
 * AVX2 + FMA, picked at run time (the build is portable -O2; BLIS dispatches likewise).
 * The same machine always takes the same path, so results stay reproducible. */
#define LRMV_LOOPS(SFX, ATTR)                                                           \
ATTR static void lrmv_forward_##SFX(const float *ud, const float *td, const float *xd,  \
                                    float *y, int R, int N, int K, int M)               \
{                                                                                       \
    for (int r = 0; r < R; r++) {                                                       \
        const float *T = td + (size_t)r * K * M, *xr = xd + (size_t)r * M;              \
        float *yr = y + (size_t)r * N;                                                  \
        LRMV_BY_K(K, LRMV_FWD)                                                          \
    }                                                                                   \
}                                                                                       \
ATTR static void lrmv_backward_##SFX(const float *ud, const float *td, const float *xd,  \
                                     const float *dy, float *du, float *dt, float *dx,  \
                                     int R, int N, int K, int M, int nch)               \
{                                                                                       \
    {                                                                                   \
        float dw[4 * M];                                                                \
        for (int c = 0; c < nch; c++) {                                                 \
            float *duc = du ? du + (size_t)c * N * K : NULL;                            \
            if (duc) memset(duc, 0, sizeof(float) * (size_t)N * K);                     \
            int r1 = (c + 1) * LRMV_CHUNK < R ? (c + 1) * LRMV_CHUNK : R;               \
            for (int r = c * LRMV_CHUNK; r < r1; r++) {                                 \
                const float *T = td + (size_t)r * K * M, *xr = xd + (size_t)r * M;      \
                const float *dyr = dy + (size_t)r * N;                                  \
                float *dxr = dx ? dx + (size_t)r * M : NULL;                            \
                float *dT = dt ? dt + (size_t)r * K * M : NULL;                         \
                LRMV_BY_K(K, LRMV_BWD)                                                  \
            }                                                                           \
        }                                                                               \
    }                                                                                   \
}
#define LRMV_FWD(KK) lrmv_row_forward(ud, T, xr, yr, N, KK, M)
#define LRMV_BWD(KK) lrmv_row_backward(ud, T, xr, dyr, dxr, dT, duc, dw, N, KK, M)
LRMV_LOOPS(base, )
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define LRMV_HAVE_AVX2 1
LRMV_LOOPS(avx2, __attribute__((target("avx2,fma"), optimize("fp-contract=fast"))))
#endif
#undef LRMV_FWD
#undef LRMV_BWD

static int lrmv_use_avx2(void)
{
#ifdef LRMV_HAVE_AVX2
    static int use = -1;
    if (use < 0) use = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return use;
#else
    return 0;
#endif
}

void op_lrmv_forward(struct tensor *out)
{
    const struct tensor *u = out->src[0], *t = out->src[1], *x = out->src[2];
    int N = u->shape[0], K = u->shape[1], M = tensor_cols(x), R = tensor_rows(x);
#ifdef LRMV_HAVE_AVX2
    if (lrmv_use_avx2()) {
        lrmv_forward_avx2(u->data, t->data, x->data, out->data, R, N, K, M);
        return;
    }
#endif
    lrmv_forward_base(u->data, t->data, x->data, out->data, R, N, K, M);
}

void op_lrmv_backward(struct tensor *out)
{
    struct tensor *u = out->src[0], *t = out->src[1], *x = out->src[2];
    int N = u->shape[0], K = u->shape[1], M = tensor_cols(x), R = tensor_rows(x);
    int nch = (R + LRMV_CHUNK - 1) / LRMV_CHUNK;
    float *du = u->grad ? out->cache : NULL;
#ifdef LRMV_HAVE_AVX2
    if (lrmv_use_avx2())
        lrmv_backward_avx2(u->data, t->data, x->data, out->grad, du, t->grad, x->grad, R, N, K, M, nch);
    else
#endif
        lrmv_backward_base(u->data, t->data, x->data, out->grad, du, t->grad, x->grad, R, N, K, M, nch);
    if (du) {
        float *restrict dug = u->grad;
        for (int c = 0; c < nch; c++) {
            const float *restrict duc = du + (size_t)c * N * K;
            for (int i = 0; i < N * K; i++) dug[i] += duc[i];
        }
    }
}
