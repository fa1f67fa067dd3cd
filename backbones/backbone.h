/* Backbone registry: one list (backbones.def), one vtable per backbone file.
 * A backbone maps the batch's field embeddings (B, F, E) to logits (B, 1), building
 * every MLP layer through dense() (backbones/layers.h). */
#ifndef APG_BACKBONE_H
#define APG_BACKBONE_H
#include <stddef.h>
#include "cli.h"
#include "layers.h"

#define MODEL_MAX_HIDDEN MLP_MAX_LAYERS
#define BACKBONE_CFG_MAX 256     /* bytes of a backbone's own options struct */

/* Options common to every backbone (the paper: same embedding size, hidden 256-128-64). */
struct model_cfg {
    int   emb_dim;
    int   hidden[MODEL_MAX_HIDDEN];
    int   n_hidden;
    float emb_init;      /* embedding init std */
    struct apg_cfg apg;  /* APG of the MLP hidden layers (variant "none" = base model) */
    /* The backbone's own options (struct <name>_cfg of backbones/<name>.c), set to its
     * defaults by backbone_cfg_default() and filled from its option table. */
    _Alignas(16) unsigned char bb_cfg[BACKBONE_CFG_MAX];
};

struct backbone_ops {
    const char *name;            /* first member: read by the registry (core/registry.h) */
    const char *help;            /* one line: the paper and what the model is */
    size_t      state_size;      /* private state, zeroed before init */
    /* Its own hyper-parameters: a struct of cfg_size bytes (<= BACKBONE_CFG_MAX) in
     * model_cfg.bb_cfg, defaults from cfg_default, options named "<name>-..." with
     * offsets into that struct (NULL when it has none). */
    size_t      cfg_size;
    void      (*cfg_default)(void *bb_cfg);
    const struct opt *opts;
    /* Declare parameters through c. 0, or -1 with err. */
    int (*init)(void *state, const struct model_cfg *cfg, struct layer_ctx *c, char *err, size_t errlen);
    /* -> logits (B, 1) */
    struct tensor *(*forward)(void *state, struct fwd_ctx *f);
};

#define X(name) extern const struct backbone_ops backbone_##name;
#include "backbones.def"
#undef X

const struct backbone_ops *backbone_find(const char *name);
int backbone_count(void);
const struct backbone_ops *backbone_at(int i);
const char *backbone_names(void);   /* "wdl, pnn, ..." */
/* Zeroes cfg->bb_cfg and applies b's defaults. */
void backbone_cfg_default(const struct backbone_ops *b, struct model_cfg *cfg);

#endif
