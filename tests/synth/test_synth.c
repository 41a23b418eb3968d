/* test_synth.c - synth's output: deterministic bytes for a seed whatever the thread
 * count, report figures at the defaults, every record valid per the trace format, and
 * every layout well-formed JSON holding the same records. */
#include "dates.h"
#include "names.h"
#include "synth.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>
#include <zstd.h>

static synth_config small_config(const char *out)
{
    synth_config c = {
        .world = {.albums = 60, .traces = 20000, .cities = 300, .seed = 7, .city_signal = 1,
                  .time_signal = 1},
        .output = out, .layout = SYNTH_NDJSON, .threads = 2, .zstd_level = 3};
    return c;
}

static char *tmp_path(const char *suffix)
{
    static int n = 0;
    char *p = malloc(128);
    snprintf(p, 128, "/tmp/tg-synth-%d-%d%s", (int)getpid(), n++, suffix);
    return p;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void write_world(const synth_config *c, synth_result *res)
{
    synth_world w;
    tg_error e = {0};
    cr_assert_eq(synth_world_build(&w, &c->world, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(synth_write(&w, c, res, &e), TG_OK, "%s", e.msg);
    synth_world_free(&w);
}

Test(synth, same_seed_same_bytes_any_thread_count)
{
    char *a = tmp_path(".ndjson"), *b = tmp_path(".ndjson"), *d = tmp_path(".ndjson");
    synth_config c = small_config(a);
    synth_result r;
    c.threads = 1;
    write_world(&c, &r);
    c.output = b;
    c.threads = 3;
    write_world(&c, &r);
    c.output = d;
    c.world.seed = 8;
    write_world(&c, &r);
    size_t la, lb, ld;
    char *ta = slurp(a, &la), *tb = slurp(b, &lb), *td = slurp(d, &ld);
    cr_assert_eq(la, lb);
    cr_assert(memcmp(ta, tb, la) == 0, "1 and 3 threads wrote different bytes");
    cr_assert(la != ld || memcmp(ta, td, la) != 0, "another seed wrote the same bytes");
    unlink(a), unlink(b), unlink(d);
    free(ta), free(tb), free(td), free(a), free(b), free(d);
}

Test(synth, report_figures_at_defaults, .timeout = 120)
{
    synth_config c = small_config("unused");
    c.world = (synth_world_config){.albums = SYNTH_DEFAULT_ALBUMS, .traces = SYNTH_DEFAULT_TRACES,
                                   .cities = SYNTH_DEFAULT_CITIES, .seed = 2019,
                                   .city_signal = 1, .time_signal = 1};
    c.discard = 1;
    synth_world w;
    tg_error e = {0};
    cr_assert_eq(synth_world_build(&w, &c.world, &e), TG_OK, "%s", e.msg);
    synth_result r;
    cr_assert_eq(synth_write(&w, &c, &r, &e), TG_OK, "%s", e.msg);
    const synth_counts *k = &r.counts;
    cr_assert_eq(k->rows, 2348509);
    cr_assert_eq(k->album_records, 1557);
    cr_assert_eq(w.n_cities, 2683);
    cr_assert_str_eq(w.city_names[0], "Paris");
    cr_assert_str_eq(w.city_names[1], "Marseille");
    double paris = (double)k->rows_paris / k->rows, users = (double)k->users_paris / k->users;
    double unknown = (double)k->rows_unknown_age / k->rows;
    cr_assert(paris > 0.46 && paris < 0.50, "rows in Paris %.3f (report 0.48)", paris);
    cr_assert(users > 0.81 && users < 0.87, "users in Paris %.3f (report 0.84)", users);
    cr_assert(unknown > 0.14 && unknown < 0.16, "age unknown %.3f (report 0.150)", unknown);
    cr_assert(r.bytes > 300e6 && r.bytes < 360e6, "%llu bytes (report-size ~330 MB)",
              (unsigned long long)r.bytes);

    /* genres: 51, 15 on a single album, Rap/Hip Hop on 627; >= 5 keeps 27 and 1537 */
    cr_assert_eq(w.n_genres, 51);
    unsigned count[64] = {0}, labeled = 0, kept_albums = 0, singles = 0, kept = 0;
    int32_t last_release = 0;
    for (uint32_t a = 0; a < w.n_albums; a++) {
        labeled += w.albums[a].n_labels > 0;
        for (unsigned j = 0; j < w.albums[a].n_labels; j++)
            count[w.albums[a].labels[j]]++;
        if (w.albums[a].release > last_release)
            last_release = w.albums[a].release;
    }
    for (uint32_t g = 0; g < w.n_genres; g++) {
        singles += count[g] == 1;
        kept += count[g] >= 5;
        if (strcmp(w.genres[g].name, "Rap/Hip Hop") == 0)
            cr_assert_eq(count[g], 627);
    }
    for (uint32_t a = 0; a < w.n_albums; a++) {
        int any = 0;
        for (unsigned j = 0; j < w.albums[a].n_labels; j++)
            any |= count[w.albums[a].labels[j]] >= 5;
        kept_albums += any;
    }
    cr_assert_eq(labeled, 1543);
    cr_assert_eq(singles, 15);
    cr_assert_eq(kept, 27);
    cr_assert_eq(kept_albums, 1537);
    char date[11];
    tg_date_format(last_release, date);
    cr_assert_str_eq(date, "2017-07-28");
    tg_date_format(w.first_day, date);
    cr_assert_str_eq(date, "2016-10-07");
    tg_date_format(w.last_day, date);
    cr_assert_str_eq(date, "2017-09-29");
    synth_world_free(&w);
}

/* ---- record validation, independent of synth's own code ---- */

static const char *str_of(yajl_val v) { return YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL; }

static int valid_date(yajl_val v)
{
    const char *s = str_of(v);
    int32_t d;
    return s && tg_date_parse(s, strlen(s), &d) == 0;
}

static int in_list(const char *s, const char *const *list, int n)
{
    for (int i = 0; s && i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

/* Checks one record object; returns 1 for an album, 2 for a trace. */
static int check_record(yajl_val r, int nested, const synth_world *w)
{
    cr_assert(YAJL_IS_OBJECT(r), "record is not an object");
    yajl_val id = NULL, rel = NULL, genres = NULL, traces = NULL, date = NULL, city = NULL,
             nusers = NULL, nstreams = NULL, age = NULL, plat = NULL;
    for (size_t i = 0; i < r->u.object.len; i++) {
        const char *k = r->u.object.keys[i];
        yajl_val v = r->u.object.values[i];
        if (!strcmp(k, "album_id")) id = v;
        else if (!strcmp(k, "release_date")) rel = v;
        else if (!strcmp(k, "genres")) genres = v;
        else if (!strcmp(k, "traces")) traces = v;
        else if (!strcmp(k, "date")) date = v;
        else if (!strcmp(k, "loc_city")) city = v;
        else if (!strcmp(k, "nusers")) nusers = v;
        else if (!strcmp(k, "nstreams")) nstreams = v;
        else if (!strcmp(k, "age")) age = v;
        else if (!strcmp(k, "platform_name")) plat = v;
        else cr_assert_fail("unexpected key %s", k);
    }
    if (city == NULL) { /* album record */
        cr_assert(id && YAJL_IS_INTEGER(id) && YAJL_GET_INTEGER(id) > 0, "album_id");
        cr_assert(valid_date(rel), "release_date");
        if (genres) {
            cr_assert(YAJL_IS_ARRAY(genres));
            for (size_t i = 0; i < genres->u.array.len; i++)
                cr_assert(YAJL_IS_STRING(genres->u.array.values[i]));
        }
        cr_assert(nested == (traces != NULL));
        return 1;
    }
    if (nested)
        cr_assert_null(id, "nested traces inherit their album_id");
    else
        cr_assert(id && YAJL_IS_INTEGER(id), "trace album_id");
    cr_assert(valid_date(date), "date");
    int known = 0;
    for (uint32_t c = 0; c < w->n_cities && !known; c++)
        known = strcmp(w->city_names[c], str_of(city)) == 0;
    cr_assert(known, "city %s", str_of(city));
    cr_assert(nusers && YAJL_IS_INTEGER(nusers) && YAJL_GET_INTEGER(nusers) >= 1);
    cr_assert(nstreams && YAJL_IS_INTEGER(nstreams) &&
              YAJL_GET_INTEGER(nstreams) >= YAJL_GET_INTEGER(nusers));
    cr_assert(in_list(str_of(age), synth_ages, SYNTH_N_AGES), "age");
    cr_assert(in_list(str_of(plat), synth_platforms, SYNTH_N_PLATFORMS), "platform");
    return 2;
}

static yajl_val parse_all(const char *path)
{
    size_t len;
    char *text = slurp(path, &len);
    char err[256];
    yajl_val v = yajl_tree_parse(text, err, sizeof err);
    cr_assert_not_null(v, "%s is not well-formed JSON: %s", path, err);
    free(text);
    return v;
}

Test(synth, every_ndjson_line_is_a_valid_record)
{
    char *out = tmp_path(".ndjson");
    synth_config c = small_config(out);
    synth_world w;
    tg_error e = {0};
    cr_assert_eq(synth_world_build(&w, &c.world, &e), TG_OK);
    synth_result r;
    cr_assert_eq(synth_write(&w, &c, &r, &e), TG_OK, "%s", e.msg);
    FILE *f = fopen(out, "rb");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned albums = 0, traces = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        char err[256];
        yajl_val v = yajl_tree_parse(line, err, sizeof err);
        cr_assert_not_null(v, "bad line: %s (%s)", line, err);
        int kind = check_record(v, 0, &w);
        albums += kind == 1;
        traces += kind == 2;
        yajl_tree_free(v);
    }
    free(line);
    fclose(f);
    cr_assert_eq(albums, 60);
    cr_assert_eq(traces, 20000);
    synth_world_free(&w);
    unlink(out);
    free(out);
}

/* Counts albums and traces in a parsed document of the given layout, checking each. */
static void count_layout(yajl_val doc, synth_layout layout, const synth_world *w,
                         unsigned *albums, unsigned *traces)
{
    *albums = *traces = 0;
    if (layout == SYNTH_OBJECT) {
        cr_assert(YAJL_IS_OBJECT(doc));
        for (size_t i = 0; i < doc->u.object.len; i++) {
            yajl_val arr = doc->u.object.values[i];
            cr_assert(YAJL_IS_ARRAY(arr));
            for (size_t j = 0; j < arr->u.array.len; j++) {
                int k = check_record(arr->u.array.values[j], 0, w);
                *albums += k == 1, *traces += k == 2;
            }
        }
        return;
    }
    cr_assert(YAJL_IS_ARRAY(doc));
    for (size_t j = 0; j < doc->u.array.len; j++) {
        yajl_val r = doc->u.array.values[j];
        int k = check_record(r, layout == SYNTH_NESTED, w);
        *albums += k == 1, *traces += k == 2;
        if (layout == SYNTH_NESTED) {
            yajl_val tr = NULL;
            for (size_t i = 0; i < r->u.object.len; i++)
                if (!strcmp(r->u.object.keys[i], "traces"))
                    tr = r->u.object.values[i];
            cr_assert(YAJL_IS_ARRAY(tr));
            for (size_t i = 0; i < tr->u.array.len; i++)
                *traces += check_record(tr->u.array.values[i], 1, w) == 2;
        }
    }
}

Test(synth, every_layout_is_well_formed_with_the_same_records)
{
    synth_layout layouts[] = {SYNTH_ARRAY, SYNTH_OBJECT, SYNTH_NESTED};
    for (int i = 0; i < 3; i++) {
        char *out = tmp_path(".json");
        synth_config c = small_config(out);
        c.layout = layouts[i];
        synth_world w;
        tg_error e = {0};
        cr_assert_eq(synth_world_build(&w, &c.world, &e), TG_OK);
        synth_result r;
        cr_assert_eq(synth_write(&w, &c, &r, &e), TG_OK, "%s", e.msg);
        yajl_val doc = parse_all(out);
        unsigned albums, traces;
        count_layout(doc, layouts[i], &w, &albums, &traces);
        cr_assert_eq(albums, 60, "layout %s", synth_layout_names[i + 1]);
        cr_assert_eq(traces, 20000, "layout %s", synth_layout_names[i + 1]);
        yajl_tree_free(doc);
        synth_world_free(&w);
        unlink(out);
        free(out);
    }
}

Test(synth, zst_output_holds_the_same_bytes)
{
    char *plain = tmp_path(".ndjson"), *zst = tmp_path(".ndjson.zst");
    synth_config c = small_config(plain);
    synth_result r;
    write_world(&c, &r);
    c.output = zst;
    write_world(&c, &r);
    size_t lp, lz;
    char *tp = slurp(plain, &lp), *tz = slurp(zst, &lz);
    unsigned long long size = ZSTD_getFrameContentSize(tz, lz);
    cr_assert(lz < lp / 2, "compressed %zu of %zu", lz, lp);
    char *dec = malloc(lp + 1);
    size_t got = ZSTD_decompress(dec, lp + 1, tz, lz);
    cr_assert(!ZSTD_isError(got), "%s", ZSTD_getErrorName(got));
    cr_assert_eq(got, lp);
    cr_assert(size == ZSTD_CONTENTSIZE_UNKNOWN || size == lp);
    cr_assert(memcmp(dec, tp, lp) == 0);
    unlink(plain), unlink(zst);
    free(tp), free(tz), free(dec), free(plain), free(zst);
}

Test(synth, scaled_down_world_keeps_its_shape)
{
    synth_world_config wc = {.albums = 200, .traces = 30000, .cities = 50, .seed = 1,
                             .city_signal = 0, .time_signal = 0};
    synth_world w;
    tg_error e = {0};
    cr_assert_eq(synth_world_build(&w, &wc, &e), TG_OK, "%s", e.msg);
    uint64_t rows = 0;
    for (uint64_t k = 0; k < w.n_quota; k++)
        rows += w.quota[k];
    cr_assert_eq(rows, 30000, "exactly --traces rows");
    unsigned unlabeled = 0;
    for (uint32_t a = 0; a < w.n_albums; a++) {
        unlabeled += w.albums[a].n_labels == 0;
        cr_assert(w.albums[a].n_hidden > 0, "every album has genres driving its traces");
        for (uint32_t b = 0; b < a; b++)
            cr_assert_neq(w.albums[a].id, w.albums[b].id, "album ids are distinct");
    }
    cr_assert_eq(unlabeled, 2, "14 of 1557 scaled to 200 albums");
    synth_world_free(&w);
}

Test(synth, scale_ten_has_more_rare_only_albums_than_rare_genres)
{
    /* 60 albums whose only genres are rare, but 24 rare genres: they take turns */
    synth_world_config wc = {.albums = 15570, .traces = 50000, .cities = 100, .seed = 3,
                             .city_signal = 1, .time_signal = 1};
    synth_world w;
    tg_error e = {0};
    cr_assert_eq(synth_world_build(&w, &wc, &e), TG_OK, "%s", e.msg);
    unsigned unlabeled = 0, rare_only = 0;
    for (uint32_t a = 0; a < w.n_albums; a++) {
        const synth_album *al = &w.albums[a];
        unlabeled += al->n_labels == 0;
        rare_only += al->n_labels == 1 && !w.genres[al->labels[0]].main;
    }
    cr_assert_eq(unlabeled, 140);
    cr_assert_geq(rare_only, 60);
    cr_assert_eq(w.n_genres, 51);
    synth_world_free(&w);
}

Test(synth, json_strings_are_escaped)
{
    char out[64];
    cr_assert_eq(synth_json_string(out, "a\"b\\c\n\x01é"), 23);
    cr_assert_str_eq(out, "\"a\\\"b\\\\c\\u000a\\u0001é\"");
}
