/* DEEPFM against its PyTorch golden values (tests/golden/deepfm.py): logits, loss and every
 * parameter gradient of one tiny batch. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "dataset.h"
#include "golden.h"
#include "train.h"

static void test_deepfm_golden(void **state)
{
    (void)state;
    assert_int_equal(golden_check_file("deepfm", "tests/golden/deepfm.golden", 1e-4), 0);
}

/* The deep tower goes through dense(), so --apg makes its hidden layers adaptive; the
 * output layer stays static. */
static void test_deepfm_apg_tower(void **state)
{
    (void)state;
    struct dataset d;
    struct data_opts o;
    char err[256];
    data_opts_default(&o);
    o.rows = 2000;
    assert_int_equal(dataset_load(&d, &o, err, sizeof err), 0);
    struct model_cfg c;
    model_cfg_default(&c);
    c.apg.variant = "v3";
    struct model m;
    struct rng rng;
    rng_seed(&rng, 1);
    int rc = model_init(&m, "deepfm", &c, &d, &rng, err, sizeof err);
    if (rc) print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(m.n_dense, 4);
    for (int i = 0; i < 3; i++) assert_non_null(m.dense[i]->rl.form);
    assert_null(m.dense[3]->rl.form);
    assert_non_null(params_find(&m.ps, "deepfm.first"));
    model_free(&m);
    dataset_free(&d);
}

/* One short epoch on synthetic data gets near the oracle AUC. */
static void test_deepfm_learns_synthetic(void **state)
{
    (void)state;
    struct dataset d;
    struct data_opts o;
    struct split s;
    char err[256];
    data_opts_default(&o);
    o.rows = 100000;
    assert_int_equal(dataset_load(&d, &o, err, sizeof err), 0);
    split_random(&s, &d, 0.8, 0.1, o.data_seed);
    const char *variants[2] = { "none", "v6" };   /* base and + APG v6 self-wise */
    for (int v = 0; v < 2; v++) {
        struct train_cfg c;
        struct train_result r;
        train_cfg_default(&c);
        c.model.apg.variant = variants[v];
        c.backbone = "deepfm";
        c.epochs = 1;
        c.threads = 2;
        int rc = train_run(&c, &d, &s, &r, err, sizeof err);
        if (rc) print_error("%s\n", err);
        assert_int_equal(rc, 0);
        print_message("   deepfm + apg %s: test auc %.4f (oracle %.4f), logloss %.4f\n", variants[v], r.test_auc, r.oracle_auc,
                      r.test_logloss);
        assert_true(r.test_auc > r.oracle_auc - 0.06);
        assert_true(r.test_logloss < 0.69);
    }
    split_free(&s);
    dataset_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deepfm_golden),
        cmocka_unit_test(test_deepfm_apg_tower),
        cmocka_unit_test(test_deepfm_learns_synthetic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
