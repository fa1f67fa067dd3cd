#include "threads.h"
#include <blis.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static int n_threads = 1;

void apg_blis_setup(void)
{
    static int done;
    if (done) return;
    done = 1;
#if defined(__x86_64__) && defined(__GNUC__)
    if (!getenv("BLIS_ARCH_TYPE") && __builtin_cpu_supports("avx512f")) {
        char v[16];
        snprintf(v, sizeof v, "%d", (int)BLIS_ARCH_SKX);
        setenv("BLIS_ARCH_TYPE", v, 0);
    }
#endif
}

const char *apg_blis_arch(void)
{
    apg_blis_setup();
    return bli_arch_string(bli_arch_query_id());
}

void apg_set_threads(int n)
{
    apg_blis_setup();
    if (n < 1) n = 1;
    n_threads = n;
#ifdef _OPENMP
    omp_set_num_threads(n);
#endif
    bli_thread_set_num_threads(n);
}

int apg_threads(void) { return n_threads; }

int apg_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
}

int apg_threads_cap(int n)
{
    int cores = apg_cores();
    return n < 1 ? 1 : n > cores ? cores : n;
}
