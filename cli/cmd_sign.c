/* cmd_sign.c - datavet keygen and datavet verify: Ed25519 keys for signing scans, and the
 * check of a signed scan's outdir (docs/signing.md). */
#include "cli.h"
#include "progress_line.h"
#include "text_util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_keygen(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *key = NULL;
    char *pub, id[65], err[1024];
    int opt, quiet = 0, rc;
    size_t n;
    optind = 1;
    cli_getopt_name(argv, "datavet keygen");
    while ((opt = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': key = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': cli_print_help(stdout, "keygen"); return 0;
        default: return cli_usage("keygen", NULL);
        }
    }
    if (!key) return cli_usage("keygen", "no -o KEY given");
    if (optind != argc)
        return cli_usage("keygen", "%s: an argument keygen does not take (the key: -o KEY)",
                         argv[optind]);
    n = strlen(key);
    pub = malloc(n + 5);
    if (!pub) return 2;
    memcpy(pub, key, n);
    memcpy(pub + n, ".pub", 5);
    rc = dv_sign_keygen(key, pub, id, err, sizeof err);
    if (rc != DV_OK) {
        cli_err("datavet keygen: %s\n", err);
        free(pub);
        return 2;
    }
    if (!quiet)
        cli_err("datavet keygen: private key %s (mode 0600, keep it secret), public key %s\n",
                key, pub);
    printf("%s\n", id);
    free(pub);
    return 0;
}

typedef struct vstate {
    int quiet;
    cli_progress pl;    /* the progress line of --clean (a terminal, or --progress) */
    double t0;
    char *held; /* the manifest's list lines: shown only once the manifest is verified */
    size_t nheld;
    int oom;
} vstate;

static void on_line(void *ud, int is_problem, const char *line)
{
    vstate *v = ud;
    /* names from the manifest: no control bytes to the terminal */
    if (is_problem) {
        cli_progress_end(&v->pl, 0);
        cli_err("datavet verify: %s\n", line);
    } else if (!v->quiet) {
        size_t n = strlen(line);
        char *t = v->oom ? NULL : realloc(v->held, v->nheld + n + 1);
        if (t == NULL) {
            v->oom = 1;
            return;
        }
        memcpy(t + v->nheld, line, n);
        t[v->nheld + n] = '\n';
        v->held = t;
        v->nheld += n + 1;
    }
}

/* The cleaned copy's files read so far (progress_line.h: at most 10 lines a second on a
 * terminal): it is read whole. */
static void on_progress(void *ctx, uint64_t done, uint64_t files, uint64_t bytes)
{
    vstate *v = ctx;
    double el = cli_now_s() - v->t0;
    char eta[40] = "";
    if (!cli_progress_due(&v->pl, done >= files)) return;
    if (done > 0 && done < files) {
        double s = el / (double)done * (double)(files - done);
        cli_fmt_eta(eta, sizeof eta, ", ", s);
    }
    cli_progress_put(&v->pl, "verify: cleaned copy, %llu/%llu files, %.1f GB, %.0f MB/s%s",
                     (unsigned long long)done, (unsigned long long)files, (double)bytes / 1e9,
                     el > 0 ? (double)bytes / el / 1e6 : 0.0, eta);
}

/* The held lines, each made safe for a terminal, once what they say is verified. */
static void show_held(vstate *v)
{
    size_t i = 0;
    while (i < v->nheld) {
        const char *e = memchr(v->held + i, '\n', v->nheld - i);
        size_t n = (size_t)(e - (v->held + i));
        cli_put_safe(stdout, v->held + i, n);
        fputc('\n', stdout);
        i += n + 1;
    }
    free(v->held);
    v->held = NULL;
    v->nheld = 0;
}

/* A verified scan can still be one that did not read everything: the verdict is about the
 * files, this line about the scan they record (summary.json, as verified). Said with -q too,
 * as export says it: the exit status stays 0, so nothing else would tell. */
static void show_completeness(const char *outdir, const dv_verify_result *r)
{
    if (!r->summary_read) {
        cli_put_safe(stdout, outdir, strlen(outdir));
        printf(": whether the scan read everything is not known: no signed summary.json with "
               "counts.read_errors\n");
        return;
    }
    if (r->read_errors == 0 && r->clean_shards_left_out == 0) return;
    cli_put_safe(stdout, outdir, strlen(outdir));
    printf(": the verified scan is INCOMPLETE: %llu read error%s (summary.json "
           "counts.read_errors; errors.jsonl names them): shards or parts of shards were not "
           "read, and their items were not checked",
           (unsigned long long)r->read_errors, r->read_errors == 1 ? "" : "s");
    if (r->clean_shards_left_out > 0)
        printf("; %llu shard%s left out of the cleaned copy (clean.shards_left_out)",
               (unsigned long long)r->clean_shards_left_out,
               r->clean_shards_left_out == 1 ? "" : "s");
    putchar('\n');
}

int cmd_verify(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"pubkey", required_argument, NULL, 'k'},
        {"any-key", no_argument, NULL, 1},
        {"clean", required_argument, NULL, 2},
        {"quiet", no_argument, NULL, 'q'},
        {"progress", no_argument, NULL, 3},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *pub = NULL, *clean = NULL;
    int opt, any = 0, rc, crc = DV_OK, force_progress = 0;
    vstate vs = {0};
    dv_verify_result r;
    dv_clean_verify_result cr;
    char err[1024] = "";
    optind = 1;
    cli_getopt_name(argv, "datavet verify");
    while ((opt = getopt_long(argc, argv, "k:qh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'k': pub = optarg; break;
        case 1: any = 1; break;
        case 2: clean = optarg; break;
        case 'q': vs.quiet = 1; break;
        case 3: force_progress = 1; break;
        case 'h': cli_print_help(stdout, "verify"); return 0;
        default: return cli_usage("verify", NULL);
        }
    }
    if (optind + 1 != argc)
        return cli_usage("verify", optind >= argc ? "no OUTDIR given" : "give one OUTDIR");
    if ((pub != NULL) == any)
        return cli_usage("verify", "give one of --pubkey KEY.pub and --any-key");
    rc = dv_scan_verify(argv[optind], pub, on_line, &vs, &r, err, sizeof err);
    if (rc != DV_OK && rc != DV_ECORRUPT) {
        free(vs.held);
        cli_err("datavet verify: %s\n", err);
        return 2;
    }
    if (rc == DV_OK && vs.oom)
        cli_err("datavet verify: out of memory: the lists checked are not all shown\n");
    if (rc == DV_OK) show_held(&vs);
    free(vs.held); /* a manifest that does not verify: its list lines are not shown */
    vs.held = NULL;
    vs.nheld = 0;
    if (!vs.quiet || rc != DV_OK)
        cli_fmt(stdout,
                "%s: %s; key %s%s; %llu files ok, %llu changed, %llu missing, %llu not listed; "
                "%llu %s\n",
                argv[optind], rc == DV_OK ? "verified" : "NOT VERIFIED",
                r.key_id[0] ? r.key_id : "unknown",
                !r.signature_ok  ? " (signature invalid)"
                : pub == NULL    ? " (not checked against a trusted key: --any-key)"
                : r.key_trusted  ? " (the key given)"
                                 : " (NOT the key given)",
                (unsigned long long)r.files_ok, (unsigned long long)r.files_changed,
                (unsigned long long)r.files_missing, (unsigned long long)r.files_extra,
                (unsigned long long)r.lists, cli_plural(r.lists, "list", "lists"));
    if (rc == DV_OK) show_completeness(argv[optind], &r);
    if (clean) {
        /* the cleaned copy against clean.sha256, which the manifest just covered */
        err[0] = '\0';
        /* checked against the digest the manifest gave it: clean.sha256 is read again */
        dv_clean_verify_opts co = {on_line, &vs, on_progress, &vs, r.clean_sha256};
        cli_progress_init(&vs.pl, vs.quiet, force_progress);
        vs.t0 = cli_now_s();
        crc = dv_clean_verify_run(argv[optind], clean, &co, &cr, err, sizeof err);
        cli_progress_end(&vs.pl, 0);
        if (crc != DV_OK && crc != DV_ECORRUPT) {
            cli_err("datavet verify: %s\n", err[0] ? err : dv_strerror(crc));
            return 2;
        }
        if (!vs.quiet || crc != DV_OK || rc != DV_OK)
            cli_fmt(stdout,
                    "%s: cleaned copy %s; %llu files ok, %llu changed, %llu missing, %llu not "
                    "listed, %llu bad lines in clean.sha256%s%s\n",
                    clean, crc == DV_OK && rc == DV_OK ? "verified" : "NOT VERIFIED",
                    (unsigned long long)cr.files_ok, (unsigned long long)cr.files_changed,
                    (unsigned long long)cr.files_missing, (unsigned long long)cr.files_extra,
                    (unsigned long long)cr.lines_bad,
                    cr.sums_differ ? " (clean.sha256 is not the one the manifest covers: "
                                     "nothing checked)"
                                   : "",
                    rc != DV_OK ? " (and OUTDIR, whose manifest covers clean.sha256, is not)"
                                : "");
    }
    return rc == DV_OK && crc == DV_OK ? 0 : 1;
}
