/* Shared checks of the backbone tests. */
#ifndef APG_TEST_BB_TESTUTIL_H
#define APG_TEST_BB_TESTUTIL_H

/* Trains `backbone` (+ APG `apg`, self-wise) on 100k synthetic rows for one epoch on 2
 * threads and asserts a test AUC within 0.06 of the oracle AUC (and not above it). */
void bb_assert_learns(const char *backbone, const char *apg);

#endif
