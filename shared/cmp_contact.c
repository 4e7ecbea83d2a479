
/*
 * Contacts: field rules, the phone index that keeps phones unique, a name
 * index for prefix search, and the upsert by phone that imports use.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_contact.h"
#include "cmp_group.h"
#include "cmp_phone.h"
#include "cmp_validate.h"


#define CMP_NAME_INDEX      "contact_name"
#define CMP_NAME_KEY_MAX    (CMP_FOLD_MAX + 1 + CMP_ID_MAX)
#define CMP_ATTR_MAX        64
#define CMP_ATTR_VALUE_MAX  1024

/* webhooks find a Viber sender by its subscriber id (cmp_webhook.c) */
#define CMP_VIBER_INDEX     "viber_id"
#define CMP_VIBER_ID_MAX    128

/* and a WhatsApp sender known by its business-scoped user id only */
#define CMP_WA_USER_INDEX   "wa_user_id"


typedef struct {
    char     phone[CMP_PHONE_MAX + 1];
    char     name_key[CMP_NAME_KEY_MAX];
    size_t   name_key_len;
    char     viber_id[CMP_VIBER_ID_MAX + 1];
    char     wa_user_id[CMP_VIBER_ID_MAX + 1];
} cmp_contact_keys_t;


static json_t *cmp_contact_blank(void);
static json_t *cmp_contact_string(json_t *v, const char *s);
static int cmp_contact_apply(cmp_op_t *op, json_t *in, json_t *rec);
static int cmp_contact_apply_string(cmp_op_t *op, json_t *in, json_t *rec,
    const char *name, size_t min, size_t max);
static int cmp_contact_apply_attributes(cmp_op_t *op, json_t *in,
    json_t *rec);
static int cmp_contact_check_phone(cmp_op_t *op, json_t *in,
    const char **phone);
static int cmp_contact_phone_free(cmp_op_t *op, const char *phone);
static void cmp_contact_keys(cmp_op_t *op, json_t *rec,
    cmp_contact_keys_t *keys);
static int cmp_contact_reindex(cmp_op_t *op, const cmp_contact_keys_t *old,
    json_t *rec);
static int cmp_contact_viber_del(cmp_op_t *op, const char *viber_id);
static int cmp_contact_user_index(cmp_op_t *op, const char *old,
    const char *now);


static const char *const  cmp_contact_fields[] = {
    "id", "phone", "name", "email", "country", "remark", "viber_id",
    "whatsapp_user_id", "attributes", "opted_out", NULL
};


/*
 * Every field present from the start, so output always has the same keys;
 * built by hand, as json_pack() parses its format once per new contact.
 */
static json_t *
cmp_contact_blank(void)
{
    json_t  *rec;

    rec = json_object();
    if (rec == NULL) {
        return NULL;
    }

    if (json_object_set_new(rec, "phone", json_null()) != 0
        || json_object_set_new(rec, "name", json_null()) != 0
        || json_object_set_new(rec, "email", json_null()) != 0
        || json_object_set_new(rec, "country", json_null()) != 0
        || json_object_set_new(rec, "remark", json_null()) != 0
        || json_object_set_new(rec, "viber_id", json_null()) != 0
        || json_object_set_new(rec, "whatsapp_user_id", json_null()) != 0
        || json_object_set_new(rec, "attributes", json_object()) != 0
        || json_object_set_new(rec, "opted_out", json_false()) != 0
        || json_object_set_new(rec, "opted_out_at", json_null()) != 0)
    {
        json_decref(rec);
        return NULL;
    }

    return rec;
}


int
cmp_contact_create(cmp_op_t *op)
{
    int                  rc;
    char                 id[CMP_ID_MAX + 1];
    size_t               id_len;
    json_t              *rec;
    const char          *phone;
    cmp_contact_keys_t   none;

    if (cmp_check_object(op, op->body, "") != CMP_OK
        || cmp_check_fields(op, op->body, "", cmp_contact_fields) != CMP_OK
        || cmp_check_id(op, op->body) != CMP_OK)
    {
        return CMP_FAIL;
    }

    rec = cmp_contact_blank();
    if (rec == NULL) {
        return cmp_op_fail(op, 500, "internal_error", NULL, "out of memory");
    }

    /* a retried create answers as the first one did, before any check */
    if (op->idempotency_key != NULL
        && cmp_idempotency_get(op->store, op->txn, op->kind->name,
                               op->idempotency_key, op->idempotency_key_len,
                               op->now, id, &id_len) == 0)
    {
        rc = cmp_resource_create(op, rec);
        json_decref(rec);
        return rc;
    }

    rc = cmp_contact_check_phone(op, op->body, &phone);

    if (rc == CMP_OK) {
        rc = cmp_contact_apply(op, op->body, rec);
    }

    if (rc == CMP_OK) {
        rc = cmp_contact_phone_free(op, phone);
    }

    if (rc == CMP_OK && json_object_get(op->body, "id") != NULL) {
        json_object_set(rec, "id", json_object_get(op->body, "id"));
    }

    if (rc == CMP_OK) {
        rc = cmp_resource_create(op, rec);
    }

    if (rc == CMP_OK) {
        memset(&none, 0, sizeof(cmp_contact_keys_t));
        rc = cmp_contact_reindex(op, &none, rec);
    }

    json_decref(rec);

    return rc;
}


int
cmp_contact_update(cmp_op_t *op)
{
    int                  rc;
    json_t              *rec;
    const char          *phone;
    cmp_record_t         meta;
    cmp_contact_keys_t   old;

    if (cmp_check_object(op, op->body, "") != CMP_OK
        || cmp_check_fields(op, op->body, "", cmp_contact_fields) != CMP_OK)
    {
        return CMP_FAIL;
    }

    if (json_object_get(op->body, "id") != NULL) {
        return cmp_op_fail(op, 422, "validation_failed", "id",
                           "id cannot change");
    }

    if (json_object_get(op->body, "phone") != NULL
        && cmp_contact_check_phone(op, op->body, &phone) != CMP_OK)
    {
        return CMP_FAIL;
    }

    if (cmp_resource_load(op, &rec, &meta) != CMP_OK) {
        return CMP_FAIL;
    }

    cmp_contact_keys(op, rec, &old);

    rc = cmp_contact_apply(op, op->body, rec);

    phone = json_string_value(json_object_get(rec, "phone"));

    if (rc == CMP_OK && phone != NULL && strcmp(phone, old.phone) != 0) {
        rc = cmp_contact_phone_free(op, phone);
    }

    if (rc == CMP_OK) {
        rc = cmp_resource_store(op, rec, &meta);
    }

    if (rc == CMP_OK) {
        rc = cmp_contact_reindex(op, &old, rec);
    }

    json_decref(rec);

    return rc;
}


int
cmp_contact_delete(cmp_op_t *op)
{
    int                  rc;
    json_t              *rec;
    cmp_record_t         meta;
    cmp_contact_keys_t   old;

    if (cmp_resource_load(op, &rec, &meta) != CMP_OK) {
        return CMP_FAIL;
    }

    cmp_contact_keys(op, rec, &old);
    json_decref(rec);

    rc = cmp_contact_leave_groups(op->store, op->txn, op->now, op->id,
                                  op->id_len);

    if (rc == 0 && old.phone[0] != '\0') {
        rc = cmp_index_del(op->store, op->txn, "phone", old.phone,
                           strlen(old.phone));
    }

    if (rc == 0 && old.name_key_len > 0) {
        rc = cmp_index_del(op->store, op->txn, CMP_NAME_INDEX, old.name_key,
                           old.name_key_len);
    }

    if (rc == 0 && old.viber_id[0] != '\0') {
        rc = cmp_contact_viber_del(op, old.viber_id);
    }

    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    if (cmp_contact_user_index(op, old.wa_user_id, "") != CMP_OK) {
        return CMP_FAIL;
    }

    return cmp_resource_remove(op);
}


/*
 * One import line: created when its phone is new, else updated (fields
 * present replace stored ones, attributes merge) or, with ignore, left
 * as it is.  Invalid lines fail before anything is written.
 */
int
cmp_contact_import_line(cmp_contact_import_t *imp, json_t *line,
    cmp_import_outcome_e *outcome)
{
    int                  rc, added;
    json_t              *rec, *before;
    cmp_op_t            *op;
    const char          *phone;
    cmp_record_t         meta;
    cmp_contact_keys_t   old;

    op = &imp->op;

    cmp_op_free(op);
    cmp_op_init(op, imp->store, NULL, &cmp_kind_contacts);

    op->txn = imp->txn;
    op->now = imp->now;
    op->body = line;

    if (imp->id_seq.name[0] == '\0') {
        cmp_seq_init(&imp->id_seq, "id:", &cmp_kind_contacts);
        cmp_seq_init(&imp->order_seq, "order:", &cmp_kind_contacts);
    }

    op->id_seq = &imp->id_seq;
    op->order_seq = &imp->order_seq;

    if (json_object_get(line, "id") != NULL) {
        return cmp_op_fail(op, 422, "unknown_field", "id",
                           "id cannot be imported: contacts are matched "
                           "by phone");
    }

    if (cmp_check_fields(op, line, "", cmp_contact_fields) != CMP_OK
        || cmp_contact_check_phone(op, line, &phone) != CMP_OK)
    {
        return CMP_FAIL;
    }

    rc = cmp_index_get(op->store, op->txn, "phone", phone, strlen(phone),
                       op->id, &op->id_len);

    if (rc == CMP_NOTFOUND) {
        op->id_len = 0;

        rec = cmp_contact_blank();
        if (rec == NULL) {
            return cmp_op_fail(op, 500, "internal_error", NULL,
                               "out of memory");
        }

        memset(&old, 0, sizeof(cmp_contact_keys_t));

        rc = cmp_contact_apply(op, line, rec);

        if (rc == CMP_OK) {
            rc = cmp_resource_create(op, rec);
        }

        if (rc == CMP_OK) {
            rc = cmp_contact_reindex(op, &old, rec);
        }

        json_decref(rec);
        *outcome = CMP_IMPORT_CREATED;

    } else if (rc == 0) {
        if (cmp_resource_load(op, &rec, &meta) != CMP_OK) {
            return CMP_FAIL;
        }

        cmp_contact_keys(op, rec, &old);
        before = json_deep_copy(rec);

        rc = cmp_contact_apply(op, line, rec);

        if (rc != CMP_OK) {
            /* refused: nothing more to do */

        } else if (imp->ignore) {
            *outcome = CMP_IMPORT_IGNORED;

        } else if (before != NULL && json_equal(before, rec)) {
            /* a re-run of the same import does not bump versions */
            *outcome = CMP_IMPORT_UNCHANGED;

        } else {
            rc = cmp_resource_store(op, rec, &meta);

            if (rc == CMP_OK) {
                rc = cmp_contact_reindex(op, &old, rec);
            }

            *outcome = CMP_IMPORT_UPDATED;
        }

        json_decref(before);
        json_decref(rec);

    } else {
        return cmp_op_store_error(op, rc);
    }

    if (rc != CMP_OK || imp->group_id == NULL) {
        return rc;
    }

    rc = cmp_member_add(op->store, op->txn, imp->group_id,
                        imp->group_id_len, op->id, op->id_len, &added);
    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    imp->group_delta += added;

    return CMP_OK;
}


/*
 * The sequences and the group's count change once a chunk, not once a
 * line; the chunk must not commit without this.
 */
int
cmp_contact_import_flush(cmp_contact_import_t *imp)
{
    int  rc;

    rc = cmp_seq_save(imp->store, imp->txn, &imp->id_seq);

    if (rc == 0) {
        rc = cmp_seq_save(imp->store, imp->txn, &imp->order_seq);
    }

    if (rc != 0) {
        return rc;
    }

    if (imp->group_id == NULL || imp->group_delta == 0) {
        return 0;
    }

    rc = cmp_group_count_add(imp->store, imp->txn, imp->now, imp->group_id,
                             imp->group_id_len, imp->group_delta);
    if (rc == 0) {
        imp->group_delta = 0;
    }

    return rc;
}


/*
 * Contacts whose folded name starts with prefix, in name order, from
 * after the index position "after" on; visit gets that position (the
 * folded name, NUL, the id) as the id argument.
 */
int
cmp_contact_name_walk(cmp_store_t *st, cmp_txn_t *txn, const char *prefix,
    size_t prefix_len, const char *after, size_t after_len,
    cmp_record_visit_pt visit, void *ctx)
{
    int                rc;
    char               low[CMP_FOLD_MAX];
    size_t             low_len;
    cmp_record_join_t  j;

    if (after != NULL && after_len > CMP_NAME_KEY_MAX) {
        return CMP_BAD_VALSIZE;
    }

    low_len = cmp_text_fold(low, CMP_FOLD_MAX, prefix, prefix_len);

    cmp_record_join_init(&j, st, txn, &cmp_kind_contacts, visit, ctx);

    /* the page cursor is a position: the walk starts right after it */
    rc = cmp_index_walk(st, txn, CMP_NAME_INDEX, low, low_len, after,
                        after_len, cmp_record_join, &j);

    return (rc != 0) ? rc : j.rc;
}


static int
cmp_contact_check_phone(cmp_op_t *op, json_t *in, const char **phone)
{
    if (cmp_check_string(op, in, "", "phone", 1, 64, CMP_REQUIRED, phone)
        != CMP_OK)
    {
        return CMP_FAIL;
    }

    if (!cmp_phone_valid(*phone, strlen(*phone))) {
        return cmp_op_fail(op, 422, "validation_failed", "phone",
                           "phone must be E.164: + then 8 to 15 digits, "
                           "such as +8613800000000");
    }

    return CMP_OK;
}


/*
 * The record keeps s as json_string() copies it, up to a NUL a CSV cell
 * may hold; without one the input's own value is shared, not copied, as
 * no string is ever changed in place.
 */
static json_t *
cmp_contact_string(json_t *v, const char *s)
{
    if (strlen(s) == json_string_length(v)) {
        return json_incref(v);
    }

    return json_string(s);
}


/* null clears a field; phone cannot be cleared */
static int
cmp_contact_apply(cmp_op_t *op, json_t *in, json_t *rec)
{
    char         when[CMP_TIME_LEN + 1];
    json_t      *v;
    const char  *s;

    if (json_object_get(in, "phone") != NULL) {
        if (cmp_contact_check_phone(op, in, &s) != CMP_OK) {
            return CMP_FAIL;
        }

        json_object_set_new(rec, "phone",
                            cmp_contact_string(json_object_get(in, "phone"),
                                               s));
    }

    if (cmp_contact_apply_string(op, in, rec, "name", 1, 128) != CMP_OK
        || cmp_contact_apply_string(op, in, rec, "email", 3, CMP_EMAIL_MAX)
           != CMP_OK
        || cmp_contact_apply_string(op, in, rec, "country", 2, 2) != CMP_OK
        || cmp_contact_apply_string(op, in, rec, "remark", 0, 256) != CMP_OK
        || cmp_contact_apply_string(op, in, rec, "viber_id", 1, 128)
           != CMP_OK
        || cmp_contact_apply_string(op, in, rec, "whatsapp_user_id", 1,
                                    CMP_VIBER_ID_MAX)
           != CMP_OK
        || cmp_contact_apply_attributes(op, in, rec) != CMP_OK)
    {
        return CMP_FAIL;
    }

    v = json_object_get(in, "opted_out");

    if (v != NULL) {
        if (!json_is_boolean(v)) {
            return cmp_op_fail(op, 422, "validation_failed", "opted_out",
                               "opted_out must be true or false");
        }

        if (json_is_true(v) != json_is_true(json_object_get(rec,
                                                            "opted_out")))
        {
            cmp_time_format(op->now, when);

            json_object_set_new(rec, "opted_out",
                                json_boolean(json_is_true(v)));
            json_object_set_new(rec, "opted_out_at", json_is_true(v)
                                                     ? json_string(when)
                                                     : json_null());
        }
    }

    return CMP_OK;
}


static int
cmp_contact_apply_string(cmp_op_t *op, json_t *in, json_t *rec,
    const char *name, size_t min, size_t max)
{
    char         cc[3];
    json_t      *v;
    const char  *s;

    v = json_object_get(in, name);

    if (v == NULL) {
        return CMP_OK;
    }

    if (json_is_null(v)) {
        json_object_set_new(rec, name, json_null());
        return CMP_OK;
    }

    if (cmp_check_string(op, in, "", name, min, max, CMP_OPTIONAL, &s)
        != CMP_OK)
    {
        return CMP_FAIL;
    }

    if (strcmp(name, "email") == 0
        && !cmp_email_valid(s, json_string_length(v)))
    {
        return cmp_op_fail(op, 422, "validation_failed", name,
                           "email must be an address such as "
                           "li@example.com");
    }

    if (strcmp(name, "country") == 0) {
        /* "cn" is no typo: it is stored as "CN" */
        cc[0] = (s[0] >= 'a' && s[0] <= 'z') ? s[0] - 'a' + 'A' : s[0];
        cc[1] = (s[1] >= 'a' && s[1] <= 'z') ? s[1] - 'a' + 'A' : s[1];
        cc[2] = '\0';

        if (!cmp_country_valid(cc, 2)) {
            return cmp_op_fail(op, 422, "validation_failed", name,
                               "country must be an ISO 3166-1 alpha-2 "
                               "code such as CN");
        }

        json_object_set_new(rec, name, json_string(cc));

        return CMP_OK;
    }

    json_object_set_new(rec, name, cmp_contact_string(v, s));

    return CMP_OK;
}


/*
 * attributes merge key by key (null removes a key, as in a JSON merge
 * patch); values are flat: strings, numbers or booleans.
 */
static int
cmp_contact_apply_attributes(cmp_op_t *op, json_t *in, json_t *rec)
{
    char         field[128];
    size_t       n;
    json_t      *v, *attrs, *val;
    const char  *key;

    v = json_object_get(in, "attributes");

    if (v == NULL) {
        return CMP_OK;
    }

    if (json_is_null(v)) {
        json_object_set_new(rec, "attributes", json_object());
        return CMP_OK;
    }

    if (!json_is_object(v)) {
        return cmp_op_fail(op, 422, "validation_failed", "attributes",
                           "attributes must be an object");
    }

    attrs = json_object_get(rec, "attributes");

    if (!json_is_object(attrs)) {
        attrs = json_object();
        json_object_set_new(rec, "attributes", attrs);
    }

    json_object_foreach(v, key, val) {
        n = cmp_utf8_length(key, strlen(key));

        if (n < 1 || n > 64) {
            return cmp_op_fail(op, 422, "validation_failed", "attributes",
                               "attribute names must be 1 to 64 "
                               "characters");
        }

        if (json_is_null(val)) {
            json_object_del(attrs, key);
            continue;
        }

        if (json_is_string(val)) {
            if (cmp_utf8_length(json_string_value(val),
                                json_string_length(val))
                > CMP_ATTR_VALUE_MAX)
            {
                /* the field is named only when something is wrong */
                snprintf(field, sizeof(field), "attributes.%.64s", key);

                return cmp_op_fail(op, 422, "validation_failed", field,
                                   "%s must be at most %d characters",
                                   field, CMP_ATTR_VALUE_MAX);
            }

        } else if (!json_is_number(val) && !json_is_boolean(val)) {
            snprintf(field, sizeof(field), "attributes.%.64s", key);

            return cmp_op_fail(op, 422, "validation_failed", field,
                               "%s must be a string, number or boolean "
                               "(attributes are flat)", field);
        }

        json_object_set(attrs, key, val);
    }

    if (json_object_size(attrs) > CMP_ATTR_MAX) {
        return cmp_op_fail(op, 422, "validation_failed", "attributes",
                           "attributes may have at most %d keys",
                           CMP_ATTR_MAX);
    }

    return CMP_OK;
}


static int
cmp_contact_phone_free(cmp_op_t *op, const char *phone)
{
    int     rc;
    char    id[CMP_ID_MAX + 1];
    size_t  id_len;

    rc = cmp_index_get(op->store, op->txn, "phone", phone, strlen(phone),
                       id, &id_len);

    if (rc == CMP_NOTFOUND) {
        return CMP_OK;
    }

    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    if (id_len == op->id_len && memcmp(id, op->id, id_len) == 0) {
        return CMP_OK;
    }

    return cmp_op_fail(op, 409, "conflict", "phone",
                       "phone %s is already taken by contact \"%s\"",
                       phone, id);
}


/* the index keys a record has, to compare before and after a change */
static void
cmp_contact_keys(cmp_op_t *op, json_t *rec, cmp_contact_keys_t *keys)
{
    size_t       n;
    const char  *s;

    memset(keys, 0, sizeof(cmp_contact_keys_t));

    s = json_string_value(json_object_get(rec, "phone"));

    if (s != NULL && strlen(s) <= CMP_PHONE_MAX) {
        strcpy(keys->phone, s);
    }

    s = json_string_value(json_object_get(rec, "viber_id"));

    if (s != NULL && strlen(s) <= CMP_VIBER_ID_MAX) {
        strcpy(keys->viber_id, s);
    }

    s = json_string_value(json_object_get(rec, "whatsapp_user_id"));

    if (s != NULL && strlen(s) <= CMP_VIBER_ID_MAX) {
        strcpy(keys->wa_user_id, s);
    }

    s = json_string_value(json_object_get(rec, "name"));

    if (s != NULL && op->id_len > 0) {
        n = cmp_text_fold(keys->name_key, CMP_FOLD_MAX, s, strlen(s));
        keys->name_key[n] = '\0';
        memcpy(keys->name_key + n + 1, op->id, op->id_len);
        keys->name_key_len = n + 1 + op->id_len;
    }
}


static int
cmp_contact_reindex(cmp_op_t *op, const cmp_contact_keys_t *old,
    json_t *rec)
{
    int                  rc;
    cmp_contact_keys_t   now;

    cmp_contact_keys(op, rec, &now);

    rc = 0;

    if (strcmp(old->phone, now.phone) != 0) {
        if (old->phone[0] != '\0') {
            rc = cmp_index_del(op->store, op->txn, "phone", old->phone,
                               strlen(old->phone));
        }

        if (rc == 0 && now.phone[0] != '\0') {
            rc = cmp_index_put(op->store, op->txn, "phone", now.phone,
                               strlen(now.phone), op->id, op->id_len);
        }
    }

    if (rc == 0
        && (old->name_key_len != now.name_key_len
            || memcmp(old->name_key, now.name_key, now.name_key_len) != 0))
    {
        if (old->name_key_len > 0) {
            rc = cmp_index_del(op->store, op->txn, CMP_NAME_INDEX,
                               old->name_key, old->name_key_len);
        }

        if (rc == 0 && now.name_key_len > 0) {
            rc = cmp_index_put(op->store, op->txn, CMP_NAME_INDEX,
                               now.name_key, now.name_key_len, op->id,
                               op->id_len);
        }
    }

    if (rc == 0 && strcmp(old->viber_id, now.viber_id) != 0) {
        if (old->viber_id[0] != '\0') {
            rc = cmp_contact_viber_del(op, old->viber_id);
        }

        if (rc == 0 && now.viber_id[0] != '\0') {
            rc = cmp_index_put(op->store, op->txn, CMP_VIBER_INDEX,
                               now.viber_id, strlen(now.viber_id), op->id,
                               op->id_len);
        }
    }

    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    return cmp_contact_user_index(op, old->wa_user_id, now.wa_user_id);
}


/*
 * whatsapp_user_id is unique, as phone is: webhooks match a sender by it
 * before the phone, so two contacts must not share one.
 */
static int
cmp_contact_user_index(cmp_op_t *op, const char *old, const char *now)
{
    int     rc;
    char    id[CMP_ID_MAX + 1];
    size_t  id_len;

    if (strcmp(old, now) == 0) {
        return CMP_OK;
    }

    rc = 0;

    if (now[0] != '\0') {
        rc = cmp_index_get(op->store, op->txn, CMP_WA_USER_INDEX, now,
                           strlen(now), id, &id_len);

        if (rc == 0
            && !(id_len == op->id_len && memcmp(id, op->id, id_len) == 0))
        {
            return cmp_op_fail(op, 409, "conflict", "whatsapp_user_id",
                               "whatsapp_user_id %s is already taken by "
                               "contact \"%.*s\"", now, (int) id_len, id);
        }

        rc = (rc == CMP_NOTFOUND) ? 0 : rc;
    }

    if (rc == 0 && old[0] != '\0') {
        rc = cmp_index_del(op->store, op->txn, CMP_WA_USER_INDEX, old,
                           strlen(old));
        rc = (rc == CMP_NOTFOUND) ? 0 : rc;
    }

    if (rc == 0 && now[0] != '\0') {
        rc = cmp_index_put(op->store, op->txn, CMP_WA_USER_INDEX, now,
                           strlen(now), op->id, op->id_len);
    }

    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    return CMP_OK;
}


/* viber_id is not unique: only the contact the index names removes it */
static int
cmp_contact_viber_del(cmp_op_t *op, const char *viber_id)
{
    int     rc;
    char    id[CMP_ID_MAX + 1];
    size_t  id_len;

    rc = cmp_index_get(op->store, op->txn, CMP_VIBER_INDEX, viber_id,
                       strlen(viber_id), id, &id_len);

    if (rc == CMP_NOTFOUND) {
        return 0;
    }

    if (rc == 0 && id_len == op->id_len && memcmp(id, op->id, id_len) == 0) {
        rc = cmp_index_del(op->store, op->txn, CMP_VIBER_INDEX, viber_id,
                           strlen(viber_id));
    }

    return rc;
}
