/* Binary cache of parsed datasets (under --cache-dir, default out/cache).
 *
 * File CACHE_DIR/SPEC-OPTSHASH.apgcache = a fixed header (magic "APGCACHE", version,
 * byte-order mark, spec name, a hash of every option that changes the parse, for each
 * source file its real path's hash, its size and the SHA-256 of all its bytes, payload
 * length and checksum, header checksum) followed by the payload (dataset metadata,
 * field table, then the raw columns, each part starting on a 64-byte boundary of the
 * file). The checksum is FNV-1a 64 taken over 64-bit little-endian words (bytewise for
 * a tail). What a load checks, in order, each failure one stderr line and a rebuild:
 *   - the file is a regular file (opened O_NONBLOCK: a FIFO or device never blocks);
 *   - magic, byte order, header checksum, CACHE_VERSION;
 *   - spec, option hash, and per source: same real path, same size, same SHA-256 of
 *     its bytes (mtime is not used: a file edited with its size and mtime restored is
 *     stale, a `touch`ed or copied one is not); the sources are hashed before a build,
 *     so a file edited while it is parsed leaves a stale cache, never a wrong one;
 *   - file length = header + payload, zero padding, payload checksum, part sizes;
 *   - the contents, as a file from elsewhere can carry a matching checksum: every id
 *     in [0, card) and card in [1 or 2, values + 1] (ids are dense; a single-valued
 *     field of a non-empty set has a real value), the cards summing to under 2^31,
 *     list offsets non-decreasing from 0 to the list total, labels exactly 0 or 1,
 *     probabilities in [0, 1], user/item/category field indices in [-1, n_fields),
 *     flags 0/1, the day offset within a day.
 * A cache is written to a temporary file and renamed into place, so a file once
 * complete never changes. Loading maps the file read-only and points the dataset's
 * columns into the mapping (d->map): no copy, and all of the above runs every load
 * (hashing the sources reads them once: about a second per 250 MB). */
#ifndef APG_CACHE_H
#define APG_CACHE_H
#include <stddef.h>
#include <stdint.h>
#include "data.h"
#include "dataset.h"

#define CACHE_MAGIC      "APGCACHE"
#define CACHE_VERSION    6      /* 6: numeric columns; 5: given split sizes; 4: sources identified by size + SHA-256 of their bytes (3: by mtime) */
#define CACHE_MAX_SOURCES 8

/* What a cached dataset was parsed from. */
struct cache_key {
    const char *spec;                          /* dataset spec name */
    const char *paths[CACHE_MAX_SOURCES];      /* source files that exist */
    int         n_paths;
    uint64_t    opts_hash;                     /* cache_hash_* of the parse options */
};

/* FNV-1a 64 chaining helpers for building opts_hash (start from CACHE_HASH_SEED). */
#define CACHE_HASH_SEED 0xcbf29ce484222325ULL
uint64_t cache_hash_bytes(uint64_t h, const void *p, size_t n);
uint64_t cache_hash_str(uint64_t h, const char *s);      /* NULL hashes differently from "" */
uint64_t cache_hash_i64(uint64_t h, int64_t v);
/* Adds key->spec, the real paths of the sources and the options every loader shares
 * (skip_bad_rows, drop_neutral, min_item_count, hash_buckets) to h; returns the hash. min_count is
 * not among them: it is applied after loading, over the training rows of the split
 * (dataset_load), so one cache serves every --min-count, --split and --data-seed. */
uint64_t cache_hash_common(uint64_t h, const struct cache_key *k, const struct data_opts *o);

/* Checksum of the payload (exposed for tests). */
uint64_t cache_checksum(uint64_t h, const void *p, size_t n);

/* Builds the dataset from the sources; 0 or -1 with err set. n_skipped: bad rows
 * skipped (stored in the cache, reported again when it is loaded). */
typedef int (*cache_build_fn)(struct dataset *d, void *ctx, int *n_skipped, char *err, size_t errlen);

/* o->no_cache: build. Otherwise load CACHE_DIR/SPEC-HASH.apgcache when it is valid,
 * else build and save it. A cache that cannot be written is a warning, not an error. */
int cache_load_or_build(struct dataset *d, const struct data_opts *o, const struct cache_key *k,
                        cache_build_fn build, void *ctx, char *err, size_t errlen);

/* For tests and fuzzing: gives the n-byte cache image buf the source header of k
 * (spec, options hash, the sources' sizes and SHA-256) and matching checksums over
 * whatever it holds, as a file from elsewhere can have, so that a load reaches the
 * checks of the contents. Magic, version and payload size are left as they are. 0, or
 * -1 (n shorter than the header, or k's sources unreadable). */
int cache_reseal(void *buf, size_t n, const struct cache_key *k);
/* The load of a one-file spec: path must open as a regular file without blocking
 * (csvread_open: "SPEC: PATH: not a regular file (a FIFO)"), then cache_load_or_build
 * over the key of that one source and o's shared options. 0, or -1 with err. */
int cache_load_file(struct dataset *d, const struct data_opts *o, const char *spec, const char *path,
                    cache_build_fn build, void *ctx, char *err, size_t errlen);
/* The same over the files of f (dataset_find_files); their roles and the loader's own
 * options (spec_hash, a cache_hash_* chain from CACHE_HASH_SEED, or 0) are in the key. */
int cache_load_files(struct dataset *d, const struct data_opts *o, const char *spec, const struct dataset_files *f,
                     uint64_t spec_hash, cache_build_fn build, void *ctx, char *err, size_t errlen);

/* The cache file of k under dir. */
void cache_path(char *out, size_t n, const char *dir, const struct cache_key *k);
/* Writes d (tmp file + rename). 0 or -1 with err set. */
int  cache_save(const char *path, const struct dataset *d, const struct cache_key *k, int n_skipped,
                char *err, size_t errlen);
/* 0: d loaded, its columns in a read-only mapping of the file (dataset_free unmaps);
 * 1: no cache file; -1: invalid (why says what, d left empty). */
int  cache_load(const char *path, struct dataset *d, const struct cache_key *k, int *n_skipped,
                char *why, size_t whylen);

#endif
