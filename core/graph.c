#include "arena.h"
#include "graph.h"
#include "prof.h"
#include "threads.h"
#include "op.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void graph_init(struct graph *g, size_t arena_bytes)
{
    memset(g, 0, sizeof *g);
    arena_init(&g->arena, arena_bytes);
    g->cap_tape = 256;
    g->tape = malloc(sizeof *g->tape * (size_t)g->cap_tape);
    if (!g->tape) apg_oom("tape", sizeof *g->tape * (size_t)g->cap_tape);
    g->record = 1;
}

void graph_free(struct graph *g)
{
    arena_free(&g->arena);
    free(g->tape);
    memset(g, 0, sizeof *g);
}

void graph_reset(struct graph *g)
{
    arena_reset(&g->arena);
    g->n_tape = 0;
}

static struct tensor *tensor_alloc(struct graph *g, int ndim, const int *shape)
{
    if (ndim < 1 || ndim > TENSOR_MAX_DIMS) {
        fprintf(stderr, "apg: internal error: tensor with %d dims\n", ndim);
        abort();
    }
    struct tensor *t = arena_calloc(&g->arena, sizeof *t);
    t->ndim = ndim;
    t->size = 1;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = shape[i];
        t->size *= shape[i];
    }
    return t;
}

struct tensor *graph_input(struct graph *g, float *data, int ndim, const int *shape)
{
    struct tensor *t = tensor_alloc(g, ndim, shape);
    t->data = data ? data : arena_alloc(&g->arena, sizeof(float) * (size_t)t->size);
    t->op = 0;
    return t;
}

struct tensor *graph_node(struct graph *g, int op, int ndim, const int *shape,
                          int n_src, struct tensor *const *src)
{
    struct tensor *t = tensor_alloc(g, ndim, shape);
    t->op = op;
    t->n_src = n_src;
    t->src = arena_alloc(&g->arena, sizeof *t->src * (size_t)(n_src > 0 ? n_src : 1));
    for (int i = 0; i < n_src; i++) {
        t->src[i] = src[i];
        if (g->record && src[i] && (src[i]->flags & T_NEEDS_GRAD)) t->flags |= T_NEEDS_GRAD;
    }
    t->data = arena_alloc(&g->arena, sizeof(float) * (size_t)t->size);
    return t;
}

struct tensor *graph_run(struct graph *g, struct tensor *t)
{
    if (prof_on) {
        uint64_t t0 = prof_now();
        op_table[t->op].forward(t);
        prof_add(t->op, 0, prof_now() - t0);
    } else {
        op_table[t->op].forward(t);
    }
    if (t->flags & T_NEEDS_GRAD) {
        if (g->n_tape == g->cap_tape) {   /* grows during the first steps only */
            g->cap_tape *= 2;
            struct tensor **nt = realloc(g->tape, sizeof *g->tape * (size_t)g->cap_tape);
            if (!nt) apg_oom("tape", sizeof *g->tape * (size_t)g->cap_tape);
            g->tape = nt;
        }
        g->tape[g->n_tape++] = t;
    }
    return t;
}

float *graph_scratch(struct graph *g, int n)
{
    return arena_calloc(&g->arena, sizeof(float) * (size_t)n);
}

/* The gradient buffers of a backward pass zeroed in GRAPH_ZERO_TASKS slices of their
 * total length, shared over the task pool (zeroing is most of the step's serial part). */
#define GRAPH_ZERO_TASKS 16
struct zero_job { struct tensor **t; int n; long total; };

static void graph_zero_slice(void *ctx, int k)
{
    const struct zero_job *z = ctx;
    long lo = z->total * k / GRAPH_ZERO_TASKS, hi = z->total * (k + 1) / GRAPH_ZERO_TASKS, at = 0;
    for (int i = 0; i < z->n && at < hi; i++) {
        long n = z->t[i]->size, a = lo > at ? lo - at : 0, b = hi - at < n ? hi - at : n;
        if (b > a) memset(z->t[i]->grad + a, 0, sizeof(float) * (size_t)(b - a));
        at += n;
    }
}

/* Whether op t's backward honours T_GRAD_FRESH on source slot j: it writes the whole
 * of that source's gradient and stores it when grad_first_write says so. */
static int first_writer_op(const struct tensor *t, int j)
{
    switch (t->op) {
    case OP_LINEAR:
    case OP_LINEAR_RELU: return j == 0 && t->src[0] != t->src[1] && t->src[0] != t->src[2];
    case OP_ROWMV: return j == 0 && t->src[0] != t->src[1];
    case OP_LRMV: return j == 1 && t->src[1] != t->src[0] && t->src[1] != t->src[2] && t->src[1] != t->src[3];
    case OP_ROWMVP:
    case OP_MHSA: return j == 0;
    default: return 0;
    }
}

/* Marks T_GRAD_FRESH every tape node whose last consumer (the first to write its
 * gradient in the backward) is an op that stores instead of adding. Not a node that
 * shares its gradient buffer with a reshape view (the view's consumers write there too,
 * in an order the marks do not follow). */
int graph_first_writes = 1;

static void mark_first_writers(struct graph *g)
{
    for (int i = 0; i < g->n_tape; i++) {
        struct tensor *t = g->tape[i];
        if (t->op == OP_RESHAPE && t->grad == t->src[0]->grad) t->src[0]->flags |= T_GRAD_SEEN;
    }
    for (int i = g->n_tape - 1; i >= 0; i--) {
        struct tensor *t = g->tape[i];
        for (int j = 0; j < t->n_src; j++) {
            struct tensor *s = t->src[j];
            if (!s || (s->flags & (T_PARAM | T_GRAD_SEEN)) || !(s->flags & T_NEEDS_GRAD) || !s->grad) continue;
            s->flags |= T_GRAD_SEEN;
            if (s->op != OP_NONE && s->op != OP_RESHAPE && first_writer_op(t, j)) s->flags |= T_GRAD_FRESH;
        }
    }
    for (int i = 0; i < g->n_tape; i++) {
        struct tensor *t = g->tape[i];
        t->flags &= ~T_GRAD_SEEN;
        for (int j = 0; j < t->n_src; j++)
            if (t->src[j]) t->src[j]->flags &= ~T_GRAD_SEEN;
    }
}

void graph_backward(struct graph *g, struct tensor *loss)
{
    if (!(loss->flags & T_NEEDS_GRAD)) return;   /* nothing trainable upstream */
    /* Grads for every recorded node; parameters own theirs. A reshape (a view of its
     * source's data) shares its source's grad buffer, so what flows into it is added to
     * the source in place (op_reshape_backward then adds nothing). Buffers are zeroed
     * except where the first writer stores (mark_first_writers). */
    struct zero_job z = { arena_alloc(&g->arena, sizeof(struct tensor *) * (size_t)(g->n_tape ? g->n_tape : 1)), 0, 0 };
    for (int i = 0; i < g->n_tape; i++) {
        struct tensor *t = g->tape[i];
        struct tensor *a = t->op == OP_RESHAPE ? t->src[0] : NULL;
        if (a && a->grad && a->size == t->size && (a->flags & T_NEEDS_GRAD) && a != loss)
            t->grad = a->grad;
        else
            t->grad = arena_alloc(&g->arena, sizeof(float) * (size_t)t->size);
    }
    if (graph_first_writes) mark_first_writers(g);
    for (int i = 0; i < g->n_tape; i++) {
        struct tensor *t = g->tape[i];
        int view = t->op == OP_RESHAPE && t->grad == t->src[0]->grad;
        if (!view && !(t->flags & T_GRAD_FRESH)) {
            z.t[z.n++] = t;
            z.total += t->size;
        }
    }
    uint64_t t0 = prof_on ? prof_now() : 0;
    if (z.total >= (1L << 16)) apg_parallel(GRAPH_ZERO_TASKS, graph_zero_slice, &z);
    else for (int k = 0; k < GRAPH_ZERO_TASKS; k++) graph_zero_slice(&z, k);
    if (prof_on) prof_add(PROF_ZERO, 1, prof_now() - t0);
    for (int i = 0; i < loss->size; i++) loss->grad[i] = 1.0f;
    for (int i = g->n_tape - 1; i >= 0; i--) {
        struct tensor *t = g->tape[i];
        if (prof_on) {
            t0 = prof_now();
            op_table[t->op].backward(t);
            prof_add(t->op, 1, prof_now() - t0);
        } else {
            op_table[t->op].backward(t);
        }
    }
}

/* Does t's backward form a product for source i (it needs a gradient)? */
static int needs(const struct tensor *t, int i)
{
    return i < t->n_src && t->src[i] && (t->src[i]->flags & T_NEEDS_GRAD);
}

double graph_macs(const struct graph *g, int with_backward)
{
    double total = 0;
    for (int n = 0; n < g->n_tape; n++) {
        const struct tensor *t = g->tape[n];
        double f = 0, b = 0;                /* forward; backward per operand gradient */
        int grads = 0;
        switch (t->op) {
        case OP_LINEAR: case OP_LINEAR_RELU: {     /* x (R,M) W^T (M,N) */
            const struct tensor *x = t->src[0], *w = t->src[1];
            f = (double)tensor_rows(x) * w->shape[0] * w->shape[1];
            grads = needs(t, 0) + needs(t, 1);
            b = f * grads;
            break;
        }
        case OP_MATMUL: case OP_BMM: {             /* per batch: op(A) (m,k) op(B) (k,n) = C (m,n) */
            const struct tensor *a = t->src[0];
            int ta = t->iarg[0], d = a->ndim;
            f = (double)t->size * (ta ? a->shape[d - 2] : a->shape[d - 1]);
            grads = needs(t, 0) + needs(t, 1);
            b = f * grads;
            break;
        }
        case OP_ROWMV: case OP_ROWMVP:             /* R x (N,M) (M) */
            f = (double)tensor_rows(t) * t->iarg[0] * t->iarg[1];
            b = t->op == OP_ROWMVP ? (needs(t, 0) ? 2 * f : 0) : f * (needs(t, 0) + needs(t, 1));
            break;
        case OP_LRMV: {                            /* T_r = S_r V, W_r = U T_r, then W_r x_r */
            const struct tensor *u = t->src[0];
            double R = tensor_rows(t), N = u->shape[0], K = u->shape[1], M = tensor_cols(t->src[3]);
            double tr = R * K * K * M, wr = R * N * M * (K + 1);   /* all T_r; all W_r and W_r x_r */
            int ds = needs(t, 1), dv = needs(t, 2);
            f = tr + wr;
            /* T_r again; dU and dT_r through dW_r; dS_r = dT_r V^T, dV += S_r^T dT_r; dx */
            b = tr + needs(t, 0) * wr + (ds || dv) * wr + (ds + dv) * tr + needs(t, 3) * R * (N + M) * K;
            break;
        }
        case OP_GENMV: {                           /* gen = z G^T (R, NM, D), then W_r h_r */
            double R = tensor_rows(t), NM = (double)t->iarg[0] * t->iarg[1], D = tensor_cols(t->src[0]);
            f = R * NM * (D + 1);
            b = (needs(t, 1) + needs(t, 0)) * R * NM * D + needs(t, 3) * R * NM;
            break;
        }
        default: break;
        }
        total += f + (with_backward ? b : 0);
    }
    return total;
}
