#include "cli.h"
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct opt *find_opt(const struct opt_group *groups, int n_groups, const char *name,
                                  size_t len, void **target)
{
    for (int g = 0; g < n_groups; g++)
        for (const struct opt *o = groups[g].opts; o->name; o++)
            if (strlen(o->name) == len && strncmp(o->name, name, len) == 0) {
                *target = groups[g].target;
                return o;
            }
    return NULL;
}

static int range_ok(const struct opt *o, double v, char *err, size_t errlen)
{
    if (o->min < o->max && (v < o->min || v > o->max)) {
        snprintf(err, errlen, "--%s: %g is out of range [%g, %g]", o->name, v, o->min, o->max);
        return 0;
    }
    return 1;
}

static int set_value(const struct opt *o, void *target, const char *val, char *err, size_t errlen)
{
    char *end = NULL;
    void *p = (char *)target + o->offset;
    errno = 0;
    switch (o->type) {
    case OPT_U64: {   /* the full uint64_t range (strtoull would accept "-1") */
        unsigned long long v = strchr(val, '-') ? 0 : strtoull(val, &end, 10);
        if (strchr(val, '-') || errno || end == val || *end) {
            snprintf(err, errlen, "--%s: expected a non-negative integer, got '%s'", o->name, val);
            return -1;
        }
        if (!range_ok(o, (double)v, err, errlen)) return -1;
        *(uint64_t *)p = (uint64_t)v;
        return 0;
    }
    case OPT_INT: case OPT_I64: {
        long long v = strtoll(val, &end, 10);
        if (errno || end == val || *end) {
            snprintf(err, errlen, "--%s: expected an integer, got '%s'", o->name, val);
            return -1;
        }
        if (!range_ok(o, (double)v, err, errlen)) return -1;
        if (o->type == OPT_INT) {
            if (v < INT32_MIN || v > INT32_MAX) {
                snprintf(err, errlen, "--%s: %s does not fit an int", o->name, val);
                return -1;
            }
            *(int *)p = (int)v;
        } else {
            *(int64_t *)p = v;
        }
        return 0;
    }
    case OPT_FLOAT: case OPT_DOUBLE: {
        double v = strtod(val, &end);
        if (errno || end == val || *end || v != v) {
            snprintf(err, errlen, "--%s: expected a number, got '%s'", o->name, val);
            return -1;
        }
        if (!range_ok(o, v, err, errlen)) return -1;
        if (o->type == OPT_FLOAT) *(float *)p = (float)v;
        else *(double *)p = v;
        return 0;
    }
    case OPT_STR:
        *(const char **)p = val;
        return 0;
    case OPT_FLAG:
        *(int *)p = 1;
        return 0;
    }
    return -1;
}

int cli_parse(const struct opt_group *groups, int n_groups, int argc, char **argv,
              char **pos, int max_pos, int *n_pos, int *want_help, char *err, size_t errlen)
{
    *n_pos = 0;
    *want_help = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            *want_help = 1;
            continue;
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            if (*n_pos >= max_pos) {
                snprintf(err, errlen, "unexpected argument '%s'", a);
                return -1;
            }
            pos[(*n_pos)++] = argv[i];
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        void *target = NULL;
        const struct opt *o = find_opt(groups, n_groups, name, len, &target);
        if (!o) {
            snprintf(err, errlen, "unknown option '--%.*s' (see --help)", (int)len, name);
            return -1;
        }
        const char *val;
        if (o->type == OPT_FLAG) {
            if (eq) {
                snprintf(err, errlen, "--%s takes no value", o->name);
                return -1;
            }
            val = "1";
        } else if (eq) {
            val = eq + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            snprintf(err, errlen, "--%s needs a value (%s)", o->name, o->metavar ? o->metavar : "VALUE");
            return -1;
        }
        if (set_value(o, target, val, err, errlen)) return -1;
    }
    return 0;
}

static void print_default(FILE *f, const struct opt *o, const void *target)
{
    const void *p = (const char *)target + o->offset;
    switch (o->type) {
    case OPT_INT: fprintf(f, " (default %d)", *(const int *)p); break;
    case OPT_I64: fprintf(f, " (default %" PRId64 ")", *(const int64_t *)p); break;
    case OPT_U64: fprintf(f, " (default %" PRIu64 ")", *(const uint64_t *)p); break;
    case OPT_FLOAT: fprintf(f, " (default %g)", *(const float *)p); break;
    case OPT_DOUBLE: fprintf(f, " (default %g)", *(const double *)p); break;
    case OPT_STR: {
        const char *s = *(const char *const *)p;
        if (s) fprintf(f, " (default %s)", s);
        break;
    }
    case OPT_FLAG: break;
    }
}

void cli_help(FILE *f, const struct opt_group *groups, int n_groups)
{
    for (int g = 0; g < n_groups; g++) {
        fprintf(f, "\n%s:\n", groups[g].title);
        for (const struct opt *o = groups[g].opts; o->name; o++) {
            char lhs[64];
            snprintf(lhs, sizeof lhs, "--%s%s%s", o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
            fprintf(f, "  %-24s %s", lhs, o->help);
            print_default(f, o, groups[g].target);
            fputc('\n', f);
        }
    }
}

int cli_int_list(const char *s, int *out, int max)
{
    int n = 0;
    const char *p = s;
    if (!*p) return 0;
    while (*p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || end == p || v <= 0 || v > 1 << 20 || n >= max) return -1;
        out[n++] = (int)v;
        if (*end == ',') p = end + 1;
        else if (*end == '\0') p = end;
        else return -1;
        if (*end == ',' && !*p) return -1;
    }
    return n;
}

/* Appends to a growing string; 0, or -1 when out of memory. */
struct cli_buf { char *s; size_t n, cap; };

static int buf_printf(struct cli_buf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) return -1;
        if (b->s && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return 0;
        }
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->n + (size_t)k + 1) cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) return -1;
        b->s = s;
        b->cap = cap;
    }
}

char *cli_format(const struct opt_group *groups, int n_groups, char *err, size_t errlen)
{
    struct cli_buf b = { 0 };
    if (buf_printf(&b, "%s", "")) goto oom;
    for (int g = 0; g < n_groups; g++)
        for (const struct opt *o = groups[g].opts; o->name; o++) {
            const void *p = (const char *)groups[g].target + o->offset;
            int rc = 0;
            switch (o->type) {
            case OPT_INT: rc = buf_printf(&b, "--%s=%d\n", o->name, *(const int *)p); break;
            case OPT_I64: rc = buf_printf(&b, "--%s=%" PRId64 "\n", o->name, *(const int64_t *)p); break;
            case OPT_U64: rc = buf_printf(&b, "--%s=%" PRIu64 "\n", o->name, *(const uint64_t *)p); break;
            case OPT_FLOAT: rc = buf_printf(&b, "--%s=%.9g\n", o->name, (double)*(const float *)p); break;
            case OPT_DOUBLE: rc = buf_printf(&b, "--%s=%.17g\n", o->name, *(const double *)p); break;
            case OPT_STR: {
                const char *s = *(const char *const *)p;
                if (!s) break;
                if (strchr(s, '\n')) {
                    snprintf(err, errlen, "--%s: the value holds a newline and cannot be stored", o->name);
                    free(b.s);
                    return NULL;
                }
                rc = buf_printf(&b, "--%s=%s\n", o->name, s);
                break;
            }
            case OPT_FLAG:
                if (*(const int *)p) rc = buf_printf(&b, "--%s\n", o->name);
                break;
            }
            if (rc) goto oom;
        }
    return b.s;
oom:
    free(b.s);
    snprintf(err, errlen, "out of memory");
    return NULL;
}

int cli_parse_lines(const struct opt_group *groups, int n_groups, char *text, char *err, size_t errlen)
{
    int n = 0;
    for (const char *p = text; *p; p++) n += *p == '\n';
    char **argv = malloc(sizeof *argv * (size_t)(n + 1));
    if (!argv) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int argc = 0;
    for (char *p = text; *p;) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = '\0';
        if (*p) argv[argc++] = p;
        if (!nl) break;
        p = nl + 1;
    }
    char *pos[1];
    int n_pos, help;
    int rc = cli_parse(groups, n_groups, argc, argv, pos, 0, &n_pos, &help, err, errlen);
    if (rc == 0 && help) {
        snprintf(err, errlen, "unexpected --help");
        rc = -1;
    }
    free(argv);
    return rc;
}

void cli_one_line(char *s, size_t cap)
{
    if (!cap) return;
    size_t need = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) need += *p < 0x20 || *p == 0x7f ? 4 : 1;
    char *t = malloc(need + 1);
    if (!t) return;                                  /* left as it is */
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            t[k++] = '\\';
            t[k++] = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
        } else if (*p < 0x20 || *p == 0x7f) {
            k += (size_t)snprintf(t + k, 5, "\\x%02x", *p);
        } else {
            t[k++] = (char)*p;
        }
    }
    t[k] = '\0';
    snprintf(s, cap, "%s", t);
    free(t);
}
