/* Data-parallel training over MPI ranks (experiments/train_dist.h). */
#include "train_dist.h"
#include "arena.h"
#include "dist.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dtrain_init(struct dist_train *dt, const struct param_store *ps, const struct tensor *sharded, char *err,
                size_t errlen)
{
    memset(dt, 0, sizeof *dt);
    dt->sharded = sharded;
    dt->rank = dist_rank();
    dt->size = dist_size();
    for (int i = 0; i < ps->n; i++)
        if (!ps->list[i]->sparse) dt->n_dense += (size_t)ps->list[i]->size;
    dt->dense = malloc(sizeof *dt->dense * (dt->n_dense + 1));
    dt->lens = malloc(sizeof *dt->lens * (size_t)dt->size);
    if (!dt->dense || !dt->lens) {
        dtrain_free(dt);
        snprintf(err, errlen, "out of memory (data-parallel buffers)");
        return -1;
    }
    return 0;
}

void dtrain_free(struct dist_train *dt)
{
    free(dt->dense);
    free(dt->mine);
    free(dt->all);
    free(dt->lens);
    memset(dt, 0, sizeof *dt);
}

void dtrain_part(const struct dist_train *dt, int n, int *i0, int *i1)
{
    *i0 = (int)((int64_t)n * dt->rank / dt->size);
    *i1 = (int)((int64_t)n * (dt->rank + 1) / dt->size);
}

/* This rank's sparse message: per sparse table in declaration order, int32 n, int32
 * rows[n], float grad[n x cols]; the local rows are zeroed and unmarked as they go. */
static int pack_sparse(struct dist_train *dt, struct param_store *ps, size_t *len)
{
    size_t need = 0;
    for (int i = 0; i < ps->n; i++) {
        const struct tensor *t = ps->list[i];
        if (t->sparse && t != dt->sharded) need += 4 + (size_t)t->sparse->n * 4 * (1 + (size_t)tensor_cols(t));
    }
    if (buf_grow((void **)&dt->mine, &dt->mine_cap, need ? need : 1, 1)) return -1;
    char *p = dt->mine;
    for (int i = 0; i < ps->n; i++) {
        struct tensor *t = ps->list[i];
        struct sparse_rows *sr = t->sparse;
        if (!sr || t == dt->sharded) continue;
        int32_t n = sr->n;
        size_t cols = (size_t)tensor_cols(t);
        memcpy(p, &n, 4);
        memcpy(p + 4, sr->rows, 4 * (size_t)n);
        p += 4 + 4 * (size_t)n;
        for (int j = 0; j < n; j++) {
            float *g = t->grad + (size_t)sr->rows[j] * cols;
            memcpy(p, g, sizeof(float) * cols);
            memset(g, 0, sizeof(float) * cols);
            sr->mark[sr->rows[j]] = 0;
            p += sizeof(float) * cols;
        }
        sr->n = 0;
    }
    *len = need;
    return 0;
}

/* Adds one rank's sparse message msg[0..len) into ps's gradients, marking its rows. */
static int add_sparse(const struct dist_train *dt, struct param_store *ps, const char *msg, size_t len, int from,
                      char *err, size_t errlen)
{
    const char *p = msg, *end = msg + len;
    for (int i = 0; i < ps->n; i++) {
        struct tensor *t = ps->list[i];
        struct sparse_rows *sr = t->sparse;
        if (!sr || t == dt->sharded) continue;
        int32_t n;
        size_t cols = (size_t)tensor_cols(t);
        int rows_max = tensor_rows(t);
        if (end - p < 4) goto bad;
        memcpy(&n, p, 4);
        if (n < 0 || n > rows_max || (size_t)(end - p - 4) < (size_t)n * 4 * (1 + cols)) goto bad;
        const char *ids = p + 4, *vals = p + 4 + 4 * (size_t)n;
        for (int j = 0; j < n; j++) {
            int32_t row;
            memcpy(&row, ids + 4 * (size_t)j, 4);
            if (row < 0 || row >= rows_max) goto bad;
            float *restrict g = t->grad + (size_t)row * cols;
            const char *h = vals + (size_t)j * cols * sizeof(float);
            for (size_t e = 0; e < cols; e++) {
                float v;
                memcpy(&v, h + e * sizeof(float), sizeof v);
                g[e] += v;
            }
            if (!sr->mark[row]) {
                sr->mark[row] = 1;
                sr->rows[sr->n++] = row;
            }
        }
        p = vals + (size_t)n * cols * sizeof(float);
    }
    if (p == end) return 0;
bad:
    snprintf(err, errlen, "data-parallel step: rank %d's embedding rows are malformed (%zu bytes)", from, len);
    return -1;
}

int dtrain_reduce(struct dist_train *dt, struct param_store *ps, double *loss, char *err, size_t errlen)
{
    if (dt->size == 1) return 0;
    /* dense: one allreduce of every dense gradient and the loss */
    size_t o = 0;
    for (int i = 0; i < ps->n; i++) {
        const struct tensor *t = ps->list[i];
        if (t->sparse) continue;
        memcpy(dt->dense + o, t->grad, sizeof(float) * (size_t)t->size);
        o += (size_t)t->size;
    }
    dt->dense[o] = (float)*loss;
    if (dist_allreduce_sum_f(dt->dense, dt->n_dense + 1)) goto mpi;
    o = 0;
    for (int i = 0; i < ps->n; i++) {
        struct tensor *t = ps->list[i];
        if (t->sparse) continue;
        memcpy(t->grad, dt->dense + o, sizeof(float) * (size_t)t->size);
        o += (size_t)t->size;
    }
    *loss = dt->dense[o];
    /* sparse: every rank's rows to every rank, added in rank order (the sharded table's
     * went to their owners) */
    size_t len, total = 0;
    if (pack_sparse(dt, ps, &len)) goto oom;
    if (dist_allgather_lens(len, dt->lens)) goto mpi;
    for (int r = 0; r < dt->size; r++) total += dt->lens[r];
    if (buf_grow((void **)&dt->all, &dt->all_cap, total ? total : 1, 1)) goto oom;
    if (dist_allgatherv(dt->mine, len, dt->all, dt->lens)) goto mpi;
    size_t off = 0;
    for (int r = 0; r < dt->size; r++) {
        if (add_sparse(dt, ps, dt->all + off, dt->lens[r], r, err, errlen)) return -1;
        off += dt->lens[r];
    }
    dt->sparse_sent += (double)len;
    dt->steps++;
    return 0;
mpi:
    snprintf(err, errlen, "data-parallel step: an MPI exchange failed on rank %d", dt->rank);
    return -1;
oom:
    snprintf(err, errlen, "data-parallel step: out of memory on rank %d", dt->rank);
    return -1;
}

static uint64_t fnv1a(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

int dtrain_check(struct dist_train *dt, const struct param_store *ps, int epoch, char *err, size_t errlen)
{
    if (dt->size == 1) return 0;
    uint64_t *all = malloc(sizeof *all * (size_t)dt->size);
    if (!all) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    uint64_t h = 1469598103934665603ull;
    if (!dt->sharded) h = fnv1a(ps->data, sizeof(float) * ps->n_floats);
    else                                 /* each rank holds its own rows of the table */
        for (int i = 0; i < ps->n; i++)
            if (ps->list[i] != dt->sharded)
                h ^= fnv1a(ps->list[i]->data, sizeof(float) * (size_t)ps->list[i]->size) + (uint64_t)i;
    int rc = dist_allgather(&h, sizeof h, all);
    if (rc) snprintf(err, errlen, "comparing the parameters across ranks: an MPI exchange failed");
    for (int r = 1; r < dt->size && rc == 0; r++)
        if (all[r] != all[0]) {
            snprintf(err, errlen, "after epoch %d the parameters of rank %d (checksum %016llx) differ from rank 0's "
                     "(%016llx): the ranks' models drifted apart, so the run is stopped", epoch, r,
                     (unsigned long long)all[r], (unsigned long long)all[0]);
            rc = -1;
        }
    free(all);
    return rc;
}

int dtrain_check_data(const char sha[65], char *err, size_t errlen)
{
    int size = dist_size();
    if (size == 1) return 0;
    char *all = malloc(65 * (size_t)size);
    int rc = -1;
    if (all) {
        rc = dist_allgather(sha, 65, all);
        if (rc) snprintf(err, errlen, "comparing the datasets across ranks: an MPI exchange failed");
        for (int r = 1; r < size && rc == 0; r++)
            if (memcmp(all + 65 * (size_t)r, all, 64) != 0) {
                snprintf(err, errlen, "rank %d loaded a dataset and split with checksum %.16s..., rank 0 %.16s...: "
                         "the ranks read different data (files, --rows or seeds differ between them)", r,
                         all + 65 * (size_t)r, all);
                rc = -1;
            }
    } else {
        snprintf(err, errlen, "out of memory");
    }
    free(all);
    return rc;
}

double dtrain_bcast(double v)
{
    dist_bcast(&v, sizeof v, 0);
    return v;
}

double dtrain_traffic(const struct dist_train *dt, double *dense, double *sparse)
{
    *dense = (double)(dt->n_dense + 1) * sizeof(float);
    *sparse = dt->steps ? dt->sparse_sent / dt->steps : 0;
    return 2.0 * (dt->size - 1) / dt->size * *dense + (dt->size - 1) * *sparse;
}
