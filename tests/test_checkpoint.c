/* Checkpoints: option text round trip, save/load gives bit-identical predictions,
 * the collapsed export of v6/v7/v8 predicts what the training model predicts (1e-5
 * relative) with fewer parameter bytes, damaged or foreign files are refused with
 * their documented messages, and `apg predict` scores exactly the test rows the
 * `apg train --save` run reported on. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "cmd_testutil.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "checkpoint.h"
#include "commands.h"
#include "metrics.h"
#include "threads.h"
#include "train.h"

#define ROWS 10000
static struct data_opts dopts;
static struct dataset data;
static struct split split;
static char dir[64];

static int setup(void **state)
{
    (void)state;
    char err[256];
    data_opts_default(&dopts);
    dopts.rows = ROWS;
    dopts.no_cache = 1;
    if (dataset_load(&data, &dopts, err, sizeof err)) {
        fprintf(stderr, "dataset: %s\n", err);
        return -1;
    }
    split_random(&split, &data, 0.8, 0.1, dopts.data_seed);
    snprintf(dir, sizeof dir, "/tmp/apg_ckpt_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    split_free(&split);
    dataset_free(&data);
    return 0;
}

static void path_in_dir(char *buf, size_t len, const char *name) { snprintf(buf, len, "%s/%s", dir, name); }

/* ---- option text ---------------------------------------------------------------- */

static void test_option_text_round_trip(void **state)
{
    (void)state;
    struct model_opts a, b;
    struct data_opts da, db;
    char err[256];
    model_opts_default(&a);
    a.backbone = "wdl";
    a.hidden = "24,12";
    a.m.emb_dim = 6;
    a.m.emb_init = 0.0123456789f;
    a.m.apg.variant = "v7";
    a.m.apg.condition = "group:user_id";
    a.m.apg.K = 3;
    a.m.apg.P = 17;
    a.m.apg.gen_scale = 1.0f / 3.0f;
    data_opts_default(&da);
    da.data_dir = "a dir/with spaces";
    da.label_col = "rating>=4";
    da.delim = "\t";
    da.rows = 1999999999;
    da.data_seed = UINT64_MAX;
    da.no_cache = 1;
    const struct opt_group ga[] = { { "m", model_opt_table, &a }, { "a", apg_opt_table, &a }, { "d", data_opt_table, &da } };
    char *text = cli_format(ga, 3, err, sizeof err);
    assert_non_null(text);
    model_opts_default(&b);
    data_opts_default(&db);
    const struct opt_group gb[] = { { "m", model_opt_table, &b }, { "a", apg_opt_table, &b }, { "d", data_opt_table, &db } };
    char *copy = strdup(text);
    int rc = cli_parse_lines(gb, 3, copy, err, sizeof err);
    if (rc) fprintf(stderr, "parse: %s\n", err);
    assert_int_equal(rc, 0);
    assert_string_equal(b.hidden, "24,12");
    assert_int_equal(b.m.emb_dim, 6);
    assert_true(b.m.emb_init == a.m.emb_init);              /* exact float round trip */
    assert_string_equal(b.m.apg.variant, "v7");
    assert_string_equal(b.m.apg.condition, "group:user_id");
    assert_int_equal(b.m.apg.K, 3);
    assert_int_equal(b.m.apg.P, 17);
    assert_true(b.m.apg.gen_scale == a.m.apg.gen_scale);
    assert_string_equal(db.data_dir, "a dir/with spaces");
    assert_string_equal(db.label_col, "rating>=4");
    assert_string_equal(db.delim, "\t");
    assert_true(db.rows == 1999999999);
    assert_true(db.data_seed == UINT64_MAX);
    assert_int_equal(db.no_cache, 1);
    assert_int_equal(db.skip_bad_rows, 0);
    /* formatting the parsed values gives the same text */
    char *again = cli_format(gb, 3, err, sizeof err);
    assert_string_equal(again, text);
    free(again);
    free(copy);
    free(text);
    /* a value holding a newline cannot be stored */
    da.file = "two\nlines";
    assert_null(cli_format(ga, 3, err, sizeof err));
    assert_non_null(strstr(err, "--file"));
}

/* ---- train, save, load ---------------------------------------------------------- */

struct saved {
    const char *path;
    const struct model_opts *mo;
    float *scores;            /* the trained model's test scores */
    struct train_result r;
    size_t bytes;
};

static int save_hook(void *ctx, struct model *m, const struct train_result *r, char *err, size_t errlen)
{
    struct saved *sv = ctx;
    struct ckpt_meta cm;
    int rc = ckpt_meta_init(&cm, sv->mo, &dopts, &data, &split, err, errlen);
    cm.batch = 512;
    cm.threads = 2;
    cm.test_auc = r->test_auc;
    if (rc == 0) rc = ckpt_save(sv->path, &cm, m, err, errlen);
    ckpt_meta_free(&cm);
    sv->scores = malloc(sizeof *sv->scores * (size_t)split.n_test);
    struct graph g;
    graph_init(&g, (size_t)16 << 20);
    model_predict(m, &g, &data, split.test, split.n_test, 512, sv->scores);
    graph_free(&g);
    sv->bytes = params_bytes(&m->ps);
    return rc;
}

/* Trains one epoch of a small WDL with APG form `variant` (or none) and saves it. */
static void train_and_save(struct saved *sv, struct model_opts *mo, const char *variant, const char *condition,
                           const char *path)
{
    char err[512];
    model_opts_default(mo);
    mo->hidden = "32,16";
    mo->m.emb_dim = 8;
    mo->m.apg.variant = variant;
    mo->m.apg.condition = condition;
    mo->m.apg.K = 4;
    mo->m.apg.P = 12;
    assert_int_equal(model_opts_finish(mo, err, sizeof err), 0);
    struct train_cfg c;
    train_cfg_default(&c);
    c.backbone = mo->backbone;
    c.model = mo->m;
    c.epochs = 1;
    c.batch = 512;
    c.threads = 2;
    c.seed = 5;
    memset(sv, 0, sizeof *sv);
    sv->path = path;
    sv->mo = mo;
    c.on_trained = save_hook;
    c.on_trained_ctx = sv;
    int rc = train_run(&c, &data, &split, &sv->r, err, sizeof err);
    if (rc) fprintf(stderr, "train: %s\n", err);
    assert_int_equal(rc, 0);
}

static float *predict_loaded(struct ckpt *ck)
{
    float *s = malloc(sizeof *s * (size_t)split.n_test);
    struct graph g;
    graph_init(&g, (size_t)16 << 20);
    apg_set_threads(2);
    model_predict(&ck->model, &g, &data, split.test, split.n_test, 512, s);
    graph_free(&g);
    return s;
}

static void check_round_trip(const char *variant, const char *condition)
{
    char path[128], err[512];
    path_in_dir(path, sizeof path, "rt.ckpt");
    struct model_opts mo;
    struct saved sv;
    train_and_save(&sv, &mo, variant, condition, path);
    struct ckpt ck;
    int rc = ckpt_load(&ck, path, err, sizeof err);
    if (rc) fprintf(stderr, "load: %s\n", err);
    assert_int_equal(rc, 0);
    assert_string_equal(ck.mo.m.apg.variant, variant);
    assert_int_equal(ck.meta.n_test, split.n_test);
    assert_true(ck.meta.test_hash == ckpt_rows_hash(split.test, split.n_test));
    assert_int_equal(ck.meta.batch, 512);
    assert_int_equal(ckpt_check_dataset(&ck.meta, &data, err, sizeof err), 0);
    float *s = predict_loaded(&ck);
    assert_memory_equal(s, sv.scores, sizeof *s * (size_t)split.n_test);   /* bit-identical */
    float *labels = malloc(sizeof *labels * (size_t)split.n_test);
    for (int i = 0; i < split.n_test; i++) labels[i] = data.label[split.test[i]];
    assert_true(metrics_auc(s, labels, split.n_test) == sv.r.test_auc);
    printf("   %s/%s: round trip bit-identical, test auc %.5f\n", variant, condition, sv.r.test_auc);
    free(labels);
    free(s);
    free(sv.scores);
    ckpt_free(&ck);
}

static void test_round_trip_base(void **state) { (void)state; check_round_trip("none", "self"); }
static void test_round_trip_v3_group(void **state) { (void)state; check_round_trip("v3", "group:user_id"); }
static void test_round_trip_v6(void **state) { (void)state; check_round_trip("v6", "self"); }

/* ---- export --------------------------------------------------------------------- */

static void check_export(const char *variant, const char *condition)
{
    char path[128], out[128], err[512];
    path_in_dir(path, sizeof path, "src.ckpt");
    path_in_dir(out, sizeof out, "exp.ckpt");
    struct model_opts mo;
    struct saved sv;
    train_and_save(&sv, &mo, variant, condition, path);
    int n;
    size_t before, after;
    int rc = ckpt_export(path, out, NULL, &n, &before, &after, err, sizeof err);
    if (rc) fprintf(stderr, "export: %s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(n, 2);                       /* both hidden layers of the tower */
    assert_true(before == sv.bytes);
    assert_true(after < before);
    struct ckpt ck;
    rc = ckpt_load(&ck, out, err, sizeof err);
    if (rc) fprintf(stderr, "load: %s\n", err);
    assert_int_equal(rc, 0);
    assert_string_equal(ck.mo.m.apg.variant, "v3");
    assert_true(params_bytes(&ck.model.ps) == after);
    assert_true(ck.meta.test_hash == ckpt_rows_hash(split.test, split.n_test));
    float *s = predict_loaded(&ck);
    double worst = 0;
    for (int i = 0; i < split.n_test; i++) {
        double a = sv.scores[i], b = s[i], rel = fabs(a - b) / fmax(fabs(a), 1e-30);
        if (rel > worst) worst = rel;
    }
    printf("   %s/%s: export collapsed %d layers, %zu -> %zu parameter bytes, max rel. score diff %.2e\n",
           variant, condition, n, before, after, worst);
    assert_true(worst <= 1e-5);
    free(s);
    free(sv.scores);
    ckpt_free(&ck);
}

static void test_export_v6(void **state) { (void)state; check_export("v6", "self"); }
static void test_export_v7(void **state) { (void)state; check_export("v7", "self"); }
static void test_export_v8(void **state) { (void)state; check_export("v8", "self"); }
static void test_export_v6_group(void **state) { (void)state; check_export("v6", "group:item_id"); }
static void test_export_v8_mix_out(void **state) { (void)state; check_export("v8", "mix-out:attention:user_id,genre"); }

static void test_export_nothing_to_collapse(void **state)
{
    (void)state;
    char path[128], out[128], err[512];
    path_in_dir(path, sizeof path, "v3.ckpt");
    path_in_dir(out, sizeof out, "v3exp.ckpt");
    struct model_opts mo;
    struct saved sv;
    train_and_save(&sv, &mo, "v3", "self", path);
    int n = -1;
    size_t before, after;
    assert_int_equal(ckpt_export(path, out, NULL, &n, &before, &after, err, sizeof err), 0);
    assert_int_equal(n, 0);
    assert_true(before == after);
    struct ckpt ck;
    assert_int_equal(ckpt_load(&ck, out, err, sizeof err), 0);
    float *s = predict_loaded(&ck);
    assert_memory_equal(s, sv.scores, sizeof *s * (size_t)split.n_test);
    free(s);
    free(sv.scores);
    ckpt_free(&ck);
}

/* ---- refused files -------------------------------------------------------------- */

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*n);
    assert_int_equal(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static void spit(const char *path, const void *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* ckpt_load(path) fails with an error naming the file and holding `what`. */
static void refused(const char *path, const char *what)
{
    struct ckpt ck;
    char err[512];
    assert_int_equal(ckpt_load(&ck, path, err, sizeof err), -1);
    ckpt_free(&ck);
    printf("   refused: %s\n", err);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, what));
}

static void test_damaged_files_refused(void **state)
{
    (void)state;
    char path[128], bad[128], expect[160];
    path_in_dir(path, sizeof path, "good.ckpt");
    path_in_dir(bad, sizeof bad, "bad.ckpt");
    struct model_opts mo;
    struct saved sv;
    train_and_save(&sv, &mo, "v6", "self", path);
    free(sv.scores);
    size_t n;
    unsigned char *b = slurp(path, &n);

    spit(bad, b, n / 2);                                   /* truncated */
    snprintf(expect, sizeof expect, "truncated (%zu of %zu bytes)", n / 2, n);
    refused(bad, expect);
    spit(bad, b, 12);
    refused(bad, "truncated (12 of at least 24 bytes)");
    spit(bad, b, n - 1);
    snprintf(expect, sizeof expect, "truncated (%zu of %zu bytes)", n - 1, n);
    refused(bad, expect);

    size_t at[] = { 100, n / 2, n - 20, n - 3 };           /* header text, slab, checksum */
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        b[at[i]] ^= 0x10;
        spit(bad, b, n);
        refused(bad, "corrupt (checksum)");
        b[at[i]] ^= 0x10;
    }

    unsigned char *longer = malloc(n + 5);
    memcpy(longer, b, n);
    memset(longer + n, 0, 5);
    spit(bad, longer, n + 5);
    refused(bad, "corrupt (size");
    free(longer);

    b[8] = 9;                                              /* another format version */
    spit(bad, b, n);
    refused(bad, "checkpoint format version 9, this build reads versions 1..2");
    b[8] = 1;

    spit(bad, "user,item,label\n1,2,0\n3,4,1\n", 28);      /* foreign files */
    refused(bad, "not an APG-C checkpoint");
    spit(bad, "", 0);
    refused(bad, "not an APG-C checkpoint");
    refused("/nonexistent/model.ckpt", "cannot open");

    /* the intact file still loads */
    struct ckpt ck;
    char err[512];
    assert_int_equal(ckpt_load(&ck, path, err, sizeof err), 0);
    ckpt_free(&ck);
    free(b);
}

static void test_parameter_table_mismatch_refused(void **state)
{
    (void)state;
    char path[128], err[512];
    path_in_dir(path, sizeof path, "mismatch.ckpt");
    struct model_opts built, claimed;
    model_opts_default(&built);
    built.hidden = "16";
    assert_int_equal(model_opts_finish(&built, err, sizeof err), 0);
    claimed = built;
    claimed.hidden = "16,8";                  /* the options say two layers, the slab has one */
    assert_int_equal(model_opts_finish(&claimed, err, sizeof err), 0);
    struct model m;
    struct rng rng;
    rng_seed(&rng, 3);
    assert_int_equal(model_init(&m, built.backbone, &built.m, &data, &rng, err, sizeof err), 0);
    struct ckpt_meta cm;
    assert_int_equal(ckpt_meta_init(&cm, &claimed, &dopts, &data, NULL, err, sizeof err), 0);
    assert_int_equal(ckpt_save(path, &cm, &m, err, sizeof err), 0);
    ckpt_meta_free(&cm);
    refused(path, "does not match the stored parameters: 9 parameters here, 7 in the file");
    /* same parameter count, another shape */
    claimed.hidden = "24";
    assert_int_equal(model_opts_finish(&claimed, err, sizeof err), 0);
    assert_int_equal(ckpt_meta_init(&cm, &claimed, &dopts, &data, NULL, err, sizeof err), 0);
    assert_int_equal(ckpt_save(path, &cm, &m, err, sizeof err), 0);
    ckpt_meta_free(&cm);
    model_free(&m);
    refused(path, "is 'wdl.deep.0.w' (24 x ");
}

/* A file with a valid checksum but a broken layout (a field count past the end). */
static void test_bad_layout_refused(void **state)
{
    (void)state;
    char path[128], err[512];
    path_in_dir(path, sizeof path, "layout.ckpt");
    struct model_opts mo;
    model_opts_default(&mo);
    mo.hidden = "8";
    assert_int_equal(model_opts_finish(&mo, err, sizeof err), 0);
    struct model m;
    struct rng rng;
    rng_seed(&rng, 3);
    assert_int_equal(model_init(&m, mo.backbone, &mo.m, &data, &rng, err, sizeof err), 0);
    struct ckpt_meta cm;
    assert_int_equal(ckpt_meta_init(&cm, &mo, &dopts, &data, NULL, err, sizeof err), 0);
    assert_int_equal(ckpt_save(path, &cm, &m, err, sizeof err), 0);
    size_t pos = 24 + 4 + strlen(cm.model_text) + 4 + strlen(cm.data_text) + 4 + strlen(cm.dataset);
    ckpt_meta_free(&cm);
    model_free(&m);
    size_t n;
    unsigned char *b = slurp(path, &n);
    assert_int_equal(b[pos], data.n_fields);            /* n_fields, little-endian */
    b[pos + 3] = 0x7f;
    uint64_t h = 0xcbf29ce484222325ull;                  /* re-seal: FNV-1a 64 */
    for (size_t i = 0; i + 8 < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    for (int k = 0; k < 8; k++) b[n - 8 + (size_t)k] = (unsigned char)(h >> (8 * k));
    spit(path, b, n);
    refused(path, "corrupt (layout)");
    free(b);
}

static void test_dataset_mismatch_refused(void **state)
{
    (void)state;
    struct ckpt_meta cm;
    struct model_opts mo;
    char err[512];
    model_opts_default(&mo);
    assert_int_equal(ckpt_meta_init(&cm, &mo, &dopts, &data, &split, err, sizeof err), 0);
    assert_int_equal(ckpt_check_dataset(&cm, &data, err, sizeof err), 0);
    cm.fields[1].card += 1;
    assert_int_equal(ckpt_check_dataset(&cm, &data, err, sizeof err), -1);
    assert_non_null(strstr(err, data.fields[1].name));
    cm.fields[1].card -= 1;
    snprintf(cm.fields[2].name, sizeof cm.fields[2].name, "other");
    assert_int_equal(ckpt_check_dataset(&cm, &data, err, sizeof err), -1);
    assert_non_null(strstr(err, "other"));
    cm.n_fields--;
    assert_int_equal(ckpt_check_dataset(&cm, &data, err, sizeof err), -1);
    ckpt_meta_free(&cm);
}

/* ---- the commands: train --save, export, predict -------------------------------- */


/* Reads a --out file: row, score, label per line. Returns the row count. */
static int read_scores(const char *path, int32_t *rows, float *scores, float *labels, int cap)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int n = 0, r;
    float s, l;
    while (fscanf(f, "%d\t%g\t%g\n", &r, &s, &l) == 3) {
        assert_true(n < cap);
        rows[n] = r;
        scores[n] = s;
        labels[n] = l;
        n++;
    }
    fclose(f);
    return n;
}

static void check_commands(const char *variant)
{
    char model[128], exp[128], out[128], out2[128], err[512];
    path_in_dir(model, sizeof model, "cmd.ckpt");
    path_in_dir(exp, sizeof exp, "cmd.exp");
    path_in_dir(out, sizeof out, "scores.tsv");
    path_in_dir(out2, sizeof out2, "scores2.tsv");
    char rows[32];
    snprintf(rows, sizeof rows, "%d", ROWS);
    /* --K and --P only where they act (the base model refuses them) */
    int base = strcmp(variant, "none") == 0;
    char *train[] = { "--rows", rows, "--no-cache", "--hidden", "32,16", "--emb-dim", "8", "--apg", (char *)variant,
                      "--epochs", "2", "--threads", "2", "--save", model,
                      base ? NULL : "--K", "4", "--P", "12", NULL };
    assert_int_equal(tu_run_cmd(cmd_train, train), 0);
    struct ckpt ck;
    assert_int_equal(ckpt_load(&ck, model, err, sizeof err), 0);
    double reported = ck.meta.test_auc;
    assert_int_equal(ck.meta.threads, apg_threads_cap(2));   /* --threads is capped at the cores */
    ckpt_free(&ck);

    /* predict with no data options: the training run's test rows, its AUC exactly */
    char *predict[] = { model, "--out", out, "--json", NULL };
    assert_int_equal(tu_run_cmd(cmd_predict, predict), 0);
    int32_t *r = malloc(sizeof *r * ROWS);
    float *s = malloc(sizeof *s * ROWS), *l = malloc(sizeof *l * ROWS);
    int n = read_scores(out, r, s, l, ROWS);
    assert_int_equal(n, split.n_test);
    assert_memory_equal(r, split.test, sizeof *r * (size_t)n);
    assert_true(metrics_auc(s, l, n) == reported);
    printf("   %s: predict scored the %d test rows of the training run, auc %.6f == %.6f\n", variant, n,
           metrics_auc(s, l, n), reported);

    /* the exported model scores the same rows to 1e-5 */
    char *export[] = { model, exp, NULL };
    assert_int_equal(tu_run_cmd(cmd_export, export), 0);
    char *predict2[] = { exp, "--split", "test", "--out", out2, NULL };
    assert_int_equal(tu_run_cmd(cmd_predict, predict2), 0);
    int32_t *r2 = malloc(sizeof *r2 * ROWS);
    float *s2 = malloc(sizeof *s2 * ROWS), *l2 = malloc(sizeof *l2 * ROWS);
    assert_int_equal(read_scores(out2, r2, s2, l2, ROWS), n);
    assert_memory_equal(r2, r, sizeof *r * (size_t)n);
    for (int i = 0; i < n; i++) assert_true(fabs((double)s2[i] - s[i]) <= 1e-5 * fabs((double)s[i]));

    /* --split all and val; a bad part and a foreign dataset are refused */
    char *all[] = { exp, "--split", "all", "--out", out2, NULL };
    assert_int_equal(tu_run_cmd(cmd_predict, all), 0);
    assert_int_equal(read_scores(out2, r2, s2, l2, ROWS), ROWS);
    char *val[] = { exp, "--split", "val", "--out", out2, NULL };
    assert_int_equal(tu_run_cmd(cmd_predict, val), 0);
    assert_int_equal(read_scores(out2, r2, s2, l2, ROWS), split.n_val);
    assert_memory_equal(r2, split.val, sizeof *r2 * (size_t)split.n_val);
    char *bad_part[] = { exp, "--split", "random", NULL };
    assert_int_equal(tu_run_cmd(cmd_predict, bad_part), 2);
    char *other[] = { exp, "--like", "amazon", NULL };
    assert_int_equal(tu_run_cmd(cmd_predict, other), 2);
    free(r); free(s); free(l);
    free(r2); free(s2); free(l2);
}

/* Parameters no training makes (|p| > 1e6, here +-3e37, whose products overflow float):
 * a checkpoint holding them is refused at load, naming one; collapsing such a model in
 * memory is refused instead of handing out infinities; a NaN reaching the logit scores
 * NaN (which predict refuses), never a clean probability. */
static void test_overflowing_parameters_refused(void **state)
{
    (void)state;
    char path[128], err[512];
    path_in_dir(path, sizeof path, "huge.ckpt");
    struct model_opts mo;
    model_opts_default(&mo);
    mo.hidden = "8";
    mo.m.apg.variant = "v6";
    mo.m.apg.K = 2;
    mo.m.apg.P = 4;
    assert_int_equal(model_opts_finish(&mo, err, sizeof err), 0);
    struct model m;
    struct rng rng;
    rng_seed(&rng, 5);
    assert_int_equal(model_init(&m, mo.backbone, &mo.m, &data, &rng, err, sizeof err), 0);
    for (int i = 0; i < m.ps.n; i++)
        for (int j = 0; j < m.ps.list[i]->size; j++) m.ps.list[i]->data[j] = (j & 1) ? 3e37f : -3e37f;
    struct ckpt_meta cm;
    assert_int_equal(ckpt_meta_init(&cm, &mo, &dopts, &data, &split, err, sizeof err), 0);
    assert_int_equal(ckpt_save(path, &cm, &m, err, sizeof err), 0);
    ckpt_meta_free(&cm);
    refused(path, "invalid contents (parameter '");
    refused(path, "is -3e+37, outside +-1e+06)");

    struct model to;
    struct model_opts to_mo;
    assert_int_equal(ckpt_collapse(&to, &to_mo, &m, &mo, &data, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "collapsing the factor chains: invalid contents (parameter"));
    printf("   collapse refused: %s\n", err);

    for (int i = 0; i < m.ps.n; i++)
        for (int j = 0; j < m.ps.list[i]->size; j++) m.ps.list[i]->data[j] = 0.01f;
    struct tensor *last = m.ps.list[m.ps.n - 1];
    last->data[last->size - 1] = NAN;
    struct graph g;
    graph_init(&g, (size_t)8 << 20);
    float scores[16];
    model_predict(&m, &g, &data, split.test, 16, 8, scores);
    graph_free(&g);
    int n_nan = 0;
    for (int i = 0; i < 16; i++) n_nan += isnan(scores[i]);
    printf("   a NaN parameter (%s): %d of 16 scores NaN\n", last->name, n_nan);
    assert_true(n_nan > 0);
    model_free(&m);
}

static void test_commands_base(void **state) { (void)state; check_commands("none"); }
static void test_commands_v6(void **state) { (void)state; check_commands("v6"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_option_text_round_trip),
        cmocka_unit_test(test_round_trip_base),
        cmocka_unit_test(test_round_trip_v3_group),
        cmocka_unit_test(test_round_trip_v6),
        cmocka_unit_test(test_export_v6),
        cmocka_unit_test(test_export_v7),
        cmocka_unit_test(test_export_v8),
        cmocka_unit_test(test_export_v6_group),
        cmocka_unit_test(test_export_v8_mix_out),
        cmocka_unit_test(test_export_nothing_to_collapse),
        cmocka_unit_test(test_damaged_files_refused),
        cmocka_unit_test(test_parameter_table_mismatch_refused),
        cmocka_unit_test(test_bad_layout_refused),
        cmocka_unit_test(test_dataset_mismatch_refused),
        cmocka_unit_test(test_overflowing_parameters_refused),
        cmocka_unit_test(test_commands_base),
        cmocka_unit_test(test_commands_v6),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
