/* Adam (Kingma & Ba) over a parameter store. Dense parameters are updated in full;
 * T_SPARSE embedding tables lazily: only the rows touched this step have their moments
 * and values updated (the rest keep theirs untouched), with the global step count in
 * the bias correction. Each parameter's step is multiplied by its lr_scale (1 unless a
 * module sets it). Gradients are zeroed after the update.
 *
 * L2 (l2 > 0): the penalty l2/2 |p|^2 of every parameter on every step, as gradient.
 * A dense parameter adds l2 p to its gradient at every step. An embedding row, which
 * is updated only at the steps it appears in, adds at such a step t
 *     g' = g + l2 k p,   k = t - t_last (t_last: the step of its previous update, 0 if none),
 * the penalty gradients of the k - 1 steps it missed plus this one's, at once (p did
 * not move in between). So every row is penalised per elapsed step, not per appearance
 * (no frequency weighting); the penalty of the steps after a row's last appearance is
 * never applied, and Adam normalises the caught-up gradient like any other. */
#ifndef APG_OPTIM_H
#define APG_OPTIM_H
#include "params.h"

struct adam {
    float lr, beta1, beta2, eps;
    float l2;          /* L2 penalty coefficient (0 = off; the rule above) */
    long  t;           /* steps taken */
};

void adam_init(struct adam *a, float lr);   /* beta1 0.9, beta2 0.999, eps 1e-8, l2 0 */
void adam_step(struct adam *a, struct param_store *ps);
/* One step of ps on the sum of the gradients of reps[0..n) (replicas sharing its values,
 * e.g. micro-batch parts), added in replica order: the bits of summing them into ps's
 * gradients and then adam_step, at any thread count, in one parallel pass. ps's own
 * gradients must be zero (as adam_step leaves them), so they are not read; its tables
 * must have no touched rows of their own, and n is at most 64 (it aborts: a caller's
 * bug). The replicas' gradients are zeroed and their touched rows cleared. */
void adam_step_sum(struct adam *a, struct param_store *ps, struct param_store *const *reps, int n);
/* The values [*k0, *k1) of dense tensor ps->list[i] that slice k of ADAM_TASKS (16)
 * updates: the slices of a tensor partition it in order, and where one ends inside it
 * the next starts on a 64-byte line of the slabs (a small tensor is one slice's whole). */
#define ADAM_TASKS 16
void adam_dense_slice(const struct param_store *ps, int i, int k, long *k0, long *k1);

#endif
