/* APG conditions (conditions/): central-difference gradient check of every weight form
 * of the reparam table under every condition strategy and aggregation, on a tiny
 * dataset (user_id, item_id, category; category multi-valued in some cases); group-
 * and self-wise behaviour of the generated parameters; the initial state of the
 * aggregations; the registry round trip and the configuration errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "condition.h"
#include "generator.h"
#include "ops.h"

#define T_B 3      /* rows */
#define T_M 6      /* layer input */
#define T_N 5      /* layer output */
#define T_E 3      /* embedding width */
#define T_K 2
#define T_P 4

#define GC_H     1e-2
#define GC_RTOL  1e-2
#define GC_ATOL  1e-3
#define GC_CHECK 48     /* elements checked per parameter; larger ones are sampled */

/* A dense layer under one APG configuration, its embedding table and input, one batch. */
struct fx {
    struct dataset d;
    int64_t base[3];
    int32_t rows[T_B];
    void *mem;
    struct batch b;
    struct param_store ps;
    struct apg_cfg cfg;
    struct layer_ctx c;
    struct dense l;
    struct tensor *emb, *x;
    struct rng rng;
};

/* Rows: user 1, 2, 1 (rows 0 and 2 share a user); item 3, 1, 4; category single
 * 2, 3, 2 or multi {1,2} {3} {2,3,1}. */
static void fx_dataset(struct dataset *d, int multi)
{
    static const char *const names[3] = { "user_id", "item_id", "category" };
    static const int32_t card[3] = { 4, 5, 4 }, ids[3][T_B] = { { 1, 2, 1 }, { 3, 1, 4 }, { 2, 3, 2 } };
    static const int64_t offs[T_B + 1] = { 0, 2, 3, 6 };
    static const int32_t mids[6] = { 1, 2, 3, 2, 3, 1 };
    dataset_init(d, "tiny", T_B, 3);
    for (int f = 0; f < 3; f++) {
        struct field *fl = &d->fields[f];
        snprintf(fl->name, sizeof fl->name, "%s", names[f]);
        fl->card = card[f];
        if (f == 2 && multi) {
            fl->multi = 1;
            fl->offs = malloc(sizeof offs);
            fl->mids = malloc(sizeof mids);
            memcpy(fl->offs, offs, sizeof offs);
            memcpy(fl->mids, mids, sizeof mids);
        } else {
            fl->ids = malloc(sizeof ids[f]);
            memcpy(fl->ids, ids[f], sizeof ids[f]);
        }
    }
    for (int i = 0; i < T_B; i++) d->label[i] = (float)(i & 1);
}

/* Declares the layer; 0, or -1 with the configuration error in x->c.err. The
 * parameters are allocated (seeded by seed) only on success. */
static int fx_init(struct fx *x, const char *form, const char *cond, int multi, int gen_layers,
                   const char *init, uint64_t seed, int M, int N)
{
    memset(x, 0, sizeof *x);
    fx_dataset(&x->d, multi);
    int64_t n_ids = data_field_bases(&x->d, x->base);
    for (int i = 0; i < T_B; i++) x->rows[i] = i;
    x->mem = malloc(batch_bytes(&x->d, x->rows, T_B));
    batch_build(&x->b, &x->d, x->base, x->rows, T_B, x->mem);
    params_init(&x->ps);
    apg_cfg_default(&x->cfg);
    x->cfg.variant = form;
    x->cfg.condition = cond;
    x->cfg.K = T_K;
    x->cfg.P = T_P;
    x->cfg.gen_layers = gen_layers;
    x->cfg.gen_hidden = 4;
    x->cfg.init = init;
    x->c = (struct layer_ctx){ .ps = &x->ps, .n_fields = 3, .emb_dim = T_E, .n_ids = n_ids,
                               .emb_init = 0.5f, .apg = &x->cfg, .data = &x->d };
    x->emb = embed_table(&x->c, "emb", T_E, 0.5f);
    x->x = param_new(&x->ps, "x", 2, (int[]){ T_B, M }, INIT_UNIFORM, 1.0f, 0);
    dense_init(&x->l, &x->c, "t", M, N, ACT_TANH, 1);
    if (x->c.err[0]) return -1;
    rng_seed(&x->rng, seed);
    params_alloc(&x->ps, &x->rng);
    return 0;
}

static void fx_free(struct fx *x)
{
    dense_free(&x->l);
    params_free(&x->ps);
    dataset_free(&x->d);
    free(x->mem);
}

static struct fwd_ctx fx_ctx(struct fx *x, struct graph *g)
{
    return (struct fwd_ctx){ .g = g, .batch = &x->b, .emb = embed_lookup(g, x->emb, &x->b) };
}

static struct tensor *fx_forward(struct fx *x, struct graph *g)
{
    struct fwd_ctx f = fx_ctx(x, g);
    return dense_forward(&x->l, &f, x->x);
}

static struct tensor *fx_generate(struct fx *x, struct graph *g)
{
    struct fwd_ctx f = fx_ctx(x, g);
    return x->l.cond->generate(x->l.cond_state, &f, x->x);
}

/* sum_i y_i w_i in double, from a fresh unrecorded forward pass. */
static double fx_eval(struct fx *x, struct graph *g, const float *w)
{
    graph_reset(g);
    g->record = 0;
    struct tensor *y = fx_forward(x, g);
    g->record = 1;
    double f = 0.0;
    for (int i = 0; i < y->size; i++) f += (double)y->data[i] * w[i];
    return f;
}

static int gc_ok(double num, double an)
{
    return fabs(num - an) <= GC_ATOL + GC_RTOL * fmax(fabs(num), fabs(an));
}

/* d loss / d every parameter (generator, attention, projection, factors, bias,
 * embedding table, and the input x) against central differences; returns mismatches.
 * Where a ReLU kink of a deeper G lies inside +-h, the one-sided differences disagree
 * and the analytic value may match either one. */
static int gradcheck(const char *form, const char *cond, int multi, int gen_layers, const char *init)
{
    struct fx x;
    if (fx_init(&x, form, cond, multi, gen_layers, init, 11, T_M, T_N)) {
        fprintf(stderr, "gradcheck %s %s: %s\n", form, cond, x.c.err);
        fx_free(&x);
        return 1;
    }
    /* Move zero-initialised values (biases, attention) off their special point. */
    for (int i = 0; i < x.ps.n; i++) {
        struct tensor *p = x.ps.list[i];
        for (int j = 0; j < p->size; j++) p->data[j] += rng_uniform(&x.rng, -0.2f, 0.2f);
    }
    struct graph g;
    graph_init(&g, 1 << 16);
    struct tensor *y = fx_forward(&x, &g);
    int n = y->size;
    float *w = malloc(sizeof(float) * (size_t)n);
    for (int i = 0; i < n; i++) w[i] = rng_uniform(&x.rng, -1.0f, 1.0f);
    struct tensor *loss = t_rowdot(&g, t_reshape2(&g, y, 1, n), graph_input(&g, w, 2, (int[]){ 1, n }));
    float *g0 = malloc(sizeof(float) * x.ps.n_floats);
    for (size_t i = 0; i < x.ps.n_floats; i++) g0[i] = x.ps.grad[i] = rng_uniform(&x.rng, -1, 1);
    graph_backward(&g, loss);
    int bad = 0, checked_x = 0;
    for (int i = 0; i < x.ps.n; i++) {
        struct tensor *p = x.ps.list[i];
        int stride = p->size > GC_CHECK ? p->size / GC_CHECK : 1;
        for (int j = 0; j < p->size; j += stride) {
            double an = (double)p->grad[j] - g0[p->grad - x.ps.grad + j];
            float v = p->data[j];
            float vp = v + (float)GC_H, vm = v - (float)GC_H;
            p->data[j] = vp;
            double fp = fx_eval(&x, &g, w);
            p->data[j] = vm;
            double fm = fx_eval(&x, &g, w);
            p->data[j] = v;
            double f0 = fx_eval(&x, &g, w);
            double num = (fp - fm) / ((double)vp - (double)vm);
            int ok = gc_ok(num, an);
            if (!ok && gen_layers > 1)
                ok = gc_ok((fp - f0) / ((double)vp - v), an) || gc_ok((f0 - fm) / ((double)v - vm), an);
            if (!ok) {
                if (bad < 4)
                    fprintf(stderr, "gradcheck %s %s (gen_layers %d, %s): %s[%d]: analytic %.6g, numeric %.6g\n",
                            form, cond, gen_layers, init, p->name, j, an, num);
                bad++;
            }
            checked_x += p == x.x;
        }
    }
    assert_int_equal(checked_x, x.x->size);
    free(g0);
    free(w);
    graph_free(&g);
    fx_free(&x);
    return bad;
}

/* Every condition strategy and aggregation; multi = category multi-valued. */
static const struct { const char *cond; int multi; } gc_conds[] = {
    { "self", 0 },
    { "group:user_id", 0 },
    { "group:category", 1 },
    { "mix-in:mean:user_id,item_id,category", 0 },
    { "mix-in:concat:category,user_id", 1 },
    { "mix-in:concat:user_id,item_id", 0 },
    { "mix-in:attention:item_id,user_id,category", 0 },
    { "mix-out:mean:user_id,item_id", 0 },
    { "mix-out:concat:user_id,item_id,category", 1 },
    { "mix-out:attention:category,item_id", 0 },
};
#define N_GC_CONDS ((int)(sizeof gc_conds / sizeof gc_conds[0]))

static void test_gradcheck_form(void **state)
{
    const char *form = reparam_at((int)(intptr_t)*state)->name;
    int bad = 0;
    for (int i = 0; i < N_GC_CONDS; i++)
        bad += gradcheck(form, gc_conds[i].cond, gc_conds[i].multi, 1, "scaled");
    /* A deeper G (ReLU hidden layer) and the plain initialisation. */
    bad += gradcheck(form, "self", 0, 2, "scaled");
    bad += gradcheck(form, "mix-out:attention:user_id,category", 1, 2, "plain");
    bad += gradcheck(form, "mix-in:attention:user_id,item_id", 0, 1, "plain");
    assert_int_equal(bad, 0);
}

/* Every condition the table holds is exercised above. */
static void test_every_condition_checked(void **state)
{
    (void)state;
    for (int i = 0; i < condition_count(); i++) {
        const char *name = condition_at(i)->name;
        int found = 0;
        for (int j = 0; j < N_GC_CONDS; j++) {
            const char *spec;
            found |= condition_find(gc_conds[j].cond, &spec) == condition_at(i);
        }
        if (!found) fail_msg("condition %s has no gradient check case", name);
    }
}

/* max |a_r - b_r| over the gen columns of rows r1, r2 of t. */
static float row_diff(const struct tensor *t, int r1, int r2)
{
    int cols = tensor_cols(t);
    float m = 0.0f;
    for (int c = 0; c < cols; c++) m = fmaxf(m, fabsf(t->data[r1 * cols + c] - t->data[r2 * cols + c]));
    return m;
}

/* Group-wise: rows 0 and 2 share user 1 (their inputs x differ): equal generated
 * parameters; row 1 (user 2) differs. Self-wise: different inputs, different ones. */
static void test_group_and_self_wise(void **state)
{
    (void)state;
    for (int i = 0; i < reparam_count(); i++) {
        const char *form = reparam_at(i)->name;
        struct graph g;
        graph_init(&g, 1 << 16);
        struct fx x;
        assert_int_equal(fx_init(&x, form, "group:user_id", 0, 1, "scaled", 3, T_M, T_N), 0);
        struct tensor *gen = fx_generate(&x, &g);
        assert_int_equal(gen->shape[0], T_B);
        assert_int_equal(gen->shape[1], x.l.rl.form->gen_size(&x.l.rl.dims));
        assert_true(row_diff(x.x, 0, 2) > 0.1f);
        assert_true(row_diff(gen, 0, 2) <= 1e-6f);
        assert_true(row_diff(gen, 0, 1) > 1e-4f);
        fx_free(&x);

        graph_reset(&g);
        assert_int_equal(fx_init(&x, form, "self", 0, 1, "scaled", 3, T_M, T_N), 0);
        gen = fx_generate(&x, &g);
        for (int r = 0; r < T_B; r++)
            for (int s = r + 1; s < T_B; s++) assert_true(row_diff(gen, r, s) > 1e-4f);
        /* Equal inputs give equal parameters. */
        memcpy(x.x->data + 2 * T_M, x.x->data, sizeof(float) * T_M);
        graph_reset(&g);
        gen = fx_generate(&x, &g);
        assert_true(row_diff(gen, 0, 2) <= 1e-6f);
        fx_free(&x);
        graph_free(&g);
    }
}

/* The layer's output (B, N) under form and cond at its initial state (seed 5) into
 * out; its size. (The output, not generate(): mix-out under v4 mixes layer outputs.) */
static int initial_out(const char *form, const char *cond, float *out)
{
    struct fx x;
    struct graph g;
    if (fx_init(&x, form, cond, 1, 1, "scaled", 5, T_M, T_N)) fail_msg("%s", x.c.err);
    graph_init(&g, 1 << 16);
    struct tensor *y = fx_forward(&x, &g);
    memcpy(out, y->data, sizeof(float) * (size_t)y->size);
    int n = y->size;
    graph_free(&g);
    fx_free(&x);
    return n;
}

/* Scaled init: the aggregations with parameters start as the mean (attention w = c = 0,
 * projection [I/k .. I/k], p = 0). The parameters declared before them (the G's) take
 * the same draws, so the layer outputs agree. */
static void test_aggregations_start_as_mean(void **state)
{
    (void)state;
    static const char *const pairs[3][2] = {
        { "mix-in:mean:user_id,category,item_id", "mix-in:attention:user_id,category,item_id" },
        { "mix-out:mean:user_id,category,item_id", "mix-out:attention:user_id,category,item_id" },
        { "mix-out:mean:user_id,category,item_id", "mix-out:concat:user_id,category,item_id" },
    };
    for (int i = 0; i < reparam_count(); i++)
        for (int p = 0; p < 3; p++) {
            float a[T_B * T_N], b[T_B * T_N];
            int n = initial_out(reparam_at(i)->name, pairs[p][0], a);
            assert_int_equal(initial_out(reparam_at(i)->name, pairs[p][1], b), n);
            for (int j = 0; j < n; j++)
                if (fabsf(a[j] - b[j]) > 1e-5f)
                    fail_msg("%s: %s vs %s at %d: %g vs %g", reparam_at(i)->name, pairs[p][0],
                             pairs[p][1], j, a[j], b[j]);
        }
}

/* y = U (S (V x)) in double: gen = [U (N x K) | S (K x K) | V (K x M)], row-major. */
static void naive_v4(const double *gen, const float *x, double *y)
{
    const double *U = gen, *S = gen + T_N * T_K, *V = S + T_K * T_K;
    double h[T_K], h2[T_K];
    for (int a = 0; a < T_K; a++) {
        h[a] = 0.0;
        for (int m = 0; m < T_M; m++) h[a] += V[a * T_M + m] * x[m];
    }
    for (int a = 0; a < T_K; a++) {
        h2[a] = 0.0;
        for (int b = 0; b < T_K; b++) h2[a] += S[a * T_K + b] * h[b];
    }
    for (int n = 0; n < T_N; n++) {
        y[n] = 0.0;
        for (int a = 0; a < T_K; a++) y[n] += U[n * T_K + a] * h2[a];
    }
}

/* Mix-out under v4 (every factor generated) mixes the per-condition weights, as the
 * paper aggregates W_ij: for every row i, with gen_ij = G_j(e_ij) computed naively in
 * double and y_ij = U_ij S_ij V_ij x_i,
 *   mean: 1/k sum_j y_ij;  attention: sum_j softmax_j(w^T gen_ij + c_j) y_ij;
 *   concat: P [y_i1 .. y_ik], P (N, k N);
 * and the layer is tanh(that + b). Not U(mean gen) S(mean gen) V(mean gen) x (checked
 * to differ, so the test can tell). Parameters perturbed off their initial state. */
static void test_mix_out_v4_mixes_layers(void **state)
{
    (void)state;
    static const char *const conds[3] = { "mix-out:mean:user_id,item_id,category",
                                          "mix-out:attention:user_id,item_id,category",
                                          "mix-out:concat:user_id,item_id,category" };
    static const char *const fname[3] = { "user_id", "item_id", "category" };
    enum { K3 = 3, GEN = (T_N + T_K + T_M) * T_K };
    for (int c = 0; c < 3; c++) {
        struct fx x;
        if (fx_init(&x, "v4", conds[c], 0, 1, "scaled", 21, T_M, T_N)) fail_msg("%s: %s", conds[c], x.c.err);
        for (int i = 0; i < x.ps.n; i++) {
            struct tensor *p = x.ps.list[i];
            for (int j = 0; j < p->size; j++) p->data[j] += rng_uniform(&x.rng, -0.3f, 0.3f);
        }
        struct graph g;
        graph_init(&g, 1 << 16);
        struct tensor *y = fx_forward(&x, &g);
        assert_int_equal(y->shape[0], T_B);
        assert_int_equal(y->shape[1], T_N);
        const float *bias = params_find(&x.ps, "t.b")->data;
        const struct tensor *att_w = params_find(&x.ps, "t.att.w"), *att_c = params_find(&x.ps, "t.att.c");
        const struct tensor *proj = params_find(&x.ps, "t.proj.w");
        if (c == 2) {
            assert_non_null(proj);
            assert_int_equal(proj->shape[0], T_N);
            assert_int_equal(proj->shape[1], K3 * T_N);
            assert_null(params_find(&x.ps, "t.proj.b"));
        }
        double max_err = 0.0, max_old = 0.0;
        for (int i = 0; i < T_B; i++) {
            double gen[K3][GEN], yj[K3][T_N], mean_gen[GEN] = { 0 }, alpha[K3];
            const float *xi = x.x->data + i * T_M;
            for (int j = 0; j < K3; j++) {
                char nm[48];
                snprintf(nm, sizeof nm, "t.G.%s.0.w", fname[j]);
                const struct tensor *w = params_find(&x.ps, nm);
                snprintf(nm, sizeof nm, "t.G.%s.0.b", fname[j]);
                const struct tensor *b = params_find(&x.ps, nm);
                assert_non_null(w);
                assert_non_null(b);
                const float *e = x.emb->data + (x.base[j] + x.d.fields[j].ids[i]) * T_E;
                for (int o = 0; o < GEN; o++) {
                    gen[j][o] = b->data[o];
                    for (int q = 0; q < T_E; q++) gen[j][o] += (double)w->data[o * T_E + q] * e[q];
                    mean_gen[o] += gen[j][o] / K3;
                }
                naive_v4(gen[j], xi, yj[j]);
                alpha[j] = 1.0 / K3;
                if (c == 1) {
                    alpha[j] = att_c->data[j];
                    for (int o = 0; o < GEN; o++) alpha[j] += (double)att_w->data[o] * gen[j][o];
                }
            }
            if (c == 1) {
                double mx = fmax(alpha[0], fmax(alpha[1], alpha[2])), z = 0.0;
                for (int j = 0; j < K3; j++) z += alpha[j] = exp(alpha[j] - mx);
                for (int j = 0; j < K3; j++) alpha[j] /= z;
            }
            double old[T_N];
            naive_v4(mean_gen, xi, old);
            for (int n = 0; n < T_N; n++) {
                double v = 0.0;
                for (int j = 0; j < K3; j++)
                    for (int q = 0; q < T_N; q++) {
                        if (c == 2) v += (double)proj->data[n * K3 * T_N + j * T_N + q] * yj[j][q];
                        else if (q == n) v += alpha[j] * yj[j][q];
                    }
                double want = tanh(v + bias[n]);
                max_err = fmax(max_err, fabs(y->data[i * T_N + n] - want));
                if (c == 0) max_old = fmax(max_old, fabs(want - tanh(old[n] + bias[n])));
            }
        }
        if (max_err > 1e-5) fail_msg("%s: max |layer - naive| = %g", conds[c], max_err);
        if (c == 0) assert_true(max_old > 1e-3);   /* mean of the factors is another layer */
        graph_free(&g);
        fx_free(&x);
    }
}

/* Scaled init: every mix-out G_j's output bias is the same centre; plain init: G's
 * weights and biases lie in +-1/sqrt(fan_in); deeper G: hidden width gen_hidden. */
static void test_generator_init(void **state)
{
    (void)state;
    struct fx x;
    assert_int_equal(fx_init(&x, "v3", "mix-out:mean:user_id,item_id,category", 0, 1, "scaled", 9, T_M, T_N), 0);
    struct tensor *b0 = params_find(&x.ps, "t.G.user_id.0.b");
    assert_non_null(b0);
    static const char *const others[2] = { "t.G.item_id.0.b", "t.G.category.0.b" };
    for (int j = 0; j < 2; j++) {
        struct tensor *bj = params_find(&x.ps, others[j]);
        assert_non_null(bj);
        assert_memory_equal(bj->data, b0->data, sizeof(float) * (size_t)b0->size);
    }
    assert_int_not_equal(memcmp(params_find(&x.ps, "t.G.user_id.0.w")->data,
                                params_find(&x.ps, "t.G.item_id.0.w")->data, sizeof(float)), 0);
    fx_free(&x);

    assert_int_equal(fx_init(&x, "v3", "self", 0, 3, "plain", 9, T_M, T_N), 0);
    static const int in[3] = { T_M, 4, 4 }, out[3] = { 4, 4, T_K * T_K };
    for (int l = 0; l < 3; l++) {
        char nm[32];
        snprintf(nm, sizeof nm, "t.G.%d.w", l);
        struct tensor *w = params_find(&x.ps, nm);
        snprintf(nm, sizeof nm, "t.G.%d.b", l);
        struct tensor *b = params_find(&x.ps, nm);
        assert_non_null(w);
        assert_non_null(b);
        assert_int_equal(w->shape[0], out[l]);
        assert_int_equal(w->shape[1], in[l]);
        float lim = 1.0f / sqrtf((float)in[l]), mx = 0.0f;
        for (int j = 0; j < w->size; j++) mx = fmaxf(mx, fabsf(w->data[j]));
        for (int j = 0; j < b->size; j++) mx = fmaxf(mx, fabsf(b->data[j]));
        assert_true(mx <= lim && mx > 0.1f * lim);
    }
    assert_null(params_find(&x.ps, "t.G.3.w"));
    fx_free(&x);
}

/* Every table entry round-trips by name; "name:spec" splits at the first colon. */
static void test_registry(void **state)
{
    (void)state;
    const char *spec = "x";
    for (int i = 0; i < condition_count(); i++) {
        assert_ptr_equal(condition_find(condition_at(i)->name, &spec), condition_at(i));
        assert_null(spec);
    }
    assert_null(condition_at(condition_count()));
    assert_ptr_equal(condition_find("group:user_id", &spec), &condition_group);
    assert_string_equal(spec, "user_id");
    assert_ptr_equal(condition_find("mix-in:attention:a,b", &spec), &condition_mix_in);
    assert_string_equal(spec, "attention:a,b");
    assert_ptr_equal(condition_find("mix-out:mean:a,b", &spec), &condition_mix_out);
    assert_string_equal(spec, "mean:a,b");
    assert_null(condition_find("selfish", &spec));
    assert_null(condition_find("mix", &spec));
    assert_null(condition_find("", &spec));
    assert_null(condition_find(NULL, &spec));
}

/* A bad condition is reported by dense_init in c.err with what is valid. */
static void expect_error(const char *form, const char *cond, int gen_layers, int M, int N,
                         const char *want1, const char *want2)
{
    struct fx x;
    int rc = fx_init(&x, form, cond, 0, gen_layers, "scaled", 1, M, N);
    if (rc == 0 || !strstr(x.c.err, want1) || (want2 && !strstr(x.c.err, want2)))
        fail_msg("%s: expected an error with \"%s\"%s%s, got rc %d \"%s\"", cond, want1,
                 want2 ? " and " : "", want2 ? want2 : "", rc, x.c.err);
    assert_null(x.l.rl.form);   /* the layer stays static */
    fx_free(&x);
}

static void test_errors(void **state)
{
    (void)state;
    const char *fields = "user_id, item_id, category", *aggs = "mean, concat, attention";
    expect_error("v3", "group:age", 1, T_M, T_N, "unknown field 'age'", fields);
    expect_error("v3", "group", 1, T_M, T_N, "missing field", fields);
    expect_error("v3", "group:user_id,item_id", 1, T_M, T_N, "group takes one field", "mix-in");
    expect_error("v3", "self:user_id", 1, T_M, T_N, "self takes no argument", NULL);
    expect_error("v3", "mix-in:max:user_id,item_id", 1, T_M, T_N, "unknown aggregation 'max'", aggs);
    expect_error("v3", "mix-out:sum:user_id,item_id", 1, T_M, T_N, "unknown aggregation 'sum'", aggs);
    expect_error("v3", "mix-in", 1, T_M, T_N, "unknown aggregation ''", aggs);
    expect_error("v3", "mix-in:mean", 1, T_M, T_N, "needs fields", fields);
    expect_error("v3", "mix-in:mean:user_id", 1, T_M, T_N, "at least 2 fields", fields);
    expect_error("v3", "mix-out:attention:category", 1, T_M, T_N, "at least 2 fields", fields);
    expect_error("v3", "mix-out:concat:user_id,age", 1, T_M, T_N, "unknown field 'age'", fields);
    expect_error("v3", "mix-in:mean:user_id,", 1, T_M, T_N, "missing field name", fields);
    expect_error("v3", "mix-in:mean:user_id,user_id", 1, T_M, T_N, "listed twice", NULL);
    expect_error("v3", "mixin:mean:user_id,item_id", 1, T_M, T_N, "unknown condition", "mix-in");
    expect_error("v3", "self", 0, T_M, T_N, "gen-layers 0", "1 .. 4");
    expect_error("v3", "group:item_id", GEN_MAX_LAYERS + 1, T_M, T_N, "gen-layers", "1 .. 4");
    /* v1 generates N*M = 2500 floats: a 3-way concat projection would hold 3 * 2500^2. */
    expect_error("v1", "mix-out:concat:user_id,item_id,category", 1, 50, 50, "projection", "mix-out:mean");

    struct apg_cfg cfg;   /* a bad init name */
    apg_cfg_default(&cfg);
    char err[200];
    assert_int_equal(generator_check(&cfg, err, sizeof err), 0);
    cfg.init = "uniform";
    assert_int_equal(generator_check(&cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "scaled, plain"));
}

int main(void)
{
    static struct CMUnitTest tests[64];
    static char names[48][40];
    int n = 0;
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_every_condition_checked);
    for (int i = 0; i < reparam_count() && i < 48; i++) {
        snprintf(names[i], sizeof names[i], "gradcheck_%s", reparam_at(i)->name);
        tests[n++] = (struct CMUnitTest){ names[i], test_gradcheck_form, NULL, NULL, (void *)(intptr_t)i };
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_group_and_self_wise);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_aggregations_start_as_mean);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_mix_out_v4_mixes_layers);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_generator_init);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_registry);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_errors);
    return _cmocka_run_group_tests("conditions", tests, (size_t)n, NULL, NULL);
}
