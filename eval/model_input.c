/* model_input.c - model.h5's history for eval, and finding the model a predictions
 * file names. */
#include "model_input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

tg_code eval_history_read(const char *path, tg_model_history *out, tg_error *e)
{
    memset(out, 0, sizeof *out);
    /* fopen first, for errno's reason: HDF5 says only that it could not open. */
    FILE *probe = fopen(path, "rb");
    if (probe == NULL)
        return tg_fail_errno(e, TG_ERR_IO, "%s: cannot open", path);
    fclose(probe);
    tg_model_file m;
    tg_code rc = tg_model_file_read(path, &m, e);
    if (rc != TG_OK)
        return rc;
    /* Move the history out, so that tg_model_file_free leaves it alone. */
    *out = m.history;
    memset(&m.history, 0, sizeof m.history);
    tg_model_file_free(&m);
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
