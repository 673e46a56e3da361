/* progress_line.c - the progress line shared by the commands: one line redrawn on a terminal,
 * rate-limited plain lines without control sequences when stderr is a file or a pipe. */
#include "progress_line.h"

#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void cli_progress_init(cli_progress *p, int quiet, int force)
{
    memset(p, 0, sizeof *p);
    p->tty = isatty(STDERR_FILENO);
    p->show = !quiet && (force || p->tty);
}

int cli_progress_due(cli_progress *p, int final)
{
    double now;
    if (!p->show) return 0;
    now = cli_now_s();
    if (!final && p->tlast > 0 && now - p->tlast < (p->tty ? 0.1 : CLI_PROGRESS_LOG_S)) return 0;
    return 1;
}

void cli_progress_put(cli_progress *p, const char *fmt, ...)
{
    char line[sizeof p->last];
    va_list ap;
    if (!p->show) return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    p->tlast = cli_now_s();
    /* the line's text as every message's (text_util.h): no byte of it acts on the terminal */
    if (p->tty) {
        cli_err("\r\033[K%s", line);
        p->drawn = 1;
    } else {
        if (strcmp(line, p->last) == 0) return;
        memcpy(p->last, line, sizeof line);
        cli_err("%s\n", line);
    }
    fflush(stderr);
}

void cli_progress_end(cli_progress *p, int keep)
{
    if (!p->show || !p->tty || !p->drawn) return;
    fputs(keep ? "\n" : "\r\033[K", stderr);
    fflush(stderr);
    p->drawn = 0;
}
