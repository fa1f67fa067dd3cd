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

struct csv_case { const char *label, *fields, *multi, *delim, *numeric, *transform, *valid; };
static const struct csv_case csv_cases[4] = {
    { "click", "u,i,c", "c:|", ",", "ts", "standard", "u,i,c,click,ts\nA,x,p|q,1,10\nB,y,,0,11\n\"A\",\"y\",q,1,12\nB,x,p,0,13\n" },
    { "rating>3", "user_id,movie_id,genres,gender", "genres:|", ",", NULL, NULL,
      "user_id,movie_id,rating,timestamp,genres,gender\n1,10,4,978300760,Drama|War,F\n2,11,2,978300761,Comedy,M\n"
      "1,11,5,978300762,Comedy,F\n2,10,1,978300763,Drama|War,M\n" },
    { "Label", NULL, NULL, ",", "I1", "bucket:2", "Id,Label,I1,C1,C2\r\n1,0,1,68fd1e64,80e26c9b\r\n2,1,,68fd1e64,\r\n"
                                "3,0,5,05db9164,80e26c9b\r\n4,1,0,05db9164,0b153874\r\n" },
    { "y>=2", "a,b", NULL, "tab", "b", NULL, "a\tb\ty\nx\t1\t2\ny\t2\t1\nx\t2\t3\ny\t1\t0\n" },
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
    o.numeric = c->numeric;
    o.numeric_transform = c->transform;
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

/* ---- criteo, avazu, frappe: one file each (--file); the file bits pick a layout seed -- */

static const char criteo_tsv[] =
    "0\t1\t5\t\t0\t1382\t4\t15\t2\t181\t1\t2\t\t2\t68fd1e64\t80e26c9b\tfb936136\t7b4723c4\t25c83c98\t"
    "7e0ccccf\tde7995b8\t1f89b562\ta73ee510\ta8cd5504\tb2cb9c98\t37c9c164\t2824a5f6\t1adce6ef\t8ba8b39a\t"
    "891b62e7\te5ba7672\tf54016b9\t21ddcdc9\tb1252a9d\t07b5194c\t\t3a171ecb\tc5c50484\te8b83407\t9727dd16\n"
    "1\t2\t0\t44\t1\t102\t8\t2\t2\t4\t1\t1\t\t4\t68fd1e64\tf0cf0024\t6f67f7e5\t41274cd7\t25c83c98\t"
    "fe6b92e5\t922afcc0\t0b153874\ta73ee510\t2b53e5fb\t4f1b46f3\t623049e6\td7020589\tb28479f6\te6c5b5cd\t"
    "c92f3b61\t07c540c4\tb04e4670\t21ddcdc9\t5840adea\t60f6221e\t\t3a171ecb\t43f13e8b\te8b83407\t731c3655\n";
static const char criteo_csv[] =
    "Id,Label,I1,I2,I3,I4,I5,I6,I7,I8,I9,I10,I11,I12,I13,C1,C2,C3,C4,C5,C6,C7,C8,C9,C10,C11,C12,C13,C14,C15,"
    "C16,C17,C18,C19,C20,C21,C22,C23,C24,C25,C26\r\n"
    "10000000,0,1,1,5,0,1382,4,15,2,181,1,2,,2,68fd1e64,80e26c9b,fb936136,7b4723c4,25c83c98,7e0ccccf,de7995b8,"
    "1f89b562,a73ee510,a8cd5504,b2cb9c98,37c9c164,2824a5f6,1adce6ef,8ba8b39a,891b62e7,e5ba7672,f54016b9,21ddcdc9,"
    "b1252a9d,07b5194c,,3a171ecb,c5c50484,e8b83407,9727dd16\r\n"
    "10000001,1,2,0,44,1,102,8,2,2,4,1,1,,4,68fd1e64,f0cf0024,6f67f7e5,41274cd7,25c83c98,fe6b92e5,922afcc0,"
    "0b153874,a73ee510,2b53e5fb,4f1b46f3,623049e6,d7020589,b28479f6,e6c5b5cd,c92f3b61,07c540c4,b04e4670,21ddcdc9,"
    "5840adea,60f6221e,,3a171ecb,43f13e8b,e8b83407,731c3655\r\n";
static const char avazu_csv[] =
    "id,click,hour,C1,banner_pos,site_id,site_domain,site_category,app_id,app_domain,app_category,device_id,"
    "device_ip,device_model,device_type,device_conn_type,C14,C15,C16,C17,C18,C19,C20,C21\n"
    "1000009418151094273,0,14102100,1005,0,1fbe01fe,f3845767,28905ebd,ecad2386,7801e8d9,07d7df22,a99f214a,"
    "ddd2926e,44956a24,1,2,15706,320,50,1722,0,35,-1,79\n"
    "10000169349117863715,1,14102201,1005,0,1fbe01fe,f3845767,28905ebd,ecad2386,7801e8d9,07d7df22,a99f214a,"
    "96809ac8,711ee120,1,0,15704,320,50,1722,0,35,100084,79\n"
    "10000371904215119486,0,14102302,1005,0,1fbe01fe,f3845767,28905ebd,ecad2386,7801e8d9,07d7df22,a99f214a,"
    "b3cf8def,8a4875bd,1,0,15704,320,50,1722,0,35,100084,79\n";
static const char frappe_libfm[] =
    "1 0:1 1:1 2:1 3:1 4:1 5:1 6:1 7:1 8:1 9:1\r\n-1 0:1 10:1 11:1 3:1 4:1 5:1 6:1 7:1 8:1 9:1\r\n"
    "-1 12:1 1:1 2:1 13:1 4:1 5:1 14:1 7:1 8:1 15:1\r\n";

static int load_file_spec(const char *spec, const uint8_t *data, size_t n)
{
    fuzz_write("in.data", n ? data + 1 : data, n ? n - 1 : 0);
    char path[512];
    snprintf(path, sizeof path, "%s/in.data", fuzz_dir());
    struct data_opts o;
    data_opts_default(&o);
    o.dataset = spec;
    o.file = path;
    if (n && (data[0] & 2)) o.hash_buckets = "7";       /* the hashed id path */
    if (n && (data[0] & FUZZ_NUMERIC) && strcmp(spec, "criteo") == 0) {
        o.numeric = "default";
        o.numeric_transform = data[0] & FUZZ_SKIP_BAD ? "bucket:3" : "minmax";
    }
    return fuzz_load(&o, n ? data[0] & ~2u : 0);
}

static void emit_one(fuzz_emit_fn emit, void *ctx, const char *text, uint8_t flags, int i)
{
    size_t len = strlen(text);
    unsigned char *b = malloc(len + 1);
    if (!b) fuzz_fail("out of memory");
    b[0] = flags;
    memcpy(b + 1, text, len);
    char name[32];
    snprintf(name, sizeof name, "seed-%d", i);
    emit(name, b, len + 1, ctx);
    free(b);
}

#define FILE_TARGET(NAME, WHAT, ...)                                                              \
    static int one_##NAME(const uint8_t *d, size_t n) { return load_file_spec(#NAME, d, n); }       \
    static void seeds_##NAME(fuzz_emit_fn emit, void *ctx)                                        \
    {                                                                                             \
        static const char *const texts[] = { __VA_ARGS__ };                                       \
        int k = 0;                                                                                \
        for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {                             \
            emit_one(emit, ctx, texts[i], 0, k++);                                                \
            emit_one(emit, ctx, texts[i], 2 | FUZZ_SPLIT_TIME, k++);                              \
            emit_one(emit, ctx, texts[i], FUZZ_NUMERIC, k++);                                     \
        }                                                                                         \
    }                                                                                             \
    const struct fuzz_target fuzz_target_##NAME = { #NAME, WHAT, one_##NAME, seeds_##NAME };

FILE_TARGET(criteo, "flags (bit 1: --hash-buckets 7, bit 6: --numeric default) + a Criteo TSV or CSV file", criteo_tsv, criteo_csv)
FILE_TARGET(avazu, "flags (bit 1: --hash-buckets 7) + an Avazu CSV file", avazu_csv)
FILE_TARGET(frappe, "flags (bit 1: --hash-buckets 7) + a libFM file", frappe_libfm)
