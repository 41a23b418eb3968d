/* output_file.h - outputs that are never half-written: a program writes a temporary
 * file beside the final one and renames it into place only when everything succeeded.
 * On error the temporary is removed; on SIGINT, SIGTERM or SIGHUP the signal handler
 * removes every registered temporary and exits 1, so no interrupted run leaves a file
 * that looks finished (as zstd's fileio.c does with its destination). */
#ifndef TG_OUTPUT_FILE_H
#define TG_OUTPUT_FILE_H

#include "error.h"

#include <stdio.h>

/* Installs the signal handlers once per process. Safe to call again. */
void tg_signals_install(void);

/* Creates an empty temporary file next to final_path
 * ("<dir>/.<base>.tmp-<host>-<pid>-XXXXXX"), mode 0666 & ~umask, registers it for removal
 * on a signal and returns its malloc'd name in *tmp_path (caller frees). The file is
 * closed: a library such as HDF5 may then create it anew by name. First removes the
 * temporaries of final_path that this host's dead processes left (a SIGKILL runs no
 * handler); host and pid in the name say whose they are. */
tg_code tg_tmp_create(const char *final_path, char **tmp_path, tg_error *e);

/* The host's tag in temporary names: 8 hex digits of a hash of its name. */
void tg_tmp_host_tag(char buf[9]);

/* Makes tmp_path durable (fsync), renames it to final_path and unregisters it. On
 * failure tmp_path is removed and final_path is left as it was. */
tg_code tg_tmp_commit(const char *tmp_path, const char *final_path, tg_error *e);

/* Removes tmp_path and unregisters it. Never fails (an already missing file is fine). */
void tg_tmp_discard(const char *tmp_path);

/* Refuses an output that is the same file as another path the run reads or writes:
 * renamed into place, the output would replace that file (`ingest in.ndjson -o
 * in.ndjson` destroyed its input and said "wrote"). The same file: the same device and
 * inode when both exist, else the same path once normalised (absolute, its directory
 * resolved through symlinks when it exists, else "." and ".." taken lexically). "-"
 * (standard input or output) is never the same file as anything. out_opt names the
 * output's option ("-o"); other_what names the other path's role, as the message
 * shows it ("the input", "the store", "--predictions"). Returns TG_OK, or TG_ERR_USAGE
 * with a message naming both paths ("-o in.ndjson and the input in.ndjson are the same
 * file: choose another -o"). Changes nothing on disk. */
tg_code tg_output_distinct(const char *out_opt, const char *output, const char *other_what,
                           const char *other, tg_error *e);

/* Checks up front that final_path can be written, by creating its temporary beside it
 * and removing it: for a program that would otherwise learn that only after its work
 * (train, after every epoch). Returns tg_tmp_create's errors, e.g. TG_ERR_IO naming the
 * file for a missing or read-only directory (the same message and exit status as a
 * program that fails on opening its output); leaves nothing behind. */
tg_code tg_output_probe(const char *final_path, tg_error *e);

/* A stdio stream on a temporary, for text and binary outputs of our own.
 * path "-" writes to stdout directly (nothing to rename). */
typedef struct {
    char *path;   /* final name (copy) */
    char *tmp;    /* temporary name, NULL for stdout */
    FILE *fp;
} tg_outfile;

/* Opens o for writing. On failure nothing is left behind and o needs no cleanup. */
tg_code tg_outfile_open(tg_outfile *o, const char *path, tg_error *e);

/* Flushes, checks the stream's sticky error, closes and renames into place.
 * On failure the temporary is removed. o is released in both cases. */
tg_code tg_outfile_commit(tg_outfile *o, tg_error *e);

/* Closes and removes the temporary; o is released. */
void tg_outfile_abort(tg_outfile *o);

#endif
