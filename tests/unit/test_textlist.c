/* test_textlist.c - URL lists: CSV quoting (RFC 4180), CRLF, BOM, TSV, JSONL escapes, TXT,
 * missing columns, bad rows that do not stop the iteration, over-long records, fd streaming. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "datavet.h"

/* Every row as "row:line:url|caption|extra...|md5=...|sha1=...|sha256=...|id=..." lines (a
 * hash column or id only where the row has it), bad rows as "ERR line-of-message". */
static void dump(dv_textlist *t, char *out, size_t cap, size_t nextra)
{
    dv_textlist_row r;
    int rc;
    size_t n = 0;
    out[0] = 0;
    while ((rc = dv_textlist_next(t, &r)) != 0) {
        if (rc == DV_ECORRUPT || rc == DV_ETOOBIG) {
            n += (size_t)snprintf(out + n, cap - n, "ERR %s\n", dv_textlist_errmsg(t));
            continue;
        }
        if (rc < 0) fail_msg("fatal %d: %s", rc, dv_textlist_errmsg(t));
        assert_int_equal(strlen(r.url), r.url_len);
        n += (size_t)snprintf(out + n, cap - n, "%llu:%llu:%s|%s", (unsigned long long)r.row,
                              (unsigned long long)r.line, r.url, r.caption ? r.caption : "(null)");
        for (size_t e = 0; e < nextra; e++)
            n += (size_t)snprintf(out + n, cap - n, "|%s", r.extra[e] ? r.extra[e] : "(null)");
        if (r.md5) {
            assert_true(strlen(r.md5) <= r.md5_len);
            n += (size_t)snprintf(out + n, cap - n, "|md5=%s", r.md5);
        }
        if (r.sha1) {
            assert_true(strlen(r.sha1) <= r.sha1_len);
            n += (size_t)snprintf(out + n, cap - n, "|sha1=%s", r.sha1);
        }
        if (r.sha256) {
            assert_true(strlen(r.sha256) <= r.sha256_len);
            n += (size_t)snprintf(out + n, cap - n, "|sha256=%s", r.sha256);
        }
        if (r.id) {
            assert_true(strlen(r.id) <= r.id_len);
            n += (size_t)snprintf(out + n, cap - n, "|id=%s", r.id);
        }
        if (r.id_missing) n += (size_t)snprintf(out + n, cap - n, "|id_missing=%d", r.id_missing);
        if (r.id_null) n += (size_t)snprintf(out + n, cap - n, "|id_null");
        n += (size_t)snprintf(out + n, cap - n, "\n");
    }
}

static void run_n(const char *name, const char *text, size_t len, const dv_textlist_opts *o,
                  size_t nextra, const char *expect)
{
    static char got[65536];
    dv_textlist *t = dv_textlist_create(o);
    assert_non_null(t);
    if (dv_textlist_open_buffer(t, text, len, name) != DV_OK)
        fail_msg("open: %s", dv_textlist_errmsg(t));
    dump(t, got, sizeof(got), nextra);
    if (strcmp(got, expect) != 0) fail_msg("%s:\n--- got\n%s--- want\n%s", name, got, expect);
    dv_textlist_free(t);
}

static void run(const char *name, const char *text, const dv_textlist_opts *o, size_t nextra,
                const char *expect)
{
    run_n(name, text, strlen(text), o, nextra, expect);
}

/* A URL holding a NUL byte is a bad row: as a C string it would be another, shorter URL
 * (fetch requested http://h/1 for "http://h/1\0evil" and recorded that as the row's URL),
 * as JSONL's \u0000 already is. */
static void test_nul_in_url(void **state)
{
    static const char txt[] = "http://h/1\0evil\nhttp://h/2\n";
    static const char csv[] = "url,caption\n\"http://c/1\0x\",a\nhttp://c/2,b\n";
    (void)state;
    run_n("h.txt", txt, sizeof txt - 1, NULL, 0,
          "ERR h.txt:1: a NUL byte in 'url'\n1:2:http://h/2|(null)\n");
    run_n("c.csv", csv, sizeof csv - 1, NULL, 0,
          "ERR c.csv:2: a NUL byte in 'url'\n1:3:http://c/2|b\n");
}

/* JSONL's \u0000 costs only the field that holds it (until 2026-12-07 the whole record was
 * bad, "\u0000 in a string": a NUL in a member datavet never reads lost the row's URL): an
 * unread member's is passed over, a name's matches no column, a URL's is a bad row naming the
 * line and the column, an id's is given as it is (id_len counts past it: the caller's bad id),
 * a caption's reads as a space, as a CSV field's NUL byte does. */
static void test_jsonl_nul(void **state)
{
    static const char csv[] = "url,caption\nhttp://c/1,a\0b\n";
    dv_textlist_opts o = {0};
    dv_textlist *t;
    dv_textlist_row r;
    (void)state;
    o.id = 1;
    run("n.jsonl",
        "{\"url\":\"http://n/1\",\"note\":\"\\u0000\",\"key\":\"k1\"}\n"
        "{\"url\":\"http://n/2\\u0000evil\",\"key\":\"k2\"}\n"
        "{\"url\":\"http://n/3\",\"caption\":\"ok\\u0000bad\\u0000\",\"key\":\"k3\"}\n"
        "{\"url\\u0000\":\"http://n/4\",\"url\":\"http://n/5\",\"caption\\u0000x\":\"c\"}\n",
        &o, 0,
        "1:1:http://n/1|(null)|id=k1\n"
        "ERR n.jsonl:2: a NUL byte in 'url'\n"
        "2:3:http://n/3|ok bad |id=k3\n"
        "3:4:http://n/5|(null)\n");
    run_n("n.csv", csv, sizeof csv - 1, NULL, 0, "1:2:http://c/1|a b\n");
    t = dv_textlist_create(&o);
    assert_non_null(t);
    assert_int_equal(dv_textlist_open_buffer(t, "{\"url\":\"http://n/6\",\"id\":\"a\\u0000b\"}", 36,
                                             "i.jsonl"),
                     DV_OK);
    assert_int_equal(dv_textlist_next(t, &r), 1);
    assert_int_equal(r.id_len, 3);
    assert_memory_equal(r.id, "a\0b", 3);
    dv_textlist_free(t);
}

static void test_csv_quoting(void **state)
{
    (void)state;
    run("a.csv",
        "url,caption,other\n"
        "http://a/1,plain,x\n"
        "\"http://a/2\",\"with, comma\",y\n"
        "http://a/3,\"say \"\"hi\"\"\",z\n"
        "http://a/4,\"two\nlines\",w\n"
        "http://a/5,,\n"
        "http://a/6,\"\",\"\"\n"
        "\n"
        "http://a/7,un\"quoted\"mid,v\n",
        NULL, 0,
        "1:2:http://a/1|plain\n"
        "2:3:http://a/2|with, comma\n"
        "3:4:http://a/3|say \"hi\"\n"
        "4:5:http://a/4|two\nlines\n"
        "5:7:http://a/5|\n"
        "6:8:http://a/6|\n"
        "7:10:http://a/7|un\"quoted\"mid\n");
}

static void test_crlf_bom(void **state)
{
    (void)state;
    run("b.csv",
        "\xEF\xBB\xBFurl,caption\r\n"
        "http://b/1,one\r\n"
        "\"http://b/2\",\"multi\r\nline\"\r\n"
        "http://b/3,last",
        NULL, 0,
        "1:2:http://b/1|one\n"
        "2:3:http://b/2|multi\r\nline\n"
        "3:5:http://b/3|last\n");
}

static void test_bad_rows_continue(void **state)
{
    (void)state;
    run("c.csv",
        "url,caption\n"
        "http://c/1,ok\n"
        "http://c/2,too,many\n"
        "http://c/3,\"closed\"junk\n"
        ",empty url\n"
        "http://c/4,fine\n"
        "http://c/5,\"never closed\n",
        NULL, 0,
        "1:2:http://c/1|ok\n"
        "ERR c.csv:3: 3 fields where the header has 2\n"
        "ERR c.csv:4: unexpected character 'j' after a closing quote\n"
        "ERR c.csv:5: empty or missing 'url'\n"
        "2:6:http://c/4|fine\n"
        "ERR c.csv:7: unterminated quoted field\n");
}

static void dump_split_pipe(const char *name, const char *text, size_t split,
                            const dv_textlist_opts *o, char *out, size_t cap);

/* A quote left open costs its own line only: the rows after it are read, whether the quote
 * runs to the end of the input or to another row's quote lines further on (they were lost
 * as one bad row); a quoted field with a line break that closes well is still one row. */
static void test_stray_quote(void **state)
{
    static const char text[] = "url,caption\n"
                               "http://s/1,\"open\n"
                               "http://s/2,two\n"
                               "http://s/3,\"shut\" here\n"
                               "http://s/4,\"multi\nline\"\n"
                               "http://s/5,\"to the end\n"
                               "http://s/6,six\n";
    static const char want[] = "ERR s.csv:2: unexpected character 's' after a closing quote\n"
                               "1:3:http://s/2|two\n"
                               "ERR s.csv:4: unexpected character ' ' after a closing quote\n"
                               "2:5:http://s/4|multi\nline\n"
                               "ERR s.csv:7: unterminated quoted field\n"
                               "3:8:http://s/6|six\n";
    (void)state;
    run("s.csv", text, NULL, 0, want);
    for (size_t split = 1; split < sizeof text - 1; split += 7) {
        static char piped[4096];
        dump_split_pipe("s.csv", text, split, NULL, piped, sizeof piped);
        if (strcmp(piped, want) != 0)
            fail_msg("a pipe giving %zu bytes first:\n%s--- want\n%s", split, piped, want);
    }
}

static void test_columns(void **state)
{
    dv_textlist_opts o = {0};
    const char *extra[] = {"key", "width"};
    dv_textlist *t;
    (void)state;
    /* caption absent by default is fine; named columns and extras */
    run("d.tsv", "URL\turl\tkey\nX\thttp://d/1\tk1\n", NULL, 0, "1:2:http://d/1|(null)\n");
    o.url_col = "URL";
    o.caption_col = "txt";
    o.extra_cols = extra;
    o.nextra = 2;
    run("d.tsv", "URL\ttxt\tkey\twidth\nhttp://d/1\tcap\tk1\t640\n", &o, 2,
        "1:2:http://d/1|cap|k1|640\n");
    /* a missing column fails at open and lists what there is */
    o.caption_col = "caption";
    t = dv_textlist_create(&o);
    assert_int_equal(dv_textlist_open_buffer(t, "URL\ttxt\tkey\twidth\n", 19, "d.tsv"),
                     DV_EFORMAT);
    assert_string_equal(dv_textlist_errmsg(t),
                        "d.tsv:1: no column 'caption' (columns: 'URL', 'txt', 'key', 'width')");
    assert_int_equal(dv_textlist_next(t, &(dv_textlist_row){0}), DV_EFORMAT);
    dv_textlist_free(t);
    /* a named column is case-sensitive; the default ones are not */
    o = (dv_textlist_opts){0};
    o.url_col = "url";
    t = dv_textlist_create(&o);
    assert_int_equal(dv_textlist_open_buffer(t, "URL,caption\nx,y\n", 16, "e.csv"), DV_EFORMAT);
    assert_non_null(strstr(dv_textlist_errmsg(t), "no column 'url'"));
    dv_textlist_free(t);
    t = dv_textlist_create(NULL);
    assert_int_equal(dv_textlist_open_buffer(t, "key,width\nx,y\n", 14, "e.csv"), DV_EFORMAT);
    assert_non_null(strstr(dv_textlist_errmsg(t), "no column 'url' or 'image_url'"));
    /* a list without a header row whose first URL has no scheme: say what a headerless
     * list needs, not only that the "header" names no url column */
    assert_int_equal(dv_textlist_open_buffer(t, "www.a.example/x.jpg,foo\n", 24, "g.csv"),
                     DV_EFORMAT);
    assert_string_equal(dv_textlist_errmsg(t),
                        "g.csv:1: no column 'url' or 'image_url' (columns: 'www.a.example/x.jpg', "
                        "'foo'); a list without a header row needs an http:// or https:// URL "
                        "in its first line");
    dv_textlist_free(t);
    /* empty file */
    t = dv_textlist_create(NULL);
    assert_int_equal(dv_textlist_open_buffer(t, "", 0, "f.csv"), DV_EFORMAT);
    assert_non_null(strstr(dv_textlist_errmsg(t), "no header"));
    dv_textlist_free(t);
    dv_textlist_free(NULL);
}

/* Lists as datasets ship them: LAION's URL/TEXT, WIT's image_url, CC12M's TSV without a
 * header (url TAB caption), CC3M's (caption TAB url). */
static void test_default_columns(void **state)
{
    dv_textlist *t;
    int uf, cf;
    (void)state;
    run("laion.csv", "URL,TEXT\nhttp://l/1,a cat\n", NULL, 0, "1:2:http://l/1|a cat\n");
    run("wit.tsv", "language\tpage_url\timage_url\tcaption_reference_description\n"
        "en\thttp://w/page\thttp://w/img.jpg\tref\n", NULL, 0, "1:2:http://w/img.jpg|(null)\n");
    /* url before image_url, the exact spelling before another case, wherever they stand */
    run("both.csv", "image_url,URL,url,text,caption\nhttp://a,http://b,http://c,t,c\n", NULL, 0,
        "1:2:http://c|c\n");
    run("both.jsonl",
        "{\"image_url\":\"http://a\",\"URL\":\"http://b\",\"TEXT\":\"t\"}\n"
        "{\"url\":\"http://c\",\"image_url\":\"http://d\",\"text\":\"t\",\"caption\":\"c\"}\n",
        NULL, 0, "1:1:http://b|t\n2:2:http://c|c\n");
    /* a null under the preferred name leaves the other name's value */
    run("null.jsonl", "{\"image_url\":\"http://a\",\"url\":null}\n{\"url\":null,\"image_url\":\"http://b\"}\n",
        NULL, 0, "1:1:http://a|(null)\n2:2:http://b|(null)\n");
    /* ... also when that name came twice (the last, null, wins for it), in any order */
    run("null2.jsonl",
        "{\"url\":\"http://a\",\"Url\":\"http://b\",\"url\":null}\n"
        "{\"URL\":\"http://c\",\"url\":\"http://d\",\"url\":null}\n"
        "{\"IMAGE_URL\":\"http://e\",\"image_url\":\"http://f\",\"image_url\":null}\n"
        "{\"url\":\"http://g\",\"TEXT\":false,\"caption\":\"c\",\"caption\":null}\n"
        "{\"url\":\"http://h\",\"url\":null,\"url\":\"http://i\"}\n",
        NULL, 0,
        "1:1:http://b|(null)\n2:2:http://c|(null)\n3:3:http://e|(null)\n4:4:http://g|false\n"
        "5:5:http://i|(null)\n");
    /* an object or array under a default name is not that column: the row keeps its URL */
    run("nested.jsonl",
        "{\"text\":{\"en\":\"a\",\"de\":\"b\"},\"url\":\"http://a\"}\n"
        "{\"image_url\":[\"http://x\"],\"url\":\"http://b\",\"caption\":\"c\"}\n"
        "{\"image_url\":\"http://d\",\"url\":{\"u\":1},\"caption\":[\"c\"],\"text\":\"t\"}\n",
        NULL, 0, "1:1:http://a|(null)\n2:2:http://b|c\n3:3:http://d|t\n");
    run("cc12m.tsv", "https://c/0.jpg\tfirst\nhttps://c/1.jpg\tsecond\n", NULL, 0,
        "1:1:https://c/0.jpg|first\n2:2:https://c/1.jpg|second\n");
    run("cc3m.tsv", "\nfirst caption\thttp://c/0.jpg\nsecond\thttp://c/1.jpg\n", NULL, 0,
        "1:2:http://c/0.jpg|first caption\n2:3:http://c/1.jpg|second\n");
    run("urls.csv", "http://c/0.jpg,x,y\nhttp://c/1.jpg,x,y\n", NULL, 0,
        "1:1:http://c/0.jpg|(null)\n2:2:http://c/1.jpg|(null)\n");
    t = dv_textlist_create(NULL);
    assert_int_equal(dv_textlist_open_buffer(t, "http://c/0\tc\n", 13, "h.tsv"), DV_OK);
    assert_int_equal(dv_textlist_headerless(t, &uf, &cf), 1);
    assert_int_equal(uf, 0);
    assert_int_equal(cf, 1);
    assert_int_equal(dv_textlist_open_buffer(t, "url\nhttp://c/0\n", 15, "h.tsv"), DV_OK);
    assert_int_equal(dv_textlist_headerless(t, &uf, &cf), 0);
    assert_int_equal(uf, -1);
    dv_textlist_free(t);
}

static void test_jsonl(void **state)
{
    dv_textlist_opts o = {0};
    const char *extra[] = {"n", "flag"};
    (void)state;
    o.extra_cols = extra;
    o.nextra = 2;
    run("g.jsonl",
        "{\"url\": \"http://g/1\", \"caption\": \"caf\\u00e9 \\\"q\\\" \\\\ \\/ \\t\", \"n\": 12, "
        "\"flag\": true}\n"
        "{\"caption\": null, \"url\":\"http://g/2\",\"meta\":{\"a\":[1,2,{\"b\":\"}\"}]},"
        "\"n\":-1.5e3}\r\n"
        "\n"
        "{\"url\": \"http://g/3\", \"caption\": \"\\ud83d\\ude00\"}\n"
        "{\"url\": \"http://g/4\", \"n\": [1]}\n"
        "{\"url\": \"http://g/5\", \"caption\": \"\\ud83d\"}\n"
        "{\"url\": \"http://g/6\", \"caption\": \"bad \\x escape\"}\n"
        "{\"url\": \"http://g/7\"} trailing\n"
        "[\"not an object\"]\n"
        "{\"caption\": \"no url\"}\n"
        "{\"url\": \"http://g/8\", \"n\": 01}\n"
        "{\"url\": \"http://g/9\", \"caption\": \"tab\there\"}\n"
        "{\"url\": \"http://g/10\", \"url\": \"http://g/11\"}",
        &o, 2,
        "1:1:http://g/1|caf\xc3\xa9 \"q\" \\ / \t|12|true\n"
        "2:2:http://g/2|(null)|-1.5e3|(null)\n"
        "3:4:http://g/3|\xf0\x9f\x98\x80|(null)|(null)\n"
        "ERR g.jsonl:5: a requested column holds a nested value\n"
        "ERR g.jsonl:6: high surrogate without a low surrogate\n"
        "ERR g.jsonl:7: bad escape in a string\n"
        "ERR g.jsonl:8: trailing characters after the object\n"
        "ERR g.jsonl:9: line is not a JSON object\n"
        "ERR g.jsonl:10: empty or missing 'url'\n"
        "ERR g.jsonl:11: bad literal value\n"
        "ERR g.jsonl:12: control character in a string\n"
        "4:13:http://g/11|(null)|(null)|(null)\n");
}

static void test_txt(void **state)
{
    dv_textlist_opts o = {0};
    dv_textlist *t;
    (void)state;
    run("h.txt", "\xEF\xBB\xBFhttp://h/1\r\n\n  http://h/2  \nhttp://h/3", NULL, 0,
        "1:1:http://h/1|(null)\n2:3:http://h/2|(null)\n3:4:http://h/3|(null)\n");
    o.format = DV_TL_TXT;
    run("noext", "a\nb\n", &o, 0, "1:1:a|(null)\n2:2:b|(null)\n");
    o.caption_col = "caption";
    t = dv_textlist_create(&o);
    assert_int_equal(dv_textlist_open_buffer(t, "a\n", 2, "x.txt"), DV_EINVAL);
    dv_textlist_free(t);
}

/* hash_cols: md5, sha1 and sha256 columns found as the default url column is (the name in any
 * case, the exact spelling first, then the first column; JSONL: a null under one spelling
 * leaves another's value; an object or array is passed over), optional, their text as it is;
 * none without a header row or in a TXT list, and none unless asked for. */
static void test_hash_cols(void **state)
{
    dv_textlist_opts o = {0};
    const char *extra[] = {"md5"};
    dv_textlist *t;
    (void)state;
    o.hash_cols = 1;
    run("h.csv",
        "url,MD5,md5,SHA1,Sha256,sha256\n"
        "http://h/1,A,a,b,C,c\n"
        "http://h/2,A,,,\" c \",\n",
        &o, 0,
        "1:2:http://h/1|(null)|md5=a|sha1=b|sha256=c\n"
        "2:3:http://h/2|(null)|md5=|sha1=|sha256=\n");
    run("h.tsv", "URL\tcaption\tSHA256\tmd5\nhttp://h/3\tx\ts\t\n", &o, 0,
        "1:2:http://h/3|x|md5=|sha256=s\n");
    /* of two columns of one spelling, the first */
    run("d.csv", "url,Sha1,SHA1\nhttp://h/6,x,y\n", &o, 0, "1:2:http://h/6|(null)|sha1=x\n");
    /* no hash column: none, and none is required */
    run("n.csv", "url\nhttp://h/4\n", &o, 0, "1:2:http://h/4|(null)\n");
    /* no header row (CC3M): no hash columns, whatever the fields hold */
    run("cc3m.tsv", "md5\thttp://h/5\n", &o, 0, "1:1:http://h/5|md5\n");
    run("h.jsonl",
        "{\"url\":\"http://j/1\",\"MD5\":\"A\",\"md5\":\"a\",\"sha1\":12,\"SHA256\":true}\n"
        "{\"url\":\"http://j/2\",\"md5\":null,\"Md5\":\"b\",\"sha256\":{\"x\":1},\"sha1\":[1]}\n"
        "{\"url\":\"http://j/3\",\"md5\":\"c\",\"md5\":null}\n"
        "{\"url\":\"http://j/4\",\"sha256\":\"\"}\n",
        &o, 0,
        "1:1:http://j/1|(null)|md5=a|sha1=12|sha256=true\n2:2:http://j/2|(null)|md5=b\n"
        "3:3:http://j/3|(null)\n4:4:http://j/4|(null)|sha256=\n");
    run("h.txt", "http://t/1\n", &o, 0, "1:1:http://t/1|(null)\n");
    /* a column may be both a named one and a hash column, as a Parquet column may */
    o.url_col = "md5";
    o.extra_cols = extra;
    o.nextra = 1;
    run("b.csv", "md5,url\nhttp://b/1,http://b/2\n", &o, 1,
        "1:2:http://b/1|(null)|http://b/1|md5=http://b/1\n");
    run("b.jsonl", "{\"url\":\"http://b/3\",\"md5\":\"http://b/4\"}\n", &o, 1,
        "1:1:http://b/4|(null)|(null)|md5=http://b/4\n");
    /* ... and a named one holding an object is still a bad row */
    run("c.jsonl", "{\"md5\":{\"a\":1}}\n", &o, 1,
        "ERR c.jsonl:1: a requested column holds a nested value\n");
    /* not asked for: none, and an object under the name is no error */
    run("h.csv", "url,md5\nhttp://h/1,a\n", NULL, 0, "1:2:http://h/1|(null)\n");
    run("o.jsonl", "{\"url\":\"http://h/1\",\"md5\":{\"a\":1}}\n", NULL, 0,
        "1:1:http://h/1|(null)\n");
    t = dv_textlist_create(&(dv_textlist_opts){.hash_cols = 1});
    assert_int_equal(dv_textlist_open_buffer(t, "url\n", 4, "e.csv"), DV_OK);
    assert_int_equal(dv_textlist_next(t, &(dv_textlist_row){0}), 0);
    dv_textlist_free(t);
}

/* id: the id column found as a Parquet file's is (key, uid, sample_id, id, any case, ranked
 * as the url column's names: the exact spelling first, then the first column), optional; or
 * the column named, optional too: a list without it (a TXT list, a list without a header row,
 * a header without it) is read, its rows saying so (id_missing 1; a JSONL record without the
 * member, 2), as a Parquet file without it is; a JSONL id member that is null says so
 * (id_null). It may be another role's column too. Until 2026-12-07 there was no id column
 * and datavet scan gave every row of a URL list NAME:ROW, --id-col or not; until the same day
 * a named column a CSV/TSV or TXT list lacked refused the list (nothing of it checked). */
static void test_id_col(void **state)
{
    dv_textlist_opts o = {0};
    (void)state;
    o.id = 1;
    run("i.csv", "url,ID,uid,Key\nhttp://i/1,a,b,c\nhttp://i/2,a,b,\n", &o, 0,
        "1:2:http://i/1|(null)|id=c\n2:3:http://i/2|(null)|id=\n");
    run("i.tsv", "id\tSAMPLE_ID\turl\nx\ty\thttp://i/3\n", &o, 0, "1:2:http://i/3|(null)|id=y\n");
    run("n.csv", "url,name\nhttp://i/4,z\n", &o, 0, "1:2:http://i/4|(null)\n");
    run("cc3m.tsv", "key\thttp://i/5\n", &o, 0, "1:1:http://i/5|key\n");
    run("i.txt", "http://i/6\n", &o, 0, "1:1:http://i/6|(null)\n");
    run("i.jsonl",
        "{\"url\":\"http://j/1\",\"id\":7,\"KEY\":\"k\"}\n"
        "{\"url\":\"http://j/2\",\"key\":null,\"uid\":\"u\"}\n"
        "{\"url\":\"http://j/3\",\"id\":{\"a\":1}}\n"
        "{\"url\":\"http://j/4\"}\n"
        "{\"url\":\"http://j/5\",\"uid\":null}\n",
        &o, 0,
        "1:1:http://j/1|(null)|id=k\n2:2:http://j/2|(null)|id=u\n3:3:http://j/3|(null)\n"
        "4:4:http://j/4|(null)\n5:5:http://j/5|(null)|id_null\n");
    /* not asked for: none */
    run("i.csv", "url,key\nhttp://i/1,a\n", NULL, 0, "1:2:http://i/1|(null)\n");
    /* named: exactly that column, which may be the url's too */
    o.id_col = "name";
    run("m.csv", "url,key,name\nhttp://m/1,a,b\n", &o, 0, "1:2:http://m/1|(null)|id=b\n");
    run("m.jsonl",
        "{\"url\":\"http://m/2\",\"key\":\"a\",\"name\":\"b\"}\n{\"url\":\"http://m/3\"}\n"
        "{\"url\":\"http://m/3\",\"name\":null}\n",
        &o, 0,
        "1:1:http://m/2|(null)|id=b\n2:2:http://m/3|(null)|id_missing=2\n"
        "3:3:http://m/3|(null)|id_null\n");
    run("o.jsonl", "{\"url\":\"http://m/4\",\"name\":[1]}\n", &o, 0,
        "ERR o.jsonl:1: a requested column holds a nested value\n");
    o.id_col = "url";
    run("u.jsonl", "{\"url\":\"http://m/5\"}\n", &o, 0, "1:1:http://m/5|(null)|id=http://m/5\n");
    run("u.csv", "url\nhttp://m/6\n", &o, 0, "1:2:http://m/6|(null)|id=http://m/6\n");
    /* named and not there: read, every row saying so */
    o.id_col = "key";
    run("k.csv", "url,k\nhttp://m/7,a\n", &o, 0, "1:2:http://m/7|(null)|id_missing=1\n");
    run("cc.tsv", "http://m/8\tkey\n", &o, 0, "1:1:http://m/8|key|id_missing=1\n");
    run("t.txt", "http://m/9\n", &o, 0, "1:1:http://m/9|(null)|id_missing=1\n");
}

/* The id's column or member name, as the file spells it, for messages about a bad id
 * (dv_textlist_row.id_name): a found one too (key, uid, sample_id, id), not only --id-col's.
 * Until 2026-12-07 a found column was not given, and datavet scan's bad_id said "the id". */
static void id_names(const char *name, const char *text, const char *id_col, const char *want)
{
    dv_textlist_opts o = {0};
    dv_textlist_row r;
    char got[256];
    size_t n = 0;
    int rc;
    o.id = 1;
    o.id_col = id_col;
    dv_textlist *t = dv_textlist_create(&o);
    assert_non_null(t);
    assert_int_equal(dv_textlist_open_buffer(t, text, strlen(text), name), DV_OK);
    got[0] = 0;
    while ((rc = dv_textlist_next(t, &r)) == 1)
        n += (size_t)snprintf(got + n, sizeof got - n, "%s;", r.id_name ? r.id_name : "-");
    assert_int_equal(rc, 0);
    assert_string_equal(got, want);
    dv_textlist_free(t);
}

static void test_id_name(void **state)
{
    (void)state;
    id_names("a.csv", "url,Key,uid\nhttp://a/0,k,u\nhttp://a/1,,u\n", NULL, "Key;Key;");
    id_names("a.tsv", "SAMPLE_ID\turl\nx\thttp://a/2\n", NULL, "SAMPLE_ID;");
    id_names("n.csv", "url,name\nhttp://a/3,z\n", NULL, "-;");
    id_names("h.csv", "http://a/4,cap\n", NULL, "-;");
    /* JSONL: the member the id came from (the best ranked set), or the null one */
    id_names("b.jsonl",
             "{\"url\":\"http://b/0\",\"ID\":\"i\",\"uid\":\"u\"}\n"
             "{\"url\":\"http://b/1\",\"key\":null,\"Uid\":\"u\"}\n"
             "{\"url\":\"http://b/2\",\"uid\":null}\n"
             "{\"url\":\"http://b/3\",\"id\":\"\"}\n"
             "{\"url\":\"http://b/4\"}\n",
             NULL, "uid;Uid;uid;id;-;");
    /* named: that name */
    id_names("m.csv", "url,name\nhttp://m/0,\n", "name", "name;");
    id_names("m.jsonl", "{\"url\":\"http://m/1\",\"name\":null}\n", "name", "name;");
}

static void test_long_records(void **state)
{
    dv_textlist_opts o = {0};
    static char text[8192];
    size_t n;
    (void)state;
    o.max_record = 64;
    n = (size_t)snprintf(text, sizeof(text), "url,caption\nhttp://i/1,short\nhttp://i/2,\"");
    memset(text + n, 'q', 200);
    n += 200;
    n += (size_t)snprintf(text + n, sizeof(text) - n, "\nstill\"\nhttp://i/3,after\n");
    run("i.csv", text, &o, 0,
        "1:2:http://i/1|short\n"
        "ERR i.csv:3: record longer than 64 bytes, skipped\n"
        "2:5:http://i/3|after\n");
    o.format = DV_TL_JSONL;
    n = (size_t)snprintf(text, sizeof(text), "{\"url\":\"http://j/1\"}\n{\"url\":\"");
    memset(text + n, 'q', 300);
    n += 300;
    snprintf(text + n, sizeof(text) - n, "\"}\n{\"url\":\"http://j/2\"}\n");
    run("j", text, &o, 0,
        "1:1:http://j/1|(null)\nERR j:2: record longer than 64 bytes, skipped\n"
        "2:3:http://j/2|(null)\n");
}

/* Streaming from a pipe in small reads: the same rows as from memory. */
static void test_fd_streaming(void **state)
{
    static char text[1 << 18], got_mem[1 << 20], got_fd[1 << 20];
    size_t n = 0;
    dv_textlist_opts o = {0};
    dv_textlist *t;
    char path[128], cmd[256];
    FILE *f, *p;
    (void)state;
    n += (size_t)snprintf(text + n, sizeof(text) - n, "url,caption\n");
    for (int i = 0; n + 300 < sizeof(text); i++) {
        n += (size_t)snprintf(text + n, sizeof(text) - n,
                              i % 7 == 0 ? "http://s/%d,\"multi\r\nline, %d\"\r\n"
                                         : "http://s/%d,cap %d\n",
                              i, i);
    }
    o.max_record = 100;
    t = dv_textlist_create(&o);
    assert_int_equal(dv_textlist_open_buffer(t, text, n, "s.csv"), DV_OK);
    dump(t, got_mem, sizeof(got_mem), 0);
    dv_textlist_free(t);
    snprintf(path, sizeof(path), "/tmp/dv_test_tl_%d.csv", (int)getpid());
    f = fopen(path, "wb");
    assert_int_equal(fwrite(text, 1, n, f), n);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "cat '%s'", path);
    p = popen(cmd, "r");
    t = dv_textlist_create(&o);
    assert_int_equal(dv_textlist_open_fd(t, fileno(p), "s.csv"), DV_OK);
    dump(t, got_fd, sizeof(got_fd), 0);
    assert_int_equal(dv_textlist_bad_rows(t), 0);
    dv_textlist_free(t);
    pclose(p);
    unlink(path);
    assert_string_equal(got_mem, got_fd);
    assert_non_null(strstr(got_fd, "multi\r\nline, 700"));
}

/* dv_textlist_offset: the bytes parsed, not those read ahead from the descriptor (fetch's
 * progress line): after each row, the offset of the line that follows it; at the end, the
 * whole file (the BOM and a bad row counted too). */
static void test_offset(void **state)
{
    static char text[1 << 17];
    size_t n = 0, rows = 0;
    dv_textlist *t;
    dv_textlist_row r;
    char path[128];
    FILE *f;
    int fd, rc;
    (void)state;
    n += (size_t)snprintf(text + n, sizeof(text) - n, "\xEF\xBB\xBFurl\n");
    for (int i = 0; n + 64 < sizeof(text); i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, i == 5 ? "not a url\n" : "http://s/%d\n", i);
    snprintf(path, sizeof(path), "/tmp/dv_test_tloff_%d.txt", (int)getpid());
    f = fopen(path, "wb");
    assert_int_equal(fwrite(text, 1, n, f), n);
    fclose(f);
    fd = open(path, O_RDONLY);
    t = dv_textlist_create(NULL);
    assert_int_equal(dv_textlist_open_fd(t, fd, "o.txt"), DV_OK);
    assert_true(dv_textlist_offset(t) <= 3);
    while ((rc = dv_textlist_next(t, &r)) != 0) {
        uint64_t o = dv_textlist_offset(t);
        if (rc != 1) continue;
        /* the row's line is over: the offset is just past its line feed */
        assert_true(o > 0 && o <= n);
        assert_int_equal(text[o - 1], '\n');
        assert_memory_equal(text + o - 1 - r.url_len, r.url, r.url_len);
        rows++;
    }
    assert_true(rows > 1000);
    assert_int_equal(dv_textlist_offset(t), n);
    dv_textlist_free(t);
    close(fd);
    unlink(path);
}

/* Rows of text read from a pipe fed first its first `split` bytes, then, once the reader has
 * taken those, the rest: a pipe gives a reader what is there. */
static void dump_split_pipe(const char *name, const char *text, size_t split,
                            const dv_textlist_opts *o, char *out, size_t cap)
{
    int fds[2], status;
    pid_t pid;
    dv_textlist *t;
    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int queued = 1;
        close(fds[0]);
        if (write(fds[1], text, split) != (ssize_t)split) _exit(1);
        while (queued > 0 && ioctl(fds[1], FIONREAD, &queued) == 0) usleep(1000);
        if (write(fds[1], text + split, strlen(text) - split) < 0) _exit(1);
        _exit(0);
    }
    close(fds[1]);
    t = dv_textlist_create(o);
    assert_non_null(t);
    if (dv_textlist_open_fd(t, fds[0], name) != DV_OK) fail_msg("open: %s", dv_textlist_errmsg(t));
    dump(t, out, cap, 0);
    dv_textlist_free(t);
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A record of exactly max_record bytes is whole, however the pipe cuts it: a JSONL or TXT
 * line of max_record bytes whose newline has not come yet, a CSV record ending in a quote
 * whose end of file has not (it was "longer than 64 bytes" from a pipe, read from memory). */
static void test_pipe_exact_limit(void **state)
{
    /* each record (after a header of `before` bytes): head, x up to 64 bytes, close */
    static const struct {
        dv_textlist_format fmt;
        const char *name, *head, *close, *after;
        size_t before;
    } c[] = {
        {DV_TL_JSONL, "l.jsonl", "{\"url\": \"http://l/", "\"}", "\n{\"url\": \"http://l/2\"}\n",
         0},
        {DV_TL_TXT, "l.txt", "http://t/", "", "\nhttp://t/2\n", 0},
        {DV_TL_CSV, "l.csv", "url\n\"http://c/", "\"", "", 4},
    };
    (void)state;
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        static char text[512], mem[4096], piped[4096];
        dv_textlist_opts o = {0};
        dv_textlist *t;
        size_t n = strlen(c[k].head), pad = c[k].before + 64 - n - strlen(c[k].close);
        memcpy(text, c[k].head, n);
        memset(text + n, 'x', pad);
        snprintf(text + n + pad, sizeof text - n - pad, "%s%s", c[k].close, c[k].after);
        o.format = c[k].fmt;
        o.max_record = 64;
        t = dv_textlist_create(&o);
        assert_int_equal(dv_textlist_open_buffer(t, text, strlen(text), c[k].name), DV_OK);
        dump(t, mem, sizeof mem, 0);
        dv_textlist_free(t);
        assert_null(strstr(mem, "ERR"));
        dump_split_pipe(c[k].name, text, c[k].before + 64, &o, piped, sizeof piped);
        if (strcmp(mem, piped) != 0)
            fail_msg("%s:\n--- from a pipe\n%s--- from memory\n%s", c[k].name, piped, mem);
    }
}

/* A byte order mark is skipped when a pipe gives it a byte or two at a time (the header was
 * "\xef\xbb\xbfurl": no url column). */
static void test_pipe_bom(void **state)
{
    static const char *const text[2] = {"\xef\xbb\xbfurl,caption\nhttp://b/1,c\n",
                                        "\xef\xbb\xbfhttp://b/2\n"};
    static const char *const name[2] = {"b.csv", "b.txt"}, *const want[2] = {
        "1:2:http://b/1|c\n", "1:1:http://b/2|(null)\n"};
    (void)state;
    for (int k = 0; k < 2; k++) {
        for (size_t split = 1; split <= 3; split++) {
            static char got[4096];
            dump_split_pipe(name[k], text[k], split, NULL, got, sizeof got);
            if (strcmp(got, want[k]) != 0)
                fail_msg("%s, %zu bytes first:\n--- got\n%s--- want\n%s", name[k], split, got,
                         want[k]);
        }
    }
}

/* A CSV record over max_record is read the same from memory and from a pipe, wherever the
 * pipe cuts it, and skipped to its end as the parser reads records: a quote opens a field
 * only at its start (an inch mark in a caption does not), and text after a closing quote runs
 * to the newline. The pipe had the record "longer than 64 bytes" where memory had it "bad
 * after a closing quote", and skipping it toggled on every quote, swallowing the rows after. */
static void test_long_csv_any_input(void **state)
{
    /* the record: head, 100 q, tail */
    static const struct {
        const char *head, *tail, *want;
    } c[] = {
        /* text after a closing quote, then one more quote */
        {"http://a/1,\"x\"y", "\"", "1:3:http://a/2|c\n2:4:http://a/3|d\n"},
        /* a quote inside an unquoted field */
        {"http://a/1,a 12\" screen", "", "1:3:http://a/2|c\n2:4:http://a/3|d\n"},
        /* a quoted field, doubled quotes, a comma and a newline in it: over the limit across a
         * line break, taken as a quote left open: its first line is skipped, the next read */
        {"http://a/1,\"quoted \"\"q\"\" ,\n", "\"",
         "ERR l.csv:3: record longer than 64 bytes, skipped\n1:4:http://a/2|c\n2:5:http://a/3|d\n"},
    };
    (void)state;
    for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
        static char text[1024], want[512], mem[4096], piped[4096];
        dv_textlist_opts o = {0};
        dv_textlist *t;
        size_t n = (size_t)snprintf(text, sizeof text, "url,caption\n%s", c[k].head);
        memset(text + n, 'q', 100);
        snprintf(text + n + 100, sizeof text - n - 100, "%s\nhttp://a/2,c\nhttp://a/3,d\n",
                 c[k].tail);
        snprintf(want, sizeof want, "ERR l.csv:2: record longer than 64 bytes%s\n%s",
                 k == 2 ? " over several lines (a quote left open?): its first line skipped"
                        : ", skipped",
                 c[k].want);
        o.max_record = 64;
        t = dv_textlist_create(&o);
        assert_int_equal(dv_textlist_open_buffer(t, text, strlen(text), "l.csv"), DV_OK);
        dump(t, mem, sizeof mem, 0);
        dv_textlist_free(t);
        if (strcmp(mem, want) != 0) fail_msg("%zu, from memory:\n%s--- want\n%s", k, mem, want);
        for (size_t split = 14; split < strlen(text); split += 17) {
            dump_split_pipe("l.csv", text, split, &o, piped, sizeof piped);
            if (strcmp(piped, want) != 0)
                fail_msg("%zu, a pipe giving %zu bytes first:\n%s--- want\n%s", k, split, piped,
                         want);
        }
    }
}

/* A quote left open with more than max_record bytes after it: only its line is skipped, every
 * row after it read (the whole rest of the list was lost, the scan still exiting 0) */
static void test_stray_quote_long(void **state)
{
    static char text[2048], want[2048], mem[4096], piped[4096];
    dv_textlist_opts o = {0};
    dv_textlist *t;
    size_t n = (size_t)snprintf(text, sizeof text, "url,caption\nhttp://s/0,\"open\n"), w;
    (void)state;
    w = (size_t)snprintf(want, sizeof want, "ERR q.csv:2: record longer than 64 bytes over "
                         "several lines (a quote left open?): its first line skipped\n");
    for (int i = 1; i <= 12; i++) {
        n += (size_t)snprintf(text + n, sizeof text - n, "http://s/%d,row %d\n", i, i);
        w += (size_t)snprintf(want + w, sizeof want - w, "%d:%d:http://s/%d|row %d\n", i, i + 2,
                              i, i);
    }
    o.max_record = 64;
    t = dv_textlist_create(&o);
    assert_int_equal(dv_textlist_open_buffer(t, text, n, "q.csv"), DV_OK);
    dump(t, mem, sizeof mem, 0);
    dv_textlist_free(t);
    if (strcmp(mem, want) != 0) fail_msg("from memory:\n%s--- want\n%s", mem, want);
    for (size_t split = 5; split < n; split += 23) {
        dump_split_pipe("q.csv", text, split, &o, piped, sizeof piped);
        if (strcmp(piped, want) != 0)
            fail_msg("a pipe giving %zu bytes first:\n%s--- want\n%s", split, piped, want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_crlf_bom),
        cmocka_unit_test(test_bad_rows_continue),
        cmocka_unit_test(test_nul_in_url),
        cmocka_unit_test(test_stray_quote),
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_default_columns),
        cmocka_unit_test(test_jsonl),
        cmocka_unit_test(test_jsonl_nul),
        cmocka_unit_test(test_txt),
        cmocka_unit_test(test_hash_cols),
        cmocka_unit_test(test_id_col),
        cmocka_unit_test(test_id_name),
        cmocka_unit_test(test_long_records),
        cmocka_unit_test(test_fd_streaming),
        cmocka_unit_test(test_offset),
        cmocka_unit_test(test_pipe_exact_limit),
        cmocka_unit_test(test_pipe_bom),
        cmocka_unit_test(test_long_csv_any_input),
        cmocka_unit_test(test_stray_quote_long),
    };
    return cmocka_run_group_tests_name("textlist", tests, NULL, NULL);
}
