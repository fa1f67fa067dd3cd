/* Command-line options that define a model: backbone, shared sizes and APG. Shared by
 * train, and stored in checkpoints so that a model can be rebuilt exactly. */
#ifndef APG_MODEL_OPTS_H
#define APG_MODEL_OPTS_H
#include <stddef.h>
#include "cli.h"
#include "model.h"

struct model_opts {
    const char *backbone;
    const char *hidden;          /* "256,128,64" -> m.hidden */
    struct model_cfg m;
};

extern const struct opt model_opt_table[];   /* --backbone --emb-dim --emb-init --hidden */
extern const struct opt apg_opt_table[];     /* --apg --condition --K --P --gen-layers ... */
void model_opts_default(struct model_opts *o);
/* Parses --hidden and checks names (backbone, APG variant, condition strategy, init);
 * 0, or -1 with a one-line reason listing what is valid. */
int  model_opts_finish(struct model_opts *o, char *err, size_t errlen);

#endif
