/* Fuzz targets: every dataset loader, the dataset cache reader and the checkpoint
 * reader, each a function from bytes to one load attempt. One table (targets.def)
 * serves three drivers: libFuzzer (main_libfuzzer.c, `make fuzz`), the seed corpus
 * writer (main_seeds.c) and the replay + mutation test (tests/test_fuzz.c).
 *
 * A target either accepts its input, and the result must then pass every invariant
 * (fuzz_check_dataset: ids inside their cardinality, list offsets increasing, labels
 * 0/1, a split covering every row once), or refuses it with a one-line error. Anything
 * else (garbage accepted, an error without a message) aborts, which libFuzzer and the
 * sanitizers report as a crash like any memory error. */
#ifndef APG_FUZZ_H
#define APG_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include "dataset.h"

enum { FUZZ_LOADED = 0, FUZZ_REFUSED = 1 };

typedef void (*fuzz_emit_fn)(const char *name, const void *p, size_t n, void *ctx);

struct fuzz_target {
    const char *name;
    const char *what;                            /* what the input bytes are */
    int (*one)(const uint8_t *data, size_t n);   /* FUZZ_LOADED or FUZZ_REFUSED */
    /* Emits the built-in valid seed inputs (each must load: tests/test_fuzz.c checks). */
    void (*seeds)(fuzz_emit_fn emit, void *ctx);
};

#define X(name) extern const struct fuzz_target fuzz_target_##name;
#include "targets.def"
#undef X

int fuzz_target_count(void);
const struct fuzz_target *fuzz_target_at(int i);
const struct fuzz_target *fuzz_target_find(const char *name);   /* NULL if unknown */

/* This process's private temporary folder under /dev/shm (else /tmp), made on first
 * use, removed at exit. */
const char *fuzz_dir(void);
/* Writes n bytes to fuzz_dir()/rel (creating rel's one subfolder); aborts on I/O errors. */
void fuzz_write(const char *rel, const void *p, size_t n);
/* Loader input layout: byte 0 holds flags, the rest is the file's bytes. */
#define FUZZ_FILE(flags)     ((flags) & 3)        /* which file of the loader the bytes are */
#define FUZZ_SKIP_BAD        (1u << 2)            /* --skip-bad-rows */
#define FUZZ_SPLIT_TIME      (1u << 3)            /* --split time */
#define FUZZ_DROP_NEUTRAL    (1u << 4)            /* --drop-neutral */
#define FUZZ_MIN_COUNT       (1u << 5)            /* --min-count 2 */
#define FUZZ_NUMERIC         (1u << 6)            /* criteo: --numeric default (bucket:3 with --skip-bad-rows, else minmax) */
/* Loads o (no cache) and checks the outcome: a loaded dataset must pass
 * fuzz_check_dataset and split (dataset_split) into a partition of its rows, or be
 * refused with a message. Returns FUZZ_LOADED or FUZZ_REFUSED; aborts otherwise. */
int  fuzz_load(const struct data_opts *o, uint8_t flags);
/* Aborts (naming the broken invariant on stderr) unless d is well formed. */
void fuzz_check_dataset(const struct dataset *d);
/* rc 0: FUZZ_LOADED; rc != 0 with a nonempty err: FUZZ_REFUSED; else aborts. */
int  fuzz_outcome(int rc, const char *err, const char *who);
/* on: stderr goes to /dev/null (the loaders' warnings about skipped rows) until
 * fuzz_quiet(0); fuzz_fail still reports on the real stderr. */
void fuzz_quiet(int on);
/* Prints "fuzz: WHAT" and aborts. */
void fuzz_fail(const char *what) __attribute__((noreturn));

#endif
