
/*
 * Errors of a write operation, and the lifecycle every JSON record shares:
 * ids, idempotent creates, If-Match, version and timestamps.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_json_writer.h"
#include "cmp_op.h"
#include "cmp_tombstone.h"
#include "cmp_purge.h"
#include "cmp_validate.h"


static json_t *cmp_resource_finish(cmp_op_t *op, json_t *record,
    const char *created_at, uint64_t version);
static char *cmp_resource_dump(cmp_op_t *op, json_t *record,
    const char *created_at, uint64_t version, size_t *len);


void
cmp_op_init(cmp_op_t *op, cmp_store_t *st, cmp_op_pt run,
    const cmp_kind_t *kind)
{
    memset(op, 0, sizeof(cmp_op_t));

    op->store = st;
    op->run = run;
    op->kind = kind;
    op->if_match = CMP_IF_MATCH_NONE;
}


void
cmp_op_free(cmp_op_t *op)
{
    free(op->reply);
    op->reply = NULL;

    if (op->details != NULL) {
        json_decref(op->details);
        op->details = NULL;
    }
}


/* the answer of a run forgotten, the request kept: it runs once more */
void
cmp_op_reset(cmp_op_t *op)
{
    cmp_op_free(op);

    op->status = 0;
    op->reply_len = 0;
    op->version = 0;
    op->location = 0;
    op->replayed = 0;
    op->map = 0;
    op->code = NULL;
    op->message[0] = '\0';
    op->field[0] = '\0';
}


int
cmp_op_fail(cmp_op_t *op, int status, const char *code, const char *field,
    const char *fmt, ...)
{
    int      n;
    va_list  args;

    op->status = status;
    op->code = code;

    n = snprintf(op->field, sizeof(op->field), "%s", field ? field : "");
    cmp_utf8_repair(op->field, strlen(op->field),
                    n >= (int) sizeof(op->field));

    va_start(args, fmt);
    n = vsnprintf(op->message, sizeof(op->message), fmt, args);
    va_end(args);

    /* names from the body or the URI may be cut or be no UTF-8 */
    cmp_utf8_repair(op->message, strlen(op->message),
                    n >= (int) sizeof(op->message));

    return CMP_FAIL;
}


int
cmp_op_store_error(cmp_op_t *op, int rc)
{
    op->map = (rc == CMP_MAP_FULL || rc == CMP_MAP_RESIZED);

    if (rc == CMP_MAP_FULL) {
        return cmp_op_fail(op, 507, "storage_full", NULL,
                           "the store's max_size is reached; "
                           "nothing was written");
    }

    return cmp_op_fail(op, 503, "store_unavailable", NULL,
                       "store error: %s", cmp_strerror(rc));
}


int
cmp_op_reply(cmp_op_t *op, int status, const json_t *json)
{
    op->status = status;

    free(op->reply);
    op->reply = NULL;
    op->reply_len = 0;

    if (json == NULL) {
        return CMP_OK;
    }

    op->reply = cmp_json_dump(json, &op->reply_len);
    if (op->reply == NULL) {
        return cmp_op_fail(op, 500, "internal_error", NULL,
                           "out of memory");
    }

    return CMP_OK;
}


json_t *
cmp_op_error_json(const cmp_op_t *op)
{
    json_t  *err;

    err = json_object();
    if (err == NULL) {
        return NULL;
    }

    json_object_set_new(err, "code", json_string(op->code));
    json_object_set_new(err, "message", json_string(op->message));

    if (op->field[0] != '\0') {
        json_object_set_new(err, "field", json_string(op->field));
    }

    if (op->details != NULL) {
        json_object_update(err, op->details);
    }

    return json_pack("{s:o}", "error", err);
}


/* the common fields, in the order every resource shows them */
static json_t *
cmp_resource_finish(cmp_op_t *op, json_t *record, const char *created_at,
    uint64_t version)
{
    char     now[CMP_TIME_LEN + 1];
    json_t  *out;

    cmp_time_format(op->now, now);

    out = json_object();
    if (out == NULL) {
        return NULL;
    }

    json_object_set_new(out, "id", json_stringn(op->id, op->id_len));
    json_object_update(out, record);
    json_object_set_new(out, "created_at",
                        json_string(created_at ? created_at : now));
    json_object_set_new(out, "updated_at", json_string(now));
    json_object_set_new(out, "version", json_integer((json_int_t) version));

    return out;
}


/*
 * The bytes cmp_resource_finish() and cmp_json_dump() give, written
 * without building the object first: "id" (the record's own, if it has
 * one, as json_object_update() let it win), the record's fields, then
 * created_at, updated_at and version, in the record's place for them if
 * it has one.  A field name jansson would escape takes the long way.
 */
static char *
cmp_resource_dump(cmp_op_t *op, json_t *record, const char *created_at,
    uint64_t version, size_t *len)
{
    char               *dump, now[CMP_TIME_LEN + 1];
    void               *iter;
    json_t             *v, *out;
    size_t              klen;
    unsigned            seen;
    const char         *key;
    cmp_text_t   w;

    cmp_time_format(op->now, now);

    if (created_at == NULL) {
        created_at = now;
    }

    if (cmp_text_init(&w, 512) != 0) {
        return NULL;
    }

    cmp_text_add(&w, "{\"id\":", 6);

    v = json_object_get(record, "id");

    if (v != NULL) {
        cmp_json_write_value(&w, v);

    } else {
        cmp_json_write_string(&w, op->id, op->id_len);
    }

    seen = 0;

    for (iter = json_object_iter(record);
         iter != NULL;
         iter = json_object_iter_next(record, iter))
    {
        key = json_object_iter_key(iter);
        klen = json_object_iter_key_len(iter);

        if (klen == 2 && memcmp(key, "id", 2) == 0) {
            continue;
        }

        cmp_text_add(&w, ",", 1);

        if (cmp_json_write_key(&w, key, klen) != 0) {
            cmp_text_free(&w);

            out = cmp_resource_finish(op, record, created_at, version);
            if (out == NULL) {
                return NULL;
            }

            dump = cmp_json_dump(out, len);
            json_decref(out);

            return dump;
        }

        if (klen == 10 && memcmp(key, "created_at", 10) == 0) {
            cmp_json_write_string(&w, created_at, strlen(created_at));
            seen |= 1;

        } else if (klen == 10 && memcmp(key, "updated_at", 10) == 0) {
            cmp_json_write_string(&w, now, CMP_TIME_LEN);
            seen |= 2;

        } else if (klen == 7 && memcmp(key, "version", 7) == 0) {
            cmp_json_write_integer(&w, (json_int_t) version);
            seen |= 4;

        } else {
            cmp_json_write_value(&w, json_object_iter_value(iter));
        }
    }

    if (!(seen & 1)) {
        cmp_text_add(&w, ",\"created_at\":", 14);
        cmp_json_write_string(&w, created_at, strlen(created_at));
    }

    if (!(seen & 2)) {
        cmp_text_add(&w, ",\"updated_at\":", 14);
        cmp_json_write_string(&w, now, CMP_TIME_LEN);
    }

    if (!(seen & 4)) {
        cmp_text_add(&w, ",\"version\":", 11);
        cmp_json_write_integer(&w, (json_int_t) version);
    }

    cmp_text_add(&w, "}", 1);

    return cmp_text_take(&w, len);
}


/*
 * Creates op->kind's record from the fields in record; "id" in it, when
 * present, was validated by the caller and is the client's choice.
 */
int
cmp_resource_create(cmp_op_t *op, json_t *record)
{
    int            rc;
    char          *dump;
    json_t        *id;
    size_t         len;
    cmp_seq_t      order;
    cmp_record_t   rec;

    if (op->idempotency_key != NULL) {
        rc = cmp_idempotency_get(op->store, op->txn, op->kind->name,
                                 op->idempotency_key,
                                 op->idempotency_key_len, op->now,
                                 op->id, &op->id_len);
        if (rc == 0) {
            rc = cmp_record_get(op->store, op->txn, op->kind, op->id,
                                op->id_len, &rec);
            if (rc == 0) {
                op->reply = malloc(rec.len);
                if (op->reply == NULL) {
                    return cmp_op_fail(op, 500, "internal_error", NULL,
                                       "out of memory");
                }

                memcpy(op->reply, rec.json, rec.len);
                op->reply_len = rec.len;
                op->version = rec.version;
                op->status = 201;
                op->location = 1;
                op->replayed = 1;

                return CMP_OK;
            }
        }

        if (rc != 0 && rc != CMP_NOTFOUND) {
            return cmp_op_store_error(op, rc);
        }
    }

    id = json_object_get(record, "id");

    if (id != NULL) {
        op->id_len = json_string_length(id);
        memcpy(op->id, json_string_value(id), op->id_len);
        op->id[op->id_len] = '\0';

        rc = cmp_record_get(op->store, op->txn, op->kind, op->id,
                            op->id_len, &rec);
        if (rc == 0) {
            return cmp_op_fail(op, 409, "conflict", "id",
                               "%s \"%s\" already exists",
                               op->kind->singular, op->id);
        }

        if (rc != CMP_NOTFOUND) {
            return cmp_op_store_error(op, rc);
        }

        /* a deleted resource's id stays its own (README "The API") */
        rc = cmp_tombstone_get(op->store, op->txn, op->kind, op->id,
                               op->id_len, NULL);
        if (rc == 0) {
            return cmp_op_fail(op, 409, "conflict", "id",
                               "id \"%s\" belonged to a deleted %s; ids are "
                               "never reused", op->id, op->kind->singular);
        }

        if (rc != CMP_NOTFOUND) {
            return cmp_op_store_error(op, rc);
        }

        json_object_del(record, "id");

    } else if (op->id_seq != NULL) {
        rc = cmp_id_take(op->store, op->txn, op->kind, op->id_seq, op->id,
                         &op->id_len);
        if (rc != 0) {
            return cmp_op_store_error(op, rc);
        }

    } else {
        rc = cmp_id_generate(op->store, op->txn, op->kind, op->id,
                             &op->id_len);
        if (rc != 0) {
            return cmp_op_store_error(op, rc);
        }
    }

    if (op->order_seq != NULL) {
        rc = cmp_seq_take(op->store, op->txn, op->order_seq, &rec.seq);

    } else {
        cmp_seq_init(&order, "order:", op->kind);

        rc = cmp_seq_take(op->store, op->txn, &order, &rec.seq);

        if (rc == 0) {
            rc = cmp_seq_save(op->store, op->txn, &order);
        }
    }

    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    dump = cmp_resource_dump(op, record, NULL, 1, &len);

    if (dump == NULL) {
        return cmp_op_fail(op, 500, "internal_error", NULL, "out of memory");
    }

    rec.version = 1;
    rec.json = dump;
    rec.len = len;

    rc = cmp_record_put(op->store, op->txn, op->kind, op->id, op->id_len,
                        &rec);

    if (rc == 0 && op->idempotency_key != NULL) {
        rc = cmp_idempotency_put(op->store, op->txn, op->kind->name,
                                 op->idempotency_key,
                                 op->idempotency_key_len,
                                 op->now + CMP_IDEMPOTENCY_TTL,
                                 op->id, op->id_len);
    }

    if (rc != 0) {
        free(dump);
        return cmp_op_store_error(op, rc);
    }

    op->reply = dump;
    op->reply_len = len;
    op->version = 1;
    op->status = 201;
    op->location = 1;

    return CMP_OK;
}


int
cmp_resource_load(cmp_op_t *op, json_t **record, cmp_record_t *meta)
{
    int      rc;
    char     err[160];
    json_t  *json;

    rc = cmp_record_get(op->store, op->txn, op->kind, op->id, op->id_len,
                        meta);

    if (rc == CMP_NOTFOUND) {
        return cmp_op_fail(op, 404, "not_found", NULL, "no %s \"%s\"",
                           op->kind->singular, op->id);
    }

    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    if (op->if_match == CMP_IF_MATCH_FOREIGN) {
        return cmp_op_fail(op, 412, "version_mismatch", NULL,
                           "%s \"%s\" is at version %llu; If-Match names "
                           "no version", op->kind->singular, op->id,
                           (unsigned long long) meta->version);
    }

    if (op->if_match >= 0 && (uint64_t) op->if_match != meta->version) {
        return cmp_op_fail(op, 412, "version_mismatch", NULL,
                           "%s \"%s\" is at version %llu, not %lld",
                           op->kind->singular, op->id,
                           (unsigned long long) meta->version,
                           (long long) op->if_match);
    }

    json = cmp_json_parse(meta->json, meta->len, err, sizeof(err));
    if (json == NULL) {
        return cmp_op_fail(op, 500, "internal_error", NULL,
                           "stored %s is unreadable: %s",
                           op->kind->singular, err);
    }

    *record = json;

    return CMP_OK;
}


/* writes a changed record back as its next version */
int
cmp_resource_store(cmp_op_t *op, json_t *record, const cmp_record_t *meta)
{
    int            rc;
    char          *dump, created[CMP_TIME_LEN + 1];
    size_t         len;
    const char    *s;
    cmp_record_t   rec;

    s = json_string_value(json_object_get(record, "created_at"));
    snprintf(created, sizeof(created), "%s", s ? s : "");

    json_object_del(record, "id");
    json_object_del(record, "created_at");
    json_object_del(record, "updated_at");
    json_object_del(record, "version");

    dump = cmp_resource_dump(op, record, created, meta->version + 1, &len);

    if (dump == NULL) {
        return cmp_op_fail(op, 500, "internal_error", NULL, "out of memory");
    }

    rec.seq = meta->seq;
    rec.version = meta->version + 1;
    rec.json = dump;
    rec.len = len;

    rc = cmp_record_put(op->store, op->txn, op->kind, op->id, op->id_len,
                        &rec);
    if (rc != 0) {
        free(dump);
        return cmp_op_store_error(op, rc);
    }

    free(op->reply);
    op->reply = dump;
    op->reply_len = len;
    op->version = rec.version;
    op->status = 200;

    return CMP_OK;
}


int
cmp_resource_remove(cmp_op_t *op)
{
    int  rc;

    rc = cmp_record_del(op->store, op->txn, op->kind, op->id, op->id_len);

    /*
     * The id stays taken, and what the resource owned is purged in
     * chunks (cmp_purge.h), never in this txn the writer waits on.
     */
    if (rc == 0) {
        rc = cmp_tombstone_put(op->store, op->txn, op->kind, op->id,
                               op->id_len, op->now);
    }

    if (rc == 0) {
        rc = cmp_purge_add(op->store, op->txn, op->kind, op->id,
                           op->id_len);
    }

    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    op->status = 204;

    return CMP_OK;
}
