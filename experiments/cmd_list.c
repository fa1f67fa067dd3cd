/* apg list: every registry (backbones, datasets, APG forms and conditions, paper tables, ops). */
#include "backbone.h"
#include "commands.h"
#include "condition.h"
#include "reparam.h"
#include "dataset.h"
#include "op.h"
#include "spec.h"
#include <stdio.h>
#include <string.h>

int cmd_list(int argc, char **argv)
{
    if (argc > 0) {
        int help = strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0;
        if (!help) fprintf(stderr, "apg list: takes no arguments, got '%s' (see apg list --help)\n", argv[0]);
        else printf("usage: apg list\n\nPrints every registry: backbones, datasets, APG forms and conditions, paper tables, autodiff ops.\n");
        return help ? 0 : 2;
    }
    printf("backbones:\n");
    for (int i = 0; i < backbone_count(); i++) {
        const struct backbone_ops *b = backbone_at(i);
        printf("  %-10s %s\n", b->name, b->help);
        if (!b->opts) continue;
        printf("  %-10s options:", "");
        for (const struct opt *o = b->opts; o->name; o++) printf(" --%s", o->name);
        printf("  (apg train --help shows them with defaults)\n");
    }
    printf("datasets:\n");
    for (int i = 0; i < dataset_spec_count(); i++)
        printf("  %-10s %s\n", dataset_spec_at(i)->name, dataset_spec_at(i)->help);
    printf("APG weight forms (--apg; none = the base model):\n");
    for (int i = 0; i < reparam_count(); i++) {
        const struct reparam_form *f = reparam_at(i);
        printf("  %-4s %-36s generated: %s%s%s\n", f->name, f->formula, f->generated,
               f->collapse_to ? ", collapses to " : "", f->collapse_to ? f->collapse_to : "");
    }
    printf("APG conditions (--condition):\n");
    for (int i = 0; i < condition_count(); i++)
        printf("  %-34s %s\n", condition_at(i)->syntax, condition_at(i)->help);
    printf("paper tables (apg reproduce NAME, apg results NAME):\n");
    for (int i = 0; i < spec_count(); i++)
        printf("  %-8s %3d cells  %s\n", spec_at(i)->name, spec_at(i)->n_cells, spec_at(i)->title);
    printf("ops:\n ");
    for (int i = 1; i < OP_COUNT; i++) printf(" %s", op_table[i].name);
    printf("\n");
    return 0;
}
