/* Binary dataset cache: header + payload, checksummed, written atomically, loaded by
 * mapping the file and pointing the dataset's columns into the mapping. */
#define _XOPEN_SOURCE 700          /* realpath */
#define _DEFAULT_SOURCE            /* MAP_POPULATE */
#include "cache.h"
#include "csvread.h"
#include "sha256.h"
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A source file: its size, SHA-256 of every byte, and a hash of its real path. */
struct cache_src { uint64_t size, path_hash; uint8_t sha256[32]; };

struct cache_header {
    char     magic[8];
    uint32_t version, bom;                 /* bom = 0x01020304 in the writer's byte order */
    char     spec[32];
    uint64_t opts_hash;
    uint32_t n_sources, pad;
    struct cache_src src[CACHE_MAX_SOURCES];
    uint64_t payload_bytes, payload_sum;
    uint64_t header_sum;                   /* cache_checksum of every byte above */
};
_Static_assert(sizeof(struct cache_header) == 64 + 48 * CACHE_MAX_SOURCES + 24, "cache header padding");

/* Payload, at CACHE_PAYLOAD_AT: meta, field table, then per field ids (n_rows int32)
 * [+ raw values (n_rows float) of a numeric field] or offs (n_rows+1 int64) + mids
 * (n_mids int32), then label (float), time (int64),
 * prob (float). Every part starts on a CACHE_ALIGN boundary of the file and is
 * followed by zero bytes up to the next one (the last part too), so the columns of a
 * mapped file are aligned and the checksum covers the payload as one block. */
#define CACHE_ALIGN 64
#define CACHE_PAYLOAD_AT ((sizeof(struct cache_header) + CACHE_ALIGN - 1) & ~(size_t)(CACHE_ALIGN - 1))
static uint64_t cache_align(uint64_t x) { return (x + CACHE_ALIGN - 1) & ~(uint64_t)(CACHE_ALIGN - 1); }

struct cache_meta {
    char    name[64];
    char    label_rule[96];
    int32_t n_rows, n_fields, user_field, item_field, category_field;
    int32_t has_time, has_prob, synthetic_fallback, n_skipped, day_split, day_offset_s;
    int32_t given[3];                      /* struct dataset's given split sizes */
    int32_t header_lines, pad;
};
struct cache_field { char name[DATA_NAME_LEN]; int32_t card, multi; int64_t n_mids; int32_t numeric, pad; };
_Static_assert(sizeof(struct cache_meta) % 8 == 0 && sizeof(struct cache_field) % 8 == 0, "cache meta");

#define CACHE_MAX_FIELDS 4096

/* ---- hashing ------------------------------------------------------------------- */

uint64_t cache_hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

uint64_t cache_hash_str(uint64_t h, const char *s)
{
    if (!s) return cache_hash_i64(h, -1);
    return cache_hash_bytes(h, s, strlen(s) + 1);
}

uint64_t cache_hash_i64(uint64_t h, int64_t v) { return cache_hash_bytes(h, &v, sizeof v); }

uint64_t cache_checksum(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        h = (h ^ w) * 0x100000001b3ULL;
    }
    return cache_hash_bytes(h, b + i, n - i);
}

uint64_t cache_hash_common(uint64_t h, const struct cache_key *k, const struct data_opts *o)
{
    h = cache_hash_str(h, k->spec);
    for (int i = 0; i < k->n_paths; i++) {
        char *real = realpath(k->paths[i], NULL);
        h = cache_hash_str(h, real ? real : k->paths[i]);
        free(real);
    }
    h = cache_hash_i64(h, o->skip_bad_rows);
    h = cache_hash_i64(h, o->drop_neutral);
    if (o->hash_buckets && *o->hash_buckets) h = cache_hash_str(h, o->hash_buckets);   /* absent: keys as before */
    if (o->numeric && *o->numeric) {       /* which columns keep raw values, and what is missing */
        h = cache_hash_str(h, o->numeric);
        h = cache_hash_str(h, o->numeric_missing);
    }
    return cache_hash_i64(h, o->min_item_count > 1 ? o->min_item_count : 1);
}

/* ---- header -------------------------------------------------------------------- */

/* Size and SHA-256 of path's bytes (opened without blocking; a regular file only). */
static int cache_hash_source(const char *path, struct cache_src *src, char *err, size_t errlen)
{
    FILE *fp = csvread_open(path, err, errlen);
    if (!fp) return -1;
    enum { CHUNK = 1 << 20 };
    unsigned char *buf = malloc(CHUNK);
    struct sha256_ctx c;
    sha256_init(&c);
    uint64_t size = 0;
    size_t n;
    while (buf && (n = fread(buf, 1, CHUNK, fp)) > 0) {
        sha256_update(&c, buf, n);
        size += n;
    }
    int bad = !buf || ferror(fp);
    if (bad) snprintf(err, errlen, "%s: %s", path, buf ? "read error" : "out of memory");
    free(buf);
    fclose(fp);
    sha256_final(&c, src->sha256);
    src->size = size;
    return bad ? -1 : 0;
}

static int cache_fill_header(struct cache_header *h, const struct cache_key *k, char *err, size_t errlen)
{
    memset(h, 0, sizeof *h);
    memcpy(h->magic, CACHE_MAGIC, 8);
    h->version = CACHE_VERSION;
    h->bom = 0x01020304u;
    snprintf(h->spec, sizeof h->spec, "%s", k->spec);
    h->opts_hash = k->opts_hash;
    h->n_sources = (uint32_t)k->n_paths;
    for (int i = 0; i < k->n_paths && i < CACHE_MAX_SOURCES; i++) {
        if (cache_hash_source(k->paths[i], &h->src[i], err, errlen)) return -1;
        char *real = realpath(k->paths[i], NULL);      /* any spelling of the same file */
        h->src[i].path_hash = cache_hash_str(CACHE_HASH_SEED, real ? real : k->paths[i]);
        free(real);
    }
    return 0;
}

int cache_reseal(void *buf, size_t n, const struct cache_key *k)
{
    struct cache_header want, h;
    char err[256];
    if (n < CACHE_PAYLOAD_AT || k->n_paths > CACHE_MAX_SOURCES || cache_fill_header(&want, k, err, sizeof err))
        return -1;
    memcpy(&h, buf, sizeof h);
    memcpy(h.spec, want.spec, sizeof h.spec);
    h.opts_hash = want.opts_hash;
    h.n_sources = want.n_sources;
    memcpy(h.src, want.src, sizeof h.src);
    uint64_t avail = n - CACHE_PAYLOAD_AT;
    h.payload_sum = cache_checksum(CACHE_HASH_SEED, (const char *)buf + CACHE_PAYLOAD_AT,
                                   (size_t)(h.payload_bytes < avail ? h.payload_bytes : avail));
    h.header_sum = cache_checksum(CACHE_HASH_SEED, &h, offsetof(struct cache_header, header_sum));
    memcpy(buf, &h, sizeof h);
    return 0;
}

void cache_path(char *out, size_t n, const char *dir, const struct cache_key *k)
{
    snprintf(out, n, "%s/%s-%016llx.apgcache", dir && *dir ? dir : "out/cache", k->spec,
             (unsigned long long)k->opts_hash);
}

/* mkdir -p of the folder holding path. */
static int cache_mkdirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    char *slash = strrchr(buf, '/');
    if (!slash) return 0;
    *slash = '\0';
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
    return 0;
}

/* ---- save ---------------------------------------------------------------------- */

struct cache_part { const void *p; size_t n; };

/* The payload as a list of memory parts (meta and field table in m / ft). */
static int cache_parts(const struct dataset *d, struct cache_meta *m, struct cache_field *ft,
                       struct cache_part *parts)
{
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", d->name);
    snprintf(m->label_rule, sizeof m->label_rule, "%s", d->label_rule);
    m->n_rows = d->n_rows;
    m->n_fields = d->n_fields;
    m->user_field = d->user_field;
    m->item_field = d->item_field;
    m->category_field = d->category_field;
    m->has_time = d->time != NULL;
    m->has_prob = d->prob != NULL;
    m->synthetic_fallback = d->synthetic_fallback;
    m->day_split = d->day_split;
    m->day_offset_s = d->day_offset_s;
    memcpy(m->given, d->given, sizeof m->given);
    m->header_lines = d->header_lines;
    int np = 0;
    size_t n = (size_t)d->n_rows;
    parts[np++] = (struct cache_part){ m, sizeof *m };
    parts[np++] = (struct cache_part){ ft, (size_t)d->n_fields * sizeof *ft };
    for (int f = 0; f < d->n_fields; f++) {
        const struct field *fl = &d->fields[f];
        memset(&ft[f], 0, sizeof ft[f]);
        memcpy(ft[f].name, fl->name, DATA_NAME_LEN);
        ft[f].card = fl->card;
        ft[f].multi = fl->multi;
        if (fl->multi) {
            ft[f].n_mids = fl->offs[n];
            parts[np++] = (struct cache_part){ fl->offs, (n + 1) * sizeof *fl->offs };
            parts[np++] = (struct cache_part){ fl->mids, (size_t)fl->offs[n] * sizeof *fl->mids };
        } else {
            parts[np++] = (struct cache_part){ fl->ids, n * sizeof *fl->ids };
            if (fl->num) {
                ft[f].numeric = 1;
                parts[np++] = (struct cache_part){ fl->num, n * sizeof *fl->num };
            }
        }
    }
    parts[np++] = (struct cache_part){ d->label, n * sizeof *d->label };
    if (d->time) parts[np++] = (struct cache_part){ d->time, n * sizeof *d->time };
    if (d->prob) parts[np++] = (struct cache_part){ d->prob, n * sizeof *d->prob };
    return np;
}

/* Writes d under the source header src (cache_fill_header, taken before d was built). */
static int cache_save_h(const char *path, const struct dataset *d, const struct cache_header *src, int n_skipped,
                        char *err, size_t errlen)
{
    if (d->n_fields > CACHE_MAX_FIELDS) {
        snprintf(err, errlen, "%s: too many fields to cache", path);
        return -1;
    }
    struct cache_header h = *src;
    struct cache_meta m;
    struct cache_field *ft = calloc((size_t)d->n_fields + 1, sizeof *ft);
    struct cache_part *parts = malloc(((size_t)2 * d->n_fields + 6) * sizeof *parts);
    if (!ft || !parts) {
        free(ft);
        free(parts);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int np = cache_parts(d, &m, ft, parts);
    m.n_skipped = n_skipped;
    /* The checksum of the padded payload as one block: a part's whole words, then its
     * last bytes and the zero padding together (every part starts on a word). */
    static const unsigned char zeros[CACHE_ALIGN];
    uint64_t sum = CACHE_HASH_SEED, bytes = 0;
    for (int i = 0; i < np; i++) {
        if (parts[i].n == 0) continue;                  /* an empty part takes no room */
        size_t whole = parts[i].n & ~(size_t)7, padded = (size_t)cache_align(parts[i].n);
        unsigned char tail[CACHE_ALIGN] = { 0 };
        memcpy(tail, (const char *)parts[i].p + whole, parts[i].n - whole);
        sum = cache_checksum(sum, parts[i].p, whole);
        sum = cache_checksum(sum, tail, padded - whole);
        bytes += padded;
    }
    h.payload_bytes = bytes;
    h.payload_sum = sum;
    h.header_sum = cache_checksum(CACHE_HASH_SEED, &h, offsetof(struct cache_header, header_sum));

    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int rc = -1;
    FILE *fp = NULL;
    int fd = -1;
    if (cache_mkdirs(path) == 0) {
        unlink(tmp);                      /* a leftover (or a FIFO planted there) never blocks us */
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0666);
        if (fd >= 0 && !(fp = fdopen(fd, "wb"))) close(fd);
    }
    if (!fp) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    int ok = fwrite(&h, sizeof h, 1, fp) == 1 && fwrite(zeros, CACHE_PAYLOAD_AT - sizeof h, 1, fp) == 1;
    for (int i = 0; ok && i < np; i++) {
        size_t pad = (size_t)cache_align(parts[i].n) - parts[i].n;
        ok = (parts[i].n == 0 || fwrite(parts[i].p, parts[i].n, 1, fp) == 1) &&
             (pad == 0 || fwrite(zeros, pad, 1, fp) == 1);
    }
    if (fclose(fp) != 0) ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: %s", ok ? path : tmp, strerror(errno));
        remove(tmp);
        goto out;
    }
    rc = 0;
out:
    free(ft);
    free(parts);
    return rc;
}

int cache_save(const char *path, const struct dataset *d, const struct cache_key *k, int n_skipped,
               char *err, size_t errlen)
{
    struct cache_header h;
    if (k->n_paths > CACHE_MAX_SOURCES) {
        snprintf(err, errlen, "%s: too many sources to cache", path);
        return -1;
    }
    if (cache_fill_header(&h, k, err, errlen)) return -1;
    return cache_save_h(path, d, &h, n_skipped, err, errlen);
}

/* ---- load ---------------------------------------------------------------------- */

/* Walks the mapped payload: cache_take hands out the next part of n bytes (and skips
 * its padding), or NULL when that would run past the end. */
struct cache_cursor { const char *base; uint64_t at, len; };

static const void *cache_take(struct cache_cursor *c, uint64_t n)
{
    uint64_t padded = cache_align(n);                /* at <= len always holds */
    if (padded < n || padded > c->len - c->at) return NULL;
    const void *p = c->base + c->at;
    c->at += padded;
    return p;
}

/* What the format allows, checked on every load (a cache is input like any other: a
 * file from elsewhere can carry a matching checksum over impossible contents).
 * 0, or -1 with why saying which field, row and value broke which bound. */
static int cache_check(const struct dataset *d, const struct cache_meta *m, char *why, size_t whylen)
{
    int64_t n = d->n_rows, total = 0;
    if ((m->has_time | m->has_prob | m->day_split | m->synthetic_fallback) & ~1 || m->n_skipped < 0 ||
        m->day_offset_s <= -86400 || m->day_offset_s >= 86400) {
        snprintf(why, whylen, "invalid contents (bad dataset flags)");
        return -1;
    }
    const int32_t roles[3] = { m->user_field, m->item_field, m->category_field };
    for (int i = 0; i < 3; i++)
        if (roles[i] < -1 || roles[i] >= d->n_fields) {
            snprintf(why, whylen, "invalid contents (%s field index %d outside [-1, %d))",
                     i == 0 ? "user" : i == 1 ? "item" : "category", (int)roles[i], d->n_fields);
            return -1;
        }
    for (int f = 0; f < d->n_fields; f++) {
        const struct field *fl = &d->fields[f];
        int64_t len = fl->multi ? fl->offs[n] : n, card = fl->card;
        /* ids are renumbered densely when a cache is built: every id 1..card-1 occurs,
         * and a single-valued field of a non-empty dataset has one real value at least */
        int32_t min_card = !fl->multi && !fl->num && n > 0 ? 2 : 1;
        if (card < min_card || card > len + 1 || (total += card) > INT32_MAX) {
            snprintf(why, whylen, "invalid contents (field %s: cardinality %lld for %lld values%s)", fl->name,
                     (long long)card, (long long)len, total > INT32_MAX ? ", ids past 2^31 in all" : "");
            return -1;
        }
        if (fl->multi)
            for (int64_t r = 0; r < n; r++)
                if (fl->offs[r + 1] < fl->offs[r]) {
                    snprintf(why, whylen, "invalid contents (field %s: list offsets decrease at row %lld: "
                             "%lld then %lld)", fl->name, (long long)r, (long long)fl->offs[r],
                             (long long)fl->offs[r + 1]);
                    return -1;
                }
        if (fl->num && card > 2) {
            snprintf(why, whylen, "invalid contents (numeric field %s: cardinality %lld)", fl->name, (long long)card);
            return -1;
        }
        for (int64_t r = 0; fl->num && r < n; r++)      /* id 0 exactly where the value is missing */
            if (!(isnan(fl->num[r]) ? fl->ids[r] == 0 : fl->ids[r] == 1 && fabsf(fl->num[r]) < 1e30f)) {
                snprintf(why, whylen, "invalid contents (numeric field %s: value %g with id %d at row %lld)", fl->name,
                         (double)fl->num[r], (int)fl->ids[r], (long long)r);
                return -1;
            }
        const int32_t *col = fl->multi ? fl->mids : fl->ids;
        for (int64_t i = 0; i < len; i++)
            if (col[i] < 0 || col[i] >= card) {
                snprintf(why, whylen, "invalid contents (field %s: id %d at %s %lld outside [0, %lld))",
                         fl->name, (int)col[i], fl->multi ? "list entry" : "row", (long long)i, (long long)card);
                return -1;
            }
    }
    for (int64_t r = 0; r < n; r++)
        if (d->label[r] != 0.0f && d->label[r] != 1.0f) {
            snprintf(why, whylen, "invalid contents (label %g at row %lld is not 0 or 1)", (double)d->label[r],
                     (long long)r);
            return -1;
        }
    for (int64_t r = 0; d->prob && r < n; r++)
        if (!(d->prob[r] >= 0.0f && d->prob[r] <= 1.0f)) {
            snprintf(why, whylen, "invalid contents (probability %g at row %lld outside [0, 1])",
                     (double)d->prob[r], (long long)r);
            return -1;
        }
    return 0;
}

/* cache_load against the source header want (cache_fill_header of k). */
static int cache_load_h(const char *path, struct dataset *d, const struct cache_key *k,
                        const struct cache_header *want, int *n_skipped, char *why, size_t whylen)
{
    memset(d, 0, sizeof *d);
    d->user_field = d->item_field = d->category_field = -1;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);     /* a FIFO must not block */
    if (fd < 0) {
        if (errno == ENOENT) return 1;
        snprintf(why, whylen, "cannot open: %s", strerror(errno));
        return -1;
    }
    struct stat st = { 0 };
    struct cache_header h;
    if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "not a regular file (%s)", S_ISFIFO(st.st_mode) ? "a FIFO" :
                 S_ISDIR(st.st_mode) ? "a folder" : "a device or socket");
        goto fail;
    }
    if (fstat(fd, &st) != 0 || pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h) {
        snprintf(why, whylen, "truncated header (%lld bytes)", (long long)st.st_size);
        goto fail;
    }
    if (memcmp(h.magic, CACHE_MAGIC, 8) != 0 || h.bom != 0x01020304u) {
        snprintf(why, whylen, "not an APG cache file (bad magic)");
        goto fail;
    }
    if (h.header_sum != cache_checksum(CACHE_HASH_SEED, &h, offsetof(struct cache_header, header_sum))) {
        snprintf(why, whylen, "corrupted header (checksum mismatch)");
        goto fail;
    }
    if (h.version != CACHE_VERSION) {
        snprintf(why, whylen, "cache version %u, this build writes %u", h.version, CACHE_VERSION);
        goto fail;
    }
    if (strncmp(h.spec, want->spec, sizeof h.spec) != 0 || h.opts_hash != want->opts_hash ||
        h.n_sources != want->n_sources) {
        snprintf(why, whylen, "written for other options (%.32s)", h.spec);
        goto fail;
    }
    for (int i = 0; i < k->n_paths; i++)
        if (memcmp(&h.src[i], &want->src[i], sizeof h.src[i]) != 0) {
            snprintf(why, whylen, "stale: %s changed since the cache was written (%s)", k->paths[i],
                     h.src[i].path_hash != want->src[i].path_hash ? "another file" :
                     h.src[i].size != want->src[i].size ? "size" : "SHA-256 of its bytes");
            goto fail;
        }
    uint64_t size = (uint64_t)st.st_size;
    if (h.payload_bytes > ((uint64_t)1 << 56) || size != CACHE_PAYLOAD_AT + h.payload_bytes) {
        uint64_t expect = CACHE_PAYLOAD_AT + h.payload_bytes;
        snprintf(why, whylen, "%s (%llu of %llu bytes)", size < expect ? "truncated" : "has trailing bytes",
                 (unsigned long long)size, (unsigned long long)expect);
        goto fail;
    }

    /* Map the file (read-only, private, prefaulted: the checksum reads every page). */
    void *map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (map == MAP_FAILED) {
        snprintf(why, whylen, "cannot map: %s", strerror(errno));
        goto fail;
    }
    close(fd);
    fd = -1;
    d->map = map;
    d->map_len = (size_t)size;
    for (size_t i = sizeof h; i < CACHE_PAYLOAD_AT; i++)
        if (((const unsigned char *)map)[i]) {
            snprintf(why, whylen, "corrupted header (nonzero padding)");
            goto fail;
        }
    struct cache_cursor c = { (const char *)map + CACHE_PAYLOAD_AT, 0, h.payload_bytes };
    if (cache_checksum(CACHE_HASH_SEED, c.base, h.payload_bytes) != h.payload_sum) {
        snprintf(why, whylen, "corrupted payload (checksum mismatch)");
        goto fail;
    }

    struct cache_meta m;
    const void *mp = cache_take(&c, sizeof m);
    if (mp) memcpy(&m, mp, sizeof m);
    if (!mp || m.n_rows < 0 || m.n_fields < 1 || m.n_fields > CACHE_MAX_FIELDS ||
        m.user_field >= m.n_fields || m.item_field >= m.n_fields || m.category_field >= m.n_fields) {
        snprintf(why, whylen, "corrupted payload (bad dataset sizes)");
        goto fail;
    }
    const struct cache_field *ft = cache_take(&c, (uint64_t)m.n_fields * sizeof *ft);
    d->fields = calloc((size_t)m.n_fields, sizeof *d->fields);
    if (!d->fields) {
        snprintf(why, whylen, "out of memory");
        goto fail;
    }
    m.name[sizeof m.name - 1] = m.label_rule[sizeof m.label_rule - 1] = '\0';
    snprintf(d->name, sizeof d->name, "%s", m.name);
    snprintf(d->label_rule, sizeof d->label_rule, "%s", m.label_rule);
    d->n_rows = m.n_rows;
    d->n_fields = m.n_fields;
    d->user_field = m.user_field;
    d->item_field = m.item_field;
    d->category_field = m.category_field;
    d->synthetic_fallback = m.synthetic_fallback;
    d->day_split = m.day_split != 0;
    d->day_offset_s = m.day_offset_s;
    int64_t given_sum = (int64_t)m.given[0] + m.given[1] + m.given[2];
    if (m.given[0] < 0 || m.given[1] < 0 || m.given[2] < 0 || (given_sum && given_sum != m.n_rows) ||
        (given_sum && (!m.given[0] || !m.given[2]))) {
        snprintf(why, whylen, "invalid contents (given split sizes %d + %d + %d for %d rows)", m.given[0], m.given[1],
                 m.given[2], m.n_rows);
        goto fail;
    }
    memcpy(d->given, m.given, sizeof d->given);
    if (m.header_lines < 0 || m.header_lines > CACHE_MAX_SOURCES || m.pad) {
        snprintf(why, whylen, "invalid contents (%d header lines)", m.header_lines);
        goto fail;
    }
    d->header_lines = m.header_lines;
    uint64_t n = (uint64_t)m.n_rows;
    int bad = !ft;
    for (int f = 0; f < m.n_fields && !bad; f++) {
        struct field *fl = &d->fields[f];
        memcpy(fl->name, ft[f].name, DATA_NAME_LEN);
        fl->name[DATA_NAME_LEN - 1] = '\0';
        fl->card = ft[f].card;
        fl->multi = ft[f].multi != 0;
        if (ft[f].card < 1 || ft[f].n_mids < 0 || ft[f].n_mids > (int64_t)1 << 40) {
            bad = 1;
        } else if (fl->multi) {
            fl->offs = (int64_t *)cache_take(&c, (n + 1) * sizeof *fl->offs);
            fl->mids = (int32_t *)cache_take(&c, (uint64_t)ft[f].n_mids * sizeof *fl->mids);
            bad = !fl->offs || !fl->mids || fl->offs[0] != 0 || fl->offs[n] != ft[f].n_mids;
        } else {
            fl->ids = (int32_t *)cache_take(&c, n * sizeof *fl->ids);
            bad = !fl->ids || (ft[f].numeric & ~1) || ft[f].pad;
            if (!bad && ft[f].numeric) bad = !(fl->num = (float *)cache_take(&c, n * sizeof *fl->num));
        }
    }
    if (!bad) bad = !(d->label = (float *)cache_take(&c, n * sizeof *d->label));
    if (!bad && m.has_time) bad = !(d->time = (int64_t *)cache_take(&c, n * sizeof *d->time));
    if (!bad && m.has_prob) bad = !(d->prob = (float *)cache_take(&c, n * sizeof *d->prob));
    if (bad || c.at != c.len) {
        snprintf(why, whylen, "corrupted payload (sizes do not add up)");
        goto fail;
    }
    if (cache_check(d, &m, why, whylen)) goto fail;
    if (n_skipped) *n_skipped = m.n_skipped;
    return 0;
fail:
    if (fd >= 0) close(fd);
    dataset_free(d);
    return -1;
}

int cache_load(const char *path, struct dataset *d, const struct cache_key *k, int *n_skipped,
               char *why, size_t whylen)
{
    struct cache_header want;
    char err[512];
    if (access(path, F_OK) != 0 && errno == ENOENT) {
        memset(d, 0, sizeof *d);
        d->user_field = d->item_field = d->category_field = -1;
        return 1;
    }
    if (k->n_paths > CACHE_MAX_SOURCES || cache_fill_header(&want, k, err, sizeof err)) {
        memset(d, 0, sizeof *d);
        d->user_field = d->item_field = d->category_field = -1;
        snprintf(why, whylen, "%s", k->n_paths > CACHE_MAX_SOURCES ? "too many sources" : err);
        return -1;
    }
    int rc = cache_load_h(path, d, k, &want, n_skipped, why, whylen);
    if (rc < 0) cli_one_line(why, whylen);      /* field names from the file */
    return rc;
}

/* ---- load or build ------------------------------------------------------------- */

int cache_load_or_build(struct dataset *d, const struct data_opts *o, const struct cache_key *k,
                        cache_build_fn build, void *ctx, char *err, size_t errlen)
{
    int skipped = 0;
    if (o->no_cache) {
        if (build(d, ctx, &skipped, err, errlen)) return -1;
        return 0;
    }
    char path[4096], why[512];
    cache_path(path, sizeof path, o->cache_dir, k);
    /* the sources are hashed once, before the build: a file edited while it is parsed
     * leaves a cache that the next run finds stale */
    struct cache_header want;
    if (k->n_paths > CACHE_MAX_SOURCES || cache_fill_header(&want, k, why, sizeof why)) {
        fprintf(stderr, "apg: cache %s: cannot hash the sources (%s); continuing without the cache\n", path,
                k->n_paths > CACHE_MAX_SOURCES ? "too many" : why);
        return build(d, ctx, &skipped, err, errlen) ? -1 : 0;
    }
    int rc = cache_load_h(path, d, k, &want, &skipped, why, sizeof why);
    if (rc < 0) cli_one_line(why, sizeof why);
    if (rc == 0) {
        if (skipped)
            fprintf(stderr, "%s: %d bad rows were skipped when %s was built\n", k->spec, skipped, path);
        return 0;
    }
    if (rc < 0) fprintf(stderr, "apg: cache %s: %s; rebuilding\n", path, why);
    if (build(d, ctx, &skipped, err, errlen)) return -1;
    char werr[512];
    if (cache_save_h(path, d, &want, skipped, werr, sizeof werr))
        fprintf(stderr, "apg: cannot write the cache (%s); continuing without it\n", werr);
    return 0;
}

int cache_load_files(struct dataset *d, const struct data_opts *o, const char *spec, const struct dataset_files *f,
                     uint64_t spec_hash, cache_build_fn build, void *ctx, char *err, size_t errlen)
{
    struct cache_key k = { .spec = spec, .n_paths = f->n };
    for (int i = 0; i < f->n; i++) {
        char oerr[4200];
        FILE *fp = csvread_open(f->path[i], oerr, sizeof oerr);   /* a FIFO or device is refused up front */
        if (!fp) {
            snprintf(err, errlen, "%s: %s", spec, oerr);
            return -1;
        }
        fclose(fp);
        k.paths[i] = f->path[i];
    }
    k.opts_hash = cache_hash_common(CACHE_HASH_SEED, &k, o);
    for (int i = 0; f->given && i < f->n; i++) k.opts_hash = cache_hash_i64(k.opts_hash, f->role[i]);
    k.opts_hash = cache_hash_i64(k.opts_hash, (int64_t)spec_hash);
    return cache_load_or_build(d, o, &k, build, ctx, err, errlen);
}

int cache_load_file(struct dataset *d, const struct data_opts *o, const char *spec, const char *path,
                    cache_build_fn build, void *ctx, char *err, size_t errlen)
{
    struct dataset_files f = { .n = 1 };
    snprintf(f.path[0], sizeof f.path[0], "%s", path);
    return cache_load_files(d, o, spec, &f, 0, build, ctx, err, errlen);
}
