/* A runner child: trains one run, measures its serving model, sends the result to the
 * parent through a pipe and exits (experiments/run_child.h). */
#define _GNU_SOURCE
#include "run_child.h"
#include "checkpoint.h"
#include "progress.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define CHILD_MAGIC "APGRUN1"

struct child_ctx {
    const struct run_cfg *rc;
    struct child_head *h;
    struct run_epoch  *ep;
    int n_ep, cap;
};

static void child_on_epoch(void *ctx, int epoch, double loss, double val_auc, double seconds)
{
    struct child_ctx *c = ctx;
    if (c->n_ep == c->cap) return;
    c->ep[c->n_ep++] = (struct run_epoch){ epoch, loss, val_auc, seconds };
}

double run_latency_ms(struct model *m, const struct dataset *d, const int32_t *rows, int n)
{
    int nb = n / 1024 < 16 ? n / 1024 : 16, len = nb ? nb * 1024 : n;
    if (len <= 0) return NAN;
    float *scores = malloc(sizeof *scores * (size_t)len);
    if (!scores) return NAN;
    struct graph g;
    graph_init(&g, (size_t)64 << 20);
    model_predict(m, &g, d, rows, len < 1024 ? len : 1024, 1024, scores);   /* warm-up */
    double best = INFINITY;
    for (int pass = 0; pass < 3; pass++) {
        double t0 = now_seconds();
        model_predict(m, &g, d, rows, len, 1024, scores);
        double t = now_seconds() - t0;
        if (t < best) best = t;
    }
    graph_free(&g);
    free(scores);
    return 1e3 * best / (nb ? nb : 1);
}

/* train_run's hook: the serving model is the collapsed inference form (paper 3.2.4). */
static int child_on_trained(void *ctx, struct model *m, const struct train_result *r, char *err, size_t errlen)
{
    struct child_ctx *c = ctx;
    const struct run_data *rd = c->rc->data;
    struct model to;
    struct model_opts to_mo;
    if (ckpt_collapse(&to, &to_mo, m, &c->rc->mo, &rd->d, NULL, err, errlen) < 0) return -1;
    c->h->latency_ms = run_latency_ms(&to, &rd->d, rd->s.test, rd->s.n_test);
    snprintf(c->h->serving_form, sizeof c->h->serving_form, "%s", to_mo.m.apg.variant);
    c->h->serving_param_bytes = (int64_t)params_bytes(&to.ps);
    model_free(&to);
    (void)r;
    return 0;
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0) return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

_Noreturn void run_child_main(int fd, const struct run_cfg *rc, int threads)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);   /* die with the runner: it alone can commit the result */
    if (getppid() == 1) _exit(3);
    static struct child_head h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, CHILD_MAGIC, sizeof h.magic);
    const struct run_data *rd = rc->data;
    struct child_ctx c = { rc, &h, NULL, 0, rc->t.epochs };
    c.ep = calloc((size_t)c.cap, sizeof *c.ep);
    float *scores = calloc((size_t)rd->s.n_test, sizeof *scores);
    struct train_cfg t = rc->t;
    t.threads = threads;
    t.progress = 0;
    t.verbose = 0;
    t.on_epoch = child_on_epoch;
    t.on_epoch_ctx = &c;
    t.on_trained = child_on_trained;
    t.on_trained_ctx = &c;
    t.test_scores = scores;
    if (!c.ep || !scores) {
        h.rc = -1;
        snprintf(h.err, sizeof h.err, "out of memory");
    } else {
        h.rc = train_run(&t, &rd->d, &rd->s, &h.tr, h.err, sizeof h.err);
    }
    h.n_epochs = c.n_ep;
    h.n_test = h.rc == 0 ? rd->s.n_test : 0;
    int bad = write_all(fd, &h, sizeof h) ||
              write_all(fd, c.ep, sizeof *c.ep * (size_t)c.n_ep) ||
              (h.n_test && write_all(fd, scores, sizeof *scores * (size_t)h.n_test));
    close(fd);
    _exit(bad ? 4 : 0);
}

int child_result_parse(struct child_result *cr, const char *buf, size_t len, int64_t n_test)
{
    memset(cr, 0, sizeof *cr);
    if (len < sizeof cr->head) return -1;
    memcpy(&cr->head, buf, sizeof cr->head);
    const struct child_head *h = &cr->head;
    if (memcmp(h->magic, CHILD_MAGIC, sizeof h->magic) != 0 || h->n_epochs < 0 || h->n_epochs > 1000000)
        return -1;
    if (h->rc == 0 && h->n_test != n_test) return -1;
    cr->head.err[sizeof cr->head.err - 1] = 0;
    cr->head.serving_form[sizeof cr->head.serving_form - 1] = 0;
    size_t need = sizeof *h + sizeof(struct run_epoch) * (size_t)h->n_epochs + sizeof(float) * (size_t)h->n_test;
    if (len != need) return -1;
    /* buf comes from malloc, aligned for any type; the parts follow the head at offsets
     * that are multiples of 8 (the head and run_epoch sizes are) */
    cr->epochs = (const struct run_epoch *)(const void *)(buf + sizeof *h);
    cr->scores = (const float *)(const void *)(buf + sizeof *h + sizeof(struct run_epoch) * (size_t)h->n_epochs);
    return 0;
}
