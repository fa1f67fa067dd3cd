#include "threads.h"
#include "prof.h"
#include <blis.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static int n_threads = 1;

/* ---- the task pool ----
 * One job at a time: job_fn/job_ctx/job_n, and claim = (generation << 32) | next index.
 * A task is claimed by a CAS that keeps the generation. Publishing a job takes two
 * generations: an odd one with no task left closes the previous job (no late CAS on
 * it can succeed once the job fields change), then the fields are written and the even
 * one opens the job at index 0. Workers act on even generations only. The caller
 * publishes a job only after the previous one's tasks are all done. */
#define POOL_MAX   APG_POOL_MAX
#define POOL_SPIN_NS 20000   /* spin this long before yielding (pool_spin_calibrate) */
#define POOL_YIELD 50      /* sched_yield()s before sleeping */

static void (*job_fn)(void *, int);
static void *job_ctx;
static _Atomic int job_n;
static _Atomic uint64_t claim;
static _Atomic int n_done;
static _Atomic int sleepers;
static _Atomic int pool_stop;
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cv = PTHREAD_COND_INITIALIZER;
static pthread_t workers[POOL_MAX];
static int n_workers;
static _Thread_local int in_task, thread_index;
static long pool_spin = 1000;   /* polls in POOL_SPIN_NS: pool_spin_calibrate */

static inline void pool_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* A pause costs from a few cycles to over a hundred, by CPU (about 25 ns on the AMD
 * EPYC VMs here): the polls of a spin are counted from a timing of 4096 pauses, so that
 * a waiting thread spins about POOL_SPIN_NS on any CPU before it yields. A longer spin
 * costs throughput beside a busy process, whose thread shares the core with the spin:
 * 2 threads beside one `yes` went from 0.84x (M = 1) and 0.86x (M = 2) of 1 thread
 * with 0.5 ms of spin to 0.98x / 0.90x with 50 us (README, Benchmarks); idle, 20 us to
 * 0.5 ms did not differ. The count changes timing only, never results. */
static void pool_spin_calibrate(void)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < 4096; i++) pool_pause();
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / 4096.0;
    double polls = ns > 0.1 ? POOL_SPIN_NS / ns : 100000.0;
    pool_spin = polls < 100 ? 100 : polls > 100000 ? 100000 : (long)polls;
}

/* Claims and runs tasks of generation gen until none is left. */
static void pool_work(uint32_t gen)
{
    for (;;) {
        uint64_t v = atomic_load(&claim);
        if ((uint32_t)(v >> 32) != gen) return;
        int n = atomic_load(&job_n);
        void (*fn)(void *, int) = job_fn;
        void *ctx = job_ctx;
        uint32_t i = (uint32_t)v;
        if (i >= (uint32_t)n) return;
        if (!atomic_compare_exchange_weak(&claim, &v, v + 1)) continue;
        in_task = 1;
        fn(ctx, (int)i);
        in_task = 0;
        atomic_fetch_add(&n_done, 1);
    }
}

static void *pool_worker(void *arg)
{
    thread_index = (int)(intptr_t)arg + 1;
    uint32_t seen = (uint32_t)(atomic_load(&claim) >> 32);
    while (!atomic_load(&pool_stop)) {
        uint32_t gen = (uint32_t)(atomic_load(&claim) >> 32);
        if (gen != seen && !(gen & 1)) {
            seen = gen;
            pool_work(gen);
            continue;
        }
        int waited = 0;
        for (long s = 0; s < pool_spin && !waited; s++) {
            pool_pause();
            waited = (uint32_t)(atomic_load(&claim) >> 32) != seen || atomic_load(&pool_stop);
        }
        for (int y = 0; y < POOL_YIELD && !waited; y++) {
            sched_yield();
            waited = (uint32_t)(atomic_load(&claim) >> 32) != seen || atomic_load(&pool_stop);
        }
        if (waited) continue;
        pthread_mutex_lock(&pool_mu);
        atomic_fetch_add(&sleepers, 1);
        while ((uint32_t)(atomic_load(&claim) >> 32) == seen && !atomic_load(&pool_stop))
            pthread_cond_wait(&pool_cv, &pool_mu);
        atomic_fetch_sub(&sleepers, 1);
        pthread_mutex_unlock(&pool_mu);
    }
    return NULL;
}

/* A forked child has none of the parent's workers: it starts with an empty pool. */
static void pool_after_fork(void)
{
    n_workers = 0;
    atomic_store(&sleepers, 0);
    atomic_store(&pool_stop, 0);
    pthread_mutex_init(&pool_mu, NULL);
    pthread_cond_init(&pool_cv, NULL);
}

static void pool_resize(int n)
{
    static int atfork;
    if (!atfork) {
        atfork = 1;
        pthread_atfork(NULL, NULL, pool_after_fork);
        pool_spin_calibrate();
    }
    if (n_workers) {
        pthread_mutex_lock(&pool_mu);
        atomic_store(&pool_stop, 1);
        pthread_cond_broadcast(&pool_cv);
        pthread_mutex_unlock(&pool_mu);
        for (int i = 0; i < n_workers; i++) pthread_join(workers[i], NULL);
        n_workers = 0;
        atomic_store(&pool_stop, 0);
    }
    for (int i = 0; i < n - 1 && i < POOL_MAX; i++) {
        if (pthread_create(&workers[i], NULL, pool_worker, (void *)(intptr_t)i)) break;   /* fewer workers */
        n_workers++;
    }
}

void apg_wait_at_least(const _Atomic int *flag, int target)
{
    for (long s = 0; atomic_load_explicit(flag, memory_order_acquire) < target; s++) {
        if (s < pool_spin) pool_pause();
        else sched_yield();
    }
}

void apg_parallel(int n, void (*fn)(void *ctx, int i), void *ctx)
{
    if (n <= 0) return;
    if (n_workers == 0 || n == 1 || in_task) {
        for (int i = 0; i < n; i++) fn(ctx, i);
        return;
    }
    uint32_t gen = (uint32_t)(atomic_load(&claim) >> 32) + 2;   /* even */
    atomic_store(&claim, ((uint64_t)(gen - 1) << 32) | UINT32_MAX);   /* close the last job */
    job_fn = fn;
    job_ctx = ctx;
    atomic_store(&job_n, n);
    atomic_store(&n_done, 0);
    atomic_store(&claim, (uint64_t)gen << 32);
    if (atomic_load(&sleepers) > 0) {
        pthread_mutex_lock(&pool_mu);
        pthread_cond_broadcast(&pool_cv);
        pthread_mutex_unlock(&pool_mu);
    }
    in_task = 1;
    pool_work(gen);
    in_task = 0;
    if (atomic_load(&n_done) == n) return;
    uint64_t t0 = prof_on ? prof_now() : 0;
    apg_wait_at_least(&n_done, n);   /* the worker holding the last task may need this core */
    if (prof_on) prof_add(PROF_JOIN, 0, prof_now() - t0);
}

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
    /* BLIS checks a requested arch against its kernel registry, which only bli_init
     * fills: a query before any other BLIS call would abort */
    bli_init();
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
    /* The elementwise loops run on one thread: an OpenMP team waits at every barrier
     * for all its threads, so one thread descheduled by a busy neighbour stalls each
     * op; the GEMMs (most of a step) go through apg_parallel instead. */
    omp_set_num_threads(1);
#endif
    bli_thread_set_num_threads(1);   /* GEMMs are split over the threads by the ops */
    if (n != n_workers + 1) pool_resize(n);
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

int apg_thread_index(void) { return thread_index; }

int apg_parallel_width(void)
{
    return in_task ? 1 : n_threads;
}
