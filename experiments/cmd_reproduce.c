/* apg reproduce TABLE.. : runs what the results DB does not hold yet for the paper's
 * tables (experiments/spec_*.c), then prints each table beside the paper's numbers. */
#include "commands.h"
#include "dist.h"
#include "env.h"
#include "grid_dist.h"
#include "runner.h"
#include "table.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct repro_cli {
    const char *db, *data_dir, *cache_dir, *format;
    int seeds, jobs, threads, full, quick, max_epochs, patience, dry_run, retry_failed, list;
    int64_t rows;
    uint64_t data_seed;
};

#define O(f) offsetof(struct repro_cli, f)
static const struct opt repro_opts[] = {
    { "db", OPT_STR, O(db), "PATH", "results DB (created when absent)", 0, 0 },
    { "data", OPT_STR, O(data_dir), "DIR", "folder of the real datasets (DIR/ml-1m, DIR/ml-100k, DIR/amazon, DIR/iaac)", 0, 0 },
    { "seeds", OPT_INT, O(seeds), "N", "seeds 1..N per cell (the same list for every cell: paired comparisons)", 1, 64 },
    { "jobs", OPT_INT, O(jobs), "J", "runs trained at once (each with --threads)", 1, 64 },
    { "threads", OPT_INT, O(threads), "T", "threads of each run", 1, 1024 },
    { "full", OPT_FLAG, O(full), NULL, "full mode: the paper's K x P grid chosen on validation, full-size stand-ins, 10 epochs", 0, 0 },
    { "quick", OPT_FLAG, O(quick), NULL, "quick mode (the default): the cells' own K 8, P 32, smaller stand-ins, 3 epochs", 0, 0 },
    { "rows", OPT_I64, O(rows), "N", "rows of each synthetic stand-in (quick default 100000, full: the preset's size)", 0, 2e9 },
    { "max-epochs", OPT_INT, O(max_epochs), "E", "epoch limit of early stopping (quick 3, full 10)", 1, 10000 },
    { "patience", OPT_INT, O(patience), "N", "epochs without a better validation AUC before stopping (quick 1, full 2)", 1, 10000 },
    { "data-seed", OPT_U64, O(data_seed), "S", "seed of the stand-ins and of the 80/10/10 split (one test set per column)", 0, 0 },
    { "cache-dir", OPT_STR, O(cache_dir), "DIR", "binary cache of parsed datasets", 0, 0 },
    { "dry-run", OPT_FLAG, O(dry_run), NULL, "list every run with its key and status, train nothing", 0, 0 },
    { "retry-failed", OPT_FLAG, O(retry_failed), NULL, "run failed runs again (kept otherwise)", 0, 0 },
    { "format", OPT_STR, O(format), "F", "table format: text, md, csv, latex", 0, 0 },
    { "list", OPT_FLAG, O(list), NULL, "name every table with its run counts", 0, 0 },
    { NULL, 0, 0, NULL, NULL, 0, 0 },
};
#undef O

#define QUICK_ROWS 100000   /* quick mode's stand-in rows (a table may ask for fewer) */
#define POOL_MAX (2 * SPEC_N_DATA)

/* The loaded dataset that stands where probe resolves to: the same column and source
 * (and, for a stand-in, the same size); -1 if none. */
static int data_find(const struct run_data *pool, int n, const struct run_data *probe)
{
    for (int i = 0; i < n; i++)
        if (pool[i].which == probe->which && strcmp(pool[i].o.dataset, probe->o.dataset) == 0 &&
            pool[i].o.rows == probe->o.rows)
            return i;
    return -1;
}

/* What stands behind cell's column for spec under the options: resolved (files looked
 * up), not loaded. */
static void cell_probe(struct run_data *probe, const struct repro_cli *a, const struct spec_table *spec,
                       const struct spec_cell *cell)
{
    int64_t rows = a->rows ? a->rows : a->full ? 0 : spec->quick_rows ? spec->quick_rows : QUICK_ROWS;
    run_data_resolve(probe, cell->data, a->data_dir, a->cache_dir, rows, a->data_seed);
}

static const int grid_K[] = { 2, 4, 6, 8 };
static const int grid_P[] = { 32, 64, 128, 256, 512 };

static int cell_points(const struct spec_cell *c, int full)
{
    if (!full || c->grid == SPEC_GRID_NONE) return 1;
    return c->grid == SPEC_GRID_K ? 4 : 20;
}

static void grid_point(const struct spec_cell *c, int full, int i, int *K, int *P)
{
    *K = *P = 0;
    if (!full || c->grid == SPEC_GRID_NONE) return;
    *K = grid_K[i % 4];
    if (c->grid == SPEC_GRID_KP) *P = grid_P[i / 4];
}

static void print_list(void)
{
    printf("%-8s %6s %6s %10s  %s\n", "spec", "cells", "quick", "full", "what (runs at 3 seeds)");
    for (int i = 0; i < spec_count(); i++) {
        const struct spec_table *s = spec_at(i);
        int full = 0;
        for (int c = 0; c < s->n_cells; c++) full += cell_points(&s->cells[c], 1);
        printf("%-8s %6d %6d %10d  %s\n", s->name, s->n_cells, 3 * s->n_cells, 3 * full, s->title);
    }
}

static int usage_error(const char *msg)
{
    fprintf(stderr, "apg reproduce: %s\n", msg);
    return 2;
}

/* A failure before the runs are handed out: in an MPI job the other ranks would wait
 * for them, so the whole job ends here. */
static int setup_failed(int rc)
{
    if (dist_size() == 1) return rc;
    fprintf(stderr, "apg reproduce: rank %d of %d: ending the MPI job\n", dist_rank(), dist_size());
    fflush(NULL);
    dist_abort(rc);
}

int cmd_reproduce(int argc, char **argv)
{
    struct repro_cli a = { .db = "out/results.db", .data_dir = "data", .cache_dir = "out/cache", .format = "text",
                           .seeds = 3, .jobs = 1, .threads = 1, .data_seed = 1 };
    const struct opt_group g = { "reproduce", repro_opts, &a };
    char *pos[64], err[768];
    int n_pos, help;
    if (cli_parse(&g, 1, argc, argv, pos, 64, &n_pos, &help, err, sizeof err)) return usage_error(err);
    if (help) {
        printf("usage: apg reproduce TABLE.. | all [options]   (apg reproduce --list names the tables)\n\n"
               "Trains every run of the tables that the results DB does not hold yet (runs are keyed by\n"
               "SHA-256 of their complete configuration and dataset), then prints each table in the paper's\n"
               "layout: ours (mean +- std over seeds) beside the paper's number, with significance tests.\n"
               "An interrupted grid resumes where it stopped. Missing real data falls back to synthetic\n"
               "stand-ins, announced and stored with every run. Under `mpirun -np N` the runs are shared\n"
               "among the ranks, rank 0 alone writing the DB (README: Running on a cluster).\n");
        cli_help(stdout, &g, 1);
        return 0;
    }
    if (a.list) {
        print_list();
        return 0;
    }
    if (a.quick && a.full) return usage_error("--quick and --full exclude each other");
    int fmt = table_format_parse(a.format);
    if (fmt < 0) return usage_error("--format: expected text, md, csv or latex");
    if (n_pos == 0) return usage_error("name the tables to reproduce (apg reproduce --list), or all");
    const struct spec_table *specs[64];
    int n_specs = 0;
    for (int i = 0; i < n_pos; i++) {
        if (strcmp(pos[i], "all") == 0) {
            for (int k = 0; k < spec_count() && n_specs < 64; k++) specs[n_specs++] = spec_at(k);
            continue;
        }
        const struct spec_table *s = spec_find(pos[i]);
        if (!s) {
            snprintf(err, sizeof err, "unknown table '%s' (valid: %s, all)", pos[i], spec_names());
            return usage_error(err);
        }
        specs[n_specs++] = s;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores > 0 && (long)a.jobs * a.threads > cores)
        fprintf(stderr, "apg reproduce: warning: --jobs %d x --threads %d exceeds the %ld cores: runs will wait on "
                "each other\n", a.jobs, a.threads, cores);
    struct run_defaults def = { .max_epochs = a.max_epochs ? a.max_epochs : a.full ? 10 : 3,
                                .patience = a.patience ? a.patience : a.full ? 2 : 1,
                                .batch = 1024, .lr = 0.005f, .l2 = 0 };

    /* Rank 0 (or the only process) owns the DB; the other ranks of an MPI job never
     * open it: they load the same datasets, resolve the same runs and train what rank 0
     * hands them (experiments/grid_dist.h). */
    int worker = dist_rank() > 0;
    struct store st;
    memset(&st, 0, sizeof st);
    if (!worker && store_open(&st, a.db, 0, err, sizeof err)) {
        fprintf(stderr, "apg reproduce: %s\n", err);
        return setup_failed(1);
    }
    /* Datasets: each (column, stand-in size) the tables use, resolved and loaded once. */
    static struct run_data data[POOL_MAX];
    int n_data = 0, rc = 0, n_fallback = 0;
    for (int i = 0; i < n_specs && rc == 0; i++)
        for (int c = 0; c < specs[i]->n_cells && rc == 0; c++) {
            struct run_data probe;
            cell_probe(&probe, &a, specs[i], &specs[i]->cells[c]);
            if (data_find(data, n_data, &probe) >= 0 || n_data == POOL_MAX) continue;
            data[n_data] = probe;
            struct run_data *rd = &data[n_data++];
            if (run_data_load(rd, err, sizeof err)) {
                fprintf(stderr, "apg reproduce: %s\n", err);
                rc = 1;
                break;
            }
            if (!worker)
                printf("%-9s %s: %d rows (train %d, val %d, test %d), %s\n", spec_data_name(rd->which), rd->d.name,
                       rd->d.n_rows, rd->s.n_train, rd->s.n_val, rd->s.n_test, rd->kind);
            if (rd->note[0]) n_fallback++;
        }
    if (n_fallback && !worker) {
        printf("**************************************************************************\n");
        for (int d = 0; d < n_data; d++)
            if (data[d].note[0]) printf("WARNING: %s\n", data[d].note);
        printf("**************************************************************************\n");
    }
    /* Runs: cells x seeds x grid points, per table. */
    int cap = 0;
    for (int i = 0; i < n_specs; i++)
        for (int c = 0; c < specs[i]->n_cells; c++) cap += a.seeds * cell_points(&specs[i]->cells[c], a.full);
    struct run_cfg *runs = calloc((size_t)(cap ? cap : 1), sizeof *runs);
    int *spec_begin = calloc((size_t)n_specs + 1, sizeof *spec_begin);
    int n = 0;
    if (!runs || !spec_begin) rc = 1;
    for (int i = 0; rc == 0 && i < n_specs; i++) {
        spec_begin[i] = n;
        for (int c = 0; rc == 0 && c < specs[i]->n_cells; c++) {
            const struct spec_cell *cell = &specs[i]->cells[c];
            struct run_data probe;
            cell_probe(&probe, &a, specs[i], cell);
            int di = data_find(data, n_data, &probe);
            for (int p = 0; rc == 0 && p < cell_points(cell, a.full); p++)
                for (int seed = 1; rc == 0 && seed <= a.seeds; seed++) {
                    int K, P;
                    grid_point(cell, a.full, p, &K, &P);
                    if (di < 0 || run_cfg_build(&runs[n], specs[i], cell, &data[di], &def, seed, K, P, err,
                                                sizeof err)) {
                        fprintf(stderr, "apg reproduce: %s\n", err);
                        rc = 1;
                    } else {
                        n++;
                    }
                }
        }
    }
    spec_begin[n_specs] = n;
    /* One grid per table; runs shared by tables (same key) are trained once. */
    int64_t grids[64] = { 0 };
    char seeds[32], cmdline[1024] = "";
    snprintf(seeds, sizeof seeds, "1..%d", a.seeds);
    for (int i = 0, w = 0; i < argc && w < (int)sizeof cmdline - 2; i++)
        w += snprintf(cmdline + w, sizeof cmdline - (size_t)w, "%s%s", i ? " " : "", argv[i]);
    struct host_env he;
    host_env_read(&he);
    struct run_env env = { .host = he.host, .git_rev = he.git_rev };
    for (int i = 0; rc == 0 && !a.dry_run && !worker && i < n_specs; i++) {
        grids[i] = store_grid_begin(&st, specs[i]->name, a.full ? "full" : "quick", cmdline, seeds, &env, err, sizeof err);
        if (grids[i] < 0 || runner_schedule(&st, grids[i], runs + spec_begin[i], spec_begin[i + 1] - spec_begin[i],
                                            err, sizeof err)) {
            fprintf(stderr, "apg reproduce: %s\n", err);
            rc = 1;
        }
    }
    /* Unique keys for execution. */
    struct run_cfg *uniq = calloc((size_t)(n ? n : 1), sizeof *uniq);
    int nu = 0;
    for (int i = 0; rc == 0 && uniq && i < n; i++) {
        int dup = 0;
        for (int j = 0; j < nu && !dup; j++) dup = strcmp(uniq[j].key, runs[i].key) == 0;
        if (!dup) uniq[nu++] = runs[i];
    }
    if (rc) rc = setup_failed(rc);
    if (rc == 0 && worker) {
        int wr = grid_worker(uniq, nu, a.jobs, a.threads);
        rc = wr < 0 ? 1 : wr == 1 ? 130 : 0;
    } else if (rc == 0) {
        struct runner_opts ro = { .jobs = a.jobs, .threads = a.threads, .retry_failed = a.retry_failed,
                                  .dry_run = a.dry_run, .stale_s = 600 };
        struct runner_stats rs;
        /* with --dry-run this lists the runs against the DB, scheduling nothing */
        int er = runner_execute(&st, uniq, nu, &ro, &rs, err, sizeof err);
        if (er < 0) {
            fprintf(stderr, "apg reproduce: %s\n", err);
            rc = 1;
        } else if (er == 1) {
            rc = 130;
        } else if (!a.dry_run) {
            for (int i = 0; i < n_specs; i++) {
                printf("\n");
                if (table_print(stdout, &st, specs[i], grids[i], (enum table_format)fmt, err, sizeof err) < 0) {
                    fprintf(stderr, "apg reproduce: %s\n", err);
                    rc = 1;
                }
            }
            if (n_fallback)
                printf("\nWARNING: %d dataset column%s used a stand-in (see the data lines above)\n", n_fallback,
                       n_fallback == 1 ? "" : "s");
            if (rs.ran_failed || rs.skipped_failed) {
                printf("%d run%s failed (errors in the DB: apg results --where \"status='failed'\")\n",
                       rs.ran_failed + rs.skipped_failed, rs.ran_failed + rs.skipped_failed == 1 ? "" : "s");
                rc = 1;
            }
        }
    }
    free(uniq);
    for (int i = 0; i < n; i++) run_cfg_free(&runs[i]);
    free(runs);
    free(spec_begin);
    for (int d = 0; d < n_data; d++) run_data_free(&data[d]);
    if (!worker) store_close(&st);
    return rc;
}
