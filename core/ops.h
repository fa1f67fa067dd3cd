/* Graph constructors: check shapes, build a node, run its forward, record it.
 * Models compose these and never write backward code. A shape error is a programming
 * error: it prints the op and both shapes and aborts. Shapes are row-major; "rows" of
 * a tensor are all leading dims flattened, "cols" its last dim. */
#ifndef APG_OPS_H
#define APG_OPS_H
#include "graph.h"

/* y (R,N) = x (R,M) W^T + b;  W (N,M), b (N) or NULL.  x may be 2-D or 3-D (rows = R). */
struct tensor *t_linear(struct graph *g, struct tensor *x, struct tensor *w, struct tensor *b);
/* max(x W^T + b, 0), shapes as t_linear: one node for a ReLU layer. */
struct tensor *t_linear_relu(struct graph *g, struct tensor *x, struct tensor *w, struct tensor *b);
/* C = op(A) op(B), op = transpose when ta/tb; A, B 2-D. */
struct tensor *t_matmul(struct graph *g, struct tensor *a, struct tensor *b, int ta, int tb);
/* C_b = op(A_b) op(B_b) for every b; A (B,P,Q), B (B,Q,R) (before transposes). */
struct tensor *t_bmm(struct graph *g, struct tensor *a, struct tensor *b, int ta, int tb);
/* Elementwise with broadcast of b: same shape; row (b has size cols(a): one vector added
 * to every row); column (b has size rows(a) and last dim 1: one scalar per row). */
struct tensor *t_add(struct graph *g, struct tensor *a, struct tensor *b);
struct tensor *t_sub(struct graph *g, struct tensor *a, struct tensor *b);
struct tensor *t_mul(struct graph *g, struct tensor *a, struct tensor *b);
struct tensor *t_scale(struct graph *g, struct tensor *a, float s);
struct tensor *t_relu(struct graph *g, struct tensor *a);
struct tensor *t_sigmoid(struct graph *g, struct tensor *a);
struct tensor *t_tanh(struct graph *g, struct tensor *a);
/* Reduce over one axis, which is kept with size 1: (B,F,E) sum axis 1 -> (B,1,E). */
struct tensor *t_sum(struct graph *g, struct tensor *a, int axis);
struct tensor *t_mean(struct graph *g, struct tensor *a, int axis);
/* Concatenate n tensors along the last axis (equal leading dims). */
struct tensor *t_concat(struct graph *g, int n, struct tensor *const *parts);
/* Columns [off, off+width) of the last axis. */
struct tensor *t_slice(struct graph *g, struct tensor *a, int off, int width);
/* Split the last axis into pieces of the given widths (sum = cols(a)); out[i] set. */
void           t_split(struct graph *g, struct tensor *a, int n, const int *widths,
                       struct tensor **out);
struct tensor *t_reshape(struct graph *g, struct tensor *a, int ndim, const int *shape);
struct tensor *t_reshape2(struct graph *g, struct tensor *a, int d0, int d1);
struct tensor *t_reshape3(struct graph *g, struct tensor *a, int d0, int d1, int d2);
/* Swap the last two axes: (B,F,E) -> (B,E,F), (R,C) -> (C,R). */
struct tensor *t_transpose(struct graph *g, struct tensor *a);
/* Embedding lookup: table (V,E), ids[B*F] in [0,V) -> (B,F,E). Gradient row-sparse
 * into the table (T_SPARSE tables record touched rows). ids must outlive the step. */
struct tensor *t_gather(struct graph *g, struct tensor *table, const int32_t *ids, int B, int F);
/* Mean-pooled lists: bag j = b*F+f holds ids[offs[j] .. offs[j+1]); an empty bag is 0. */
struct tensor *t_bag(struct graph *g, struct tensor *table, const int32_t *offs,
                     const int32_t *ids, int B, int F);
struct tensor *t_softmax(struct graph *g, struct tensor *a);
/* Per-row small matrix-vector product (the APG kernel): S (R, N*M) holds one row-major
 * N x M matrix per row; x (R, M); y_r = S_r x_r -> (R, N). trans: y_r = S_r^T x_r with
 * x (R, N) -> (R, M). */
struct tensor *t_rowmv(struct graph *g, struct tensor *s, struct tensor *x, int n, int m, int trans);
/* The same with S_r and x_r side by side in one row: sx (R, N*M + M) = [S | x]. */
struct tensor *t_rowmvp(struct graph *g, struct tensor *sx, int n, int m);
/* Field pairs (FiBiNET's bilinear interaction): L, R (B,F,E) -> (B, P*E), P = F(F-1)/2,
 * pair p of (i, j), i < j in the order (0,1), (0,2), .., (0,F-1), (1,2), .., holding
 * L_i * R_j elementwise; no slice or concat copies. */
struct tensor *t_pairmul(struct graph *g, struct tensor *l, struct tensor *r);
/* Their inner products: e (B,F,E) -> (B, P), pair p of (i, j) in the same order holding
 * <e_i, e_j> (PNN's quadratic signal). */
struct tensor *t_pairdot(struct graph *g, struct tensor *e);
/* Multi-head self-attention over a packed projection (AutoInt's and DIFM's interacting
 * layer): qkvr (B,F,W) = [Q | K | V | R], each (B,F,H*d), R only when res (W = 4Hd, else
 * 3Hd) -> (B,F,H*d), head h = ReLU(softmax(scale Q_h K_h^T) V_h + R_h). */
struct tensor *t_mhsa(struct graph *g, struct tensor *qkvr, int heads, int d, float scale, int res);
/* Row-indexed masked product (Star's domain FCN, Sheng et al. 2021): y_r = (A[ids_r] (*) W) x_r,
 * A (D, N*M) a table of per-domain weights (row-sparse grad), W (N,M) shared, x (R,M),
 * ids[R] in [0, D) -> y (R,N); no (R, N*M) product is materialised. */
struct tensor *t_idxmv(struct graph *g, struct tensor *a, struct tensor *w, struct tensor *x, const int32_t *ids);
/* Per-row product with a materialised low-rank matrix (APG v2): U (N,K) and V (K,M) shared,
 * S (R, K*K) one K x K matrix S_r per row, x (R,M); y_r = W_r x_r with W_r = U S_r V (N x M)
 * built row by row in cache -> (R,N). */
struct tensor *t_lrmv(struct graph *g, struct tensor *u, struct tensor *s, struct tensor *v, struct tensor *x);
/* A generated full matrix per row (APG v1, v5 under a one-layer generator): z (R,D), G
 * (N*M, D), b (N*M) or NULL, h (R,M); y_r = W_r h_r with W_r = G z_r + b as (N,M) -> (R,N),
 * the linear + rowmv pair in one op whose backward never stores the (R, N*M) dW_r. */
struct tensor *t_genmv(struct graph *g, struct tensor *z, struct tensor *gw, struct tensor *gb,
                       struct tensor *h, int n, int m);
/* <a_r, b_r> over the last axis -> shape of a with last dim 1. */
struct tensor *t_rowdot(struct graph *g, struct tensor *a, struct tensor *b);
/* Mean over R of BCE(sigmoid(logit_r), label_r); logits (R,1); -> (1). Stable form. */
struct tensor *t_bce(struct graph *g, struct tensor *logits, const float *labels);

#endif
