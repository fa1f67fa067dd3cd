/* The reproduction report: one Markdown file (out/report/README.md) with the figures
 * beside it. For every paper table and figure: what the DB holds (or the command that
 * makes it), ours beside the paper's with gains and significance (results/table.c),
 * real or synthetic data, seeds, the hosts and git revisions of the runs, and a verdict
 * per cell. Only reads the DB. */
#ifndef APG_REPORT_H
#define APG_REPORT_H
#include <stddef.h>
#include <stdio.h>
#include "store.h"

struct report_opts {
    const char *out_dir;     /* README.md and the figures; default out/report */
    const char *db_path;     /* named in the commands of missing runs */
    const char *gnuplot;     /* as plot_opts.gnuplot */
    FILE       *log;         /* progress; NULL: stderr */
};

enum report_verdict {
    VERDICT_NONE,            /* no number to compare (figure point, no paper value) */
    VERDICT_MISSING,         /* no finished run */
    VERDICT_ONE_SEED,        /* one seed: no spread to judge by */
    VERDICT_REPRODUCED,      /* |ours - paper| <= 2 sample std over seeds */
    VERDICT_BETTER,
    VERDICT_WORSE,
    VERDICT_SYNTHETIC,       /* an absolute AUC on a synthetic stand-in: not comparable */
};
const char *report_verdict_name(enum report_verdict v);
/* The verdict on ours (mean over n seeds with sample std sd) against the paper's value. */
enum report_verdict report_judge(double ours, double sd, int n, double paper);

/* Writes o->out_dir/README.md (and the figures, when gnuplot is there). 0 or -1 with err. */
int report_write(struct store *st, const struct report_opts *o, char *err, size_t errlen);

#endif
