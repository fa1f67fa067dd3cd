/* Row-sharded embedding tables over MPI ranks (experiments/emb_shard.h). */
#include "emb_shard.h"
#include "arena.h"
#include "dist.h"
#include "train.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int es_init(struct emb_shard *es, struct model *m, char *err, size_t errlen)
{
    memset(es, 0, sizeof *es);
    es->rank = m->emb_shard;
    es->size = m->emb_shards;
    es->E = m->emb->shape[1];
    es->m = m;
    size_t n = (size_t)es->size;
    es->scnt = calloc(8 * n, sizeof(int));
    if (!es->scnt) {
        snprintf(err, errlen, "out of memory (embedding shard buffers)");
        return -1;
    }
    es->sdsp = es->scnt + n;
    es->rcnt = es->scnt + 2 * n;
    es->rdsp = es->scnt + 3 * n;
    es->bs = es->scnt + 4 * n;
    es->bd = es->scnt + 5 * n;
    es->br = es->scnt + 6 * n;
    es->bq = es->scnt + 7 * n;
    return 0;
}

void es_free(struct emb_shard *es)
{
    free(es->fetched.grad);
    free(es->fsp.rows);
    free(es->fsp.mark);
    free(es->uniq);
    free(es->ids);
    free(es->bag);
    free(es->scnt);
    free(es->in_ids);
    free(es->out_rows);
    free(es->in_rows);
    memset(es, 0, sizeof *es);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* A global id's sort key: owner first, then the id. */
static int64_t key_of(const struct emb_shard *es, int32_t id) { return (int64_t)(id % es->size) << 32 | id; }

/* Index of id in uniq (present: every id of the batch is). */
static int32_t find(const struct emb_shard *es, const int64_t *keys, int32_t id)
{
    int64_t k = key_of(es, id);
    int lo = 0, hi = es->n_uniq - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (keys[mid] < k) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Counts in ids of the exchange into bytes (x width) and their offsets. */
static void to_bytes(const int *cnt, int *bytes, int *displ, int n, int width)
{
    int off = 0;
    for (int r = 0; r < n; r++) {
        bytes[r] = cnt[r] * width;
        displ[r] = off;
        off += bytes[r];
    }
}

struct tensor *es_fetch(struct emb_shard *es, const struct batch *b, struct batch *out, char *err, size_t errlen)
{
    *out = *b;
    int N = es->size, E = es->E;
    int n_ref = b->n == 0 ? 0 : b->ids ? b->n * b->n_fields : b->offs[b->n * b->n_fields];
    const int32_t *ref = b->ids ? b->ids : b->bag_ids;
    /* 1. the rows read, unique, grouped by owner */
    int64_t *keys = malloc(sizeof *keys * (size_t)(n_ref ? n_ref : 1));
    if (!keys) goto oom;
    for (int i = 0; i < n_ref; i++) keys[i] = key_of(es, ref[i]);
    qsort(keys, (size_t)n_ref, sizeof *keys, cmp_i64);
    int u = 0;
    for (int i = 0; i < n_ref; i++)
        if (i == 0 || keys[i] != keys[i - 1]) keys[u++] = keys[i];
    if (buf_grow((void **)&es->uniq, &es->uniq_cap, (size_t)u + 1, sizeof *es->uniq)) goto oom;
    es->n_uniq = u;
    memset(es->scnt, 0, sizeof(int) * (size_t)N);
    for (int j = 0; j < u; j++) {
        es->uniq[j] = (int32_t)(keys[j] & 0xffffffff);
        es->scnt[keys[j] >> 32]++;
    }
    /* 2. ids to their owners, rows back */
    if (dist_alltoall_int(es->scnt, es->rcnt)) goto mpi;
    int n_in = 0;
    for (int r = 0; r < N; r++) n_in += es->rcnt[r];
    if (buf_grow((void **)&es->in_ids, &es->in_cap, (size_t)n_in + 1, sizeof *es->in_ids) ||
        buf_grow((void **)&es->out_rows, &es->out_cap, ((size_t)n_in + 1) * (size_t)E, sizeof *es->out_rows))
        goto oom;
    to_bytes(es->scnt, es->bs, es->bd, N, 4);
    to_bytes(es->rcnt, es->br, es->bq, N, 4);
    if (dist_alltoallv(es->uniq, es->bs, es->bd, es->in_ids, es->br, es->bq)) goto mpi;
    const struct tensor *local = es->m->emb;
    int local_rows = local->shape[0];
    for (int j = 0; j < n_in; j++) {
        int32_t id = es->in_ids[j];
        if (id < 0 || id % N != es->rank || id / N >= local_rows) {
            snprintf(err, errlen, "embedding shard %d of %d: asked for row %d, which it does not hold", es->rank, N, id);
            free(keys);
            return NULL;
        }
        memcpy(es->out_rows + (size_t)j * E, local->data + (size_t)(id / N) * E, sizeof(float) * (size_t)E);
    }
    if (buf_grow((void **)&es->in_rows, &es->inrows_cap, ((size_t)u + 1) * (size_t)E, sizeof *es->in_rows)) goto oom;
    to_bytes(es->rcnt, es->br, es->bq, N, 4 * E);
    to_bytes(es->scnt, es->bs, es->bd, N, 4 * E);
    if (dist_alltoallv(es->out_rows, es->br, es->bq, es->in_rows, es->bs, es->bd)) goto mpi;
    es->bytes += 4.0 * u + 4.0 * E * n_in;
    /* the fetched rows as a table: row j = uniq[j] */
    if ((size_t)u + 1 > es->fcap) {
        size_t cap = es->fcap ? es->fcap : 1024;
        while (cap < (size_t)u + 1) cap *= 2;
        float *gr = realloc(es->fetched.grad, sizeof(float) * cap * (size_t)E);
        int32_t *rw = realloc(es->fsp.rows, sizeof(int32_t) * cap);
        uint8_t *mk = realloc(es->fsp.mark, cap);
        if (gr) es->fetched.grad = gr;
        if (rw) es->fsp.rows = rw;
        if (mk) es->fsp.mark = mk;
        if (!gr || !rw || !mk) goto oom;
        memset(es->fsp.mark, 0, cap);
        es->fcap = cap;
    }
    struct tensor *t = &es->fetched;
    t->data = es->in_rows;
    t->ndim = 2;
    t->shape[0] = u;
    t->shape[1] = E;
    t->size = u * E;
    t->flags = T_PARAM | T_NEEDS_GRAD | T_SPARSE;
    t->lr_scale = 1.0f;
    t->name = "emb (fetched rows)";
    t->sparse = &es->fsp;
    memset(t->grad, 0, sizeof(float) * (size_t)u * (size_t)E);
    /* the batch's ids renumbered into it */
    if (n_ref) {
        int32_t **dst = b->ids ? &es->ids : &es->bag;
        size_t *cap = b->ids ? &es->ids_cap : &es->bag_cap;
        if (buf_grow((void **)dst, cap, (size_t)n_ref, sizeof **dst)) goto oom;
        for (int i = 0; i < n_ref; i++) (*dst)[i] = find(es, keys, ref[i]);
        if (b->ids) out->ids = es->ids;
        else out->bag_ids = es->bag;
    }
    free(keys);
    es->steps++;
    return t;
oom:
    free(keys);
    snprintf(err, errlen, "embedding shard %d: out of memory", es->rank);
    return NULL;
mpi:
    free(keys);
    snprintf(err, errlen, "embedding shard %d: an MPI exchange failed", es->rank);
    return NULL;
}

int es_push_grads(struct emb_shard *es, char *err, size_t errlen)
{
    int N = es->size, E = es->E, n_in = 0;
    for (int r = 0; r < N; r++) n_in += es->rcnt[r];
    /* the gradient rows go back the way the rows came; out_rows holds them now */
    to_bytes(es->scnt, es->bs, es->bd, N, 4 * E);
    to_bytes(es->rcnt, es->br, es->bq, N, 4 * E);
    if (dist_alltoallv(es->fetched.grad, es->bs, es->bd, es->out_rows, es->br, es->bq)) {
        snprintf(err, errlen, "embedding shard %d: an MPI exchange failed", es->rank);
        return -1;
    }
    es->bytes += 4.0 * E * es->n_uniq;
    /* added in rank order (in_ids is laid out by asking rank), then each rank's order */
    struct tensor *local = es->m->emb;
    struct sparse_rows *sr = local->sparse;
    for (int j = 0; j < n_in; j++) {
        int32_t row = es->in_ids[j] / N;
        float *restrict g = local->grad + (size_t)row * E;
        const float *restrict h = es->out_rows + (size_t)j * E;
        for (int e = 0; e < E; e++) g[e] += h[e];
        if (!sr->mark[row]) {
            sr->mark[row] = 1;
            sr->rows[sr->n++] = row;
        }
    }
    for (int j = 0; j < es->fsp.n; j++) es->fsp.mark[es->fsp.rows[j]] = 0;
    es->fsp.n = 0;
    return 0;
}

int es_predict(struct emb_shard *es, struct graph *g, const struct dataset *d, const int32_t *rows, int n,
               int batch, float *scores, char *err, size_t errlen)
{
    int rec = g->record, rc = 0;
    g->record = 0;
    for (int i = 0; i < n && rc == 0; i += batch) {
        int bn = n - i < batch ? n - i : batch;
        struct batch b = { 0 }, bb;
        graph_reset(g);
        if (es->rank == 0) {
            void *mem = arena_alloc(&g->arena, batch_bytes(d, rows + i, bn));
            batch_build(&b, d, es->m->base, rows + i, bn, mem);
        }
        struct tensor *table = es_fetch(es, &b, &bb, err, errlen);
        if (!table) {
            rc = -1;
            break;
        }
        if (es->rank != 0) continue;
        logits_to_scores(model_forward_table(es->m, g, &b, &bb, table)->data, bn, scores + i);
    }
    graph_reset(g);
    g->record = rec;
    return rc;
}
