
/*
 * Unit tests of shared/cmp_webhook.c: both parsers' normal form and
 * refusals, opt-out words, and applying statuses to a scratch store.
 */


#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cmp_counter.h"
#include "cmp_inbox.h"
#include "cmp_message.h"
#include "cmp_webhook.h"


#define WA_HEAD  "{\"object\":\"whatsapp_business_account\",\"entry\":[{" \
                 "\"id\":\"W\",\"changes\":[{\"field\":\"messages\","     \
                 "\"value\":{\"metadata\":{\"phone_number_id\":\"1001\"},"
#define WA_TAIL  "}}]}]}"


typedef struct {
    char          dir[64];
    cmp_store_t   store;
} test_env_t;


typedef struct {
    uint32_t      run;
    const char   *name;
    uint64_t      value;
} test_counter_t;


static int test_setup(void **state);
static int test_teardown(void **state);
static json_t *test_wa(const char *value);
static json_t *test_viber(const char *body);
static void test_apply(test_env_t *env, const cmp_provider_t *provider,
    json_t *events, cmp_webhook_t *wh);
static int test_counter_visit(void *ctx, uint32_t run, const char *name,
    size_t name_len, uint64_t value);
static uint64_t test_counter(test_env_t *env, const char *campaign,
    uint32_t run, const char *name);
static size_t test_inbox(test_env_t *env);

static void test_opt_out_words(void **state);
static void test_wa_statuses(void **state);
static void test_wa_replies(void **state);
static void test_wa_preferences(void **state);
static void test_wa_refused(void **state);
static const char *test_type(json_t *events, size_t i);
static void test_wa_bsuid(void **state);
static void test_viber_events(void **state);
static void test_viber_refused(void **state);
static void test_apply_forward_only(void **state);
static void test_apply_unknown_once(void **state);
static void test_apply_again(void **state);


static int
test_setup(void **state)
{
    char         err[256];
    test_env_t  *env;

    env = calloc(1, sizeof(test_env_t));
    assert_non_null(env);

    strcpy(env->dir, "/tmp/test_webhook_XXXXXX");
    assert_non_null(mkdtemp(env->dir));

    assert_int_equal(cmp_store_open(&env->store, env->dir, 64 << 20, 16,
                                    err, sizeof(err)), 0);
    *state = env;

    return 0;
}


static int
test_teardown(void **state)
{
    char         path[96];
    test_env_t  *env = *state;

    cmp_store_close(&env->store);

    snprintf(path, sizeof(path), "%s/data.mdb", env->dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/lock.mdb", env->dir);
    unlink(path);
    rmdir(env->dir);
    free(env);

    return 0;
}


static json_t *
test_wa(const char *value)
{
    char     err[160], buf[4096];
    json_t  *events;

    snprintf(buf, sizeof(buf), "%s%s%s", WA_HEAD, value, WA_TAIL);

    if (cmp_whatsapp.parse(buf, strlen(buf), &events, err,
                                   sizeof(err)) != CMP_OK)
    {
        return NULL;
    }

    return events;
}


static json_t *
test_viber(const char *body)
{
    char     err[160];
    json_t  *events;

    if (cmp_viber.parse(body, strlen(body), &events, err,
                                sizeof(err)) != CMP_OK)
    {
        return NULL;
    }

    return events;
}


static void
test_opt_out_words(void **state)
{
    const cmp_provider_t  *p = &cmp_whatsapp;

    (void) state;

    assert_true(cmp_provider_opt_out_word(p, "STOP", 4));
    assert_true(cmp_provider_opt_out_word(p, " stop\n", 6));
    assert_true(cmp_provider_opt_out_word(p, "Unsubscribe", 11));
    assert_false(cmp_provider_opt_out_word(p, "stop please", 11));
    assert_false(cmp_provider_opt_out_word(p, "STOPP", 5));
    assert_false(cmp_provider_opt_out_word(p, "  ", 2));
    assert_false(cmp_provider_opt_out_word(p, "", 0));
}


static void
test_wa_statuses(void **state)
{
    json_t  *events, *ev;

    (void) state;

    events = test_wa("\"statuses\":[{\"id\":\"wamid.A\",\"status\":\"read\","
                     "\"timestamp\":\"1767225600\",\"errors\":[{\"code\":"
                     "131050,\"title\":\"T\",\"error_data\":{\"details\":"
                     "\"D\"}}],\"biz_opaque_callback_data\":\"00ff\"}]");
    assert_non_null(events);
    assert_int_equal(json_array_size(events), 1);

    ev = json_array_get(events, 0);
    assert_string_equal(json_string_value(json_object_get(ev, "type")),
                        "status");
    assert_string_equal(json_string_value(json_object_get(ev, "route")),
                        "1001");
    assert_string_equal(json_string_value(json_object_get(ev, "status")),
                        "read");
    assert_string_equal(json_string_value(json_object_get(ev, "opaque")),
                        "00ff");
    assert_int_equal(json_integer_value(json_object_get(ev, "timestamp")),
                     1767225600);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(ev, "error"), "code")), 131050);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(ev, "error"), "details")), "D");

    json_decref(events);
}


static void
test_wa_replies(void **state)
{
    json_t  *events;

    (void) state;

    events = test_wa("\"messages\":["
        "{\"from\":\"86\",\"id\":\"m1\",\"type\":\"text\",\"text\":"
        "{\"body\":\"YES\"},\"context\":{\"id\":\"wamid.A\"}},"
        "{\"from\":\"86\",\"id\":\"m2\",\"type\":\"button\",\"button\":"
        "{\"payload\":\"P\",\"text\":\"Coupon\"}},"
        "{\"from\":\"86\",\"id\":\"m3\",\"type\":\"interactive\","
        "\"interactive\":{\"list_reply\":{\"title\":\"Red\"}}},"
        "{\"from\":\"86\",\"id\":\"m4\",\"type\":\"text\",\"text\":"
        "{\"body\":\" Stop \"}},"
        "{\"from\":\"86\",\"id\":\"m5\",\"type\":\"image\"}]");
    assert_non_null(events);
    assert_int_equal(json_array_size(events), 5);

    assert_string_equal(json_string_value(json_object_get(
        json_array_get(events, 0), "context_id")), "wamid.A");
    assert_string_equal(json_string_value(json_object_get(
        json_array_get(events, 1), "text")), "Coupon");
    assert_string_equal(json_string_value(json_object_get(
        json_array_get(events, 2), "text")), "Red");
    assert_true(json_is_true(json_object_get(json_array_get(events, 3),
                                             "stop")));
    assert_null(json_object_get(json_array_get(events, 0), "stop"));
    assert_true(json_is_null(json_object_get(json_array_get(events, 4),
                                             "text")));

    json_decref(events);
}


static void
test_wa_preferences(void **state)
{
    json_t  *events;

    (void) state;

    events = test_wa("\"user_preferences\":["
        "{\"wa_id\":\"86\",\"category\":\"marketing_messages\","
        "\"value\":\"stop\",\"timestamp\":1},"
        "{\"wa_id\":\"86\",\"category\":\"other\",\"value\":\"stop\"},"
        "{\"wa_id\":\"86\",\"category\":\"marketing_messages\","
        "\"value\":\"maybe\"},"
        "{\"wa_id\":\"86\",\"category\":\"marketing_messages\","
        "\"value\":\"resume\",\"timestamp\":2}]");
    assert_non_null(events);
    assert_int_equal(json_array_size(events), 2);
    assert_string_equal(json_string_value(json_object_get(
        json_array_get(events, 0), "type")), "opt_out");
    assert_string_equal(json_string_value(json_object_get(
        json_array_get(events, 1), "type")), "opt_in");

    json_decref(events);
}


/* the type of events[i], and its why when it was skipped */
static const char *
test_type(json_t *events, size_t i)
{
    return json_string_value(json_object_get(json_array_get(events, i),
                                             "type"));
}


static void
test_wa_refused(void **state)
{
    char     err[160], id[300], buf[512];
    json_t  *events;

    (void) state;

    /* only a body that is not JSON is refused */
    assert_int_equal(cmp_whatsapp.parse("{\"entry\":", 9, &events,
                                        err, sizeof(err)), CMP_FAIL);
    assert_null(events);

    /* JSON without entries: one skipped event naming no route */
    assert_int_equal(cmp_whatsapp.parse("{}", 2, &events, err,
                                        sizeof(err)), CMP_OK);
    assert_int_equal(json_array_size(events), 1);
    assert_string_equal(test_type(events, 0), "ignored");
    assert_null(json_object_get(json_array_get(events, 0), "route"));
    json_decref(events);

    /* events without the number that names their channel */
    snprintf(buf, sizeof(buf), "{\"entry\":[{\"changes\":[{\"value\":{"
             "\"statuses\":[{\"id\":\"a\",\"status\":\"read\"}]}}]}]}");
    assert_int_equal(cmp_whatsapp.parse(buf, strlen(buf), &events,
                                        err, sizeof(err)), CMP_OK);
    assert_string_equal(test_type(events, 0), "ignored");
    assert_string_equal(json_string_value(json_object_get(
        json_array_get(events, 0), "why")),
        "metadata.phone_number_id is missing");
    json_decref(events);

    /* a bad event is skipped with its route; its neighbours stay */
    events = test_wa("\"statuses\":[{\"status\":\"read\"},{\"id\":\"a\"},"
                     "{\"id\":\"b\",\"status\":\"read\"}],"
                     "\"messages\":[{\"id\":\"a\"}]");
    assert_non_null(events);
    assert_int_equal(json_array_size(events), 4);
    assert_string_equal(test_type(events, 0), "ignored");
    assert_string_equal(test_type(events, 1), "ignored");
    assert_string_equal(test_type(events, 2), "status");
    assert_string_equal(test_type(events, 3), "ignored");
    assert_string_equal(json_string_value(json_object_get(
        json_array_get(events, 1), "route")), "1001");
    json_decref(events);

    memset(id, 'x', 257);
    id[257] = '\0';
    snprintf(buf, sizeof(buf), "\"statuses\":[{\"id\":\"%s\",\"status\":"
             "\"read\"}]", id);
    events = test_wa(buf);
    assert_string_equal(test_type(events, 0), "ignored");
    json_decref(events);

    /* an empty change list is valid: nothing to do */
    events = test_wa("\"statuses\":[]");
    assert_non_null(events);
    assert_int_equal(json_array_size(events), 0);
    json_decref(events);
}


/* BSUIDs, 131050 in a status, and messages that answer nothing */
static void
test_wa_bsuid(void **state)
{
    json_t  *events, *ev;

    (void) state;

    events = test_wa("\"contacts\":[{\"profile\":{\"name\":\"S\"},"
        "\"user_id\":\"US.1\"},{\"wa_id\":\"86\",\"user_id\":\"US.2\"}],"
        "\"messages\":[{\"user_id\":\"US.1\",\"id\":\"m1\",\"type\":"
        "\"text\",\"text\":{\"body\":\"hi\"}},{\"from\":\"86\",\"id\":"
        "\"m2\",\"type\":\"text\",\"text\":{\"body\":\"yo\"}},{\"from\":"
        "\"86\",\"id\":\"m3\",\"type\":\"reaction\",\"reaction\":"
        "{\"emoji\":\"x\"}},{\"from\":\"86\",\"id\":\"m4\",\"type\":"
        "\"image\",\"image\":{\"caption\":\"this\"}}]");
    assert_non_null(events);
    assert_int_equal(json_array_size(events), 4);

    ev = json_array_get(events, 0);
    assert_true(json_is_null(json_object_get(ev, "from")));
    assert_string_equal(json_string_value(json_object_get(ev, "user_id")),
                        "US.1");
    assert_null(json_object_get(ev, "answers"));

    ev = json_array_get(events, 1);
    assert_string_equal(json_string_value(json_object_get(ev, "user_id")),
                        "US.2");

    assert_true(json_is_false(json_object_get(json_array_get(events, 2),
                                              "answers")));
    assert_string_equal(json_string_value(json_object_get(
        json_array_get(events, 3), "text")), "this");
    assert_null(json_object_get(json_array_get(events, 3), "answers"));
    json_decref(events);

    events = test_wa("\"statuses\":[{\"id\":\"w\",\"status\":\"failed\","
                     "\"recipient_id\":\"86\",\"errors\":[{\"code\":"
                     "131050}]}]");
    assert_true(json_is_true(json_object_get(json_array_get(events, 0),
                                             "opt_out")));
    json_decref(events);
}


static void
test_viber_events(void **state)
{
    json_t  *events, *ev;

    (void) state;

    events = test_viber("{\"event\":\"seen\",\"timestamp\":1767225600123,"
                        "\"message_token\":4912661846655238145,"
                        "\"user_id\":\"u\"}");
    assert_non_null(events);
    ev = json_array_get(events, 0);
    assert_string_equal(json_string_value(json_object_get(ev, "status")),
                        "read");
    assert_string_equal(json_string_value(json_object_get(
                            ev, "provider_message_id")),
                        "4912661846655238145");
    assert_int_equal(json_integer_value(json_object_get(ev, "timestamp")),
                     1767225600);
    json_decref(events);

    events = test_viber("{\"event\":\"failed\",\"message_token\":\"77\","
                        "\"desc\":\"bad\"}");
    assert_non_null(events);
    ev = json_array_get(events, 0);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(ev, "error"), "message")),
                        "bad");
    json_decref(events);

    events = test_viber("{\"event\":\"message\",\"message_token\":5,"
                        "\"sender\":{\"id\":\"u\"},\"message\":{\"type\":"
                        "\"text\",\"text\":\"unsubscribe\","
                        "\"tracking_data\":\"00ff\"}}");
    assert_non_null(events);
    ev = json_array_get(events, 0);
    assert_string_equal(json_string_value(json_object_get(ev, "type")),
                        "reply");
    assert_string_equal(json_string_value(json_object_get(ev, "opaque")),
                        "00ff");
    assert_true(json_is_true(json_object_get(ev, "stop")));
    json_decref(events);

    events = test_viber("{\"event\":\"unsubscribed\",\"user_id\":\"u\"}");
    assert_non_null(events);
    assert_string_equal(json_string_value(json_object_get(
        json_array_get(events, 0), "type")), "opt_out");
    json_decref(events);

    events = test_viber("{\"event\":\"subscribed\",\"user\":{\"id\":\"u\"}}");
    assert_non_null(events);
    assert_string_equal(json_string_value(json_object_get(
        json_array_get(events, 0), "type")), "opt_in");
    json_decref(events);

    events = test_viber("{\"event\":\"webhook\"}");
    assert_non_null(events);
    assert_string_equal(json_string_value(json_object_get(
        json_array_get(events, 0), "type")), "ping");
    json_decref(events);

    events = test_viber("{\"event\":\"client_status\"}");
    assert_non_null(events);
    assert_string_equal(json_string_value(json_object_get(
        json_array_get(events, 0), "type")), "ignored");
    json_decref(events);
}


static void
test_viber_refused(void **state)
{
    size_t        i;
    json_t       *events;
    const char   *skipped[] = {
        "[]", "{\"event\":1}", "{\"event\":\"delivered\",\"user_id\":\"u\"}",
        "{\"event\":\"message\",\"message\":{}}",
        "{\"event\":\"unsubscribed\"}"
    };

    (void) state;

    assert_null(test_viber("{\"event\":"));

    /* JSON the module cannot use is skipped: Viber would retry it */
    for (i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++) {
        events = test_viber(skipped[i]);
        assert_non_null(events);
        assert_string_equal(test_type(events, 0), "ignored");
        assert_non_null(json_object_get(json_array_get(events, 0), "why"));
        json_decref(events);
    }
}


static void
test_apply(test_env_t *env, const cmp_provider_t *provider, json_t *events,
    cmp_webhook_t *wh)
{
    size_t     i;
    json_t     *ev;
    cmp_op_t    op;
    cmp_txn_t  *txn;

    json_array_foreach(events, i, ev) {
        json_object_set_new(ev, "channel_id", json_string("wa"));
    }

    memset(wh, 0, sizeof(cmp_webhook_t));
    wh->provider = provider;
    wh->events = events;

    assert_int_equal(cmp_store_txn_begin(&env->store, NULL, 0, &txn), 0);

    cmp_op_init(&op, &env->store, cmp_webhook_apply, NULL);
    op.txn = txn;
    op.now = 1767225600;
    op.data = wh;

    assert_int_equal(op.run(&op), CMP_OK);
    assert_int_equal(op.status, 200);
    assert_string_equal(op.reply, "{\"ok\":true}");

    cmp_op_free(&op);
    assert_int_equal(cmp_txn_commit(txn), 0);
    json_decref(events);
}


static int
test_counter_visit(void *ctx, uint32_t run, const char *name,
    size_t name_len, uint64_t value)
{
    test_counter_t  *c = ctx;

    if (run == c->run && strlen(c->name) == name_len
        && memcmp(name, c->name, name_len) == 0)
    {
        c->value = value;
    }

    return 0;
}


static uint64_t
test_counter(test_env_t *env, const char *campaign, uint32_t run,
    const char *name)
{
    cmp_txn_t       *txn;
    test_counter_t   c;

    c.run = run;
    c.name = name;
    c.value = 0;

    assert_int_equal(cmp_store_txn_begin(&env->store, NULL, CMP_RDONLY,
                                         &txn), 0);
    assert_int_equal(cmp_counter_scan(&env->store, txn, campaign,
                                      strlen(campaign), test_counter_visit,
                                      &c), 0);
    cmp_txn_abort(txn);

    return c.value;
}


static int
test_inbox_visit(void *ctx, uint64_t seq, const char *json, size_t len)
{
    size_t  *n = ctx;

    (void) seq;
    (void) json;
    (void) len;

    (*n)++;

    return 0;
}


static size_t
test_inbox(test_env_t *env)
{
    size_t      n;
    cmp_txn_t  *txn;

    n = 0;

    assert_int_equal(cmp_store_txn_begin(&env->store, NULL, CMP_RDONLY,
                                         &txn), 0);
    assert_int_equal(cmp_inbox_walk(&env->store, txn, test_inbox_visit, &n),
                     0);
    cmp_txn_abort(txn);

    return n;
}


static void
test_apply_forward_only(void **state)
{
    size_t             len;
    cmp_txn_t         *txn;
    cmp_webhook_t      wh;
    cmp_record_t       rec;
    cmp_message_key_t  mk;
    unsigned char      key[CMP_MESSAGE_KEY_MAX];
    static const char  msg[] = "{\"status\":\"sent\"}";
    test_env_t        *env = *state;

    mk.campaign = "c1";
    mk.campaign_len = 2;
    mk.run = 2;
    mk.contact = "li";
    mk.contact_len = 2;
    mk.node = "s";
    mk.node_len = 1;
    mk.step = 0;

    rec.seq = 1;
    rec.version = 1;
    rec.json = "{}";
    rec.len = 2;

    assert_int_equal(cmp_store_txn_begin(&env->store, NULL, 0, &txn), 0);
    assert_int_equal(cmp_record_put(&env->store, txn, &cmp_kind_campaigns,
                                    "c1", 2, &rec), 0);
    assert_int_equal(cmp_message_put(&env->store, txn, key,
                                     cmp_message_key(key, &mk), NULL,
                                     "sent", msg, sizeof(msg) - 1), 0);
    assert_int_equal(cmp_counter_add(&env->store, txn, "c1", 2, 0, "sent",
                                     1), 0);
    assert_int_equal(cmp_counter_add(&env->store, txn, "c1", 2, 2, "sent",
                                     1), 0);

    len = cmp_message_key(key, &mk);
    assert_int_equal(cmp_message_provider_put(&env->store, txn, "wamid.A", 7,
                                              key, len), 0);
    assert_int_equal(cmp_txn_commit(txn), 0);

    /* a run's counter moves the campaign's totals and the store's */
    assert_int_equal(test_counter(env, CMP_COUNTER_ALL, 0, "sent"), 1);

    test_apply(env, &cmp_whatsapp,
               test_wa("\"statuses\":[{\"id\":\"wamid.A\",\"status\":"
                       "\"read\"},{\"id\":\"wamid.A\",\"status\":"
                       "\"delivered\"}]"), &wh);
    assert_int_equal(wh.applied, 1);
    assert_int_equal(wh.duplicates, 1);

    /* a funnel: read before delivered counts it delivered too, once */
    assert_int_equal(test_counter(env, "c1", 0, "sent"), 1);
    assert_int_equal(test_counter(env, "c1", 0, "read"), 1);
    assert_int_equal(test_counter(env, "c1", 0, "delivered"), 1);
    assert_int_equal(test_counter(env, "c1", 2, "read"), 1);
    assert_int_equal(test_counter(env, "c1", 2, "delivered"), 1);
    assert_int_equal(test_counter(env, "c1", 2, "sent"), 1);
    assert_int_equal(test_counter(env, CMP_COUNTER_ALL, 0, "read"), 1);
    assert_int_equal(test_counter(env, CMP_COUNTER_ALL, 0, "sent"), 1);
    assert_int_equal(test_counter(env, CMP_COUNTER_ALL, 0, "status:read"), 1);

    /* a reply naming the message counts once, however often it comes */
    test_apply(env, &cmp_whatsapp,
               test_wa("\"messages\":[{\"from\":\"86\",\"id\":\"in1\","
                       "\"type\":\"text\",\"text\":{\"body\":\"a\"},"
                       "\"context\":{\"id\":\"wamid.A\"}},{\"from\":\"86\","
                       "\"id\":\"in2\",\"type\":\"text\",\"text\":{\"body\":"
                       "\"b\"},\"context\":{\"id\":\"wamid.A\"}}]"), &wh);
    assert_int_equal(test_counter(env, "c1", 0, "replied"), 1);
    assert_int_equal(test_counter(env, "c1", 2, "replied"), 1);
    assert_int_equal(test_inbox(env), 2);

    /*
     * The campaign deleted, its purge not there yet: a late status for
     * its message is an unknown message's, and moves nothing of it.
     */
    assert_int_equal(cmp_store_txn_begin(&env->store, NULL, 0, &txn), 0);
    assert_int_equal(cmp_record_del(&env->store, txn, &cmp_kind_campaigns,
                                    "c1", 2), 0);
    assert_int_equal(cmp_txn_commit(txn), 0);

    test_apply(env, &cmp_whatsapp,
               test_wa("\"statuses\":[{\"id\":\"wamid.A\",\"status\":"
                       "\"failed\"}]"), &wh);
    assert_int_equal(wh.applied, 0);
    assert_int_equal(wh.unknown, 1);
    assert_int_equal(test_counter(env, "c1", 0, "failed"), 0);
    assert_int_equal(test_counter(env, CMP_COUNTER_ALL, 0, "status:failed"),
                     0);
    assert_int_equal(test_counter(env, CMP_COUNTER_ALL, 0, "status:read"), 1);
}


static void
test_apply_unknown_once(void **state)
{
    cmp_webhook_t   wh;
    test_env_t     *env = *state;

    test_apply(env, &cmp_whatsapp,
               test_wa("\"statuses\":[{\"id\":\"x\",\"status\":\"sent\"},"
                       "{\"id\":\"x\",\"status\":\"deleted\"}]"), &wh);
    assert_int_equal(wh.unknown, 1);
    assert_string_equal(wh.unknown_id, "x");
    assert_int_equal(test_inbox(env), 1);

    test_apply(env, &cmp_whatsapp,
               test_wa("\"statuses\":[{\"id\":\"x\",\"status\":\"sent\"}]"),
               &wh);
    assert_int_equal(wh.unknown, 0);
    assert_int_equal(wh.duplicates, 1);
    assert_int_equal(test_inbox(env), 1);

    /* Viber events dedupe in their own index */
    test_apply(env, &cmp_viber,
               test_viber("{\"event\":\"delivered\",\"message_token\":1}"),
               &wh);
    test_apply(env, &cmp_viber,
               test_viber("{\"event\":\"delivered\",\"message_token\":1}"),
               &wh);
    assert_int_equal(test_inbox(env), 2);
}


/*
 * A run given up with its txn (the writer's batch, cmp_op_t.rerun) and
 * run again counts its events once, as the answer and the log say.
 */
static void
test_apply_again(void **state)
{
    int             i;
    size_t          n;
    json_t         *events, *ev;
    cmp_op_t        op;
    cmp_txn_t      *txn;
    cmp_webhook_t   wh;
    test_env_t     *env = *state;

    events = test_wa("\"statuses\":[{\"id\":\"y\",\"status\":\"sent\"}]");

    json_array_foreach(events, n, ev) {
        json_object_set_new(ev, "channel_id", json_string("wa"));
    }

    memset(&wh, 0, sizeof(cmp_webhook_t));
    wh.provider = &cmp_whatsapp;
    wh.events = events;

    for (i = 0; i < 2; i++) {
        assert_int_equal(cmp_store_txn_begin(&env->store, NULL, 0, &txn), 0);

        cmp_op_init(&op, &env->store, cmp_webhook_apply, NULL);
        op.txn = txn;
        op.now = 1767225600;
        op.data = &wh;
        op.rerun = 1;

        assert_int_equal(op.run(&op), CMP_OK);
        assert_int_equal(wh.unknown, 1);
        assert_int_equal(wh.duplicates, 0);
        assert_string_equal(wh.unknown_id, "y");

        cmp_op_free(&op);

        if (i == 0) {
            cmp_txn_abort(txn);

        } else {
            assert_int_equal(cmp_txn_commit(txn), 0);
        }
    }

    assert_int_equal(test_inbox(env), 1);

    json_decref(events);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opt_out_words),
        cmocka_unit_test(test_wa_statuses),
        cmocka_unit_test(test_wa_replies),
        cmocka_unit_test(test_wa_preferences),
        cmocka_unit_test(test_wa_refused),
        cmocka_unit_test(test_wa_bsuid),
        cmocka_unit_test(test_viber_events),
        cmocka_unit_test(test_viber_refused),
        cmocka_unit_test_setup_teardown(test_apply_forward_only,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_apply_unknown_once,
                                        test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_apply_again,
                                        test_setup, test_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
