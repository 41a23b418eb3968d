/* provenance.h - what an output was made from, for Make-style reruns. A stage builds
 * a tg_prov from its parameters and inputs, compares it with the provenance text
 * recorded in its existing output, and skips the work when they match. The text is
 * plain lines so that store/ can keep it in an HDF5 attribute and programs writing
 * plain files can keep it in a sidecar "<output>.prov".
 *
 *   tracegenre-provenance 1
 *   program synth 0.1.0
 *   param albums=1557
 *   input size=330123456 mtime_ns=1764068... xxh64=0123456789abcdef path=traces.ndjson
 *
 * An input still matches when its size and mtime are unchanged, or when only its mtime
 * changed but its content hash is the same (a `touch` does not force a rebuild).
 *
 * A side output (a file a stage writes beside its main one: train's predictions.h5,
 * ingest's rejects) is recorded after the inputs by its size and content hash,
 *
 *   output size=52344 xxh64=0123456789abcdef path=predictions.h5
 *
 * and holds while the file there has both: an edited or removed side output makes the
 * main one out of date, a touched one does not. No mtime: a rerun of a deterministic
 * stage then writes the same bytes (the reliability tests compare two runs), and side
 * outputs are small enough (scores of the test albums, rejected records) to hash at
 * each check. A record without such lines (written before they were kept) leaves the
 * side outputs to the stage's own check (that they exist). Other "output ..." lines may
 * follow: sidecar stamps and sweep records keep theirs there. */
#ifndef TG_PROVENANCE_H
#define TG_PROVENANCE_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *path;        /* as given on the command line; "-" is standard input */
    uint64_t size;
    int64_t mtime_ns;
    uint64_t hash;     /* XXH64 of the content, valid when hashed */
    int hashed;
} tg_input_id;

typedef struct {
    char program[64];  /* "synth 0.1.0" */
    char *params;      /* "key=value\n" lines in the order added */
    size_t params_len;
    tg_input_id *inputs;
    size_t n_inputs;
    tg_input_id *outputs; /* side outputs (mtime unused); hashed: written, identified */
    size_t n_outputs;
} tg_prov;

/* Starts an empty provenance for program and version. Never fails. */
void tg_prov_init(tg_prov *p, const char *program, const char *version);

/* Appends "param key=value". value must not hold a newline. */
tg_code tg_prov_param(tg_prov *p, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records an input's path, size and mtime (stat only; hashing comes later).
 * Standard input ("-") is recorded but never matches, so such runs always redo. */
tg_code tg_prov_input(tg_prov *p, const char *path, tg_error *e);

/* Sets an input's hash when the stage computed it while reading the input. */
void tg_prov_set_hash(tg_prov *p, size_t input, uint64_t hash);

/* Declares a side output at path (as the stage names it), before the up-to-date check:
 * a record is current only if it names the same side outputs in the same order. */
tg_code tg_prov_output(tg_prov *p, const char *path, tg_error *e);

/* Records side output k's size and hash from the file at written, finished (its
 * temporary, renamed to its path afterwards). Reads the whole file once. Not called:
 * the output is left out of the text. */
tg_code tg_prov_output_written(tg_prov *p, size_t k, const char *written, tg_error *e);

/* Hashes every input not yet hashed (reads each whole file once). */
tg_code tg_prov_hash_inputs(tg_prov *p, tg_error *e);

/* The provenance text (all inputs must be hashed). *text is malloc'd; caller frees. */
tg_code tg_prov_text(const tg_prov *p, char **text, tg_error *e);

/* 1 if recorded describes the same program version, the same parameters, inputs whose
 * identity still holds, and (when it records side outputs) p's side outputs, each still
 * as written; 0 if not (any difference, damaged text, I/O error). May hash an input whose
 * mtime changed; the hash is kept in p for the run that follows. */
int tg_prov_matches(tg_prov *p, const char *recorded);

/* Whether recorded (a provenance text) lists a side output of this size and content
 * hash, under whatever path (the file may have moved since): 1 if it does, 0 if it
 * lists side outputs but not this one, -1 if it lists none (a record written before
 * side outputs were kept, a run that wrote none, or not a provenance text). eval asks
 * it whether a model.h5 wrote a given predictions.h5. When first is not NULL, it gets
 * the first listed side output's path (cut to first_size; "" when none), for messages. */
int tg_prov_lists_output(const char *recorded, uint64_t size, uint64_t hash, char *first,
                         size_t first_size);

/* Frees what p holds; p may be reused after tg_prov_init. */
void tg_prov_free(tg_prov *p);

/* Hashes a whole file with XXH64 (seed 0). */
tg_code tg_hash_file(const char *path, uint64_t *hash, tg_error *e);

/* Sidecar stamps for plain-file outputs: "<output>.prov" holds p's text and the
 * output's own size and mtime, so a deleted or edited output is rebuilt too.
 * tg_stamp_write is called after the output was renamed into place. */
tg_code tg_stamp_write(const char *output, const tg_prov *p, tg_error *e);
int tg_stamp_is_current(const char *output, tg_prov *p);

#endif
