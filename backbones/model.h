/* A CTR model: the shared embedding table of every field, a backbone, and the
 * parameter store that owns every weight. */
#ifndef APG_MODEL_H
#define APG_MODEL_H
#include "backbone.h"

struct model {
    const struct backbone_ops *bb;
    void            *state;       /* the backbone's private struct */
    struct model_cfg cfg;
    struct param_store ps;
    struct tensor   *emb;         /* (n_ids, E) row-sparse */
    int              n_fields;
    int64_t         *base;        /* global id base per field */
    int64_t          n_ids;
    struct dense    *dense[LAYER_MAX_DENSE];   /* every dense layer, in build order */
    int              n_dense;
    /* Embedding rows sharded over MPI ranks (apg train --shard-embeddings): emb holds the
     * global rows g with g % emb_shards == emb_shard, row g at g / emb_shards; 1 shard:
     * every row. */
    int              emb_shard, emb_shards;
};

/* Declares and initialises every parameter from rng. 0, or -1 with err. */
int  model_init(struct model *m, const char *backbone, const struct model_cfg *cfg,
                const struct dataset *d, struct rng *rng, char *err, size_t errlen);
/* The same with only shard `shard` of `shards` of the embedding rows (see emb_shard):
 * every value, the table's rows and every other parameter, equals model_init's. */
int  model_init_sharded(struct model *m, const char *backbone, const struct model_cfg *cfg,
                        const struct dataset *d, struct rng *rng, int shard, int shards, char *err, size_t errlen);
void model_free(struct model *m);
/* logits (B, 1) */
struct tensor *model_forward(struct model *m, struct graph *g, const struct batch *b);
/* The same, the embedding looked up in table by lookup's ids instead of in m->emb by b's
 * (the rows a batch reads, fetched from the ranks that hold them, and b's ids
 * renumbered into them); every other use of the batch reads b. */
struct tensor *model_forward_table(struct model *m, struct graph *g, const struct batch *b, const struct batch *lookup,
                                   struct tensor *table);
void model_cfg_default(struct model_cfg *c);

#endif
