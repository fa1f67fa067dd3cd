/* apg export MODEL OUT: the inference model of a checkpoint (paper 3.2.4, "no
 * additional inference latency"): every over-parameterised factor chain (v6 - v8) is
 * multiplied out into plain U (N x K) and V (K x M), i.e. the v3 form. */
#include "checkpoint.h"
#include "commands.h"
#include <stdio.h>

int cmd_export(int argc, char **argv)
{
    static const struct opt no_opts[] = { { NULL, 0, 0, NULL, NULL, 0, 0 } };
    const struct opt_group groups[] = { { "options", no_opts, NULL } };
    char err[768];
    char *pos[2];
    int n_pos, help;
    if (cli_parse(groups, 1, argc, argv, pos, 2, &n_pos, &help, err, sizeof err)) {
        fprintf(stderr, "apg export: %s\n", err);
        return 2;
    }
    if (help) {
        printf("usage: apg export MODEL OUT\n\n"
               "Writes OUT, the inference form of checkpoint MODEL: APG layers of the over-parameterised\n"
               "forms (v6, v7, v8) are collapsed into plain U (N x K) and V (K x M) factors (form v3), so\n"
               "inference costs what v3 costs. Other models are copied unchanged. Score OUT with apg predict.\n");
        return 0;
    }
    if (n_pos != 2) {
        fprintf(stderr, "apg export: expected MODEL and OUT (see --help)\n");
        return 2;
    }
    if (ckpt_check_writable(pos[1], err, sizeof err)) {
        fprintf(stderr, "apg export: %s\n", err);
        return 2;
    }
    int n;
    size_t before, after;
    if (ckpt_export(pos[0], pos[1], stdout, &n, &before, &after, err, sizeof err)) {
        fprintf(stderr, "apg export: %s\n", err);
        return 1;
    }
    if (n == 0) printf("%s: nothing to collapse, copied as is\n", pos[0]);
    printf("wrote %s: %d layer%s collapsed, parameter bytes %zu -> %zu (%.1f%%)\n", pos[1], n, n == 1 ? "" : "s",
           before, after, before ? 100.0 * (double)after / (double)before : 100.0);
    return 0;
}
