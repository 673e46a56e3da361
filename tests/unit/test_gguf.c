/* test_gguf.c - the GGUF metadata reader of the inventory: the text of a small file of every
 * value type, versions 1-3 in both byte orders, every truncation, huge lengths and counts,
 * nested arrays and their limit, tokenizer keys left out, a text buffer too small. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "io/gguf.h"
#include "scan/scan_internal.h"

/* A GGUF file being written: numbers in the byte order and widths of its version. */
typedef struct gb {
    uint8_t p[8192];
    size_t len;
    int be, version;
} gb;

static void num(gb *b, uint64_t v, size_t n)
{
    assert_true(b->len + n <= sizeof b->p);
    for (size_t i = 0; i < n; i++)
        b->p[b->len + i] = (uint8_t)(v >> (8 * (b->be ? n - 1 - i : i)));
    b->len += n;
}

static void count(gb *b, uint64_t v)
{
    num(b, v, b->version == 1 ? 4 : 8);
}

static void bytes(gb *b, const void *s, size_t n)
{
    assert_true(b->len + n <= sizeof b->p);
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void str(gb *b, const char *s)
{
    count(b, strlen(s));
    bytes(b, s, strlen(s));
}

static void start(gb *b, int version, int be, uint64_t tensors, uint64_t keys)
{
    memset(b, 0, sizeof *b);
    b->version = version;
    b->be = be;
    bytes(b, "GGUF", 4);
    num(b, (uint64_t)version, 4);
    count(b, tensors);
    count(b, keys);
}

/* key and type: the value follows */
static void key(gb *b, const char *k, uint32_t type)
{
    str(b, k);
    num(b, type, 4);
}

static void kv_str(gb *b, const char *k, const char *v)
{
    key(b, k, 8);
    str(b, v);
}

static void arr(gb *b, uint32_t elem, uint64_t n)
{
    num(b, elem, 4);
    count(b, n);
}

#define SAMPLE_KEYS 20
static const char sample_text[] =
    "general.architecture: llama\n"
    "general.name: tiny\n"
    "general.datasets: laion/laion2B-en\n"
    "general.datasets: coco\n"
    "x.nested: a\n"
    "x.nested: b\n"
    "x.nested: c\n"
    "general.dataset.0.name: LAION-5B\n";

/* Every value type; the metadata ends at *meta_end, tensor infos follow. */
static void sample(gb *b, int version, int be, size_t *meta_end)
{
    static const uint8_t sizes[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    start(b, version, be, 2, SAMPLE_KEYS);
    kv_str(b, "general.architecture", "llama");
    kv_str(b, "general.name", "tiny");
    key(b, "llama.context_length", 4);
    num(b, 2048, 4);
    key(b, "general.datasets", 9);
    arr(b, 8, 2);
    str(b, "laion/laion2B-en");
    str(b, "coco");
    /* a vocabulary and a template: words of every kind, never searched */
    key(b, "tokenizer.ggml.tokens", 9);
    arr(b, 8, 3);
    str(b, "<s>");
    str(b, "vocabword");
    str(b, "laion/laion2B-en");
    kv_str(b, "tokenizer.chat_template", "{% templateword %}");
    for (uint32_t t = 0; t <= 12; t++) {
        char k[16];
        if (!sizes[t]) continue;
        snprintf(k, sizeof k, "t.%u", t);
        key(b, k, t);
        num(b, 0x0102030405060708u, sizes[t]);
    }
    /* [["a", "b"], [], ["c"]] */
    key(b, "x.nested", 9);
    arr(b, 9, 3);
    arr(b, 8, 2);
    str(b, "a");
    str(b, "b");
    arr(b, 4, 0);
    arr(b, 8, 1);
    str(b, "c");
    key(b, "x.ints", 9);
    arr(b, 4, 3);
    for (int i = 0; i < 3; i++) num(b, (uint64_t)i, 4);
    kv_str(b, "general.dataset.0.name", "LAION-5B");
    *meta_end = b->len;
    /* a tensor info, not read: a name that is words */
    str(b, "blk.0.laion_5b.weight");
    num(b, 1, 4);
}

static int read_copy(const gb *b, size_t len, char *text, size_t cap, dv__gguf_info *info)
{
    /* an exact-size copy, so a read past the end is a sanitizer error */
    uint8_t *p = malloc(len ? len : 1);
    int rc;
    assert_non_null(p);
    memcpy(p, b->p, len);
    rc = dv__gguf_read(p, len, text, cap, info);
    free(p);
    return rc;
}

static void test_valid(void **state)
{
    gb b;
    size_t end;
    char text[1024];
    dv__gguf_info in;
    (void)state;
    sample(&b, 3, 0, &end);
    assert_int_equal(read_copy(&b, b.len, text, sizeof text, &in), DV_OK);
    assert_int_equal(in.version, 3);
    assert_int_equal(in.big_endian, 0);
    assert_int_equal(in.tensors, 2);
    assert_int_equal(in.keys, SAMPLE_KEYS);
    assert_int_equal(in.keys_read, SAMPLE_KEYS);
    assert_null(in.stop);
    assert_int_equal(in.end, end);
    assert_string_equal(text, sample_text);
    assert_int_equal(in.text_len, strlen(sample_text));
    assert_null(strstr(text, "vocabword"));
    assert_null(strstr(text, "templateword"));
    /* no text: the same walk */
    assert_int_equal(dv__gguf_read(b.p, b.len, NULL, 0, &in), DV_OK);
    assert_int_equal(in.keys_read, SAMPLE_KEYS);
    assert_int_equal(in.text_len, 0);
    assert_null(in.stop);
}

static void test_versions_and_byte_orders(void **state)
{
    (void)state;
    for (int version = 1; version <= 3; version++) {
        for (int be = 0; be <= 1; be++) {
            gb b;
            size_t end;
            char text[1024];
            dv__gguf_info in;
            sample(&b, version, be, &end);
            assert_int_equal(read_copy(&b, b.len, text, sizeof text, &in), DV_OK);
            assert_int_equal(in.version, version);
            assert_int_equal(in.big_endian, be);
            assert_int_equal(in.tensors, 2);
            assert_int_equal(in.keys_read, SAMPLE_KEYS);
            assert_int_equal(in.end, end);
            assert_null(in.stop);
            assert_string_equal(text, sample_text);
        }
    }
}

/* Every prefix: no read past it, whole lines only, a prefix of the whole text. */
static void test_truncated_everywhere(void **state)
{
    (void)state;
    for (int version = 1; version <= 3; version++) {
        for (int be = 0; be <= 1; be++) {
            gb b;
            size_t end, head = version == 1 ? 16 : 24;
            uint64_t last = 0;
            sample(&b, version, be, &end);
            for (size_t cut = 0; cut <= b.len; cut++) {
                char text[1024];
                dv__gguf_info in;
                int rc = read_copy(&b, cut, text, sizeof text, &in);
                if (cut < head) {
                    assert_int_equal(rc, DV_ECORRUPT);
                    assert_string_equal(text, "");
                    continue;
                }
                assert_int_equal(rc, DV_OK);
                assert_true(in.keys_read >= last);
                last = in.keys_read;
                assert_true(in.end <= cut);
                assert_int_equal(in.text_len, strlen(text));
                assert_memory_equal(text, sample_text, in.text_len);
                assert_true(in.text_len == 0 || text[in.text_len - 1] == '\n');
                if (cut < end) {
                    assert_non_null(in.stop);
                    assert_string_equal(in.stop, "the bytes given end inside the metadata");
                    assert_true(in.keys_read < SAMPLE_KEYS);
                } else {
                    assert_null(in.stop);
                    assert_string_equal(text, sample_text);
                }
            }
        }
    }
}

static void expect_stop(const gb *b, const char *stop, uint64_t keys_read, const char *text_want)
{
    char text[1024];
    dv__gguf_info in;
    assert_int_equal(read_copy(b, b->len, text, sizeof text, &in), DV_OK);
    assert_non_null(in.stop);
    assert_string_equal(in.stop, stop);
    assert_int_equal(in.keys_read, keys_read);
    assert_string_equal(text, text_want);
}

static void test_huge(void **state)
{
    static const char short_[] = "the bytes given end inside the metadata";
    gb b;
    (void)state;
    /* a string of 2^63 bytes */
    start(&b, 3, 0, 0, 2);
    kv_str(&b, "general.name", "x");
    key(&b, "general.description", 8);
    count(&b, UINT64_C(1) << 63);
    bytes(&b, "LAION", 5);
    expect_stop(&b, short_, 1, "general.name: x\n");
    /* arrays of 2^63 and 2^64 - 1 fixed-size values (the product would wrap) */
    for (uint32_t t = 0; t <= 12; t++) {
        if (t == 8 || t == 9) continue;
        start(&b, 3, 0, 0, 1);
        key(&b, "x.a", 9);
        arr(&b, t, t & 1 ? UINT64_MAX : UINT64_C(1) << 63);
        num(&b, 0, 8);
        expect_stop(&b, short_, 0, "");
    }
    /* 2^63 strings, three of them there */
    start(&b, 3, 0, 0, 1);
    key(&b, "general.tags", 9);
    arr(&b, 8, UINT64_C(1) << 63);
    str(&b, "one");
    str(&b, "two");
    str(&b, "three");
    expect_stop(&b, short_, 0, "general.tags: one\ngeneral.tags: two\ngeneral.tags: three\n");
    /* 2^64 - 1 empty arrays, a hundred of them there */
    start(&b, 3, 0, 0, 1);
    key(&b, "x.a", 9);
    arr(&b, 9, UINT64_MAX);
    for (int i = 0; i < 100; i++) arr(&b, 8, 0);
    expect_stop(&b, short_, 0, "");
    /* 2^64 - 1 keys, one there */
    start(&b, 3, 0, UINT64_MAX, UINT64_MAX);
    kv_str(&b, "general.name", "x");
    expect_stop(&b, short_, 1, "general.name: x\n");
    /* a key of 2^64 - 1 bytes, one of 65536 (over the format's limit), one past the end */
    start(&b, 3, 0, 0, 1);
    count(&b, UINT64_MAX);
    expect_stop(&b, "a key longer than 65535 bytes", 0, "");
    start(&b, 3, 0, 0, 1);
    count(&b, 65536);
    expect_stop(&b, "a key longer than 65535 bytes", 0, "");
    start(&b, 3, 0, 0, 1);
    count(&b, 100);
    bytes(&b, "general.name", 12);
    expect_stop(&b, short_, 0, "");
    /* version 1: 32-bit counts, 2^32 - 1 */
    start(&b, 1, 0, 0, 1);
    key(&b, "general.tags", 9);
    arr(&b, 8, UINT32_MAX);
    str(&b, "one");
    expect_stop(&b, short_, 0, "general.tags: one\n");
}

static void nest(gb *b, int levels)
{
    start(b, 3, 0, 0, 1);
    key(b, "x.deep", 9);
    for (int i = 1; i < levels; i++) arr(b, 9, 1);
    arr(b, 8, 1);
    str(b, "bottom");
}

static void test_nesting_limit(void **state)
{
    gb b;
    char text[256];
    dv__gguf_info in;
    (void)state;
    nest(&b, DV__GGUF_MAX_DEPTH);
    assert_int_equal(read_copy(&b, b.len, text, sizeof text, &in), DV_OK);
    assert_null(in.stop);
    assert_string_equal(text, "x.deep: bottom\n");
    nest(&b, DV__GGUF_MAX_DEPTH + 1);
    expect_stop(&b, "arrays nested too deep", 0, "");
    /* hundreds of levels: stops at the limit, whatever the stack */
    start(&b, 3, 0, 0, 1);
    key(&b, "x.deep", 9);
    while (b.len + 12 <= sizeof b.p) arr(&b, 9, 1);
    expect_stop(&b, "arrays nested too deep", 0, "");
}

static void test_tokenizer_left_out(void **state)
{
    gb b;
    size_t end;
    char text[1024], err[256];
    const char *term = NULL;
    dv__terms *t = NULL;
    static const char names[] = "vocabword\ntemplateword\n";
    static const char names2[] = "vocabword\nLAION/laion2b-EN\n";
    dv__gguf_info in;
    (void)state;
    sample(&b, 3, 0, &end);
    assert_int_equal(dv__gguf_read(b.p, b.len, text, sizeof text, &in), DV_OK);
    /* as the inventory searches it */
    assert_int_equal(dv__terms_parse("n", names, strlen(names), NULL, &t, err, sizeof err), DV_OK);
    assert_int_equal(dv__terms_find(t, text, &term), -1);
    dv__terms_free(t);
    assert_int_equal(dv__terms_parse("n", names2, strlen(names2), NULL, &t, err, sizeof err),
                     DV_OK);
    assert_int_equal(dv__terms_find(t, text, &term), 1);
    assert_string_equal(term, "LAION/laion2b-EN");
    dv__terms_free(t);
    /* only the prefix "tokenizer." counts */
    start(&b, 3, 0, 0, 3);
    kv_str(&b, "tokenizer", "a");
    kv_str(&b, "tokenizers.x", "b");
    kv_str(&b, "tokenizer.", "c");
    assert_int_equal(dv__gguf_read(b.p, b.len, text, sizeof text, &in), DV_OK);
    assert_string_equal(text, "tokenizer: a\ntokenizers.x: b\n");
}

static void test_text_full(void **state)
{
    gb b;
    size_t end;
    char text[64];
    dv__gguf_info in;
    (void)state;
    sample(&b, 3, 0, &end);
    /* the whole lines that fit with a NUL after them, then a stop */
    for (size_t cap = 1; cap <= sizeof text; cap++) {
        size_t want = 0;
        for (const char *nl = sample_text; (nl = strchr(nl, '\n')) != NULL; nl++)
            if ((size_t)(nl - sample_text) + 1 < cap) want = (size_t)(nl - sample_text) + 1;
        memset(text, 'z', sizeof text);
        assert_int_equal(dv__gguf_read(b.p, b.len, text, cap, &in), DV_OK);
        assert_non_null(in.stop);
        assert_string_equal(in.stop, "the text is full");
        assert_int_equal(in.text_len, want);
        assert_int_equal(text[in.text_len], '\0');
        assert_memory_equal(text, sample_text, in.text_len);
    }
    /* cap 0: nothing written, the walk as without text */
    text[0] = 'z';
    assert_int_equal(dv__gguf_read(b.p, b.len, text, 0, &in), DV_OK);
    assert_int_equal(text[0], 'z');
    assert_null(in.stop);
}

static void test_not_gguf(void **state)
{
    gb b;
    char text[64];
    dv__gguf_info in;
    (void)state;
    assert_int_equal(dv__gguf_read(NULL, 0, text, sizeof text, &in), DV_ECORRUPT);
    assert_int_equal(dv__gguf_read("GGU", 3, text, sizeof text, &in), DV_ECORRUPT);
    assert_int_equal(dv__gguf_read("GGML\3\0\0\0", 8, text, sizeof text, &in), DV_EFORMAT);
    assert_int_equal(dv__gguf_read("ggufxxxx", 8, text, sizeof text, &in), DV_EFORMAT);
    start(&b, 4, 0, 0, 0);
    assert_int_equal(dv__gguf_read(b.p, b.len, text, sizeof text, &in), DV_EFORMAT);
    assert_int_equal(in.version, 4);
    start(&b, 0, 0, 0, 0);
    assert_int_equal(dv__gguf_read(b.p, b.len, text, sizeof text, &in), DV_EFORMAT);
    start(&b, 4, 1, 0, 0);
    assert_int_equal(dv__gguf_read(b.p, b.len, text, sizeof text, &in), DV_EFORMAT);
    /* no pairs at all */
    start(&b, 3, 0, 7, 0);
    assert_int_equal(dv__gguf_read(b.p, b.len, text, sizeof text, &in), DV_OK);
    assert_null(in.stop);
    assert_int_equal(in.tensors, 7);
    assert_int_equal(in.end, 24);
}

static void test_odd_values(void **state)
{
    gb b;
    char text[128];
    dv__gguf_info in;
    (void)state;
    /* NUL bytes inside a value become spaces: the search reads to a NUL */
    start(&b, 3, 0, 0, 2);
    key(&b, "general.description", 8);
    count(&b, 11);
    bytes(&b, "a\0LAION-5B", 11);
    kv_str(&b, "general.name", "");
    assert_int_equal(dv__gguf_read(b.p, b.len, text, sizeof text, &in), DV_OK);
    assert_null(in.stop);
    assert_int_equal(in.text_len, strlen(text));
    assert_string_equal(text, "general.description: a LAION-5B \ngeneral.name: \n");
    /* a value type that is not GGUF's, as a value and as an array's */
    start(&b, 3, 0, 0, 2);
    kv_str(&b, "general.name", "x");
    key(&b, "x.y", 13);
    num(&b, 0, 8);
    expect_stop(&b, "a value type that is not GGUF's", 1, "general.name: x\n");
    start(&b, 3, 0, 0, 1);
    key(&b, "x.y", 9);
    arr(&b, 0xffffffffu, 1);
    expect_stop(&b, "a value type that is not GGUF's", 0, "");
    /* an empty key and an empty array of strings */
    start(&b, 3, 0, 0, 2);
    kv_str(&b, "", "v");
    key(&b, "general.tags", 9);
    arr(&b, 8, 0);
    assert_int_equal(dv__gguf_read(b.p, b.len, text, sizeof text, &in), DV_OK);
    assert_null(in.stop);
    assert_string_equal(text, ": v\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_versions_and_byte_orders),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_huge),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_tokenizer_left_out),
        cmocka_unit_test(test_text_full),
        cmocka_unit_test(test_not_gguf),
        cmocka_unit_test(test_odd_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
