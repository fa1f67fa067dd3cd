/* Shape ops: concat and slice along the last axis (split = slices), reshape and
 * transpose of the last two axes. Every op copies (no views), so each node owns its
 * data and gradient; backward scatters the gradient back and ADDS it. */
#include "ops.h"
#include "op.h"
#include "ops_check.h"
#include "threads.h"
#include <string.h>

/* ---------------------------------------------------------------------------------
 * concat: parts p_i (R, C_i) with equal rows R -> out (R, sum C_i), the leading dims of
 * parts[0].  n_src = n.  Caches nothing.  backward: dp_i[r,:] += dout[r, off_i : off_i+C_i]. */
struct tensor *t_concat(struct graph *g, int n, struct tensor *const *parts)
{
    if (n < 1 || !parts) ops_die("concat", "no parts (n = %d)", n);
    for (int i = 0; i < n; i++) ops_check_operand("concat", parts[i]);
    int rows = tensor_rows(parts[0]), cols = 0;
    for (int i = 0; i < n; i++) {
        OPS_CHECK_SHAPE(tensor_rows(parts[i]) == rows, "concat", parts[0], parts[i],
                        "all parts must have the same rows");
        cols += tensor_cols(parts[i]);
    }
    int shape[TENSOR_MAX_DIMS];
    memcpy(shape, parts[0]->shape, sizeof shape);
    shape[parts[0]->ndim - 1] = cols;
    struct tensor *t = graph_node(g, OP_CONCAT, parts[0]->ndim, shape, n, parts);
    return graph_run(g, t);
}

void op_concat_forward(struct tensor *out)
{
    int R = tensor_rows(out), C = tensor_cols(out);
    float *restrict y = out->data;
    for (int i = 0, off = 0; i < out->n_src; i++) {
        const struct tensor *p = out->src[i];
        int w = tensor_cols(p);
        const float *restrict x = p->data;
        for (int r = 0; r < R; r++)
            memcpy(y + (size_t)r * C + off, x + (size_t)r * w, sizeof(float) * (size_t)w);
        off += w;
    }
}

/* One part at a time: the same tensor may appear twice among the parts. */
void op_concat_backward(struct tensor *out)
{
    int R = tensor_rows(out), C = tensor_cols(out);
    const float *restrict dy = out->grad;
    for (int i = 0, off = 0; i < out->n_src; i++) {
        struct tensor *p = out->src[i];
        int w = tensor_cols(p);
        if (p->grad) {
            float *restrict dx = p->grad;
            for (int r = 0; r < R; r++) {
                float *restrict d = dx + (size_t)r * w;
                const float *restrict g = dy + (size_t)r * C + off;
                #pragma omp simd
                for (int c = 0; c < w; c++) d[c] += g[c];
            }
        }
        off += w;
    }
}

/* ---------------------------------------------------------------------------------
 * slice: a (R, C) -> out (R, width) = a[:, off : off+width]; iarg[0] = off, iarg[1] = width.
 * Caches nothing.  backward: da[:, off : off+width] += dout. */
struct tensor *t_slice(struct graph *g, struct tensor *a, int off, int width)
{
    ops_check_operand("slice", a);
    if (off < 0 || width < 1 || off + width > tensor_cols(a))
        ops_die("slice", "columns [%d, %d) out of range for %d columns", off, off + width,
                tensor_cols(a));
    int shape[TENSOR_MAX_DIMS];
    memcpy(shape, a->shape, sizeof shape);
    shape[a->ndim - 1] = width;
    struct tensor *t = graph_node(g, OP_SLICE, a->ndim, shape, 1, &a);
    t->iarg[0] = off;
    t->iarg[1] = width;
    return graph_run(g, t);
}

void op_slice_forward(struct tensor *out)
{
    const struct tensor *a = out->src[0];
    int R = tensor_rows(a), C = tensor_cols(a), off = out->iarg[0], w = out->iarg[1];
    const float *restrict x = a->data;
    float *restrict y = out->data;
    for (int r = 0; r < R; r++)
        memcpy(y + (size_t)r * w, x + (size_t)r * C + off, sizeof(float) * (size_t)w);
}

void op_slice_backward(struct tensor *out)
{
    struct tensor *a = out->src[0];
    if (!a->grad) return;
    int R = tensor_rows(a), C = tensor_cols(a), off = out->iarg[0], w = out->iarg[1];
    float *restrict dx = a->grad;
    const float *restrict dy = out->grad;
    for (int r = 0; r < R; r++) {
        float *restrict d = dx + (size_t)r * C + off;
        const float *restrict g = dy + (size_t)r * w;
        #pragma omp simd
        for (int c = 0; c < w; c++) d[c] += g[c];
    }
}

void t_split(struct graph *g, struct tensor *a, int n, const int *widths, struct tensor **out)
{
    ops_check_operand("split", a);
    int total = 0;
    for (int i = 0; i < n; i++) total += widths[i];
    if (n < 1 || total != tensor_cols(a))
        ops_die("split", "%d widths summing to %d for %d columns", n, total, tensor_cols(a));
    for (int i = 0, off = 0; i < n; i++) {
        out[i] = t_slice(g, a, off, widths[i]);
        off += widths[i];
    }
}

/* ---------------------------------------------------------------------------------
 * reshape: a -> out, same size, any 1..3 dims: a view, out->data = a->data (no op
 * writes into a source's data).  Caches nothing.
 * backward: da += dout (flat); graph_backward gives out a's own grad buffer when a has
 * one (the contributions to out then land in a directly), and then there is nothing
 * to add. */
struct tensor *t_reshape(struct graph *g, struct tensor *a, int ndim, const int *shape)
{
    ops_check_operand("reshape", a);
    if (ndim < 1 || ndim > TENSOR_MAX_DIMS) ops_die("reshape", "bad number of dims %d", ndim);
    long size = 1;
    for (int i = 0; i < ndim; i++) size *= shape[i];
    for (int i = 0; i < ndim; i++) if (shape[i] < 1) size = -1;
    if (size != a->size) {
        char sa[64];
        ops_shape_str(a, sa, sizeof sa);
        ops_die("reshape", "shape %s (size %d) vs %d dims of size %ld", sa, a->size, ndim, size);
    }
    struct tensor *t = graph_node(g, OP_RESHAPE, ndim, shape, 1, &a);
    return graph_run(g, t);
}

struct tensor *t_reshape2(struct graph *g, struct tensor *a, int d0, int d1)
{
    return t_reshape(g, a, 2, (int[]){ d0, d1 });
}

struct tensor *t_reshape3(struct graph *g, struct tensor *a, int d0, int d1, int d2)
{
    return t_reshape(g, a, 3, (int[]){ d0, d1, d2 });
}

void op_reshape_forward(struct tensor *out)
{
    out->data = out->src[0]->data;
}

void op_reshape_backward(struct tensor *out)
{
    struct tensor *a = out->src[0];
    if (!a->grad || a->grad == out->grad) return;
    float *restrict d = a->grad;
    const float *restrict g = out->grad;
    int n = out->size;
    #pragma omp simd
    for (int i = 0; i < n; i++) d[i] += g[i];
}

/* ---------------------------------------------------------------------------------
 * transpose: a (B,F,E) -> out (B,E,F), 2-D (R,C) -> (C,R) (B = 1).  Caches nothing.
 * backward: da[b,f,e] += dout[b,e,f].  Both directions walk 32x32 tiles. */
struct tensor *t_transpose(struct graph *g, struct tensor *a)
{
    ops_check_operand("transpose", a);
    OPS_CHECK_SHAPE(a->ndim >= 2, "transpose", a, NULL, "needs 2 or 3 dims");
    int shape[TENSOR_MAX_DIMS];
    memcpy(shape, a->shape, sizeof shape);
    shape[a->ndim - 1] = a->shape[a->ndim - 2];
    shape[a->ndim - 2] = a->shape[a->ndim - 1];
    struct tensor *t = graph_node(g, OP_TRANSPOSE, a->ndim, shape, 1, &a);
    return graph_run(g, t);
}

/* dst (nb, C, R) (+)= src (nb, R, C) transposed per batch entry; accumulate 0 or 1. */
static void transpose_batch(float *restrict dst, const float *restrict src, int nb, int R, int C,
                            int accumulate)
{
    enum { T = 32 };
    for (int b = 0; b < nb; b++) {
        const float *restrict s = src + (size_t)b * R * C;
        float *restrict d = dst + (size_t)b * R * C;
        for (int r0 = 0; r0 < R; r0 += T)
            for (int c0 = 0; c0 < C; c0 += T) {
                int r1 = r0 + T < R ? r0 + T : R, c1 = c0 + T < C ? c0 + T : C;
                for (int c = c0; c < c1; c++)
                    for (int r = r0; r < r1; r++) {
                        float v = s[(size_t)r * C + c];
                        d[(size_t)c * R + r] = accumulate ? d[(size_t)c * R + r] + v : v;
                    }
            }
    }
}

void op_transpose_forward(struct tensor *out)
{
    const struct tensor *a = out->src[0];
    int nb = a->ndim == 3 ? a->shape[0] : 1;
    transpose_batch(out->data, a->data, nb, a->shape[a->ndim - 2], a->shape[a->ndim - 1], 0);
}

void op_transpose_backward(struct tensor *out)
{
    struct tensor *a = out->src[0];
    if (!a->grad) return;
    int nb = a->ndim == 3 ? a->shape[0] : 1;
    /* out is (nb, C, R): its transpose lands in a's layout (nb, R, C) */
    transpose_batch(a->grad, out->grad, nb, out->shape[out->ndim - 2], out->shape[out->ndim - 1], 1);
}
