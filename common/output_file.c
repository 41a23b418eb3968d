/* output_file.c - temporary outputs, their signal-time cleanup and atomic commit. */
#include "output_file.h"

#include "xxhash64.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A handful of slots is enough: a stage writes one output and maybe a side file. The
 * handler only reads these pointers and calls unlink(), which is async-signal-safe. */
#define TMP_SLOTS 16
static char *volatile g_tmp[TMP_SLOTS];

static void on_signal(int sig)
{
    for (int i = 0; i < TMP_SLOTS; i++)
        if (g_tmp[i] != NULL)
            unlink(g_tmp[i]);
    static const char msg[] = "\ninterrupted: temporary output removed\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w;
    (void)sig;
    _exit(1);
}

void tg_signals_install(void)
{
    static int installed = 0;
    if (installed)
        return;
    installed = 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

static int tmp_register(char *path)
{
    for (int i = 0; i < TMP_SLOTS; i++)
        if (g_tmp[i] == NULL) {
            g_tmp[i] = path;
            return 0;
        }
    return -1;
}

static void tmp_unregister(const char *path)
{
    for (int i = 0; i < TMP_SLOTS; i++)
        if (g_tmp[i] == path || (g_tmp[i] != NULL && strcmp(g_tmp[i], path) == 0))
            g_tmp[i] = NULL;
}

void tg_tmp_host_tag(char buf[9])
{
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0)
        host[0] = '\0'; /* no name: every host looks alike, and so only our own pids count */
    snprintf(buf, 9, "%08x", (unsigned)(tg_xxh64(host, strlen(host), 0) & 0xffffffffu));
}

/* Removes the temporaries that runs killed by SIGKILL (which no handler sees) left
 * beside final_path: those named by this host whose process is gone. Best effort: a
 * directory that cannot be listed or a file that cannot be removed is left alone, since
 * a leftover is never read (it is not the final name), only untidy. Another host's
 * leftovers (same directory over NFS) are kept: its pids mean nothing here. */
static void remove_leftovers(const char *final_path, size_t dirlen, const char *prefix)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", dirlen ? (int)dirlen : 1, dirlen ? final_path : ".");
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    size_t plen = strlen(prefix);
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (strncmp(ent->d_name, prefix, plen) != 0)
            continue;
        char *end;
        long pid = strtol(ent->d_name + plen, &end, 10);
        if (end == ent->d_name + plen || *end != '-' || pid <= 0 || pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
            char path[4096 + 256];
            snprintf(path, sizeof path, "%.*s%s", (int)dirlen, final_path, ent->d_name);
            unlink(path);
        }
    }
    closedir(d);
}

tg_code tg_tmp_create(const char *final_path, char **tmp_path, tg_error *e)
{
    const char *slash = strrchr(final_path, '/');
    size_t dirlen = slash ? (size_t)(slash - final_path) + 1 : 0;
    const char *base = final_path + dirlen;
    if (*base == '\0')
        return tg_fail(e, TG_ERR_USAGE, "%s: output name is a directory", final_path);
    char host[9], prefix[300];
    tg_tmp_host_tag(host);
    snprintf(prefix, sizeof prefix, ".%s.tmp-%s-", base, host);
    if (strlen(base) < 256)
        remove_leftovers(final_path, dirlen, prefix);
    size_t size = strlen(final_path) + 48;
    char *tmp = malloc(size);
    if (tmp == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "%s: out of memory", final_path);
    snprintf(tmp, size, "%.*s.%s.tmp-%s-%ld-XXXXXX", (int)dirlen, final_path, base, host,
             (long)getpid());
    int fd = mkstemp(tmp);
    if (fd < 0) {
        tg_fail_errno(e, TG_ERR_IO, "%s: cannot create a temporary file beside it", final_path);
        free(tmp);
        return TG_ERR_IO;
    }
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0 || close(fd) != 0) {
        tg_fail_errno(e, TG_ERR_IO, "%s: cannot set up temporary file", tmp);
        unlink(tmp);
        free(tmp);
        return TG_ERR_IO;
    }
    if (tmp_register(tmp) != 0) {
        unlink(tmp);
        free(tmp);
        return tg_fail(e, TG_ERR_LIMIT, "%s: too many temporary outputs open", final_path);
    }
    *tmp_path = tmp;
    return TG_OK;
}

tg_code tg_tmp_commit(const char *tmp_path, const char *final_path, tg_error *e)
{
    int fd = open(tmp_path, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) {
        tg_fail_errno(e, TG_ERR_IO, "%s: cannot sync temporary output", tmp_path);
        if (fd >= 0)
            close(fd);
        tg_tmp_discard(tmp_path);
        return TG_ERR_IO;
    }
    close(fd);
    if (rename(tmp_path, final_path) != 0) {
        tg_fail_errno(e, TG_ERR_IO, "%s: cannot rename %s into place", final_path, tmp_path);
        tg_tmp_discard(tmp_path);
        return TG_ERR_IO;
    }
    tmp_unregister(tmp_path);
    return TG_OK;
}

void tg_tmp_discard(const char *tmp_path)
{
    if (tmp_path == NULL)
        return;
    unlink(tmp_path);
    tmp_unregister(tmp_path);
}

/* path made absolute with "." and ".." and repeated slashes taken lexically, into buf
 * (size bytes); NULL when it does not fit or the working directory is unknown. For a
 * path whose directory does not exist, where realpath cannot help. */
static char *lexical_path(const char *path, char *buf, size_t size)
{
    size_t n = 0;
    if (path[0] != '/') {
        if (getcwd(buf, size) == NULL)
            return NULL;
        n = strlen(buf);
        if (n == 1)
            n = 0; /* "/": its components follow */
    }
    for (const char *p = path; *p;) {
        while (*p == '/')
            p++;
        size_t len = strcspn(p, "/");
        if (len == 0 || (len == 1 && p[0] == '.')) {
            /* nothing to add */
        } else if (len == 2 && p[0] == '.' && p[1] == '.') {
            while (n > 0 && buf[--n] != '/')
                ;
        } else {
            if (n + 1 + len + 1 > size)
                return NULL;
            buf[n++] = '/';
            memcpy(buf + n, p, len);
            n += len;
        }
        p += len;
    }
    if (n == 0)
        buf[n++] = '/';
    buf[n] = '\0';
    return buf;
}

/* path normalised into buf (PATH_MAX bytes): the whole path resolved when it exists,
 * else its directory resolved and its last component appended, else lexically. */
static char *normal_path(const char *path, char *buf)
{
    if (realpath(path, buf) != NULL)
        return buf;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char dir[PATH_MAX];
    if (*base != '\0' && strcmp(base, ".") != 0 && strcmp(base, "..") != 0 &&
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) + 1 : 1,
                 slash ? path : ".") < (int)sizeof dir &&
        realpath(dir, buf) != NULL) {
        size_t n = strlen(buf);
        if (n + 1 + strlen(base) + 1 <= PATH_MAX) {
            snprintf(buf + n, PATH_MAX - n, "%s%s", n > 1 ? "/" : "", base);
            return buf;
        }
    }
    return lexical_path(path, buf, PATH_MAX);
}

tg_code tg_output_distinct(const char *out_opt, const char *output, const char *other_what,
                           const char *other, tg_error *e)
{
    if (strcmp(output, "-") == 0 || strcmp(other, "-") == 0)
        return TG_OK;
    struct stat so, st;
    int same;
    if (stat(output, &so) == 0 && stat(other, &st) == 0) {
        same = so.st_dev == st.st_dev && so.st_ino == st.st_ino;
    } else {
        char a[PATH_MAX], b[PATH_MAX];
        const char *na = normal_path(output, a), *nb = normal_path(other, b);
        /* a path too long to normalise is compared as written */
        same = strcmp(na ? na : output, nb ? nb : other) == 0;
    }
    if (same)
        return tg_fail(e, TG_ERR_USAGE, "%s %s and %s %s are the same file: choose another %s",
                       out_opt, output, other_what, other, out_opt);
    return TG_OK;
}

tg_code tg_output_probe(const char *final_path, tg_error *e)
{
    char *tmp = NULL;
    tg_code rc = tg_tmp_create(final_path, &tmp, e);
    if (rc == TG_OK)
        tg_tmp_discard(tmp);
    free(tmp);
    return rc;
}

static void outfile_release(tg_outfile *o)
{
    free(o->path);
    free(o->tmp);
    o->path = o->tmp = NULL;
    o->fp = NULL;
}

tg_code tg_outfile_open(tg_outfile *o, const char *path, tg_error *e)
{
    memset(o, 0, sizeof *o);
    o->path = strdup(path);
    if (o->path == NULL)
        return tg_fail(e, TG_ERR_NOMEM, "%s: out of memory", path);
    if (strcmp(path, "-") == 0) {
        o->fp = stdout;
        return TG_OK;
    }
    tg_signals_install();
    tg_code rc = tg_tmp_create(path, &o->tmp, e);
    if (rc != TG_OK) {
        outfile_release(o);
        return rc;
    }
    o->fp = fopen(o->tmp, "wb");
    if (o->fp == NULL) {
        tg_fail_errno(e, TG_ERR_IO, "%s: cannot open temporary output %s", path, o->tmp);
        tg_tmp_discard(o->tmp);
        outfile_release(o);
        return TG_ERR_IO;
    }
    return TG_OK;
}

tg_code tg_outfile_commit(tg_outfile *o, tg_error *e)
{
    tg_code rc = TG_OK;
    if (o->tmp == NULL) { /* stdout */
        if (fflush(o->fp) != 0 || ferror(o->fp))
            rc = tg_fail_errno(e, TG_ERR_IO, "standard output: write failed");
        outfile_release(o);
        return rc;
    }
    int bad = fflush(o->fp) != 0 || ferror(o->fp);
    if (bad)
        tg_fail_errno(e, TG_ERR_IO, "%s: write failed", o->path);
    if (fclose(o->fp) != 0 && !bad) {
        bad = 1;
        tg_fail_errno(e, TG_ERR_IO, "%s: write failed on close", o->path);
    }
    if (bad) {
        tg_tmp_discard(o->tmp);
        rc = TG_ERR_IO;
    } else {
        rc = tg_tmp_commit(o->tmp, o->path, e);
    }
    outfile_release(o);
    return rc;
}

void tg_outfile_abort(tg_outfile *o)
{
    if (o->fp != NULL && o->tmp != NULL) {
        fclose(o->fp);
        tg_tmp_discard(o->tmp);
    }
    outfile_release(o);
}
