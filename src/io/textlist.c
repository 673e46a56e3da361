/* textlist.c - streaming URL-list reader: CSV (RFC 4180), TSV, JSONL (flat objects), TXT.
 * Bounded memory (max_record); a bad record is reported as "name:line: reason" and skipped. */
#include "../common/common.h"
#include "io_readers.h"
#include "../hash/url_internal.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define CHUNK 65536u
#define MAX_EXTRA 16
/* slots: url, caption, the hash columns (md5, sha1, sha256: hash_cols), the id, then the
 * extras */
#define SLOT_HASH 2
#define NHASH 3
#define SLOT_ID (SLOT_HASH + NHASH)
#define FIRST_EXTRA (SLOT_ID + 1)
#define NRANK 8 /* ranks of a default slot's names: 2 per name (exact spelling, other case) */
#define NSLOT (FIRST_EXTRA + MAX_EXTRA)
#define IS_HASH_SLOT(s) ((s) >= SLOT_HASH && (s) < SLOT_ID)
#define MAX_JSON_DEPTH 64
#define NEED_MORE 2 /* parse result: the record goes on past the data we have */

enum { ST_CLOSED, ST_OPEN, ST_END, ST_FAILED };

struct dv_textlist {
    const dv_alloc *alloc;
    dv_textlist_format fmt_opt, fmt;
    size_t max_record;
    size_t nextra;
    dv__dbuf names; /* url, caption, md5, sha1, sha256, id, extras: NUL-terminated, in slot
                       order */
    size_t name_off[NSLOT];
    int caption_required;
    int id_named;      /* the id slot's column was named (dv_textlist_opts.id_col) */
    int id_seen;       /* JSONL: the record has a member of the id slot's name(s), null or not */
    /* the name of the id's column (CSV/TSV header) or, JSONL, of each rank's member in the
     * record, as the file spells it: messages about a bad id name it (dv_textlist_row.id_name) */
    char id_col_name[64];
    char id_key[NRANK][64];
    int defaults;      /* bit s: slot s (url, caption; a hash column's with hash_cols; the id's
                          with id and no id_col) was not named: any of def_names, any case */
    int headerless;    /* CSV/TSV whose first record is data (a URL in it, no url column) */
    int pending;       /* that first record is still to be returned */
    uint64_t pending_line;
    /* JSONL, a default slot's names (url, URL, image_url, IMAGE_URL...): the last value each
     * rank had in the record (offset and length in text), or none (null, not there) */
    size_t rank_off[FIRST_EXTRA][NRANK], rank_len[FIRST_EXTRA][NRANK];
    int rank_set[FIRST_EXTRA][NRANK];
    char name[256];
    char err[1024];

    int fd, is_buf, eof;
    const uint8_t *d; /* the data: the caller's buffer or in.p */
    size_t dlen, pos;
    dv__dbuf in;

    int state, fail_rc;
    uint64_t line, row, bad;
    uint64_t consumed; /* bytes of the input parsed (dv_textlist_offset) */
    int col[NSLOT]; /* CSV/TSV: column of each slot, -1 if absent */
    int ncols;

    dv__dbuf text;  /* unescaped fields of the current record */
    dv__dbuf foffs; /* (offset, length) pairs into text */
    size_t slot_off[NSLOT], slot_len[NSLOT];
    int slot_set[NSLOT];
    const char *extra[MAX_EXTRA];
    size_t extra_len[MAX_EXTRA];
};

/* ---------------------------------------------------------------- buffers */

static int db_putc(const dv_alloc *a, dv__dbuf *b, uint8_t c) { return dv__dbuf_append(a, b, &c, 1); }

static void db_free(const dv_alloc *a, dv__dbuf *b)
{
    dv__free(a, b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* ---------------------------------------------------------------- handle */

dv_textlist *dv_textlist_create(const dv_textlist_opts *opts)
{
    const dv_alloc *a = opts ? opts->alloc : NULL;
    dv_textlist *t;
    const char *nm[NSLOT];
    size_t n = FIRST_EXTRA;
    if (opts && (opts->nextra > MAX_EXTRA || (opts->nextra > 0 && opts->extra_cols == NULL)))
        return NULL;
    t = dv__calloc(a, 1, sizeof(*t));
    if (t == NULL) return NULL;
    t->alloc = a;
    t->fd = -1;
    t->fmt_opt = opts ? opts->format : DV_TL_AUTO;
    t->max_record = opts && opts->max_record ? opts->max_record : DV_TEXTLIST_DEFAULT_MAX_RECORD;
    if (t->max_record > SIZE_MAX / 4) t->max_record = SIZE_MAX / 4;
    nm[0] = opts && opts->url_col ? opts->url_col : "url";
    nm[1] = opts && opts->caption_col ? opts->caption_col : "caption";
    t->caption_required = opts && opts->caption_col != NULL;
    t->defaults = (opts && opts->url_col ? 0 : 1) | (opts && opts->caption_col ? 0 : 2);
    /* the hash columns are never named: found by their names, any case, when asked for */
    nm[SLOT_HASH] = "md5";
    nm[SLOT_HASH + 1] = "sha1";
    nm[SLOT_HASH + 2] = "sha256";
    if (opts && opts->hash_cols) t->defaults |= ((1 << NHASH) - 1) << SLOT_HASH;
    /* the id: a name given, or the names a Parquet file's id column has (dataset.c) */
    t->id_named = opts && opts->id && opts->id_col != NULL;
    nm[SLOT_ID] = t->id_named ? opts->id_col : "id";
    if (opts && opts->id && !t->id_named) t->defaults |= 1 << SLOT_ID;
    if (opts) {
        for (size_t i = 0; i < opts->nextra; i++) {
            if (opts->extra_cols[i] == NULL) {
                dv__free(a, t);
                return NULL;
            }
            nm[n++] = opts->extra_cols[i];
        }
    }
    t->nextra = n - FIRST_EXTRA;
    for (size_t i = 0; i < n; i++) {
        t->name_off[i] = t->names.len;
        if (dv__dbuf_append(a, &t->names, nm[i], strlen(nm[i]) + 1) < 0) {
            dv_textlist_free(t);
            return NULL;
        }
    }
    t->state = ST_CLOSED;
    return t;
}

void dv_textlist_free(dv_textlist *t)
{
    if (t == NULL) return;
    db_free(t->alloc, &t->names);
    db_free(t->alloc, &t->in);
    db_free(t->alloc, &t->text);
    db_free(t->alloc, &t->foffs);
    dv__free(t->alloc, t);
}

const char *dv_textlist_errmsg(const dv_textlist *t) { return t ? t->err : ""; }

uint64_t dv_textlist_bad_rows(const dv_textlist *t) { return t ? t->bad : 0; }

uint64_t dv_textlist_offset(const dv_textlist *t) { return t ? t->consumed : 0; }

static const char *slot_name(const dv_textlist *t, size_t s)
{
    return (const char *)t->names.p + t->name_off[s];
}

/* The names an unnamed url or caption slot takes, any case, as the dataset layer takes
 * Parquet columns (LAION's URL and TEXT, WIT's image_url, DataComp's text); the hash
 * columns', as the dataset layer takes a Parquet file's md5, sha1 and sha256 (role 2-4); and
 * the id's, a Parquet file's id column's (img2dataset's key, DataComp's uid; role 5). */
static const char *const def_names[FIRST_EXTRA][NRANK / 2 + 1] = {
    {"url", "image_url", NULL}, {"caption", "text", NULL}, {"md5", NULL}, {"sha1", NULL},
    {"sha256", NULL}, {"key", "uid", "sample_id", "id", NULL}};

/* (io_readers.h) Also the rule of a webdataset sample's .json (dataset.c). */
int dv__name_rank(int role, const char *named, const uint8_t *name, size_t len)
{
    if (named) return strlen(named) == len && memcmp(named, name, len) == 0 ? 0 : -1;
    for (int k = 0; def_names[role][k]; k++)
        if (strlen(def_names[role][k]) == len &&
            strncasecmp(def_names[role][k], (const char *)name, len) == 0)
            return 2 * k + (memcmp(def_names[role][k], name, len) != 0);
    return -1;
}

/* The text buffer at off: "" while nothing has been kept (its pointer is still NULL, and
 * NULL + 0 is not a pointer C allows). */
static const uint8_t *text_at(const dv_textlist *t, size_t off)
{
    return t->text.p ? t->text.p + off : (const uint8_t *)"";
}

/* Whether a column or key name fills slot s: its rank (dv__name_rank for the url and caption
 * slots, the hash columns and the id; 0 for a named slot's exact name), or -1 (always, for a
 * hash column or id not asked for). */
static int slot_rank_of(const dv_textlist *t, size_t s, const uint8_t *name, size_t len)
{
    if (s < FIRST_EXTRA && (t->defaults & (1 << s))) return dv__name_rank((int)s, NULL, name, len);
    if (IS_HASH_SLOT(s) || (s == SLOT_ID && !t->id_named)) return -1;
    return dv__name_rank(0, slot_name(t, s), name, len);
}

int dv_textlist_headerless(const dv_textlist *t, int *url_field, int *caption_field)
{
    if (url_field) *url_field = t && t->headerless ? t->col[0] : -1;
    if (caption_field) *caption_field = t && t->headerless ? t->col[1] : -1;
    return t ? t->headerless : 0;
}

static int fail(dv_textlist *t, int rc)
{
    t->state = ST_FAILED;
    t->fail_rc = rc;
    return rc;
}

/* ---------------------------------------------------------------- input */

/* Keep the unconsumed bytes and read more after them; sets eof at end of input. */
static int fill(dv_textlist *t)
{
    size_t cap = t->max_record + CHUNK;
    ssize_t k;
    if (t->is_buf || t->eof) return DV_OK;
    if (t->pos > 0) {
        memmove(t->in.p, t->in.p + t->pos, t->dlen - t->pos);
        t->dlen -= t->pos;
        t->pos = 0;
    }
    if (t->in.cap < cap) {
        t->in.len = t->dlen;
        DV_FORWARD_IF_ERROR(dv__dbuf_reserve(t->alloc, &t->in, cap - t->in.len));
    }
    t->d = t->in.p;
    if (t->dlen == cap) return DV_OK;
    do {
        k = read(t->fd, t->in.p + t->dlen, cap - t->dlen);
    } while (k < 0 && errno == EINTR);
    if (k < 0) {
        dv__set_err(t->err, sizeof(t->err), "%s:%llu: read failed: %s", t->name,
                    (unsigned long long)t->line, strerror(errno));
        return DV_EIO;
    }
    if (k == 0) t->eof = 1;
    t->dlen += (size_t)k;
    return DV_OK;
}

/* Consume up to pos + n, counting lines. */
static void consume(dv_textlist *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (t->d[t->pos + i] == '\n') t->line++;
    }
    t->pos += n;
    t->consumed += n;
}

/* ---------------------------------------------------------------- CSV / TSV */

static int add_field(dv_textlist *t, size_t off)
{
    size_t pair[2] = {off, t->text.len - off};
    DV_FORWARD_IF_ERROR(db_putc(t->alloc, &t->text, 0));
    return dv__dbuf_append(t->alloc, &t->foffs, pair, sizeof(pair));
}

/* Parse one record at pos: 1 done (*used bytes), NEED_MORE, or DV_ECORRUPT with err set.
 * An empty line yields a record of no fields. */
static int parse_csv(dv_textlist *t, uint8_t delim, size_t *used)
{
    const uint8_t *p = t->d + t->pos;
    size_t i = 0, n = t->dlen - t->pos;
    /* no more than max_record + 1 bytes are looked at, however many are in memory: a record
     * is then read the same from a buffer, a file or a pipe that gives a few bytes at a time
     * (one running past them is too long, whatever is wrong with it further on) */
    int eof = t->eof && n <= t->max_record + 1;
    if (n > t->max_record + 1) n = t->max_record + 1;
    t->text.len = t->foffs.len = 0;
    if (n == 0 && eof) {
        *used = 0;
        return 1;
    }
    /* an empty line: no fields at all */
    if (n >= 1 && p[0] == '\n') {
        *used = 1;
        return 1;
    }
    if (n >= 2 && p[0] == '\r' && p[1] == '\n') {
        *used = 2;
        return 1;
    }
    if (n < 2 && !eof) return NEED_MORE;
    for (;;) {
        size_t off = t->text.len;
        if (i < n && p[i] == '"') {
            i++;
            for (;;) {
                if (i >= n) {
                    if (!eof) return NEED_MORE;
                    dv__set_err(t->err, sizeof(t->err),
                                "%s:%llu: unterminated quoted field",
                                t->name, (unsigned long long)t->line);
                    *used = n;
                    return DV_ECORRUPT;
                }
                if (p[i] == '"') {
                    if (i + 1 >= n && !eof) return NEED_MORE;
                    if (i + 1 < n && p[i + 1] == '"') {
                        DV_FORWARD_IF_ERROR(db_putc(t->alloc, &t->text, '"'));
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                DV_FORWARD_IF_ERROR(db_putc(t->alloc, &t->text, p[i]));
                i++;
            }
            if (i < n && p[i] == '\r' && i + 1 >= n && !eof) return NEED_MORE;
            if (i < n && p[i] != delim && p[i] != '\n' &&
                !(p[i] == '\r' && (i + 1 == n || p[i + 1] == '\n'))) {
                size_t j = i;
                while (j < n && p[j] != '\n') j++;
                if (j == n && !eof) return NEED_MORE;
                dv__set_err(t->err, sizeof(t->err),
                            "%s:%llu: unexpected character '%c' after a closing quote", t->name,
                            (unsigned long long)t->line, p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?');
                *used = j < n ? j + 1 : n;
                return DV_ECORRUPT;
            }
        } else {
            size_t s = i;
            while (i < n && p[i] != delim && p[i] != '\n') i++;
            if (i == n && !eof) return NEED_MORE;
            {
                size_t e = i;
                /* CRLF: the CR belongs to the line end */
                if ((i == n || p[i] == '\n') && e > s && p[e - 1] == '\r') e--;
                DV_FORWARD_IF_ERROR(dv__dbuf_append(t->alloc, &t->text, p + s, e - s));
            }
        }
        DV_FORWARD_IF_ERROR(add_field(t, off));
        if (i < n && p[i] == delim) {
            i++;
            continue;
        }
        if (i < n && p[i] == '\r') i++;
        if (i < n && p[i] == '\n') i++;
        *used = i;
        return 1;
    }
}

/* ---------------------------------------------------------------- JSONL */

typedef struct jcur {
    const uint8_t *p;
    size_t i, n;
} jcur;

static void jws(jcur *c)
{
    while (c->i < c->n && (c->p[c->i] == ' ' || c->p[c->i] == '\t' || c->p[c->i] == '\r')) c->i++;
}

static int hex4(const uint8_t *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        uint8_t ch = p[k];
        v <<= 4;
        if (ch >= '0' && ch <= '9') v |= (uint32_t)(ch - '0');
        else if (ch >= 'a' && ch <= 'f') v |= (uint32_t)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F') v |= (uint32_t)(ch - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

/* A JSON string at c (opening quote included), unescaped and appended to t->text.
 * The JSON helpers return 0, 1 for a syntax error (*why says what) or DV_ENOMEM. */
static int jstring(dv_textlist *t, jcur *c, const char **why)
{
    if (c->i >= c->n || c->p[c->i] != '"') {
        *why = "expected a string";
        return 1;
    }
    c->i++;
    for (;;) {
        uint8_t ch;
        if (c->i >= c->n) {
            *why = "unterminated string";
            return 1;
        }
        ch = c->p[c->i++];
        if (ch == '"') return 0;
        if (ch < 0x20) {
            *why = "control character in a string";
            return 1;
        }
        if (ch != '\\') {
            if (db_putc(t->alloc, &t->text, ch) < 0) return DV_ENOMEM;
            continue;
        }
        if (c->i >= c->n) {
            *why = "unterminated string";
            return 1;
        }
        ch = c->p[c->i++];
        switch (ch) {
        case '"':
        case '\\':
        case '/': break;
        case 'b': ch = '\b'; break;
        case 'f': ch = '\f'; break;
        case 'n': ch = '\n'; break;
        case 'r': ch = '\r'; break;
        case 't': ch = '\t'; break;
        case 'u': {
            uint32_t cp, lo;
            uint8_t u8[4];
            size_t k;
            if (c->n - c->i < 4 || hex4(c->p + c->i, &cp) != 0) {
                *why = "bad \\u escape";
                return 1;
            }
            c->i += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF) {
                *why = "lone low surrogate in \\u escape";
                return 1;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (c->n - c->i < 6 || c->p[c->i] != '\\' || c->p[c->i + 1] != 'u' ||
                    hex4(c->p + c->i + 2, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) {
                    *why = "high surrogate without a low surrogate";
                    return 1;
                }
                c->i += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            /* \u0000 is kept, a NUL byte in the field: only the field that holds it is
             * affected (dv_textlist_next: a URL with one is a bad row, a caption's reads as
             * a space, an id's is the caller's bad id), not the whole record */
            if (cp < 0x80) {
                u8[0] = (uint8_t)cp;
                k = 1;
            } else if (cp < 0x800) {
                u8[0] = (uint8_t)(0xC0 | (cp >> 6));
                u8[1] = (uint8_t)(0x80 | (cp & 0x3F));
                k = 2;
            } else if (cp < 0x10000) {
                u8[0] = (uint8_t)(0xE0 | (cp >> 12));
                u8[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
                u8[2] = (uint8_t)(0x80 | (cp & 0x3F));
                k = 3;
            } else {
                u8[0] = (uint8_t)(0xF0 | (cp >> 18));
                u8[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
                u8[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
                u8[3] = (uint8_t)(0x80 | (cp & 0x3F));
                k = 4;
            }
            if (dv__dbuf_append(t->alloc, &t->text, u8, k) < 0) return DV_ENOMEM;
            continue;
        }
        default: *why = "bad escape in a string"; return 1;
        }
        if (db_putc(t->alloc, &t->text, ch) < 0) return DV_ENOMEM;
    }
}

/* Skip any JSON value (strings are unescaped into text, then dropped). */
static int jskip(dv_textlist *t, jcur *c, int depth, const char **why)
{
    size_t mark = t->text.len;
    jws(c);
    if (c->i >= c->n) {
        *why = "expected a value";
        return 1;
    }
    if (depth > MAX_JSON_DEPTH) {
        *why = "values nested too deeply";
        return 1;
    }
    if (c->p[c->i] == '"') {
        int rc = jstring(t, c, why);
        t->text.len = mark;
        return rc;
    }
    if (c->p[c->i] == '{' || c->p[c->i] == '[') {
        uint8_t close = c->p[c->i] == '{' ? '}' : ']';
        int obj = close == '}';
        c->i++;
        jws(c);
        if (c->i < c->n && c->p[c->i] == close) {
            c->i++;
            return 0;
        }
        for (;;) {
            int rc;
            if (obj) {
                jws(c);
                rc = jstring(t, c, why);
                t->text.len = mark;
                if (rc != 0) return rc;
                jws(c);
                if (c->i >= c->n || c->p[c->i] != ':') {
                    *why = "expected ':'";
                    return 1;
                }
                c->i++;
            }
            rc = jskip(t, c, depth + 1, why);
            if (rc != 0) return rc;
            jws(c);
            if (c->i < c->n && c->p[c->i] == ',') {
                c->i++;
                continue;
            }
            if (c->i < c->n && c->p[c->i] == close) {
                c->i++;
                return 0;
            }
            *why = obj ? "expected ',' or '}'" : "expected ',' or ']'";
            return 1;
        }
    }
    /* number, true, false, null: a run of literal characters, checked loosely */
    {
        size_t s = c->i;
        while (c->i < c->n && ((c->p[c->i] >= '0' && c->p[c->i] <= '9') ||
                               (c->p[c->i] >= 'a' && c->p[c->i] <= 'z') || c->p[c->i] == '-' ||
                               c->p[c->i] == '+' || c->p[c->i] == '.' || c->p[c->i] == 'E'))
            c->i++;
        if (c->i == s) {
            *why = "unexpected character";
            return 1;
        }
    }
    return 0;
}

static int is_literal(const uint8_t *p, size_t n)
{
    if ((n == 4 && memcmp(p, "true", 4) == 0) || (n == 5 && memcmp(p, "false", 5) == 0))
        return 1;
    /* JSON number */
    {
        size_t i = 0;
        if (i < n && p[i] == '-') i++;
        if (i >= n || p[i] < '0' || p[i] > '9') return 0;
        if (p[i] == '0') i++;
        else while (i < n && p[i] >= '0' && p[i] <= '9') i++;
        if (i < n && p[i] == '.') {
            i++;
            if (i >= n || p[i] < '0' || p[i] > '9') return 0;
            while (i < n && p[i] >= '0' && p[i] <= '9') i++;
        }
        if (i < n && (p[i] == 'e' || p[i] == 'E')) {
            i++;
            if (i < n && (p[i] == '+' || p[i] == '-')) i++;
            if (i >= n || p[i] < '0' || p[i] > '9') return 0;
            while (i < n && p[i] >= '0' && p[i] <= '9') i++;
        }
        return i == n;
    }
}

/* One line (without its newline) as a flat object; wanted keys go to their slots. */
static int parse_jsonl(dv_textlist *t, const uint8_t *line, size_t n, const char **why)
{
    jcur c = {line, 0, n};
    size_t nslot = FIRST_EXTRA + t->nextra;
    int rc;
    jws(&c);
    if (c.i >= c.n || c.p[c.i] != '{') {
        *why = "line is not a JSON object";
        return 1;
    }
    c.i++;
    memset(t->rank_set, 0, sizeof(t->rank_set));
    memset(t->id_key, 0, sizeof(t->id_key));
    t->id_seen = 0;
    jws(&c);
    if (c.i < c.n && c.p[c.i] == '}') {
        c.i++;
    } else {
        for (;;) {
            size_t kmark = t->text.len, klen, s, voff = 0, vlen = 0;
            int hit = -1, rank = 0, hh = -1, hrank = 0, ih = -1, irank = 0, dflt, null = 0;
            jws(&c);
            rc = jstring(t, &c, why);
            if (rc != 0) return rc;
            klen = t->text.len - kmark;
            /* a key fills the first slot whose name it is, and a hash column's and the id's
             * besides (roles of their own, as a Parquet column may be the url_col and the md5
             * column, and a CSV column fills every slot that names it) */
            for (s = 0; s < nslot; s++) {
                int rk;
                if (IS_HASH_SLOT(s) ? hh >= 0 : s == SLOT_ID ? ih >= 0 : hit >= 0) continue;
                rk = slot_rank_of(t, s, text_at(t, kmark), klen);
                if (rk < 0) continue;
                if (IS_HASH_SLOT(s)) hh = (int)s, hrank = rk;
                else if (s == SLOT_ID) ih = (int)s, irank = rk;
                else hit = (int)s, rank = rk;
            }
            if (ih >= 0 && !t->id_named)
                snprintf(t->id_key[irank], sizeof t->id_key[irank], "%.*s",
                         (int)(klen < 63 ? klen : 63), (const char *)text_at(t, kmark));
            dflt = hit >= 0 && hit < 2 && (t->defaults & (1 << hit));
            t->text.len = kmark;
            jws(&c);
            if (c.i >= c.n || c.p[c.i] != ':') {
                *why = "expected ':' after a key";
                return 1;
            }
            c.i++;
            jws(&c);
            if (hit < 0 && hh < 0 && ih < 0) {
                rc = jskip(t, &c, 1, why);
                if (rc != 0) return rc;
                goto next;
            } else if (c.i < c.n && c.p[c.i] == '"') {
                voff = t->text.len;
                rc = jstring(t, &c, why);
                if (rc != 0) return rc;
                vlen = t->text.len - voff;
                if (db_putc(t->alloc, &t->text, 0) < 0) return DV_ENOMEM;
            } else if (c.i < c.n && (c.p[c.i] == '{' || c.p[c.i] == '[') && (dflt || hit < 0) &&
                       !(ih >= 0 && t->id_named)) {
                /* an object or array under a default name (a "text" of several languages, an
                 * "image_url" list beside "url", an "md5" object, an "id" object) is not that
                 * column: passed over, as before those names were looked for, rather than
                 * costing the row its URL (a nested Parquet column is no hash or id column
                 * either) */
                rc = jskip(t, &c, 1, why);
                if (rc != 0) return rc;
                goto next;
            } else if (c.i < c.n && (c.p[c.i] == '{' || c.p[c.i] == '[')) {
                *why = "a requested column holds a nested value";
                return 1;
            } else {
                size_t s0 = c.i;
                rc = jskip(t, &c, 1, why);
                if (rc != 0) return rc;
                null = c.i - s0 == 4 && memcmp(c.p + s0, "null", 4) == 0;
                if (!null) {
                    if (!is_literal(c.p + s0, c.i - s0)) {
                        *why = "bad literal value";
                        return 1;
                    }
                    voff = t->text.len;
                    vlen = c.i - s0;
                    if (dv__dbuf_append(t->alloc, &t->text, c.p + s0, vlen) < 0 ||
                        db_putc(t->alloc, &t->text, 0) < 0)
                        return DV_ENOMEM;
                }
            }
            /* the same key twice: the last; null: absent */
            if (dflt) {
                t->rank_off[hit][rank] = voff;
                t->rank_len[hit][rank] = vlen;
                t->rank_set[hit][rank] = !null;
            } else if (hit >= 0) {
                t->slot_off[hit] = voff;
                t->slot_len[hit] = vlen;
                t->slot_set[hit] = !null;
            }
            if (hh >= 0) {
                t->rank_off[hh][hrank] = voff;
                t->rank_len[hh][hrank] = vlen;
                t->rank_set[hh][hrank] = !null;
            }
            if (ih >= 0) t->id_seen = 1;
            if (ih >= 0 && !t->id_named) {
                t->rank_off[ih][irank] = voff;
                t->rank_len[ih][irank] = vlen;
                t->rank_set[ih][irank] = !null;
            } else if (ih >= 0) {
                t->slot_off[ih] = voff;
                t->slot_len[ih] = vlen;
                t->slot_set[ih] = !null;
            }
        next:
            jws(&c);
            if (c.i < c.n && c.p[c.i] == ',') {
                c.i++;
                continue;
            }
            if (c.i < c.n && c.p[c.i] == '}') {
                c.i++;
                break;
            }
            *why = "expected ',' or '}'";
            return 1;
        }
    }
    jws(&c);
    if (c.i != c.n) {
        *why = "trailing characters after the object";
        return 1;
    }
    /* of a default slot's names, the first there (url before image_url, the exact spelling
     * before another case), whatever their order */
    for (size_t d = 0; d < FIRST_EXTRA; d++) {
        if (!(t->defaults & (1 << d))) continue;
        for (int rk = 0; rk < NRANK; rk++) {
            if (!t->rank_set[d][rk]) continue;
            t->slot_off[d] = t->rank_off[d][rk];
            t->slot_len[d] = t->rank_len[d][rk];
            t->slot_set[d] = 1;
            break;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- records */

/* Skip an over-long record: to its end, the next newline (CSV/TSV: outside a quoted field, as
 * parse_csv reads one: a quote opens a field only at its start, "" inside is a quote, and text
 * after a closing quote runs, quotes and all, to the newline). */
static int skip_long(dv_textlist *t)
{
    enum { F_START, F_PLAIN, F_QUOTED, F_QUOTE, F_BAD } st = F_START;
    int csv = t->fmt == DV_TL_CSV || t->fmt == DV_TL_TSV;
    uint8_t delim = t->fmt == DV_TL_CSV ? ',' : '\t';
    for (;;) {
        size_t i;
        for (i = t->pos; i < t->dlen; i++) {
            uint8_t ch = t->d[i];
            if (csv && st == F_QUOTED) {
                if (ch == '"') st = F_QUOTE;
                continue;
            }
            if (ch == '\n') {
                consume(t, i + 1 - t->pos);
                return DV_OK;
            }
            if (!csv || st == F_BAD) continue;
            if (ch == delim) st = F_START;
            else if (ch == '"' && (st == F_START || st == F_QUOTE)) st = F_QUOTED;
            else st = st == F_QUOTE ? F_BAD : F_PLAIN;
        }
        consume(t, t->dlen - t->pos);
        if (t->eof || t->is_buf) return DV_OK;
        DV_FORWARD_IF_ERROR(fill(t));
    }
}

/* Next record into text/foffs (CSV/TSV) or slots (JSONL/TXT). 1: a record; 0: end;
 * DV_ECORRUPT / DV_ETOOBIG: a bad record, consumed; other negatives: fatal. */
static int next_record(dv_textlist *t, int *empty)
{
    for (;;) {
        size_t avail = t->dlen - t->pos, used = 0;
        uint64_t start_line = t->line;
        int rc;
        *empty = 0;
        if (avail == 0 && !t->eof && !t->is_buf) {
            DV_FORWARD_IF_ERROR(fill(t));
            continue;
        }
        if (avail == 0) return 0;
        memset(t->slot_set, 0, sizeof(t->slot_set));
        if (t->fmt == DV_TL_CSV || t->fmt == DV_TL_TSV) {
            rc = parse_csv(t, t->fmt == DV_TL_CSV ? ',' : '\t', &used);
            if (rc == DV_ECORRUPT) {
                /* a bad record of several lines (a quote left open runs to the end of the
                 * input, or to a quote lines further on): the lines after its first may be
                 * rows of their own, so only the first is bad and reading goes on at the
                 * next, rather than every row after a stray quote being lost as one */
                const uint8_t *nl = memchr(t->d + t->pos, '\n', used);
                if (nl != NULL && (size_t)(nl - (t->d + t->pos)) + 1 < used)
                    used = (size_t)(nl - (t->d + t->pos)) + 1;
                consume(t, used);
                return rc;
            }
            if (rc < 0) return rc;
            *empty = t->foffs.len == 0;
        } else {
            const uint8_t *p = t->d + t->pos;
            const uint8_t *nl = memchr(p, '\n', avail);
            size_t n;
            if (nl == NULL && !t->eof && !t->is_buf) {
                rc = NEED_MORE;
            } else {
                const char *why = NULL;
                n = nl ? (size_t)(nl - p) : avail;
                used = nl ? n + 1 : n;
                rc = 1;
                if (n > t->max_record) {
                    consume(t, used);
                    dv__set_err(t->err, sizeof(t->err),
                                "%s:%llu: record longer than %zu bytes, skipped", t->name,
                                (unsigned long long)start_line, t->max_record);
                    return DV_ETOOBIG;
                }
                if (n > 0 && p[n - 1] == '\r') n--;
                t->text.len = 0;
                if (t->fmt == DV_TL_TXT) {
                    size_t s = 0;
                    while (s < n && (p[s] == ' ' || p[s] == '\t')) s++;
                    while (n > s && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
                    *empty = n == s;
                    if (dv__dbuf_append(t->alloc, &t->text, p + s, n - s) < 0 ||
                        db_putc(t->alloc, &t->text, 0) < 0)
                        return DV_ENOMEM;
                    t->slot_off[0] = 0;
                    t->slot_len[0] = n - s;
                    t->slot_set[0] = 1;
                } else {
                    size_t s = 0;
                    while (s < n && (p[s] == ' ' || p[s] == '\t')) s++;
                    *empty = s == n;
                    if (!*empty) {
                        int jr = parse_jsonl(t, p, n, &why);
                        if (jr == DV_ENOMEM) return jr;
                        if (jr != 0) {
                            consume(t, used);
                            dv__set_err(t->err, sizeof(t->err), "%s:%llu: %s", t->name,
                                        (unsigned long long)start_line, why);
                            return DV_ECORRUPT;
                        }
                    }
                }
            }
        }
        if (rc == NEED_MORE) {
            /* the record is at least avail bytes (a JSONL/TXT line at least avail besides its
             * newline): one of exactly max_record is still whole, and parse_csv looks at
             * max_record + 1 bytes and whether the input ends there; the buffer holds
             * max_record + CHUNK, so a pipe that gave just that much is read again */
            if (avail > t->max_record + 1 || t->eof || t->is_buf) {
                /* cannot complete within the limit: report and resynchronise. A CSV/TSV
                 * record whose first line is within the limit but that runs on past it is a
                 * quote left open, almost surely
                 * (a field of megabytes over many lines is not a URL list's): only its first
                 * line is skipped, and the lines after it are read as rows, rather than every
                 * row up to the next stray quote, or to the end, being lost as one */
                const uint8_t *nl = t->fmt == DV_TL_CSV || t->fmt == DV_TL_TSV
                                        ? memchr(t->d + t->pos, '\n', avail)
                                        : NULL;
                if (nl != NULL && (size_t)(nl - (t->d + t->pos)) <= t->max_record) {
                    consume(t, (size_t)(nl - (t->d + t->pos)) + 1);
                    dv__set_err(t->err, sizeof(t->err),
                                "%s:%llu: record longer than %zu bytes over several lines (a "
                                "quote left open?): its first line skipped", t->name,
                                (unsigned long long)start_line, t->max_record);
                    return DV_ETOOBIG;
                }
                DV_FORWARD_IF_ERROR(skip_long(t));
                dv__set_err(t->err, sizeof(t->err),
                            "%s:%llu: record longer than %zu bytes, skipped", t->name,
                            (unsigned long long)start_line, t->max_record);
                return DV_ETOOBIG;
            }
            DV_FORWARD_IF_ERROR(fill(t));
            continue;
        }
        if (used > t->max_record && t->fmt != DV_TL_TXT && t->fmt != DV_TL_JSONL) {
            consume(t, used);
            dv__set_err(t->err, sizeof(t->err), "%s:%llu: record longer than %zu bytes, skipped",
                        t->name, (unsigned long long)start_line, t->max_record);
            return DV_ETOOBIG;
        }
        consume(t, used);
        return 1;
    }
}

static dv_textlist_format format_from_name(const char *name)
{
    const char *dot = name ? strrchr(name, '.') : NULL;
    if (dot == NULL) return DV_TL_CSV;
    if (strcmp(dot, ".tsv") == 0 || strcmp(dot, ".tab") == 0) return DV_TL_TSV;
    if (strcmp(dot, ".jsonl") == 0 || strcmp(dot, ".json") == 0 || strcmp(dot, ".ndjson") == 0)
        return DV_TL_JSONL;
    if (strcmp(dot, ".txt") == 0) return DV_TL_TXT;
    return DV_TL_CSV;
}

static void missing_column(dv_textlist *t, const char *col, uint64_t line)
{
    size_t n;
    dv__set_err(t->err, sizeof(t->err), "%s:%llu: no column '%s' (columns:", t->name,
                (unsigned long long)line, col);
    for (int c = 0; c < t->ncols; c++) {
        const size_t *pr = (const size_t *)(const void *)t->foffs.p + 2 * (size_t)c;
        n = strlen(t->err);
        if (n + 8 >= sizeof(t->err)) break;
        dv__set_err(t->err + n, sizeof(t->err) - n, "%s '%s'", c ? "," : "",
                    (const char *)text_at(t, pr[0]));
    }
    n = strlen(t->err);
    if (n + 2 < sizeof(t->err)) dv__set_err(t->err + n, sizeof(t->err) - n, ")");
    {
        /* the names are the first row's cells, which may be a URL's or any text's: base64 of
         * an image among them is withheld, as in every message (dv_url_redact's rule) */
        char tmp[sizeof t->err];
        size_t k;
        n = strlen(t->err);
        /* a cell cut at the message's cap: what is left of a run there is withheld from as
         * few digits as show an image signature */
        k = n + 1 == sizeof tmp ? dv__b64_image_redact_cut(t->err, n, tmp, sizeof tmp)
                                : dv__b64_image_redact(t->err, n, 0, tmp, sizeof tmp);
        if (k > 0 && k < sizeof tmp) memcpy(t->err, tmp, k + 1);
    }
}

static int start(dv_textlist *t, const char *name)
{
    int rc, empty;
    uint64_t hline;
    dv__set_err(t->name, sizeof(t->name), "%s", name ? name : "(list)");
    t->err[0] = 0;
    t->fmt = t->fmt_opt == DV_TL_AUTO ? format_from_name(name) : t->fmt_opt;
    t->line = 1;
    t->row = t->bad = 0;
    t->headerless = t->pending = 0;
    t->id_col_name[0] = 0;
    t->pos = 0;
    t->eof = t->is_buf;
    t->state = ST_OPEN;
    if (t->fmt == DV_TL_TXT && (t->nextra > 0 || t->caption_required)) {
        dv__set_err(t->err, sizeof(t->err), "%s: a TXT list has only a URL column", t->name);
        return fail(t, DV_EINVAL);
    }
    /* (a pipe may give fewer bytes than the mark has) */
    while (!t->is_buf && !t->eof && t->dlen - t->pos < 3) {
        rc = fill(t);
        if (rc < 0) return fail(t, rc);
    }
    /* UTF-8 byte order mark */
    if (t->dlen - t->pos >= 3 && memcmp(t->d + t->pos, "\xEF\xBB\xBF", 3) == 0) {
        t->pos += 3;
        t->consumed += 3;
    }
    if (t->fmt != DV_TL_CSV && t->fmt != DV_TL_TSV) return DV_OK;
    /* the header: the first non-empty record */
    do {
        hline = t->line;
        rc = next_record(t, &empty);
    } while (rc == 1 && empty);
    if (rc == 0) {
        dv__set_err(t->err, sizeof(t->err), "%s: empty file, no header row", t->name);
        return fail(t, DV_EFORMAT);
    }
    if (rc < 0) {
        size_t n = strlen(t->err);
        if (n + 20 < sizeof(t->err)) dv__set_err(t->err + n, sizeof(t->err) - n, " (header row)");
        return fail(t, rc == DV_ETOOBIG || rc == DV_ECORRUPT ? DV_EFORMAT : rc);
    }
    t->ncols = (int)(t->foffs.len / (2 * sizeof(size_t)));
    for (size_t s = 0; s < NSLOT; s++) t->col[s] = -1;
    for (size_t s = 0; s < FIRST_EXTRA + t->nextra; s++) {
        int best = -1;
        for (int c = 0; c < t->ncols; c++) {
            const size_t *pr = (const size_t *)(const void *)t->foffs.p + 2 * (size_t)c;
            int rk = slot_rank_of(t, s, text_at(t, pr[0]), pr[1]);
            if (rk >= 0 && (best < 0 || rk < best)) { /* of equal ranks, the first column */
                t->col[s] = c;
                best = rk;
            }
        }
        if (s == SLOT_ID && t->col[s] >= 0) {
            const size_t *pr = (const size_t *)(const void *)t->foffs.p + 2 * (size_t)t->col[s];
            snprintf(t->id_col_name, sizeof t->id_col_name, "%.*s",
                     (int)(pr[1] < 63 ? pr[1] : 63), (const char *)text_at(t, pr[0]));
        }
        if (s == 0 && t->col[0] < 0 && (t->defaults & 1) && t->nextra == 0 &&
            !t->caption_required) {
            /* no url column, but a URL in the first record: a list without a header
             * (CC3M, CC12M: url TAB caption); its only other field, if any, the caption */
            for (int c = 0; c < t->ncols && t->col[0] < 0; c++) {
                const size_t *pr = (const size_t *)(const void *)t->foffs.p + 2 * (size_t)c;
                const char *v = (const char *)text_at(t, pr[0]);
                if (strncasecmp(v, "http://", 7) == 0 || strncasecmp(v, "https://", 8) == 0)
                    t->col[0] = c;
            }
            if (t->col[0] >= 0) {
                t->headerless = t->pending = 1;
                t->pending_line = hline;
                t->col[1] = t->ncols == 2 ? 1 - t->col[0] : -1;
                return DV_OK; /* (and no hash or id columns: found by a header's names) */
            }
        }
        /* url and the extras must be there, the caption if named; the hash columns need not,
         * nor the id, named or not: a list without it is read, its rows said to have none
         * (dv_textlist_row.id_missing), as a Parquet file without it is */
        if (t->col[s] < 0 && !IS_HASH_SLOT(s) && (s != 1 || t->caption_required) &&
            s != SLOT_ID) {
            missing_column(t, s == 0 && (t->defaults & 1) ? "url' or 'image_url" : slot_name(t, s),
                           hline);
            size_t n = strlen(t->err);
            if (s == 0 && (t->defaults & 1) && t->nextra == 0 && !t->caption_required &&
                n + 100 < sizeof(t->err))
                /* a list without a header row whose first URL is not http(s) lands here */
                dv__set_err(t->err + n, sizeof(t->err) - n,
                            "; a list without a header row needs an http:// or https:// URL "
                            "in its first line");
            return fail(t, DV_EFORMAT);
        }
    }
    return DV_OK;
}

int dv_textlist_open_fd(dv_textlist *t, int fd, const char *name)
{
    DV_RETURN_ERROR_IF(t == NULL || fd < 0, DV_EINVAL);
    t->fd = fd;
    t->is_buf = 0;
    t->d = t->in.p;
    t->dlen = 0;
    return start(t, name);
}

int dv_textlist_open_buffer(dv_textlist *t, const void *buf, size_t len, const char *name)
{
    DV_RETURN_ERROR_IF(t == NULL || (buf == NULL && len > 0), DV_EINVAL);
    t->fd = -1;
    t->is_buf = 1;
    t->d = buf ? buf : (const uint8_t *)"";
    t->dlen = len;
    return start(t, name);
}

/* The name of the column or member the record's id came from (set: of the rank chosen, the
 * first set; else, all null, the first there), as the file spells it. */
static const char *id_name_of(const dv_textlist *t, int set)
{
    if (t->id_named) return slot_name(t, SLOT_ID);
    if (t->fmt != DV_TL_JSONL) return t->id_col_name[0] ? t->id_col_name : NULL;
    for (int rk = 0; rk < NRANK; rk++)
        if (set ? t->rank_set[SLOT_ID][rk] : t->id_key[rk][0] != 0) return t->id_key[rk];
    return NULL;
}

int dv_textlist_next(dv_textlist *t, dv_textlist_row *out)
{
    int rc, empty;
    uint64_t line;
    DV_RETURN_ERROR_IF(t == NULL || out == NULL, DV_EINVAL);
    if (t->state == ST_FAILED) return t->fail_rc;
    if (t->state == ST_CLOSED) return DV_EINVAL;
    if (t->state == ST_END) return 0;
    for (;;) {
        if (t->pending) { /* the first record of a list without a header, read by start() */
            t->pending = 0;
            line = t->pending_line;
            break;
        }
        line = t->line;
        rc = next_record(t, &empty);
        if (rc == 0) {
            t->state = ST_END;
            return 0;
        }
        if (rc == DV_ECORRUPT || rc == DV_ETOOBIG) {
            t->bad++;
            return rc;
        }
        if (rc < 0) return fail(t, rc);
        if (!empty) break;
    }
    if (t->fmt == DV_TL_CSV || t->fmt == DV_TL_TSV) {
        int nf = (int)(t->foffs.len / (2 * sizeof(size_t)));
        const size_t *pr = (const size_t *)(const void *)t->foffs.p;
        if (nf != t->ncols) {
            dv__set_err(t->err, sizeof(t->err), "%s:%llu: %d fields where the header has %d",
                        t->name, (unsigned long long)line, nf, t->ncols);
            t->bad++;
            return DV_ECORRUPT;
        }
        for (size_t s = 0; s < FIRST_EXTRA + t->nextra; s++) {
            if (t->col[s] < 0) continue;
            t->slot_off[s] = pr[2 * (size_t)t->col[s]];
            t->slot_len[s] = pr[2 * (size_t)t->col[s] + 1];
            t->slot_set[s] = 1;
        }
    }
    if (!t->slot_set[0] || t->slot_len[0] == 0) {
        dv__set_err(t->err, sizeof(t->err), "%s:%llu: empty or missing '%s'", t->name,
                    (unsigned long long)line, slot_name(t, 0));
        t->bad++;
        return DV_ECORRUPT;
    }
    /* as a C string it would be a shorter URL: fetched, matched and recorded as another */
    if (memchr(text_at(t, t->slot_off[0]), '\0', t->slot_len[0]) != NULL) {
        dv__set_err(t->err, sizeof(t->err), "%s:%llu: a NUL byte in '%s'", t->name,
                    (unsigned long long)line, slot_name(t, 0));
        t->bad++;
        return DV_ECORRUPT;
    }
    /* a caption is searched for terms as a C string: a NUL would hide the words after it,
     * so it reads as a space (the record is no less readable for it) */
    if (t->slot_set[1] && t->text.p) {
        uint8_t *c = t->text.p + t->slot_off[1];
        for (size_t k = 0; k < t->slot_len[1]; k++)
            if (c[k] == 0) c[k] = ' ';
    }
    memset(out, 0, sizeof(*out));
    out->row = ++t->row;
    out->line = line;
    out->url = (const char *)text_at(t, t->slot_off[0]);
    out->url_len = t->slot_len[0];
    if (t->slot_set[1]) {
        out->caption = (const char *)text_at(t, t->slot_off[1]);
        out->caption_len = t->slot_len[1];
    }
    for (size_t e = 0; e < t->nextra; e++) {
        size_t s = FIRST_EXTRA + e;
        t->extra[e] = t->slot_set[s] ? (const char *)text_at(t, t->slot_off[s]) : NULL;
        t->extra_len[e] = t->slot_set[s] ? t->slot_len[s] : 0;
    }
    if (t->slot_set[SLOT_HASH]) {
        out->md5 = (const char *)text_at(t, t->slot_off[SLOT_HASH]);
        out->md5_len = t->slot_len[SLOT_HASH];
    }
    if (t->slot_set[SLOT_HASH + 1]) {
        out->sha1 = (const char *)text_at(t, t->slot_off[SLOT_HASH + 1]);
        out->sha1_len = t->slot_len[SLOT_HASH + 1];
    }
    if (t->slot_set[SLOT_HASH + 2]) {
        out->sha256 = (const char *)text_at(t, t->slot_off[SLOT_HASH + 2]);
        out->sha256_len = t->slot_len[SLOT_HASH + 2];
    }
    if (t->slot_set[SLOT_ID]) {
        out->id = (const char *)text_at(t, t->slot_off[SLOT_ID]);
        out->id_len = t->slot_len[SLOT_ID];
        out->id_name = id_name_of(t, 1);
    } else if (t->id_named && t->fmt != DV_TL_JSONL &&
               (t->fmt == DV_TL_TXT || t->col[SLOT_ID] < 0)) {
        out->id_missing = 1; /* TXT, no header row, or a header without it */
    } else if (t->id_named && t->fmt == DV_TL_JSONL && !t->id_seen) {
        out->id_missing = 2;
    } else if (t->fmt == DV_TL_JSONL && t->id_seen) {
        out->id_null = 1;
        out->id_name = id_name_of(t, 0);
    }
    out->extra = t->extra;
    out->extra_len = t->extra_len;
    return 1;
}
