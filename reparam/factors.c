#include "factors.h"
#include <math.h>
#include <stdio.h>

struct tensor *factor_new(struct reparam_layer *l, struct param_store *ps, const char *name,
                          const char *suffix, int rows, int cols, int scaled, double var)
{
    char nm[96];
    snprintf(nm, sizeof nm, "%s.%s", name, suffix);
    struct tensor *t = scaled
        ? param_new(ps, nm, 2, (int[]){ rows, cols }, INIT_NORMAL, (float)sqrt(var), 0)
        : param_new(ps, nm, 2, (int[]){ rows, cols }, INIT_UNIFORM, (float)(1.0 / sqrt((double)cols)), 0);
    l->f[l->n_f++] = t;
    return t;
}

void center_identity(float *bias, int k)
{
    for (int i = 0; i < k * k; i++) bias[i] = 0.0f;
    for (int i = 0; i < k; i++) bias[i * k + i] = 1.0f;
}

void center_glorot(float *bias, int n, int m, struct rng *rng)
{
    float lim = sqrtf(6.0f / (float)(n + m));
    for (int i = 0; i < n * m; i++) bias[i] = rng_uniform(rng, -lim, lim);
}

void factor_matmul(const float *a, const float *b, float *out, int r, int k, int c)
{
    for (int i = 0; i < r; i++)
        for (int j = 0; j < c; j++) {
            double s = 0;
            for (int t = 0; t < k; t++) s += (double)a[i * k + t] * b[t * c + j];
            out[i * c + j] = (float)s;
        }
}
