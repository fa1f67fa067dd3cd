/* MPI processes (core/dist.h): Open MPI when built with APG_MPI, else one process. */
#include "dist.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Launched by mpirun (Open MPI sets OMPI_COMM_WORLD_SIZE, PMIx launchers PMIX_RANK). */
static int launched_by_mpirun(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

#ifdef APG_MPI
#include <mpi.h>

static int up, rank, size = 1;

static int check(int rc, const char *what)
{
    if (rc == MPI_SUCCESS) return 0;
    char msg[MPI_MAX_ERROR_STRING];
    int n = 0;
    MPI_Error_string(rc, msg, &n);
    fprintf(stderr, "apg: rank %d: %s failed: %s\n", rank, what, msg);
    return -1;
}

static int fits_int(size_t n, const char *what)
{
    if (n <= INT_MAX) return 1;
    fprintf(stderr, "apg: rank %d: %s of %zu elements: over MPI's int count\n", rank, what, n);
    return 0;
}

int dist_init(int *argc, char ***argv, char *err, size_t errlen)
{
    if (up || !launched_by_mpirun()) return 0;
    if (MPI_Init(argc, argv) != MPI_SUCCESS) {
        snprintf(err, errlen, "MPI_Init failed (launched by mpirun, but MPI could not start)");
        return -1;
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    up = 1;
    return 0;
}

void dist_finalize(void)
{
    if (up) MPI_Finalize();
    up = 0;
}

_Noreturn void dist_abort(int code)
{
    if (up) MPI_Abort(MPI_COMM_WORLD, code);
    exit(code);
}

int dist_rank(void) { return up ? rank : 0; }
int dist_size(void) { return up ? size : 1; }
int dist_launched(void) { return up; }

const char *dist_library(void)
{
    static char v[MPI_MAX_LIBRARY_VERSION_STRING];
    int n = 0;
    if (!v[0] && MPI_Get_library_version(v, &n) == MPI_SUCCESS) {
        char *nl = strchr(v, ',');               /* "Open MPI v4.1.4, package: ..." */
        if (nl) *nl = 0;
    }
    return v;
}

int dist_send(int to, int tag, const void *buf, size_t len)
{
    if (!fits_int(len, "MPI_Send")) return -1;
    return check(MPI_Send(buf, (int)len, MPI_BYTE, to, tag, MPI_COMM_WORLD), "MPI_Send");
}

int dist_poll(int *from, int *tag, size_t *len)
{
    int flag = 0, count = 0;
    MPI_Status s;
    if (check(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &s), "MPI_Iprobe") || !flag) return 0;
    MPI_Get_count(&s, MPI_BYTE, &count);
    *from = s.MPI_SOURCE;
    *tag = s.MPI_TAG;
    *len = (size_t)count;
    return 1;
}

int dist_recv(int from, int tag, void *buf, size_t len)
{
    if (!fits_int(len, "MPI_Recv")) return -1;
    return check(MPI_Recv(buf, (int)len, MPI_BYTE, from, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
}

int dist_allreduce_sum_f(float *buf, size_t n)
{
    if (!up || size == 1) return 0;
    if (!fits_int(n, "MPI_Allreduce")) return -1;
    return check(MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
}

int dist_allreduce_sum_d(double *buf, size_t n)
{
    if (!up || size == 1) return 0;
    if (!fits_int(n, "MPI_Allreduce")) return -1;
    return check(MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce");
}

int dist_bcast(void *buf, size_t len, int root)
{
    if (!up || size == 1) return 0;
    if (!fits_int(len, "MPI_Bcast")) return -1;
    return check(MPI_Bcast(buf, (int)len, MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
}

int dist_allgather(const void *mine, size_t len, void *all)
{
    if (!up || size == 1) {
        if (len) memmove(all, mine, len);
        return 0;
    }
    if (!fits_int(len, "MPI_Allgather")) return -1;
    return check(MPI_Allgather(mine, (int)len, MPI_BYTE, all, (int)len, MPI_BYTE, MPI_COMM_WORLD), "MPI_Allgather");
}

int dist_allgather_lens(size_t len, size_t *lens)
{
    if (!up || size == 1) {
        lens[0] = len;
        return 0;
    }
    unsigned long long mine = len, *all = malloc(sizeof *all * (size_t)size);
    if (!all) return -1;
    int rc = check(MPI_Allgather(&mine, 1, MPI_UNSIGNED_LONG_LONG, all, 1, MPI_UNSIGNED_LONG_LONG, MPI_COMM_WORLD),
                   "MPI_Allgather");
    for (int r = 0; r < size; r++) lens[r] = (size_t)all[r];
    free(all);
    return rc;
}

int dist_allgatherv(const void *mine, size_t len, void *all, const size_t *lens)
{
    if (!up || size == 1) {
        if (len) memmove(all, mine, len);
        return 0;
    }
    int *cnt = malloc(sizeof *cnt * 2 * (size_t)size), rc = -1;
    if (!cnt) return -1;
    int *displ = cnt + size;
    size_t off = 0;
    for (int r = 0; r < size; r++) {
        if (!fits_int(lens[r], "MPI_Allgatherv") || !fits_int(off, "MPI_Allgatherv")) goto out;
        cnt[r] = (int)lens[r];
        displ[r] = (int)off;
        off += lens[r];
    }
    rc = check(MPI_Allgatherv(mine, (int)len, MPI_BYTE, all, cnt, displ, MPI_BYTE, MPI_COMM_WORLD),
               "MPI_Allgatherv");
out:
    free(cnt);
    return rc;
}

int dist_barrier(void)
{
    if (!up || size == 1) return 0;
    return check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
}

int dist_alltoall_int(const int *send, int *recv)
{
    if (!up || size == 1) {
        recv[0] = send[0];
        return 0;
    }
    return check(MPI_Alltoall(send, 1, MPI_INT, recv, 1, MPI_INT, MPI_COMM_WORLD), "MPI_Alltoall");
}

int dist_alltoallv(const void *send, const int *scount, const int *sdispl, void *recv, const int *rcount,
                   const int *rdispl)
{
    if (!up || size == 1) {
        if (scount[0]) memmove((char *)recv + rdispl[0], (const char *)send + sdispl[0], (size_t)scount[0]);
        return 0;
    }
    return check(MPI_Alltoallv(send, scount, sdispl, MPI_BYTE, recv, rcount, rdispl, MPI_BYTE, MPI_COMM_WORLD),
                 "MPI_Alltoallv");
}

#else /* one process */

int dist_init(int *argc, char ***argv, char *err, size_t errlen)
{
    (void)argc;
    (void)argv;
    const char *n = getenv("OMPI_COMM_WORLD_SIZE");
    if (launched_by_mpirun() && !(n && strcmp(n, "1") == 0)) {
        snprintf(err, errlen, "launched by mpirun, but this apg was built without MPI: install libopenmpi-dev "
                 "(scripts/install-deps.sh) and rebuild (make clean && make)");
        return -1;
    }
    return 0;
}
void dist_finalize(void) {}
_Noreturn void dist_abort(int code) { exit(code); }
int dist_rank(void) { return 0; }
int dist_size(void) { return 1; }
int dist_launched(void) { return 0; }
const char *dist_library(void) { return "none (built without MPI)"; }

static int no_mpi(const char *what)
{
    fprintf(stderr, "apg: %s: this apg was built without MPI\n", what);
    return -1;
}
int dist_send(int to, int tag, const void *buf, size_t len)
{
    (void)to; (void)tag; (void)buf; (void)len;
    return no_mpi("dist_send");
}
int dist_poll(int *from, int *tag, size_t *len)
{
    (void)from; (void)tag; (void)len;
    return 0;
}
int dist_recv(int from, int tag, void *buf, size_t len)
{
    (void)from; (void)tag; (void)buf; (void)len;
    return no_mpi("dist_recv");
}
int dist_allreduce_sum_f(float *buf, size_t n) { (void)buf; (void)n; return 0; }
int dist_allreduce_sum_d(double *buf, size_t n) { (void)buf; (void)n; return 0; }
int dist_bcast(void *buf, size_t len, int root) { (void)buf; (void)len; (void)root; return 0; }
int dist_allgather(const void *mine, size_t len, void *all)
{
    if (len) memmove(all, mine, len);
    return 0;
}
int dist_allgather_lens(size_t len, size_t *lens)
{
    lens[0] = len;
    return 0;
}
int dist_allgatherv(const void *mine, size_t len, void *all, const size_t *lens)
{
    (void)lens;
    if (len) memmove(all, mine, len);
    return 0;
}
int dist_barrier(void) { return 0; }
int dist_alltoall_int(const int *send, int *recv)
{
    recv[0] = send[0];
    return 0;
}
int dist_alltoallv(const void *send, const int *scount, const int *sdispl, void *recv, const int *rcount,
                   const int *rdispl)
{
    (void)rcount;
    if (scount[0]) memmove((char *)recv + rdispl[0], (const char *)send + sdispl[0], (size_t)scount[0]);
    return 0;
}

#endif
