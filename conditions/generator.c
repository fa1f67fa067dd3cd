/* The parameter generator G (paper eq. 3, 5, 7): z (B, D) -> gen (B, G_out) through
 * gen_layers linear maps, ReLU between hidden ones (width gen_hidden), linear output.
 *   scaled: hidden W Glorot, b = 0; output W = gen_scale * Glorot, b = the form's centre
 *           (gen_center), or a copy of another generator's centre (mix-out).
 *   plain:  every W and b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch nn.Linear). */
#include "generator.h"
#include "ops.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

int generator_check(const struct apg_cfg *a, char *err, size_t errlen)
{
    if (a->gen_layers < 1 || a->gen_layers > GEN_MAX_LAYERS) {
        snprintf(err, errlen, "gen-layers %d out of range (valid: 1 .. %d)", a->gen_layers,
                 GEN_MAX_LAYERS);
        return -1;
    }
    if (a->gen_layers > 1 && a->gen_hidden < 1) {
        snprintf(err, errlen, "gen-hidden %d must be >= 1 when gen-layers > 1", a->gen_hidden);
        return -1;
    }
    if (!a->init || (strcmp(a->init, "scaled") != 0 && strcmp(a->init, "plain") != 0)) {
        snprintf(err, errlen, "unknown APG init '%s' (valid: scaled, plain)", a->init ? a->init : "");
        return -1;
    }
    return 0;
}

/* Output bias = the form's centre (ctx: the layer's reparam_layer). */
static void generator_center(struct tensor *t, struct rng *rng, const void *ctx)
{
    const struct reparam_layer *rl = ctx;
    rl->form->gen_center(&rl->dims, t->data, rng);
}

/* Output bias = a copy of an earlier generator's (already initialised) output bias. */
static void generator_copy(struct tensor *t, struct rng *rng, const void *ctx)
{
    const struct tensor *src = ctx;
    memcpy(t->data, src->data, sizeof(float) * (size_t)t->size);
}

void generator_init_like(struct generator *G, const struct cond_args *a, const char *prefix, int D,
                         const struct generator *centre)
{
    const struct apg_cfg *cfg = a->c->apg;
    struct param_store *ps = a->c->ps;
    int plain = strcmp(cfg->init, "plain") == 0;
    char nm[128];
    memset(G, 0, sizeof *G);
    G->n = cfg->gen_layers;
    G->rl = a->rl;
    for (int l = 0, in = D; l < G->n; l++) {
        int last = l == G->n - 1, out = last ? a->gen : cfg->gen_hidden;
        const int ws[2] = { out, in }, bs[1] = { out };
        snprintf(nm, sizeof nm, "%s.%d.w", prefix, l);
        if (plain) {
            float s = 1.0f / sqrtf((float)in);
            G->w[l] = param_new(ps, nm, 2, ws, INIT_UNIFORM, s, 0);
            snprintf(nm, sizeof nm, "%s.%d.b", prefix, l);
            G->b[l] = param_new(ps, nm, 1, bs, INIT_UNIFORM, s, 0);
        } else {
            G->w[l] = param_new(ps, nm, 2, ws, INIT_XAVIER, last ? cfg->gen_scale : 1.0f, 0);
            snprintf(nm, sizeof nm, "%s.%d.b", prefix, l);
            if (!last) G->b[l] = param_new(ps, nm, 1, bs, INIT_ZEROS, 0.0f, 0);
            else if (centre) G->b[l] = param_new_fn(ps, nm, 1, bs, generator_copy, centre->b[centre->n - 1]);
            else G->b[l] = param_new_fn(ps, nm, 1, bs, generator_center, a->rl);
        }
        G->w[l]->lr_scale = cfg->gen_lr;              /* --gen-lr: G's own step size */
        if (G->b[l]) G->b[l]->lr_scale = cfg->gen_lr;
        in = out;
    }
}

void generator_init(struct generator *G, const struct cond_args *a, const char *prefix, int D)
{
    generator_init_like(G, a, prefix, D, NULL);
}

struct tensor *generator_forward(const struct generator *G, struct graph *g, struct tensor *z)
{
    for (int l = 0; l < G->n; l++) {
        z = t_linear(g, z, G->w[l], G->b[l]);
        if (l < G->n - 1) z = t_relu(g, z);
    }
    return z;
}
