/* lrmv: APG v2's per-row product with its materialised weights (paper 3.2.1, Table 5),
 *   y_r = W_r x_r,  W_r = U T_r,  T_r = S_r V,
 *   U (N,K), S (R, K*K) one row-major (K,K) S_r per row, V (K,M), x (R,M) -> y (R,N).
 * Per row, T_r = S_r V (K x M) is formed in an L1 scratch and each row of W_r = U T_r at a
 * time from it, so neither the R*K*M floats of all T_r nor the R*N*M of all W_r go through
 * memory; the cost stays the form's O(NMK) per instance (plus K^2 M for T_r).
 * Caches (cache): the scratch of T_r, dT_r and V^T (K*M each), then, when the node needs
 * a gradient, the per-chunk partials of dU (N*K) and dV (K*M).
 * backward (the materialised graph's products through dW_r = dy_r x_r^T, lrmv_row_backward):
 *   dx_r += W_r^T dy_r (as T_r^T (U^T dy_r)),  dT_r = U^T dW_r,  dU += sum_r dW_r T_r^T,
 *   then dS_r = dT_r V^T and dV += S_r^T dT_r (lrmv_sv_backward).
 * dU and dV sum fixed chunks of LRMV_CHUNK rows, then the chunks in order: the result
 * does not depend on the thread count. */
#include "ops.h"
#include "op.h"
#include "ops_check.h"
#include "gemm.h"
#include "arena.h"
#include <string.h>

#define LRMV_CHUNK 64

#if defined(__GNUC__)
#define LRMV_KERNEL static inline __attribute__((always_inline))
#else
#define LRMV_KERNEL static inline
#endif

struct tensor *t_lrmv(struct graph *g, struct tensor *u, struct tensor *s, struct tensor *v, struct tensor *x)
{
    ops_check_operand("lrmv", u);
    ops_check_operand("lrmv", s);
    ops_check_operand("lrmv", v);
    ops_check_operand("lrmv", x);
    OPS_CHECK_SHAPE(u->ndim == 2, "lrmv", u, s, "U must be (N,K)");
    int N = u->shape[0], K = u->shape[1], M = tensor_cols(x), R = tensor_rows(x);
    OPS_CHECK_SHAPE(v->ndim == 2 && v->shape[0] == K && v->shape[1] == M, "lrmv", u, v,
                    "V must be (K, cols(x)) for U (N,K)");
    OPS_CHECK_SHAPE(s->size == R * K * K, "lrmv", s, x, "S must hold rows(x) K x K matrices for U (N,K)");
    int shape[TENSOR_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = N;
    struct tensor *y = graph_node(g, OP_LRMV, x->ndim, shape, 4, (struct tensor *[]){ u, s, v, x });
    size_t nch = (size_t)(R + LRMV_CHUNK - 1) / LRMV_CHUNK, partials = 0;
    if (y->flags & T_NEEDS_GRAD) partials = nch * ((size_t)N * K + (size_t)K * M);
    y->cache = arena_alloc(&g->arena, sizeof(float) * (partials + 3 * (size_t)K * M));
    return graph_run(g, y);
}

/* T (K,M) = S (K,K) V (K,M) */
LRMV_KERNEL void lrmv_t(const float *restrict S, const float *restrict V, float *restrict T, int K, int M)
{
    for (int k = 0; k < K; k++) {
        float *restrict t = T + (size_t)k * M;
        float s0 = S[k * K];
        #pragma omp simd
        for (int m = 0; m < M; m++) t[m] = s0 * V[m];
        for (int j = 1; j < K; j++) {
            float sj = S[k * K + j];
            const float *restrict vj = V + (size_t)j * M;
            #pragma omp simd
            for (int m = 0; m < M; m++) t[m] += sj * vj[m];
        }
    }
}

/* dS (K,K) = dT V^T (stored when store_s, else added; dS may be NULL) from VT = V^T
 * (M,K), a K-float multiply-add per m for each row of dS (no horizontal sums), and dV
 * (K,M) += S^T dT (dV may be NULL), dT (K,M) */
LRMV_KERNEL void lrmv_sv_backward(const float *restrict S, const float *restrict VT, const float *restrict dT,
                                  float *restrict dS, float *restrict dV, int store_s, int K, int M)
{
    for (int k = 0; dS && k < K; k++) {
        float acc[K > 0 ? K : 1];
        for (int j = 0; j < K; j++) acc[j] = 0.0f;
        const float *restrict dt = dT + (size_t)k * M;
        for (int m = 0; m < M; m++) {
            float d = dt[m];
            const float *restrict vt = VT + (size_t)m * K;
            #pragma omp simd
            for (int j = 0; j < K; j++) acc[j] += d * vt[j];
        }
        for (int j = 0; j < K; j++) dS[k * K + j] = store_s ? acc[j] : dS[k * K + j] + acc[j];
    }
    for (int j = 0; dV && j < K; j++) {
        float *restrict dv = dV + (size_t)j * M;
        for (int k = 0; k < K; k++) {
            float sv = S[k * K + j];
            const float *restrict dt = dT + (size_t)k * M;
            #pragma omp simd
            for (int m = 0; m < M; m++) dv[m] += sv * dt[m];
        }
    }
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
LRMV_KERNEL void lrmv_row_forward(const float *restrict U, const float *restrict T,
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

/* One row r of the backward, dW = dy x^T (N,M) formed piece by piece in registers:
 *   dx (M) += W^T dy = T^T (U^T dy)  (W is not kept: O((N+M)K), not a rebuild of W),
 *   dT (K,M) += U^T dW, LRMV_VW columns m at a time over every n   O(NMK),
 *   dU (N,K) += dW T^T, LRMV_VW rows n at a time over every m      O(NMK),
 * the two products the materialised graph's backward runs. Every accumulator chain is
 * one of K independent ones, so the fused multiply-adds pipeline. dx, dT, dU may be NULL;
 * store_t: dT is stored, not added to (its first writer). */
#define LRMV_VW 16     /* the widest vw */
LRMV_KERNEL void lrmv_row_backward(const float *restrict U, const float *restrict T,
                                    const float *restrict x, const float *restrict dy,
                                    float *restrict dx, float *restrict dT, float *restrict dU,
                                    int store_t, int N, int K, int M, int vw)
{
    if (dx) {
        float c[K > 0 ? K : 1];
        for (int k = 0; k < K; k++) c[k] = 0.0f;
        for (int n = 0; n < N; n++) {
            float g = dy[n];
            LRMV_UNROLL
            for (int k = 0; k < K; k++) c[k] += U[(size_t)n * K + k] * g;
        }
        for (int k = 0; k < K; k++) {
            const float *restrict tk = T + (size_t)k * M;
            float ck = c[k];
            #pragma omp simd
            for (int m = 0; m < M; m++) dx[m] += tk[m] * ck;
        }
    }
    if (dT) {
        for (int m0 = 0; m0 < M; m0 += vw) {
            int w = M - m0 < vw ? M - m0 : vw;
            float acc[K > 0 ? K : 1][LRMV_VW], xv[LRMV_VW];
            for (int j = 0; j < vw; j++) xv[j] = j < w ? x[m0 + j] : 0.0f;
            LRMV_UNROLL
            for (int k = 0; k < K; k++)
                for (int j = 0; j < vw; j++) acc[k][j] = 0.0f;
            for (int n = 0; n < N; n++) {
                float g = dy[n], d[LRMV_VW];
                for (int j = 0; j < vw; j++) d[j] = g * xv[j];
                LRMV_UNROLL
                for (int k = 0; k < K; k++) {
                    float u = U[(size_t)n * K + k];
                    for (int j = 0; j < vw; j++) acc[k][j] += u * d[j];
                }
            }
            for (int k = 0; k < K; k++)
                for (int j = 0; j < w; j++)
                    dT[(size_t)k * M + m0 + j] = store_t ? acc[k][j] : dT[(size_t)k * M + m0 + j] + acc[k][j];
        }
    }
    if (dU) {
        for (int n0 = 0; n0 < N; n0 += vw) {
            int w = N - n0 < vw ? N - n0 : vw;
            float acc[K > 0 ? K : 1][LRMV_VW], g[LRMV_VW];
            for (int j = 0; j < vw; j++) g[j] = j < w ? dy[n0 + j] : 0.0f;
            LRMV_UNROLL
            for (int k = 0; k < K; k++)
                for (int j = 0; j < vw; j++) acc[k][j] = 0.0f;
            for (int m = 0; m < M; m++) {
                float xm = x[m], d[LRMV_VW];
                for (int j = 0; j < vw; j++) d[j] = g[j] * xm;
                LRMV_UNROLL
                for (int k = 0; k < K; k++) {
                    float t = T[(size_t)k * M + m];
                    for (int j = 0; j < vw; j++) acc[k][j] += t * d[j];
                }
            }
            for (int j = 0; j < w; j++)
                for (int k = 0; k < K; k++) dU[(size_t)(n0 + j) * K + k] += acc[k][j];
        }
    }
}

/* The row loops, compiled for the build's baseline ISA and, on x86-64 GCC, for AVX2 + FMA
 * and for AVX-512 (vw = 16: the dT, dU blocks in 16-float vectors), picked at run time
 * (gemm_narrow_isa). The same machine always takes the same path: reproducible results. */
#define LRMV_LOOPS(SFX, ATTR, VW)                                                         \
ATTR static void lrmv_forward_##SFX(const float *ud, const float *sd, const float *vd,  \
                                    const float *xd, float *y, float *T, int R, int N,  \
                                    int K, int M)                                       \
{                                                                                       \
    for (int r = 0; r < R; r++) {                                                       \
        const float *xr = xd + (size_t)r * M;                                           \
        float *yr = y + (size_t)r * N;                                                  \
        lrmv_t(sd + (size_t)r * K * K, vd, T, K, M);                                    \
        LRMV_BY_K(K, LRMV_FWD)                                                          \
    }                                                                                   \
}                                                                                       \
ATTR static void lrmv_backward_##SFX(const float *ud, const float *sd, const float *vd, \
                                     const float *xd, const float *dy, float *du,       \
                                     float *dvp, float *ds, float *dx, float *T,        \
                                     float *dT, int R, int N, int K, int M, int nch,    \
                                     int store_s)                                       \
{                                                                                       \
    const int vw = VW;   /* the dT, dU blocks: one vector of floats */                  \
    float *dTr = ds || dvp ? dT : NULL, *VT = dT + (size_t)K * M;                       \
    for (int j = 0; j < K; j++)                          /* V^T (M,K) for dS */         \
        for (int m = 0; m < M; m++) VT[(size_t)m * K + j] = vd[(size_t)j * M + m];      \
    for (int c = 0; c < nch; c++) {                                                     \
        float *duc = du ? du + (size_t)c * N * K : NULL;                                \
        float *dvc = dvp ? dvp + (size_t)c * K * M : NULL;                              \
        if (duc) memset(duc, 0, sizeof(float) * (size_t)N * K);                         \
        if (dvc) memset(dvc, 0, sizeof(float) * (size_t)K * M);                         \
        int r1 = (c + 1) * LRMV_CHUNK < R ? (c + 1) * LRMV_CHUNK : R;                   \
        for (int r = c * LRMV_CHUNK; r < r1; r++) {                                     \
            const float *Sr = sd + (size_t)r * K * K, *xr = xd + (size_t)r * M;         \
            const float *dyr = dy + (size_t)r * N;                                      \
            float *dxr = dx ? dx + (size_t)r * M : NULL;                                \
            float *dSr = ds ? ds + (size_t)r * K * K : NULL;                            \
            lrmv_t(Sr, vd, T, K, M);                                                    \
            LRMV_BY_K(K, LRMV_BWD)                                                      \
        }                                                                               \
    }                                                                                   \
}
#define LRMV_FWD(KK) lrmv_row_forward(ud, T, xr, yr, N, KK, M)
#define LRMV_BWD(KK)                                                                    \
    {                                                                                   \
        lrmv_row_backward(ud, T, xr, dyr, dxr, dTr, duc, 1, N, KK, M, vw);              \
        if (dTr) lrmv_sv_backward(Sr, VT, dTr, dSr, dvc, store_s, KK, M);               \
    }
LRMV_LOOPS(base, , 8)
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LRMV_WIDE 1
LRMV_LOOPS(avx2, __attribute__((target("avx2,fma"), optimize("fp-contract=fast"))), 8)
LRMV_LOOPS(avx512, __attribute__((target("avx512f,avx512vl,fma,prefer-vector-width=512"), optimize("fp-contract=fast"))), 16)
#endif
#undef LRMV_FWD
#undef LRMV_BWD

/* The chunk partials of dU (n floats each) summed in order into g. */
static void lrmv_sum_chunks(float *restrict g, const float *restrict part, int nch, size_t n)
{
    for (int c = 0; c < nch; c++)
        for (size_t i = 0; i < n; i++) g[i] += part[(size_t)c * n + i];
}

void op_lrmv_forward(struct tensor *out)
{
    const struct tensor *u = out->src[0], *s = out->src[1], *v = out->src[2], *x = out->src[3];
    int N = u->shape[0], K = u->shape[1], M = tensor_cols(x), R = tensor_rows(x);
    float *T = out->cache;
#ifdef LRMV_WIDE
    int isa = gemm_narrow_isa(-1);
    if (isa >= 3) {
        lrmv_forward_avx512(u->data, s->data, v->data, x->data, out->data, T, R, N, K, M);
        return;
    }
    if (isa >= 2) {
        lrmv_forward_avx2(u->data, s->data, v->data, x->data, out->data, T, R, N, K, M);
        return;
    }
#endif
    lrmv_forward_base(u->data, s->data, v->data, x->data, out->data, T, R, N, K, M);
}

void op_lrmv_backward(struct tensor *out)
{
    struct tensor *u = out->src[0], *s = out->src[1], *v = out->src[2], *x = out->src[3];
    int N = u->shape[0], K = u->shape[1], M = tensor_cols(x), R = tensor_rows(x);
    int nch = (R + LRMV_CHUNK - 1) / LRMV_CHUNK;
    float *T = out->cache, *dT = T + (size_t)K * M, *parts = T + 3 * (size_t)K * M;   /* dT, V^T, then partials */
    float *du = u->grad ? parts : NULL, *dv = v->grad ? parts + (size_t)nch * N * K : NULL;
    int store_s = s->grad ? grad_first_write(s) : 0;   /* T_GRAD_FRESH: every element stored */
#ifdef LRMV_WIDE
    int isa = gemm_narrow_isa(-1);
    if (isa >= 3)
        lrmv_backward_avx512(u->data, s->data, v->data, x->data, out->grad, du, dv, s->grad, x->grad, T, dT, R, N,
                             K, M, nch, store_s);
    else if (isa >= 2)
        lrmv_backward_avx2(u->data, s->data, v->data, x->data, out->grad, du, dv, s->grad, x->grad, T, dT, R, N, K,
                           M, nch, store_s);
    else
#endif
        lrmv_backward_base(u->data, s->data, v->data, x->data, out->grad, du, dv, s->grad, x->grad, T, dT, R, N, K,
                           M, nch, store_s);
    if (du) lrmv_sum_chunks(u->grad, du, nch, (size_t)N * K);
    if (dv) lrmv_sum_chunks(v->grad, dv, nch, (size_t)K * M);
}
