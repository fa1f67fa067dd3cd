/* Shared fixture and checks of the backbone tests. */
#ifndef APG_TEST_BB_TESTUTIL_H
#define APG_TEST_BB_TESTUTIL_H
#include <stdint.h>
#include "model.h"

#define BB_T_B 5    /* rows of the tiny batch */
#define BB_T_F 3    /* its fields, cards 3, 4, 5 */

/* A tiny model on 3 fields, one batch of 5 rows, parameters moved off their init. */
struct bb_fx {
    struct dataset d;
    int64_t base[BB_T_F];
    int32_t rows[BB_T_B];
    void *mem;
    struct batch b;
    struct model m;
    struct rng rng;
};

/* Sets backbone option NAME (an int) through the backbone's option table. */
void bb_set_opt(struct model_cfg *c, const char *backbone, const char *name, int v);
/* model_cfg_default + the backbone's defaults, emb 4, hidden 6,5, APG apg (self, K 2, P 3). */
void bb_tiny_cfg(struct model_cfg *c, const char *backbone, const char *apg);
void bb_fx_init(struct bb_fx *x, const char *backbone, const struct model_cfg *cfg);
void bb_fx_free(struct bb_fx *x);
/* Asserts logits (B, 1), then a central-difference check of the mean BCE against up to
 * 24 entries of every parameter (one-sided differences accepted at a ReLU kink);
 * asserts no mismatch. label names the run in the messages. */
void bb_assert_gradcheck(struct bb_fx *x, const char *label);

/* Trains `backbone` (+ APG `apg`, self-wise) on 100k synthetic rows for one epoch on 2
 * threads and asserts a test AUC within 0.06 of the oracle AUC (and not above it). */
void bb_assert_learns(const char *backbone, const char *apg);

#endif
