/* Elementwise ops: add, sub, mul with a broadcast second operand; scale; relu, sigmoid,
 * tanh; pairmul (products of field pairs), pairdot (their inner products). Loops are flat or row-wise and vectorised, on the calling thread (the threads
 * of --threads split the GEMMs, core/threads.h), and every reduction (the gradient of a
 * broadcast b) keeps a fixed summation order, so results are bit-identical. */
#include "ops.h"
#include "op.h"
#include "ops_check.h"
#include "threads.h"
#include <math.h>
#include <string.h>

/* ---------------------------------------------------------------------------------
 * add / sub / mul: out (R,C) = a (R,C) (op) b, the mode in iarg[0]:
 *   EW_SAME  b has a's shape (any shape of the same size and cols)
 *   EW_ROW   b is (C) or (1,C): b_c applies to every row,  (R,C) op (C)
 *   EW_COL   b has R elements, last dim 1: b_r to row r,     (R,C) op (R,1)
 * out has a's shape.  Caches nothing (mul reads a and b again).
 * backward: da += dout (* b);  db += dout (* a) reduced over the broadcast axis (sub: -=). */
enum ew_mode { EW_SAME, EW_ROW, EW_COL };
enum ew_kind { EW_ADD, EW_SUB, EW_MUL };

static struct tensor *ew_binary(struct graph *g, int op, const char *name,
                                struct tensor *a, struct tensor *b)
{
    ops_check_operand(name, a);
    ops_check_operand(name, b);
    int mode;
    if (b->size == a->size && tensor_cols(b) == tensor_cols(a)) mode = EW_SAME;
    else if (b->size == tensor_cols(a) && tensor_cols(b) == tensor_cols(a)) mode = EW_ROW;
    else if (b->size == tensor_rows(a) && tensor_cols(b) == 1) mode = EW_COL;
    else ops_shape_fail(name, a, b, "b must have a's shape, be a vector of cols(a) (row "
                        "broadcast) or have rows(a) elements and last dim 1 (column broadcast)");
    struct tensor *t = graph_node(g, op, a->ndim, a->shape, 2, (struct tensor *[]){ a, b });
    t->iarg[0] = mode;
    return graph_run(g, t);
}

struct tensor *t_add(struct graph *g, struct tensor *a, struct tensor *b)
{
    return ew_binary(g, OP_ADD, "add", a, b);
}
struct tensor *t_sub(struct graph *g, struct tensor *a, struct tensor *b)
{
    return ew_binary(g, OP_SUB, "sub", a, b);
}
struct tensor *t_mul(struct graph *g, struct tensor *a, struct tensor *b)
{
    return ew_binary(g, OP_MUL, "mul", a, b);
}

/* o[i] = EXPR(x[i], y) for the three modes, y = b[i], b[c] or b[r]. The op is spelled
 * out in each loop body so that the inner loops stay branch-free and vectorise (omp simd:
 * the build's -O2 alone does not vectorise loops of unknown length). */
#define EW_FORWARD(out, EXPR)                                                           \
    do {                                                                                \
        const struct tensor *a_ = (out)->src[0], *b_ = (out)->src[1];                   \
        const float *restrict xv = a_->data, *restrict yv = b_->data;                   \
        float *restrict ov = (out)->data;                                               \
        int R = tensor_rows(a_), C = tensor_cols(a_), n = a_->size, mode = (out)->iarg[0]; \
        if (mode == EW_SAME) {                                                          \
            _Pragma("omp simd")     \
            for (int i = 0; i < n; i++) { float x = xv[i], y = yv[i]; ov[i] = (EXPR); } \
            break;                                                                      \
        }                                                                               \
        for (int r = 0; r < R; r++) {                                                   \
            const float *restrict xr = xv + (size_t)r * C;                              \
            float *restrict o = ov + (size_t)r * C;                                     \
            if (mode == EW_ROW) {                                                       \
                _Pragma("omp simd")                                                     \
                for (int c = 0; c < C; c++) { float x = xr[c], y = yv[c]; o[c] = (EXPR); } \
            } else {                                                                    \
                float y = yv[r];                                                        \
                _Pragma("omp simd")                                                     \
                for (int c = 0; c < C; c++) { float x = xr[c]; o[c] = (EXPR); }         \
            }                                                                           \
        }                                                                               \
    } while (0)

void op_add_forward(struct tensor *out) { EW_FORWARD(out, x + y); }
void op_sub_forward(struct tensor *out) { EW_FORWARD(out, x - y); }
void op_mul_forward(struct tensor *out) { EW_FORWARD(out, x * y); }

/* da (R,C) += dout, or dout * b (broadcast as in forward) when b is given (mul). */
static void ew_grad_a(float *restrict da, const float *restrict dout, const float *restrict b,
                      int mode, int R, int C)
{
    long n = (long)R * C;
    if (!b) {
        #pragma omp simd
        for (long i = 0; i < n; i++) da[i] += dout[i];
    } else if (mode == EW_SAME) {
        #pragma omp simd
        for (long i = 0; i < n; i++) da[i] += dout[i] * b[i];
    } else if (mode == EW_ROW) {
        for (int r = 0; r < R; r++) {
            float *restrict d = da + (size_t)r * C;
            const float *restrict g = dout + (size_t)r * C;
            #pragma omp simd
            for (int c = 0; c < C; c++) d[c] += g[c] * b[c];
        }
    } else {
        for (int r = 0; r < R; r++) {
            float *restrict d = da + (size_t)r * C;
            const float *restrict g = dout + (size_t)r * C;
            float br = b[r];
            #pragma omp simd
            for (int c = 0; c < C; c++) d[c] += g[c] * br;
        }
    }
}

/* db += sign * reduce(dout (* a)) over the broadcast axis; a NULL for add/sub. Row mode
 * sums each column over the rows in row order (in column blocks); column
 * mode sums each row in column order. */
static void ew_grad_b(float *restrict db, const float *restrict dout, const float *restrict a,
                      float sign, int mode, int R, int C)
{
    long n = (long)R * C;
    if (mode == EW_SAME) {
        if (a) {
            #pragma omp simd
            for (long i = 0; i < n; i++) db[i] += dout[i] * a[i];
        } else {
            #pragma omp simd
            for (long i = 0; i < n; i++) db[i] += sign * dout[i];
        }
    } else if (mode == EW_ROW) {
        enum { BLK = 64 };
        int nblk = (C + BLK - 1) / BLK;
        for (int blk = 0; blk < nblk; blk++) {
            int c0 = blk * BLK, w = C - c0 < BLK ? C - c0 : BLK;
            float acc[BLK] = { 0 };
            for (int r = 0; r < R; r++) {
                const float *restrict g = dout + (size_t)r * C + c0;
                if (a) {
                    const float *restrict x = a + (size_t)r * C + c0;
                    #pragma omp simd
                    for (int c = 0; c < w; c++) acc[c] += g[c] * x[c];
                } else {
                    #pragma omp simd
                    for (int c = 0; c < w; c++) acc[c] += g[c];
                }
            }
            for (int c = 0; c < w; c++) db[c0 + c] += sign * acc[c];
        }
    } else {
        for (int r = 0; r < R; r++) {
            const float *restrict g = dout + (size_t)r * C;
            float acc = 0.0f;
            if (a) {
                const float *restrict x = a + (size_t)r * C;
                #pragma omp simd reduction(+:acc)
                for (int c = 0; c < C; c++) acc += g[c] * x[c];
            } else {
                #pragma omp simd reduction(+:acc)
                for (int c = 0; c < C; c++) acc += g[c];
            }
            db[r] += sign * acc;
        }
    }
}

/* a and b are handled in separate passes: t_add(g, x, x) passes one tensor twice. */
static void ew_backward(struct tensor *out, int kind)
{
    struct tensor *a = out->src[0], *b = out->src[1];
    int R = tensor_rows(a), C = tensor_cols(a), mode = out->iarg[0];
    if (a->grad) ew_grad_a(a->grad, out->grad, kind == EW_MUL ? b->data : NULL, mode, R, C);
    if (b->grad) ew_grad_b(b->grad, out->grad, kind == EW_MUL ? a->data : NULL,
                           kind == EW_SUB ? -1.0f : 1.0f, mode, R, C);
}

void op_add_backward(struct tensor *out) { ew_backward(out, EW_ADD); }
void op_sub_backward(struct tensor *out) { ew_backward(out, EW_SUB); }
void op_mul_backward(struct tensor *out) { ew_backward(out, EW_MUL); }

/* ---------------------------------------------------------------------------------
 * Unary ops, out has a's shape.  scale: out = farg a;  relu: max(a, 0);
 * sigmoid: 1 / (1 + exp(-a));  tanh.  Forward caches nothing extra: the backward of
 * relu, sigmoid and tanh reads its own output (y > 0;  y (1 - y);  1 - y^2). */
static struct tensor *ew_unary(struct graph *g, int op, const char *name, struct tensor *a)
{
    ops_check_operand(name, a);
    struct tensor *t = graph_node(g, op, a->ndim, a->shape, 1, &a);
    return t;
}

struct tensor *t_scale(struct graph *g, struct tensor *a, float s)
{
    struct tensor *t = ew_unary(g, OP_SCALE, "scale", a);
    t->farg = s;
    return graph_run(g, t);
}
struct tensor *t_relu(struct graph *g, struct tensor *a)
{
    return graph_run(g, ew_unary(g, OP_RELU, "relu", a));
}
struct tensor *t_sigmoid(struct graph *g, struct tensor *a)
{
    return graph_run(g, ew_unary(g, OP_SIGMOID, "sigmoid", a));
}
struct tensor *t_tanh(struct graph *g, struct tensor *a)
{
    return graph_run(g, ew_unary(g, OP_TANH, "tanh", a));
}

/* o[i] = EXPR(x) with x = a[i]; backward d[i] += EXPR(gi, yi) with gi = dout[i], yi = out[i].
 * SIMD variants for arithmetic expressions; the plain one for expf/tanhf calls. */
#define EW_UNARY_FORWARD(out, PRAGMA, EXPR)                                             \
    do {                                                                                \
        const float *restrict xv = (out)->src[0]->data;                                 \
        float *restrict o = (out)->data;                                                \
        int n = (out)->size;                                                            \
        _Pragma(PRAGMA)                                                                 \
        for (int i = 0; i < n; i++) { float x = xv[i]; o[i] = (EXPR); }                 \
    } while (0)
#define EW_UNARY_BACKWARD(out, EXPR)                                                    \
    do {                                                                                \
        if (!(out)->src[0]->grad) return;                                               \
        float *restrict d = (out)->src[0]->grad;                                        \
        const float *restrict g = (out)->grad, *restrict y = (out)->data;               \
        int n = (out)->size;                                                            \
        _Pragma("omp simd")         \
        for (int i = 0; i < n; i++) {                                                   \
            float gi = g[i], yi = y[i];                                                 \
            (void)yi;                                                                   \
            d[i] += (EXPR);                                                             \
        }                                                                               \
    } while (0)
#define EW_SIMD "omp simd"
#define EW_CALL "GCC ivdep"

void op_scale_forward(struct tensor *out)
{
    float s = out->farg;
    EW_UNARY_FORWARD(out, EW_SIMD, s * x);
}
void op_scale_backward(struct tensor *out)
{
    float s = out->farg;
    EW_UNARY_BACKWARD(out, s * gi);
}

/* Selects of values already loaded: branch-free, so they vectorise. */
void op_relu_forward(struct tensor *out) { EW_UNARY_FORWARD(out, EW_SIMD, x > 0.0f ? x : 0.0f); }
void op_relu_backward(struct tensor *out) { EW_UNARY_BACKWARD(out, yi > 0.0f ? gi : 0.0f); }

/* 1 / (1 + exp(-x)) is safe for any float x: exp overflows to inf and gives 0. */
void op_sigmoid_forward(struct tensor *out) { EW_UNARY_FORWARD(out, EW_CALL, 1.0f / (1.0f + expf(-x))); }
void op_sigmoid_backward(struct tensor *out) { EW_UNARY_BACKWARD(out, gi * yi * (1.0f - yi)); }

void op_tanh_forward(struct tensor *out) { EW_UNARY_FORWARD(out, EW_CALL, tanhf(x)); }
void op_tanh_backward(struct tensor *out) { EW_UNARY_BACKWARD(out, gi * (1.0f - yi * yi)); }

/* ---------------------------------------------------------------------------------
 * pairmul: l, r (B,F,E) -> out (B, P*E), out[b, p(i,j)] = l[b,i] * r[b,j] for i < j in
 * row-major pair order.  Caches nothing.
 * backward, pairs in order: dl[b,i] += dout[b,p] * r[b,j];  dr[b,j] += dout[b,p] * l[b,i]. */
struct tensor *t_pairmul(struct graph *g, struct tensor *l, struct tensor *r)
{
    ops_check_operand("pairmul", l);
    ops_check_operand("pairmul", r);
    OPS_CHECK_SHAPE(l->ndim == 3 && r->ndim == 3 && l->shape[0] == r->shape[0] && l->shape[1] == r->shape[1] &&
                    l->shape[2] == r->shape[2] && l->shape[1] >= 2, "pairmul", l, r,
                    "L and R must be (B,F,E) alike with F >= 2");
    int B = l->shape[0], F = l->shape[1], E = l->shape[2];
    struct tensor *t = graph_node(g, OP_PAIRMUL, 2, (int[]){ B, F * (F - 1) / 2 * E }, 2, (struct tensor *[]){ l, r });
    return graph_run(g, t);
}

void op_pairmul_forward(struct tensor *out)
{
    const struct tensor *l = out->src[0], *r = out->src[1];
    int B = l->shape[0], F = l->shape[1], E = l->shape[2], P = F * (F - 1) / 2;
    for (int b = 0; b < B; b++) {
        const float *lb = l->data + (size_t)b * F * E, *rb = r->data + (size_t)b * F * E;
        float *ob = out->data + (size_t)b * P * E;
        for (int i = 0; i < F - 1; i++)
            for (int j = i + 1; j < F; j++, ob += E) {
                const float *restrict li = lb + (size_t)i * E, *restrict rj = rb + (size_t)j * E;
                float *restrict o = ob;
                #pragma omp simd
                for (int e = 0; e < E; e++) o[e] = li[e] * rj[e];
            }
    }
}

void op_pairmul_backward(struct tensor *out)
{
    struct tensor *l = out->src[0], *r = out->src[1];
    int B = l->shape[0], F = l->shape[1], E = l->shape[2], P = F * (F - 1) / 2;
    for (int b = 0; b < B; b++) {
        size_t at = (size_t)b * F * E;
        const float *dob = out->grad + (size_t)b * P * E;
        for (int i = 0; i < F - 1; i++)
            for (int j = i + 1; j < F; j++, dob += E) {
                const float *restrict d = dob;
                if (l->grad) {
                    float *restrict dl = l->grad + at + (size_t)i * E;
                    const float *restrict rj = r->data + at + (size_t)j * E;
                    #pragma omp simd
                    for (int e = 0; e < E; e++) dl[e] += d[e] * rj[e];
                }
                if (r->grad) {
                    float *restrict dr = r->grad + at + (size_t)j * E;
                    const float *restrict li = l->data + at + (size_t)i * E;
                    #pragma omp simd
                    for (int e = 0; e < E; e++) dr[e] += d[e] * li[e];
                }
            }
    }
}

/* ---------------------------------------------------------------------------------
 * pairdot: e (B,F,E) -> out (B,P), out[b, p(i,j)] = <e[b,i], e[b,j]> for i < j in
 * row-major pair order (PNN's inner products, without the Gram matrix's lower half and
 * diagonal, slices and concat).  Caches nothing.
 * backward, pairs in order: de[b,i] += dout[b,p] e[b,j];  de[b,j] += dout[b,p] e[b,i]. */
struct tensor *t_pairdot(struct graph *g, struct tensor *e)
{
    ops_check_operand("pairdot", e);
    OPS_CHECK_SHAPE(e->ndim == 3 && e->shape[1] >= 2, "pairdot", e, NULL, "e must be (B,F,E) with F >= 2");
    int B = e->shape[0], F = e->shape[1];
    struct tensor *t = graph_node(g, OP_PAIRDOT, 2, (int[]){ B, F * (F - 1) / 2 }, 1, &e);
    return graph_run(g, t);
}

void op_pairdot_forward(struct tensor *out)
{
    const struct tensor *e = out->src[0];
    int B = e->shape[0], F = e->shape[1], E = e->shape[2], P = F * (F - 1) / 2;
    for (int b = 0; b < B; b++) {
        const float *eb = e->data + (size_t)b * F * E;
        float *ob = out->data + (size_t)b * P;
        for (int i = 0; i < F - 1; i++)
            for (int j = i + 1; j < F; j++) {
                const float *restrict ei = eb + (size_t)i * E, *restrict ej = eb + (size_t)j * E;
                float acc = 0.0f;
                #pragma omp simd reduction(+ : acc)
                for (int k = 0; k < E; k++) acc += ei[k] * ej[k];
                *ob++ = acc;
            }
    }
}

void op_pairdot_backward(struct tensor *out)
{
    struct tensor *e = out->src[0];
    if (!e->grad) return;
    int B = e->shape[0], F = e->shape[1], E = e->shape[2], P = F * (F - 1) / 2;
    for (int b = 0; b < B; b++) {
        const float *eb = e->data + (size_t)b * F * E, *dob = out->grad + (size_t)b * P;
        float *gb = e->grad + (size_t)b * F * E;
        for (int i = 0; i < F - 1; i++)
            for (int j = i + 1; j < F; j++) {
                float d = *dob++;
                float *restrict gi = gb + (size_t)i * E, *restrict gj = gb + (size_t)j * E;
                const float *restrict ei = eb + (size_t)i * E, *restrict ej = eb + (size_t)j * E;
                #pragma omp simd
                for (int k = 0; k < E; k++) {
                    gi[k] += d * ej[k];
                    gj[k] += d * ei[k];
                }
            }
    }
}
