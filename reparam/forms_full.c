/* Weight forms that generate a full N x M matrix per instance (paper Table 5):
 *   v1: y_i = W_i x_i,          W_i = G(z_i)                       (eq. 3, 4)
 *   v5: y_i = U (W_i (V x_i)),  W_i = G(z_i) (N x M), U (N x N), V (M x M) shared
 * Both cost O(NMD) to generate: that is what the ablation measures. Under a self-wise
 * one-layer G both run generator and product as one op (t_genmv). */
#include "factors.h"
#include "ops.h"

static int full_gen_size(const struct reparam_dims *d) { return d->N * d->M; }

static void full_center(const struct reparam_dims *d, float *bias, struct rng *rng)
{
    center_glorot(bias, d->N, d->M, rng);
}

/* ---- v1 ---- */
static long v1_shared_size(const struct reparam_dims *d) { (void)d; return 0; }
static void v1_init(struct reparam_layer *l, struct param_store *ps, const char *name, int scaled)
{
    (void)l; (void)ps; (void)name; (void)scaled;
}
/* x (B,M), gen (B, N*M) -> W_i x_i (B,N) */
static struct tensor *v1_forward(const struct reparam_layer *l, struct graph *g, struct tensor *x,
                                 struct tensor *gen)
{
    return t_rowmv(g, gen, x, l->dims.N, l->dims.M, 0);
}

/* x (B,M), gen = x G^T + b -> W_i x_i (B,N), z = h = x */
static struct tensor *v1_forward_gen(const struct reparam_layer *l, struct graph *g, struct tensor *x,
                                     struct tensor *gw, struct tensor *gb)
{
    return t_genmv(g, x, gw, gb, x, l->dims.N, l->dims.M);
}

const struct reparam_form reparam_v1 = {
    .name = "v1", .formula = "W_i x", .generated = "W_i (N x M)",
    .gen_size = full_gen_size, .shared_size = v1_shared_size, .init = v1_init,
    .gen_center = full_center, .forward = v1_forward, .forward_gen = v1_forward_gen,
};

/* ---- v5 ---- */
static long v5_shared_size(const struct reparam_dims *d)
{
    return (long)d->N * d->N + (long)d->M * d->M;
}
/* f[0] = U (N,N), f[1] = V (M,M). Scaled: var 1/N and 1/M, so U W V starts with the
 * variance of W (Glorot, from G's centre). */
static void v5_init(struct reparam_layer *l, struct param_store *ps, const char *name, int scaled)
{
    int N = l->dims.N, M = l->dims.M;
    factor_new(l, ps, name, "U", N, N, scaled, 1.0 / N);
    factor_new(l, ps, name, "V", M, M, scaled, 1.0 / M);
}
/* x (B,M) -> V x (B,M) -> W_i (.) (B,N) -> U (.) (B,N) */
static struct tensor *v5_forward(const struct reparam_layer *l, struct graph *g, struct tensor *x,
                                 struct tensor *gen)
{
    struct tensor *h = t_linear(g, x, l->f[1], NULL);
    h = t_rowmv(g, gen, h, l->dims.N, l->dims.M, 0);
    return t_linear(g, h, l->f[0], NULL);
}

/* the same with W_i = G x_i + b applied to V x */
static struct tensor *v5_forward_gen(const struct reparam_layer *l, struct graph *g, struct tensor *x,
                                     struct tensor *gw, struct tensor *gb)
{
    struct tensor *h = t_linear(g, x, l->f[1], NULL);
    h = t_genmv(g, x, gw, gb, h, l->dims.N, l->dims.M);
    return t_linear(g, h, l->f[0], NULL);
}

const struct reparam_form reparam_v5 = {
    .name = "v5", .formula = "U(W_i(V x))", .generated = "W_i (N x M)",
    .gen_size = full_gen_size, .shared_size = v5_shared_size, .init = v5_init,
    .gen_center = full_center, .forward = v5_forward, .forward_gen = v5_forward_gen,
};
