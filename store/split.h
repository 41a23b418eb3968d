/* split.h - the codes of an album's split, shared by store.h5 (/albums/split) and
 * predictions.h5 (/split): one definition, so both files and their readers agree. */
#ifndef TG_STORE_SPLIT_H
#define TG_STORE_SPLIT_H

enum { TG_SPLIT_TRAIN = 0, TG_SPLIT_TEST = 1, TG_SPLIT_UNLABELED = 2, TG_SPLIT_COUNT = 3 };

#endif
