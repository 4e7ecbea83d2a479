
/*
 * Channels: validation, the public record (with readiness computed when it
 * changes, so a GET is a copy) and the write-only secrets beside it.
 */


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_channel.h"
#include "cmp_validate.h"
#include "cmp_provider.h"
#include "cmp_changes.h"
#include "cmp_secret.h"
#include "cmp_json.h"


static void cmp_channel_names(const char **fields, const char **types);
static int cmp_channel_apply(cmp_op_t *op, json_t *rec, json_t *secret,
    const cmp_provider_t *type, int create);
static int cmp_channel_apply_provider(cmp_op_t *op, json_t *rec,
    json_t *secret, const cmp_provider_t *type);
static void cmp_channel_readiness(json_t *rec, json_t *secret,
    const cmp_provider_t *type);
static int cmp_channel_save_secret(cmp_op_t *op, json_t *secret);
static int cmp_channel_changed(cmp_op_t *op, int rc);
static int cmp_channel_reindex(void *ctx, const char *id, size_t len,
    const cmp_record_t *rec);
static const cmp_provider_t *cmp_channel_provider(const json_t *rec);
static const char *cmp_channel_route(json_t *rec, char *buf, size_t size);
static int cmp_channel_index(cmp_op_t *op, const char *index,
    const char *old, const char *now);
static const char *cmp_channel_verify_key(const cmp_provider_t *p,
    const json_t *secret, char *buf);
static int cmp_channel_indexes(cmp_op_t *op, const cmp_provider_t *p,
    const char *old_route, const char *route, const char *old_verify,
    const char *verify);


/* the members of a channel, then one object per provider */
static const char *const  cmp_channel_fields[] = {
    "id", "name", "type", "rate_limit_per_second", "max_in_flight",
    "min_gap_seconds", NULL
};

#define CMP_CHANNEL_NFIELDS                                                  \
    (sizeof(cmp_channel_fields) / sizeof(cmp_channel_fields[0]))


/* the fields a channel may have, and the types; NULL-terminated */
static void
cmp_channel_names(const char **fields, const char **types)
{
    size_t  i, n;

    for (n = 0; cmp_channel_fields[n] != NULL; n++) {
        fields[n] = cmp_channel_fields[n];
    }

    for (i = 0; cmp_providers[i] != NULL; i++) {
        fields[n++] = cmp_providers[i]->name;
        types[i] = cmp_providers[i]->name;
    }

    fields[n] = NULL;
    types[i] = NULL;
}


int
cmp_channel_create(cmp_op_t *op)
{
    int                    rc;
    char                   phone[160], vkey[CMP_PROVIDER_TOKEN_KEY + 1];
    json_t                *rec, *secret;
    const char            *type_name;
    const char            *fields[CMP_CHANNEL_NFIELDS + CMP_PROVIDER_MAX];
    const char            *types[CMP_PROVIDER_MAX + 1];
    const cmp_provider_t  *type;

    cmp_channel_names(fields, types);

    if (cmp_check_object(op, op->body, "") != CMP_OK
        || cmp_check_fields(op, op->body, "", fields) != CMP_OK
        || cmp_check_id(op, op->body) != CMP_OK
        || cmp_check_enum(op, op->body, "", "type", types, CMP_REQUIRED,
                          &type_name) != CMP_OK)
    {
        return CMP_FAIL;
    }

    type = cmp_provider_find(type_name, strlen(type_name));

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
    json_object_set_new(rec, "type", json_string(type->name));
    json_object_set_new(rec, type->name, json_object());
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
        rc = cmp_channel_indexes(op, type, NULL,
                                 cmp_channel_route(rec, phone,
                                                   sizeof(phone)),
                                 NULL,
                                 cmp_channel_verify_key(type, secret, vkey));
    }

    json_decref(rec);
    json_decref(secret);

    return cmp_channel_changed(op, rc);
}


int
cmp_channel_update(cmp_op_t *op)
{
    int                    rc;
    char                   old[160], now[160];
    char                   old_key[CMP_PROVIDER_TOKEN_KEY + 1];
    char                   new_key[CMP_PROVIDER_TOKEN_KEY + 1];
    size_t                 len;
    json_t                *rec, *secret, *type_field;
    const char            *s, *old_phone, *old_verify;
    const char            *fields[CMP_CHANNEL_NFIELDS + CMP_PROVIDER_MAX];
    const char            *types[CMP_PROVIDER_MAX + 1];
    cmp_record_t           meta;
    const cmp_provider_t  *type;

    cmp_channel_names(fields, types);

    if (cmp_check_object(op, op->body, "") != CMP_OK
        || cmp_check_fields(op, op->body, "", fields) != CMP_OK)
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

    s = json_string_value(json_object_get(rec, "type"));
    type = (s != NULL) ? cmp_provider_find(s, strlen(s)) : NULL;

    type_field = json_object_get(op->body, "type");

    if (type == NULL
        || (type_field != NULL
            && !(json_is_string(type_field)
                 && strcmp(json_string_value(type_field), type->name) == 0)))
    {
        json_decref(rec);
        return cmp_op_fail(op, 422, "validation_failed", "type",
                           "type cannot change after creation");
    }

    rc = cmp_secret_get(op->store, op->txn, op->id, op->id_len, &s, &len);

    if (rc == 0) {
        secret = cmp_json_parse(s, len, op->message, sizeof(op->message));

    } else if (rc == CMP_NOTFOUND) {
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

    old_phone = cmp_channel_route(rec, old, sizeof(old));
    old_verify = cmp_channel_verify_key(type, secret, old_key);

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
        rc = cmp_channel_indexes(op, type, old_phone,
                                 cmp_channel_route(rec, now, sizeof(now)),
                                 old_verify,
                                 cmp_channel_verify_key(type, secret,
                                                        new_key));
    }

    json_decref(rec);
    json_decref(secret);

    return cmp_channel_changed(op, rc);
}


int
cmp_channel_delete(cmp_op_t *op)
{
    int                    rc;
    char                   phone[160], vkey[CMP_PROVIDER_TOKEN_KEY + 1];
    size_t                 len;
    json_t                *rec, *secret;
    uint64_t               refs;
    const char            *old_phone, *old_verify, *s;
    cmp_record_t           meta;
    const cmp_provider_t  *type;

    if (cmp_resource_load(op, &rec, &meta) != CMP_OK) {
        return CMP_FAIL;
    }

    type = cmp_channel_provider(rec);
    old_phone = cmp_channel_route(rec, phone, sizeof(phone));
    json_decref(rec);

    old_verify = NULL;

    if (cmp_secret_get(op->store, op->txn, op->id, op->id_len, &s, &len)
        == 0)
    {
        secret = cmp_json_parse(s, len, op->message, sizeof(op->message));
        old_verify = cmp_channel_verify_key(type, secret, vkey);
        json_decref(secret);
    }

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

    if (cmp_channel_indexes(op, type, old_phone, NULL, old_verify, NULL)
        != CMP_OK)
    {
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

    /* a sender the provider refused is not ready, whatever it has */
    if (strcmp(status, "error") == 0) {
        json_object_set_new(rec, "ready", json_false());
        json_object_set_new(rec, "not_ready_reason",
                            json_string(last_error ? last_error
                                        : "the provider refused the sender"));
    }

    rc = cmp_resource_store(op, rec, &meta);
    json_decref(rec);

    return cmp_channel_changed(op, rc);
}


/*
 * Every write of a channel that went through moves it to the end of the
 * channels' change log (cmp_changes.h) in the same txn: campaignd reads
 * again only what changed since it last looked.  rc passes.
 */
static int
cmp_channel_changed(cmp_op_t *op, int rc)
{
    int  err;

    if (rc != CMP_OK || op->replayed) {
        return rc;
    }

    err = cmp_changes_note(op->store, op->txn, &cmp_kind_channels, op->id,
                           op->id_len);

    return err ? cmp_op_store_error(op, err) : CMP_OK;
}


static int
cmp_channel_apply(cmp_op_t *op, json_t *rec, json_t *secret,
    const cmp_provider_t *type, int create)
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
    const cmp_provider_t *type)
{
    char                         name[64];
    json_t                      *in, *out, *v;
    size_t                       i, n;
    const char                  *s;
    const char                  *all[16];
    const char *const           *f;
    const cmp_provider_field_t  *pf;

    for (i = 0; cmp_providers[i] != NULL; i++) {
        s = cmp_providers[i]->name;

        if (cmp_providers[i] != type && json_object_get(op->body, s) != NULL)
        {
            return cmp_op_fail(op, 422, "validation_failed", s,
                               "%s is only for %s channels", s, s);
        }
    }

    out = json_object_get(rec, type->name);
    in = json_object_get(op->body, type->name);

    if (in != NULL) {
        if (cmp_check_object(op, in, type->name) != CMP_OK) {
            return CMP_FAIL;
        }

        n = 0;

        for (pf = type->fields; pf->name != NULL; pf++) {
            all[n++] = pf->name;
        }

        for (f = type->secrets; *f != NULL; f++) {
            all[n++] = *f;
        }

        all[n] = NULL;

        if (cmp_check_fields(op, in, type->name, all) != CMP_OK) {
            return CMP_FAIL;
        }

        for (pf = type->fields; pf->name != NULL; pf++) {
            v = json_object_get(in, pf->name);

            if (v == NULL) {
                continue;
            }

            if (json_is_null(v)) {
                json_object_set_new(out, pf->name, json_null());
                continue;
            }

            if (pf->url) {
                if (cmp_check_url(op, in, type->name, pf->name) != CMP_OK) {
                    return CMP_FAIL;
                }

                s = json_string_value(v);

            } else if (pf->values != NULL) {
                if (cmp_check_enum(op, in, type->name, pf->name,
                                   pf->values, CMP_OPTIONAL, &s)
                    != CMP_OK)
                {
                    return CMP_FAIL;
                }

            } else if (pf->digits) {
                if (cmp_check_digits(op, in, type->name, pf->name, pf->max,
                                     &s)
                    != CMP_OK)
                {
                    return CMP_FAIL;
                }

            } else if (cmp_check_token(op, in, type->name, pf->name,
                                       pf->max, &s)
                       != CMP_OK)
            {
                return CMP_FAIL;
            }

            json_object_set_new(out, pf->name, json_string(s));
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

            /* a secret goes into a header: CR or LF would inject one */
            if (cmp_check_token(op, in, type->name, *f, 4096, &s) != CMP_OK)
            {
                return CMP_FAIL;
            }

            json_object_set_new(secret, *f, json_string(s));
        }
    }

    /* null stands for the provider's default, where it has one */
    for (pf = type->fields; pf->name != NULL; pf++) {
        v = json_object_get(out, pf->name);

        if (v == NULL || json_is_null(v)) {
            json_object_set_new(out, pf->name,
                                pf->dflt ? json_string(pf->dflt)
                                         : json_null());
        }
    }

    /* secrets show only whether they are set, never their value */
    for (f = type->secrets; *f != NULL; f++) {
        snprintf(name, sizeof(name), "%s_set", *f);
        json_object_set_new(out, name,
                            json_boolean(json_object_get(secret, *f)
                                         != NULL));
    }

    return CMP_OK;
}


static void
cmp_channel_readiness(json_t *rec, json_t *secret,
    const cmp_provider_t *type)
{
    char    reason[256];
    size_t  n;

    n = type->not_ready(json_object_get(rec, type->name), reason,
                        sizeof(reason));

    if (json_object_get(secret, type->token) == NULL && n < sizeof(reason)) {
        n += snprintf(reason + n, sizeof(reason) - n, "%s%s is not set",
                      n ? "; " : "", type->token);
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


static const cmp_provider_t *
cmp_channel_provider(const json_t *rec)
{
    const char  *s;

    s = json_string_value(json_object_get(rec, "type"));

    return (s != NULL) ? cmp_provider_find(s, strlen(s)) : NULL;
}


/* the member a callback names the channel by, copied out of the record */
static const char *
cmp_channel_route(json_t *rec, char *buf, size_t size)
{
    const char            *s;
    const cmp_provider_t  *p;

    p = cmp_channel_provider(rec);

    if (p == NULL || p->route_field == NULL) {
        return NULL;
    }

    s = json_string_value(json_object_get(json_object_get(rec, p->name),
                                          p->route_field));

    if (s == NULL || strlen(s) >= size) {
        return NULL;
    }

    return strcpy(buf, s);
}


/*
 * The provider's route_index: route_field -> channel id, so a webhook
 * finds its channel (and its secret) without a scan.  Two channels may
 * name one route: the index names the last one written, and an entry is
 * removed only by the channel it names.
 */
static int
cmp_channel_index(cmp_op_t *op, const char *index, const char *old,
    const char *now)
{
    int     rc;
    char    id[CMP_ID_MAX + 1];
    size_t  id_len;

    if (old != NULL && now != NULL && strcmp(old, now) == 0) {
        return CMP_OK;
    }

    rc = 0;

    if (old != NULL) {
        rc = cmp_index_get(op->store, op->txn, index, old, strlen(old), id,
                           &id_len);

        if (rc == 0 && id_len == op->id_len
            && memcmp(id, op->id, id_len) == 0)
        {
            rc = cmp_index_del(op->store, op->txn, index, old, strlen(old));

        } else if (rc == CMP_NOTFOUND || rc == 0) {
            rc = 0;
        }
    }

    if (rc == 0 && now != NULL) {
        rc = cmp_index_put(op->store, op->txn, index, now, strlen(now),
                           op->id, op->id_len);
    }

    if (rc != 0) {
        return cmp_op_store_error(op, rc);
    }

    return CMP_OK;
}


/* the index key of the channel's verify secret; NULL: none */
static const char *
cmp_channel_verify_key(const cmp_provider_t *p, const json_t *secret,
    char *buf)
{
    json_t  *v;

    if (p == NULL || p->verify_index == NULL) {
        return NULL;
    }

    v = json_object_get(secret, p->verify_secret);

    if (!json_is_string(v)) {
        return NULL;
    }

    cmp_provider_token_key(json_string_value(v), json_string_length(v),
                           buf);

    return buf;
}


/* the route and the verify secret as the webhooks find them: no scans */
static int
cmp_channel_indexes(cmp_op_t *op, const cmp_provider_t *p,
    const char *old_route, const char *route, const char *old_verify,
    const char *verify)
{
    if (p == NULL) {
        return CMP_OK;
    }

    if (p->route_index != NULL
        && cmp_channel_index(op, p->route_index, old_route, route)
           != CMP_OK)
    {
        return CMP_FAIL;
    }

    if (p->verify_index != NULL
        && cmp_channel_index(op, p->verify_index, old_verify, verify)
           != CMP_OK)
    {
        return CMP_FAIL;
    }

    return CMP_OK;
}


typedef struct {
    cmp_op_t       op;
    int            budget;
    uint64_t       done;
    uint64_t       last;         /* the creation seq of the last one done */
    int            rc;
} cmp_channel_reindex_t;


/*
 * A store from before the webhooks' verify-token index (schema 1) lacks
 * it for the channels it had: each channel's provider indexes are written
 * again, budget channels a write txn, newest first from where the last
 * step stopped (CMP_META_CHANNEL_INDEX_FROM), until CMP_META_CHANNEL_INDEX
 * says they all are.  A channel created or changed meanwhile is indexed
 * by its own write.  *more: call again.
 */
int
cmp_channel_reindex_step(cmp_store_t *st, int budget, uint64_t *done,
    int *more)
{
    int                    rc;
    uint64_t               flag, from;
    cmp_txn_t             *txn;
    cmp_channel_reindex_t  x;

    *done = 0;
    *more = 0;

    /* a look first: a store that has them costs a reader, no lock */
    rc = cmp_store_txn_begin(st, NULL, CMP_RDONLY, &txn);
    if (rc != 0) {
        return rc;
    }

    rc = cmp_meta_get_u64(st, txn, CMP_META_CHANNEL_INDEX, &flag);
    cmp_txn_abort(txn);

    if (rc == 0 && flag == 1) {
        return 0;
    }

    rc = cmp_store_txn_begin(st, NULL, 0, &txn);
    if (rc != 0) {
        return rc;
    }

    rc = cmp_meta_get_u64(st, txn, CMP_META_CHANNEL_INDEX_FROM, &from);

    if (rc == CMP_NOTFOUND) {
        from = 0;

    } else if (rc != 0) {
        cmp_txn_abort(txn);
        return rc;
    }

    memset(&x, 0, sizeof(cmp_channel_reindex_t));
    cmp_op_init(&x.op, st, NULL, &cmp_kind_channels);
    x.op.txn = txn;
    x.budget = budget;
    x.last = from;

    rc = cmp_record_list(st, txn, &cmp_kind_channels, from,
                         cmp_channel_reindex, &x);

    if (rc == 0) {
        rc = x.rc;
    }

    if (rc == 0) {
        *more = (x.done == (uint64_t) budget);
        rc = *more ? cmp_meta_put_u64(st, txn, CMP_META_CHANNEL_INDEX_FROM,
                                      x.last)
                   : cmp_meta_put_u64(st, txn, CMP_META_CHANNEL_INDEX, 1);
    }

    cmp_op_free(&x.op);

    if (rc == 0) {
        rc = cmp_txn_commit(txn);

    } else {
        cmp_txn_abort(txn);
    }

    *done = (rc == 0) ? x.done : 0;

    if (rc != 0) {
        *more = 0;
    }

    return rc;
}


static int
cmp_channel_reindex(void *ctx, const char *id, size_t len,
    const cmp_record_t *rec)
{
    cmp_channel_reindex_t *x = ctx;

    int                    rc;
    char                   err[64], route[160];
    char                   vkey[CMP_PROVIDER_TOKEN_KEY + 1];
    size_t                 slen;
    json_t                *ch, *secret;
    const char            *s;
    const cmp_provider_t  *p;

    x->last = rec->seq;
    x->done++;

    if (len > CMP_ID_MAX) {
        return x->done == (uint64_t) x->budget;
    }

    ch = cmp_json_parse(rec->json, rec->len, err, sizeof(err));
    p = cmp_channel_provider(ch);

    if (p != NULL) {
        secret = NULL;

        if (cmp_secret_get(x->op.store, x->op.txn, id, len, &s, &slen) == 0) {
            secret = cmp_json_parse(s, slen, err, sizeof(err));
        }

        memcpy(x->op.id, id, len);
        x->op.id[len] = '\0';
        x->op.id_len = len;

        rc = cmp_channel_indexes(&x->op, p, NULL,
                                 cmp_channel_route(ch, route, sizeof(route)),
                                 NULL, cmp_channel_verify_key(p, secret,
                                                              vkey));
        json_decref(secret);

        if (rc != CMP_OK) {
            x->rc = EIO;
            json_decref(ch);
            return 1;
        }
    }

    json_decref(ch);

    return x->done == (uint64_t) x->budget;
}
