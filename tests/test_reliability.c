/* Hostile input to the commands (issue 11): splits where AUC is undefined are refused
 * before training and --json never prints a non-JSON token; --threads is capped at the
 * cores; --save is checked before training; stale temporary files of dead processes
 * are removed; the exit codes of option errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cache.h"
#include "checkpoint.h"
#include <dirent.h>
#include <signal.h>
#include <time.h>
#include "commands.h"
#include "ds_testutil.h"
#include "threads.h"
#include "train.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/apg_rel_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return 0;
}

static void in_dir(char *buf, size_t len, const char *name) { snprintf(buf, len, "%s/%s", dir, name); }

/* Runs a command with stdout and stderr captured; *out gets both (caller frees). */
static int run_captured(int (*fn)(int, char **), char **argv, char **out)
{
    char path[128];
    in_dir(path, sizeof path, "captured.txt");
    int argc = 0;
    while (argv[argc]) argc++;
    int so = tu_capture_begin(stdout, path);
    int se = dup(fileno(stderr));
    fflush(stderr);
    dup2(fileno(stdout), fileno(stderr));
    int rc = fn(argc, argv);
    fflush(stderr);
    dup2(se, fileno(stderr));
    close(se);
    tu_capture_end(stdout, so);
    *out = tu_read(path);
    printf("   rc %d: %s", rc, *out);
    return rc;
}

/* The command exits with rc and its output holds want. */
static void expect_cmd(int (*fn)(int, char **), char **argv, int rc, const char *want)
{
    char *out;
    int got = run_captured(fn, argv, &out);
    if (!strstr(out, want)) print_message("output lacks '%s'\n", want);
    assert_int_equal(got, rc);
    assert_non_null(strstr(out, want));
    free(out);
}

/* ---- point 4: AUC undefined ---------------------------------------------------- */

static void test_one_class_split_refused(void **state)
{
    (void)state;
    /* --rows 10: the validation split has one row, so one class */
    char *tiny[] = { "--rows", "10", "--no-cache", NULL };
    expect_cmd(cmd_train, tiny, 1, "split has one class");

    /* a validation split of one class in a larger dataset, through train_run */
    struct data_opts o;
    struct dataset d;
    struct split s;
    char err[512];
    data_opts_default(&o);
    o.rows = 2000;
    o.no_cache = 1;
    assert_int_equal(dataset_load(&d, &o, err, sizeof err), 0);
    split_random(&s, &d, 0.8, 0.1, o.data_seed);
    for (int i = 0; i < s.n_val; i++) d.label[s.val[i]] = 1.0f;
    struct train_cfg c;
    struct train_result r;
    train_cfg_default(&c);
    assert_int_equal(train_run(&c, &d, &s, &r, err, sizeof err), -1);
    printf("   refused: %s\n", err);
    assert_non_null(strstr(err, "the validation split has one class (all"));
    assert_non_null(strstr(err, "rows positive"));
    split_free(&s);
    dataset_free(&d);
}

static void test_json_never_prints_nan(void **state)
{
    (void)state;
    char path[128];
    in_dir(path, sizeof path, "json.txt");
    FILE *f = fopen(path, "w+");
    assert_non_null(f);
    json_num(f, "a", NAN, 6, ",");
    json_num(f, "b", INFINITY, 6, ",");
    json_num(f, "c", -INFINITY, 6, ",");
    json_num(f, "d", 0.5, 3, ",");
    json_text(f, "e", "a\"b\\c\n", "");
    fclose(f);
    char *s = tu_read(path);
    assert_string_equal(s, "\"a\":null,\"b\":null,\"c\":null,\"d\":0.500,\"e\":\"a\\\"b\\\\c\\u000a\"");
    free(s);

    /* a whole --json line holds no nan or inf token */
    char *train[] = { "--rows", "3000", "--no-cache", "--json", NULL };
    char *out;
    assert_int_equal(run_captured(cmd_train, train, &out), 0);
    const char *j = strrchr(out, '{');
    assert_non_null(j);
    assert_null(strstr(j, "nan"));
    assert_null(strstr(j, "inf\""));
    assert_null(strstr(j, ":inf"));
    free(out);
}

/* ---- point 5: --threads capped at the cores ------------------------------------ */

static void test_threads_capped(void **state)
{
    (void)state;
    int cores = apg_cores();
    assert_int_equal(apg_threads_cap(1024), cores);
    assert_int_equal(apg_threads_cap(0), 1);
    assert_int_equal(apg_threads_cap(1), 1);
    char model[128], want[96];
    in_dir(model, sizeof model, "threads.ckpt");
    char *train[] = { "--rows", "3000", "--no-cache", "--threads", "1024", "--json", "--save", model, NULL };
    snprintf(want, sizeof want, "apg train: --threads 1024: capped at the %d core", cores);
    char *out;
    assert_int_equal(run_captured(cmd_train, train, &out), 0);
    assert_non_null(strstr(out, want));
    snprintf(want, sizeof want, "\"threads\":%d,", cores);
    assert_non_null(strstr(out, want));
    free(out);

    /* a checkpoint asking for more threads than cores: predict caps them, saying so */
    struct ckpt ck;
    char err[512];
    assert_int_equal(ckpt_load(&ck, model, err, sizeof err), 0);
    assert_int_equal(ck.meta.threads, cores);
    ck.meta.threads = 1000;
    assert_int_equal(ckpt_save(model, &ck.meta, &ck.model, err, sizeof err), 0);
    ckpt_free(&ck);
    char *predict[] = { model, "--json", NULL };
    snprintf(want, sizeof want, "apg predict: the checkpoint's threads 1000: capped at the %d core", cores);
    expect_cmd(cmd_predict, predict, 0, want);
}

/* ---- point 2: checkpoint contents checked, not only the checksum ----------------- */

/* Trains a small model into path. */
static void make_ckpt(const char *path)
{
    char *train[] = { "--rows", "3000", "--no-cache", "--save", (char *)path, NULL };
    char *out;
    assert_int_equal(run_captured(cmd_train, train, &out), 0);
    free(out);
}

enum tamper { T_THREADS, T_BATCH, T_EPOCH, T_CARD0, T_CARD_HUGE, T_MULTI, T_USER, T_NAN, T_INF, T_AUC };

/* Loads good, changes one value, saves it to bad with a valid checksum; ckpt_load(bad)
 * must refuse it with want. */
static void tampered_refused(const char *good, const char *bad, enum tamper t, const char *want)
{
    struct ckpt ck;
    char err[512];
    assert_int_equal(ckpt_load(&ck, good, err, sizeof err), 0);
    switch (t) {
    case T_THREADS: ck.meta.threads = 100000; break;
    case T_BATCH: ck.meta.batch = -5; break;
    case T_EPOCH: ck.meta.best_epoch = ck.meta.epochs_run + 1; break;
    case T_CARD0: ck.meta.fields[1].card = 0; break;
    case T_CARD_HUGE: ck.meta.fields[0].card = 1 << 30; break;
    case T_MULTI: ck.meta.fields[0].multi = 7; break;
    case T_USER: ck.meta.user_field = ck.meta.n_fields; break;
    case T_NAN: ck.model.ps.list[1]->data[2] = NAN; break;
    case T_INF: ck.model.ps.list[0]->data[0] = -INFINITY; break;
    case T_AUC: ck.meta.test_auc = 7.0; break;
    }
    assert_int_equal(ckpt_save(bad, &ck.meta, &ck.model, err, sizeof err), 0);
    ckpt_free(&ck);
    int rc = ckpt_load(&ck, bad, err, sizeof err);
    ckpt_free(&ck);
    printf("   refused: %s\n", err);
    if (!strstr(err, want)) print_message("error '%s' lacks '%s'\n", err, want);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, bad));
    assert_non_null(strstr(err, want));
}

static void test_checkpoint_contents_checked(void **state)
{
    (void)state;
    char good[128], bad[128], want[160];
    in_dir(good, sizeof good, "good.ckpt");
    in_dir(bad, sizeof bad, "bad.ckpt");
    make_ckpt(good);
    struct ckpt ck;
    char err[512];
    assert_int_equal(ckpt_load(&ck, good, err, sizeof err), 0);
    char p0[64], p1[64];
    snprintf(p0, sizeof p0, "%s", ck.model.ps.list[0]->name);
    snprintf(p1, sizeof p1, "%s", ck.model.ps.list[1]->name);
    ckpt_free(&ck);
    tampered_refused(good, bad, T_THREADS, "invalid contents (threads 100000 outside 0..1024)");
    tampered_refused(good, bad, T_BATCH, "invalid contents (batch -5 outside");
    tampered_refused(good, bad, T_EPOCH, "invalid contents (best epoch 2 of 1 epochs run");
    tampered_refused(good, bad, T_CARD0, "cardinality 0, at least 1");
    tampered_refused(good, bad, T_CARD_HUGE, "parameter floats");
    tampered_refused(good, bad, T_MULTI, "multi 7, expected 0 or 1");
    tampered_refused(good, bad, T_USER, "invalid contents (user_field 7 outside -1..6)");
    snprintf(want, sizeof want, "invalid contents (parameter '%s' element 2 is NaN)", p1);
    tampered_refused(good, bad, T_NAN, want);
    snprintf(want, sizeof want, "invalid contents (parameter '%s' element 0 is infinite)", p0);
    tampered_refused(good, bad, T_INF, want);
    tampered_refused(good, bad, T_AUC, "invalid contents (test auc 7)");
    /* predict refuses it with the one line, exit 1 */
    char *predict[] = { bad, NULL };
    expect_cmd(cmd_predict, predict, 1, "invalid contents (test auc 7)");
}

/* ---- point 8: --save checked before training ----------------------------------- */

static void save_refused(char *path, const char *want)
{
    char *train[] = { "--rows", "3000", "--no-cache", "--save", path, "--json", NULL };
    char *out;
    int rc = run_captured(cmd_train, train, &out);
    if (!strstr(out, want)) print_message("output lacks '%s'\n", want);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, want));
    assert_null(strstr(out, "epoch 1"));   /* refused before any training */
    free(out);
}

static void test_save_path_checked_up_front(void **state)
{
    (void)state;
    char sub[128], file[128], deep[160];
    in_dir(sub, sizeof sub, "sub");
    assert_int_equal(mkdir(sub, 0755), 0);
    save_refused(sub, "is a directory, not a checkpoint file");
    snprintf(deep, sizeof deep, "%s/", sub);
    save_refused(deep, "is a directory");
    save_refused("--json", "--save --json: looks like an option, not a file name");
    save_refused("", "--save '': empty file name");
    in_dir(file, sizeof file, "no/such/dir/m.ckpt");
    save_refused(file, "cannot write");
    /* a read-only folder (root writes anyway, so only when the check can tell) */
    assert_int_equal(chmod(sub, 0555), 0);
    snprintf(deep, sizeof deep, "%s/m.ckpt", sub);
    if (access(sub, W_OK) != 0) save_refused(deep, "cannot write");
    assert_int_equal(chmod(sub, 0755), 0);
}

/* ---- point 11: kill -9 while writing; stale temporary files removed --------------- */

/* Child (this binary re-executed): saves the checkpoint good to path again and again. */
static int child_save(const char *good, const char *path)
{
    struct ckpt ck;
    char err[512];
    if (ckpt_load(&ck, good, err, sizeof err)) return 1;
    for (uint64_t i = 1;; i++) {
        ck.meta.seed = i;
        if (ckpt_save(path, &ck.meta, &ck.model, err, sizeof err)) return 1;
    }
}

static const struct cache_key child_key = { "synthetic", { NULL }, 0, 12345 };

/* Child: writes the cache of a synthetic dataset to path again and again. */
static int child_cache(const char *path)
{
    struct data_opts o;
    struct dataset d;
    char err[512];
    data_opts_default(&o);
    o.rows = 300000;
    o.no_cache = 1;
    if (dataset_load(&d, &o, err, sizeof err)) return 1;
    for (;;)
        if (cache_save(path, &d, &child_key, 0, err, sizeof err)) return 1;
}

/* Starts this binary as `self MODE A B`, waits until `wait_for` exists, lets it write a
 * while longer and kills it with SIGKILL. */
static void run_and_kill(const char *mode, const char *a, const char *b, const char *wait_for)
{
    fflush(stdout);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl("/proc/self/exe", "test_reliability", mode, a, b, (char *)NULL);
        _exit(127);
    }
    struct timespec step = { 0, 20 * 1000 * 1000 };
    for (int i = 0; i < 3000 && access(wait_for, F_OK) != 0; i++) nanosleep(&step, NULL);
    assert_int_equal(access(wait_for, F_OK), 0);
    for (int i = 0; i < 10; i++) nanosleep(&step, NULL);   /* in the middle of a later write */
    assert_int_equal(kill(pid, SIGKILL), 0);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

/* Files in dir whose name holds ".tmp.". */
static int count_tmp(const char *d)
{
    DIR *dp = opendir(d);
    assert_non_null(dp);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dp))) n += strstr(e->d_name, ".tmp.") != NULL;
    closedir(dp);
    return n;
}

/* The PID of a process that has exited (and been reaped). */
static pid_t dead_pid(void)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) _exit(0);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return pid;
}

static void touch(const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("partial", f);
    fclose(f);
}

static void test_kill9_while_saving(void **state)
{
    (void)state;
    char sub[128], good[160], path[160], stale[200], live[200];
    in_dir(sub, sizeof sub, "kill");
    assert_int_equal(mkdir(sub, 0755), 0);
    snprintf(good, sizeof good, "%s/good.ckpt", dir);
    snprintf(path, sizeof path, "%s/m.ckpt", sub);
    make_ckpt(good);
    run_and_kill("--child-save", good, path, path);
    int left = count_tmp(sub);
    printf("   killed while saving: %d temporary file%s left\n", left, left == 1 ? "" : "s");
    /* the final name holds a complete checkpoint */
    struct ckpt ck;
    char err[512];
    assert_int_equal(ckpt_load(&ck, path, err, sizeof err), 0);
    ckpt_free(&ck);
    /* a stale file of another dead process, and one of a live process */
    snprintf(stale, sizeof stale, "%s.tmp.%ld", path, (long)dead_pid());
    snprintf(live, sizeof live, "%s.tmp.%ld", path, (long)getppid());
    touch(stale);
    touch(live);
    /* the next run removes the dead processes' temporary files */
    char *train[] = { "--rows", "3000", "--no-cache", "--save", path, NULL };
    char *out;
    assert_int_equal(run_captured(cmd_train, train, &out), 0);
    free(out);
    assert_int_equal(access(stale, F_OK), -1);
    assert_int_equal(access(live, F_OK), 0);   /* a concurrent run's is kept */
    unlink(live);
    assert_int_equal(count_tmp(sub), 0);
    assert_int_equal(ckpt_load(&ck, path, err, sizeof err), 0);
    ckpt_free(&ck);
}

static void test_kill9_while_caching(void **state)
{
    (void)state;
    char sub[128], path[200], stale[240];
    in_dir(sub, sizeof sub, "cache");
    assert_int_equal(mkdir(sub, 0755), 0);
    snprintf(path, sizeof path, "%s/synthetic-test.apgcache", sub);
    run_and_kill("--child-cache", path, "-", path);
    int left = count_tmp(sub);
    printf("   killed while writing the cache: %d temporary file%s left\n", left, left == 1 ? "" : "s");
    struct dataset d;
    int ns;
    char why[512];
    int rc = cache_load(path, &d, &child_key, &ns, why, sizeof why);
    if (rc) print_message("cache: %s\n", why);
    assert_int_equal(rc, 0);   /* the final name holds a complete cache */
    dataset_free(&d);
    snprintf(stale, sizeof stale, "%s.tmp.%ld", path, (long)dead_pid());
    touch(stale);
    char *info[] = { "info", "--rows", "2000", "--cache-dir", sub, NULL };
    char *out;
    assert_int_equal(run_captured(cmd_data, info, &out), 0);
    free(out);
    assert_int_equal(count_tmp(sub), 0);
}

/* ---- point 12: exit codes ----------------------------------------------------------- */

static void test_exit_codes(void **state)
{
    (void)state;
    char csv[128], hdr[128], ml[128];
    in_dir(csv, sizeof csv, "t.csv");
    in_dir(hdr, sizeof hdr, "h.csv");
    in_dir(ml, sizeof ml, "ml");
    tu_write(dir, "t.csv", "a,b,genres,y\n1,2,x|y,1\n2,3,y,0\n", 31);
    tu_write(dir, "h.csv", "a,b,y\n", 6);
    /* option errors found when loading: 2 */
    char *like[] = { "--like", "foo", "--rows", "100", NULL };
    expect_cmd(cmd_train, like, 2, "unknown preset 'foo'");
    char *nolabel[] = { "info", "--dataset", "csv", "--file", csv, "--fields", "a,b", "--no-cache", NULL };
    expect_cmd(cmd_data, nolabel, 2, "csv: --label COL is required");
    char *delim[] = { "--dataset", "csv", "--file", csv, "--label", "y", "--fields", "a,b", "--delim", "ab", NULL };
    expect_cmd(cmd_train, delim, 2, "csv: --delim: expected one character");
    char *multi[] = { "info", "--dataset", "csv", "--file", csv, "--label", "y", "--fields", "a,b",
                      "--multi", "genres", "--no-cache", NULL };
    expect_cmd(cmd_data, multi, 2, "csv: --multi: expected COL:SEP");
    /* a missing file is a data error: 1 */
    char *missing[] = { "info", "--dataset", "ml100k", "--data", "/nonexistent", NULL };
    expect_cmd(cmd_data, missing, 1, "u.data not found");
    /* apg list takes no arguments */
    char *junk[] = { "junk", "--bogus", NULL };
    expect_cmd(cmd_list, junk, 2, "apg list: takes no arguments, got 'junk'");
    /* an option of another backbone names it */
    char *dcn[] = { "--dcn-layers", "2", "--rows", "100", NULL };
    expect_cmd(cmd_train, dcn, 2, "--dcn-layers is an option of backbone dcn: add --backbone dcn");
    /* empty data: said so, exit 1 */
    char *empty[] = { "info", "--dataset", "csv", "--file", hdr, "--label", "y", "--fields", "a,b", "--no-cache", NULL };
    expect_cmd(cmd_data, empty, 1, "is empty (no rows");
    assert_int_equal(mkdir(ml, 0755), 0);
    tu_write(ml, "ml-100k/u.data", "", 0);
    tu_write(ml, "ml-100k/u.user", "1|24|M|technician|85711\n", 24);
    const char *item = "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n";
    tu_write(ml, "ml-100k/u.item", item, strlen(item));
    char *ml_empty[] = { "info", "--dataset", "ml100k", "--data", ml, "--no-cache", NULL };
    expect_cmd(cmd_data, ml_empty, 1, "apg data info: dataset ml100k is empty");
    char *train_empty[] = { "--dataset", "ml100k", "--data", ml, "--no-cache", NULL };
    expect_cmd(cmd_train, train_empty, 1, "apg train: dataset ml100k is empty");
}

/* ---- point 9: options that would change nothing are refused ----------------------- */

static void test_ineffective_options_refused(void **state)
{
    (void)state;
    char *cond[] = { "--rows", "1000", "--condition", "group:user_id", NULL };
    expect_cmd(cmd_train, cond, 2, "--condition has no effect with --apg none (the base model)");
    char *k_v1[] = { "--rows", "1000", "--apg", "v1", "--K", "4", NULL };
    expect_cmd(cmd_train, k_v1, 2, "--K has no effect with --apg v1");
    char *p_v3[] = { "--rows", "1000", "--apg", "v3", "--P=4", NULL };
    expect_cmd(cmd_train, p_v3, 2, "--P has no effect with --apg v3");
    char *chain[] = { "--rows", "1000", "--apg", "v3", "--chain-lr", "1", NULL };
    expect_cmd(cmd_train, chain, 2, "--chain-lr has no effect with --apg v3");
    char *genh[] = { "--rows", "1000", "--apg", "v3", "--gen-hidden", "8", NULL };
    expect_cmd(cmd_train, genh, 2, "--gen-hidden has no effect with --gen-layers 1");
    char *nohidden[] = { "--rows", "1000", "--apg", "v3", "--hidden", "", NULL };
    expect_cmd(cmd_train, nohidden, 2, "--apg v3 has no effect: backbone wdl with 0 hidden layers");
    char *label[] = { "--rows", "1000", "--label", "y", NULL };
    expect_cmd(cmd_train, label, 2, "--label is an option of --dataset csv, not of --dataset synthetic");
    char *like[] = { "info", "--dataset", "ml100k", "--like", "amazon", NULL };
    expect_cmd(cmd_data, like, 2, "--like is an option of --dataset synthetic, not of --dataset ml100k");
    /* the same options where they act are accepted */
    char *ok[] = { "--rows", "1000", "--apg", "v3", "--K", "4", "--condition", "group:user_id", NULL };
    expect_cmd(cmd_train, ok, 0, "test auc");
}

/* ---- point 13: a sanitizer binary of its own -------------------------------------- */

static void test_make_apg_asan_target(void **state)
{
    (void)state;
    if (access("Makefile", R_OK) != 0) skip();   /* run from the repository root */
    char log[128], cmd[256];
    in_dir(log, sizeof log, "make.txt");
    snprintf(cmd, sizeof cmd, "make -n --no-print-directory apg-asan > '%s' 2>&1", log);
    int rc = system(cmd);
    char *out = tu_read(log);
    if (rc != 0) print_message("%s\n", out);
    assert_int_equal(rc, 0);
    /* it builds build/asan/apg with the sanitizers and copies it to ./apg-asan, not ./apg */
    assert_non_null(strstr(out, "build/asan/apg"));
    assert_non_null(strstr(out, "-fsanitize=address,undefined"));
    assert_non_null(strstr(out, "apg-asan"));
    free(out);
}

/* Out of memory is a run failure: one line naming what could not be allocated and exit
 * status 1, never SIGABRT (a child process under an address-space limit). Skipped under
 * AddressSanitizer, whose shadow memory needs the address space the limit takes away. */
static void test_out_of_memory_exits_1(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    print_message("skipped: address-space limits do not apply under AddressSanitizer\n");
    skip();
#else
    char log[160];
    in_dir(log, sizeof log, "oom.txt");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = { (rlim_t)400 << 20, (rlim_t)400 << 20 };
        if (setrlimit(RLIMIT_AS, &rl) || !freopen(log, "w", stderr) || !freopen("/dev/null", "w", stdout)) _exit(99);
        char *argv[] = { "--rows", "40000000", "--epochs", "1", "--no-cache", NULL };
        _exit(cmd_train(5, argv));
    }
    int ws;
    waitpid(pid, &ws, 0);
    assert_true(WIFEXITED(ws));
    assert_int_equal(WEXITSTATUS(ws), 1);
    char *text = tu_read(log);
    assert_non_null(strstr(text, "apg: out of memory ("));
    assert_non_null(strstr(text, " bytes)\n"));
    free(text);
#endif
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--child-save") == 0) return child_save(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "--child-cache") == 0) return child_cache(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_class_split_refused),
        cmocka_unit_test(test_json_never_prints_nan),
        cmocka_unit_test(test_threads_capped),
        cmocka_unit_test(test_checkpoint_contents_checked),
        cmocka_unit_test(test_save_path_checked_up_front),
        cmocka_unit_test(test_kill9_while_saving),
        cmocka_unit_test(test_kill9_while_caching),
        cmocka_unit_test(test_exit_codes),
        cmocka_unit_test(test_ineffective_options_refused),
        cmocka_unit_test(test_make_apg_asan_target),
        cmocka_unit_test(test_out_of_memory_exits_1),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
