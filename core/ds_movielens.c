/* MovieLens loaders (GroupLens; files read byte-exact, Latin-1 titles passed through).
 *
 * ml1m   DIR/ml-1m/ratings.dat  UserID::MovieID::Rating::Timestamp
 *        DIR/ml-1m/users.dat    UserID::Gender::Age::Occupation::Zip-code
 *                               (Gender M|F, Age in {1,18,25,35,45,50,56}, Occupation 0..20)
 *        DIR/ml-1m/movies.dat   MovieID::Title::Genres   (Genres "A|B|C", may be empty)
 * ml100k DIR/ml-100k/u.data     user TAB item TAB rating TAB timestamp
 *        DIR/ml-100k/u.user     id|age|gender|occupation|zip
 *        DIR/ml-100k/u.item     id|title|release date|video release date|IMDb URL|19 genre flags
 *                               (flags 0/1 in u.genre order -> the multi-valued genres field)
 * (DIR/FILE is accepted too, when --data names the folder itself.) The formats have no
 * header; a header line some copies add (e.g. "user_id<TAB>item_id<TAB>rating<TAB>
 * timestamp") is detected and skipped (csvread_header_line). Fields: user_id,
 * movie_id, gender, age, occupation, zip, genres; label rating > 3, or with
 * --drop-neutral the rating-3 rows are dropped; time = the rating's timestamp. */
#include "ds_movielens.h"
#include "cache.h"
#include "dataset.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ml_field_names[ML_N_FIELDS] = {
    "user_id", "movie_id", "gender", "age", "occupation", "zip", "genres",
};
const int ml_field_multi[ML_N_FIELDS] = { 0, 0, 0, 0, 0, 0, 1 };

/* u.genre, in the order of u.item's 19 flag columns. */
static const char *const ml100k_genres[19] = {
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
    "Romance", "Sci-Fi", "Thriller", "War", "Western",
};

struct ml_ctx {
    struct tbuild      *t;
    struct ml_side     *s;
    struct csvread_bad *bad;
    int                 ml100k, drop_neutral;
};

#define ML_BAD(c, r, field, ...) csvread_bad_row((c)->bad, r, field, err, errlen, __VA_ARGS__)

void ml_side_free(struct ml_side *s)
{
    free(s->uattr);
    free(s->goffs);
    free(s->gids);
    memset(s, 0, sizeof *s);
}

static int ml_grow(void **p, int64_t *cap, int64_t need, size_t elem)
{
    if (need <= *cap) return 0;
    int64_t c = *cap ? *cap : 1024;
    while (c < need) c *= 2;
    void *q = realloc(*p, (size_t)c * elem);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* Checks that r has want fields; names the first missing one or the first extra. */
static int ml_count(struct ml_ctx *c, const struct csvread_row *r, int want, const char *const *names,
                    int *stop, char *err, size_t errlen)
{
    if (r->n == want) return 1;
    if (r->n < want)
        *stop = ML_BAD(c, r, names[r->n], "missing (the line has %d fields, expected %d)", r->n, want);
    else
        *stop = ML_BAD(c, r, names[want - 1], "followed by %d extra field%s (expected %d fields)",
                       r->n - want, r->n - want == 1 ? "" : "s", want);
    return 0;
}

/* A positive integer id. */
static int ml_id(const char *s)
{
    long long v;
    return csvread_i64(s, &v) == 0 && v > 0;
}

/* ---- users --------------------------------------------------------------------- */

static int ml_user_row(void *ctx, const struct csvread_row *r, char *err, size_t errlen)
{
    static const char *const n1m[5] = { "user_id", "gender", "age", "occupation", "zip" };
    static const char *const n100k[5] = { "user_id", "age", "gender", "occupation", "zip" };
    struct ml_ctx *c = ctx;
    struct tbuild *t = c->t;
    struct ml_side *s = c->s;
    int stop = 0;
    static const int numeric[1] = { 0 };
    if (csvread_header_line(r, numeric, 1, c->ml100k ? "ml100k" : "ml1m")) { t->header_lines++; return 0; }
    if (!ml_count(c, r, 5, c->ml100k ? n100k : n1m, &stop, err, errlen)) return stop;
    int ig = c->ml100k ? 2 : 1, ia = c->ml100k ? 1 : 2;
    const char *id = r->f[0], *g = r->f[ig], *a = r->f[ia], *occ = r->f[3], *zip = r->f[4];
    long long v;
    if (!ml_id(id)) return ML_BAD(c, r, "user_id", "'%s' is not a positive integer", id);
    if (strcmp(g, "M") != 0 && strcmp(g, "F") != 0) return ML_BAD(c, r, "gender", "'%s' is not M or F", g);
    if (csvread_i64(a, &v) || (c->ml100k ? v < 1 || v > 120 :
                               v != 1 && v != 18 && v != 25 && v != 35 && v != 45 && v != 50 && v != 56))
        return ML_BAD(c, r, "age", c->ml100k ? "'%s' is not an age in years" :
                      "'%s' is not one of the age codes 1, 18, 25, 35, 45, 50, 56", a);
    if (c->ml100k ? !*occ : csvread_i64(occ, &v) || v < 0 || v > 20)
        return ML_BAD(c, r, "occupation", c->ml100k ? "empty" : "'%s' is not an occupation code 0..20", occ);
    if (!*zip) return ML_BAD(c, r, "zip", "empty");
    if (idmap_find(&t->cols[ML_USER].map, id, r->len[0]))
        return ML_BAD(c, r, "user_id", "duplicate user %s", id);
    int32_t uid = tbuild_intern(t, ML_USER, id, r->len[0]);
    int64_t cap = s->cap_users;
    if (t->oom || ml_grow((void **)&s->uattr, &cap, 4 * ((int64_t)uid + 1), sizeof *s->uattr)) {
        snprintf(err, errlen, "%s: out of memory", r->path);
        return -1;
    }
    s->cap_users = (int32_t)cap;
    int32_t *u = s->uattr + 4 * (size_t)uid;
    u[0] = tbuild_intern(t, ML_GENDER, g, r->len[ig]);
    u[1] = tbuild_intern(t, ML_AGE, a, r->len[ia]);
    u[2] = tbuild_intern(t, ML_OCCUPATION, occ, r->len[3]);
    u[3] = tbuild_intern(t, ML_ZIP, zip, r->len[4]);
    s->n_users = uid;
    return 0;
}

int ml_read_users(struct ml_side *s, struct tbuild *t, const char *path, int ml100k,
                  struct csvread_bad *bad, char *err, size_t errlen)
{
    struct ml_ctx c = { t, s, bad, ml100k, 0 };
    struct csvread_opts o = { ml100k ? '|' : CSVREAD_DCOLON, 0, 0, 0 };
    return csvread_file(path, &o, ml_user_row, &c, err, errlen);
}

/* ---- movies -------------------------------------------------------------------- */

static int ml_add_genre(struct ml_ctx *c, const char *g, size_t len)
{
    struct ml_side *s = c->s;
    if (ml_grow((void **)&s->gids, &s->cap_gids, s->n_gids + 1, sizeof *s->gids)) return -1;
    s->gids[s->n_gids++] = tbuild_intern(c->t, ML_GENRES, g, len);
    return 0;
}

static int ml_genre_piece(void *ctx, const char *p, size_t n)
{
    (void)ctx; (void)p;
    return n == 0;                     /* "A||B" or a trailing '|' */
}

static int ml_genre_add(void *ctx, const char *p, size_t n) { return ml_add_genre(ctx, p, n); }

static int ml_movie_row(void *ctx, const struct csvread_row *r, char *err, size_t errlen)
{
    static const char *const n1m[3] = { "movie_id", "title", "genres" };
    static const char *const n100k[24] = {
        "movie_id", "title", "release_date", "video_release_date", "imdb_url",
        "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
        "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
        "Romance", "Sci-Fi", "Thriller", "War", "Western",
    };
    struct ml_ctx *c = ctx;
    struct tbuild *t = c->t;
    struct ml_side *s = c->s;
    int stop = 0;
    static const int numeric[1] = { 0 };
    if (csvread_header_line(r, numeric, 1, c->ml100k ? "ml100k" : "ml1m")) { c->t->header_lines++; return 0; }
    if (!ml_count(c, r, c->ml100k ? 24 : 3, c->ml100k ? n100k : n1m, &stop, err, errlen)) return stop;
    const char *id = r->f[0];
    if (!ml_id(id)) return ML_BAD(c, r, "movie_id", "'%s' is not a positive integer", id);
    if (c->ml100k) {
        for (int k = 5; k < 24; k++)
            if (strcmp(r->f[k], "0") != 0 && strcmp(r->f[k], "1") != 0)
                return ML_BAD(c, r, n100k[k], "genre flag '%s' is not 0 or 1", r->f[k]);
    } else if (csvread_split(r->f[2], r->len[2], '|', ml_genre_piece, NULL)) {
        return ML_BAD(c, r, "genres", "empty genre in '%s'", r->f[2]);
    }
    if (idmap_find(&t->cols[ML_MOVIE].map, id, r->len[0]))
        return ML_BAD(c, r, "movie_id", "duplicate movie %s", id);
    int32_t mid = tbuild_intern(t, ML_MOVIE, id, r->len[0]);
    int64_t cap = s->cap_movies;
    if (t->oom || ml_grow((void **)&s->goffs, &cap, (int64_t)mid + 2, sizeof *s->goffs)) goto oom;
    s->cap_movies = (int32_t)cap;
    s->goffs[mid] = s->n_gids;
    if (c->ml100k) {
        for (int k = 5; k < 24; k++)
            if (r->f[k][0] == '1' && ml_add_genre(c, ml100k_genres[k - 5], strlen(ml100k_genres[k - 5])))
                goto oom;
    } else if (csvread_split(r->f[2], r->len[2], '|', ml_genre_add, c)) {
        goto oom;
    }
    s->goffs[mid + 1] = s->n_gids;
    s->n_movies = mid;
    return 0;
oom:
    snprintf(err, errlen, "%s: out of memory", r->path);
    return -1;
}

int ml_read_movies(struct ml_side *s, struct tbuild *t, const char *path, int ml100k,
                   struct csvread_bad *bad, char *err, size_t errlen)
{
    struct ml_ctx c = { t, s, bad, ml100k, 0 };
    struct csvread_opts o = { ml100k ? '|' : CSVREAD_DCOLON, 0, 0, 0 };
    return csvread_file(path, &o, ml_movie_row, &c, err, errlen);
}

/* ---- ratings ------------------------------------------------------------------- */

static int ml_rating_row(void *ctx, const struct csvread_row *r, char *err, size_t errlen)
{
    static const char *const names[4] = { "user_id", "movie_id", "rating", "timestamp" };
    struct ml_ctx *c = ctx;
    struct tbuild *t = c->t;
    const struct ml_side *s = c->s;
    int stop = 0;
    static const int numeric[4] = { 0, 1, 2, 3 };
    if (csvread_header_line(r, numeric, 4, c->ml100k ? "ml100k" : "ml1m")) { c->t->header_lines++; return 0; }
    if (!ml_count(c, r, 4, names, &stop, err, errlen)) return stop;
    long long rating, ts;
    if (!ml_id(r->f[0])) return ML_BAD(c, r, "user_id", "'%s' is not a positive integer", r->f[0]);
    if (!ml_id(r->f[1])) return ML_BAD(c, r, "movie_id", "'%s' is not a positive integer", r->f[1]);
    if (csvread_i64(r->f[2], &rating) || rating < 1 || rating > 5)
        return ML_BAD(c, r, "rating", "'%s' is not an integer rating 1..5", r->f[2]);
    if (csvread_time(r->f[3], &ts))
        return ML_BAD(c, r, "timestamp", "'%s' is not a Unix time in seconds 0..%lld", r->f[3], CSVREAD_TIME_MAX);
    int32_t uid = idmap_find(&t->cols[ML_USER].map, r->f[0], r->len[0]);
    if (!uid) return ML_BAD(c, r, "user_id", "user %s is not in the users file", r->f[0]);
    int32_t mid = idmap_find(&t->cols[ML_MOVIE].map, r->f[1], r->len[1]);
    if (!mid) return ML_BAD(c, r, "movie_id", "movie %s is not in the movies file", r->f[1]);
    if (c->drop_neutral && rating == 3) return 0;
    const int32_t *u = s->uattr + 4 * (size_t)uid;
    tbuild_push(t, ML_USER, uid);
    tbuild_push(t, ML_MOVIE, mid);
    tbuild_push(t, ML_GENDER, u[0]);
    tbuild_push(t, ML_AGE, u[1]);
    tbuild_push(t, ML_OCCUPATION, u[2]);
    tbuild_push(t, ML_ZIP, u[3]);
    for (int64_t j = s->goffs[mid]; j < s->goffs[mid + 1]; j++) tbuild_push(t, ML_GENRES, s->gids[j]);
    tbuild_row(t, rating > 3 ? 1.0f : 0.0f, ts);
    if (t->oom) {
        snprintf(err, errlen, "%s: out of memory", r->path);
        return -1;
    }
    return 0;
}

/* ---- the two specs ------------------------------------------------------------- */

struct ml_job {
    const char *spec;
    int ml100k;
    const struct data_opts *o;
    char ratings[4096], users[4096], movies[4096];
};

static int ml_build(struct dataset *d, void *ctx, int *n_skipped, char *err, size_t errlen)
{
    struct ml_job *j = ctx;
    struct tbuild t;
    struct ml_side s = { 0 };
    struct csvread_bad bad = { .skip = j->o->skip_bad_rows };
    if (tbuild_init(&t, ML_N_FIELDS, ml_field_names, ml_field_multi, 1)) {
        snprintf(err, errlen, "%s: out of memory", j->spec);
        return -1;
    }
    struct ml_ctx c = { &t, &s, &bad, j->ml100k, j->o->drop_neutral };
    struct csvread_opts ro = { j->ml100k ? '\t' : CSVREAD_DCOLON, 0, 0, 0 };
    int rc = ml_read_users(&s, &t, j->users, j->ml100k, &bad, err, errlen);
    if (!rc) rc = ml_read_movies(&s, &t, j->movies, j->ml100k, &bad, err, errlen);
    if (!rc) rc = csvread_file(j->ratings, &ro, ml_rating_row, &c, err, errlen);
    ml_side_free(&s);
    if (!rc) rc = tbuild_finish(&t, d, j->spec, ML_MOVIE, j->o->min_item_count, err, errlen);
    tbuild_free(&t);
    if (rc) return -1;
    d->user_field = ML_USER;
    d->item_field = ML_MOVIE;
    d->category_field = ML_GENRES;
    snprintf(d->label_rule, sizeof d->label_rule, "%s",
             j->o->drop_neutral ? "rating > 3 -> 1, rating < 3 -> 0, rating 3 dropped (MovieLens 1-5 stars)"
                                : "rating > 3 -> 1 else 0 (MovieLens 1-5 stars)");
    csvread_bad_report(&bad, j->spec);
    *n_skipped = (int)bad.count;
    return 0;
}

static int ml_load(struct dataset *d, const struct data_opts *o, int ml100k, char *err, size_t errlen)
{
    struct ml_job *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    j->spec = ml100k ? "ml100k" : "ml1m";
    j->ml100k = ml100k;
    j->o = o;
    const char *sub = ml100k ? "ml-100k" : "ml-1m";
    int rc = -1;
    if (csvread_locate(j->ratings, sizeof j->ratings, o->data_dir, sub, ml100k ? "u.data" : "ratings.dat",
                       j->spec, err, errlen) ||
        csvread_locate(j->users, sizeof j->users, o->data_dir, sub, ml100k ? "u.user" : "users.dat",
                       j->spec, err, errlen) ||
        csvread_locate(j->movies, sizeof j->movies, o->data_dir, sub, ml100k ? "u.item" : "movies.dat",
                       j->spec, err, errlen))
        goto out;
    struct cache_key k = { .spec = j->spec, .paths = { j->ratings, j->users, j->movies }, .n_paths = 3 };
    k.opts_hash = cache_hash_common(CACHE_HASH_SEED, &k, o);
    rc = cache_load_or_build(d, o, &k, ml_build, j, err, errlen);
out:
    free(j);
    return rc;
}

static int ml1m_load(struct dataset *d, const struct data_opts *o, char *err, size_t errlen)
{
    return ml_load(d, o, 0, err, errlen);
}

static int ml100k_load(struct dataset *d, const struct data_opts *o, char *err, size_t errlen)
{
    return ml_load(d, o, 1, err, errlen);
}

const struct dataset_spec dataset_spec_ml1m = {
    .name = "ml1m",
    .help = "MovieLens-1M: DIR/ml-1m/{ratings,users,movies}.dat; label rating > 3 (--drop-neutral drops 3)",
    .load = ml1m_load,
};

const struct dataset_spec dataset_spec_ml100k = {
    .name = "ml100k",
    .help = "MovieLens-100K: DIR/ml-100k/{u.data,u.user,u.item}; label rating > 3 (--drop-neutral drops 3)",
    .load = ml100k_load,
};
