/* Adam (Kingma & Ba) over a parameter store. Dense parameters are updated in full;
 * T_SPARSE embedding tables lazily: only the rows touched this step have their moments
 * and values updated (the rest keep theirs untouched), with the global step count in
 * the bias correction. Each parameter's step is multiplied by its lr_scale (1 unless a
 * module sets it). Gradients are zeroed after the update. */
#ifndef APG_OPTIM_H
#define APG_OPTIM_H
#include "params.h"

struct adam {
    float lr, beta1, beta2, eps;
    float l2;          /* L2 penalty coefficient added to the gradient (0 = off) */
    long  t;           /* steps taken */
};

void adam_init(struct adam *a, float lr);   /* beta1 0.9, beta2 0.999, eps 1e-8, l2 0 */
void adam_step(struct adam *a, struct param_store *ps);

#endif
