/* progress_line.h - the progress line of hash, match, fetch, scan, merge, export, inventory,
 * verify, neighbors and slurm wait: redrawn in place on a terminal (cut to its width), plain
 * lines elsewhere (--progress into a file). */
#ifndef DV_CLI_PROGRESS_LINE_H
#define DV_CLI_PROGRESS_LINE_H

#include <stddef.h>

/* On a terminal the line is drawn over itself ("\r\033[K") at most 10 times a second; when
 * stderr is not one (--progress 2>log), a log is read later, so each update is a line of its
 * own, with no control sequences, at most one every CLI_PROGRESS_LOG_S seconds (the last
 * state of a stage or run still comes, once). */
#define CLI_PROGRESS_LOG_S 5.0

typedef struct cli_progress {
    int show;       /* draw at all: not -q, and stderr a terminal or --progress given */
    int tty;        /* stderr is a terminal */
    int drawn;      /* a terminal line is drawn and not yet ended */
    double tlast;   /* when a line was last written; 0: never */
    char last[512]; /* not a terminal: the last line written, not written twice */
} cli_progress;

/* quiet: -q; force: --progress. */
void cli_progress_init(cli_progress *p, int quiet, int force);
/* 1 when an update is to be written now: p->show, and 0.1 s (a terminal) or
 * CLI_PROGRESS_LOG_S (elsewhere) since the last, or final (the last state of a stage or of
 * the run, which is written however soon). The caller then calls cli_progress_put. */
int cli_progress_due(cli_progress *p, int final);
/* Write the update fmt: over the terminal line, or as a line of its own (not when it is the
 * line written last). */
void cli_progress_put(cli_progress *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The terminal's width in columns (stderr's), 0 when unknown. */
int cli_progress_cols(void);
/* line as drawn on a terminal of cols columns (0: no limit): escaped as every message
 * (text_util.h), then cut to at most cols - 1 columns so that it never wraps (a wrapped line
 * is not redrawn in place: each update would leave rows behind). Into out (cap bytes, NUL
 * not written); returns the bytes. */
size_t cli_progress_fit(const char *line, char *out, size_t cap, int cols);
/* Before other output on stderr and at the end: a terminal line is ended (keep: with a line
 * feed, so it stays) or erased; elsewhere nothing is left to do. */
void cli_progress_end(cli_progress *p, int keep);

#endif
