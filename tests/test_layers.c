/* The dense() layer list (backbones/layers.c): a model with more dense layers than the
 * old limit of 64 records every one of them, so export collapses each APG layer and
 * model_free frees every condition state (ASan); a layer past LAYER_MAX_DENSE is
 * refused with the limit in the message instead of being silently left off the list. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "bb_domain_testutil.h"
#include "checkpoint.h"
#include "model_opts.h"

/* MMoE with 16 experts of 5 hidden layers under APG v6: 16 x 5 + 1 = 81 dense layers,
 * 80 of them adaptive. The collapse to v3 (apg export) finds a source for every
 * parameter and folds every adaptive layer. */
static void test_81_dense_layers_export(void **state)
{
    (void)state;
    struct dataset d;
    struct model m, to;
    struct model_opts mo, to_mo;
    char err[512] = "";
    dtu_data(&d);
    model_opts_default(&mo);
    assert_int_equal(model_opts_backbone(&mo, "mmoe", err, sizeof err), 0);
    dtu_cfg(&mo.m, "mmoe", "v6");
    mo.m.n_hidden = 5;
    for (int i = 0; i < 5; i++) mo.m.hidden[i] = 8;
    const struct opt *o = backbone_find("mmoe")->opts;
    while (o->name && strcmp(o->name, "mmoe-experts") != 0) o++;
    assert_non_null(o->name);
    *(int *)(mo.m.bb_cfg + o->offset) = 16;
    struct rng r;
    rng_seed(&r, 3);
    int rc = model_init(&m, "mmoe", &mo.m, &d, &r, err, sizeof err);
    if (rc) print_message("model_init: %s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(m.n_dense, 16 * 5 + 1);
    int adaptive = 0;
    for (int i = 0; i < m.n_dense; i++) adaptive += m.dense[i]->rl.form != NULL;
    assert_int_equal(adaptive, 16 * 5);
    rc = ckpt_collapse(&to, &to_mo, &m, &mo, &d, NULL, err, sizeof err);
    if (rc < 0) print_message("ckpt_collapse: %s\n", err);
    assert_int_equal(rc, 16 * 5);
    assert_int_equal(to.n_dense, 16 * 5 + 1);
    model_free(&to);
    model_free(&m);
    dataset_free(&d);
}

/* One layer more than the list holds: refused (c.err names the limit), the list keeps
 * LAYER_MAX_DENSE entries, and the refused layer holds no condition state. */
static void test_layer_past_the_limit_is_refused(void **state)
{
    (void)state;
    struct dataset d;
    dtu_data(&d);
    int64_t base[DTU_F];
    int64_t n_ids = data_field_bases(&d, base);
    struct param_store ps;
    params_init(&ps);
    struct apg_cfg cfg;
    apg_cfg_default(&cfg);
    cfg.variant = "v3";
    cfg.K = 2;
    static struct dense *list[LAYER_MAX_DENSE];
    static struct dense layer[LAYER_MAX_DENSE + 1];
    struct layer_ctx c = { .ps = &ps, .n_fields = DTU_F, .emb_dim = 3, .n_ids = n_ids, .emb_init = 0.1f,
                           .apg = &cfg, .data = &d, .dense = list };
    char nm[32];
    for (int i = 0; i < LAYER_MAX_DENSE; i++) {
        snprintf(nm, sizeof nm, "l%d", i);
        dense_init(&layer[i], &c, nm, 4, 4, ACT_RELU, 1);
    }
    assert_string_equal(c.err, "");
    assert_int_equal(c.n_dense, LAYER_MAX_DENSE);
    assert_non_null(layer[LAYER_MAX_DENSE - 1].rl.form);
    dense_init(&layer[LAYER_MAX_DENSE], &c, "last", 4, 4, ACT_RELU, 1);
    assert_int_equal(c.n_dense, LAYER_MAX_DENSE);
    char want[64];
    snprintf(want, sizeof want, "more than %d dense layers", LAYER_MAX_DENSE);
    if (!strstr(c.err, want)) print_message("err: '%s'\n", c.err);
    assert_non_null(strstr(c.err, want));
    assert_non_null(strstr(c.err, "last"));
    assert_null(layer[LAYER_MAX_DENSE].rl.form);
    assert_null(layer[LAYER_MAX_DENSE].cond_state);
    for (int i = 0; i <= LAYER_MAX_DENSE; i++) dense_free(&layer[i]);
    params_free(&ps);
    dataset_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_81_dense_layers_export),
        cmocka_unit_test(test_layer_past_the_limit_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
