/* The processes of one MPI job (`mpirun -np N ./apg ...`): ranks 0 .. N-1, and the few
 * messages and collectives the sharded grid (experiments/grid_dist.c) and data-parallel
 * training use. MPI itself (Open MPI, Debian's libopenmpi-dev) is linked when it was
 * installed at build time (APG_MPI); it is started only in a process that mpirun
 * launched, so a plain `./apg` never touches it and behaves as a build without it: one
 * process, rank 0 of 1. Every function is callable in both builds. */
#ifndef APG_DIST_H
#define APG_DIST_H
#include <stddef.h>

/* Starts MPI when this process was launched by mpirun. 0; -1 with err when it was, but
 * this binary was built without MPI, or MPI failed to start. */
int  dist_init(int *argc, char ***argv, char *err, size_t errlen);
/* Ends MPI (a no-op without it); every rank calls it once before exiting normally. */
void dist_finalize(void);
/* Ends every rank of the job at once with this exit code (exit() without MPI). */
_Noreturn void dist_abort(int code);

int  dist_rank(void);      /* 0 without MPI */
int  dist_size(void);      /* 1 without MPI */
int  dist_launched(void);  /* 1: started by mpirun (also at -np 1) and MPI is up */
/* "Open MPI v4.1.4 ...", or "none (built without MPI)". */
const char *dist_library(void);

/* Point-to-point byte messages (tag >= 0). Each returns 0, or -1 with a line on stderr
 * naming the call. */
int  dist_send(int to, int tag, const void *buf, size_t len);
/* Whether a message from any rank waits (not received): 1 with its source, tag and
 * length in bytes, 0 when none. Never blocks. */
int  dist_poll(int *from, int *tag, size_t *len);
int  dist_recv(int from, int tag, void *buf, size_t len);

/* Collectives over every rank (each rank calls them in the same order). */
int  dist_allreduce_sum_f(float *buf, size_t n);            /* in place, elementwise */
int  dist_allreduce_sum_d(double *buf, size_t n);
int  dist_bcast(void *buf, size_t len, int root);
/* Every rank's len bytes at mine, in rank order, into all (size x len bytes). */
int  dist_allgather(const void *mine, size_t len, void *all);
/* Every rank's mine[len_r] concatenated in rank order into all (sum of every len_r
 * bytes, which lens[dist_size()] receives). all may be NULL to learn the lengths. */
int  dist_allgather_lens(size_t len, size_t *lens);
int  dist_allgatherv(const void *mine, size_t len, void *all, const size_t *lens);
int  dist_barrier(void);
/* All-to-all: send[r] ints to rank r, recv[r] from it (one each). */
int  dist_alltoall_int(const int *send, int *recv);
/* All-to-all of bytes: rank r gets scount[r] bytes from send + sdispl[r], and this rank
 * receives rcount[r] bytes from rank r at recv + rdispl[r]. */
int  dist_alltoallv(const void *send, const int *scount, const int *sdispl, void *recv, const int *rcount,
                    const int *rdispl);

#endif
