/* cmd_hash.c - `datavet hash`: digests and PDQ of image files, in input order for any -j.
 * Files are read into memory, hashed and dropped; nothing derived from pixels is stored. */
#include "cli.h"
#include "progress_line.h"
#include "text_util.h"
#include "record.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


typedef struct strvec {
    char **v;
    size_t n, cap;
} strvec;

typedef struct job_out {
    char *line; /* formatted record, owned */
    char *err;  /* message for stderr, owned, NULL if ok */
} job_out;

typedef struct hash_ctx {
    unsigned algos;
    int dihedral;
    int format;
    unsigned long long max_bytes;
    dv_hasher **hashers; /* one per worker */
    char **paths;        /* current batch */
    size_t npaths;
    size_t group;        /* files a job (hash_job) */
    job_out *outs;
    /* the progress line, drawn by the worker that finishes a group of files (a batch is 256
     * files a thread: half a minute of large photos on one thread, with nothing drawn) */
    pthread_mutex_t mu;
    cli_progress *pl;
    size_t done, total; /* files done in the run, under mu */
    double t0;
} hash_ctx;

static int sv_push(strvec *s, const char *str)
{
    char *dup;
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 256;
        char **nv = realloc(s->v, ncap * sizeof(char *));
        if (nv == NULL) return -1;
        s->v = nv;
        s->cap = ncap;
    }
    dup = strdup(str);
    if (dup == NULL) return -1;
    s->v[s->n++] = dup;
    return 0;
}

static void sv_free(strvec *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What a walk shows while it lists a large tree (a million files take seconds): the files
 * found so far on the progress line (in a log, not --progress 2>file, only once the walk has
 * taken half a second: a short one says nothing there); its messages on lines of their own. */
typedef struct walk_prog {
    cli_progress *pl;
    double t0;
} walk_prog;

/* skip: the output (-o, or a regular file stdout is redirected to), which a walk passes over
 * (the file being written, and the one it replaces), not an input. */
/* Recursive walk in sorted order, so output does not depend on readdir order. */
static int walk(const char *dir, strvec *out, int depth, const cli_out *skip, walk_prog *wp)
{
    DIR *d;
    struct dirent *e;
    strvec names = {0};
    int rc = 0;
    if (depth > 64) {
        cli_progress_end(wp->pl, 0);
        cli_err("datavet hash: %s: directories nested too deep, skipped\n", dir);
        return 1;
    }
    d = opendir(dir);
    if (d == NULL) {
        cli_progress_end(wp->pl, 0);
        cli_err("datavet hash: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (sv_push(&names, e->d_name) != 0) {
            rc = -1;
            break;
        }
    }
    closedir(d);
    if (names.n > 1) qsort(names.v, names.n, sizeof(char *), cmp_str);
    for (size_t i = 0; i < names.n && rc >= 0; i++) {
        size_t len = strlen(dir) + strlen(names.v[i]) + 2;
        char *p = malloc(len);
        struct stat st;
        if (p == NULL) {
            rc = -1;
            break;
        }
        snprintf(p, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names.v[i]);
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            int r = walk(p, out, depth + 1, skip, wp);
            if (r < 0) rc = -1;
            else if (r > 0) rc = 1;
        } else if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            if (cli_out_is(skip, &st)) {
                free(p);
                continue;
            }
            if (sv_push(out, p) != 0) rc = -1;
            if (wp->pl->show && (wp->pl->tty || cli_now_s() - wp->t0 > 0.5) &&
                cli_progress_due(wp->pl, 0))
                cli_progress_put(wp->pl, "hash: listing files, %zu found", out->n);
        }
        free(p);
    }
    sv_free(&names);
    return rc;
}

/* ---------------------------------------------------------------- formatting */



static void header(FILE *f, const hash_ctx *c)
{
    const char *sep = c->format == FMT_TSV ? "\t" : ",";
    if (c->format == FMT_JSONL) return;
    fprintf(f, "path%sstatus%sformat%swidth%sheight", sep, sep, sep, sep);
    if (c->algos & DV_ALGO_MD5) fprintf(f, "%smd5", sep);
    if (c->algos & DV_ALGO_SHA1) fprintf(f, "%ssha1", sep);
    if (c->algos & DV_ALGO_SHA256) fprintf(f, "%ssha256", sep);
    if (c->algos & DV_ALGO_PDQ) {
        fprintf(f, "%spdq%squality", sep, sep);
        if (c->dihedral)
            for (int d = 1; d < DV_DIH_COUNT; d++)
                fprintf(f, "%spdq_%s", sep, dv_dihedral_name((dv_dihedral)d));
    }
    fprintf(f, "%serror\n", sep);
}

static void format_record(const hash_ctx *c, const char *path, int rc, const char *err,
                          const dv_hash_result *r, int read_ok, sbuf *b)
{
    char hex[65];
    const int fmt = c->format;
    const int ok = rc == DV_OK;
    if (fmt == FMT_JSONL) {
        sb_puts(b, "{\"path\":");
        put_text(b, fmt, path);
        sb_printf(b, ",\"status\":\"%s\"", ok ? "ok" : "error");
        if (read_ok) {
            sb_printf(b, ",\"format\":\"%s\"", dv_image_format_name(r->format));
            if (r->width) sb_printf(b, ",\"width\":%u,\"height\":%u", r->width, r->height);
            if (r->digests.have & DV_ALGO_MD5) {
                dv_hex_encode(r->digests.md5, 16, hex);
                sb_printf(b, ",\"md5\":\"%s\"", hex);
            }
            if (r->digests.have & DV_ALGO_SHA1) {
                dv_hex_encode(r->digests.sha1, 20, hex);
                sb_printf(b, ",\"sha1\":\"%s\"", hex);
            }
            if (r->digests.have & DV_ALGO_SHA256) {
                dv_hex_encode(r->digests.sha256, 32, hex);
                sb_printf(b, ",\"sha256\":\"%s\"", hex);
            }
            if (r->has_pdq) {
                dv_pdq_to_hex(&r->pdq.hash[0], hex);
                sb_printf(b, ",\"pdq\":\"%s\",\"quality\":%d", hex, r->pdq.quality);
                if (c->dihedral) {
                    sb_puts(b, ",\"pdq_dihedral\":{");
                    for (int d = 1; d < DV_DIH_COUNT; d++) {
                        dv_pdq_to_hex(&r->pdq.hash[d], hex);
                        sb_printf(b, "%s\"%s\":\"%s\"", d > 1 ? "," : "",
                                  dv_dihedral_name((dv_dihedral)d), hex);
                    }
                    sb_puts(b, "}");
                }
            }
        }
        if (!ok) {
            sb_puts(b, ",\"error\":");
            put_text(b, fmt, err);
        }
        sb_puts(b, "}\n");
        return;
    }
    put_text(b, fmt, path);
    put_sep(b, fmt);
    sb_puts(b, ok ? "ok" : "error");
    put_sep(b, fmt);
    if (read_ok) sb_puts(b, dv_image_format_name(r->format));
    put_sep(b, fmt);
    if (read_ok && r->width) sb_printf(b, "%u", r->width);
    put_sep(b, fmt);
    if (read_ok && r->width) sb_printf(b, "%u", r->height);
    if (c->algos & DV_ALGO_MD5) {
        put_sep(b, fmt);
        if (read_ok && (r->digests.have & DV_ALGO_MD5)) {
            dv_hex_encode(r->digests.md5, 16, hex);
            sb_puts(b, hex);
        }
    }
    if (c->algos & DV_ALGO_SHA1) {
        put_sep(b, fmt);
        if (read_ok && (r->digests.have & DV_ALGO_SHA1)) {
            dv_hex_encode(r->digests.sha1, 20, hex);
            sb_puts(b, hex);
        }
    }
    if (c->algos & DV_ALGO_SHA256) {
        put_sep(b, fmt);
        if (read_ok && (r->digests.have & DV_ALGO_SHA256)) {
            dv_hex_encode(r->digests.sha256, 32, hex);
            sb_puts(b, hex);
        }
    }
    if (c->algos & DV_ALGO_PDQ) {
        int nd = c->dihedral ? DV_DIH_COUNT : 1;
        put_sep(b, fmt);
        if (read_ok && r->has_pdq) {
            dv_pdq_to_hex(&r->pdq.hash[0], hex);
            sb_puts(b, hex);
        }
        put_sep(b, fmt);
        if (read_ok && r->has_pdq) sb_printf(b, "%d", r->pdq.quality);
        for (int d = 1; d < nd; d++) {
            put_sep(b, fmt);
            if (read_ok && r->has_pdq) {
                dv_pdq_to_hex(&r->pdq.hash[d], hex);
                sb_puts(b, hex);
            }
        }
    }
    put_sep(b, fmt);
    if (!ok) put_text(b, fmt, err);
    sb_puts(b, "\n");
}

/* Files of one job: read together so that their digests run side by side in vector lanes
 * (dv_digests_compute_many: MD5, SHA-1 and SHA-256), up to
 * GROUP_FILES files or GROUP_BYTES bytes at a time (fewer files when a batch would leave
 * a thread idle). */
#define GROUP_FILES 128
#define GROUP_BYTES (64u << 20)

/* The record and message of file k of the batch, from its read status and bytes. */
static void finish_file(hash_ctx *c, size_t k, unsigned worker, int rc, char *err, size_t errcap,
                        const void *buf, size_t len, const dv_digests *pre)
{
    const char *path = c->paths[k];
    dv_hash_result r;
    int read_ok = rc == DV_OK;
    sbuf b = {0};

    memset(&r, 0, sizeof(r));
    if (read_ok) {
        rc = dv_hasher_hash_digested(c->hashers[worker], buf, len, pre, &r);
        if (rc != DV_OK) snprintf(err, errcap, "%s", dv_hasher_errmsg(c->hashers[worker]));
    }
    if (rc != DV_OK && err[0] == '\0') snprintf(err, errcap, "%s", dv_strerror(rc));
    {
        /* the record has its own path column: keep the reason only */
        size_t pl = strlen(path);
        const char *reason = err;
        if (strncmp(err, path, pl) == 0 && err[pl] == ':' && err[pl + 1] == ' ') reason = err + pl + 2;
        format_record(c, path, rc, reason, &r, read_ok, &b);
    }
    c->outs[k].line = b.oom ? NULL : b.p;
    if (b.oom) free(b.p);
    c->outs[k].err = NULL;
    if (rc != DV_OK) {
        size_t n = strlen(path) + strlen(err) + 4;
        char *m = malloc(n);
        if (m != NULL) {
            if (strncmp(err, path, strlen(path)) == 0) snprintf(m, n, "%s", err);
            else snprintf(m, n, "%s: %s", path, err);
        }
        c->outs[k].err = m;
    }
}

/* The progress line (progress_line.h: at most 10 times a second on a terminal). */
static void progress(cli_progress *pl, size_t done, size_t total, double t0, int final)
{
    double el = cli_now_s() - t0, rate = el > 0 ? (double)done / el : 0;
    /* (the last batch's is the final line's to draw) */
    if ((!final && done == total) || !cli_progress_due(pl, final)) return;
    if (total > 0 && rate > 0 && done < total) {
        char eta[40];
        cli_fmt_eta(eta, sizeof eta, "  ", (double)(total - done) / rate);
        cli_progress_put(pl, "hash: %zu/%zu files  %.0f files/s%s", done, total, rate, eta);
    } else {
        cli_progress_put(pl, "hash: %zu files  %.0f files/s  %.1fs", done, rate, el);
    }
    if (final) cli_progress_end(pl, 1);
}

static void hash_job(void *ctxp, size_t job, unsigned worker)
{
    hash_ctx *c = ctxp;
    size_t first = job * c->group, end = first + c->group;
    const void *bufs[GROUP_FILES];
    size_t lens[GROUP_FILES], idx[GROUP_FILES];
    dv_digests pre[GROUP_FILES];
    const unsigned digests = c->algos & (DV_ALGO_MD5 | DV_ALGO_SHA1 | DV_ALGO_SHA256);

    if (end > c->npaths) end = c->npaths;
    for (size_t k = first; k < end;) {
        size_t n = 0, bytes = 0, kfirst = k;
        /* read what fits; files that fail to read get their record at once */
        for (; k < end && n < GROUP_FILES && bytes < GROUP_BYTES; k++) {
            char err[512];
            void *buf = NULL;
            size_t len = 0;
            int rc;
            err[0] = '\0';
            rc = dv_read_file(c->paths[k], c->max_bytes, NULL, &buf, &len, err, sizeof(err));
            if (rc != DV_OK) {
                finish_file(c, k, worker, rc, err, sizeof(err), NULL, 0, NULL);
                continue;
            }
            bufs[n] = buf;
            lens[n] = len;
            idx[n++] = k;
            bytes += len;
        }
        if (digests && dv_digests_compute_many(digests, bufs, lens, n, pre) != DV_OK)
            memset(pre, 0, n * sizeof(pre[0])); /* have = 0: the hasher computes them */
        for (size_t i = 0; i < n; i++) {
            char err[512];
            err[0] = '\0';
            finish_file(c, idx[i], worker, DV_OK, err, sizeof(err), bufs[i], lens[i],
                        digests ? &pre[i] : NULL);
            /* image bytes are dropped as soon as they are hashed */
            dv_free_buffer(NULL, (void *)bufs[i]);
        }
        pthread_mutex_lock(&c->mu);
        c->done += k - kfirst;
        progress(c->pl, c->done, c->total, c->t0, 0);
        pthread_mutex_unlock(&c->mu);
    }
}


static int parse_algos(const char *s, unsigned *out)
{
    char buf[128];
    char *save = NULL, *tok;
    unsigned a = 0;
    if (strlen(s) >= sizeof(buf)) return -1;
    memcpy(buf, s, strlen(s) + 1);
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (strcmp(tok, "pdq") == 0) a |= DV_ALGO_PDQ;
        else if (strcmp(tok, "md5") == 0) a |= DV_ALGO_MD5;
        else if (strcmp(tok, "sha1") == 0) a |= DV_ALGO_SHA1;
        else if (strcmp(tok, "sha256") == 0) a |= DV_ALGO_SHA256;
        else if (strcmp(tok, "all") == 0) a |= DV_ALGO_ALL;
        else return -1;
    }
    if (a == 0) return -1;
    *out = a;
    return 0;
}

int cmd_hash(int argc, char **argv)
{
    static const struct option opts[] = {
        {"algo", required_argument, NULL, 'a'},
        {"dihedral", no_argument, NULL, 'd'},
        {"format", required_argument, NULL, 'f'},
        {"jobs", required_argument, NULL, 'j'},
        {"output", required_argument, NULL, 'o'},
        {"max-pixels", required_argument, NULL, 'P'},
        {"max-bytes", required_argument, NULL, 'B'},
        {"fast", no_argument, NULL, 'F'},
        {"pdq-preresize512", no_argument, NULL, 'R'},
        {"quiet", no_argument, NULL, 'q'},
        {"progress", no_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    hash_ctx c;
    dv_hasher_opts ho;
    unsigned long long jobs = 1, v;
    const char *outpath = NULL;
    int opt, quiet = 0, force_progress = 0, status = 0;
    cli_progress pl = {0};
    walk_prog wp;
    strvec paths = {0};
    FILE *out = stdout;
    cli_out co = {0};
    dv_pool *pool = NULL;
    size_t batch, failed = 0;
    double t0;

    memset(&c, 0, sizeof(c));
    pthread_mutex_init(&c.mu, NULL);
    c.pl = &pl;
    memset(&ho, 0, sizeof(ho));
    c.algos = DV_ALGO_ALL;
    c.format = FMT_TSV;
    c.max_bytes = 256ull << 20;
    optind = 1;
    cli_getopt_name(argv, "datavet hash");
    while ((opt = getopt_long(argc, argv, "a:df:j:o:qh", opts, NULL)) != -1) {
        switch (opt) {
        case 'a':
            if (parse_algos(optarg, &c.algos) != 0) {
                cli_err("datavet hash: bad --algo '%s' (use pdq,md5,sha1,sha256)\n", optarg);
                return 2;
            }
            break;
        case 'd': c.dihedral = 1; break;
        case 'f':
            if (strcmp(optarg, "tsv") == 0) c.format = FMT_TSV;
            else if (strcmp(optarg, "csv") == 0) c.format = FMT_CSV;
            else if (strcmp(optarg, "jsonl") == 0) c.format = FMT_JSONL;
            else {
                cli_err("datavet hash: bad --format '%s' (tsv, csv or jsonl)\n", optarg);
                return 2;
            }
            break;
        case 'j':
            if (cli_opt_uint("hash", "--jobs", optarg, CLI_DIGITS, 0, 1024, &jobs) != 0) return 2;
            break;
        case 'o': outpath = optarg; break;
        case 'P':
            if (cli_opt_uint("hash", "--max-pixels", optarg, CLI_SFX_1000, 1, ULLONG_MAX, &v) != 0)
                return 2;
            ho.max_pixels = v;
            break;
        case 'B':
            if (cli_opt_uint("hash", "--max-bytes", optarg, CLI_SFX_1024, 1, ULLONG_MAX, &v) != 0)
                return 2;
            c.max_bytes = v;
            break;
        case 'F': ho.fast = 1; break;
        case 'R': ho.preresize512 = 1; break;
        case 'q': quiet = 1; break;
        case 'p': force_progress = 1; break;
        case 'h': cli_print_help(stdout, "hash"); return 0;
        default: return cli_usage("hash", NULL);
        }
    }
    if (optind >= argc)
        return cli_usage("hash", "no input (give files, directories or - for a list on stdin)");
    if (c.dihedral && !(c.algos & DV_ALGO_PDQ)) {
        cli_err("datavet hash: --dihedral needs pdq in --algo\n");
        return 2;
    }
    for (int i = optind; i < argc; i++)
        if (cli_same_file(outpath, argv[i])) {
            cli_err("datavet hash: -o %s is the input %s: refused (it would be emptied "
                    "before it is read)\n", outpath, argv[i]);
            return 2;
        }
    if (cli_out_open(&co, outpath) != 0) {
        cli_err("datavet hash: cannot write %s: %s\n", outpath, strerror(errno));
        return 2;
    }
    out = co.f;
    cli_progress_init(&pl, quiet, force_progress);
    wp.pl = &pl;
    wp.t0 = cli_now_s();
    for (int i = optind; i < argc; i++) {
        struct stat st;
        if (strcmp(argv[i], "-") == 0) {
            char *line = NULL;
            size_t cap = 0;
            ssize_t n;
            while ((n = getline(&line, &cap, stdin)) > 0) {
                while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
                if (n == 0) continue;
                if (sv_push(&paths, line) != 0) goto oom;
            }
            free(line);
        } else if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            int r = walk(argv[i], &paths, 0, &co, &wp);
            if (r < 0) goto oom;
            if (r > 0) status = 1;
        } else {
            /* files, and paths that do not exist: those become error records */
            if (sv_push(&paths, argv[i]) != 0) goto oom;
        }
    }
    ho.algos = c.algos;
    ho.dihedral = c.dihedral;
    pool = dv_pool_create((unsigned)jobs, NULL);
    c.hashers = pool ? calloc(dv_pool_threads(pool), sizeof(dv_hasher *)) : NULL;
    if (pool == NULL || c.hashers == NULL) goto oom;
    for (unsigned i = 0; i < dv_pool_threads(pool); i++) {
        c.hashers[i] = dv_hasher_create(&ho);
        if (c.hashers[i] == NULL) goto oom;
    }
    batch = 2 * GROUP_FILES * (size_t)dv_pool_threads(pool);
    c.outs = calloc(batch, sizeof(job_out));
    if (c.outs == NULL) goto oom;
    header(out, &c);
    t0 = cli_now_s();
    c.t0 = t0;
    c.total = paths.n;
    for (size_t start = 0; start < paths.n; start += batch) {
        size_t n = paths.n - start < batch ? paths.n - start : batch;
        c.paths = paths.v + start;
        c.npaths = n;
        /* as many files a group as keeps every thread busy, up to GROUP_FILES */
        c.group = (n + dv_pool_threads(pool) - 1) / dv_pool_threads(pool);
        if (c.group > GROUP_FILES) c.group = GROUP_FILES;
        if (c.group == 0) c.group = 1;
        dv_pool_run(pool, (n + c.group - 1) / c.group, hash_job, &c);
        for (size_t k = 0; k < n; k++) {
            if (c.outs[k].err != NULL || c.outs[k].line == NULL) {
                failed++;
                cli_progress_end(&pl, 0);
                cli_err("datavet hash: %s\n",
                        c.outs[k].err ? c.outs[k].err : "out of memory formatting a record");
            }
            if (c.outs[k].line) fputs(c.outs[k].line, out);
            free(c.outs[k].line);
            free(c.outs[k].err);
            c.outs[k].line = c.outs[k].err = NULL;
        }
    }
    progress(&pl, paths.n, paths.n, t0, 1);
    if (failed > 0) status = 1;
    if (cli_out_close(&co, 1) != 0) {
        int e = errno;
        if (!cli_out_placed_err(&co, "hash", outpath, e))
            cli_err("datavet hash: %s: write failed: %s\n", outpath ? outpath : "stdout",
                    strerror(e));
        status = 2;
    }
    if (!quiet && failed > 0)
        cli_err("datavet hash: %zu of %zu %s failed\n", failed, paths.n,
                cli_plural(paths.n, "file", "files"));
    for (unsigned i = 0; pool && i < dv_pool_threads(pool); i++) dv_hasher_free(c.hashers[i]);
    free(c.hashers);
    free(c.outs);
    dv_pool_free(pool);
    pthread_mutex_destroy(&c.mu);
    sv_free(&paths);
    return status;
oom:
    cli_progress_end(&pl, 0);
    cli_err("datavet hash: out of memory\n");
    cli_out_close(&co, 0); /* (a file cut short is not put in place) */
    if (c.hashers)
        for (unsigned i = 0; pool && i < dv_pool_threads(pool); i++) dv_hasher_free(c.hashers[i]);
    free(c.hashers);
    free(c.outs);
    dv_pool_free(pool);
    pthread_mutex_destroy(&c.mu);
    sv_free(&paths);
    return 2;
}
