/* test_list.c - hash lists: every importer on valid and malformed text, duplicate merging, the
 * order-independent digest, .dvl round trips for every type, diff, and corrupt files refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "datavet.h"
#include "match/list_internal.h"

#define MD5_A "d41d8cd98f00b204e9800998ecf8427e"
#define MD5_B "900150983cd24fb0d6963f7d28e17f72"
#define MD5_C "f96b697d7cb7938d525a2f31aaf161d0"
#define SHA1_A "a9993e364706816aba3e25717850c26c9cd0d89d"
#define SHA1_B "da39a3ee5e6b4b0d3255bfef95601890afd80709"
#define H64_A "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22"
#define H64_B "e4cc89d91c623842f8d1f1d9a398e78c9f199a3bf87925f2b7e11e0bf061b064"
#define H64_C "f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22"

/* ---------------------------------------------------------------- helpers */

static void unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
}

typedef struct built {
    dv_list_builder *b;
    dv_import_stats st;
    int rc;
    uint8_t *buf;
    size_t len;
    uint64_t dups;
    dv_list *l;
} built;

/* Import text into a fresh builder (type given) and, when that works, serialise and open. */
static void build(built *x, dv_hash_type type, const char *text, dv_hash_type forced, int strict)
{
    char err[256];
    memset(x, 0, sizeof(*x));
    x->b = dv_list_builder_create(type, NULL);
    assert_non_null(x->b);
    x->rc = dv_list_builder_import(x->b, "in.txt", text, strlen(text), forced, strict, &x->st);
    if (x->rc != DV_OK || (x->b->type == DV_HT_NONE)) return;
    assert_int_equal(dv__list_builder_to_buffer(x->b, NULL, 1700000000, &x->buf, &x->len, &x->dups),
                     DV_OK);
    if (dv_list_open_buffer(x->buf, x->len, &x->l, err, sizeof(err)) != DV_OK) {
        fprintf(stderr, "open failed: %s\n", err);
        fail();
    }
}

static void built_free(built *x)
{
    dv_list_close(x->l);
    free(x->buf);
    dv_list_builder_free(x->b);
    memset(x, 0, sizeof(*x));
}

static dv_hash_type ltype(const built *x)
{
    dv_list_info in;
    dv_list_get_info(x->l, &in);
    return in.type;
}

static uint64_t lcount(const built *x)
{
    dv_list_info in;
    dv_list_get_info(x->l, &in);
    return in.count;
}

/* The entry with this hex key, or fail. */
static void entry_of(const built *x, const char *hex, dv_list_entry *e)
{
    uint8_t k[32];
    int64_t i;
    unhex(hex, k);
    i = dv_list_find(x->l, k, strlen(hex) / 2);
    if (i < 0) fprintf(stderr, "key %s not found\n", hex);
    assert_true(i >= 0);
    assert_int_equal(dv_list_get_entry(x->l, (uint64_t)i, e), DV_OK);
    assert_memory_equal(e->key, k, strlen(hex) / 2);
}

static int has_key(const built *x, const char *hex)
{
    uint8_t k[32];
    unhex(hex, k);
    return dv_list_find(x->l, k, strlen(hex) / 2) >= 0;
}

static void digest_of(const built *x, uint8_t d[32])
{
    dv_list_info in;
    dv_list_get_info(x->l, &in);
    memcpy(d, in.digest, 32);
}

static const char *msg(const built *x) { return dv_list_builder_errmsg(x->b); }

static void has_msg(const built *x, const char *part)
{
    if (strstr(msg(x), part) == NULL) fprintf(stderr, "message '%s' lacks '%s'\n", msg(x), part);
    assert_non_null(strstr(msg(x), part));
}

/* ---------------------------------------------------------------- plain hex */

static void test_plain(void **state)
{
    built x;
    dv_list_entry e;
    (void)state;
    build(&x, DV_HT_NONE, "# a comment\n\n" MD5_A "\r\n  " MD5_B "  \n\t\n# x\n", DV_HT_NONE, 0);
    assert_int_equal(x.rc, DV_OK);
    assert_int_equal(ltype(&x), DV_HT_MD5);
    assert_int_equal(lcount(&x), 2);
    assert_int_equal(x.st.lines, 6);
    assert_int_equal(x.st.entries, 2);
    assert_int_equal(x.st.bad, 0);
    entry_of(&x, MD5_A, &e);
    assert_int_equal(e.quality, -1);
    assert_string_equal(e.id, "");
    assert_string_equal(e.label, "");
    assert_null(dv_list_pdq_codes(x.l));
    built_free(&x);

    /* upper-case hex, UTF-8 byte order mark, no final newline */
    build(&x, DV_HT_NONE,
          "\xEF\xBB\xBF"
          "D41D8CD98F00B204E9800998ECF8427E",
          DV_HT_NONE, 1);
    assert_int_equal(x.rc, DV_OK);
    assert_true(has_key(&x, MD5_A));
    built_free(&x);

    build(&x, DV_HT_NONE, SHA1_A "\n" SHA1_B "\n", DV_HT_NONE, 1);
    assert_int_equal(ltype(&x), DV_HT_SHA1);
    assert_int_equal(lcount(&x), 2);
    built_free(&x);

    /* 64 hex digits with nothing to say SHA-256 or PDQ: refused, strict or not (a PDQ list
     * taken for SHA-256 would match nothing, silently), naming the line */
    for (int strict = 0; strict < 2; strict++) {
        build(&x, DV_HT_NONE, "# list\n" H64_A "\n" H64_B "\n", DV_HT_NONE, strict);
        assert_int_equal(x.rc, DV_EFORMAT);
        has_msg(&x, "in.txt:2: 64 hex digits are a SHA-256 or a PDQ hash");
        assert_null(strstr(msg(&x), H64_A));
        built_free(&x);
    }
    build(&x, DV_HT_NONE, H64_A "\n" H64_B "\n", DV_HT_SHA256, 1);
    assert_int_equal(ltype(&x), DV_HT_SHA256);
    built_free(&x);
    build(&x, DV_HT_SHA256, H64_A "\n", DV_HT_NONE, 1);
    assert_int_equal(ltype(&x), DV_HT_SHA256);
    built_free(&x);
    build(&x, DV_HT_NONE, H64_A "\n" H64_B "\n", DV_HT_PDQ, 1);
    assert_int_equal(ltype(&x), DV_HT_PDQ);
    assert_non_null(dv_list_pdq_codes(x.l));
    built_free(&x);
    build(&x, DV_HT_PDQ, H64_A "\n", DV_HT_NONE, 1);
    assert_int_equal(ltype(&x), DV_HT_PDQ);
    built_free(&x);

    /* empty input: nothing, and no type */
    build(&x, DV_HT_NONE, "", DV_HT_NONE, 1);
    assert_int_equal(x.rc, DV_OK);
    assert_int_equal(x.b->type, DV_HT_NONE);
    built_free(&x);
}

static void test_plain_bad(void **state)
{
    built x;
    (void)state;
    build(&x, DV_HT_NONE,
          MD5_A "\n"
                "d41d8cd98f00b204e9800998ecf8427\n"  /* 31 digits */
                "d41d8cd98f00b204e9800998ecf8427g\n" /* bad digit */
                "zz\n" MD5_B "\n" MD5_B "00\n" MD5_C "x\n",
          DV_HT_NONE, 0);
    assert_int_equal(x.rc, DV_OK);
    assert_int_equal(x.st.lines, 7);
    assert_int_equal(x.st.entries, 2);
    assert_int_equal(x.st.bad, 5);
    assert_int_equal(lcount(&x), 2);
    has_msg(&x, "in.txt:2: 31 hex digits");
    has_msg(&x, "in.txt:3: not a hex hash or a URL (bad character at position 32)");
    has_msg(&x, "in.txt:4:");
    has_msg(&x, "in.txt:6: 34 hex digits");
    has_msg(&x, "in.txt:7:");
    /* the message never holds the hash itself */
    assert_null(strstr(msg(&x), "d41d8cd98f"));
    built_free(&x);

    /* strict: the first bad line stops the import, which leaves nothing behind */
    build(&x, DV_HT_NONE, MD5_A "\n" MD5_B "\nnope\n" MD5_C "\n", DV_HT_NONE, 1);
    assert_int_equal(x.rc, DV_ECORRUPT);
    assert_string_equal(msg(&x), "in.txt:3: not a hex hash or a URL (bad character at position 1)");
    assert_int_equal(x.b->n, 0);
    assert_int_equal(x.b->type, DV_HT_NONE);
    assert_int_equal(x.st.entries, 0);
    assert_int_equal(x.st.bad, 1);
    built_free(&x);

    /* a forced type turns other lengths into bad lines */
    build(&x, DV_HT_NONE, MD5_A "\n" SHA1_A "\n" H64_A "\n", DV_HT_MD5, 0);
    assert_int_equal(x.rc, DV_OK);
    assert_int_equal(lcount(&x), 1);
    assert_int_equal(x.st.bad, 2);
    has_msg(&x, "in.txt:2: 40 hex digits, a md5 hash has 32");
    built_free(&x);

    /* more than 8 bad lines: the rest are counted in one line */
    {
        char text[4096] = "";
        for (int i = 0; i < 20; i++) memcpy(text + 4 * i, "bad\n", 5);
        build(&x, DV_HT_MD5, text, DV_HT_NONE, 0);
        assert_int_equal(x.st.bad, 20);
        has_msg(&x, "in.txt:8:");
        assert_null(strstr(msg(&x), "in.txt:9:"));
        has_msg(&x, "in.txt: 12 more bad lines");
        built_free(&x);
    }
}

static void test_mixed_types(void **state)
{
    built x;
    dv_import_stats st;
    (void)state;
    build(&x, DV_HT_NONE, MD5_A "\n" SHA1_A "\n", DV_HT_NONE, 0);
    assert_int_equal(x.rc, DV_EFORMAT);
    has_msg(&x, "in.txt:2: a sha1 hash in a md5 list");
    assert_int_equal(x.b->n, 0);
    built_free(&x);

    /* across inputs: the list keeps the type of the first */
    x.b = dv_list_builder_create(DV_HT_NONE, NULL);
    memset(&st, 0, sizeof(st));
    assert_int_equal(dv_list_builder_import(x.b, "a", MD5_A "\n", 33, DV_HT_NONE, 1, &st), DV_OK);
    assert_int_equal(dv_list_builder_import(x.b, "b", SHA1_A "\n", 41, DV_HT_NONE, 1, &st),
                     DV_EFORMAT);
    assert_int_equal(x.b->n, 1);
    assert_int_equal(x.b->type, DV_HT_MD5);
    assert_int_equal(dv_list_builder_import(x.b, "c", SHA1_A "\n", 41, DV_HT_SHA1, 1, &st),
                     DV_EINVAL);
    has_msg(&x, "c: importing sha1 hashes into a md5 list");
    assert_int_equal(dv_list_builder_import(x.b, "d", "x", 1, (dv_hash_type)42, 1, &st), DV_EINVAL);
    assert_int_equal(st.entries, 1);
    built_free(&x);
}

/* ---------------------------------------------------------------- ThreatExchange PDQ text */

static void test_pdq_text(void **state)
{
    built x;
    dv_list_entry e;
    (void)state;
    build(&x, DV_HT_NONE, H64_A ",100,pdq/data/bridge.jpg\n" H64_B ",49\n" H64_C "\n", DV_HT_NONE,
          1);
    assert_int_equal(x.rc, DV_OK);
    assert_int_equal(ltype(&x), DV_HT_PDQ);
    entry_of(&x, H64_A, &e);
    assert_int_equal(e.quality, 100);
    entry_of(&x, H64_B, &e);
    assert_int_equal(e.quality, 49);
    entry_of(&x, H64_C, &e);
    assert_int_equal(e.quality, -1);
    {
        const dv_pdq_hash *codes = dv_list_pdq_codes(x.l);
        uint8_t k[32];
        unhex(H64_A, k);
        assert_memory_equal(codes[0].bytes, k, 32); /* d8.. sorts first */
    }
    built_free(&x);

    build(&x, DV_HT_NONE,
          H64_A ",100\n" H64_B ",abc\n" H64_B ",101\n" H64_B ",-1\n" H64_B ",1000\n" H64_B
                ", 50 ,x\n" MD5_A ",100\n",
          DV_HT_NONE, 0);
    assert_int_equal(x.rc, DV_OK);
    assert_int_equal(x.st.bad, 5);
    assert_int_equal(x.st.entries, 2);
    has_msg(&x, "in.txt:2: quality is not an integer from 0 to 100");
    has_msg(&x, "in.txt:7: the hash,quality form is for PDQ hashes, this is md5");
    entry_of(&x, H64_B, &e);
    assert_int_equal(e.quality, 50);
    built_free(&x);

    /* the real reference output of the PDQ hasher */
    {
        size_t n = 0;
        char *t;
        FILE *f = fopen(DV_SHARED_DIR "/pdq/expected/cpp-ref-pdq.csv", "rb");
        if (f == NULL) {
            printf("SKIP: ../shared absent, cpp-ref-pdq.csv not imported\n");
            return;
        }
        t = calloc(1, 1 << 20);
        assert_non_null(t);
        n = fread(t, 1, (1 << 20) - 1, f);
        fclose(f);
        assert_true(n > 0);
        build(&x, DV_HT_NONE, t, DV_HT_NONE, 1);
        assert_int_equal(x.rc, DV_OK);
        assert_int_equal(ltype(&x), DV_HT_PDQ);
        assert_true(lcount(&x) > 10);
        entry_of(&x, H64_A, &e);
        assert_int_equal(e.quality, 100);
        built_free(&x);
        free(t);
    }
}

/* ---------------------------------------------------------------- CSV and TSV */

static void test_csv(void **state)
{
    built x;
    dv_list_entry e;
    (void)state;
    build(&x, DV_HT_NONE,
          "ID,Hash,Label,Quality,extra\r\n"
          "1," H64_A ",\"cat, \"\"A1\"\"\",90,x\r\n"
          "\r\n"
          "\"2\",\"" H64_B "\",\"two\nlines\",,\r\n"
          "3," H64_C ",plain,7,\"\"\r\n",
          DV_HT_NONE, 1);
    assert_int_equal(x.rc, DV_OK);
    /* a "hash" column with a quality column: 64 hex digits are PDQ */
    assert_int_equal(ltype(&x), DV_HT_PDQ);
    assert_int_equal(lcount(&x), 3);
    assert_int_equal(x.st.lines, 6);
    entry_of(&x, H64_A, &e);
    assert_string_equal(e.id, "1");
    assert_string_equal(e.label, "cat, \"A1\"");
    assert_int_equal(e.quality, 90);
    entry_of(&x, H64_B, &e);
    assert_string_equal(e.id, "2");
    assert_string_equal(e.label, "two\nlines");
    assert_int_equal(e.quality, -1);
    entry_of(&x, H64_C, &e);
    assert_int_equal(e.quality, 7);
    built_free(&x);

    /* named type columns; category when there is no label */
    build(&x, DV_HT_NONE, "md5,category\n" MD5_A ",B2\n" MD5_B ",\n", DV_HT_NONE, 1);
    assert_int_equal(ltype(&x), DV_HT_MD5);
    entry_of(&x, MD5_A, &e);
    assert_string_equal(e.label, "B2");
    entry_of(&x, MD5_B, &e);
    assert_string_equal(e.label, "");
    built_free(&x);

    /* several hash columns: --type picks one */
    build(&x, DV_HT_NONE, "md5,sha1,pdq\n" MD5_A "," SHA1_A "," H64_A "\n", DV_HT_NONE, 1);
    assert_int_equal(x.rc, DV_EFORMAT);
    has_msg(&x, "in.txt:1: several hash columns (md5, sha1, pdq): pick one with --type");
    built_free(&x);
    build(&x, DV_HT_NONE, "md5,sha1,pdq\n" MD5_A "," SHA1_A "," H64_A "\n", DV_HT_SHA1, 1);
    assert_int_equal(x.rc, DV_OK);
    assert_int_equal(ltype(&x), DV_HT_SHA1);
    assert_true(has_key(&x, SHA1_A));
    built_free(&x);
    build(&x, DV_HT_NONE, "md5,sha1,pdq\n" MD5_A "," SHA1_A "," H64_A "\n", DV_HT_PDQ, 1);
    assert_int_equal(ltype(&x), DV_HT_PDQ);
    built_free(&x);
    build(&x, DV_HT_NONE, "md5,sha1\n" MD5_A "," SHA1_A "\n", DV_HT_SHA256, 1);
    assert_int_equal(x.rc, DV_EFORMAT);
    has_msg(&x, "no sha256 or hash column (the header has: md5, sha1)");
    built_free(&x);

    /* a header without a hash column */
    build(&x, DV_HT_NONE, "id,label\n1,x\n", DV_HT_NONE, 0);
    assert_int_equal(x.rc, DV_EFORMAT);
    has_msg(&x, "in.txt:1: the header has no hash column");
    built_free(&x);
    build(&x, DV_HT_NONE, "hash,label,Label\n" MD5_A ",a,b\n", DV_HT_NONE, 0);
    assert_int_equal(x.rc, DV_EFORMAT);
    has_msg(&x, "column Label appears twice");
    built_free(&x);
    build(&x, DV_HT_NONE, "hash,md5,HASH\n", DV_HT_NONE, 0);
    assert_int_equal(x.rc, DV_EFORMAT);
    has_msg(&x, "column HASH appears twice");
    built_free(&x);

    /* a one-column header is a header too */
    build(&x, DV_HT_NONE, "SHA256\n" H64_A "\n", DV_HT_NONE, 1);
    assert_int_equal(x.rc, DV_OK);
    assert_int_equal(ltype(&x), DV_HT_SHA256);
    built_free(&x);
}

static void test_csv_bad(void **state)
{
    built x;
    (void)state;
    build(&x, DV_HT_NONE,
          "hash,id\n" MD5_A ",1\n"  /* 2 ok */
          MD5_B "\n"                /* 3 too few fields */
          MD5_B ",1,2\n"            /* 4 too many */
          "\"" MD5_B "\"x,1\n"      /* 5 text after a quote */
          MD5_B ",a\"b\n"           /* 6 quote inside unquoted */
          "xyz,1\n"                 /* 7 bad hash */
          ",1\n"                    /* 8 empty hash */
          MD5_C ",\"unterminated\n" /* 9 a quote left open: this line only */
          MD5_B ",2\n",
          DV_HT_NONE, 0);
    assert_int_equal(x.rc, DV_OK);
    assert_int_equal(x.st.entries, 2); /* line 10 is read, not swallowed by line 9's quote */
    assert_int_equal(x.st.bad, 7);
    has_msg(&x, "in.txt:3: 1 fields, the header has 2");
    has_msg(&x, "in.txt:4: 3 fields, the header has 2");
    has_msg(&x, "in.txt:5: text after a closing quote");
    has_msg(&x, "in.txt:6: quote inside an unquoted field");
    has_msg(&x, "in.txt:7:");
    has_msg(&x, "in.txt:8: empty hash field");
    has_msg(&x, "in.txt:9: unterminated quoted field");
    assert_int_equal(lcount(&x), 2);
    built_free(&x);

    /* a quote left open closes lines later, on another entry's quote: the bad line is the
     * first, and the entries between are read; a quoted field that holds a line break and
     * ends well is still one entry */
    build(&x, DV_HT_NONE,
          "hash,id,label\n" MD5_A ",1,\"open\n"                  /* 2 bad */
          MD5_B ",2,x\n"                                         /* 3 ok */
          MD5_C ",3,\"shut\"y\n"                                /* 4 text after a quote */
          "0cc175b9c0f1b6a831c399e269772661,4,\"two\nlines\"\n" /* 5-6 ok */
          "xyz,5,z\n",                                           /* 7 bad hash */
          DV_HT_NONE, 0);
    assert_int_equal(x.rc, DV_OK);
    assert_int_equal(x.st.entries, 2);
    assert_int_equal(x.st.bad, 3);
    assert_int_equal(x.st.lines, 7);
    has_msg(&x, "in.txt:2: text after a closing quote");
    has_msg(&x, "in.txt:4: text after a closing quote");
    has_msg(&x, "in.txt:7:");
    built_free(&x);

    /* type column disagreeing with the hash column */
    build(&x, DV_HT_NONE, "md5,type\n" MD5_A ",sha1\n" MD5_B ",md5\n" MD5_C ",frob\n", DV_HT_NONE,
          0);
    assert_int_equal(x.st.bad, 2);
    has_msg(&x, "in.txt:2: type field says sha1 but the column is md5");
    has_msg(&x, "in.txt:4: unknown hash type in the type field");
    built_free(&x);
}

static void test_tsv(void **state)
{
    built x;
    dv_list_entry e;
    (void)state;
    build(&x, DV_HT_NONE,
          "path\tstatus\tmd5\tlabel\n"
          "a.jpg\tok\t" MD5_A "\ttab\\there\n"
          "b, c.jpg\tok\t" MD5_B "\tback\\\\slash \"q\"\r\n",
          DV_HT_NONE, 1);
    assert_int_equal(x.rc, DV_OK);
    assert_int_equal(ltype(&x), DV_HT_MD5);
    entry_of(&x, MD5_A, &e);
    assert_string_equal(e.label, "tab\there");
    entry_of(&x, MD5_B, &e);
    assert_string_equal(e.label, "back\\slash \"q\"");
    built_free(&x);
    build(&x, DV_HT_NONE, "md5\tid\n" MD5_A "\n", DV_HT_NONE, 1);
    assert_int_equal(x.rc, DV_ECORRUPT);
    assert_string_equal(msg(&x), "in.txt:2: 1 fields, the header has 2");
    built_free(&x);
    /* datavet hash output: the path labels an entry without label or category */
    build(&x, DV_HT_NONE,
          "path\tstatus\tmd5\tcategory\n"
          "samples/a.png\tok\t" MD5_A "\t\n"
          "samples/b.png\tok\t" MD5_B "\tC\n",
          DV_HT_NONE, 1);
    assert_int_equal(x.rc, DV_OK);
    entry_of(&x, MD5_A, &e);
    assert_string_equal(e.label, "samples/a.png");
    entry_of(&x, MD5_B, &e);
    assert_string_equal(e.label, "C");
    built_free(&x);
    build(&x, DV_HT_NONE, "{\"md5\":\"" MD5_A "\",\"path\":\"s/a.png\"}\n", DV_HT_NONE, 1);
    assert_int_equal(x.rc, DV_OK);
    entry_of(&x, MD5_A, &e);
    assert_string_equal(e.label, "s/a.png");
    built_free(&x);
}

/* ---------------------------------------------------------------- JSONL */

static void test_jsonl(void **state)
{
    built x;
    dv_list_entry e;
    (void)state;
    build(&x, DV_HT_NONE,
          "{\"hash\": \"" H64_A "\", \"type\": \"pdq\", \"quality\": 100, \"id\": \"x-1\", "
          "\"label\": \"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\/\", \"other\": [1]}\n",
          DV_HT_NONE, 0);
    /* a nested value in a member list build does not use is checked and ignored, as any
     * other member is (until 2026-12-07 refused: "nested objects and arrays are not
     * supported", which made datavet hash -d -f jsonl's lines all bad) */
    assert_int_equal(x.rc, DV_OK);
    assert_int_equal(x.st.bad, 0);
    assert_int_equal(lcount(&x), 1);
    built_free(&x);

    build(&x, DV_HT_NONE,
          "{\"hash\": \"" H64_A "\", \"type\": \"pdq\", \"quality\": 100, \"id\": \"x-1\", "
          "\"label\": \"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\/\", \"x\": true, \"y\": null}\n"
          "\n"
          "  {\"pdq\":\"" H64_B "\",\"id\":42,\"category\":\"B1\",\"quality\":null}  \n"
          "{\"hash\":\"" H64_C "\",\"quality\":3,\"label\":\"L\",\"category\":\"C\"}\n",
          DV_HT_NONE, 1);
    assert_int_equal(x.rc, DV_OK);
    assert_int_equal(ltype(&x), DV_HT_PDQ);
    entry_of(&x, H64_A, &e);
    assert_string_equal(e.id, "x-1");
    assert_string_equal(e.label, "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\" /");
    assert_int_equal(e.quality, 100);
    entry_of(&x, H64_B, &e);
    assert_string_equal(e.id, "42");
    assert_string_equal(e.label, "B1");
    assert_int_equal(e.quality, -1);
    entry_of(&x, H64_C, &e);
    assert_string_equal(e.label, "L");
    assert_int_equal(e.quality, 3);
    built_free(&x);

    /* several hash members (datavet hash -f jsonl): --type, or the list's type from an earlier
     * input, picks one, as it picks a CSV header's column; without either, each is a bad line
     * naming them (until 2026-12-07 every such line was bad, --type or not) */
    {
        static const char two[] = "{\"path\":\"a.jpg\",\"md5\":\"" MD5_A "\",\"sha1\":\"" SHA1_A
                                  "\",\"pdq\":\"" H64_A "\",\"quality\":100}\n";
        build(&x, DV_HT_NONE, two, DV_HT_SHA1, 1);
        assert_int_equal(x.rc, DV_OK);
        assert_int_equal(ltype(&x), DV_HT_SHA1);
        entry_of(&x, SHA1_A, &e);
        assert_string_equal(e.label, "a.jpg");
        built_free(&x);
        build(&x, DV_HT_PDQ, two, DV_HT_NONE, 1);
        assert_int_equal(x.rc, DV_OK);
        entry_of(&x, H64_A, &e);
        assert_int_equal(e.quality, 100);
        built_free(&x);
        build(&x, DV_HT_NONE, two, DV_HT_NONE, 0);
        assert_int_equal(x.st.bad, 1);
        has_msg(&x, "in.txt:1: more than one hash member (md5, sha1, pdq): pick one with --type");
        built_free(&x);
        build(&x, DV_HT_SHA256, two, DV_HT_NONE, 0);
        assert_int_equal(x.st.bad, 1);
        has_msg(&x, "in.txt:1: more than one hash member (md5, sha1, pdq): not one of them alone "
                    "is sha256");
        built_free(&x);
        /* a "hash" member when no member is named for the type; the one named first */
        build(&x, DV_HT_NONE, "{\"hash\":\"" MD5_A "\",\"sha1\":null}\n"
              "{\"hash\":\"" MD5_B "\",\"md5\":\"" MD5_C "\"}\n", DV_HT_MD5, 1);
        assert_int_equal(x.rc, DV_OK);
        assert_int_equal(lcount(&x), 2);
        assert_true(has_key(&x, MD5_A) && has_key(&x, MD5_C));
        built_free(&x);
        /* the one picked must be a string */
        build(&x, DV_HT_NONE, "{\"md5\":5,\"sha1\":\"" SHA1_A "\"}\n", DV_HT_MD5, 0);
        assert_int_equal(x.st.bad, 1);
        has_msg(&x, "in.txt:1: the hash is not a string");
        built_free(&x);
    }

    /* datavet hash -d -f jsonl: the nested pdq_dihedral object is checked and ignored, the
     * flat members taken (until 2026-12-07 every such line was bad: "nested objects and
     * arrays are not supported") */
    {
        static const char dih[] = "{\"path\":\"a.jpg\",\"md5\":\"" MD5_A "\",\"pdq\":\"" H64_A
                                  "\",\"quality\":100,\"pdq_dihedral\":{\"rot90\":\"" H64_B
                                  "\",\"flipx\":\"" H64_C "\"},\"x\":[[1,{\"a\":null}],\"\\u00e9\"]}\n";
        build(&x, DV_HT_NONE, dih, DV_HT_PDQ, 1);
        assert_int_equal(x.rc, DV_OK);
        assert_int_equal(lcount(&x), 1);
        entry_of(&x, H64_A, &e);
        assert_int_equal(e.quality, 100);
        assert_string_equal(e.label, "a.jpg");
        assert_false(has_key(&x, H64_B) || has_key(&x, H64_C));
        built_free(&x);
        build(&x, DV_HT_NONE, dih, DV_HT_MD5, 1);
        assert_int_equal(x.rc, DV_OK);
        assert_true(has_key(&x, MD5_A));
        built_free(&x);
    }

    /* a plain object without type: by length */
    build(&x, DV_HT_NONE, "{\"md5\":\"" MD5_A "\"}\n{\"hash\":\"" MD5_B "\",\"type\":\"md5\"}\n",
          DV_HT_NONE, 1);
    assert_int_equal(x.rc, DV_OK);
    assert_int_equal(ltype(&x), DV_HT_MD5);
    assert_int_equal(lcount(&x), 2);
    built_free(&x);
}

static void test_jsonl_bad(void **state)
{
    static const char *const bad_lines[] = {
        "{\"hash\":\"" MD5_B "\"",                         /* unterminated */
        "{\"hash\":\"" MD5_B "\",}",                       /* trailing comma */
        "{\"hash\":\"" MD5_B "\"} x",                      /* text after */
        "{\"hash\":\"" MD5_B "\",\"hash\":\"" MD5_C "\"}", /* duplicate member */
        "{\"hash\":\"" MD5_B "\",\"md5\":\"" MD5_C "\"}",  /* two hash members */
        "{\"id\":\"1\"}",                                  /* no hash */
        "{\"hash\":12}",                                   /* not a string */
        "{\"hash\":\"" MD5_B "\",\"quality\":\"5\"}",      /* quality not a number */
        "{\"hash\":\"" MD5_B "\",\"label\":\"\\x\"}",      /* bad escape */
        "{\"hash\":\"" MD5_B "\",\"label\":\"\\ud800\"}",  /* lone surrogate */
        "{\"hash\":\"" MD5_B "\",\"label\":\"\\udc00\"}",  /* lone low surrogate */
        "{\"hash\":\"" MD5_B "\",\"label\":\"\\u0000\"}",  /* NUL */
        "{\"hash\":\"" MD5_B "\",\"label\":\"\xff\"}",     /* bad UTF-8 */
        "{\"hash\":\"" MD5_B "\",\"label\":\"\xc0\xaf\"}", /* overlong */
        "{\"hash\":\"" MD5_B "\",\"label\":\"a\tb\"}",     /* raw control */
        "{\"hash\":\"" MD5_B "\",\"n\":01}",               /* leading zero */
        "{\"hash\":\"" MD5_B "\",\"n\":1.}",               /* bad fraction */
        "{\"hash\":\"" MD5_B "\",\"n\":-}",                /* bad number */
        "{\"hash\":\"" MD5_B "\",\"n\":tru}",              /* bad literal */
        "{\"hash\":\"" MD5_B "\",\"n\":{\"a\":[1,]}}",     /* bad JSON nested */
        "{\"hash\":\"" MD5_B "\",\"n\":[\"\\x\"]}",         /* bad escape nested */
        "{\"hash\":\"" MD5_B "\",\"n\":{\"a\" 1}}",        /* missing colon nested */
        "{\"hash\":\"" MD5_B "\",\"n\":[1}",             /* mismatched nested */
        "{\"hash\":{\"md5\":\"" MD5_B "\"}}",             /* the hash nested */
        "{\"hash\":\"" MD5_B "\",\"label\":[\"a\"]}",       /* label nested */
        "{\"hash\" \"" MD5_B "\"}",                        /* missing colon */
        "[\"" MD5_B "\"]",                                 /* not an object */
        "{'hash':'" MD5_B "'}",                            /* single quotes */
        "{\"hash\":\"" MD5_B "\",\"type\":\"md4\"}",       /* unknown type */
        "{\"hash\":\"" MD5_B "\",\"type\":\"sha1\"}",      /* wrong length for the type */
        "{\"hash\":\"" MD5_B "\",\"label\":5}",            /* label not a string */
        "{\"hash\":\"" MD5_B "\",\"id\":true}",            /* id not a string or number */
    };
    char text[8192];
    built x;
    (void)state;
    snprintf(text, sizeof(text), "{\"hash\":\"%s\",\"n\":-1.5e+3,\"m\":0,\"z\":false}\n", MD5_A);
    for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
        size_t used = strlen(text);
        snprintf(text + used, sizeof(text) - used, "%s\n", bad_lines[i]);
    }
    build(&x, DV_HT_NONE, text, DV_HT_NONE, 0);
    assert_int_equal(x.rc, DV_OK);
    assert_int_equal(x.st.entries, 1);
    assert_int_equal(x.st.bad, sizeof(bad_lines) / sizeof(bad_lines[0]));
    has_msg(&x, "in.txt:2: bad JSON: expected ',' or '}'");
    has_msg(&x, "in.txt:3: bad JSON: expected a member name");
    has_msg(&x, "in.txt:5: bad JSON: duplicate member name");
    has_msg(&x, "in.txt:6: more than one hash member (hash, md5): pick one with --type");
    has_msg(&x, "in.txt:7: no hash member");
    built_free(&x);

    /* each one alone, strict, is an error with a reason */
    for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
        snprintf(text, sizeof(text), "{\"md5\":\"%s\"}\n%s\n", MD5_A, bad_lines[i]);
        build(&x, DV_HT_NONE, text, DV_HT_NONE, 1);
        if (x.rc != DV_ECORRUPT) fprintf(stderr, "line %zu: %s: rc %d\n", i, bad_lines[i], x.rc);
        assert_int_equal(x.rc, DV_ECORRUPT);
        assert_true(strncmp(msg(&x), "in.txt:2: ", 10) == 0);
        built_free(&x);
    }
}

static void test_json_parser(void **state)
{
    dv__jmember m[4];
    char scratch[256];
    const char *why = NULL;
    const char *t = "{\"a\\n\":\"\\u00e9\", \"b\" : -0.5E-2 , \"c\":false}";
    (void)state;
    assert_int_equal(dv__json_flat(t, strlen(t), scratch, m, 4, &why), 3);
    assert_int_equal(m[0].keylen, 2);
    assert_memory_equal(m[0].key, "a\n", 2);
    assert_int_equal(m[0].vallen, 2);
    assert_memory_equal(m[0].val, "\xc3\xa9", 2);
    assert_int_equal(m[1].kind, DV__J_NUMBER);
    assert_memory_equal(m[1].val, "-0.5E-2", 7);
    assert_int_equal(m[2].kind, DV__J_FALSE);
    assert_int_equal(dv__json_flat("{}", 2, scratch, m, 4, &why), 0);
    t = "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5}";
    assert_int_equal(dv__json_flat(t, strlen(t), scratch, m, 4, &why), -1);
    assert_string_equal(why, "too many members");
    assert_int_equal(dv__json_flat("", 0, scratch, m, 4, &why), -1);
    assert_int_equal(dv__json_flat("{", 1, scratch, m, 4, &why), -1);
    assert_int_equal(dv__json_flat("{\"a\":\"\\u12", 10, scratch, m, 4, &why), -1);
}

/* ---------------------------------------------------------------- URL lists */

static void test_url_list(void **state)
{
    built x;
    dv_list_entry e;
    const char *n1 = "http://example.com/a%20b";
    (void)state;
    build(&x, DV_HT_NONE,
          "# hotline URL list\n"
          "HTTP://Example.COM:80/a b#frag\n"
          "https://example.org\n"
          "http://example.com/a%20b\n"
          "ftp://files.example/x\n"
          "http://[::1]:8080/\n"
          "http://bad%zz/\n"
          "http:///nohost\n",
          DV_HT_NONE, 0);
    assert_int_equal(x.rc, DV_OK);
    assert_int_equal(ltype(&x), DV_HT_URL);
    assert_int_equal(x.st.entries, 5);
    assert_int_equal(x.st.bad, 2);
    assert_int_equal(x.dups, 1);
    assert_int_equal(lcount(&x), 4);
    has_msg(&x, "in.txt:7: bad URL");
    assert_true(dv_list_find(x.l, n1, strlen(n1)) >= 0);
    assert_true(dv_list_find(x.l, "https://example.org/", 20) >= 0);
    assert_true(dv_list_find(x.l, "https://example.org", 19) < 0);
    assert_true(dv_list_find(x.l, "http://[::1]:8080/", 18) >= 0);
    assert_int_equal(dv_list_get_entry(x.l, 0, &e), DV_OK);
    assert_int_equal(e.keylen, strlen("ftp://files.example/x"));
    assert_memory_equal(e.key, "ftp://files.example/x", e.keylen);
    assert_int_equal(dv_list_get_entry(x.l, 4, &e), DV_ERANGE);
    built_free(&x);

    /* hex in a URL list, a URL in a hash list */
    build(&x, DV_HT_URL, MD5_A "\n", DV_HT_NONE, 1);
    assert_int_equal(x.rc, DV_EFORMAT);
    built_free(&x);
    build(&x, DV_HT_NONE, MD5_A "\n", DV_HT_URL, 1);
    assert_int_equal(x.rc, DV_ECORRUPT);
    has_msg(&x, "not a URL");
    built_free(&x);
    build(&x, DV_HT_NONE, "http://h/\n", DV_HT_MD5, 1);
    assert_int_equal(x.rc, DV_ECORRUPT);
    has_msg(&x, "a URL, but the list is of md5 hashes");
    built_free(&x);

    /* CSV with a url column */
    build(&x, DV_HT_NONE, "url,label\n\"http://H/x,y\",z\n", DV_HT_NONE, 1);
    assert_int_equal(x.rc, DV_OK);
    assert_int_equal(ltype(&x), DV_HT_URL);
    assert_true(dv_list_find(x.l, "http://h/x,y", 12) >= 0);
    built_free(&x);
}

static void test_url_hash_list(void **state)
{
    built x;
    dv_digests d;
    char hex[65];
    const char *norm = "http://example.com/a";
    (void)state;
    assert_int_equal(dv_digests_compute(DV_ALGO_ALL, norm, strlen(norm), &d), DV_OK);
    /* URL lines are normalised, then hashed; hex lines are taken as they are */
    build(&x, DV_HT_NONE, "HTTP://EXAMPLE.com:80/a#x\n" H64_A "\n", DV_HT_URL_SHA256, 1);
    assert_int_equal(x.rc, DV_OK);
    assert_int_equal(ltype(&x), DV_HT_URL_SHA256);
    dv_hex_encode(d.sha256, 32, hex);
    assert_true(has_key(&x, hex));
    assert_true(has_key(&x, H64_A));
    built_free(&x);

    build(&x, DV_HT_NONE, "url\nhttp://example.com/a\n", DV_HT_URL_MD5, 1);
    assert_int_equal(x.rc, DV_OK);
    dv_hex_encode(d.md5, 16, hex);
    assert_true(has_key(&x, hex));
    built_free(&x);

    build(&x, DV_HT_URL_SHA1, "http://example.com/a\n" SHA1_A "\n", DV_HT_NONE, 1);
    assert_int_equal(x.rc, DV_OK);
    dv_hex_encode(d.sha1, 20, hex);
    assert_true(has_key(&x, hex));
    assert_true(has_key(&x, SHA1_A));
    built_free(&x);

    build(&x, DV_HT_NONE, MD5_A "\n", DV_HT_URL_SHA1, 0);
    assert_int_equal(x.st.bad, 1);
    has_msg(&x, "32 hex digits, a url-sha1 hash has 40");
    built_free(&x);
}

/* ---------------------------------------------------------------- duplicates and the digest */

static void test_duplicates(void **state)
{
    built x;
    dv_list_entry e;
    (void)state;
    build(&x, DV_HT_NONE,
          "hash,quality,id,label\n" H64_A ",60,,\n" H64_B ",10,b1,\n" H64_A ",90,z9,later\n" H64_A
          ",70,a1,\n" H64_A ",,,early\n",
          DV_HT_NONE, 1);
    assert_int_equal(x.rc, DV_OK);
    assert_int_equal(x.st.entries, 5);
    assert_int_equal(x.dups, 3);
    assert_int_equal(lcount(&x), 2);
    entry_of(&x, H64_A, &e);
    assert_int_equal(e.quality, 90); /* the highest */
    assert_string_equal(e.id, "a1"); /* the smallest non-empty */
    assert_string_equal(e.label, "early");
    built_free(&x);
}

static void test_digest_independent(void **state)
{
    static const char *const texts[] = {
        H64_A ",90\n" H64_B ",80\n" H64_C ",70\n",
        H64_C ",70\n" H64_A ",90\n" H64_B ",80\n" H64_A ",90\n",
        "quality,pdq\n70," H64_C "\n80," H64_B "\n90," H64_A "\n",
        "pdq\tquality\n" H64_B "\t80\n" H64_A "\t90\n" H64_C "\t70\n",
        "{\"pdq\":\"" H64_A "\",\"quality\":90}\n{\"hash\":\"" H64_C
        "\",\"type\":\"pdq\",\"quality\":70}\n"
        "{\"pdq\":\"" H64_B "\",\"quality\":80}\n",
    };
    uint8_t d0[32], d[32];
    built x;
    (void)state;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        build(&x, DV_HT_NONE, texts[i], DV_HT_NONE, 1);
        assert_int_equal(x.rc, DV_OK);
        assert_int_equal(ltype(&x), DV_HT_PDQ);
        assert_int_equal(lcount(&x), 3);
        digest_of(&x, d);
        if (i == 0) memcpy(d0, d, 32);
        else assert_memory_equal(d0, d, 32);
        built_free(&x);
    }
    /* the creation time is no part of it, but a label, a quality or an id is */
    {
        dv_list_builder *b = dv_list_builder_create(DV_HT_NONE, NULL);
        uint8_t *buf;
        size_t len;
        dv_list *l;
        dv_list_info in;
        assert_int_equal(dv_list_builder_import(b, "t", texts[0], strlen(texts[0]), 0, 1, NULL),
                         DV_OK);
        assert_int_equal(dv__list_builder_to_buffer(b, NULL, 5, &buf, &len, NULL), DV_OK);
        assert_int_equal(dv_list_open_buffer(buf, len, &l, NULL, 0), DV_OK);
        dv_list_get_info(l, &in);
        assert_memory_equal(in.digest, d0, 32);
        assert_int_equal(in.created, 5);
        dv_list_close(l);
        free(buf);
        dv_list_builder_free(b);
    }
    build(&x, DV_HT_NONE, H64_A ",90\n" H64_B ",80\n" H64_C ",71\n", DV_HT_NONE, 1);
    digest_of(&x, d);
    assert_memory_not_equal(d0, d, 32);
    built_free(&x);
    build(&x, DV_HT_NONE, "pdq,quality,label\n" H64_A ",90,\n" H64_B ",80,x\n" H64_C ",70,\n",
          DV_HT_NONE, 1);
    digest_of(&x, d);
    assert_memory_not_equal(d0, d, 32);
    built_free(&x);
    /* the type is part of it: the same bytes as SHA-256 are another list */
    build(&x, DV_HT_NONE, H64_A "\n" H64_B "\n" H64_C "\n", DV_HT_SHA256, 1);
    digest_of(&x, d);
    assert_memory_not_equal(d0, d, 32);
    built_free(&x);
}

/* The digest as docs/dvl-format.md defines it, computed here independently. */
static void test_digest_definition(void **state)
{
    built x;
    uint8_t buf[512], d[32];
    size_t n = 0;
    dv_digests dg;
    (void)state;
    build(&x, DV_HT_NONE, "md5,id,label\n" MD5_B ",7,\n" MD5_A ",,L\n", DV_HT_NONE, 1);
    digest_of(&x, d);
    /* type 1, count 2, then MD5_B (0x90.. sorts first) and MD5_A */
    dv__put32(buf + n, 1), n += 4;
    dv__put64(buf + n, 2), n += 8;
    dv__put32(buf + n, 16), n += 4;
    unhex(MD5_B, buf + n), n += 16;
    dv__put32(buf + n, 0xFFFFFFFFu), n += 4;
    dv__put32(buf + n, 1), n += 4;
    buf[n++] = '7';
    dv__put32(buf + n, 0), n += 4;
    dv__put32(buf + n, 16), n += 4;
    unhex(MD5_A, buf + n), n += 16;
    dv__put32(buf + n, 0xFFFFFFFFu), n += 4;
    dv__put32(buf + n, 0), n += 4;
    dv__put32(buf + n, 1), n += 4;
    buf[n++] = 'L';
    assert_int_equal(dv_digests_compute(DV_ALGO_SHA256, buf, n, &dg), DV_OK);
    assert_memory_equal(dg.sha256, d, 32);
    built_free(&x);
}

/* ---------------------------------------------------------------- round trips, find, diff */

static void rand_key(uint64_t *s, uint8_t *k, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        *s = *s * 6364136223846793005ull + 1442695040888963407ull;
        k[i] = (uint8_t)(*s >> 56);
    }
}

static int cmp_keys(const void *a, const void *b) { return memcmp(a, b, 32); }

static void test_roundtrip_all_types(void **state)
{
    (void)state;
    for (int t = DV_HT_MD5; t <= DV_HT_URL_SHA256; t++) {
        dv_list_builder *b = dv_list_builder_create(DV_HT_NONE, NULL);
        const size_t ks = dv_hash_type_size((dv_hash_type)t), n = 3000;
        uint8_t(*keys)[32] = calloc(n, 32);
        uint64_t s = 42 + (uint64_t)t;
        uint8_t *buf;
        size_t len;
        dv_list *l;
        dv_list_info in;
        char err[256];
        assert_non_null(keys);
        for (size_t i = 0; i < n; i++) {
            char id[32], label[32], url[64];
            rand_key(&s, keys[i], ks ? ks : 8);
            snprintf(id, sizeof(id), "id%zu", i);
            snprintf(label, sizeof(label), "cat%zu", i % 5);
            if (t == DV_HT_URL) {
                snprintf(url, sizeof(url), "http://h%02x%02x.example/%zu", keys[i][0], keys[i][1],
                         i);
                memset(keys[i], 0, 32);
                memcpy(keys[i], url, strlen(url) < 31 ? strlen(url) : 31);
                assert_int_equal(dv_list_builder_add(b, DV_HT_URL, url, strlen(url), id, label, -1),
                                 DV_OK);
            } else {
                assert_int_equal(dv_list_builder_add(b, (dv_hash_type)t, keys[i], ks, id,
                                                     i % 3 ? label : NULL,
                                                     t == DV_HT_PDQ ? (int)(i % 101) : -1),
                                 DV_OK);
            }
        }
        assert_int_equal(
            dv__list_builder_to_buffer(b, &(dv_list_meta){"n", "v", "s"}, 1, &buf, &len, NULL),
            DV_OK);
        assert_int_equal(dv_list_open_buffer(buf, len, &l, err, sizeof(err)), DV_OK);
        dv_list_get_info(l, &in);
        assert_int_equal(in.type, t);
        assert_int_equal(in.count, n);
        assert_int_equal(in.format_version, 1);
        assert_string_equal(in.name, "n");
        assert_string_equal(in.version, "v");
        assert_string_equal(in.source, "s");
        /* entries ascending, each found at its own index */
        for (uint64_t i = 0; i < n; i++) {
            dv_list_entry e, p;
            assert_int_equal(dv_list_get_entry(l, i, &e), DV_OK);
            assert_int_equal(dv_list_find(l, e.key, e.keylen), (int64_t)i);
            assert_true(strncmp(e.id, "id", 2) == 0);
            if (i > 0) {
                assert_int_equal(dv_list_get_entry(l, i - 1, &p), DV_OK);
                assert_true(memcmp(p.key, e.key, p.keylen < e.keylen ? p.keylen : e.keylen) <= 0);
            }
            if (t == DV_HT_PDQ) assert_true(e.quality >= 0 && e.quality <= 100);
            else assert_int_equal(e.quality, -1);
        }
        if (t != DV_HT_URL) {
            uint8_t miss[32];
            memset(miss, 0xAB, sizeof(miss));
            assert_int_equal(dv_list_find(l, miss, ks), -1);
            assert_int_equal(dv_list_find(l, keys[0], ks - 1), -1);
            assert_int_equal(dv_list_find(l, keys[7], ks) >= 0, 1);
        }
        if (t == DV_HT_PDQ) {
            /* the codes are the keys, in place, in canonical order */
            qsort(keys, n, 32, cmp_keys);
            assert_memory_equal(dv_list_pdq_codes(l), keys, n * 32);
        } else {
            assert_null(dv_list_pdq_codes(l));
        }
        /* size: 64-byte aligned sections, well within 1.5x of keys + ids + labels */
        assert_true(len < 2 * n * (ks ? ks : 30) + n * 16 + 2048);
        dv_list_close(l);
        free(buf);
        free(keys);
        dv_list_builder_free(b);
    }
}

static void test_builder_add_api(void **state)
{
    dv_list_builder *b = dv_list_builder_create(DV_HT_MD5, NULL);
    uint8_t k[32] = {1};
    char big[5000];
    (void)state;
    assert_null(dv_list_builder_create((dv_hash_type)77, NULL));
    assert_int_equal(dv_list_builder_add(b, DV_HT_SHA1, k, 20, NULL, NULL, -1), DV_EINVAL);
    assert_non_null(strstr(dv_list_builder_errmsg(b), "a sha1 entry in a md5 list"));
    assert_int_equal(dv_list_builder_add(b, DV_HT_MD5, k, 20, NULL, NULL, -1), DV_EINVAL);
    assert_int_equal(dv_list_builder_add(b, DV_HT_MD5, NULL, 16, NULL, NULL, -1), DV_EINVAL);
    assert_int_equal(dv_list_builder_add(b, DV_HT_NONE, k, 16, NULL, NULL, -1), DV_EINVAL);
    assert_int_equal(dv_list_builder_add(b, DV_HT_MD5, k, 16, NULL, NULL, 101), DV_EINVAL);
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(dv_list_builder_add(b, DV_HT_MD5, k, 16, big, NULL, -1), DV_EINVAL);
    assert_int_equal(dv_list_builder_add(b, DV_HT_MD5, k, 16, "i", "l", 50), DV_OK);
    assert_int_equal(dv_list_builder_add(NULL, DV_HT_MD5, k, 16, NULL, NULL, -1), DV_EINVAL);
    dv_list_builder_free(b);
    b = dv_list_builder_create(DV_HT_URL, NULL);
    assert_int_equal(dv_list_builder_add(b, DV_HT_URL, "", 0, NULL, NULL, -1), DV_EINVAL);
    assert_int_equal(dv_list_builder_add(b, DV_HT_URL, "a\0b", 3, NULL, NULL, -1), DV_EINVAL);
    dv_list_builder_free(b);
    dv_list_builder_free(NULL);
    assert_string_equal(dv_list_builder_errmsg(NULL), "");
}

static void test_empty_lists(void **state)
{
    dv_list_builder *b = dv_list_builder_create(DV_HT_NONE, NULL);
    uint8_t *buf;
    size_t len;
    dv_list *l, *l2;
    dv_list_info in;
    dv_list_entry e;
    uint64_t add = 9, rem = 9;
    (void)state;
    assert_int_equal(dv__list_builder_to_buffer(b, NULL, 0, &buf, &len, NULL), DV_EINVAL);
    assert_non_null(strstr(dv_list_builder_errmsg(b), "no hash type"));
    dv_list_builder_free(b);
    for (int t = DV_HT_MD5; t <= DV_HT_URL_SHA256; t++) {
        b = dv_list_builder_create((dv_hash_type)t, NULL);
        assert_int_equal(dv__list_builder_to_buffer(b, NULL, 0, &buf, &len, NULL), DV_OK);
        assert_int_equal(dv_list_open_buffer(buf, len, &l, NULL, 0), DV_OK);
        dv_list_get_info(l, &in);
        assert_int_equal(in.count, 0);
        assert_string_equal(in.name, "");
        assert_int_equal(dv_list_get_entry(l, 0, &e), DV_ERANGE);
        assert_int_equal(dv_list_find(l, "abcdefghijklmnopqrstuvwxyz012345",
                                      in.type == DV_HT_URL ? 5 : dv_hash_type_size(in.type)),
                         -1);
        assert_int_equal(dv_list_open_buffer(buf, len, &l2, NULL, 0), DV_OK);
        assert_int_equal(dv_list_diff(l, l2, &add, &rem), DV_OK);
        assert_int_equal(add + rem, 0);
        dv_list_close(l2);
        dv_list_close(l);
        free(buf);
        dv_list_builder_free(b);
    }
}

static void test_diff(void **state)
{
    built a, b, c;
    uint64_t add = 0, rem = 0;
    (void)state;
    build(&a, DV_HT_NONE, MD5_A "\n" MD5_B "\n", DV_HT_NONE, 1);
    build(&b, DV_HT_NONE,
          MD5_B "\n" MD5_C "\n"
                "ffffffffffffffffffffffffffffffff\n",
          DV_HT_NONE, 1);
    build(&c, DV_HT_NONE, SHA1_A "\n", DV_HT_NONE, 1);
    assert_int_equal(dv_list_diff(a.l, b.l, &add, &rem), DV_OK);
    assert_int_equal(add, 2);
    assert_int_equal(rem, 1);
    assert_int_equal(dv_list_diff(b.l, a.l, &add, &rem), DV_OK);
    assert_int_equal(add, 1);
    assert_int_equal(rem, 2);
    assert_int_equal(dv_list_diff(a.l, a.l, &add, &rem), DV_OK);
    assert_int_equal(add + rem, 0);
    assert_int_equal(dv_list_diff(a.l, c.l, &add, &rem), DV_EINVAL);
    assert_int_equal(dv_list_diff(a.l, NULL, &add, &rem), DV_EINVAL);
    built_free(&a);
    built_free(&b);
    built_free(&c);
}

/* ---------------------------------------------------------------- files */

static void test_write_file(void **state)
{
    char dir[] = "/tmp/dvtest-list.XXXXXX", path[128], err[256];
    dv_list_builder *b = dv_list_builder_create(DV_HT_NONE, NULL);
    dv_import_stats st;
    dv_list *l;
    dv_list_info in;
    struct stat sb;
    uint8_t *buf;
    size_t len;
    const char *text = "hash,label\n" H64_A ",x\n" H64_A ",y\n" H64_B ",\n";
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/out.dvl", dir);
    memset(&st, 0, sizeof(st));
    assert_int_equal(dv_list_builder_import(b, "t.csv", text, strlen(text), DV_HT_PDQ, 1, &st),
                     DV_OK);
    assert_int_equal(dv_list_builder_write(b, &(dv_list_meta){"NCMEC", "2024-05", NULL}, path, &st),
                     DV_OK);
    assert_int_equal(st.duplicates, 1);
    assert_int_equal(st.entries, 3);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    /* written twice (replaced atomically), no temporary file left behind */
    assert_int_equal(dv_list_builder_write(b, NULL, path, NULL), DV_OK);
    assert_int_equal(dv_list_open(path, &l, err, sizeof(err)), DV_OK);
    dv_list_get_info(l, &in);
    assert_int_equal(in.count, 2);
    assert_int_equal(in.type, DV_HT_PDQ);
    assert_string_equal(in.name, "");
    /* the file holds what the buffer holds, but for the creation time */
    assert_int_equal(dv__list_builder_to_buffer(b, NULL, in.created, &buf, &len, NULL), DV_OK);
    {
        size_t flen = 0;
        FILE *f = fopen(path, "rb");
        uint8_t *fb = malloc(len + 1);
        assert_non_null(f);
        flen = fread(fb, 1, len + 1, f);
        fclose(f);
        assert_int_equal(flen, len);
        assert_memory_equal(fb, buf, len);
        free(fb);
    }
    free(buf);
    dv_list_close(l);
    {
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "test $(ls -A %s | wc -l) -eq 1", dir);
        assert_int_equal(system(cmd), 0);
    }
    /* a directory that does not exist */
    assert_int_equal(dv_list_builder_write(b, NULL, "/nonexistent-dir/x.dvl", NULL), DV_EIO);
    assert_non_null(strstr(dv_list_builder_errmsg(b), "/nonexistent-dir/x.dvl"));
    /* opening what is not a list */
    assert_int_equal(dv_list_open(dir, &l, err, sizeof(err)), DV_EIO);
    assert_int_equal(dv_list_open("/nonexistent-dir/x.dvl", &l, err, sizeof(err)), DV_EIO);
    snprintf(path, sizeof(path), "%s/short", dir);
    {
        FILE *f = fopen(path, "wb");
        fputs("DVLIST", f);
        fclose(f);
    }
    assert_int_equal(dv_list_open(path, &l, err, sizeof(err)), DV_EFORMAT);
    unlink(path);
    snprintf(path, sizeof(path), "%s/out.dvl", dir);
    unlink(path);
    rmdir(dir);
    dv_list_builder_free(b);
}

/* ---------------------------------------------------------------- corrupt files */

/* A small list with every section: PDQ, qualities, ids, labels. */
static void small_list(uint8_t **buf, size_t *len)
{
    dv_list_builder *b = dv_list_builder_create(DV_HT_NONE, NULL);
    const char *t = "pdq,quality,id,label\n" H64_A ",90,i1,A1\n" H64_B ",,i2,\n" H64_C ",50,,B1\n";
    assert_int_equal(dv_list_builder_import(b, "t", t, strlen(t), 0, 1, NULL), DV_OK);
    assert_int_equal(
        dv__list_builder_to_buffer(b, &(dv_list_meta){"n", "v", "s"}, 7, buf, len, NULL), DV_OK);
    dv_list_builder_free(b);
}

static void small_url_list(uint8_t **buf, size_t *len)
{
    dv_list_builder *b = dv_list_builder_create(DV_HT_NONE, NULL);
    const char *t = "http://a.example/\nhttp://b.example/x\nhttp://c.example/yy\n";
    assert_int_equal(dv_list_builder_import(b, "t", t, strlen(t), 0, 1, NULL), DV_OK);
    assert_int_equal(dv__list_builder_to_buffer(b, NULL, 7, buf, len, NULL), DV_OK);
    dv_list_builder_free(b);
}

/* Whatever opens must be walkable; whatever fails must say why. */
static int try_open(const uint8_t *buf, size_t len)
{
    dv_list *l = NULL;
    char err[256] = "";
    uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan sees any overread */
    int rc;
    memcpy(copy, buf, len);
    rc = dv_list_open_buffer(copy, len, &l, err, sizeof(err));
    if (rc == DV_OK) {
        dv_list_info in;
        dv_list_get_info(l, &in);
        for (uint64_t i = 0; i < in.count; i++) {
            dv_list_entry e;
            assert_int_equal(dv_list_get_entry(l, i, &e), DV_OK);
            assert_int_equal(dv_list_find(l, e.key, e.keylen), (int64_t)i);
            assert_true(strlen(e.id) <= len && strlen(e.label) <= len);
        }
        dv_list_close(l);
    } else {
        assert_true(rc == DV_ECORRUPT || rc == DV_EFORMAT);
        assert_true(err[0] != '\0');
        assert_null(l);
    }
    free(copy);
    return rc;
}

static void test_truncated(void **state)
{
    uint8_t *buf;
    size_t len;
    (void)state;
    for (int k = 0; k < 2; k++) {
        if (k == 0) small_list(&buf, &len);
        else small_url_list(&buf, &len);
        assert_int_equal(try_open(buf, len), DV_OK);
        for (size_t n = 0; n < len; n++) {
            if (try_open(buf, n) == DV_OK) fprintf(stderr, "truncated to %zu bytes opened\n", n);
            assert_int_not_equal(try_open(buf, n), DV_OK);
        }
        free(buf);
    }
}

/* dv_list_verify of a buffer that opens, or 1 if it does not open */
static int verify_buf(const uint8_t *buf, size_t len)
{
    dv_list *l = NULL;
    char err[256] = "";
    int rc = dv_list_open_buffer(buf, len, &l, err, sizeof(err));
    if (rc != DV_OK) return 1;
    rc = dv_list_verify(l, err, sizeof(err));
    if (rc != DV_OK) assert_non_null(strstr(err, "do not give the digest in its header"));
    dv_list_close(l);
    return rc;
}

static void test_bitflips(void **state)
{
    uint8_t *buf;
    size_t len;
    (void)state;
    for (int k = 0; k < 2; k++) {
        unsigned opened = 0, content = 0, created = 0;
        if (k == 0) small_list(&buf, &len);
        else small_url_list(&buf, &len);
        assert_int_equal(verify_buf(buf, len), DV_OK);
        size_t ko = (size_t)dv__le64(buf + DV__H_SECTIONS + 16 * DV__SEC_KEYS);
        size_t kl = (size_t)dv__le64(buf + DV__H_SECTIONS + 16 * DV__SEC_KEYS + 8);
        for (size_t i = 0; i < len; i++) {
            static const uint8_t masks[] = {0x01, 0x80, 0xFF};
            for (size_t m = 0; m < sizeof(masks); m++) {
                buf[i] ^= masks[m];
                if (try_open(buf, len) == DV_OK) {
                    int v = verify_buf(buf, len);
                    opened++;
                    /* the content (here its keys) or the digest changed: verify says so; the
                     * creation time is not content */
                    if ((i >= ko && i < ko + kl) ||
                        (i >= DV__H_DIGEST && i < DV__H_DIGEST + 32)) {
                        assert_int_equal(v, DV_ECORRUPT);
                        content++;
                    } else if (i >= DV__H_CREATED && i < DV__H_CREATED + 8) {
                        assert_int_equal(v, DV_OK);
                        created++;
                    }
                }
                buf[i] ^= masks[m];
            }
        }
        /* digest, created, padding and some key bytes are not checked by open: those open */
        assert_true(opened > 0 && content > 32 && created > 0);
        free(buf);
    }
}

static void test_bad_fields(void **state)
{
    uint8_t *buf, *c;
    size_t len;
    char err[256];
    dv_list *l;
    (void)state;
    small_list(&buf, &len);
    c = malloc(len);
#define EXPECT_BAD(code, setup, text)                                                              \
    do {                                                                                           \
        memcpy(c, buf, len);                                                                       \
        setup;                                                                                     \
        err[0] = '\0';                                                                             \
        assert_int_equal(dv_list_open_buffer(c, len, &l, err, sizeof(err)), code);                 \
        if (strstr(err, text) == NULL) fprintf(stderr, "'%s' lacks '%s'\n", err, text);            \
        assert_non_null(strstr(err, text));                                                        \
    } while (0)
    EXPECT_BAD(DV_EFORMAT, c[0] = 'X', "magic");
    EXPECT_BAD(DV_EFORMAT, dv__put32(c + 8, 2), "format version 2 at offset 8");
    EXPECT_BAD(DV_EFORMAT, dv__put32(c + 12, 0), "hash type 0 at offset 12");
    EXPECT_BAD(DV_EFORMAT, dv__put32(c + 12, 9), "hash type 9 at offset 12");
    EXPECT_BAD(DV_ECORRUPT, dv__put32(c + 12, DV_HT_MD5), "key size 32 at offset 24");
    EXPECT_BAD(DV_ECORRUPT, dv__put32(c + 12, DV_HT_SHA256), "quality");
    EXPECT_BAD(DV_ECORRUPT, dv__put64(c + 16, 4), "keys");
    EXPECT_BAD(DV_ECORRUPT, dv__put64(c + 16, 1ull << 40), "entry count");
    EXPECT_BAD(DV_ECORRUPT, dv__put64(c + 16, UINT64_MAX), "entry count");
    EXPECT_BAD(DV_ECORRUPT, dv__put32(c + 24, 16), "key size 16");
    EXPECT_BAD(DV_EFORMAT, dv__put32(c + 28, 1), "flags");
    EXPECT_BAD(DV_ECORRUPT, dv__put32(c + 72, 8), "section count");
    EXPECT_BAD(DV_ECORRUPT, dv__put32(c + 76, 256), "header size");
    /* keys section: misaligned, inside the header, past the end, huge */
    EXPECT_BAD(DV_ECORRUPT, dv__put64(c + 96, dv__le64(c + 96) + 1), "not 64-byte aligned");
    EXPECT_BAD(DV_ECORRUPT, dv__put64(c + 80, 128), "inside the header");
    EXPECT_BAD(DV_ECORRUPT, dv__put64(c + 96, dv__le64(c + 80)), "overlapping");
    EXPECT_BAD(DV_ECORRUPT, dv__put64(c + 104, UINT64_MAX), "past the end");
    EXPECT_BAD(DV_ECORRUPT, dv__put64(c + 96, UINT64_MAX - 63), "past the end");
    EXPECT_BAD(DV_ECORRUPT, dv__put64(c + 104, dv__le64(c + 104) - 32), "count x key size");
    EXPECT_BAD(DV_ECORRUPT, dv__put64(c + 112, 64), "empty but offset");
    /* meta strings */
    EXPECT_BAD(DV_ECORRUPT, c[dv__le64(c + 80) + 5] = 'x', "meta");
    EXPECT_BAD(DV_ECORRUPT, dv__put64(c + 88, 2), "meta");
    /* unsorted and duplicate keys */
    EXPECT_BAD(DV_ECORRUPT, memset(c + dv__le64(c + 96), 0xff, 32), "entry 1 is not above entry 0");
    EXPECT_BAD(DV_ECORRUPT, memcpy(c + dv__le64(c + 96) + 32, c + dv__le64(c + 96), 32),
               "keys must be sorted and unique");
    /* string offsets: past the blob; the blob must end in a NUL */
    EXPECT_BAD(DV_ECORRUPT, dv__put32(c + dv__le64(c + 144), 0xFFFFFF), "past the strings");
    EXPECT_BAD(DV_ECORRUPT, c[dv__le64(c + 176) + dv__le64(c + 184) - 1] = 'x',
               "must start and end with a NUL");
    /* qualities: only -1..100 */
    EXPECT_BAD(DV_ECORRUPT, c[dv__le64(c + 128)] = 101, "quality 101");
    /* ids section of the wrong size */
    EXPECT_BAD(DV_ECORRUPT, dv__put64(c + 152, 8), "0 or count x 4");
    free(c);
    free(buf);

    small_url_list(&buf, &len);
    c = malloc(len);
    /* key offsets: the first must be 0, they must grow, and end at the keys' length */
    EXPECT_BAD(DV_ECORRUPT, dv__put64(c + dv__le64(c + 112), 1), "the first offset is not 0");
    EXPECT_BAD(DV_ECORRUPT, dv__put64(c + dv__le64(c + 112) + 8, 0), "entry 1 has offset 0");
    EXPECT_BAD(DV_ECORRUPT, dv__put64(c + dv__le64(c + 112) + 24, 1000), "entry 3 has offset 1000");
    EXPECT_BAD(DV_ECORRUPT, dv__put64(c + 120, 8), "(count + 1) x 8");
    EXPECT_BAD(DV_ECORRUPT, dv__put32(c + 12, DV_HT_MD5), "key size 0");
    free(c);
    free(buf);
#undef EXPECT_BAD
}

/* ---------------------------------------------------------------- allocation failures */

typedef struct failing {
    long left; /* allocations that succeed before the failure; < 0: never fail */
    long count;
} failing;

static void *f_malloc(void *o, size_t n)
{
    failing *f = o;
    f->count++;
    if (f->left == 0) return NULL;
    if (f->left > 0) f->left--;
    return malloc(n);
}

static void *f_realloc(void *o, void *p, size_t n)
{
    failing *f = o;
    f->count++;
    if (f->left == 0) return NULL;
    if (f->left > 0) f->left--;
    return realloc(p, n);
}

static void f_free(void *o, void *p)
{
    (void)o;
    free(p);
}

static void test_alloc_failures(void **state)
{
    const char *texts[] = {
        "hash,quality,id,label\n" H64_A ",90,i1,A\n" H64_B ",80,i2,A\n" H64_A ",1,,B\n",
        "{\"url\":\"http://x.example/\",\"id\":\"1\"}\n{\"url\":\"http://y.example/"
        "\",\"label\":\"l\"}\n",
        MD5_A "\n" MD5_B "\n",
    };
    (void)state;
    for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
        long total;
        failing f = {-1, 0};
        dv_alloc a = {f_malloc, f_realloc, f_free, &f};
        dv_list_builder *b = dv_list_builder_create(DV_HT_NONE, &a);
        uint8_t *buf;
        size_t len;
        assert_int_equal(dv_list_builder_import(b, "t", texts[t], strlen(texts[t]), 0, 1, NULL),
                         DV_OK);
        assert_int_equal(dv__list_builder_to_buffer(b, NULL, 0, &buf, &len, NULL), DV_OK);
        dv__free(&a, buf);
        dv_list_builder_free(b);
        total = f.count;
        for (long k = 0; k < total; k++) {
            int rc;
            f.left = k;
            f.count = 0;
            b = dv_list_builder_create(DV_HT_NONE, &a);
            if (b == NULL) continue;
            rc = dv_list_builder_import(b, "t", texts[t], strlen(texts[t]), 0, 1, NULL);
            if (rc == DV_OK) rc = dv__list_builder_to_buffer(b, NULL, 0, &buf, &len, NULL);
            if (rc == DV_OK) dv__free(&a, buf);
            else assert_int_equal(rc, DV_ENOMEM);
            if (rc != DV_OK) assert_true(dv_list_builder_errmsg(b)[0] != '\0');
            dv_list_builder_free(b);
        }
    }
}

/* ---------------------------------------------------------------- a bigger list */

/* dv_list_find on lists whose keys are not spread evenly (a list is input) finds every key
 * and nothing else, and the neighbours of each key only when listed. Shapes:
 * 0 random, 1 one shared 8-byte prefix, 2 two tight clusters at both ends, 3 geometric
 * (each prefix twice the last), 4 random but every 50th key's prefix 0. */
/* URL lists below and above the size that gets the hash index: every entry found at its
 * index, and near misses (a prefix, one byte more, the last byte moved, another case) not */
static void test_find_urls(void **state)
{
    static const size_t sizes[] = {3, 1000, 1023, 1024, 3000};
    (void)state;
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        dv_list_builder *b = dv_list_builder_create(DV_HT_NONE, NULL);
        uint64_t s = 77 + si;
        uint8_t *buf;
        size_t len;
        dv_list *l, *bs;
        dv_list_info in;
        char err[256], u[128];
        assert_non_null(b);
        for (size_t i = 0; i < sizes[si]; i++) {
            size_t n;
            rand_key(&s, (uint8_t *)u, 8);
            n = (size_t)snprintf(u, sizeof u, "https://h%zu.example.com/p/%zu/%02x.jpg", i % 7,
                                 i, (unsigned)(uint8_t)u[0]);
            assert_int_equal(dv_list_builder_add(b, DV_HT_URL, u, n, NULL, NULL, -1), DV_OK);
        }
        assert_int_equal(dv__list_builder_to_buffer(b, &(dv_list_meta){"u", "v", "s"}, 1, &buf,
                                                    &len, NULL),
                         DV_OK);
        assert_int_equal(dv_list_open_buffer(buf, len, &l, err, sizeof(err)), DV_OK);
        assert_int_equal(dv_list_open_buffer(buf, len, &bs, err, sizeof(err)), DV_OK);
        dv__list_drop_index(bs); /* the binary search, to compare with */
        dv_list_get_info(l, &in);
        assert_int_equal(in.count, sizes[si]);
        for (uint64_t i = 0; i < in.count; i++) {
            dv_list_entry e;
            char x[160];
            assert_int_equal(dv_list_get_entry(l, i, &e), DV_OK);
            assert_int_equal(dv_list_find(l, e.key, e.keylen), (int64_t)i);
            assert_int_equal(dv_list_find(bs, e.key, e.keylen), (int64_t)i);
            memcpy(x, e.key, e.keylen);
            assert_int_equal(dv_list_find(l, x, e.keylen - 1), -1);
            x[e.keylen] = 'x';
            assert_int_equal(dv_list_find(l, x, e.keylen + 1), -1);
            x[e.keylen - 5] = (char)(x[e.keylen - 5] + 1); /* a hex digit of the name moved */
            assert_int_equal(dv_list_find(l, x, e.keylen), dv_list_find(bs, x, e.keylen));
            if (dv_list_find(l, x, e.keylen) >= 0) {
                dv_list_entry o;
                assert_int_equal(dv_list_get_entry(l, (uint64_t)dv_list_find(l, x, e.keylen), &o),
                                 DV_OK);
                assert_int_equal(o.keylen, e.keylen);
                assert_memory_equal(o.key, x, e.keylen);
            }
            memcpy(x, e.key, e.keylen);
            x[0] = 'H';
            assert_int_equal(dv_list_find(l, x, e.keylen), -1);
        }
        assert_int_equal(dv_list_find(l, "", 0), -1);
        dv_list_close(l);
        dv_list_close(bs);
        free(buf);
        dv_list_builder_free(b);
    }
}

/* Opened with DV_LIST_NO_INDEX (list info, list diff, list build's read-back), a list gets
 * no hash index, and a PDQ list none ever (nothing looks its keys up: until 2026-12-07 it got
 * one, 16-32 bytes an entry, as did every list list info opened); lookups give the same
 * answers */
static void test_open_no_index(void **state)
{
    char dir[] = "/tmp/dvtest-list.XXXXXX", path[2][128], err[256];
    (void)state;
    assert_non_null(mkdtemp(dir));
    for (int t = 0; t < 2; t++) {
        dv_list_builder *b = dv_list_builder_create(DV_HT_NONE, NULL);
        const dv_hash_type type = t == 0 ? DV_HT_MD5 : DV_HT_PDQ;
        const size_t ks = t == 0 ? 16 : 32;
        uint64_t s = 4242 + (uint64_t)t;
        dv_list *l, *n;
        assert_non_null(b);
        for (int i = 0; i < 3000; i++) {
            uint8_t k[32];
            rand_key(&s, k, ks);
            assert_int_equal(dv_list_builder_add(b, type, k, ks, NULL, NULL, -1), DV_OK);
        }
        snprintf(path[t], sizeof(path[t]), "%s/%d.dvl", dir, t);
        assert_int_equal(dv_list_builder_write(b, NULL, path[t], NULL), DV_OK);
        dv_list_builder_free(b);
        assert_int_equal(dv_list_open(path[t], &l, err, sizeof(err)), DV_OK);
        assert_int_equal(dv__list_has_index(l), t == 0);
        assert_int_equal(dv_list_open_flags(path[t], DV_LIST_NO_INDEX, &n, err, sizeof(err)),
                         DV_OK);
        assert_int_equal(dv__list_has_index(n), 0);
        for (uint64_t i = 0; i < 3000; i++) {
            dv_list_entry e;
            uint8_t x[32];
            assert_int_equal(dv_list_get_entry(n, i, &e), DV_OK);
            assert_int_equal(dv_list_find(n, e.key, e.keylen), (int64_t)i);
            assert_int_equal(dv_list_find(l, e.key, e.keylen), (int64_t)i);
            memcpy(x, e.key, ks);
            x[ks - 1] ^= 1;
            assert_int_equal(dv_list_find(n, x, ks), dv_list_find(l, x, ks));
        }
        dv_list_close(l);
        dv_list_close(n);
        unlink(path[t]);
    }
    rmdir(dir);
}

static void test_find_shapes(void **state)
{
    static const size_t sizes[] = {1, 2, 8, 9, 10, 17, 1000, 5000};
    static const dv_hash_type types[] = {DV_HT_MD5, DV_HT_SHA256};
    (void)state;
    for (size_t ti = 0; ti < 2; ti++)
        for (int shape = 0; shape < 5; shape++)
            for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
                const size_t n = sizes[si], ks = dv_hash_type_size(types[ti]);
                dv_list_builder *b = dv_list_builder_create(DV_HT_NONE, NULL);
                uint64_t s = 1000 + (uint64_t)shape * 31 + si;
                uint8_t *buf, k[32];
                size_t len;
                dv_list *l;
                dv_list_info in;
                char err[256];
                assert_non_null(b);
                for (size_t i = 0; i < n; i++) {
                    rand_key(&s, k, ks);
                    if (shape == 1) memset(k, 0x5A, 8);
                    if (shape == 2) memset(k, i % 2 ? 0xFF : 0x00, 7);
                    if (shape == 3) {
                        uint64_t v = (uint64_t)1 << (i % 64);
                        for (int j = 0; j < 8; j++) k[j] = (uint8_t)(v >> (56 - 8 * j));
                    }
                    if (shape == 4 && i % 50 == 0) memset(k, 0, 8);
                    assert_int_equal(dv_list_builder_add(b, types[ti], k, ks, NULL, NULL, -1),
                                     DV_OK);
                }
                assert_int_equal(dv__list_builder_to_buffer(b, &(dv_list_meta){"n", "v", "s"}, 1,
                                                            &buf, &len, NULL),
                                 DV_OK);
                assert_int_equal(dv_list_open_buffer(buf, len, &l, err, sizeof(err)), DV_OK);
                dv_list_get_info(l, &in);
                for (uint64_t i = 0; i < in.count; i++) {
                    dv_list_entry e;
                    uint8_t x[32];
                    assert_int_equal(dv_list_get_entry(l, i, &e), DV_OK);
                    assert_int_equal(dv_list_find(l, e.key, e.keylen), (int64_t)i);
                    /* the key with its last byte moved: absent unless it is the next or the
                     * previous entry */
                    for (int d = -1; d <= 1; d += 2) {
                        dv_list_entry o;
                        int64_t want = -1;
                        memcpy(x, e.key, ks);
                        x[ks - 1] = (uint8_t)(x[ks - 1] + d);
                        if ((d > 0 && x[ks - 1] == 0) || (d < 0 && x[ks - 1] == 0xFF)) continue;
                        if (i + 1 < in.count && d > 0 &&
                            dv_list_get_entry(l, i + 1, &o) == DV_OK && memcmp(o.key, x, ks) == 0)
                            want = (int64_t)i + 1;
                        if (i > 0 && d < 0 && dv_list_get_entry(l, i - 1, &o) == DV_OK &&
                            memcmp(o.key, x, ks) == 0)
                            want = (int64_t)i - 1;
                        assert_int_equal(dv_list_find(l, x, ks), want);
                    }
                }
                memset(k, 0x00, sizeof k);
                if (dv_list_find(l, k, ks) >= 0) {
                    dv_list_entry e;
                    assert_int_equal(dv_list_get_entry(l, 0, &e), DV_OK);
                    assert_memory_equal(e.key, k, ks);
                }
                memset(k, 0xFF, sizeof k);
                assert_true(dv_list_find(l, k, ks) < 0 ||
                            dv_list_find(l, k, ks) == (int64_t)in.count - 1);
                dv_list_close(l);
                free(buf);
                dv_list_builder_free(b);
            }
}

static void test_many(void **state)
{
    const size_t n = 200000;
    char *text = malloc(n * 70), *p = text;
    uint64_t s = 7;
    built x;
    (void)state;
    assert_non_null(text);
    for (size_t i = 0; i < n; i++) {
        uint8_t k[32];
        rand_key(&s, k, 32);
        if (i % 1000 == 0) k[0] = k[1] = 0; /* a crowded first bucket */
        dv_hex_encode(k, 32, p);
        p += 64;
        p += snprintf(p, 8, ",%zu\n", i % 101);
    }
    /* every 10th line again: duplicates */
    *p = '\0';
    build(&x, DV_HT_NONE, text, DV_HT_NONE, 1);
    assert_int_equal(x.rc, DV_OK);
    assert_int_equal(lcount(&x), n);
    assert_int_equal(try_open(x.buf, x.len), DV_OK);
    built_free(&x);
    free(text);
}
/* ---------------------------------------------------------------- streamed import */

typedef struct chunks {
    const char *p;
    size_t left, chunk;
} chunks;

static ptrdiff_t chunk_read(void *ctx, void *dst, size_t n)
{
    chunks *c = ctx;
    if (n > c->chunk) n = c->chunk;
    if (n > c->left) n = c->left;
    memcpy(dst, c->p, n);
    c->p += n;
    c->left -= n;
    return (ptrdiff_t)n;
}

/* rc, counts, message and list of one import of text, whole (chunk 0) or streamed */
typedef struct imported {
    int rc;
    dv_import_stats st;
    char msg[DV__LIST_MSG_CAP];
    uint8_t *buf;
    size_t len;
} imported;

static void import_one(imported *r, const char *text, size_t chunk, size_t max_line,
                       dv_hash_type forced, int strict)
{
    dv_list_builder *b = dv_list_builder_create(DV_HT_NONE, NULL);
    dv_list_import_opts o = {forced, strict, 0, NULL, NULL};
    chunks c = {text, strlen(text), chunk};
    memset(r, 0, sizeof(*r));
    r->rc = chunk == 0 ? dv__list_builder_import_text(b, "in", text, strlen(text), max_line,
                                                      forced, strict, &r->st)
                       /* odd chunks: a size hint far short of the text (a file that grew) */
                       : dv__list_builder_import_reader(b, "in", chunk_read, &c, chunk % 2,
                                                        max_line, &o, &r->st);
    snprintf(r->msg, sizeof r->msg, "%s", dv_list_builder_errmsg(b));
    if (r->rc == DV_OK && b->type != DV_HT_NONE)
        assert_int_equal(dv__list_builder_to_buffer(b, NULL, 0, &r->buf, &r->len, NULL), DV_OK);
    dv_list_builder_free(b);
}

/* A line of exactly the window's length (its '\n' the byte after the window) is a line, as
 * before streaming (a 4 MiB line was read; the window found no '\n' in its first 4 MiB and
 * called it "longer than 4194304 bytes"); one byte more is a bad line. Whole and streamed. */
static void test_line_at_window(void **state)
{
    char text[256];
    static const size_t sizes[] = {0, 1, 3, 4096};
    (void)state;
    for (int crlf = 0; crlf < 2; crlf++) {
        for (int more = 0; more < 2; more++) {
            /* an MD5, then "#xxx" of 40 bytes (CR included) + more */
            size_t n, k;
            snprintf(text, sizeof(text), "%s\n", MD5_A);
            k = strlen(text);
            n = k + 40 + (size_t)more;
            text[k++] = '#';
            while (k < n - (size_t)crlf) text[k++] = 'x';
            if (crlf) text[k++] = '\r';
            snprintf(text + k, sizeof(text) - k, "\n");
            for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
                imported r;
                import_one(&r, text, sizes[z], 40, DV_HT_NONE, 0);
                if (r.rc != DV_OK || r.st.lines != 2 || r.st.entries != 1 ||
                    r.st.bad != (uint64_t)more)
                    fail_msg("crlf %d more %d chunk %zu: rc %d lines %llu entries %llu bad %llu: %s",
                             crlf, more, sizes[z], r.rc, (unsigned long long)r.st.lines,
                             (unsigned long long)r.st.entries, (unsigned long long)r.st.bad, r.msg);
                if (more) assert_non_null(strstr(r.msg, "in:2: line longer than 40 bytes"));
                free(r.buf);
            }
        }
    }
}

/* Read in chunks of 1 byte and up, through a window of a few bytes and up, an input gives
 * what the whole text gives through the same window: entries, bad lines, line numbers,
 * messages. Lines and records longer than the window are bad lines in both. */
static void test_stream_chunks(void **state)
{
    static const char *texts[] = {
        "# list\n\n" MD5_A "\n" MD5_B "\r\nnot hex\n" MD5_C,
        "\xEF\xBB\xBFmd5,id,label\n" MD5_A ",1,\"two\nlines\"\n\n" MD5_B ",2,\"bad\"x\n" MD5_C
        ",3,\"open\n" MD5_A ",4,last\n",
        "sha1\tlabel\n" SHA1_A "\ta\\tb\n" SHA1_B "\tc\n",
        "{\"pdq\":\"" H64_A "\",\"quality\":90,\"label\":\"x\"}\n{bad\n{\"pdq\":\"" H64_B "\"}\n",
        H64_A ",80\n" H64_B ",70,extra\n",
        "https://Example.com/a\nhttp://x.example/b?c=d\nnot a url\n",
        "md5,label\n" MD5_A ",\"a very long label that runs past a small window\"\n" MD5_B ",b\n",
    };
    static const size_t lines[] = {8, 16, 40, 100, 0};
    static const size_t sizes[] = {1, 2, 3, 5, 8, 13, 64, 4096};
    (void)state;
    for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
        for (size_t m = 0; m < sizeof(lines) / sizeof(lines[0]); m++) {
            for (int strict = 0; strict < 2; strict++) {
                imported whole;
                import_one(&whole, texts[t], 0, lines[m], DV_HT_NONE, strict);
                for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
                    imported part;
                    import_one(&part, texts[t], sizes[k], lines[m], DV_HT_NONE, strict);
                    assert_int_equal(part.rc, whole.rc);
                    assert_int_equal(part.st.lines, whole.st.lines);
                    assert_int_equal(part.st.entries, whole.st.entries);
                    assert_int_equal(part.st.bad, whole.st.bad);
                    assert_string_equal(part.msg, whole.msg);
                    assert_int_equal(part.len, whole.len);
                    if (whole.len > 0) assert_memory_equal(part.buf, whole.buf, whole.len);
                    free(part.buf);
                }
                free(whole.buf);
            }
        }
    }
    /* the default window: as dv_list_builder_import always was for such lines */
    {
        imported r;
        import_one(&r, texts[1], 0, 0, DV_HT_NONE, 0);
        assert_int_equal(r.rc, DV_OK);
        assert_int_equal(r.st.entries, 2);
        assert_non_null(strstr(r.msg, "in:5: text after a closing quote"));
        assert_non_null(strstr(r.msg, "in:6: unterminated quoted field"));
        free(r.buf);
        /* a window of 40 bytes: the quoted label of 48 runs past it, as a quote left open
         * would (and is named so); an unquoted one is a record longer than the window */
        import_one(&r, texts[6], 0, 40, DV_HT_NONE, 0);
        assert_int_equal(r.st.entries, 1);
        assert_non_null(strstr(r.msg, "in:2: unterminated quoted field"));
        free(r.buf);
        import_one(&r, "md5,label\n" MD5_A ",a label too long for the window\n" MD5_B ",b\n", 0,
                   40, DV_HT_NONE, 0);
        assert_int_equal(r.st.entries, 1);
        assert_non_null(strstr(r.msg, "in:2: record longer than 1 MiB"));
        free(r.buf);
        import_one(&r, "# " MD5_A MD5_A "\n" MD5_B "\n", 0, 40, DV_HT_NONE, 0);
        assert_int_equal(r.st.entries, 1);
        assert_int_equal(r.st.bad, 0);
        free(r.buf);
        import_one(&r, MD5_A MD5_A "\n" MD5_B "\n", 0, 40, DV_HT_MD5, 0);
        assert_int_equal(r.st.entries, 1);
        assert_non_null(strstr(r.msg, "in:1: line longer than 40 bytes"));
        free(r.buf);
    }
}

/* dv_list_builder_import_fd: a pipe gives what the text gives; a read error and an input over
 * max_bytes fail the import and leave the builder as it was; progress is told the bytes. */
static uint64_t seen_bytes, seen_entries;
static void on_progress(void *ctx, uint64_t bytes, uint64_t entries)
{
    (void)ctx;
    seen_bytes = bytes;
    seen_entries = entries;
}

static void test_import_fd(void **state)
{
    const char *text = "md5,label\n" MD5_A ",x\n" MD5_B ",y\n" MD5_C ",x\n";
    dv_list_import_opts o = {DV_HT_NONE, 0, 0, on_progress, NULL};
    dv_import_stats st;
    dv_list_builder *b;
    imported whole;
    uint8_t *buf;
    size_t len;
    int fds[2], dfd;
    (void)state;
    import_one(&whole, text, 0, 0, DV_HT_NONE, 0);
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], text, strlen(text)), (ssize_t)strlen(text));
    close(fds[1]);
    b = dv_list_builder_create(DV_HT_NONE, NULL);
    memset(&st, 0, sizeof(st));
    assert_int_equal(dv_list_builder_import_fd(b, "pipe", fds[0], &o, &st), DV_OK);
    close(fds[0]);
    assert_int_equal(st.entries, 3);
    assert_int_equal(seen_bytes, strlen(text));
    assert_int_equal(seen_entries, 3);
    assert_int_equal(dv__list_builder_to_buffer(b, NULL, 0, &buf, &len, NULL), DV_OK);
    assert_int_equal(len, whole.len);
    assert_memory_equal(buf, whole.buf, len);
    free(buf);
    free(whole.buf);
    /* a directory reads as an error (EISDIR): nothing added */
    dfd = open(".", O_RDONLY);
    assert_true(dfd >= 0);
    assert_int_equal(dv_list_builder_import_fd(b, "dir", dfd, &o, NULL), DV_EIO);
    close(dfd);
    assert_non_null(strstr(dv_list_builder_errmsg(b), "dir: read failed after 0 bytes"));
    assert_int_equal(b->n, 3);
    /* over max_bytes */
    o.max_bytes = 10;
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], text, strlen(text)), (ssize_t)strlen(text));
    close(fds[1]);
    assert_int_equal(dv_list_builder_import_fd(b, "big", fds[0], &o, NULL), DV_ETOOBIG);
    close(fds[0]);
    assert_int_equal(b->n, 3);
    assert_non_null(strstr(dv_list_builder_errmsg(b), "big: input over the limit of 10 bytes"));
    dv_list_builder_free(b);
}

/* Records hold only the fields some entry has, and are widened when one first comes: bare
 * hashes then labelled ones then ids give the list the other order gives. */
static void test_widen(void **state)
{
    const char *in[3] = {MD5_A "\n" MD5_B "\n",
                         "md5,label\n" MD5_B ",lab\n" MD5_C ",x\n",
                         "md5,id\n" MD5_A ",i1\n" MD5_C ",i2\n"};
    uint8_t *buf[2];
    size_t len[2];
    (void)state;
    for (int order = 0; order < 2; order++) {
        dv_list_builder *b = dv_list_builder_create(DV_HT_NONE, NULL);
        for (int i = 0; i < 3; i++) {
            const char *t = in[order ? 2 - i : i];
            assert_int_equal(dv_list_builder_import(b, "w", t, strlen(t), 0, 1, NULL), DV_OK);
        }
        assert_int_equal(b->rs, 16 + 4 + 4);
        assert_int_equal(dv__list_builder_to_buffer(b, NULL, 0, &buf[order], &len[order], NULL),
                         DV_OK);
        dv_list_builder_free(b);
    }
    assert_int_equal(len[0], len[1]);
    assert_memory_equal(buf[0], buf[1], len[0]);
    free(buf[0]);
    free(buf[1]);
    {
        /* a plain MD5 list: 16 bytes a record */
        dv_list_builder *b = dv_list_builder_create(DV_HT_NONE, NULL);
        assert_int_equal(dv_list_builder_import(b, "w", in[0], strlen(in[0]), 0, 1, NULL), DV_OK);
        assert_int_equal(b->rs, 16);
        dv_list_builder_free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_plain_bad),
        cmocka_unit_test(test_mixed_types),
        cmocka_unit_test(test_pdq_text),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_csv_bad),
        cmocka_unit_test(test_tsv),
        cmocka_unit_test(test_jsonl),
        cmocka_unit_test(test_jsonl_bad),
        cmocka_unit_test(test_json_parser),
        cmocka_unit_test(test_url_list),
        cmocka_unit_test(test_url_hash_list),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_digest_independent),
        cmocka_unit_test(test_digest_definition),
        cmocka_unit_test(test_roundtrip_all_types),
        cmocka_unit_test(test_builder_add_api),
        cmocka_unit_test(test_empty_lists),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_write_file),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_bitflips),
        cmocka_unit_test(test_bad_fields),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_find_shapes),
        cmocka_unit_test(test_find_urls),
        cmocka_unit_test(test_open_no_index),
        cmocka_unit_test(test_many),
        cmocka_unit_test(test_stream_chunks),
        cmocka_unit_test(test_line_at_window),
        cmocka_unit_test(test_import_fd),
        cmocka_unit_test(test_widen),
    };
    return cmocka_run_group_tests_name("list", tests, NULL, NULL);
}
