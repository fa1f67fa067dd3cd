/* APG configuration: which weight form (reparam/) every adaptive dense layer uses, the
 * condition strategy that feeds its generator (conditions/), and their sizes. */
#ifndef APG_APG_H
#define APG_APG_H

struct apg_cfg {
    const char *variant;     /* "none" (the base model) or a reparam form name: v1 .. v8 */
    const char *condition;   /* self | group:FIELD | mix-in:AGG:F1,F2,.. | mix-out:AGG:F1,F2,.. */
    int   K;                 /* rank of the generated S_i (K x K) */
    int   P;                 /* inner size of the over-parameterised factors (v6 - v8) */
    int   gen_layers;        /* layers of the generator MLP G (1 = one linear map, the paper's) */
    int   gen_hidden;        /* hidden width of G when gen_layers > 1 */
    const char *init;        /* "scaled" (variance-preserving factors, generated parameters
                                centred on a learned static part) or "plain" (uniform factors,
                                a default-initialised G) */
    float gen_scale;         /* multiplier of G's output-layer weight initialisation */
    float gen_lr;            /* step multiplier of the generator G's parameters (1 = the
                                learning rate of the rest) */
    float chain_lr;          /* step multiplier of the factors of v6-v8's chains; 0 = auto:
                                1/sqrt(P) under the scaled init, 1 under plain */
};

void apg_cfg_default(struct apg_cfg *c);
static inline int apg_enabled(const struct apg_cfg *c)
{
    return c && c->variant && !(c->variant[0] == 'n' && c->variant[1] == 'o');
}

#endif
