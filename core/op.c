#include "op.h"
#include <string.h>

const struct op_def op_table[OP_COUNT] = {
    [OP_NONE] = { "leaf", 0, NULL, NULL },
#define X(name, NAME, n_src) [OP_##NAME] = { #name, n_src, op_##name##_forward, op_##name##_backward },
#include "ops.def"
#undef X
};

int op_find(const char *name)
{
    for (int i = 1; i < OP_COUNT; i++)
        if (strcmp(op_table[i].name, name) == 0) return i;
    return -1;
}
