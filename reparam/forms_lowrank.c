/* Low-rank weight forms (paper 3.2.1-3.2.3, Table 5), W_i = U_i S_i V_i of rank K:
 *   v2: y_i = (U S_i V) x_i   W_i materialised per instance, then applied   O(NMK) per row
 *   v3: y_i = U(S_i(V x_i))   decomposed feed-forwarding (eq. 8)            O((N+M)K + K^2)
 *   v4: y_i = U_i(S_i(V_i x_i)) every factor generated (no shared part)
 * S_i = G(z_i) (K x K, eq. 7). Scaled initialisation: V (K,M) ~ N(0, 1/M) keeps the
 * scale of x, S_i starts at I (G's centre), U (N,K) ~ N(0, 2M / (K (N+M))) so that U V
 * has the entry variance 2/(N+M) of a Glorot W. */
#include "factors.h"
#include "ops.h"
#include <math.h>
#include <string.h>

static int kk_gen_size(const struct reparam_dims *d) { return d->K * d->K; }
static long uv_shared_size(const struct reparam_dims *d)
{
    return (long)d->N * d->K + (long)d->K * d->M;
}
static double u_var(const struct reparam_dims *d)
{
    return glorot_var(d->N, d->M) * d->M / d->K;
}
static void kk_center(const struct reparam_dims *d, float *bias, struct rng *rng)
{
    (void)rng;
    center_identity(bias, d->K);
}

/* f[0] = U (N,K), f[1] = V (K,M) */
static void uv_init(struct reparam_layer *l, struct param_store *ps, const char *name, int scaled)
{
    const struct reparam_dims *d = &l->dims;
    factor_new(l, ps, name, "U", d->N, d->K, scaled, u_var(d));
    factor_new(l, ps, name, "V", d->K, d->M, scaled, 1.0 / d->M);
}

/* U (N,K), V (K,M), x (B,M), S (B,K*K), b (N) -> [ReLU] (U(S_i(V x_i)) + b) (B,N).
 * Shared with v6-v8. */
struct tensor *reparam_dff(struct graph *g, struct tensor *u, struct tensor *v, struct tensor *x,
                           struct tensor *s, int k, struct tensor *b, int relu)
{
    struct tensor *h = t_linear(g, x, v, NULL);     /* (B,K) */
    h = t_rowmv(g, s, h, k, k, 0);                   /* (B,K) */
    return relu ? t_linear_relu(g, h, u, b) : t_linear(g, h, u, b);   /* (B,N) */
}

struct tensor *reparam_dff_self(struct graph *g, struct tensor *u, struct tensor *v, struct tensor *x,
                                struct tensor *gw, struct tensor *gb, int k, struct tensor *b, int relu)
{
    int M = tensor_cols(x), K2 = k * k;
    /* [W_G; V] (K2 + k, M) and [b_G; 0] (K2 + k): row blocks, as concatenated rows */
    struct tensor *w = t_reshape2(g, t_concat(g, 2, (struct tensor *[]){ t_reshape2(g, gw, 1, K2 * M),
                                                                          t_reshape2(g, v, 1, k * M) }), K2 + k, M);
    struct tensor *zero = graph_input(g, NULL, 2, (int[]){ 1, k });
    memset(zero->data, 0, sizeof(float) * (size_t)k);
    struct tensor *bias = t_reshape(g, t_concat(g, 2, (struct tensor *[]){ t_reshape2(g, gb, 1, K2), zero }), 1,
                                    (int[]){ K2 + k });
    struct tensor *sv = t_linear(g, x, w, bias);                /* (B, K2 + k) = [S | V x] */
    struct tensor *h = t_rowmvp(g, sv, k, k);                   /* (B,K): S_i (V x_i) */
    return relu ? t_linear_relu(g, h, u, b) : t_linear(g, h, u, b);   /* (B,N) */
}

/* ---- v3 ---- */
static void v3_uv(const struct reparam_layer *l, struct graph *g, struct tensor **u, struct tensor **v)
{
    (void)g;
    *u = l->f[0];
    *v = l->f[1];
}
static struct tensor *v3_forward(const struct reparam_layer *l, struct graph *g, struct tensor *x,
                                 struct tensor *gen)
{
    return reparam_dff(g, l->f[0], l->f[1], x, gen, l->dims.K, NULL, 0);
}
static struct tensor *v3_forward_bias(const struct reparam_layer *l, struct graph *g, struct tensor *x,
                                      struct tensor *gen, struct tensor *b, int relu)
{
    return reparam_dff(g, l->f[0], l->f[1], x, gen, l->dims.K, b, relu);
}

const struct reparam_form reparam_v3 = {
    .name = "v3", .formula = "U(S_i(V x))", .generated = "S_i (K x K)",
    .gen_size = kk_gen_size, .shared_size = uv_shared_size, .init = uv_init,
    .gen_center = kk_center, .forward = v3_forward, .forward_bias = v3_forward_bias, .uv = v3_uv,
};

/* ---- v2 ---- */
/* W_i = U S_i V for every row, then W_i x_i: lrmv forms T_i = S_i V (K x M) and every
 * W_i = U T_i (N x M, O(NMK)) row by row in cache and applies it; its backward is the
 * materialised graph's (dW_i = dy_i x_i^T, then dT_i, dS_i, dU, dV). */
static struct tensor *v2_forward(const struct reparam_layer *l, struct graph *g, struct tensor *x,
                                 struct tensor *gen)
{
    return t_lrmv(g, l->f[0], gen, l->f[1], x);
}

const struct reparam_form reparam_v2 = {
    .name = "v2", .formula = "(U S_i V) x", .generated = "S_i (K x K)",
    .gen_size = kk_gen_size, .shared_size = uv_shared_size, .init = uv_init,
    .gen_center = kk_center, .forward = v2_forward,
};

/* ---- v4 ---- */
/* Low-rank parameterisation without sharing (Table 5: |Theta_i| = (N+M+K)K, no shared
 * part; Tables 1-2 write it U_i(S_i(V_i x_i))): every factor is generated.
 * gen = [U_i (N*K) | S_i (K*K) | V_i (K*M)]; the centres have the scaled factors'
 * variances, S_i's is I. */
static int v4_gen_size(const struct reparam_dims *d) { return (d->N + d->K + d->M) * d->K; }
static long v4_shared_size(const struct reparam_dims *d) { (void)d; return 0; }
static void v4_init(struct reparam_layer *l, struct param_store *ps, const char *name, int scaled)
{
    (void)l; (void)ps; (void)name; (void)scaled;
}
static void v4_center(const struct reparam_dims *d, float *bias, struct rng *rng)
{
    int N = d->N, K = d->K, M = d->M;
    float su = (float)sqrt(u_var(d)), sv = (float)sqrt(1.0 / M);
    for (int i = 0; i < N * K; i++) bias[i] = su * (float)rng_normal(rng);
    center_identity(bias + N * K, K);
    for (int i = 0; i < K * M; i++) bias[N * K + K * K + i] = sv * (float)rng_normal(rng);
}
/* x (B,M) -> V_i x (B,K) -> S_i (.) (B,K) -> U_i (.) (B,N), three per-row products. */
static struct tensor *v4_forward(const struct reparam_layer *l, struct graph *g, struct tensor *x,
                                 struct tensor *gen)
{
    int N = l->dims.N, K = l->dims.K, M = l->dims.M;
    struct tensor *ui = t_slice(g, gen, 0, N * K), *si = t_slice(g, gen, N * K, K * K);
    struct tensor *vi = t_slice(g, gen, N * K + K * K, K * M);
    struct tensor *h = t_rowmv(g, vi, x, K, M, 0);
    h = t_rowmv(g, si, h, K, K, 0);
    return t_rowmv(g, ui, h, N, K, 0);
}

const struct reparam_form reparam_v4 = {
    .name = "v4", .formula = "U_i(S_i(V_i x))", .generated = "U_i (N x K), S_i (K x K), V_i (K x M)",
    .gen_size = v4_gen_size, .shared_size = v4_shared_size, .init = v4_init,
    .gen_center = v4_center, .forward = v4_forward, .gen_product = 1,
};
