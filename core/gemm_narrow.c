/* GEMMs with one narrow dimension, by hand: APG's decomposed layers multiply through
 * rank K = 8, and BLIS's kernels (blocked for wide panels on every side) run those
 * products at 15-20 GFLOP/s here against 80-95 for the wide ones (V x: N = 8; U's
 * backward dh = dy U: N = 8; dU = dy^T h: N = 8).
 * Row-major, C (m,n) = alpha op(A) op(B) + beta C (beta 0 ignores C):
 *   n8:    op(A) B, n = 8                   8 rows of C held in 8 vector registers over k
 *   n8_rest: the rows n8 leaves, one at a time
 * (a depth k <= 16, e.g. h U^T, and a narrow m, e.g. dV = dh^T x, stay with BLIS, which
 * runs them at 25-65 GFLOP/s).
 * Each sum runs over k in order, so results do not depend on how C is cut into blocks.
 * Built twice, for AVX2 + FMA and for the baseline ISA, picked at run time. */
#include "gemm.h"
#include <stddef.h>

#define NARROW_KERNELS(SFX, ATTR)                                                                 \
/* n = 8: 8 rows of C in 8 vector accumulators; row i of op(A) at a + i*si, its p-th \
 * entry at + p*sp (A: si = lda, sp = 1; A^T: si = 1, sp = lda). Returns the rows done. */ \
ATTR static int n8_##SFX(int m, int k, float alpha, const float *a, size_t si, size_t sp, const float *b, \
                         int ldb, float beta, float *c, int ldc)                                 \
{                                                                                                 \
    int i = 0;                                                                                    \
    for (; i + 8 <= m; i += 8) {                                                                  \
        float acc[8][8];                                                                          \
        for (int r = 0; r < 8; r++)                                                               \
            for (int j = 0; j < 8; j++) acc[r][j] = 0.0f;                                         \
        const float *ai = a + (size_t)i * si;                                                     \
        for (int p = 0; p < k; p++) {                                                             \
            const float *bp = b + (size_t)p * ldb, *ap = ai + (size_t)p * sp;                     \
            for (int r = 0; r < 8; r++) {                                                         \
                float x = ap[(size_t)r * si];                                                     \
                for (int j = 0; j < 8; j++) acc[r][j] += x * bp[j];                               \
            }                                                                                     \
        }                                                                                         \
        for (int r = 0; r < 8; r++) {                                                             \
            float *cr = c + (size_t)(i + r) * ldc;                                                \
            for (int j = 0; j < 8; j++) cr[j] = alpha * acc[r][j] + (beta != 0.0f ? beta * cr[j] : 0.0f); \
        }                                                                                         \
    }                                                                                             \
    return i;                                                                                     \
}                                                                                                 \
ATTR static void n8_rest_##SFX(int m, int k, float alpha, const float *a, size_t si, size_t sp, const float *b, \
                              int ldb, float beta, float *c, int ldc)                            \
{                                                                                                 \
    /* the rows n8 leaves (m < 8), one at a time, same strides */                              \
    for (int i = 0; i < m; i++) {                                                                 \
        float acc[8] = { 0 };                                                                     \
        for (int p = 0; p < k; p++) {                                                             \
            float x = a[(size_t)i * si + (size_t)p * sp];                                         \
            for (int j = 0; j < 8; j++) acc[j] += x * b[(size_t)p * ldb + j];                     \
        }                                                                                         \
        float *cr = c + (size_t)i * ldc;                                                          \
        for (int j = 0; j < 8; j++) cr[j] = alpha * acc[j] + (beta != 0.0f ? beta * cr[j] : 0.0f); \
    }                                                                                             \
}

#if defined(__x86_64__) && defined(__GNUC__)
NARROW_KERNELS(avx2, __attribute__((target("avx2,fma"))))
#endif
NARROW_KERNELS(base, )

static int narrow_avx2(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    static int v = -1;
    if (v < 0) v = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return v;
#else
    return 0;
#endif
}

int gemm_narrow(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                float beta, float *c, int ldc)
{
    if (tb || m < 1 || n < 1 || k < 1) return 0;
    int avx = narrow_avx2();
#if defined(__x86_64__) && defined(__GNUC__)
#define NARROW_CALL(NAME, ...) (avx ? NAME##_avx2(__VA_ARGS__) : NAME##_base(__VA_ARGS__))
#else
#define NARROW_CALL(NAME, ...) NAME##_base(__VA_ARGS__)
#endif
    (void)avx;
    if (n == 8) {                                  /* rank 8: 8 rows at a time, then the rest */
        size_t si = ta ? 1 : (size_t)lda, sp = ta ? (size_t)lda : 1;   /* op(A)[i][p] = a[i si + p sp] */
        int done = NARROW_CALL(n8, m, k, alpha, a, si, sp, b, ldb, beta, c, ldc);
        if (done < m)
            NARROW_CALL(n8_rest, m - done, k, alpha, a + (size_t)done * si, si, sp, b, ldb, beta, c + (size_t)done * ldc,
                        ldc);
        return 1;
    }
    return 0;
}
