/* DCN against its PyTorch golden values (tests/golden/dcn.py): logits, loss and every
 * parameter gradient of one tiny batch. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "dataset.h"
#include "golden.h"
#include "model_opts.h"
#include "ops.h"
#include "train.h"

static void test_dcn_golden(void **state)
{
    (void)state;
    assert_int_equal(golden_check_file("dcn", "tests/golden/dcn.golden", 1e-4), 0);
}

static struct dataset data;

static int setup(void **state)
{
    (void)state;
    struct data_opts o;
    char err[256];
    data_opts_default(&o);
    o.rows = 100000;
    return dataset_load(&data, &o, err, sizeof err);
}

static int teardown(void **state)
{
    (void)state;
    dataset_free(&data);
    return 0;
}

/* Parses the model options as apg train does; 0 or -1 with err. */
static int parse(struct model_opts *o, int argc, char **argv, char *err, size_t n)
{
    struct opt_group g[MODEL_OPT_GROUPS];
    int n_pos, help;
    if (model_opts_prescan(o, argc, argv, err, n)) return -1;
    int ng = model_opts_groups(o, g);
    if (cli_parse(g, ng, argc, argv, NULL, 0, &n_pos, &help, err, n)) return -1;
    return model_opts_finish(o, err, n);
}

/* --dcn-layers: 3 cross layers by default, 0 allowed (x_L = x_0), range checked. */
static void test_dcn_layers_option(void **state)
{
    (void)state;
    struct model_opts o;
    char err[256] = "";
    model_opts_default(&o);
    assert_int_equal(parse(&o, 2, (char *[]){ "--backbone", "dcn" }, err, sizeof err), 0);
    for (int layers = 3; layers >= 0; layers -= 3) {
        if (layers == 0) {
            model_opts_default(&o);
            assert_int_equal(parse(&o, 3, (char *[]){ "--backbone=dcn", "--dcn-layers", "0" }, err, sizeof err), 0);
        }
        struct model m;
        struct rng rng;
        rng_seed(&rng, 1);
        assert_int_equal(model_init(&m, "dcn", &o.m, &data, &rng, err, sizeof err), 0);
        char nm[32];
        snprintf(nm, sizeof nm, "dcn.cross.%d.w", layers - 1);
        if (layers) assert_non_null(params_find(&m.ps, nm));
        snprintf(nm, sizeof nm, "dcn.cross.%d.w", layers);
        assert_null(params_find(&m.ps, nm));
        /* the output layer sees [x_L | h]: D + 64 inputs */
        struct tensor *w = params_find(&m.ps, "dcn.out.w");
        assert_int_equal(w->shape[1], data.n_fields * o.m.emb_dim + 64);
        /* a forward pass gives finite logits */
        struct graph g;
        graph_init(&g, (size_t)8 << 20);
        int32_t rows[16];
        for (int i = 0; i < 16; i++) rows[i] = i;
        struct batch b;
        void *mem = arena_alloc(&g.arena, batch_bytes(&data, rows, 16));
        batch_build(&b, &data, m.base, rows, 16, mem);
        struct tensor *lg = model_forward(&m, &g, &b);
        assert_int_equal(lg->size, 16);
        for (int i = 0; i < 16; i++) assert_true(isfinite(lg->data[i]));
        graph_free(&g);
        model_free(&m);
    }
    model_opts_default(&o);
    assert_int_equal(parse(&o, 4, (char *[]){ "--backbone", "dcn", "--dcn-layers", "17" }, err, sizeof err), -1);
    assert_non_null(strstr(err, "--dcn-layers"));
    model_opts_default(&o);
    assert_int_equal(parse(&o, 2, (char *[]){ "--dcn-layers", "2" }, err, sizeof err), -1);   /* wdl's options */
}

/* The deep tower goes through dense(), so --apg makes its hidden layers adaptive; the
 * cross layers and the output stay static. */
static void test_dcn_apg_tower(void **state)
{
    (void)state;
    struct model_cfg c;
    char err[256];
    model_cfg_default(&c);
    backbone_cfg_default(backbone_find("dcn"), &c);
    c.apg.variant = "v3";
    struct model m;
    struct rng rng;
    rng_seed(&rng, 1);
    int rc = model_init(&m, "dcn", &c, &data, &rng, err, sizeof err);
    if (rc) print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(m.n_dense, 4);
    for (int i = 0; i < 3; i++) assert_non_null(m.dense[i]->rl.form);
    assert_null(m.dense[3]->rl.form);
    assert_non_null(params_find(&m.ps, "dcn.cross.2.b"));
    model_free(&m);
}

/* One short epoch on synthetic data gets near the oracle AUC. */
static void test_dcn_learns_synthetic(void **state)
{
    (void)state;
    struct split s;
    char err[256];
    split_random(&s, &data, 0.8, 0.1, 1);
    const char *variants[2] = { "none", "v6" };   /* base and + APG v6 self-wise */
    for (int v = 0; v < 2; v++) {
        struct train_cfg c;
        struct train_result r;
        train_cfg_default(&c);
        c.model.apg.variant = variants[v];
        c.backbone = "dcn";
        backbone_cfg_default(backbone_find("dcn"), &c.model);
        c.epochs = 1;
        c.threads = 2;
        int rc = train_run(&c, &data, &s, &r, err, sizeof err);
        if (rc) print_error("%s\n", err);
        assert_int_equal(rc, 0);
        print_message("   dcn + apg %s: test auc %.4f (oracle %.4f), logloss %.4f\n", variants[v], r.test_auc, r.oracle_auc,
                      r.test_logloss);
        assert_true(r.test_auc > r.oracle_auc - 0.06);
        assert_true(r.test_logloss < 0.69);
    }
    split_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dcn_golden),
        cmocka_unit_test(test_dcn_layers_option),
        cmocka_unit_test(test_dcn_apg_tower),
        cmocka_unit_test(test_dcn_learns_synthetic),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
