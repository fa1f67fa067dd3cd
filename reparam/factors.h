/* Shared helpers of the weight forms: declaring factor matrices with the scaled or
 * plain initialisation, the generator-centre fills, and products of factor chains. */
#ifndef APG_FACTORS_H
#define APG_FACTORS_H
#include "reparam.h"

/* Declares factor l->f[l->n_f++] = "<name>.<suffix>" of shape (rows, cols).
 * scaled: N(0, var) with the given variance; plain: U(+-1/sqrt(cols)) (the default of
 * a PyTorch linear layer with cols inputs). */
struct tensor *factor_new(struct reparam_layer *l, struct param_store *ps, const char *name,
                          const char *suffix, int rows, int cols, int scaled, double var);

/* Variance of the entries of a Glorot-initialised N x M weight: 2 / (N + M). */
static inline double glorot_var(int n, int m) { return 2.0 / (double)(n + m); }

/* Generator centres: bias[0..k*k) = I (K x K flattened); bias[0..n*m) ~ Glorot. */
void center_identity(float *bias, int k);
void center_glorot(float *bias, int n, int m, struct rng *rng);

/* out (r, c) = a (r, k) b (k, c), row-major, accumulated in double (export only). */
void factor_matmul(const float *a, const float *b, float *out, int r, int k, int c);



/* Decomposed feed-forwarding U(S_i(V x_i)) + b (eq. 8), ReLU'd when relu = 1:
 * U (N,K), V (K,M), x (B,M), S (B,K*K), b (N) or NULL -> (B,N). The forward of v3, and
 * of v6-v8 once their chains are multiplied out. */
struct tensor *reparam_dff(struct graph *g, struct tensor *u, struct tensor *v, struct tensor *x,
                           struct tensor *s, int k, struct tensor *b, int relu);
/* The same with S_i = x_i W_G^T + b_G generated from x itself (self-wise, a one-layer
 * G: W_G (K*K, M), b_G (K*K)): S and V x come out of one GEMM of x with the stacked
 * [W_G; V] (K*K + K, M), instead of a lone narrow product of N = K. */
struct tensor *reparam_dff_self(struct graph *g, struct tensor *u, struct tensor *v, struct tensor *x,
                                struct tensor *gw, struct tensor *gb, int k, struct tensor *b, int relu);
#endif
