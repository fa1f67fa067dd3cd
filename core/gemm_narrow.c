/* GEMMs with one narrow dimension, by hand: APG's decomposed layers multiply through
 * rank K = 8, and BLIS's kernels (blocked for wide panels on every side, packing both
 * operands on every call) run those products at 15-30 GFLOP/s here against 80-95 for
 * the wide ones. Row-major, C (m,n) = alpha op(A) op(B) + beta C (beta 0 ignores C):
 *   n8:     op(A) B with n = 8 (V x; U's backward dh = dy U; dU = dy^T h): 8 rows of C
 *           in 8 vector accumulators over the depth k;
 *   n16:    the same with n = 16 (AutoInt's dx = dy W and dW = dy^T x at a width of one
 *           embedding), 4 rows of C in 8 accumulators;
 *   n1:     A b, one column (a one-output layer's x w^T): a dot product per row;
 *   kshort: op(A) B with a depth k <= KSHORT_MAX (h U^T, the forward through U), or
 *           any depth when the product is tiny (gemm_tiny: v6-v8's factor chains): B's
 *           k rows stay in L1, 2 rows x 32 columns of C in 8 accumulators, the
 *           epilogue (bias, ReLU) applied in registers before C is stored.
 *   n8 ReLU backward (gemm_n8_relu_backward): the mask, the bias gradient, dh = dz U
 *           and dU += dz^T h of a rank-8 ReLU layer in one pass over dy, 8 rows at a
 *           time, where the op on one thread ran three (the mask-and-sum pass and two
 *           n8 products) with the same sums in the same order.
 * A narrow m (dV = dh^T x) stays with BLIS, which runs it at 25-65 GFLOP/s.
 * Every entry of C is one fused multiply-add chain over p = 0..k-1 in order, then
 * alpha, beta and the epilogue, whatever block or lane holds it: the result does not
 * depend on how C is cut into blocks (thread-count independence). The AVX2 + FMA
 * kernels are picked at run time, and kshort and the n8 ReLU backward on AVX-512 where
 * the CPU has it (the same bits); elsewhere n8 has a portable version and kshort leaves
 * the product to BLIS. */
#include "gemm.h"
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define KSHORT_MAX 16

/* Portable n8: the rows of C one at a time. */
static void n8_base(int m, int k, float alpha, const float *a, size_t si, size_t sp, const float *b, int ldb,
                    float beta, float *c, int ldc)
{
    for (int i = 0; i < m; i++) {
        float acc[8] = { 0 };
        for (int p = 0; p < k; p++) {
            float x = a[(size_t)i * si + (size_t)p * sp];
            for (int j = 0; j < 8; j++) acc[j] += x * b[(size_t)p * ldb + j];
        }
        float *cr = c + (size_t)i * ldc;
        for (int j = 0; j < 8; j++) cr[j] = alpha * acc[j] + (beta != 0.0f ? beta * cr[j] : 0.0f);
    }
}

/* The widest kernels the CPU runs, capped by gemm_narrow_isa: 0 portable, 2 AVX2 + FMA,
 * 3 AVX-512 as well (narrow_isa). */
static int isa_cap = 3;

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define AVX2 __attribute__((target("avx2,fma")))

/* alpha acc + beta C(row), stored to the 8 floats at cr. */
AVX2 static inline void n8_store(float *cr, __m256 acc, float alpha, float beta)
{
    __m256 v = _mm256_mul_ps(_mm256_set1_ps(alpha), acc);
    if (beta != 0.0f) v = _mm256_add_ps(v, _mm256_mul_ps(_mm256_set1_ps(beta), _mm256_loadu_ps(cr)));
    _mm256_storeu_ps(cr, v);
}

/* n = 8; row i of op(A) at a + i*si, its p-th entry at + p*sp (A: si = lda, sp = 1;
 * A^T: si = 1, sp = lda). */
AVX2 static void n8_avx2(int m, int k, float alpha, const float *a, size_t si, size_t sp, const float *b, int ldb,
                         float beta, float *c, int ldc)
{
    int i = 0;
    for (; i + 8 <= m; i += 8) {
        __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        const float *ai = a + (size_t)i * si;
        for (int p = 0; p < k; p++) {
            __m256 bp = _mm256_loadu_ps(b + (size_t)p * ldb);
            const float *ap = ai + (size_t)p * sp;
            c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(ap), bp, c0);
            c1 = _mm256_fmadd_ps(_mm256_broadcast_ss(ap + si), bp, c1);
            c2 = _mm256_fmadd_ps(_mm256_broadcast_ss(ap + 2 * si), bp, c2);
            c3 = _mm256_fmadd_ps(_mm256_broadcast_ss(ap + 3 * si), bp, c3);
            c4 = _mm256_fmadd_ps(_mm256_broadcast_ss(ap + 4 * si), bp, c4);
            c5 = _mm256_fmadd_ps(_mm256_broadcast_ss(ap + 5 * si), bp, c5);
            c6 = _mm256_fmadd_ps(_mm256_broadcast_ss(ap + 6 * si), bp, c6);
            c7 = _mm256_fmadd_ps(_mm256_broadcast_ss(ap + 7 * si), bp, c7);
        }
        float *ci = c + (size_t)i * ldc;
        n8_store(ci, c0, alpha, beta);
        n8_store(ci + ldc, c1, alpha, beta);
        n8_store(ci + 2 * (size_t)ldc, c2, alpha, beta);
        n8_store(ci + 3 * (size_t)ldc, c3, alpha, beta);
        n8_store(ci + 4 * (size_t)ldc, c4, alpha, beta);
        n8_store(ci + 5 * (size_t)ldc, c5, alpha, beta);
        n8_store(ci + 6 * (size_t)ldc, c6, alpha, beta);
        n8_store(ci + 7 * (size_t)ldc, c7, alpha, beta);
    }
    for (; i < m; i++) {                          /* the last m % 8 rows, one at a time */
        __m256 acc = _mm256_setzero_ps();
        for (int p = 0; p < k; p++)
            acc = _mm256_fmadd_ps(_mm256_broadcast_ss(a + (size_t)i * si + (size_t)p * sp),
                                  _mm256_loadu_ps(b + (size_t)p * ldb), acc);
        n8_store(c + (size_t)i * ldc, acc, alpha, beta);
    }
}

/* n = 16, the same strides: 4 rows of C at a time in 2 vectors each. */
AVX2 static void n16_avx2(int m, int k, float alpha, const float *a, size_t si, size_t sp, const float *b, int ldb,
                          float beta, float *c, int ldc)
{
    int i = 0;
    for (; i + 4 <= m; i += 4) {
        __m256 c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        const float *ai = a + (size_t)i * si;
        for (int p = 0; p < k; p++) {
            const float *bp = b + (size_t)p * ldb, *ap = ai + (size_t)p * sp;
            __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
            __m256 x0 = _mm256_broadcast_ss(ap), x1 = _mm256_broadcast_ss(ap + si);
            __m256 x2 = _mm256_broadcast_ss(ap + 2 * si), x3 = _mm256_broadcast_ss(ap + 3 * si);
            c0 = _mm256_fmadd_ps(x0, b0, c0); c1 = _mm256_fmadd_ps(x0, b1, c1);
            c2 = _mm256_fmadd_ps(x1, b0, c2); c3 = _mm256_fmadd_ps(x1, b1, c3);
            c4 = _mm256_fmadd_ps(x2, b0, c4); c5 = _mm256_fmadd_ps(x2, b1, c5);
            c6 = _mm256_fmadd_ps(x3, b0, c6); c7 = _mm256_fmadd_ps(x3, b1, c7);
        }
        float *ci = c + (size_t)i * ldc;
        n8_store(ci, c0, alpha, beta);
        n8_store(ci + 8, c1, alpha, beta);
        n8_store(ci + ldc, c2, alpha, beta);
        n8_store(ci + ldc + 8, c3, alpha, beta);
        n8_store(ci + 2 * (size_t)ldc, c4, alpha, beta);
        n8_store(ci + 2 * (size_t)ldc + 8, c5, alpha, beta);
        n8_store(ci + 3 * (size_t)ldc, c6, alpha, beta);
        n8_store(ci + 3 * (size_t)ldc + 8, c7, alpha, beta);
    }
    for (; i < m; i++) {                          /* the last m % 4 rows */
        __m256 c0 = _mm256_setzero_ps(), c1 = c0;
        for (int p = 0; p < k; p++) {
            __m256 x0 = _mm256_broadcast_ss(a + (size_t)i * si + (size_t)p * sp);
            c0 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(b + (size_t)p * ldb), c0);
            c1 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(b + (size_t)p * ldb + 8), c1);
        }
        n8_store(c + (size_t)i * ldc, c0, alpha, beta);
        n8_store(c + (size_t)i * ldc + 8, c1, alpha, beta);
    }
}

/* alpha acc + beta C, + bias, max(., 0), stored to 8 floats of C. */
AVX2 static inline void ks_store(float *cj, __m256 acc, float alpha, float beta, const float *bias, int relu)
{
    __m256 v = alpha == 1.0f ? acc : _mm256_mul_ps(_mm256_set1_ps(alpha), acc);
    if (beta != 0.0f) v = _mm256_add_ps(v, _mm256_mul_ps(_mm256_set1_ps(beta), _mm256_loadu_ps(cj)));
    if (bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bias));
    if (relu) v = _mm256_max_ps(v, _mm256_setzero_ps());
    _mm256_storeu_ps(cj, v);
}

/* The same for one float (the n % 8 columns): the same operations, one lane. */
AVX2 static inline void ks_store1(float *cj, float acc, float alpha, float beta, const float *bias, int relu)
{
    float v = alpha == 1.0f ? acc : alpha * acc;
    if (beta != 0.0f) v = v + beta * *cj;
    if (bias) v = v + *bias;
    if (relu) v = v > 0.0f ? v : 0.0f;
    *cj = v;
}

/* C = alpha A B + beta C, then bias/ReLU; A (m,k) lda, B (k,n) ldb, k <= KSHORT_MAX.
 * Columns in panels of 32 (4 vectors) over row pairs, then panels of 8, then single
 * columns by scalar fma (the same rounding as a vector lane). */
AVX2 static void kshort_avx2(int m, int n, int k, float alpha, const float *a, size_t si, size_t sp, const float *b,
                             int ldb,
                             float beta, float *c, int ldc, const float *bias, int relu)
{
    int j = 0;
    for (; j + 32 <= n; j += 32) {
        int i = 0;
        for (; i + 2 <= m; i += 2) {
            const float *a0 = a + (size_t)i * si, *a1 = a0 + si;
            __m256 x0 = _mm256_setzero_ps(), x1 = x0, x2 = x0, x3 = x0, y0 = x0, y1 = x0, y2 = x0, y3 = x0;
            for (int p = 0; p < k; p++) {
                const float *bp = b + (size_t)p * ldb + j;
                __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8), b2 = _mm256_loadu_ps(bp + 16),
                       b3 = _mm256_loadu_ps(bp + 24);
                __m256 s = _mm256_broadcast_ss(a0 + p * sp), t = _mm256_broadcast_ss(a1 + p * sp);
                x0 = _mm256_fmadd_ps(s, b0, x0); x1 = _mm256_fmadd_ps(s, b1, x1);
                x2 = _mm256_fmadd_ps(s, b2, x2); x3 = _mm256_fmadd_ps(s, b3, x3);
                y0 = _mm256_fmadd_ps(t, b0, y0); y1 = _mm256_fmadd_ps(t, b1, y1);
                y2 = _mm256_fmadd_ps(t, b2, y2); y3 = _mm256_fmadd_ps(t, b3, y3);
            }
            float *c0 = c + (size_t)i * ldc + j, *c1 = c0 + ldc;
            const float *bj = bias ? bias + j : NULL;
            ks_store(c0, x0, alpha, beta, bj, relu);
            ks_store(c0 + 8, x1, alpha, beta, bj ? bj + 8 : NULL, relu);
            ks_store(c0 + 16, x2, alpha, beta, bj ? bj + 16 : NULL, relu);
            ks_store(c0 + 24, x3, alpha, beta, bj ? bj + 24 : NULL, relu);
            ks_store(c1, y0, alpha, beta, bj, relu);
            ks_store(c1 + 8, y1, alpha, beta, bj ? bj + 8 : NULL, relu);
            ks_store(c1 + 16, y2, alpha, beta, bj ? bj + 16 : NULL, relu);
            ks_store(c1 + 24, y3, alpha, beta, bj ? bj + 24 : NULL, relu);
        }
        for (; i < m; i++) {                      /* an odd last row */
            const float *a0 = a + (size_t)i * si;
            __m256 x0 = _mm256_setzero_ps(), x1 = x0, x2 = x0, x3 = x0;
            for (int p = 0; p < k; p++) {
                const float *bp = b + (size_t)p * ldb + j;
                __m256 s = _mm256_broadcast_ss(a0 + p * sp);
                x0 = _mm256_fmadd_ps(s, _mm256_loadu_ps(bp), x0);
                x1 = _mm256_fmadd_ps(s, _mm256_loadu_ps(bp + 8), x1);
                x2 = _mm256_fmadd_ps(s, _mm256_loadu_ps(bp + 16), x2);
                x3 = _mm256_fmadd_ps(s, _mm256_loadu_ps(bp + 24), x3);
            }
            float *c0 = c + (size_t)i * ldc + j;
            const float *bj = bias ? bias + j : NULL;
            ks_store(c0, x0, alpha, beta, bj, relu);
            ks_store(c0 + 8, x1, alpha, beta, bj ? bj + 8 : NULL, relu);
            ks_store(c0 + 16, x2, alpha, beta, bj ? bj + 16 : NULL, relu);
            ks_store(c0 + 24, x3, alpha, beta, bj ? bj + 24 : NULL, relu);
        }
    }
    for (; j + 8 <= n; j += 8)
        for (int i = 0; i < m; i++) {
            const float *a0 = a + (size_t)i * si;
            __m256 x0 = _mm256_setzero_ps();
            for (int p = 0; p < k; p++)
                x0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a0 + p * sp), _mm256_loadu_ps(b + (size_t)p * ldb + j), x0);
            ks_store(c + (size_t)i * ldc + j, x0, alpha, beta, bias ? bias + j : NULL, relu);
        }
    for (; j < n; j++)
        for (int i = 0; i < m; i++) {
            const float *a0 = a + (size_t)i * si;
            float x0 = 0.0f;
            for (int p = 0; p < k; p++) x0 = fmaf(a0[p * sp], b[(size_t)p * ldb + j], x0);
            ks_store1(c + (size_t)i * ldc + j, x0, alpha, beta, bias ? bias + j : NULL, relu);
        }
}

#define AVX512 __attribute__((target("avx512f,avx2,fma")))

/* ks_store on 16 floats of C, the lanes of mask (ks_store's operations, lane by lane). */
AVX512 static inline void ks_store16(float *cj, __m512 acc, float alpha, float beta, const float *bias, int relu,
                                     __mmask16 mask)
{
    __m512 v = alpha == 1.0f ? acc : _mm512_mul_ps(_mm512_set1_ps(alpha), acc);
    if (beta != 0.0f) v = _mm512_add_ps(v, _mm512_mul_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(mask, cj)));
    if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, bias));
    if (relu) v = _mm512_max_ps(v, _mm512_setzero_ps());
    _mm512_mask_storeu_ps(cj, mask, v);
}

/* One row's 64 columns: ks_store16 on 4 vectors, bias at bj (NULL: none). */
AVX512 static inline void ks_store64(float *cr, __m512 x0, __m512 x1, __m512 x2, __m512 x3, float alpha, float beta,
                                     const float *bj, int relu)
{
    const __mmask16 all = 0xffff;
    ks_store16(cr, x0, alpha, beta, bj, relu, all);
    ks_store16(cr + 16, x1, alpha, beta, bj ? bj + 16 : NULL, relu, all);
    ks_store16(cr + 32, x2, alpha, beta, bj ? bj + 32 : NULL, relu, all);
    ks_store16(cr + 48, x3, alpha, beta, bj ? bj + 48 : NULL, relu, all);
}

/* kshort_avx2 on 16-float vectors: columns in panels of 64 over groups of 4 rows, then
 * panels of 16 (the last one masked). Each entry of C is the same fused multiply-add
 * chain over p with the same epilogue as in kshort_avx2: the same bits. */
AVX512 static void kshort_avx512(int m, int n, int k, float alpha, const float *a, size_t si, size_t sp,
                                 const float *b, int ldb,
                                 float beta, float *c, int ldc, const float *bias, int relu)
{
    int j = 0;
    for (; j + 64 <= n; j += 64) {
        const float *bj = bias ? bias + j : NULL;
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            const float *a0 = a + (size_t)i * si, *a1 = a0 + si, *a2 = a1 + si, *a3 = a2 + si;
            __m512 c00 = _mm512_setzero_ps(), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00,
                   c13 = c00, c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
            for (int p = 0; p < k; p++) {
                const float *bp = b + (size_t)p * ldb + j;
                __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + 16), b2 = _mm512_loadu_ps(bp + 32),
                       b3 = _mm512_loadu_ps(bp + 48);
                __m512 s = _mm512_set1_ps(a0[p * sp]);
                c00 = _mm512_fmadd_ps(s, b0, c00); c01 = _mm512_fmadd_ps(s, b1, c01);
                c02 = _mm512_fmadd_ps(s, b2, c02); c03 = _mm512_fmadd_ps(s, b3, c03);
                s = _mm512_set1_ps(a1[p * sp]);
                c10 = _mm512_fmadd_ps(s, b0, c10); c11 = _mm512_fmadd_ps(s, b1, c11);
                c12 = _mm512_fmadd_ps(s, b2, c12); c13 = _mm512_fmadd_ps(s, b3, c13);
                s = _mm512_set1_ps(a2[p * sp]);
                c20 = _mm512_fmadd_ps(s, b0, c20); c21 = _mm512_fmadd_ps(s, b1, c21);
                c22 = _mm512_fmadd_ps(s, b2, c22); c23 = _mm512_fmadd_ps(s, b3, c23);
                s = _mm512_set1_ps(a3[p * sp]);
                c30 = _mm512_fmadd_ps(s, b0, c30); c31 = _mm512_fmadd_ps(s, b1, c31);
                c32 = _mm512_fmadd_ps(s, b2, c32); c33 = _mm512_fmadd_ps(s, b3, c33);
            }
            float *cr = c + (size_t)i * ldc + j;
            ks_store64(cr, c00, c01, c02, c03, alpha, beta, bj, relu);
            ks_store64(cr + ldc, c10, c11, c12, c13, alpha, beta, bj, relu);
            ks_store64(cr + 2 * (size_t)ldc, c20, c21, c22, c23, alpha, beta, bj, relu);
            ks_store64(cr + 3 * (size_t)ldc, c30, c31, c32, c33, alpha, beta, bj, relu);
        }
        for (; i < m; i++) {                      /* the last m % 4 rows */
            const float *a0 = a + (size_t)i * si;
            __m512 x0 = _mm512_setzero_ps(), x1 = x0, x2 = x0, x3 = x0;
            for (int p = 0; p < k; p++) {
                const float *bp = b + (size_t)p * ldb + j;
                __m512 s = _mm512_set1_ps(a0[p * sp]);
                x0 = _mm512_fmadd_ps(s, _mm512_loadu_ps(bp), x0);
                x1 = _mm512_fmadd_ps(s, _mm512_loadu_ps(bp + 16), x1);
                x2 = _mm512_fmadd_ps(s, _mm512_loadu_ps(bp + 32), x2);
                x3 = _mm512_fmadd_ps(s, _mm512_loadu_ps(bp + 48), x3);
            }
            ks_store64(c + (size_t)i * ldc + j, x0, x1, x2, x3, alpha, beta, bj, relu);
        }
    }
    for (; j < n; j += 16) {
        int w = n - j < 16 ? n - j : 16;
        __mmask16 mask = (__mmask16)((1u << w) - 1);
        const float *bj = bias ? bias + j : NULL;
        int i = 0;
        for (; i + 4 <= m; i += 4) {                  /* 4 rows: 4 chains in flight */
            const float *a0 = a + (size_t)i * si, *a1 = a0 + si, *a2 = a1 + si, *a3 = a2 + si;
            __m512 x0 = _mm512_setzero_ps(), x1 = x0, x2 = x0, x3 = x0;
            for (int p = 0; p < k; p++) {
                __m512 bp = _mm512_maskz_loadu_ps(mask, b + (size_t)p * ldb + j);
                x0 = _mm512_fmadd_ps(_mm512_set1_ps(a0[p * sp]), bp, x0);
                x1 = _mm512_fmadd_ps(_mm512_set1_ps(a1[p * sp]), bp, x1);
                x2 = _mm512_fmadd_ps(_mm512_set1_ps(a2[p * sp]), bp, x2);
                x3 = _mm512_fmadd_ps(_mm512_set1_ps(a3[p * sp]), bp, x3);
            }
            float *cr = c + (size_t)i * ldc + j;
            ks_store16(cr, x0, alpha, beta, bj, relu, mask);
            ks_store16(cr + ldc, x1, alpha, beta, bj, relu, mask);
            ks_store16(cr + 2 * (size_t)ldc, x2, alpha, beta, bj, relu, mask);
            ks_store16(cr + 3 * (size_t)ldc, x3, alpha, beta, bj, relu, mask);
        }
        for (; i < m; i++) {
            const float *a0 = a + (size_t)i * si;
            __m512 x0 = _mm512_setzero_ps();
            for (int p = 0; p < k; p++)
                x0 = _mm512_fmadd_ps(_mm512_set1_ps(a0[p * sp]), _mm512_maskz_loadu_ps(mask, b + (size_t)p * ldb + j), x0);
            ks_store16(c + (size_t)i * ldc + j, x0, alpha, beta, bj, relu, mask);
        }
    }
}

/* Rows [i0, i0 + 8) of gemm_n8_relu_backward: first dz = dy [y > 0] over the 8 rows
 * (in place) and db's column sums (rows ascending, as the mask-and-sum pass), then for
 * each column n (ascending) the 8 values dz[i0 + r][n] into dh's 8 row accumulators (n
 * ascending within a row, as n8 runs down a row of dz U) and into dU's row n (rows
 * ascending: the order of the n8 product dz^T h). */
AVX2 static void n8rb_rows8(int N, const float *y, float *dy, const float *h, const float *u, float *acc_db,
                            float *acc_du, __m256 *ch)
{
    int n8 = N & ~7;
    const __m256 zero = _mm256_setzero_ps();
    for (int n0 = 0; n0 < n8; n0 += 8) {
        __m256 sdb = _mm256_loadu_ps(acc_db + n0);
        for (int r = 0; r < 8; r++) {
            float *d = dy + (size_t)r * N + n0;
            __m256 z = _mm256_and_ps(_mm256_loadu_ps(d), _mm256_cmp_ps(_mm256_loadu_ps(y + (size_t)r * N + n0), zero,
                                                                       _CMP_GT_OQ));
            _mm256_storeu_ps(d, z);
            sdb = _mm256_add_ps(sdb, z);
        }
        _mm256_storeu_ps(acc_db + n0, sdb);
    }
    for (int n = n8; n < N; n++)                  /* the last N % 8 columns */
        for (int r = 0; r < 8; r++) {
            float *d = dy + (size_t)r * N + n, z = y[(size_t)r * N + n] > 0.0f ? *d : 0.0f;
            *d = z;
            acc_db[n] += z;
        }
    __m256 h0 = _mm256_loadu_ps(h), h1 = _mm256_loadu_ps(h + 8), h2 = _mm256_loadu_ps(h + 16),
           h3 = _mm256_loadu_ps(h + 24);
    for (int n = 0; n < N; n++) {
        const float *d = dy + n;
        __m256 un = _mm256_loadu_ps(u + (size_t)n * 8), du = _mm256_load_ps(acc_du + (size_t)n * 8);
        __m256 z0 = _mm256_broadcast_ss(d), z1 = _mm256_broadcast_ss(d + N), z2 = _mm256_broadcast_ss(d + 2 * (size_t)N),
               z3 = _mm256_broadcast_ss(d + 3 * (size_t)N);
        ch[0] = _mm256_fmadd_ps(z0, un, ch[0]);
        ch[1] = _mm256_fmadd_ps(z1, un, ch[1]);
        ch[2] = _mm256_fmadd_ps(z2, un, ch[2]);
        ch[3] = _mm256_fmadd_ps(z3, un, ch[3]);
        du = _mm256_fmadd_ps(z0, h0, du);
        du = _mm256_fmadd_ps(z1, h1, du);
        du = _mm256_fmadd_ps(z2, h2, du);
        du = _mm256_fmadd_ps(z3, h3, du);
        __m256 z4 = _mm256_broadcast_ss(d + 4 * (size_t)N), z5 = _mm256_broadcast_ss(d + 5 * (size_t)N),
               z6 = _mm256_broadcast_ss(d + 6 * (size_t)N), z7 = _mm256_broadcast_ss(d + 7 * (size_t)N);
        ch[4] = _mm256_fmadd_ps(z4, un, ch[4]);
        ch[5] = _mm256_fmadd_ps(z5, un, ch[5]);
        ch[6] = _mm256_fmadd_ps(z6, un, ch[6]);
        ch[7] = _mm256_fmadd_ps(z7, un, ch[7]);
        du = _mm256_fmadd_ps(z4, _mm256_loadu_ps(h + 32), du);
        du = _mm256_fmadd_ps(z5, _mm256_loadu_ps(h + 40), du);
        du = _mm256_fmadd_ps(z6, _mm256_loadu_ps(h + 48), du);
        du = _mm256_fmadd_ps(z7, _mm256_loadu_ps(h + 56), du);
        _mm256_store_ps(acc_du + (size_t)n * 8, du);
    }
}

/* One row (the last R % 8), the same operations. */
AVX2 static __m256 n8rb_row1(int N, const float *y, float *dy, const float *h, const float *u, float *acc_db,
                             float *acc_du)
{
    __m256 ch = _mm256_setzero_ps(), hv = _mm256_loadu_ps(h);
    for (int n = 0; n < N; n++) {
        float zr = y[n] > 0.0f ? dy[n] : 0.0f;
        dy[n] = zr;
        acc_db[n] += zr;
        __m256 z = _mm256_set1_ps(zr);
        ch = _mm256_fmadd_ps(z, _mm256_loadu_ps(u + (size_t)n * 8), ch);
        _mm256_store_ps(acc_du + (size_t)n * 8, _mm256_fmadd_ps(z, hv, _mm256_load_ps(acc_du + (size_t)n * 8)));
    }
    return ch;
}

AVX2 static void n8rb_avx2(int R, int N, const float *y, float *dy, const float *h, const float *u, float *db,
                           float *dh, float beta_h, float *du)
{
    float acc_db[GEMM_N8_RELU_MAX_N] __attribute__((aligned(32)));
    float acc_du[GEMM_N8_RELU_MAX_N * 8] __attribute__((aligned(32)));
    for (int n = 0; n < N; n++) acc_db[n] = 0.0f;
    for (int n = 0; n < N * 8; n++) acc_du[n] = 0.0f;
    int i = 0;
    for (; i + 8 <= R; i += 8) {
        __m256 ch[8];
        for (int r = 0; r < 8; r++) ch[r] = _mm256_setzero_ps();
        n8rb_rows8(N, y + (size_t)i * N, dy + (size_t)i * N, h + (size_t)i * 8, u, acc_db, acc_du, ch);
        if (dh)
            for (int r = 0; r < 8; r++) n8_store(dh + (size_t)(i + r) * 8, ch[r], 1.0f, beta_h);
    }
    for (; i < R; i++) {
        __m256 ch = n8rb_row1(N, y + (size_t)i * N, dy + (size_t)i * N, h + (size_t)i * 8, u, acc_db, acc_du);
        if (dh) n8_store(dh + (size_t)i * 8, ch, 1.0f, beta_h);
    }
    if (du)
        for (int n = 0; n < N; n++) n8_store(du + (size_t)n * 8, _mm256_load_ps(acc_du + (size_t)n * 8), 1.0f, 1.0f);
    if (db)
        for (int n = 0; n < N; n++) db[n] += acc_db[n];
}

/* The AVX-512 gemm_n8_relu_backward, the same bits as n8rb_avx2 (each sum a chain in the
 * same order, the same fused multiply-adds), 16 rows at a time. Two outputs per lane
 * pair: dh's accumulator p holds rows 2p, 2p + 1 interleaved (lane 2c + s: dh[2p+s][c]),
 * fed by the pair (dz[2p][n], dz[2p+1][n]) broadcast as 64 bits and u[n] duplicated
 * (u0 u0 u1 u1 ..); dU's accumulators hold columns n, n + 1 interleaved the same way
 * (acc_du: 16 floats per column pair below N16, then 8 per column), fed by (dz[r][n],
 * dz[r][n+1]) and h[r] duplicated. n ascending within a dh chain, r ascending within a
 * dU chain and a db sum, as in n8rb_rows8. */
#define N8RB_CHUNK 128                             /* columns of dz kept as row pairs */

AVX512 static inline __m512 n8rb_dup(const float *v8)   /* v0 v0 v1 v1 .. v7 v7 */
{
    const __m512i dup = _mm512_set_epi32(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
    return _mm512_permutexvar_ps(dup, _mm512_castps256_ps512(_mm256_loadu_ps(v8)));
}

AVX512 static inline __m512 n8rb_pair(const float *p)    /* p0 p1 p0 p1 .. */
{
    double d;
    memcpy(&d, p, sizeof d);
    return _mm512_castpd_ps(_mm512_set1_pd(d));
}

/* The 16 lanes 2c + s of x split into two rows of 8 (s = 0, then s = 1), stored at r0 and
 * r1 as n8_store (1 x + beta r). */
AVX512 static inline void n8rb_unpair(__m512 x, float *r0, float *r1, float beta)
{
    const __m512i odd_even = _mm512_set_epi32(15, 13, 11, 9, 7, 5, 3, 1, 14, 12, 10, 8, 6, 4, 2, 0);
    __m512 v = _mm512_permutexvar_ps(odd_even, x);
    n8_store(r0, _mm512_castps512_ps256(v), 1.0f, beta);
    n8_store(r1, _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)), 1.0f, beta);
}

/* Phase 1 on rows [0, 16) (at y, dy), columns [n0, n0 + nc): dz over dy, db's sums into
 * acc_db, and dz as row pairs into zp (pair p at zp + p 2 N8RB_CHUNK, (dz[2p][n],
 * dz[2p+1][n]) at + 2 (n - n0)). */
AVX512 static void n8rb512_mask(int N, int n0, int nc, const float *y, float *dy, float *acc_db, float *zp)
{
    const __m512i lo_i = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const __m512i hi_i = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
    const __m512 zero = _mm512_setzero_ps();
    for (int j = 0; j < nc; j += 16) {
        int w = nc - j < 16 ? nc - j : 16;
        __mmask16 m = (__mmask16)((1u << w) - 1);
        size_t col = (size_t)(n0 + j);
        __m512 sdb = _mm512_maskz_loadu_ps(m, acc_db + col);
        for (int p = 0; p < 8; p++) {
            __m512 z[2];
            for (int s = 0; s < 2; s++) {
                size_t at = (size_t)(2 * p + s) * N + col;
                __mmask16 pos = _mm512_mask_cmp_ps_mask(m, _mm512_maskz_loadu_ps(m, y + at), zero, _CMP_GT_OQ);
                z[s] = _mm512_maskz_mov_ps(pos, _mm512_maskz_loadu_ps(m, dy + at));
                _mm512_mask_storeu_ps(dy + at, m, z[s]);
                sdb = _mm512_add_ps(sdb, z[s]);
            }
            float *zq = zp + (size_t)p * 2 * N8RB_CHUNK + 2 * (size_t)j;
            _mm512_storeu_ps(zq, _mm512_permutex2var_ps(z[0], lo_i, z[1]));
            _mm512_storeu_ps(zq + 16, _mm512_permutex2var_ps(z[0], hi_i, z[1]));
        }
        _mm512_mask_storeu_ps(acc_db + col, m, sdb);
    }
}

/* dU += dz^T h over rows [0, rows) (at dz, hd: h duplicated, 16 floats a row) for the
 * columns [n0, n1): whole 16-column blocks below n16 as pairs, the rest one by one. */
AVX512 static void n8rb512_du(int N, int rows, int n0, int n1, int n16, const float *dz, const float *h,
                              const float *hd, float *acc_du)
{
    int n = n0;
    for (; n + 16 <= n1 && n + 16 <= n16; n += 16) {
        float *a = acc_du + (size_t)n * 8;
        __m512 d0 = _mm512_load_ps(a), d1 = _mm512_load_ps(a + 16), d2 = _mm512_load_ps(a + 32),
               d3 = _mm512_load_ps(a + 48), d4 = _mm512_load_ps(a + 64), d5 = _mm512_load_ps(a + 80),
               d6 = _mm512_load_ps(a + 96), d7 = _mm512_load_ps(a + 112);
        for (int r = 0; r < rows; r++) {
            const float *z = dz + (size_t)r * N + n;
            __m512 hv = _mm512_load_ps(hd + (size_t)r * 16);
            d0 = _mm512_fmadd_ps(n8rb_pair(z), hv, d0);
            d1 = _mm512_fmadd_ps(n8rb_pair(z + 2), hv, d1);
            d2 = _mm512_fmadd_ps(n8rb_pair(z + 4), hv, d2);
            d3 = _mm512_fmadd_ps(n8rb_pair(z + 6), hv, d3);
            d4 = _mm512_fmadd_ps(n8rb_pair(z + 8), hv, d4);
            d5 = _mm512_fmadd_ps(n8rb_pair(z + 10), hv, d5);
            d6 = _mm512_fmadd_ps(n8rb_pair(z + 12), hv, d6);
            d7 = _mm512_fmadd_ps(n8rb_pair(z + 14), hv, d7);
        }
        _mm512_store_ps(a, d0); _mm512_store_ps(a + 16, d1); _mm512_store_ps(a + 32, d2);
        _mm512_store_ps(a + 48, d3); _mm512_store_ps(a + 64, d4); _mm512_store_ps(a + 80, d5);
        _mm512_store_ps(a + 96, d6); _mm512_store_ps(a + 112, d7);
    }
    for (; n < n1; n++) {                           /* the last N % 16 columns */
        __m256 d = _mm256_load_ps(acc_du + (size_t)n * 8);
        for (int r = 0; r < rows; r++)
            d = _mm256_fmadd_ps(_mm256_broadcast_ss(dz + (size_t)r * N + n), _mm256_loadu_ps(h + (size_t)r * 8), d);
        _mm256_store_ps(acc_du + (size_t)n * 8, d);
    }
}

AVX512 static void n8rb_avx512(int R, int N, const float *y, float *dy, const float *h, const float *u, float *db,
                               float *dh, float beta_h, float *du)
{
    float acc_db[GEMM_N8_RELU_MAX_N] __attribute__((aligned(64)));
    float acc_du[GEMM_N8_RELU_MAX_N * 8] __attribute__((aligned(64)));
    float zp[8 * 2 * N8RB_CHUNK] __attribute__((aligned(64)));
    float hd[16 * 16] __attribute__((aligned(64)));
    int n16 = N & ~15;
    for (int n = 0; n < N; n++) acc_db[n] = 0.0f;
    for (int n = 0; n < N * 8; n++) acc_du[n] = 0.0f;
    int i = 0;
    for (; i + 16 <= R; i += 16) {
        const float *yi = y + (size_t)i * N, *hi = h + (size_t)i * 8;
        float *dyi = dy + (size_t)i * N;
        for (int r = 0; r < 16; r++) _mm512_store_ps(hd + r * 16, n8rb_dup(hi + (size_t)r * 8));
        __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (int n0 = 0; n0 < N; n0 += N8RB_CHUNK) {
            int nc = N - n0 < N8RB_CHUNK ? N - n0 : N8RB_CHUNK;
            n8rb512_mask(N, n0, nc, yi, dyi, acc_db, zp);
            for (int j = 0; j < nc; j++) {
                __m512 un = n8rb_dup(u + (size_t)(n0 + j) * 8);
                const float *z = zp + 2 * (size_t)j;
                c0 = _mm512_fmadd_ps(n8rb_pair(z), un, c0);
                c1 = _mm512_fmadd_ps(n8rb_pair(z + 2 * N8RB_CHUNK), un, c1);
                c2 = _mm512_fmadd_ps(n8rb_pair(z + 4 * N8RB_CHUNK), un, c2);
                c3 = _mm512_fmadd_ps(n8rb_pair(z + 6 * N8RB_CHUNK), un, c3);
                c4 = _mm512_fmadd_ps(n8rb_pair(z + 8 * N8RB_CHUNK), un, c4);
                c5 = _mm512_fmadd_ps(n8rb_pair(z + 10 * N8RB_CHUNK), un, c5);
                c6 = _mm512_fmadd_ps(n8rb_pair(z + 12 * N8RB_CHUNK), un, c6);
                c7 = _mm512_fmadd_ps(n8rb_pair(z + 14 * N8RB_CHUNK), un, c7);
            }
            n8rb512_du(N, 16, n0, n0 + nc, n16, dyi, hi, hd, acc_du);
        }
        if (dh) {
            float *d = dh + (size_t)i * 8;
            n8rb_unpair(c0, d, d + 8, beta_h);       n8rb_unpair(c1, d + 16, d + 24, beta_h);
            n8rb_unpair(c2, d + 32, d + 40, beta_h); n8rb_unpair(c3, d + 48, d + 56, beta_h);
            n8rb_unpair(c4, d + 64, d + 72, beta_h); n8rb_unpair(c5, d + 80, d + 88, beta_h);
            n8rb_unpair(c6, d + 96, d + 104, beta_h); n8rb_unpair(c7, d + 112, d + 120, beta_h);
        }
    }
    for (; i < R; i++) {                             /* the last R % 16 rows, one at a time */
        const float *yi = y + (size_t)i * N, *hi = h + (size_t)i * 8;
        float *dyi = dy + (size_t)i * N;
        __m256 ch = _mm256_setzero_ps();
        for (int n = 0; n < N; n++) {
            float zr = yi[n] > 0.0f ? dyi[n] : 0.0f;
            dyi[n] = zr;
            acc_db[n] += zr;
            ch = _mm256_fmadd_ps(_mm256_set1_ps(zr), _mm256_loadu_ps(u + (size_t)n * 8), ch);
        }
        _mm512_store_ps(hd, n8rb_dup(hi));
        n8rb512_du(N, 1, 0, N, n16, dyi, hi, hd, acc_du);
        if (dh) n8_store(dh + (size_t)i * 8, ch, 1.0f, beta_h);
    }
    if (du) {
        for (int n = 0; n < n16; n += 2)
            n8rb_unpair(_mm512_load_ps(acc_du + (size_t)n * 8), du + (size_t)n * 8, du + (size_t)(n + 1) * 8, 1.0f);
        for (int n = n16; n < N; n++) n8_store(du + (size_t)n * 8, _mm256_load_ps(acc_du + (size_t)n * 8), 1.0f, 1.0f);
    }
    if (db)
        for (int n = 0; n < N; n++) db[n] += acc_db[n];
}

static int narrow_isa(void)
{
    static int v = -1;
    if (v < 0) {
        __builtin_cpu_init();
        v = !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? 0
            : __builtin_cpu_supports("avx512f") ? 3 : 2;
    }
    return v < isa_cap ? v : isa_cap;
}
#else
static int narrow_isa(void) { return 0; }
#endif
static int narrow_avx2(void) { return narrow_isa() >= 2; }

int gemm_narrow_isa(int cap)
{
    int old = narrow_isa();
    if (cap >= 0) isa_cap = cap;
    return old;
}

/* The epilogue on C (m,n) after a kernel that has none (gemm_epilogue_run). */
static void narrow_epilogue(float *c, int ldc, int m, int n, const float *bias, int relu)
{
    struct gemm_epilogue ep = { .bias = bias, .relu = relu };
    if (bias || relu) gemm_epilogue_run(&ep, c, ldc, 0, m, 0, n);
}

/* n = 1 (a one-output layer, x w^T): a dot product per row of A (not transposed), B a
 * column at stride ldb; then the epilogue. */
static void n1_rows(int m, int k, float alpha, const float *a, int lda, const float *b, int ldb, float beta,
                    float *c, int ldc, const float *bias, int relu)
{
    for (int i = 0; i < m; i++) {
        const float *restrict ai = a + (size_t)i * lda;
        float acc = 0.0f;
        if (ldb == 1) {
            #pragma omp simd reduction(+ : acc)
            for (int p = 0; p < k; p++) acc += ai[p] * b[p];
        } else {
            for (int p = 0; p < k; p++) acc += ai[p] * b[(size_t)p * ldb];
        }
        float *ci = c + (size_t)i * ldc;
        *ci = alpha * acc + (beta != 0.0f ? beta * *ci : 0.0f);
    }
    narrow_epilogue(c, ldc, m, 1, bias, relu);
}

int gemm_n8_relu_fits(int R, int N)
{
    return N > GEMM_SMALL_M && N <= GEMM_N8_RELU_MAX_N && R > GEMM_SMALL_M && narrow_avx2();
}

void gemm_n8_relu_backward(int R, int N, const float *y, float *dy, const float *h, const float *u,
                           float *db, float *dh, float beta_h, float *du)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (gemm_n8_relu_fits(R, N)) {
        if (narrow_isa() >= 3) n8rb_avx512(R, N, y, dy, h, u, db, dh, beta_h, du);
        else n8rb_avx2(R, N, y, dy, h, u, db, dh, beta_h, du);
        return;
    }
#endif
    (void)y; (void)dy; (void)h; (void)u; (void)db; (void)dh; (void)beta_h; (void)du;
    abort();                                      /* a caller that did not ask gemm_n8_relu_fits */
}

int gemm_narrow(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                float beta, float *c, int ldc, const float *bias, int relu)
{
    if (tb || m < 1 || n < 1 || k < 1) return 0;
    if (n == 1 && !ta) {
        n1_rows(m, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu);
        return 1;
    }
    int avx = narrow_avx2();
    if (n == 8) {
        size_t si = ta ? 1 : (size_t)lda, sp = ta ? (size_t)lda : 1;   /* op(A)[i][p] = a[i si + p sp] */
#if defined(__x86_64__) && defined(__GNUC__)
        if (avx) n8_avx2(m, k, alpha, a, si, sp, b, ldb, beta, c, ldc);
        else
#endif
            n8_base(m, k, alpha, a, si, sp, b, ldb, beta, c, ldc);
        narrow_epilogue(c, ldc, m, 8, bias, relu);
        return 1;
    }
#if defined(__x86_64__) && defined(__GNUC__)
    if (avx && n == 16 && k > KSHORT_MAX) {       /* an embedding-wide product (AutoInt's dx, dW) */
        size_t si = ta ? 1 : (size_t)lda, sp = ta ? (size_t)lda : 1;
        n16_avx2(m, k, alpha, a, si, sp, b, ldb, beta, c, ldc);
        narrow_epilogue(c, ldc, m, 16, bias, relu);
        return 1;
    }
    if (avx && n >= 8 && (k <= KSHORT_MAX || gemm_tiny(m, n, k))) {
        size_t si = ta ? 1 : (size_t)lda, sp = ta ? (size_t)lda : 1;
        if (narrow_isa() >= 3) kshort_avx512(m, n, k, alpha, a, si, sp, b, ldb, beta, c, ldc, bias, relu);
        else kshort_avx2(m, n, k, alpha, a, si, sp, b, ldb, beta, c, ldc, bias, relu);
        return 1;
    }
#endif
    return 0;
}
