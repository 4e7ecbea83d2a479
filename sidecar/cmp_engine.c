
/*
 * The flow engine's instances: one per contact per run (and per test
 * send), loaded, walked node by node, stored, finished and cancelled.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_engine_int.h"


/* a stopping campaign's chunk of instances, in one write txn */
typedef struct {
    cmp_engine_t       *e;
    cmp_txn_t          *txn;
    const char         *campaign;
    size_t              len;
    const char         *reason;
    int64_t             now;
} cmp_engine_cancel_t;


static json_t *cmp_engine_campaign(cmp_engine_t *e, const cmp_record_t *r);
static const cmp_flow_t *cmp_engine_flow(cmp_engine_t *e, cmp_txn_t *txn,
    const char *id);
static int cmp_engine_load_bare(cmp_exec_t *x, const unsigned char *key,
    size_t len);
static void cmp_engine_load_contact(cmp_exec_t *x);
static int cmp_engine_outcome(cmp_engine_t *e, cmp_txn_t *txn,
    const cmp_outcome_t *out, cmp_event_e ev, int64_t now);
static int cmp_engine_cancel_one(void *ctx, const char *contact, size_t clen,
    uint32_t run);


int
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
cmp_engine_flow(cmp_engine_t *e, cmp_txn_t *txn, const char *id)
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
cmp_engine_start(cmp_engine_t *e, cmp_txn_t *txn, int64_t now,
    const json_t *campaign, uint32_t run, const char *contact_id,
    size_t contact_len, json_t *contact, const char **skipped)
{
    int            rc;
    char           hex[2 * CMP_INSTANCE_KEY_MAX + 1], when[CMP_TIME_LEN + 1];
    size_t         len;
    json_t        *vars;
    uint64_t       seq;
    cmp_exec_t     x;
    const char    *cid;

    *skipped = NULL;
    cid = json_string_value(json_object_get(campaign, "id"));

    if (json_is_true(json_object_get(contact, "opted_out"))) {
        *skipped = CMP_SKIP_OPTED_OUT;
        return 0;
    }

    rc = cmp_live_get(e->st, txn, cid, strlen(cid), contact_id, contact_len,
                      NULL);

    if (rc == 0) {
        *skipped = CMP_SKIP_LIVE_INSTANCE;
        return 0;
    }

    if (rc != CMP_NOTFOUND) {
        return rc;
    }

    rc = cmp_live_put(e->st, txn, cid, strlen(cid), contact_id, contact_len,
                      run);
    if (rc != 0) {
        return rc;
    }

    memset(&x, 0, sizeof(cmp_exec_t));
    x.e = e;
    x.txn = txn;
    x.now = now;
    x.key_len = cmp_instance_run_key(x.key, cid, strlen(cid), run, contact_id,
                             contact_len);
    x.flow = cmp_engine_flow(e, txn,
                 json_string_value(json_object_get(campaign, "flow_id")));
    x.contact = contact;
    x.campaign = (json_t *) campaign;

    if (x.flow == NULL || x.flow->start == NULL) {
        return CMP_NOTFOUND;
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
int
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
                rc = cmp_engine_wait_put(x);
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


/* the instance is over: no timer, no wait, no longer live */
int
cmp_engine_finish(cmp_exec_t *x)
{
    int          rc;
    const char  *cid, *contact;

    rc = cmp_engine_clear_timer(x);

    if (rc == 0) {
        rc = cmp_engine_wait_del(x);
    }

    cid = json_string_value(json_object_get(x->inst, "campaign_id"));
    contact = json_string_value(json_object_get(x->inst, "contact_id"));

    if (rc == 0 && cid != NULL && contact != NULL) {
        rc = cmp_live_del(x->e->st, x->txn, cid, strlen(cid), contact,
                          strlen(contact));
    }

    json_object_del(x->inst, "awaiting");
    json_object_del(x->inst, "wake_at");

    return rc ? rc : cmp_engine_save(x);
}


int
cmp_engine_save(cmp_exec_t *x)
{
    char  when[CMP_TIME_LEN + 1];

    cmp_time_format(x->now, when);
    json_object_set_new(x->inst, "updated_at", json_string(when));

    x->version++;

    return cmp_instance_save(x->e->st, x->txn, x->key, x->key_len, x->inst,
                        x->seq, x->version);
}


/* an instance with what walking it needs: flow, contact, campaign */
int
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

    rc = cmp_instance_load(x->e->st, x->txn, key, len, &x->inst, &x->seq,
                      &x->version);
    if (rc != 0) {
        return rc;
    }

    s = json_string_value(json_object_get(x->inst, "campaign_id"));

    if (s != NULL) {
        rc = cmp_record_get(x->e->st, x->txn, &cmp_kind_campaigns, s,
                            strlen(s), &r);

        /* deleted: the purge removes the instance, nothing walks it */
        if (rc != 0) {
            json_decref(x->inst);
            x->inst = NULL;
            return rc;
        }

        x->campaign = cmp_engine_campaign(x->e, &r);
    }

    /* a forward_to_flow moved the instance on to another flow */
    s = json_string_value(json_object_get(x->inst, "current_flow_id"));

    if (s == NULL) {
        s = json_string_value(json_object_get(x->inst, "flow_id"));
    }

    x->flow = cmp_engine_flow(x->e, x->txn, s);

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


void
cmp_engine_unload(cmp_exec_t *x)
{
    json_decref(x->inst);
    json_decref(x->contact);
    json_decref(x->campaign);

    x->inst = NULL;
    x->contact = NULL;
    x->campaign = NULL;
}


int
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
cmp_engine_dispatched(void *data, cmp_txn_t *txn, const cmp_outcome_t *out,
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
cmp_engine_outcome(cmp_engine_t *e, cmp_txn_t *txn, const cmp_outcome_t *out,
    cmp_event_e ev, int64_t now)
{
    int                     rc;
    size_t                  i, n;
    json_t                 *m, *error;
    cmp_exec_t              x;
    const char             *awaiting;
    unsigned char           key[CMP_INSTANCE_KEY_MAX];
    const cmp_flow_node_t  *next;

    if (out->instance == NULL || out->instance[0] == '\0') {
        return 0;
    }

    if (out->campaign != NULL) {
        n = strlen(out->instance) / 2;

        if (n > CMP_INSTANCE_KEY_MAX
            || cmp_unhex(key, out->instance, strlen(out->instance)) != 0)
        {
            return 0;
        }

    } else {
        /* test sends are keyed by their id, in the "#test" family */
        n = cmp_instance_test_key(key, out->instance, strlen(out->instance));

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
        return (rc == CMP_NOTFOUND) ? 0 : rc;
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


/* one live instance of a stopping campaign, out of "#live" already */
static int
cmp_engine_cancel_one(void *ctx, const char *contact, size_t clen,
    uint32_t run)
{
    cmp_engine_cancel_t *c = ctx;

    int            rc;
    size_t         klen, mlen;
    json_t        *msg;
    cmp_exec_t     x;
    const char    *aw;
    unsigned char  key[CMP_INSTANCE_KEY_MAX], mkey[CMP_MESSAGE_KEY_MAX];

    klen = cmp_instance_run_key(key, c->campaign, c->len, run, contact, clen);

    memset(&x, 0, sizeof(cmp_exec_t));
    x.e = c->e;
    x.txn = c->txn;
    x.now = c->now;

    rc = cmp_engine_load(&x, key, klen);

    if (rc == CMP_NOTFOUND) {
        return 0;
    }

    if (rc != 0) {
        return rc;
    }

    if (cmp_engine_live(x.inst)) {
        aw = json_string_value(json_object_get(x.inst, "awaiting"));

        if (aw != NULL && strlen(aw) / 2 <= CMP_MESSAGE_KEY_MAX
            && cmp_unhex(mkey, aw, strlen(aw)) == 0)
        {
            mlen = strlen(aw) / 2;

            if (cmp_message_load(x.e->st, x.txn, mkey, mlen, &msg) == 0) {
                if (cmp_engine_is(json_object_get(msg, "status"), "queued"))
                {
                    /* its queue entry goes when dispatch meets it */
                    json_object_set_new(msg, "error",
                                        json_string("campaign_stopped"));
                    rc = cmp_message_set_status(x.e->st, x.txn, msg,
                                                "skipped", x.now);
                    if (rc == 0) {
                        rc = cmp_funnel_skip(x.e->st, x.txn, c->campaign,
                                             c->len, run, c->reason);
                    }
                    if (rc == 0) {
                        rc = cmp_message_save(x.e->st, x.txn, mkey, mlen,
                                              "queued", msg);
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

    return rc;
}


/*
 * A suspended or ended campaign: its live instances stop where they
 * are, their queued messages are skipped for reason (CMP_SKIP_*).  A
 * chunk per call; 1: more.
 */
int
cmp_engine_cancel(cmp_engine_t *e, const char *campaign, size_t len,
    const char *reason, int64_t now)
{
    int                   rc, more;
    unsigned              n;
    cmp_engine_cancel_t   c;

    rc = cmp_store_txn_begin(e->st, NULL, 0, &c.txn);
    if (rc != 0) {
        return 0;
    }

    c.e = e;
    c.campaign = campaign;
    c.len = len;
    c.reason = reason;
    c.now = now;

    rc = cmp_live_take(e->st, c.txn, campaign, len, CMP_ENGINE_CHUNK * 2,
                       cmp_engine_cancel_one, &c, &n);

    more = (rc == 0 && n == CMP_ENGINE_CHUNK * 2);

    if (rc != 0) {
        cmp_log_error(e->log, CMP_LOG_ERR, "campaign %.*s: cancelling "
                      "instances failed: %s", (int) len, campaign,
                      cmp_strerror(rc));
        cmp_txn_abort(c.txn);
        return 0;
    }

    rc = cmp_txn_commit(c.txn);

    if (rc != 0) {
        cmp_log_error(e->log, CMP_LOG_ERR, "campaign %.*s: commit failed: "
                      "%s", (int) len, campaign, cmp_strerror(rc));
        return 0;
    }

    return more;
}


/* marks a contact opted out (131050, STOP, a Viber unsubscribe) */
int
cmp_engine_contact_opt_out(cmp_engine_t *e, cmp_txn_t *txn,
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
