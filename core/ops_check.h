/* Private to the op kernels (core/ops_*.c): constructor checks. A failed check is a
 * programming error (core/ops.h): it prints "apg: t_NAME: shape (..) vs (..): why"
 * and aborts. */
#ifndef APG_OPS_CHECK_H
#define APG_OPS_CHECK_H
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "tensor.h"

static inline void ops_shape_str(const struct tensor *t, char *buf, size_t n)
{
    if (!t) { snprintf(buf, n, "NULL"); return; }
    int k = snprintf(buf, n, "(");
    for (int i = 0; i < t->ndim && k > 0 && (size_t)k < n; i++)
        k += snprintf(buf + k, n - (size_t)k, i ? ",%d" : "%d", t->shape[i]);
    if (k > 0 && (size_t)k < n) snprintf(buf + k, n - (size_t)k, ")");
}

/* "apg: t_op: shape (a) vs (b): why" (b may be NULL for one-operand ops). */
static inline _Noreturn void ops_shape_fail(const char *op, const struct tensor *a,
                                            const struct tensor *b, const char *why)
{
    char sa[64], sb[64];
    ops_shape_str(a, sa, sizeof sa);
    if (b) {
        ops_shape_str(b, sb, sizeof sb);
        fprintf(stderr, "apg: t_%s: shape %s vs %s: %s\n", op, sa, sb, why);
    } else {
        fprintf(stderr, "apg: t_%s: shape %s: %s\n", op, sa, why);
    }
    abort();
}

#define OPS_CHECK_SHAPE(cond, op, a, b, why) \
    do { if (!(cond)) ops_shape_fail(op, a, b, why); } while (0)

/* Any other argument error: "apg: t_op: <message>". */
static inline _Noreturn void ops_die(const char *op, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "apg: t_%s: ", op);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

/* Every tensor operand must exist and have 1..3 dims. */
static inline void ops_check_operand(const char *op, const struct tensor *t)
{
    if (!t) ops_die(op, "NULL operand");
    if (t->ndim < 1 || t->ndim > TENSOR_MAX_DIMS) ops_shape_fail(op, t, NULL, "bad number of dims");
}

#endif
