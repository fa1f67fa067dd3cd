/* One seeded generator (xoshiro256**, seeded through splitmix64) threaded through
 * initialisation, shuffling, splits and synthetic data. Same seed = same stream. */
#ifndef APG_RNG_H
#define APG_RNG_H
#include <stdint.h>

struct rng { uint64_t s[4]; };

void     rng_seed(struct rng *r, uint64_t seed);
/* An independent stream derived from r's seed and a label (so adding a consumer of
 * one stream does not shift another). */
void     rng_fork(struct rng *child, const struct rng *parent, uint64_t label);
uint64_t rng_u64(struct rng *r);
double   rng_double(struct rng *r);            /* [0, 1) */
float    rng_uniform(struct rng *r, float lo, float hi);
double   rng_normal(struct rng *r);            /* N(0, 1) */
uint32_t rng_below(struct rng *r, uint32_t n); /* [0, n), unbiased */
void     rng_shuffle_i32(struct rng *r, int32_t *a, int n);

#endif
