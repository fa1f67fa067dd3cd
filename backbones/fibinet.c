/* FiBiNET (Huang, Zhang, Zhang, RecSys 2019, arXiv:1905.09433): SENET field
 * importance + bilinear feature interactions, into an MLP.
 *
 *   SENET (sec. 3.3)  z_f = mean_k e_f,k                      squeeze      (B, F)
 *                     A = ReLU(W_2 ReLU(W_1 z))               excitation   (B, F)
 *                         W_1 (R, F), W_2 (F, R), R = max(1, F / reduction), no biases
 *                     v_f = a_f e_f                           re-weight    (B, F, E)
 *   bilinear (3.4)    p_ij = (v_i W^T) * v_j   for i < j      (* elementwise, E each)
 *                     W shared by all pairs (field-all), W_i per field i (field-each),
 *                     or W_ij per pair (field-interaction); E x E each
 *   combination       c = [q, p]: q from the SENET embeddings V, p from the raw E,
 *                     each (B, F(F-1)/2 * E), pairs (0,1), (0,2), .., (F-2,F-1)
 *   output (eq. 14)   logit = w0 + sum_f w[x_f]  (optional linear part)
 *                           + MLP(c) w_out^T + b_out
 *
 * Ambiguities, settled as DeepCTR-Torch's FiBiNET: the squeeze is the mean, both
 * activations ReLU, one bilinear layer shared by V and E (--fibinet-shared 0 gives each
 * its own, as DeepCTR (TF) and FuxiCTR), SENET pairs first, the linear part on. Field-
 * each declares W_0..W_{F-2} (W_{F-1} would never be used). Bilinear and SENET weights:
 * Glorot uniform per E x E (resp. R x F) matrix. */
#include "backbone.h"
#include "ops.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#define FIBINET_MAX_FIELDS 64

enum fibinet_type { FIBINET_ALL, FIBINET_EACH, FIBINET_INTERACTION };

struct fibinet_cfg {
    const char *type;      /* all | each | interaction */
    int         reduction; /* SENET reduction ratio */
    int         shared;    /* 1: one bilinear layer for V and E */
    int         linear;    /* 1: add the per-id linear part w0 + sum_f w[x_f] */
};
_Static_assert(sizeof(struct fibinet_cfg) <= BACKBONE_CFG_MAX, "fibinet_cfg exceeds BACKBONE_CFG_MAX");

/* One bilinear interaction layer: the weights of its type. */
struct fibinet_bilinear {
    /* all: w[0] (E, E).  each: w[i] (E, E), i < F-1.
     * interaction: w[i] ((F-1-i)*E, E) = [W_{i,i+1}; ..; W_{i,F-1}] stacked, i < F-1. */
    struct tensor *w[FIBINET_MAX_FIELDS];
};

struct fibinet {
    enum fibinet_type type;
    int    n_fields, emb_dim, n_pairs, linear;
    struct tensor *se_w1, *se_w2;          /* (R, F), (F, R) */
    struct fibinet_bilinear bil[2];        /* [0] on V, [1] on E (bil[1] = bil[0] if shared) */
    struct tensor *wide, *bias;            /* (V, 1) row-sparse, (1); NULL without linear */
    struct mlp     deep;                   /* 2 * P * E -> hidden */
    struct dense   out;                    /* hidden[L-1] -> 1 */
};

static void fibinet_cfg_default(void *p)
{
    struct fibinet_cfg *c = p;
    c->type = "all";
    c->reduction = 3;
    c->shared = 1;
    c->linear = 1;
}

#define O(f) offsetof(struct fibinet_cfg, f)
static const struct opt fibinet_opts[] = {
    { "fibinet-type", OPT_STR, O(type), "TYPE",
      "bilinear type: all (one shared W), each (W_i per field), interaction (W_ij per pair)", 0, 0 },
    { "fibinet-reduction", OPT_INT, O(reduction), "R", "SENET reduction ratio (hidden = max(1, F / R))", 1, 4096 },
    { "fibinet-shared", OPT_INT, O(shared), "0|1", "one bilinear layer for the SENET and the raw embeddings", 0, 1 },
    { "fibinet-linear", OPT_INT, O(linear), "0|1", "add the linear part w0 + sum_f w[x_f] to the logit", 0, 1 },
    { NULL, 0, 0, NULL, NULL, 0, 0 },
};
#undef O

/* Declares the weights of one bilinear layer named "<name>.i". */
static void fibinet_bilinear_init(struct fibinet_bilinear *b, struct layer_ctx *c, const char *name,
                                  enum fibinet_type type)
{
    int F = c->n_fields, E = c->emb_dim;
    float glorot = sqrtf(6.0f / (float)(E + E));   /* Glorot uniform of one E x E matrix */
    char nm[96];
    int n = type == FIBINET_ALL ? 1 : F - 1;
    for (int i = 0; i < n; i++) {
        int rows = type == FIBINET_INTERACTION ? (F - 1 - i) * E : E;
        snprintf(nm, sizeof nm, "%s.%d", name, i);
        b->w[i] = param_new(c->ps, nm, 2, (int[]){ rows, E }, INIT_UNIFORM, glorot, 0);
    }
}

static int fibinet_init(void *state, const struct model_cfg *cfg, struct layer_ctx *c, char *err, size_t errlen)
{
    struct fibinet *s = state;
    struct fibinet_cfg o = *(const struct fibinet_cfg *)cfg->bb_cfg;
    if (!o.type) fibinet_cfg_default(&o);    /* bb_cfg left zeroed by the caller */
    int F = c->n_fields, E = c->emb_dim;
    if (strcmp(o.type, "all") == 0) s->type = FIBINET_ALL;
    else if (strcmp(o.type, "each") == 0) s->type = FIBINET_EACH;
    else if (strcmp(o.type, "interaction") == 0) s->type = FIBINET_INTERACTION;
    else {
        snprintf(err, errlen, "--fibinet-type: expected all, each or interaction, got '%s'", o.type);
        return -1;
    }
    if (F < 2 || F > FIBINET_MAX_FIELDS) {
        snprintf(err, errlen, "fibinet needs 2..%d fields, the dataset has %d", FIBINET_MAX_FIELDS, F);
        return -1;
    }
    if (o.reduction < 1) {
        snprintf(err, errlen, "--fibinet-reduction: %d is not >= 1", o.reduction);
        return -1;
    }
    s->n_fields = F;
    s->emb_dim = E;
    s->n_pairs = F * (F - 1) / 2;
    s->linear = o.linear;
    int R = F / o.reduction > 1 ? F / o.reduction : 1;
    s->se_w1 = param_new(c->ps, "fibinet.se.w1", 2, (int[]){ R, F }, INIT_XAVIER, 1.0f, 0);
    s->se_w2 = param_new(c->ps, "fibinet.se.w2", 2, (int[]){ F, R }, INIT_XAVIER, 1.0f, 0);
    if (o.shared) {
        fibinet_bilinear_init(&s->bil[0], c, "fibinet.bilinear", s->type);
        s->bil[1] = s->bil[0];
    } else {
        fibinet_bilinear_init(&s->bil[0], c, "fibinet.bilinear_se", s->type);
        fibinet_bilinear_init(&s->bil[1], c, "fibinet.bilinear_emb", s->type);
    }
    if (s->linear) {
        s->wide = embed_table(c, "fibinet.linear", 1, 0.0f);
        s->bias = param_new(c->ps, "fibinet.bias", 1, (int[]){ 1 }, INIT_ZEROS, 0.0f, 0);
    }
    int in = 2 * s->n_pairs * E;
    mlp_init(&s->deep, c, "fibinet.deep", in, cfg->hidden, cfg->n_hidden);
    dense_init(&s->out, c, "fibinet.out", mlp_out(&s->deep, in), 1, ACT_NONE, 0);
    return 0;
}

/* SENET: e (B,F,E) -> V (B,F,E) = e * A, A (B,F) = ReLU(W_2 ReLU(W_1 mean_E(e))). */
static struct tensor *fibinet_senet(const struct fibinet *s, struct graph *g, struct tensor *e)
{
    int B = e->shape[0], F = e->shape[1];
    struct tensor *z = t_reshape2(g, t_mean(g, e, 2), B, F);                   /* (B, F) */
    struct tensor *a = t_relu(g, t_linear(g, z, s->se_w1, NULL));              /* (B, R) */
    a = t_relu(g, t_linear(g, a, s->se_w2, NULL));                             /* (B, F) */
    return t_mul(g, e, t_reshape3(g, a, B, F, 1));          /* (B,F,E) * (B,F,1) column broadcast */
}

/* Bilinear interaction: v (B,F,E) -> [p_ij]_{i<j} (B, P*E), p_ij = (v_i W_.^T) * v_j.
 * all: one pairmul of v W^T (B,F,E) with v. each / interaction:
 * left  = [v_0 W^T (F-1 times), v_1 W^T (F-2 times), ..]   (B, P*E)
 * right = [v_1..v_{F-1}, v_2..v_{F-1}, .., v_{F-1}]        (B, P*E), F-1 contiguous slices */
static struct tensor *fibinet_bilinear(const struct fibinet *s, const struct fibinet_bilinear *b,
                                       struct graph *g, struct tensor *v)
{
    int B = v->shape[0], F = s->n_fields, E = s->emb_dim, P = s->n_pairs;
    if (s->type == FIBINET_ALL)   /* p_ij = (v_i W^T) * v_j: every v_i W^T at once, then the pairs */
        return t_pairmul(g, t_linear(g, v, b->w[0], NULL), v);                 /* (B, P*E) */
    struct tensor *flat = t_reshape2(g, v, B, F * E);                          /* (B, F*E) */
    struct tensor **left = arena_alloc(&g->arena, sizeof *left * (size_t)P);
    struct tensor **right = arena_alloc(&g->arena, sizeof *right * (size_t)(F - 1));
    int n_left = 0;
    for (int i = 0; i < F - 1; i++) {
        right[i] = t_slice(g, flat, (i + 1) * E, (F - 1 - i) * E);            /* (B, (F-1-i)*E) */
        if (s->type == FIBINET_INTERACTION) {   /* [v_i W_ij^T]_{j>i} in one product */
            left[n_left++] = t_linear(g, t_slice(g, flat, i * E, E), b->w[i], NULL);
            continue;
        }
        struct tensor *li = t_linear(g, t_slice(g, flat, i * E, E), b->w[i], NULL);   /* (B, E) */
        for (int j = i + 1; j < F; j++) left[n_left++] = li;
    }
    struct tensor *l = n_left == 1 ? left[0] : t_concat(g, n_left, left);
    struct tensor *r = F == 2 ? right[0] : t_concat(g, F - 1, right);
    return t_mul(g, l, r);                                                     /* (B, P*E) */
}

static struct tensor *fibinet_forward(void *state, struct fwd_ctx *f)
{
    struct fibinet *s = state;
    struct graph *g = f->g;
    int B = f->batch->n, F = s->n_fields;
    struct tensor *v = fibinet_senet(s, g, f->emb);                           /* (B, F, E) */
    struct tensor *c = t_concat(g, 2, (struct tensor *[]){
        fibinet_bilinear(s, &s->bil[0], g, v), fibinet_bilinear(s, &s->bil[1], g, f->emb) });
    struct tensor *logit = dense_forward(&s->out, f, mlp_forward(&s->deep, f, c));   /* (B, 1) */
    if (!s->linear) return logit;
    /* linear part: (B,F,1) -> (B,F) -> sum -> (B,1), + w0 */
    struct tensor *w = t_reshape2(g, embed_lookup(g, s->wide, f->batch), B, F);
    return t_add(g, logit, t_add(g, t_sum(g, w, 1), s->bias));
}

const struct backbone_ops backbone_fibinet = {
    .name = "fibinet",
    .help = "FiBiNET (Huang et al. 2019): SENET field weights + bilinear interactions of the raw and reweighted embeddings, into an MLP",
    .state_size = sizeof(struct fibinet),
    .cfg_size = sizeof(struct fibinet_cfg),
    .cfg_default = fibinet_cfg_default,
    .opts = fibinet_opts,
    .init = fibinet_init,
    .forward = fibinet_forward,
};
