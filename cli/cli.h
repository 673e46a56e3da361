/* cli.h - what the command files share: the command table entry and small helpers.
 * The CLI uses the library only through datavet.h. */
#ifndef DV_CLI_H
#define DV_CLI_H

#include "datavet.h"

#include <stdio.h>

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
/* 1 when a (e.g. "--list", "-o") is a scan option that takes a value (scan's own getopt
 * table, so that `datavet slurm submit` passes scan options through without a copy) */
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
/* Monotonic time in seconds (progress lines, rates). */
double cli_now_s(void);

/* Help text for a command, from docs/datavet.1.md (generated at build time). */
const char *cli_help_text(const char *cmd);
/* Print a command's help to f. */
void cli_print_help(FILE *f, const char *cmd);

/* Parse a non-negative integer with optional K/M/G suffix (powers of 1000 for
 * pixel counts when si is set, else 1024). Returns 0 on success. */
int cli_parse_u64(const char *s, int si, unsigned long long *out);

#endif
