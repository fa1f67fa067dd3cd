/* WDL: Wide & Deep (Cheng et al., DLRS 2016), the paper's default backbone.
 *
 *   logit = w0 + sum_f w[x_f]                       wide: one scalar weight per id
 *         + h_L W_out^T + b_out,  h_0 = flatten(e)   deep: MLP over the concatenated
 *           h_l = ReLU(W_l h_{l-1} + b_l)                  field embeddings e (B, F*E)
 *
 * The deep tower (256-128-64 by default) and its output layer are dense() layers. */
#include "backbone.h"
#include "ops.h"

struct wdl {
    struct tensor *wide;      /* (V, 1) per-id weights, row-sparse */
    struct tensor *bias;      /* (1) global bias w0 */
    struct mlp     deep;
    struct dense   out;       /* hidden[L-1] -> 1 */
    int            in_dim;    /* F * E */
};

static int wdl_init(void *state, const struct model_cfg *cfg, struct layer_ctx *c, char *err, size_t errlen)
{
    struct wdl *s = state;
    s->wide = embed_table(c, "wdl.wide", 1, 0.0f);
    s->bias = param_new(c->ps, "wdl.bias", 1, (int[]){ 1 }, INIT_ZEROS, 0.0f, 0);
    s->in_dim = c->n_fields * c->emb_dim;
    mlp_init(&s->deep, c, "wdl.deep", s->in_dim, cfg->hidden, cfg->n_hidden);
    dense_init(&s->out, c, "wdl.out", mlp_out(&s->deep, s->in_dim), 1, ACT_NONE, 0);
    return 0;
}

static struct tensor *wdl_forward(void *state, struct fwd_ctx *f)
{
    struct wdl *s = state;
    struct graph *g = f->g;
    int B = f->batch->n, F = f->batch->n_fields;
    /* wide: (B,F,1) -> (B,F) -> sum -> (B,1), + w0 */
    struct tensor *w = t_reshape2(g, embed_lookup(g, s->wide, f->batch), B, F);
    struct tensor *wide = t_add(g, t_sum(g, w, 1), s->bias);
    /* deep: (B,F,E) -> (B,F*E) -> MLP -> (B,1) */
    struct tensor *h = mlp_forward(&s->deep, f, t_reshape2(g, f->emb, B, s->in_dim));
    struct tensor *deep = dense_forward(&s->out, f, h);
    return t_add(g, deep, wide);
}

const struct backbone_ops backbone_wdl = {
    .name = "wdl",
    .help = "Wide & Deep (Cheng et al. 2016): per-id linear part + MLP over the embeddings",
    .state_size = sizeof(struct wdl),
    .init = wdl_init,
    .forward = wdl_forward,
};
