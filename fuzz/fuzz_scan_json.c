/* fuzz_scan_json.c - libFuzzer target for the CLI's bounded reader of scan.json string members
 * (cli/text_util.c, compiled in): the first byte picks the key, the rest is the document. The
 * whole input also goes through cli_image_kind, inspect --head's image signature check (raw
 * bytes, data:image/ URIs and base64 text of a signature), as a value copied to a buffer of
 * exactly its size (ASan catches a read past it). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../cli/text_util.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const keys[] = {"dataset", "started", "datavet_version", "a", ""};
    char *out = (char *)1;
    int rc;
    if (size < 1) return 0;
    {
        uint8_t *v = malloc(size);
        const char *k;
        if (v == NULL) return 0;
        memcpy(v, data, size);
        k = cli_image_kind(v, size);
        /* a name, and only for inputs that can hold a signature */
        if (k != NULL && (k[0] == '\0' || size < 2)) abort();
        /* base64 of a signature takes at least "/9j/" (FF D8 FF); of JPEG XL, only the 12-byte
         * container signature (16 digits), never a bare codestream's two bytes ("/wo") */
        if (k != NULL && strncmp(k, "base64 ", 7) == 0 &&
            (size < 4 || (strcmp(k + 7, "jxl") == 0 && size < 16)))
            abort();
        free(v);
    }
    rc = cli_json_top_string((const char *)data + 1, size - 1, keys[data[0] % 5], &out);
    if (rc < -2 || rc > 1) abort();
    if (rc != 1 && out != NULL) abort();
    if (rc == 1) {
        size_t n;
        if (out == NULL) abort();
        n = strlen(out);
        if (n > 3 * size) abort();
        /* the decoded value is valid UTF-8 */
        for (size_t i = 0; i < n;) {
            uint32_t c;
            size_t k = dv_utf8_next((const uint8_t *)out + i, n - i, &c);
            if (c == DV_UTF8_BAD) abort();
            i += k;
        }
        free(out);
    }
    return 0;
}
