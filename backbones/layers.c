#include "layers.h"
#include "condition.h"
#include "factors.h"
#include "ops.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Sets up the APG form and condition of l; -1 with c->err on a bad configuration. */
static int dense_init_apg(struct dense *l, struct layer_ctx *c)
{
    const struct apg_cfg *a = c->apg;
    const struct reparam_form *form = reparam_find(a->variant);
    if (!form) {
        snprintf(c->err, sizeof c->err, "unknown APG variant '%s' (valid: none, %s)", a->variant,
                 reparam_names());
        return -1;
    }
    struct reparam_dims d = { .N = l->out, .M = l->in, .K = a->K, .P = a->P };
    char why[200];
    if (reparam_check(form, &d, why, sizeof why)) {
        snprintf(c->err, sizeof c->err, "layer %s (%d -> %d): %s", l->name, l->in, l->out, why);
        return -1;
    }
    const char *spec = NULL;
    l->cond = condition_find(a->condition, &spec);
    if (!l->cond) {
        snprintf(c->err, sizeof c->err, "unknown condition '%s' (valid: self, group:FIELD, "
                 "mix-in:mean|concat|attention:F1,F2,.., mix-out:mean|concat|attention:F1,F2,..)",
                 a->condition);
        return -1;
    }
    l->rl.form = form;
    l->rl.dims = d;
    form->init(&l->rl, c->ps, l->name, strcmp(a->init, "plain") != 0);
    float lr = reparam_factor_lr(form, &d, a);
    for (int i = 0; i < l->rl.n_f; i++) l->rl.f[i]->lr_scale = lr;
    l->cond_state = calloc(1, l->cond->state_size ? l->cond->state_size : 1);
    if (!l->cond_state) {
        snprintf(c->err, sizeof c->err, "out of memory");
        return -1;
    }
    struct cond_args args = { .c = c, .name = l->name, .M = l->in, .gen = form->gen_size(&d), .rl = &l->rl };
    if (l->cond->init(l->cond_state, spec, &args, why, sizeof why)) {
        snprintf(c->err, sizeof c->err, "layer %s: condition %s: %s", l->name, a->condition, why);
        return -1;
    }
    return 0;
}

void dense_init(struct dense *l, struct layer_ctx *c, const char *name, int in, int out,
                enum act act, int adaptive)
{
    char nm[96];
    memset(l, 0, sizeof *l);
    l->in = in;
    l->out = out;
    l->act = act;
    snprintf(l->name, sizeof l->name, "%s", name);
    if (c->dense && c->n_dense < LAYER_MAX_DENSE) {
        c->dense[c->n_dense++] = l;
    } else if (c->dense && !c->err[0]) {
        snprintf(c->err, sizeof c->err, "layer %s: the model has more than %d dense layers "
                 "(LAYER_MAX_DENSE in backbones/layers.h)", name, LAYER_MAX_DENSE);
    }
    if (adaptive && apg_enabled(c->apg) && !c->err[0]) {
        if (dense_init_apg(l, c) == 0) {
            snprintf(nm, sizeof nm, "%s.b", name);
            l->b = param_new(c->ps, nm, 1, (int[]){ out }, INIT_ZEROS, 0.0f, 0);
            return;
        }
        l->rl.form = NULL;   /* the error is reported by model_init */
    }
    snprintf(nm, sizeof nm, "%s.w", name);
    l->w = param_new(c->ps, nm, 2, (int[]){ out, in }, INIT_XAVIER, 1.0f, 0);
    snprintf(nm, sizeof nm, "%s.b", name);
    l->b = param_new(c->ps, nm, 1, (int[]){ out }, INIT_ZEROS, 0.0f, 0);
}

void dense_free(struct dense *l)
{
    free(l->cond_state);
    l->cond_state = NULL;
}

struct tensor *dense_forward(const struct dense *l, struct fwd_ctx *f, struct tensor *x)
{
    struct graph *g = f->g;
    int fuse = l->act == ACT_RELU || l->act == ACT_NONE;   /* activations the GEMM ops fuse */
    if (!l->rl.form) {
        if (l->act == ACT_RELU) return t_linear_relu(g, x, l->w, l->b);
        return apply_act(g, t_linear(g, x, l->w, l->b), l->act);
    }
    const struct reparam_form *form = l->rl.form;
    struct tensor *gw, *gb;
    if (!l->cond->apply && form->uv && fuse && l->cond->linear_of_x &&
        l->cond->linear_of_x(l->cond_state, &gw, &gb)) {       /* S_i and V x in one GEMM */
        struct tensor *u, *v;
        form->uv(&l->rl, g, &u, &v);
        return reparam_dff_self(g, u, v, x, gw, gb, l->rl.dims.K, l->b, l->act == ACT_RELU);
    }
    if (!l->cond->apply && form->forward_gen && l->cond->linear_of_x &&
        l->cond->linear_of_x(l->cond_state, &gw, &gb))             /* G and W_i x in one op */
        return apply_act(g, t_add(g, form->forward_gen(&l->rl, g, x, gw, gb), l->b), l->act);
    if (!l->cond->apply && form->forward_bias && fuse)
        return form->forward_bias(&l->rl, g, x, l->cond->generate(l->cond_state, f, x), l->b,
                                  l->act == ACT_RELU);
    struct tensor *y = l->cond->apply ? l->cond->apply(l->cond_state, f, &l->rl, x)
                                      : form->forward(&l->rl, g, x, l->cond->generate(l->cond_state, f, x));
    return apply_act(g, t_add(g, y, l->b), l->act);
}

void mlp_init(struct mlp *m, struct layer_ctx *c, const char *name, int in, const int *hidden, int n)
{
    char nm[96];
    m->n = n;
    for (int i = 0; i < n; i++) {
        snprintf(nm, sizeof nm, "%s.%d", name, i);
        dense_init(&m->layer[i], c, nm, in, hidden[i], ACT_RELU, 1);
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
    struct tensor *e = b->ids ? t_gather(g, table, b->ids, b->n, b->n_fields)
                              : t_bag(g, table, b->offs, b->bag_ids, b->n, b->n_fields);
    if (!b->scale) return e;
    /* numeric fields: e (B,F,E) row (i,f) times scale[i*F + f], a column broadcast over
     * the (B*F, E) view; the scales are inputs (no gradient) */
    int R = b->n * b->n_fields, E = e->shape[2];
    struct tensor *s = graph_input(g, b->scale, 2, (int[]){ R, 1 });
    return t_reshape3(g, t_mul(g, t_reshape2(g, e, R, E), s), b->n, b->n_fields, E);
}

struct tensor *attn_layer(struct graph *g, struct tensor *x, struct tensor *wq, struct tensor *wk,
                          struct tensor *wv, struct tensor *wres, int heads, int d, float scale)
{
    int D = tensor_cols(x), hd = heads * d, n = wres ? 4 : 3;
    struct tensor *w[4] = { wq, wk, wv, wres }, *flat[4];
    for (int i = 0; i < n; i++) flat[i] = t_reshape2(g, w[i], 1, hd * D);
    struct tensor *wall = t_reshape2(g, t_concat(g, n, flat), n * hd, D);      /* [W_Q; W_K; W_V; W_res] */
    struct tensor *qkvr = t_linear(g, x, wall, NULL);                         /* (B,F,n*H*d) */
    return t_mhsa(g, qkvr, heads, d, scale, wres != NULL);
}
