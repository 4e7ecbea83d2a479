
/*
 * Flows: the unpublished <-> published states, the channel references a
 * published flow holds, and test sends queued for campaignd.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_flow_resource.h"
#include "cmp_instance.h"
#include "cmp_validate.h"
#include "cmp_provider.h"


static int cmp_flow_new(cmp_op_t *op);
static int cmp_flow_apply(cmp_op_t *op, json_t *rec, int create);
static int cmp_flow_published(const json_t *rec);
static int cmp_flow_in_use(cmp_op_t *op, const char *what);
static int cmp_flow_channel_refs(cmp_op_t *op, json_t *rec, int64_t delta);
static int cmp_flow_channel_type(void *data, const char *id, size_t len,
    char *type, size_t size);
static int cmp_flow_status(void *data, const char *id, size_t len,
    int *status);
static int cmp_flow_test_send_reply(cmp_op_t *op, const char *id, size_t len,
    const char *status);
static int cmp_flow_check_variables(cmp_op_t *op, json_t *vars);


/* PATCH names the same fields; an "id" in it is refused by name */
static const char *const  cmp_flow_fields[] = {
    "id", "name", "description", "trigger", "definition", NULL
};

static const char *const  cmp_flow_no_fields[] = {
    NULL
};

static const char *const  cmp_flow_test_send_fields[] = {
    "contact_id", "variables", NULL
};


int
cmp_flow_create(cmp_op_t *op)
{
    return cmp_flow_new(op);
}


/* an exported document (name, description, trigger, definition) */
int
cmp_flow_import(cmp_op_t *op)
{
    return cmp_flow_new(op);
}


static int
cmp_flow_new(cmp_op_t *op)
{
    int      rc;
    json_t  *rec, *id;

    if (cmp_check_object(op, op->body, "") != CMP_OK
        || cmp_check_fields(op, op->body, "", cmp_flow_fields)
           != CMP_OK
        || cmp_check_id(op, op->body) != CMP_OK)
    {
        return CMP_FAIL;
    }

    id = json_object_get(op->body, "id");

    /* "/flows/import" is a route: a flow of that id could not be read */
    if (id != NULL && strcmp(json_string_value(id), "import") == 0) {
        return cmp_op_fail(op, 422, "validation_failed", "id",
                           "id \"import\" is reserved");
    }

    rec = json_object();
    if (rec == NULL) {
        return cmp_op_fail(op, 500, "internal_error", NULL, "out of memory");
    }

    if (id != NULL) {
        json_object_set(rec, "id", id);
    }

    json_object_set_new(rec, "name", json_null());
    json_object_set_new(rec, "description", json_null());
    json_object_set_new(rec, "trigger", json_string("manual"));
    json_object_set_new(rec, "status", json_string("unpublished"));
    json_object_set_new(rec, "definition",
                        json_pack("{s:n,s:[]}", "start", "nodes"));
    json_object_set_new(rec, "published_at", json_null());

    rc = cmp_flow_apply(op, rec, 1);

    if (rc == CMP_OK) {
        rc = cmp_resource_create(op, rec);
    }

    json_decref(rec);

    return rc;
}


static int
cmp_flow_apply(cmp_op_t *op, json_t *rec, int create)
{
    int          rc;
    char         field[256], err[256];
    size_t       i;
    json_t      *v;
    const char  *s;
    const char  *triggers[CMP_PROVIDER_MAX + 2];

    if (cmp_check_string(op, op->body, "", "name", 1, CMP_FLOW_NAME_MAX,
                         create ? CMP_REQUIRED : CMP_OPTIONAL, &s)
        != CMP_OK)
    {
        return CMP_FAIL;
    }

    if (s != NULL) {
        json_object_set_new(rec, "name", json_string(s));
    }

    v = json_object_get(op->body, "description");

    if (v != NULL && json_is_null(v)) {
        json_object_set_new(rec, "description", json_null());

    } else if (cmp_check_string(op, op->body, "", "description", 0,
                                CMP_FLOW_DESCRIPTION_MAX, CMP_OPTIONAL, &s)
               != CMP_OK)
    {
        return CMP_FAIL;

    } else if (s != NULL) {
        json_object_set_new(rec, "description", json_string(s));
    }

    /* manual, or a message on one of the providers */
    triggers[0] = "manual";

    for (i = 0; cmp_providers[i] != NULL; i++) {
        triggers[i + 1] = cmp_providers[i]->name;
    }

    triggers[i + 1] = NULL;

    if (cmp_check_enum(op, op->body, "", "trigger", triggers, CMP_OPTIONAL,
                       &s)
        != CMP_OK)
    {
        return CMP_FAIL;
    }

    if (s != NULL) {
        json_object_set_new(rec, "trigger", json_string(s));
    }

    v = json_object_get(op->body, "definition");

    if (v == NULL) {
        return CMP_OK;
    }

    rc = cmp_flow_check_shape(v, field, sizeof(field), err, sizeof(err));

    if (rc != CMP_FLOW_SHAPE_OK) {
        return cmp_op_fail(op, 422, rc == CMP_FLOW_SHAPE_UNKNOWN
                                    ? "unknown_field" : "validation_failed",
                           field, "%s", err);
    }

    json_object_set(rec, "definition", v);

    return CMP_OK;
}


static int
cmp_flow_published(const json_t *rec)
{
    const char  *s;

    s = json_string_value(json_object_get(rec, "status"));

    return s != NULL && strcmp(s, "published") == 0;
}


int
cmp_flow_update(cmp_op_t *op)
{
    int            rc;
    json_t        *rec, *v;
    size_t         i;
    cmp_record_t   meta;
    static const char *const  frozen[] = { "trigger", "definition" };

    if (cmp_check_object(op, op->body, "") != CMP_OK
        || cmp_check_fields(op, op->body, "", cmp_flow_fields)
           != CMP_OK)
    {
        return CMP_FAIL;
    }

    if (json_object_get(op->body, "id") != NULL) {
        return cmp_op_fail(op, 422, "validation_failed", "id",
                           "id cannot change");
    }

    if (cmp_resource_load(op, &rec, &meta) != CMP_OK) {
        return CMP_FAIL;
    }

    /* sending the published value back unchanged is no change */
    if (cmp_flow_published(rec)) {
        for (i = 0; i < sizeof(frozen) / sizeof(frozen[0]); i++) {
            v = json_object_get(op->body, frozen[i]);

            if (v != NULL && !json_equal(v, json_object_get(rec, frozen[i])))
            {
                json_decref(rec);
                return cmp_op_fail(op, 409, "invalid_state", frozen[i],
                                   "flow \"%s\" is published: only name and "
                                   "description can change; unpublish it "
                                   "to change its %s", op->id, frozen[i]);
            }
        }
    }

    rc = cmp_flow_apply(op, rec, 0);

    if (rc == CMP_OK) {
        rc = cmp_resource_store(op, rec, &meta);
    }

    json_decref(rec);

    return rc;
}


/* a campaign that is not completed holds a "flow" reference */
static int
cmp_flow_in_use(cmp_op_t *op, const char *what)
{
    int       rc;
    uint64_t  refs;

    rc = cmp_ref_count(op->store, op->txn, "flow", op->id, op->id_len,
                       &refs);
    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    if (refs > 0) {
        return cmp_op_fail(op, 409, "conflict", NULL,
                           "flow \"%s\" is used by %llu campaign(s) that are "
                           "pending, running or paused; it cannot be %s",
                           op->id, (unsigned long long) refs, what);
    }

    return CMP_OK;
}


int
cmp_flow_delete(cmp_op_t *op)
{
    int            published;
    json_t        *rec;
    cmp_record_t   meta;

    if (cmp_resource_load(op, &rec, &meta) != CMP_OK) {
        return CMP_FAIL;
    }

    published = cmp_flow_published(rec);
    json_decref(rec);

    if (cmp_flow_in_use(op, "deleted") != CMP_OK) {
        return CMP_FAIL;
    }

    if (published) {
        return cmp_op_fail(op, 409, "invalid_state", NULL,
                           "flow \"%s\" is published; unpublish it before "
                           "deleting it", op->id);
    }

    return cmp_resource_remove(op);
}


/*
 * Each distinct channel of a published flow counts one reference, so a
 * channel is not deleted under a flow that would send through it.  The
 * definition cannot change while published: unpublish finds the same set.
 */
static int
cmp_flow_channel_refs(cmp_op_t *op, json_t *rec, int64_t delta)
{
    int          rc;
    size_t       i;
    json_t      *channels, *id;
    cmp_flow_t   flow;

    if (cmp_flow_load(&flow, json_object_get(rec, "definition")) != 0) {
        return cmp_op_fail(op, 500, "internal_error", NULL, "out of memory");
    }

    channels = cmp_flow_channels(&flow);
    cmp_flow_free(&flow);

    if (channels == NULL) {
        return cmp_op_fail(op, 500, "internal_error", NULL, "out of memory");
    }

    rc = 0;

    json_array_foreach(channels, i, id) {
        rc = cmp_ref_add(op->store, op->txn, "channel",
                         json_string_value(id), json_string_length(id),
                         delta);
        if (rc != 0) {
            break;
        }
    }

    json_decref(channels);

    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    return CMP_OK;
}


int
cmp_flow_publish(cmp_op_t *op)
{
    int                 n, rc;
    json_t             *rec, *errors;
    cmp_flow_t          flow;
    cmp_record_t        meta;
    cmp_flow_store_t    data;
    cmp_flow_lookup_t   lookup;
    char                now[CMP_TIME_LEN + 1];

    if (cmp_check_object(op, op->body, "") != CMP_OK
        || cmp_check_fields(op, op->body, "", cmp_flow_no_fields) != CMP_OK)
    {
        return CMP_FAIL;
    }

    if (cmp_resource_load(op, &rec, &meta) != CMP_OK) {
        return CMP_FAIL;
    }

    if (cmp_flow_published(rec)) {
        json_decref(rec);
        return cmp_op_fail(op, 409, "invalid_state", NULL,
                           "flow \"%s\" is already published", op->id);
    }

    errors = json_array();

    if (errors == NULL
        || cmp_flow_load(&flow, json_object_get(rec, "definition")) != 0)
    {
        json_decref(errors);
        json_decref(rec);
        return cmp_op_fail(op, 500, "internal_error", NULL, "out of memory");
    }

    cmp_flow_lookup_init(&lookup, &data, op->store, op->txn, op->id);

    n = cmp_flow_validate(&flow, &lookup, errors);
    cmp_flow_free(&flow);

    if (n != 0) {
        json_decref(rec);

        if (n < 0) {
            json_decref(errors);

            if (data.rc != 0) {
                return cmp_op_store_error(op, data.rc);
            }

            return cmp_op_fail(op, 500, "internal_error", NULL,
                               "out of memory");
        }

        op->details = json_pack("{s:o}", "errors", errors);

        return cmp_op_fail(op, 422, "validation_failed", "definition",
                           "the definition has %d problem%s; each is in "
                           "errors", n, n == 1 ? "" : "s");
    }

    json_decref(errors);

    rc = cmp_flow_channel_refs(op, rec, 1);

    if (rc == CMP_OK) {
        cmp_time_format(op->now, now);
        json_object_set_new(rec, "status", json_string("published"));
        json_object_set_new(rec, "published_at", json_string(now));

        rc = cmp_resource_store(op, rec, &meta);
    }

    json_decref(rec);

    return rc;
}


int
cmp_flow_unpublish(cmp_op_t *op)
{
    int            rc;
    json_t        *rec;
    cmp_record_t   meta;

    if (cmp_check_object(op, op->body, "") != CMP_OK
        || cmp_check_fields(op, op->body, "", cmp_flow_no_fields) != CMP_OK)
    {
        return CMP_FAIL;
    }

    if (cmp_resource_load(op, &rec, &meta) != CMP_OK) {
        return CMP_FAIL;
    }

    if (!cmp_flow_published(rec)) {
        json_decref(rec);
        return cmp_op_fail(op, 409, "invalid_state", NULL,
                           "flow \"%s\" is unpublished", op->id);
    }

    rc = cmp_flow_in_use(op, "unpublished");

    if (rc == CMP_OK) {
        rc = cmp_flow_channel_refs(op, rec, -1);
    }

    if (rc == CMP_OK) {
        json_object_set_new(rec, "status", json_string("unpublished"));
        json_object_set_new(rec, "published_at", json_null());

        rc = cmp_resource_store(op, rec, &meta);
    }

    json_decref(rec);

    return rc;
}


static int
cmp_flow_check_variables(cmp_op_t *op, json_t *vars)
{
    size_t       i, n;
    json_t      *v;
    const char  *key;
    char         field[128];

    if (vars == NULL) {
        return CMP_OK;
    }

    if (!json_is_object(vars) || json_object_size(vars) > 64) {
        return cmp_op_fail(op, 422, "validation_failed", "variables",
                           "variables must be an object of at most 64 "
                           "strings");
    }

    json_object_foreach(vars, key, v) {
        snprintf(field, sizeof(field), "variables.%.64s", key);

        n = strlen(key);

        for (i = 0; i < n; i++) {
            if (!((key[i] >= 'a' && key[i] <= 'z')
                  || (key[i] >= 'A' && key[i] <= 'Z')
                  || (key[i] >= '0' && key[i] <= '9')
                  || key[i] == '_' || key[i] == '-'))
            {
                break;
            }
        }

        if (n == 0 || n > 64 || i < n) {
            return cmp_op_fail(op, 422, "validation_failed", field,
                               "a variable name is 1 to 64 characters of "
                               "[A-Za-z0-9_-]");
        }

        if (!json_is_string(v)
            || cmp_utf8_length(json_string_value(v), json_string_length(v))
               > 4096)
        {
            return cmp_op_fail(op, 422, "validation_failed", field,
                               "%s must be a string of at most 4096 "
                               "characters", field);
        }
    }

    return CMP_OK;
}


static int
cmp_flow_test_send_reply(cmp_op_t *op, const char *id, size_t len,
    const char *status)
{
    int      rc;
    json_t  *reply;

    reply = json_pack("{s:s%,s:s}", "instance_id", id, len, "status",
                      status);
    if (reply == NULL) {
        return cmp_op_fail(op, 500, "internal_error", NULL, "out of memory");
    }

    rc = cmp_op_reply(op, 202, reply);
    json_decref(reply);

    return rc;
}


/*
 * A test send: the instance is recorded "queued" with a queue marker;
 * campaignd starts it.  An Idempotency-Key is scoped to the flow, and a
 * retry answers the first instance with its status now.
 */
int
cmp_flow_test_send(cmp_op_t *op)
{
    int            rc;
    char           scope[16 + CMP_ID_MAX], iid[CMP_ID_MAX + 1], err[160];
    char           now[CMP_TIME_LEN + 1], *dump;
    size_t         iid_len, len, n;
    json_t        *flow, *contact, *inst, *vars, *v;
    uint64_t       seq;
    cmp_record_t   meta, rec;
    const char    *contact_id, *status;
    unsigned char  key[CMP_INSTANCE_KEY_MAX];

    if (cmp_check_object(op, op->body, "") != CMP_OK
        || cmp_check_fields(op, op->body, "", cmp_flow_test_send_fields)
           != CMP_OK)
    {
        return CMP_FAIL;
    }

    if (cmp_resource_load(op, &flow, &meta) != CMP_OK) {
        return CMP_FAIL;
    }

    snprintf(scope, sizeof(scope), "trigger:%s", op->id);

    if (op->idempotency_key != NULL) {
        rc = cmp_idempotency_get(op->store, op->txn, scope,
                                 op->idempotency_key,
                                 op->idempotency_key_len, op->now, iid,
                                 &iid_len);
        if (rc == 0) {
            n = cmp_instance_test_key(key, iid, iid_len);
            rc = n ? cmp_instance_get(op->store, op->txn, key, n, &rec)
                   : CMP_NOTFOUND;
        }

        if (rc == 0) {
            json_decref(flow);

            inst = cmp_json_parse(rec.json, rec.len, err, sizeof(err));
            status = json_string_value(json_object_get(inst, "status"));

            rc = cmp_flow_test_send_reply(op, iid, iid_len,
                                        status ? status : "queued");
            json_decref(inst);

            return rc;
        }

        if (rc != CMP_NOTFOUND) {
            json_decref(flow);
            return cmp_op_store_error(op, rc);
        }
    }

    if (!cmp_flow_published(flow)) {
        json_decref(flow);
        return cmp_op_fail(op, 409, "invalid_state", NULL,
                           "flow \"%s\" is unpublished; only a published "
                           "flow can be triggered", op->id);
    }

    if (cmp_check_string(op, op->body, "", "contact_id", 1, CMP_ID_MAX,
                         CMP_REQUIRED, &contact_id) != CMP_OK
        || cmp_flow_check_variables(op, json_object_get(op->body,
                                                        "variables"))
           != CMP_OK)
    {
        json_decref(flow);
        return CMP_FAIL;
    }

    rc = cmp_record_get(op->store, op->txn, &cmp_kind_contacts, contact_id,
                        strlen(contact_id), &rec);

    if (rc == CMP_NOTFOUND) {
        json_decref(flow);
        return cmp_op_fail(op, 422, "validation_failed", "contact_id",
                           "no contact \"%s\"", contact_id);
    }

    if (rc != 0) {
        json_decref(flow);
        return cmp_op_store_error(op, rc);
    }

    contact = cmp_json_parse(rec.json, rec.len, err, sizeof(err));

    if (json_is_true(json_object_get(contact, "opted_out"))) {
        json_decref(contact);
        json_decref(flow);
        return cmp_op_fail(op, 422, "validation_failed", "contact_id",
                           "contact \"%s\" has opted out and gets no "
                           "messages", contact_id);
    }

    json_decref(contact);

    rc = cmp_instance_id_generate(op->store, op->txn, iid, &iid_len, &seq);
    if (rc != 0) {
        json_decref(flow);
        return cmp_op_store_error(op, rc);
    }

    vars = json_object_get(op->body, "variables");
    v = json_object_get(json_object_get(flow, "definition"), "start");

    cmp_time_format(op->now, now);

    inst = json_pack("{s:s%,s:s,s:s,s:n,s:n,s:s,s:O,s:o,s:{},s:[],s:s,s:s}",
                     "id", iid, iid_len,
                     "flow_id", op->id,
                     "contact_id", contact_id,
                     "campaign_id", "run",
                     "status", "queued",
                     "node", v ? v : json_null(),
                     "variables", vars ? json_incref(vars) : json_object(),
                     "jumps", "messages",
                     "created_at", now,
                     "updated_at", now);

    json_decref(flow);

    dump = inst ? cmp_json_dump(inst, &len) : NULL;
    json_decref(inst);

    if (dump == NULL) {
        return cmp_op_fail(op, 500, "internal_error", NULL, "out of memory");
    }

    rec.seq = seq;
    rec.version = 1;
    rec.json = dump;
    rec.len = len;

    n = cmp_instance_test_key(key, iid, iid_len);
    rc = n ? cmp_instance_put(op->store, op->txn, key, n, &rec)
           : CMP_BAD_VALSIZE;
    free(dump);

    if (rc == 0) {
        rc = cmp_instance_enqueue(op->store, op->txn, seq, iid, iid_len);
    }

    if (rc == 0 && op->idempotency_key != NULL) {
        rc = cmp_idempotency_put(op->store, op->txn, scope,
                                 op->idempotency_key,
                                 op->idempotency_key_len,
                                 op->now + CMP_IDEMPOTENCY_TTL, iid,
                                 iid_len);
    }

    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    return cmp_flow_test_send_reply(op, iid, iid_len, "queued");
}


/* the downloadable document that import takes back */
json_t *
cmp_flow_export(const json_t *record)
{
    json_t  *v;

    v = json_object_get(record, "description");

    return json_pack("{s:O,s:O,s:O,s:O}",
                     "name", json_object_get(record, "name"),
                     "description", v ? v : json_null(),
                     "trigger", json_object_get(record, "trigger"),
                     "definition", json_object_get(record, "definition"));
}


void
cmp_flow_lookup_init(cmp_flow_lookup_t *lookup, cmp_flow_store_t *data,
    cmp_store_t *st, cmp_txn_t *txn, const char *self_id)
{
    memset(lookup, 0, sizeof(cmp_flow_lookup_t));

    data->store = st;
    data->txn = txn;
    data->rc = 0;

    lookup->channel_type = cmp_flow_channel_type;
    lookup->flow_status = cmp_flow_status;
    lookup->data = data;
    lookup->self_id = self_id;
}


/* a store error is kept in data; the validator only learns it failed */
static int
cmp_flow_channel_type(void *data, const char *id, size_t len, char *type,
    size_t size)
{
    int                rc;
    json_t            *json;
    const char        *s;
    cmp_record_t       rec;
    cmp_flow_store_t  *fs = data;

    rc = cmp_record_get(fs->store, fs->txn, &cmp_kind_channels, id, len,
                        &rec);

    if (rc == CMP_NOTFOUND) {
        return CMP_FLOW_MISSING;
    }

    if (rc != 0) {
        fs->rc = rc;
        return -1;
    }

    json = json_loadb(rec.json, rec.len, 0, NULL);
    s = json_string_value(json_object_get(json, "type"));

    snprintf(type, size, "%s", s ? s : "unknown");
    json_decref(json);

    return CMP_FLOW_FOUND;
}


static int
cmp_flow_status(void *data, const char *id, size_t len, int *status)
{
    int                rc;
    json_t            *json;
    cmp_record_t       rec;
    cmp_flow_store_t  *fs = data;

    rc = cmp_record_get(fs->store, fs->txn, &cmp_kind_flows, id, len, &rec);

    if (rc == CMP_NOTFOUND) {
        return CMP_FLOW_MISSING;
    }

    if (rc != 0) {
        fs->rc = rc;
        return -1;
    }

    json = json_loadb(rec.json, rec.len, 0, NULL);
    *status = cmp_flow_published(json) ? CMP_FLOW_PUBLISHED
                                       : CMP_FLOW_UNPUBLISHED;
    json_decref(json);

    return CMP_FLOW_FOUND;
}
