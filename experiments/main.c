/* apg: the command-line entry point. Dispatches to the commands of commands.def. */
#include "commands.h"
#include "dist.h"
#include "threads.h"
#include <stdio.h>
#include <string.h>

struct command { const char *name, *help; int (*fn)(int, char **); };
static const struct command commands[] = {
#define X(name, help) { #name, help, cmd_##name },
#include "commands.def"
#undef X
};
#define N_COMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void usage(FILE *f)
{
    fprintf(f, "usage: apg COMMAND [options]   (apg COMMAND --help for its options)\n\n"
               "APG-C: adaptive parameter generation for CTR models (Yan et al., APG).\n\ncommands:\n");
    for (int i = 0; i < N_COMMANDS; i++) fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\nexample: apg train --dataset synthetic --rows 200000 --backbone wdl --epochs 1\n");
}

/* Under mpirun with several ranks: the commands that share their work among them. */
static int runs_sharded(const char *name)
{
    return !strcmp(name, "reproduce") || !strcmp(name, "plot") || !strcmp(name, "train");
}

/* Runs a command; in an MPI job every rank does, and a failing rank ends the job (the
 * others could wait on it forever). */
static int run_command(const struct command *c, int argc, char **argv)
{
    if (dist_size() > 1 && !runs_sharded(c->name)) {
        if (dist_rank() == 0)
            fprintf(stderr, "apg %s: does not run as %d MPI ranks (apg reproduce and apg plot --run-missing "
                    "share their runs among the ranks, apg train --dist its minibatches); run it without mpirun\n", c->name, dist_size());
        dist_finalize();
        return 2;
    }
    int rc = c->fn(argc, argv);
    fflush(NULL);
    if (rc != 0 && dist_size() > 1) dist_abort(rc);
    dist_finalize();
    return rc;
}

int main(int argc, char **argv)
{
    apg_blis_setup();
    char err[256];
    if (dist_init(&argc, &argv, err, sizeof err)) {
        fprintf(stderr, "apg: %s\n", err);
        return 2;
    }
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return run_command(&commands[i], argc - 2, argv + 2);
    fprintf(stderr, "apg: unknown command '%s' (valid:", argv[1]);
    for (int i = 0; i < N_COMMANDS; i++) fprintf(stderr, " %s", commands[i].name);
    fprintf(stderr, ")\n");
    return 2;
}
