/* APG weight forms (paper sections 3.2-3.3, Table 5, 6, 11): one static table
 * (reparam/forms.def). A form turns a layer input x (B, M) and the instance's generated
 * parameters gen (B, G) into W_i x (B, N), composed from core ops (no hand-written
 * backward). The layer's static bias b stays shared and is added by dense(). */
#ifndef APG_REPARAM_H
#define APG_REPARAM_H
#include <stddef.h>
#include "apg.h"
#include "graph.h"
#include "params.h"

#define REPARAM_MAX_FACTORS 8

struct reparam_dims { int N, M, K, P; };

/* One layer's shared factors, in the order the form declares them. */
struct reparam_layer {
    const struct reparam_form *form;
    struct reparam_dims dims;
    struct tensor *f[REPARAM_MAX_FACTORS];
    int n_f;
};

struct reparam_form {
    const char *name;         /* v1 .. v8 */
    const char *formula;      /* e.g. "U(S_i(V x))" */
    const char *generated;    /* what G produces per instance, e.g. "S_i (K x K)" */
    /* Floats generated per instance. */
    int  (*gen_size)(const struct reparam_dims *d);
    /* Shared floats declared by init (excluding the bias): the "added shared
     * parameters" column of Table 2. */
    long (*shared_size)(const struct reparam_dims *d);
    /* Declares the shared factors (names "<name>.U", ...). scaled: variance-preserving
     * initialisation, so the layer starts with the scale of a Glorot-initialised W. */
    void (*init)(struct reparam_layer *l, struct param_store *ps, const char *name, int scaled);
    /* Initial value of G's output bias, i.e. the learned static part the generated
     * parameters are centred on (scaled init): S blocks = I, W blocks = Glorot. */
    void (*gen_center)(const struct reparam_dims *d, float *bias, struct rng *rng);
    /* x (B, M), gen (B, gen_size) -> W_i x (B, N), without bias. */
    struct tensor *(*forward)(const struct reparam_layer *l, struct graph *g, struct tensor *x,
                              struct tensor *gen);
    /* Optional, when the condition generates one gen_i: act(W_i x + b) as one product
     * chain whose last GEMM also adds the shared bias b (N) and applies the ReLU
     * (relu = 1) or none (relu = 0), instead of forward then dense()'s add and act. */
    struct tensor *(*forward_bias)(const struct reparam_layer *l, struct graph *g, struct tensor *x,
                                   struct tensor *gen, struct tensor *b, int relu);
    /* Optional, the full forms (v1, v5), when the condition's G is one linear map of x
     * (gen = x G^T + b: a self-wise G): W_i x from G and b, without gen as a tensor
     * (t_genmv: the (B, N*M) gradient of gen is never stored). */
    struct tensor *(*forward_gen)(const struct reparam_layer *l, struct graph *g, struct tensor *x,
                                  struct tensor *gw, struct tensor *gb);
    /* Optional, the decomposed forms (v3, v6 - v8): this step's shared U (N,K) and V
     * (K,M) (v6 - v8: their chains multiplied out), so that a caller can run V x in one
     * GEMM with another product of x (a self-wise G: reparam_dff_self). */
    void (*uv)(const struct reparam_layer *l, struct graph *g, struct tensor **u, struct tensor **v);
    /* Inference-time collapse (v6 - v8): the form whose factors it folds into, and the
     * fold itself (to's factors written from from's). NULL when the form is final. */
    const char *collapse_to;
    void (*collapse)(const struct reparam_layer *from, struct reparam_layer *to);
    /* 1 when W_i multiplies several generated factors (v4: U_i S_i V_i), so W_i is not
     * linear in gen and the W_i of a mixture of gens is not the mixture of the W_i:
     * mix-out then mixes the per-condition layer outputs (conditions/mix.c). */
    int gen_product;
};

#define X(name) extern const struct reparam_form reparam_##name;
#include "forms.def"
#undef X

const struct reparam_form *reparam_find(const char *name);
int  reparam_count(void);
const struct reparam_form *reparam_at(int i);
const char *reparam_names(void);
/* Step multiplier for the shared factors of form f: for an over-parameterised chain
 * (v6-v8) a->chain_lr, or when that is 0, 1/sqrt(P) under the scaled init (see
 * reparam/forms_overparam.c), 1 under plain; 1 for every other form. */
float reparam_factor_lr(const struct reparam_form *f, const struct reparam_dims *d,
                        const struct apg_cfg *a);
/* Checks K >= 1 where the form uses K and P >= 1 where it uses P (K may exceed
 * min(N, M) and P may be below K, as in the paper's sweeps); 0 or -1 with err. */
int  reparam_check(const struct reparam_form *f, const struct reparam_dims *d, char *err, size_t errlen);

#endif
