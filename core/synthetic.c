/* Synthetic CTR generator (the `synthetic` dataset): presets shaped like ML-1M, Amazon
 * Electronics and IAAC with power-law user/item activity, latent user groups whose
 * response to item categories differs (custom patterns) on top of a shared pattern,
 * and the true click probability of every row.
 *
 * Model (K = SYN_K latent dims; e ~ N(0,1) or N(0,I) fresh per draw):
 *   group g: prior ~ (g+1)^-0.5, bias delta_g = sd_gb e, centroid phi_g = sd_gv e,
 *            interaction M_g (K x K) = e, category offsets G[g,c] = gc_sd e.
 *   field value v: bias B[v] = bias_sd e, latent part F[v] = factor_sd e; attribute
 *            values are Zipf (P(v) ~ v^-zipf), user attributes tilted by the group:
 *            P(v | g) ~ v^-zipf exp(conc z[g,v]), z ~ N(0,1), so they reveal g noisily.
 *   user u:  b_u = delta_g + sum_a B_a[v_a] + sd_ub e,  P_u = phi_g + sum_a F_a[v_a] + sd_uv e
 *   item i:  category and attributes ~ Zipf;  b_i = sum_f B_f[v_f] + sd_ib e,
 *            Q_i = sum_f F_f[v_f] + sd_iv e;  popularity (rank + r0_i I)^-zipf_i.
 *   row:     user: min_user_rows rows each, the rest drawn with activity
 *            (rank + r0_u U)^-zipf_u (ranks are a random permutation of the ids);
 *            item: with prob. group_pref a category c ~ mass(c) exp(pref_conc z[g,c])
 *            then an item of c by popularity (so the item hints at g), else an item
 *            by popularity; context fields ~ Zipf.
 *   x =  b_u + b_i + sum_ctx B[v]                                  (biases)
 *      + shared_sd / sqrt(K) <P_u, Q_i> / (s_P s_Q)                (common pattern)
 *      + custom_sd / K  P_u' M_g Q_i / (s_P s_Q) + G[g, c_i]       (custom pattern)
 *   s_P, s_Q: nominal per-dim std of P, Q. The sds are relative weights: the logit is
 *   calibrated as logit = bias0 + logit_sd (x - mean x) / sd(x), bias0 solving
 *   mean p = pos_rate (moments over a fixed subsample of <= ~64k rows), so the oracle
 *   AUC and positive rate hardly move with the seed. p = sigmoid(logit) -> d->prob;
 *   label ~ Bernoulli(p), no other noise.
 *
 * Positive control (preset "control:S", syn_make_control): the shared model above with
 * custom_sd = gc_sd = 0, plus per row  S c / sd(c),  c = w_u . phi_i  (SYN_KC = 16 dims):
 *   phi_i = (C[c_i] + e_i) / sqrt(2)                     C[c], e_i ~ N(0, I)
 *   w_u   = sqrt(1 - m) w_g + sqrt(m) e_u / sqrt(KC)     w_g ~ N(0, I / KC), m = ctl_user_mix
 *   logit = bias0 + logit_sd (x - mean x) / sd(x) + S c / sd(c)
 * (bias0 solved again for pos_rate; sd(c) over the subsample). A static MLP over the
 * concatenated embeddings must learn a 16-dim product of user and item vectors; a layer
 * whose weights are generated from the user embedding holds it as W(e_u) x.
 *
 * Scaling: with s = rows / preset_rows, every id-like field (user_id, item_id, zip,
 * brand, shop) has max(n_min, round(s * n_full)) values (users also <= rows), so rows
 * per user and per item stay those of the real set; attribute, category and context
 * fields keep their size. Values are 1..n (0 = padding/OOV, never generated);
 * d->time[r] = r (rows are iid, so a time split is a contiguous random split). */
#include "arena.h"
#include "synthetic.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rng.h"

#define SYN_K 4
#define SYN_KC 16            /* dims of the control's item features phi_i */
#define SYN_MAX_FIELDS 16
#define SYN_MAX_GROUPS 16

enum syn_kind { SYN_USER, SYN_ITEM, SYN_UATTR, SYN_CAT, SYN_IATTR, SYN_CTX };

struct syn_field {
    const char   *name;
    enum syn_kind kind;
    int32_t n_full;     /* distinct values (without padding) at the preset's size */
    int32_t n_min;      /* > 0: id-like, scales with rows, never below n_min */
    float   zipf;       /* attributes: value frequency ~ v^-zipf */
    float   conc;       /* SYN_UATTR: how strongly the latent group tilts the values */
    float   bias_sd;    /* std of the value's logit bias B[v] */
    float   factor_sd;  /* std of the value's part F[v] of P_u / Q_i (per dim) */
};

struct syn_preset {
    const char *name;
    int64_t rows_full;
    int     min_user_rows;
    float   user_zipf, user_r0, item_zipf, item_r0;
    int     n_groups;
    float   group_pref, pref_conc;
    float   pos_rate, logit_sd;   /* targets: mean p, std of the logit */
    float   group_bias_sd, group_vec_sd;
    float   user_bias_sd, user_vec_sd, item_bias_sd, item_vec_sd;
    float   shared_sd, custom_sd, gc_sd;
    int     control;              /* 1: adds the positive-control term (see syn_make_control) */
    float   ctl_user_mix;         /* control: share of the user's own part in w_u */
    int     n_fields;
    struct syn_field fields[SYN_MAX_FIELDS];
};

#define SYN_F(name, kind, n_full, n_min, zipf, conc, bias_sd, factor_sd) \
    { name, kind, n_full, n_min, zipf, conc, bias_sd, factor_sd }

static const struct syn_preset syn_presets[] = {
    { .name = "ml1m", .rows_full = 1000209, .min_user_rows = 20,
      .user_zipf = 1.0f, .user_r0 = 0.025f, .item_zipf = 1.0f, .item_r0 = 0.02f,
      .n_groups = 4, .group_pref = 0.35f, .pref_conc = 1.0f,
      .pos_rate = 0.40f, .logit_sd = 1.45f,
      .group_bias_sd = 0.40f, .group_vec_sd = 1.0f,
      .user_bias_sd = 0.45f, .user_vec_sd = 0.3f, .item_bias_sd = 0.55f, .item_vec_sd = 0.3f,
      .shared_sd = 0.70f, .custom_sd = 0.70f, .gc_sd = 0.45f,
      .n_fields = 7, .fields = {
        /*     name               kind        n_full n_min zipf  conc  bias   factor */
        SYN_F("user_id",          SYN_USER,     6040, 50, 0,    0,    0,     0),
        SYN_F("item_id",          SYN_ITEM,     3706, 50, 0,    0,    0,     0),
        SYN_F("gender",           SYN_UATTR,       2,  0, 0.5f, 1.5f, 0.10f, 0.7f),
        SYN_F("age",              SYN_UATTR,       7,  0, 0.6f, 2.5f, 0.20f, 1.0f),
        SYN_F("occupation",       SYN_UATTR,      21,  0, 0.8f, 2.5f, 0.20f, 0.7f),
        SYN_F("zip",              SYN_UATTR,    3439, 20, 0.6f, 0.3f, 0.10f, 0),
        SYN_F("genre",            SYN_CAT,        18,  0, 0.8f, 0,    0.40f, 1.0f),
      } },
    { .name = "amazon", .rows_full = 1292954, .min_user_rows = 1,
      .user_zipf = 1.0f, .user_r0 = 0.01f, .item_zipf = 1.0f, .item_r0 = 0.1f,
      .n_groups = 4, .group_pref = 0.8f, .pref_conc = 1.2f,
      .pos_rate = 0.35f, .logit_sd = 1.35f,
      .group_bias_sd = 0.30f, .group_vec_sd = 0.7f,
      .user_bias_sd = 0.15f, .user_vec_sd = 0.2f, .item_bias_sd = 0.80f, .item_vec_sd = 0.5f,
      .shared_sd = 0.60f, .custom_sd = 0.60f, .gc_sd = 0.50f,
      .n_fields = 5, .fields = {
        SYN_F("user_id",          SYN_USER,  1157633, 50, 0,    0,    0,     0),
        SYN_F("item_id",          SYN_ITEM,     9560, 50, 0,    0,    0,     0),
        SYN_F("category",         SYN_CAT,        60,  0, 0.8f, 0,    0.40f, 1.0f),
        SYN_F("brand",            SYN_IATTR,    1500, 20, 1.0f, 0,    0.30f, 0.3f),
        SYN_F("price_level",      SYN_IATTR,      10,  0, 0.3f, 0,    0.25f, 0.5f),
      } },
    { .name = "iaac", .rows_full = 478138, .min_user_rows = 1,
      .user_zipf = 1.0f, .user_r0 = 0.01f, .item_zipf = 1.0f, .item_r0 = 0.05f,
      .n_groups = 6, .group_pref = 0.6f, .pref_conc = 1.5f,
      .pos_rate = 0.25f, .logit_sd = 1.4f,
      .group_bias_sd = 0.40f, .group_vec_sd = 1.0f,
      .user_bias_sd = 0.15f, .user_vec_sd = 0.2f, .item_bias_sd = 0.55f, .item_vec_sd = 0.5f,
      .shared_sd = 0.65f, .custom_sd = 0.65f, .gc_sd = 0.45f,
      .n_fields = 13, .fields = {
        SYN_F("user_id",          SYN_USER,   197694, 50, 0,    0,    0,     0),
        SYN_F("item_id",          SYN_ITEM,    10075, 50, 0,    0,    0,     0),
        SYN_F("item_category",    SYN_CAT,        13,  0, 0.8f, 0,    0.40f, 1.0f),
        SYN_F("item_brand",       SYN_IATTR,    2055, 20, 1.0f, 0,    0.25f, 0.3f),
        SYN_F("item_city",        SYN_IATTR,     128,  0, 1.0f, 0,    0.10f, 0),
        SYN_F("item_price_level", SYN_IATTR,      14,  0, 0.3f, 0,    0.20f, 0.5f),
        SYN_F("item_sales_level", SYN_IATTR,      18,  0, 0.3f, 0,    0.25f, 0),
        SYN_F("shop_id",          SYN_IATTR,    3959, 20, 1.0f, 0,    0.20f, 0),
        SYN_F("user_gender",      SYN_UATTR,       3,  0, 0.5f, 1.5f, 0.10f, 0.7f),
        SYN_F("user_age",         SYN_UATTR,       8,  0, 0.5f, 2.5f, 0.20f, 1.0f),
        SYN_F("user_occupation",  SYN_UATTR,       4,  0, 0.5f, 2.0f, 0.15f, 0.7f),
        SYN_F("user_star_level",  SYN_UATTR,      11,  0, 0.5f, 2.0f, 0.15f, 0.5f),
        SYN_F("context_page",     SYN_CTX,        20,  0, 0.7f, 0,    0.15f, 0),
      } },
    /* Positive control: the ml1m-like shared pattern (no custom part of its own) plus
     * S w_g . phi_i, group-specific weights on the item features (syn_control). */
    { .name = "control", .rows_full = 100000, .min_user_rows = 20,
      .user_zipf = 1.0f, .user_r0 = 0.025f, .item_zipf = 1.0f, .item_r0 = 0.02f,
      .n_groups = 8, .group_pref = 0.2f, .pref_conc = 1.0f,
      .pos_rate = 0.40f, .logit_sd = 1.0f,
      .group_bias_sd = 0.20f, .group_vec_sd = 1.0f,
      .user_bias_sd = 0.45f, .user_vec_sd = 0.3f, .item_bias_sd = 0.55f, .item_vec_sd = 0.3f,
      .shared_sd = 0.70f, .custom_sd = 0, .gc_sd = 0, .control = 1, .ctl_user_mix = 0.5f,
      .n_fields = 6, .fields = {
        SYN_F("user_id",          SYN_USER,      200, 50, 0,    0,    0,     0),
        SYN_F("item_id",          SYN_ITEM,      300, 50, 0,    0,    0,     0),
        SYN_F("gender",           SYN_UATTR,       2,  0, 0.5f, 1.5f, 0.10f, 0.7f),
        SYN_F("age",              SYN_UATTR,       7,  0, 0.6f, 2.5f, 0.20f, 1.0f),
        SYN_F("occupation",       SYN_UATTR,      21,  0, 0.8f, 2.5f, 0.20f, 0.7f),
        SYN_F("genre",            SYN_CAT,        18,  0, 0.8f, 0,    0.40f, 1.0f),
      } },
};
#define SYN_N_PRESETS ((int)(sizeof syn_presets / sizeof syn_presets[0]))

double synthetic_control_oracle(int strength)
{
    static const double oracle[] = { 0.7352, 0.8017, 0.8774, 0.9220 };   /* 100000 rows, seed 1 */
    return strength >= 0 && strength < 4 ? oracle[strength] : NAN;
}

const char *synthetic_preset_names(void) { return "ml1m, amazon, iaac, control[:S]"; }

static void *syn_alloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) apg_oom("synthetic data", n * size);
    return p;
}

/* Draws j in [0, n) with probability (cdf[j] - cdf[j-1]) / cdf[n-1]: the first j with
 * cdf[j] > u, u uniform in [0, cdf[n-1]). Zero-weight entries are never drawn. */
static int32_t syn_draw_cdf(struct rng *r, const double *cdf, int32_t n)
{
    double u = rng_double(r) * cdf[n - 1];
    int32_t lo = 0, hi = n;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (cdf[mid] > u) hi = mid; else lo = mid + 1;
    }
    return lo < n ? lo : n - 1;
}

/* Walker/Vose alias table for O(1) draws from the weights w_j = cdf[j] - cdf[j-1],
 * j in [0, n) (cdf[-1] = base): prob[j] keeps j, else alias[j]. The construction
 * order is fixed, so draws are deterministic. Zero-weight entries are never drawn. */
static void syn_alias_build(double *prob, int32_t *alias, const double *cdf, double base, int32_t n)
{
    int32_t *small = syn_alloc((size_t)n, sizeof *small), *large = syn_alloc((size_t)n, sizeof *large);
    int32_t ns = 0, nl = 0, last = 0;
    double total = cdf[n - 1] - base;
    for (int32_t j = 0; j < n; j++) {
        double w = cdf[j] - (j ? cdf[j - 1] : base);
        prob[j] = total > 0.0 ? w * n / total : 1.0;
        alias[j] = j;
        if (prob[j] < 1.0) small[ns++] = j; else large[nl++] = j;
        if (w > 0.0) last = j;
    }
    while (ns && nl) {
        int32_t sm = small[--ns], lg = large[nl - 1];
        alias[sm] = lg;
        prob[lg] -= 1.0 - prob[sm];
        if (prob[lg] < 1.0) { nl--; small[ns++] = lg; }
    }
    while (nl) prob[large[--nl]] = 1.0;
    while (ns) {                              /* rounding leftovers */
        int32_t sm = small[--ns];
        double w = cdf[sm] - (sm ? cdf[sm - 1] : base);
        prob[sm] = w > 0.0 ? 1.0 : 0.0;
        alias[sm] = w > 0.0 ? sm : last;
    }
    free(small);
    free(large);
}

/* Alias tables of n entries, possibly holding several independent segments. */
struct syn_alias { double *prob; int32_t *alias; };

static void syn_alias_alloc(struct syn_alias *a, size_t n)
{
    a->prob = syn_alloc(n, sizeof *a->prob);
    a->alias = syn_alloc(n, sizeof *a->alias);
}

static void syn_alias_free(struct syn_alias *a) { free(a->prob); free(a->alias); }

/* Draws j in [0, n) from the segment of a starting at off. */
static int32_t syn_alias_draw(struct rng *r, const struct syn_alias *a, size_t off, int32_t n)
{
    double x = rng_double(r) * n;
    int32_t j = (int32_t)x;
    if (j >= n) j = n - 1;
    return x - j < a->prob[off + j] ? j : a->alias[off + j];
}

static void syn_normals(struct rng *r, float *x, size_t n, double sd)
{
    for (size_t i = 0; i < n; i++) x[i] = (float)(sd * rng_normal(r));
}

/* Values of each field and their parameters: B[v] (n+1), F[v] (K (n+1)), value CDF. */
struct syn_table {
    int32_t n;        /* values 1..n */
    float  *bias, *fac;
    double *cdf;      /* UATTR: n_groups x n (group-tilted), others: n */
    struct syn_alias al;   /* SYN_CTX: alias table of cdf (drawn per row) */
};

struct syn_build {
    const struct syn_preset *p;
    struct syn_table t[SYN_MAX_FIELDS];
    int f_user, f_item, f_cat;
    int32_t n_user, n_item, n_cat;
    int uattr[SYN_MAX_FIELDS], n_uattr;      /* field indices by kind */
    int iattr[SYN_MAX_FIELDS], n_iattr;      /* SYN_CAT and SYN_IATTR */
    int ctx[SYN_MAX_FIELDS], n_ctx;
    /* users (index u = id - 1) */
    int32_t *ugroup, *uval;                  /* uval: n_user x n_uattr */
    float   *ubias, *uw;                     /* uw: n_user x K, the user's row weights on Q_i */
    double  *ucdf;                           /* activity CDF */
    struct syn_alias ua;                     /* its alias table */
    /* items (index i = id - 1) */
    int32_t *ival;                           /* n_item x n_iattr */
    int32_t *icat;                           /* category value of item i */
    float   *ibias, *iq;                     /* iq: n_item x K */
    double  *icdf;                           /* popularity CDF */
    struct syn_alias ia;                     /* its alias table */
    int32_t *by_cat, *cat_start;             /* items ordered by category, start of each */
    double  *cat_cdf;                        /* popularity prefix sums over by_cat */
    struct syn_alias ca;                     /* one alias segment per category */
    double  *gpref;                          /* n_groups x n_cat category preference CDF */
    struct syn_alias ga;                     /* its alias tables, one segment per group */
    float   *iphi;                           /* control: n_item x SYN_KC item features phi_i */
    float    gw[SYN_MAX_GROUPS][SYN_KC];     /* control: group weights w_g on phi_i */
    float   *uwc;                            /* control: n_user x SYN_KC user weights w_u */
    double   gcdf[SYN_MAX_GROUPS];
    float    gbias[SYN_MAX_GROUPS], *gc;          /* gc: n_groups x n_cat, G[g, c] */
};

static void syn_build_free(struct syn_build *b)
{
    for (int f = 0; f < SYN_MAX_FIELDS; f++) {
        free(b->t[f].bias); free(b->t[f].fac); free(b->t[f].cdf);
        syn_alias_free(&b->t[f].al);
    }
    free(b->ugroup); free(b->uval); free(b->ubias); free(b->uw); free(b->ucdf);
    free(b->ival); free(b->iphi); free(b->uwc); free(b->icat); free(b->ibias); free(b->iq); free(b->icdf);
    free(b->by_cat); free(b->cat_start); free(b->cat_cdf); free(b->gpref); free(b->gc);
    syn_alias_free(&b->ua); syn_alias_free(&b->ia); syn_alias_free(&b->ca); syn_alias_free(&b->ga);
}

/* max(n_min, round(scale n_full)) for id-like fields, n_full otherwise; <= rows. */
static int32_t syn_count(const struct syn_field *f, double scale, int64_t rows)
{
    int64_t n = f->n_full;
    if (f->n_min > 0) {
        n = llround(scale * f->n_full);
        if (n < f->n_min) n = f->n_min;
    }
    if (f->kind == SYN_USER && n > rows) n = rows;
    return n < 1 ? 1 : (int32_t)n;
}

/* Power-law weights over a random ranking: w[perm[r]] = (r + 1 + r0 n)^-a, as a CDF. */
static double *syn_activity_cdf(struct rng *r, int32_t n, double a, double r0)
{
    int32_t *perm = syn_alloc((size_t)n, sizeof *perm);
    double *w = syn_alloc((size_t)n, sizeof *w);
    for (int32_t i = 0; i < n; i++) perm[i] = i;
    rng_shuffle_i32(r, perm, n);
    for (int32_t k = 0; k < n; k++) w[perm[k]] = pow(k + 1 + r0 * n, -a);
    for (int32_t i = 1; i < n; i++) w[i] += w[i - 1];
    free(perm);
    return w;
}

/* Per-field values: biases, latent parts and value CDFs (group-tilted for user
 * attributes). Each field draws from its own stream: a fixed-size field's table
 * depends on the seed only, not on the row count. */
static void syn_make_tables(struct syn_build *b, const struct rng *root, double scale, int64_t rows)
{
    const struct syn_preset *p = b->p;
    int G = p->n_groups;
    for (int f = 0; f < p->n_fields; f++) {
        const struct syn_field *fd = &p->fields[f];
        struct syn_table *t = &b->t[f];
        t->n = syn_count(fd, scale, rows);
        if (fd->kind == SYN_USER || fd->kind == SYN_ITEM) continue;
        struct rng r;
        rng_fork(&r, root, 100 + (uint64_t)f);
        int32_t n = t->n;
        t->bias = syn_alloc((size_t)n + 1, sizeof *t->bias);
        t->fac = syn_alloc(((size_t)n + 1) * SYN_K, sizeof *t->fac);
        syn_normals(&r, t->bias + 1, (size_t)n, fd->bias_sd);
        syn_normals(&r, t->fac + SYN_K, (size_t)n * SYN_K, fd->factor_sd);
        int tilt = fd->kind == SYN_UATTR;
        t->cdf = syn_alloc((size_t)n * (tilt ? G : 1), sizeof *t->cdf);
        for (int g = 0; g < (tilt ? G : 1); g++) {
            double *c = t->cdf + (size_t)g * n, acc = 0.0;
            for (int32_t v = 0; v < n; v++) {
                double w = pow(v + 1.0, -fd->zipf);
                if (tilt) w *= exp(fd->conc * rng_normal(&r));
                c[v] = acc += w;
            }
        }
        if (fd->kind == SYN_CTX) {
            syn_alias_alloc(&t->al, (size_t)n);
            syn_alias_build(t->al.prob, t->al.alias, t->cdf, 0.0, n);
        }
    }
}

/* Users: group, attributes, bias b_u and row weights uw = (shared_sd/sqrt(K)) P +
 * (custom_sd/K) M_g' P on the (normalised) item vector Q_i; activity CDF. */
static void syn_make_users(struct syn_build *b, const struct rng *root)
{
    const struct syn_preset *p = b->p;
    int G = p->n_groups, K = SYN_K;
    struct rng r;
    rng_fork(&r, root, 2);
    float phi[SYN_MAX_GROUPS][SYN_K], M[SYN_MAX_GROUPS][SYN_K][SYN_K];
    double acc = 0.0;
    for (int g = 0; g < G; g++) {
        b->gcdf[g] = acc += pow(g + 1.0, -0.5);
        b->gbias[g] = (float)(p->group_bias_sd * rng_normal(&r));
        syn_normals(&r, phi[g], K, p->group_vec_sd);
        syn_normals(&r, &M[g][0][0], (size_t)K * K, 1.0);
    }
    b->gc = syn_alloc((size_t)G * b->n_cat, sizeof *b->gc);
    syn_normals(&r, b->gc, (size_t)G * b->n_cat, p->gc_sd);

    double var_p = (double)p->group_vec_sd * p->group_vec_sd + (double)p->user_vec_sd * p->user_vec_sd;
    for (int a = 0; a < b->n_uattr; a++) {
        double s = p->fields[b->uattr[a]].factor_sd;
        var_p += s * s;
    }
    double inv_sp = 1.0 / sqrt(var_p);
    double c_sh = p->shared_sd / sqrt((double)K), c_cu = p->custom_sd / (double)K;

    int32_t U = b->n_user;
    b->ugroup = syn_alloc((size_t)U, sizeof *b->ugroup);
    b->uval = syn_alloc((size_t)U * (b->n_uattr ? b->n_uattr : 1), sizeof *b->uval);
    b->ubias = syn_alloc((size_t)U, sizeof *b->ubias);
    b->uw = syn_alloc((size_t)U * K, sizeof *b->uw);
    for (int32_t u = 0; u < U; u++) {
        int g = syn_draw_cdf(&r, b->gcdf, G);
        double bias = b->gbias[g], P[SYN_K];
        for (int k = 0; k < K; k++) P[k] = phi[g][k];
        for (int a = 0; a < b->n_uattr; a++) {
            const struct syn_table *t = &b->t[b->uattr[a]];
            int32_t v = syn_draw_cdf(&r, t->cdf + (size_t)g * t->n, t->n) + 1;
            b->uval[(size_t)u * b->n_uattr + a] = v;
            bias += t->bias[v];
            for (int k = 0; k < K; k++) P[k] += t->fac[(size_t)v * K + k];
        }
        bias += p->user_bias_sd * rng_normal(&r);
        for (int k = 0; k < K; k++) P[k] = (P[k] + p->user_vec_sd * rng_normal(&r)) * inv_sp;
        for (int k = 0; k < K; k++) {
            double mp = 0.0;
            for (int j = 0; j < K; j++) mp += P[j] * M[g][j][k];
            b->uw[(size_t)u * K + k] = (float)(c_sh * P[k] + c_cu * mp);
        }
        b->ugroup[u] = g;
        b->ubias[u] = (float)bias;
    }
    b->ucdf = syn_activity_cdf(&r, U, p->user_zipf, p->user_r0);
    syn_alias_alloc(&b->ua, (size_t)U);
    syn_alias_build(b->ua.prob, b->ua.alias, b->ucdf, 0.0, U);
}

/* Items: category and attributes, bias b_i, normalised latent Q_i, popularity CDF,
 * items grouped by category with popularity prefix sums, and each group's category
 * preference CDF (mass of the category times a group-specific tilt). */
static void syn_make_items(struct syn_build *b, const struct rng *root)
{
    const struct syn_preset *p = b->p;
    int K = SYN_K, G = p->n_groups;
    struct rng r;
    rng_fork(&r, root, 3);
    double var_q = (double)p->item_vec_sd * p->item_vec_sd;
    for (int a = 0; a < b->n_iattr; a++) {
        double s = p->fields[b->iattr[a]].factor_sd;
        var_q += s * s;
    }
    double inv_sq = 1.0 / sqrt(var_q);
    int32_t I = b->n_item, C = b->n_cat;
    b->ival = syn_alloc((size_t)I * b->n_iattr, sizeof *b->ival);
    b->icat = syn_alloc((size_t)I, sizeof *b->icat);
    b->ibias = syn_alloc((size_t)I, sizeof *b->ibias);
    b->iq = syn_alloc((size_t)I * K, sizeof *b->iq);
    for (int32_t i = 0; i < I; i++) {
        double bias = 0.0, Q[SYN_K] = { 0 };
        for (int a = 0; a < b->n_iattr; a++) {
            const struct syn_table *t = &b->t[b->iattr[a]];
            int32_t v = syn_draw_cdf(&r, t->cdf, t->n) + 1;
            b->ival[(size_t)i * b->n_iattr + a] = v;
            if (b->iattr[a] == b->f_cat) b->icat[i] = v;
            bias += t->bias[v];
            for (int k = 0; k < K; k++) Q[k] += t->fac[(size_t)v * K + k];
        }
        b->ibias[i] = (float)(bias + p->item_bias_sd * rng_normal(&r));
        for (int k = 0; k < K; k++)
            b->iq[(size_t)i * K + k] = (float)((Q[k] + p->item_vec_sd * rng_normal(&r)) * inv_sq);
    }
    b->icdf = syn_activity_cdf(&r, I, p->item_zipf, p->item_r0);

    b->cat_start = syn_alloc((size_t)C + 1, sizeof *b->cat_start);
    b->by_cat = syn_alloc((size_t)I, sizeof *b->by_cat);
    b->cat_cdf = syn_alloc((size_t)I, sizeof *b->cat_cdf);
    for (int32_t i = 0; i < I; i++) b->cat_start[b->icat[i]]++;       /* counts at c + 1 */
    for (int32_t c = 0; c < C; c++) b->cat_start[c + 1] += b->cat_start[c];
    int32_t *fill = syn_alloc((size_t)C, sizeof *fill);
    memcpy(fill, b->cat_start, (size_t)C * sizeof *fill);
    for (int32_t i = 0; i < I; i++) b->by_cat[fill[b->icat[i] - 1]++] = i;
    free(fill);
    double acc = 0.0;
    for (int32_t j = 0; j < I; j++) {
        int32_t i = b->by_cat[j];
        acc += b->icdf[i] - (i ? b->icdf[i - 1] : 0.0);
        b->cat_cdf[j] = acc;
    }
    b->gpref = syn_alloc((size_t)G * C, sizeof *b->gpref);
    syn_alias_alloc(&b->ga, (size_t)G * C);
    for (int g = 0; g < G; g++) {
        double tot = 0.0;
        for (int32_t c = 0; c < C; c++) {
            int32_t lo = b->cat_start[c], hi = b->cat_start[c + 1];
            double mass = lo < hi ? b->cat_cdf[hi - 1] - (lo ? b->cat_cdf[lo - 1] : 0.0) : 0.0;
            tot += mass * exp(p->pref_conc * rng_normal(&r));
            b->gpref[(size_t)g * C + c] = tot;
        }
        syn_alias_build(b->ga.prob + (size_t)g * C, b->ga.alias + (size_t)g * C, b->gpref + (size_t)g * C, 0.0, C);
    }
    syn_alias_alloc(&b->ia, (size_t)I);
    syn_alias_build(b->ia.prob, b->ia.alias, b->icdf, 0.0, I);
    syn_alias_alloc(&b->ca, (size_t)I);
    for (int32_t c = 0; c < C; c++) {
        int32_t lo = b->cat_start[c], hi = b->cat_start[c + 1];
        if (lo < hi)
            syn_alias_build(b->ca.prob + lo, b->ca.alias + lo, b->cat_cdf + lo,
                            lo ? b->cat_cdf[lo - 1] : 0.0, hi - lo);
    }
}

/* Positive control (preset "control"): item features phi_i = (C[c_i] + e_i) / sqrt(2)
 * (SYN_KC dims; C[c] ~ N(0, I) per category c, e_i ~ N(0, I) per item) and group
 * weights w_g ~ N(0, I / SYN_KC), so the control term w_g . phi_i has unit variance
 * over groups and items. The model sees g only through the user id and the tilted user
 * attributes, and phi_i through the item id and its category. */
static void syn_make_control(struct syn_build *b, const struct rng *root)
{
    struct rng r;
    rng_fork(&r, root, 7);
    int KC = SYN_KC, G = b->p->n_groups;
    int32_t I = b->n_item, C = b->n_cat;
    for (int g = 0; g < G; g++) syn_normals(&r, b->gw[g], (size_t)KC, 1.0 / sqrt((double)KC));
    float *cv = syn_alloc((size_t)C * KC, sizeof *cv);
    syn_normals(&r, cv, (size_t)C * KC, 1.0);
    b->iphi = syn_alloc((size_t)I * KC, sizeof *b->iphi);
    for (int32_t i = 0; i < I; i++)
        for (int k = 0; k < KC; k++)
            b->iphi[(size_t)i * KC + k] =
                (float)((cv[(size_t)(b->icat[i] - 1) * KC + k] + rng_normal(&r)) * sqrt(0.5));
    free(cv);
    float mix = (float)b->p->ctl_user_mix;
    b->uwc = syn_alloc((size_t)b->n_user * KC, sizeof *b->uwc);
    for (int32_t u = 0; u < b->n_user; u++)
        for (int k = 0; k < KC; k++)
            b->uwc[(size_t)u * KC + k] = sqrtf(1.0f - mix) * b->gw[b->ugroup[u]][k] +
                                         sqrtf(mix) * (float)(rng_normal(&r) / sqrt((double)KC));
}

/* The control term of a row: w_g . phi_i (unit variance by construction). */
static double syn_control_term(const struct syn_build *b, int32_t u, int32_t i)
{
    double c = 0.0;
    for (int k = 0; k < SYN_KC; k++) c += (double)b->uwc[(size_t)u * SYN_KC + k] * b->iphi[(size_t)i * SYN_KC + k];
    return c;
}

/* Parses the preset name: "control" or "control:S" sets *strength (S in [0, 10],
 * default 1); any other name leaves it at 0. 0, or -1 with err. */
static int syn_parse_like(const char *like, char *base, size_t blen, double *strength, char *err, size_t errlen)
{
    *strength = 0.0;
    const char *colon = strchr(like, ':');
    size_t n = colon ? (size_t)(colon - like) : strlen(like);
    snprintf(base, blen, "%.*s", (int)n, like);
    if (strcmp(base, "control") != 0) {
        if (colon) {
            snprintf(err, errlen, "synthetic: unknown preset '%s' (valid: %s; only control takes :S)", like,
                     synthetic_preset_names());
            return -1;
        }
        return 0;
    }
    *strength = 1.0;
    if (!colon) return 0;
    char *end;
    double v = strtod(colon + 1, &end);
    if (end == colon + 1 || *end || !(v >= 0.0 && v <= 10.0)) {
        snprintf(err, errlen, "synthetic: preset '%s': the strength S of control:S must be a number in "
                 "[0, 10]", like);
        return -1;
    }
    *strength = v;
    return 0;
}

/* b such that the mean of sigmoid(b + scale (x[i] - mu)) over the subsample x[0],
 * x[step], ... (step = n / 65536 + 1) equals pos_rate (Newton's method, monotone in b). */
static double syn_solve_bias(const float *x, int n, double scale, double mu, double pos_rate)
{
    int step = n / 65536 + 1, m = 0;
    for (int i = 0; i < n; i += step) m++;
    double b = log(pos_rate / (1.0 - pos_rate));
    for (int it = 0; it < 50 && m; it++) {
        double f = 0.0, df = 0.0;
        for (int i = 0; i < n; i += step) {
            double q = 1.0 / (1.0 + exp(-(b + scale * (x[i] - mu))));
            f += q;
            df += q * (1.0 - q);
        }
        f = f / m - pos_rate;
        df /= m;
        if (fabs(f) < 1e-9 || df < 1e-12) break;
        double db = -f / df;
        b += db < -2.0 ? -2.0 : db > 2.0 ? 2.0 : db;
    }
    return b;
}

/* Over the same subsample: sets *mu = mean(x) and returns sd(x) (0 when constant). */
static double syn_moments(const float *x, int n, double *mu)
{
    int step = n / 65536 + 1, m = 0;
    double s1 = 0.0, s2 = 0.0;
    for (int i = 0; i < n; i += step) { s1 += x[i]; m++; }
    *mu = m ? s1 / m : 0.0;
    for (int i = 0; i < n; i += step) s2 += (x[i] - *mu) * (x[i] - *mu);
    return m > 1 ? sqrt(s2 / (m - 1)) : 0.0;
}

/* Returns the scale logit_sd / sd(x), sets *mu = mean(x) and *bias0 so that the mean of
 * sigmoid(bias0 + scale (x - mu)) equals pos_rate, all over the subsample. */
static double syn_calibrate(const float *x, int n, double logit_sd, double pos_rate,
                            double *mu, double *bias0)
{
    double sd = syn_moments(x, n, mu);
    double scale = sd > 1e-12 ? logit_sd / sd : 0.0;
    *bias0 = syn_solve_bias(x, n, scale, *mu, pos_rate);
    return scale;
}

int synthetic_generate(struct dataset *d, const char *like, int64_t rows, uint64_t seed,
                       char *err, size_t errlen)
{
    const struct syn_preset *p = NULL;
    char base[32];
    double strength = 0.0;
    memset(d, 0, sizeof *d);                     /* empty (dataset_free-safe) on error */
    if (like && syn_parse_like(like, base, sizeof base, &strength, err, errlen)) return -1;
    for (int i = 0; i < SYN_N_PRESETS; i++)
        if (like && strcmp(base, syn_presets[i].name) == 0) p = &syn_presets[i];
    if (!p) {
        snprintf(err, errlen, "synthetic: unknown preset '%s' (valid: %s)", like ? like : "(null)",
                 synthetic_preset_names());
        return -1;
    }
    if (rows < 0 || rows > INT32_MAX) {
        snprintf(err, errlen, "synthetic: --rows %lld out of range [0, %d]", (long long)rows, INT32_MAX);
        return -1;
    }
    if (rows == 0) rows = p->rows_full;
    double scale = (double)rows / (double)p->rows_full;

    struct syn_build b;
    memset(&b, 0, sizeof b);
    b.p = p;
    b.f_user = b.f_item = b.f_cat = -1;
    for (int f = 0; f < p->n_fields; f++) {
        switch (p->fields[f].kind) {
        case SYN_USER:  b.f_user = f; break;
        case SYN_ITEM:  b.f_item = f; break;
        case SYN_UATTR: b.uattr[b.n_uattr++] = f; break;
        case SYN_CAT:   b.f_cat = f; b.iattr[b.n_iattr++] = f; break;
        case SYN_IATTR: b.iattr[b.n_iattr++] = f; break;
        case SYN_CTX:   b.ctx[b.n_ctx++] = f; break;
        }
    }
    struct rng root;
    rng_seed(&root, seed);
    syn_make_tables(&b, &root, scale, rows);
    b.n_user = b.t[b.f_user].n;
    b.n_item = b.t[b.f_item].n;
    b.n_cat = b.t[b.f_cat].n;
    syn_make_users(&b, &root);
    syn_make_items(&b, &root);
    if (p->control) syn_make_control(&b, &root);

    /* Row -> user: min_rows rows for every user, the rest by activity, shuffled. */
    int n = (int)rows;
    int32_t U = b.n_user, m = p->min_user_rows;
    if ((int64_t)m * U > rows) m = (int32_t)(rows / U);
    int32_t *row_user = syn_alloc((size_t)n, sizeof *row_user);
    struct rng r;
    rng_fork(&r, &root, 4);
    int k = 0;
    for (int32_t u = 0; u < U; u++)
        for (int32_t j = 0; j < m; j++) row_user[k++] = u;
    while (k < n) row_user[k++] = syn_alias_draw(&r, &b.ua, 0, U);
    rng_shuffle_i32(&r, row_user, n);

    double mu_x, bias0;
    char name[64];
    if (p->control) snprintf(name, sizeof name, "synthetic:%s:%g", p->name, strength);
    else snprintf(name, sizeof name, "synthetic:%s", p->name);
    dataset_init(d, name, n, p->n_fields);
    for (int f = 0; f < p->n_fields; f++) {
        struct field *fl = &d->fields[f];
        snprintf(fl->name, sizeof fl->name, "%s", p->fields[f].name);
        fl->card = b.t[f].n + 1;
        fl->ids = syn_alloc((size_t)n, sizeof *fl->ids);
    }
    d->prob = syn_alloc((size_t)n, sizeof *d->prob);
    d->time = syn_alloc((size_t)n, sizeof *d->time);
    d->user_field = b.f_user;
    d->item_field = b.f_item;
    d->category_field = b.f_cat;
    snprintf(d->label_rule, sizeof d->label_rule, "synthetic: label ~ Bernoulli(true p)");

    /* Rows: item by group preference or popularity, context, raw logit (kept in prob). */
    rng_fork(&r, &root, 5);
    int32_t I = b.n_item, C = b.n_cat;
    float *ctl = p->control ? syn_alloc((size_t)n, sizeof *ctl) : NULL;
    for (int row = 0; row < n; row++) {
        int32_t u = row_user[row], i;
        int g = b.ugroup[u];
        if (rng_double(&r) < p->group_pref) {
            int32_t c = syn_alias_draw(&r, &b.ga, (size_t)g * C, C);
            int32_t lo = b.cat_start[c], hi = b.cat_start[c + 1];
            i = b.by_cat[lo + syn_alias_draw(&r, &b.ca, (size_t)lo, hi - lo)];
        } else {
            i = syn_alias_draw(&r, &b.ia, 0, I);
        }
        double logit = b.ubias[u] + b.ibias[i] + b.gc[(size_t)g * C + b.icat[i] - 1];
        const float *w = b.uw + (size_t)u * SYN_K, *q = b.iq + (size_t)i * SYN_K;
        for (int kk = 0; kk < SYN_K; kk++) logit += (double)w[kk] * q[kk];
        for (int a = 0; a < b.n_ctx; a++) {
            const struct syn_table *t = &b.t[b.ctx[a]];
            int32_t v = syn_alias_draw(&r, &t->al, 0, t->n) + 1;
            d->fields[b.ctx[a]].ids[row] = v;
            logit += t->bias[v];
        }
        d->prob[row] = (float)logit;
        if (ctl) ctl[row] = (float)syn_control_term(&b, u, i);
        d->time[row] = row;
        d->fields[b.f_user].ids[row] = u + 1;
        d->fields[b.f_item].ids[row] = i + 1;
        for (int a = 0; a < b.n_uattr; a++)
            d->fields[b.uattr[a]].ids[row] = b.uval[(size_t)u * b.n_uattr + a];
        for (int a = 0; a < b.n_iattr; a++)
            d->fields[b.iattr[a]].ids[row] = b.ival[(size_t)i * b.n_iattr + a];
    }

    /* Calibrate: logit = bias0 + scale x with scale = logit_sd / sd(x) and bias0 solving
     * mean p = pos_rate, both on the rows r = 0, step, 2 step, ... (at most ~64k). */
    double scale_x = syn_calibrate(d->prob, n, p->logit_sd, p->pos_rate, &mu_x, &bias0);
    if (ctl) {
        /* Control: logit = bias0 + scale (x - mu) + S c / sd(c), c = w_g . phi_i; the shared
         * part keeps its calibrated sd and bias0 is solved again for pos_rate. */
        double mu_c, sd_c = syn_moments(ctl, n, &mu_c);
        double sc = sd_c > 1e-12 ? strength / sd_c : 0.0;
        for (int row = 0; row < n; row++)
            d->prob[row] = (float)(scale_x * (d->prob[row] - mu_x) + sc * ctl[row]);
        scale_x = 1.0;
        mu_x = 0.0;
        bias0 = syn_solve_bias(d->prob, n, 1.0, 0.0, p->pos_rate);
        free(ctl);
    }
    rng_fork(&r, &root, 6);
    for (int row = 0; row < n; row++) {
        float prob = (float)(1.0 / (1.0 + exp(-(bias0 + scale_x * (d->prob[row] - mu_x)))));
        d->prob[row] = prob;
        d->label[row] = rng_double(&r) < prob ? 1.0f : 0.0f;
    }
    free(row_user);
    syn_build_free(&b);
    return 0;
}

static int syn_load(struct dataset *d, const struct data_opts *o, char *err, size_t errlen)
{
    return synthetic_generate(d, o->like ? o->like : "ml1m", o->rows, o->data_seed, err, errlen);
}

const struct dataset_spec dataset_spec_synthetic = {
    .name = "synthetic",
    .help = "generated CTR data with a known click probability (--like ml1m|amazon|iaac, or "
            "control:S, the positive control of strength S; --rows N, --data-seed S); the oracle "
            "AUC is the ceiling",
    .load = syn_load,
};
