/* apg train: load a dataset, split it, train one model, print the metrics. */
#include "checkpoint.h"
#include "numeric.h"
#include "commands.h"
#include "stale_tmp.h"
#include "dataset.h"
#include "dist.h"
#include "runcfg.h"
#include "train_dist.h"
#include "model_opts.h"
#include "train.h"
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct train_cli {
    struct train_cfg t;
    int json;
    const char *save;
};

#define O(f) offsetof(struct train_cli, f)
static const struct opt train_opts[] = {
    { "epochs", OPT_INT, O(t.epochs), "E", "training epochs (early stopping on validation AUC)", 1, 10000 },
    { "patience", OPT_INT, O(t.patience), "N", "stop after N epochs without a better validation AUC", 1, 10000 },
    { "batch", OPT_INT, O(t.batch), "B", "minibatch size", 1, 1 << 20 },
    { "lr", OPT_FLOAT, O(t.lr), "LR", "Adam learning rate", 1e-9, 10 },
    { "l2", OPT_FLOAT, O(t.l2), "C", "L2 penalty added to every gradient", 0, 10 },
    { "seed", OPT_U64, O(t.seed), "S", "seed of initialisation and shuffling", 0, 0 },
    { "shuffle-train", OPT_INT, O(t.shuffle), "0|1", "1: reshuffle the training rows every epoch; 0: keep the split's order (the file's with --split position or time)", 0, 1 },
    { "threads", OPT_INT, O(t.threads), "T", "threads for BLIS and the op loops", 1, 1024 },
    { "micro-batches", OPT_INT, O(t.micro), "M", "cut each minibatch into M parts that the threads train in "
      "parallel, gradients summed in part order (results depend on M, not on --threads); 1: the threads split "
      "each op instead; 0 (auto): 1 at one thread, else one per thread (capped by the batch and the gradient memory)",
      0, 64 },
    { "dist", OPT_FLAG, O(t.dist), NULL, "under mpirun: data-parallel training over the ranks, each a disjoint "
      "part of every minibatch (--batch stays the global batch), gradients summed over the ranks; rank 0 "
      "evaluates, prints and saves", 0, 0 },
    { "shard-embeddings", OPT_FLAG, O(t.shard_emb), NULL, "with --dist: split the embedding rows over the ranks "
      "(row g on rank g mod N, with its Adam moments), the rows a minibatch reads fetched from their ranks", 0, 0 },
    { "profile", OPT_FLAG, O(t.profile), NULL, "time every op's forward and backward, the gradient zeroing, Adam and "
      "batch building over the training steps, and print the table on stderr", 0, 0 },
    { "json", OPT_FLAG, O(json), NULL, "print one JSON object with the results as the last line", 0, 0 },
    { "save", OPT_STR, O(save), "MODEL", "write the trained model (best epoch) to this checkpoint file", 0, 0 },
    { NULL, 0, 0, NULL, NULL, 0, 0 },
};
#undef O

/* The field gAUC groups by, or NULL. */
static const char *gauc_user(const struct dataset *d)
{
    return d->user_field >= 0 && !d->fields[d->user_field].multi ? d->fields[d->user_field].name : NULL;
}

static void print_json(const struct train_cli *a, const struct data_opts *o, const struct dataset *d,
                       const struct train_result *r)
{
    const struct apg_cfg *g = &a->t.model.apg;
    printf("{");
    json_text(stdout, "dataset", d->name, ",");
    json_text(stdout, "backbone", a->t.backbone, ",");
    json_text(stdout, "apg", g->variant, ",");
    json_text(stdout, "condition", g->condition, ",");
    printf("\"K\":%d,\"P\":%d,", g->K, g->P);
    json_text(stdout, "apg_init", g->init, ",");
    printf("\"seed\":%llu,\"threads\":%d,\"micro_batches\":%d,\"rows\":%d,", (unsigned long long)a->t.seed,
           a->t.threads, r->micro, d->n_rows);
    /* NaN and inf are no JSON tokens: json_num prints null for them */
    json_num(stdout, "test_auc", r->test_auc, 6, ",");
    json_num(stdout, "val_auc", r->val_auc, 6, ",");
    json_num(stdout, "test_logloss", r->test_logloss, 6, ",");
    gauc_json(stdout, "test_gauc", r->test_gauc, gauc_user(d), r->gauc_users, r->gauc_rows, ",");
    json_num(stdout, "oracle_auc", r->oracle_auc, 6, ",");
    printf("\"epochs\":%d,\"best_epoch\":%d,", r->epochs_run, r->best_epoch);
    json_num(stdout, "sec_per_epoch", r->sec_per_epoch, 4, ",");
    json_num(stdout, "train_samples_per_s", r->train_samples_per_s, 1, ",");
    json_num(stdout, "infer_samples_per_s", r->infer_samples_per_s, 1, ",");
    json_num(stdout, "train_macs_per_row", r->train_macs_per_row, 0, ",");
    printf("\"emb_bytes_here\":%.0f,", r->emb_bytes_here);
    printf("\"dist_ranks\":%d,\"dist_bytes_per_step\":%.0f,\"dist_dense_bytes\":%.0f,\"dist_sparse_bytes\":%.0f,",
           r->dist_ranks > 1 ? r->dist_ranks : 1, r->dist_bytes_per_step, r->dist_dense_bytes, r->dist_sparse_bytes);
    printf("\"param_bytes\":%zu,\"peak_rss_bytes\":%ld,\"synthetic_fallback\":%s}\n", r->param_bytes,
           r->peak_rss_bytes, d->synthetic_fallback ? "true" : "false");
    (void)o;
}

/* train_run's on_trained hook for --save. */
struct train_save { const struct train_cli *a; const struct model_opts *mo; const struct data_opts *o;
                    const struct dataset *d; const struct split *s; };

static int save_model(void *ctx, struct model *m, const struct train_result *r, char *err, size_t errlen)
{
    const struct train_save *sv = ctx;
    struct ckpt_meta cm;
    int rc = ckpt_meta_init(&cm, sv->mo, sv->o, sv->d, sv->s, err, errlen);
    if (rc == 0) {
        cm.seed = sv->a->t.seed;
        cm.batch = sv->a->t.batch;
        cm.threads = sv->a->t.threads;
        cm.best_epoch = r->best_epoch;
        cm.epochs_run = r->epochs_run;
        cm.val_auc = r->val_auc;
        cm.test_auc = r->test_auc;
        cm.test_logloss = r->test_logloss;
        rc = ckpt_save(sv->a->save, &cm, m, err, errlen);
    }
    ckpt_meta_free(&cm);
    if (rc == 0) printf("saved %s (best epoch %d, %zu parameter bytes)\n", sv->a->save, r->best_epoch, r->param_bytes);
    return rc;
}

int cmd_train(int argc, char **argv)
{
    struct train_cli a = { 0 };
    struct model_opts mo;
    struct data_opts o;
    train_cfg_default(&a.t);
    a.t.micro = 0;                            /* auto: train_micro_auto */
    model_opts_default(&mo);
    data_opts_default(&o);
    char err[512];
    if (model_opts_prescan(&mo, argc, argv, err, sizeof err)) {
        fprintf(stderr, "apg train: %s\n", err);
        return 2;
    }
    struct opt_group groups[MODEL_OPT_GROUPS + 2];
    int n_groups = model_opts_groups(&mo, groups);
    groups[n_groups++] = (struct opt_group){ "training", train_opts, &a };
    groups[n_groups++] = (struct opt_group){ "data", data_opt_table, &o };
    char *pos[1];
    int n_pos, help;
    if (cli_parse(groups, n_groups, argc, argv, pos, 0, &n_pos, &help, err, sizeof err)) {
        fprintf(stderr, "apg train: %s\n", err);
        return 2;
    }
    if (help) {
        printf("usage: apg train [options]\n\nTrains one model and prints per-epoch train loss and validation AUC,\n"
               "then test AUC, logloss, gAUC (and the oracle AUC on synthetic data). gAUC is the\n"
               "impression-weighted mean of the per-user AUCs of the test users with both labels\n"
               "(user id 0, the OOV id, left out), over the dataset's user field or --user-field COL;\n"
               "without a user field it is n/a (JSON null), and the users and rows it covers are\n"
               "printed with it.\n");
        cli_help(stdout, groups, n_groups);
        printf("\nThe options of each backbone (an option of another backbone than --backbone is an error):\n");
        model_opts_help_backbones(stdout);
        return 0;
    }
    if (model_opts_finish(&mo, err, sizeof err) || model_opts_check_effect(&mo, argc, argv, err, sizeof err) ||
        data_opts_check_effect(&o, argc, argv, err, sizeof err)) {
        fprintf(stderr, "apg train: %s\n", err);
        return 2;
    }
    a.t.threads = train_threads_cap(a.t.threads, "apg train", "--threads");
    a.t.backbone = mo.backbone;
    a.t.model = mo.m;
    if (!dataset_spec_find(o.dataset)) {
        fprintf(stderr, "apg train: unknown dataset '%s' (valid: %s)\n", o.dataset, dataset_spec_names());
        return 2;
    }
    if (strcmp(o.split, "random") != 0 && strcmp(o.split, "time") != 0) {
        fprintf(stderr, "apg train: --split: expected random or time, got '%s'\n", o.split);
        return 2;
    }
    if (a.save && ckpt_check_writable(a.save, err, sizeof err)) {
        fprintf(stderr, "apg train: --save %s\n", err);
        return 2;
    }
    int rank0 = dist_rank() == 0;
    if (dist_size() > 1 && !a.t.dist) {
        if (rank0) fprintf(stderr, "apg train: under mpirun with %d ranks, add --dist (data-parallel training); "
                           "without it every rank would train the same model\n", dist_size());
        return 2;
    }
    if (a.t.shard_emb && !a.t.dist) {
        fprintf(stderr, "apg train: --shard-embeddings needs --dist (under mpirun)\n");
        return 2;
    }
    if (a.t.shard_emb && a.save) {
        fprintf(stderr, "apg train: --save with --shard-embeddings: no rank holds the whole table to write; "
                "train without --shard-embeddings to save a checkpoint\n");
        return 2;
    }
    if (a.t.dist && a.t.micro > 1) {
        fprintf(stderr, "apg train: --dist and --micro-batches exclude each other\n");
        return 2;
    }
    if (a.t.dist && dist_size() == 1)
        fprintf(stderr, "apg train: --dist: not launched by mpirun with several ranks: one process trains\n");
    if (!rank0) a.save = NULL;                /* the other ranks only train */
    a.t.progress = rank0 && isatty(STDOUT_FILENO);
    a.t.verbose = rank0;

    struct dataset d;
    stale_tmp_sweep_cache(o.cache_dir);   /* cache writes of runs killed meanwhile */
    if (dataset_load(&d, &o, err, sizeof err)) {
        fprintf(stderr, "apg train: %s\n", err);
        return data_load_exit_code(err);
    }
    if (d.n_rows == 0) {
        fprintf(stderr, "apg train: dataset %s is empty (no rows: an empty source file, or every row skipped)\n", d.name);
        dataset_free(&d);
        return 1;
    }
    struct split s;
    char how[400];
    if (dataset_split_how(&s, &d, &o, how, sizeof how, err, sizeof err)) {
        fprintf(stderr, "apg train: %s\n", err);
        dataset_free(&d);
        return 2;
    }
    if (a.t.dist && dist_size() > 1) {       /* every rank must hold the same rows */
        char sha[65];
        data_checksum(sha, &d, &s);
        if (dtrain_check_data(sha, err, sizeof err)) {
            fprintf(stderr, "apg train: %s\n", err);
            split_free(&s);
            dataset_free(&d);
            return 1;
        }
    }
    if (!rank0) {
        struct train_result r;
        int rc = train_run(&a.t, &d, &s, &r, err, sizeof err);
        if (rc) fprintf(stderr, "apg train: rank %d: %s\n", dist_rank(), err);
        split_free(&s);
        dataset_free(&d);
        return rc == -2 ? 2 : rc ? 1 : 0;
    }
    printf("dataset %s: %d rows (train %d, val %d, test %d), %d fields, positive rate %.4f\n", d.name,
           d.n_rows, s.n_train, s.n_val, s.n_test, d.n_fields, dataset_pos_rate(&d));
    printf("split: %s\n", how);
    if (a.t.dist && dist_size() > 1)
        printf("data-parallel: %d MPI ranks x %d thread%s, each %d of every %d-row minibatch (%s)\n", dist_size(),
               a.t.threads, a.t.threads == 1 ? "" : "s", (a.t.batch + dist_size() - 1) / dist_size(), a.t.batch,
               dist_library());
    for (int f = 0; f < d.n_fields; f++)
        if (d.fields[f].num) {
            char fit[200];
            num_fit_describe(&d.fields[f].fit, fit, sizeof fit);
            printf("numeric %s: %s\n", d.fields[f].name, fit);
        }
    if (d.synthetic_fallback)
        printf("WARNING: real data missing, SYNTHETIC data stands in for %s\n", o.dataset);

    struct train_save sv = { &a, &mo, &o, &d, &s };
    if (a.save) {
        a.t.on_trained = save_model;
        a.t.on_trained_ctx = &sv;
    }
    struct train_result r;
    int rc = train_run(&a.t, &d, &s, &r, err, sizeof err);
    if (rc) {
        fprintf(stderr, "apg train: %s\n", err);
    } else {
        char gt[200];
        gauc_text(gt, sizeof gt, r.test_gauc, gauc_user(&d), r.gauc_users, r.gauc_rows, s.n_test);
        printf("test auc %.5f  logloss %.5f  %s", r.test_auc, r.test_logloss, gt);
        if (!isnan(r.oracle_auc)) printf("  (oracle auc %.5f)", r.oracle_auc);
        printf("\nbest epoch %d of %d, %.3f s/epoch, train %.0f samples/s, inference %.0f samples/s,"
               " %zu parameter bytes, peak RSS %.1f MB\n", r.best_epoch, r.epochs_run, r.sec_per_epoch,
               r.train_samples_per_s, r.infer_samples_per_s, r.param_bytes, (double)r.peak_rss_bytes / 1048576.0);
        if (r.emb_bytes_here > 0)
            printf("embedding rows sharded over %d ranks: rank 0 holds %.1f MB of the table with its gradient and "
                   "Adam moments\n", r.dist_ranks, r.emb_bytes_here / 1048576.0);
        if (r.dist_ranks > 1)
            printf("data-parallel: %.1f KB sent per rank per step (allreduce of %.1f KB of dense gradients, "
                   "%.1f KB of embedding rows to each other rank)\n", r.dist_bytes_per_step / 1024.0,
                   r.dist_dense_bytes / 1024.0, r.dist_sparse_bytes / 1024.0);
        if (a.json) print_json(&a, &o, &d, &r);
    }
    split_free(&s);
    dataset_free(&d);
    return rc == -2 ? 2 : rc ? 1 : 0;
}
