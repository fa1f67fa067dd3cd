/* apg report: the reproduction report (results/report.h) from the results DB. */
#include "cli.h"
#include "commands.h"
#include "report.h"
#include <stdio.h>

struct report_cli { const char *db, *out, *gnuplot; };

#define O(f) offsetof(struct report_cli, f)
static const struct opt report_opts_table[] = {
    { "db", OPT_STR, O(db), "PATH", "results DB to read", 0, 0 },
    { "out", OPT_STR, O(out), "DIR", "folder of README.md and the figures", 0, 0 },
    { "gnuplot", OPT_STR, O(gnuplot), "PROG", "gnuplot program (default $APG_GNUPLOT, else gnuplot)", 0, 0 },
    { NULL, 0, 0, NULL, NULL, 0, 0 },
};
#undef O

int cmd_report(int argc, char **argv)
{
    struct report_cli a = { .db = "out/results.db", .out = "out/report" };
    const struct opt_group g = { "report", report_opts_table, &a };
    char *pos[4], err[1024];
    int n_pos, help;
    if (cli_parse(&g, 1, argc, argv, pos, 4, &n_pos, &help, err, sizeof err)) {
        fprintf(stderr, "apg report: %s\n", err);
        return 2;
    }
    if (help) {
        printf("usage: apg report [options]\n\n"
               "Writes one Markdown reproduction report, OUT/README.md, with the figures beside it: every\n"
               "paper table and figure the DB holds (ours beside the paper's, gains and their significance,\n"
               "real or synthetic data, seeds, hosts and git revisions, a verdict per cell) and the command\n"
               "that makes each one it lacks. Reads the DB only.\n\n");
        cli_help(stdout, &g, 1);
        return 0;
    }
    if (n_pos) {
        fprintf(stderr, "apg report: unexpected argument '%s'\n", pos[0]);
        return 2;
    }
    struct store st;
    if (store_open(&st, a.db, 1, err, sizeof err)) {
        fprintf(stderr, "apg report: %s\n", err);
        return 1;
    }
    struct report_opts o = { .out_dir = a.out, .db_path = a.db, .gnuplot = a.gnuplot, .log = stderr };
    int rc = report_write(&st, &o, err, sizeof err);
    store_close(&st);
    if (rc) fprintf(stderr, "apg report: %s\n", err);
    return rc ? 1 : 0;
}
