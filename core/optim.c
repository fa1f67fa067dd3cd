#include "arena.h"
#include "optim.h"
#include "threads.h"
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void adam_init(struct adam *a, float lr)
{
    a->lr = lr;
    a->beta1 = 0.9f;
    a->beta2 = 0.999f;
    a->eps = 1e-8f;
    a->l2 = 0.0f;
    a->t = 0;
}

/* One Adam update of value i from gradient graw (l2: the coefficient, times k for an
 * embedding row):
 *   g' = graw + l2 p;  m = b1 m + (1-b1) g';  v = b2 v + (1-b2) g'^2;
 *   p -= lr_t m / (sqrt(v) + eps_t), lr_t = lr sqrt(1-b2^t)/(1-b1^t), eps_t = eps sqrt(1-b2^t)
 * (the bias-corrected form of Kingma & Ba's update, folded into lr_t). ADAM_ONE: from
 * g[i], which it zeroes. */
#define ADAM_UPD(i, graw)                                             \
    do {                                                              \
        float gi = (graw) + l2 * p[i];                                \
        m[i] = b1 * m[i] + (1.0f - b1) * gi;                          \
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;                     \
        p[i] -= lr_t * m[i] / (sqrtf(v[i]) + eps_t);                  \
    } while (0)
#define ADAM_ONE(i)             \
    do {                        \
        ADAM_UPD(i, g[i]);      \
        g[i] = 0.0f;            \
    } while (0)

/* The step of each row's last update (allocated zeroed on first use, aborts on OOM). */
static int32_t *adam_last(struct tensor *t)
{
    struct sparse_rows *sr = t->sparse;
    if (!sr->last) {
        sr->last = calloc((size_t)tensor_rows(t), sizeof *sr->last);
        if (!sr->last) apg_oom("L2 step counts of an embedding table", sizeof *sr->last * (size_t)tensor_rows(t));
    }
    return sr->last;
}

/* adam_dense: a dense tensor, in one pass. adam_rows: rows rows[j0..j1) of a row-sparse
 * table; with L2, row r's penalty is l2 k p, k = a->t - last[r] >= 1 (the steps since
 * its last update); clears their marks. Built for AVX2 and for the baseline ISA, picked
 * at run time: the square root and the division bound the update, and AVX2 does 8 of
 * each at a time. Each is one IEEE operation per value (no contraction in C11 mode),
 * so both builds give the same bits. */
#define ADAM_AHEAD 8   /* rows */
#if defined(__GNUC__)
#define ADAM_INLINE inline __attribute__((always_inline))   /* a row is 16 floats: no call per row */
#else
#define ADAM_INLINE inline
#endif
#define ADAM_SRC_MAX 64   /* gradient tables a row sums (adam_step_sum's replicas) */
#define ADAM_KERNELS(SFX, ATTR)                                                                  \
ATTR static void adam_dense_##SFX(const struct adam *a, float lr_t, float eps_t, float *restrict p, \
                                  float *restrict g, float *restrict m, float *restrict v, long n) \
{                                                                                                \
    const float b1 = a->beta1, b2 = a->beta2, l2 = a->l2;                                        \
    for (long i = 0; i < n; i++) ADAM_ONE(i);                                                    \
}                                                                                                \
/* n values updated from 0 + h0 + h1 (two gradients, added in that order), h0, h1 zeroed, in   \
 * one pass (l2: the coefficient, times k for an embedding row). */                              \
ATTR static ADAM_INLINE void adam_sum2_##SFX(const struct adam *a, float lr_t, float eps_t, float l2, \
                                             float *restrict p, float *restrict h0, float *restrict h1, \
                                             float *restrict m, float *restrict v, long n)        \
{                                                                                                \
    const float b1 = a->beta1, b2 = a->beta2;                                                    \
    for (long i = 0; i < n; i++) {                                                               \
        float s = (0.0f + h0[i]) + h1[i];                                                        \
        h0[i] = h1[i] = 0.0f;                                                                    \
        ADAM_UPD(i, s);                                                                          \
    }                                                                                            \
}                                                                                                \
/* adam_dense on two replicas' gradients: the sums of adam_step_sum and the update. */          \
ATTR static void adam_dense_sum2_##SFX(const struct adam *a, float lr_t, float eps_t, float *restrict p, \
                                       float *restrict h0, float *restrict h1, float *restrict m, \
                                       float *restrict v, long n)                                \
{                                                                                                \
    adam_sum2_##SFX(a, lr_t, eps_t, a->l2, p, h0, h1, m, v, n);                                  \
}                                                                                                \
/* One row of a table from the sum of its na gradient rows h[0..na) (0 + h[0] + h[1] + ...,  \
 * in that order; na >= 1), each zeroed. More than 2 are first added into h[0], left to      \
 * right: 0 + (h0 + h1 + h2) has the bits of ((0 + h0) + h1) + h2 (a partial sum's zero sign \
 * never reaches a later nonzero term's result). */                                              \
ATTR static ADAM_INLINE void adam_row_##SFX(const struct adam *a, float lr_t, float eps_t, float l2,     \
                                            float *restrict p, float *restrict m, float *restrict v, \
                                            float *const *h, int na, int cols)                    \
{                                                                                                \
    const float b1 = a->beta1, b2 = a->beta2;                                                    \
    float *restrict h0 = h[0];                                                                   \
    if (na > 2) {                                                                                \
        for (int q = 1; q < na; q++) {                                                           \
            float *restrict hq = h[q];                                                           \
            for (int i = 0; i < cols; i++) {                                                     \
                h0[i] += hq[i];                                                                  \
                hq[i] = 0.0f;                                                                    \
            }                                                                                    \
        }                                                                                        \
        na = 1;                                                                                  \
    }                                                                                            \
    if (na == 2) {                                                                               \
        adam_sum2_##SFX(a, lr_t, eps_t, l2, p, h0, h[1], m, v, cols);                            \
        return;                                                                                  \
    }                                                                                            \
    for (int i = 0; i < cols; i++) {                                                             \
        float s = 0.0f + h0[i];                                                                  \
        h0[i] = 0.0f;                                                                            \
        ADAM_UPD(i, s);                                                                          \
    }                                                                                            \
}                                                                                                \
/* Rows list[j0..j1) of table t: each row's gradient is the sum over src[0..ns) (tables of t's \
 * shape: t itself, or replicas) of those that mark it, in src order, their marks cleared; a   \
 * row that none marks is skipped. */                                                            \
ATTR static void adam_rows_##SFX(const struct adam *a, float lr_t, float eps_t, struct tensor *t, \
                                 float *restrict mslab, float *restrict vslab, const int32_t *list, \
                                 struct tensor *const *src, int ns, int j0, int j1)              \
{                                                                                                \
    int cols = tensor_cols(t);                                                                   \
    int32_t *last = a->l2 != 0.0f ? t->sparse->last : NULL;                                      \
    float *h[ADAM_SRC_MAX], *gs[ADAM_SRC_MAX];                                                   \
    uint8_t *mk[ADAM_SRC_MAX];                                                                   \
    for (int q = 0; q < ns; q++) gs[q] = src[q]->grad, mk[q] = src[q]->sparse->mark;             \
    for (int j = j0; j < j1; j++) {                                                              \
        int32_t row = list[j];                                                                   \
        size_t r = (size_t)row * (size_t)cols;                                                   \
        if (j + ADAM_AHEAD < j1) {            /* random rows: fetch a later one's lines now */   \
            size_t ra = (size_t)list[j + ADAM_AHEAD] * (size_t)cols;                             \
            __builtin_prefetch(t->data + ra, 1);                                                 \
            __builtin_prefetch(mslab + ra, 1);                                                   \
            __builtin_prefetch(vslab + ra, 1);                                                   \
            __builtin_prefetch(gs[0] + ra, 1);                                                   \
        }                                                                                        \
        int na = 0;                                                                              \
        for (int q = 0; q < ns; q++)                                                             \
            if (mk[q][row]) {                                                                    \
                mk[q][row] = 0;                                                                  \
                h[na++] = gs[q] + r;                                                             \
            }                                                                                    \
        if (!na) continue;                                                                       \
        float l2 = 0.0f;                                                                         \
        if (last) {                                                                              \
            long k = a->t - last[row];                                                           \
            l2 = a->l2 * (float)(k > 1 ? k : 1);    /* k < 1 only under a new optimizer */      \
            last[row] = a->t < INT32_MAX ? (int32_t)a->t : INT32_MAX;                            \
        }                                                                                        \
        adam_row_##SFX(a, lr_t, eps_t, l2, t->data + r, mslab + r, vslab + r, h, na, cols);      \
    }                                                                                            \
}

#if defined(__x86_64__) && defined(__GNUC__)
ADAM_KERNELS(avx2, __attribute__((target("avx2"))))
static int adam_avx2(void)
{
    static int v = -1;
    if (v < 0) v = __builtin_cpu_supports("avx2");
    return v;
}
#else
static int adam_avx2(void) { return 0; }
#endif
ADAM_KERNELS(base, )

static void adam_dense(const struct adam *a, float lr_t, float eps_t, float *p, float *g, float *m, float *v,
                       long n)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (adam_avx2()) { adam_dense_avx2(a, lr_t, eps_t, p, g, m, v, n); return; }
#endif
    adam_dense_base(a, lr_t, eps_t, p, g, m, v, n);
}

static void adam_dense_sum2(const struct adam *a, float lr_t, float eps_t, float *p, float *h0, float *h1, float *m,
                            float *v, long n)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (adam_avx2()) { adam_dense_sum2_avx2(a, lr_t, eps_t, p, h0, h1, m, v, n); return; }
#endif
    adam_dense_sum2_base(a, lr_t, eps_t, p, h0, h1, m, v, n);
}

static void adam_rows(const struct adam *a, float lr_t, float eps_t, struct tensor *t, float *mslab,
                      float *vslab, const int32_t *list, struct tensor *const *src, int ns, int j0, int j1)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (adam_avx2()) { adam_rows_avx2(a, lr_t, eps_t, t, mslab, vslab, list, src, ns, j0, j1); return; }
#endif
    adam_rows_base(a, lr_t, eps_t, t, mslab, vslab, list, src, ns, j0, j1);
}

/* The step is cut into ADAM_TASKS slices, slice k holding the k-th part of every dense
 * tensor (adam_dense_slice) and of every table's touched rows; each value's update depends on
 * that value alone, so any thread count and any slicing give the same bits. */
struct adam_job { const struct adam *a; struct param_store *ps; float lr_t, eps_t; };

/* Tensor t's update under job: values [n0, n1) of a dense one, or of a table the rows
 * list[n0..n1) from the gradients of src[0..ns) (adam_rows). */
static void adam_tensor(const struct adam_job *job, struct tensor *t, long n0, long n1, const int32_t *list,
                        struct tensor *const *src, int ns)
{
    struct param_store *ps = job->ps;
    size_t off = (size_t)(t->data - ps->data);
    float *m = ps->m + off, *v = ps->v + off, lr = job->lr_t * t->lr_scale;
    if (t->sparse) adam_rows(job->a, lr, job->eps_t, t, m, v, list, src, ns, (int)n0, (int)n1);
    else adam_dense(job->a, lr, job->eps_t, t->data + n0, t->grad + n0, m + n0, v + n0, n1 - n0);
}

/* optim.h. A tensor under ADAM_WHOLE floats is one slice's whole (slice i mod
 * ADAM_TASKS); a larger one's slices end on 64-byte lines of the slabs (every tensor
 * starts on one), so that no two threads write one cache line of p, g, m or v. Cut 16
 * ways, a bias of 64 floats put 4 floats a slice on lines the threads then passed back
 * and forth: v6's Adam step took 4x as long at 2 threads as at 1 (either change alone
 * ended that). */
#define ADAM_WHOLE 4096
static long slice_edge(long off, long n, int k)
{
    if (k <= 0) return 0;
    if (k >= ADAM_TASKS) return n;
    long e = ((off + n * k / ADAM_TASKS) & ~15L) - off;
    return e < 0 ? 0 : e > n ? n : e;
}
void adam_dense_slice(const struct param_store *ps, int i, int k, long *k0, long *k1)
{
    const struct tensor *t = ps->list[i];
    long n = t->size, off = (long)(t->data - ps->data);
    if (n < ADAM_WHOLE) {
        *k0 = 0;
        *k1 = k == i % ADAM_TASKS ? n : 0;
        return;
    }
    *k0 = slice_edge(off, n, k);
    *k1 = slice_edge(off, n, k + 1);
}

static void adam_slice(void *ctx, int k)
{
    const struct adam_job *job = ctx;
    for (int i = 0; i < job->ps->n; i++) {
        struct tensor *t = job->ps->list[i];
        long k0, k1, n = t->sparse ? t->sparse->n : 0;
        if (t->sparse) k0 = n * k / ADAM_TASKS, k1 = n * (k + 1) / ADAM_TASKS;
        else adam_dense_slice(job->ps, i, k, &k0, &k1);
        if (k1 > k0) adam_tensor(job, t, k0, k1, t->sparse ? t->sparse->rows : NULL, &t, 1);
    }
}

/* Counts the step and fills job (its bias-corrected lr_t and eps_t); the L2 step
 * counts are allocated here, before the threads. */
static void adam_begin(struct adam *a, struct param_store *ps, struct adam_job *job)
{
    a->t++;
    double bc1 = 1.0 - pow(a->beta1, (double)a->t), bc2 = 1.0 - pow(a->beta2, (double)a->t);
    *job = (struct adam_job){ a, ps, (float)(a->lr * sqrt(bc2) / bc1), (float)(a->eps * sqrt(bc2)) };
    for (int i = 0; i < ps->n; i++)
        if (ps->list[i]->sparse && a->l2 != 0.0f) adam_last(ps->list[i]);
}

void adam_step(struct adam *a, struct param_store *ps)
{
    struct adam_job job;
    adam_begin(a, ps, &job);
    apg_parallel(ADAM_TASKS, adam_slice, &job);
    for (int i = 0; i < ps->n; i++)
        if (ps->list[i]->sparse) ps->list[i]->sparse->n = 0;
}

/* ---- adam_step_sum: the replicas' gradients summed and stepped in one parallel pass ----
 * The tables' rows go in n phases: phase r updates the rows of replica r's list that
 * replica r still marks, each from the sum of the replicas q >= r that mark it (in
 * replica order; the rows of every replica q < r that touched it were summed and cleared
 * in an earlier phase, so each row is updated once, from all its replicas). Phase r is
 * nc tasks, chunk c of every table's list; its tasks wait for phase r - 1's. The tasks:
 * phase 0, then the ADAM_TASKS slices of the dense tensors, then phases 1 .. n - 1 (so a
 * waiting task's predecessors were all taken first, by running threads). A value's sum
 * runs over the replicas in order whoever computes it, so nc (set from the thread count)
 * does not change any bit: the result is params' sum-then-adam_step's exactly. */
struct sum_job { struct adam_job aj; struct param_store *const *reps; int n, nc; _Atomic int done[ADAM_SRC_MAX]; };

/* Slice k of every dense tensor: its Adam update from 0 + each replica's gradient (replica
 * order), the replicas' zeroed. Two replicas: the sum and the update in one pass that
 * does not read ps's gradient (zero); more: summed into ps's gradient first. */
static void sum_dense(const struct sum_job *job, int k)
{
    struct param_store *ps = job->aj.ps;
    for (int i = 0; i < ps->n; i++) {
        struct tensor *t = ps->list[i];
        if (t->sparse) continue;
        long k0, k1;
        adam_dense_slice(ps, i, k, &k0, &k1);
        if (k1 <= k0) continue;
        if (job->n == 2) {                        /* the sums and the update in one pass */
            size_t off = (size_t)(t->data - ps->data);
            adam_dense_sum2(job->aj.a, job->aj.lr_t * t->lr_scale, job->aj.eps_t, t->data + k0,
                            job->reps[0]->list[i]->grad + k0, job->reps[1]->list[i]->grad + k0, ps->m + off + k0,
                            ps->v + off + k0, k1 - k0);
            continue;
        }
        float *restrict g = t->grad;
        for (int r = 0; r < job->n; r++) {
            float *restrict h = job->reps[r]->list[i]->grad;
            #pragma omp simd
            for (long j = k0; j < k1; j++) g[j] += h[j];
            memset(h + k0, 0, sizeof(float) * (size_t)(k1 - k0));
        }
        adam_tensor(&job->aj, t, k0, k1, NULL, NULL, 0);
    }
}

/* Chunk c of phase r: rows [n c / nc, n (c+1) / nc) of replica r's list of every table. */
static void sum_rows(struct sum_job *job, int r, int c)
{
    struct param_store *ps = job->aj.ps;
    if (r > 0) apg_wait_at_least(&job->done[r - 1], job->nc);
    struct tensor *src[ADAM_SRC_MAX];
    for (int i = 0; i < ps->n; i++) {
        struct tensor *t = ps->list[i];
        if (!t->sparse) continue;
        for (int q = r; q < job->n; q++) src[q - r] = job->reps[q]->list[i];
        long n = src[0]->sparse->n;
        adam_tensor(&job->aj, t, n * c / job->nc, n * (c + 1) / job->nc, src[0]->sparse->rows, src, job->n - r);
    }
    atomic_fetch_add_explicit(&job->done[r], 1, memory_order_release);
}

static void sum_task(void *ctx, int k)
{
    struct sum_job *job = ctx;
    if (k < job->nc) sum_rows(job, 0, k);
    else if (k < job->nc + ADAM_TASKS) sum_dense(job, k - job->nc);
    else sum_rows(job, 1 + (k - job->nc - ADAM_TASKS) / job->nc, (k - job->nc - ADAM_TASKS) % job->nc);
}

void adam_step_sum(struct adam *a, struct param_store *ps, struct param_store *const *reps, int n)
{
    if (n > ADAM_SRC_MAX) {
        fprintf(stderr, "adam_step_sum: %d replicas, at most %d\n", n, ADAM_SRC_MAX);
        abort();                                  /* a caller's bug */
    }
    for (int i = 0; i < ps->n; i++)
        if (ps->list[i]->sparse && ps->list[i]->sparse->n) {
            fprintf(stderr, "adam_step_sum: table %s has touched rows of its own\n", ps->list[i]->name);
            abort();                              /* a caller's bug: its rows would be skipped */
        }
    struct sum_job job = { .reps = reps, .n = n, .nc = 2 * apg_threads() };
    for (int r = 0; r < n; r++) atomic_init(&job.done[r], 0);
    adam_begin(a, ps, &job.aj);
    apg_parallel(n * job.nc + ADAM_TASKS, sum_task, &job);
    for (int i = 0; i < ps->n; i++)
        if (ps->list[i]->sparse) {
            ps->list[i]->sparse->n = 0;
            for (int r = 0; r < n; r++) reps[r]->list[i]->sparse->n = 0;
        }
}
