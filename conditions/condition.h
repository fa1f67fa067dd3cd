/* APG condition strategies (paper section 3.1, Appendix C): one static table
 * (conditions/conditions.def). A condition owns the generator(s) G of one adaptive
 * layer and maps the instance's condition z_i to its generated parameters (B, gen).
 *
 *   self          z_i = x_i, the layer's own input (D = M)                 (3.1.3)
 *   group:F       z_i = e_F, the embedding of field F (user, item, ...)    (3.1.1)
 *   mix-in:A:F,.. z_i = A(e_F1, e_F2, ..), then one G                     (3.1.2, input aggregation)
 *   mix-out:A:F,.. gen_i = A(G_1(e_F1), G_2(e_F2), ..)                    (3.1.2, output aggregation)
 *                  (v4: W_i x = A(W_i1 x, W_i2 x, ..), W_ij = the form of G_j(e_Fj))
 * with A in mean | concat | attention (output: concat = concat then a learned projection;
 * attention: alpha_ij = softmax_j(w^T v_ij + c_j) over the k conditions, sum_j alpha_ij v_ij,
 * v = the embeddings (mix-in) or the generated parameters (mix-out); see mix.c). */
#ifndef APG_CONDITION_H
#define APG_CONDITION_H
#include <stddef.h>
#include "layers.h"
#include "reparam.h"

#define COND_MAX_FIELDS 16         /* fields of one mix-in / mix-out condition */

/* What a condition needs to build its generator(s). */
struct cond_args {
    struct layer_ctx *c;           /* parameter store, dataset fields, emb_dim, apg cfg */
    const char *name;              /* the layer's name, e.g. "wdl.deep.0" */
    int M;                         /* the layer's input width */
    int gen;                       /* floats generated per instance */
    const struct reparam_layer *rl;/* its weight form (gen_center gives G's initial bias) */
};

struct condition_ops {
    const char *name;              /* self, group, mix-in, mix-out */
    const char *syntax;            /* e.g. "group:FIELD" */
    const char *help;
    size_t state_size;
    /* spec: the text after "name:" (NULL when none). 0, or -1 with err listing what is
     * valid (fields of the dataset, aggregations). */
    int (*init)(void *state, const char *spec, const struct cond_args *a, char *err, size_t errlen);
    /* x: the layer input (B, M) -> generated parameters (B, gen). NULL where apply is
     * set and the condition has no single gen_i (mix-out under a gen_product form). */
    struct tensor *(*generate)(void *state, struct fwd_ctx *f, struct tensor *x);
    /* Optional (NULL: rl->form->forward(x, generate(x))): x (B, M) -> W_i x (B, N)
     * without the bias, for a condition that may mix layer outputs instead of
     * generated parameters (mix-out). dense_forward calls it when set. */
    struct tensor *(*apply)(void *state, struct fwd_ctx *f, const struct reparam_layer *rl,
                            struct tensor *x);
    /* Optional: when gen_i = x_i W^T + b, one linear map of the layer's own input (self-
     * wise, gen-layers 1), its W (gen, M) in *w and b (gen) in *b, and 1; else 0. The
     * layer then computes gen and the form's V x in one GEMM (reparam_dff_self). */
    int (*linear_of_x)(const void *state, struct tensor **w, struct tensor **b);
};

#define X(name, sym) extern const struct condition_ops condition_##sym;
#include "conditions.def"
#undef X

/* Looks up the strategy of a condition string ("group:user_id" -> group) and returns
 * the spec part in *spec. NULL when unknown. */
const struct condition_ops *condition_find(const char *cond, const char **spec);
int  condition_count(void);
const struct condition_ops *condition_at(int i);

/* The embedding (B, E) of field index fi, sliced from f->emb (B, F, E). */
struct tensor *condition_field_embedding(struct fwd_ctx *f, int fi);
/* Parses "F1,F2,.." into field indices of c->data (at most max, each once); 0 or -1
 * with err listing the dataset's fields. */
int condition_fields(const struct layer_ctx *c, const char *list, int *idx, int max, int *n,
                     char *err, size_t errlen);
/* Writes "prefix" then the dataset's field names "a, b, c" and ")" into buf. */
void condition_list_fields(const struct dataset *d, const char *prefix, char *buf, size_t len);

#endif
