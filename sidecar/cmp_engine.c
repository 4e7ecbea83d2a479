
/*
 * The flow engine's store side: instances of campaign runs and test
 * sends, their messages, timers, replies and cancellation.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmp_engine.h"
#include "cmp_ledger.h"
#include "cmp_http.h"
#include "cmp_counter.h"
#include "cmp_instance.h"
#include "cmp_op.h"
#include "cmp_json_raw.h"


#define CMP_FLOW_CACHE       16
#define CMP_ENGINE_HEADERS   64       /* of an http_request node */


typedef struct {
    char              id[CMP_ID_MAX + 1];
    uint64_t          version;
    json_t           *rec;
    cmp_flow_t        flow;
    uint64_t          used;
} cmp_flow_cached_t;


struct cmp_engine_s {
    cmp_campaignd_t    *cd;
    cmp_store_t        *st;
    cmp_log_t          *log;
    uint64_t            clock;
    cmp_flow_cached_t   flows[CMP_FLOW_CACHE];

    /* the campaign last read, by its stored bytes: a run reads it often */
    char               *campaign_raw;
    size_t              campaign_len;
    json_t             *campaign;

    cmp_text_t          text;          /* a message record being written */

    /* the http_request nodes' calls */
    cmp_http_t         *http;
    cmp_http_owner_t    owner;
};


/* one instance being walked, inside a write txn */
typedef struct {
    cmp_engine_t       *e;
    MDB_txn            *txn;
    int64_t             now;
    unsigned char       key[CMP_IKEY_MAX];
    size_t              key_len;
    json_t             *inst;
    uint64_t            seq;
    uint64_t            version;
    json_t             *contact;
    json_t             *campaign;
    const cmp_flow_t   *flow;
} cmp_exec_t;


/* an http_request in flight */
typedef struct {
    cmp_engine_t       *e;
    unsigned char       key[CMP_IKEY_MAX];
    size_t              key_len;
} cmp_engine_call_t;


static json_t *cmp_engine_campaign(cmp_engine_t *e,
    const cmp_record_t *r);
static const cmp_flow_t *cmp_engine_flow(cmp_engine_t *e, MDB_txn *txn,
    const char *id);
static int cmp_engine_run(cmp_exec_t *x);
static int cmp_engine_send(cmp_exec_t *x, const cmp_flow_node_t *node,
    int *parked);
static int cmp_engine_finish(cmp_exec_t *x);
static int cmp_engine_save(cmp_exec_t *x);
static int cmp_engine_load_bare(cmp_exec_t *x, const unsigned char *key,
    size_t len);
static void cmp_engine_load_contact(cmp_exec_t *x);
static int cmp_engine_load(cmp_exec_t *x, const unsigned char *key,
    size_t len);
static void cmp_engine_unload(cmp_exec_t *x);
static int cmp_engine_set_timer(cmp_exec_t *x, int64_t due_ms);
static int cmp_engine_clear_timer(cmp_exec_t *x);
static int cmp_engine_message_text(cmp_exec_t *x,
    const cmp_message_key_t *mk, const char *hex, const char *channel,
    const char *status, const char *error, const char *recipient,
    const json_t *payload, int lane, const cmp_provider_t *provider);
static int cmp_engine_wait_key(cmp_exec_t *x, unsigned char *buf,
    size_t *len);
static int cmp_engine_wake(cmp_exec_t *x, int64_t now_ms,
    cmp_engine_call_t **call);
static void cmp_engine_http_start(cmp_engine_t *e, cmp_engine_call_t *call);
static void cmp_engine_http_answers(void *data, cmp_http_req_t *reqs);
static int cmp_engine_outcome(cmp_engine_t *e, MDB_txn *txn,
    const cmp_outcome_t *out, cmp_event_e ev, int64_t now);
static void cmp_engine_http_done(void *data, long status, const char *body,
    size_t len, const char *error);
static int cmp_engine_reply(cmp_engine_t *e, MDB_txn *txn, json_t *ev,
    int64_t now);
static int cmp_engine_count_reply(cmp_exec_t *x);
static int cmp_engine_waiting(cmp_engine_t *e, MDB_txn *txn, json_t *ev,
    cmp_exec_t *x);
static int cmp_engine_opt_out_event(cmp_engine_t *e, MDB_txn *txn,
    json_t *ev, int64_t now);
static int cmp_engine_opted_out(cmp_engine_t *e, MDB_txn *txn, json_t *ev,
    int64_t now);
static int cmp_engine_is(const json_t *v, const char *s);
static int cmp_engine_test_start(cmp_engine_t *e, MDB_txn *txn,
    const char *id, size_t len, int64_t now);


static int
cmp_engine_is(const json_t *v, const char *s)
{
    return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}


cmp_engine_t *
cmp_engine_create(cmp_campaignd_t *cd, cmp_http_t *http)
{
    cmp_engine_t  *e;

    e = calloc(1, sizeof(cmp_engine_t));
    if (e == NULL) {
        return NULL;
    }

    e->cd = cd;
    e->st = &cd->store;
    e->log = &cd->log;
    e->http = http;

    e->owner.done = cmp_engine_http_answers;
    e->owner.data = e;
    cmp_http_owner_add(http, &e->owner);

    return e;
}


void
cmp_engine_destroy(cmp_engine_t *e)
{
    int  i;

    if (e == NULL) {
        return;
    }

    for (i = 0; i < CMP_FLOW_CACHE; i++) {
        if (e->flows[i].rec != NULL) {
            cmp_flow_free(&e->flows[i].flow);
            json_decref(e->flows[i].rec);
        }
    }

    json_decref(e->campaign);
    free(e->campaign_raw);
    cmp_text_free(&e->text);
    free(e);
}


/*
 * Every message of a run renders with its campaign's fields; parsing the
 * record once while its bytes stay the same saves a parse per message.
 * The answer is shared: callers only read it, and release it.
 */
static json_t *
cmp_engine_campaign(cmp_engine_t *e, const cmp_record_t *r)
{
    char     err[64];
    char    *raw;
    json_t  *json;

    if (e->campaign != NULL && e->campaign_len == r->len
        && memcmp(e->campaign_raw, r->json, r->len) == 0)
    {
        return json_incref(e->campaign);
    }

    json = cmp_json_parse(r->json, r->len, err, sizeof(err));
    raw = malloc(r->len);

    if (json == NULL || raw == NULL) {
        free(raw);
        return json;
    }

    memcpy(raw, r->json, r->len);

    json_decref(e->campaign);
    free(e->campaign_raw);

    e->campaign = json_incref(json);
    e->campaign_raw = raw;
    e->campaign_len = r->len;

    return json;
}


/* flows by id, parsed once per version */
static const cmp_flow_t *
cmp_engine_flow(cmp_engine_t *e, MDB_txn *txn, const char *id)
{
    int                 i, victim;
    char                err[64];
    json_t             *rec;
    cmp_record_t        r;
    cmp_flow_cached_t  *c;

    if (id == NULL
        || cmp_record_get(e->st, txn, &cmp_kind_flows, id, strlen(id), &r)
           != 0)
    {
        return NULL;
    }

    victim = 0;

    for (i = 0; i < CMP_FLOW_CACHE; i++) {
        c = &e->flows[i];

        if (c->rec != NULL && strcmp(c->id, id) == 0
            && c->version == r.version)
        {
            c->used = ++e->clock;
            return &c->flow;
        }

        if (c->used < e->flows[victim].used) {
            victim = i;
        }
    }

    rec = cmp_json_parse(r.json, r.len, err, sizeof(err));
    if (rec == NULL) {
        return NULL;
    }

    c = &e->flows[victim];

    if (c->rec != NULL) {
        cmp_flow_free(&c->flow);
        json_decref(c->rec);
    }

    c->rec = rec;
    c->version = r.version;
    c->used = ++e->clock;
    snprintf(c->id, sizeof(c->id), "%s", id);

    if (cmp_flow_load(&c->flow, json_object_get(rec, "definition")) != 0) {
        json_decref(rec);
        c->rec = NULL;
        return NULL;
    }

    return &c->flow;
}


/*
 * A contact of a firing run: skipped when opted out or still in a live
 * instance of an earlier run; else its instance starts at once, in the
 * fill's txn, up to its first message queued.
 */
int
cmp_engine_start(cmp_engine_t *e, MDB_txn *txn, int64_t now,
    const json_t *campaign, uint32_t run, const char *contact_id,
    size_t contact_len, json_t *contact, int *skipped)
{
    int            rc;
    char           hex[2 * CMP_IKEY_MAX + 1], when[CMP_TIME_LEN + 1];
    size_t         len;
    MDB_val        k, v;
    json_t        *vars;
    uint64_t       seq;
    cmp_exec_t     x;
    const char    *cid;
    unsigned char  live[CMP_FKEY_MAX], runb[4];

    *skipped = 0;
    cid = json_string_value(json_object_get(campaign, "id"));

    if (json_is_true(json_object_get(contact, "opted_out"))) {
        *skipped = 1;
        return 0;
    }

    k.mv_data = live;
    k.mv_size = cmp_fkey(live, "#live", cid, strlen(cid), contact_id,
                         contact_len);

    rc = mdb_get(txn, e->st->dbi[CMP_DB_INSTANCES], &k, &v);

    if (rc == 0) {
        *skipped = 1;
        return 0;
    }

    if (rc != MDB_NOTFOUND) {
        return rc;
    }

    runb[0] = (unsigned char) (run >> 24);
    runb[1] = (unsigned char) (run >> 16);
    runb[2] = (unsigned char) (run >> 8);
    runb[3] = (unsigned char) run;
    v.mv_data = runb;
    v.mv_size = 4;

    rc = mdb_put(txn, e->st->dbi[CMP_DB_INSTANCES], &k, &v, 0);
    if (rc != 0) {
        return rc;
    }

    memset(&x, 0, sizeof(cmp_exec_t));
    x.e = e;
    x.txn = txn;
    x.now = now;
    x.key_len = cmp_ikey_run(x.key, cid, strlen(cid), run, contact_id,
                             contact_len);
    x.flow = cmp_engine_flow(e, txn,
                 json_string_value(json_object_get(campaign, "flow_id")));
    x.contact = contact;
    x.campaign = (json_t *) campaign;

    if (x.flow == NULL || x.flow->start == NULL) {
        return MDB_NOTFOUND;
    }

    rc = cmp_seq_next(e->st, txn, "id:instances", &seq);
    if (rc != 0) {
        return rc;
    }

    x.seq = seq;
    cmp_hex(hex, x.key, x.key_len);
    cmp_time_format(now, when);

    vars = json_deep_copy(json_object_get(campaign, "params"));
    if (!json_is_object(vars)) {
        json_decref(vars);
        vars = json_object();
    }

    len = contact_len;
    x.inst = json_pack("{s:s, s:O, s:s%, s:O, s:i, s:s, s:s, s:o, s:{},"
                       " s:[], s:s, s:s}",
                       "id", hex,
                       "flow_id", json_object_get(campaign, "flow_id"),
                       "contact_id", contact_id, len,
                       "campaign_id", json_object_get(campaign, "id"),
                       "run", (int) run,
                       "status", "running",
                       "node", x.flow->start,
                       "variables", vars,
                       "jumps",
                       "messages",
                       "created_at", when,
                       "updated_at", when);
    if (x.inst == NULL) {
        return ENOMEM;
    }

    rc = cmp_engine_run(&x);
    json_decref(x.inst);

    return rc;
}


/* walks the instance until it parks, then stores it */
static int
cmp_engine_run(cmp_exec_t *x)
{
    int                     rc, parked, n;
    const char             *fid;
    cmp_park_e              park;
    cmp_template_ctx_t      tctx;
    const cmp_flow_node_t  *node;

    memset(&tctx, 0, sizeof(cmp_template_ctx_t));
    tctx.contact = x->contact;

    if (x->campaign != NULL) {
        tctx.campaign_id = json_string_value(json_object_get(x->campaign,
                                                             "id"));
        tctx.campaign_name = json_string_value(json_object_get(x->campaign,
                                                               "name"));
        tctx.group_id = json_string_value(json_object_get(x->campaign,
                                                          "group_id"));
        tctx.run = json_integer_value(json_object_get(x->inst, "run"));
    }

    for (n = 0; n < 64; n++) {
        tctx.vars = json_object_get(x->inst, "variables");

        park = cmp_node_walk(x->flow, x->inst, x->contact, &tctx, x->now,
                             &node);

        switch (park) {

        case CMP_PARK_SEND:
            rc = cmp_engine_send(x, node, &parked);
            if (rc != 0) {
                return rc;
            }

            if (parked) {
                return cmp_engine_save(x);
            }

            if (!cmp_node_resume(x->flow, x->inst, CMP_EVENT_SKIPPED, NULL,
                                 NULL))
            {
                return cmp_engine_finish(x);
            }

            continue;

        case CMP_PARK_WAIT:
        case CMP_PARK_DELAY:
            rc = cmp_engine_set_timer(x, json_integer_value(
                     json_object_get(x->inst, "wake_at")) * 1000);

            if (rc == 0 && park == CMP_PARK_WAIT) {
                unsigned char  wk[CMP_FKEY_MAX];
                size_t         wlen;
                MDB_val        k, v;

                if (cmp_engine_wait_key(x, wk, &wlen) == 0) {
                    k.mv_data = wk;
                    k.mv_size = wlen;
                    v.mv_data = x->key;
                    v.mv_size = x->key_len;
                    rc = mdb_put(x->txn, x->e->st->dbi[CMP_DB_INSTANCES],
                                 &k, &v, 0);
                }
            }

            return rc ? rc : cmp_engine_save(x);

        case CMP_PARK_HTTP:
            /* the call goes out after the commit: a due timer starts it */
            rc = cmp_engine_set_timer(x, x->now * 1000);
            return rc ? rc : cmp_engine_save(x);

        case CMP_PARK_FORWARD:
            fid = json_string_value(json_object_get(node->json, "flow_id"));
            x->flow = cmp_engine_flow(x->e, x->txn, fid);

            if (x->flow == NULL || x->flow->start == NULL) {
                json_object_set_new(x->inst, "status", json_string("failed"));
                json_object_set_new(x->inst, "error",
                                    json_string("forward_to_flow: no such "
                                                "flow"));
                return cmp_engine_finish(x);
            }

            /*
             * The same contact and variables go on in the other flow;
             * "flow_id" stays the one started, under which a test send
             * is read (GET /flows/{id}/instances/{instance_id}).
             */
            json_object_set_new(x->inst, "current_flow_id",
                                json_string(fid));
            json_object_set_new(x->inst, "node",
                                json_string(x->flow->start));
            json_object_set_new(x->inst, "jumps", json_object());
            continue;

        case CMP_PARK_END:
        case CMP_PARK_FAIL:
            return cmp_engine_finish(x);
        }
    }

    json_object_set_new(x->inst, "status", json_string("failed"));
    json_object_set_new(x->inst, "error",
                        json_string("too many forwards in a row"));

    return cmp_engine_finish(x);
}


/*
 * A send node: its message in the ledger, queued, and the instance
 * parked on it.  A contact without an address on the channel gets a
 * skipped message and the instance goes on.
 */
static int
cmp_engine_send(cmp_exec_t *x, const cmp_flow_node_t *node, int *parked)
{
    int                  rc, lane, test;
    char                 addr[64], hex[2 * CMP_MESSAGE_KEY_MAX + 1];
    char                 camp[CMP_ID_MAX + 2], *text;
    size_t               i, len, mlen;
    json_t              *payload, *m, *tpl, *params, *p, *msgs;
    MDB_val              k, v;
    uint16_t             step;
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
        return MDB_BAD_VALSIZE;
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

    rc = cmp_msg_count_move(x->e->st, x->txn, test ? NULL : mk.campaign,
                            mk.run, NULL, status);

    if (rc == 0) {
        rc = cmp_engine_message_text(x, &mk, hex, channel, status, error,
                                     addr_s, payload, lane, node->provider);
    }

    json_decref(payload);

    if (rc == 0) {
        k.mv_data = mkey;
        k.mv_size = mlen;
        v.mv_data = x->e->text.data;
        v.mv_size = x->e->text.len;

        rc = mdb_put(x->txn, x->e->st->dbi[CMP_DB_MESSAGES], &k, &v, 0);
    }

    if (rc == 0 && addr_s != NULL) {
        rc = cmp_queue_put(x->e->st, x->txn, channel, lane, mkey, mlen);
        x->e->cd->queued = 1;
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
    int lane, const cmp_provider_t *provider)
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
    cmp_text_literal(w, "}");

    return w->failed ? ENOMEM : 0;
}


/* "#wait" NUL channel NUL address of the last message sent */
static int
cmp_engine_wait_key(cmp_exec_t *x, unsigned char *buf, size_t *len)
{
    const char  *ch, *addr;

    ch = json_string_value(json_object_get(x->inst, "last_channel"));
    addr = json_string_value(json_object_get(x->inst, "last_address"));

    if (ch == NULL || addr == NULL) {
        return -1;
    }

    *len = cmp_fkey(buf, "#wait", ch, strlen(ch), addr, strlen(addr));

    return (*len == 0) ? -1 : 0;
}


static int
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


static int
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


/* the instance is over: no timer, no wait, no longer live */
static int
cmp_engine_finish(cmp_exec_t *x)
{
    int            rc;
    size_t         len;
    MDB_val        k, v;
    const char    *cid, *contact;
    unsigned char  buf[CMP_FKEY_MAX];

    rc = cmp_engine_clear_timer(x);

    if (rc == 0 && cmp_engine_wait_key(x, buf, &len) == 0) {
        k.mv_data = buf;
        k.mv_size = len;

        if (mdb_get(x->txn, x->e->st->dbi[CMP_DB_INSTANCES], &k, &v) == 0
            && v.mv_size == x->key_len
            && memcmp(v.mv_data, x->key, x->key_len) == 0)
        {
            rc = mdb_del(x->txn, x->e->st->dbi[CMP_DB_INSTANCES], &k, NULL);
        }
    }

    cid = json_string_value(json_object_get(x->inst, "campaign_id"));
    contact = json_string_value(json_object_get(x->inst, "contact_id"));

    if (rc == 0 && cid != NULL && contact != NULL) {
        k.mv_data = buf;
        k.mv_size = cmp_fkey(buf, "#live", cid, strlen(cid), contact,
                             strlen(contact));

        rc = mdb_del(x->txn, x->e->st->dbi[CMP_DB_INSTANCES], &k, NULL);
        rc = (rc == MDB_NOTFOUND) ? 0 : rc;
    }

    json_object_del(x->inst, "awaiting");
    json_object_del(x->inst, "wake_at");

    return rc ? rc : cmp_engine_save(x);
}


static int
cmp_engine_save(cmp_exec_t *x)
{
    char  when[CMP_TIME_LEN + 1];

    cmp_time_format(x->now, when);
    json_object_set_new(x->inst, "updated_at", json_string(when));

    x->version++;

    return cmp_inst_put(x->e->st, x->txn, x->key, x->key_len, x->inst,
                        x->seq, x->version);
}


/* an instance with what walking it needs: flow, contact, campaign */
static int
cmp_engine_load(cmp_exec_t *x, const unsigned char *key, size_t len)
{
    int  rc;

    rc = cmp_engine_load_bare(x, key, len);

    if (rc == 0) {
        cmp_engine_load_contact(x);
    }

    return rc;
}


/* the instance, its flow and campaign; its contact is read apart */
static int
cmp_engine_load_bare(cmp_exec_t *x, const unsigned char *key, size_t len)
{
    int            rc;
    const char    *s;
    cmp_record_t   r;

    /* callers may pass x->key itself */
    memmove(x->key, key, len);
    x->key_len = len;

    rc = cmp_inst_get(x->e->st, x->txn, key, len, &x->inst, &x->seq,
                      &x->version);
    if (rc != 0) {
        return rc;
    }

    /* a forward_to_flow moved the instance on to another flow */
    s = json_string_value(json_object_get(x->inst, "current_flow_id"));

    if (s == NULL) {
        s = json_string_value(json_object_get(x->inst, "flow_id"));
    }

    x->flow = cmp_engine_flow(x->e, x->txn, s);

    s = json_string_value(json_object_get(x->inst, "campaign_id"));

    if (s != NULL
        && cmp_record_get(x->e->st, x->txn, &cmp_kind_campaigns, s,
                          strlen(s), &r) == 0)
    {
        x->campaign = cmp_engine_campaign(x->e, &r);
    }

    if (x->flow == NULL) {
        json_object_set_new(x->inst, "status", json_string("failed"));
        json_object_set_new(x->inst, "error",
                            json_string("its flow is gone"));
    }

    return 0;
}


static void
cmp_engine_load_contact(cmp_exec_t *x)
{
    char           err[64];
    const char    *s;
    cmp_record_t   r;

    s = json_string_value(json_object_get(x->inst, "contact_id"));

    if (s != NULL
        && cmp_record_get(x->e->st, x->txn, &cmp_kind_contacts, s,
                          strlen(s), &r) == 0)
    {
        x->contact = cmp_json_parse(r.json, r.len, err, sizeof(err));
    }

    if (x->contact == NULL) {
        x->contact = json_object();
    }
}


static void
cmp_engine_unload(cmp_exec_t *x)
{
    json_decref(x->inst);
    json_decref(x->contact);
    json_decref(x->campaign);

    x->inst = NULL;
    x->contact = NULL;
    x->campaign = NULL;
}


static int
cmp_engine_live(const json_t *inst)
{
    const char  *s;

    s = json_string_value(json_object_get(inst, "status"));

    return s != NULL && (strcmp(s, "running") == 0
                         || strcmp(s, "waiting") == 0);
}


/*
 * The dispatcher's word on a message, in its txn: the instance parked
 * on it goes on (sent) or ends (failed); a test send's list follows.
 */
int
cmp_engine_dispatched(void *data, MDB_txn *txn, const cmp_outcome_t *out,
    int64_t now)
{
    cmp_engine_t *e = data;

    int  rc;

    rc = cmp_engine_outcome(e, txn, out, out->event, now);

    if (rc == 0 && out->opt_out) {
        rc = cmp_engine_contact_opt_out(e, txn, out->contact, now);
    }

    return rc;
}


static int
cmp_engine_outcome(cmp_engine_t *e, MDB_txn *txn, const cmp_outcome_t *out,
    cmp_event_e ev, int64_t now)
{
    int                     rc;
    size_t                  i, n;
    json_t                 *m, *error;
    cmp_exec_t              x;
    const char             *awaiting;
    unsigned char           key[CMP_IKEY_MAX];
    const cmp_flow_node_t  *next;

    if (out->instance == NULL || out->instance[0] == '\0') {
        return 0;
    }

    if (out->campaign != NULL) {
        n = strlen(out->instance) / 2;

        if (n > CMP_IKEY_MAX
            || cmp_unhex(key, out->instance, strlen(out->instance)) != 0)
        {
            return 0;
        }

    } else {
        /* test sends are keyed by their id, in the "#test" family */
        n = cmp_ikey_test(key, out->instance, strlen(out->instance));

        if (n == 0) {
            return 0;
        }
    }

    memset(&x, 0, sizeof(cmp_exec_t));
    x.e = e;
    x.txn = txn;
    x.now = now;

    /* the contact only if the flow goes on past this message */
    rc = cmp_engine_load_bare(&x, key, n);
    if (rc != 0) {
        return (rc == MDB_NOTFOUND) ? 0 : rc;
    }

    error = (out->error != NULL) ? json_string(out->error) : json_null();

    json_array_foreach(json_object_get(x.inst, "messages"), i, m) {
        if (cmp_engine_is(json_object_get(m, "id"), out->id)) {
            json_object_set_new(m, "status", json_string(out->status));
            json_object_set(m, "error", error);
        }
    }

    awaiting = json_string_value(json_object_get(x.inst, "awaiting"));

    if (!cmp_engine_live(x.inst) || awaiting == NULL
        || strcmp(awaiting, out->id) != 0)
    {
        json_decref(error);
        rc = cmp_engine_save(&x);
        cmp_engine_unload(&x);
        return rc;
    }

    json_object_del(x.inst, "awaiting");

    if (x.flow == NULL) {
        rc = cmp_engine_finish(&x);

    } else if (ev == CMP_EVENT_SENT || ev == CMP_EVENT_SKIPPED) {
        if (cmp_node_resume(x.flow, x.inst, ev, NULL, NULL)) {
            next = cmp_node_current(x.flow, x.inst);

            if (next == NULL || next->type != CMP_NODE_END) {
                cmp_engine_load_contact(&x);
            }

            rc = cmp_engine_run(&x);

        } else {
            rc = cmp_engine_finish(&x);
        }

    } else {
        json_object_set_new(x.inst, "status", json_string("failed"));
        json_object_set(x.inst, "error", error);
        rc = cmp_engine_finish(&x);
    }

    json_decref(error);
    cmp_engine_unload(&x);

    return rc;
}


/*
 * A suspended or ended campaign: its live instances stop where they
 * are, their queued messages are skipped.  A chunk per call; 1: more.
 */
int
cmp_engine_cancel(cmp_engine_t *e, const char *campaign, size_t len,
    int64_t now)
{
    int            rc, n, more;
    size_t         plen, klen, mlen;
    MDB_val        k, v;
    json_t        *msg;
    MDB_txn       *txn;
    cmp_exec_t     x;
    MDB_cursor    *cur;
    const char    *aw, *contact;
    unsigned char  prefix[CMP_FKEY_MAX], key[CMP_IKEY_MAX];
    unsigned char  mkey[CMP_MESSAGE_KEY_MAX];
    uint32_t       run;

    plen = cmp_fkey(prefix, "#live", campaign, len, "", 0);
    if (plen == 0) {
        return 0;
    }

    rc = cmp_store_txn_begin(e->st, NULL, 0, &txn);
    if (rc != 0) {
        return 0;
    }

    rc = mdb_cursor_open(txn, e->st->dbi[CMP_DB_INSTANCES], &cur);
    if (rc != 0) {
        mdb_txn_abort(txn);
        return 0;
    }

    more = 0;

    for (n = 0; n < CMP_ENGINE_CHUNK * 2; n++) {
        k.mv_data = prefix;
        k.mv_size = plen;

        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);

        if (rc != 0 || k.mv_size < plen
            || memcmp(k.mv_data, prefix, plen) != 0 || v.mv_size != 4)
        {
            rc = (rc == MDB_NOTFOUND || rc == 0) ? 0 : rc;
            break;
        }

        contact = (char *) k.mv_data + plen;
        run = cmp_be64_get((unsigned char[8]) { 0, 0, 0, 0,
                           ((unsigned char *) v.mv_data)[0],
                           ((unsigned char *) v.mv_data)[1],
                           ((unsigned char *) v.mv_data)[2],
                           ((unsigned char *) v.mv_data)[3] });

        klen = cmp_ikey_run(key, campaign, len, run, contact,
                            k.mv_size - plen);

        rc = mdb_cursor_del(cur, 0);
        if (rc != 0) {
            break;
        }

        memset(&x, 0, sizeof(cmp_exec_t));
        x.e = e;
        x.txn = txn;
        x.now = now;

        rc = cmp_engine_load(&x, key, klen);

        if (rc == MDB_NOTFOUND) {
            rc = 0;
            continue;
        }

        if (rc != 0) {
            break;
        }

        if (cmp_engine_live(x.inst)) {
            aw = json_string_value(json_object_get(x.inst, "awaiting"));

            if (aw != NULL && strlen(aw) / 2 <= CMP_MESSAGE_KEY_MAX
                && cmp_unhex(mkey, aw, strlen(aw)) == 0)
            {
                mlen = strlen(aw) / 2;

                if (cmp_msg_get(e->st, txn, mkey, mlen, &msg) == 0) {
                    if (cmp_engine_is(json_object_get(msg, "status"), "queued"))
                    {
                        /* its queue entry goes when dispatch meets it */
                        json_object_set_new(msg, "error",
                                            json_string("campaign_stopped"));
                        rc = cmp_msg_status(e->st, txn, msg, "skipped",
                                            now);
                        if (rc == 0) {
                            rc = cmp_msg_put(e->st, txn, mkey, mlen, msg);
                        }
                    }

                    json_decref(msg);
                }
            }

            json_object_set_new(x.inst, "status", json_string("cancelled"));

            if (rc == 0) {
                rc = cmp_engine_finish(&x);
            }
        }

        cmp_engine_unload(&x);

        if (rc != 0) {
            break;
        }
    }

    if (rc == 0 && n == CMP_ENGINE_CHUNK * 2) {
        more = 1;
    }

    mdb_cursor_close(cur);

    if (rc != 0) {
        cmp_log_error(e->log, CMP_LOG_ERR, "campaign %.*s: cancelling "
                      "instances failed: %s", (int) len, campaign,
                      mdb_strerror(rc));
        mdb_txn_abort(txn);
        return 0;
    }

    rc = mdb_txn_commit(txn);

    if (rc != 0) {
        cmp_log_error(e->log, CMP_LOG_ERR, "campaign %.*s: commit failed: "
                      "%s", (int) len, campaign, mdb_strerror(rc));
        return 0;
    }

    return more;
}


/* due timers: woken delays, timed-out waits, http calls to make */
int
cmp_engine_timers(cmp_engine_t *e, int64_t now_ms)
{
    int               rc, n, type, ncalls;
    size_t            klen;
    MDB_val           k, v;
    json_t           *msg;
    MDB_txn          *txn;
    int64_t           due;
    cmp_exec_t        x;
    MDB_cursor       *cur;
    cmp_engine_call_t  *calls[CMP_ENGINE_CHUNK], *call;
    unsigned char     key[CMP_FKEY_MAX + 9];

    rc = cmp_store_txn_begin(e->st, NULL, MDB_RDONLY, &txn);
    if (rc != 0) {
        return 0;
    }

    rc = mdb_cursor_open(txn, e->st->dbi[CMP_DB_TIMERS], &cur);

    if (rc == 0) {
        rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
        mdb_cursor_close(cur);
    }

    due = (rc == 0 && k.mv_size >= 9) ? (int64_t) cmp_be64_get(k.mv_data)
                                      : INT64_MAX;
    mdb_txn_abort(txn);

    if (due > now_ms) {
        return 0;
    }

    rc = cmp_store_txn_begin(e->st, NULL, 0, &txn);
    if (rc != 0) {
        return 0;
    }

    ncalls = 0;

    for (n = 0; n < CMP_ENGINE_CHUNK; n++) {
        rc = mdb_cursor_open(txn, e->st->dbi[CMP_DB_TIMERS], &cur);
        if (rc != 0) {
            break;
        }

        rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);

        if (rc != 0 || k.mv_size < 9
            || (int64_t) cmp_be64_get(k.mv_data) > now_ms
            || k.mv_size > sizeof(key))
        {
            mdb_cursor_close(cur);
            rc = (rc == MDB_NOTFOUND) ? 0 : rc;
            break;
        }

        memcpy(key, k.mv_data, k.mv_size);
        klen = k.mv_size;
        type = key[8];

        rc = mdb_cursor_del(cur, 0);
        mdb_cursor_close(cur);

        if (rc != 0) {
            break;
        }

        if (type == CMP_TIMER_RETRY) {
            /* a throttled message's time to go again */
            if (cmp_msg_get(e->st, txn, key + 9, klen - 9, &msg) == 0) {
                if (cmp_engine_is(json_object_get(msg, "status"), "queued"))
                {
                    rc = cmp_queue_put(e->st, txn,
                             json_string_value(json_object_get(msg,
                                                               "channel_id")),
                             (int) json_integer_value(json_object_get(msg,
                                                                   "lane")),
                             key + 9, klen - 9);
                    e->cd->queued = 1;
                }

                json_decref(msg);
            }

            if (rc != 0) {
                break;
            }

            continue;
        }

        memset(&x, 0, sizeof(cmp_exec_t));
        x.e = e;
        x.txn = txn;
        x.now = now_ms / 1000;

        rc = cmp_engine_load(&x, key + 9, klen - 9);

        if (rc == MDB_NOTFOUND) {
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
                      mdb_strerror(rc));
        mdb_txn_abort(txn);
        ncalls = 0;

    } else if ((rc = mdb_txn_commit(txn)) != 0) {
        cmp_log_error(e->log, CMP_LOG_ERR, "timers: commit failed: %s",
                      mdb_strerror(rc));
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
    unsigned char           wk[CMP_FKEY_MAX];
    size_t                  wlen;
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
        if (cmp_engine_wait_key(x, wk, &wlen) == 0) {
            MDB_val  k, v;

            k.mv_data = wk;
            k.mv_size = wlen;

            if (mdb_get(x->txn, x->e->st->dbi[CMP_DB_INSTANCES], &k, &v) == 0
                && v.mv_size == x->key_len
                && memcmp(v.mv_data, x->key, x->key_len) == 0)
            {
                rc = mdb_del(x->txn, x->e->st->dbi[CMP_DB_INSTANCES], &k,
                             NULL);
                if (rc != 0) {
                    return rc;
                }
            }
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


/* renders and starts an http_request node's call, after the commit */
static void
cmp_engine_http_start(cmp_engine_t *e, cmp_engine_call_t *call)
{
    int                     rc, post;
    char                   *url, *val, *line;
    char                   *lines[CMP_ENGINE_HEADERS];
    size_t                  len, vlen, n, i;
    json_t                 *v, *t;
    MDB_txn                *txn;
    cmp_exec_t              x;
    const char             *key, *method;
    cmp_http_req_t         *r;
    cmp_template_ctx_t      tctx;
    const cmp_flow_node_t  *node;

    rc = cmp_store_txn_begin(e->st, NULL, MDB_RDONLY, &txn);
    if (rc != 0) {
        free(call);
        return;
    }

    memset(&x, 0, sizeof(cmp_exec_t));
    x.e = e;
    x.txn = txn;

    if (cmp_engine_load(&x, call->key, call->key_len) != 0) {
        mdb_txn_abort(txn);
        free(call);
        return;
    }

    node = x.flow ? cmp_node_current(x.flow, x.inst) : NULL;

    if (node == NULL || node->type != CMP_NODE_HTTP_REQUEST) {
        cmp_engine_unload(&x);
        mdb_txn_abort(txn);
        free(call);
        return;
    }

    memset(&tctx, 0, sizeof(cmp_template_ctx_t));
    tctx.contact = x.contact;
    tctx.vars = json_object_get(x.inst, "variables");
    tctx.run = json_integer_value(json_object_get(x.inst, "run"));

    if (x.campaign != NULL) {
        tctx.campaign_id = json_string_value(json_object_get(x.campaign,
                                                             "id"));
        tctx.campaign_name = json_string_value(json_object_get(x.campaign,
                                                               "name"));
        tctx.group_id = json_string_value(json_object_get(x.campaign,
                                                          "group_id"));
    }

    v = json_object_get(node->json, "url");
    url = cmp_template_render(json_string_value(v) ? json_string_value(v)
                                                   : "",
                              json_string_length(v), &tctx, &len);

    method = json_string_value(json_object_get(node->json, "method"));
    post = (method != NULL && strcmp(method, "POST") == 0);
    t = json_object_get(node->json, "timeout_seconds");

    r = (url != NULL) ? cmp_http_new(e->http, &e->owner) : NULL;

    v = json_object_get(node->json, "body");

    if (r != NULL && post && json_is_string(v)) {
        val = cmp_template_render(json_string_value(v),
                                  json_string_length(v), &tctx, &vlen);
        if (val != NULL) {
            cmp_text_add(&r->body, val, vlen);
            free(val);
        }
    }

    n = 0;

    json_object_foreach(json_object_get(node->json, "headers"), key, v) {
        if (n == CMP_ENGINE_HEADERS) {
            break;
        }

        val = json_is_string(v)
              ? cmp_template_render(json_string_value(v),
                                    json_string_length(v), &tctx, &vlen)
              : NULL;

        line = malloc(strlen(key) + (val ? vlen : 0) + 3);

        if (line != NULL) {
            sprintf(line, "%s: %s", key, val ? val : "");
            lines[n++] = line;
        }

        free(val);
    }

    cmp_engine_unload(&x);
    mdb_txn_abort(txn);

    rc = -1;

    if (r != NULL) {
        r->ctx = call;
        rc = cmp_http_prepare(r, url, post, NULL, (const char *const *) lines,
                              n, json_is_integer(t)
                                 ? (long) json_integer_value(t) : 5);
    }

    for (i = 0; i < n; i++) {
        free(lines[i]);
    }

    free(url);

    if (rc != 0) {
        if (r != NULL) {
            cmp_http_free(e->http, r);
        }

        cmp_engine_http_done(call, 0, NULL, 0, "the request could not start");
        return;
    }

    cmp_http_submit(e->http, r);
}


/* answers of http_request nodes, each in a txn of its own */
static void
cmp_engine_http_answers(void *data, cmp_http_req_t *reqs)
{
    cmp_engine_t *e = data;

    cmp_http_req_t  *r;

    while (reqs != NULL) {
        r = reqs;
        reqs = r->next;

        cmp_engine_http_done(r->ctx, r->status, r->answer.data,
                             r->answer.len, r->error);
        cmp_http_free(e->http, r);
    }
}


static void
cmp_engine_http_done(void *data, long status, const char *body, size_t len,
    const char *error)
{
    cmp_engine_call_t *call = data;

    int                     rc, ok;
    char                    err[64];
    json_t                 *answer;
    MDB_txn                *txn;
    cmp_exec_t              x;
    cmp_engine_t           *e;
    const cmp_flow_node_t  *node;

    e = call->e;
    answer = NULL;
    ok = (error == NULL && status >= 200 && status < 300);

    if (ok) {
        answer = cmp_json_parse(body ? body : "", len, err, sizeof(err));
        ok = (answer != NULL);
    }

    rc = cmp_store_txn_begin(e->st, NULL, 0, &txn);
    if (rc != 0) {
        json_decref(answer);
        free(call);
        return;
    }

    memset(&x, 0, sizeof(cmp_exec_t));
    x.e = e;
    x.txn = txn;
    x.now = time(NULL);

    rc = cmp_engine_load(&x, call->key, call->key_len);

    if (rc == 0) {
        node = x.flow ? cmp_node_current(x.flow, x.inst) : NULL;

        if (cmp_engine_live(x.inst) && node != NULL
            && node->type == CMP_NODE_HTTP_REQUEST)
        {
            rc = cmp_engine_clear_timer(&x);

            if (rc == 0) {
                rc = cmp_node_resume(x.flow, x.inst,
                                     ok ? CMP_EVENT_HTTP_OK
                                        : CMP_EVENT_HTTP_FAIL, NULL, answer)
                     ? cmp_engine_run(&x) : cmp_engine_finish(&x);
            }
        }

        cmp_engine_unload(&x);
    }

    if (rc == 0 || rc == MDB_NOTFOUND) {
        rc = mdb_txn_commit(txn);

    } else {
        mdb_txn_abort(txn);
    }

    if (rc != 0) {
        cmp_log_error(e->log, CMP_LOG_ERR, "http_request outcome not "
                      "recorded: %s", mdb_strerror(rc));
    }

    json_decref(answer);
    free(call);
}


/* marks a contact opted out (131050, STOP, a Viber unsubscribe) */
int
cmp_engine_contact_opt_out(cmp_engine_t *e, MDB_txn *txn,
    const char *contact_id, int64_t now)
{
    int            rc;
    char           when[CMP_TIME_LEN + 1];
    json_t        *rec, *body;
    cmp_op_t       op;
    cmp_record_t   meta;

    if (contact_id == NULL || strlen(contact_id) > CMP_ID_MAX) {
        return 0;
    }

    body = json_object();
    cmp_op_init(&op, e->st, NULL, &cmp_kind_contacts);
    op.txn = txn;
    op.now = now;
    op.body = body;
    op.id_len = strlen(contact_id);
    memcpy(op.id, contact_id, op.id_len + 1);

    rc = 0;

    if (cmp_resource_load(&op, &rec, &meta) == CMP_OK) {
        if (!json_is_true(json_object_get(rec, "opted_out"))) {
            cmp_time_format(now, when);
            json_object_set_new(rec, "opted_out", json_true());
            json_object_set_new(rec, "opted_out_at", json_string(when));

            if (cmp_resource_store(&op, rec, &meta) != CMP_OK) {
                rc = EIO;
            }
        }

        json_decref(rec);
    }

    cmp_op_free(&op);
    json_decref(body);

    return rc;
}


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
        || cmp_msg_get(x->e->st, x->txn, key, len / 2, &msg) != 0)
    {
        return cmp_count(x->e->st, x->txn, x->inst, "replied", 1);
    }

    rc = 0;

    if (json_object_get(msg, "replied_at") == NULL) {
        cmp_time_format(x->now, when);
        json_object_set_new(msg, "replied_at", json_string(when));

        rc = cmp_msg_put(x->e->st, x->txn, key, len / 2, msg);

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
cmp_engine_waiting(cmp_engine_t *e, MDB_txn *txn, json_t *ev, cmp_exec_t *x)
{
    int            rc;
    size_t         len;
    MDB_val        k, v;
    const char    *ch, *from;
    unsigned char  wk[CMP_FKEY_MAX];

    ch = json_string_value(json_object_get(ev, "channel_id"));
    from = json_string_value(json_object_get(ev, "from"));

    if (ch == NULL || from == NULL) {
        return 1;
    }

    /* WhatsApp's "from" has no '+'; our addresses have none either */
    if (*from == '+') {
        from++;
    }

    len = cmp_fkey(wk, "#wait", ch, strlen(ch), from, strlen(from));
    if (len == 0) {
        return 1;
    }

    k.mv_data = wk;
    k.mv_size = len;

    rc = mdb_get(txn, e->st->dbi[CMP_DB_INSTANCES], &k, &v);

    if (rc == MDB_NOTFOUND || (rc == 0 && v.mv_size > CMP_IKEY_MAX)) {
        return 1;
    }

    if (rc != 0) {
        return rc;
    }

    memcpy(x->key, v.mv_data, v.mv_size);
    x->key_len = v.mv_size;

    rc = mdb_del(txn, e->st->dbi[CMP_DB_INSTANCES], &k, NULL);
    if (rc != 0) {
        return rc;
    }

    rc = cmp_engine_load(x, x->key, x->key_len);

    return (rc == MDB_NOTFOUND) ? 1 : rc;
}


/* a contact's reply wakes its newest waiting instance on that channel */
static int
cmp_engine_reply(cmp_engine_t *e, MDB_txn *txn, json_t *ev, int64_t now)
{
    int                     rc;
    cmp_exec_t              x;
    const char             *text;
    const cmp_flow_node_t  *node;

    text = json_string_value(json_object_get(ev, "text"));

    memset(&x, 0, sizeof(cmp_exec_t));
    x.e = e;
    x.txn = txn;
    x.now = now;

    rc = cmp_engine_waiting(e, txn, ev, &x);
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
cmp_engine_opted_out(cmp_engine_t *e, MDB_txn *txn, json_t *ev,
    int64_t now)
{
    int         rc;
    cmp_exec_t  x;

    memset(&x, 0, sizeof(cmp_exec_t));
    x.e = e;
    x.txn = txn;
    x.now = now;

    rc = cmp_engine_waiting(e, txn, ev, &x);
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
cmp_engine_opt_out_event(cmp_engine_t *e, MDB_txn *txn, json_t *ev,
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
    int          rc, n;
    char         err[64];
    MDB_val      k, v;
    json_t      *ev;
    MDB_txn     *txn;
    MDB_cursor  *cur;
    const char  *type;

    rc = cmp_store_txn_begin(e->st, NULL, MDB_RDONLY, &txn);
    if (rc != 0) {
        return 0;
    }

    rc = mdb_cursor_open(txn, e->st->dbi[CMP_DB_INBOX], &cur);

    if (rc == 0) {
        rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
        mdb_cursor_close(cur);
    }

    mdb_txn_abort(txn);

    if (rc != 0) {
        return 0;
    }

    rc = cmp_store_txn_begin(e->st, NULL, 0, &txn);
    if (rc != 0) {
        return 0;
    }

    for (n = 0; n < CMP_ENGINE_CHUNK; n++) {
        rc = mdb_cursor_open(txn, e->st->dbi[CMP_DB_INBOX], &cur);
        if (rc != 0) {
            break;
        }

        rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);

        if (rc != 0) {
            mdb_cursor_close(cur);
            rc = (rc == MDB_NOTFOUND) ? 0 : rc;
            break;
        }

        ev = cmp_json_parse(v.mv_data, v.mv_size, err, sizeof(err));

        rc = mdb_cursor_del(cur, 0);
        mdb_cursor_close(cur);

        if (rc != 0) {
            json_decref(ev);
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
        cmp_log_error(e->log, CMP_LOG_ERR, "inbox: %s", mdb_strerror(rc));
        mdb_txn_abort(txn);
        return 0;
    }

    rc = mdb_txn_commit(txn);

    return (rc == 0 && n == CMP_ENGINE_CHUNK);
}


static int
cmp_engine_test_start(cmp_engine_t *e, MDB_txn *txn, const char *id,
    size_t len, int64_t now)
{
    int         rc;
    char        err[64];
    cmp_exec_t  x;

    memset(&x, 0, sizeof(cmp_exec_t));
    x.e = e;
    x.txn = txn;
    x.now = now;

    x.key_len = cmp_ikey_test(x.key, id, len);

    rc = cmp_engine_load(&x, x.key, x.key_len);
    if (rc != 0) {
        return (rc == MDB_NOTFOUND) ? 0 : rc;
    }

    (void) err;

    if (!cmp_engine_is(json_object_get(x.inst, "status"), "queued"))
    {
        cmp_engine_unload(&x);
        return 0;
    }

    json_object_set_new(x.inst, "status", json_string("running"));

    if (x.flow == NULL) {
        json_object_set_new(x.inst, "status", json_string("failed"));
        rc = cmp_engine_finish(&x);

    } else {
        rc = cmp_engine_run(&x);
    }

    cmp_engine_unload(&x);

    return rc;
}


/* test sends queued by POST /flows/{id}/trigger, oldest first */
int
cmp_engine_tests(cmp_engine_t *e, int64_t now)
{
    int       rc, n;
    char      id[CMP_ID_MAX + 1];
    size_t    len;
    MDB_txn  *txn;
    uint64_t  seq;

    for (n = 0; n < CMP_ENGINE_CHUNK; n++) {
        rc = cmp_store_txn_begin(e->st, NULL, 0, &txn);
        if (rc != 0) {
            return 0;
        }

        rc = cmp_instance_next_queued(e->st, txn, &seq, id, &len);

        if (rc != 0) {
            mdb_txn_abort(txn);
            return 0;
        }

        rc = cmp_instance_dequeue(e->st, txn, seq, id, len);

        if (rc == 0) {
            rc = cmp_engine_test_start(e, txn, id, len, now);
        }

        if (rc == 0) {
            rc = mdb_txn_commit(txn);

        } else {
            mdb_txn_abort(txn);
        }

        if (rc != 0) {
            cmp_log_error(e->log, CMP_LOG_ERR, "test send %s: %s", id,
                          mdb_strerror(rc));
            return 0;
        }

        cmp_log_error(e->log, CMP_LOG_INFO, "test send %s started", id);
    }

    return 1;
}
