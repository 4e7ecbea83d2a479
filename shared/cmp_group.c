
/*
 * User groups: names unique case-insensitively, membership through the
 * store's pairs (cmp_members.h), and an exact contact_count kept in the
 * group record in the same transaction.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_group.h"
#include "cmp_phone.h"
#include "cmp_validate.h"


/* a deleted contact's groups, each told of its smaller count */
typedef struct {
    cmp_store_t   *st;
    cmp_txn_t     *txn;
    int64_t        now;
} cmp_group_leave_t;


static int cmp_group_apply(cmp_op_t *op, json_t *rec, int create,
    char *fold, size_t *fold_len);
static int cmp_group_name_free(cmp_op_t *op, const char *fold,
    size_t fold_len);
static int cmp_group_members_change(cmp_op_t *op, int add);
static int cmp_group_member_resolve(cmp_op_t *op, const char *list,
    size_t i, json_t *v, char *cid, size_t *clen);
static int cmp_group_contact(void *ctx, const char *cid, size_t len);
static int cmp_group_left(void *ctx, const char *gid, size_t len);


static const char *const  cmp_group_fields[] = {
    "id", "name", "description", NULL
};

static const char *const  cmp_group_member_fields[] = {
    "contact_ids", "phones", NULL
};


int
cmp_group_create(cmp_op_t *op)
{
    int      rc;
    char     fold[CMP_FOLD_MAX];
    char     id[CMP_ID_MAX + 1];
    size_t   fold_len, id_len;
    json_t  *rec;

    if (cmp_check_object(op, op->body, "") != CMP_OK
        || cmp_check_fields(op, op->body, "", cmp_group_fields) != CMP_OK
        || cmp_check_id(op, op->body) != CMP_OK)
    {
        return CMP_FAIL;
    }

    rec = json_object();
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

    json_object_set_new(rec, "name", json_null());
    json_object_set_new(rec, "description", json_null());
    json_object_set_new(rec, "contact_count", json_integer(0));

    if (json_object_get(op->body, "id") != NULL) {
        json_object_set(rec, "id", json_object_get(op->body, "id"));
    }

    rc = cmp_group_apply(op, rec, 1, fold, &fold_len);

    if (rc == CMP_OK) {
        rc = cmp_group_name_free(op, fold, fold_len);
    }

    if (rc == CMP_OK) {
        rc = cmp_resource_create(op, rec);
    }

    json_decref(rec);

    if (rc != CMP_OK) {
        return rc;
    }

    rc = cmp_index_put(op->store, op->txn, "group_name", fold, fold_len,
                       op->id, op->id_len);
    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    return CMP_OK;
}


int
cmp_group_update(cmp_op_t *op)
{
    int            rc;
    char           fold[CMP_FOLD_MAX], old[CMP_FOLD_MAX];
    size_t         fold_len, old_len;
    json_t        *rec;
    const char    *name;
    cmp_record_t   meta;

    if (cmp_check_object(op, op->body, "") != CMP_OK
        || cmp_check_fields(op, op->body, "", cmp_group_fields) != CMP_OK)
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

    name = json_string_value(json_object_get(rec, "name"));
    old_len = cmp_text_fold(old, sizeof(old), name ? name : "",
                            name ? strlen(name) : 0);

    rc = cmp_group_apply(op, rec, 0, fold, &fold_len);

    if (rc == CMP_OK
        && (fold_len != old_len || memcmp(fold, old, old_len) != 0))
    {
        rc = cmp_group_name_free(op, fold, fold_len);

        if (rc == CMP_OK) {
            rc = cmp_index_del(op->store, op->txn, "group_name", old,
                               old_len);
            if (rc == 0) {
                rc = cmp_index_put(op->store, op->txn, "group_name", fold,
                                   fold_len, op->id, op->id_len);
            }

            if (rc != 0) {
                json_decref(rec);
                return cmp_op_store_error(op, rc);
            }
        }
    }

    if (rc == CMP_OK) {
        rc = cmp_resource_store(op, rec, &meta);
    }

    json_decref(rec);

    return rc;
}


/*
 * A group that a campaign still has to send to cannot go; campaigns keep
 * the "group" reference count.  Its members go after it, in chunks
 * (cmp_purge.h): a group of millions is no one long txn.
 */
int
cmp_group_delete(cmp_op_t *op)
{
    int            rc;
    char           fold[CMP_FOLD_MAX];
    size_t         fold_len;
    json_t        *rec;
    uint64_t       refs;
    const char    *name;
    cmp_record_t   meta;

    if (cmp_resource_load(op, &rec, &meta) != CMP_OK) {
        return CMP_FAIL;
    }

    name = json_string_value(json_object_get(rec, "name"));
    fold_len = cmp_text_fold(fold, sizeof(fold), name ? name : "",
                             name ? strlen(name) : 0);
    json_decref(rec);

    rc = cmp_ref_count(op->store, op->txn, "group", op->id, op->id_len,
                       &refs);
    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    if (refs > 0) {
        return cmp_op_fail(op, 409, "conflict", NULL,
                           "group \"%s\" is used by %llu campaign(s) that "
                           "are not completed", op->id,
                           (unsigned long long) refs);
    }

    rc = cmp_index_del(op->store, op->txn, "group_name", fold, fold_len);
    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    return cmp_resource_remove(op);
}


static int
cmp_group_apply(cmp_op_t *op, json_t *rec, int create, char *fold,
    size_t *fold_len)
{
    json_t      *v;
    const char  *s;

    if (cmp_check_string(op, op->body, "", "name", 1, 60,
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

    } else {
        if (cmp_check_string(op, op->body, "", "description", 0, 200,
                             CMP_OPTIONAL, &s)
            != CMP_OK)
        {
            return CMP_FAIL;
        }

        if (s != NULL) {
            json_object_set_new(rec, "description", json_string(s));
        }
    }

    s = json_string_value(json_object_get(rec, "name"));
    *fold_len = cmp_text_fold(fold, CMP_FOLD_MAX, s ? s : "",
                              s ? strlen(s) : 0);

    return CMP_OK;
}


static int
cmp_group_name_free(cmp_op_t *op, const char *fold, size_t fold_len)
{
    int     rc;
    char    id[CMP_ID_MAX + 1];
    size_t  id_len;

    rc = cmp_index_get(op->store, op->txn, "group_name", fold, fold_len,
                       id, &id_len);

    if (rc == CMP_NOTFOUND) {
        return CMP_OK;
    }

    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    return cmp_op_fail(op, 409, "conflict", "name",
                       "group \"%s\" already has this name", id);
}


int
cmp_group_members_add(cmp_op_t *op)
{
    return cmp_group_members_change(op, 1);
}


int
cmp_group_members_remove(cmp_op_t *op)
{
    return cmp_group_members_change(op, 0);
}


/*
 * All or nothing: an unknown contact refuses the whole request.  Adding
 * a member twice (or removing a non-member) changes nothing, and then
 * the group keeps its version.
 */
static int
cmp_group_members_change(cmp_op_t *op, int add)
{
    int            rc, changed;
    char           cid[CMP_ID_MAX + 1];
    size_t         i, clen;
    json_t        *rec, *list, *v;
    int64_t        delta, count;
    const char    *name;
    cmp_record_t   meta;

    if (cmp_check_object(op, op->body, "") != CMP_OK
        || cmp_check_fields(op, op->body, "", cmp_group_member_fields)
           != CMP_OK)
    {
        return CMP_FAIL;
    }

    name = "contact_ids";
    list = json_object_get(op->body, name);

    if (json_object_get(op->body, "phones") != NULL) {
        if (list != NULL) {
            return cmp_op_fail(op, 422, "validation_failed", "phones",
                               "give contact_ids or phones, not both");
        }

        name = "phones";
        list = json_object_get(op->body, name);
    }

    if (list == NULL) {
        return cmp_op_fail(op, 422, "validation_failed", "contact_ids",
                           "contact_ids or phones is required");
    }

    if (!json_is_array(list) || json_array_size(list) > CMP_MEMBERS_MAX) {
        return cmp_op_fail(op, 422, "validation_failed", name,
                           "%s must be an array of at most %d strings",
                           name, CMP_MEMBERS_MAX);
    }

    if (cmp_resource_load(op, &rec, &meta) != CMP_OK) {
        return CMP_FAIL;
    }

    delta = 0;

    json_array_foreach(list, i, v) {
        if (cmp_group_member_resolve(op, name, i, v, cid, &clen) != CMP_OK) {
            json_decref(rec);
            return CMP_FAIL;
        }

        if (add) {
            rc = cmp_member_add(op->store, op->txn, op->id, op->id_len,
                                cid, clen, &changed);

        } else {
            rc = cmp_member_remove(op->store, op->txn, op->id, op->id_len,
                                   cid, clen, &changed);
        }

        if (rc != 0) {
            json_decref(rec);
            return cmp_op_store_error(op, rc);
        }

        delta += changed ? (add ? 1 : -1) : 0;
    }

    if (delta == 0) {
        rc = cmp_op_reply(op, 200, rec);
        op->version = meta.version;
        json_decref(rec);
        return rc;
    }

    count = json_integer_value(json_object_get(rec, "contact_count"))
            + delta;

    json_object_set_new(rec, "contact_count",
                        json_integer(count < 0 ? 0 : count));

    rc = cmp_resource_store(op, rec, &meta);
    json_decref(rec);

    return rc;
}


static int
cmp_group_member_resolve(cmp_op_t *op, const char *list, size_t i,
    json_t *v, char *cid, size_t *clen)
{
    int            rc;
    size_t         len;
    const char    *s;
    cmp_record_t   rec;

    if (!json_is_string(v)) {
        return cmp_op_fail(op, 422, "validation_failed", list,
                           "%s[%zu] must be a string", list, i);
    }

    s = json_string_value(v);
    len = json_string_length(v);

    if (strcmp(list, "phones") == 0) {
        if (!cmp_phone_valid(s, len)) {
            return cmp_op_fail(op, 422, "validation_failed", list,
                               "phones[%zu] \"%.32s\" must be E.164 "
                               "(+ then 8 to 15 digits)", i, s);
        }

        rc = cmp_index_get(op->store, op->txn, "phone", s, len, cid, clen);

        if (rc == CMP_NOTFOUND) {
            return cmp_op_fail(op, 422, "validation_failed", list,
                               "no contact has phone \"%s\"", s);
        }

        if (rc != 0) {
            return cmp_op_store_error(op, rc);
        }

        return CMP_OK;
    }

    rc = cmp_valid_id(s, len)
         ? cmp_record_get(op->store, op->txn, &cmp_kind_contacts, s, len,
                          &rec)
         : CMP_NOTFOUND;

    if (rc == CMP_NOTFOUND) {
        return cmp_op_fail(op, 422, "validation_failed", list,
                           "no contact \"%.64s\"", s);
    }

    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    memcpy(cid, s, len);
    cid[len] = '\0';
    *clen = len;

    return CMP_OK;
}


/*
 * Members of a group in contact id order, starting after "after" (a
 * contact id, or NULL); visit gets the contact id and its record.
 */
int
cmp_group_contacts_walk(cmp_store_t *st, cmp_txn_t *txn, const char *gid,
    size_t glen, const char *after, size_t after_len,
    cmp_record_visit_pt visit, void *ctx)
{
    int                rc;
    cmp_record_join_t  j;

    cmp_record_join_init(&j, st, txn, &cmp_kind_contacts, visit, ctx);

    rc = cmp_members_walk(st, txn, gid, glen, after, after_len,
                          cmp_group_contact, &j);

    return (rc != 0) ? rc : j.rc;
}


/* a cmp_member_visit_pt: the member's record, by its id */
static int
cmp_group_contact(void *ctx, const char *cid, size_t len)
{
    return cmp_record_join(ctx, cid, len, cid, len);
}


/*
 * A change of membership not made through the group (an import, a
 * contact deleted) still changes the group: count and version.
 */
int
cmp_group_count_add(cmp_store_t *st, cmp_txn_t *txn, int64_t now,
    const char *gid, size_t glen, int64_t delta)
{
    int            rc;
    char          *dump, when[CMP_TIME_LEN + 1], err[64];
    size_t         len;
    json_t        *rec;
    int64_t        count;
    cmp_record_t   meta;

    if (delta == 0) {
        return 0;
    }

    rc = cmp_record_get(st, txn, &cmp_kind_groups, gid, glen, &meta);
    if (rc != 0) {
        return rc;
    }

    rec = cmp_json_parse(meta.json, meta.len, err, sizeof(err));
    if (rec == NULL) {
        return CMP_CORRUPTED;
    }

    count = json_integer_value(json_object_get(rec, "contact_count"))
            + delta;

    cmp_time_format(now, when);

    json_object_set_new(rec, "contact_count",
                        json_integer(count < 0 ? 0 : count));
    json_object_set_new(rec, "updated_at", json_string(when));
    json_object_set_new(rec, "version",
                        json_integer((json_int_t) meta.version + 1));

    dump = cmp_json_dump(rec, &len);
    json_decref(rec);

    if (dump == NULL) {
        return ENOMEM;
    }

    meta.version++;
    meta.json = dump;
    meta.len = len;

    rc = cmp_record_put(st, txn, &cmp_kind_groups, gid, glen, &meta);
    free(dump);

    return rc;
}


/* a deleted contact leaves every group it was in */
int
cmp_contact_leave_groups(cmp_store_t *st, cmp_txn_t *txn, int64_t now,
    const char *cid, size_t clen)
{
    cmp_group_leave_t  l;

    l.st = st;
    l.txn = txn;
    l.now = now;

    return cmp_member_of_take(st, txn, cid, clen, cmp_group_left, &l);
}


/* a cmp_member_visit_pt: the group the contact left counts one less */
static int
cmp_group_left(void *ctx, const char *gid, size_t len)
{
    cmp_group_leave_t *l = ctx;

    int  rc;

    rc = cmp_group_count_add(l->st, l->txn, l->now, gid, len, -1);

    return (rc == CMP_NOTFOUND) ? 0 : rc;
}
