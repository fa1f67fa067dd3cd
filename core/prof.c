#include "prof.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

int prof_on;
static _Atomic uint64_t prof_ns[PROF_SLOTS][2];
static _Atomic uint64_t prof_calls[PROF_SLOTS][2];

uint64_t prof_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void prof_add(int slot, int backward, uint64_t ns)
{
    atomic_fetch_add_explicit(&prof_ns[slot][backward], ns, memory_order_relaxed);
    atomic_fetch_add_explicit(&prof_calls[slot][backward], 1, memory_order_relaxed);
}

void prof_reset(void)
{
    for (int s = 0; s < PROF_SLOTS; s++)
        for (int b = 0; b < 2; b++) { prof_ns[s][b] = 0; prof_calls[s][b] = 0; }
}

static const char *prof_name(int s)
{
    switch (s) {
    case PROF_ZERO: return "(grad zeroing)";
    case PROF_ADAM: return "(adam)";
    case PROF_BATCH: return "(batch build)";
    case PROF_DIST: return "(rank exchange)";
    default: return op_table[s].name;
    }
}

static int prof_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    uint64_t tx = prof_ns[x][0] + prof_ns[x][1], ty = prof_ns[y][0] + prof_ns[y][1];
    return tx < ty ? 1 : tx > ty ? -1 : x - y;
}

void prof_report(FILE *f, long steps)
{
    if (steps < 1) return;
    int order[PROF_STEP], n = 0;
    for (int s = 1; s < PROF_STEP; s++)
        if (s != PROF_JOIN && prof_calls[s][0] + prof_calls[s][1]) order[n++] = s;
    qsort(order, (size_t)n, sizeof *order, prof_cmp);
    double step_ms = (double)prof_ns[PROF_STEP][0] / 1e6 / (double)steps, parts = 0;
    fprintf(f, "profile: %ld training steps, %.3f ms per step (wall time; parts on other threads add up)\n",
            steps, step_ms);
    fprintf(f, "%-18s %10s %12s %12s %8s\n", "part", "calls/step", "fwd ms/step", "bwd ms/step", "share");
    for (int i = 0; i < n; i++) {
        int s = order[i];
        double fw = (double)prof_ns[s][0] / 1e6 / (double)steps, bw = (double)prof_ns[s][1] / 1e6 / (double)steps;
        double calls = (double)(prof_calls[s][0] > prof_calls[s][1] ? prof_calls[s][0] : prof_calls[s][1]) / (double)steps;
        parts += fw + bw;
        fprintf(f, "%-18s %10.1f %12.3f %12.3f %7.1f%%\n", prof_name(s), calls, fw, bw,
                step_ms > 0 ? 100.0 * (fw + bw) / step_ms : 0.0);
    }
    fprintf(f, "%-18s %10s %12s %12.3f %7.1f%%\n", "(rest of the step)", "", "", step_ms - parts,
            step_ms > 0 ? 100.0 * (step_ms - parts) / step_ms : 0.0);
    if (prof_calls[PROF_JOIN][0]) {
        double jw = (double)prof_ns[PROF_JOIN][0] / 1e6 / (double)steps;
        fprintf(f, "%-18s %10.1f %12.3f %12s %7.1f%%  (within the parts above: the calling thread waiting at the\n"
                   "%-18s %10s %12s %12s %8s   end of a parallel op for tasks other threads hold)\n",
                "(join waits)", (double)prof_calls[PROF_JOIN][0] / (double)steps, jw, "",
                step_ms > 0 ? 100.0 * jw / step_ms : 0.0, "", "", "", "", "");
    }
}
