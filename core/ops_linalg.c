/* Linear algebra ops: linear, matmul, bmm (GEMM through BLIS) and rowdot (rowmv, the
 * per-row small matrix-vector product of APG, is in ops_rowmv.c). Matrices are
 * row-major; "op(A)" is A or A^T. Backward ADDS into every source grad that is non-NULL. */
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
 * backward: dx += dy W (dx = dy W when dx is fresh: T_GRAD_FRESH);  dW += dy^T x;
 * db += column sums of dy. */
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
    struct gemm_epilogue ep = { .bias = b ? b->data : NULL, .relu = relu };
    apg_gemm(0, 1, R, N, M, 1.0f, x->data, M, w->data, M, 0.0f, out->data, N, b || relu ? &ep : NULL);
}

void op_linear_forward(struct tensor *out) { linear_forward(out, 0); }

/* Elementwise passes of linear from this many elements go to the task pool. */
#define LINEAR_EW_SPLIT (1L << 16)
#define LINEAR_EW_CHUNK (1L << 14)
#define COLSUM_WIDE 1024

#define COLSUM_BW(N) ((N) > 16 * 64 ? COLSUM_WIDE : 64)

/* db[j0..j1) += column sums of dy over its R rows, block blk of width bw. With y (a
 * ReLU's output): first dy = dy [y > 0] in place, the masked values summed (one pass
 * for linear_relu's mask and bias gradient; the same sums in the same order). */
struct colsum_job { const float *y; float *dy; float *db; int R, N, bw; };
/* Built for the baseline ISA and, on x86-64 GCC, for AVX2 and AVX-512, picked at run
 * time (gemm_narrow_isa): each lane sums its own column over the rows in order, so every
 * build gives the same bits. */
#define COLSUM_KERNEL(SFX, ATTR)                                                        \
ATTR static void colsum_rows_##SFX(const struct colsum_job *job, int j0, int j1)        \
{                                                                                       \
    float acc[COLSUM_WIDE];                                                             \
    for (int j = 0; j < j1 - j0; j++) acc[j] = 0.0f;                                    \
    for (int r = 0; r < job->R; r++) {                                                  \
        float *restrict row = job->dy + (size_t)r * job->N + j0;                        \
        if (job->y) {                                                                   \
            const float *restrict yr = job->y + (size_t)r * job->N + j0;                \
            _Pragma("omp simd")                                                         \
            for (int j = 0; j < j1 - j0; j++) {                                         \
                float v = yr[j] > 0.0f ? row[j] : 0.0f;                                 \
                row[j] = v;                                                             \
                acc[j] += v;                                                            \
            }                                                                           \
        } else {                                                                        \
            _Pragma("omp simd")                                                         \
            for (int j = 0; j < j1 - j0; j++) acc[j] += row[j];                         \
        }                                                                               \
    }                                                                                   \
    if (job->db)                                                                        \
        for (int j = j0; j < j1; j++) job->db[j] += acc[j - j0];                        \
}
COLSUM_KERNEL(base, )
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define COLSUM_WIDE_ISA 1
COLSUM_KERNEL(avx2, __attribute__((target("avx2"))))
COLSUM_KERNEL(avx512, __attribute__((target("avx512f,prefer-vector-width=512"))))
#endif

static void colsum_block(void *ctx, int blk)
{
    const struct colsum_job *job = ctx;
    int j0 = blk * job->bw, j1 = j0 + job->bw < job->N ? j0 + job->bw : job->N;
#ifdef COLSUM_WIDE_ISA
    int isa = gemm_narrow_isa(-1);
    if (isa >= 3) {
        colsum_rows_avx512(job, j0, j1);
        return;
    }
    if (isa >= 2) {
        colsum_rows_avx2(job, j0, j1);
        return;
    }
#endif
    colsum_rows_base(job, j0, j1);
}

/* dx, dW and (sum_db) db of linear from dy = out->grad. */
static void linear_backward(struct tensor *out, int sum_db)
{
    struct tensor *x = out->src[0], *w = out->src[1], *b = out->src[2];
    int R = tensor_rows(x), M = tensor_cols(x), N = w->shape[0];
    const float *dy = out->grad;
    if (x->grad)   /* stored (beta 0) when this is the first write into an unzeroed dx */
        apg_gemm(0, 0, R, M, N, 1.0f, dy, N, w->data, M, grad_first_write(x) ? 0.0f : 1.0f, x->grad, M, NULL);
    int db_here = sum_db && b && b->grad;
    if (w->grad) {   /* dW = dy^T x; with db = the row sums of dy^T, read while it is packed */
        struct gemm_epilogue ep = { .a_rowsum = db_here ? b->grad : NULL };
        apg_gemm(1, 0, N, M, R, 1.0f, dy, N, x->data, M, 1.0f, w->grad, M, db_here ? &ep : NULL);
        db_here = 0;
    }
    if (db_here) {
        /* Column blocks, each column summed over rows in order (deterministic), the
         * blocks tasks of the pool. Wide blocks: a generator's output (N = 32768) is
         * read as long contiguous row pieces, not 256-byte strips one row apart. */
        struct colsum_job job = { NULL, (float *)dy, b->grad, R, N, COLSUM_BW(N) };   /* read only: y NULL */
        int nblk = (N + job.bw - 1) / job.bw;
        if ((long)R * N >= LINEAR_EW_SPLIT) apg_parallel(nblk, colsum_block, &job);
        else for (int blk = 0; blk < nblk; blk++) colsum_block(&job, blk);
    }
}

void op_linear_backward(struct tensor *out) { linear_backward(out, 1); }

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
    struct tensor *x = out->src[0], *w = out->src[1], *b = out->src[2];
    /* through rank 8 (APG's U) on one thread: mask, bias gradient, dx and dW in one pass
     * over dy, the bits of the passes below (the threads split those instead) */
    int R = tensor_rows(out), N = tensor_cols(out);
    if (tensor_cols(x) == 8 && apg_parallel_width() == 1 && gemm_n8_relu_fits(R, N)) {
        float beta_h = x->grad && !grad_first_write(x) ? 1.0f : 0.0f;
        gemm_n8_relu_backward(R, N, out->data, out->grad, x->data, w->data, b && b->grad ? b->grad : NULL,
                              x->grad, beta_h, w->grad);
        return;
    }
    if (b && b->grad) {                 /* mask and bias gradient in one pass */
        struct colsum_job job = { out->data, out->grad, b->grad, R, N, COLSUM_BW(N) };
        int nblk = (N + job.bw - 1) / job.bw;
        if ((long)R * N >= LINEAR_EW_SPLIT) apg_parallel(nblk, colsum_block, &job);
        else for (int blk = 0; blk < nblk; blk++) colsum_block(&job, blk);
        linear_backward(out, 0);
        return;
    }
    struct relu_job job = { out->data, out->grad, out->size };
    int chunks = (int)((job.n + LINEAR_EW_CHUNK - 1) / LINEAR_EW_CHUNK);
    if (job.n >= LINEAR_EW_SPLIT) apg_parallel(chunks, relu_mask_chunk, &job);
    else for (int i = 0; i < chunks; i++) relu_mask_chunk(&job, i);
    linear_backward(out, 0);
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
