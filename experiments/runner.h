/* The experiment runner: takes resolved runs, schedules them in the results DB, trains
 * what is not stored yet in child processes (--jobs at once, --threads each) and
 * commits each finished run in one transaction. The parent is the only DB writer; a
 * child trains and sends its result through a pipe, so a crashing run fails alone. */
#ifndef APG_RUNNER_H
#define APG_RUNNER_H
#include "runcfg.h"
#include "store.h"

struct runner_opts {
    int jobs, threads;
    int retry_failed;
    int dry_run;
    int quiet;              /* no per-run progress lines */
    double stale_s;         /* heartbeat age after which a running row is taken as dead */
};

/* reissued: runs whose training process was killed and that were trained again. */
struct runner_stats { int total, done_before, to_run, ran_ok, ran_failed, killed, elsewhere, skipped_failed, reissued; };

/* Runs runs[0..n) of grid (already scheduled and linked by the caller, see
 * runner_schedule). In an MPI job (rank 0; experiments/grid_dist.h) the other ranks
 * train runs of the same queue beside this process's own --jobs children. A run whose
 * training process is killed by a signal while the runner goes on is trained again, up
 * to twice. Returns 0 when every run is done or failed, 1 when interrupted
 * (SIGINT/SIGTERM: running children are stopped and their runs marked killed), -1 on
 * a DB error (err). */
int runner_execute(struct store *st, struct run_cfg *runs, int n, const struct runner_opts *ro,
                   struct runner_stats *stats, char *err, size_t errlen);

/* Inserts runs[0..n) as scheduled (unless stored) and links them to grid, in one
 * transaction. 0, or -1 with err. */
int runner_schedule(struct store *st, int64_t grid, struct run_cfg *runs, int n, char *err, size_t errlen);

/* Fig 8 user groups of a dataset split: users (ids of the user field seen in training)
 * sorted by their training rows (ties by id), cut into n_groups runs of equal user
 * count, group 0 the rarest. group_of[id] = group or -1 (OOV id 0, unseen users).
 * malloc'd array of the user field's cardinality; NULL when the dataset has no
 * single-valued user field or on OOM. */
int32_t *runner_user_groups(const struct dataset *d, const struct split *s, int n_groups);

#endif
