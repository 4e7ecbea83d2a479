
/*
 * Channels: validation, the public record (with readiness computed when it
 * changes, so a GET is a copy) and the write-only secrets beside it.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_channel.h"
#include "cmp_validate.h"


typedef struct {
    const char         *type;
    const char         *object;       /* "whatsapp" or "viber" */
    const char *const  *fields;       /* public fields of the object */
    const char *const  *secrets;
    const char         *api_base_url;
    json_int_t          rate_limit;
    json_int_t          min_gap;
} cmp_channel_type_t;


static const cmp_channel_type_t *cmp_channel_type(const char *name);
static int cmp_channel_apply(cmp_op_t *op, json_t *rec, json_t *secret,
    const cmp_channel_type_t *type, int create);
static int cmp_channel_apply_provider(cmp_op_t *op, json_t *rec,
    json_t *secret, const cmp_channel_type_t *type);
static void cmp_channel_readiness(json_t *rec, json_t *secret,
    const cmp_channel_type_t *type);
static int cmp_channel_save_secret(cmp_op_t *op, json_t *secret);
static int cmp_channel_changed(cmp_op_t *op, int rc);
static const char *cmp_channel_phone(json_t *rec, char *buf, size_t size);
static int cmp_channel_index(cmp_op_t *op, const char *old,
    const char *now);


static const char *const  cmp_channel_fields[] = {
    "id", "name", "type", "whatsapp", "viber", "rate_limit_per_second",
    "max_in_flight", "min_gap_seconds", NULL
};

static const char *const  cmp_whatsapp_fields[] = {
    "waba_id", "phone_number_id", "api_base_url", NULL
};

static const char *const  cmp_whatsapp_secrets[] = {
    "access_token", "app_secret", "verify_token", NULL
};

static const char *const  cmp_viber_fields[] = {
    "sender_name", "service_account_status", "api_base_url", NULL
};

static const char *const  cmp_viber_secrets[] = {
    "auth_token", NULL
};

static const char *const  cmp_viber_statuses[] = {
    "pending", "approved", "rejected", NULL
};

static const char *const  cmp_channel_types[] = {
    "whatsapp", "viber", NULL
};


static const cmp_channel_type_t  cmp_channel_types_def[] = {
    { "whatsapp", "whatsapp", cmp_whatsapp_fields, cmp_whatsapp_secrets,
      "https://graph.facebook.com/v21.0", 80, 6 },
    { "viber", "viber", cmp_viber_fields, cmp_viber_secrets,
      "https://chatapi.viber.com/pa", 50, 0 },
};


static const cmp_channel_type_t *
cmp_channel_type(const char *name)
{
    size_t  i;

    for (i = 0; i < sizeof(cmp_channel_types_def)
                    / sizeof(cmp_channel_types_def[0]); i++)
    {
        if (strcmp(cmp_channel_types_def[i].type, name) == 0) {
            return &cmp_channel_types_def[i];
        }
    }

    return NULL;
}


int
cmp_channel_create(cmp_op_t *op)
{
    int                        rc;
    char                       phone[160];
    json_t                    *rec, *secret;
    const char                *type_name;
    const cmp_channel_type_t  *type;

    if (cmp_check_object(op, op->body, "") != CMP_OK
        || cmp_check_fields(op, op->body, "", cmp_channel_fields) != CMP_OK
        || cmp_check_id(op, op->body) != CMP_OK
        || cmp_check_enum(op, op->body, "", "type", cmp_channel_types,
                          CMP_REQUIRED, &type_name) != CMP_OK)
    {
        return CMP_FAIL;
    }

    type = cmp_channel_type(type_name);

    rec = json_object();
    secret = json_object();

    if (rec == NULL || secret == NULL) {
        json_decref(rec);
        json_decref(secret);
        return cmp_op_fail(op, 500, "internal_error", NULL, "out of memory");
    }

    if (json_object_get(op->body, "id") != NULL) {
        json_object_set(rec, "id", json_object_get(op->body, "id"));
    }

    json_object_set_new(rec, "name", json_null());
    json_object_set_new(rec, "type", json_string(type->type));
    json_object_set_new(rec, type->object, json_object());
    json_object_set_new(rec, "rate_limit_per_second",
                        json_integer(type->rate_limit));
    json_object_set_new(rec, "max_in_flight", json_integer(64));
    json_object_set_new(rec, "min_gap_seconds", json_integer(type->min_gap));

    rc = cmp_channel_apply(op, rec, secret, type, 1);

    if (rc == CMP_OK) {
        rc = cmp_resource_create(op, rec);
    }

    if (rc == CMP_OK && !op->replayed) {
        rc = cmp_channel_save_secret(op, secret);
    }

    if (rc == CMP_OK && !op->replayed) {
        rc = cmp_channel_index(op, NULL,
                               cmp_channel_phone(rec, phone, sizeof(phone)));
    }

    json_decref(rec);
    json_decref(secret);

    return cmp_channel_changed(op, rc);
}


int
cmp_channel_update(cmp_op_t *op)
{
    int                        rc;
    char                       old[160], now[160];
    size_t                     len;
    json_t                    *rec, *secret, *type_field;
    const char                *s, *old_phone;
    cmp_record_t               meta;
    const cmp_channel_type_t  *type;

    if (cmp_check_object(op, op->body, "") != CMP_OK
        || cmp_check_fields(op, op->body, "", cmp_channel_fields) != CMP_OK)
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

    type = cmp_channel_type(json_string_value(json_object_get(rec, "type")));

    type_field = json_object_get(op->body, "type");

    if (type == NULL
        || (type_field != NULL
            && !(json_is_string(type_field)
                 && strcmp(json_string_value(type_field), type->type) == 0)))
    {
        json_decref(rec);
        return cmp_op_fail(op, 422, "validation_failed", "type",
                           "type cannot change after creation");
    }

    rc = cmp_secret_get(op->store, op->txn, op->id, op->id_len, &s, &len);

    if (rc == 0) {
        secret = cmp_json_parse(s, len, op->message, sizeof(op->message));

    } else if (rc == MDB_NOTFOUND) {
        secret = json_object();

    } else {
        json_decref(rec);
        return cmp_op_store_error(op, rc);
    }

    if (secret == NULL) {
        json_decref(rec);
        return cmp_op_fail(op, 500, "internal_error", NULL,
                           "stored channel secrets are unreadable");
    }

    old_phone = cmp_channel_phone(rec, old, sizeof(old));

    rc = cmp_channel_apply(op, rec, secret, type, 0);

    if (rc == CMP_OK) {
        /* a change through the API is what resumes a blocked channel */
        json_object_set_new(rec, "status", json_string("ok"));
        json_object_set_new(rec, "last_error", json_null());

        rc = cmp_resource_store(op, rec, &meta);
    }

    if (rc == CMP_OK) {
        rc = cmp_channel_save_secret(op, secret);
    }

    if (rc == CMP_OK) {
        rc = cmp_channel_index(op, old_phone,
                               cmp_channel_phone(rec, now, sizeof(now)));
    }

    json_decref(rec);
    json_decref(secret);

    return cmp_channel_changed(op, rc);
}


int
cmp_channel_delete(cmp_op_t *op)
{
    int            rc;
    char           phone[160];
    json_t        *rec;
    uint64_t       refs;
    const char    *old_phone;
    cmp_record_t   meta;

    if (cmp_resource_load(op, &rec, &meta) != CMP_OK) {
        return CMP_FAIL;
    }

    old_phone = cmp_channel_phone(rec, phone, sizeof(phone));
    json_decref(rec);

    rc = cmp_ref_count(op->store, op->txn, "channel", op->id, op->id_len,
                       &refs);
    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    if (refs > 0) {
        return cmp_op_fail(op, 409, "conflict", NULL,
                           "channel \"%s\" is used by %llu published "
                           "flow(s)", op->id, (unsigned long long) refs);
    }

    rc = cmp_secret_del(op->store, op->txn, op->id, op->id_len);
    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    if (cmp_channel_index(op, old_phone, NULL) != CMP_OK) {
        return CMP_FAIL;
    }

    return cmp_channel_changed(op, cmp_resource_remove(op));
}


/* campaignd's verdict on the credentials, kept on the record */
int
cmp_channel_set_status(cmp_op_t *op, const char *status,
    const char *last_error)
{
    int            rc;
    json_t        *rec;
    cmp_record_t   meta;

    if (cmp_resource_load(op, &rec, &meta) != CMP_OK) {
        return CMP_FAIL;
    }

    json_object_set_new(rec, "status", json_string(status));
    json_object_set_new(rec, "last_error",
                        last_error ? json_string(last_error) : json_null());

    rc = cmp_resource_store(op, rec, &meta);
    json_decref(rec);

    return cmp_channel_changed(op, rc);
}


/* CMP_CHANNEL_CHANGES moves with a write that went through; rc passes */
static int
cmp_channel_changed(cmp_op_t *op, int rc)
{
    int       err;
    uint64_t  seq;

    if (rc != CMP_OK || op->replayed) {
        return rc;
    }

    err = cmp_seq_next(op->store, op->txn, CMP_CHANNEL_CHANGES, &seq);

    return err ? cmp_op_store_error(op, err) : CMP_OK;
}


static int
cmp_channel_apply(cmp_op_t *op, json_t *rec, json_t *secret,
    const cmp_channel_type_t *type, int create)
{
    const char  *name;
    json_int_t   n;
    size_t       i;
    static const struct {
        const char  *name;
        json_int_t   max;
        json_int_t   min;
    } limits[] = {
        { "rate_limit_per_second", 100000, 1 },
        { "max_in_flight", 10000, 1 },
        { "min_gap_seconds", 86400, 0 },
    };

    if (cmp_check_string(op, op->body, "", "name", 1, 128,
                         create ? CMP_REQUIRED : CMP_OPTIONAL, &name)
        != CMP_OK)
    {
        return CMP_FAIL;
    }

    if (name != NULL) {
        json_object_set_new(rec, "name", json_string(name));
    }

    for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        n = -1;

        if (cmp_check_integer(op, op->body, "", limits[i].name,
                              limits[i].min, limits[i].max, CMP_OPTIONAL, &n)
            != CMP_OK)
        {
            return CMP_FAIL;
        }

        if (n >= 0) {
            json_object_set_new(rec, limits[i].name, json_integer(n));
        }
    }

    if (cmp_channel_apply_provider(op, rec, secret, type) != CMP_OK) {
        return CMP_FAIL;
    }

    json_object_set_new(rec, "status", json_string("ok"));

    if (json_object_get(rec, "last_error") == NULL) {
        json_object_set_new(rec, "last_error", json_null());
    }

    cmp_channel_readiness(rec, secret, type);

    return CMP_OK;
}


/*
 * The provider object is merged field by field, so associating a WABA is
 * a PATCH of three fields; null clears a field.
 */
static int
cmp_channel_apply_provider(cmp_op_t *op, json_t *rec, json_t *secret,
    const cmp_channel_type_t *type)
{
    json_t             *in, *out, *v;
    const char         *s, *other;
    const char *const  *f;
    const char         *all[8];
    size_t              n;

    other = (strcmp(type->object, "whatsapp") == 0) ? "viber" : "whatsapp";

    if (json_object_get(op->body, other) != NULL) {
        return cmp_op_fail(op, 422, "validation_failed", other,
                           "%s is only for %s channels", other, other);
    }

    out = json_object_get(rec, type->object);
    in = json_object_get(op->body, type->object);

    if (in != NULL) {
        if (cmp_check_object(op, in, type->object) != CMP_OK) {
            return CMP_FAIL;
        }

        n = 0;

        for (f = type->fields; *f != NULL; f++) {
            all[n++] = *f;
        }

        for (f = type->secrets; *f != NULL; f++) {
            all[n++] = *f;
        }

        all[n] = NULL;

        if (cmp_check_fields(op, in, type->object, all) != CMP_OK) {
            return CMP_FAIL;
        }

        for (f = type->fields; *f != NULL; f++) {
            v = json_object_get(in, *f);

            if (v == NULL) {
                continue;
            }

            if (json_is_null(v)) {
                json_object_set_new(out, *f, json_null());
                continue;
            }

            if (strcmp(*f, "api_base_url") == 0) {
                if (cmp_check_url(op, in, type->object, *f) != CMP_OK) {
                    return CMP_FAIL;
                }

                s = json_string_value(v);

            } else if (strcmp(*f, "service_account_status") == 0) {
                if (cmp_check_enum(op, in, type->object, *f,
                                   cmp_viber_statuses, CMP_OPTIONAL, &s)
                    != CMP_OK)
                {
                    return CMP_FAIL;
                }

            } else if (cmp_check_string(op, in, type->object, *f, 1,
                                        strcmp(*f, "sender_name") == 0
                                        ? 28 : 128,
                                        CMP_OPTIONAL, &s)
                       != CMP_OK)
            {
                return CMP_FAIL;
            }

            json_object_set_new(out, *f, json_string(s));
        }

        for (f = type->secrets; *f != NULL; f++) {
            v = json_object_get(in, *f);

            if (v == NULL) {
                continue;
            }

            if (json_is_null(v)) {
                json_object_del(secret, *f);
                continue;
            }

            if (cmp_check_string(op, in, type->object, *f, 1, 4096,
                                 CMP_OPTIONAL, &s)
                != CMP_OK)
            {
                return CMP_FAIL;
            }

            json_object_set_new(secret, *f, json_string(s));
        }
    }

    for (f = type->fields; *f != NULL; f++) {
        if (json_object_get(out, *f) == NULL) {
            json_object_set_new(out, *f, json_null());
        }
    }

    if (json_is_null(json_object_get(out, "api_base_url"))) {
        json_object_set_new(out, "api_base_url",
                            json_string(type->api_base_url));
    }

    if (json_object_get(out, "service_account_status") != NULL
        && json_is_null(json_object_get(out, "service_account_status")))
    {
        json_object_set_new(out, "service_account_status",
                            json_string("pending"));
    }

    /* secrets show only whether they are set, never their value */
    for (f = type->secrets; *f != NULL; f++) {
        char  name[64];

        snprintf(name, sizeof(name), "%s_set", *f);
        json_object_set_new(out, name,
                            json_boolean(json_object_get(secret, *f)
                                         != NULL));
    }

    return CMP_OK;
}


static void
cmp_channel_readiness(json_t *rec, json_t *secret,
    const cmp_channel_type_t *type)
{
    char        reason[256];
    size_t      n;
    json_t     *obj;
    const char *status;

    obj = json_object_get(rec, type->object);
    reason[0] = '\0';
    n = 0;

    if (strcmp(type->type, "whatsapp") == 0) {
        if (!json_is_string(json_object_get(obj, "waba_id"))) {
            n += snprintf(reason + n, sizeof(reason) - n,
                          "no WABA associated (waba_id is not set)");
        }

        if (!json_is_string(json_object_get(obj, "phone_number_id"))) {
            n += snprintf(reason + n, sizeof(reason) - n, "%s%s",
                          n ? "; " : "", "phone_number_id is not set");
        }

        if (json_object_get(secret, "access_token") == NULL) {
            n += snprintf(reason + n, sizeof(reason) - n, "%s%s",
                          n ? "; " : "", "access_token is not set");
        }

    } else {
        status = json_string_value(json_object_get(obj,
                                                   "service_account_status"));

        if (status == NULL || strcmp(status, "approved") != 0) {
            n += snprintf(reason + n, sizeof(reason) - n,
                          "service account is %s, not approved",
                          status ? status : "pending");
        }

        if (json_object_get(secret, "auth_token") == NULL) {
            n += snprintf(reason + n, sizeof(reason) - n, "%s%s",
                          n ? "; " : "", "auth_token is not set");
        }
    }

    json_object_set_new(rec, "ready", json_boolean(n == 0));
    json_object_set_new(rec, "not_ready_reason",
                        n ? json_string(reason) : json_null());
}


static int
cmp_channel_save_secret(cmp_op_t *op, json_t *secret)
{
    int     rc;
    char   *dump;
    size_t  len;

    dump = cmp_json_dump(secret, &len);
    if (dump == NULL) {
        return cmp_op_fail(op, 500, "internal_error", NULL, "out of memory");
    }

    rc = cmp_secret_put(op->store, op->txn, op->id, op->id_len, dump, len);

    /* the dump held tokens: do not leave them in freed heap memory */
    memset(dump, 0, len);
    free(dump);

    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    return CMP_OK;
}


/* a WhatsApp channel's phone_number_id, copied out of the record */
static const char *
cmp_channel_phone(json_t *rec, char *buf, size_t size)
{
    const char  *s;

    s = json_string_value(json_object_get(json_object_get(rec, "whatsapp"),
                                          "phone_number_id"));

    if (s == NULL || strlen(s) >= size) {
        return NULL;
    }

    return strcpy(buf, s);
}


/*
 * CMP_CHANNEL_PHONE_INDEX: phone_number_id -> channel id, so a WhatsApp
 * webhook finds its channel (and app_secret) without a scan.  Two
 * channels may name one number: the index names the last one written,
 * and an entry is removed only by the channel it names.
 */
static int
cmp_channel_index(cmp_op_t *op, const char *old, const char *now)
{
    int     rc;
    char    id[CMP_ID_MAX + 1];
    size_t  id_len;

    if (old != NULL && now != NULL && strcmp(old, now) == 0) {
        return CMP_OK;
    }

    rc = 0;

    if (old != NULL) {
        rc = cmp_index_get(op->store, op->txn, CMP_CHANNEL_PHONE_INDEX, old,
                           strlen(old), id, &id_len);

        if (rc == 0 && id_len == op->id_len
            && memcmp(id, op->id, id_len) == 0)
        {
            rc = cmp_index_del(op->store, op->txn, CMP_CHANNEL_PHONE_INDEX,
                               old, strlen(old));

        } else if (rc == MDB_NOTFOUND || rc == 0) {
            rc = 0;
        }
    }

    if (rc == 0 && now != NULL) {
        rc = cmp_index_put(op->store, op->txn, CMP_CHANNEL_PHONE_INDEX, now,
                           strlen(now), op->id, op->id_len);
    }

    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    return CMP_OK;
}
