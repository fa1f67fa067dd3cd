/* GEMM through BLIS for the ops: row-major operands, a transposed B copied row-major
 * first when small, large products split over the task pool, and an optional epilogue
 * (bias, ReLU) applied to each block of C while it is in cache. */
#include "gemm.h"
#include "threads.h"
#include "arena.h"
#include <blis.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* B^T of a transposed B (n,k) as stored, row-major (k,n), for linalg_sgemm: BLIS runs
 * op(B) = B^T from row-major storage 1.3-4x slower than a row-major (k,n) B on these
 * machines (x W^T of every linear layer: 67 vs 93 GFLOP/s at 1024x256x112, 13 vs 56 at
 * K = 8), so a B up to LINALG_TB_MAX floats is transposed first (n*k copies against
 * m*n*k multiply-adds). The buffer is per thread and only grows (the first steps). */
#define LINALG_TB_MAX (1 << 17)
/* GEMMs from this many multiply-adds are split over the threads, in blocks of C of
 * LINALG_SPLIT_ROWS rows or LINALG_SPLIT_COLS columns. */
#define LINALG_SPLIT_MIN  (1L << 18)
#define LINALG_SPLIT_ROWS 128
#define LINALG_SPLIT_COLS 64
static _Thread_local float *tb_buf;
static _Thread_local size_t tb_cap;
/* The buffer of a pool worker (which runs whole forward passes under --micro-batches)
 * is freed when the worker exits: a key whose destructor frees it. */
static pthread_key_t tb_key;
static pthread_once_t tb_once = PTHREAD_ONCE_INIT;
static void tb_key_init(void) { pthread_key_create(&tb_key, free); }

static const float *linalg_transpose_b(const float *b, int ldb, int n, int k)
{
    size_t need = (size_t)n * (size_t)k;
    if (need > tb_cap) {
        float *nb = realloc(tb_buf, sizeof(float) * need);
        if (!nb) apg_oom("a transposed GEMM operand", sizeof(float) * need);
        tb_buf = nb;
        tb_cap = need;
        pthread_once(&tb_once, tb_key_init);
        pthread_setspecific(tb_key, tb_buf);
    }
    float *restrict t = tb_buf;
    for (int j = 0; j < n; j++) {
        const float *restrict bj = b + (size_t)j * ldb;
        for (int p = 0; p < k; p++) t[(size_t)p * n + j] = bj[p];
    }
    return t;
}

/* One GEMM split into blocks of C: block i is rows (by_rows) or columns
 * [i*blk, i*blk + blk) of C. */
struct gemm_split {
    trans_t ta, tb;
    int m, n, k;
    float alpha;
    const float *a; int lda;
    const float *b; int ldb;
    float beta;
    float *c; int ldc;
    int by_rows;
    const struct gemm_epilogue *ep;
};

/* The epilogue on rows [r0, r1), columns [j0, j1) of C: c += bias[j], then max(c, 0).
 * Built for the baseline and for AVX2, chosen where the narrow kernels' ISA level
 * (gemm_narrow_isa) allows: it runs on each panel of C as the packed path computes it,
 * and the SSE loop cost 5-20% of a biased layer's forward product. Elementwise: the
 * same values on either build. */
#define EPILOGUE_KERNEL(NAME, ATTR)                                                            \
ATTR static void epilogue_##NAME(const struct gemm_epilogue *ep, float *c, int ldc, int r0, int r1, \
                                 int j0, int j1)                                               \
{                                                                                              \
    const float *restrict bd = ep->bias;                                                       \
    for (int r = r0; r < r1; r++) {                                                            \
        float *restrict cr = c + (size_t)r * ldc;                                              \
        if (bd && ep->relu) {                                                                  \
            _Pragma("omp simd")                                                                \
            for (int j = j0; j < j1; j++) { float v = cr[j] + bd[j]; cr[j] = v > 0.0f ? v : 0.0f; } \
        } else if (bd) {                                                                       \
            _Pragma("omp simd")                                                                \
            for (int j = j0; j < j1; j++) cr[j] += bd[j];                                      \
        } else if (ep->relu) {                                                                 \
            _Pragma("omp simd")                                                                \
            for (int j = j0; j < j1; j++) cr[j] = cr[j] > 0.0f ? cr[j] : 0.0f;                 \
        }                                                                                      \
    }                                                                                          \
}

EPILOGUE_KERNEL(base, )
#if defined(__x86_64__) && defined(__GNUC__)
EPILOGUE_KERNEL(avx2, __attribute__((target("avx2"))))
#else
#define epilogue_avx2 epilogue_base
#endif

void gemm_epilogue_run(const struct gemm_epilogue *ep, float *c, int ldc, int r0, int r1, int j0, int j1)
{
    if (gemm_narrow_isa(-1) >= 2) epilogue_avx2(ep, c, ldc, r0, r1, j0, j1);
    else epilogue_base(ep, c, ldc, r0, r1, j0, j1);
}

/* The epilogue's bias from column j0 on (NULL: none) and its ReLU flag. */
#define EP_BIAS(ep, j0) ((ep) && (ep)->bias ? (ep)->bias + (j0) : NULL)
#define EP_RELU(ep) ((ep) && (ep)->relu)

/* One block of C, single-threaded: the narrow kernels when the shape is theirs, else
 * BLIS, then the epilogue. A width n = 32 j + 8 (a self-wise APG layer's [S | V x],
 * K^2 + K = 72 at K = 8, when it is too small for the packed path) is cut into n - 8
 * columns for BLIS and 8 for the n8 kernel: BLIS runs x W^T at n = 72 at 60-66 GFLOP/s
 * here against 80-87 at n = 64. */
static void gemm_one(trans_t ta, trans_t tb, int m, int n, int k, float alpha, const float *a, int lda,
                     const float *b, int ldb, float beta, float *c, int ldc, const struct gemm_epilogue *ep, int j0)
{
    int nt = ta == BLIS_TRANSPOSE, bt = tb == BLIS_TRANSPOSE;
    if (gemm_narrow(nt, bt, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, EP_BIAS(ep, j0), EP_RELU(ep))) return;
    if (!bt && n > 32 && n % 32 == 8) {
        int nm = n - 8;
        bli_sgemm(ta, tb, m, nm, k, &alpha, (float *)a, lda, 1, (float *)b, ldb, 1, &beta, c, ldc, 1);
        if (ep) gemm_epilogue_run(ep, c - j0, ldc, 0, m, j0, j0 + nm);
        if (gemm_narrow(nt, 0, m, 8, k, alpha, a, lda, b + nm, ldb, beta, c + nm, ldc, EP_BIAS(ep, j0 + nm),
                        EP_RELU(ep)))
            return;
        bli_sgemm(ta, tb, m, 8, k, &alpha, (float *)a, lda, 1, (float *)(b + nm), ldb, 1, &beta, c + nm, ldc, 1);
        if (ep) gemm_epilogue_run(ep, c - j0, ldc, 0, m, j0 + nm, j0 + n);
        return;
    }
    bli_sgemm(ta, tb, m, n, k, &alpha, (float *)a, lda, 1, (float *)b, ldb, 1, &beta, c, ldc, 1);
    if (ep) gemm_epilogue_run(ep, c - j0, ldc, 0, m, j0, j0 + n);
}

static void gemm_block(void *ctx, int i)
{
    const struct gemm_split *p = ctx;
    float alpha = p->alpha, beta = p->beta;
    if (p->by_rows) {
        int i0 = i * LINALG_SPLIT_ROWS, w = p->m - i0 < LINALG_SPLIT_ROWS ? p->m - i0 : LINALG_SPLIT_ROWS;
        const float *ai = p->ta == BLIS_TRANSPOSE ? p->a + i0 : p->a + (size_t)i0 * p->lda;
        gemm_one(p->ta, p->tb, w, p->n, p->k, alpha, ai, p->lda, p->b, p->ldb, beta, p->c + (size_t)i0 * p->ldc,
                 p->ldc, p->ep, 0);
    } else {
        int j0 = i * LINALG_SPLIT_COLS, w = p->n - j0 < LINALG_SPLIT_COLS ? p->n - j0 : LINALG_SPLIT_COLS;
        const float *bj = p->tb == BLIS_TRANSPOSE ? p->b + (size_t)j0 * p->ldb : p->b + j0;
        gemm_one(p->ta, p->tb, p->m, w, p->k, alpha, p->a, p->lda, bj, p->ldb, beta, p->c + j0, p->ldc, p->ep, j0);
    }
}

/* C = alpha op(A) op(B) + beta C for a few rows of op(A), by dot products (B
 * transposed) or row updates: BLIS packs all of B on every call, which at one row
 * (inference of a single instance; a one-output layer's dW = dy^T x) costs more than
 * the product itself (m <= GEMM_SMALL_M, gemm.h). op(A)[i][p] = a[i si + p sp]. */
static void gemm_small(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
                       int ldb, float beta, float *c, int ldc)
{
    size_t si = ta ? 1 : (size_t)lda, sp = ta ? (size_t)lda : 1;
    for (int i = 0; i < m; i++) {
        const float *restrict ai = a + (size_t)i * si;
        float *restrict ci = c + (size_t)i * ldc;
        if (tb) {                               /* c_ij = a_i . b_j, B (n,k) as stored */
            for (int j = 0; j < n; j++) {
                const float *restrict bj = b + (size_t)j * ldb;
                float acc = 0.0f;
                #pragma omp simd reduction(+ : acc)
                for (int p = 0; p < k; p++) acc += ai[(size_t)p * sp] * bj[p];
                ci[j] = alpha * acc + (beta != 0.0f ? beta * ci[j] : 0.0f);
            }
            continue;
        }
        if (beta == 0.0f) memset(ci, 0, sizeof(float) * (size_t)n);   /* c_i = sum_p a_ip b_p */
        else if (beta != 1.0f)
            for (int j = 0; j < n; j++) ci[j] *= beta;
        for (int p = 0; p < k; p++) {
            const float *restrict bp = b + (size_t)p * ldb;
            float s = alpha * ai[(size_t)p * sp];
            #pragma omp simd
            for (int j = 0; j < n; j++) ci[j] += s * bp[j];
        }
    }
}

/* Every path but the packed one; ep's a_rowsum is not theirs (apg_gemm adds it). */
static void gemm_unpacked(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
                          int ldb, float beta, float *c, int ldc, const struct gemm_epilogue *ep)
{
    if (k == 0) {
        if (beta == 0.0f)
            for (int i = 0; i < m; i++) memset(c + (size_t)i * ldc, 0, sizeof(float) * (size_t)n);
        if (ep) gemm_epilogue_run(ep, c, ldc, 0, m, 0, n);
        return;
    }
    if (m <= GEMM_SMALL_M) {
        gemm_small(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        if (ep) gemm_epilogue_run(ep, c, ldc, 0, m, 0, n);
        return;
    }
    if (tb && (m >= 64 || gemm_tiny(m, n, k)) && (size_t)n * (size_t)k <= LINALG_TB_MAX) {
        b = linalg_transpose_b(b, ldb, n, k);
        ldb = n;
        tb = 0;
    }
    trans_t tA = ta ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, tB = tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE;
    if (apg_threads() < 2 || (long)m * n * k < LINALG_SPLIT_MIN) {
        gemm_one(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep, 0);
        return;
    }
    /* Threads take fixed blocks of C's rows (or columns, when C is wide) as tasks of
     * apg_parallel, each one single-threaded BLIS call: a thread that the OS deschedules
     * delays only the block it holds. The blocks depend on the shape alone, so the
     * result does not depend on the thread count. */
    struct gemm_split sp = { tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, m >= n, ep };
    int len = sp.by_rows ? m : n, blk = sp.by_rows ? LINALG_SPLIT_ROWS : LINALG_SPLIT_COLS;
    apg_parallel((len + blk - 1) / blk, gemm_block, &sp);
}


/* a_rowsum[i] += sum_l op(A)[i][l], l ascending from 0 (the order of the packed path). */
static void gemm_a_rowsum(int ta, int m, int k, const float *a, int lda, float *rowsum)
{
    if (!ta) {
        for (int i = 0; i < m; i++) {
            const float *restrict ai = a + (size_t)i * lda;
            float acc = 0.0f;
            for (int l = 0; l < k; l++) acc += ai[l];
            rowsum[i] += acc;
        }
        return;
    }
    for (int i0 = 0; i0 < m; i0 += 64) {           /* op(A) = A^T: rows of A are along l */
        int w = m - i0 < 64 ? m - i0 : 64;
        float acc[64] = { 0 };
        for (int l = 0; l < k; l++) {
            const float *restrict al = a + (size_t)l * lda + i0;
            #pragma omp simd
            for (int r = 0; r < w; r++) acc[r] += al[r];
        }
        for (int r = 0; r < w; r++) rowsum[i0 + r] += acc[r];
    }
}

void apg_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
              float beta, float *c, int ldc, const struct gemm_epilogue *ep)
{
    if (m == 0 || n == 0) return;
    /* the hand kernels' shapes (gemm_one) and a few rows (gemm_small) stay with them; the
     * rest packs its shared operand once (core/gemm_pack.c), not BLIS inside tasks: BLIS
     * fills per-thread pools at a thread's first GEMMs, so its calls inside tasks
     * allocated whenever a thread took a kind of task for the first time, steps later on
     * a busy machine. */
    int narrow = n == 1 || n == 8 || n == 16 || k <= 16 || gemm_tiny(m, n, k);
    /* x W^T at n = 32 j + 8 ([S | V x]): its first n - 8 columns packed, in whole tiles of
     * either orientation, and the last 8 on the n8 kernel: 10-13% faster at depths 112 and
     * 128 than 72 columns in one product (equal at 256), one thread, AVX-512 */
    if (!narrow && tb && n > 32 && n % 32 == 8 && m > GEMM_SMALL_M && !(ep && ep->a_rowsum)) {
        struct gemm_epilogue last = ep ? *ep : (struct gemm_epilogue){ 0 };
        if (last.bias) last.bias += n - 8;
        apg_gemm(ta, tb, m, n - 8, k, alpha, a, lda, b, ldb, beta, c, ldc, ep);
        apg_gemm(ta, tb, m, 8, k, alpha, a, lda, b + (size_t)(n - 8) * ldb, ldb, beta, c + n - 8, ldc,
                 ep ? &last : NULL);
        return;
    }
    if (!narrow && m > GEMM_SMALL_M && gemm_packed(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep)) return;
    struct gemm_epilogue on_c = ep ? *ep : (struct gemm_epilogue){ 0 };
    on_c.a_rowsum = NULL;
    gemm_unpacked(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, on_c.bias || on_c.relu ? &on_c : NULL);
    if (ep && ep->a_rowsum) gemm_a_rowsum(ta, m, k, a, lda, ep->a_rowsum);
}
