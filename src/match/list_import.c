/* list_import.c - text inputs into a list builder: plain hex, ThreatExchange "hash,quality",
 * CSV/TSV with a header, JSONL and URL lists (docs/list-formats.md). Never echoes a hash. */
#include "list_internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

enum { FMT_LINES, FMT_CSV, FMT_TSV, FMT_JSONL };

/* what a CSV/TSV column or a JSON member means */
enum { ROLE_NONE, ROLE_KEY, ROLE_QUALITY, ROLE_ID, ROLE_LABEL, ROLE_CATEGORY, ROLE_TYPE, ROLE_PATH, NROLES };

#define MAX_COLUMNS 256u
#define TYPE_HASH ((dv_hash_type)100) /* a generic "hash" column: type from length */

typedef struct slice {
    const char *p;
    size_t n;
} slice;

typedef struct imp {
    dv_list_builder *b;
    const char *name;
    dv_hash_type forced;
    dv_hash_type want;   /* the key a record of several picks: forced, else the list's type */
    int strict;
    int pdq_hint;        /* 64 hex digits mean PDQ in this input */
    dv_import_stats st;  /* this call's counts */
    uint64_t reserve;    /* entries this input may add, reserved after its first entry */
    uint64_t suppressed; /* bad lines past the ones kept in the message */
    /* the input: [p, end) is read and not parsed yet; eof when end is the input's end. A
     * line or record is parsed from the window [p, p + max_line) at most, whole text or
     * streamed alike, so that the two give the same entries and bad lines */
    const char *p, *end;
    int eof;
    size_t max_line;
    uint64_t size; /* the input's size, where known (a regular file): 0 if not */
    /* streamed: rd fills buf (cap bytes); base: the input offset of buf[0] */
    ptrdiff_t (*rd)(void *ctx, void *dst, size_t n);
    void *rd_ctx;
    char *buf;
    size_t cap;
    uint64_t bytes_read;
    const dv_list_import_opts *opts;
    char *scratch;
    size_t scap;
    uint8_t *urlbuf; /* URL_BUF bytes, allocated at the first URL */
} imp;

/* a normalised URL is at most 3 x its text + 2 (docs/list-formats.md) */
#define URL_BUF (3 * DV__LIST_URL_MAX + 2)

/* ---------------------------------------------------------------- small helpers */

/* hex digit value + 1, 0 for anything else: one load per digit on the hot path */
static const uint8_t hexv1[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static int hexval(unsigned char c) { return (int)hexv1[c] - 1; }

static slice trim(slice s)
{
    while (s.n > 0 && (s.p[0] == ' ' || s.p[0] == '\t' || s.p[0] == '\r')) s.p++, s.n--;
    while (s.n > 0 && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t' || s.p[s.n - 1] == '\r')) s.n--;
    return s;
}

static int is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* scheme "://" at the start: the value is a URL. Schemes longer than 32 characters are not
 * taken for one; a hex line has no ':' at all, so it costs one memchr. */
static int looks_like_url(slice s)
{
    const char *colon = s.n >= 4 ? memchr(s.p, ':', s.n < 34 ? s.n : 34) : NULL;
    size_t i, end;
    if (colon == NULL || !is_alpha((unsigned char)s.p[0])) return 0;
    end = (size_t)(colon - s.p);
    for (i = 1; i < end; i++) {
        char ch = s.p[i];
        if (!(is_alpha((unsigned char)ch) || (ch >= '0' && ch <= '9') || ch == '+' || ch == '-' ||
              ch == '.'))
            return 0;
    }
    return s.n - end >= 3 && memcmp(colon, "://", 3) == 0;
}

static int is_url_hash(dv_hash_type t)
{
    return t == DV_HT_URL_MD5 || t == DV_HT_URL_SHA1 || t == DV_HT_URL_SHA256;
}

/* Case-insensitive equality of a slice and a lower-case word; '_' matches '-'. */
static int word_eq(slice s, const char *w)
{
    size_t n = strlen(w);
    if (s.n != n) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s.p[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c == '_') c = '-';
        if (c != w[i]) return 0;
    }
    return 1;
}

/* A type name ("md5", "SHA-256", "url_sha1", ...) as a hash type; NONE if it is none. */
static dv_hash_type type_of_word(slice s)
{
    static const struct {
        const char *w;
        dv_hash_type t;
    } names[] = {{"md5", DV_HT_MD5},           {"sha1", DV_HT_SHA1},
                 {"sha-1", DV_HT_SHA1},        {"sha256", DV_HT_SHA256},
                 {"sha-256", DV_HT_SHA256},    {"pdq", DV_HT_PDQ},
                 {"url", DV_HT_URL},           {"url-md5", DV_HT_URL_MD5},
                 {"url-sha1", DV_HT_URL_SHA1}, {"url-sha256", DV_HT_URL_SHA256}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (word_eq(s, names[i].w)) return names[i].t;
    return DV_HT_NONE;
}

/* A CSV header name or JSON member name: its role, and for key columns the implied type. */
static int role_of_name(slice s, dv_hash_type *implied)
{
    dv_hash_type t;
    *implied = DV_HT_NONE;
    s = trim(s);
    if (word_eq(s, "hash")) {
        *implied = TYPE_HASH;
        return ROLE_KEY;
    }
    t = type_of_word(s);
    if (t != DV_HT_NONE) {
        *implied = t;
        return ROLE_KEY;
    }
    if (word_eq(s, "quality")) return ROLE_QUALITY;
    if (word_eq(s, "id")) return ROLE_ID;
    if (word_eq(s, "label")) return ROLE_LABEL;
    if (word_eq(s, "category")) return ROLE_CATEGORY;
    if (word_eq(s, "type")) return ROLE_TYPE;
    /* datavet hash output: the file a hash was made from labels the entry */
    if (word_eq(s, "path")) return ROLE_PATH;
    return ROLE_NONE;
}

/* A bad line: fatal (DV_ECORRUPT) when strict, else counted and the reason kept. */
static int bad(imp *c, uint64_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(imp *c, uint64_t line, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    c->st.bad++;
    if (c->strict) {
        dv__lb_set_msg(c->b, "%s:%llu: %s", c->name, (unsigned long long)line, why);
        return DV_ECORRUPT;
    }
    if (c->b->nmsg < DV__LIST_MSG_LINES)
        dv__lb_add_msg_line(c->b, "%s:%llu: %s", c->name, (unsigned long long)line, why);
    else c->suppressed++;
    return DV_OK;
}

/* ---------------------------------------------------------------- one entry */

typedef struct fields {
    slice key;
    dv_hash_type implied; /* from the column or member name: a type, TYPE_HASH or NONE */
    slice type;           /* a "type" column or member, if any */
    int has_type;
    slice quality;
    int has_quality;
    slice id, label;
    int te; /* the ThreatExchange "hash,quality" form */
} fields;

/* 0 if an id or label is fine, 1 if its line was skipped, < 0 if that stops the import. A
 * label's length is the one it is stored with (valid UTF-8: dv__lb_label_len). */
static int check_str(imp *c, uint64_t line, slice s, const char *what)
{
    int label = strcmp(what, "label") == 0;
    if (s.n == 0) return 0;
    if (memchr(s.p, 0, s.n) != NULL)
        return bad(c, line, "%s holds a NUL byte", what) < 0 ? DV_ECORRUPT : 1;
    if ((label ? dv__lb_label_len(s.p, s.n) : s.n) > DV__LIST_STR_MAX)
        return bad(c, line, "%s longer than %u bytes%s", what, DV__LIST_STR_MAX,
                   label ? " (as UTF-8)" : "") < 0
                   ? DV_ECORRUPT
                   : 1;
    return 0;
}

/* Resolve the entry's type, parse its key and add it. Returns DV_OK for added and for
 * skipped bad lines, a negative code for what stops the import. */
static int add_entry(imp *c, uint64_t line, fields *f)
{
    dv_list_builder *b = c->b;
    dv_hash_type lt = b->type, implied = f->implied, t;
    slice v = trim(f->key);
    int is_url = looks_like_url(v), quality = -1, rc;
    uint8_t key[32];
    const uint8_t *kp = key;
    size_t klen;

    if (v.n == 0) return bad(c, line, "empty hash field");
    if (f->has_type) {
        slice ts = trim(f->type);
        if (ts.n > 0) {
            dv_hash_type tt = type_of_word(ts);
            if (tt == DV_HT_NONE) return bad(c, line, "unknown hash type in the type field");
            if (implied != DV_HT_NONE && implied != TYPE_HASH && implied != tt)
                return bad(c, line, "type field says %s but the column is %s",
                           dv_hash_type_name(tt), dv_hash_type_name(implied));
            implied = tt;
        }
    }
    if (implied == TYPE_HASH) implied = DV_HT_NONE;
    /* a URL where a URL hash is wanted is hashed */
    if (implied == DV_HT_URL && is_url_hash(c->forced ? c->forced : lt))
        implied = c->forced ? c->forced : lt;
    if (c->forced != DV_HT_NONE) {
        if (implied != DV_HT_NONE && implied != c->forced)
            return bad(c, line, "a %s entry, but the import is of %s hashes",
                       dv_hash_type_name(implied), dv_hash_type_name(c->forced));
        t = c->forced;
    } else if (implied != DV_HT_NONE) {
        t = implied;
    } else if (is_url) {
        t = is_url_hash(lt) ? lt : DV_HT_URL;
    } else {
        size_t nhex = 0;
        while (nhex < v.n && hexval((unsigned char)v.p[nhex]) >= 0) nhex++;
        if (nhex < v.n)
            return bad(c, line, "not a hex hash or a URL (bad character at position %zu)",
                       nhex + 1);
        if (lt != DV_HT_NONE && lt != DV_HT_URL && dv_hash_type_size(lt) * 2 == v.n) t = lt;
        else if (v.n == 32) t = DV_HT_MD5;
        else if (v.n == 40) t = DV_HT_SHA1;
        else if (v.n == 64 && (c->pdq_hint || f->te)) t = DV_HT_PDQ;
        else if (v.n == 64) {
            /* a PDQ list read as SHA-256 would match nothing, and quietly: not guessed */
            dv__lb_set_msg(b,
                           "%s:%llu: 64 hex digits are a SHA-256 or a PDQ hash, and nothing "
                           "says which: give the list's type (list build --type sha256 or "
                           "--type pdq), a header naming the column, or PDQ's hash,quality form",
                           c->name, (unsigned long long)line);
            return DV_EFORMAT;
        }
        else
            return bad(c, line,
                       "%zu hex digits: not an MD5 (32), SHA-1 (40) or SHA-256/PDQ (64) hash", v.n);
    }
    if (f->te && t != DV_HT_PDQ)
        return bad(c, line, "the hash,quality form is for PDQ hashes, this is %s",
                   dv_hash_type_name(t));

    /* the key */
    if (t == DV_HT_URL || (is_url_hash(t) && is_url)) {
        size_t ulen;
        if (!is_url) return bad(c, line, "not a URL (expected scheme://host...)");
        if (c->urlbuf == NULL && (c->urlbuf = dv__malloc(b->alloc, URL_BUF)) == NULL) {
            dv__lb_set_msg(b, "%s:%llu: out of memory", c->name, (unsigned long long)line);
            return DV_ENOMEM;
        }
        rc = dv_url_normalize(v.p, v.n, (char *)c->urlbuf, URL_BUF, &ulen);
        if (rc == DV_ERANGE || (rc == DV_OK && ulen > DV__LIST_URL_MAX))
            return bad(c, line, "URL longer than %u bytes", DV__LIST_URL_MAX);
        if (rc != DV_OK)
            return bad(c, line, "bad URL (no scheme://host, a bad %%-escape or a bad port)");
        kp = c->urlbuf;
        klen = ulen;
        if (t != DV_HT_URL) {
            dv_digests d;
            unsigned algo = t == DV_HT_URL_MD5    ? DV_ALGO_MD5
                            : t == DV_HT_URL_SHA1 ? DV_ALGO_SHA1
                                                  : DV_ALGO_SHA256;
            rc = dv_digests_compute(algo, c->urlbuf, ulen, &d);
            if (rc != DV_OK) {
                dv__lb_set_msg(b, "%s:%llu: digest failed", c->name, (unsigned long long)line);
                return rc;
            }
            klen = dv_hash_type_size(t);
            memcpy(key, t == DV_HT_URL_MD5 ? d.md5 : t == DV_HT_URL_SHA1 ? d.sha1 : d.sha256, klen);
            kp = key;
        }
    } else {
        klen = dv_hash_type_size(t);
        if (is_url)
            return bad(c, line, "a URL, but the list is of %s hashes", dv_hash_type_name(t));
        if (v.n != 2 * klen) {
            for (size_t i = 0; i < v.n; i++)
                if (hexval((unsigned char)v.p[i]) < 0)
                    return bad(c, line, "bad hex digit at position %zu of the hash", i + 1);
            return bad(c, line, "%zu hex digits, a %s hash has %zu", v.n, dv_hash_type_name(t),
                       2 * klen);
        }
        {
            unsigned okall = 1;
            for (size_t i = 0; i < klen; i++) {
                unsigned hi = hexv1[(unsigned char)v.p[2 * i]],
                         lo = hexv1[(unsigned char)v.p[2 * i + 1]];
                okall &= (hi != 0) & (lo != 0);
                key[i] = (uint8_t)((hi - 1) << 4 | ((lo - 1) & 15));
            }
            if (!okall) {
                size_t i = 0;
                while (hexv1[(unsigned char)v.p[i]] != 0) i++;
                return bad(c, line, "bad hex digit at position %zu of the hash", i + 1);
            }
        }
    }
    /* quality: PDQ only, an integer 0..100; ignored for other types */
    if (t == DV_HT_PDQ && f->has_quality) {
        slice q = trim(f->quality);
        if (q.n > 0) {
            int v2 = 0;
            if (q.n > 3) return bad(c, line, "quality is not an integer from 0 to 100");
            for (size_t i = 0; i < q.n; i++) {
                if (q.p[i] < '0' || q.p[i] > '9')
                    return bad(c, line, "quality is not an integer from 0 to 100");
                v2 = v2 * 10 + (q.p[i] - '0');
            }
            if (v2 > 100) return bad(c, line, "quality is not an integer from 0 to 100");
            quality = v2;
        }
    }
    f->id = trim(f->id);
    f->label = trim(f->label);
    if ((rc = check_str(c, line, f->id, "id")) != 0) return rc < 0 ? rc : DV_OK;
    if ((rc = check_str(c, line, f->label, "label")) != 0) return rc < 0 ? rc : DV_OK;
    /* a well-formed entry of another type: the input does not fit this list at all */
    if (lt != DV_HT_NONE && t != lt) {
        dv__lb_set_msg(b,
                       "%s:%llu: a %s hash in a %s list: a list has one hash type (--type picks "
                       "one and skips the others)",
                       c->name, (unsigned long long)line, dv_hash_type_name(t),
                       dv_hash_type_name(lt));
        return DV_EFORMAT;
    }
    rc = dv__lb_add(b, t, kp, klen, f->id.p, f->id.n, f->label.p, f->label.n, quality);
    if (rc == DV_OK && c->reserve > 0) {
        /* the type is known now: size the records once instead of doubling through them */
        dv__lb_reserve(b, b->n + c->reserve);
        c->reserve = 0;
    }
    if (rc != DV_OK) {
        /* dv__lb_add said what; put the place in front (its text is escaped already) */
        char m[DV__LIST_MSG_CAP];
        size_t k;
        memcpy(m, b->msg, sizeof(m));
        m[sizeof(m) - 1] = '\0';
        dv__lb_set_msg(b, "%s:%llu: ", c->name, (unsigned long long)line);
        k = strlen(b->msg);
        snprintf(b->msg + k, sizeof(b->msg) - k, "%s", m);
        return rc;
    }
    c->st.entries++;
    return DV_OK;
}

/* ---------------------------------------------------------------- line-oriented inputs */

/* Make the window hold more than max_line bytes from c->p, or the rest of the input: what
 * is parsed never depends on where a read ended. Streamed input moves to the front of buf. */
static int fill(imp *c)
{
    size_t keep;
    if (c->eof || (size_t)(c->end - c->p) > c->max_line) return DV_OK;
    keep = (size_t)(c->end - c->p);
    memmove(c->buf, c->p, keep);
    c->p = c->buf;
    c->end = c->buf + keep;
    for (;;) {
        while (!c->eof && (size_t)(c->end - c->buf) < c->cap) {
            ptrdiff_t n =
                c->rd(c->rd_ctx, c->buf + (c->end - c->buf), c->cap - (size_t)(c->end - c->buf));
            if (n < 0) {
                dv__lb_set_msg(c->b, "%s: read failed after %llu bytes: %s", c->name,
                               (unsigned long long)c->bytes_read, strerror((int)-n));
                return DV_EIO;
            }
            if (n == 0) c->eof = 1;
            c->end += n;
            c->bytes_read += (uint64_t)n;
            if (c->opts && c->opts->max_bytes > 0 && c->bytes_read > c->opts->max_bytes) {
                if (c->opts->progress)
                    c->opts->progress(c->opts->progress_ctx, c->bytes_read, c->st.entries);
                dv__lb_set_msg(c->b, "%s: input over the limit of %llu bytes", c->name,
                               (unsigned long long)c->opts->max_bytes);
                return DV_ETOOBIG;
            }
        }
        if (c->eof || (size_t)(c->end - c->p) > c->max_line) break;
        {
            /* sized for the input's size, which it has outgrown: the whole window */
            const size_t ncap = 2 * c->max_line + 2, used = (size_t)(c->end - c->buf);
            char *nb = dv__realloc(c->b->alloc, c->buf, ncap);
            if (nb == NULL) {
                dv__lb_set_msg(c->b, "%s: out of memory", c->name);
                return DV_ENOMEM;
            }
            c->buf = nb;
            c->p = nb;
            c->end = nb + used;
            c->cap = ncap;
        }
    }
    if (c->opts && c->opts->progress)
        c->opts->progress(c->opts->progress_ctx, c->bytes_read, c->st.entries);
    return DV_OK;
}

/* The line at c->p without its '\n' (a '\r' before it is left to trim()) into *t, and where
 * the next starts into *next. 1 when the line is whole; 0 when it runs past max_line bytes
 * (*t is its start, skip_line() passes it). Call fill() first. */
static int peek_line(const imp *c, slice *t, const char **next)
{
    /* a line of max_line bytes has its '\n' at p + max_line (fill() keeps more than max_line
     * bytes at hand unless the input ends first) */
    const char *wl = (size_t)(c->end - c->p) > c->max_line ? c->p + c->max_line + 1 : c->end;
    const char *nl = memchr(c->p, '\n', (size_t)(wl - c->p));
    t->p = c->p;
    t->n = (size_t)((nl ? nl : wl) - c->p);
    *next = nl ? nl + 1 : wl;
    return nl != NULL || (wl == c->end && c->eof && t->n <= c->max_line);
}

/* Pass the rest of the line at c->p, however long, and its '\n'. */
static int skip_line(imp *c)
{
    for (;;) {
        const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
        if (nl != NULL) {
            c->p = nl + 1;
            return DV_OK;
        }
        c->p = c->end;
        if (c->eof) return DV_OK;
        /* fill() keeps nothing: the window is emptied and read again */
        DV_FORWARD_IF_ERROR(fill(c));
    }
}

/* The next line, whole: 1 with *t set and c->p past it, 0 at the end of the input, 2 for a
 * line longer than max_line (passed; *t its start, only for detection), < 0 on a read error. */
static int next_line(imp *c, slice *t)
{
    const char *next;
    int rc = fill(c);
    if (rc != DV_OK) return rc;
    if (c->p == c->end) return 0;
    if (peek_line(c, t, &next)) {
        c->p = next;
        return 1;
    }
    return 2;
}

static int is_skipped(slice t) { return t.n == 0 || t.p[0] == '#'; }

/* "hash" or "hash,quality[,...]" (ThreatExchange) into fields. */
static void split_te(slice t, fields *f)
{
    const char *comma = memchr(t.p, ',', t.n);
    memset(f, 0, sizeof(*f));
    f->key = t;
    if (comma == NULL) return;
    f->key.n = (size_t)(comma - t.p);
    f->te = 1;
    f->has_quality = 1;
    f->quality.p = comma + 1;
    f->quality.n = t.n - f->key.n - 1;
    comma = memchr(f->quality.p, ',', f->quality.n);
    if (comma != NULL) f->quality.n = (size_t)(comma - f->quality.p);
}

/* A line longer than the window: bad, and passed whatever it holds. */
static int overlong_line(imp *c, uint64_t line, size_t limit)
{
    DV_FORWARD_IF_ERROR(bad(c, line, "line longer than %zu bytes", limit));
    return skip_line(c);
}

static int import_lines(imp *c, uint64_t line)
{
    for (;;) {
        slice t;
        fields f;
        int got = next_line(c, &t);
        if (got <= 0) return got;
        line++;
        c->st.lines++;
        if (got == 2) {
            DV_FORWARD_IF_ERROR(overlong_line(c, line, c->max_line));
            continue;
        }
        t = trim(t);
        if (is_skipped(t)) continue;
        if (looks_like_url(t)) {
            memset(&f, 0, sizeof(f));
            f.key = t;
        } else {
            split_te(t, &f);
        }
        DV_FORWARD_IF_ERROR(add_entry(c, line, &f));
    }
}

/* Of a record's nkeys hash members (their types: a type or TYPE_HASH), the one a CSV header's
 * key column would be (read_header): the type wanted, else a URL for a URL-hash list, else a
 * "hash" member; -1 when none is, or when two are. */
static int pick_key(const imp *c, const dv_hash_type *kt, int nkeys)
{
    const dv_hash_type want = c->want;
    for (int pass = 0; pass < 3 && want != DV_HT_NONE; pass++) {
        int k = -1, n = 0;
        for (int i = 0; i < nkeys; i++)
            if (pass == 0   ? kt[i] == want
                : pass == 1 ? is_url_hash(want) && kt[i] == DV_HT_URL
                            : kt[i] == TYPE_HASH)
                k = i, n++;
        if (n > 0) return n == 1 ? k : -1;
    }
    return -1;
}

static int import_jsonl(imp *c, uint64_t line)
{
    dv__jmember m[DV__JSON_MAX_MEMBERS];
    slice keyv[DV__JSON_MAX_MEMBERS];
    dv_hash_type keyt[DV__JSON_MAX_MEMBERS];
    int keystr[DV__JSON_MAX_MEMBERS];
    for (;;) {
        slice t;
        fields f;
        const char *why = NULL;
        slice label = {NULL, 0}, category = {NULL, 0}, path = {NULL, 0};
        int nm, nkeys = 0, got = next_line(c, &t);
        char several[256];
        if (got <= 0) return got;
        line++;
        c->st.lines++;
        if (got == 2) {
            DV_FORWARD_IF_ERROR(overlong_line(c, line, DV__LIST_RECORD_MAX));
            continue;
        }
        t = trim(t);
        if (is_skipped(t)) continue;
        if (t.n > c->scap) {
            DV_FORWARD_IF_ERROR(bad(c, line, "line longer than %u bytes", DV__LIST_RECORD_MAX));
            continue;
        }
        /* a nested value (datavet hash -d: pdq_dihedral) is checked and, for a member
         * list build does not use, ignored; for one it uses, the line is bad */
        nm = dv__json_members(t.p, t.n, c->scratch, m, DV__JSON_MAX_MEMBERS, DV__JSON_NESTED,
                              &why);
        if (nm < 0) {
            DV_FORWARD_IF_ERROR(bad(c, line, "bad JSON: %s", why));
            continue;
        }
        memset(&f, 0, sizeof(f));
        for (int i = 0; i < nm && why == NULL; i++) {
            slice name = {m[i].key, m[i].keylen}, val = {m[i].val, m[i].vallen};
            dv_hash_type implied;
            const int isnull = m[i].kind == DV__J_NULL, isstr = m[i].kind == DV__J_STRING;
            switch (role_of_name(name, &implied)) {
            case ROLE_KEY:
                keyv[nkeys] = val;
                keyt[nkeys] = implied;
                keystr[nkeys++] = isstr;
                break;
            case ROLE_TYPE:
                if (!isstr && !isnull) why = "type is not a string";
                if (isstr) f.type = val;
                f.has_type = isstr;
                break;
            case ROLE_QUALITY:
                if (m[i].kind != DV__J_NUMBER && !isnull) why = "quality is not a number";
                if (!isnull) f.quality = val;
                f.has_quality = !isnull;
                break;
            case ROLE_ID:
                if (!isstr && !isnull && m[i].kind != DV__J_NUMBER)
                    why = "id is not a string or a number";
                if (!isnull) f.id = val;
                break;
            case ROLE_LABEL:
                if (!isstr && !isnull) why = "label is not a string";
                if (isstr) label = val;
                break;
            case ROLE_CATEGORY:
                if (!isstr && !isnull) why = "category is not a string";
                if (isstr) category = val;
                break;
            case ROLE_PATH:
                if (!isstr && !isnull) why = "path is not a string";
                if (isstr) path = val;
                break;
            default: break;
            }
        }
        /* "label" wins over "category", which wins over "path" */
        f.label = trim(label).n > 0 ? label : trim(category).n > 0 ? category : path;
        if (why == NULL && nkeys == 0) why = "no hash member (hash, pdq, md5, sha1, sha256 or url)";
        if (why == NULL && nkeys > 0) {
            /* several (datavet hash -f jsonl writes md5, sha1, sha256 and pdq): --type or the
             * list's type picks one, as it picks a CSV header's column */
            int k = nkeys == 1 ? 0 : pick_key(c, keyt, nkeys);
            if (k < 0) {
                snprintf(several, sizeof several, "more than one hash member (");
                for (int i = 0; i < nkeys; i++)
                    snprintf(several + strlen(several), sizeof several - strlen(several), "%s%s",
                             i ? ", " : "",
                             keyt[i] == TYPE_HASH ? "hash" : dv_hash_type_name(keyt[i]));
                if (c->want == DV_HT_NONE)
                    snprintf(several + strlen(several), sizeof several - strlen(several),
                             "): pick one with --type");
                else
                    snprintf(several + strlen(several), sizeof several - strlen(several),
                             "): not one of them alone is %s", dv_hash_type_name(c->want));
                why = several;
            } else if (!keystr[k]) {
                why = "the hash is not a string";
            } else {
                f.key = keyv[k];
                f.implied = keyt[k];
            }
        }
        if (why != NULL) {
            DV_FORWARD_IF_ERROR(bad(c, line, "%s", why));
            continue;
        }
        DV_FORWARD_IF_ERROR(add_entry(c, line, &f));
    }
}

/* ---------------------------------------------------------------- CSV and TSV */

typedef struct rec {
    slice got[NROLES];
    size_t nfields;
    const char *why;
    uint64_t newlines; /* line ends inside and at the end of the record */
} rec;

/* One CSV (RFC 4180) or TSV record from *pp: fields are decoded into the scratch buffer and
 * those with a role kept. A record with a syntax error still ends where it should, so the
 * next one is read from the right place. */
static void parse_record(imp *c, int fmt, const char **pp, const char *end, const uint8_t *roles,
                         size_t nroles, rec *r)
{
    const char *p = *pp;
    const char sep = fmt == FMT_CSV ? ',' : '\t';
    size_t w = 0;
    int toolong = 0;

    memset(r, 0, sizeof(*r));
#define EMIT(ch)                                                                                   \
    do {                                                                                           \
        if (w < c->scap) c->scratch[w] = (char)(ch);                                               \
        else toolong = 1;                                                                          \
        w++;                                                                                       \
    } while (0)
    for (;;) {
        size_t start = w;
        if (fmt == FMT_CSV && p < end && *p == '"') {
            p++;
            for (;;) {
                char ch;
                if (p == end) {
                    if (r->why == NULL) r->why = "unterminated quoted field";
                    break;
                }
                ch = *p++;
                if (ch == '"') {
                    if (p < end && *p == '"') {
                        EMIT('"');
                        p++;
                        continue;
                    }
                    break;
                }
                if (ch == '\n') r->newlines++;
                EMIT(ch);
            }
            if (p < end && *p == '\r' && (p + 1 == end || p[1] == '\n')) p++;
            if (p < end && *p != sep && *p != '\n') {
                if (r->why == NULL) r->why = "text after a closing quote";
                while (p < end && *p != '\n') p++;
            }
        } else {
            while (p < end && *p != sep && *p != '\n') {
                char ch = *p++;
                if (fmt == FMT_CSV && ch == '"' && r->why == NULL)
                    r->why = "quote inside an unquoted field";
                if (fmt == FMT_TSV && ch == '\\' && p < end && *p != '\n') {
                    char e = *p;
                    if (e == 't' || e == 'n' || e == 'r' || e == '\\') {
                        p++;
                        ch = e == 't' ? '\t' : e == 'n' ? '\n' : e == 'r' ? '\r' : '\\';
                    }
                }
                EMIT(ch);
            }
            /* the '\r' of a CRLF line end is no part of the last field */
            if (w > start && (p == end || *p == '\n') && w <= c->scap && c->scratch[w - 1] == '\r')
                w--;
        }
        if (r->nfields < nroles && roles[r->nfields] != ROLE_NONE) {
            r->got[roles[r->nfields]].p = c->scratch + (start < c->scap ? start : 0);
            r->got[roles[r->nfields]].n = toolong ? 0 : w - start;
        }
        r->nfields++;
        if (p < end && *p == sep) {
            p++;
            continue;
        }
        break;
    }
#undef EMIT
    if (p < end && *p == '\n') {
        p++;
        r->newlines++;
    }
    if (toolong && r->why == NULL) r->why = "record longer than 1 MiB";
    *pp = p;
}

/* The header names the columns; pick the key column for the forced or current type. */
static int read_header(imp *c, int fmt, uint64_t *line, uint8_t *roles, size_t *ncols)
{
    const char *q;
    dv_hash_type implied[MAX_COLUMNS];
    size_t n = 0;
    int key = -1, nkey = 0, seen[NROLES] = {0};
    const char sep = fmt == FMT_CSV ? ',' : '\t';
    char list[160] = "";
    slice hl;

    /* the header is one physical line; quotes around names are dropped. One longer than the
     * window is read as far as it goes (the rest passed once it has been). */
    int got = next_line(c, &hl);
    if (got < 0) return got;
    (*line)++;
    c->st.lines++;
    hl = trim(hl);
    q = hl.p;
    for (;;) {
        const char *e = memchr(q, sep, (size_t)(hl.p + hl.n - q));
        slice f = {q, (size_t)((e ? e : hl.p + hl.n) - q)};
        if (n == MAX_COLUMNS) {
            dv__lb_set_msg(c->b, "%s:%llu: more than %u columns", c->name,
                           (unsigned long long)*line, MAX_COLUMNS);
            return DV_EFORMAT;
        }
        f = trim(f);
        if (f.n >= 2 && f.p[0] == '"' && f.p[f.n - 1] == '"') f.p++, f.n -= 2;
        roles[n] = (uint8_t)role_of_name(f, &implied[n]);
        if (roles[n] != ROLE_KEY && roles[n] != ROLE_NONE) {
            if (seen[roles[n]]) {
                dv__lb_set_msg(c->b, "%s:%llu: column %.*s appears twice", c->name,
                               (unsigned long long)*line, (int)(f.n < 32 ? f.n : 32), f.p);
                return DV_EFORMAT;
            }
            seen[roles[n]] = 1;
        }
        if (roles[n] == ROLE_KEY) {
            for (size_t k = 0; k < n; k++) {
                if (roles[k] == ROLE_KEY && implied[k] == implied[n]) {
                    dv__lb_set_msg(c->b, "%s:%llu: column %.*s appears twice", c->name,
                                   (unsigned long long)*line, (int)(f.n < 32 ? f.n : 32), f.p);
                    return DV_EFORMAT;
                }
            }
            nkey++;
            if (strlen(list) + f.n + 3 < sizeof(list))
                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%.*s",
                         list[0] ? ", " : "", (int)f.n, f.p);
        }
        n++;
        if (e == NULL) break;
        q = e + 1;
    }
    /* which key column */
    {
        dv_hash_type want = c->forced != DV_HT_NONE ? c->forced : c->b->type;
        for (size_t i = 0; i < n && want != DV_HT_NONE; i++)
            if (roles[i] == ROLE_KEY && implied[i] == want) key = (int)i;
        for (size_t i = 0; i < n && key < 0 && is_url_hash(want); i++)
            if (roles[i] == ROLE_KEY && implied[i] == DV_HT_URL) key = (int)i;
        for (size_t i = 0; i < n && key < 0 && want != DV_HT_NONE; i++)
            if (roles[i] == ROLE_KEY && implied[i] == TYPE_HASH) key = (int)i;
        if (key < 0 && c->forced != DV_HT_NONE) {
            dv__lb_set_msg(c->b, "%s:%llu: no %s or hash column (the header has: %s)", c->name,
                           (unsigned long long)*line, dv_hash_type_name(c->forced),
                           nkey ? list : "no hash column");
            return DV_EFORMAT;
        }
        if (key < 0 && nkey == 0) {
            dv__lb_set_msg(c->b,
                           "%s:%llu: the header has no hash column (hash, pdq, md5, sha1, sha256 "
                           "or url)",
                           c->name, (unsigned long long)*line);
            return DV_EFORMAT;
        }
        if (key < 0 && nkey > 1) {
            dv__lb_set_msg(c->b, "%s:%llu: several hash columns (%s): pick one with --type",
                           c->name, (unsigned long long)*line, list);
            return DV_EFORMAT;
        }
        for (size_t i = 0; i < n && key < 0; i++)
            if (roles[i] == ROLE_KEY) key = (int)i;
    }
    for (size_t i = 0; i < n; i++)
        if (roles[i] == ROLE_KEY && (int)i != key) roles[i] = ROLE_NONE;
    c->pdq_hint |= implied[key] == DV_HT_PDQ || (implied[key] == TYPE_HASH && seen[ROLE_QUALITY]);
    *ncols = n;
    if (got == 2) DV_FORWARD_IF_ERROR(skip_line(c));
    return (int)implied[key];
}

static int import_csv(imp *c, int fmt, uint64_t line)
{
    uint8_t roles[MAX_COLUMNS];
    size_t ncols = 0;
    int rc = read_header(c, fmt, &line, roles, &ncols);
    dv_hash_type key_type;
    if (rc < 0) return rc;
    key_type = (dv_hash_type)rc;
    for (;;) {
        rec r;
        fields f;
        uint64_t at = line + 1;
        slice t;
        const char *q, *rs, *nl, *wl;
        int whole;
        DV_FORWARD_IF_ERROR(fill(c));
        if (c->p == c->end) break;
        /* blank lines between records are skipped */
        whole = peek_line(c, &t, &q);
        if (whole && trim(t).n == 0) {
            c->p = q;
            line++;
            c->st.lines++;
            continue;
        }
        /* the record is parsed within the window: one that runs past it is longer than any
         * good record can be (1 MiB decoded), and is bad however it goes on. A quoted field
         * open at the window's end is named an unterminated one, as a stray quote in a long
         * input always was (one that closes further on, past any good record, is not told
         * apart) */
        rs = c->p;
        wl = (size_t)(c->end - rs) > c->max_line ? rs + c->max_line : c->end;
        q = rs;
        parse_record(c, fmt, &q, wl, roles, ncols, &r);
        if (q == wl && !(wl == c->end && c->eof)) {
            if (r.why == NULL) r.why = "record longer than 1 MiB";
            nl = memchr(rs, '\n', (size_t)(wl - rs));
            if (nl != NULL) {
                c->p = nl + 1;
            } else {
                c->p = wl;
                DV_FORWARD_IF_ERROR(skip_line(c));
            }
            r.newlines = 1;
        } else {
            c->p = q;
            /* a syntax error in a record of several lines (a quote left open runs to the end
             * of the window, or to a quote lines further on): the lines after its first may be
             * entries of their own, so only the first line is bad and reading goes on at the
             * next, rather than every entry after it being lost as one bad line */
            if (r.why != NULL && (nl = memchr(rs, '\n', (size_t)(q - rs))) != NULL &&
                nl + 1 < q) {
                c->p = nl + 1;
                r.newlines = 1;
            }
        }
        line += r.newlines ? r.newlines : 1;
        c->st.lines += r.newlines ? r.newlines : 1;
        if (r.why != NULL) {
            DV_FORWARD_IF_ERROR(bad(c, at, "%s", r.why));
            continue;
        }
        if (r.nfields != ncols) {
            DV_FORWARD_IF_ERROR(bad(c, at, "%zu fields, the header has %zu", r.nfields, ncols));
            continue;
        }
        memset(&f, 0, sizeof(f));
        f.key = r.got[ROLE_KEY];
        f.implied = key_type;
        f.quality = r.got[ROLE_QUALITY];
        f.has_quality = f.quality.p != NULL;
        f.id = r.got[ROLE_ID];
        f.label = trim(r.got[ROLE_LABEL]).n > 0      ? r.got[ROLE_LABEL]
                  : trim(r.got[ROLE_CATEGORY]).n > 0 ? r.got[ROLE_CATEGORY]
                                                     : r.got[ROLE_PATH];
        f.type = r.got[ROLE_TYPE];
        f.has_type = f.type.p != NULL;
        DV_FORWARD_IF_ERROR(add_entry(c, at, &f));
    }
    return DV_OK;
}

/* ---------------------------------------------------------------- detection */

/* Whether a first line is a CSV/TSV header: it names a known column and holds no value. */
static int is_header(slice t, char sep)
{
    const char *q = t.p;
    int known = 0;
    for (;;) {
        const char *e = memchr(q, sep, (size_t)(t.p + t.n - q));
        slice f = trim((slice){q, (size_t)((e ? e : t.p + t.n) - q)});
        dv_hash_type implied;
        size_t nhex = 0;
        if (f.n >= 2 && f.p[0] == '"' && f.p[f.n - 1] == '"') f.p++, f.n -= 2;
        while (nhex < f.n && hexval((unsigned char)f.p[nhex]) >= 0) nhex++;
        if (looks_like_url(f) || (f.n >= 32 && nhex == f.n)) return 0;
        if (role_of_name(f, &implied) != ROLE_NONE) known = 1;
        if (e == NULL) break;
        q = e + 1;
    }
    return known;
}

/* The format, from the first line that is not blank or a comment (its first max_line bytes);
 * the lines before it are passed and counted into *skipped_lines. < 0: a read error. */
static int detect(imp *c, uint64_t *skipped_lines, int *te)
{
    uint64_t n = 0;
    *te = 0;
    for (;;) {
        slice t;
        const char *next;
        int whole;
        DV_FORWARD_IF_ERROR(fill(c));
        if (c->p == c->end) break;
        whole = peek_line(c, &t, &next);
        t = trim(t);
        if (is_skipped(t)) {
            n++;
            if (whole) c->p = next;
            else DV_FORWARD_IF_ERROR(skip_line(c));
            continue;
        }
        *skipped_lines = n;
        if (t.p[0] == '{') return FMT_JSONL;
        if (looks_like_url(t)) return FMT_LINES;
        if (memchr(t.p, '\t', t.n) != NULL && is_header(t, '\t')) return FMT_TSV;
        if (is_header(t, ',')) return FMT_CSV;
        {
            fields f;
            split_te(t, &f);
            *te = f.te && trim(f.key).n == 64;
        }
        return FMT_LINES;
    }
    *skipped_lines = n;
    return FMT_LINES;
}

/* What every import runs once its input is set up in c. */
static int import_input(dv_list_builder *b, imp *c, size_t known_len, dv_import_stats *stats)
{
    const uint64_t n0 = b->n, keys0 = b->keys_len;
    const dv_hash_type type0 = b->type;
    uint64_t skipped = 0;
    int fmt, te = 0, rc;

    rc = fill(c);
    if (rc == DV_OK && c->end - c->p >= 3 && memcmp(c->p, "\xEF\xBB\xBF", 3) == 0)
        c->p += 3; /* UTF-8 byte order mark */
    if (rc == DV_OK) {
        /* at most one entry per line, and a hash line has at least 17 bytes: with the whole
         * input at hand, its lines; else the lines of the first window scaled to the size */
        uint64_t nl = 1, w = (uint64_t)(c->end - c->p);
        for (const char *q = c->p; (q = memchr(q, '\n', (size_t)(c->end - q))) != NULL; q++) nl++;
        if (c->eof) c->reserve = nl < w / 17 + 1 ? nl : w / 17 + 1;
        else if (c->size > w && w > 0) {
            double est = (double)c->size / (double)w * (double)nl * 1.125 + 1024;
            c->reserve = est < (double)(c->size / 17 + 1) ? (uint64_t)est : c->size / 17 + 1;
        }
    }
    fmt = rc == DV_OK ? detect(c, &skipped, &te) : rc;
    if (fmt < 0) rc = fmt;
    c->pdq_hint = te || (c->forced == DV_HT_NONE && b->type == DV_HT_PDQ);
    if (rc == DV_OK && fmt != FMT_LINES) {
        /* records are decoded into scratch: as long as the longest allowed record (a record
         * decodes to no more bytes than it has) */
        c->scap = known_len < DV__LIST_RECORD_MAX ? known_len : DV__LIST_RECORD_MAX;
        c->scratch = dv__malloc(b->alloc, c->scap + 1);
        if (c->scratch == NULL) {
            dv__lb_set_msg(b, "%s: out of memory", c->name);
            rc = DV_ENOMEM;
        }
    }
    if (rc == DV_OK) {
        c->st.lines = skipped;
        switch (fmt) {
        case FMT_JSONL: rc = import_jsonl(c, skipped); break;
        case FMT_CSV:
        case FMT_TSV: rc = import_csv(c, fmt, skipped); break;
        default: rc = import_lines(c, skipped); break;
        }
    }
    if (rc == DV_OK && c->suppressed > 0)
        dv__lb_add_msg_line(b, "%s: %llu more bad lines", c->name,
                            (unsigned long long)c->suppressed);
    if (rc != DV_OK) {
        /* all or nothing: the builder is as it was before this input */
        b->n = n0;
        b->keys_len = keys0;
        if (type0 == DV_HT_NONE) {
            b->type = DV_HT_NONE;
            b->ks = 0;
        }
        c->st.entries = 0;
    } else if (c->opts && c->opts->progress) {
        c->opts->progress(c->opts->progress_ctx, c->bytes_read, c->st.entries);
    }
    if (stats != NULL) {
        stats->lines += c->st.lines;
        stats->entries += c->st.entries;
        stats->bad += c->st.bad;
    }
    return rc;
}

/* The checks of every import, and its state; NULL (the message set) when they fail. */
static imp *imp_create(dv_list_builder *b, const char *name, dv_hash_type forced, int strict,
                       int *rc)
{
    imp *c;
    b->msg[0] = '\0';
    b->nmsg = 0;
    *rc = DV_EINVAL;
    if ((unsigned)forced > DV_HT_URL_SHA256) {
        dv__lb_set_msg(b, "%s: unknown forced hash type %d", name, (int)forced);
        return NULL;
    }
    if (forced != DV_HT_NONE && b->type != DV_HT_NONE && forced != b->type) {
        dv__lb_set_msg(b, "%s: importing %s hashes into a %s list", name, dv_hash_type_name(forced),
                       dv_hash_type_name(b->type));
        return NULL;
    }
    c = dv__calloc(b->alloc, 1, sizeof(*c));
    if (c == NULL) {
        dv__lb_set_msg(b, "%s: out of memory", name);
        *rc = DV_ENOMEM;
        return NULL;
    }
    c->b = b;
    c->name = name;
    c->forced = forced;
    c->want = forced != DV_HT_NONE ? forced : b->type;
    c->strict = strict;
    c->max_line = DV__LIST_LINE_MAX;
    *rc = DV_OK;
    return c;
}

static void imp_free(imp *c)
{
    if (c == NULL) return;
    dv__free(c->b->alloc, c->scratch);
    dv__free(c->b->alloc, c->urlbuf);
    dv__free(c->b->alloc, c->buf);
    dv__free(c->b->alloc, c);
}

int dv__list_builder_import_text(dv_list_builder *b, const char *name, const void *text,
                                 size_t len, size_t max_line, dv_hash_type forced, int strict,
                                 dv_import_stats *stats)
{
    imp *c;
    int rc;
    if (b == NULL) return DV_EINVAL;
    if (name == NULL) name = "<input>";
    if (text == NULL && len > 0) {
        b->nmsg = 0;
        dv__lb_set_msg(b, "%s: no text", name);
        return DV_EINVAL;
    }
    if ((c = imp_create(b, name, forced, strict, &rc)) == NULL) return rc;
    c->p = text ? text : "";
    c->end = c->p + len;
    c->eof = 1;
    c->bytes_read = len;
    if (max_line > 0) c->max_line = max_line;
    rc = import_input(b, c, len, stats);
    imp_free(c);
    return rc;
}

int dv_list_builder_import(dv_list_builder *b, const char *name, const void *text, size_t len,
                           dv_hash_type forced, int strict, dv_import_stats *stats)
{
    return dv__list_builder_import_text(b, name, text, len, 0, forced, strict, stats);
}

int dv__list_builder_import_reader(dv_list_builder *b, const char *name,
                                   ptrdiff_t (*rd)(void *ctx, void *dst, size_t n), void *ctx,
                                   uint64_t size, size_t max_line,
                                   const dv_list_import_opts *opts, dv_import_stats *stats)
{
    imp *c;
    int rc;
    if (b == NULL) return DV_EINVAL;
    if (name == NULL) name = "<input>";
    if ((c = imp_create(b, name, opts ? opts->forced : DV_HT_NONE, opts ? opts->strict : 0,
                        &rc)) == NULL)
        return rc;
    if (max_line > 0) c->max_line = max_line;
    c->opts = opts;
    c->rd = rd;
    c->rd_ctx = ctx;
    /* the window: a line or record of max_line bytes, and as much again read ahead; for an
     * input of a known smaller size, that size (fill() widens it if the input grew) */
    c->cap = 2 * c->max_line + 2;
    if (size > 0 && size + 2 < c->cap) c->cap = (size_t)size + 2;
    c->buf = dv__malloc(b->alloc, c->cap);
    if (c->buf == NULL) {
        dv__lb_set_msg(b, "%s: out of memory", name);
        imp_free(c);
        return DV_ENOMEM;
    }
    c->p = c->end = c->buf;
    c->size = size;
    rc = import_input(b, c, DV__LIST_RECORD_MAX, stats);
    imp_free(c);
    return rc;
}

static ptrdiff_t fd_read(void *ctx, void *dst, size_t n)
{
    const int fd = *(const int *)ctx;
    for (;;) {
        ssize_t r = read(fd, dst, n);
        if (r >= 0) return r;
        if (errno != EINTR) return -(ptrdiff_t)errno;
    }
}

int dv_list_builder_import_fd(dv_list_builder *b, const char *name, int fd,
                              const dv_list_import_opts *opts, dv_import_stats *stats)
{
    struct stat sb;
    uint64_t size = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0
                        ? (uint64_t)sb.st_size
                        : 0;
    return dv__list_builder_import_reader(b, name, fd_read, &fd, size, 0, opts, stats);
}
