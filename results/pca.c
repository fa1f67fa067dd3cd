/* PCA by cyclic Jacobi on the covariance (results/pca.h). */
#include "pca.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

int pca_jacobi(double *a, int d, double *w, double *v)
{
    /* v accumulates the rotations as columns: A = V diag(w) V^T. */
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) v[i * d + j] = i == j;
    int sweep;
    for (sweep = 0; sweep < 100; sweep++) {
        double off = 0, diag = 0;
        for (int i = 0; i < d; i++) {
            diag += a[i * d + i] * a[i * d + i];
            for (int j = i + 1; j < d; j++) off += a[i * d + j] * a[i * d + j];
        }
        if (off <= 1e-30 * (diag > 0 ? diag : 1)) break;
        for (int p = 0; p < d; p++)
            for (int q = p + 1; q < d; q++) {
                double apq = a[p * d + q];
                if (fabs(apq) < 1e-300) continue;
                /* the rotation that zeroes a[p][q]: t = tan(theta), stable root */
                double theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
                double t = (theta >= 0 ? 1 : -1) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < d; k++) {          /* columns p, q of A */
                    double akp = a[k * d + p], akq = a[k * d + q];
                    a[k * d + p] = c * akp - s * akq;
                    a[k * d + q] = s * akp + c * akq;
                }
                for (int k = 0; k < d; k++) {          /* rows p, q of A */
                    double apk = a[p * d + k], aqk = a[q * d + k];
                    a[p * d + k] = c * apk - s * aqk;
                    a[q * d + k] = s * apk + c * aqk;
                }
                for (int k = 0; k < d; k++) {          /* columns p, q of V */
                    double vkp = v[k * d + p], vkq = v[k * d + q];
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
    }
    if (sweep == 100) return -1;
    /* Sort descending; transpose the eigenvector columns into rows. */
    int *ord = malloc(sizeof *ord * (size_t)d);
    double *vt = malloc(sizeof *vt * (size_t)d * (size_t)d);
    if (!ord || !vt) {
        free(ord);
        free(vt);
        return -1;
    }
    for (int i = 0; i < d; i++) ord[i] = i;
    for (int i = 1; i < d; i++)
        for (int j = i; j > 0 && a[ord[j] * d + ord[j]] > a[ord[j - 1] * d + ord[j - 1]]; j--) {
            int t = ord[j];
            ord[j] = ord[j - 1];
            ord[j - 1] = t;
        }
    for (int r = 0; r < d; r++) {
        w[r] = a[ord[r] * d + ord[r]];
        for (int k = 0; k < d; k++) vt[r * d + k] = v[k * d + ord[r]];
    }
    memcpy(v, vt, sizeof *vt * (size_t)d * (size_t)d);
    free(vt);
    free(ord);
    return sweep;
}

void pca_free(struct pca *p)
{
    free(p->mean);
    free(p->comp);
    free(p->var);
    free(p->proj);
    memset(p, 0, sizeof *p);
}

int pca_fit(struct pca *p, const double *x, int n, int d, int k)
{
    memset(p, 0, sizeof *p);
    if (n < 2 || d < 1 || k < 1 || k > d) return -1;
    size_t dd = (size_t)d * (size_t)d;
    double *cov = calloc(dd, sizeof *cov), *w = malloc(sizeof *w * (size_t)d), *v = malloc(sizeof *v * dd);
    p->mean = calloc((size_t)d, sizeof *p->mean);
    p->comp = malloc(sizeof *p->comp * (size_t)k * (size_t)d);
    p->var = malloc(sizeof *p->var * (size_t)k);
    p->proj = malloc(sizeof *p->proj * (size_t)n * (size_t)k);
    int rc = -1;
    if (!cov || !w || !v || !p->mean || !p->comp || !p->var || !p->proj) goto out;
    p->n = n;
    p->d = d;
    p->k = k;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++) p->mean[j] += x[(size_t)i * d + j] / n;
    for (int i = 0; i < n; i++) {
        const double *xi = x + (size_t)i * d;
        for (int a = 0; a < d; a++) {
            double ca = xi[a] - p->mean[a];
            for (int b = a; b < d; b++) cov[a * d + b] += ca * (xi[b] - p->mean[b]);
        }
    }
    for (int a = 0; a < d; a++)
        for (int b = a; b < d; b++) cov[b * d + a] = cov[a * d + b] /= n - 1;
    p->total_var = 0;
    for (int a = 0; a < d; a++) p->total_var += cov[a * d + a];
    if (pca_jacobi(cov, d, w, v) < 0) goto out;
    for (int j = 0; j < k; j++) {
        double *c = p->comp + (size_t)j * d;
        memcpy(c, v + (size_t)j * d, sizeof *c * (size_t)d);
        int big = 0;
        for (int a = 1; a < d; a++)
            if (fabs(c[a]) > fabs(c[big]) + 1e-12) big = a;
        if (c[big] < 0)
            for (int a = 0; a < d; a++) c[a] = -c[a];
        p->var[j] = w[j] > 0 ? w[j] : 0;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < k; j++) {
            double s = 0;
            for (int a = 0; a < d; a++) s += (x[(size_t)i * d + a] - p->mean[a]) * p->comp[(size_t)j * d + a];
            p->proj[(size_t)i * k + j] = s;
        }
    rc = 0;
out:
    free(cov);
    free(w);
    free(v);
    if (rc) pca_free(p);
    return rc;
}
