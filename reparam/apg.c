#include "apg.h"

void apg_cfg_default(struct apg_cfg *c)
{
    c->variant = "none";
    c->condition = "self";     /* the paper's default strategy */
    c->K = 8;
    c->P = 32;
    c->gen_layers = 1;         /* the paper's default G: a single layer */
    c->gen_hidden = 64;
    c->init = "scaled";
    c->gen_scale = 0.1f;
    c->chain_lr = 0.0f;
    c->gen_lr = 1.0f;
}
