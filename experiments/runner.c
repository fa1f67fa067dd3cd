/* The experiment runner's scheduling loop (experiments/runner.h). The parent claims a
 * run in the DB, forks a child that trains it (inheriting the loaded datasets), reads
 * the child's result from a pipe, and commits it; it refreshes its heartbeat while
 * children work and stops them (marking their runs killed) on SIGINT/SIGTERM. */
#define _GNU_SOURCE
#include "runner.h"
#include "checkpoint.h"
#include "dist.h"
#include "grid_dist.h"
#include "env.h"
#include "metrics.h"
#include "progress.h"
#include "run_child.h"
#include "threads.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUNNER_GROUPS 10

static volatile sig_atomic_t stop_signal;
static void on_stop(int sig) { stop_signal = sig; }

int runner_schedule(struct store *st, int64_t grid, struct run_cfg *runs, int n, char *err, size_t errlen)
{
    if (store_begin(st)) {
        snprintf(err, errlen, "%s: cannot start a transaction (locked?)", st->path);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        struct run_cfg *rc = &runs[i];
        const struct run_data *rd = rc->data;
        const struct apg_cfg *a = &rc->mo.m.apg;
        struct run_plan p = {
            .spec = rc->spec->name, .config_json = rc->config_json, .backbone = rc->mo.backbone,
            .apg = a->variant, .condition = a->condition, .hidden = rc->mo.hidden, .apg_init = a->init,
            .K = a->K, .P = a->P, .gen_layers = a->gen_layers, .gen_hidden = a->gen_hidden,
            .emb_dim = rc->mo.m.emb_dim, .gen_scale = a->gen_scale, .chain_lr = a->chain_lr,
            .epochs_max = rc->t.epochs, .patience = rc->t.patience, .batch = rc->t.batch, .lr = rc->t.lr,
            .l2 = rc->t.l2, .seed = rc->t.seed, .dataset = rd->d.name, .data_kind = rd->kind,
            .data_note = rd->note, .dataset_rows = rd->d.n_rows, .dataset_checksum = rd->checksum,
            .label_rule = rd->d.label_rule, .split = rd->o.split, .n_train = rd->s.n_train,
            .n_val = rd->s.n_val, .n_test = rd->s.n_test,
        };
        memcpy(p.key, rc->key, sizeof p.key);
        if (store_schedule(st, &p, err, errlen) ||
            store_grid_link(st, grid, rc->cell->row, rc->cell->col, rc->seed, rc->K, rc->P, rc->key, err, errlen)) {
            store_rollback(st);
            return -1;
        }
    }
    if (store_commit(st)) {
        snprintf(err, errlen, "%s: commit failed", st->path);
        store_rollback(st);
        return -1;
    }
    return 0;
}

struct user_order { int32_t id, freq; };
static int user_order_cmp(const void *a, const void *b)
{
    const struct user_order *x = a, *y = b;
    if (x->freq != y->freq) return x->freq < y->freq ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

int32_t *runner_user_groups(const struct dataset *d, const struct split *s, int n_groups)
{
    if (d->user_field < 0 || d->fields[d->user_field].multi) return NULL;
    const struct field *uf = &d->fields[d->user_field];
    int32_t card = uf->card;
    int32_t *freq = calloc((size_t)card, sizeof *freq), *group = malloc((size_t)card * sizeof *group);
    struct user_order *u = malloc((size_t)card * sizeof *u);
    if (!freq || !group || !u) {
        free(freq); free(group); free(u);
        return NULL;
    }
    for (int i = 0; i < s->n_train; i++) freq[uf->ids[s->train[i]]]++;
    int n = 0;
    for (int32_t id = 1; id < card; id++) {
        group[id] = -1;
        if (freq[id] > 0) u[n++] = (struct user_order){ id, freq[id] };
    }
    group[0] = -1;
    qsort(u, (size_t)n, sizeof *u, user_order_cmp);
    for (int k = 0; k < n; k++) group[u[k].id] = (int32_t)((int64_t)k * n_groups / n);
    free(freq);
    free(u);
    return group;
}

/* Per-group test metrics of one run's scores (groups[RUNNER_GROUPS]). */
static int group_metrics(const struct run_data *rd, const int32_t *group_of, const float *scores,
                         const float *labels, struct run_group *out)
{
    if (!group_of) return 0;
    const struct field *uf = &rd->d.fields[rd->d.user_field];
    int n = rd->s.n_test;
    float *gs = malloc(sizeof *gs * (size_t)n), *gl = malloc(sizeof *gl * (size_t)n);
    int64_t users[RUNNER_GROUPS] = { 0 };
    for (int32_t id = 1; id < uf->card; id++)
        if (group_of[id] >= 0) users[group_of[id]]++;
    int ng = 0;
    for (int g = 0; g < RUNNER_GROUPS && gs && gl; g++) {
        int m = 0;
        double pred = 0, pos = 0;
        for (int i = 0; i < n; i++) {
            if (group_of[uf->ids[rd->s.test[i]]] != g) continue;
            gs[m] = scores[i];
            gl[m] = labels[i];
            pred += scores[i];
            pos += labels[i] > 0.5f;
            m++;
        }
        out[ng++] = (struct run_group){ .group = g, .users = users[g], .instances = m, .positives = (int64_t)pos,
                                        .auc = m ? metrics_auc(gs, gl, m) : NAN, .ctr = m ? pos / m : NAN,
                                        .mean_pred = m ? pred / m : NAN };
    }
    free(gs);
    free(gl);
    return ng;
}

/* One child at work. */
struct slot {
    pid_t pid;
    int   fd, run;
    char *buf;
    size_t len, cap;
    double t0;
    int   eof;
};

static int slot_read(struct slot *sl) { return child_pipe_read(sl->fd, &sl->buf, &sl->len, &sl->cap, &sl->eof); }

static void fmt_duration(char *out, size_t n, double s)
{
    if (s < 0 || s != s) snprintf(out, n, "?");
    else if (s < 90) snprintf(out, n, "%.0f s", s);
    else if (s < 5400) snprintf(out, n, "%d min %02d s", (int)(s / 60), (int)s % 60);
    else snprintf(out, n, "%.1f h", s / 3600);
}

static double estimate_seconds(struct store *st, const struct run_cfg *rc)
{
    double v = store_mean_duration(st, rc->mo.backbone, rc->mo.m.apg.variant, rc->data->d.name, rc->data->d.n_rows);
    if (v > 0) return v;
    /* no history: ~100k samples/s per epoch for a base model on one thread here; the
     * forms that generate whole N x M matrices (v1, v5) or materialise W_i per
     * instance (v2) measured 150-700 times slower, the factorised forms ~1.5 times */
    const char *f = rc->mo.m.apg.variant;
    double mult = !strcmp(f, "v1") ? 700 : (!strcmp(f, "v2") || !strcmp(f, "v5")) ? 150 : !strcmp(f, "none") ? 1 : 1.5;
    return 1.0 + mult * (double)rc->data->s.n_train * rc->t.epochs / 100000.0;
}

/* Commits the outcome of a finished child. Returns the run's final status. */
static int settle(struct store *st, struct run_cfg *rc, struct slot *sl, int wstatus, int32_t *group_of,
                  double wall, int idx, int total, const struct runner_opts *ro, char *err, size_t errlen)
{
    struct child_result cr;
    char why[640];
    int parsed = child_result_parse(&cr, sl->buf, sl->len, rc->data->s.n_test);
    const char *name = rc->cell->row, *col = rc->cell->col;
    int status;
    if (WIFSIGNALED(wstatus)) {
        int sig = WTERMSIG(wstatus);
        snprintf(why, sizeof why, "the training process died of signal %d (%s)", sig, strsignal(sig));
        status = sig == SIGKILL || sig == SIGTERM || sig == SIGINT ? RUN_KILLED : RUN_FAILED;
    } else if (parsed != 0) {
        snprintf(why, sizeof why, "the training process exited with status %d without a complete result",
                 WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
        status = RUN_FAILED;
    } else if (cr.head.rc != 0) {
        snprintf(why, sizeof why, "%s", cr.head.err);
        status = RUN_FAILED;
    } else {
        status = RUN_DONE;
    }
    if (status != RUN_DONE) {
        if (store_fail(st, rc->key, status, why, err, errlen)) return -1;
        if (!ro->quiet)
            printf("[%d/%d] %s %s | %s seed %d: %s: %s\n", idx, total, rc->spec->name, name, col, rc->seed,
                   run_status_name(status), why);
        return status;
    }
    int n = rc->data->s.n_test;
    float *labels = malloc(sizeof *labels * (size_t)n);
    if (!labels) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++) labels[i] = rc->data->d.label[rc->data->s.test[i]];
    struct run_group groups[RUNNER_GROUPS];
    static struct run_specific spec[CHILD_SPEC_MAX];   /* Fig 9: generated parameters per field value */
    const float *sd = cr.spec_data;
    for (int i = 0; i < cr.head.n_spec; i++) {
        const int32_t *h = cr.spec_hdr + 4 * i;
        spec[i] = (struct run_specific){ cr.head.spec_field, h[0], h[1], h[2], h[3], sd };
        sd += (size_t)h[2] * (size_t)h[3];
    }
    const struct train_result *tr = &cr.head.tr;
    struct run_result r = {
        .test_auc = tr->test_auc, .val_auc = tr->val_auc, .test_logloss = tr->test_logloss,
        .test_gauc = tr->test_gauc, .gauc_users = tr->gauc_users, .gauc_impressions = tr->gauc_rows,
        .oracle_auc = tr->oracle_auc, .best_epoch = tr->best_epoch,
        .epochs_run = tr->epochs_run, .train_seconds = tr->train_seconds, .sec_per_epoch = tr->sec_per_epoch,
        .train_samples_per_s = tr->train_samples_per_s,
        .infer_us_per_sample = tr->infer_samples_per_s > 0 ? 1e6 / tr->infer_samples_per_s : NAN,
        .latency_ms_1024 = cr.head.latency_ms, .serving_form = cr.head.serving_form,
        .param_bytes = (int64_t)tr->param_bytes, .serving_param_bytes = cr.head.serving_param_bytes,
        .peak_rss_bytes = tr->peak_rss_bytes, .n_epochs = cr.head.n_epochs, .epochs = cr.epochs,
        .n_groups = group_metrics(rc->data, group_of, cr.scores, labels, groups), .groups = groups,
        .n_test = n, .scores = cr.scores, .labels = labels, .rows_hash = rc->data->test_hash,
        .n_specific = cr.head.n_spec, .specific = spec,
    };
    int rc_db = store_finish(st, rc->key, &r, err, errlen);
    free(labels);
    if (rc_db) return -1;
    if (!ro->quiet)
        printf("[%d/%d] %s %s | %s seed %d: test AUC %.5f (val %.5f, best epoch %d/%d) %.1f s\n", idx, total,
               rc->spec->name, name, col, rc->seed, tr->test_auc, tr->val_auc, tr->best_epoch, tr->epochs_run, wall);
    return RUN_DONE;
}

/* User groups (Fig 8) per dataset, computed once each. */
struct group_cache { const struct run_data *rd[SPEC_N_DATA * 4]; int32_t *g[SPEC_N_DATA * 4]; int n; };
static int32_t *groups_for(struct group_cache *gc, const struct run_data *rd)
{
    for (int k = 0; k < gc->n; k++)
        if (gc->rd[k] == rd) return gc->g[k];
    if (gc->n == (int)(sizeof gc->rd / sizeof gc->rd[0])) return NULL;
    gc->rd[gc->n] = rd;
    return gc->g[gc->n++] = runner_user_groups(&rd->d, &rd->s, RUNNER_GROUPS);
}

/* A training process killed by a signal while the runner itself goes on (kill -9, the
 * OOM killer, a worker rank's child) is trained again, at most this many times. */
#define RUNNER_REISSUE 2

/* The queue of one runner_execute: the run indices to train, in order, growing when a
 * killed run is reissued. */
struct queue { int *todo, n, next, *tries; };

/* The training side of the remote ranks of an MPI job (rank 0 only). */
struct remote { int rank, run; double t0; };
struct ranks {
    int size;                    /* the job's ranks; 1: no remote side */
    int *credit;                 /* free slots each rank has reported */
    int *hello;                  /* 1 when the rank's hello arrived */
    struct gd_hello *env;        /* each rank's host and --jobs */
    struct remote *run;          /* runs out on the ranks */
    int n_run, cap;
};

static void ranks_free(struct ranks *rk)
{
    free(rk->credit);
    free(rk->hello);
    free(rk->env);
    free(rk->run);
}

static int ranks_init(struct ranks *rk)
{
    memset(rk, 0, sizeof *rk);
    rk->size = dist_size();
    if (rk->size == 1) return 0;
    rk->credit = calloc((size_t)rk->size, sizeof *rk->credit);
    rk->hello = calloc((size_t)rk->size, sizeof *rk->hello);
    rk->env = calloc((size_t)rk->size, sizeof *rk->env);
    return rk->credit && rk->hello && rk->env ? 0 : -1;
}

/* Settles a finished run (settle) and reissues it when it was killed under a runner
 * that goes on. Returns the run's status, or -1 on a DB error. */
static int finish_run(struct store *st, struct run_cfg *runs, struct queue *q, int run, struct slot *sl, int ws,
                      struct group_cache *gc, double wall, int idx, int total, const struct runner_opts *ro,
                      struct runner_stats *stats, char *err, size_t errlen)
{
    struct run_cfg *r = &runs[run];
    int st_run = settle(st, r, sl, ws, groups_for(gc, r->data), wall, idx, total, ro, err, errlen);
    if (st_run < 0) return -1;
    if (st_run == RUN_DONE) stats->ran_ok++;
    else if (st_run == RUN_KILLED && !stop_signal && q->tries[run] <= RUNNER_REISSUE) {
        q->todo[q->n++] = run;
        stats->reissued++;
        if (!ro->quiet) printf("      reissued (try %d of %d)\n", q->tries[run] + 1, RUNNER_REISSUE + 1);
    } else if (st_run == RUN_KILLED) stats->killed++;
    else stats->ran_failed++;
    return st_run;
}

/* Claims the next run of the queue that is still claimable: its index, or -1 when the
 * queue is empty, -2 on a DB error. */
static int claim_next(struct store *st, struct run_cfg *runs, struct queue *q, const struct run_env *env,
                      const struct runner_opts *ro, struct runner_stats *stats, char *err, size_t errlen)
{
    while (q->next < q->n) {
        int run = q->todo[q->next++];
        int c = store_claim(st, runs[run].key, env, ro->retry_failed, err, errlen);
        if (c < 0) return -2;
        if (c > 0) {
            q->tries[run]++;
            return run;
        }
        stats->elsewhere++;     /* taken (or finished) by another runner meanwhile */
    }
    return -1;
}

/* Rank 0: takes the ranks' messages (hellos, results) and hands queued runs to ranks
 * with free slots. 0, or -1 with err. */
static int serve_ranks(struct ranks *rk, struct store *st, struct run_cfg *runs, struct queue *q,
                       const struct run_env *env0, struct group_cache *gc, int *finished, int total,
                       const struct runner_opts *ro, struct runner_stats *stats, char *err, size_t errlen)
{
    struct gd_msg m;
    int got;
    while ((got = gd_next(&m, err, errlen)) > 0) {
        if (m.from <= 0 || m.from >= rk->size) {
            free(m.buf);
            continue;
        }
        if (m.tag == GD_READY) {
            rk->credit[m.from]++;
            if (!rk->hello[m.from]) rk->env[m.from] = m.hello;
            rk->hello[m.from] = 1;
            continue;
        }
        int k = 0;                                   /* GD_RESULT */
        while (k < rk->n_run && !(rk->run[k].rank == m.from && rk->run[k].run == m.run)) k++;
        if (k == rk->n_run) {
            free(m.buf);
            snprintf(err, errlen, "rank %d sent the result of run %d, which it was not given", m.from, m.run);
            return -1;
        }
        struct slot sl = { .buf = m.buf, .len = m.len };
        (*finished)++;
        int sr = finish_run(st, runs, q, m.run, &sl, m.wstatus, gc, now_seconds() - rk->run[k].t0,
                            stats->done_before + *finished, total + stats->reissued, ro, stats, err, errlen);
        free(m.buf);
        rk->run[k] = rk->run[--rk->n_run];
        if (sr < 0) return -1;
        fflush(stdout);
    }
    if (got < 0) return -1;
    for (int r = 1; r < rk->size; r++)
        while (rk->credit[r] > 0 && !stop_signal) {
            char worker[192];
            struct host_env *he = &rk->env[r].env;
            snprintf(worker, sizeof worker, "rank %d of %d on %s", r, rk->size, he->host);
            struct run_env e = { env0->host, he->cpu_model, he->compiler, he->cflags, he->blis_arch, he->git_rev,
                                 he->git_dirty, rk->env[r].threads, env0->pid, worker };
            int run = claim_next(st, runs, q, &e, ro, stats, err, errlen);
            if (run == -2) return -1;
            if (run < 0) break;
            if (rk->n_run == rk->cap) {
                int cap = rk->cap ? 2 * rk->cap : 16;
                struct remote *nr = realloc(rk->run, sizeof *nr * (size_t)cap);
                if (!nr) {
                    snprintf(err, errlen, "out of memory");
                    return -1;
                }
                rk->run = nr;
                rk->cap = cap;
            }
            if (gd_send_run(r, run, &runs[run])) {
                snprintf(err, errlen, "sending run %d to rank %d failed (MPI)", run, r);
                store_fail(st, runs[run].key, RUN_KILLED, "the runner could not send it to its rank", err, errlen);
                return -1;
            }
            rk->run[rk->n_run++] = (struct remote){ r, run, now_seconds() };
            rk->credit[r]--;
        }
    return 0;
}

/* Rank 0, at the end: waits until every rank has said hello and has every slot free
 * (no message of theirs left unreceived), then tells each to leave. */
static int release_ranks(struct ranks *rk, char *err, size_t errlen)
{
    for (int r = 1; r < rk->size; r++) {
        while (!stop_signal && !(rk->hello[r] && rk->credit[r] == rk->env[r].jobs)) {
            struct gd_msg m;
            int got = gd_next(&m, err, errlen);
            if (got < 0) return -1;
            if (got == 0) {
                struct timespec t = { 0, 2 * 1000 * 1000 };
                nanosleep(&t, NULL);
                continue;
            }
            free(m.buf);
            if (m.tag != GD_READY) {
                snprintf(err, errlen, "rank %d sent a result after the last run", m.from);
                return -1;
            }
            if (!rk->hello[m.from]) rk->env[m.from] = m.hello;
            rk->hello[m.from] = 1;
            rk->credit[m.from]++;
        }
        if (gd_send_stop(r)) {
            snprintf(err, errlen, "telling rank %d to stop failed (MPI)", r);
            return -1;
        }
    }
    return 0;
}

int runner_execute(struct store *st, struct run_cfg *runs, int n, const struct runner_opts *ro,
                   struct runner_stats *stats, char *err, size_t errlen)
{
    memset(stats, 0, sizeof *stats);
    stats->total = n;
    struct host_env he;
    host_env_read(&he);
    struct run_env env = { he.host, he.cpu_model, he.compiler, he.cflags, he.blis_arch, he.git_rev,
                           he.git_dirty, ro->threads, (int)getpid(), NULL };
    int reaped = store_reap(st, he.host, ro->stale_s, err, errlen);
    if (reaped < 0) return -1;
    if (reaped > 0) printf("marked %d stale running run%s killed (their runner is gone); they are redone\n",
                           reaped, reaped == 1 ? "" : "s");

    /* What is to do: room for every run and its reissues. */
    struct queue q = { .todo = malloc(sizeof *q.todo * (size_t)(n * (RUNNER_REISSUE + 1) + 1)),
                       .tries = calloc((size_t)n + 1, sizeof *q.tries) };
    struct ranks rk;
    if (!q.todo || !q.tries || ranks_init(&rk)) {
        free(q.todo);
        free(q.tries);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    double est = 0;
    for (int i = 0; i < n; i++) {
        int s = store_run_status(st, runs[i].key);
        if (s == RUN_DONE) stats->done_before++;
        else if (s == RUN_FAILED && !ro->retry_failed) stats->skipped_failed++;
        else if (s == RUN_RUNNING) stats->elsewhere++;
        else {
            q.todo[q.n++] = i;
            est += estimate_seconds(st, &runs[i]);
        }
    }
    int n_todo = q.n;
    stats->to_run = n_todo;
    char eta[48];
    int width = ro->jobs > 0 ? ro->jobs : 1;         /* runs at once, every rank (same --jobs) */
    width *= rk.size;
    fmt_duration(eta, sizeof eta, est / width);
    printf("%d runs: %d to train, %d already stored, %d failed before (%s), %d running elsewhere; "
           "estimated %s with %d job%s x %d thread%s", n, n_todo, stats->done_before, stats->skipped_failed,
           ro->retry_failed ? "retried" : "kept; --retry-failed reruns them", stats->elsewhere, eta, ro->jobs,
           ro->jobs == 1 ? "" : "s", ro->threads, ro->threads == 1 ? "" : "s");
    if (rk.size > 1) printf(" on each of %d MPI ranks", rk.size);
    printf("\n");
    if (ro->dry_run) {
        for (int i = 0; i < n; i++) {
            int s = store_run_status(st, runs[i].key);
            printf("  %.16s  %-9s  %s %s | %s seed %d K %d P %d\n", runs[i].key, s < 0 ? "new" : run_status_name(s),
                   runs[i].spec->name, runs[i].cell->row, runs[i].cell->col, runs[i].seed, runs[i].K, runs[i].P);
        }
        int rr = release_ranks(&rk, err, errlen);
        ranks_free(&rk);
        free(q.todo);
        free(q.tries);
        return rr;
    }

    struct group_cache gc = { .n = 0 };
    struct sigaction sa = { 0 }, old_int, old_term;
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    stop_signal = 0;

    int jobs = ro->jobs > 0 ? ro->jobs : 1;
    struct slot *slots = calloc((size_t)jobs, sizeof *slots);
    int *fds = calloc((size_t)jobs, sizeof *fds);
    int active = 0, finished = 0, rc = 0;
    double last_hb = now_seconds(), busy = 0;
    if (!slots || !fds) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    fflush(stdout);
    while (rc == 0 && (q.next < q.n || active > 0 || rk.n_run > 0)) {
        if (stop_signal) break;
        /* Fill free slots. */
        for (int j = 0; j < jobs && q.next < q.n && !stop_signal; j++) {
            if (slots[j].pid) continue;
            int run = claim_next(st, runs, &q, &env, ro, stats, err, errlen);
            if (run == -2) rc = -1;
            if (run < 0) break;
            int k = 0;
            for (int o = 0; o < jobs; o++)
                if (slots[o].pid) fds[k++] = slots[o].fd;
            int pid, fd;
            if (run_child_spawn(&runs[run], ro->threads, fds, k, &pid, &fd, err, errlen)) {
                char e2[256];
                store_fail(st, runs[run].key, RUN_KILLED, "the runner could not start it (pipe or fork)", e2, sizeof e2);
                rc = -1;
                break;
            }
            slots[j] = (struct slot){ .pid = pid, .fd = fd, .run = run, .t0 = now_seconds() };
            active++;
        }
        if (rc == 0 && rk.size > 1 &&
            serve_ranks(&rk, st, runs, &q, &env, &gc, &finished, n, ro, stats, err, errlen))
            rc = -1;
        if (rc) break;
        if (active == 0 && rk.size == 1) continue;
        /* Wait for output or exits (and, in an MPI job, no longer than the ranks' turn). */
        struct pollfd pf[64];
        int map[64], np = 0;
        for (int j = 0; j < jobs && np < 64; j++)
            if (slots[j].pid && !slots[j].eof) {
                pf[np] = (struct pollfd){ .fd = slots[j].fd, .events = POLLIN };
                map[np++] = j;
            }
        int pr = np || rk.size > 1 ? poll(pf, (nfds_t)np, rk.size > 1 ? 10 : 1000) : 0;
        for (int k = 0; pr > 0 && k < np; k++)
            if (pf[k].revents & (POLLIN | POLLHUP | POLLERR)) slot_read(&slots[map[k]]);
        double now = now_seconds();
        if (now - last_hb > 5) {
            store_heartbeat(st, he.host, env.pid);
            last_hb = now;
        }
        for (int j = 0; j < jobs; j++) {
            struct slot *sl = &slots[j];
            if (!sl->pid || !sl->eof) continue;
            int ws;
            if (waitpid(sl->pid, &ws, 0) < 0) ws = 0;
            close(sl->fd);
            double wall = now - sl->t0;
            busy += wall;
            finished++;
            if (finish_run(st, runs, &q, sl->run, sl, ws, &gc, wall, stats->done_before + finished,
                           n + stats->reissued, ro, stats, err, errlen) < 0)
                rc = -1;
            free(sl->buf);
            *sl = (struct slot){ 0 };
            active--;
            if (!ro->quiet && q.next < q.n) {
                double left = busy / finished * (q.n - finished) / width;
                fmt_duration(eta, sizeof eta, left);
                printf("      %d of %d to train left, ETA %s\n", q.n - q.next + active + rk.n_run, n_todo, eta);
            }
            fflush(stdout);
        }
    }
    int interrupted = stop_signal != 0;
    if (rc == 0 && !interrupted && release_ranks(&rk, err, errlen)) rc = -1;
    /* Stop what still runs (interrupt or DB error) and mark it killed. */
    char why[96], e2[256];
    snprintf(why, sizeof why, "killed: the runner was interrupted (%s)", interrupted ? strsignal(stop_signal) : "error");
    for (int j = 0; slots && j < jobs; j++) {
        if (!slots[j].pid) continue;
        kill(slots[j].pid, SIGKILL);
        waitpid(slots[j].pid, NULL, 0);
        close(slots[j].fd);
        free(slots[j].buf);
        store_fail(st, runs[slots[j].run].key, RUN_KILLED, why, e2, sizeof e2);
        stats->killed++;
    }
    for (int k = 0; k < rk.n_run; k++) {          /* out on other ranks: the job ends with them */
        store_fail(st, runs[rk.run[k].run].key, RUN_KILLED, why, e2, sizeof e2);
        stats->killed++;
    }
    free(slots);
    free(fds);
    for (int k = 0; k < gc.n; k++) free(gc.g[k]);
    ranks_free(&rk);
    free(q.todo);
    free(q.tries);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (interrupted) {
        printf("interrupted by %s: running runs marked killed; run the same command again to resume\n",
               strsignal(stop_signal));
        return 1;
    }
    return rc;
}
