
/*
 * Unit tests of shared/cmp_json_reader.c: whatever it reads, jansson reads
 * too, into an equal tree with the same key order; all else it leaves.
 */


#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cmp_json.h"
#include "cmp_json_reader.h"


static uint64_t test_rand(uint64_t *s);
static json_t *test_value(uint64_t *s, int depth);
static int test_compare(const char *text, size_t len);
static int test_compare_str(const char *text);

static void test_plain_shapes(void **state);
static void test_left_to_jansson(void **state);
static void test_random_texts(void **state);
static void test_parse_uses_it(void **state);


/* bytes a mutation inserts: JSON's own, and ones that make it invalid */
static const char  test_bytes[] = "{}[],:\"\\019-.eE+truenlfasx \t\n\r"
                                  "\x01\x7f\xc3\xa9\xff";


static uint64_t
test_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;

    return *s;
}


static json_t *
test_value(uint64_t *s, int depth)
{
    int           i, n;
    json_t       *v;
    const char   *words[] = { "a", "Hangzhou", "\xe4\xb8\xad\xe6\x96\x87",
                              "tab\there", "q\"uote", "", "phone", "b",
                              "\xf0\x9f\x98\x80", "back\\slash", "city",
                              "Bench 42", "tier", "+8613900000042" };
    size_t        nwords = sizeof(words) / sizeof(words[0]);

    switch (test_rand(s) % (depth > 3 ? 5 : 7)) {

    case 0:
        return json_null();

    case 1:
        return json_boolean(test_rand(s) % 2);

    case 2:
        switch (test_rand(s) % 4) {
        case 0:
            return json_integer((json_int_t) test_rand(s));
        case 1:
            return json_integer((json_int_t) (test_rand(s) % 2001) - 1000);
        case 2:
            /* up to 18 digits: the reader's own */
            return json_integer((json_int_t) (test_rand(s)
                                              % 1000000000000000000ULL));
        default:
            return json_real((double) (test_rand(s) % 1000) / 8);
        }

    case 3:
    case 4:
        return json_string(words[test_rand(s) % nwords]);

    case 5:
        v = json_array();
        n = (int) (test_rand(s) % 4);

        for (i = 0; i < n; i++) {
            json_array_append_new(v, test_value(s, depth + 1));
        }

        return v;

    default:
        v = json_object();
        n = (int) (test_rand(s) % 5);

        for (i = 0; i < n; i++) {
            json_object_set_new(v, words[test_rand(s) % nwords],
                                test_value(s, depth + 1));
        }

        return v;
    }
}


/*
 * 1 when the reader read text: jansson must read it into an equal tree,
 * keys in the same order; 0 when it left text to jansson
 */
static int
test_compare(const char *text, size_t len)
{
    char          *a, *b;
    json_t        *fast, *slow;
    json_error_t   err;

    fast = cmp_json_read_plain(text, len);
    if (fast == NULL) {
        return 0;
    }

    slow = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);

    if (slow == NULL) {
        fail_msg("read what jansson refuses (%s): %.*s", err.text,
                 (int) len, text);
    }

    assert_true(json_equal(fast, slow));

    a = json_dumps(fast, JSON_COMPACT | JSON_ENCODE_ANY);
    b = json_dumps(slow, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a, b);

    free(a);
    free(b);
    json_decref(fast);
    json_decref(slow);

    return 1;
}


static int
test_compare_str(const char *text)
{
    return test_compare(text, strlen(text));
}


static void
test_plain_shapes(void **state)
{
    (void) state;

    assert_true(test_compare_str("{\"phone\":\"+8613900000042\","
                                 "\"name\":\"Bench 42\",\"country\":\"CN\","
                                 "\"attributes\":{\"city\":\"Hangzhou\","
                                 "\"tier\":2}}"));
    assert_true(test_compare_str(" { \"a\" : [ 1 , -2 , 0 , -0 ] ,\r\n"
                                 "\t\"b\" : { } , \"c\" : [ ] } "));
    assert_true(test_compare_str("[true,false,null,\"\",{\"x\":null}]"));
    assert_true(test_compare_str("{\"n\":999999999999999999,"
                                 "\"m\":-999999999999999999}"));
    assert_true(test_compare_str("{\"\xe6\x9d\x8e\":\"\xe9\x9b\xb7 "
                                 "\xf0\x9f\x98\x80\"}"));
    assert_true(test_compare_str("{\"a\":{\"a\":{\"a\":1}},\"b\":1}"));
}


static void
test_left_to_jansson(void **state)
{
    size_t        i;
    static const char  *texts[] = {
        "", " ", "1", "\"s\"", "true", "null", "{", "[", "}", "{}x",
        "{} {}", "\xef\xbb\xbf{}", "{\"a\":1,}", "[1,]", "{\"a\"1}",
        "{\"a\":}", "{,}", "{\"a\":1 \"b\":2}", "{\"a\":01}",
        "{\"a\":1.5}", "{\"a\":1e3}", "{\"a\":1E3}", "{\"a\":-}",
        "{\"a\":+1}", "{\"a\":truex}", "{\"a\":nul}", "{\"a\":True}",
        "{\"a\":\"\\n\"}", "{\"a\\u0041\":1}", "{\"a\":\"\x01\"}",
        "{\"a\":\"\xff\"}", "{\"a\":\"\xed\xa0\x80\"}",
        "{\"a\":1,\"a\":2}", "{\"x\":{\"a\":1,\"a\":2}}",
        "{\"a\":1234567890123456789}", "{\"a\":-9223372036854775808}",
        "{\"a\":99999999999999999999}", "{'a':1}", "{a:1}",
        "{\"a\":\"unterminated}", "[1 2]",
    };

    (void) state;

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        assert_false(test_compare_str(texts[i]));
    }

    /* a NUL byte, inside and outside text */
    assert_false(test_compare("{\"a\":\"\0\"}", 8));
    assert_false(test_compare("{}\0", 3));
}


/* jansson's own texts of random values, then the same texts mangled */
static void
test_random_texts(void **state)
{
    int        i, k, edits, read;
    char      *text, *buf;
    size_t     len, at, flags;
    json_t    *v;
    uint64_t   s;

    (void) state;

    s = 0x2545f4914f6cdd1dULL;
    read = 0;

    for (i = 0; i < 40000; i++) {
        /* jansson reads only an object or an array at the top */
        v = json_pack("{s:o}", "k", test_value(&s, 0));
        assert_non_null(v);

        switch (test_rand(&s) % 3) {
        case 0:
            flags = JSON_COMPACT;
            break;
        case 1:
            flags = JSON_INDENT(test_rand(&s) % 4);
            break;
        default:
            flags = JSON_COMPACT | JSON_ENSURE_ASCII;
        }

        text = json_dumps(v, flags | JSON_ENCODE_ANY);
        json_decref(v);
        assert_non_null(text);

        len = strlen(text);
        buf = malloc(len + 8);
        assert_non_null(buf);
        memcpy(buf, text, len);
        free(text);

        edits = (test_rand(&s) % 2) ? 0 : (int) (test_rand(&s) % 3) + 1;

        for (k = 0; k < edits && len > 0; k++) {
            at = test_rand(&s) % len;

            switch (test_rand(&s) % 3) {
            case 0:
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
                break;
            case 1:
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = test_bytes[test_rand(&s)
                                     % (sizeof(test_bytes) - 1)];
                len++;
                break;
            default:
                buf[at] = test_bytes[test_rand(&s)
                                     % (sizeof(test_bytes) - 1)];
            }
        }

        read += test_compare(buf, len);
        free(buf);
    }

    /* the reader must have had a real share of the work */
    assert_true(read > 10000);
}


/* cmp_json_parse() answers as it did: the same trees, the same errors */
static void
test_parse_uses_it(void **state)
{
    char     err[160];
    json_t  *json;

    (void) state;

    json = cmp_json_parse("{\"a\":[1,\"x\"]}", 13, err, sizeof(err));
    assert_non_null(json);
    assert_int_equal(json_integer_value(json_array_get(
                         json_object_get(json, "a"), 0)), 1);
    json_decref(json);

    json = cmp_json_parse("{\"a\":1,\"a\":2}", 13, err, sizeof(err));
    assert_null(json);
    assert_string_equal(err, "invalid JSON at line 1 column 10: "
                        "duplicate object key");

    json = cmp_json_parse("{\"a\":1.5}", 9, err, sizeof(err));
    assert_non_null(json);
    assert_true(json_is_real(json_object_get(json, "a")));
    json_decref(json);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_plain_shapes),
        cmocka_unit_test(test_left_to_jansson),
        cmocka_unit_test(test_random_texts),
        cmocka_unit_test(test_parse_uses_it),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
