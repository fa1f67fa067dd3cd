/* PCA (results/pca.c): Jacobi on a matrix with known eigenpairs; points spread along
 * known orthogonal axes recover the axes (up to sign, fixed by the convention), their
 * variances and the projections; degenerate inputs are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include "pca.h"

#define SQRT1_2 0.70710678118654752440

static void test_jacobi_known(void **state)
{
    (void)state;
    /* [[2,1],[1,2]]: eigenvalues 3 (1,1)/sqrt2 and 1 (1,-1)/sqrt2 */
    double a[4] = { 2, 1, 1, 2 }, w[2], v[4];
    assert_true(pca_jacobi(a, 2, w, v) >= 0);
    assert_true(fabs(w[0] - 3) < 1e-12 && fabs(w[1] - 1) < 1e-12);
    assert_true(fabs(fabs(v[0]) - SQRT1_2) < 1e-12 && fabs(v[0] - v[1]) < 1e-12);
    assert_true(fabs(v[2] + v[3]) < 1e-12);
    /* diagonal, unsorted: sorted descending */
    double b[9] = { 1, 0, 0, 0, 5, 0, 0, 0, 3 }, w3[3], v3[9];
    assert_int_equal(pca_jacobi(b, 3, w3, v3), 0);
    assert_true(w3[0] == 5 && w3[1] == 3 && w3[2] == 1);
    assert_true(fabs(v3[1]) == 1 && fabs(v3[5]) == 1 && fabs(v3[6]) == 1);
}

/* Deterministic pseudo-random in [-1, 1]. */
static double urand(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / (double)(1ULL << 52) - 1.0;
}

static void test_known_axes(void **state)
{
    (void)state;
    enum { N = 400, D = 6 };
    /* two orthonormal axes in R^6, scales 10 and 3, plus noise 0.01, offset mean */
    const double s2 = sqrt(0.5), s3 = sqrt(1.0 / 3);
    const double ax[2][D] = { { s2, 0, -s2, 0, 0, 0 }, { s3, 0, s3, 0, s3, 0 } };
    const double mean[D] = { 5, -2, 1, 0, 7, 3 };
    double *x = malloc(sizeof *x * N * D), a[N], b[N];
    uint64_t seed = 42;
    double ma = 0, mb = 0, ab = 0, aa = 0;
    for (int i = 0; i < N; i++) {
        a[i] = 10 * urand(&seed);
        b[i] = 3 * urand(&seed);
        ma += a[i] / N;
        mb += b[i] / N;
    }
    /* centred and exactly uncorrelated coordinates: the sample axes are the true ones */
    for (int i = 0; i < N; i++) {
        a[i] -= ma;
        b[i] -= mb;
        ab += a[i] * b[i];
        aa += a[i] * a[i];
    }
    for (int i = 0; i < N; i++) {
        b[i] -= ab / aa * a[i];
        for (int j = 0; j < D; j++) x[i * D + j] = mean[j] + a[i] * ax[0][j] + b[i] * ax[1][j] + 0.01 * urand(&seed);
    }
    struct pca p;
    assert_int_equal(pca_fit(&p, x, N, D, 2), 0);
    for (int c = 0; c < 2; c++) {
        double dot = 0;
        for (int j = 0; j < D; j++) dot += p.comp[c * D + j] * ax[c][j];
        if (fabs(fabs(dot) - 1) > 1e-6) fail_msg("axis %d: |<comp, axis>| = %.6f", c, fabs(dot));
        /* sign convention: the largest entry is positive */
        int big = 0;
        for (int j = 1; j < D; j++)
            if (fabs(p.comp[c * D + j]) > fabs(p.comp[c * D + big]) + 1e-12) big = j;
        assert_true(p.comp[c * D + big] > 0);
        /* projections match the generating coordinates, up to that sign */
        double sgn = dot > 0 ? 1 : -1, worst = 0, e;
        for (int i = 0; i < N; i++) {
            e = fabs(p.proj[i * 2 + c] - sgn * (c ? b[i] : a[i]));
            if (e > worst) worst = e;
        }
        if (worst > 0.05) fail_msg("axis %d: projection off by %.4f", c, worst);
    }
    assert_true(p.var[0] > p.var[1]);
    assert_true(fabs(p.var[0] / (100.0 / 3) - 1) < 0.15);   /* uniform [-10,10]: 100/3 */
    assert_true(fabs(p.var[1] / 3.0 - 1) < 0.15);           /* uniform [-3,3]: 3 */
    assert_true((p.var[0] + p.var[1]) / p.total_var > 0.999);
    for (int j = 0; j < D; j++) assert_true(fabs(p.mean[j] - mean[j]) < 1.0);
    pca_free(&p);
    free(x);
}

static void test_refused(void **state)
{
    (void)state;
    double x[4] = { 1, 2, 3, 4 };
    struct pca p;
    assert_int_equal(pca_fit(&p, x, 1, 4, 1), -1);   /* one point */
    assert_int_equal(pca_fit(&p, x, 2, 2, 3), -1);   /* k > d */
    assert_int_equal(pca_fit(&p, x, 2, 2, 0), -1);
    assert_int_equal(pca_fit(&p, x, 2, 2, 1), 0);    /* (1,2) -> (3,4): the axis (1,1)/sqrt2 */
    assert_true(fabs(p.comp[0] - SQRT1_2) < 1e-12 && fabs(p.comp[1] - SQRT1_2) < 1e-12);
    assert_true(fabs(p.proj[0] + sqrt(2)) < 1e-12 && fabs(p.proj[1] - sqrt(2)) < 1e-12);
    pca_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jacobi_known),
        cmocka_unit_test(test_known_axes),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
