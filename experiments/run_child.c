/* A runner child: trains one run, measures its serving model, sends the result to the
 * parent through a pipe and exits (experiments/run_child.h). */
#define _GNU_SOURCE
#include "run_child.h"
#include "arena.h"
#include "checkpoint.h"
#include "progress.h"
#include <errno.h>
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
    int32_t spec_hdr[4 * CHILD_SPEC_MAX];
    float  *spec_data;
};

int run_specific_params(const struct model *m, const char *condition, const struct dataset *d,
                        const struct split *s, char field[48], int32_t *hdr, float **data, int64_t *n_floats)
{
    *data = NULL;
    *n_floats = 0;
    field[0] = 0;
    if (!condition || strncmp(condition, "group:", 6) != 0) return 0;
    int fi = -1;
    for (int f = 0; f < d->n_fields; f++)
        if (strcmp(d->fields[f].name, condition + 6) == 0) fi = f;
    if (fi < 0 || fi >= m->n_fields) return 0;
    const struct field *fl = &d->fields[fi];
    snprintf(field, 48, "%s", fl->name);
    /* the most frequent values in the training rows */
    int64_t *cnt = calloc((size_t)fl->card, sizeof *cnt);
    if (!cnt) return -1;
    for (int i = 0; i < s->n_train; i++) {
        int r = s->train[i];
        if (!fl->multi) cnt[fl->ids[r]]++;
        else
            for (int64_t k = fl->offs[r]; k < fl->offs[r + 1]; k++) cnt[fl->mids[k]]++;
    }
    int top[CHILD_SPEC_VALUES], n_top = 0;
    for (int v = 1; v < fl->card; v++) {        /* 0: OOV */
        if (!cnt[v]) continue;
        int j = n_top < CHILD_SPEC_VALUES ? n_top++ : CHILD_SPEC_VALUES;
        if (j == CHILD_SPEC_VALUES) {
            if (cnt[v] <= cnt[top[j - 1]]) continue;
            j--;
        }
        for (; j > 0 && cnt[top[j - 1]] < cnt[v]; j--) top[j] = top[j - 1];
        top[j] = v;
    }
    free(cnt);
    int E = m->emb->shape[1], n = 0, width = 0;
    int64_t cap = 0, used = 0;
    float *out = NULL;
    for (int li = 0; li < m->n_dense; li++) {
        char nm[96];
        const struct tensor *w[8], *b[8];
        int nl = 0;
        for (; nl < 8; nl++) {
            snprintf(nm, sizeof nm, "%s.G.%d.w", m->dense[li]->name, nl);
            w[nl] = params_find(&m->ps, nm);
            snprintf(nm, sizeof nm, "%s.G.%d.b", m->dense[li]->name, nl);
            b[nl] = params_find(&m->ps, nm);
            if (!w[nl] || !b[nl]) break;
        }
        if (!nl || w[0]->shape[1] != E) continue;  /* not a group-wise adaptive layer */
        for (int l = 0; l < nl; l++)
            if (w[l]->shape[0] > width) width = w[l]->shape[0];
        int gen = w[nl - 1]->shape[0], K = m->cfg.apg.K;
        int rows = K > 0 && gen == K * K ? K : 1, cols = gen / rows;
        for (int t = 0; t < n_top && n < CHILD_SPEC_MAX; t++) {
            if (used + gen > cap) {
                cap = 2 * (used + gen);
                float *no = realloc(out, sizeof *out * (size_t)cap);
                if (!no) {
                    free(out);
                    return -1;
                }
                out = no;
            }
            float *h = malloc(sizeof *h * (size_t)(width > E ? width : E)), *h2 = malloc(sizeof *h2 * (size_t)width);
            if (!h || !h2) {
                free(h);
                free(h2);
                free(out);
                return -1;
            }
            memcpy(h, m->emb->data + (size_t)(m->base[fi] + top[t]) * (size_t)E, sizeof *h * (size_t)E);
            int in = E;
            for (int l = 0; l < nl; l++) {
                int o = w[l]->shape[0];
                for (int r = 0; r < o; r++) {
                    double acc = b[l]->data[r];
                    for (int c = 0; c < in; c++) acc += (double)w[l]->data[(size_t)r * (size_t)in + c] * h[c];
                    h2[r] = l < nl - 1 && acc < 0 ? 0.0f : (float)acc;
                }
                memcpy(h, h2, sizeof *h * (size_t)o);
                in = o;
            }
            memcpy(out + used, h, sizeof *out * (size_t)gen);
            free(h);
            free(h2);
            used += gen;
            int32_t *rec = hdr + 4 * n++;
            rec[0] = top[t];
            rec[1] = li;
            rec[2] = rows;
            rec[3] = cols;
        }
    }
    *data = out;
    *n_floats = used;
    return n;
}

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
    int ns = run_specific_params(m, c->rc->mo.m.apg.condition, &rd->d, &rd->s, c->h->spec_field, c->spec_hdr,
                                 &c->spec_data, &c->h->spec_floats);
    if (ns < 0) {
        snprintf(err, errlen, "out of memory recording the generated parameters");
        return -1;
    }
    c->h->n_spec = ns;
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
    prctl(PR_SET_NAME, (unsigned long)RUN_CHILD_COMM);
    if (getppid() == 1) _exit(3);
    static struct child_head h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, CHILD_MAGIC, sizeof h.magic);
    const struct run_data *rd = rc->data;
    static struct child_ctx c;
    c = (struct child_ctx){ .rc = rc, .h = &h, .cap = rc->t.epochs };
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
    if (h.rc != 0) h.n_spec = 0, h.spec_floats = 0;
    int bad = write_all(fd, &h, sizeof h) ||
              write_all(fd, c.ep, sizeof *c.ep * (size_t)c.n_ep) ||
              (h.n_test && write_all(fd, scores, sizeof *scores * (size_t)h.n_test)) ||
              (h.n_spec && (write_all(fd, c.spec_hdr, sizeof(int32_t) * 4 * (size_t)h.n_spec) ||
                            write_all(fd, c.spec_data, sizeof(float) * (size_t)h.spec_floats)));
    close(fd);
    _exit(bad ? 4 : 0);
}

int run_child_spawn(const struct run_cfg *rc, int threads, const int *close_fds, int n_close, int *pid, int *fd,
                    char *err, size_t errlen)
{
    int fds[2];
    if (pipe(fds)) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t p = fork();
    if (p < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (p == 0) {
        close(fds[0]);
        for (int k = 0; k < n_close; k++) close(close_fds[k]);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        run_child_main(fds[1], rc, threads);
    }
    close(fds[1]);
    *pid = (int)p;
    *fd = fds[0];
    return 0;
}

int child_pipe_read(int fd, char **buf, size_t *len, size_t *cap, int *eof)
{
    if (buf_grow((void **)buf, cap, *len + 65536, 1)) return -1;
    ssize_t r = read(fd, *buf + *len, *cap - *len);
    if (r > 0) *len += (size_t)r;
    else if (r == 0 || (errno != EINTR && errno != EAGAIN)) *eof = 1;
    return 0;
}

char *child_failure_message(const char *why, size_t *len)
{
    struct child_head *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    memcpy(h->magic, CHILD_MAGIC, sizeof h->magic);
    h->rc = -1;
    snprintf(h->err, sizeof h->err, "%s", why);
    *len = sizeof *h;
    return (char *)h;
}

int child_result_parse(struct child_result *cr, const char *buf, size_t len, int64_t n_test)
{
    memset(cr, 0, sizeof *cr);
    if (len < sizeof cr->head) return -1;
    memcpy(&cr->head, buf, sizeof cr->head);
    const struct child_head *h = &cr->head;
    if (memcmp(h->magic, CHILD_MAGIC, sizeof h->magic) != 0 || h->n_epochs < 0 || h->n_epochs > 1000000 ||
        h->n_spec < 0 || h->n_spec > CHILD_SPEC_MAX || h->spec_floats < 0 || h->spec_floats > ((int64_t)1 << 28))
        return -1;
    cr->head.spec_field[sizeof cr->head.spec_field - 1] = 0;
    if (h->rc == 0 && h->n_test != n_test) return -1;
    cr->head.err[sizeof cr->head.err - 1] = 0;
    cr->head.serving_form[sizeof cr->head.serving_form - 1] = 0;
    size_t need = sizeof *h + sizeof(struct run_epoch) * (size_t)h->n_epochs + sizeof(float) * (size_t)h->n_test +
                  sizeof(int32_t) * 4 * (size_t)h->n_spec + sizeof(float) * (size_t)h->spec_floats;
    if (len != need) return -1;
    /* buf comes from malloc, aligned for any type; the parts follow the head at offsets
     * that are multiples of 8 (the head and run_epoch sizes are) */
    cr->epochs = (const struct run_epoch *)(const void *)(buf + sizeof *h);
    cr->scores = (const float *)(const void *)(buf + sizeof *h + sizeof(struct run_epoch) * (size_t)h->n_epochs);
    cr->spec_hdr = (const int32_t *)(const void *)(cr->scores + h->n_test);
    cr->spec_data = (const float *)(const void *)(cr->spec_hdr + 4 * h->n_spec);
    /* every record's floats add up to spec_floats */
    int64_t sum = 0;
    for (int i = 0; i < h->n_spec; i++) {
        const int32_t *r = cr->spec_hdr + 4 * i;
        if (r[2] < 1 || r[3] < 1) return -1;
        sum += (int64_t)r[2] * r[3];
    }
    return sum == h->spec_floats ? 0 : -1;
}
