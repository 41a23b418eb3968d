/* test_files.c - atomic outputs (temporary, commit, abort, failure leaves the previous
 * file) and provenance (params, inputs, touch without change, side outputs, stamps). */
#include "output_file.h"
#include "provenance.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/tg-test-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        char p[512];
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.' && (de->d_name[1] == 0 || (de->d_name[1] == '.' && !de->d_name[2])))
                continue;
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

static int count_entries(void)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        n += de->d_name[0] != '.' || (de->d_name[1] && (de->d_name[1] != '.' || de->d_name[2]));
    closedir(d);
    return n;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_text(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

TestSuite(files, .init = make_dir, .fini = remove_dir);

Test(files, commit_replaces_atomically)
{
    char path[128];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    write_text(path, "old");
    tg_outfile o;
    tg_error e = {0};
    cr_assert_eq(tg_outfile_open(&o, path, &e), TG_OK, "%s", e.msg);
    fputs("new", o.fp);
    cr_assert_str_eq(read_text(path), "old", "final name untouched while writing");
    cr_assert_eq(count_entries(), 2, "the temporary sits beside it");
    cr_assert_eq(tg_outfile_commit(&o, &e), TG_OK, "%s", e.msg);
    cr_assert_str_eq(read_text(path), "new");
    cr_assert_eq(count_entries(), 1, "no temporary left");
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    mode_t mask = umask(0);
    umask(mask);
    cr_assert_eq(st.st_mode & 0777, 0666 & ~mask, "mode 0666 & ~umask, not mkstemp's 0600");
}

Test(files, abort_leaves_previous)
{
    char path[128];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    write_text(path, "old");
    tg_outfile o;
    tg_error e = {0};
    cr_assert_eq(tg_outfile_open(&o, path, &e), TG_OK);
    fputs("half", o.fp);
    tg_outfile_abort(&o);
    cr_assert_str_eq(read_text(path), "old");
    cr_assert_eq(count_entries(), 1);
}

Test(files, unwritable_directory_is_a_clear_error)
{
    tg_outfile o;
    tg_error e = {0};
    cr_assert_eq(tg_outfile_open(&o, "/nonexistent-dir/x/out.txt", &e), TG_ERR_IO);
    cr_assert(strstr(e.msg, "/nonexistent-dir/x/out.txt") != NULL, "%s", e.msg);
}

/* An output that is an input, however it is spelled, is refused naming both; stdout
 * and other files are not (the audit: `ingest in.ndjson -o in.ndjson` destroyed it). */
Test(files, output_that_is_an_input_is_refused)
{
    cr_assert_eq(chdir(dir), 0); /* each test runs in its own process */
    write_text("in.txt", "data");
    cr_assert_eq(mkdir("sub", 0777), 0);
    cr_assert_eq(symlink("sub", "link"), 0);
    cr_assert_eq(link("in.txt", "hard.txt"), 0);
    write_text("sub/other.txt", "x");
    char abs_in[256];
    snprintf(abs_in, sizeof abs_in, "%s/in.txt", dir);
    tg_error e = {0};
    /* the same existing file: by inode */
    const char *same[][2] = {{"in.txt", "in.txt"}, {"./in.txt", "in.txt"},
                             {"sub/../in.txt", "in.txt"}, {abs_in, "in.txt"},
                             {"hard.txt", "in.txt"}, {"link/other.txt", "sub/other.txt"},
                             /* neither exists yet: by normalised path */
                             {"new.h5", "./new.h5"}, {"link/new.h5", "sub/new.h5"},
                             {"nodir/new.h5", "nodir/./x/../new.h5"}};
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
        memset(&e, 0, sizeof e);
        cr_assert_eq(tg_output_distinct("-o", same[i][0], "the input", same[i][1], &e),
                     TG_ERR_USAGE, "%s vs %s", same[i][0], same[i][1]);
    }
    tg_output_distinct("-o", "./in.txt", "the input", "in.txt", &e);
    cr_assert_str_eq(e.msg, "-o ./in.txt and the input in.txt are the same file: "
                     "choose another -o");
    const char *other[][2] = {{"out.txt", "in.txt"}, {"-", "in.txt"}, {"in.txt", "-"},
                              {"-", "-"}, {"sub/in.txt", "in.txt"}, {"new.h5", "sub/new.h5"},
                              {"nodir/a.h5", "nodir/b.h5"}, {"in.txt", "sub/other.txt"}};
    for (size_t i = 0; i < sizeof other / sizeof *other; i++)
        cr_assert_eq(tg_output_distinct("-o", other[i][0], "the input", other[i][1], &e), TG_OK,
                     "%s vs %s", other[i][0], other[i][1]);
    cr_assert_str_eq(read_text("in.txt"), "data", "the check writes nothing");
    unlink("sub/other.txt");
    unlink("link");
    rmdir("sub");
}

/* The probe finds a missing or unwritable directory before any work, with the error a
 * failed output would give later, and leaves nothing behind. */
Test(files, probe_checks_the_directory_up_front)
{
    tg_error e = {0};
    cr_assert_eq(tg_output_probe("/nonexistent-dir/x.h5", &e), TG_ERR_IO);
    cr_assert(strstr(e.msg, "/nonexistent-dir/x.h5: cannot create a temporary file beside it")
              == e.msg, "%s", e.msg);
    char path[128];
    snprintf(path, sizeof path, "%s/x.h5", dir);
    cr_assert_eq(tg_output_probe(path, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(count_entries(), 0, "no temporary left");
    if (geteuid() != 0) { /* root writes anywhere */
        cr_assert_eq(chmod(dir, 0555), 0);
        cr_assert_eq(tg_output_probe(path, &e), TG_ERR_IO);
        cr_assert(strstr(e.msg, "Permission denied") != NULL, "%s", e.msg);
        chmod(dir, 0700);
    }
}

Test(files, provenance_params_and_inputs)
{
    char in[128];
    snprintf(in, sizeof in, "%s/in.json", dir);
    write_text(in, "{\"a\": 1}\n");
    tg_error e = {0};
    tg_prov p;
    tg_prov_init(&p, "ingest", "0.1.0");
    cr_assert_eq(tg_prov_param(&p, "mem", "%d", 256), TG_OK);
    cr_assert_eq(tg_prov_input(&p, in, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(tg_prov_hash_inputs(&p, &e), TG_OK);
    char *text = NULL;
    cr_assert_eq(tg_prov_text(&p, &text, &e), TG_OK);
    cr_assert(strstr(text, "param mem=256\n") != NULL, "%s", text);
    cr_assert(strstr(text, "path=") != NULL);
    tg_prov_free(&p);

    /* same params, same input: current */
    tg_prov q;
    tg_prov_init(&q, "ingest", "0.1.0");
    tg_prov_param(&q, "mem", "%d", 256);
    tg_prov_input(&q, in, &e);
    cr_assert(tg_prov_matches(&q, text));
    tg_prov_free(&q);

    /* other param value, other program version: stale */
    tg_prov_init(&q, "ingest", "0.1.0");
    tg_prov_param(&q, "mem", "%d", 512);
    tg_prov_input(&q, in, &e);
    cr_assert(!tg_prov_matches(&q, text));
    tg_prov_free(&q);
    tg_prov_init(&q, "ingest", "0.2.0");
    tg_prov_param(&q, "mem", "%d", 256);
    tg_prov_input(&q, in, &e);
    cr_assert(!tg_prov_matches(&q, text));
    tg_prov_free(&q);

    /* touched but unchanged: still current (hash); changed content of equal size: stale */
    struct timeval tv[2] = {{1000000000, 0}, {1000000000, 0}};
    cr_assert_eq(utimes(in, tv), 0);
    tg_prov_init(&q, "ingest", "0.1.0");
    tg_prov_param(&q, "mem", "%d", 256);
    tg_prov_input(&q, in, &e);
    cr_assert(tg_prov_matches(&q, text), "a touch alone does not make it stale");
    tg_prov_free(&q);
    write_text(in, "{\"a\": 2}\n");
    cr_assert_eq(utimes(in, tv), 0);
    tg_prov_init(&q, "ingest", "0.1.0");
    tg_prov_param(&q, "mem", "%d", 256);
    tg_prov_input(&q, in, &e);
    cr_assert(!tg_prov_matches(&q, text), "same size, other bytes");
    tg_prov_free(&q);

    cr_assert(!tg_prov_matches(&q, "garbage"));
    cr_assert(!tg_prov_matches(&q, NULL));
    free(text);
}

/* A prov of one input and the side output side, as a stage builds it before its
 * up-to-date check. */
static void side_prov(tg_prov *q, const char *in, const char *side)
{
    tg_error e = {0};
    tg_prov_init(q, "train", "0.1.0");
    cr_assert_eq(tg_prov_input(q, in, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(tg_prov_output(q, side, &e), TG_OK, "%s", e.msg);
}

/* A side output is recorded as written (at its temporary, renamed after); the record
 * is stale once it is edited or removed, not when it is touched; a record naming
 * another side output is stale; one without side output lines (older) is current. */
Test(files, side_outputs)
{
    char in[128], side[128], tmp[160];
    snprintf(in, sizeof in, "%s/store.h5", dir);
    snprintf(side, sizeof side, "%s/predictions.h5", dir);
    snprintf(tmp, sizeof tmp, "%s/.predictions.h5.tmp", dir);
    write_text(in, "store\n");
    write_text(tmp, "scores\n");
    tg_error e = {0};
    tg_prov p, q;
    side_prov(&p, in, side);
    cr_assert_eq(tg_prov_hash_inputs(&p, &e), TG_OK);
    char *old = NULL, *text = NULL;
    cr_assert_eq(tg_prov_text(&p, &old, &e), TG_OK); /* side output not written: no line */
    cr_assert(strstr(old, "\noutput ") == NULL, "%s", old);
    cr_assert_eq(tg_prov_output_written(&p, 0, tmp, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(tg_prov_text(&p, &text, &e), TG_OK);
    cr_assert(strstr(text, "\noutput size=7 xxh64=") != NULL, "%s", text);
    cr_assert(strstr(text, " path=") != NULL && strstr(text, "/predictions.h5\n") != NULL, "%s",
              text);
    tg_prov_free(&p);
    cr_assert_eq(rename(tmp, side), 0);

    side_prov(&q, in, side);
    cr_assert(tg_prov_matches(&q, text), "as written: current");
    cr_assert(tg_prov_matches(&q, old), "a record without side outputs (older) is current");
    tg_prov_free(&q);
    struct timeval tv[2] = {{1000000000, 0}, {1000000000, 0}};
    cr_assert_eq(utimes(side, tv), 0);
    side_prov(&q, in, side);
    cr_assert(tg_prov_matches(&q, text), "a touched side output is still current");
    tg_prov_free(&q);
    write_text(side, "garbage\n");
    side_prov(&q, in, side);
    cr_assert(!tg_prov_matches(&q, text), "an edited side output is stale");
    tg_prov_free(&q);
    write_text(side, "sc0res\n"); /* same size, other bytes */
    cr_assert_eq(utimes(side, tv), 0);
    side_prov(&q, in, side);
    cr_assert(!tg_prov_matches(&q, text), "same size, other bytes");
    tg_prov_free(&q);
    write_text(side, "scores\n");
    side_prov(&q, in, side);
    cr_assert(tg_prov_matches(&q, text), "the same bytes again");
    tg_prov_free(&q);
    side_prov(&q, in, in);
    cr_assert(!tg_prov_matches(&q, text), "another side output than recorded");
    tg_prov_free(&q);
    tg_prov_init(&q, "train", "0.1.0");
    tg_prov_input(&q, in, &e);
    cr_assert(!tg_prov_matches(&q, text), "a side output recorded, none expected");
    tg_prov_free(&q);
    unlink(side);
    side_prov(&q, in, side);
    cr_assert(!tg_prov_matches(&q, text), "a removed side output is stale");
    tg_prov_free(&q);
    free(old);
    free(text);
}

/* Which side outputs a record lists, found by size and hash whatever their path now:
 * eval asks it whether a model.h5 wrote a predictions.h5. */
Test(files, record_lists_a_side_output)
{
    char in[128], tmp[160];
    snprintf(in, sizeof in, "%s/store.h5", dir);
    snprintf(tmp, sizeof tmp, "%s/.p.h5.tmp", dir);
    write_text(in, "store\n");
    write_text(tmp, "scores\n");
    tg_error e = {0};
    tg_prov p;
    side_prov(&p, in, "runs/p.h5");
    char *none = NULL, *text = NULL, first[64];
    cr_assert_eq(tg_prov_text(&p, &none, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(tg_prov_output_written(&p, 0, tmp, &e), TG_OK, "%s", e.msg);
    cr_assert_eq(tg_prov_text(&p, &text, &e), TG_OK, "%s", e.msg);
    uint64_t hash = p.outputs[0].hash;
    cr_assert_eq(tg_prov_lists_output(text, 7, hash, first, sizeof first), 1, "%s", text);
    cr_assert_str_eq(first, "runs/p.h5");
    cr_assert_eq(tg_prov_lists_output(text, 7, hash ^ 1, first, sizeof first), 0,
                 "other bytes");
    cr_assert_str_eq(first, "runs/p.h5", "named for the message");
    cr_assert_eq(tg_prov_lists_output(text, 8, hash, NULL, 0), 0, "another size");
    cr_assert_eq(tg_prov_lists_output(none, 7, hash, first, sizeof first), -1,
                 "a record without side outputs lists none");
    cr_assert_str_eq(first, "");
    cr_assert_eq(tg_prov_lists_output("write_model (tests)\n", 7, hash, NULL, 0), -1,
                 "not a provenance text");
    cr_assert_eq(tg_prov_lists_output(NULL, 7, hash, NULL, 0), -1);
    char small[4];
    cr_assert_eq(tg_prov_lists_output(text, 7, hash, small, sizeof small), 1);
    cr_assert_str_eq(small, "run", "cut to the buffer");
    tg_prov_free(&p);
    free(none);
    free(text);
}

Test(files, stdin_is_never_current)
{
    tg_error e = {0};
    tg_prov p;
    tg_prov_init(&p, "ingest", "0.1.0");
    cr_assert_eq(tg_prov_input(&p, "-", &e), TG_OK);
    char *text = NULL;
    cr_assert_eq(tg_prov_text(&p, &text, &e), TG_OK);
    cr_assert(!tg_prov_matches(&p, text));
    free(text);
    tg_prov_free(&p);
}

Test(files, stamps_follow_the_output)
{
    char out[128];
    snprintf(out, sizeof out, "%s/traces.ndjson", dir);
    write_text(out, "x\n");
    tg_error e = {0};
    tg_prov p;
    tg_prov_init(&p, "synth", "0.1.0");
    tg_prov_param(&p, "seed", "%d", 1);
    cr_assert(!tg_stamp_is_current(out, &p), "no stamp yet");
    cr_assert_eq(tg_stamp_write(out, &p, &e), TG_OK, "%s", e.msg);
    cr_assert(tg_stamp_is_current(out, &p));
    write_text(out, "edited\n");
    cr_assert(!tg_stamp_is_current(out, &p), "an edited output is stale");
    cr_assert_eq(tg_stamp_write(out, &p, &e), TG_OK);
    unlink(out);
    cr_assert(!tg_stamp_is_current(out, &p), "a deleted output is stale");
    tg_prov_free(&p);
}

static void touch(const char *name)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs("half-written", f);
    fclose(f);
}

static int exists(const char *name)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

Test(files, leftovers_of_dead_runs_are_removed)
{
    /* a pid that is surely dead: a child that has exited and been reaped */
    pid_t dead = fork();
    cr_assert(dead >= 0);
    if (dead == 0)
        _exit(0);
    cr_assert_eq(waitpid(dead, NULL, 0), dead);
    char host[9], dead_tmp[128], live_tmp[128], other_host[128], other_out[128];
    tg_tmp_host_tag(host);
    snprintf(dead_tmp, sizeof dead_tmp, ".out.h5.tmp-%s-%ld-AbCdEf", host, (long)dead);
    snprintf(live_tmp, sizeof live_tmp, ".out.h5.tmp-%s-%ld-AbCdEf", host, (long)getppid());
    snprintf(other_host, sizeof other_host, ".out.h5.tmp-%s-%ld-AbCdEf",
             strcmp(host, "00000000") ? "00000000" : "11111111", (long)dead);
    snprintf(other_out, sizeof other_out, ".other.h5.tmp-%s-%ld-AbCdEf", host, (long)dead);
    touch(dead_tmp), touch(live_tmp), touch(other_host), touch(other_out);
    char final[256], *tmp = NULL;
    snprintf(final, sizeof final, "%s/out.h5", dir);
    tg_error e = {0};
    cr_assert_eq(tg_tmp_create(final, &tmp, &e), TG_OK, "%s", e.msg);
    cr_assert(!exists(dead_tmp), "a dead run's temporary is removed");
    cr_assert(exists(live_tmp), "a live process's temporary is kept");
    cr_assert(exists(other_host), "another host's temporary is kept");
    cr_assert(exists(other_out), "another output's temporary is kept");
    cr_assert(strstr(tmp, host) != NULL, "the new name carries the host: %s", tmp);
    tg_tmp_discard(tmp);
    free(tmp);
}
