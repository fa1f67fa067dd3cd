/* Building blocks shared by every backbone: the dense() layer factory (the one place
 * where an MLP layer's weights come from, so APG can route any layer to generated
 * parameters), MLP towers made of dense layers, and embedding lookups. */
#ifndef APG_LAYERS_H
#define APG_LAYERS_H
#include "graph.h"
#include "params.h"
#include "data.h"
#include "apg.h"
#include "reparam.h"

struct dense;
/* The most dense layers a model records (struct model's list, which export, the
 * collapse and model_free walk). The largest model the backbones build, MMoE with 16
 * experts of 8 layers plus its output layer, has 129. dense_init refuses a layer past
 * the limit (layer_ctx.err, reported by model_init): never a silently shorter list. */
#define LAYER_MAX_DENSE 256

enum act { ACT_NONE, ACT_RELU, ACT_SIGMOID, ACT_TANH };

/* What a layer needs at construction: where parameters go and the model's shape. */
struct layer_ctx {
    struct param_store *ps;
    int   n_fields, emb_dim;
    int64_t n_ids;          /* rows of the shared embedding table */
    float emb_init;         /* std of the N(0, s^2) embedding initialisation */
    const struct apg_cfg *apg;      /* NULL or variant "none": every layer static */
    const struct dataset *data;     /* field names, for group / mix-wise conditions */
    struct dense **dense;           /* NULL, or room for LAYER_MAX_DENSE: every dense layer
                                       built, in order (model-owned) */
    int   n_dense;
    char  err[512];                 /* the first APG configuration error, if any */
};

/* What forward sees: the graph, the batch and its shared embeddings. Layers get it so
 * that a generated layer can read its condition (a field's embedding, or its input). */
struct fwd_ctx {
    struct graph        *g;
    const struct batch  *batch;
    struct tensor       *emb;     /* (B, F, E) lookup of the shared embedding table */
};

/* dense(in = M, out = N, act): the one layer factory.
 * Static:   y (B,N) = act(x (B,M) W^T + b), W (N,M) Glorot uniform, b (N) zeros.
 * Adaptive: y = act(W_i x + b) with W_i given by the configured APG form (reparam/)
 *           from parameters generated per instance by the configured condition
 *           (conditions/); b stays shared. */
struct dense {
    int in, out;
    enum act act;
    char name[64];
    struct tensor *w, *b;               /* w NULL when adaptive */
    struct reparam_layer rl;            /* adaptive: the form and its shared factors */
    const struct condition_ops *cond;   /* adaptive: the condition strategy */
    void *cond_state;                   /* its private state (freed by dense_free) */
};
/* adaptive = 1: route through APG when c->apg enables it (MLP hidden layers);
 * 0: always static (output layers, generators). An invalid APG configuration, or a
 * layer past LAYER_MAX_DENSE in c->dense, is recorded in c->err (the layer stays
 * static) and reported by model_init. */
void dense_init(struct dense *l, struct layer_ctx *c, const char *name, int in, int out,
                enum act act, int adaptive);
void dense_free(struct dense *l);
struct tensor *dense_forward(const struct dense *l, struct fwd_ctx *f, struct tensor *x);

/* A tower of dense layers with ReLU: in -> hidden[0] -> ... -> hidden[n-1]. */
#define MLP_MAX_LAYERS 8
struct mlp {
    int n;
    struct dense layer[MLP_MAX_LAYERS];
};
void mlp_init(struct mlp *m, struct layer_ctx *c, const char *name, int in, const int *hidden, int n);
struct tensor *mlp_forward(const struct mlp *m, struct fwd_ctx *f, struct tensor *x);
static inline int mlp_out(const struct mlp *m, int in) { return m->n ? m->layer[m->n - 1].out : in; }

/* Lookup of the batch's ids in a table (V, E) declared with embed_table(): (B, F, E).
 * Gathers when the batch has plain ids, mean-pools bags when it has lists. */
struct tensor *embed_table(struct layer_ctx *c, const char *name, int dim, float init_std);
struct tensor *embed_lookup(struct graph *g, struct tensor *table, const struct batch *b);

struct tensor *apply_act(struct graph *g, struct tensor *x, enum act act);

/* An interacting layer (AutoInt, DIFM): x (B,F,D) -> ReLU(multi-head self-attention of x
 * + x W_res^T) (B,F,H*d); W_Q, W_K, W_V, W_res (H*d, D), W_res NULL for none. The
 * projections are one GEMM of x with the stacked weights, the rest one mhsa op. */
struct tensor *attn_layer(struct graph *g, struct tensor *x, struct tensor *wq, struct tensor *wk,
                          struct tensor *wv, struct tensor *wres, int heads, int d, float scale);

#endif
