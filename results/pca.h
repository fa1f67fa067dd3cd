/* Principal component analysis of a small point set (Fig 9: the generated S_i of each
 * category, flattened, projected to 2-D): the covariance of the centred points, its
 * eigen-decomposition by cyclic Jacobi rotations, the leading components. Plain C, no
 * dependencies; d up to a few hundred (cost O(d^3) per sweep). */
#ifndef APG_PCA_H
#define APG_PCA_H

struct pca {
    int     n, d, k;        /* points, dimensions, components kept */
    double *mean;           /* d */
    double *comp;           /* k x d, row j the j-th unit axis (largest variance first) */
    double *var;            /* k eigenvalues: the variance along each axis (divisor n - 1) */
    double  total_var;      /* trace of the covariance: var[j] / total_var is the share explained */
    double *proj;           /* n x k: the centred points on the axes */
};

/* Fits x (n rows of d, row-major) with k <= d components. The sign of each axis is fixed
 * so that its entry of largest magnitude is positive (results are reproducible). 0, or
 * -1 (n < 2, k out of range, out of memory). */
int  pca_fit(struct pca *p, const double *x, int n, int d, int k);
void pca_free(struct pca *p);

/* Eigen-decomposition of the symmetric d x d matrix a (overwritten): eigenvalues into
 * w (descending), unit eigenvectors into the rows of v (d x d). Returns the sweeps
 * used, or -1 when it did not converge in 100 sweeps. */
int  pca_jacobi(double *a, int d, double *w, double *v);

#endif
