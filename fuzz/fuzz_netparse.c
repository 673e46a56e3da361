/* fuzz_netparse.c - libFuzzer target for the fetcher's small parsers of server and list input:
 * Retry-After values, the per-host key of a URL, and the address classifier on raw bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
    if (size >= 16) {
        dv_addr_class c4 = dv_addr_classify(4, data), c6 = dv_addr_classify(6, data);
        if ((c4 & ~DV_ADDR_ALL) || (c6 & ~DV_ADDR_ALL)) abort();
        if (dv_addr_class_name(c4)[0] == '\0' || dv_addr_class_name(c6)[0] == '\0') abort();
    }
    return 0;
}
