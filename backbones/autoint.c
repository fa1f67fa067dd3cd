/* AutoInt (Song et al., CIKM 2019, arXiv:1810.11921): multi-head self-attention
 * "interacting layers" over the field embeddings, plus an MLP tower (AutoInt+).
 *
 *   interacting layer, input X (B,F,D), per head h = 1..H (d = head size):
 *     Q_h = X W_Q^h,  K_h = X W_K^h,  V_h = X W_V^h              (B,F,d)
 *     alpha_h = softmax_j(Q_h K_h^T [/ sqrt(d)])                  (B,F,F), over key fields j
 *     O = ReLU([alpha_1 V_1 | ... | alpha_H V_H] + X W_res)       (B,F,H*d)   (paper eq. 5-8)
 *   logit = w_out^T [flatten(O_L) (B,F*H*d) | MLP(flatten(E)) (B,h_L)] + b_out
 *
 * Choices, following DeepCTR-Torch's AutoInt/InteractingLayer (the paper leaves them
 * open): no 1/sqrt(d) scaling (as the paper's eq. 5; --autoint-scaling to add it),
 * head size d = E/H by default, attention weights ~ N(0, 0.05^2), the MLP over the flat
 * embeddings in parallel with the interacting layers, one output layer over both. No
 * first-order (linear) term: the paper's output layer has none. Weights are stored
 * (out, in) like dense layers: Q = X W_Q^T with W_Q (H*d, D). The MLP tower is built
 * with mlp_init (so --apg applies); attention and output layers are static. */
#include "backbone.h"
#include "ops.h"
#include <math.h>
#include <stdio.h>

#define AUTOINT_MAX_LAYERS 8
#define AUTOINT_MAX_HEADS  16

struct autoint_cfg {
    int layers;     /* interacting layers (3) */
    int heads;      /* heads per layer (2) */
    int head_dim;   /* d per head; 0 = emb_dim / heads */
    int res;        /* residual X W_res (1) */
    int scaling;    /* divide Q K^T by sqrt(d) (0) */
};
_Static_assert(sizeof(struct autoint_cfg) <= BACKBONE_CFG_MAX, "autoint_cfg exceeds BACKBONE_CFG_MAX");

struct autoint_att {
    struct tensor *wq, *wk, *wv, *wres;   /* (H*d, D_in) each; wres NULL without residual */
};

struct autoint {
    struct autoint_cfg cfg;
    int n_fields, emb_dim, d, hd;         /* hd = H * d */
    struct autoint_att att[AUTOINT_MAX_LAYERS];
    struct mlp     deep;
    struct dense   out;                   /* F*hd + h_L -> 1 */
    int            in_dim;                /* F * E */
};

static void autoint_cfg_default(void *p)
{
    struct autoint_cfg *c = p;
    *c = (struct autoint_cfg){ .layers = 3, .heads = 2, .head_dim = 0, .res = 1, .scaling = 0 };
}

#define O(f) offsetof(struct autoint_cfg, f)
static const struct opt autoint_opts[] = {
    { "autoint-layers", OPT_INT, O(layers), "L", "interacting (self-attention) layers", 0, AUTOINT_MAX_LAYERS },
    { "autoint-heads", OPT_INT, O(heads), "H", "attention heads per layer", 1, AUTOINT_MAX_HEADS },
    { "autoint-head-dim", OPT_INT, O(head_dim), "D", "size of each head (0 = emb-dim / heads)", 0, 4096 },
    { "autoint-res", OPT_INT, O(res), "0|1", "residual connection X W_res in every layer", 0, 1 },
    { "autoint-scaling", OPT_INT, O(scaling), "0|1", "scale the attention logits by 1/sqrt(head size)", 0, 1 },
    { NULL, 0, 0, NULL, NULL, 0, 0 },
};
#undef O

static struct tensor *autoint_weight(struct layer_ctx *c, const char *layer, const char *w, int out, int in)
{
    char nm[96];
    snprintf(nm, sizeof nm, "%s.%s", layer, w);
    return param_new(c->ps, nm, 2, (int[]){ out, in }, INIT_NORMAL, 0.05f, 0);
}

static int autoint_init(void *state, const struct model_cfg *cfg, struct layer_ctx *c, char *err, size_t errlen)
{
    struct autoint *s = state;
    const struct autoint_cfg *o = (const struct autoint_cfg *)cfg->bb_cfg;
    s->cfg = *o;
    s->n_fields = c->n_fields;
    s->emb_dim = c->emb_dim;
    s->in_dim = c->n_fields * c->emb_dim;
    if (o->layers < 0 || o->layers > AUTOINT_MAX_LAYERS || o->heads < 1 || o->heads > AUTOINT_MAX_HEADS) {
        snprintf(err, errlen, "autoint: layers must be 0..%d and heads 1..%d", AUTOINT_MAX_LAYERS,
                 AUTOINT_MAX_HEADS);
        return -1;
    }
    if (o->layers == 0 && cfg->n_hidden == 0) {
        snprintf(err, errlen, "autoint: needs interacting layers or MLP hidden layers");
        return -1;
    }
    s->d = o->head_dim ? o->head_dim : c->emb_dim / o->heads;
    if (!o->head_dim && c->emb_dim % o->heads) {
        snprintf(err, errlen, "autoint: emb-dim %d is not a multiple of autoint-heads %d (or set "
                 "--autoint-head-dim)", c->emb_dim, o->heads);
        return -1;
    }
    s->hd = o->heads * s->d;
    char nm[64];
    for (int l = 0, in = c->emb_dim; l < o->layers; l++, in = s->hd) {
        snprintf(nm, sizeof nm, "autoint.att.%d", l);
        struct autoint_att *a = &s->att[l];
        a->wq = autoint_weight(c, nm, "wq", s->hd, in);
        a->wk = autoint_weight(c, nm, "wk", s->hd, in);
        a->wv = autoint_weight(c, nm, "wv", s->hd, in);
        a->wres = o->res ? autoint_weight(c, nm, "wres", s->hd, in) : NULL;
    }
    mlp_init(&s->deep, c, "autoint.deep", s->in_dim, cfg->hidden, cfg->n_hidden);
    int att_out = o->layers ? s->n_fields * s->hd : 0;
    int deep_out = cfg->n_hidden ? mlp_out(&s->deep, s->in_dim) : 0;
    dense_init(&s->out, c, "autoint.out", att_out + deep_out, 1, ACT_NONE, 0);
    return 0;
}

/* One interacting layer: x (B,F,D_in) -> ReLU(multi-head attention + x W_res^T) (B,F,H*d). */
static struct tensor *autoint_layer(const struct autoint *s, const struct autoint_att *a,
                                    struct graph *g, struct tensor *x)
{
    float scale = s->cfg.scaling ? 1.0f / sqrtf((float)s->d) : 1.0f;
    return attn_layer(g, x, a->wq, a->wk, a->wv, a->wres, s->cfg.heads, s->d, scale);
}

static struct tensor *autoint_forward(void *state, struct fwd_ctx *f)
{
    struct autoint *s = state;
    struct graph *g = f->g;
    int B = f->batch->n;
    struct tensor *parts[2] = { NULL, NULL };
    int n = 0;
    if (s->cfg.layers) {
        struct tensor *x = f->emb;                                 /* (B,F,E) */
        for (int l = 0; l < s->cfg.layers; l++) x = autoint_layer(s, &s->att[l], g, x);
        parts[n++] = t_reshape2(g, x, B, s->n_fields * s->hd);     /* (B,F*H*d) */
    }
    if (s->deep.n)
        parts[n++] = mlp_forward(&s->deep, f, t_reshape2(g, f->emb, B, s->in_dim));  /* (B,h_L) */
    struct tensor *z = n > 1 ? t_concat(g, n, parts) : parts[0];
    return dense_forward(&s->out, f, z);                           /* (B,1) */
}

const struct backbone_ops backbone_autoint = {
    .name = "autoint",
    .help = "AutoInt (Song et al. 2019): multi-head self-attention interacting layers + MLP",
    .state_size = sizeof(struct autoint),
    .cfg_size = sizeof(struct autoint_cfg),
    .cfg_default = autoint_cfg_default,
    .opts = autoint_opts,
    .init = autoint_init,
    .forward = autoint_forward,
};
