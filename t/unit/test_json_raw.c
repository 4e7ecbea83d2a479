
/*
 * Unit tests of shared/cmp_json_raw.c: members found at the top level
 * only, strings unescaped, and a patched record equal to what jansson
 * makes of the same change (test_json_writer.c holds the quoting of
 * strings to jansson's bytes).
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
#include "cmp_json_raw.h"


#define TEST_RECORD                                                         \
    "{\"id\":\"00ab\",\"run\":3,\"status\":\"queued\",\"error\":null,"      \
    "\"payload\":{\"type\":\"text\",\"text\":\"say \\\"status\\\":"         \
    "\\\"sent\\\" {[\"},\"nested\":{\"status\":\"read\"},"                  \
    "\"attempts\":-2,\"recipient\":\"86139\xc3\xa9\"}"


static int test_get(const char *buf, size_t len, const char *name,
    const char **value, size_t *value_len);
static int test_string(const char *buf, size_t len, const char *name,
    char *dst, size_t size);
static int64_t test_member_int(const char *buf, size_t len,
    const char *name);

static void test_get_top_level_only(void **state);
static void test_string_escapes(void **state);
static void test_int(void **state);
static void test_find(void **state);
static void test_patch_like_jansson(void **state);
static void test_patch_adds_absent(void **state);
static void test_malformed(void **state);


/* one member through cmp_json_raw_find(); -1: absent or not an object */
static int
test_get(const char *buf, size_t len, const char *name, const char **value,
    size_t *value_len)
{
    cmp_json_field_t  f;

    f.name = name;

    if (cmp_json_raw_find(buf, len, &f, 1) != 0 || f.value == NULL) {
        return -1;
    }

    *value = f.value;
    *value_len = f.len;

    return 0;
}


static int
test_string(const char *buf, size_t len, const char *name, char *dst,
    size_t size)
{
    size_t       n;
    const char  *v;

    if (test_get(buf, len, name, &v, &n) != 0) {
        return -1;
    }

    return cmp_json_raw_value_string(v, n, dst, size);
}


static int64_t
test_member_int(const char *buf, size_t len, const char *name)
{
    size_t       n;
    const char  *v;

    if (test_get(buf, len, name, &v, &n) != 0) {
        return 0;
    }

    return cmp_json_raw_value_int(v, n);
}


static void
test_get_top_level_only(void **state)
{
    size_t       n;
    const char  *v, *rec;

    (void) state;
    rec = TEST_RECORD;

    /* the text and the nested object hold "status" too: only the top */
    assert_int_equal(test_get(rec, strlen(rec), "status", &v, &n),
                     0);
    assert_int_equal(n, 8);
    assert_memory_equal(v, "\"queued\"", 8);

    assert_int_equal(test_get(rec, strlen(rec), "nested", &v, &n),
                     0);
    assert_int_equal(n, strlen("{\"status\":\"read\"}"));

    assert_int_equal(test_get(rec, strlen(rec), "error", &v, &n), 0);
    assert_memory_equal(v, "null", 4);
    assert_int_equal(n, 4);

    assert_int_equal(test_get(rec, strlen(rec), "text", &v, &n), -1);
    assert_int_equal(test_get(rec, strlen(rec), "statu", &v, &n),
                     -1);
}


static void
test_string_escapes(void **state)
{
    char         buf[64];
    size_t       i;
    const char  *rec;

    static const struct {
        const char  *name;
        const char  *value;
    } runs[] = {
        { "a", "x\\" }, { "b", "y\\\"\\" }, { "c", "z" }
    };

    (void) state;
    rec = TEST_RECORD;

    assert_int_equal(test_string(rec, strlen(rec), "id", buf,
                                         sizeof(buf)), 0);
    assert_string_equal(buf, "00ab");

    assert_int_equal(test_string(rec, strlen(rec), "recipient", buf,
                                         sizeof(buf)), 0);
    assert_string_equal(buf, "86139\xc3\xa9");

    rec = "{\"r\":\"a\\u00e9\\n\\\"\"}";
    assert_int_equal(test_string(rec, strlen(rec), "r", buf,
                                         sizeof(buf)), 0);
    assert_string_equal(buf, "a\xc3\xa9\n\"");

    /*
     * a quote after an even run of backslashes ends its string, one
     * after an odd run does not: the members after each are still found
     */
    rec = "{\"a\":\"x\\\\\",\"b\":\"y\\\\\\\"\\\\\",\"c\":\"z\"}";

    for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        assert_int_equal(test_string(rec, strlen(rec), runs[i].name, buf,
                                     sizeof(buf)), 0);
        assert_string_equal(buf, runs[i].value);
    }
    rec = TEST_RECORD;

    /* not a string, absent, or longer than the room for it */
    assert_int_equal(test_string(rec, strlen(rec), "run", buf,
                                         sizeof(buf)), -1);
    assert_int_equal(test_string(rec, strlen(rec), "error", buf,
                                         sizeof(buf)), -1);
    assert_int_equal(test_string(rec, strlen(rec), "none", buf,
                                         sizeof(buf)), -1);
    assert_int_equal(test_string(rec, strlen(rec), "status", buf,
                                         6), -1);
    assert_int_equal(test_string(rec, strlen(rec), "status", buf,
                                         7), 0);
    assert_string_equal(buf, "queued");
}


static void
test_int(void **state)
{
    const char  *rec;

    (void) state;
    rec = TEST_RECORD;

    assert_int_equal(test_member_int(rec, strlen(rec), "run"), 3);
    assert_int_equal(test_member_int(rec, strlen(rec), "attempts"), -2);
    assert_int_equal(test_member_int(rec, strlen(rec), "error"), 0);
    assert_int_equal(test_member_int(rec, strlen(rec), "status"), 0);
    assert_int_equal(test_member_int(rec, strlen(rec), "absent"), 0);
}


static void
test_find(void **state)
{
    char              buf[16];
    const char       *rec;
    cmp_json_field_t  f[4] = {
        { "attempts", NULL, 0 }, { "status", NULL, 0 },
        { "text", NULL, 0 }, { "error", NULL, 0 }
    };

    (void) state;
    rec = TEST_RECORD;

    /* one pass finds the top-level members; a nested name stays absent */
    assert_int_equal(cmp_json_raw_find(rec, strlen(rec), f, 4), 0);

    assert_int_equal(cmp_json_raw_value_int(f[0].value, f[0].len), -2);
    assert_int_equal(cmp_json_raw_value_string(f[1].value, f[1].len, buf,
                                               sizeof(buf)), 0);
    assert_string_equal(buf, "queued");
    assert_null(f[2].value);
    assert_int_equal(f[3].len, 4);
    assert_memory_equal(f[3].value, "null", 4);

    /* absent and null read as no string, and as 0 */
    assert_int_equal(cmp_json_raw_value_string(f[2].value, f[2].len, buf,
                                               sizeof(buf)), -1);
    assert_int_equal(cmp_json_raw_value_string(f[3].value, f[3].len, buf,
                                               sizeof(buf)), -1);
    assert_int_equal(cmp_json_raw_value_int(f[2].value, f[2].len), 0);

    /* not an object: -1, and nothing found */
    f[1].value = "x";
    assert_int_equal(cmp_json_raw_find("[1]", 3, f, 4), -1);
    assert_null(f[1].value);
}


static void
test_patch_like_jansson(void **state)
{
    char            err[64], *dump;
    size_t          len;
    json_t         *want, *got;
    cmp_text_t  out;
    const char     *rec;
    cmp_json_field_t  set[3] = {
        { "status", "\"sent\"", 6 },
        { "error", "\"x\\\"y\"", 6 },
        { "attempts", "4", 1 },
    };

    (void) state;
    rec = TEST_RECORD;
    memset(&out, 0, sizeof(cmp_text_t));

    assert_int_equal(cmp_json_raw_patch(rec, strlen(rec), set, 3, &out), 0);

    want = cmp_json_parse(rec, strlen(rec), err, sizeof(err));
    assert_non_null(want);
    json_object_set_new(want, "status", json_string("sent"));
    json_object_set_new(want, "error", json_string("x\"y"));
    json_object_set_new(want, "attempts", json_integer(4));

    /* the same text jansson dumps, member order kept */
    dump = cmp_json_dump(want, &len);
    assert_int_equal(out.len, len);
    assert_memory_equal(out.data, dump, len);

    got = cmp_json_parse(out.data, out.len, err, sizeof(err));
    assert_true(json_equal(got, want));

    free(dump);
    json_decref(got);
    json_decref(want);
    cmp_text_free(&out);
}


static void
test_patch_adds_absent(void **state)
{
    cmp_text_t  out;
    const char     *rec;
    cmp_json_field_t  set[2] = {
        { "b", "2", 1 },
        { "c", "[1,{\"d\":3}]", 11 },
    };

    (void) state;
    memset(&out, 0, sizeof(cmp_text_t));

    rec = "{\"a\":1,\"b\":{\"x\":[1,2]}}";
    assert_int_equal(cmp_json_raw_patch(rec, strlen(rec), set, 2, &out), 0);
    assert_int_equal(out.len, strlen("{\"a\":1,\"b\":2,\"c\":[1,{\"d\":3}]}"));
    assert_memory_equal(out.data, "{\"a\":1,\"b\":2,\"c\":[1,{\"d\":3}]}",
                        out.len);

    rec = " { } ";
    assert_int_equal(cmp_json_raw_patch(rec, strlen(rec), set, 1, &out), 0);
    assert_int_equal(out.len, 7);
    assert_memory_equal(out.data, "{\"b\":2}", 7);

    cmp_text_free(&out);
}


static void
test_malformed(void **state)
{
    size_t          i, n;
    const char     *v;
    cmp_text_t  out;
    cmp_json_field_t  set[1] = { { "a", "1", 1 } };
    static const char  *bad[] = {
        "", "[1]", "{\"a\"", "{\"a\":", "{\"a\":\"x}", "{\"a\":1",
        "{\"a\":{\"b\":1}", "{a:1}", "{\"a\":1 \"b\":2}", "\"a\"",
    };

    (void) state;
    memset(&out, 0, sizeof(cmp_text_t));

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(test_get(bad[i], strlen(bad[i]), "b", &v,
                                          &n), -1);
        assert_int_equal(cmp_json_raw_patch(bad[i], strlen(bad[i]), set, 1,
                                            &out), -1);

        /*
         * a reused buffer that failed before: the record is the cause now,
         * which callers tell from out of memory by out.failed
         */
        out.failed = 1;
        assert_int_equal(cmp_json_raw_patch(bad[i], strlen(bad[i]), set, 1,
                                            &out), -1);
        assert_int_equal(out.failed, 0);
    }

    cmp_text_free(&out);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_get_top_level_only),
        cmocka_unit_test(test_string_escapes),
        cmocka_unit_test(test_int),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_patch_like_jansson),
        cmocka_unit_test(test_patch_adds_absent),
        cmocka_unit_test(test_malformed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
