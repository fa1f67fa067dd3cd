/* Group-wise condition (paper 3.1.1, Appendix A.1): one field's embedding is the
 * condition, so every instance of a group (user, item, category ..) gets the same
 * parameters:  z_i = e_{i,F} (D = E),  gen_i = G(e_{i,F}). A multi-valued field's
 * embedding is its mean-pooled bag (the model's lookup). */
#include "generator.h"
#include <stdio.h>

struct cond_group { int field; struct generator G; };

static int group_init(void *state, const char *spec, const struct cond_args *a, char *err, size_t errlen)
{
    struct cond_group *s = state;
    int idx[COND_MAX_FIELDS], n = 0;
    char why[200];
    if (!spec || !spec[0]) spec = "";
    if (condition_fields(a->c, spec, idx, COND_MAX_FIELDS, &n, why, sizeof why)) {
        snprintf(err, errlen, "group:FIELD: %s", why);
        return -1;
    }
    if (n != 1) {
        snprintf(err, errlen, "group takes one field (got %d; use mix-in or mix-out for several)", n);
        return -1;
    }
    if (generator_check(a->c->apg, err, errlen)) return -1;
    s->field = idx[0];
    char nm[96];
    snprintf(nm, sizeof nm, "%s.G", a->name);
    generator_init(&s->G, a, nm, a->c->emb_dim);
    return 0;
}

static struct tensor *group_generate(void *state, struct fwd_ctx *f, struct tensor *x)
{
    const struct cond_group *s = state;
    return generator_forward(&s->G, f->g, condition_field_embedding(f, s->field));
}

const struct condition_ops condition_group = {
    .name = "group",
    .syntax = "group:FIELD",
    .help = "z = the embedding of one field (user_id, item_id, a category ..)",
    .state_size = sizeof(struct cond_group),
    .init = group_init,
    .generate = group_generate,
};
