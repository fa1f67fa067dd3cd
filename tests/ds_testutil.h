/* Helpers for the dataset tests: temp folders with files written byte-exact, the
 * shared real data folder (../shared/data, or $APG_SHARED_DATA), options, and a
 * field-by-field dataset comparison. Include after <cmocka.h>. */
#ifndef APG_DS_TESTUTIL_H
#define APG_DS_TESTUTIL_H
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dataset.h"

static inline const char *tu_shared(void)
{
    const char *e = getenv("APG_SHARED_DATA");
    return e && *e ? e : "../shared/data";
}

/* 1 when $shared/rel exists; otherwise prints why the test is skipped. */
static inline int tu_have_shared(const char *rel)
{
    char p[1024];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", tu_shared(), rel);
    if (stat(p, &st) == 0) return 1;
    print_message("skipped: %s not found (the real data lives in ../shared/data; set APG_SHARED_DATA)\n", p);
    return 0;
}

static inline void tu_tmpdir(char *buf, size_t n)
{
    snprintf(buf, n, "/tmp/apg-ds-XXXXXX");
    assert_non_null(mkdtemp(buf));
}

/* Writes n bytes to dir/rel, creating dir/SUB for rel "SUB/FILE". */
static inline void tu_write(const char *dir, const char *rel, const char *data, size_t n)
{
    char p[1024];
    const char *slash = strchr(rel, '/');
    if (slash) {
        snprintf(p, sizeof p, "%s/%.*s", dir, (int)(slash - rel), rel);
        mkdir(p, 0777);
    }
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}
#define TU_WRITE(dir, rel, lit) tu_write(dir, rel, lit, sizeof(lit) - 1)

static inline void tu_rmrf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            char p[2048];
            snprintf(p, sizeof p, "%.1000s/%.255s", path, e->d_name);
            tu_rmrf(p);
        }
        if (d) closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* Options for dataset `name` under dir; no cache unless cache_dir is given. */
static inline void tu_opts(struct data_opts *o, const char *name, const char *dir, const char *cache_dir)
{
    data_opts_default(o);
    o->dataset = name;
    o->data_dir = dir;
    o->cache_dir = cache_dir;
    o->no_cache = cache_dir == NULL;
}

/* Loads and asserts success (prints err otherwise). */
static inline void tu_load(struct dataset *d, const struct data_opts *o)
{
    char err[1024] = "";
    int rc = dataset_load(d, o, err, sizeof err);
    if (rc) print_message("load failed: %s\n", err);
    assert_int_equal(rc, 0);
}

/* Loads, asserts failure, and checks err contains want. */
static inline void tu_load_fails(const struct data_opts *o, const char *want)
{
    struct dataset d;
    char err[1024] = "";
    int rc = dataset_load(&d, o, err, sizeof err);
    if (rc == 0) dataset_free(&d);
    if (!strstr(err, want)) print_message("error '%s' lacks '%s'\n", err, want);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, want));
}

/* Redirects stream (stdout/stderr) into path until tu_capture_end; returns the saved fd. */
static inline int tu_capture_begin(FILE *stream, const char *path)
{
    fflush(stream);
    int saved = dup(fileno(stream));
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, fileno(stream));
    close(fd);
    return saved;
}

static inline void tu_capture_end(FILE *stream, int saved)
{
    fflush(stream);
    dup2(saved, fileno(stream));
    close(saved);
}

/* The whole file as a NUL-terminated string (caller frees). */
static inline char *tu_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static inline int64_t tu_list_len(const struct field *f, int row) { return f->offs[row + 1] - f->offs[row]; }

static inline void tu_same_dataset(const struct dataset *a, const struct dataset *b)
{
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->label_rule, b->label_rule);
    assert_int_equal(a->n_rows, b->n_rows);
    assert_int_equal(a->n_fields, b->n_fields);
    assert_int_equal(a->user_field, b->user_field);
    assert_int_equal(a->item_field, b->item_field);
    assert_int_equal(a->category_field, b->category_field);
    assert_int_equal(a->synthetic_fallback, b->synthetic_fallback);
    assert_int_equal(a->day_split, b->day_split);
    assert_int_equal(a->day_offset_s, b->day_offset_s);
    size_t n = (size_t)a->n_rows;
    for (int f = 0; f < a->n_fields; f++) {
        const struct field *x = &a->fields[f], *y = &b->fields[f];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->card, y->card);
        assert_int_equal(x->multi, y->multi);
        if (x->multi) {
            assert_memory_equal(x->offs, y->offs, (n + 1) * sizeof *x->offs);
            if (x->offs[n]) assert_memory_equal(x->mids, y->mids, (size_t)x->offs[n] * sizeof *x->mids);
        } else if (n) {
            assert_memory_equal(x->ids, y->ids, n * sizeof *x->ids);
        }
    }
    if (n) assert_memory_equal(a->label, b->label, n * sizeof *a->label);
    assert_int_equal(a->time == NULL, b->time == NULL);
    if (a->time && n) assert_memory_equal(a->time, b->time, n * sizeof *a->time);
    assert_int_equal(a->prob == NULL, b->prob == NULL);
    if (a->prob && n) assert_memory_equal(a->prob, b->prob, n * sizeof *a->prob);
}

/* A dataset loaded from the cache: every column points into d->map, 64-byte aligned. */
static inline void tu_mapped(const struct dataset *d)
{
    const char *lo = d->map, *hi = lo + d->map_len;
    assert_non_null(d->map);
    const void *cols[4 + 2 * 64];
    size_t k = 0;
    cols[k++] = d->label;
    if (d->time) cols[k++] = d->time;
    if (d->prob) cols[k++] = d->prob;
    for (int f = 0; f < d->n_fields && f < 64; f++) {
        if (d->fields[f].multi) {
            cols[k++] = d->fields[f].offs;
            cols[k++] = d->fields[f].mids;
        } else {
            cols[k++] = d->fields[f].ids;
        }
    }
    for (size_t i = 0; i < k; i++) {
        const char *p = cols[i];
        assert_true(p >= lo && p <= hi);
        assert_int_equal((uintptr_t)p % 64, 0);
    }
}

/* Loads with stderr captured; checks the result equals fresh and stderr holds want
 * (NULL: stderr empty). */
static inline void tu_load_expect(const struct data_opts *o, const struct dataset *fresh, const char *tmp, const char *want)
{
    char log[600];
    snprintf(log, sizeof log, "%.500s/stderr.txt", tmp);
    struct dataset d;
    int saved = tu_capture_begin(stderr, log);
    char err[1024] = "";
    int rc = dataset_load(&d, o, err, sizeof err);
    tu_capture_end(stderr, saved);
    char *text = tu_read(log);
    if (rc) print_message("load failed: %s\n", err);
    assert_int_equal(rc, 0);
    if (want ? !strstr(text, want) : text[0] != '\0')
        print_message("stderr: '%s', wanted '%s'\n", text, want ? want : "");
    if (want) assert_non_null(strstr(text, want));
    else assert_string_equal(text, "");
    free(text);
    tu_same_dataset(&d, fresh);
    dataset_free(&d);
}

#endif
