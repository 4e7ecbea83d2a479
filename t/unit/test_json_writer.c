
/*
 * Unit tests of shared/cmp_json_writer.c: whatever the value, the writer's
 * bytes are jansson's compact dump, and it fails where jansson fails.
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
#include "cmp_json_writer.h"


static uint64_t test_rand(uint64_t *s);
static size_t test_text(uint64_t *s, char *buf, size_t size);
static json_t *test_value(uint64_t *s, int depth);
static void test_compare(const json_t *json, int any);
static void test_same(const json_t *json);
static void test_same_any(const json_t *json);

static void test_contact_record(void **state);
static void test_scalars(void **state);
static void test_strings(void **state);
static void test_random_values(void **state);
static void test_deep_and_cyclic(void **state);
static void test_writer_raw(void **state);


/* pieces of text jansson writes as they are, escapes, or refuses */
static const char *const  test_pieces[] = {
    "a", "Hangzhou", " ", "/", "\"", "\\", "\n", "\t", "\x01", "\x1f",
    "\x7f", "\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x98\x80", "\0",
    "\xff", "\xc0\xaf", "\xed\xa0\x80", "\xe4\xb8", "\xf4\x90\x80\x80",
    "\xe2\x80\xa8", "+8613900000042"
};


static uint64_t
test_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;

    return *s;
}


static size_t
test_text(uint64_t *s, char *buf, size_t size)
{
    int          i, n;
    size_t       len, plen;
    const char  *p;

    len = 0;
    n = (int) (test_rand(s) % 6);

    for (i = 0; i < n; i++) {
        p = test_pieces[test_rand(s)
                        % (sizeof(test_pieces) / sizeof(test_pieces[0]))];

        /* "\0" is one byte, not none */
        plen = (p[0] == '\0') ? 1 : strlen(p);

        if (len + plen > size) {
            break;
        }

        memcpy(buf + len, p, plen);
        len += plen;
    }

    /* mostly text jansson accepts, as the API only stores that */
    if (test_rand(s) % 4 != 0 && !cmp_utf8_valid(buf, len)) {
        len = 0;
    }

    return len;
}


static json_t *
test_value(uint64_t *s, int depth)
{
    int      i, n;
    char     text[64];
    size_t   len;
    json_t  *v;
    double   reals[] = { 0.0, -0.0, 0.1, 3.0, -2.5, 1e300, 1e-300,
                         123456789.125, 1.0 / 3 };

    switch (test_rand(s) % (depth > 4 ? 6 : 8)) {

    case 0:
        return json_null();

    case 1:
        return json_boolean(test_rand(s) % 2);

    case 2:
        switch (test_rand(s) % 4) {
        case 0:
            return json_integer((json_int_t) test_rand(s));
        case 1:
            return json_integer(INT64_MIN);
        case 2:
            return json_integer(INT64_MAX);
        default:
            return json_integer((json_int_t) (test_rand(s) % 2001) - 1000);
        }

    case 3:
        return json_real(reals[test_rand(s)
                               % (sizeof(reals) / sizeof(reals[0]))]);

    case 4:
    case 5:
        len = test_text(s, text, sizeof(text));
        return json_stringn_nocheck(text, len);

    case 6:
        v = json_array();
        n = (int) (test_rand(s) % 5);

        for (i = 0; i < n; i++) {
            json_array_append_new(v, test_value(s, depth + 1));
        }

        return v;

    default:
        v = json_object();
        n = (int) (test_rand(s) % 6);

        for (i = 0; i < n; i++) {
            len = test_text(s, text, sizeof(text));
            json_object_setn_new_nocheck(v, text, len,
                                         test_value(s, depth + 1));
        }

        return v;
    }
}


/*
 * json_dumps() against cmp_json_dump() (a container, as cmp_json_dump()
 * once called it), or, with any, against the writer (any value, as it
 * writes one inside a record)
 */
static void
test_compare(const json_t *json, int any)
{
    char               *want, *got;
    size_t              len;
    cmp_text_t   w;

    want = json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER
                            | (any ? JSON_ENCODE_ANY : 0));

    if (any) {
        assert_int_equal(cmp_text_init(&w, 8), 0);
        cmp_json_write_value(&w, json);
        got = cmp_text_take(&w, &len);

    } else {
        got = cmp_json_dump(json, &len);
    }

    if (want == NULL) {
        assert_null(got);
        return;
    }

    assert_non_null(got);
    assert_string_equal(got, want);
    assert_int_equal(len, strlen(want));

    free(want);
    free(got);
}


static void
test_same(const json_t *json)
{
    test_compare(json, 0);
}


static void
test_same_any(const json_t *json)
{
    test_compare(json, 1);
}


static void
test_contact_record(void **state)
{
    json_t  *rec;

    (void) state;

    rec = json_loads("{\"id\":\"ct_0000002a\",\"phone\":\"+8613900000042\","
                     "\"name\":\"Bench 42\",\"email\":null,\"country\":\"CN\","
                     "\"remark\":null,\"viber_id\":null,\"attributes\":"
                     "{\"city\":\"Hangzhou\",\"tier\":2,\"vip\":true},"
                     "\"opted_out\":false,\"opted_out_at\":null,"
                     "\"created_at\":\"2026-11-25T08:00:00Z\","
                     "\"updated_at\":\"2026-11-25T08:00:00Z\","
                     "\"version\":1}", 0, NULL);
    assert_non_null(rec);

    test_same(rec);
    json_decref(rec);

    rec = json_loads("{\"name\":\"\xe6\x9d\x8e\xe9\x9b\xb7 \\\"Li\\\"\","
                     "\"remark\":\"a\\nb\\u0001\\\\ /\",\"x\":[],\"y\":{}}",
                     0, NULL);
    assert_non_null(rec);

    test_same(rec);
    json_decref(rec);
}


static void
test_scalars(void **state)
{
    json_t  *v;

    (void) state;

    /* not a container: jansson's compact dump refuses, and so do we */
    v = json_integer(7);
    test_same(v);
    test_same_any(v);
    json_decref(v);

    test_same(json_null());
    test_same_any(json_null());
    test_same_any(json_true());
    test_same_any(json_false());

    v = json_integer(INT64_MIN);
    test_same_any(v);
    json_decref(v);

    v = json_integer(0);
    test_same_any(v);
    json_decref(v);

    v = json_real(-0.0);
    test_same_any(v);
    json_decref(v);

    v = json_real(2.0);
    test_same_any(v);
    json_decref(v);

    test_same(NULL);
}


static void
test_strings(void **state)
{
    size_t   i, len;
    json_t  *s, *o;

    (void) state;

    for (i = 0; i < sizeof(test_pieces) / sizeof(test_pieces[0]); i++) {
        len = (test_pieces[i][0] == '\0') ? 1 : strlen(test_pieces[i]);

        /* as a value and as a key */
        s = json_stringn_nocheck(test_pieces[i], len);
        test_same_any(s);

        o = json_object();
        json_object_setn_new_nocheck(o, test_pieces[i], len, s);
        test_same(o);
        json_decref(o);
    }
}


static void
test_random_values(void **state)
{
    int       i;
    json_t   *v;
    uint64_t  s;

    (void) state;

    s = 0x9e3779b97f4a7c15ULL;

    for (i = 0; i < 20000; i++) {
        v = test_value(&s, 0);
        test_same(v);
        test_same_any(v);
        json_decref(v);
    }
}


static void
test_deep_and_cyclic(void **state)
{
    int      i;
    json_t  *top, *v, *a, *b;

    (void) state;

    /* past the writer's own depth: jansson writes the rest */
    top = json_array();
    v = top;

    for (i = 0; i < 200; i++) {
        a = (i % 2) ? json_array() : json_object();

        if (json_is_array(v)) {
            json_array_append_new(v, a);

        } else {
            json_object_set_new(v, "k\"", a);
        }

        v = a;
    }

    test_same(top);
    json_decref(top);

    /* a cycle: jansson refuses to dump it, the writer must too */
    a = json_object();
    b = json_array();
    json_object_set(a, "b", b);
    json_array_append(b, a);

    test_same(a);
    test_same_any(b);

    json_array_clear(b);
    json_decref(b);
    json_decref(a);
}


static void
test_writer_raw(void **state)
{
    int                 i;
    char               *s;
    size_t              len;
    cmp_text_t   w;

    (void) state;

    /* growth from a tiny buffer keeps every byte */
    assert_int_equal(cmp_text_init(&w, 1), 0);

    for (i = 0; i < 1000; i++) {
        cmp_text_add(&w, "0123456789", 10);
    }

    cmp_json_write_string(&w, "a\"b", 3);

    s = cmp_text_take(&w, &len);
    assert_non_null(s);
    assert_int_equal(len, 10000 + 6);
    assert_memory_equal(s + 9990, "0123456789\"a\\\"b\"", 16);
    assert_int_equal(s[len], '\0');
    free(s);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_contact_record),
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_random_values),
        cmocka_unit_test(test_deep_and_cyclic),
        cmocka_unit_test(test_writer_raw),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
