/* The sharded grid under a real mpirun (issue: MPI): this binary is also the MPI
 * program (`test_dist --rank DIR reproduce ...`, what `apg reproduce` runs as a rank).
 * The queue hands every run out once and the sharded grid stores the results a single
 * process stores, bit for bit; a worker rank's training process killed with SIGKILL
 * loses only its run, which is reissued; a rank whose dataset differs from rank 0's
 * refuses its runs by name. Skipped, loudly, when mpirun is not installed or this build
 * has no MPI. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <sqlite3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "commands.h"
#include "db_testutil.h"
#include "dist.h"
#include "run_child.h"
#include "store.h"

static char dir[64], self[4096];

static int mpi_usable(void)
{
    if (strstr(dist_library(), "none")) {
        printf("**** SKIPPED: this build has no MPI (install libopenmpi-dev and rebuild) ****\n");
        return 0;
    }
    if (system("command -v mpirun > /dev/null 2>&1") != 0) {
        printf("**** SKIPPED: mpirun not found (install openmpi-bin: scripts/install-deps.sh) ****\n");
        return 0;
    }
    return 1;
}

static void sleep_ms(int ms)
{
    struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&t, NULL);
}

/* Starts `mpirun -np NP self --rank dir CMD ARGS` (args NULL-terminated; a ":" in them
 * starts rank 1's own command line, MPMD) with its output in dir/name.log. */
static pid_t mpi_start_cmd(const char *np, const char *cmd, const char *name, const char *const *args)
{
    char log[128];
    snprintf(log, sizeof log, "%s/%s.log", dir, name);
    const char *argv[96];
    int n = 0, ranks = 1;
    for (int i = 0; args[i]; i++) ranks += strcmp(args[i], ":") == 0;
    argv[n++] = "mpirun";
    argv[n++] = "--allow-run-as-root";
    argv[n++] = "--oversubscribe";
    argv[n++] = "-np";
    argv[n++] = ranks == 1 ? np : "1";
    argv[n++] = self;
    argv[n++] = "--rank";
    argv[n++] = dir;
    argv[n++] = cmd;
    for (int i = 0; args[i] && n < 90; i++) {
        if (strcmp(args[i], ":") == 0) {
            const char *more[] = { ":", "-np", "1", self, "--rank", dir, cmd };
            for (int k = 0; k < 7; k++) argv[n++] = more[k];
            continue;
        }
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    fflush(stdout);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(log, "w", stdout) || dup2(fileno(stdout), 2) < 0) _exit(126);
        setenv("OMPI_MCA_btl", "self,vader", 0);     /* one machine: shared memory only */
        /* Open MPI leaves its own allocations (of components it unloads) at exit: under
         * the sanitizer build the ranks check memory errors but not leaks; the leaks of
         * apg's own code are checked by the single-process tests */
        char asan[512];
        const char *old = getenv("ASAN_OPTIONS");
        snprintf(asan, sizeof asan, "%s%sdetect_leaks=0", old ? old : "", old && *old ? ":" : "");
        setenv("ASAN_OPTIONS", asan, 1);
        execvp("mpirun", (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static pid_t mpi_start(const char *name, const char *const *args) { return mpi_start_cmd("2", "reproduce", name, args); }

static int mpi_wait(pid_t pid, const char *name)
{
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "sed 's/^/    [%s] /' %s/%s.log | tail -n 25", name, dir, name);
    if (system(cmd) != 0) printf("(no log)\n");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static const char *grid_args[] = { "table6", "--seeds", "1", "--data", "/nonexistent", "--jobs", "1", "--threads", "1",
                                   NULL };

/* argv (room for 48) = table6 --db db --cache-dir DIR/cache --rows rows --max-epochs
 * epochs grid_args..; returns its length (argv[n] = NULL). */
static int grid_argv(const char **argv, const char *db, const char *rows, const char *epochs)
{
    static char cache[128];
    snprintf(cache, sizeof cache, "%s/cache", dir);
    const char *head[] = { "table6", "--db", db, "--cache-dir", cache, "--rows", rows, "--max-epochs", epochs };
    int n = 0;
    for (int i = 0; i < 9; i++) argv[n++] = head[i];
    for (int i = 1; grid_args[i]; i++) argv[n++] = grid_args[i];
    argv[n] = NULL;
    return n;
}

static long long q_int(const char *db, const char *sql)
{
    struct store st;
    char err[256];
    assert_int_equal(store_open(&st, db, 1, err, sizeof err), 0);
    long long v = db_query_int(&st, sql);
    store_close(&st);
    return v;
}

/* Every run is handed out once, rank 1 trains some, and the stored results equal a
 * single process's (same seeds, same threads: identical training). */
static void test_sharded_grid_equals_single_process(void **state)
{
    (void)state;
    if (!mpi_usable()) return;
    char one[128], two[128];
    snprintf(one, sizeof one, "%s/one.db", dir);
    snprintf(two, sizeof two, "%s/two.db", dir);
    const char *argv1[48];
    int argc = grid_argv(argv1, one, "20000", "1");
    fflush(stdout);
    assert_int_equal(cmd_reproduce(argc, (char **)argv1), 0);
    argv1[2] = two;
    assert_int_equal(mpi_wait(mpi_start("two", argv1), "two"), 0);
    assert_int_equal(q_int(two, "SELECT count(*) FROM runs WHERE status = 'done' AND attempts = 1"), 9);
    assert_true(q_int(two, "SELECT count(*) FROM runs WHERE worker LIKE 'rank 1 of 2 on %'") >= 1);
    char sql[512];
    /* the same keys with the same AUC in both DBs: attach the single-process one */
    struct store st;
    char err[256];
    assert_int_equal(store_open(&st, two, 1, err, sizeof err), 0);
    snprintf(sql, sizeof sql, "ATTACH '%s' AS one", one);
    assert_int_equal(sqlite3_exec(st.db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(db_query_int(&st, "SELECT count(*) FROM runs r JOIN one.runs s ON s.key = r.key "
                                       "WHERE s.test_auc = r.test_auc AND s.test_logloss = r.test_logloss "
                                       "AND s.status = 'done'"), 9);
    store_close(&st);
}

/* The parent pid of process pid (from /proc), -1 when it is gone or a zombie. */
static int parent_of(int pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = 0;
    char *p = strrchr(buf, ')');
    int ppid = -1;
    char state = 'Z';
    if (!p || sscanf(p + 1, " %c %d", &state, &ppid) != 2 || state == 'Z') ppid = -1;
    return ppid;
}

/* A training process of pid (forked without exec, named RUN_CHILD_COMM; not a shell of
 * popen, which runs this binary too until it execs), or -1. */
static int child_of(int pid)
{
    DIR *d = opendir("/proc");
    if (!d) return -1;
    struct dirent *e;
    int found = -1;
    while (found < 0 && (e = readdir(d))) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9' || parent_of(atoi(e->d_name)) != pid) continue;
        char path[300], exe[4096];
        snprintf(path, sizeof path, "/proc/%s/exe", e->d_name);
        ssize_t len = readlink(path, exe, sizeof exe - 1);
        if (len <= 0 || (exe[len] = 0, strcmp(exe, self) != 0)) continue;
        char comm[32] = "";
        snprintf(path, sizeof path, "/proc/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (f && fgets(comm, sizeof comm, f)) comm[strcspn(comm, "\n")] = 0;
        if (f) fclose(f);
        if (strcmp(comm, RUN_CHILD_COMM) == 0) found = atoi(e->d_name);
    }
    closedir(d);
    return found;
}

/* kill -9 of rank 1's training process mid-run: that run alone is lost, marked killed
 * and trained again; every run ends done. */
static void test_killed_worker_run_reissued(void **state)
{
    (void)state;
    if (!mpi_usable()) return;
    char db[128], pidf[128];
    snprintf(db, sizeof db, "%s/kill.db", dir);
    snprintf(pidf, sizeof pidf, "%s/rank1.pid", dir);
    unlink(pidf);
    const char *argv1[48];
    grid_argv(argv1, db, "100000", "3");
    pid_t mpi = mpi_start("kill", argv1);
    int rank1 = -1, victim = -1;
    for (int i = 0; i < 6000 && rank1 < 0; i++, sleep_ms(5)) {
        FILE *f = fopen(pidf, "r");
        if (f && fscanf(f, "%d", &rank1) != 1) rank1 = -1;
        if (f) fclose(f);
    }
    assert_true(rank1 > 0);
    /* a training process of rank 1 killed as soon as it is seen starting (a run takes
     * about a second): one already running when the pid file appeared may be sending
     * its result, which a kill then no longer loses, so it is passed over; one that
     * ends between the look and the kill is passed over too */
    int killed = 0, running = child_of(rank1);
    for (int i = 0; i < 6000 && !killed; i++, sleep_ms(5))
        if ((victim = child_of(rank1)) > 0 && victim != running) killed = kill(victim, SIGKILL) == 0;
    assert_true(killed);
    assert_int_equal(mpi_wait(mpi, "kill"), 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM runs WHERE status = 'done'"), 9);
    assert_int_equal(q_int(db, "SELECT count(*) FROM runs WHERE attempts = 2"), 1);
    assert_int_equal(q_int(db, "SELECT count(*) FROM runs WHERE attempts > 2 OR error IS NOT NULL"), 0);
    char cmd[320];
    snprintf(cmd, sizeof cmd, "grep -q 'died of signal 9' %s/kill.log && grep -q 'reissued' %s/kill.log", dir, dir);
    assert_int_equal(system(cmd), 0);
}

/* Rank 1 built its data with another seed: it refuses every run it is given, naming
 * the rank and the checksum; the DB holds no result from it and stays sound. */
static void test_dataset_mismatch_refused(void **state)
{
    (void)state;
    if (!mpi_usable()) return;
    char db[128];
    snprintf(db, sizeof db, "%s/mismatch.db", dir);
    const char *argv1[96], *rank1[48];
    int n = grid_argv(argv1, db, "20000", "1"), n1 = grid_argv(rank1, db, "20000", "1");
    argv1[n++] = ":";                                 /* rank 1: the same, another data seed */
    for (int i = 0; i < n1; i++) argv1[n++] = rank1[i];
    argv1[n++] = "--data-seed";
    argv1[n++] = "2";
    argv1[n] = NULL;
    assert_int_not_equal(mpi_wait(mpi_start("mismatch", argv1), "mismatch"), 0);
    long long failed = q_int(db, "SELECT count(*) FROM runs WHERE status = 'failed' AND error LIKE "
                                 "'rank 1: the dataset % has checksum %: the ranks read different data%'");
    assert_true(failed >= 1);
    assert_int_equal(q_int(db, "SELECT count(*) FROM runs WHERE status = 'failed'"), failed);
    assert_int_equal(q_int(db, "SELECT count(*) FROM runs WHERE status = 'done'"), 9 - failed);
    assert_int_equal(q_int(db, "SELECT count(*) FROM runs WHERE worker IS NOT NULL AND status = 'done'"), 0);
}

/* test_auc of the last JSON line of dir/name.log; NAN when absent. */
static double log_test_auc(const char *name)
{
    char path[128], line[4096];
    snprintf(path, sizeof path, "%s/%s.log", dir, name);
    FILE *f = fopen(path, "r");
    double auc = NAN;
    while (f && fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "\"test_auc\":");
        if (line[0] == '{' && p) auc = strtod(p + 11, NULL);
    }
    if (f) fclose(f);
    return auc;
}

static const char *train_args[] = { "--dataset", "synthetic", "--rows", "30000", "--epochs", "1", "--threads", "1",
                                    "--json", NULL };

/* In-process apg train with train_args and extra (NULL-terminated), stdout to
 * dir/name.log: its test AUC. */
static double train_here(const char *name, const char *const *extra)
{
    const char *argv[32];
    int n = 0;
    for (int i = 0; train_args[i]; i++) argv[n++] = train_args[i];
    for (int i = 0; extra && extra[i]; i++) argv[n++] = extra[i];
    argv[n] = NULL;
    char path[128];
    snprintf(path, sizeof path, "%s/%s.log", dir, name);
    fflush(stdout);
    int so = dup(1);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    dup2(fileno(f), 1);
    int rc = cmd_train(n, (char **)argv);
    fflush(stdout);
    dup2(so, 1);
    close(so);
    fclose(f);
    assert_int_equal(rc, 0);
    return log_test_auc(name);
}

/* 2 ranks x 1 thread with --dist: each rank half of every minibatch, gradients summed
 * over the ranks. Equal bit for bit to --micro-batches 2 in one process (the same
 * parts, the same sums), within 1e-4 of plain training; at 1 rank, plain training. */
static void test_data_parallel_equals_single_process(void **state)
{
    (void)state;
    if (!mpi_usable()) return;
    const char *micro[] = { "--micro-batches", "2", NULL };
    double plain = train_here("plain", NULL), parts = train_here("micro2", micro);
    const char *argv1[32];
    int n = 0;
    for (int i = 0; train_args[i]; i++) argv1[n++] = train_args[i];
    argv1[n++] = "--dist";
    argv1[n] = NULL;
    assert_int_equal(mpi_wait(mpi_start_cmd("2", "train", "dist2", argv1), "dist2"), 0);
    assert_int_equal(mpi_wait(mpi_start_cmd("1", "train", "dist1", argv1), "dist1"), 0);
    double two = log_test_auc("dist2"), one = log_test_auc("dist1");
    printf("test AUC: plain %.6f, --micro-batches 2 %.6f, 2 ranks %.6f, 1 rank %.6f\n", plain, parts, two, one);
    assert_true(two == parts);
    assert_true(one == plain);
    assert_true(fabs(two - plain) <= 1e-4);
    char cmd[320];
    snprintf(cmd, sizeof cmd, "grep -q 'data-parallel: 2 MPI ranks' %s/dist2.log && grep -q 'sent per rank per step' "
             "%s/dist2.log", dir, dir);
    assert_int_equal(system(cmd), 0);
}

/* A number field of the last JSON line of dir/name.log; NAN when absent. */
static double log_field(const char *name, const char *key)
{
    char path[128], line[4096], pat[64];
    snprintf(path, sizeof path, "%s/%s.log", dir, name);
    snprintf(pat, sizeof pat, "\"%s\":", key);
    FILE *f = fopen(path, "r");
    double v = NAN;
    while (f && fgets(line, sizeof line, f)) {
        const char *p = strstr(line, pat);
        if (line[0] == '{' && p) v = strtod(p + strlen(pat), NULL);
    }
    if (f) fclose(f);
    return v;
}

/* --shard-embeddings at 2 ranks: each rank holds half the table's rows and fetches the
 * rest; the trained model's test logits (AUC and logloss, to the last bit) equal the
 * unsharded data-parallel run's, for WDL (one table and a wide one) and DeepFM (its
 * first-order table stays whole). */
static void test_sharded_embeddings_equal_unsharded(void **state)
{
    (void)state;
    if (!mpi_usable()) return;
    const char *bbs[] = { "wdl", "deepfm" };
    for (int k = 0; k < 2; k++) {
        const char *argv1[40];
        int n = 0;
        for (int i = 0; train_args[i]; i++) argv1[n++] = train_args[i];
        argv1[n++] = "--backbone";
        argv1[n++] = bbs[k];
        argv1[n++] = "--dist";
        argv1[n] = NULL;
        char whole[32], shard[32];
        snprintf(whole, sizeof whole, "whole_%s", bbs[k]);
        snprintf(shard, sizeof shard, "shard_%s", bbs[k]);
        assert_int_equal(mpi_wait(mpi_start_cmd("2", "train", whole, argv1), whole), 0);
        argv1[n++] = "--shard-embeddings";
        argv1[n] = NULL;
        assert_int_equal(mpi_wait(mpi_start_cmd("2", "train", shard, argv1), shard), 0);
        double a = log_field(whole, "test_auc"), b = log_field(shard, "test_auc");
        double la = log_field(whole, "test_logloss"), lb = log_field(shard, "test_logloss");
        printf("%s: test AUC %.6f / %.6f, logloss %.6f / %.6f (whole / sharded)\n", bbs[k], a, b, la, lb);
        assert_false(isnan(a));
        assert_true(a == b && la == lb);
        /* rank 0 holds about half the rows: under 0.6 of the whole table's bytes */
        double here = log_field(shard, "emb_bytes_here"), params = log_field(whole, "param_bytes");
        assert_true(here > 0 && here < 0.6 * 4 * params);
    }
}

/* Rank 1 starts from other initial values (--seed 2; the same data): the ranks apply
 * the same summed gradients to different parameters, and the check after epoch 1 stops
 * the run on every rank, naming the rank and the epoch. */
static void test_parameter_drift_stops_the_run(void **state)
{
    (void)state;
    if (!mpi_usable()) return;
    const char *argv1[48];
    int n = 0;
    for (int r = 0; r < 2; r++) {
        if (r) argv1[n++] = ":";
        for (int i = 0; train_args[i]; i++) argv1[n++] = train_args[i];
        argv1[n++] = "--dist";
        argv1[n++] = "--seed";
        argv1[n++] = r ? "2" : "1";
    }
    argv1[n] = NULL;
    assert_int_not_equal(mpi_wait(mpi_start_cmd("2", "train", "drift", argv1), "drift"), 0);
    char cmd[320];
    snprintf(cmd, sizeof cmd, "grep -q 'after epoch 1 the parameters of rank 1 (checksum [0-9a-f]*) differ from rank "
             "0.s' %s/drift.log", dir);
    assert_int_equal(system(cmd), 0);
}

/* This binary as one rank of the MPI job: apg's main for `reproduce` (dist_init, the
 * command, then the job ends together), writing its pid to DIR/rank<R>.pid. */
static int as_rank(int argc, char **argv)
{
    char err[256];
    if (dist_init(&argc, &argv, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    char path[4200];
    snprintf(path, sizeof path, "%.4000s/rank%d.pid", argv[2], dist_rank());
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "%d\n", (int)getpid());
        fclose(f);
    }
    int rc = strcmp(argv[3], "train") == 0 ? cmd_train(argc - 4, argv + 4) : cmd_reproduce(argc - 4, argv + 4);
    fflush(NULL);
    if (rc != 0 && dist_size() > 1) dist_abort(rc);
    dist_finalize();
    return rc;
}

static int setup(void **state)
{
    (void)state;
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) return -1;
    self[len] = 0;
    return db_test_mkdir(dir, "apg_dist_");
}

static int teardown(void **state)
{
    (void)state;
    db_test_rmdir(dir);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "--rank") == 0) return as_rank(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sharded_grid_equals_single_process),
        cmocka_unit_test(test_killed_worker_run_reissued),
        cmocka_unit_test(test_dataset_mismatch_refused),
        cmocka_unit_test(test_data_parallel_equals_single_process),
        cmocka_unit_test(test_parameter_drift_stops_the_run),
        cmocka_unit_test(test_sharded_embeddings_equal_unsharded),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
