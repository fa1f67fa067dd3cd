/* The positive control (synthetic --like control:S): its stored probabilities have the
 * documented oracle AUC, and APG beats the base model there by more than the spread
 * over a fixed seed list, with a gain that grows with the strength S. Small version of
 * `apg reproduce fidelity` (README "When APG helps here"): 40k rows, a 16-wide WDL
 * tower, 10 epochs with early stopping. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "dataset.h"
#include "metrics.h"
#include "synthetic.h"
#include "train.h"
#include "model.h"

#define N_SEEDS 3
static const uint64_t seeds[N_SEEDS] = { 1, 2, 3 };

/* Documented oracle AUC of control:S at 100000 rows, data seed 1 (core/synthetic.h). */
static void test_documented_oracle(void **state)
{
    (void)state;
    static const char *const like[] = { "control:0", "control:1", "control:2", "control:3" };
    char err[256];
    for (int s = 0; s < 4; s++) {
        struct dataset d;
        assert_int_equal(synthetic_generate(&d, like[s], 100000, 1, err, sizeof err), 0);
        double auc = metrics_auc(d.prob, d.label, d.n_rows), doc = synthetic_control_oracle(s);
        printf("   %s: oracle AUC of the stored probabilities %.4f, documented %.4f\n", like[s], auc, doc);
        assert_false(isnan(doc));
        assert_true(fabs(auc - doc) < 5e-4);
        dataset_free(&d);
    }
    assert_true(isnan(synthetic_control_oracle(4)));
    /* the strength is the only difference: the same rows, ids and groups */
    struct dataset a, b;
    assert_int_equal(synthetic_generate(&a, "control:1", 20000, 3, err, sizeof err), 0);
    assert_int_equal(synthetic_generate(&b, "control:2.5", 20000, 3, err, sizeof err), 0);
    for (int f = 0; f < a.n_fields; f++)
        for (int i = 0; i < a.n_rows; i++) assert_int_equal(a.fields[f].ids[i], b.fields[f].ids[i]);
    dataset_free(&a);
    dataset_free(&b);
    /* malformed strengths and a strength on another preset are refused */
    static const char *const bad[] = { "control:", "control:x", "control:-1", "control:11", "control:1x",
                                       "ml1m:2" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(synthetic_generate(&a, bad[i], 1000, 1, err, sizeof err), -1);
        assert_non_null(strstr(err, "synthetic"));
    }
}

struct arm { const char *name, *variant, *condition; int K; float gen_scale; };

/* Test AUC of one arm on (d, s) for every seed. */
static void run_arm(const struct arm *a, const struct dataset *d, const struct split *s, double *auc)
{
    for (int k = 0; k < N_SEEDS; k++) {
        struct train_cfg c;
        struct train_result r;
        char err[256];
        train_cfg_default(&c);
        c.model.hidden[0] = 16;
        c.model.n_hidden = 1;
        c.model.apg.variant = a->variant;
        if (a->condition) c.model.apg.condition = a->condition;
        if (a->K) c.model.apg.K = a->K;
        if (a->gen_scale > 0) c.model.apg.gen_scale = a->gen_scale;
        c.epochs = 10;
        c.patience = 2;
        c.seed = seeds[k];
        c.threads = 1;
        int rc = train_run(&c, d, s, &r, err, sizeof err);
        if (rc) fail_msg("%s: %s", a->name, err);
        auc[k] = r.test_auc;
    }
}

static double mean(const double *x) { double m = 0; for (int k = 0; k < N_SEEDS; k++) m += x[k]; return m / N_SEEDS; }
static double spread(const double *x)
{
    double lo = x[0], hi = x[0];
    for (int k = 1; k < N_SEEDS; k++) { lo = x[k] < lo ? x[k] : lo; hi = x[k] > hi ? x[k] : hi; }
    return hi - lo;
}

/* Paired gains d[k] = AUC(arm, seed k) - AUC(base, seed k) on control:S (40k rows);
 * *spread_out = the spread of the arm's AUCs plus that of the base's. */
static void gains(const char *like, const struct arm *arm, double *d, double *spread_out)
{
    static const struct arm base = { "base", "none", NULL, 0, 0 };
    struct data_opts o;
    struct dataset ds;
    struct split s;
    char err[256];
    data_opts_default(&o);
    o.like = like;
    o.rows = 40000;
    if (dataset_load(&ds, &o, err, sizeof err)) fail_msg("%s", err);
    split_random(&s, &ds, 0.8, 0.1, o.data_seed);
    double b[N_SEEDS], a[N_SEEDS];
    run_arm(&base, &ds, &s, b);
    run_arm(arm, &ds, &s, a);
    printf("   %s: base %.4f (spread %.4f), %s %.4f (spread %.4f)\n", like, mean(b), spread(b), arm->name,
           mean(a), spread(a));
    for (int k = 0; k < N_SEEDS; k++) d[k] = a[k] - b[k];
    *spread_out = spread(a) + spread(b);
    split_free(&s);
    dataset_free(&ds);
}

/* Group-wise on the user field, S_i of 16 x 16 (the README's setting): at S = 3 the
 * mean gain over base exceeds the spread of both arms over the seeds, and every seed's
 * gain exceeds every seed's gain at S = 0 (no instance-specific pattern). */
static void test_apg_beats_base_on_control(void **state)
{
    (void)state;
    static const struct arm apg = { "v3 group:user_id K16", "v3", "group:user_id", 16, 1.0f };
    double d3[N_SEEDS], d0[N_SEEDS], sp3, sp0;
    gains("control:3", &apg, d3, &sp3);
    gains("control:0", &apg, d0, &sp0);
    double lo3 = d3[0], hi0 = d0[0];
    for (int k = 1; k < N_SEEDS; k++) { lo3 = d3[k] < lo3 ? d3[k] : lo3; hi0 = d0[k] > hi0 ? d0[k] : hi0; }
    printf("   gain at S=3 %+.4f (spreads %.4f, smallest %+.4f), at S=0 %+.4f (largest %+.4f)\n", mean(d3), sp3,
           lo3, mean(d0), hi0);
    assert_true(mean(d3) > sp3);
    assert_true(lo3 > hi0);
}

/* --gen-lr M: every parameter of the generator G, and only those, takes M times the
 * step; it changes the trained model. */
static void test_gen_lr(void **state)
{
    (void)state;
    struct data_opts o;
    data_opts_default(&o);
    o.like = "control:2";
    o.rows = 6000;
    o.no_cache = 1;
    struct dataset d;
    char err[256];
    assert_int_equal(dataset_load(&d, &o, err, sizeof err), 0);
    struct model_cfg cfg;
    model_cfg_default(&cfg);
    cfg.hidden[0] = 16;
    cfg.n_hidden = 1;
    cfg.apg.variant = "v3";
    cfg.apg.gen_lr = 7.0f;
    struct model m;
    struct rng rng;
    rng_seed(&rng, 1);
    assert_int_equal(model_init(&m, "wdl", &cfg, &d, &rng, err, sizeof err), 0);
    int scaled = 0;
    for (int i = 0; i < m.ps.n; i++) {
        const struct tensor *t = m.ps.list[i];
        int is_g = strstr(t->name, ".G.") != NULL;        /* LAYER.G.L.w / .b (conditions/) */
        if (t->lr_scale == 7.0f) scaled++;
        if (t->lr_scale == 7.0f) assert_true(is_g);
        else assert_false(is_g);
    }
    printf("   --gen-lr 7: %d generator parameters scaled\n", scaled);
    assert_true(scaled >= 2);
    model_free(&m);

    struct split s;
    assert_int_equal(dataset_split(&s, &d, &o, err, sizeof err), 0);
    double auc[2];
    for (int k = 0; k < 2; k++) {
        struct train_cfg c;
        struct train_result r;
        train_cfg_default(&c);
        c.model = cfg;
        c.model.apg.gen_lr = k ? 10.0f : 1.0f;
        c.epochs = 2;
        assert_int_equal(train_run(&c, &d, &s, &r, err, sizeof err), 0);
        auc[k] = r.test_auc;
    }
    printf("   test AUC with --gen-lr 1: %.5f, 10: %.5f\n", auc[0], auc[1]);
    assert_true(auc[0] != auc[1]);
    split_free(&s);
    dataset_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gen_lr),
        cmocka_unit_test(test_documented_oracle),
        cmocka_unit_test(test_apg_beats_base_on_control),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
