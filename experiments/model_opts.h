/* Command-line options that define a model: backbone, shared sizes and APG. Shared by
 * train, and stored in checkpoints so that a model can be rebuilt exactly. */
#ifndef APG_MODEL_OPTS_H
#define APG_MODEL_OPTS_H
#include <stddef.h>
#include <stdio.h>
#include "cli.h"
#include "model.h"
#include "dataset.h"

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
 * it (wdl when absent), so the backbone's own options can be parsed with the rest. An
 * option of another backbone is an error naming it: "--dcn-layers is an option of
 * backbone dcn: add --backbone dcn (the backbone is wdl)". */
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

/* Options given in argv that would silently change nothing are refused (exit 2 by the
 * caller), e.g. "--condition has no effect with --apg none (the base model): ...", "--K
 * has no effect with --apg v1 (...): drop it", --P outside v6-v8, --chain-lr outside
 * v6-v8, --gen-hidden with --gen-layers 1. Whether a form uses K or P is read off its
 * sizes (gen_size, shared_size), not listed by hand. 0, or -1 with err. */
int  model_opts_check_effect(const struct model_opts *o, int argc, char **argv, char *err, size_t errlen);
/* The same for data options: the csv options (--label, --fields, --multi, --delim,
 * --file) with another --dataset, --like with a real dataset. */
int  data_opts_check_effect(const struct data_opts *o, int argc, char **argv, char *err, size_t errlen);

/* The exit status of a failed dataset_load: 2 when err is an option error found at load
 * time (it names the option, "csv: --delim: ...", or an unknown preset or dataset), 1
 * for a data error (a missing or damaged file). */
int  data_load_exit_code(const char *err);
#endif
