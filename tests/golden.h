/* Golden tests of the backbones against a PyTorch reference (tests/golden/<name>.py,
 * helpers in tests/golden/golden.py). A .golden file is text, small enough to commit
 * and to read in a diff:
 *
 *   golden 1                       optional first line: magic + version
 *   # ...                          comments and blank lines anywhere
 *   config KEY VALUE               backbone = the model; every other key is a model
 *                                  option without its "--" (emb-dim, hidden, dcn-layers ..)
 *   field NAME CARD                one per categorical field, in order (single-valued);
 *   fields CARD CARD ...           or all cards at once (fields named f0, f1, ...)
 *   tensor NAME NDIM D0 [D1 [D2]]  followed by D0*D1*D2 numbers (any line breaks)
 *
 * Tensors the harness reads: ids (B, F) field-local ids, labels (B) (or label), every C
 * parameter by its param_store name (NAME, or param:NAME), logits (B, 1), loss (1) and
 * grad:NAME = dloss/dNAME for every parameter. Paths are relative to the repository
 * root (tests run from there). */
#ifndef APG_TESTS_GOLDEN_H
#define APG_TESTS_GOLDEN_H
#include <stddef.h>
#include "model.h"

struct golden_tensor {
    char  *name;
    int    ndim, shape[3], size;
    float *data;
};
struct golden_kv { char *key, *value; };
struct golden_field { char *name; int card; };

struct golden {
    char path[256];
    struct golden_field  *fields;  int n_fields;
    struct golden_kv     *config;  int n_config;
    struct golden_tensor *tensors; int n_tensors;
};

/* Parses path into g. 0, or -1 with err ("path:line: why"); g is empty on failure. */
int  golden_load(struct golden *g, const char *path, char *err, size_t n);
void golden_free(struct golden *g);
/* The named tensor (shape[] gets its dims, unused ones 1), or NULL. ndim, shape may be NULL. */
const float *golden_tensor(const struct golden *g, const char *name, int *ndim, int shape[3]);
/* The value of a config key, or NULL. */
const char *golden_config(const struct golden *g, const char *key);

/* The model configuration the golden file describes: model_cfg_default, backbone's own
 * defaults, then every config key but "backbone" applied as the option --KEY VALUE of
 * apg train (an unknown key is an error). String values point into g. 0, or -1 + err. */
int  golden_model_cfg(const struct golden *g, const char *backbone, struct model_cfg *cfg,
                      char *err, size_t n);

/* The whole check: a dataset of the golden fields (rows = batch, ids from "ids", labels
 * from "labels"), model_init with cfg (NULL: golden_model_cfg), every parameter copied
 * from the file (a C parameter the file lacks, a shape mismatch, or a file parameter
 * the model lacks is an error), then model_forward + t_bce + graph_backward compared
 * with logits, loss and every grad:NAME. An element passes when
 *     |got - want| <= rtol * max(|want|, 0.1 * max_i |want_i|)
 * (relative to the tensor's scale, so float32 cancellation near 0 passes). Prints one
 * line per tensor with its worst element. 0, or -1 with err naming the worst element
 * of the first failing tensor. */
int  golden_check_model(const char *backbone, const struct golden *g, struct model_cfg *cfg,
                        double rtol, char *err, size_t n);

/* For tests: golden_load(path) + golden_check_model(backbone, NULL cfg); prints the
 * error and returns -1 on failure. */
int  golden_check_file(const char *backbone, const char *path, double rtol);

#endif
