#include "backbone.h"
#include "registry.h"
#include <string.h>
#include <stddef.h>

static const struct backbone_ops *const table[] = {
#define X(name) &backbone_##name,
#include "backbones.def"
#undef X
};
#define N_BACKBONES ((int)(sizeof table / sizeof table[0]))
_Static_assert(offsetof(struct backbone_ops, name) == 0, "registry entries start with their name");
#define ENTRIES ((const void *const *)table)

const struct backbone_ops *backbone_find(const char *name)
{
    int i = registry_index(ENTRIES, N_BACKBONES, name);
    return i < 0 ? NULL : table[i];
}

int backbone_count(void) { return N_BACKBONES; }
const struct backbone_ops *backbone_at(int i) { return table[i]; }

const char *backbone_names(void)
{
    static char buf[256];
    return registry_names(ENTRIES, N_BACKBONES, buf, sizeof buf);
}

void backbone_cfg_default(const struct backbone_ops *b, struct model_cfg *cfg)
{
    memset(cfg->bb_cfg, 0, sizeof cfg->bb_cfg);
    if (b->cfg_default) b->cfg_default(cfg->bb_cfg);
}
