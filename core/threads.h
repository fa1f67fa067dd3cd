/* Thread count of the ops (--threads): a small task pool that splits the GEMMs
 * (BLIS itself runs single-threaded), and the BLIS kernel choice. */
#ifndef APG_THREADS_H
#define APG_THREADS_H
/* Picks the BLIS kernel set before BLIS initialises: Debian's BLIS 0.9 does not know
 * recent AVX-512 CPUs (e.g. AMD family 1Ah) and falls back to slow generic kernels,
 * so on any CPU with AVX-512F it selects the SKX kernels unless BLIS_ARCH_TYPE is
 * already set. Idempotent; call before the first BLIS call. */
void apg_blis_setup(void);
const char *apg_blis_arch(void);   /* the kernel set BLIS uses, e.g. "skx" */
void apg_set_threads(int n);
int  apg_threads(void);
/* The cores online (1..1024), and n clamped to 1..apg_cores() (--threads is capped
 * there: more threads than cores only oversubscribe them). */
int  apg_cores(void);
int  apg_threads_cap(int n);
/* Runs fn(ctx, i) for every i < n on the calling thread and the pool's workers
 * (apg_threads() - 1 of them, started by apg_set_threads), each task taken by whoever
 * is free next; returns when all n are done. A worker that the OS has descheduled
 * (a busy machine) delays only a task it has taken: the others take the rest, and
 * idle workers spin briefly, then yield, then sleep. Not reentrant: a task must not
 * call apg_parallel (it then runs its tasks serially on the calling thread). */
void apg_parallel(int n, void (*fn)(void *ctx, int i), void *ctx);
/* Waits, inside a task, until *flag >= target (acquire): another task of the same
 * apg_parallel call, already taken by a running thread, raises it. Spins, then
 * yields (the thread that will raise it may need this core). */
void apg_wait_at_least(const _Atomic int *flag, int target);
/* The threads an apg_parallel call made here would use: 1 inside a task (or with one
 * thread), else apg_threads(). For ops whose parallel form does extra work. */
int  apg_parallel_width(void);
/* The calling thread's place in the pool: 0 for a thread that is not one of its
 * workers (the caller of apg_parallel), 1 .. APG_POOL_MAX for worker i - 1. Lets a
 * caller size per-thread buffers for every thread of a call before the tasks run. */
#define APG_POOL_MAX 64
int  apg_thread_index(void);
#endif
