/* Checkpoint files: write (two passes: size, then bytes + checksum), read (magic,
 * version, size, checksum, then the layout), rebuild the model from the stored
 * options (the inference-time collapse is in checkpoint_collapse.c). */
#include "checkpoint.h"
#include "numeric.h"
#include "reparam.h"
#include "stale_tmp.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char ckpt_magic[8] = { 'A', 'P', 'G', 'C', 'K', 'P', 'T', '\0' };
#define CKPT_HEADER 24          /* magic, version, reserved, file size */

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME  0x100000001b3ull

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= FNV_PRIME;
    }
    return h;
}

static int host_little_endian(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

uint64_t ckpt_rows_hash(const int32_t *rows, int n)
{
    uint64_t h = FNV_OFFSET;
    for (int i = 0; i < n; i++) {
        unsigned char b[4];
        uint32_t v = (uint32_t)rows[i];
        for (int k = 0; k < 4; k++) b[k] = (unsigned char)(v >> (8 * k));
        h = fnv1a(h, b, 4);
    }
    return h;
}

/* ---- meta ---------------------------------------------------------------------- */

static char *format_model_opts(const struct model_opts *mo, char *err, size_t errlen)
{
    struct opt_group groups[MODEL_OPT_GROUPS];
    int n = model_opts_groups((struct model_opts *)mo, groups);
    return cli_format(groups, n, err, errlen);
}

int ckpt_meta_init(struct ckpt_meta *cm, const struct model_opts *mo, const struct data_opts *o,
                   const struct dataset *d, const struct split *s, char *err, size_t errlen)
{
    memset(cm, 0, sizeof *cm);
    const struct opt_group dg = { "data", data_opt_table, (void *)o };
    cm->model_text = format_model_opts(mo, err, errlen);
    if (!cm->model_text) return -1;
    cm->data_text = cli_format(&dg, 1, err, errlen);
    if (!cm->data_text) return -1;
    snprintf(cm->dataset, sizeof cm->dataset, "%s", d->name);
    cm->n_fields = d->n_fields;
    cm->fields = calloc((size_t)(d->n_fields ? d->n_fields : 1), sizeof *cm->fields);
    if (!cm->fields) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int f = 0; f < d->n_fields; f++) {
        snprintf(cm->fields[f].name, sizeof cm->fields[f].name, "%s", d->fields[f].name);
        cm->fields[f].card = d->fields[f].card;
        cm->fields[f].multi = d->fields[f].multi;
        if (!d->fields[f].num) continue;
        if (num_fit_copy(&cm->fields[f].fit, &d->fields[f].fit)) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    cm->user_field = d->user_field;
    cm->item_field = d->item_field;
    cm->category_field = d->category_field;
    if (s) {
        cm->n_train = s->n_train;
        cm->n_val = s->n_val;
        cm->n_test = s->n_test;
        cm->test_hash = ckpt_rows_hash(s->test, s->n_test);
    }
    return 0;
}

void ckpt_meta_free(struct ckpt_meta *cm)
{
    free(cm->model_text);
    free(cm->data_text);
    for (int f = 0; cm->fields && f < cm->n_fields; f++) free(cm->fields[f].fit.bounds);
    free(cm->fields);
    memset(cm, 0, sizeof *cm);
}

/* ---- writing ------------------------------------------------------------------- */

/* f == NULL: a dry run that only counts bytes. */
struct ckpt_writer { FILE *f; uint64_t h, n; int bad; };

static void w_bytes(struct ckpt_writer *w, const void *p, size_t n)
{
    w->n += n;
    if (!w->f) return;
    w->h = fnv1a(w->h, p, n);
    if (fwrite(p, 1, n, w->f) != n) w->bad = 1;
}

static void w_u32(struct ckpt_writer *w, uint32_t v)
{
    unsigned char b[4];
    for (int k = 0; k < 4; k++) b[k] = (unsigned char)(v >> (8 * k));
    w_bytes(w, b, 4);
}

static void w_u64(struct ckpt_writer *w, uint64_t v)
{
    unsigned char b[8];
    for (int k = 0; k < 8; k++) b[k] = (unsigned char)(v >> (8 * k));
    w_bytes(w, b, 8);
}

static void w_i32(struct ckpt_writer *w, int32_t v) { w_u32(w, (uint32_t)v); }

static void w_f64(struct ckpt_writer *w, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    w_u64(w, u);
}

static void w_str(struct ckpt_writer *w, const char *s)
{
    size_t n = strlen(s);
    w_u32(w, (uint32_t)n);
    w_bytes(w, s, n);
}

static void write_body(struct ckpt_writer *w, const struct ckpt_meta *cm, const struct model *m,
                       uint64_t file_size)
{
    w_bytes(w, ckpt_magic, sizeof ckpt_magic);
    w_u32(w, CKPT_VERSION);
    w_u32(w, 0);
    w_u64(w, file_size);
    w_str(w, cm->model_text);
    w_str(w, cm->data_text);
    w_str(w, cm->dataset);
    w_i32(w, cm->n_fields);
    for (int f = 0; f < cm->n_fields; f++) {
        w_str(w, cm->fields[f].name);
        w_i32(w, cm->fields[f].card);
        w_i32(w, cm->fields[f].multi);
        const struct num_fit *fit = &cm->fields[f].fit;
        w_i32(w, fit->kind);
        if (fit->kind == NUM_NONE) continue;
        w_f64(w, fit->a);
        w_f64(w, fit->b);
        w_i32(w, fit->n_fit);
        w_i32(w, fit->n_bounds);
        for (int j = 0; j < fit->n_bounds; j++) w_f64(w, fit->bounds[j]);
    }
    w_i32(w, cm->user_field);
    w_i32(w, cm->item_field);
    w_i32(w, cm->category_field);
    w_i32(w, cm->n_train);
    w_i32(w, cm->n_val);
    w_i32(w, cm->n_test);
    w_u64(w, cm->test_hash);
    w_u64(w, cm->seed);
    w_i32(w, cm->batch);
    w_i32(w, cm->threads);
    w_i32(w, cm->best_epoch);
    w_i32(w, cm->epochs_run);
    w_f64(w, cm->val_auc);
    w_f64(w, cm->test_auc);
    w_f64(w, cm->test_logloss);
    const struct param_store *ps = &m->ps;
    w_i32(w, ps->n);
    for (int i = 0; i < ps->n; i++) {
        const struct tensor *t = ps->list[i];
        w_str(w, t->name);
        w_i32(w, t->ndim);
        for (int k = 0; k < t->ndim; k++) w_i32(w, t->shape[k]);
        w_u64(w, (uint64_t)(t->data - ps->data));
    }
    w_u64(w, ps->n_floats);
    w_bytes(w, ps->data, sizeof(float) * ps->n_floats);
}

static char *tmp_name(const char *path)
{
    size_t len = strlen(path) + 32;
    char *tmp = malloc(len);
    if (tmp) snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid());
    return tmp;
}

int ckpt_check_writable(const char *path, char *err, size_t errlen)
{
    size_t len = strlen(path);
    struct stat st;
    if (len == 0) {
        snprintf(err, errlen, "'': empty file name");
        return -1;
    }
    if (path[0] == '-') {
        snprintf(err, errlen, "%s: looks like an option, not a file name (write ./%s for such a file)", path, path);
        return -1;
    }
    if (path[len - 1] == '/' || (stat(path, &st) == 0 && S_ISDIR(st.st_mode))) {
        snprintf(err, errlen, "%s: is a directory, not a checkpoint file", path);
        return -1;
    }
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: exists and is not a regular file", path);
        return -1;
    }
    stale_tmp_sweep_for(path);
    char *tmp = tmp_name(path);
    FILE *f = tmp ? fopen(tmp, "wb") : NULL;
    if (!f) {
        snprintf(err, errlen, "%s: cannot write: %s", path, tmp ? strerror(errno) : "out of memory");
        free(tmp);
        return -1;
    }
    fclose(f);
    remove(tmp);
    free(tmp);
    return 0;
}

int ckpt_save(const char *path, const struct ckpt_meta *cm, const struct model *m, char *err,
              size_t errlen)
{
    if (!host_little_endian()) {
        snprintf(err, errlen, "%s: checkpoints are little-endian and this host is not", path);
        return -1;
    }
    stale_tmp_sweep_for(path);             /* of earlier runs killed while writing */
    struct ckpt_writer w = { 0 };
    write_body(&w, cm, m, 0);
    uint64_t size = w.n + 8;

    char *tmp = tmp_name(path);
    if (!tmp) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write %s: %s", path, tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    w = (struct ckpt_writer){ .f = f, .h = FNV_OFFSET };
    write_body(&w, cm, m, size);
    uint64_t h = w.h;
    w_u64(&w, h);
    int bad = w.bad || fflush(f) != 0 || fsync(fileno(f)) != 0;
    int saved_errno = errno;
    if (fclose(f) != 0) bad = 1;
    if (!bad && w.n != size) {
        snprintf(err, errlen, "%s: internal error: wrote %llu bytes, expected %llu", path,
                 (unsigned long long)w.n, (unsigned long long)size);
        remove(tmp);
        free(tmp);
        return -1;
    }
    if (bad || rename(tmp, path) != 0) {
        if (!bad) saved_errno = errno;
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(saved_errno));
        remove(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

/* ---- reading ------------------------------------------------------------------- */

struct ckpt_reader { const unsigned char *p; size_t n, pos; int bad; };

static const unsigned char *r_bytes(struct ckpt_reader *r, size_t n)
{
    if (r->bad || n > r->n - r->pos) {
        r->bad = 1;
        return NULL;
    }
    const unsigned char *p = r->p + r->pos;
    r->pos += n;
    return p;
}

static uint32_t r_u32(struct ckpt_reader *r)
{
    const unsigned char *b = r_bytes(r, 4);
    if (!b) return 0;
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) v |= (uint32_t)b[k] << (8 * k);
    return v;
}

static uint64_t r_u64(struct ckpt_reader *r)
{
    const unsigned char *b = r_bytes(r, 8);
    if (!b) return 0;
    uint64_t v = 0;
    for (int k = 0; k < 8; k++) v |= (uint64_t)b[k] << (8 * k);
    return v;
}

static int32_t r_i32(struct ckpt_reader *r) { return (int32_t)r_u32(r); }

static double r_f64(struct ckpt_reader *r)
{
    uint64_t u = r_u64(r);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

/* A malloc'd copy of the next string; NULL when the layout is broken or memory is out. */
static char *r_str(struct ckpt_reader *r)
{
    uint32_t n = r_u32(r);
    const unsigned char *b = r_bytes(r, n);
    if (!b) return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s) {
        r->bad = 1;
        return NULL;
    }
    memcpy(s, b, n);
    s[n] = '\0';
    if (strlen(s) != n) {   /* an embedded NUL */
        free(s);
        r->bad = 1;
        return NULL;
    }
    return s;
}

/* Copies the next string into buf[cap]; -1 when it does not fit. */
static int r_str_into(struct ckpt_reader *r, char *buf, size_t cap)
{
    char *s = r_str(r);
    if (!s) return -1;
    int ok = strlen(s) < cap;
    if (ok) memcpy(buf, s, strlen(s) + 1);
    else r->bad = 1;
    free(s);
    return ok ? 0 : -1;
}

static int read_file(const char *path, unsigned char **buf, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        fclose(f);
        return -1;
    }
    size_t n = (size_t)st.st_size;
    *buf = malloc(n ? n : 1);
    if (!*buf) {
        snprintf(err, errlen, "%s: out of memory (%zu bytes)", path, n);
        fclose(f);
        return -1;
    }
    *len = fread(*buf, 1, n, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || *len != n) {
        snprintf(err, errlen, "%s: read error", path);
        return -1;
    }
    return 0;
}

/* Header checks: magic, version, size, checksum. */
static int check_header(const char *path, const unsigned char *b, size_t len, char *err, size_t errlen)
{
    size_t head = len < sizeof ckpt_magic ? len : sizeof ckpt_magic;
    if (len == 0 || memcmp(b, ckpt_magic, head) != 0) {
        snprintf(err, errlen, "%s: not an APG-C checkpoint", path);
        return -1;
    }
    if (len < CKPT_HEADER) {
        snprintf(err, errlen, "%s: truncated (%zu of at least %d bytes)", path, len, CKPT_HEADER);
        return -1;
    }
    struct ckpt_reader r = { b, len, sizeof ckpt_magic, 0 };
    uint32_t version = r_u32(&r);
    r_u32(&r);
    uint64_t size = r_u64(&r);
    if (version < CKPT_VERSION_MIN || version > CKPT_VERSION) {
        snprintf(err, errlen, "%s: checkpoint format version %u, this build reads versions %d..%d", path,
                 version, CKPT_VERSION_MIN, CKPT_VERSION);
        return -1;
    }
    if (size < CKPT_HEADER + 8) {
        snprintf(err, errlen, "%s: corrupt (size)", path);
        return -1;
    }
    if ((uint64_t)len < size) {
        snprintf(err, errlen, "%s: truncated (%zu of %llu bytes)", path, len, (unsigned long long)size);
        return -1;
    }
    if ((uint64_t)len > size) {
        snprintf(err, errlen, "%s: corrupt (size: %zu bytes, the header says %llu)", path, len,
                 (unsigned long long)size);
        return -1;
    }
    struct ckpt_reader tail = { b, len, len - 8, 0 };
    if (fnv1a(FNV_OFFSET, b, len - 8) != r_u64(&tail)) {
        snprintf(err, errlen, "%s: corrupt (checksum)", path);
        return -1;
    }
    return 0;
}

/* The stored parameter table. */
struct ckpt_param { char *name; int ndim, shape[TENSOR_MAX_DIMS]; uint64_t off; };

static void describe(char *buf, size_t len, const char *name, int ndim, const int *shape, uint64_t off)
{
    int k = snprintf(buf, len, "'%s' (", name);
    for (int i = 0; i < ndim && k > 0 && (size_t)k < len; i++)
        k += snprintf(buf + k, len - (size_t)k, "%s%d", i ? " x " : "", shape[i]);
    if (k > 0 && (size_t)k < len) snprintf(buf + k, len - (size_t)k, ") at %llu", (unsigned long long)off);
}

static int check_table(const char *path, const struct param_store *ps, const struct ckpt_param *cp, int n,
                       uint64_t n_floats, char *err, size_t errlen)
{
    static const char *what = "the model rebuilt from its options does not match the stored parameters";
    if (ps->n != n) {
        snprintf(err, errlen, "%s: %s: %d parameters here, %d in the file", path, what, ps->n, n);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const struct tensor *t = ps->list[i];
        uint64_t off = (uint64_t)(t->data - ps->data);
        int same = strcmp(t->name, cp[i].name) == 0 && t->ndim == cp[i].ndim && off == cp[i].off;
        for (int k = 0; same && k < t->ndim; k++) same = t->shape[k] == cp[i].shape[k];
        if (!same) {
            char a[160], b[160];
            describe(a, sizeof a, t->name, t->ndim, t->shape, off);
            describe(b, sizeof b, cp[i].name, cp[i].ndim, cp[i].shape, cp[i].off);
            snprintf(err, errlen, "%s: %s: parameter %d is %s here, %s in the file", path, what, i, a, b);
            return -1;
        }
    }
    if (ps->n_floats != n_floats) {
        snprintf(err, errlen, "%s: %s: %zu floats here, %llu in the file", path, what, ps->n_floats,
                 (unsigned long long)n_floats);
        return -1;
    }
    return 0;
}

/* Parses the options text into ck->mo / ck->data and builds the shell dataset. */
static int rebuild_config(struct ckpt *ck, const char *path, char *err, size_t errlen)
{
    char why[400];
    ck->mo_lines = strdup(ck->meta.model_text);
    ck->data_lines = strdup(ck->meta.data_text);
    if (!ck->mo_lines || !ck->data_lines) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    model_opts_default(&ck->mo);
    data_opts_default(&ck->data);
    const struct opt_group dg = { "data", data_opt_table, &ck->data };
    if (model_opts_parse_text(&ck->mo, ck->mo_lines, why, sizeof why)) {
        snprintf(err, errlen, "%s: stored model options: %s", path, why);
        return -1;
    }
    if (cli_parse_lines(&dg, 1, ck->data_lines, why, sizeof why)) {
        snprintf(err, errlen, "%s: stored data options: %s", path, why);
        return -1;
    }
    struct dataset *d = &ck->shell;
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s", ck->meta.dataset);
    d->n_fields = ck->meta.n_fields;
    d->fields = calloc((size_t)(d->n_fields ? d->n_fields : 1), sizeof *d->fields);
    if (!d->fields) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    for (int f = 0; f < d->n_fields; f++) {
        memcpy(d->fields[f].name, ck->meta.fields[f].name, sizeof d->fields[f].name);
        d->fields[f].card = ck->meta.fields[f].card;
        d->fields[f].multi = ck->meta.fields[f].multi;
    }
    d->user_field = ck->meta.user_field;
    d->item_field = ck->meta.item_field;
    d->category_field = ck->meta.category_field;
    return 0;
}

static int parse_body(struct ckpt *ck, struct ckpt_reader *r, const char *path, char *err, size_t errlen)
{
    struct ckpt_meta *cm = &ck->meta;
    r->pos = sizeof ckpt_magic;
    uint32_t version = r_u32(r);
    r->pos = CKPT_HEADER;
    r->n -= 8;                               /* the checksum */
    cm->model_text = r_str(r);
    cm->data_text = r_str(r);
    r_str_into(r, cm->dataset, sizeof cm->dataset);
    cm->n_fields = r_i32(r);
    if (r->bad || cm->n_fields < 0 || (size_t)cm->n_fields > r->n / 12) goto layout;
    cm->fields = calloc((size_t)(cm->n_fields ? cm->n_fields : 1), sizeof *cm->fields);
    if (!cm->fields) goto layout;
    for (int f = 0; f < cm->n_fields; f++) {
        r_str_into(r, cm->fields[f].name, sizeof cm->fields[f].name);
        cm->fields[f].card = r_i32(r);
        cm->fields[f].multi = r_i32(r);
        if (cm->fields[f].card < 0) r->bad = 1;
        struct num_fit *fit = &cm->fields[f].fit;
        fit->kind = version >= 2 ? r_i32(r) : NUM_NONE;
        if (fit->kind == NUM_NONE || r->bad) continue;
        fit->a = r_f64(r);
        fit->b = r_f64(r);
        fit->n_fit = r_i32(r);
        fit->n_bounds = r_i32(r);
        if (r->bad || fit->n_bounds < 0 || fit->n_bounds >= NUM_MAX_BUCKETS || (size_t)fit->n_bounds > r->n / 8)
            goto layout;
        fit->bounds = fit->n_bounds ? malloc(sizeof *fit->bounds * (size_t)fit->n_bounds) : NULL;
        if (fit->n_bounds && !fit->bounds) goto layout;
        for (int j = 0; j < fit->n_bounds; j++) fit->bounds[j] = r_f64(r);
    }
    cm->user_field = r_i32(r);
    cm->item_field = r_i32(r);
    cm->category_field = r_i32(r);
    cm->n_train = r_i32(r);
    cm->n_val = r_i32(r);
    cm->n_test = r_i32(r);
    cm->test_hash = r_u64(r);
    cm->seed = r_u64(r);
    cm->batch = r_i32(r);
    cm->threads = r_i32(r);
    cm->best_epoch = r_i32(r);
    cm->epochs_run = r_i32(r);
    cm->val_auc = r_f64(r);
    cm->test_auc = r_f64(r);
    cm->test_logloss = r_f64(r);
    if (r->bad) goto layout;
    if (ckpt_check_meta(cm, path, err, errlen)) return -1;

    if (rebuild_config(ck, path, err, errlen)) return -1;

    int n = r_i32(r);
    if (r->bad || n < 0 || (size_t)n > r->n / 16) goto layout;
    struct ckpt_param *cp = calloc((size_t)(n ? n : 1), sizeof *cp);
    if (!cp) goto layout;
    for (int i = 0; i < n && !r->bad; i++) {
        cp[i].name = r_str(r);
        cp[i].ndim = r_i32(r);
        if (cp[i].ndim < 1 || cp[i].ndim > TENSOR_MAX_DIMS) r->bad = 1;
        for (int k = 0; k < cp[i].ndim && !r->bad; k++) cp[i].shape[k] = r_i32(r);
        cp[i].off = r_u64(r);
    }
    uint64_t n_floats = r_u64(r);
    const unsigned char *slab = NULL;
    if (!r->bad && n_floats == (r->n - r->pos) / sizeof(float) && (r->n - r->pos) % sizeof(float) == 0)
        slab = r_bytes(r, sizeof(float) * n_floats);
    int rc = -1;
    if (!slab || r->pos != r->n) {
        snprintf(err, errlen, "%s: corrupt (layout)", path);
    } else if (ckpt_check_sizes(cm, n_floats, path, err, errlen) == 0) {
        struct rng rng;
        char why[400];
        rng_seed(&rng, 0);
        if (model_init(&ck->model, ck->mo.backbone, &ck->mo.m, &ck->shell, &rng, why, sizeof why)) {
            snprintf(err, errlen, "%s: cannot rebuild the model from its options: %s", path, why);
        } else if (check_table(path, &ck->model.ps, cp, n, n_floats, err, errlen) == 0) {
            memcpy(ck->model.ps.data, slab, sizeof(float) * n_floats);
            rc = ckpt_check_finite(&ck->model.ps, path, err, errlen);
        }
    }
    for (int i = 0; i < n; i++) free(cp[i].name);
    free(cp);
    return rc;
layout:
    snprintf(err, errlen, "%s: corrupt (layout)", path);
    return -1;
}

int ckpt_load(struct ckpt *ck, const char *path, char *err, size_t errlen)
{
    memset(ck, 0, sizeof *ck);
    ck->shell.user_field = ck->shell.item_field = ck->shell.category_field = -1;
    if (!host_little_endian()) {
        snprintf(err, errlen, "%s: checkpoints are little-endian and this host is not", path);
        return -1;
    }
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = read_file(path, &buf, &len, err, errlen);
    if (rc == 0) rc = check_header(path, buf, len, err, errlen);
    if (rc == 0) {
        struct ckpt_reader r = { buf, len, 0, 0 };
        rc = parse_body(ck, &r, path, err, errlen);
    }
    free(buf);
    if (rc) cli_one_line(err, errlen);         /* names and options from the file */
    return rc;
}

void ckpt_free(struct ckpt *ck)
{
    model_free(&ck->model);
    dataset_free(&ck->shell);
    ckpt_meta_free(&ck->meta);
    free(ck->mo_lines);
    free(ck->data_lines);
    memset(ck, 0, sizeof *ck);
}

/* ---- dataset identity and split ------------------------------------------------- */

int ckpt_check_dataset(const struct ckpt_meta *cm, const struct dataset *d, char *err, size_t errlen)
{
    if (d->n_fields != cm->n_fields) {
        snprintf(err, errlen, "dataset %s has %d fields, the model was trained on %d (%s)", d->name,
                 d->n_fields, cm->n_fields, cm->dataset);
        return -1;
    }
    for (int f = 0; f < d->n_fields; f++) {
        const struct field *a = &d->fields[f];
        const struct ckpt_field *b = &cm->fields[f];
        if (strcmp(a->name, b->name) != 0) {
            snprintf(err, errlen, "dataset %s: field %d is '%s', the model's is '%s' (trained on %s)", d->name,
                     f, a->name, b->name, cm->dataset);
            return -1;
        }
        if ((a->num != NULL) != (b->fit.kind != NUM_NONE)) {
            snprintf(err, errlen, "dataset %s: field '%s' is %s, the model's is %s (trained on %s; --numeric)",
                     d->name, a->name, a->num ? "numeric" : "categorical", a->num ? "categorical" : "numeric",
                     cm->dataset);
            return -1;
        }
        if (a->card != b->card || a->multi != b->multi) {
            snprintf(err, errlen, "dataset %s: field '%s' has %d ids (%s), the model's has %d (%s; trained on %s)",
                     d->name, a->name, a->card, a->multi ? "multi-valued" : "single-valued", b->card,
                     b->multi ? "multi-valued" : "single-valued", cm->dataset);
            return -1;
        }
    }
    return 0;
}

int ckpt_apply_numeric(const struct ckpt_meta *cm, struct dataset *d, char *err, size_t errlen)
{
    for (int f = 0; f < cm->n_fields && f < d->n_fields; f++) {
        const struct ckpt_field *b = &cm->fields[f];
        if (b->fit.kind == NUM_NONE || !d->fields[f].num || strcmp(b->name, d->fields[f].name) != 0) continue;
        if (dataset_apply_numeric(d, f, &b->fit, err, errlen)) return -1;
    }
    return 0;
}

int ckpt_export(const char *in_path, const char *out_path, FILE *log, int *n_collapsed, size_t *bytes_in,
                size_t *bytes_out, char *err, size_t errlen)
{
    struct ckpt src;
    struct model to;
    struct model_opts to_mo;
    char why[400];
    if (ckpt_load(&src, in_path, err, errlen)) {
        ckpt_free(&src);
        return -1;
    }
    int n = ckpt_collapse(&to, &to_mo, &src.model, &src.mo, &src.shell, log, why, sizeof why);
    if (n < 0) {
        snprintf(err, errlen, "%s: cannot collapse: %s", in_path, why);
        ckpt_free(&src);
        return -1;
    }
    struct ckpt_meta cm = src.meta;          /* shallow: only model_text is new */
    cm.model_text = format_model_opts(&to_mo, err, errlen);
    int rc = cm.model_text ? ckpt_save(out_path, &cm, &to, err, errlen) : -1;
    if (rc == 0) {
        if (n_collapsed) *n_collapsed = n;
        if (bytes_in) *bytes_in = params_bytes(&src.model.ps);
        if (bytes_out) *bytes_out = params_bytes(&to.ps);
    }
    free(cm.model_text);
    model_free(&to);
    ckpt_free(&src);
    return rc;
}
