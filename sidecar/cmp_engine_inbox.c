
/*
 * The inbox the webhooks fill: replies resume waiting instances, opt-outs
 * cancel them, each chunk of events in one write txn.
 */


#include <stdio.h>
#include <string.h>

#include "cmp_engine_int.h"


static int cmp_engine_count_reply(cmp_exec_t *x);
static int cmp_engine_waiting(cmp_engine_t *e, cmp_txn_t *txn, json_t *ev,
    int64_t now, cmp_exec_t *x);
static int cmp_engine_reply(cmp_engine_t *e, cmp_txn_t *txn, json_t *ev,
    int64_t now);
static int cmp_engine_opted_out(cmp_engine_t *e, cmp_txn_t *txn, json_t *ev,
    int64_t now);
static int cmp_engine_opt_out_event(cmp_engine_t *e, cmp_txn_t *txn, json_t *ev,
    int64_t now);


/*
 * "replied" counts messages answered, as the webhook counts them when a
 * reply quotes one: the message answered is the last one the instance
 * sent, marked with "replied_at" so that a later reply quoting it is not
 * counted again by the webhook (nor this one again by us).
 */
static int
cmp_engine_count_reply(cmp_exec_t *x)
{
    int            rc;
    char           when[CMP_TIME_LEN + 1];
    size_t         n, len;
    json_t        *msgs, *msg;
    const char    *id;
    unsigned char  key[CMP_MESSAGE_KEY_MAX];

    msgs = json_object_get(x->inst, "messages");
    n = json_array_size(msgs);
    id = (n > 0) ? json_string_value(json_object_get(json_array_get(msgs,
                                                                    n - 1),
                                                     "id"))
                 : NULL;
    len = (id != NULL) ? strlen(id) : 0;

    if (id == NULL || len / 2 > CMP_MESSAGE_KEY_MAX
        || cmp_unhex(key, id, len) != 0
        || cmp_message_load(x->e->st, x->txn, key, len / 2, &msg) != 0)
    {
        return cmp_count(x->e->st, x->txn, x->inst, "replied", 1);
    }

    rc = 0;

    if (json_object_get(msg, "replied_at") == NULL) {
        cmp_time_format(x->now, when);
        json_object_set_new(msg, "replied_at", json_string(when));

        /* the status stays: the index entry does too */
        rc = cmp_message_save(x->e->st, x->txn, key, len / 2,
                              json_string_value(json_object_get(msg,
                                                                "status")),
                              msg);

        if (rc == 0) {
            rc = cmp_count(x->e->st, x->txn, msg, "replied", 1);
        }
    }

    json_decref(msg);

    return rc;
}


/*
 * The contact's newest instance waiting on the event's channel, loaded
 * into x and no longer registered as waiting.  1: none waits.
 */
static int
cmp_engine_waiting(cmp_engine_t *e, cmp_txn_t *txn, json_t *ev, int64_t now,
    cmp_exec_t *x)
{
    int           rc;
    const char   *ch, *from;

    memset(x, 0, sizeof(cmp_exec_t));
    x->e = e;
    x->txn = txn;
    x->now = now;

    ch = json_string_value(json_object_get(ev, "channel_id"));
    from = json_string_value(json_object_get(ev, "from"));

    if (ch == NULL || from == NULL) {
        return 1;
    }

    /* WhatsApp's "from" has no '+'; our addresses have none either */
    if (*from == '+') {
        from++;
    }

    rc = cmp_wait_take(e->st, txn, ch, from, x->key, &x->key_len);

    if (rc == CMP_NOTFOUND) {
        return 1;
    }

    if (rc != 0) {
        return rc;
    }

    rc = cmp_engine_load(x, x->key, x->key_len);

    return (rc == CMP_NOTFOUND) ? 1 : rc;
}


/* a contact's reply wakes its newest waiting instance on that channel */
static int
cmp_engine_reply(cmp_engine_t *e, cmp_txn_t *txn, json_t *ev, int64_t now)
{
    int                     rc;
    cmp_exec_t              x;
    const char             *text;
    const cmp_flow_node_t  *node;

    text = json_string_value(json_object_get(ev, "text"));

    rc = cmp_engine_waiting(e, txn, ev, now, &x);
    if (rc != 0) {
        return (rc == 1) ? 0 : rc;
    }

    /* the webhook already counted a reply that quoted our message */
    rc = json_is_true(json_object_get(ev, "counted"))
         ? 0 : cmp_engine_count_reply(&x);

    node = (x.flow != NULL) ? cmp_node_current(x.flow, x.inst) : NULL;

    /* the provider's parser flagged its opt-out words (cmp_provider.h) */
    if (rc == 0 && json_is_true(json_object_get(ev, "stop"))) {
        rc = cmp_engine_contact_opt_out(e, txn,
                 json_string_value(json_object_get(x.inst, "contact_id")),
                 now);

        if (rc == 0 && cmp_engine_live(x.inst)) {
            json_object_set_new(x.inst, "status", json_string("cancelled"));
            rc = cmp_engine_finish(&x);
        }

    } else if (rc == 0 && cmp_engine_live(x.inst) && node != NULL
               && node->type == CMP_NODE_WAIT_FOR_REPLY)
    {
        rc = cmp_engine_clear_timer(&x);

        if (rc == 0) {
            rc = cmp_node_resume(x.flow, x.inst, CMP_EVENT_REPLY,
                                 text ? text : "", NULL)
                 ? cmp_engine_run(&x) : cmp_engine_finish(&x);
        }
    }

    cmp_engine_unload(&x);

    return rc;
}


/*
 * The webhook opted the contact out itself (Viber's unsubscribed,
 * WhatsApp's marketing preference): an instance waiting for that
 * contact's answer must not send anything more.
 */
static int
cmp_engine_opted_out(cmp_engine_t *e, cmp_txn_t *txn, json_t *ev,
    int64_t now)
{
    int         rc;
    cmp_exec_t  x;

    rc = cmp_engine_waiting(e, txn, ev, now, &x);
    if (rc != 0) {
        return (rc == 1) ? 0 : rc;
    }

    if (cmp_engine_live(x.inst)) {
        json_object_set_new(x.inst, "status", json_string("cancelled"));
        json_object_set_new(x.inst, "error", json_string("opted_out"));
        rc = cmp_engine_finish(&x);
    }

    cmp_engine_unload(&x);

    return rc;
}


static int
cmp_engine_opt_out_event(cmp_engine_t *e, cmp_txn_t *txn, json_t *ev,
    int64_t now)
{
    char         id[CMP_ID_MAX + 1], phone[40];
    size_t       len;
    const char  *cid, *from;

    cid = json_string_value(json_object_get(ev, "contact_id"));

    if (cid != NULL) {
        return cmp_engine_contact_opt_out(e, txn, cid, now);
    }

    from = json_string_value(json_object_get(ev, "from"));

    if (from == NULL) {
        return 0;
    }

    snprintf(phone, sizeof(phone), "%s%s", (*from == '+') ? "" : "+", from);

    if (cmp_index_get(e->st, txn, "phone", phone, strlen(phone), id, &len)
        != 0)
    {
        return 0;
    }

    return cmp_engine_contact_opt_out(e, txn, id, now);
}


/* webhook events the module wrote: replies and opt-outs */
int
cmp_engine_inbox(cmp_engine_t *e, int64_t now)
{
    int           rc, n;
    json_t       *ev;
    cmp_txn_t    *txn;
    const char   *type;

    rc = cmp_store_txn_begin(e->st, NULL, CMP_RDONLY, &txn);
    if (rc != 0) {
        return 0;
    }

    rc = cmp_inbox_peek(e->st, txn);

    cmp_txn_abort(txn);

    if (rc != 0) {
        return 0;
    }

    rc = cmp_store_txn_begin(e->st, NULL, 0, &txn);
    if (rc != 0) {
        return 0;
    }

    for (n = 0; n < CMP_ENGINE_CHUNK; n++) {
        rc = cmp_inbox_take(e->st, txn, &ev);

        if (rc != 0) {
            rc = (rc == CMP_NOTFOUND) ? 0 : rc;
            break;
        }

        type = json_string_value(json_object_get(ev, "type"));

        if (type != NULL && strcmp(type, "reply") == 0) {
            rc = cmp_engine_reply(e, txn, ev, now);

        } else if (type != NULL && strcmp(type, "opt_out") == 0) {
            rc = cmp_engine_opt_out_event(e, txn, ev, now);

        } else if (type != NULL && strcmp(type, "opted_out") == 0) {
            rc = cmp_engine_opted_out(e, txn, ev, now);
        }

        json_decref(ev);

        if (rc != 0) {
            break;
        }
    }

    if (rc != 0) {
        cmp_log_error(e->log, CMP_LOG_ERR, "inbox: %s", cmp_strerror(rc));
        cmp_txn_abort(txn);
        return 0;
    }

    rc = cmp_txn_commit(txn);

    return (rc == 0 && n == CMP_ENGINE_CHUNK);
}
