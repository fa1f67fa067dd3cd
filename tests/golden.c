#include "golden.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"
#include "ops.h"

void golden_free(struct golden *g)
{
    for (int i = 0; i < g->n_tensors; i++) free(g->t[i].v);
    memset(g, 0, sizeof *g);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) { free(s); s = NULL; }
    if (s) s[n] = '\0';
    fclose(f);
    return s;
}

int golden_load(struct golden *g, const char *path, char *err, size_t n)
{
    memset(g, 0, sizeof *g);
    char *text = read_all(path);
    if (!text) {
        snprintf(err, n, "%s: cannot read", path);
        return -1;
    }
    int line = 0, rc = 0;
    char *save = NULL;
    struct golden_tensor *cur = NULL;
    int filled = 0;
    for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        line++;
        if (l[0] == '#' || l[0] == '\0') continue;
        if (cur && filled < cur->size) {            /* values of the current tensor */
            char *p = l, *end;
            while (filled < cur->size) {
                float v = strtof(p, &end);
                if (end == p) break;
                cur->v[filled++] = v;
                p = end;
            }
            continue;
        }
        char key[16];
        if (sscanf(l, "%15s", key) != 1) continue;
        if (strcmp(key, "fields") == 0) {
            char *p = l + 6, *end;
            for (long v; (v = strtol(p, &end, 10)), end != p; p = end)
                if (g->n_fields < GOLDEN_MAX_FIELDS) g->card[g->n_fields++] = (int)v;
        } else if (strcmp(key, "config") == 0 && g->n_config < GOLDEN_MAX_CONFIG) {
            if (sscanf(l, "config %47s %63s", g->config_key[g->n_config], g->config_val[g->n_config]) == 2)
                g->n_config++;
        } else if (strcmp(key, "tensor") == 0 && g->n_tensors < GOLDEN_MAX_TENSORS) {
            cur = &g->t[g->n_tensors];
            int d[3] = { 1, 1, 1 };
            int k = sscanf(l, "tensor %95s %d %d %d %d", cur->name, &cur->ndim, &d[0], &d[1], &d[2]);
            if (k < 3 || cur->ndim < 1 || cur->ndim > 3 || k != 2 + cur->ndim) {
                snprintf(err, n, "%s:%d: bad tensor line", path, line);
                rc = -1;
                break;
            }
            cur->size = 1;
            for (int i = 0; i < cur->ndim; i++) { cur->shape[i] = d[i]; cur->size *= d[i]; }
            cur->v = malloc(sizeof(float) * (size_t)cur->size);
            filled = 0;
            g->n_tensors++;
        } else {
            snprintf(err, n, "%s:%d: unknown line '%.20s'", path, line, l);
            rc = -1;
            break;
        }
    }
    if (!rc && cur && filled < cur->size) {
        snprintf(err, n, "%s: tensor %s has %d of %d values", path, cur->name, filled, cur->size);
        rc = -1;
    }
    free(text);
    if (rc) golden_free(g);
    return rc;
}

const float *golden_tensor(const struct golden *g, const char *name, int *ndim, int shape[3])
{
    for (int i = 0; i < g->n_tensors; i++)
        if (strcmp(g->t[i].name, name) == 0) {
            if (ndim) *ndim = g->t[i].ndim;
            if (shape) memcpy(shape, g->t[i].shape, sizeof g->t[i].shape);
            return g->t[i].v;
        }
    return NULL;
}

const char *golden_config(const struct golden *g, const char *key)
{
    for (int i = 0; i < g->n_config; i++)
        if (strcmp(g->config_key[i], key) == 0) return g->config_val[i];
    return NULL;
}

/* max |a - b| / (|b| + floor) over n; the index in *worst. */
static double compare(const float *a, const float *b, int n, double rtol, int *worst)
{
    double amax = 0, bad = 0;
    for (int i = 0; i < n; i++) amax = fmax(amax, fabs((double)b[i]));
    *worst = 0;
    for (int i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]) / (fabs((double)b[i]) + rtol * amax + 1e-12);
        if (e > bad) { bad = e; *worst = i; }
    }
    return bad;
}

int golden_check_model(const char *backbone, const struct golden *g, struct model_cfg *cfg,
                       double rtol, char *err, size_t n)
{
    int shape[3], nd = 0;
    const float *ids = golden_tensor(g, "ids", &nd, shape);
    const float *labels = golden_tensor(g, "labels", NULL, NULL);
    const float *logits = golden_tensor(g, "logits", NULL, NULL);
    const float *loss = golden_tensor(g, "loss", NULL, NULL);
    if (!ids || nd != 2 || shape[1] != g->n_fields || !labels || !logits || !loss) {
        snprintf(err, n, "golden: needs ids (B, %d), labels, logits and loss", g->n_fields);
        return -1;
    }
    int B = shape[0], F = g->n_fields, rc = -1;
    struct dataset d;
    dataset_init(&d, "golden", B, F);
    for (int f = 0; f < F; f++) {
        snprintf(d.fields[f].name, sizeof d.fields[f].name, "f%d", f);
        d.fields[f].card = g->card[f];
        d.fields[f].ids = malloc(sizeof(int32_t) * (size_t)B);
        for (int r = 0; r < B; r++) d.fields[f].ids[r] = (int32_t)ids[r * F + f];
    }
    for (int r = 0; r < B; r++) d.label[r] = labels[r];
    struct model m;
    struct rng rng;
    rng_seed(&rng, 1);
    struct graph gr;
    graph_init(&gr, 1 << 20);
    if (model_init(&m, backbone, cfg, &d, &rng, err, n)) goto out_model;
    for (int i = 0; i < m.ps.n; i++) {
        struct tensor *t = m.ps.list[i];
        const float *v = golden_tensor(g, t->name, &nd, shape);
        int size = 1;
        for (int k = 0; v && k < nd; k++) size *= shape[k];
        if (!v || size != t->size) {
            snprintf(err, n, "golden: parameter %s (%d floats) %s", t->name, t->size,
                     v ? "has another size in the file" : "is missing from the file");
            goto out_model;
        }
        memcpy(t->data, v, sizeof(float) * (size_t)t->size);
    }
    int64_t base[GOLDEN_MAX_FIELDS];
    data_field_bases(&d, base);
    int32_t rows[1024];
    for (int r = 0; r < B && r < 1024; r++) rows[r] = r;
    void *mem = malloc(batch_bytes(&d, rows, B));
    struct batch b;
    batch_build(&b, &d, base, rows, B, mem);
    struct tensor *lg = model_forward(&m, &gr, &b);
    struct tensor *ls = t_bce(&gr, lg, b.label);
    params_zero_grad(&m.ps);
    graph_backward(&gr, ls);
    int w;
    double e = compare(lg->data, logits, B, rtol, &w);
    if (e > rtol) {
        snprintf(err, n, "golden: logit %d: %.7g vs %.7g", w, lg->data[w], logits[w]);
        goto out_batch;
    }
    if (compare(ls->data, loss, 1, rtol, &w) > rtol) {
        snprintf(err, n, "golden: loss %.7g vs %.7g", ls->data[0], loss[0]);
        goto out_batch;
    }
    for (int i = 0; i < m.ps.n; i++) {
        struct tensor *t = m.ps.list[i];
        char nm[120];
        snprintf(nm, sizeof nm, "grad:%s", t->name);
        const float *gv = golden_tensor(g, nm, NULL, NULL);
        if (!gv) {
            snprintf(err, n, "golden: %s is missing from the file", nm);
            goto out_batch;
        }
        if (compare(t->grad, gv, t->size, rtol, &w) > rtol) {
            snprintf(err, n, "golden: %s[%d]: %.7g vs %.7g", nm, w, t->grad[w], gv[w]);
            goto out_batch;
        }
    }
    rc = 0;
out_batch:
    free(mem);
out_model:
    model_free(&m);
    graph_free(&gr);
    dataset_free(&d);
    return rc;
}
