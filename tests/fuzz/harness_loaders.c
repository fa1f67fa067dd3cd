/* Fuzz targets for the dataset loaders (ml100k, ml1m, amazon, iaac, csv). Input: byte 0
 * holds flags (fuzz.h: which of the loader's files the rest replaces, --skip-bad-rows,
 * --split time, --drop-neutral, --min-count 2); the loader's other files keep small
 * valid contents. csv: the file bits choose one of four option sets instead. */
#include "fuzz.h"
#include "../ds_samples.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct loader_file { const char *rel, *valid; };

static const struct loader_file ml100k_files[] = {
    { "ml-100k/u.data", "1\t1\t4\t881250949\n2\t1\t3\t891717742\r\n1\t2\t5\t881250950\n2\t2\t1\t881251950\n"
                        "1\t1\t2\t891250949\n2\t2\t4\t871717742\n" },
    { "ml-100k/u.user", "1|24|M|technician|85711\n2|53|F|other|94043\n" },
    { "ml-100k/u.item", "1|T (1995)|01-Jan-1995||u|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
                        "2|Caf\xe9 (1996)|01-Jan-1996||u|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n" },
};

static const struct loader_file ml1m_files[] = {
    { "ml-1m/ratings.dat", "1::1::5::978300760\r\n1::2::3::978302109\r\n2::3::4::978301968\r\n"
                           "3::1::1::978300275\n2::1::2::978824291\n3::3::4::978824291" },
    { "ml-1m/users.dat", "1::F::1::10::48067\n2::M::56::16::70072\n3::M::25::15::55117-1234\n" },
    { "ml-1m/movies.dat", "1::Toy Story (1995)::Animation|Children's|Comedy\n"
                          "2::Mis\xe9rables, Les (1995)::Drama|Musical\n"
                          "3::Star Trek: The Motion Picture (1979)::Action|Adventure|Sci-Fi\n" },
};

static const struct loader_file amazon_files[] = {
    { "amazon/ratings_Electronics.csv", "AKM1MP6P0OYPR,0132793040,5.0,1365811200\r\n"
                                        "A2CX7LUOHB2NDG,0321732944,3.0,1341100800\r\n"
                                        "\"A2NWSAGRHCP8N5,X\",0439886341,1.0,1367193600\n"
                                        "AKM1MP6P0OYPR,0321732944,4.0,1367193601\n" },
    { "amazon/meta_Electronics.json", "{'asin': '0132793040', 'title': 'K', 'categories': [['Electronics', "
                                      "'Computers & Accessories']]}\n"
                                      "{\"asin\": \"0321732944\", \"category\": [\"Electronics\", \"Kids\\\" Cameras\"]}\r\n" },
};

static const struct loader_file iaac_files[] = {
    { "iaac/round1_ijcai_18_train_20180301.txt", IAAC_HEADER "\r\n"
      IAAC_SAMPLE_ROWS "\n" },
};

/* Writes every file of the loader, the selected one from the input. */
static void write_files(const struct loader_file *f, int n_files, const uint8_t *data, size_t n)
{
    int pick = FUZZ_FILE(n ? data[0] : 0) % n_files;
    for (int i = 0; i < n_files; i++) {
        if (i == pick) fuzz_write(f[i].rel, n ? data + 1 : data, n ? n - 1 : 0);
        else fuzz_write(f[i].rel, f[i].valid, strlen(f[i].valid));
    }
}

static int load_spec(const char *spec, const struct loader_file *f, int n_files, const uint8_t *data, size_t n)
{
    write_files(f, n_files, data, n);
    struct data_opts o;
    data_opts_default(&o);
    o.dataset = spec;
    o.data_dir = fuzz_dir();
    return fuzz_load(&o, n ? data[0] : 0);
}

/* One seed per file (flags select it), and the first file under every other flag. */
static void emit_seeds(const struct loader_file *f, int n_files, fuzz_emit_fn emit, void *ctx)
{
    static const uint8_t extra[] = { FUZZ_SPLIT_TIME, FUZZ_SKIP_BAD | FUZZ_MIN_COUNT, FUZZ_DROP_NEUTRAL };
    for (int i = 0; i < n_files + 3; i++) {
        int file = i < n_files ? i : 0;
        size_t len = strlen(f[file].valid);
        unsigned char *b = malloc(len + 1);
        if (!b) fuzz_fail("out of memory");
        b[0] = (uint8_t)(i < n_files ? i : extra[i - n_files]);
        memcpy(b + 1, f[file].valid, len);
        char name[32];
        snprintf(name, sizeof name, "seed-%d", i);
        emit(name, b, len + 1, ctx);
        free(b);
    }
}

#define LOADER_TARGET(NAME, FILES, WHAT)                                                          \
    static int one_##NAME(const uint8_t *d, size_t n)                                             \
    { return load_spec(#NAME, FILES, (int)(sizeof FILES / sizeof FILES[0]), d, n); }              \
    static void seeds_##NAME(fuzz_emit_fn emit, void *ctx)                                        \
    { emit_seeds(FILES, (int)(sizeof FILES / sizeof FILES[0]), emit, ctx); }                      \
    const struct fuzz_target fuzz_target_##NAME = { #NAME, WHAT, one_##NAME, seeds_##NAME };

LOADER_TARGET(ml100k, ml100k_files, "flags + u.data, u.user or u.item")
LOADER_TARGET(ml1m, ml1m_files, "flags + ratings.dat, users.dat or movies.dat")
LOADER_TARGET(amazon, amazon_files, "flags + ratings_Electronics.csv or meta_Electronics.json")
LOADER_TARGET(iaac, iaac_files, "flags + round1_ijcai_18_train_20180301.txt")

/* ---- csv: the file bits choose the options ------------------------------------------ */

struct csv_case { const char *label, *fields, *multi, *delim, *valid; };
static const struct csv_case csv_cases[4] = {
    { "click", "u,i,c", "c:|", ",", "u,i,c,click,ts\nA,x,p|q,1,10\nB,y,,0,11\n\"A\",\"y\",q,1,12\nB,x,p,0,13\n" },
    { "rating>3", "user_id,movie_id,genres,gender", "genres:|", ",",
      "user_id,movie_id,rating,timestamp,genres,gender\n1,10,4,978300760,Drama|War,F\n2,11,2,978300761,Comedy,M\n"
      "1,11,5,978300762,Comedy,F\n2,10,1,978300763,Drama|War,M\n" },
    { "Label", NULL, NULL, ",", "Id,Label,I1,C1,C2\r\n1,0,1,68fd1e64,80e26c9b\r\n2,1,,68fd1e64,\r\n"
                                "3,0,5,05db9164,80e26c9b\r\n4,1,0,05db9164,0b153874\r\n" },
    { "y>=2", "a,b", NULL, "tab", "a\tb\ty\nx\t1\t2\ny\t2\t1\nx\t2\t3\ny\t1\t0\n" },
};

static int one_csv(const uint8_t *data, size_t n)
{
    const struct csv_case *c = &csv_cases[FUZZ_FILE(n ? data[0] : 0)];
    fuzz_write("data.csv", n ? data + 1 : data, n ? n - 1 : 0);
    char path[512];
    snprintf(path, sizeof path, "%s/data.csv", fuzz_dir());
    struct data_opts o;
    data_opts_default(&o);
    o.dataset = "csv";
    o.file = path;
    o.label_col = c->label;
    o.fields = c->fields;
    o.multi = c->multi;
    o.delim = c->delim;
    return fuzz_load(&o, n ? data[0] : 0);
}

static void seeds_csv(fuzz_emit_fn emit, void *ctx)
{
    for (int i = 0; i < 4 + 2; i++) {
        int k = i < 4 ? i : i - 4;
        size_t len = strlen(csv_cases[k].valid);
        unsigned char *b = malloc(len + 1);
        if (!b) fuzz_fail("out of memory");
        b[0] = (uint8_t)(k | (i < 4 ? 0 : i == 4 ? FUZZ_SPLIT_TIME : FUZZ_SKIP_BAD | FUZZ_MIN_COUNT));
        memcpy(b + 1, csv_cases[k].valid, len);
        char name[32];
        snprintf(name, sizeof name, "seed-%d", i);
        emit(name, b, len + 1, ctx);
        free(b);
    }
}

const struct fuzz_target fuzz_target_csv = { "csv", "flags (option set) + a delimited file", one_csv, seeds_csv };
