/* The fuzz target table and what every target shares: a private temp folder, file
 * writing, and the checks that tell a clean refusal or a well-formed dataset from a
 * defect (fuzz.h). */
#define _XOPEN_SOURCE 700
#include "fuzz.h"
#include <fcntl.h>
#include <math.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct fuzz_target *const targets[] = {
#define X(name) &fuzz_target_##name,
#include "targets.def"
#undef X
};

int fuzz_target_count(void) { return (int)(sizeof targets / sizeof targets[0]); }
const struct fuzz_target *fuzz_target_at(int i) { return targets[i]; }

const struct fuzz_target *fuzz_target_find(const char *name)
{
    for (int i = 0; i < fuzz_target_count(); i++)
        if (strcmp(targets[i]->name, name) == 0) return targets[i];
    return NULL;
}

static int report_fd = -1;     /* the real stderr while fuzz_quiet(1) */

void fuzz_quiet(int on)
{
    fflush(stderr);
    if (on && report_fd < 0) {
        report_fd = dup(2);
        int null = open("/dev/null", O_WRONLY);
        if (report_fd < 0 || null < 0) fuzz_fail("cannot redirect stderr");
        dup2(null, 2);
        close(null);
    } else if (!on && report_fd >= 0) {
        dup2(report_fd, 2);
        close(report_fd);
        report_fd = -1;
    }
}

void fuzz_fail(const char *what)
{
    fflush(stderr);
    dprintf(report_fd >= 0 ? report_fd : 2, "fuzz: %s\n", what);
    abort();
}

static char dir[64];
static pid_t dir_owner;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static void dir_remove(void)
{
    if (dir[0] && dir_owner == getpid()) nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fuzz_dir(void)
{
    if (!dir[0] || dir_owner != getpid()) {           /* a forked child makes its own */
        /* tmpfs when there is one: each input is written to a file, and a disk's
         * writes and discards would cost more than the parse */
        snprintf(dir, sizeof dir, "%s/apg-fuzz-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(dir)) fuzz_fail("cannot make a temporary folder");
        if (!dir_owner) atexit(dir_remove);
        dir_owner = getpid();
    }
    return dir;
}

void fuzz_write(const char *rel, const void *p, size_t n)
{
    char path[512];
    const char *slash = strchr(rel, '/');
    if (slash) {
        snprintf(path, sizeof path, "%s/%.*s", fuzz_dir(), (int)(slash - rel), rel);
        mkdir(path, 0700);
    }
    snprintf(path, sizeof path, "%s/%s", fuzz_dir(), rel);
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) fuzz_fail("cannot write an input file");
}

int fuzz_outcome(int rc, const char *err, const char *who)
{
    if (rc == 0) return FUZZ_LOADED;
    if (!err[0]) {
        char m[128];
        snprintf(m, sizeof m, "%s failed without a message", who);
        fuzz_fail(m);
    }
    if (strchr(err, '\n')) {
        char m[1200];
        snprintf(m, sizeof m, "%s: an error message spans several lines: '%s'", who, err);
        fuzz_fail(m);
    }
    return FUZZ_REFUSED;
}

static void bad(const struct dataset *d, const char *what, long long at)
{
    char m[256];
    snprintf(m, sizeof m, "%s accepted with %s (at %lld)", d->name, what, at);
    fuzz_fail(m);
}

void fuzz_check_dataset(const struct dataset *d)
{
    if (d->n_rows < 0 || d->n_fields < 1) bad(d, "no fields or a negative row count", d->n_rows);
    if (d->n_rows > 0 && !d->label) bad(d, "no label column", 0);
    const int idx[3] = { d->user_field, d->item_field, d->category_field };
    for (int k = 0; k < 3; k++)
        if (idx[k] < -1 || idx[k] >= d->n_fields) bad(d, "a user/item/category field index out of range", idx[k]);
    int64_t n = d->n_rows, given = (int64_t)d->given[0] + d->given[1] + d->given[2];
    if (d->given[0] < 0 || d->given[1] < 0 || d->given[2] < 0 || (given && given != n))
        bad(d, "given split sizes that do not add up to the rows", given);
    for (int f = 0; f < d->n_fields; f++) {
        const struct field *fl = &d->fields[f];
        if (fl->card < 1) bad(d, "a cardinality below 1", f);
        if (!memchr(fl->name, '\0', DATA_NAME_LEN)) bad(d, "an unterminated field name", f);
        int64_t len = n;
        const int32_t *col = fl->ids;
        if (fl->multi) {
            if (!fl->offs || fl->offs[0] != 0) bad(d, "list offsets not starting at 0", f);
            for (int64_t r = 0; r < n; r++)
                if (fl->offs[r + 1] < fl->offs[r]) bad(d, "decreasing list offsets", r);
            len = fl->offs[n];
            col = fl->mids;
        }
        for (int64_t i = 0; i < len; i++)
            if (col[i] < 0 || col[i] >= fl->card) bad(d, "an id outside its field's cardinality", i);
        if (fl->num && (fl->multi || fl->fit.kind == NUM_NONE)) bad(d, "a numeric field without a fit", f);
        for (int64_t r = 0; fl->num && r < n; r++) {   /* missing is id 0, a value a finite scale */
            if ((fl->ids[r] == 0) != (isnan(fl->num[r]) != 0)) bad(d, "a numeric id that is not missing/present", r);
            if (fl->scale && !isfinite(fl->scale[r])) bad(d, "a numeric scale that is not finite", r);
        }
    }
    for (int64_t r = 0; r < n; r++)
        if (d->label[r] != 0.0f && d->label[r] != 1.0f) bad(d, "a label other than 0 or 1", r);
    for (int64_t r = 0; d->prob && r < n; r++)
        if (!(d->prob[r] >= 0.0f && d->prob[r] <= 1.0f)) bad(d, "a probability outside [0, 1]", r);
}

/* Every row in exactly one part of s. */
static void check_split(const struct dataset *d, const struct split *s)
{
    if (s->n_train < 0 || s->n_val < 0 || s->n_test < 0 ||
        (int64_t)s->n_train + s->n_val + s->n_test > d->n_rows)
        bad(d, "a split larger than the dataset", s->n_train);
    unsigned char *seen = calloc((size_t)d->n_rows + 1, 1);
    if (!seen) fuzz_fail("out of memory");
    const int32_t *part[3] = { s->train, s->val, s->test };
    const int len[3] = { s->n_train, s->n_val, s->n_test };
    for (int p = 0; p < 3; p++)
        for (int i = 0; i < len[p]; i++) {
            int32_t r = part[p][i];
            if (r < 0 || r >= d->n_rows || seen[r]++) bad(d, "a split row out of range or repeated", r);
        }
    free(seen);
}

int fuzz_load(const struct data_opts *o, uint8_t flags)
{
    struct data_opts x = *o;
    x.no_cache = 1;
    x.skip_bad_rows = !!(flags & FUZZ_SKIP_BAD);
    x.split = flags & FUZZ_SPLIT_TIME ? "time" : "random";
    if (flags & FUZZ_DROP_NEUTRAL) x.drop_neutral = 1;
    if (flags & FUZZ_MIN_COUNT) x.min_count = 2;
    struct dataset d;
    char err[1024] = "";
    int out = fuzz_outcome(dataset_load(&d, &x, err, sizeof err), err, x.dataset);
    if (out != FUZZ_LOADED) return out;
    fuzz_check_dataset(&d);
    struct split s = { 0 };
    err[0] = '\0';
    if (fuzz_outcome(dataset_split(&s, &d, &x, err, sizeof err), err, "dataset_split") == FUZZ_LOADED) {
        check_split(&d, &s);
        split_free(&s);
    }
    dataset_free(&d);
    return FUZZ_LOADED;
}
