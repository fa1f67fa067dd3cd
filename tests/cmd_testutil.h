/* Running an apg command in the test process: argv NULL-terminated, stdout flushed
 * around it so its output lands in order. Returns the command's exit status. */
#ifndef APG_CMD_TESTUTIL_H
#define APG_CMD_TESTUTIL_H
#include <stdio.h>

static inline int tu_run_cmd(int (*fn)(int, char **), char **argv)
{
    int argc = 0;
    while (argv[argc]) argc++;
    fflush(stdout);
    int rc = fn(argc, argv);
    fflush(stdout);
    return rc;
}

#endif
