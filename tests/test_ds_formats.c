/* Every real-data loader on small files written here in the exact format of the
 * original (Latin-1 bytes, CRLF line ends, a missing final newline, quoting, empty
 * lists, -1 missing values), the documented malformed-row errors, --skip-bad-rows,
 * and the missing-file message; the iaac day split (last Beijing day = test). Also the
 * csvread and idmap building blocks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include "csvread.h"
#include "idmap.h"
#include "ds_testutil.h"
#include "ds_samples.h"

/* ---- csvread ------------------------------------------------------------------- */

struct rows { int n; long line[16]; int nf[16]; char f[16][8][64]; };

static int collect(void *ctx, const struct csvread_row *r, char *err, size_t errlen)
{
    struct rows *x = ctx;
    (void)err; (void)errlen;
    if (x->n < 16) {
        x->line[x->n] = r->line;
        x->nf[x->n] = r->n;
        for (int i = 0; i < r->n && i < 8; i++) snprintf(x->f[x->n][i], 64, "%s", r->f[i]);
    }
    x->n++;
    return 0;
}

static void test_csvread_lines_quotes_crlf(void **state)
{
    (void)state;
    char dir[64], path[128], err[256];
    tu_tmpdir(dir, sizeof dir);
    /* blank line, CRLF, a quoted field with a newline and a doubled quote, no final newline */
    TU_WRITE(dir, "a.csv", "a,b\r\n\r\n\"x\ny\",\"q\"\"z\"\r\n,last\n\n\"k\",\xe9");
    snprintf(path, sizeof path, "%s/a.csv", dir);
    struct rows x = { 0 };
    struct csvread_opts o = { ',', 1, 0, 0 };
    assert_int_equal(csvread_file(path, &o, collect, &x, err, sizeof err), 0);
    assert_int_equal(x.n, 4);
    assert_int_equal(x.line[0], 1);
    assert_int_equal(x.line[1], 3);
    assert_string_equal(x.f[1][0], "x\ny");
    assert_string_equal(x.f[1][1], "q\"z");
    assert_int_equal(x.line[2], 5);                 /* after the quoted newline */
    assert_int_equal(x.nf[2], 2);
    assert_string_equal(x.f[2][0], "");
    assert_int_equal(x.line[3], 7);
    assert_string_equal(x.f[3][1], "\xe9");        /* Latin-1 byte passed through */
    tu_rmrf(dir);
}

static void test_csvread_dcolon(void **state)
{
    (void)state;
    char dir[64], path[128], err[256];
    tu_tmpdir(dir, sizeof dir);
    TU_WRITE(dir, "m.dat", "1::Star Trek: The Motion Picture (1979)::Action|Sci-Fi\r\n2::\"Quoted\" (1990)::\n3:::x::");
    snprintf(path, sizeof path, "%s/m.dat", dir);
    struct rows x = { 0 };
    struct csvread_opts o = { CSVREAD_DCOLON, 0, 0, 0 };
    assert_int_equal(csvread_file(path, &o, collect, &x, err, sizeof err), 0);
    assert_int_equal(x.n, 3);
    assert_int_equal(x.nf[0], 3);
    assert_string_equal(x.f[0][1], "Star Trek: The Motion Picture (1979)");
    assert_string_equal(x.f[1][1], "\"Quoted\" (1990)");   /* quotes are plain bytes here */
    assert_string_equal(x.f[1][2], "");
    assert_int_equal(x.nf[2], 3);
    assert_string_equal(x.f[2][1], ":x");
    assert_string_equal(x.f[2][2], "");
    tu_rmrf(dir);
}

static int count_rows(void *ctx, const struct csvread_row *r, char *err, size_t errlen)
{
    long *n = ctx;
    if (r->n != 4 || strcmp(r->f[1], "22") != 0) {
        snprintf(err, errlen, "line %ld: %d fields", r->line, r->n);
        return 1;
    }
    (*n)++;
    return 0;
}

/* A "::" split across the 1 MiB read chunks. */
static void test_csvread_dcolon_chunk_boundary(void **state)
{
    (void)state;
    char dir[64], path[128], err[256];
    tu_tmpdir(dir, sizeof dir);
    size_t n = (1u << 20) + 4096;
    char *buf = malloc(n);
    const char *row = "1::22::3::4\n";      /* 12 bytes; pad the first row so "::" straddles */
    size_t k = 0;
    size_t pad = ((1u << 20) - 2) % 12;     /* row 0 is pad bytes longer: a "::" then starts at 2^20 - 1 */
    k += (size_t)sprintf(buf, "%0*d::22::3::4\n", (int)(pad + 1), 1);
    while (k + 12 <= n) { memcpy(buf + k, row, 12); k += 12; }
    assert_true(buf[(1u << 20) - 1] == ':' && buf[1u << 20] == ':');
    tu_write(dir, "r.dat", buf, k);
    snprintf(path, sizeof path, "%s/r.dat", dir);
    long rows = 0;
    struct csvread_opts o = { CSVREAD_DCOLON, 0, 0, 0 };
    int rc = csvread_file(path, &o, count_rows, &rows, err, sizeof err);
    if (rc) print_message("%s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(rows, (long)(k / 12));
    free(buf);
    tu_rmrf(dir);
}

static void test_csvread_numbers(void **state)
{
    (void)state;
    long long v;
    double d;
    assert_int_equal(csvread_i64("-17", &v), 0);
    assert_int_equal(v, -17);
    assert_int_equal(csvread_i64("9223372036854775807", &v), 0);
    assert_int_equal(csvread_i64("9223372036854775808", &v), -1);
    assert_int_equal(csvread_i64("", &v), -1);
    assert_int_equal(csvread_i64("3 ", &v), -1);
    assert_int_equal(csvread_i64("3.0", &v), -1);
    assert_int_equal(csvread_f64("4.5", &d), 0);
    assert_true(d == 4.5);
    assert_int_equal(csvread_f64("nan", &d), -1);
    assert_int_equal(csvread_f64("5x", &d), -1);
}

/* ---- idmap --------------------------------------------------------------------- */

static void test_idmap_order_and_min_count(void **state)
{
    (void)state;
    struct idmap m;
    idmap_init(&m);
    const char *v[] = { "b", "a", "b", "c", "a", "b", "\xe9" };
    int32_t ids[7];
    for (int i = 0; i < 7; i++) ids[i] = idmap_get(&m, v[i], strlen(v[i]));
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[1], 2);
    assert_int_equal(ids[2], 1);
    assert_int_equal(ids[3], 3);
    assert_int_equal(ids[6], 4);
    assert_int_equal(idmap_find(&m, "c", 1), 3);
    assert_int_equal(idmap_find(&m, "zz", 2), 0);
    assert_string_equal(idmap_str(&m, 2), "a");
    for (int i = 0; i < 5000; i++) {              /* growth keeps every id */
        char s[16];
        int n = snprintf(s, sizeof s, "k%d", i);
        assert_int_equal(idmap_get(&m, s, (size_t)n), 5 + i);
    }
    assert_int_equal(idmap_find(&m, "k4999", 5), 5004);
    idmap_free(&m);
    /* compaction: b x3, a x2, c x1, e9 x1 with min_count 2 -> b=1, a=2, rare -> 0 */
    int32_t card = idmap_compact(ids, 7, 5, 2);
    assert_int_equal(card, 3);
    int32_t want[7] = { 1, 2, 1, 0, 2, 1, 0 };
    assert_memory_equal(ids, want, sizeof want);
    /* renumbering follows first appearance in the column, not in the map */
    int32_t col[4] = { 3, 3, 1, 0 };
    assert_int_equal(idmap_compact(col, 4, 4, 0), 3);
    int32_t want2[4] = { 1, 1, 2, 0 };
    assert_memory_equal(col, want2, sizeof want2);
}

/* ---- ml1m / ml100k ------------------------------------------------------------- */

static void ml1m_files(const char *dir)
{
    TU_WRITE(dir, "ml-1m/users.dat", "1::F::1::10::48067\n2::M::56::16::70072\n3::M::25::15::55117-1234\n");
    TU_WRITE(dir, "ml-1m/movies.dat",
             "1::Toy Story (1995)::Animation|Children's|Comedy\n"
             "2::Mis\xe9rables, Les (1995)::Drama|Musical\n"
             "3::Star Trek: The Motion Picture (1979)::Action|Adventure|Sci-Fi\n"
             "4::Untitled (2000)::\n");
    TU_WRITE(dir, "ml-1m/ratings.dat",
             "1::1::5::978300760\r\n1::2::3::978302109\r\n2::3::4::978301968\r\n"
             "3::4::1::978300275\r\n2::1::2::978824291");
}

static void test_ml1m_format(void **state)
{
    (void)state;
    char dir[64];
    tu_tmpdir(dir, sizeof dir);
    ml1m_files(dir);
    struct data_opts o;
    struct dataset d;
    tu_opts(&o, "ml1m", dir, NULL);
    tu_load(&d, &o);
    assert_int_equal(d.n_rows, 5);
    assert_int_equal(d.n_fields, 7);
    assert_string_equal(d.fields[1].name, "movie_id");
    assert_int_equal(d.user_field, 0);
    assert_int_equal(d.item_field, 1);
    assert_int_equal(d.category_field, 6);
    float lab[5] = { 1, 0, 1, 0, 0 };
    assert_memory_equal(d.label, lab, sizeof lab);
    int32_t users[5] = { 1, 1, 2, 3, 2 }, movies[5] = { 1, 2, 3, 4, 1 }, gender[5] = { 1, 1, 2, 2, 2 };
    assert_memory_equal(d.fields[0].ids, users, sizeof users);
    assert_memory_equal(d.fields[1].ids, movies, sizeof movies);
    assert_memory_equal(d.fields[2].ids, gender, sizeof gender);
    assert_int_equal(d.fields[5].card, 4);           /* three zips */
    const struct field *g = &d.fields[6];
    assert_true(g->multi);
    assert_int_equal(g->card, 9);                    /* 8 genres + padding */
    int64_t offs[6] = { 0, 3, 5, 8, 8, 11 };         /* row 3: movie 4 has no genres */
    assert_memory_equal(g->offs, offs, sizeof offs);
    int32_t mids[11] = { 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3 };
    assert_memory_equal(g->mids, mids, sizeof mids);
    assert_non_null(d.time);
    assert_int_equal(d.time[4], 978824291);
    assert_non_null(strstr(d.label_rule, "rating > 3"));
    dataset_free(&d);

    o.drop_neutral = 1;                              /* the rating-3 row goes */
    tu_load(&d, &o);
    assert_int_equal(d.n_rows, 4);
    assert_int_equal(d.fields[1].ids[1], 2);
    assert_int_equal(d.fields[1].card, 4);           /* movie 2 only had the rating 3 */
    dataset_free(&d);
    tu_rmrf(dir);
}

static void test_ml100k_format(void **state)
{
    (void)state;
    char dir[64];
    tu_tmpdir(dir, sizeof dir);
    TU_WRITE(dir, "ml-100k/u.user", "1|24|M|technician|85711\n2|53|F|other|94043\n");
    TU_WRITE(dir, "ml-100k/u.item",
             "1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)"
             "|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
             "2|Caf\xe9 au Lait (1993)|01-Jan-1993||http://x|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n");
    TU_WRITE(dir, "ml-100k/u.data", "1\t1\t4\t881250949\r\n2\t2\t3\t891717742\r\n1\t2\t1\t878887116");
    struct data_opts o;
    struct dataset d;
    tu_opts(&o, "ml100k", dir, NULL);
    tu_load(&d, &o);
    assert_int_equal(d.n_rows, 3);
    float lab[3] = { 1, 0, 0 };
    assert_memory_equal(d.label, lab, sizeof lab);
    const struct field *g = &d.fields[6];
    assert_int_equal(tu_list_len(g, 0), 3);          /* Animation, Children's, Comedy */
    assert_int_equal(tu_list_len(g, 1), 0);          /* all 19 flags 0: an empty list */
    assert_int_equal(g->card, 4);
    assert_int_equal(d.fields[3].ids[0], 1);         /* age 24 */
    assert_int_equal(d.fields[3].ids[1], 2);         /* age 53 */
    assert_int_equal(d.time[2], 878887116);
    dataset_free(&d);
    tu_rmrf(dir);
}

/* The documented "FILE:LINE: field NAME: reason" errors, and --skip-bad-rows. */
static void test_ml1m_malformed(void **state)
{
    (void)state;
    char dir[64], want[256];
    tu_tmpdir(dir, sizeof dir);
    ml1m_files(dir);
    struct data_opts o;
    struct dataset d;
    tu_opts(&o, "ml1m", dir, NULL);
    static const struct { const char *ratings, *msg; } cases[] = {
        { "1::1::5::978300760\n1::2::x::978302109\n", "ratings.dat:2: field rating: 'x' is not an integer rating 1..5" },
        { "1::1::5::978300760\n\n1::2::7::978302109\n", "ratings.dat:3: field rating: '7' is not an integer rating 1..5" },
        { "1::1::5\n", "ratings.dat:1: field timestamp: missing (the line has 3 fields, expected 4)" },
        { "1::1::5::9::9\n", "ratings.dat:1: field timestamp: followed by 1 extra field (expected 4 fields)" },
        { "99::1::5::978300760\n", "ratings.dat:1: field user_id: user 99 is not in the users file" },
        { "1::9::5::978300760\n", "ratings.dat:1: field movie_id: movie 9 is not in the movies file" },
        { "a::1::5::978300760\n", "ratings.dat:1: field user_id: 'a' is not a positive integer" },
        { "1::1::5::-4\n", "ratings.dat:1: field timestamp: '-4' is not a Unix time in seconds 0..253402300799" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tu_write(dir, "ml-1m/ratings.dat", cases[i].ratings, strlen(cases[i].ratings));
        snprintf(want, sizeof want, "%s/ml-1m/%s", dir, cases[i].msg);
        tu_load_fails(&o, want);
    }
    TU_WRITE(dir, "ml-1m/users.dat", "1::F::1::10::48067\n2::X::56::16::70072\n3::M::25::15::55117\n");
    snprintf(want, sizeof want, "%s/ml-1m/users.dat:2: field gender: 'X' is not M or F", dir);
    tu_load_fails(&o, want);
    TU_WRITE(dir, "ml-1m/users.dat", "1::F::1::10::48067\n2::M::57::16::70072\n3::M::25::15::55117\n");
    tu_load_fails(&o, "users.dat:2: field age: '57' is not one of the age codes");
    TU_WRITE(dir, "ml-1m/users.dat", "1::F::1::10::48067\n1::M::56::16::70072\n");
    tu_load_fails(&o, "users.dat:2: field user_id: duplicate user 1");
    TU_WRITE(dir, "ml-1m/users.dat", "1::F::1::10::48067\n2::M::56::16::70072\n3::M::25::15::55117\n");
    TU_WRITE(dir, "ml-1m/movies.dat", "1::Toy Story (1995)::Animation||Comedy\n");
    tu_load_fails(&o, "movies.dat:1: field genres: empty genre in 'Animation||Comedy'");

    /* --skip-bad-rows: bad rows in every file are counted and dropped */
    ml1m_files(dir);
    TU_WRITE(dir, "ml-1m/users.dat", "1::F::1::10::48067\n2::M::56::16::70072\n3::Q::25::15::55117\n");
    TU_WRITE(dir, "ml-1m/ratings.dat", "1::1::5::978300760\n1::2::x::978302109\n3::4::1::978300275\n2::3::4::1\n");
    o.skip_bad_rows = 1;
    tu_load(&d, &o);
    assert_int_equal(d.n_rows, 2);                   /* bad rating and user 3 (bad gender) dropped */
    dataset_free(&d);
    tu_rmrf(dir);
}

static void test_missing_files(void **state)
{
    (void)state;
    char dir[64], want[512];
    tu_tmpdir(dir, sizeof dir);
    struct data_opts o;
    static const char *specs[4][3] = {
        { "ml1m", "ml-1m", "ratings.dat" }, { "ml100k", "ml-100k", "u.data" },
        { "amazon", "amazon", "ratings_Electronics.csv" }, { "iaac", "iaac", "round1_ijcai_18_train_20180301.txt" },
    };
    for (int i = 0; i < 4; i++) {
        tu_opts(&o, specs[i][0], dir, NULL);
        snprintf(want, sizeof want, "%s: %s not found (looked for %s/%s/%s and %s/%s); run `scripts/fetch-data.sh %s`",
                 specs[i][0], specs[i][2], dir, specs[i][1], specs[i][2], dir, specs[i][2], specs[i][0]);
        tu_load_fails(&o, want);
    }
    TU_WRITE(dir, "ml-1m/ratings.dat", "1::1::5::978300760\n");
    tu_opts(&o, "ml1m", dir, NULL);
    tu_load_fails(&o, "ml1m: users.dat not found");
    tu_opts(&o, "csv", dir, NULL);
    tu_load_fails(&o, "csv: --file PATH is required");
    tu_rmrf(dir);
}

/* ---- amazon -------------------------------------------------------------------- */

static void test_amazon_format(void **state)
{
    (void)state;
    char dir[64];
    tu_tmpdir(dir, sizeof dir);
    TU_WRITE(dir, "amazon/ratings_Electronics.csv",
             "AKM1MP6P0OYPR,0132793040,5.0,1365811200\r\n"
             "A2CX7LUOHB2NDG,0321732944,3.0,1341100800\r\n"
             "\"A2NWSAGRHCP8N5,X\",0439886341,1.0,1367193600\r\n"
             "AKM1MP6P0OYPR,0439886341,4.0,1374451200\r\n"
             "A1,B000NOMETA,4.5,1374451201");
    struct data_opts o;
    struct dataset d;
    tu_opts(&o, "amazon", dir, NULL);
    tu_load(&d, &o);                                 /* no meta file: user_id, item_id */
    assert_int_equal(d.n_rows, 5);
    assert_int_equal(d.n_fields, 2);
    assert_int_equal(d.category_field, -1);
    float lab[5] = { 1, 0, 0, 1, 1 };
    assert_memory_equal(d.label, lab, sizeof lab);
    int32_t users[5] = { 1, 2, 3, 1, 4 };            /* the quoted "A2NWSAGRHCP8N5,X" is one user */
    assert_memory_equal(d.fields[0].ids, users, sizeof users);
    assert_int_equal(d.time[3], 1374451200);
    dataset_free(&d);

    TU_WRITE(dir, "amazon/meta_Electronics.json",
             "{'asin': '0132793040', 'title': 'Kelby Training DVD', 'categories': [['Electronics', "
             "'Computers & Accessories', 'Cables & Accessories', 'Monitor Accessories']]}\n"
             "{\"asin\": \"0321732944\", \"category\": [\"Electronics\", \"Camera & Photo\", \"Kids\\\" Cameras\"]}\r\n"
             "{'asin': '0439886341', 'categories': [['Electronics', \"Kids' Electronics\"], ['Toys & Games']]}");
    tu_load(&d, &o);
    assert_int_equal(d.n_fields, 3);
    assert_int_equal(d.category_field, 2);
    int32_t cats[5] = { 1, 2, 3, 3, 4 };             /* the last item has no meta: its own id */
    assert_memory_equal(d.fields[2].ids, cats, sizeof cats);
    dataset_free(&d);

    o.min_item_count = 2;                            /* only 0439886341 has two ratings */
    tu_load(&d, &o);
    assert_int_equal(d.n_rows, 2);
    assert_int_equal(d.fields[1].card, 2);
    dataset_free(&d);
    o.min_item_count = 0;

    TU_WRITE(dir, "amazon/ratings_Electronics.csv", "A,B,5.0,1\nA,C,five,2\n");
    char want[256];
    snprintf(want, sizeof want, "%s/amazon/ratings_Electronics.csv:2: field rating: 'five' is not a rating 1..5", dir);
    tu_load_fails(&o, want);
    TU_WRITE(dir, "amazon/meta_Electronics.json", "{'title': 'x'}\n");
    TU_WRITE(dir, "amazon/ratings_Electronics.csv", "A,B,5.0,1\n");
    tu_load_fails(&o, "meta_Electronics.json:1: field asin: missing or not a string");
    tu_rmrf(dir);
}

/* ---- iaac ---------------------------------------------------------------------- */


static void test_iaac_format(void **state)
{
    (void)state;
    char dir[64];
    tu_tmpdir(dir, sizeof dir);
    TU_WRITE(dir, "iaac/round1_ijcai_18_train_20180301.txt",
             IAAC_HEADER "\r\n" IAAC_SAMPLE_ROWS);
    struct data_opts o;
    struct dataset d;
    tu_opts(&o, "iaac", dir, NULL);
    tu_load(&d, &o);
    assert_int_equal(d.n_rows, 3);
    assert_int_equal(d.n_fields, 23);
    float lab[3] = { 0, 1, 0 };
    assert_memory_equal(d.label, lab, sizeof lab);
    int fi = dataset_find_field(&d, "item_id"), fc = dataset_find_field(&d, "item_category_list");
    int fp = dataset_find_field(&d, "item_property_list"), fg = dataset_find_field(&d, "user_gender_id");
    int fb = dataset_find_field(&d, "item_brand_id"), fh = dataset_find_field(&d, "context_hour");
    assert_int_equal(d.item_field, fi);
    assert_int_equal(d.user_field, dataset_find_field(&d, "user_id"));
    assert_int_equal(d.category_field, fc);
    assert_true(d.fields[fc].multi && d.fields[fp].multi);
    assert_int_equal(tu_list_len(&d.fields[fc], 0), 2);
    assert_int_equal(tu_list_len(&d.fields[fc], 2), 0);      /* empty list */
    assert_int_equal(d.fields[fc].mids[0], d.fields[fc].mids[2]);   /* shared root category */
    assert_int_equal(tu_list_len(&d.fields[fp], 1), 1);      /* "-1": one value of its own */
    assert_int_equal(d.fields[fp].card, 4);
    int32_t gender[3] = { 1, 2, 1 }, brand[3] = { 1, 2, 1 }, item[3] = { 1, 1, 2 }, hour[3] = { 1, 2, 1 };
    assert_memory_equal(d.fields[fg].ids, gender, sizeof gender);   /* -1 gets its own id */
    assert_memory_equal(d.fields[fb].ids, brand, sizeof brand);
    assert_memory_equal(d.fields[fi].ids, item, sizeof item);
    assert_memory_equal(d.fields[fh].ids, hour, sizeof hour);      /* 10:09 and 03:46 Beijing */
    assert_int_equal(d.time[1], 1537300000);
    dataset_free(&d);

    char want[256];
    TU_WRITE(dir, "iaac/round1_ijcai_18_train_20180301.txt", IAAC_HEADER "\n"
             "1 2 3;4 5 6 7 8 9 10 11 12 13 14 15 16 17 1537236544 18 19 20 21 22 23 24 25 26 2\n");
    snprintf(want, sizeof want, "%s/iaac/round1_ijcai_18_train_20180301.txt:2: field is_trade: '2' is not 0 or 1", dir);
    tu_load_fails(&o, want);
    TU_WRITE(dir, "iaac/round1_ijcai_18_train_20180301.txt", IAAC_HEADER "\n"
             "1 2 3;;4 5 6 7 8 9 10 11 12 13 14 15 16 17 1537236544 18 19 20 21 22 23 24 25 26 1\n");
    tu_load_fails(&o, "train_20180301.txt:2: field item_category_list: empty element in the ';'-list '3;;4'");
    TU_WRITE(dir, "iaac/round1_ijcai_18_train_20180301.txt", IAAC_HEADER "\n1 2 3\n");
    tu_load_fails(&o, "train_20180301.txt:2: field item_property_list: the line has 3 fields, the header 27");
    TU_WRITE(dir, "iaac/round1_ijcai_18_train_20180301.txt", "instance_id item_id\n1 2\n");
    tu_load_fails(&o, "train_20180301.txt:1: field context_timestamp: missing from the header line");
    tu_rmrf(dir);
}

/* Writes an iaac file whose rows have the given timestamps (row i: user i % 3). */
static void iaac_write_times(const char *dir, const long long *ts, int n)
{
    char buf[4096];
    int k = snprintf(buf, sizeof buf, "%s\n", IAAC_HEADER);
    for (int i = 0; i < n; i++)
        k += snprintf(buf + k, sizeof buf - (size_t)k, "%d 2 3;4 5 6 7 8 9 10 11 %d 13 14 15 16 %d %lld "
                      "18 19 20 21 22 23 24 25 26 %d\n", 100 + i, i % 3, 200 + i, ts[i], i % 2);
    tu_write(dir, "iaac/round1_ijcai_18_train_20180301.txt", buf, (size_t)k);
}

int cmd_data(int argc, char **argv);

/* --split time on iaac: the last calendar day in Beijing time (UTC+8) is test, the
 * day before validation, the rest train; rows are out of time order in the file and
 * sit on both sides of Beijing midnight (UTC day and Beijing day differ). */
static void test_iaac_day_split(void **state)
{
    (void)state;
    char dir[64], cdir[128], how[256];
    tu_tmpdir(dir, sizeof dir);
    snprintf(cdir, sizeof cdir, "%s/cache", dir);
    /* python3: datetime(2018, 9, D, h, m, s, tzinfo=timezone(timedelta(hours=8))).timestamp() */
    const long long ts[9] = {
        1537675200,    /* 0: 09-23 12:00     val */
        1537574400,    /* 1: 09-22 08:00     train */
        1537720200,    /* 2: 09-24 00:30     test (UTC: 09-23 16:30) */
        1537716600,    /* 3: 09-23 23:30     val */
        1537631999,    /* 4: 09-22 23:59:59  train */
        1537804799,    /* 5: 09-24 23:59:59  test */
        1537632000,    /* 6: 09-23 00:00     val (UTC: 09-22 16:00) */
        1537545600,    /* 7: 09-22 00:00     train */
        1537761600,    /* 8: 09-24 12:00     test */
    };
    iaac_write_times(dir, ts, 9);
    struct data_opts o;
    struct dataset d, c;
    tu_opts(&o, "iaac", dir, NULL);
    tu_load(&d, &o);
    assert_int_equal(d.n_rows, 9);
    assert_int_equal(d.day_split, 1);
    assert_int_equal(d.day_offset_s, 8 * 3600);
    struct split s;
    assert_int_equal(split_time(&s, &d, 0.1, 0.1, how, sizeof how), 0);
    assert_string_equal(how, "last day 2018-09-24 (UTC+8) = test, 2018-09-23 = validation, "
                             "1 earlier day = train");
    const int32_t train[3] = { 7, 1, 4 }, val[3] = { 6, 0, 3 }, test[3] = { 2, 8, 5 };   /* time order */
    assert_int_equal(s.n_train, 3);
    assert_int_equal(s.n_val, 3);
    assert_int_equal(s.n_test, 3);
    assert_memory_equal(s.train, train, sizeof train);
    assert_memory_equal(s.val, val, sizeof val);
    assert_memory_equal(s.test, test, sizeof test);
    split_free(&s);

    /* the same through the cache: the day rule travels with the mapped dataset */
    o.cache_dir = cdir;
    o.no_cache = 0;
    for (int pass = 0; pass < 2; pass++) {        /* builds the cache, then maps it */
        tu_load(&c, &o);
        if (pass) tu_mapped(&c);
        tu_same_dataset(&c, &d);
        assert_int_equal(split_time(&s, &c, 0.1, 0.1, NULL, 0), 0);
        assert_memory_equal(s.test, test, sizeof test);
        assert_memory_equal(s.val, val, sizeof val);
        split_free(&s);
        dataset_free(&c);
    }

    /* apg data info --split time reports the cut */
    char out[128], *argv[] = { "info", "--dataset", "iaac", "--data", dir, "--no-cache", "--split", "time", NULL };
    snprintf(out, sizeof out, "%s/out.txt", dir);
    int saved = tu_capture_begin(stdout, out);
    int rc = cmd_data(8, argv);
    tu_capture_end(stdout, saved);
    char *text = tu_read(out);
    assert_int_equal(rc, 0);
    if (!strstr(text, "split     time (last day 2018-09-24 (UTC+8) = test, 2018-09-23 = validation, "
                      "1 earlier day = train): train 3, val 3, test 3"))
        print_message("%s", text);
    assert_non_null(strstr(text, "split     time (last day 2018-09-24 (UTC+8) = test, 2018-09-23 = validation, "
                                 "1 earlier day = train): train 3, val 3, test 3"));
    free(text);
    dataset_free(&d);

    /* two Beijing days (09-23, 09-24) are too few: no train day */
    iaac_write_times(dir, ts + 2, 2);
    tu_opts(&o, "iaac", dir, NULL);
    tu_load(&d, &o);
    assert_int_equal(split_time(&s, &d, 0.1, 0.1, how, sizeof how), -1);
    assert_string_equal(how, "dataset iaac spans 2 days (UTC+8); a day split needs 3 (train, validation, test)");
    assert_int_equal(s.n_train + s.n_val + s.n_test, 0);
    assert_null(s.train);
    dataset_free(&d);
    tu_rmrf(dir);
}

/* split_time's day rule on a hand-made dataset: a day offset, negative times (floor
 * division), and a gap: validation is the latest earlier day that has rows. */
static void test_day_split_rule(void **state)
{
    (void)state;
    struct dataset d;
    dataset_init(&d, "days", 7, 1);
    d.fields[0].card = 2;
    d.fields[0].ids = calloc(7, sizeof(int32_t));
    d.time = malloc(7 * sizeof *d.time);
    const int64_t t[7] = { -86400 - 1, -3600, 0, 5 * 86400 + 10, 5 * 86400 - 3600, 9 * 86400 - 7200,
                           9 * 86400 - 1800 };
    memcpy(d.time, t, sizeof t);
    d.day_split = 1;
    d.day_offset_s = 3600;                        /* UTC+1: -3600 is day 0, 5*86400-3600 day 5 */
    struct split s;
    char how[256];
    assert_int_equal(split_time(&s, &d, 0.5, 0.5, how, sizeof how), 0);
    /* days: row0 -1, row1 0, row2 0, row3 5, row4 5, row5 8 (23:00 -> 9*86400-7200+3600), row6 9 */
    assert_string_equal(how, "last day 1970-01-10 (UTC+1) = test, 1970-01-09 = validation, "
                             "3 earlier days = train");
    assert_int_equal(s.n_test, 1);
    assert_int_equal(s.test[0], 6);
    assert_int_equal(s.n_val, 1);
    assert_int_equal(s.val[0], 5);
    const int32_t train[5] = { 0, 1, 2, 4, 3 };
    assert_int_equal(s.n_train, 5);
    assert_memory_equal(s.train, train, sizeof train);
    split_free(&s);
    d.time[6] = 9 * 86400 - 7200;                 /* rows 5 and 6 on day 8: val is day 5 */
    assert_int_equal(split_time(&s, &d, 0.5, 0.5, how, sizeof how), 0);
    assert_int_equal(s.n_test, 2);
    assert_int_equal(s.n_val, 2);
    assert_int_equal(s.n_train, 3);
    assert_string_equal(how, "last day 1970-01-09 (UTC+1) = test, 1970-01-06 = validation, "
                             "2 earlier days = train");
    split_free(&s);
    d.day_offset_s = -5 * 3600 - 1800;            /* UTC-5:30 in the description */
    assert_int_equal(split_time(&s, &d, 0.5, 0.5, how, sizeof how), 0);
    assert_non_null(strstr(how, "(UTC-5:30)"));
    split_free(&s);
    dataset_free(&d);
}

/* ---- csv ----------------------------------------------------------------------- */

static void test_csv_format(void **state)
{
    (void)state;
    char dir[64], file[128];
    tu_tmpdir(dir, sizeof dir);
    TU_WRITE(dir, "t.csv",
             "\xEF\xBB\xBFuser_id,item,clicked,title,tags,ts\r\n"
             "u1,i1,1,\"Hello, world\",a|b,100\r\n"
             "u2,i2,0,\"multi\nline \"\"quoted\"\"\",,200\r\n"
             "u1, i3 ,1,Caf\xe9,c||d,300");
    snprintf(file, sizeof file, "%s/t.csv", dir);
    struct data_opts o;
    struct dataset d;
    tu_opts(&o, "csv", dir, NULL);
    o.file = file;
    o.label_col = "clicked";
    o.multi = "tags:|";
    tu_load(&d, &o);
    assert_int_equal(d.n_rows, 3);
    assert_int_equal(d.n_fields, 4);                 /* all but the label and the ts time column */
    assert_string_equal(d.fields[0].name, "user_id");
    assert_string_equal(d.fields[3].name, "tags");
    assert_int_equal(d.user_field, 0);
    assert_int_equal(d.item_field, 1);
    assert_int_equal(d.category_field, -1);
    float lab[3] = { 1, 0, 1 };
    assert_memory_equal(d.label, lab, sizeof lab);
    assert_int_equal(d.fields[2].card, 4);           /* three distinct titles */
    assert_int_equal(tu_list_len(&d.fields[3], 0), 2);
    assert_int_equal(tu_list_len(&d.fields[3], 1), 0);      /* empty cell: empty list */
    assert_int_equal(tu_list_len(&d.fields[3], 2), 2);      /* empty piece ignored */
    assert_non_null(d.time);
    assert_int_equal(d.time[2], 300);
    assert_string_equal(d.name, "csv:t.csv");
    dataset_free(&d);

    o.fields = "item,tags,user_id";                  /* named fields, in that order */
    o.label_col = "ts>=200";
    tu_load(&d, &o);
    assert_int_equal(d.n_fields, 3);
    assert_int_equal(d.user_field, 2);
    float lab2[3] = { 0, 1, 1 };
    assert_memory_equal(d.label, lab2, sizeof lab2);
    assert_string_equal(d.label_rule, "ts >= 200 -> 1 else 0");
    dataset_free(&d);

    o.fields = "item,nope";
    tu_load_fails(&o, "csv: --fields: no column 'nope' in the header of");
    o.fields = NULL;
    o.label_col = "clicked";
    o.multi = "tags";
    tu_load_fails(&o, "csv: --multi: expected COL:SEP");
    o.multi = NULL;
    o.delim = "ab";
    tu_load_fails(&o, "csv: --delim: expected one character");
    o.delim = "\t";
    tu_load_fails(&o, "csv: --label: no column 'clicked'");  /* the whole header is one column */
    o.delim = NULL;
    TU_WRITE(dir, "t.csv", "user_id,clicked\nu1,1\n\"u\n2\",x\n");
    snprintf(file, sizeof file, "%s/t.csv", dir);
    char want[256];
    snprintf(want, sizeof want, "%s:3: field clicked: 'x' is not a 0/1 label", file);
    tu_load_fails(&o, want);
    TU_WRITE(dir, "t.csv", "user_id,clicked\nu1,1\nu2,0,7\nu3,1\n");
    o.skip_bad_rows = 1;
    tu_load(&d, &o);
    assert_int_equal(d.n_rows, 2);
    dataset_free(&d);
    tu_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csvread_lines_quotes_crlf),
        cmocka_unit_test(test_csvread_dcolon),
        cmocka_unit_test(test_csvread_dcolon_chunk_boundary),
        cmocka_unit_test(test_csvread_numbers),
        cmocka_unit_test(test_idmap_order_and_min_count),
        cmocka_unit_test(test_ml1m_format),
        cmocka_unit_test(test_ml100k_format),
        cmocka_unit_test(test_ml1m_malformed),
        cmocka_unit_test(test_missing_files),
        cmocka_unit_test(test_amazon_format),
        cmocka_unit_test(test_iaac_format),
        cmocka_unit_test(test_iaac_day_split),
        cmocka_unit_test(test_day_split_rule),
        cmocka_unit_test(test_csv_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
