/* text_util.h - small text helpers for CLI outputs built from untrusted strings: JSON
 * strings, a bounded reader for top-level string members of a JSON object (scan.json), and
 * the image signature check of inspect --head. */
#ifndef DV_CLI_TEXT_UTIL_H
#define DV_CLI_TEXT_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The top-level member `key` of the JSON object in buf[0..len), when it is a string: decoded
 * (escapes, \u surrogate pairs; lone surrogates, \u0000 and invalid UTF-8 become U+FFFD) into
 * a malloc'd NUL-terminated *out. The first member with that name wins. Never reads outside
 * buf; nesting deeper than CLI_JSON_MAX_DEPTH is refused.
 * Returns 1 found, 0 absent or not a string, -1 malformed, -2 out of memory. */
#define CLI_JSON_MAX_DEPTH 256
int cli_json_top_string(const char *buf, size_t len, const char *key, char **out);
/* The text of the top-level member `key`'s value, whatever its type, in place: *val points
 * into buf, *vlen bytes (an object's text can be searched again with these functions).
 * Returns 1 found, 0 absent, -1 malformed, -2 out of memory. */
int cli_json_top_raw(const char *buf, size_t len, const char *key, const char **val,
                     size_t *vlen);

/* The image format whose signature starts the value p[0..n) ("jpeg", "tiff", "data URI"...),
 * or NULL. inspect --head prints no image's bytes (datavet writes no image anywhere), from a
 * blob or a string column, nor a data:image/ URI: such a value becomes a placeholder. Beyond
 * the formats datavet decodes: TIFF, HEIF/AVIF, JPEG XL and BMP (its header checked, so text
 * starting "BM" is not taken for one). Text that is base64 (standard or URL-safe alphabet,
 * after any leading whitespace) of such a signature is "base64 jpeg" and so on, but for a bare
 * JPEG XL codestream, whose two bytes are "/wo" in base64; a data:image/ URI may follow
 * whitespace too. Text holding either inside it (a data: URI of an image anywhere, a run of at
 * least 64 base64 characters of a signature after a non-base64 character) is one too. Reads
 * nothing past p[n - 1]. */
const char *cli_image_kind(const uint8_t *p, size_t n);

/* url as outputs show it (dv_url_redact: a data: URI's content, base64 of an image in the
 * path, query or fragment withheld), in memory the caller frees; NULL for NULL or out of
 * memory. */
char *cli_url_shown(const char *url);

/* A JSON string: text as dv_text_utf8 writes DV_TEXT_PLAIN (valid UTF-8 kept as it is,
 * ill-formed sequences as U+FFFD), controls (NUL too) escaped as DuckDB (yyjson) escapes them.
 * cli_json_str(f, NULL) writes "". */
void cli_json_strn(FILE *f, const char *s, size_t n);
/* The same into any sink: put(ctx, bytes, n) for each piece. */
void cli_json_escape(void (*put)(void *ctx, const char *s, size_t n), void *ctx, const char *s,
                     size_t n);
void cli_json_str(FILE *f, const char *s);

/* Text for a terminal: what datavet prints for people (diagnostics on stderr, the progress
 * line, the human-readable lines of stdout) names files, columns, members, keys, labels and
 * values of hostile datasets and lists, and the library's messages quote them. One rule for
 * all of it: every byte is kept but those that could act on a terminal or are not text,
 * which are written \xHH (two upper-case hex digits) each:
 *  - C0 controls (ESC, CR, backspace; tab and line feed too: an argument never makes a line)
 *    and DEL;
 *  - C1 controls, U+0080..U+009F (U+009B is CSI to a terminal that reads them), as their
 *    two UTF-8 bytes: \xC2\x9B;
 *  - bidirectional controls (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069), which
 *    reorder what is shown, and noncharacters: the characters DV_TEXT_URL percent-encodes;
 *  - each byte of ill-formed UTF-8 (dv_utf8_next's maximal subparts), so a terminal in a
 *    legacy 8-bit encoding never sees a lone 0x9B either;
 * and the backslash is written \\, so the text reads back to the bytes it came from.
 * Records (JSONL, TSV, CSV, --head rows, removal.txt) have their own, documented escaping and
 * never go through this. */
void cli_put_safe(FILE *f, const char *s, size_t n);
/* A line of the library's texts of several lines (dv_dataset_problems, dv_scan_result's
 * dataset_problems, coverage and unread, dv_list_builder_errmsg), which the library has
 * already written by this rule (names escaped, so a line feed there only ends a line): kept
 * as it is, its backslashes too (they start its escapes), but for any byte the rule escapes,
 * should one be there, which is written \xHH all the same. */
void cli_put_escaped(FILE *f, const char *s, size_t n);
/* cli_err(prefix), the line s[0..n) as cli_put_escaped writes it, and a line feed. */
void cli_err_line(const char *prefix, const char *s, size_t n);
/* The bytes cli_put_safe writes for s[0..n). */
size_t cli_safe_len(const char *s, size_t n);
/* fprintf(f, fmt, ...), the text of every %s and %c argument written as cli_put_safe writes
 * it; fmt's own text (its line feeds, an escape sequence of the progress line) as it is.
 * Precision (%.*s) cuts the argument's bytes, width pads what is written. The conversions of
 * C11's fprintf but %n (which stores nothing) and the wide %lc and %ls (read as %c and %s);
 * every message of the CLI is written through it. */
void cli_fmt(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_vfmt(FILE *f, const char *fmt, va_list ap);
/* cli_fmt(stderr, ...): a diagnostic. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "<lead>ETA hh:mm:ss" of s seconds into out (hours past 99 as they are), or "" when s is no
 * time to show: negative, NaN, infinite, or 10^8 s (three years) and more, as an estimate
 * from a rate just started can be. A progress line's ETA is a double divided from counts;
 * converting one past INT_MAX to int is undefined (on x86 10^10 s was "ETA 2777777:46:-8"). */
void cli_fmt_eta(char *out, size_t cap, const char *lead, double s);

#endif
