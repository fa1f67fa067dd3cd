/* Paper tables from the results DB: a spec's cells in the paper's layout, ours (mean +-
 * sample std over seeds, n) beside the paper's number, the gain of each APG row over its
 * base row with a paired t-test over seeds and DeLong's test on the shared test rows.
 * Only reads the DB. */
#ifndef APG_TABLE_H
#define APG_TABLE_H
#include <stdint.h>
#include <stdio.h>
#include "spec.h"
#include "store.h"

enum table_format { TABLE_TEXT, TABLE_MD, TABLE_CSV, TABLE_LATEX };
int table_format_parse(const char *s);   /* -1 if unknown */

#define TABLE_ALPHA 0.05   /* significance threshold of both tests */

/* Prints spec's table from grid (0 = the latest grid of the spec). 0; 1 when the DB
 * holds no grid of the spec (a line saying how to make one is printed); -1 with err. */
int table_print(FILE *f, struct store *st, const struct spec_table *spec, int64_t grid, enum table_format fmt,
                char *err, size_t errlen);

#endif
