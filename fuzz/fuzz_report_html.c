/* fuzz_report_html.c - libFuzzer target for report.html (src/report/report_html.c, report_svg.c):
 * hostile strings and counters (NUL-separated fields) must give valid UTF-8 with no markup of
 * their own. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp_counter(const void *a, const void *b)
{
    return strcmp(((const dv__counter *)a)->key, ((const dv__counter *)b)->key);
}

static int valid_utf8(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char b = p[i];
        size_t k;
        unsigned lo = 0x80, hi = 0xBF;
        if (b < 0x80) { i++; continue; }
        if (b >= 0xC2 && b <= 0xDF) k = 1;
        else if (b >= 0xE0 && b <= 0xEF) { k = 2; if (b == 0xE0) lo = 0xA0; if (b == 0xED) hi = 0x9F; }
        else if (b >= 0xF0 && b <= 0xF4) { k = 3; if (b == 0xF0) lo = 0x90; if (b == 0xF4) hi = 0x8F; }
        else return 0;
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || p[i + j] < lo || p[i + j] > hi) return 0;
            lo = 0x80;
            hi = 0xBF;
        }
        i += k + 1;
    }
    return 1;
}

static size_t count(const char *h, size_t n, const char *needle)
{
    size_t c = 0, l = strlen(needle);
    for (size_t i = 0; i + l <= n; i++)
        if (memcmp(h + i, needle, l) == 0) c++;
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum { NS = 24 };
    static const char *const prefixes[] = {"list.", "hash.", "error.", "fetch.", "tier.",
                                           "shard_items.", "pdq_distance.", "similarity."};
    char *copy, *s[NS], *out = NULL;
    size_t ns = 0, olen = 0;
    dv__finding fi[2];
    dv__counter c[8];
    char keys[8][96];
    dv__report_list l;
    dv__report r;
    FILE *f;
    if (size > 1 << 16) return 0;
    copy = malloc(size + 1);
    if (copy == NULL) return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    for (char *p = copy; ns < NS;) {
        s[ns++] = p;
        p += strlen(p);
        if (p >= copy + size) break;
        p++;
    }
    while (ns < NS) s[ns++] = "";
    for (int i = 0; i < 2; i++)
        fi[i] = (dv__finding){s[0], s[1], i, (int64_t)size, s[2], s[3], s[4], s[5], s[6], s[7],
                              s[8], s[9], s[10], (int)(size % 70) - 1, s[11], (double)size / 7,
                              i ? "match" : s[12], s[13], s[14], i - 1, s[0], s[1],
                              s[2], s[3], (int)(size % 102) - 1};
    for (int i = 0; i < 8; i++) {
        snprintf(keys[i], sizeof(keys[i]), "%s%s", prefixes[i], s[15 + i]);
        c[i] = (dv__counter){keys[i], (uint64_t)size * (uint64_t)(i + 1) << (size % 40)};
    }
    qsort(c, 8, sizeof(c[0]), cmp_counter);
    l = (dv__report_list){s[16], s[17], s[18], s[19], s[20], size};
    r = (dv__report){s[21], s[22], s[23], size % 1000, fi, 2, c, 8, &l, 1, NULL, 0, NULL, NULL, 0,
                     s[1]};
    f = open_memstream(&out, &olen);
    if (f != NULL) {
        int rc = dv__report_write_html(f, &r);
        fclose(f);
        if (rc == DV_OK) {
            if (!valid_utf8((const unsigned char *)out, olen)) abort();
            if (count(out, olen, "<script") != 0) abort();
            if (count(out, olen, "<tr>") != count(out, olen, "</tr>")) abort();
            if (count(out, olen, "<svg") != count(out, olen, "</svg>")) abort();
            if (count(out, olen, "<td") != count(out, olen, "</td>")) abort();
            if (count(out, olen, "<li>") != count(out, olen, "</li>")) abort();
        }
        free(out);
    }
    free(copy);
    return 0;
}
