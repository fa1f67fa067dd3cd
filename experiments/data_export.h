/* apg data export: a dataset's split as CSV files plus fields.json (data_export.c). */
#ifndef APG_DATA_EXPORT_H
#define APG_DATA_EXPORT_H
#include <stddef.h>
#include "data.h"

/* Writes dir/train.csv, val.csv, test.csv (the rows of s) and dir/fields.json
 * (creating dir). 0, or -1 with err naming the file. */
int data_export(const struct dataset *d, const struct split *s, const char *dir, char *err, size_t errlen);

#endif
