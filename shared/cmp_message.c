
/*
 * The message ledger's keys: campaign NUL be32-run contact NUL node NUL
 * be16-step.  A message's key is derived from what it is, so writing it
 * again after a crash is an update, never a second message.
 */


#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_message.h"
#include "cmp_json.h"


int
cmp_message_rank(const char *status)
{
    size_t  i;
    static const struct {
        const char  *name;
        int          rank;
    } order[] = {
        /* deferred waits as queued does; failed and skipped are final */
        { "queued", 0 }, { "deferred", 0 }, { "sending", 1 }, { "sent", 2 },
        { "delivered", 3 }, { "read", 4 }, { "failed", 105 },
        { "skipped", 106 }
    };

    for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        if (strcmp(order[i].name, status) == 0) {
            return order[i].rank;
        }
    }

    return -1;
}


size_t
cmp_message_key(unsigned char *buf, const cmp_message_key_t *k)
{
    unsigned char  *p;

    if (k->campaign_len > CMP_ID_MAX || k->contact_len > CMP_ID_MAX
        || k->node_len > CMP_ID_MAX)
    {
        return 0;
    }

    p = buf;
    memcpy(p, k->campaign, k->campaign_len);
    p += k->campaign_len;
    *p++ = '\0';
    *p++ = (unsigned char) (k->run >> 24);
    *p++ = (unsigned char) (k->run >> 16);
    *p++ = (unsigned char) (k->run >> 8);
    *p++ = (unsigned char) k->run;
    memcpy(p, k->contact, k->contact_len);
    p += k->contact_len;
    *p++ = '\0';
    memcpy(p, k->node, k->node_len);
    p += k->node_len;
    *p++ = '\0';
    *p++ = (unsigned char) (k->step >> 8);
    *p++ = (unsigned char) k->step;

    return p - buf;
}


int
cmp_message_get(cmp_store_t *st, MDB_txn *txn, const unsigned char *key,
    size_t key_len, const char **json, size_t *len)
{
    int      rc;
    MDB_val  k, v;

    k.mv_data = (void *) key;
    k.mv_size = key_len;

    rc = mdb_get(txn, st->dbi[CMP_DB_MESSAGES], &k, &v);
    if (rc != 0) {
        return rc;
    }

    *json = v.mv_data;
    *len = v.mv_size;

    return 0;
}


int
cmp_message_put(cmp_store_t *st, MDB_txn *txn, const unsigned char *key,
    size_t key_len, const char *json, size_t len)
{
    MDB_val  k, v;

    k.mv_data = (void *) key;
    k.mv_size = key_len;
    v.mv_data = (void *) json;
    v.mv_size = len;

    return mdb_put(txn, st->dbi[CMP_DB_MESSAGES], &k, &v, 0);
}


int
cmp_message_load(cmp_store_t *st, MDB_txn *txn, const unsigned char *key,
    size_t key_len, json_t **msg)
{
    int          rc;
    char         err[64];
    size_t       len;
    const char  *json;

    rc = cmp_message_get(st, txn, key, key_len, &json, &len);
    if (rc != 0) {
        return rc;
    }

    *msg = cmp_json_parse(json, len, err, sizeof(err));

    return (*msg == NULL) ? MDB_CORRUPTED : 0;
}


int
cmp_message_save(cmp_store_t *st, MDB_txn *txn, const unsigned char *key,
    size_t key_len, const json_t *msg)
{
    int      rc;
    char    *dump;
    size_t   n;

    dump = cmp_json_dump(msg, &n);
    if (dump == NULL) {
        return ENOMEM;
    }

    rc = cmp_message_put(st, txn, key, key_len, dump, n);
    free(dump);

    return rc;
}


/*
 * A campaign's messages in key order (run, contact, node, step), from
 * just after the key "after" when given; run 0 means every run.
 */
int
cmp_message_scan(cmp_store_t *st, MDB_txn *txn, const char *campaign,
    size_t campaign_len, uint32_t run, const unsigned char *after,
    size_t after_len, cmp_message_visit_pt visit, void *ctx)
{
    int            rc;
    size_t         prefix;
    MDB_val        key, val;
    MDB_cursor    *cur;
    unsigned char  buf[CMP_MESSAGE_KEY_MAX];

    if (campaign_len > CMP_ID_MAX) {
        return 0;
    }

    memcpy(buf, campaign, campaign_len);
    buf[campaign_len] = '\0';
    prefix = campaign_len + 1;

    if (run != 0) {
        buf[prefix++] = (unsigned char) (run >> 24);
        buf[prefix++] = (unsigned char) (run >> 16);
        buf[prefix++] = (unsigned char) (run >> 8);
        buf[prefix++] = (unsigned char) run;
    }

    rc = mdb_cursor_open(txn, st->dbi[CMP_DB_MESSAGES], &cur);
    if (rc != 0) {
        return rc;
    }

    if (after != NULL) {
        key.mv_data = (void *) after;
        key.mv_size = after_len;

        rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);

        if (rc == 0 && key.mv_size == after_len
            && memcmp(key.mv_data, after, after_len) == 0)
        {
            rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
        }

    } else {
        key.mv_data = buf;
        key.mv_size = prefix;

        rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
    }

    while (rc == 0) {
        if (key.mv_size < prefix || memcmp(key.mv_data, buf, prefix) != 0) {
            break;
        }

        if (visit(ctx, key.mv_data, key.mv_size, val.mv_data, val.mv_size)
            != 0)
        {
            break;
        }

        rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }

    mdb_cursor_close(cur);

    return (rc == MDB_NOTFOUND) ? 0 : rc;
}
