
/*
 * The flow engine's timers: waits, delays, retries and http_request
 * guards falling due, each instance woken in a write txn.
 */


#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_engine_int.h"


static int cmp_engine_wait_of(cmp_exec_t *x, const char **ch,
    const char **addr);
static int cmp_engine_wake(cmp_exec_t *x, int64_t now_ms,
    cmp_engine_call_t **call);
static int cmp_engine_retry(cmp_engine_t *e, cmp_txn_t *txn,
    const unsigned char *key, size_t klen);


/* a reply is awaited on the channel and from the address last sent to */
static int
cmp_engine_wait_of(cmp_exec_t *x, const char **ch, const char **addr)
{
    *ch = json_string_value(json_object_get(x->inst, "last_channel"));
    *addr = json_string_value(json_object_get(x->inst, "last_address"));

    return *ch != NULL && *addr != NULL;
}


int
cmp_engine_wait_put(cmp_exec_t *x)
{
    const char  *ch, *addr;

    return cmp_engine_wait_of(x, &ch, &addr)
           ? cmp_wait_put(x->e->st, x->txn, ch, addr, x->key, x->key_len) : 0;
}


int
cmp_engine_wait_del(cmp_exec_t *x)
{
    const char  *ch, *addr;

    return cmp_engine_wait_of(x, &ch, &addr)
           ? cmp_wait_del(x->e->st, x->txn, ch, addr, x->key, x->key_len) : 0;
}


int
cmp_engine_set_timer(cmp_exec_t *x, int64_t due_ms)
{
    int  rc;

    rc = cmp_engine_clear_timer(x);

    if (rc == 0) {
        rc = cmp_timer_put(x->e->st, x->txn, due_ms, CMP_TIMER_INSTANCE,
                           x->key, x->key_len);
    }

    if (rc == 0) {
        json_object_set_new(x->inst, "timer_ms", json_integer(due_ms));
    }

    return rc;
}


int
cmp_engine_clear_timer(cmp_exec_t *x)
{
    int      rc;
    json_t  *t;

    t = json_object_get(x->inst, "timer_ms");

    if (!json_is_integer(t)) {
        return 0;
    }

    rc = cmp_timer_del(x->e->st, x->txn, json_integer_value(t),
                       CMP_TIMER_INSTANCE, x->key, x->key_len);

    json_object_del(x->inst, "timer_ms");

    return rc;
}


/* due timers: woken delays, timed-out waits, http calls to make */
int
cmp_engine_timers(cmp_engine_t *e, int64_t now_ms)
{
    int                 rc, n, type, ncalls;
    size_t              klen;
    cmp_txn_t          *txn;
    int64_t             due;
    cmp_exec_t          x;
    cmp_engine_call_t  *calls[CMP_ENGINE_CHUNK], *call;
    unsigned char       key[CMP_TIMER_KEY_MAX];

    rc = cmp_store_txn_begin(e->st, NULL, CMP_RDONLY, &txn);
    if (rc != 0) {
        return 0;
    }

    due = cmp_timer_next_due(e->st, txn);
    cmp_txn_abort(txn);

    if (due > now_ms) {
        return 0;
    }

    rc = cmp_store_txn_begin(e->st, NULL, 0, &txn);
    if (rc != 0) {
        return 0;
    }

    ncalls = 0;

    for (n = 0; n < CMP_ENGINE_CHUNK; n++) {
        rc = cmp_timer_take_due(e->st, txn, now_ms, &type, key, &klen);

        if (rc != 0) {
            rc = (rc == CMP_NOTFOUND) ? 0 : rc;
            break;
        }

        if (type == CMP_TIMER_RETRY) {
            rc = cmp_engine_retry(e, txn, key, klen);

            if (rc != 0) {
                break;
            }

            continue;
        }

        memset(&x, 0, sizeof(cmp_exec_t));
        x.e = e;
        x.txn = txn;
        x.now = now_ms / 1000;

        rc = cmp_engine_load(&x, key, klen);

        if (rc == CMP_NOTFOUND) {
            rc = 0;
            continue;
        }

        if (rc != 0) {
            break;
        }

        /* the timer is gone already */
        json_object_del(x.inst, "timer_ms");

        call = NULL;
        rc = cmp_engine_wake(&x, now_ms, &call);
        cmp_engine_unload(&x);

        if (call != NULL) {
            calls[ncalls++] = call;
        }

        if (rc != 0) {
            break;
        }
    }

    if (rc != 0) {
        cmp_log_error(e->log, CMP_LOG_ERR, "timers failed: %s",
                      cmp_strerror(rc));
        cmp_txn_abort(txn);
        ncalls = 0;

    } else if ((rc = cmp_txn_commit(txn)) != 0) {
        cmp_log_error(e->log, CMP_LOG_ERR, "timers: commit failed: %s",
                      cmp_strerror(rc));
        ncalls = 0;
    }

    for (n = 0; n < ncalls; n++) {
        cmp_engine_http_start(e, calls[n]);
    }

    return (rc == 0);
}


static int
cmp_engine_wake(cmp_exec_t *x, int64_t now_ms, cmp_engine_call_t **call)
{
    int                     rc;
    json_t                 *t;
    const cmp_flow_node_t  *node;

    if (!cmp_engine_live(x->inst) || x->flow == NULL) {
        return x->flow == NULL ? cmp_engine_finish(x) : 0;
    }

    node = cmp_node_current(x->flow, x->inst);

    if (node == NULL) {
        return cmp_engine_run(x);
    }

    switch (node->type) {

    case CMP_NODE_WAIT_FOR_REPLY:
        rc = cmp_engine_wait_del(x);
        if (rc != 0) {
            return rc;
        }

        return cmp_node_resume(x->flow, x->inst, CMP_EVENT_TIMEOUT, NULL,
                               NULL)
               ? cmp_engine_run(x) : cmp_engine_finish(x);

    case CMP_NODE_DELAY:
        return cmp_node_resume(x->flow, x->inst, CMP_EVENT_WOKEN, NULL, NULL)
               ? cmp_engine_run(x) : cmp_engine_finish(x);

    case CMP_NODE_HTTP_REQUEST:
        /* should campaignd die during the call, this timer repeats it */
        t = json_object_get(node->json, "timeout_seconds");
        rc = cmp_engine_set_timer(x, now_ms + 1000
                                  * ((json_is_integer(t)
                                      ? json_integer_value(t) : 5) + 5));
        if (rc != 0) {
            return rc;
        }

        *call = calloc(1, sizeof(cmp_engine_call_t));

        if (*call != NULL) {
            (*call)->e = x->e;
            memcpy((*call)->key, x->key, x->key_len);
            (*call)->key_len = x->key_len;
        }

        return cmp_engine_save(x);

    default:
        return cmp_engine_run(x);
    }
}


/*
 * A throttled or deferred message's time to go again: back in its
 * channel's queue if it still waits.  A throttled channel sends every
 * such message through here, so its record is read in place
 * (cmp_json_raw.h), not parsed.
 */
static int
cmp_engine_retry(cmp_engine_t *e, cmp_txn_t *txn, const unsigned char *key,
    size_t klen)
{
    int                rc;
    char               status[CMP_MESSAGE_STATUS_MAX + 1];
    char               channel[CMP_ID_MAX + 1];
    size_t             len;
    int64_t            lane;
    cmp_queue_peek_t   peek;
    const char        *rec;
    cmp_json_field_t   f[3], set[1];

    /*
     * Purged since, with its campaign, or unreadable: its timer is gone
     * and nothing else is held up by it, as with a record in a bad shape.
     */
    if (cmp_message_get(e->st, txn, key, klen, &rec, &len) != 0) {
        return 0;
    }

    f[0].name = "status";
    f[1].name = "channel_id";
    f[2].name = "lane";

    if (cmp_json_raw_find(rec, len, f, 3) != 0
        || f[0].value == NULL || f[1].value == NULL
        || cmp_json_raw_value_string(f[0].value, f[0].len, status,
                                     sizeof(status)) != 0
        || cmp_json_raw_value_string(f[1].value, f[1].len, channel,
                                     sizeof(channel)) != 0)
    {
        return 0;
    }

    if (strcmp(status, "queued") != 0 && strcmp(status, "deferred") != 0) {
        return 0;
    }

    lane = cmp_json_raw_value_int(f[2].value, f[2].len);

    /* the record as read, with the entry it gets: one read, one write */
    rc = cmp_queue_seq_peek(e->st, txn, &peek, &set[0]);
    if (rc != 0) {
        return rc;
    }

    /* the engine's buffer, as a throttled channel's retries come in runs */
    rc = cmp_message_rewrite(e->st, txn, key, klen, rec, len, NULL, NULL,
                             set, 1, &e->text);

    if (rc == 0) {
        rc = cmp_queue_put_peeked(e->st, txn, channel,
                                  (lane == CMP_LANE_BULK)
                                  ? CMP_LANE_BULK : CMP_LANE_CONVERSATION,
                                  key, klen, &peek);
    }

    if (rc == 0) {
        e->cd->queued = 1;
    }

    return rc;
}
