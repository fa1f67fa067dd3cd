/* Bump allocator for the per-minibatch step arena.
 *
 * A step allocates every activation, gradient and scratch buffer from one arena that
 * is reset at the start of the next step. The arena grows by chaining extra blocks
 * while a step runs; arena_reset() then merges them into one block of the high-water
 * size, so after the first step of a given batch shape no allocation reaches malloc. */
#ifndef APG_ARENA_H
#define APG_ARENA_H
#include <stddef.h>

/* Out of memory in library code: prints "apg: out of memory (what, N bytes)" and exits with
 * status 1 (a run failure, not a crash: no core dump, no SIGABRT). */
_Noreturn void apg_oom(const char *what, size_t bytes);

/* A heap buffer that only grows: *p gets room for need elements of elem bytes (its
 * capacity *cap doubling from 1024 elements), keeping its contents. 0, or -1 on out of
 * memory with *p and *cap unchanged. */
int buf_grow(void **p, size_t *cap, size_t need, size_t elem);

struct arena_block;

struct arena {
    struct arena_block *head;   /* current block (newest first) */
    size_t used_total;          /* bytes handed out since the last reset */
    size_t high_water;          /* max used_total ever seen */
    size_t n_grow;              /* times a step had to chain a new block */
};

void  arena_init(struct arena *a, size_t initial_bytes);
void  arena_free(struct arena *a);
/* 64-byte aligned, uninitialised. Never returns NULL (aborts on out-of-memory). */
void *arena_alloc(struct arena *a, size_t bytes);
void *arena_calloc(struct arena *a, size_t bytes);
void  arena_reset(struct arena *a);
/* Blocks every arena of the process has taken from the heap so far (a step that
 * reaches malloc through an arena shows here). */
long  arena_blocks_made(void);

#endif
