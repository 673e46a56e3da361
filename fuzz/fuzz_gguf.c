/* fuzz_gguf.c - libFuzzer target for the GGUF metadata reader of the inventory: the text is
 * whole NUL-free lines within its capacity, a smaller capacity gives a prefix of it, and the
 * walk without text reads the same pairs. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/io/gguf.h"
#include "datavet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *text, size_t cap, const dv__gguf_info *in)
{
    if (in->text_len >= cap || text[in->text_len] != '\0' || strlen(text) != in->text_len)
        abort();
    if (in->text_len && text[in->text_len - 1] != '\n') abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dv__gguf_info in, bare, small;
    size_t cap = size + 1, small_cap = size ? (size_t)data[size - 1] % 64 + 1 : 1;
    char *text = malloc(cap), *stext = malloc(small_cap);
    int rc;
    if (!text || !stext) abort();
    rc = dv__gguf_read(data, size, text, cap, &in);
    if (dv__gguf_read(data, size, NULL, 0, &bare) != rc) abort();
    if (rc != DV_OK) {
        if ((rc != DV_EFORMAT && rc != DV_ECORRUPT) || text[0] != '\0') abort();
        goto out;
    }
    if (in.version < 1 || in.version > 3 || in.end > size || in.keys_read > in.keys) abort();
    if ((in.stop == NULL) != (in.keys_read == in.keys)) abort();
    check_text(text, cap, &in);
    /* without text: the same walk, unless the text filled up first */
    if (bare.text_len || bare.keys_read < in.keys_read || bare.tensors != in.tensors) abort();
    if (!in.stop || strcmp(in.stop, "the text is full") != 0) {
        if (bare.keys_read != in.keys_read || bare.end != in.end) abort();
        if ((bare.stop == NULL) != (in.stop == NULL)) abort();
        if (bare.stop && strcmp(bare.stop, in.stop) != 0) abort();
    }
    /* another capacity: the same lines, as many as fit */
    if (dv__gguf_read(data, size, stext, small_cap, &small) != DV_OK) abort();
    check_text(stext, small_cap, &small);
    if (small_cap <= cap && small.text_len > in.text_len) abort();
    if (memcmp(stext, text, small.text_len < in.text_len ? small.text_len : in.text_len) != 0)
        abort();
out:
    free(text);
    free(stext);
    return 0;
}
