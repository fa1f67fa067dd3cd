#include "layers.h"
#include "ops.h"
#include <stdio.h>

struct tensor *apply_act(struct graph *g, struct tensor *x, enum act act)
{
    switch (act) {
    case ACT_RELU: return t_relu(g, x);
    case ACT_SIGMOID: return t_sigmoid(g, x);
    case ACT_TANH: return t_tanh(g, x);
    case ACT_NONE: break;
    }
    return x;
}

void dense_init(struct dense *l, struct layer_ctx *c, const char *name, int in, int out, enum act act)
{
    char nm[96];
    l->in = in;
    l->out = out;
    l->act = act;
    snprintf(nm, sizeof nm, "%s.w", name);
    l->w = param_new(c->ps, nm, 2, (int[]){ out, in }, INIT_XAVIER, 1.0f, 0);
    snprintf(nm, sizeof nm, "%s.b", name);
    l->b = param_new(c->ps, nm, 1, (int[]){ out }, INIT_ZEROS, 0.0f, 0);
}

struct tensor *dense_forward(const struct dense *l, struct fwd_ctx *f, struct tensor *x)
{
    return apply_act(f->g, t_linear(f->g, x, l->w, l->b), l->act);
}

void mlp_init(struct mlp *m, struct layer_ctx *c, const char *name, int in, const int *hidden, int n)
{
    char nm[96];
    m->n = n;
    for (int i = 0; i < n; i++) {
        snprintf(nm, sizeof nm, "%s.%d", name, i);
        dense_init(&m->layer[i], c, nm, in, hidden[i], ACT_RELU);
        in = hidden[i];
    }
}

struct tensor *mlp_forward(const struct mlp *m, struct fwd_ctx *f, struct tensor *x)
{
    for (int i = 0; i < m->n; i++) x = dense_forward(&m->layer[i], f, x);
    return x;
}

struct tensor *embed_table(struct layer_ctx *c, const char *name, int dim, float init_std)
{
    return param_new(c->ps, name, 2, (int[]){ (int)c->n_ids, dim }, INIT_NORMAL, init_std, 1);
}

struct tensor *embed_lookup(struct graph *g, struct tensor *table, const struct batch *b)
{
    if (b->ids) return t_gather(g, table, b->ids, b->n, b->n_fields);
    return t_bag(g, table, b->offs, b->bag_ids, b->n, b->n_fields);
}
