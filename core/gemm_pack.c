/* GEMM on BLIS's micro-kernel with our own packing and blocking (gemm.h, gemm_packed).
 *
 * bli_sgemm packs both operands on every call, so a product cut into row blocks for
 * the threads packs the shared operand (a layer's weights, or the batch in dW = dy^T x)
 * once per block: 10-13% of each block's time on the step's shapes. Here the shared
 * operand is packed once per call and every block reads it; each block packs only its
 * own part of the other operand. A strided operand (x W^T reads W as W^T) is packed
 * straight from its storage, with no transposed copy first.
 *
 * In the micro-kernel's view the product is C' (m', n') = alpha P Q + beta C' with
 * P (m', k) in panels of MR rows and Q (k, n') in panels of NR columns, k in blocks of
 * KC. C' is C^T when the kernel prefers column-stored tiles (row-major C is then
 * column-major C^T), else C, unless the other orientation pads C' to whole tiles with
 * at least 3% less area (gemm_packed). Each MR x NR tile of C' is one chain of kernel calls over
 * the k blocks, whichever block or thread computes it, so the result depends on the
 * shape alone: never on the thread count or the blocking of the tasks. */
#include "gemm.h"
#include "threads.h"
#include "arena.h"
#include <blis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Products from this many multiply-adds take this path (smaller ones: bli_sgemm), up
 * to a depth of PACK_MAX_K: each panel is packed all k deep, and past that (a v1
 * generator's dz = dW G, k = N M = 32768) BLIS's own blocking of k ran 15-100% faster. */
#define PACK_MIN_MACS (1L << 16)
#define PACK_MAX_K    8192
/* Tasks per thread: each product is cut into about this many tasks per thread of the
 * pool (at least a panel each), so that a thread running late takes fewer. */
#define PACK_TASKS_PER_THREAD 4
/* Epilogues (bias, ReLU) on pieces of C' from this many floats run per panel column. */
#define PK_EP_PANEL 2048
/* A task packs its panels of the split operand in chunks of at most this many floats
 * (at least one panel; 256 KB, within L2), each multiplied while it is in cache: a
 * generator's dW^T z (C' 112 x 28672 at v1's first layer) packed 29 MB a task at once. */
#define PK_CHUNK_FLOATS (64L * 1024)

static struct {
    sgemm_ukr_ft ukr;
    cntx_t *cntx;
    int mr, nr, kc, cols;                  /* cols: the kernel prefers column-stored C */
    int other_pct;                         /* the other orientation's cost per tile, % */
} uk;
static pthread_once_t uk_once = PTHREAD_ONCE_INIT;

static void uk_init(void)
{
    apg_blis_setup();
    cntx_t *cx = bli_gks_query_cntx();
    int mr = (int)bli_cntx_get_blksz_def_dt(BLIS_FLOAT, BLIS_MR, cx);
    int nr = (int)bli_cntx_get_blksz_def_dt(BLIS_FLOAT, BLIS_NR, cx);
    int kc = (int)bli_cntx_get_blksz_def_dt(BLIS_FLOAT, BLIS_KC, cx);
    void_fp f = bli_cntx_get_l3_nat_ukr_dt(BLIS_FLOAT, BLIS_GEMM_UKR, cx);
    if (!f || mr < 1 || nr < 1 || kc < 1 || mr > 64 || nr > 64) return;   /* uk.ukr stays NULL */
    uk.cntx = cx;
    uk.mr = mr;
    uk.nr = nr;
    uk.kc = kc;
    uk.cols = bli_cntx_l3_nat_ukr_prefers_cols_dt(BLIS_FLOAT, BLIS_GEMM_UKR, cx) ? 1 : 0;
    /* The SKX kernel runs tiles of the orientation it does not prefer markedly slower
     * than the AVX2 kernels (haswell, zen) do. Timed on SKX at batch 1024
     * (one thread, a loop of each product, against BLIS): C (1024, 72) as C, 25% fewer
     * multiply-adds than C^T's 72 -> 96 rows, ran 6-15% faster; C (1024, 112) as C, 7%
     * fewer, ran 25-30% slower. */
    uk.other_pct = bli_arch_query_id() == BLIS_ARCH_SKX ? 125 : 103;
    uk.ukr = (sgemm_ukr_ft)f;
}

/* Packing buffers, 64-byte aligned, only growing (the first steps): the shared operand,
 * the calling thread's (freed when a worker thread exits), and each thread's own panels,
 * by the thread's place in the pool (apg_thread_index). The caller of a product grows
 * every own buffer its tasks may use before they run, to the largest task: which thread
 * takes which task varies from step to step (a busy machine), and no task allocates. */
struct pack_buf { float *p; size_t cap; };
static _Thread_local struct pack_buf buf_shared;
static struct pack_buf buf_own[APG_POOL_MAX + 1];
static pthread_key_t buf_key;
static pthread_once_t buf_once = PTHREAD_ONCE_INIT;
static void buf_free(void *v)
{
    (void)v;
    free(buf_shared.p);
}
static void own_free(void)
{
    for (int i = 0; i <= APG_POOL_MAX; i++) free(buf_own[i].p);
}
static void buf_key_init(void)
{
    pthread_key_create(&buf_key, buf_free);
    atexit(own_free);
}

/* Floats of zeros past a buffer's capacity: the micro-kernel loads ahead of the panel it
 * works on (the next k steps of a panel, the next panel), past the last one's end. */
#define PACK_SLACK 1024

static float *pack_reserve(struct pack_buf *b, size_t floats)
{
    if (floats <= b->cap) return b->p;
    size_t use = (floats + 15) & ~(size_t)15, bytes = (use + PACK_SLACK) * sizeof(float);
    float *p = aligned_alloc(64, bytes);
    if (!p) apg_oom("a packed GEMM operand", bytes);
    memset(p + use, 0, PACK_SLACK * sizeof(float));
    free(b->p);
    b->p = p;
    b->cap = use;
    pthread_once(&buf_once, buf_key_init);
    if (b == &buf_shared) pthread_setspecific(buf_key, &buf_key);   /* non-NULL: run buf_free at exit */
    return p;
}

/* A panel of w rows (or columns) of an operand, all k deep, stored l-major: out[l w + r]
 * = X(r0 + r, l) = x[(r0 + r) rs + l ls] for r < rows, 0 past them. Its length is
 * panel_len(w, k), a multiple of 16 floats so that every panel starts 64-byte aligned. */
static size_t panel_len(int w, int k) { return ((size_t)w * (size_t)k + 15) & ~(size_t)15; }

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define PACK_AVX __attribute__((target("avx")))
#if defined(__clang__)
#define PACK_UNROLL _Pragma("unroll")
#else
#define PACK_UNROLL _Pragma("GCC unroll 8")
#endif
/* r[0..8) (8 rows of 8 floats) -> o[0..8) (its 8 columns), in registers. */
PACK_AVX static inline __attribute__((always_inline)) void tr8_regs(const __m256 *r, __m256 *o)
{
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]),
           t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]),
           t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]),
           t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xee),
           u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xee),
           u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xee),
           u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xee);
    o[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    o[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    o[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    o[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    o[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    o[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    o[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    o[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/* Rows r0..r0+8 of the panel, l0..l0+8 deep: an 8 x 8 transpose (rows of x contiguous
 * along l, out l-major with stride w). */
PACK_AVX static void tr8x8(float *restrict out, int w, const float *x, long rs)
{
    __m256 r[8], o[8];
    PACK_UNROLL
    for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(x + i * rs);
    tr8_regs(r, o);
    PACK_UNROLL
    for (int i = 0; i < 8; i++) _mm256_storeu_ps(out + i * (size_t)w, o[i]);
}

/* Rows r0..r0+6, l0..l0+8 deep (panels of 6 rows: the AVX2 kernels' MR): the 8 x 8
 * transpose with rows 6 and 7 read again from row 5; out rows 0..6 stored 8 wide (the
 * 2 extra floats are overwritten by the next row), row 7 stored 6 wide, so nothing past
 * the block is written. */
PACK_AVX static void tr6x8(float *restrict out, const float *x, long rs)
{
    __m256 r[8], o[8];
    PACK_UNROLL
    for (int i = 0; i < 6; i++) r[i] = _mm256_loadu_ps(x + i * rs);
    r[6] = r[7] = r[5];
    tr8_regs(r, o);
    PACK_UNROLL
    for (int i = 0; i < 7; i++) _mm256_storeu_ps(out + 6 * i, o[i]);
    _mm_storeu_ps(out + 42, _mm256_castps256_ps128(o[7]));   /* not vmaskmovps: slow on AMD */
    _mm_storel_pi((__m64 *)(out + 46), _mm256_extractf128_ps(o[7], 1));
}

/* Rows r0..r0+4, l0..l0+4 deep: a 4 x 4 transpose. */
PACK_AVX static void tr4x4(float *restrict out, int w, const float *x, long rs)
{
    __m128 r0 = _mm_loadu_ps(x), r1 = _mm_loadu_ps(x + rs), r2 = _mm_loadu_ps(x + 2 * rs), r3 = _mm_loadu_ps(x + 3 * rs);
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
    _mm_storeu_ps(out, r0);
    _mm_storeu_ps(out + (size_t)w, r1);
    _mm_storeu_ps(out + 2 * (size_t)w, r2);
    _mm_storeu_ps(out + 3 * (size_t)w, r3);
}

static int pack_avx(void)
{
    static int v = -1;
    if (v < 0) v = __builtin_cpu_supports("avx");
    return v;
}
#endif

/* Rows [r0, r1) of a strided panel (x's rows contiguous along l): out[l w + r] = x[r rs + l]. */
static void pack_rows(float *restrict out, int w, int r0, int r1, int k, const float *x, long rs)
{
    int r = r0;
#if defined(__x86_64__) && defined(__GNUC__)
    if (pack_avx()) {                      /* 8 x 8 blocks, then 4 x 4; the depths past them below */
        int k8 = k & ~7, k4 = k & ~3, r8;
        if (w == 6 && r0 == 0 && r1 == 6) {          /* a whole panel of 6 rows */
            for (int l = 0; l < k8; l += 8) tr6x8(out + (size_t)l * 6, x + l, rs);
            for (int q = 0; q < 6; q++)
                for (int l = k8; l < k; l++) out[(size_t)l * 6 + q] = x[(size_t)q * rs + l];
            return;
        }
        for (; r + 8 <= r1; r += 8)
            for (int l = 0; l < k8; l += 8) tr8x8(out + (size_t)l * w + r, w, x + (size_t)r * rs + l, rs);
        r8 = r;
        for (; r + 4 <= r1; r += 4)
            for (int l = 0; l < k4; l += 4) tr4x4(out + (size_t)l * w + r, w, x + (size_t)r * rs + l, rs);
        for (int q = r0; q < r; q++)
            for (int l = q < r8 ? k8 : k4; l < k; l++) out[(size_t)l * w + q] = x[(size_t)q * rs + l];
    }
#endif
    for (; r < r1; r++)
        for (int l = 0; l < k; l++) out[(size_t)l * w + r] = x[(size_t)r * rs + l];
}

/* GCC turns the copy loops below into memmove calls, one per piece of a few floats:
 * kept as loops (vector moves) in the packing functions. */
#if defined(__GNUC__) && !defined(__clang__)
#define PACK_LOOPS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define PACK_LOOPS
#endif

/* out[l W + r] = src[l ls + r], r < W: a whole panel of contiguous pieces, W a constant
 * where it is inlined (a piece of 6 or 16 floats is a few moves). */
PACK_LOOPS static inline __attribute__((always_inline)) void pack_pieces(float *restrict out, int W, int k,
                                                              const float *restrict x, long ls)
{
    for (int l = 0; l < k; l++) {
        __builtin_prefetch(x + (size_t)(l + 8) * (size_t)ls);   /* 8 rows ahead, a line each */
        for (int r = 0; r < W; r++) out[(size_t)l * W + r] = x[(size_t)l * (size_t)ls + r];
    }
}

PACK_LOOPS static void pack_panel(float *restrict out, int w, int rows, int k, const float *x, long rs, long ls)
{
    if (rs == 1 && rows == w) {                      /* each l: w contiguous floats */
        switch (w) {
        case 6: pack_pieces(out, 6, k, x, ls); return;
        case 8: pack_pieces(out, 8, k, x, ls); return;
        case 12: pack_pieces(out, 12, k, x, ls); return;
        case 16: pack_pieces(out, 16, k, x, ls); return;
        case 32: pack_pieces(out, 32, k, x, ls); return;
        default: break;
        }
    }
    if (rs == 1) {                                   /* each l: rows contiguous floats */
        for (int l = 0; l < k; l++) {
            const float *restrict src = x + (size_t)l * (size_t)ls;
            float *restrict o = out + (size_t)l * (size_t)w;
            for (int r = 0; r < rows; r++) o[r] = src[r];
            for (int r = rows; r < w; r++) o[r] = 0.0f;
        }
        return;
    }
    if (ls == 1) pack_rows(out, w, 0, rows, k, x, rs);
    else
        for (int r = 0; r < rows; r++)
            for (int l = 0; l < k; l++) out[(size_t)l * w + r] = x[(size_t)r * rs + (size_t)l * ls];
    for (int l = 0; rows < w && l < k; l++)          /* the padding rows */
        for (int r = rows; r < w; r++) out[(size_t)l * w + r] = 0.0f;
}

/* One product in the kernel's view. */
struct pk {
    int m, n, k;                           /* C' (m, n), depth k */
    const float *p; long p_rs, p_cs;       /* P (i, l) = p[i p_rs + l p_cs] */
    const float *q; long q_rs, q_cs;       /* Q (l, j) = q[l q_rs + j q_cs] */
    float *c; long c_rs, c_cs;             /* C' (i, j) = c[i c_rs + j c_cs] */
    float alpha, beta;
    int split_n;                           /* tasks take Q panels (P shared) or P panels */
    float *shared;                         /* the packed shared operand, every panel */
    int per_task;                          /* panels of the split operand per task */
    int per_chunk;                         /* of them packed and multiplied at a time */
    int per_pack;                          /* panels of the shared operand per packing task */
    int n_pack;                            /* packing tasks (the region's first) */
    _Atomic int packed;                    /* packing tasks done */
    /* the epilogue on C (row-major, ldc), and whether C' is C^T */
    const struct gemm_epilogue *ep;
    float *c0; int ldc, m_c, n_c, ct;
};

/* The epilogue on C' rows [i0, i1) (in panels) of panel column jp, nw wide, right
 * after its last k block (while it is in cache): those rows and columns of C. */
static void pk_panel_epilogue(const struct pk *s, int i0, int i1, int jp, int nw)
{
    int r0 = i0 * uk.mr, r1 = i1 * uk.mr < s->m ? i1 * uk.mr : s->m, j0 = jp * uk.nr;
    if (s->ct) gemm_epilogue_run(s->ep, s->c0, s->ldc, j0, j0 + nw, r0, r1);
    else gemm_epilogue_run(s->ep, s->c0, s->ldc, r0, r1, j0, j0 + nw);
}

/* Tiles [i0, i1) x [j0, j1) of C' (in panels), from packed pp (P panels from i0) and
 * qp (Q panels from j0), every k block; after the last, when epi, each panel column's
 * epilogue. */
static void pk_tiles(const struct pk *s, const float *pp, int i0, int i1, const float *qp, int j0, int j1, int epi)
{
    int mr = uk.mr, nr = uk.nr, kc = uk.kc;
    size_t plen = panel_len(mr, s->k), qlen = panel_len(nr, s->k);
    float one = 1.0f, alpha = s->alpha;
    auxinfo_t aux;
    memset(&aux, 0, sizeof aux);
    for (int l0 = 0; l0 < s->k; l0 += kc) {
        int kb = s->k - l0 < kc ? s->k - l0 : kc;
        float *beta = l0 ? &one : (float *)&s->beta;
        for (int jp = j0; jp < j1; jp++) {
            const float *b = qp + (size_t)(jp - j0) * qlen + (size_t)l0 * (size_t)nr;
            int nw = s->n - jp * nr < nr ? s->n - jp * nr : nr;
            for (int ip = i0; ip < i1; ip++) {
                const float *a = pp + (size_t)(ip - i0) * plen + (size_t)l0 * (size_t)mr;
                int mw = s->m - ip * mr < mr ? s->m - ip * mr : mr;
                const float *an = ip + 1 < i1 ? a + plen : pp + (size_t)l0 * (size_t)mr;
                bli_auxinfo_set_next_a((float *)an, &aux);
                bli_auxinfo_set_next_b((float *)(ip + 1 < i1 ? b : b + qlen), &aux);
                float *c = s->c + (size_t)ip * mr * (size_t)s->c_rs + (size_t)jp * nr * (size_t)s->c_cs;
                uk.ukr(mw, nw, kb, &alpha, (float *)a, (float *)b, beta, c, s->c_rs, s->c_cs, &aux, uk.cntx);
            }
            if (epi && l0 + kb == s->k) pk_panel_epilogue(s, i0, i1, jp, nw);
        }
    }
}

/* sum[r] += sum over l of panel row r (l ascending), r < rows: the row sums of op(A)
 * read from its packed panel while it is in cache. */
static void panel_rowsum(const float *restrict panel, int w, int rows, int k, float *restrict sum)
{
    float acc[64] = { 0 };                           /* w <= 64 (uk_init) */
    for (int l = 0; l < k; l++) {
        const float *restrict pl = panel + (size_t)l * w;
        #pragma omp simd
        for (int r = 0; r < w; r++) acc[r] += pl[r];
    }
    for (int r = 0; r < rows; r++) sum[r] += acc[r];
}

/* Panels [lo, hi) of Q (q_side) or P, packed into out (panel lo first). */
PACK_LOOPS static void pack_side(const struct pk *s, int q_side, int lo, int hi, float *out)
{
    int w = q_side ? uk.nr : uk.mr, len = q_side ? s->n : s->m;
    const float *x = q_side ? s->q : s->p;
    long rs = q_side ? s->q_cs : s->p_rs, ls = q_side ? s->q_rs : s->p_cs;   /* along the panel, along k */
    size_t plen = panel_len(w, s->k);
    int sums = s->ep && s->ep->a_rowsum && q_side == s->ct;   /* this side is op(A) */
    for (int i = lo; i < hi; i++) {
        int rows = len - i * w < w ? len - i * w : w;
        float *o = out + (size_t)(i - lo) * plen;
        pack_panel(o, w, rows, s->k, x + (size_t)i * w * (size_t)rs, rs, ls);
        if (sums) panel_rowsum(o, w, rows, s->k, s->ep->a_rowsum + (size_t)i * w);
    }
}

static long round_up(int x, int unit) { return (long)(x + unit - 1) / unit * unit; }

static int panels(const struct pk *s, int q_side)
{
    return q_side ? (s->n + uk.nr - 1) / uk.nr : (s->m + uk.mr - 1) / uk.mr;
}

/* Packing task t: panels [t per_pack, (t + 1) per_pack) of the shared operand. */
static void pk_pack_shared(const struct pk *s, int t)
{
    int q_side = !s->split_n, lo = t * s->per_pack, hi = lo + s->per_pack, n = panels(s, q_side);
    pack_side(s, q_side, lo, hi < n ? hi : n,
              s->shared + (size_t)lo * panel_len(q_side ? uk.nr : uk.mr, s->k));
}

/* Task t: its panels of the split operand, per_chunk at a time, packed into this
 * thread's buffer and multiplied against every panel of the shared one while they are in
 * cache; then the epilogue. Every tile is still one chain over the k blocks: the same
 * result for any chunking. */
static void pk_task(const struct pk *s, int t)
{
    int q_side = s->split_n, n = panels(s, q_side), lo = t * s->per_task;
    int hi = lo + s->per_task < n ? lo + s->per_task : n;
    float *own = buf_own[apg_thread_index()].p;          /* grown by gemm_packed */
    int epi = s->ep && (s->ep->bias || s->ep->relu), chunk = s->per_chunk < hi - lo ? s->per_chunk : hi - lo;
    /* the epilogue on each panel column of C' as it is done when that is a piece of at
     * least PK_EP_PANEL floats; on a narrow C' (a self-wise layer's [S | V x], 72 wide)
     * the task's part of C at once after its tiles ran faster */
    int rows = q_side ? s->m : chunk * uk.mr, per_panel = epi && (long)rows * uk.nr >= PK_EP_PANEL;
    for (int c0 = lo; c0 < hi; c0 += chunk) {
        int c1 = c0 + chunk < hi ? c0 + chunk : hi;
        pack_side(s, q_side, c0, c1, own);
        if (q_side) pk_tiles(s, s->shared, 0, panels(s, 0), own, c0, c1, per_panel);
        else pk_tiles(s, own, c0, c1, s->shared, 0, panels(s, 1), per_panel);
    }
    if (!epi || per_panel) return;
    int unit = q_side ? uk.nr : uk.mr, lim = q_side ? s->n : s->m;   /* this task's C' columns or rows */
    int r0 = lo * unit, r1 = hi * unit < lim ? hi * unit : lim;
    if (s->split_n == s->ct) gemm_epilogue_run(s->ep, s->c0, s->ldc, r0, r1, 0, s->n_c);   /* C's rows */
    else gemm_epilogue_run(s->ep, s->c0, s->ldc, 0, s->m_c, r0, r1);
}

/* Task i of a product's one parallel region: i < n_pack packs part i of the shared
 * operand; the others are pk_task (i - n_pack), which first waits for every packing task.
 * Tasks are taken in index order, so every packing task is held by a running thread (or
 * done) when a product task starts: the wait ends. */
static void pk_run(void *ctx, int i)
{
    struct pk *s = ctx;
    if (i < s->n_pack) {
        pk_pack_shared(s, i);
        atomic_fetch_add_explicit(&s->packed, 1, memory_order_release);
        return;
    }
    apg_wait_at_least(&s->packed, s->n_pack);
    pk_task(s, i - s->n_pack);
}

int gemm_packed(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                float beta, float *c, int ldc, const struct gemm_epilogue *ep)
{
    if (m < 1 || n < 1 || k < 1 || (long)m * n * k < PACK_MIN_MACS || k > PACK_MAX_K) return 0;
    pthread_once(&uk_once, uk_init);
    if (!uk.ukr) return 0;
    /* op(A) (i, l) = a[i ai + l al], op(B) (l, j) = b[l bl + j bj] */
    long ai = ta ? 1 : lda, al = ta ? lda : 1, bl = tb ? 1 : ldb, bj = tb ? ldb : 1;
    /* The kernel's preferred orientation of C, unless the other pads much less: the
     * tiles cover C' rounded up to MR rows and NR columns (C (1024, 72) is 80 columns of
     * NR = 16 tiles, C^T is 72 = 12 x 6 rows: 11% fewer kernel multiply-adds), the other
     * orientation's area weighted by its cost per tile (uk_init). */
    int ct = uk.cols;
    long pad_c = round_up(m, uk.mr) * round_up(n, uk.nr), pad_t = round_up(n, uk.mr) * round_up(m, uk.nr);
    long keep = ct ? pad_t : pad_c, other = ct ? pad_c : pad_t;
    if (other * uk.other_pct < keep * 100) ct = !ct;
    struct pk s = { .k = k, .alpha = alpha, .beta = beta, .ep = ep, .c0 = c, .ldc = ldc, .m_c = m, .n_c = n,
                    .ct = ct, .c = c };
    if (ct) {      /* C' = C^T = op(B)^T op(A)^T: P = op(B)^T (n, k), Q = op(A)^T (k, m) */
        s.m = n; s.n = m;
        s.p = b; s.p_rs = bj; s.p_cs = bl;
        s.q = a; s.q_rs = al; s.q_cs = ai;
        s.c_rs = 1; s.c_cs = ldc;
    } else {            /* C' = C: P = op(A), Q = op(B) */
        s.m = m; s.n = n;
        s.p = a; s.p_rs = ai; s.p_cs = al;
        s.q = b; s.q_rs = bl; s.q_cs = bj;
        s.c_rs = ldc; s.c_cs = 1;
    }
    int mp = panels(&s, 0), np = panels(&s, 1);
    /* split the side with more panels (more tasks to balance); the other is shared */
    s.split_n = np >= mp;
    int split = s.split_n ? np : mp, shared = s.split_n ? mp : np, width = apg_parallel_width();
    s.per_task = (split + PACK_TASKS_PER_THREAD * width - 1) / (PACK_TASKS_PER_THREAD * width);
    s.per_pack = (shared + 2 * width - 1) / (2 * width);
    s.shared = pack_reserve(&buf_shared, panel_len(s.split_n ? uk.mr : uk.nr, k) * (size_t)shared);
    size_t plen = panel_len(s.split_n ? uk.nr : uk.mr, k);
    long fit = PK_CHUNK_FLOATS / (long)plen;
    s.per_chunk = fit < 1 ? 1 : fit < s.per_task ? (int)fit : s.per_task;
    size_t own = plen * (size_t)s.per_chunk;   /* every own buffer the tasks may use: a chunk */
    if (width > 1)
        for (int t = 0; t < width && t <= APG_POOL_MAX; t++) pack_reserve(&buf_own[t], own);
    else
        pack_reserve(&buf_own[apg_thread_index()], own);
    /* one parallel region: the packing tasks first, then the product's */
    s.n_pack = (shared + s.per_pack - 1) / s.per_pack;
    atomic_store(&s.packed, 0);
    apg_parallel(s.n_pack + (split + s.per_task - 1) / s.per_task, pk_run, &s);
    return 1;
}
