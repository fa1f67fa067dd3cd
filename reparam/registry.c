#include "reparam.h"
#include "registry.h"
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const struct reparam_form *const table[] = {
#define X(name) &reparam_##name,
#include "forms.def"
#undef X
};
#define N_FORMS ((int)(sizeof table / sizeof table[0]))
_Static_assert(offsetof(struct reparam_form, name) == 0, "registry entries start with their name");
#define ENTRIES ((const void *const *)table)

const struct reparam_form *reparam_find(const char *name)
{
    int i = registry_index(ENTRIES, N_FORMS, name);
    return i < 0 ? NULL : table[i];
}

int reparam_count(void) { return N_FORMS; }
const struct reparam_form *reparam_at(int i) { return table[i]; }

const char *reparam_names(void)
{
    static char buf[128];
    return registry_names(ENTRIES, N_FORMS, buf, sizeof buf);
}

/* Forms that never read K (v1, v5) accept any K. K above min(N, M) (an overcomplete
 * factorisation) and P below K (a rank-P chain) are valid products: the paper's Fig 7
 * sweeps both ("large K" up to 512, "small P" from 2). */
int reparam_check(const struct reparam_form *f, const struct reparam_dims *d, char *err, size_t errlen)
{
    int uses_k = f != &reparam_v1 && f != &reparam_v5;
    int uses_p = f->collapse_to != NULL;
    if (uses_k && d->K < 1) {
        snprintf(err, errlen, "%s needs K >= 1, got K = %d", f->name, d->K);
        return -1;
    }
    if (uses_p && d->P < 1) {
        snprintf(err, errlen, "%s needs P >= 1, got P = %d", f->name, d->P);
        return -1;
    }
    return 0;
}

float reparam_factor_lr(const struct reparam_form *f, const struct reparam_dims *d,
                        const struct apg_cfg *a)
{
    if (!f->collapse_to) return 1.0f;
    if (a->chain_lr > 0) return a->chain_lr;
    return strcmp(a->init, "plain") == 0 ? 1.0f : (float)(1.0 / sqrt((double)d->P));
}
