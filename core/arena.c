#include "arena.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 64

struct arena_block {
    struct arena_block *next;
    size_t cap, used;
    unsigned char *mem;
};

_Noreturn void apg_oom(const char *what, size_t bytes)
{
    fprintf(stderr, "apg: out of memory (%s, %zu bytes)\n", what, bytes);
    fflush(stdout);
    exit(1);
}

int buf_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 1024;
    while (c < need) c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

static _Atomic long blocks_made;

long arena_blocks_made(void) { return blocks_made; }

static struct arena_block *block_new(size_t cap)
{
    blocks_made++;
    struct arena_block *b = malloc(sizeof *b);
    if (b) b->mem = aligned_alloc(ARENA_ALIGN, (cap + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN);
    if (!b || !b->mem) {
        apg_oom("an arena block", cap);
    }
    b->next = NULL;
    b->cap = cap;
    b->used = 0;
    return b;
}

void arena_init(struct arena *a, size_t initial_bytes)
{
    memset(a, 0, sizeof *a);
    a->head = block_new(initial_bytes < 4096 ? 4096 : initial_bytes);
}

void arena_free(struct arena *a)
{
    struct arena_block *b = a->head;
    while (b) {
        struct arena_block *n = b->next;
        free(b->mem);
        free(b);
        b = n;
    }
    a->head = NULL;
}

void *arena_alloc(struct arena *a, size_t bytes)
{
    size_t need = (bytes + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
    struct arena_block *b = a->head;
    if (b->used + need > b->cap) {
        size_t cap = b->cap * 2;
        if (cap < need) cap = need;
        struct arena_block *nb = block_new(cap);
        nb->next = b;
        a->head = b = nb;
        a->n_grow++;
    }
    void *p = b->mem + b->used;
    b->used += need;
    a->used_total += need;
    if (a->used_total > a->high_water) a->high_water = a->used_total;
    return p;
}

void *arena_calloc(struct arena *a, size_t bytes)
{
    void *p = arena_alloc(a, bytes);
    memset(p, 0, bytes);
    return p;
}

void arena_reset(struct arena *a)
{
    if (a->head->next) {   /* the step overflowed: replace the chain by one block */
        size_t cap = a->high_water + a->high_water / 4;
        arena_free(a);
        a->head = block_new(cap);
    }
    a->head->used = 0;
    a->used_total = 0;
}
