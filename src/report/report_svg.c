/* report_svg.c - the report's charts as inline SVG: grouped horizontal bars and histograms.
 * Integer coordinates only, so the same counts always give the same bytes. */
#include "report_html_internal.h"

#include <assert.h>
#include <inttypes.h>

#define W 860          /* chart width in px */
#define FONT "font-family=\"sans-serif\" font-size=\"11\""

/* Axis top and tick step: step is 1, 2 or 5 times a power of ten, at most 5 ticks. */
static void nice_scale(uint64_t max, uint64_t *top, uint64_t *step)
{
    uint64_t raw, p = 1;
    if (max == 0) {
        *top = 4;
        *step = 1;
        return;
    }
    raw = max / 4 + (max % 4 != 0);
    for (;;) {
        if (p >= raw) { *step = p; break; }
        if (p <= UINT64_MAX / 2 && 2 * p >= raw) { *step = 2 * p; break; }
        if (p <= UINT64_MAX / 5 && 5 * p >= raw) { *step = 5 * p; break; }
        if (p > UINT64_MAX / 10) { *step = p; break; }
        p *= 10;
    }
    *top = (max / *step + (max % *step != 0)) * *step;
    if (*top < max) *top = max; /* overflow guard at the very top of the range */
}

static unsigned px(uint64_t v, uint64_t top, unsigned len)
{
    double d = (double)v * (double)len / (double)top + 0.5;
    if (d < 0) return 0;
    if (d > len) return len;
    return (unsigned)d;
}

static void svg_open(FILE *f, const char *id, const char *title, unsigned h)
{
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"%s\" class=\"chart\" role=\"img\" "
               "width=\"%d\" height=\"%u\" viewBox=\"0 0 %d %u\" " FONT ">\n<title>",
            id, W, h, W, h);
    dv__html_text(f, title, 0);
    fputs("</title>\n", f);
}

static void text_at(FILE *f, unsigned x, unsigned y, const char *anchor, const char *s,
                    size_t max)
{
    fprintf(f, "<text x=\"%u\" y=\"%u\" text-anchor=\"%s\">", x, y, anchor);
    dv__html_text(f, s, max);
    fputs("</text>\n", f);
}

void dv__svg_write_hbars(FILE *f, const dv__svg_hbars *c)
{
    enum { L = 230, R = 70, TOP = 28, BAR = 13, AXIS = 28 };
    const unsigned pw = W - L - R;
    unsigned gh = (unsigned)c->nseries * (BAR + 2) + 10, h;
    uint64_t max = 0, top, step;
    char nb[27];

    assert(c->nseries > 0 && c->nseries <= 8);
    for (size_t i = 0; i < c->ngroups * c->nseries; i++)
        if (c->values[i] > max) max = c->values[i];
    nice_scale(max, &top, &step);
    h = TOP + (unsigned)c->ngroups * gh + AXIS;
    svg_open(f, c->id, c->title, h);

    /* legend, for more than one series */
    for (size_t s = 0; c->nseries > 1 && s < c->nseries; s++) {
        unsigned x = L + (unsigned)s * 170;
        fprintf(f, "<rect x=\"%u\" y=\"6\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", x,
                c->colors[s]);
        text_at(f, x + 17, 16, "start", c->series[s], 60);
    }
    /* grid and ticks */
    for (uint64_t t = 0; t <= top; t += step) {
        unsigned x = L + px(t, top, pw);
        fprintf(f, "<line x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\" stroke=\"#ddd\"/>\n", x, TOP - 4,
                x, h - AXIS + 2);
        text_at(f, x, h - AXIS + 16, "middle", dv__fmt_u64(nb, t), 0);
        if (top - t < step) break;
    }
    for (size_t g = 0; g < c->ngroups; g++) {
        unsigned y0 = TOP + (unsigned)g * gh;
        text_at(f, L - 8, y0 + gh / 2 + 2, "end", c->labels[g], 36);
        for (size_t s = 0; s < c->nseries; s++) {
            uint64_t v = c->values[g * c->nseries + s];
            unsigned y = y0 + 4 + (unsigned)s * (BAR + 2), bw = px(v, top, pw);
            if (v > 0 && bw == 0) bw = 1; /* a non-zero count stays visible */
            fprintf(f, "<rect x=\"%d\" y=\"%u\" width=\"%u\" height=\"%d\" fill=\"%s\"><title>", L,
                    y, bw, BAR, c->colors[s]);
            dv__html_text(f, c->labels[g], 200);
            fputs(", ", f);
            dv__html_text(f, c->series[s], 60);
            fprintf(f, ": %s</title></rect>\n", dv__fmt_u64(nb, v));
            if (v > 0)
                fprintf(f, "<text x=\"%u\" y=\"%u\">%s</text>\n", L + bw + 4, y + BAR - 2,
                        dv__fmt_u64(nb, v));
        }
    }
    fprintf(f, "<line x1=\"%d\" y1=\"%u\" x2=\"%d\" y2=\"%u\" stroke=\"#333\"/>\n", L, TOP - 4, L,
            h - AXIS + 2);
    fputs("</svg>\n", f);
}

void dv__svg_write_vbars(FILE *f, const dv__svg_vbars *c)
{
    enum { L = 72, R = 16, TOP = 14, PH = 220, B = 52 };
    const unsigned pw = W - L - R, h = TOP + PH + B, base = TOP + PH;
    uint64_t max = 0, top, step;
    char nb[27];

    assert(c->n > 0 && c->n <= pw / 2);
    for (size_t i = 0; i < c->n; i++) {
        if (c->values[i] > max) max = c->values[i];
        if (c->hi != NULL && c->hi[i] > max) max = c->hi[i];
    }
    nice_scale(max, &top, &step);
    svg_open(f, c->id, c->title, h);
    for (uint64_t t = 0; t <= top; t += step) {
        unsigned y = base - px(t, top, PH);
        fprintf(f, "<line x1=\"%d\" y1=\"%u\" x2=\"%u\" y2=\"%u\" stroke=\"#ddd\"/>\n", L, y, W - R,
                y);
        text_at(f, L - 6, y + 4, "end", dv__fmt_u64(nb, t), 0);
        if (top - t < step) break;
    }
    for (size_t i = 0; i < c->n; i++) {
        unsigned x0 = L + (unsigned)(i * pw / c->n), x1 = L + (unsigned)((i + 1) * pw / c->n);
        unsigned bw = x1 - x0 > 3 ? x1 - x0 - 1 : x1 - x0, bh = px(c->values[i], top, PH);
        if (c->values[i] > 0 && bh == 0) bh = 1;
        fprintf(f, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" fill=\"%s\">", x0,
                base - bh, bw, bh, c->color);
        if (c->tips != NULL && c->tips[i] != NULL) {
            fputs("<title>", f);
            dv__html_text(f, c->tips[i], 200);
            fputs("</title>", f);
        }
        fputs("</rect>\n", f);
        if (c->lo != NULL && c->hi != NULL && c->hi[i] > c->lo[i]) {
            unsigned xm = x0 + bw / 2;
            fprintf(f, "<line x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\" stroke=\"#333\"/>\n", xm,
                    base - px(c->lo[i], top, PH), xm, base - px(c->hi[i], top, PH));
        }
        if (c->xlabels != NULL && c->xlabels[i] != NULL)
            text_at(f, x0 + bw / 2, base + 14, "middle", c->xlabels[i], 24);
    }
    fprintf(f, "<line x1=\"%d\" y1=\"%u\" x2=\"%u\" y2=\"%u\" stroke=\"#333\"/>\n", L, base, W - R,
            base);
    text_at(f, L + pw / 2, base + 36, "middle", c->xaxis, 0);
    fprintf(f, "<text x=\"14\" y=\"%u\" text-anchor=\"middle\" transform=\"rotate(-90 14 %u)\">",
            TOP + PH / 2, TOP + PH / 2);
    dv__html_text(f, c->yaxis, 0);
    fputs("</text>\n</svg>\n", f);
}
