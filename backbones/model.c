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

/* The sharded table's INIT_FN: draws the whole table's normals in embed_table's order
 * (row-major, std emb_init) and keeps this shard's rows, so every value and the rng's
 * state after it equal the unsharded table's. */
static void shard_init(struct tensor *t, struct rng *rng, const void *ctx)
{
    const struct model *m = ctx;
    int E = t->shape[1];
    float std = m->cfg.emb_init;
    for (int64_t g = 0; g < m->n_ids; g++) {
        float *row = g % m->emb_shards == m->emb_shard ? t->data + (size_t)(g / m->emb_shards) * (size_t)E : NULL;
        for (int e = 0; e < E; e++) {
            float v = std * (float)rng_normal(rng);
            if (row) row[e] = v;
        }
    }
}

int model_init(struct model *m, const char *backbone, const struct model_cfg *cfg,
               const struct dataset *d, struct rng *rng, char *err, size_t errlen)
{
    return model_init_sharded(m, backbone, cfg, d, rng, 0, 1, err, errlen);
}

int model_init_sharded(struct model *m, const char *backbone, const struct model_cfg *cfg,
                       const struct dataset *d, struct rng *rng, int shard, int shards, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->emb_shard = shard;
    m->emb_shards = shards > 1 ? shards : 1;
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
    if (m->emb_shards > 1)
        m->emb = param_new_fn_sparse(&m->ps, "emb", 2, (int[]){ (int)((m->n_ids - m->emb_shard + m->emb_shards - 1) /
                                                                       m->emb_shards), cfg->emb_dim },
                                     shard_init, m);
    else
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

struct tensor *model_forward_table(struct model *m, struct graph *g, const struct batch *b, const struct batch *lookup,
                                   struct tensor *table)
{
    struct fwd_ctx f = { .g = g, .batch = b, .emb = embed_lookup(g, table, lookup) };
    return m->bb->forward(m->state, &f);
}

struct tensor *model_forward(struct model *m, struct graph *g, const struct batch *b)
{
    return model_forward_table(m, g, b, b, m->emb);
}
