/* fetch.c - the URL fetcher: one libcurl multi handle driven by the caller's thread, many
 * transfers, an SSRF guard on every socket, retries with backoff, in-memory bodies with a bound. */
#include "../common/common.h"
#include "../hash/url_internal.h"
#include "net_internal.h"

#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <time.h>

#define ERRPAGE_MAX (256u << 10) /* bytes of a non-2xx body read (and dropped) to keep the
                                    connection alive; beyond that the transfer is cut */
#define BACKOFF_MAX_MS 30000u
#define HOSTKEY_MAX 300

enum { J_QUEUED = 1, J_ACTIVE, J_DELAYED, J_DONE, J_HELD, J_FREE };

typedef struct job {
    struct dv_fetcher *f;
    struct job *next, *prev;
    CURL *easy;
    uint64_t tag;
    char *url;
    char *wire; /* the URL as it is requested (wire_url), NULL when that is url itself */
    char *final_url;
    char *ctype;
    uint64_t hosthash;
    uint8_t *body;
    size_t len, cap;
    uint64_t bytes;
    uint64_t t_first, t_due; /* ms, monotonic */
    uint32_t attempts, redirects;
    int http_code;
    dv_fetch_status status;
    int state;
    /* the guard, for the connection being made (reset when a response arrives, so a
     * redirect's connection is judged on its own): addresses refused, the first of them as
     * text, and sockets opened to allowed ones */
    uint32_t refused, opened;
    char refused_txt[80];
    int too_big;    /* over max_bytes in this attempt */
    int discard;    /* non-2xx: body read and dropped */
    int checked;    /* first body bytes seen in this attempt */
    int data_uri;   /* a base64 data: URI: decoded when the held bound allows, no transfer */
    dv_image_format format;
    char err[CURL_ERROR_SIZE];
    char detail[256];
} job;

typedef struct jlist {
    job *head, *tail;
    size_t n;
} jlist;

struct dv_fetcher {
    const dv_alloc *alloc;
    uint32_t connections, per_host, queue_cap, max_held, max_redirects;
    size_t nduri; /* data: URI jobs in the queue */
    uint64_t max_bytes;
    uint32_t connect_timeout_ms, timeout_ms, low_speed_bytes, low_speed_time_s;
    uint32_t retries, retry_wait_ms, retry_after_max_s;
    int no_redirects;
    unsigned allow_addr;
    char *user_agent;
    struct curl_slist *resolve;
    CURLM *multi;
    CURL **easy_pool; /* idle easy handles, configured once */
    size_t neasy;
    job **active;
    size_t nactive;
    jlist queue, delayed, done;
    uint64_t rng;
    pthread_mutex_t mu; /* guards freejobs and held: dv_fetcher_release may be on any thread */
    jlist freejobs;
    size_t held;
    char errmsg[256];
};

static uint64_t now_ms(void) { return dv__mono_ns() / 1000000u; }

static void jl_push(jlist *l, job *j)
{
    j->next = NULL;
    j->prev = l->tail;
    if (l->tail) l->tail->next = j;
    else l->head = j;
    l->tail = j;
    l->n++;
}

static void jl_unlink(jlist *l, job *j)
{
    if (j->prev) j->prev->next = j->next;
    else l->head = j->next;
    if (j->next) j->next->prev = j->prev;
    else l->tail = j->prev;
    j->next = j->prev = NULL;
    l->n--;
}

/* delayed retries stay sorted by due time */
static void jl_insert_due(jlist *l, job *j)
{
    job *at = l->tail;
    while (at != NULL && at->t_due > j->t_due) at = at->prev;
    if (at == NULL) {
        j->prev = NULL;
        j->next = l->head;
        if (l->head) l->head->prev = j;
        else l->tail = j;
        l->head = j;
    } else {
        j->prev = at;
        j->next = at->next;
        if (at->next) at->next->prev = j;
        else l->tail = j;
        at->next = j;
    }
    l->n++;
}

static void body_drop(dv_fetcher *f, job *j)
{
    if (j->body != NULL) {
        explicit_bzero(j->body, j->len);
        dv__free(f->alloc, j->body);
    }
    j->body = NULL;
    j->len = j->cap = 0;
}

static void job_clear(dv_fetcher *f, job *j)
{
    body_drop(f, j);
    dv__free(f->alloc, j->url);
    dv__free(f->alloc, j->wire);
    dv__free(f->alloc, j->final_url);
    dv__free(f->alloc, j->ctype);
    memset(j, 0, sizeof(*j));
    j->state = J_FREE;
}

static job *job_get(dv_fetcher *f)
{
    job *j;
    pthread_mutex_lock(&f->mu);
    j = f->freejobs.head;
    if (j != NULL) jl_unlink(&f->freejobs, j);
    pthread_mutex_unlock(&f->mu);
    if (j == NULL) j = dv__calloc(f->alloc, 1, sizeof(*j));
    if (j != NULL) {
        memset(j, 0, sizeof(*j));
        j->f = f;
    }
    return j;
}

static char *dupstr(const dv_alloc *a, const char *s)
{
    size_t n = strlen(s);
    char *d = dv__malloc(a, n + 1);
    if (d != NULL) memcpy(d, s, n + 1);
    return d;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

/* ------------------------------------------------------------ callbacks */

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *userp)
{
    job *j = userp;
    dv_fetcher *f = j->f;
    size_t n = size * nmemb;
    if (!j->checked) {
        long code = 0;
        curl_off_t cl = -1;
        j->checked = 1;
        curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
        if (code < 200 || code >= 300) {
            j->discard = 1;
        } else if (curl_easy_getinfo(j->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) ==
                       CURLE_OK && cl > 0) {
            if ((uint64_t)cl > f->max_bytes) {
                j->too_big = 1;
                return 0;
            }
            /* a first guess only: with Content-Encoding the decoded body is longer */
            if (j->cap < (size_t)cl && (size_t)cl <= (16u << 20)) {
                uint8_t *nb = dv__malloc(f->alloc, (size_t)cl);
                if (nb != NULL) {
                    j->body = nb;
                    j->cap = (size_t)cl;
                }
            }
        }
    }
    j->bytes += n;
    if (j->discard) return j->bytes > ERRPAGE_MAX ? 0 : n;
    if ((uint64_t)j->len + n > f->max_bytes) {
        j->too_big = 1;
        return 0;
    }
    if (j->len + n > j->cap) {
        /* grow by copying, never realloc: the old block is zeroed before it is freed */
        size_t ncap = j->cap ? j->cap * 2 : (64u << 10);
        uint8_t *nb;
        while (ncap < j->len + n) ncap *= 2;
        if (ncap > f->max_bytes) ncap = (size_t)f->max_bytes;
        nb = dv__malloc(f->alloc, ncap);
        if (nb == NULL) return 0;
        if (j->len) memcpy(nb, j->body, j->len);
        if (j->body) {
            explicit_bzero(j->body, j->len);
            dv__free(f->alloc, j->body);
        }
        j->body = nb;
        j->cap = ncap;
    }
    memcpy(j->body + j->len, ptr, n);
    j->len += n;
    return n;
}

/* The end of each response's headers: a 2xx whose Content-Length is over max_bytes is cut
 * there, before any body byte (its body may never come). Not CURLOPT_MAXFILESIZE, which
 * cuts every answer: a 404 with a long page was too_big, not http_404, and a redirect
 * announcing a long body was not followed. */
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userp)
{
    job *j = userp;
    size_t n = size * nmemb;
    long code = 0;
    curl_off_t cl = -1;
    /* a response came on a connection: the addresses tried before it are history, a later
     * connection (a redirect elsewhere) is judged by its own */
    j->refused = j->opened = 0;
    if (!(n == 2 && ptr[0] == '\r' && ptr[1] == '\n') && !(n == 1 && ptr[0] == '\n')) return n;
    curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 200 && code < 300 &&
        curl_easy_getinfo(j->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK &&
        cl > 0 && (uint64_t)cl > j->f->max_bytes) {
        j->too_big = 1;
        return 0;
    }
    return n;
}

static void addr_text(const struct curl_sockaddr *a, char *out, size_t cap)
{
    out[0] = '\0';
    if (a->family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)&a->addr)->sin_addr, out,
                  (socklen_t)cap);
    else if (a->family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)&a->addr)->sin6_addr, out,
                  (socklen_t)cap);
}

/* The SSRF guard: every connection's address, after DNS, redirects and CURLOPT_RESOLVE.
 * A refused address is only noted: libcurl then tries the name's next address, and the
 * outcome (status_of_curl, describe) depends on whether an allowed one was tried. */
static curl_socket_t on_opensocket(void *clientp, curlsocktype purpose,
                                   struct curl_sockaddr *a)
{
    job *j = clientp;
    dv_addr_class cls;
    uint8_t bytes[16];
    char txt[64];
    if (a->family == AF_INET) {
        memcpy(bytes, &((const struct sockaddr_in *)(const void *)&a->addr)->sin_addr, 4);
        cls = dv_addr_classify(4, bytes);
    } else if (a->family == AF_INET6) {
        memcpy(bytes, &((const struct sockaddr_in6 *)(const void *)&a->addr)->sin6_addr, 16);
        cls = dv_addr_classify(6, bytes);
    } else {
        cls = DV_ADDR_RESERVED; /* unix sockets and the like */
    }
    (void)purpose;
    if (cls != DV_ADDR_GLOBAL && !(cls & j->f->allow_addr)) {
        if (j->refused++ == 0) {
            addr_text(a, txt, sizeof(txt));
            dv__set_err(j->refused_txt, sizeof(j->refused_txt),
                        "refused to connect to %s: a %s address",
                        txt[0] ? txt : "(unknown family)", dv_addr_class_name(cls));
        }
        return CURL_SOCKET_BAD;
    }
    j->opened++;
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* ------------------------------------------------------------ easy handles */

static CURL *easy_new(dv_fetcher *f)
{
    CURL *e = curl_easy_init();
    int bad = 0;
    if (e == NULL) return NULL;
    bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_opensocket) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, f->no_redirects ? 0L : 1L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)f->max_redirects) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, f->user_agent) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)f->connect_timeout_ms) !=
           CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)f->timeout_ms) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, (long)f->low_speed_bytes) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)f->low_speed_time_s) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK;
    /* every encoding libcurl decodes; decoded bytes are what max_bytes counts */
    bad |= curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK;
    /* no proxy from the environment: the guard checks the address really connected to */
    bad |= curl_easy_setopt(e, CURLOPT_PROXY, "") != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, 300L) != CURLE_OK;
    bad |= curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 65536L) != CURLE_OK;
    if (f->resolve != NULL) bad |= curl_easy_setopt(e, CURLOPT_RESOLVE, f->resolve) != CURLE_OK;
    if (bad) {
        curl_easy_cleanup(e);
        return NULL;
    }
    return e;
}

/* ------------------------------------------------------------ create / free */

int dv_net_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? DV_OK : DV_EIO;
}

void dv_net_global_cleanup(void) { curl_global_cleanup(); }

dv_fetcher *dv_fetcher_create(const dv_fetch_opts *opts)
{
    dv_fetch_opts o;
    dv_fetcher *f;
    char ua[96];
    if (opts != NULL) o = *opts;
    else memset(&o, 0, sizeof(o));
    f = dv__calloc(o.alloc, 1, sizeof(*f));
    if (f == NULL) return NULL;
    f->alloc = o.alloc;
    f->connections = o.connections ? o.connections : 64;
    if (f->connections > 65536) f->connections = 65536;
    f->per_host = o.per_host ? o.per_host : 4;
    f->queue_cap = o.queue ? o.queue : 4 * f->connections;
    f->max_held = o.max_held ? o.max_held : 2 * f->connections;
    f->max_bytes = o.max_bytes ? o.max_bytes : DV_FETCH_DEFAULT_MAX_BYTES;
    if (f->max_bytes > ((uint64_t)1 << 40)) f->max_bytes = (uint64_t)1 << 40;
    f->connect_timeout_ms = o.connect_timeout_ms ? o.connect_timeout_ms : 10000;
    f->timeout_ms = o.timeout_ms ? o.timeout_ms : 30000;
    f->low_speed_bytes = o.low_speed_bytes ? o.low_speed_bytes : 1000;
    f->low_speed_time_s = o.low_speed_time_s ? o.low_speed_time_s : 10;
    f->retries = o.retries < 0 ? 0 : o.retries == 0 ? 2 : (uint32_t)o.retries;
    if (f->retries > 20) f->retries = 20;
    f->retry_wait_ms = o.retry_wait_ms ? o.retry_wait_ms : 500;
    f->retry_after_max_s = o.retry_after_max_s ? o.retry_after_max_s : 30;
    f->max_redirects = o.max_redirects && o.max_redirects < 5 ? o.max_redirects : 5;
    f->no_redirects = o.no_redirects;
    f->allow_addr = o.allow_addr & DV_ADDR_ALL;
    f->rng = (uint64_t)(uintptr_t)f ^ now_ms() ^ 0x9E3779B97F4A7C15ull;
    if (pthread_mutex_init(&f->mu, NULL) != 0) {
        dv__free(f->alloc, f);
        return NULL;
    }
    snprintf(ua, sizeof(ua), "datavet/%s (image hash scanner)", dv_version());
    f->user_agent = dupstr(f->alloc, o.user_agent ? o.user_agent : ua);
    f->easy_pool = dv__calloc(f->alloc, f->connections, sizeof(CURL *));
    f->active = dv__calloc(f->alloc, f->connections, sizeof(job *));
    f->multi = curl_multi_init();
    if (f->user_agent == NULL || f->easy_pool == NULL || f->active == NULL || f->multi == NULL)
        goto fail;
    for (size_t i = 0; i < o.nresolve; i++) {
        struct curl_slist *n = curl_slist_append(f->resolve, o.resolve[i]);
        if (n == NULL) goto fail;
        f->resolve = n;
    }
    if (curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)f->connections) !=
            CURLM_OK ||
        curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)f->per_host) !=
            CURLM_OK ||
        curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, (long)f->connections) != CURLM_OK ||
        curl_multi_setopt(f->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX) != CURLM_OK)
        goto fail;
    return f;
fail:
    dv_fetcher_free(f);
    return NULL;
}

static void jl_free_all(dv_fetcher *f, jlist *l)
{
    job *j;
    while ((j = l->head) != NULL) {
        jl_unlink(l, j);
        job_clear(f, j);
        dv__free(f->alloc, j);
    }
}

void dv_fetcher_free(dv_fetcher *f)
{
    if (f == NULL) return;
    for (size_t i = 0; i < f->nactive; i++) {
        job *j = f->active[i];
        if (f->multi) curl_multi_remove_handle(f->multi, j->easy);
        curl_easy_cleanup(j->easy);
        job_clear(f, j);
        dv__free(f->alloc, j);
    }
    for (size_t i = 0; i < f->neasy; i++) curl_easy_cleanup(f->easy_pool[i]);
    jl_free_all(f, &f->queue);
    jl_free_all(f, &f->delayed);
    jl_free_all(f, &f->done);
    jl_free_all(f, &f->freejobs);
    if (f->multi) curl_multi_cleanup(f->multi);
    curl_slist_free_all(f->resolve);
    dv__free(f->alloc, f->easy_pool);
    dv__free(f->alloc, f->active);
    dv__free(f->alloc, f->user_agent);
    pthread_mutex_destroy(&f->mu);
    dv__free(f->alloc, f);
}

const char *dv_fetcher_errmsg(const dv_fetcher *f) { return f ? f->errmsg : ""; }

size_t dv_fetcher_want(const dv_fetcher *f)
{
    if (f == NULL || f->queue.n >= f->queue_cap) return 0;
    return f->queue_cap - f->queue.n;
}

size_t dv_fetcher_pending(const dv_fetcher *f)
{
    if (f == NULL) return 0;
    return f->queue.n + f->nactive + f->delayed.n + f->done.n;
}

/* ------------------------------------------------------------ add */

static void finish_now(dv_fetcher *f, job *j, dv_fetch_status st, const char *why)
{
    j->status = st;
    dv__set_err(j->detail, sizeof(j->detail), "%s", why);
    j->state = J_DONE;
    jl_push(&f->done, j);
}

/* A base64 data: URI holds its content: decoded, with no transfer, into the job's body
 * (bounded by max_bytes) and finished as a fetch of those bytes would be. It waits in the
 * queue like any URL and is decoded by start_ready when the bound on bodies held allows. */
static void data_uri_job(dv_fetcher *f, job *j)
{
    const char *url = j->url;
    size_t len = strlen(url), cap, got = 0, mo = 0, ml = 0;
    int rc;
    char mt[128];
    cap = 3 * (len / 4) + 3;
    if ((uint64_t)cap > f->max_bytes) cap = (size_t)f->max_bytes;
    j->body = dv__malloc(f->alloc, cap ? cap : 1);
    if (j->body == NULL) {
        finish_now(f, j, DV_FETCH_OTHER, "no memory for a data: URI's content");
        return;
    }
    j->cap = cap;
    rc = dv_data_uri_decode(url, len, j->body, cap, &got, &mo, &ml);
    /* on failure the bytes decoded so far are in body too: all of it is zeroed */
    j->len = rc == DV_OK ? got : cap;
    if (rc != DV_OK) {
        body_drop(f, j);
        finish_now(f, j, rc == DV_ETOOBIG ? DV_FETCH_TOO_BIG : DV_FETCH_BAD_URL,
                   rc == DV_ETOOBIG ? "data: URI content over max_bytes"
                                    : "data: URI with bad base64");
        return;
    }
    j->bytes = got;
    j->format = dv_image_sniff(j->body, got);
    snprintf(mt, sizeof mt, "%.*s", (int)(ml < sizeof mt ? ml : sizeof mt - 1), url + mo);
    j->ctype = dupstr(f->alloc, mt);
    if (j->ctype == NULL) {
        body_drop(f, j);
        finish_now(f, j, DV_FETCH_OTHER, "out of memory");
        return;
    }
    finish_now(f, j, j->format != DV_FMT_UNKNOWN ? DV_FETCH_OK : DV_FETCH_NOT_IMAGE,
               "data: URI, decoded without a transfer");
}

/* The URL as a browser requests it (the WHATWG URL standard's basic parser): leading and
 * trailing C0 controls and spaces stripped, tabs and line breaks removed, and after the
 * host, bytes a request line cannot carry percent-encoded: C0 controls, space, '"', '<',
 * '>', '`', DEL and every byte from 0x80 (UTF-8 or not). libcurl refuses a URL with a
 * space or a control byte, and would send the others raw; datasets hold such URLs
 * (LAION: file names with spaces). The host is left to libcurl (IDN). NULL, with *same
 * set, when nothing changes; NULL without it on no memory. */
char *dv__url_wire(const dv_alloc *a, const char *url, int *same)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)url, *e = p + strlen(url);
    size_t n = 0, m = 0, host_end;
    unsigned char *t;
    char *out, *o, *auth;
    int change = 0;
    *same = 0;
    while (p < e && *p <= 0x20) p++, change = 1;
    while (e > p && e[-1] <= 0x20) e--, change = 1;
    /* first without tabs and line breaks (the host is found in what is left, as a browser
     * finds it) */
    t = dv__malloc(a, (size_t)(e - p) + 1);
    if (t == NULL) return NULL;
    for (const unsigned char *q = p; q < e; q++)
        if (*q == '\t' || *q == '\n' || *q == '\r') change = 1;
        else t[m++] = *q;
    t[m] = '\0';
    auth = strstr((char *)t, "://");
    host_end = auth ? (size_t)(auth - (char *)t) + 3 : 0;
    host_end += strcspn((char *)t + host_end, "/?#");
    for (size_t i = 0; i < m; i++) {
        int enc = i >= host_end && (t[i] <= 0x20 || t[i] >= 0x7f || t[i] == '"' || t[i] == '<' ||
                                    t[i] == '>' || t[i] == '`');
        change |= enc;
        n += enc ? 3 : 1;
    }
    if (!change) {
        dv__free(a, t);
        *same = 1;
        return NULL;
    }
    out = o = dv__malloc(a, n + 1);
    if (out == NULL) {
        dv__free(a, t);
        return NULL;
    }
    for (size_t i = 0; i < m; i++) {
        if (i >= host_end && (t[i] <= 0x20 || t[i] >= 0x7f || t[i] == '"' || t[i] == '<' ||
                              t[i] == '>' || t[i] == '`')) {
            *o++ = '%';
            *o++ = hex[t[i] >> 4];
            *o++ = hex[t[i] & 15];
        } else {
            *o++ = (char)t[i];
        }
    }
    *o = '\0';
    dv__free(a, t);
    return out;
}

/* The URL starts with a scheme and "://" (RFC 3986: a letter, then letters, digits, '+',
 * '-', '.'): another scheme than http(s) is bad_scheme; text with "://" further on (a query
 * holding a URL, "example.com/a?u=http://x") is no absolute URL. */
static int has_scheme(const char *url)
{
    size_t i = 0;
    if (!((url[0] >= 'a' && url[0] <= 'z') || (url[0] >= 'A' && url[0] <= 'Z'))) return 0;
    while ((url[i] >= 'a' && url[i] <= 'z') || (url[i] >= 'A' && url[i] <= 'Z') ||
           (url[i] >= '0' && url[i] <= '9') || url[i] == '+' || url[i] == '-' || url[i] == '.')
        i++;
    return strncmp(url + i, "://", 3) == 0;
}

int dv_fetcher_add(dv_fetcher *f, uint64_t tag, const char *url)
{
    int same;
    job *j;
    char key[HOSTKEY_MAX];
    int scheme;
    if (f == NULL || url == NULL || url[0] == '\0') return DV_EINVAL;
    if (f->queue.n >= f->queue_cap) {
        dv__set_err(f->errmsg, sizeof(f->errmsg), "queue full (%u URLs)", f->queue_cap);
        return DV_ETOOBIG;
    }
    j = job_get(f);
    if (j == NULL) return DV_ENOMEM;
    j->tag = tag;
    j->url = dupstr(f->alloc, url);
    if (j->url == NULL) {
        job_clear(f, j);
        dv__free(f->alloc, j);
        return DV_ENOMEM;
    }
    if (dv_data_uri_decode(url, strlen(url), NULL, 0, NULL, NULL, NULL) != DV_EINVAL) {
        j->data_uri = 1;
        j->hosthash = 0;
        j->state = J_QUEUED;
        jl_push(&f->queue, j);
        f->nduri++;
        return DV_OK;
    }
    j->wire = dv__url_wire(f->alloc, url, &same);
    if (j->wire == NULL && !same) {
        job_clear(f, j);
        dv__free(f->alloc, j);
        return DV_ENOMEM;
    }
    if (j->wire) url = j->wire;
    scheme = dv__url_host_key(url, strlen(url), key, sizeof(key));
    if (scheme == 0) {
        finish_now(f, j, has_scheme(url) ? DV_FETCH_BAD_SCHEME : DV_FETCH_BAD_URL,
                   has_scheme(url) ? "only http and https URLs are fetched"
                                   : "not an absolute URL");
        return DV_OK;
    }
    if (scheme < 0) {
        finish_now(f, j, DV_FETCH_BAD_URL, "no host in the URL, or a host too long");
        return DV_OK;
    }
    j->hosthash = fnv1a(key);
    j->state = J_QUEUED;
    jl_push(&f->queue, j);
    return DV_OK;
}

/* ------------------------------------------------------------ transfers */

static size_t host_active(const dv_fetcher *f, uint64_t h)
{
    size_t n = 0;
    for (size_t i = 0; i < f->nactive; i++) n += f->active[i]->hosthash == h;
    return n;
}

static int start(dv_fetcher *f, job *j)
{
    CURL *e = f->neasy ? f->easy_pool[--f->neasy] : easy_new(f);
    if (e == NULL) {
        if (j->attempts == 0) j->t_first = now_ms();
        finish_now(f, j, DV_FETCH_OTHER, "libcurl: cannot set up a transfer");
        return DV_OK;
    }
    j->easy = e;
    j->err[0] = '\0';
    j->detail[0] = '\0';
    j->refused = j->opened = 0;
    j->refused_txt[0] = '\0';
    j->too_big = j->discard = j->checked = 0;
    j->bytes = 0;
    j->http_code = 0;
    if (curl_easy_setopt(e, CURLOPT_URL, j->wire ? j->wire : j->url) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)j) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_WRITEDATA, (void *)j) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_HEADERDATA, (void *)j) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, (void *)j) != CURLE_OK ||
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->err) != CURLE_OK ||
        curl_multi_add_handle(f->multi, e) != CURLM_OK) {
        curl_easy_cleanup(e);
        j->easy = NULL;
        if (j->attempts == 0) j->t_first = now_ms();
        finish_now(f, j, DV_FETCH_OTHER, "libcurl: cannot start a transfer");
        return DV_OK;
    }
    if (j->attempts == 0) j->t_first = now_ms();
    j->attempts++;
    j->state = J_ACTIVE;
    f->active[f->nactive++] = j;
    return DV_OK;
}

static size_t held_now(dv_fetcher *f)
{
    size_t h;
    pthread_mutex_lock(&f->mu);
    h = f->held;
    pthread_mutex_unlock(&f->mu);
    return h;
}

/* Start what limits allow: due retries first, then queued URLs whose host has room. */
static int start_ready(dv_fetcher *f)
{
    const size_t held = held_now(f);
    const uint64_t t = now_ms();
    while (f->nactive < f->connections && held + f->done.n < f->max_held) {
        job *j = NULL;
        for (job *c = f->delayed.head; c != NULL && c->t_due <= t; c = c->next)
            if (host_active(f, c->hosthash) < f->per_host) {
                j = c;
                jl_unlink(&f->delayed, j);
                break;
            }
        /* waiting retries hold no connection but do hold a place: bound them */
        if (j == NULL && f->delayed.n < f->connections)
            for (job *c = f->queue.head; c != NULL; c = c->next)
                if (!c->data_uri && host_active(f, c->hosthash) < f->per_host) {
                    j = c;
                    jl_unlink(&f->queue, j);
                    break;
                }
        if (j == NULL) break;
        DV_FORWARD_IF_ERROR(start(f, j));
    }
    /* then data: URIs, which take no connection: decoded while the bound on bodies allows
     * (after the transfers, so that a run of them does not keep connections idle) */
    for (job *c = f->queue.head, *nx; f->nduri > 0 && c != NULL && held + f->done.n < f->max_held;
         c = nx) {
        nx = c->next;
        if (!c->data_uri) continue;
        jl_unlink(&f->queue, c);
        f->nduri--;
        data_uri_job(f, c);
    }
    return DV_OK;
}

static dv_fetch_status status_of_http(int code)
{
    if (code >= 200 && code < 300) return DV_FETCH_OK;
    if (code == 404 || code == 410) return DV_FETCH_HTTP_404;
    if (code == 429) return DV_FETCH_HTTP_429;
    if (code >= 400 && code < 500) return DV_FETCH_HTTP_4XX;
    if (code >= 500 && code < 600) return DV_FETCH_HTTP_5XX;
    return DV_FETCH_HTTP_OTHER;
}

/* The last response is the answer handed out, not a redirect on its way to be followed:
 * its status then says what became of the URL, whatever happened to its body. */
static int final_answer(const job *j)
{
    char *loc = NULL;
    if (j->http_code >= 400) return 1;
    if (j->http_code < 300) return 0;
    return j->f->no_redirects ||
           curl_easy_getinfo(j->easy, CURLINFO_REDIRECT_URL, &loc) != CURLE_OK || loc == NULL;
}

static dv_fetch_status status_of_curl(const job *j, CURLcode rc)
{
    if (j->too_big) return DV_FETCH_TOO_BIG;
    /* blocked only when the guard refused every address tried: with an allowed one tried
     * too, the failure is that one's */
    if (j->refused > 0 && j->opened == 0 && rc == CURLE_COULDNT_CONNECT)
        return DV_FETCH_BLOCKED_PRIVATE;
    switch (rc) {
    case CURLE_FILESIZE_EXCEEDED: return DV_FETCH_TOO_BIG;
    case CURLE_OPERATION_TIMEDOUT: return DV_FETCH_TIMEOUT;
    case CURLE_COULDNT_RESOLVE_HOST: return DV_FETCH_DNS;
    case CURLE_COULDNT_CONNECT: return DV_FETCH_CONNECT;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING: return DV_FETCH_RESET;
    case CURLE_PARTIAL_FILE:
        /* an error page cut short is the error its status says (a 404 is no truncated
         * image to fetch again); a 2xx body or a redirect being followed is truncated */
        return final_answer(j) ? status_of_http(j->http_code) : DV_FETCH_TRUNCATED;
    case CURLE_TOO_MANY_REDIRECTS: return DV_FETCH_TOO_MANY_REDIRECTS;
    case CURLE_UNSUPPORTED_PROTOCOL: return DV_FETCH_BAD_SCHEME;
    case CURLE_URL_MALFORMAT: return DV_FETCH_BAD_URL;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED: return DV_FETCH_TLS;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_RANGE_ERROR: return DV_FETCH_BAD_RESPONSE;
    case CURLE_WRITE_ERROR:
        /* an error page longer than we read: the HTTP status says what it was */
        if (j->discard && j->http_code > 0) return status_of_http(j->http_code);
        return DV_FETCH_OTHER;
    default: return DV_FETCH_OTHER;
    }
}

static int retryable(const job *j)
{
    switch (j->status) {
    case DV_FETCH_TIMEOUT:
    case DV_FETCH_RESET:
    case DV_FETCH_TRUNCATED:
    case DV_FETCH_HTTP_429: return 1;
    case DV_FETCH_HTTP_5XX: return j->http_code != 501 && j->http_code != 505;
    default: return 0;
    }
}

static uint64_t rng_next(dv_fetcher *f)
{
    uint64_t x = f->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    f->rng = x;
    return x;
}

/* Wait before attempt n+1 in ms; UINT64_MAX: do not retry (Retry-After over the cap). */
static uint64_t retry_wait(dv_fetcher *f, job *j)
{
    uint64_t w = f->retry_wait_ms;
    for (uint32_t i = 1; i < j->attempts && w < BACKOFF_MAX_MS; i++) w *= 2;
    if (w > BACKOFF_MAX_MS) w = BACKOFF_MAX_MS;
    w = w * 3 / 4 + rng_next(f) % (w / 2 + 1); /* +-25% */
    if (j->http_code == 429 || j->http_code == 503) {
        struct curl_header *h = NULL;
        if (curl_easy_header(j->easy, "Retry-After", 0, CURLH_HEADER, -1, &h) == CURLHE_OK &&
            h != NULL && h->value != NULL) {
            uint32_t secs;
            if (dv__retry_after_parse(h->value, strlen(h->value), time(NULL), &secs) == 0) {
                if (secs > f->retry_after_max_s) return UINT64_MAX;
                if ((uint64_t)secs * 1000u > w) w = (uint64_t)secs * 1000u;
            }
        }
    }
    return w;
}

static void describe(job *j, CURLcode rc)
{
    const char *why;
    if (j->detail[0] != '\0') return; /* a limit said it already */
    switch (j->status) {
    case DV_FETCH_OK: return;
    case DV_FETCH_BLOCKED_PRIVATE:
        if (j->refused > 1)
            dv__set_err(j->detail, sizeof(j->detail), "%s (and %u other address%s)",
                        j->refused_txt, j->refused - 1, j->refused == 2 ? "" : "es");
        else
            dv__set_err(j->detail, sizeof(j->detail), "%s", j->refused_txt);
        return;
    case DV_FETCH_NOT_IMAGE:
        dv__set_err(j->detail, sizeof(j->detail), "%s",
                    j->len == 0 ? "empty body" : "the bytes are not a JPEG, PNG, WebP or GIF");
        return;
    case DV_FETCH_TOO_BIG:
        dv__set_err(j->detail, sizeof(j->detail), "body over the limit of %llu bytes",
                    (unsigned long long)j->f->max_bytes);
        return;
    default: break;
    }
    /* the classes status_of_http gives (a complete answer, an error page cut or cut short) */
    if (j->status >= DV_FETCH_HTTP_404 && j->status <= DV_FETCH_HTTP_OTHER) {
        dv__set_err(j->detail, sizeof(j->detail), "HTTP %d", j->http_code);
        return;
    }
    why = j->err[0] ? j->err : curl_easy_strerror(rc);
    /* the connection failed (or timed out) on an allowed address after the guard refused
     * others of the same name: both are part of what happened */
    if (j->refused > 0)
        dv__set_err(j->detail, sizeof(j->detail), "%s; %s", why, j->refused_txt);
    else
        dv__set_err(j->detail, sizeof(j->detail), "%s", why);
}

static int finish(dv_fetcher *f, job *j, CURLcode rc)
{
    CURL *e = j->easy;
    long code = 0, redirs = 0;
    char *eff = NULL, *ct = NULL;
    for (size_t i = 0; i < f->nactive; i++)
        if (f->active[i] == j) {
            f->active[i] = f->active[--f->nactive];
            break;
        }
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(e, CURLINFO_REDIRECT_COUNT, &redirs);
    j->http_code = (int)code;
    j->redirects = (uint32_t)redirs;
    if (rc == CURLE_OK) {
        j->status = status_of_http(j->http_code);
        if (j->status == DV_FETCH_OK) {
            j->format = dv_image_sniff(j->body, j->len);
            if (j->format == DV_FMT_UNKNOWN) j->status = DV_FETCH_NOT_IMAGE;
        }
    } else {
        j->status = status_of_curl(j, rc);
    }
    if (retryable(j) && j->attempts <= f->retries) {
        uint64_t w = retry_wait(f, j);
        if (w != UINT64_MAX) {
            curl_multi_remove_handle(f->multi, e);
            f->easy_pool[f->neasy++] = e;
            j->easy = NULL;
            body_drop(f, j);
            j->t_due = now_ms() + w;
            j->state = J_DELAYED;
            jl_insert_due(&f->delayed, j);
            return DV_OK;
        }
    }
    describe(j, rc);
    if (j->status != DV_FETCH_OK && j->status != DV_FETCH_NOT_IMAGE) body_drop(f, j);
    curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &eff);
    curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ct);
    j->final_url = dupstr(f->alloc, eff ? eff : j->url);
    j->ctype = dupstr(f->alloc, ct ? ct : "");
    curl_multi_remove_handle(f->multi, e);
    f->easy_pool[f->neasy++] = e;
    j->easy = NULL;
    j->state = J_DONE;
    jl_push(&f->done, j);
    if (j->final_url == NULL || j->ctype == NULL) return DV_ENOMEM;
    return DV_OK;
}

/* The detail may quote the URL or its host (libcurl's "Could not resolve host: ..."): base64
 * of an image in it is withheld as dv_url_redact withholds it from the URL, for every caller
 * (datavet fetch wrote it whole until 2026-12-08; the scan's records withheld it). Never
 * longer than the text, so it is done in place. */
static void detail_redact(job *j)
{
    char tmp[sizeof j->detail];
    size_t n = strnlen(j->detail, sizeof j->detail), k;
    if (n == sizeof j->detail) return; /* dv__set_err always ends it */
    /* libcurl's text, and this one, stop at 255 bytes: a host or URL there may be cut inside a
     * run, fewer than 64 digits of it left */
    k = n + 1 == sizeof j->detail ? dv__b64_image_redact_cut(j->detail, n, tmp, sizeof tmp)
                                  : dv__b64_image_redact(j->detail, n, 0, tmp, sizeof tmp);
    if (k > 0 && k < sizeof tmp) memcpy(j->detail, tmp, k + 1);
}

static void fill(dv_fetcher *f, job *j, dv_fetch_result *out)
{
    uint64_t el = j->t_first ? now_ms() - j->t_first : 0;
    memset(out, 0, sizeof(*out));
    out->tag = j->tag;
    out->url = j->url;
    out->final_url = j->final_url ? j->final_url : j->url;
    out->status = j->status;
    out->http_code = j->http_code;
    detail_redact(j);
    out->detail = j->detail;
    out->content_type = j->ctype ? j->ctype : "";
    out->body = (j->status == DV_FETCH_OK || j->status == DV_FETCH_NOT_IMAGE) ? j->body : NULL;
    out->len = out->body ? j->len : 0;
    if (out->body == NULL && j->body) body_drop(f, j);
    out->format = j->format;
    out->bytes = j->bytes;
    out->elapsed_ms = el > UINT32_MAX ? UINT32_MAX : (uint32_t)el;
    out->attempts = j->attempts;
    out->redirects = j->redirects;
    out->priv_ = j;
}

int dv_fetcher_next(dv_fetcher *f, dv_fetch_result *out, int timeout_ms)
{
    const uint64_t t_end = timeout_ms > 0 ? now_ms() + (uint64_t)timeout_ms : 0;
    if (f == NULL || out == NULL) return DV_EINVAL;
    for (;;) {
        int running = 0, left = 0;
        CURLMsg *m;
        CURLMcode mc;
        uint64_t t;
        int wait;
        if (f->done.n > 0) {
            job *j = f->done.head;
            jl_unlink(&f->done, j);
            j->state = J_HELD;
            fill(f, j, out);
            pthread_mutex_lock(&f->mu);
            f->held++;
            pthread_mutex_unlock(&f->mu);
            return 1;
        }
        DV_FORWARD_IF_ERROR(start_ready(f));
        if (f->done.n > 0) continue; /* data: URIs decoded just now */
        if (f->nactive == 0 && f->queue.n == 0 && f->delayed.n == 0) return 0;
        mc = curl_multi_perform(f->multi, &running);
        if (mc != CURLM_OK) {
            dv__set_err(f->errmsg, sizeof(f->errmsg), "libcurl: %s", curl_multi_strerror(mc));
            return DV_EIO;
        }
        while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
            job *j = NULL;
            if (m->msg != CURLMSG_DONE) continue;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
            if (j == NULL) continue;
            if (finish(f, j, m->data.result) == DV_ENOMEM) {
                dv__set_err(f->errmsg, sizeof(f->errmsg), "out of memory");
                return DV_ENOMEM;
            }
        }
        if (f->done.n > 0) continue;
        t = now_ms();
        if (timeout_ms == 0) return 0;
        if (timeout_ms > 0 && t >= t_end) return 0;
        wait = timeout_ms > 0 ? (int)(t_end - t) : 1000;
        if (f->delayed.n > 0) {
            uint64_t due = f->delayed.head->t_due;
            int d = due <= t ? 0 : (due - t > 1000 ? 1000 : (int)(due - t));
            if (d < wait) wait = d;
        }
        if (curl_multi_poll(f->multi, NULL, 0, wait, NULL) != CURLM_OK) {
            dv__set_err(f->errmsg, sizeof(f->errmsg), "libcurl: curl_multi_poll failed");
            return DV_EIO;
        }
    }
}

void dv_fetcher_release(dv_fetcher *f, dv_fetch_result *res)
{
    job *j;
    if (f == NULL || res == NULL || res->priv_ == NULL) return;
    j = res->priv_;
    memset(res, 0, sizeof(*res));
    job_clear(f, j); /* zeroes the body before freeing it */
    pthread_mutex_lock(&f->mu);
    jl_push(&f->freejobs, j);
    f->held--;
    pthread_mutex_unlock(&f->mu);
    curl_multi_wakeup(f->multi);
}
