/* apg data export --out DIR: the split of a dataset as delimited files another program
 * (experiments/torch_reference.py, a PyTorch or FuxiCTR run) can train on, so both
 * implementations see the same rows and the same ids:
 *
 *   DIR/train.csv, DIR/val.csv, DIR/test.csv   header: the field names, then "label";
 *       a row per line in the split's order; a field's cell is its dense id (0 = OOV,
 *       1..card-1), a multi-valued field's ids joined by '|' (empty cell = empty list),
 *       a numeric field's raw value (empty = missing);
 *   DIR/fields.json   {"fields": [{"name", "card", "multi", "numeric"}...], "label",
 *       "rows": {"train", "val", "test"}, "source"}.
 * Read back by `apg train --dataset csv --train-file DIR/train.csv --val-file
 * DIR/val.csv --test-file DIR/test.csv --label label --multi F:|` (printed when done).
 * Each file is written to NAME.tmp.PID and renamed: a killed export leaves no half file
 * under the final name. */
#include "data_export.h"
#include "stale_tmp.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes path through path.tmp.PID; body(f, ctx) writes the contents. 0 or -1 + err. */
static int write_atomic(const char *path, int (*body)(FILE *, const void *), const void *ctx, char *err,
                        size_t errlen)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write (%s)", tmp, strerror(errno));
        return -1;
    }
    int rc = body(f, ctx);
    if (fclose(f) != 0) rc = -1;
    if (!rc && rename(tmp, path) != 0) rc = -1;
    if (rc) {
        snprintf(err, errlen, "%s: write error (%s)", path, strerror(errno));
        unlink(tmp);
    }
    return rc;
}

struct part { const struct dataset *d; const int32_t *rows; int n; };

static int write_part(FILE *f, const void *ctx)
{
    const struct part *p = ctx;
    const struct dataset *d = p->d;
    for (int k = 0; k < d->n_fields; k++) fprintf(f, "%s,", d->fields[k].name);
    fprintf(f, "label\n");
    for (int i = 0; i < p->n; i++) {
        int32_t r = p->rows[i];
        for (int k = 0; k < d->n_fields; k++) {
            const struct field *fl = &d->fields[k];
            if (fl->num) {
                if (!isnan(fl->num[r])) fprintf(f, "%.9g", (double)fl->num[r]);
            } else if (fl->multi) {
                for (int64_t j = fl->offs[r]; j < fl->offs[r + 1]; j++)
                    fprintf(f, j > fl->offs[r] ? "|%d" : "%d", (int)fl->mids[j]);
            } else {
                fprintf(f, "%d", (int)fl->ids[r]);
            }
            fputc(',', f);
        }
        fprintf(f, "%d\n", d->label[r] > 0.5f);
        if (ferror(f)) return -1;
    }
    return ferror(f) ? -1 : 0;
}

struct meta { const struct dataset *d; const struct split *s; };

/* s as a JSON string (field names are printable; quotes and backslashes escaped). */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        if ((unsigned char)*s < 0x20) fprintf(f, "\\u%04x", (unsigned char)*s);
        else fputc(*s, f);
    }
    fputc('"', f);
}

static int write_meta(FILE *f, const void *ctx)
{
    const struct meta *m = ctx;
    const struct dataset *d = m->d;
    fprintf(f, "{\"fields\": [");
    for (int k = 0; k < d->n_fields; k++) {
        const struct field *fl = &d->fields[k];
        fprintf(f, "%s\n  {\"name\": ", k ? "," : "");
        json_str(f, fl->name);
        fprintf(f, ", \"card\": %d, \"multi\": %d, \"numeric\": %d}", fl->card, fl->multi, fl->num != NULL);
    }
    fprintf(f, "],\n \"label\": \"label\", \"rows\": {\"train\": %d, \"val\": %d, \"test\": %d},\n \"source\": ",
            m->s->n_train, m->s->n_val, m->s->n_test);
    json_str(f, d->name);
    fprintf(f, ", \"synthetic_fallback\": %d}\n", d->synthetic_fallback);
    return ferror(f) ? -1 : 0;
}

int data_export(const struct dataset *d, const struct split *s, const char *dir, char *err, size_t errlen)
{
    for (int k = 0; k < d->n_fields; k++)
        if (strpbrk(d->fields[k].name, ",\"\r\n") || strcmp(d->fields[k].name, "label") == 0) {
            snprintf(err, errlen, "field '%s': a name with a comma, quote or line break, or named label, cannot be "
                     "a CSV column here", d->fields[k].name);
            return -1;
        }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "--out %s: cannot create the folder (%s)", dir, strerror(errno));
        return -1;
    }
    stale_tmp_sweep(dir, "", "");
    static const char *const names[3] = { "train.csv", "val.csv", "test.csv" };
    const int32_t *rows[3] = { s->train, s->val, s->test };
    const int n[3] = { s->n_train, s->n_val, s->n_test };
    char path[4200];
    for (int i = 0; i < 3; i++) {
        struct part p = { d, rows[i], n[i] };
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (write_atomic(path, write_part, &p, err, errlen)) return -1;
    }
    struct meta m = { d, s };
    snprintf(path, sizeof path, "%s/fields.json", dir);
    return write_atomic(path, write_meta, &m, err, errlen);
}
