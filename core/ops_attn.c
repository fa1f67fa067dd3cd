/* mhsa: the multi-head self-attention of AutoInt's and DIFM's interacting layers over
 * one packed projection, in one op (no per-head slices, batched GEMMs of 7x7 matrices,
 * softmax, concat, add and ReLU nodes):
 *   qkvr (B,F,W) = [Q | K | V | R] along the last axis, each (B,F,H*d), R only when res
 *   (W = 4 H d; else W = 3 H d). Per entry b and head h, with Q_h = Q[:, h*d .. h*d+d):
 *     A_h = softmax_j(s Q_h K_h^T)                       (F,F)   s = farg (1 or 1/sqrt(d))
 *     out[:, h*d ..] = ReLU(A_h V_h + R_h)                (F,d)   (R_h = 0 without res)
 *   out (B,F,H*d). iarg[0] = H, iarg[1] = d, iarg[2] = res.
 * Caches: A for every (b,h) (B*H*F*F floats) and per-task scratch for dA.
 * backward, with dZ = dout [out > 0]:
 *   dR_h += dZ;  dV_h += A^T dZ;  dA = dZ V_h^T;  dS = A (dA - rowsum(A dA));
 *   dQ_h += s dS K_h;  dK_h += s dS^T Q_h.
 * Entries are independent: MHSA_TASKS fixed ranges of b over the pool (the same bits at
 * any thread count). A fresh qkvr gradient (T_GRAD_FRESH) is zeroed row by row in the
 * task that adds into it. */
#include "ops.h"
#include "op.h"
#include "ops_check.h"
#include "threads.h"
#include <math.h>
#include <string.h>

#define MHSA_TASKS 8
#define MHSA_MAX_D 4096   /* head size bound (the backbones' option ranges) */

struct tensor *t_mhsa(struct graph *g, struct tensor *qkvr, int heads, int d, float scale, int res)
{
    ops_check_operand("mhsa", qkvr);
    if (heads < 1 || d < 1 || d > MHSA_MAX_D) ops_die("mhsa", "bad heads %d or head size %d (1..%d)", heads, d, MHSA_MAX_D);
    OPS_CHECK_SHAPE(qkvr->ndim == 3 && qkvr->shape[2] == (res ? 4 : 3) * heads * d, "mhsa", qkvr, NULL,
                    res ? "qkvr must be (B,F,4*H*d)" : "qkv must be (B,F,3*H*d)");
    int B = qkvr->shape[0], F = qkvr->shape[1];
    struct tensor *t = graph_node(g, OP_MHSA, 3, (int[]){ B, F, heads * d }, 1, &qkvr);
    t->iarg[0] = heads;
    t->iarg[1] = d;
    t->iarg[2] = !!res;
    t->farg = scale;
    t->cache = graph_scratch(g, B * heads * F * F + MHSA_TASKS * F * F);
    return graph_run(g, t);
}

struct mhsa_job { struct tensor *out; int clear; };

/* Entries b of task k: the forward (grad 0) or the backward; inlined with the head size
 * d a compile-time constant for the usual sizes (MHSA_BY_D), so the loops over d unroll. */
#if defined(__GNUC__)
#define MHSA_KERNEL static inline __attribute__((always_inline))
#else
#define MHSA_KERNEL static inline
#endif
MHSA_KERNEL void mhsa_rows_d(const struct tensor *out, int k, int grad, int clear, const int d)
{
    const struct tensor *x = out->src[0];
    int B = x->shape[0], F = x->shape[1], W = x->shape[2], H = out->iarg[0];
    int hd = H * d, res = out->iarg[2];
    float s = out->farg;
    int b0 = (int)((long)B * k / MHSA_TASKS), b1 = (int)((long)B * (k + 1) / MHSA_TASKS);
    float *dA = out->cache + (size_t)B * H * F * F + (size_t)k * F * F;
    for (int b = b0; b < b1; b++) {
        const float *xb = x->data + (size_t)b * F * W;
        float *ob = out->data + (size_t)b * F * hd;
        float *gxb = grad ? x->grad + (size_t)b * F * W : NULL;
        const float *gob = grad ? out->grad + (size_t)b * F * hd : NULL;
        if (grad && clear) memset(gxb, 0, sizeof(float) * (size_t)F * W);
        for (int h = 0; h < H; h++) {
            int qo = h * d, ko = hd + h * d, vo = 2 * hd + h * d, ro = 3 * hd + h * d;
            float *A = out->cache + ((size_t)b * H + h) * F * F;
            if (!grad) {
                for (int i = 0; i < F; i++) {
                    const float *qi = xb + (size_t)i * W + qo;
                    float *Ai = A + (size_t)i * F, mx = -INFINITY, sum = 0.0f;
                    for (int j = 0; j < F; j++) {
                        const float *kj = xb + (size_t)j * W + ko;
                        float acc = 0.0f;
                        #pragma omp simd reduction(+ : acc)
                        for (int e = 0; e < d; e++) acc += qi[e] * kj[e];
                        Ai[j] = s * acc;
                        mx = Ai[j] > mx ? Ai[j] : mx;
                    }
                    for (int j = 0; j < F; j++) {
                        Ai[j] = expf(Ai[j] - mx);
                        sum += Ai[j];
                    }
                    float inv = 1.0f / sum;
                    for (int j = 0; j < F; j++) Ai[j] *= inv;
                    float *oi = ob + (size_t)i * hd + qo;
                    for (int e = 0; e < d; e++) oi[e] = res ? xb[(size_t)i * W + ro + e] : 0.0f;
                    for (int j = 0; j < F; j++) {
                        const float *vj = xb + (size_t)j * W + vo;
                        float a = Ai[j];
                        #pragma omp simd
                        for (int e = 0; e < d; e++) oi[e] += a * vj[e];
                    }
                    for (int e = 0; e < d; e++) oi[e] = oi[e] > 0.0f ? oi[e] : 0.0f;
                }
                continue;
            }
            for (int i = 0; i < F; i++) {
                const float *oi = ob + (size_t)i * hd + qo, *gi = gob + (size_t)i * hd + qo;
                const float *Ai = A + (size_t)i * F;
                float *dAi = dA + (size_t)i * F, rs = 0.0f, dz[MHSA_MAX_D];
                for (int e = 0; e < d; e++) dz[e] = oi[e] > 0.0f ? gi[e] : 0.0f;   /* dZ_i */
                for (int j = 0; j < F; j++) {                      /* dA_ij = <dZ_i, V_j> */
                    const float *vj = xb + (size_t)j * W + vo;
                    float acc = 0.0f;
                    #pragma omp simd reduction(+ : acc)
                    for (int e = 0; e < d; e++) acc += dz[e] * vj[e];
                    dAi[j] = acc;
                    rs += Ai[j] * acc;
                }
                for (int j = 0; j < F; j++) {                      /* dV_j += A_ij dZ_i */
                    float *gvj = gxb + (size_t)j * W + vo, a = Ai[j];
                    #pragma omp simd
                    for (int e = 0; e < d; e++) gvj[e] += a * dz[e];
                }
                if (res) {
                    float *gri = gxb + (size_t)i * W + ro;
                    for (int e = 0; e < d; e++) gri[e] += dz[e];
                }
                for (int j = 0; j < F; j++) dAi[j] = s * Ai[j] * (dAi[j] - rs);   /* s dS_ij */
            }
            for (int i = 0; i < F; i++) {
                const float *qi = xb + (size_t)i * W + qo, *dSi = dA + (size_t)i * F;
                float *gqi = gxb + (size_t)i * W + qo;
                for (int j = 0; j < F; j++) {
                    const float *kj = xb + (size_t)j * W + ko;
                    float *gkj = gxb + (size_t)j * W + ko, v = dSi[j];
                    #pragma omp simd
                    for (int e = 0; e < d; e++) {
                        gqi[e] += v * kj[e];
                        gkj[e] += v * qi[e];
                    }
                }
            }
        }
    }
}

static void mhsa_rows(const struct tensor *out, int k, int grad, int clear)
{
    switch (out->iarg[1]) {
    case 2: mhsa_rows_d(out, k, grad, clear, 2); break;
    case 4: mhsa_rows_d(out, k, grad, clear, 4); break;
    case 8: mhsa_rows_d(out, k, grad, clear, 8); break;
    case 16: mhsa_rows_d(out, k, grad, clear, 16); break;
    default: mhsa_rows_d(out, k, grad, clear, out->iarg[1]); break;
    }
}

static void mhsa_fwd_task(void *ctx, int k) { mhsa_rows(((struct mhsa_job *)ctx)->out, k, 0, 0); }
static void mhsa_bwd_task(void *ctx, int k)
{
    const struct mhsa_job *j = ctx;
    mhsa_rows(j->out, k, 1, j->clear);
}

void op_mhsa_forward(struct tensor *out)
{
    struct mhsa_job j = { out, 0 };
    apg_parallel(MHSA_TASKS, mhsa_fwd_task, &j);
}

void op_mhsa_backward(struct tensor *out)
{
    struct tensor *x = out->src[0];
    if (!x->grad) return;
    struct mhsa_job j = { out, grad_first_write(x) };
    apg_parallel(MHSA_TASKS, mhsa_bwd_task, &j);
}
