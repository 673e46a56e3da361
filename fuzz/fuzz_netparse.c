/* fuzz_netparse.c - libFuzzer target for the fetcher's small parsers of server and list input:
 * Retry-After values, the per-host key of a URL, the address classifier on raw bytes,
 * dv_url_redact (a data: URI's content never in its output), dv__url_wire (what a request
 * line can carry) and dv_data_uri_decode (its
 * output within the documented bound, and the same bytes with a smaller buffer). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../src/common/common.h"
#include "../src/net/net_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t secs = 0;
    char key[300];
    char tiny[6];
    int rc;
    if (size > 4096) return 0;
    rc = dv__retry_after_parse((const char *)data, size, 784111777, &secs);
    if (rc != 0 && rc != -1) abort();
    if (rc == 0 && secs > 1000000000u) abort();
    rc = dv__url_host_key((const char *)data, size, key, sizeof(key));
    if (rc < -1 || rc > 2) abort();
    if (rc > 0 && (strlen(key) >= sizeof(key) || strchr(key, ':') == NULL)) abort();
    rc = dv__url_host_key((const char *)data, size, tiny, sizeof(tiny));
    if (rc > 0 && strlen(tiny) >= sizeof(tiny)) abort();
    {
        /* as a NUL-terminated URL: a data: URI comes back bounded, its content left out */
        char *u = malloc(size + 1), red[DV_URL_REDACT_CAP];
        char *big = malloc(DV_URL_REDACT_BOUND(size)), *again = malloc(DV_URL_REDACT_BOUND(size));
        const char *o, *ob;
        if (u == NULL || big == NULL || again == NULL) {
            free(u), free(big), free(again);
            return 0;
        }
        memcpy(u, data, size);
        u[size] = '\0';
        {
            /* the URL as requested: nothing a request line cannot carry after the host, no
             * tab or line break anywhere, nothing blank around, at most 3 bytes a byte */
            int same = 0;
            char *w = dv__url_wire(NULL, u, &same);
            const char *wp = w ? w : u, *auth;
            size_t wl = strlen(wp), he;
            if (w == NULL && !same) abort();
            if (w != NULL && (same || wl > 3 * strlen(u))) abort();
            if (strpbrk(wp, "\t\n\r") != NULL ||
                (wl > 0 && ((unsigned char)wp[0] <= 0x20 || (unsigned char)wp[wl - 1] <= 0x20)))
                abort();
            auth = strstr(wp, "://");
            he = auth ? (size_t)(auth - wp) + 3 : 0;
            he += strcspn(wp + he, "/?#");
            for (size_t i = he; i < wl; i++) {
                unsigned char c = (unsigned char)wp[i];
                if (c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '`') abort();
            }
            dv__free(NULL, w);
        }
        /* base64 of an image past the authority (not a data: URI, whose redaction
         * starts "data:"): withheld, never longer, and none is left */
        ob = dv_url_redact(u, big, DV_URL_REDACT_BOUND(size));
        if (ob == big && strncmp(big, "data:", 5) != 0 &&
            (strlen(big) > strlen(u) ||
             (strstr(big, " bytes withheld>") == NULL && strstr(big, "<withheld>") == NULL) ||
             dv_url_redact(big, again, DV_URL_REDACT_BOUND(size)) != big))
            abort();
        free(again);
        o = dv_url_redact(u, red, sizeof red);
        {
            const char *t = u;
            while (*t == ' ' || *t == '\t' || *t == '\r' || *t == '\n') t++;
            memmove(u, t, strlen(t) + 1); /* the checks below read the URI from "data:" on */
        }
        if (strncasecmp(u, "data:", 5) != 0) {
            /* the same as with room for it, or a fixed text, never the URL */
            if (o != u && (ob != big || (strcmp(o, big) != 0 &&
                                         strcmp(o, "<URL withheld: it holds an image>") != 0)))
                abort();
        } else {
            /* "data:" + at most 48 bytes of u before its first comma + "," or "...," +
             * "<N bytes withheld>": nothing after u's first comma is copied */
            const char *lt = strrchr(o, '<');
            size_t head, keep;
            if (o == u || strlen(o) >= sizeof red || lt == NULL ||
                strcmp(lt + 1 + strspn(lt + 1, "0123456789"), " bytes withheld>") != 0)
                abort();
            head = (size_t)(lt - o);
            if (head >= 4 && memcmp(lt - 4, "...,", 4) == 0) keep = head - 4;
            else if (head >= 1 && lt[-1] == ',') keep = head - 1;
            else abort();
            if (keep < 5 || keep > 53 || strncasecmp(o, "data:", 5) != 0 ||
                memcmp(o + 5, u + 5, keep - 5) != 0 || memchr(u + 5, ',', keep - 5) != NULL)
                abort();
        }
        free(u);
        free(big);
    }
    {
        /* the raw bytes as a data: URI (NULs inside included): 3 (len / 4) + 3 is enough */
        size_t cap = 3 * (size / 4) + 3, got = 0, got2 = 0, mo = 0, ml = 0;
        uint8_t *out = malloc(cap), *out2 = malloc(cap);
        if (out == NULL || out2 == NULL) abort();
        rc = dv_data_uri_decode((const char *)data, size, out, cap, &got, &mo, &ml);
        if (rc != DV_OK && rc != DV_EINVAL && rc != DV_ECORRUPT) abort();
        if (rc == DV_OK) {
            if (got > cap || mo < 5 || mo + ml > size) abort();
            if (got > 0) {
                /* one byte short: DV_ETOOBIG with the same first bytes */
                if (dv_data_uri_decode((const char *)data, size, out2, got - 1, &got2, NULL,
                                       NULL) != DV_ETOOBIG ||
                    memcmp(out, out2, got - 1) != 0)
                    abort();
            }
        }
        free(out);
        free(out2);
    }
    if (size >= 16) {
        dv_addr_class c4 = dv_addr_classify(4, data), c6 = dv_addr_classify(6, data);
        if ((c4 & ~DV_ADDR_ALL) || (c6 & ~DV_ADDR_ALL)) abort();
        if (dv_addr_class_name(c4)[0] == '\0' || dv_addr_class_name(c6)[0] == '\0') abort();
    }
    return 0;
}
