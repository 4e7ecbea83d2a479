
/*
 * Provider callbacks: the transaction that applies the events a
 * provider's parser (cmp_provider.h) made of a payload.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_webhook.h"
#include "cmp_message.h"
#include "cmp_inbox.h"
#include "cmp_counter.h"
#include "cmp_funnel.h"
#include "cmp_json_raw.h"


static int cmp_webhook_seen(cmp_op_t *op, cmp_webhook_t *wh, char kind,
    const char *a, const char *b, const char *c);
static int cmp_webhook_unhex(unsigned char *dst, const char *src,
    size_t len);
static int cmp_webhook_count(cmp_op_t *op, const unsigned char *key,
    size_t key_len, const char *name, int64_t delta);
static int cmp_webhook_funnel(cmp_op_t *op, const unsigned char *key,
    size_t key_len, const char *from, const char *to);
static int cmp_webhook_contact(cmp_op_t *op, cmp_webhook_t *wh, json_t *ev,
    char *id, size_t *id_len);
static int cmp_webhook_opt(cmp_op_t *op, const char *contact,
    size_t contact_len, int out);
static int cmp_webhook_inbox(cmp_op_t *op, json_t *record);
static int cmp_webhook_status(cmp_op_t *op, cmp_webhook_t *wh, json_t *ev);
static int cmp_webhook_stopped(cmp_op_t *op, cmp_webhook_t *wh, json_t *ev,
    const char *contact_id);
static int cmp_webhook_rewrite(cmp_op_t *op, const unsigned char *key,
    size_t key_len, const char *rec, size_t len, const char *from,
    const char *to, json_t *err, const char *id);
static json_t *cmp_webhook_or_null(json_t *ev, const char *name);
static int cmp_webhook_reply(cmp_op_t *op, cmp_webhook_t *wh, json_t *ev);
static int cmp_webhook_replied(cmp_op_t *op, json_t *ev, unsigned char *key,
    size_t *key_len);
static int cmp_webhook_optevent(cmp_op_t *op, cmp_webhook_t *wh,
    json_t *ev, int out);
static int cmp_webhook_started(cmp_op_t *op, cmp_webhook_t *wh,
    json_t *ev);
static json_t *cmp_webhook_record(cmp_op_t *op, const char *type,
    json_t *ev);


/* ----------------------------------------------------------- applying */


int
cmp_webhook_apply(cmp_op_t *op)
{
    int             rc;
    size_t          i;
    json_t         *ev, *reply;
    const char     *type;
    cmp_webhook_t  *wh = op->data;

    /* a run given up with its txn (cmp_op_t.rerun) left these counted */
    wh->applied = 0;
    wh->duplicates = 0;
    wh->unknown = 0;
    wh->unknown_id[0] = '\0';

    json_array_foreach(wh->events, i, ev) {
        type = cmp_provider_str(ev, "type");

        if (strcmp(type, "status") == 0) {
            rc = cmp_webhook_status(op, wh, ev);

        } else if (strcmp(type, "reply") == 0) {
            rc = cmp_webhook_reply(op, wh, ev);

        } else if (strcmp(type, "opt_out") == 0) {
            rc = cmp_webhook_optevent(op, wh, ev, 1);

        } else if (strcmp(type, "opt_in") == 0) {
            rc = cmp_webhook_optevent(op, wh, ev, 0);

        } else if (strcmp(type, "conversation_started") == 0) {
            rc = cmp_webhook_started(op, wh, ev);

        } else {
            /* the set-up ping and events we do not use change nothing */
            rc = CMP_OK;
        }

        if (rc != CMP_OK) {
            return CMP_FAIL;
        }
    }

    reply = json_pack("{s:b}", "ok", 1);
    rc = cmp_op_reply(op, 200, reply);
    json_decref(reply);

    return rc;
}


/*
 * A provider retries what it is not sure we got: an event seen before
 * (kept in the index db by its provider identity) is not applied again.
 * Returns 1 when seen, 0 when new (and now marked), -1 on a store error.
 */
static int
cmp_webhook_seen(cmp_op_t *op, cmp_webhook_t *wh, char kind, const char *a,
    const char *b, const char *c)
{
    int          rc;
    char         key[400], id[CMP_ID_MAX + 1];
    size_t       n, len, i, id_len;
    const char  *index, *part[3];

    index = wh->provider->event_index;
    part[0] = a;
    part[1] = b;
    part[2] = c;

    key[0] = kind;
    n = 1;

    for (i = 0; i < 3; i++) {
        if (part[i] == NULL) {
            continue;
        }

        len = strlen(part[i]);

        if (n + 1 + len > sizeof(key)) {
            len = sizeof(key) - n - 1;
        }

        key[n++] = '\0';
        memcpy(key + n, part[i], len);
        n += len;
    }

    rc = cmp_index_get(op->store, op->txn, index, key, n, id, &id_len);

    if (rc == 0) {
        wh->duplicates++;
        return 1;
    }

    if (rc == CMP_NOTFOUND) {
        rc = cmp_index_put(op->store, op->txn, index, key, n, "1", 1);
    }

    if (rc != 0) {
        cmp_op_store_error(op, rc);
        return -1;
    }

    return 0;
}


static int
cmp_webhook_unhex(unsigned char *dst, const char *src, size_t len)
{
    size_t  i;
    int     hi, lo;

    for (i = 0; i < len; i += 2) {
        hi = (src[i] >= '0' && src[i] <= '9') ? src[i] - '0'
             : (src[i] >= 'a' && src[i] <= 'f') ? src[i] - 'a' + 10 : -1;
        lo = (src[i + 1] >= '0' && src[i + 1] <= '9') ? src[i + 1] - '0'
             : (src[i + 1] >= 'a' && src[i + 1] <= 'f')
               ? src[i + 1] - 'a' + 10 : -1;

        if (hi < 0 || lo < 0) {
            return -1;
        }

        *dst++ = (unsigned char) (hi * 16 + lo);
    }

    return 0;
}


/*
 * The message an event is about, as its key and its record in the map:
 * by our own hex id echoed back when the provider carries one, else by
 * the provider's id.  A store code: CMP_NOTFOUND when unknown, or when
 * its campaign was deleted.
 */
int
cmp_webhook_find(cmp_store_t *st, cmp_txn_t *txn, const char *opaque,
    const char *provider_id, unsigned char *key, size_t *key_len,
    const char **rec, size_t *rec_len)
{
    int          rc;
    size_t       n, klen, vlen;
    const char  *v;

    rc = CMP_NOTFOUND;
    n = opaque ? strlen(opaque) : 0;
    klen = 0;

    if (n > 0 && n % 2 == 0 && n / 2 <= CMP_MESSAGE_KEY_MAX
        && cmp_webhook_unhex(key, opaque, n) == 0)
    {
        klen = n / 2;
        rc = cmp_message_get(st, txn, key, klen, rec, rec_len);
    }

    if (rc == CMP_NOTFOUND && provider_id != NULL) {
        rc = cmp_message_provider_get(st, txn, provider_id,
                                      strlen(provider_id), &v, &vlen);

        if (rc == 0) {
            /* the raw key (it has NUL separators), or its hex form */
            if (memchr(v, '\0', vlen) == NULL
                && vlen % 2 == 0 && vlen / 2 <= CMP_MESSAGE_KEY_MAX
                && cmp_webhook_unhex(key, v, vlen) == 0)
            {
                klen = vlen / 2;

            } else if (vlen <= CMP_MESSAGE_KEY_MAX) {
                memcpy(key, v, vlen);
                klen = vlen;

            } else {
                return CMP_NOTFOUND;
            }

            rc = cmp_message_get(st, txn, key, klen, rec, rec_len);
        }
    }

    /* a deleted campaign's message, not purged yet, is no one's now */
    if (rc == 0) {
        rc = cmp_message_owned(st, txn, key, klen);
    }

    if (rc == 0) {
        *key_len = klen;
    }

    return rc;
}


/*
 * The channel that sent the message an event is about, for callbacks
 * that do not name their channel: one lookup, no scan.  0, CMP_NOTFOUND
 * or a store code.
 */
int
cmp_webhook_channel(cmp_store_t *st, cmp_txn_t *txn, json_t *events,
    char *id, size_t *id_len)
{
    int                rc;
    size_t             i, key_len;
    json_t            *ev;
    size_t             rec_len;
    const char        *rec;
    cmp_json_field_t   f[1];
    unsigned char      key[CMP_MESSAGE_KEY_MAX];

    json_array_foreach(events, i, ev) {
        rc = cmp_webhook_find(st, txn, cmp_provider_str(ev, "opaque"),
                              cmp_provider_str(ev, "provider_message_id"),
                              key, &key_len, &rec, &rec_len);

        if (rc == CMP_NOTFOUND) {
            continue;
        }

        if (rc != 0) {
            return rc;
        }

        f[0].name = "channel_id";

        if (cmp_json_raw_find(rec, rec_len, f, 1) != 0
            || f[0].value == NULL
            || cmp_json_raw_value_string(f[0].value, f[0].len, id,
                                         CMP_ID_MAX + 1) != 0)
        {
            continue;
        }

        *id_len = strlen(id);

        return 0;
    }

    return CMP_NOTFOUND;
}


/* the message's campaign, on its totals (run 0) and on its own run */
static int
cmp_webhook_count(cmp_op_t *op, const unsigned char *key, size_t key_len,
    const char *name, int64_t delta)
{
    int       rc;
    size_t    n;
    uint32_t  run;

    /* test sends ("#" + instance id) have no campaign to count for */
    if (cmp_funnel_key(key, key_len, &n, &run) != 0) {
        return CMP_OK;
    }

    rc = cmp_counter_add(op->store, op->txn, (const char *) key, n,
                         CMP_COUNTER_TOTAL, name, delta);

    if (rc == 0 && run != CMP_COUNTER_TOTAL) {
        rc = cmp_counter_add(op->store, op->txn, (const char *) key, n, run,
                             name, delta);
    }

    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    return CMP_OK;
}


/* the funnel's counters of a status change (cmp_funnel.h) */
static int
cmp_webhook_funnel(cmp_op_t *op, const unsigned char *key, size_t key_len,
    const char *from, const char *to)
{
    int       rc;
    size_t    n;
    uint32_t  run;

    if (cmp_funnel_key(key, key_len, &n, &run) != 0) {
        return CMP_OK;
    }

    rc = cmp_funnel_move(op->store, op->txn, (const char *) key, n, run,
                         from, to);

    return (rc != 0) ? cmp_op_store_error(op, rc) : CMP_OK;
}


/*
 * A callback names a contact by its user id (WhatsApp: a BSUID), looked
 * up first, or by its address (WhatsApp: the number without "+").
 * Returns 0 when found, 1 when not, -1 on an error.
 */
static int
cmp_webhook_contact(cmp_op_t *op, cmp_webhook_t *wh, json_t *ev, char *id,
    size_t *id_len)
{
    int                    rc;
    char                   key[CMP_PROVIDER_ID_MAX + 8];
    size_t                 n;
    const char            *from, *uid;
    const cmp_provider_t  *p;

    p = wh->provider;
    uid = cmp_provider_str(ev, "user_id");
    from = cmp_provider_str(ev, "from");

    if (uid != NULL && p->user_index != NULL) {
        rc = cmp_index_get(op->store, op->txn, p->user_index, uid,
                           strlen(uid), id, id_len);

        if (rc == 0) {
            return 0;
        }

        if (rc != CMP_NOTFOUND) {
            cmp_op_store_error(op, rc);
            return -1;
        }
    }

    n = (from != NULL) ? cmp_provider_contact_key(p, from, key, sizeof(key))
                       : 0;
    if (n == 0) {
        return 1;
    }

    rc = cmp_index_get(op->store, op->txn, p->address_index, key, n, id,
                       id_len);

    if (rc == CMP_NOTFOUND) {
        return 1;
    }

    if (rc != 0) {
        cmp_op_store_error(op, rc);
        return -1;
    }

    return 0;
}


/* the contact's consent, as a PATCH of opted_out would change it */
static int
cmp_webhook_opt(cmp_op_t *op, const char *contact, size_t contact_len,
    int out)
{
    int            rc;
    char           now[CMP_TIME_LEN + 1];
    json_t        *rec;
    cmp_op_t       sub;
    cmp_record_t   meta;

    cmp_op_init(&sub, op->store, NULL, &cmp_kind_contacts);
    sub.txn = op->txn;
    sub.now = op->now;
    memcpy(sub.id, contact, contact_len);
    sub.id[contact_len] = '\0';
    sub.id_len = contact_len;

    rc = cmp_resource_load(&sub, &rec, &meta);

    if (rc == CMP_OK) {
        if (json_is_true(json_object_get(rec, "opted_out")) == out) {
            json_decref(rec);
            cmp_op_free(&sub);
            return CMP_OK;
        }

        cmp_time_format(op->now, now);

        json_object_set_new(rec, "opted_out", json_boolean(out));
        json_object_set_new(rec, "opted_out_at",
                            out ? json_string(now) : json_null());

        rc = cmp_resource_store(&sub, rec, &meta);
        json_decref(rec);

    } else if (sub.status == 404) {
        /* the index named a contact deleted since: nothing to change */
        rc = CMP_OK;
    }

    if (rc != CMP_OK) {
        op->status = sub.status;
        op->code = sub.code;
        memcpy(op->message, sub.message, sizeof(op->message));
    }

    cmp_op_free(&sub);

    return rc;
}


static json_t *
cmp_webhook_record(cmp_op_t *op, const char *type, json_t *ev)
{
    char     now[CMP_TIME_LEN + 1];
    json_t  *rec, *v;

    cmp_time_format(op->now, now);

    rec = json_object();
    if (rec == NULL) {
        return NULL;
    }

    v = json_object_get(ev, "channel_id");

    json_object_set_new(rec, "type", json_string(type));
    json_object_set(rec, "channel_id", v ? v : json_null());
    json_object_set_new(rec, "received_at", json_string(now));

    return rec;
}


/* appends (and takes) one event for campaignd */
static int
cmp_webhook_inbox(cmp_op_t *op, json_t *record)
{
    int            rc;
    char          *dump;
    size_t         len;

    if (record == NULL) {
        return cmp_op_fail(op, 500, "internal_error", NULL, "out of memory");
    }

    dump = cmp_json_dump(record, &len);
    json_decref(record);

    if (dump == NULL) {
        return cmp_op_fail(op, 500, "internal_error", NULL, "out of memory");
    }

    rc = cmp_inbox_put(op->store, op->txn, dump, len);

    free(dump);

    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    return CMP_OK;
}


/*
 * The status webhook is the busiest write there is (about three a
 * message), so the stored message is read and rewritten in place
 * (cmp_message_rewrite()): the members it needs are found in one pass
 * and the new ones are patched in, where a parse and a dump of the whole
 * record would cost more than the rest of the event.
 */
static int
cmp_webhook_status(cmp_op_t *op, cmp_webhook_t *wh, json_t *ev)
{
    int                rc, rank, late, opt_out;
    char               old_status[CMP_MESSAGE_STATUS_MAX + 1];
    char               contact[CMP_ID_MAX + 1];
    size_t             key_len, rec_len;
    json_t            *rec, *err;
    const char        *status, *old, *id, *raw;
    unsigned char      key[CMP_MESSAGE_KEY_MAX];
    cmp_json_field_t   f[3];

    status = cmp_provider_str(ev, "status");
    id = cmp_provider_str(ev, "provider_message_id");
    rank = cmp_message_rank(status);
    opt_out = json_is_true(json_object_get(ev, "opt_out"));

    /* "deleted" and the like are no states of the ledger */
    if (rank < 0 || strcmp(status, "skipped") == 0) {
        return CMP_OK;
    }

    rc = cmp_webhook_find(op->store, op->txn, cmp_provider_str(ev, "opaque"),
                          id, key, &key_len, &raw, &rec_len);

    if (rc == CMP_NOTFOUND) {
        rc = cmp_webhook_seen(op, wh, 's', id, status, NULL);
        if (rc != 0) {
            return (rc < 0) ? CMP_FAIL : CMP_OK;
        }

        wh->unknown++;

        if (wh->unknown_id[0] == '\0') {
            snprintf(wh->unknown_id, sizeof(wh->unknown_id), "%s", id);
        }

        if (opt_out && cmp_webhook_stopped(op, wh, ev, NULL) != CMP_OK) {
            return CMP_FAIL;
        }

        rec = cmp_webhook_record(op, "unknown_status", ev);

        if (rec != NULL) {
            json_object_set_new(rec, "provider_message_id", json_string(id));
            json_object_set_new(rec, "status", json_string(status));
            json_object_set(rec, "error", json_object_get(ev, "error"));
        }

        return cmp_webhook_inbox(op, rec);
    }

    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    f[0].name = "status";
    f[1].name = "contact_id";
    f[2].name = "provider_message_id";

    if (cmp_json_raw_find(raw, rec_len, f, 3) != 0) {
        return cmp_op_fail(op, 500, "internal_error", NULL,
                           "a stored message is unreadable");
    }

    /* copied: raw lies in the map, which the first write may move */
    old = NULL;

    if (f[0].value != NULL
        && cmp_json_raw_value_string(f[0].value, f[0].len, old_status,
                                     sizeof(old_status)) == 0)
    {
        old = old_status;
    }

    if (!opt_out
        || f[1].value == NULL
        || cmp_json_raw_value_string(f[1].value, f[1].len, contact,
                                     sizeof(contact)) != 0)
    {
        contact[0] = '\0';
    }

    /* a late "failed" after "delivered" or "read" is no news either */
    late = (old != NULL
            && (cmp_message_rank(old) >= rank
                || (strcmp(status, "failed") == 0
                    && cmp_message_rank(old) >= cmp_message_rank("delivered")
                    && cmp_message_rank(old) < cmp_message_rank("failed"))));

    if (late) {
        wh->duplicates++;

    } else {
        err = json_object_get(ev, "error");

        rc = cmp_webhook_rewrite(op, key, key_len, raw, rec_len, old, status,
                                 json_is_object(err) ? err : NULL,
                                 (f[2].value == NULL || f[2].value[0] != '"')
                                 ? id : NULL);

        if (rc == CMP_OK) {
            rc = cmp_webhook_funnel(op, key, key_len, old, status);
        }

        if (rc != CMP_OK) {
            return CMP_FAIL;
        }

        wh->applied++;
    }

    /* the user stopped marketing: whatever the ledger says already */
    if (opt_out
        && cmp_webhook_stopped(op, wh, ev, contact[0] ? contact : NULL)
           != CMP_OK)
    {
        return CMP_FAIL;
    }

    return CMP_OK;
}


/*
 * The message stored again with a status's members: status, updated_at,
 * the provider's error when it gave one, and the provider's id when the
 * record lacks it (a message matched by our own opaque data).
 */
static int
cmp_webhook_rewrite(cmp_op_t *op, const unsigned char *key, size_t key_len,
    const char *rec, size_t len, const char *from, const char *to,
    json_t *err, const char *id)
{
    int                rc;
    char               status[CMP_MESSAGE_STATUS_MAX + 3];
    char               when[CMP_TIME_LEN + 3];
    size_t             n, at;
    cmp_text_t         out, extra;
    cmp_json_field_t   set[4];

    /* to is one of the ledger's words (cmp_message_rank): no escapes */
    set[0].name = "status";
    set[0].value = status;
    set[0].len = snprintf(status, sizeof(status), "\"%s\"", to);

    when[0] = '"';
    cmp_time_format(op->now, when + 1);
    when[CMP_TIME_LEN + 1] = '"';

    set[1].name = "updated_at";
    set[1].value = when;
    set[1].len = CMP_TIME_LEN + 2;

    n = 2;
    extra.data = NULL;

    if (err != NULL || id != NULL) {
        if (cmp_text_init(&extra, 256) != 0) {
            return cmp_op_fail(op, 500, "internal_error", NULL,
                               "out of memory");
        }

        if (err != NULL) {
            cmp_json_write_value(&extra, err);
        }

        at = extra.len;

        if (id != NULL) {
            cmp_json_write_string(&extra, id, strlen(id));
        }

        if (err != NULL) {
            set[n].name = "error";
            set[n].value = extra.data;
            set[n++].len = at;
        }

        if (id != NULL) {
            set[n].name = "provider_message_id";
            set[n].value = extra.data + at;
            set[n++].len = extra.len - at;
        }
    }

    rc = ENOMEM;

    if ((extra.data == NULL || !extra.failed)
        && cmp_text_init(&out, len + 256) == 0)
    {
        rc = cmp_message_rewrite(op->store, op->txn, key, key_len, rec, len,
                                 from, to, set, n, &out);
        cmp_text_free(&out);
    }

    if (extra.data != NULL) {
        cmp_text_free(&extra);
    }

    return (rc != 0) ? cmp_op_store_error(op, rc) : CMP_OK;
}


/*
 * A failed status whose error says the user stopped marketing (131050):
 * the message's contact (contact_id; else the one the status names) is opted
 * out, as a user_preferences stop would, and campaignd is told.
 */
static int
cmp_webhook_stopped(cmp_op_t *op, cmp_webhook_t *wh, json_t *ev,
    const char *contact_id)
{
    int          rc;
    char         contact[CMP_ID_MAX + 1];
    size_t       contact_len;
    json_t      *rec;

    if (contact_id != NULL && strlen(contact_id) <= CMP_ID_MAX) {
        contact_len = strlen(contact_id);
        memcpy(contact, contact_id, contact_len + 1);

    } else {
        rc = cmp_webhook_contact(op, wh, ev, contact, &contact_len);
        if (rc < 0) {
            return CMP_FAIL;
        }

        if (rc == 1) {
            return CMP_OK;
        }
    }

    if (cmp_webhook_opt(op, contact, contact_len, 1) != CMP_OK) {
        return CMP_FAIL;
    }

    rec = cmp_webhook_record(op, "opted_out", ev);

    if (rec != NULL) {
        json_object_set(rec, "from", cmp_webhook_or_null(ev, "from"));
        json_object_set_new(rec, "contact_id",
                            json_stringn(contact, contact_len));
        json_object_set_new(rec, "reason", json_string("failed_status"));
    }

    return cmp_webhook_inbox(op, rec);
}


/* a member of ev, or null: never a missing member in an inbox record */
static json_t *
cmp_webhook_or_null(json_t *ev, const char *name)
{
    json_t  *v;

    v = json_object_get(ev, name);

    return (v != NULL) ? v : json_null();
}


static int
cmp_webhook_reply(cmp_op_t *op, cmp_webhook_t *wh, json_t *ev)
{
    int             rc, counted, answers;
    char            contact[CMP_ID_MAX + 1];
    char            hex[2 * CMP_MESSAGE_KEY_MAX + 1];
    size_t          i, key_len, contact_len;
    json_t         *rec;
    const char     *id;
    unsigned char   key[CMP_MESSAGE_KEY_MAX];

    id = cmp_provider_str(ev, "provider_message_id");
    if (id != NULL) {
        rc = cmp_webhook_seen(op, wh, 'm', id, NULL, NULL);
        if (rc != 0) {
            return (rc < 0) ? CMP_FAIL : CMP_OK;
        }
    }

    rc = cmp_webhook_contact(op, wh, ev, contact, &contact_len);
    if (rc < 0) {
        return CMP_FAIL;
    }

    if (rc == 1) {
        contact_len = 0;
    }

    /*
     * The message answered: WhatsApp's context, Viber's tracking_data.  A
     * reaction or a bare picture is kept as a "message": it answers no
     * wait_for_reply and counts as no reply.
     */
    answers = !json_is_false(json_object_get(ev, "answers"));
    counted = 0;
    hex[0] = '\0';

    rc = answers ? cmp_webhook_replied(op, ev, key, &key_len) : CMP_NOTFOUND;

    if (rc == CMP_FAIL) {
        return CMP_FAIL;
    }

    if (rc == CMP_OK) {
        for (i = 0; i < key_len; i++) {
            snprintf(hex + 2 * i, 3, "%02x", key[i]);
        }

        counted = 1;
    }

    rec = cmp_webhook_record(op, answers ? "reply" : "message", ev);

    if (rec != NULL) {
        json_object_set(rec, "from", cmp_webhook_or_null(ev, "from"));

        if (json_object_get(ev, "user_id") != NULL) {
            json_object_set(rec, "user_id", json_object_get(ev, "user_id"));
        }

        if (!answers) {
            json_object_set(rec, "message_type",
                            cmp_webhook_or_null(ev, "message_type"));
        }

        json_object_set_new(rec, "contact_id", contact_len
                            ? json_stringn(contact, contact_len)
                            : json_null());
        json_object_set(rec, "text", json_object_get(ev, "text"));
        json_object_set_new(rec, "provider_message_id",
                            id ? json_string(id) : json_null());
        json_object_set_new(rec, "message_id",
                            hex[0] ? json_string(hex) : json_null());
        json_object_set_new(rec, "counted", json_boolean(counted));

        if (json_is_true(json_object_get(ev, "stop"))) {
            json_object_set_new(rec, "stop", json_true());
        }
    }

    if (cmp_webhook_inbox(op, rec) != CMP_OK) {
        return CMP_FAIL;
    }

    wh->applied++;

    if (!json_is_true(json_object_get(ev, "stop"))) {
        return CMP_OK;
    }

    if (contact_len && cmp_webhook_opt(op, contact, contact_len, 1)
                       != CMP_OK)
    {
        return CMP_FAIL;
    }

    rec = cmp_webhook_record(op, "opted_out", ev);

    if (rec != NULL) {
        json_object_set(rec, "from", cmp_webhook_or_null(ev, "from"));
        json_object_set_new(rec, "contact_id", contact_len
                            ? json_stringn(contact, contact_len)
                            : json_null());
        json_object_set_new(rec, "reason", json_string("keyword"));
    }

    return cmp_webhook_inbox(op, rec);
}


/*
 * The message a reply answers, marked replied_at the first time (in
 * place, as a status is): "replied" counts messages answered, not
 * answers.  CMP_OK with its key, CMP_NOTFOUND, or CMP_FAIL.
 */
static int
cmp_webhook_replied(cmp_op_t *op, json_t *ev, unsigned char *key,
    size_t *key_len)
{
    int                rc;
    char               when[CMP_TIME_LEN + 3];
    size_t             len;
    cmp_text_t         out;
    const char        *rec;
    cmp_json_field_t   f[1], set[2];

    rc = cmp_webhook_find(op->store, op->txn, cmp_provider_str(ev, "opaque"),
                          cmp_provider_str(ev, "context_id"), key, key_len,
                          &rec, &len);

    if (rc == CMP_NOTFOUND) {
        return CMP_NOTFOUND;
    }

    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    f[0].name = "replied_at";

    if (cmp_json_raw_find(rec, len, f, 1) != 0) {
        return cmp_op_fail(op, 500, "internal_error", NULL,
                           "a stored message is unreadable");
    }

    if (f[0].value != NULL) {
        return CMP_OK;
    }

    when[0] = '"';
    cmp_time_format(op->now, when + 1);
    when[CMP_TIME_LEN + 1] = '"';

    set[0].name = "replied_at";
    set[1].name = "updated_at";
    set[0].value = set[1].value = when;
    set[0].len = set[1].len = CMP_TIME_LEN + 2;

    if (cmp_text_init(&out, len + 64) != 0) {
        return cmp_op_fail(op, 500, "internal_error", NULL, "out of memory");
    }

    /* its status stays, and so does its index entry */
    rc = cmp_message_rewrite(op->store, op->txn, key, *key_len, rec, len,
                             NULL, NULL, set, 2, &out);
    cmp_text_free(&out);

    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    return cmp_webhook_count(op, key, *key_len, CMP_WEBHOOK_REPLIED, 1);
}


static int
cmp_webhook_optevent(cmp_op_t *op, cmp_webhook_t *wh, json_t *ev, int out)
{
    int          rc;
    char         contact[CMP_ID_MAX + 1], ts[24];
    size_t       contact_len;
    json_t      *rec;
    const char  *from, *reason;

    from = cmp_provider_str(ev, "from");
    reason = cmp_provider_str(ev, "reason");

    if (from == NULL) {
        from = cmp_provider_str(ev, "user_id");
    }

    snprintf(ts, sizeof(ts), "%lld",
             (long long) json_integer_value(json_object_get(ev,
                                                            "timestamp")));

    rc = cmp_webhook_seen(op, wh, out ? 'o' : 'i', from, ts, reason);
    if (rc != 0) {
        return (rc < 0) ? CMP_FAIL : CMP_OK;
    }

    rc = cmp_webhook_contact(op, wh, ev, contact, &contact_len);
    if (rc < 0) {
        return CMP_FAIL;
    }

    if (rc == 1) {
        contact_len = 0;
    }

    if (contact_len && cmp_webhook_opt(op, contact, contact_len, out)
                       != CMP_OK)
    {
        return CMP_FAIL;
    }

    /* applied above: past tense, so that nobody applies it again */
    rec = cmp_webhook_record(op, out ? "opted_out" : "opted_in", ev);

    if (rec != NULL) {
        json_object_set(rec, "from", cmp_webhook_or_null(ev, "from"));
        json_object_set_new(rec, "contact_id", contact_len
                            ? json_stringn(contact, contact_len)
                            : json_null());
        json_object_set_new(rec, "reason",
                            reason ? json_string(reason) : json_null());
    }

    wh->applied++;

    return cmp_webhook_inbox(op, rec);
}


static int
cmp_webhook_started(cmp_op_t *op, cmp_webhook_t *wh, json_t *ev)
{
    int          rc;
    char         contact[CMP_ID_MAX + 1], ts[24];
    size_t       contact_len;
    json_t      *rec;
    const char  *from;

    from = cmp_provider_str(ev, "from");

    snprintf(ts, sizeof(ts), "%lld",
             (long long) json_integer_value(json_object_get(ev,
                                                            "timestamp")));

    rc = cmp_webhook_seen(op, wh, 'c', from, ts, NULL);
    if (rc != 0) {
        return (rc < 0) ? CMP_FAIL : CMP_OK;
    }

    rc = cmp_webhook_contact(op, wh, ev, contact, &contact_len);
    if (rc < 0) {
        return CMP_FAIL;
    }

    rec = cmp_webhook_record(op, "conversation_started", ev);

    if (rec != NULL) {
        json_object_set_new(rec, "from", json_string(from));
        json_object_set_new(rec, "contact_id", rc == 0
                            ? json_stringn(contact, contact_len)
                            : json_null());
    }

    wh->applied++;

    return cmp_webhook_inbox(op, rec);
}
