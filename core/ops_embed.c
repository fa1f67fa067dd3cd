/* Embedding ops: gather (one id per field), bag (a mean-pooled list of ids per
 * field) and idxmv (a product with a per-row weight row of a table: Star's domains). The table gradient is row-sparse: backward adds only the touched rows and,
 * for a T_SPARSE table, records them in table->sparse for the lazy optimizer. */
#include "ops.h"
#include "op.h"
#include "ops_check.h"
#include "threads.h"
#include <string.h>

static void embed_check_table(const char *name, const struct tensor *table)
{
    ops_check_operand(name, table);
    OPS_CHECK_SHAPE(table->ndim == 2, name, table, NULL, "the table must be (V,E)");
}

static void embed_check_ids(const char *name, const int32_t *ids, int from, int to, int V)
{
    if (to > from && !ids) ops_die(name, "NULL ids");
    for (int j = from; j < to; j++)
        if (ids[j] < 0 || ids[j] >= V)
            ops_die(name, "id %d at position %d out of range [0, %d)", (int)ids[j], j, V);
}

/* Record row r of a T_SPARSE table as touched (first-touch order). */
static inline void embed_touch(struct sparse_rows *s, int32_t r)
{
    if (!s->mark[r]) {
        s->mark[r] = 1;
        s->rows[s->n++] = r;
    }
}

static struct sparse_rows *embed_sparse(const struct tensor *table)
{
    return (table->flags & T_SPARSE) ? table->sparse : NULL;
}

/* ---------------------------------------------------------------------------------
 * gather: table (V,E), ids[B*F] in [0,V) (out->ids) -> out (B,F,E), out[j] = table[ids[j]].
 * Caches nothing.  backward: table.grad[ids[j]] += dout[j] for j in order (each row by
 * one task: repeated ids accumulate deterministically), touched rows recorded. */
struct tensor *t_gather(struct graph *g, struct tensor *table, const int32_t *ids, int B, int F)
{
    embed_check_table("gather", table);
    if (B < 1 || F < 1) ops_die("gather", "bad batch shape B = %d, F = %d", B, F);
    embed_check_ids("gather", ids, 0, B * F, table->shape[0]);
    struct tensor *t = graph_node(g, OP_GATHER, 3, (int[]){ B, F, table->shape[1] }, 1, &table);
    t->ids = ids;
    return graph_run(g, t);
}

/* The row loops with the width E a compile-time constant for the usual sizes, so that
 * a row's copy or add is a few vector moves, not a library call or a counted loop. */
#define EMBED_BY_E(E, CALL)                                                             \
    switch (E) {                                                                        \
    case 1: CALL(1); break;                                                             \
    case 8: CALL(8); break;                                                             \
    case 16: CALL(16); break;                                                           \
    case 32: CALL(32); break;                                                           \
    default: CALL(E); break;                                                            \
    }

void op_gather_forward(struct tensor *out)
{
    const struct tensor *table = out->src[0];
    int n = out->shape[0] * out->shape[1], E = table->shape[1];
    const int32_t *restrict ids = out->ids;
    const float *restrict w = table->data;
    float *restrict y = out->data;
#define GATHER_ROWS(EE)                                                                        \
    for (int j = 0; j < n; j++) memcpy(y + (size_t)j * (EE), w + (size_t)ids[j] * (EE), sizeof(float) * (size_t)(EE))
    EMBED_BY_E(E, GATHER_ROWS)
#undef GATHER_ROWS
}

/* The table's rows are cut into GATHER_TASKS ranges; task k adds, in j order, the
 * gradient rows whose id falls in range k. Each table row is written by one task in
 * the serial order, so any thread count gives the serial bits. */
#define GATHER_TASKS 8
struct gather_job { const int32_t *ids; const float *dy; float *dw; int n, E, V; };

static void gather_backward_range(void *ctx, int k)
{
    const struct gather_job *job = ctx;
    int32_t lo = k < 0 ? 0 : (int32_t)((int64_t)job->V * k / GATHER_TASKS);     /* k -1: every row */
    int32_t hi = k < 0 ? job->V : (int32_t)((int64_t)job->V * (k + 1) / GATHER_TASKS);
    int E = job->E, n = job->n;
    const int32_t *restrict ids = job->ids;
#define GATHER_ADD(EE)                                                                         \
    for (int j = 0; j < n; j++) {                                                              \
        int32_t id = ids[j];                                                                   \
        if (id < lo || id >= hi) continue;                                                     \
        float *restrict d = job->dw + (size_t)id * (EE);                                       \
        const float *restrict gj = job->dy + (size_t)j * (EE);                                 \
        for (int e = 0; e < (EE); e++) d[e] += gj[e];                                          \
    }
    EMBED_BY_E(E, GATHER_ADD)
#undef GATHER_ADD
}

void op_gather_backward(struct tensor *out)
{
    struct tensor *table = out->src[0];
    if (!table->grad) return;
    struct gather_job job = { out->ids, out->grad, table->grad, out->shape[0] * out->shape[1], table->shape[1],
                              table->shape[0] };
    if ((long)job.n * job.E >= (1L << 15) && apg_parallel_width() > 1)   /* the adds pay for 8 id scans */
        apg_parallel(GATHER_TASKS, gather_backward_range, &job);
    else gather_backward_range(&job, -1);
    struct sparse_rows *sp = embed_sparse(table);
    for (int j = 0; sp && j < job.n; j++) embed_touch(sp, job.ids[j]);   /* first-touch order */
}

/* ---------------------------------------------------------------------------------
 * bag: table (V,E); bag j < B*F holds ids[offs[j] .. offs[j+1]) (out->offs, out->ids);
 * out (B,F,E), out[j] = mean of its rows, 0 for an empty bag.  Caches nothing.
 * backward: table.grad[id] += dout[j] / |bag j| for each id of bag j, in order. */
struct tensor *t_bag(struct graph *g, struct tensor *table, const int32_t *offs,
                     const int32_t *ids, int B, int F)
{
    embed_check_table("bag", table);
    if (B < 1 || F < 1) ops_die("bag", "bad batch shape B = %d, F = %d", B, F);
    if (!offs) ops_die("bag", "NULL offsets");
    int n = B * F;
    if (offs[0] < 0) ops_die("bag", "offset %d at position 0 is negative", (int)offs[0]);
    for (int j = 0; j < n; j++)
        if (offs[j + 1] < offs[j])
            ops_die("bag", "offsets decrease at bag %d (%d -> %d)", j, (int)offs[j], (int)offs[j + 1]);
    embed_check_ids("bag", ids, offs[0], offs[n], table->shape[0]);
    struct tensor *t = graph_node(g, OP_BAG, 3, (int[]){ B, F, table->shape[1] }, 1, &table);
    t->offs = offs;
    t->ids = ids;
    return graph_run(g, t);
}

void op_bag_forward(struct tensor *out)
{
    const struct tensor *table = out->src[0];
    int n = out->shape[0] * out->shape[1], E = table->shape[1];
    const int32_t *restrict ids = out->ids, *restrict offs = out->offs;
    const float *restrict w = table->data;
    float *restrict y = out->data;
    for (int j = 0; j < n; j++) {
        float *restrict yj = y + (size_t)j * E;
        for (int e = 0; e < E; e++) yj[e] = 0.0f;
        int k0 = offs[j], k1 = offs[j + 1];
        for (int k = k0; k < k1; k++) {
            const float *restrict row = w + (size_t)ids[k] * E;
            #pragma omp simd
            for (int e = 0; e < E; e++) yj[e] += row[e];
        }
        if (k1 > k0) {
            float inv = 1.0f / (float)(k1 - k0);
            #pragma omp simd
            for (int e = 0; e < E; e++) yj[e] *= inv;
        }
    }
}

void op_bag_backward(struct tensor *out)
{
    struct tensor *table = out->src[0];
    if (!table->grad) return;
    int n = out->shape[0] * out->shape[1], E = table->shape[1];
    const int32_t *restrict ids = out->ids, *restrict offs = out->offs;
    const float *restrict dy = out->grad;
    float *restrict dw = table->grad;
    struct sparse_rows *sp = embed_sparse(table);
    for (int j = 0; j < n; j++) {
        int k0 = offs[j], k1 = offs[j + 1];
        if (k1 == k0) continue;
        float inv = 1.0f / (float)(k1 - k0);
        const float *restrict gj = dy + (size_t)j * E;
        for (int k = k0; k < k1; k++) {
            float *restrict d = dw + (size_t)ids[k] * E;
            #pragma omp simd
            for (int e = 0; e < E; e++) d[e] += gj[e] * inv;
            if (sp) embed_touch(sp, ids[k]);
        }
    }
}

/* ---------------------------------------------------------------------------------
 * idxmv: A (D, N*M), W (N,M), x (R,M), ids[R] in [0,D) (out->ids) -> y (R,N),
 *   y[r,n] = sum_m A[ids_r][n,m] W[n,m] x[r,m].  Caches nothing.
 * backward, rows in order (rows of one id accumulate deterministically):
 *   dx[r,m] += sum_n A[ids_r][n,m] W[n,m] dy[r,n];  dA[ids_r][n,m] += dy[r,n] W[n,m] x[r,m];
 *   dW[n,m] += dy[r,n] A[ids_r][n,m] x[r,m];  touched rows of A recorded. */
struct tensor *t_idxmv(struct graph *g, struct tensor *a, struct tensor *w, struct tensor *x, const int32_t *ids)
{
    embed_check_table("idxmv", a);
    ops_check_operand("idxmv", w);
    ops_check_operand("idxmv", x);
    OPS_CHECK_SHAPE(w->ndim == 2 && w->shape[1] == tensor_cols(x), "idxmv", w, x, "W must be (N, cols(x))");
    OPS_CHECK_SHAPE(tensor_cols(a) == w->size, "idxmv", a, w, "A must be (D, N*M) for W (N,M)");
    int R = tensor_rows(x);
    embed_check_ids("idxmv", ids, 0, R, a->shape[0]);
    struct tensor *t = graph_node(g, OP_IDXMV, 2, (int[]){ R, w->shape[0] }, 3, (struct tensor *[]){ a, w, x });
    t->ids = ids;
    return graph_run(g, t);
}

void op_idxmv_forward(struct tensor *out)
{
    const struct tensor *a = out->src[0], *w = out->src[1], *x = out->src[2];
    int R = out->shape[0], N = out->shape[1], M = w->shape[1];
    for (int r = 0; r < R; r++) {
        const float *restrict ar = a->data + (size_t)out->ids[r] * N * M, *restrict xr = x->data + (size_t)r * M;
        float *restrict yr = out->data + (size_t)r * N;
        for (int n = 0; n < N; n++) {
            const float *restrict an = ar + (size_t)n * M, *restrict wn = w->data + (size_t)n * M;
            float acc = 0.0f;
            #pragma omp simd reduction(+ : acc)
            for (int m = 0; m < M; m++) acc += an[m] * wn[m] * xr[m];
            yr[n] = acc;
        }
    }
}

void op_idxmv_backward(struct tensor *out)
{
    struct tensor *a = out->src[0], *w = out->src[1], *x = out->src[2];
    int R = out->shape[0], N = out->shape[1], M = w->shape[1];
    struct sparse_rows *sp = embed_sparse(a);
    for (int r = 0; r < R; r++) {
        size_t off = (size_t)out->ids[r] * N * M;
        const float *restrict ar = a->data + off, *restrict xr = x->data + (size_t)r * M;
        const float *restrict dyr = out->grad + (size_t)r * N;
        float *restrict dxr = x->grad ? x->grad + (size_t)r * M : NULL;
        for (int n = 0; n < N; n++) {
            float d = dyr[n];
            const float *restrict an = ar + (size_t)n * M, *restrict wn = w->data + (size_t)n * M;
            if (dxr) {
                #pragma omp simd
                for (int m = 0; m < M; m++) dxr[m] += an[m] * wn[m] * d;
            }
            if (a->grad) {
                float *restrict dan = a->grad + off + (size_t)n * M;
                #pragma omp simd
                for (int m = 0; m < M; m++) dan[m] += d * wn[m] * xr[m];
            }
            if (w->grad) {
                float *restrict dwn = w->grad + (size_t)n * M;
                #pragma omp simd
                for (int m = 0; m < M; m++) dwn[m] += d * an[m] * xr[m];
            }
        }
        if (sp && a->grad) embed_touch(sp, out->ids[r]);
    }
}
