/* GEMM for the ops (core/gemm.c): BLIS, single-threaded per call, large products cut
 * into fixed blocks of C that the task pool's threads take (core/threads.h), so the
 * result does not depend on the thread count. */
#ifndef APG_GEMM_H
#define APG_GEMM_H

/* Applied to each block of C right after it is computed: c += bias[col] (bias NULL:
 * none), then c = max(c, 0) when relu. */
struct gemm_epilogue {
    const float *bias;
    int relu;
    /* not NULL: a_rowsum[i] += sum over l of op(A)[i][l], l ascending from 0 (a linear
     * layer's bias gradient read while dW = dy^T x packs dy) */
    float *a_rowsum;
};

/* The epilogue on rows [r0, r1), columns [j0, j1) of C (bias[j] for column j). */
void gemm_epilogue_run(const struct gemm_epilogue *ep, float *c, int ldc, int r0, int r1, int j0, int j1);

/* C (m,n) = alpha op(A) op(B) + beta C, op(A) (m,k), op(B) (k,n), then ep (may be NULL);
 * lda/ldb/ldc are the row strides of A, B, C as stored (A is (k,m) in memory when ta).
 * beta 0 ignores C. */
void apg_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
              float beta, float *c, int ldc, const struct gemm_epilogue *ep);

/* core/gemm_pack.c: the same product on BLIS's micro-kernel, the operand that every
 * block of C reads packed once per call and the blocks split over the task pool; 1 when
 * done (epilogue included), 0 when the product is too small for it (or BLIS has no
 * micro-kernel to give). The result depends on the shape alone, not the thread count. */
int gemm_packed(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                float beta, float *c, int ldc, const struct gemm_epilogue *ep);

/* core/gemm_narrow.c: C (m,n) = alpha op(A) B + beta C (B not transposed), then
 * c += bias[col] (bias NULL: none) and max(c, 0) when relu, by hand when n is 1, 8 or
 * 16 or the depth k is 16 or less; 1 when done (epilogue included), 0 when the shape is not
 * one of those. */
int gemm_narrow(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                float beta, float *c, int ldc, const float *bias, int relu);
/* Caps the narrow kernels at an instruction set (0 portable, 2 AVX2 + FMA, 3 AVX-512) for
 * tests comparing them, cap < 0 leaves it; returns the level in use before the call. The
 * kernels of every level give the same bits. */
int gemm_narrow_isa(int cap);
/* A product of at most GEMM_TINY_M rows and GEMM_TINY_MACS multiply-adds (the factor
 * chains of v6-v8, U^l U^r and V^l V^r and their gradients, once a step) runs on the
 * kshort kernel at any depth, B transposed first where it is: with its packing buffers
 * out of cache, BLIS took 17-21 us a call on such shapes, the kernel 2-6. */
#define GEMM_TINY_M 16
#define GEMM_TINY_MACS (1L << 17)
static inline int gemm_tiny(int m, int n, int k) { return m <= GEMM_TINY_M && (long)m * n * k <= GEMM_TINY_MACS; }
/* The backward of a ReLU layer y (R,N) = max(h U^T + b, 0) through rank 8 (h (R,8),
 * U (N,8): APG's decomposed layers), one pass over dy instead of three: with
 * dz = dy [y > 0] (written over dy), db += column sums of dz (db NULL: none),
 * dh = dz U + beta_h dh (beta_h 0 or 1; dh NULL: none), dU += dz^T h (dU NULL: none).
 * The same bits as the mask-and-sum pass and the two n = 8 products it replaces (every
 * sum in the same order, the same fused multiply-adds). Only where gemm_n8_relu_fits:
 * R and N above GEMM_SMALL_M, N <= GEMM_N8_RELU_MAX_N, AVX2 + FMA. */
#define GEMM_N8_RELU_MAX_N 1024
#define GEMM_SMALL_M 2   /* apg_gemm runs products of this many rows or fewer by dot products */
int  gemm_n8_relu_fits(int R, int N);
void gemm_n8_relu_backward(int R, int N, const float *y, float *dy, const float *h, const float *u,
                           float *db, float *dh, float beta_h, float *du);

#endif
