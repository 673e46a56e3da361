/* main.c - the datavet command: a git-style table of subcommands.
 * Results go to stdout, diagnostics to stderr; exit 0 ok, 1 findings (where a command has
 * them), 2 usage error or failure. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "help_text.h"

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const dv_cli_cmd commands[] = {
    {"hash", cmd_hash, "hash image files: PDQ, MD5, SHA-1, SHA-256"},
    {"list", cmd_list, "build, describe and compare hash lists (.dvl)"},
    {"match", cmd_match, "match datavet hash output against compiled hash lists"},
    {"fetch", cmd_fetch, "download URL lists and hash the images in memory"},
    {"scan", cmd_scan, "scan a dataset against hash lists: matches, report, cleaned copy"},
    {"merge", cmd_merge, "write a scan's final outputs from its per-shard results"},
    {"slurm", cmd_slurm, "run a scan as a Slurm array job: submit, status, wait, resubmit"},
    {"export", cmd_export, "a scan's matches as hotline-report rows (CSV, JSON)"},
    {"inspect", cmd_inspect, "describe a dataset file or directory; --head prints rows"},
    {"neighbors", cmd_neighbors, "exact nearest neighbours of seed embeddings (candidates)"},
    {"inventory", cmd_inventory, "find copies of known datasets and models on a machine"},
    {"keygen", cmd_keygen, "make an Ed25519 key pair for signing scans"},
    {"verify", cmd_verify, "check a signed scan's outputs against its manifest"},
    {"help", cmd_help, "show help for datavet or one command"},
    {"version", cmd_version, "print the version"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

const char *cli_help_text(const char *cmd)
{
    for (size_t i = 0; i < sizeof(dv_help_texts) / sizeof(dv_help_texts[0]); i++)
        if (strcmp(dv_help_texts[i].name, cmd) == 0) return dv_help_texts[i].text;
    return NULL;
}

void cli_print_help(FILE *f, const char *cmd)
{
    const char *t = cli_help_text(cmd);
    if (t != NULL) fputs(t, f);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    char top[32], why[1024];
    const char *t, *sp = strchr(cmd, ' ');
    size_t n = sp ? (size_t)(sp - cmd) : strlen(cmd);
    int in_usage = 0;
    if (fmt != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, sizeof why, fmt, ap);
        va_end(ap);
        cli_err("datavet %s: %s\n", cmd, why);
    }
    if (n >= sizeof top) n = sizeof top - 1;
    memcpy(top, cmd, n);
    top[n] = '\0';
    /* the help's usage lines, up to the first blank one: of a subcommand, those naming it */
    t = cli_help_text(top);
    while (t != NULL && *t != '\0' && *t != '\n') {
        const char *nl = strchr(t, '\n');
        size_t ln = nl ? (size_t)(nl - t) : strlen(t);
        char line[512];
        if (ln >= sizeof line) ln = sizeof line - 1;
        memcpy(line, t, ln);
        line[ln] = '\0';
        if (strncmp(line, "usage:", 6) == 0) in_usage = 1;
        if (in_usage && !sp) {
            cli_err("%s\n", line);
        } else if (in_usage) {
            /* "usage: datavet slurm submit ..." and "       datavet slurm status ...": the
             * lines of the subcommand, each as a usage line of its own */
            const char *body = line + (strncmp(line, "usage:", 6) == 0 ? 6 : 0);
            size_t cl = strlen(cmd);
            while (*body == ' ') body++;
            if (strncmp(body, "datavet ", 8) == 0 && strncmp(body + 8, cmd, cl) == 0 &&
                (body[8 + cl] == ' ' || body[8 + cl] == '\0'))
                cli_err("usage: %s\n", body);
        }
        t = nl ? nl + 1 : t + ln;
    }
    cli_err("Try 'datavet %s --help'.\n", top);
    return 2;
}

double cli_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cli_chmod_private(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0) return -1;
    if (!S_ISREG(st.st_mode)) return 0;
    return fchmod(fd, 0600);
}

FILE *cli_fopen_private(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), e;
    FILE *f = NULL;
    if (fd >= 0 && cli_chmod_private(fd) == 0) f = fdopen(fd, "w");
    if (f == NULL && fd >= 0) {
        e = errno;
        close(fd);
        errno = e;
    }
    return f;
}

static int out_tmp(cli_out *o);

int cli_out_open(cli_out *o, const char *path)
{
    struct stat st, lst;
    memset(o, 0, sizeof *o);
    if (path == NULL) {
        o->f = stdout;
        return 0;
    }
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* a device or FIFO: written in place (a folder fails here, named by errno) */
        o->f = cli_fopen_private(path);
        return o->f ? 0 : -1;
    }
    if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
        /* the file the link names is replaced (a dangling link: created through it) */
        o->target = realpath(path, NULL);
        if (o->target == NULL) {
            o->f = cli_fopen_private(path);
            return o->f ? 0 : -1;
        }
    } else {
        o->target = strdup(path);
        if (o->target == NULL) return -1;
    }
    if (stat(o->target, &st) == 0 && S_ISREG(st.st_mode)) {
        o->have_old = 1;
        o->old_dev = st.st_dev;
        o->old_ino = st.st_ino;
    }
    return out_tmp(o);
}

int cli_out_open_in(cli_out *o, const char *path)
{
    memset(o, 0, sizeof *o);
    o->target = strdup(path);
    if (o->target == NULL) return -1;
    return out_tmp(o);
}

/* o->tmp made beside o->target by mkstemp (0600, O_EXCL: never a link's file) and opened */
static int out_tmp(cli_out *o)
{
    int fd, e;
    size_t n;
    n = strlen(o->target);
    o->tmp = malloc(n + sizeof ".tmp.XXXXXX");
    if (o->tmp == NULL) goto fail;
    memcpy(o->tmp, o->target, n);
    memcpy(o->tmp + n, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
    fd = mkstemp(o->tmp); /* 0600 */
    if (fd < 0) goto fail;
    o->f = fdopen(fd, "w");
    if (o->f != NULL) return 0;
    e = errno;
    close(fd);
    unlink(o->tmp);
    errno = e;
fail:
    e = errno;
    free(o->tmp);
    free(o->target);
    memset(o, 0, sizeof *o);
    errno = e;
    return -1;
}

int cli_out_is(const cli_out *o, const struct stat *st)
{
    struct stat ts;
    if (o->have_old && st->st_dev == o->old_dev && st->st_ino == o->old_ino) return 1;
    return o->f != NULL && fstat(fileno(o->f), &ts) == 0 && S_ISREG(ts.st_mode) &&
           st->st_dev == ts.st_dev && st->st_ino == ts.st_ino;
}

int cli_out_close(cli_out *o, int keep)
{
    int bad = 0, e = 0;
    if (o->f == NULL) return 0;
    if (fflush(o->f) != 0 || ferror(o->f)) bad = 1, e = errno ? errno : EIO;
    if (o->f == stdout) {
        o->f = NULL;
        errno = e;
        return bad ? -1 : 0;
    }
    if (!bad && keep && o->tmp != NULL && dv_file_sync(fileno(o->f)) != DV_OK) bad = 1, e = errno;
    if (fclose(o->f) != 0 && !bad) bad = 1, e = errno;
    o->f = NULL;
    if (o->tmp != NULL) {
        struct stat st;
        if (keep && !bad && dv_file_rename(o->tmp, o->target) != DV_OK) {
            bad = 1, e = errno;
            /* tmp gone and target there: the rename was made, the folder's sync failed
             * (datavet.h, dv_file_rename) */
            o->placed = lstat(o->tmp, &st) != 0 && errno == ENOENT && lstat(o->target, &st) == 0;
        }
        /* (after a rename whose folder sync failed, tmp names nothing: unlink does nothing) */
        if (!keep || bad) unlink(o->tmp);
    }
    free(o->tmp);
    free(o->target);
    o->tmp = o->target = NULL;
    errno = e;
    return bad ? -1 : 0;
}

static void placed_msg(const char *cmd, const char *path, int e)
{
    cli_err("datavet %s: %s: written, but its folder could not be synced (%s): the file is in "
            "place and may not survive a power loss\n", cmd, path, strerror(e));
}

int cli_out_placed_err(const cli_out *o, const char *cmd, const char *path, int e)
{
    if (!o->placed) return 0;
    placed_msg(cmd, path, e);
    return 1;
}

int cli_rename_placed_err(const char *cmd, const char *tmp, const char *path, int e)
{
    struct stat st;
    /* tmp gone and path there: the rename was made (datavet.h, dv_file_rename) */
    if (!(lstat(tmp, &st) != 0 && errno == ENOENT && lstat(path, &st) == 0)) return 0;
    placed_msg(cmd, path, e);
    return 1;
}

int cli_same_file(const char *out, const char *a)
{
    struct stat so, sa;
    if (out == NULL || a == NULL || stat(out, &so) != 0 || stat(a, &sa) != 0) return 0;
    return S_ISREG(so.st_mode) && so.st_dev == sa.st_dev && so.st_ino == sa.st_ino;
}

int cli_parse_u64(const char *s, int si, unsigned long long *out)
{
    char *end;
    unsigned long long v, mul = 1, base = si ? 1000ull : 1024ull;
    if (s == NULL || *s == '\0' || *s == '-') return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s) return -1;
    switch (*end) {
    case '\0': break;
    case 'k': case 'K': mul = base; end++; break;
    case 'm': case 'M': mul = base * base; end++; break;
    case 'g': case 'G': mul = base * base * base; end++; break;
    default: return -1;
    }
    if (*end != '\0') return -1;
    if (mul != 1 && v > ~0ull / mul) return -1;
    *out = v * mul;
    return 0;
}

int cli_bad_opt(const char *cmd, const char *opt, const char *arg, const char *what)
{
    cli_err("datavet %s: %s %s: %s\n", cmd, opt, arg, what);
    return 2;
}

int cli_opt_uint(const char *cmd, const char *opt, const char *arg, int sfx,
                 unsigned long long lo, unsigned long long hi, unsigned long long *out)
{
    unsigned long long v;
    const char *p = arg;
    char what[160];
    int n;
    if (sfx == CLI_DIGITS)
        while (*p >= '0' && *p <= '9') p++;
    if ((sfx == CLI_DIGITS && *p != '\0') ||
        cli_parse_u64(arg, sfx == CLI_SFX_1000, &v) != 0 || v < lo || v > hi) {
        if (hi == ULLONG_MAX)
            n = snprintf(what, sizeof what, "not an integer of %llu or more", lo);
        else
            n = snprintf(what, sizeof what, "not an integer from %llu to %llu", lo, hi);
        if (sfx != CLI_DIGITS && n > 0 && (size_t)n < sizeof what)
            snprintf(what + n, sizeof what - (size_t)n, " (K, M, G: %ss)",
                     sfx == CLI_SFX_1000 ? "1000" : "1024");
        cli_bad_opt(cmd, opt, arg, what);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_opt_num(const char *cmd, const char *opt, const char *arg, double lo, double hi,
                double *out)
{
    char *end, what[160];
    double v;
    errno = 0;
    v = strtod(arg, &end);
    if (errno != 0 || end == arg || *end != '\0' || !isfinite(v) || v < lo || v > hi) {
        if (isinf(lo) && isinf(hi)) snprintf(what, sizeof what, "not a number");
        else if (isinf(hi)) snprintf(what, sizeof what, "not a number of %g or more", lo);
        else if (isinf(lo)) snprintf(what, sizeof what, "not a number of %g or less", hi);
        else snprintf(what, sizeof what, "not a number from %g to %g", lo, hi);
        cli_bad_opt(cmd, opt, arg, what);
        return -1;
    }
    *out = v;
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: datavet [--version] [--help] <command> [<args>]\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "   %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'datavet help <command>' or 'datavet <command> --help' for details.\n");
}

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("datavet %s (simd: %s)\n", dv_version(), dv_simd_name(dv_simd_best()));
    return 0;
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        usage(stdout);
        return 0;
    }
    if (cli_help_text(argv[1]) == NULL) {
        cli_err("datavet: no help for '%s'\n", argv[1]);
        return 2;
    }
    cli_print_help(stdout, argv[1]);
    return 0;
}

/* LeakSanitizer stops the process with ptrace from a helper process, which a process that is
 * not dumpable refuses unless the helper holds CAP_SYS_PTRACE (containers drop it): sanitizer
 * builds keep the process dumpable, with the core limit still 0. */
#if defined(__SANITIZE_ADDRESS__)
#define DV_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DV_SANITIZED 1
#endif
#endif
#ifndef DV_SANITIZED
#define DV_SANITIZED 0
#endif

/* No core dumps, ever: a crash (in a decoder on hostile input, say) would otherwise write the
 * process's memory, image bytes and decoded pixels included, to a core file or to the
 * system's crash collector. The soft and hard limits go to 0, and the process is marked
 * not dumpable, which also stops a core_pattern pipe (systemd-coredump, apport) from
 * receiving one. Done before anything is read. */
static void no_core_dumps(void)
{
    struct rlimit rl;
    rl.rlim_cur = 0;
    rl.rlim_max = 0;
    (void)setrlimit(RLIMIT_CORE, &rl);
#if defined(__linux__) && !DV_SANITIZED
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

int main(int argc, char **argv)
{
    no_core_dumps();
#if defined(__GLIBC__)
    /* Decoders allocate and free image-sized buffers for every file; keeping them
     * in the heap instead of fresh mmaps avoids page-faulting them in each time. */
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    /* OpenBLAS's idle threads stopped: they would spin for 0.1 s on the workers' cores */
    dv_blas_global_init();
    /* libcurl (the fetcher) is initialised once, before any thread starts */
    if (dv_net_global_init() != DV_OK) {
        cli_err("datavet: cannot initialise libcurl\n");
        return 2;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
        return cmd_version(argc - 1, argv + 1);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].fn(argc - 1, argv + 1);
    }
    cli_err("datavet: '%s' is not a datavet command. See 'datavet --help'.\n", argv[1]);
    return 2;
}
