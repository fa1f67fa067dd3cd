/* Every backbone of the registry (so a new one is covered automatically): forward
 * shapes, and a central-difference gradient check of the mean BCE loss w.r.t. sampled
 * entries of every parameter, on a tiny configuration, as the base model and with
 * APG v6 (self-wise) on its MLP layers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"
#include "ops.h"

enum { B = 6, F = 3 };
static const char *const names[F] = { "user_id", "item_id", "genre" };
static const int cards[F] = { 5, 6, 4 };

static void tiny_dataset(struct dataset *d)
{
    dataset_init(d, "tiny", B, F);
    struct rng r;
    rng_seed(&r, 3);
    for (int f = 0; f < F; f++) {
        snprintf(d->fields[f].name, sizeof d->fields[f].name, "%s", names[f]);
        d->fields[f].card = cards[f];
        d->fields[f].ids = malloc(sizeof(int32_t) * B);
        for (int i = 0; i < B; i++) d->fields[f].ids[i] = 1 + (int32_t)rng_below(&r, (uint32_t)cards[f] - 1);
    }
    for (int i = 0; i < B; i++) d->label[i] = (float)(i % 2);
    d->user_field = 0;
    d->item_field = 1;
    d->category_field = 2;
}

/* Mean BCE of the model on the batch (forward only, graph not recorded). */
static double loss_of(struct model *m, struct graph *g, const struct batch *b)
{
    int rec = g->record;
    g->record = 0;
    graph_reset(g);
    struct tensor *lg = model_forward(m, g, b);
    double l = 0;
    for (int i = 0; i < b->n; i++) {
        double x = lg->data[i], y = b->label[i];
        l += fmax(x, 0) - x * y + log1p(exp(-fabs(x)));
    }
    g->record = rec;
    return l / b->n;
}

static void check_backbone(const struct backbone_ops *bb, const char *variant)
{
    struct dataset d;
    tiny_dataset(&d);
    struct model_cfg cfg;
    model_cfg_default(&cfg);
    backbone_cfg_default(bb, &cfg);
    cfg.emb_dim = 4;
    cfg.n_hidden = 2;
    cfg.hidden[0] = 6;
    cfg.hidden[1] = 5;
    cfg.emb_init = 0.3f;
    cfg.apg.variant = variant;
    cfg.apg.K = 2;
    cfg.apg.P = 3;
    struct model m;
    struct rng r;
    rng_seed(&r, 11);
    char err[512];
    if (model_init(&m, bb->name, &cfg, &d, &r, err, sizeof err)) {
        /* A backbone may refuse APG (its own layers are the adaptive mechanism). */
        if (strcmp(variant, "none") == 0) fail_msg("%s: %s", bb->name, err);
        assert_non_null(strstr(err, "apg"));
        print_message("   %s + %s: refused (%s)\n", bb->name, variant, err);
        model_free(&m);
        dataset_free(&d);
        return;
    }
    /* Perturb every parameter so zero-initialised ones are not checked only at 0. */
    for (size_t i = 0; i < m.ps.n_floats; i++) m.ps.data[i] += 0.05f * (float)(rng_double(&r) - 0.5);

    struct graph g;
    graph_init(&g, 1 << 20);
    int32_t rows[B];
    for (int i = 0; i < B; i++) rows[i] = i;
    void *mem = malloc(batch_bytes(&d, rows, B));
    struct batch b;
    batch_build(&b, &d, m.base, rows, B, mem);

    struct tensor *lg = model_forward(&m, &g, &b);
    assert_int_equal(lg->size, B);
    assert_int_equal(lg->shape[0], B);
    params_zero_grad(&m.ps);
    graph_backward(&g, t_bce(&g, lg, b.label));
    size_t n = m.ps.n_floats;
    float *grad = malloc(sizeof(float) * n);
    memcpy(grad, m.ps.grad, sizeof(float) * n);

    int checked = 0, bad = 0;
    for (int p = 0; p < m.ps.n; p++) {
        struct tensor *t = m.ps.list[p];
        size_t off = (size_t)(t->data - m.ps.data);
        for (int k = 0; k < 6 && k < t->size; k++) {
            int i = k == 0 ? 0 : (int)rng_below(&r, (uint32_t)t->size);
            float keep = t->data[i];
            double ana = grad[off + (size_t)i], num = 0;
            int ok = 0;
            /* Three step sizes: a ReLU kink within h of a pre-activation spoils the larger ones. */
            for (float h = 1e-3f; h > 3e-5f && !ok; h /= 4) {
                t->data[i] = keep + h;
                double lp = loss_of(&m, &g, &b);
                t->data[i] = keep - h;
                double lm = loss_of(&m, &g, &b);
                t->data[i] = keep;
                num = (lp - lm) / (2.0 * h);
                ok = fabs(num - ana) <= 2e-3 + 3e-2 * fabs(num);
            }
            if (!ok) {
                print_message("   %s + %s: d loss / d %s[%d]: analytic %.6g, numeric %.6g\n", bb->name,
                              variant, t->name, i, ana, num);
                bad++;
            }
            checked++;
        }
    }
    print_message("   %s + %s: %d parameters, %d entries checked\n", bb->name, variant, m.ps.n, checked);
    assert_int_equal(bad, 0);
    free(grad);
    free(mem);
    graph_free(&g);
    model_free(&m);
    dataset_free(&d);
}

static void test_every_backbone_base(void **state)
{
    (void)state;
    for (int i = 0; i < backbone_count(); i++) check_backbone(backbone_at(i), "none");
}

static void test_every_backbone_with_apg(void **state)
{
    (void)state;
    for (int i = 0; i < backbone_count(); i++) check_backbone(backbone_at(i), "v6");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_backbone_base),
        cmocka_unit_test(test_every_backbone_with_apg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
