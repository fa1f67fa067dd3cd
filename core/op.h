/* The op table: enum, names and forward/backward function pointers, all derived from
 * ops.def. forward writes out->data from out->src[]; backward ADDS (+=) into the grad
 * of every source whose grad is non-NULL, reading out->grad. */
#ifndef APG_OP_H
#define APG_OP_H
#include "tensor.h"

enum op_kind {
    OP_NONE = 0,               /* leaf: parameter or input */
#define X(name, NAME, n_src) OP_##NAME,
#include "ops.def"
#undef X
    OP_COUNT
};

typedef void (*op_fn)(struct tensor *out);
struct op_def {
    const char *name;
    int n_src;                 /* -1: variadic */
    op_fn forward, backward;
};
extern const struct op_def op_table[OP_COUNT];

#define X(name, NAME, n_src) void op_##name##_forward(struct tensor *out); \
                             void op_##name##_backward(struct tensor *out);
#include "ops.def"
#undef X

int op_find(const char *name);   /* enum value, or -1 */

#endif
