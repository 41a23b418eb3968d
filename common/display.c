/* display.c - the display level shared by every program, the console test, and byte
 * counts as people read them. */
#include "display.h"

#include <unistd.h>

int tg_display_level = 2;
int tg_fake_console = 0;

int tg_stderr_is_console(void)
{
    return tg_fake_console || isatty(STDERR_FILENO);
}

char *tg_format_bytes(char *buf, size_t size, double b)
{
    if (b >= 1e9)
        snprintf(buf, size, "%.1f GB", b / 1e9);
    else if (b >= 1e6)
        snprintf(buf, size, "%.1f MB", b / 1e6);
    else
        snprintf(buf, size, "%.1f kB", b / 1e3);
    return buf;
}
