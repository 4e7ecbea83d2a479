
/*
 * A send node: its message rendered into the ledger, queued for the
 * dispatcher, and the instance parked on it.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_engine_int.h"


static int cmp_engine_message_text(cmp_exec_t *x, const cmp_message_key_t *mk,
    const char *hex, const char *channel, const char *status, const char *error,
    const char *recipient, const json_t *payload, int lane,
    const cmp_provider_t *provider, int64_t queue_seq);


/*
 * A send node: its message in the ledger, queued, and the instance
 * parked on it.  A contact without an address on the channel gets a
 * skipped message and the instance goes on.
 */
int
cmp_engine_send(cmp_exec_t *x, const cmp_flow_node_t *node, int *parked)
{
    int                  rc, lane, test;
    char                 addr[64], hex[2 * CMP_MESSAGE_KEY_MAX + 1];
    char                 camp[CMP_ID_MAX + 2], *text;
    size_t               i, len, mlen;
    json_t              *payload, *m, *tpl, *params, *p, *msgs;
    uint16_t             step;
    uint64_t             seq;
    const char          *channel, *addr_s, *iid, *status, *error;
    cmp_template_ctx_t   tctx;
    cmp_message_key_t    mk;
    unsigned char        mkey[CMP_MESSAGE_KEY_MAX];

    *parked = 0;

    channel = json_string_value(json_object_get(node->json, "channel_id"));
    addr_s = cmp_provider_address(node->provider, x->contact, addr,
                                  sizeof(addr));
    test = (x->campaign == NULL);

    msgs = json_object_get(x->inst, "messages");
    if (!json_is_array(msgs)) {
        msgs = json_array();
        json_object_set_new(x->inst, "messages", msgs);
    }

    step = 0;

    json_array_foreach(msgs, i, m) {
        if (json_equal(json_object_get(m, "node_id"),
                       json_object_get(node->json, "id")))
        {
            step++;
        }
    }

    memset(&mk, 0, sizeof(cmp_message_key_t));

    if (test) {
        iid = json_string_value(json_object_get(x->inst, "id"));
        snprintf(camp, sizeof(camp), "#%s", iid ? iid : "");
        mk.campaign = camp;
        mk.run = 0;

    } else {
        mk.campaign = json_string_value(json_object_get(x->campaign, "id"));
        mk.run = (uint32_t) json_integer_value(json_object_get(x->inst,
                                                               "run"));
    }

    mk.campaign_len = strlen(mk.campaign);
    mk.contact = json_string_value(json_object_get(x->inst, "contact_id"));
    mk.contact_len = strlen(mk.contact);
    mk.node = node->id;
    mk.node_len = node->id_len;
    mk.step = step;

    mlen = cmp_message_key(mkey, &mk);
    if (mlen == 0) {
        return CMP_BAD_VALSIZE;
    }

    cmp_hex(hex, mkey, mlen);

    /* the payload as rendered now: a retry sends the very same text */
    memset(&tctx, 0, sizeof(cmp_template_ctx_t));
    tctx.contact = x->contact;
    tctx.vars = json_object_get(x->inst, "variables");
    tctx.run = mk.run;

    if (!test) {
        tctx.campaign_id = mk.campaign;
        tctx.campaign_name = json_string_value(json_object_get(x->campaign,
                                                               "name"));
        tctx.group_id = json_string_value(json_object_get(x->campaign,
                                                          "group_id"));
    }

    m = json_object_get(node->json, "message");
    payload = json_object();

    tpl = json_object_get(m, "template");

    if (tpl != NULL) {
        params = json_array();

        json_array_foreach(json_object_get(tpl, "body_params"), i, p) {
            text = json_is_string(p)
                   ? cmp_template_render(json_string_value(p),
                                         json_string_length(p), &tctx, &len)
                   : NULL;
            json_array_append_new(params, text ? json_stringn(text, len)
                                               : json_string(""));
            free(text);
        }

        json_object_set_new(payload, "type", json_string("template"));
        json_object_set_new(payload, "template",
            json_pack("{s:O, s:O, s:o}",
                      "name", json_object_get(tpl, "name"),
                      "language", json_object_get(tpl, "language"),
                      "body_params", params));

    } else {
        p = json_object_get(m, "text");
        text = json_is_string(p)
               ? cmp_template_render(json_string_value(p),
                                     json_string_length(p), &tctx, &len)
               : NULL;

        json_object_set_new(payload, "type", json_string("text"));
        json_object_set_new(payload, "text", text ? json_stringn(text, len)
                                                  : json_string(""));
        free(text);
    }

    /* a flow already under way (a test send, a message after the first) */
    lane = (test || json_array_size(msgs) > 0) ? CMP_LANE_CONVERSATION
                                               : CMP_LANE_BULK;

    status = (addr_s != NULL) ? "queued" : "skipped";
    error = (addr_s != NULL) ? NULL : node->provider->no_address;

    rc = cmp_message_count_move(x->e->st, x->txn, test ? NULL : mk.campaign,
                            mk.run, NULL, status);

    if (rc == 0 && addr_s == NULL && !test) {
        rc = cmp_funnel_skip(x->e->st, x->txn, mk.campaign, mk.campaign_len,
                             mk.run, CMP_SKIP_NO_ADDRESS);
    }

    /* queued first: the record keeps the entry's seq for the purge */
    if (rc == 0 && addr_s != NULL) {
        rc = cmp_queue_put(x->e->st, x->txn, channel, lane, mkey, mlen,
                           &seq);
        x->e->cd->queued = 1;
    }

    if (rc == 0) {
        rc = cmp_engine_message_text(x, &mk, hex, channel, status, error,
                                     addr_s, payload, lane, node->provider,
                                     (addr_s != NULL) ? (int64_t) seq : -1);
    }

    json_decref(payload);

    if (rc == 0) {
        rc = cmp_message_put(x->e->st, x->txn, mkey, mlen, NULL, status,
                             x->e->text.data, x->e->text.len);
    }

    json_array_append_new(msgs,
        json_pack("{s:s, s:s%, s:s, s:s, s:o}", "id", hex,
                  "node_id", node->id, node->id_len,
                  "channel_id", channel ? channel : "",
                  "status", status,
                  "error", error ? json_string(error) : json_null()));

    if (rc == 0 && addr_s != NULL) {
        *parked = 1;
        json_object_set_new(x->inst, "awaiting", json_string(hex));
        json_object_set_new(x->inst, "last_channel",
                            json_string(channel ? channel : ""));
        json_object_set_new(x->inst, "last_address", json_string(addr_s));
    }

    return rc;
}


/*
 * A new message record, written as text in the member order of
 * cmp_message.h (jansson would write the same bytes) into e->text.
 */
static int
cmp_engine_message_text(cmp_exec_t *x, const cmp_message_key_t *mk,
    const char *hex, const char *channel, const char *status,
    const char *error, const char *recipient, const json_t *payload,
    int lane, const cmp_provider_t *provider, int64_t queue_seq)
{
    char                when[CMP_TIME_LEN + 1];
    const char         *s;
    cmp_text_t  *w;

    w = &x->e->text;
    cmp_text_reset(w);
    cmp_time_format(x->now, when);

    cmp_text_literal(w, "{\"id\":");
    cmp_json_write_string(w, hex, strlen(hex));
    cmp_text_literal(w, ",\"run\":");
    cmp_json_write_integer(w, mk->run);
    cmp_text_literal(w, ",\"contact_id\":");
    cmp_json_write_string(w, mk->contact, mk->contact_len);
    cmp_text_literal(w, ",\"node_id\":");
    cmp_json_write_string(w, mk->node, mk->node_len);
    cmp_text_literal(w, ",\"channel_id\":");
    s = channel ? channel : "";
    cmp_json_write_string(w, s, strlen(s));
    cmp_text_literal(w, ",\"status\":");
    cmp_json_write_string(w, status, strlen(status));
    cmp_text_literal(w, ",\"provider_message_id\":null,\"error\":");

    if (error != NULL) {
        cmp_json_write_string(w, error, strlen(error));

    } else {
        cmp_text_literal(w, "null");
    }

    cmp_text_literal(w, ",\"attempts\":0,\"updated_at\":");
    cmp_json_write_string(w, when, CMP_TIME_LEN);
    cmp_text_literal(w, ",\"campaign_id\":");

    if (x->campaign != NULL) {
        cmp_json_write_string(w, mk->campaign, mk->campaign_len);

    } else {
        cmp_text_literal(w, "null");
    }

    cmp_text_literal(w, ",\"instance\":");
    s = json_string_value(json_object_get(x->inst, "id"));
    s = s ? s : "";
    cmp_json_write_string(w, s, strlen(s));
    cmp_text_literal(w, ",\"recipient\":");
    s = recipient ? recipient : "";
    cmp_json_write_string(w, s, strlen(s));
    cmp_text_literal(w, ",\"payload\":");
    cmp_json_write_value(w, payload);
    cmp_text_literal(w, ",\"lane\":");
    cmp_json_write_integer(w, lane);
    cmp_text_literal(w, ",\"type\":");
    cmp_json_write_string(w, provider->name, strlen(provider->name));

    if (queue_seq >= 0) {
        cmp_text_literal(w, ",\"" CMP_QUEUE_SEQ_FIELD "\":");
        cmp_json_write_integer(w, queue_seq);
    }

    cmp_text_literal(w, "}");

    return w->failed ? ENOMEM : 0;
}
