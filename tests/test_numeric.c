/* Numeric features (--numeric, --numeric-transform, --numeric-missing): raw values and
 * missing cells as parsed, transforms fitted on the training rows only, the embedding
 * scaled by the value, the cache, and a checkpoint that scores with its own fit. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "cmd_testutil.h"
#include <math.h>
#include "ds_testutil.h"
#include "ds_samples.h"
#include "checkpoint.h"
#include "backbone.h"
#include "commands.h"
#include "layers.h"
#include "ops.h"
#include "metrics.h"
#include "numeric.h"

static struct dataset load_csv(const char *dir, const char *file, const char *numeric, const char *transform)
{
    struct data_opts o;
    tu_opts(&o, "csv", dir, NULL);
    o.file = file;
    o.label_col = "click";
    o.numeric = numeric;
    o.numeric_transform = transform;
    struct dataset d;
    tu_load(&d, &o);
    return d;
}

/* Raw values, empty and sentinel cells, ids 0/1, and what is refused. */
static void test_csv_values_and_missing(void **state)
{
    (void)state;
    char dir[64];
    tu_tmpdir(dir, sizeof dir);
    TU_WRITE(dir, "a.csv", "u,age,price,click\nx,23,1.5e1,1\ny,,-1,0\nz,-7.25,3,1\nx,40,,0\n");
    struct dataset d = load_csv(dir, "a.csv", "age,price", NULL);
    assert_int_equal(d.n_fields, 3);
    const struct field *age = &d.fields[1], *price = &d.fields[2];
    assert_null(d.fields[0].num);
    assert_non_null(age->num);
    assert_true(age->num[0] == 23.0f && isnan(age->num[1]) && age->num[2] == -7.25f && age->num[3] == 40.0f);
    assert_true(price->num[0] == 15.0f && price->num[1] == -1.0f && isnan(price->num[3]));
    int want_ids[4] = { 1, 0, 1, 1 };
    for (int r = 0; r < 4; r++) assert_int_equal(age->ids[r], want_ids[r]);
    assert_int_equal(age->card, 2);
    /* the default transform, log: sign(x) ln(1 + |x|); missing: scale 1 */
    assert_true(fabsf(age->scale[0] - logf(24.0f)) < 1e-6f);
    assert_true(fabsf(age->scale[2] + logf(8.25f)) < 1e-6f);
    assert_true(age->scale[1] == 1.0f);
    assert_int_equal(age->fit.kind, NUM_LOG);
    dataset_free(&d);

    /* --numeric-missing -1: that value is missing too */
    struct data_opts o;
    tu_opts(&o, "csv", dir, NULL);
    o.file = "a.csv";
    o.label_col = "click";
    o.numeric = "price";
    o.numeric_missing = "-1";
    tu_load(&d, &o);
    assert_int_equal(d.n_fields, 3);                     /* u, age (categorical), price */
    assert_null(d.fields[1].num);
    assert_true(isnan(d.fields[2].num[1]) && d.fields[2].ids[1] == 0);
    dataset_free(&d);

    /* a non-number is a bad row naming file, line and column; unknown columns named */
    TU_WRITE(dir, "b.csv", "u,age,click\nx,23,1\ny,twelve,0\nz,inf,1\n");
    o.file = "b.csv";
    o.numeric = "age";
    o.numeric_missing = NULL;
    char want[512];
    snprintf(want, sizeof want, "%s/b.csv:3: field age: 'twelve' is not a number (--numeric; empty = missing)", dir);
    tu_load_fails(&o, want);
    o.skip_bad_rows = 1;                                  /* twelve and inf skipped */
    tu_load(&d, &o);
    assert_int_equal(d.n_rows, 1);
    dataset_free(&d);
    o.skip_bad_rows = 0;
    o.numeric = "agee";
    snprintf(want, sizeof want, "csv: --numeric: no column 'agee' in the header of %s/b.csv (columns: u, age, click)", dir);
    tu_load_fails(&o, want);
    o.numeric = "click";
    tu_load_fails(&o, "csv: --numeric: column 'click' is the label column; a label used as a feature leaks the answer");
    o.file = "a.csv";
    o.numeric = "age";
    o.numeric_transform = "bucket:1";
    tu_load_fails(&o, "--numeric-transform: 'bucket:1': expected log, minmax, standard or bucket:N (N 2..4096), "
                      "alone or as FIELD=KIND");
    o.numeric_transform = "u=minmax";
    tu_load_fails(&o, "--numeric-transform: field 'u' is not a numeric field (numeric fields: age)");
    o.numeric = NULL;
    o.numeric_transform = "log";
    tu_load_fails(&o, "--numeric-transform has no effect without numeric fields (--numeric A,B): drop it");
    tu_rmrf(dir);
}

/* A given split whose test file holds an outlier: every fit sees the training rows
 * only (min, max, mean, std and cut points computed here independently). */
static void test_fit_on_train_only(void **state)
{
    (void)state;
    char dir[64], buf[8192];
    tu_tmpdir(dir, sizeof dir);
    int k = snprintf(buf, sizeof buf, "u,x,click\n");
    double s = 0, ss = 0;
    for (int r = 0; r < 100; r++) {                       /* x = 1..100 in train */
        k += snprintf(buf + k, sizeof buf - (size_t)k, "u%d,%d,%d\n", r % 9, r + 1, r % 2);
        s += r + 1;
    }
    double mean = s / 100;
    for (int r = 0; r < 100; r++) ss += (r + 1 - mean) * (r + 1 - mean);
    double sd = sqrt(ss / 100);
    tu_write(dir, "train.csv", buf, (size_t)k);
    TU_WRITE(dir, "val.csv", "u,x,click\nu1,-1000,1\nu2,5000,0\n");
    TU_WRITE(dir, "test.csv", "u,x,click\nu1,100000,1\nu2,-50,0\nu3,,1\n");
    struct data_opts o;
    tu_opts(&o, "csv", dir, NULL);
    o.train_file = "train.csv";
    o.val_file = "val.csv";
    o.test_file = "test.csv";
    o.label_col = "click";
    o.numeric = "x";
    struct dataset d;
    const char *kinds[] = { "minmax", "standard", "bucket:4" };
    for (int i = 0; i < 3; i++) {
        o.numeric_transform = kinds[i];
        tu_load(&d, &o);
        assert_int_equal(d.n_rows, 105);
        const struct field *x = &d.fields[1];
        int t0 = 102;                                     /* rows: train, val, test files in turn */
        if (i == 0) {
            assert_true(x->fit.a == 1.0 && x->fit.b == 100.0);
            assert_true(fabsf(x->scale[49] - 49.0f / 99.0f) < 1e-6f);     /* x = 50 */
            assert_true(x->scale[t0] == 1.0f && x->scale[t0 + 1] == 0.0f); /* clamped, not refitted */
        } else if (i == 1) {
            assert_true(fabs(x->fit.a - mean) < 1e-9 && fabs(x->fit.b - sd) < 1e-9);
            assert_true(fabsf(x->scale[0] - (float)((1 - mean) / sd)) < 1e-5f);
            assert_true(x->scale[t0] == (float)NUM_Z_MAX);
        } else {
            /* the j/4-quantiles of 1..100: sorted values at 25, 50, 75 -> 26, 51, 76 */
            assert_int_equal(x->fit.n_bounds, 3);
            assert_true(x->fit.bounds[0] == 26 && x->fit.bounds[1] == 51 && x->fit.bounds[2] == 76);
            assert_int_equal(x->card, 5);
            assert_null(x->scale);
            assert_int_equal(x->ids[0], 1);               /* x = 1 */
            assert_int_equal(x->ids[25], 2);              /* x = 26 */
            assert_int_equal(x->ids[99], 4);              /* x = 100 */
            assert_int_equal(x->ids[t0], 4);
            assert_int_equal(x->ids[t0 + 1], 1);
            assert_int_equal(x->ids[t0 + 2], 0);          /* missing */
        }
        assert_int_equal(x->fit.n_fit, 100);              /* the training file's rows, no others */
        dataset_free(&d);
    }
    tu_rmrf(dir);
}

/* The lookup every backbone uses: a numeric field's embedding row times its scale,
 * and the table's gradient scaled alike (d sum(out) / d e_id = sum of the scales). */
static void test_embedding_scaled(void **state)
{
    (void)state;
    char dir[64];
    tu_tmpdir(dir, sizeof dir);
    TU_WRITE(dir, "a.csv", "u,x,click\na,2,1\nb,,0\na,-3,1\n");
    struct dataset d = load_csv(dir, "a.csv", "x", NULL);
    struct num_fit fit = { .kind = NUM_MINMAX, .a = -3, .b = 2 };
    char err[256];
    assert_int_equal(dataset_apply_numeric(&d, 1, &fit, err, sizeof err), 0);
    int64_t base[2];
    data_field_bases(&d, base);
    int32_t rows[3] = { 0, 1, 2 };
    void *mem = malloc(batch_bytes(&d, rows, 3));
    struct batch b;
    batch_build(&b, &d, base, rows, 3, mem);
    assert_non_null(b.scale);
    float want_scale[6] = { 1, 1, 1, 1, 1, 0 };           /* (row, field): u 1; x minmax of [-3, 2] */
    assert_memory_equal(b.scale, want_scale, sizeof want_scale);

    struct param_store ps;
    params_init(&ps);
    struct layer_ctx c = { .ps = &ps, .n_fields = 2, .emb_dim = 3, .n_ids = base[1] + d.fields[1].card };
    struct tensor *table = embed_table(&c, "emb", 3, 0.5f);
    struct rng rng;
    rng_seed(&rng, 7);
    params_alloc(&ps, &rng);
    struct graph g;
    graph_init(&g, 1 << 20);
    g.record = 1;
    struct tensor *e = embed_lookup(&g, table, &b);
    assert_int_equal(e->ndim, 3);
    for (int i = 0; i < 3; i++)
        for (int f = 0; f < 2; f++)
            for (int j = 0; j < 3; j++) {
                float row = table->data[(size_t)b.ids[i * 2 + f] * 3 + j];
                assert_true(e->data[(i * 2 + f) * 3 + j] == row * b.scale[i * 2 + f]);
            }
    struct tensor *loss = t_sum(&g, t_sum(&g, t_reshape2(&g, e, 1, 18), 1), 0);
    memset(table->grad, 0, sizeof(float) * (size_t)table->size);
    graph_backward(&g, loss);
    int32_t present = (int32_t)base[1] + 1, missing = (int32_t)base[1];
    for (int j = 0; j < 3; j++) {
        assert_true(table->grad[(size_t)present * 3 + j] == 1.0f + 0.0f);   /* rows 0 and 2: scales 1, 0 */
        assert_true(table->grad[(size_t)missing * 3 + j] == 1.0f);          /* row 1: missing, scale 1 */
    }
    graph_free(&g);
    params_free(&ps);
    free(mem);
    dataset_free(&d);
    tu_rmrf(dir);
}

/* The cache keeps raw values: a second load maps them, refits, and equals the parse. */
static void test_cache_round_trip(void **state)
{
    (void)state;
    char dir[64], cache[128];
    tu_tmpdir(dir, sizeof dir);
    snprintf(cache, sizeof cache, "%s/cache", dir);
    TU_WRITE(dir, "a.csv", "u,x,y,click\na,2,7,1\nb,,8,0\na,-3,,1\nc,4,9,0\nd,5,1,1\n");
    struct data_opts o;
    tu_opts(&o, "csv", dir, cache);
    o.file = "a.csv";
    o.label_col = "click";
    o.numeric = "x,y";
    o.numeric_transform = "x=bucket:2,standard";
    struct dataset a, b;
    tu_load(&a, &o);
    tu_load(&b, &o);
    assert_non_null(b.map);                               /* loaded from the cache */
    assert_int_equal(b.header_lines, 1);                  /* kept by the cache too */
    assert_true((char *)b.fields[2].num >= (char *)b.map && (char *)b.fields[2].num < (char *)b.map + b.map_len);
    tu_same_dataset(&a, &b);
    for (int f = 1; f < 3; f++) {
        for (int r = 0; r < a.n_rows; r++) {
            float p = a.fields[f].num[r], q = b.fields[f].num[r];
            assert_true((isnan(p) && isnan(q)) || p == q);
        }
        assert_int_equal(a.fields[f].fit.kind, b.fields[f].fit.kind);
    }
    assert_int_equal(b.fields[1].fit.kind, NUM_BUCKET);
    assert_int_equal(b.fields[2].fit.kind, NUM_STANDARD);
    assert_memory_equal(a.fields[2].scale, b.fields[2].scale, sizeof(float) * (size_t)a.n_rows);
    dataset_free(&a);
    dataset_free(&b);
    /* without --numeric the same file is categorical (another cache key) */
    o.numeric = o.numeric_transform = NULL;
    tu_load(&a, &o);
    assert_null(a.fields[1].num);
    assert_int_equal(a.fields[1].card, 6);               /* OOV, 2, the empty value, -3, 4, 5 */
    dataset_free(&a);
    tu_rmrf(dir);
}

/* iaac: --numeric default, -1 missing by the format. */
static void test_iaac_default(void **state)
{
    (void)state;
    char dir[64];
    tu_tmpdir(dir, sizeof dir);
    TU_WRITE(dir, "iaac/round1_ijcai_18_train_20180301.txt", IAAC_HEADER "\n" IAAC_SAMPLE_ROWS);
    struct data_opts o;
    tu_opts(&o, "iaac", dir, NULL);
    o.numeric = "default";
    struct dataset d;
    tu_load(&d, &o);
    int n_num = 0;
    for (int f = 0; f < d.n_fields; f++) n_num += d.fields[f].num != NULL;
    assert_int_equal(n_num, 12);
    int f = dataset_find_field(&d, "item_price_level"), g = dataset_find_field(&d, "shop_review_positive_rate");
    assert_true(d.fields[f].num[0] == 3 && d.fields[f].num[1] == 5);
    assert_true(d.fields[g].num[1] == 0.99f);
    int u = dataset_find_field(&d, "user_age_level");     /* 1003, 1004, 1003: no -1 */
    assert_true(d.fields[u].num[1] == 1004);
    assert_int_equal(d.user_field, dataset_find_field(&d, "user_id"));
    dataset_free(&d);
    o.numeric = "item_id,item_category_list";
    tu_load_fails(&o, "iaac: --numeric: field 'item_category_list' is multi-valued");
    tu_rmrf(dir);
}

/* criteo: I1..I13 as numbers; missing cells counted here from the file itself. */
static void test_criteo_real_sample(void **state)
{
    (void)state;
    if (!tu_have_shared("criteo-kaggle-tiny/train.tiny.csv")) return;
    char path[1024];
    snprintf(path, sizeof path, "%s/criteo-kaggle-tiny/train.tiny.csv", tu_shared());
    struct data_opts o;
    tu_opts(&o, "criteo", tu_shared(), NULL);
    o.file = path;
    o.numeric = "default";
    o.numeric_transform = "minmax";
    struct dataset d;
    tu_load(&d, &o);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[8192];
    int64_t missing[13] = { 0 }, rows = 0;
    double sum1 = 0;
    assert_non_null(fgets(line, sizeof line, fp));         /* header */
    while (fgets(line, sizeof line, fp)) {
        char *p = line;
        for (int c = 0; c < 15; c++) {                     /* Id, Label, I1..I13 */
            char *e = strchr(p, ',');
            assert_non_null(e);
            if (c >= 2 && e == p) missing[c - 2]++;
            if (c == 2 && e != p) sum1 += strtod(p, NULL);
            p = e + 1;
        }
        rows++;
    }
    fclose(fp);
    assert_int_equal(d.n_rows, rows);
    double got1 = 0;
    for (int k = 0; k < 13; k++) {
        const struct field *fl = &d.fields[k];
        assert_non_null(fl->num);
        int64_t m = 0;
        for (int r = 0; r < d.n_rows; r++) m += isnan(fl->num[r]);
        assert_int_equal(m, missing[k]);
        for (int r = 0; k == 0 && r < d.n_rows; r++)
            if (!isnan(fl->num[r])) got1 += fl->num[r];
    }
    assert_true(got1 == sum1);
    for (int k = 13; k < 39; k++) assert_null(d.fields[k].num);
    print_message("   criteo sample: %lld rows, I1 missing %lld, I12 missing %lld\n", (long long)rows,
                  (long long)missing[0], (long long)missing[11]);
    dataset_free(&d);
}


/* A label that depends on a number only through its order: WDL learns it from the
 * numeric field; the checkpoint stores the fit, predict reproduces the AUC, and a
 * reload of other rows (another fit) scores with the checkpoint's. */
static void test_train_predict(void **state)
{
    (void)state;
    char dir[64], path[128], model[160], out[160];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/a.csv", dir);
    snprintf(model, sizeof model, "%s/m.ckpt", dir);
    snprintf(out, sizeof out, "%s/scores.tsv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "u,x,click\n");
    struct rng rng;
    rng_seed(&rng, 11);
    for (int r = 0; r < 6000; r++) {
        double x = rng_uniform(&rng, 0, 100);
        int missing = rng_uniform(&rng, 0, 1) < 0.05;
        int y = rng_uniform(&rng, 0, 1) < 0.1 + 0.8 * x / 100.0;
        if (missing) fprintf(f, "u%d,,%d\n", r % 3, y);
        else fprintf(f, "u%d,%.3f,%d\n", r % 3, x, y);
    }
    fclose(f);
    char *train[] = { "--dataset", "csv", "--file", path, "--label", "click", "--numeric", "x",
                      "--numeric-transform", "minmax", "--no-cache", "--hidden", "16", "--emb-dim", "4",
                      "--epochs", "5", "--save", model, NULL };
    assert_int_equal(tu_run_cmd(cmd_train, train), 0);
    struct ckpt ck;
    char err[512];
    assert_int_equal(ckpt_load(&ck, model, err, sizeof err), 0);
    assert_true(ck.meta.test_auc > 0.7);                  /* the order of x carries the label */
    const struct ckpt_field *cf = &ck.meta.fields[1];
    assert_int_equal(cf->fit.kind, NUM_MINMAX);
    assert_true(cf->fit.a >= 0 && cf->fit.a < 1 && cf->fit.b > 99 && cf->fit.b <= 100);
    double reported = ck.meta.test_auc;

    char *predict[] = { model, "--out", out, NULL };
    assert_int_equal(tu_run_cmd(cmd_predict, predict), 0);
    FILE *sf = fopen(out, "r");
    assert_non_null(sf);
    float *s = malloc(sizeof *s * 6000), *l = malloc(sizeof *l * 6000);
    int n = 0, row;
    while (n < 6000 && fscanf(sf, "%d\t%g\t%g\n", &row, &s[n], &l[n]) == 3) n++;
    fclose(sf);
    assert_true(n == ck.meta.n_test);
    assert_true(fabs(metrics_auc(s, l, n) - reported) < 1e-6);

    /* other training rows give dataset_load another fit; the checkpoint's wins */
    struct data_opts o;
    tu_opts(&o, "csv", dir, NULL);
    o.file = "a.csv";
    o.label_col = "click";
    o.numeric = "x";
    o.numeric_transform = "minmax";
    o.data_seed = 99;
    struct dataset d;
    tu_load(&d, &o);
    assert_true(d.fields[1].fit.a != cf->fit.a || d.fields[1].fit.b != cf->fit.b || d.fields[1].fit.n_fit != cf->fit.n_fit);
    assert_int_equal(ckpt_apply_numeric(&ck.meta, &d, err, sizeof err), 0);
    assert_true(d.fields[1].fit.a == cf->fit.a && d.fields[1].fit.b == cf->fit.b);
    for (int r = 0; r < d.n_rows; r++)
        if (!isnan(d.fields[1].num[r]))
            assert_true(d.fields[1].scale[r] == num_fit_scale(&cf->fit, d.fields[1].num[r]));
    assert_int_equal(ckpt_check_dataset(&ck.meta, &d, err, sizeof err), 0);
    dataset_free(&d);
    /* the same file read without --numeric does not fit the model */
    o.numeric = o.numeric_transform = NULL;
    tu_load(&d, &o);
    assert_int_equal(ckpt_check_dataset(&ck.meta, &d, err, sizeof err), -1);
    assert_non_null(strstr(err, "field 'x' is categorical, the model's is numeric"));
    dataset_free(&d);
    ckpt_free(&ck);
    free(s);
    free(l);
    tu_rmrf(dir);
}

/* Every backbone (wide and first-order parts included) trains on a numeric field and
 * a categorical one, APG v6 on top, to a finite loss better than chance. */
static void test_every_backbone(void **state)
{
    (void)state;
    char dir[64], path[128];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/a.csv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "u,item_id,x,click\n");
    struct rng rng;
    rng_seed(&rng, 5);
    for (int r = 0; r < 2000; r++) {
        double x = rng_uniform(&rng, -5, 5);
        fprintf(f, "u%d,i%d,%.4f,%d\n", r % 13, r % 4, x, rng_uniform(&rng, 0, 1) < (x > 0 ? 0.85 : 0.15));
    }
    fclose(f);
    for (int i = 0; i < backbone_count(); i++)
        for (int v = 0; v < 2; v++) {
            if (v && strcmp(backbone_at(i)->name, "star") == 0) continue;   /* Star refuses APG */
            char out[128];
            snprintf(out, sizeof out, "%s/m.ckpt", dir);
            char *argv[] = { "--dataset", "csv", "--file", path, "--label", "click", "--numeric", "x",
                             "--numeric-transform", "standard", "--no-cache", "--hidden", "16,8", "--emb-dim", "4",
                             "--epochs", "2", "--lr", "0.01", "--backbone", (char *)backbone_at(i)->name,
                             "--save", out, "--apg", v ? "v6" : "none", v ? "--K" : NULL, "4", "--P", "8", NULL };
            assert_int_equal(tu_run_cmd(cmd_train, argv), 0);
            struct ckpt ck;
            char err[512];
            assert_int_equal(ckpt_load(&ck, out, err, sizeof err), 0);
            print_message("   %s %s: test auc %.4f\n", backbone_at(i)->name, v ? "v6" : "base", ck.meta.test_auc);
            assert_true(ck.meta.test_auc > 0.65);       /* x alone gives about 0.85 */
            ckpt_free(&ck);
        }
    tu_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_values_and_missing),
        cmocka_unit_test(test_fit_on_train_only),
        cmocka_unit_test(test_embedding_scaled),
        cmocka_unit_test(test_cache_round_trip),
        cmocka_unit_test(test_iaac_default),
        cmocka_unit_test(test_criteo_real_sample),
        cmocka_unit_test(test_train_predict),
        cmocka_unit_test(test_every_backbone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
