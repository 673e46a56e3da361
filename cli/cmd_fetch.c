/* cmd_fetch.c - `datavet fetch`: download the URLs of URL lists and hash them in memory, one
 * record per URL in input order (the `datavet hash` columns plus the fetch status columns). */
#include "cli.h"
#include "progress_line.h"
#include "text_util.h"
#include "record.h"

#include <arpa/inet.h>
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


/* ---------------------------------------------------------------- formatting */



/* ---------------------------------------------------------------- pipeline */

typedef struct slot {
    char *line;      /* formatted record, owned */
    char *err;       /* message for stderr, owned, NULL if none */
    const char *list;   /* the URL list and the line its record starts on, which the */
    uint64_t list_line; /* message names (set by the main thread as the URL is added) */
    int ready;
    int failed;      /* the record's status is error */
} slot;

typedef struct fetch_ctx {
    unsigned algos;
    int dihedral;
    int format;
    dv_fetcher *f;
    pthread_mutex_t mu;
    pthread_cond_t cv_work; /* work queued or stop */
    pthread_cond_t cv_done; /* a slot became ready */
    dv_fetch_result *wq;    /* ring of results with a body, waiting for a hash worker */
    size_t wq_head, wq_n;
    int stop;
    slot *slots;            /* reorder buffer: record of URL number s lives in s % window */
    size_t window;
    dv_hasher **hashers;
    unsigned nworkers;
    uint64_t status_count[DV_FETCH_NSTATUS];
    uint64_t hash_failed;
} fetch_ctx;

static void header(FILE *f, const fetch_ctx *c)
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
    fprintf(f, "%serror%shttp_code%serror_class%sbytes%selapsed_ms%sfinal_url%sattempts\n", sep,
            sep, sep, sep, sep, sep, sep);
}

/* r is NULL when nothing was hashed (no body). */
static void format_record(const fetch_ctx *c, const dv_fetch_result *res, int ok,
                          const char *err, const dv_hash_result *r, sbuf *b)
{
    char hex[65];
    const int fmt = c->format;
    if (fmt == FMT_JSONL) {
        sb_puts(b, "{\"path\":");
        put_url(b, fmt, res->url);
        sb_printf(b, ",\"status\":\"%s\"", ok ? "ok" : "error");
        if (r != NULL) {
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
        if (res->http_code) sb_printf(b, ",\"http_code\":%d", res->http_code);
        sb_printf(b, ",\"error_class\":\"%s\",\"bytes\":%llu,\"elapsed_ms\":%u,\"final_url\":",
                  dv_fetch_status_name(res->status), (unsigned long long)res->bytes,
                  res->elapsed_ms);
        put_url(b, fmt, res->final_url);
        sb_printf(b, ",\"attempts\":%u}\n", res->attempts);
        return;
    }
    put_url(b, fmt, res->url);
    put_sep(b, fmt);
    sb_puts(b, ok ? "ok" : "error");
    put_sep(b, fmt);
    if (r) sb_puts(b, dv_image_format_name(r->format));
    put_sep(b, fmt);
    if (r && r->width) sb_printf(b, "%u", r->width);
    put_sep(b, fmt);
    if (r && r->width) sb_printf(b, "%u", r->height);
    if (c->algos & DV_ALGO_MD5) {
        put_sep(b, fmt);
        if (r && (r->digests.have & DV_ALGO_MD5)) {
            dv_hex_encode(r->digests.md5, 16, hex);
            sb_puts(b, hex);
        }
    }
    if (c->algos & DV_ALGO_SHA1) {
        put_sep(b, fmt);
        if (r && (r->digests.have & DV_ALGO_SHA1)) {
            dv_hex_encode(r->digests.sha1, 20, hex);
            sb_puts(b, hex);
        }
    }
    if (c->algos & DV_ALGO_SHA256) {
        put_sep(b, fmt);
        if (r && (r->digests.have & DV_ALGO_SHA256)) {
            dv_hex_encode(r->digests.sha256, 32, hex);
            sb_puts(b, hex);
        }
    }
    if (c->algos & DV_ALGO_PDQ) {
        int nd = c->dihedral ? DV_DIH_COUNT : 1;
        put_sep(b, fmt);
        if (r && r->has_pdq) {
            dv_pdq_to_hex(&r->pdq.hash[0], hex);
            sb_puts(b, hex);
        }
        put_sep(b, fmt);
        if (r && r->has_pdq) sb_printf(b, "%d", r->pdq.quality);
        for (int d = 1; d < nd; d++) {
            put_sep(b, fmt);
            if (r && r->has_pdq) {
                dv_pdq_to_hex(&r->pdq.hash[d], hex);
                sb_puts(b, hex);
            }
        }
    }
    put_sep(b, fmt);
    if (!ok) put_text(b, fmt, err);
    put_sep(b, fmt);
    if (res->http_code) sb_printf(b, "%d", res->http_code);
    put_sep(b, fmt);
    sb_puts(b, dv_fetch_status_name(res->status));
    put_sep(b, fmt);
    sb_printf(b, "%llu", (unsigned long long)res->bytes);
    put_sep(b, fmt);
    sb_printf(b, "%u", res->elapsed_ms);
    put_sep(b, fmt);
    put_url(b, fmt, res->final_url);
    put_sep(b, fmt);
    sb_printf(b, "%u\n", res->attempts);
}

/* The message naming a failed URL on stderr, "URL: class: detail" (malloc'd, NULL on no
 * memory). The URL as JSONL records write it (DV_TEXT_URL: controls, spaces, bidirectional
 * controls as %XX), so that it can be looked for in them; what is left (a data: URI's
 * redaction, the detail) is escaped as every message is when it is written (cli_err): a URL
 * holding a line break or an escape sequence can neither forge a line of stderr nor rewrite
 * one on a terminal. */
static char *message(const char *url, const char *cls, const char *detail)
{
    size_t ul = strlen(url), cl = strlen(cls), dl = strlen(detail);
    size_t cap = DV_TEXT_BOUND(ul) + cl + dl + 4, k;
    char *m = malloc(cap);
    if (m == NULL) return NULL;
    k = dv_text_utf8(DV_TEXT_URL, url, ul, m, cap);
    m[k++] = ':';
    m[k++] = ' ';
    memcpy(m + k, cls, cl);
    k += cl;
    m[k++] = ':';
    m[k++] = ' ';
    memcpy(m + k, detail, dl);
    k += dl;
    m[k] = '\0';
    return m;
}

/* Formats one result into its slot (any thread). With a body it is hashed first, with the
 * digests in pre (computed beforehand) where pre is not NULL. */
static void complete(fetch_ctx *c, dv_fetch_result *res, dv_hasher *h, const dv_digests *pre)
{
    dv_hash_result hr;
    const dv_hash_result *rp = NULL;
    dv_fetch_result shown;
    char err[512], *ru, *rf;
    int ok = res->status == DV_FETCH_OK;
    sbuf b = {0};
    slot *s;
    memset(&hr, 0, sizeof(hr));
    err[0] = '\0';
    if (res->body != NULL && h != NULL) {
        int rc = dv_hasher_hash_digested(h, res->body, res->len, pre, &hr);
        rp = &hr;
        if (rc != DV_OK) {
            snprintf(err, sizeof(err), "%s", dv_hasher_errmsg(h)[0] ? dv_hasher_errmsg(h)
                                                                    : dv_strerror(rc));
            ok = 0;
        }
    }
    if (!ok && err[0] == '\0') snprintf(err, sizeof(err), "%s", res->detail);
    /* a data: URI's content (an image) is never written: the record and the message show it
     * redacted */
    shown = *res;
    ru = cli_url_shown(res->url);
    rf = cli_url_shown(res->final_url);
    shown.url = ru != NULL || res->url == NULL ? ru : "<URL withheld: out of memory>";
    shown.final_url =
        rf != NULL || res->final_url == NULL ? rf : "<URL withheld: out of memory>";
    format_record(c, &shown, ok, err, rp, &b);
    pthread_mutex_lock(&c->mu);
    s = &c->slots[res->tag % c->window];
    s->line = b.oom ? NULL : b.p;
    if (b.oom) free(b.p);
    s->failed = !ok;
    s->err = NULL;
    if (!ok) s->err = message(shown.url, dv_fetch_status_name(res->status), err);
    free(ru);
    free(rf);
    c->status_count[res->status < DV_FETCH_NSTATUS ? res->status : DV_FETCH_OTHER]++;
    if (res->body != NULL && rp != NULL && res->status == DV_FETCH_OK && !ok) c->hash_failed++;
    s->ready = 1;
    pthread_cond_signal(&c->cv_done);
    pthread_mutex_unlock(&c->mu);
}

typedef struct worker_arg {
    fetch_ctx *c;
    unsigned id;
} worker_arg;

/* Results a worker takes at once: their digests then run side by side in vector lanes
 * (dv_digests_compute_many). A worker takes its share of what is queued, never waiting
 * for more, so a batch forms only when the workers are behind the transfers. */
#define FETCH_BATCH 16

static void *worker(void *p)
{
    worker_arg *a = p;
    fetch_ctx *c = a->c;
    dv_hasher *h = c->hashers[a->id];
    const unsigned dig = c->algos & (DV_ALGO_MD5 | DV_ALGO_SHA1 | DV_ALGO_SHA256);
    for (;;) {
        dv_fetch_result res[FETCH_BATCH];
        dv_digests pre[FETCH_BATCH];
        const void *bufs[FETCH_BATCH];
        size_t lens[FETCH_BATCH], n = 0, take;
        int batched;
        pthread_mutex_lock(&c->mu);
        while (c->wq_n == 0 && !c->stop) pthread_cond_wait(&c->cv_work, &c->mu);
        if (c->wq_n == 0) {
            pthread_mutex_unlock(&c->mu);
            break;
        }
        take = (c->wq_n + c->nworkers - 1) / c->nworkers;
        if (take > FETCH_BATCH) take = FETCH_BATCH;
        while (n < take) {
            res[n++] = c->wq[c->wq_head];
            c->wq_head = (c->wq_head + 1) % c->window;
            c->wq_n--;
        }
        pthread_mutex_unlock(&c->mu);
        /* every queued result has a body (the main thread completes the others itself); on
         * failure (memory) each body's digests are computed alone, as without a batch */
        for (size_t i = 0; i < n; i++) {
            bufs[i] = res[i].body;
            lens[i] = res[i].len;
        }
        batched = n > 1 && dig != 0 && dv_digests_compute_many(dig, bufs, lens, n, pre) == DV_OK;
        for (size_t i = 0; i < n; i++) {
            complete(c, &res[i], h, batched ? &pre[i] : NULL);
            /* the body is zeroed and freed; the fetcher may start another transfer */
            dv_fetcher_release(c->f, &res[i]);
        }
    }
    return NULL;
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

static int parse_addr_classes(const char *s, unsigned *out)
{
    char buf[128];
    char *save = NULL, *tok;
    unsigned a = 0;
    if (strlen(s) >= sizeof(buf)) return -1;
    memcpy(buf, s, strlen(s) + 1);
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (strcmp(tok, "loopback") == 0) a |= DV_ADDR_LOOPBACK;
        else if (strcmp(tok, "private") == 0) a |= DV_ADDR_PRIVATE;
        else if (strcmp(tok, "link-local") == 0) a |= DV_ADDR_LINKLOCAL;
        else if (strcmp(tok, "multicast") == 0) a |= DV_ADDR_MULTICAST;
        else if (strcmp(tok, "reserved") == 0) a |= DV_ADDR_RESERVED;
        else if (strcmp(tok, "all") == 0) a |= DV_ADDR_ALL;
        else return -1;
    }
    *out = a;
    return 0;
}

/* Seconds, fractions allowed ("0.5"), from 1 ms to a day, into milliseconds. */
static int parse_secs_ms(const char *opt, const char *s, uint32_t *out)
{
    double v;
    if (cli_opt_num("fetch", opt, s, 0.001, 86400.0, &v) != 0) return -1;
    *out = (uint32_t)(v * 1000.0 + 0.5);
    return 0;
}

typedef struct input {
    char **names;
    size_t n, i;
    int fd;
    dv_textlist *tl;
    const char *name; /* of the list being read, as its messages name it */
    /* how far through the lists (the progress line's share and ETA): their sizes, when every
     * one is a regular file (not stdin), and the bytes of those read whole */
    int sized;
    uint64_t bytes_total, bytes_read, cur_size;
    uint64_t *sizes; /* each list's size as bytes_total counted it (0: stdin, not a file) */
} input;

/* The progress line (progress_line.h: at most 10 times a second on a terminal): URLs done,
 * their rate and, when the lists' sizes are known, the share done and the ETA. The lists are
 * read a window of URLs ahead of the results, so the share is that of the bytes parsed times
 * that of the URLs handed to the fetcher that are done. */
static void progress(cli_progress *pl, const input *in, uint64_t done, uint64_t handed,
                     double t0, int final)
{
    double el = cli_now_s() - t0, rate = el > 0 ? (double)done / el : 0;
    if (!cli_progress_due(pl, final)) return;
    if (!final && in->sized && in->bytes_total > 0) {
        uint64_t at = in->bytes_read;
        double f, s;
        char eta[40] = "";
        if (in->tl != NULL) {
            uint64_t o = dv_textlist_offset(in->tl);
            at += o < in->cur_size ? o : in->cur_size;
        }
        f = (double)at / (double)in->bytes_total;
        if (f > 1) f = 1;
        f = handed > 0 ? f * (double)done / (double)handed : 0;
        s = f > 0 && el > 0.5 ? el / f * (1 - f) : -1;
        cli_fmt_eta(eta, sizeof eta, "  ", s);
        cli_progress_put(pl, "fetch: %llu %s  %.0f URLs/s  %.0f%%%s", (unsigned long long)done,
                         cli_plural(done, "URL", "URLs"), rate, f * 100, eta);
    } else {
        cli_progress_put(pl, "fetch: %llu %s  %.0f URLs/s  %.1fs", (unsigned long long)done,
                         cli_plural(done, "URL", "URLs"), rate, el);
    }
    if (final) cli_progress_end(pl, 1);
}

static int usage_err(const char *fmt, const char *arg)
{
    cli_err("datavet fetch: ");
    cli_err(fmt, arg);
    cli_err("\nTry 'datavet fetch --help'.\n");
    return 2;
}

/* A --resolve entry as curl takes it: [+]HOST:PORT:ADDR[,ADDR...] or -HOST:PORT, each
 * ADDR an IPv4 or IPv6 address (the latter may be bracketed). curl would only fail each
 * transfer with a bad one, so it is checked before anything is fetched. */
static int resolve_ok(const char *s)
{
    const char *host = s + (*s == '+' || *s == '-'), *c = strchr(host, ':'), *a;
    unsigned long port = 0;
    if (c == NULL || c == host) return 0;
    for (a = c + 1; *a >= '0' && *a <= '9' && a - c <= 6; a++)
        port = port * 10 + (unsigned)(*a - '0');
    if (a == c + 1 || port == 0 || port > 65535) return 0;
    if (*s == '-') return *a == '\0';
    if (*a++ != ':' || *a == '\0') return 0;
    while (*a) {
        char addr[64];
        unsigned char bin[16];
        size_t n = strcspn(a, ",");
        const char *p = a;
        if (n >= 2 && p[0] == '[' && p[n - 1] == ']') {
            p++;
            n -= 2;
        }
        if (n == 0 || n >= sizeof(addr)) return 0;
        memcpy(addr, p, n);
        addr[n] = '\0';
        if (inet_pton(AF_INET, addr, bin) != 1 && inet_pton(AF_INET6, addr, bin) != 1) return 0;
        a += strcspn(a, ",");
        if (*a == ',' && *++a == '\0') return 0;
    }
    return 1;
}

/* after cli_opt_uint or cli_opt_num said what is wrong with an option value */
static int bad_opt(const char **resolve)
{
    free(resolve);
    return 2;
}

int cmd_fetch(int argc, char **argv)
{
    enum {
        O_CONN = 256, O_PERHOST, O_MAXBYTES, O_TIMEOUT, O_CTIMEOUT, O_LOWSPEED, O_LOWTIME,
        O_RETRIES, O_RETRYWAIT, O_RETRYMAX, O_UA, O_ALLOWPRIV, O_ALLOWADDR, O_RESOLVE,
        O_MAXREDIR, O_URLCOL, O_LISTFMT, O_MAXPIX, O_FAST, O_PROGRESS, O_MAXHELD
    };
    static const struct option opts[] = {
        {"connections", required_argument, NULL, O_CONN},
        {"per-host", required_argument, NULL, O_PERHOST},
        {"max-bytes", required_argument, NULL, O_MAXBYTES},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"connect-timeout", required_argument, NULL, O_CTIMEOUT},
        {"low-speed", required_argument, NULL, O_LOWSPEED},
        {"low-speed-time", required_argument, NULL, O_LOWTIME},
        {"retries", required_argument, NULL, O_RETRIES},
        {"retry-wait", required_argument, NULL, O_RETRYWAIT},
        {"retry-after-max", required_argument, NULL, O_RETRYMAX},
        {"user-agent", required_argument, NULL, O_UA},
        {"allow-private", no_argument, NULL, O_ALLOWPRIV},
        {"allow-addr", required_argument, NULL, O_ALLOWADDR},
        {"resolve", required_argument, NULL, O_RESOLVE},
        {"max-redirects", required_argument, NULL, O_MAXREDIR},
        {"max-held", required_argument, NULL, O_MAXHELD},
        {"url-col", required_argument, NULL, O_URLCOL},
        {"list-format", required_argument, NULL, O_LISTFMT},
        {"max-pixels", required_argument, NULL, O_MAXPIX},
        {"fast", no_argument, NULL, O_FAST},
        {"algo", required_argument, NULL, 'a'},
        {"dihedral", no_argument, NULL, 'd'},
        {"format", required_argument, NULL, 'f'},
        {"jobs", required_argument, NULL, 'j'},
        {"output", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},
        {"progress", no_argument, NULL, O_PROGRESS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    fetch_ctx c;
    dv_fetch_opts fo;
    dv_hasher_opts ho;
    dv_textlist_opts to;
    unsigned long long jobs = 1, v;
    const char *outpath = NULL;
    const char **resolve = NULL;
    size_t nresolve = 0;
    int opt, quiet = 0, force_progress = 0, status = 0, list_fmt_set = 0;
    cli_progress pl;
    FILE *out = stdout;
    cli_out co = {0};
    int finished = 0; /* the loop ran to its end: the records are written, put in place */
    pthread_t *threads = NULL;
    worker_arg *wargs = NULL;
    unsigned started = 0;
    uint64_t seq = 0, next_write = 0, bad_rows = 0, failed = 0;
    int eof = 0, inited = 0, fatal = 0;
    double t0;
    input in;

    memset(&c, 0, sizeof(c));
    memset(&fo, 0, sizeof(fo));
    memset(&ho, 0, sizeof(ho));
    memset(&to, 0, sizeof(to));
    memset(&in, 0, sizeof(in));
    in.fd = -1;
    c.algos = DV_ALGO_ALL;
    c.format = FMT_TSV;
    optind = 1;
    cli_getopt_name(argv, "datavet fetch");
#define OPT_UINT(name, sfx, lo, hi) (cli_opt_uint("fetch", name, optarg, sfx, lo, hi, &v) != 0)
    while ((opt = getopt_long(argc, argv, "a:df:j:o:qh", opts, NULL)) != -1) {
        uint32_t ms;
        switch (opt) {
        case O_CONN:
            if (OPT_UINT("--connections", CLI_DIGITS, 1, 4096)) return bad_opt(resolve);
            fo.connections = (uint32_t)v;
            break;
        case O_PERHOST:
            if (OPT_UINT("--per-host", CLI_DIGITS, 1, 4096)) return bad_opt(resolve);
            fo.per_host = (uint32_t)v;
            break;
        case O_MAXHELD:
            if (OPT_UINT("--max-held", CLI_DIGITS, 1, 65536)) return bad_opt(resolve);
            fo.max_held = (uint32_t)v;
            break;
        case O_MAXBYTES:
            if (OPT_UINT("--max-bytes", CLI_SFX_1024, 1, 1ull << 40)) return bad_opt(resolve);
            fo.max_bytes = v;
            break;
        case O_TIMEOUT:
            if (parse_secs_ms("--timeout", optarg, &ms) != 0) return bad_opt(resolve);
            fo.timeout_ms = ms;
            break;
        case O_CTIMEOUT:
            if (parse_secs_ms("--connect-timeout", optarg, &ms) != 0) return bad_opt(resolve);
            fo.connect_timeout_ms = ms;
            break;
        case O_LOWSPEED:
            if (OPT_UINT("--low-speed", CLI_DIGITS, 1, 1ull << 30)) return bad_opt(resolve);
            fo.low_speed_bytes = (uint32_t)v;
            break;
        case O_LOWTIME:
            if (OPT_UINT("--low-speed-time", CLI_DIGITS, 1, 3600)) return bad_opt(resolve);
            fo.low_speed_time_s = (uint32_t)v;
            break;
        case O_RETRIES:
            if (OPT_UINT("--retries", CLI_DIGITS, 0, 20)) return bad_opt(resolve);
            fo.retries = v == 0 ? -1 : (int)v;
            break;
        case O_RETRYWAIT:
            if (OPT_UINT("--retry-wait", CLI_DIGITS, 1, 600000)) return bad_opt(resolve);
            fo.retry_wait_ms = (uint32_t)v;
            break;
        case O_RETRYMAX:
            if (OPT_UINT("--retry-after-max", CLI_DIGITS, 1, 86400)) return bad_opt(resolve);
            fo.retry_after_max_s = (uint32_t)v;
            break;
        case O_UA:
            if (optarg[0] == '\0' || strpbrk(optarg, "\r\n") != NULL)
                return usage_err("bad --user-agent '%s'", optarg);
            fo.user_agent = optarg;
            break;
        case O_ALLOWPRIV: fo.allow_addr = DV_ADDR_ALL; break;
        case O_ALLOWADDR: {
            unsigned a;
            if (parse_addr_classes(optarg, &a) != 0)
                return usage_err("bad --allow-addr '%s' (loopback,private,link-local,"
                                 "multicast,reserved,all)", optarg);
            fo.allow_addr |= a;
            break;
        }
        case O_RESOLVE: {
            const char **nr;
            if (!resolve_ok(optarg)) {
                free(resolve);
                return usage_err("bad --resolve '%s' (HOST:PORT:ADDRESS[,ADDRESS...], as curl "
                                 "takes it)", optarg);
            }
            nr = realloc(resolve, (nresolve + 1) * sizeof(char *));
            if (nr == NULL) {
                free(resolve);
                cli_err("datavet fetch: out of memory\n");
                return 2;
            }
            resolve = nr;
            resolve[nresolve++] = optarg;
            break;
        }
        case O_MAXREDIR:
            if (OPT_UINT("--max-redirects", CLI_DIGITS, 0, 5)) return bad_opt(resolve);
            if (v == 0) fo.no_redirects = 1;
            else fo.max_redirects = (uint32_t)v;
            break;
        case O_URLCOL: to.url_col = optarg; break;
        case O_LISTFMT:
            list_fmt_set = 1;
            if (strcmp(optarg, "csv") == 0) to.format = DV_TL_CSV;
            else if (strcmp(optarg, "tsv") == 0) to.format = DV_TL_TSV;
            else if (strcmp(optarg, "jsonl") == 0) to.format = DV_TL_JSONL;
            else if (strcmp(optarg, "txt") == 0) to.format = DV_TL_TXT;
            else if (strcmp(optarg, "auto") == 0) to.format = DV_TL_AUTO;
            else return usage_err("bad --list-format '%s' (csv, tsv, jsonl, txt, auto)", optarg);
            break;
        case O_MAXPIX:
            if (OPT_UINT("--max-pixels", CLI_SFX_1000, 1, ULLONG_MAX)) return bad_opt(resolve);
            ho.max_pixels = v;
            break;
        case O_FAST: ho.fast = 1; break;
        case 'a':
            if (parse_algos(optarg, &c.algos) != 0)
                return usage_err("bad --algo '%s' (use pdq,md5,sha1,sha256)", optarg);
            break;
        case 'd': c.dihedral = 1; break;
        case 'f':
            if (strcmp(optarg, "tsv") == 0) c.format = FMT_TSV;
            else if (strcmp(optarg, "csv") == 0) c.format = FMT_CSV;
            else if (strcmp(optarg, "jsonl") == 0) c.format = FMT_JSONL;
            else return usage_err("bad --format '%s' (tsv, csv or jsonl)", optarg);
            break;
        case 'j':
            if (cli_opt_uint("fetch", "--jobs", optarg, CLI_DIGITS, 1, 1024, &jobs) != 0)
                return bad_opt(resolve);
            break;
        case 'o': outpath = optarg; break;
        case 'q': quiet = 1; break;
        case O_PROGRESS: force_progress = 1; break;
        case 'h': free(resolve); cli_print_help(stdout, "fetch"); return 0;
        default: free(resolve); return cli_usage("fetch", NULL);
        }
    }
#undef OPT_UINT
    if (optind >= argc) {
        free(resolve);
        return cli_usage("fetch", "no URL list given (files, or - for stdin)");
    }
    if (c.dihedral && !(c.algos & DV_ALGO_PDQ)) {
        free(resolve);
        return usage_err("%s", "--dihedral needs pdq in --algo");
    }
    in.names = argv + optind;
    in.n = (size_t)(argc - optind);
    /* every list must be readable before anything is fetched, and none is the output, which
     * opening would empty before a row is read */
    in.sized = 1;
    for (size_t i = 0; i < in.n; i++) {
        struct stat lst;
        if (strcmp(in.names[i], "-") == 0) {
            in.sized = 0;
            continue;
        }
        if (stat(in.names[i], &lst) != 0 || !S_ISREG(lst.st_mode)) in.sized = 0;
        if (access(in.names[i], R_OK) != 0) {
            cli_err("datavet fetch: %s: %s\n", in.names[i], strerror(errno));
            free(resolve);
            return 2;
        }
        if (cli_same_file(outpath, in.names[i])) {
            cli_err("datavet fetch: -o %s is the URL list %s: refused (it would be "
                    "emptied before it is read)\n", outpath, in.names[i]);
            free(resolve);
            return 2;
        }
    }
    /* the sizes the share is of: a list is counted in as read when it is read whole, or
     * when it cannot be opened or read at all (then it has no URL left to fetch) */
    in.sizes = calloc(in.n ? in.n : 1, sizeof(uint64_t));
    if (in.sizes == NULL) {
        cli_err("datavet fetch: out of memory\n");
        free(resolve);
        return 2;
    }
    for (size_t i = 0; in.sized && i < in.n; i++) {
        struct stat lst;
        if (stat(in.names[i], &lst) == 0 && S_ISREG(lst.st_mode)) {
            in.sizes[i] = (uint64_t)lst.st_size;
            in.bytes_total += in.sizes[i];
        } else {
            in.sized = 0;
        }
    }
    if (cli_out_open(&co, outpath) != 0) {
        free(in.sizes);
        cli_err("datavet fetch: cannot write %s: %s\n", outpath, strerror(errno));
        free(resolve);
        return 2;
    }
    out = co.f;

    fo.resolve = resolve;
    fo.nresolve = nresolve;
    c.f = dv_fetcher_create(&fo);
    if (c.f == NULL) {
        cli_err("datavet fetch: cannot set up libcurl\n");
        status = 2;
        goto done;
    }
    {
        /* every URL in flight has a slot: the queue, the transfers, the results being hashed */
        const size_t conn = fo.connections ? fo.connections : 64;
        const size_t held = fo.max_held ? fo.max_held : 2 * conn;
        c.window = 4 * conn + conn + held + 2 * conn + 64;
    }
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv_work, NULL);
    pthread_cond_init(&c.cv_done, NULL);
    inited = 1;
    c.slots = calloc(c.window, sizeof(slot));
    c.wq = calloc(c.window, sizeof(dv_fetch_result));
    c.nworkers = (unsigned)jobs;
    c.hashers = calloc(c.nworkers, sizeof(dv_hasher *));
    threads = calloc(c.nworkers, sizeof(pthread_t));
    wargs = calloc(c.nworkers, sizeof(worker_arg));
    if (c.slots == NULL || c.wq == NULL || c.hashers == NULL || threads == NULL || wargs == NULL)
        goto oom;
    ho.algos = c.algos;
    ho.dihedral = c.dihedral;
    for (unsigned i = 0; i < c.nworkers; i++) {
        c.hashers[i] = dv_hasher_create(&ho);
        if (c.hashers[i] == NULL) goto oom;
    }
    for (; started < c.nworkers; started++) {
        wargs[started].c = &c;
        wargs[started].id = started;
        if (pthread_create(&threads[started], NULL, worker, &wargs[started]) != 0) {
            cli_err("datavet fetch: cannot start a thread\n");
            status = 2;
            goto done;
        }
    }
    if (!list_fmt_set) to.format = DV_TL_AUTO;
    cli_progress_init(&pl, quiet, force_progress);
    header(out, &c);
    t0 = cli_now_s();

    for (;;) {
        dv_fetch_result res;
        int r;
        /* feed the fetcher while the reorder window has room */
        while (!eof && !fatal && dv_fetcher_want(c.f) > 0 && seq - next_write < c.window) {
            dv_textlist_row row;
            if (in.tl == NULL) {
                const char *name;
                if (in.i >= in.n) {
                    eof = 1;
                    break;
                }
                name = in.names[in.i++];
                if (strcmp(name, "-") == 0) {
                    in.fd = STDIN_FILENO;
                    name = "stdin";
                    if (!list_fmt_set) to.format = DV_TL_TXT;
                } else {
                    in.fd = open(name, O_RDONLY | O_CLOEXEC);
                    if (!list_fmt_set) to.format = DV_TL_AUTO;
                }
                /* the size bytes_total has of it, whatever it is now (gone, grown) */
                in.cur_size = in.sizes[in.i - 1];
                if (in.fd < 0) {
                    cli_progress_end(&pl, 0);
                    cli_err("datavet fetch: %s: %s\n", name, strerror(errno));
                    status = 2;
                    in.bytes_read += in.cur_size; /* nothing of it left to do */
                    continue;
                }
                in.tl = dv_textlist_create(&to);
                if (in.tl == NULL) goto oom;
                in.name = name;
                if (dv_textlist_open_fd(in.tl, in.fd, name) != DV_OK) {
                    cli_progress_end(&pl, 0);
                    cli_err("datavet fetch: %s\n", dv_textlist_errmsg(in.tl));
                    status = 2;
                    dv_textlist_free(in.tl);
                    in.tl = NULL;
                    if (in.fd != STDIN_FILENO) close(in.fd);
                    in.fd = -1;
                    in.bytes_read += in.cur_size;
                    continue;
                }
            }
            r = dv_textlist_next(in.tl, &row);
            if (r == 1) {
                if (row.url == NULL || row.url_len == 0) {
                    bad_rows++;
                    continue;
                }
                /* the slot is free (seq - next_write < window) and no thread touches it
                 * before the fetcher hands the URL's result out */
                c.slots[seq % c.window].list = in.name;
                c.slots[seq % c.window].list_line = row.line;
                if (dv_fetcher_add(c.f, seq, row.url) != DV_OK) goto oom;
                seq++;
                continue;
            }
            if (r == DV_ECORRUPT || r == DV_ETOOBIG) {
                cli_progress_end(&pl, 0);
                cli_err("datavet fetch: %s (row skipped)\n", dv_textlist_errmsg(in.tl));
                bad_rows++;
                continue;
            }
            if (r < 0) {
                cli_progress_end(&pl, 0);
                cli_err("datavet fetch: %s\n", dv_textlist_errmsg(in.tl));
                status = 2;
            }
            dv_textlist_free(in.tl);
            in.tl = NULL;
            if (in.fd != STDIN_FILENO) close(in.fd);
            in.fd = -1;
            in.bytes_read += in.cur_size;
        }
        /* write every record that is next in input order */
        pthread_mutex_lock(&c.mu);
        for (;;) {
            slot *s = &c.slots[next_write % c.window];
            if (next_write >= seq || !s->ready) break;
            pthread_mutex_unlock(&c.mu);
            if (s->failed) failed++;
            if (s->failed && !quiet) {
                cli_progress_end(&pl, 0);
                /* named where it is, as a list's bad row is: urls.csv:4; a failure whose
                 * message could not be made (no memory) is still named, by its place */
                if (s->err != NULL)
                    cli_err("datavet fetch: %s:%llu: %s\n", s->list,
                            (unsigned long long)s->list_line, s->err);
                else
                    cli_err("datavet fetch: %s:%llu: failed (out of memory for its message: "
                            "its record says why)\n", s->list,
                            (unsigned long long)s->list_line);
            }
            if (s->line) {
                fputs(s->line, out);
            } else {
                /* a record missing from the output: the run did not do what it says */
                cli_progress_end(&pl, 0);
                cli_err("datavet fetch: %s:%llu: out of memory formatting its record: not "
                        "written\n", s->list, (unsigned long long)s->list_line);
                status = 2;
            }
            free(s->line);
            free(s->err);
            memset(s, 0, sizeof(*s));
            next_write++;
            pthread_mutex_lock(&c.mu);
        }
        if ((eof || fatal) && next_write == seq) {
            pthread_mutex_unlock(&c.mu);
            break;
        }
        pthread_mutex_unlock(&c.mu);
        progress(&pl, &in, next_write, seq, t0, 0);
        if (fatal || dv_fetcher_pending(c.f) == 0) {
            /* nothing left to fetch: wait for the hash workers to fill the next slot */
            pthread_mutex_lock(&c.mu);
            if (next_write < seq && !c.slots[next_write % c.window].ready) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_nsec += 50 * 1000000L;
                if (ts.tv_nsec >= 1000000000L) {
                    ts.tv_sec++;
                    ts.tv_nsec -= 1000000000L;
                }
                pthread_cond_timedwait(&c.cv_done, &c.mu, &ts);
            }
            pthread_mutex_unlock(&c.mu);
            continue;
        }
        r = dv_fetcher_next(c.f, &res, 10);
        if (r < 0) {
            cli_err("datavet fetch: %s\n", dv_fetcher_errmsg(c.f));
            status = 2;
            fatal = 1;
            /* records of URLs still in flight are lost; the output is cut here */
            seq = next_write;
            continue;
        }
        if (r == 0) continue;
        if (res.body != NULL) {
            pthread_mutex_lock(&c.mu);
            c.wq[(c.wq_head + c.wq_n) % c.window] = res;
            c.wq_n++;
            pthread_cond_signal(&c.cv_work);
            pthread_mutex_unlock(&c.mu);
        } else {
            complete(&c, &res, NULL, NULL);
            dv_fetcher_release(c.f, &res);
        }
    }
    progress(&pl, &in, next_write, seq, t0, 1);
    if (!quiet) {
        double el = cli_now_s() - t0;
        const char *sep = ":";
        cli_err("datavet fetch: %llu %s in %.1f s (%.0f/s)", (unsigned long long)seq,
                cli_plural(seq, "URL", "URLs"), el, el > 0 ? (double)seq / el : 0.0);
        for (int k = 0; k < DV_FETCH_NSTATUS; k++)
            if (c.status_count[k]) {
                cli_err("%s %s %llu", sep, dv_fetch_status_name((dv_fetch_status)k),
                        (unsigned long long)c.status_count[k]);
                sep = "";
            }
        if (c.hash_failed)
            cli_err("; %llu fetched but not decodable", (unsigned long long)c.hash_failed);
        if (bad_rows)
            cli_err("; %llu list %s skipped", (unsigned long long)bad_rows,
                    cli_plural(bad_rows, "row", "rows"));
        fputc('\n', stderr);
        /* the guard refuses what a first run on an internal mirror or a test server fetches:
         * say how to allow it, once */
        unsigned long long nb = c.status_count[DV_FETCH_BLOCKED_PRIVATE];
        if (nb)
            cli_err("datavet fetch: %llu %s refused by the address guard (not global "
                    "unicast: loopback, private, link-local, multicast or reserved); "
                    "--allow-addr CLASS or --allow-private to fetch from such addresses "
                    "(docs/fetch.md)\n",
                    nb, cli_plural(nb, "URL", "URLs"));
    }
    if (status == 0 && (failed > 0 || bad_rows > 0)) status = 1;
    finished = 1;
    goto done;
oom:
    cli_err("datavet fetch: out of memory\n");
    status = 2;
done:
    if (inited) {
        pthread_mutex_lock(&c.mu);
        c.stop = 1;
        pthread_cond_broadcast(&c.cv_work);
        pthread_mutex_unlock(&c.mu);
    }
    for (unsigned i = 0; i < started; i++) pthread_join(threads[i], NULL);
    /* results a failed run left queued go back before the fetcher goes */
    while (c.wq != NULL && c.wq_n > 0) {
        dv_fetcher_release(c.f, &c.wq[c.wq_head]);
        c.wq_head = (c.wq_head + 1) % c.window;
        c.wq_n--;
    }
    if (in.tl) dv_textlist_free(in.tl);
    if (in.fd >= 0 && in.fd != STDIN_FILENO) close(in.fd);
    for (size_t k = 0; c.slots && k < c.window; k++) {
        free(c.slots[k].line);
        free(c.slots[k].err);
    }
    /* a run that failed before its end leaves no output cut short in place */
    if (cli_out_close(&co, finished) != 0) {
        int e = errno;
        if (!cli_out_placed_err(&co, "fetch", outpath, e))
            cli_err("datavet fetch: %s: write failed: %s\n", outpath ? outpath : "stdout",
                    strerror(e));
        status = 2;
    }
    for (unsigned i = 0; c.hashers && i < c.nworkers; i++) dv_hasher_free(c.hashers[i]);
    free(c.hashers);
    free(threads);
    free(wargs);
    free(c.slots);
    free(c.wq);
    dv_fetcher_free(c.f);
    if (inited) {
        pthread_mutex_destroy(&c.mu);
        pthread_cond_destroy(&c.cv_work);
        pthread_cond_destroy(&c.cv_done);
    }
    free(resolve);
    free(in.sizes);
    return status;
}
