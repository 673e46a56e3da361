/* test_crypto.c - known-answer tests for MD5, SHA-1 and SHA-256 (RFC 1321, FIPS 180),
 * the one-pass multi-digest, and the item hasher's behaviour on undecodable bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "datavet.h"

static void hex_of(const uint8_t *b, size_t n, char *out) { dv_hex_encode(b, n, out); }

static void check(const void *msg, size_t len, const char *md5, const char *sha1,
                  const char *sha256)
{
    dv_digests d;
    char hex[65];
    assert_int_equal(dv_digests_compute(DV_ALGO_ALL, msg, len, &d), DV_OK);
    assert_int_equal(d.have, DV_ALGO_MD5 | DV_ALGO_SHA1 | DV_ALGO_SHA256);
    hex_of(d.md5, 16, hex);
    assert_string_equal(hex, md5);
    hex_of(d.sha1, 20, hex);
    assert_string_equal(hex, sha1);
    hex_of(d.sha256, 32, hex);
    assert_string_equal(hex, sha256);
}

static void test_kat(void **state)
{
    (void)state;
    check("", 0, "d41d8cd98f00b204e9800998ecf8427e", "da39a3ee5e6b4b0d3255bfef95601890afd80709",
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check("abc", 3, "900150983cd24fb0d6963f7d28e17f72", "a9993e364706816aba3e25717850c26c9cd0d89d",
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
          "8215ef0796a20bcaaae116d3876c664a", "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    check("message digest", 14, "f96b697d7cb7938d525a2f31aaf161d0",
          "c12252ceda8be8994d5fa0290a47231c1d16aae3",
          "f7846f55cf23e14eebeab5b4e1550cad5b509e3348fbc4efa3a1413d393cb650");
}

/* One million 'a': crosses the 64 KiB chunking many times (FIPS 180-2 appendix). */
static void test_million_a(void **state)
{
    size_t n = 1000000;
    char *m = malloc(n);
    (void)state;
    assert_non_null(m);
    memset(m, 'a', n);
    check(m, n, "7707d6ae4e027c70eea2a935c2296f21", "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(m);
}

static void test_subset(void **state)
{
    dv_digests d;
    char hex[65];
    (void)state;
    assert_int_equal(dv_digests_compute(DV_ALGO_SHA1, "abc", 3, &d), DV_OK);
    assert_int_equal(d.have, DV_ALGO_SHA1);
    hex_of(d.sha1, 20, hex);
    assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_int_equal(dv_digests_compute(DV_ALGO_ALL, NULL, 5, &d), DV_EINVAL);
}

/* Bytes that are no image still get digests; PDQ fails with a clear message. */
static void test_hasher_on_garbage(void **state)
{
    dv_hasher *h = dv_hasher_create(NULL);
    dv_hash_result r;
    char hex[65];
    (void)state;
    assert_non_null(h);
    assert_int_equal(dv_hasher_hash(h, "abc", 3, &r), DV_EFORMAT);
    assert_true(strstr(dv_hasher_errmsg(h), "not a JPEG") != NULL);
    hex_of(r.digests.md5, 16, hex);
    assert_string_equal(hex, "900150983cd24fb0d6963f7d28e17f72");
    assert_int_equal(r.has_pdq, 0);
    assert_string_equal(dv_strerror(DV_EFORMAT), "unrecognised or unsupported format");
    assert_string_equal(dv_strerror(12345), "unknown error");
    dv_hasher_free(h);
    dv_hasher_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kat),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_subset),
        cmocka_unit_test(test_hasher_on_garbage),
    };
    return cmocka_run_group_tests_name("crypto", tests, NULL, NULL);
}
