/* Numeric field transforms: fit over the training rows, apply to every row. */
#include "numeric.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const num_names[] = { "none", "log", "minmax", "standard", "bucket" };

const char *num_kind_name(int kind)
{
    return kind >= 0 && kind <= NUM_BUCKET ? num_names[kind] : "?";
}

/* KIND in s[0..n): kind and, for bucket:N, N. 0 or -1. */
static int num_parse_kind(const char *s, size_t n, int *kind, int *buckets)
{
    for (int k = NUM_LOG; k < NUM_BUCKET; k++)
        if (strlen(num_names[k]) == n && memcmp(s, num_names[k], n) == 0) {
            *kind = k;
            return 0;
        }
    if (n > 7 && memcmp(s, "bucket:", 7) == 0) {
        long v = 0;
        for (size_t i = 7; i < n; i++) {
            if (s[i] < '0' || s[i] > '9' || v > NUM_MAX_BUCKETS) return -1;
            v = 10 * v + (s[i] - '0');
        }
        if (v < 2 || v > NUM_MAX_BUCKETS) return -1;
        *kind = NUM_BUCKET;
        *buckets = (int)v;
        return 0;
    }
    return -1;
}

/* The kind of every numeric field from spec: kind[f], buckets[f]. 0 or -1 with err. */
static int num_parse_spec(const struct dataset *d, const char *spec, int *kind, int *buckets, char *err,
                          size_t errlen)
{
    int all = NUM_LOG, all_b = 0;
    char *set = calloc((size_t)d->n_fields + 1, 1);
    if (!set) {
        snprintf(err, errlen, "--numeric-transform: out of memory");
        return -1;
    }
    for (const char *p = spec ? spec : ""; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        const char *ks = eq ? eq + 1 : p;
        size_t kn = n - (size_t)(ks - p);
        int k, b = 0;
        if (num_parse_kind(ks, kn, &k, &b)) {
            snprintf(err, errlen, "--numeric-transform: '%.*s': expected log, minmax, standard or bucket:N "
                     "(N 2..%d), alone or as FIELD=KIND", (int)n, p, NUM_MAX_BUCKETS);
            free(set);
            return -1;
        }
        if (!eq) {
            all = k;
            all_b = b;
        } else {
            int f = 0;
            while (f < d->n_fields && (strlen(d->fields[f].name) != (size_t)(eq - p) ||
                                       memcmp(d->fields[f].name, p, (size_t)(eq - p)) != 0))
                f++;
            if (f == d->n_fields || !d->fields[f].num || set[f]) {
                char names[300] = "";
                for (int g = 0; g < d->n_fields && strlen(names) < sizeof names - 60; g++)
                    if (d->fields[g].num) {
                        if (*names) strcat(names, ",");
                        strncat(names, d->fields[g].name, sizeof names - strlen(names) - 56);
                    }
                snprintf(err, errlen, "--numeric-transform: field '%.*s' %s (numeric fields: %s)", (int)(eq - p), p,
                         f < d->n_fields && set[f] ? "named twice" : "is not a numeric field", *names ? names : "none");
                free(set);
                return -1;
            }
            set[f] = 1;
            kind[f] = k;
            buckets[f] = b;
        }
        if (!e) break;
        p = e + 1;
    }
    for (int f = 0; f < d->n_fields; f++)
        if (!set[f]) {
            kind[f] = all;
            buckets[f] = all_b;
        }
    free(set);
    return 0;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The fit of field fl over rows train[0..n_train). 0, or -1 (out of memory). */
static int num_fit_field(struct num_fit *fit, const struct field *fl, const int32_t *train, int n_train, int kind,
                         int buckets)
{
    memset(fit, 0, sizeof *fit);
    fit->kind = kind;
    float *v = malloc(sizeof *v * (size_t)(n_train ? n_train : 1));
    if (!v) return -1;
    int m = 0;
    for (int i = 0; i < n_train; i++)
        if (!isnan(fl->num[train[i]])) v[m++] = fl->num[train[i]];
    fit->n_fit = m;
    if (kind == NUM_MINMAX && m) {
        fit->a = fit->b = v[0];
        for (int i = 1; i < m; i++) {
            if (v[i] < fit->a) fit->a = v[i];
            if (v[i] > fit->b) fit->b = v[i];
        }
    } else if (kind == NUM_STANDARD && m) {
        double s = 0, ss = 0;                 /* two passes, in row order: deterministic */
        for (int i = 0; i < m; i++) s += v[i];
        fit->a = s / m;
        for (int i = 0; i < m; i++) ss += (v[i] - fit->a) * (v[i] - fit->a);
        fit->b = sqrt(ss / m);
    } else if (kind == NUM_BUCKET && m) {
        qsort(v, (size_t)m, sizeof *v, cmp_float);
        fit->bounds = malloc(sizeof *fit->bounds * (size_t)buckets);
        if (!fit->bounds) {
            free(v);
            return -1;
        }
        for (int j = 1; j < buckets; j++) {
            double q = v[(int)((int64_t)j * m / buckets)];
            if (q > v[0] && (fit->n_bounds == 0 || q > fit->bounds[fit->n_bounds - 1]))
                fit->bounds[fit->n_bounds++] = q;
        }
    }
    free(v);
    return 0;
}

float num_fit_scale(const struct num_fit *fit, float x)
{
    double y;
    switch (fit->kind) {
    case NUM_LOG:
        y = x < 0 ? -log1p(-(double)x) : log1p((double)x);
        break;
    case NUM_MINMAX:
        y = fit->b > fit->a ? ((double)x - fit->a) / (fit->b - fit->a) : 1.0;
        y = y < 0 ? 0 : y > 1 ? 1 : y;
        break;
    case NUM_STANDARD:
        y = ((double)x - fit->a) / (fit->b > 0 ? fit->b : 1.0);
        y = y < -NUM_Z_MAX ? -NUM_Z_MAX : y > NUM_Z_MAX ? NUM_Z_MAX : y;
        break;
    default:
        y = 1.0;
    }
    return (float)y;
}

/* Bucket id of x: 1 + the number of cut points <= x. */
static int32_t num_bucket(const struct num_fit *fit, float x)
{
    int lo = 0, hi = fit->n_bounds;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (fit->bounds[mid] <= x) lo = mid + 1;
        else hi = mid;
    }
    return 1 + lo;
}

int num_fit_check(const struct num_fit *fit, char *err, size_t errlen)
{
    const char *why = NULL;
    if (fit->kind < NUM_LOG || fit->kind > NUM_BUCKET) why = "unknown transform";
    else if (!isfinite(fit->a) || !isfinite(fit->b)) why = "parameters not finite";
    else if (fit->n_bounds < 0 || fit->n_bounds >= NUM_MAX_BUCKETS || (fit->n_bounds && fit->kind != NUM_BUCKET))
        why = "bucket count out of range";
    else if (fit->n_fit < 0) why = "negative value count";
    for (int j = 0; !why && j < fit->n_bounds; j++)
        if (!isfinite(fit->bounds[j]) || (j && !(fit->bounds[j] > fit->bounds[j - 1])))
            why = "cut points not finite and increasing";
    if (why) snprintf(err, errlen, "numeric transform: %s", why);
    return why ? -1 : 0;
}

int num_fit_copy(struct num_fit *to, const struct num_fit *from)
{
    double *bounds = from->n_bounds ? malloc(sizeof *bounds * (size_t)from->n_bounds) : NULL;
    if (from->n_bounds && !bounds) return -1;
    if (bounds) memcpy(bounds, from->bounds, sizeof *bounds * (size_t)from->n_bounds);
    *to = *from;
    to->bounds = bounds;
    return 0;
}

int dataset_apply_numeric(struct dataset *d, int f, const struct num_fit *fit, char *err, size_t errlen)
{
    struct field *fl = &d->fields[f];
    if (!fl->num || fl->multi) {
        snprintf(err, errlen, "field %s is not numeric", fl->name);
        return -1;
    }
    if (num_fit_check(fit, err, errlen)) return -1;
    size_t n = (size_t)d->n_rows;
    int32_t *ids = d->map && !fl->own ? malloc(sizeof *ids * (n ? n : 1)) : fl->ids;
    float *scale = fit->kind != NUM_BUCKET ? malloc(sizeof *scale * (n ? n : 1)) : NULL;
    struct num_fit copy;
    int copied = num_fit_copy(&copy, fit) == 0;
    if (!ids || (fit->kind != NUM_BUCKET && !scale) || !copied) {
        if (ids != fl->ids) free(ids);
        free(scale);
        if (copied) free(copy.bounds);
        snprintf(err, errlen, "field %s: out of memory", fl->name);
        return -1;
    }
    if (ids != fl->ids) {
        fl->ids = ids;
        fl->own = 1;
    }
    free(fl->fit.bounds);
    fl->fit = copy;
    free(fl->scale);
    fl->scale = scale;
    for (size_t r = 0; r < n; r++) {
        float x = fl->num[r];
        int present = !isnan(x);
        if (scale) {
            ids[r] = present;
            scale[r] = present ? num_fit_scale(&fl->fit, x) : 1.0f;
        } else {
            ids[r] = present ? num_bucket(&fl->fit, x) : 0;
        }
    }
    fl->card = scale ? 2 : fl->fit.n_bounds + 2;
    return 0;
}

int dataset_fit_numeric(struct dataset *d, const int32_t *train, int n_train, const char *spec, char *err,
                        size_t errlen)
{
    int *kind = calloc((size_t)d->n_fields + 1, sizeof *kind), *buckets = calloc((size_t)d->n_fields + 1, sizeof *buckets);
    int rc = !kind || !buckets ? -1 : num_parse_spec(d, spec, kind, buckets, err, errlen);
    if (!kind || !buckets) snprintf(err, errlen, "--numeric-transform: out of memory");
    for (int f = 0; !rc && f < d->n_fields; f++) {
        if (!d->fields[f].num) continue;
        struct num_fit fit;
        if (num_fit_field(&fit, &d->fields[f], train, n_train, kind[f], buckets[f])) {
            snprintf(err, errlen, "field %s: out of memory", d->fields[f].name);
            rc = -1;
            break;
        }
        rc = dataset_apply_numeric(d, f, &fit, err, errlen);
        free(fit.bounds);
    }
    free(kind);
    free(buckets);
    return rc;
}

void num_fit_describe(const struct num_fit *fit, char *out, size_t n)
{
    switch (fit->kind) {
    case NUM_LOG:
        snprintf(out, n, "log: sign(x) ln(1+|x|) (%d training values)", fit->n_fit);
        break;
    case NUM_MINMAX:
        snprintf(out, n, "minmax [%.6g, %.6g] over %d training values, clamped to [0, 1]", fit->a, fit->b, fit->n_fit);
        break;
    case NUM_STANDARD:
        snprintf(out, n, "standard mean %.6g std %.6g over %d training values, clamped to +-%g", fit->a, fit->b,
                 fit->n_fit, NUM_Z_MAX);
        break;
    case NUM_BUCKET:
        if (fit->n_bounds)
            snprintf(out, n, "bucket: %d buckets, cut points %.6g .. %.6g (equal frequency over %d training values)",
                     fit->n_bounds + 1, fit->bounds[0], fit->bounds[fit->n_bounds - 1], fit->n_fit);
        else
            snprintf(out, n, "bucket: 1 bucket (%d training values)", fit->n_fit);
        break;
    default:
        snprintf(out, n, "not fitted");
    }
}
