/* Wall time of a training step by part, for `apg train --profile`: every op's forward
 * and backward (graph_run, graph_backward), the zeroing of the backward's gradient
 * buffers, Adam and batch building. Off by default (one branch per op); on, each part
 * costs two clock reads. Times from several threads (micro-batches) add up. */
#ifndef APG_PROF_H
#define APG_PROF_H

#include "op.h"
#include <stdint.h>
#include <stdio.h>

/* PROF_JOIN: the calling thread's waits at the end of apg_parallel for tasks that other
 * threads hold (time inside the ops' own, reported apart). */
/* PROF_DIST: a data-parallel step's gradient exchange between MPI ranks (with the wait
 * for the slowest rank). */
enum { PROF_ZERO = OP_COUNT, PROF_ADAM, PROF_BATCH, PROF_DIST, PROF_JOIN, PROF_STEP, PROF_SLOTS };

extern int prof_on;

uint64_t prof_now(void);                 /* monotonic nanoseconds */
/* Adds ns to slot's forward (backward 0) or backward time, and one call. */
void prof_add(int slot, int backward, uint64_t ns);
void prof_reset(void);
/* The table: per step, each part's calls, forward and backward milliseconds and share
 * of the step (PROF_STEP's time), largest first, what no part accounts for, and the
 * waits at joins. */
void prof_report(FILE *f, long steps);

#endif
