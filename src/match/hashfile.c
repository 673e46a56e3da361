/* hashfile.c - reads `datavet hash` output (TSV, CSV, JSONL) back into records, from memory
 * or streamed from a descriptor through a bounded window; bad lines are reported and skipped. */
#include "../common/common.h"
#include "list_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_RECORD (1u << 20) /* one record's unescaped fields, bytes */
#define MAX_COLS 256
#define CHUNK (1u << 20)      /* a streamed window holds max_line + up to this much */
#define NEED_MORE (-1000)     /* parse result: the record goes on past the bytes in view */

enum { HF_TSV, HF_CSV, HF_JSONL };
enum { C_PATH, C_STATUS, C_MD5, C_SHA1, C_SHA256, C_PDQ, C_QUALITY, C_DIH0, C_NCOLS = C_DIH0 + 7 };

struct dv_hashfile {
    const dv_alloc *alloc;
    const char *name;
    const char *p, *end; /* unread input: the caller's text, or the window */
    const char *lim;     /* a record is parsed within [p, lim): no more than max_line bytes */
    int lim_eof;         /* lim is the end of the input */
    int fd;              /* -1: the caller's text, whole */
    int eof;             /* end is the end of the input */
    size_t max_line;
    char *win; /* fd: the window, win_cap bytes */
    size_t win_cap;
    int format;
    uint64_t line;       /* lines consumed so far */
    int col_of[MAX_COLS]; /* header column -> C_* or -1 */
    int ncols;
    int has_dih;
    int failed; /* a read failed: final */
    char *buf; /* unescaped fields, NUL-separated */
    size_t cap, len;
    const char *field[C_NCOLS];
    long foff[C_NCOLS]; /* JSONL: field offsets in buf while it may still grow, -1 = absent */
    char err[320];
};

static const char *const k_names[C_NCOLS] = {
    "path", "status", "md5", "sha1", "sha256", "pdq", "quality",
    "pdq_rot90", "pdq_rot180", "pdq_rot270", "pdq_flipx", "pdq_flipy", "pdq_flipplus1", "pdq_flipminus1"};

static int col_index(const char *name, size_t n)
{
    for (int i = 0; i < C_NCOLS; i++)
        if (strlen(k_names[i]) == n && memcmp(k_names[i], name, n) == 0) return i;
    return -1;
}

static int put(dv_hashfile *hf, char c)
{
    if (hf->len + 1 >= hf->cap) {
        size_t ncap = hf->cap ? hf->cap * 2 : 1024;
        char *nb;
        if (ncap > MAX_RECORD) return DV_ETOOBIG;
        nb = dv__realloc(hf->alloc, hf->buf, ncap);
        if (nb == NULL) return DV_ENOMEM;
        hf->buf = nb;
        hf->cap = ncap;
    }
    hf->buf[hf->len++] = c;
    return DV_OK;
}

/* ------------------------------------------------------------ TSV / CSV */

/* Splits one record into fields (offsets into buf); returns the number of fields, a negative
 * error, or NEED_MORE when it goes on past lim short of the input's end (nothing kept: the
 * caller starts it again). Advances hf->p past the record. */
static int split_record(dv_hashfile *hf, size_t *starts, int maxf)
{
    int nf = 0;
    int rc;
    const char *lim = hf->lim;
    const int more = !hf->lim_eof; /* running into lim says nothing of the record's end */
    hf->len = 0;
    starts[nf++] = 0;
    hf->line++;
    while (hf->p < lim) {
        char c = *hf->p;
        if (c == '\n' || c == '\r') {
            hf->p++;
            if (c == '\r' && hf->p == lim && more) return NEED_MORE;
            if (c == '\r' && hf->p < lim && *hf->p == '\n') hf->p++;
            DV_FORWARD_IF_ERROR(put(hf, '\0'));
            return nf;
        }
        if (hf->format == HF_TSV) {
            hf->p++;
            if (c == '\t') {
                DV_FORWARD_IF_ERROR(put(hf, '\0'));
                if (nf == maxf) return DV_ETOOBIG;
                starts[nf++] = hf->len;
                continue;
            }
            if (c == '\\' && hf->p == lim && more) return NEED_MORE;
            if (c == '\\' && hf->p < lim) {
                char e = *hf->p++;
                c = e == 't' ? '\t' : e == 'n' ? '\n' : e == 'r' ? '\r' : e == '\\' ? '\\' : 0;
                if (c == 0) return DV_ECORRUPT;
            }
            DV_FORWARD_IF_ERROR(put(hf, c));
        } else {
            if (c == ',') {
                hf->p++;
                DV_FORWARD_IF_ERROR(put(hf, '\0'));
                if (nf == maxf) return DV_ETOOBIG;
                starts[nf++] = hf->len;
                continue;
            }
            if (c == '"' && (hf->len == 0 || hf->buf[hf->len - 1] == '\0')) {
                hf->p++;
                for (;;) {
                    if (hf->p >= lim) return more ? NEED_MORE : DV_ECORRUPT; /* quote left open */
                    c = *hf->p++;
                    if (c == '"') {
                        if (hf->p == lim && more) return NEED_MORE;
                        if (hf->p < lim && *hf->p == '"') {
                            hf->p++;
                        } else {
                            break;
                        }
                    } else if (c == '\n') {
                        hf->line++;
                    }
                    if ((rc = put(hf, c)) != DV_OK) return rc;
                }
                continue;
            }
            hf->p++;
            DV_FORWARD_IF_ERROR(put(hf, c));
        }
    }
    if (more) return NEED_MORE;
    DV_FORWARD_IF_ERROR(put(hf, '\0'));
    return nf;
}

/* ------------------------------------------------------------ JSONL */

static void skip_ws(const char **p, const char *end)
{
    while (*p < end && (**p == ' ' || **p == '\t')) (*p)++;
}

static int put_utf8(dv_hashfile *hf, unsigned cp)
{
    if (cp < 0x80) return put(hf, (char)cp);
    if (cp < 0x800) {
        DV_FORWARD_IF_ERROR(put(hf, (char)(0xC0 | cp >> 6)));
        return put(hf, (char)(0x80 | (cp & 0x3F)));
    }
    if (cp < 0x10000) {
        DV_FORWARD_IF_ERROR(put(hf, (char)(0xE0 | cp >> 12)));
        DV_FORWARD_IF_ERROR(put(hf, (char)(0x80 | ((cp >> 6) & 0x3F))));
        return put(hf, (char)(0x80 | (cp & 0x3F)));
    }
    DV_FORWARD_IF_ERROR(put(hf, (char)(0xF0 | cp >> 18)));
    DV_FORWARD_IF_ERROR(put(hf, (char)(0x80 | ((cp >> 12) & 0x3F))));
    DV_FORWARD_IF_ERROR(put(hf, (char)(0x80 | ((cp >> 6) & 0x3F))));
    return put(hf, (char)(0x80 | (cp & 0x3F)));
}

static int hex4(const char *p, const char *end, unsigned *out)
{
    unsigned v = 0;
    if (end - p < 4) return -1;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

/* A JSON string at *p into buf; returns its offset in buf, or a negative error. */
static long json_string(dv_hashfile *hf, const char **p, const char *end)
{
    long start = (long)hf->len;
    if (*p >= end || **p != '"') return DV_ECORRUPT;
    (*p)++;
    for (;;) {
        char c;
        if (*p >= end || **p == '\n') return DV_ECORRUPT;
        c = *(*p)++;
        if (c == '"') break;
        if ((unsigned char)c < 0x20) return DV_ECORRUPT;
        if (c == '\\') {
            char e;
            unsigned cp;
            if (*p >= end) return DV_ECORRUPT;
            e = *(*p)++;
            switch (e) {
            case '"': case '\\': case '/': c = e; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'u':
                if (hex4(*p, end, &cp) != 0) return DV_ECORRUPT;
                *p += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned lo;
                    if (end - *p < 6 || (*p)[0] != '\\' || (*p)[1] != 'u' ||
                        hex4(*p + 2, end, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
                        return DV_ECORRUPT;
                    *p += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return DV_ECORRUPT;
                }
                if (cp == 0) return DV_ECORRUPT; /* no NULs inside paths */
                DV_FORWARD_IF_ERROR(put_utf8(hf, cp));
                continue;
            default: return DV_ECORRUPT;
            }
        }
        DV_FORWARD_IF_ERROR(put(hf, c));
    }
    DV_FORWARD_IF_ERROR(put(hf, '\0'));
    return start;
}

/* Skips a scalar (number, true, false, null); nested values other than the
 * pdq_dihedral object are refused. */
static int json_scalar(const char **p, const char *end, const char **tok, size_t *toklen)
{
    const char *s = *p;
    while (*p < end && **p != ',' && **p != '}' && **p != ' ' && **p != '\t' && **p != '\n' &&
           **p != '\r')
        (*p)++;
    if (*p == s) return DV_ECORRUPT;
    *tok = s;
    *toklen = (size_t)(*p - s);
    return DV_OK;
}

static int json_line(dv_hashfile *hf, const char *p, const char *end, long *qual)
{
    hf->len = 0;
    *qual = -2;
    for (int i = 0; i < C_NCOLS; i++) hf->foff[i] = -1;
    skip_ws(&p, end);
    if (p >= end || *p != '{') return DV_ECORRUPT;
    p++;
    skip_ws(&p, end);
    if (p < end && *p == '}') return DV_ECORRUPT; /* an empty object has no path */
    for (;;) {
        long k, v;
        int col;
        skip_ws(&p, end);
        k = json_string(hf, &p, end);
        if (k < 0) return (int)k;
        skip_ws(&p, end);
        if (p >= end || *p != ':') return DV_ECORRUPT;
        p++;
        skip_ws(&p, end);
        col = col_index(hf->buf + k, strlen(hf->buf + k));
        if (p < end && *p == '"') {
            v = json_string(hf, &p, end);
            if (v < 0) return (int)v;
            if (col >= 0 && col != C_QUALITY) hf->foff[col] = v;
        } else if (p < end && *p == '{') {
            /* "pdq_dihedral": {"rot90": "...", ...} */
            if (strcmp(hf->buf + k, "pdq_dihedral") != 0) return DV_ECORRUPT;
            p++;
            skip_ws(&p, end);
            while (p < end && *p != '}') {
                long dk, dvv;
                char name[32];
                skip_ws(&p, end);
                dk = json_string(hf, &p, end);
                if (dk < 0) return (int)dk;
                skip_ws(&p, end);
                if (p >= end || *p != ':') return DV_ECORRUPT;
                p++;
                skip_ws(&p, end);
                dvv = json_string(hf, &p, end);
                if (dvv < 0) return (int)dvv;
                snprintf(name, sizeof(name), "pdq_%s", hf->buf + dk);
                col = col_index(name, strlen(name));
                if (col >= C_DIH0) hf->foff[col] = dvv;
                skip_ws(&p, end);
                if (p < end && *p == ',') p++;
                else if (p >= end || *p != '}') return DV_ECORRUPT;
            }
            if (p >= end) return DV_ECORRUPT;
            p++;
        } else {
            const char *tok;
            size_t tl;
            DV_FORWARD_IF_ERROR(json_scalar(&p, end, &tok, &tl));
            if (col == C_QUALITY) {
                long q = 0;
                if (tl == 0 || tl > 3) return DV_ECORRUPT;
                for (size_t i = 0; i < tl; i++) {
                    if (tok[i] < '0' || tok[i] > '9') return DV_ECORRUPT;
                    q = q * 10 + (tok[i] - '0');
                }
                *qual = q;
            } else if (col >= 0 && !(tl == 4 && memcmp(tok, "null", 4) == 0)) {
                return DV_ECORRUPT; /* hash columns must be strings */
            }
        }
        skip_ws(&p, end);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        if (p < end && *p == '}') {
            p++;
            break;
        }
        return DV_ECORRUPT;
    }
    skip_ws(&p, end);
    if (p < end && *p == '\r') p++;
    return p == end ? DV_OK : DV_ECORRUPT;
}

/* ------------------------------------------------------------ input */

/* The bytes a record is parsed in: at most max_line from p, the same in memory and streamed,
 * so that both readers take and refuse the same lines. */
static void view(dv_hashfile *hf)
{
    size_t avail = (size_t)(hf->end - hf->p);
    hf->lim = avail > hf->max_line ? hf->p + hf->max_line : hf->end;
    hf->lim_eof = hf->eof && avail <= hf->max_line;
}

/* Streamed: moves the unread bytes to the window's start and reads until it is full or the
 * input ends, so that after it a record in view is whole, or longer than max_line. */
static int fill(dv_hashfile *hf)
{
    size_t have;
    if (hf->fd < 0 || hf->eof) return DV_OK;
    have = (size_t)(hf->end - hf->p);
    if (have > 0 && hf->p != hf->win) memmove(hf->win, hf->p, have);
    hf->p = hf->win;
    hf->end = hf->win + have;
    while (have < hf->win_cap) {
        ssize_t k = read(hf->fd, hf->win + have, hf->win_cap - have);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            dv__set_err(hf->err, sizeof(hf->err), "%s: read failed after line %llu: %s",
                        hf->name, (unsigned long long)hf->line, strerror(errno));
            hf->failed = DV_EIO;
            return DV_EIO;
        }
        if (k == 0) {
            hf->eof = 1;
            break;
        }
        have += (size_t)k;
        hf->end = hf->win + have;
    }
    return DV_OK;
}

/* Past the end of the line at p (a bad record's first line: reading goes on at the next,
 * rather than in the middle of that one, or every row after a stray quote lost with it). */
static int skip_line(dv_hashfile *hf, int cr_ends)
{
    for (;;) {
        const char *q = hf->p;
        while (q < hf->end && *q != '\n' && !(cr_ends && *q == '\r')) q++;
        if (q < hf->end) {
            hf->p = q + 1;
            if (*q == '\r') {
                if (hf->p == hf->end) DV_FORWARD_IF_ERROR(fill(hf));
                if (hf->p < hf->end && *hf->p == '\n') hf->p++;
            }
            return DV_OK;
        }
        hf->p = hf->end;
        if (hf->eof) return DV_OK;
        DV_FORWARD_IF_ERROR(fill(hf));
    }
}

/* One record at p: the number of fields (CSV/TSV), DV_OK (JSONL), NEED_MORE or an error. */
static int parse_one(dv_hashfile *hf, size_t *starts, long *qual)
{
    const char *nl, *le;
    int rc;
    if (hf->format != HF_JSONL) return split_record(hf, starts, MAX_COLS);
    nl = memchr(hf->p, '\n', (size_t)(hf->lim - hf->p));
    if (nl == NULL && !hf->lim_eof) return NEED_MORE;
    le = nl ? nl : hf->lim;
    hf->line++;
    rc = json_line(hf, hf->p, le, qual);
    hf->p = nl ? nl + 1 : le;
    return rc;
}

/* Reads one record, refilling a streamed window as it needs. A line longer than max_line
 * (*toolong set, DV_ETOOBIG) or a CSV/TSV record that is bad is skipped to the end of its
 * first line. */
static int read_one(dv_hashfile *hf, size_t *starts, long *qual, int *toolong)
{
    const uint64_t sline = hf->line;
    for (;;) {
        const char *start;
        int rc;
        view(hf);
        start = hf->p;
        rc = parse_one(hf, starts, qual);
        if (rc == NEED_MORE) {
            hf->p = start;
            hf->line = sline;
            if ((size_t)(hf->end - hf->p) <= hf->max_line) {
                DV_FORWARD_IF_ERROR(fill(hf));
                continue;
            }
            /* 2: a CSV record whose first line ends in view, a quote left open most likely */
            *toolong = hf->format == HF_CSV && memchr(start, '\n', hf->max_line) ? 2 : 1;
        } else if (rc < 0 && hf->format != HF_JSONL) {
            hf->p = start;
        } else {
            return rc;
        }
        DV_FORWARD_IF_ERROR(skip_line(hf, hf->format != HF_JSONL));
        hf->line = sline + 1;
        return rc == NEED_MORE ? DV_ETOOBIG : rc;
    }
}

/* ------------------------------------------------------------ common */


static int hf_open(const char *name, const void *text, size_t len, int fd, size_t max_line,
                   const dv_alloc *alloc, dv_hashfile **out, char *errbuf, size_t errcap)
{
    dv_hashfile *hf;
    const char *p;
    int rc, toolong = 0;
    *out = NULL;
    if (text == NULL && len > 0) return DV_EINVAL;
    hf = dv__calloc(alloc, 1, sizeof(*hf));
    if (hf == NULL) return DV_ENOMEM;
    hf->alloc = alloc;
    hf->name = name ? name : "input";
    hf->fd = fd;
    hf->max_line = max_line ? max_line : DV_HASHFILE_MAX_LINE;
    if (hf->max_line < 64) hf->max_line = 64;
    if (hf->max_line > SIZE_MAX / 4) hf->max_line = SIZE_MAX / 4;
    if (fd >= 0) {
        hf->win_cap = hf->max_line + (hf->max_line < CHUNK ? hf->max_line : CHUNK);
        hf->win = dv__malloc(alloc, hf->win_cap);
        if (hf->win == NULL) {
            dv_hashfile_close(hf);
            return DV_ENOMEM;
        }
        hf->p = hf->end = hf->win;
        if ((rc = fill(hf)) != DV_OK) {
            dv__set_err(errbuf, errcap, "%s", hf->err);
            dv_hashfile_close(hf);
            return rc;
        }
    } else {
        hf->p = text ? text : "";
        hf->end = hf->p + len;
        hf->eof = 1;
    }
    if (hf->end - hf->p >= 3 && memcmp(hf->p, "\xEF\xBB\xBF", 3) == 0) hf->p += 3;
    view(hf);
    p = hf->p;
    while (p < hf->lim && (*p == ' ' || *p == '\t')) p++;
    if (p < hf->lim && *p == '{') {
        hf->format = HF_JSONL;
        hf->has_dih = -1; /* known per record */
    } else {
        size_t starts[MAX_COLS];
        int nf;
        const char *nl = memchr(hf->p, '\n', (size_t)(hf->lim - hf->p));
        hf->format = memchr(hf->p, '\t', (size_t)((nl ? nl : hf->lim) - hf->p)) ? HF_TSV : HF_CSV;
        nf = read_one(hf, starts, NULL, &toolong);
        if (nf < 0) {
            if (nf == DV_EIO)
                dv__set_err(errbuf, errcap, "%s", hf->err);
            else if (toolong)
                dv__set_err(errbuf, errcap, "%s:1: header line longer than %zu bytes", hf->name,
                            hf->max_line);
            else
                dv__set_err(errbuf, errcap, "%s:1: cannot read the header line", hf->name);
            dv_hashfile_close(hf);
            return nf == DV_EIO || nf == DV_ENOMEM ? nf : DV_ECORRUPT;
        }
        hf->ncols = nf;
        for (int i = 0; i < nf; i++)
            hf->col_of[i] = col_index(hf->buf + starts[i], strlen(hf->buf + starts[i]));
        {
            int seen[C_NCOLS] = {0};
            for (int i = 0; i < nf; i++)
                if (hf->col_of[i] >= 0) seen[hf->col_of[i]] = 1;
            if (!seen[C_PATH] || !(seen[C_MD5] || seen[C_SHA1] || seen[C_SHA256] || seen[C_PDQ])) {
                dv__set_err(errbuf, errcap,
                            "%s:1: header has no path column or no hash column (md5, sha1, "
                            "sha256, pdq): is this the output of datavet hash?",
                            hf->name);
                dv_hashfile_close(hf);
                return DV_EFORMAT;
            }
            hf->has_dih = 1;
            for (int i = C_DIH0; i < C_NCOLS; i++) hf->has_dih &= seen[i];
        }
    }
    *out = hf;
    return DV_OK;
}

int dv_hashfile_open(const char *name, const void *text, size_t len, const dv_alloc *alloc,
                     dv_hashfile **out, char *errbuf, size_t errcap)
{
    if (out == NULL) return DV_EINVAL;
    return hf_open(name, text, len, -1, 0, alloc, out, errbuf, errcap);
}

int dv__hashfile_open_text(const char *name, const void *text, size_t len, size_t max_line,
                           const dv_alloc *alloc, dv_hashfile **out, char *errbuf, size_t errcap)
{
    if (out == NULL) return DV_EINVAL;
    return hf_open(name, text, len, -1, max_line, alloc, out, errbuf, errcap);
}

int dv_hashfile_open_fd(const char *name, int fd, size_t max_line, const dv_alloc *alloc,
                        dv_hashfile **out, char *errbuf, size_t errcap)
{
    if (out == NULL) return DV_EINVAL;
    *out = NULL;
    if (fd < 0) return DV_EINVAL;
    return hf_open(name, NULL, 0, fd, max_line, alloc, out, errbuf, errcap);
}

int dv_hashfile_has_dihedral(const dv_hashfile *hf) { return hf && hf->has_dih == 1; }

const char *dv_hashfile_errmsg(const dv_hashfile *hf) { return hf ? hf->err : ""; }

size_t dv_hashfile_left(const dv_hashfile *hf)
{
    return hf && hf->p && hf->end > hf->p ? (size_t)(hf->end - hf->p) : 0;
}

void dv_hashfile_close(dv_hashfile *hf)
{
    if (hf == NULL) return;
    dv__free(hf->alloc, hf->buf);
    dv__free(hf->alloc, hf->win);
    dv__free(hf->alloc, hf);
}

static int bad(dv_hashfile *hf, uint64_t line, const char *why)
{
    dv__set_err(hf->err, sizeof(hf->err), "%s:%llu: %s", hf->name, (unsigned long long)line, why);
    return DV_ECORRUPT;
}

int dv_hashfile_next(dv_hashfile *hf, dv_hash_record *rec)
{
    static const unsigned bits[3] = {DV_ALGO_MD5, DV_ALGO_SHA1, DV_ALGO_SHA256};
    uint64_t line;
    long qual = -2;
    int rc, toolong = 0;
    size_t starts[MAX_COLS];
    if (hf == NULL || rec == NULL) return DV_EINVAL;
    memset(rec, 0, sizeof(*rec));
    memset(hf->field, 0, sizeof(hf->field));
    if (hf->failed) return hf->failed;
    for (;;) { /* skip blank lines */
        while (hf->p < hf->end && (*hf->p == '\n' || *hf->p == '\r')) {
            if (*hf->p == '\n') hf->line++;
            hf->p++;
        }
        if (hf->p < hf->end || hf->eof) break;
        DV_FORWARD_IF_ERROR(fill(hf));
    }
    if (hf->p >= hf->end) return 0;
    line = hf->line + 1;
    rc = read_one(hf, starts, &qual, &toolong);
    if (rc == DV_EIO || rc == DV_ENOMEM) return rc;
    if (toolong) {
        char why[128];
        snprintf(why, sizeof(why),
                 toolong == 2 ? "record longer than %zu bytes over several lines (a quote left "
                                "open?): its first line skipped"
                              : "line longer than %zu bytes",
                 hf->max_line);
        return bad(hf, line, why);
    }
    if (hf->format == HF_JSONL) {
        if (rc == DV_ETOOBIG) return bad(hf, line, "record longer than 1 MiB");
        if (rc != DV_OK) return bad(hf, line, "not a flat JSON object as datavet hash writes");
        for (int i = 0; i < C_NCOLS; i++)
            if (hf->foff[i] >= 0) hf->field[i] = hf->buf + hf->foff[i];
    } else {
        int nf = rc;
        if (nf == DV_ETOOBIG) return bad(hf, line, "record too long or too many fields");
        if (nf < 0) return bad(hf, line, "malformed field (bad escape or unterminated quote)");
        if (nf != hf->ncols) return bad(hf, line, "number of fields differs from the header");
        for (int i = 0; i < nf; i++) {
            int c = hf->col_of[i];
            if (c >= 0) hf->field[c] = hf->buf + starts[i];
        }
        if (hf->field[C_QUALITY] && hf->field[C_QUALITY][0]) {
            const char *q = hf->field[C_QUALITY];
            qual = 0;
            if (strlen(q) > 3) return bad(hf, line, "bad quality");
            for (; *q; q++) {
                if (*q < '0' || *q > '9') return bad(hf, line, "bad quality");
                qual = qual * 10 + (*q - '0');
            }
        }
    }
    rec->line = line;
    if (hf->field[C_PATH] == NULL || hf->field[C_PATH][0] == '\0') return bad(hf, line, "no path");
    rec->path = hf->field[C_PATH];
    rec->ok = hf->field[C_STATUS] == NULL || strcmp(hf->field[C_STATUS], "ok") == 0;
    rec->quality = qual >= 0 ? (int)qual : -1;
    if (qual > 100) return bad(hf, line, "quality over 100");
    {
        uint8_t *dst[3] = {rec->md5, rec->sha1, rec->sha256};
        const size_t n[3] = {16, 20, 32};
        for (int i = 0; i < 3; i++) {
            const char *f = hf->field[C_MD5 + i];
            if (f == NULL || f[0] == '\0') continue;
            if (dv__hex_decode(f, strlen(f), dst[i], n[i]) != 0) return bad(hf, line, "malformed md5/sha1/sha256 hex");
            rec->have |= bits[i];
        }
    }
    rec->ndihedral = 1;
    if (hf->field[C_PDQ] && hf->field[C_PDQ][0]) {
        int ndih = 0;
        if (dv_pdq_from_hex(hf->field[C_PDQ], strlen(hf->field[C_PDQ]), &rec->pdq[0]) != DV_OK)
            return bad(hf, line, "malformed pdq hex");
        rec->have |= DV_ALGO_PDQ;
        for (int i = C_DIH0; i < C_NCOLS; i++) {
            const char *f = hf->field[i];
            if (f == NULL || f[0] == '\0') continue;
            if (dv_pdq_from_hex(f, strlen(f), &rec->pdq[1 + i - C_DIH0]) != DV_OK)
                return bad(hf, line, "malformed dihedral pdq hex");
            ndih++;
        }
        if (ndih == 7) rec->ndihedral = 8;
        else if (ndih != 0) return bad(hf, line, "some but not all dihedral pdq columns");
        if (hf->format == HF_JSONL && hf->has_dih != 0) hf->has_dih = ndih == 7 ? 1 : 0;
    }
    return 1;
}
