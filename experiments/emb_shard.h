/* Embedding tables row-sharded over the ranks of a data-parallel run (`apg train --dist
 * --shard-embeddings`): global row g lives on rank g mod N, at local row g / N, with its
 * Adam moments, so each rank holds 1/N of the table. Each step a rank
 *   1. collects the rows its part of the minibatch reads (unique, grouped by owner),
 *   2. asks their owners for them and answers the others' requests (MPI_Alltoallv of ids,
 *      then of rows) into a small table of fetched rows, (U, E), that the batch's ids are
 *      renumbered into and the model looks up instead of its own table,
 *   3. after the backward pass sends each fetched row's gradient to its owner
 *      (MPI_Alltoallv), which adds what every rank sent in rank order into its rows and
 *      marks them for the lazy Adam step.
 * A row's gradient is summed in rank order as in the unsharded data-parallel exchange,
 * so the sharded run's values equal the unsharded one's. Evaluation: rank 0 predicts
 * batch by batch, the other ranks answer its requests. */
#ifndef APG_EMB_SHARD_H
#define APG_EMB_SHARD_H
#include "data.h"
#include "graph.h"
#include "model.h"

struct emb_shard {
    int rank, size, E;
    struct model *m;                  /* m->emb: this rank's shard */
    struct tensor fetched;            /* (U, E) rows a batch reads: a T_SPARSE leaf outside the store */
    struct sparse_rows fsp;
    size_t fcap;                      /* rows of fetched's buffers */
    int32_t *uniq;                    /* U global ids, grouped by owner, ascending within */
    int n_uniq;
    size_t uniq_cap;
    int32_t *ids, *bag;               /* the batch's ids renumbered into fetched */
    size_t ids_cap, bag_cap;
    int *scnt, *sdsp, *rcnt, *rdsp;   /* per rank: ids asked of it / asked by it, offsets */
    int *bs, *bd, *br, *bq;           /* the same in bytes, for the exchanges */
    int32_t *in_ids;                  /* the ids the other ranks asked this rank for */
    float *out_rows, *in_rows;        /* rows sent to the askers / received */
    size_t in_cap, out_cap, inrows_cap;
    double bytes;                     /* bytes this rank sent, over the steps */
    long steps;
};

/* For m (built by model_init_sharded with this rank and size). 0, or -1 with err. */
int  es_init(struct emb_shard *es, struct model *m, char *err, size_t errlen);
void es_free(struct emb_shard *es);
/* Step 2 for batch b (n may be 0: this rank only answers): fetches the rows it reads and
 * renumbers a copy of its ids; *out is b with those ids. Returns the table to look up
 * (the fetched rows, gradient zeroed), NULL with err on an MPI failure. */
struct tensor *es_fetch(struct emb_shard *es, const struct batch *b, struct batch *out, char *err, size_t errlen);
/* Step 3: the fetched rows' gradients to their owners. 0, or -1 with err. */
int  es_push_grads(struct emb_shard *es, char *err, size_t errlen);
/* model_predict for a sharded model, every rank calling it with the same n and batch:
 * rank 0 scores rows[0..n) into scores, the others answer. 0, or -1 with err. */
int  es_predict(struct emb_shard *es, struct graph *g, const struct dataset *d, const int32_t *rows, int n,
                int batch, float *scores, char *err, size_t errlen);

#endif
