#include "bb_testutil.h"
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include "dataset.h"
#include "train.h"

void bb_assert_learns(const char *backbone, const char *apg)
{
    struct data_opts o;
    struct dataset d;
    struct split s;
    char err[256];
    data_opts_default(&o);
    o.rows = 100000;
    assert_int_equal(dataset_load(&d, &o, err, sizeof err), 0);
    split_random(&s, &d, 0.8, 0.1, o.data_seed);
    struct train_cfg c;
    struct train_result r;
    train_cfg_default(&c);
    c.backbone = backbone;
    backbone_cfg_default(backbone_find(backbone), &c.model);
    c.model.apg.variant = apg;
    c.epochs = 1;
    c.threads = 2;
    int rc = train_run(&c, &d, &s, &r, err, sizeof err);
    if (rc) fprintf(stderr, "train: %s\n", err);
    assert_int_equal(rc, 0);
    printf("   %s apg %s: test auc %.5f (oracle %.5f), logloss %.5f, %.2f s/epoch\n", backbone, apg,
           r.test_auc, r.oracle_auc, r.test_logloss, r.sec_per_epoch);
    assert_true(r.test_auc > r.oracle_auc - 0.06);
    assert_true(r.test_auc <= r.oracle_auc + 0.01);
    split_free(&s);
    dataset_free(&d);
}
