/* report_html_internal.h - what report_html.c and report_svg.c share: the HTML text escaper
 * (hostile strings in, valid UTF-8 markup-free text out) and the inline SVG bar charts. */
#ifndef DV_REPORT_HTML_INTERNAL_H
#define DV_REPORT_HTML_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Write s as HTML/XML text, also safe inside a double- or single-quoted attribute value:
 * & < > " ' become character references; invalid UTF-8 (overlong forms, surrogates, truncated
 * sequences, bytes over U+10FFFF), control characters other than tab and newline, C1
 * controls, bidirectional overrides/isolates/marks and noncharacters each become U+FFFD.
 * At most max bytes of s are read (0: all), cut on a character boundary and followed by an
 * ellipsis when cut. NULL writes nothing. Output is always valid UTF-8 and valid XML text. */
void dv__html_text(FILE *f, const char *s, size_t max);
/* The same for len bytes of s (NUL bytes in them become U+FFFD). */
void dv__html_textn(FILE *f, const char *s, size_t len, size_t max);

/* Decimal with thousands separators ("1,234,567"); buf needs 27 bytes. */
const char *dv__fmt_u64(char buf[27], uint64_t v);

/* Fixed-point decimal with `decimals` (0..6) digits, rounded half away from zero, without
 * the C locale's help (deterministic): "0.875", "-1.500". NaN: "", infinities "inf"/"-inf".
 * buf needs 32 bytes. */
const char *dv__fmt_fixed(char buf[32], double v, int decimals);

/* Horizontal grouped bars: one group per label, one bar per series in each group
 * (values[g * nseries + s]). Series names label the legend; colors are CSS colours. */
typedef struct dv__svg_hbars {
    const char *id;       /* element id, [a-z0-9-] */
    const char *title;    /* accessible title */
    const char *const *labels;
    size_t ngroups;
    const char *const *series;
    const char *const *colors;
    size_t nseries;
    const uint64_t *values;
} dv__svg_hbars;
void dv__svg_write_hbars(FILE *f, const dv__svg_hbars *c);

/* Vertical bars (a histogram): bar i has height values[i]; lo/hi (both NULL or both set)
 * draw a min..max whisker on each bar. xlabels[i] may be NULL (no tick label); labelling
 * every k-th bar keeps the axis readable. tips[i] (NULL: none) is the bar's tooltip text. */
typedef struct dv__svg_vbars {
    const char *id;
    const char *title;
    const char *xaxis;    /* axis caption */
    const char *yaxis;
    size_t n;
    const uint64_t *values;
    const uint64_t *lo, *hi;
    const char *const *xlabels;
    const char *const *tips;
    const char *color;
} dv__svg_vbars;
void dv__svg_write_vbars(FILE *f, const dv__svg_vbars *c);

#endif
