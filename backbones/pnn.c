/* PNN: Product-based Neural Network, inner-product variant IPNN (Qu et al., ICDM 2016,
 * arXiv:1611.00144; TOIS 2018 for the full-pair form used here).
 *
 *   product layer   z = flatten(e)                       linear signal     (B, F*E)
 *                   p = [<e_i, e_j>]_{i<j}               quadratic signal  (B, F(F-1)/2)
 *   l_1 = ReLU(W_z z + W_p p + b_1) = ReLU(W_1 [z, p] + b_1)      (paper eq. 3-6)
 *   h_l = ReLU(W_l h_{l-1} + b_l),   logit = h_L w_out^T + b_out
 *
 * As DeepCTR-Torch's PNN(use_inner=True, use_outter=False): every pair's inner product
 * (not the ICDM paper's rank-1 factorisation of W_p), pairs in the order (0,1), (0,2),
 * .., (0,F-1), (1,2), .., (F-2,F-1), placed after the embeddings; no wide part. The
 * whole tower [z, p] -> hidden is one mlp_init (so --apg applies to l_1 too), the
 * output layer a static dense(). */
#include "backbone.h"
#include "ops.h"

struct pnn {
    struct mlp   deep;     /* [z, p] (F*E + P) -> hidden */
    struct dense out;      /* hidden[L-1] -> 1 */
    int          in_dim;   /* F*E + P */
};

static int pnn_init(void *state, const struct model_cfg *cfg, struct layer_ctx *c, char *err, size_t errlen)
{
    struct pnn *s = state;
    int F = c->n_fields, n_pairs = F * (F - 1) / 2;
    s->in_dim = F * c->emb_dim + n_pairs;
    mlp_init(&s->deep, c, "pnn.deep", s->in_dim, cfg->hidden, cfg->n_hidden);
    dense_init(&s->out, c, "pnn.out", mlp_out(&s->deep, s->in_dim), 1, ACT_NONE, 0);
    return 0;
}

static struct tensor *pnn_forward(void *state, struct fwd_ctx *f)
{
    struct pnn *s = state;
    struct graph *g = f->g;
    int B = f->emb->shape[0], F = f->emb->shape[1], E = f->emb->shape[2];
    struct tensor *z = t_reshape2(g, f->emb, B, F * E);               /* (B, F*E) */
    struct tensor *x = z;
    if (F >= 2) x = t_concat(g, 2, (struct tensor *[]){ z, t_pairdot(g, f->emb) });  /* (B, F*E+P) */
    struct tensor *h = mlp_forward(&s->deep, f, x);                    /* (B, hidden[L-1]) */
    return dense_forward(&s->out, f, h);                               /* (B, 1) */
}

const struct backbone_ops backbone_pnn = {
    .name = "pnn",
    .help = "PNN (Qu et al. 2016), IPNN: pairwise inner products of the field embeddings beside the embeddings, into an MLP",
    .state_size = sizeof(struct pnn),
    .init = pnn_init,
    .forward = pnn_forward,
};
