/* The per-row small matrix-vector products of APG:
 *   rowmv:  S (R, N*M), x (R, M or N) -> y_r = S_r x_r or S_r^T x_r (eq. 8's S_i h)
 *   rowmvp: [S | x] (R, N*M + M) -> y_r = S_r x_r: S_r and x_r read from one row, as a
 *           self-wise layer's single GEMM x [W_G; V]^T leaves them (no slice copies)
 *   genmv:  y_r = W_r h_r, W_r = G z_r + b generated per row (v1, v5), dW_r never stored
 * S_r is row-major (N,M). Rows are independent: large ones are cut into ROWMV_TASKS
 * fixed row ranges over the task pool, the same bits at any thread count. Backward ADDS
 * into every source grad, except S's (rowmv, rowmvp) where it is its first writer
 * (T_GRAD_FRESH: each row zeroed in the task that adds into it). N, M are small (8x8, 64x8): per-row loops specialised on M. */
#include "ops.h"
#include "op.h"
#include "ops_check.h"
#include "threads.h"
#include "gemm.h"
#include "arena.h"
#include <string.h>

#define ROWMV_TASKS 8
#define ROWMV_SPLIT (1L << 15)      /* R*N*M from which the rows go to the pool */

/* ---------------------------------------------------------------------------------
 * rowmv: per row r, S_r = s[r] viewed as a row-major (N,M) matrix.
 *   trans 0: y_r (N) = S_r x_r,   x (R,M) -> y (R,N)
 *   trans 1: y_r (M) = S_r^T x_r, x (R,N) -> y (R,M)
 * iarg[0] = N, iarg[1] = M, iarg[2] = trans.  y keeps x's leading dims.  Caches nothing.
 * backward, trans 0: dS_r += dy_r x_r^T,  dx_r += S_r^T dy_r
 *           trans 1: dS_r += x_r dy_r^T,  dx_r += S_r dy_r */
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

/* rowmvp: sx (R, N*M + M) holding [S_r | x_r] per row -> y (R,N), y_r = S_r x_r.
 * iarg[0] = N, iarg[1] = M.  y keeps sx's leading dims.  Caches nothing.
 * backward: d[S_r | x_r] += [dy_r x_r^T | S_r^T dy_r] (a fresh grad, T_GRAD_FRESH: each
 * row zeroed in the task that adds into it). */
struct tensor *t_rowmvp(struct graph *g, struct tensor *sx, int n, int m)
{
    ops_check_operand("rowmvp", sx);
    if (n < 1 || m < 1) ops_die("rowmvp", "bad matrix size %d x %d", n, m);
    OPS_CHECK_SHAPE(tensor_cols(sx) == n * m + m, "rowmvp", sx, NULL, "[S | x] must have N*M + M cols");
    int shape[TENSOR_MAX_DIMS];
    memcpy(shape, sx->shape, sizeof shape);
    shape[sx->ndim - 1] = n;
    struct tensor *t = graph_node(g, OP_ROWMVP, sx->ndim, shape, 1, (struct tensor *[]){ sx });
    t->iarg[0] = n;
    t->iarg[1] = m;
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

/* dS (N,M) += a b^T, or = a b^T when store (its first writer: no pass to zero it first). */
ROWMV_KERNEL void rowmv_outer(float *restrict dS, const float *restrict a, const float *restrict b,
                              int N, int M, int store)
{
    for (int i = 0; i < N; i++) {
        float ai = a[i];
        float *restrict d = dS + (size_t)i * M;
        if (store) {
            #pragma omp simd
            for (int j = 0; j < M; j++) d[j] = ai * b[j];
        } else {
            #pragma omp simd
            for (int j = 0; j < M; j++) d[j] += ai * b[j];
        }
    }
}

/* One row of the backward; dS or dx may be NULL. store: dS is stored, not added to. */
ROWMV_KERNEL void rowmv_row_backward(float *restrict dS, float *restrict dx,
                                     const float *restrict S, const float *restrict x,
                                     const float *restrict dy, int N, int M, int trans, int store)
{
    if (dS && !trans) rowmv_outer(dS, dy, x, N, M, store);        /* dS_ij += dy_i x_j */
    else if (dS) rowmv_outer(dS, x, dy, N, M, store);             /* trans: dS_ij += x_i dy_j */
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

/* Rows of either op: S_r at s + r*lds, x_r at x + r*ldx (their grads likewise at ds,
 * dx, either NULL), y_r and dy_r at + r*ny. grad 0: the forward, else the backward. */
struct rowmv_job {
    const float *s, *x; float *ds, *dx;
    float *y; const float *dy;
    size_t lds, ldx;
    int R, N, M, trans, grad;
    int clear;                /* rowmvp's fresh grad: each row zeroed before its adds */
};

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define ROWMV_AVX2 __attribute__((target("avx2,fma")))
#define ROWMV_HAVE_AVX2 1

/* Rows [r0, r1) of the 8 x 8 product (S_r (8,8), trans 0: APG's S_i at K = 8) in 8-float
 * vectors. Forward: the 8 products S_r[i][:] * x_r summed by a tree of hadds, y_r[i] =
 * (sum of lanes 0..3) + (sum of lanes 4..7). Backward: dS_r[i] += dy_r[i] x_r and dx_r +=
 * sum_i dy_r[i] S_r[i] (i ascending), by fused multiply-adds; a cleared row starts at 0. */
ROWMV_AVX2 static void rowmv8_rows(const struct rowmv_job *j, int r0, int r1)
{
    for (int r = r0; r < r1; r++) {
        const float *S = j->s + (size_t)r * j->lds, *xr = j->x + (size_t)r * j->ldx;
        __m256 x = _mm256_loadu_ps(xr);
        if (!j->grad) {
            __m256 p0 = _mm256_mul_ps(_mm256_loadu_ps(S), x), p1 = _mm256_mul_ps(_mm256_loadu_ps(S + 8), x),
                   p2 = _mm256_mul_ps(_mm256_loadu_ps(S + 16), x), p3 = _mm256_mul_ps(_mm256_loadu_ps(S + 24), x),
                   p4 = _mm256_mul_ps(_mm256_loadu_ps(S + 32), x), p5 = _mm256_mul_ps(_mm256_loadu_ps(S + 40), x),
                   p6 = _mm256_mul_ps(_mm256_loadu_ps(S + 48), x), p7 = _mm256_mul_ps(_mm256_loadu_ps(S + 56), x);
            __m256 u0 = _mm256_hadd_ps(_mm256_hadd_ps(p0, p1), _mm256_hadd_ps(p2, p3));
            __m256 u1 = _mm256_hadd_ps(_mm256_hadd_ps(p4, p5), _mm256_hadd_ps(p6, p7));
            _mm256_storeu_ps(j->y + (size_t)r * 8, _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20),
                                                                 _mm256_permute2f128_ps(u0, u1, 0x31)));
            continue;
        }
        float *dS = j->ds ? j->ds + (size_t)r * j->lds : NULL, *dx = j->dx ? j->dx + (size_t)r * j->ldx : NULL;
        const float *dy = j->dy + (size_t)r * 8;
        if (j->clear) memset(dS, 0, sizeof(float) * j->lds);
        if (dS)
            for (int i = 0; i < 8; i++)
                _mm256_storeu_ps(dS + 8 * i, _mm256_fmadd_ps(_mm256_broadcast_ss(dy + i), x, _mm256_loadu_ps(dS + 8 * i)));
        if (dx) {
            __m256 acc = _mm256_loadu_ps(dx);
            for (int i = 0; i < 8; i++) acc = _mm256_fmadd_ps(_mm256_broadcast_ss(dy + i), _mm256_loadu_ps(S + 8 * i), acc);
            _mm256_storeu_ps(dx, acc);
        }
    }
}

#endif

/* Rows [r0, r1) of either op, any N, M; compiled for the build's baseline ISA and, on
 * x86-64 GCC, for AVX2 + FMA and for AVX-512, picked at run time (gemm_narrow_isa). A
 * cleared grad row has its S part stored and the rest (rowmvp's x part) zeroed first. */
#define ROWMV_LOOP(SFX, ATTR)                                                           \
ATTR static void rowmv_rows_##SFX(const struct rowmv_job *j, int r0, int r1)            \
{                                                                                       \
    int N = j->N, M = j->M, trans = j->trans, ny = trans ? M : N, nm = N * M;           \
    for (int r = r0; r < r1; r++) {                                                     \
        const float *S = j->s + (size_t)r * j->lds, *xr = j->x + (size_t)r * j->ldx;    \
        if (!j->grad) {                                                                 \
            float *yr = j->y + (size_t)r * ny;                                          \
            ROWMV_BY_M(M, ROWMV_FWD)                                                    \
        } else {                                                                        \
            float *dSr = j->ds ? j->ds + (size_t)r * j->lds : NULL;                     \
            float *dxr = j->dx ? j->dx + (size_t)r * j->ldx : NULL;                     \
            if (j->clear && j->lds > (size_t)nm)                                        \
                memset(dSr + nm, 0, sizeof(float) * (j->lds - (size_t)nm));             \
            const float *dyr = j->dy + (size_t)r * ny;                                  \
            ROWMV_BY_M(M, ROWMV_BWD)                                                    \
        }                                                                               \
    }                                                                                   \
}
#define ROWMV_FWD(MM) rowmv_row_forward(S, xr, yr, N, MM, trans)
#define ROWMV_BWD(MM) rowmv_row_backward(dSr, dxr, S, xr, dyr, N, MM, trans, j->clear)
ROWMV_LOOP(base, )
#if defined(ROWMV_HAVE_AVX2) && !defined(__clang__)
#define ROWMV_WIDE 1
ROWMV_LOOP(avx2, __attribute__((target("avx2,fma"), optimize("fp-contract=fast"))))
ROWMV_LOOP(avx512, __attribute__((target("avx512f,avx512vl,fma,prefer-vector-width=512"),
                                  optimize("fp-contract=fast"))))
#endif
#undef ROWMV_FWD
#undef ROWMV_BWD

static void rowmv_rows(void *ctx, int task)
{
    const struct rowmv_job *j = ctx;
    int r0 = (int)((long)j->R * task / ROWMV_TASKS), r1 = (int)((long)j->R * (task + 1) / ROWMV_TASKS);
#ifdef ROWMV_HAVE_AVX2
    int isa = gemm_narrow_isa(-1);
    if (j->N == 8 && j->M == 8 && !j->trans && isa >= 2) {
        rowmv8_rows(j, r0, r1);
        return;
    }
#ifdef ROWMV_WIDE
    if (isa >= 3) rowmv_rows_avx512(j, r0, r1);
    else if (isa >= 2) rowmv_rows_avx2(j, r0, r1);
    else
#endif
#endif
        rowmv_rows_base(j, r0, r1);
}

static void rowmv_run(const struct rowmv_job *j)
{
    if ((long)j->R * j->N * j->M >= ROWMV_SPLIT) apg_parallel(ROWMV_TASKS, rowmv_rows, (void *)j);
    else for (int k = 0; k < ROWMV_TASKS; k++) rowmv_rows((void *)j, k);
}

void op_rowmv_forward(struct tensor *out)
{
    const struct tensor *s = out->src[0], *x = out->src[1];
    int N = out->iarg[0], M = out->iarg[1], trans = out->iarg[2];
    struct rowmv_job j = { s->data, x->data, NULL, NULL, out->data, NULL, (size_t)N * M, (size_t)(trans ? N : M),
                           tensor_rows(x), N, M, trans, 0, 0 };
    rowmv_run(&j);
}

void op_rowmv_backward(struct tensor *out)
{
    struct tensor *s = out->src[0], *x = out->src[1];
    int N = out->iarg[0], M = out->iarg[1], trans = out->iarg[2];
    struct rowmv_job j = { s->data, x->data, s->grad, x->grad, NULL, out->grad, (size_t)N * M,
                           (size_t)(trans ? N : M), tensor_rows(x), N, M, trans, 1,
                           s->grad && s != x ? grad_first_write(s) : 0 };
    if (s->grad == x->grad && s->grad) {   /* rowmv(s, s) with N = 1: one pass each */
        j.dx = NULL;
        rowmv_run(&j);
        j.ds = NULL;
        j.dx = x->grad;
    }
    rowmv_run(&j);
}

void op_rowmvp_forward(struct tensor *out)
{
    const struct tensor *sx = out->src[0];
    int N = out->iarg[0], M = out->iarg[1];
    size_t ld = (size_t)N * M + (size_t)M;
    struct rowmv_job j = { sx->data, sx->data + (size_t)N * M, NULL, NULL, out->data, NULL, ld, ld,
                           tensor_rows(sx), N, M, 0, 0, 0 };
    rowmv_run(&j);
}

void op_rowmvp_backward(struct tensor *out)
{
    struct tensor *sx = out->src[0];
    if (!sx->grad) return;
    int N = out->iarg[0], M = out->iarg[1];
    size_t ld = (size_t)N * M + (size_t)M;
    /* dS_r and dx_r are disjoint pieces of one grad row */
    struct rowmv_job j = { sx->data, sx->data + (size_t)N * M, sx->grad, sx->grad + (size_t)N * M, NULL, out->grad,
                           ld, ld, tensor_rows(sx), N, M, 0, 1, grad_first_write(sx) };
    rowmv_run(&j);
}

/* ---------------------------------------------------------------------------------
 * genmv: y_r = W_r h_r, W_r = G z_r + b viewed as (N,M) (paper eq. 3-4: the generated
 *   weights of v1, and v5's middle factor), for z (R,D), G (N*M, D), b (N*M) or NULL,
 *   h (R,M) -> y (R,N); iarg[0] = N, iarg[1] = M. z and h may be one tensor (self-wise
 *   v1: z = h = x). Caches: gen (R, N*M), every W_r (the backward's dh reads it), then the
 *   scratch of one block of dgen (GENMV_RB x GENMV_CB).
 * forward: gen = z G^T + b (one GEMM, the bias in its epilogue), then y_r = W_r h_r.
 * backward, the products of linear + rowmv's, without their (R, N*M) gradient of gen:
 *   dh_r += W_r^T dy_r (a rowmv pass over gen); then for each block of GENMV_CB columns c
 *   = n M + m of gen (ascending) and each block of GENMV_RB rows, dgen[r][c] = dy_r[n]
 *   h_r[m] in the scratch (L2), dG[c] += dgen[., c]^T z and db[c] += sum_r dgen[r][c]
 *   (one GEMM, the sums read as it packs), dz += dgen G[c]. Fixed blocks in a fixed
 *   order: the same bits at any thread count. */
#define GENMV_RB 256
#define GENMV_CB 512

struct tensor *t_genmv(struct graph *g, struct tensor *z, struct tensor *gw, struct tensor *gb,
                       struct tensor *h, int n, int m)
{
    ops_check_operand("genmv", z);
    ops_check_operand("genmv", gw);
    ops_check_operand("genmv", h);
    if (gb) ops_check_operand("genmv", gb);
    if (n < 1 || m < 1) ops_die("genmv", "bad matrix size %d x %d", n, m);
    int R = tensor_rows(z), D = tensor_cols(z);
    OPS_CHECK_SHAPE(gw->ndim == 2 && gw->shape[0] == n * m && gw->shape[1] == D, "genmv", z, gw,
                    "G must be (N*M, cols(z))");
    OPS_CHECK_SHAPE(!gb || gb->size == n * m, "genmv", gw, gb, "b must hold N*M values");
    OPS_CHECK_SHAPE(tensor_rows(h) == R && tensor_cols(h) == m, "genmv", z, h, "h must be (rows(z), M)");
    int shape[TENSOR_MAX_DIMS];
    memcpy(shape, h->shape, sizeof shape);
    shape[h->ndim - 1] = n;
    struct tensor *y = graph_node(g, OP_GENMV, h->ndim, shape, 4, (struct tensor *[]){ z, gw, gb, h });
    y->iarg[0] = n;
    y->iarg[1] = m;
    size_t gen = (size_t)R * n * m, blk = (y->flags & T_NEEDS_GRAD) ? (size_t)GENMV_RB * GENMV_CB : 0;
    y->cache = arena_alloc(&g->arena, sizeof(float) * (gen + blk));
    return graph_run(g, y);
}

void op_genmv_forward(struct tensor *out)
{
    const struct tensor *z = out->src[0], *gw = out->src[1], *gb = out->src[2], *h = out->src[3];
    int N = out->iarg[0], M = out->iarg[1], R = tensor_rows(z), D = tensor_cols(z), NM = N * M;
    struct gemm_epilogue ep = { .bias = gb ? gb->data : NULL };
    apg_gemm(0, 1, R, NM, D, 1.0f, z->data, D, gw->data, D, 0.0f, out->cache, NM, gb ? &ep : NULL);
    struct rowmv_job j = { out->cache, h->data, NULL, NULL, out->data, NULL, (size_t)NM, (size_t)M, R, N, M, 0, 0, 0 };
    rowmv_run(&j);
}

/* Rows [r0, r1), columns [c0, c1) of dgen (c = n M + m): blk[(r - r0) w + c - c0] =
 * dy_r[n] h_r[m], w = c1 - c0. */
static void genmv_block(float *restrict blk, const float *dy, const float *h, int N, int M, int r0, int r1,
                        int c0, int c1)
{
    int w = c1 - c0;
    for (int r = r0; r < r1; r++) {
        const float *restrict hr = h + (size_t)r * M, *restrict dr = dy + (size_t)r * N;
        float *restrict o = blk + (size_t)(r - r0) * w;
        for (int c = c0; c < c1;) {
            int nn = c / M, m0 = c % M, m1 = c1 - c + m0 < M ? c1 - c + m0 : M;
            float d = dr[nn];
            #pragma omp simd
            for (int mm = m0; mm < m1; mm++) o[c - c0 + mm - m0] = d * hr[mm];
            c += m1 - m0;
        }
    }
}

void op_genmv_backward(struct tensor *out)
{
    struct tensor *z = out->src[0], *gw = out->src[1], *gb = out->src[2], *h = out->src[3];
    int N = out->iarg[0], M = out->iarg[1], R = tensor_rows(z), D = tensor_cols(z), NM = N * M;
    if (h->grad) {                        /* dh_r += W_r^T dy_r */
        struct rowmv_job j = { out->cache, h->data, NULL, h->grad, NULL, out->grad, (size_t)NM, (size_t)M,
                               R, N, M, 0, 1, 0 };
        rowmv_run(&j);
    }
    if (!gw->grad && !z->grad && !(gb && gb->grad)) return;
    float *blk = out->cache + (size_t)R * NM;
    for (int c0 = 0; c0 < NM; c0 += GENMV_CB) {
        int c1 = c0 + GENMV_CB < NM ? c0 + GENMV_CB : NM, w = c1 - c0;
        for (int r0 = 0; r0 < R; r0 += GENMV_RB) {
            int r1 = r0 + GENMV_RB < R ? r0 + GENMV_RB : R, rows = r1 - r0;
            genmv_block(blk, out->grad, h->data, N, M, r0, r1, c0, c1);
            if (gw->grad || (gb && gb->grad)) {
                /* dG[c0..c1) += blk^T z[r0..r1); db[c0..c1) += blk's column sums */
                struct gemm_epilogue ep = { .a_rowsum = gb && gb->grad ? gb->grad + c0 : NULL };
                if (gw->grad)
                    apg_gemm(1, 0, w, D, rows, 1.0f, blk, w, z->data + (size_t)r0 * D, D, 1.0f,
                             gw->grad + (size_t)c0 * D, D, ep.a_rowsum ? &ep : NULL);
                else
                    for (int r = 0; r < rows; r++)
                        for (int c = 0; c < w; c++) ep.a_rowsum[c] += blk[(size_t)r * w + c];
            }
            if (z->grad)                   /* dz[r0..r1) += blk G[c0..c1) */
                apg_gemm(0, 0, rows, D, w, 1.0f, blk, w, gw->data + (size_t)c0 * D, D, 1.0f,
                         z->grad + (size_t)r0 * D, D, NULL);
        }
    }
}
