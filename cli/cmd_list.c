/* cmd_list.c - `datavet list build|info|diff`: compile hash lists into .dvl files and describe
 * them. Lists are sensitive: no subcommand ever prints an entry, only counts, metadata and digests.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
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

/* The whole of standard input, up to max bytes. */
static int read_stdin(unsigned long long max, void **buf_out, size_t *len_out)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    if (buf == NULL) return DV_ENOMEM;
    for (;;) {
        ssize_t n;
        if (len == cap) {
            size_t ncap = cap * 2;
            char *nb;
            if (cap > max) {
                free(buf);
                return DV_ETOOBIG;
            }
            nb = realloc(buf, ncap);
            if (nb == NULL) {
                free(buf);
                return DV_ENOMEM;
            }
            buf = nb;
            cap = ncap;
        }
        n = read(STDIN_FILENO, buf + len, cap - len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            free(buf);
            return DV_EIO;
        }
        if (n == 0) break;
        len += (size_t)n;
    }
    if (len > max) {
        free(buf);
        return DV_ETOOBIG;
    }
    *buf_out = buf;
    *len_out = len;
    return DV_OK;
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
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    dv_list_meta meta = {NULL, NULL, NULL};
    char default_name[256];
    dv_hash_type type = DV_HT_NONE;
    dv_import_stats st;
    unsigned long long max = DEFAULT_MAX_BYTES;
    int opt, strict = 0, quiet = 0, rc, nstdin = 0;
    dv_list_builder *b;
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
    for (int i = optind; i < argc; i++) {
        const int is_stdin = strcmp(argv[i], "-") == 0;
        const char *name = is_stdin ? "<stdin>" : argv[i];
        dv_import_stats one;
        void *buf = NULL;
        size_t len = 0;

        err[0] = '\0';
        rc = is_stdin ? read_stdin(max, &buf, &len)
                      : dv_read_file(argv[i], max, NULL, &buf, &len, err, sizeof(err));
        if (rc != DV_OK) {
            if (err[0] == '\0')
                snprintf(err, sizeof(err), "%s: %s%s", name, dv_strerror(rc),
                         rc == DV_ETOOBIG ? " (see --max-bytes)" : "");
            cli_err("datavet list build: %s\n", err);
            dv_list_builder_free(b);
            return 2;
        }
        memset(&one, 0, sizeof(one));
        rc = dv_list_builder_import(b, name, buf, len, type, strict, &one);
        dv_free_buffer(NULL, buf);
        if (rc != DV_OK) {
            print_lines("datavet list build: ", dv_list_builder_errmsg(b));
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
    rc = dv_list_builder_write(b, &meta, out, &st);
    if (rc != DV_OK) {
        print_lines("datavet list build: ", dv_list_builder_errmsg(b));
        dv_list_builder_free(b);
        return 2;
    }
    dv_list_builder_free(b);
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

static int open_or_say(const char *sub, const char *path, dv_list **l)
{
    char err[512];
    /* info and diff walk the entries in order and look no key up: no index */
    int rc = dv_list_open_flags(path, DV_LIST_NO_INDEX, l, err, sizeof(err));
    if (rc == DV_OK) {
        /* the digest list info prints must be the content's */
        char ve[256];
        if ((rc = dv_list_verify(*l, ve, sizeof(ve))) != DV_OK) {
            snprintf(err, sizeof(err), "%.250s: %.250s", path, ve);
            dv_list_close(*l);
            *l = NULL;
        }
    }
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
    if (open_or_say("info", argv[optind], &l) != DV_OK) return 2;
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
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    dv_list *a = NULL, *b = NULL;
    dv_list_info ia, ib;
    uint64_t added = 0, removed = 0;
    int opt;

    optind = 1;
    cli_getopt_name(argv, "datavet list diff");
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (opt == 'h') {
            cli_print_help(stdout, "list");
            return 0;
        }
        return usage_error("diff", NULL);
    }
    if (argc - optind != 2) return usage_error("diff", "give two .dvl files: OLD NEW");
    if (open_or_say("diff", argv[optind], &a) != DV_OK) return 2;
    if (open_or_say("diff", argv[optind + 1], &b) != DV_OK) {
        dv_list_close(a);
        return 2;
    }
    dv_list_get_info(a, &ia);
    dv_list_get_info(b, &ib);
    if (dv_list_diff(a, b, &added, &removed) != DV_OK) {
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
