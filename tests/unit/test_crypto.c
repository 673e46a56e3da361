/* test_crypto.c - known-answer tests for MD5, SHA-1 and SHA-256 (RFC 1321, FIPS 180),
 * the one-pass multi-digest, multi-buffer MD5 (every kernel against OpenSSL's), and the
 * item hasher's behaviour on undecodable bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datavet.h"
#include "common/common.h"
#include "hash/mbhash.h"

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

/* Multi-buffer MD5, SHA-1 and SHA-256, every kernel here and the scalar twin, against OpenSSL's
 * (through dv_digests_compute): lengths around every block and padding edge, long messages
 * next to short ones (lanes idle and refilled, a last one alone), unaligned starts, counts
 * below and above the lanes, orders given and not, and RFC 1321's and FIPS 180's vectors
 * (SHA-1's also from RFC 3174 and the well-known pangram). */
static void check_many(const dv__mb_algo *a, unsigned bit, size_t dlen, const char *const (*kat)[2],
                       int nkat)
{
    const dv_simd paths[3] = {DV_SIMD_SCALAR, DV_SIMD_AVX2, DV_SIMD_AVX512};
    const size_t big = 300000, nmax = 70;
    uint8_t *pool = malloc(big + 64), (*got)[32] = malloc(nmax * 32);
    const uint8_t *msg[70];
    size_t len[70];
    uint64_t x = 0x9E3779B97F4A7C15ull;
    assert_non_null(pool);
    assert_non_null(got);
    for (size_t i = 0; i < big + 64; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        pool[i] = (uint8_t)(x >> 32);
    }
    for (int p = 0; p < 3; p++) {
        int tested = 0;
        if (!dv_simd_available(paths[p])) {
            print_message("mbhash: no %s here, its kernel is not tested\n", dv_simd_name(paths[p]));
            continue;
        }
        for (int i = 0; i < nkat; i++) {
            msg[i] = (const uint8_t *)kat[i][0];
            len[i] = strlen(kat[i][0]);
        }
        msg[0] = NULL; /* an empty message needs no bytes */
        dv__mb_many(a, msg, len, (size_t)nkat, paths[p], NULL, got[0], 32);
        for (int i = 0; i < nkat; i++) {
            char hex[65];
            dv_hex_encode(got[i], dlen, hex);
            assert_string_equal(hex, kat[i][1]);
        }
        /* every count up to nmax, lengths 0..200 (each padding case) and some long ones */
        for (size_t n = 1; n <= nmax; n += (n < 20 ? 1 : 7)) {
            for (size_t i = 0; i < n; i++) {
                size_t off = (i * 37 + n) % 61;
                len[i] = (i * 13 + n * 7) % 201;
                if (i % 9 == 4) len[i] = big - off - (i % 5);
                msg[i] = pool + off;
            }
            /* natural order, and the reverse */
            if (n % 2) {
                dv__mb_many(a, msg, len, n, paths[p], NULL, got[0], 32);
            } else {
                size_t ord[70];
                for (size_t i = 0; i < n; i++) ord[i] = n - 1 - i;
                dv__mb_many(a, msg, len, n, paths[p], ord, got[0], 32);
            }
            for (size_t i = 0; i < n; i++) {
                dv_digests d;
                assert_int_equal(dv_digests_compute(bit, msg[i], len[i], &d), DV_OK);
                assert_memory_equal(got[i],
                                    bit == DV_ALGO_MD5    ? d.md5
                                    : bit == DV_ALGO_SHA1 ? d.sha1
                                                          : d.sha256,
                                    dlen);
                tested++;
            }
        }
        assert_true(tested > 300);
    }
    free(pool);
    free(got);
}

static void test_md5_many(void **state)
{
    static const char *const rfc[7][2] = {
        {"", "d41d8cd98f00b204e9800998ecf8427e"},
        {"a", "0cc175b9c0f1b6a831c399e269772661"},
        {"abc", "900150983cd24fb0d6963f7d28e17f72"},
        {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
        {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
         "d174ab98d277d9f5a5611c2c9f419d9f"},
        {"1234567890123456789012345678901234567890"
         "1234567890123456789012345678901234567890",
         "57edf4a22be3c955ac49da2e2107b67a"}};
    (void)state;
    check_many(&dv__mb_md5, DV_ALGO_MD5, 16, rfc, 7);
}

static void test_sha1_many(void **state)
{
    static const char *const fips[4][2] = {
        {"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
        {"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
        {"The quick brown fox jumps over the lazy dog",
         "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"}};
    (void)state;
    check_many(&dv__mb_sha1, DV_ALGO_SHA1, 20, fips, 4);
}

static void test_sha256_many(void **state)
{
    static const char *const fips[3][2] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"}};
    (void)state;
    check_many(&dv__mb_sha256, DV_ALGO_SHA256, 32, fips, 3);
}

/* dv_digests_compute_many and dv_hasher_hash_digested give what one-by-one calls give. */
static void test_digests_many(void **state)
{
    enum { N = 23 };
    const void *bufs[N];
    size_t lens[N];
    dv_digests many[N];
    uint8_t *data = malloc(N * 1000);
    dv_hasher *h;
    (void)state;
    assert_non_null(data);
    for (size_t i = 0; i < N * 1000; i++) data[i] = (uint8_t)(i * 7 + (i >> 8));
    for (size_t i = 0; i < N; i++) {
        bufs[i] = data + i * 1000;
        lens[i] = i * 41 % 1000;
    }
    for (int lanes = 0; lanes < 2; lanes++) {
        /* as the CPU decides, then both lane algorithms whatever it is */
        if (lanes)
            assert_int_equal(dv__digests_many_lanes(DV_ALGO_ALL,
                                                    DV_ALGO_MD5 | DV_ALGO_SHA1 | DV_ALGO_SHA256,
                                                    bufs, lens, N, many), DV_OK);
        else
            assert_int_equal(dv_digests_compute_many(DV_ALGO_ALL, bufs, lens, N, many), DV_OK);
        for (size_t i = 0; i < N; i++) {
            dv_digests one;
            assert_int_equal(dv_digests_compute(DV_ALGO_ALL, bufs[i], lens[i], &one), DV_OK);
            assert_int_equal(many[i].have, one.have);
            assert_memory_equal(&many[i], &one, sizeof(one));
        }
    }
    /* one long message among short ones (it goes to OpenSSL alone), and two */
    for (int twice = 0; twice < 2; twice++) {
        uint8_t *lng = malloc(200000);
        assert_non_null(lng);
        memset(lng, 0x5a, 200000);
        for (size_t i = 0; i < 10; i++) {
            bufs[i] = (i == 2 || (twice && i == 7)) ? lng : data + i * 100;
            lens[i] = (i == 2 || (twice && i == 7)) ? 200000 - i : 100 + i;
        }
        assert_int_equal(dv__digests_many_lanes(DV_ALGO_MD5 | DV_ALGO_SHA1 | DV_ALGO_SHA256,
                                                DV_ALGO_MD5 | DV_ALGO_SHA1 | DV_ALGO_SHA256, bufs,
                                                lens, 10, many),
                         DV_OK);
        for (size_t i = 0; i < 10; i++) {
            dv_digests one;
            assert_int_equal(dv_digests_compute(DV_ALGO_MD5 | DV_ALGO_SHA1 | DV_ALGO_SHA256,
                                                bufs[i], lens[i], &one),
                             DV_OK);
            assert_memory_equal(&many[i], &one, sizeof(one));
        }
        free(lng);
    }
    for (size_t i = 0; i < N; i++) {
        bufs[i] = data + i * 1000;
        lens[i] = i * 41 % 1000;
    }
    assert_int_equal(dv_digests_compute_many(DV_ALGO_ALL, bufs, lens, N, many), DV_OK);
    assert_int_equal(dv_digests_compute_many(DV_ALGO_MD5, bufs, lens, 0, NULL), DV_OK);
    bufs[3] = NULL;
    assert_int_equal(dv_digests_compute_many(DV_ALGO_MD5, bufs, lens, N, many), DV_EINVAL);
    bufs[3] = data + 3000;
    /* the hasher takes what it is given, computes the rest */
    h = dv_hasher_create(NULL);
    assert_non_null(h);
    for (size_t i = 0; i < N; i += 5) {
        dv_hash_result a, b;
        dv_digests pre = many[i];
        pre.have = DV_ALGO_MD5;
        memset(pre.sha1, 0, sizeof(pre.sha1));
        assert_int_equal(dv_hasher_hash(h, bufs[i], lens[i], &a), DV_EFORMAT);
        assert_int_equal(dv_hasher_hash_digested(h, bufs[i], lens[i], &pre, &b), DV_EFORMAT);
        assert_memory_equal(&a.digests, &b.digests, sizeof(a.digests));
        /* a digest given is used as given: the proof that it was not recomputed */
        pre.md5[0] ^= 1;
        assert_int_equal(dv_hasher_hash_digested(h, bufs[i], lens[i], &pre, &b), DV_EFORMAT);
        assert_int_equal(b.digests.md5[0], a.digests.md5[0] ^ 1);
        assert_memory_equal(b.digests.sha256, a.digests.sha256, 32);
    }
    dv_hasher_free(h);
    free(data);
}

/* dv_read_file, what datavet hash reads files with: whole files, empty ones, and the
 * refusals (missing, not a regular file, a FIFO without blocking, over the limit). */
static void test_read_file(void **state)
{
    char dir[] = "/tmp/dv_read_XXXXXX", path[256], err[512];
    void *buf = NULL;
    size_t len = 0;
    FILE *f;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/a.bin", dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    for (int i = 0; i < 100000; i++) fputc(i * 7 & 255, f);
    fclose(f);
    assert_int_equal(dv_read_file(path, 1 << 20, NULL, &buf, &len, err, sizeof(err)), DV_OK);
    assert_int_equal(len, 100000);
    for (int i = 0; i < 100000; i++) assert_int_equal(((uint8_t *)buf)[i], i * 7 & 255);
    dv_free_buffer(NULL, buf);
    assert_int_equal(dv_read_file(path, 99999, NULL, &buf, &len, err, sizeof(err)), DV_ETOOBIG);
    assert_null(buf);
    assert_true(strstr(err, "over the limit") != NULL);
    unlink(path);
    f = fopen(path, "wb");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(dv_read_file(path, 1 << 20, NULL, &buf, &len, err, sizeof(err)), DV_OK);
    assert_int_equal(len, 0);
    dv_free_buffer(NULL, buf);
    unlink(path);
    assert_int_equal(dv_read_file(path, 1 << 20, NULL, &buf, &len, err, sizeof(err)), DV_EIO);
    assert_true(strstr(err, "cannot open") != NULL);
    assert_int_equal(dv_read_file(dir, 1 << 20, NULL, &buf, &len, err, sizeof(err)), DV_EIO);
    assert_true(strstr(err, "not a regular file") != NULL);
    snprintf(path, sizeof(path), "%s/fifo", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(dv_read_file(path, 1 << 20, NULL, &buf, &len, err, sizeof(err)), DV_EIO);
    assert_true(strstr(err, "not a regular file") != NULL);
    unlink(path);
    rmdir(dir);
    /* a file whose size fstat does not know (0), read in page-sized pieces: read to its
     * end, not to the first short read (the last line of smaps is the last mapping's
     * VmFlags) */
    if (access("/proc/self/smaps", R_OK) == 0) {
        const char *txt, *last;
        assert_int_equal(dv_read_file("/proc/self/smaps", 1 << 26, NULL, &buf, &len, err,
                                      sizeof(err)),
                         DV_OK);
        assert_true(len > 8192);
        txt = buf;
        assert_int_equal(txt[len - 1], '\n');
        last = txt + len - 1;
        while (last > txt && last[-1] != '\n') last--;
        assert_int_equal(strncmp(last, "VmFlags:", 8), 0);
        dv_free_buffer(NULL, buf);
    } else {
        print_message("read_file: no /proc/self/smaps here, its check is skipped\n");
    }
}

/* dv_file_open_new, dv_file_sync, dv_file_rename: a link at the name is replaced, not
 * followed; the mode is the one asked for; a pipe, which cannot be synced (EINVAL), is no
 * failure; a rename into a folder that is not there fails, leaving the temporary name. */
static void test_file_outputs(void **state)
{
    char dir[] = "/tmp/dv_out_XXXXXX", tmp[256], path[256], victim[256], b[8] = {0};
    int fd, p[2];
    struct stat st;
    FILE *f;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(tmp, sizeof(tmp), "%s/x.tmp", dir);
    snprintf(path, sizeof(path), "%s/x", dir);
    snprintf(victim, sizeof(victim), "%s/victim", dir);
    f = fopen(victim, "w");
    assert_non_null(f);
    fputs("v", f);
    fclose(f);
    assert_int_equal(symlink(victim, tmp), 0);
    fd = dv_file_open_new(tmp, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "new", 3), 3);
    assert_int_equal(dv_file_sync(fd), DV_OK);
    assert_int_equal(close(fd), 0);
    assert_int_equal(lstat(tmp, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(dv_file_rename(tmp, path), DV_OK);
    assert_int_equal(access(tmp, F_OK), -1);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_int_equal(fread(b, 1, sizeof(b), f), 3);
    fclose(f);
    assert_string_equal(b, "new");
    f = fopen(victim, "r");
    assert_non_null(f);
    assert_int_equal(fgetc(f), 'v'); /* the link's file: as it was */
    fclose(f);
    assert_int_equal(pipe(p), 0);
    assert_int_equal(dv_file_sync(p[1]), DV_OK);
    close(p[0]);
    close(p[1]);
    fd = dv_file_open_new(tmp, 0644);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(stat(tmp, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    snprintf(victim + strlen(dir), sizeof(victim) - strlen(dir), "/none/x");
    assert_int_equal(dv_file_rename(tmp, victim), DV_EIO);
    assert_int_equal(access(tmp, F_OK), 0);
    snprintf(victim, sizeof(victim), "%s/victim", dir);
    unlink(tmp);
    unlink(path);
    unlink(victim);
    assert_int_equal(rmdir(dir), 0);
}

/* dv__hex_decode on every pair of bytes: both hex digits (either case) give their value, any
 * other byte fails; and a bad digit anywhere in a long digest fails it */
static void test_hex_decode(void **state)
{
    char h[64];
    uint8_t b[32];
    (void)state;
    for (unsigned a = 0; a < 256; a++)
        for (unsigned c = 0; c < 256; c++) {
            char in[2] = {(char)a, (char)c};
            uint8_t v = 0;
            static const char digits[] = "0123456789abcdefABCDEF";
            int ok = a && c && strchr(digits, (int)a) && strchr(digits, (int)c);
            int rc = dv__hex_decode(in, 2, &v, 1);
            assert_int_equal(rc, ok ? 0 : -1);
            if (ok) {
                char want[3];
                unsigned x;
                memcpy(want, in, 2);
                want[2] = '\0';
                assert_int_equal(sscanf(want, "%2x", &x), 1);
                assert_int_equal(v, x);
            }
        }
    memset(h, 'f', sizeof h);
    assert_int_equal(dv__hex_decode(h, 64, b, 32), 0);
    assert_int_equal(b[31], 0xff);
    for (size_t i = 0; i < 64; i++) {
        h[i] = 'g';
        assert_int_equal(dv__hex_decode(h, 64, b, 32), -1);
        h[i] = 'F';
    }
    assert_int_equal(dv__hex_decode(h, 63, b, 32), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kat),
        cmocka_unit_test(test_hex_decode),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_subset),
        cmocka_unit_test(test_hasher_on_garbage),
        cmocka_unit_test(test_md5_many),
        cmocka_unit_test(test_sha1_many),
        cmocka_unit_test(test_sha256_many),
        cmocka_unit_test(test_read_file),
        cmocka_unit_test(test_file_outputs),
        cmocka_unit_test(test_digests_many),
    };
    return cmocka_run_group_tests_name("crypto", tests, NULL, NULL);
}
