/* AutoInt backbone (backbones/autoint.c): forward shapes and a central-difference
 * gradient check of the BCE loss w.r.t. every parameter on a tiny model, base and
 * + APG v6 (self-wise); learning on 100k synthetic rows (test AUC near the oracle);
 * the golden reference of tests/golden/autoint.py. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dataset.h"
#include "bb_testutil.h"
#include "golden.h"
#include "model.h"
#include "ops.h"
#include "train.h"

#define BB       "autoint"
#define T_B      BB_T_B
#define T_F      BB_T_F

static void fx_cfg(struct model_cfg *c, const char *apg)
{
    bb_tiny_cfg(c, BB, apg);
    bb_set_opt(c, BB, "autoint-layers", 2);
}

static void check_shapes_and_grads(const char *apg)
{
    struct model_cfg cfg;
    struct bb_fx x;
    fx_cfg(&cfg, apg);
    bb_fx_init(&x, BB, &cfg);
    /* two layers of 2 heads of size 4/2 = 2: (H*d, D_in) = (4, 4) */
    struct tensor *wq1 = params_find(&x.m.ps, "autoint.att.1.wq");
    assert_non_null(wq1);
    assert_int_equal(wq1->shape[0], 4);
    assert_int_equal(wq1->shape[1], 4);
    assert_non_null(params_find(&x.m.ps, "autoint.att.0.wres"));
    assert_null(params_find(&x.m.ps, "autoint.att.2.wq"));
    struct tensor *wo = params_find(&x.m.ps, "autoint.out.w");
    assert_non_null(wo);
    assert_int_equal(wo->shape[1], T_F * 4 + 5);            /* flatten(O) (F*H*d) | MLP (5) */
    if (strcmp(apg, "none") != 0) assert_null(params_find(&x.m.ps, "autoint.deep.0.w"));

    char label[64];
    snprintf(label, sizeof label, "%s apg %s", BB, apg);
    bb_assert_gradcheck(&x, label);
    bb_fx_free(&x);
}

static void test_gradcheck_base(void **state) { (void)state; check_shapes_and_grads("none"); }
static void test_gradcheck_apg_v6(void **state) { (void)state; check_shapes_and_grads("v6"); }

static void test_bad_config(void **state)
{
    (void)state;
    struct model_cfg cfg;
    struct bb_fx x;
    fx_cfg(&cfg, "none");
    bb_set_opt(&cfg, BB, "autoint-heads", 3);     /* 3 heads do not divide emb 4 */
    memset(&x, 0, sizeof x);
    dataset_init(&x.d, "tiny", 1, 1);
    x.d.fields[0].card = 2;
    x.d.fields[0].ids = calloc(1, sizeof(int32_t));
    char err[256] = "";
    assert_int_not_equal(model_init(&x.m, BB, &cfg, &x.d, &x.rng, err, sizeof err), 0);
    assert_non_null(strstr(err, "autoint-heads"));
    model_free(&x.m);
    dataset_free(&x.d);
}

static void test_golden(void **state)
{
    (void)state;
    assert_int_equal(golden_check_file(BB, "tests/golden/" BB ".golden", 1e-4), 0);
}

/* 100k synthetic rows, one epoch, 2 threads: test AUC within 0.06 of the oracle. */
static void learn(const char *apg) { bb_assert_learns(BB, apg); }

static void test_learns_base(void **state) { (void)state; learn("none"); }
static void test_learns_apg_v6(void **state) { (void)state; learn("v6"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradcheck_base),
        cmocka_unit_test(test_gradcheck_apg_v6),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_learns_base),
        cmocka_unit_test(test_learns_apg_v6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
