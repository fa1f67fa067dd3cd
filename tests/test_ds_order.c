/* Datasets as users have them: --split position (the file's order), --time-col, and
 * header lines in formats that have none (u.data, ratings.dat, Amazon's ratings). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include "ds_testutil.h"
#include "commands.h"
#include "train.h"

static void test_split_position(void **state)
{
    (void)state;
    char dir[64];
    tu_tmpdir(dir, sizeof dir);
    char buf[4096];
    int k = snprintf(buf, sizeof buf, "u,i,click\n");
    for (int r = 0; r < 50; r++) k += snprintf(buf + k, sizeof buf - (size_t)k, "u%d,i%d,%d\n", r % 7, r % 5, r % 2);
    tu_write(dir, "a.csv", buf, (size_t)k);
    struct data_opts o;
    tu_opts(&o, "csv", dir, NULL);
    o.file = "a.csv";
    o.label_col = "click";
    o.split = "position";
    struct dataset d;
    tu_load(&d, &o);
    struct split s;
    char err[256];
    assert_int_equal(dataset_split(&s, &d, &o, err, sizeof err), 0);
    assert_int_equal(s.n_train, 40);
    assert_int_equal(s.n_val, 5);
    assert_int_equal(s.n_test, 5);
    for (int i = 0; i < 40; i++) assert_int_equal(s.train[i], i);
    for (int i = 0; i < 5; i++) assert_int_equal(s.val[i], 40 + i);
    for (int i = 0; i < 5; i++) assert_int_equal(s.test[i], 45 + i);
    split_free(&s);
    o.split = "order";
    assert_int_equal(dataset_split(&s, &d, &o, err, sizeof err), -1);
    assert_string_equal(err, "--split: expected random, given, position or time, got 'order'");
    dataset_free(&d);
    tu_rmrf(dir);
}

static void test_time_col(void **state)
{
    (void)state;
    char dir[64], want[256];
    tu_tmpdir(dir, sizeof dir);
    TU_WRITE(dir, "t.csv", "u,ts,when,click\na,5,30,1\nb,6,20,0\nc,7,10,1\n");
    struct data_opts o;
    tu_opts(&o, "csv", dir, NULL);
    o.file = "t.csv";
    o.label_col = "click";
    struct dataset d;
    tu_load(&d, &o);                                   /* unset: 'ts' by its name */
    assert_non_null(d.time);
    assert_int_equal(d.time[0], 5);
    assert_int_equal(d.n_fields, 2);                   /* u, when */
    dataset_free(&d);
    o.time_col = "when";
    tu_load(&d, &o);
    assert_non_null(d.time);
    assert_int_equal(d.time[0], 30);
    assert_int_equal(d.time[2], 10);
    assert_int_equal(d.n_fields, 2);                   /* u, ts */
    struct split s;
    char err[256];
    o.split = "time";
    assert_int_equal(dataset_split(&s, &d, &o, err, sizeof err), 0);
    split_free(&s);
    dataset_free(&d);
    o.time_col = "none";
    tu_load(&d, &o);
    assert_null(d.time);
    assert_int_equal(d.n_fields, 3);
    dataset_free(&d);
    o.time_col = "ts";
    TU_WRITE(dir, "t.csv", "u,ts,click\na,5,1\nb,x,0\n");
    snprintf(want, sizeof want, "%s/t.csv:3: field ts: 'x' is not an integer time", dir);
    tu_load_fails(&o, want);
    o.time_col = "stamp";
    tu_load_fails(&o, "csv: --time-col: no column 'stamp' in the header");
    o.time_col = "click";
    tu_load_fails(&o, "csv: --time-col: column 'click' is the label column");
    o.time_col = NULL;                                 /* unset, 'ts' not all integers: no times */
    tu_load(&d, &o);
    assert_null(d.time);
    dataset_free(&d);
    tu_rmrf(dir);
}

static void test_header_lines(void **state)
{
    (void)state;
    char dir[64], want[256];
    tu_tmpdir(dir, sizeof dir);
    struct data_opts o;
    struct dataset plain, with;
    tu_opts(&o, "amazon", dir, NULL);
    TU_WRITE(dir, "amazon/ratings_Electronics.csv", "A1,B1,5.0,1365811200\nA2,B1,2.0,1365811201\n");
    tu_load(&plain, &o);
    TU_WRITE(dir, "amazon/ratings_Electronics.csv",
             "UserId,ItemId,rating,timestamp\nA1,B1,5.0,1365811200\nA2,B1,2.0,1365811201\n");
    tu_load(&with, &o);
    tu_same_dataset(&plain, &with);
    assert_int_equal(plain.header_lines, 0);             /* what data info reports */
    assert_int_equal(with.header_lines, 1);
    dataset_free(&plain);
    dataset_free(&with);
    /* a malformed first row is no header */
    TU_WRITE(dir, "amazon/ratings_Electronics.csv", "A1,B1,five,1365811200\nA2,B1,2.0,1365811201\n");
    snprintf(want, sizeof want, "%s/amazon/ratings_Electronics.csv:1: field rating: 'five' is not a rating 1..5", dir);
    tu_load_fails(&o, want);
    /* nor a word further down */
    TU_WRITE(dir, "amazon/ratings_Electronics.csv", "A1,B1,5.0,1365811200\nUserId,ItemId,rating,timestamp\n");
    tu_load_fails(&o, "ratings_Electronics.csv:2: field rating: 'rating' is not a rating 1..5");

    TU_WRITE(dir, "ml-100k/u.user", "1|24|M|technician|85711\n2|53|F|other|94043\n");
    TU_WRITE(dir, "ml-100k/u.item", "1|T (1995)|01-Jan-1995||u|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n");
    TU_WRITE(dir, "ml-100k/u.data", "1\t1\t4\t881250949\n2\t1\t3\t891717742\n");
    tu_opts(&o, "ml100k", dir, NULL);
    tu_load(&plain, &o);
    TU_WRITE(dir, "ml-100k/u.data", "user_id\titem_id\trating\ttimestamp\n1\t1\t4\t881250949\n2\t1\t3\t891717742\n");
    TU_WRITE(dir, "ml-100k/u.user", "user_id|age|gender|occupation|zip\n1|24|M|technician|85711\n2|53|F|other|94043\n");
    tu_load(&with, &o);
    tu_same_dataset(&plain, &with);
    assert_int_equal(with.header_lines, 2);              /* u.data and u.user */
    dataset_free(&plain);
    dataset_free(&with);
    tu_rmrf(dir);
}

/* --shuffle-train 0 trains every epoch in the split's order: the same run twice is
 * identical, the order matters (the reversed order trains another model), and it is
 * not the reshuffled run. */
static double train_logloss(const struct dataset *d, const struct split *s, int shuffle)
{
    struct train_cfg c;
    struct train_result r;
    char err[256];
    train_cfg_default(&c);
    c.model.hidden[0] = 8;
    c.model.n_hidden = 1;
    c.epochs = 1;
    c.batch = 64;
    c.shuffle = shuffle;
    assert_int_equal(train_run(&c, d, s, &r, err, sizeof err), 0);
    return r.test_logloss;
}

static void test_shuffle_train(void **state)
{
    (void)state;
    struct data_opts o;
    data_opts_default(&o);
    o.rows = 3000;
    o.no_cache = 1;
    o.split = "position";
    struct dataset d;
    tu_load(&d, &o);
    struct split s;
    char err[256];
    assert_int_equal(dataset_split(&s, &d, &o, err, sizeof err), 0);
    double kept = train_logloss(&d, &s, 0), again = train_logloss(&d, &s, 0), shuffled = train_logloss(&d, &s, 1);
    for (int i = 0, j = s.n_train - 1; i < j; i++, j--) {
        int32_t t = s.train[i];
        s.train[i] = s.train[j];
        s.train[j] = t;
    }
    double reversed = train_logloss(&d, &s, 0);
    printf("   test logloss: file order %.6f (again %.6f), reversed %.6f, reshuffled %.6f\n", kept, again,
           reversed, shuffled);
    assert_true(kept == again);
    assert_true(kept != reversed);
    assert_true(kept != shuffled);
    split_free(&s);
    dataset_free(&d);
}

/* --train-file / --val-file / --test-file: one id map over the files, the rows kept in
 * that order, the split taken as given; without a validation file a seeded part of the
 * training file (never of the test file); cached = parsed. */
static void test_given_split(void **state)
{
    (void)state;
    char dir[64], cdir[80];
    tu_tmpdir(dir, sizeof dir);
    snprintf(cdir, sizeof cdir, "%s/cache", dir);
    TU_WRITE(dir, "train.csv", "user,item,click\nu1,a,1\nu2,b,0\nu1,b,1\nu3,a,0\nu2,a,1\nu4,c,0\nu1,c,1\nu5,a,0\n"
                                "u6,b,1\nu7,c,0\n");
    TU_WRITE(dir, "val.csv", "user,item,click\nu2,c,1\nu9,a,0\n");
    TU_WRITE(dir, "test.csv", "\xEF\xBB\xBFuser,item,click\r\nu1,a,0\r\nu8,d,1\r\nu3,b,1\r\n");
    struct data_opts o;
    tu_opts(&o, "csv", dir, NULL);
    o.label_col = "click";
    o.train_file = "train.csv";
    o.val_file = "val.csv";
    o.test_file = "test.csv";
    struct dataset d;
    tu_load(&d, &o);
    assert_int_equal(d.n_rows, 15);
    assert_int_equal(d.given[0], 10);
    assert_int_equal(d.given[1], 2);
    assert_int_equal(d.given[2], 3);
    const struct field *u = &d.fields[d.user_field];
    assert_int_equal(u->ids[12], u->ids[0]);           /* u1 in test = u1 in train */
    assert_int_equal(u->ids[10], u->ids[1]);           /* u2 in val = u2 in train */
    assert_int_equal(u->card, 1 + 9);                  /* u1..u9 */
    struct split s;
    char err[512], how[400];
    assert_int_equal(dataset_split_how(&s, &d, &o, how, sizeof how, err, sizeof err), 0);
    printf("   %s\n", how);
    assert_string_equal(how, "given: train train.csv, validation val.csv, test test.csv");
    assert_int_equal(s.n_train, 10);
    assert_int_equal(s.n_val, 2);
    assert_int_equal(s.n_test, 3);
    for (int i = 0; i < 10; i++) assert_int_equal(s.train[i], i);
    assert_int_equal(s.val[0], 10);
    assert_int_equal(s.test[0], 12);
    split_free(&s);
    o.split = "time";
    assert_int_equal(dataset_split(&s, &d, &o, err, sizeof err), -1);
    assert_string_equal(err, "--split time: the split is given (--train-file, --test-file): drop --split");
    o.split = "random";
    dataset_free(&d);

    /* no validation file: 20% of the training rows, seeded; the test rows untouched */
    o.val_file = NULL;
    o.val_frac = 0.2;
    o.cache_dir = cdir;
    o.no_cache = 0;
    struct dataset parsed, cached;
    tu_load(&parsed, &o);
    tu_load(&cached, &o);
    assert_non_null(cached.map);
    tu_same_dataset(&parsed, &cached);
    assert_memory_equal(parsed.given, cached.given, sizeof parsed.given);
    assert_int_equal(cached.given[1], 0);
    assert_int_equal(dataset_split_how(&s, &cached, &o, how, sizeof how, err, sizeof err), 0);
    printf("   %s\n", how);
    assert_non_null(strstr(how, "validation 20% of the training file (seeded"));
    assert_int_equal(s.n_train, 8);
    assert_int_equal(s.n_val, 2);
    assert_int_equal(s.n_test, 3);
    for (int i = 0; i < s.n_val; i++) assert_true(s.val[i] < 10);
    for (int i = 0; i < s.n_test; i++) assert_int_equal(s.test[i], 10 + i);
    for (int i = 1; i < s.n_train; i++) assert_true(s.train[i] > s.train[i - 1]);   /* file order */
    split_free(&s);
    dataset_free(&parsed);
    dataset_free(&cached);

    o.cache_dir = NULL;
    o.no_cache = 1;
    o.test_file = NULL;
    tu_load_fails(&o, "csv: a given split needs --train-file and --test-file");
    o.test_file = "test.csv";
    o.file = "train.csv";
    tu_load_fails(&o, "csv: --file and a given split");
    o.file = NULL;
    TU_WRITE(dir, "test.csv", "user,click,item\nu1,0,a\n");
    tu_load_fails(&o, "test.csv:1: the header differs from");
    TU_WRITE(dir, "test.csv", "user,item,click\n");
    tu_load_fails(&o, "csv: the given test file test.csv has no rows");
    o.min_item_count = 2;
    tu_load_fails(&o, "csv: --min-item-count filters rows before a split is drawn");
    o.min_item_count = 0;
    /* a dataset with no given split refuses --split given */
    o.train_file = o.test_file = NULL;
    o.file = "train.csv";
    o.split = "given";
    tu_load(&d, &o);
    assert_int_equal(dataset_split(&s, &d, &o, err, sizeof err), -1);
    assert_non_null(strstr(err, "--split given: dataset csv:train.csv has no given split"));
    dataset_free(&d);
    tu_rmrf(dir);
}

/* A libFM set shipped as split files (Frappe: train, validation, test): one id map,
 * the given rows; on the real validation + test files when ../shared/data has them. */
static void test_given_split_frappe(void **state)
{
    (void)state;
    char dir[64];
    tu_tmpdir(dir, sizeof dir);
    TU_WRITE(dir, "tr.libfm", "1 0:1 5:1\n-1 1:1 6:1\n-1 0:1 7:1\r\n");
    TU_WRITE(dir, "te.libfm", "1 1:1 5:1\n-1 2:1 7:1\n");
    struct data_opts o;
    tu_opts(&o, "frappe", dir, NULL);
    o.train_file = "tr.libfm";
    o.test_file = "te.libfm";
    struct dataset d;
    tu_load(&d, &o);
    assert_int_equal(d.n_rows, 5);
    assert_int_equal(d.given[0], 3);
    assert_int_equal(d.given[1], 0);
    assert_int_equal(d.given[2], 2);
    assert_int_equal(d.fields[0].ids[3], d.fields[0].ids[1]);      /* feature 1 in test = in train */
    assert_int_equal(d.fields[1].ids[4], d.fields[1].ids[2]);      /* feature 7 */
    assert_int_equal(d.fields[0].card, 1 + 3);
    dataset_free(&d);
    o.file = "tr.libfm";
    tu_load_fails(&o, "frappe: --file and a given split");
    tu_rmrf(dir);

    if (!tu_have_shared("frappe/frappe.test.libfm")) return;
    tu_opts(&o, "frappe", tu_shared(), NULL);
    o.train_file = "frappe/frappe.validation.libfm";
    o.test_file = "frappe/frappe.test.libfm";
    tu_load(&d, &o);
    assert_int_equal(d.given[0], 57722);
    assert_int_equal(d.given[2], 28860);
    struct split s;
    char err[256], how[400];
    assert_int_equal(dataset_split_how(&s, &d, &o, how, sizeof how, err, sizeof err), 0);
    printf("   frappe: %s: train %d, val %d, test %d\n", how, s.n_train, s.n_val, s.n_test);
    assert_int_equal(s.n_test, 28860);
    assert_int_equal(s.n_train + s.n_val, 57722);
    split_free(&s);
    dataset_free(&d);
}

/* Criteo as a given split whose files differ in layout (CSV with a header, TSV
 * without): each file's layout is read on its own, one id map over both. */
static void test_given_split_criteo(void **state)
{
    (void)state;
    char dir[64];
    tu_tmpdir(dir, sizeof dir);
    static const char hdr[] = "Id,Label,I1,I2,I3,I4,I5,I6,I7,I8,I9,I10,I11,I12,I13,C1,C2,C3,C4,C5,C6,C7,C8,C9,C10,"
                              "C11,C12,C13,C14,C15,C16,C17,C18,C19,C20,C21,C22,C23,C24,C25,C26\r\n";
    char tr[4096], te[4096];
    int k = snprintf(tr, sizeof tr, "%s", hdr), m = 0;
    for (int r = 0; r < 4; r++) {
        k += snprintf(tr + k, sizeof tr - (size_t)k, "%d,%d", r, r & 1);
        m += snprintf(te + m, sizeof te - (size_t)m, "%d", (r + 1) & 1);
        for (int i = 0; i < 13; i++) {
            k += snprintf(tr + k, sizeof tr - (size_t)k, ",%d", r + i);
            m += snprintf(te + m, sizeof te - (size_t)m, "\t%d", r + i);
        }
        for (int c = 0; c < 26; c++) {
            k += snprintf(tr + k, sizeof tr - (size_t)k, ",%08x", 0x1000 * c + r);
            m += snprintf(te + m, sizeof te - (size_t)m, "\t%08x", 0x1000 * c + 3 - r);
        }
        k += snprintf(tr + k, sizeof tr - (size_t)k, "\r\n");
        m += snprintf(te + m, sizeof te - (size_t)m, "\n");
    }
    tu_write(dir, "train.csv", tr, (size_t)k);
    tu_write(dir, "test.tsv", te, (size_t)m);
    struct data_opts o;
    tu_opts(&o, "criteo", dir, NULL);
    o.train_file = "train.csv";
    o.test_file = "test.tsv";
    struct dataset d;
    tu_load(&d, &o);
    assert_int_equal(d.n_rows, 8);
    assert_int_equal(d.given[0], 4);
    assert_int_equal(d.given[2], 4);
    int c1 = dataset_find_field(&d, "C1");
    assert_true(c1 >= 0);
    for (int r = 0; r < 4; r++) assert_int_equal(d.fields[c1].ids[4 + r], d.fields[c1].ids[3 - r]);
    assert_int_equal(d.fields[c1].card, 1 + 4);
    for (int r = 0; r < 4; r++) {
        assert_true(d.label[r] == (float)(r & 1));
        assert_true(d.label[4 + r] == (float)((r + 1) & 1));
    }
    dataset_free(&d);
    tu_rmrf(dir);
}

/* Avazu as a given split: each file's header must be the first's; one id map. */
static void test_given_split_avazu(void **state)
{
    (void)state;
    char dir[64];
    tu_tmpdir(dir, sizeof dir);
    TU_WRITE(dir, "tr.csv", "id,click,hour,site_id,C21\r\n1,0,14102100,a,1\r\n2,1,14102123,b,1\r\n3,0,14102205,c,2\r\n");
    TU_WRITE(dir, "te.csv", "id,click,hour,site_id,C21\n4,1,14102305,b,2\n5,0,14102310,a,\n");
    struct data_opts o;
    tu_opts(&o, "avazu", dir, NULL);
    o.train_file = "tr.csv";
    o.test_file = "te.csv";
    struct dataset d;
    tu_load(&d, &o);
    assert_int_equal(d.n_rows, 5);
    assert_int_equal(d.given[0], 3);
    assert_int_equal(d.given[2], 2);
    int site = dataset_find_field(&d, "site_id");
    assert_true(site >= 0);
    assert_int_equal(d.fields[site].ids[3], d.fields[site].ids[1]);    /* b */
    assert_int_equal(d.fields[site].ids[4], d.fields[site].ids[0]);    /* a */
    assert_int_equal(d.fields[site].card, 1 + 3);
    dataset_free(&d);
    TU_WRITE(dir, "te.csv", "id,click,hour,C21,site_id\n4,1,14102305,2,b\n");
    tu_load_fails(&o, "te.csv:1: the header differs from the first file's at column 4 ('C21', expected 'site_id')");
    tu_rmrf(dir);
}

/* apg data info takes every --split kind; apg data export writes the split as CSV
 * files that the csv loader reads back to the same rows, labels, cardinalities, lists
 * and numeric values. */
static void test_data_commands(void **state)
{
    (void)state;
    char dir[64], out[128], path[256];
    tu_tmpdir(dir, sizeof dir);
    snprintf(out, sizeof out, "%s/ex", dir);
    TU_WRITE(dir, "a.csv", "u,g,x,click\nA,p|q,1.5,1\nB,,2,0\nC,q,,1\nA,p,7,0\nB,q|r|p,3,1\nD,r,4,0\n"
                           "E,p,5,1\nA,q,6,0\nC,,8,1\nB,p,9,0\n");
    snprintf(path, sizeof path, "%s/a.csv", dir);
    char *info[] = { "info", "--dataset", "csv", "--file", path, "--label", "click", "--split", "position",
                     "--no-cache", NULL };
    assert_int_equal(cmd_data(10, info), 0);
    char *exp[] = { "export", "--dataset", "csv", "--file", path, "--label", "click", "--multi", "g:|",
                    "--numeric", "x", "--split", "position", "--no-cache", "--out", out, NULL };
    assert_int_equal(cmd_data(16, exp), 0);
    snprintf(path, sizeof path, "%s/fields.json", out);
    char *json = tu_read(path);
    assert_non_null(strstr(json, "{\"name\": \"g\", \"card\": 4, \"multi\": 1, \"numeric\": 0}"));
    assert_non_null(strstr(json, "\"rows\": {\"train\": 8, \"val\": 1, \"test\": 1}"));
    free(json);
    snprintf(path, sizeof path, "%s/train.csv", out);
    char *train = tu_read(path);
    const char *head = "u,g,x,label\n1,1|2,1.5,1\n2,,2,0\n3,2,,1\n";   /* dense ids, lists, raw values */
    assert_true(strncmp(train, head, strlen(head)) == 0);
    free(train);

    struct data_opts o;
    struct dataset a, b;
    tu_opts(&o, "csv", dir, NULL);
    o.file = "a.csv";
    o.label_col = "click";
    o.multi = "g:|";
    o.numeric = "x";
    o.split = "position";
    tu_load(&a, &o);
    tu_opts(&o, "csv", out, NULL);
    o.train_file = "train.csv";
    o.val_file = "val.csv";
    o.test_file = "test.csv";
    o.label_col = "label";
    o.multi = "g:|";
    o.numeric = "x";
    tu_load(&b, &o);
    memcpy(b.name, a.name, sizeof b.name);               /* file and label column are named apart */
    memcpy(b.label_rule, a.label_rule, sizeof b.label_rule);
    tu_same_dataset(&a, &b);                             /* position split: the same row order */
    for (int r = 0; r < a.n_rows; r++)
        assert_true((isnan(a.fields[2].num[r]) && isnan(b.fields[2].num[r])) || a.fields[2].num[r] == b.fields[2].num[r]);
    dataset_free(&a);
    dataset_free(&b);
    char *bad[] = { "export", "--dataset", "csv", "--file", path, "--label", "click", NULL };
    assert_int_equal(cmd_data(7, bad), 2);               /* no --out */
    tu_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_position),
        cmocka_unit_test(test_time_col),
        cmocka_unit_test(test_header_lines),
        cmocka_unit_test(test_shuffle_train),
        cmocka_unit_test(test_given_split),
        cmocka_unit_test(test_given_split_frappe),
        cmocka_unit_test(test_given_split_criteo),
        cmocka_unit_test(test_given_split_avazu),
        cmocka_unit_test(test_data_commands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
