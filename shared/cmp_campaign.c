
/*
 * Campaigns: validation against the flow, group and channels they use,
 * the state machine (each check in the transaction of its change), and
 * the status index that lets lists filter without reading records.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_campaign.h"
#include "cmp_phone.h"
#include "cmp_validate.h"


typedef struct {
    json_t         *rec;
    const char     *status;
    int64_t         start;
    int64_t         end;
} cmp_campaign_t;


static int cmp_campaign_apply(cmp_op_t *op, json_t *rec, int create);
static int cmp_campaign_check_flow(cmp_op_t *op, const char *flow_id);
static int cmp_campaign_check_channels(cmp_op_t *op, json_t *flow);
static int cmp_campaign_check_group(cmp_op_t *op, const char *group_id);
static int cmp_campaign_check_params(cmp_op_t *op, json_t *params);
static int cmp_campaign_check_plan(cmp_op_t *op, json_t *plan,
    json_t *rec);
static int cmp_campaign_time(cmp_op_t *op, const char *name, json_t *rec,
    int64_t *t);
static int cmp_campaign_load(cmp_op_t *op, json_t **rec,
    cmp_record_t *meta, int *status);
static int cmp_campaign_refs(cmp_op_t *op, json_t *rec, int64_t delta);
static int cmp_campaign_index(cmp_op_t *op, json_t *rec, uint64_t seq,
    int status, int add);
static const char *cmp_campaign_field(json_t *rec, const char *name,
    size_t *len);


const char *const  cmp_campaign_statuses[] = {
    "pending", "running", "paused", "completed", NULL
};

static const char *const  cmp_campaign_fields[] = {
    "id", "name", "description", "flow_id", "group_id", "start_time",
    "end_time", "execution_plan", "params", NULL
};

static const char *const  cmp_plan_fields[] = {
    "unit", "every", NULL
};

static const char *const  cmp_plan_units[] = {
    "minute", "hour", "day", NULL
};


int
cmp_campaign_status_parse(const char *s, size_t len)
{
    int  i;

    for (i = 0; cmp_campaign_statuses[i] != NULL; i++) {
        if (strlen(cmp_campaign_statuses[i]) == len
            && memcmp(cmp_campaign_statuses[i], s, len) == 0)
        {
            return i;
        }
    }

    return -1;
}


/* ASCII case folding: what "case-insensitive" means for name filters */
size_t
cmp_fold(char *dst, const char *src, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        dst[i] = (src[i] >= 'A' && src[i] <= 'Z') ? src[i] + 32 : src[i];
    }

    return len;
}


int
cmp_campaign_create(cmp_op_t *op)
{
    int            rc;
    json_t        *rec;
    cmp_record_t   meta;

    if (cmp_check_object(op, op->body, "") != CMP_OK
        || cmp_check_fields(op, op->body, "", cmp_campaign_fields) != CMP_OK
        || cmp_check_id(op, op->body) != CMP_OK)
    {
        return CMP_FAIL;
    }

    rec = json_object();
    if (rec == NULL) {
        return cmp_op_fail(op, 500, "internal_error", NULL, "out of memory");
    }

    if (json_object_get(op->body, "id") != NULL) {
        json_object_set(rec, "id", json_object_get(op->body, "id"));
    }

    rc = cmp_campaign_apply(op, rec, 1);

    if (rc == CMP_OK) {
        json_object_set_new(rec, "status", json_string("pending"));
        json_object_set(rec, "next_run_at",
                        json_object_get(rec, "start_time"));
        json_object_set_new(rec, "runs", json_integer(0));
        json_object_set_new(rec, "missed_runs", json_integer(0));
        json_object_set_new(rec, "last_error", json_null());

        rc = cmp_resource_create(op, rec);
    }

    /* a replayed create wrote nothing, and must not count again */
    if (rc == CMP_OK && !op->replayed) {
        rc = cmp_record_get(op->store, op->txn, op->kind, op->id,
                            op->id_len, &meta);

        rc = (rc == 0) ? cmp_campaign_refs(op, rec, 1)
                       : cmp_op_store_error(op, rc);

        if (rc == CMP_OK) {
            rc = cmp_campaign_index(op, rec, meta.seq,
                                    CMP_CAMPAIGN_PENDING, 1);
        }
    }

    json_decref(rec);

    return rc;
}


/*
 * Modify: only pending or paused; a paused campaign resumes only with a
 * new start time, and becomes pending again.
 */
int
cmp_campaign_update(cmp_op_t *op)
{
    int            rc, status;
    json_t        *rec, *old_flow, *old_group;
    cmp_record_t   meta;

    if (cmp_check_object(op, op->body, "") != CMP_OK
        || cmp_check_fields(op, op->body, "", cmp_campaign_fields) != CMP_OK)
    {
        return CMP_FAIL;
    }

    if (json_object_get(op->body, "id") != NULL) {
        return cmp_op_fail(op, 422, "validation_failed", "id",
                           "id cannot change");
    }

    if (cmp_campaign_load(op, &rec, &meta, &status) != CMP_OK) {
        return CMP_FAIL;
    }

    if (status != CMP_CAMPAIGN_PENDING && status != CMP_CAMPAIGN_PAUSED) {
        json_decref(rec);
        return cmp_op_fail(op, 409, "invalid_state", NULL,
                           "campaign \"%s\" is %s; only pending or paused "
                           "campaigns can be modified", op->id,
                           cmp_campaign_statuses[status]);
    }

    if (status == CMP_CAMPAIGN_PAUSED
        && json_object_get(op->body, "start_time") == NULL)
    {
        json_decref(rec);
        return cmp_op_fail(op, 422, "validation_failed", "start_time",
                           "a paused campaign resumes only with a new "
                           "start_time later than now");
    }

    old_flow = json_incref(json_object_get(rec, "flow_id"));
    old_group = json_incref(json_object_get(rec, "group_id"));

    rc = cmp_campaign_apply(op, rec, 0);

    if (rc == CMP_OK) {
        /* references follow the campaign to its new flow and group */
        json_t  *now_flow, *now_group;

        now_flow = json_object_get(rec, "flow_id");
        now_group = json_object_get(rec, "group_id");

        if (!json_equal(old_flow, now_flow)) {
            rc = cmp_ref_add(op->store, op->txn, "flow",
                             json_string_value(old_flow),
                             json_string_length(old_flow), -1);
            if (rc == 0) {
                rc = cmp_ref_add(op->store, op->txn, "flow",
                                 json_string_value(now_flow),
                                 json_string_length(now_flow), 1);
            }
        }

        if (rc == 0 && !json_equal(old_group, now_group)) {
            rc = cmp_ref_add(op->store, op->txn, "group",
                             json_string_value(old_group),
                             json_string_length(old_group), -1);
            if (rc == 0) {
                rc = cmp_ref_add(op->store, op->txn, "group",
                                 json_string_value(now_group),
                                 json_string_length(now_group), 1);
            }
        }

        if (rc != 0) {
            rc = cmp_op_store_error(op, rc);
        }
    }

    json_decref(old_flow);
    json_decref(old_group);

    if (rc == CMP_OK) {
        rc = cmp_campaign_index(op, rec, meta.seq, status, 0);
    }

    if (rc == CMP_OK) {
        json_object_set_new(rec, "status", json_string("pending"));
        json_object_set(rec, "next_run_at",
                        json_object_get(rec, "start_time"));
        json_object_set_new(rec, "last_error", json_null());

        rc = cmp_campaign_index(op, rec, meta.seq, CMP_CAMPAIGN_PENDING, 1);
    }

    if (rc == CMP_OK) {
        rc = cmp_resource_store(op, rec, &meta);
    }

    json_decref(rec);

    return rc;
}


int
cmp_campaign_suspend(cmp_op_t *op)
{
    int            rc, status;
    json_t        *rec;
    cmp_record_t   meta;

    if (cmp_campaign_load(op, &rec, &meta, &status) != CMP_OK) {
        return CMP_FAIL;
    }

    if (status != CMP_CAMPAIGN_RUNNING) {
        json_decref(rec);
        return cmp_op_fail(op, 409, "invalid_state", NULL,
                           "campaign \"%s\" is %s; only a running campaign "
                           "can be suspended", op->id,
                           cmp_campaign_statuses[status]);
    }

    rc = cmp_campaign_index(op, rec, meta.seq, status, 0);

    if (rc == CMP_OK) {
        json_object_set_new(rec, "status", json_string("paused"));
        json_object_set_new(rec, "next_run_at", json_null());

        rc = cmp_campaign_index(op, rec, meta.seq, CMP_CAMPAIGN_PAUSED, 1);
    }

    if (rc == CMP_OK) {
        rc = cmp_resource_store(op, rec, &meta);
    }

    json_decref(rec);

    return rc;
}


int
cmp_campaign_delete(cmp_op_t *op)
{
    int            rc, status;
    json_t        *rec;
    cmp_record_t   meta;

    if (cmp_campaign_load(op, &rec, &meta, &status) != CMP_OK) {
        return CMP_FAIL;
    }

    if (status == CMP_CAMPAIGN_RUNNING) {
        json_decref(rec);
        return cmp_op_fail(op, 409, "invalid_state", NULL,
                           "campaign \"%s\" is running; suspend it before "
                           "deleting it", op->id);
    }

    rc = cmp_campaign_index(op, rec, meta.seq, status, 0);

    /* a completed campaign gave its references back when it completed */
    if (rc == CMP_OK && status != CMP_CAMPAIGN_COMPLETED) {
        rc = cmp_campaign_refs(op, rec, -1);
    }

    json_decref(rec);

    if (rc != CMP_OK) {
        return rc;
    }

    return cmp_resource_remove(op);
}


/*
 * The sidecar's transitions (pending -> running -> completed); the same
 * index and reference bookkeeping as the API's own.
 */
int
cmp_campaign_set_status(cmp_op_t *op, cmp_campaign_status_e to,
    const char *last_error)
{
    int            rc, status;
    json_t        *rec;
    cmp_record_t   meta;

    if (cmp_campaign_load(op, &rec, &meta, &status) != CMP_OK) {
        return CMP_FAIL;
    }

    rc = cmp_campaign_index(op, rec, meta.seq, status, 0);

    if (rc == CMP_OK && to == CMP_CAMPAIGN_COMPLETED
        && status != CMP_CAMPAIGN_COMPLETED)
    {
        rc = cmp_campaign_refs(op, rec, -1);
    }

    if (rc == CMP_OK) {
        json_object_set_new(rec, "status",
                            json_string(cmp_campaign_statuses[to]));

        if (to == CMP_CAMPAIGN_COMPLETED || to == CMP_CAMPAIGN_PAUSED) {
            json_object_set_new(rec, "next_run_at", json_null());
        }

        if (last_error != NULL) {
            json_object_set_new(rec, "last_error", json_string(last_error));
        }

        rc = cmp_campaign_index(op, rec, meta.seq, to, 1);
    }

    if (rc == CMP_OK) {
        rc = cmp_resource_store(op, rec, &meta);
    }

    json_decref(rec);

    return rc;
}


/*
 * campaignd's run bookkeeping (runs fired, missed, the next scheduled
 * time; next_run_at < 0: none); the status index does not hold these.
 */
int
cmp_campaign_set_runs(cmp_op_t *op, int64_t runs, int64_t missed_runs,
    int64_t next_run_at)
{
    int            rc;
    char           when[CMP_TIME_LEN + 1];
    json_t        *rec;
    cmp_record_t   meta;

    if (cmp_resource_load(op, &rec, &meta) != CMP_OK) {
        return CMP_FAIL;
    }

    json_object_set_new(rec, "runs", json_integer(runs));
    json_object_set_new(rec, "missed_runs", json_integer(missed_runs));

    if (next_run_at >= 0) {
        cmp_time_format(next_run_at, when);
        json_object_set_new(rec, "next_run_at", json_string(when));

    } else {
        json_object_set_new(rec, "next_run_at", json_null());
    }

    rc = cmp_resource_store(op, rec, &meta);
    json_decref(rec);

    return rc;
}


/*
 * campaignd's word on a campaign it cannot carry on with for a reason
 * outside the campaign (a full store): last_error set to error, or, with
 * set 0, cleared while it still says error (an error of another cause
 * stays).  1: nothing to change.
 */
int
cmp_campaign_set_error(cmp_op_t *op, const char *error, int set)
{
    int            rc;
    json_t        *rec;
    const char    *now;
    cmp_record_t   meta;

    if (cmp_resource_load(op, &rec, &meta) != CMP_OK) {
        return CMP_FAIL;
    }

    now = json_string_value(json_object_get(rec, "last_error"));

    if ((now != NULL && strcmp(now, error) == 0) == set) {
        json_decref(rec);
        return 1;
    }

    json_object_set_new(rec, "last_error",
                        set ? json_string(error) : json_null());

    rc = cmp_resource_store(op, rec, &meta);
    json_decref(rec);

    return rc;
}


static int
cmp_campaign_load(cmp_op_t *op, json_t **rec, cmp_record_t *meta,
    int *status)
{
    const char  *s;

    if (cmp_resource_load(op, rec, meta) != CMP_OK) {
        return CMP_FAIL;
    }

    s = json_string_value(json_object_get(*rec, "status"));
    *status = s ? cmp_campaign_status_parse(s, strlen(s)) : -1;

    if (*status < 0) {
        json_decref(*rec);
        return cmp_op_fail(op, 500, "internal_error", NULL,
                           "stored campaign \"%s\" has no valid status",
                           op->id);
    }

    return CMP_OK;
}


/*
 * Applies the body to rec, then checks the merged whole: a PATCH of the
 * end time alone must still leave a valid period.
 */
static int
cmp_campaign_apply(cmp_op_t *op, json_t *rec, int create)
{
    int          req;
    json_t      *v;
    int64_t      start, end;
    const char  *s;
    size_t       i;
    static const struct {
        const char  *name;
        size_t       min;
        size_t       max;
        int          required;
    } strings[] = {
        { "name", 1, 60, CMP_REQUIRED },
        { "description", 0, 90, CMP_OPTIONAL },
        { "flow_id", 1, CMP_ID_MAX, CMP_REQUIRED },
        { "group_id", 1, CMP_ID_MAX, CMP_REQUIRED },
    };

    for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        req = create ? strings[i].required : CMP_OPTIONAL;

        if (cmp_check_string(op, op->body, "", strings[i].name,
                             strings[i].min, strings[i].max, req, &s)
            != CMP_OK)
        {
            return CMP_FAIL;
        }

        if (s != NULL) {
            json_object_set_new(rec, strings[i].name, json_string(s));

        } else if (create) {
            json_object_set_new(rec, strings[i].name,
                                strings[i].required ? json_null()
                                                    : json_string(""));
        }
    }

    if (cmp_campaign_check_flow(op,
            json_string_value(json_object_get(rec, "flow_id"))) != CMP_OK
        || cmp_campaign_check_group(op,
            json_string_value(json_object_get(rec, "group_id"))) != CMP_OK)
    {
        return CMP_FAIL;
    }

    start = 0;
    end = 0;

    if (cmp_campaign_time(op, "start_time", rec, &start) != CMP_OK
        || cmp_campaign_time(op, "end_time", rec, &end) != CMP_OK)
    {
        return CMP_FAIL;
    }

    if (json_object_get(op->body, "start_time") != NULL && start <= op->now)
    {
        return cmp_op_fail(op, 422, "validation_failed", "start_time",
                           "start_time must be later than now");
    }

    if (start >= end) {
        if (json_object_get(op->body, "end_time") != NULL) {
            return cmp_op_fail(op, 422, "validation_failed", "end_time",
                               "end_time must be later than start_time");
        }

        return cmp_op_fail(op, 422, "validation_failed", "start_time",
                           "start_time must be earlier than end_time");
    }

    v = json_object_get(op->body, "execution_plan");

    if (v == NULL && create) {
        return cmp_op_fail(op, 422, "validation_failed", "execution_plan",
                           "execution_plan is required");
    }

    if (v != NULL && cmp_campaign_check_plan(op, v, rec) != CMP_OK) {
        return CMP_FAIL;
    }

    v = json_object_get(op->body, "params");

    if (v != NULL) {
        if (cmp_campaign_check_params(op, v) != CMP_OK) {
            return CMP_FAIL;
        }

        json_object_set(rec, "params", v);

    } else if (create) {
        json_object_set_new(rec, "params", json_object());
    }

    return CMP_OK;
}


/* a time from the body, else the one the record has; shown in UTC */
static int
cmp_campaign_time(cmp_op_t *op, const char *name, json_t *rec, int64_t *t)
{
    json_t      *v;
    const char  *s;
    char         utc[CMP_TIME_LEN + 1];

    v = json_object_get(op->body, name);

    if (v == NULL) {
        s = json_string_value(json_object_get(rec, name));

        if (s == NULL) {
            return cmp_op_fail(op, 422, "validation_failed", name,
                               "%s is required", name);
        }

        return cmp_time_parse(s, t) ? CMP_OK
               : cmp_op_fail(op, 500, "internal_error", name,
                             "stored %s is unreadable", name);
    }

    if (!json_is_string(v) || !cmp_time_parse(json_string_value(v), t)) {
        return cmp_op_fail(op, 422, "validation_failed", name,
                           "%s must be an RFC 3339 time such as "
                           "2026-12-01T09:00:00+08:00", name);
    }

    cmp_time_format(*t, utc);
    json_object_set_new(rec, name, json_string(utc));

    return CMP_OK;
}


static int
cmp_campaign_check_plan(cmp_op_t *op, json_t *plan, json_t *rec)
{
    const char  *unit;
    json_int_t   every;

    if (cmp_check_object(op, plan, "execution_plan") != CMP_OK
        || cmp_check_fields(op, plan, "execution_plan", cmp_plan_fields)
           != CMP_OK
        || cmp_check_enum(op, plan, "execution_plan", "unit", cmp_plan_units,
                          CMP_REQUIRED, &unit) != CMP_OK)
    {
        return CMP_FAIL;
    }

    every = 1;

    if (cmp_check_integer(op, plan, "execution_plan", "every", 1, 1000,
                          CMP_OPTIONAL, &every) != CMP_OK)
    {
        return CMP_FAIL;
    }

    json_object_set_new(rec, "execution_plan",
                        json_pack("{s:s, s:I}", "unit", unit,
                                  "every", every));

    return CMP_OK;
}


static int
cmp_campaign_check_params(cmp_op_t *op, json_t *params)
{
    char         field[128];
    json_t      *v;
    const char  *key;

    if (cmp_check_object(op, params, "params") != CMP_OK) {
        return CMP_FAIL;
    }

    if (json_object_size(params) > 32) {
        return cmp_op_fail(op, 422, "validation_failed", "params",
                           "params may have at most 32 values");
    }

    json_object_foreach(params, key, v) {
        snprintf(field, sizeof(field), "params.%.100s", key);

        if (!cmp_valid_id(key, strlen(key))) {
            return cmp_op_fail(op, 422, "validation_failed", field,
                               "params keys must be 1 to 64 characters of "
                               "[A-Za-z0-9_-]");
        }

        if (!json_is_string(v)
            || cmp_utf8_length(json_string_value(v), json_string_length(v))
               > 1024)
        {
            return cmp_op_fail(op, 422, "validation_failed", field,
                               "%s must be a string of at most 1024 "
                               "characters", field);
        }
    }

    return CMP_OK;
}


static int
cmp_campaign_check_flow(cmp_op_t *op, const char *flow_id)
{
    int            rc;
    char           err[64];
    json_t        *flow;
    const char    *s;
    cmp_record_t   rec;

    rc = cmp_record_get(op->store, op->txn, &cmp_kind_flows, flow_id,
                        strlen(flow_id), &rec);

    if (rc == CMP_NOTFOUND) {
        return cmp_op_fail(op, 422, "validation_failed", "flow_id",
                           "no flow \"%s\"", flow_id);
    }

    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    flow = cmp_json_parse(rec.json, rec.len, err, sizeof(err));
    if (flow == NULL) {
        return cmp_op_fail(op, 500, "internal_error", NULL,
                           "stored flow \"%s\" is unreadable", flow_id);
    }

    s = json_string_value(json_object_get(flow, "status"));

    if (s == NULL || strcmp(s, "published") != 0) {
        json_decref(flow);
        return cmp_op_fail(op, 422, "validation_failed", "flow_id",
                           "flow \"%s\" is not published", flow_id);
    }

    s = json_string_value(json_object_get(flow, "trigger"));

    if (s == NULL || strcmp(s, "manual") != 0) {
        rc = cmp_op_fail(op, 422, "validation_failed", "flow_id",
                         "only manually triggered flows are supported; "
                         "flow \"%s\" is triggered by %s", flow_id,
                         s ? s : "nothing");
        json_decref(flow);
        return rc;
    }

    rc = cmp_campaign_check_channels(op, flow);
    json_decref(flow);

    return rc;
}


/* every channel a send node uses must be ready, or nothing gets sent */
static int
cmp_campaign_check_channels(cmp_op_t *op, json_t *flow)
{
    int            rc;
    char           err[64];
    json_t        *nodes, *node, *channel;
    size_t         i;
    const char    *type, *id, *reason;
    cmp_record_t   rec;

    nodes = json_object_get(json_object_get(flow, "definition"), "nodes");

    json_array_foreach(nodes, i, node) {
        type = json_string_value(json_object_get(node, "type"));
        id = json_string_value(json_object_get(node, "channel_id"));

        if (type == NULL || id == NULL || strncmp(type, "send_", 5) != 0) {
            continue;
        }

        rc = cmp_record_get(op->store, op->txn, &cmp_kind_channels, id,
                            strlen(id), &rec);

        if (rc == CMP_NOTFOUND) {
            return cmp_op_fail(op, 422, "validation_failed", "channels",
                               "channel \"%s\" of node \"%s\" does not "
                               "exist", id,
                               json_string_value(json_object_get(node,
                                                                 "id")));
        }

        if (rc != 0) {
            return cmp_op_store_error(op, rc);
        }

        channel = cmp_json_parse(rec.json, rec.len, err, sizeof(err));
        if (channel == NULL) {
            return cmp_op_fail(op, 500, "internal_error", NULL,
                               "stored channel \"%s\" is unreadable", id);
        }

        if (!json_is_true(json_object_get(channel, "ready"))) {
            reason = json_string_value(json_object_get(channel,
                                                       "not_ready_reason"));

            rc = cmp_op_fail(op, 422, "validation_failed", "channels",
                             "channel \"%s\" is not ready: %s", id,
                             reason ? reason : "unknown reason");
            json_decref(channel);
            return rc;
        }

        json_decref(channel);
    }

    return CMP_OK;
}


static int
cmp_campaign_check_group(cmp_op_t *op, const char *group_id)
{
    int           rc;
    cmp_record_t  rec;

    rc = cmp_record_get(op->store, op->txn, &cmp_kind_groups, group_id,
                        strlen(group_id), &rec);

    if (rc == CMP_NOTFOUND) {
        return cmp_op_fail(op, 422, "validation_failed", "group_id",
                           "no group \"%s\"", group_id);
    }

    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    return CMP_OK;
}


/* a campaign that is not completed holds its flow and group */
static int
cmp_campaign_refs(cmp_op_t *op, json_t *rec, int64_t delta)
{
    int      rc;
    json_t  *flow, *group;

    flow = json_object_get(rec, "flow_id");
    group = json_object_get(rec, "group_id");

    rc = cmp_ref_add(op->store, op->txn, "flow", json_string_value(flow),
                     json_string_length(flow), delta);

    if (rc == 0) {
        rc = cmp_ref_add(op->store, op->txn, "group",
                         json_string_value(group),
                         json_string_length(group), delta);
    }

    return rc ? cmp_op_store_error(op, rc) : CMP_OK;
}


/*
 * The campaign's entry in the status index (cmp_index.h) under status,
 * added or removed: every status change removes one and adds the other.
 */
static int
cmp_campaign_index(cmp_op_t *op, json_t *rec, uint64_t seq, int status,
    int add)
{
    int                    rc;
    char                   fold[CMP_FOLD_MAX];
    const char            *name;
    cmp_campaign_entry_t   e;

    if (!add) {
        rc = cmp_campaign_index_del(op->store, op->txn, status, seq);
        return (rc == 0) ? CMP_OK : cmp_op_store_error(op, rc);
    }

    name = cmp_campaign_field(rec, "name", &e.folded_name_len);

    /* 60 characters at most (cmp_campaign_apply()): 240 bytes */
    if (e.folded_name_len > sizeof(fold)) {
        return cmp_op_store_error(op, CMP_BAD_VALSIZE);
    }

    e.id = op->id;
    e.id_len = op->id_len;
    e.flow_id = cmp_campaign_field(rec, "flow_id", &e.flow_id_len);
    e.group_id = cmp_campaign_field(rec, "group_id", &e.group_id_len);
    e.folded_name = fold;
    e.seq = seq;
    e.status = status;

    cmp_fold(fold, name, e.folded_name_len);

    rc = cmp_campaign_index_put(op->store, op->txn, &e);

    return (rc == 0) ? CMP_OK : cmp_op_store_error(op, rc);
}


static const char *
cmp_campaign_field(json_t *rec, const char *name, size_t *len)
{
    json_t  *v;

    v = json_object_get(rec, name);
    *len = json_string_length(v);

    return json_is_string(v) ? json_string_value(v) : "";
}
