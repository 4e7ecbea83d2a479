
/*
 * Unit tests of campaignd's pure parts: schedule arithmetic, the token
 * bucket, provider answer classification, node evaluation (fake clock).
 */


#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cmp_schedule.h"
#include "cmp_provider.h"
#include "../../sidecar/cmp_bucket.c"
#include "../../sidecar/cmp_node.c"


static void test_schedule_first_run(void **state);
static void test_schedule_misfire(void **state);
static void test_schedule_end(void **state);
static void test_bucket(void **state);
static void test_classify(void **state);
static void test_nodes(void **state);


static void
test_schedule_first_run(void **state)
{
    cmp_plan_t           p = { 1000, 1000 + 3600, 600 };
    cmp_schedule_step_t  s;

    (void) state;

    cmp_schedule_step(&p, 1000, 999, &s);
    assert_false(s.fire);

    cmp_schedule_step(&p, 1000, 1000, &s);
    assert_true(s.fire);
    assert_int_equal(s.fire_at, 1000);
    assert_int_equal(s.missed, 0);
    assert_int_equal(s.next, 1600);

    /* a tick a second late is not a miss */
    cmp_schedule_step(&p, 1600, 1601, &s);
    assert_true(s.fire);
    assert_int_equal(s.missed, 0);
    assert_int_equal(s.next, 2200);
}


static void
test_schedule_misfire(void **state)
{
    cmp_plan_t           p = { 1000, 1000 + 3600, 600 };
    cmp_schedule_step_t  s;

    (void) state;

    /* down from 1601 to 3000: 1600, 2200, 2800 passed; one fires */
    cmp_schedule_step(&p, 1600, 3000, &s);
    assert_true(s.fire);
    assert_int_equal(s.fire_at, 2800);
    assert_int_equal(s.missed, 2);
    assert_int_equal(s.next, 3400);

    /* the last fire time before the end: no next */
    cmp_schedule_step(&p, 4000, 4000, &s);
    assert_true(s.fire);
    assert_int_equal(s.next, -1);
}


static void
test_schedule_end(void **state)
{
    cmp_plan_t           p = { 1000, 2000, 600 };
    cmp_schedule_step_t  s;

    (void) state;

    cmp_schedule_step(&p, 1600, 2000, &s);
    assert_true(s.complete);
    assert_false(s.fire);

    cmp_schedule_step(&p, -1, 1999, &s);
    assert_false(s.complete);
    assert_false(s.fire);
}


static void
test_bucket(void **state)
{
    int           i, n;
    int64_t       t;
    cmp_bucket_t  b;

    (void) state;

    cmp_bucket_init(&b, 100, 0);

    /* 10 s at 100/s: 1000 tokens and the burst of 5 */
    n = 0;

    for (t = 0; t <= 10000; t++) {
        while (cmp_bucket_take(&b, t)) {
            n++;
        }
    }

    assert_true(n >= 1000 && n <= 1006);

    cmp_bucket_set_rate(&b, 10, 10000);
    n = 0;

    for (t = 10001; t <= 20000; t++) {
        n += cmp_bucket_take(&b, t);
    }

    assert_true(n >= 99 && n <= 101);

    cmp_bucket_hold(&b, 25000);
    assert_false(cmp_bucket_take(&b, 24999));
    assert_int_equal(cmp_bucket_wait_ms(&b, 24000), 1000);

    for (i = 0; i < 200 && !cmp_bucket_take(&b, 25000 + i); i++) {
        /* void */
    }

    assert_true(i >= 99 && i <= 101);
}


static void
test_classify(void **state)
{
    cmp_answer_t  a;
    const char   *ok = "{\"messages\":[{\"id\":\"wamid.1\"}]}";

    (void) state;

    cmp_whatsapp.classify(200, ok, strlen(ok), -1, &a);
    assert_int_equal(a.klass, CMP_ANSWER_SENT);
    assert_string_equal(a.provider_id, "wamid.1");

    cmp_whatsapp.classify(429, "", 0, 3, &a);
    assert_int_equal(a.klass, CMP_ANSWER_THROTTLED);
    assert_int_equal(a.retry_after, 3);

    cmp_whatsapp.classify(503, "x", 1, -1, &a);
    assert_int_equal(a.klass, CMP_ANSWER_THROTTLED);

    /* the pair rate is one recipient's: that message waits, not all */
    cmp_whatsapp.classify(400, "{\"error\":{\"code\":131056}}", 25, -1, &a);
    assert_int_equal(a.klass, CMP_ANSWER_DEFERRED);

    cmp_whatsapp.classify(401, "{\"error\":{\"code\":190,\"message\":\"x\"}}",
                          36, -1, &a);
    assert_int_equal(a.klass, CMP_ANSWER_BLOCKED);

    cmp_whatsapp.classify(400, "{\"error\":{\"code\":368}}", 22, -1, &a);
    assert_int_equal(a.klass, CMP_ANSWER_BLOCKED);

    cmp_whatsapp.classify(400, "{\"error\":{\"code\":131050}}", 25, -1, &a);
    assert_int_equal(a.klass, CMP_ANSWER_REFUSED);
    assert_true(a.opt_out);

    cmp_whatsapp.classify(400, "{\"error\":{\"code\":132001}}", 25, -1, &a);
    assert_int_equal(a.klass, CMP_ANSWER_REFUSED);
    assert_false(a.opt_out);

    cmp_viber.classify(200, "{\"status\":0,\"message_token\":54}", 31, -1, &a);
    assert_int_equal(a.klass, CMP_ANSWER_SENT);
    assert_string_equal(a.provider_id, "54");

    cmp_viber.classify(200, "{\"status\":12}", 13, -1, &a);
    assert_int_equal(a.klass, CMP_ANSWER_DEFERRED);

    cmp_viber.classify(200, "{\"status\":2}", 12, -1, &a);
    assert_int_equal(a.klass, CMP_ANSWER_BLOCKED);

    cmp_viber.classify(200, "{\"status\":6}", 12, -1, &a);
    assert_int_equal(a.klass, CMP_ANSWER_REFUSED);
}


static void
test_nodes(void **state)
{
    json_t                 *def, *inst, *contact, *answer;
    cmp_flow_t              flow;
    cmp_park_e              park;
    cmp_template_ctx_t      ctx;
    const cmp_flow_node_t  *node;

    (void) state;

    def = json_loads("{\"start\":\"v\",\"nodes\":["
        "{\"id\":\"v\",\"type\":\"set_variable\",\"name\":\"x\","
        " \"value\":\"{{contact.name}}!\",\"next\":\"s\"},"
        "{\"id\":\"s\",\"type\":\"send_whatsapp\",\"channel_id\":\"c\","
        " \"message\":{\"type\":\"text\",\"text\":\"hi\"},\"next\":\"w\"},"
        "{\"id\":\"w\",\"type\":\"wait_for_reply\",\"timeout_seconds\":60,"
        " \"save_as\":\"a\",\"replied\":\"c\",\"timeout\":\"j\"},"
        "{\"id\":\"c\",\"type\":\"condition\",\"branches\":[{\"match\":\"any\","
        " \"rules\":[{\"variable\":\"a\",\"op\":\"string_equals\","
        " \"value\":\"yes\",\"ignore_case\":true}],\"next\":\"h\"}],"
        " \"else\":\"e\"},"
        "{\"id\":\"j\",\"type\":\"jump\",\"target\":\"d\",\"max_jumps\":1,"
        " \"next\":\"e\"},"
        "{\"id\":\"d\",\"type\":\"delay\",\"seconds\":10,\"next\":\"w\"},"
        "{\"id\":\"h\",\"type\":\"http_request\",\"method\":\"GET\","
        " \"url\":\"http://x\",\"save\":{\"code\":\"data.code\"},"
        " \"next\":\"e\"},"
        "{\"id\":\"e\",\"type\":\"end\"}]}", 0, NULL);
    assert_non_null(def);
    assert_int_equal(cmp_flow_load(&flow, def), 0);

    contact = json_pack("{s:s}", "name", "Li");
    inst = json_pack("{s:s, s:{}, s:{}}", "node", "v", "variables", "jumps");

    memset(&ctx, 0, sizeof(ctx));
    ctx.contact = contact;
    ctx.vars = json_object_get(inst, "variables");

    park = cmp_node_walk(&flow, inst, contact, &ctx, 1000, &node);
    assert_int_equal(park, CMP_PARK_SEND);
    assert_string_equal(json_string_value(json_object_get(
        json_object_get(inst, "variables"), "x")), "Li!");

    assert_true(cmp_node_resume(&flow, inst, CMP_EVENT_SENT, NULL, NULL));
    park = cmp_node_walk(&flow, inst, contact, &ctx, 1000, &node);
    assert_int_equal(park, CMP_PARK_WAIT);
    assert_int_equal(json_integer_value(json_object_get(inst, "wake_at")),
                     1060);

    /* timeout: the jump once to the delay, then back to the wait */
    assert_true(cmp_node_resume(&flow, inst, CMP_EVENT_TIMEOUT, NULL, NULL));
    park = cmp_node_walk(&flow, inst, contact, &ctx, 1060, &node);
    assert_int_equal(park, CMP_PARK_DELAY);
    assert_int_equal(json_integer_value(json_object_get(inst, "wake_at")),
                     1070);

    assert_true(cmp_node_resume(&flow, inst, CMP_EVENT_WOKEN, NULL, NULL));
    park = cmp_node_walk(&flow, inst, contact, &ctx, 1070, &node);
    assert_int_equal(park, CMP_PARK_WAIT);

    /* a second timeout: the jump is used up, the flow ends */
    assert_true(cmp_node_resume(&flow, inst, CMP_EVENT_TIMEOUT, NULL, NULL));
    park = cmp_node_walk(&flow, inst, contact, &ctx, 1130, &node);
    assert_int_equal(park, CMP_PARK_END);

    /* a reply "YES" matches ignoring case: the http node, saved answer */
    json_object_set_new(inst, "node", json_string("w"));
    assert_true(cmp_node_resume(&flow, inst, CMP_EVENT_REPLY, "YES", NULL));
    park = cmp_node_walk(&flow, inst, contact, &ctx, 1200, &node);
    assert_int_equal(park, CMP_PARK_HTTP);

    answer = json_loads("{\"data\":{\"code\":\"C-1\"}}", 0, NULL);
    assert_true(cmp_node_resume(&flow, inst, CMP_EVENT_HTTP_OK, NULL,
                                answer));
    assert_string_equal(json_string_value(json_object_get(
        json_object_get(inst, "variables"), "code")), "C-1");

    /* a failed call without a failure branch fails the instance */
    json_object_set_new(inst, "node", json_string("h"));
    assert_false(cmp_node_resume(&flow, inst, CMP_EVENT_HTTP_FAIL, NULL,
                                 NULL));
    assert_string_equal(json_string_value(json_object_get(inst, "status")),
                        "failed");

    json_decref(answer);
    json_decref(inst);
    json_decref(contact);
    cmp_flow_free(&flow);
    json_decref(def);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_schedule_first_run),
        cmocka_unit_test(test_schedule_misfire),
        cmocka_unit_test(test_schedule_end),
        cmocka_unit_test(test_bucket),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_nodes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
