/* Star (Sheng et al., CIKM 2021, "One Model to Serve All: Star Topology Adaptive
 * Recommender for Multi-Domain CTR Prediction") as the paper's Appendix E applies it:
 * WDL with its deep tower replaced by Star's FCN, domain = the local id of a named field
 * (item_id: one set of FCN weights per item, the "fine-grained" use of Table 10).
 *
 *   h_0 (B, M_0) = flatten(e)
 *   layer l (M -> N):  W_i = W_shared (*) W^{d_i}    (N, M), (*) elementwise
 *                      h_l,i = ReLU(W_i h_{l-1},i + b_shared + b^{d_i})
 *   logit = w0 + sum_f w[x_f] + h_L W_out^T + b_out       (WDL's wide + output layer)
 *
 * W_shared Glorot, b_shared 0; W^d = 1 and b^d = 0 for every domain (Star's init), held
 * in row-sparse tables (n_domains, N*M) and (n_domains, N). Memory grows with
 * n_domains * sum_l (N_l M_l + N_l): Table 10's huge Star column. Star's FCN is itself
 * the adaptive mechanism, so --apg is rejected. */
#include "backbone.h"
#include "domain.h"
#include "ops.h"
#include <stdio.h>
#include <string.h>

struct star_cfg {
    const char *domain;    /* field whose local id selects W^d, b^d */
    const char *hidden;    /* FCN widths "N1,N2,.."; "" = --hidden */
};
_Static_assert(sizeof(struct star_cfg) <= BACKBONE_CFG_MAX, "star_cfg exceeds BACKBONE_CFG_MAX");

struct star_layer {
    int in, out;                           /* M, N */
    struct tensor *w, *b;                  /* shared (N, M) and (N) */
    struct tensor *wd, *bd;                /* per domain (n_domains, N*M), (n_domains, N) */
};

struct star {
    struct tensor    *wide;                /* (V, 1) per-id weights, row-sparse */
    struct tensor    *bias;                /* (1) w0 */
    struct star_layer layer[MLP_MAX_LAYERS];
    int               n_layers;
    struct dense      out;                 /* N_L -> 1 */
    struct domain     dom;
    int               in_dim;              /* F * E */
};

static void star_cfg_default(void *p)
{
    struct star_cfg *c = p;
    c->domain = "item";
    c->hidden = "64,32";
}

#define O(f) offsetof(struct star_cfg, f)
static const struct opt star_opts[] = {
    { "star-domain", OPT_STR, O(domain), "FIELD", "field whose value selects the domain-specific FCN weights (item = the dataset's item field)", 0, 0 },
    { "star-hidden", OPT_STR, O(hidden), "L1,L2,..",
      "Star FCN widths (memory ~ domains x sum N*M; empty = --hidden)", 0, 0 },
    { NULL, 0, 0, NULL, NULL, 0, 0 },
};
#undef O

static int star_init(void *state, const struct model_cfg *cfg, struct layer_ctx *c, char *err, size_t errlen)
{
    struct star *s = state;
    const struct star_cfg *o = (const struct star_cfg *)cfg->bb_cfg;
    if (apg_enabled(c->apg)) {
        snprintf(err, errlen, "star: --apg %s is not supported: Star's domain-specific FCN is its own "
                 "parameter-adaptation mechanism (train Star with --apg none, or APG on another backbone)",
                 c->apg->variant);
        return -1;
    }
    int hidden[MLP_MAX_LAYERS], n = cfg->n_hidden;
    if (o->hidden && o->hidden[0]) {
        n = cli_int_list(o->hidden, hidden, MLP_MAX_LAYERS);
        if (n < 0) {
            snprintf(err, errlen, "--star-hidden: expected up to %d positive widths like 64,32, got '%s'",
                     MLP_MAX_LAYERS, o->hidden);
            return -1;
        }
    } else {
        memcpy(hidden, cfg->hidden, sizeof(int) * (size_t)n);
    }
    if (domain_init(&s->dom, c->data, o->domain, "star-domain", err, errlen)) return -1;
    s->in_dim = c->n_fields * c->emb_dim;
    s->wide = embed_table(c, "star.wide", 1, 0.0f);
    s->bias = param_new(c->ps, "star.bias", 1, (int[]){ 1 }, INIT_ZEROS, 0.0f, 0);
    s->n_layers = n;
    int in = s->in_dim, D = s->dom.n;
    char nm[64];
    for (int l = 0; l < n; l++) {
        struct star_layer *L = &s->layer[l];
        L->in = in;
        L->out = hidden[l];
        snprintf(nm, sizeof nm, "star.fcn.%d.w", l);
        L->w = param_new(c->ps, nm, 2, (int[]){ L->out, L->in }, INIT_XAVIER, 1.0f, 0);
        snprintf(nm, sizeof nm, "star.fcn.%d.b", l);
        L->b = param_new(c->ps, nm, 1, (int[]){ L->out }, INIT_ZEROS, 0.0f, 0);
        snprintf(nm, sizeof nm, "star.fcn.%d.wd", l);
        L->wd = param_new(c->ps, nm, 2, (int[]){ D, L->out * L->in }, INIT_CONST, 1.0f, 1);
        snprintf(nm, sizeof nm, "star.fcn.%d.bd", l);
        L->bd = param_new(c->ps, nm, 2, (int[]){ D, L->out }, INIT_ZEROS, 0.0f, 1);
        in = L->out;
    }
    dense_init(&s->out, c, "star.out", in, 1, ACT_NONE, 0);
    return 0;
}

static struct tensor *star_forward(void *state, struct fwd_ctx *f)
{
    struct star *s = state;
    struct graph *g = f->g;
    int B = f->batch->n, F = f->batch->n_fields;
    /* wide: (B,F,1) -> (B,F) -> (B,1), + w0 */
    struct tensor *w = t_reshape2(g, embed_lookup(g, s->wide, f->batch), B, F);
    struct tensor *wide = t_add(g, t_sum(g, w, 1), s->bias);
    const int32_t *dom = domain_ids(&s->dom, g, f->batch);
    struct tensor *h = t_reshape2(g, f->emb, B, s->in_dim);                   /* (B, M_0) */
    for (int l = 0; l < s->n_layers; l++) {
        const struct star_layer *L = &s->layer[l];
        int N = L->out;
        /* W_i = W^{d_i} (*) W_shared, applied to h_i without forming the (B, N*M) W_i */
        struct tensor *y = t_add(g, t_idxmv(g, L->wd, L->w, h, dom), L->b);      /* (B, N) */
        y = t_add(g, y, t_reshape2(g, t_gather(g, L->bd, dom, B, 1), B, N));
        h = t_relu(g, y);
    }
    return t_add(g, dense_forward(&s->out, f, h), wide);
}

const struct backbone_ops backbone_star = {
    .name = "star",
    .help = "Star (Sheng et al. 2021), Appendix E: WDL with an FCN whose weights are shared (*) per-domain (a field's value)",
    .state_size = sizeof(struct star),
    .cfg_size = sizeof(struct star_cfg),
    .cfg_default = star_cfg_default,
    .opts = star_opts,
    .init = star_init,
    .forward = star_forward,
};
