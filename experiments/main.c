/* apg: the command-line entry point. Dispatches to the commands of commands.def. */
#include "commands.h"
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

int main(int argc, char **argv)
{
    apg_blis_setup();
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].fn(argc - 2, argv + 2);
    fprintf(stderr, "apg: unknown command '%s' (valid:", argv[1]);
    for (int i = 0; i < N_COMMANDS; i++) fprintf(stderr, " %s", commands[i].name);
    fprintf(stderr, ")\n");
    return 2;
}
