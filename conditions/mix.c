/* Mix-wise conditions (paper 3.1.2, Appendix A.2, C): k >= 2 field embeddings
 * e_ij (j = 1..k, each (B, E)) condition one layer.
 *
 * mix-in:AGG:F1,..,Fk   input aggregation, then one G:  gen_i = G(z_i)
 *   mean       z_i = 1/k sum_j e_ij                                   (D = E)
 *   concat     z_i = [e_i1 .. e_ik]                                   (D = k E)
 *   attention  s_ij = w^T e_ij + c_j,  alpha_ij = softmax_j(s_ij),
 *              z_i = sum_j alpha_ij e_ij                              (D = E; w (E), c (k))
 * mix-out:AGG:F1,..,Fk  one G_j per condition, gen_ij = G_j(e_ij), then
 *   mean       gen_i = 1/k sum_j gen_ij
 *   concat     gen_i = P [gen_i1 .. gen_ik] + p     (P (gen, k gen), p (gen): a learned
 *              static projection; scaled init P = [I/k .. I/k], p = 0, so it starts as mean)
 *   attention  s_ij = w^T gen_ij + c_j,  alpha_ij = softmax_j(s_ij),
 *              gen_i = sum_j alpha_ij gen_ij                          (w (gen), c (k))
 * The paper aggregates the per-condition weights W_ij. For every form whose W_i is
 * linear in gen (all but v4) the aggregate of the gen_ij is exactly that. v4 generates
 * gen = [U_i | S_i | V_i] and W_i = U_i S_i V_i is a product of them, so there the
 * per-condition layer outputs y_ij = U_ij S_ij V_ij x_i (B, N) are aggregated instead,
 * exact for mean and attention (sum_j alpha_ij W_ij x_i; alpha from the gen_ij as
 * above); concat becomes y_i = P [y_i1 .. y_ik], P (N, k N), a learned projection of
 * the per-condition outputs (no p: the layer bias b is already there), which mixes
 * whole W_ij instead of entries of different factors.
 * c_j is one learned bias per condition (a shared scalar would cancel in the softmax).
 * Scaled init: w = c = 0 (attention starts as the mean); every G_j starts on the same
 * centre (generator_init_like). Plain init: w, c, P, p ~ U(+-1/sqrt(fan_in)).
 * Weighted sums run as one t_rowmv over the stacked (B, k*dim) rows: sum_j a_ij v_ij. */
#include "generator.h"
#include "ops.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Largest mix-out:concat projection (floats): k gen^2 grows fast for forms that
 * generate whole matrices (v1, v5). */
#define MIX_PROJ_MAX (1L << 24)

enum mix_agg { MIX_MEAN, MIX_CONCAT, MIX_ATTENTION, MIX_AGG_COUNT };
static const char *const mix_agg_name[MIX_AGG_COUNT] = {
    [MIX_MEAN] = "mean", [MIX_CONCAT] = "concat", [MIX_ATTENTION] = "attention",
};

struct cond_mix {
    int out;                         /* 0: mix-in, 1: mix-out */
    enum mix_agg agg;
    int k, field[COND_MAX_FIELDS];
    int contiguous;                  /* fields are f0, f0+1, ..: one slice stacks them */
    int dim;                         /* width aggregated: E (mix-in) or gen (mix-out) */
    int layers;                      /* mix-out under a gen_product form (v4): mix the
                                        per-condition layer outputs (B, N) instead */
    struct tensor *att_w, *att_c;    /* attention: (1, dim), (k) */
    struct tensor *proj_w, *proj_b;  /* mix-out concat: (gen, k gen), (gen); layers: (N, k N), - */
    struct generator G[COND_MAX_FIELDS];   /* mix-in: G[0] only */
};

/* P = [I/k .. I/k]: (gen, k gen), or (N, k N) when mixing layer outputs. */
static void mix_proj_mean(struct tensor *t, struct rng *rng, const void *ctx)
{
    int gen = t->shape[0], cols = t->shape[1], k = cols / gen;
    memset(t->data, 0, sizeof(float) * (size_t)t->size);
    for (int p = 0; p < gen; p++)
        for (int j = 0; j < k; j++) t->data[(size_t)p * cols + (size_t)j * gen + p] = 1.0f / (float)k;
}

static int mix_init(struct cond_mix *s, int out, const char *spec, const struct cond_args *a,
                    char *err, size_t errlen)
{
    const char *kind = out ? "mix-out" : "mix-in";
    char why[200], nm[128];
    s->out = out;
    const char *colon = spec ? strchr(spec, ':') : NULL;
    size_t alen = colon ? (size_t)(colon - spec) : spec ? strlen(spec) : 0;
    s->agg = MIX_AGG_COUNT;
    for (int i = 0; i < MIX_AGG_COUNT; i++)
        if (spec && strlen(mix_agg_name[i]) == alen && strncmp(spec, mix_agg_name[i], alen) == 0)
            s->agg = (enum mix_agg)i;
    if (s->agg == MIX_AGG_COUNT) {
        snprintf(err, errlen, "unknown aggregation '%.*s' (valid: mean, concat, attention; "
                 "syntax %s:AGG:F1,F2,..)", (int)(alen > 40 ? 40 : alen), spec ? spec : "", kind);
        return -1;
    }
    if (!colon) {
        condition_list_fields(a->c->data, "", why, sizeof why);
        snprintf(err, errlen, "%s:%s needs fields: %s:%s:F1,F2,.. (fields: %s", kind,
                 mix_agg_name[s->agg], kind, mix_agg_name[s->agg], why);
        return -1;
    }
    if (condition_fields(a->c, colon + 1, s->field, COND_MAX_FIELDS, &s->k, why, sizeof why)) {
        snprintf(err, errlen, "%s: %s", kind, why);
        return -1;
    }
    if (s->k < 2) {
        condition_list_fields(a->c->data, "", why, sizeof why);
        snprintf(err, errlen, "%s needs at least 2 fields, got 1 (use group:%s for one; fields: %s",
                 kind, a->c->data->fields[s->field[0]].name, why);
        return -1;
    }
    if (generator_check(a->c->apg, err, errlen)) return -1;
    int E = a->c->emb_dim, gen = a->gen, k = s->k;
    int plain = strcmp(a->c->apg->init, "plain") == 0;
    s->contiguous = 1;
    for (int j = 1; j < k; j++) s->contiguous &= s->field[j] == s->field[0] + j;
    s->dim = out ? gen : E;
    s->layers = out && a->rl->form->gen_product;
    int pdim = s->layers ? a->rl->dims.N : gen;      /* rows of the concat projection */
    if (out && s->agg == MIX_CONCAT && (long)k * pdim * pdim > MIX_PROJ_MAX) {
        snprintf(err, errlen, "mix-out:concat projection of %d x %d = %ld floats exceeds %ld "
                 "(use mix-out:mean|attention, mix-in, or a form generating only S_i)",
                 pdim, k * pdim, (long)k * pdim * pdim, MIX_PROJ_MAX);
        return -1;
    }
    if (!out) {
        snprintf(nm, sizeof nm, "%s.G", a->name);
        generator_init(&s->G[0], a, nm, s->agg == MIX_CONCAT ? k * E : E);
    } else {
        for (int j = 0; j < k; j++) {
            snprintf(nm, sizeof nm, "%s.G.%s", a->name, a->c->data->fields[s->field[j]].name);
            generator_init_like(&s->G[j], a, nm, E, j ? &s->G[0] : NULL);
        }
    }
    struct param_store *ps = a->c->ps;
    if (s->agg == MIX_ATTENTION) {
        float r = 1.0f / sqrtf((float)s->dim);
        snprintf(nm, sizeof nm, "%s.att.w", a->name);
        s->att_w = param_new(ps, nm, 2, (int[]){ 1, s->dim }, plain ? INIT_UNIFORM : INIT_ZEROS, r, 0);
        snprintf(nm, sizeof nm, "%s.att.c", a->name);
        s->att_c = param_new(ps, nm, 1, (int[]){ k }, plain ? INIT_UNIFORM : INIT_ZEROS, r, 0);
    }
    if (out && s->agg == MIX_CONCAT) {
        float r = 1.0f / sqrtf((float)(k * pdim));
        snprintf(nm, sizeof nm, "%s.proj.w", a->name);
        s->proj_w = plain ? param_new(ps, nm, 2, (int[]){ pdim, k * pdim }, INIT_UNIFORM, r, 0)
                          : param_new_fn(ps, nm, 2, (int[]){ pdim, k * pdim }, mix_proj_mean, NULL);
        snprintf(nm, sizeof nm, "%s.proj.b", a->name);
        if (!s->layers)
            s->proj_b = param_new(ps, nm, 1, (int[]){ gen }, plain ? INIT_UNIFORM : INIT_ZEROS, r, 0);
    }
    return 0;
}

static int mix_in_init(void *state, const char *spec, const struct cond_args *a, char *err, size_t errlen)
{
    return mix_init(state, 0, spec, a, err, errlen);
}

static int mix_out_init(void *state, const char *spec, const struct cond_args *a, char *err, size_t errlen)
{
    return mix_init(state, 1, spec, a, err, errlen);
}

/* alpha (B, k): softmax_j(w^T v_ij + c_j) over the stacked rows v (B, k*dim). */
static struct tensor *mix_attention(const struct cond_mix *s, struct graph *g, struct tensor *v)
{
    int B = tensor_rows(v);
    struct tensor *sc = t_linear(g, t_reshape3(g, v, B, s->k, s->dim), s->att_w, NULL);  /* (B,k,1) */
    return t_softmax(g, t_add(g, t_reshape2(g, sc, B, s->k), s->att_c));
}

/* sum_j alpha_ij v_ij: v (B, k*dim) -> (B, dim). alpha NULL: the mean (1/k each). */
static struct tensor *mix_weighted_sum(const struct cond_mix *s, struct graph *g, struct tensor *v,
                                       struct tensor *alpha, int dim)
{
    if (!alpha) {
        int B = tensor_rows(v);
        alpha = graph_input(g, NULL, 2, (int[]){ B, s->k });
        float w = 1.0f / (float)s->k;
        for (int i = 0; i < alpha->size; i++) alpha->data[i] = w;
    }
    return t_rowmv(g, v, alpha, s->k, dim, 1);
}

/* The aggregation of v (B, k*dim), the k stacked vectors per row. */
static struct tensor *mix_aggregate(const struct cond_mix *s, struct graph *g, struct tensor *v)
{
    switch (s->agg) {
    case MIX_MEAN: return mix_weighted_sum(s, g, v, NULL, s->dim);
    case MIX_ATTENTION: return mix_weighted_sum(s, g, v, mix_attention(s, g, v), s->dim);
    case MIX_CONCAT: return s->out ? t_linear(g, v, s->proj_w, s->proj_b) : v;
    case MIX_AGG_COUNT: break;
    }
    return NULL;
}

/* The stacked generated parameters of the k conditions: (B, k*gen) = [G_j(e_ij)]_j. */
static struct tensor *mix_out_stack(const struct cond_mix *s, struct fwd_ctx *f, struct tensor **part)
{
    struct graph *g = f->g;
    int B = f->emb->shape[0], F = f->emb->shape[1], E = f->emb->shape[2];
    struct tensor *flat = t_reshape2(g, f->emb, B, F * E);
    for (int j = 0; j < s->k; j++)
        part[j] = generator_forward(&s->G[j], g, t_slice(g, flat, s->field[j] * E, E));
    return t_concat(g, s->k, part);
}

static struct tensor *mix_generate(void *state, struct fwd_ctx *f, struct tensor *x)
{
    const struct cond_mix *s = state;
    struct graph *g = f->g;
    struct tensor *part[COND_MAX_FIELDS];
    if (s->layers) return NULL;             /* no single gen_i: see mix_out_apply */
    if (s->out) return mix_aggregate(s, g, mix_out_stack(s, f, part));   /* (B, k*gen) -> (B, gen) */
    int B = f->emb->shape[0], F = f->emb->shape[1], E = f->emb->shape[2], k = s->k;
    struct tensor *flat = t_reshape2(g, f->emb, B, F * E), *stack;      /* (B, k*E) = [e_i1 .. e_ik] */
    if (s->contiguous) {
        stack = t_slice(g, flat, s->field[0] * E, k * E);
    } else {
        for (int j = 0; j < k; j++) part[j] = t_slice(g, flat, s->field[j] * E, E);
        stack = t_concat(g, k, part);
    }
    return generator_forward(&s->G[0], g, mix_aggregate(s, g, stack));
}

/* Mix-out's W_i x (B, N). Linear forms: the form applied to the aggregated gen_i.
 * layers (v4): y_ij = W_ij x_i from each gen_ij, stacked (B, k*N), then
 *   mean       1/k sum_j y_ij
 *   attention  sum_j alpha_ij y_ij, alpha_ij = softmax_j(w^T gen_ij + c_j)
 *   concat     P [y_i1 .. y_ik], P (N, k N). */
static struct tensor *mix_out_apply(void *state, struct fwd_ctx *f, const struct reparam_layer *rl,
                                    struct tensor *x)
{
    const struct cond_mix *s = state;
    struct graph *g = f->g;
    if (!s->layers) return rl->form->forward(rl, g, x, mix_generate(state, f, x));
    struct tensor *part[COND_MAX_FIELDS], *y[COND_MAX_FIELDS];
    struct tensor *gens = mix_out_stack(s, f, part);
    for (int j = 0; j < s->k; j++) y[j] = rl->form->forward(rl, g, x, part[j]);
    struct tensor *ys = t_concat(g, s->k, y);
    int N = rl->dims.N;
    switch (s->agg) {
    case MIX_MEAN: return mix_weighted_sum(s, g, ys, NULL, N);
    case MIX_ATTENTION: return mix_weighted_sum(s, g, ys, mix_attention(s, g, gens), N);
    case MIX_CONCAT: return t_linear(g, ys, s->proj_w, NULL);
    case MIX_AGG_COUNT: break;
    }
    return NULL;
}

const struct condition_ops condition_mix_in = {
    .name = "mix-in",
    .syntax = "mix-in:mean|concat|attention:F1,F2,..",
    .help = "input aggregation: z = AGG(e_F1, e_F2, ..), then one G",
    .state_size = sizeof(struct cond_mix),
    .init = mix_in_init,
    .generate = mix_generate,
};

const struct condition_ops condition_mix_out = {
    .name = "mix-out",
    .syntax = "mix-out:mean|concat|attention:F1,F2,..",
    .help = "output aggregation: one G_j per field, gen = AGG(G_1(e_F1), G_2(e_F2), ..)",
    .state_size = sizeof(struct cond_mix),
    .init = mix_out_init,
    .generate = mix_generate,
    .apply = mix_out_apply,
};
