/* model_input.c - model.h5's history for eval, finding the model a predictions file
 * names, and whether that model wrote them. */
#include "model_input.h"

#include "provenance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

tg_code eval_history_read(const char *path, tg_model_history *out, char **provenance,
                          tg_error *e)
{
    memset(out, 0, sizeof *out);
    if (provenance != NULL)
        *provenance = NULL;
    tg_model_file m; /* its open says why a file cannot be read (store/file_kind.h) */
    tg_code rc = tg_model_file_read(path, &m, e);
    if (rc != TG_OK)
        return rc;
    /* Move the history out, so that tg_model_file_free leaves it alone. */
    *out = m.history;
    memset(&m.history, 0, sizeof m.history);
    if (provenance != NULL) {
        *provenance = m.meta.provenance;
        m.meta.provenance = NULL;
    }
    tg_model_file_free(&m);
    return TG_OK;
}

tg_code eval_model_wrote(const char *provenance, const char *model_path,
                         const char *predictions_path, int model_records, eval_wrote *out,
                         char *why, size_t why_size, tg_error *e)
{
    if (why_size > 0)
        why[0] = '\0';
    struct stat st;
    uint64_t hash;
    if (stat(predictions_path, &st) != 0)
        return tg_fail_errno(e, TG_ERR_IO, "%s: cannot stat", predictions_path);
    tg_code rc = tg_hash_file(predictions_path, &hash, e);
    if (rc != TG_OK)
        return rc;
    char listed[512];
    int found = tg_prov_lists_output(provenance, (uint64_t)st.st_size, hash, listed,
                                     sizeof listed);
    if (found > 0) {
        *out = EVAL_WROTE_YES;
    } else if (found == 0) {
        *out = EVAL_WROTE_NO;
        snprintf(why, why_size, "%s is not the model that wrote %s: the predictions it "
                 "records (%s) have other contents, so its training history is left out.",
                 model_path, predictions_path, listed);
    } else if (model_records) {
        *out = EVAL_WROTE_NO;
        snprintf(why, why_size, "%s is not the model that wrote %s: it records no "
                 "predictions, though the model that wrote them does, so its training "
                 "history is left out.", model_path, predictions_path);
    } else {
        *out = EVAL_WROTE_UNKNOWN;
    }
    return TG_OK;
}

char *eval_model_locate(const char *named, const char *predictions_path, int *tried_beside)
{
    if (tried_beside != NULL)
        *tried_beside = 0;
    if (named == NULL || named[0] == '\0')
        return NULL;
    if (access(named, F_OK) == 0)
        return strdup(named);
    const char *slash = strrchr(predictions_path, '/');
    if (named[0] == '/' || slash == NULL) /* absolute, or the same place as before */
        return NULL;
    size_t dir = (size_t)(slash - predictions_path) + 1, len = strlen(named);
    char *beside = malloc(dir + len + 1);
    if (beside == NULL)
        return NULL;
    memcpy(beside, predictions_path, dir);
    memcpy(beside + dir, named, len + 1);
    if (tried_beside != NULL)
        *tried_beside = 1;
    if (access(beside, F_OK) == 0)
        return beside;
    free(beside);
    return NULL;
}
