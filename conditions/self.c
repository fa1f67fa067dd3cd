/* Self-wise condition (paper 3.1.3): the layer's own input is the condition,
 *   z_i = x_i (D = M),   gen_i = G(x_i). */
#include "generator.h"
#include <stdio.h>

struct cond_self { struct generator G; };

static int self_init(void *state, const char *spec, const struct cond_args *a, char *err, size_t errlen)
{
    struct cond_self *s = state;
    if (spec) {
        snprintf(err, errlen, "self takes no argument (got 'self:%s')", spec);
        return -1;
    }
    if (generator_check(a->c->apg, err, errlen)) return -1;
    char nm[96];
    snprintf(nm, sizeof nm, "%s.G", a->name);
    generator_init(&s->G, a, nm, a->M);
    return 0;
}

static struct tensor *self_generate(void *state, struct fwd_ctx *f, struct tensor *x)
{
    const struct cond_self *s = state;
    return generator_forward(&s->G, f->g, x);
}

static int self_linear(const void *state, struct tensor **w, struct tensor **b)
{
    const struct cond_self *s = state;
    if (s->G.n != 1 || !s->G.b[0]) return 0;
    *w = s->G.w[0];
    *b = s->G.b[0];
    return 1;
}

const struct condition_ops condition_self = {
    .name = "self",
    .syntax = "self",
    .help = "z = the layer's own input x (the paper's default)",
    .state_size = sizeof(struct cond_self),
    .init = self_init,
    .generate = self_generate,
    .linear_of_x = self_linear,
};
