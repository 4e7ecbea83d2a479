
/*
 * Unit tests of shared/cmp_json.c: the nesting limit, duplicate keys,
 * UTF-8 validity and code-point lengths, and RFC 3339 times.
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


static char *test_nested(int depth, const char *open, const char *close);
static json_t *test_parse(const char *s, char *err, size_t err_len);
static int test_valid(const char *s);
static int64_t test_time(const char *s);

static void test_depth_limit(void **state);
static void test_depth_mixed_and_strings(void **state);
static void test_depth_parse_message(void **state);
static void test_duplicate_keys(void **state);
static void test_parse_errors_quote_nothing(void **state);
static void test_dump_compact_ordered(void **state);
static void test_utf8_valid(void **state);
static void test_utf8_invalid(void **state);
static void test_utf8_length(void **state);
static void test_utf8_repair(void **state);
static void test_time_parse_offsets(void **state);
static void test_time_parse_fractions(void **state);
static void test_time_parse_calendar(void **state);
static void test_time_parse_bad_formats(void **state);
static void test_time_format(void **state);
static void test_time_round_trip(void **state);


/* depth brackets of one kind around a 0 */
static char *
test_nested(int depth, const char *open, const char *close)
{
    int     i;
    char   *s, *p;
    size_t  ol, cl;

    ol = strlen(open);
    cl = strlen(close);

    s = malloc(depth * (ol + cl) + 2);
    assert_non_null(s);

    p = s;

    for (i = 0; i < depth; i++) {
        memcpy(p, open, ol);
        p += ol;
    }

    *p++ = '0';

    for (i = 0; i < depth; i++) {
        memcpy(p, close, cl);
        p += cl;
    }

    *p = '\0';

    return s;
}


static json_t *
test_parse(const char *s, char *err, size_t err_len)
{
    err[0] = '\0';

    return cmp_json_parse(s, strlen(s), err, err_len);
}


static int
test_valid(const char *s)
{
    return cmp_utf8_valid(s, strlen(s));
}


static int64_t
test_time(const char *s)
{
    int64_t  t;

    if (!cmp_time_parse(s, &t)) {
        fail_msg("\"%s\" was refused", s);
    }

    return t;
}


static void
test_depth_limit(void **state)
{
    char    *s, err[160];
    json_t  *json;

    (void) state;

    /* 32 arrays: allowed, and jansson agrees it is JSON */
    s = test_nested(32, "[", "]");
    assert_true(cmp_json_depth_ok(s, strlen(s), CMP_JSON_MAX_DEPTH));
    json = test_parse(s, err, sizeof(err));
    assert_non_null(json);
    json_decref(json);
    free(s);

    /* 33: refused before jansson sees it */
    s = test_nested(33, "[", "]");
    assert_false(cmp_json_depth_ok(s, strlen(s), CMP_JSON_MAX_DEPTH));
    assert_null(test_parse(s, err, sizeof(err)));
    free(s);

    /* objects count the same */
    s = test_nested(32, "{\"a\":", "}");
    assert_true(cmp_json_depth_ok(s, strlen(s), CMP_JSON_MAX_DEPTH));
    json = test_parse(s, err, sizeof(err));
    assert_non_null(json);
    json_decref(json);
    free(s);

    s = test_nested(33, "{\"a\":", "}");
    assert_false(cmp_json_depth_ok(s, strlen(s), CMP_JSON_MAX_DEPTH));
    free(s);

    /* far deeper than jansson's own limit is still a clean refusal */
    s = test_nested(100000, "[", "]");
    assert_null(test_parse(s, err, sizeof(err)));
    free(s);
}


static void
test_depth_mixed_and_strings(void **state)
{
    char    *s, *deep, err[160];
    json_t  *json;
    size_t   n;

    (void) state;

    /* siblings do not add up: many shallow arrays are depth 2 */
    s = "[[1],[2],[3],[4],[5],[6],[7],[8],[9],[10],[11],[12],[13],[14],"
        "[15],[16],[17],[18],[19],[20],[21],[22],[23],[24],[25],[26],[27],"
        "[28],[29],[30],[31],[32],[33],[34]]";
    assert_true(cmp_json_depth_ok(s, strlen(s), 2));
    assert_false(cmp_json_depth_ok(s, strlen(s), 1));

    /* brackets inside strings are text */
    deep = test_nested(40, "[", "]");
    n = strlen(deep) + 16;
    s = malloc(n);
    assert_non_null(s);
    snprintf(s, n, "{\"a\":\"%s\"}", deep);
    assert_true(cmp_json_depth_ok(s, strlen(s), 1));
    json = test_parse(s, err, sizeof(err));
    assert_non_null(json);
    json_decref(json);
    free(s);
    free(deep);

    /* an escaped quote does not end the string; an escaped backslash does */
    s = "{\"a\":\"\\\"[[[[\",\"b\":\"\\\\\"}";
    assert_true(cmp_json_depth_ok(s, strlen(s), 1));

    s = "[\"\\\\\",[[1]]]";
    assert_true(cmp_json_depth_ok(s, strlen(s), 3));
    assert_false(cmp_json_depth_ok(s, strlen(s), 2));

    /* brackets in keys are text too */
    s = "{\"[[[[\":{\"}}}}\":1}}";
    assert_true(cmp_json_depth_ok(s, strlen(s), 2));
    assert_false(cmp_json_depth_ok(s, strlen(s), 1));
}


static void
test_depth_parse_message(void **state)
{
    char  *s, err[160];

    (void) state;

    s = test_nested(33, "[", "]");
    assert_null(test_parse(s, err, sizeof(err)));
    assert_string_equal(err, "JSON nesting is deeper than 32");
    free(s);
}


static void
test_duplicate_keys(void **state)
{
    char    err[160];
    json_t  *json;

    (void) state;

    assert_null(test_parse("{\"a\":1,\"a\":2}", err, sizeof(err)));
    assert_non_null(strstr(err, "duplicate object key"));

    assert_null(test_parse("{\"o\":{\"b\":1,\"c\":2,\"b\":3}}", err,
                           sizeof(err)));
    assert_null(test_parse("[{\"x\":null,\"x\":null}]", err, sizeof(err)));

    /* the same key in two objects is no duplicate */
    json = test_parse("{\"a\":{\"a\":1},\"b\":{\"a\":2}}", err, sizeof(err));
    assert_non_null(json);
    json_decref(json);

    /* keys are compared after unescaping */
    assert_null(test_parse("{\"a\":1,\"\\u0061\":2}", err, sizeof(err)));
}


/*
 * Parse errors are logged and answered; jansson would quote the text near
 * the error, which can be a secret that was being sent.
 */
static void
test_parse_errors_quote_nothing(void **state)
{
    char  err[160];

    (void) state;

    assert_null(test_parse("{\"access_token\":\"SECRET\x01\"}", err,
                           sizeof(err)));
    assert_non_null(strstr(err, "invalid JSON at line 1 column"));
    assert_null(strstr(err, "SECRET"));

    assert_null(test_parse("{\"access_token\":SECRETVALUE}", err,
                           sizeof(err)));
    assert_null(strstr(err, "SECRET"));

    assert_null(test_parse("{\"t\":\"SECRET", err, sizeof(err)));
    assert_null(strstr(err, "SECRET"));

    assert_null(test_parse("{\"t\":\"SECRET\xff\"}", err, sizeof(err)));
    assert_null(strstr(err, "SECRET"));
}


static void
test_dump_compact_ordered(void **state)
{
    char    *s, err[160];
    json_t  *json;
    size_t   len;

    (void) state;

    json = test_parse("{ \"z\" : 1, \"a\" : [ true, null ], \"m\": \"\xe4\xb8"
                      "\xad\" }", err, sizeof(err));
    assert_non_null(json);

    s = cmp_json_dump(json, &len);
    assert_non_null(s);
    assert_string_equal(s,
                        "{\"z\":1,\"a\":[true,null],\"m\":\"\xe4\xb8\xad\"}");
    assert_int_equal(len, strlen(s));

    free(s);
    json_decref(json);
}


static void
test_utf8_valid(void **state)
{
    (void) state;

    assert_true(test_valid(""));
    assert_true(test_valid("plain ASCII, with \x7f"));
    assert_true(test_valid("\xe4\xb8\xad\xe6\x96\x87"));         /* 中文 */
    assert_true(test_valid("\xf0\x9f\x98\x80"));                 /* U+1F600 */
    assert_true(test_valid("caf\xc3\xa9"));

    /* the edges of each length */
    assert_true(test_valid("\xc2\x80"));                          /* U+0080 */
    assert_true(test_valid("\xdf\xbf"));                          /* U+07FF */
    assert_true(test_valid("\xe0\xa0\x80"));                      /* U+0800 */
    assert_true(test_valid("\xed\x9f\xbf"));                      /* U+D7FF */
    assert_true(test_valid("\xee\x80\x80"));                      /* U+E000 */
    assert_true(test_valid("\xef\xbf\xbf"));                      /* U+FFFF */
    assert_true(test_valid("\xf0\x90\x80\x80"));                  /* U+10000 */
    assert_true(test_valid("\xf4\x8f\xbf\xbf"));                  /* U+10FFFF */

    /* a NUL is a valid code point when the length says so */
    assert_true(cmp_utf8_valid("a\0b", 3));
}


static void
test_utf8_invalid(void **state)
{
    (void) state;

    /* overlong forms of "/" and of U+0000 */
    assert_false(test_valid("\xc0\xaf"));
    assert_false(test_valid("\xc1\xbf"));
    assert_false(test_valid("\xe0\x80\xaf"));
    assert_false(test_valid("\xe0\x9f\xbf"));
    assert_false(test_valid("\xf0\x80\x80\xaf"));
    assert_false(test_valid("\xf0\x8f\xbf\xbf"));
    assert_false(cmp_utf8_valid("\xc0\x80", 2));

    /* UTF-16 surrogates encoded as UTF-8 */
    assert_false(test_valid("\xed\xa0\x80"));                     /* D800 */
    assert_false(test_valid("\xed\xbf\xbf"));                     /* DFFF */
    assert_false(test_valid("\xed\xa0\xbd\xed\xb8\x80"));         /* a pair */

    /* past U+10FFFF, and bytes that never occur */
    assert_false(test_valid("\xf4\x90\x80\x80"));
    assert_false(test_valid("\xf7\xbf\xbf\xbf"));
    assert_false(test_valid("\xf8\x88\x80\x80\x80"));
    assert_false(test_valid("\xfe"));
    assert_false(test_valid("\xff"));

    /* continuation bytes alone, and sequences cut short */
    assert_false(test_valid("\x80"));
    assert_false(test_valid("a\xbf"));
    assert_false(test_valid("\xe4\xb8"));
    assert_false(test_valid("\xe4\xb8z"));
    assert_false(test_valid("\xf0\x9f\x98"));
    assert_false(test_valid("\xc3"));

    /* cut short by the length, not by a NUL */
    assert_false(cmp_utf8_valid("\xe4\xb8\xad", 2));
}


static void
test_utf8_length(void **state)
{
    (void) state;

    assert_int_equal(cmp_utf8_length("", 0), 0);
    assert_int_equal(cmp_utf8_length("abc", 3), 3);
    assert_int_equal(cmp_utf8_length("\xe4\xb8\xad\xe6\x96\x87", 6), 2);
    assert_int_equal(cmp_utf8_length("\xf0\x9f\x98\x80", 4), 1);
    assert_int_equal(cmp_utf8_length("a\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80",
                                     10), 4);

    /* the API's limits: 60 Chinese characters are 180 bytes */
    {
        char  buf[61 * 3];
        int   i;

        for (i = 0; i < 61; i++) {
            memcpy(buf + i * 3, "\xe4\xb8\xad", 3);
        }

        assert_int_equal(cmp_utf8_length(buf, 60 * 3), 60);
        assert_int_equal(cmp_utf8_length(buf, 61 * 3), 61);
    }
}


static void
test_utf8_repair(void **state)
{
    char    buf[64];
    size_t  n;

    (void) state;

    /* valid text is left alone */
    strcpy(buf, "ok \xe4\xb8\xad");
    assert_int_equal(cmp_utf8_repair(buf, strlen(buf), 1), 6);
    assert_string_equal(buf, "ok \xe4\xb8\xad");

    /* a character cut by truncation is dropped whole */
    strcpy(buf, "ab\xe4\xb8\xad\xe4\xb8");
    n = cmp_utf8_repair(buf, strlen(buf), 1);
    assert_int_equal(n, 5);
    assert_string_equal(buf, "ab\xe4\xb8\xad");

    strcpy(buf, "ab\xf0\x9f\x98");
    assert_int_equal(cmp_utf8_repair(buf, strlen(buf), 1), 2);
    assert_string_equal(buf, "ab");

    /* not truncated: the same bytes become '?' one by one */
    strcpy(buf, "ab\xe4\xb8");
    assert_int_equal(cmp_utf8_repair(buf, strlen(buf), 0), 4);
    assert_string_equal(buf, "ab??");

    /* bytes from a URI: each invalid one is '?', valid ones stay */
    strcpy(buf, "no channel \"\xff\xe4\xb8\xad\xc0\xaf\"");
    cmp_utf8_repair(buf, strlen(buf), 0);
    assert_string_equal(buf, "no channel \"?\xe4\xb8\xad??\"");
    assert_true(test_valid(buf));

    /* an encoded surrogate is three bad bytes */
    strcpy(buf, "\xed\xa0\x80x");
    cmp_utf8_repair(buf, strlen(buf), 1);
    assert_string_equal(buf, "???x");

    /* truncated, but the bad byte is not at the end: no cut */
    strcpy(buf, "\xff\xe4\xb8\xad");
    assert_int_equal(cmp_utf8_repair(buf, strlen(buf), 1), 4);
    assert_string_equal(buf, "?\xe4\xb8\xad");
}


static void
test_time_parse_offsets(void **state)
{
    int64_t  utc;

    (void) state;

    utc = test_time("2026-12-01T01:00:00Z");
    assert_true(utc == 1796086800);

    assert_true(test_time("2026-12-01T09:00:00+08:00") == utc);
    assert_true(test_time("2026-11-30T19:30:00-05:30") == utc);
    assert_true(test_time("2026-12-01T01:00:00+00:00") == utc);
    assert_true(test_time("2026-12-01T01:00:00-00:00") == utc);

    /* RFC 3339 allows lower case and, by its note, a space */
    assert_true(test_time("2026-12-01t01:00:00z") == utc);
    assert_true(test_time("2026-12-01 01:00:00Z") == utc);

    /* an offset that crosses a day, a month and a year */
    assert_true(test_time("2027-01-01T07:59:59+08:00")
                == test_time("2026-12-31T23:59:59Z"));
    assert_true(test_time("2026-12-31T20:00:00-14:00")
                == test_time("2027-01-01T10:00:00Z"));

    assert_true(test_time("1970-01-01T00:00:00Z") == 0);
    assert_true(test_time("1969-12-31T23:59:59Z") == -1);
}


static void
test_time_parse_fractions(void **state)
{
    int64_t  t;

    (void) state;

    t = test_time("2026-12-01T01:00:00Z");

    /* whole seconds are kept; a fraction is dropped, never rounded up */
    assert_true(test_time("2026-12-01T01:00:00.1Z") == t);
    assert_true(test_time("2026-12-01T01:00:00.999999999Z") == t);
    assert_true(test_time("2026-12-01T09:00:00.5+08:00") == t);
    assert_true(test_time("2026-12-01T01:00:00.000000000000000001Z") == t);
}


static void
test_time_parse_calendar(void **state)
{
    int64_t  t;

    (void) state;

    assert_true(cmp_time_parse("2024-02-29T00:00:00Z", &t));
    assert_true(cmp_time_parse("2000-02-29T00:00:00Z", &t));
    assert_false(cmp_time_parse("2026-02-29T00:00:00Z", &t));
    assert_false(cmp_time_parse("1900-02-29T00:00:00Z", &t));
    assert_false(cmp_time_parse("2026-02-30T00:00:00Z", &t));
    assert_false(cmp_time_parse("2026-04-31T00:00:00Z", &t));
    assert_true(cmp_time_parse("2026-12-31T23:59:59Z", &t));
    assert_false(cmp_time_parse("2026-12-32T00:00:00Z", &t));
    assert_false(cmp_time_parse("2026-13-01T00:00:00Z", &t));
    assert_false(cmp_time_parse("2026-00-01T00:00:00Z", &t));
    assert_false(cmp_time_parse("2026-01-00T00:00:00Z", &t));
    assert_false(cmp_time_parse("2026-01-01T24:00:00Z", &t));
    assert_false(cmp_time_parse("2026-01-01T23:60:00Z", &t));
    assert_false(cmp_time_parse("2026-01-01T23:59:61Z", &t));

    /* a leap second is read as the second before it */
    assert_true(cmp_time_parse("2016-12-31T23:59:60Z", &t));
    assert_true(t == test_time("2016-12-31T23:59:59Z"));

    /* offsets stay within a day */
    assert_true(cmp_time_parse("2026-01-01T00:00:00+23:59", &t));
    assert_false(cmp_time_parse("2026-01-01T00:00:00+24:00", &t));
    assert_false(cmp_time_parse("2026-01-01T00:00:00+08:60", &t));
}


static void
test_time_parse_bad_formats(void **state)
{
    size_t       i;
    int64_t      t;
    static const char  *bad[] = {
        "",
        "2026-12-01",
        "2026-12-01T01:00:00",
        "2026-12-01T01:00Z",
        "2026-12-01T01:00:00+0800",
        "2026-12-01T01:00:00+08",
        "2026-12-01T01:00:00 +08:00",
        "2026-12-01T01:00:00ZZ",
        "2026-12-01T01:00:00Z ",
        " 2026-12-01T01:00:00Z",
        "2026-12-01T01:00:00.Z",
        "2026-12-01T01:00:00,5Z",
        "2026-12-01X01:00:00Z",
        "2026/12/01T01:00:00Z",
        "26-12-01T01:00:00Z",
        "+2026-12-01T01:00:00Z",
        "2026-1-01T01:00:00Z",
        "2026-12-01T1:00:00Z",
        "2026-12-01T01:00:00UTC",
        "2026-12-01T01:00:00+08:00Z",
        "2026-12-01T01:0a:00Z",
        "2026-12-01T01:00:00-8:00",
        "1796086800",
        "tomorrow",
    };

    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (cmp_time_parse(bad[i], &t)) {
            fail_msg("\"%s\" was accepted", bad[i]);
        }
    }
}


static void
test_time_format(void **state)
{
    char  buf[CMP_TIME_LEN + 1];

    (void) state;

    memset(buf, 'x', sizeof(buf));
    cmp_time_format(0, buf);
    assert_string_equal(buf, "1970-01-01T00:00:00Z");
    assert_int_equal(strlen(buf), CMP_TIME_LEN);

    cmp_time_format(1796086800, buf);
    assert_string_equal(buf, "2026-12-01T01:00:00Z");

    cmp_time_format(-1, buf);
    assert_string_equal(buf, "1969-12-31T23:59:59Z");

    cmp_time_format(951782400, buf);
    assert_string_equal(buf, "2000-02-29T00:00:00Z");

    cmp_time_format(253402300799LL, buf);
    assert_string_equal(buf, "9999-12-31T23:59:59Z");

    /* past RFC 3339's years: clamped, and never past the buffer */
    cmp_time_format(253402300800LL * 4, buf);
    assert_int_equal(strlen(buf), CMP_TIME_LEN);
    assert_memory_equal(buf, "9999-", 5);
}


static void
test_time_round_trip(void **state)
{
    int       i;
    char      buf[CMP_TIME_LEN + 1];
    int64_t   t, back;
    uint64_t  x;

    (void) state;

    /* a fixed pseudo-random walk over 0001..9999 */
    x = 88172645463325252ULL;

    for (i = 0; i < 100000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;

        t = (int64_t) (x % 315537897599ULL) - 62135596800LL;

        cmp_time_format(t, buf);

        if (!cmp_time_parse(buf, &back) || back != t) {
            fail_msg("%lld -> \"%s\" -> %lld", (long long) t, buf,
                     (long long) back);
        }
    }

    /* every day boundary of a leap year's February */
    for (t = 1709164800 - 86400; t <= 1709164800 + 2 * 86400; t += 3600) {
        cmp_time_format(t, buf);
        assert_true(cmp_time_parse(buf, &back));
        assert_true(back == t);
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_depth_mixed_and_strings),
        cmocka_unit_test(test_depth_parse_message),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_parse_errors_quote_nothing),
        cmocka_unit_test(test_dump_compact_ordered),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_utf8_invalid),
        cmocka_unit_test(test_utf8_length),
        cmocka_unit_test(test_utf8_repair),
        cmocka_unit_test(test_time_parse_offsets),
        cmocka_unit_test(test_time_parse_fractions),
        cmocka_unit_test(test_time_parse_calendar),
        cmocka_unit_test(test_time_parse_bad_formats),
        cmocka_unit_test(test_time_format),
        cmocka_unit_test(test_time_round_trip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
