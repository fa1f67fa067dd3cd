/* A grid sharded over the ranks of an MPI job (`mpirun -np N ./apg reproduce ...`).
 * Rank 0 is the runner of experiments/runner.c, the only process that opens the
 * results DB: it keeps its own --jobs children and hands runs to the other ranks from
 * one queue as they ask. Every rank resolves the same runs from the same command line
 * (and loads the datasets itself); a worker rank checks a run's key and dataset checksum
 * against its own before training it, trains it in a child process as the runner does
 * (a crash or kill -9 of that child fails or kills the run alone), and sends the
 * child's result message back. Messages (tags):
 *   worker -> 0  GD_READY   struct gd_hello: one per free slot (--jobs of them at first)
 *   0 -> worker  GD_RUN     struct gd_run: train runs[run]
 *   worker -> 0  GD_RESULT  struct gd_result_head, then the child's message bytes
 *   0 -> worker  GD_STOP    no payload: every slot of the worker is free; leave */
#ifndef APG_GRID_DIST_H
#define APG_GRID_DIST_H
#include "env.h"
#include "runcfg.h"
#include <stddef.h>
#include <stdint.h>

enum { GD_READY = 1, GD_RUN = 2, GD_RESULT = 3, GD_STOP = 4 };

struct gd_hello { struct host_env env; int32_t jobs, threads; };
struct gd_run { int32_t run; char key[65]; char checksum[72]; };
struct gd_result_head { int32_t run, wstatus; int64_t len; };   /* 16 bytes: the message stays aligned */

/* One message that rank 0 received. */
struct gd_msg {
    int from, tag;
    struct gd_hello hello;          /* GD_READY */
    int run, wstatus;               /* GD_RESULT */
    char *buf;                      /* GD_RESULT: malloc'd, the child's message */
    size_t len;
};

/* Rank 0: the next message waiting from a worker, received; 1, 0 when none, -1 on an
 * MPI error or a malformed message (err). */
int gd_next(struct gd_msg *m, char *err, size_t errlen);
/* Rank 0: tells worker `to` to train runs[run] (key and dataset checksum to check). */
int gd_send_run(int to, int run, const struct run_cfg *rc);
int gd_send_stop(int to);

/* A worker rank's loop: asks rank 0 for runs (jobs at once), trains each in a child
 * with threads threads, sends the results, until GD_STOP or SIGINT/SIGTERM (its
 * children are killed; rank 0 marks their runs killed). runs[0..n) must be the list
 * rank 0 works from. 0, 1 when interrupted, -1 on an MPI error. */
int grid_worker(const struct run_cfg *runs, int n, int jobs, int threads);

#endif
