/* Helpers of the results-DB tests: a scratch folder and one-number queries. */
#ifndef APG_TEST_DB_TESTUTIL_H
#define APG_TEST_DB_TESTUTIL_H
#include <stddef.h>
#include "store.h"

/* Makes a fresh folder /tmp/<prefix>XXXXXX into dir (at least 64 bytes); 0 or -1. */
int  db_test_mkdir(char *dir, const char *prefix);
/* rm -rf dir. */
void db_test_rmdir(const char *dir);
/* The first column of the first row of sql as an integer (a cmocka failure when the
 * statement does not prepare); -1 when there is no row. */
long long db_query_int(struct store *st, const char *sql);

#endif
