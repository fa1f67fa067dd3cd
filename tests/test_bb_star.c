/* Star (backbones/star.c): shapes, a central-difference gradient check of the whole
 * model, Star's init (W^d = 1, b^d = 0), one weight row per domain (item_id), exact
 * parameter bytes, --apg refused, and learning 100,000 synthetic rows in one epoch. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "bb_domain_testutil.h"

/* The tiny configuration; --star-hidden "" = the model's hidden 5-4. */
static struct model_cfg star_cfg(const char *apg, const char *hidden)
{
    struct model_cfg c;
    dtu_cfg(&c, "star", apg);
    const struct opt *o = backbone_find("star")->opts;
    for (; o->name; o++)
        if (strcmp(o->name, "star-hidden") == 0) *(const char **)(c.bb_cfg + o->offset) = hidden;
    return c;
}

static int star_model(struct model *m, struct dataset *d, const char *apg, const char *hidden,
                      char *err, size_t errlen)
{
    struct model_cfg c = star_cfg(apg, hidden);
    struct rng r;
    rng_seed(&r, 7);
    int rc = model_init(m, "star", &c, d, &r, err, errlen);
    if (rc && !apg[0]) fprintf(stderr, "model_init: %s\n", err);
    return rc;
}

static void star_ok(struct model *m, struct dataset *d, const char *hidden)
{
    char err[512];
    int rc = star_model(m, d, "none", hidden, err, sizeof err);
    if (rc) fprintf(stderr, "model_init: %s\n", err);
    assert_int_equal(rc, 0);
}

static void test_init_and_gradcheck(void **state)
{
    (void)state;
    struct dataset d;
    struct model m;
    dtu_data(&d);
    star_ok(&m, &d, "");
    for (int l = 0; l < 2; l++) {          /* Star's init: W^d = 1, b^d = 0 */
        char nm[32];
        snprintf(nm, sizeof nm, "star.fcn.%d.wd", l);
        struct tensor *wd = params_find(&m.ps, nm);
        assert_non_null(wd);
        for (int i = 0; i < wd->size; i++) assert_true(wd->data[i] == 1.0f);
        snprintf(nm, sizeof nm, "star.fcn.%d.bd", l);
        struct tensor *bd = params_find(&m.ps, nm);
        assert_non_null(bd);
        for (int i = 0; i < bd->size; i++) assert_true(bd->data[i] == 0.0f);
    }
    dtu_perturb(&m, 21);
    assert_int_equal(dtu_gradcheck(&m, &d), 0);
    model_free(&m);
    dataset_free(&d);
}

/* Row d of every per-domain table reaches exactly the rows of domain d. */
static void test_one_weight_per_domain(void **state)
{
    (void)state;
    static const char *const tables[] = { "star.fcn.0.wd", "star.fcn.0.bd", "star.fcn.1.wd", "star.fcn.1.bd" };
    struct dataset d;
    struct model m;
    dtu_data(&d);
    star_ok(&m, &d, "");
    dtu_perturb(&m, 22);
    for (int l = 0; l < 2; l++) {          /* shared biases > 0: no layer is dead on a row */
        char nm[32];
        snprintf(nm, sizeof nm, "star.fcn.%d.b", l);
        struct tensor *b = params_find(&m.ps, nm);
        for (int i = 0; i < b->size; i++) b->data[i] += 2.0f;
    }
    for (int t = 0; t < 4; t++)
        for (int dom = 0; dom < dtu_card[1]; dom++)
            assert_int_equal(dtu_reach(&m, &d, tables[t], dom), dtu_domain_mask(dom));
    model_free(&m);
    dataset_free(&d);
}

/* params = embeddings V*E + wide V + w0 + (1 + D) sum_l (N_l M_l + N_l) + (N_L + 1):
 * the shared FCN, one copy of its weights and biases per domain, the output layer. */
static void test_param_bytes(void **state)
{
    (void)state;
    struct dataset d;
    struct model m;
    dtu_data(&d);
    size_t V = dtu_ids_total(), E = 3, M = DTU_F * E, D = (size_t)dtu_card[1];
    star_ok(&m, &d, "");                    /* 9 -> 5 -> 4 */
    size_t fcn = (M * 5 + 5) + (5 * 4 + 4);
    assert_int_equal(params_bytes(&m.ps), 4 * (V * E + V + 1 + (1 + D) * fcn + (4 + 1)));
    model_free(&m);
    star_ok(&m, &d, "7,6,2");               /* 9 -> 7 -> 6 -> 2 */
    fcn = (M * 7 + 7) + (7 * 6 + 6) + (6 * 2 + 2);
    assert_int_equal(params_bytes(&m.ps), 4 * (V * E + V + 1 + (1 + D) * fcn + (2 + 1)));
    model_free(&m);
    dataset_free(&d);
}

static void test_errors(void **state)
{
    (void)state;
    struct dataset d;
    struct model m;
    char err[512];
    dtu_data(&d);
    assert_int_not_equal(star_model(&m, &d, "v6", "", err, sizeof err), 0);
    assert_non_null(strstr(err, "--apg v6 is not supported"));
    model_free(&m);
    assert_int_not_equal(star_model(&m, &d, "none", "8,x", err, sizeof err), 0);
    assert_non_null(strstr(err, "--star-hidden"));
    model_free(&m);
    struct model_cfg c = star_cfg("none", "");
    struct rng r;
    rng_seed(&r, 1);
    const struct opt *o = backbone_find("star")->opts;
    for (; o->name; o++)
        if (strcmp(o->name, "star-domain") == 0) *(const char **)(c.bb_cfg + o->offset) = "city";
    assert_int_not_equal(model_init(&m, "star", &c, &d, &r, err, sizeof err), 0);
    assert_non_null(strstr(err, "--star-domain: no field 'city' (single-valued fields: user_id, item_id, genre)"));
    model_free(&m);
    dataset_free(&d);
}

static void test_learns(void **state)
{
    (void)state;
    struct dataset syn;
    struct split s;
    assert_int_equal(dtu_synthetic(&syn, &s), 0);
    dtu_learn(&syn, &s, "star", "none");
    split_free(&s);
    dataset_free(&syn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_and_gradcheck),
        cmocka_unit_test(test_one_weight_per_domain),
        cmocka_unit_test(test_param_bytes),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_learns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
