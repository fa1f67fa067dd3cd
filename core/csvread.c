/* libcsv wrapper: reads a file in 1 MiB chunks, collects each record's fields and
 * hands them to a callback with the record's line number. "::" files are fed to
 * libcsv with every "::" rewritten to the unit separator 0x1F (a single ':' inside
 * a MovieLens title stays a ':'). Line counting uses CSV_REPALL_NL: every '\n' (or a
 * lone '\r') ends a line, the '\n' of a CRLF pair does not count twice, and newlines
 * inside quoted fields are added after their record. */
#include "csvread.h"
#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define CSVREAD_CHUNK (1u << 20)
#define CSVREAD_US 0x1F   /* what "::" becomes */

struct csvread_state {
    const struct csvread_opts *o;
    csvread_fn fn;
    void *ctx;
    const char *path;
    char *err;
    size_t errlen;
    char *buf;              /* this record's field bytes, each NUL-terminated */
    size_t buf_len, buf_cap;
    size_t *off, *len;      /* per field: offset into buf, length */
    char **ptr;
    int n, cap;
    long line;              /* line of the next record's first byte */
    long nl_in_fields;      /* newlines inside this record's quoted fields */
    int prev_cr;            /* the last record/blank line ended with '\r' */
    int stop;               /* nonzero: the callback's result, or -1 on out-of-memory */
    size_t max_record;      /* bytes one record may hold */
};

static int csvread_no_space(unsigned char c) { (void)c; return 0; }

static void csvread_field(void *field, size_t n, void *data)
{
    struct csvread_state *s = data;
    if (s->stop) return;
    if (s->buf_len + n > s->max_record) {      /* a runaway line: not a text data file */
        snprintf(s->err, s->errlen, "%s:%ld: field %d: the line is longer than %zu bytes (not a text data file?)",
                 s->path, s->line, s->n + 1, s->max_record);
        s->stop = -1;
        return;
    }
    if (n && memchr(field, '\0', n)) {         /* would cut the field short at the NUL */
        snprintf(s->err, s->errlen, "%s:%ld: field %d: NUL byte inside the field (a binary or damaged file?)",
                 s->path, s->line, s->n + 1);
        s->stop = -1;
        return;
    }
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 32;
        size_t *off = realloc(s->off, (size_t)cap * sizeof *off);
        if (off) s->off = off;
        size_t *len = realloc(s->len, (size_t)cap * sizeof *len);
        if (len) s->len = len;
        char **ptr = realloc(s->ptr, (size_t)cap * sizeof *ptr);
        if (ptr) s->ptr = ptr;
        if (!off || !len || !ptr) {
            snprintf(s->err, s->errlen, "%s: out of memory", s->path);
            s->stop = -1;
            return;
        }
        s->cap = cap;
    }
    if (s->buf_len + n + 1 > s->buf_cap) {
        size_t cap = s->buf_cap ? s->buf_cap : 256;
        while (cap < s->buf_len + n + 1) cap *= 2;
        char *b = realloc(s->buf, cap);
        if (!b) {
            snprintf(s->err, s->errlen, "%s: out of memory", s->path);
            s->stop = -1;
            return;
        }
        s->buf = b;
        s->buf_cap = cap;
    }
    if (n) memcpy(s->buf + s->buf_len, field, n);
    if (s->o->quote && n && memchr(field, '\n', n))
        for (size_t i = 0; i < n; i++) s->nl_in_fields += ((const char *)field)[i] == '\n';
    s->off[s->n] = s->buf_len;
    s->len[s->n] = n;
    s->buf[s->buf_len + n] = '\0';
    s->buf_len += n + 1;
    s->n++;
}

/* c: the terminator ('\n', '\r') or -1 at the end of a file without a final newline. */
static void csvread_record(int c, void *data)
{
    struct csvread_state *s = data;
    if (s->stop) return;
    if (s->n > 0) {
        for (int i = 0; i < s->n; i++) s->ptr[i] = s->buf + s->off[i];
        struct csvread_row r = { s->n, s->ptr, s->len, s->line, s->path };
        int rc = s->fn(s->ctx, &r, s->err, s->errlen);
        if (rc) s->stop = rc;
        s->line += s->nl_in_fields;
        s->nl_in_fields = 0;
        s->n = 0;
        s->buf_len = 0;
        if (c == '\n' || c == '\r') s->line++;
    } else if (c == '\r' || (c == '\n' && !s->prev_cr)) {
        s->line++;                              /* a blank line */
    }
    s->prev_cr = c == '\r';
}

/* Rewrites "::" to 0x1F from in[0..n) into out (n bytes suffice); *pend carries a
 * ':' seen at the end of the previous chunk. Returns the bytes written. */
static size_t csvread_dcolon(const char *in, size_t n, char *out, int *pend)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char b = in[i];
        if (b == ':') {
            if (*pend) { out[k++] = CSVREAD_US; *pend = 0; }
            else *pend = 1;
            continue;
        }
        if (*pend) { out[k++] = ':'; *pend = 0; }
        const char *c = memchr(in + i, ':', n - i);
        size_t run = c ? (size_t)(c - (in + i)) : n - i;
        memcpy(out + k, in + i, run);
        k += run;
        i += run - 1;
    }
    return k;
}

static const char *csvread_kind(mode_t m)
{
    return S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" :
           S_ISDIR(m) ? "a folder" : S_ISSOCK(m) ? "a socket" : "not a plain file";
}

FILE *csvread_open(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file (%s)", path, csvread_kind(st.st_mode));
        close(fd);
        return NULL;
    }
    if ((long long)st.st_size > CSVREAD_MAX_FILE) {
        snprintf(err, errlen, "%s: %lld bytes, over the %lld-byte limit of a data file", path,
                 (long long)st.st_size, CSVREAD_MAX_FILE);
        close(fd);
        return NULL;
    }
    int fl = fcntl(fd, F_GETFL);
    FILE *fp = fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0 ? NULL : fdopen(fd, "rb");
    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
    }
    return fp;
}

int csvread_file(const char *path, const struct csvread_opts *o, csvread_fn fn, void *ctx,
                 char *err, size_t errlen)
{
    FILE *fp = csvread_open(path, err, errlen);
    if (!fp) return -1;
    struct csv_parser p;
    if (csv_init(&p, CSV_REPALL_NL) != 0) {
        fclose(fp);
        snprintf(err, errlen, "%s: cannot initialise libcsv", path);
        return -1;
    }
    int dcolon = o->delim == CSVREAD_DCOLON;
    csv_set_delim(&p, dcolon ? CSVREAD_US : (unsigned char)o->delim);
    csv_set_quote(&p, o->quote ? CSV_QUOTE : 0);
    if (!o->trim) csv_set_space_func(&p, csvread_no_space);
    csv_set_blk_size(&p, 4096);

    struct csvread_state s = { .o = o, .fn = fn, .ctx = ctx, .path = path, .err = err,
                               .errlen = errlen, .line = 1,
                               .max_record = o->max_record ? o->max_record : CSVREAD_MAX_RECORD };
    long long total = 0;
    char *in = malloc(CSVREAD_CHUNK), *tr = dcolon ? malloc(CSVREAD_CHUNK + 1) : NULL;
    int rc = 0, pend = 0;
    if (!in || (dcolon && !tr)) {
        snprintf(err, errlen, "%s: out of memory", path);
        rc = -1;
    }
    while (!rc) {
        size_t n = fread(in, 1, CSVREAD_CHUNK, fp);
        if (n == 0) {
            if (ferror(fp)) {
                snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
                rc = -1;
            }
            break;
        }
        if ((total += (long long)n) > CSVREAD_MAX_FILE) {      /* the file grew while being read */
            snprintf(err, errlen, "%s: more than %lld bytes, the limit of a data file", path, CSVREAD_MAX_FILE);
            rc = -1;
            break;
        }
        const char *feed = in;
        if (dcolon) {
            n = csvread_dcolon(in, n, tr, &pend);
            feed = tr;
        }
        if (csv_parse(&p, feed, n, csvread_field, csvread_record, &s) != n) {
            snprintf(err, errlen, "%s:%ld: %s", path, s.line, csv_strerror(csv_error(&p)));
            rc = -1;
        }
        if (s.stop) rc = s.stop;
        if (!rc && p.entry_pos + s.buf_len > s.max_record) {     /* libcsv's buffer of an unended field */
            snprintf(err, errlen, "%s:%ld: field %d: the line is longer than %zu bytes (not a text data file?)",
                     path, s.line, s.n + 1, s.max_record);
            rc = -1;
        }
    }
    if (!rc && pend) {                          /* a lone ':' ended the file */
        char colon = ':';
        csv_parse(&p, &colon, 1, csvread_field, csvread_record, &s);
        if (s.stop) rc = s.stop;
    }
    if (!rc) {
        csv_fini(&p, csvread_field, csvread_record, &s);
        if (s.stop) rc = s.stop;
    }
    csv_free(&p);
    fclose(fp);
    free(in);
    free(tr);
    free(s.buf);
    free(s.off);
    free(s.len);
    free(s.ptr);
    return rc;
}

int csvread_split(const char *s, size_t len, char sep,
                  int (*fn)(void *ctx, const char *piece, size_t n), void *ctx)
{
    if (len == 0) return 0;
    const char *end = s + len;
    for (;;) {
        const char *q = memchr(s, sep, (size_t)(end - s));
        size_t n = q ? (size_t)(q - s) : (size_t)(end - s);
        int rc = fn(ctx, s, n);
        if (rc) return rc;
        if (!q) return 0;
        s = q + 1;
    }
}

int csvread_i64(const char *s, long long *out)
{
    const char *p = s;
    int neg = 0;
    if (*p == '-' || *p == '+') neg = *p++ == '-';
    if (*p < '0' || *p > '9') return -1;
    uint64_t v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_C(9223372036854775808) - (uint64_t)(*p - '0')) / 10) return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (*p) return -1;
    if (!neg && v > INT64_MAX) return -1;
    *out = neg ? (long long)(0 - v) : (long long)v;
    return 0;
}

int csvread_time(const char *s, long long *out)
{
    long long v;
    if (csvread_i64(s, &v) || v < 0 || v > CSVREAD_TIME_MAX) return -1;
    *out = v;
    return 0;
}

int csvread_f64(const char *s, double *out)
{
    if (!*s || *s == ' ' || *s == '\t') return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int csvread_bad_row(struct csvread_bad *b, const struct csvread_row *r, const char *field,
                    char *err, size_t errlen, const char *fmt, ...)
{
    char reason[256], msg[sizeof b->first];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof msg, "%s:%ld: field %s: %s", r->path, r->line, field, reason);
    if (!b->skip) {
        snprintf(err, errlen, "%s", msg);
        return 1;
    }
    if (b->count++ == 0) memcpy(b->first, msg, sizeof msg);
    return 0;
}

void csvread_bad_report(const struct csvread_bad *b, const char *spec)
{
    if (b->count > 0)
        fprintf(stderr, "%s: skipped %ld bad row%s (--skip-bad-rows); first: %s\n", spec, b->count,
                b->count == 1 ? "" : "s", b->first);
}

/* 1: a regular file; 0: absent; -1: there but not a regular file (err says what). */
static int csvread_is_file(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) return 0;
    if (S_ISREG(st.st_mode)) return 1;
    if (S_ISDIR(st.st_mode)) return 0;      /* DIR/FILE may name a folder: look further */
    snprintf(err, errlen, "%s: not a regular file (%s)", path, csvread_kind(st.st_mode));
    return -1;
}

int csvread_locate(char *out, size_t n, const char *dir, const char *sub, const char *file,
                   const char *spec, char *err, size_t errlen)
{
    if (!dir || !*dir) dir = "data";
    snprintf(out, n, "%s/%s/%s", dir, sub, file);
    int k = csvread_is_file(out, err, errlen);
    if (k) return k > 0 ? 0 : -1;
    snprintf(out, n, "%s/%s", dir, file);
    if ((k = csvread_is_file(out, err, errlen))) return k > 0 ? 0 : -1;
    snprintf(err, errlen, "%s: %s not found (looked for %s/%s/%s and %s/%s); run `scripts/fetch-data.sh %s` "
             "or pass --data DIR (the folder holding %s/)", spec, file, dir, sub, file, dir, file, spec, sub);
    return -1;
}

static int csvread_word(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
              *s == '-' || *s == ' '))
            return 0;
    return 1;
}

int csvread_header_line(const struct csvread_row *r, const int *num, int n_num, const char *spec)
{
    if (r->line != 1 || n_num < 1) return 0;
    for (int i = 0; i < n_num; i++)
        if (num[i] >= r->n || !csvread_word(r->f[num[i]])) return 0;
    char shown[200] = "";
    for (int i = 0; i < r->n && strlen(shown) < sizeof shown - 40; i++) {
        if (i) strcat(shown, ",");
        strncat(shown, r->f[i], sizeof shown - strlen(shown) - 8);
    }
    fprintf(stderr, "%s: %s:1 is a header line (%s): skipped\n", spec, r->path, shown);
    return 1;
}
