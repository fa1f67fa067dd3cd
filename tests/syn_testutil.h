/* The synthetic dataset (ml1m-like, the default options) of a given size and its seeded
 * 80/10/10 split, loaded once per test binary: SYN_FIXTURE(ROWS) defines the file's
 * `data` and `split` and the cmocka group setup / teardown that fill and free them. */
#ifndef APG_SYN_TESTUTIL_H
#define APG_SYN_TESTUTIL_H
#include <stdio.h>
#include "dataset.h"

#define SYN_FIXTURE(ROWS)                                                  \
    static struct dataset data;                                           \
    static struct split split;                                            \
    static int setup(void **state)                                        \
    {                                                                     \
        (void)state;                                                      \
        struct data_opts o;                                               \
        char err[256];                                                    \
        data_opts_default(&o);                                            \
        o.rows = (ROWS);                                                  \
        if (dataset_load(&data, &o, err, sizeof err)) {                   \
            fprintf(stderr, "dataset: %s\n", err);                        \
            return -1;                                                    \
        }                                                                 \
        split_random(&split, &data, 0.8, 0.1, o.data_seed);              \
        return 0;                                                         \
    }                                                                     \
    static int teardown(void **state)                                     \
    {                                                                     \
        (void)state;                                                      \
        split_free(&split);                                               \
        dataset_free(&data);                                              \
        return 0;                                                         \
    }

#endif
