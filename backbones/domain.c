/* Per-row domain ids of a named field (see domain.h). */
#include "domain.h"
#include <stdio.h>
#include <string.h>

int domain_init(struct domain *dm, const struct dataset *d, const char *name, const char *opt,
                char *err, size_t errlen)
{
    int f;
    if (name && strcmp(name, "item") == 0) {   /* the dataset's item field, whatever its name */
        f = d->item_field;
        if (f < 0) {
            snprintf(err, errlen, "--%s item: dataset %s records no item field; name a field", opt, d->name);
            return -1;
        }
    } else {
        f = name ? dataset_find_field(d, name) : -1;
    }
    if (f < 0 || d->fields[f].multi) {
        char list[400] = "";
        size_t k = 0;
        for (int i = 0; i < d->n_fields && k < sizeof list; i++)
            if (!d->fields[i].multi)
                k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", k ? ", " : "", d->fields[i].name);
        snprintf(err, errlen, "--%s: %s field '%s' (single-valued fields: %s)", opt,
                 f < 0 ? "no" : "multi-valued", name ? name : "", list);
        return -1;
    }
    int32_t base = 0;
    for (int i = 0; i < f; i++) base += d->fields[i].card;   /* as data_field_bases */
    dm->field = f;
    dm->base = base;
    dm->n = d->fields[f].card;
    return 0;
}

const int32_t *domain_ids(const struct domain *dm, struct graph *g, const struct batch *b)
{
    int B = b->n, F = b->n_fields, f = dm->field;
    int32_t *ids = arena_alloc(&g->arena, sizeof(int32_t) * (size_t)B);
    for (int i = 0; i < B; i++) {
        int32_t id = b->ids ? b->ids[(size_t)i * F + f] : b->bag_ids[b->offs[(size_t)i * F + f]];
        ids[i] = id - dm->base;
    }
    return ids;
}
