/* provenance.c - building, serialising and comparing provenance (see provenance.h). */
#include "provenance.h"

#include "output_file.h"
#include "xxhash64.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEADER "tracegenre-provenance 1\n"

void tg_prov_init(tg_prov *p, const char *program, const char *version)
{
    memset(p, 0, sizeof *p);
    snprintf(p->program, sizeof p->program, "%s %s", program, version);
}

void tg_prov_free(tg_prov *p)
{
    free(p->params);
    for (size_t i = 0; i < p->n_inputs; i++)
        free(p->inputs[i].path);
    free(p->inputs);
    for (size_t i = 0; i < p->n_outputs; i++)
        free(p->outputs[i].path);
    free(p->outputs);
    memset(p, 0, sizeof *p);
}

tg_code tg_prov_param(tg_prov *p, const char *key, const char *fmt, ...)
{
    char value[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(value, sizeof value, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof value || strchr(value, '\n'))
        return TG_ERR_LIMIT;
    size_t add = strlen(key) + (size_t)n + 2;
    char *grown = realloc(p->params, p->params_len + add + 1);
    if (grown == NULL)
        return TG_ERR_NOMEM;
    p->params = grown;
    sprintf(p->params + p->params_len, "%s=%s\n", key, value);
    p->params_len += add;
    return TG_OK;
}

static int stat_id(const char *path, uint64_t *size, int64_t *mtime_ns)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    *size = (uint64_t)st.st_size;
    *mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    return 0;
}

/* Appends id (its path a copy of path) to the list *ids of *n. */
static tg_code add_id(tg_input_id **ids, size_t *n, tg_input_id id, const char *path,
                      tg_error *e)
{
    id.path = strdup(path);
    tg_input_id *grown = realloc(*ids, (*n + 1) * sizeof *grown);
    if (grown)
        *ids = grown;
    if (id.path == NULL || grown == NULL) {
        free(id.path);
        return tg_fail(e, TG_ERR_NOMEM, "%s: out of memory", path);
    }
    (*ids)[(*n)++] = id;
    return TG_OK;
}

tg_code tg_prov_input(tg_prov *p, const char *path, tg_error *e)
{
    tg_input_id id = {0};
    if (strcmp(path, "-") != 0 && stat_id(path, &id.size, &id.mtime_ns) != 0)
        return tg_fail_errno(e, TG_ERR_IO, "%s: cannot stat input", path);
    return add_id(&p->inputs, &p->n_inputs, id, path, e);
}

tg_code tg_prov_output(tg_prov *p, const char *path, tg_error *e)
{
    tg_input_id id = {0};
    return add_id(&p->outputs, &p->n_outputs, id, path, e);
}

void tg_prov_set_hash(tg_prov *p, size_t input, uint64_t hash)
{
    p->inputs[input].hash = hash;
    p->inputs[input].hashed = 1;
}

tg_code tg_hash_file(const char *path, uint64_t *hash, tg_error *e)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return tg_fail_errno(e, TG_ERR_IO, "%s: cannot open", path);
    enum { BUF = 1 << 20 };
    unsigned char *buf = malloc(BUF);
    if (buf == NULL) {
        close(fd);
        return tg_fail(e, TG_ERR_NOMEM, "%s: out of memory", path);
    }
    tg_xxh64_state s;
    tg_xxh64_init(&s, 0);
    tg_code rc = TG_OK;
    for (;;) {
        ssize_t n = read(fd, buf, BUF);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = tg_fail_errno(e, TG_ERR_IO, "%s: read failed", path);
            break;
        }
        if (n == 0)
            break;
        tg_xxh64_update(&s, buf, (size_t)n);
    }
    free(buf);
    close(fd);
    if (rc == TG_OK)
        *hash = tg_xxh64_digest(&s);
    return rc;
}

tg_code tg_prov_output_written(tg_prov *p, size_t k, const char *written, tg_error *e)
{
    tg_input_id *out = &p->outputs[k];
    int64_t mtime;
    if (stat_id(written, &out->size, &mtime) != 0)
        return tg_fail_errno(e, TG_ERR_IO, "%s: cannot stat output %s", out->path, written);
    tg_code rc = tg_hash_file(written, &out->hash, e);
    out->hashed = rc == TG_OK;
    return rc;
}

tg_code tg_prov_hash_inputs(tg_prov *p, tg_error *e)
{
    for (size_t i = 0; i < p->n_inputs; i++) {
        tg_input_id *in = &p->inputs[i];
        if (in->hashed || strcmp(in->path, "-") == 0)
            continue;
        tg_code rc = tg_hash_file(in->path, &in->hash, e);
        if (rc != TG_OK)
            return rc;
        in->hashed = 1;
    }
    return TG_OK;
}

tg_code tg_prov_text(const tg_prov *p, char **text, tg_error *e)
{
    size_t size = strlen(HEADER) + sizeof p->program + 16 + p->params_len * 2 + 1;
    for (size_t i = 0; i < p->n_inputs; i++)
        size += strlen(p->inputs[i].path) + 128;
    for (size_t i = 0; i < p->n_outputs; i++)
        size += strlen(p->outputs[i].path) + 128;
    char *t = malloc(size);
    if (t == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "provenance: out of memory");
    size_t used = (size_t)snprintf(t, size, HEADER "program %s\n", p->program);
    /* params are "k=v\n" lines: prefix each with "param ". */
    const char *line = p->params;
    while (line != NULL && *line) {
        const char *nl = strchr(line, '\n');
        used += (size_t)snprintf(t + used, size - used, "param %.*s\n", (int)(nl - line), line);
        line = nl + 1;
    }
    for (size_t i = 0; i < p->n_inputs; i++) {
        const tg_input_id *in = &p->inputs[i];
        used += (size_t)snprintf(t + used, size - used,
                                 "input size=%" PRIu64 " mtime_ns=%" PRId64 " xxh64=%016" PRIx64
                                 " path=%s\n",
                                 in->size, in->mtime_ns, in->hash, in->path);
    }
    for (size_t i = 0; i < p->n_outputs; i++) {
        const tg_input_id *out = &p->outputs[i];
        if (out->hashed)
            used += (size_t)snprintf(t + used, size - used,
                                     "output size=%" PRIu64 " xxh64=%016" PRIx64 " path=%s\n",
                                     out->size, out->hash, out->path);
    }
    *text = t;
    return TG_OK;
}

/* Compares one recorded "input ..." line with the current input. */
static int input_matches(tg_input_id *now, const char *line, size_t len)
{
    uint64_t size, hash;
    int64_t mtime;
    int off = 0;
    if (sscanf(line, "input size=%" SCNu64 " mtime_ns=%" SCNd64 " xxh64=%" SCNx64 " path=%n", &size,
               &mtime, &hash, &off) != 3 || off == 0)
        return 0;
    size_t plen = len - (size_t)off;
    if (strlen(now->path) != plen || memcmp(now->path, line + off, plen) != 0)
        return 0;
    if (strcmp(now->path, "-") == 0)
        return 0; /* standard input has no identity */
    if (now->size != size)
        return 0;
    if (now->mtime_ns == mtime)
        return 1;
    if (!now->hashed) {
        if (tg_hash_file(now->path, &now->hash, NULL) != TG_OK)
            return 0;
        now->hashed = 1;
    }
    return now->hash == hash;
}

/* Reads one recorded side output line ("output size=... xxh64=... path=...", len bytes,
 * no newline) into *id (path malloc'd); 0 if the line is not one (a stamp's or a sweep
 * record's own output lines are not). */
static int side_line(const char *line, size_t len, tg_input_id *id)
{
    char *l = strndup(line, len); /* sscanf must not read past the line */
    int off = 0;
    int ok = l && sscanf(l, "output size=%" SCNu64 " xxh64=%" SCNx64 " path=%n", &id->size,
                         &id->hash, &off) == 2 &&
             off > 0 && (id->path = strdup(l + off)) != NULL;
    free(l);
    return ok;
}

/* Whether the side output recorded as rec (from side_line) is still there as written:
 * the same size and content. */
static int side_holds(const tg_input_id *rec)
{
    uint64_t size, hash;
    int64_t mtime;
    return stat_id(rec->path, &size, &mtime) == 0 && size == rec->size &&
           tg_hash_file(rec->path, &hash, NULL) == TG_OK && hash == rec->hash;
}

int tg_prov_matches(tg_prov *p, const char *recorded)
{
    if (recorded == NULL || strncmp(recorded, HEADER, strlen(HEADER)) != 0)
        return 0;
    const char *r = recorded + strlen(HEADER);
    char prog[80];
    int n = snprintf(prog, sizeof prog, "program %s\n", p->program);
    if (strncmp(r, prog, (size_t)n) != 0)
        return 0;
    r += n;
    const char *params = p->params ? p->params : "";
    const char *line = params;
    while (*line) { /* each param line, in order */
        const char *nl = strchr(line, '\n');
        size_t l = (size_t)(nl - line);
        if (strncmp(r, "param ", 6) != 0 || strncmp(r + 6, line, l + 1) != 0)
            return 0;
        r += 6 + l + 1;
        line = nl + 1;
    }
    for (size_t i = 0; i < p->n_inputs; i++) {
        const char *nl = strchr(r, '\n');
        if (nl == NULL || !input_matches(&p->inputs[i], r, (size_t)(nl - r)))
            return 0;
        r = nl + 1;
    }
    /* side outputs: none recorded (an older record), or p's, in order, each as written */
    size_t k = 0;
    for (const char *nl; (nl = strchr(r, '\n')) != NULL; r = nl + 1, k++) {
        tg_input_id rec = {0};
        if (!side_line(r, (size_t)(nl - r), &rec))
            break;
        int same = k < p->n_outputs && strcmp(rec.path, p->outputs[k].path) == 0 &&
                   side_holds(&rec);
        free(rec.path);
        if (!same)
            return 0;
    }
    if (k > 0 && k != p->n_outputs)
        return 0;
    return *r == '\0' || strncmp(r, "output ", 7) == 0;
}

int tg_prov_lists_output(const char *recorded, uint64_t size, uint64_t hash, char *first,
                         size_t first_size)
{
    if (first != NULL && first_size > 0)
        first[0] = '\0';
    if (recorded == NULL || strncmp(recorded, HEADER, strlen(HEADER)) != 0)
        return -1;
    int listed = -1;
    for (const char *r = recorded, *nl; (nl = strchr(r, '\n')) != NULL; r = nl + 1) {
        tg_input_id rec = {0};
        if (!side_line(r, (size_t)(nl - r), &rec))
            continue;
        if (listed < 0 && first != NULL && first_size > 0)
            snprintf(first, first_size, "%s", rec.path);
        if (listed < 0)
            listed = 0;
        if (rec.size == size && rec.hash == hash)
            listed = 1;
        free(rec.path);
        if (listed == 1)
            break;
    }
    return listed;
}

static char *stamp_path(const char *output)
{
    size_t n = strlen(output) + 6;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s.prov", output);
    return s;
}

tg_code tg_stamp_write(const char *output, const tg_prov *p, tg_error *e)
{
    uint64_t size;
    int64_t mtime;
    if (stat_id(output, &size, &mtime) != 0)
        return tg_fail_errno(e, TG_ERR_IO, "%s: cannot stat output", output);
    char *text = NULL, *path = stamp_path(output);
    if (path == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "%s: out of memory", output);
    tg_code rc = tg_prov_text(p, &text, e);
    if (rc == TG_OK) {
        tg_outfile o;
        rc = tg_outfile_open(&o, path, e);
        if (rc == TG_OK) {
            fprintf(o.fp, "%soutput size=%" PRIu64 " mtime_ns=%" PRId64 "\n", text, size, mtime);
            rc = tg_outfile_commit(&o, e);
        }
    }
    free(text);
    free(path);
    return rc;
}

int tg_stamp_is_current(const char *output, tg_prov *p)
{
    char *path = stamp_path(output);
    if (path == NULL)
        return 0;
    FILE *f = fopen(path, "rb");
    free(path);
    if (f == NULL)
        return 0;
    char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    if (n == sizeof buf - 1)
        return 0; /* longer than any stamp we write: not ours */
    buf[n] = '\0';
    const char *out = strstr(buf, "\noutput ");
    uint64_t size, rsize;
    int64_t mtime, rmtime;
    if (out == NULL || sscanf(out + 1, "output size=%" SCNu64 " mtime_ns=%" SCNd64, &rsize, &rmtime) != 2)
        return 0;
    if (stat_id(output, &size, &mtime) != 0 || size != rsize || mtime != rmtime)
        return 0;
    return tg_prov_matches(p, buf);
}
