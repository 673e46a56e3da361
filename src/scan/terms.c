/* terms.c - caption term flags: whole words, case-folded over the scripts captions mostly
 * use (ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic), multi-word terms allowed. */
#include "scan_internal.h"

#include <string.h>

#define TERMS_MAX 100000u
#define TERM_MAX_BYTES 256u
#define TERM_MAX_WORDS 8u

typedef struct term {
    char *text;           /* as in the file (trimmed) */
    char *words;          /* folded words, each NUL-terminated, back to back */
    size_t nwords;
    uint64_t first_hash;  /* of the first folded word */
} term;

struct dv__terms {
    const dv_alloc *alloc;
    term *t;
    size_t n;
    uint32_t *slots; /* open addressing on first_hash: term index + 1 */
    size_t nslots;
    char *scratch;   /* folded words of the text being searched */
    size_t scratch_cap;
};

/* One code point (dv_utf8_next; an ill-formed sequence is U+FFFD, which separates words). */
static uint32_t utf8_next(const unsigned char **p, const unsigned char *end)
{
    uint32_t c = **p;
    if (c < 0x80) { /* most of a caption: no call */
        (*p)++;
        return c;
    }
    *p += dv_utf8_next(*p, (size_t)(end - *p), &c);
    return c == DV_UTF8_BAD ? 0xFFFD : c;
}

static uint32_t fold(uint32_t c)
{
    if (c >= 'A' && c <= 'Z') return c + 32;
    if ((c >= 0xC0 && c <= 0xDE && c != 0xD7)) return c + 32;
    if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 &&
        c != 0x17F) {
        /* Latin Extended-A pairs: even/odd, except 0x139..0x148 and 0x179..0x17E (odd/even) */
        int odd_first = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
        if (odd_first) return (c & 1) ? c + 1 : c;
        return (c & 1) ? c : c + 1;
    }
    if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;
    if (c == 0x3C2) return 0x3C3; /* final sigma */
    if (c >= 0x410 && c <= 0x42F) return c + 32;
    if (c >= 0x400 && c <= 0x40F) return c + 80;
    return c;
}

/* Letters and digits make words; punctuation, symbols and spaces separate them. */
static int is_word(uint32_t c)
{
    if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (c < 0xC0) return c == 0xAA || c == 0xB5 || c == 0xBA;
    if (c == 0xD7 || c == 0xF7) return 0;
    if (c >= 0x2000 && c <= 0x2BFF) return 0; /* punctuation, symbols, arrows, ... */
    if (c >= 0x3000 && c <= 0x303F) return 0; /* CJK punctuation */
    if (c >= 0xFE30 && c <= 0xFE4F) return 0;
    if (c >= 0xFF00 && c <= 0xFF0F) return 0;
    if (c == 0xFFFD) return 0;
    return 1;
}

static size_t put_utf8(char *o, uint32_t c)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | c >> 6);
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | c >> 12);
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | c >> 18);
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* Fold text[0..n) into out (needs 4n + 1 bytes... bounded by 2n+1 since folding keeps
 * widths within one byte here, but callers give 4n + 1): words NUL-separated. */
static size_t fold_words(const char *text, size_t n, char *out, size_t *nwords)
{
    const unsigned char *p = (const unsigned char *)text, *end = p + n;
    size_t w = 0, words = 0;
    int in = 0;
    while (p < end) {
        uint32_t c = utf8_next(&p, end);
        if (is_word(c)) {
            w += put_utf8(out + w, fold(c));
            in = 1;
        } else if (in) {
            out[w++] = '\0';
            words++;
            in = 0;
        }
    }
    if (in) {
        out[w++] = '\0';
        words++;
    }
    *nwords = words;
    return w;
}

static uint64_t hash_word(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h | 1;
}

int dv__terms_load(const char *path, const dv_alloc *a, dv__terms **out, char *err, size_t cap)
{
    void *buf;
    size_t len;
    int rc;
    *out = NULL;
    rc = dv_read_file(path, 64u << 20, a, &buf, &len, err, cap);
    if (rc != DV_OK) return rc;
    rc = dv__terms_parse(path, buf, len, a, out, err, cap);
    dv_free_buffer(a, buf);
    return rc;
}

int dv__terms_parse(const char *path, const void *buf, size_t len, const dv_alloc *a,
                    dv__terms **out, char *err, size_t cap)
{
    size_t cap_terms = 0;
    dv__terms *t;
    const char *p, *end;
    uint64_t line = 0;
    int rc = DV_OK;
    *out = NULL;
    t = dv__calloc(a, 1, sizeof *t);
    if (!t) return DV_ENOMEM;
    t->alloc = a;
    p = buf;
    end = p + len;
    while (p < end && rc == DV_OK) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end, *s = p;
        size_t n, nw, wl;
        term *tm;
        line++;
        p = nl ? nl + 1 : end;
        while (s < le && (*s == ' ' || *s == '\t')) s++;
        while (le > s && (le[-1] == '\r' || le[-1] == ' ' || le[-1] == '\t')) le--;
        n = (size_t)(le - s);
        if (n == 0 || *s == '#') continue;
        if (n > TERM_MAX_BYTES) {
            dv__set_err(err, cap, "%s:%llu: term longer than %u bytes", path,
                        (unsigned long long)line, TERM_MAX_BYTES);
            rc = DV_ETOOBIG;
            break;
        }
        if (t->n >= TERMS_MAX) {
            dv__set_err(err, cap, "%s: more than %u terms", path, TERMS_MAX);
            rc = DV_ETOOBIG;
            break;
        }
        if (t->n == cap_terms) {
            size_t nc = cap_terms ? cap_terms * 2 : 64;
            term *nt = dv__realloc(a, t->t, nc * sizeof(term));
            if (!nt) {
                rc = DV_ENOMEM;
                break;
            }
            t->t = nt;
            cap_terms = nc;
        }
        tm = &t->t[t->n];
        memset(tm, 0, sizeof *tm);
        tm->text = dv__malloc(a, n + 1);
        tm->words = dv__malloc(a, 4 * n + 1);
        if (!tm->text || !tm->words) {
            dv__free(a, tm->text);
            dv__free(a, tm->words);
            rc = DV_ENOMEM;
            break;
        }
        memcpy(tm->text, s, n);
        tm->text[n] = '\0';
        wl = fold_words(s, n, tm->words, &nw);
        (void)wl;
        if (nw == 0 || nw > TERM_MAX_WORDS) {
            dv__free(a, tm->text);
            dv__free(a, tm->words);
            dv__set_err(err, cap, "%s:%llu: a term needs 1 to %u words", path,
                        (unsigned long long)line, TERM_MAX_WORDS);
            rc = DV_EFORMAT;
            break;
        }
        tm->nwords = nw;
        tm->first_hash = hash_word(tm->words);
        t->n++;
    }
    if (rc == DV_OK) {
        t->nslots = 16;
        while (t->nslots < 2 * t->n) t->nslots *= 2;
        t->slots = dv__calloc(a, t->nslots, sizeof(uint32_t));
        if (!t->slots) rc = DV_ENOMEM;
        for (size_t i = 0; rc == DV_OK && i < t->n; i++) {
            size_t s = t->t[i].first_hash & (t->nslots - 1);
            while (t->slots[s]) s = (s + 1) & (t->nslots - 1);
            t->slots[s] = (uint32_t)i + 1;
        }
    }
    if (rc != DV_OK) {
        if (rc == DV_ENOMEM) dv__set_err(err, cap, "%s: out of memory", path);
        dv__terms_free(t);
        return rc;
    }
    *out = t;
    return DV_OK;
}

size_t dv__terms_count(const dv__terms *t) { return t ? t->n : 0; }

void dv__terms_free(dv__terms *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->n; i++) {
        dv__free(t->alloc, t->t[i].text);
        dv__free(t->alloc, t->t[i].words);
    }
    dv__free(t->alloc, t->t);
    dv__free(t->alloc, t->slots);
    dv__free(t->alloc, t->scratch);
    dv__free(t->alloc, t);
}

int dv__terms_find(dv__terms *t, const char *text, const char **term_out)
{
    size_t n, nw, wl, best = (size_t)-1;
    char *w;
    if (!t || !text || t->n == 0) return -1;
    n = strlen(text);
    if (n > (64u << 20)) n = 64u << 20;
    if (t->scratch_cap < 4 * n + 1) {
        char *s = dv__realloc(t->alloc, t->scratch, 4 * n + 1);
        if (!s) return -1;
        t->scratch = s;
        t->scratch_cap = 4 * n + 1;
    }
    wl = fold_words(text, n, t->scratch, &nw);
    w = t->scratch;
    /* the lowest-numbered term found anywhere wins, so the result does not depend on where
     * in the caption several terms occur */
    while (w < t->scratch + wl) {
        uint64_t h = hash_word(w);
        size_t s = h & (t->nslots - 1);
        while (t->slots[s]) {
            const term *tm = &t->t[t->slots[s] - 1];
            if (tm->first_hash == h && (size_t)(t->slots[s] - 1) < best) {
                const char *a = w, *b = tm->words;
                size_t k = 0;
                while (k < tm->nwords && a < t->scratch + wl && strcmp(a, b) == 0) {
                    a += strlen(a) + 1;
                    b += strlen(b) + 1;
                    k++;
                }
                if (k == tm->nwords) best = t->slots[s] - 1;
            }
            s = (s + 1) & (t->nslots - 1);
        }
        w += strlen(w) + 1;
    }
    if (best == (size_t)-1) return -1;
    if (term_out) *term_out = t->t[best].text;
    return (int)best;
}
