
/*
 * Unit tests of the providers' answer tables (shared/cmp_whatsapp.c,
 * cmp_viber.c): every class with its codes, and secrets cut out of text.
 */


#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cmp_provider.h"


static cmp_answer_t test_wa(long http, long code);
static cmp_answer_t test_vb(long status);
static void test_wa_classes(void **state);
static void test_wa_text(void **state);
static void test_vb_classes(void **state);
static void test_redact(void **state);


static cmp_answer_t
test_wa(long http, long code)
{
    char          body[256];
    cmp_answer_t  a;

    snprintf(body, sizeof(body), "{\"error\":{\"message\":\"m\",\"type\":"
             "\"OAuthException\",\"code\":%ld,\"fbtrace_id\":\"T\"}}", code);
    cmp_whatsapp.classify(http, body, strlen(body), -1, &a);

    return a;
}


static cmp_answer_t
test_vb(long status)
{
    char          body[128];
    cmp_answer_t  a;

    snprintf(body, sizeof(body), "{\"status\":%ld,\"status_message\":"
             "\"x\"}", status);
    cmp_viber.classify(200, body, strlen(body), -1, &a);

    return a;
}


static void
test_wa_classes(void **state)
{
    size_t        i;
    cmp_answer_t  a;
    static const long  throttled[] = { 130429, 131048, 80007, 4, 17, 32, 613 };
    static const long  blocked[] = {
        0, 3, 10, 190, 200, 299, 368, 130497, 131031, 131037, 131042,
        131045, 131057, 131063, 133010
    };
    static const long  refused[] = {
        100, 130472, 131026, 131047, 131050, 131051, 132000, 132015, 132999
    };

    (void) state;

    for (i = 0; i < sizeof(throttled) / sizeof(throttled[0]); i++) {
        assert_int_equal(test_wa(400, throttled[i]).klass,
                         CMP_ANSWER_THROTTLED);
    }

    for (i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++) {
        assert_int_equal(test_wa(400, blocked[i]).klass, CMP_ANSWER_BLOCKED);
    }

    /* code 3 comes with HTTP 500: not a throttle */
    assert_int_equal(test_wa(500, 3).klass, CMP_ANSWER_BLOCKED);

    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        assert_int_equal(test_wa(400, refused[i]).klass, CMP_ANSWER_REFUSED);
    }

    a = test_wa(400, 131056);
    assert_int_equal(a.klass, CMP_ANSWER_DEFERRED);
    assert_int_equal(a.defer, 60);

    a = test_wa(400, 131049);
    assert_int_equal(a.klass, CMP_ANSWER_DEFERRED);
    assert_true(a.defer >= 3600);
    assert_true(a.defer_max > a.defer);

    assert_true(test_wa(400, 131050).opt_out);
    assert_false(test_wa(400, 131026).opt_out);

    /* unknown codes go by the HTTP status */
    assert_int_equal(test_wa(503, 999999).klass, CMP_ANSWER_THROTTLED);
    assert_int_equal(test_wa(403, 999999).klass, CMP_ANSWER_BLOCKED);
    assert_int_equal(test_wa(400, 999999).klass, CMP_ANSWER_REFUSED);
}


static void
test_wa_text(void **state)
{
    const char   *body;
    cmp_answer_t  a;

    (void) state;

    body = "{\"error\":{\"message\":\"(#131049) healthy ecosystem\","
           "\"type\":\"OAuthException\",\"code\":131049,\"error_data\":"
           "{\"messaging_product\":\"whatsapp\",\"details\":\"later\"},"
           "\"fbtrace_id\":\"AbC\"}}";
    cmp_whatsapp.classify(400, body, strlen(body), -1, &a);
    assert_string_equal(a.error, "131049: (#131049) healthy ecosystem "
                        "(later) [fbtrace_id AbC]");
}


static void
test_vb_classes(void **state)
{
    size_t  i;
    static const long  blocked[] = { 2, 7, 8, 9, 10, 15, 23, 24 };
    static const long  refused[] = { 1, 3, 4, 5, 6, 11, 13 };

    (void) state;

    for (i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++) {
        assert_int_equal(test_vb(blocked[i]).klass, CMP_ANSWER_BLOCKED);
    }

    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        assert_int_equal(test_vb(refused[i]).klass, CMP_ANSWER_REFUSED);
    }

    assert_int_equal(test_vb(12).klass, CMP_ANSWER_DEFERRED);
    assert_true(test_vb(12).defer >= 3600);
    assert_int_equal(test_vb(0).klass, CMP_ANSWER_SENT);
}


static void
test_redact(void **state)
{
    cmp_answer_t  a;

    (void) state;

    memset(&a, 0, sizeof(a));
    snprintf(a.error, sizeof(a.error), "190: bad token EAAGm0PX4ZCps "
             "(header Authorization: Bearer EAAGm0PX4ZCps) and bearer xyz");
    cmp_answer_redact(&a, "EAAGm0PX4ZCps\0app-secret\0");
    assert_null(strstr(a.error, "EAAGm0PX4ZCps"));
    assert_null(strstr(a.error, "xyz"));
    assert_non_null(strstr(a.error, "bad token [redacted]"));
    assert_non_null(strstr(a.error, "Bearer [redacted])"));

    /* a token we do not know, after Bearer, is cut too */
    snprintf(a.error, sizeof(a.error), "401: Bearer s3cr3t-value-long");
    cmp_answer_redact(&a, "");
    assert_string_equal(a.error, "401: Bearer [redacted]");

    /* short secrets would cut ordinary words: left alone */
    snprintf(a.error, sizeof(a.error), "100: abc");
    cmp_answer_redact(&a, "abc\0");
    assert_string_equal(a.error, "100: abc");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_wa_classes),
        cmocka_unit_test(test_wa_text),
        cmocka_unit_test(test_vb_classes),
        cmocka_unit_test(test_redact),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
