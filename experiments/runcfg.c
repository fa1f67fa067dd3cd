/* Resolving spec cells into runs: dataset columns to real files or stand-ins, cell
 * options over the runner's defaults, the canonical configuration and the run key. */
#include "runcfg.h"
#include "sha256.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int file_exists(const char *dir, const char *sub, const char *name)
{
    char p[1024];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s/%s", dir, sub, name);
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

void run_data_resolve(struct run_data *rd, enum spec_data which, const char *data_dir, const char *cache_dir,
                      int64_t stand_in_rows, uint64_t data_seed)
{
    memset(rd, 0, sizeof *rd);
    rd->which = which;
    data_opts_default(&rd->o);
    rd->o.data_dir = data_dir;
    rd->o.cache_dir = cache_dir;
    rd->o.data_seed = data_seed;
    static const struct { const char *spec, *sub, *file, *like, *real_name; } real[SPEC_N_DATA] = {
        [SPEC_MOVIELENS] = { "ml1m", "ml-1m", "ratings.dat", "ml1m", "MovieLens-1M" },
        [SPEC_AMAZON]    = { "amazon", "amazon", "ratings_Electronics.csv", "amazon", "Amazon Electronics" },
        [SPEC_IAAC]      = { "iaac", "iaac", "round1_ijcai_18_train_20180301.txt", "iaac", "IJCAI-18 (IAAC)" },
    };
    const char *name = spec_data_name(which);
    if (spec_data_control(which)) {     /* synthetic by design: no note, no fallback */
        rd->o.dataset = "synthetic";
        rd->o.like = spec_data_control(which);
        rd->o.rows = stand_in_rows;
        snprintf(rd->kind, sizeof rd->kind, "synthetic");
        return;
    }
    if (file_exists(data_dir, real[which].sub, real[which].file)) {
        rd->o.dataset = real[which].spec;
        snprintf(rd->kind, sizeof rd->kind, "real");
        return;
    }
    if (which == SPEC_MOVIELENS && file_exists(data_dir, "ml-100k", "u.data")) {
        rd->o.dataset = "ml100k";
        snprintf(rd->kind, sizeof rd->kind, "real-substitute");
        snprintf(rd->note, sizeof rd->note, "MovieLens: %s/ml-1m/ratings.dat not found: the real MovieLens-100K "
                 "(%s/ml-100k) stands in for MovieLens-1M", data_dir, data_dir);
        return;
    }
    rd->o.dataset = "synthetic";
    rd->o.like = real[which].like;
    rd->o.rows = stand_in_rows;
    snprintf(rd->kind, sizeof rd->kind, "synthetic-fallback");
    snprintf(rd->note, sizeof rd->note, "%s: %s/%s/%s not found: SYNTHETIC %s-like data (%lld rows) stands in "
             "for %s (scripts/fetch-data.sh fetches the real set)", name, data_dir, real[which].sub,
             real[which].file, real[which].like, (long long)stand_in_rows, real[which].real_name);
}

static void hash_i64(struct sha256_ctx *c, int64_t v) { sha256_update(c, &v, sizeof v); }

static void hex(char out[65], const uint8_t d[32])
{
    for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* {C}: a field named like a context, else the category field, else the first field
 * that is neither the user nor the item. */
static int context_field(const struct dataset *d)
{
    for (int f = 0; f < d->n_fields; f++)
        if (strstr(d->fields[f].name, "context")) return f;
    if (d->category_field >= 0) return d->category_field;
    for (int f = 0; f < d->n_fields; f++)
        if (f != d->user_field && f != d->item_field) return f;
    return -1;
}

void data_checksum(char out[65], const struct dataset *d, const struct split *s)
{
    struct sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, d->name, strlen(d->name) + 1);
    hash_i64(&c, d->n_rows);
    hash_i64(&c, d->n_fields);
    for (int f = 0; f < d->n_fields; f++) {
        const struct field *fl = &d->fields[f];
        sha256_update(&c, fl->name, strlen(fl->name) + 1);
        hash_i64(&c, fl->card);
        hash_i64(&c, fl->multi);
        if (fl->multi) {
            sha256_update(&c, fl->offs, sizeof *fl->offs * ((size_t)d->n_rows + 1));
            sha256_update(&c, fl->mids, sizeof *fl->mids * (size_t)fl->offs[d->n_rows]);
        } else {
            sha256_update(&c, fl->ids, sizeof *fl->ids * (size_t)d->n_rows);
        }
    }
    sha256_update(&c, d->label, sizeof *d->label * (size_t)d->n_rows);
    hash_i64(&c, s->n_train);
    sha256_update(&c, s->train, sizeof *s->train * (size_t)s->n_train);
    hash_i64(&c, s->n_val);
    sha256_update(&c, s->val, sizeof *s->val * (size_t)s->n_val);
    hash_i64(&c, s->n_test);
    sha256_update(&c, s->test, sizeof *s->test * (size_t)s->n_test);
    uint8_t dg[32];
    sha256_final(&c, dg);
    hex(out, dg);
}

int run_data_load(struct run_data *rd, char *err, size_t errlen)
{
    char why[512];
    if (dataset_load(&rd->d, &rd->o, why, sizeof why)) {
        snprintf(err, errlen, "%s: %s", spec_data_name(rd->which), why);
        return -1;
    }
    if (dataset_split(&rd->s, &rd->d, &rd->o, why, sizeof why)) {
        snprintf(err, errlen, "%s: %s", spec_data_name(rd->which), why);
        dataset_free(&rd->d);
        return -1;
    }
    rd->loaded = 1;
    const struct dataset *d = &rd->d;
    data_checksum(rd->checksum, d, &rd->s);
    uint8_t dg[32];
    const struct split *s = &rd->s;
    sha256(s->test, sizeof *s->test * (size_t)s->n_test, dg);
    hex(rd->test_hash, dg);

    int fu = d->user_field, fi = d->item_field, fc = context_field(d);
    snprintf(rd->fields[0], DATA_NAME_LEN, "%s", fu >= 0 ? d->fields[fu].name : "");
    snprintf(rd->fields[1], DATA_NAME_LEN, "%s", fi >= 0 ? d->fields[fi].name : "");
    snprintf(rd->fields[2], DATA_NAME_LEN, "%s", fc >= 0 ? d->fields[fc].name : "");
    return 0;
}

void run_data_free(struct run_data *rd)
{
    if (!rd->loaded) return;
    split_free(&rd->s);
    dataset_free(&rd->d);
    rd->loaded = 0;
}

/* Cell args with {U} {I} {C} replaced, plus the grid point, into one malloc'd string. */
static char *expand_args(const struct spec_cell *cell, const struct run_data *rd, int K, int P, char *err,
                         size_t errlen)
{
    size_t cap = strlen(cell->args) + 3 * DATA_NAME_LEN * 4 + 64, n = 0;
    char *out = malloc(cap);
    if (!out) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (const char *p = cell->args; *p; p++) {
        static const char *const ph[3] = { "{U}", "{I}", "{C}" };
        int hit = -1;
        for (int i = 0; i < 3; i++)
            if (strncmp(p, ph[i], 3) == 0) hit = i;
        if (hit >= 0) {
            if (!rd->fields[hit][0]) {
                snprintf(err, errlen, "dataset %s has no %s field for %s", rd->d.name,
                         hit == 0 ? "user" : hit == 1 ? "item" : "context", ph[hit]);
                free(out);
                return NULL;
            }
            size_t l = strlen(rd->fields[hit]);
            if (n + l + 64 > cap) break;
            memcpy(out + n, rd->fields[hit], l);
            n += l;
            p += 2;
        } else if (n + 64 < cap) {
            out[n++] = *p;
        }
    }
    out[n] = 0;
    if (K > 0) n += (size_t)snprintf(out + n, cap - n, " --K %d", K);
    if (P > 0) snprintf(out + n, cap - n, " --P %d", P);
    return out;
}

int run_cfg_build(struct run_cfg *rc, const struct spec_table *spec, const struct spec_cell *cell,
                  struct run_data *rd, const struct run_defaults *def, int seed, int K, int P,
                  char *err, size_t errlen)
{
    memset(rc, 0, sizeof *rc);
    rc->spec = spec;
    rc->cell = cell;
    rc->data = rd;
    rc->seed = seed;
    rc->argbuf = expand_args(cell, rd, K, P, err, errlen);
    if (!rc->argbuf) return -1;
    char *argv[64];
    int argc = 0;
    for (char *tok = strtok(rc->argbuf, " "); tok && argc < 64; tok = strtok(NULL, " ")) argv[argc++] = tok;
    char why[512];
    model_opts_default(&rc->mo);
    struct opt_group g[MODEL_OPT_GROUPS];
    int n_pos, help;
    if (model_opts_prescan(&rc->mo, argc, argv, why, sizeof why)) goto bad;
    int ng = model_opts_groups(&rc->mo, g);
    if (cli_parse(g, ng, argc, argv, NULL, 0, &n_pos, &help, why, sizeof why) || model_opts_finish(&rc->mo, why, sizeof why) ||
        model_opts_check_effect(&rc->mo, argc, argv, why, sizeof why))
        goto bad;
    train_cfg_default(&rc->t);
    rc->t.backbone = rc->mo.backbone;
    rc->t.model = rc->mo.m;
    rc->t.epochs = def->max_epochs;
    rc->t.patience = def->patience;
    rc->t.batch = def->batch;
    rc->t.lr = def->lr;
    rc->t.l2 = def->l2;
    rc->t.seed = (uint64_t)seed;
    rc->K = rc->mo.m.apg.K;
    rc->P = rc->mo.m.apg.P;
    rc->config_json = run_config_json(&rc->mo, &rc->t, &rd->o);
    if (!rc->config_json) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    run_key(rc->key, rc->config_json, rd->d.name, rd->d.n_rows, rd->checksum);
    return 0;
bad:
    snprintf(err, errlen, "%s %s / %s: options '%s': %s", spec->name, cell->row, cell->col, cell->args, why);
    free(rc->argbuf);
    rc->argbuf = NULL;
    return -1;
}

void run_cfg_free(struct run_cfg *rc)
{
    free(rc->argbuf);
    free(rc->config_json);
    rc->argbuf = rc->config_json = NULL;
}

/* The training options that define a run (threads is execution, not identity). */
#define TO(f) offsetof(struct train_cfg, f)
static const struct opt train_key_opts[] = {
    { "epochs", OPT_INT, TO(epochs), "E", "", 0, 0 },
    { "patience", OPT_INT, TO(patience), "N", "", 0, 0 },
    { "batch", OPT_INT, TO(batch), "B", "", 0, 0 },
    { "lr", OPT_FLOAT, TO(lr), "LR", "", 0, 0 },
    { "l2", OPT_FLOAT, TO(l2), "C", "", 0, 0 },
    { "seed", OPT_U64, TO(seed), "S", "", 0, 0 },
    { "micro-batches", OPT_INT, TO(micro), "M", "", 0, 0 },
    { NULL, 0, 0, NULL, NULL, 0, 0 },
};
#undef TO

/* Data options that say where files are, not what they hold (the dataset checksum
 * covers the content). */
static int excluded(const char *name)
{
    static const char *const ex[] = { "data", "cache-dir", "no-cache", "threads", "json", "save" };
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++)
        if (strcmp(name, ex[i]) == 0) return 1;
    return 0;
}

/* Options added after results were first stored: they enter the key only when set away
 * from their default, so the runs stored before them keep their keys. */
static int late(const char *name)
{
    static const char *const added[] = { "train-file", "val-file", "test-file", "val-frac", "time-col",
                                         "hash-buckets", "user-field", "gen-lr", "numeric", "numeric-transform",
                                         "numeric-missing", "micro-batches" };
    for (size_t i = 0; i < sizeof added / sizeof added[0]; i++)
        if (strcmp(name, added[i]) == 0) return 1;
    return 0;
}

struct kv { const char *k; char v[320]; };

static int kv_cmp(const void *a, const void *b) { return strcmp(((const struct kv *)a)->k, ((const struct kv *)b)->k); }

/* A JSON string literal of s into out. */
static void json_str(char *out, size_t n, const char *s)
{
    size_t j = 0;
    if (n < 3) return;
    out[j++] = '"';
    for (; s && *s && j + 8 < n; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') { out[j++] = '\\'; out[j++] = (char)ch; }
        else if (ch < 0x20) j += (size_t)snprintf(out + j, n - j, "\\u%04x", ch);
        else out[j++] = (char)ch;
    }
    out[j++] = '"';
    out[j] = 0;
}

static void opt_value_json(const struct opt *o, const void *target, char *v, size_t n)
{
    const char *p = (const char *)target + o->offset;
    switch (o->type) {
    case OPT_INT: snprintf(v, n, "%d", *(const int *)p); break;
    case OPT_I64: snprintf(v, n, "%lld", (long long)*(const int64_t *)p); break;
    case OPT_U64: snprintf(v, n, "%llu", (unsigned long long)*(const uint64_t *)p); break;
    case OPT_FLOAT: snprintf(v, n, "%.9g", (double)*(const float *)p); break;
    case OPT_DOUBLE: snprintf(v, n, "%.17g", *(const double *)p); break;
    case OPT_FLAG: snprintf(v, n, "%s", *(const int *)p ? "true" : "false"); break;
    case OPT_STR: {
        const char *s = *(const char *const *)p;
        if (s) json_str(v, n, s);
        else snprintf(v, n, "null");
        break;
    }
    }
}

char *run_config_json(struct model_opts *mo, const struct train_cfg *t, const struct data_opts *o)
{
    struct opt_group g[MODEL_OPT_GROUPS + 2];
    int ng = model_opts_groups(mo, g);
    g[ng++] = (struct opt_group){ "training", train_key_opts, (void *)t };
    g[ng++] = (struct opt_group){ "data", data_opt_table, (void *)o };
    int n = 0;
    for (int i = 0; i < ng; i++)
        for (const struct opt *p = g[i].opts; p->name; p++) n++;
    struct kv *kv = malloc(sizeof *kv * (size_t)n);
    if (!kv) return NULL;
    struct data_opts dflt;
    data_opts_default(&dflt);
    struct model_opts mdflt;
    model_opts_default(&mdflt);
    struct train_cfg tdflt;
    train_cfg_default(&tdflt);
    int m = 0;
    for (int i = 0; i < ng; i++)
        for (const struct opt *p = g[i].opts; p->name; p++) {
            if (excluded(p->name)) continue;
            kv[m].k = p->name;
            opt_value_json(p, g[i].target, kv[m].v, sizeof kv[m].v);
            if (late(p->name) &&
                (g[i].opts == data_opt_table || g[i].opts == apg_opt_table || g[i].opts == train_key_opts)) {
                const void *dv = g[i].opts == data_opt_table  ? (const void *)&dflt
                                 : g[i].opts == apg_opt_table ? (const void *)&mdflt
                                                              : (const void *)&tdflt;
                char d[320];
                opt_value_json(p, dv, d, sizeof d);
                if (strcmp(d, kv[m].v) == 0) continue;
            }
            m++;
        }
    qsort(kv, (size_t)m, sizeof *kv, kv_cmp);
    size_t cap = 2;
    for (int i = 0; i < m; i++) cap += strlen(kv[i].k) + strlen(kv[i].v) + 4;
    char *out = malloc(cap + 1), *w = out;
    if (out) {
        *w++ = '{';
        for (int i = 0; i < m; i++)
            w += sprintf(w, "%s\"%s\":%s", i ? "," : "", kv[i].k, kv[i].v);
        *w++ = '}';
        *w = 0;
    }
    free(kv);
    return out;
}

void run_key(char out[65], const char *config_json, const char *dataset, int64_t rows, const char *checksum)
{
    struct sha256_ctx c;
    char buf[64];
    sha256_init(&c);
    sha256_update(&c, config_json, strlen(config_json));
    sha256_update(&c, "\n", 1);
    sha256_update(&c, dataset, strlen(dataset));
    snprintf(buf, sizeof buf, "\n%lld\n", (long long)rows);
    sha256_update(&c, buf, strlen(buf));
    sha256_update(&c, checksum, strlen(checksum));
    uint8_t d[32];
    sha256_final(&c, d);
    hex(out, d);
}
