/* rejects.h - the rejects file of ingest: one JSON object a line per rejected record,
 * {"file", "offset", "line", "reason", "detail", "count", "cut", "text"}, where text is
 * the record as read (its first TG_REC_MAX_TEXT bytes; cut says it was longer). */
#ifndef TG_REJECTS_H
#define TG_REJECTS_H

#include "records.h"

#include <stdio.h>

/* Writes r as one line to fp, reason named reason (so that ingest's own reasons, such
 * as "conflicting_duplicate", use the same writer). The text is escaped as JSON; bytes
 * that are not UTF-8 (a cut in the middle of a character) become U+FFFD. Errors stay
 * in fp's sticky error flag, checked when the file is committed. Never fails here. */
void tg_rejects_write(FILE *fp, const tg_reject *r, const char *reason);

#endif
