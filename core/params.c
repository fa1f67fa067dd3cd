#include "arena.h"
#include "params.h"
#include "threads.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) apg_oom("parameter table", n);
    return p;
}

void params_init(struct param_store *ps)
{
    memset(ps, 0, sizeof *ps);
}

void params_free(struct param_store *ps)
{
    for (int i = 0; i < ps->n; i++) {
        struct tensor *t = ps->list[i];
        if (t->sparse) {
            free(t->sparse->rows);
            free(t->sparse->mark);
            free(t->sparse->last);
            free(t->sparse);
        }
        free((char *)t->name);
        free(t);
    }
    free(ps->list);
    free(ps->init);
    free(ps->init_scale);
    free(ps->init_fn);
    free(ps->init_ctx);
    free(ps->data);
    free(ps->grad);
    free(ps->m);
    free(ps->v);
    memset(ps, 0, sizeof *ps);
}

struct tensor *param_new(struct param_store *ps, const char *name, int ndim, const int *shape,
                         enum param_init init, float scale, int sparse)
{
    if (ps->allocated) {
        fprintf(stderr, "apg: internal error: parameter %s declared after params_alloc\n", name);
        abort();
    }
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 32;
        ps->list = realloc(ps->list, sizeof *ps->list * (size_t)ps->cap);
        ps->init = realloc(ps->init, sizeof *ps->init * (size_t)ps->cap);
        ps->init_scale = realloc(ps->init_scale, sizeof *ps->init_scale * (size_t)ps->cap);
        ps->init_fn = realloc(ps->init_fn, sizeof *ps->init_fn * (size_t)ps->cap);
        ps->init_ctx = realloc(ps->init_ctx, sizeof *ps->init_ctx * (size_t)ps->cap);
        if (!ps->list || !ps->init || !ps->init_scale || !ps->init_fn || !ps->init_ctx) apg_oom("parameter list", sizeof *ps->list * (size_t)ps->cap);
    }
    struct tensor *t = xmalloc(sizeof *t);
    memset(t, 0, sizeof *t);
    t->ndim = ndim;
    t->size = 1;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = shape[i];
        t->size *= shape[i];
    }
    t->flags = T_PARAM | T_NEEDS_GRAD | (sparse ? T_SPARSE : 0);
    t->lr_scale = 1.0f;
    size_t len = strlen(name) + 1;
    char *nm = xmalloc(len);
    memcpy(nm, name, len);
    t->name = nm;
    ps->list[ps->n] = t;
    ps->init[ps->n] = init;
    ps->init_scale[ps->n] = scale;
    ps->init_fn[ps->n] = NULL;
    ps->init_ctx[ps->n] = NULL;
    ps->n++;
    return t;
}

static struct tensor *param_with_fn(struct param_store *ps, const char *name, int ndim, const int *shape,
                                    param_init_fn fn, const void *ctx, int sparse)
{
    struct tensor *t = param_new(ps, name, ndim, shape, INIT_FN, 0.0f, sparse);
    ps->init_fn[ps->n - 1] = fn;
    ps->init_ctx[ps->n - 1] = ctx;
    return t;
}

struct tensor *param_new_fn(struct param_store *ps, const char *name, int ndim, const int *shape,
                            param_init_fn fn, const void *ctx)
{
    return param_with_fn(ps, name, ndim, shape, fn, ctx, 0);
}

struct tensor *param_new_fn_sparse(struct param_store *ps, const char *name, int ndim, const int *shape,
                                   param_init_fn fn, const void *ctx)
{
    return param_with_fn(ps, name, ndim, shape, fn, ctx, 1);
}

/* Each tensor starts at a 16-float (64-byte) boundary of the slab. */
static size_t padded(int size) { return ((size_t)size + 15) / 16 * 16; }

static void *slab(size_t n_floats)
{
    float *p = aligned_alloc(64, sizeof(float) * (n_floats ? n_floats : 16));
    if (!p) apg_oom("parameter slab", sizeof(float) * n_floats);
    memset(p, 0, sizeof(float) * n_floats);
    return p;
}

static void init_values(struct tensor *t, enum param_init init, float scale, struct rng *rng)
{
    float *d = t->data;
    switch (init) {
    case INIT_FN:   /* handled by params_alloc */
        break;
    case INIT_ZEROS:
        break;
    case INIT_CONST:
        for (int i = 0; i < t->size; i++) d[i] = scale;
        break;
    case INIT_UNIFORM:
        for (int i = 0; i < t->size; i++) d[i] = rng_uniform(rng, -scale, scale);
        break;
    case INIT_NORMAL:
        for (int i = 0; i < t->size; i++) d[i] = scale * (float)rng_normal(rng);
        break;
    case INIT_XAVIER: {
        int fan_out = t->ndim >= 2 ? t->shape[t->ndim - 2] : 1;
        int fan_in = t->shape[t->ndim - 1];
        float lim = scale * sqrtf(6.0f / (float)(fan_in + fan_out));
        for (int i = 0; i < t->size; i++) d[i] = rng_uniform(rng, -lim, lim);
        break;
    }
    case INIT_IDENTITY: {
        int cols = t->shape[t->ndim - 1], rows = t->size / cols;
        int k = (int)lrint(sqrt((double)cols));
        if (t->ndim == 2 && t->shape[0] == t->shape[1]) {     /* square matrix */
            for (int i = 0; i < t->shape[0]; i++) d[i * cols + i] = scale;
        } else if (k * k == cols) {                            /* rows of flattened K x K */
            for (int r = 0; r < rows; r++)
                for (int i = 0; i < k; i++) d[r * cols + i * k + i] = scale;
        } else {
            fprintf(stderr, "apg: internal error: identity init of non-square %s\n", t->name);
            abort();
        }
        break;
    }
    }
}

void params_alloc(struct param_store *ps, struct rng *rng)
{
    size_t total = 0;
    for (int i = 0; i < ps->n; i++) total += padded(ps->list[i]->size);
    ps->n_floats = total;
    ps->data = slab(total);
    ps->grad = slab(total);
    ps->m = slab(total);
    ps->v = slab(total);
    size_t off = 0;
    for (int i = 0; i < ps->n; i++) {
        struct tensor *t = ps->list[i];
        t->data = ps->data + off;
        t->grad = ps->grad + off;
        off += padded(t->size);
        if (t->flags & T_SPARSE) {
            int rows = tensor_rows(t);
            t->sparse = xmalloc(sizeof *t->sparse);
            t->sparse->rows = xmalloc(sizeof(int32_t) * (size_t)rows);
            t->sparse->mark = xmalloc((size_t)rows);
            memset(t->sparse->mark, 0, (size_t)rows);
            t->sparse->n = 0;
            t->sparse->last = NULL;
        }
        if (ps->init[i] == INIT_FN) ps->init_fn[i](t, rng, ps->init_ctx[i]);
        else init_values(t, ps->init[i], ps->init_scale[i], rng);
    }
    ps->allocated = 1;
}

size_t params_bytes(const struct param_store *ps)
{
    size_t n = 0;
    for (int i = 0; i < ps->n; i++) n += (size_t)ps->list[i]->size;
    return n * sizeof(float);
}

struct tensor *params_find(const struct param_store *ps, const char *name)
{
    for (int i = 0; i < ps->n; i++)
        if (strcmp(ps->list[i]->name, name) == 0) return ps->list[i];
    return NULL;
}

void params_zero_grad(struct param_store *ps)
{
    for (int i = 0; i < ps->n; i++) {
        struct tensor *t = ps->list[i];
        if (t->sparse) {
            int cols = tensor_cols(t);
            for (int j = 0; j < t->sparse->n; j++) {
                int r = t->sparse->rows[j];
                memset(t->grad + (size_t)r * cols, 0, sizeof(float) * (size_t)cols);
                t->sparse->mark[r] = 0;
            }
            t->sparse->n = 0;
        } else {
            memset(t->grad, 0, sizeof(float) * (size_t)t->size);
        }
    }
}

int params_share(struct param_store *rep, const struct param_store *master)
{
    if (rep->n != master->n || rep->n_floats != master->n_floats) return -1;
    for (int i = 0; i < rep->n; i++) {
        const struct tensor *a = rep->list[i], *b = master->list[i];
        if (a->size != b->size || strcmp(a->name, b->name) != 0) return -1;
    }
    for (int i = 0; i < rep->n; i++) rep->list[i]->data = master->list[i]->data;
    free(rep->data);
    free(rep->m);
    free(rep->v);
    rep->data = rep->m = rep->v = NULL;
    return 0;
}
