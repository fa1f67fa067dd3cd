/* Semantic checks of a loaded checkpoint (its checksum only proves the bytes are the
 * ones written, not that a writer elsewhere wrote sane values): the training-run facts
 * in their option ranges, the fields' cardinalities and indices, the parameter sizes
 * against the embedding tables, and every parameter finite. */
#include "checkpoint.h"
#include "numeric.h"
#include <math.h>
#include <string.h>

/* Limits of the options that wrote them (cmd_train's train_opts). */
#define CK_MAX_BATCH   (1 << 20)
#define CK_MAX_THREADS 1024
#define CK_MAX_EPOCHS  10000

static int bad(char *err, size_t errlen, const char *path, const char *what)
{
    snprintf(err, errlen, "%s: invalid contents (%s)", path, what);
    return -1;
}

int ckpt_check_meta(const struct ckpt_meta *cm, const char *path, char *err, size_t errlen)
{
    char why[256];
    if (cm->batch < 0 || cm->batch > CK_MAX_BATCH) {
        snprintf(why, sizeof why, "batch %d outside 0..%d", cm->batch, CK_MAX_BATCH);
        return bad(err, errlen, path, why);
    }
    if (cm->threads < 0 || cm->threads > CK_MAX_THREADS) {
        snprintf(why, sizeof why, "threads %d outside 0..%d", cm->threads, CK_MAX_THREADS);
        return bad(err, errlen, path, why);
    }
    if (cm->epochs_run < 0 || cm->epochs_run > CK_MAX_EPOCHS || cm->best_epoch < 0 ||
        cm->best_epoch > cm->epochs_run) {
        snprintf(why, sizeof why, "best epoch %d of %d epochs run, outside 0..%d", cm->best_epoch,
                 cm->epochs_run, CK_MAX_EPOCHS);
        return bad(err, errlen, path, why);
    }
    if (cm->n_train < 0 || cm->n_val < 0 || cm->n_test < 0) {
        snprintf(why, sizeof why, "split of %d/%d/%d rows", cm->n_train, cm->n_val, cm->n_test);
        return bad(err, errlen, path, why);
    }
    if (cm->n_fields < 1) return bad(err, errlen, path, "no fields");
    uint64_t total = 0;
    for (int f = 0; f < cm->n_fields; f++) {
        const struct ckpt_field *fl = &cm->fields[f];
        if (!fl->name[0]) {
            snprintf(why, sizeof why, "field %d has no name", f);
            return bad(err, errlen, path, why);
        }
        if (fl->card < 1) {
            snprintf(why, sizeof why, "field %s: cardinality %d, at least 1", fl->name, fl->card);
            return bad(err, errlen, path, why);
        }
        if (fl->multi != 0 && fl->multi != 1) {
            snprintf(why, sizeof why, "field %s: multi %d, expected 0 or 1", fl->name, fl->multi);
            return bad(err, errlen, path, why);
        }
        if (fl->fit.kind != NUM_NONE) {          /* numeric: a sane fit, ids as it gives them */
            char e2[128];
            int card = fl->fit.kind == NUM_BUCKET ? fl->fit.n_bounds + 2 : 2;
            if (num_fit_check(&fl->fit, e2, sizeof e2)) {
                snprintf(why, sizeof why, "field %s: %s", fl->name, e2);
                return bad(err, errlen, path, why);
            }
            if (fl->multi || fl->card != card) {
                snprintf(why, sizeof why, "numeric field %s: %s, cardinality %d (its transform gives %d)", fl->name,
                         fl->multi ? "multi-valued" : "single-valued", fl->card, card);
                return bad(err, errlen, path, why);
            }
        }
        total += (uint64_t)fl->card;
    }
    if (total >= (uint64_t)1 << 31) {
        snprintf(why, sizeof why, "cardinalities sum to %llu, at least 2^31", (unsigned long long)total);
        return bad(err, errlen, path, why);
    }
    const int32_t idx[3] = { cm->user_field, cm->item_field, cm->category_field };
    static const char *const idx_name[3] = { "user_field", "item_field", "category_field" };
    for (int i = 0; i < 3; i++)
        if (idx[i] < -1 || idx[i] >= cm->n_fields) {
            snprintf(why, sizeof why, "%s %d outside -1..%d", idx_name[i], idx[i], cm->n_fields - 1);
            return bad(err, errlen, path, why);
        }
    const double m[3] = { cm->val_auc, cm->test_auc, cm->test_logloss };
    static const char *const m_name[3] = { "val auc", "test auc", "test logloss" };
    for (int i = 0; i < 3; i++)
        if (isinf(m[i]) || m[i] < 0 || (i < 2 && m[i] > 1)) {   /* NaN is "not measured" */
            snprintf(why, sizeof why, "%s %g", m_name[i], m[i]);
            return bad(err, errlen, path, why);
        }
    return 0;
}

int ckpt_check_sizes(const struct ckpt_meta *cm, uint64_t n_floats, const char *path, char *err,
                     size_t errlen)
{
    /* every id of every field has an embedding row of at least one float */
    uint64_t ids = 0;
    for (int f = 0; f < cm->n_fields; f++) ids += (uint64_t)cm->fields[f].card;
    if (ids > n_floats) {
        char why[160];
        snprintf(why, sizeof why, "%llu ids over the fields but only %llu parameter floats",
                 (unsigned long long)ids, (unsigned long long)n_floats);
        return bad(err, errlen, path, why);
    }
    return 0;
}

int ckpt_check_finite(const struct param_store *ps, const char *path, char *err, size_t errlen)
{
    for (int i = 0; i < ps->n; i++) {
        const struct tensor *t = ps->list[i];
        size_t n = 1;
        for (int k = 0; k < t->ndim; k++) n *= (size_t)t->shape[k];
        for (size_t j = 0; j < n; j++) {
            float v = t->data[j];
            if (isfinite(v) && fabsf(v) <= CKPT_PARAM_MAX) continue;
            char why[200];
            if (isfinite(v))
                snprintf(why, sizeof why, "parameter '%s' element %zu is %g, outside +-%g", t->name, j, (double)v,
                         CKPT_PARAM_MAX);
            else
                snprintf(why, sizeof why, "parameter '%s' element %zu is %s", t->name, j,
                         isnan(v) ? "NaN" : "infinite");
            return bad(err, errlen, path, why);
        }
    }
    return 0;
}
