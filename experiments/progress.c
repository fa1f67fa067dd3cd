#include "progress.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void progress_start(struct progress *p, int enabled, const char *label, long total)
{
    memset(p, 0, sizeof *p);
    p->enabled = enabled;
    p->total = total > 0 ? total : 1;
    p->t0 = now_seconds();
    snprintf(p->label, sizeof p->label, "%s", label);
}

void progress_update(struct progress *p, long done, double loss)
{
    p->done = done;
    if (!p->enabled) return;
    double t = now_seconds();
    if (t - p->last_draw < 0.1 && done < p->total) return;
    p->last_draw = t;
    int width = 30, fill = (int)((double)width * (double)done / (double)p->total);
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '=' : ' ';
    bar[width] = '\0';
    double el = t - p->t0, rate = el > 0 ? (double)done / el : 0;
    double eta = rate > 0 ? (double)(p->total - done) / rate : 0;
    fprintf(stderr, "\r%s [%s] %3d%% loss %.4f  %.0f/s  eta %.0fs ", p->label, bar,
            (int)(100.0 * (double)done / (double)p->total), loss, rate, eta);
    fflush(stderr);
}

void progress_end(struct progress *p)
{
    if (p->enabled) fprintf(stderr, "\r%*s\r", 100, "");
}
