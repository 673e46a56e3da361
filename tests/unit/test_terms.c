/* test_terms.c - scan's caption terms: whole words, case folding over Latin, Greek and
 * Cyrillic, multi-word terms, punctuation, bad UTF-8, the file's limits and errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scan/scan_internal.h"

static dv__terms *load(const char *text)
{
    dv__terms *t = NULL;
    char err[256];
    assert_int_equal(dv__terms_parse("t", text, strlen(text), NULL, &t, err, sizeof err), DV_OK);
    return t;
}

static const char *find(dv__terms *t, const char *caption)
{
    const char *term = NULL;
    return dv__terms_find(t, caption, &term) >= 0 ? term : NULL;
}

static void test_words(void **state)
{
    dv__terms *t = load("# a comment\ncat\n  big dog \n\n");
    (void)state;
    assert_int_equal(dv__terms_count(t), 2);
    assert_string_equal(find(t, "a CAT on a mat"), "cat");
    assert_string_equal(find(t, "cat"), "cat");
    assert_string_equal(find(t, "(cat)."), "cat");
    assert_null(find(t, "concatenate category"));
    assert_null(find(t, "cats"));
    assert_string_equal(find(t, "a Big  Dog!"), "big dog");
    assert_string_equal(find(t, "big-dog"), "big dog"); /* punctuation separates words */
    assert_null(find(t, "big dogs"));
    assert_null(find(t, "big"));
    assert_null(find(t, ""));
    dv__terms_free(t);
}

static void test_unicode(void **state)
{
    dv__terms *t = load("caf\xc3\xa9\n\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\n"
                        "\xce\xa3\xce\x9f\xce\xa6\xce\x99\xce\x91\n\xc5\x81\xc3\xb3" "d\xc5\xba\n");
    (void)state;
    assert_string_equal(find(t, "CAF\xc3\x89 au lait"), "caf\xc3\xa9");
    assert_null(find(t, "cafe"));
    /* Cyrillic upper and lower case */
    assert_non_null(find(t, "\xd0\xbf\xd0\xa0\xd0\x98\xd0\xb2\xd0\xb5\xd1\x82, world"));
    /* Greek: capital sigma folds to small sigma */
    assert_non_null(find(t, "\xcf\x83\xce\xbf\xcf\x86\xce\xb9\xce\xb1"));
    /* Latin Extended-A: L with stroke, z with acute */
    assert_non_null(find(t, "\xc5\x82\xc3\x93" "D\xc5\xb9"));
    /* invalid UTF-8 separates words instead of failing */
    assert_string_equal(find(t, "\xff" "caf\xc3\xa9\xfe"), "caf\xc3\xa9");
    /* a CJK neighbour is a letter: no word boundary */
    assert_null(find(t, "caf\xc3\xa9\xe4\xb8\x96"));
    dv__terms_free(t);
}

static void test_first_term_wins(void **state)
{
    dv__terms *t = load("zebra\napple\n");
    (void)state;
    /* the term listed first in the file is reported, wherever it is in the caption */
    assert_string_equal(find(t, "apple and zebra"), "zebra");
    dv__terms_free(t);
}

static void test_errors(void **state)
{
    dv__terms *t = NULL;
    char err[256], big[400];
    (void)state;
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(dv__terms_parse("t", big, strlen(big), NULL, &t, err, sizeof err),
                     DV_ETOOBIG);
    assert_null(t);
    assert_non_null(strstr(err, "t:1"));
    assert_int_equal(dv__terms_parse("t", "ok\n!!!\n", 7, NULL, &t, err, sizeof err), DV_EFORMAT);
    assert_non_null(strstr(err, "t:2"));
    assert_int_equal(dv__terms_parse("t", "a b c d e f g h i\n", 18, NULL, &t, err, sizeof err),
                     DV_EFORMAT);
    /* an empty file is fine and finds nothing */
    assert_int_equal(dv__terms_parse("t", "", 0, NULL, &t, err, sizeof err), DV_OK);
    assert_null(find(t, "anything"));
    dv__terms_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_unicode),
        cmocka_unit_test(test_first_term_wins),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
