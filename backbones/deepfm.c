/* DeepFM (Guo et al., IJCAI 2017, arXiv:1703.04247): a factorisation machine and an MLP
 * sharing the field embeddings e (B,F,E).
 *
 *   logit = w0 + sum_f w[x_f]                                   first order (as WDL's wide)
 *         + 1/2 sum_k [ (sum_f e_fk)^2 - sum_f e_fk^2 ]         FM second order: all
 *                                                               pairwise <e_i, e_j>, i < j
 *         + h_L W_out^T + b_out,  h_0 = flatten(e)              deep: MLP over (B, F*E)
 *
 * The paper's FM and deep parts share one embedding table (the model's "emb"). The deep
 * tower (--hidden) and its output layer are dense() layers, so --apg applies to the
 * tower; the first-order weights and the FM have no parameters APG could generate. */
#include "backbone.h"
#include "ops.h"

struct deepfm {
    struct tensor *first;     /* (V, 1) per-id weights, row-sparse */
    struct tensor *bias;      /* (1) global bias w0 */
    struct mlp     deep;
    struct dense   out;       /* h_L -> 1 */
    int            in_dim;    /* F * E */
};

static int deepfm_init(void *state, const struct model_cfg *cfg, struct layer_ctx *c, char *err, size_t errlen)
{
    struct deepfm *s = state;
    s->first = embed_table(c, "deepfm.first", 1, 0.0f);
    s->bias = param_new(c->ps, "deepfm.bias", 1, (int[]){ 1 }, INIT_ZEROS, 0.0f, 0);
    s->in_dim = c->n_fields * c->emb_dim;
    mlp_init(&s->deep, c, "deepfm.deep", s->in_dim, cfg->hidden, cfg->n_hidden);
    dense_init(&s->out, c, "deepfm.out", mlp_out(&s->deep, s->in_dim), 1, ACT_NONE, 0);
    return 0;
}

static struct tensor *deepfm_forward(void *state, struct fwd_ctx *f)
{
    struct deepfm *s = state;
    struct graph *g = f->g;
    struct tensor *e = f->emb;                                          /* (B,F,E) */
    int B = f->batch->n, F = f->batch->n_fields;
    /* first order: (B,F,1) -> (B,F) -> sum -> (B,1), + w0 */
    struct tensor *w = t_reshape2(g, embed_lookup(g, s->first, f->batch), B, F);
    struct tensor *first = t_add(g, t_sum(g, w, 1), s->bias);
    /* FM: ||sum_f e_f||^2 - sum_f ||e_f||^2, halved */
    struct tensor *sum = t_sum(g, e, 1);                                /* (B,1,E) */
    struct tensor *sq_of_sum = t_rowdot(g, sum, sum);                   /* (B,1,1) */
    struct tensor *sum_of_sq = t_sum(g, t_rowdot(g, e, e), 1);          /* (B,F,1) -> (B,1,1) */
    struct tensor *fm = t_reshape2(g, t_scale(g, t_sub(g, sq_of_sum, sum_of_sq), 0.5f), B, 1);
    /* deep: (B,F*E) -> MLP -> (B,1) */
    struct tensor *h = mlp_forward(&s->deep, f, t_reshape2(g, e, B, s->in_dim));
    struct tensor *deep = dense_forward(&s->out, f, h);
    return t_add(g, t_add(g, first, fm), deep);
}

const struct backbone_ops backbone_deepfm = {
    .name = "deepfm",
    .help = "DeepFM (Guo et al. 2017): first order + FM pairwise interactions + MLP on shared embeddings",
    .state_size = sizeof(struct deepfm),
    .init = deepfm_init,
    .forward = deepfm_forward,
};
