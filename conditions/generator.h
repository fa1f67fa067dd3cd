/* The parameter generator G of APG (paper eq. 3, 5, 7): an MLP from a condition z_i
 * (B, D) to generated parameters (B, gen). gen_layers = 1 (the paper's default) is one
 * linear map; more layers add ReLU hidden layers of width gen_hidden. The output is
 * linear. Under the scaled initialisation the output bias starts at the form's centre
 * (gen_center: identity for S_i, a Glorot draw for generated W_i) and the output
 * weight at gen_scale times a Glorot draw, so G(z) starts as a learned static part plus
 * a small instance-dependent perturbation. */
#ifndef APG_GENERATOR_H
#define APG_GENERATOR_H
#include "condition.h"

#define GEN_MAX_LAYERS 4

struct generator {
    int n;                                     /* linear maps */
    struct tensor *w[GEN_MAX_LAYERS], *b[GEN_MAX_LAYERS];
    const struct reparam_layer *rl;            /* for the output bias centre */
};

/* gen_layers in 1..GEN_MAX_LAYERS, gen_hidden >= 1 when used, init scaled | plain:
 * 0, or -1 with err saying what is valid. Conditions call it before generator_init. */
int  generator_check(const struct apg_cfg *a, char *err, size_t errlen);
/* Declares G: D -> gen under a->c->apg; prefix names its parameters ("<layer>.G"):
 * "<prefix>.<l>.w" (out, in) and "<prefix>.<l>.b" (out) for layer l. */
void generator_init(struct generator *G, const struct cond_args *a, const char *prefix, int D);
/* As generator_init, but under the scaled init the output bias starts as a copy of
 * centre's (declared earlier), so that k generators share one centre exactly and any
 * convex combination of their outputs starts on it (mix-out). */
void generator_init_like(struct generator *G, const struct cond_args *a, const char *prefix, int D,
                         const struct generator *centre);
struct tensor *generator_forward(const struct generator *G, struct graph *g, struct tensor *z);

#endif
