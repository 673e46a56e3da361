/* progress_line.c - the progress line shared by the commands: one line redrawn on a terminal,
 * rate-limited plain lines without control sequences when stderr is a file or a pipe. */
#include "progress_line.h"

#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int cli_progress_cols(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) return 0;
    return ws.ws_col;
}

/* Columns of out[0..n) as the cut below counts them: 1 an ASCII byte, 2 any other character. */
static size_t fit_width(const char *out, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)out[i];
        i += c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        w += c < 0x80 ? 1 : 2;
    }
    return w;
}

/* A line ending in an ETA ("..., ETA 01:02:03" or "...  ETA 01:02:03") too wide for cols:
 * the ETA is what a narrow terminal most needs, so the fields before it are dropped from the
 * right, whole (a number cut short would read as another number), until the rest fits beside
 * it. Returns the new length, or 0 when there is no such ETA or not even the first field fits
 * beside it (the caller then cuts the end, as for any line). */
static size_t fit_keep_eta(char *out, size_t n, int cols)
{
    size_t e = 0, t, budget, best = 0, tw;
    int found = 0;
    for (size_t i = 0; i + 4 <= n; i++)
        if (memcmp(out + i, "ETA ", 4) == 0) e = i, found = 1;
    if (!found || e < 2) return 0;
    for (size_t i = e + 4; i < n; i++)
        if (!(out[i] >= '0' && out[i] <= '9') && out[i] != ':') return 0;
    /* the tail: the ETA with the separator before it */
    if (memcmp(out + e - 2, ", ", 2) != 0 && memcmp(out + e - 2, "  ", 2) != 0) return 0;
    t = e - 2;
    tw = fit_width(out + t, n - t);
    if (tw >= (size_t)cols - 1) return 0;
    budget = (size_t)cols - 1 - tw;
    /* the longest run of whole fields before it that fits */
    for (size_t b = 1; b < t; b++)
        if ((memcmp(out + b, ", ", 2) == 0 || memcmp(out + b, "  ", 2) == 0) && out[b - 1] != ' ' &&
            out[b - 1] != ',' && fit_width(out, b) <= budget)
            best = b;
    if (best == 0) return 0;
    memmove(out + best, out + t, n - t);
    return best + (n - t);
}

size_t cli_progress_fit(const char *line, char *out, size_t cap, int cols)
{
    FILE *m;
    size_t n = 0, i, w = 0, k;
    if (cap == 0) return 0;
    /* escaped first (a name's control bytes become \xHH, 4 columns each), then cut */
    m = fmemopen(out, cap, "w");
    if (m != NULL) {
        setvbuf(m, NULL, _IONBF, 0);
        cli_put_safe(m, line, strlen(line));
        n = (size_t)ftell(m);
        fclose(m);
    }
    if (n >= cap) n = cap - 1;
    if (cols <= 0) return n;
    if (cols > 1 && fit_width(out, n) > (size_t)cols - 1 && (k = fit_keep_eta(out, n, cols)) > 0)
        return k;
    /* under the width, so the line never wraps: a carriage return goes back to the start of
     * the last row only, and each redraw of a wrapped line would leave rows behind. A
     * character beyond ASCII counts as 2 columns (it may be a wide one): cut early, never
     * late; a UTF-8 sequence is kept whole or left out. */
    for (i = 0; i < n;) {
        unsigned char c = (unsigned char)out[i];
        size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        size_t cw = c < 0x80 ? 1 : 2;
        if (w + cw > (size_t)cols - 1 || i + len > n) break;
        w += cw;
        i += len;
    }
    return i;
}

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
        char shown[4 * sizeof line + 1];
        size_t n = cli_progress_fit(line, shown, sizeof shown, cli_progress_cols());
        fputs("\r\033[K", stderr);
        fwrite(shown, 1, n, stderr);
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
