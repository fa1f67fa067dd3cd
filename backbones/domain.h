/* The domain of a row for the coarse-grained baselines of Appendix E (MMoE, Star): the
 * local id of one named single-valued field ("item", the default, names the dataset's
 * item field: item_id, movie_id, ..., so every item is a domain). Parameters per domain are sparse tables of card(field) rows indexed by it. */
#ifndef APG_DOMAIN_H
#define APG_DOMAIN_H
#include <stddef.h>
#include <stdint.h>
#include "graph.h"
#include "data.h"

struct domain {
    int     field;     /* field index in the dataset */
    int32_t base;      /* its first global id (data_field_bases) */
    int32_t n;         /* domains = card(field): local ids in [0, n) */
};

/* Finds field name in d ("item": d->item_field). 0, or -1 with err naming opt and listing the fields when it is
 * absent or multi-valued. */
int domain_init(struct domain *dm, const struct dataset *d, const char *name, const char *opt,
                char *err, size_t errlen);
/* Local ids of the batch's rows (B), in the step arena (they outlive the step's tape):
 * ids[b*F + field] - base, or the one id of the row's bag when the batch has bags. */
const int32_t *domain_ids(const struct domain *dm, struct graph *g, const struct batch *b);

#endif
