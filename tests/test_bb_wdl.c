/* WDL against its PyTorch golden values (tests/golden/wdl.py): logits, loss and every
 * parameter gradient of one tiny batch; and the golden harness itself rejects files
 * that do not describe the C model. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "golden.h"

#define WDL_GOLDEN "tests/golden/wdl.golden"

static void test_wdl_golden(void **state)
{
    (void)state;
    assert_int_equal(golden_check_file("wdl", WDL_GOLDEN, 1e-4), 0);
}

/* The reader: fields, config and tensors as written. */
static void test_golden_load(void **state)
{
    (void)state;
    struct golden g;
    char err[512] = "";
    int rc = golden_load(&g, WDL_GOLDEN, err, sizeof err);
    if (rc) print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(g.n_fields, 3);
    assert_string_equal(g.fields[0].name, "user");
    assert_int_equal(g.fields[0].card, 5);
    assert_string_equal(golden_config(&g, "backbone"), "wdl");
    assert_string_equal(golden_config(&g, "hidden"), "5,3");
    assert_null(golden_config(&g, "nope"));
    int nd, shape[3];
    assert_non_null(golden_tensor(&g, "ids", &nd, shape));
    assert_int_equal(nd, 2);
    assert_int_equal(shape[1], 3);
    assert_non_null(golden_tensor(&g, "wdl.deep.0.w", &nd, shape));
    assert_int_equal(shape[0], 5);
    assert_int_equal(shape[1], 9);
    assert_null(golden_tensor(&g, "nope", NULL, NULL));
    golden_free(&g);
}

/* A wrong parameter value shows up as a mismatch naming the tensor. */
static void test_golden_detects_wrong_value(void **state)
{
    (void)state;
    struct golden g;
    char err[512] = "";
    assert_int_equal(golden_load(&g, WDL_GOLDEN, err, sizeof err), 0);
    float *w = (float *)golden_tensor(&g, "wdl.out.b", NULL, NULL);
    assert_non_null(w);
    w[0] += 0.01f;
    assert_int_equal(golden_check_model("wdl", &g, NULL, 1e-4, err, sizeof err), -1);
    assert_non_null(strstr(err, "logits["));
    golden_free(&g);
}

/* A C parameter missing from the file, or a shape that differs, is an error. */
static void test_golden_detects_missing_and_shape(void **state)
{
    (void)state;
    struct golden g;
    char err[512] = "";
    assert_int_equal(golden_load(&g, WDL_GOLDEN, err, sizeof err), 0);
    for (int i = 0; i < g.n_tensors; i++)
        if (strcmp(g.tensors[i].name, "wdl.bias") == 0) g.tensors[i].name[0] = 'X';
    assert_int_equal(golden_check_model("wdl", &g, NULL, 1e-4, err, sizeof err), -1);
    assert_non_null(strstr(err, "wdl.bias of the C model is not in the file"));
    golden_free(&g);

    assert_int_equal(golden_load(&g, WDL_GOLDEN, err, sizeof err), 0);
    for (int i = 0; i < g.n_tensors; i++)
        if (strcmp(g.tensors[i].name, "wdl.deep.1.w") == 0) {
            g.tensors[i].shape[0] = 1;
            g.tensors[i].shape[1] = g.tensors[i].size;
        }
    assert_int_equal(golden_check_model("wdl", &g, NULL, 1e-4, err, sizeof err), -1);
    assert_non_null(strstr(err, "wdl.deep.1.w is"));
    golden_free(&g);
}

/* Malformed files are errors with file:line. */
static void test_golden_bad_files(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        { "golden 1\ntensor a 2 2 2\n1 2 3\n", "3 of 4 values" },
        { "golden 1\ntensor a 1 2\n1 2 3\n", "more than 2 values" },
        { "golden 1\ntensor a 1 2\n1 x\n", "'x' is not a number" },
        { "golden 2\n", "version" },
        { "golden 1\nwhat 3\n", "unknown line" },
        { "golden 1\nconfig a 1\nconfig a 2\n", "given twice" },
        { "golden 1\nfield user 0\n", "CARD >= 1" },
    };
    char path[] = "/tmp/apg-golden-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FILE *f = fopen(path, "w");
        fputs(bad[i][0], f);
        fclose(f);
        struct golden g;
        char err[512] = "";
        assert_int_equal(golden_load(&g, path, err, sizeof err), -1);
        if (!strstr(err, bad[i][1])) print_error("'%s' lacks '%s'\n", err, bad[i][1]);
        assert_non_null(strstr(err, bad[i][1]));
        assert_non_null(strstr(err, path));
    }
    remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wdl_golden),
        cmocka_unit_test(test_golden_load),
        cmocka_unit_test(test_golden_detects_wrong_value),
        cmocka_unit_test(test_golden_detects_missing_and_shape),
        cmocka_unit_test(test_golden_bad_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
