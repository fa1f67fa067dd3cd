/* String -> id hash map (open addressing, FNV-1a 64, linear probing) and the row-wise
 * column builder used by every real-data loader. */
#include "idmap.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- idmap --------------------------------------------------------------------- */

static uint64_t idmap_hash(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return h;
}

void idmap_init(struct idmap *m) { memset(m, 0, sizeof *m); }

void idmap_free(struct idmap *m)
{
    free(m->slots);
    free(m->soff);
    free(m->slen);
    free(m->pool);
    memset(m, 0, sizeof *m);
}

static int idmap_eq(const struct idmap *m, int32_t id, const char *s, size_t len)
{
    return m->slen[id - 1] == len && memcmp(m->pool + m->soff[id - 1], s, len) == 0;
}

int32_t idmap_find(const struct idmap *m, const char *s, size_t len)
{
    if (!m->cap) return 0;
    uint64_t h = idmap_hash(s, len), tag = h >> 32;
    for (size_t i = (size_t)h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        uint64_t e = m->slots[i];
        if (!e) return 0;
        if ((e >> 32) == tag && idmap_eq(m, (int32_t)(uint32_t)e, s, len)) return (int32_t)(uint32_t)e;
    }
}

/* Doubles the slot table (load factor <= 1/2) and reinserts the ids. */
static int idmap_grow(struct idmap *m)
{
    size_t cap = m->cap ? 2 * m->cap : 1024;
    uint64_t *slots = calloc(cap, sizeof *slots);
    if (!slots) return -1;
    for (int32_t id = 1; id <= m->n; id++) {
        uint64_t h = idmap_hash(m->pool + m->soff[id - 1], m->slen[id - 1]);
        size_t i = (size_t)h & (cap - 1);
        while (slots[i]) i = (i + 1) & (cap - 1);
        slots[i] = (h >> 32) << 32 | (uint32_t)id;
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

int32_t idmap_get(struct idmap *m, const char *s, size_t len)
{
    if (2 * ((size_t)m->n + 1) > m->cap && idmap_grow(m)) return -1;
    uint64_t h = idmap_hash(s, len), tag = h >> 32;
    size_t i = (size_t)h & (m->cap - 1);
    for (;; i = (i + 1) & (m->cap - 1)) {
        uint64_t e = m->slots[i];
        if (!e) break;
        if ((e >> 32) == tag && idmap_eq(m, (int32_t)(uint32_t)e, s, len)) return (int32_t)(uint32_t)e;
    }
    if (m->n == INT32_MAX - 1 || len > UINT32_MAX) return -1;
    if (m->n == m->scap) {
        int32_t scap = m->scap ? 2 * m->scap : 256;
        size_t *soff = realloc(m->soff, (size_t)scap * sizeof *soff);
        if (soff) m->soff = soff;
        uint32_t *slen = realloc(m->slen, (size_t)scap * sizeof *slen);
        if (slen) m->slen = slen;
        if (!soff || !slen) return -1;
        m->scap = scap;
    }
    if (m->pool_len + len + 1 > m->pool_cap) {
        size_t cap = m->pool_cap ? m->pool_cap : 4096;
        while (cap < m->pool_len + len + 1) cap *= 2;
        char *pool = realloc(m->pool, cap);
        if (!pool) return -1;
        m->pool = pool;
        m->pool_cap = cap;
    }
    memcpy(m->pool + m->pool_len, s, len);
    m->pool[m->pool_len + len] = '\0';
    int32_t id = ++m->n;
    m->soff[id - 1] = m->pool_len;
    m->slen[id - 1] = (uint32_t)len;
    m->pool_len += len + 1;
    m->slots[i] = tag << 32 | (uint32_t)id;
    return id;
}

const char *idmap_str(const struct idmap *m, int32_t id)
{
    return id >= 1 && id <= m->n ? m->pool + m->soff[id - 1] : NULL;
}

int32_t idmap_compact(int32_t *ids, size_t n, int32_t card, int64_t min_count)
{
    int64_t *count = calloc((size_t)card, sizeof *count);
    int32_t *remap = malloc((size_t)card * sizeof *remap);
    if (!count || !remap) {
        free(count);
        free(remap);
        return -1;
    }
    for (size_t i = 0; i < n; i++) count[ids[i]]++;
    for (int32_t v = 0; v < card; v++) remap[v] = -1;
    remap[0] = 0;
    int32_t next = 1;
    for (size_t i = 0; i < n; i++) {
        int32_t v = ids[i];
        if (remap[v] < 0) remap[v] = count[v] >= min_count ? next++ : 0;
        ids[i] = remap[v];
    }
    free(count);
    free(remap);
    return next;
}

/* ---- tbuild -------------------------------------------------------------------- */

int tbuild_init(struct tbuild *t, int n_fields, const char *const *names, const int *multi,
                int has_time)
{
    memset(t, 0, sizeof *t);
    t->n_fields = n_fields;
    t->cols = calloc((size_t)n_fields, sizeof *t->cols);
    t->cap_rows = 1024;
    t->label = malloc(t->cap_rows * sizeof *t->label);
    t->time = has_time ? malloc(t->cap_rows * sizeof *t->time) : NULL;
    if (!t->cols || !t->label || (has_time && !t->time)) {
        tbuild_free(t);
        return -1;
    }
    for (int f = 0; f < n_fields; f++) {
        struct tcol *c = &t->cols[f];
        strncpy(c->name, names[f], DATA_NAME_LEN - 1);
        c->multi = multi ? multi[f] : 0;
        idmap_init(&c->map);
        c->cap_ids = 1024;
        c->ids = malloc(c->cap_ids * sizeof *c->ids);
        if (c->multi) {
            c->offs = malloc((t->cap_rows + 1) * sizeof *c->offs);
            if (c->offs) c->offs[0] = 0;
        }
        if (!c->ids || (c->multi && !c->offs)) {
            tbuild_free(t);
            return -1;
        }
    }
    return 0;
}

void tbuild_free(struct tbuild *t)
{
    if (t->cols)
        for (int f = 0; f < t->n_fields; f++) {
            idmap_free(&t->cols[f].map);
            free(t->cols[f].ids);
            free(t->cols[f].offs);
            free(t->cols[f].num);
        }
    free(t->cols);
    free(t->label);
    free(t->time);
    memset(t, 0, sizeof *t);
}

/* Ids a field's values can take before compaction: 1..card-1. */
static int32_t tcol_card(const struct tcol *c) { return c->num ? 2 : c->buckets ? c->buckets + 2 : c->map.n + 1; }

/* The field names, comma-separated, cut to fit n bytes (for error messages). */
static void tbuild_names(const struct tbuild *t, char *out, size_t n)
{
    out[0] = '\0';
    for (int g = 0; g < t->n_fields && strlen(out) + 60 < n; g++) {
        if (g) strcat(out, ",");
        strncat(out, t->cols[g].name, n - strlen(out) - 56);
    }
}

int tbuild_hash_buckets(struct tbuild *t, const char *spec, const char *who, char *err, size_t errlen)
{
    if (!spec || !*spec) return 0;
    long long all = 0;
    char *set = calloc((size_t)t->n_fields, 1);
    if (!set) {
        snprintf(err, errlen, "%s: out of memory", who);
        return -1;
    }
    for (const char *p = spec;;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        const char *num = eq ? eq + 1 : p;
        size_t nn = n - (size_t)(num - p);
        char buf[24];
        long long v = 0;
        int ok = nn > 0 && nn < sizeof buf;
        if (ok) {
            memcpy(buf, num, nn);
            buf[nn] = '\0';
            char *end;
            v = strtoll(buf, &end, 10);
            ok = *end == '\0' && buf[0] >= '0' && buf[0] <= '9' && v >= 1 && v <= TBUILD_MAX_BUCKETS;
        }
        if (!ok) {
            snprintf(err, errlen, "%s: --hash-buckets: '%.*s': expected N or FIELD=N with N in 1..%d", who, (int)n,
                     p, TBUILD_MAX_BUCKETS);
            free(set);
            return -1;
        }
        if (!eq) {
            all = v;
        } else {
            int f = 0;
            while (f < t->n_fields && (strlen(t->cols[f].name) != (size_t)(eq - p) ||
                                       memcmp(t->cols[f].name, p, (size_t)(eq - p)) != 0))
                f++;
            if (f == t->n_fields || set[f]) {
                char names[300];
                tbuild_names(t, names, sizeof names);
                if (f < t->n_fields) snprintf(err, errlen, "%s: --hash-buckets: field '%.*s' named twice", who,
                                              (int)(eq - p), p);
                else snprintf(err, errlen, "%s: --hash-buckets: no field '%.*s' (fields: %s)", who, (int)(eq - p),
                              p, names);
                free(set);
                return -1;
            }
            if (t->cols[f].num) {
                snprintf(err, errlen, "%s: --hash-buckets: field '%s' is numeric (--numeric): drop it from the list",
                         who, t->cols[f].name);
                free(set);
                return -1;
            }
            set[f] = 1;
            t->cols[f].buckets = (int32_t)v;
        }
        if (!e) break;
        p = e + 1;
    }
    for (int f = 0; f < t->n_fields; f++)
        if (!set[f] && !t->cols[f].num) t->cols[f].buckets = (int32_t)all;
    free(set);
    return 0;
}

int tbuild_numeric(struct tbuild *t, const char *spec, const char *deflt, const char *missing,
                   const char *deflt_missing, const char *who, char *err, size_t errlen)
{
    if (!spec || !*spec) return 0;
    if (strcmp(spec, "default") == 0) {
        if (!deflt) {
            snprintf(err, errlen, "%s: --numeric default: this dataset has no default numeric columns: name them "
                     "(--numeric A,B)", who);
            return -1;
        }
        spec = deflt;
    }
    if (!missing) missing = deflt_missing;
    if (missing && strcmp(missing, "none") != 0) {
        char *end;
        t->missing = strtod(missing, &end);
        if (!*missing || *end || !isfinite(t->missing)) {
            snprintf(err, errlen, "%s: --numeric-missing '%s': expected a number or none", who, missing);
            return -1;
        }
        t->has_missing = 1;
    }
    for (const char *p = spec; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        int f = 0;
        while (f < t->n_fields && (strlen(t->cols[f].name) != n || memcmp(t->cols[f].name, p, n) != 0)) f++;
        if (f == t->n_fields) {
            char names[300];
            tbuild_names(t, names, sizeof names);
            snprintf(err, errlen, "%s: --numeric: no field '%.*s' (fields: %s)", who, (int)n, p, names);
            return -1;
        }
        struct tcol *c = &t->cols[f];
        const char *why = c->num ? "is named twice" : c->multi ? "is multi-valued" : NULL;
        if (why) {
            snprintf(err, errlen, "%s: --numeric: field '%s' %s", who, c->name, why);
            return -1;
        }
        if (!(c->num = malloc(t->cap_rows * sizeof *c->num))) {
            snprintf(err, errlen, "%s: out of memory", who);
            return -1;
        }
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

int tbuild_num(struct tbuild *t, int f, const char *s, size_t len)
{
    struct tcol *c = &t->cols[f];
    double v = NAN;
    if (len) {
        char buf[64], *end;
        if (len >= sizeof buf) return -1;
        memcpy(buf, s, len);
        buf[len] = '\0';
        for (size_t i = 0; i < len; i++)           /* decimal only: no inf, nan, hex */
            if (!strchr("0123456789+-.eE", buf[i])) return -1;
        v = strtod(buf, &end);
        if (*end || !(fabs(v) < 1e30)) return -1;
        if (t->has_missing && v == t->missing) v = NAN;
    }
    tbuild_push(t, f, isnan(v) ? 0 : 1);
    c->num[t->n_rows] = (float)v;
    return 0;
}

int32_t tbuild_intern(struct tbuild *t, int f, const char *s, size_t len)
{
    const struct tcol *c = &t->cols[f];
    if (c->buckets) return len ? 1 + (int32_t)(idmap_hash(s, len) % (uint64_t)c->buckets) : c->buckets + 1;
    int32_t id = idmap_get(&t->cols[f].map, s, len);
    if (id < 0) {
        t->oom = 1;
        return 0;
    }
    return id;
}

void tbuild_push(struct tbuild *t, int f, int32_t id)
{
    struct tcol *c = &t->cols[f];
    if (!c->multi && c->n_ids > t->n_rows) {     /* set twice in one row: keep the last */
        c->ids[t->n_rows] = id;
        return;
    }
    if (c->n_ids == c->cap_ids) {
        int32_t *ids = realloc(c->ids, 2 * c->cap_ids * sizeof *ids);
        if (!ids) {
            t->oom = 1;
            return;
        }
        c->ids = ids;
        c->cap_ids *= 2;
    }
    c->ids[c->n_ids++] = id;
}

void tbuild_add(struct tbuild *t, int f, const char *s, size_t len)
{
    tbuild_push(t, f, tbuild_intern(t, f, s, len));
}

void tbuild_discard(struct tbuild *t)
{
    for (int f = 0; f < t->n_fields; f++) {
        struct tcol *c = &t->cols[f];
        c->n_ids = c->multi ? (size_t)c->offs[t->n_rows] : t->n_rows;
    }
}

void tbuild_row(struct tbuild *t, float label, int64_t time)
{
    if (t->oom) return;
    if (t->n_rows + 1 >= t->cap_rows) {
        size_t cap = 2 * t->cap_rows;
        float *l = realloc(t->label, cap * sizeof *l);
        if (l) t->label = l;
        int64_t *tm = t->time ? realloc(t->time, cap * sizeof *tm) : NULL;
        if (tm) t->time = tm;
        if (!l || (t->time && !tm)) {
            t->oom = 1;
            return;
        }
        for (int f = 0; f < t->n_fields; f++) {
            struct tcol *c = &t->cols[f];
            if (c->num) {
                float *v = realloc(c->num, cap * sizeof *v);
                if (!v) {
                    t->oom = 1;
                    return;
                }
                c->num = v;
            }
            if (!c->multi) continue;
            int64_t *o = realloc(c->offs, (cap + 1) * sizeof *o);
            if (!o) {
                t->oom = 1;
                return;
            }
            c->offs = o;
        }
        t->cap_rows = cap;
    }
    for (int f = 0; f < t->n_fields; f++) {
        struct tcol *c = &t->cols[f];
        if (c->multi) c->offs[t->n_rows + 1] = (int64_t)c->n_ids;
        else if (c->n_ids == t->n_rows) {                     /* never set: OOV / missing */
            tbuild_push(t, f, 0);
            if (c->num) c->num[t->n_rows] = NAN;
        }
    }
    t->label[t->n_rows] = label;
    if (t->time) t->time[t->n_rows] = time;
    t->n_rows++;
}

/* Keeps the rows with keep[r] != 0, in order, in every column. */
static void tbuild_keep_rows(struct tbuild *t, const unsigned char *keep)
{
    size_t k = 0;
    for (int f = 0; f < t->n_fields; f++) {
        struct tcol *c = &t->cols[f];
        size_t w = 0;
        k = 0;
        for (size_t r = 0; r < t->n_rows; r++) {
            if (!keep[r]) continue;
            if (!c->multi) {
                if (c->num) c->num[k] = c->num[r];
                c->ids[k++] = c->ids[r];
                continue;
            }
            int64_t a = c->offs[r], b = c->offs[r + 1];
            c->offs[k++] = (int64_t)w;
            memmove(c->ids + w, c->ids + a, (size_t)(b - a) * sizeof *c->ids);
            w += (size_t)(b - a);
        }
        if (c->multi) c->offs[k] = (int64_t)w;
        c->n_ids = c->multi ? w : k;
    }
    k = 0;
    for (size_t r = 0; r < t->n_rows; r++) {
        if (!keep[r]) continue;
        t->label[k] = t->label[r];
        if (t->time) t->time[k] = t->time[r];
        k++;
    }
    t->n_rows = k;
}

static void *tbuild_shrink(void *p, size_t bytes)
{
    void *q = realloc(p, bytes ? bytes : 1);
    return q ? q : p;
}

int tbuild_finish(struct tbuild *t, struct dataset *d, const char *name, int item_field,
                  int64_t min_item_count, char *err, size_t errlen)
{
    if (t->oom) {
        snprintf(err, errlen, "%s: out of memory while parsing", name);
        return -1;
    }
    if (t->n_rows > INT32_MAX - 1) {
        snprintf(err, errlen, "%s: %zu rows exceed the 2^31 row limit", name, t->n_rows);
        return -1;
    }
    if (min_item_count > 1 && item_field >= 0 && !t->cols[item_field].multi) {
        struct tcol *c = &t->cols[item_field];
        int64_t *count = calloc((size_t)tcol_card(c), sizeof *count);
        unsigned char *keep = malloc(t->n_rows ? t->n_rows : 1);
        if (!count || !keep) {
            free(count);
            free(keep);
            snprintf(err, errlen, "%s: out of memory", name);
            return -1;
        }
        for (size_t r = 0; r < t->n_rows; r++) count[c->ids[r]]++;
        for (size_t r = 0; r < t->n_rows; r++) keep[r] = count[c->ids[r]] >= min_item_count;
        tbuild_keep_rows(t, keep);
        free(count);
        free(keep);
    }
    for (int f = 0; f < t->n_fields; f++) {
        struct tcol *c = &t->cols[f];
        int32_t card = idmap_compact(c->ids, c->n_ids, tcol_card(c), 1);
        if (card < 0) {
            snprintf(err, errlen, "%s: out of memory", name);
            return -1;
        }
        idmap_free(&c->map);
        c->buckets = 0;
        c->map.n = card - 1;                     /* remembered until the move below */
    }
    int n = (int)t->n_rows;
    dataset_init(d, name, n, t->n_fields);
    for (int f = 0; f < t->n_fields; f++) {
        struct tcol *c = &t->cols[f];
        struct field *fl = &d->fields[f];
        memcpy(fl->name, c->name, DATA_NAME_LEN);
        fl->card = c->map.n + 1;
        fl->multi = c->multi;
        if (c->multi) {
            fl->offs = tbuild_shrink(c->offs, ((size_t)n + 1) * sizeof *fl->offs);
            fl->mids = tbuild_shrink(c->ids, c->n_ids * sizeof *fl->mids);
        } else {
            fl->ids = tbuild_shrink(c->ids, (size_t)n * sizeof *fl->ids);
        }
        if (c->num) fl->num = tbuild_shrink(c->num, (size_t)n * sizeof *fl->num);
        c->ids = NULL;
        c->offs = NULL;
        c->num = NULL;
    }
    free(d->label);
    d->label = tbuild_shrink(t->label, (size_t)n * sizeof *d->label);
    d->time = t->time ? tbuild_shrink(t->time, (size_t)n * sizeof *d->time) : NULL;
    d->header_lines = t->header_lines;
    t->label = NULL;
    t->time = NULL;
    tbuild_free(t);
    return 0;
}
