#include "backbone.h"
#include <string.h>

static const struct backbone_ops *const table[] = {
#define X(name) &backbone_##name,
#include "backbones.def"
#undef X
};
#define N_BACKBONES ((int)(sizeof table / sizeof table[0]))

const struct backbone_ops *backbone_find(const char *name)
{
    for (int i = 0; i < N_BACKBONES; i++)
        if (strcmp(table[i]->name, name) == 0) return table[i];
    return NULL;
}

int backbone_count(void) { return N_BACKBONES; }
const struct backbone_ops *backbone_at(int i) { return table[i]; }

const char *backbone_names(void)
{
    static char buf[256];
    buf[0] = '\0';
    for (int i = 0; i < N_BACKBONES; i++) {
        if (i) strncat(buf, ", ", sizeof buf - strlen(buf) - 1);
        strncat(buf, table[i]->name, sizeof buf - strlen(buf) - 1);
    }
    return buf;
}
