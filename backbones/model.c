#include "model.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void model_cfg_default(struct model_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->emb_dim = 16;
    c->n_hidden = 3;
    c->hidden[0] = 256;
    c->hidden[1] = 128;
    c->hidden[2] = 64;
    c->emb_init = 0.01f;
    apg_cfg_default(&c->apg);
}

int model_init(struct model *m, const char *backbone, const struct model_cfg *cfg,
               const struct dataset *d, struct rng *rng, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->bb = backbone_find(backbone);
    if (!m->bb) {
        snprintf(err, errlen, "unknown backbone '%s' (valid: %s)", backbone, backbone_names());
        return -1;
    }
    m->cfg = *cfg;
    m->n_fields = d->n_fields;
    m->base = malloc(sizeof *m->base * (size_t)d->n_fields);
    m->state = calloc(1, m->bb->state_size);
    if (!m->base || !m->state) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    m->n_ids = data_field_bases(d, m->base);
    if (m->n_ids > INT32_MAX) {
        snprintf(err, errlen, "%lld ids exceed the int32 id space", (long long)m->n_ids);
        return -1;
    }
    params_init(&m->ps);
    struct layer_ctx c = {
        .ps = &m->ps, .n_fields = d->n_fields, .emb_dim = cfg->emb_dim,
        .n_ids = m->n_ids, .emb_init = cfg->emb_init,
        .apg = &m->cfg.apg, .data = d, .dense = m->dense,
    };
    m->emb = embed_table(&c, "emb", cfg->emb_dim, cfg->emb_init);
    int rc = m->bb->init(m->state, &m->cfg, &c, err, errlen);
    m->n_dense = c.n_dense;
    if (rc) return -1;
    if (c.err[0]) {
        snprintf(err, errlen, "%s", c.err);
        return -1;
    }
    params_alloc(&m->ps, rng);
    return 0;
}

void model_free(struct model *m)
{
    for (int i = 0; i < m->n_dense; i++) dense_free(m->dense[i]);
    params_free(&m->ps);
    free(m->state);
    free(m->base);
    memset(m, 0, sizeof *m);
}

struct tensor *model_forward(struct model *m, struct graph *g, const struct batch *b)
{
    struct fwd_ctx f = { .g = g, .batch = b, .emb = embed_lookup(g, m->emb, b) };
    return m->bb->forward(m->state, &f);
}
