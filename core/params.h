/* The parameter store: every trainable tensor is a view into one slab (data), with
 * parallel slabs for grad and the Adam moments, so the optimizer is one pass and a
 * checkpoint is one write. Parameters are declared first (shape + init), then
 * params_alloc() sizes the slabs exactly once and initialises every value. */
#ifndef APG_PARAMS_H
#define APG_PARAMS_H
#include <stddef.h>
#include "tensor.h"
#include "rng.h"

enum param_init {
    INIT_ZEROS,      /* 0 */
    INIT_CONST,      /* = scale */
    INIT_UNIFORM,    /* U(-scale, scale) */
    INIT_NORMAL,     /* N(0, scale^2) */
    INIT_XAVIER,     /* Glorot uniform on (fan_out=shape[0], fan_in=shape[1]) times scale */
    INIT_IDENTITY,   /* scale * I, for a square 2-D shape (or each row of (R, K*K) is I) */
    INIT_FN,         /* a callback (param_new_fn) */
};

/* Custom initialisation: fills t->data (t->size floats) from rng; ctx as declared. */
typedef void (*param_init_fn)(struct tensor *t, struct rng *rng, const void *ctx);

struct param_store {
    struct tensor **list;        /* declared parameters, in declaration order */
    enum param_init *init;
    float *init_scale;
    param_init_fn *init_fn;      /* INIT_FN only */
    const void **init_ctx;
    int    n, cap;
    size_t n_floats;             /* total floats in the slab */
    float *data, *grad, *m, *v;  /* slabs (64-byte aligned), NULL before params_alloc */
    int    allocated;
};

void params_init(struct param_store *ps);
void params_free(struct param_store *ps);
/* Declare a parameter. name is copied. sparse: an embedding table with row-sparse
 * gradients and lazy optimizer updates. The tensor's data is valid after params_alloc. */
struct tensor *param_new(struct param_store *ps, const char *name, int ndim, const int *shape,
                         enum param_init init, float scale, int sparse);
/* Declare a parameter initialised by fn(t, rng, ctx); ctx must outlive params_alloc. */
struct tensor *param_new_fn(struct param_store *ps, const char *name, int ndim, const int *shape,
                            param_init_fn fn, const void *ctx);
/* The same, a row-sparse table (param_new's sparse = 1). */
struct tensor *param_new_fn_sparse(struct param_store *ps, const char *name, int ndim, const int *shape,
                                   param_init_fn fn, const void *ctx);
/* Allocate the slabs and initialise every parameter from rng (in declaration order). */
void params_alloc(struct param_store *ps, struct rng *rng);
size_t params_bytes(const struct param_store *ps);   /* 4 * n_floats */
struct tensor *params_find(const struct param_store *ps, const char *name);
/* Zero every gradient (dense: whole buffer; sparse: touched rows) and clear marks. */
void params_zero_grad(struct param_store *ps);

/* Replicas for data-parallel steps (experiments/train_mb.c). rep is a second store of
 * the same model (the same parameter table: names, shapes, order): its tensors are
 * pointed at master's values and its own value and moment slabs freed; its gradients
 * stay its own. 0, or -1 when the tables differ. */
int  params_share(struct param_store *rep, const struct param_store *master);

#endif
