/* MMoE (backbones/mmoe.c): shapes, a central-difference gradient check of the whole
 * model (base and APG v6 on the experts), one gate row per domain (item_id), exact
 * parameter bytes, option errors, and learning 100,000 synthetic rows in one epoch. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "bb_domain_testutil.h"

/* Sets a backbone option through its option table, as apg train does. */
static void mmoe_set(struct model_cfg *c, const char *opt, const char *value)
{
    const struct opt *o = backbone_find("mmoe")->opts;
    for (; o->name; o++) {
        if (strcmp(o->name, opt)) continue;
        if (o->type == OPT_INT) *(int *)(c->bb_cfg + o->offset) = atoi(value);
        else *(const char **)(c->bb_cfg + o->offset) = value;
        return;
    }
    fail_msg("no option %s", opt);
}

/* The tiny configuration (tests/bb_domain_testutil.h) with E experts. */
static struct model_cfg mmoe_cfg(const char *apg, int experts)
{
    struct model_cfg c;
    char num[16];
    dtu_cfg(&c, "mmoe", apg);
    snprintf(num, sizeof num, "%d", experts);
    mmoe_set(&c, "mmoe-experts", num);
    return c;
}

static void mmoe_model(struct model *m, struct dataset *d, const char *apg, int experts)
{
    struct model_cfg c = mmoe_cfg(apg, experts);
    char err[256];
    struct rng r;
    rng_seed(&r, 7);
    int rc = model_init(m, "mmoe", &c, d, &r, err, sizeof err);
    if (rc) fprintf(stderr, "model_init: %s\n", err);
    assert_int_equal(rc, 0);
}

static void test_gradcheck_base(void **state)
{
    (void)state;
    struct dataset d;
    struct model m;
    dtu_data(&d);
    mmoe_model(&m, &d, "none", 3);
    dtu_perturb(&m, 11);
    assert_int_equal(dtu_gradcheck(&m, &d), 0);
    model_free(&m);
    dataset_free(&d);
}

static void test_gradcheck_apg_v6(void **state)
{
    (void)state;
    struct dataset d;
    struct model m;
    dtu_data(&d);
    mmoe_model(&m, &d, "v6", 3);
    assert_int_equal(m.n_dense, 3 * 2 + 1);   /* 3 experts x 2 layers + the output layer */
    dtu_perturb(&m, 12);
    assert_int_equal(dtu_gradcheck(&m, &d), 0);
    model_free(&m);
    dataset_free(&d);
}

/* Gate row d reaches exactly the rows of domain d: rows of one domain share a gate
 * table row, rows of different domains read different ones. */
static void test_one_gate_per_domain(void **state)
{
    (void)state;
    struct dataset d;
    struct model m;
    dtu_data(&d);
    mmoe_model(&m, &d, "none", 3);
    dtu_perturb(&m, 13);
    for (int dom = 0; dom < dtu_card[1]; dom++)
        assert_int_equal(dtu_reach(&m, &d, "mmoe.gate", dom), dtu_domain_mask(dom));
    assert_int_equal(dtu_domain_mask(0), 0);   /* the padding id: no row */
    model_free(&m);
    dataset_free(&d);
}

/* params = embeddings V*E + wide V + w0 + gates D*E_x*M + experts E_x * sum (N M + N)
 *          + output (H + 1), with V = sum of cards, M = F*E, D = card(item_id). */
static void test_param_bytes(void **state)
{
    (void)state;
    struct dataset d;
    struct model m;
    dtu_data(&d);
    for (int ex = 1; ex <= 4; ex++) {
        mmoe_model(&m, &d, "none", ex);
        size_t V = dtu_ids_total(), E = 3, M = DTU_F * E, D = (size_t)dtu_card[1];
        size_t tower = (M * 5 + 5) + (5 * 4 + 4);
        size_t floats = V * E + V + 1 + D * (size_t)ex * M + (size_t)ex * tower + (4 + 1);
        assert_int_equal(params_bytes(&m.ps), 4 * floats);
        model_free(&m);
    }
    dataset_free(&d);
}

static void test_domain_errors(void **state)
{
    (void)state;
    struct dataset d;
    struct model m;
    struct model_cfg c = mmoe_cfg("none", 2);
    struct rng r;
    char err[512];
    dtu_data(&d);
    rng_seed(&r, 1);
    mmoe_set(&c, "mmoe-domain", "city");
    assert_int_not_equal(model_init(&m, "mmoe", &c, &d, &r, err, sizeof err), 0);
    assert_non_null(strstr(err, "mmoe-domain"));
    assert_non_null(strstr(err, "user_id, item_id, genre"));
    model_free(&m);
    /* genre multi-valued: refused as a domain; item_id is then read from the bags */
    free(d.fields[2].ids);
    d.fields[2].ids = NULL;
    d.fields[2].multi = 1;
    d.fields[2].offs = malloc(sizeof(int64_t) * (DTU_B + 1));
    d.fields[2].mids = malloc(sizeof(int32_t) * 2 * DTU_B);
    for (int i = 0; i <= DTU_B; i++) d.fields[2].offs[i] = 2 * i;
    for (int i = 0; i < 2 * DTU_B; i++) d.fields[2].mids[i] = 1 + i % 3;
    mmoe_set(&c, "mmoe-domain", "genre");
    assert_int_not_equal(model_init(&m, "mmoe", &c, &d, &r, err, sizeof err), 0);
    assert_non_null(strstr(err, "multi-valued"));
    model_free(&m);
    mmoe_model(&m, &d, "none", 2);
    dtu_perturb(&m, 14);
    for (int dom = 0; dom < dtu_card[1]; dom++)
        assert_int_equal(dtu_reach(&m, &d, "mmoe.gate", dom), dtu_domain_mask(dom));
    assert_int_equal(dtu_gradcheck(&m, &d), 0);
    model_free(&m);
    dataset_free(&d);
}

static struct dataset syn;
static struct split syn_split;

static int setup(void **state)
{
    (void)state;
    return dtu_synthetic(&syn, &syn_split);
}

static int teardown(void **state)
{
    (void)state;
    split_free(&syn_split);
    dataset_free(&syn);
    return 0;
}

static void test_learns(void **state)
{
    (void)state;
    dtu_learn(&syn, &syn_split, "mmoe", "none");
}

static void test_apg_v6_learns(void **state)
{
    (void)state;
    dtu_learn(&syn, &syn_split, "mmoe", "v6");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradcheck_base),
        cmocka_unit_test(test_gradcheck_apg_v6),
        cmocka_unit_test(test_one_gate_per_domain),
        cmocka_unit_test(test_param_bytes),
        cmocka_unit_test(test_domain_errors),
        cmocka_unit_test(test_learns),
        cmocka_unit_test(test_apg_v6_learns),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
