/* world.h - the synthetic world behind synth's traces: cities with a popularity that
 * makes Paris dominant, 51 genres each with a city affinity and a temporal shape,
 * albums with labels, popularity, release date and hidden genre mixture, and the
 * exact number of trace rows of every (album, day). Everything is drawn from the
 * seed alone, so the same configuration always gives the same world. */
#ifndef SYNTH_WORLD_H
#define SYNTH_WORLD_H

#include "error.h"

#include <stdint.h>

#define SYNTH_MAX_LABELS 8
#define SYNTH_DEFAULT_ALBUMS 1557
#define SYNTH_DEFAULT_TRACES 2348509
#define SYNTH_DEFAULT_CITIES 2683
#define SYNTH_WINDOW 358          /* days: steps 0..357 */

typedef struct {
    uint32_t albums;       /* after --scale */
    uint64_t traces;       /* total trace rows, after --scale */
    uint32_t cities;
    uint64_t seed;
    double city_signal;    /* 0: genres share one city distribution; 1: default */
    double time_signal;    /* 0: genres share one temporal shape; 1: default */
} synth_world_config;

/* Walker alias table: O(1) draws from a discrete distribution. */
typedef struct {
    uint32_t n;
    float *prob;           /* [n] */
    uint32_t *alias;       /* [n] */
} synth_alias;

typedef struct {
    char *name;            /* UTF-8 */
    int main;              /* one of the report's 27 (1) or a rare genre (0) */
    /* temporal shape, as functions of s = days since release and the calendar */
    double launch;         /* share of the fast-decaying launch peak */
    double tau_fast, tau_slow;  /* decay times in days */
    double rise, rise_peak;     /* share and peak day of a slow-building word-of-mouth wave */
    double bump_amp, bump_at, bump_width; /* a later bump (films, tours) */
    double weekend;        /* relative boost on Friday-Sunday (negative: weekdays) */
    double xmas;           /* relative boost over 10-31 December */
    double paris_dev;      /* shift of the Paris share on the logit scale */
    synth_alias cities;    /* over cities 1..C-1 (index 0 of the table is city 1) */
} synth_genre;

typedef struct {
    int64_t id;
    int32_t release;       /* day number of the release date */
    int32_t first_day;     /* first day with a quota (may precede release) */
    int32_t last_day;
    uint8_t n_labels;      /* labels written to the album record; 0: unlabeled */
    uint8_t n_hidden;      /* genres driving its traces (unlabeled albums have some too) */
    uint8_t genres_key;    /* 0: write "genres": [...], 1: omit the key when unlabeled */
    uint16_t labels[SYNTH_MAX_LABELS];
    uint16_t hidden[SYNTH_MAX_LABELS];
    float hidden_w[SYNTH_MAX_LABELS];
    double pop;            /* popularity (relative) */
    double p_paris;        /* probability that a row is in Paris */
    double p_home;         /* probability that a non-Paris row is in a home city */
    uint8_t n_home;
    uint16_t home[8];      /* the artist's home cities */
    uint64_t quota_off;    /* into world.quota: days first_day..last_day */
} synth_album;

typedef struct {
    synth_world_config cfg;
    uint32_t n_cities;
    char **city_names;     /* [C] UTF-8 */
    uint32_t n_genres;
    synth_genre *genres;   /* [G]: the 27 main ones first, then the rare ones */
    uint32_t n_albums;
    synth_album *albums;
    uint32_t *quota;       /* rows per (album, day), album-major */
    uint64_t n_quota;
    int32_t first_day, last_day;  /* of all traces: 2016-10-07 .. 2017-09-29 */
} synth_world;

/* Builds the world. On failure w holds nothing and needs no free. */
tg_code synth_world_build(synth_world *w, const synth_world_config *cfg, tg_error *e);
void synth_world_free(synth_world *w);

/* Rows of album a on day d (0 outside its span). */
static inline uint32_t synth_quota(const synth_world *w, uint32_t a, int32_t d)
{
    const synth_album *al = &w->albums[a];
    if (d < al->first_day || d > al->last_day)
        return 0;
    return w->quota[al->quota_off + (uint64_t)(d - al->first_day)];
}

/* Draws from an alias table with two uniforms from the caller's generator. */
static inline uint32_t synth_alias_draw(const synth_alias *t, uint32_t i, double u)
{
    return u < t->prob[i] ? i : t->alias[i];
}

#endif
