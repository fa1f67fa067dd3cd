/* Data-parallel training over the ranks of an MPI job (`mpirun -np N ./apg train
 * --dist`). Every rank holds the whole model and the same shuffled order; of each global
 * minibatch of B rows (--batch, the paper's 1024) rank r takes rows [B r / N, B (r+1) / N)
 * and its loss is its mean BCE times n_r / B, as part r of `--micro-batches N`. After
 * the backward pass the gradients are summed over the ranks: dense tensors by one
 * MPI_Allreduce of every dense gradient (and the step's loss) packed together; embedding
 * tables as sparse rows, each rank's touched row ids and gradient rows gathered to every
 * rank (MPI_Allgatherv) and added in rank order, each rank's rows in their first-touch
 * order. Every rank then runs the same Adam step on the same sums, so the parameters
 * stay identical; dtrain_check compares a checksum of them across the ranks every epoch.
 * At N = 2 the sums are those of `--micro-batches 2` (a + b = b + a): the same result
 * bit for bit. Rank 0 evaluates (validation AUC is sent to every rank for early
 * stopping), reports and saves. */
#ifndef APG_TRAIN_DIST_H
#define APG_TRAIN_DIST_H
#include "params.h"
#include <stddef.h>
#include <stdint.h>

struct dist_train {
    int rank, size;
    const struct tensor *sharded;     /* the row-sharded table, or NULL */
    float *dense;                     /* every dense gradient, then the loss */
    size_t n_dense;
    char *mine, *all;                 /* sparse rows: this rank's message, everyone's */
    size_t mine_cap, all_cap;
    size_t *lens;                     /* [size] bytes of each rank's sparse message */
    double sparse_sent, steps;        /* this rank's sparse message bytes, summed over the steps */
};

/* For the store ps (allocated). sharded: NULL, or its row-sharded embedding table
 * (emb_shard.h), whose gradient rows go to their owners instead: dtrain_reduce leaves it
 * out and dtrain_check compares every other parameter. 0, or -1 with err (OOM). */
int  dtrain_init(struct dist_train *dt, const struct param_store *ps, const struct tensor *sharded, char *err,
                 size_t errlen);
void dtrain_free(struct dist_train *dt);
/* This rank's rows [*i0, *i1) of a global minibatch of n rows. */
void dtrain_part(const struct dist_train *dt, int n, int *i0, int *i1);
/* Sums every rank's gradients of ps (and *loss, this rank's scaled loss) into every
 * rank's. 0, or -1 with err (an MPI failure, a malformed message). */
int  dtrain_reduce(struct dist_train *dt, struct param_store *ps, double *loss, char *err, size_t errlen);
/* 0 when every rank's parameters equal rank 0's (a 64-bit FNV-1a checksum of their
 * bytes); else -1 with err naming the ranks, the checksums and the epoch. */
int  dtrain_check(struct dist_train *dt, const struct param_store *ps, int epoch, char *err, size_t errlen);
/* 0 when every rank loaded the dataset and split whose checksum is sha (SHA-256 hex,
 * data_checksum); else -1 with err naming the first rank that differs. */
int  dtrain_check_data(const char sha[65], char *err, size_t errlen);
/* Rank 0's v on every rank. */
double dtrain_bcast(double v);
/* What one rank exchanges per step: *dense the allreduce's buffer (bytes), *sparse its
 * own embedding rows message (bytes, mean over the steps). By the model of the two
 * exchanges it sends 2 (N-1) / N x dense (ring allreduce) + (N-1) x sparse bytes,
 * which is returned. */
double dtrain_traffic(const struct dist_train *dt, double *dense, double *sparse);

#endif
