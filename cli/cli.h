/* cli.h - what the command files share: the command table entry and small helpers.
 * The CLI uses the library only through datavet.h. */
#ifndef DV_CLI_H
#define DV_CLI_H

#include "datavet.h"
#include "text_util.h"

#include <stdio.h>
#include <sys/stat.h>

typedef struct dv_cli_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} dv_cli_cmd;

int cmd_hash(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_match(int argc, char **argv);
int cmd_neighbors(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_scan(int argc, char **argv);
/* 1 when a (e.g. "--list", "-o") is a scan option that takes a value, 0 one that takes none,
 * -1 not a scan option (scan's own getopt table, so that `datavet slurm submit` passes scan
 * options through without a copy) */
int cli_scan_opt_has_arg(const char *a);
int cmd_merge(int argc, char **argv);
int cmd_slurm(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_inventory(int argc, char **argv);

/* fchmod(fd, 0600) when fd is a regular file; devices and pipes given as an output path
 * (-o /dev/null, -o /dev/stdout) keep their mode. Returns 0 or -1 like fchmod. */
int cli_chmod_private(int fd);
/* path opened for writing as an output is: created 0600 (or truncated and set to 0600 when
 * it is a regular file; devices keep their mode). NULL with errno set when it cannot be. */
FILE *cli_fopen_private(const char *path);
/* An output file (-o FILE) that is there whole or not at all: a regular file, or a path with
 * nothing there yet, is written to FILE.tmp.XXXXXX beside it (mode 0600) and renamed over
 * FILE by cli_out_close, so a run killed or failed midway leaves FILE as it was, never cut
 * short; a device or FIFO (-o /dev/null) is written in place; a link is followed (the file it
 * names is replaced). path NULL: stdout. */
typedef struct cli_out {
    FILE *f;
    char *tmp;    /* the file being written; NULL: written in place */
    char *target; /* what tmp is renamed to */
    int have_old; /* a regular file is at target now: the walks pass over it too */
    dev_t old_dev;
    ino_t old_ino;
    /* set by a cli_out_close that failed after the rename: the file is in place, its folder
     * could not be synced (cli_out_placed_err says so) */
    int placed;
} cli_out;
/* 0, or -1 with errno set. */
int cli_out_open(cli_out *o, const char *path);
/* As cli_out_open, for a file of an OUTDIR the command fills (not a path the user named):
 * whatever is at path, a link included, is replaced by the rename, never followed. */
int cli_out_open_in(cli_out *o, const char *path);
/* 1 when st is the output being written or the file it replaces: never an input. */
int cli_out_is(const cli_out *o, const struct stat *st);
/* Flush and close; keep: put the file in place (fdatasync'ed, renamed, its folder synced:
 * dv_file_sync, dv_file_rename), else remove what was written. 0, or -1 with errno set: the
 * file is then not put in place, unless o->placed says it was and only its folder's sync
 * failed (cli_out_placed_err). stdout is flushed. */
int cli_out_close(cli_out *o, int keep);
/* After a failed cli_out_close: where the file was put in place and only its folder's sync
 * failed (errno e), says so on stderr ("datavet CMD: PATH: written, but ...") and returns 1;
 * else 0, and the caller says the write failed. */
int cli_out_placed_err(const cli_out *o, const char *cmd, const char *path, int e);
/* After a failed dv_file_rename(tmp, path): where the rename was made and only the folder's
 * sync failed (tmp gone, path there), says so as cli_out_placed_err does and returns 1; else
 * 0, and the caller says the write failed. */
int cli_rename_placed_err(const char *cmd, const char *tmp, const char *path, int e);
/* 1 when the output path out (which need not exist) is the regular file a also names (a
 * link, another spelling): opening out would empty an input before it is read. */
int cli_same_file(const char *out, const char *a);
/* Monotonic time in seconds (progress lines, rates). */
double cli_now_s(void);

/* Help text for a command, from docs/datavet.1.md (generated at build time). */
const char *cli_help_text(const char *cmd);
/* Print a command's help to f. */
void cli_print_help(FILE *f, const char *cmd);
/* A usage error of cmd ("hash", "list build", "slurm wait"), exit status 2: "datavet CMD:
 * WHY" (fmt NULL: getopt has printed its message, naming the option), the usage lines of
 * cmd's help and "Try 'datavet TOP --help'." on stderr. Returns 2. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* getopt's messages name the command as the user typed it ("datavet hash: unrecognized
 * option '--x'"), not argv[0] as the command table passes it ("hash"). */
static inline void cli_getopt_name(char **argv, const char *name)
{
    argv[0] = (char *)name;
}

/* Parse a non-negative integer with optional K/M/G suffix (powers of 1000 for
 * pixel counts when si is set, else 1024). Returns 0 on success. */
int cli_parse_u64(const char *s, int si, unsigned long long *out);

/* Bad option values name the option: "datavet CMD: OPT ARG: WHAT" on stderr (e.g. "datavet
 * scan: --pdq-radius 64: not an integer from 0 to 63"). cli_bad_opt prints it and returns 2,
 * the exit status of a usage error. */
int cli_bad_opt(const char *cmd, const char *opt, const char *arg, const char *what);
/* sfx of cli_opt_uint: CLI_DIGITS takes digits only; CLI_SFX_1000 and CLI_SFX_1024 also a K, M
 * or G suffix (powers of 1000 or 1024), which the message then names. */
enum { CLI_DIGITS = 0, CLI_SFX_1000 = 1, CLI_SFX_1024 = 2 };
/* An integer option value from lo to hi (hi ULLONG_MAX: no upper bound) into *out: 0, or the
 * message of cli_bad_opt and -1. */
int cli_opt_uint(const char *cmd, const char *opt, const char *arg, int sfx,
                 unsigned long long lo, unsigned long long hi, unsigned long long *out);
/* A finite number from lo to hi (either may be +-HUGE_VAL: no bound) into *out: 0, or the
 * message of cli_bad_opt and -1. */
int cli_opt_num(const char *cmd, const char *opt, const char *arg, double lo, double hi,
                double *out);

/* "1 match" and "2 matches": the word for n of a thing. */
static inline const char *cli_plural(unsigned long long n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

#endif
