/* MovieLens side tables (users and movies), exposed for the tests of the ml1m and
 * ml100k parsers. Both datasets share one field layout:
 *   user_id, movie_id, gender, age, occupation, zip, genres (multi-valued);
 * label rating > 3 (rating 3 dropped with --drop-neutral). */
#ifndef APG_DS_MOVIELENS_H
#define APG_DS_MOVIELENS_H
#include <stdint.h>
#include "csvread.h"
#include "idmap.h"

enum { ML_USER, ML_MOVIE, ML_GENDER, ML_AGE, ML_OCCUPATION, ML_ZIP, ML_GENRES, ML_N_FIELDS };
extern const char *const ml_field_names[ML_N_FIELDS];
extern const int ml_field_multi[ML_N_FIELDS];

/* Attributes keyed by the ids of the user_id / movie_id maps of a tbuild: the user
 * and movie files are read first, interning their ids, so a rating looks its user and
 * movie up with one idmap_find each. */
struct ml_side {
    int32_t *uattr;          /* 4 per user id: gender, age, occupation, zip (field ids) */
    int32_t  n_users, cap_users;
    int64_t *goffs;          /* movie id m: genres gids[goffs[m] .. goffs[m+1]) */
    int32_t *gids;
    int32_t  n_movies, cap_movies;
    int64_t  n_gids, cap_gids;
    int      oom;
};

/* users.dat (ml1m, "::") or u.user (ml100k, '|'); movies.dat or u.item. 0, or -1 /
 * the csvread result with err set. Bad rows go through bad. */
int  ml_read_users(struct ml_side *s, struct tbuild *t, const char *path, int ml100k,
                   struct csvread_bad *bad, char *err, size_t errlen);
int  ml_read_movies(struct ml_side *s, struct tbuild *t, const char *path, int ml100k,
                    struct csvread_bad *bad, char *err, size_t errlen);
void ml_side_free(struct ml_side *s);

#endif
