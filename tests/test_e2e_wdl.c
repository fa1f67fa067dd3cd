/* End to end: WDL learns the synthetic data (test AUC near the oracle AUC in one
 * epoch), and a run is bit-identical for the same seed and thread count. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "syn_testutil.h"
#include <math.h>
#include <stdio.h>
#include "dataset.h"
#include "train.h"

SYN_FIXTURE(200000)

static struct train_result run_apg(uint64_t seed, int threads, const char *variant)
{
    struct train_cfg c;
    struct train_result r;
    char err[256];
    train_cfg_default(&c);
    c.model.apg.variant = variant;
    c.epochs = 1;
    c.seed = seed;
    c.threads = threads;
    int rc = train_run(&c, &data, &split, &r, err, sizeof err);
    if (rc) fprintf(stderr, "train: %s\n", err);
    assert_int_equal(rc, 0);
    printf("   wdl apg %s seed %llu threads %d: test auc %.5f (oracle %.5f), logloss %.5f, %.0f samples/s\n",
           variant, (unsigned long long)seed, threads, r.test_auc, r.oracle_auc, r.test_logloss, r.train_samples_per_s);
    return r;
}

static struct train_result run(uint64_t seed, int threads) { return run_apg(seed, threads, "none"); }

static void test_wdl_learns_synthetic(void **state)
{
    (void)state;
    struct train_result r = run(1, 2);
    assert_false(isnan(r.oracle_auc));
    assert_true(r.test_auc > r.oracle_auc - 0.05);
    assert_true(r.test_auc <= r.oracle_auc + 0.01);   /* nothing beats the true probabilities */
    assert_true(r.test_logloss < 0.69);
}

/* WDL + APG v6 self-wise (the paper's default strategy) learns as well. */
static void test_wdl_apg_v6_learns_synthetic(void **state)
{
    (void)state;
    struct train_result r = run_apg(1, 2, "v6");
    assert_true(r.test_auc > r.oracle_auc - 0.05);
    assert_true(r.test_auc <= r.oracle_auc + 0.01);
    assert_true(r.test_logloss < 0.69);
}

static void test_same_seed_same_result(void **state)
{
    (void)state;
    struct train_result a = run(3, 2), b = run(3, 2), c = run(4, 2);
    assert_true(a.test_auc == b.test_auc);            /* bit-identical */
    assert_true(a.test_logloss == b.test_logloss);
    assert_true(a.val_auc == b.val_auc);
    assert_true(a.test_auc != c.test_auc);            /* the seed matters */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wdl_learns_synthetic),
        cmocka_unit_test(test_wdl_apg_v6_learns_synthetic),
        cmocka_unit_test(test_same_seed_same_result),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
