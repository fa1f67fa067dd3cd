/* struct tensor: a float32 array of up to 3 dims (B, F, E), row-major, and a node of the
 * autodiff tape. Activations live in the step arena; parameters are views into the
 * parameter slab (core/params.h). */
#ifndef APG_TENSOR_H
#define APG_TENSOR_H
#include <stdint.h>

#define TENSOR_MAX_DIMS 3

enum tensor_flag {
    T_NEEDS_GRAD = 1u << 0,   /* a gradient flows into this tensor */
    T_PARAM      = 1u << 1,   /* lives in the parameter slab; grad is persistent */
    T_SPARSE     = 1u << 2,   /* embedding table: row-sparse gradient (see sparse_rows) */
    /* Set by graph_backward on a node whose gradient buffer was left unzeroed because its
     * first writer (its last consumer, an op that can) stores its gradient instead of
     * adding it; that op clears the flag (grad_first_write). */
    T_GRAD_FRESH = 1u << 3,
    T_GRAD_SEEN  = 1u << 4,   /* graph_backward's bookkeeping, cleared before it returns */
};


/* Rows of a T_SPARSE table touched since the last optimizer step. */
struct sparse_rows {
    int32_t *rows;       /* touched row indices, first-touch order */
    int      n;
    uint8_t *mark;       /* mark[r] = 1 when r is in rows[] */
    int32_t *last;       /* Adam with L2: the step of row r's last update (0: none yet);
                            NULL until the first step with l2 > 0 (core/optim.c) */
};

struct tensor {
    float *data;
    float *grad;              /* NULL when no gradient flows here */
    int    ndim;
    int    shape[TENSOR_MAX_DIMS];
    int    size;              /* product of shape */
    int    op;                /* enum op_kind; OP_NONE for leaves */
    int    n_src;
    struct tensor **src;      /* n_src sources (a source may be NULL where an op allows it) */
    int    iarg[4];           /* op integer arguments (axis, transposes, offsets, ...) */
    float  farg;              /* op float argument (scale) */
    const int32_t *ids;       /* gather/bag: ids; bag: offsets in offs */
    const int32_t *offs;
    const float   *labels;    /* bce: targets */
    float *cache;             /* forward scratch kept for backward (step arena) */
    struct sparse_rows *sparse;  /* T_SPARSE parameters only */
    unsigned flags;
    float  lr_scale;          /* parameters: multiplier of the optimizer's step (1) */
    const char *name;         /* parameters: "mlp.0.w" etc. */
};

static inline int tensor_rows(const struct tensor *t)   /* product of all dims but the last */
{
    return t->size / t->shape[t->ndim - 1];
}
static inline int tensor_cols(const struct tensor *t) { return t->shape[t->ndim - 1]; }

/* For a backward op about to write d into t->grad: 1 when it must store (t's buffer is
 * unzeroed and this is its first writer), 0 when it adds; clears the mark. */
static inline int grad_first_write(struct tensor *t)
{
    int fresh = (t->flags & T_GRAD_FRESH) != 0;
    t->flags &= ~T_GRAD_FRESH;
    return fresh;
}

#endif
