/* Real-data loaders on the files in ../shared/data (override with APG_SHARED_DATA;
 * skipped with a message when absent): ml100k end to end, the ml1m users/movies
 * parser, the joined 200-row sample through the csv spec. Then the binary cache
 * (round trip, stale / truncated / bit-flipped caches rebuilt), splits, and
 * `apg data info`. Expected counts were computed outside this code (commands beside them). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "cache.h"
#include "ds_movielens.h"
#include "ds_testutil.h"

int cmd_data(int argc, char **argv);

static void ml100k_opts(struct data_opts *o, const char *cache_dir)
{
    tu_opts(o, "ml100k", tu_shared(), cache_dir);
}

/* Distinct ids > 0 of a single-valued field. */
static int distinct(const struct field *f, int n)
{
    char *seen = calloc((size_t)f->card, 1);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (f->ids[i] > 0 && !seen[f->ids[i]]) {
            seen[f->ids[i]] = 1;
            k++;
        }
    free(seen);
    return k;
}

static void test_ml100k_real(void **state)
{
    (void)state;
    if (!tu_have_shared("ml-100k/u.data")) { skip(); return; }
    struct data_opts o;
    struct dataset d;
    ml100k_opts(&o, NULL);
    tu_load(&d, &o);
    assert_int_equal(d.n_rows, 100000);
    assert_int_equal(distinct(&d.fields[d.user_field], d.n_rows), 943);
    assert_int_equal(d.fields[d.user_field].card, 944);
    assert_int_equal(distinct(&d.fields[d.item_field], d.n_rows), 1682);
    assert_int_equal(d.fields[d.item_field].card, 1683);
    int pos = 0;
    for (int i = 0; i < d.n_rows; i++) pos += d.label[i] > 0.5f;
    /* awk -F'\t' '$3 > 3' ../shared/data/ml-100k/u.data | wc -l   ->  55375 */
    assert_int_equal(pos, 55375);
    assert_int_equal(d.fields[d.category_field].card, 20);       /* u.genre's 19 genres */
    assert_true(d.fields[d.category_field].multi);
    int64_t lo = d.time[0], hi = d.time[0];
    for (int i = 0; i < d.n_rows; i++) {
        if (d.time[i] < lo) lo = d.time[i];
        if (d.time[i] > hi) hi = d.time[i];
    }
    assert_int_equal(lo, 874724710);                 /* min/max of column 4 (awk) */
    assert_int_equal(hi, 893286638);
    dataset_free(&d);

    o.drop_neutral = 1;
    tu_load(&d, &o);
    /* awk -F'\t' '$3 == 3' ../shared/data/ml-100k/u.data | wc -l   ->  27145 */
    assert_int_equal(d.n_rows, 100000 - 27145);
    dataset_free(&d);
}

static void test_ml1m_side_real(void **state)
{
    (void)state;
    if (!tu_have_shared("ml-1m/users.dat") || !tu_have_shared("ml-1m/movies.dat")) { skip(); return; }
    char users[1024], movies[1024], err[512] = "";
    snprintf(users, sizeof users, "%s/ml-1m/users.dat", tu_shared());
    snprintf(movies, sizeof movies, "%s/ml-1m/movies.dat", tu_shared());
    struct tbuild t;
    struct ml_side s = { 0 };
    struct csvread_bad bad = { 0 };
    assert_int_equal(tbuild_init(&t, ML_N_FIELDS, ml_field_names, ml_field_multi, 1), 0);
    int rc = ml_read_users(&s, &t, users, 0, &bad, err, sizeof err);
    if (!rc) rc = ml_read_movies(&s, &t, movies, 0, &bad, err, sizeof err);
    if (rc) print_message("%s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(bad.count, 0);
    assert_int_equal(t.cols[ML_USER].map.n, 6040);
    assert_int_equal(s.n_users, 6040);
    assert_int_equal(t.cols[ML_MOVIE].map.n, 3883);  /* Latin-1 and "a: b" titles included */
    assert_int_equal(s.n_movies, 3883);
    /* awk -F'::' '{print $3}' movies.dat | tr '|' '\n' | sort -u | wc -l  ->  18 */
    assert_int_equal(t.cols[ML_GENRES].map.n, 18);
    assert_int_equal(t.cols[ML_GENDER].map.n, 2);
    assert_int_equal(t.cols[ML_AGE].map.n, 7);
    assert_int_equal(t.cols[ML_OCCUPATION].map.n, 21);
    /* awk -F'::' '{print $5}' users.dat | sort -u | wc -l  ->  3439 */
    assert_int_equal(t.cols[ML_ZIP].map.n, 3439);
    int32_t toy = idmap_find(&t.cols[ML_MOVIE].map, "1", 1);
    assert_int_equal(s.goffs[toy + 1] - s.goffs[toy], 3);        /* Animation|Children's|Comedy */
    ml_side_free(&s);
    tbuild_free(&t);
}

/* The joined sample: CSV with quoted titles ("Bridges of Madison County, The (1995)").
 * Counts from python3 csv.DictReader: 200 rows, 113 with rating > 3, 193 users,
 * 187 movies, 17 genres, 187 titles. */
static void test_movielens_sample_csv(void **state)
{
    (void)state;
    if (!tu_have_shared("ml-1m/movielens_sample.txt")) { skip(); return; }
    char file[1024];
    snprintf(file, sizeof file, "%s/ml-1m/movielens_sample.txt", tu_shared());
    struct data_opts o;
    struct dataset d;
    tu_opts(&o, "csv", NULL, NULL);
    o.file = file;
    o.label_col = "rating>3";
    o.fields = "user_id,movie_id,gender,age,occupation,zip,genres";
    o.multi = "genres:|";
    tu_load(&d, &o);
    assert_int_equal(d.n_rows, 200);
    int pos = 0;
    for (int i = 0; i < d.n_rows; i++) pos += d.label[i] > 0.5f;
    /* awk -F, 'NR > 1 && $3 > 3' movielens_sample.txt | wc -l  ->  113 */
    assert_int_equal(pos, 113);
    assert_int_equal(d.user_field, 0);
    assert_int_equal(d.item_field, 1);
    assert_int_equal(d.category_field, 6);
    assert_int_equal(d.fields[0].card, 194);
    assert_int_equal(d.fields[1].card, 188);
    assert_int_equal(d.fields[6].card, 18);
    assert_non_null(d.time);
    assert_string_equal(d.label_rule, "rating > 3 -> 1 else 0");
    dataset_free(&d);

    o.fields = NULL;                                 /* every column but rating and timestamp */
    o.multi = NULL;
    tu_load(&d, &o);
    assert_int_equal(d.n_fields, 8);
    int ft = dataset_find_field(&d, "title");
    assert_int_equal(d.fields[ft].card, 188);
    dataset_free(&d);
}

/* ---- cache --------------------------------------------------------------------- */

/* The one *.apgcache file in dir whose name starts with prefix. */
static void find_cache(const char *dir, const char *prefix, char *out, size_t n)
{
    DIR *dd = opendir(dir);
    struct dirent *e;
    int found = 0;
    assert_non_null(dd);
    while ((e = readdir(dd)))
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && strstr(e->d_name, ".apgcache")) {
            snprintf(out, n, "%.500s/%.255s", dir, e->d_name);
            found++;
        }
    closedir(dd);
    assert_int_equal(found, 1);
}

static long file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (long)st.st_size;
}

static void flip_byte(const char *path, long at)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, at, SEEK_SET);
    int c = fgetc(f);
    fseek(f, at, SEEK_SET);
    fputc(c ^ 0x10, f);
    fclose(f);
}


static void test_cache_roundtrip_and_corruption(void **state)
{
    (void)state;
    if (!tu_have_shared("ml-100k/u.data")) { skip(); return; }
    char tmp[64], cdir[128], path[1024];
    tu_tmpdir(tmp, sizeof tmp);
    snprintf(cdir, sizeof cdir, "%s/cache/sub", tmp);    /* created on demand */
    struct data_opts o;
    struct dataset fresh;
    ml100k_opts(&o, NULL);
    tu_load(&fresh, &o);                             /* a parse that never touches a cache */
    ml100k_opts(&o, cdir);
    tu_load_expect(&o, &fresh, tmp, NULL);              /* parses, writes the cache */
    find_cache(cdir, "ml100k-", path, sizeof path);
    long size = file_size(path);
    assert_int_equal(size % 64, 0);                  /* every part padded to 64 bytes */
    tu_load_expect(&o, &fresh, tmp, NULL);              /* loads it: round trip equals the parse */
    struct dataset m;
    tu_load(&m, &o);                                 /* the columns live in the mapped file */
    tu_mapped(&m);
    assert_int_equal(m.map_len, size);
    tu_same_dataset(&m, &fresh);
    dataset_free(&m);
    assert_null(m.map);

    assert_int_equal(truncate(path, size / 2), 0);
    char want[128];
    snprintf(want, sizeof want, ".apgcache: truncated (%ld of %ld bytes); rebuilding", size / 2, size);
    tu_load_expect(&o, &fresh, tmp, want);
    assert_int_equal(file_size(path), size);         /* rebuilt */
    tu_load_expect(&o, &fresh, tmp, NULL);

    flip_byte(path, size - 1000);                    /* in the payload */
    tu_load_expect(&o, &fresh, tmp, "corrupted payload (checksum mismatch); rebuilding");
    tu_load_expect(&o, &fresh, tmp, NULL);
    flip_byte(path, 70);                             /* in the header */
    tu_load_expect(&o, &fresh, tmp, "corrupted header");
    tu_load_expect(&o, &fresh, tmp, NULL);
    flip_byte(path, 490);                            /* the padding after the header */
    tu_load_expect(&o, &fresh, tmp, "corrupted header (nonzero padding); rebuilding");
    tu_load_expect(&o, &fresh, tmp, NULL);
    flip_byte(path, 600);                            /* the dataset metadata */
    tu_load_expect(&o, &fresh, tmp, "corrupted payload (checksum mismatch); rebuilding");
    tu_load_expect(&o, &fresh, tmp, NULL);
    FILE *fa = fopen(path, "ab");                    /* appended bytes */
    assert_non_null(fa);
    fputs("junk", fa);
    fclose(fa);
    snprintf(want, sizeof want, ".apgcache: has trailing bytes (%ld of %ld bytes); rebuilding", size + 4, size);
    tu_load_expect(&o, &fresh, tmp, want);
    tu_load_expect(&o, &fresh, tmp, NULL);

    /* other options, another cache file beside the first */
    struct dataset dn;
    ml100k_opts(&o, NULL);
    o.drop_neutral = 1;
    tu_load(&dn, &o);
    o.cache_dir = cdir;
    o.no_cache = 0;
    tu_load_expect(&o, &dn, tmp, NULL);
    tu_load_expect(&o, &dn, tmp, NULL);
    DIR *dd = opendir(cdir);
    int n_files = 0;
    for (struct dirent *e; dd && (e = readdir(dd));) n_files += strstr(e->d_name, ".apgcache") != NULL;
    closedir(dd);
    assert_int_equal(n_files, 2);
    dataset_free(&dn);
    dataset_free(&fresh);
    tu_rmrf(tmp);
}

/* A source file that changes makes the cache stale. */
static void test_cache_stale(void **state)
{
    (void)state;
    char tmp[64], cdir[128];
    tu_tmpdir(tmp, sizeof tmp);
    snprintf(cdir, sizeof cdir, "%s/c", tmp);
    TU_WRITE(tmp, "ml-100k/u.user", "1|24|M|technician|85711\n2|53|F|other|94043\n");
    TU_WRITE(tmp, "ml-100k/u.item", "1|T (1995)|01-Jan-1995||u|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n");
    TU_WRITE(tmp, "ml-100k/u.data", "1\t1\t4\t881250949\n2\t1\t3\t891717742\n");
    struct data_opts o, on;
    struct dataset a, b;
    tu_opts(&o, "ml100k", tmp, cdir);
    tu_opts(&on, "ml100k", tmp, NULL);
    tu_load(&a, &on);
    tu_load_expect(&o, &a, tmp, NULL);
    tu_load_expect(&o, &a, tmp, NULL);
    TU_WRITE(tmp, "ml-100k/u.data", "1\t1\t4\t881250949\n2\t1\t3\t891717742\n2\t1\t5\t891717743\n");
    tu_load(&b, &on);
    assert_int_equal(b.n_rows, 3);
    tu_load_expect(&o, &b, tmp, "u.data changed since the cache was written (size); rebuilding");
    tu_load_expect(&o, &b, tmp, NULL);

    /* same size, the mtime put back: only the bytes tell (rating 5 -> 1 flips a label) */
    char p[256];
    struct stat st;
    snprintf(p, sizeof p, "%s/ml-100k/u.data", tmp);
    assert_int_equal(stat(p, &st), 0);
    TU_WRITE(tmp, "ml-100k/u.data", "1\t1\t4\t881250949\n2\t1\t3\t891717742\n2\t1\t1\t891717743\n");
    struct timespec times[2] = { st.st_atim, st.st_mtim };
    assert_int_equal(utimensat(AT_FDCWD, p, times, 0), 0);
    struct stat st2;
    assert_int_equal(stat(p, &st2), 0);
    assert_true(st2.st_size == st.st_size && st2.st_mtim.tv_sec == st.st_mtim.tv_sec &&
                st2.st_mtim.tv_nsec == st.st_mtim.tv_nsec);
    struct dataset c;
    tu_load(&c, &on);
    assert_true(c.label[2] == 0.0f && b.label[2] == 1.0f);
    tu_load_expect(&o, &c, tmp, "u.data changed since the cache was written (SHA-256 of its bytes); rebuilding");
    tu_load_expect(&o, &c, tmp, NULL);
    /* a new mtime over the same bytes (touch, a copy) is not a change */
    assert_int_equal(utimensat(AT_FDCWD, p, NULL, 0), 0);
    tu_load_expect(&o, &c, tmp, NULL);
    dataset_free(&a);
    dataset_free(&b);
    dataset_free(&c);
    tu_rmrf(tmp);
}

/* ---- splits -------------------------------------------------------------------- */

static void test_splits_real(void **state)
{
    (void)state;
    if (!tu_have_shared("ml-100k/u.data")) { skip(); return; }
    struct data_opts o;
    struct dataset d;
    ml100k_opts(&o, NULL);
    tu_load(&d, &o);
    struct split a, b, c;
    split_random(&a, &d, 0.8, 0.1, 7);
    split_random(&b, &d, 0.8, 0.1, 7);
    split_random(&c, &d, 0.8, 0.1, 8);
    assert_int_equal(a.n_train, 80000);
    assert_int_equal(a.n_val, 10000);
    assert_int_equal(a.n_test, 10000);
    assert_memory_equal(a.train, b.train, (size_t)a.n_train * sizeof(int32_t));
    assert_memory_equal(a.test, b.test, (size_t)a.n_test * sizeof(int32_t));
    assert_true(memcmp(a.train, c.train, (size_t)a.n_train * sizeof(int32_t)) != 0);
    char *seen = calloc((size_t)d.n_rows, 1);
    const int32_t *parts[3] = { a.train, a.val, a.test };
    const int sizes[3] = { a.n_train, a.n_val, a.n_test };
    for (int p = 0; p < 3; p++)
        for (int i = 0; i < sizes[p]; i++) {
            assert_int_equal(seen[parts[p][i]], 0);  /* disjoint */
            seen[parts[p][i]] = 1;
        }
    for (int i = 0; i < d.n_rows; i++) assert_int_equal(seen[i], 1);
    free(seen);
    split_free(&a);
    split_free(&b);
    split_free(&c);

    struct split t;
    char how[256];
    assert_int_equal(split_time(&t, &d, 0.1, 0.1, how, sizeof how), 0);
    assert_string_equal(how, "last 10% of rows by time = test, the 10% before = validation");
    assert_int_equal(t.n_test, 10000);              /* MovieLens: fractions, not days */
    assert_int_equal(t.n_val, 10000);
    int64_t train_max = 0, test_min = INT64_MAX;
    for (int i = 0; i < t.n_train; i++) if (d.time[t.train[i]] > train_max) train_max = d.time[t.train[i]];
    for (int i = 0; i < t.n_test; i++) if (d.time[t.test[i]] < test_min) test_min = d.time[t.test[i]];
    assert_true(test_min >= train_max);
    split_free(&t);
    dataset_free(&d);
}

/* ---- apg data info ------------------------------------------------------------- */

static void test_cmd_data_info(void **state)
{
    (void)state;
    if (!tu_have_shared("ml-100k/u.data")) { skip(); return; }
    char tmp[64], out[128], dir[1024];
    tu_tmpdir(tmp, sizeof tmp);
    snprintf(out, sizeof out, "%s/out.txt", tmp);
    snprintf(dir, sizeof dir, "%s", tu_shared());
    char *argv[] = { "info", "--dataset", "ml100k", "--data", dir, "--no-cache", "--data-seed", "3", NULL };
    int saved = tu_capture_begin(stdout, out);
    int rc = cmd_data(8, argv);
    tu_capture_end(stdout, saved);
    char *text = tu_read(out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(text, "rows      100000, positives 55375 (0.5537)"));
    assert_non_null(strstr(text, "users     943 (field user_id)"));
    assert_non_null(strstr(text, "items     1682 (field movie_id)"));
    assert_non_null(strstr(text, "split     random 80/10/10, --data-seed 3: train 80000, val 10000, test 10000"));
    assert_non_null(strstr(text, "\n      9 "));          /* the tenth user group */
    /* the groups hold 943 users in runs of 94 or 95 */
    int users = 0;
    for (int g = 0; g < 10; g++) {
        char key[16];
        snprintf(key, sizeof key, "\n  %5d ", g);
        const char *p = strstr(text, key);
        assert_non_null(p);
        users += atoi(p + strlen(key));
    }
    assert_int_equal(users, 943);
    free(text);
    char *bad[] = { "info", "--dataset", "nope", NULL };
    saved = tu_capture_begin(stderr, out);
    assert_int_equal(cmd_data(3, bad), 2);   /* an option error: exit 2, as apg train */
    char *bad2[] = { "frobnicate", NULL };
    assert_int_equal(cmd_data(1, bad2), 2);
    tu_capture_end(stderr, saved);
    text = tu_read(out);
    assert_non_null(strstr(text, "unknown dataset 'nope'"));
    assert_non_null(strstr(text, "unknown subcommand 'frobnicate'"));
    free(text);
    tu_rmrf(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ml100k_real),
        cmocka_unit_test(test_ml1m_side_real),
        cmocka_unit_test(test_movielens_sample_csv),
        cmocka_unit_test(test_cache_roundtrip_and_corruption),
        cmocka_unit_test(test_cache_stale),
        cmocka_unit_test(test_splits_real),
        cmocka_unit_test(test_cmd_data_info),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
