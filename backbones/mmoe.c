/* MMoE (Ma et al., KDD 2018) as the paper's Appendix E applies it: WDL with its deep
 * tower replaced by E experts mixed by a softmax gate per domain, domain = the local id
 * of a named field (item_id: one gate per item, the "fine-grained" use of Table 10).
 *
 *   x (B, M) = flatten(e),  M = F*E_emb
 *   expert_k(x) (B, H) = MLP_k(x)            k = 1..E, each an mlp_init tower (APG-able)
 *   g_i (E)   = softmax(W_g^{d_i} x_i)       W_g: sparse table (n_domains, E*M), row d
 *                                            read as a row-major (E, M) matrix
 *   h_i (H)   = sum_k g_ik expert_k(x_i)
 *   logit     = w0 + sum_f w[x_f] + h W_out^T + b_out      (WDL's wide + output layer)
 *
 * Parameters beyond WDL's: n_domains*E*M (gates) + (E-1) towers; the gate table is an
 * ordinary row-sparse parameter, so param_bytes counts it exactly. */
#include "backbone.h"
#include "domain.h"
#include "ops.h"
#include <math.h>
#include <stdio.h>

#define MMOE_MAX_EXPERTS 16

struct mmoe_cfg {
    int         experts;   /* E */
    const char *domain;    /* field whose local id selects the gate */
};
_Static_assert(sizeof(struct mmoe_cfg) <= BACKBONE_CFG_MAX, "mmoe_cfg exceeds BACKBONE_CFG_MAX");

struct mmoe {
    struct tensor *wide;                  /* (V, 1) per-id weights, row-sparse */
    struct tensor *bias;                  /* (1) w0 */
    struct tensor *gate;                  /* (n_domains, E*M) row-sparse */
    struct mlp     expert[MMOE_MAX_EXPERTS];
    struct dense   out;                   /* H -> 1 */
    struct domain  dom;
    int            n_exp, in_dim, h_dim;  /* E, M, H */
};

static void mmoe_cfg_default(void *p)
{
    struct mmoe_cfg *c = p;
    c->experts = 4;
    c->domain = "item";
}

#define O(f) offsetof(struct mmoe_cfg, f)
static const struct opt mmoe_opts[] = {
    { "mmoe-experts", OPT_INT, O(experts), "E", "number of experts (MLP towers of --hidden)", 1, MMOE_MAX_EXPERTS },
    { "mmoe-domain", OPT_STR, O(domain), "FIELD", "field whose value selects the softmax gate (one gate per value; item = the dataset's item field)", 0, 0 },
    { NULL, 0, 0, NULL, NULL, 0, 0 },
};
#undef O

static int mmoe_init(void *state, const struct model_cfg *cfg, struct layer_ctx *c, char *err, size_t errlen)
{
    struct mmoe *s = state;
    const struct mmoe_cfg *o = (const struct mmoe_cfg *)cfg->bb_cfg;
    if (o->experts < 1 || o->experts > MMOE_MAX_EXPERTS) {
        snprintf(err, errlen, "--mmoe-experts: %d is not in 1..%d", o->experts, MMOE_MAX_EXPERTS);
        return -1;
    }
    if (domain_init(&s->dom, c->data, o->domain, "mmoe-domain", err, errlen)) return -1;
    s->n_exp = o->experts;
    s->in_dim = c->n_fields * c->emb_dim;
    s->wide = embed_table(c, "mmoe.wide", 1, 0.0f);
    s->bias = param_new(c->ps, "mmoe.bias", 1, (int[]){ 1 }, INIT_ZEROS, 0.0f, 0);
    /* Each domain's (E, M) gate matrix ~ N(0, 1/M), as a dense layer's fan-in scale. */
    s->gate = param_new(c->ps, "mmoe.gate", 2, (int[]){ s->dom.n, s->n_exp * s->in_dim },
                        INIT_NORMAL, 1.0f / sqrtf((float)s->in_dim), 1);
    char nm[64];
    for (int k = 0; k < s->n_exp; k++) {
        snprintf(nm, sizeof nm, "mmoe.expert%d", k);
        mlp_init(&s->expert[k], c, nm, s->in_dim, cfg->hidden, cfg->n_hidden);
    }
    s->h_dim = mlp_out(&s->expert[0], s->in_dim);
    dense_init(&s->out, c, "mmoe.out", s->h_dim, 1, ACT_NONE, 0);
    return 0;
}

static struct tensor *mmoe_forward(void *state, struct fwd_ctx *f)
{
    struct mmoe *s = state;
    struct graph *g = f->g;
    int B = f->batch->n, F = f->batch->n_fields, E = s->n_exp, M = s->in_dim, H = s->h_dim;
    /* wide: (B,F,1) -> (B,F) -> (B,1), + w0 */
    struct tensor *w = t_reshape2(g, embed_lookup(g, s->wide, f->batch), B, F);
    struct tensor *wide = t_add(g, t_sum(g, w, 1), s->bias);
    struct tensor *x = t_reshape2(g, f->emb, B, M);                            /* (B, M) */
    /* gate: W_g^{d_i} (B,1,E*M) times x_i -> (B,E) -> softmax */
    const int32_t *dom = domain_ids(&s->dom, g, f->batch);
    struct tensor *wg = t_gather(g, s->gate, dom, B, 1);
    struct tensor *gate = t_softmax(g, t_rowmv(g, wg, x, E, M, 0));            /* (B, E) */
    /* experts stacked (B, E, H); h_i = g_i^T [expert_k(x_i)]_k -> (B, H) */
    struct tensor *ex[MMOE_MAX_EXPERTS];
    for (int k = 0; k < E; k++) ex[k] = mlp_forward(&s->expert[k], f, x);
    struct tensor *stack = t_reshape3(g, t_concat(g, E, ex), B, E, H);
    struct tensor *h = t_bmm(g, t_reshape3(g, gate, B, 1, E), stack, 0, 0);  /* (B,1,H) */
    struct tensor *deep = dense_forward(&s->out, f, t_reshape2(g, h, B, H));
    return t_add(g, deep, wide);
}

const struct backbone_ops backbone_mmoe = {
    .name = "mmoe",
    .help = "MMoE (Ma et al. 2018), Appendix E: WDL with E expert towers mixed by a softmax gate per domain (a field's value)",
    .state_size = sizeof(struct mmoe),
    .cfg_size = sizeof(struct mmoe_cfg),
    .cfg_default = mmoe_cfg_default,
    .opts = mmoe_opts,
    .init = mmoe_init,
    .forward = mmoe_forward,
};
