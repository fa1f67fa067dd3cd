/* Gradient check of every op in core/ops.def: central differences against the analytic
 * backward on tiny random graphs, one case per op kind (a missing case fails the suite).
 * The ops' other contracts (row-sparse bookkeeping, linear_relu = relu(linear), shape-error
 * aborts) are in tests/test_op_contracts.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "graph.h"
#include "op.h"
#include "ops.h"
#include "params.h"
#include "rng.h"

#define GC_H      1e-2    /* central-difference step */
#define GC_RTOL   1e-2
#define GC_ATOL   1e-3
#define GC_CHECK  160     /* elements checked per operand; larger ones are sampled */
#define GC_MAX_OP 8

/* One sub-case: operands are parameters (they get grads) or plain inputs (no grad),
 * declared in order; gc_build() applies the op under test (kind) to them. */
struct gc_operand {
    int alias;                 /* >= 0: the same tensor as that earlier operand */
    struct tensor *param;      /* parameter, or NULL for an input */
    float *data;               /* input data (outlives graph_reset) */
    int ndim, shape[3];
};

struct gc {
    const char *label;
    struct param_store ps;
    struct rng rng;
    struct gc_operand op[GC_MAX_OP];
    int n_op;
    float scale;               /* operands ~ U(-scale, scale) */
    int away_from_zero;        /* |x| >= 0.1 * scale (relu) */
    int arg[4];
    float farg;
    const int32_t *ids, *offs;
    const float *labels;
    int kind;                  /* the op under test */
};

static int gc_failures;
static uint64_t gc_seed = 1;

static struct tensor *X(struct gc *c, struct graph *g, int i)
{
    struct gc_operand *o = &c->op[i];
    if (o->alias >= 0) o = &c->op[o->alias];
    return o->param ? o->param : graph_input(g, o->data, o->ndim, o->shape);
}

static void gc_begin(struct gc *c, const char *label, int kind)
{
    memset(c, 0, sizeof *c);
    c->label = label;
    c->kind = kind;
    c->scale = 1.0f;
    params_init(&c->ps);
    rng_seed(&c->rng, gc_seed++);
}

/* kind: 'p' parameter, 's' sparse parameter, 'i' input. */
static void gc_operand(struct gc *c, char kind, int ndim, int d0, int d1, int d2)
{
    struct gc_operand *o = &c->op[c->n_op];
    int shape[3] = { d0, d1, d2 };
    o->alias = -1;
    o->ndim = ndim;
    memcpy(o->shape, shape, sizeof shape);
    if (kind == 'i') {
        int n = 1;
        for (int i = 0; i < ndim; i++) n *= shape[i];
        o->data = malloc(sizeof(float) * (size_t)n);
        for (int i = 0; i < n; i++) o->data[i] = rng_uniform(&c->rng, -1.0f, 1.0f);
    } else {
        char name[16];
        snprintf(name, sizeof name, "x%d", c->n_op);
        o->param = param_new(&c->ps, name, ndim, shape, INIT_UNIFORM, 1.0f, kind == 's');
    }
    c->n_op++;
}
#define P(c, ...) gc_operand(c, 'p', __VA_ARGS__)
#define S(c, ...) gc_operand(c, 's', __VA_ARGS__)
#define IN(c, ...) gc_operand(c, 'i', __VA_ARGS__)

static struct tensor *gc_build(struct gc *c, struct graph *g);

static void gc_alias(struct gc *c, int of)
{
    c->op[c->n_op].alias = of;
    c->n_op++;
}

/* sum_i out_i w_i in double, from a fresh forward pass (not recorded). */
static double gc_eval(struct gc *c, struct graph *g, const float *w)
{
    graph_reset(g);
    g->record = 0;
    struct tensor *out = gc_build(c, g);
    g->record = 1;
    double f = 0.0;
    for (int i = 0; i < out->size; i++) f += (double)out->data[i] * w[i];
    return f;
}

static void gc_run(struct gc *c)
{
    params_alloc(&c->ps, &c->rng);
    for (int i = 0; i < c->ps.n; i++) {
        struct tensor *p = c->ps.list[i];
        for (int j = 0; j < p->size; j++) {
            float v = p->data[j];
            if (c->away_from_zero) v = (v < 0 ? -1.0f : 1.0f) * (0.1f + 0.9f * fabsf(v));
            p->data[j] = c->scale * v;
        }
    }
    struct graph g;
    graph_init(&g, 1 << 16);
    /* Analytic: loss = rowdot(reshape(out, (1,n)), w) -> (1,1), one backward. */
    struct tensor *out = gc_build(c, &g);
    int n = out->size;
    float *w = malloc(sizeof(float) * (size_t)n);
    for (int i = 0; i < n; i++) w[i] = rng_uniform(&c->rng, -1.0f, 1.0f);
    struct tensor *wt = graph_input(&g, w, 2, (int[]){ 1, n });
    struct tensor *loss = t_rowdot(&g, t_reshape2(&g, out, 1, n), wt);
    /* Grads start non-zero: a backward that overwrites instead of adding fails. */
    float *g0 = malloc(sizeof(float) * c->ps.n_floats);
    for (size_t i = 0; i < c->ps.n_floats; i++) g0[i] = c->ps.grad[i] = rng_uniform(&c->rng, -1, 1);
    graph_backward(&g, loss);
    int bad = 0;
    for (int i = 0; i < c->ps.n; i++) {
        struct tensor *p = c->ps.list[i];
        float *an = malloc(sizeof(float) * (size_t)p->size);
        for (int j = 0; j < p->size; j++) an[j] = p->grad[j] - g0[p->grad - c->ps.grad + j];
        int stride = p->size > GC_CHECK ? p->size / GC_CHECK : 1;
        for (int j = (int)(gc_seed % (unsigned)stride); j < p->size; j += stride) {
            float v = p->data[j];
            float vp = v + (float)GC_H, vm = v - (float)GC_H;
            p->data[j] = vp;
            double fp = gc_eval(c, &g, w);
            p->data[j] = vm;
            double fm = gc_eval(c, &g, w);
            p->data[j] = v;
            double num = (fp - fm) / ((double)vp - (double)vm);
            double err = fabs(num - an[j]), tol = GC_ATOL + GC_RTOL * fmax(fabs(num), fabs(an[j]));
            if (!(err <= tol)) {
                if (bad < 6)
                    fprintf(stderr, "gradcheck %s %s: %s[%d]: analytic %.6g, numeric %.6g\n",
                            op_table[c->kind].name, c->label, p->name, j, an[j], num);
                bad++;
            }
        }
        free(an);
    }
    if (bad) fprintf(stderr, "gradcheck %s %s: %d mismatches\n", op_table[c->kind].name, c->label, bad);
    gc_failures += bad;
    free(g0);
    free(w);
    graph_free(&g);
    params_free(&c->ps);
    for (int i = 0; i < c->n_op; i++) free(c->op[i].data);
}

/* ---- one case per op kind ---------------------------------------------------------- */

/* The op under test (c->kind) on the declared operands; arg as each case sets it. */
static struct tensor *gc_build(struct gc *c, struct graph *g)
{
    struct tensor *a = X(c, g, 0), *b = c->n_op > 1 ? X(c, g, 1) : NULL, *parts[GC_MAX_OP];
    const int *k = c->arg;
    switch (c->kind) {
    case OP_LINEAR: return t_linear(g, a, b, c->n_op > 2 ? X(c, g, 2) : NULL);
    case OP_LINEAR_RELU: return t_linear_relu(g, a, b, c->n_op > 2 ? X(c, g, 2) : NULL);
    case OP_MATMUL: return t_matmul(g, a, b, k[0], k[1]);
    case OP_BMM: return t_bmm(g, a, b, k[0], k[1]);
    case OP_ADD: return t_add(g, a, b);
    case OP_SUB: return t_sub(g, a, b);
    case OP_MUL: return t_mul(g, a, b);
    case OP_SCALE: return t_scale(g, a, c->farg);
    case OP_RELU: return t_relu(g, a);
    case OP_SIGMOID: return t_sigmoid(g, a);
    case OP_TANH: return t_tanh(g, a);
    case OP_SUM: return t_sum(g, a, k[0]);
    case OP_MEAN: return t_mean(g, a, k[0]);
    case OP_CONCAT:
        for (int i = 0; i < c->n_op; i++) parts[i] = X(c, g, i);
        return t_concat(g, c->n_op, parts);
    case OP_SLICE:   /* k[0] < 0: t_split into 2, 4, 1 columns, concatenated reversed */
        if (k[0] >= 0) return t_slice(g, a, k[0], k[1]);
        t_split(g, a, 3, (int[]){ 2, 4, 1 }, parts + 3);
        return t_concat(g, 3, (struct tensor *[]){ parts[5], parts[4], parts[3] });
    case OP_RESHAPE: return t_reshape(g, a, k[0], k + 1);
    case OP_TRANSPOSE: return t_transpose(g, a);
    case OP_GATHER: return t_gather(g, a, c->ids, k[0], k[1]);
    case OP_BAG: return t_bag(g, a, c->offs, c->ids, k[0], k[1]);
    case OP_SOFTMAX: return t_softmax(g, a);
    case OP_ROWMV: return t_rowmv(g, a, b, k[0], k[1], k[2]);
    case OP_ROWMVP: return t_rowmvp(g, a, k[0], k[1]);
    case OP_LRMV: return t_lrmv(g, a, b, X(c, g, 2), X(c, g, 3));
    case OP_GENMV:   /* z, G, [b,] h (arg[2]: with b) */
        return t_genmv(g, a, b, k[2] ? X(c, g, 2) : NULL, X(c, g, c->n_op - 1), k[0], k[1]);
    case OP_ROWDOT: return t_rowdot(g, a, b);
    case OP_IDXMV: return t_idxmv(g, a, b, X(c, g, 2), c->ids);
    case OP_PAIRMUL: return t_pairmul(g, a, b);
    case OP_PAIRDOT: return t_pairdot(g, a);
    case OP_MHSA: return t_mhsa(g, a, k[0], k[1], c->farg, k[2]);
    case OP_BCE: return t_bce(g, a, c->labels);
    }
    fail_msg("gc_build: no graph for op %d", c->kind);
    return NULL;
}

static void case_linear(void)
{
    struct gc c;
    gc_begin(&c, "linear bias", OP_LINEAR);
    P(&c, 2, 3, 5, 0); P(&c, 2, 4, 5, 0); P(&c, 1, 4, 0, 0); gc_run(&c);
    gc_begin(&c, "linear no bias", OP_LINEAR);
    P(&c, 2, 3, 5, 0); P(&c, 2, 4, 5, 0); gc_run(&c);
    gc_begin(&c, "linear 3-D x", OP_LINEAR);
    P(&c, 3, 2, 3, 5); P(&c, 2, 4, 5, 0); P(&c, 1, 4, 0, 0); gc_run(&c);
    gc_begin(&c, "linear input x", OP_LINEAR);
    IN(&c, 2, 7, 3, 0); P(&c, 2, 1, 3, 0); P(&c, 1, 1, 0, 0); gc_run(&c);
    gc_begin(&c, "linear big (threaded bias grad)", OP_LINEAR);
    P(&c, 2, 300, 3, 0); P(&c, 2, 130, 3, 0); P(&c, 1, 130, 0, 0); gc_run(&c);
}

/* linear_relu: both sides of the kink are reached (about half the outputs are 0). At
 * sizes where outputs sit within the difference step of the kink, the fused op is
 * compared with relu(linear) instead (test_linear_relu_is_relu_of_linear). */
static void case_linear_relu(void)
{
    struct gc c;
    gc_begin(&c, "bias", OP_LINEAR_RELU);
    P(&c, 2, 6, 5, 0); P(&c, 2, 4, 5, 0); P(&c, 1, 4, 0, 0); gc_run(&c);
    gc_begin(&c, "no bias, 3-D x", OP_LINEAR_RELU);
    P(&c, 3, 2, 3, 5); P(&c, 2, 4, 5, 0); gc_run(&c);
}

/* matmul, bmm: every transpose pair; bmm also at a size that takes the BLIS path. */
static void case_mm(int op)
{
    static const char *lab[4] = { "NN", "NT", "TN", "TT" };
    for (int big = 0; big < 1 + (op == OP_BMM); big++)
        for (int t = 0; t < 4; t++) {
            int m = big ? 32 : 3, k = big ? 33 : 5, n = big ? 32 : 4, ta = t >> 1, tb = t & 1;
            struct gc c;
            gc_begin(&c, lab[t], op);
            c.arg[0] = ta;
            c.arg[1] = tb;
            if (op == OP_BMM) {
                P(&c, 3, 2, ta ? k : m, ta ? m : k);
                P(&c, 3, 2, tb ? n : k, tb ? k : n);
            } else {
                P(&c, 2, ta ? k : m, ta ? m : k, 0);
                P(&c, 2, tb ? n : k, tb ? k : n, 0);
            }
            gc_run(&c);
        }
    struct gc c;
    gc_begin(&c, "A A^T (one tensor twice)", op);
    c.arg[1] = 1;
    if (op == OP_BMM) P(&c, 3, 3, 4, 5); else P(&c, 2, 3, 5, 0);
    gc_alias(&c, 0); gc_run(&c);
    gc_begin(&c, "input B", op);
    if (op == OP_BMM) { P(&c, 3, 2, 1, 7); IN(&c, 3, 2, 7, 2); }
    else { P(&c, 2, 1, 7, 0); IN(&c, 2, 7, 2, 0); }
    gc_run(&c);
}
static void case_matmul(void) { case_mm(OP_MATMUL); }
static void case_bmm(void) { case_mm(OP_BMM); }

/* add/sub/mul: every broadcast mode, 2-D and 3-D, inputs, one tensor twice, threaded. */
static void case_binary(int op)
{
    struct gc c;
    gc_begin(&c, "same 2-D", op);       P(&c, 2, 3, 4, 0); P(&c, 2, 3, 4, 0); gc_run(&c);
    gc_begin(&c, "same 3-D", op);       P(&c, 3, 2, 3, 4); P(&c, 3, 2, 3, 4); gc_run(&c);
    gc_begin(&c, "row 2-D", op);        P(&c, 2, 3, 4, 0); P(&c, 1, 4, 0, 0); gc_run(&c);
    gc_begin(&c, "row 3-D", op);        P(&c, 3, 2, 3, 4); P(&c, 2, 1, 4, 0); gc_run(&c);
    gc_begin(&c, "row (B,1)+(1)", op);  P(&c, 2, 5, 1, 0); P(&c, 1, 1, 0, 0); gc_run(&c);
    gc_begin(&c, "col 2-D", op);        P(&c, 2, 3, 4, 0); P(&c, 2, 3, 1, 0); gc_run(&c);
    gc_begin(&c, "col 3-D", op);        P(&c, 3, 2, 3, 4); P(&c, 3, 2, 3, 1); gc_run(&c);
    gc_begin(&c, "col square", op);     P(&c, 2, 4, 4, 0); P(&c, 2, 4, 1, 0); gc_run(&c);
    gc_begin(&c, "row square", op);     P(&c, 2, 4, 4, 0); P(&c, 2, 1, 4, 0); gc_run(&c);
    gc_begin(&c, "input b", op);        P(&c, 2, 3, 4, 0); IN(&c, 1, 4, 0, 0); gc_run(&c);
    gc_begin(&c, "input a", op);        IN(&c, 2, 3, 4, 0); P(&c, 2, 3, 1, 0); gc_run(&c);
    gc_begin(&c, "one tensor twice", op); P(&c, 2, 3, 4, 0); gc_alias(&c, 0); gc_run(&c);
    gc_begin(&c, "row big", op);        P(&c, 2, 257, 130, 0); P(&c, 1, 130, 0, 0); gc_run(&c);
    gc_begin(&c, "col big", op);        P(&c, 2, 257, 130, 0); P(&c, 2, 257, 1, 0); gc_run(&c);
    gc_begin(&c, "same big", op);       P(&c, 2, 257, 130, 0); P(&c, 2, 257, 130, 0); gc_run(&c);
}
static void case_add(void) { case_binary(OP_ADD); }
static void case_sub(void) { case_binary(OP_SUB); }
static void case_mul(void) { case_binary(OP_MUL); }

/* One-operand ops: 2-D, 3-D and one large enough for the threaded loops. */
static void case_unary(int op, float scale, int away, float farg)
{
    static const int shapes[3][4] = { { 2, 3, 5, 0 }, { 3, 2, 3, 4 }, { 3, 2, 129, 130 } };
    for (int s = 0; s < 3; s++) {
        struct gc c;
        gc_begin(&c, s == 0 ? "2-D" : s == 1 ? "3-D" : "big", op);
        c.scale = scale;
        c.away_from_zero = away;
        c.farg = farg;
        P(&c, shapes[s][0], shapes[s][1], shapes[s][2], shapes[s][3]);
        gc_run(&c);
    }
}
static void case_scale(void) { case_unary(OP_SCALE, 1.0f, 0, -1.7f); }
static void case_relu(void) { case_unary(OP_RELU, 1.0f, 1, 0.0f); }
static void case_sigmoid(void) { case_unary(OP_SIGMOID, 4.0f, 0, 0.0f); }
static void case_tanh(void) { case_unary(OP_TANH, 2.0f, 0, 0.0f); }
static void case_softmax(void) { case_unary(OP_SOFTMAX, 3.0f, 0, 0.0f); }
static void case_transpose(void) { case_unary(OP_TRANSPOSE, 1.0f, 0, 0.0f); }

static void case_reshape(void)
{
    static const int to[3][4] = { { 2, 6, 4, 0 }, { 3, 4, 3, 2 }, { 1, 24, 0, 0 } };
    for (int s = 0; s < 3; s++) {
        struct gc c;
        gc_begin(&c, "reshape", OP_RESHAPE);
        memcpy(c.arg, to[s], sizeof to[s]);
        P(&c, 3, 2, 3, 4);
        gc_run(&c);
    }
}

/* sum/mean: every axis of 2-D and 3-D, axis -1, and large reductions. */
static void case_reduce(int op)
{
    static const int shapes[3][4] = { { 2, 3, 5, 0 }, { 3, 2, 3, 4 }, { 2, 130, 300, 0 } };
    for (int s = 0; s < 3; s++)
        for (int axis = -1; axis < shapes[s][0]; axis++) {
            struct gc c;
            gc_begin(&c, "axis", op);
            c.arg[0] = axis;
            P(&c, shapes[s][0], shapes[s][1], shapes[s][2], shapes[s][3]);
            gc_run(&c);
        }
}
static void case_sum(void) { case_reduce(OP_SUM); }
static void case_mean(void) { case_reduce(OP_MEAN); }

static void case_concat(void)
{
    struct gc c;
    gc_begin(&c, "2-D", OP_CONCAT);
    P(&c, 2, 3, 2, 0); P(&c, 2, 3, 4, 0); P(&c, 2, 3, 1, 0); gc_run(&c);
    gc_begin(&c, "3-D + input + repeated part", OP_CONCAT);
    P(&c, 3, 2, 3, 2); IN(&c, 3, 2, 3, 3); gc_alias(&c, 0); P(&c, 2, 6, 1, 0); gc_run(&c);
    gc_begin(&c, "one part", OP_CONCAT);
    P(&c, 2, 4, 3, 0); gc_run(&c);
    gc_begin(&c, "big", OP_CONCAT);
    P(&c, 2, 300, 64, 0); P(&c, 2, 300, 65, 0); gc_run(&c);
}

/* slice (middle, whole, last column) and t_split, 2-D and 3-D. */
static void case_slice(void)
{
    static const int sl[4][2] = { { 2, 3 }, { 0, 7 }, { 6, 1 }, { -1, 0 } };
    for (int s = 0; s < 4; s++)
        for (int d3 = 0; d3 < 2; d3++) {
            struct gc c;
            gc_begin(&c, sl[s][0] < 0 ? "split" : "slice", OP_SLICE);
            c.arg[0] = sl[s][0];
            c.arg[1] = sl[s][1];
            if (d3) P(&c, 3, 2, 3, 7); else P(&c, 2, 3, 7, 0);
            gc_run(&c);
        }
}

/* gather / bag: sparse and dense tables, repeated ids, an empty bag. */
static void case_gather(void)
{
    static const int32_t ids[6] = { 1, 4, 1, 6, 0, 4 };
    for (int v = 0; v < 3; v++) {
        struct gc c;
        gc_begin(&c, v == 0 ? "sparse" : v == 1 ? "dense" : "sparse E=1", OP_GATHER);
        c.ids = ids;
        c.arg[0] = 2;
        c.arg[1] = 3;
        if (v == 0) S(&c, 2, 7, 3, 0); else if (v == 1) P(&c, 2, 7, 3, 0); else S(&c, 2, 7, 1, 0);
        gc_run(&c);
    }
}

static void case_bag(void)
{
    /* bags: {1,4} {} {2,2,5} {6} ; the second layout starts at offset 1 */
    static const int32_t ids[2][7] = { { 1, 4, 2, 2, 5, 6, 0 }, { 3, 1, 4, 2, 2, 5, 6 } };
    static const int32_t offs[2][5] = { { 0, 2, 2, 5, 6 }, { 1, 3, 3, 6, 7 } };
    for (int v = 0; v < 3; v++) {
        struct gc c;
        gc_begin(&c, v == 2 ? "dense" : "sparse", OP_BAG);
        c.ids = ids[v & 1];
        c.offs = offs[v & 1];
        c.arg[0] = 2;
        c.arg[1] = 2;
        if (v == 2) P(&c, 2, 7, 3, 0); else S(&c, 2, 7, 3, 0);
        gc_run(&c);
    }
}

static void case_rowmv(void)
{
    /* R, N, M: tiny, the APG shapes (64x8, 8x8), one large */
    static const int rnm[4][3] = { { 4, 3, 2 }, { 3, 64, 8 }, { 5, 8, 8 }, { 520, 8, 8 } };
    for (int s = 0; s < 4; s++)
        for (int trans = 0; trans < 2; trans++) {
            int R = rnm[s][0], N = rnm[s][1], M = rnm[s][2];
            struct gc c;
            gc_begin(&c, trans ? "trans" : "no trans", OP_ROWMV);
            c.arg[0] = N;
            c.arg[1] = M;
            c.arg[2] = trans;
            P(&c, 2, R, N * M, 0);
            P(&c, 2, R, trans ? N : M, 0);
            gc_run(&c);
        }
    struct gc c;
    gc_begin(&c, "3-D x, input S", OP_ROWMV);
    c.arg[0] = 3;
    c.arg[1] = 2;
    IN(&c, 3, 2, 2, 6); P(&c, 3, 2, 2, 2); gc_run(&c);
}

/* rowmvp: tiny, the APG shape (8x8), one large (the row ranges over the pool), 3-D. */
static void case_rowmvp(void)
{
    static const int rnm[3][3] = { { 4, 3, 2 }, { 5, 8, 8 }, { 600, 8, 8 } };
    for (int s = 0; s < 3; s++) {
        int R = rnm[s][0], N = rnm[s][1], M = rnm[s][2];
        struct gc c;
        gc_begin(&c, "2-D", OP_ROWMVP);
        c.arg[0] = N;
        c.arg[1] = M;
        P(&c, 2, R, N * M + M, 0);
        gc_run(&c);
    }
    struct gc c;
    gc_begin(&c, "3-D", OP_ROWMVP);
    c.arg[0] = 3;
    c.arg[1] = 2;
    P(&c, 3, 2, 2, 8); gc_run(&c);
}

/* pairmul: F = 2 (one pair) and F = 4, L and R distinct, and one tensor as both. */
static void case_pairmul(void)
{
    struct gc c;
    gc_begin(&c, "F 2", OP_PAIRMUL);
    P(&c, 3, 2, 2, 3); P(&c, 3, 2, 2, 3); gc_run(&c);
    gc_begin(&c, "F 4", OP_PAIRMUL);
    P(&c, 3, 3, 4, 2); P(&c, 3, 3, 4, 2); gc_run(&c);
    gc_begin(&c, "L = R", OP_PAIRMUL);
    P(&c, 3, 2, 4, 3); gc_alias(&c, 0); gc_run(&c);
}

/* pairdot: F = 2 (one pair), F = 5 with E = 3, and E = 1. */
static void case_pairdot(void)
{
    struct gc c;
    gc_begin(&c, "F 2", OP_PAIRDOT);
    P(&c, 3, 2, 2, 3); gc_run(&c);
    gc_begin(&c, "F 5", OP_PAIRDOT);
    P(&c, 3, 3, 5, 3); gc_run(&c);
    gc_begin(&c, "E 1", OP_PAIRDOT);
    P(&c, 3, 2, 4, 1); gc_run(&c);
}

/* mhsa: one head and two, with and without the residual block, logits scaled or not.
 * Its ReLU puts outputs within the difference step of the kink at larger sizes; there
 * the layers built on it are compared with PyTorch instead (the AutoInt and DIFM golden
 * tests: logits, loss and every gradient). */
static void case_mhsa(void)
{
    static const int cfg[4][5] = { /* B, F, H, d, res */ { 2, 3, 1, 2, 0 }, { 1, 2, 1, 2, 1 }, { 1, 3, 1, 2, 1 },
                                   { 3, 2, 2, 1, 0 } };
    for (int v = 0; v < 4; v++) {
        struct gc c;
        gc_begin(&c, cfg[v][4] ? "residual" : "no residual", OP_MHSA);
        c.arg[0] = cfg[v][2];
        c.arg[1] = cfg[v][3];
        c.arg[2] = cfg[v][4];
        c.farg = v == 2 ? 1.0f / sqrtf(2.0f) : 1.0f;
        P(&c, 3, cfg[v][0], cfg[v][1], (cfg[v][4] ? 4 : 3) * cfg[v][2] * cfg[v][3]);
        gc_run(&c);
    }
}

/* idxmv: A (D, N*M) dense and row-sparse, ids with repeats (rows of one id accumulate)
 * and an unused row, x a parameter and an input. */
static void case_idxmv(void)
{
    static const int32_t ids[5] = { 2, 0, 2, 3, 0 };
    for (int v = 0; v < 3; v++) {
        struct gc c;
        gc_begin(&c, v == 0 ? "dense A" : v == 1 ? "sparse A" : "input x", OP_IDXMV);
        c.ids = ids;
        if (v == 1) S(&c, 2, 4, 3 * 2, 0); else P(&c, 2, 4, 3 * 2, 0);
        P(&c, 2, 3, 2, 0);
        if (v == 2) IN(&c, 2, 5, 2, 0); else P(&c, 2, 5, 2, 0);
        gc_run(&c);
    }
}

/* lrmv: U (N,K), S (R, K*K), V (K,M), x (R,M). N not a multiple of the 4-row blocks, K off
 * and on the specialised ranks, R past one chunk of dU and dV (64 rows) and large, M past
 * a 16-float vector, and inputs without grads. */
static void case_lrmv(void)
{
    static const int rnkm[5][4] = { { 3, 5, 2, 3 }, { 2, 4, 3, 7 }, { 70, 6, 8, 5 },
                                    { 130, 9, 8, 19 }, { 3, 4, 5, 2 } };
    for (int s = 0; s < 5; s++) {
        int R = rnkm[s][0], N = rnkm[s][1], K = rnkm[s][2], M = rnkm[s][3];
        struct gc c;
        gc_begin(&c, s == 3 ? "big (chunks)" : s == 4 ? "input x" : "small", OP_LRMV);
        P(&c, 2, N, K, 0);
        P(&c, 2, R, K * K, 0);
        P(&c, 2, K, M, 0);
        if (s == 4) IN(&c, 2, R, M, 0); else P(&c, 2, R, M, 0);
        gc_run(&c);
    }
    struct gc c;
    gc_begin(&c, "input U, S and V, 3-D x", OP_LRMV);
    IN(&c, 2, 5, 2, 0); IN(&c, 2, 6, 2 * 2, 0); IN(&c, 2, 2, 3, 0); P(&c, 3, 2, 3, 3); gc_run(&c);
}

/* genmv: z (R,D), G (N*M, D), b, h (R,M): tiny, without b, z = h (v1: D = M), one past
 * a block of rows (256) and of columns of gen (512), and an input z. */
static void case_genmv(void)
{
    static const int rdnm[5][4] = { { 3, 4, 2, 3 }, { 4, 3, 3, 2 }, { 5, 3, 2, 3 }, { 300, 3, 12, 50 },
                                    { 6, 2, 5, 4 } };
    static const char *const label[5] = { "small", "no b", "z = h", "blocks", "input z" };
    for (int s = 0; s < 5; s++) {
        int R = rdnm[s][0], D = rdnm[s][1], N = rdnm[s][2], M = rdnm[s][3];
        struct gc c;
        gc_begin(&c, label[s], OP_GENMV);
        c.arg[0] = N;
        c.arg[1] = M;
        c.arg[2] = s != 1;
        if (s == 4) IN(&c, 2, R, D, 0); else P(&c, 2, R, D, 0);
        P(&c, 2, N * M, D, 0);
        if (s != 1) P(&c, 1, N * M, 0, 0);
        if (s == 2) gc_alias(&c, 0); else P(&c, 2, R, M, 0);
        gc_run(&c);
    }
}

static void case_rowdot(void)
{
    struct gc c;
    gc_begin(&c, "2-D", OP_ROWDOT);
    P(&c, 2, 3, 5, 0); P(&c, 2, 3, 5, 0); gc_run(&c);
    gc_begin(&c, "3-D, input b", OP_ROWDOT);
    P(&c, 3, 2, 3, 4); IN(&c, 3, 2, 3, 4); gc_run(&c);
    gc_begin(&c, "one tensor twice", OP_ROWDOT);
    P(&c, 2, 4, 3, 0); gc_alias(&c, 0); gc_run(&c);
    gc_begin(&c, "big", OP_ROWDOT);
    P(&c, 2, 300, 130, 0); P(&c, 2, 300, 130, 0); gc_run(&c);
}

static void case_bce(void)
{
    static const float labels[6] = { 0.0f, 1.0f, 1.0f, 0.0f, 0.3f, 1.0f };
    for (int d3 = 0; d3 < 2; d3++) {
        struct gc c;
        gc_begin(&c, d3 ? "(B,F,1)" : "(R,1)", OP_BCE);
        c.labels = labels;
        c.scale = 4.0f;
        if (d3) P(&c, 3, 2, 3, 1); else P(&c, 2, 6, 1, 0);
        gc_run(&c);
    }
}

/* Every op kind maps to its case; a NULL entry fails test_every_op_has_a_case. */
static void (*const gc_cases[OP_COUNT])(void) = {
    [OP_LINEAR] = case_linear,   [OP_LINEAR_RELU] = case_linear_relu, [OP_MATMUL] = case_matmul,     [OP_BMM] = case_bmm,
    [OP_ADD] = case_add,         [OP_SUB] = case_sub,           [OP_MUL] = case_mul,
    [OP_SCALE] = case_scale,     [OP_RELU] = case_relu,         [OP_SIGMOID] = case_sigmoid,
    [OP_TANH] = case_tanh,       [OP_SUM] = case_sum,           [OP_MEAN] = case_mean,
    [OP_CONCAT] = case_concat,   [OP_SLICE] = case_slice,       [OP_RESHAPE] = case_reshape,
    [OP_TRANSPOSE] = case_transpose, [OP_GATHER] = case_gather, [OP_BAG] = case_bag,
    [OP_SOFTMAX] = case_softmax, [OP_ROWMV] = case_rowmv, [OP_ROWMVP] = case_rowmvp, [OP_LRMV] = case_lrmv, [OP_GENMV] = case_genmv,       [OP_ROWDOT] = case_rowdot, [OP_IDXMV] = case_idxmv, [OP_PAIRMUL] = case_pairmul, [OP_PAIRDOT] = case_pairdot, [OP_MHSA] = case_mhsa,
    [OP_BCE] = case_bce,
};

static void test_every_op_has_a_case(void **state)
{
    (void)state;
    int missing = 0;
    for (int op = 1; op < OP_COUNT; op++)
        if (!gc_cases[op]) {
            fprintf(stderr, "op %s (core/ops.def) has no gradient check in tests/test_gradcheck.c\n",
                    op_table[op].name);
            missing++;
        }
    assert_int_equal(missing, 0);
}

static void test_gradcheck_op(void **state)
{
    int op = (int)(intptr_t)*state;
    if (!gc_cases[op]) fail_msg("op %s has no gradient check", op_table[op].name);
    gc_failures = 0;
    gc_cases[op]();
    assert_int_equal(gc_failures, 0);
}

int main(void)
{
    static struct CMUnitTest tests[OP_COUNT];
    static char names[OP_COUNT][48];
    int n = 0;
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_every_op_has_a_case);
    for (int op = 1; op < OP_COUNT; op++) {
        snprintf(names[op], sizeof names[op], "gradcheck_%s", op_table[op].name);
        tests[n++] = (struct CMUnitTest){ names[op], test_gradcheck_op, NULL, NULL, (void *)(intptr_t)op };
    }
    return _cmocka_run_group_tests("gradcheck", tests, (size_t)n, NULL, NULL);
}
