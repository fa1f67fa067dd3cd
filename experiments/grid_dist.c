/* The sharded grid's messages and its worker ranks (experiments/grid_dist.h). */
#define _GNU_SOURCE
#include "grid_dist.h"
#include "dist.h"
#include "run_child.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int gd_next(struct gd_msg *m, char *err, size_t errlen)
{
    int from, tag;
    size_t len;
    memset(m, 0, sizeof *m);
    if (!dist_poll(&from, &tag, &len)) return 0;
    m->from = from;
    m->tag = tag;
    if (tag == GD_READY && len == sizeof m->hello) {
        if (dist_recv(from, tag, &m->hello, len)) goto mpi;
        m->hello.env.host[sizeof m->hello.env.host - 1] = 0;
        m->hello.env.cpu_model[sizeof m->hello.env.cpu_model - 1] = 0;
        return 1;
    }
    if (tag == GD_RESULT && len >= sizeof(struct gd_result_head)) {
        char *b = malloc(len);
        if (!b) {
            snprintf(err, errlen, "out of memory receiving a result of %zu bytes from rank %d", len, from);
            return -1;
        }
        if (dist_recv(from, tag, b, len)) {
            free(b);
            goto mpi;
        }
        struct gd_result_head h;
        memcpy(&h, b, sizeof h);
        if (h.len != (int64_t)(len - sizeof h)) {
            free(b);
            snprintf(err, errlen, "rank %d sent a result of %zu bytes that says %lld", from, len, (long long)h.len);
            return -1;
        }
        m->run = h.run;
        m->wstatus = h.wstatus;
        m->len = len - sizeof h;
        memmove(b, b + sizeof h, m->len);           /* malloc alignment for child_result_parse */
        m->buf = b;
        return 1;
    }
    snprintf(err, errlen, "rank %d sent a message with tag %d and %zu bytes, which the grid does not use", from, tag,
             len);
    return -1;
mpi:
    snprintf(err, errlen, "receiving from rank %d failed (MPI)", from);
    return -1;
}

int gd_send_run(int to, int run, const struct run_cfg *rc)
{
    struct gd_run r;
    memset(&r, 0, sizeof r);
    r.run = run;
    snprintf(r.key, sizeof r.key, "%s", rc->key);
    snprintf(r.checksum, sizeof r.checksum, "%s", rc->data->checksum);
    return dist_send(to, GD_RUN, &r, sizeof r);
}

int gd_send_stop(int to) { return dist_send(to, GD_STOP, "", 0); }

/* ---- worker ranks ---- */

static volatile sig_atomic_t worker_stop;
static void on_worker_stop(int sig) { worker_stop = sig; }

struct wslot { int pid, fd, run, eof; char *buf; size_t len, cap; };

static int wslot_read(struct wslot *w) { return child_pipe_read(w->fd, &w->buf, &w->len, &w->cap, &w->eof); }

/* Sends run's result (msg[0..len), the child's wait status) and asks for the next. */
static int send_result(int run, int wstatus, const char *msg, size_t len, const struct gd_hello *hello)
{
    size_t n = sizeof(struct gd_result_head) + len;
    char *b = malloc(n);
    if (!b) return -1;
    struct gd_result_head h = { run, wstatus, (int64_t)len };
    memcpy(b, &h, sizeof h);
    if (len) memcpy(b + sizeof h, msg, len);
    int rc = dist_send(0, GD_RESULT, b, n);
    free(b);
    return rc || dist_send(0, GD_READY, hello, sizeof *hello) ? -1 : 0;
}

/* Whether rank 0's run is this rank's runs[r.run]; why not into why. */
static int run_matches(const struct gd_run *r, const struct run_cfg *runs, int n, char *why, size_t wn)
{
    if (r->run < 0 || r->run >= n) {
        snprintf(why, wn, "rank %d: run %d is not in its list of %d runs (a different command line or apg version?)",
                 dist_rank(), r->run, n);
        return 0;
    }
    const struct run_cfg *rc = &runs[r->run];
    if (strncmp(rc->data->checksum, r->checksum, sizeof r->checksum) != 0) {
        snprintf(why, wn, "rank %d: the dataset %s here has checksum %.16s..., rank 0's %.16s...: the ranks read "
                 "different data (files or cache differ between machines)", dist_rank(), rc->data->d.name,
                 rc->data->checksum, r->checksum);
        return 0;
    }
    if (strncmp(rc->key, r->key, sizeof r->key) != 0) {
        snprintf(why, wn, "rank %d: run %d has key %.16s... here, %.16s... on rank 0 (a different command line or "
                 "apg version?)", dist_rank(), r->run, rc->key, r->key);
        return 0;
    }
    return 1;
}

int grid_worker(const struct run_cfg *runs, int n, int jobs, int threads)
{
    struct gd_hello hello;
    memset(&hello, 0, sizeof hello);
    host_env_read(&hello.env);
    hello.jobs = jobs;
    hello.threads = threads;
    struct wslot *sl = calloc((size_t)jobs, sizeof *sl);
    int *fds = calloc((size_t)jobs, sizeof *fds);
    if (!sl || !fds) {
        free(sl);
        free(fds);
        fprintf(stderr, "apg: rank %d: out of memory\n", dist_rank());
        return -1;
    }
    struct sigaction sa = { 0 }, old_int, old_term;
    sa.sa_handler = on_worker_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    worker_stop = 0;
    int rc = 0, stop = 0, active = 0;
    for (int j = 0; j < jobs && rc == 0; j++)
        if (dist_send(0, GD_READY, &hello, sizeof hello)) rc = -1;
    while (rc == 0 && !worker_stop && (!stop || active > 0)) {
        int from, tag;
        size_t len;
        while (rc == 0 && !stop && dist_poll(&from, &tag, &len)) {
            if (tag == GD_STOP) {
                dist_recv(from, tag, NULL, 0);
                stop = 1;
                break;
            }
            struct gd_run r;
            if (tag != GD_RUN || len != sizeof r || dist_recv(from, tag, &r, sizeof r)) {
                fprintf(stderr, "apg: rank %d: unexpected message (tag %d, %zu bytes) from rank %d\n", dist_rank(), tag,
                        len, from);
                rc = -1;
                break;
            }
            r.key[sizeof r.key - 1] = r.checksum[sizeof r.checksum - 1] = 0;
            char why[512], e[256];
            int j = 0;
            while (j < jobs && sl[j].pid) j++;
            if (j == jobs) snprintf(why, sizeof why, "rank %d: sent a run with every slot busy", dist_rank());
            if (j == jobs || !run_matches(&r, runs, n, why, sizeof why)) {
                size_t ml;
                char *msg = child_failure_message(why, &ml);
                if (!msg || send_result(r.run, 0, msg, ml, &hello)) rc = -1;
                free(msg);
                continue;
            }
            int k = 0;
            for (int q = 0; q < jobs; q++)
                if (sl[q].pid) fds[k++] = sl[q].fd;
            sl[j] = (struct wslot){ .run = r.run };
            if (run_child_spawn(&runs[r.run], threads, fds, k, &sl[j].pid, &sl[j].fd, e, sizeof e)) {
                snprintf(why, sizeof why, "rank %d could not start it: %s", dist_rank(), e);
                sl[j].pid = 0;
                size_t ml;
                char *msg = child_failure_message(why, &ml);
                if (!msg || send_result(r.run, 0, msg, ml, &hello)) rc = -1;
                free(msg);
                continue;
            }
            active++;
        }
        /* the children's messages; a finished child's result goes to rank 0 */
        struct pollfd pf[64];
        int map[64], np = 0;
        for (int j = 0; j < jobs && np < 64; j++)
            if (sl[j].pid && !sl[j].eof) {
                pf[np] = (struct pollfd){ .fd = sl[j].fd, .events = POLLIN };
                map[np++] = j;
            }
        int pr = poll(pf, (nfds_t)np, 10);
        for (int k = 0; pr > 0 && k < np; k++)
            if (pf[k].revents & (POLLIN | POLLHUP | POLLERR) && wslot_read(&sl[map[k]])) rc = -1;
        for (int j = 0; j < jobs && rc == 0; j++) {
            struct wslot *w = &sl[j];
            if (!w->pid || !w->eof) continue;
            int ws = 0;
            if (waitpid(w->pid, &ws, 0) < 0) ws = 0;
            close(w->fd);
            if (send_result(w->run, ws, w->buf, w->len, &hello)) rc = -1;
            free(w->buf);
            *w = (struct wslot){ 0 };
            active--;
        }
    }
    int interrupted = worker_stop != 0;
    for (int j = 0; j < jobs; j++) {           /* interrupted or failed: stop what runs */
        if (!sl[j].pid) continue;
        kill(sl[j].pid, SIGKILL);
        waitpid(sl[j].pid, NULL, 0);
        close(sl[j].fd);
        free(sl[j].buf);
    }
    free(sl);
    free(fds);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return rc < 0 ? -1 : interrupted ? 1 : 0;
}
