/* Fuzz targets for the two binary formats: the dataset cache (cache_load) and the
 * checkpoint (ckpt_load, then scoring and collapsing what it rebuilt). Input: byte 0
 * holds flags, bit 0 = reseal (cache: the source header of the target's key and both
 * checksums recomputed, cache_reseal; checkpoint: the size field and the FNV-1a
 * checksum recomputed), so most inputs reach the checks of the contents, as a file
 * from elsewhere with a valid checksum does; the rest is the file. Cache bit 1 picks
 * the key: MovieLens-100K sources (multi-valued genres, times) or synthetic (probs). */
#include "fuzz.h"
#include "cache.h"
#include "checkpoint.h"
#include "graph.h"
#include "model_opts.h"
#include "threads.h"
#include "train.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESEAL 1u

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) fuzz_fail("cannot read a seed file back");
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    if (!b || fread(b + 1, 1, (size_t)len, f) != (size_t)len) fuzz_fail("cannot read a seed file back");
    fclose(f);
    *n = (size_t)len + 1;                      /* b[0] is left for the flags */
    return b;
}

/* ---- cache ------------------------------------------------------------------------ */

static const char ml_data[] = "1\t1\t4\t881250949\n2\t1\t3\t891717742\n1\t2\t5\t881250950\n2\t2\t1\t881251950\n";
static const char ml_user[] = "1|24|M|technician|85711\n2|53|F|other|94043\n";
static const char ml_item[] = "1|T (1995)|01-Jan-1995||u|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
                              "2|U (1996)|01-Jan-1996||u|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n";

struct cache_fixture { struct cache_key k; char paths[3][512]; struct data_opts o; };

/* The key of the target: ml100k over small valid sources in fuzz_dir(), or synthetic. */
static void cache_fixture(struct cache_fixture *f, int synthetic)
{
    memset(f, 0, sizeof *f);
    data_opts_default(&f->o);
    f->o.no_cache = 1;
    f->o.data_dir = fuzz_dir();
    if (synthetic) {
        f->o.dataset = "synthetic";
        f->o.rows = 60;
        f->k.spec = "synthetic";
        f->k.opts_hash = 0x5eed;
        return;
    }
    static const char *const rel[3] = { "ml-100k/u.data", "ml-100k/u.user", "ml-100k/u.item" };
    const char *const body[3] = { ml_data, ml_user, ml_item };
    f->o.dataset = "ml100k";
    f->k.spec = "ml100k";
    for (int i = 0; i < 3; i++) {
        fuzz_write(rel[i], body[i], strlen(body[i]));
        snprintf(f->paths[i], sizeof f->paths[i], "%s/%s", fuzz_dir(), rel[i]);
        f->k.paths[i] = f->paths[i];
    }
    f->k.n_paths = 3;
    f->k.opts_hash = cache_hash_common(CACHE_HASH_SEED, &f->k, &f->o);
}

static int one_cache(const uint8_t *data, size_t n)
{
    uint8_t flags = n ? data[0] : 0;
    struct cache_fixture f;
    cache_fixture(&f, flags & 2);
    unsigned char *b = malloc(n ? n : 1);
    if (!b) fuzz_fail("out of memory");
    size_t len = n ? n - 1 : 0;
    if (len) memcpy(b, data + 1, len);
    if (flags & RESEAL) cache_reseal(b, len, &f.k);
    fuzz_write("in.apgcache", b, len);
    free(b);
    char path[512], why[1024] = "";
    snprintf(path, sizeof path, "%s/in.apgcache", fuzz_dir());
    struct dataset d;
    int skipped = 0;
    int rc = cache_load(path, &d, &f.k, &skipped, why, sizeof why);
    if (rc == 1) fuzz_fail("cache_load found no file where one was written");
    int out = fuzz_outcome(rc, why, "cache_load");
    if (out == FUZZ_LOADED) {
        if (skipped < 0) fuzz_fail("cache accepted with a negative skipped-row count");
        fuzz_check_dataset(&d);
        dataset_free(&d);
    }
    return out;
}

static void seeds_cache(fuzz_emit_fn emit, void *ctx)
{
    for (int synthetic = 0; synthetic < 2; synthetic++) {
        struct cache_fixture f;
        cache_fixture(&f, synthetic);
        struct dataset d;
        char err[1024], path[512];
        if (dataset_load(&d, &f.o, err, sizeof err)) fuzz_fail(err);
        snprintf(path, sizeof path, "%s/seed.apgcache", fuzz_dir());
        if (cache_save(path, &d, &f.k, 0, err, sizeof err)) fuzz_fail(err);
        dataset_free(&d);
        size_t n;
        unsigned char *b = slurp(path, &n);
        for (int reseal = 0; reseal < 2; reseal++) {
            b[0] = (uint8_t)((synthetic ? 2 : 0) | reseal);
            char name[32];
            snprintf(name, sizeof name, "seed-%d", synthetic * 2 + reseal);
            emit(name, b, n, ctx);
        }
        free(b);
    }
}

const struct fuzz_target fuzz_target_cache = { "cache", "flags + a dataset cache file", one_cache, seeds_cache };

/* ---- checkpoint ------------------------------------------------------------------- */

/* Recomputes the size field (bytes 16..23) and the FNV-1a 64 checksum (the last 8). */
static void ckpt_reseal(unsigned char *b, size_t n)
{
    if (n < 32) return;
    for (int k = 0; k < 8; k++) b[16 + k] = (unsigned char)((uint64_t)n >> (8 * k));
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i + 8 < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    for (int k = 0; k < 8; k++) b[n - 8 + (size_t)k] = (unsigned char)(h >> (8 * k));
}

/* A 4-row dataset with the checkpoint's fields: row r holds id r mod card everywhere. */
static void rows_like(struct dataset *d, const struct dataset *shell)
{
    enum { N = 4 };
    dataset_init(d, "fuzz", N, shell->n_fields);
    d->user_field = shell->user_field;
    d->item_field = shell->item_field;
    d->category_field = shell->category_field;
    for (int f = 0; f < shell->n_fields; f++) {
        struct field *fl = &d->fields[f];
        memcpy(fl->name, shell->fields[f].name, DATA_NAME_LEN);
        fl->card = shell->fields[f].card;
        fl->multi = shell->fields[f].multi;
        int32_t *col = malloc(N * sizeof *col);
        if (!col) fuzz_fail("out of memory");
        for (int r = 0; r < N; r++) col[r] = r % fl->card;
        if (fl->multi) {
            fl->offs = malloc((N + 1) * sizeof *fl->offs);
            if (!fl->offs) fuzz_fail("out of memory");
            for (int r = 0; r <= N; r++) fl->offs[r] = r;
            fl->mids = col;
        } else {
            fl->ids = col;
        }
    }
    for (int r = 0; r < N; r++) d->label[r] = (float)(r & 1);
}

static int one_checkpoint(const uint8_t *data, size_t n)
{
    size_t len = n ? n - 1 : 0;
    unsigned char *b = malloc(len ? len : 1);
    if (!b) fuzz_fail("out of memory");
    if (len) memcpy(b, data + 1, len);
    if (n && (data[0] & RESEAL)) ckpt_reseal(b, len);
    fuzz_write("in.ckpt", b, len);
    free(b);
    char path[512], err[1024] = "";
    snprintf(path, sizeof path, "%s/in.ckpt", fuzz_dir());
    struct ckpt ck;
    int out = fuzz_outcome(ckpt_load(&ck, path, err, sizeof err), err, "ckpt_load");
    if (out == FUZZ_LOADED) {
        struct dataset d;
        rows_like(&d, &ck.shell);
        int32_t rows[4] = { 0, 1, 2, 3 };
        float scores[4];
        apg_set_threads(1);
        struct graph g;
        graph_init(&g, (size_t)4 << 20);
        model_predict(&ck.model, &g, &d, rows, 4, 3, scores);
        graph_free(&g);
        /* Finite parameters large enough to overflow give NaN scores, which apg predict
         * refuses (cmd_predict.c); anything else must be a probability. */
        for (int i = 0; i < 4; i++)
            if (isfinite(scores[i]) && !(scores[i] >= 0.0f && scores[i] <= 1.0f))
                fuzz_fail("a loaded checkpoint scored a finite non-probability");
        struct model to;
        struct model_opts to_mo;
        err[0] = '\0';
        if (ckpt_collapse(&to, &to_mo, &ck.model, &ck.mo, &ck.shell, NULL, err, sizeof err) >= 0) model_free(&to);
        else fuzz_outcome(-1, err, "ckpt_collapse");
        dataset_free(&d);
    }
    ckpt_free(&ck);
    return out;
}

/* Small models of several forms over a synthetic dataset, saved untrained. */
static void seeds_checkpoint(fuzz_emit_fn emit, void *ctx)
{
    static const struct { const char *backbone, *variant, *condition; } cfg[] = {
        { "wdl", "none", NULL }, { "wdl", "v6", "self" }, { "deepfm", "v3", "group" },
        { "autoint", "none", NULL }, { "dcn", "v2", "mix-in:mean" },
    };
    struct data_opts o;
    data_opts_default(&o);
    o.dataset = "synthetic";
    o.rows = 200;
    o.no_cache = 1;
    struct dataset d;
    char err[1024], cond[160], path[512];
    if (dataset_load(&d, &o, err, sizeof err)) fuzz_fail(err);
    snprintf(path, sizeof path, "%s/seed.ckpt", fuzz_dir());
    for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
        struct model_opts mo;
        model_opts_default(&mo);
        if (model_opts_backbone(&mo, cfg[i].backbone, err, sizeof err)) fuzz_fail(err);
        mo.hidden = "8";
        mo.m.apg.variant = cfg[i].variant;
        if (cfg[i].condition && strcmp(cfg[i].condition, "group") == 0)
            snprintf(cond, sizeof cond, "group:%s", d.fields[d.user_field].name);
        else if (cfg[i].condition && strncmp(cfg[i].condition, "mix-in", 6) == 0)
            snprintf(cond, sizeof cond, "%s:%s,%s", cfg[i].condition, d.fields[d.user_field].name,
                     d.fields[d.item_field].name);
        else
            snprintf(cond, sizeof cond, "%s", cfg[i].condition ? cfg[i].condition : "self");
        mo.m.apg.condition = cond;
        mo.m.apg.K = 2;
        mo.m.apg.P = 4;
        if (model_opts_finish(&mo, err, sizeof err)) fuzz_fail(err);
        struct model m;
        struct rng rng;
        rng_seed(&rng, 7 + i);
        if (model_init(&m, mo.backbone, &mo.m, &d, &rng, err, sizeof err)) fuzz_fail(err);
        struct ckpt_meta cm;
        if (ckpt_meta_init(&cm, &mo, &o, &d, NULL, err, sizeof err)) fuzz_fail(err);
        cm.batch = 64;
        cm.threads = 1;
        if (ckpt_save(path, &cm, &m, err, sizeof err)) fuzz_fail(err);
        ckpt_meta_free(&cm);
        model_free(&m);
        size_t n;
        unsigned char *b = slurp(path, &n);
        b[0] = RESEAL;
        char name[32];
        snprintf(name, sizeof name, "seed-%zu", i);
        emit(name, b, n, ctx);
        free(b);
    }
    dataset_free(&d);
}

const struct fuzz_target fuzz_target_checkpoint = { "checkpoint", "flags + a checkpoint file", one_checkpoint,
                                                    seeds_checkpoint };
