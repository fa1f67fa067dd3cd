/* Micro-batch data parallelism (train_mb.h). */
#include "train_mb.h"
#include "ops.h"
#include "threads.h"
#include <stdio.h>
#include <string.h>

int mb_init(struct mb *mb, int m, const char *backbone, const struct model_cfg *cfg, const struct dataset *d,
            const struct model *master, char *err, size_t errlen)
{
    memset(mb, 0, sizeof *mb);
    if (m < 1 || m > MB_MAX) {
        snprintf(err, errlen, "--micro-batches %d: expected 1..%d", m, MB_MAX);
        return -1;
    }
    for (int k = 0; k < m; k++) {
        struct rng rng;
        rng_seed(&rng, 1);                         /* the values are the master's */
        if (model_init(&mb->rep[k], backbone, cfg, d, &rng, err, errlen)) {
            mb->n = k + 1;
            mb_free(mb);
            return -1;
        }
        mb->n = k + 1;
        if (params_share(&mb->rep[k].ps, &master->ps)) {
            snprintf(err, errlen, "micro-batch replica %d: parameter table differs from the model's", k);
            mb_free(mb);
            return -1;
        }
        mb->ps[k] = &mb->rep[k].ps;
        graph_init(&mb->g[k], (size_t)16 << 20);
    }
    return 0;
}

void mb_free(struct mb *mb)
{
    for (int k = 0; k < mb->n; k++) {
        model_free(&mb->rep[k]);
        if (mb->ps[k]) graph_free(&mb->g[k]);
    }
    memset(mb, 0, sizeof *mb);
}

/* Part k: rows [n k / M, n (k+1) / M) of the minibatch, forward and backward on replica k. */
static void mb_part(void *ctx, int k)
{
    struct mb *mb = ctx;
    int n = mb->rows_n, i0 = (int)((int64_t)n * k / mb->n), i1 = (int)((int64_t)n * (k + 1) / mb->n);
    mb->loss[k] = 0;
    if (i1 == i0) return;
    struct graph *g = &mb->g[k];
    graph_reset(g);
    struct batch b;
    void *mem = arena_alloc(&g->arena, batch_bytes(mb->d, mb->rows + i0, i1 - i0));
    batch_build(&b, mb->d, mb->base, mb->rows + i0, i1 - i0, mem);
    struct tensor *loss = t_bce(g, model_forward(&mb->rep[k], g, &b), b.label);
    struct tensor *scaled = t_scale(g, loss, (float)(i1 - i0) / (float)n);
    graph_backward(g, scaled);
    mb->loss[k] = scaled->data[0];
}

double mb_step(struct mb *mb, const struct model *master, const struct dataset *d, const int32_t *rows, int n)
{
    mb->d = d;
    mb->base = master->base;
    mb->rows = rows;
    mb->rows_n = n;
    apg_parallel(mb->n, mb_part, mb);
    double loss = 0;
    for (int k = 0; k < mb->n; k++) loss += mb->loss[k];
    return loss;
}
