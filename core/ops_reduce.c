/* Reductions: sum and mean over one axis, softmax over the last axis, and the mean
 * binary cross-entropy loss on logits. Every sum runs in a fixed order (no float
 * atomics, no OpenMP reductions), so results do not depend on scheduling. */
#include "ops.h"
#include "op.h"
#include "ops_check.h"
#include "threads.h"
#include <math.h>
#include <string.h>

/* ---------------------------------------------------------------------------------
 * sum / mean over axis iarg[0], kept with size 1: a is viewed as (outer, n, inner) with
 * n = shape[axis]; out (outer, 1, inner).  (B,F,E) axis 1 -> (B,1,E).  Caches nothing.
 * backward: da[o,k,i] += dout[o,i] (mean: / n). */
static struct tensor *reduce_axis(struct graph *g, int op, const char *name, struct tensor *a,
                                  int axis)
{
    ops_check_operand(name, a);
    if (axis < 0) axis += a->ndim;
    if (axis < 0 || axis >= a->ndim) ops_die(name, "axis %d out of range for %d dims", axis, a->ndim);
    int shape[TENSOR_MAX_DIMS];
    memcpy(shape, a->shape, sizeof shape);
    shape[axis] = 1;
    struct tensor *t = graph_node(g, op, a->ndim, shape, 1, &a);
    t->iarg[0] = axis;
    return graph_run(g, t);
}

struct tensor *t_sum(struct graph *g, struct tensor *a, int axis)
{
    return reduce_axis(g, OP_SUM, "sum", a, axis);
}
struct tensor *t_mean(struct graph *g, struct tensor *a, int axis)
{
    return reduce_axis(g, OP_MEAN, "mean", a, axis);
}

static void reduce_dims(const struct tensor *a, int axis, int *outer, int *n, int *inner)
{
    *outer = 1;
    *inner = 1;
    for (int i = 0; i < axis; i++) *outer *= a->shape[i];
    for (int i = axis + 1; i < a->ndim; i++) *inner *= a->shape[i];
    *n = a->shape[axis];
}

/* Work items are (o, block of inner columns); each sums its k in order. */
static void reduce_forward(struct tensor *out, float scale)
{
    enum { BLK = 256 };
    const struct tensor *a = out->src[0];
    int outer, n, inner;
    reduce_dims(a, out->iarg[0], &outer, &n, &inner);
    const float *restrict x = a->data;
    float *restrict y = out->data;
    int nblk = (inner + BLK - 1) / BLK;
    long items = (long)outer * nblk;
    for (long it = 0; it < items; it++) {
        int o = (int)(it / nblk), i0 = (int)(it % nblk) * BLK;
        int w = inner - i0 < BLK ? inner - i0 : BLK;
        float *restrict yo = y + (size_t)o * inner + i0;
        if (inner == 1) {   /* contiguous sum over k */
            float acc = 0.0f;
            const float *restrict row = x + (size_t)o * n;
            for (int k = 0; k < n; k++) acc += row[k];
            yo[0] = acc * scale;
            continue;
        }
        float acc[BLK];
        for (int i = 0; i < w; i++) acc[i] = 0.0f;
        for (int k = 0; k < n; k++) {
            const float *restrict row = x + ((size_t)o * n + k) * inner + i0;
            #pragma omp simd
            for (int i = 0; i < w; i++) acc[i] += row[i];
        }
        for (int i = 0; i < w; i++) yo[i] = acc[i] * scale;
    }
}

static void reduce_backward(struct tensor *out, float scale)
{
    struct tensor *a = out->src[0];
    if (!a->grad) return;
    int outer, n, inner;
    reduce_dims(a, out->iarg[0], &outer, &n, &inner);
    float *restrict da = a->grad;
    const float *restrict dy = out->grad;
    long rows = (long)outer * n;
    for (long ok = 0; ok < rows; ok++) {
        float *restrict d = da + (size_t)ok * inner;
        const float *restrict g = dy + (size_t)(ok / n) * inner;
        #pragma omp simd
        for (int i = 0; i < inner; i++) d[i] += g[i] * scale;
    }
}

void op_sum_forward(struct tensor *out) { reduce_forward(out, 1.0f); }
void op_sum_backward(struct tensor *out) { reduce_backward(out, 1.0f); }
void op_mean_forward(struct tensor *out)
{
    reduce_forward(out, 1.0f / (float)out->src[0]->shape[out->iarg[0]]);
}
void op_mean_backward(struct tensor *out)
{
    reduce_backward(out, 1.0f / (float)out->src[0]->shape[out->iarg[0]]);
}

/* ---------------------------------------------------------------------------------
 * softmax over the last axis: y_r = exp(a_r - max a_r) / sum exp(..); out has a's shape.
 * Forward caches y (out->data).  backward: da_r += y_r * (dy_r - <dy_r, y_r>). */
struct tensor *t_softmax(struct graph *g, struct tensor *a)
{
    ops_check_operand("softmax", a);
    struct tensor *t = graph_node(g, OP_SOFTMAX, a->ndim, a->shape, 1, &a);
    return graph_run(g, t);
}

void op_softmax_forward(struct tensor *out)
{
    const struct tensor *a = out->src[0];
    int R = tensor_rows(a), C = tensor_cols(a);
    const float *restrict x = a->data;
    float *restrict y = out->data;
    for (int r = 0; r < R; r++) {
        const float *restrict xr = x + (size_t)r * C;
        float *restrict yr = y + (size_t)r * C;
        float mx = xr[0];
        for (int c = 1; c < C; c++) mx = xr[c] > mx ? xr[c] : mx;
        float s = 0.0f;
        for (int c = 0; c < C; c++) {
            yr[c] = expf(xr[c] - mx);
            s += yr[c];
        }
        float inv = 1.0f / s;
        #pragma omp simd
        for (int c = 0; c < C; c++) yr[c] *= inv;
    }
}

void op_softmax_backward(struct tensor *out)
{
    struct tensor *a = out->src[0];
    if (!a->grad) return;
    int R = tensor_rows(a), C = tensor_cols(a);
    const float *restrict y = out->data, *restrict dy = out->grad;
    float *restrict da = a->grad;
    for (int r = 0; r < R; r++) {
        const float *restrict yr = y + (size_t)r * C, *restrict gr = dy + (size_t)r * C;
        float *restrict dr = da + (size_t)r * C;
        float dot = 0.0f;
        #pragma omp simd reduction(+:dot)
        for (int c = 0; c < C; c++) dot += gr[c] * yr[c];
        #pragma omp simd
        for (int c = 0; c < C; c++) dr[c] += yr[c] * (gr[c] - dot);
    }
}

/* ---------------------------------------------------------------------------------
 * bce: logits x (R,1) (any shape with last dim 1), labels y[R] (out->labels) -> (1):
 *   loss = 1/R sum_r max(x_r, 0) - x_r y_r + log1p(exp(-|x_r|))
 * (= BCE(sigmoid(x_r), y_r) without overflow), summed in double in row order.
 * Caches nothing.  backward: dx_r += (sigmoid(x_r) - y_r) / R * dout. */
struct tensor *t_bce(struct graph *g, struct tensor *logits, const float *labels)
{
    ops_check_operand("bce", logits);
    OPS_CHECK_SHAPE(tensor_cols(logits) == 1 && logits->size >= 1, "bce", logits, NULL,
                    "logits must be (R,1)");
    if (!labels) ops_die("bce", "NULL labels");
    struct tensor *t = graph_node(g, OP_BCE, 1, (int[]){ 1 }, 1, &logits);
    t->labels = labels;
    return graph_run(g, t);
}

void op_bce_forward(struct tensor *out)
{
    const struct tensor *a = out->src[0];
    const float *restrict x = a->data, *restrict y = out->labels;
    int R = a->size;
    double acc = 0.0;
    for (int r = 0; r < R; r++) {
        double xr = x[r];
        acc += (xr > 0.0 ? xr : 0.0) - xr * (double)y[r] + log1p(exp(-fabs(xr)));
    }
    out->data[0] = (float)(acc / R);
}

void op_bce_backward(struct tensor *out)
{
    struct tensor *a = out->src[0];
    if (!a->grad) return;
    const float *restrict x = a->data, *restrict y = out->labels;
    float *restrict dx = a->grad;
    int R = a->size;
    float s = out->grad[0] / (float)R;
    for (int r = 0; r < R; r++) dx[r] += (1.0f / (1.0f + expf(-x[r])) - y[r]) * s;
}
