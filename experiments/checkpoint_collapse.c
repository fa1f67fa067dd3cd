/* The inference-time collapse of a loaded model (paper 3.2.4): v6 - v8's factor chains
 * folded into v3's U S_i V, every other parameter copied by name. */
#include "checkpoint.h"
#include "reparam.h"
#include <stdlib.h>
#include <string.h>

static long layer_floats(const struct reparam_layer *rl)
{
    long n = 0;
    for (int i = 0; i < rl->n_f; i++) n += rl->f[i]->size;
    return n;
}

/* Marks in used[] (indexed like ps->list) the parameter t. */
static void mark(const struct param_store *ps, const struct tensor *t, unsigned char *used)
{
    for (int i = 0; i < ps->n; i++)
        if (ps->list[i] == t) used[i] = 1;
}

int ckpt_collapse(struct model *to, struct model_opts *to_mo, const struct model *from,
                  const struct model_opts *from_mo, const struct dataset *d, FILE *log, char *err,
                  size_t errlen)
{
    const struct apg_cfg *a = &from->cfg.apg;
    const struct reparam_form *form = apg_enabled(a) ? reparam_find(a->variant) : NULL;
    const struct reparam_form *target = form && form->collapse_to ? reparam_find(form->collapse_to) : NULL;
    *to_mo = *from_mo;
    if (form && form->collapse_to && (!target || !form->collapse)) {
        snprintf(err, errlen, "form %s collapses to '%s', which is not a known form", form->name,
                 form->collapse_to);
        return -1;
    }
    if (target) to_mo->m.apg.variant = target->name;
    struct rng rng;
    rng_seed(&rng, 0);
    if (model_init(to, to_mo->backbone, &to_mo->m, d, &rng, err, errlen)) {
        model_free(to);
        return -1;
    }
    const struct param_store *fs = &from->ps, *ts = &to->ps;
    unsigned char *used_from = calloc((size_t)fs->n + 1, 1), *set_to = calloc((size_t)ts->n + 1, 1);
    int rc = -1, n_collapsed = 0;
    if (!used_from || !set_to) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (to->n_dense != from->n_dense) {
        snprintf(err, errlen, "internal error: %d dense layers in the collapsed model, %d in the source",
                 to->n_dense, from->n_dense);
        goto out;
    }
    /* The collapsed layers' factors: read by form->collapse, written by it. */
    for (int l = 0; target && l < from->n_dense; l++) {
        const struct dense *fl = from->dense[l], *tl = to->dense[l];
        int ok = strcmp(fl->name, tl->name) == 0 &&
                 ((!fl->rl.form && !tl->rl.form) || (fl->rl.form == form && tl->rl.form == target));
        if (!ok) {
            snprintf(err, errlen, "internal error: layer %d is %s (%s) in the source, %s (%s) collapsed", l,
                     fl->name, fl->rl.form ? fl->rl.form->name : "static", tl->name,
                     tl->rl.form ? tl->rl.form->name : "static");
            goto out;
        }
        for (int k = 0; k < fl->rl.n_f; k++) mark(fs, fl->rl.f[k], used_from);
        for (int k = 0; k < tl->rl.n_f; k++) mark(ts, tl->rl.f[k], set_to);
    }
    /* Every other parameter is copied by name. */
    for (int i = 0; i < ts->n; i++) {
        struct tensor *t = ts->list[i];
        if (set_to[i]) continue;
        for (int j = 0; j < fs->n; j++) {
            const struct tensor *s = fs->list[j];
            if (used_from[j] || strcmp(s->name, t->name) != 0) continue;
            int same = s->ndim == t->ndim;
            for (int k = 0; same && k < t->ndim; k++) same = s->shape[k] == t->shape[k];
            if (!same) {
                snprintf(err, errlen, "parameter %s has different shapes in the source and the collapsed model",
                         t->name);
                goto out;
            }
            memcpy(t->data, s->data, sizeof(float) * (size_t)t->size);
            used_from[j] = set_to[i] = 1;
            break;
        }
    }
    for (int l = 0; target && l < from->n_dense; l++) {
        const struct dense *fl = from->dense[l];
        struct dense *tl = to->dense[l];
        if (!fl->rl.form) continue;
        form->collapse(&fl->rl, &tl->rl);
        n_collapsed++;
        if (log)
            fprintf(log, "collapsed %s (%d -> %d): %s %s -> %s %s, shared factors %ld -> %ld floats\n",
                    fl->name, fl->in, fl->out, form->name, form->formula, target->name, target->formula,
                    layer_floats(&fl->rl), layer_floats(&tl->rl));
    }
    for (int i = 0; i < ts->n; i++)
        if (!set_to[i]) {
            snprintf(err, errlen, "parameter %s of the collapsed model has no source", ts->list[i]->name);
            goto out;
        }
    for (int j = 0; j < fs->n; j++)
        if (!used_from[j]) {
            snprintf(err, errlen, "parameter %s has no place in the collapsed model", fs->list[j]->name);
            goto out;
        }
    /* Products of large finite factors can overflow: never hand out an infinite model. */
    rc = ckpt_check_finite(ts, "collapsing the factor chains", err, errlen) ? -1 : n_collapsed;
out:
    free(used_from);
    free(set_to);
    if (rc < 0) model_free(to);
    return rc;
}

