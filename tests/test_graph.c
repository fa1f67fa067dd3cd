/* The tape's backward pass and its profiler.
 * graph_backward's first writers: a node whose last consumer is a linear or rowmvp op
 * (or rowmv's S, lrmv's S) gets an unzeroed gradient buffer that the op stores into (T_GRAD_FRESH), the other
 * consumers adding after it. The gradients must equal, bit for bit, those of every
 * buffer zeroed and every op adding (graph_first_writes = 0), for the patterns where
 * the marks could go wrong: a store followed by adds, an adding consumer last, a
 * reshape view sharing the buffer, one tensor as both operands of a linear, rowmvp's
 * [S | x], rowmv's S (its 8 x 8 kernel and its generic rows), lrmv's S and a chain
 * of linears; and no mark survives the backward.
 * The profiler (core/prof.h, apg train --profile): the calls it counts per step for each
 * op, forward and backward, and the table it prints. graph_macs: the multiply-adds of a
 * step's products, counted by hand for each product op, with and without gradients. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "graph.h"
#include "ops.h"
#include "params.h"
#include "prof.h"
#include "threads.h"
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include "rng.h"

#define GG_B 16
#define GG_ARENA_FLOATS (1 << 17)   /* more than the step uses, within the arena */

struct gg {
    struct param_store ps;
    struct tensor *x, *w[13], *b;
};

static void gg_params(struct gg *c)
{
    struct rng rng;
    rng_seed(&rng, 42);
    params_init(&c->ps);
    c->x = param_new(&c->ps, "x", 2, (int[]){ GG_B, 12 }, INIT_UNIFORM, 1.0f, 0);
    static const int wshape[13][2] = { { 16, 12 }, { 5, 16 }, { 16, 12 }, { 4, 16 }, { 24, 12 }, { 3, 24 },
                                      { 72, 12 }, { 6, 8 }, { 64, 12 }, { 64, 12 }, { 5, 8 }, { 64, 12 },
                                      { 8, 8 } };
    for (int i = 0; i < 13; i++) {
        char nm[8];
        snprintf(nm, sizeof nm, "w%d", i);
        c->w[i] = param_new(&c->ps, nm, 2, wshape[i], INIT_UNIFORM, 1.0f, 0);
    }
    c->b = param_new(&c->ps, "b", 1, (int[]){ 16 }, INIT_UNIFORM, 1.0f, 0);
    params_alloc(&c->ps, &rng);
}

/* <t, fixed weights> summed into one scalar */
static struct tensor *gg_dot(struct graph *g, struct tensor *t)
{
    struct tensor *w = graph_input(g, NULL, 2, (int[]){ 1, t->size });
    for (int i = 0; i < t->size; i++) w->data[i] = (float)((i * 7) % 5) - 2.0f;
    return t_rowdot(g, t_reshape2(g, t, 1, t->size), w);
}

/* The loss over the patterns; the tape nodes are checked for leftover marks. */
static void gg_step(struct gg *c, struct graph *g)
{
    /* The step arena's memory filled with NaN first: a gradient buffer read before its
     * first write (a wrong mark) poisons the result. */
    graph_reset(g);
    float *junk = graph_scratch(g, GG_ARENA_FLOATS);
    for (int i = 0; i < GG_ARENA_FLOATS; i++) junk[i] = nanf("");
    graph_reset(g);
    memset(c->ps.grad, 0, sizeof(float) * c->ps.n_floats);
    /* 1: h's last consumer is a linear (store), an earlier mul adds after it */
    struct tensor *h = t_linear_relu(g, c->x, c->w[0], c->b);          /* (B,16) */
    struct tensor *l1 = gg_dot(g, t_mul(g, h, h));   /* (an argument's order is unspecified) */
    l1 = t_add(g, l1, gg_dot(g, t_linear(g, h, c->w[1], NULL)));
    /* 2: h2's last consumer adds (relu after the linear) */
    struct tensor *h2 = t_linear(g, c->x, c->w[2], NULL);
    struct tensor *v2 = t_linear(g, h2, c->w[3], NULL);
    struct tensor *l2 = t_add(g, gg_dot(g, v2), gg_dot(g, t_relu(g, h2)));
    /* 3: a reshape view of h3 made before h3's linear, its consumer after it (the view's
     * backward adds into h3's buffer before the linear writes) */
    struct tensor *h3 = t_linear(g, c->x, c->w[4], NULL);               /* (B,24) */
    struct tensor *r3 = t_reshape2(g, h3, GG_B * 2, 12);
    struct tensor *v3 = t_linear(g, h3, c->w[5], NULL);
    struct tensor *l3 = t_add(g, gg_dot(g, v3), gg_dot(g, t_relu(g, r3)));
    /* 4: one tensor as x and W of a linear (16 x 16) */
    struct tensor *l4 = gg_dot(g, t_linear(g, h, h, NULL));
    /* 5: rowmvp on [S | x] (72 = 8*8 + 8), an earlier consumer of sv adding after it */
    struct tensor *sv = t_linear(g, c->x, c->w[6], NULL);
    struct tensor *l5a = gg_dot(g, t_sum(g, sv, 1));
    struct tensor *hh = t_rowmvp(g, sv, 8, 8);                         /* (B,8) */
    struct tensor *l5 = t_add(g, l5a, gg_dot(g, t_linear(g, hh, c->w[7], NULL)));
    /* 6: rowmv's S from a linear, an earlier consumer of S adding after it: the 8 x 8
     * kernel (s6 (B,64), hh) and the generic rows (s7 as 4 x 16 against h (B,16)) */
    struct tensor *s6 = t_linear(g, c->x, c->w[8], NULL), *s7 = t_linear(g, c->x, c->w[9], NULL);
    struct tensor *l6a = gg_dot(g, t_relu(g, s6));
    l6a = t_add(g, l6a, gg_dot(g, t_relu(g, s7)));
    struct tensor *l6b = gg_dot(g, t_rowmv(g, s6, hh, 8, 8, 0));
    struct tensor *l6 = t_add(g, l6a, t_add(g, l6b, gg_dot(g, t_rowmv(g, s7, h, 4, 16, 0))));
    /* 7: lrmv's S (B, 8 x 8) from a linear, an earlier consumer of S adding after it */
    struct tensor *t8 = t_linear(g, c->x, c->w[11], NULL);
    struct tensor *l7a = gg_dot(g, t_relu(g, t8));
    struct tensor *l7 = t_add(g, l7a, gg_dot(g, t_lrmv(g, c->w[10], t8, c->w[12], hh)));
    struct tensor *loss = t_add(g, t_add(g, t_add(g, l1, l2), t_add(g, l3, l4)),
                                t_add(g, t_add(g, l5, l6), l7));
    graph_backward(g, loss);
    for (int i = 0; i < g->n_tape; i++)
        assert_false(g->tape[i]->flags & (T_GRAD_FRESH | T_GRAD_SEEN));
    for (int i = 0; i < c->ps.n; i++) assert_false(c->ps.list[i]->flags & (T_GRAD_FRESH | T_GRAD_SEEN));
}

static void test_first_writes_equal_zeroed_adds(void **state)
{
    (void)state;
    struct gg c;
    gg_params(&c);
    struct graph g;
    graph_init(&g, sizeof(float) * GG_ARENA_FLOATS * 2);
    float *ref = malloc(sizeof(float) * c.ps.n_floats);
    graph_first_writes = 0;
    gg_step(&c, &g);
    memcpy(ref, c.ps.grad, sizeof(float) * c.ps.n_floats);
    graph_first_writes = 1;
    gg_step(&c, &g);
    assert_memory_equal(ref, c.ps.grad, sizeof(float) * c.ps.n_floats);
    int nonzero = 0;   /* every parameter receives a gradient */
    for (int i = 0; i < c.ps.n; i++) {
        const struct tensor *t = c.ps.list[i];
        int any = 0;
        for (int k = 0; k < t->size; k++) any |= t->grad[k] != 0.0f;
        nonzero += any;
    }
    assert_int_equal(nonzero, c.ps.n);
    free(ref);
    graph_free(&g);
    params_free(&c.ps);
}

/* Two steps of y = linear(relu(linear(x))) profiled: linear 2 calls per step, relu 1,
 * their rows in the table, a step time the parts do not exceed. */
static void test_profiler_counts_ops(void **state)
{
    (void)state;
    struct gg c;
    gg_params(&c);
    struct graph g;
    graph_init(&g, 1 << 20);
    prof_reset();
    prof_on = 1;
    for (int step = 0; step < 2; step++) {
        uint64_t t0 = prof_now();
        graph_reset(&g);
        struct tensor *h = t_relu(&g, t_linear(&g, c.x, c.w[0], c.b));
        struct tensor *loss = gg_dot(&g, t_linear(&g, h, c.w[1], NULL));
        graph_backward(&g, loss);
        prof_add(PROF_STEP, 0, prof_now() - t0);
    }
    prof_on = 0;
    FILE *f = tmpfile();
    assert_non_null(f);
    prof_report(f, 2);
    rewind(f);
    char line[256];
    int seen_linear = 0, seen_relu = 0, seen_rest = 0, header = 0;
    while (fgets(line, sizeof line, f)) {
        char name[64];
        double calls, fw, bw;
        if (strncmp(line, "profile: 2 training steps", 25) == 0) header = 1;
        if (strncmp(line, "(rest of the step)", 18) == 0) {
            seen_rest = 1;
            double rest = atof(line + 18);
            assert_true(rest >= 0.0);   /* the parts fit in the step */
            continue;
        }
        if (sscanf(line, "%63s %lf %lf %lf", name, &calls, &fw, &bw) != 4) continue;
        if (strcmp(name, "linear") == 0) {
            seen_linear = 1;
            assert_true(calls == 2.0 && fw > 0.0 && bw > 0.0);
        }
        if (strcmp(name, "relu") == 0) {
            seen_relu = 1;
            assert_true(calls == 1.0);
        }
    }
    fclose(f);
    assert_true(header && seen_linear && seen_relu && seen_rest);
    graph_free(&g);
    params_free(&c.ps);
}

/* The join waits: with 2 threads, a task that a worker holds for 5 ms while the calling
 * thread has finished its own is waited for, and the report shows it in its own line;
 * with 1 thread nothing is waited for. */
static pthread_t jw_caller;
static _Atomic int jw_worker_in;
/* On a worker: 5 ms. On the calling thread: return once a worker holds the other task
 * (or after 50 ms, when none came), so that the caller reaches the join first. */
static void jw_task(void *ctx, int i)
{
    (void)ctx;
    (void)i;
    if (!pthread_equal(pthread_self(), jw_caller)) {
        atomic_store(&jw_worker_in, 1);
        nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
        return;
    }
    for (int t = 0; t < 500 && !atomic_load(&jw_worker_in); t++) nanosleep(&(struct timespec){ 0, 100000 }, NULL);
}

static int jw_report_has_waits(void)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    prof_report(f, 1);
    rewind(f);
    char line[256];
    int seen = 0;
    while (fgets(line, sizeof line, f)) {
        double calls, ms;
        if (strncmp(line, "(join waits)", 12) == 0 && sscanf(line + 12, "%lf %lf", &calls, &ms) == 2) {
            assert_true(calls >= 1.0 && ms > 0.0);   /* at least one wait, of some time */
            seen = 1;
        }
    }
    fclose(f);
    return seen;
}

static void test_profiler_join_waits(void **state)
{
    (void)state;
    int threads = apg_threads();
    jw_caller = pthread_self();
    apg_set_threads(1);
    prof_reset();
    prof_on = 1;
    apg_parallel(2, jw_task, NULL);
    prof_add(PROF_STEP, 0, 1000000);
    prof_on = 0;
    assert_false(jw_report_has_waits());
    apg_set_threads(2);
    int waited = 0;
    for (int tries = 0; tries < 20 && !waited; tries++) {   /* until the worker takes one */
        prof_reset();
        atomic_store(&jw_worker_in, 0);
        prof_on = 1;
        apg_parallel(2, jw_task, NULL);
        prof_add(PROF_STEP, 0, 10000000);
        prof_on = 0;
        waited = jw_report_has_waits();
    }
    assert_true(waited);
    apg_set_threads(threads);
}

/* graph_macs on one of each product, the counts worked by hand: forward m n k (rowmv R N M,
 * lrmv R K^2 M + R N M (K + 1)), and a product of the same size per operand that needs a
 * gradient. */
static void test_graph_macs(void **state)
{
    (void)state;
    struct gg c;
    gg_params(&c);
    struct graph g;
    graph_init(&g, sizeof(float) * GG_ARENA_FLOATS);
    struct tensor *xin = graph_input(&g, NULL, 2, (int[]){ GG_B, 12 });
    for (int i = 0; i < xin->size; i++) xin->data[i] = 0.5f;
    /* linear x (16,12) w0^T (12,16): 16*16*12 = 3072; both operands need grads */
    struct tensor *h = t_linear(&g, c.x, c.w[0], NULL);
    /* linear on an input: 3072 forward, only W's gradient */
    struct tensor *h2 = t_linear(&g, xin, c.w[2], NULL);
    /* matmul h^T (16,16) h2 (16,16): 16*16*16 = 4096, two gradients */
    struct tensor *p = t_matmul(&g, h, h2, 1, 0);
    /* rowmv S = w8 (64, 3*4), x (64,4) sliced from w9: 64*3*4 = 768, two gradients */
    struct tensor *xs = t_slice(&g, c.w[9], 0, 4);
    struct tensor *r = t_rowmv(&g, c.w[8], xs, 3, 4, 0);
    /* lrmv U = w10 (N 5, K 8), S = w9 as (R 12, K*K 64), V = w12 (8, M 8), x (12, 8) from
     * w4: R K^2 M (the T_r) + R N M (K+1) forward; backward the T_r again, dU and dT_r as
     * large as the W_r part, dS and dV as the T_r part each, dx R (N+M) K */
    struct tensor *xl = t_slice(&g, t_reshape2(&g, c.w[4], 12, 24), 0, 8);
    struct tensor *l = t_lrmv(&g, c.w[10], t_reshape2(&g, c.w[9], 12, 64), c.w[12], xl);
    double tr = 12.0 * 64 * 8, wr = 12.0 * 5 * 8 * 9;
    double fwd = 3072 + 3072 + 4096 + 768 + tr + wr;
    double bwd = 2 * 3072 + 3072 + 2 * 4096 + 2 * 768 + tr + 2 * wr + 2 * tr + 12.0 * (5 + 8) * 8;
    assert_true(fabs(graph_macs(&g, 0) - fwd) < 0.5);
    assert_true(fabs(graph_macs(&g, 1) - (fwd + bwd)) < 0.5);
    (void)p; (void)r; (void)l;
    graph_free(&g);
    params_free(&c.ps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_writes_equal_zeroed_adds),
        cmocka_unit_test(test_profiler_counts_ops),
        cmocka_unit_test(test_profiler_join_waits),
        cmocka_unit_test(test_graph_macs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
