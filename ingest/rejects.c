/* rejects.c - one JSON line per rejected record (see rejects.h). */
#include "rejects.h"

#include <stdint.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if there is none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    uint32_t min, cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, min = 0x80, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, min = 0x800, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, min = 0x10000, cp = c & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

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
            size_t k = utf8_len(s + i, n - i);
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
