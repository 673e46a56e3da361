/* report_html.c - report.html: one self-contained page (no scripts, no network, no images) with
 * the scan's summary tables, inline SVG charts and the first findings. Same input, same bytes. */
#include "report.h"

#include "../common/common.h"
#include "report_html_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROWS 1000      /* findings shown per table */
#define MAX_GROUPS 40      /* bars in a per-list / per-reason chart */
#define MAX_SHARD_BARS 200 /* shards are binned above this */
#define CELL_MAX 400       /* bytes of one hostile string shown in a cell */

#define COLOR_MATCH "#c0392b"
#define COLOR_CAND "#e69f00"
#define COLOR_NEUTRAL "#4a6fa5"

/* ---- text ---------------------------------------------------------------------------- */

void dv__html_textn(FILE *f, const char *s, size_t len, size_t max)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0;
    if (s == NULL) return;
    while (i < len) {
        uint32_t c;
        size_t k = dv_utf8_next(p + i, len - i, &c);
        if (max > 0 && i + k > max) {
            fputs("\xE2\x80\xA6", f); /* … */
            return;
        }
        if (!dv__text_shown(c)) {
            fputs("\xEF\xBF\xBD", f);
        } else {
            switch (c) {
            case '&': fputs("&amp;", f); break;
            case '<': fputs("&lt;", f); break;
            case '>': fputs("&gt;", f); break;
            case '"': fputs("&quot;", f); break;
            case '\'': fputs("&#39;", f); break;
            default: fwrite(p + i, 1, k, f); break;
            }
        }
        i += k;
    }
}

void dv__html_text(FILE *f, const char *s, size_t max)
{
    if (s != NULL) dv__html_textn(f, s, strlen(s), max);
}

const char *dv__fmt_u64(char buf[27], uint64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v), o = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

const char *dv__fmt_fixed(char buf[32], double v, int decimals)
{
    uint64_t scale = 1, q;
    double a;
    int neg;
    if (decimals < 0) decimals = 0;
    if (decimals > 6) decimals = 6;
    if (isnan(v)) {
        buf[0] = '\0';
        return buf;
    }
    neg = v < 0;
    a = neg ? -v : v;
    if (isinf(v) || a >= 1e12) {
        snprintf(buf, 32, "%s", neg ? "-inf" : "inf");
        return buf;
    }
    for (int i = 0; i < decimals; i++) scale *= 10;
    q = (uint64_t)(a * (double)scale + 0.5);
    if (decimals == 0)
        snprintf(buf, 32, "%s%" PRIu64, neg && q ? "-" : "", q);
    else
        snprintf(buf, 32, "%s%" PRIu64 ".%0*" PRIu64, neg && q ? "-" : "", q / scale, decimals,
                 q % scale);
    return buf;
}

static const char *str(const char *s) { return s != NULL ? s : ""; }

/* ---- counters ------------------------------------------------------------------------ */

static size_t lower_bound(const dv__report *r, const char *key)
{
    size_t lo = 0, hi = r->ncounters;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(str(r->counters[mid].key), key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

uint64_t dv__report_counter(const dv__report *r, const char *key)
{
    size_t i;
    if (r == NULL || key == NULL || r->counters == NULL) return 0;
    i = lower_bound(r, key);
    if (i < r->ncounters && strcmp(str(r->counters[i].key), key) == 0) return r->counters[i].value;
    return 0;
}

/* Counters whose key starts with prefix: [*b, *e). Sorted keys make them contiguous. */
static void prefix_range(const dv__report *r, const char *prefix, size_t *b, size_t *e)
{
    size_t plen = strlen(prefix), i;
    if (r->counters == NULL) {
        *b = *e = 0;
        return;
    }
    i = lower_bound(r, prefix);
    *b = i;
    while (i < r->ncounters && strncmp(str(r->counters[i].key), prefix, plen) == 0) i++;
    *e = i;
}

static uint64_t prefix_sum(const dv__report *r, const char *prefix)
{
    size_t b, e;
    uint64_t s = 0;
    prefix_range(r, prefix, &b, &e);
    for (size_t i = b; i < e; i++) s += r->counters[i].value;
    return s;
}

/* Small decimal suffix (shard index, distance, bucket): -1 if not all digits or too long. */
static int64_t parse_index(const char *s)
{
    int64_t v = 0;
    if (*s == '\0') return -1;
    for (int n = 0; *s != '\0'; s++, n++) {
        if (*s < '0' || *s > '9' || n >= 15) return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

/* A row of a per-name table: name is len bytes of a counter key (not NUL-terminated). */
typedef struct group {
    const char *name;
    size_t len;
    uint64_t v[2]; /* match, candidate; single-series tables use v[0] */
} group;

static int cmp_group(const void *a, const void *b)
{
    const group *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->name, y->name, n);
    if (c != 0) return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* Groups of "<prefix><name>.<tier>" (tiered) or "<prefix><name>" counters, sorted by name.
 * *out is NULL when there are none. */
static int collect(const dv__report *r, const char *prefix, int tiered, group **out, size_t *n)
{
    size_t b, e, plen = strlen(prefix), ng = 0;
    group *g;
    *out = NULL;
    *n = 0;
    prefix_range(r, prefix, &b, &e);
    if (e == b) return DV_OK;
    g = dv__calloc(NULL, e - b, sizeof(*g));
    if (g == NULL) return DV_ENOMEM;
    for (size_t i = b; i < e; i++) {
        const char *rest = str(r->counters[i].key) + plen, *dot = NULL;
        size_t len = strlen(rest), j;
        int t = 0;
        if (tiered) {
            dot = strrchr(rest, '.');
            if (dot == NULL) continue;
            if (strcmp(dot + 1, "match") == 0)
                t = 0;
            else if (strcmp(dot + 1, "candidate") == 0)
                t = 1;
            else
                continue;
            len = (size_t)(dot - rest);
        }
        for (j = 0; j < ng; j++)
            if (g[j].len == len && memcmp(g[j].name, rest, len) == 0) break;
        if (j == ng) {
            g[ng].name = rest;
            g[ng].len = len;
            ng++;
        }
        g[j].v[t] += r->counters[i].value;
    }
    if (ng > 1) qsort(g, ng, sizeof(*g), cmp_group);
    *out = g;
    *n = ng;
    return DV_OK;
}

/* ---- page pieces --------------------------------------------------------------------- */

static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#222;"
    "margin:24px auto;max-width:1240px;padding:0 16px}\n"
    "h1{font-size:24px;margin-bottom:4px}\n"
    "h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:36px}\n"
    "h3{font-size:15px;margin:18px 0 4px}\n"
    "table{border-collapse:collapse;margin:6px 0 14px}\n"
    "th,td{border:1px solid #d0d0d0;padding:3px 7px;text-align:left;vertical-align:top}\n"
    "th{background:#f0f0f0;font-weight:600}\n"
    "tbody tr:nth-child(even){background:#fafafa}\n"
    "td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    ".mono{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12px;"
    "overflow-wrap:anywhere}\n"
    "table.findings td{max-width:280px}\n"
    ".tier-match{color:#a32a1e;font-weight:700;white-space:nowrap}\n"
    ".tier-candidate{color:#8a5a00;font-weight:700}\n"
    ".note{background:#fff8e1;border:1px solid #e6c65c;padding:8px 12px;margin:12px 0}\n"
    ".muted{color:#666}\n"
    ".warn{background:#fdecea;border-color:#d9534f}\n"
    ".kpis{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}\n"
    ".kpi{border:1px solid #ccc;border-radius:6px;padding:8px 14px;min-width:130px}\n"
    ".kpi b{display:block;font-size:22px}\n"
    ".kpi.match{border-color:#c0392b;background:#fbeeec}\n"
    ".kpi.candidate{border-color:#e69f00;background:#fff6e0}\n"
    "svg.chart{display:block;max-width:100%;height:auto;margin:6px 0 18px}\n"
    "svg.chart text{fill:#222}\n";

static void cell(FILE *f, const char *s, const char *cls)
{
    if (cls != NULL)
        fprintf(f, "<td class=\"%s\">", cls);
    else
        fputs("<td>", f);
    dv__html_text(f, str(s), CELL_MAX);
    fputs("</td>", f);
}

static void cell_u64(FILE *f, uint64_t v)
{
    char nb[27];
    fprintf(f, "<td class=\"n\">%s</td>", dv__fmt_u64(nb, v));
}

static void kv_row(FILE *f, const char *k, const char *v, const char *cls)
{
    fprintf(f, "<tr><th>%s</th>", k);
    cell(f, v, cls);
    fputs("</tr>\n", f);
}

static void kv_row_u64(FILE *f, const char *k, uint64_t v)
{
    fprintf(f, "<tr><th>%s</th>", k);
    cell_u64(f, v);
    fputs("</tr>\n", f);
}

static void group_name(FILE *f, const group *g, const char *empty)
{
    if (g->len == 0)
        fputs(empty, f);
    else
        dv__html_textn(f, g->name, g->len, CELL_MAX);
}

static void summary(FILE *f, const dv__report *r)
{
    char nb[27];
    uint64_t nm = dv__report_counter(r, "tier.match"), nc = dv__report_counter(r, "tier.candidate");
    uint64_t nerr = prefix_sum(r, "error.");

    fputs("<div class=\"kpis\">\n", f);
    fprintf(f, "<div class=\"kpi match\"><b>%s</b>matches</div>\n", dv__fmt_u64(nb, nm));
    fprintf(f, "<div class=\"kpi candidate\"><b>%s</b>candidates (need verification)</div>\n",
            dv__fmt_u64(nb, nc));
    fprintf(f, "<div class=\"kpi\"><b>%s</b>items read</div>\n",
            dv__fmt_u64(nb, dv__report_counter(r, "items")));
    fprintf(f, "<div class=\"kpi\"><b>%s</b>items skipped (errors)</div>\n", dv__fmt_u64(nb, nerr));
    fputs("</div>\n", f);

    if (r->problems && r->problems[0]) {
        /* not scanned, not used: it changes what "no findings" means, so it comes first */
        fputs("<div class=\"note warn\"><b>Not everything in the dataset was scanned:</b><ul>\n", f);
        for (const char *p = r->problems; *p;) {
            const char *e = strchr(p, '\n');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            fputs("<li>", f);
            dv__html_textn(f, p, n, 1000);
            fputs("</li>\n", f);
            p += n + (e != NULL);
        }
        fputs("</ul></div>\n", f);
    }
    fputs("<p class=\"note\">This page holds item ids, URLs, hashes and scores only: no image "
          "data. URLs are printed as text, not links: do not open them, they may lead to abusive "
          "material. A <b>match</b> is an exact or PDQ hash hit on a list; a <b>candidate (needs "
          "verification)</b> comes from a flag (unsafe score, caption terms) or from similarity "
          "to a match and is not established until a trained reviewer has checked it. "
          "The complete records are in matches.jsonl and matches.parquet.</p>\n",
          f);

    fputs("<h2 id=\"summary\">Summary</h2>\n<table class=\"kv\"><tbody>\n", f);
    kv_row(f, "Dataset", r->dataset, "mono");
    kv_row(f, "Layout", r->layout, NULL);
    kv_row(f, "datavet version", r->version, NULL);
    kv_row_u64(f, "Shards", r->nshards);
    kv_row_u64(f, "Items read", dv__report_counter(r, "items"));
    kv_row_u64(f, "Items with image bytes", dv__report_counter(r, "items_with_image"));
    kv_row_u64(f, "Images decoded and hashed", dv__report_counter(r, "hashed"));
    kv_row_u64(f, "Low PDQ quality (not PDQ-matched)", dv__report_counter(r, "low_quality"));
    kv_row_u64(f, "Items skipped (errors)", nerr);
    kv_row_u64(f, "Matches", nm);
    kv_row_u64(f, "Candidates (need verification)", nc);
    fputs("</tbody></table>\n", f);
}

static void lists_inputs_params(FILE *f, const dv__report *r)
{
    fputs("<h2 id=\"lists\">Lists</h2>\n", f);
    if (r->nlists == 0 || r->lists == NULL) {
        fputs("<p class=\"muted\">No lists.</p>\n", f);
    } else {
        fputs("<table><thead><tr><th>name</th><th>version</th><th>type</th><th>entries</th>"
              "<th>digest (SHA-256 of the content)</th><th>file</th></tr></thead><tbody>\n",
              f);
        for (size_t i = 0; i < r->nlists; i++) {
            const dv__report_list *l = &r->lists[i];
            fputs("<tr>", f);
            cell(f, l->name, NULL);
            cell(f, l->version, NULL);
            cell(f, l->type, NULL);
            cell_u64(f, l->entries);
            cell(f, l->digest, "mono");
            cell(f, l->path, "mono");
            fputs("</tr>\n", f);
        }
        fputs("</tbody></table>\n", f);
    }

    fputs("<h2 id=\"inputs\">Inputs</h2>\n", f);
    if (r->ninputs == 0 || r->inputs == NULL) {
        fputs("<p class=\"muted\">No inputs recorded.</p>\n", f);
    } else {
        fputs("<table><thead><tr><th>path</th><th>bytes</th><th>SHA-256</th></tr></thead>"
              "<tbody>\n",
              f);
        for (size_t i = 0; i < r->ninputs; i++) {
            const dv__report_input *in = &r->inputs[i];
            fputs("<tr>", f);
            cell(f, in->path, "mono");
            cell_u64(f, in->bytes);
            cell(f, str(in->sha256)[0] != '\0' ? in->sha256 : "(not computed)", "mono");
            fputs("</tr>\n", f);
        }
        fputs("</tbody></table>\n", f);
    }

    fputs("<h2 id=\"parameters\">Parameters</h2>\n", f);
    if (r->nparams == 0 || r->param_names == NULL || r->param_values == NULL) {
        fputs("<p class=\"muted\">No parameters recorded.</p>\n", f);
    } else {
        fputs("<table class=\"kv\"><tbody>\n", f);
        for (size_t i = 0; i < r->nparams; i++) {
            fputs("<tr><th>", f);
            dv__html_text(f, str(r->param_names[i]), CELL_MAX);
            fputs("</th>", f);
            cell(f, r->param_values[i], "mono");
            fputs("</tr>\n", f);
        }
        fputs("</tbody></table>\n", f);
    }
}

/* A per-name table of match/candidate counts (tiered) or of one count. */
static void group_table(FILE *f, const group *g, size_t n, int tiered, const char *what,
                        const char *empty)
{
    fprintf(f, "<table><thead><tr><th>%s</th>", what);
    fputs(tiered ? "<th>matches</th><th>candidates</th></tr></thead><tbody>\n"
                 : "<th>count</th></tr></thead><tbody>\n",
          f);
    for (size_t i = 0; i < n; i++) {
        fputs("<tr><td>", f);
        group_name(f, &g[i], empty);
        fputs("</td>", f);
        cell_u64(f, g[i].v[0]);
        if (tiered) cell_u64(f, g[i].v[1]);
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
}

/* Grouped horizontal bars of at most MAX_GROUPS groups (the largest, in name order). */
static int group_chart(FILE *f, const char *id, const char *title, const group *g, size_t n,
                       int tiered, const char *empty, const char *color)
{
    static const char *const tier_names[] = {"match", "candidate (needs verification)"};
    static const char *const tier_colors[] = {COLOR_MATCH, COLOR_CAND};
    const char *one_color[1];
    const char *one_name[1] = {"count"};
    size_t ns = tiered ? 2 : 1, shown_n = n < MAX_GROUPS ? n : MAX_GROUPS, k = 0;
    const char **labels = dv__calloc(NULL, shown_n, sizeof(*labels));
    char **owned = dv__calloc(NULL, shown_n, sizeof(*owned));
    uint64_t *vals = dv__calloc(NULL, shown_n * 2, sizeof(*vals));
    int rc = DV_OK;
    dv__svg_hbars c;

    one_color[0] = color;
    if (labels == NULL || owned == NULL || vals == NULL) {
        rc = DV_ENOMEM;
        goto out;
    }
    /* with more than MAX_GROUPS names, chart the ones with the largest totals */
    for (size_t i = 0; i < n && k < shown_n; i++) {
        uint64_t ti = g[i].v[0] + g[i].v[1];
        size_t larger = 0;
        if (n > MAX_GROUPS) {
            for (size_t j = 0; j < n; j++) {
                uint64_t tj = g[j].v[0] + g[j].v[1];
                if (tj > ti || (tj == ti && j < i)) larger++;
            }
            if (larger >= MAX_GROUPS) continue;
        }
        if (g[i].len == 0) {
            labels[k] = empty;
        } else {
            owned[k] = dv__malloc(NULL, g[i].len + 1);
            if (owned[k] == NULL) {
                rc = DV_ENOMEM;
                goto out;
            }
            memcpy(owned[k], g[i].name, g[i].len);
            owned[k][g[i].len] = '\0';
            labels[k] = owned[k];
        }
        vals[k * ns] = g[i].v[0];
        if (tiered) vals[k * ns + 1] = g[i].v[1];
        k++;
    }
    c = (dv__svg_hbars){id, title, labels, k, tiered ? tier_names : one_name,
                        tiered ? tier_colors : one_color, ns, vals};
    dv__svg_write_hbars(f, &c);
    if (n > MAX_GROUPS)
        fprintf(f, "<p class=\"muted\">The %d largest of %zu are charted; all are in the table.</p>\n",
                MAX_GROUPS, n);
out:
    if (owned != NULL)
        for (size_t i = 0; i < shown_n; i++) dv__free(NULL, owned[i]);
    dv__free(NULL, owned);
    dv__free(NULL, labels);
    dv__free(NULL, vals);
    return rc;
}

static void pdq_chart(FILE *f, const dv__report *r)
{
    static const char *const lab[33] = {
        "0",  "1",  "2",  "3",  "4",  "5",  "6",  "7",  "8",  "9",  "10",
        "11", "12", "13", "14", "15", "16", "17", "18", "19", "20", "21",
        "22", "23", "24", "25", "26", "27", "28", "29", "30", "31", "32+"};
    uint64_t v[33] = {0};
    char tipbuf[33][64];
    const char *tips[33];
    char nb[27];
    size_t b, e;
    dv__svg_vbars c;

    prefix_range(r, "pdq_distance.", &b, &e);
    for (size_t i = b; i < e; i++) {
        int64_t d = parse_index(str(r->counters[i].key) + strlen("pdq_distance."));
        if (d < 0) continue;
        v[d > 32 ? 32 : d] += r->counters[i].value;
    }
    for (int i = 0; i < 33; i++) {
        snprintf(tipbuf[i], sizeof(tipbuf[i]), "distance %s: %s", lab[i], dv__fmt_u64(nb, v[i]));
        tips[i] = tipbuf[i];
    }
    fputs("<h3>PDQ matches by Hamming distance</h3>\n", f);
    if (e == b) fputs("<p class=\"muted\">No PDQ matches.</p>\n", f);
    c = (dv__svg_vbars){"chart-pdq-distance", "PDQ matches by Hamming distance",
                        "Hamming distance (bits of 256)", "PDQ matches", 33, v, NULL, NULL, lab,
                        tips, COLOR_MATCH};
    dv__svg_write_vbars(f, &c);
}

static int shard_chart(FILE *f, const dv__report *r)
{
    size_t b, e, nb_;
    uint64_t S = r->nshards, *sum = NULL, *lo = NULL, *hi = NULL, *cnt = NULL, *mean = NULL;
    char **xl = NULL, **tips = NULL;
    char nb1[27], nb2[27], nb3[27];
    int rc = DV_OK;
    const size_t plen = strlen("shard_items.");

    prefix_range(r, "shard_items.", &b, &e);
    for (size_t i = b; i < e; i++) {
        int64_t s = parse_index(str(r->counters[i].key) + plen);
        if (s >= 0 && (uint64_t)s >= S) S = (uint64_t)s + 1;
    }
    fputs("<h3>Items per shard</h3>\n", f);
    if (S == 0) {
        fputs("<p class=\"muted\">No shards.</p>\n", f);
        return DV_OK;
    }
    nb_ = S < MAX_SHARD_BARS ? (size_t)S : MAX_SHARD_BARS;
    sum = dv__calloc(NULL, nb_, sizeof(*sum));
    lo = dv__calloc(NULL, nb_, sizeof(*lo));
    hi = dv__calloc(NULL, nb_, sizeof(*hi));
    cnt = dv__calloc(NULL, nb_, sizeof(*cnt));
    mean = dv__calloc(NULL, nb_, sizeof(*mean));
    xl = dv__calloc(NULL, nb_, sizeof(*xl));
    tips = dv__calloc(NULL, nb_, sizeof(*tips));
    if (!sum || !lo || !hi || !cnt || !mean || !xl || !tips) {
        rc = DV_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < nb_; i++) lo[i] = UINT64_MAX;
    /* bin k holds shards [ceil(k S / nb), ceil((k+1) S / nb)); counters absent mean 0 items */
    for (size_t i = b; i < e; i++) {
        int64_t s = parse_index(str(r->counters[i].key) + plen);
        size_t k;
        uint64_t v = r->counters[i].value;
        if (s < 0) continue;
        k = (size_t)((uint64_t)s * nb_ / S); /* s < S <= 10^15, nb_ <= 200: no overflow */
        sum[k] += v;
        cnt[k]++;
        if (v < lo[k]) lo[k] = v;
        if (v > hi[k]) hi[k] = v;
    }
    for (size_t k = 0; k < nb_; k++) {
        uint64_t first = (k * S + nb_ - 1) / nb_, last = ((k + 1) * S + nb_ - 1) / nb_;
        uint64_t shards = last > first ? last - first : 1;
        char buf[160];
        if (cnt[k] < shards) lo[k] = 0;
        if (lo[k] == UINT64_MAX) lo[k] = 0;
        mean[k] = (sum[k] + shards / 2) / shards;
        if (nb_ <= 40 || k % (nb_ / 10) == 0) {
            snprintf(buf, sizeof(buf), "%" PRIu64, first);
            xl[k] = strdup(buf);
        }
        if (shards == 1)
            snprintf(buf, sizeof(buf), "shard %" PRIu64 ": %s items", first, dv__fmt_u64(nb1, sum[k]));
        else
            snprintf(buf, sizeof(buf), "shards %" PRIu64 "-%" PRIu64 ": mean %s, min %s, max %s",
                     first, last - 1, dv__fmt_u64(nb1, mean[k]), dv__fmt_u64(nb2, lo[k]),
                     dv__fmt_u64(nb3, hi[k]));
        tips[k] = strdup(buf);
        if (tips[k] == NULL || ((nb_ <= 40 || k % (nb_ / 10) == 0) && xl[k] == NULL)) {
            rc = DV_ENOMEM;
            goto out;
        }
    }
    {
        dv__svg_vbars c = {"chart-shards", "Items per shard",
                           S > nb_ ? "shard index (each bar: a range of shards; bar = mean, "
                                     "line = min to max)"
                                   : "shard index",
                           "items", nb_, S > nb_ ? mean : sum, S > nb_ ? lo : NULL,
                           S > nb_ ? hi : NULL, (const char *const *)xl,
                           (const char *const *)tips, COLOR_NEUTRAL};
        dv__svg_write_vbars(f, &c);
    }
out:
    if (xl != NULL)
        for (size_t k = 0; k < nb_; k++) free(xl[k]);
    if (tips != NULL)
        for (size_t k = 0; k < nb_; k++) free(tips[k]);
    dv__free(NULL, sum);
    dv__free(NULL, lo);
    dv__free(NULL, hi);
    dv__free(NULL, cnt);
    dv__free(NULL, mean);
    dv__free(NULL, xl);
    dv__free(NULL, tips);
    return rc;
}

static void similarity_chart(FILE *f, const dv__report *r)
{
    uint64_t v[100] = {0};
    static const char *const tens[10] = {"0.0", "0.1", "0.2", "0.3", "0.4",
                                         "0.5", "0.6", "0.7", "0.8", "0.9"};
    char tipbuf[100][64], nb[27];
    const char *lab[100] = {NULL}, *tips[100];
    size_t b, e;
    dv__svg_vbars c;

    prefix_range(r, "similarity.", &b, &e);
    if (e == b) return;
    for (size_t i = b; i < e; i++) {
        int64_t d = parse_index(str(r->counters[i].key) + strlen("similarity."));
        if (d < 0 || d > 99) continue;
        v[d] += r->counters[i].value;
    }
    for (unsigned i = 0; i < 100; i++) {
        if (i % 10 == 0) lab[i] = tens[i / 10];
        snprintf(tipbuf[i], sizeof(tipbuf[i]), "similarity %u.%02u-%u.%02u: %s", i / 100,
                 i % 100, (i + 1) / 100, (i + 1) % 100, dv__fmt_u64(nb, v[i]));
        tips[i] = tipbuf[i];
    }
    fputs("<h3>Neighbor candidates by similarity</h3>\n", f);
    c = (dv__svg_vbars){"chart-similarity", "Neighbor candidates by similarity",
                        "similarity to the seed (bucket = floor(100 s) / 100)",
                        "candidates", 100, v, NULL, NULL, lab, tips, COLOR_CAND};
    dv__svg_write_vbars(f, &c);
}

static int counts_and_charts(FILE *f, const dv__report *r)
{
    group *lists = NULL, *hashes = NULL, *errs = NULL, *fetch = NULL, *tiers = NULL;
    size_t nl = 0, nh = 0, ne = 0, nf = 0, nt = 0;
    int rc;

    if ((rc = collect(r, "list.", 1, &lists, &nl)) != DV_OK ||
        (rc = collect(r, "hash.", 1, &hashes, &nh)) != DV_OK ||
        (rc = collect(r, "error.", 0, &errs, &ne)) != DV_OK ||
        (rc = collect(r, "fetch.", 0, &fetch, &nf)) != DV_OK ||
        (rc = collect(r, "tier.", 0, &tiers, &nt)) != DV_OK)
        goto out;

    fputs("<h2 id=\"counts\">Counts</h2>\n<h3>Findings per tier</h3>\n", f);
    if (nt == 0)
        fputs("<p class=\"muted\">No findings.</p>\n", f);
    else
        group_table(f, tiers, nt, 0, "tier", "(none)");
    fputs("<h3>Findings per list</h3>\n", f);
    if (nl == 0)
        fputs("<p class=\"muted\">No findings.</p>\n", f);
    else
        group_table(f, lists, nl, 1, "list", "(flags, no list)");
    fputs("<h3>Findings per hash type</h3>\n", f);
    if (nh == 0)
        fputs("<p class=\"muted\">No findings.</p>\n", f);
    else
        group_table(f, hashes, nh, 1, "hash type", "(none)");
    fputs("<h3>Items skipped, by reason</h3>\n", f);
    if (ne == 0)
        fputs("<p class=\"muted\">No items skipped.</p>\n", f);
    else
        group_table(f, errs, ne, 0, "reason", "(unknown)");
    if (nf > 0) {
        fputs("<h3>Fetch results, by class</h3>\n", f);
        group_table(f, fetch, nf, 0, "class", "(unknown)");
    }

    fputs("<h2 id=\"charts\">Charts</h2>\n<h3>Findings per list and tier</h3>\n", f);
    if (nl == 0) fputs("<p class=\"muted\">No findings.</p>\n", f);
    if (nl > 0 &&
        (rc = group_chart(f, "chart-lists", "Findings per list and tier", lists, nl, 1,
                          "(flags, no list)", NULL)) != DV_OK)
        goto out;
    pdq_chart(f, r);
    if ((rc = shard_chart(f, r)) != DV_OK) goto out;
    fputs("<h3>Items skipped, by reason</h3>\n", f);
    if (ne == 0) fputs("<p class=\"muted\">No items skipped.</p>\n", f);
    if (ne > 0 && (rc = group_chart(f, "chart-errors", "Items skipped, by reason", errs, ne, 0,
                                    "(unknown)", COLOR_NEUTRAL)) != DV_OK)
        goto out;
    if (nf > 0) {
        fputs("<h3>Fetch results, by class</h3>\n", f);
        if ((rc = group_chart(f, "chart-fetch", "Fetch results, by class", fetch, nf, 0,
                              "(unknown)", COLOR_NEUTRAL)) != DV_OK)
            goto out;
    }
    similarity_chart(f, r);
out:
    dv__free(NULL, lists);
    dv__free(NULL, hashes);
    dv__free(NULL, errs);
    dv__free(NULL, fetch);
    dv__free(NULL, tiers);
    return rc;
}

static int is_match(const dv__finding *x) { return strcmp(str(x->tier), "match") == 0; }

static void finding_row(FILE *f, size_t num, const dv__finding *x)
{
    char nb[27], fb[32];
    const char *sep = "";
    int m = is_match(x);
    fprintf(f, "<tr><td class=\"n\">%s</td>", dv__fmt_u64(nb, num));
    fprintf(f, "<td class=\"%s\">%s</td>", m ? "tier-match" : "tier-candidate",
            m ? "match" : "candidate (needs verification)");
    cell(f, x->id, "mono");
    fputs("<td>", f);
    dv__html_text(f, str(x->shard), CELL_MAX);
    if (x->row >= 0) fprintf(f, "<br/>row %" PRId64, x->row);
    fputs("</td>", f);
    cell(f, x->url, "mono");
    fputs("<td>", f);
    dv__html_text(f, str(x->hash_type), CELL_MAX);
    if (str(x->source)[0] != '\0') {
        fputs("<br/><span class=\"muted\">", f);
        dv__html_text(f, x->source, CELL_MAX);
        fputs("</span>", f);
    }
    fputs("</td>", f);
    cell(f, x->value, "mono");
    fputs("<td>", f);
    dv__html_text(f, str(x->list), CELL_MAX);
    if (str(x->list_version)[0] != '\0') {
        fputs("<br/><span class=\"muted\">version ", f);
        dv__html_text(f, x->list_version, CELL_MAX);
        fputs("</span>", f);
    }
    fputs("</td><td>", f);
    dv__html_text(f, str(x->entry_id), CELL_MAX);
    if (str(x->label)[0] != '\0') {
        fputs("<br/>", f);
        dv__html_text(f, x->label, CELL_MAX);
    }
    fputs("</td>", f);
    if (x->distance >= 0)
        fprintf(f, "<td class=\"n\">%d</td>", x->distance);
    else
        fputs("<td></td>", f);
    fprintf(f, "<td class=\"n\">%s</td><td>", dv__fmt_fixed(fb, x->score, 3));
    if (str(x->dihedral)[0] != '\0') {
        fputs("dihedral ", f);
        dv__html_text(f, x->dihedral, CELL_MAX);
        sep = "<br/>";
    }
    if (str(x->seed)[0] != '\0') {
        fprintf(f, "%sseed ", sep);
        dv__html_text(f, x->seed, CELL_MAX);
        sep = "<br/>";
    }
    if (str(x->emb_file)[0] != '\0') {
        fprintf(f, "%s<span class=\"mono\">", sep);
        dv__html_text(f, x->emb_file, CELL_MAX);
        if (x->emb_row >= 0) fprintf(f, ":%" PRId64, x->emb_row);
        fputs("</span>", f);
    }
    fputs("</td></tr>\n", f);
}

static void findings_table(FILE *f, const dv__report *r, int matches)
{
    uint64_t total = 0, counted = dv__report_counter(r, matches ? "tier.match" : "tier.candidate");
    size_t shown_n = 0;
    char nb[27];
    for (size_t i = 0; i < r->nfindings; i++)
        if (is_match(&r->findings[i]) == matches) total++;
    /* the findings given may be the first ones only: the scan's count says how many there are */
    if (counted > total) total = counted;
    if (matches)
        fputs("<h2 id=\"matches\">Matches</h2>\n", f);
    else
        fputs("<h2 id=\"candidates\">Candidates (need verification)</h2>\n", f);
    if (total == 0) {
        fprintf(f, "<p class=\"muted\">No %s.</p>\n", matches ? "matches" : "candidates");
        return;
    }
    fputs("<table class=\"findings\"><thead><tr><th>#</th><th>tier</th><th>item id</th>"
          "<th>shard / row</th><th>URL (text, not a link)</th><th>hash type / source</th>"
          "<th>item hash or value</th><th>list / version</th><th>entry id / label</th>"
          "<th>distance</th><th>score</th><th>details</th></tr></thead><tbody>\n",
          f);
    for (size_t i = 0; i < r->nfindings && shown_n < MAX_ROWS; i++) {
        if (is_match(&r->findings[i]) != matches) continue;
        finding_row(f, ++shown_n, &r->findings[i]);
    }
    fputs("</tbody></table>\n", f);
    if (total > shown_n)
        fprintf(f, "<p class=\"note\">%s more %s are not shown here; all are in matches.jsonl "
                   "and matches.parquet.</p>\n",
                dv__fmt_u64(nb, total - shown_n), matches ? "matches" : "candidates");
}

int dv__report_write_html(FILE *f, const dv__report *r)
{
    int rc;
    if (f == NULL || r == NULL) return DV_EINVAL;
    if ((r->nfindings > 0 && r->findings == NULL) || (r->ncounters > 0 && r->counters == NULL))
        return DV_EINVAL;

    fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\"/>\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'\"/>\n"
          "<meta name=\"referrer\" content=\"no-referrer\"/>\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
          "<meta name=\"generator\" content=\"datavet\"/>\n"
          "<title>datavet scan report</title>\n<style>\n",
          f);
    fputs(css, f);
    fputs("</style>\n</head>\n<body>\n<h1>datavet scan report</h1>\n<p class=\"muted mono\">", f);
    dv__html_text(f, str(r->dataset), CELL_MAX);
    fputs("</p>\n", f);
    summary(f, r);
    lists_inputs_params(f, r);
    rc = counts_and_charts(f, r);
    if (rc != DV_OK) return rc;
    findings_table(f, r, 1);
    findings_table(f, r, 0);
    fputs("<p class=\"muted\">Written by datavet ", f);
    dv__html_text(f, str(r->version), CELL_MAX);
    fputs(". No scripts, no external resources.</p>\n</body>\n</html>\n", f);
    if (fflush(f) != 0 || ferror(f)) return DV_EIO;
    return DV_OK;
}
