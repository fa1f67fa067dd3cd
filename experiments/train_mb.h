/* Micro-batch data parallelism inside one process (apg train --micro-batches M): each
 * minibatch is cut into M contiguous parts, part k runs forward and backward on replica
 * k of the model (its own graph and gradients, the master's parameter values), the
 * parts taken by the task pool's threads as they come free, and the gradients are
 * summed in part order into the master's Adam step (adam_step_sum). The
 * loss of part k is its mean BCE times n_k / n, so the sum is the minibatch's mean-loss
 * gradient. One thread per part instead of one parallel region per op: a slow or
 * descheduled thread just takes fewer parts. Results depend on M, never on --threads. */
#ifndef APG_TRAIN_MB_H
#define APG_TRAIN_MB_H
#include "graph.h"
#include "model.h"

#define MB_MAX 64

struct mb_part;
struct mb {
    int n;                                 /* M */
    struct model rep[MB_MAX];
    struct graph g[MB_MAX];
    struct param_store *ps[MB_MAX];        /* &rep[k].ps */
    double loss[MB_MAX];                   /* part k's scaled loss of the last step */
    /* the step in flight */
    const struct dataset *d;
    const int64_t *base;
    const int32_t *rows;
    int rows_n;
};

/* Builds M replicas of master (built by model_init(backbone, cfg, d)). 0, or -1 with err. */
int    mb_init(struct mb *mb, int m, const char *backbone, const struct model_cfg *cfg, const struct dataset *d,
               const struct model *master, char *err, size_t errlen);
/* The gradient of one minibatch rows[0..n) on master's values, as the M parts'
 * gradients in the replicas (mb->ps[k]; adam_step_sum(opt, &master->ps, mb->ps, mb->n)
 * sums and applies them); returns the minibatch's mean loss. */
double mb_step(struct mb *mb, const struct model *master, const struct dataset *d, const int32_t *rows, int n);
void   mb_free(struct mb *mb);

#endif
