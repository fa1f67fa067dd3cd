/* --micro-batches M (experiments/train_mb.c): the summed part gradients equal the
 * minibatch gradient (dense and row-sparse, base WDL and APG v6 self-wise), the run is
 * bit-identical at any thread count for one M, and it learns as the one-part run does;
 * the auto choice of M. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "syn_testutil.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dataset.h"
#include "ops.h"
#include "optim.h"
#include "threads.h"
#include "train.h"
#include "train_mb.h"

SYN_FIXTURE(60000)

/* The minibatch gradient of rows[0..n) on m, directly and as the sum of M parts. */
static void check_grads(const char *variant, int M, int threads)
{
    struct model_cfg cfg;
    model_cfg_default(&cfg);
    cfg.apg.variant = variant;
    if (strcmp(variant, "none") != 0) { cfg.apg.K = 4; cfg.apg.P = 8; }
    struct model a, b;
    struct rng r1, r2;
    char err[512];
    rng_seed(&r1, 3);
    rng_seed(&r2, 3);
    assert_int_equal(model_init(&a, "wdl", &cfg, &data, &r1, err, sizeof err), 0);
    assert_int_equal(model_init(&b, "wdl", &cfg, &data, &r2, err, sizeof err), 0);
    assert_memory_equal(a.ps.data, b.ps.data, sizeof(float) * a.ps.n_floats);
    apg_set_threads(threads);
    int n = 1000;                                   /* not a multiple of M */
    const int32_t *rows = split.train;
    struct graph g;
    graph_init(&g, 1 << 24);
    void *mem = arena_alloc(&g.arena, batch_bytes(&data, rows, n));
    struct batch bt;
    batch_build(&bt, &data, a.base, rows, n, mem);
    struct tensor *loss = t_bce(&g, model_forward(&a, &g, &bt), bt.label);
    graph_backward(&g, loss);
    struct mb mb;
    assert_int_equal(mb_init(&mb, M, "wdl", &cfg, &data, &b, err, sizeof err), 0);
    double l = mb_step(&mb, &b, &data, rows, n);
    assert_true(fabs(l - loss->data[0]) < 1e-5);
    double worst = 0;
    for (int i = 0; i < a.ps.n; i++) {                /* the parts' gradients, summed here */
        struct tensor *x = a.ps.list[i];
        double num = 0, den = 0;
        for (int k = 0; k < x->size; k++) {
            double sum = 0;
            for (int r = 0; r < M; r++) sum += mb.rep[r].ps.list[i]->grad[k];
            num += fabs((double)x->grad[k] - sum);
            den += fabs((double)x->grad[k]);
        }
        double rel = den > 0 ? num / den : num;
        if (rel > worst) worst = rel;
        assert_true(rel < 1e-4);
        if (x->sparse) {                              /* the same touched rows */
            int seen = 0;
            for (int j = 0; j < x->sparse->n; j++) {
                int row = x->sparse->rows[j], in = 0;
                for (int r = 0; r < M; r++) in |= mb.rep[r].ps.list[i]->sparse->mark[row];
                seen += in;
            }
            assert_int_equal(seen, x->sparse->n);
            for (int r = 0; r < M; r++) {
                const struct sparse_rows *u = mb.rep[r].ps.list[i]->sparse;
                for (int j = 0; j < u->n; j++) assert_true(x->sparse->mark[u->rows[j]]);
            }
        }
    }
    printf("   %s, %d parts, %d threads: loss %.6f == %.6f, worst relative gradient difference %.2e\n", variant, M,
           threads, l, (double)loss->data[0], worst);
    /* the step applies them and zeroes the replicas' gradients for the next one */
    struct adam opt;
    adam_init(&opt, 1e-3f);
    adam_step_sum(&opt, &b.ps, mb.ps, mb.n);
    for (int k = 0; k < M; k++)
        for (int i = 0; i < mb.rep[k].ps.n; i++) {
            const struct tensor *t = mb.rep[k].ps.list[i];
            for (int e = 0; e < t->size; e++) assert_true(t->grad[e] == 0.0f);
            if (t->sparse) assert_int_equal(t->sparse->n, 0);
        }
    mb_free(&mb);
    graph_free(&g);
    model_free(&a);
    model_free(&b);
    apg_set_threads(1);
}

static void test_grads_base(void **state) { (void)state; check_grads("none", 4, 1); check_grads("none", 3, 2); }
static void test_grads_v6(void **state) { (void)state; check_grads("v6", 4, 2); }

static struct train_result run(int micro, int threads, float *scores)
{
    struct train_cfg c;
    struct train_result r;
    char err[256];
    train_cfg_default(&c);
    c.epochs = 1;
    c.micro = micro;
    c.threads = threads;
    c.test_scores = scores;
    int rc = train_run(&c, &data, &split, &r, err, sizeof err);
    if (rc) fprintf(stderr, "train: %s\n", err);
    assert_int_equal(rc, 0);
    printf("   micro-batches %d, threads %d: test auc %.5f (oracle %.5f)\n", micro, threads, r.test_auc, r.oracle_auc);
    return r;
}

static void test_same_bits_any_threads_and_learns(void **state)
{
    (void)state;
    float *s1 = malloc(sizeof *s1 * (size_t)split.n_test), *s2 = malloc(sizeof *s2 * (size_t)split.n_test);
    struct train_result a = run(4, 1, s1), b = run(4, 2, s2);
    assert_memory_equal(s1, s2, sizeof *s1 * (size_t)split.n_test);
    assert_true(a.test_auc == b.test_auc);
    struct train_result one = run(1, 1, s1);
    assert_true(fabs(a.test_auc - one.test_auc) < 0.01);  /* the same model, sums in another order */
    assert_true(a.test_auc > a.oracle_auc - 0.06);
    free(s1);
    free(s2);
}

/* --micro-batches auto: 1 at one thread or under --dist with ranks (one process here:
 * --dist alone does not count), one part per thread, capped by MB_MAX, 64 rows a part
 * and 2 GiB of replica gradients; and a run with it trains what the resolved M trains. */
static void test_auto(void **state)
{
    (void)state;
    assert_int_equal(train_micro_auto(1, 1024, 0, 1 << 20), 1);
    assert_int_equal(train_micro_auto(2, 1024, 0, 1 << 20), 2);
    assert_int_equal(train_micro_auto(2, 1024, 1, 1 << 20), 2);          /* dist_size() == 1 */
    assert_int_equal(train_micro_auto(16, 1024, 0, 1 << 20), 16);
    assert_int_equal(train_micro_auto(32, 1024, 0, 1 << 20), 16);        /* 64 rows a part */
    assert_int_equal(train_micro_auto(64, 1 << 16, 0, 1 << 20), MB_MAX);
    assert_int_equal(train_micro_auto(2, 100, 0, 1 << 20), 1);           /* one part of 64 rows */
    assert_int_equal(train_micro_auto(4, 4096, 0, (size_t)700 << 20), 2);  /* 3 x 700 MB > 2 GiB */
    assert_int_equal(train_micro_auto(4, 4096, 0, (size_t)400 << 20), 4);
    assert_int_equal(train_micro_auto(4, 4096, 0, (size_t)1200 << 20), 1);
    float *s1 = malloc(sizeof *s1 * (size_t)split.n_test), *s2 = malloc(sizeof *s2 * (size_t)split.n_test);
    struct train_result a = run(0, 2, s1), b = run(2, 2, s2);
    assert_int_equal(a.micro, 2);
    assert_int_equal(b.micro, 2);
    assert_memory_equal(s1, s2, sizeof *s1 * (size_t)split.n_test);
    assert_int_equal(run(0, 1, s1).micro, 1);
    free(s1);
    free(s2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auto),
        cmocka_unit_test(test_grads_base),
        cmocka_unit_test(test_grads_v6),
        cmocka_unit_test(test_same_bits_any_threads_and_learns),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
