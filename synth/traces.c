/* traces.c - the rows of one (album, day) and their JSON text (see traces.h).
 * A day's rows fall in cells (album, day, city); a cell holds several rows, one per
 * distinct (age, platform) group, as in the report's export. Paris gets the share of
 * rows the album's p_paris says, capped at one row per group; its rows carry many
 * more listeners than a small town's, which is how 48 % of the rows hold 84 % of the
 * users. Every random draw comes from a generator seeded by (seed, album, day), so the
 * text of a day does not depend on the thread that wrote it. */
#include "traces.h"

#include "dates.h"
#include "names.h"
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PARIS_MAX_GROUPS (SYNTH_N_AGES * SYNTH_N_PLATFORMS)
#define OTHER_EXTRA_GROUPS 0.35 /* mean groups beyond the first in a small-town cell */
#define PARIS_EXTRA_USERS 4.2   /* mean listeners beyond the first in a Paris row */
#define OTHER_EXTRA_USERS 0.12  /* same in any other city */
#define STREAMS_PER_USER 0.6    /* mean extra streams per listener */

/* Shares of rows by age bucket and platform (report: 39 % of listens by 18-24 year-olds,
 * 25 % by 25-34; 351,390 of 2,348,509 rows with age "unknown"). Order as in names.c. */
static const double age_w[SYNTH_N_AGES] = {0.145, 0.06, 0.37, 0.22, 0.11, 0.06, 0.03};
static const double platform_w[SYNTH_N_PLATFORMS] = {0.42, 0.33, 0.12, 0.06, 0.05, 0.02};

tg_code synth_buf_reserve(synth_buf *b, size_t extra, tg_error *e)
{
    if (b->len + extra <= b->cap)
        return TG_OK;
    size_t cap = b->cap ? b->cap : 1 << 16;
    while (cap < b->len + extra)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "synth: out of memory for a %zu-byte buffer", cap);
    b->p = p;
    b->cap = cap;
    return TG_OK;
}

size_t synth_json_string(char *out, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            *o++ = '\\';
            *o++ = (char)*p;
        } else if (*p < 0x20) {
            memcpy(o, "\\u00", 4);
            o[4] = hex[*p >> 4];
            o[5] = hex[*p & 15];
            o += 6;
        } else {
            *o++ = (char)*p; /* UTF-8 passes through byte for byte */
        }
    }
    *o++ = '"';
    *o = '\0';
    return (size_t)(o - out);
}

void synth_text_free(synth_text *t)
{
    free(t->date);
    free(t->city_len);
    if (t->city) {
        /* city strings live in one block owned by city[0] */
        free(t->city[0]);
        free(t->city);
    }
    memset(t, 0, sizeof *t);
}

tg_code synth_text_build(synth_text *t, const synth_world *w, tg_error *e)
{
    memset(t, 0, sizeof *t);
    uint32_t C = w->n_cities;
    size_t total = 0;
    for (uint32_t c = 0; c < C; c++)
        total += 6 * strlen(w->city_names[c]) + 3;
    t->city = calloc(C, sizeof *t->city);
    t->city_len = calloc(C, sizeof *t->city_len);
    char *block = malloc(total);
    t->day0 = w->first_day;
    t->n_days = (uint32_t)(w->last_day - w->first_day + 1);
    t->date = malloc(t->n_days * sizeof *t->date);
    if (!t->city || !t->city_len || !block || !t->date) {
        free(block);
        free(t->city), free(t->city_len), free(t->date);
        memset(t, 0, sizeof *t);
        return tg_fail(e, TG_ERR_NOMEM, "synth: out of memory for city names");
    }
    char *p = block;
    for (uint32_t c = 0; c < C; c++) {
        t->city[c] = p;
        size_t n = synth_json_string(p, w->city_names[c]);
        t->city_len[c] = (uint16_t)n;
        p += n + 1;
    }
    for (uint32_t i = 0; i < t->n_days; i++)
        tg_date_format(t->day0 + (int32_t)i, t->date[i]);
    return TG_OK;
}

tg_code synth_gen_init(synth_gen *g, const synth_world *w, const synth_text *t, tg_error *e)
{
    memset(g, 0, sizeof *g);
    g->w = w;
    g->t = t;
    g->city_stamp = calloc(w->n_cities, sizeof *g->city_stamp);
    g->city_seen = calloc(w->n_cities, 1);
    if (!g->city_stamp || !g->city_seen) {
        synth_gen_free(g);
        return tg_fail(e, TG_ERR_NOMEM, "synth: out of memory");
    }
    return TG_OK;
}

void synth_gen_free(synth_gen *g)
{
    free(g->city_stamp);
    free(g->city_seen);
    g->city_stamp = NULL;
    g->city_seen = NULL;
}

static uint64_t geometric(tg_rng *r, double mean)
{
    if (mean <= 0)
        return 0;
    double q = mean / (1.0 + mean); /* failure probability */
    return (uint64_t)floor(log(1.0 - tg_rng_uniform(r)) / log(q));
}

static uint64_t poisson(tg_rng *r, double lambda)
{
    if (lambda <= 0)
        return 0;
    if (lambda < 30) { /* Knuth */
        double limit = exp(-lambda), p = 1.0;
        uint64_t k = 0;
        do {
            k++;
            p *= tg_rng_uniform(r);
        } while (p > limit);
        return k - 1;
    }
    double v = floor(lambda + sqrt(lambda) * tg_rng_normal(r) + 0.5);
    return v < 0 ? 0 : (uint64_t)v;
}

static int draw_index(tg_rng *r, const double *w, int n)
{
    double u = tg_rng_uniform(r);
    for (int i = 0; i < n - 1; i++) {
        if (u < w[i])
            return i;
        u -= w[i];
    }
    return n - 1;
}

/* k distinct (age, platform) groups, drawn by weight without replacement: rejection for
 * a few, exponential keys (Efraimidis-Spirakis) when most of the 42 are needed. */
static void draw_groups(tg_rng *r, unsigned k, uint8_t *out)
{
    if (k <= 10) {
        uint64_t used = 0;
        unsigned n = 0, tries = 0;
        while (n < k) {
            int g = draw_index(r, age_w, SYNTH_N_AGES) * SYNTH_N_PLATFORMS +
                    draw_index(r, platform_w, SYNTH_N_PLATFORMS);
            if ((used >> g & 1) && tries++ < 400)
                continue;
            if (used >> g & 1) { /* pathological luck: take the first free group */
                for (g = 0; used >> g & 1; g++)
                    ;
            }
            used |= 1ULL << g;
            out[n++] = (uint8_t)g;
        }
        return;
    }
    double key[PARIS_MAX_GROUPS];
    uint8_t idx[PARIS_MAX_GROUPS];
    for (int g = 0; g < PARIS_MAX_GROUPS; g++) {
        double wg = age_w[g / SYNTH_N_PLATFORMS] * platform_w[g % SYNTH_N_PLATFORMS];
        key[g] = -log(1.0 - tg_rng_uniform(r)) / wg;
        idx[g] = (uint8_t)g;
    }
    for (unsigned i = 0; i < k; i++) { /* partial selection sort: k smallest keys */
        unsigned best = i;
        for (unsigned j = i + 1; j < PARIS_MAX_GROUPS; j++)
            if (key[idx[j]] < key[idx[best]])
                best = j;
        uint8_t t = idx[i];
        idx[i] = idx[best];
        idx[best] = t;
        out[i] = idx[i];
    }
}

static char *put_u64(char *o, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *o++ = tmp[--n];
    return o;
}

#define PUT(o, lit) (memcpy((o), (lit), sizeof(lit) - 1), (o) += sizeof(lit) - 1)

/* Appends the k rows of one cell. */
static tg_code emit_cell(synth_gen *g, synth_buf *out, tg_rng *r, uint32_t a, int32_t d,
                         uint32_t city, unsigned k, double extra_users, synth_rec_style st,
                         int *first, tg_error *e)
{
    const synth_text *t = g->t;
    const synth_album *al = &g->w->albums[a];
    uint8_t groups[PARIS_MAX_GROUPS];
    unsigned distinct = k <= PARIS_MAX_GROUPS ? k : PARIS_MAX_GROUPS;
    draw_groups(r, distinct, groups);
    /* a row is at most ~200 bytes plus the city name */
    tg_code rc = synth_buf_reserve(out, (size_t)k * (200 + t->city_len[city]), e);
    if (rc != TG_OK)
        return rc;
    char *o = out->p + out->len;
    const char *date = t->date[d - t->day0];
    for (unsigned i = 0; i < k; i++) {
        /* a lone city beyond 42 groups (only with --cities 1) repeats groups */
        unsigned grp = groups[i % distinct];
        uint64_t users = 1 + geometric(r, extra_users);
        uint64_t streams = users + poisson(r, STREAMS_PER_USER * (double)users);
        if (st == SYNTH_REC_ARRAY) {
            PUT(o, ",\n");
        } else if (st == SYNTH_REC_NESTED) {
            if (*first)
                PUT(o, "\n  ");
            else
                PUT(o, ",\n  ");
            *first = 0;
        }
        if (st == SYNTH_REC_NESTED) {
            PUT(o, "{\"date\": \"");
        } else {
            PUT(o, "{\"album_id\": ");
            o = put_u64(o, (uint64_t)al->id);
            PUT(o, ", \"date\": \"");
        }
        memcpy(o, date, 10);
        o += 10;
        PUT(o, "\", \"loc_city\": ");
        memcpy(o, t->city[city], t->city_len[city]);
        o += t->city_len[city];
        PUT(o, ", \"nusers\": ");
        o = put_u64(o, users);
        PUT(o, ", \"nstreams\": ");
        o = put_u64(o, streams);
        PUT(o, ", \"age\": \"");
        const char *age = synth_ages[grp / SYNTH_N_PLATFORMS];
        size_t n = strlen(age);
        memcpy(o, age, n);
        o += n;
        PUT(o, "\", \"platform_name\": \"");
        const char *plat = synth_platforms[grp % SYNTH_N_PLATFORMS];
        n = strlen(plat);
        memcpy(o, plat, n);
        o += n;
        PUT(o, "\"}");
        if (st == SYNTH_REC_NDJSON)
            *o++ = '\n';

        synth_counts *c = &g->counts;
        c->rows++;
        c->users += users;
        c->streams += streams;
        c->rows_unknown_age += grp / SYNTH_N_PLATFORMS == 0;
        c->rows_pre_release += d < al->release;
        if (city == 0) {
            c->rows_paris++;
            c->users_paris += users;
            c->streams_paris += streams;
        }
    }
    out->len = (size_t)(o - out->p);
    g->city_seen[city] = 1;
    return TG_OK;
}

/* A city other than Paris: one of the artist's home towns, or a town drawn from the
 * affinity of one of the album's genres. */
static uint32_t draw_other_city(const synth_world *w, const synth_album *al, tg_rng *r)
{
    if (al->n_home && tg_rng_uniform(r) < al->p_home)
        return al->home[tg_rng_below(r, al->n_home)];
    double u = tg_rng_uniform(r);
    unsigned k = 0;
    for (; k + 1 < al->n_hidden; k++) {
        if (u < al->hidden_w[k])
            break;
        u -= al->hidden_w[k];
    }
    const synth_alias *t = &w->genres[al->hidden[k]].cities;
    uint32_t i = tg_rng_below(r, t->n);
    return 1 + synth_alias_draw(t, i, tg_rng_uniform(r));
}

tg_code synth_gen_rows(synth_gen *g, synth_buf *out, uint32_t a, int32_t d, synth_rec_style st,
                       int *first, tg_error *e)
{
    const synth_world *w = g->w;
    uint32_t n = synth_quota(w, a, d);
    if (n == 0)
        return TG_OK;
    const synth_album *al = &w->albums[a];
    tg_rng r;
    tg_rng_seed(&r, w->cfg.seed, 7 + ((uint64_t)a << 8), (uint64_t)(d - w->first_day));

    uint32_t n_paris;
    if (w->n_cities == 1) {
        n_paris = n;
    } else if (n <= 64) {
        n_paris = 0;
        for (uint32_t i = 0; i < n; i++)
            n_paris += tg_rng_uniform(&r) < al->p_paris;
    } else {
        double m = n * al->p_paris, sd = sqrt(m * (1 - al->p_paris));
        double v = floor(m + sd * tg_rng_normal(&r) + 0.5);
        n_paris = v < 0 ? 0 : v > n ? n : (uint32_t)v;
    }
    /* Paris has only 42 groups a day: more listening shows as more listeners per row. */
    double crowd = 1.0;
    if (w->n_cities > 1 && n_paris > PARIS_MAX_GROUPS) {
        crowd = n_paris / (double)PARIS_MAX_GROUPS;
        n_paris = PARIS_MAX_GROUPS;
    }
    tg_code rc = TG_OK;
    if (n_paris)
        rc = emit_cell(g, out, &r, a, d, 0, n_paris, PARIS_EXTRA_USERS * crowd, st, first, e);
    uint32_t left = n - n_paris;
    if (++g->stamp == 0) { /* wrapped: clear the stamps once every 4 G cells */
        memset(g->city_stamp, 0, w->n_cities * sizeof *g->city_stamp);
        g->stamp = 1;
    }
    while (rc == TG_OK && left > 0) {
        uint32_t c = draw_other_city(w, al, &r);
        for (int tries = 0; g->city_stamp[c] == g->stamp && tries < 4; tries++)
            c = draw_other_city(w, al, &r);
        g->city_stamp[c] = g->stamp;
        uint64_t k = 1 + geometric(&r, OTHER_EXTRA_GROUPS);
        if (k > left)
            k = left;
        if (k > PARIS_MAX_GROUPS)
            k = PARIS_MAX_GROUPS;
        rc = emit_cell(g, out, &r, a, d, c, (unsigned)k, OTHER_EXTRA_USERS, st, first, e);
        left -= (uint32_t)k;
    }
    return rc;
}

tg_code synth_album_record(const synth_world *w, synth_buf *out, uint32_t a, synth_rec_style st,
                           tg_error *e)
{
    const synth_album *al = &w->albums[a];
    size_t need = 128;
    for (unsigned k = 0; k < al->n_labels; k++)
        need += 6 * strlen(w->genres[al->labels[k]].name) + 4;
    tg_code rc = synth_buf_reserve(out, need, e);
    if (rc != TG_OK)
        return rc;
    char *o = out->p + out->len;
    if (st != SYNTH_REC_NDJSON)
        PUT(o, ",\n");
    PUT(o, "{\"album_id\": ");
    o = put_u64(o, (uint64_t)al->id);
    PUT(o, ", \"release_date\": \"");
    tg_date_format(al->release, o);
    o += 10;
    *o++ = '"';
    if (al->n_labels > 0 || al->genres_key == 0) {
        PUT(o, ", \"genres\": [");
        for (unsigned k = 0; k < al->n_labels; k++) {
            if (k)
                PUT(o, ", ");
            o += synth_json_string(o, w->genres[al->labels[k]].name);
        }
        *o++ = ']';
    }
    if (st == SYNTH_REC_NESTED)
        PUT(o, ", \"traces\": [");
    else
        *o++ = '}';
    if (st == SYNTH_REC_NDJSON)
        *o++ = '\n';
    out->len = (size_t)(o - out->p);
    return TG_OK;
}

tg_code synth_close_album(synth_buf *out, tg_error *e)
{
    tg_code rc = synth_buf_reserve(out, 4, e);
    if (rc == TG_OK) {
        memcpy(out->p + out->len, "\n]}", 3);
        out->len += 3;
    }
    return rc;
}
