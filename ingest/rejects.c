/* rejects.c - one JSON line per rejected record (see rejects.h). */
#include "rejects.h"

#include "utf8.h"

#include <stdint.h>
#include <string.h>

static void json_string(FILE *fp, const char *text, size_t n)
{
    const unsigned char *s = (const unsigned char *)text;
    fputc('"', fp);
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c == '"' || c == '\\') {
            fputc('\\', fp);
            fputc((int)c, fp);
            i++;
        } else if (c == '\n') {
            fputs("\\n", fp);
            i++;
        } else if (c == '\r') {
            fputs("\\r", fp);
            i++;
        } else if (c == '\t') {
            fputs("\\t", fp);
            i++;
        } else if (c < 0x20) {
            fprintf(fp, "\\u%04x", c);
            i++;
        } else {
            size_t k = tg_utf8_len(s + i, n - i);
            if (k == 0) {
                fputs("\xEF\xBF\xBD", fp);
                i++;
            } else {
                fwrite(s + i, 1, k, fp);
                i += k;
            }
        }
    }
    fputc('"', fp);
}

void tg_rejects_write(FILE *fp, const tg_reject *r, const char *reason)
{
    fputs("{\"file\":", fp);
    json_string(fp, r->file, strlen(r->file));
    fprintf(fp, ",\"offset\":%llu,\"line\":%llu,\"reason\":\"%s\",\"detail\":",
            (unsigned long long)r->offset, (unsigned long long)r->line, reason);
    json_string(fp, r->detail, strlen(r->detail));
    fprintf(fp, ",\"count\":%llu,\"cut\":%s,\"text\":", (unsigned long long)r->count,
            r->truncated ? "true" : "false");
    json_string(fp, r->text != NULL ? r->text : "", r->text != NULL ? r->text_len : 0);
    fputs("}\n", fp);
}
