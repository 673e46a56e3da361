/* common.h - internal helpers shared by every module: allocation, errors, cpu features.
 * Depends on nothing but the C library and the public header. */
#ifndef DV_COMMON_H
#define DV_COMMON_H

#include "datavet.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Monotonic clock in nanoseconds (for progress reports and timeouts, never for data). */
uint64_t dv__mono_ns(void);

/* Allocation through the caller's dv_alloc (NULL: the C library). */
/* n bytes from exactly 2n hex digits s[0..len) (either case): 0, or -1. */
int dv__hex_decode(const char *s, size_t len, uint8_t *out, size_t n);

void *dv__malloc(const dv_alloc *a, size_t n);
void *dv__calloc(const dv_alloc *a, size_t count, size_t size);
void *dv__realloc(const dv_alloc *a, void *p, size_t n);
void dv__free(const dv_alloc *a, void *p);

/* Growable byte buffer (zero-initialise it; free p with dv__free). Growth doubles;
 * DV_ENOMEM on overflow or allocation failure. Callers check their own ceilings. */
typedef struct dv__dbuf {
    uint8_t *p;
    size_t len, cap;
} dv__dbuf;
int dv__dbuf_reserve(const dv_alloc *a, dv__dbuf *b, size_t extra);
int dv__dbuf_append(const dv_alloc *a, dv__dbuf *b, const void *p, size_t n);

/* Text in outputs (text.c; dv_text_utf8 in datavet.h). A code point shown as it is in
 * report.html and kept raw in a URL: not DV_UTF8_BAD, no control but tab and newline, no C1
 * control, bidirectional control (a hostile URL could read as another) or noncharacter. */
int dv__text_shown(uint32_t c);
/* The first unit of s[0..n) (n > 0; one character, or one ill-formed sequence) as an output
 * of kind writes it: returns the bytes it takes; *out, *olen: s itself when it is kept, else
 * rep holding U+FFFD or its %XX escapes. */
#define DV__TEXT_UNIT_MAX 12
size_t dv__text_unit(dv_text_kind kind, const char *s, size_t n, char rep[DV__TEXT_UNIT_MAX],
                     const char **out, size_t *olen);
/* 1 when dv_text_utf8 would give s[0..len) back unchanged. */
int dv__text_clean(dv_text_kind kind, const char *s, size_t len);
/* s as kind says, to f. */
void dv__text_fputs(FILE *f, dv_text_kind kind, const char *s);
/* A JSON string of s[0..n) as kind says: quote, backslash and controls escaped (\n \t \r,
 * others \u00XX). */
void dv__json_strn(FILE *f, dv_text_kind kind, const char *s, size_t n);
/* s[0..n) by the rule of datavet(1) TEXT ON A TERMINAL (the CLI's cli_put_safe): each byte of
 * a C0 control (tab and line feed too), DEL, a C1 control, a bidirectional control, a
 * noncharacter or ill-formed UTF-8 written \xHH, a backslash \\, all else as it is. Into out
 * as dv_text_utf8 writes (whole units; returns the length of the whole result, as snprintf). */
#define DV__TEXT_ESCAPE_BOUND(n) (4 * (size_t)(n) + 1)
size_t dv__text_escape(const char *s, size_t n, char *out, size_t cap);
/* One line of the library's texts of several lines (dv_dataset_problems, dv_scan_result's
 * dataset_problems, coverage and unread, dv_list_builder_errmsg): fmt formatted, then
 * escaped as dv__text_escape does, so that a name in it (a file or member, a column, a
 * message quoting them) never ends the line or starts one of its own; a line feed ending fmt
 * ends the line. Into out (cap > 0), cut to whole escapes; returns the bytes written. */
size_t dv__text_line(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
size_t dv__text_vline(char *out, size_t cap, const char *fmt, va_list ap);

/* (output files: dv_file_open_new, dv_file_sync, dv_file_rename in datavet.h) */
/* fsync of the folder path is in (what dv_file_rename does after the rename): DV_OK also where
 * the folder cannot be opened or synced (EINVAL), DV_EIO with errno set on a sync's failure. */
int dv__sync_folder_of(const char *path);
/* dv_file_rename, saying which step failed: *renamed is 1 once path is the new file (a
 * failure then is the folder's sync: the file is in place, but a power loss may undo the
 * rename), 0 while tmp is still there. */
int dv__file_rename_ex(const char *tmp, const char *path, int *renamed);

/* one or many by n, for counts in messages: "1 file", "2 files" (not "1 file(s)") */
static inline const char *dv__pl(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* Overflow-checked size arithmetic: return 0 on overflow. */
int dv__mul_ok(size_t a, size_t b, size_t *out);

/* snprintf into a fixed error buffer, always NUL-terminated. */
void dv__set_err(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* zstd-style propagation helpers. */
#define DV_RETURN_ERROR_IF(cond, code) \
    do {                               \
        if (cond) return (code);       \
    } while (0)
#define DV_FORWARD_IF_ERROR(expr)      \
    do {                               \
        int dv__rc = (expr);           \
        if (dv__rc < 0) return dv__rc; \
    } while (0)

/* CPU features, detected once (atomic). */
dv_simd dv__simd_resolve(dv_simd requested);
/* 1 when DV_SIMD=scalar is set: the scalar twins everywhere, even portable fast paths. */
int dv__simd_forced_scalar(void);
/* PCLMULQDQ and SSE4.1 present (x86 only; 0 elsewhere, and 0 under DV_SIMD=scalar). */
int dv__cpu_has_pclmul(void);
/* F16C present (x86 only; 0 elsewhere). Says nothing of DV_SIMD: callers check the path. */
int dv__cpu_has_f16c(void);
/* The SHA extensions (SHA-NI) present (x86 only; 0 elsewhere): OpenSSL's SHA-256 uses them. */
int dv__cpu_has_sha_ni(void);

/* The threads dv_pool_create(n) starts: n, or the CPUs the process may run on for 0, at most
 * 1024. */
unsigned dv__pool_threads_for(unsigned n);

#endif
