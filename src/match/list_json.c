/* list_json.c - a strict parser for one flat JSON object (RFC 8259): the JSONL list importer's.
 * Scalars only; strings decoded with their escapes and checked as UTF-8. */
#include "list_internal.h"

typedef struct jp {
    const char *p, *end;
    char *out; /* scratch write position */
    const char *why;
    int lenient; /* DV__JSON_LENIENT: raw bytes in strings kept as they are */
} jp;

static void skip_ws(jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
        j->p++;
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

static void put_utf8(jp *j, unsigned cp)
{
    if (cp < 0x80) {
        *j->out++ = (char)cp;
    } else if (cp < 0x800) {
        *j->out++ = (char)(0xC0 | cp >> 6);
        *j->out++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *j->out++ = (char)(0xE0 | cp >> 12);
        *j->out++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *j->out++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *j->out++ = (char)(0xF0 | cp >> 18);
        *j->out++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *j->out++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *j->out++ = (char)(0x80 | (cp & 0x3F));
    }
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid (dv_utf8_next:
 * overlong forms, surrogates and code points past U+10FFFF are invalid). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    uint32_t cp;
    size_t k = dv_utf8_next(s, n, &cp);
    return cp == DV_UTF8_BAD ? 0 : k;
}

/* A string at j->p (on the opening quote), decoded to j->out. Decoding never grows the
 * text, so the scratch buffer (as long as the input) always has room. */
static int parse_string(jp *j, const char **s, size_t *n)
{
    char *start = j->out;
    j->p++;
    for (;;) {
        unsigned char c;
        if (j->p >= j->end) {
            j->why = "unterminated string";
            return -1;
        }
        c = (unsigned char)*j->p;
        if (c == '"') {
            j->p++;
            break;
        }
        if (c < 0x20 && !j->lenient) {
            j->why = "control character in a string";
            return -1;
        }
        if (c == '\\') {
            char e;
            if (j->end - j->p < 2) {
                j->why = "unterminated string";
                return -1;
            }
            e = j->p[1];
            j->p += 2;
            switch (e) {
            case '"': *j->out++ = '"'; break;
            case '\\': *j->out++ = '\\'; break;
            case '/': *j->out++ = '/'; break;
            case 'b': *j->out++ = '\b'; break;
            case 'f': *j->out++ = '\f'; break;
            case 'n': *j->out++ = '\n'; break;
            case 'r': *j->out++ = '\r'; break;
            case 't': *j->out++ = '\t'; break;
            case 'u': {
                unsigned cp, lo;
                if (j->end - j->p < 4 || hex4(j->p, &cp) != 0) {
                    j->why = "bad \\u escape";
                    return -1;
                }
                j->p += 4;
                if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    j->why = "lone low surrogate in a \\u escape";
                    return -1;
                }
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' ||
                        hex4(j->p + 2, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) {
                        j->why = "high surrogate without a low one in a \\u escape";
                        return -1;
                    }
                    j->p += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                /* lenient: kept, as a raw NUL byte is; the caller judges the member */
                if (cp == 0 && !j->lenient) {
                    j->why = "NUL character in a string";
                    return -1;
                }
                put_utf8(j, cp);
                break;
            }
            default: j->why = "bad escape in a string"; return -1;
            }
            continue;
        }
        {
            size_t l = utf8_len((const unsigned char *)j->p, (size_t)(j->end - j->p));
            if (l == 0 && j->lenient) l = 1; /* kept; every writer makes output text valid */
            if (l == 0) {
                j->why = "invalid UTF-8 in a string";
                return -1;
            }
            memcpy(j->out, j->p, l);
            j->out += l;
            j->p += l;
        }
    }
    *s = start;
    *n = (size_t)(j->out - start);
    return 0;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? ; the text is returned as it is. */
static int parse_number(jp *j, const char **s, size_t *n)
{
    const char *st = j->p;
    if (j->p < j->end && *j->p == '-') j->p++;
    if (j->p < j->end && *j->p == '0') {
        j->p++;
    } else if (j->p < j->end && *j->p >= '1' && *j->p <= '9') {
        while (j->p < j->end && is_digit(*j->p)) j->p++;
    } else {
        j->why = "bad number";
        return -1;
    }
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (j->p >= j->end || !is_digit(*j->p)) {
            j->why = "bad number";
            return -1;
        }
        while (j->p < j->end && is_digit(*j->p)) j->p++;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-')) j->p++;
        if (j->p >= j->end || !is_digit(*j->p)) {
            j->why = "bad number";
            return -1;
        }
        while (j->p < j->end && is_digit(*j->p)) j->p++;
    }
    *s = st;
    *n = (size_t)(j->p - st);
    return 0;
}

static int literal(jp *j, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0) {
        j->why = "unexpected character";
        return -1;
    }
    j->p += n;
    return 0;
}

/* Skip the object or array at j->p: brackets balanced outside strings, strings ended at an
 * unescaped quote; nothing inside is checked or kept. */
static int skip_nested(jp *j)
{
    char stack[DV__JSON_MAX_DEPTH];
    size_t depth = 0;
    do {
        char c = *j->p++;
        if (c == '"') {
            while (j->p < j->end && *j->p != '"')
                j->p += *j->p == '\\' && j->end - j->p > 1 ? 2 : 1;
            if (j->p >= j->end) break;
            j->p++;
        } else if (c == '{' || c == '[') {
            if (depth == sizeof stack) {
                j->why = "values nested too deeply";
                return -1;
            }
            stack[depth++] = c == '{' ? '}' : ']';
        } else if (c == '}' || c == ']') {
            if (stack[--depth] != c) {
                j->why = "mismatched brackets";
                return -1;
            }
        }
    } while (depth > 0 && j->p < j->end);
    if (depth > 0) {
        j->why = "unterminated object or array";
        return -1;
    }
    return 0;
}

/* A nested object or array, strict JSON, depth levels deep at most; decoded strings are
 * written to scratch and dropped by the caller. */
static int check_nested(jp *j, int depth)
{
    const char *s;
    size_t n;
    skip_ws(j);
    if (j->p >= j->end) {
        j->why = "missing value";
        return -1;
    }
    switch (*j->p) {
    case '"': return parse_string(j, &s, &n);
    case 't': return literal(j, "true");
    case 'f': return literal(j, "false");
    case 'n': return literal(j, "null");
    case '{':
    case '[': {
        const char close = *j->p == '{' ? '}' : ']';
        if (depth >= DV__JSON_MAX_DEPTH) {
            j->why = "values nested too deeply";
            return -1;
        }
        j->p++;
        skip_ws(j);
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return 0;
        }
        for (;;) {
            if (close == '}') {
                skip_ws(j);
                if (j->p >= j->end || *j->p != '"') {
                    j->why = "expected a member name";
                    return -1;
                }
                if (parse_string(j, &s, &n) != 0) return -1;
                skip_ws(j);
                if (j->p >= j->end || *j->p != ':') {
                    j->why = "expected ':' after a member name";
                    return -1;
                }
                j->p++;
            }
            if (check_nested(j, depth + 1) != 0) return -1;
            skip_ws(j);
            if (j->p < j->end && *j->p == ',') {
                j->p++;
                continue;
            }
            if (j->p < j->end && *j->p == close) {
                j->p++;
                return 0;
            }
            j->why = close == '}' ? "expected ',' or '}'" : "expected ',' or ']'";
            return -1;
        }
    }
    default: return parse_number(j, &s, &n);
    }
}

int dv__json_flat(const char *text, size_t len, char *scratch, dv__jmember *m, size_t maxm,
                  const char **why)
{
    return dv__json_members(text, len, scratch, m, maxm, 0, why);
}

int dv__json_members(const char *text, size_t len, char *scratch, dv__jmember *m, size_t maxm,
                     unsigned flags, const char **why)
{
    jp j = {text, text + len, scratch, NULL, (flags & DV__JSON_LENIENT) != 0};
    dv__jmember spare; /* lenient: a member past maxm is parsed into it and dropped */
    size_t nm = 0;

    skip_ws(&j);
    if (j.p >= j.end || *j.p != '{') {
        *why = "not a JSON object";
        return -1;
    }
    j.p++;
    skip_ws(&j);
    if (j.p < j.end && *j.p == '}') {
        j.p++;
    } else {
        for (;;) {
            dv__jmember *x;
            char *mark = j.out;
            if (nm == maxm && !j.lenient) {
                *why = "too many members";
                return -1;
            }
            x = nm == maxm ? &spare : &m[nm];
            if (j.p >= j.end || *j.p != '"') {
                *why = "expected a member name";
                return -1;
            }
            if (parse_string(&j, &x->key, &x->keylen) != 0) goto fail;
            for (size_t k = 0; k < nm && !j.lenient; k++) {
                if (m[k].keylen == x->keylen && memcmp(m[k].key, x->key, x->keylen) == 0) {
                    *why = "duplicate member name";
                    return -1;
                }
            }
            skip_ws(&j);
            if (j.p >= j.end || *j.p != ':') {
                *why = "expected ':' after a member name";
                return -1;
            }
            j.p++;
            skip_ws(&j);
            x->val = NULL;
            x->vallen = 0;
            if (j.p >= j.end) {
                *why = "missing value";
                return -1;
            }
            switch (*j.p) {
            case '"':
                x->kind = DV__J_STRING;
                if (parse_string(&j, &x->val, &x->vallen) != 0) goto fail;
                break;
            case 't':
                x->kind = DV__J_TRUE;
                if (literal(&j, "true") != 0) goto fail;
                break;
            case 'f':
                x->kind = DV__J_FALSE;
                if (literal(&j, "false") != 0) goto fail;
                break;
            case 'n':
                x->kind = DV__J_NULL;
                if (literal(&j, "null") != 0) goto fail;
                break;
            case '{':
            case '[':
                if (flags & DV__JSON_NESTED) {
                    char *at = j.out;
                    if (check_nested(&j, 1) != 0) goto fail;
                    j.out = at; /* its strings are not kept */
                    x->kind = DV__J_NESTED;
                    break;
                }
                if (!j.lenient) {
                    *why = "nested objects and arrays are not supported";
                    return -1;
                }
                if (skip_nested(&j) != 0) goto fail;
                x = &spare; /* not a member the caller can use */
                break;
            default:
                x->kind = DV__J_NUMBER;
                if (parse_number(&j, &x->val, &x->vallen) != 0) goto fail;
            }
            if (x == &spare)
                j.out = mark; /* its decoded name and value are dropped */
            else
                nm++;
            skip_ws(&j);
            if (j.p < j.end && *j.p == ',') {
                j.p++;
                skip_ws(&j);
                continue;
            }
            if (j.p < j.end && *j.p == '}') {
                j.p++;
                break;
            }
            *why = "expected ',' or '}'";
            return -1;
        }
    }
    skip_ws(&j);
    if (j.p != j.end) {
        *why = "text after the object";
        return -1;
    }
    return (int)nm;
fail:
    *why = j.why;
    return -1;
}
