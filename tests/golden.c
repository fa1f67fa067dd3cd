/* The golden-file reader and the generic backbone check (tests/golden.h): one tiny
 * batch through model_forward + t_bce + graph_backward against PyTorch's numbers. */
#include "golden.h"
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model_opts.h"
#include "ops.h"

void golden_free(struct golden *g)
{
    for (int i = 0; i < g->n_fields; i++) free(g->fields[i].name);
    for (int i = 0; i < g->n_config; i++) {
        free(g->config[i].key);
        free(g->config[i].value);
    }
    for (int i = 0; i < g->n_tensors; i++) {
        free(g->tensors[i].name);
        free(g->tensors[i].data);
    }
    free(g->fields);
    free(g->config);
    free(g->tensors);
    memset(g, 0, sizeof *g);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *s = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0)
        s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s) s[n] = '\0';
    fclose(f);
    return s;
}

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* Grows *arr (elements of size sz) to hold n + 1; 0 or -1. */
static int grow(void *arr, int n, size_t sz)
{
    void **p = arr;
    if (n & (n - 1) && n) return 0;   /* capacity doubles at powers of two */
    void *q = realloc(*p, sz * (size_t)(n ? 2 * n : 1));
    if (!q) return -1;
    *p = q;
    return 0;
}

/* Next whitespace-separated token of *p: start in *tok, length returned (0 at end). */
static size_t token(char **p, char **tok)
{
    char *s = *p;
    while (*s && isspace((unsigned char)*s)) s++;
    char *e = s;
    while (*e && !isspace((unsigned char)*e)) e++;
    *tok = s;
    *p = e;
    return (size_t)(e - s);
}

static int parse_int(char **p, int *v)
{
    char *tok, *end;
    size_t len = token(p, &tok);
    if (!len) return -1;
    long x = strtol(tok, &end, 10);
    if (end != tok + len || x < 0 || x > 1 << 30) return -1;
    *v = (int)x;
    return 0;
}

static int add_field(struct golden *g, const char *name, size_t len, int card)
{
    if (grow(&g->fields, g->n_fields, sizeof *g->fields)) return -1;
    struct golden_field *f = &g->fields[g->n_fields];
    f->name = dupn(name, len);
    f->card = card;
    if (!f->name) return -1;
    g->n_fields++;
    return 0;
}

/* One directive line (not tensor values). 0, or -1 with why. */
static int parse_directive(struct golden *g, char *l, struct golden_tensor **cur, char *why, size_t wn)
{
    char *p = l, *tok;
    size_t len = token(&p, &tok);
    if (len == 6 && strncmp(tok, "golden", 6) == 0) {
        int v;
        if (parse_int(&p, &v) || v != 1) {
            snprintf(why, wn, "unsupported golden version (this reader knows 1)");
            return -1;
        }
    } else if (len == 6 && strncmp(tok, "config", 6) == 0) {
        char *key;
        size_t kl = token(&p, &key);
        while (*p && isspace((unsigned char)*p)) p++;
        size_t vl = strlen(p);
        while (vl && isspace((unsigned char)p[vl - 1])) vl--;
        if (!kl || !vl) {
            snprintf(why, wn, "expected 'config KEY VALUE'");
            return -1;
        }
        char *k = dupn(key, kl);
        if (!k) goto oom;
        if (golden_config(g, k)) {
            snprintf(why, wn, "config key '%s' given twice", k);
            free(k);
            return -1;
        }
        if (grow(&g->config, g->n_config, sizeof *g->config)) {
            free(k);
            goto oom;
        }
        g->config[g->n_config].key = k;
        g->config[g->n_config].value = dupn(p, vl);
        if (!g->config[g->n_config++].value) goto oom;
    } else if (len == 5 && strncmp(tok, "field", 5) == 0) {
        char *name;
        size_t nl = token(&p, &name);
        int card;
        char *rest;
        if (!nl || parse_int(&p, &card) || card < 1 || token(&p, &rest)) {
            snprintf(why, wn, "expected 'field NAME CARD' with CARD >= 1");
            return -1;
        }
        if (add_field(g, name, nl, card)) goto oom;
    } else if (len == 6 && strncmp(tok, "fields", 6) == 0) {
        int card;
        char *rest = p, *t2;
        while (token(&rest, &t2)) {
            if (parse_int(&p, &card) || card < 1) {
                snprintf(why, wn, "expected 'fields CARD CARD ..' with every CARD >= 1");
                return -1;
            }
            char nm[16];
            int k = snprintf(nm, sizeof nm, "f%d", g->n_fields);
            if (add_field(g, nm, (size_t)k, card)) goto oom;
            rest = p;
        }
    } else if (len == 6 && strncmp(tok, "tensor", 6) == 0) {
        char *name;
        size_t nl = token(&p, &name);
        int nd, d[3] = { 1, 1, 1 };
        if (!nl || parse_int(&p, &nd) || nd < 1 || nd > 3) {
            snprintf(why, wn, "expected 'tensor NAME NDIM D0 [D1 [D2]]' with NDIM 1..3");
            return -1;
        }
        long size = 1;
        for (int i = 0; i < nd; i++) {
            if (parse_int(&p, &d[i]) || d[i] < 1) {
                snprintf(why, wn, "tensor %.*s: expected %d positive dims", (int)nl, name, nd);
                return -1;
            }
            size *= d[i];
        }
        char *rest;
        if (token(&p, &rest) || size > 1L << 26) {
            snprintf(why, wn, "tensor %.*s: bad shape line", (int)nl, name);
            return -1;
        }
        char *nm = dupn(name, nl);
        if (!nm) goto oom;
        if (golden_tensor(g, nm, NULL, NULL)) {
            snprintf(why, wn, "tensor %s given twice", nm);
            free(nm);
            return -1;
        }
        if (grow(&g->tensors, g->n_tensors, sizeof *g->tensors)) {
            free(nm);
            goto oom;
        }
        struct golden_tensor *t = &g->tensors[g->n_tensors++];
        memset(t, 0, sizeof *t);
        t->name = nm;
        t->ndim = nd;
        memcpy(t->shape, d, sizeof d);
        t->size = (int)size;
        t->data = malloc(sizeof(float) * (size_t)size);
        if (!t->data) goto oom;
        *cur = t;
    } else {
        snprintf(why, wn, "unknown line '%.24s' (expected golden, config, field(s) or tensor)", l);
        return -1;
    }
    return 0;
oom:
    snprintf(why, wn, "out of memory");
    return -1;
}

int golden_load(struct golden *g, const char *path, char *err, size_t n)
{
    memset(g, 0, sizeof *g);
    snprintf(g->path, sizeof g->path, "%s", path);
    char *text = read_all(path);
    if (!text) {
        snprintf(err, n, "%s: cannot read (golden files are found from the repository root)", path);
        return -1;
    }
    struct golden_tensor *cur = NULL;
    int filled = 0, line = 0, rc = 0;
    char why[200] = "";
    for (char *l = text, *next; l && !rc; l = next) {
        next = strchr(l, '\n');
        if (next) *next++ = '\0';
        line++;
        char *p = l, *tok;
        if (!token(&p, &tok) || *tok == '#') continue;
        if (cur && filled < cur->size) {          /* the current tensor's values */
            for (p = l; token(&p, &tok);) {
                char *end;
                double v = strtod(tok, &end);
                if (end != p) {
                    snprintf(why, sizeof why, "tensor %s: '%.*s' is not a number", cur->name,
                             (int)(p - tok), tok);
                    rc = -1;
                    break;
                }
                if (filled == cur->size) {
                    snprintf(why, sizeof why, "tensor %s: more than %d values", cur->name, cur->size);
                    rc = -1;
                    break;
                }
                cur->data[filled++] = (float)v;
            }
            continue;
        }
        cur = NULL;
        filled = 0;
        rc = parse_directive(g, l, &cur, why, sizeof why);
    }
    if (!rc && cur && filled < cur->size) {
        snprintf(why, sizeof why, "tensor %s: %d of %d values", cur->name, filled, cur->size);
        rc = -1;
        line++;
    }
    free(text);
    if (rc) {
        snprintf(err, n, "%s:%d: %s", path, line, why);
        golden_free(g);
    }
    return rc;
}

const float *golden_tensor(const struct golden *g, const char *name, int *ndim, int shape[3])
{
    for (int i = 0; i < g->n_tensors; i++) {
        const struct golden_tensor *t = &g->tensors[i];
        if (strcmp(t->name, name) != 0) continue;
        if (ndim) *ndim = t->ndim;
        if (shape) memcpy(shape, t->shape, sizeof t->shape);
        return t->data;
    }
    return NULL;
}

const char *golden_config(const struct golden *g, const char *key)
{
    for (int i = 0; i < g->n_config; i++)
        if (strcmp(g->config[i].key, key) == 0) return g->config[i].value;
    return NULL;
}

int golden_model_cfg(const struct golden *g, const char *backbone, struct model_cfg *cfg,
                     char *err, size_t n)
{
    const char *want = golden_config(g, "backbone");
    if (want && strcmp(want, backbone) != 0) {
        snprintf(err, n, "%s: made for backbone %s, not %s", g->path, want, backbone);
        return -1;
    }
    struct model_opts o;
    model_opts_default(&o);
    if (model_opts_backbone(&o, backbone, err, n)) return -1;
    char **argv = calloc((size_t)(2 * g->n_config + 1), sizeof *argv);
    if (!argv) {
        snprintf(err, n, "out of memory");
        return -1;
    }
    int argc = 0, rc = 0;
    for (int i = 0; i < g->n_config && !rc; i++) {
        if (strcmp(g->config[i].key, "backbone") == 0) continue;
        size_t len = strlen(g->config[i].key) + 3;
        if (!(argv[argc] = malloc(len))) rc = -1;
        else snprintf(argv[argc++], len, "--%s", g->config[i].key);
        argv[argc++] = g->config[i].value;   /* OPT_STR values point into g */
    }
    struct opt_group grp[MODEL_OPT_GROUPS];
    int n_grp = model_opts_groups(&o, grp), n_pos = 0, help = 0;
    char why[256] = "out of memory";
    if (!rc) rc = cli_parse(grp, n_grp, argc, argv, NULL, 0, &n_pos, &help, why, sizeof why);
    if (!rc) rc = model_opts_finish(&o, why, sizeof why);
    if (rc) snprintf(err, n, "%s: config: %s", g->path, why);
    for (int i = 0; i < argc; i += 2) free(argv[i]);
    free(argv);
    if (!rc) *cfg = o.m;
    return rc;
}

/* The parameter's values in the file: NAME or param:NAME. */
static const float *golden_param(const struct golden *g, const char *name, int *nd, int shape[3])
{
    char nm[160];
    snprintf(nm, sizeof nm, "param:%s", name);
    const float *v = golden_tensor(g, nm, nd, shape);
    return v ? v : golden_tensor(g, name, nd, shape);
}

static int is_reserved(const char *name)
{
    static const char *const r[] = { "ids", "labels", "label", "logits", "loss" };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        if (strcmp(name, r[i]) == 0) return 1;
    return strncmp(name, "grad:", 5) == 0;
}

/* "[i,j]" of flat index k in shape (ndim dims). */
static void fmt_index(char *buf, size_t n, int k, int ndim, const int *shape)
{
    int idx[3] = { 0, 0, 0 };
    for (int d = ndim - 1; d >= 0; d--) {
        idx[d] = k % shape[d];
        k /= shape[d];
    }
    if (ndim == 1) snprintf(buf, n, "[%d]", idx[0]);
    else if (ndim == 2) snprintf(buf, n, "[%d,%d]", idx[0], idx[1]);
    else snprintf(buf, n, "[%d,%d,%d]", idx[0], idx[1], idx[2]);
}

/* Worst |got - want| / max(|want|, 0.1 max|want|) over t; 0 when within rtol, else -1
 * with err. *worst_out gets the worst ratio (for the summary). */
static int compare(const char *what, const float *got, const float *want, int size, int ndim,
                   const int *shape, double rtol, double *worst_out, char *err, size_t n)
{
    double amax = 0, worst = 0;
    int wi = 0;
    for (int i = 0; i < size; i++) amax = fmax(amax, fabs((double)want[i]));
    for (int i = 0; i < size; i++) {
        double d = fabs((double)got[i] - (double)want[i]);
        double s = fmax(fabs((double)want[i]), 0.1 * amax);
        double e = d == 0 ? 0 : s > 0 ? d / s : INFINITY;
        if (isnan(got[i])) e = INFINITY;
        if (e > worst) {
            worst = e;
            wi = i;
        }
    }
    *worst_out = worst;
    if (worst <= rtol) return 0;
    char ix[48];
    fmt_index(ix, sizeof ix, wi, ndim, shape);
    snprintf(err, n, "%s%s: got %.9g, want %.9g (error %.3g of scale, tolerance %.3g)", what, ix,
             got[wi], want[wi], worst, rtol);
    return -1;
}

int golden_check_model(const char *backbone, const struct golden *g, struct model_cfg *cfg,
                       double rtol, char *err, size_t n)
{
    int nd = 0, shape[3];
    const float *ids = golden_tensor(g, "ids", &nd, shape);
    int B = shape[0], F = g->n_fields;
    if (!ids || nd != 2 || shape[1] != F || F < 1) {
        snprintf(err, n, "%s: needs fields and a tensor ids (B, %d)", g->path, F);
        return -1;
    }
    int ls[3], lnd;
    const float *labels = golden_tensor(g, "labels", &lnd, ls);
    if (!labels) labels = golden_tensor(g, "label", &lnd, ls);
    const float *logits = golden_tensor(g, "logits", &lnd, ls);
    const float *loss = golden_tensor(g, "loss", NULL, NULL);
    if (!labels || !logits || !loss || ls[0] * ls[1] * ls[2] != B) {
        snprintf(err, n, "%s: needs labels (B), logits (B, 1) and loss (1)", g->path);
        return -1;
    }
    for (int i = 0; i < B * F; i++)
        if (ids[i] < 0 || ids[i] >= g->fields[i % F].card || ids[i] != (int)ids[i]) {
            snprintf(err, n, "%s: ids[%d,%d] = %g is not an id of field %s (card %d)", g->path,
                     i / F, i % F, ids[i], g->fields[i % F].name, g->fields[i % F].card);
            return -1;
        }
    struct model_cfg own;
    if (!cfg) {
        if (golden_model_cfg(g, backbone, &own, err, n)) return -1;
        cfg = &own;
    }

    struct dataset d;
    dataset_init(&d, "golden", B, F);
    for (int f = 0; f < F; f++) {
        snprintf(d.fields[f].name, sizeof d.fields[f].name, "%s", g->fields[f].name);
        d.fields[f].card = g->fields[f].card;
        d.fields[f].ids = malloc(sizeof(int32_t) * (size_t)B);
        for (int r = 0; d.fields[f].ids && r < B; r++) d.fields[f].ids[r] = (int32_t)ids[r * F + f];
    }
    for (int r = 0; r < B; r++) d.label[r] = labels[r];
    int32_t *rows = malloc(sizeof *rows * (size_t)B);
    for (int r = 0; rows && r < B; r++) rows[r] = r;

    struct model m;
    struct rng rng;
    struct graph gr;
    void *mem = NULL;
    int rc = -1;
    rng_seed(&rng, 1);
    graph_init(&gr, (size_t)16 << 20);
    if (model_init(&m, backbone, cfg, &d, &rng, err, n)) goto out;

    /* Every C parameter from the file, same shape; every file parameter known to C. */
    for (int i = 0; i < m.ps.n; i++) {
        struct tensor *t = m.ps.list[i];
        const float *v = golden_param(g, t->name, &nd, shape);
        if (!v) {
            snprintf(err, n, "%s: parameter %s of the C model is not in the file", g->path, t->name);
            goto out;
        }
        int same = nd == t->ndim;
        for (int k = 0; same && k < nd; k++) same = shape[k] == t->shape[k];
        if (!same) {
            snprintf(err, n, "%s: parameter %s is (%d,%d,%d) in the file, (%d,%d,%d) in C", g->path,
                     t->name, shape[0], nd > 1 ? shape[1] : 0, nd > 2 ? shape[2] : 0, t->shape[0],
                     t->ndim > 1 ? t->shape[1] : 0, t->ndim > 2 ? t->shape[2] : 0);
            goto out;
        }
        memcpy(t->data, v, sizeof(float) * (size_t)t->size);
    }
    for (int i = 0; i < g->n_tensors; i++) {
        const char *nm = g->tensors[i].name;
        if (is_reserved(nm)) continue;
        const char *pn = strncmp(nm, "param:", 6) == 0 ? nm + 6 : nm;
        if (!params_find(&m.ps, pn)) {
            snprintf(err, n, "%s: %s is not a parameter of the C model", g->path, nm);
            goto out;
        }
    }

    mem = malloc(batch_bytes(&d, rows, B));
    if (!mem || !rows) {
        snprintf(err, n, "out of memory");
        goto out;
    }
    struct batch b;
    batch_build(&b, &d, m.base, rows, B, mem);
    params_zero_grad(&m.ps);
    struct tensor *lg = model_forward(&m, &gr, &b);
    struct tensor *lo = t_bce(&gr, lg, b.label);
    graph_backward(&gr, lo);

    double e, worst = 0;
    const char *worst_name = "logits";
    if (lg->size != B) {
        snprintf(err, n, "%s: the model gives %d logits for %d rows", g->path, lg->size, B);
        goto out;
    }
    if (compare("logits", lg->data, logits, B, 2, (int[]){ B, 1 }, rtol, &e, err, n)) goto out;
    worst = e;
    if (compare("loss", lo->data, loss, 1, 1, (int[]){ 1 }, rtol, &e, err, n)) goto out;
    if (e > worst) { worst = e; worst_name = "loss"; }
    for (int i = 0; i < m.ps.n; i++) {
        struct tensor *t = m.ps.list[i];
        char nm[160];
        snprintf(nm, sizeof nm, "grad:%s", t->name);
        const float *gv = golden_tensor(g, nm, &nd, shape);
        if (!gv || shape[0] * shape[1] * shape[2] != t->size) {
            snprintf(err, n, "%s: %s (%d values) is not in the file", g->path, nm, t->size);
            goto out;
        }
        if (compare(nm, t->grad, gv, t->size, t->ndim, t->shape, rtol, &e, err, n)) goto out;
        if (e > worst) { worst = e; worst_name = t->name; }
    }
    printf("   golden %s: logits, loss and %d gradients match (worst %.2g of scale, in %s; tolerance %.2g)\n",
           backbone, m.ps.n, worst, worst_name, rtol);
    rc = 0;
out:
    free(mem);
    free(rows);
    model_free(&m);
    graph_free(&gr);
    dataset_free(&d);
    return rc;
}

int golden_check_file(const char *backbone, const char *path, double rtol)
{
    struct golden g;
    char err[512];
    int rc = golden_load(&g, path, err, sizeof err);
    if (!rc) rc = golden_check_model(backbone, &g, NULL, rtol, err, sizeof err);
    if (rc) fprintf(stderr, "golden %s: %s\n", backbone, err);
    golden_free(&g);
    return rc;
}
