/* The condition table (conditions/conditions.def), lookup of "name:spec" strings, and
 * the helpers conditions share: a field's embedding and field-list parsing. */
#include "condition.h"
#include "ops.h"
#include <stdio.h>
#include <string.h>

static const struct condition_ops *const condition_table[] = {
#define X(name, sym) &condition_##sym,
#include "conditions.def"
#undef X
};
#define CONDITION_COUNT ((int)(sizeof condition_table / sizeof condition_table[0]))

const struct condition_ops *condition_find(const char *cond, const char **spec)
{
    if (spec) *spec = NULL;
    if (!cond) return NULL;
    const char *colon = strchr(cond, ':');
    size_t len = colon ? (size_t)(colon - cond) : strlen(cond);
    for (int i = 0; i < CONDITION_COUNT; i++) {
        const char *name = condition_table[i]->name;
        if (strlen(name) == len && strncmp(name, cond, len) == 0) {
            if (spec) *spec = colon ? colon + 1 : NULL;
            return condition_table[i];
        }
    }
    return NULL;
}

int condition_count(void) { return CONDITION_COUNT; }

const struct condition_ops *condition_at(int i)
{
    return i >= 0 && i < CONDITION_COUNT ? condition_table[i] : NULL;
}

struct tensor *condition_field_embedding(struct fwd_ctx *f, int fi)
{
    const struct tensor *e = f->emb;
    int B = e->shape[0], F = e->shape[1], E = e->shape[2];
    return t_slice(f->g, t_reshape2(f->g, f->emb, B, F * E), fi * E, E);
}

void condition_list_fields(const struct dataset *d, const char *prefix, char *buf, size_t len)
{
    size_t k = (size_t)snprintf(buf, len, "%s", prefix);
    for (int f = 0; d && f < d->n_fields && k < len; f++)
        k += (size_t)snprintf(buf + k, len - k, "%s%s", f ? ", " : "", d->fields[f].name);
    if (k < len) snprintf(buf + k, len - k, ")");
}

int condition_fields(const struct layer_ctx *c, const char *list, int *idx, int max, int *n,
                     char *err, size_t errlen)
{
    const struct dataset *d = c->data;
    char head[160];
    *n = 0;
    if (!d || d->n_fields < 1) {
        snprintf(err, errlen, "no dataset fields to condition on");
        return -1;
    }
    const char *p = list ? list : "";
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char name[DATA_NAME_LEN];
        int fi = -1;
        if (len > 0 && len < sizeof name) {
            memcpy(name, p, len);
            name[len] = '\0';
            fi = dataset_find_field(d, name);
        }
        if (fi < 0) {
            if (len == 0) snprintf(head, sizeof head, "missing field name in '%s' (fields of %s: ", list ? list : "", d->name);
            else snprintf(head, sizeof head, "unknown field '%.*s' (fields of %s: ", (int)(len > 60 ? 60 : len), p, d->name);
            condition_list_fields(d, head, err, errlen);
            return -1;
        }
        for (int j = 0; j < *n; j++)
            if (idx[j] == fi) {
                snprintf(err, errlen, "field '%s' listed twice", name);
                return -1;
            }
        if (*n == max) {
            snprintf(err, errlen, "more than %d fields", max);
            return -1;
        }
        idx[(*n)++] = fi;
        if (!end) return 0;
        p = end + 1;
    }
}
