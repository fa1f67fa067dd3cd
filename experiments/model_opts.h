/* Command-line options that define a model: backbone, shared sizes and APG. Shared by
 * train, and stored in checkpoints so that a model can be rebuilt exactly. */
#ifndef APG_MODEL_OPTS_H
#define APG_MODEL_OPTS_H
#include <stddef.h>
#include <stdio.h>
#include "cli.h"
#include "model.h"

struct model_opts {
    const char *backbone;
    const char *hidden;          /* "256,128,64" -> m.hidden */
    struct model_cfg m;
};

extern const struct opt model_opt_table[];   /* --backbone --emb-dim --emb-init --hidden */
extern const struct opt apg_opt_table[];     /* --apg --condition --K --P --gen-layers ... */
#define MODEL_OPT_GROUPS 3
void model_opts_default(struct model_opts *o);
/* Sets o->backbone and its own options to their defaults; -1 with err if unknown. */
int  model_opts_backbone(struct model_opts *o, const char *name, char *err, size_t errlen);
/* Finds "--backbone NAME" / "--backbone=NAME" in argv (the last one wins) and selects
 * it (wdl when absent), so the backbone's own options can be parsed with the rest. */
int  model_opts_prescan(struct model_opts *o, int argc, char **argv, char *err, size_t errlen);
/* The option groups of o: model, APG, and the selected backbone's own (when it has
 * any). Returns the count (<= MODEL_OPT_GROUPS). */
int  model_opts_groups(struct model_opts *o, struct opt_group *g);
/* Prints the options of every backbone with their defaults (for --help). */
void model_opts_help_backbones(FILE *f);
/* Text made by cli_format over model_opts_groups -> o (prescans --backbone= first).
 * text is modified and must outlive o. 0, or -1 with err. */
int  model_opts_parse_text(struct model_opts *o, char *text, char *err, size_t errlen);
/* Parses --hidden and checks names (backbone, APG variant, condition strategy, init);
 * 0, or -1 with a one-line reason listing what is valid. */
int  model_opts_finish(struct model_opts *o, char *err, size_t errlen);

#endif
