/* Over-parameterised weight forms (paper 3.2.4, eq. 9-11; Table 6 and 11):
 *   v6: y_i = U^l U^r S_i V^l V^r x_i                 J = 2 factors per side
 *   v7: y_i = (prod_j U^j) S_i (prod_j V^j) x_i       J = 3
 *   v8: the same with J = 4
 * U chain: (N,P) (P,P)^(J-2) (P,K); V chain: (K,P) (P,P)^(J-2) (P,M). S_i = G(z_i).
 * Training multiplies each chain out once per step (O(P (N+M) K + (J-2) P^2 K), not per
 * instance), then runs v3's decomposed feed-forwarding, so W_i is never materialised;
 * export collapses the chains into v3's U (N,K) and V (K,M) (no inference cost).
 * Scaled initialisation: every factor after the first of a chain ~ N(0, 1/fan_in), so a
 * chain keeps the variance of its first factor: U^1 ~ v3's U, V^1 ~ N(0, 1/P) and
 * V^J ~ N(0, 1/M) give U V the entry variance of a Glorot W. */
#include "factors.h"
#include "ops.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHAIN_MAX 4

static int op_gen_size(const struct reparam_dims *d) { return d->K * d->K; }
static void op_center(const struct reparam_dims *d, float *bias, struct rng *rng)
{
    (void)rng;
    center_identity(bias, d->K);
}

static long chain_shared_size(const struct reparam_dims *d, int J)
{
    long P = d->P;
    return (long)d->N * P + P * d->K + (long)d->K * P + P * d->M + 2L * (J - 2) * P * P;
}

/* f[0..J) = U^1..U^J, f[J..2J) = V^1..V^J */
static void chain_init(struct reparam_layer *l, struct param_store *ps, const char *name, int scaled, int J)
{
    const struct reparam_dims *d = &l->dims;
    char sfx[8];
    double u1 = glorot_var(d->N, d->M) * d->M / d->K;
    for (int j = 0; j < J; j++) {
        int rows = j == 0 ? d->N : d->P, cols = j == J - 1 ? d->K : d->P;
        snprintf(sfx, sizeof sfx, J == 2 ? (j ? "Ur" : "Ul") : "U%d", j + 1);
        factor_new(l, ps, name, sfx, rows, cols, scaled, j == 0 ? u1 : 1.0 / rows);
    }
    for (int j = 0; j < J; j++) {
        int rows = j == 0 ? d->K : d->P, cols = j == J - 1 ? d->M : d->P;
        snprintf(sfx, sizeof sfx, J == 2 ? (j ? "Vr" : "Vl") : "V%d", j + 1);
        factor_new(l, ps, name, sfx, rows, cols, scaled, 1.0 / cols);
    }
}

/* prod of f[from .. from+J) through the graph (gradients reach every factor). */
static struct tensor *chain_product(struct graph *g, struct tensor *const *f, int J)
{
    struct tensor *p = f[J - 1];
    for (int j = J - 2; j >= 0; j--) p = t_matmul(g, f[j], p, 0, 0);
    return p;
}

static struct tensor *chain_forward(const struct reparam_layer *l, struct graph *g, struct tensor *x,
                                    struct tensor *gen, int J, struct tensor *b, int relu)
{
    struct tensor *u = chain_product(g, l->f, J);        /* (N,K) */
    struct tensor *v = chain_product(g, l->f + J, J);    /* (K,M) */
    return reparam_dff(g, u, v, x, gen, l->dims.K, b, relu);
}

static void chain_uv(const struct reparam_layer *l, struct graph *g, int J, struct tensor **u, struct tensor **v)
{
    *u = chain_product(g, l->f, J);
    *v = chain_product(g, l->f + J, J);
}

/* Folds each chain into to's v3 factors: to->f[0] = prod U^j, to->f[1] = prod V^j. */
static void chain_collapse(const struct reparam_layer *from, struct reparam_layer *to, int J)
{
    for (int side = 0; side < 2; side++) {
        struct tensor *const *f = from->f + side * J;
        int rows = f[0]->shape[0], cols = f[J - 1]->shape[1];
        size_t wide = (size_t)(from->dims.P > cols ? from->dims.P : cols);
        float *acc = malloc(sizeof(float) * (size_t)rows * wide);
        float *tmp = malloc(sizeof(float) * (size_t)rows * wide);
        if (!acc || !tmp) { fprintf(stderr, "apg: out of memory (collapse)\n"); abort(); }
        memcpy(acc, f[0]->data, sizeof(float) * (size_t)f[0]->size);
        for (int j = 1; j < J; j++) {
            int k = f[j]->shape[0], c = f[j]->shape[1];
            factor_matmul(acc, f[j]->data, tmp, rows, k, c);
            float *sw = acc; acc = tmp; tmp = sw;
        }
        memcpy(to->f[side]->data, acc, sizeof(float) * (size_t)rows * (size_t)cols);
        free(acc);
        free(tmp);
    }
}

#define CHAIN_FORM(NAME, J, FORMULA)                                                          \
    static long NAME##_shared(const struct reparam_dims *d) { return chain_shared_size(d, J); } \
    static void NAME##_init(struct reparam_layer *l, struct param_store *ps, const char *name,  \
                            int scaled) { chain_init(l, ps, name, scaled, J); }                 \
    static struct tensor *NAME##_forward(const struct reparam_layer *l, struct graph *g,       \
                                         struct tensor *x, struct tensor *gen)                 \
    { return chain_forward(l, g, x, gen, J, NULL, 0); }                                        \
    static struct tensor *NAME##_forward_bias(const struct reparam_layer *l, struct graph *g,  \
                                              struct tensor *x, struct tensor *gen,            \
                                              struct tensor *b, int relu)                      \
    { return chain_forward(l, g, x, gen, J, b, relu); }                                        \
    static void NAME##_collapse(const struct reparam_layer *from, struct reparam_layer *to)    \
    { chain_collapse(from, to, J); }                                                           \
    static void NAME##_uv(const struct reparam_layer *l, struct graph *g, struct tensor **u,   \
                          struct tensor **v)                                                   \
    { chain_uv(l, g, J, u, v); }                                                               \
    const struct reparam_form reparam_##NAME = {                                               \
        .name = #NAME, .formula = FORMULA, .generated = "S_i (K x K)",                        \
        .gen_size = op_gen_size, .shared_size = NAME##_shared, .init = NAME##_init,           \
        .gen_center = op_center, .forward = NAME##_forward, .forward_bias = NAME##_forward_bias, \
        .collapse_to = "v3", .collapse = NAME##_collapse, .uv = NAME##_uv,                     \
    };

CHAIN_FORM(v6, 2, "U^l U^r S_i V^l V^r x")
CHAIN_FORM(v7, 3, "(U^1 U^2 U^3) S_i (V^1 V^2 V^3) x")
CHAIN_FORM(v8, 4, "(U^1..U^4) S_i (V^1..V^4) x")
