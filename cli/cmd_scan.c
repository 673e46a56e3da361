/* cmd_scan.c - `datavet scan` (and `scan --plan`) and `datavet merge`: the end-to-end scan
 * of a dataset against compiled lists, resumable per shard. */
#include "cli.h"
#include "progress_line.h"
#include "text_util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct prog_ctx {
    cli_progress pl;
    double t0;     /* start of the run */
    double tstage; /* start of the merge's current stage */
    int stage;     /* the merge's stage last told */
} prog_ctx;

/* ", ETA hh:mm:ss" of s seconds into eta (empty when s is no time) */
static void fmt_eta(char *eta, size_t cap, double s)
{
    cli_fmt_eta(eta, cap, ", ", s);
}

/* The library calls after every batch (a metadata scan makes thousands a second): the line
 * is drawn as progress_line.h allows, at most 10 times a second on a terminal. The ETA is
 * of the shards done and the parts of those being scanned (partial: rows, bytes or files
 * read of what their readers know), so a scan of one big shard has one too. */
static void on_progress(void *ctx, const dv_scan_progress *p, double partial)
{
    prog_ctx *c = ctx;
    double el = cli_now_s() - c->t0, rate = el > 0 ? (double)p->items / el : 0;
    uint64_t todo = p->shards_total - p->shards_skipped;
    uint64_t done = p->shards_done - p->shards_skipped;
    double work = (double)done + partial;
    char eta[40];
    if (!cli_progress_due(&c->pl, p->shards_done == p->shards_total)) return;
    if (work > (double)todo) work = (double)todo;
    fmt_eta(eta, sizeof eta,
            work > 0 && done < todo ? el / work * ((double)todo - work) : -1);
    cli_progress_put(&c->pl,
                     "scan: %llu/%llu shards done, %llu items, %.0f items/s, %llu findings, "
                     "%llu errors%s",
                     (unsigned long long)p->shards_done, (unsigned long long)p->shards_total,
                     (unsigned long long)p->items, rate, (unsigned long long)p->findings,
                     (unsigned long long)p->errors, eta);
}

/* The merge's stages: the shards' records, the neighbour search, the cleaned copy. A stage's
 * first and last states are always drawn. */
static void on_merge_progress(void *ctx, const dv_merge_progress *p)
{
    prog_ctx *c = ctx;
    double now = cli_now_s(), el;
    int first = p->stage != c->stage;
    char eta[40];
    if (first) c->stage = p->stage, c->tstage = now;
    if (!cli_progress_due(&c->pl, first || p->done == p->total)) return;
    el = now - c->tstage;
    switch (p->stage) {
    case DV_MERGE_RECORDS:
        fmt_eta(eta, sizeof eta, p->done > 0 && p->done < p->total && el > 1
                                     ? el / (double)p->done * (double)(p->total - p->done)
                                     : -1);
        cli_progress_put(&c->pl, "merge: records, %llu/%llu shards%s",
                         (unsigned long long)p->done, (unsigned long long)p->total, eta);
        break;
    case DV_MERGE_NEIGHBORS:
        fmt_eta(eta, sizeof eta, p->done > 0 && p->done < p->total
                                     ? el / (double)p->done * (double)(p->total - p->done)
                                     : -1);
        cli_progress_put(&c->pl, "merge: neighbour search, %llu/%llu rows, %.0f rows/s%s",
                         (unsigned long long)p->done, (unsigned long long)p->total,
                         el > 0 ? (double)p->done / el : 0.0, eta);
        break;
    case DV_MERGE_CLEAN:
        fmt_eta(eta, sizeof eta,
                p->bytes_done > 0 && p->bytes_done < p->bytes_total
                    ? el / (double)p->bytes_done * (double)(p->bytes_total - p->bytes_done)
                    : -1);
        cli_progress_put(&c->pl,
                         "merge: cleaned copy, %llu/%llu shards, %.1f/%.1f GB, %.0f MB/s%s",
                         (unsigned long long)p->done, (unsigned long long)p->total,
                         (double)p->bytes_done / 1e9, (double)p->bytes_total / 1e9,
                         el > 0 ? (double)p->bytes_done / el / 1e6 : 0.0, eta);
        break;
    default: return;
    }
}

static int parse_range(const char *s, uint64_t *a, uint64_t *b)
{
    char *end;
    unsigned long long x, y;
    /* strtoull would take "-1", " 1" and "+1" */
    if (*s < '0' || *s > '9') return -1;
    errno = 0;
    x = strtoull(s, &end, 10);
    if (end == s || errno != 0) return -1;
    if (*end == '\0') y = x;
    else if (*end == '-') {
        const char *t = end + 1;
        if (*t < '0' || *t > '9') return -1;
        y = strtoull(t, &end, 10);
        if (end == t || *end || errno != 0) return -1;
    } else
        return -1;
    if (y < x) return -1;
    *a = x;
    *b = y;
    return 0;
}

/* An error of the library: it can name columns and files of the dataset (a parquet schema's
 * names, an earlier scan.params line), so no control bytes go to the terminal. */
static void put_error(const char *cmd, const char *err)
{
    cli_err("datavet %s: %s\n", cmd, err);
}

static int plan(const char *dataset, const dv_dataset_opts *dso)
{
    dv_dataset *ds;
    char err[1024];
    int rc = dv_dataset_open(dataset, dso, &ds, err, sizeof err);
    if (rc != DV_OK) {
        put_error("scan", err);
        return 2;
    }
    for (uint64_t i = 0; i < dv_dataset_num_shards(ds); i++) {
        dv_shard_info sh;
        dv_dataset_shard(ds, i, &sh);
        /* names and paths of files in the dataset: as messages write them (text_util.h), so
         * that a name holding a tab, a line break or an escape stays one field */
        cli_fmt(stdout, "%llu\t%s\t%s\n", (unsigned long long)i, sh.name, sh.path);
    }
    dv_dataset_free(ds);
    return 0;
}

/* scan's options: the table getopt reads, and what `datavet slurm submit` asks of it */
#define SCAN_SHORTOPTS "l:o:j:dr:qh"
static const struct option scan_longopts[] = {
    {"list", required_argument, NULL, 'l'},
    {"output", required_argument, NULL, 'o'},
    {"jobs", required_argument, NULL, 'j'},
    {"dihedral", no_argument, NULL, 'd'},
    {"pdq-radius", required_argument, NULL, 'r'},
    {"fast", no_argument, NULL, 1},
    {"max-pixels", required_argument, NULL, 2},
    {"max-bytes", required_argument, NULL, 3},
    {"flag-punsafe", required_argument, NULL, 4},
    {"flag-terms", required_argument, NULL, 5},
    {"url-col", required_argument, NULL, 6},
    {"caption-col", required_argument, NULL, 7},
    {"id-col", required_argument, NULL, 8},
    {"shard-index", required_argument, NULL, 9},
    {"shard-count", required_argument, NULL, 10},
    {"shards", required_argument, NULL, 11},
    {"no-merge", no_argument, NULL, 12},
    {"clean", required_argument, NULL, 13},
    {"decoys", required_argument, NULL, 14},
    {"keep-candidates", no_argument, NULL, 15},
    {"plan", no_argument, NULL, 16},
    {"progress", no_argument, NULL, 17},
    {"fetch", no_argument, NULL, 18},
    {"connections", required_argument, NULL, 19},
    {"per-host", required_argument, NULL, 20},
    {"fetch-max-bytes", required_argument, NULL, 21},
    {"timeout", required_argument, NULL, 22},
    {"retries", required_argument, NULL, 23},
    {"allow-private", no_argument, NULL, 24},
    {"user-agent", required_argument, NULL, 25},
    {"neighbors-min-sim", required_argument, NULL, 26},
    {"neighbors-k", required_argument, NULL, 27},
    {"image-col", required_argument, NULL, 28},
    {"sign", required_argument, NULL, 29},
    {"punsafe-col", required_argument, NULL, 30},
    {"npz-key", required_argument, NULL, 31},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int cli_scan_opt_has_arg(const char *a)
{
    if (a[0] == '-' && a[1] != '-' && a[1] != '\0' && a[2] == '\0') {
        const char *c = a[1] == ':' ? NULL : strchr(SCAN_SHORTOPTS, a[1]);
        return c == NULL ? -1 : c[1] == ':';
    }
    if (a[0] != '-' || a[1] != '-') return -1;
    for (size_t i = 0; scan_longopts[i].name; i++)
        if (strcmp(a + 2, scan_longopts[i].name) == 0)
            return scan_longopts[i].has_arg == required_argument;
    return -1;
}

/* Each line of text as a warning on stderr (names from the dataset: no control bytes). */
static void warn_lines(const char *cmd, const char *text)
{
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        int n = e ? (int)(e - p) : (int)strlen(p);
        if (n > 0) {
            char pre[64];
            snprintf(pre, sizeof pre, "datavet %s: warning: ", cmd);
            cli_err_line(pre, p, (size_t)n); /* escaped by the library: not again */
        }
        p += n + (e != NULL);
    }
}

/* A scan with parts of shards not read ends with 2, findings or not, as grep does. */
static int incomplete(const char *cmd, const dv_scan_result *res)
{
    char left[96] = "";
    if (res->clean_left)
        snprintf(left, sizeof left, ", %llu %s left out of the cleaned copy",
                 (unsigned long long)res->clean_left,
                 cli_plural(res->clean_left, "shard", "shards"));
    cli_err("datavet %s: the scan is incomplete: %llu read error%s (errors.jsonl)%s; "
            "the outputs hold what was read (%llu match%s, %llu candidate%s)\n",
            cmd, (unsigned long long)res->read_errors, res->read_errors == 1 ? "" : "s", left,
            (unsigned long long)res->matches, res->matches == 1 ? "" : "es",
            (unsigned long long)res->candidates, res->candidates == 1 ? "" : "s");
    /* which shards, as a --no-merge run says them: a new user should not have to open
     * errors.jsonl to learn which file is damaged (the shards this run scanned; a merge
     * alone scanned none) */
    for (const char *p = res->unread; *p;) {
        const char *e = strchr(p, '\n');
        int n = e ? (int)(e - p) : (int)strlen(p);
        if (n > 0) cli_err_line("  ", p, (size_t)n); /* escaped by the library: not again */
        p += n + (e != NULL);
    }
    return 2;
}

/* A --no-merge run whose shards could not all be read whole: the same verdict as a merged
 * scan's (exit 2), naming them, since no errors.jsonl exists yet. The files written are
 * those of any run; the merge says it again for the whole scan. */
static int incomplete_unmerged(const char *outdir, const dv_scan_result *res)
{
    const char *p = res->unread;
    cli_err("datavet scan: the scan is incomplete: %llu read error%s in the shards this "
            "run scanned (their records hold what was read; 'datavet merge %s' writes "
            "them to errors.jsonl):\n",
            (unsigned long long)res->progress.read_errors,
            res->progress.read_errors == 1 ? "" : "s", outdir);
    while (*p) {
        const char *e = strchr(p, '\n');
        int n = e ? (int)(e - p) : (int)strlen(p);
        cli_err_line("  ", p, (size_t)n);
        p += n + (e != NULL);
    }
    return 2;
}

/* A private key that others can read is as good as theirs: signing still works (datavet
 * keygen writes 0600; a key copied or made by other tools may not be), but it is said. */
static void warn_key_mode(const char *cmd, const char *key)
{
    struct stat st;
    if (stat(key, &st) == 0 && (st.st_mode & 077) != 0)
        cli_err("datavet %s: warning: %s: private key readable by others (mode %04o): "
                "chmod 600 it\n", cmd, key, (unsigned)(st.st_mode & 07777));
}

int cmd_scan(int argc, char **argv)
{
    dv_scan_opts o;
    dv_fetch_opts fo;
    dv_scan_result res;
    const char **lists = NULL;
    const char *sign_key = NULL, *why = NULL; /* a usage error's, when getopt did not say */
    size_t nlists = 0;
    int opt, do_plan = 0, quiet = 0, force_progress = 0, have_idx = 0, have_cnt = 0, rc;
    unsigned long long v;
    char err[2048];
    prog_ctx pc = {0};
    double t0;

    memset(&o, 0, sizeof o);
    memset(&fo, 0, sizeof fo);
    o.fetch_opts = &fo;
    o.pdq_radius = -1;
    o.flag_punsafe = -1;
    lists = calloc((size_t)argc + 1, sizeof(char *));
    if (!lists) return 2;
    optind = 1;
    cli_getopt_name(argv, "datavet scan");
#define OPT_UINT(name, sfx, lo, hi) (cli_opt_uint("scan", name, optarg, sfx, lo, hi, &v) != 0)
#define BAD()                                                                                      \
    do {                                                                                           \
        free(lists);                                                                               \
        return 2;                                                                                  \
    } while (0)
    while ((opt = getopt_long(argc, argv, SCAN_SHORTOPTS, scan_longopts, NULL)) != -1) {
        switch (opt) {
        case 'l': lists[nlists++] = optarg; break;
        case 'o': o.outdir = optarg; break;
        case 'j':
            if (OPT_UINT("--jobs", CLI_DIGITS, 0, 1024)) BAD();
            o.threads = (unsigned)v;
            break;
        case 'd': o.dihedral = 1; break;
        case 'r':
            if (OPT_UINT("--pdq-radius", CLI_DIGITS, 0, 63)) BAD();
            o.pdq_radius = (int)v;
            break;
        case 1: o.fast = 1; break;
        case 2:
            if (OPT_UINT("--max-pixels", CLI_SFX_1000, 1, ULLONG_MAX)) BAD();
            o.max_pixels = v;
            break;
        case 3:
            if (OPT_UINT("--max-bytes", CLI_SFX_1024, 1, ULLONG_MAX)) BAD();
            o.max_image_bytes = v;
            break;
        case 4:
            /* an unsafe score is a probability: above 1 would flag nothing */
            if (cli_opt_num("scan", "--flag-punsafe", optarg, 0, 1, &o.flag_punsafe) != 0)
                BAD();
            break;
        case 5: o.flag_terms = optarg; break;
        case 6: o.url_col = optarg; break;
        case 7: o.caption_col = optarg; break;
        case 8: o.id_col = optarg; break;
        case 28: o.image_col = optarg; break;
        case 30: o.punsafe_col = optarg; break;
        case 31: o.npz_key = optarg; break;
        case 29: sign_key = optarg; break;
        case 9:
            if (OPT_UINT("--shard-index", CLI_DIGITS, 0, ULLONG_MAX)) BAD();
            o.shard_index = v;
            have_idx = 1;
            break;
        case 10:
            if (OPT_UINT("--shard-count", CLI_DIGITS, 1, ULLONG_MAX)) BAD();
            o.shard_count = v;
            have_cnt = 1;
            break;
        case 11:
            if (parse_range(optarg, &o.shard_first, &o.shard_last) != 0) {
                cli_bad_opt("scan", "--shards", optarg,
                            "not a shard A or a range A-B of shards with A <= B");
                BAD();
            }
            o.has_range = 1;
            break;
        case 12: o.no_merge = 1; break;
        case 13: o.clean_dir = optarg; break;
        case 14:
            /* 1 and up: the library reads 0 as the default, 1000 */
            if (OPT_UINT("--decoys", CLI_DIGITS, 1, 1000000)) BAD();
            o.decoys = (uint32_t)v;
            break;
        case 15: o.keep_candidates = 1; break;
        case 16: do_plan = 1; break;
        case 17: force_progress = 1; break;
        case 18: o.fetch = 1; break;
        case 19:
            if (OPT_UINT("--connections", CLI_DIGITS, 1, 4096)) BAD();
            fo.connections = (uint32_t)v;
            break;
        case 20:
            if (OPT_UINT("--per-host", CLI_DIGITS, 1, 4096)) BAD();
            fo.per_host = (uint32_t)v;
            break;
        case 21:
            if (OPT_UINT("--fetch-max-bytes", CLI_SFX_1024, 1, ULLONG_MAX)) BAD();
            fo.max_bytes = v;
            break;
        case 22:
            if (OPT_UINT("--timeout", CLI_DIGITS, 1, 3600)) BAD();
            fo.timeout_ms = (uint32_t)(v * 1000);
            break;
        case 23:
            if (OPT_UINT("--retries", CLI_DIGITS, 0, 20)) BAD();
            fo.retries = v == 0 ? -1 : (int)v;
            break;
        case 24: fo.allow_addr = DV_ADDR_ALL; break;
        case 25: fo.user_agent = optarg; break;
        case 26: {
            double d;
            if (cli_opt_num("scan", "--neighbors-min-sim", optarg, -1, 1, &d) != 0) BAD();
            o.neighbors_min_sim = (float)d;
            o.neighbors = 1;
            break;
        }
        case 27:
            if (OPT_UINT("--neighbors-k", CLI_DIGITS, 0, 100000)) BAD();
            o.neighbors_k = v;
            break;
        case 'q': quiet = 1; break;
        case 'h':
            cli_print_help(stdout, "scan");
            free(lists);
            return 0;
        default: goto usage;
        }
    }
#undef OPT_UINT
#undef BAD
    if (optind + 1 != argc) {
        why = optind >= argc ? "no DATASET given" : "give one DATASET";
        goto usage;
    }
    o.dataset = argv[optind];
    if (do_plan) {
        dv_dataset_opts dso = {0};
        dso.url_col = o.url_col;
        dso.caption_col = o.caption_col;
        dso.id_col = o.id_col;
        dso.image_col = o.image_col;
        dso.punsafe_col = o.punsafe_col;
        dso.npz_key = o.npz_key;
        free(lists);
        return plan(o.dataset, &dso);
    }
    if (have_idx != have_cnt) {
        cli_err("datavet scan: --shard-index and --shard-count go together\n");
        free(lists);
        return 2;
    }
    if (!o.outdir) {
        cli_err("datavet scan: no output folder (-o OUTDIR)\n");
        free(lists);
        return 2;
    }
    if (nlists + (o.flag_punsafe >= 0) + (o.flag_terms != NULL) == 0) {
        cli_err("datavet scan: nothing to check: give a list (-l L.dvl) or a flag "
                "(--flag-punsafe, --flag-terms)\n");
        free(lists);
        return 2;
    }
    if (sign_key) {
        /* a key that cannot sign is found before the scan, not after it */
        char id[65];
        if (o.no_merge) {
            cli_err("datavet scan: --sign signs the merged outputs: give it to "
                    "datavet merge\n");
            free(lists);
            return 2;
        }
        if (dv_sign_key_check(sign_key, id, err, sizeof err) != DV_OK) {
            cli_err("datavet scan: %s\n", err);
            free(lists);
            return 2;
        }
        warn_key_mode("scan", sign_key);
    }
    o.lists = lists;
    o.nlists = nlists;
    cli_progress_init(&pc.pl, quiet, force_progress);
    pc.t0 = t0 = cli_now_s();
    o.progress_at = on_progress;
    o.merge_progress = on_merge_progress;
    o.progress_ctx = &pc;
    rc = dv_scan_run(&o, &res, err, sizeof err);
    cli_progress_end(&pc.pl, 0);
    free(lists);
    if (rc != DV_OK) {
        put_error("scan", err);
        return 2;
    }
    /* what the scan could not use or checked nothing of is said even with -q: it changes
     * what "no findings" means */
    warn_lines("scan", res.dataset_problems);
    warn_lines("scan", res.coverage);
    if (res.signature_removed && !sign_key)
        cli_err("datavet scan: warning: manifest.jsonl and manifest.sig of an earlier "
                "--sign were removed: the outputs were written again (--sign KEY signs "
                "them again)\n");
    if (sign_key && res.merged && dv_scan_sign(o.outdir, sign_key, err, sizeof err) != DV_OK) {
        cli_err("datavet scan: the outputs are written but not signed: %s\n", err);
        return 2;
    }
    if (!quiet) {
        cli_err("scan: %llu shard%s (%llu done earlier), %llu item%s in %.1f s, %llu "
                "error%s (this run)",
                (unsigned long long)res.progress.shards_total,
                res.progress.shards_total == 1 ? "" : "s",
                (unsigned long long)res.progress.shards_skipped,
                (unsigned long long)res.progress.items, res.progress.items == 1 ? "" : "s",
                cli_now_s() - t0, (unsigned long long)res.progress.errors,
                res.progress.errors == 1 ? "" : "s");
        if (res.merged)
            cli_err("; findings: %llu match%s, %llu candidate%s (%llu item%s in removal.txt); "
                    "report: %s/report.html%s\n",
                    (unsigned long long)res.matches, res.matches == 1 ? "" : "es",
                    (unsigned long long)res.candidates, res.candidates == 1 ? "" : "s",
                    (unsigned long long)res.removed, res.removed == 1 ? "" : "s", o.outdir,
                    sign_key ? "; signed (manifest.jsonl, manifest.sig)" : "");
        else
            cli_err("; not merged (--no-merge): run 'datavet merge %s'\n", o.outdir);
    }
    if (res.merged && (res.read_errors > 0 || res.clean_left > 0)) return incomplete("scan", &res);
    if (res.merged) return res.matches + res.candidates > 0 ? 1 : 0;
    if (res.progress.read_errors > 0) return incomplete_unmerged(o.outdir, &res);
    return res.progress.findings > 0 ? 1 : 0;
usage:
    free(lists);
    return why ? cli_usage("scan", "%s", why) : cli_usage("scan", NULL);
}

int cmd_merge(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"clean", required_argument, NULL, 1},
        {"sign", required_argument, NULL, 2},
        {"quiet", no_argument, NULL, 'q'},
        {"progress", no_argument, NULL, 3},
        {"jobs", required_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *clean = NULL, *sign_key = NULL;
    int opt, quiet = 0, force_progress = 0, rc;
    unsigned long long jobs = 0;
    char err[2048];
    dv_scan_result res;
    dv_merge_opts mo = {0};
    prog_ctx pc;
    optind = 1;
    cli_getopt_name(argv, "datavet merge");
    while ((opt = getopt_long(argc, argv, "qj:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 1: clean = optarg; break;
        case 'j':
            if (cli_opt_uint("merge", "--jobs", optarg, CLI_DIGITS, 0, 1024, &jobs) != 0)
                return 2;
            break;
        case 2: sign_key = optarg; break;
        case 'q': quiet = 1; break;
        case 3: force_progress = 1; break;
        case 'h': cli_print_help(stdout, "merge"); return 0;
        default: return cli_usage("merge", NULL);
        }
    }
    if (optind + 1 != argc)
        return cli_usage("merge", optind >= argc ? "no OUTDIR given" : "give one OUTDIR");
    if (sign_key && dv_sign_key_check(sign_key, NULL, err, sizeof err) != DV_OK) {
        cli_err("datavet merge: %s\n", err);
        return 2;
    }
    if (sign_key) warn_key_mode("merge", sign_key);
    memset(&pc, 0, sizeof pc);
    cli_progress_init(&pc.pl, quiet, force_progress);
    pc.t0 = cli_now_s();
    mo.clean_dir = clean;
    mo.threads = (unsigned)jobs;
    mo.progress = on_merge_progress;
    mo.progress_ctx = &pc;
    rc = dv_merge_run(argv[optind], &mo, &res, err, sizeof err);
    cli_progress_end(&pc.pl, 0);
    if (rc != DV_OK) {
        put_error("merge", err);
        return 2;
    }
    if (sign_key && dv_scan_sign(argv[optind], sign_key, err, sizeof err) != DV_OK) {
        cli_err("datavet merge: the outputs are written but not signed: %s\n", err);
        return 2;
    }
    warn_lines("merge", res.coverage);
    if (res.signature_removed && !sign_key)
        cli_err("datavet merge: warning: manifest.jsonl and manifest.sig of an earlier "
                "--sign were removed: the outputs were written again (--sign KEY signs "
                "them again)\n");
    if (!quiet)
        cli_err("merge: findings: %llu match%s, %llu candidate%s (%llu item%s in "
                "removal.txt); report: %s/report.html%s\n",
                (unsigned long long)res.matches, res.matches == 1 ? "" : "es",
                (unsigned long long)res.candidates, res.candidates == 1 ? "" : "s",
                (unsigned long long)res.removed, res.removed == 1 ? "" : "s", argv[optind],
                sign_key ? "; signed (manifest.jsonl, manifest.sig)" : "");
    if (res.read_errors > 0 || res.clean_left > 0) return incomplete("merge", &res);
    return res.matches + res.candidates > 0 ? 1 : 0;
}
