/* DCN: Deep & Cross Network (Wang et al., ADKDD 2017, arXiv:1708.05123).
 *
 *   x_0     = flatten(e)                                   (B, D), D = F*E
 *   x_{l+1} = x_0 (x_l . w_l) + b_l + x_l                  cross layers l < L, w_l, b_l (D)
 *   h       = MLP(x_0)                                     deep tower, in parallel
 *   logit   = [x_L | h] W_out^T + b_out                    one output layer over both
 *
 * x_l . w_l is one scalar per row (a (B,1) column broadcast over x_0's D columns), so a
 * cross layer costs O(B D). L = --dcn-layers (3; 0 leaves x_0 itself). The deep tower
 * and the output are dense() layers (--apg applies to the tower); w_l is stored (1, D)
 * like a dense weight with one output. */
#include "backbone.h"
#include "ops.h"
#include <stdio.h>

#define DCN_MAX_CROSS 16

struct dcn_cfg {
    int layers;     /* cross layers L */
};
_Static_assert(sizeof(struct dcn_cfg) <= BACKBONE_CFG_MAX, "dcn_cfg exceeds BACKBONE_CFG_MAX");

struct dcn {
    int            n_cross;
    struct tensor *w[DCN_MAX_CROSS];   /* (1, D) */
    struct tensor *b[DCN_MAX_CROSS];   /* (D) */
    struct mlp     deep;
    struct dense   out;                /* D + h_L -> 1 */
    int            in_dim;             /* D = F * E */
};

static void dcn_cfg_default(void *p)
{
    struct dcn_cfg *c = p;
    c->layers = 3;
}

static const struct opt dcn_opts[] = {
    { "dcn-layers", OPT_INT, offsetof(struct dcn_cfg, layers), "L",
      "cross layers x_{l+1} = x_0 (x_l . w_l) + b_l + x_l", 0, DCN_MAX_CROSS },
    { NULL, 0, 0, NULL, NULL, 0, 0 },
};

static int dcn_init(void *state, const struct model_cfg *cfg, struct layer_ctx *c, char *err, size_t errlen)
{
    struct dcn *s = state;
    const struct dcn_cfg *o = (const struct dcn_cfg *)cfg->bb_cfg;
    if (o->layers < 0 || o->layers > DCN_MAX_CROSS) {
        snprintf(err, errlen, "--dcn-layers: %d is out of range [0, %d]", o->layers, DCN_MAX_CROSS);
        return -1;
    }
    s->n_cross = o->layers;
    s->in_dim = c->n_fields * c->emb_dim;
    char nm[64];
    for (int l = 0; l < s->n_cross; l++) {
        snprintf(nm, sizeof nm, "dcn.cross.%d.w", l);
        s->w[l] = param_new(c->ps, nm, 2, (int[]){ 1, s->in_dim }, INIT_XAVIER, 1.0f, 0);
        snprintf(nm, sizeof nm, "dcn.cross.%d.b", l);
        s->b[l] = param_new(c->ps, nm, 1, (int[]){ s->in_dim }, INIT_ZEROS, 0.0f, 0);
    }
    mlp_init(&s->deep, c, "dcn.deep", s->in_dim, cfg->hidden, cfg->n_hidden);
    dense_init(&s->out, c, "dcn.out", s->in_dim + mlp_out(&s->deep, s->in_dim), 1, ACT_NONE, 0);
    return 0;
}

static struct tensor *dcn_forward(void *state, struct fwd_ctx *f)
{
    struct dcn *s = state;
    struct graph *g = f->g;
    struct tensor *x0 = t_reshape2(g, f->emb, f->batch->n, s->in_dim);   /* (B,D) */
    struct tensor *x = x0;
    for (int l = 0; l < s->n_cross; l++) {
        struct tensor *xw = t_linear(g, x, s->w[l], NULL);                /* (B,1) */
        x = t_add(g, t_add(g, t_mul(g, x0, xw), s->b[l]), x);             /* (B,D) */
    }
    struct tensor *h = mlp_forward(&s->deep, f, x0);                       /* (B,h_L) */
    return dense_forward(&s->out, f, t_concat(g, 2, (struct tensor *[]){ x, h }));
}

const struct backbone_ops backbone_dcn = {
    .name = "dcn",
    .help = "DCN (Wang et al. 2017): cross network x0 (x_l . w_l) + b_l + x_l beside an MLP",
    .state_size = sizeof(struct dcn),
    .cfg_size = sizeof(struct dcn_cfg),
    .cfg_default = dcn_cfg_default,
    .opts = dcn_opts,
    .init = dcn_init,
    .forward = dcn_forward,
};
