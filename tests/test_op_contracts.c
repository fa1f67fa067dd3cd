/* Contracts of the ops beyond their gradients (tests/test_gradcheck.c checks those): the
 * row-sparse bookkeeping of embedding tables, linear_relu equal to relu(linear) bit for
 * bit, and constructor shape errors aborting with the op's message. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "graph.h"
#include "ops.h"
#include "params.h"
#include "rng.h"

/* ---- row-sparse bookkeeping ---------------------------------------------------------- */

static int row_is_zero(const struct tensor *t, int r)
{
    for (int e = 0; e < t->shape[1]; e++)
        if (t->grad[r * t->shape[1] + e] != 0.0f) return 0;
    return 1;
}

/* gather then bag on T_SPARSE tables: exactly the touched rows are recorded, in first-touch
 * order and once each (also across two backward passes); params_zero_grad clears them. */
static void test_sparse_rows_recorded_and_cleared(void **state)
{
    (void)state;
    struct param_store ps;
    struct rng rng;
    params_init(&ps);
    rng_seed(&rng, 7);
    struct tensor *tg = param_new(&ps, "tg", 2, (int[]){ 10, 3 }, INIT_UNIFORM, 1.0f, 1);
    struct tensor *tb = param_new(&ps, "tb", 2, (int[]){ 9, 2 }, INIT_UNIFORM, 1.0f, 1);
    struct tensor *dense = param_new(&ps, "dense", 2, (int[]){ 4, 2 }, INIT_UNIFORM, 1.0f, 0);
    params_alloc(&ps, &rng);
    assert_null(dense->sparse);
    static const int32_t gids[6] = { 3, 7, 3, 1, 7, 0 }, dids[2] = { 1, 3 };
    static const int32_t bids[7] = { 8, 5, 2, 5, 4, 6, 8 };   /* ids[0], ids[6] outside offs */
    static const int32_t boffs[5] = { 1, 3, 3, 5, 6 };         /* {5,2} {} {5,4} {6} */
    struct graph g;
    graph_init(&g, 1 << 16);
    for (int step = 0; step < 2; step++) {
        graph_reset(&g);
        struct tensor *a = t_reshape2(&g, t_gather(&g, tg, gids, 2, 3), 2, 9);
        struct tensor *b = t_reshape2(&g, t_bag(&g, tb, boffs, bids, 2, 2), 2, 4);
        struct tensor *d = t_reshape2(&g, t_gather(&g, dense, dids, 1, 2), 1, 4);
        struct tensor *l = t_add(&g, t_add(&g, t_sum(&g, t_sum(&g, a, 1), 0),
                                           t_sum(&g, t_sum(&g, b, 1), 0)), t_sum(&g, d, 1));
        graph_backward(&g, l);
        assert_int_equal(tg->sparse->n, 4);
        static const int32_t want_g[4] = { 3, 7, 1, 0 };
        for (int i = 0; i < 4; i++) assert_int_equal(tg->sparse->rows[i], want_g[i]);
        for (int r = 0; r < 10; r++) {
            int touched = r == 0 || r == 1 || r == 3 || r == 7;
            assert_int_equal(tg->sparse->mark[r], touched);
            assert_int_equal(row_is_zero(tg, r), !touched);
        }
        /* row 3 was gathered twice per step: grad = 2 (per step) in each column */
        assert_true(fabsf(tg->grad[3 * 3] - 2.0f * (float)(step + 1)) < 1e-6f);
        assert_int_equal(tb->sparse->n, 4);
        static const int32_t want_b[4] = { 5, 2, 4, 6 };
        for (int i = 0; i < 4; i++) assert_int_equal(tb->sparse->rows[i], want_b[i]);
        for (int r = 0; r < 9; r++) {
            int touched = r == 2 || r == 4 || r == 5 || r == 6;
            assert_int_equal(tb->sparse->mark[r], touched);
            assert_int_equal(row_is_zero(tb, r), !touched);
        }
        /* row 5: 1/2 from bag {5,2} and 1/2 from bag {5,4} per step */
        assert_true(fabsf(tb->grad[5 * 2] - (float)(step + 1)) < 1e-6f);
    }
    params_zero_grad(&ps);
    assert_int_equal(tg->sparse->n, 0);
    assert_int_equal(tb->sparse->n, 0);
    for (int r = 0; r < 10; r++) assert_int_equal(tg->sparse->mark[r], 0);
    for (int r = 0; r < 9; r++) assert_int_equal(tb->sparse->mark[r], 0);
    for (int i = 0; i < tg->size; i++) assert_true(tg->grad[i] == 0.0f);
    for (int i = 0; i < tb->size; i++) assert_true(tb->grad[i] == 0.0f);
    for (int i = 0; i < dense->size; i++) assert_true(dense->grad[i] == 0.0f);
    graph_free(&g);
    params_free(&ps);
}

/* ---- constructor errors abort with "apg: t_NAME: ..." ----------------------------------- */

/* Constructor calls with a wrong argument, each expected to abort with its message. */
static const char *const bad_want[] = {
    "apg: t_add: shape (3,4) vs (5): ",
    "apg: t_matmul: shape (3,4) vs (5,2): ",
    "apg: t_linear: shape (3,4) vs (2,5): ",
    "apg: t_concat: shape (3,4) vs (2,4): ",
    "apg: t_reshape: shape (3,4)",
    "apg: t_gather: id 4 at position 1 out of range [0, 4)",
    "apg: t_bag: offsets decrease at bag 1",
};
static void bad_call(struct graph *g, int which)
{
    static const int32_t ids[3] = { 0, 4, 1 }, offs[3] = { 0, 2, 1 };
    struct tensor *a = graph_input(g, NULL, 2, (int[]){ 3, 4 }), *tab = graph_input(g, NULL, 2, (int[]){ 4, 2 });
    switch (which) {
    case 0: t_add(g, a, graph_input(g, NULL, 1, (int[]){ 5 })); break;
    case 1: t_matmul(g, a, graph_input(g, NULL, 2, (int[]){ 5, 2 }), 0, 0); break;
    case 2: t_linear(g, a, graph_input(g, NULL, 2, (int[]){ 2, 5 }), NULL); break;
    case 3: t_concat(g, 2, (struct tensor *[]){ a, graph_input(g, NULL, 2, (int[]){ 2, 4 }) }); break;
    case 4: t_reshape2(g, a, 5, 2); break;
    case 5: t_gather(g, tab, ids, 1, 3); break;
    case 6: t_bag(g, tab, offs, ids, 1, 2); break;
    }
}

/* Runs bad_call(which) in a child; expects SIGABRT and stderr starting with bad_want[which]. */
static void expect_abort(int which)
{
    const char *want = bad_want[which];
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGABRT, SIG_DFL);
        dup2(fd[1], 2);
        close(fd[0]);
        struct graph g;
        graph_init(&g, 1 << 12);
        bad_call(&g, which);
        _exit(0);   /* no abort: the parent fails */
    }
    close(fd[1]);
    char buf[512] = { 0 };
    size_t got = 0;
    ssize_t r;
    while (got < sizeof buf - 1 && (r = read(fd[0], buf + got, sizeof buf - 1 - got)) > 0) got += (size_t)r;
    close(fd[0]);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT) || strncmp(buf, want, strlen(want)) != 0)
        fail_msg("expected abort with \"%s...\", got status %d, stderr \"%s\"", want, st, buf);
}

/* linear_relu against relu(linear) at a size that takes the transposed-W GEMM and the
 * threaded loops: the same output and the same gradients of x, W and b, bit for bit. */
static void test_linear_relu_is_relu_of_linear(void **state)
{
    (void)state;
    struct param_store ps;
    struct rng rng;
    params_init(&ps);
    rng_seed(&rng, 7);
    struct tensor *x = param_new(&ps, "x", 2, (int[]){ 300, 40 }, INIT_UNIFORM, 1.0f, 0);
    struct tensor *w = param_new(&ps, "w", 2, (int[]){ 130, 40 }, INIT_UNIFORM, 1.0f, 0);
    struct tensor *b = param_new(&ps, "b", 1, (int[]){ 130 }, INIT_UNIFORM, 1.0f, 0);
    params_alloc(&ps, &rng);
    float *out[2], *grad[2];
    struct graph g;
    graph_init(&g, 1 << 20);
    for (int fused = 0; fused < 2; fused++) {
        graph_reset(&g);
        memset(ps.grad, 0, sizeof(float) * ps.n_floats);
        struct tensor *y = fused ? t_linear_relu(&g, x, w, b) : t_relu(&g, t_linear(&g, x, w, b));
        int n = y->size, zeros = 0;
        float *wt = malloc(sizeof(float) * (size_t)n);
        for (int i = 0; i < n; i++) wt[i] = (float)((i * 37) % 11) - 5.0f;
        for (int i = 0; i < n; i++) zeros += y->data[i] == 0.0f;
        assert_true(zeros > n / 4 && zeros < 3 * n / 4);   /* both sides of the kink */
        out[fused] = malloc(sizeof(float) * (size_t)n);
        memcpy(out[fused], y->data, sizeof(float) * (size_t)n);
        struct tensor *loss = t_rowdot(&g, t_reshape2(&g, y, 1, n),
                                       graph_input(&g, wt, 2, (int[]){ 1, n }));
        graph_backward(&g, loss);
        grad[fused] = malloc(sizeof(float) * ps.n_floats);
        memcpy(grad[fused], ps.grad, sizeof(float) * ps.n_floats);
        free(wt);
    }
    assert_memory_equal(out[0], out[1], sizeof(float) * 300 * 130);
    assert_memory_equal(grad[0], grad[1], sizeof(float) * ps.n_floats);
    for (int i = 0; i < 2; i++) { free(out[i]); free(grad[i]); }
    graph_free(&g);
    params_free(&ps);
}

static void test_constructor_errors_abort(void **state)
{
    (void)state;
    for (int i = 0; i < (int)(sizeof bad_want / sizeof bad_want[0]); i++) expect_abort(i);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sparse_rows_recorded_and_cleared),
        cmocka_unit_test(test_linear_relu_is_relu_of_linear),
        cmocka_unit_test(test_constructor_errors_abort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
