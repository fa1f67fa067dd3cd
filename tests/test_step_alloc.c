/* No heap allocation in a training step after the first ones: malloc, calloc, realloc
 * and the aligned allocators are counted (this test binary interposes them over
 * glibc's) from the end of step 2 to the end of the epoch, for WDL base and with APG
 * v3 / v6, on 1 and 2 threads, and on 2 beside a busy process; and for the full and
 * materialised forms v1, v2, v5 (hidden 64-32: their steps cost tens of times base's)
 * on 1 and 2 threads. Calls made by libgomp
 * itself are counted apart and only reported: Debian's OpenMP build of BLIS opens an OpenMP region in every GEMM call
 * even on one thread, and libgomp allocates that region's team. Under
 * AddressSanitizer, which owns the allocator, the heap is not counted and the arenas'
 * block count stands in for it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "syn_testutil.h"
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include "arena.h"
#include "dataset.h"
#include <stdlib.h>
#include "train.h"
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STEP_ALLOC_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(STEP_ALLOC_ASAN) || !defined(__GLIBC__)
#define STEP_ALLOC_COUNTED 0
#else
#define STEP_ALLOC_COUNTED 1
#endif

static _Atomic int counting;
static _Atomic long n_alloc, n_gomp;

#if STEP_ALLOC_COUNTED
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void *__libc_memalign(size_t, size_t);
void __libc_free(void *);

/* caller: the return address of the allocation call. */
static void counted(void *caller)
{
    if (!atomic_load(&counting)) return;
    Dl_info info;
    if (dladdr(caller, &info) && info.dli_fname && strstr(info.dli_fname, "libgomp"))
        atomic_fetch_add(&n_gomp, 1);
    else
        atomic_fetch_add(&n_alloc, 1);
}
#define COUNTED() counted(__builtin_return_address(0))
void *malloc(size_t n) { COUNTED(); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { COUNTED(); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { COUNTED(); return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
void *aligned_alloc(size_t al, size_t n) { COUNTED(); return __libc_memalign(al, n); }
void *memalign(size_t al, size_t n) { COUNTED(); return __libc_memalign(al, n); }
int posix_memalign(void **p, size_t al, size_t n)
{
    COUNTED();
    *p = __libc_memalign(al, n);
    return *p ? 0 : 12;   /* ENOMEM */
}
#endif

SYN_FIXTURE(30000)

/* Counting runs from the end of step 2 to the end of the last step of the epoch. */
struct step_watch { long last, steps, blocks_at_2, blocks_at_last; };

static void on_step(void *ctx, long step)
{
    struct step_watch *w = ctx;
    w->steps = step;
    if (step == 2) {
        w->blocks_at_2 = arena_blocks_made();
        atomic_store(&counting, 1);
    }
    if (step == w->last) {
        atomic_store(&counting, 0);
        w->blocks_at_last = arena_blocks_made();
    }
}

static int small_mlp;   /* hidden layers 64-32 instead of the default */

static void assert_no_step_alloc(const char *variant, int threads)
{
    struct train_cfg c;
    struct train_result r;
    char err[256];
    struct step_watch w = { .last = (split.n_train + 1023) / 1024 };
    train_cfg_default(&c);
    c.model.apg.variant = variant;
    if (small_mlp) {
        c.model.n_hidden = 2;
        c.model.hidden[0] = 64;
        c.model.hidden[1] = 32;
    }
    c.threads = threads;
    c.on_step = on_step;
    c.on_step_ctx = &w;
    atomic_store(&n_alloc, 0);
    atomic_store(&n_gomp, 0);
    atomic_store(&counting, 0);
    int rc = train_run(&c, &data, &split, &r, err, sizeof err);
    if (rc) fprintf(stderr, "train: %s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(w.steps, w.last);
    assert_true(w.last >= 20);
    printf("   apg %s, %d thread(s), steps 3..%ld: %ld heap allocations, %ld new arena blocks "
           "(libgomp, inside BLIS: %ld)%s\n", variant, threads, w.last, (long)atomic_load(&n_alloc),
           w.blocks_at_last - w.blocks_at_2, (long)atomic_load(&n_gomp),
           STEP_ALLOC_COUNTED ? "" : " (heap not counted under the sanitizer)");
    assert_int_equal(w.blocks_at_last - w.blocks_at_2, 0);
    assert_int_equal(atomic_load(&n_alloc), 0);
}

/* 2 threads beside a process that keeps one core busy (before the idle 2-thread run,
 * which would fill every pool first): the OS then deschedules
 * the pool's threads at random, so which thread takes which task changes from step to
 * step; a buffer grown by the first thread to take a kind of task (BLIS's per-thread
 * pools, a thread's own packing panels) then allocates in a late step. */
static void assert_no_step_alloc_busy(const char *variant)
{
    fflush(stdout);
    pid_t busy = fork();
    assert_true(busy >= 0);
    if (busy == 0) {                                 /* what `yes > /dev/null` does */
        alarm(60);                                   /* never outlives a stuck test */
        static char buf[8192];
        memset(buf, 'y', sizeof buf);
        FILE *f = fopen("/dev/null", "w");
        for (;;)
            if (!f || fwrite(buf, 1, sizeof buf, f) != sizeof buf) {}
    }
    struct timespec settle = { 0, 300 * 1000 * 1000 };   /* the scheduler spreads the load first */
    nanosleep(&settle, NULL);
    assert_no_step_alloc(variant, 2);
    kill(busy, SIGKILL);
    waitpid(busy, NULL, 0);
}

/* 1 thread, 2 beside a busy process, 2 idle. */
static void assert_no_step_alloc_all(const char *variant)
{
    assert_no_step_alloc(variant, 1);
    assert_no_step_alloc_busy(variant);
    assert_no_step_alloc(variant, 2);
}

static void test_base_steps_do_not_allocate(void **state) { (void)state; assert_no_step_alloc_all("none"); }
static void test_v3_steps_do_not_allocate(void **state) { (void)state; assert_no_step_alloc_all("v3"); }
static void test_v6_steps_do_not_allocate(void **state) { (void)state; assert_no_step_alloc_all("v6"); }
/* v1, v5 (genmv's blocks of dgen and their GEMMs) and v2 (lrmv's per-row T_r) */
static void test_full_forms_steps_do_not_allocate(void **state)
{
    (void)state;
    static const char *const forms[] = { "v1", "v2", "v5" };
    small_mlp = 1;
    for (int f = 0; f < 3; f++)
        for (int t = 1; t <= 2; t++) assert_no_step_alloc(forms[f], t);
    small_mlp = 0;
}

/* The counter itself: an allocation while counting is seen (where it is counted). */
static void test_counter_sees_malloc(void **state)
{
    (void)state;
    long b0 = arena_blocks_made();
    struct arena a;
    arena_init(&a, 4096);
    assert_int_equal(arena_blocks_made(), b0 + 1);
    atomic_store(&n_alloc, 0);
    atomic_store(&counting, 1);
    void *volatile p = malloc(100);
    atomic_store(&counting, 0);
    free(p);
    arena_free(&a);
    assert_int_equal(atomic_load(&n_alloc), STEP_ALLOC_COUNTED ? 1 : 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_sees_malloc),
        cmocka_unit_test(test_base_steps_do_not_allocate),
        cmocka_unit_test(test_v3_steps_do_not_allocate),
        cmocka_unit_test(test_v6_steps_do_not_allocate),
        cmocka_unit_test(test_full_forms_steps_do_not_allocate),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
