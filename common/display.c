/* display.c - the display level shared by every program and the console test. */
#include "display.h"

#include <unistd.h>

int tg_display_level = 2;
int tg_fake_console = 0;

int tg_stderr_is_console(void)
{
    return tg_fake_console || isatty(STDERR_FILENO);
}
