/* h5_input.h - eval's main input: the labeled albums of train's predictions.h5
 * (store/predictions.h), those of one split or both, as the table eval computes on. */
#ifndef TG_EVAL_H5_INPUT_H
#define TG_EVAL_H5_INPUT_H

#include "csv.h"
#include "error.h"

/* Which labeled albums are evaluated. Unlabeled albums never are: they have no truth. */
typedef enum {
    EVAL_SPLIT_TEST = 0,  /* the held-out albums: the report's numbers (default) */
    EVAL_SPLIT_TRAIN = 1, /* the albums the model was fitted on (to see overfitting) */
    EVAL_SPLIT_ALL = 2,   /* train and test together */
} eval_split;

/* "test", "train", "all" (the --split choices, in enum order), NULL-terminated. */
extern const char *const eval_split_choices[];

/* What the file says beside the table. */
typedef struct {
    int has_threshold; /* the file's threshold attribute was present */
    double threshold;  /* that threshold (NaN when absent) */
    char *model;       /* the file's model attribute, "" when none (caller frees) */
    int model_records; /* the file's model_records attribute: that model records it */
    size_t in_file[3]; /* albums of each split code in the file: train, test, unlabeled */
} eval_h5_meta;

/* Reads path (tg_predictions_read: every check of predictions.h, errors naming the file
 * and the album) and keeps the albums of split `which`, in file order, with their ids.
 * Fails like tg_predictions_read, or with TG_ERR_FORMAT when no album is of that split
 * (the message gives the counts per split). On success *table and meta->model are the
 * caller's (eval_table_free, free); on failure there is nothing to free. */
tg_code eval_h5_read(const char *path, eval_split which, eval_table *table, eval_h5_meta *meta,
                     tg_error *e);

#endif
