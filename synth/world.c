/* world.c - draws the synthetic world (see world.h): cities, genres with their planted
 * signal, albums with labels calibrated to the report, and the rows of every
 * (album, day). The planted model is described in README.md, "How synth's traces
 * are made"; the constants below are its knobs. */
#include "world.h"

#include "dates.h"
#include "names.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The report's calendar: traces from 2016-10-07 to 2017-09-29, releases until 2017-07-28. */
#define FIRST_TRACE_Y 2016, 10, 7
#define LAST_TRACE_Y 2017, 9, 29
#define LAST_RELEASE_Y 2017, 7, 28

/* Label sets of the albums whose genres survive the report's filter, with their album
 * counts at report size (1537 albums): Rap/Hip Hop on 627, Rap français on 392, ... */
static const struct {
    unsigned count;
    const char *genres; /* '|'-separated, primary genre first */
} combos[] = {
    {330, "Rap/Hip Hop|Rap français"}, {213, "Rap/Hip Hop"}, {40, "Rap/Hip Hop|R&B"},
    {15, "Rap/Hip Hop|Dance"}, {12, "Rap/Hip Hop|Pop"}, {5, "Rap/Hip Hop|Musique africaine"},
    {5, "Rap/Hip Hop|Reggae"}, {7, "Rap/Hip Hop|Rap français|R&B"}, {45, "Rap français"},
    {10, "Rap français|Pop"}, {100, "Pop"}, {45, "Pop|Dance"}, {25, "Pop|Variété Internationale"},
    {40, "Pop|Pop internationale"}, {15, "Pop|Pop Indé"}, {20, "Pop|Chanson française"},
    {15, "Pop|R&B"}, {8, "Pop|Latino|Pop latine"}, {10, "Pop|Electro"}, {30, "Dance"},
    {35, "Dance|Electro"}, {20, "Dance|Techno/House"}, {25, "Electro"},
    {30, "Electro|Techno/House"}, {6, "Electro|Chill Out/Trip-Hop/Lounge"}, {5, "Techno/House"},
    {45, "Alternative|Rock"}, {25, "Alternative|Rock indé"}, {13, "Alternative|Pop Indé"},
    {25, "Alternative"}, {4, "Alternative|Metal"}, {30, "Rock"}, {10, "Rock|Metal"},
    {5, "Rock indé"}, {20, "R&B"}, {15, "R&B|Soul"}, {8, "Soul"}, {10, "Soul|Soul & Funk"},
    {6, "Soul & Funk"}, {20, "Variété Internationale"}, {30, "Chanson française"},
    {25, "Reggae"}, {5, "Reggae|World"}, {9, "World"}, {25, "Latino"},
    {30, "Films/Jeux vidéo|Musiques de films"}, {12, "Films/Jeux vidéo"},
    {10, "Musiques de films"}, {22, "Singer & Songwriter"}, {6, "Chill Out/Trip-Hop/Lounge"},
    {9, "Classique"}, {7, "Musique africaine"},
};
#define N_COMBOS (sizeof combos / sizeof *combos)
#define REPORT_KEPT_ALBUMS 1537.0
#define REPORT_UNLABELED 14.0
#define REPORT_RARE_ONLY 6.0

/* Knobs of the planted signal (README: "How synth's traces are made"). */
#define PARIS_ROW_SHARE 0.62   /* base probability that a row is in Paris, before the cap */
#define PARIS_ROW_TARGET 0.48  /* the report: 48 % of the rows are Paris's (calibrated) */
#define PARIS_MAX_GROUPS 42    /* 7 age buckets x 6 platforms: distinct groups of a cell */
#define CITY_SIGMA 0.4         /* spread of a genre's log affinity per city */
#define PARIS_SIGMA 0.2        /* spread of a genre's Paris share, logit scale */
#define TIME_GAIN 2.0          /* --time-signal 1 scales the genres' shape deviations by this */
#define DAY_NOISE 0.35         /* log-normal noise of an album's daily intensity */
#define POP_SIGMA 1.1          /* log-normal spread of album popularity */

static double logistic(double x) { return 1.0 / (1.0 + exp(-x)); }
static double clampd(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }
static double unif(tg_rng *r, double lo, double hi) { return lo + (hi - lo) * tg_rng_uniform(r); }

/* Vose's alias method over n weights (all >= 0, sum > 0). */
static tg_code alias_build(synth_alias *t, const double *w, uint32_t n, tg_error *e)
{
    t->n = n;
    t->prob = malloc((size_t)n * sizeof *t->prob);
    t->alias = malloc((size_t)n * sizeof *t->alias);
    uint32_t *small = malloc((size_t)n * sizeof *small), *large = malloc((size_t)n * sizeof *large);
    double *p = malloc((size_t)n * sizeof *p);
    if (!t->prob || !t->alias || !small || !large || !p) {
        free(t->prob), free(t->alias), free(small), free(large), free(p);
        t->prob = NULL, t->alias = NULL;
        return tg_fail(e, TG_ERR_NOMEM, "synth: out of memory for an alias table of %u", n);
    }
    double sum = 0;
    for (uint32_t i = 0; i < n; i++)
        sum += w[i];
    uint32_t ns = 0, nl = 0;
    for (uint32_t i = 0; i < n; i++) {
        p[i] = w[i] * n / sum;
        if (p[i] < 1.0)
            small[ns++] = i;
        else
            large[nl++] = i;
    }
    while (ns && nl) {
        uint32_t s = small[--ns], l = large[--nl];
        t->prob[s] = (float)p[s];
        t->alias[s] = l;
        p[l] = p[l] + p[s] - 1.0;
        if (p[l] < 1.0)
            small[ns++] = l;
        else
            large[nl++] = l;
    }
    while (nl) {
        uint32_t l = large[--nl];
        t->prob[l] = 1.0f, t->alias[l] = l;
    }
    while (ns) { /* only rounding leftovers */
        uint32_t s = small[--ns];
        t->prob[s] = 1.0f, t->alias[s] = s;
    }
    free(small), free(large), free(p);
    return TG_OK;
}

static void alias_free(synth_alias *t)
{
    free(t->prob);
    free(t->alias);
    t->prob = NULL, t->alias = NULL;
}

void synth_world_free(synth_world *w)
{
    if (w->city_names)
        for (uint32_t c = 0; c < w->n_cities; c++)
            free(w->city_names[c]);
    free(w->city_names);
    if (w->genres)
        for (uint32_t g = 0; g < w->n_genres; g++) {
            free(w->genres[g].name);
            alias_free(&w->genres[g].cities);
        }
    free(w->genres);
    free(w->albums);
    free(w->quota);
    memset(w, 0, sizeof *w);
}

static tg_code build_cities(synth_world *w, tg_error *e)
{
    uint32_t C = w->cfg.cities;
    w->city_names = calloc(C, sizeof *w->city_names);
    if (w->city_names == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "synth: out of memory for %u cities", C);
    w->n_cities = C;
    size_t nr = synth_n_town_roots, ns = synth_n_town_suffixes;
    for (uint32_t c = 0; c < C; c++) {
        char buf[128];
        if (c < synth_n_real_cities) {
            snprintf(buf, sizeof buf, "%s", synth_real_cities[c]);
        } else {
            /* Composed small towns: each (root, suffix) pair once, roots interleaved so
             * that the first towns are not all "Montfort-...". */
            size_t i = c - synth_n_real_cities, round = i / (nr * ns), k = i % (nr * ns);
            size_t r = k % nr, s = (k / nr + 7 * r) % ns;
            if (round == 0)
                snprintf(buf, sizeof buf, "%s%s", synth_town_roots[r], synth_town_suffixes[s]);
            else
                snprintf(buf, sizeof buf, "%s%s %zu", synth_town_roots[r], synth_town_suffixes[s],
                         round + 1);
        }
        w->city_names[c] = strdup(buf);
        if (w->city_names[c] == NULL)
            return tg_fail(e, TG_ERR_NOMEM, "synth: out of memory for city names");
    }
    return TG_OK;
}

/* Popularity of non-Paris city c (rank c >= 1): a Zipf law, big towns first. */
static double city_base(uint32_t c) { return pow(c + 1.5, -1.05); }

static tg_code build_genres(synth_world *w, const unsigned *rare_n, tg_error *e)
{
    uint32_t G = SYNTH_N_MAIN_GENRES;
    for (int r = 0; r < SYNTH_N_RARE_GENRES; r++)
        G += rare_n[r] > 0;
    w->genres = calloc(G, sizeof *w->genres);
    if (w->genres == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "synth: out of memory for genres");
    w->n_genres = G;
    uint32_t C = w->n_cities;
    double *wt = malloc((C > 1 ? C - 1 : 1) * sizeof *wt);
    if (wt == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "synth: out of memory");
    double ft = TIME_GAIN * w->cfg.time_signal, fc = w->cfg.city_signal;
    uint32_t g = 0;
    for (int k = 0; k < SYNTH_N_MAIN_GENRES + SYNTH_N_RARE_GENRES; k++) {
        int main = k < SYNTH_N_MAIN_GENRES;
        if (!main && rare_n[k - SYNTH_N_MAIN_GENRES] == 0)
            continue;
        synth_genre *gn = &w->genres[g];
        gn->main = main;
        gn->name = strdup(main ? synth_main_genres[k] : synth_rare_genres[k - SYNTH_N_MAIN_GENRES]);
        if (gn->name == NULL) {
            free(wt);
            return tg_fail(e, TG_ERR_NOMEM, "synth: out of memory");
        }
        /* One stream per genre name slot, so a genre's signal does not depend on which
         * rare genres exist at this scale. Draws happen whatever the signal factors. */
        tg_rng r;
        tg_rng_seed(&r, w->cfg.seed, 1, (uint64_t)k);
        gn->launch = clampd(0.55 + ft * unif(&r, -0.35, 0.35), 0.05, 0.95);
        gn->tau_fast = 10.0 * exp(ft * unif(&r, -1.2, 1.2));
        gn->tau_slow = 150.0 * exp(ft * unif(&r, -1.0, 1.0));
        int has_bump = tg_rng_uniform(&r) < 0.5;
        double amp = unif(&r, 0.3, 1.0), at = unif(&r, 20, 250), width = unif(&r, 5, 20);
        gn->bump_amp = has_bump ? ft * amp : 0.0;
        gn->bump_at = at;
        gn->bump_width = width;
        gn->weekend = ft * unif(&r, -0.4, 0.6);
        double rise = unif(&r, 0.0, 0.6), peak = 12.0 * exp(unif(&r, 0.0, 2.3));
        gn->rise = clampd(ft * rise, 0.0, 0.9);
        gn->rise_peak = peak;
        int has_xmas = tg_rng_uniform(&r) < 0.2;
        double xm = unif(&r, 0.5, 2.0);
        gn->xmas = has_xmas ? ft * xm : 0.0;
        gn->paris_dev = fc * PARIS_SIGMA * tg_rng_normal(&r);
        for (uint32_t c = 1; c < C; c++)
            wt[c - 1] = city_base(c) * exp(fc * CITY_SIGMA * tg_rng_normal(&r));
        if (C > 1) {
            tg_code rc = alias_build(&gn->cities, wt, C - 1, e);
            if (rc != TG_OK) {
                free(wt);
                return rc;
            }
        }
        g++;
    }
    free(wt);
    return TG_OK;
}

static int genre_index(const synth_world *w, const char *name)
{
    for (uint32_t g = 0; g < w->n_genres; g++)
        if (strcmp(w->genres[g].name, name) == 0)
            return (int)g;
    return -1;
}

/* Parses a combo's genre list into indices; returns the count. */
static unsigned combo_genres(const synth_world *w, size_t k, uint16_t *out)
{
    unsigned n = 0;
    const char *p = combos[k].genres;
    while (*p && n < SYNTH_MAX_LABELS) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)len, p);
        int g = genre_index(w, name);
        if (g >= 0) /* always: the combos use the main names */
            out[n++] = (uint16_t)g;
        p += len + (bar != NULL);
    }
    return n;
}

/* Distributes total over weights by largest remainders (ties to the lower index). */
static void apportion(const double *weight, size_t n, uint64_t total, uint64_t *out)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += weight[i];
    uint64_t given = 0;
    for (size_t i = 0; i < n; i++) {
        out[i] = (uint64_t)floor(weight[i] * total / sum);
        given += out[i];
    }
    while (given < total) {
        size_t best = 0;
        double best_rem = -1;
        for (size_t i = 0; i < n; i++) {
            double rem = weight[i] * total / sum - (double)out[i];
            if (rem > best_rem + 1e-12) {
                best_rem = rem;
                best = i;
            }
        }
        out[best]++;
        given++;
    }
}

static int has_label(const synth_album *a, uint16_t g)
{
    for (unsigned i = 0; i < a->n_labels; i++)
        if (a->labels[i] == g)
            return 1;
    return 0;
}

/* Assigns label sets: combos scaled to the album count, albums whose only genres are
 * rare, unlabeled albums; then rare genres sprinkled on albums with main genres. */
static tg_code assign_labels(synth_world *w, const unsigned *rare_n, tg_error *e)
{
    uint32_t A = w->n_albums;
    double s = A / (double)SYNTH_DEFAULT_ALBUMS;
    unsigned rare_total = 0;
    for (int r = 0; r < SYNTH_N_RARE_GENRES; r++)
        rare_total += rare_n[r];
    uint64_t n_unl = (uint64_t)llround(REPORT_UNLABELED * s);
    uint64_t n_rare_only = (uint64_t)llround(REPORT_RARE_ONLY * s);
    if (n_rare_only > rare_total)
        n_rare_only = rare_total;
    if (n_unl > A)
        n_unl = A;
    if (n_rare_only > A - n_unl)
        n_rare_only = A - n_unl;
    uint64_t n_kept = A - n_unl - n_rare_only;

    double weight[N_COMBOS];
    uint64_t count[N_COMBOS];
    for (size_t k = 0; k < N_COMBOS; k++)
        weight[k] = combos[k].count;
    apportion(weight, N_COMBOS, n_kept, count);

    /* kind of each slot: combo index, or -1 rare-only, or -2 unlabeled */
    int *slot = malloc((size_t)A * sizeof *slot);
    if (slot == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "synth: out of memory for %u albums", A);
    uint64_t i = 0;
    for (size_t k = 0; k < N_COMBOS; k++)
        for (uint64_t j = 0; j < count[k]; j++)
            slot[i++] = (int)k;
    for (uint64_t j = 0; j < n_rare_only; j++)
        slot[i++] = -1;
    for (uint64_t j = 0; j < n_unl; j++)
        slot[i++] = -2;
    tg_rng r;
    tg_rng_seed(&r, w->cfg.seed, 3, 0);
    for (uint32_t k = A; k > 1; k--) { /* Fisher-Yates */
        uint32_t j = tg_rng_below(&r, k);
        int t = slot[k - 1];
        slot[k - 1] = slot[j];
        slot[j] = t;
    }

    /* Rare genres: the first memberships go to the rare-only albums, one each. */
    unsigned left[SYNTH_N_RARE_GENRES];
    int rare_g[SYNTH_N_RARE_GENRES];
    for (int q = 0; q < SYNTH_N_RARE_GENRES; q++) {
        left[q] = rare_n[q];
        rare_g[q] = rare_n[q] ? genre_index(w, synth_rare_genres[q]) : -1;
    }
    int next_rare = 0;
    unsigned unl_seen = 0;
    for (uint32_t a = 0; a < A; a++) {
        synth_album *al = &w->albums[a];
        if (slot[a] >= 0) {
            al->n_labels = (uint8_t)combo_genres(w, (size_t)slot[a], al->labels);
        } else if (slot[a] == -1) {
            /* round robin over the rare genres with memberships left; there are at
             * least as many memberships as rare-only albums (see n_rare_only) */
            while (left[next_rare % SYNTH_N_RARE_GENRES] == 0)
                next_rare++;
            int q = next_rare++ % SYNTH_N_RARE_GENRES;
            al->labels[0] = (uint16_t)rare_g[q];
            al->n_labels = 1;
            left[q]--;
        } else {
            /* Unlabeled albums still have genres, hidden from the data: their traces
             * follow a label set drawn like the others'. */
            al->n_labels = 0;
            al->genres_key = (uint8_t)(unl_seen++ % 2);
            double u = tg_rng_uniform(&r) * REPORT_KEPT_ALBUMS, acc = 0;
            size_t k = 0;
            for (; k + 1 < N_COMBOS; k++) {
                acc += combos[k].count;
                if (u < acc)
                    break;
            }
            al->n_hidden = (uint8_t)combo_genres(w, k, al->hidden);
        }
    }
    /* The remaining rare memberships go to distinct albums that have main genres. */
    for (int q = 0; q < SYNTH_N_RARE_GENRES; q++) {
        unsigned tries = 0;
        while (left[q] > 0 && n_kept > 0 && tries++ < 100000) {
            uint32_t a = tg_rng_below(&r, A);
            synth_album *al = &w->albums[a];
            if (slot[a] < 0 || al->n_labels >= SYNTH_MAX_LABELS || has_label(al, (uint16_t)rare_g[q]))
                continue;
            al->labels[al->n_labels++] = (uint16_t)rare_g[q];
            left[q]--;
        }
    }
    for (uint32_t a = 0; a < A; a++) {
        synth_album *al = &w->albums[a];
        if (al->n_labels > 0) {
            al->n_hidden = al->n_labels;
            memcpy(al->hidden, al->labels, sizeof al->labels);
        }
    }
    free(slot);
    return TG_OK;
}

/* Genres shift an album's Paris share up or down; the shifts are centred on the albums'
 * genre memberships so that the share of rows in Paris stays near the report's 48 %
 * whatever the seed (Rap/Hip Hop alone is on 40 % of the albums). */
static void center_paris_share(synth_world *w)
{
    double sum = 0, n = 0;
    for (uint32_t a = 0; a < w->n_albums; a++) {
        const synth_album *al = &w->albums[a];
        for (unsigned k = 0; k < al->n_hidden; k++, n++)
            sum += w->genres[al->hidden[k]].paris_dev;
    }
    if (n > 0)
        for (uint32_t g = 0; g < w->n_genres; g++)
            w->genres[g].paris_dev -= sum / n;
}

/* Album ids look like a streaming catalogue's: distinct integers of 7 or 8 digits. */
static tg_code assign_ids(synth_world *w, tg_error *e)
{
    uint32_t A = w->n_albums;
    size_t cap = 1;
    while (cap < 2 * (size_t)A)
        cap <<= 1;
    int64_t *set = calloc(cap, sizeof *set);
    if (set == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "synth: out of memory for album ids");
    tg_rng r;
    tg_rng_seed(&r, w->cfg.seed, 4, 0);
    for (uint32_t a = 0; a < A; a++) {
        for (;;) {
            int64_t id = 1000000 + (int64_t)(tg_rng_next(&r) % 99000000u);
            size_t h = (size_t)((uint64_t)id * 0x9E3779B97F4A7C15ULL >> 20) & (cap - 1);
            while (set[h] != 0 && set[h] != id)
                h = (h + 1) & (cap - 1);
            if (set[h] == id)
                continue; /* taken: draw again */
            set[h] = id;
            w->albums[a].id = id;
            break;
        }
    }
    free(set);
    return TG_OK;
}

/* The album's expected listening on day d (s = d - release), before noise: the mixture
 * of its genres' temporal shapes, mass-normalised so that launch is a share. */
typedef struct {
    double launch, tau_fast, tau_slow, weekend, xmas;
} album_shape;
/* The rise waves are mixed per genre (like bumps): averaging peak days would blur them. */

static double shape_at(const synth_world *w, const synth_album *al, const album_shape *sh,
                       int32_t d)
{
    int32_t s = d - al->release;
    if (s < 0) /* pre-release listening: leaks, pre-saves; a trickle */
        return 0.02 * sh->launch / sh->tau_fast;
    double rise = 0, v = 0;
    for (unsigned k = 0; k < al->n_hidden; k++) {
        const synth_genre *g = &w->genres[al->hidden[k]];
        double th = g->rise_peak; /* gamma(2, th) density: peaks at day th */
        rise += al->hidden_w[k] * g->rise;
        v += al->hidden_w[k] * g->rise * s / (th * th) * exp(-s / th);
    }
    double rest = 1.0 - rise;
    v += rest * (sh->launch / sh->tau_fast * exp(-s / sh->tau_fast) +
                 (1 - sh->launch) / sh->tau_slow * exp(-s / sh->tau_slow));
    for (unsigned k = 0; k < al->n_hidden; k++) {
        const synth_genre *g = &w->genres[al->hidden[k]];
        if (g->bump_amp > 0) {
            double z = (s - g->bump_at) / g->bump_width;
            v += al->hidden_w[k] * g->bump_amp * exp(-0.5 * z * z) / (g->bump_width * 2.5066283);
        }
    }
    int wd = tg_weekday(d); /* 4 Friday, 5 Saturday, 6 Sunday */
    v *= 1.0 + sh->weekend * (wd >= 4 ? 4.0 / 7.0 : -3.0 / 7.0);
    char date[11];
    tg_date_format(d, date);
    if (date[5] == '1' && date[6] == '2' && date[8] >= '1') /* 10-31 December */
        v *= 1.0 + sh->xmas;
    return v > 0 ? v : 0;
}

static void album_params(synth_world *w, uint32_t a, album_shape *sh, int32_t d0, int32_t rel_max)
{
    synth_album *al = &w->albums[a];
    tg_rng r;
    tg_rng_seed(&r, w->cfg.seed, 5, a);
    /* Mixture weights: the primary genre counts double. */
    double sum = 0;
    for (unsigned k = 0; k < al->n_hidden; k++) {
        al->hidden_w[k] = (float)((k == 0 ? 2.0 : 1.0) * unif(&r, 0.6, 1.4));
        sum += al->hidden_w[k];
    }
    memset(sh, 0, sizeof *sh);
    double ltf = 0, lts = 0, pdev = 0;
    for (unsigned k = 0; k < al->n_hidden; k++) {
        const synth_genre *g = &w->genres[al->hidden[k]];
        double wk = (al->hidden_w[k] /= (float)sum);
        sh->launch += wk * g->launch;
        ltf += wk * log(g->tau_fast);
        lts += wk * log(g->tau_slow);
        sh->weekend += wk * g->weekend;
        sh->xmas += wk * g->xmas;
        pdev += wk * g->paris_dev;
    }
    sh->launch = clampd(sh->launch * unif(&r, 0.85, 1.15), 0.02, 0.98);
    sh->tau_fast = exp(ltf + 0.1 * tg_rng_normal(&r));
    sh->tau_slow = exp(lts + 0.1 * tg_rng_normal(&r));
    sh->weekend += 0.05 * tg_rng_normal(&r);

    /* Releases: uniform over the period, most moved to a Friday (release day of the
     * industry); the first album opens the period and the second closes it, so the
     * calendar matches the report's. */
    int32_t rel;
    if (a == 0)
        rel = d0;
    else if (a == 1)
        rel = rel_max;
    else {
        rel = d0 + (int32_t)tg_rng_below(&r, (uint32_t)(rel_max - d0 + 1));
        if (tg_rng_uniform(&r) < 0.85) {
            int back = (tg_weekday(rel) - 4 + 7) % 7;
            if (rel - back >= d0)
                rel -= back;
        }
    }
    al->release = rel;
    int pre = 0;
    if (tg_rng_uniform(&r) < 0.15)
        pre = 1 + (int)tg_rng_below(&r, 3);
    if (rel - pre < d0)
        pre = 0;
    al->first_day = rel - pre;
    al->last_day = rel + SYNTH_WINDOW - 1 < w->last_day ? rel + SYNTH_WINDOW - 1 : w->last_day;

    al->pop = exp(POP_SIGMA * tg_rng_normal(&r));
    al->p_paris = logistic(log(PARIS_ROW_SHARE / (1 - PARIS_ROW_SHARE)) + pdev +
                           0.3 * tg_rng_normal(&r));
    al->p_home = unif(&r, 0.05, 0.25);
    uint32_t C = w->n_cities;
    al->n_home = C > 1 ? (uint8_t)(3 + tg_rng_below(&r, 6)) : 0;
    uint32_t span = C - 1 < 400 ? C - 1 : 400;
    for (unsigned k = 0; k < al->n_home; k++)
        al->home[k] = (uint16_t)(1 + tg_rng_below(&r, span));
}

/* Expected share of rows in Paris if every album's Paris logit moved by offset. A day
 * cannot have more than 42 Paris rows, so popular albums' launch days hold fewer. */
static double paris_row_share(const synth_world *w, double offset)
{
    double paris = 0, rows = 0;
    for (uint32_t a = 0; a < w->n_albums; a++) {
        const synth_album *al = &w->albums[a];
        double p = logistic(log(al->p_paris / (1 - al->p_paris)) + offset);
        for (int32_t d = al->first_day; d <= al->last_day; d++) {
            double n = synth_quota(w, a, d), m = n * p;
            paris += m < PARIS_MAX_GROUPS ? m : PARIS_MAX_GROUPS;
            rows += n;
        }
    }
    return rows > 0 ? paris / rows : 0;
}

/* Moves every album's Paris share by one logit offset, found by bisection, so that the
 * expected share of rows in Paris is the report's 48 % whatever the seed: which albums
 * happen to be popular would otherwise move it by several points. */
static void calibrate_paris(synth_world *w)
{
    if (w->n_cities < 2 || w->cfg.traces == 0)
        return;
    double lo = -6, hi = 6;
    for (int it = 0; it < 40; it++) {
        double mid = 0.5 * (lo + hi);
        if (paris_row_share(w, mid) < PARIS_ROW_TARGET)
            lo = mid;
        else
            hi = mid;
    }
    double offset = 0.5 * (lo + hi);
    for (uint32_t a = 0; a < w->n_albums; a++) {
        synth_album *al = &w->albums[a];
        al->p_paris = logistic(log(al->p_paris / (1 - al->p_paris)) + offset);
    }
}

/* Intensities of every (album, day) with noise, then exactly cfg.traces rows spread
 * over them by cumulative rounding (each cell within one row of its expectation). */
static tg_code build_quotas(synth_world *w, tg_error *e)
{
    int32_t d0 = tg_days_from_civil(FIRST_TRACE_Y);
    int32_t rel_max = tg_days_from_civil(LAST_RELEASE_Y);
    w->first_day = d0;
    w->last_day = tg_days_from_civil(LAST_TRACE_Y);
    uint64_t n = 0;
    album_shape *shapes = malloc((size_t)w->n_albums * sizeof *shapes);
    if (shapes == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "synth: out of memory");
    for (uint32_t a = 0; a < w->n_albums; a++) {
        album_params(w, a, &shapes[a], d0, rel_max);
        w->albums[a].quota_off = n;
        n += (uint64_t)(w->albums[a].last_day - w->albums[a].first_day + 1);
    }
    double *inten = malloc(n * sizeof *inten);
    w->quota = malloc(n * sizeof *w->quota);
    if (inten == NULL || w->quota == NULL) {
        free(shapes), free(inten);
        return tg_fail(e, TG_ERR_NOMEM, "synth: out of memory for %llu album-days",
                       (unsigned long long)n);
    }
    w->n_quota = n;
    double total = 0;
    for (uint32_t a = 0; a < w->n_albums; a++) {
        synth_album *al = &w->albums[a];
        tg_rng r;
        tg_rng_seed(&r, w->cfg.seed, 6, a);
        for (int32_t d = al->first_day; d <= al->last_day; d++) {
            double noise = exp(DAY_NOISE * tg_rng_normal(&r) - 0.5 * DAY_NOISE * DAY_NOISE);
            double v = al->pop * shape_at(w, al, &shapes[a], d) * noise;
            inten[al->quota_off + (uint64_t)(d - al->first_day)] = v;
            total += v;
        }
    }
    double cum = 0;
    uint64_t prev = 0, M = w->cfg.traces;
    for (uint64_t k = 0; k < n; k++) {
        cum += inten[k];
        uint64_t upto = k + 1 == n ? M : (uint64_t)floor((double)M * (cum / total) + 0.5);
        if (upto < prev)
            upto = prev;
        if (upto > M)
            upto = M;
        w->quota[k] = (uint32_t)(upto - prev);
        prev = upto;
    }
    free(inten);
    free(shapes);
    calibrate_paris(w);
    return TG_OK;
}

tg_code synth_world_build(synth_world *w, const synth_world_config *cfg, tg_error *e)
{
    memset(w, 0, sizeof *w);
    w->cfg = *cfg;
    if (cfg->albums < 1 || cfg->cities < 1)
        return tg_fail(e, TG_ERR_USAGE, "synth: needs at least one album and one city");
    double s = cfg->albums / (double)SYNTH_DEFAULT_ALBUMS;
    unsigned rare_n[SYNTH_N_RARE_GENRES];
    for (int r = 0; r < SYNTH_N_RARE_GENRES; r++)
        rare_n[r] = (unsigned)llround(synth_rare_counts[r] * s);
    tg_code rc = build_cities(w, e);
    if (rc == TG_OK)
        rc = build_genres(w, rare_n, e);
    if (rc == TG_OK) {
        w->albums = calloc(cfg->albums, sizeof *w->albums);
        w->n_albums = cfg->albums;
        if (w->albums == NULL)
            rc = tg_fail(e, TG_ERR_NOMEM, "synth: out of memory for %u albums", cfg->albums);
    }
    if (rc == TG_OK)
        rc = assign_labels(w, rare_n, e);
    if (rc == TG_OK) {
        center_paris_share(w);
        rc = assign_ids(w, e);
    }
    if (rc == TG_OK)
        rc = build_quotas(w, e);
    if (rc != TG_OK)
        synth_world_free(w);
    return rc;
}
