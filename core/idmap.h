/* String -> dense id maps and the column builder the real-data loaders fill row by row.
 *
 * idmap: each distinct byte string gets the next id in order of first appearance,
 * starting at 1 (id 0 is padding / OOV). tbuild: per-field id columns (single or
 * multi-valued), labels and optional timestamps, grown row by row; a half-built row
 * can be discarded (bad-row skipping). tbuild_finish renumbers every field in order
 * of first appearance in the kept rows and moves the columns into a struct dataset
 * (--min-count is applied later, over the training rows: dataset_apply_min_count). */
#ifndef APG_IDMAP_H
#define APG_IDMAP_H
#include <stddef.h>
#include <stdint.h>
#include "data.h"

struct idmap {
    uint64_t *slots;      /* (hash high 32 bits << 32) | id; 0 = empty slot */
    size_t    cap;        /* slots, a power of two */
    int32_t   n;          /* ids 1..n are in use */
    int32_t   scap;
    size_t   *soff;       /* soff[id-1]: offset of the id's string in pool */
    uint32_t *slen;
    char     *pool;       /* the strings, each NUL-terminated */
    size_t    pool_len, pool_cap;
};

void        idmap_init(struct idmap *m);
void        idmap_free(struct idmap *m);
/* The id of s[0..len), adding it if new. -1 only when out of memory. */
int32_t     idmap_get(struct idmap *m, const char *s, size_t len);
/* The id of s[0..len), or 0 when absent. */
int32_t     idmap_find(const struct idmap *m, const char *s, size_t len);
const char *idmap_str(const struct idmap *m, int32_t id);

/* Renumbers ids[0..n) (values in [0, card)) densely in order of first appearance;
 * values seen fewer than min_count times (and 0) become 0. Returns the new card
 * (kept values + 1), or -1 when out of memory. */
int32_t idmap_compact(int32_t *ids, size_t n, int32_t card, int64_t min_count);

struct tcol {
    char         name[DATA_NAME_LEN];
    int          multi;
    struct idmap map;
    int32_t     *ids;        /* single: one per row; multi: every row's list, concatenated */
    size_t       n_ids, cap_ids;
    int64_t     *offs;       /* multi: row r's list is ids[offs[r] .. offs[r+1]) */
    int32_t      buckets;    /* > 0: values hash into this many buckets (tbuild_hash_buckets) */
    float       *num;        /* numeric (tbuild_numeric): one raw value per row, NaN = missing */
};

struct tbuild {
    int          n_fields;
    struct tcol *cols;
    float       *label;
    int64_t     *time;       /* NULL unless has_time */
    size_t       n_rows, cap_rows;
    int          oom;        /* an allocation failed: tbuild_finish reports it */
    int          header_lines; /* header lines of the sources (the loader counts them) */
    int          has_missing;/* numeric: `missing` is a sentinel value meaning missing */
    double       missing;
};

/* names[f], multi[f] for each field; has_time: keep a timestamp per row. 0 or -1 (oom). */
int     tbuild_init(struct tbuild *t, int n_fields, const char *const *names, const int *multi,
                    int has_time);
void    tbuild_free(struct tbuild *t);
/* --hash-buckets SPEC: a comma-separated list of N (every field) and FIELD=N items
 * (that field; it wins over N), N in 1..TBUILD_MAX_BUCKETS. A hashed field keeps no
 * map of its values (bounded memory whatever their number): value s gets bucket
 * FNV-1a-64(s's bytes) mod N, the empty value (missing) a bucket N+1 of its own, and
 * tbuild_finish numbers the buckets that occur densely 1.. like any other ids. SPEC
 * NULL or "": nothing is hashed. who prefixes messages. 0, or -1 with err. */
#define TBUILD_MAX_BUCKETS (1 << 24)
int     tbuild_hash_buckets(struct tbuild *t, const char *spec, const char *who, char *err, size_t errlen);
/* --numeric SPEC: the fields named in the comma-separated SPEC (or, SPEC "default",
 * those of deflt, a comma-separated list, NULL when the loader has none) hold numbers:
 * tbuild_num stores their raw values (field.num) and ids 1 (present) / 0 (missing).
 * missing: NULL (the loader's default, deflt_missing: NULL for none), "none", or a
 * number whose cells also count as missing (e.g. -1). A multi-valued field cannot be
 * numeric; call it before tbuild_hash_buckets, which leaves numeric fields alone (N)
 * or refuses them (FIELD=N). SPEC NULL or "": none. who prefixes messages. 0, or -1
 * with err. */
int     tbuild_numeric(struct tbuild *t, const char *spec, const char *deflt, const char *missing,
                       const char *deflt_missing, const char *who, char *err, size_t errlen);
static inline int tbuild_is_num(const struct tbuild *t, int f) { return t->cols[f].num != NULL; }
/* Sets numeric field f of the current row from the cell s[0..len): empty (or the
 * missing sentinel) is missing; otherwise a finite decimal number of magnitude under
 * 1e30 (strtod syntax, no inf/nan/hex). 0, or -1 when s is not one (nothing stored:
 * the caller reports the bad row). */
int     tbuild_num(struct tbuild *t, int f, const char *s, size_t len);
/* Interns s[0..len) in field f's map (does not add it to the row). */
int32_t tbuild_intern(struct tbuild *t, int f, const char *s, size_t len);
/* Adds an id (from tbuild_intern, or 0) to the current row: sets a single-valued field
 * (exactly once per row), appends to a multi-valued field's list. */
void    tbuild_push(struct tbuild *t, int f, int32_t id);
/* Interns and pushes in one call. */
void    tbuild_add(struct tbuild *t, int f, const char *s, size_t len);
/* Commits the current row. */
void    tbuild_row(struct tbuild *t, float label, int64_t time);
/* Drops whatever the current row pushed so far. */
void    tbuild_discard(struct tbuild *t);
/* min_item_count > 1: drops the rows whose item_field value occurs fewer times in the
 * whole file (a dataset filter, before any split: the paper's thinning of Amazon).
 * Then compacts every field (idmap_compact, every value kept) and moves the columns
 * into d (dataset_init(d, name, ...)); t is left empty. 0, or -1 with err set. */
int     tbuild_finish(struct tbuild *t, struct dataset *d, const char *name, int item_field,
                      int64_t min_item_count, char *err, size_t errlen);

#endif
