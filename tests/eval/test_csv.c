/* test_csv.c - eval's CSV input: RFC 4180 quoting, optional album_id, and errors that
 * name the file, line and column. */
#include "csv.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];
static char lab_path[128], sco_path[128];

static void make_dir(void)
{
    strcpy(dir, "/tmp/tg-eval-csv-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(lab_path, sizeof lab_path, "%s/labels.csv", dir);
    snprintf(sco_path, sizeof sco_path, "%s/scores.csv", dir);
}

static void remove_dir(void)
{
    unlink(lab_path);
    unlink(sco_path);
    rmdir(dir);
}

TestSuite(csv, .init = make_dir, .fini = remove_dir);

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    cr_assert_eq(fclose(f), 0);
}

/* Writes both files and reads them; returns the code, *t filled on success. */
static tg_code read_pair(const char *labels, const char *scores, eval_table *t, tg_error *e)
{
    put(lab_path, labels);
    put(sco_path, scores);
    return eval_csv_read(lab_path, sco_path, t, e);
}

/* Expects a failure whose message holds every fragment given. */
static void fails(const char *labels, const char *scores, tg_code code, const char *frag1,
                  const char *frag2)
{
    eval_table t;
    tg_error e = {0};
    cr_assert_eq(read_pair(labels, scores, &t, &e), code, "message: %s", e.msg);
    cr_assert(strstr(e.msg, frag1) != NULL, "'%s' not in: %s", frag1, e.msg);
    if (frag2 != NULL)
        cr_assert(strstr(e.msg, frag2) != NULL, "'%s' not in: %s", frag2, e.msg);
    cr_assert(t.labels == NULL && t.genre_names == NULL, "nothing handed over on failure");
}

Test(csv, quoting_ids_crlf_bom)
{
    /* BOM, CRLF, quoted names with a comma, a doubled quote and a line break, an empty
     * line, "1.0" as a label, spaces after a score, no newline at the end. */
    const char *labels = "\xEF\xBB\xBF" "album_id,Rock,\"Pop, indie\",\"Say \"\"hi\"\"\"\r\n"
                         "a1,1,0,0\r\n"
                         "\r\n"
                         "\"a,2\",0,1.0,1\r\n";
    const char *scores = "album_id,Rock,\"Pop, indie\",\"Say \"\"hi\"\"\"\n"
                         "a1,0.9,0.25 ,0\n"
                         "\"a,2\",0.125,1,0.5";
    eval_table t;
    tg_error e = {0};
    cr_assert_eq(read_pair(labels, scores, &t, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(t.n_albums, 2);
    cr_assert_eq(t.n_genres, 3);
    cr_assert_str_eq(t.genre_names[0], "Rock");
    cr_assert_str_eq(t.genre_names[1], "Pop, indie");
    cr_assert_str_eq(t.genre_names[2], "Say \"hi\"");
    cr_assert_not_null(t.album_ids);
    cr_assert_str_eq(t.album_ids[0], "a1");
    cr_assert_str_eq(t.album_ids[1], "a,2");
    const uint8_t y[] = {1, 0, 0, 0, 1, 1};
    const float s[] = {0.9f, 0.25f, 0, 0.125f, 1, 0.5f};
    for (size_t i = 0; i < 6; i++) {
        cr_assert_eq(t.labels[i], y[i], "label %zu", i);
        cr_assert_eq(t.scores[i], s[i], "score %zu", i);
    }
    eval_table_free(&t);
    cr_assert_null(t.labels);

    /* a line break inside a quoted name */
    cr_assert_eq(read_pair("\"Rock\nand roll\",Jazz\n1,0\n", "\"Rock\nand roll\",Jazz\n.5,.5\n",
                           &t, &e),
                 TG_OK, "%s", e.msg);
    cr_assert_str_eq(t.genre_names[0], "Rock\nand roll");
    cr_assert_null(t.album_ids, "no album_id column in either file");
    eval_table_free(&t);
}

Test(csv, ids_from_one_file)
{
    eval_table t;
    tg_error e = {0};
    cr_assert_eq(read_pair("Rock,Jazz\n1,0\n", "album_id,Rock,Jazz\nx7,.5,.5\n", &t, &e), TG_OK,
                 "%s", e.msg);
    cr_assert_not_null(t.album_ids);
    cr_assert_str_eq(t.album_ids[0], "x7");
    eval_table_free(&t);
}

Test(csv, empty_and_header_only)
{
    fails("", "Rock\n.5\n", TG_ERR_FORMAT, "labels.csv: empty file", NULL);
    fails("\n\n", "Rock\n.5\n", TG_ERR_FORMAT, "labels.csv: empty file", NULL);
    fails("Rock\n1\n", "Rock\n", TG_ERR_FORMAT, "scores.csv: no album rows", NULL);
    fails("album_id\n", "Rock\n.5\n", TG_ERR_FORMAT, "labels.csv: line 1: the header names no genre",
          NULL);
}

Test(csv, genres_must_match)
{
    fails("Rock,Pop,Jazz\n1,0,0\n", "Rock,Pop\n.5,.5\n", TG_ERR_FORMAT,
          "labels.csv has 3 genres but", "scores.csv has 2");
    fails("Rock,Pop,Jazz\n1,0,0\n", "album_id,Rock,Jazz,Pop\na,.5,.5,.5\n", TG_ERR_FORMAT,
          "scores.csv: line 1, column 3: genre 'Jazz' where", "has 'Pop'");
    fails("Rock,Pop,Rock\n1,0,0\n", "Rock\n.5\n", TG_ERR_FORMAT,
          "labels.csv: line 1, column 3: genre 'Rock' already in column 1", NULL);
    fails("Rock,,Jazz\n1,0,0\n", "Rock\n.5\n", TG_ERR_FORMAT,
          "labels.csv: line 1, column 2: empty genre name", NULL);
}

Test(csv, shapes_must_match)
{
    fails("Rock,Pop\n1,0\n0,1,1\n", "Rock,Pop\n.5,.5\n.5,.5\n", TG_ERR_FORMAT,
          "labels.csv: line 3: 3 fields where the header has 2", NULL);
    fails("Rock,Pop\n1,0\n0,1\n", "Rock,Pop\n.5,.5\n", TG_ERR_FORMAT,
          "labels.csv has 2 albums but", "scores.csv has 1");
    fails("album_id,Rock\na,1\nb,0\n", "album_id,Rock\na,.5\nc,.5\n", TG_ERR_FORMAT,
          "scores.csv: line 3, column 1: album_id 'c' where", "line 3 has 'b'");
}

Test(csv, values)
{
    fails("Rock,Pop\n1,0\n0,2\n", "Rock,Pop\n.5,.5\n.5,.5\n", TG_ERR_FORMAT,
          "labels.csv: line 3, column 2: label '2' is not 0 or 1", NULL);
    fails("Rock,Pop\n1,yes\n", "Rock,Pop\n.5,.5\n", TG_ERR_FORMAT,
          "labels.csv: line 2, column 2: label 'yes' is not a number", NULL);
    fails("Rock,Pop\n1,0\n", "album_id,Rock,Pop\na,.5,abc\n", TG_ERR_FORMAT,
          "scores.csv: line 2, column 3: score 'abc' is not a number", NULL);
    fails("Rock,Pop\n1,0\n", "Rock,Pop\n.5,\n", TG_ERR_FORMAT,
          "scores.csv: line 2, column 2: score '' is not a number", NULL);
    fails("Rock,Pop\n1,0\n", "Rock,Pop\n.5,0.5x\n", TG_ERR_FORMAT, "score '0.5x'", NULL);
    /* out of range: the line and column (1-based) as for every CSV error, not the
     * album and genre indices of eval_input_check */
    fails("Rock,Pop\n1,0\n0,1\n", "album_id,Rock,Pop\na,.5,.5\nb,nan,.5\n", TG_ERR_FORMAT,
          "scores.csv: line 3, column 2: score 'nan' is not in [0, 1]", NULL);
    fails("Rock,Pop\n1,0\n", "Rock,Pop\n-0.1,.5\n", TG_ERR_FORMAT,
          "scores.csv: line 2, column 1: score '-0.1' is not in [0, 1]", NULL);
    fails("Rock,Pop\n1,0\n", "Rock,Pop\n\n.5,1e9\n", TG_ERR_FORMAT,
          "scores.csv: line 3, column 2: score '1e9' is not in [0, 1]", NULL);
}

/* HDF5's signature where a CSV file is expected: said so, not read as a broken header */
Test(csv, hdf5_file)
{
    fails("Rock\n1\n", "\x89HDF\r\n\x1a\n\0\0\0\0", TG_ERR_FORMAT,
          "scores.csv is an HDF5 file, not a CSV file", NULL);
    /* a file shorter than the signature, or starting with a BOM, is still CSV */
    eval_table t;
    tg_error e = {0};
    cr_assert_eq(read_pair("\xef\xbb\xbfR\n1", "R\n.5", &t, &e), TG_OK, "%s", e.msg);
    cr_assert_str_eq(t.genre_names[0], "R");
    eval_table_free(&t);
}

Test(csv, broken_quoting)
{
    fails("Rock,\"Pop\n1,0\n", "Rock,Pop\n.5,.5\n", TG_ERR_FORMAT,
          "labels.csv: line 1, column 2: quoted field not closed", NULL);
    fails("Rock,Po\"p\n1,0\n", "Rock,Pop\n.5,.5\n", TG_ERR_FORMAT,
          "labels.csv: line 1, column 2: a quote inside an unquoted field", NULL);
    fails("Rock,\"Pop\"x\n1,0\n", "Rock,Pop\n.5,.5\n", TG_ERR_FORMAT,
          "labels.csv: line 1, column 2: text after a closing quote", NULL);
}

Test(csv, missing_file)
{
    eval_table t;
    tg_error e = {0};
    put(sco_path, "Rock\n.5\n");
    cr_assert_eq(eval_csv_read("/nonexistent/labels.csv", sco_path, &t, &e), TG_ERR_IO);
    cr_assert(strstr(e.msg, "/nonexistent/labels.csv: cannot open") != NULL, "%s", e.msg);
}
