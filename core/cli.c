#include "cli.h"
#include <errno.h>
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
    case OPT_INT: case OPT_I64: case OPT_U64: {
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
        } else if (o->type == OPT_I64) {
            *(int64_t *)p = v;
        } else {
            if (v < 0) {
                snprintf(err, errlen, "--%s: expected a non-negative integer, got '%s'", o->name, val);
                return -1;
            }
            *(uint64_t *)p = (uint64_t)v;
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
