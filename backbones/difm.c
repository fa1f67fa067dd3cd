/* DIFM: Dual Input-aware Factorization Machine (Lu et al., IJCAI 2020).
 *
 *   vector-wise:  O = ReLU(MultiHeadSelfAttention(E) + E W_res)          (B,F,H*d)
 *                 m_vec = flatten(O) P_vec^T                              (B,F)
 *   bit-wise:     m_bit = MLP(flatten(E)) P_bit^T                         (B,F)
 *   m_x = m_vec + m_bit                                  input-aware factors (B,F)
 *   w_{x,f} = m_{x,f} w_f,   v_{x,f} = m_{x,f} e_f       reweighted FM inputs
 *   logit = w0 + sum_f w_{x,f}
 *         + 1/2 sum_k [(sum_f v_{x,f,k})^2 - sum_f v_{x,f,k}^2]            (B,1)
 *
 * E (B,F,E) is the shared embedding lookup, w_f the per-id first-order weight. Details
 * the paper leaves open follow DeepCTR-Torch's difm.py: one interacting layer with
 * residual and 1/sqrt(d) scaling, 4 heads of size E/4, attention weights ~ N(0, 0.05^2),
 * P_vec and P_bit without bias, the first-order weights reweighted by m_x, a global bias
 * w0. The bit-wise MLP is built with mlp_init (so --apg applies); attention and the P
 * projections are static. Weights are stored (out, in): Q = E W_Q^T with W_Q (H*d, E). */
#include "backbone.h"
#include "ops.h"
#include <math.h>
#include <stdio.h>

#define DIFM_MAX_HEADS 16

struct difm_cfg {
    int heads;      /* attention heads (4) */
    int att_dim;    /* size of each head; 0 = emb_dim / heads */
    int res;        /* residual E W_res (1) */
    int scaling;    /* divide Q K^T by sqrt(d) (1) */
};
_Static_assert(sizeof(struct difm_cfg) <= BACKBONE_CFG_MAX, "difm_cfg exceeds BACKBONE_CFG_MAX");

struct difm {
    struct difm_cfg cfg;
    int n_fields, emb_dim, d, hd;          /* hd = H * d */
    struct tensor *wq, *wk, *wv, *wres;    /* (H*d, E); wres NULL without residual */
    struct tensor *p_vec;                  /* (F, F*H*d) */
    struct mlp     deep;                   /* bit-wise MLP over (B, F*E) */
    struct tensor *p_bit;                  /* (F, h_L) */
    struct tensor *linear;                 /* (V, 1) first-order weights, row-sparse */
    struct tensor *bias;                   /* (1) w0 */
};

static void difm_cfg_default(void *p)
{
    struct difm_cfg *c = p;
    *c = (struct difm_cfg){ .heads = 4, .att_dim = 0, .res = 1, .scaling = 1 };
}

#define O(f) offsetof(struct difm_cfg, f)
static const struct opt difm_opts[] = {
    { "difm-heads", OPT_INT, O(heads), "H", "attention heads of the vector-wise part", 1, DIFM_MAX_HEADS },
    { "difm-att-dim", OPT_INT, O(att_dim), "D", "attention size of each head (0 = emb-dim / heads)", 0, 4096 },
    { "difm-res", OPT_INT, O(res), "0|1", "residual connection E W_res in the attention", 0, 1 },
    { "difm-scaling", OPT_INT, O(scaling), "0|1", "scale the attention logits by 1/sqrt(head size)", 0, 1 },
    { NULL, 0, 0, NULL, NULL, 0, 0 },
};
#undef O

static int difm_init(void *state, const struct model_cfg *cfg, struct layer_ctx *c, char *err, size_t errlen)
{
    struct difm *s = state;
    const struct difm_cfg *o = (const struct difm_cfg *)cfg->bb_cfg;
    s->cfg = *o;
    s->n_fields = c->n_fields;
    s->emb_dim = c->emb_dim;
    if (o->heads < 1 || o->heads > DIFM_MAX_HEADS) {
        snprintf(err, errlen, "difm: heads must be 1..%d", DIFM_MAX_HEADS);
        return -1;
    }
    if (!o->att_dim && c->emb_dim % o->heads) {
        snprintf(err, errlen, "difm: emb-dim %d is not a multiple of difm-heads %d (or set --difm-att-dim)",
                 c->emb_dim, o->heads);
        return -1;
    }
    if (cfg->n_hidden < 1) {
        snprintf(err, errlen, "difm: the bit-wise part needs at least one --hidden layer");
        return -1;
    }
    s->d = o->att_dim ? o->att_dim : c->emb_dim / o->heads;
    s->hd = o->heads * s->d;
    int E = c->emb_dim, F = c->n_fields;
    s->wq = param_new(c->ps, "difm.att.wq", 2, (int[]){ s->hd, E }, INIT_NORMAL, 0.05f, 0);
    s->wk = param_new(c->ps, "difm.att.wk", 2, (int[]){ s->hd, E }, INIT_NORMAL, 0.05f, 0);
    s->wv = param_new(c->ps, "difm.att.wv", 2, (int[]){ s->hd, E }, INIT_NORMAL, 0.05f, 0);
    s->wres = o->res ? param_new(c->ps, "difm.att.wres", 2, (int[]){ s->hd, E }, INIT_NORMAL, 0.05f, 0) : NULL;
    /* torch.nn.Linear's default: U(-1/sqrt(in), 1/sqrt(in)) */
    s->p_vec = param_new(c->ps, "difm.p_vec", 2, (int[]){ F, F * s->hd }, INIT_UNIFORM,
                         1.0f / sqrtf((float)(F * s->hd)), 0);
    mlp_init(&s->deep, c, "difm.deep", F * E, cfg->hidden, cfg->n_hidden);
    int h = mlp_out(&s->deep, F * E);
    s->p_bit = param_new(c->ps, "difm.p_bit", 2, (int[]){ F, h }, INIT_UNIFORM, 1.0f / sqrtf((float)h), 0);
    s->linear = embed_table(c, "difm.linear", 1, 0.0f);
    s->bias = param_new(c->ps, "difm.bias", 1, (int[]){ 1 }, INIT_ZEROS, 0.0f, 0);
    return 0;
}

/* Vector-wise part: e (B,F,E) -> m_vec (B,F). */
static struct tensor *difm_vector_wise(const struct difm *s, struct graph *g, struct tensor *e)
{
    int B = e->shape[0];
    float scale = s->cfg.scaling ? 1.0f / sqrtf((float)s->d) : 1.0f;
    struct tensor *o = attn_layer(g, e, s->wq, s->wk, s->wv, s->wres, s->cfg.heads, s->d, scale);   /* (B,F,H*d) */
    return t_linear(g, t_reshape2(g, o, B, s->n_fields * s->hd), s->p_vec, NULL);   /* (B,F) */
}

static struct tensor *difm_forward(void *state, struct fwd_ctx *f)
{
    struct difm *s = state;
    struct graph *g = f->g;
    int B = f->batch->n, F = s->n_fields, E = s->emb_dim;
    struct tensor *e = f->emb;                                     /* (B,F,E) */
    /* m_x = m_vec + m_bit (B,F) */
    struct tensor *m_vec = difm_vector_wise(s, g, e);
    struct tensor *h = mlp_forward(&s->deep, f, t_reshape2(g, e, B, F * E));
    struct tensor *m = t_add(g, m_vec, t_linear(g, h, s->p_bit, NULL));
    /* first order: sum_f m_f w_f (B,1) */
    struct tensor *w = t_reshape2(g, embed_lookup(g, s->linear, f->batch), B, F);
    struct tensor *first = t_sum(g, t_mul(g, w, m), 1);
    /* second order on v_f = m_f e_f (B,F,E): 1/2 sum_k (sum_f v)^2 - sum_f v^2 */
    struct tensor *v = t_mul(g, e, t_reshape3(g, m, B, F, 1));
    struct tensor *sv = t_sum(g, v, 1);                            /* (B,1,E) */
    struct tensor *cross = t_sub(g, t_mul(g, sv, sv), t_sum(g, t_mul(g, v, v), 1));
    struct tensor *second = t_scale(g, t_reshape2(g, t_sum(g, cross, 2), B, 1), 0.5f);
    return t_add(g, t_add(g, first, second), s->bias);             /* (B,1) */
}

const struct backbone_ops backbone_difm = {
    .name = "difm",
    .help = "DIFM (Lu et al. 2020): FM reweighted by vector-wise (attention) + bit-wise (MLP) factors",
    .state_size = sizeof(struct difm),
    .cfg_size = sizeof(struct difm_cfg),
    .cfg_default = difm_cfg_default,
    .opts = difm_opts,
    .init = difm_init,
    .forward = difm_forward,
};
