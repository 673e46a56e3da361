/* cmd_list.c - `datavet list build|info|diff`: compile hash lists into .dvl files and describe
 * them. Lists are sensitive: no subcommand ever prints an entry, only counts, metadata and digests.
 */
#include "cli.h"
#include "progress_line.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_MAX_BYTES (4ull << 30)

static void put_hex(FILE *f, const uint8_t *d, size_t n)
{
    char hex[65];
    dv_hex_encode(d, n, hex);
    fputs(hex, f);
}

/* The progress line (progress_line.h) of list build: entries read, their rate and, for a
 * regular file, how far through it and the ETA; list diff: entries compared. */
typedef struct build_progress {
    cli_progress pl;
    const char *name;
    uint64_t total;       /* the input's size, 0 when not a regular file */
    uint64_t entries0;    /* entries of the inputs before this one */
    uint64_t bytes, entries;
    double t0;
} build_progress;

static void build_progress_put(build_progress *bp, int final)
{
    double el = cli_now_s() - bp->t0, f = bp->total > 0 ? (double)bp->bytes / (double)bp->total : 0;
    const uint64_t e = bp->entries0 + bp->entries;
    char eta[40] = "", pct[16] = "";
    if (!cli_progress_due(&bp->pl, final)) return;
    if (f > 1) f = 1;
    if (bp->total > 0) snprintf(pct, sizeof pct, ", %.0f%%", f * 100);
    if (!final && bp->total > 0 && el > 0.5 && f > 0 && f < 1) {
        double sec = el / f * (1 - f);
        snprintf(eta, sizeof eta, ", ETA %02d:%02d:%02d", (int)(sec / 3600),
                 (int)(sec / 60) % 60, (int)sec % 60);
    }
    cli_progress_put(&bp->pl, "list build: %s: %llu entries, %.0f entries/s%s%s", bp->name,
                     (unsigned long long)e, el > 0 ? (double)e / el : 0.0, pct, eta);
}

static void on_import_progress(void *ctx, uint64_t bytes_read, uint64_t entries)
{
    build_progress *bp = ctx;
    bp->bytes = bytes_read;
    bp->entries = entries;
    build_progress_put(bp, 0);
}

/* Each line of a builder message on stderr, after the prefix. */
static void print_lines(const char *prefix, const char *msg)
{
    while (*msg) {
        const char *nl = strchr(msg, '\n');
        size_t n = nl ? (size_t)(nl - msg) : strlen(msg);
        cli_err_line(prefix, msg, n); /* escaped by the library: not again */
        msg += n + (nl != NULL);
    }
}

static int usage_error(const char *sub, const char *msg)
{
    char cmd[32];
    snprintf(cmd, sizeof cmd, "list %s", sub);
    return msg ? cli_usage(cmd, "%s", msg) : cli_usage(cmd, NULL);
}

static int list_build(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"name", required_argument, NULL, 'N'},
        {"version", required_argument, NULL, 'V'},
        {"source", required_argument, NULL, 'S'},
        {"type", required_argument, NULL, 't'},
        {"strict", no_argument, NULL, 's'},
        {"max-bytes", required_argument, NULL, 'B'},
        {"quiet", no_argument, NULL, 'q'},
        {"progress", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    dv_list_meta meta = {NULL, NULL, NULL};
    char default_name[256];
    dv_hash_type type = DV_HT_NONE;
    dv_import_stats st;
    unsigned long long max = DEFAULT_MAX_BYTES;
    int opt, strict = 0, quiet = 0, rc, nstdin = 0, force_progress = 0;
    dv_list_builder *b;
    build_progress bp;
    dv_list *l = NULL;
    dv_list_info info;
    char err[512];

    optind = 1;
    cli_getopt_name(argv, "datavet list build");
    while ((opt = getopt_long(argc, argv, "o:t:qh", opts, NULL)) != -1) {
        switch (opt) {
        case 'o': out = optarg; break;
        case 'N': meta.name = optarg; break;
        case 'V': meta.version = optarg; break;
        case 'S': meta.source = optarg; break;
        case 't':
            if (dv_hash_type_parse(optarg, &type) != DV_OK || type == DV_HT_NONE) {
                cli_err("datavet list build: bad --type '%s' (md5, sha1, sha256, pdq, url, "
                        "url-md5, url-sha1 or url-sha256)\n",
                        optarg);
                return 2;
            }
            break;
        case 's': strict = 1; break;
        case 'B':
            if (cli_opt_uint("list build", "--max-bytes", optarg, CLI_SFX_1024, 1, ULLONG_MAX,
                             &max) != 0)
                return 2;
            break;
        case 'q': quiet = 1; break;
        case 'P': force_progress = 1; break;
        case 'h': cli_print_help(stdout, "list"); return 0;
        default: return usage_error("build", NULL);
        }
    }
    if (out == NULL) return usage_error("build", "no output file (-o NAME.dvl)");
    if (meta.name == NULL) {
        /* a list is named in every report: without --name, by its file ("known.dvl" ->
         * "known") */
        const char *base = strrchr(out, '/');
        size_t n;
        base = base ? base + 1 : out;
        n = strlen(base);
        if (n > 4 && strcmp(base + n - 4, ".dvl") == 0) n -= 4;
        if (n >= sizeof default_name) n = sizeof default_name - 1;
        memcpy(default_name, base, n);
        default_name[n] = '\0';
        meta.name = default_name;
    }
    if (optind >= argc) return usage_error("build", "no input (give files, or - for stdin)");
    for (int i = optind; i < argc; i++) nstdin += strcmp(argv[i], "-") == 0;
    if (nstdin > 1) return usage_error("build", "- (stdin) given more than once");

    b = dv_list_builder_create(type, NULL);
    if (b == NULL) {
        cli_err("datavet list build: out of memory\n");
        return 2;
    }
    memset(&st, 0, sizeof(st));
    memset(&bp, 0, sizeof(bp));
    cli_progress_init(&bp.pl, quiet, force_progress);
    bp.t0 = cli_now_s();
    for (int i = optind; i < argc; i++) {
        const int is_stdin = strcmp(argv[i], "-") == 0;
        const char *name = is_stdin ? "<stdin>" : argv[i];
        dv_import_stats one;
        dv_list_import_opts io;
        struct stat sb;
        int fd = STDIN_FILENO;

        if (!is_stdin) {
            /* non-blocking open, so a FIFO or device is refused instead of waited on (standard
             * input is for pipes); O_NONBLOCK means nothing to a regular file's reads */
            fd = open(argv[i], O_RDONLY | O_CLOEXEC | O_NONBLOCK);
            if (fd < 0) {
                cli_progress_end(&bp.pl, 0);
                cli_err("datavet list build: %s: cannot open: %s\n", name, strerror(errno));
                dv_list_builder_free(b);
                return 2;
            }
        }
        if (fstat(fd, &sb) != 0) memset(&sb, 0, sizeof(sb));
        if ((!is_stdin && !S_ISREG(sb.st_mode)) ||
            (!is_stdin && (uint64_t)sb.st_size > max)) {
            const int reg = S_ISREG(sb.st_mode);
            cli_progress_end(&bp.pl, 0);
            if (!reg) cli_err("datavet list build: %s: not a regular file\n", name);
            else
                cli_err("datavet list build: %s: file is %lld bytes, over the limit of %llu\n",
                        name, (long long)sb.st_size, max);
            if (!is_stdin) close(fd);
            dv_list_builder_free(b);
            return 2;
        }
        memset(&io, 0, sizeof(io));
        io.forced = type;
        io.strict = strict;
        io.max_bytes = max;
        io.progress = on_import_progress; /* draws nothing unless shown; counts the bytes */
        io.progress_ctx = &bp;
        bp.name = name;
        bp.total = S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
        bp.bytes = bp.entries = 0;
        memset(&one, 0, sizeof(one));
        rc = dv_list_builder_import_fd(b, name, fd, &io, &one);
        if (!is_stdin) close(fd);
        build_progress_put(&bp, 1);
        bp.entries0 += one.entries;
        cli_progress_end(&bp.pl, 0);
        if (rc != DV_OK) {
            if (rc == DV_ETOOBIG && bp.bytes > max)
                cli_err("datavet list build: %s: input exceeds a configured limit (see "
                        "--max-bytes)\n",
                        name);
            else print_lines("datavet list build: ", dv_list_builder_errmsg(b));
            if (rc == DV_ECORRUPT && strict)
                cli_err("datavet list build: stopped at the first bad line (--strict); "
                        "nothing written\n");
            dv_list_builder_free(b);
            return 2;
        }
        if (!quiet) {
            print_lines("datavet list build: warning: ", dv_list_builder_errmsg(b));
            cli_err("datavet list build: %s: lines %llu, entries %llu, bad lines %llu\n", name,
                    (unsigned long long)one.lines, (unsigned long long)one.entries,
                    (unsigned long long)one.bad);
        }
        st.lines += one.lines;
        st.entries += one.entries;
        st.bad += one.bad;
    }
    if (st.entries == 0 && st.bad > 0) {
        /* a list that can match nothing, made of nothing but bad lines, is a mistake (a wrong
         * --type or format), not a list: it would scan clean */
        cli_err("datavet list build: no entries, %llu bad line%s (is --type or the "
                "format wrong?); nothing written\n",
                (unsigned long long)st.bad, st.bad == 1 ? "" : "s");
        dv_list_builder_free(b);
        return 2;
    }
    /* sorting, the digest and the write take a while at 10^7 entries: said, once */
    if (cli_progress_due(&bp.pl, 1))
        cli_progress_put(&bp.pl, "list build: writing %s: %llu entries", out,
                         (unsigned long long)st.entries);
    rc = dv_list_builder_write(b, &meta, out, &st);
    cli_progress_end(&bp.pl, 0);
    if (rc != DV_OK) {
        print_lines("datavet list build: ", dv_list_builder_errmsg(b));
        dv_list_builder_free(b);
        return 2;
    }
    dv_list_builder_free(b);
#if defined(__GLIBC__)
    /* the entries' memory goes back before the list is mapped and read: main() keeps freed
     * memory under 512 MiB in the heap (M_TRIM_THRESHOLD), which would hold both at once */
    malloc_trim(0);
#endif
    /* read back what was written: proves it opens, and gives the digest */
    rc = dv_list_open_flags(out, DV_LIST_NO_INDEX, &l, err, sizeof(err));
    if (rc != DV_OK) {
        cli_err("datavet list build: the written list does not open: %s\n", err);
        return 2;
    }
    dv_list_get_info(l, &info);
    if (!quiet) {
        cli_err("datavet list build: wrote %s: type %s, entries %llu, duplicates merged %llu, "
                "bad lines skipped %llu\n",
                out, dv_hash_type_name(info.type), (unsigned long long)info.count,
                (unsigned long long)st.duplicates, (unsigned long long)st.bad);
        cli_err("datavet list build: digest ");
        put_hex(stderr, info.digest, 32);
        fputc('\n', stderr);
    }
    dv_list_close(l);
    return 0;
}

/* list diff's progress line: the stage (opening OLD, checking OLD, opening NEW, checking NEW,
 * comparing), entries done and the share of the stage's. */
typedef struct diff_progress {
    cli_progress pl;
    const char *stage;
    double t0;
} diff_progress;

static void on_diff_progress(void *ctx, uint64_t done, uint64_t total)
{
    diff_progress *dp = ctx;
    double el = cli_now_s() - dp->t0;
    if (!cli_progress_due(&dp->pl, done == total)) return;
    cli_progress_put(&dp->pl, "list diff: %s: %llu of %llu entries, %.0f entries/s, %.0f%%",
                     dp->stage, (unsigned long long)done, (unsigned long long)total,
                     el > 0 ? (double)done / el : 0.0,
                     total > 0 ? 100.0 * (double)done / (double)total : 100.0);
}

static int open_or_say(const char *sub, const char *path, const char *which, dv_list **l,
                       diff_progress *dp)
{
    char err[512], stage[32];
    int rc;
    /* info and diff walk the entries in order and look no key up: no index. The open checks
     * the keys' order, a pass over the whole list as long as the digest's */
    if (dp != NULL) {
        snprintf(stage, sizeof stage, "opening %s", which);
        dp->stage = stage;
        dp->t0 = cli_now_s();
    }
    rc = dv_list_open_progress(path, DV_LIST_NO_INDEX, dp ? on_diff_progress : NULL, dp, l, err,
                               sizeof(err));
    if (dp != NULL) cli_progress_end(&dp->pl, 0);
    if (rc == DV_OK) {
        /* the digest list info prints must be the content's */
        char ve[256];
        if (dp != NULL) {
            snprintf(stage, sizeof stage, "checking %s", which);
            dp->t0 = cli_now_s();
        }
        rc = dv_list_verify_progress(*l, dp ? on_diff_progress : NULL, dp, ve, sizeof(ve));
        if (dp != NULL) cli_progress_end(&dp->pl, 0);
        if (rc != DV_OK) {
            snprintf(err, sizeof(err), "%.250s: %.250s", path, ve);
            dv_list_close(*l);
            *l = NULL;
        }
    }
    if (dp != NULL) dp->stage = ""; /* not this function's stage array past its end */
    if (rc != DV_OK) {
        /* err names the file and the reason; dv_strerror(rc) would only repeat it vaguely */
        cli_err("datavet list %s: %s\n", sub, err);
    }
    return rc;
}

static int list_info(int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    dv_list *l = NULL;
    dv_list_info in;
    uint64_t with_id = 0, with_label = 0;
    char when[64] = "";
    int opt;
    struct tm tm;
    time_t t;

    optind = 1;
    cli_getopt_name(argv, "datavet list info");
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (opt == 'h') {
            cli_print_help(stdout, "list");
            return 0;
        }
        return usage_error("info", NULL);
    }
    if (argc - optind != 1) return usage_error("info", "give one .dvl file");
    if (open_or_say("info", argv[optind], NULL, &l, NULL) != DV_OK) return 2;
    dv_list_get_info(l, &in);
    for (uint64_t i = 0; i < in.count; i++) {
        dv_list_entry e;
        if (dv_list_get_entry(l, i, &e) != DV_OK) break;
        with_id += e.id[0] != '\0';
        with_label += e.label[0] != '\0';
    }
    t = (time_t)in.created;
    if ((int64_t)t == in.created && gmtime_r(&t, &tm) != NULL)
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    printf("format: dvl %u\n", in.format_version);
    printf("type: %s\n", dv_hash_type_name(in.type));
    printf("entries: %llu\n", (unsigned long long)in.count);
    printf("with id: %llu\n", (unsigned long long)with_id);
    printf("with label: %llu\n", (unsigned long long)with_label);
    /* the header's texts are the list maker's: for a terminal (text_util.h) */
    cli_fmt(stdout, "name: %s\nversion: %s\nsource: %s\n", in.name, in.version, in.source);
    printf("created: %s (%lld)\n", when[0] ? when : "?", (long long)in.created);
    printf("digest: ");
    put_hex(stdout, in.digest, 32);
    printf("\n");
    dv_list_close(l);
    if (fflush(stdout) != 0) {
        cli_err("datavet list info: write failed: %s\n", strerror(errno));
        return 2;
    }
    return 0;
}

static int list_diff(int argc, char **argv)
{
    static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'},
                                         {"progress", no_argument, NULL, 'P'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    dv_list *a = NULL, *b = NULL;
    dv_list_info ia, ib;
    uint64_t added = 0, removed = 0;
    int opt, quiet = 0, force_progress = 0, rc;
    diff_progress dp;

    optind = 1;
    cli_getopt_name(argv, "datavet list diff");
    while ((opt = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (opt) {
        case 'q': quiet = 1; break;
        case 'P': force_progress = 1; break;
        case 'h': cli_print_help(stdout, "list"); return 0;
        default: return usage_error("diff", NULL);
        }
    }
    if (argc - optind != 2) return usage_error("diff", "give two .dvl files: OLD NEW");
    memset(&dp, 0, sizeof(dp));
    cli_progress_init(&dp.pl, quiet, force_progress);
    if (open_or_say("diff", argv[optind], "OLD", &a, &dp) != DV_OK) return 2;
    if (open_or_say("diff", argv[optind + 1], "NEW", &b, &dp) != DV_OK) {
        dv_list_close(a);
        return 2;
    }
    dv_list_get_info(a, &ia);
    dv_list_get_info(b, &ib);
    dp.stage = "comparing";
    dp.t0 = cli_now_s();
    rc = dv_list_diff_progress(a, b, &added, &removed, on_diff_progress, &dp);
    cli_progress_end(&dp.pl, 0);
    if (rc != DV_OK) {
        cli_err("datavet list diff: OLD is a %s list and NEW a %s list: nothing to compare\n",
                dv_hash_type_name(ia.type), dv_hash_type_name(ib.type));
        dv_list_close(a);
        dv_list_close(b);
        return 2;
    }
    printf("type: %s\n", dv_hash_type_name(ia.type));
    printf("old entries: %llu\n", (unsigned long long)ia.count);
    printf("new entries: %llu\n", (unsigned long long)ib.count);
    printf("added: %llu\n", (unsigned long long)added);
    printf("retracted: %llu\n", (unsigned long long)removed);
    printf("unchanged: %llu\n", (unsigned long long)(ib.count - added));
    dv_list_close(a);
    dv_list_close(b);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_err("datavet list diff: write failed: %s\n", strerror(errno));
        return 2;
    }
    return 0;
}

int cmd_list(int argc, char **argv)
{
    if (argc < 2) return cli_usage("list", "missing subcommand (build, info or diff)");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        cli_print_help(stdout, "list");
        return 0;
    }
    if (strcmp(argv[1], "build") == 0) return list_build(argc - 1, argv + 1);
    if (strcmp(argv[1], "info") == 0) return list_info(argc - 1, argv + 1);
    if (strcmp(argv[1], "diff") == 0) return list_diff(argc - 1, argv + 1);
    return cli_usage("list", "'%s' is not a list subcommand (build, info or diff)", argv[1]);
}
