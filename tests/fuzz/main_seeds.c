/* apg-fuzz-seeds OUTDIR [SHARED]: writes each target's seed corpus to OUTDIR/TARGET/:
 * its built-in valid inputs, and when SHARED (the real data folder, ../shared/data)
 * exists, inputs made from real files (the MovieLens-1M sample and Criteo rows as csv,
 * the head of MovieLens-100K's u.data, Criteo, Avazu and Frappe rows). */
#include "fuzz.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct out { char dir[1024]; int n; };

static void emit(const char *name, const void *p, size_t n, void *ctx)
{
    struct out *o = ctx;
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", o->dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "apg-fuzz-seeds: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    o->n++;
}

/* flags byte + the first max bytes of shared/rel, cut after its last full line. */
static void emit_real(struct out *o, const char *shared, const char *rel, unsigned char flags, size_t max,
                      const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", shared, rel);
    FILE *f = fopen(path, "rb");
    if (!f) return;
    unsigned char *b = malloc(max + 1);
    if (!b) exit(1);
    size_t n = fread(b + 1, 1, max, f);
    fclose(f);
    while (n > 0 && n == max && b[n] != '\n') n--;
    b[0] = flags;
    emit(name, b, n + 1, o);
    free(b);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: apg-fuzz-seeds OUTDIR [SHARED_DATA_DIR]\n");
        return 2;
    }
    for (int i = 0; i < fuzz_target_count(); i++) {
        const struct fuzz_target *t = fuzz_target_at(i);
        struct out o = { "", 0 };
        snprintf(o.dir, sizeof o.dir, "%s/%s", argv[1], t->name);
        mkdir(argv[1], 0777);
        mkdir(o.dir, 0777);
        t->seeds(emit, &o);
        if (argc == 3 && strcmp(t->name, "csv") == 0) {
            emit_real(&o, argv[2], "ml-1m/movielens_sample.txt", 1, 16384, "real-movielens-sample");
            emit_real(&o, argv[2], "criteo-kaggle-tiny/train.tiny.csv", 2, 16384, "real-criteo-tiny");
        }
        if (argc == 3 && strcmp(t->name, "criteo") == 0)
            emit_real(&o, argv[2], "criteo-kaggle-tiny/train.tiny.csv", 0, 16384, "real-criteo-tiny");
        if (argc == 3 && strcmp(t->name, "avazu") == 0)
            emit_real(&o, argv[2], "avazu-sample/avazu_sample.txt", 0, 32768, "real-avazu-sample");
        if (argc == 3 && strcmp(t->name, "frappe") == 0)
            emit_real(&o, argv[2], "frappe/frappe.validation.libfm", 0, 8192, "real-frappe-validation");
        if (argc == 3 && strcmp(t->name, "ml100k") == 0)
            emit_real(&o, argv[2], "ml-100k/u.data", 0, 4096, "real-u.data-head");
        printf("%-11s %3d seeds  (%s)\n", t->name, o.n, t->what);
    }
    return 0;
}
